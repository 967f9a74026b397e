// SPDX-License-Identifier: GPL-2.0
/*
 * kscope sched: per task, per process and per CPU: CPU time, context
 * switches (voluntary and involuntary), run-queue latency with
 * percentiles, the CPUs used; a bcc-style latency histogram; the raw
 * switch stream; and a Chrome/Perfetto timeline of the run.
 *
 * The kernel side keeps cumulative counters per task and per CPU. This
 * side reads them about once a second, adds what changed since the last
 * read to the current period, and drops the entries of tasks that are
 * gone. A period is printed at every interval, or once at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "../kscope.h"
#include "../engine/cli.h"
#include "../engine/hist.h"
#include "../engine/out.h"
#include "../engine/table.h"
#include "../engine/trace.h"
#include "../engine/util.h"
#include "sched.h"
#include "sched.skel.h"

KS_SKEL_OPS(sched_bpf);

#ifndef ENOTSUPP
#define ENOTSUPP 524	/* kernel-internal: what test runs answer where unsupported */
#endif

#define MAX_GONE_TASKS 16384	/* exited tasks kept apart; more are folded into one row */

enum { CPU_BUSY, CPU_IDLE, CPU_UNKNOWN, CPU_TIMES };

/* A CPU's time accounting; its counters are rows of the CPU table */
struct cpu_ent {
	/* busy, idle, unknown: at the last read, and when this period began */
	uint64_t time_last[CPU_TIMES], time_start[CPU_TIMES];
	uint64_t read_ts;        /* when the last read saw it (its own clock) */
	uint64_t period_ts;      /* ... and when this period began for it */
	uint32_t cur_tid;        /* the task on it at the last read */
};

struct hist_ent {
	uint64_t key;
	uint32_t snap[KS_LOG2_SLOTS], acc[KS_LOG2_SLOTS];
};

struct tl_cpu {
	bool open;
	uint32_t pid, tid;
	char comm[KS_COMM_LEN];
	uint64_t start_ns;
};

enum sort_key { SORT_CPU, SORT_SWITCHES, SORT_RUNQ, SORT_RUNQ_MAX };

struct sched_state {
	const struct ks_opts *opts;
	int by;                    /* SCHED_HIST_* reused: ALL = per thread */
	bool cpu_view, hist_view, events;
	const char *timeline;
	struct ks_outfile tl_file; /* opened while parsing: a bad path is a usage error */
	int sort;                  /* enum sort_key */
	unsigned top;

	struct sched_bpf *skel;
	int ncpus;
	uint64_t period_start;
	bool interval_mode;
	bool ended;                /* the end's report was made */

	struct ks_table *tasks;    /* a row per thread (shown per process or cgroup with --by) */
	bool grouped;              /* ... grouped: --by process, or cgroup without --hist */
	struct ks_col cols[KS_TABLE_MAX_COLS]; /* its columns as this run shows them */
	struct ks_table_desc desc;
	struct ks_table *cpu_table; /* a row per CPU */
	struct cpu_ent *cpus;
	int snap_fd;               /* cpu_snapshot, -1 once the kernel cannot run it per CPU */
	/* since the start: what the kernel did not report, for the closing warning */
	uint64_t unreported, unknown_ns;
	uint32_t worst_tid;        /* the thread with the most unreported switches */
	uint64_t worst_n;
	char worst_comm[KS_COMM_LEN];
	struct hist_ent *hists;
	size_t nhists;

	struct ks_out tl;
	bool tl_on;
	struct tl_cpu *tl_cpus;
	uint64_t last_ts;
};

/* ---- the tables --------------------------------------------------------- */

/* A thread: its tid, and its start (a reused tid is another thread) */
struct task_key {
	uint64_t start_ns;
	uint32_t tid, pad;
};

/* A thread row's own data */
struct task_ext {
	uint64_t cpus[SCHED_CPU_WORDS];   /* CPUs it ran on since first seen */
	uint64_t unreported;              /* its unreported switches since the start */
	bool exit_seen;                   /* read exited and off its CPU before */
};

enum { C_PID, C_TID, C_THREADS, C_COMM, C_UID, C_CGROUP_ID, C_CGROUP, C_CONTAINER,
       C_CONTAINER_RT = C_CONTAINER + 1, C_CPU, C_SWITCHES, C_VOL, C_INVOL, C_UNREPORTED,
       C_RUNQ_COUNT, C_RUNQ_TOTAL, C_RUNQ_AVG, C_RUNQ_P50, C_RUNQ_P99, C_RUNQ_MAX, C_RUNQ_HIST,
       C_CPUS, NCOLS };

enum { K_CPU, K_BUSY, K_IDLE, K_UNKNOWN, K_SWITCHES, K_RUNQ_COUNT, K_RUNQ_TOTAL, K_RUNQ_AVG,
       K_RUNQ_P50, K_RUNQ_P99, K_RUNQ_MAX, K_RUNQ_HIST, KCOLS };

/* Run-queue latency, the same in both tables from column `c` on (the engine's columns) */
#define RUNQ_COLS(c) KS_LATENCY_COLS(c, "runq", "RUNQ", KS_COL_LEFT)

static void fmt_cpus(char *buf, size_t cap, const uint64_t *cpus);

static void cpus_text(struct ks_out *o, const struct ks_row *r)
{
	const struct task_ext *x = ks_row_ext(r);
	char buf[128];

	fmt_cpus(buf, sizeof(buf), x->cpus);
	ks_out_printf(o, "%s", buf);
}

static void cpus_json(struct ks_out *o, const struct ks_row *r)
{
	const struct task_ext *x = ks_row_ext(r);

	ks_json_arr_begin(o);
	for (int c = 0; c < 64 * SCHED_CPU_WORDS; c++)
		if (x->cpus[c / 64] >> (c % 64) & 1)
			ks_json_u64(o, c);
	ks_json_arr_end(o);
}

/* A process ran on the CPUs its threads ran on */
static void task_merge(void *dst, const void *src)
{
	struct task_ext *d = dst;
	const struct task_ext *s = src;

	for (int w = 0; w < SCHED_CPU_WORDS; w++)
		d->cpus[w] |= s->cpus[w];
	d->unreported += s->unreported;
}

/* A thread is shown for a period it ran, switched or waited in */
static bool task_active(const struct ks_row *r)
{
	static const int cols[] = { C_CPU, C_SWITCHES, C_VOL, C_INVOL, C_RUNQ_COUNT };

	for (size_t i = 0; i < ARRAY_SIZE(cols); i++)
		if (ks_row_get(r, cols[i]))
			return true;
	return false;
}

/*
 * A row's cgroup by its path (the id's, if it is gone before it is shown);
 * with -C and --by cgroup its container
 */
static void cgroup_prepare(struct ks_row *r)
{
	uint64_t id = ks_row_get(r, C_CGROUP_ID);
	char buf[24];

	if (!ks_row_put_cgroup(r, C_CGROUP, C_CONTAINER, NULL, id)) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)id);
		ks_row_put_str(r, C_CGROUP, buf, strlen(buf));
	}
}

/* A process its leader did not name this period: by its name in /proc */
static void process_prepare(struct ks_row *g)
{
	uint32_t pid = ks_row_get(g, C_PID);
	char comm[KS_COMM_LEN];

	if (pid && ks_row_get(g, C_TID) != pid && ks_proc_comm(pid, comm))
		ks_row_put_str(g, C_COMM, comm, sizeof(comm));
	cgroup_prepare(g);
}

static const struct ks_col task_cols[NCOLS] = {
	[C_PID] = { "pid", "PID", KS_COL_COUNT, KS_COL_LABEL | KS_COL_LEFT, 7 },
	[C_TID] = { "tid", "TID", KS_COL_COUNT, KS_COL_KEY | KS_COL_LEFT, 7 },
	[C_THREADS] = { "threads", "THREADS", KS_COL_COUNT, KS_COL_LEFT, 7,
			.help = "threads that did something in the period" },
	[C_COMM] = { "comm", "COMM", KS_COL_COMM, 0, KS_COMM_LEN },
	[C_UID] = { "uid", "", KS_COL_COUNT, KS_COL_LABEL | KS_COL_TEXT_HIDE,
		    .help = "the thread's real uid at its last switch-out (a process's: its "
		    "leader's)" },
	[C_CGROUP_ID] = { "cgroup_id", "", KS_COL_COUNT, KS_COL_LABEL | KS_COL_TEXT_HIDE,
			  .help = "the thread's cgroup at its last switch-out: all its counts "
			  "are that cgroup's" },
	/* text with --by cgroup only (tables_new) */
	[C_CGROUP] = { "cgroup", "CGROUP", KS_COL_STR, KS_COL_TEXT_HIDE, 24, .size = 256 },
	KS_CONTAINER_COLS(C_CONTAINER),
	[C_CPU] = { "cpu_ns", "CPU", KS_COL_NS, KS_COL_CUM | KS_COL_HOLD | KS_COL_LEFT, 9,
		    .help = "CPU time: the kernel's se.sum_exec_runtime" },
	[C_SWITCHES] = { "switches", "SWITCHES", KS_COL_COUNT, KS_COL_CUM | KS_COL_LEFT, 8 },
	[C_VOL] = { "voluntary", "VOL", KS_COL_COUNT, KS_COL_CUM | KS_COL_LEFT, 8 },
	[C_INVOL] = { "involuntary", "INVOL", KS_COL_COUNT, KS_COL_CUM | KS_COL_LEFT, 8 },
	[C_UNREPORTED] = { "unreported_switches", "", KS_COL_COUNT,
			   KS_COL_CUM | KS_COL_TEXT_HIDE },
	RUNQ_COLS(C_RUNQ_COUNT),
	[C_CPUS] = { "cpus", "CPUS", KS_COL_CUSTOM, 0, 0, .text = cpus_text, .json = cpus_json },
};

static const int task_text_order[] = { C_PID, C_TID, C_COMM, C_CGROUP, C_CONTAINER, C_THREADS,
				       C_CPU, C_SWITCHES, C_VOL, C_INVOL, C_RUNQ_AVG, C_RUNQ_P50,
				       C_RUNQ_P99, C_RUNQ_MAX, C_CPUS, C_UID, C_CGROUP_ID,
				       C_UNREPORTED, C_RUNQ_COUNT, C_RUNQ_TOTAL, C_RUNQ_HIST,
				       C_CONTAINER_RT };
_Static_assert(ARRAY_SIZE(task_text_order) == NCOLS, "every column in the text order");

static const struct ks_table_desc task_table = {
	.type = "sched_task",
	.cols = task_cols,
	.ncols = NCOLS,
	.key_size = sizeof(struct task_key),
	.text_order = task_text_order,
	.ext_size = sizeof(struct task_ext),
	.visible = task_active,
	.prepare = cgroup_prepare,
	.ext_merge = task_merge,
};

static const int by_pid[] = { C_PID, -1 }, by_cgroup_id[] = { C_CGROUP_ID, -1 };

/* --by process: threads summed into their process, named by its leader */
static const struct ks_table_group by_process = {
	.type = "sched_process",
	.by = by_pid,
	.leader = C_TID,
	.prepare = process_prepare,
};

/* --by cgroup: threads summed into the cgroup each was last seen in */
static const struct ks_table_group by_cgroup = {
	.type = "sched_cgroup",
	.by = by_cgroup_id,
	.leader = -1,
	.prepare = cgroup_prepare,
};

/* Every CPU, every period */
static bool cpu_shown(const struct ks_row *r)
{
	(void)r;
	return true;
}

/* The time a CPU's row covers: between two reads of it on its own clock */
static uint64_t cpu_interval(const struct ks_row *r)
{
	const struct sched_state *st = ks_table_ctx(ks_row_table(r));
	const struct cpu_ent *ce = &st->cpus[*(const uint32_t *)ks_row_key(r)];

	return ce->period_ts && ce->read_ts > ce->period_ts ? ce->read_ts - ce->period_ts : 0;
}

static const struct ks_col cpu_cols[KCOLS] = {
	[K_CPU] = { "cpu", "CPU", KS_COL_COUNT, KS_COL_KEY | KS_COL_LEFT, 4 },
	[K_BUSY] = { "busy_ns", "BUSY", KS_COL_NS, KS_COL_LEFT, 9 },
	[K_IDLE] = { "idle_ns", "IDLE", KS_COL_NS, KS_COL_LEFT, 9 },
	[K_UNKNOWN] = { "unknown_ns", "", KS_COL_NS, KS_COL_TEXT_HIDE },
	[K_SWITCHES] = { "switches", "SWITCHES", KS_COL_COUNT, KS_COL_CUM | KS_COL_LEFT, 8 },
	RUNQ_COLS(K_RUNQ_COUNT),
};

static const struct ks_table_desc cpu_table = {
	.type = "sched_cpu",
	.cols = cpu_cols,
	.ncols = KCOLS,
	.key_size = sizeof(uint32_t),
	.visible = cpu_shown,
	.interval = cpu_interval,
};

/* ---- collecting from the kernel ------------------------------------------- */

/* The kernel's runtime of a task, including the slice it is running now */
static int read_schedstat(uint32_t tid, uint64_t *rt)
{
	char path[64];
	unsigned long long v;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%u/schedstat", tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fscanf(f, "%llu", &v) == 1;
	fclose(f);
	*rt = v;
	return ok ? 0 : -EINVAL;
}

static void collect_tasks(struct sched_state *st, uint64_t now)
{
	int fd = bpf_map__fd(st->skel->maps.task_stats);
	struct sched_task_stat v;
	uint32_t key, *prev = NULL;
	struct ks_vec dead = KS_VEC(uint32_t);

	ks_table_sweep_begin(st->tasks);
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		struct task_key k = {};
		struct task_ext *x;
		struct ks_row *r;
		uint64_t cpu_ns, grew;

		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		k.tid = v.tid;
		k.start_ns = v.start_ns;
		r = ks_table_row(st->tasks, &k);
		if (!r)
			break;
		x = ks_row_ext(r);
		ks_row_put(r, C_PID, v.pid);
		ks_row_put(r, C_TID, v.tid);
		ks_row_put(r, C_THREADS, 1);
		ks_row_put_str(r, C_COMM, v.comm, sizeof(v.comm));
		ks_row_put(r, C_UID, v.uid);
		ks_row_put(r, C_CGROUP_ID, v.cgroup_id);
		for (int i = 0; i < SCHED_CPU_WORDS; i++)
			x->cpus[i] |= v.cpus[i];
		cpu_ns = v.rt_last - v.rt_base;
		if (v.on_cpu) {
			/*
			 * On a CPU now: its running slice is not accounted yet.
			 * /proc has it exactly (at most one such task per CPU);
			 * failing that (another pid namespace), estimate it in
			 * wall time if the CPU still runs it: an estimate the
			 * kernel may account lower later (KS_COL_HOLD).
			 */
			uint64_t rt = 0;

			if (!read_schedstat(v.tid, &rt) && rt >= v.rt_last)
				cpu_ns = rt - v.rt_base;
			else if (v.last_cpu < (uint32_t)st->ncpus &&
				 st->cpus[v.last_cpu].cur_tid == v.tid && now > v.last_in_ns)
				cpu_ns += now - v.last_in_ns;
		}
		ks_row_put(r, C_CPU, cpu_ns);
		ks_row_put(r, C_SWITCHES, v.switches);
		ks_row_put(r, C_VOL, v.voluntary);
		ks_row_put(r, C_INVOL, v.involuntary);
		ks_row_put(r, C_RUNQ_COUNT, v.runq_count);
		ks_row_put(r, C_RUNQ_TOTAL, v.runq_total_ns);
		ks_row_put_hist(r, C_RUNQ_HIST, v.runq_hist);	/* before the max it bounds */
		ks_row_put(r, C_RUNQ_MAX, v.runq_max_ns);
		grew = ks_row_get(r, C_UNREPORTED);
		ks_row_put(r, C_UNREPORTED, v.unreported);
		grew = ks_row_get(r, C_UNREPORTED) - grew;
		x->unreported += grew;
		st->unreported += grew;
		if (x->unreported > st->worst_n) {
			st->worst_n = x->unreported;
			st->worst_tid = v.tid;
			memcpy(st->worst_comm, v.comm, sizeof(st->worst_comm));
		}
		/*
		 * After its last switch-out an exited task changes no more, but
		 * this read may have caught that switch-out on another CPU half
		 * done (on_cpu cleared, its voluntary count not in yet: the copy
		 * is not atomic). Seen exited and off its CPU at the read before
		 * too, what was read now is final: its entry can go.
		 */
		if (v.exited && !v.on_cpu) {
			if (x->exit_seen)
				ks_vec_push(&dead, &key);	/* no memory: at the next read */
			x->exit_seen = true;
		}
	}
	ks_map_delete_keys(fd, &dead);
	/* not in the map any more (exited, or its tid was reused): shown once more */
	ks_table_sweep(st->tasks);
}

/*
 * A CPU's counters: copied on that CPU by cpu_snapshot (whole, and taken
 * at *ts on its own clock), or, where the kernel cannot run a program on a
 * given CPU (before 5.10), read from here with *ts = now: then a switch may
 * have happened after now, and on a weakly ordered CPU the read may even
 * see one half done.
 */
static int read_cpu(struct sched_state *st, uint32_t cpu, uint64_t now,
		    struct sched_cpu_stat *v, uint64_t *ts)
{
	struct sched_cpu_snap sn;

	if (st->snap_fd >= 0) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu);

		if (!bpf_prog_test_run_opts(st->snap_fd, &o) &&
		    !bpf_map_lookup_elem(bpf_map__fd(st->skel->maps.cpu_snaps), &cpu, &sn)) {
			*v = sn.stat;
			*ts = sn.ts;
			return 0;
		}
		if (errno != EINVAL && errno != ENOTSUPP && errno != EOPNOTSUPP)
			return -errno;
		st->snap_fd = -1;	/* this kernel cannot: read directly from now on */
	}
	*ts = now;
	return bpf_map_lookup_elem(bpf_map__fd(st->skel->maps.cpu_stats), &cpu, v) ? -errno : 0;
}

static int time_bucket(uint8_t what)
{
	return what == SCHED_CUR_SELECTED ? CPU_BUSY : what == SCHED_CUR_IDLE ? CPU_IDLE :
	       what == SCHED_CUR_UNKNOWN ? CPU_UNKNOWN : -1;
}

/* Busy, idle and unknown time of a CPU up to ts, from its counters */
static void cpu_times(const struct sched_cpu_stat *v, uint64_t ts, uint64_t t[CPU_TIMES])
{
	int cur = v->cur == SCHED_CUR_UNKNOWN ? -1 : time_bucket(v->cur);
	int prev = time_bucket(v->prev);

	t[CPU_BUSY] = v->busy_ns;
	t[CPU_IDLE] = v->idle_ns;
	t[CPU_UNKNOWN] = v->unknown_ns;
	if (ts >= v->last_ts) {
		if (cur >= 0)
			t[cur] += ts - v->last_ts;	/* the slice in progress */
	} else if (prev >= 0) {
		/*
		 * Read directly: the CPU switched after ts. The slice that
		 * ended then was counted up to last_ts; its part after ts
		 * belongs to the next period (which gets it back, the counters
		 * being cumulative), so a period never holds more than its time.
		 */
		uint64_t over = v->last_ts - ts;

		t[prev] -= over < t[prev] ? over : t[prev];
	}
}

static void collect_cpus(struct sched_state *st, uint64_t now)
{
	for (uint32_t c = 0; c < (uint32_t)st->ncpus; c++) {
		struct cpu_ent *ce = &st->cpus[c];
		struct ks_row *r = ks_table_find(st->cpu_table, &c);
		struct sched_cpu_stat v;
		uint64_t t[CPU_TIMES], ts = now;

		/* read even before its first switch: its period starts at this read */
		if (!r || read_cpu(st, c, now, &v, &ts))
			continue;
		ce->cur_tid = v.cur_tid;
		ce->read_ts = ts;
		cpu_times(&v, ts, t);
		if (t[CPU_UNKNOWN] > ce->time_last[CPU_UNKNOWN])
			st->unknown_ns += t[CPU_UNKNOWN] - ce->time_last[CPU_UNKNOWN];
		memcpy(ce->time_last, t, sizeof(t));
		ks_row_put(r, K_SWITCHES, v.switches);
		ks_row_put(r, K_RUNQ_COUNT, v.runq_count);
		ks_row_put(r, K_RUNQ_TOTAL, v.runq_total_ns);
		ks_row_put_hist(r, K_RUNQ_HIST, v.runq_hist);
		ks_row_put(r, K_RUNQ_MAX, v.runq_max_ns);
	}
}

/*
 * A CPU's busy, idle and unknown time in this period. The slice running at
 * a read was counted for the task on the CPU; if that task then turns out to
 * have left unseen (an unreported switch), the slice becomes unknown time
 * after the fact, and busy time can go back. The period's total stays
 * exact: what a time went back by is taken from what grew in its place.
 */
static void cpu_period_times(const struct cpu_ent *ce, uint64_t d[CPU_TIMES])
{
	static const int order[] = { CPU_UNKNOWN, CPU_IDLE, CPU_BUSY };
	uint64_t deficit = 0;

	for (int i = 0; i < CPU_TIMES; i++) {
		if (ce->time_last[i] >= ce->time_start[i]) {
			d[i] = ce->time_last[i] - ce->time_start[i];
		} else {
			deficit += ce->time_start[i] - ce->time_last[i];
			d[i] = 0;
		}
	}
	for (size_t k = 0; k < ARRAY_SIZE(order) && deficit; k++) {
		uint64_t take = deficit < d[order[k]] ? deficit : d[order[k]];

		d[order[k]] -= take;
		deficit -= take;
	}
}

static int hist_cmp(const void *a, const void *b)
{
	const struct hist_ent *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static void collect_hists(struct sched_state *st)
{
	int fd = bpf_map__fd(st->skel->maps.runq_log2);
	struct sched_log2 v;
	uint64_t key, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		struct hist_ent probe = { .key = key }, *h;

		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		h = st->nhists ? bsearch(&probe, st->hists, st->nhists, sizeof(*h), hist_cmp) : NULL;
		if (!h) {
			struct hist_ent *n = realloc(st->hists, (st->nhists + 1) * sizeof(*n));

			if (!n)
				return;
			st->hists = n;
			h = &n[st->nhists++];
			memset(h, 0, sizeof(*h));
			h->key = key;
			qsort(st->hists, st->nhists, sizeof(*h), hist_cmp);
			h = bsearch(&probe, st->hists, st->nhists, sizeof(*h), hist_cmp);
		}
		for (int i = 0; i < KS_LOG2_SLOTS; i++) {
			if (v.slots[i] > h->snap[i])
				h->acc[i] += v.slots[i] - h->snap[i];
			h->snap[i] = v.slots[i];
		}
	}
}

static void collect(struct sched_state *st, uint64_t now)
{
	static const struct task_key exited = {};
	struct ks_row *r;

	collect_cpus(st, now);		/* first: the tasks use what runs where */
	collect_tasks(st, now);
	if (st->hist_view)
		collect_hists(st);
	/*
	 * Too many exited tasks to keep apart: shown grouped, those of a
	 * group into one row of it (they still count for their process or
	 * cgroup); if that is not enough, one row for them all.
	 */
	if (st->grouped)
		ks_table_fold_gone_groups(st->tasks, MAX_GONE_TASKS);
	r = ks_table_fold_gone(st->tasks, MAX_GONE_TASKS, &exited);
	if (r) {
		ks_row_put(r, C_PID, 0);
		ks_row_put(r, C_TID, 0);
		ks_row_put_str(r, C_COMM, "(exited)", 8);
	}
}

static void new_period(struct sched_state *st, uint64_t now);

static void sched_housekeeping(void *state)
{
	collect(state, ks_now_ns(CLOCK_MONOTONIC));
}

/* ---- printing ----------------------------------------------------------- */

static void fmt_cpus(char *buf, size_t cap, const uint64_t *cpus)
{
	size_t n = 0;
	int run = -1;

	buf[0] = '\0';
	for (int c = 0; c <= 64 * SCHED_CPU_WORDS; c++) {
		bool on = c < 64 * SCHED_CPU_WORDS && (cpus[c / 64] >> (c % 64) & 1);

		if (on && run < 0)
			run = c;
		if (!on && run >= 0 && n < cap) {
			n += snprintf(buf + n, cap - n, "%s%d", n ? "," : "", run);
			if (c - 1 > run && n < cap)
				n += snprintf(buf + n, cap - n, "-%d", c - 1);
			run = -1;
		}
	}
}

static const char *hist_by_name(int by)
{
	return by == SCHED_HIST_PROCESS ? "process" : by == SCHED_HIST_CGROUP ? "cgroup" : "all";
}

/* The comm of a process: its leader's, from /proc, or any of its threads' */
static const char *process_comm(struct sched_state *st, uint32_t pid)
{
	static char from_proc[KS_COMM_LEN];
	const char *any = NULL;
	size_t len;

	for (struct ks_row *r = ks_table_next(st->tasks, NULL); r; r = ks_table_next(st->tasks, r)) {
		if (ks_row_get(r, C_PID) != pid)
			continue;
		if (ks_row_get(r, C_TID) == pid)
			return ks_row_str(r, C_COMM, &len);
		any = ks_row_str(r, C_COMM, &len);
	}
	return ks_proc_comm(pid, from_proc) ? from_proc : any;
}

static void print_hists(struct sched_state *st, struct ks_out *o, uint64_t now, uint64_t period)
{
	for (size_t i = 0; i < st->nhists; i++) {
		struct hist_ent *h = &st->hists[i];
		const char *comm = st->by == SCHED_HIST_PROCESS ? process_comm(st, h->key) : NULL;
		uint64_t total = 0;

		for (int s = 0; s < KS_LOG2_SLOTS; s++)
			total += h->acc[s];
		if (!total)
			continue;
		if (o->json) {
			ks_log2_json_begin(o, "runq_latency", "us", now, period);
			ks_json_kv_str(o, "by", hist_by_name(st->by), 16);
			if (st->by == SCHED_HIST_PROCESS) {
				ks_json_kv_u64(o, "pid", h->key);
				if (comm)
					ks_json_kv_str(o, "comm", comm, KS_COMM_LEN);
				else
					ks_json_kv_null(o, "comm");
			} else if (st->by == SCHED_HIST_CGROUP) {
				ks_json_kv_u64(o, "cgroup_id", h->key);
			}
			ks_json_kv_u64(o, "count", total);
			ks_log2_json_buckets(o, h->acc);
			ks_json_end(o);
			continue;
		}
		if (st->by == SCHED_HIST_PROCESS) {
			ks_out_sep(o);
			ks_out_printf(o, "pid = %llu ", (unsigned long long)h->key);
			if (comm)
				ks_out_text(o, comm, KS_COMM_LEN);
			ks_out_char(o, '\n');
		} else if (st->by == SCHED_HIST_CGROUP) {
			ks_out_sep(o);
			ks_out_printf(o, "cgroup_id = %llu\n", (unsigned long long)h->key);
		}
		ks_log2_print(o, h->acc, "usecs");
	}
}

/* Print the period and start a new one */
static void report(struct sched_state *st, struct ks_out *o)
{
	uint64_t now = ks_now_ns(CLOCK_MONOTONIC), period = now - st->period_start;
	struct ks_sink sink;

	collect(st, now);
	if (!o->json && st->interval_mode)
		ks_out_time_heading(o);
	if (st->hist_view) {
		print_hists(st, o, now, period);
	} else if (st->cpu_view) {
		for (uint32_t c = 0; c < (uint32_t)st->ncpus; c++) {
			struct ks_row *r = ks_table_find(st->cpu_table, &c);
			uint64_t t[CPU_TIMES];

			if (!r)
				continue;
			cpu_period_times(&st->cpus[c], t);
			ks_row_put(r, K_BUSY, t[CPU_BUSY]);
			ks_row_put(r, K_IDLE, t[CPU_IDLE]);
			ks_row_put(r, K_UNKNOWN, t[CPU_UNKNOWN]);
		}
		ks_sink_init(&sink, o, now, period);
		ks_table_render(st->cpu_table, &sink);
	} else {
		ks_sink_init(&sink, o, now, period);
		ks_table_render(st->tasks, &sink);
	}
	new_period(st, now);
}

/* Start a period at @now: the tables' sums to 0, what is gone dropped */
static void new_period(struct sched_state *st, uint64_t now)
{
	ks_table_new_period(st->tasks);
	ks_table_new_period(st->cpu_table);
	for (int c = 0; c < st->ncpus; c++) {
		memcpy(st->cpus[c].time_start, st->cpus[c].time_last, sizeof(st->cpus[c].time_last));
		st->cpus[c].period_ts = st->cpus[c].read_ts;
	}
	for (size_t i = 0; i < st->nhists; i++)
		memset(st->hists[i].acc, 0, sizeof(st->hists[i].acc));
	st->period_start = now;
}

/* ---- --timeline: Chrome trace-event JSON -------------------------------- */

static const char *state_name(uint32_t s)
{
	switch (s) {
	case 0x000: return "R";
	case 0x001: return "S";
	case 0x002: return "D";
	case 0x004: return "T";
	case 0x008: return "t";
	case 0x010: return "X";
	case 0x020: return "Z";
	case 0x040: return "P";
	case 0x080: return "I";
	case SCHED_STATE_PREEMPTED: return "R+";
	}
	return "?";
}

/* trace-event timestamps: microseconds since the start, ns precision */
static uint64_t tl_ts(struct sched_state *st, uint64_t ts_ns)
{
	return ts_ns > st->tl.t0_ns ? ts_ns - st->tl.t0_ns : 0;
}

static void tl_meta(struct ks_out *o, const char *what, int tid, const char *name, int sort)
{
	ks_json_begin(o);
	ks_json_kv_str(o, "name", what, strlen(what));
	ks_json_kv_str(o, "ph", "M", 1);
	ks_json_kv_u64(o, "pid", 0);
	if (tid >= 0)
		ks_json_kv_u64(o, "tid", tid);
	ks_json_key(o, "args");
	ks_json_begin(o);
	if (sort >= 0)
		ks_json_kv_u64(o, "sort_index", sort);
	else
		ks_json_kv_str(o, "name", name, strlen(name));
	ks_json_end(o);
	ks_json_end(o);
}

static int tl_open(struct sched_state *st)
{
	struct ks_out *o = &st->tl;
	char name[32];

	st->tl_cpus = calloc(st->ncpus, sizeof(*st->tl_cpus));
	if (!st->tl_cpus || ks_out_init(o, st->tl_file.fd, true, false))
		return -ENOMEM;
	if (ks_outfile_begin(&st->tl_file)) {
		ks_errorf("kscope: cannot empty timeline file '%s': %s", st->timeline,
			  strerror(errno));
		return -EIO;
	}
	st->tl_on = true;
	ks_out_cstr(o, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
	o->depth = 1;		/* inside the array: the builder adds the commas */
	o->comma[1] = false;
	tl_meta(o, "process_name", -1, "CPUs", -1);
	for (int c = 0; c < st->ncpus; c++) {
		snprintf(name, sizeof(name), "CPU %d", c);
		tl_meta(o, "thread_name", c, name, -1);
		tl_meta(o, "thread_sort_index", c, NULL, c);
	}
	return 0;
}

/*
 * A trace event's members up to its args, the args object left open: a
 * slice of a task on a CPU (ph X, with its duration) or an instant on that
 * CPU's track (ph i, scope thread). The CPU is the track: pid 0, tid cpu.
 */
static void tl_event(struct ks_out *o, const char *name, size_t len, bool instant, uint64_t ts,
		     uint64_t dur, int cpu, uint32_t pid, uint32_t tid, const char comm[KS_COMM_LEN])
{
	ks_json_begin(o);
	ks_json_kv_str(o, "name", name, len);
	ks_json_kv_str(o, "cat", "sched", 5);
	ks_json_kv_str(o, "ph", instant ? "i" : "X", 1);
	if (instant)
		ks_json_kv_str(o, "s", "t", 1);
	ks_json_kv_milli(o, "ts", ts);
	if (!instant)
		ks_json_kv_milli(o, "dur", dur);
	ks_json_kv_u64(o, "pid", 0);
	ks_json_kv_u64(o, "tid", cpu);
	ks_json_key(o, "args");
	ks_json_begin(o);
	ks_json_kv_u64(o, "pid", pid);
	ks_json_kv_u64(o, "tid", tid);
	ks_json_kv_str(o, "comm", comm, KS_COMM_LEN);
}

static void tl_slice(struct sched_state *st, int cpu, uint64_t end_ns, const char *end_state)
{
	struct tl_cpu *c = &st->tl_cpus[cpu];
	struct ks_out *o = &st->tl;
	uint64_t ts = tl_ts(st, c->start_ns), end = tl_ts(st, end_ns);

	if (!c->open)
		return;
	c->open = false;
	tl_event(o, c->comm, sizeof(c->comm), false, ts, end > ts ? end - ts : 0, cpu,
		 c->pid, c->tid, c->comm);
	if (end_state)
		ks_json_kv_str(o, "end_state", end_state, 3);
	ks_json_end(o);
	ks_json_end(o);
}

static void tl_switch(struct sched_state *st, const struct sched_switch_event *e)
{
	struct tl_cpu *c;
	uint32_t cpu = e->hdr.cpu;

	/* unsigned: a cpu past INT_MAX (a malformed record) is no negative index */
	if (cpu >= (uint32_t)st->ncpus)
		return;
	c = &st->tl_cpus[cpu];
	tl_slice(st, cpu, e->hdr.ts_ns, state_name(e->prev_state));
	if ((e->hdr.flags & SCHED_F_NEXT_SELECTED) && e->next_tid) {
		c->open = true;
		c->pid = e->next_pid;
		c->tid = e->next_tid;
		memcpy(c->comm, e->next_comm, sizeof(c->comm));
		c->start_ns = e->hdr.ts_ns;
	}
}

static void tl_wakeup(struct sched_state *st, const struct sched_wakeup_event *e)
{
	struct ks_out *o = &st->tl;
	int cpu = e->target_cpu >= 0 && e->target_cpu < st->ncpus ? e->target_cpu : (int)e->hdr.cpu;
	char name[48];

	snprintf(name, sizeof(name), "%s %.16s", e->new_task ? "wakeup_new" : "wakeup", e->comm);
	tl_event(o, name, sizeof(name), true, tl_ts(st, e->hdr.ts_ns), 0, cpu, e->pid, e->tid,
		 e->comm);
	ks_json_kv_u64(o, "waker_pid", e->hdr.pid);
	ks_json_kv_u64(o, "waker_tid", e->hdr.tid);
	ks_json_kv_str(o, "waker_comm", e->hdr.comm, sizeof(e->hdr.comm));
	ks_json_end(o);
	ks_json_end(o);
}

/* The end of the timeline: -1 if it could not all be written (said on stderr) */
static int tl_close(struct sched_state *st)
{
	struct ks_out *o = &st->tl;
	uint64_t end = ks_now_ns(CLOCK_MONOTONIC);
	bool failed;

	if (!st->tl_on)
		return 0;
	if (st->last_ts > end)
		end = st->last_ts;
	for (int c = 0; c < st->ncpus; c++)
		tl_slice(st, c, end, NULL);
	o->depth = 0;
	ks_out_cstr(o, "\n]}\n");
	ks_out_flush(o);
	failed = ks_out_failed(o, st->timeline, NULL);
	ks_out_free(o);
	ks_outfile_close(&st->tl_file);
	st->tl_on = false;
	return failed ? -1 : 0;
}

/* ---- the tracer --------------------------------------------------------- */

static const struct ks_probe sched_probes[] = {
	{ "switch", { KS_PROG(sched_bpf, handle_switch_btf), KS_PROG(sched_bpf, handle_switch_raw),
		      KS_PROG(sched_bpf, handle_switch_tp) } },
	{ "wakeup", { KS_PROG(sched_bpf, handle_wakeup_btf), KS_PROG(sched_bpf, handle_wakeup_raw),
		      KS_PROG(sched_bpf, handle_wakeup_tp) } },
	{ "wakeup-new", { KS_PROG(sched_bpf, handle_wakeup_new_btf),
			  KS_PROG(sched_bpf, handle_wakeup_new_raw),
			  KS_PROG(sched_bpf, handle_wakeup_new_tp) } },
	{ "exit", { KS_PROG(sched_bpf, handle_exit_btf), KS_PROG(sched_bpf, handle_exit_raw),
		    KS_PROG(sched_bpf, handle_exit_tp) } },
	{ "exec", { KS_PROG(sched_bpf, handle_exec_btf), KS_PROG(sched_bpf, handle_exec_raw),
		    KS_PROG(sched_bpf, handle_exec_tp) } },
};

static int sched_configure(void *state, void *skel)
{
	struct sched_state *st = state;
	struct sched_bpf *s = skel;

	s->rodata->hist_by = st->hist_view ? st->by : SCHED_HIST_OFF;
	s->rodata->emit_switch = st->events || st->timeline;
	s->rodata->emit_wakeup = st->timeline != NULL;
	return bpf_map__set_max_entries(s->maps.cpu_stats, st->ncpus) ?:
	       bpf_map__set_max_entries(s->maps.cpu_snaps, st->ncpus);
}

static int sched_start(void *state, void *skel, struct ks_out *o)
{
	struct sched_state *st = state;

	st->skel = skel;
	/* KSCOPE_NO_RUN_ON_CPU=1: read as on kernels before 5.10 (docs/testing.md) */
	st->snap_fd = getenv("KSCOPE_NO_RUN_ON_CPU") ? -1 :
		      bpf_program__fd(st->skel->progs.cpu_snapshot);
	st->cpus = calloc(st->ncpus, sizeof(*st->cpus));
	if (!st->cpus)
		return -ENOMEM;
	/*
	 * The programs have been counting since they were attached: take that
	 * as the baseline so the first period, like every other, holds only
	 * what happened within its interval_ns.
	 */
	st->period_start = ks_now_ns(CLOCK_MONOTONIC);
	collect(st, st->period_start);
	new_period(st, st->period_start);
	/* what the kernel left unreported counts from here, as everything else */
	st->unreported = st->unknown_ns = st->worst_n = 0;
	for (struct ks_row *r = ks_table_next(st->tasks, NULL); r; r = ks_table_next(st->tasks, r))
		((struct task_ext *)ks_row_ext(r))->unreported = 0;
	if (st->timeline && tl_open(st))
		return -EIO;
	if (st->timeline)
		st->tl.t0_ns = o->t0_ns;
	if (st->events)
		ks_rec_header(o);
	return 0;
}

static int sched_event(void *state, struct ks_out *o, const void *data, size_t size)
{
	struct sched_state *st = state;
	const struct ks_hdr *h = data;

	if (size < sizeof(*h))
		return -EINVAL;
	if (h->ts_ns > st->last_ts)
		st->last_ts = h->ts_ns;
	if (h->type == SCHED_EV_SWITCH && size >= sizeof(struct sched_switch_event)) {
		const struct sched_switch_event *e = data;

		if (st->tl_on)
			tl_switch(st, e);
		if (st->events) {
			ks_rec_begin(o, "switch", h);
			ks_rec_str(o, "prev_state", state_name(e->prev_state), 3, 0);
			ks_rec_s64(o, "prev_prio", e->prev_prio, KS_TXT_HIDE);
			ks_rec_str(o, "next_comm", e->next_comm, sizeof(e->next_comm), 0);
			ks_rec_u64(o, "next_pid", e->next_pid, 0);
			ks_rec_u64(o, "next_tid", e->next_tid, 0);
			ks_rec_s64(o, "next_prio", e->next_prio, KS_TXT_HIDE);
			ks_rec_end(o);
		}
		return 0;
	}
	if (h->type == SCHED_EV_WAKEUP && size >= sizeof(struct sched_wakeup_event)) {
		if (st->tl_on)
			tl_wakeup(st, data);
		return 0;
	}
	return -EINVAL;
}

static int sched_report(void *state, struct ks_out *o, unsigned flags)
{
	struct sched_state *st = state;

	report(st, o);
	st->ended = flags & KS_REPORT_END;
	return 0;
}

/*
 * Some kernels switch tasks without a sched_switch event (sched.bpf.c).
 * Say so only when the numbers shown are affected: a selected task's
 * switch went unreported (its counts are low), or, per CPU, time could not
 * be told busy or idle.
 */
static void warn_unreported(struct sched_state *st)
{
	char t[32];

	if (st->cpu_view) {
		if (!st->unknown_ns)
			return;
		ks_fmt_ns(t, sizeof(t), st->unknown_ns);
		fprintf(stderr, "kscope: the kernel switched tasks without reporting it "
			"(sched_switch): %s of CPU time after those switches is counted neither "
			"busy nor idle (\"unknown_ns\" with -j)\n", t);
		return;
	}
	if (!st->unreported)
		return;
	if (st->hist_view) {
		fprintf(stderr, "kscope: the kernel did not report %llu switches in or out of the "
			"traced tasks (sched_switch): up to that many run-queue latencies are "
			"missing\n", (unsigned long long)st->unreported);
		return;
	}
	/* a part's rows go to another command's sink (top, container): no switch counts there */
	if (st->opts->sink)
		return;
	ks_errorf("kscope: the kernel did not report %llu switches in or out of the traced "
		  "tasks (sched_switch; most: tid %u %.*s, %llu): their SWITCHES, VOL and INVOL "
		  "are low by that much (\"unreported_switches\" with -j); CPU time is the "
		  "kernel's own and exact", (unsigned long long)st->unreported, st->worst_tid,
		  KS_COMM_LEN, st->worst_comm, (unsigned long long)st->worst_n);
}

static int sched_finish(void *state, struct ks_out *o)
{
	struct sched_state *st = state;

	int err = tl_close(st);

	(void)o;
	/* the last of [count] intervals was reported before the end: what came since */
	if (!st->ended)
		collect(st, ks_now_ns(CLOCK_MONOTONIC));
	warn_unreported(st);
	return err;
}

static const char *const sched_aux_progs[] = { KS_PROG(sched_bpf, cpu_snapshot), NULL };

const struct ks_tracer sched_tracer = {
	KS_TRACER(sched, "the scheduler"),
	.aux_progs = sched_aux_progs,
	.configure = sched_configure,
	KS_TRACER_SUMMARY(sched),
};

/* ---- command line ------------------------------------------------------- */

enum { OPT_BY = 0x200, OPT_HIST, OPT_CPU, OPT_EVENTS, OPT_TIMELINE };

static const struct ks_cli_opt sched_opts[] = {
	{ "by", OPT_BY, "KIND", "thread (default), process or cgroup (a thread counts in its "
	  "latest cgroup)" },
	{ "hist", OPT_HIST, NULL, "run-queue latency as a log2 histogram (all, --by process or cgroup)",
	  KS_CLI_SET(struct sched_state, hist_view) },
	{ "cpu", OPT_CPU, NULL, "per-CPU view: busy and idle time, switches, run-queue latency",
	  KS_CLI_SET(struct sched_state, cpu_view) },
	{ "events", OPT_EVENTS, NULL, "also stream every context switch",
	  KS_CLI_SET(struct sched_state, events) },
	{ "timeline", OPT_TIMELINE, "FILE", "write a Chrome/Perfetto trace of the run to FILE" },
	{ "sort", 's', "KEY", "order rows by cpu (default), switches, runq or runq_max" },
	{ "top", 'n', "N", "show the first N rows only" },
	{ 0 }
};

static struct ks_cli sched_cli;

static int sched_parse(void *state, int key, const char *arg)
{
	struct sched_state *st = state;

	switch (key) {
	case OPT_BY:
		if (!strcmp(arg, "thread") || !strcmp(arg, "task"))
			st->by = SCHED_HIST_ALL;
		else if (!strcmp(arg, "process"))
			st->by = SCHED_HIST_PROCESS;
		else if (!strcmp(arg, "cgroup"))
			st->by = SCHED_HIST_CGROUP;
		else
			break;
		return 0;
	case OPT_TIMELINE:
		st->timeline = arg;
		return 0;
	}
	ks_cli_error(&sched_cli, "invalid value '%s' for --by", arg);
	return -1;
}

static const struct ks_cli_conflict sched_conflicts[] = {
	{ OPT_HIST, OPT_CPU, "they are different views: choose one" },
	{ OPT_HIST, 's', "a histogram has no rows to sort" },
	{ OPT_HIST, 'n', "a histogram has no rows to cut" },
	{ OPT_CPU, 's', "the per-CPU view lists every CPU in order" },
	{ OPT_CPU, 'n', "the per-CPU view lists every CPU" },
	{ OPT_CPU, OPT_BY, "the per-CPU view has a row per CPU" },
	{ 0 }
};

/* The tables, as the options want them shown; a row for each CPU */
static int tables_new(struct sched_state *st)
{
	static const int sort_cols[] = { [SORT_CPU] = C_CPU, [SORT_SWITCHES] = C_SWITCHES,
					 [SORT_RUNQ] = C_RUNQ_TOTAL, [SORT_RUNQ_MAX] = C_RUNQ_MAX };
	bool proc = st->by == SCHED_HIST_PROCESS, cg = st->by == SCHED_HIST_CGROUP && !st->hist_view;

	/* a cgroup's rows are known by its path: in text too */
	memcpy(st->cols, task_cols, sizeof(task_cols));
	if (cg)
		st->cols[C_CGROUP].flags &= ~KS_COL_TEXT_HIDE;
	st->desc = task_table;
	st->desc.cols = st->cols;
	st->grouped = proc || cg;
	st->tasks = ks_table_new(&st->desc);
	st->cpu_table = ks_table_new(&cpu_table);
	if (!st->tasks || !st->cpu_table)
		return -ENOMEM;
	ks_table_set_ctx(st->tasks, st);
	ks_table_set_ctx(st->cpu_table, st);
	ks_table_group(st->tasks, proc ? &by_process : cg ? &by_cgroup : NULL);
	ks_table_hide(st->tasks, C_PID, cg);
	ks_table_hide(st->tasks, C_TID, st->grouped);
	ks_table_hide(st->tasks, C_COMM, cg);
	ks_table_hide(st->tasks, C_UID, cg);
	ks_table_hide(st->tasks, C_THREADS, !st->grouped);
	ks_table_show_container(st->tasks, C_CONTAINER, st->opts->container && cg);
	ks_table_sort(st->tasks, sort_cols[st->sort]);
	ks_table_top(st->tasks, st->top);
	for (uint32_t c = 0; c < (uint32_t)st->ncpus; c++) {
		struct ks_row *r = ks_table_row(st->cpu_table, &c);

		if (!r)
			return -ENOMEM;
		ks_row_put(r, K_CPU, c);
	}
	return 0;
}

static int sched_setup(void *state, struct ks_opts *o)
{
	struct sched_state *st = state;

	if (o->container && !st->events &&
	    (st->by != SCHED_HIST_CGROUP || st->hist_view || st->cpu_view)) {
		ks_cli_error(&sched_cli, "-C names the container of each event record or --by "
			     "cgroup row: it needs --events, or --by cgroup without --hist");
		return KS_EXIT_USAGE;
	}
	if (st->timeline) {
		const char *why;
		int err = ks_outfile_open(&st->tl_file, st->timeline, &why);

		if (err) {
			ks_cli_error(&sched_cli, "cannot write timeline '%s': %s", st->timeline,
				     why ? why : strerror(-err));
			return KS_EXIT_USAGE;
		}
		if (ks_outfile_same(&st->tl_file, &o->outfile)) {
			ks_cli_error(&sched_cli, "--timeline and -o name the same file: '%s'",
				     st->timeline);
			return KS_EXIT_USAGE;
		}
	}
	st->opts = o;
	st->interval_mode = o->interval_s > 0;
	st->ncpus = ks_possible_cpus();
	return tables_new(st) ? KS_EXIT_FAIL : 0;
}

static int sched_teardown(void *state, int rc)
{
	struct sched_state *st = state;

	/* a run that ended early: its timeline is still closed (and said if it failed) */
	if (tl_close(st))
		rc = KS_EXIT_FAIL;
	ks_outfile_close(&st->tl_file);
	ks_table_free(st->tasks);
	ks_table_free(st->cpu_table);
	free(st->cpus);
	free(st->hists);
	free(st->tl_cpus);
	return rc;
}

static struct ks_cli sched_cli = {
	.cmd = "sched",
	.summary = "Scheduler view: CPU time, context switches and run-queue latency per task, process, cgroup or CPU.",
	.details =
	"Aggregated in the kernel; printed every interval, or once at the end. CPU time is\n"
	"the kernel's own per-task runtime (as in /proc/PID/task/TID/schedstat). Run-queue\n"
	"latency is the time from becoming runnable (wakeup, fork, preemption) to running;\n"
	"its p50/p99 are within 12.5%; the max is exact. --by cgroup sums each thread\n"
	"into the cgroup it was in at its latest switch-out (cgroup v2, or v1 cpu without\n"
	"v2): a thread that moved counts all its numbers in its latest cgroup; with -C\n"
	"each cgroup's row names its container.",
	.examples =
	"  kscope sched                          # per-thread summary at Ctrl-C\n"
	"  kscope sched 1 5 --by process         # per process, every second, 5 times\n"
	"  kscope sched --by cgroup -d 10        # per cgroup, over 10 seconds\n"
	"  kscope sched --hist --by process -d 5 # run-queue latency histograms\n"
	"  kscope sched --cpu 2                  # per-CPU busy/idle every 2 seconds\n"
	"  kscope sched --timeline t.json -- make   # open t.json in ui.perfetto.dev\n",
	KS_CLI_OF(sched),
	/* -s KEY: in enum sort_key's order */
	KS_CLI_SORT(struct sched_state, sort, top, "cpu", "switches", "runq", "runq_max"),
	.flags = KS_CLI_TRACE | KS_CLI_INTERVAL | KS_CLI_PROGRAM,
};

KS_COMMAND(sched, struct sched_state, { .by = SCHED_HIST_ALL, .sort = SORT_CPU, .tl_file.fd = -1 })

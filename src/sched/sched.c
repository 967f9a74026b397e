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
#include "../engine/trace.h"
#include "../engine/util.h"
#include "sched.h"
#include "sched.skel.h"

KS_SKEL_OPS(sched_bpf);

#ifndef ENOTSUPP
#define ENOTSUPP 524	/* kernel-internal: what test runs answer where unsupported */
#endif

#define TASK_BUCKETS 4096
#define MAX_GONE_TASKS 16384	/* exited tasks kept apart; more are folded into one row */

/* What a period adds up: the same for a task, a process and a CPU */
struct sums {
	uint64_t cpu_ns;
	uint64_t switches;
	uint64_t voluntary;
	uint64_t involuntary;
	uint64_t unreported;     /* switches in or out the kernel did not report */
	uint64_t runq_count;
	uint64_t runq_total_ns;
	uint64_t runq_max_ns;
	uint32_t hist[KS_LL_SLOTS];
};

struct task_ent {
	uint32_t tid, pid;
	uint64_t start_ns;
	char comm[KS_COMM_LEN];
	uint64_t cpus[SCHED_CPU_WORDS];
	bool seen;          /* in the kernel map at the last read */
	bool gone;          /* its kernel entry is deleted: freed after printing */
	unsigned threads;   /* process rows: threads folded in */
	uint64_t unreported;   /* its unreported switches since the start */
	struct sums snap;   /* cumulative values at the last read */
	struct sums acc;    /* this period */
	struct task_ent *next;
};

enum { CPU_BUSY, CPU_IDLE, CPU_UNKNOWN, CPU_TIMES };

struct cpu_ent {
	struct sums snap, acc;
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

	struct task_ent *buckets[TASK_BUCKETS];
	unsigned ntasks, ngone;
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

/* ---- collecting from the kernel ------------------------------------------- */

static void sums_add_delta(struct sums *acc, struct sums *snap, const struct sums *cur)
{
	uint64_t max = 0;

#define DELTA(f) do { if (cur->f > snap->f) acc->f += cur->f - snap->f; } while (0)
	DELTA(cpu_ns);
	DELTA(switches);
	DELTA(voluntary);
	DELTA(involuntary);
	DELTA(unreported);
	DELTA(runq_count);
	DELTA(runq_total_ns);
#undef DELTA
	for (unsigned i = 0; i < KS_LL_SLOTS; i++) {
		if (cur->hist[i] <= snap->hist[i])
			continue;
		acc->hist[i] += cur->hist[i] - snap->hist[i];
		max = i;
	}
	/*
	 * A maximum cannot be differenced. If the task's all-time maximum rose,
	 * that new maximum happened in this window: exact. Otherwise the
	 * window's largest sample lies in its highest non-empty slot.
	 */
	if (cur->runq_max_ns > snap->runq_max_ns) {
		max = cur->runq_max_ns;
	} else if (cur->runq_count > snap->runq_count) {
		uint64_t lo, hi;

		ks_ll_bounds(max, &lo, &hi);
		max = hi < cur->runq_max_ns ? hi : cur->runq_max_ns;
	} else {
		max = 0;
	}
	if (max > acc->runq_max_ns)
		acc->runq_max_ns = max;
	/* the on-CPU estimate may exceed what the kernel then accounts: never go back */
	if (cur->cpu_ns >= snap->cpu_ns)
		*snap = *cur;
	else {
		uint64_t keep = snap->cpu_ns;

		*snap = *cur;
		snap->cpu_ns = keep;
	}
}

static void sums_merge(struct sums *dst, const struct sums *src)
{
	dst->cpu_ns += src->cpu_ns;
	dst->switches += src->switches;
	dst->voluntary += src->voluntary;
	dst->involuntary += src->involuntary;
	dst->unreported += src->unreported;
	dst->runq_count += src->runq_count;
	dst->runq_total_ns += src->runq_total_ns;
	if (src->runq_max_ns > dst->runq_max_ns)
		dst->runq_max_ns = src->runq_max_ns;
	for (unsigned i = 0; i < KS_LL_SLOTS; i++)
		dst->hist[i] += src->hist[i];
}

static unsigned task_hash(uint32_t tid, uint64_t start)
{
	return (tid * 2654435761u ^ (uint32_t)(start >> 7)) % TASK_BUCKETS;
}

static struct task_ent *task_get(struct sched_state *st, uint32_t tid, uint64_t start)
{
	unsigned h = task_hash(tid, start);
	struct task_ent *e;

	for (e = st->buckets[h]; e; e = e->next)
		if (e->tid == tid && e->start_ns == start)
			return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->tid = tid;
	e->start_ns = start;
	e->next = st->buckets[h];
	st->buckets[h] = e;
	st->ntasks++;
	return e;
}

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
	uint32_t key, *prev = NULL, *dead = NULL;
	size_t ndead = 0, cap = 0;

	for (unsigned b = 0; b < TASK_BUCKETS; b++)
		for (struct task_ent *e = st->buckets[b]; e; e = e->next)
			e->seen = false;
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		struct task_ent *e;
		struct sums cur;

		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		e = task_get(st, v.tid, v.start_ns);
		if (!e)
			break;
		e->seen = true;
		e->pid = v.pid;
		memcpy(e->comm, v.comm, sizeof(e->comm));
		for (int i = 0; i < SCHED_CPU_WORDS; i++)
			e->cpus[i] |= v.cpus[i];
		cur.cpu_ns = v.rt_last - v.rt_base;
		if (v.on_cpu) {
			/*
			 * On a CPU now: its running slice is not accounted yet.
			 * /proc has it exactly (at most one such task per CPU);
			 * failing that (another pid namespace), estimate it in
			 * wall time if the CPU still runs it.
			 */
			uint64_t rt = 0;

			if (!read_schedstat(v.tid, &rt) && rt >= v.rt_last)
				cur.cpu_ns = rt - v.rt_base;
			else if (v.last_cpu < (uint32_t)st->ncpus &&
				 st->cpus[v.last_cpu].cur_tid == v.tid && now > v.last_in_ns)
				cur.cpu_ns += now - v.last_in_ns;
		}
		cur.switches = v.switches;
		cur.voluntary = v.voluntary;
		cur.involuntary = v.involuntary;
		cur.unreported = v.unreported;
		cur.runq_count = v.runq_count;
		cur.runq_total_ns = v.runq_total_ns;
		cur.runq_max_ns = v.runq_max_ns;
		memcpy(cur.hist, v.runq_hist, sizeof(cur.hist));
		{
			uint64_t before = e->acc.unreported;

			sums_add_delta(&e->acc, &e->snap, &cur);
			e->unreported += e->acc.unreported - before;
			st->unreported += e->acc.unreported - before;
		}
		if (e->unreported > st->worst_n) {
			st->worst_n = e->unreported;
			st->worst_tid = v.tid;
			memcpy(st->worst_comm, v.comm, sizeof(st->worst_comm));
		}
		/* after its last switch-out an exited task changes no more */
		if (v.exited && !v.on_cpu) {
			if (ndead == cap) {
				uint32_t *d = realloc(dead, (cap = cap ? cap * 2 : 64) * sizeof(*d));

				if (!d)
					continue;
				dead = d;
			}
			dead[ndead++] = key;
		}
	}
	for (size_t i = 0; i < ndead; i++)
		bpf_map_delete_elem(fd, &dead[i]);
	free(dead);
	/* not in the map any more (exited, or its tid was reused): keep for printing */
	for (unsigned b = 0; b < TASK_BUCKETS; b++)
		for (struct task_ent *e = st->buckets[b]; e; e = e->next)
			if (!e->seen && !e->gone) {
				e->gone = true;
				st->ngone++;
			}
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
	for (int c = 0; c < st->ncpus; c++) {
		struct cpu_ent *ce = &st->cpus[c];
		struct sched_cpu_stat v;
		uint64_t t[CPU_TIMES], ts = now;
		struct sums cur = {};

		/* read even before its first switch: its period starts at this read */
		if (read_cpu(st, c, now, &v, &ts))
			continue;
		ce->cur_tid = v.cur_tid;
		ce->read_ts = ts;
		cpu_times(&v, ts, t);
		if (t[CPU_UNKNOWN] > ce->time_last[CPU_UNKNOWN])
			st->unknown_ns += t[CPU_UNKNOWN] - ce->time_last[CPU_UNKNOWN];
		memcpy(ce->time_last, t, sizeof(t));
		cur.switches = v.switches;
		cur.runq_count = v.runq_count;
		cur.runq_total_ns = v.runq_total_ns;
		cur.runq_max_ns = v.runq_max_ns;
		memcpy(cur.hist, v.runq_hist, sizeof(cur.hist));
		sums_add_delta(&ce->acc, &ce->snap, &cur);
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

/* Fold exited tasks into one row when there are too many to keep apart */
static void fold_gone(struct sched_state *st)
{
	struct task_ent *other;

	if (st->ngone <= MAX_GONE_TASKS)
		return;
	other = task_get(st, 0, 0);
	if (!other)
		return;
	snprintf(other->comm, sizeof(other->comm), "(exited)");
	for (unsigned b = 0; b < TASK_BUCKETS; b++) {
		for (struct task_ent **pp = &st->buckets[b]; *pp;) {
			struct task_ent *e = *pp;

			if (!e->gone || e == other) {
				pp = &e->next;
				continue;
			}
			sums_merge(&other->acc, &e->acc);
			other->threads++;
			*pp = e->next;
			free(e);
			st->ntasks--;
		}
	}
	st->ngone = 0;
}

static void collect(struct sched_state *st, uint64_t now)
{
	collect_cpus(st, now);		/* first: the tasks use what runs where */
	collect_tasks(st, now);
	if (st->hist_view)
		collect_hists(st);
	fold_gone(st);
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

static void json_cpus(struct ks_out *o, const uint64_t *cpus)
{
	ks_json_key(o, "cpus");
	ks_json_arr_begin(o);
	for (int c = 0; c < 64 * SCHED_CPU_WORDS; c++)
		if (cpus[c / 64] >> (c % 64) & 1)
			ks_json_u64(o, c);
	ks_json_arr_end(o);
}

static void json_runq(struct ks_out *o, const struct sums *s)
{
	ks_json_kv_u64(o, "runq_count", s->runq_count);
	ks_json_kv_u64(o, "runq_avg_ns", s->runq_count ? s->runq_total_ns / s->runq_count : 0);
	ks_json_kv_u64(o, "runq_p50_ns", ks_ll_quantile(s->hist, 50, 100, s->runq_max_ns));
	ks_json_kv_u64(o, "runq_p99_ns", ks_ll_quantile(s->hist, 99, 100, s->runq_max_ns));
	ks_json_kv_u64(o, "runq_max_ns", s->runq_max_ns);
}

static void text_ns(struct ks_out *o, uint64_t ns, int width)
{
	char buf[32];

	ks_fmt_ns(buf, sizeof(buf), ns);
	ks_out_printf(o, "%-*s ", width, buf);
}

static void text_runq(struct ks_out *o, const struct sums *s)
{
	if (!s->runq_count) {
		ks_out_printf(o, "%-9s %-9s %-9s %-9s ", "-", "-", "-", "-");
		return;
	}
	text_ns(o, s->runq_total_ns / s->runq_count, 9);
	text_ns(o, ks_ll_quantile(s->hist, 50, 100, s->runq_max_ns), 9);
	text_ns(o, ks_ll_quantile(s->hist, 99, 100, s->runq_max_ns), 9);
	text_ns(o, s->runq_max_ns, 9);
}

static int row_cmp_key(const struct task_ent *a, enum sort_key k, uint64_t *v)
{
	switch (k) {
	case SORT_SWITCHES:
		*v = a->acc.switches;
		break;
	case SORT_RUNQ:
		*v = a->acc.runq_total_ns;
		break;
	case SORT_RUNQ_MAX:
		*v = a->acc.runq_max_ns;
		break;
	default:
		*v = a->acc.cpu_ns;
	}
	return 0;
}

static enum sort_key g_sort;

static int row_cmp(const void *pa, const void *pb)
{
	const struct task_ent *a = *(struct task_ent *const *)pa, *b = *(struct task_ent *const *)pb;
	uint64_t x, y;

	row_cmp_key(a, g_sort, &x);
	row_cmp_key(b, g_sort, &y);
	if (x != y)
		return x > y ? -1 : 1;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

static bool active(const struct sums *s)
{
	return s->cpu_ns || s->switches || s->voluntary || s->involuntary || s->runq_count;
}

/* Rows of the period: per task, or folded per process */
static struct task_ent **period_rows(struct sched_state *st, size_t *n, struct task_ent **procs)
{
	struct task_ent **rows = calloc(st->ntasks + 1, sizeof(*rows));
	size_t k = 0;

	*procs = NULL;
	if (!rows)
		return NULL;
	for (unsigned b = 0; b < TASK_BUCKETS; b++)
		for (struct task_ent *e = st->buckets[b]; e; e = e->next)
			if (active(&e->acc))
				rows[k++] = e;
	if (st->by == SCHED_HIST_PROCESS) {
		/* one row per process: sorted by pid, then folded */
		struct task_ent *p = calloc(k ? k : 1, sizeof(*p));
		size_t np = 0;

		if (!p) {
			free(rows);
			return NULL;
		}
		for (size_t i = 0; i < k; i++) {
			struct task_ent *e = rows[i], *q = NULL;

			for (size_t j = 0; j < np; j++)
				if (p[j].pid == e->pid) {
					q = &p[j];
					break;
				}
			if (!q) {
				q = &p[np++];
				q->pid = q->tid = e->pid;
				if (!e->pid || !ks_proc_comm(e->pid, q->comm))
					memcpy(q->comm, e->comm, sizeof(q->comm));
			}
			if (e->tid == e->pid)	/* the leader names the process */
				memcpy(q->comm, e->comm, sizeof(q->comm));
			sums_merge(&q->acc, &e->acc);
			for (int w = 0; w < SCHED_CPU_WORDS; w++)
				q->cpus[w] |= e->cpus[w];
			q->threads += e->threads ? e->threads : 1;
		}
		for (size_t i = 0; i < np; i++)
			rows[i] = &p[i];
		k = np;
		*procs = p;
	}
	g_sort = st->sort;
	qsort(rows, k, sizeof(*rows), row_cmp);
	*n = k;
	return rows;
}

static void print_tasks(struct sched_state *st, struct ks_out *o, uint64_t now, uint64_t period)
{
	bool proc = st->by == SCHED_HIST_PROCESS;
	struct task_ent **rows, *procs;
	size_t n, shown;
	char cpus[128];

	rows = period_rows(st, &n, &procs);
	if (!rows)
		return;
	shown = st->top && st->top < n ? st->top : n;
	if (!o->json && shown) {
		if (proc)
			ks_out_printf(o, "%-7s %-16s %-7s ", "PID", "COMM", "THREADS");
		else
			ks_out_printf(o, "%-7s %-7s %-16s ", "PID", "TID", "COMM");
		ks_out_printf(o, "%-9s %-8s %-8s %-8s %-9s %-9s %-9s %-9s %s\n", "CPU", "SWITCHES",
			      "VOL", "INVOL", "RUNQ-AVG", "RUNQ-P50", "RUNQ-P99", "RUNQ-MAX", "CPUS");
	}
	for (size_t i = 0; i < shown; i++) {
		struct task_ent *e = rows[i];
		const struct sums *s = &e->acc;
		size_t start;

		if (o->json) {
			ks_json_begin(o);
			ks_json_kv_str(o, "type", proc ? "sched_process" : "sched_task", 16);
			ks_json_kv_u64(o, "ts_ns", now);
			ks_json_kv_u64(o, "interval_ns", period);
			ks_json_kv_u64(o, "pid", e->pid);
			if (proc)
				ks_json_kv_u64(o, "threads", e->threads);
			else
				ks_json_kv_u64(o, "tid", e->tid);
			ks_json_kv_str(o, "comm", e->comm, sizeof(e->comm));
			ks_json_kv_u64(o, "cpu_ns", s->cpu_ns);
			ks_json_kv_u64(o, "switches", s->switches);
			ks_json_kv_u64(o, "voluntary", s->voluntary);
			ks_json_kv_u64(o, "involuntary", s->involuntary);
			ks_json_kv_u64(o, "unreported_switches", s->unreported);
			json_runq(o, s);
			json_cpus(o, e->cpus);
			ks_json_end(o);
			continue;
		}
		ks_out_printf(o, "%-7u ", e->pid);
		if (proc) {
			start = o->len;
			ks_out_text(o, e->comm, sizeof(e->comm));
			ks_out_pad(o, start, KS_COMM_LEN);
			ks_out_printf(o, " %-7u ", e->threads);
		} else {
			ks_out_printf(o, "%-7u ", e->tid);
			start = o->len;
			ks_out_text(o, e->comm, sizeof(e->comm));
			ks_out_pad(o, start, KS_COMM_LEN);
			ks_out_char(o, ' ');
		}
		text_ns(o, s->cpu_ns, 9);
		ks_out_printf(o, "%-8llu %-8llu %-8llu ", (unsigned long long)s->switches,
			      (unsigned long long)s->voluntary, (unsigned long long)s->involuntary);
		text_runq(o, s);
		fmt_cpus(cpus, sizeof(cpus), e->cpus);
		ks_out_printf(o, "%s\n", cpus);
	}
	if (!o->json && n > shown)
		ks_out_printf(o, "(%zu more not shown: -n)\n", n - shown);
	free(procs);
	free(rows);
}

static void print_cpus(struct sched_state *st, struct ks_out *o, uint64_t now, uint64_t period)
{
	if (!o->json)
		ks_out_printf(o, "%-4s %-9s %-9s %-8s %-9s %-9s %-9s %s\n", "CPU", "BUSY", "IDLE",
			      "SWITCHES", "RUNQ-AVG", "RUNQ-P50", "RUNQ-P99", "RUNQ-MAX");
	for (int c = 0; c < st->ncpus; c++) {
		struct cpu_ent *ce = &st->cpus[c];
		uint64_t t[CPU_TIMES];

		cpu_period_times(ce, t);
		if (o->json) {
			ks_json_begin(o);
			ks_json_kv_str(o, "type", "sched_cpu", 9);
			ks_json_kv_u64(o, "ts_ns", now);
			/* the time this row covers, on the CPU's own reads (docs/json.md) */
			ks_json_kv_u64(o, "interval_ns", ce->period_ts && ce->read_ts > ce->period_ts ?
				       ce->read_ts - ce->period_ts : period);
			ks_json_kv_u64(o, "cpu", c);
			ks_json_kv_u64(o, "busy_ns", t[CPU_BUSY]);
			ks_json_kv_u64(o, "idle_ns", t[CPU_IDLE]);
			ks_json_kv_u64(o, "unknown_ns", t[CPU_UNKNOWN]);
			ks_json_kv_u64(o, "switches", ce->acc.switches);
			json_runq(o, &ce->acc);
			ks_json_end(o);
			continue;
		}
		ks_out_printf(o, "%-4d ", c);
		text_ns(o, t[CPU_BUSY], 9);
		text_ns(o, t[CPU_IDLE], 9);
		ks_out_printf(o, "%-8llu ", (unsigned long long)ce->acc.switches);
		text_runq(o, &ce->acc);
		ks_out_eol(o);
	}
}

static const char *hist_by_name(int by)
{
	return by == SCHED_HIST_PROCESS ? "process" : by == SCHED_HIST_CGROUP ? "cgroup" : "all";
}

/* The comm of a process: from any of its task entries */
static const char *process_comm(struct sched_state *st, uint32_t pid)
{
	static char from_proc[KS_COMM_LEN];
	const char *any = NULL;

	for (unsigned b = 0; b < TASK_BUCKETS; b++)
		for (struct task_ent *e = st->buckets[b]; e; e = e->next) {
			if (e->pid != pid)
				continue;
			if (e->tid == pid)
				return e->comm;
			any = e->comm;
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
			ks_json_begin(o);
			ks_json_kv_str(o, "type", "hist", 4);
			ks_json_kv_str(o, "name", "runq_latency", 12);
			ks_json_kv_str(o, "unit", "us", 2);
			ks_json_kv_u64(o, "ts_ns", now);
			ks_json_kv_u64(o, "interval_ns", period);
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

	collect(st, now);
	if (!o->json && st->interval_mode)
		ks_out_time_heading(o);
	if (st->hist_view)
		print_hists(st, o, now, period);
	else if (st->cpu_view)
		print_cpus(st, o, now, period);
	else
		print_tasks(st, o, now, period);
	new_period(st, now);
}

/* Start a period at @now: clear the sums, free what is gone */
static void new_period(struct sched_state *st, uint64_t now)
{
	for (unsigned b = 0; b < TASK_BUCKETS; b++) {
		for (struct task_ent **pp = &st->buckets[b]; *pp;) {
			struct task_ent *e = *pp;

			if (e->gone) {
				*pp = e->next;
				free(e);
				st->ntasks--;
				continue;
			}
			memset(&e->acc, 0, sizeof(e->acc));
			pp = &e->next;
		}
	}
	st->ngone = 0;
	for (int c = 0; c < st->ncpus; c++) {
		memset(&st->cpus[c].acc, 0, sizeof(st->cpus[c].acc));
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

static void tl_slice(struct sched_state *st, int cpu, uint64_t end_ns, const char *end_state)
{
	struct tl_cpu *c = &st->tl_cpus[cpu];
	struct ks_out *o = &st->tl;
	uint64_t ts = tl_ts(st, c->start_ns), end = tl_ts(st, end_ns);

	if (!c->open)
		return;
	c->open = false;
	ks_json_begin(o);
	ks_json_kv_str(o, "name", c->comm, sizeof(c->comm));
	ks_json_kv_str(o, "cat", "sched", 5);
	ks_json_kv_str(o, "ph", "X", 1);
	ks_json_kv_milli(o, "ts", ts);
	ks_json_kv_milli(o, "dur", end > ts ? end - ts : 0);
	ks_json_kv_u64(o, "pid", 0);
	ks_json_kv_u64(o, "tid", cpu);
	ks_json_key(o, "args");
	ks_json_begin(o);
	ks_json_kv_u64(o, "pid", c->pid);
	ks_json_kv_u64(o, "tid", c->tid);
	ks_json_kv_str(o, "comm", c->comm, sizeof(c->comm));
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
	ks_json_begin(o);
	ks_json_kv_str(o, "name", name, sizeof(name));
	ks_json_kv_str(o, "cat", "sched", 5);
	ks_json_kv_str(o, "ph", "i", 1);
	ks_json_kv_str(o, "s", "t", 1);
	ks_json_kv_milli(o, "ts", tl_ts(st, e->hdr.ts_ns));
	ks_json_kv_u64(o, "pid", 0);
	ks_json_kv_u64(o, "tid", cpu);
	ks_json_key(o, "args");
	ks_json_begin(o);
	ks_json_kv_u64(o, "pid", e->pid);
	ks_json_kv_u64(o, "tid", e->tid);
	ks_json_kv_str(o, "comm", e->comm, sizeof(e->comm));
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
	for (unsigned b = 0; b < TASK_BUCKETS; b++)
		for (struct task_ent *e = st->buckets[b]; e; e = e->next)
			e->unreported = 0;
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
	.name = "sched",
	.what = "the scheduler",
	.skel = &sched_bpf_ops,
	.probes = sched_probes,
	.nprobes = ARRAY_SIZE(sched_probes),
	.aux_progs = sched_aux_progs,
	.configure = sched_configure,
	.start = sched_start,
	.event = sched_event,
	.report = sched_report,
	.housekeeping = sched_housekeeping,
	.finish = sched_finish,
};

/* ---- command line ------------------------------------------------------- */

enum { OPT_BY = 0x200, OPT_HIST, OPT_CPU, OPT_EVENTS, OPT_TIMELINE };

static const struct ks_cli_opt sched_opts[] = {
	{ "by", OPT_BY, "KIND", "thread (default), process, or (with --hist) cgroup" },
	{ "hist", OPT_HIST, NULL, "run-queue latency as a log2 histogram (all, --by process or cgroup)" },
	{ "cpu", OPT_CPU, NULL, "per-CPU view: busy and idle time, switches, run-queue latency" },
	{ "events", OPT_EVENTS, NULL, "also stream every context switch" },
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
	case OPT_HIST:
		st->hist_view = true;
		return 0;
	case OPT_CPU:
		st->cpu_view = true;
		return 0;
	case OPT_EVENTS:
		st->events = true;
		return 0;
	case OPT_TIMELINE:
		st->timeline = arg;
		return 0;
	case 's':
	case 'n': {
		/* in enum sort_key's order */
		static const char *const keys[] = { "cpu", "switches", "runq", "runq_max", NULL };

		return ks_cli_summary_opt(&sched_cli, key, arg, keys, &st->sort, &st->top);
	}
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

static struct ks_cli sched_cli = {
	.cmd = "sched",
	.summary = "Scheduler view: CPU time, context switches and run-queue latency per task, process or CPU.",
	.details =
	"Aggregated in the kernel; printed every interval, or once at the end. CPU time is\n"
	"the kernel's own per-task runtime (as in /proc/PID/task/TID/schedstat). Run-queue\n"
	"latency is the time from becoming runnable (wakeup, fork, preemption) to running;\n"
	"its p50/p99 are within 12.5%; the max is exact.",
	.examples =
	"  kscope sched                          # per-thread summary at Ctrl-C\n"
	"  kscope sched 1 5 --by process         # per process, every second, 5 times\n"
	"  kscope sched --hist --by process -d 5 # run-queue latency histograms\n"
	"  kscope sched --cpu 2                  # per-CPU busy/idle every 2 seconds\n"
	"  kscope sched --timeline t.json -- make   # open t.json in ui.perfetto.dev\n",
	.opts = sched_opts,
	.conflicts = sched_conflicts,
	.parse = sched_parse,
	.flags = KS_CLI_TRACE | KS_CLI_INTERVAL | KS_CLI_PROGRAM,
};

int cmd_sched(int argc, char **argv)
{
	struct sched_state st = { .by = SCHED_HIST_ALL, .sort = SORT_CPU, .tl_file.fd = -1 };
	struct ks_opts opts;
	int rc;

	sched_cli.state = &st;
	rc = ks_cli_parse(&sched_cli, argc, argv, &opts);
	if (rc != KS_CLI_CONTINUE)
		return rc;
	if (st.by == SCHED_HIST_CGROUP && !st.hist_view) {
		ks_cli_error(&sched_cli, "--by cgroup needs --hist");
		ks_opts_release(&opts);
		return KS_EXIT_USAGE;
	}
	if (st.timeline) {
		const char *why;
		int err = ks_outfile_open(&st.tl_file, st.timeline, &why);

		if (err || ks_outfile_same(&st.tl_file, &opts.outfile)) {
			if (err)
				ks_cli_error(&sched_cli, "cannot write timeline '%s': %s", st.timeline,
					     why ? why : strerror(-err));
			else
				ks_cli_error(&sched_cli, "--timeline and -o name the same file: '%s'",
					     st.timeline);
			ks_outfile_close(&st.tl_file);
			ks_opts_release(&opts);
			return KS_EXIT_USAGE;
		}
	}
	st.opts = &opts;
	st.interval_mode = opts.interval_s > 0;
	st.ncpus = libbpf_num_possible_cpus();
	if (st.ncpus <= 0)
		st.ncpus = 1;
	rc = ks_trace_run(&sched_tracer, &opts, &st);
	/* a run that ended early: its timeline is still closed (and said if it failed) */
	if (tl_close(&st))
		rc = KS_EXIT_FAIL;
	ks_outfile_close(&st.tl_file);
	for (unsigned b = 0; b < TASK_BUCKETS; b++)
		for (struct task_ent *e = st.buckets[b], *n; e; e = n) {
			n = e->next;
			free(e);
		}
	free(st.cpus);
	free(st.hists);
	free(st.tl_cpus);
	return rc;
}

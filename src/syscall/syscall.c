// SPDX-License-Identifier: GPL-2.0
/*
 * kscope syscall: what processes ask of the kernel. Counts, errors (by
 * errno), latency and log2 latency histograms per syscall, or per process or
 * cgroup and syscall, aggregated in the kernel; or the stream of calls
 * (--events).
 *
 * The kernel side keeps cumulative per-CPU counters; every collection (about
 * once a second, and at each report) folds what changed since the last one
 * into the current period, so a process whose entries are removed when it
 * exits still counts, and no counter is ever reset under the kernel's feet.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kscope.h"
#include "engine/cli.h"
#include "engine/errnos.h"
#include "engine/hist.h"
#include "engine/names.h"
#include "engine/out.h"
#include "engine/table.h"
#include "engine/trace.h"
#include "engine/util.h"
#include "syscall.h"
#include "syscall.skel.h"

KS_SKEL_OPS(syscall_bpf);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum sort_key { SORT_COUNT, SORT_TIME, SORT_ERRORS };

/* A row's identity: one syscall (owner 0), or one syscall of one process or cgroup */
struct sys_key {
	uint64_t owner;               /* struct sys_owner_key's */
	uint32_t nr, pad;
};

struct sys_state {
	struct ks_opts *opts;
	struct syscall_bpf *skel;
	/* options */
	int by;                    /* SYS_BY_* */
	bool hist, errors_only, events, count_only;
	int sort;                  /* enum sort_key */
	unsigned top;
	uint64_t mask[SYS_MASK_WORDS];
	bool masked;
	long hist_nr;                 /* --hist SYSCALL, or -1 */
	/* state */
	int ncpus;
	struct ks_table *table;
	uint64_t period_start;
	uint32_t period;
	bool interval_mode;
	uint64_t skipped[SYS_SKIP_MAX];
	void *vals;                   /* per-CPU lookup buffer */
};

/* ---- the table ---------------------------------------------------------- */

enum { C_PID, C_CGROUP_ID, C_COMM, C_CGROUP, C_CONTAINER, C_CONTAINER_RT = C_CONTAINER + 1,
       C_SYSCALL, C_NR, C_COUNT, C_ERRORS, C_ERRNOS, C_TOTAL, C_AVG, C_MAX, C_HIST, NCOLS };

/*
 * A live process by its current name, a gone one by the last the kernel
 * saw; a cgroup by its path (the last one found, once it is removed) and
 * with -C its container
 */
static void row_prepare(struct ks_row *r)
{
	struct sys_state *st = ks_table_ctx(ks_row_table(r));
	const struct sys_key *k = ks_row_key(r);
	char comm[KS_COMM_LEN] = "";
	uint32_t pid = k->owner;
	const char *name;
	size_t len;

	if (st->by == SYS_BY_CGROUP) {
		ks_row_put_cgroup(r, C_CGROUP, C_CONTAINER, NULL, k->owner);
		return;
	}
	if (st->by != SYS_BY_PROCESS || ks_row_is_gone(r))
		return;
	/* two statements: an argument list does not order the call before len is read */
	name = ks_row_str(r, C_COMM, &len);
	memcpy(comm, name, len < sizeof(comm) ? len : sizeof(comm) - 1);
	if (ks_proc_comm(pid, comm) ||
	    (!comm[0] && !bpf_map_lookup_elem(bpf_map__fd(st->skel->maps.proc_comm), &pid, comm)))
		ks_row_put_str(r, C_COMM, comm, sizeof(comm));
}

static const struct ks_col sys_cols[NCOLS] = {
	[C_PID] = { "pid", "PID", KS_COL_COUNT, KS_COL_KEY | KS_COL_LEFT, 7 },
	[C_CGROUP_ID] = { "cgroup_id", "", KS_COL_COUNT, KS_COL_KEY | KS_COL_TEXT_HIDE },
	[C_COMM] = { "comm", "COMM", KS_COL_COMM, 0, 16 },
	[C_CGROUP] = { "cgroup", "CGROUP", KS_COL_STR, 0, 24, .size = 256 },
	KS_CONTAINER_COLS(C_CONTAINER),
	[C_SYSCALL] = { "syscall", "SYSCALL", KS_COL_STR, 0, 20, .size = 32 },
	[C_NR] = { "nr", "NR", KS_COL_COUNT, KS_COL_KEY | KS_COL_TEXT_HIDE },
	[C_COUNT] = { "count", "COUNT", KS_COL_COUNT, KS_COL_CUM, 10,
		      .help = "calls that returned" },
	[C_ERRORS] = { "errors", "ERRORS", KS_COL_COUNT, KS_COL_DERIVED, 8, .derive = ks_errnos_derive,
		       .help = "calls that returned an error" },
	[C_ERRNOS] = { "errnos", "ERRNOS", KS_COL_CUSTOM, 0, 0, .pre = "  ", .text = ks_errnos_text,
		       .json = ks_errnos_json },
	[C_TOTAL] = { "total_ns", "TOTAL(ms)", KS_COL_NS, KS_COL_CUM, 12, .text_div = 1000000,
		      .help = "time from entry to exit, summed" },
	[C_AVG] = { "avg_ns", "AVG(us)", KS_COL_NS, KS_COL_MEAN, 10, .text_div = 1000,
		    .of = C_TOTAL, .per = C_COUNT },
	[C_MAX] = { "max_ns", "MAX(us)", KS_COL_NS, KS_COL_MAX, 10, .text_div = 1000 },
	[C_HIST] = { "latency", "LATENCY", KS_COL_HIST, KS_COL_CUM },
};

static const int sys_text_order[] = { C_PID, C_COMM, C_CGROUP, C_CONTAINER, C_SYSCALL, C_COUNT,
				      C_ERRORS, C_TOTAL, C_AVG, C_MAX, C_ERRNOS, C_NR, C_CGROUP_ID,
				      C_HIST, C_CONTAINER_RT };
_Static_assert(ARRAY_SIZE(sys_text_order) == NCOLS, "every column in the text order");
static const int sys_ties[] = { C_COUNT, -1 };

static const struct ks_table_desc sys_table = {
	.type = "syscall_stat",
	.cols = sys_cols,
	.ncols = NCOLS,
	.key_size = sizeof(struct sys_key),
	.text_order = sys_text_order,
	.ties = sys_ties,
	.ext_size = sizeof(struct ks_errnos),
	.ext_new_period = ks_errnos_new_period,
	.ext_free = ks_errnos_free,
	.prepare = row_prepare,
};

static const char *sys_name(uint32_t nr, char *buf, size_t n)
{
	const char *s = ks_syscall_name(nr);

	if (s)
		return s;
	snprintf(buf, n, "syscall_%u", nr);
	return buf;
}

/* The row of (owner, nr), named */
static struct ks_row *row_get(struct sys_state *st, uint64_t owner, uint32_t nr)
{
	struct sys_key k = { .owner = owner, .nr = nr };
	struct ks_row *r = ks_table_find(st->table, &k);
	char nb[32];
	const char *name;

	if (r && !ks_row_is_gone(r))
		return r;
	r = ks_table_row(st->table, &k);
	if (!r)
		return NULL;
	name = sys_name(nr, nb, sizeof(nb));
	ks_row_put(r, st->by == SYS_BY_CGROUP ? C_CGROUP_ID : C_PID, owner);
	ks_row_put(r, C_NR, nr);
	ks_row_put_str(r, C_SYSCALL, name, strlen(name));
	return r;
}

/*
 * Put the kernel's cumulative per-CPU values of one key in its row; max_ns
 * is taken from the CPUs whose max belongs to period `period`.
 */
static void put_stat(struct sys_state *st, struct ks_row *r, const struct sys_stat *v,
		     uint32_t period)
{
	uint64_t count = 0, total = 0, max = 0;

	for (int c = 0; c < st->ncpus; c++) {
		count += v[c].count;
		total += v[c].total_ns;
		/*
		 * A call counted here may have returned just after the period
		 * moved on: its max carries the next period's tag. Taking that
		 * too can lend this period a max from a call counted in the
		 * next, never leave it without one.
		 */
		for (int i = 0; i < 2; i++)
			if ((v[c].max_period[i] == period || v[c].max_period[i] == period + 1) &&
			    v[c].count && v[c].max_ns[i] > max)
				max = v[c].max_ns[i];
	}
	ks_row_put(r, C_COUNT, count);
	ks_row_put(r, C_TOTAL, total);
	ks_row_put(r, C_MAX, max);
}

/* The per-syscall counters, and with --hist each syscall's histogram */
static void collect_syscalls(struct sys_state *st, uint32_t period)
{
	int fd = bpf_map__fd(st->skel->maps.sys_stats);
	int hfd = bpf_map__fd(st->skel->maps.sys_hist);
	size_t stride = (KS_LOG2_SLOTS * sizeof(uint32_t) + 7) / 8 * 8 / sizeof(uint32_t);

	/* unnamed numbers too (a kernel newer than our headers): up to the end */
	for (uint32_t nr = 0; nr < SYS_SLOTS; nr++) {
		const struct sys_stat *v = st->vals;
		uint32_t cur[KS_LOG2_SLOTS] = {};
		struct ks_row *r;
		bool any = false;

		if (bpf_map_lookup_elem(fd, &nr, st->vals))
			continue;
		for (int c = 0; c < st->ncpus && !any; c++)
			any = v[c].count != 0;
		if (!any)
			continue;
		r = row_get(st, 0, nr);
		if (!r)
			continue;
		put_stat(st, r, v, period);
		if (!st->hist || bpf_map_lookup_elem(hfd, &nr, st->vals))
			continue;
		for (int c = 0; c < st->ncpus; c++)
			for (int s = 0; s < KS_LOG2_SLOTS; s++)
				cur[s] += ((const uint32_t *)st->vals)[c * stride + s];
		ks_row_put_hist(r, C_HIST, cur);
	}
}

/*
 * Per process or cgroup. A process that exited has its entries deleted; a
 * cgroup's stay (its id is never reused), named by its last path found.
 */
static void collect_owners(struct sys_state *st, uint32_t period)
{
	int fd = bpf_map__fd(st->skel->maps.owner_stats);
	int cfd = bpf_map__fd(st->skel->maps.proc_comm);
	struct sys_owner_key key, next, *prev = NULL;
	struct ks_vec dead = KS_VEC(struct sys_owner_key);

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		uint32_t pid = next.owner;
		struct ks_row *r;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, st->vals))
			continue;
		r = row_get(st, key.owner, key.nr);
		if (!r)
			continue;
		put_stat(st, r, st->vals, period);
		if (st->by == SYS_BY_PROCESS && !ks_pid_alive(pid)) {
			/* the name the kernel saw last; live ones are named at printing */
			char comm[KS_COMM_LEN] = "";

			if (!bpf_map_lookup_elem(cfd, &pid, comm))
				ks_row_put_str(r, C_COMM, comm, sizeof(comm));
			if (!ks_vec_push(&dead, &key))
				continue;
			ks_row_gone(r);	/* a reused pid starts at 0 */
		}
	}
	for (size_t i = 0; i < dead.n; i++) {
		uint32_t pid = ((struct sys_owner_key *)dead.v)[i].owner;

		bpf_map_delete_elem(cfd, &pid);
	}
	ks_map_delete_keys(fd, &dead);
}

static void collect_errnos(struct sys_state *st)
{
	int fd = bpf_map__fd(st->skel->maps.err_stats);
	struct sys_err_key key, next, *prev = NULL;
	struct ks_vec dead = KS_VEC(struct sys_err_key);
	uint64_t *v = st->vals;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		uint64_t sum = 0;
		struct ks_row *r;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, v))
			continue;
		for (int c = 0; c < st->ncpus; c++)
			sum += v[c];
		r = row_get(st, key.owner, key.nr);
		if (!r || ks_errnos_put(ks_row_ext(r), key.err, sum))
			continue;
		/* a process that exited: its entries go (a cgroup's stay, see collect_owners) */
		if (st->by == SYS_BY_PROCESS && !ks_pid_alive(key.owner) &&
		    ks_vec_push(&dead, &key))
			ks_errnos_restart(ks_row_ext(r), key.err);
	}
	ks_map_delete_keys(fd, &dead);
}

static void collect_skipped(struct sys_state *st)
{
	int fd = bpf_map__fd(st->skel->maps.skipped);
	uint64_t *v = st->vals;

	for (uint32_t k = 0; k < SYS_SKIP_MAX; k++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(fd, &k, v))
			continue;
		for (int c = 0; c < st->ncpus; c++)
			sum += v[c];
		st->skipped[k] = sum;
	}
}

/*
 * Errnos first, then counts: the kernel counts a call before its errno, so
 * every errno seen here belongs to a call the counts include. A row's
 * errors are the sum of its errnos. `period`: whose max_ns to take.
 */
static void collect(struct sys_state *st, uint32_t period)
{
	if (st->events)
		return;
	collect_errnos(st);
	if (st->by != SYS_BY_SYSCALL)
		collect_owners(st, period);
	else
		collect_syscalls(st, period);
	collect_skipped(st);
}

/* ---- printing ----------------------------------------------------------- */

/*
 * --hist: each syscall's histogram, its own renderer (a sink of the same
 * rows, most calls first): text through ks_log2_print, a "hist" record in JSON.
 */
static void hist_row(struct ks_sink *s, const struct ks_table *t, const struct ks_row *r)
{
	const struct sys_state *st = ks_table_ctx(t);
	const uint32_t *slots = ks_row_hist(r, C_HIST, false);
	const struct sys_key *k = ks_row_key(r);
	struct ks_out *o = s->o;
	uint64_t count = 0;
	size_t len;
	const char *name = ks_row_str(r, C_SYSCALL, &len);

	if (st->hist_nr >= 0 && k->nr != st->hist_nr)
		return;
	for (int i = 0; i < KS_LOG2_SLOTS; i++)
		count += slots[i];
	if (o->json) {
		ks_log2_json_begin(o, "syscall_latency", "us", s->ts_ns, s->interval_ns);
		ks_json_kv_str(o, "syscall", name, len);
		ks_json_kv_u64(o, "nr", k->nr);
		ks_json_kv_u64(o, "count", count);
		ks_log2_json_buckets(o, slots);
		ks_json_end(o);
	} else {
		ks_out_sep(o);
		ks_out_printf(o, "syscall = %s (%" PRIu64 " calls)\n", name, count);
		ks_log2_print(o, slots, "usecs");
	}
}

static const struct ks_sink_ops hist_sink = { .row = hist_row };

/* The kernel reads `period` from .bss, mapped into the skeleton at load */
static void set_period(struct sys_state *st)
{
	st->skel->bss->period = st->period;
}

/* final: the last report, after which nothing is counted */
static void report(struct sys_state *st, struct ks_out *o, bool final)
{
	uint64_t now = ks_now_ns(CLOCK_MONOTONIC), period = now - st->period_start;
	uint32_t closing = st->period;
	struct ks_sink sink;

	/*
	 * Calls from now on are the next period's, max_ns included; after the
	 * last period (0) the kernel stops counting, so the last collection
	 * sees counts and errnos that agree exactly.
	 */
	st->period = final ? 0 : st->period + 1;
	set_period(st);
	/*
	 * A program that read the closing period may still be adding its call
	 * (seen on a slow VM: a vCPU stalled between the two); once it has
	 * returned, the collection sees every call tagged with that period,
	 * so a period's max_ns always covers its total. (Not at the start:
	 * nothing is counted before the first period.)
	 */
	ks_bpf_quiesce();
	collect(st, closing);
	if (!o->json && st->interval_mode)
		ks_out_time_heading(o);
	ks_sink_init(&sink, o, now, period);
	if (st->hist && !o->sink)	/* a caller's sink (a part) takes the rows as they are */
		sink.ops = &hist_sink;
	ks_table_render(st->table, &sink);
	ks_table_new_period(st->table);
	st->period_start = now;
}

/* ---- the tracer --------------------------------------------------------- */

static const struct ks_probe syscall_probes[] = {
	{ "sys-enter", { KS_PROG(syscall_bpf, sys_enter_btf), KS_PROG(syscall_bpf, sys_enter_raw),
			 KS_PROG(syscall_bpf, sys_enter_tp) }, KS_PROBE_OPTIONAL },
	{ "sys-exit", { KS_PROG(syscall_bpf, sys_exit_btf), KS_PROG(syscall_bpf, sys_exit_raw),
			KS_PROG(syscall_bpf, sys_exit_tp) } },
};

static int syscall_configure(void *state, void *skel)
{
	struct sys_state *st = state;
	struct syscall_bpf *s = skel;
	int err = 0;

	s->rodata->filter_nr = st->masked;
	memcpy((void *)s->rodata->nr_mask, st->mask, sizeof(st->mask));
	s->rodata->errors_only = st->errors_only;
	s->rodata->by = st->by;
	s->rodata->want_hist = st->hist;
	s->rodata->emit_events = st->events;
	s->rodata->count_only = st->count_only;
	if (st->by == SYS_BY_SYSCALL)
		err = err ?: bpf_map__set_max_entries(s->maps.owner_stats, 1);
	if (st->by != SYS_BY_PROCESS)
		err = err ?: bpf_map__set_max_entries(s->maps.proc_comm, 1);
	if (!st->hist)
		err = err ?: bpf_map__set_max_entries(s->maps.sys_hist, 1);
	return err;
}

/* --count-only needs no entry probe */
static bool syscall_wanted(void *state, const struct ks_probe *p)
{
	const struct sys_state *st = state;

	return !(st->count_only && !strcmp(p->name, "sys-enter"));
}

static int syscall_start(void *state, void *skel, struct ks_out *o)
{
	struct sys_state *st = state;

	st->skel = skel;
	/* the programs count nothing until the first period starts, here */
	st->period = 1;
	set_period(st);
	st->period_start = ks_now_ns(CLOCK_MONOTONIC);
	if (st->events)
		ks_rec_header(o);
	return 0;
}

static int syscall_event(void *state, struct ks_out *o, const void *data, size_t size)
{
	const struct sys_event *e = data;
	const char *name, *en;
	char nb[32];
	bool err;

	(void)state;
	if (size < sizeof(*e) || e->hdr.type != SYS_EV_CALL)
		return -EINVAL;
	name = sys_name(e->nr, nb, sizeof(nb));
	err = e->ret < 0 && e->ret >= -4095;
	en = err ? ks_errno_name(-e->ret) : NULL;
	ks_rec_begin(o, "syscall", &e->hdr);
	ks_rec_str(o, "syscall", name, strlen(name), KS_TXT_BARE);
	ks_rec_u64(o, "nr", e->nr, KS_TXT_HIDE);
	ks_rec_u64v(o, "args", (const uint64_t *)e->args, SYS_NARGS, KS_TXT_BARE);
	ks_rec_s64(o, "ret", e->ret, 0);
	if (en)
		ks_rec_str(o, "errno", en, strlen(en), 0);
	else if (err)
		ks_rec_s64(o, "errno", -e->ret, 0);
	else
		ks_rec_null(o, "errno", KS_TXT_HIDE);
	ks_rec_u64(o, "latency_ns", e->hdr.ts_ns - e->enter_ns, KS_TXT_HIDE);
	ks_rec_ns(o, "lat", e->hdr.ts_ns - e->enter_ns, KS_JSON_HIDE);
	ks_rec_end(o);
	return 0;
}

static int syscall_report(void *state, struct ks_out *o, unsigned flags)
{
	struct sys_state *st = state;

	if (!st->events)
		report(st, o, flags & KS_REPORT_LAST);
	return 0;
}

static void syscall_housekeeping(void *state)
{
	struct sys_state *st = state;

	collect(st, st->period);
}

static int syscall_finish(void *state, struct ks_out *o)
{
	struct sys_state *st = state;

	(void)o;
	if (st->events)
		return 0;
	if (st->skipped[SYS_SKIP_COMPAT])
		fprintf(stderr, "kscope: %" PRIu64 " syscalls of 32-bit (compat) tasks were not "
			"counted (their numbers are another table's)\n", st->skipped[SYS_SKIP_COMPAT]);
	if (st->skipped[SYS_SKIP_RANGE])
		fprintf(stderr, "kscope: %" PRIu64 " syscalls with numbers >= %d were not counted\n",
			st->skipped[SYS_SKIP_RANGE], SYS_SLOTS);
	return 0;
}

const struct ks_tracer syscall_tracer = {
	KS_TRACER(syscall, "syscalls"),
	.configure = syscall_configure,
	.wanted = syscall_wanted,
	KS_TRACER_SUMMARY(syscall),
};

/* ---- command line ------------------------------------------------------- */

enum { OPT_BY = 0x200, OPT_HIST, OPT_ERRORS, OPT_EVENTS, OPT_COUNT_ONLY };

static const struct ks_cli_opt syscall_opts[] = {
	{ "syscall", 'e', "NAME[,NAME]", "only these syscalls (filtered in the kernel)" },
	{ "by", OPT_BY, "KIND", "rows per syscall (default), process or cgroup (the task's)" },
	{ "hist", OPT_HIST, "[SYSCALL]", "log2 latency histograms, per syscall or of one" },
	{ "errors", OPT_ERRORS, NULL, "only failing calls", KS_CLI_SET(struct sys_state, errors_only) },
	{ "count-only", OPT_COUNT_ONLY, NULL, "counts and errors only, no latency: the cheapest mode",
	  KS_CLI_SET(struct sys_state, count_only) },
	{ "events", OPT_EVENTS, NULL, "one line per call: args, return value, errno, latency",
	  KS_CLI_SET(struct sys_state, events) },
	{ "sort", 's', "KEY", "order rows by count (default), time or errors" },
	{ "top", 'n', "N", "show the first N rows only" },
	{ 0 }
};

static struct ks_cli syscall_cli;

/* --by KIND: SYS_BY_* */
static const char *const by_names[] = {
	[SYS_BY_SYSCALL] = "syscall", [SYS_BY_PROCESS] = "process", [SYS_BY_CGROUP] = "cgroup", NULL
};

static int add_syscall(struct sys_state *st, const char *name)
{
	long nr = ks_syscall_nr(name);

	if (nr < 0 || nr >= SYS_SLOTS) {
		ks_cli_error(&syscall_cli, "unknown syscall '%s'", name);
		return -1;
	}
	st->mask[nr / 64] |= 1ull << (nr % 64);
	st->masked = true;
	return (int)nr;
}

static int add_listed_syscall(void *ctx, const char *name)
{
	return add_syscall(ctx, name) < 0 ? -1 : 0;
}

static int syscall_parse(void *state, int key, const char *arg)
{
	struct sys_state *st = state;
	int rc;

	switch (key) {
	case 'e':
		rc = ks_cli_list(arg, add_listed_syscall, st);
		if (rc == -EINVAL)
			ks_cli_error(&syscall_cli, "invalid syscall list '%s' (NAME[,NAME...])", arg);
		return rc ? -1 : 0;
	case OPT_BY:
		rc = ks_cli_choice(arg, by_names);
		if (rc < 0) {
			ks_cli_error(&syscall_cli, "invalid --by '%s' (syscall, process or cgroup)",
				     arg);
			return -1;
		}
		st->by = rc;
		return 0;
	case OPT_HIST:
		st->hist = true;
		if (arg) {
			int nr = add_syscall(st, arg);

			if (nr < 0)
				return -1;
			st->hist_nr = nr;
		}
		return 0;
	}
	return -1;
}

static const struct ks_cli_conflict syscall_conflicts[] = {
	{ OPT_COUNT_ONLY, OPT_HIST, "--count-only measures no latency" },
	{ OPT_COUNT_ONLY, OPT_EVENTS, "--count-only measures no latency and streams nothing" },
	{ OPT_EVENTS, OPT_HIST, "--events streams calls, --hist summarizes them" },
	{ OPT_EVENTS, 's', "--events streams calls in order, -s sorts a summary" },
	{ OPT_EVENTS, 'n', "--events streams every call, -n cuts a summary" },
	{ OPT_EVENTS, KS_CLI_KEY_INTERVAL, "--events streams calls, an interval prints summaries" },
	{ OPT_HIST, 's', "a histogram has no rows to sort" },
	{ OPT_HIST, 'n', "a histogram has no rows to cut" },
	{ 0 }
};

static int syscall_setup(void *state, struct ks_opts *o)
{
	struct sys_state *st = state;
	size_t vsize;

	if (o->container && !st->events && st->by != SYS_BY_CGROUP) {
		ks_cli_error(&syscall_cli, "-C names the container of each event record or --by "
			     "cgroup row: it needs --events or --by cgroup");
		return KS_EXIT_USAGE;
	}
	if (st->hist && st->by != SYS_BY_SYSCALL) {
		ks_cli_error(&syscall_cli, "--hist is per syscall: it does not go with --by %s",
			     by_names[st->by]);
		return KS_EXIT_USAGE;
	}
	if (st->events && st->by != SYS_BY_SYSCALL) {
		ks_cli_error(&syscall_cli, "--events streams calls: it does not go with --by %s",
			     by_names[st->by]);
		return KS_EXIT_USAGE;
	}
	st->opts = o;
	st->interval_mode = o->interval_s > 0;
	st->ncpus = ks_possible_cpus();
	/* the largest per-CPU value we read: a histogram row */
	vsize = sizeof(uint32_t) * KS_LOG2_SLOTS;
	if (vsize < sizeof(struct sys_stat))
		vsize = sizeof(struct sys_stat);
	st->vals = calloc(st->ncpus, (vsize + 7) / 8 * 8);
	st->table = ks_table_new(&sys_table);
	if (!st->vals || !st->table)
		return KS_EXIT_FAIL;
	ks_table_set_ctx(st->table, st);
	ks_table_hide(st->table, C_PID, st->by != SYS_BY_PROCESS);
	ks_table_hide(st->table, C_COMM, st->by != SYS_BY_PROCESS);
	ks_table_hide(st->table, C_CGROUP_ID, st->by != SYS_BY_CGROUP);
	ks_table_hide(st->table, C_CGROUP, st->by != SYS_BY_CGROUP);
	ks_table_show_container(st->table, C_CONTAINER, o->container && st->by == SYS_BY_CGROUP);
	ks_table_hide(st->table, C_HIST, true);	/* --hist has its own renderer */
	ks_table_absent(st->table, C_TOTAL, st->count_only);	/* not measured */
	ks_table_absent(st->table, C_AVG, st->count_only);
	ks_table_absent(st->table, C_MAX, st->count_only);
	ks_table_sort(st->table, st->sort == SORT_TIME ? C_TOTAL :
				 st->sort == SORT_ERRORS ? C_ERRORS : C_COUNT);
	ks_table_top(st->table, st->top);
	return 0;
}

static int syscall_teardown(void *state, int rc)
{
	struct sys_state *st = state;

	ks_table_free(st->table);
	free(st->vals);
	return rc;
}

static struct ks_cli syscall_cli = {
	.cmd = "syscall",
	.summary = "Syscalls: counts, errors by errno, latency, per syscall, process or cgroup.",
	.details =
	"Counted in the kernel (raw_syscalls sys_enter/sys_exit); printed every interval,\n"
	"or once at the end. Latency is from entry to exit of each call. Calls that never\n"
	"return (exit, exit_group) are not counted. --events streams every call instead.\n"
	"--by process or cgroup: a row per (process or cgroup, syscall); a cgroup is the\n"
	"task's cgroup v2 (also on a hybrid host), or without cgroup v2 its v1 cpu cgroup;\n"
	"with -C each cgroup's row names its container.",
	.examples =
	"  kscope syscall                        # per-syscall summary at Ctrl-C\n"
	"  kscope syscall -p 1234 1 5            # one process, every second, 5 times\n"
	"  kscope syscall --by process -s time   # per process, by time spent\n"
	"  kscope syscall --by cgroup -n 20      # per cgroup (container), busiest first\n"
	"  kscope syscall --errors -- make       # which calls fail, and how\n"
	"  kscope syscall --hist read -d 10      # read() latency histogram\n"
	"  kscope syscall --events -e openat,read,close -- cat /etc/hostname\n",
	KS_CLI_OF(syscall),
	/* -s KEY: in enum sort_key's order */
	KS_CLI_SORT(struct sys_state, sort, top, "count", "time", "errors"),
	.flags = KS_CLI_TRACE | KS_CLI_INTERVAL | KS_CLI_PROGRAM,
};

KS_COMMAND(syscall, struct sys_state, { .sort = SORT_COUNT, .hist_nr = -1 })

// SPDX-License-Identifier: GPL-2.0
/*
 * kscope top: per process, what it did in the last interval: CPU time and
 * run-queue wait (the scheduler's own accounting, not /proc sampling),
 * syscalls and errors, file bytes read and written, disk bytes, TCP bytes;
 * with the system's totals and the events kscope lost. A full-screen view
 * on a terminal (tui.c), else a plain table or NDJSON per interval.
 *
 * Like kscope container it measures nothing of its own: each area is a
 * command run as a part of its session (ks_part), with its rows per
 * process (sched per thread), and a sink of this command's (fold_row)
 * adds each part's period amounts to a row of this command's table, keyed
 * by {pid, tid}: a thread's CPU and run-queue wait on its own row, the
 * process-wide amounts (syscalls, files, disk, net) on the process's row
 * {pid, 0}. The table shows the rows grouped by pid (threads into their
 * process), or, with -t, one row each. After every turn of the loop in
 * which the parts reported (the session's reported hook), the period is
 * printed or drawn.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../kscope.h"
#include "../engine/cli.h"
#include "../engine/hist.h"
#include "../engine/out.h"
#include "../engine/table.h"
#include "../engine/trace.h"
#include "../engine/util.h"
#include "top.h"

/* ---- the table ------------------------------------------------------------------------ */

struct top_key {
	uint32_t pid, tid;
};

enum {
	C_PID, C_TID, C_USER, C_UID, C_COMM, C_CPU_PCT,
	C_CPU, C_RUNQ, C_SYSCALLS, C_ERRORS, C_READ, C_WRITE, C_DREAD, C_DWRITE, C_RX, C_TX,
	C_RUNQ_R, C_SYSCALLS_R, C_ERRORS_R, C_READ_R, C_WRITE_R, C_DREAD_R, C_DWRITE_R,
	C_RX_R, C_TX_R,
	C_DISK, C_NET,
	C_CTR, C_CTR_RT = C_CTR + 1,
	NCOLS
};

#define C_VAL(tv) (C_CPU + (tv))  /* enum top_val's column */

/* What a row holds since tracing began (the table makes periods of it) */
struct top_acc {
	uint64_t v[TV_N];
	bool moved;                    /* something was added this period */
	bool own;                      /* ... to this row itself, not only to a thread's */
	bool shown, shown_own;         /* moved and own, of the period being shown */
	bool user_tried;
};

/*
 * The parts' columns top reads, found by name once per table the parts
 * render (fold_begin), not per row
 */
enum { S_PID, S_TID, S_COMM, S_CGROUP_ID, S_CPU, S_RUNQ, S_RUNQ_HIST, S_RUNQ_COUNT, S_RUNQ_MAX,
       S_COUNT, S_ERRORS, S_SYSCALL, S_ERRNOS, S_READ, S_WRITE, S_OP, S_BYTES, S_RX, S_TX, S_UID,
       S_N };

struct top_state {
	struct ks_opts *opts;
	struct top_view view;
	bool batch;
	bool tui_wanted;
	unsigned rows;                 /* --rows */
	int devnull;

	struct ks_part parts[5];
	int nparts;
	struct ks_table *table;
	struct ks_table_group group;
	struct ks_out out;
	bool out_ready;
	uint64_t period_start, period_ns, sched_period_ns;
	/* the table the parts render now: its kind (SRC_*), the columns top reads (S_*) */
	int src_kind, src[S_N];
	bool pending;                  /* the parts reported since the last frame */

	/* this period's system totals, as the parts' rows came */
	uint64_t tot[TV_N];
	uint32_t runq_hist[KS_LL_SLOTS];
	uint64_t runq_count, runq_max;
	/* /proc/stat at the last frame: busy and all jiffies per CPU */
	uint64_t *cpu_busy, *cpu_all;
	int ncpus;

	struct top_frame frame;
	/* the detail process's syscalls as the period's rows come (the frame has the last's) */
	struct ks_vec calls;           /* struct top_call */
	struct top_tui *tui;
	struct ks_trace *const *c;
	int nc;

	struct ks_vec users;           /* struct user: uid -> name, from /etc/passwd */
};

struct user {
	uint32_t uid;
	char name[16];
};

static struct top_state *state_of(const struct ks_row *r)
{
	return ks_table_ctx(ks_row_table(r));
}

/* The period's length in seconds, for rates (never 0) */
static double period_s(const struct ks_row *r)
{
	uint64_t ns = state_of(r)->period_ns;

	return ns ? ns / 1e9 : 1;
}

/* CPU%: the text cell and the JSON number are the same digits */
static void cpu_pct(struct ks_out *o, const struct ks_row *r)
{
	ks_out_printf(o, "%.1f", ks_row_get(r, C_CPU) / 1e7 / period_s(r));
}

void top_fmt_rate(char *buf, size_t n, double v)
{
	static const char unit[] = "KMGTP";
	int u = -1;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, v < 10 ? "%.1f%c" : "%.0f%c", v, unit[u]);
}

#define RATE_TEXT(name, col)								\
	static void name(struct ks_out *o, const struct ks_row *r)			\
	{										\
		char buf[32];								\
											\
		top_fmt_rate(buf, sizeof(buf), ks_row_get(r, col) / period_s(r));	\
		ks_out_printf(o, "%s", buf);						\
	}
RATE_TEXT(syscalls_rate, C_SYSCALLS)
RATE_TEXT(errors_rate, C_ERRORS)
RATE_TEXT(read_rate, C_READ)
RATE_TEXT(write_rate, C_WRITE)
RATE_TEXT(dread_rate, C_DREAD)
RATE_TEXT(dwrite_rate, C_DWRITE)
RATE_TEXT(rx_rate, C_RX)
RATE_TEXT(tx_rate, C_TX)

/* RUNQ: milliseconds waited on a run queue per second */
static void runq_rate(struct ks_out *o, const struct ks_row *r)
{
	ks_out_printf(o, "%.1f", ks_row_get(r, C_RUNQ) / 1e6 / period_s(r));
}

static uint64_t disk_sum(const struct ks_row *r)
{
	return ks_row_get(r, C_DREAD) + ks_row_get(r, C_DWRITE);
}

static uint64_t net_sum(const struct ks_row *r)
{
	return ks_row_get(r, C_RX) + ks_row_get(r, C_TX);
}

#define CUM_J (KS_COL_CUM | KS_COL_TEXT_HIDE)
#define RATE(head, fn) { "", head, KS_COL_CUSTOM, KS_COL_JSON_HIDE, 8, .text = fn }

static const struct ks_col top_cols[NCOLS] = {
	[C_PID] = { "pid", "PID", KS_COL_COUNT, KS_COL_LABEL | KS_COL_LEFT, 7 },
	[C_TID] = { "tid", "TID", KS_COL_COUNT, KS_COL_KEY | KS_COL_LEFT | KS_COL_DASH, 7,
		    .unless = C_TID, .help = "the thread (-t); 0: the process's own amounts" },
	[C_USER] = { "user", "USER", KS_COL_STR, KS_COL_NULL, 8, .size = 16,
		     .help = "the real user (the scheduler's; from /proc for a process that did not run "
		     "in the period): null if unknown" },
	[C_UID] = { "uid", "", KS_COL_COUNT, KS_COL_LABEL | KS_COL_TEXT_HIDE },
	[C_COMM] = { "comm", "COMM", KS_COL_COMM, 0, 15 },
	[C_CPU_PCT] = { "cpu_pct", "CPU%", KS_COL_CUSTOM, 0, 6, .text = cpu_pct,
			.json = cpu_pct, .help = "time on a CPU, percent of one CPU" },
	[C_CPU] = { "cpu_ns", "", KS_COL_NS, CUM_J, .help = "time on a CPU (sched_switch)" },
	[C_RUNQ] = { "runq_ns", "", KS_COL_NS, CUM_J, .help = "time waiting on a run queue" },
	[C_SYSCALLS] = { "syscalls", "", KS_COL_COUNT, CUM_J, .help = "syscalls that returned" },
	[C_ERRORS] = { "syscall_errors", "", KS_COL_COUNT, CUM_J },
	[C_READ] = { "read_bytes", "", KS_COL_BYTES, CUM_J, .help = "bytes file reads returned" },
	[C_WRITE] = { "write_bytes", "", KS_COL_BYTES, CUM_J },
	[C_DREAD] = { "disk_read_bytes", "", KS_COL_BYTES, CUM_J,
		      .help = "bytes of block requests completed that it submitted" },
	[C_DWRITE] = { "disk_write_bytes", "", KS_COL_BYTES, CUM_J },
	[C_RX] = { "net_rx_bytes", "", KS_COL_BYTES, CUM_J, .help = "TCP bytes its sockets received" },
	[C_TX] = { "net_tx_bytes", "", KS_COL_BYTES, CUM_J },
	[C_RUNQ_R] = { "", "RUNQ", KS_COL_CUSTOM, KS_COL_JSON_HIDE, 6, .text = runq_rate },
	[C_SYSCALLS_R] = RATE("SYSC/s", syscalls_rate),
	[C_ERRORS_R] = { "", "ERR/s", KS_COL_CUSTOM, KS_COL_JSON_HIDE, 6, .text = errors_rate },
	[C_READ_R] = RATE("READ/s", read_rate),
	[C_WRITE_R] = RATE("WRITE/s", write_rate),
	[C_DREAD_R] = RATE("DISK-R/s", dread_rate),
	[C_DWRITE_R] = RATE("DISK-W/s", dwrite_rate),
	[C_RX_R] = RATE("NET-RX/s", rx_rate),
	[C_TX_R] = RATE("NET-TX/s", tx_rate),
	[C_DISK] = { "", "", KS_COL_COUNT, KS_COL_DERIVED | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE,
		     .derive = disk_sum },
	[C_NET] = { "", "", KS_COL_COUNT, KS_COL_DERIVED | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE,
		    .derive = net_sum },
	KS_CONTAINER_COLS(C_CTR),
};

static const int top_text_order[] = {
	C_PID, C_TID, C_USER, C_COMM, C_CPU_PCT, C_RUNQ_R, C_SYSCALLS_R, C_ERRORS_R,
	C_READ_R, C_WRITE_R, C_DREAD_R, C_DWRITE_R, C_RX_R, C_TX_R, C_CTR, C_CTR_RT,
	C_UID, C_CPU, C_RUNQ, C_SYSCALLS, C_ERRORS, C_READ, C_WRITE, C_DREAD, C_DWRITE, C_RX, C_TX,
	C_DISK, C_NET, -1
};

static const int top_ties[] = { C_CPU, C_SYSCALLS, -1 };

/*
 * A row that did something this period; a process's own row {pid, 0} also
 * when one of its threads ran (the group's name is then its own), except
 * in the thread view, where it is a row of the process-wide amounts only
 */
static bool top_visible(const struct ks_row *r)
{
	const struct top_acc *a = ks_row_ext(r);
	const struct top_key *k = ks_row_key(r);

	return !k->tid && state_of(r)->view.threads ? a->shown_own : a->shown;
}
static const int by_pid[] = { C_PID, -1 };

static const struct ks_table_desc top_table = {
	.type = "top_thread",
	.cols = top_cols,
	.ncols = NCOLS,
	.key_size = sizeof(struct top_key),
	.text_order = top_text_order,
	.ties = top_ties,
	.ext_size = sizeof(struct top_acc),
	.visible = top_visible,
};

/* -s and the view's keys: the table column each sorts by in batch mode */
static const struct { const char *name, *head; int col; } sorts[TS_N] = {
	[TS_PID] = { "pid", "PID", C_PID },
	[TS_USER] = { "user", "USER", -1 },
	[TS_COMM] = { "comm", "COMM", -1 },
	[TS_CPU] = { "cpu", "CPU%", C_CPU },
	[TS_RUNQ] = { "runq", "RUNQ", C_RUNQ },
	[TS_SYSCALLS] = { "syscalls", "SYSC/s", C_SYSCALLS },
	[TS_ERRORS] = { "errors", "ERR/s", C_ERRORS },
	[TS_READ] = { "read", "READ/s", C_READ },
	[TS_WRITE] = { "write", "WRITE/s", C_WRITE },
	[TS_DISK] = { "disk", "DISK", C_DISK },
	[TS_NET] = { "net", "NET", C_NET },
};

const char *top_sort_name(int key)
{
	return key >= 0 && key < TS_N ? sorts[key].head : "?";
}

uint64_t top_row_sort_value(const struct top_row *r, int key)
{
	switch (key) {
	case TS_PID: return r->tid ? r->tid : r->pid;
	case TS_CPU: return r->v[TV_CPU];
	case TS_RUNQ: return r->v[TV_RUNQ];
	case TS_SYSCALLS: return r->v[TV_SYSCALLS];
	case TS_ERRORS: return r->v[TV_ERRORS];
	case TS_READ: return r->v[TV_READ];
	case TS_WRITE: return r->v[TV_WRITE];
	case TS_DISK: return r->v[TV_DREAD] + r->v[TV_DWRITE];
	case TS_NET: return r->v[TV_RX] + r->v[TV_TX];
	}
	return 0;
}

/* ---- users ---------------------------------------------------------------------------- */

/* /etc/passwd read once: a static binary has no NSS to ask */
static void load_users(struct top_state *st)
{
	char line[1024];
	FILE *f = fopen("/etc/passwd", "re");

	while (f && fgets(line, sizeof(line), f)) {
		char *name = strtok(line, ":"), *pw = name ? strtok(NULL, ":") : NULL;
		char *uid = pw ? strtok(NULL, ":") : NULL;
		struct user u;

		if (!uid)
			continue;
		u.uid = strtoul(uid, NULL, 10);
		snprintf(u.name, sizeof(u.name), "%s", name);
		if (!ks_vec_push(&st->users, &u))
			break;
	}
	if (f)
		fclose(f);
}

/* A row's user: uid, by its name in /etc/passwd (else the number) */
static void set_user(struct top_state *st, struct ks_row *r, uint64_t uid)
{
	char name[16];

	if (!ks_row_absent(r, C_UID) && ks_row_get(r, C_UID) == uid)
		return;
	snprintf(name, sizeof(name), "%" PRIu64, uid);
	for (size_t i = 0; i < st->users.n; i++) {
		const struct user *u = ks_vec_at(&st->users, i);

		if (u->uid == uid) {
			snprintf(name, sizeof(name), "%s", u->name);
			break;
		}
	}
	ks_row_put(r, C_UID, uid);
	ks_row_put_str(r, C_USER, name, sizeof(name));
}

/*
 * A row the scheduler gave no uid (sched's rows carry the kernel's): from
 * /proc, tried once per row; a process gone by then stays without one
 */
static void proc_user(struct top_state *st, struct ks_row *r, uint32_t task)
{
	struct top_acc *a = ks_row_ext(r);
	uint64_t uid;

	if (a->user_tried || !ks_row_absent(r, C_UID))
		return;
	a->user_tried = true;
	if (ks_proc_status(task, "Uid", &uid))	/* the real uid */
		set_user(st, r, uid);
}

/* ---- the fold sink: the parts' rows into ours --------------------------------------------- */

static struct ks_row *row_of(struct top_state *st, uint32_t pid, uint32_t tid)
{
	struct top_key k = { pid, tid };
	struct ks_row *r = ks_table_find(st->table, &k);

	if (r)
		return r;
	r = ks_table_row(st->table, &k);
	if (!r)
		return NULL;
	ks_row_put(r, C_PID, pid);
	ks_row_put(r, C_TID, tid);
	ks_row_put_absent(r, C_UID);
	if (!tid) {
		/* the process's name, whichever of its threads shows first */
		char comm[KS_COMM_LEN];

		if (ks_proc_comm(pid, comm))
			ks_row_put_str(r, C_COMM, comm, sizeof(comm));
	}
	return r;
}

static void add(struct top_state *st, struct ks_row *r, int tv, uint64_t v)
{
	struct top_acc *a = ks_row_ext(r);

	a->v[tv] += v;
	a->moved = true;
	a->own = true;
	st->tot[tv] += v;
}

static const char *const src_names[S_N] = {
	"pid", "tid", "comm", "cgroup_id", "cpu_ns", "runq_total_ns", "runq_hist", "runq_count",
	"runq_max_ns", "count", "errors", "syscall", "errnos", "read_bytes", "write_bytes", "op",
	"bytes", "rx_bytes", "tx_bytes", "uid",
};

/* Which part's table it is (its NDJSON type) */
enum { SRC_NONE, SRC_SCHED, SRC_SYSCALL, SRC_FILE, SRC_DISK, SRC_NET };

static const char *const src_types[] = {
	[SRC_SCHED] = "sched_task", [SRC_SYSCALL] = "syscall_stat",
	[SRC_FILE] = "fileio_process_stat", [SRC_DISK] = "diskio_stat",
	[SRC_NET] = "net_process_stat",
};

static uint64_t get(struct top_state *st, const struct ks_row *r, int col)
{
	int c = st->src[col];

	return c >= 0 && !ks_row_absent(r, c) ? ks_row_get(r, c) : 0;
}

static const char *get_str(struct top_state *st, const struct ks_row *r, int col, size_t *len)
{
	int c = st->src[col];

	*len = 0;
	return c >= 0 ? ks_row_str(r, c, len) : "";
}

static void put_comm(struct top_state *st, const struct ks_row *src, struct ks_row *dst)
{
	size_t len;
	const char *s = get_str(st, src, S_COMM, &len);

	if (len)
		ks_row_put_str(dst, C_COMM, s, len);
}

/* The detail view's process: its syscalls this period */
static void keep_call(struct top_state *st, const struct ks_table *t, const struct ks_row *r)
{
	struct top_call call = { 0 };
	int en = st->src[S_ERRNOS];
	const struct ks_col *cols;
	const char *name;
	unsigned ncols;
	size_t len;

	name = get_str(st, r, S_SYSCALL, &len);
	snprintf(call.name, sizeof(call.name), "%.*s", (int)len, name);
	call.count = get(st, r, S_COUNT);
	call.errors = get(st, r, S_ERRORS);
	cols = ks_table_cols(t, &ncols);
	if (en >= 0 && call.errors && cols[en].text) {
		/* the errno names as syscall's table writes them */
		struct ks_out o;

		if (!ks_out_init(&o, -1, false, false)) {
			cols[en].text(&o, r);
			snprintf(call.errnos, sizeof(call.errnos), "%.*s", (int)o.len, o.buf);
			o.len = 0;
			ks_out_free(&o);
		}
	}
	ks_vec_push(&st->calls, &call);	/* without memory: not shown */
}

static void fold_row(struct ks_sink *s, const struct ks_table *t, const struct ks_row *r)
{
	struct top_state *st = s->priv;
	uint32_t pid = get(st, r, S_PID);
	struct ks_row *row;

	if (!pid || st->src_kind == SRC_NONE)
		return;	/* an idle CPU's, a row of no process, or another table of a part's */
	st->pending = true;
	if (st->src_kind == SRC_SCHED) {
		uint32_t tid = get(st, r, S_TID);
		int h = st->src[S_RUNQ_HIST];
		const uint32_t *slots = h >= 0 ? ks_row_hist(r, h, false) : NULL;
		struct ks_row *proc = row_of(st, pid, 0);
		uint64_t cgroup = get(st, r, S_CGROUP_ID), max = get(st, r, S_RUNQ_MAX);

		row = row_of(st, pid, tid ? tid : pid);
		if (!row || !proc)
			return;
		((struct top_acc *)ks_row_ext(proc))->moved = true;
		add(st, row, TV_CPU, get(st, r, S_CPU));
		add(st, row, TV_RUNQ, get(st, r, S_RUNQ));
		put_comm(st, r, row);
		if (tid == pid || !ks_row_str(proc, C_COMM, &(size_t){ 0 })[0])
			put_comm(st, r, proc);
		if (st->src[S_UID] >= 0 && !ks_row_absent(r, st->src[S_UID])) {
			uint64_t uid = ks_row_get(r, st->src[S_UID]);

			set_user(st, row, uid);
			if (tid == pid || ks_row_absent(proc, C_UID))
				set_user(st, proc, uid);
		}
		ks_row_put_container(row, C_CTR, NULL, cgroup);
		ks_row_put_container(proc, C_CTR, NULL, cgroup);
		st->runq_count += get(st, r, S_RUNQ_COUNT);
		for (int i = 0; slots && i < KS_LL_SLOTS; i++)
			st->runq_hist[i] += slots[i];
		if (max > st->runq_max)
			st->runq_max = max;
		return;
	}
	row = row_of(st, pid, 0);
	if (!row)
		return;
	if (!ks_row_str(row, C_COMM, &(size_t){ 0 })[0])
		put_comm(st, r, row);
	switch (st->src_kind) {
	case SRC_SYSCALL:
		add(st, row, TV_SYSCALLS, get(st, r, S_COUNT));
		add(st, row, TV_ERRORS, get(st, r, S_ERRORS));
		if (pid == st->view.detail_pid)
			keep_call(st, t, r);
		break;
	case SRC_FILE:
		add(st, row, TV_READ, get(st, r, S_READ));
		add(st, row, TV_WRITE, get(st, r, S_WRITE));
		break;
	case SRC_DISK: {
		size_t len;
		const char *op = get_str(st, r, S_OP, &len);

		if (len == 4 && !memcmp(op, "read", 4))
			add(st, row, TV_DREAD, get(st, r, S_BYTES));
		else if (len == 5 && !memcmp(op, "write", 5))
			add(st, row, TV_DWRITE, get(st, r, S_BYTES));
		break;
	}
	case SRC_NET:
		add(st, row, TV_RX, get(st, r, S_RX));
		add(st, row, TV_TX, get(st, r, S_TX));
		break;
	}
}

static void fold_begin(struct ks_sink *s, const struct ks_table *t)
{
	struct top_state *st = s->priv;
	const char *type = ks_table_desc(t)->type;

	st->pending = true;	/* a period with no row is still a period */
	st->src_kind = SRC_NONE;
	for (size_t i = 1; i < ARRAY_SIZE(src_types); i++)
		if (!strcmp(type, src_types[i]))
			st->src_kind = i;
	for (int i = 0; i < S_N; i++)
		st->src[i] = ks_table_col(t, src_names[i]);
	/* the scheduler's period: the one its CPU times were read over */
	if (st->src_kind == SRC_SCHED)
		st->sched_period_ns = s->interval_ns;
}

static const struct ks_sink_ops fold_sink = { .begin = fold_begin, .row = fold_row };

/* ---- a frame ---------------------------------------------------------------------------- */

/* Per-CPU busy percent since the last call, from /proc/stat */
static void read_cpus(struct top_state *st, struct top_totals *tot)
{
	char line[512];
	FILE *f = fopen("/proc/stat", "re");
	double sum = 0;
	int n = 0;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long v[10] = { 0 };
		uint64_t all = 0, busy;
		int cpu;

		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 5 ||
		    n >= st->ncpus || n >= TOP_MAX_CPUS)
			continue;
		for (int i = 0; i < 8; i++)
			all += v[i];
		busy = all - v[3] - v[4];	/* not idle, not iowait */
		tot->busy_pct[n] = all > st->cpu_all[n] ?
				   100.0 * (busy - st->cpu_busy[n]) / (all - st->cpu_all[n]) : 0;
		st->cpu_busy[n] = busy;
		st->cpu_all[n] = all;
		sum += tot->busy_pct[n];
		n++;
	}
	if (f)
		fclose(f);
	tot->ncpus = n;
	tot->busy_all = n ? sum / n : 0;
}

static uint64_t lost_events(struct ks_trace *const *c, int n)
{
	uint64_t lost = 0;

	for (int i = 0; i < n; i++) {
		struct ks_trace_stats s;

		ks_trace_stats(c[i], &s);
		for (int k = 0; k < KS_LOST_MAX; k++)
			lost += s.lost[k];
		lost += s.malformed;
	}
	return lost;
}

/* A table row into the view's copy */
static void copy_row(const struct ks_row *r, struct top_row *out)
{
	const char *s;
	size_t len;

	memset(out, 0, sizeof(*out));
	out->pid = ks_row_get(r, C_PID);
	out->tid = ks_row_get(r, C_TID);
	out->uid = ks_row_get(r, C_UID);
	s = ks_row_str(r, C_USER, &len);
	snprintf(out->user, sizeof(out->user), "%.*s", (int)len, s);
	s = ks_row_str(r, C_COMM, &len);
	memcpy(out->comm, s, len < sizeof(out->comm) ? len : sizeof(out->comm) - 1);
	s = ks_row_str(r, C_CTR, &len);
	snprintf(out->container, sizeof(out->container), "%.*s", (int)(len < 12 ? len : 12), s);
	for (int v = 0; v < TV_N; v++)
		out->v[v] = ks_row_get(r, C_VAL(v));
}

/* priv: the frame's ks_vec of struct top_row */
static void copy_row_sink(struct ks_sink *s, const struct ks_table *t, const struct ks_row *r)
{
	struct top_row row;

	(void)t;
	copy_row(r, &row);
	ks_vec_push(s->priv, &row);	/* without memory: not shown */
}

static const struct ks_sink_ops copy_ops = { .row = copy_row_sink };

/* The period's rows through a sink, with the summary's time and period */
static void render(struct top_state *st, const struct ks_sink_ops *ops, void *priv,
		   uint64_t now)
{
	struct ks_sink s;

	ks_sink_init(&s, &st->out, now, st->period_ns);
	s.ops = ops;
	s.priv = priv;
	ks_table_render(st->table, &s);
}

/* The period's rows, grouped and not, into the frame (the view sorts them itself) */
static void copy_frame(struct top_state *st, uint64_t now)
{
	struct top_frame *f = &st->frame;

	f->procs.n = f->threads.n = 0;
	ks_table_top(st->table, 0);
	ks_table_group(st->table, &st->group);
	render(st, &copy_ops, &f->procs, now);
	ks_table_group(st->table, NULL);
	render(st, &copy_ops, &f->threads, now);
}

/* The rows' totals into their columns; returns the processes that did something */
static size_t put_totals(struct top_state *st)
{
	size_t procs = 0;

	for (struct ks_row *r = ks_table_next(st->table, NULL); r; r = ks_table_next(st->table, r)) {
		struct top_acc *a = ks_row_ext(r);
		const struct top_key *k = ks_row_key(r);

		if (!k->tid && a->moved)
			procs++;
		if (a->moved)
			proc_user(st, r, k->tid ? k->tid : k->pid);
		for (int v = 0; v < TV_N; v++)
			ks_row_put(r, C_VAL(v), a->v[v]);
		/* idle this period and gone: shown no more, its memory freed */
		if (!a->moved && !ks_pid_alive(k->tid ? k->tid : k->pid))
			ks_row_gone(r);
		a->shown = a->moved;
		a->shown_own = a->own;
		a->moved = a->own = false;
	}
	return procs;
}

/* Appended to buf (of n bytes, NUL-terminated), never past it */
static void cat(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void cat(char *buf, size_t n, const char *fmt, ...)
{
	size_t len = strnlen(buf, n);
	va_list ap;

	va_start(ap, fmt);
	if (len + 1 < n)
		vsnprintf(buf + len, n - len, fmt, ap);
	va_end(ap);
}

void top_cpus_line(char *buf, size_t n, const struct top_totals *t)
{
	snprintf(buf, n, "%d CPUs busy %.1f%% (", t->ncpus, t->busy_all);
	for (int i = 0; i < t->ncpus; i++)
		cat(buf, n, "%scpu%d %.1f%%", i ? " " : "", i, t->busy_pct[i]);
	if (t->runq_count)
		cat(buf, n, ")  runq p99 %.3fms", t->runq_p99_ns / 1e6);
	else
		cat(buf, n, ")  runq p99 -");
}

void top_rates_line(char *buf, size_t n, const uint64_t *v, double secs)
{
	static const struct { int tv; const char *before; } parts[] = {
		{ TV_SYSCALLS, "syscalls " }, { TV_ERRORS, "/s (err " }, { TV_READ, "/s)  file R " },
		{ TV_WRITE, "/s W " }, { TV_DREAD, "/s  disk R " }, { TV_DWRITE, "/s W " },
		{ TV_RX, "/s  net RX " }, { TV_TX, "/s TX " },
	};
	char rate[32];

	buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		top_fmt_rate(rate, sizeof(rate), v[parts[i].tv] / secs);
		cat(buf, n, "%s%s", parts[i].before, rate);
	}
	cat(buf, n, "/s");
}

static void summary_text(struct top_state *st, const struct top_totals *t)
{
	struct ks_out *o = &st->out;
	char hms[16] = "", cpus[TOP_LINE], rates[TOP_LINE];
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm))
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	top_cpus_line(cpus, sizeof(cpus), t);
	top_rates_line(rates, sizeof(rates), t->v, t->interval_ns ? t->interval_ns / 1e9 : 1);
	ks_out_sep(o);
	ks_out_printf(o, "%s  %s  procs %zu  lost %" PRIu64 "\n%s\n\n", hms, cpus, t->processes,
		      t->lost, rates);
}

static void summary_json(struct top_state *st, const struct top_totals *t, uint64_t now)
{
	static const char *const keys[TV_N] = {
		"cpu_ns", "runq_ns", "syscalls", "syscall_errors", "read_bytes", "write_bytes",
		"disk_read_bytes", "disk_write_bytes", "net_rx_bytes", "net_tx_bytes",
	};
	struct ks_out *o = &st->out;

	ks_json_begin(o);
	ks_json_kv_str(o, "type", "top_summary", 11);
	ks_json_kv_u64(o, "ts_ns", now);
	ks_json_kv_u64(o, "interval_ns", t->interval_ns);
	ks_json_kv_u64(o, "cpus", t->ncpus);
	ks_json_key(o, "cpu_busy_pct");
	ks_out_char(o, '[');
	for (int i = 0; i < t->ncpus; i++)
		ks_out_printf(o, "%s%.1f", i ? "," : "", t->busy_pct[i]);
	ks_out_char(o, ']');
	ks_json_key(o, "busy_pct");
	ks_out_printf(o, "%.1f", t->busy_all);
	ks_json_kv_u64(o, "processes", t->processes);
	for (int v = 0; v < TV_N; v++)
		ks_json_kv_u64(o, keys[v], t->v[v]);
	ks_json_kv_u64(o, "runq_count", t->runq_count);
	if (t->runq_count)
		ks_json_kv_u64(o, "runq_p99_ns", t->runq_p99_ns);
	else
		ks_json_kv_null(o, "runq_p99_ns");
	ks_json_kv_u64(o, "lost_events", t->lost);
	ks_json_end(o);
}

/* One refresh: the period's rows printed, or copied and drawn */
static void frame(struct top_state *st)
{
	uint64_t now = ks_now_ns(CLOCK_MONOTONIC);
	struct top_totals *t = &st->frame.tot;

	st->pending = false;
	/*
	 * The period: the one sched read its CPU times over (CPU% is theirs
	 * over it), else (nothing from sched yet) since the last frame
	 */
	st->period_ns = st->sched_period_ns ? st->sched_period_ns : now - st->period_start;
	st->sched_period_ns = 0;
	t->processes = put_totals(st);
	t->interval_ns = st->period_ns;
	read_cpus(st, t);
	memcpy(t->v, st->tot, sizeof(t->v));
	t->runq_count = st->runq_count;
	t->runq_p99_ns = ks_ll_quantile(st->runq_hist, 99, 100, st->runq_max);
	t->lost = st->c ? lost_events(st->c, st->nc) : 0;
	st->frame.ts_ns = now;
	if (st->tui && !st->view.paused) {
		struct ks_vec calls = st->frame.calls;

		/* the detail's syscalls: this period's into the frame, the frame's buffer back */
		st->frame.calls = st->calls;
		st->calls = calls;
		copy_frame(st, now);
		top_tui_draw(st->tui, &st->frame);
	} else if (!st->tui) {
		if (st->opts->json)
			summary_json(st, t, now);
		else
			summary_text(st, t);
		ks_table_top(st->table, st->rows);
		ks_table_sort(st->table, sorts[st->view.sort].col);
		ks_table_group(st->table, st->view.threads ? NULL : &st->group);
		ks_table_hide(st->table, C_TID, !st->view.threads);
		render(st, st->opts->json ? &ks_sink_json : &ks_sink_text, &st->out, now);
		ks_out_flush(&st->out);
	}
	ks_table_new_period(st->table);
	st->period_start = now;
	memset(st->tot, 0, sizeof(st->tot));
	memset(st->runq_hist, 0, sizeof(st->runq_hist));
	st->runq_count = st->runq_max = 0;
	st->calls.n = 0;
}

/* ---- the session's hooks ------------------------------------------------------------------ */

static int top_started(void *ctx, struct ks_trace *const *c, int n)
{
	struct top_state *st = ctx;
	char why[256] = "";

	st->c = c;
	st->nc = n;
	st->period_start = ks_now_ns(CLOCK_MONOTONIC);
	read_cpus(st, &st->frame.tot);	/* the first frame's baseline */
	if (ks_opts_begin_output(st->opts))
		return -1;
	if (st->tui_wanted) {
		st->tui = top_tui_open(&st->view, why, sizeof(why));
		if (!st->tui) {
			fprintf(stderr, "kscope top: %s: printing tables instead (-b)\n", why);
			st->batch = true;
		}
	}
	return 0;
}

static void top_reported(void *ctx, struct ks_trace *const *c, int n)
{
	struct top_state *st = ctx;

	(void)c;
	(void)n;
	if (st->pending)
		frame(st);
}

static int top_input(void *ctx, struct ks_trace *const *c, int n)
{
	struct top_state *st = ctx;
	int keys;

	if (!st->tui)
		return 0;
	keys = top_tui_input(st->tui, &st->frame);
	if (keys & TOP_KEY_INTERVAL) {
		uint64_t now = ks_now_ns(CLOCK_MONOTONIC);

		for (int i = 0; i < n; i++)
			ks_trace_set_interval(c[i], st->view.interval_s, now);
	}
	return keys & TOP_KEY_QUIT;
}

/* The last period, cut short by Ctrl-C or PROGRAM's exit: printed too */
static void top_ended(void *ctx, struct ks_trace *const *c, int n)
{
	struct top_state *st = ctx;

	(void)c;
	(void)n;
	if (st->tui) {
		/* the screen as it was, before the loss lines go to stderr */
		top_tui_close(st->tui);
		st->tui = NULL;
	} else if (st->pending) {
		frame(st);
	}
}

/* ---- the command ----------------------------------------------------------------------- */

enum { OPT_ROWS = 0x200, OPT_BATCH };

static const struct ks_cli_opt top_opts[] = {
	{ "delay", 'd', "SECONDS", "refresh every SECONDS (default 1, at least 0.1)" },
	{ "iterations", 'n', "N", "stop after N refreshes" },
	{ "sort", 's', "KEY", "sort by cpu (default), runq, syscalls, errors, read, write, disk, "
	  "net or pid" },
	{ "threads", 't', NULL, "a row per thread (CPU and run-queue wait are per thread; the "
	  "rest is per process: on the process's row, TID -)" },
	{ "batch", 'b', NULL, "plain tables, no full screen (also when stdout is not a terminal)" },
	{ "rows", OPT_ROWS, "N", "batch: at most N rows per refresh" },
	{ 0 }
};

static struct ks_cli top_cli;

static int top_parse(void *state, int key, const char *arg)
{
	struct top_state *st = state;
	uint64_t v;

	switch (key) {
	case 'd':
		if (ks_parse_seconds(arg, &st->view.interval_s) || st->view.interval_s < 0.1 ||
		    st->view.interval_s > 3600) {
			ks_cli_error(&top_cli, "invalid delay '%s' (seconds, 0.1 to 3600)", arg);
			return -1;
		}
		return 0;
	case 'n':
		if (ks_parse_u64(arg, 1, UINT32_MAX, &v)) {
			ks_cli_error(&top_cli, "invalid iterations '%s' (an integer >= 1)", arg);
			return -1;
		}
		st->opts->count = v;
		return 0;
	case 's':
		for (int i = 0; i < TS_N; i++)
			if (sorts[i].col >= 0 && !strcmp(arg, sorts[i].name)) {
				st->view.sort = i;
				return 0;
			}
		ks_cli_error(&top_cli, "unknown sort key '%s' (cpu, runq, syscalls, errors, read, "
			     "write, disk, net, pid)", arg);
		return -1;
	case 't':
		st->view.threads = true;
		return 0;
	case 'b':
		st->batch = true;
		return 0;
	case OPT_ROWS:
		if (ks_parse_u64(arg, 1, UINT32_MAX, &v)) {
			ks_cli_error(&top_cli, "invalid --rows '%s' (an integer >= 1)", arg);
			return -1;
		}
		st->rows = v;
		return 0;
	}
	return -1;
}

static const struct ks_cli_conflict top_conflicts[] = {
	{ 0 }
};

static bool terminal_ok(void)
{
	const char *term = getenv("TERM");

	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && term && *term &&
	       strcmp(term, "dumb");
}

static int top_setup(void *state, struct ks_opts *o)
{
	struct top_state *st = state;

	st->opts = o;
	if (o->container) {
		ks_cli_error(&top_cli, "-C is not needed: each row names its container (CONTAINER)");
		return KS_EXIT_USAGE;
	}
	o->interval_s = st->view.interval_s;
	st->tui_wanted = !st->batch && !o->json && !o->output && terminal_ok();
	st->table = ks_table_new(&top_table);
	if (!st->table)
		return KS_EXIT_FAIL;
	ks_table_set_ctx(st->table, st);
	ks_table_show_container(st->table, C_CTR, true);
	ks_table_top_option(st->table, "--rows");
	st->group = (struct ks_table_group){ .type = "top_process", .by = by_pid, .leader = C_TID };
	st->ncpus = sysconf(_SC_NPROCESSORS_CONF);
	if (st->ncpus < 1)
		st->ncpus = 1;
	st->cpu_busy = calloc(st->ncpus, sizeof(*st->cpu_busy));
	st->cpu_all = calloc(st->ncpus, sizeof(*st->cpu_all));
	if (!st->cpu_busy || !st->cpu_all)
		return KS_EXIT_FAIL;
	load_users(st);
	if (ks_out_init(&st->out, o->out_fd, o->json, o->wallclock))
		return KS_EXIT_FAIL;
	st->out_ready = true;
	ks_out_set_epoch(&st->out);
	st->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	return st->devnull < 0 ? KS_EXIT_FAIL : 0;
}

static int top_teardown(void *state, int rc)
{
	struct top_state *st = state;

	top_tui_close(st->tui);
	for (int i = 0; i < st->nparts; i++)
		rc = ks_part_free(&st->parts[i], rc);
	if (st->out_ready) {
		ks_out_flush(&st->out);
		if (ks_out_failed(&st->out, st->opts->output, NULL) && !rc)
			rc = KS_EXIT_FAIL;
		ks_out_free(&st->out);
	}
	ks_table_free(st->table);
	free(st->cpu_busy);
	free(st->cpu_all);
	ks_vec_free(&st->users);
	ks_vec_free(&st->frame.procs);
	ks_vec_free(&st->frame.threads);
	ks_vec_free(&st->frame.calls);
	ks_vec_free(&st->calls);
	if (st->devnull >= 0)
		close(st->devnull);
	return rc;
}

static struct ks_cli top_cli = {
	.cmd = "top",
	.summary = "A live view of what every process does: CPU and run-queue wait, syscalls and "
		   "errors, file, disk and network bytes per second.",
	.details =
	"Full screen on a terminal (keys: h); plain tables with -b or when stdout is not a\n"
	"terminal; NDJSON with -j (exact amounts per interval, docs/json.md). Each column is\n"
	"counted in the kernel by a kscope command's programs, attached once: sched (CPU time,\n"
	"run-queue wait per thread), syscall --count-only, fileio --by process, diskio --by\n"
	"process (the submitting process), net --by process (TCP payload). A process shows\n"
	"once it does something.",
	.examples =
	"  kscope top                          # full screen, every second\n"
	"  kscope top -b -n 5 -s syscalls      # five tables, busiest in syscalls first\n"
	"  kscope top -j -d 0.5 -- make -j2    # NDJSON for make's process tree\n",
	KS_CLI_OF(top),
	.flags = KS_CLI_TRACE | KS_CLI_PROGRAM,
};

static const char *const sched_argv[] = { "sched", NULL };
static const char *const sys_argv[] = { "syscall", "--by", "process", "--count-only", NULL };
static const char *const file_argv[] = { "fileio", "--by", "process", NULL };
static const char *const disk_argv[] = { "diskio", "--by", "process", NULL };
static const char *const net_argv[] = { "net", "--by", "process", NULL };

#define PART_RINGBUF_KB 256	/* rows come from maps: records are rare */

/* net's ended connections come as records: its ring buffer stays */
static const struct ks_part_spec top_parts[] = {
	{ part_sched, sched_argv, PART_RINGBUF_KB }, { part_syscall, sys_argv, PART_RINGBUF_KB },
	{ part_fileio, file_argv, PART_RINGBUF_KB }, { part_diskio, disk_argv, PART_RINGBUF_KB },
	{ part_net, net_argv, 0 },
};

int cmd_top(int argc, char **argv)
{
	struct top_state st = {
		.view = { .sort = TS_CPU, .interval_s = 1 }, .devnull = -1,
		.users = KS_VEC(struct user), .calls = KS_VEC(struct top_call),
		.frame = { .procs = KS_VEC(struct top_row), .threads = KS_VEC(struct top_row),
			   .calls = KS_VEC(struct top_call) },
	};
	struct ks_session_tracer tr[KS_SESSION_MAX];
	struct ks_session_hooks hooks = {
		.ctx = &st, .started = top_started, .reported = top_reported,
		.input_fd = STDIN_FILENO, .ended = top_ended,
	};
	struct ks_opts opts;
	int rc, n = 0;

	top_cli.state = &st;
	st.opts = &opts;
	rc = ks_cli_parse(&top_cli, argc, argv, &opts);
	if (rc != KS_CLI_CONTINUE)
		return rc;
	rc = top_setup(&st, &opts);
	for (size_t i = 0; !rc && i < ARRAY_SIZE(top_parts); i++) {
		rc = ks_part_start(&st.parts[i], &top_parts[i], &opts, &fold_sink, &st, st.devnull,
				   &tr[n]);
		if (!rc)
			st.nparts = ++n;
	}
	if (rc) {
		for (int i = 0; i < n; i++)
			ks_opts_release(tr[i].o);
	} else {
		/* the terminal's keys (a batch run's stdin may be a file: not polled) */
		hooks.input = st.tui_wanted ? top_input : NULL;
		rc = ks_session_run_hooks(tr, n, &hooks);	/* releases the parts' options */
	}
	rc = top_teardown(&st, rc);
	ks_opts_release(&opts);
	return rc;
}

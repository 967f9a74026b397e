// SPDX-License-Identifier: GPL-2.0
/*
 * kscope fileio: file opens (opensnoop, with flags, mode and errors
 * decoded), calls slower than a threshold (fileslower), and a per-file,
 * per-process summary of reads, writes, bytes and latency (filetop), or
 * the same summed per process or cgroup (--by).
 *
 * The kernel side sums the I/O per (process, open) in a map and sends the
 * final sums of a file at its close(2); this side collects the rest about
 * once a second, deletes what is final (files closed otherwise, exited
 * processes), and prints the summary at the end or every interval. With
 * --by, the kernel sums per owner instead, and the rows are a table of
 * the engine's (fileio_by.c).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "../kscope.h"
#include "../engine/cli.h"
#include "../engine/names.h"
#include "../engine/out.h"
#include "../engine/table.h"
#include "../engine/trace.h"
#include "../engine/util.h"
#include "fileio.h"
#include "fileio.skel.h"

KS_SKEL_OPS(fileio_bpf);

#define COMPACT_AT 4096                  /* fold finished entries once there are this many */
/* rows of finished entries kept before those of exited processes fold (~300 bytes each) */
#define FOLD_AT    16384
/* --by process: rows of exited processes kept apart in a period, at most (~800 bytes each) */
#define OWNERS_GONE_MAX 16384

struct fileio_state {
	const struct ks_opts *opts;
	bool top;                  /* summary only */
	bool no_summary;           /* --no-summary: the open stream only */
	bool failed;               /* --failed */
	bool slow;                 /* --slow */
	uint64_t slow_ns;
	int by;                    /* enum fio_by: --by process or cgroup */
	int sort;                  /* enum fio_sort */
	unsigned rows;             /* -n */

	struct fileio_bpf *skel;
	struct fio_summary *sum;
	struct ks_table *owners;   /* --by */
	uint64_t period_start;
	size_t compact_at;         /* fold gone entries once there are this many */
};

/* The syscalls kscope needs, by name: their numbers come from the target's uapi */
static const struct { const char *name; enum fio_op op; } syscalls[] = {
	{ "open", FIO_OP_OPEN },         { "openat", FIO_OP_OPENAT },
	{ "openat2", FIO_OP_OPENAT2 },   { "creat", FIO_OP_CREAT },
	{ "read", FIO_OP_READ },         { "pread64", FIO_OP_PREAD64 },
	{ "readv", FIO_OP_READV },       { "preadv", FIO_OP_PREADV },
	{ "preadv2", FIO_OP_PREADV2 },   { "write", FIO_OP_WRITE },
	{ "pwrite64", FIO_OP_PWRITE64 }, { "writev", FIO_OP_WRITEV },
	{ "pwritev", FIO_OP_PWRITEV },   { "pwritev2", FIO_OP_PWRITEV2 },
	{ "fsync", FIO_OP_FSYNC },       { "fdatasync", FIO_OP_FDATASYNC },
	{ "close", FIO_OP_CLOSE },       { "dup", FIO_OP_DUP },
	{ "dup2", FIO_OP_DUP2 },         { "dup3", FIO_OP_DUP3 },
	{ "fcntl", FIO_OP_FCNTL },
};

/* ---- collecting from the kernel ------------------------------------------- */

static bool process_gone(uint32_t pid)
{
	return kill(pid, 0) && errno == ESRCH;
}

static bool process_exited(uint32_t pid, void *arg)
{
	(void)arg;
	return process_gone(pid);
}

/*
 * A map's entries, read bucket by bucket (BPF_MAP_LOOKUP_BATCH, 5.6+):
 * each key at most once, however the kernel adds and deletes meanwhile. A
 * get_next_key walk restarts from the first bucket whenever the key it
 * stands on is deleted, which close(2) now does all the time: it saw keys
 * twice (one found final and marked gone on the first visit came back as
 * a new entry, its whole sums counted again) and need not end.
 */
struct dump {
	void *keys, *vals;
	size_t n, cap, ksize, vsize;
};

#define DUMP_CHUNK 1024

static int map_dump(int fd, struct dump *d)
{
	__u32 batch = 0, next;
	bool first = true;

	d->n = 0;
	for (;;) {
		__u32 count;
		int err;

		if (d->cap - d->n < DUMP_CHUNK) {
			size_t cap = d->cap ? 2 * d->cap : 4 * DUMP_CHUNK;
			void *k = realloc(d->keys, cap * d->ksize);

			if (!k)
				return -ENOMEM;
			d->keys = k;
			k = realloc(d->vals, cap * d->vsize);
			if (!k)
				return -ENOMEM;
			d->vals = k;
			d->cap = cap;
		}
		count = d->cap - d->n;
		err = bpf_map_lookup_batch(fd, first ? NULL : &batch, &next,
					   (char *)d->keys + d->n * d->ksize,
					   (char *)d->vals + d->n * d->vsize, &count, NULL);
		if (err && err != -ENOENT)
			return err == -ENOSPC ? -ENOMEM : err;	/* a bucket beyond DUMP_CHUNK */
		d->n += count;
		if (err)
			return 0;	/* -ENOENT: that was the last bucket */
		batch = next;
		first = false;
	}
}

static void dump_free(struct dump *d)
{
	free(d->keys);
	free(d->vals);
}

/* (process, open) pairs that still have a descriptor (struct fio_stat_key, in
 * key_cmp's order): the files not closed */
static int key_cmp(const void *a, const void *b)
{
	const struct fio_stat_key *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static bool live_has(const struct ks_vec *l, uint32_t pid, uint64_t id)
{
	struct fio_stat_key k = { .pid = pid, .id = id };

	return l->n && bsearch(&k, l->v, l->n, sizeof(k), key_cmp);
}

/* An fds entry as the walk saw it, in key_cmp's order once sorted */
struct fd_seen {
	uint32_t pid;
	int32_t fd;
	uint64_t id;
};

static int seen_cmp(const void *a, const void *b)
{
	const struct fd_seen *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Walk fds: which (process, open) pairs still have a descriptor, and drop
 * the entries of processes that exited without closing (their descriptors
 * were closed by the exit, which no hook here sees). Every walk: entries
 * of exited processes then last a second at most, so fds holds what is
 * open now and not what a churn of short processes left behind over the
 * last seconds. The pairs are gathered first and sorted by process, so a
 * process is checked once per walk whatever the number of its fds.
 * Walked before stats: a stats entry is made only while its fds entry
 * exists, so one made after this walk can look closed once, never twice in
 * a row, and "final" needs two (fio_summary_update).
 */
static void collect_fds(struct fileio_state *st, struct ks_vec *live)
{
	int fd = bpf_map__fd(st->skel->maps.fds);
	struct dump d = { .ksize = sizeof(struct fio_fd_key), .vsize = sizeof(struct fio_file) };
	struct ks_vec seen = KS_VEC(struct fd_seen);
	struct ks_vec dead = KS_VEC(struct fio_fd_key);
	const struct fd_seen *v;
	bool gone = false;

	map_dump(fd, &d);	/* what it could read, on an error */
	for (size_t i = 0; i < d.n; i++) {
		const struct fio_fd_key *k = (struct fio_fd_key *)d.keys + i;
		const struct fio_file *f = (struct fio_file *)d.vals + i;

		ks_vec_push(&seen, &(struct fd_seen){ k->pid, k->fd, f->id });
	}
	dump_free(&d);
	if (seen.n)
		qsort(seen.v, seen.n, seen.size, seen_cmp);
	v = seen.v;
	for (size_t i = 0; i < seen.n; i++) {
		if (!i || v[i].pid != v[i - 1].pid)
			gone = process_gone(v[i].pid);
		if (gone)
			ks_vec_push(&dead, &(struct fio_fd_key){ .pid = v[i].pid, .fd = v[i].fd });
		else
			/* in key_cmp's order; no memory: taken for closed, and its
			 * stats entry made again by its next call (nothing lost) */
			ks_vec_push(live, &(struct fio_stat_key){ .pid = v[i].pid, .id = v[i].id });
	}
	ks_vec_free(&seen);
	ks_map_delete_keys(fd, &dead);
}

static void stat_sums(struct fio_sums *cur, const struct fio_stat *v)
{
	*cur = (struct fio_sums){
		.reads = v->reads, .writes = v->writes,
		.read_bytes = v->read_bytes, .write_bytes = v->write_bytes,
		.read_ns = v->read_ns, .write_ns = v->write_ns,
		.fsyncs = v->fsyncs, .fsync_ns = v->fsync_ns, .errors = v->errors,
	};
}

static void collect_stats(struct fileio_state *st, const struct ks_vec *live)
{
	int fd = bpf_map__fd(st->skel->maps.stats);
	struct dump d = { .ksize = sizeof(struct fio_stat_key), .vsize = sizeof(struct fio_stat) };
	struct ks_vec dead = KS_VEC(struct fio_stat_key);

	map_dump(fd, &d);
	for (size_t i = 0; i < d.n; i++) {
		const struct fio_stat_key key = ((struct fio_stat_key *)d.keys)[i];
		const struct fio_stat *v = (struct fio_stat *)d.vals + i;
		struct fio_sums cur;
		bool closed;
		int final;

		stat_sums(&cur, v);
		/* closed, and no call still running on it */
		closed = !live_has(live, key.pid, key.id) && !v->inflight;
		final = fio_summary_update(st->sum, key.pid, key.id, v->comm, v->path,
					   sizeof(v->path), v->truncated, closed, &cur);
		if (final < 0)
			continue;
		/*
		 * Closed and collected twice, or its process is gone: nothing can
		 * change it (one with a descriptor left belongs to a process the
		 * fds walk just found alive)
		 */
		if (final || (!live_has(live, key.pid, key.id) && process_gone(key.pid))) {
			ks_vec_push(&dead, &key);
			fio_summary_gone(st->sum, key.pid, key.id);
		}
	}
	dump_free(&d);
	ks_map_delete_keys(fd, &dead);
}

/*
 * Fold the entries gone from the kernel per process and path once there
 * are compact_at of them: from the close records too, which come by the
 * thousand in a burst of short opens, so a period's entries stay near its
 * rows however many opens it had. Not again before COMPACT_AT more (the
 * rows left may be many).
 */
static void compact(struct fileio_state *st)
{
	if (fio_summary_gone_entries(st->sum) >= st->compact_at)
		st->compact_at = fio_summary_compact(st->sum, 0) + COMPACT_AT;
}

static void collect(struct fileio_state *st)
{
	struct ks_vec live = KS_VEC(struct fio_stat_key);

	collect_fds(st, &live);
	collect_stats(st, &live);
	ks_vec_free(&live);
	compact(st);
	fio_summary_fold(st->sum, FOLD_AT, st->sort, process_exited, NULL);
}

/*
 * --by: each owner's sums into its row. A process that is gone has its
 * entry read again (nothing adds to it any more: those are its last sums),
 * then deleted, its row shown once more. A cgroup's entry stays.
 */
static void collect_owners(struct fileio_state *st)
{
	int fd = bpf_map__fd(st->skel->maps.owners);
	struct dump d = { .ksize = sizeof(__u64), .vsize = sizeof(struct fio_owner_stat) };
	struct ks_vec dead = KS_VEC(__u64);
	struct ks_vec live = KS_VEC(struct fio_stat_key);

	/* descriptors of processes that exited without closing: dropped from fds */
	collect_fds(st, &live);
	ks_vec_free(&live);
	map_dump(fd, &d);
	for (size_t i = 0; i < d.n; i++) {
		__u64 owner = ((__u64 *)d.keys)[i];
		const struct fio_owner_stat *v = (struct fio_owner_stat *)d.vals + i;
		struct fio_owner_stat last;
		bool gone = st->by == FIO_BY_PROCESS && process_gone(owner);

		if (gone && !bpf_map_lookup_elem(fd, &owner, &last))
			v = &last;
		fio_owners_put(st->owners, owner, v, gone);
		if (gone)
			ks_vec_push(&dead, &owner);
	}
	dump_free(&d);
	ks_map_delete_keys(fd, &dead);
	fio_owners_fold(st->owners, OWNERS_GONE_MAX);
}

static void fileio_housekeeping(void *state)
{
	struct fileio_state *st = state;

	if (st->by)
		collect_owners(st);
	else if (!st->no_summary)
		collect(st);
}

/*
 * Print the period's summary and start a new period. The last, partial
 * period of an interval run is printed only if something happened in it.
 */
static void report(struct fileio_state *st, struct ks_out *o, bool last)
{
	uint64_t now;

	if (st->by) {
		collect_owners(st);
		if (last && st->opts->interval_s > 0 && !fio_owners_any(st->owners))
			return;
		ks_table_report(st->owners, o, NULL, st->opts->interval_s > 0, &st->period_start);
		return;
	}
	collect(st);
	now = ks_now_ns(CLOCK_MONOTONIC);
	if (last && st->opts->interval_s > 0 && !fio_summary_any(st->sum))
		return;
	if (!o->json && st->opts->interval_s > 0)
		ks_out_time_heading(o);
	fio_summary_print(st->sum, o, now, now - st->period_start, st->sort, st->rows);
	fio_summary_new_period(st->sum);
	st->compact_at = COMPACT_AT;
	st->period_start = now;
}

/* ---- the tracer --------------------------------------------------------- */

static const struct ks_probe fileio_probes[] = {
	{ "sys-enter", { KS_PROG(fileio_bpf, fio_enter_btf), KS_PROG(fileio_bpf, fio_enter_raw),
			 KS_PROG(fileio_bpf, fio_enter_tp) } },
	{ "sys-exit", { KS_PROG(fileio_bpf, fio_exit_btf), KS_PROG(fileio_bpf, fio_exit_raw),
			KS_PROG(fileio_bpf, fio_exit_tp) } },
};

static int fileio_configure(void *state, void *skel)
{
	struct fileio_state *st = state;
	struct fileio_bpf *s = skel;

	for (size_t i = 0; i < ARRAY_SIZE(syscalls); i++) {
		long nr = ks_syscall_nr(syscalls[i].name);

		/* a syscall this architecture does not have (arm64: open, creat) */
		if (nr < 0 || nr >= FIO_NR_MAX)
			continue;
		/* opens only: every other call is rejected at its first look-up */
		if (!st->no_summary || FIO_IS_OPEN(syscalls[i].op))
			s->rodata->sys_op[nr] = syscalls[i].op;
	}
	s->rodata->track_fds = !st->no_summary;
	s->rodata->by_owner = st->by;
	/* the map of the other summary, unused: one entry */
	if (bpf_map__set_max_entries(st->by ? s->maps.stats : s->maps.owners, 1))
		return -1;
	s->rodata->emit_opens = !st->top && (!st->slow || st->failed);
	s->rodata->failed_only = st->failed;
	s->rodata->emit_slow = st->slow;
	s->rodata->slow_ns = st->slow_ns;
	s->rodata->self_pid = getpid();
	return 0;
}

static int fileio_start(void *state, void *skel, struct ks_out *o)
{
	struct fileio_state *st = state;

	st->skel = skel;
	st->period_start = ks_now_ns(CLOCK_MONOTONIC);
	st->compact_at = COMPACT_AT;
	if (!st->top)
		ks_rec_header(o);
	return 0;
}

static int fileio_event(void *state, struct ks_out *o, const void *data, size_t size)
{
	struct fileio_state *st = state;
	const char *path;
	size_t len;

	switch (fio_event_check(data, size)) {
	case FIO_EV_OPEN: {
		const struct fio_open_event *e = data;

		path = fio_open_path(e, &len);
		/* longer than the maps keep: the summary needs the whole name */
		if (e->id && len >= FIO_PATH_MAX)
			fio_summary_name(st->sum, e->id, path, len);
		if (e->hdr.flags & FIO_F_NAME_ONLY)
			return 0;
		fio_print_open(o, e);
		return 0;
	}
	case FIO_EV_SLOW: {
		const struct fio_slow_event *e = data;

		path = e->hdr.flags & FIO_F_MAP_CUT ? fio_summary_full_name(st->sum, e->id, &len) : NULL;
		fio_print_slow(o, e, path, path ? len : 0);
		return 0;
	}
	case FIO_EV_CLOSE: {
		const struct fio_close_event *e = data;
		struct fio_sums cur;

		/* the kernel deleted the entry: these are its last values */
		stat_sums(&cur, &e->s);
		if (fio_summary_update(st->sum, e->s.pid, e->s.id, e->s.comm, e->s.path,
				       e->s.path_len, e->s.truncated, true, &cur) >= 0)
			fio_summary_gone(st->sum, e->s.pid, e->s.id);
		compact(st);
		return 0;
	}
	}
	return -EINVAL;
}

static int fileio_report(void *state, struct ks_out *o, unsigned flags)
{
	struct fileio_state *st = state;

	if (st->no_summary)
		return 0;
	if ((flags & KS_REPORT_END) && !st->top && !o->json)
		ks_out_sep(o);	/* the summary after the event stream */
	report(st, o, flags & KS_REPORT_END);
	return 0;
}

static int fileio_finish(void *state, struct ks_out *o)
{
	struct fileio_state *st = state;
	uint64_t compat = 0;
	uint32_t zero = 0;

	(void)o;
	if (!bpf_map_lookup_elem(bpf_map__fd(st->skel->maps.compat_seen), &zero, &compat) && compat)
		fprintf(stderr, "kscope: 32-bit (compat) processes made system calls: fileio "
			"follows 64-bit calls only, their files are not in this output\n");
	return 0;
}

const struct ks_tracer fileio_tracer = {
	KS_TRACER(fileio, "file opens and I/O"),
	.configure = fileio_configure,
	KS_TRACER_SUMMARY(fileio),
};

/* ---- command line ------------------------------------------------------- */

enum { OPT_SLOW = 0x200, OPT_TOP, OPT_NO_SUMMARY, OPT_BY };

static const struct ks_cli_opt fileio_opts[] = {
	{ "failed", 'x', NULL, "only opens that failed (filtered in the kernel)",
	  KS_CLI_SET(struct fileio_state, failed) },
	{ "slow", OPT_SLOW, "MS", "stream read/write/fsync calls that took MS milliseconds or more, instead of opens" },
	{ "top", OPT_TOP, NULL, "only the summary, no opens (every interval with [interval [count]])",
	  KS_CLI_SET(struct fileio_state, top) },
	{ "by", OPT_BY, "KIND", "the summary per process or cgroup instead of per file (and no "
	  "opens): every interval, or at the end" },
	{ "no-summary", OPT_NO_SUMMARY, NULL,
	  "only the open stream: no per-file summary, and none of its descriptor tracking (cheapest)",
	  KS_CLI_SET(struct fileio_state, no_summary) },
	{ "sort", 's', "KEY", "order the summary by bytes (default), calls or time" },
	{ "rows", 'n', "N", "show the first N summary rows only" },
	{ 0 }
};

static struct ks_cli fileio_cli;

/* Milliseconds, a decimal >= 0, as nanoseconds */
static int parse_ms(const char *s, uint64_t *ns)
{
	char *end;
	double v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > 3600e3)
		return -EINVAL;
	*ns = (uint64_t)(v * 1e6 + 0.5);
	return 0;
}

static int fileio_parse(void *state, int key, const char *arg)
{
	static const char *const bys[] = { "process", "cgroup", NULL };
	struct fileio_state *st = state;
	int i;

	switch (key) {
	case OPT_BY:
		i = ks_cli_choice(arg, bys);
		if (i < 0) {
			ks_cli_error(&fileio_cli, "invalid --by '%s' (process or cgroup)", arg);
			return -1;
		}
		st->by = i == 0 ? FIO_BY_PROCESS : FIO_BY_CGROUP;
		return 0;
	case OPT_SLOW:
		if (parse_ms(arg, &st->slow_ns)) {
			ks_cli_error(&fileio_cli, "invalid --slow '%s' (milliseconds, >= 0)", arg);
			return -1;
		}
		st->slow = true;
		return 0;
	}
	return -1;
}

static int fileio_setup(void *state, struct ks_opts *o)
{
	struct fileio_state *st = state;

	/* an interval, or --by: the summary only */
	if (o->interval_s > 0 || st->by)
		st->top = true;
	if (o->container && st->top && st->by != FIO_BY_CGROUP) {
		ks_cli_error(&fileio_cli, "-C names the container of each event record or --by "
			     "cgroup row: %s, it needs --by cgroup",
			     st->by ? "--by process prints none" : o->interval_s > 0 ?
			     "an interval prints the per-file summary only" :
			     "--top prints the per-file summary only");
		return KS_EXIT_USAGE;
	}
	st->opts = o;
	st->sum = fio_summary_new();
	if (!st->sum)
		return KS_EXIT_FAIL;
	if (st->by) {
		st->owners = fio_owners_new(st->by, st->sort, st->rows, o->container);
		if (!st->owners)
			return KS_EXIT_FAIL;
	}
	return 0;
}

static int fileio_teardown(void *state, int rc)
{
	struct fileio_state *st = state;

	fio_summary_free(st->sum);
	ks_table_free(st->owners);
	return rc;
}

static const struct ks_cli_conflict fileio_conflicts[] = {
	{ OPT_TOP, 'x', "--top prints the summary only" },
	{ OPT_TOP, OPT_SLOW, "--top prints the summary only" },
	{ KS_CLI_KEY_INTERVAL, 'x', "an interval prints the summary only (--top)" },
	{ KS_CLI_KEY_INTERVAL, OPT_SLOW, "an interval prints the summary only (--top)" },
	{ OPT_SLOW, 'x', "--slow streams slow reads and writes instead of opens" },
	{ OPT_NO_SUMMARY, OPT_TOP, "--no-summary streams opens only" },
	{ OPT_NO_SUMMARY, OPT_SLOW, "--no-summary streams opens only" },
	{ OPT_NO_SUMMARY, KS_CLI_KEY_INTERVAL, "--no-summary streams opens only" },
	{ OPT_NO_SUMMARY, 's', "--no-summary prints no summary to sort" },
	{ OPT_NO_SUMMARY, 'n', "--no-summary prints no summary to cut" },
	{ OPT_NO_SUMMARY, OPT_BY, "--no-summary streams opens only" },
	{ OPT_BY, OPT_SLOW, "--by sums the calls per process or cgroup, --slow streams them" },
	{ OPT_BY, 'x', "--by prints its summary only, no opens" },
	{ 0 }
};

static struct ks_cli fileio_cli = {
	.cmd = "fileio",
	.summary = "File opens, slow reads/writes/fsyncs, and I/O per file and process.",
	.details =
	"By default every open (open, openat, openat2, creat) is streamed with its flags,\n"
	"mode, fd or error and the path as the process gave it; at the end a summary shows,\n"
	"per process and file, the reads, writes and fsyncs, their bytes and their time\n"
	"(syscall entry to exit), sorted by bytes. Reads and writes are counted in the\n"
	"kernel, per file opened while kscope runs (descriptors are tracked from the open,\n"
	"through dup and fork, to the close). --top prints the summary only, every interval\n"
	"given; --slow streams the calls that took at least MS milliseconds instead of opens;\n"
	"--no-summary streams the opens and tracks nothing else (the cheapest mode).\n"
	"--by process or --by cgroup sums the same calls per process, or per cgroup (the\n"
	"task's when it made the call: cgroup v2, or its v1 cpu cgroup on a host without v2),\n"
	"and prints that summary only, at the end or every interval; with -C each cgroup's\n"
	"row names its container.",
	.examples =
	"  kscope fileio                         # opens as they happen, per-file I/O at Ctrl-C\n"
	"  kscope fileio -x                      # failed opens only\n"
	"  kscope fileio --no-summary -j -o F    # every open to a file, nothing else\n"
	"  kscope fileio --top 1 -n 10           # the 10 busiest files, every second\n"
	"  kscope fileio --slow 10 -p 1234       # calls of 10 ms or more by process 1234\n"
	"  kscope fileio --by cgroup 5           # file I/O per cgroup, every 5 seconds\n"
	"  kscope fileio -j -- make              # a build's opens and I/O as NDJSON\n",
	KS_CLI_OF(fileio),
	/* -s KEY: in enum fio_sort's order */
	KS_CLI_SORT(struct fileio_state, sort, rows, "bytes", "calls", "time"),
	.flags = KS_CLI_TRACE | KS_CLI_INTERVAL | KS_CLI_PROGRAM,
};

/* cmd_fileio, and part_fileio for a session of several commands (kscope container) */
KS_COMMAND(fileio, struct fileio_state, { .sort = FIO_SORT_BYTES })

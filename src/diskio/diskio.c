// SPDX-License-Identifier: GPL-2.0
/*
 * kscope diskio: block I/O per device, operation and owner: requests, bytes,
 * errors by errno, and latency split into queue time (insert to issue, in
 * the I/O scheduler) and device time (issue to completion), with
 * percentiles; log2 latency and size histograms (biolatency, bitesize);
 * sequential vs random (biopattern); or one record per request (biosnoop).
 *
 * The kernel side (diskio.bpf.c) keeps cumulative counters per row key
 * (owner, device, op, sync); every collection (about once a second, and at
 * each report) puts them into the engine's table, which turns them into
 * per-period amounts.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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
#include "diskio.h"
#include "diskio.skel.h"

KS_SKEL_OPS(diskio_bpf);

enum sort_key { SORT_REQUESTS, SORT_BYTES, SORT_ERRORS, SORT_QUEUE, SORT_DEVICE };
enum view { VIEW_TABLE, VIEW_HIST, VIEW_SIZES, VIEW_EVENTS };

struct dev_name {
	uint32_t dev;              /* the kernel's dev_t: major << 20 | minor */
	char name[32];
};

struct dio_state {
	struct ks_opts *opts;
	struct diskio_bpf *skel;
	/* options */
	int by;                    /* DIO_BY_* */
	bool by_given;
	bool hist, sizes, events, per_dev;
	int stage;                 /* --hist's: DIO_QUEUE, DIO_DEVICE, DIO_TOTAL */
	int sort;                  /* enum sort_key */
	unsigned top;
	uint32_t devs[DIO_MAX_FILTER];
	int ndevs;
	/* state */
	enum view view;
	struct ks_table *table;
	struct ks_table_group group;
	struct ks_vec names;       /* struct dev_name, as learned */
	uint64_t period_start;
	bool interval_mode;
	int ncpus;
	void *vals;                /* lookup buffer: a dio_stat per possible CPU */
	struct dio_stat sum;       /* the CPUs' values of a row, summed */
};

static const char *const op_names[DIO_OP_NR] = {
	[DIO_OP_READ] = "read", [DIO_OP_WRITE] = "write", [DIO_OP_FLUSH] = "flush",
	[DIO_OP_DISCARD] = "discard", [DIO_OP_WRITE_ZEROES] = "write_zeroes",
	[DIO_OP_OTHER] = "other",
};

static const char *const stage_names[DIO_STAGES + 1] = { "queue", "device", "total", NULL };

static const char *op_name(unsigned op)
{
	return op < DIO_OP_NR ? op_names[op] : "other";
}

static uint32_t dev_major(uint32_t dev)
{
	return dev >> 20;
}

static uint32_t dev_minor(uint32_t dev)
{
	return dev & ((1u << 20) - 1);
}

/* The name of a block device ("loop0", "vda"): /sys/dev/block/MAJ:MIN's target */
static const char *dev_name(struct dio_state *st, uint32_t dev)
{
	struct dev_name n = { .dev = dev }, *p;
	char path[64], target[PATH_MAX];
	ssize_t len;

	for (size_t i = 0; i < st->names.n; i++) {
		p = ks_vec_at(&st->names, i);
		if (p->dev == dev)
			return p->name;
	}
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", dev_major(dev), dev_minor(dev));
	len = readlink(path, target, sizeof(target) - 1);
	if (len > 0) {
		const char *base;

		target[len] = 0;
		base = strrchr(target, '/');
		snprintf(n.name, sizeof(n.name), "%.31s", base ? base + 1 : target);
	} else {
		snprintf(n.name, sizeof(n.name), "%u:%u", dev_major(dev), dev_minor(dev));
	}
	p = ks_vec_push(&st->names, &n);
	return p ? p->name : "?";
}

/* The scheduler in use ("none", "mq-deadline"), into buf; "" if not known */
static void dev_scheduler(const char *name, char *buf, size_t n)
{
	char path[96], line[256], *a, *b;
	FILE *f;

	buf[0] = 0;
	snprintf(path, sizeof(path), "/sys/block/%s/queue/scheduler", name);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		a = strchr(line, '[');
		b = a ? strchr(a, ']') : NULL;
		if (a && b) {
			*b = 0;
			snprintf(buf, n, "%.63s", a + 1);
		} else {
			line[strcspn(line, " \n")] = 0;
			snprintf(buf, n, "%.63s", line);
		}
	}
	fclose(f);
}

/* ---- the table ---------------------------------------------------------- */

/* in the order of the JSON keys */
enum { C_PID, C_COMM, C_CGROUP_ID, C_CGROUP, C_CONTAINER, C_CONTAINER_RT = C_CONTAINER + 1,
       C_DEVICE, C_MAJOR, C_MINOR, C_SCHED, C_OP,
       C_OPNR, C_SYNCNR, C_SYNC, C_REQS, C_BYTES, C_ERRORS, C_ERRNOS,
       C_Q, C_Q_END = C_Q + 6, C_D, C_D_END = C_D + 6, C_T, C_T_END = C_T + 6,
       C_SEQ, C_RND, C_CLS, C_SEQPCT,
       C_LOG2, C_LOG2_END = C_LOG2 + DIO_STAGES - 1, C_SIZES, NCOLS };

static void sync_text(struct ks_out *o, const struct ks_row *r)
{
	ks_out_cstr(o, ks_row_get(r, C_SYNCNR) ? "sync" : "-");
}

static void sync_json(struct ks_out *o, const struct ks_row *r)
{
	ks_json_bool(o, ks_row_get(r, C_SYNCNR));
}

static uint64_t row_classified(const struct ks_row *r)
{
	return ks_row_get(r, C_SEQ) + ks_row_get(r, C_RND);
}

static uint64_t row_seq_pct(const struct ks_row *r)
{
	uint64_t n = row_classified(r);

	return n ? (ks_row_get(r, C_SEQ) * 100 + n / 2) / n : 0;
}

/*
 * Labels looked up for what is shown: a live process's name, a cgroup's
 * path and with -C its container, the scheduler
 */
static void row_prepare(struct ks_row *r)
{
	struct dio_state *st = ks_table_ctx(ks_row_table(r));
	char buf[KS_COMM_LEN] = "", sched[64];
	const char *name;
	size_t len;

	if (st->by == DIO_BY_PROCESS && !ks_row_is_gone(r) &&
	    ks_proc_comm(ks_row_get(r, C_PID), buf))
		ks_row_put_str(r, C_COMM, buf, sizeof(buf));
	if (st->by == DIO_BY_CGROUP)
		ks_row_put_cgroup(r, C_CGROUP, C_CONTAINER, "blkio", ks_row_get(r, C_CGROUP_ID));
	name = ks_row_str(r, C_DEVICE, &len);
	if (len && len < 32 && !memchr(name, '/', len)) {
		char dev[32];

		memcpy(dev, name, len);
		dev[len] = 0;
		dev_scheduler(dev, sched, sizeof(sched));
		ks_row_put_str(r, C_SCHED, sched, strlen(sched));
	}
}

/* What the latency columns of one stage add to the text: the queue's and the device's */
#define LAT_FLAGS (KS_COL_NULL | KS_COL_LEFT)

static const struct ks_col dio_cols[NCOLS] = {
	[C_PID] = { "pid", "PID", KS_COL_COUNT, KS_COL_KEY | KS_COL_LEFT, 7 },
	[C_COMM] = { "comm", "COMM", KS_COL_COMM, 0, 16 },
	[C_CGROUP_ID] = { "cgroup_id", "", KS_COL_COUNT, KS_COL_KEY | KS_COL_TEXT_HIDE },
	[C_CGROUP] = { "cgroup", "CGROUP", KS_COL_STR, 0, 24, .size = 256 },
	KS_CONTAINER_COLS(C_CONTAINER),
	[C_DEVICE] = { "device", "DEVICE", KS_COL_STR, 0, 10, .size = 32 },
	[C_MAJOR] = { "major", "", KS_COL_COUNT, KS_COL_KEY | KS_COL_TEXT_HIDE },
	[C_MINOR] = { "minor", "", KS_COL_COUNT, KS_COL_KEY | KS_COL_TEXT_HIDE },
	[C_SCHED] = { "scheduler", "", KS_COL_STR, KS_COL_TEXT_HIDE, 0, .size = 32 },
	[C_OP] = { "op", "OP", KS_COL_STR, 0, 7, .size = 16 },
	[C_OPNR] = { "op_nr", "", KS_COL_COUNT, KS_COL_KEY | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE },
	[C_SYNCNR] = { "sync_nr", "", KS_COL_COUNT,
		       KS_COL_KEY | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE },
	[C_SYNC] = { "sync", "SYNC", KS_COL_CUSTOM, 0, 5, .text = sync_text, .json = sync_json },
	[C_REQS] = { "requests", "REQS", KS_COL_COUNT, KS_COL_CUM, 8,
		     .help = "requests completed" },
	[C_BYTES] = { "bytes", "BYTES", KS_COL_BYTES, KS_COL_CUM, 9,
		      .help = "bytes of the requests completed (failed ones too)" },
	[C_ERRORS] = { "errors", "ERRS", KS_COL_COUNT, KS_COL_DERIVED, 5,
		       .derive = ks_errnos_derive, .help = "requests that failed" },
	[C_ERRNOS] = { "errnos", "ERRNOS", KS_COL_CUSTOM, 0, 0, .pre = "  ",
		       .text = ks_errnos_text, .json = ks_errnos_json },
	[C_SEQ] = { "sequential", "", KS_COL_COUNT, KS_COL_CUM | KS_COL_TEXT_HIDE,
		    .help = "requests that began where the device's previous one ended" },
	[C_RND] = { "random", "", KS_COL_COUNT, KS_COL_CUM | KS_COL_TEXT_HIDE,
		    .help = "requests that did not" },
	[C_CLS] = { "classified", "", KS_COL_COUNT,
		    KS_COL_DERIVED | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE, .derive = row_classified },
	[C_SEQPCT] = { "seq_pct", "SEQ(%)", KS_COL_COUNT,
		       KS_COL_DERIVED | KS_COL_DASH | KS_COL_JSON_HIDE, 6, .derive = row_seq_pct,
		       .unless = C_CLS },
	KS_LATENCY_COLS(C_Q, "queue", "Q", LAT_FLAGS),
	KS_LATENCY_COLS(C_D, "device", "D", LAT_FLAGS),
	KS_LATENCY_COLS(C_T, "total", "T", LAT_FLAGS | KS_COL_TEXT_HIDE),
	[C_LOG2 + DIO_QUEUE] = { "queue_log2", "", KS_COL_HIST,
				 KS_COL_CUM | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE },
	[C_LOG2 + DIO_DEVICE] = { "device_log2", "", KS_COL_HIST,
				  KS_COL_CUM | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE },
	[C_LOG2 + DIO_TOTAL] = { "total_log2", "", KS_COL_HIST,
				 KS_COL_CUM | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE },
	[C_SIZES] = { "sizes", "", KS_COL_HIST, KS_COL_CUM | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE },
};

static const int dio_text_order[] = {
	C_PID, C_COMM, C_CGROUP, C_CONTAINER, C_DEVICE, C_OP, C_SYNC, C_REQS, C_BYTES, C_ERRORS,
	C_Q + 2, C_Q + 3, C_Q + 4, C_Q + 5, C_D + 2, C_D + 3, C_D + 4, C_D + 5, C_SEQPCT, C_ERRNOS,
	/* not in text: */
	C_CGROUP_ID, C_CONTAINER_RT, C_MAJOR, C_MINOR, C_SCHED, C_OPNR, C_SYNCNR, C_SEQ, C_RND,
	C_CLS, C_Q, C_Q + 1, C_Q + 6, C_D, C_D + 1, C_D + 6, C_T, C_T + 1, C_T + 2, C_T + 3,
	C_T + 4, C_T + 5, C_T + 6, C_LOG2, C_LOG2 + 1, C_LOG2 + 2, C_SIZES,
};
_Static_assert(sizeof(dio_text_order) / sizeof(dio_text_order[0]) == NCOLS, "text order");

static const int dio_ties[] = { C_BYTES, -1 };

static const struct ks_table_desc dio_table = {
	.type = "diskio_stat",
	.cols = dio_cols,
	.ncols = NCOLS,
	.key_size = sizeof(struct dio_key),
	.text_order = dio_text_order,
	.ties = dio_ties,
	.ext_size = sizeof(struct ks_errnos),
	.ext_new_period = ks_errnos_new_period,
	.ext_free = ks_errnos_free,
	.ext_merge = ks_errnos_merge,
	.prepare = row_prepare,
};

static const int by_none[] = { -1 }, by_dev[] = { C_MAJOR, C_MINOR, -1 },
		 by_pid[] = { C_PID, -1 }, by_cgroup[] = { C_CGROUP_ID, -1 };

/* The row of a key, made and labelled if new */
static struct ks_row *row_get(struct dio_state *st, const struct dio_key *k)
{
	struct ks_row *r = ks_table_find(st->table, k);
	const char *s;

	if (r && !ks_row_is_gone(r))
		return r;
	r = ks_table_row(st->table, k);
	if (!r)
		return NULL;
	if (st->by == DIO_BY_PROCESS)
		ks_row_put(r, C_PID, k->owner);
	else if (st->by == DIO_BY_CGROUP)
		ks_row_put(r, C_CGROUP_ID, k->owner);
	s = dev_name(st, k->dev);
	ks_row_put_str(r, C_DEVICE, s, strlen(s));
	ks_row_put(r, C_MAJOR, dev_major(k->dev));
	ks_row_put(r, C_MINOR, dev_minor(k->dev));
	s = op_name(k->op);
	ks_row_put_str(r, C_OP, s, strlen(s));
	ks_row_put(r, C_OPNR, k->op);
	ks_row_put(r, C_SYNCNR, k->sync);
	return r;
}

/* A key whose process is gone: its kernel entries go, its row is shown once more */
static bool key_gone(const struct dio_state *st, const struct dio_key *k)
{
	return st->by == DIO_BY_PROCESS && k->owner && !ks_pid_alive(k->owner);
}

static void put_lat(struct ks_row *r, int c, const struct dio_lat *l)
{
	ks_row_put(r, c, l->count);
	ks_row_put(r, c + 1, l->total_ns);
	ks_row_put_hist(r, c + 6, l->hist);	/* before the max, which reads it */
	ks_row_put(r, c + 5, l->max_ns);
}

static void collect_errnos(struct dio_state *st)
{
	int fd = bpf_map__fd(st->skel->maps.err_stats);
	struct dio_err_key key, next, *prev = NULL;
	struct ks_vec dead = KS_VEC(struct dio_err_key);
	uint64_t n;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct ks_row *r;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &n))
			continue;
		r = row_get(st, &key.k);
		if (!r || ks_errnos_put(ks_row_ext(r), key.err, n))
			continue;
		if (key_gone(st, &key.k) && ks_vec_push(&dead, &key))
			ks_errnos_restart(ks_row_ext(r), key.err);
	}
	ks_map_delete_keys(fd, &dead);
}

#define STAT_STRIDE ((sizeof(struct dio_stat) + 7) / 8 * 8)

/* A row's per-CPU values as one: sums, and the largest of the maxima */
static void sum_cpus(struct dio_stat *sum, const void *vals, int ncpus)
{
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpus; c++) {
		const struct dio_stat *v = (const void *)((const char *)vals + c * STAT_STRIDE);

		sum->requests += v->requests;
		sum->bytes += v->bytes;
		sum->sequential += v->sequential;
		sum->random += v->random;
		for (int i = 0; i < DIO_STAGES; i++) {
			struct dio_lat *l = &sum->lat[i];

			l->count += v->lat[i].count;
			l->total_ns += v->lat[i].total_ns;
			if (v->lat[i].max_ns > l->max_ns)
				l->max_ns = v->lat[i].max_ns;
			for (int s = 0; s < KS_LL_SLOTS; s++)
				l->hist[s] += v->lat[i].hist[s];
			for (int s = 0; s < KS_LOG2_SLOTS; s++)
				sum->log2[i][s] += v->log2[i][s];
		}
		for (int s = 0; s < KS_LOG2_SLOTS; s++)
			sum->sizes[s] += v->sizes[s];
	}
}

static void collect_stats(struct dio_state *st)
{
	int fd = bpf_map__fd(st->skel->maps.stats);
	int cfd = bpf_map__fd(st->skel->maps.proc_comm);
	struct dio_key key, next, *prev = NULL;
	struct ks_vec dead = KS_VEC(struct dio_key);
	const struct dio_stat *v = &st->sum;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct ks_row *r;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, st->vals))
			continue;
		sum_cpus(&st->sum, st->vals, st->ncpus);
		r = row_get(st, &key);
		if (!r)
			continue;
		ks_row_put(r, C_REQS, v->requests);
		ks_row_put(r, C_BYTES, v->bytes);
		ks_row_put(r, C_SEQ, v->sequential);
		ks_row_put(r, C_RND, v->random);
		put_lat(r, C_Q, &v->lat[DIO_QUEUE]);
		put_lat(r, C_D, &v->lat[DIO_DEVICE]);
		put_lat(r, C_T, &v->lat[DIO_TOTAL]);
		for (int s = 0; s < DIO_STAGES; s++)
			ks_row_put_hist(r, C_LOG2 + s, v->log2[s]);
		ks_row_put_hist(r, C_SIZES, v->sizes);
		if (st->by == DIO_BY_PROCESS) {
			char comm[KS_COMM_LEN] = "";
			size_t len;

			/* the name the kernel saw, until /proc names it at printing */
			ks_row_str(r, C_COMM, &len);
			if (!len && !bpf_map_lookup_elem(cfd, &key.owner, comm))
				ks_row_put_str(r, C_COMM, comm, sizeof(comm));
		}
		if (key_gone(st, &key) && ks_vec_push(&dead, &key))
			ks_row_gone(r);
	}
	for (size_t i = 0; i < dead.n; i++) {
		const struct dio_key *k = ks_vec_at(&dead, i);
		uint32_t pid = k->owner;

		bpf_map_delete_elem(cfd, &pid);
	}
	ks_map_delete_keys(fd, &dead);
}

/* Errnos first: the kernel counts a request before its errno, so errors <= requests */
static void collect(struct dio_state *st)
{
	if (st->view == VIEW_EVENTS)
		return;
	collect_errnos(st);
	collect_stats(st);
}

/* ---- histograms (--hist, --sizes): a sink of the grouped rows -------------- */

static void hist_row(struct ks_sink *s, const struct ks_table *t, const struct ks_row *r)
{
	struct dio_state *st = ks_table_ctx(t);
	int col = st->view == VIEW_SIZES ? C_SIZES : C_LOG2 + st->stage;
	const uint32_t *slots = ks_row_hist(r, col, false);
	const int *by = st->group.by;
	struct ks_out *o = s->o;
	uint64_t count = 0;
	const char *str;
	size_t len;

	for (int i = 0; i < KS_LOG2_SLOTS; i++)
		count += slots[i];
	if (o->json) {
		if (st->view == VIEW_SIZES) {
			ks_log2_json_begin(o, "diskio_size", "KiB", s->ts_ns, s->interval_ns);
		} else {
			ks_log2_json_begin(o, "diskio_latency", "us", s->ts_ns, s->interval_ns);
			ks_json_kv_str(o, "stage", stage_names[st->stage],
				       strlen(stage_names[st->stage]));
		}
		if (by == by_dev) {
			str = ks_row_str(r, C_DEVICE, &len);
			ks_json_kv_str(o, "device", str, len);
			ks_json_kv_u64(o, "major", ks_row_get(r, C_MAJOR));
			ks_json_kv_u64(o, "minor", ks_row_get(r, C_MINOR));
		} else if (by == by_pid) {
			ks_json_kv_u64(o, "pid", ks_row_get(r, C_PID));
			str = ks_row_str(r, C_COMM, &len);
			ks_json_kv_str(o, "comm", str, len);
		} else if (by == by_cgroup) {
			ks_json_kv_u64(o, "cgroup_id", ks_row_get(r, C_CGROUP_ID));
			str = ks_row_str(r, C_CGROUP, &len);
			ks_json_kv_str(o, "cgroup", str, len);
		}
		ks_json_kv_u64(o, "count", count);
		ks_log2_json_buckets(o, slots);
		ks_json_end(o);
		return;
	}
	ks_out_sep(o);
	if (st->view == VIEW_SIZES)
		ks_out_cstr(o, "request sizes");
	else
		ks_out_printf(o, "%s time", stage_names[st->stage]);
	if (by == by_dev) {
		str = ks_row_str(r, C_DEVICE, &len);
		ks_out_cstr(o, ", disk = ");
		ks_out_text(o, str, len);
	} else if (by == by_pid) {
		ks_out_printf(o, ", pid = %" PRIu64 " comm = ", ks_row_get(r, C_PID));
		str = ks_row_str(r, C_COMM, &len);
		ks_out_text(o, str, len);
	} else if (by == by_cgroup) {
		str = ks_row_str(r, C_CGROUP, &len);
		ks_out_cstr(o, ", cgroup = ");
		if (len)
			ks_out_text(o, str, len);
		else
			ks_out_printf(o, "%" PRIu64, ks_row_get(r, C_CGROUP_ID));
	}
	ks_out_printf(o, " (%" PRIu64 " requests)\n", count);
	ks_log2_print(o, slots, st->view == VIEW_SIZES ? "Kbytes" : "usecs");
}

static const struct ks_sink_ops hist_sink = { .row = hist_row };

/* ---- the tracer --------------------------------------------------------- */

static const struct ks_probe diskio_probes[] = {
	/* only for what needs a request's owner: --by process, --events, the filters */
	{ "io-start", { KS_PROG(diskio_bpf, dio_start_btf), KS_PROG(diskio_bpf, dio_start_raw),
			KS_PROG(diskio_bpf, dio_start_tp) }, KS_PROBE_OPTIONAL | KS_PROBE_BEST },
	{ "insert", { KS_PROG(diskio_bpf, dio_insert_btf), KS_PROG(diskio_bpf, dio_insert_raw),
		      KS_PROG(diskio_bpf, dio_insert_tp) } },
	{ "issue", { KS_PROG(diskio_bpf, dio_issue_btf), KS_PROG(diskio_bpf, dio_issue_raw),
		     KS_PROG(diskio_bpf, dio_issue_tp) } },
	{ "complete", { KS_PROG(diskio_bpf, dio_complete_btf),
			KS_PROG(diskio_bpf, dio_complete_raw),
			KS_PROG(diskio_bpf, dio_complete_tp) } },
	/* a request merged into another is freed without a completion: its entry goes */
	{ "merge", { KS_PROG(diskio_bpf, dio_merge_btf), KS_PROG(diskio_bpf, dio_merge_raw),
		     KS_PROG(diskio_bpf, dio_merge_tp) }, KS_PROBE_BEST },
};

static int diskio_configure(void *state, void *skel)
{
	struct dio_state *st = state;
	struct diskio_bpf *s = skel;
	int err = 0;

	s->rodata->by = st->by;
	s->rodata->want_hist = st->view == VIEW_HIST;
	s->rodata->emit_events = st->view == VIEW_EVENTS;
	s->rodata->ndevs = st->ndevs;
	memcpy((void *)s->rodata->devs, st->devs, sizeof(st->devs));
	if (st->by != DIO_BY_PROCESS)
		err = bpf_map__set_max_entries(s->maps.proc_comm, 1);
	if (st->view != VIEW_EVENTS)
		err = err ?: bpf_map__set_max_entries(s->maps.owners, 1);
	return err;
}

/*
 * io-start: where the kernel has it, what names a request's owner needs it
 * (--by process, --events, the common filters); the rest does without the
 * program (a request then starts at its insert or issue).
 */
static bool diskio_wanted(void *state, const struct ks_probe *p)
{
	const struct dio_state *st = state;
	const struct ks_opts *o = st->opts;

	(void)p;
	return st->by == DIO_BY_PROCESS || st->view == VIEW_EVENTS || o->npids || o->follow ||
	       o->uid_set || o->cgroup || o->comm;
}

static int diskio_start(void *state, void *skel, struct ks_out *o)
{
	struct dio_state *st = state;
	struct diskio_bpf *s = skel;

	st->skel = s;
	/* one plain tracepoint among the probes: every probe keys by (dev, sector) */
	s->bss->tp_keys = bpf_program__fd(s->progs.dio_start_tp) >= 0 ||
			  bpf_program__fd(s->progs.dio_insert_tp) >= 0 ||
			  bpf_program__fd(s->progs.dio_merge_tp) >= 0 ||
			  bpf_program__fd(s->progs.dio_issue_tp) >= 0 ||
			  bpf_program__fd(s->progs.dio_complete_tp) >= 0;
	s->bss->have_start = bpf_program__fd(s->progs.dio_start_btf) >= 0 ||
			     bpf_program__fd(s->progs.dio_start_raw) >= 0 ||
			     bpf_program__fd(s->progs.dio_start_tp) >= 0;
	s->bss->counting = 1;
	st->period_start = ks_now_ns(CLOCK_MONOTONIC);
	if (st->view == VIEW_EVENTS)
		ks_rec_header(o);
	return 0;
}

static int diskio_event(void *state, struct ks_out *o, const void *data, size_t size)
{
	struct dio_state *st = state;
	const struct dio_event *e = data;
	const char *dev, *op, *en = NULL;
	uint64_t start;
	char num[24];

	if (size < sizeof(*e) || e->hdr.type != DIO_EV_RQ)
		return -EINVAL;
	dev = dev_name(st, e->dev);
	op = op_name(e->op);
	ks_rec_begin(o, "diskio", &e->hdr);
	ks_rec_str(o, "device", dev, strlen(dev), KS_TXT_BARE);
	ks_rec_u64(o, "major", dev_major(e->dev), KS_TXT_HIDE);
	ks_rec_u64(o, "minor", dev_minor(e->dev), KS_TXT_HIDE);
	ks_rec_str(o, "op", op, strlen(op), KS_TXT_BARE);
	ks_rec_bool(o, "sync", e->sync, KS_TXT_FLAG);
	ks_rec_str(o, "rwbs", e->rwbs, sizeof(e->rwbs), KS_TXT_HIDE);
	ks_rec_u64(o, "sector", e->sector, 0);
	ks_rec_u64(o, "bytes", e->bytes, 0);
	/* the completion's time is the header's */
	if (e->insert_ns && e->issue_ns >= e->insert_ns) {
		ks_rec_u64(o, "queue_ns", e->issue_ns - e->insert_ns, KS_TXT_HIDE);
		ks_rec_ns(o, "queue", e->issue_ns - e->insert_ns, KS_JSON_HIDE);
	} else {
		ks_rec_null(o, "queue_ns", KS_TXT_HIDE);
	}
	if (e->issue_ns && e->hdr.ts_ns >= e->issue_ns) {
		ks_rec_u64(o, "device_ns", e->hdr.ts_ns - e->issue_ns, KS_TXT_HIDE);
		ks_rec_ns(o, "device", e->hdr.ts_ns - e->issue_ns, KS_JSON_HIDE);
	} else {
		ks_rec_null(o, "device_ns", KS_TXT_HIDE);
	}
	start = e->insert_ns ?: e->issue_ns;
	if (start && e->hdr.ts_ns >= start)
		ks_rec_u64(o, "total_ns", e->hdr.ts_ns - start, KS_TXT_HIDE);
	else
		ks_rec_null(o, "total_ns", KS_TXT_HIDE);
	if (e->err) {
		en = e->err < DIO_ERR_STATUS ? ks_errno_name(e->err) : NULL;
		if (!en) {
			snprintf(num, sizeof(num), e->err < DIO_ERR_STATUS ? "%u" : "BLK_STS_%u",
				 e->err < DIO_ERR_STATUS ? e->err : e->err - DIO_ERR_STATUS);
			en = num;
		}
		ks_rec_str(o, "error", en, strlen(en), 0);
	} else {
		ks_rec_null(o, "error", KS_TXT_HIDE);
	}
	ks_rec_u64(o, "blkcg_id", e->blkcg, KS_TXT_HIDE);
	ks_rec_end(o);
	return 0;
}

static void report(struct dio_state *st, struct ks_out *o)
{
	collect(st);
	ks_table_report(st->table, o, st->view == VIEW_HIST || st->view == VIEW_SIZES ?
			&hist_sink : NULL, st->interval_mode, &st->period_start);
}

static int diskio_report(void *state, struct ks_out *o, unsigned flags)
{
	struct dio_state *st = state;

	(void)flags;
	if (st->view != VIEW_EVENTS)
		report(st, o);
	return 0;
}

static void diskio_housekeeping(void *state)
{
	collect(state);
}

const struct ks_tracer diskio_tracer = {
	KS_TRACER(diskio, "block I/O"),
	.configure = diskio_configure,
	.wanted = diskio_wanted,
	/* nothing to finish: the last report has every row */
	.start = diskio_start, .event = diskio_event, .report = diskio_report,
	.housekeeping = diskio_housekeeping,
};

/* ---- command line ------------------------------------------------------- */

enum { OPT_BY = 0x200, OPT_HIST, OPT_SIZES, OPT_EVENTS, OPT_DEV };

static const struct ks_cli_opt diskio_opts[] = {
	{ "by", OPT_BY, "KIND", "rows per device (default), process or cgroup (the request's blkcg)" },
	{ "hist", OPT_HIST, "[STAGE]", "log2 latency histograms in us of queue, device (default) "
	  "or total time" },
	{ "per-device", 'D', NULL, "--hist: one histogram per device",
	  KS_CLI_SET(struct dio_state, per_dev) },
	{ "sizes", OPT_SIZES, NULL, "log2 request size histograms in KiB (like bitesize)",
	  KS_CLI_SET(struct dio_state, sizes) },
	{ "events", OPT_EVENTS, NULL, "one line per completed request (like biosnoop)",
	  KS_CLI_SET(struct dio_state, events) },
	{ "dev", OPT_DEV, "NAME|MAJ:MIN[,...]", "only these devices (filtered in the kernel)" },
	{ "sort", 's', "KEY", "order rows by requests (default), bytes, errors, queue or device "
	  "(time)" },
	{ "top", 'n', "N", "show the first N rows only" },
	{ 0 }
};

static struct ks_cli diskio_cli;

/*
 * Is MAJ:MIN a partition? Its disk's name into parent: the block layer
 * traces a partition's requests as its disk's (the disk's dev_t).
 */
static bool is_partition(unsigned maj, unsigned min, char *parent, size_t n)
{
	char path[96], target[PATH_MAX], *slash;
	ssize_t len;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", maj, min);
	if (access(path, F_OK))
		return false;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", maj, min);
	len = readlink(path, target, sizeof(target) - 1);
	if (len <= 0)
		return false;
	target[len] = 0;
	slash = strrchr(target, '/');
	if (!slash)
		return false;
	*slash = 0;	/* .../block/sda/sda1 -> .../block/sda */
	slash = strrchr(target, '/');
	snprintf(parent, n, "%.63s", slash ? slash + 1 : target);
	return true;
}

/* A device by name (/sys/class/block/NAME/dev) or MAJ:MIN: the kernel's dev_t */
static int add_dev(void *ctx, const char *arg)
{
	struct dio_state *st = ctx;
	unsigned maj, min;
	char path[96], line[32], tail, parent[64];
	FILE *f;

	if (sscanf(arg, "%u:%u%c", &maj, &min, &tail) != 2) {
		if (strchr(arg, '/') || strlen(arg) > 32)
			goto bad;
		snprintf(path, sizeof(path), "/sys/class/block/%s/dev", arg);
		f = fopen(path, "re");
		if (!f)
			goto bad;
		if (!fgets(line, sizeof(line), f) || sscanf(line, "%u:%u", &maj, &min) != 2) {
			fclose(f);
			goto bad;
		}
		fclose(f);
	}
	if (maj >= (1u << 12) || min >= (1u << 20))
		goto bad;
	if (is_partition(maj, min, parent, sizeof(parent))) {
		ks_cli_error(&diskio_cli, "'%s' is a partition: its requests are those of its disk, "
			     "%s (--dev %s)", arg, parent, parent);
		return -1;
	}
	if (st->ndevs >= DIO_MAX_FILTER) {
		ks_cli_error(&diskio_cli, "at most %d devices in --dev", DIO_MAX_FILTER);
		return -1;
	}
	st->devs[st->ndevs++] = maj << 20 | min;
	return 0;
bad:
	ks_cli_error(&diskio_cli, "no block device '%s' (a name in /sys/class/block, or MAJ:MIN)",
		     arg);
	return -1;
}

static int diskio_parse(void *state, int key, const char *arg)
{
	struct dio_state *st = state;
	static const char *const bys[] = { "device", "process", "cgroup", NULL };
	int i, rc;

	switch (key) {
	case OPT_BY:
		i = ks_cli_choice(arg, bys);
		if (i < 0) {
			ks_cli_error(&diskio_cli, "invalid --by '%s' (device, process or cgroup)", arg);
			return -1;
		}
		st->by = i;
		st->by_given = true;
		return 0;
	case OPT_HIST:
		st->hist = true;
		if (!arg)
			return 0;
		i = ks_cli_choice(arg, stage_names);
		if (i < 0) {
			ks_cli_error(&diskio_cli, "invalid --hist '%s' (queue, device or total)", arg);
			return -1;
		}
		st->stage = i;
		return 0;
	case OPT_DEV:
		rc = ks_cli_list(arg, add_dev, st);
		if (rc == -EINVAL)
			ks_cli_error(&diskio_cli, "invalid device list '%s' (NAME|MAJ:MIN[,...])", arg);
		return rc ? -1 : 0;
	}
	return 1;
}

static const struct ks_cli_conflict diskio_conflicts[] = {
	{ OPT_EVENTS, OPT_HIST, "--events streams requests, --hist summarizes them" },
	{ OPT_EVENTS, OPT_SIZES, "--events streams requests, --sizes summarizes them" },
	{ OPT_EVENTS, OPT_BY, "--events streams requests, --by sums them" },
	{ OPT_EVENTS, 's', "--events streams requests in order, -s sorts a summary" },
	{ OPT_EVENTS, 'n', "--events streams every request, -n cuts a summary" },
	{ OPT_EVENTS, KS_CLI_KEY_INTERVAL, "--events streams requests, an interval prints "
	  "summaries" },
	{ OPT_SIZES, OPT_HIST, "one histogram view at a time" },
	{ 'D', OPT_SIZES, "--sizes is per device already (or per --by owner)" },
	{ OPT_HIST, 's', "a histogram has no rows to sort" },
	{ OPT_HIST, 'n', "a histogram has no rows to cut" },
	{ OPT_SIZES, 's', "a histogram has no rows to sort" },
	{ OPT_SIZES, 'n', "a histogram has no rows to cut" },
	{ 0 }
};

static int diskio_setup(void *state, struct ks_opts *o)
{
	struct dio_state *st = state;
	static const int sort_cols[] = { [SORT_REQUESTS] = C_REQS, [SORT_BYTES] = C_BYTES,
					 [SORT_ERRORS] = C_ERRORS, [SORT_QUEUE] = C_Q + 1,
					 [SORT_DEVICE] = C_D + 1 };

	if (o->container && !st->events && (st->by != DIO_BY_CGROUP || st->hist || st->sizes)) {
		ks_cli_error(&diskio_cli, "-C names the container of each event record or --by "
			     "cgroup row: it needs --events, or --by cgroup without --hist or --sizes");
		return KS_EXIT_USAGE;
	}
	if (st->per_dev && !st->hist) {
		ks_cli_error(&diskio_cli, "-D (--per-device) is for --hist");
		return KS_EXIT_USAGE;
	}
	if (st->per_dev && st->by != DIO_BY_DEVICE) {
		ks_cli_error(&diskio_cli, "-D is per device, --by %s per %s: choose one",
			     st->by == DIO_BY_PROCESS ? "process" : "cgroup",
			     st->by == DIO_BY_PROCESS ? "process" : "cgroup");
		return KS_EXIT_USAGE;
	}
	st->opts = o;
	st->view = st->events ? VIEW_EVENTS : st->hist ? VIEW_HIST : st->sizes ? VIEW_SIZES :
		   VIEW_TABLE;
	st->interval_mode = o->interval_s > 0;
	st->ncpus = ks_possible_cpus();
	st->vals = calloc(st->ncpus, STAT_STRIDE);
	st->table = ks_table_new(&dio_table);
	if (!st->vals || !st->table)
		return KS_EXIT_FAIL;
	ks_table_set_ctx(st->table, st);
	ks_table_hide(st->table, C_PID, st->by != DIO_BY_PROCESS);
	ks_table_hide(st->table, C_COMM, st->by != DIO_BY_PROCESS);
	ks_table_hide(st->table, C_CGROUP_ID, st->by != DIO_BY_CGROUP);
	ks_table_hide(st->table, C_CGROUP, st->by != DIO_BY_CGROUP);
	ks_table_show_container(st->table, C_CONTAINER, o->container && st->by == DIO_BY_CGROUP &&
				st->view == VIEW_TABLE);
	ks_table_sort(st->table, sort_cols[st->sort]);
	ks_table_top(st->table, st->top);
	if (st->view == VIEW_HIST || st->view == VIEW_SIZES) {
		st->group = (struct ks_table_group){ .type = "diskio_group", .leader = -1 };
		if (st->by == DIO_BY_PROCESS)
			st->group.by = by_pid;
		else if (st->by == DIO_BY_CGROUP)
			st->group.by = by_cgroup;
		else if (st->per_dev || st->by_given || st->view == VIEW_SIZES)
			st->group.by = by_dev;
		else
			st->group.by = by_none;
		ks_table_group(st->table, &st->group);
	}
	return 0;
}

static int diskio_teardown(void *state, int rc)
{
	struct dio_state *st = state;

	ks_table_free(st->table);
	ks_vec_free(&st->names);
	free(st->vals);
	return rc;
}

static struct ks_cli diskio_cli = {
	.cmd = "diskio",
	.summary = "Block I/O: requests, bytes, errors, queue and device latency, per device, "
		   "process or cgroup.",
	.details =
	"Timed from the block tracepoints alone: queue time is from insert to issue (in the\n"
	"I/O scheduler: absent, not 0, on a device with no scheduler), device time from\n"
	"issue to completion, total from the first of them to completion. A request counts\n"
	"once, at its final completion. Its owner is the task it was started from\n"
	"(block_io_start, 6.5+; else the task of its insert or issue); --by cgroup is the\n"
	"request's blkcg (the cgroup that dirtied the data, also for writeback); with -C\n"
	"each of its rows names the blkcg's container.",
	.examples =
	"  kscope diskio                          # per device and op, at Ctrl-C\n"
	"  kscope diskio --dev vda 1 5            # one device, every second, 5 times\n"
	"  kscope diskio --by process -s bytes    # who does the I/O\n"
	"  kscope diskio --by cgroup              # per container (blkio / io cgroup)\n"
	"  kscope diskio --hist -D                # biolatency -D\n"
	"  kscope diskio --hist queue             # time spent in the I/O scheduler\n"
	"  kscope diskio --sizes --by process     # bitesize\n"
	"  kscope diskio --events -- dd if=/dev/zero of=f bs=4k count=8 oflag=direct\n",
	KS_CLI_OF(diskio),
	/* -s KEY: in enum sort_key's order */
	KS_CLI_SORT(struct dio_state, sort, top, "requests", "bytes", "errors", "queue", "device"),
	.flags = KS_CLI_TRACE | KS_CLI_INTERVAL | KS_CLI_PROGRAM,
};

KS_COMMAND(diskio, struct dio_state, { .stage = DIO_DEVICE, .sort = SORT_REQUESTS,
						 .names = KS_VEC(struct dev_name) })

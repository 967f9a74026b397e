// SPDX-License-Identifier: GPL-2.0
/*
 * kscope fileio: the per-file summary. The kernel keeps cumulative counters
 * per (process, open); this side turns them into per-period sums, and at
 * print time folds the opens of one path by one process into one row.
 *
 * Memory follows the rows, not the opens: entries whose kernel copy is gone
 * are folded per process and path (fio_summary_compact), and once there
 * are too many of those, the smaller ones of processes that have exited
 * per command and path (fio_summary_fold): a long run of short processes
 * keeps a bounded number of rows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/out.h"
#include "../engine/table.h"
#include "fileio.h"

#define ENT_BUCKETS  4096
#define NAME_BUCKETS 1024
#define NAMES_MAX    65536     /* full names of long paths kept at most */

struct ent {
	uint32_t pid;              /* 0: exited processes, folded (procs of them) */
	uint32_t procs;
	uint64_t id;
	char comm[KS_COMM_LEN];
	char *path;                /* the map's copy (may be truncated) */
	size_t path_len;
	bool truncated;
	bool gone;                 /* its kernel entry is deleted */
	bool dropped;              /* folded into another gone entry: to free */
	bool closed_seen;          /* the kernel said closed at the last update */
	struct fio_sums snap;      /* cumulative values at the last update */
	struct fio_sums acc;       /* this period */
	struct ent *next;
};

struct name {
	uint64_t id;
	char *path;
	size_t len;
	struct name *next;
};

struct fio_summary {
	struct ent *ents[ENT_BUCKETS];
	size_t nents;
	size_t ngone;
	size_t fold_next;          /* fio_summary_fold: not before this many gone */
	struct name *names[NAME_BUCKETS];
	size_t nnames;
};

struct row {
	uint32_t pid;
	uint32_t procs;
	uint64_t id;               /* the latest open folded in: names the comm */
	const char *comm;
	const char *path;
	size_t path_len;
	bool truncated;
	struct fio_sums s;
};

struct fio_summary *fio_summary_new(void)
{
	return calloc(1, sizeof(struct fio_summary));
}

void fio_summary_free(struct fio_summary *s)
{
	if (!s)
		return;
	for (unsigned b = 0; b < ENT_BUCKETS; b++)
		for (struct ent *e = s->ents[b], *n; e; e = n) {
			n = e->next;
			free(e->path);
			free(e);
		}
	for (unsigned b = 0; b < NAME_BUCKETS; b++)
		for (struct name *e = s->names[b], *n; e; e = n) {
			n = e->next;
			free(e->path);
			free(e);
		}
	free(s);
}

size_t fio_summary_entries(const struct fio_summary *s)
{
	return s->nents;
}

size_t fio_summary_gone_entries(const struct fio_summary *s)
{
	return s->ngone;
}

static unsigned ent_hash(uint32_t pid, uint64_t id)
{
	uint64_t h = (id ^ ((uint64_t)pid << 32)) * 0x9e3779b97f4a7c15ull;

	return (h >> 40) % ENT_BUCKETS;
}

static unsigned name_hash(uint64_t id)
{
	return ((id * 0x9e3779b97f4a7c15ull) >> 40) % NAME_BUCKETS;
}

/* The live (not gone) entry of (pid, id) */
static struct ent *ent_find(struct fio_summary *s, uint32_t pid, uint64_t id)
{
	for (struct ent *e = s->ents[ent_hash(pid, id)]; e; e = e->next)
		if (e->pid == pid && e->id == id && !e->gone)
			return e;
	return NULL;
}

static void sums_add(struct fio_sums *d, const struct fio_sums *x);

static void sums_delta(struct fio_sums *acc, struct fio_sums *snap, const struct fio_sums *cur)
{
#define D(f) do { if (cur->f > snap->f) acc->f += cur->f - snap->f; snap->f = cur->f; } while (0)
	D(reads);
	D(writes);
	D(read_bytes);
	D(write_bytes);
	D(read_ns);
	D(write_ns);
	D(fsyncs);
	D(fsync_ns);
	D(errors);
#undef D
}

static bool sums_equal(const struct fio_sums *a, const struct fio_sums *b)
{
	return !memcmp(a, b, sizeof(*a));
}

int fio_summary_update(struct fio_summary *s, uint32_t pid, uint64_t id, const char *comm,
		       const char *path, size_t path_len, bool truncated, bool closed,
		       const struct fio_sums *cur)
{
	struct ent *e = ent_find(s, pid, id);
	bool final;

	if (!e) {
		unsigned h = ent_hash(pid, id);

		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->path = strndup(path, path_len);	/* up to its NUL, if it has one */
		if (!e->path) {
			free(e);
			return -ENOMEM;
		}
		e->path_len = strlen(e->path);
		e->pid = pid;
		e->procs = 1;
		e->id = id;
		e->truncated = truncated;
		e->next = s->ents[h];
		s->ents[h] = e;
		s->nents++;
	}
	/* closed at the last look and unchanged since: no call can still be running on it */
	final = closed && e->closed_seen && sums_equal(&e->snap, cur);
	e->closed_seen = closed;
	memcpy(e->comm, comm, KS_COMM_LEN);
	sums_delta(&e->acc, &e->snap, cur);
	return final;
}

void fio_summary_gone(struct fio_summary *s, uint32_t pid, uint64_t id)
{
	struct ent *e = ent_find(s, pid, id);

	if (e) {
		e->gone = true;
		s->ngone++;
	}
}

int fio_summary_name(struct fio_summary *s, uint64_t id, const char *path, size_t len)
{
	unsigned h = name_hash(id);
	struct name *n;

	for (n = s->names[h]; n; n = n->next)
		if (n->id == id)
			return 0;
	if (s->nnames >= NAMES_MAX)
		return -ENOSPC;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->path = strndup(path, len);
	if (!n->path) {
		free(n);
		return -ENOMEM;
	}
	n->len = strlen(n->path);
	n->id = id;
	n->next = s->names[h];
	s->names[h] = n;
	s->nnames++;
	return 0;
}

const char *fio_summary_full_name(struct fio_summary *s, uint64_t id, size_t *len)
{
	for (struct name *n = s->names[name_hash(id)]; n; n = n->next)
		if (n->id == id) {
			*len = n->len;
			return n->path;
		}
	return NULL;
}

void fio_summary_new_period(struct fio_summary *s)
{
	for (unsigned b = 0; b < ENT_BUCKETS; b++)
		for (struct ent **pp = &s->ents[b]; *pp;) {
			struct ent *e = *pp;

			if (e->gone) {
				*pp = e->next;
				free(e->path);
				free(e);
				s->nents--;
				continue;
			}
			memset(&e->acc, 0, sizeof(e->acc));
			pp = &e->next;
		}
	s->ngone = 0;
	s->fold_next = 0;
}

/* The name a row shows: the whole path when the map's copy was cut and it is known */
static void ent_name(struct fio_summary *s, const struct ent *e, const char **path, size_t *len,
		     bool *truncated)
{
	const char *full;
	size_t n;

	*path = e->path;
	*len = e->path_len;
	*truncated = e->truncated;
	if (e->truncated && (full = fio_summary_full_name(s, e->id, &n))) {
		*path = full;
		*len = n;
		*truncated = false;
	}
}

static int gone_cmp(const void *pa, const void *pb)
{
	const struct ent *a = *(struct ent *const *)pa, *b = *(struct ent *const *)pb;
	size_t n = a->path_len < b->path_len ? a->path_len : b->path_len;
	int c;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	/* folded rows of exited processes: one per command and path */
	if (!a->pid && (c = memcmp(a->comm, b->comm, KS_COMM_LEN)))
		return c;
	c = memcmp(a->path, b->path, n);
	if (c)
		return c;
	if (a->path_len != b->path_len)
		return a->path_len < b->path_len ? -1 : 1;
	if (a->truncated != b->truncated)
		return a->truncated - b->truncated;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* The same row: process (command too, for folded ones), path */
static bool same_row(const struct ent *k, const struct ent *e)
{
	return k->pid == e->pid && k->truncated == e->truncated &&
	       k->path_len == e->path_len && !memcmp(k->path, e->path, k->path_len) &&
	       (k->pid || !memcmp(k->comm, e->comm, KS_COMM_LEN));
}

/* Free the entries marked dropped; fix the gone count */
static void drop_marked(struct fio_summary *s, size_t gone_left)
{
	for (unsigned b = 0; b < ENT_BUCKETS; b++)
		for (struct ent **pp = &s->ents[b]; *pp;) {
			struct ent *e = *pp;

			if (!e->dropped) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			free(e->path);
			free(e);
			s->nents--;
		}
	s->ngone = gone_left;
}

/* Fold runs of the same row in gone[0..n) (sorted by gone_cmp); returns those kept */
static size_t fold_sorted(struct ent **gone, size_t n)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		struct ent *k = kept ? gone[kept - 1] : NULL;

		if (k && same_row(k, gone[i])) {
			sums_add(&k->acc, &gone[i]->acc);
			k->procs += k->pid ? 0 : gone[i]->procs;
			if (k->pid)
				memcpy(k->comm, gone[i]->comm, KS_COMM_LEN);	/* the latest open's */
			gone[i]->dropped = true;
			continue;
		}
		gone[kept++] = gone[i];
	}
	return kept;
}

size_t fio_summary_compact(struct fio_summary *s, size_t min_gone)
{
	struct ent **gone;
	size_t n = 0, kept = 0;

	if (s->ngone < min_gone)
		return s->ngone;
	gone = malloc(s->ngone * sizeof(*gone));
	if (!gone)
		return s->ngone;
	for (unsigned b = 0; b < ENT_BUCKETS; b++)
		for (struct ent *e = s->ents[b]; e; e = e->next) {
			const char *path;
			size_t len;
			bool cut;

			if (!e->gone || n == s->ngone)
				continue;
			/* names first: entries are folded by the name their row shows */
			ent_name(s, e, &path, &len, &cut);
			if (path != e->path) {
				char *copy = malloc(len + 1);

				if (copy) {
					memcpy(copy, path, len);
					copy[len] = '\0';
					free(e->path);
					e->path = copy;
					e->path_len = len;
					e->truncated = false;
				}
			}
			gone[n++] = e;
		}
	qsort(gone, n, sizeof(*gone), gone_cmp);
	kept = fold_sorted(gone, n);
	free(gone);
	drop_marked(s, kept);
	return kept;
}

static enum fio_sort g_sort;

static uint64_t sums_key(const struct fio_sums *x)
{
	switch (g_sort) {
	case FIO_SORT_CALLS:
		return x->reads + x->writes + x->fsyncs;
	case FIO_SORT_TIME:
		return x->read_ns + x->write_ns + x->fsync_ns;
	default:
		return x->read_bytes + x->write_bytes;
	}
}

/* Largest first, by the summary's sort key */
static int gone_key_cmp(const void *pa, const void *pb)
{
	uint64_t x = sums_key(&(*(struct ent *const *)pa)->acc);
	uint64_t y = sums_key(&(*(struct ent *const *)pb)->acc);

	return x > y ? -1 : x < y;
}

size_t fio_summary_fold(struct fio_summary *s, size_t max, enum fio_sort sort,
			bool (*exited)(uint32_t pid, void *arg), void *arg)
{
	struct ent **gone, **fold;
	size_t n = 0, m = 0, dropped;

	/* and not again before max / 2 more (rows of live processes may stay) */
	if (!max || s->ngone <= max || s->ngone < s->fold_next)
		return s->ngone;
	/* names are settled and the same rows are one entry already */
	if (fio_summary_compact(s, 0) <= max)
		return s->ngone;
	gone = malloc(s->ngone * sizeof(*gone));
	fold = malloc(s->ngone * sizeof(*fold));
	if (!gone || !fold) {
		free(gone);
		free(fold);
		return s->ngone;
	}
	for (unsigned b = 0; b < ENT_BUCKETS; b++)
		for (struct ent *e = s->ents[b]; e; e = e->next)
			if (e->gone && n < s->ngone)
				gone[n++] = e;
	/* the largest rows stay as they are, whoever made them */
	g_sort = sort;
	qsort(gone, n, sizeof(*gone), gone_key_cmp);
	for (size_t i = 0; i < n; i++) {
		struct ent *e = gone[i];

		/* the rows folded already take part again: they may grow */
		if (!e->pid || (i >= max / 2 && exited(e->pid, arg))) {
			if (e->pid) {
				e->pid = 0;
				e->id = 0;
			}
			fold[m++] = e;
		}
	}
	qsort(fold, m, sizeof(*fold), gone_cmp);
	dropped = m - fold_sorted(fold, m);
	free(gone);
	free(fold);
	drop_marked(s, s->ngone - dropped);
	s->fold_next = s->ngone + max / 2;
	return s->ngone;
}

/* ---- printing ---------------------------------------------------------------- */

static bool active(const struct fio_sums *x)
{
	return x->reads || x->writes || x->fsyncs || x->errors;
}

bool fio_summary_any(const struct fio_summary *s)
{
	for (unsigned b = 0; b < ENT_BUCKETS; b++)
		for (struct ent *e = s->ents[b]; e; e = e->next)
			if (active(&e->acc))
				return true;
	return false;
}

static void sums_add(struct fio_sums *d, const struct fio_sums *x)
{
	d->reads += x->reads;
	d->writes += x->writes;
	d->read_bytes += x->read_bytes;
	d->write_bytes += x->write_bytes;
	d->read_ns += x->read_ns;
	d->write_ns += x->write_ns;
	d->fsyncs += x->fsyncs;
	d->fsync_ns += x->fsync_ns;
	d->errors += x->errors;
}

static int path_cmp(const struct row *a, const struct row *b)
{
	size_t n = a->path_len < b->path_len ? a->path_len : b->path_len;
	int c = memcmp(a->path, b->path, n);

	if (c)
		return c;
	if (a->path_len != b->path_len)
		return a->path_len < b->path_len ? -1 : 1;
	return a->truncated - b->truncated;
}

/* One row per process and path; folded rows of exited processes, per command and path */
static int row_key_cmp(const struct row *a, const struct row *b)
{
	int c;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (!a->pid && (c = memcmp(a->comm, b->comm, KS_COMM_LEN)))
		return c;
	return path_cmp(a, b);
}

static int row_group_cmp(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	int c = row_key_cmp(a, b);

	if (c)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* ---- the summary as a table (src/engine/table.h) -------------------------- */

/*
 * A row's key: its place in row_key_cmp's order, big-endian, so that rows
 * with equal sort values come in that order (the table's last tie-break
 * compares keys as bytes).
 */
struct row_key {
	uint8_t rank[4];
};

/* The row's path, kept by the summary while the table renders */
struct row_ext {
	const char *path;
	size_t len;
	bool truncated;
};

enum {
	C_PID, C_PROCS, C_COMM, C_PATH, C_CUT, C_READS, C_WRITES, C_RBYTES, C_WBYTES,
	C_RNS, C_WNS, C_FSYNCS, C_FSYNC_NS, C_ERRORS,
	C_RAVG, C_WAVG,                 /* text only */
	C_BYTES, C_CALLS, C_TIME,       /* -s keys only */
	NCOLS
};

static uint64_t sum3(const struct ks_row *r, int a, int b, int c)
{
	return ks_row_get(r, a) + ks_row_get(r, b) + (c >= 0 ? ks_row_get(r, c) : 0);
}

static uint64_t bytes_of(const struct ks_row *r)
{
	return sum3(r, C_RBYTES, C_WBYTES, -1);
}

static uint64_t calls_of(const struct ks_row *r)
{
	return sum3(r, C_READS, C_WRITES, C_FSYNCS);
}

static uint64_t time_of(const struct ks_row *r)
{
	return sum3(r, C_RNS, C_WNS, C_FSYNC_NS);
}

/* The average time of a call, "-" without calls (the per-owner table's too) */
void fio_text_avg(struct ks_out *o, uint64_t total, uint64_t n)
{
	char buf[32];

	if (!n)
		ks_out_char(o, '-');
	else
		ks_out_cstr(o, (ks_fmt_ns(buf, sizeof(buf), total / n), buf));
}

static void text_ravg(struct ks_out *o, const struct ks_row *r)
{
	fio_text_avg(o, ks_row_get(r, C_RNS), ks_row_get(r, C_READS));
}

static void text_wavg(struct ks_out *o, const struct ks_row *r)
{
	fio_text_avg(o, ks_row_get(r, C_WNS), ks_row_get(r, C_WRITES));
}

static void text_path(struct ks_out *o, const struct ks_row *r)
{
	const struct row_ext *x = ks_row_ext(r);

	ks_out_text(o, x->path, x->len);
	if (x->truncated)
		ks_out_cstr(o, "...");
}

static void json_path(struct ks_out *o, const struct ks_row *r)
{
	const struct row_ext *x = ks_row_ext(r);

	ks_json_str(o, x->path, x->len);
}

static void json_cut(struct ks_out *o, const struct ks_row *r)
{
	ks_json_bool(o, ((const struct row_ext *)ks_row_ext(r))->truncated);
}

#define LEFT_NUM(k, n, h, w) { n, h, k, KS_COL_LEFT, w }
#define JSON_ONLY(k, n) { n, NULL, k, KS_COL_TEXT_HIDE }
#define SORT_KEY(n, f) { n, NULL, KS_COL_COUNT, KS_COL_DERIVED | KS_COL_TEXT_HIDE | \
			  KS_COL_JSON_HIDE, .derive = f }

static const struct ks_col cols[NCOLS] = {
	[C_PID] = LEFT_NUM(KS_COL_COUNT, "pid", "PID", 7),
	[C_PROCS] = JSON_ONLY(KS_COL_COUNT, "processes"),
	[C_COMM] = { "comm", "COMM", KS_COL_COMM, 0, KS_COMM_LEN },
	[C_PATH] = { "path", "PATH", KS_COL_CUSTOM, 0, 0, .text = text_path, .json = json_path },
	[C_CUT] = { "path_truncated", NULL, KS_COL_CUSTOM, KS_COL_TEXT_HIDE, .json = json_cut },
	[C_READS] = LEFT_NUM(KS_COL_COUNT, "reads", "READS", 8),
	[C_WRITES] = LEFT_NUM(KS_COL_COUNT, "writes", "WRITES", 8),
	[C_RBYTES] = LEFT_NUM(KS_COL_BYTES, "read_bytes", "R-BYTES", 9),
	[C_WBYTES] = LEFT_NUM(KS_COL_BYTES, "write_bytes", "W-BYTES", 9),
	[C_RNS] = JSON_ONLY(KS_COL_NS, "read_ns"),
	[C_WNS] = JSON_ONLY(KS_COL_NS, "write_ns"),
	[C_FSYNCS] = LEFT_NUM(KS_COL_COUNT, "fsyncs", "FSYNCS", 8),
	[C_FSYNC_NS] = JSON_ONLY(KS_COL_NS, "fsync_ns"),
	[C_ERRORS] = JSON_ONLY(KS_COL_COUNT, "errors"),
	[C_RAVG] = { "read_avg", "R-AVG", KS_COL_CUSTOM, KS_COL_JSON_HIDE, 9, .text = text_ravg },
	[C_WAVG] = { "write_avg", "W-AVG", KS_COL_CUSTOM, KS_COL_JSON_HIDE, 9, .text = text_wavg },
	[C_BYTES] = SORT_KEY("bytes", bytes_of),
	[C_CALLS] = SORT_KEY("calls", calls_of),
	[C_TIME] = SORT_KEY("time", time_of),
};

static const int text_order[] = {
	C_PID, C_COMM, C_READS, C_WRITES, C_RBYTES, C_WBYTES, C_RAVG, C_WAVG, C_FSYNCS, C_PATH, -1
};

/* equal sort values: more calls first, then row_key_cmp's order (the key) */
static const int ties[] = { C_CALLS, -1 };

static bool shown(const struct ks_row *r)
{
	(void)r;
	return true;	/* the summary puts only rows with activity */
}

static const struct ks_table_desc desc = {
	.type = "file_stat",
	.cols = cols,
	.ncols = NCOLS,
	.key_size = sizeof(struct row_key),
	.text_order = text_order,
	.ties = ties,
	.ext_size = sizeof(struct row_ext),
	.visible = shown,
};

static void put_row(struct ks_table *t, const struct row *w, uint32_t rank)
{
	struct row_key k = { { rank >> 24, rank >> 16, rank >> 8, rank } };
	struct ks_row *r = ks_table_row(t, &k);
	struct row_ext *x;

	if (!r)
		return;
	x = ks_row_ext(r);
	*x = (struct row_ext){ w->path, w->path_len, w->truncated };
	if (w->pid)
		ks_row_put(r, C_PID, w->pid);
	else
		ks_row_put_absent(r, C_PID);	/* exited processes, folded: "-", null */
	ks_row_put(r, C_PROCS, w->procs);
	ks_row_put_str(r, C_COMM, w->comm, KS_COMM_LEN);
	ks_row_put(r, C_READS, w->s.reads);
	ks_row_put(r, C_WRITES, w->s.writes);
	ks_row_put(r, C_RBYTES, w->s.read_bytes);
	ks_row_put(r, C_WBYTES, w->s.write_bytes);
	ks_row_put(r, C_RNS, w->s.read_ns);
	ks_row_put(r, C_WNS, w->s.write_ns);
	ks_row_put(r, C_FSYNCS, w->s.fsyncs);
	ks_row_put(r, C_FSYNC_NS, w->s.fsync_ns);
	ks_row_put(r, C_ERRORS, w->s.errors);
}

void fio_summary_print(struct fio_summary *s, struct ks_out *o, uint64_t ts_ns,
		       uint64_t interval_ns, enum fio_sort sort, unsigned top)
{
	static const int sort_col[] = {
		[FIO_SORT_BYTES] = C_BYTES, [FIO_SORT_CALLS] = C_CALLS, [FIO_SORT_TIME] = C_TIME,
	};
	struct row *rows = calloc(s->nents ? s->nents : 1, sizeof(*rows));
	struct ks_table *t = ks_table_new(&desc);
	struct ks_sink sink;
	size_t n = 0, m = 0;

	if (!rows || !t) {
		free(rows);
		ks_table_free(t);
		return;
	}
	for (unsigned b = 0; b < ENT_BUCKETS; b++)
		for (struct ent *e = s->ents[b]; e; e = e->next) {
			struct row *r;

			if (!active(&e->acc))
				continue;
			r = &rows[n++];
			r->pid = e->pid;
			r->procs = e->procs;
			r->id = e->id;
			r->comm = e->comm;
			ent_name(s, e, &r->path, &r->path_len, &r->truncated);
			r->s = e->acc;
		}
	/* one row per process and path: the opens of one file folded together */
	qsort(rows, n, sizeof(*rows), row_group_cmp);
	for (size_t i = 0; i < n; i++) {
		if (m && !row_key_cmp(&rows[m - 1], &rows[i])) {
			sums_add(&rows[m - 1].s, &rows[i].s);
			if (rows[i].pid) {
				rows[m - 1].id = rows[i].id;
				rows[m - 1].comm = rows[i].comm;	/* the latest open's */
			} else {
				rows[m - 1].procs += rows[i].procs;
			}
			continue;
		}
		rows[m++] = rows[i];
	}
	for (size_t i = 0; i < m; i++)
		put_row(t, &rows[i], i);
	ks_table_sort(t, sort_col[sort]);
	ks_table_top(t, top);
	ks_sink_init(&sink, o, ts_ns, interval_ns);
	ks_table_render(t, &sink);
	ks_table_free(t);
	free(rows);
}

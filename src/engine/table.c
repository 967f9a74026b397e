// SPDX-License-Identifier: GPL-2.0
/*
 * Summary tables: the row store, periods, sort, top-N and the text and
 * NDJSON sinks (table.h). One row is one allocation: the struct below,
 * then its key, then each column's storage at the offset ks_table_new
 * computed for it (numbers: struct num; strings: a length and the bytes;
 * histograms: struct hist), then the command's ext bytes. A grouped view
 * is a scratch table of the same columns, made at each render.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "container.h"
#include "table.h"
#include "util.h"

_Static_assert(KS_CONTAINER_ID_SIZE == KS_CTR_ID_LEN + 1, "a container id and its NUL");

#define BUCKETS_MIN 64

struct num {
	uint64_t last;     /* KS_COL_CUM: the kernel's value at the last put */
	uint64_t period;   /* this period's amount (delta, max, or gauge) */
	uint64_t total;    /* KS_COL_CUM: grown since tracing began, this period included */
	bool absent;
};

struct hist {
	uint32_t top;      /* the highest slot the last put grew, + 1 (0: none) */
	uint32_t pad;
	uint32_t s[];      /* last, period, total: `slots` each */
};

struct ks_row {
	struct ks_row *next;       /* hash chain */
	struct ks_table *t;
	uint64_t hash;
	bool gone, restart;        /* restart: came back after gone, counters from 0 */
	bool touched;              /* some value was put this period */
	bool seen;                 /* found since ks_table_sweep_begin */
	_Alignas(8) unsigned char data[];  /* key, cells, ext: each 8-aligned */
};

struct ks_table {
	struct ks_table_desc d;
	size_t off[KS_TABLE_MAX_COLS];
	size_t ext_off, row_size;
	bool hidden[KS_TABLE_MAX_COLS], absent[KS_TABLE_MAX_COLS];
	int sort_col;
	size_t top;
	const char *top_opt;           /* the option that says it, for "(N more not shown: -n)" */
	void *ctx;
	const struct ks_table_group *group;
	const int *by;             /* a group view: its rows' identity, for sort ties */
	struct ks_row **buckets;
	size_t nbuckets, nrows, ngone;
};

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static unsigned col_slots(const struct ks_col *c)
{
	return c->slots ? c->slots : KS_LOG2_SLOTS;
}

static size_t cell_size(const struct ks_col *c)
{
	switch (c->kind) {
	case KS_COL_STR:
		return sizeof(uint32_t) + c->size;
	case KS_COL_COMM:
		return sizeof(uint32_t) + KS_COMM_LEN;
	case KS_COL_HIST:
		return sizeof(struct hist) + 3 * col_slots(c) * sizeof(uint32_t);
	case KS_COL_CUSTOM:
		return 0;
	default:
		return sizeof(struct num);
	}
}

struct ks_table *ks_table_new(const struct ks_table_desc *d)
{
	struct ks_table *t;
	size_t off;

	if (d->ncols > KS_TABLE_MAX_COLS || !d->key_size) {
		errno = EINVAL;		/* a command's mistake: its tests see it */
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->d = *d;
	off = align8(d->key_size);
	for (unsigned i = 0; i < d->ncols; i++) {
		t->off[i] = off;
		off = align8(off + cell_size(&d->cols[i]));
	}
	t->ext_off = off;
	t->row_size = offsetof(struct ks_row, data) + off + align8(d->ext_size);
	t->sort_col = -1;
	t->nbuckets = BUCKETS_MIN;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	return t;
}

static void row_free(struct ks_table *t, struct ks_row *r)
{
	if (t->d.ext_free)
		t->d.ext_free(ks_row_ext(r));
	free(r);
}

void ks_table_free(struct ks_table *t)
{
	if (!t)
		return;
	for (size_t b = 0; b < t->nbuckets; b++)
		for (struct ks_row *r = t->buckets[b], *n; r; r = n) {
			n = r->next;
			row_free(t, r);
		}
	free(t->buckets);
	free(t);
}

int ks_table_col(const struct ks_table *t, const char *name)
{
	for (unsigned i = 0; i < t->d.ncols; i++)
		if (!strcmp(t->d.cols[i].name, name))
			return i;
	return -1;
}

void ks_table_hide(struct ks_table *t, int col, bool hide)
{
	if (col >= 0 && (unsigned)col < t->d.ncols)
		t->hidden[col] = hide;
}

void ks_table_absent(struct ks_table *t, int col, bool absent)
{
	if (col >= 0 && (unsigned)col < t->d.ncols)
		t->absent[col] = absent;
}

void ks_table_set_ctx(struct ks_table *t, void *ctx)
{
	t->ctx = ctx;
}

void *ks_table_ctx(const struct ks_table *t)
{
	return t->ctx;
}

void ks_table_group(struct ks_table *t, const struct ks_table_group *g)
{
	t->group = g;
}

void ks_table_sort(struct ks_table *t, int col)
{
	t->sort_col = col;
}

void ks_table_top(struct ks_table *t, size_t top)
{
	t->top = top;
}

void ks_table_top_option(struct ks_table *t, const char *opt)
{
	t->top_opt = opt;
}

const struct ks_col *ks_table_cols(const struct ks_table *t, unsigned *n)
{
	*n = t->d.ncols;
	return t->d.cols;
}

const struct ks_table_desc *ks_table_desc(const struct ks_table *t)
{
	return &t->d;
}

bool ks_table_shows(const struct ks_table *t, int col)
{
	return !t->hidden[col];
}

bool ks_table_is_absent(const struct ks_table *t, int col)
{
	return t->absent[col];
}

size_t ks_table_rows(const struct ks_table *t)
{
	return t->nrows;
}

/* ---- rows --------------------------------------------------------------- */

/* FNV-1a over the key bytes */
static uint64_t key_hash(const void *key, size_t n)
{
	const unsigned char *p = key;
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

struct ks_row *ks_table_find(const struct ks_table *t, const void *key)
{
	uint64_t h = key_hash(key, t->d.key_size);

	for (struct ks_row *r = t->buckets[h % t->nbuckets]; r; r = r->next)
		if (r->hash == h && !memcmp(r->data, key, t->d.key_size))
			return r;
	return NULL;
}

static void grow(struct ks_table *t)
{
	size_t n = t->nbuckets * 2;
	struct ks_row **b = calloc(n, sizeof(*b));

	if (!b)
		return;	/* longer chains, still correct */
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct ks_row *r = t->buckets[i], *next; r; r = next) {
			next = r->next;
			r->next = b[r->hash % n];
			b[r->hash % n] = r;
		}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

struct ks_row *ks_table_row(struct ks_table *t, const void *key)
{
	struct ks_row *r = ks_table_find(t, key);

	if (r) {
		if (r->gone) {
			/* back before it was dropped: a new entry for an old key */
			r->gone = false;
			r->restart = true;
			t->ngone--;
		}
		r->seen = true;
		return r;
	}
	if (t->nrows >= t->nbuckets)
		grow(t);
	r = calloc(1, t->row_size);
	if (!r)
		return NULL;
	r->t = t;
	r->seen = true;
	r->hash = key_hash(key, t->d.key_size);
	memcpy(r->data, key, t->d.key_size);
	r->next = t->buckets[r->hash % t->nbuckets];
	t->buckets[r->hash % t->nbuckets] = r;
	t->nrows++;
	return r;
}

static void *cell(const struct ks_row *r, int col)
{
	return (void *)(r->data + r->t->off[col]);
}

static uint32_t *hist_slots(const struct ks_row *r, int col, int which)
{
	struct hist *h = cell(r, col);

	return h->s + which * col_slots(&r->t->d.cols[col]);
}

enum { H_LAST, H_PERIOD, H_TOTAL };

static void slot_bounds(const struct ks_col *c, unsigned slot, uint64_t *lo, uint64_t *hi)
{
	if (col_slots(c) == KS_LL_SLOTS)
		ks_ll_bounds(slot, lo, hi);
	else
		ks_log2_bounds(slot, lo, hi);
}

/* KS_COL_MAX | KS_COL_CUM: what this read says of the period's maximum */
static uint64_t running_max(const struct ks_row *r, const struct ks_col *c, uint64_t prev,
			    uint64_t v)
{
	const struct hist *h;
	uint64_t lo, hi;

	if (v > prev)
		return v;	/* a new maximum: exact */
	h = cell(r, c->of);
	if (!h->top)
		return 0;
	/* the largest new sample lies in the highest slot that grew */
	slot_bounds(&r->t->d.cols[c->of], h->top - 1, &lo, &hi);
	return hi < v ? hi : v;
}

void ks_row_put(struct ks_row *r, int col, uint64_t v)
{
	const struct ks_col *c = &r->t->d.cols[col];
	struct num *n = cell(r, col);

	r->touched = true;
	if ((c->flags & KS_COL_MAX) && (c->flags & KS_COL_CUM)) {
		uint64_t m = running_max(r, c, r->restart ? 0 : n->last, v);

		n->last = v;
		if (m > n->period || n->absent)
			n->period = m;
		if (m > n->total)
			n->total = m;
	} else if ((c->flags & KS_COL_HOLD) && v < n->last && !r->restart) {
		/* an estimate the kernel has not caught up with: nothing new */
	} else if (c->flags & KS_COL_CUM) {
		/* a counter that went back started again: from 0 */
		uint64_t from = r->restart || v < n->last ? 0 : n->last;

		n->period += v - from;
		n->total += v - from;
		n->last = v;
	} else if (c->flags & KS_COL_MAX) {
		if (v > n->period || n->absent)
			n->period = v;
	} else {
		n->period = v;
	}
	n->absent = false;
}

void ks_row_put_absent(struct ks_row *r, int col)
{
	((struct num *)cell(r, col))->absent = true;
}

void ks_row_put_str(struct ks_row *r, int col, const char *s, size_t n)
{
	const struct ks_col *c = &r->t->d.cols[col];
	size_t cap = c->kind == KS_COL_COMM ? KS_COMM_LEN : c->size;
	uint32_t *len = cell(r, col);
	char *p = (char *)(len + 1);

	if (!cap)
		return;
	n = strnlen(s, n);
	if (n > cap - 1)
		n = cap - 1;
	memcpy(p, s, n);
	p[n] = '\0';
	*len = n;
}

void ks_row_put_hist(struct ks_row *r, int col, const uint32_t *slots)
{
	struct hist *h = cell(r, col);
	uint32_t *last = hist_slots(r, col, H_LAST), *period = hist_slots(r, col, H_PERIOD);
	uint32_t *total = hist_slots(r, col, H_TOTAL);
	unsigned n = col_slots(&r->t->d.cols[col]);
	bool back = r->restart;

	r->touched = true;
	for (unsigned i = 0; i < n && !back; i++)
		back = slots[i] < last[i];
	h->top = 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t d = slots[i] - (back ? 0 : last[i]);

		period[i] += d;
		total[i] += d;
		last[i] = slots[i];
		if (d)
			h->top = i + 1;
	}
}

void ks_row_gone(struct ks_row *r)
{
	if (!r->gone)
		r->t->ngone++;
	r->gone = true;
}

void ks_table_sweep_begin(struct ks_table *t)
{
	for (struct ks_row *r = ks_table_next(t, NULL); r; r = ks_table_next(t, r))
		r->seen = false;
}

size_t ks_table_sweep(struct ks_table *t)
{
	size_t n = 0;

	for (struct ks_row *r = ks_table_next(t, NULL); r; r = ks_table_next(t, r))
		if (!r->seen && !r->gone) {
			ks_row_gone(r);
			n++;
		}
	return n;
}

struct ks_row *ks_table_next(const struct ks_table *t, const struct ks_row *r)
{
	size_t b = 0;

	if (r) {
		if (r->next)
			return r->next;
		b = r->hash % t->nbuckets + 1;
	}
	for (; b < t->nbuckets; b++)
		if (t->buckets[b])
			return t->buckets[b];
	return NULL;
}

bool ks_row_is_gone(const struct ks_row *r)
{
	return r->gone;
}

const void *ks_row_key(const struct ks_row *r)
{
	return r->data;
}

void *ks_row_ext(const struct ks_row *r)
{
	return (void *)(r->data + r->t->ext_off);
}

const struct ks_table *ks_row_table(const struct ks_row *r)
{
	return r->t;
}

/* ---- containers (-C) ---------------------------------------------------- */

void ks_table_show_container(struct ks_table *t, int c, bool show)
{
	ks_table_hide(t, c, !show);
	ks_table_hide(t, c + 1, !show);
}

void ks_row_put_container(struct ks_row *r, int c, const char *v1_ctrl, uint64_t id)
{
	const struct ks_container *ctr;
	const char *rt;

	if (r->t->hidden[c])
		return;		/* no -C: not even a lookup */
	ctr = ks_cgroup_ctrl_container(v1_ctrl, id);
	if (!ctr)
		return;		/* none, or a cgroup gone: what it had stays (ids are not reused) */
	rt = ks_ctr_runtime_name(ctr->runtime);
	ks_row_put_str(r, c, ctr->id, strlen(ctr->id));
	ks_row_put_str(r, c + 1, rt ? rt : "", rt ? strlen(rt) : 0);
}

bool ks_row_put_cgroup(struct ks_row *r, int path_col, int ctr_col, const char *v1_ctrl,
		       uint64_t id)
{
	const char *path = ks_cgroup_ctrl_path(v1_ctrl, id);

	if (path)
		ks_row_put_str(r, path_col, path, strlen(path));
	ks_row_put_container(r, ctr_col, v1_ctrl, id);
	return path;
}

void ks_container_text(struct ks_out *o, const struct ks_row *r)
{
	const struct ks_table *t = r->t;
	size_t len = 0;
	const char *id = "";

	/* the column whose cell this is: the table's one of KS_CONTAINER_COLS */
	for (unsigned i = 0; i < t->d.ncols; i++)
		if (t->d.cols[i].text == ks_container_text) {
			id = ks_row_str(r, i, &len);
			break;
		}
	if (len)
		ks_out_text(o, id, len < 12 ? len : 12);	/* as docker ps shortens it */
	else
		ks_out_char(o, '-');
}

static bool derived(const struct ks_col *c)
{
	return c->flags & (KS_COL_DERIVED | KS_COL_MEAN | KS_COL_QUANTILE);
}

uint64_t ks_row_get(const struct ks_row *r, int col)
{
	const struct ks_col *c = &r->t->d.cols[col];

	if (c->flags & KS_COL_MEAN) {
		uint64_t n = ks_row_get(r, c->per);

		return n ? ks_row_get(r, c->of) / n : 0;
	}
	if (c->flags & KS_COL_QUANTILE)
		return ks_ll_quantile(ks_row_hist(r, c->of, false), c->q, 100, ks_row_get(r, c->per));
	if (c->flags & KS_COL_DERIVED)
		return c->derive ? c->derive(r) : 0;
	if (c->kind > KS_COL_BYTES)
		return 0;
	return ((struct num *)cell(r, col))->period;
}

uint64_t ks_row_total(const struct ks_row *r, int col)
{
	const struct ks_col *c = &r->t->d.cols[col];

	if ((c->flags & KS_COL_CUM) && c->kind <= KS_COL_BYTES && !derived(c))
		return ((struct num *)cell(r, col))->total;
	return ks_row_get(r, col);
}

bool ks_row_absent(const struct ks_row *r, int col)
{
	const struct ks_col *c = &r->t->d.cols[col];

	if (r->t->absent[col])
		return true;
	if ((c->flags & KS_COL_NULL) && !ks_row_get(r, c->unless))
		return true;
	if (c->kind > KS_COL_BYTES || derived(c))
		return false;
	return ((struct num *)cell(r, col))->absent;
}

const char *ks_row_str(const struct ks_row *r, int col, size_t *len)
{
	const struct ks_col *c = &r->t->d.cols[col];
	const uint32_t *n = cell(r, col);

	if (c->kind != KS_COL_STR && c->kind != KS_COL_COMM) {
		*len = 0;
		return "";
	}
	*len = *n;
	return (const char *)(n + 1);
}

const uint32_t *ks_row_hist(const struct ks_row *r, int col, bool total)
{
	return hist_slots(r, col, total ? H_TOTAL : H_PERIOD);
}

/* ---- periods ------------------------------------------------------------ */

static bool row_visible(const struct ks_table *t, const struct ks_row *r)
{
	if (t->d.visible)
		return t->d.visible(r);
	for (unsigned i = 0; i < t->d.ncols; i++) {
		const struct ks_col *c = &t->d.cols[i];

		if (!(c->flags & KS_COL_CUM))
			continue;
		if (c->kind == KS_COL_HIST) {
			const uint32_t *s = ks_row_hist(r, i, false);

			for (unsigned k = 0; k < col_slots(c); k++)
				if (s[k])
					return true;
		} else if (c->kind <= KS_COL_BYTES && ks_row_get(r, i)) {
			return true;
		}
	}
	return false;
}

void ks_table_new_period(struct ks_table *t)
{
	for (size_t b = 0; b < t->nbuckets; b++)
		for (struct ks_row **pp = &t->buckets[b]; *pp;) {
			struct ks_row *r = *pp;

			if (r->gone) {
				*pp = r->next;
				row_free(t, r);
				t->nrows--;
				continue;
			}
			for (unsigned i = 0; i < t->d.ncols; i++) {
				const struct ks_col *c = &t->d.cols[i];

				if (c->kind == KS_COL_HIST) {
					memset(hist_slots(r, i, H_PERIOD), 0,
					       col_slots(c) * sizeof(uint32_t));
				} else if (c->kind <= KS_COL_BYTES && (c->flags & (KS_COL_CUM | KS_COL_MAX))) {
					((struct num *)cell(r, i))->period = 0;
				}
			}
			if (t->d.ext_new_period)
				t->d.ext_new_period(ks_row_ext(r));
			r->restart = false;
			r->touched = false;
			pp = &r->next;
		}
	t->ngone = 0;
}

/* ---- grouping ----------------------------------------------------------- */

static bool in_list(const int *l, int i)
{
	for (; l && *l >= 0; l++)
		if (*l == i)
			return true;
	return false;
}

/* Numbers that name, not measure: copied from a group's leader, never summed */
static bool is_label(const struct ks_table *t, int i)
{
	const struct ks_col *c = &t->d.cols[i];

	return (c->flags & (KS_COL_KEY | KS_COL_LABEL)) || in_list(t->group ? t->group->by : NULL, i);
}

enum merge { MERGE_FIRST, MERGE_ADD, MERGE_LABELS };

/*
 * Member src into group dst (a row of the same columns, maybe of another
 * table): its first member (all copied), another (numbers added), or its
 * leader (labels copied).
 */
static void row_merge(struct ks_row *dst, const struct ks_row *src, enum merge how)
{
	const struct ks_table *t = src->t;

	for (unsigned i = 0; i < t->d.ncols; i++) {
		const struct ks_col *c = &t->d.cols[i];
		struct num *d = cell(dst, i);
		const struct num *s = cell(src, i);
		bool label = c->kind == KS_COL_STR || c->kind == KS_COL_COMM ||
			     (c->kind <= KS_COL_BYTES && is_label(t, i));

		if (derived(c) || c->kind == KS_COL_CUSTOM)
			continue;
		if (label || how == MERGE_FIRST) {
			if (how != MERGE_ADD)
				memcpy(d, s, cell_size(c));
			continue;
		}
		if (how == MERGE_LABELS)
			continue;
		if (c->kind == KS_COL_HIST) {
			uint32_t *dp = hist_slots(dst, i, H_PERIOD), *dt = hist_slots(dst, i, H_TOTAL);
			const uint32_t *sp = hist_slots(src, i, H_PERIOD), *st = hist_slots(src, i, H_TOTAL);

			for (unsigned k = 0; k < col_slots(c); k++) {
				dp[k] += sp[k];
				dt[k] += st[k];
			}
		} else if (s->absent) {
			continue;
		} else if (d->absent) {
			*d = *s;
		} else if (c->flags & KS_COL_MAX) {
			d->period = s->period > d->period ? s->period : d->period;
			d->total = s->total > d->total ? s->total : d->total;
		} else {
			d->period += s->period;
			d->total += s->total;
		}
	}
	if (how != MERGE_LABELS && t->d.ext_merge)
		t->d.ext_merge(ks_row_ext(dst), ks_row_ext(src));
}

struct ks_row *ks_table_fold_gone(struct ks_table *t, size_t max, const void *key)
{
	struct ks_row *into;

	if (t->ngone <= max)
		return NULL;
	into = ks_table_find(t, key);
	if (!into)
		into = ks_table_row(t, key);
	if (!into)
		return NULL;
	for (size_t b = 0; b < t->nbuckets; b++)
		for (struct ks_row **pp = &t->buckets[b]; *pp;) {
			struct ks_row *r = *pp;

			if (!r->gone || r == into) {
				pp = &r->next;
				continue;
			}
			row_merge(into, r, MERGE_ADD);
			*pp = r->next;
			row_free(t, r);
			t->nrows--;
		}
	into->gone = true;
	t->ngone = 1;
	return into;
}

/* A grouped table's group of row r: the values of its `by` columns */
static unsigned group_key(const struct ks_table *t, const struct ks_row *r, uint64_t *key)
{
	unsigned n = 0;

	for (const int *b = t->group->by; *b >= 0; b++)
		key[n++] = ks_row_get(r, *b);
	return n;
}

size_t ks_table_fold_gone_groups(struct ks_table *t, size_t max)
{
	struct into {
		uint64_t key[KS_TABLE_MAX_COLS];
		struct ks_row *row;
	};
	struct ks_vec intos = KS_VEC(struct into);
	size_t folded = 0;

	if (!t->group || t->ngone <= max)
		return 0;
	for (size_t b = 0; b < t->nbuckets; b++)
		for (struct ks_row **pp = &t->buckets[b]; *pp;) {
			struct ks_row *r = *pp;
			struct into in = { .row = r }, *found = NULL;
			unsigned n;

			if (!r->gone) {
				pp = &r->next;
				continue;
			}
			n = group_key(t, r, in.key);
			for (size_t i = 0; i < intos.n && !found; i++) {
				struct into *x = ks_vec_at(&intos, i);

				if (!memcmp(x->key, in.key, n * sizeof(in.key[0])))
					found = x;
			}
			if (!found) {
				/* the group's first gone row holds it (no memory: kept apart) */
				ks_vec_push(&intos, &in);
				pp = &r->next;
				continue;
			}
			row_merge(found->row, r, MERGE_ADD);
			*pp = r->next;
			row_free(t, r);
			t->nrows--;
			t->ngone--;
			folded++;
		}
	ks_vec_free(&intos);
	return folded;
}

static int key_cmp(const struct ks_table *t, const struct ks_row *x, const struct ks_row *y);

static int row_key_cmp(const void *a, const void *b)
{
	const struct ks_row *x = *(struct ks_row *const *)a, *y = *(struct ks_row *const *)b;

	return key_cmp(x->t, x, y);
}

/*
 * The grouped view of rows[n] (t's visible rows): a scratch table of one
 * row per group; rows[] then holds its rows. NULL without memory.
 */
static struct ks_table *group_rows(const struct ks_table *t, struct ks_row **rows, size_t *n)
{
	const struct ks_table_group *gr = t->group;
	struct ks_table_desc d = t->d;
	struct ks_table *g;
	unsigned nby = 0;
	size_t k = 0;

	while (gr->by[nby] >= 0)
		nby++;
	d.type = gr->type;
	d.key_size = (nby ?: 1) * sizeof(uint64_t);	/* no column: one group of all */
	d.prepare = gr->prepare;
	d.visible = NULL;
	g = ks_table_new(&d);
	if (!g)
		return NULL;
	memcpy(g->hidden, t->hidden, sizeof(g->hidden));
	memcpy(g->absent, t->absent, sizeof(g->absent));
	g->sort_col = t->sort_col;
	g->top = t->top;
	g->top_opt = t->top_opt;
	g->ctx = t->ctx;
	g->by = gr->by;
	/* in key order: a group without a leader is named by its first member */
	qsort(rows, *n, sizeof(*rows), row_key_cmp);
	for (size_t i = 0; i < *n; i++) {
		uint64_t key[KS_TABLE_MAX_COLS] = {};
		struct ks_row *m = rows[i], *r;
		bool first;

		for (unsigned b = 0; b < nby; b++)
			key[b] = ks_row_get(m, gr->by[b]);
		first = !ks_table_find(g, key);
		r = ks_table_row(g, key);
		if (!r) {
			ks_table_free(g);
			return NULL;
		}
		row_merge(r, m, first ? MERGE_FIRST : MERGE_ADD);
		if (!first && gr->leader >= 0 && ks_row_get(m, gr->leader) == key[0])
			row_merge(r, m, MERGE_LABELS);
	}
	for (struct ks_row *r = ks_table_next(g, NULL); r; r = ks_table_next(g, r))
		rows[k++] = r;
	*n = k;
	return g;
}

/* ---- sort and render ---------------------------------------------------- */

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* Key columns ascending: numbers as numbers, strings as bytes */
static int key_cmp(const struct ks_table *t, const struct ks_row *x, const struct ks_row *y)
{
	/* a group is known by the values it groups */
	for (const int *b = t->by; b && *b >= 0; b++) {
		int d = cmp_u64(ks_row_get(x, *b), ks_row_get(y, *b));

		if (d)
			return d;
	}
	for (unsigned i = 0; i < t->d.ncols && !t->by; i++) {
		const struct ks_col *c = &t->d.cols[i];
		int d;

		if (!(c->flags & KS_COL_KEY))
			continue;
		if (c->kind == KS_COL_STR || c->kind == KS_COL_COMM) {
			size_t lx, ly;
			const char *sx = ks_row_str(x, i, &lx), *sy = ks_row_str(y, i, &ly);

			d = strcmp(sx, sy);
		} else {
			d = cmp_u64(ks_row_get(x, i), ks_row_get(y, i));
		}
		if (d)
			return d;
	}
	return memcmp(x->data, y->data, t->d.key_size);
}

static int row_cmp(const void *a, const void *b)
{
	const struct ks_row *x = *(struct ks_row *const *)a, *y = *(struct ks_row *const *)b;
	const struct ks_table *t = x->t;
	int d;

	if (t->sort_col >= 0) {
		d = cmp_u64(ks_row_get(y, t->sort_col), ks_row_get(x, t->sort_col));
		if (d)
			return d;
	}
	for (const int *c = t->d.ties; c && *c >= 0; c++) {
		d = cmp_u64(ks_row_get(y, *c), ks_row_get(x, *c));
		if (d)
			return d;
	}
	return key_cmp(t, x, y);
}

size_t ks_table_render(struct ks_table *t, struct ks_sink *s)
{
	struct ks_row **rows = calloc(t->nrows + 1, sizeof(*rows));
	struct ks_table *g = NULL, *v = t;
	size_t n = 0, shown;

	if (!rows)
		return 0;
	for (size_t b = 0; b < t->nbuckets; b++)
		for (struct ks_row *r = t->buckets[b]; r; r = r->next)
			if (row_visible(t, r))
				rows[n++] = r;
	if (t->group) {
		g = v = group_rows(t, rows, &n);
		if (!g) {
			free(rows);
			return 0;
		}
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	shown = v->top && n > v->top ? v->top : n;
	for (size_t i = 0; i < shown && v->d.prepare; i++)
		v->d.prepare(rows[i]);
	if (s->ops->begin)
		s->ops->begin(s, v);
	for (size_t i = 0; i < shown; i++)
		s->ops->row(s, v, rows[i]);
	if (s->ops->end)
		s->ops->end(s, v, n - shown);
	ks_table_free(g);
	free(rows);
	return shown;
}

void ks_sink_init(struct ks_sink *s, struct ks_out *o, uint64_t ts_ns, uint64_t interval_ns)
{
	*s = (struct ks_sink){ .ops = o->sink ? o->sink : o->json ? &ks_sink_json : &ks_sink_text,
			       .o = o, .ts_ns = ts_ns, .interval_ns = interval_ns,
			       .priv = o->sink_priv };
}

/* ---- the text sink ------------------------------------------------------ */

static bool text_col(const struct ks_table *t, int i)
{
	return !t->hidden[i] && !(t->d.cols[i].flags & KS_COL_TEXT_HIDE);
}

static bool left(const struct ks_col *c)
{
	return (c->flags & KS_COL_LEFT) || c->kind == KS_COL_STR || c->kind == KS_COL_COMM ||
	       c->kind == KS_COL_CUSTOM;
}

/* The text columns, in text order: their indexes into idx; returns how many */
static unsigned text_cols(const struct ks_table *t, int *idx)
{
	unsigned n = 0;

	for (unsigned k = 0; k < t->d.ncols; k++) {
		int i = t->d.text_order ? t->d.text_order[k] : (int)k;

		if (i < 0)
			break;
		if (text_col(t, i))
			idx[n++] = i;
	}
	return n;
}

static void text_pre(struct ks_out *o, const struct ks_col *c, bool first)
{
	if (c->pre)
		ks_out_printf(o, "%s", c->pre);
	else if (!first)
		ks_out_char(o, ' ');
}

/* A cell formatted in full first: aligned in its width */
static void text_cell(struct ks_out *o, const struct ks_col *c, const char *s)
{
	ks_out_printf(o, left(c) ? "%-*s" : "%*s", (int)c->width, s);
}

/* No line ends in blanks (a last cell that is empty, or padded) */
static void text_eol(struct ks_out *o, size_t line)
{
	while (o->len > line && o->buf[o->len - 1] == ' ')
		o->len--;
	ks_out_char(o, '\n');
}

static void text_begin(struct ks_sink *s, const struct ks_table *t)
{
	struct ks_out *o = s->o;
	int idx[KS_TABLE_MAX_COLS];
	unsigned n = text_cols(t, idx);
	size_t line = o->len;

	for (unsigned k = 0; k < n; k++) {
		const struct ks_col *c = &t->d.cols[idx[k]];

		text_pre(o, c, !k);
		text_cell(o, c, c->head);
	}
	text_eol(o, line);
}

static void text_num(char *buf, size_t cap, const struct ks_col *c, uint64_t v)
{
	switch (c->kind) {
	case KS_COL_NS:
		if (c->text_div == 1)
			snprintf(buf, cap, "%" PRIu64, v);
		else if (c->text_div)
			snprintf(buf, cap, "%.3f", (double)v / c->text_div);
		else
			ks_fmt_ns(buf, cap, v);
		break;
	case KS_COL_BYTES:
		ks_fmt_bytes(buf, cap, v);
		break;
	default:
		snprintf(buf, cap, "%" PRIu64, v);
	}
}

static void text_row(struct ks_sink *s, const struct ks_table *t, const struct ks_row *r)
{
	struct ks_out *o = s->o;
	int idx[KS_TABLE_MAX_COLS];
	unsigned n = text_cols(t, idx);
	size_t line = o->len;

	for (unsigned k = 0; k < n; k++) {
		int i = idx[k];
		const struct ks_col *c = &t->d.cols[i];
		size_t start, len;
		const char *str;
		char buf[48];

		text_pre(o, c, !k);
		switch (c->kind) {
		case KS_COL_STR:
		case KS_COL_COMM:
			/* escaped: its width is what the escaping wrote */
			start = o->len;
			str = ks_row_str(r, i, &len);
			if (c->text)
				c->text(o, r);	/* the command's cell of the string */
			else if (!len && (c->flags & KS_COL_NULL))
				ks_out_text(o, "-", 1);
			else
				ks_out_text(o, str, len);
			ks_out_pad(o, start, c->width);
			break;
		case KS_COL_CUSTOM:
			start = o->len;
			if (c->text)
				c->text(o, r);
			ks_out_pad(o, start, c->width);
			break;
		case KS_COL_HIST:
			text_cell(o, c, "");	/* histograms have their own renderer */
			break;
		default:
			if (ks_row_absent(r, i) ||
			    ((c->flags & KS_COL_DASH) && !ks_row_get(r, c->unless)))
				snprintf(buf, sizeof(buf), "-");
			else
				text_num(buf, sizeof(buf), c, ks_row_get(r, i));
			text_cell(o, c, buf);
		}
	}
	text_eol(o, line);
}

static void text_end(struct ks_sink *s, const struct ks_table *t, size_t not_shown)
{
	if (not_shown)
		ks_out_printf(s->o, "(%zu more not shown: %s)\n", not_shown,
			      t->top_opt ? t->top_opt : "-n");
}

const struct ks_sink_ops ks_sink_text = {
	.begin = text_begin,
	.row = text_row,
	.end = text_end,
};

/* ---- the NDJSON sink ---------------------------------------------------- */

static void json_row(struct ks_sink *s, const struct ks_table *t, const struct ks_row *r)
{
	struct ks_out *o = s->o;

	ks_json_begin(o);
	ks_json_kv_str(o, "type", t->d.type, strlen(t->d.type));
	ks_json_kv_u64(o, "ts_ns", s->ts_ns);
	ks_json_kv_u64(o, "interval_ns", (t->d.interval ? t->d.interval(r) : 0) ?: s->interval_ns);
	for (unsigned i = 0; i < t->d.ncols; i++) {
		const struct ks_col *c = &t->d.cols[i];
		const char *str;
		size_t len;

		if (t->hidden[i] || (c->flags & KS_COL_JSON_HIDE))
			continue;
		switch (c->kind) {
		case KS_COL_STR:
		case KS_COL_COMM:
			str = ks_row_str(r, i, &len);
			if (!len && (c->flags & KS_COL_NULL))
				ks_json_kv_null(o, c->name);	/* not known, not "" */
			else
				ks_json_kv_str(o, c->name, str, len);
			break;
		case KS_COL_CUSTOM:
			ks_json_key(o, c->name);
			if (c->json)
				c->json(o, r);
			else
				ks_json_null(o);
			break;
		case KS_COL_HIST:
			ks_json_key(o, c->name);
			if (col_slots(c) != KS_LOG2_SLOTS) {
				ks_json_null(o);	/* log2 buckets only */
				break;
			}
			ks_json_begin(o);
			ks_log2_json_buckets(o, ks_row_hist(r, i, false));
			ks_json_end(o);
			break;
		default:
			if (ks_row_absent(r, i))
				ks_json_kv_null(o, c->name);
			else
				ks_json_kv_u64(o, c->name, ks_row_get(r, i));
		}
	}
	ks_json_end(o);
}

const struct ks_sink_ops ks_sink_json = {
	.row = json_row,
};

void ks_table_report(struct ks_table *t, struct ks_out *o, const struct ks_sink_ops *ops,
		     bool heading, uint64_t *period_start)
{
	uint64_t now = ks_now_ns(CLOCK_MONOTONIC);
	struct ks_sink sink;

	if (!o->json && heading)
		ks_out_time_heading(o);
	ks_sink_init(&sink, o, now, now - *period_start);
	if (ops && !o->sink)
		sink.ops = ops;
	ks_table_render(t, &sink);
	ks_table_new_period(t);
	*period_start = now;
}

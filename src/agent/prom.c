// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's metric store and its text exposition (prom.h). Each family
 * is an open-addressing hash of series keyed by their label values joined
 * with NULs. "other" is not a series of the hash: it is what expired
 * series left behind (retired) plus, at rendering, every folded series'
 * current value, so a series that is folded or expires moves its total
 * into "other" and the family's sum never drops.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/out.h"
#include "prom.h"

#define KEY_MAX 4096              /* bytes of a series' label values, joined */

struct series {
	uint64_t last_move;           /* CLOCK_MONOTONIC ns of the last change */
	bool folded;                  /* counted in "other" */
	bool is_float;                /* a gauge set with ks_prom_set_f */
	union {
		uint64_t u;           /* counter */
		int64_t i;            /* gauge */
		double d;             /* gauge, float */
	} v;
	uint64_t sum_ns;              /* histogram */
	uint64_t *slots;              /* histogram: KS_PROM_HIST_MAX, not cumulative */
	size_t key_len;
	char key[];                   /* label values, each NUL-terminated */
};

struct ks_prom_family {
	const struct ks_prom_desc *d;
	struct ks_prom *p;
	unsigned nlabels;
	struct series **tab;
	size_t cap, n;                /* slots, series held (named and folded) */
	/* "other": what retired series left, and whether there is one */
	uint64_t other_u;
	double other_d;
	uint64_t other_sum_ns;
	uint64_t other_slots[KS_PROM_HIST_MAX];
	bool other_used;
	uint64_t folded_total;
	struct ks_prom_family *next;
};

struct ks_prom {
	size_t budget;
	uint64_t expire_ns;
	struct ks_prom_family *first, *last;
};

/* ---- a growing text buffer --------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void buf_need(struct buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom || b->len + n < b->cap)
		return;
	cap = b->cap ? b->cap : 16384;
	while (cap <= b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void buf_put(struct buf *b, const char *s, size_t n)
{
	buf_need(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void buf_str(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	buf_need(b, 128);
	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		buf_need(b, n + 1);
		if (b->oom)
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += n;
}

/* ---- numbers and escaping ---------------------------------------------------------- */

void ks_prom_fmt_double(char *out, size_t n, double v)
{
	if (isnan(v)) {
		snprintf(out, n, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, n, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, n, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

static void put_double(struct buf *b, double v)
{
	char s[40];

	ks_prom_fmt_double(s, sizeof(s), v);
	buf_str(b, s);
}

/*
 * A label value: \\, \" and \n as the format says; a byte that is not
 * UTF-8, or another control character, as the four characters \xNN (the
 * backslash itself escaped): a command name is any bytes, and one invalid
 * byte would make Prometheus reject the whole scrape.
 */
static void put_label_value(struct buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = ks_utf8_seq(u + i, n - i, &cp);

		if (u[i] == '\\') {
			buf_put(b, "\\\\", 2);
		} else if (u[i] == '"') {
			buf_put(b, "\\\"", 2);
		} else if (u[i] == '\n') {
			buf_put(b, "\\n", 2);
		} else if (!l || u[i] < 0x20 || u[i] == 0x7f) {
			buf_printf(b, "\\\\x%02x", u[i]);
			l = 1;
		} else {
			buf_put(b, s + i, l);
		}
		i += l ? l : 1;
	}
}

/* HELP text: \\ and \n escaped */
static void put_help(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_put(b, "\\\\", 2);
		else if (*s == '\n')
			buf_put(b, "\\n", 2);
		else
			buf_put(b, s, 1);
	}
}

/* ---- the store --------------------------------------------------------------------- */

struct ks_prom *ks_prom_new(size_t budget, uint64_t expire_ns)
{
	struct ks_prom *p = calloc(1, sizeof(*p));

	if (p) {
		p->budget = budget;
		p->expire_ns = expire_ns;
	}
	return p;
}

static void series_free(struct series *s)
{
	if (s) {
		free(s->slots);
		free(s);
	}
}

void ks_prom_free(struct ks_prom *p)
{
	struct ks_prom_family *f, *next;

	if (!p)
		return;
	for (f = p->first; f; f = next) {
		next = f->next;
		for (size_t i = 0; i < f->cap; i++)
			series_free(f->tab[i]);
		free(f->tab);
		free(f);
	}
	free(p);
}

struct ks_prom_family *ks_prom_family(struct ks_prom *p, const struct ks_prom_desc *d)
{
	struct ks_prom_family *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->d = d;
	f->p = p;
	while (f->nlabels < KS_PROM_MAX_LABELS && d->labels[f->nlabels])
		f->nlabels++;
	if (p->last)
		p->last->next = f;
	else
		p->first = f;
	p->last = f;
	return f;
}

struct ks_prom_family *ks_prom_next(struct ks_prom *p, struct ks_prom_family *f)
{
	return f ? f->next : p->first;
}

const char *ks_prom_family_name(const struct ks_prom_family *f)
{
	return f->d->name;
}

size_t ks_prom_family_series(const struct ks_prom_family *f)
{
	size_t n = 0;
	bool other = f->other_used;

	for (size_t j = 0; j < f->cap; j++) {
		if (!f->tab[j])
			continue;
		if (f->tab[j]->folded)
			other = true;
		else
			n++;
	}
	/* a family without labels shows its one series (0) from the start */
	return n + other ? n + other : !f->nlabels;
}

uint64_t ks_prom_family_folded(const struct ks_prom_family *f)
{
	return f->folded_total;
}

static uint64_t hash_key(const char *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 0x100000001b3ull;
	return h;
}

/* The labels joined: each value NUL-terminated; 0 if too long (then truncated values) */
static size_t make_key(const struct ks_prom_family *f, const struct ks_prom_labels *l, char *k)
{
	size_t len = 0;

	for (unsigned i = 0; i < f->nlabels; i++) {
		const char *v = l && l->v[i] ? l->v[i] : "";
		size_t n = l && l->v[i] && l->len[i] >= 0 ? (size_t)l->len[i] : strlen(v);

		n = strnlen(v, n);	/* a value ends at its NUL */
		if (n > KEY_MAX / KS_PROM_MAX_LABELS - 1)
			n = KEY_MAX / KS_PROM_MAX_LABELS - 1;
		memcpy(k + len, v, n);
		len += n;
		k[len++] = 0;
	}
	return len;
}

static bool key_is_other(const struct ks_prom_family *f, const char *k, size_t len)
{
	for (unsigned i = 0; i < f->nlabels; i++) {
		if (len < 6 || memcmp(k, "other", 6))
			return false;
		k += 6;
		len -= 6;
	}
	return f->nlabels > 0 && len == 0;
}

static int grow(struct ks_prom_family *f)
{
	size_t cap = f->cap ? f->cap * 2 : 64;
	struct series **tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < f->cap; i++) {
		struct series *s = f->tab[i];
		size_t j;

		if (!s)
			continue;
		for (j = hash_key(s->key, s->key_len) & (cap - 1); tab[j]; j = (j + 1) & (cap - 1))
			;
		tab[j] = s;
	}
	free(f->tab);
	f->tab = tab;
	f->cap = cap;
	return 0;
}

/* The series of these labels, made if new; NULL without memory */
static struct series *series_of(struct ks_prom_family *f, const struct ks_prom_labels *l)
{
	char key[KEY_MAX];
	size_t len = make_key(f, l, key), j;
	struct series *s;

	if ((f->n + 1) * 4 > f->cap * 3 && grow(f))
		return NULL;
	for (j = hash_key(key, len) & (f->cap - 1); (s = f->tab[j]); j = (j + 1) & (f->cap - 1))
		if (s->key_len == len && !memcmp(s->key, key, len))
			return s;
	s = calloc(1, sizeof(*s) + len);
	if (!s)
		return NULL;
	if (f->d->type == KS_PROM_HISTOGRAM) {
		s->slots = calloc(KS_PROM_HIST_MAX, sizeof(*s->slots));
		if (!s->slots) {
			free(s);
			return NULL;
		}
	}
	memcpy(s->key, key, len);
	s->key_len = len;
	/* a series whose every label is "other" (a command named so) is part of it */
	s->folded = key_is_other(f, key, len);
	f->tab[j] = s;
	f->n++;
	return s;
}

void ks_prom_add(struct ks_prom_family *f, const struct ks_prom_labels *l, uint64_t v,
		 uint64_t now)
{
	struct series *s = series_of(f, l);

	if (s && v) {
		s->v.u += v;
		s->last_move = now;
	} else if (s && !s->last_move) {
		s->last_move = now;
	}
}

void ks_prom_set(struct ks_prom_family *f, const struct ks_prom_labels *l, int64_t v,
		 uint64_t now)
{
	struct series *s = series_of(f, l);

	if (s) {
		s->v.i = v;
		s->is_float = false;
		s->last_move = now;
	}
}

void ks_prom_set_f(struct ks_prom_family *f, const struct ks_prom_labels *l, double v,
		   uint64_t now)
{
	struct series *s = series_of(f, l);

	if (s) {
		s->v.d = v;
		s->is_float = true;
		s->last_move = now;
	}
}

void ks_prom_observe(struct ks_prom_family *f, const struct ks_prom_labels *l,
		     const uint64_t *slots, unsigned nslots, uint64_t sum_ns, uint64_t now)
{
	struct series *s = series_of(f, l);
	uint64_t n = 0;

	if (!s)
		return;
	for (unsigned i = 0; i < nslots; i++) {
		s->slots[i < KS_PROM_HIST_MAX ? i : KS_PROM_HIST_MAX - 1] += slots[i];
		n += slots[i];
	}
	s->sum_ns += sum_ns;
	if (n || sum_ns || !s->last_move)
		s->last_move = now;
}

static void delete_at(struct ks_prom_family *f, size_t j)
{
	/* backward-shift deletion keeps every probe sequence unbroken */
	size_t i = j;

	series_free(f->tab[j]);
	f->tab[j] = NULL;
	f->n--;
	for (size_t k = (i + 1) & (f->cap - 1); f->tab[k]; k = (k + 1) & (f->cap - 1)) {
		size_t home = hash_key(f->tab[k]->key, f->tab[k]->key_len) & (f->cap - 1);

		/* can the entry at k move to the hole at i? (home not in (i, k]) */
		if ((k > i && (home <= i || home > k)) || (k < i && home <= i && home > k)) {
			f->tab[i] = f->tab[k];
			f->tab[k] = NULL;
			i = k;
		}
	}
}

void ks_prom_clear(struct ks_prom_family *f)
{
	for (size_t j = 0; j < f->cap; j++) {
		series_free(f->tab[j]);
		f->tab[j] = NULL;
	}
	f->n = 0;
	f->other_used = false;
	f->other_u = 0;
	f->other_d = 0;
}

/* Its value for ordering: which are the smallest */
static double series_size(const struct ks_prom_family *f, const struct series *s)
{
	uint64_t n = 0;

	switch (f->d->type) {
	case KS_PROM_COUNTER:
		return s->v.u;
	case KS_PROM_GAUGE:
		return fabs(s->is_float ? s->v.d : (double)s->v.i);
	case KS_PROM_HISTOGRAM:
		for (int i = 0; i < KS_PROM_HIST_MAX; i++)
			n += s->slots[i];
		return n;
	}
	return 0;
}

/* A series' values into "other" for good (it expired) */
static void retire(struct ks_prom_family *f, const struct series *s)
{
	f->other_used = true;
	f->other_u += s->v.u;
	f->other_sum_ns += s->sum_ns;
	if (s->slots)
		for (int i = 0; i < KS_PROM_HIST_MAX; i++)
			f->other_slots[i] += s->slots[i];
}

static int cmp_size(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static size_t maintain_family(struct ks_prom_family *f, size_t budget, uint64_t expire_ns,
			      uint64_t now)
{
	size_t named = 0, folded = 0;
	double (*order)[2];

	/*
	 * A counter or histogram that expires leaves its totals in "other"; a
	 * gauge not set for that long (its cgroup is gone) just goes
	 */
	if ((f->d->flags & KS_PROM_EXPIRES) && expire_ns) {
		for (size_t j = 0; j < f->cap;) {
			struct series *s = f->tab[j];

			if (s && now > s->last_move && now - s->last_move >= expire_ns) {
				if (f->d->type != KS_PROM_GAUGE) {
					folded += !s->folded;
					retire(f, s);
				}
				delete_at(f, j);	/* another entry may have moved to j */
				continue;
			}
			j++;
		}
	}
	for (size_t j = 0; j < f->cap; j++)
		if (f->tab[j] && !f->tab[j]->folded)
			named++;
	if ((f->d->flags & KS_PROM_NO_OTHER) || !budget || named <= budget)
		goto out;
	order = malloc(named * sizeof(*order));
	if (!order)
		goto out;
	named = 0;
	for (size_t j = 0; j < f->cap; j++)
		if (f->tab[j] && !f->tab[j]->folded) {
			order[named][0] = series_size(f, f->tab[j]);
			order[named][1] = j;
			named++;
		}
	qsort(order, named, sizeof(*order), cmp_size);
	for (size_t i = 0; i + budget < named; i++) {
		f->tab[(size_t)order[i][1]]->folded = true;
		folded++;
	}
	free(order);
out:
	f->folded_total += folded;
	return folded;
}

size_t ks_prom_maintain(struct ks_prom *p, uint64_t now)
{
	size_t n = 0;

	for (struct ks_prom_family *f = p->first; f; f = f->next)
		n += maintain_family(f, p->budget, p->expire_ns, now);
	return n;
}

/* ---- rendering --------------------------------------------------------------------- */

static void put_labels(struct buf *b, const struct ks_prom_family *f, const char *key,
		       const char *le)
{
	bool any = false;

	if (!f->nlabels && !le)
		return;
	buf_put(b, "{", 1);
	for (unsigned i = 0; i < f->nlabels; i++) {
		size_t n = strlen(key);

		buf_printf(b, "%s%s=\"", i ? "," : "", f->d->labels[i]);
		put_label_value(b, key, n);
		buf_put(b, "\"", 1);
		key += n + 1;
		any = true;
	}
	if (le)
		buf_printf(b, "%sle=\"%s\"", any ? "," : "", le);
	buf_put(b, "}", 1);
}

/*
 * v units of `unit` (1e-9: ns): divided by 1e9 rather than multiplied by
 * 1e-9, so 3680691 ns is the double nearest 0.003680691, printed so
 */
static double scale(double v, double unit)
{
	return unit < 1 ? v / round(1 / unit) : v * unit;
}

/* The value of a counter or gauge, as the family prints it */
static void put_value(struct buf *b, const struct ks_prom_family *f, bool is_float,
		      uint64_t u, int64_t i, double d)
{
	double unit = f->d->unit;

	buf_put(b, " ", 1);
	if (is_float)
		put_double(b, d);
	else if (f->d->type == KS_PROM_COUNTER && (unit == 0 || unit == 1))
		buf_printf(b, "%" PRIu64, u);
	else if (f->d->type == KS_PROM_COUNTER)
		put_double(b, scale(u, unit));
	else if (unit == 0 || unit == 1)
		buf_printf(b, "%" PRId64, i);
	else
		put_double(b, scale(i, unit));
	buf_put(b, "\n", 1);
}

/* le of slot k: its largest duration, (2^(k+1) * slot_ns - 1) ns, in seconds */
static void le_of(char *s, size_t n, const struct ks_prom_desc *d, unsigned k)
{
	uint64_t slot_ns = d->slot_ns ? d->slot_ns : 1;
	long double ns = ldexpl(1.0L, k + 1) * slot_ns - 1;

	ks_prom_fmt_double(s, n, (double)(ns / 1e9L));
}

static void put_hist(struct buf *b, const struct ks_prom_family *f, const char *key,
		     const uint64_t *slots, uint64_t sum_ns)
{
	const struct ks_prom_desc *d = f->d;
	unsigned last = d->last < KS_PROM_HIST_MAX ? d->last : KS_PROM_HIST_MAX - 1;
	uint64_t cum = 0, total = 0;
	char le[40];

	for (int i = 0; i < KS_PROM_HIST_MAX; i++)
		total += slots[i];
	for (unsigned k = 0; k <= last; k++) {
		cum += slots[k];
		if (k < d->first)
			continue;
		le_of(le, sizeof(le), d, k);
		buf_printf(b, "%s_bucket", d->name);
		put_labels(b, f, key, le);
		buf_printf(b, " %" PRIu64 "\n", cum);
	}
	buf_printf(b, "%s_bucket", d->name);
	put_labels(b, f, key, "+Inf");
	buf_printf(b, " %" PRIu64 "\n", total);
	buf_printf(b, "%s_sum", d->name);
	put_labels(b, f, key, NULL);
	buf_put(b, " ", 1);
	put_double(b, scale(sum_ns, 1e-9));
	buf_put(b, "\n", 1);
	buf_printf(b, "%s_count", d->name);
	put_labels(b, f, key, NULL);
	buf_printf(b, " %" PRIu64 "\n", total);
}

static int cmp_series(const void *a, const void *b)
{
	const struct series *x = *(struct series *const *)a, *y = *(struct series *const *)b;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);

	return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static void render_family(struct buf *b, struct ks_prom_family *f)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	struct series **v = NULL;
	size_t n = 0;
	bool other = f->other_used;
	uint64_t ou = f->other_u, osum = f->other_sum_ns, oslots[KS_PROM_HIST_MAX];
	double od = f->other_d;
	int64_t oi = 0;
	bool ofloat = false;
	char okey[KS_PROM_MAX_LABELS * 6];

	memcpy(oslots, f->other_slots, sizeof(oslots));
	if (f->n && !(v = malloc(f->n * sizeof(*v)))) {
		b->oom = true;
		return;
	}
	for (size_t j = 0; j < f->cap; j++) {
		struct series *s = f->tab[j];

		if (!s)
			continue;
		if (!s->folded) {
			v[n++] = s;
			continue;
		}
		other = true;
		ou += s->v.u;
		oi += s->v.i;
		od += s->is_float ? s->v.d : 0;
		ofloat |= s->is_float;
		osum += s->sum_ns;
		if (s->slots)
			for (int i = 0; i < KS_PROM_HIST_MAX; i++)
				oslots[i] += s->slots[i];
	}
	qsort(v, n, sizeof(*v), cmp_series);
	/* a family with labels and no series yet: nothing (a bare HELP and TYPE add nothing) */
	if (!n && !other && f->nlabels) {
		free(v);
		return;
	}
	buf_printf(b, "# HELP %s ", f->d->name);
	put_help(b, f->d->help);
	buf_printf(b, "\n# TYPE %s %s\n", f->d->name, types[f->d->type]);
	for (size_t i = 0; i < n; i++) {
		const struct series *s = v[i];

		if (f->d->type == KS_PROM_HISTOGRAM) {
			put_hist(b, f, s->key, s->slots, s->sum_ns);
			continue;
		}
		buf_str(b, f->d->name);
		put_labels(b, f, s->key, NULL);
		put_value(b, f, s->is_float, s->v.u, s->v.i, s->v.d);
	}
	if (!n && !other) {
		/* no labels, nothing yet: 0 from the start, so increase() sees the first events */
		if (f->d->type == KS_PROM_HISTOGRAM) {
			put_hist(b, f, "", oslots, 0);
		} else {
			buf_str(b, f->d->name);
			put_value(b, f, false, 0, 0, 0);
		}
	}
	if (other) {
		char *k = okey;

		for (unsigned i = 0; i < f->nlabels; i++) {
			memcpy(k, "other", 6);
			k += 6;
		}
		if (f->d->type == KS_PROM_HISTOGRAM) {
			put_hist(b, f, okey, oslots, osum);
		} else {
			buf_str(b, f->d->name);
			put_labels(b, f, okey, NULL);
			put_value(b, f, ofloat, ou, oi, od + oi);
		}
	}
	free(v);
}

int ks_prom_render(struct ks_prom *p, char **out, size_t *len)
{
	struct buf b = { 0 };

	for (struct ks_prom_family *f = p->first; f; f = f->next)
		render_family(&b, f);
	buf_need(&b, 1);
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* Errors by errno as a table column (errnos.h) */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errnos.h"
#include "names.h"
#include "out.h"

static struct ks_errn *errn_get(struct ks_errnos *en, uint16_t err)
{
	struct ks_errn *n;

	for (size_t i = 0; i < en->n; i++)
		if (en->v[i].err == err)
			return &en->v[i];
	n = realloc(en->v, (en->n + 1) * sizeof(*n));
	if (!n)
		return NULL;
	en->v = n;
	n = &en->v[en->n++];
	memset(n, 0, sizeof(*n));
	n->err = err;
	return n;
}

int ks_errnos_put(struct ks_errnos *en, uint16_t err, uint64_t cum)
{
	struct ks_errn *n = errn_get(en, err);

	if (!n)
		return -ENOMEM;
	n->acc += cum >= n->snap ? cum - n->snap : cum;
	n->snap = cum;
	return 0;
}

void ks_errnos_restart(struct ks_errnos *en, uint16_t err)
{
	for (size_t i = 0; i < en->n; i++)
		if (en->v[i].err == err)
			en->v[i].snap = 0;
}

uint64_t ks_errnos_sum(const struct ks_errnos *en)
{
	uint64_t n = 0;

	for (size_t i = 0; i < en->n; i++)
		n += en->v[i].acc;
	return n;
}

uint64_t ks_errnos_derive(const struct ks_row *r)
{
	return ks_errnos_sum(ks_row_ext(r));
}

static int errn_cmp(const void *a, const void *b)
{
	const struct ks_errn *x = a, *y = b;

	if (x->acc != y->acc)
		return x->acc < y->acc ? 1 : -1;
	return x->err - y->err;
}

/* Most frequent first this period */
static void errnos_sort(struct ks_errnos *en)
{
	if (en->n > 1)
		qsort(en->v, en->n, sizeof(*en->v), errn_cmp);
}

static const char *errn_name(uint16_t err, char *num, size_t n)
{
	const char *name = ks_errno_name(err);

	if (name)
		return name;
	snprintf(num, n, "%u", err);
	return num;
}

/* text: the three most frequent, "ENOENT:3 EACCES:1" */
void ks_errnos_text(struct ks_out *o, const struct ks_row *r)
{
	struct ks_errnos *en = ks_row_ext(r);
	char num[16];
	int shown = 0;

	errnos_sort(en);
	for (size_t i = 0; i < en->n && shown < 3; i++) {
		if (!en->v[i].acc)
			continue;
		ks_out_printf(o, "%s%s:%" PRIu64, shown ? " " : "",
			      errn_name(en->v[i].err, num, sizeof(num)), en->v[i].acc);
		shown++;
	}
}

/* JSON: all of them, {"ENOENT":3,"EACCES":1} */
void ks_errnos_json(struct ks_out *o, const struct ks_row *r)
{
	struct ks_errnos *en = ks_row_ext(r);
	char num[16];

	errnos_sort(en);
	ks_json_begin(o);
	for (size_t k = 0; k < en->n; k++)
		if (en->v[k].acc)
			ks_json_kv_u64(o, errn_name(en->v[k].err, num, sizeof(num)), en->v[k].acc);
	ks_json_end(o);
}

void ks_errnos_new_period(void *ext)
{
	struct ks_errnos *en = ext;

	for (size_t i = 0; i < en->n; i++)
		en->v[i].acc = 0;
}

void ks_errnos_free(void *ext)
{
	free(((struct ks_errnos *)ext)->v);
}

/* A group's errnos: its members' summed, errno by errno */
void ks_errnos_merge(void *dst, const void *src)
{
	struct ks_errnos *d = dst;
	const struct ks_errnos *s = src;

	for (size_t i = 0; i < s->n; i++) {
		struct ks_errn *n = errn_get(d, s->v[i].err);

		if (n)
			n->acc += s->v[i].acc;
	}
}

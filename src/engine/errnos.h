/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Errors by errno, as a table column: a row's ext (or the start of it)
 * holds the errnos the kernel counted for the row's key, each from a
 * cumulative count (a map entry per (key, errno)) turned into this period's
 * amount. The column shows the most frequent in text ("ENOENT:3 EACCES:1")
 * and all of them in JSON ({"ENOENT":3,"EACCES":1}); ks_errnos_sum() is the
 * row's errors. syscall and diskio use it.
 */
#ifndef KSCOPE_ERRNOS_H
#define KSCOPE_ERRNOS_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"

struct ks_errn {
	uint16_t err;
	uint64_t snap, acc;    /* the kernel's count at the last read; this period's */
};

struct ks_errnos {
	struct ks_errn *v;
	size_t n;
};

/*
 * The kernel's cumulative count of errno err for this row is now cum: what
 * it grew by goes to the period (a count below the last started again).
 * 0, or -ENOMEM.
 */
int ks_errnos_put(struct ks_errnos *en, uint16_t err, uint64_t cum);
/* Its kernel entry is gone: the next count of err starts from 0 */
void ks_errnos_restart(struct ks_errnos *en, uint16_t err);
/* Errors in the period */
uint64_t ks_errnos_sum(const struct ks_errnos *en);

/* KS_COL_CUSTOM cells, for a row whose ext starts with a struct ks_errnos */
void ks_errnos_text(struct ks_out *o, const struct ks_row *r);
void ks_errnos_json(struct ks_out *o, const struct ks_row *r);
/* KS_COL_DERIVED: the row's errors in the period */
uint64_t ks_errnos_derive(const struct ks_row *r);
/* ks_table_desc callbacks for an ext that is a struct ks_errnos */
void ks_errnos_new_period(void *ext);
void ks_errnos_free(void *ext);
void ks_errnos_merge(void *dst, const void *src);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Summaries as data. A command declares each summary as a table (its
 * columns: JSON key, header, kind, width, flags) and copies what its maps
 * say into rows; the engine owns the rest of the chain: the row store,
 * cumulative counters turned into per-period amounts, rows whose kernel
 * entry is gone, sort (-s), top-N (-n, "(N more not shown: -n)"), and the
 * sinks that render the same rows as a text table, NDJSON, or anything
 * else that implements struct ks_sink_ops (a Prometheus exposition, a TUI:
 * every sink sees each row's period amounts and its totals since start).
 *
 * A row is found by its key (the bytes of its identity, e.g. {pid, nr}).
 * Values go in as the kernel has them:
 *   - KS_COL_CUM: a cumulative counter (never decreasing while its kernel
 *     entry lives): the period shows what it grew by, the total what it
 *     grew by since tracing began. A value below the previous one is a
 *     counter that started again (its entry was made anew): counted from 0.
 *   - KS_COL_MAX: a maximum; the period shows the largest value put in it
 *     during the period, never a difference.
 *   - otherwise a gauge: the period shows the last value put.
 * A histogram column (KS_COL_HIST) is a cumulative histogram, slot by
 * slot: log2 (bcc's), or log-linear (slots = KS_LL_SLOTS: for quantiles).
 * Strings (KS_COL_STR, KS_COL_COMM) are labels: the last value.
 *
 * A table can be shown grouped (ks_table_group): rows with the same values
 * in the group's columns become one row (threads into their process). Its
 * numbers are the members' summed, maxima the largest, histograms merged
 * slot by slot; its labels (key columns not grouped by, KS_COL_LABEL
 * numbers, strings) are its leader's: the member whose `leader` column
 * holds the group's value (the thread whose tid is the pid), else the
 * first member in key order.
 */
#ifndef KSCOPE_TABLE_H
#define KSCOPE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "out.h"

enum ks_col_kind {
	KS_COL_COUNT,   /* an integer */
	KS_COL_NS,      /* nanoseconds: JSON in ns, text scaled by text_div */
	KS_COL_BYTES,   /* bytes: JSON exact, text in B/KiB/MiB/GiB */
	KS_COL_STR,     /* a string of at most `size` bytes */
	KS_COL_COMM,    /* a task's command name (KS_COMM_LEN bytes) */
	KS_COL_HIST,    /* a log2 histogram (KS_LOG2_SLOTS slots) */
	KS_COL_CUSTOM,  /* rendered by the command: text/json callbacks */
};

#define KS_COL_KEY       (1u << 0)  /* part of the row's identity: a label */
#define KS_COL_CUM       (1u << 1)  /* cumulative in the kernel: periods show deltas */
#define KS_COL_MAX       (1u << 2)  /* a maximum: never differenced */
#define KS_COL_LEFT      (1u << 3)  /* text: left-aligned (strings always are) */
#define KS_COL_TEXT_HIDE (1u << 4)  /* JSON only */
#define KS_COL_JSON_HIDE (1u << 5)  /* text only */
#define KS_COL_DERIVED   (1u << 6)  /* computed from the row's period values (derive) */
#define KS_COL_LABEL     (1u << 7)  /* a number that names, not measures: never summed */
/*
 * KS_COL_CUM read partly from an estimate the kernel may account lower
 * later (a running slice): a value below the last is held, never taken
 * for a counter that started again; the column grows once it is passed.
 */
#define KS_COL_HOLD      (1u << 8)
#define KS_COL_MEAN      (1u << 9)  /* derived: column `of` / column `per` (0 when none) */
/* derived: the q-th percentile of log-linear histogram `of`, at most column `per` */
#define KS_COL_QUANTILE  (1u << 10)
#define KS_COL_DASH      (1u << 11) /* text: "-" while column `unless` is 0 (JSON: the value) */
/*
 * absent (JSON null, text "-") while column `unless` is 0: not measured, not
 * zero; a string column: while it is empty
 */
#define KS_COL_NULL      (1u << 12)
/*
 * KS_COL_MAX | KS_COL_CUM: the kernel's maximum since its entry began, of
 * the samples histogram `of` counts. A period shows it when it rose; else
 * the top of the highest slot that grew in the same read (never above the
 * maximum); else 0.
 */

#define KS_TABLE_MAX_COLS 64

/*
 * A latency measured per sample, from column `c` on (7 columns): its count,
 * total, mean, p50, p99 and max (text: "-" while there is no sample), and
 * the log-linear histogram behind the percentiles and the max. JSON keys
 * NAME_count, NAME_avg_ns, NAME_p50_ns, NAME_p99_ns, NAME_max_ns (the total
 * and the histogram are not shown); text HEAD-AVG, HEAD-P50... `flags`
 * are added to the four shown ones (KS_COL_LEFT, KS_COL_NULL...). The
 * kernel side puts, per key, the count, the total (ns), the histogram's
 * KS_LL_SLOTS slots (ks_ll_slot()), and the largest sample since its entry
 * began, in that order (the max reads the histogram of the same read).
 */
#define KS_LATENCY_COLS(c, name, head, flags)					\
	[c] = { name "_count", "", KS_COL_COUNT, KS_COL_CUM | KS_COL_TEXT_HIDE },	\
	[(c) + 1] = { name "_total_ns", "", KS_COL_NS,					\
		      KS_COL_CUM | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE },		\
	[(c) + 2] = { name "_avg_ns", head "-AVG", KS_COL_NS,				\
		      KS_COL_DASH | KS_COL_MEAN | (flags), 9, .of = (c) + 1, .per = c,	\
		      .unless = c },							\
	[(c) + 3] = { name "_p50_ns", head "-P50", KS_COL_NS,				\
		      KS_COL_DASH | KS_COL_QUANTILE | (flags), 9, .of = (c) + 6,	\
		      .per = (c) + 5, .q = 50, .unless = c },				\
	[(c) + 4] = { name "_p99_ns", head "-P99", KS_COL_NS,				\
		      KS_COL_DASH | KS_COL_QUANTILE | (flags), 9, .of = (c) + 6,	\
		      .per = (c) + 5, .q = 99, .unless = c },				\
	[(c) + 5] = { name "_max_ns", head "-MAX", KS_COL_NS,				\
		      KS_COL_DASH | KS_COL_MAX | KS_COL_CUM | (flags), 9, .of = (c) + 6,	\
		      .unless = c },							\
	[(c) + 6] = { name "_hist", "", KS_COL_HIST,					\
		      KS_COL_CUM | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE, .slots = KS_LL_SLOTS }

/*
 * The container of a row keyed by cgroup (-C), from column `c` on (2
 * columns): JSON "container", its 64-hex id, and "container_runtime"
 * ("docker", "containerd"...), both null for none (the host, a runtime's
 * monitor); text a CONTAINER column, the id's first 12 characters as
 * docker ps shows them, or "-". ks_row_put_container() fills them from the
 * row's cgroup; ks_table_show_container() shows them (with -C only).
 */
#define KS_CONTAINER_COLS(c)							\
	[c] = { "container", "CONTAINER", KS_COL_STR, KS_COL_NULL, 12,		\
		.size = KS_CONTAINER_ID_SIZE, .text = ks_container_text,	\
		.help = "the container the row's cgroup is or is below: its id" },	\
	[(c) + 1] = { "container_runtime", "", KS_COL_STR,			\
		      KS_COL_NULL | KS_COL_TEXT_HIDE, .size = 16,		\
		      .help = "the runtime that made the container" }

#define KS_CONTAINER_ID_SIZE 65	/* KS_CTR_ID_LEN hex digits and a NUL */

struct ks_table;
struct ks_row;

struct ks_col {
	const char *name;          /* JSON key, metric or label name: "total_ns" */
	const char *head;          /* text header: "TOTAL(ms)" */
	enum ks_col_kind kind;
	unsigned flags;
	unsigned width;            /* text cell width (the last column: 0, unpadded) */
	unsigned size;             /* KS_COL_STR: bytes kept, NUL included */
	unsigned slots;            /* KS_COL_HIST: 0 (KS_LOG2_SLOTS, log2) or KS_LL_SLOTS */
	unsigned text_div;         /* KS_COL_NS in text: 1 (integer ns), else ns / text_div
				    * with 3 decimals (1000: us, 1000000: ms) */
	const char *pre;           /* text before the cell; NULL: one space (none first) */
	const char *help;          /* one line: what it counts (Prometheus HELP, docs) */
	/* KS_COL_MEAN, KS_COL_QUANTILE, KS_COL_MAX | KS_COL_CUM: other columns */
	int of, per;
	unsigned q;                /* KS_COL_QUANTILE: percent */
	int unless;                /* KS_COL_DASH */
	/* KS_COL_DERIVED: the value, from the row's period values */
	uint64_t (*derive)(const struct ks_row *r);
	/*
	 * KS_COL_CUSTOM: the cell in each sink (json writes the value of its
	 * key). text on a KS_COL_STR column: its text cell (JSON: the string).
	 */
	void (*text)(struct ks_out *o, const struct ks_row *r);
	void (*json)(struct ks_out *o, const struct ks_row *r);
};

struct ks_table_desc {
	const char *type;          /* NDJSON "type": "syscall_stat" */
	const struct ks_col *cols;
	unsigned ncols;
	size_t key_size;           /* bytes of a row's key */
	/* text columns in this order (indexes into cols); NULL: the JSON order */
	const int *text_order;
	/*
	 * Sort ties after the -s column, each descending, then the key
	 * columns ascending (as their values, in column order). -1 ends.
	 */
	const int *ties;
	/* custom per-row data the command keeps (e.g. an errno list): bytes */
	size_t ext_size;
	/* a new period starts: reset the period part of ext; gone: free it */
	void (*ext_new_period)(void *ext);
	void (*ext_free)(void *ext);
	/* is this row shown this period? NULL: some KS_COL_CUM column moved */
	bool (*visible)(const struct ks_row *r);
	/*
	 * Each row about to be shown, before any sink sees it: labels that
	 * are looked up only for what is printed (a live process's name).
	 */
	void (*prepare)(struct ks_row *r);
	/* a group's ext from a member's (grouping, ks_table_fold_gone) */
	void (*ext_merge)(void *dst, const void *src);
	/* the time a row covers if not the period's (its own clock): JSON interval_ns */
	uint64_t (*interval)(const struct ks_row *r);
};

/* A view of a table that shows its rows grouped (ks_table_group) */
struct ks_table_group {
	const char *type;          /* NDJSON "type" of a group's row: "sched_process" */
	const int *by;             /* the columns whose values make a group; -1 ends (none: one) */
	int leader;                /* see the top of this file; -1: the first member */
	/* each group row about to be shown (as ks_table_desc.prepare) */
	void (*prepare)(struct ks_row *g);
};

/* ---- building --------------------------------------------------------- */

struct ks_table *ks_table_new(const struct ks_table_desc *d);
void ks_table_free(struct ks_table *t);
/* Column index by name, or -1 */
int ks_table_col(const struct ks_table *t, const char *name);
/* Leave a column out of every sink (e.g. PID without --by process) */
void ks_table_hide(struct ks_table *t, int col, bool hide);
/* A column not measured in this run: JSON null, text "-" (e.g. --count-only) */
void ks_table_absent(struct ks_table *t, int col, bool absent);
/* The command's state, for its callbacks (derive, custom cells, prepare) */
void ks_table_set_ctx(struct ks_table *t, void *ctx);
void *ks_table_ctx(const struct ks_table *t);
/* Show the rows grouped (NULL: one row each); g must outlive the table */
void ks_table_group(struct ks_table *t, const struct ks_table_group *g);
/* -s: the column to sort by (descending); -n: rows shown at most (0: all) */
void ks_table_sort(struct ks_table *t, int col);
void ks_table_top(struct ks_table *t, size_t top);
/* The option that sets top, named where rows were cut (default "-n") */
void ks_table_top_option(struct ks_table *t, const char *opt);

/* ---- rows (from a command's collect) ----------------------------------- */

/* The row of this key, made (all zero) if new; NULL without memory */
struct ks_row *ks_table_row(struct ks_table *t, const void *key);
/* The row of this key if there is one */
struct ks_row *ks_table_find(const struct ks_table *t, const void *key);
void ks_row_put(struct ks_row *r, int col, uint64_t v);
void ks_row_put_str(struct ks_row *r, int col, const char *s, size_t n);
void ks_row_put_hist(struct ks_row *r, int col, const uint32_t *slots);
/* This value is not known for this row: JSON null, text "-" (until put again) */
void ks_row_put_absent(struct ks_row *r, int col);
/*
 * The row's kernel entry is gone (its process exited): it is shown with
 * this period, then dropped. If the same key comes back before that (a
 * reused pid), its counters start from 0.
 */
void ks_row_gone(struct ks_row *r);
bool ks_row_is_gone(const struct ks_row *r);
/*
 * A collection that sees every live kernel entry: ks_table_sweep_begin,
 * then ks_table_row for each entry, then ks_table_sweep: the rows it did
 * not see are gone. Returns how many went.
 */
void ks_table_sweep_begin(struct ks_table *t);
size_t ks_table_sweep(struct ks_table *t);
/*
 * More than `max` gone rows held: merge them all (as a group) into the row
 * of `key`, itself gone, and return it (its labels are the caller's to
 * put); else NULL. Bounds a period's memory when many entries come and go.
 */
struct ks_row *ks_table_fold_gone(struct ks_table *t, size_t max, const void *key);
/*
 * A grouped table (ks_table_group) holding more than `max` gone rows:
 * each group's gone rows merged into one of them (the group's numbers
 * unchanged). Bounds the memory of a summary shown only at the end, when
 * many entries come and go. Returns how many rows were merged away.
 */
size_t ks_table_fold_gone_groups(struct ks_table *t, size_t max);
/* Every row, in no order: NULL first, NULL after the last */
struct ks_row *ks_table_next(const struct ks_table *t, const struct ks_row *r);

/* ---- reading a row (sinks, derive, custom cells) ----------------------- */

const void *ks_row_key(const struct ks_row *r);
void *ks_row_ext(const struct ks_row *r);
/* This period's value: a delta for KS_COL_CUM, derived for KS_COL_DERIVED */
uint64_t ks_row_get(const struct ks_row *r, int col);
/* Since tracing began: KS_COL_CUM (what Prometheus calls a counter); else as ks_row_get */
uint64_t ks_row_total(const struct ks_row *r, int col);
bool ks_row_absent(const struct ks_row *r, int col);
const char *ks_row_str(const struct ks_row *r, int col, size_t *len);
/* This period's slots (total: since tracing began) */
const uint32_t *ks_row_hist(const struct ks_row *r, int col, bool total);
const struct ks_table *ks_row_table(const struct ks_row *r);

/* ---- containers (-C): KS_CONTAINER_COLS ---------------------------------- */

/* Show the container columns from c on (-C and rows keyed by cgroup), or hide them */
void ks_table_show_container(struct ks_table *t, int c, bool show);
/*
 * The container of cgroup `id` of the hierarchy that holds v1_ctrl (NULL:
 * a task's; "": cgroup v2; see ks_cgroup_ctrl_container()) into the
 * columns from c on. A cgroup found in no container leaves them as they
 * are: empty, or what it was found in before it went (a cgroup id is never
 * reused). Nothing while they are hidden (no -C: no lookup).
 */
void ks_row_put_container(struct ks_row *r, int c, const char *v1_ctrl, uint64_t id);
/*
 * A row keyed by cgroup `id` (of v1_ctrl's hierarchy, as above): its path
 * into column path_col, if the cgroup is found (else what it had stays),
 * and its container into the columns from ctr_col on. False if not found.
 */
bool ks_row_put_cgroup(struct ks_row *r, int path_col, int ctr_col, const char *v1_ctrl,
		       uint64_t id);
/* The CONTAINER text cell: the id's first 12 characters, or "-" */
void ks_container_text(struct ks_out *o, const struct ks_row *r);

/* ---- rendering --------------------------------------------------------- */

/*
 * A sink renders a table's rows for one period. begin and end frame them
 * (end gets the rows cut by -n); row gets each shown row, sorted. A sink
 * reads cells through ks_row_* and columns through ks_table_cols; hidden
 * columns it must skip (ks_table_shows).
 */
struct ks_sink;
struct ks_sink_ops {
	void (*begin)(struct ks_sink *s, const struct ks_table *t);
	void (*row)(struct ks_sink *s, const struct ks_table *t, const struct ks_row *r);
	void (*end)(struct ks_sink *s, const struct ks_table *t, size_t not_shown);
};

struct ks_sink {
	const struct ks_sink_ops *ops;
	struct ks_out *o;
	uint64_t ts_ns, interval_ns;   /* the period rendered: its end, its length */
	void *priv;
};

const struct ks_col *ks_table_cols(const struct ks_table *t, unsigned *n);
const struct ks_table_desc *ks_table_desc(const struct ks_table *t);
bool ks_table_shows(const struct ks_table *t, int col);
bool ks_table_is_absent(const struct ks_table *t, int col);

/* The text table and NDJSON sinks, picked by o->json */
extern const struct ks_sink_ops ks_sink_text, ks_sink_json;
void ks_sink_init(struct ks_sink *s, struct ks_out *o, uint64_t ts_ns, uint64_t interval_ns);

/*
 * Render this period's visible rows through the sink: sorted, cut to -n.
 * Returns the rows shown.
 */
size_t ks_table_render(struct ks_table *t, struct ks_sink *s);
/* The period is over: period values to 0, gone rows dropped */
void ks_table_new_period(struct ks_table *t);
/*
 * A summary command's report: a time heading in text with intervals, the
 * period's rows through the text or JSON sink (ops: another sink's, e.g.
 * histograms; NULL: those), then a new period from now (*period_start).
 */
void ks_table_report(struct ks_table *t, struct ks_out *o, const struct ks_sink_ops *ops,
		     bool heading, uint64_t *period_start);
/* Rows held (for tests and memory bounds) */
size_t ks_table_rows(const struct ks_table *t);

#endif /* KSCOPE_TABLE_H */

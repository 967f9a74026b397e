// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for src/engine/table.c: deltas of cumulative counters, gone
 * rows, counters that start again, maxima, gauges, sort and its ties,
 * top-N, hidden and absent columns, grouping (sums, maxima, merged
 * histograms, a leader's labels), running maxima, held estimates, means,
 * quantiles, sweeps and folds, and every sink byte for byte: the
 * text table, NDJSON, and a third sink defined here (Prometheus-like
 * exposition lines) that reads the same rows through the public API only,
 * to show the sink interface is not shaped around text and JSON.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit_out.h"

#include "engine/table.h"

/* ---- a table like syscall's ---------------------------------------------- */

struct key {
	uint32_t pid, nr;
};

enum { C_PID, C_COMM, C_NAME, C_COUNT, C_ERRORS, C_TOTAL, C_AVG, C_MAX, C_NOTE, C_HIST, NCOLS };

static uint64_t avg_ns(const struct ks_row *r)
{
	uint64_t n = ks_row_get(r, C_COUNT);

	return n ? ks_row_get(r, C_TOTAL) / n : 0;
}

/* a custom cell: the row's ext holds a word the test sets */
static void note_text(struct ks_out *o, const struct ks_row *r)
{
	const char *w = ks_row_ext(r);

	if (*w)
		ks_out_printf(o, "<%s>", w);
}

static void note_json(struct ks_out *o, const struct ks_row *r)
{
	const char *w = ks_row_ext(r);

	ks_json_str(o, w, strlen(w));
}

static int ext_resets;

static void note_new_period(void *ext)
{
	(void)ext;
	ext_resets++;
}

static const struct ks_col cols[NCOLS] = {
	[C_PID] = { "pid", "PID", KS_COL_COUNT, KS_COL_KEY | KS_COL_LEFT, 7 },
	[C_COMM] = { "comm", "COMM", KS_COL_COMM, 0, 16 },
	[C_NAME] = { "syscall", "SYSCALL", KS_COL_STR, 0, 8, .size = 12 },
	[C_COUNT] = { "count", "COUNT", KS_COL_COUNT, KS_COL_CUM, 6 },
	[C_ERRORS] = { "errors", "ERRORS", KS_COL_COUNT, KS_COL_CUM, 6 },
	[C_TOTAL] = { "total_ns", "TOTAL(ms)", KS_COL_NS, KS_COL_CUM, 10, .text_div = 1000000 },
	[C_AVG] = { "avg_ns", "AVG(us)", KS_COL_NS, KS_COL_DERIVED, 8, .text_div = 1000,
		    .derive = avg_ns },
	[C_MAX] = { "max_ns", "MAX", KS_COL_NS, KS_COL_MAX, 8 },
	[C_NOTE] = { "note", "NOTE", KS_COL_CUSTOM, 0, 0, .pre = "  ", .text = note_text,
		     .json = note_json },
	[C_HIST] = { "lat", "LAT", KS_COL_HIST, KS_COL_CUM | KS_COL_TEXT_HIDE },
};

/* text: the note last; JSON: the column order */
static const int text_order[] = { C_PID, C_COMM, C_NAME, C_COUNT, C_ERRORS, C_TOTAL, C_AVG,
				  C_MAX, C_HIST, C_NOTE };
static const int ties[] = { C_COUNT, -1 };

static const struct ks_table_desc desc = {
	.type = "test_stat",
	.cols = cols,
	.ncols = NCOLS,
	.key_size = sizeof(struct key),
	.text_order = text_order,
	.ties = ties,
	.ext_size = 16,
	.ext_new_period = note_new_period,
};

static struct ks_row *put(struct ks_table *t, uint32_t pid, uint32_t nr, const char *comm,
			  uint64_t count, uint64_t errors, uint64_t total, uint64_t max)
{
	struct key k = { pid, nr };
	struct ks_row *r = ks_table_row(t, &k);
	char name[16];

	assert_non_null(r);
	snprintf(name, sizeof(name), "call%u", nr);
	ks_row_put(r, C_PID, pid);
	ks_row_put_str(r, C_COMM, comm, 16);
	ks_row_put_str(r, C_NAME, name, sizeof(name));
	ks_row_put(r, C_COUNT, count);
	ks_row_put(r, C_ERRORS, errors);
	ks_row_put(r, C_TOTAL, total);
	ks_row_put(r, C_MAX, max);
	return r;
}

static struct ks_out out;

static size_t render(struct ks_table *t, bool json)
{
	struct ks_sink s;

	ks_sink_init(&s, &out, 5000, 1000);
	assert_ptr_equal(s.ops, json ? &ks_sink_json : &ks_sink_text);
	return ks_table_render(t, &s);
}

/* ---- periods --------------------------------------------------------------- */

static void test_deltas_and_totals(void **state)
{
	struct ks_table *t = ks_table_new(&desc);
	struct ks_row *r;

	(void)state;
	assert_non_null(t);
	r = put(t, 0, 1, "", 10, 1, 1000, 50);
	/* a second collection in the same period: deltas add up */
	put(t, 0, 1, "", 15, 1, 1500, 40);
	assert_int_equal(ks_row_get(r, C_COUNT), 15);
	assert_int_equal(ks_row_get(r, C_TOTAL), 1500);
	assert_int_equal(ks_row_get(r, C_MAX), 50);	/* the largest put */
	assert_int_equal(ks_row_get(r, C_AVG), 100);
	ks_table_new_period(t);
	assert_int_equal(ks_row_get(r, C_COUNT), 0);
	assert_int_equal(ks_row_get(r, C_MAX), 0);
	assert_int_equal(ks_row_total(r, C_COUNT), 15);
	put(t, 0, 1, "", 18, 2, 1800, 7);
	assert_int_equal(ks_row_get(r, C_COUNT), 3);
	assert_int_equal(ks_row_get(r, C_ERRORS), 1);
	assert_int_equal(ks_row_get(r, C_MAX), 7);	/* never differenced */
	assert_int_equal(ks_row_total(r, C_COUNT), 18);
	assert_int_equal(ks_row_total(r, C_ERRORS), 2);
	/* a gauge shows the last value */
	assert_int_equal(ks_row_get(r, C_PID), 0);
	ks_table_free(t);
}

static void test_counter_restart(void **state)
{
	struct ks_table *t = ks_table_new(&desc);
	struct ks_row *r;

	(void)state;
	r = put(t, 0, 1, "", 100, 0, 0, 0);
	ks_table_new_period(t);
	/* the kernel entry was made anew: 4 is 4 new calls, not -96 */
	put(t, 0, 1, "", 4, 0, 0, 0);
	assert_int_equal(ks_row_get(r, C_COUNT), 4);
	assert_int_equal(ks_row_total(r, C_COUNT), 104);
	ks_table_free(t);
}

static void test_gone_rows(void **state)
{
	struct ks_table *t = ks_table_new(&desc);
	struct key k = { 42, 1 };
	struct ks_row *r;

	(void)state;
	r = put(t, 42, 1, "short", 5, 0, 0, 0);
	ks_row_gone(r);
	assert_true(ks_row_is_gone(r));
	/* shown with its period */
	out_open(&out, false);
	assert_int_equal(render(t, false), 1);
	out.len = 0;
	ks_table_new_period(t);
	assert_null(ks_table_find(t, &k));
	assert_int_equal(ks_table_rows(t), 0);

	/* gone, then the pid is reused before the period ends: from 0 */
	r = put(t, 42, 1, "old", 5, 0, 0, 0);
	ks_row_gone(r);
	r = put(t, 42, 1, "new", 2, 0, 0, 0);
	assert_false(ks_row_is_gone(r));
	assert_int_equal(ks_row_get(r, C_COUNT), 7);
	ks_table_new_period(t);
	assert_non_null(ks_table_find(t, &k));
	put(t, 42, 1, "new", 3, 0, 0, 0);
	assert_int_equal(ks_row_get(r, C_COUNT), 1);
	out_close(&out);
	ks_table_free(t);
}

static void test_histogram(void **state)
{
	struct ks_table *t = ks_table_new(&desc);
	struct ks_row *r;
	uint32_t a[KS_LOG2_SLOTS] = { [3] = 2, [5] = 1 }, b[KS_LOG2_SLOTS] = { [3] = 5, [5] = 1 };

	(void)state;
	r = put(t, 0, 1, "", 3, 0, 0, 0);
	ks_row_put_hist(r, C_HIST, a);
	ks_table_new_period(t);
	ks_row_put_hist(r, C_HIST, b);
	assert_int_equal(ks_row_hist(r, C_HIST, false)[3], 3);
	assert_int_equal(ks_row_hist(r, C_HIST, false)[5], 0);
	assert_int_equal(ks_row_hist(r, C_HIST, true)[3], 5);
	assert_int_equal(ks_row_hist(r, C_HIST, true)[5], 1);
	ks_table_free(t);
}

static void test_many_rows(void **state)
{
	struct ks_table *t = ks_table_new(&desc);

	(void)state;
	for (uint32_t i = 0; i < 5000; i++)
		put(t, i, i % 7, "x", i + 1, 0, 0, 0);
	assert_int_equal(ks_table_rows(t), 5000);
	for (uint32_t i = 0; i < 5000; i++) {
		struct key k = { i, i % 7 };
		struct ks_row *r = ks_table_find(t, &k);

		assert_non_null(r);
		assert_int_equal(ks_row_get(r, C_COUNT), i + 1);
	}
	ks_table_free(t);
}

/* ---- sort, top-N, the text and JSON sinks ---------------------------------- */

static struct ks_table *three_rows(void)
{
	struct ks_table *t = ks_table_new(&desc);
	struct ks_row *r;

	assert_non_null(t);
	put(t, 7, 2, "sh", 4, 0, 8000000, 3000000);
	r = put(t, 3, 1, "cat\n\x1b", 9, 2, 2500000, 1500);
	strcpy(ks_row_ext(r), "x");
	put(t, 5, 3, "dd", 4, 1, 1000, 500);
	/* no calls this period: not shown */
	put(t, 9, 9, "idle", 0, 0, 0, 0);
	return t;
}

static void test_text_sink(void **state)
{
	struct ks_table *t = three_rows();

	(void)state;
	out_open(&out, false);
	ks_table_sort(t, ks_table_col(t, "count"));
	assert_int_equal(render(t, false), 3);
	/* count desc; the tie (4) by the key columns ascending: pid 5 before 7 */
	check_buf(&out, "PID     COMM             SYSCALL   COUNT ERRORS  TOTAL(ms)  AVG(us)      MAX  NOTE\n"
		  "3       cat\\n\\x1b        call1         9      2      2.500  277.777   1.50us  <x>\n"
		  "5       dd               call3         4      1      0.001    0.250    500ns\n"
		  "7       sh               call2         4      0      8.000 2000.000   3.00ms\n");
	/* -s errors -n 2: the rest counted */
	ks_table_sort(t, ks_table_col(t, "errors"));
	ks_table_top(t, 2);
	assert_int_equal(render(t, false), 2);
	check_buf(&out, "PID     COMM             SYSCALL   COUNT ERRORS  TOTAL(ms)  AVG(us)      MAX  NOTE\n"
		  "3       cat\\n\\x1b        call1         9      2      2.500  277.777   1.50us  <x>\n"
		  "5       dd               call3         4      1      0.001    0.250    500ns\n"
		  "(1 more not shown: -n)\n");
	/* no sort column: ties (count desc), then keys */
	ks_table_sort(t, -1);
	ks_table_top(t, 0);
	ks_table_hide(t, C_PID, true);
	ks_table_hide(t, C_COMM, true);
	ks_table_absent(t, C_TOTAL, true);
	render(t, false);
	check_buf(&out, "SYSCALL   COUNT ERRORS  TOTAL(ms)  AVG(us)      MAX  NOTE\n"
		  "call1         9      2          -  277.777   1.50us  <x>\n"
		  "call3         4      1          -    0.250    500ns\n"
		  "call2         4      0          - 2000.000   3.00ms\n");
	out_close(&out);
	ks_table_free(t);
}

static void test_json_sink(void **state)
{
	struct ks_table *t = three_rows();
	struct key k = { 5, 3 };

	(void)state;
	out_open(&out, true);
	ks_table_sort(t, ks_table_col(t, "count"));
	ks_table_top(t, 2);
	ks_table_hide(t, C_HIST, true);
	ks_row_put_absent(ks_table_find(t, &k), C_MAX);
	assert_int_equal(render(t, true), 2);
	/* every column in both sinks or in neither; no "more" line in JSON */
	check_buf(&out, "{\"type\":\"test_stat\",\"ts_ns\":5000,\"interval_ns\":1000,\"pid\":3,"
		  "\"comm\":\"cat\\n\\u001b\",\"syscall\":\"call1\",\"count\":9,\"errors\":2,"
		  "\"total_ns\":2500000,\"avg_ns\":277777,\"max_ns\":1500,\"note\":\"x\"}\n"
		  "{\"type\":\"test_stat\",\"ts_ns\":5000,\"interval_ns\":1000,\"pid\":5,"
		  "\"comm\":\"dd\",\"syscall\":\"call3\",\"count\":4,\"errors\":1,"
		  "\"total_ns\":1000,\"avg_ns\":250,\"max_ns\":null,\"note\":\"\"}\n");
	/* the ext's period part is the command's: reset with the period */
	ext_resets = 0;
	ks_table_new_period(t);
	assert_int_equal(ext_resets, 4);
	assert_int_equal(render(t, true), 0);
	check_buf(&out, "");
	out_close(&out);
	ks_table_free(t);
}

/*
 * ---- a third sink: exposition lines, as a Prometheus sink would write -----
 *
 * Cumulative columns become counters with their totals since start, key
 * columns labels, other numbers gauges, histograms cumulative `le` buckets
 * at each slot's real upper edge; custom cells and hidden columns are left
 * out. It uses nothing but the public table API.
 */
struct expo {
	char *buf;
	size_t len;
	FILE *f;
};

static void expo_labels(FILE *f, const struct ks_table *t, const struct ks_row *r, const char *le)
{
	unsigned n;
	const struct ks_col *c = ks_table_cols(t, &n);
	const char *sep = "";

	fputc('{', f);
	for (unsigned i = 0; i < n; i++) {
		if (!(c[i].flags & KS_COL_KEY) || !ks_table_shows(t, i))
			continue;
		fprintf(f, "%s%s=\"%" PRIu64 "\"", sep, c[i].name, ks_row_get(r, i));
		sep = ",";
	}
	if (le)
		fprintf(f, "%sle=\"%s\"", sep, le);
	fputc('}', f);
}

static void expo_row(struct ks_sink *s, const struct ks_table *t, const struct ks_row *r)
{
	struct expo *x = s->priv;
	unsigned n;
	const struct ks_col *c = ks_table_cols(t, &n);
	const char *type = ks_table_desc(t)->type;

	for (unsigned i = 0; i < n; i++) {
		if ((c[i].flags & KS_COL_KEY) || !ks_table_shows(t, i) || ks_row_absent(r, i))
			continue;
		if (c[i].kind == KS_COL_HIST) {
			const uint32_t *slots = ks_row_hist(r, i, true);
			uint64_t cum = 0;
			char le[32];

			for (unsigned k = 0; k < KS_LOG2_SLOTS; k++) {
				uint64_t lo, hi;

				cum += slots[k];
				if (!slots[k])
					continue;
				ks_log2_bounds(k, &lo, &hi);
				snprintf(le, sizeof(le), "%" PRIu64, hi);
				fprintf(x->f, "%s_%s_bucket", type, c[i].name);
				expo_labels(x->f, t, r, le);
				fprintf(x->f, " %" PRIu64 "\n", cum);
			}
			fprintf(x->f, "%s_%s_bucket", type, c[i].name);
			expo_labels(x->f, t, r, "+Inf");
			fprintf(x->f, " %" PRIu64 "\n", cum);
			continue;
		}
		if (c[i].kind > KS_COL_BYTES)
			continue;
		fprintf(x->f, "%s_%s%s", type, c[i].name, c[i].flags & KS_COL_CUM ? "_total" : "");
		expo_labels(x->f, t, r, NULL);
		fprintf(x->f, " %" PRIu64 "\n", ks_row_total(r, i));
	}
}

static const struct ks_sink_ops expo_ops = { .row = expo_row };

static void test_third_sink(void **state)
{
	struct ks_table *t = ks_table_new(&desc);
	struct ks_row *r;
	struct expo x = {};
	struct ks_sink s = { .ops = &expo_ops, .priv = &x };
	uint32_t h[KS_LOG2_SLOTS] = { [0] = 1, [2] = 3 };

	(void)state;
	r = put(t, 8, 1, "a", 5, 1, 100, 40);
	ks_row_put_hist(r, C_HIST, h);
	ks_table_new_period(t);
	r = put(t, 8, 1, "a", 7, 1, 300, 90);
	h[2] = 4;
	ks_row_put_hist(r, C_HIST, h);
	ks_table_hide(t, C_ERRORS, true);
	x.f = open_memstream(&x.buf, &x.len);
	assert_non_null(x.f);
	assert_int_equal(ks_table_render(t, &s), 1);
	fclose(x.f);
	/* counters are totals since start (7, not the period's 2) */
	assert_string_equal(x.buf,
			    "test_stat_count_total{pid=\"8\"} 7\n"
			    "test_stat_total_ns_total{pid=\"8\"} 300\n"
			    "test_stat_avg_ns{pid=\"8\"} 100\n"
			    "test_stat_max_ns{pid=\"8\"} 90\n"
			    "test_stat_lat_bucket{pid=\"8\",le=\"1\"} 1\n"
			    "test_stat_lat_bucket{pid=\"8\",le=\"7\"} 5\n"
			    "test_stat_lat_bucket{pid=\"8\",le=\"+Inf\"} 5\n");
	free(x.buf);
	ks_table_free(t);
}

/* prepare: called for the rows shown (after sort and -n), with the table's ctx */
static int prepared;

static void name_row(struct ks_row *r)
{
	int *calls = ks_table_ctx(ks_row_table(r));

	(*calls)++;
	ks_row_put_str(r, C_COMM, "named", 5);
}

static void test_prepare(void **state)
{
	struct ks_table_desc d = desc;
	struct ks_table *t;
	struct key k = { 3, 1 }, k7 = { 7, 2 };
	size_t len;

	(void)state;
	d.prepare = name_row;
	t = ks_table_new(&d);
	put(t, 7, 2, "sh", 4, 0, 0, 0);
	put(t, 3, 1, "cat", 9, 0, 0, 0);
	put(t, 5, 3, "dd", 1, 0, 0, 0);
	ks_table_set_ctx(t, &prepared);
	ks_table_sort(t, C_COUNT);
	ks_table_top(t, 2);
	ks_table_hide(t, C_HIST, true);
	out_open(&out, true);
	assert_int_equal(render(t, true), 2);
	assert_int_equal(prepared, 2);
	assert_string_equal(ks_row_str(ks_table_find(t, &k), C_COMM, &len), "named");
	assert_string_equal(ks_row_str(ks_table_find(t, &k7), C_COMM, &len), "named");
	check_buf(&out, "{\"type\":\"test_stat\",\"ts_ns\":5000,\"interval_ns\":1000,\"pid\":3,"
		  "\"comm\":\"named\",\"syscall\":\"call1\",\"count\":9,\"errors\":0,"
		  "\"total_ns\":0,\"avg_ns\":0,\"max_ns\":0,\"note\":\"\"}\n"
		  "{\"type\":\"test_stat\",\"ts_ns\":5000,\"interval_ns\":1000,\"pid\":7,"
		  "\"comm\":\"named\",\"syscall\":\"call2\",\"count\":4,\"errors\":0,"
		  "\"total_ns\":0,\"avg_ns\":0,\"max_ns\":0,\"note\":\"\"}\n");
	out_close(&out);
	ks_table_free(t);
}

/* ---- grouping, and the columns sched needs ---------------------------------- */

/* threads of processes: tid the key, pid a label to group by */
struct tkey {
	uint64_t start;
	uint32_t tid, pad;
};

enum { T_PID, T_TID, T_N, T_COMM, T_CPU, T_WAITS, T_WAIT_NS, T_AVG, T_P50, T_MAX, T_HIST,
       T_CPUS, TCOLS };

static void cpus_text(struct ks_out *o, const struct ks_row *r)
{
	ks_out_printf(o, "%#x", *(const unsigned *)ks_row_ext(r));
}

static void cpus_merge(void *dst, const void *src)
{
	*(unsigned *)dst |= *(const unsigned *)src;
}

static const struct ks_col tcols[TCOLS] = {
	[T_PID] = { "pid", "PID", KS_COL_COUNT, KS_COL_LABEL | KS_COL_LEFT, 5 },
	[T_TID] = { "tid", "TID", KS_COL_COUNT, KS_COL_KEY | KS_COL_LEFT, 5 },
	[T_N] = { "threads", "N", KS_COL_COUNT, KS_COL_LEFT, 2 },
	[T_COMM] = { "comm", "COMM", KS_COL_COMM, 0, 6 },
	[T_CPU] = { "cpu_ns", "CPU", KS_COL_NS, KS_COL_CUM | KS_COL_HOLD, 8 },
	[T_WAITS] = { "waits", "WAITS", KS_COL_COUNT, KS_COL_CUM, 5 },
	[T_WAIT_NS] = { "wait_ns", "", KS_COL_NS, KS_COL_CUM | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE },
	[T_AVG] = { "avg_ns", "AVG", KS_COL_NS, KS_COL_MEAN | KS_COL_DASH, 7, .of = T_WAIT_NS,
		    .per = T_WAITS, .unless = T_WAITS },
	[T_P50] = { "p50_ns", "P50", KS_COL_NS, KS_COL_QUANTILE | KS_COL_DASH, 7, .of = T_HIST,
		    .per = T_MAX, .q = 50, .unless = T_WAITS },
	[T_MAX] = { "max_ns", "MAX", KS_COL_NS, KS_COL_MAX | KS_COL_CUM | KS_COL_DASH, 7,
		    .of = T_HIST, .unless = T_WAITS },
	[T_HIST] = { "hist", "", KS_COL_HIST, KS_COL_CUM | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE,
		     .slots = KS_LL_SLOTS },
	[T_CPUS] = { "cpus", "CPUS", KS_COL_CUSTOM, 0, 0, .text = cpus_text },
};

static const int tties[] = { -1 };
static const int by_pid[] = { T_PID, -1 };

static const struct ks_table_desc tdesc = {
	.type = "test_thread",
	.cols = tcols,
	.ncols = TCOLS,
	.key_size = sizeof(struct tkey),
	.ties = tties,
	.ext_size = sizeof(unsigned),
	.ext_merge = cpus_merge,
};

static const struct ks_table_group by_process = {
	.type = "test_process", .by = by_pid, .leader = T_TID,
};

/* waits: each in the log-linear slot of its value */
static struct ks_row *tput(struct ks_table *t, uint32_t pid, uint32_t tid, const char *comm,
			   uint64_t cpu, const uint64_t *waits, unsigned nwaits, unsigned cpus)
{
	struct tkey k = { .start = tid * 10, .tid = tid };
	struct ks_row *r = ks_table_row(t, &k);
	uint32_t slots[KS_LL_SLOTS] = {};
	uint64_t total = 0, max = 0;

	assert_non_null(r);
	for (unsigned i = 0; i < nwaits; i++) {
		slots[ks_ll_slot(waits[i])]++;
		total += waits[i];
		max = waits[i] > max ? waits[i] : max;
	}
	ks_row_put(r, T_PID, pid);
	ks_row_put(r, T_TID, tid);
	ks_row_put(r, T_N, 1);
	ks_row_put_str(r, T_COMM, comm, 16);
	ks_row_put(r, T_CPU, cpu);
	ks_row_put(r, T_WAITS, nwaits);
	ks_row_put(r, T_WAIT_NS, total);
	ks_row_put_hist(r, T_HIST, slots);
	ks_row_put(r, T_MAX, max);
	*(unsigned *)ks_row_ext(r) |= cpus;
	return r;
}

static struct ks_table *threads(void)
{
	struct ks_table *t = ks_table_new(&tdesc);
	static const uint64_t w1[] = { 1000, 3000 }, w2[] = { 100 }, w3[] = { 40, 50, 60 };

	assert_non_null(t);
	tput(t, 10, 11, "work", 5000, w1, 2, 0x1);
	tput(t, 10, 10, "main", 700, w2, 1, 0x2);
	tput(t, 20, 21, "b\tx", 5000, w3, 3, 0x4);
	tput(t, 20, 22, "c", 900, NULL, 0, 0x8);
	tput(t, 30, 31, "idle", 0, NULL, 0, 0);	/* nothing this period: not shown */
	return t;
}

static void test_group_text(void **state)
{
	struct ks_table *t = threads();

	(void)state;
	out_open(&out, false);
	ks_table_sort(t, T_CPU);
	ks_table_hide(t, T_N, true);
	assert_int_equal(render(t, false), 4);
	/* ties on CPU by tid; "-" where nothing waited; quantiles within 12.5% */
	check_buf(&out, "PID   TID   COMM        CPU WAITS     AVG     P50     MAX CPUS\n"
		  "10    11    work     5.00us     2  2.00us   959ns  3.00us 0x1\n"
		  "20    21    b\\tx     5.00us     3    50ns    51ns    60ns 0x4\n"
		  "20    22    c         900ns     0       -       -       - 0x8\n"
		  "10    10    main      700ns     1   100ns   100ns   100ns 0x2\n");
	ks_table_hide(t, T_N, false);
	ks_table_hide(t, T_TID, true);
	ks_table_group(t, &by_process);
	/* sums, the largest max, merged histograms, ORed cpus; the leader's comm
	 * (pid 10), else the first thread's in key order (pid 20); ties by pid */
	assert_int_equal(render(t, false), 2);
	check_buf(&out, "PID   N  COMM        CPU WAITS     AVG     P50     MAX CPUS\n"
		  "20    2  b\\tx     5.90us     3    50ns    51ns    60ns 0xc\n"
		  "10    2  main     5.70us     3  1.37us   959ns  3.00us 0x3\n");
	ks_table_top(t, 1);
	ks_table_sort(t, T_MAX);
	assert_int_equal(render(t, false), 1);
	check_buf(&out, "PID   N  COMM        CPU WAITS     AVG     P50     MAX CPUS\n"
		  "10    2  main     5.70us     3  1.37us   959ns  3.00us 0x3\n"
		  "(1 more not shown: -n)\n");
	/* one row a row again */
	ks_table_group(t, NULL);
	ks_table_top(t, 0);
	assert_int_equal(render(t, false), 4);
	out.len = 0;
	out_close(&out);
	ks_table_free(t);
}

static void group_prepare(struct ks_row *g)
{
	/* no leader: the first member named it, its tid says so */
	if (ks_row_get(g, T_TID) != ks_row_get(g, T_PID))
		ks_row_put_str(g, T_COMM, "nolead", 6);
}

static uint64_t row_interval(const struct ks_row *r)
{
	return ks_row_get(r, T_PID) == 10 ? 777 : 0;
}

static void test_group_json(void **state)
{
	struct ks_table_group g = by_process;
	struct ks_table_desc d = tdesc;
	struct ks_table *t;
	static const uint64_t w[] = { 5 };

	(void)state;
	g.prepare = group_prepare;
	d.interval = row_interval;
	t = ks_table_new(&d);
	assert_non_null(t);
	tput(t, 10, 12, "x", 10, w, 1, 1);
	tput(t, 10, 10, "lead", 20, NULL, 0, 1);
	tput(t, 20, 25, "y", 30, NULL, 0, 2);
	tput(t, 20, 23, "z", 40, NULL, 0, 4);
	ks_table_group(t, &g);
	ks_table_sort(t, T_CPU);
	ks_table_hide(t, T_TID, true);
	ks_table_hide(t, T_CPUS, true);
	out_open(&out, true);
	assert_int_equal(render(t, true), 2);
	/* the group's type; its own interval where the desc says */
	check_buf(&out, "{\"type\":\"test_process\",\"ts_ns\":5000,\"interval_ns\":1000,\"pid\":20,"
		  "\"threads\":2,\"comm\":\"nolead\",\"cpu_ns\":70,\"waits\":0,\"avg_ns\":0,"
		  "\"p50_ns\":0,\"max_ns\":0}\n"
		  "{\"type\":\"test_process\",\"ts_ns\":5000,\"interval_ns\":777,\"pid\":10,"
		  "\"threads\":2,\"comm\":\"lead\",\"cpu_ns\":30,\"waits\":1,\"avg_ns\":5,"
		  "\"p50_ns\":5,\"max_ns\":5}\n");
	/* the members keep their own values */
	ks_table_group(t, NULL);
	ks_table_hide(t, T_N, true);
	ks_table_top(t, 1);
	assert_int_equal(render(t, true), 1);
	check_buf(&out, "{\"type\":\"test_thread\",\"ts_ns\":5000,\"interval_ns\":1000,\"pid\":20,"
		  "\"comm\":\"z\",\"cpu_ns\":40,\"waits\":0,\"avg_ns\":0,\"p50_ns\":0,\"max_ns\":0}\n");
	out_close(&out);
	ks_table_free(t);
}

static void test_running_max_and_hold(void **state)
{
	struct ks_table *t = ks_table_new(&tdesc);
	struct ks_row *r;
	static const uint64_t a[] = { 1000, 9000 }, b[] = { 1000, 9000, 20, 30 },
			      c[] = { 1000, 9000, 20, 30, 500 };

	(void)state;
	r = tput(t, 1, 1, "m", 100, a, 2, 0);
	assert_int_equal(ks_row_get(r, T_MAX), 9000);	/* rose: exact */
	ks_table_new_period(t);
	/* the kernel's max stays 9000: the top of the highest slot that grew (30's) */
	r = tput(t, 1, 1, "m", 90, b, 4, 0);
	assert_int_equal(ks_row_get(r, T_MAX), 31);
	/* an estimate (100) above what the kernel then says (90): held, not a restart */
	assert_int_equal(ks_row_get(r, T_CPU), 0);
	r = tput(t, 1, 1, "m", 130, c, 5, 0);
	assert_int_equal(ks_row_get(r, T_CPU), 30);
	assert_int_equal(ks_row_total(r, T_CPU), 130);
	/* the period's largest of both reads: 500's slot top, clamped to 9000 */
	assert_int_equal(ks_row_get(r, T_MAX), 511);
	ks_table_new_period(t);
	r = tput(t, 1, 1, "m", 130, c, 5, 0);
	assert_int_equal(ks_row_get(r, T_MAX), 0);	/* nothing new */
	ks_table_free(t);
}

static void test_sweep_fold_next(void **state)
{
	struct ks_table *t = threads();
	struct tkey k11 = { 110, 11 }, k21 = { 210, 21 }, other = { 0, 0 };
	struct ks_row *r;
	size_t n = 0;

	(void)state;
	for (r = ks_table_next(t, NULL); r; r = ks_table_next(t, r))
		n++;
	assert_int_equal(n, 5);
	/* a collection that saw two of the five */
	ks_table_sweep_begin(t);
	assert_non_null(ks_table_row(t, &k11));
	assert_non_null(ks_table_row(t, &k21));
	assert_int_equal(ks_table_sweep(t), 3);
	assert_false(ks_row_is_gone(ks_table_find(t, &k11)));
	/* up to 3 gone kept apart; more fold into one row, itself gone */
	assert_null(ks_table_fold_gone(t, 3, &other));
	r = ks_table_find(t, &k21);
	ks_row_gone(r);
	r = ks_table_fold_gone(t, 3, &other);
	assert_non_null(r);
	assert_true(ks_row_is_gone(r));
	assert_int_equal(ks_table_rows(t), 2);
	assert_int_equal(ks_row_get(r, T_N), 4);	/* the gauges summed: four threads */
	assert_int_equal(ks_row_get(r, T_CPU), 5000 + 700 + 900);
	assert_int_equal(ks_row_get(r, T_WAITS), 4);
	assert_int_equal(ks_row_get(r, T_MAX), 100);
	assert_int_equal(*(unsigned *)ks_row_ext(r), 0xe);
	ks_table_new_period(t);
	assert_int_equal(ks_table_rows(t), 1);
	ks_table_free(t);
}

/* Gone rows folded within their group: the grouped view's numbers do not move */
static void test_fold_gone_groups(void **state)
{
	struct ks_table *t = threads();
	struct tkey k10 = { 100, 10 }, k11 = { 110, 11 }, k21 = { 210, 21 }, k22 = { 220, 22 };
	const char *before = "PID   N  COMM        CPU WAITS     AVG     P50     MAX CPUS\n"
			     "20    2  b\\tx     5.90us     3    50ns    51ns    60ns 0xc\n"
			     "10    2  main     5.70us     3  1.37us   959ns  3.00us 0x3\n";

	(void)state;
	ks_table_sort(t, T_CPU);
	ks_table_hide(t, T_TID, true);
	/* not grouped: nothing to fold by */
	ks_row_gone(ks_table_find(t, &k10));
	ks_row_gone(ks_table_find(t, &k11));
	ks_row_gone(ks_table_find(t, &k21));
	ks_row_gone(ks_table_find(t, &k22));
	assert_int_equal(ks_table_fold_gone_groups(t, 0), 0);
	ks_table_group(t, &by_process);
	out_open(&out, false);
	assert_int_equal(render(t, false), 2);
	check_buf(&out, before);
	/* at most 4 gone: kept apart */
	assert_int_equal(ks_table_fold_gone_groups(t, 4), 0);
	/* more: one gone row per process, the same view */
	assert_int_equal(ks_table_fold_gone_groups(t, 3), 2);
	assert_int_equal(ks_table_rows(t), 3);
	assert_int_equal(render(t, false), 2);
	check_buf(&out, before);
	ks_table_new_period(t);
	assert_int_equal(ks_table_rows(t), 1);	/* pid 30's idle thread */
	out_close(&out);
	ks_table_free(t);
}

/* ---- the container columns (-C, rows keyed by cgroup) --------------------- */

enum { CC_ID, CC_CTR, CC_RT = CC_CTR + 1, CC_COUNT, CC_N };

static const struct ks_col ctr_cols[CC_N] = {
	[CC_ID] = { "cgroup_id", "ID", KS_COL_COUNT, KS_COL_KEY | KS_COL_LEFT, 3 },
	KS_CONTAINER_COLS(CC_CTR),
	[CC_COUNT] = { "count", "COUNT", KS_COL_COUNT, KS_COL_CUM, 5 },
};

static const struct ks_table_desc ctr_desc = {
	.type = "test_cgroup",
	.cols = ctr_cols,
	.ncols = CC_N,
	.key_size = sizeof(uint64_t),
};

static void test_container_cols(void **state)
{
	static const char id[] = "0123456789abcdef0123456789abcdef"
				 "0123456789abcdef0123456789abcdef";
	struct ks_table *t = ks_table_new(&ctr_desc);
	uint64_t k1 = 1, k2 = 2;
	struct ks_row *r1, *r2;

	(void)state;
	assert_non_null(t);
	r1 = ks_table_row(t, &k1);
	r2 = ks_table_row(t, &k2);
	ks_row_put(r1, CC_ID, 1);
	ks_row_put(r1, CC_COUNT, 7);
	ks_row_put(r2, CC_ID, 2);
	ks_row_put(r2, CC_COUNT, 3);
	/* what ks_row_put_container puts for a docker container's cgroup */
	ks_row_put_str(r2, CC_CTR, id, strlen(id));
	ks_row_put_str(r2, CC_RT, "docker", 6);
	/* hidden (no -C): nothing looked up, nothing shown */
	ks_table_show_container(t, CC_CTR, false);
	ks_row_put_container(r1, CC_CTR, "", 1);
	out_open(&out, false);
	render(t, false);
	check_buf(&out, "ID  COUNT\n1       7\n2       3\n");
	out_close(&out);
	/* -C: the short id, "-" for none; JSON the id and runtime, or nulls */
	ks_table_show_container(t, CC_CTR, true);
	ks_row_put_container(r1, CC_CTR, "", 0);	/* no cgroup: no container */
	out_open(&out, false);
	render(t, false);
	check_buf(&out, "ID  CONTAINER    COUNT\n"
		  "1   -                7\n"
		  "2   0123456789ab     3\n");
	out_close(&out);
	out_open(&out, true);
	render(t, true);
	check_buf(&out, "{\"type\":\"test_cgroup\",\"ts_ns\":5000,\"interval_ns\":1000,"
		  "\"cgroup_id\":1,\"container\":null,\"container_runtime\":null,\"count\":7}\n"
		  "{\"type\":\"test_cgroup\",\"ts_ns\":5000,\"interval_ns\":1000,"
		  "\"cgroup_id\":2,\"container\":\"" "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdef\",\"container_runtime\":\"docker\","
		  "\"count\":3}\n");
	out_close(&out);
	ks_table_free(t);
}

static void test_bad_desc(void **state)
{
	struct ks_table_desc d = desc;
	struct ks_table *t;

	(void)state;
	d.key_size = 0;
	assert_null(ks_table_new(&d));
	d = desc;
	d.ncols = KS_TABLE_MAX_COLS + 1;
	assert_null(ks_table_new(&d));
	t = ks_table_new(&desc);
	assert_int_equal(ks_table_col(t, "nope"), -1);
	assert_int_equal(ks_table_col(t, "max_ns"), C_MAX);
	ks_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deltas_and_totals),
		cmocka_unit_test(test_counter_restart),
		cmocka_unit_test(test_gone_rows),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_text_sink),
		cmocka_unit_test(test_json_sink),
		cmocka_unit_test(test_third_sink),
		cmocka_unit_test(test_prepare),
		cmocka_unit_test(test_group_text),
		cmocka_unit_test(test_group_json),
		cmocka_unit_test(test_running_max_and_hold),
		cmocka_unit_test(test_sweep_fold_next),
		cmocka_unit_test(test_fold_gone_groups),
		cmocka_unit_test(test_container_cols),
		cmocka_unit_test(test_bad_desc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for src/engine/table.c: deltas of cumulative counters, gone
 * rows, counters that start again, maxima, gauges, sort and its ties,
 * top-N, hidden and absent columns, and every sink byte for byte: the
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
		cmocka_unit_test(test_bad_desc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

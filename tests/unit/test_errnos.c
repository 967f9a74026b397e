// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the engine pieces diskio added and shares: errors by errno
 * as a table column (src/engine/errnos.c: cumulative counts into periods,
 * restarts, groups, both sinks), the latency columns (KS_LATENCY_COLS) with
 * KS_COL_NULL (no sample: null and "-", never 0), a table grouped into one
 * row (a group with no column), and cgroup v1 controller mount points.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "unit_out.h"

#include "engine/errnos.h"
#include "engine/hist.h"
#include "engine/table.h"
#include "engine/util.h"

struct key {
	uint64_t dev;
};

enum { C_DEV, C_REQS, C_ERRORS, C_ERRNOS, C_Q, NCOLS = C_Q + 7 };

static const struct ks_col cols[NCOLS] = {
	[C_DEV] = { "dev", "DEV", KS_COL_COUNT, KS_COL_KEY | KS_COL_LEFT, 4 },
	[C_REQS] = { "requests", "REQS", KS_COL_COUNT, KS_COL_CUM, 5 },
	[C_ERRORS] = { "errors", "ERRS", KS_COL_COUNT, KS_COL_DERIVED, 5,
		       .derive = ks_errnos_derive },
	KS_LATENCY_COLS(C_Q, "queue", "Q", KS_COL_NULL | KS_COL_LEFT),
	[C_ERRNOS] = { "errnos", "ERRNOS", KS_COL_CUSTOM, 0, 0, .pre = "  ",
		       .text = ks_errnos_text, .json = ks_errnos_json },
};

static const int text_order[] = { C_DEV, C_REQS, C_ERRORS, C_Q + 2, C_Q + 3, C_Q + 4, C_Q + 5,
				  C_ERRNOS, C_Q, C_Q + 1, C_Q + 6 };

static const struct ks_table_desc desc = {
	.type = "t_stat",
	.cols = cols,
	.ncols = NCOLS,
	.key_size = sizeof(struct key),
	.text_order = text_order,
	.ext_size = sizeof(struct ks_errnos),
	.ext_new_period = ks_errnos_new_period,
	.ext_free = ks_errnos_free,
	.ext_merge = ks_errnos_merge,
};

static const int by_none[] = { -1 };
static const struct ks_table_group all = { .type = "t_all", .by = by_none, .leader = -1 };

static struct ks_out out;

static size_t render(struct ks_table *t)
{
	struct ks_sink s;

	ks_sink_init(&s, &out, 5000, 1000);
	return ks_table_render(t, &s);
}

/* dev's row: reqs requests, and q samples of queue time, each v ns */
static struct ks_row *put(struct ks_table *t, uint64_t dev, uint64_t reqs, uint64_t q,
			  uint64_t v)
{
	struct key k = { dev };
	struct ks_row *r = ks_table_row(t, &k);
	uint32_t hist[KS_LL_SLOTS] = {};

	assert_non_null(r);
	hist[ks_ll_slot(v)] = q;
	ks_row_put(r, C_DEV, dev);
	ks_row_put(r, C_REQS, reqs);
	ks_row_put(r, C_Q, q);
	ks_row_put(r, C_Q + 1, q * v);
	ks_row_put_hist(r, C_Q + 6, hist);
	ks_row_put(r, C_Q + 5, q ? v : 0);
	return r;
}

static void test_errnos_periods(void **state)
{
	struct ks_errnos en = {};

	(void)state;
	/* cumulative counts: the period gets what they grew by */
	assert_int_equal(ks_errnos_put(&en, 28, 2), 0);
	assert_int_equal(ks_errnos_put(&en, 5, 1), 0);
	assert_int_equal(ks_errnos_sum(&en), 3);
	ks_errnos_new_period(&en);
	assert_int_equal(ks_errnos_sum(&en), 0);
	assert_int_equal(ks_errnos_put(&en, 28, 5), 0);
	assert_int_equal(ks_errnos_sum(&en), 3);
	/* a count below the last started again: all of it is new */
	ks_errnos_new_period(&en);
	assert_int_equal(ks_errnos_put(&en, 28, 1), 0);
	assert_int_equal(ks_errnos_sum(&en), 1);
	/* its kernel entry went: the next count starts from 0 */
	ks_errnos_restart(&en, 28);
	assert_int_equal(ks_errnos_put(&en, 28, 4), 0);
	assert_int_equal(ks_errnos_sum(&en), 5);
	assert_int_equal(en.n, 2);
	ks_errnos_free(&en);
}

/*
 * dev 1: 3 requests, 2 failed (ENOSPC), 3 queued for 1000 ns each; dev 2: 4
 * requests, none queued. eio: one more EIO on each, dev 2's one queued 3000 ns.
 */
static struct ks_table *devices(bool eio)
{
	struct ks_table *t = ks_table_new(&desc);
	struct ks_row *r;

	assert_non_null(t);
	r = put(t, 1, 3, 3, 1000);
	assert_int_equal(ks_errnos_put(ks_row_ext(r), 28, 2), 0);
	if (eio)
		assert_int_equal(ks_errnos_put(ks_row_ext(r), 5, 1), 0);
	r = put(t, 2, 4, eio, 3000 * eio);
	if (eio)
		assert_int_equal(ks_errnos_put(ks_row_ext(r), 5, 1), 0);
	return t;
}

static void test_table_json(void **state)
{
	struct ks_table *t = devices(false);

	(void)state;
	out_open(&out, true);
	assert_int_equal(render(t), 2);
	check_buf(&out,
		  "{\"type\":\"t_stat\",\"ts_ns\":5000,\"interval_ns\":1000,\"dev\":1,\"requests\":3,"
		  "\"errors\":2,\"errnos\":{\"ENOSPC\":2},\"queue_count\":3,\"queue_avg_ns\":1000,"
		  "\"queue_p50_ns\":959,\"queue_p99_ns\":959,\"queue_max_ns\":1000}\n"
		  "{\"type\":\"t_stat\",\"ts_ns\":5000,\"interval_ns\":1000,\"dev\":2,\"requests\":4,"
		  "\"errors\":0,\"errnos\":{},\"queue_count\":0,\"queue_avg_ns\":null,"
		  "\"queue_p50_ns\":null,\"queue_p99_ns\":null,\"queue_max_ns\":null}\n");
	out_close(&out);
	ks_table_free(t);
}

static void test_table_text_and_one_group(void **state)
{
	struct ks_table *t = devices(true);

	(void)state;
	ks_table_sort(t, C_REQS);
	out_open(&out, false);
	assert_int_equal(render(t), 2);
	/* quantiles: the slot's midpoint (within 12.5%), never above the max */
	check_buf(&out, "DEV   REQS  ERRS Q-AVG     Q-P50     Q-P99     Q-MAX      ERRNOS\n"
		  "2        4     1 3.00us    2.81us    2.81us    3.00us     EIO:1\n"
		  "1        3     3 1.00us    959ns     959ns     1.00us     ENOSPC:2 EIO:1\n");
	/* every row into one: sums, merged errnos and histograms, the larger max */
	ks_table_group(t, &all);
	assert_int_equal(render(t), 1);
	check_buf(&out, "DEV   REQS  ERRS Q-AVG     Q-P50     Q-P99     Q-MAX      ERRNOS\n"
		  "1        7     4 1.50us    959ns     2.81us    3.00us     EIO:2 ENOSPC:2\n");
	out_close(&out);
	ks_table_free(t);
}

static void test_cgroup_v1_root(void **state)
{
	(void)state;
	/* no mount has a controller of that name */
	assert_null(ks_cgroup_v1_root("kscope_no_such_controller"));
	assert_null(ks_cgroup_v1_root("kscope_no_such_controller"));	/* cached */
	/* without a v1 hierarchy of it: the v2 one, whose root is "/" when mounted */
	if (ks_cgroup2_root())
		assert_string_equal(ks_cgroup_ctrl_path("kscope_no_such_ctrl2", 1), "/");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errnos_periods),
		cmocka_unit_test(test_table_json),
		cmocka_unit_test(test_table_text_and_one_group),
		cmocka_unit_test(test_cgroup_v1_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

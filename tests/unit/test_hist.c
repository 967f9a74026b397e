// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for src/engine/hist.h and hist.c: the log2 and log-linear
 * slot math shared with the BPF side, bounds, quantiles, and the bcc-style
 * (libbpf-tools print_log2_hist) text and the JSON buckets. Exact values.
 */
#include <fcntl.h>
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

#include "engine/hist.h"
#include "engine/out.h"

/* ---- helpers ------------------------------------------------------------- */

/* A log-linear histogram holding `count` samples of each value given */
static void ll_fill(uint32_t *slots, const uint64_t *vals, const uint32_t *counts, int n)
{
	memset(slots, 0, KS_LL_SLOTS * sizeof(*slots));
	for (int i = 0; i < n; i++)
		slots[ks_ll_slot(vals[i])] += counts[i];
}

/* ---- log2 --------------------------------------------------------------- */

static void test_log2_u64(void **state)
{
	assert_int_equal(ks_log2_u64(0), 0);
	assert_int_equal(ks_log2_u64(1), 0);
	assert_int_equal(ks_log2_u64(2), 1);
	assert_int_equal(ks_log2_u64(3), 1);
	assert_int_equal(ks_log2_u64(4), 2);
	assert_int_equal(ks_log2_u64(7), 2);
	assert_int_equal(ks_log2_u64(8), 3);
	assert_int_equal(ks_log2_u64(0xffff), 15);
	assert_int_equal(ks_log2_u64(0x10000), 16);
	assert_int_equal(ks_log2_u64(0xffffffffull), 31);
	assert_int_equal(ks_log2_u64(1ull << 32), 32);
	assert_int_equal(ks_log2_u64((1ull << 32) + 1), 32);
	assert_int_equal(ks_log2_u64(1ull << 63), 63);
	assert_int_equal(ks_log2_u64(UINT64_MAX), 63);
	/* every power of two, and the values either side of it */
	for (unsigned k = 1; k < 64; k++) {
		assert_int_equal(ks_log2_u64(1ull << k), k);
		assert_int_equal(ks_log2_u64((1ull << k) - 1), k - 1);
		assert_int_equal(ks_log2_u64((1ull << k) + 1), k);
	}
}

static void test_log2_slot(void **state)
{
	assert_int_equal(ks_log2_slot(0), 0);
	assert_int_equal(ks_log2_slot(1), 0);
	assert_int_equal(ks_log2_slot(2), 1);
	assert_int_equal(ks_log2_slot(1000), 9);
	assert_int_equal(ks_log2_slot((1ull << 31) - 1), 30);
	assert_int_equal(ks_log2_slot(1ull << 31), KS_LOG2_SLOTS - 1);
	/* clamped: everything from 2^31 on lands in the last slot */
	assert_int_equal(ks_log2_slot(0xffffffffull), KS_LOG2_SLOTS - 1);
	assert_int_equal(ks_log2_slot(1ull << 32), KS_LOG2_SLOTS - 1);
	assert_int_equal(ks_log2_slot(1ull << 63), KS_LOG2_SLOTS - 1);
	assert_int_equal(ks_log2_slot(UINT64_MAX), KS_LOG2_SLOTS - 1);
	for (unsigned k = 0; k < 64; k++)
		assert_true(ks_log2_slot(1ull << k) < KS_LOG2_SLOTS);
}

static void test_log2_bounds(void **state)
{
	uint64_t lo = 99, hi = 99;

	ks_log2_bounds(0, &lo, &hi);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 1);
	ks_log2_bounds(1, &lo, &hi);
	assert_int_equal(lo, 2);
	assert_int_equal(hi, 3);
	ks_log2_bounds(2, &lo, &hi);
	assert_int_equal(lo, 4);
	assert_int_equal(hi, 7);
	ks_log2_bounds(10, &lo, &hi);
	assert_int_equal(lo, 1024);
	assert_int_equal(hi, 2047);
	ks_log2_bounds(KS_LOG2_SLOTS - 1, &lo, &hi);
	assert_int_equal(lo, 1ull << 31);
	assert_int_equal(hi, 0xffffffffull);
	/* contiguous, and each bound maps back to its slot */
	for (unsigned s = 0; s < KS_LOG2_SLOTS; s++) {
		uint64_t nlo, nhi;

		ks_log2_bounds(s, &lo, &hi);
		assert_int_equal(ks_log2_slot(lo), s);
		assert_int_equal(ks_log2_slot(hi), s);
		if (s + 1 < KS_LOG2_SLOTS) {
			ks_log2_bounds(s + 1, &nlo, &nhi);
			assert_int_equal(nlo, hi + 1);
		}
	}
}

/* ---- log-linear ----------------------------------------------------------- */

static void test_ll_slot_exact(void **state)
{
	assert_int_equal(KS_LL_SLOTS, 156);
	for (uint64_t v = 0; v < 4; v++)
		assert_int_equal(ks_ll_slot(v), v);
	/* 4..7: one value per slot */
	for (uint64_t v = 4; v < 8; v++)
		assert_int_equal(ks_ll_slot(v), v);
	/* 8..15: two values per slot */
	assert_int_equal(ks_ll_slot(8), 8);
	assert_int_equal(ks_ll_slot(9), 8);
	assert_int_equal(ks_ll_slot(10), 9);
	assert_int_equal(ks_ll_slot(11), 9);
	assert_int_equal(ks_ll_slot(12), 10);
	assert_int_equal(ks_ll_slot(13), 10);
	assert_int_equal(ks_ll_slot(14), 11);
	assert_int_equal(ks_ll_slot(15), 11);
	/* 16..31: four values per slot */
	assert_int_equal(ks_ll_slot(16), 12);
	assert_int_equal(ks_ll_slot(19), 12);
	assert_int_equal(ks_ll_slot(20), 13);
	assert_int_equal(ks_ll_slot(31), 15);
	assert_int_equal(ks_ll_slot(32), 16);
	/* 1000 = 512 + 3 * 128 + 104: the fourth quarter of [512, 1023] */
	assert_int_equal(ks_ll_slot(1000), 8 * 4 + 3);
	/* the largest value kept apart, and beyond it */
	assert_int_equal(ks_ll_slot((1ull << 40) - 1), KS_LL_SLOTS - 1);
	assert_int_equal(ks_ll_slot(1ull << 39), KS_LL_SLOTS - 4);
	assert_int_equal(ks_ll_slot(1ull << 40), KS_LL_SLOTS - 1);
	assert_int_equal(ks_ll_slot(1ull << 63), KS_LL_SLOTS - 1);
	assert_int_equal(ks_ll_slot(UINT64_MAX), KS_LL_SLOTS - 1);
}

static void test_ll_slot_monotonic(void **state)
{
	uint32_t prev = 0;

	/* every value up to 2^16 */
	for (uint64_t v = 0; v < (1u << 16); v++) {
		uint32_t s = ks_ll_slot(v);

		assert_true(s < KS_LL_SLOTS);
		assert_true(s >= prev);
		assert_true(s <= prev + 1);	/* no slot is skipped */
		prev = s;
	}
	/* then a geometric sweep (about 1/64 steps) to far past the last slot */
	for (uint64_t v = 1u << 16; v < (1ull << 62); v += v / 64) {
		uint32_t s = ks_ll_slot(v);

		assert_true(s < KS_LL_SLOTS);
		assert_true(s >= prev);
		prev = s;
	}
	assert_int_equal(prev, KS_LL_SLOTS - 1);
}

static void test_ll_bounds(void **state)
{
	uint64_t lo = 99, hi = 99, phi = 0;

	ks_ll_bounds(0, &lo, &hi);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 0);
	ks_ll_bounds(3, &lo, &hi);
	assert_int_equal(lo, 3);
	assert_int_equal(hi, 3);
	ks_ll_bounds(4, &lo, &hi);
	assert_int_equal(lo, 4);
	assert_int_equal(hi, 4);
	ks_ll_bounds(9, &lo, &hi);
	assert_int_equal(lo, 10);
	assert_int_equal(hi, 11);
	ks_ll_bounds(12, &lo, &hi);
	assert_int_equal(lo, 16);
	assert_int_equal(hi, 19);
	ks_ll_bounds(35, &lo, &hi);
	assert_int_equal(lo, 896);
	assert_int_equal(hi, 1023);
	ks_ll_bounds(KS_LL_SLOTS - 1, &lo, &hi);
	assert_int_equal(lo, (1ull << 39) + 3 * (1ull << 37));
	assert_int_equal(hi, (1ull << 40) - 1);

	for (unsigned s = 0; s < KS_LL_SLOTS; s++) {
		ks_ll_bounds(s, &lo, &hi);
		assert_true(lo <= hi);
		/* contiguous: no value falls between two slots */
		if (s)
			assert_int_equal(lo, phi + 1);
		/* every value of the slot maps back to it (all of them while small) */
		if (hi - lo < 4096) {
			for (uint64_t v = lo; v <= hi; v++)
				assert_int_equal(ks_ll_slot(v), s);
		} else {
			assert_int_equal(ks_ll_slot(lo), s);
			assert_int_equal(ks_ll_slot(lo + 1), s);
			assert_int_equal(ks_ll_slot(lo + (hi - lo) / 2), s);
			assert_int_equal(ks_ll_slot(hi - 1), s);
			assert_int_equal(ks_ll_slot(hi), s);
		}
		/* and the values next to it do not */
		if (s)
			assert_int_equal(ks_ll_slot(lo - 1), s - 1);
		if (s + 1 < KS_LL_SLOTS)
			assert_int_equal(ks_ll_slot(hi + 1), s + 1);
		phi = hi;
	}
}

static void test_ll_quantile_empty(void **state)
{
	uint32_t slots[KS_LL_SLOTS] = { 0 };

	assert_int_equal(ks_ll_quantile(slots, 50, 100, 0), 0);
	assert_int_equal(ks_ll_quantile(slots, 99, 100, 0), 0);
	/* a known max does not invent a value */
	assert_int_equal(ks_ll_quantile(slots, 50, 100, 12345), 0);
}

static void test_ll_quantile_single(void **state)
{
	uint32_t slots[KS_LL_SLOTS];
	uint64_t v = 1000;
	uint32_t one = 1, many = 1000;

	/* 1000 is in [896, 1023]: the midpoint is 959 */
	ll_fill(slots, &v, &one, 1);
	assert_int_equal(ks_ll_quantile(slots, 0, 100, 0), 959);
	assert_int_equal(ks_ll_quantile(slots, 50, 100, 0), 959);
	assert_int_equal(ks_ll_quantile(slots, 99, 100, 0), 959);
	assert_int_equal(ks_ll_quantile(slots, 100, 100, 0), 959);
	/* clamped to the max when the midpoint is above it, not when below */
	assert_int_equal(ks_ll_quantile(slots, 50, 100, 1000), 959);
	assert_int_equal(ks_ll_quantile(slots, 50, 100, 900), 900);
	assert_int_equal(ks_ll_quantile(slots, 99, 100, 959), 959);
	assert_int_equal(ks_ll_quantile(slots, 99, 100, 958), 958);

	ll_fill(slots, &v, &many, 1);
	assert_int_equal(ks_ll_quantile(slots, 50, 100, 0), 959);
	assert_int_equal(ks_ll_quantile(slots, 1, 1000, 0), 959);

	/* small values are exact */
	for (uint64_t x = 0; x < 8; x++) {
		ll_fill(slots, &x, &one, 1);
		assert_int_equal(ks_ll_quantile(slots, 50, 100, 0), x);
		assert_int_equal(ks_ll_quantile(slots, 99, 100, x), x);
	}
}

static void test_ll_quantile_two_modes(void **state)
{
	uint32_t slots[KS_LL_SLOTS];
	/* 90 fast samples of 10 (slot [10, 11]: midpoint 10), 10 slow ones of 1000 */
	uint64_t vals[] = { 10, 1000 };
	uint32_t counts[] = { 90, 10 };

	ll_fill(slots, vals, counts, 2);
	assert_int_equal(ks_ll_quantile(slots, 0, 100, 0), 10);
	assert_int_equal(ks_ll_quantile(slots, 50, 100, 0), 10);
	assert_int_equal(ks_ll_quantile(slots, 90, 100, 0), 10);	/* rank 90: still fast */
	assert_int_equal(ks_ll_quantile(slots, 91, 100, 0), 959);	/* rank 91: slow */
	assert_int_equal(ks_ll_quantile(slots, 99, 100, 0), 959);
	assert_int_equal(ks_ll_quantile(slots, 100, 100, 0), 959);
	/* the rank rounds up: 901/1000 of 100 samples is rank 91 */
	assert_int_equal(ks_ll_quantile(slots, 901, 1000, 0), 959);
	assert_int_equal(ks_ll_quantile(slots, 900, 1000, 0), 10);
	/* with the exact max: p99 clamped to it, p50 untouched */
	assert_int_equal(ks_ll_quantile(slots, 99, 100, 950), 950);
	assert_int_equal(ks_ll_quantile(slots, 50, 100, 950), 10);
	assert_int_equal(ks_ll_quantile(slots, 99, 100, 1000), 959);

	/* the other way round: mostly slow */
	counts[0] = 1;
	counts[1] = 99;
	ll_fill(slots, vals, counts, 2);
	assert_int_equal(ks_ll_quantile(slots, 1, 100, 0), 10);
	assert_int_equal(ks_ll_quantile(slots, 2, 100, 0), 959);
	assert_int_equal(ks_ll_quantile(slots, 50, 100, 0), 959);
}

static void test_ll_quantile_error(void **state)
{
	uint32_t slots[KS_LL_SLOTS];
	uint32_t one = 1;
	double worst = 0;
	unsigned n = 0;

	/* every value to 2^14, then a sweep to the last slot kept apart */
	for (uint64_t v = 1; v < (1ull << 40); v += v < (1u << 14) ? 1 : v / 97 + 1, n++) {
		uint64_t q;
		double err;

		ll_fill(slots, &v, &one, 1);
		q = ks_ll_quantile(slots, 50, 100, 0);
		err = (double)(q > v ? q - v : v - q) / (double)v;
		if (err > worst)
			worst = err;
		if (err > 0.125)
			fail_msg("value %llu: quantile %llu is %.2f%% off",
				 (unsigned long long)v, (unsigned long long)q, err * 100);
		/* with the max known (a single sample: itself) the answer is exact or below it */
		q = ks_ll_quantile(slots, 99, 100, v);
		assert_true(q <= v);
		assert_true((double)(v - q) / (double)v <= 0.125);
	}
	assert_true(n > 16384);
	assert_true(worst > 0.1);	/* the bound is tight, not vacuous */
}

/* ---- printing ------------------------------------------------------------ */

static void test_log2_print(void **state)
{
	uint32_t slots[KS_LOG2_SLOTS] = { 1, 0, 3, 7, 2 };
	struct ks_out o;

	out_open(&o, false);
	ks_log2_print(&o, slots, "usecs");
	/* val_max 7: 1 -> 40/7 = 5 stars, 3 -> 17, 7 -> 40, 2 -> 11 (rounded down) */
	check_buf(&o,
		  "     usecs               : count    distribution\n"
		  "         0 -> 1          : 1        |*****                                   |\n"
		  "         2 -> 3          : 0        |                                        |\n"
		  "         4 -> 7          : 3        |*****************                       |\n"
		  "         8 -> 15         : 7        |****************************************|\n"
		  "        16 -> 31         : 2        |***********                             |\n");
	out_close(&o);
}

static void test_log2_print_leading_and_wide(void **state)
{
	uint32_t slots[KS_LOG2_SLOTS] = { 0 };
	struct ks_out o;

	/* leading empty slots are printed, trailing ones are not */
	slots[2] = 123456789;		/* wider than the count column */
	slots[3] = 1;
	out_open(&o, false);
	ks_log2_print(&o, slots, "msecs");
	check_buf(&o,
		  "     msecs               : count    distribution\n"
		  "         0 -> 1          : 0        |                                        |\n"
		  "         2 -> 3          : 0        |                                        |\n"
		  "         4 -> 7          : 123456789 |****************************************|\n"
		  "         8 -> 15         : 1        |                                        |\n");

	/* the last slot: bounds of ten digits still fit the columns */
	memset(slots, 0, sizeof(slots));
	slots[KS_LOG2_SLOTS - 1] = 4;
	slots[KS_LOG2_SLOTS - 2] = 2;
	ks_log2_print(&o, slots, "usecs");
	{
		char *got = strndup(o.buf, o.len), *last;

		assert_non_null(got);
		/* header + 32 rows */
		{
			int lines = 0;

			for (char *p = got; *p; p++)
				lines += *p == '\n';
			assert_int_equal(lines, 1 + KS_LOG2_SLOTS);
		}
		last = strstr(got, "1073741824 -> 2147483647");
		assert_non_null(last);
		assert_string_equal(last,
			"1073741824 -> 2147483647 : 2        |********************                    |\n"
			"2147483648 -> 4294967295 : 4        |****************************************|\n");
		free(got);
	}
	o.len = 0;
	out_close(&o);
}

static void test_log2_print_empty(void **state)
{
	uint32_t slots[KS_LOG2_SLOTS] = { 0 };
	struct ks_out o;

	out_open(&o, false);
	ks_log2_print(&o, slots, "usecs");
	assert_int_equal(o.len, 0);
	out_close(&o);
}

static void test_log2_json_buckets(void **state)
{
	uint32_t slots[KS_LOG2_SLOTS] = { 1, 0, 3 };
	struct ks_out o;

	out_open(&o, true);
	ks_json_begin(&o);
	ks_log2_json_buckets(&o, slots);
	ks_json_end(&o);
	check_buf(&o, "{\"buckets\":[{\"low\":0,\"high\":1,\"count\":1},"
		  "{\"low\":2,\"high\":3,\"count\":0},{\"low\":4,\"high\":7,\"count\":3}]}\n");

	/* among other keys; trailing empty slots left out, leading ones kept */
	memset(slots, 0, sizeof(slots));
	slots[1] = 5;
	ks_json_begin(&o);
	ks_json_kv_u64(&o, "count", 5);
	ks_log2_json_buckets(&o, slots);
	ks_json_kv_u64(&o, "after", 1);
	ks_json_end(&o);
	check_buf(&o, "{\"count\":5,\"buckets\":[{\"low\":0,\"high\":1,\"count\":0},"
		  "{\"low\":2,\"high\":3,\"count\":5}],\"after\":1}\n");

	/* a "hist" record begins with what it is and when */
	ks_log2_json_begin(&o, "x_latency", "us", 9, 3);
	ks_log2_json_buckets(&o, slots);
	ks_json_end(&o);
	check_buf(&o, "{\"type\":\"hist\",\"name\":\"x_latency\",\"unit\":\"us\",\"ts_ns\":9,"
		  "\"interval_ns\":3,\"buckets\":[{\"low\":0,\"high\":1,\"count\":0},"
		  "{\"low\":2,\"high\":3,\"count\":5}]}\n");

	/* empty: an empty array */
	memset(slots, 0, sizeof(slots));
	ks_json_begin(&o);
	ks_log2_json_buckets(&o, slots);
	ks_json_end(&o);
	check_buf(&o, "{\"buckets\":[]}\n");

	/* the last slot, with the largest count */
	slots[KS_LOG2_SLOTS - 1] = UINT32_MAX;
	ks_json_begin(&o);
	ks_log2_json_buckets(&o, slots);
	ks_json_end(&o);
	{
		char *got = strndup(o.buf, o.len);
		const char *tail = "{\"low\":1073741824,\"high\":2147483647,\"count\":0},"
				   "{\"low\":2147483648,\"high\":4294967295,\"count\":4294967295}]}\n";
		size_t n = 0;

		assert_non_null(got);
		assert_true(strlen(got) > strlen(tail));
		assert_string_equal(got + strlen(got) - strlen(tail), tail);
		for (char *p = got; (p = strstr(p, "\"low\":")); p++)
			n++;
		assert_int_equal(n, KS_LOG2_SLOTS);
		free(got);
	}
	o.len = 0;
	out_close(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log2_u64),
		cmocka_unit_test(test_log2_slot),
		cmocka_unit_test(test_log2_bounds),
		cmocka_unit_test(test_ll_slot_exact),
		cmocka_unit_test(test_ll_slot_monotonic),
		cmocka_unit_test(test_ll_bounds),
		cmocka_unit_test(test_ll_quantile_empty),
		cmocka_unit_test(test_ll_quantile_single),
		cmocka_unit_test(test_ll_quantile_two_modes),
		cmocka_unit_test(test_ll_quantile_error),
		cmocka_unit_test(test_log2_print),
		cmocka_unit_test(test_log2_print_leading_and_wide),
		cmocka_unit_test(test_log2_print_empty),
		cmocka_unit_test(test_log2_json_buckets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

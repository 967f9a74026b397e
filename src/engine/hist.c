// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "hist.h"
#include "out.h"

void ks_ll_bounds(unsigned slot, uint64_t *lo, uint64_t *hi)
{
	unsigned e, m;

	if (slot < KS_LL_SUB) {
		*lo = *hi = slot;
		return;
	}
	e = slot / KS_LL_SUB + 1;
	m = slot % KS_LL_SUB;
	*lo = (1ull << e) + (uint64_t)m * (1ull << (e - KS_LL_SUB_BITS));
	*hi = *lo + (1ull << (e - KS_LL_SUB_BITS)) - 1;
}

uint64_t ks_ll_quantile(const uint32_t *slots, uint64_t q_num, uint64_t q_den, uint64_t max)
{
	uint64_t total = 0, rank, seen = 0, lo, hi, mid;

	for (unsigned i = 0; i < KS_LL_SLOTS; i++)
		total += slots[i];
	if (!total)
		return 0;
	/* the smallest value with at least ceil(q * total) values at or below it */
	rank = (total * q_num + q_den - 1) / q_den;
	if (!rank)
		rank = 1;
	for (unsigned i = 0; i < KS_LL_SLOTS; i++) {
		seen += slots[i];
		if (seen < rank)
			continue;
		ks_ll_bounds(i, &lo, &hi);
		mid = lo + (hi - lo) / 2;
		return max && mid > max ? max : mid;
	}
	return max;
}

void ks_log2_bounds(unsigned slot, uint64_t *lo, uint64_t *hi)
{
	*lo = slot ? 1ull << slot : 0;
	*hi = (1ull << (slot + 1)) - 1;
}

static int last_nonzero(const uint32_t *slots)
{
	int idx = -1;

	for (int i = 0; i < KS_LOG2_SLOTS; i++)
		if (slots[i])
			idx = i;
	return idx;
}

void ks_log2_print(struct ks_out *o, const uint32_t *slots, const char *unit)
{
	int idx_max = last_nonzero(slots), stars = 40;
	uint32_t val_max = 0;

	for (int i = 0; i < KS_LOG2_SLOTS; i++)
		if (slots[i] > val_max)
			val_max = slots[i];
	if (idx_max < 0)
		return;
	ks_out_printf(o, "%*s%-*s : count    distribution\n", 5, "", 19, unit);
	for (int i = 0; i <= idx_max; i++) {
		uint64_t lo, hi;
		int n = (int)((uint64_t)slots[i] * stars / val_max);

		ks_log2_bounds(i, &lo, &hi);
		ks_out_printf(o, "%*llu -> %-*llu : %-8u |", 10, (unsigned long long)lo, 10,
			      (unsigned long long)hi, slots[i]);
		for (int s = 0; s < stars; s++)
			ks_out_char(o, s < n ? '*' : ' ');
		ks_out_cstr(o, "|\n");
	}
}

void ks_log2_json_begin(struct ks_out *o, const char *name, const char *unit, uint64_t ts_ns,
			uint64_t interval_ns)
{
	ks_json_begin(o);
	ks_json_kv_str(o, "type", "hist", 4);
	ks_json_kv_str(o, "name", name, strlen(name));
	ks_json_kv_str(o, "unit", unit, strlen(unit));
	ks_json_kv_u64(o, "ts_ns", ts_ns);
	ks_json_kv_u64(o, "interval_ns", interval_ns);
}

void ks_log2_json_buckets(struct ks_out *o, const uint32_t *slots)
{
	int idx_max = last_nonzero(slots);

	ks_json_key(o, "buckets");
	ks_json_arr_begin(o);
	for (int i = 0; i <= idx_max; i++) {
		uint64_t lo, hi;

		ks_log2_bounds(i, &lo, &hi);
		ks_json_begin(o);
		ks_json_kv_u64(o, "low", lo);
		ks_json_kv_u64(o, "high", hi);
		ks_json_kv_u64(o, "count", slots[i]);
		ks_json_end(o);
	}
	ks_json_arr_end(o);
}

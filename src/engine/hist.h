/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Histograms, shared by the BPF side (which fills them in maps) and
 * userspace (which prints them and computes percentiles). Two kinds:
 *
 * log2 (bcc's look): slot 0 holds 0 and 1, slot k (k >= 1) holds
 *   [2^k, 2^(k+1) - 1]. For distributions a human reads.
 *
 * log-linear: each power of two split into KS_LL_SUB sub-buckets, so a
 *   value is known to within 1/KS_LL_SUB of its power of two (the midpoint
 *   is within 12.5%). For percentiles (p50, p99) that must be trusted.
 *   Slots 0..3 hold the values 0..3 exactly; for v >= 4 with e = log2(v),
 *   slot = (e - 1) * 4 + the two bits after the leading one.
 */
#ifndef KSCOPE_HIST_H
#define KSCOPE_HIST_H

#ifdef __BPF__
#define KS_HIST_INLINE static __always_inline
#else
#include <linux/types.h>
#define KS_HIST_INLINE static inline
#endif

#define KS_LOG2_SLOTS 32          /* up to 2^32 - 1 units */
#define KS_LL_SUB_BITS 2
#define KS_LL_SUB (1 << KS_LL_SUB_BITS)
#define KS_LL_MAX_LOG2 39         /* values up to 2^40 - 1 (ns: 18 minutes) */
#define KS_LL_SLOTS ((KS_LL_MAX_LOG2 - 1) * KS_LL_SUB + KS_LL_SUB)   /* 156 */

/* floor(log2(v)), 0 for v == 0; branch-light so the verifier stays small */
KS_HIST_INLINE __u32 ks_log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffull) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

KS_HIST_INLINE __u32 ks_log2_slot(__u64 v)
{
	__u32 s = ks_log2_u64(v);

	return s < KS_LOG2_SLOTS ? s : KS_LOG2_SLOTS - 1;
}

KS_HIST_INLINE __u32 ks_ll_slot(__u64 v)
{
	__u32 e;

	if (v < KS_LL_SUB)
		return v;
	e = ks_log2_u64(v);
	if (e > KS_LL_MAX_LOG2)
		return KS_LL_SLOTS - 1;
	return (e - 1) * KS_LL_SUB + ((v >> (e - KS_LL_SUB_BITS)) & (KS_LL_SUB - 1));
}

#ifndef __BPF__
#include <stdbool.h>
#include <stdint.h>

struct ks_out;

/* The values a slot holds: [*lo, *hi] */
void ks_ll_bounds(unsigned slot, uint64_t *lo, uint64_t *hi);
/* Value at quantile q (0..1) of a log-linear histogram: its slot's midpoint,
 * clamped to max when known (max > 0). 0 for an empty histogram. */
uint64_t ks_ll_quantile(const uint32_t *slots, uint64_t q_num, uint64_t q_den, uint64_t max);
void ks_log2_bounds(unsigned slot, uint64_t *lo, uint64_t *hi);

/* bcc's print_log2_hist: "     usecs : count     distribution" */
void ks_log2_print(struct ks_out *o, const uint32_t *slots, const char *unit);
/* JSON: a "hist" record's first members, {"type":"hist","name":..,"unit":..,"ts_ns":..,"interval_ns":.. */
void ks_log2_json_begin(struct ks_out *o, const char *name, const char *unit, uint64_t ts_ns,
			uint64_t interval_ns);
/* JSON: "buckets":[{"low":0,"high":1,"count":N},...] up to the last non-empty slot */
void ks_log2_json_buckets(struct ks_out *o, const uint32_t *slots);
#endif

#endif

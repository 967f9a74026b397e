/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metric store of kscope agent, and its Prometheus text exposition
 * (format 0.0.4). Collectors add what each period moved (the table
 * engine's period amounts): the store keeps the totals, so a counter only
 * ever grows while the agent runs, whatever happens to the kernel entry or
 * the row it came from (a process that exits, a cgroup removed, a map
 * entry made anew).
 *
 * A family has a fixed list of label names; a series is one tuple of label
 * values. No family has a pid label. Each family holds at most `budget`
 * series besides "other": past that, the smallest (by total) are folded
 * into the series whose every label is "other", and whatever they add later
 * goes there too, so sum() over the family stays exact. A family marked
 * KS_PROM_EXPIRES (labels that come and go: a cgroup, a command name)
 * folds a series into "other" once it has not moved for `expire_ns`.
 *
 * Histograms are of durations, log2: slot k holds the values whose
 * floor(log2) is k, [2^k, 2^(k+1) - 1] slot units (slot 0 also 0). Each
 * `le` printed is the real upper edge of its slot, the largest duration it
 * holds: (2^(k+1) * slot_ns - 1) ns, not 2^(k+1) units (a value of exactly
 * 2^(k+1) is in the next slot: an `le` of 2^(k+1) would count it where it
 * is not, ebpf_exporter's issue 488). Buckets are cumulative, with +Inf, an
 * exact _sum (the kernel's sum of the durations, not bucket midpoints) and
 * _count (the +Inf bucket).
 *
 * Single-threaded: the agent's collecting thread adds and renders; the
 * HTTP thread serves only the rendered text (http.h).
 */
#ifndef KSCOPE_PROM_H
#define KSCOPE_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ks_prom_type { KS_PROM_COUNTER, KS_PROM_GAUGE, KS_PROM_HISTOGRAM };

#define KS_PROM_MAX_LABELS 6
#define KS_PROM_HIST_MAX 64

#define KS_PROM_EXPIRES (1u << 0)  /* series not moved for expire_ns fold into "other" */
#define KS_PROM_NO_OTHER (1u << 1) /* labels of a bounded set (self-metrics): never folded */

struct ks_prom_desc {
	const char *name;          /* kscope_syscalls_total; a histogram's base name */
	const char *help;
	enum ks_prom_type type;
	const char *labels[KS_PROM_MAX_LABELS + 1];  /* NULL-terminated */
	/*
	 * Counters and gauges: integers in units of `unit` (1e-9: ns shown as
	 * seconds); 0 or 1 for counts and bytes, printed exactly as integers,
	 * else value * unit, the shortest decimal that reads back.
	 */
	double unit;
	/* histograms: ns per unit of the slots (1: ns, 1000: us); printed in seconds */
	uint64_t slot_ns;
	/* histograms: the buckets printed, first..last (log2 k); the ones below first are in it */
	unsigned first, last;
	unsigned flags;
};

struct ks_prom;
struct ks_prom_family;

struct ks_prom *ks_prom_new(size_t budget, uint64_t expire_ns);
void ks_prom_free(struct ks_prom *p);
/* A family of d (kept by pointer: static); NULL without memory */
struct ks_prom_family *ks_prom_family(struct ks_prom *p, const struct ks_prom_desc *d);

/*
 * One series' label values (as many as the family has labels; a NULL value
 * is ""), with their lengths (-1: strlen). now: CLOCK_MONOTONIC ns.
 */
struct ks_prom_labels {
	const char *v[KS_PROM_MAX_LABELS];
	int len[KS_PROM_MAX_LABELS];
};

/* A counter's series grows by v */
void ks_prom_add(struct ks_prom_family *f, const struct ks_prom_labels *l, uint64_t v,
		 uint64_t now);
/* A gauge's series is v */
void ks_prom_set(struct ks_prom_family *f, const struct ks_prom_labels *l, int64_t v,
		 uint64_t now);
/* A gauge's series (a float: a duration, a ratio) is v */
void ks_prom_set_f(struct ks_prom_family *f, const struct ks_prom_labels *l, double v,
		   uint64_t now);
/*
 * A histogram's series grows: the counts of nslots log2 slots (in the
 * family's slot_ns units), and the sum of the durations in ns, exact.
 */
void ks_prom_observe(struct ks_prom_family *f, const struct ks_prom_labels *l,
		     const uint64_t *slots, unsigned nslots, uint64_t sum_ns, uint64_t now);
/* Forget a gauge family's series (they are set afresh each period) */
void ks_prom_clear(struct ks_prom_family *f);

/*
 * Fold what passed the budget or expired; returns the series folded now.
 * Then render the whole store into *buf (malloc'd, *len bytes): the text
 * exposition. 0, or -ENOMEM.
 */
size_t ks_prom_maintain(struct ks_prom *p, uint64_t now);
int ks_prom_render(struct ks_prom *p, char **buf, size_t *len);

/* Per family: series it exports now (after ks_prom_maintain), and series folded into "other" since start */
size_t ks_prom_family_series(const struct ks_prom_family *f);
uint64_t ks_prom_family_folded(const struct ks_prom_family *f);
const char *ks_prom_family_name(const struct ks_prom_family *f);
/* Families in order of creation: NULL first, NULL after the last */
struct ks_prom_family *ks_prom_next(struct ks_prom *p, struct ks_prom_family *f);

/* The shortest decimal that reads back as v (Prometheus floats, le edges) */
void ks_prom_fmt_double(char *buf, size_t n, double v);

#endif

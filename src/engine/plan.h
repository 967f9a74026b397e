/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attach plans. A logical probe ("exit") lists BPF programs, one per hook
 * type, in order of preference. A program's hook type and target come
 * from its SEC() name, so the kernel side is the single source of truth.
 * The choice is a pure function of the alternatives, the hook types the
 * user forbids, what already failed, and what the kernel offers (a
 * callback), so it is unit-tested without a kernel.
 */
#ifndef KSCOPE_PLAN_H
#define KSCOPE_PLAN_H

#include <stdbool.h>

enum ks_hook_kind {
	KS_HOOK_FENTRY,
	KS_HOOK_FEXIT,
	KS_HOOK_KPROBE,
	KS_HOOK_KRETPROBE,
	KS_HOOK_TP_BTF,
	KS_HOOK_RAW_TP,
	KS_HOOK_TRACEPOINT,
	KS_HOOK_LSM,
	KS_HOOK_ITER,       /* a BPF iterator ("iter/tcp"): run by the command, not by events */
	KS_HOOK_NR,
};

/* --no-hook families */
#define KS_FAM_FENTRY     (1u << 0)   /* fentry, fexit */
#define KS_FAM_KPROBE     (1u << 1)   /* kprobe, kretprobe */
#define KS_FAM_TP_BTF     (1u << 2)
#define KS_FAM_RAW_TP     (1u << 3)
#define KS_FAM_TRACEPOINT (1u << 4)
#define KS_FAM_LSM        (1u << 5)

#define KS_HOOK_TARGET_MAX 96
#define KS_MAX_ALTS 6

struct ks_hook {
	enum ks_hook_kind kind;
	char target[KS_HOOK_TARGET_MAX];   /* function, or tracepoint "sched/sched_switch" */
};

/* One alternative of a probe, with what happened to it */
struct ks_alt {
	const char *prog;        /* BPF program name */
	struct ks_hook hook;
	/*
	 * A program loaded and attached with it, or NULL: a kretprobe's kprobe,
	 * which saves the arguments the return does not have. Either one
	 * forbidden, unavailable or failing fails the alternative.
	 */
	const char *with_prog;
	struct ks_hook with_hook;
	int err;                 /* 0, or why it was skipped/failed (-errno) */
	const char *why;         /* human reason, static string */
	const char *lacks;       /* what the probe does not have through it (ks_probe.lacks) */
	bool failed;             /* failed to load or attach: never choose again */
};

/* "fentry/do_exit" -> {FENTRY, "do_exit"}; -EINVAL for sections kscope does not plan */
int ks_hook_from_section(const char *sec, struct ks_hook *h);
const char *ks_hook_kind_name(enum ks_hook_kind kind);
unsigned ks_hook_family(enum ks_hook_kind kind);
/* "fentry,kprobe" -> mask (OR-ed into *mask); -EINVAL on an unknown name */
int ks_hook_families_parse(const char *list, unsigned *mask);

/* Is this hook usable on the running kernel? 0, or -errno and *why */
typedef int (*ks_hook_avail_fn)(const struct ks_hook *h, void *ctx, const char **why);

/*
 * Pick the first alternative that is not forbidden, has not failed and is
 * available, with its with_prog's hook if it has one. Skipped alternatives
 * get err/why filled in. Returns the index, or -1 if none is usable.
 */
int ks_plan_choose(struct ks_alt *alts, int n, unsigned forbid,
		   ks_hook_avail_fn avail, void *ctx);

#endif

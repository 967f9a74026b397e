/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tracing engine. A command describes what to collect (a skeleton,
 * its logical probes, how to decode an event) in a struct ks_tracer; the
 * engine does the rest: privileges, loading with per-probe fallback,
 * in-kernel filters, the ring buffer, signals, `-- PROGRAM`, loss
 * accounting and clean detach.
 */
#ifndef KSCOPE_TRACE_H
#define KSCOPE_TRACE_H

#include <stddef.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "out.h"
#include "plan.h"

/*
 * A BPF program's name in a probe table, checked against the skeleton when
 * kscope is compiled: a misspelled name is a compile error ("no member
 * named ..."), not a failure at attach time. The sizeof is never
 * evaluated, and &"name"[0] is an address constant (C11 6.6), so the
 * tables stay static.
 */
#define KS_PROG(skel, prog) (&#prog[0 * sizeof(((struct skel *)0)->progs.prog)])

#define KS_PROBE_OPTIONAL (1u << 0)   /* loaded only if tracer->wanted() says so */

/* A logical probe: its programs (KS_PROG), preferred first */
struct ks_probe {
	const char *name;
	const char *progs[KS_MAX_ALTS + 1];   /* NULL-terminated */
	unsigned flags;
};

/* Generic access to a bpftool-generated skeleton */
struct ks_skel_ops {
	void *(*open)(const struct bpf_object_open_opts *opts);
	void (*destroy)(void *skel);
	struct bpf_object *(*object)(void *skel);
	/* bpf_object__load_skeleton(): loads, and maps .bss/.data into skel */
	int (*load)(void *skel);
	/* the engine's follow-children probes in this skeleton (none: KS_SELF_FOLLOW) */
	const struct ks_probe *follow;
	int nfollow;
};

/* The engine's own probes (kscope.bpf.h), in every object built without KS_SELF_FOLLOW */
#define KS_FOLLOW_PROBES(skel)							\
	{ "follow-fork", { KS_PROG(skel, ks_follow_fork_btf),			\
			   KS_PROG(skel, ks_follow_fork_raw),			\
			   KS_PROG(skel, ks_follow_fork_tp) } },		\
	{ "follow-exit", { KS_PROG(skel, ks_follow_exit_btf),			\
			   KS_PROG(skel, ks_follow_exit_raw),			\
			   KS_PROG(skel, ks_follow_exit_tp) } }

#define KS_SKEL_OPS_FOLLOW(name, follow, nfollow)				\
	static void *name##__ks_open(const struct bpf_object_open_opts *o)	\
	{ return name##__open_opts(o); }					\
	static void name##__ks_destroy(void *s) { name##__destroy(s); }	\
	static struct bpf_object *name##__ks_object(void *s)			\
	{ return ((struct name *)s)->obj; }					\
	static int name##__ks_load(void *s) { return name##__load(s); }	\
	static const struct ks_skel_ops name##_ops = {				\
		name##__ks_open, name##__ks_destroy, name##__ks_object,	\
		name##__ks_load, follow, nfollow }

/* The ops of skeleton `name` (struct name, name__open_opts()...) */
#define KS_SKEL_OPS(name)							\
	static const struct ks_probe name##__ks_follow[] = { KS_FOLLOW_PROBES(name) }; \
	KS_SKEL_OPS_FOLLOW(name, name##__ks_follow, 2)

/* ... of one whose own fork/exit programs follow children (KS_SELF_FOLLOW) */
#define KS_SKEL_OPS_SELF_FOLLOW(name) KS_SKEL_OPS_FOLLOW(name, NULL, 0)

struct ks_tracer {
	const char *name;              /* command name */
	const char *what;              /* "process lifecycle": for the status line */
	const struct ks_skel_ops *skel;
	const struct ks_probe *probes;
	int nprobes;
	/*
	 * Programs loaded with the probes but never attached: userspace runs
	 * them (BPF_PROG_TEST_RUN, e.g. on each CPU in turn). NULL-terminated;
	 * may be NULL.
	 */
	const char *const *aux_progs;
	/* before load: the command's own rodata */
	int (*configure)(void *state, void *skel);
	/* optional probes to load; NULL: none */
	bool (*wanted)(void *state, const struct ks_probe *p);
	/* after attach, before events: find maps in the loaded skeleton, print headers */
	int (*start)(void *state, void *skel, struct ks_out *out);
	/* one ring buffer record; 0, or -EINVAL for a malformed one */
	int (*event)(void *state, struct ks_out *out, const void *data, size_t size);
	/*
	 * A summary for the period that ends now. The engine decides when:
	 * every interval (with [interval [count]]), and once at the end unless
	 * the last of [count] intervals was just reported. flags: KS_REPORT_*.
	 */
	int (*report)(void *state, struct ks_out *out, unsigned flags);
	/* about once a second: drain what the kernel side has finished with */
	void (*housekeeping)(void *state);
	/* after the last event: summaries, trees */
	int (*finish)(void *state, struct ks_out *out);
};

#define KS_REPORT_LAST (1u << 0)   /* no report follows: the last period */
#define KS_REPORT_END  (1u << 1)   /* tracing ended (Ctrl-C, -d, PROGRAM's exit): a
				    * period cut short, not an interval's tick */

/* The report policy, for the engine and for whatever stands in for it (fuzzing) */
static inline unsigned ks_tick_report_flags(const struct ks_opts *o, uint64_t ticks_before)
{
	return o->count && ticks_before + 1 >= o->count ? KS_REPORT_LAST : 0;
}

static inline bool ks_end_needs_report(const struct ks_opts *o, uint64_t ticks)
{
	return !(o->count && ticks >= o->count);
}

/* Run a tracer to completion; returns the process exit code. */
int ks_trace_run(const struct ks_tracer *t, struct ks_opts *o, void *state);

/* The plan of one probe, as chosen for the running kernel (doctor) */
struct ks_probe_plan {
	const char *name;
	struct ks_alt alts[KS_MAX_ALTS];
	int nalts;
	int chosen;                    /* index into alts, -1 none */
	bool wanted;
	bool engine;                   /* the engine's own (follow) probe */
};

#define KS_MAX_PROBES 32

/*
 * Read a tracer's plans from its skeleton (opened, never loaded) and choose
 * per probe for this kernel. follow: include the follow-children probes.
 */
int ks_plan_for_kernel(const struct ks_tracer *t, bool follow, unsigned forbid,
		       struct ks_probe_plan *plans, int *nplans);

#endif

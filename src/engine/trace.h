/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tracing engine. A command describes what to collect (a skeleton,
 * its logical probes, how to decode an event) in a struct ks_tracer; the
 * engine does the rest: privileges, loading with per-probe fallback,
 * in-kernel filters, the ring buffer, signals, `-- PROGRAM`, loss
 * accounting and clean detach. A tracing context (struct ks_trace,
 * trace.c) holds one tracer; a session (session.c) runs one or several
 * in a process.
 */
#ifndef KSCOPE_TRACE_H
#define KSCOPE_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "events.h"
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
/* if no hook works, the tracer runs without it (it checks bpf_program__fd() >= 0) */
#define KS_PROBE_BEST     (1u << 1)

/*
 * An alternative's companion: program `with` is loaded and attached with
 * alternative `prog`, and only with it (a kretprobe's kprobe, which saves
 * per thread the arguments the return no longer has). Both names checked
 * as KS_PROG's; either one failing fails the alternative.
 */
#define KS_WITH(skel, prog, with) { KS_PROG(skel, prog), KS_PROG(skel, with) }

struct ks_prog_with {
	const char *prog;      /* one of the probe's progs */
	const char *with;
};

/* A logical probe: its programs (KS_PROG), preferred first */
struct ks_probe {
	const char *name;
	const char *progs[KS_MAX_ALTS + 1];   /* NULL-terminated */
	unsigned flags;
	struct ks_prog_with with[KS_MAX_ALTS];   /* KS_WITH; ends at the first empty one */
	/*
	 * Per alternative (as progs): what the probe does not have through it
	 * ("the audit flag of a check"), for kscope doctor; NULL: nothing.
	 */
	const char *lacks[KS_MAX_ALTS];
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
	/*
	 * kscope doctor: what probe p does on this kernel beyond its hook (e.g.
	 * which syscalls it serves), written to buf; NULL for nothing. May be NULL.
	 */
	const char *(*doctor_note)(const struct ks_probe *p, char *buf, size_t n);
};

/*
 * A tracer's identity, by the naming every command follows: command `cmd`,
 * its skeleton's ops cmd_bpf_ops (KS_SKEL_OPS(cmd_bpf)), its probe table
 * cmd_probes. The callbacks follow, named in the initializer:
 *	const struct ks_tracer cmd_tracer = {
 *		KS_TRACER(cmd, "what it traces"),
 *		.event = cmd_event,
 *	};
 */
#define KS_TRACER(cmd, what_)							\
	.name = #cmd, .what = what_, .skel = &cmd##_bpf_ops,			\
	.probes = cmd##_probes, .nprobes = ARRAY_SIZE(cmd##_probes)

/*
 * The callbacks of a summary command (start, event, report, housekeeping,
 * finish), named cmd_start, cmd_event...: sched, syscall and fileio
 */
#define KS_TRACER_SUMMARY(cmd)							\
	.start = cmd##_start, .event = cmd##_event, .report = cmd##_report,	\
	.housekeeping = cmd##_housekeeping, .finish = cmd##_finish

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

/* The plan of one probe, as chosen for the running kernel (doctor) */
struct ks_probe_plan {
	const char *name;
	struct ks_alt alts[KS_MAX_ALTS];
	int nalts;
	int chosen;                    /* index into alts, -1 none */
	bool wanted;
	bool engine;                   /* the engine's own (follow) probe */
	bool best;                     /* KS_PROBE_BEST: none usable is not an error */
};

#define KS_MAX_PROBES 32

/*
 * One tracing context per tracer (trace.c). Nothing in it is per process,
 * so a process may hold several at once and poll them in one loop. Calls
 * that fail return -errno and print nothing: ks_trace_open() leaves why in
 * ks_trace_error() for the caller to say. What a context writes is its
 * trace: the tracer's output, and the loss lines (stderr in text mode).
 * A context is:
 *
 *   c = ks_trace_new(t, o, state)      its output (o->out_fd) set up; NULL: errno says why
 *   ks_trace_open(c)                   open, configure, load (per-probe fallback),
 *                                      attach, filters, ring buffer
 *   ks_trace_track_pid(c, pid)         more pids to trace (-- PROGRAM's)
 *   ks_trace_begin(c)                  the tracer's start(): headers; events count from here
 *   then, in a loop:
 *     ks_trace_tick(c, now, &timeout)  the interval policy: a report when one is due
 *     wait for ks_trace_fd(c)          (with others, in one epoll), at most timeout ms
 *     ks_trace_poll(c, now)            records to the tracer, losses, housekeeping, flush
 *   ks_trace_end(c)                    drain, the last report, finish()
 *   ks_trace_lost_summary(c)           what was lost, on stderr
 *   ks_trace_close(c)                  everything detached and freed
 *
 * The caller checks privileges first (they belong to the process), as
 * session.c does, and stops on signals of its own.
 */
struct ks_trace;

struct ks_trace *ks_trace_new(const struct ks_tracer *t, struct ks_opts *o, void *state);
/* 0, or -errno with ks_trace_error() saying why */
int ks_trace_open(struct ks_trace *c);
/*
 * Why ks_trace_open() failed: one line per problem (several probes may lack
 * a hook), each without "kscope: " and without its newline; "" if nothing
 * was said.
 */
const char *ks_trace_error(const struct ks_trace *c);
/* The plan of each probe, as attached (-v prints them) */
const struct ks_probe_plan *ks_trace_plans(const struct ks_trace *c, int *n);
/* Where calls in flight are kept: 1 task storage, 0 an LRU hash by thread, -1 no such maps */
int ks_trace_task_storage(const struct ks_trace *c);
/* The context's output: its stop flag, and ks_out_failed() at the end */
struct ks_out *ks_trace_out(struct ks_trace *c);
int ks_trace_track_pid(struct ks_trace *c, uint32_t pid);
/* 0; non-zero if start() failed (it said why) or the output did (ks_out_failed()) */
int ks_trace_begin(struct ks_trace *c);
/* Readable when records wait in the ring buffer or the output's reader left */
int ks_trace_fd(const struct ks_trace *c);

#define KS_TICK_REPORTED (1 << 0)   /* an interval's report was made: tick again before waiting */
#define KS_TICK_DONE     (1 << 1)   /* -d passed, [count] reports made, or the output failed */

/*
 * The interval policy at time now (CLOCK_MONOTONIC ns; the first call
 * starts the clock): KS_TICK_* flags, and *timeout_ms lowered to when the
 * next tick or -d falls due.
 */
int ks_trace_tick(struct ks_trace *c, uint64_t now, int *timeout_ms);
/*
 * After a wait: the records to the tracer's event(), losses checked (every
 * 250 ms), housekeeping (every second), the output flushed. 0, or the
 * output's error (-EPIPE: its reader left).
 */
int ks_trace_poll(struct ks_trace *c, uint64_t now);
/* Tracing ended: 0, or -EIO if finish() could not write what it owns (it said so) */
int ks_trace_end(struct ks_trace *c);
/* The stderr lines of what was lost in all (ring buffer, pid map, full maps, malformed) */
void ks_trace_lost_summary(struct ks_trace *c);
/* Detach and free everything; no BPF program of c stays attached. NULL is fine. */
void ks_trace_close(struct ks_trace *c);

/* What a context has done so far, for a long-running caller's own metrics (kscope agent) */
struct ks_trace_stats {
	uint64_t reports;              /* interval reports made */
	uint64_t report_ns;            /* how long the last one took (collect and render) */
	int report_rc;                 /* what the last one returned: 0, or -errno */
	uint64_t lost[KS_LOST_MAX];    /* counted by the kernel side, by KS_LOST_* */
	uint64_t malformed;            /* records the tracer could not decode */
};
void ks_trace_stats(const struct ks_trace *c, struct ks_trace_stats *s);
/* Why KS_LOST_* k counts ("ringbuf_full"...): the JSON reason of a "lost" record */
const char *ks_lost_reason(int k);
/*
 * A new interval from now on (seconds > 0): the period in progress ends at
 * now + seconds. Contexts of one session given the same now stay aligned.
 */
void ks_trace_set_interval(struct ks_trace *c, double seconds, uint64_t now);
/* Its BPF object (loaded: each program's fd, name and kernel run statistics) */
struct bpf_object *ks_trace_object(const struct ks_trace *c);

/*
 * The run layer (session.c): what one process has once, however many
 * tracers it runs, and the loop over their contexts. It prints, and
 * chooses the exit code.
 */
struct ks_session_tracer {
	const struct ks_tracer *t;
	struct ks_opts *o;
	void *state;
};

#define KS_SESSION_MAX 16

/*
 * Run n tracers in this process at once, each in its own context, all
 * polled in one loop, until a stop signal, PROGRAM's exit, the first -d or
 * [count] to end, or an output that fails. The first tracer's options are
 * the session's: -v (libbpf's messages), --flush-ms and -- PROGRAM (the
 * others must name the same PROGRAM to trace only it: its pid is tracked
 * in each). Returns the process exit code; every o is released.
 */
int ks_session_run(const struct ks_session_tracer *tr, int n);

/*
 * A caller that lives beside its tracers (kscope agent): told when every
 * tracer is attached and begun, and after each turn of the loop in which
 * one of them reported. started() returns 0 to go on, 1 to end the run at
 * once as a success (a configuration check), or -1 after saying why it
 * cannot go on (a failure: exit 1).
 */
struct ks_session_hooks {
	void *ctx;
	int (*started)(void *ctx, struct ks_trace *const *c, int n);
	void (*reported)(void *ctx, struct ks_trace *const *c, int n);
	/*
	 * A file of the caller's polled in the same loop (a terminal's input:
	 * kscope top), used only with input(), which is called when it is
	 * readable or a signal (SIGWINCH) woke the loop, and returns non-zero
	 * to end the run.
	 */
	int input_fd;
	int (*input)(void *ctx, struct ks_trace *const *c, int n);
	/* after every tracer's last report (ks_trace_end), before the loss lines */
	void (*ended)(void *ctx, struct ks_trace *const *c, int n);
};
int ks_session_run_hooks(const struct ks_session_tracer *tr, int n,
			 const struct ks_session_hooks *h);
/*
 * A command run as a part of the caller's session (ks_part) from a static
 * argv (its own options), nothing of it printed: its tables go to `sink`
 * (with priv), the rest of its output (JSON) to out_fd; its ring buffer at
 * most ringbuf_kb (0: its own). *tr is its entry for ks_session_run. 0, or
 * the exit code after saying why.
 */
struct ks_part_spec {
	int (*part)(struct ks_part *p, const struct ks_opts *base, int argc, char **argv);
	const char *const *argv;       /* NULL-terminated, its command's name first */
	uint32_t ringbuf_kb;
};
int ks_part_start(struct ks_part *p, const struct ks_part_spec *spec, const struct ks_opts *base,
		  const struct ks_sink_ops *sink, void *priv, int out_fd,
		  struct ks_session_tracer *tr);

/* Run one tracer to completion; returns the process exit code. */
int ks_trace_run(const struct ks_tracer *t, struct ks_opts *o, void *state);

/*
 * Read a tracer's plans from its skeleton (opened, never loaded) and choose
 * per probe for this kernel. follow: include the follow-children probes.
 */
int ks_plan_for_kernel(const struct ks_tracer *t, bool follow, unsigned forbid,
		       struct ks_probe_plan *plans, int *nplans);

#endif

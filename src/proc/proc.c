// SPDX-License-Identifier: GPL-2.0
/*
 * kscope proc: process and thread lifecycle -- fork/clone, exec, exit --
 * streamed as a table or NDJSON, summarized as a process tree, or counted
 * per command name in the kernel (--summary: proc_summary.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../kscope.h"
#include "../engine/cli.h"
#include "../engine/out.h"
#include "../engine/table.h"
#include "../engine/trace.h"
#include "../engine/util.h"
#include "proc.h"
#include "proc.skel.h"

KS_SKEL_OPS_SELF_FOLLOW(proc_bpf);	/* proc.bpf.c: KS_SELF_FOLLOW */

#define EV_FORK (1u << PROC_EV_FORK)
#define EV_EXEC (1u << PROC_EV_EXEC)
#define EV_EXIT (1u << PROC_EV_EXIT)
#define EV_ALL  (EV_FORK | EV_EXEC | EV_EXIT)

enum sort_key { SORT_FORKS, SORT_EXECS, SORT_EXITS };

struct proc_state {
	const struct ks_opts *opts;
	unsigned events;          /* EV_* to show (--summary: to count) */
	bool tree;
	bool failed_execs;        /* -x */
	struct proc_tree *t;
	/* --summary */
	bool summary;
	int sort;                 /* enum sort_key; -1 until -s */
	unsigned top;             /* -n; 0 all */
	long max_names;           /* the kernel's map size (KSCOPE_PROC_SUMMARY_MAX) */
	struct ks_table *table;
	struct proc_bpf *skel;
	uint64_t period_start;
};

/* ---- the tracer ---------------------------------------------------------- */

static const struct ks_probe proc_probes[] = {
	{ "fork", { KS_PROG(proc_bpf, handle_fork_btf), KS_PROG(proc_bpf, handle_fork_raw),
		    KS_PROG(proc_bpf, handle_fork_tp) }, KS_PROBE_OPTIONAL },
	{ "exec", { KS_PROG(proc_bpf, handle_exec_btf), KS_PROG(proc_bpf, handle_exec_raw),
		    KS_PROG(proc_bpf, handle_exec_tp) }, KS_PROBE_OPTIONAL },
	{ "exit", { KS_PROG(proc_bpf, handle_exit_fentry), KS_PROG(proc_bpf, handle_exit_kprobe),
		    KS_PROG(proc_bpf, handle_exit_btf), KS_PROG(proc_bpf, handle_exit_raw),
		    KS_PROG(proc_bpf, handle_exit_tp) }, KS_PROBE_OPTIONAL },
	/* -x: failed execs, from the syscall tracepoints */
	{ "execve-enter", { KS_PROG(proc_bpf, handle_execve_enter) }, KS_PROBE_OPTIONAL },
	{ "execve-exit", { KS_PROG(proc_bpf, handle_execve_exit) }, KS_PROBE_OPTIONAL },
	{ "execveat-enter", { KS_PROG(proc_bpf, handle_execveat_enter) }, KS_PROBE_OPTIONAL },
	{ "execveat-exit", { KS_PROG(proc_bpf, handle_execveat_exit) }, KS_PROBE_OPTIONAL },
};

static bool proc_wanted(void *state, const struct ks_probe *p)
{
	struct proc_state *st = state;
	/* fork and exit also keep the followed-process set up to date */
	bool follow = st->opts->follow;

	if (!strcmp(p->name, "fork"))
		return (st->events & EV_FORK) || follow;
	if (!strcmp(p->name, "exec"))
		return st->events & EV_EXEC;
	if (!strcmp(p->name, "exit"))
		return (st->events & EV_EXIT) || follow;
	return !strncmp(p->name, "execve", 6) && st->failed_execs && (st->events & EV_EXEC);
}

/* --summary: which events the kernel counts, and how many names it keeps */
static int proc_configure(void *state, void *skel)
{
	struct proc_state *st = state;
	struct proc_bpf *s = skel;

	s->rodata->count_events = st->summary ? st->events : 0;
	return bpf_map__set_max_entries(s->maps.comm_stats, st->summary ? st->max_names : 1) ?:
	       bpf_map__set_max_entries(s->maps.exit_claims, st->summary ? 4096 : 1);
}

static int proc_start(void *state, void *skel, struct ks_out *o)
{
	struct proc_state *st = state;

	st->skel = skel;
	/*
	 * --summary: the first period starts now, with what the programs counted
	 * since they were attached (with -- PROGRAM nothing: it is held until now)
	 */
	st->period_start = ks_now_ns(CLOCK_MONOTONIC);
	if (!st->tree && !st->summary)
		ks_rec_header(o);
	return 0;
}

static int proc_event(void *state, struct ks_out *o, const void *data, size_t size)
{
	struct proc_state *st = state;
	int type = proc_event_check(data, size);

	if (type < 0 || st->summary)
		return -EINVAL;	/* --summary: the kernel sends no record */
	if (st->tree)
		return proc_tree_add(st->t, data, size);
	if (!(st->events & (1u << type)))
		return 0;	/* loaded only to follow children */
	return proc_event_print(o, data, size);
}

/* --summary: every interval, and once at the end */
static int proc_report(void *state, struct ks_out *o, unsigned flags)
{
	struct proc_state *st = state;
	int err;

	(void)flags;
	if (!st->summary)
		return 0;
	/* without memory for a new name's row, the others are still shown */
	err = proc_stat_collect(st->table, bpf_map__fd(st->skel->maps.comm_stats),
				bpf_map__fd(st->skel->maps.comm_other));
	ks_table_report(st->table, o, NULL, st->opts->interval_s > 0, &st->period_start);
	return err;
}

/*
 * --summary: the exit claims of processes that are gone. A process's /proc
 * entry outlives its threads' exits (its leader is reaped last), so once
 * it is gone no thread of it can claim again. A reused pid
 * keeps the stale claim until that process goes too (another start: it
 * claims under its own key).
 */
static void proc_housekeeping(void *state)
{
	struct proc_state *st = state;
	struct exit_claim_key key, next, *prev = NULL;
	struct ks_vec gone = KS_VEC(struct exit_claim_key);
	int fd;

	if (!st->summary || !st->skel)
		return;
	fd = bpf_map__fd(st->skel->maps.exit_claims);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!ks_pid_alive(key.tgid))
			ks_vec_push(&gone, &key);
	}
	ks_map_delete_keys(fd, &gone);
}

static int proc_finish(void *state, struct ks_out *o)
{
	struct proc_state *st = state;

	if (st->tree)
		proc_tree_print(st->t, o);
	return 0;
}

const struct ks_tracer proc_tracer = {
	KS_TRACER(proc, "process lifecycle (fork, exec, exit)"),
	.configure = proc_configure,
	.wanted = proc_wanted,
	.start = proc_start,
	.event = proc_event,
	.report = proc_report,
	.housekeeping = proc_housekeeping,
	.finish = proc_finish,
};

/* ---- command line -------------------------------------------------------- */

enum { OPT_TREE = 0x200, OPT_SUMMARY };

static const struct ks_cli_opt proc_opts[] = {
	{ "event", 'e', "LIST", "only these events: fork,exec,exit (default: all)" },
	{ "failed", 'x', NULL, "also failed execs, with their error (ret < 0); slows every syscall a little",
	  KS_CLI_SET(struct proc_state, failed_execs) },
	{ "tree", OPT_TREE, NULL, "at the end, print the process tree of everything seen",
	  KS_CLI_SET(struct proc_state, tree) },
	{ "summary", OPT_SUMMARY, NULL, "counts per command name, made in the kernel (no record per "
	  "event): every interval, or at the end", KS_CLI_SET(struct proc_state, summary) },
	{ "sort", 's', "KEY", "--summary: order rows by forks, execs (default) or exits" },
	{ "top", 'n', "N", "--summary: show the first N rows only" },
	{ 0 }
};

static struct ks_cli proc_cli;

static int add_event(void *ctx, const char *name)
{
	unsigned *mask = ctx;

	if (!strcmp(name, "fork"))
		*mask |= EV_FORK;
	else if (!strcmp(name, "exec"))
		*mask |= EV_EXEC;
	else if (!strcmp(name, "exit"))
		*mask |= EV_EXIT;
	else
		return -EINVAL;
	return 0;
}

static int parse_events(const char *arg, unsigned *mask)
{
	*mask = 0;
	return ks_cli_list(arg, add_event, mask);
}

static int proc_parse(void *state, int key, const char *arg)
{
	struct proc_state *st = state;

	if (key != 'e')
		return -1;
	if (parse_events(arg, &st->events)) {
		ks_cli_error(&proc_cli, "invalid --event '%s' (fork,exec,exit)", arg);
		return -1;
	}
	return 0;
}

/* --summary: the table, what it counts, and the kernel's map size */
static int summary_setup(struct proc_state *st, struct ks_opts *o)
{
	const char *max = getenv("KSCOPE_PROC_SUMMARY_MAX");	/* a test knob (test_proc_summary.py) */
	bool exec = st->events & EV_EXEC, exits = st->events & EV_EXIT;

	st->max_names = proc_summary_max(max);
	if (st->max_names < 0) {
		ks_cli_error(&proc_cli, "invalid KSCOPE_PROC_SUMMARY_MAX '%s' (1..%d)", max,
			     PROC_SUMMARY_MAX);
		return KS_EXIT_USAGE;
	}
	/* nothing goes through the ring buffer: no need for the default 4 MiB */
	if (o->ringbuf_kb > 64)
		o->ringbuf_kb = 64;
	st->table = proc_stat_table_new();
	if (!st->table)
		return KS_EXIT_FAIL;
	ks_table_hide(st->table, PROC_C_EXEC_FAILED, !st->failed_execs);
	/* -e: what is not counted is not 0 but unknown */
	ks_table_absent(st->table, PROC_C_FORKS, !(st->events & EV_FORK));
	ks_table_absent(st->table, PROC_C_EXECS, !exec);
	ks_table_absent(st->table, PROC_C_EXEC_FAILED, !exec);
	for (int c = PROC_C_EXITS; c <= PROC_C_KILLED; c++)
		ks_table_absent(st->table, c, !exits);
	ks_table_sort(st->table, st->sort == SORT_FORKS ? PROC_C_FORKS :
				 st->sort == SORT_EXITS ? PROC_C_EXITS : PROC_C_EXECS);
	ks_table_top(st->table, st->top);
	return 0;
}

static int proc_setup(void *state, struct ks_opts *o)
{
	struct proc_state *st = state;

	st->opts = o;
	if (st->summary)
		return summary_setup(st, o);
	if (o->interval_s > 0 || st->sort >= 0 || st->top) {
		ks_cli_error(&proc_cli, "-s, -n and an interval are for --summary");
		return KS_EXIT_USAGE;
	}
	if (!st->tree)
		return 0;
	st->events = EV_ALL;
	st->t = proc_tree_new();
	return st->t ? 0 : KS_EXIT_FAIL;
}

static int proc_teardown(void *state, int rc)
{
	struct proc_state *st = state;

	proc_tree_free(st->t);
	ks_table_free(st->table);
	return rc;
}

static const struct ks_cli_conflict proc_conflicts[] = {
	{ OPT_TREE, 'e', "the tree is built from every fork, exec and exit" },
	{ OPT_TREE, 'C', "-C names the container of each event record, the tree has none" },
	{ OPT_TREE, 'x', "the tree shows the execs that happened, not the ones that failed" },
	{ OPT_TREE, OPT_SUMMARY, "the tree is built from each event, a summary counts them in the "
	  "kernel without any" },
	{ OPT_SUMMARY, 'C', "-C names the container of each event record, a summary row is a "
	  "command name" },
	{ 0 }
};

#define STR_(x) #x
#define STR(x) STR_(x)
#define NAMES_MAX STR(PROC_SUMMARY_MAX)

static struct ks_cli proc_cli = {
	.cmd = "proc",
	.summary = "Trace the process lifecycle: fork/clone, exec and exit, with task_struct details.",
	.details =
	"Each event shows the process (PID), thread (TID), parent (PPID) and command name.\n"
	"fork: the child and whether it is a thread. exec: filename and argv (the first\n"
	"4096 bytes of the argument block; longer lists are marked truncated). exit: exit\n"
	"code or signal, lifetime, CPU time, peak RSS, virtual memory size and priority.\n"
	"--summary counts them per command name in the kernel instead (forks and exits\n"
	"under the process's name, execs under the new one; exits by how they ended),\n"
	"printed every interval or once at the end; the kernel keeps " NAMES_MAX " names,\n"
	"and counts what it has no room for under " PROC_OTHER_COMM ".",
	.examples =
	"  kscope proc                       # every fork, exec and exit on the system\n"
	"  kscope proc -e exec -j            # execs as NDJSON\n"
	"  kscope proc -e exec -x            # execs, including the ones that failed\n"
	"  kscope proc --tree -- make -j2    # run make, print its process tree\n"
	"  kscope proc --summary 10          # forks, execs, exits per command, every 10 s\n",
	KS_CLI_OF(proc),
	/* -s KEY: in enum sort_key's order */
	KS_CLI_SORT(struct proc_state, sort, top, "forks", "execs", "exits"),
	.flags = KS_CLI_TRACE | KS_CLI_INTERVAL | KS_CLI_PROGRAM,
};

KS_COMMAND(proc, struct proc_state, { .events = EV_ALL, .sort = -1 })

// SPDX-License-Identifier: GPL-2.0
/*
 * kscope proc: process and thread lifecycle -- fork/clone, exec, exit --
 * streamed as a table or NDJSON, or summarized as a process tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kscope.h"
#include "../engine/cli.h"
#include "../engine/out.h"
#include "../engine/trace.h"
#include "../engine/util.h"
#include "proc.h"
#include "proc.skel.h"

KS_SKEL_OPS_SELF_FOLLOW(proc_bpf);	/* proc.bpf.c: KS_SELF_FOLLOW */

#define EV_FORK (1u << PROC_EV_FORK)
#define EV_EXEC (1u << PROC_EV_EXEC)
#define EV_EXIT (1u << PROC_EV_EXIT)
#define EV_ALL  (EV_FORK | EV_EXEC | EV_EXIT)

struct proc_state {
	const struct ks_opts *opts;
	unsigned events;          /* EV_* to show */
	bool tree;
	bool failed_execs;        /* -x */
	struct proc_tree *t;
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

static int proc_start(void *state, void *skel, struct ks_out *o)
{
	struct proc_state *st = state;

	(void)skel;
	if (!st->tree)
		ks_rec_header(o);
	return 0;
}

static int proc_event(void *state, struct ks_out *o, const void *data, size_t size)
{
	struct proc_state *st = state;
	int type = proc_event_check(data, size);

	if (type < 0)
		return -EINVAL;
	if (st->tree)
		return proc_tree_add(st->t, data, size);
	if (!(st->events & (1u << type)))
		return 0;	/* loaded only to follow children */
	return proc_event_print(o, data, size);
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
	.wanted = proc_wanted,
	.start = proc_start,
	.event = proc_event,
	.finish = proc_finish,
};

/* ---- command line -------------------------------------------------------- */

enum { OPT_TREE = 0x200 };

static const struct ks_cli_opt proc_opts[] = {
	{ "event", 'e', "LIST", "only these events: fork,exec,exit (default: all)" },
	{ "failed", 'x', NULL, "also failed execs, with their error (ret < 0); slows every syscall a little",
	  KS_CLI_SET(struct proc_state, failed_execs) },
	{ "tree", OPT_TREE, NULL, "at the end, print the process tree of everything seen",
	  KS_CLI_SET(struct proc_state, tree) },
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

static int proc_setup(void *state, struct ks_opts *o)
{
	struct proc_state *st = state;

	st->opts = o;
	if (!st->tree)
		return 0;
	st->events = EV_ALL;
	st->t = proc_tree_new();
	return st->t ? 0 : KS_EXIT_FAIL;
}

static int proc_teardown(void *state, int rc)
{
	proc_tree_free(((struct proc_state *)state)->t);
	return rc;
}

static const struct ks_cli_conflict proc_conflicts[] = {
	{ OPT_TREE, 'e', "the tree is built from every fork, exec and exit" },
	{ OPT_TREE, 'C', "-C names the container of each event record, the tree has none" },
	{ OPT_TREE, 'x', "the tree shows the execs that happened, not the ones that failed" },
	{ 0 }
};

static struct ks_cli proc_cli = {
	.cmd = "proc",
	.summary = "Trace the process lifecycle: fork/clone, exec and exit, with task_struct details.",
	.details =
	"Each event shows the process (PID), thread (TID), parent (PPID) and command name.\n"
	"fork: the child and whether it is a thread. exec: filename and argv (the first\n"
	"4096 bytes of the argument block; longer lists are marked truncated). exit: exit\n"
	"code or signal, lifetime, CPU time, peak RSS, virtual memory size and priority.",
	.examples =
	"  kscope proc                       # every fork, exec and exit on the system\n"
	"  kscope proc -e exec -j            # execs as NDJSON\n"
	"  kscope proc -e exec -x            # execs, including the ones that failed\n"
	"  kscope proc --tree -- make -j2    # run make, print its process tree\n",
	KS_CLI_OF(proc),
	.flags = KS_CLI_TRACE | KS_CLI_PROGRAM,
};

int cmd_proc(int argc, char **argv)
{
	struct proc_state st = { .events = EV_ALL };

	return ks_command_run(&proc_cli, &proc_tracer, &st, argc, argv);
}

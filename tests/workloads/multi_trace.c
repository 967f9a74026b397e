// SPDX-License-Identifier: GPL-2.0
/*
 * multi_trace HELLO_OUT SYSCALL_OUT [SYSCALL_OPTION...] -- PROGRAM [ARGS...]
 *
 * Two tracers in one process at once: `kscope hello -j -o HELLO_OUT` and
 * `kscope syscall -j -o SYSCALL_OUT [SYSCALL_OPTION...]`, both with
 * `-- PROGRAM [ARGS...]`, each in its own tracing context, polled in one
 * loop (ks_session_run, docs/engine.md). PROGRAM is started once and
 * traced by both.
 *
 * Not a plain workload: it links kscope's own objects (its rule in the
 * Makefile) with ks_trace_run wrapped (-Wl,--wrap=ks_trace_run). Each
 * command's real entry point parses its real command line and builds its
 * real state, and then calls ks_trace_run: the call is caught here, and
 * the last command's runs the session of both.
 *
 * Once the session has ended, one line on stdout: the BPF objects this
 * process still holds, "left prog=0 map=0 link=0" when every context
 * was closed. Exit status: the session's (PROGRAM's with -- PROGRAM).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kscope.h"
#include "engine/cli.h"
#include "engine/trace.h"

int __wrap_ks_trace_run(const struct ks_tracer *t, struct ks_opts *o, void *state);

static struct ks_session_tracer caught[2];
static int ncaught;
static int syscall_argc;
static char **syscall_argv;

int __wrap_ks_trace_run(const struct ks_tracer *t, struct ks_opts *o, void *state)
{
	int rc;

	caught[ncaught++] = (struct ks_session_tracer){ t, o, state };
	if (ncaught < 2) {
		/* hello's: now syscall's, whose own call runs them both */
		rc = cmd_syscall(syscall_argc, syscall_argv);
		if (ncaught < 2)
			ks_opts_release(o);	/* syscall refused its command line */
		return rc;
	}
	return ks_session_run(caught, ncaught);
}

/* The BPF programs, maps and links this process holds */
static void say_left(void)
{
	int prog = 0, map = 0, link = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[300], target[64];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		prog += !strcmp(target, "anon_inode:bpf-prog");
		map += !strcmp(target, "anon_inode:bpf-map");
		link += !strcmp(target, "anon_inode:bpf_link");
	}
	if (d)
		closedir(d);
	printf("left prog=%d map=%d link=%d\n", prog, map, link);
}

int main(int argc, char **argv)
{
	char *hello[argc + 4], *sys[argc + 4];
	int rc, nh = 0, ns = 0, dd = 3;

	while (dd < argc && strcmp(argv[dd], "--"))
		dd++;
	if (dd + 1 >= argc) {
		fprintf(stderr, "usage: multi_trace HELLO_OUT SYSCALL_OUT [SYSCALL_OPTION...] "
			"-- PROGRAM [ARGS...]\n");
		return 2;
	}
	hello[nh++] = "hello";
	sys[ns++] = "syscall";
	hello[nh++] = sys[ns++] = "-j";
	hello[nh++] = sys[ns++] = "-o";
	hello[nh++] = argv[1];
	sys[ns++] = argv[2];
	for (int i = 3; i < dd; i++)
		sys[ns++] = argv[i];
	for (int i = dd; i < argc; i++)
		hello[nh++] = sys[ns++] = argv[i];
	hello[nh] = sys[ns] = NULL;
	syscall_argc = ns;
	syscall_argv = sys;
	rc = cmd_hello(nh, hello);
	say_left();
	return rc;
}

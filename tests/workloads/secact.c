// SPDX-License-Identifier: GPL-2.0
/*
 * secact -U
 *   In a new user namespace (unshare(CLONE_NEWUSER): all capabilities there),
 *   a new UTS namespace, then sethostname() x2: two CAP_SYS_ADMIN checks
 *   against a child user namespace, granted. Prints {"pid": PID}. Exit
 *   status 77 if the kernel refuses the user namespace (EPERM: in a chroot).
 * secact [-q] [-m DIR] [-s SOURCE] [-n NAME] [-b BADNAME] [-x FILE] [-c COMM]
 *   Privileged actions whose every detail the test knows (kscope security),
 *   as root, in this order:
 *     - comm set to COMM (prctl), if given;
 *     - unshare(CLONE_NEWUTS | CLONE_NEWNS), then / made private (mount
 *       MS_REC|MS_PRIVATE): the host's names and mounts are never touched;
 *     - sethostname() x5 (granted CAP_SYS_ADMIN checks);
 *     - with -m: mount tmpfs from SOURCE (default "kscope") on DIR, umount it;
 *     - a child forked, ptrace(PTRACE_ATTACH) and PTRACE_DETACH of it, killed;
 *     - bpf(BPF_PROG_LOAD) of a 2-instruction socket filter named NAME
 *       (default "secact"); with -b, another named BADNAME (refused if it is
 *       not [A-Za-z0-9_.]*);
 *     - finit_module(-1, "", 0) and init_module(NULL, 0, ""): both fail;
 *     - a child forked that calls setresuid(1000, 1000, 1000), then
 *       sethostname() x3 (each denied: EPERM);
 *     - with -x: a child forked that execs FILE (a set-uid file).
 *   Prints one JSON object (-q: nothing): the pids and every result, for
 *   the test to compare with what kscope saw. Exit status 0; 2 usage; 1 a step that
 *   must succeed failed (said on stderr).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int fail(const char *what)
{
	fprintf(stderr, "secact: %s: %s\n", what, strerror(errno));
	return 1;
}

/* A 2-instruction socket filter (r0 = 0; exit) named name: the fd, or -errno */
static long prog_load(const char *name)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (unsigned long)insns;
	a.insn_cnt = 2;
	a.license = (unsigned long)"GPL";
	strncpy(a.prog_name, name, sizeof(a.prog_name) - 1);
	fd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *source = "kscope", *name = "secact", *bad = NULL;
	const char *file = NULL, *comm = NULL;
	long fd, bad_ret = 0, finit_ret, init_ret;
	pid_t traced, dropper, execer = 0;
	int opt, status;
	int quiet = 0;

	while ((opt = getopt(argc, argv, "Uqm:s:n:b:x:c:")) != -1) {
		switch (opt) {
		case 'U':
			if (unshare(CLONE_NEWUSER)) {
				int err = errno;

				/* refused in a chroot: 77, "cannot be done here" */
				fail("unshare user");
				return err == EPERM ? 77 : 1;
			}
			if (unshare(CLONE_NEWUTS))
				return fail("unshare uts");
			for (int i = 0; i < 2; i++)
				if (sethostname("kscope-userns", 13))
					return fail("sethostname");
			printf("{\"pid\": %d}\n", getpid());
			return 0;
		case 'q': quiet = 1; break;
		case 'm': dir = optarg; break;
		case 's': source = optarg; break;
		case 'n': name = optarg; break;
		case 'b': bad = optarg; break;
		case 'x': file = optarg; break;
		case 'c': comm = optarg; break;
		default:
			fprintf(stderr, "usage: secact -U | [-q] [-m DIR] [-s SOURCE] [-n NAME] [-b BADNAME] "
				"[-x FILE] [-c COMM]\n");
			return 2;
		}
	}
	if (comm && prctl(PR_SET_NAME, comm))
		return fail("prctl");
	if (unshare(CLONE_NEWUTS | CLONE_NEWNS))
		return fail("unshare");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return fail("mount / private");
	for (int i = 0; i < 5; i++)
		if (sethostname("kscope", 6))
			return fail("sethostname");
	if (dir) {
		if (mount(source, dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=1M"))
			return fail("mount tmpfs");
		if (umount2(dir, 0))
			return fail("umount");
	}

	traced = fork();
	if (traced < 0)
		return fail("fork");
	if (!traced) {
		pause();
		_exit(0);
	}
	if (ptrace(PTRACE_ATTACH, traced, 0, 0))
		return fail("ptrace attach");
	waitpid(traced, &status, 0);
	if (ptrace(PTRACE_DETACH, traced, 0, 0))
		return fail("ptrace detach");
	kill(traced, SIGKILL);
	waitpid(traced, &status, 0);

	fd = prog_load(name);
	if (fd < 0) {
		errno = -fd;
		return fail("bpf prog load");
	}
	if (bad)
		bad_ret = prog_load(bad);

	finit_ret = syscall(SYS_finit_module, -1, "", 0) < 0 ? -errno : 0;
	init_ret = syscall(SYS_init_module, NULL, 0, "") < 0 ? -errno : 0;

	dropper = fork();
	if (dropper < 0)
		return fail("fork");
	if (!dropper) {
		if (setresuid(1000, 1000, 1000))
			_exit(3);
		for (int i = 0; i < 3; i++)
			if (sethostname("nope", 4) == 0 || errno != EPERM)
				_exit(4);
		_exit(0);
	}
	waitpid(dropper, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "secact: the uid 1000 child failed (status %#x)\n", status);
		return 1;
	}

	if (file) {
		execer = fork();
		if (execer < 0)
			return fail("fork");
		if (!execer) {
			execl(file, file, (char *)NULL);
			_exit(127);
		}
		waitpid(execer, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "secact: %s failed (status %#x)\n", file, status);
			return 1;
		}
	}

	if (!quiet)
		printf("{\"pid\": %d, \"traced\": %d, \"dropper\": %d, \"execer\": %d, \"bpf_fd\": %ld, "
	       "\"bad_ret\": %ld, \"finit_ret\": %ld, \"init_ret\": %ld}\n", getpid(), traced,
	       dropper, execer, fd, bad_ret, finit_ret, init_ret);
	close(fd);
	return 0;
}

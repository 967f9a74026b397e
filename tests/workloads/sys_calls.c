// SPDX-License-Identifier: GPL-2.0
/*
 * sys_calls [-g GO_FILE] [-o open|openat] [-i PACE_US] [-t T] [-c N2,M2] [-x K] INFO N M
 *
 * Makes exactly N getppid() calls and then M failing opens of a path that
 * does not exist (ENOENT), each through syscall(2), so nothing else is
 * called in between. For `kscope syscall`, whose counts must then be exact.
 *
 * INFO_FILE is opened and written, one "key value" per line, with "pid P"
 * and the numbers used ("getppid_nr", "fail_nr", and "fail_open 1" or
 * "fail_openat 1") before anything else (before the gate too), so that
 * after the gate no open/openat other than the M failing ones is made.
 * "thread TID" and "child PID" follow when those are created, then "ppid"
 * (what getppid returned) and "done 1", all with write(2) on that fd. No
 * getppid() is made but the counted ones.
 *
 * -g GO_FILE: make no counted call before GO_FILE exists (polled every 5 ms
 *   with access(2) and nanosleep), so that a tracer can attach to this pid
 *   first.
 * -o open|openat: the failing call: openat(AT_FDCWD, path, O_RDONLY)
 *   (default), or the legacy open(path, O_RDONLY) where the architecture
 *   has it (x86_64), which neither the dynamic loader nor the C library
 *   ever use: with -- PROGRAM the open count is then exactly M.
 * -i PACE_US: sleep PACE_US microseconds after every counted call.
 * -t T: first, a thread makes T getppid() calls and exits (SYS_exit).
 * -c N2,M2: then a forked child makes N2 getppid() calls and M2 failing
 *   opens and exits (exit_group); the parent waits for it before its own.
 * -x K: after its M failing opens, K more of "/" for writing (EISDIR), with
 *   the same call: one syscall, two errno values.
 *
 * Exits 0; 2 on usage errors; 3 when a call did not do what it should (a
 * getppid returning another pid, an open that did not fail as it should).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MISSING "/kscope-nonexistent/no-such-file"

static long pace_us;
static int use_open;
static int info_fd = -1;
static long thread_calls;

static void pace(void)
{
	struct timespec ts = { pace_us / 1000000, (pace_us % 1000000) * 1000 };

	if (pace_us)
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
}

static void say(const char *key, long v)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "%s %ld\n", key, v);

	if (write(info_fd, line, n) != n)
		exit(2);
}

/* n getppid() calls that must all return want (-1: the same as the first) */
static pid_t getppids(long n, pid_t want)
{
	for (long i = 0; i < n; i++) {
		long r = syscall(SYS_getppid);

		if (want < 0)
			want = r;
		if (r != want)
			exit(3);
		pace();
	}
	return want;
}

/* m opens of path with flags that must fail with err */
static void fail_opens(long m, const char *path, int flags, int err)
{
	for (long i = 0; i < m; i++) {
		long r;

#ifdef SYS_open
		if (use_open)
			r = syscall(SYS_open, path, flags);
		else
#endif
			r = syscall(SYS_openat, AT_FDCWD, path, flags);
		if (r != -1 || errno != err)
			exit(3);
		pace();
	}
}

static void *thread_main(void *arg)
{
	(void)arg;
	say("thread", syscall(SYS_gettid));
	getppids(thread_calls, -1);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *go = NULL;
	long n, m, n2 = -1, m2 = -1, k = 0;
	pid_t ppid;
	int opt;

	while ((opt = getopt(argc, argv, "+g:o:i:t:c:x:")) != -1) {
		switch (opt) {
		case 'g':
			go = optarg;
			break;
		case 'o':
			if (!strcmp(optarg, "open"))
				use_open = 1;
			else if (strcmp(optarg, "openat"))
				return 2;
			break;
		case 'i':
			pace_us = atol(optarg);
			break;
		case 't':
			thread_calls = atol(optarg);
			break;
		case 'x':
			k = atol(optarg);
			break;
		case 'c':
			if (sscanf(optarg, "%ld,%ld", &n2, &m2) != 2)
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: sys_calls [-g GO_FILE] [-o open|openat] [-i PACE_US] "
			"[-t T] [-c N2,M2] [-x K] INFO N M\n");
		return 2;
	}
#ifndef SYS_open
	if (use_open) {
		fprintf(stderr, "sys_calls: no open syscall on this architecture\n");
		return 2;
	}
#endif
	n = atol(argv[optind + 1]);
	m = atol(argv[optind + 2]);
	info_fd = open(argv[optind], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (info_fd < 0)
		return 2;
	say("pid", getpid());
	say("getppid_nr", SYS_getppid);
#ifdef SYS_open
	say("fail_nr", use_open ? SYS_open : SYS_openat);
#else
	say("fail_nr", SYS_openat);
#endif
	say(use_open ? "fail_open" : "fail_openat", 1);
	if (go) {
		struct timespec ms5 = { 0, 5000000 };

		while (access(go, F_OK))
			nanosleep(&ms5, NULL);
	}
	if (thread_calls) {
		pthread_t t;

		if (pthread_create(&t, NULL, thread_main, NULL) || pthread_join(t, NULL))
			return 2;
	}
	if (n2 >= 0) {
		pid_t parent = getpid(), child = fork();
		int st;

		if (child < 0)
			return 2;
		if (child == 0) {
			getppids(n2, parent);
			fail_opens(m2, MISSING, O_RDONLY, ENOENT);
			_exit(0);
		}
		say("child", child);
		if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
			return 3;
	}
	ppid = getppids(n, -1);
	fail_opens(m, MISSING, O_RDONLY, ENOENT);
	fail_opens(k, "/", O_WRONLY, EISDIR);
	say("ppid", ppid);
	say("done", 1);
	close(info_fd);
	return 0;
}

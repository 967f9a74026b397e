// SPDX-License-Identifier: GPL-2.0
/*
 * topload INFO_FILE N FILE K SIZE BURN_MS
 *
 * A process whose every number `kscope top` shows is known, for
 * tests/integration/test_top.py. In order:
 *   0. a 1 ms sleep: a switch-out before anything is counted (on the plain
 *      tracepoint path sched's accounting of a task starts at its first
 *      switch-out, so only the loader's start-up is left out there);
 *   1. N getppid() calls through syscall(2);
 *   2. FILE opened (O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC), K write()s of SIZE
 *      bytes each (a short write exits 3), closed;
 *   3. BURN_MS ms of its own CPU time burnt in a loop that makes no system
 *      call: an ITIMER_PROF timer (the process's CPU clock) ends it, so the
 *      number of calls does not depend on how fast the CPU is (a loop on
 *      clock_gettime(CLOCK_*CPUTIME_ID) would make a call per check);
 *   4. its CPU time read with clock_gettime(CLOCK_PROCESS_CPUTIME_ID);
 *   5. INFO_FILE written with one write(): "pid P\ncpu_ns C\n".
 * So between two runs that differ only in N, the process makes exactly the
 * difference in calls, whatever the loader and the C library make at
 * start-up; its write() bytes are exactly K * SIZE + the size of INFO_FILE;
 * and its CPU time at its exit is C plus the little its exit costs.
 * No stdio: nothing is buffered or allocated behind the counted calls.
 * Exits 0; 2 on usage errors; 3 when a call failed.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t burnt;

static void on_prof(int sig)
{
	(void)sig;
	burnt = 1;
}

static long num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0)
		exit(2);
	return v;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct itimerval it;
	struct timespec ts;
	volatile unsigned long x = 0;
	long n, k, size, ms;
	char *buf, info[128];
	int fd, len;
	pid_t ppid;

	if (argc != 7) {
		(void)!write(2, "usage: topload INFO_FILE N FILE K SIZE BURN_MS\n", 47);
		return 2;
	}
	n = num(argv[2]);
	k = num(argv[4]);
	size = num(argv[5]);
	ms = num(argv[6]);
	buf = malloc(size ? size : 1);
	if (!buf)
		return 2;
	memset(buf, 't', size);

	ts.tv_sec = 0;
	ts.tv_nsec = 1000 * 1000;
	if (nanosleep(&ts, NULL))
		return 3;
	ppid = syscall(SYS_getppid);
	for (long i = 1; i < n; i++)
		if (syscall(SYS_getppid) != ppid)
			return 3;

	fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return 3;
	for (long i = 0; i < k; i++)
		if (write(fd, buf, size) != size)
			return 3;
	if (close(fd))
		return 3;

	if (ms) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_prof;
		if (sigaction(SIGPROF, &sa, NULL))
			return 3;
		memset(&it, 0, sizeof(it));
		it.it_value.tv_sec = ms / 1000;
		it.it_value.tv_usec = ms % 1000 * 1000;
		if (setitimer(ITIMER_PROF, &it, NULL))
			return 3;
		while (!burnt)
			x++;
	}

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return 3;
	len = snprintf(info, sizeof(info), "pid %d\ncpu_ns %llu\n", getpid(),
		       ts.tv_sec * 1000000000ull + ts.tv_nsec);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, info, len) != len || close(fd))
		return 3;
	return 0;
}

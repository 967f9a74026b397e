// SPDX-License-Identifier: GPL-2.0
/*
 * capstorm: a capability-check storm, with an exact count of checks.
 *
 *   capstorm [-n CALLS] [-c CPU] [-w WARMUP]
 *
 * One thread, pinned to CPU (default 1), first moves to a UTS namespace of
 * its own (unshare(CLONE_NEWUTS): the machine's host name is never
 * touched), then makes CALLS (default 500000) sethostname("kscope-bench")
 * system calls back to back, through syscall(SYS_sethostname) so that no
 * libc wrapper stands in between. Each call makes exactly one capability
 * check, ns_capable(the UTS namespace's user namespace, CAP_SYS_ADMIN), the
 * one cap_capable() call (and tracepoint capability:cap_capable event) of
 * the call, granted (run as root in the initial user namespace); then it
 * copies 12 bytes under the UTS semaphore. The unshare() itself makes one
 * more CAP_SYS_ADMIN check, before the warm-up.
 *
 * WARMUP calls (default 10000) run first, untimed: a tracer of the process
 * counts them too (checks_total). Around the timed loop the thread reads its
 * own context-switch counters and CPU time (getrusage RUSAGE_THREAD); every
 * call's return value is checked (0: granted and done).
 *
 * Prints one JSON object on stdout:
 *   {"syscall":"sethostname","nr":N,"cap":21,"cpu":...,"calls":CALLS,
 *    "warmup":WARMUP,"checks_per_call":1,"checks_expected":CALLS,
 *    "checks_total":1+WARMUP+CALLS,"failed":...,"elapsed_ns":...,"cpu_ns":...,
 *    "voluntary":...,"involuntary":...,"ns_per_check":...,"comm":...,"pid":...}
 * failed counts the calls that did not return 0 (errno of the first in
 * "errno"). checks_total is every CAP_SYS_ADMIN check the process made after
 * its exec: the unshare()'s, the warm-up's and the storm's. elapsed_ns is
 * CLOCK_MONOTONIC (vDSO) around the timed loop; cpu_ns the thread's user +
 * system time over it. Exit status: 0, or 2 on a setup error (pinning,
 * unshare).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* capability checks per sethostname() call (bpftrace on capability:cap_capable) */
#define CHECKS_PER_CALL 1
#define CAP_SYS_ADMIN_NR 21

static const char host[] = "kscope-bench";

static void usage(void)
{
	fprintf(stderr, "usage: capstorm [-n CALLS] [-c CPU] [-w WARMUP]\n");
	exit(2);
}

/* n sethostname() calls; returns how many did not return 0 (the first's errno in *err) */
static long storm(long n, int *err)
{
	long failed = 0;

	for (long i = 0; i < n; i++) {
		if (syscall(SYS_sethostname, host, sizeof(host) - 1)) {
			if (!failed++)
				*err = errno;
		}
	}
	return failed;
}

/* user + system time, in ns */
static unsigned long long cpu_ns(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000ull +
	       (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000ull;
}

int main(int argc, char **argv)
{
	long calls = 500000, warmup = 10000, failed;
	unsigned long long t0, t1;
	struct rusage before, after;
	char comm[17] = "";
	int cpu = 1, opt, err = 0;

	bench_name = "capstorm";
	while ((opt = getopt(argc, argv, "n:c:w:h")) != -1) {
		switch (opt) {
		case 'n': calls = strtol(optarg, NULL, 10); break;
		case 'c': cpu = atoi(optarg); break;
		case 'w': warmup = strtol(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (calls <= 0 || warmup < 0 || cpu < 0 || cpu >= CPU_SETSIZE)
		usage();
	if (prctl(PR_GET_NAME, comm))
		die("PR_GET_NAME");

	pin_cpu(cpu);
	/* a UTS namespace of its own: the storm renames it, not the machine */
	if (unshare(CLONE_NEWUTS))
		die("unshare(CLONE_NEWUTS)");

	storm(warmup, &err);
	if (getrusage(RUSAGE_THREAD, &before))
		die("getrusage");
	t0 = now_ns();
	failed = storm(calls, &err);
	t1 = now_ns();
	if (getrusage(RUSAGE_THREAD, &after))
		die("getrusage");

	printf("{\"syscall\":\"sethostname\",\"nr\":%d,\"cap\":%d,\"cpu\":%d,\"calls\":%ld,"
	       "\"warmup\":%ld,\"checks_per_call\":%d,\"checks_expected\":%ld,"
	       "\"checks_total\":%ld,\"failed\":%ld,\"errno\":%d,\"elapsed_ns\":%llu,"
	       "\"cpu_ns\":%llu,\"voluntary\":%ld,\"involuntary\":%ld,\"ns_per_check\":%.1f,"
	       "\"comm\":\"%s\",\"pid\":%d}\n",
	       (int)SYS_sethostname, CAP_SYS_ADMIN_NR, cpu, calls, warmup, CHECKS_PER_CALL,
	       calls * CHECKS_PER_CALL, 1 + (warmup + calls) * CHECKS_PER_CALL, failed, err,
	       t1 - t0, cpu_ns(&after) - cpu_ns(&before), after.ru_nvcsw - before.ru_nvcsw,
	       after.ru_nivcsw - before.ru_nivcsw,
	       (double)(t1 - t0) / (calls * CHECKS_PER_CALL), comm, (int)getpid());
	return 0;
}

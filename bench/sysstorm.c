// SPDX-License-Identifier: GPL-2.0
/*
 * sysstorm: a syscall storm with an exact count.
 *
 *   sysstorm [-n CALLS] [-c CPU] [-w WARMUP]
 *
 * One thread, pinned to CPU (default 1), makes CALLS (default 2000000)
 * getppid() system calls back to back, through syscall(SYS_getppid) so
 * that no libc wrapper or cache stands in between: every iteration is
 * exactly one entry into the kernel and one exit (one raw_syscalls:sys_enter
 * and one sys_exit event). getppid() is about the cheapest syscall there is,
 * so what a tracer adds per syscall is as visible as it can be.
 *
 * WARMUP calls (default 10000) run first, untimed. Around the timed loop the
 * thread reads its own context-switch counters (getrusage RUSAGE_THREAD) so
 * the runner can tell a clean storm from one that shared its CPU with other
 * tasks (involuntary switches); the return value of every call is checked
 * against the parent's pid.
 *
 * Prints one JSON object on stdout:
 *   {"syscall":"getppid","nr":N,"cpu":...,"calls":CALLS,"elapsed_ns":...,
 *    "syscalls_expected":CALLS,"bad_returns":...,"voluntary":...,
 *    "involuntary":...,"ns_per_call":...,"pid":...}
 * elapsed_ns is CLOCK_MONOTONIC (vDSO: no syscall) around the timed loop.
 * Exit status: 0, or 2 on a setup error (pinning).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static void usage(void)
{
	fprintf(stderr, "usage: sysstorm [-n CALLS] [-c CPU] [-w WARMUP]\n");
	exit(2);
}

/* n getppid() calls; returns how many did not return `ppid` */
static long storm(long n, long ppid)
{
	long bad = 0;

	for (long i = 0; i < n; i++)
		bad += syscall(SYS_getppid) != ppid;
	return bad;
}

int main(int argc, char **argv)
{
	long calls = 2000000, warmup = 10000, ppid, bad;
	unsigned long long t0, t1;
	struct rusage before, after;
	int cpu = 1, opt;

	bench_name = "sysstorm";
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

	pin_cpu(cpu);
	ppid = getppid();

	storm(warmup, ppid);
	if (getrusage(RUSAGE_THREAD, &before))
		die("getrusage");
	t0 = now_ns();
	bad = storm(calls, ppid);
	t1 = now_ns();
	if (getrusage(RUSAGE_THREAD, &after))
		die("getrusage");

	printf("{\"syscall\":\"getppid\",\"nr\":%d,\"cpu\":%d,\"calls\":%ld,\"elapsed_ns\":%llu,"
	       "\"syscalls_expected\":%ld,\"bad_returns\":%ld,\"voluntary\":%ld,"
	       "\"involuntary\":%ld,\"ns_per_call\":%.1f,\"pid\":%d}\n",
	       (int)SYS_getppid, cpu, calls, t1 - t0, calls, bad,
	       after.ru_nvcsw - before.ru_nvcsw, after.ru_nivcsw - before.ru_nivcsw,
	       (double)(t1 - t0) / calls, (int)getpid());
	return 0;
}

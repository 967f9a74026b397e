// SPDX-License-Identifier: GPL-2.0
/*
 * writestorm: a write() storm with an exact count.
 *
 *   writestorm [-n WRITES] [-c CPU] [-w WARMUP] [-s BYTES] [-f FILE]
 *
 * One thread, pinned to CPU (default 1), opens FILE (default /dev/null)
 * once for writing and makes WRITES (default 1000000) write() calls of
 * BYTES bytes (default 64) to it, back to back. Every iteration is one
 * write(2): one sys_enter and one sys_exit, nothing streamed by any
 * tracer; a per-file I/O tracer (kscope fileio) sums it to the file opened
 * here, a syscall counter (kscope syscall, syscount) to write. /dev/null
 * keeps the write itself cheap and the same every time, so what a tracer
 * adds per write is what changes. The file is opened after the runner has
 * started the tracer, so kscope fileio knows it (it counts I/O on files
 * opened while it runs).
 *
 * WARMUP writes (default 10000) run first, untimed, on the same
 * descriptor: they are counted by the tracers too (writes_total).
 *
 * Prints one JSON object on stdout:
 *   {"path":FILE,"cpu":...,"writes":WRITES,"warmup":WARMUP,"writes_total":...,
 *    "bytes":BYTES,"elapsed_ns":...,"writes_expected":WRITES,"short":...,
 *    "involuntary":...,"ns_per_write":...,"pid":...}
 * elapsed_ns is CLOCK_MONOTONIC (vDSO) around the timed loop; short counts
 * writes that did not write BYTES. Exit status: 0, or 2 on a setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static void usage(void)
{
	fprintf(stderr, "usage: writestorm [-n WRITES] [-c CPU] [-w WARMUP] [-s BYTES] "
		"[-f FILE]\n");
	exit(2);
}

static char buf[4096];

/* n write()s of len bytes to fd; returns how many wrote less */
static long storm(int fd, size_t len, long n)
{
	long bad = 0;

	for (long i = 0; i < n; i++)
		bad += write(fd, buf, len) != (ssize_t)len;
	return bad;
}

int main(int argc, char **argv)
{
	long writes = 1000000, warmup = 10000, bad;
	const char *file = "/dev/null";
	unsigned long long t0, t1;
	struct rusage before, after;
	size_t len = 64;
	int cpu = 1, opt, fd;

	bench_name = "writestorm";
	while ((opt = getopt(argc, argv, "n:c:w:s:f:h")) != -1) {
		switch (opt) {
		case 'n': writes = strtol(optarg, NULL, 10); break;
		case 'c': cpu = atoi(optarg); break;
		case 'w': warmup = strtol(optarg, NULL, 10); break;
		case 's': len = strtoul(optarg, NULL, 10); break;
		case 'f': file = optarg; break;
		default: usage();
		}
	}
	if (writes <= 0 || warmup < 0 || cpu < 0 || cpu >= CPU_SETSIZE || !len ||
	    len > sizeof(buf))
		usage();

	pin_cpu(cpu);
	memset(buf, 'x', sizeof(buf));
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die(file);

	if (storm(fd, len, warmup))
		die("write (warm-up)");
	if (getrusage(RUSAGE_THREAD, &before))
		die("getrusage");
	t0 = now_ns();
	bad = storm(fd, len, writes);
	t1 = now_ns();
	if (getrusage(RUSAGE_THREAD, &after))
		die("getrusage");
	close(fd);

	printf("{\"path\":\"%s\",\"cpu\":%d,\"writes\":%ld,\"warmup\":%ld,\"writes_total\":%ld,"
	       "\"bytes\":%zu,\"elapsed_ns\":%llu,\"writes_expected\":%ld,\"short\":%ld,"
	       "\"involuntary\":%ld,\"ns_per_write\":%.1f,\"pid\":%d}\n",
	       file, cpu, writes, warmup, writes + warmup, len, t1 - t0, writes, bad,
	       after.ru_nivcsw - before.ru_nivcsw, (double)(t1 - t0) / writes, (int)getpid());
	return 0;
}

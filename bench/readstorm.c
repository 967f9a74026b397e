// SPDX-License-Identifier: GPL-2.0
/*
 * readstorm: a read storm on a regular file with an exact count.
 *
 *   readstorm [-n READS] [-c CPU] [-w WARMUP] [-s BYTES] [-d DIR]
 *
 * One thread, pinned to CPU (default 1), creates a 4 KiB file in DIR
 * (default /dev/shm: tmpfs, so no disk is involved), opens it read-only and
 * makes READS (default 1000000) pread64() calls of BYTES bytes (default 64)
 * at offset 0, back to back, then removes the file. Every iteration is one
 * pread64(2): one sys_enter and one sys_exit, a copy from the page cache.
 * A syscall counter (syscount, kscope syscall) counts it as pread64, a
 * per-process or per-file I/O view (kscope top's READ/s, kscope fileio,
 * filetop) as BYTES bytes read from a regular file. The file is opened
 * after the runner has started the tracer, so kscope, which counts I/O on
 * files opened while it runs, knows it.
 *
 * WARMUP reads (default 10000) run first, untimed, on the same descriptor:
 * the tracers count them too (reads_total).
 *
 * Prints one JSON object on stdout:
 *   {"path":FILE,"cpu":...,"reads":READS,"warmup":WARMUP,"reads_total":...,
 *    "bytes":BYTES,"elapsed_ns":...,"reads_expected":READS,"short":...,
 *    "cpu_ns":...,"voluntary":...,"involuntary":...,"ns_per_read":...,
 *    "pid":...,"comm":"readstorm"}
 * elapsed_ns is CLOCK_MONOTONIC (vDSO) around the timed loop, cpu_ns the
 * thread's user + system time over it (what the tracers' programs cost in
 * its context included, other tasks' time on its CPU not); short counts
 * reads that did not return BYTES. Exit status: 0, or 2 on a setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
	fprintf(stderr, "usage: readstorm [-n READS] [-c CPU] [-w WARMUP] [-s BYTES] [-d DIR]\n");
	exit(2);
}

static char buf[4096];
static char path[PATH_MAX];

static void remove_file(void)
{
	unlink(path);
}

static unsigned long long cpu_ns(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000ull +
	       (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000ull;
}

/* n pread64()s of len bytes at offset 0; returns how many read less */
static long storm(int fd, size_t len, long n)
{
	long bad = 0;

	for (long i = 0; i < n; i++)
		bad += pread(fd, buf, len, 0) != (ssize_t)len;
	return bad;
}

int main(int argc, char **argv)
{
	long reads = 1000000, warmup = 10000, bad;
	const char *dir = "/dev/shm";
	unsigned long long t0, t1;
	struct rusage before, after;
	size_t len = 64;
	int cpu = 1, opt, fd;

	bench_name = "readstorm";
	while ((opt = getopt(argc, argv, "n:c:w:s:d:h")) != -1) {
		switch (opt) {
		case 'n': reads = strtol(optarg, NULL, 10); break;
		case 'c': cpu = atoi(optarg); break;
		case 'w': warmup = strtol(optarg, NULL, 10); break;
		case 's': len = strtoul(optarg, NULL, 10); break;
		case 'd': dir = optarg; break;
		default: usage();
		}
	}
	if (reads <= 0 || warmup < 0 || cpu < 0 || cpu >= CPU_SETSIZE || !len ||
	    len > sizeof(buf))
		usage();

	pin_cpu(cpu);
	memset(buf, 'x', sizeof(buf));
	snprintf(path, sizeof(path), "%s/readstorm-%d", dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die(path);
	bench_cleanup = remove_file;
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		die("write");
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);

	if (storm(fd, len, warmup))
		die("pread (warm-up)");
	if (getrusage(RUSAGE_THREAD, &before))
		die("getrusage");
	t0 = now_ns();
	bad = storm(fd, len, reads);
	t1 = now_ns();
	if (getrusage(RUSAGE_THREAD, &after))
		die("getrusage");
	close(fd);
	remove_file();

	printf("{\"path\":\"%s\",\"cpu\":%d,\"reads\":%ld,\"warmup\":%ld,\"reads_total\":%ld,"
	       "\"bytes\":%zu,\"elapsed_ns\":%llu,\"reads_expected\":%ld,\"short\":%ld,"
	       "\"cpu_ns\":%llu,\"voluntary\":%ld,\"involuntary\":%ld,\"ns_per_read\":%.1f,\"pid\":%d,"
	       "\"comm\":\"readstorm\"}\n",
	       path, cpu, reads, warmup, reads + warmup, len, t1 - t0, reads, bad,
	       cpu_ns(&after) - cpu_ns(&before), after.ru_nvcsw - before.ru_nvcsw, after.ru_nivcsw - before.ru_nivcsw,
	       (double)(t1 - t0) / reads, (int)getpid());
	return 0;
}

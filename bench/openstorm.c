// SPDX-License-Identifier: GPL-2.0
/*
 * openstorm: an open() storm with an exact count.
 *
 *   openstorm [-n OPENS] [-c CPU] [-w WARMUP] [-d DIR]
 *
 * One thread, pinned to CPU (default 1), opens a symlink to /dev/null
 * OPENS times (default 500000), closing each descriptor at once. The link
 * lives in a fresh directory (mkdtemp under DIR, default /tmp) whose name is
 * unique to this run, so a tracer's output can be searched for exactly the
 * opens of this run: every iteration is one openat(AT_FDCWD, PATH, O_RDONLY)
 * (glibc's open() is openat on every architecture; it is what libbpf-tools
 * opensnoop, bpftrace's opensnoop.bt and kscope fileio all see) and one
 * close(). /dev/null makes the open itself cheap (no file system work
 * beyond the path walk), so what a tracer adds per open is as visible as it
 * can be.
 *
 * WARMUP opens (default 1000) run first, untimed, through a second link
 * (WARM) in the same directory, so they never match PATH. The return value
 * of every open is checked. Around the timed loop the thread reads its own
 * context-switch counters (getrusage RUSAGE_THREAD): a tracer whose reader
 * is woken per event shows up as involuntary switches only if it shares the
 * CPU, which the runner avoids.
 *
 * Prints one JSON object on stdout:
 *   {"path":PATH,"warm_path":WARM,"cpu":...,"opens":OPENS,"warmup":WARMUP,
 *    "elapsed_ns":...,"opens_expected":OPENS,"failed":...,"voluntary":...,
 *    "involuntary":...,"ns_per_open":...,"pid":...}
 * elapsed_ns is CLOCK_MONOTONIC (vDSO) around the timed loop. The directory
 * is removed before exit. Exit status: 0, or 2 on a setup error.
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

static char dir[PATH_MAX - 16], path[PATH_MAX], warm[PATH_MAX];

static void cleanup(void)
{
	if (path[0])
		unlink(path);
	if (warm[0])
		unlink(warm);
	if (dir[0])
		rmdir(dir);
}

static void usage(void)
{
	fprintf(stderr, "usage: openstorm [-n OPENS] [-c CPU] [-w WARMUP] [-d DIR]\n");
	exit(2);
}

/* n open()+close() of p; returns how many opens failed */
static long storm(const char *p, long n)
{
	long failed = 0;

	for (long i = 0; i < n; i++) {
		int fd = open(p, O_RDONLY);

		if (fd < 0)
			failed++;
		else
			close(fd);
	}
	return failed;
}

int main(int argc, char **argv)
{
	long opens = 500000, warmup = 1000, failed;
	const char *base = "/tmp";
	unsigned long long t0, t1;
	struct rusage before, after;
	int cpu = 1, opt;

	bench_name = "openstorm";
	bench_cleanup = cleanup;
	while ((opt = getopt(argc, argv, "n:c:w:d:h")) != -1) {
		switch (opt) {
		case 'n': opens = strtol(optarg, NULL, 10); break;
		case 'c': cpu = atoi(optarg); break;
		case 'w': warmup = strtol(optarg, NULL, 10); break;
		case 'd': base = optarg; break;
		default: usage();
		}
	}
	if (opens <= 0 || warmup < 0 || cpu < 0 || cpu >= CPU_SETSIZE)
		usage();

	pin_cpu(cpu);
	if (snprintf(dir, sizeof(dir), "%s/ksbench-open.XXXXXX", base) >= (int)sizeof(dir))
		usage();
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		die("mkdtemp");
	}
	snprintf(path, sizeof(path), "%s/null", dir);
	snprintf(warm, sizeof(warm), "%s/warm", dir);
	if (symlink("/dev/null", path)) {
		path[0] = '\0';
		die("symlink");
	}
	if (symlink("/dev/null", warm)) {
		warm[0] = '\0';
		die("symlink");
	}

	if (storm(warm, warmup))
		die("open (warm-up)");
	if (getrusage(RUSAGE_THREAD, &before))
		die("getrusage");
	t0 = now_ns();
	failed = storm(path, opens);
	t1 = now_ns();
	if (getrusage(RUSAGE_THREAD, &after))
		die("getrusage");

	printf("{\"path\":\"%s\",\"warm_path\":\"%s\",\"cpu\":%d,\"opens\":%ld,\"warmup\":%ld,"
	       "\"elapsed_ns\":%llu,\"opens_expected\":%ld,\"failed\":%ld,\"voluntary\":%ld,"
	       "\"involuntary\":%ld,\"ns_per_open\":%.1f,\"pid\":%d}\n",
	       path, warm, cpu, opens, warmup, t1 - t0, opens, failed,
	       after.ru_nvcsw - before.ru_nvcsw, after.ru_nivcsw - before.ru_nivcsw,
	       (double)(t1 - t0) / opens, (int)getpid());
	cleanup();
	return 0;
}

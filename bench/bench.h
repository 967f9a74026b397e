// SPDX-License-Identifier: GPL-2.0
/*
 * What every bench workload shares: its name in messages, dying with a
 * clean-up, the clock around the timed loop, and pinning to one CPU. Each
 * workload is one .c file built alone; this header is all they share.
 */
#ifndef KSCOPE_BENCH_H
#define KSCOPE_BENCH_H

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *bench_name = "bench";   /* set first thing in main() */
static void (*bench_cleanup)(void);          /* run by die(), if set */

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", bench_name, what, strerror(errno));
	if (bench_cleanup)
		bench_cleanup();
	exit(2);
}

/* CLOCK_MONOTONIC through the vDSO: no syscall inside the timed loop */
static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* This thread (and what it creates from now on) on CPU cpu only */
static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

#endif

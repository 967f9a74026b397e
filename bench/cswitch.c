// SPDX-License-Identifier: GPL-2.0
/*
 * cswitch: a context-switch storm with an exact count.
 *
 *   cswitch [-n ROUND_TRIPS] [-c CPU] [-m pipe|futex] [-w WARMUP]
 *
 * Two threads of one process, both pinned to CPU (default 1), ping-pong a
 * token ROUND_TRIPS times (default 200000) over two pipes (default) or one
 * futex word. Only one of them can run at a time and each blocks waiting for
 * the other, so every round trip is exactly two context switches on that CPU
 * (one per thread) with no idle in between: the CPU goes straight from one
 * thread to the other. With wakeup preemption a switch may be counted as
 * involuntary instead of voluntary; the sum is still two per round trip.
 *
 * WARMUP round trips (default 1000) run first, untimed. Around the timed
 * loop each thread reads its own switch counters twice: getrusage
 * (RUSAGE_THREAD) and /proc/self/task/TID/status (voluntary_ and
 * nonvoluntary_ctxt_switches), so the runner can check that the storm was
 * the 2 * ROUND_TRIPS switches it claims to be (other tasks preempting ours
 * on that CPU show up as extra involuntary switches).
 *
 * Prints one JSON object on stdout:
 *   {"mode":..., "cpu":..., "round_trips":N, "elapsed_ns":...,
 *    "switches_expected":2N, "switches_rusage":..., "switches_proc":...,
 *    "voluntary":..., "involuntary":..., "process_switches_total":...,
 *    "ns_per_switch":..., "pid":...}
 * elapsed_ns is CLOCK_MONOTONIC around the timed loop in the main thread.
 * Exit status: 0, or 2 on a setup error (pinning, pipes, threads).
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

enum mode { MODE_PIPE, MODE_FUTEX };

struct counts {
	unsigned long long ru_vol, ru_invol;	/* getrusage(RUSAGE_THREAD) */
	unsigned long long pr_vol, pr_invol;	/* /proc/self/task/TID/status */
};

static enum mode mode = MODE_PIPE;
static long round_trips = 200000, warmup = 1000;
static int ping[2], pong[2];			/* main -> partner, partner -> main */
static _Atomic uint32_t turn;			/* futex: 0 main's turn, 1 partner's */
static struct counts partner_before, partner_after;

static void snapshot(struct counts *c)
{
	char path[64], line[256];
	struct rusage ru;
	FILE *f;

	if (getrusage(RUSAGE_THREAD, &ru))
		die("getrusage");
	c->ru_vol = ru.ru_nvcsw;
	c->ru_invol = ru.ru_nivcsw;
	snprintf(path, sizeof(path), "/proc/self/task/%ld/status", (long)syscall(SYS_gettid));
	f = fopen(path, "r");
	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "voluntary_ctxt_switches: %llu", &c->pr_vol);
		sscanf(line, "nonvoluntary_ctxt_switches: %llu", &c->pr_invol);
	}
	fclose(f);
}

static void futex_wait(uint32_t val)
{
	if (syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0) && errno != EAGAIN &&
	    errno != EINTR)
		die("futex wait");
}

static void futex_wake(void)
{
	if (syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0)
		die("futex wake");
}

/* One side of the token passing: `me` is 0 for main, 1 for the partner */
static void pass(int me, long n)
{
	char c = 'x';

	for (long i = 0; i < n; i++) {
		if (mode == MODE_PIPE) {
			if (me == 0) {
				if (write(ping[1], &c, 1) != 1)
					die("write");
				if (read(pong[0], &c, 1) != 1)
					die("read");
			} else {
				if (read(ping[0], &c, 1) != 1)
					die("read");
				if (write(pong[1], &c, 1) != 1)
					die("write");
			}
		} else {
			uint32_t mine = me, theirs = !me;

			if (me == 1)	/* the partner waits for its turn first */
				while (atomic_load(&turn) != mine)
					futex_wait(theirs);
			atomic_store(&turn, theirs);
			futex_wake();
			if (me == 0)
				while (atomic_load(&turn) != mine)
					futex_wait(theirs);
		}
	}
}

static void *partner(void *arg)
{
	(void)arg;
	pass(1, warmup);
	snapshot(&partner_before);
	pass(1, round_trips);
	snapshot(&partner_after);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: cswitch [-n ROUND_TRIPS] [-c CPU] [-m pipe|futex] [-w WARMUP]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct counts before, after;
	unsigned long long t0, t1, vol, invol, ru_sum, pr_sum;
	struct rusage self;
	pthread_t t;
	int cpu = 1, opt;

	bench_name = "cswitch";
	while ((opt = getopt(argc, argv, "n:c:m:w:h")) != -1) {
		switch (opt) {
		case 'n': round_trips = strtol(optarg, NULL, 10); break;
		case 'c': cpu = atoi(optarg); break;
		case 'w': warmup = strtol(optarg, NULL, 10); break;
		case 'm':
			if (!strcmp(optarg, "pipe"))
				mode = MODE_PIPE;
			else if (!strcmp(optarg, "futex"))
				mode = MODE_FUTEX;
			else
				usage();
			break;
		default: usage();
		}
	}
	if (round_trips <= 0 || warmup < 0 || cpu < 0 || cpu >= CPU_SETSIZE)
		usage();

	/* pin before the partner exists: it inherits the mask */
	pin_cpu(cpu);
	if (pipe(ping) || pipe(pong))
		die("pipe");
	if ((errno = pthread_create(&t, NULL, partner, NULL)))
		die("pthread_create");

	pass(0, warmup);
	snapshot(&before);
	t0 = now_ns();
	pass(0, round_trips);
	t1 = now_ns();
	snapshot(&after);
	if ((errno = pthread_join(t, NULL)))
		die("pthread_join");
	if (getrusage(RUSAGE_SELF, &self))
		die("getrusage");

	vol = (after.pr_vol - before.pr_vol) + (partner_after.pr_vol - partner_before.pr_vol);
	invol = (after.pr_invol - before.pr_invol) +
		(partner_after.pr_invol - partner_before.pr_invol);
	pr_sum = vol + invol;
	ru_sum = (after.ru_vol - before.ru_vol) + (after.ru_invol - before.ru_invol) +
		 (partner_after.ru_vol - partner_before.ru_vol) +
		 (partner_after.ru_invol - partner_before.ru_invol);

	printf("{\"mode\":\"%s\",\"cpu\":%d,\"round_trips\":%ld,\"elapsed_ns\":%llu,"
	       "\"switches_expected\":%ld,\"switches_rusage\":%llu,\"switches_proc\":%llu,"
	       "\"voluntary\":%llu,\"involuntary\":%llu,\"process_switches_total\":%ld,"
	       "\"ns_per_switch\":%.1f,\"pid\":%d}\n",
	       mode == MODE_PIPE ? "pipe" : "futex", cpu, round_trips, t1 - t0, 2 * round_trips,
	       ru_sum, pr_sum, vol, invol, self.ru_nvcsw + self.ru_nivcsw,
	       (double)(t1 - t0) / (2.0 * round_trips), (int)getpid());
	return 0;
}

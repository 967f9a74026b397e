// SPDX-License-Identifier: GPL-2.0
/*
 * burn [-g GO_FILE] [-s] INFO_FILE NTHREADS MS [CPU...]
 *
 * Starts NTHREADS threads that each burn MS milliseconds of their own CPU
 * time (CLOCK_THREAD_CPUTIME_ID), pinned to the CPUs given (thread i to
 * CPU[i % n]; unpinned without any). All threads start together. When a
 * thread is done it waits for the others, then reads, about itself, the
 * kernel's accounting: its CPU time (the thread CPU clock: schedstat's
 * runtime brought up to date), /proc/self/task/TID/schedstat (ns waiting
 * on a run queue) and voluntary/nonvoluntary_ctxt_switches from
 * .../status, then blocks until every thread has read, so nothing runs
 * after the reading but the exit. INFO_FILE gets one line per thread:
 *   tid cpu_ns runq_wait_ns voluntary involuntary
 * and a first line: pid.
 *
 * -g GO_FILE: start no thread before GO_FILE exists (polled every 5 ms), so
 *   a tracer can be set up for this pid first.
 * -s: after the start line every thread sleeps 1 ms before burning: a
 *   voluntary switch-out before any CPU time is burnt (a tracer that only
 *   learns of a task at its first switch-out then misses just its start-up).
 */
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct th {
	pthread_t t;
	int cpu;
	long ms;
	pid_t tid;
	unsigned long long cpu_ns, wait_ns, vol, invol;
};

static pthread_barrier_t start_line, done_line, finish_line;
static int settle;

static unsigned long long thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void read_self(struct th *th)
{
	char path[128], line[256];
	struct timespec ts;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", th->tid);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%*u %llu", &th->wait_ns) != 1)
		exit(2);
	fclose(f);
	/*
	 * Not schedstat's first field: that is se.sum_exec_runtime as last
	 * updated (at a tick or a switch), which for the running thread itself
	 * lags by up to one tick (4 ms on HZ=250 kernels). The thread CPU
	 * clock brings the same counter up to date first, so it is exact.
	 */
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		exit(2);
	th->cpu_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	/* the switch counts last: their slack is the tightest */
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", th->tid);
	f = fopen(path, "r");
	if (!f)
		exit(2);
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "voluntary_ctxt_switches: %llu", &th->vol);
		sscanf(line, "nonvoluntary_ctxt_switches: %llu", &th->invol);
	}
	fclose(f);
}

static void *run(void *arg)
{
	struct th *th = arg;
	unsigned long long end;
	volatile unsigned long x = 0;

	th->tid = syscall(SYS_gettid);
	if (th->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(th->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			exit(3);
	}
	pthread_barrier_wait(&start_line);
	if (settle) {
		struct timespec ms = { 0, 1000000 };

		while (nanosleep(&ms, &ms))
			;
	}
	end = thread_cpu_ns() + th->ms * 1000000ull;
	while (thread_cpu_ns() < end)
		for (int i = 0; i < 1000; i++)
			x += i;
	/*
	 * Everyone has burnt its share before anyone reads: nothing competes
	 * for the CPUs between a thread's reading and its blocking at the
	 * finish line, so few switches can follow the reading (on a slow,
	 * loaded VM a burner still running preempted readers several times).
	 */
	pthread_barrier_wait(&done_line);
	read_self(th);
	pthread_barrier_wait(&finish_line);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *go = NULL;
	int n, ncpus, opt;
	struct th *ths;
	FILE *f;

	while ((opt = getopt(argc, argv, "+g:s")) != -1) {
		switch (opt) {
		case 'g':
			go = optarg;
			break;
		case 's':
			settle = 1;
			break;
		default:
			argc = 0;	/* usage */
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	ncpus = argc - 4;
	if (argc < 4) {
		fprintf(stderr, "usage: burn [-g GO_FILE] [-s] INFO_FILE NTHREADS MS [CPU...]\n");
		return 2;
	}
	if (go) {
		struct timespec ms5 = { 0, 5000000 };

		while (access(go, F_OK))
			nanosleep(&ms5, NULL);
	}
	n = atoi(argv[2]);
	ths = calloc(n, sizeof(*ths));
	if (n < 1 || !ths)
		return 2;
	pthread_barrier_init(&start_line, NULL, n);
	pthread_barrier_init(&done_line, NULL, n);
	pthread_barrier_init(&finish_line, NULL, n);
	for (int i = 0; i < n; i++) {
		ths[i].ms = atol(argv[3]);
		ths[i].cpu = ncpus > 0 ? atoi(argv[4 + i % ncpus]) : -1;
		if (pthread_create(&ths[i].t, NULL, run, &ths[i]))
			return 3;
	}
	for (int i = 0; i < n; i++)
		pthread_join(ths[i].t, NULL);
	f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fprintf(f, "%d\n", getpid());
	for (int i = 0; i < n; i++)
		fprintf(f, "%d %llu %llu %llu %llu\n", ths[i].tid, ths[i].cpu_ns, ths[i].wait_ns,
			ths[i].vol, ths[i].invol);
	fclose(f);
	return 0;
}

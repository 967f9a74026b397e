// SPDX-License-Identifier: GPL-2.0
/*
 * burn [-g GO_FILE] [-s] INFO_FILE NTHREADS MS [CPU...]
 *
 * Starts NTHREADS threads that each burn MS milliseconds of their own CPU
 * time (CLOCK_THREAD_CPUTIME_ID), pinned to the CPUs given (thread i to
 * CPU[i % n]; unpinned without any). All threads start together. When
 * every thread is done they block at a finish line, and the main thread
 * reads, about each of them asleep there, the kernel's accounting: its CPU
 * time (the thread's CPU clock: se.sum_exec_runtime, final while it
 * sleeps), /proc/self/task/TID/schedstat (ns waiting on a run queue) and
 * voluntary/nonvoluntary_ctxt_switches from .../status. A sleeping thread
 * makes no switch, so nothing follows the reading but each thread's wake
 * and exit (its final switch-out, voluntary), however busy the machine
 * and however slow its CPU. INFO_FILE gets one line per thread:
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
#include <semaphore.h>
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

static pthread_barrier_t start_line, finish_line;
static sem_t done;                 /* posted by each worker past its burn */
static int settle;

static unsigned long long thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static FILE *task_file(pid_t tid, const char *name)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", tid, name);
	f = fopen(path, "r");
	if (!f)
		exit(2);
	return f;
}

/*
 * Wait until the thread, past its burn (done posted), sleeps: state S can then only
 * be the finish line's futex, where it stays until the main thread arrives.
 */
static void wait_asleep(const struct th *th)
{
	struct timespec ms = { 0, 1000000 };
	char line[512], *p;

	for (;;) {
		FILE *f = task_file(th->tid, "stat");

		p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
		fclose(f);
		if (!p)
			exit(2);
		if (p[1] == ' ' && p[2] == 'S')
			return;
		nanosleep(&ms, NULL);
	}
}

/* The kernel's accounting of a worker asleep at the finish line */
static void read_thread(struct th *th)
{
	char line[256];
	struct timespec ts;
	clockid_t clock;
	FILE *f;

	wait_asleep(th);
	f = task_file(th->tid, "schedstat");
	if (fscanf(f, "%*u %llu", &th->wait_ns) != 1)
		exit(2);
	fclose(f);
	/*
	 * Not schedstat's first field: that is se.sum_exec_runtime as last
	 * updated (at a tick or a switch). For a sleeping thread the two agree;
	 * the CPU clock is the exact one whatever the thread's state.
	 */
	if (pthread_getcpuclockid(th->t, &clock) || clock_gettime(clock, &ts))
		exit(2);
	th->cpu_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	f = task_file(th->tid, "status");
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
	 * Asleep at the finish line until the main thread has read every
	 * worker's accounting: none of them can switch meanwhile. (Read by
	 * the threads themselves, a reader still reading preempted the others
	 * between their reading and their exit: +14 involuntary switches on a
	 * loaded, emulated 2-CPU VM.)
	 */
	sem_post(&done);
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
	pthread_barrier_init(&finish_line, NULL, n + 1);	/* and the main thread */
	sem_init(&done, 0, 0);
	for (int i = 0; i < n; i++) {
		ths[i].ms = atol(argv[3]);
		ths[i].cpu = ncpus > 0 ? atoi(argv[4 + i % ncpus]) : -1;
		if (pthread_create(&ths[i].t, NULL, run, &ths[i]))
			return 3;
	}
	/* every worker has burnt; each is read once asleep at the finish line */
	for (int i = 0; i < n; i++)
		while (sem_wait(&done))
			;
	for (int i = 0; i < n; i++)
		read_thread(&ths[i]);
	pthread_barrier_wait(&finish_line);
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

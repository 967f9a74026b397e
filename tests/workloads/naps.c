// SPDX-License-Identifier: GPL-2.0
/*
 * naps SECONDS CPU...
 *
 * One thread per CPU given, pinned to it, sleeping 20 us at a time until
 * SECONDS have passed (CLOCK_MONOTONIC), so that each of those CPUs
 * switches tasks every few tens of microseconds and is never left to one
 * task for long. Exit status 0 (2: usage, 3: a thread or pinning failed).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
	struct timespec nap = { 0, 20000 };
	double end = now() + seconds;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET((int)(long)arg, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		exit(3);
	while (now() < end)
		nanosleep(&nap, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t *t;
	int n = argc - 2;

	if (argc < 3) {
		fprintf(stderr, "usage: naps SECONDS CPU...\n");
		return 2;
	}
	seconds = atof(argv[1]);
	t = calloc(n, sizeof(*t));
	if (!t)
		return 3;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, run, (void *)(long)atoi(argv[2 + i])))
			return 3;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}

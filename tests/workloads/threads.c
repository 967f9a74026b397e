// SPDX-License-Identifier: GPL-2.0
/*
 * threads INFO_FILE N: start N pthreads (1..256) from the main thread. Each
 * records its gettid(), then all N + main meet at a barrier (so all of them
 * are alive at the same time), then the threads return and main joins them.
 * Main writes "<pid> <tid1> ... <tidN>\n" to INFO_FILE (via a rename) and
 * exits 0. Exactly N clone(CLONE_THREAD) calls, all made by the main thread,
 * and no other fork or exec.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_THREADS 256

static pthread_barrier_t barrier;
static pid_t tids[MAX_THREADS];

static void *run(void *arg)
{
	pid_t *slot = arg;

	*slot = gettid();
	pthread_barrier_wait(&barrier);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS];
	char tmp[4096];
	FILE *f;
	int n;

	if (argc != 3) {
		fprintf(stderr, "usage: threads INFO_FILE N\n");
		return 100;
	}
	n = atoi(argv[2]);
	if (n < 1 || n > MAX_THREADS)
		return 100;
	if (pthread_barrier_init(&barrier, NULL, n + 1))
		return 101;
	for (int i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, run, &tids[i]))
			return 102;
	pthread_barrier_wait(&barrier);
	for (int i = 0; i < n; i++)
		if (pthread_join(th[i], NULL))
			return 103;

	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f)
		return 104;
	fprintf(f, "%d", (int)getpid());
	for (int i = 0; i < n; i++)
		fprintf(f, " %d", (int)tids[i]);
	fprintf(f, "\n");
	if (fclose(f) || rename(tmp, argv[1]))
		return 105;
	return 0;
}

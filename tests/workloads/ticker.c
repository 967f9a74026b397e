// SPDX-License-Identifier: GPL-2.0
/*
 * ticker INFO_FILE GO_FILE N PROGRAM [ARGS...]
 *
 * A process that is already running when kscope starts (for -p, -u,
 * --comm, -c). It writes "<pid>\n" to INFO_FILE, then waits until GO_FILE
 * exists (polled every 2 ms, at most 300 s, else exit 3; waiting neither
 * forks nor execs). Then, N times, one after the other: fork; the child
 * calls execv(PROGRAM, { PROGRAM, ARGS..., NULL }) (exit 127 if that
 * fails); the parent reaps it. Finally it rewrites INFO_FILE as
 *     "<pid> <child_pid_1> ... <child_pid_N>\n"
 * (via a rename: never partial) and exits 0 (1 if a fork or wait failed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHILDREN 1024

static int write_info(const char *path, const pid_t *kids, int n)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%d", (int)getpid());
	for (int i = 0; i < n; i++)
		fprintf(f, " %d", (int)kids[i]);
	fprintf(f, "\n");
	if (fclose(f))
		return -1;
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	static pid_t kids[MAX_CHILDREN];
	struct stat st;
	int n, i;

	if (argc < 5 || (n = atoi(argv[3])) < 0 || n > MAX_CHILDREN) {
		fprintf(stderr, "usage: ticker INFO_FILE GO_FILE N PROGRAM [ARGS...]\n");
		return 100;
	}
	if (write_info(argv[1], NULL, 0))
		return 101;
	for (i = 0; i < 150000 && stat(argv[2], &st); i++)
		nanosleep(&ts, NULL);
	if (i == 150000)
		return 3;
	for (i = 0; i < n; i++) {
		int status;
		pid_t w;

		kids[i] = fork();
		if (kids[i] < 0)
			return 1;
		if (kids[i] == 0) {
			execv(argv[4], argv + 4);
			_exit(127);
		}
		do {
			w = waitpid(kids[i], &status, 0);
		} while (w < 0 && errno == EINTR);
		if (w != kids[i])
			return 1;
	}
	if (write_info(argv[1], kids, n))
		return 102;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * storm N [SYNC_DIR]: fork N children one after the other, as fast as
 * possible; each child calls _exit(0) at once and the parent reaps it
 * before forking the next. Exactly N forks, no exec, single-threaded, so
 * under `kscope proc -- storm N` the traced events are exactly
 *     1 exec (storm itself) + N fork + N exit (children) + 1 exit (storm)
 *   = 2N + 2.
 *
 * With SYNC_DIR: first write "<pid>\n" to SYNC_DIR/ready, wait until
 * SYNC_DIR/go exists (polled every 2 ms, for at most 300 s, else exit 3),
 * run the storm, then write "<pid>\n" to SYNC_DIR/done just before
 * exiting. None of this forks or execs. Exit status 0, or 1 if a fork or
 * wait failed (the event count is then wrong).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int write_pid(const char *dir, const char *name)
{
	char path[4096], tmp[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
		return -1;
	return rename(tmp, path);
}

static int wait_for(const char *dir, const char *name)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (int i = 0; i < 150000; i++) {
		if (!stat(path, &st))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

int main(int argc, char **argv)
{
	const char *sync = argc > 2 ? argv[2] : NULL;
	long n;

	if (argc < 2 || argc > 3 || (n = atol(argv[1])) < 0) {
		fprintf(stderr, "usage: storm N [SYNC_DIR]\n");
		return 100;
	}
	if (sync && (write_pid(sync, "ready") || wait_for(sync, "go")))
		return 3;
	for (long i = 0; i < n; i++) {
		int status;
		pid_t c = fork(), w;

		if (c < 0)
			return 1;
		if (c == 0)
			_exit(0);
		do {
			w = waitpid(c, &status, 0);
		} while (w < 0 && errno == EINTR);
		if (w != c)
			return 1;
	}
	if (sync && write_pid(sync, "done"))
		return 4;
	return 0;
}

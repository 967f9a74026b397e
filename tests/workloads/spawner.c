// SPDX-License-Identifier: GPL-2.0
/*
 * spawner INFO_FILE CODE PROGRAM [ARGS...]
 *
 * Forks once. The child calls execv(PROGRAM, argv) where argv is exactly
 * { PROGRAM, ARGS..., NULL }: argv[0] is PROGRAM as given on the command
 * line (not its basename), so the exec event's argv is
 * [PROGRAM, ARGS...] and its filename is PROGRAM (give an absolute path;
 * there is no PATH search). If execv fails, the child exits with 127.
 *
 * The parent waits for the child, then writes one line
 *     "<parent_pid> <child_pid> <child_status>\n"
 * to INFO_FILE (child_status is the raw wait status from waitpid(), e.g.
 * 7 << 8 for a child that exited with 7, 9 for one killed by SIGKILL),
 * written to INFO_FILE.tmp and renamed, so a reader never sees a partial
 * line. Then it exits with CODE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_info(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fputs(text, f);
	if (fclose(f))
		return -1;
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	char line[128];
	int status, code;
	pid_t child, w;

	if (argc < 4) {
		fprintf(stderr, "usage: spawner INFO_FILE CODE PROGRAM [ARGS...]\n");
		return 100;
	}
	code = atoi(argv[2]);
	child = fork();
	if (child < 0) {
		perror("spawner: fork");
		return 101;
	}
	if (child == 0) {
		execv(argv[3], argv + 3);
		_exit(127);
	}
	do {
		w = waitpid(child, &status, 0);
	} while (w < 0 && errno == EINTR);
	if (w != child) {
		perror("spawner: waitpid");
		return 102;
	}
	snprintf(line, sizeof(line), "%d %d %d\n", (int)getpid(), (int)child, status);
	if (write_info(argv[1], line)) {
		perror("spawner: writing INFO_FILE");
		return 103;
	}
	return code;
}

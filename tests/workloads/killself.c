// SPDX-License-Identifier: GPL-2.0
/*
 * killself INFO_FILE: write "<pid>\n" to INFO_FILE, then kill itself with
 * SIGKILL (exit status: killed by signal 9, no core dump).
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: killself INFO_FILE\n");
		return 100;
	}
	f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
		return 101;
	kill(getpid(), SIGKILL);
	for (;;)
		pause();
}

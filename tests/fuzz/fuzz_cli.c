// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_cli: command lines. The input's first byte picks the command, the
 * rest is its arguments, split on NUL bytes (at most 24). The command
 * parses and checks them for real (cli.c and its own options, conflicts,
 * -o/--timeline files, --btf files, cgroups, users, pids); the stub then
 * releases what the parse took and returns: nothing is traced, no PROGRAM
 * runs. It works in a private directory; an absolute path outside a few
 * harmless places (/dev/null, /proc, /sys, /etc/passwd) is made relative
 * to it, and open(2) is wrapped (-Wl,--wrap=open) to refuse any existing
 * file that is neither regular, a directory nor /dev/null: a FIFO would
 * block, a device could do anything. After each input the directory must be
 * empty again (a run that never started leaves no -o or --timeline file)
 * and no descriptor may be left open.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

int __real_open(const char *path, int flags, ...);

int __wrap_open(const char *path, int flags, ...)
{
	struct stat st;
	mode_t mode = 0;
	va_list ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if (!stat(path, &st) && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) &&
	    strcmp(path, "/dev/null")) {
		errno = EACCES;
		return -1;
	}
	return __real_open(path, flags, mode);
}

static char dir[] = "/tmp/kscope-fuzz-cli-XXXXXX";

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The lowest descriptor free now: it must be the same after every input */
static int lowest_free_fd(void)
{
	int fd = dup(0), ret;

	if (fd < 0)
		abort();
	ret = fd;
	close(fd);
	return ret;
}

static bool dir_empty(void)
{
	DIR *d = opendir(".");
	struct dirent *e;
	bool empty = true;

	if (!d)
		abort();
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

#define MAX_ARGS 24

static int (*const cmds[])(int, char **) = { cmd_proc, cmd_sched, cmd_syscall, cmd_fileio };
static const char *const names[] = { "proc", "sched", "syscall", "fileio" };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	if (!mkdtemp(dir) || chdir(dir))
		abort();
	atexit(cleanup);
	return 0;
}

static bool allowed_absolute(const char *w)
{
	static const char *const ok[] = { "/dev/null", "/proc/", "/sys/", "/etc/passwd" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strncmp(w, ok[i], strlen(ok[i])))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[MAX_ARGS + 2];
	int argc = 1;
	size_t i = 1;

	if (!size)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = (char *)names[data[0] % 4];
	while (i <= size && argc <= MAX_ARGS) {
		char *w = buf + i;

		if (w[0] == '/' && !allowed_absolute(w))
			w[0] = '_';
		argv[argc++] = w;
		i += strlen(w) + 1;
	}
	argv[argc] = NULL;
	if (size > 1) {
		int fd = lowest_free_fd();

		cmds[data[0] % 4](argc, argv);
		if (lowest_free_fd() != fd || !dir_empty())
			abort();	/* a descriptor or a file left behind */
	}
	free(buf);
	return 0;
}

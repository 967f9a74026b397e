// SPDX-License-Identifier: GPL-2.0
/*
 * sys_restart INFO_FILE
 *
 * A read() interrupted by a signal and restarted (SA_RESTART): the kernel
 * ends the first read with -ERESTARTSYS (512, a code of its own that no
 * process ever sees: the sys_exit tracepoint does), runs the handler,
 * returns through rt_sigreturn and makes the same read again, which then
 * gets its byte.
 *
 * The main thread reads 1 byte from an empty pipe, through syscall(2) with
 * marker values in the unused arguments (0x71, 0x72, 0x73). A helper
 * thread waits until /proc/self/task/TID/syscall shows the main thread in
 * read(), sends it SIGUSR1, waits until the handler has run (a flag, no
 * system call in the handler), then writes the byte. Nothing depends on
 * timing. INFO_FILE gets "pid P", "tid T" (the main thread), "nread N".
 * Exits 0, 2 on usage errors, 3 when something did not go as described.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;
static pthread_t main_thread;
static long main_tid;
static int pipefd[2];

static void on_usr1(int sig)
{
	(void)sig;
	handled = 1;
}

static void nap(void)
{
	struct timespec ms = { 0, 1000000 };

	nanosleep(&ms, NULL);
}

/* Is the main thread in read()? (/proc/self/task/TID/syscall: "NR args...") */
static int in_read(void)
{
	char path[64], line[256];
	FILE *f;
	long nr = -1;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/syscall", main_tid);
	f = fopen(path, "r");
	if (!f)
		exit(3);
	if (fgets(line, sizeof(line), f) && sscanf(line, "%ld", &nr) != 1)
		nr = -1;
	fclose(f);
	return nr == SYS_read;
}

static void *helper(void *arg)
{
	(void)arg;
	while (!in_read())
		nap();
	if (pthread_kill(main_thread, SIGUSR1))
		exit(3);
	while (!handled)
		nap();
	if (write(pipefd[1], "x", 1) != 1)
		exit(3);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	pthread_t t;
	long n;
	char c;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: sys_restart INFO_FILE\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGUSR1, &sa, NULL) || pipe2(pipefd, O_CLOEXEC))
		return 3;
	main_thread = pthread_self();
	main_tid = syscall(SYS_gettid);
	if (pthread_create(&t, NULL, helper, NULL))
		return 3;
	n = syscall(SYS_read, (long)pipefd[0], &c, 1L, 0x71L, 0x72L, 0x73L);
	if (pthread_join(t, NULL) || n != 1 || c != 'x' || !handled)
		return 3;
	f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fprintf(f, "pid %d\ntid %ld\nnread %ld\n", getpid(), main_tid, n);
	return fclose(f) ? 2 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * churn: process churn with file I/O, for soaking a file tracer.
 *
 *   churn [-d SECONDS] [-r FORKS] [-w OPENS] [-p PERIOD_MS] [-t THREADS]
 *         [-k PATHS] [-D DIR] [-c CPU]
 *
 * For SECONDS (default 60) it does two things at once:
 *
 * - FORKS (default 200) fork+exec per second, paced evenly: the child
 *   execs this same program (dynamically linked: the loader opens and
 *   reads its libraries, as every real program does) in a child role, one
 *   of eight in turn, each of which opens, writes and reads a few small
 *   files under DIR and exits:
 *     tidy (3 of 8)  opens two files, writes four blocks to each, reads one
 *                    back, fsyncs one in four times, closes both
 *     leaky          opens two files, writes, exits without closing them
 *     holder         keeps a file open for 0.5 to 2 s, writing a block every
 *                    100 ms, and exits without closing it
 *     threads        three threads write a file each; two close theirs, the
 *                    third is still writing when the process exits
 *     cloexec        writes to an O_CLOEXEC file, then execs a second stage
 *                    (the fd is closed by the exec, not by close(2)), which
 *                    writes and closes a file of its own
 *     forker         writes to a file, forks a child that writes to the
 *                    inherited fd and exits without closing; the parent does
 *                    not wait for it and exits without closing either
 *   The children's file names repeat (64 sets), the processes do not: a
 *   per-process summary gets new rows with every child.
 *
 * - THREADS (default 2) writer threads in this process do OPENS (default
 *   10000) open+write+close per second between them, in bursts: at the
 *   start of every PERIOD_MS (default 1000) they do the period's share as
 *   fast as they can, then sleep until the next period. Each open is
 *   O_WRONLY|O_CREAT|O_TRUNC of one of PATHS (default 256) names in turn,
 *   followed by one to four 256-byte writes.
 *
 * Children are reaped as they exit (waitpid WNOHANG between forks), so no
 * zombie outlives a few milliseconds. DIR (default /dev/shm, so no disk
 * writeback) gets a fresh directory, removed at the end. -c CPU pins the
 * whole workload to one CPU.
 *
 * Prints one JSON object on stdout:
 *   {"pid":...,"dir":...,"elapsed_ns":...,"forks":...,"failed":...,
 *    "forks_per_s":...,"writer_opens":...,"writer_writes":...,
 *    "writer_bytes":...,"opens_per_s":...}
 * failed counts children that did not exit 0. Exit status: 0, or 2 on a
 * setup error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define BLOCK 256

static char dir[PATH_MAX - 64], self[PATH_MAX];
static char block[BLOCK];
static volatile int stop;

enum { TIDY, LEAKY, HOLDER, THREADS, CLOEXEC, FORKER, NKINDS };
/* the eight roles in turn: tidy three times */
static const int kinds[8] = { TIDY, LEAKY, TIDY, HOLDER, THREADS, TIDY, CLOEXEC, FORKER };
static const char *const kind_names[NKINDS] = {
	"tidy", "leaky", "holder", "threads", "cloexec", "forker"
};

static void usage(void)
{
	fprintf(stderr, "usage: churn [-d SECONDS] [-r FORKS] [-w OPENS] [-p PERIOD_MS] "
		"[-t THREADS] [-k PATHS] [-D DIR] [-c CPU]\n");
	exit(2);
}

static void cleanup(void)
{
	DIR *d;
	struct dirent *e;

	if (!dir[0] || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(dir);
}

static void sleep_ns(unsigned long long ns)
{
	struct timespec ts = { ns / 1000000000ull, ns % 1000000000ull };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- the child roles (run after exec: errors exit 3) ---------------------- */

static int child_open(const char *d, unsigned set, const char *what, int flags)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/c%u.%s", d, set, what);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC | flags, 0644);
	if (fd < 0)
		_exit(3);
	return fd;
}

static void child_write(int fd, int n)
{
	for (int i = 0; i < n; i++)
		if (write(fd, block, BLOCK) != BLOCK)
			_exit(3);
}

struct tharg {
	const char *d;
	unsigned set;
	int n;
};

static void *child_thread(void *p)
{
	struct tharg *a = p;
	char what[16];
	int fd;

	snprintf(what, sizeof(what), "t%d", a->n);
	fd = child_open(a->d, a->set, what, 0);
	child_write(fd, 2);
	if (a->n < 2) {
		close(fd);
		return NULL;
	}
	/* still writing when the process exits */
	for (;;) {
		child_write(fd, 1);
		sleep_ns(1000000);
	}
}

static int child(int kind, unsigned seq, const char *d)
{
	unsigned set = seq % 64;
	char buf[BLOCK];
	int a, b;

	switch (kind) {
	case TIDY:
		a = child_open(d, set, "a", 0);
		b = child_open(d, set, "b", 0);
		child_write(a, 4);
		child_write(b, 4);
		if (pread(a, buf, BLOCK, 0) != BLOCK)
			_exit(3);
		if (seq % 4 == 0 && fsync(b))
			_exit(3);
		close(a);
		close(b);
		return 0;
	case LEAKY:
		a = child_open(d, set, "la", 0);
		b = child_open(d, set, "lb", 0);
		child_write(a, 2);
		child_write(b, 1);
		_exit(0);
	case HOLDER: {
		int ticks = 5 + seq % 16;	/* 0.5 to 2 s */

		a = child_open(d, set, "h", 0);
		for (int i = 0; i < ticks; i++) {
			child_write(a, 1);
			sleep_ns(100000000);
		}
		_exit(0);
	}
	case THREADS: {
		struct tharg args[3];
		pthread_t t[3];

		for (int i = 0; i < 3; i++) {
			args[i] = (struct tharg){ d, set, i };
			if (pthread_create(&t[i], NULL, child_thread, &args[i]))
				_exit(3);
		}
		pthread_join(t[0], NULL);
		pthread_join(t[1], NULL);
		sleep_ns(2000000);
		exit(0);	/* the third thread is killed mid-loop */
	}
	case CLOEXEC: {
		char s[24];

		a = child_open(d, set, "x", O_CLOEXEC);
		child_write(a, 2);
		snprintf(s, sizeof(s), "%u", seq);
		execl(self, "churn", "--child", "stage2", s, d, (char *)NULL);
		_exit(3);
	}
	case NKINDS:	/* stage2: after the cloexec role's exec */
		a = child_open(d, set, "s2", 0);
		child_write(a, 3);
		close(a);
		return 0;
	case FORKER:
		a = child_open(d, set, "f", 0);
		child_write(a, 1);
		if (fork() == 0) {
			child_write(a, 2);
			_exit(0);
		}
		_exit(0);
	}
	return 3;
}

static int child_main(int argc, char **argv)
{
	int kind = -1;

	if (argc != 5)
		return 2;
	for (int k = 0; k < NKINDS; k++)
		if (!strcmp(argv[2], kind_names[k]))
			kind = k;
	if (!strcmp(argv[2], "stage2"))
		kind = NKINDS;
	if (kind < 0)
		return 2;
	memset(block, 'c', sizeof(block));
	if (readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0)
		return 3;
	return child(kind, strtoul(argv[3], NULL, 10), argv[4]);
}

/* ---- the writers ----------------------------------------------------------- */

struct writer {
	pthread_t t;
	int id, nthreads, paths;
	unsigned long long t0, period_ns, per_period;
	unsigned long long opens, writes, bytes;
};

static void *writer(void *p)
{
	struct writer *w = p;
	char path[PATH_MAX];
	unsigned long long k = 0;

	for (unsigned long long period = 0; !stop; period++) {
		unsigned long long n = w->per_period / w->nthreads +
				       ((unsigned long long)w->id < w->per_period % w->nthreads);
		unsigned long long next = w->t0 + (period + 1) * w->period_ns, now;

		for (unsigned long long i = 0; i < n && !stop; i++, k++) {
			int fd, writes = 1 + k % 4;

			snprintf(path, sizeof(path), "%s/w%d.%llu", dir, w->id,
				 k % (unsigned long long)w->paths);
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0)
				die("open");
			for (int j = 0; j < writes; j++)
				if (write(fd, block, BLOCK) != BLOCK)
					die("write");
			close(fd);
			w->opens++;
			w->writes += writes;
			w->bytes += (unsigned long long)writes * BLOCK;
		}
		now = now_ns();
		if (next > now)
			sleep_ns(next - now);
	}
	return NULL;
}

/* ---- the spawner ------------------------------------------------------------- */

static long reap(int flags, long *failed)
{
	long n = 0;
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, flags)) > 0) {
		n++;
		*failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	return n;
}

int main(int argc, char **argv)
{
	long seconds = 60, rate = 200, opens = 10000, period_ms = 1000, nthreads = 2;
	long paths = 256, forks = 0, reaped = 0, failed = 0;
	const char *base = "/dev/shm";
	unsigned long long t0, t1, interval, wo = 0, ww = 0, wb = 0;
	struct writer *ws;
	ssize_t n;
	int cpu = -1, opt;

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child_main(argc, argv);
	bench_name = "churn";
	bench_cleanup = cleanup;
	while ((opt = getopt(argc, argv, "d:r:w:p:t:k:D:c:h")) != -1) {
		switch (opt) {
		case 'd': seconds = strtol(optarg, NULL, 10); break;
		case 'r': rate = strtol(optarg, NULL, 10); break;
		case 'w': opens = strtol(optarg, NULL, 10); break;
		case 'p': period_ms = strtol(optarg, NULL, 10); break;
		case 't': nthreads = strtol(optarg, NULL, 10); break;
		case 'k': paths = strtol(optarg, NULL, 10); break;
		case 'D': base = optarg; break;
		case 'c': cpu = atoi(optarg); break;
		default: usage();
		}
	}
	if (seconds <= 0 || rate < 0 || opens < 0 || period_ms <= 0 || nthreads <= 0 ||
	    nthreads > 64 || paths <= 0 || cpu >= CPU_SETSIZE)
		usage();
	if (cpu >= 0)
		pin_cpu(cpu);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		die("readlink /proc/self/exe");
	self[n] = '\0';
	if (snprintf(dir, sizeof(dir), "%s/churn.XXXXXX", base) >= (int)sizeof(dir))
		usage();
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		die("mkdtemp");
	}
	memset(block, 'w', sizeof(block));

	t0 = now_ns();
	ws = calloc(nthreads, sizeof(*ws));
	if (!ws)
		die("calloc");
	for (long i = 0; i < nthreads; i++) {
		ws[i] = (struct writer){ .id = i, .nthreads = nthreads, .paths = paths, .t0 = t0,
					 .period_ns = period_ms * 1000000ull,
					 .per_period = opens * period_ms / 1000 };
		if (opens && pthread_create(&ws[i].t, NULL, writer, &ws[i]))
			die("pthread_create");
	}

	/* forks paced evenly; a late one is made up for at once, not skipped */
	interval = rate ? 1000000000ull / rate : 0;
	for (;;) {
		unsigned long long now = now_ns(), next = t0 + forks * interval;

		reaped += reap(WNOHANG, &failed);
		if (now - t0 >= seconds * 1000000000ull)
			break;
		if (!rate || next > now) {
			unsigned long long end = t0 + seconds * 1000000000ull;

			sleep_ns((rate && next < end ? next : end) - now);
			continue;
		}
		{
			char s[24];
			int kind = kinds[forks % 8];
			pid_t p;

			snprintf(s, sizeof(s), "%ld", forks);
			p = fork();
			if (p < 0)
				die("fork");
			if (p == 0) {
				execl(self, "churn", "--child", kind_names[kind], s, dir,
				      (char *)NULL);
				_exit(127);
			}
			forks++;
		}
	}
	stop = 1;
	for (long i = 0; i < nthreads; i++) {
		if (opens)
			pthread_join(ws[i].t, NULL);
		wo += ws[i].opens;
		ww += ws[i].writes;
		wb += ws[i].bytes;
	}
	reaped += reap(0, &failed);
	t1 = now_ns();

	printf("{\"pid\":%d,\"dir\":\"%s\",\"elapsed_ns\":%llu,\"forks\":%ld,\"reaped\":%ld,"
	       "\"failed\":%ld,\"forks_per_s\":%.1f,\"writer_opens\":%llu,\"writer_writes\":%llu,"
	       "\"writer_bytes\":%llu,\"opens_per_s\":%.1f}\n",
	       (int)getpid(), dir, t1 - t0, forks, reaped, failed, forks * 1e9 / (t1 - t0),
	       wo, ww, wb, wo * 1e9 / (t1 - t0));
	cleanup();
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * What every bench workload shares: its name in messages, dying with a
 * clean-up, the clock around the timed loop, pinning to one CPU, and a
 * network namespace of its own. Each
 * workload is one .c file built alone; this header is all they share.
 */
#ifndef KSCOPE_BENCH_H
#define KSCOPE_BENCH_H

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *bench_name = "bench";   /* set first thing in main() */
static void (*bench_cleanup)(void);          /* run by die(), if set */

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", bench_name, what, strerror(errno));
	if (bench_cleanup)
		bench_cleanup();
	exit(2);
}

/* CLOCK_MONOTONIC through the vDSO: no syscall inside the timed loop */
static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* This thread (and what it creates from now on) on CPU cpu only */
static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/*
 * A network namespace of our own (and the namespaces of more_flags, e.g.
 * CLONE_NEWUTS), with its loopback up: the workload's sockets alone there
 */
static inline void own_netns(int more_flags)
{
	struct ifreq ifr;
	int fd;

	if (unshare(CLONE_NEWNET | more_flags))
		die("unshare");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		die("SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		die("SIOCSIFFLAGS lo");
	close(fd);
}

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * connstorm: TCP on loopback with exact counts: a connection storm, or one
 * bulk transfer.
 *
 *   connstorm [-m conn] [-n CONNS] [-c CPU] [-w WARMUP] [-k]
 *   connstorm -m bulk [-b MIB] [-s WRITE_KB] [-c CPU] [-w WARMUP_MIB] [-k]
 *
 * Both threads (a client, and a server thread accepting on 127.0.0.1) run
 * pinned to CPU (default 1), in a network namespace of their own (unshare;
 * -k keeps the caller's): every run starts with empty socket tables, so the
 * TIME_WAIT sockets of the previous runs neither use up the ephemeral ports
 * nor make connect() search longer for one. The server's port is unique to
 * the run (from the pid, below the ephemeral range), so a tracer's output
 * can be searched for exactly this run's connections; the warm-up uses
 * another (an ephemeral one).
 *
 * conn: CONNS connections (default 20000), one after the other: the client
 * connects, writes 64 bytes, reads the server's 64 and closes; the server
 * accepts, reads the 64, writes 64, reads to the end and closes. So each
 * connection is two sockets (sides) closing, the client first (FIN_WAIT2
 * -> TIME_WAIT), the server from LAST_ACK, and each side sent exactly 64
 * application bytes and received 64. WARMUP connections (default 500) run
 * first, untimed.
 *
 * bulk: one connection; the client writes MIB MiB (default 2048) in writes
 * of WRITE_KB KiB (default 1024) and shuts its side down, the server reads
 * with a buffer of the same size to the end, then closes. WARMUP_MIB
 * (default 64) go through another connection first, untimed. The count of
 * read() calls is reported: what a per-call hook runs per MiB.
 *
 * Prints one JSON object on stdout:
 *   conn: {"mode":"conn","port":P,"warm_port":W,"netns":INO,"cpu":...,
 *          "conns":N,"warmup":...,"bytes_each":64,"elapsed_ns":...,"cpu_ns":...,
 *          "conns_expected":N,"sides_expected":2N,"failed":...,
 *          "voluntary":...,"involuntary":...,"ns_per_conn":...,"pid":...}
 *   bulk: {"mode":"bulk","port":P,"warm_port":W,"netns":INO,"cpu":...,
 *          "bytes":B,"mib":...,"write_size":...,"writes":...,"reads":...,
 *          "received":...,"elapsed_ns":...,"cpu_ns":...,
 *          "mib_per_s":...,"pid":...}
 * elapsed_ns is CLOCK_MONOTONIC around the timed part (conn: the loop;
 * bulk: from connect() to the server's close); cpu_ns is the process's
 * user + system time over the same span (both threads; with
 * CONFIG_IRQ_TIME_ACCOUNTING off, as here, the loopback's softirq work done
 * in them too), which other tasks on the CPU do not inflate. failed (conn) counts
 * connections whose bytes were not exactly 64 each way; received (bulk)
 * must equal bytes. Exit status: 0, or 2 on a setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define MSG 64

struct server {
	int lfd;
	long conns;          /* conn: connections to accept */
	size_t bufsize;      /* bulk: read size */
	long failed;         /* conn: connections not exactly MSG each way */
	unsigned long long received, reads;
};

/* user + system time of the whole process (both threads), in ns */
static unsigned long long cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		die("getrusage");
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static void usage(void)
{
	fprintf(stderr, "usage: connstorm [-m conn|bulk] [-n CONNS] [-b MIB] [-s WRITE_KB] "
		"[-c CPU] [-w WARMUP] [-k]\n");
	exit(2);
}

static int listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 128))
		die("bind/listen");
	return fd;
}

static int port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		die("getsockname");
	return ntohs(a.sin_port);
}

static int dial(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	return fd;
}

/* read exactly n bytes (fewer only at the end of the stream); returns what was read */
static size_t read_n(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read");
		if (r == 0)
			break;
		got += r;
	}
	return got;
}

static void write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			die("write");
		buf += w;
		n -= w;
	}
}

static void *serve_conns(void *arg)
{
	struct server *s = arg;
	char buf[MSG * 2];

	for (long i = 0; i < s->conns; i++) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		size_t got, rest;

		if (fd < 0)
			die("accept");
		got = read_n(fd, buf, MSG);
		write_all(fd, buf, MSG);
		rest = read_n(fd, buf, sizeof(buf));  /* to the end: 0 */
		s->failed += got != MSG || rest != 0;
		close(fd);
	}
	return NULL;
}

/* n connections to port, served by a thread on lfd; returns how many failed */
static long conn_storm(int lfd, int port, long n)
{
	struct server s = { .lfd = lfd, .conns = n };
	char out[MSG], in[MSG + 1];
	pthread_t t;
	long failed = 0;

	memset(out, 'x', sizeof(out));
	if (pthread_create(&t, NULL, serve_conns, &s))
		die("pthread_create");
	for (long i = 0; i < n; i++) {
		int fd = dial(port);

		write_all(fd, out, MSG);
		failed += read_n(fd, in, MSG) != MSG;
		close(fd);
	}
	pthread_join(t, NULL);
	return failed + s.failed;
}

static void *serve_bulk(void *arg)
{
	struct server *s = arg;
	char *buf = malloc(s->bufsize);
	int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);

	if (!buf || fd < 0)
		die("accept");
	for (;;) {
		ssize_t r = read(fd, buf, s->bufsize);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read");
		s->reads++;
		if (r == 0)
			break;
		s->received += r;
	}
	close(fd);
	free(buf);
	return NULL;
}

/* one connection carrying bytes in writes of wsize; the server's count */
static struct server bulk(int lfd, int port, unsigned long long bytes, size_t wsize,
			  unsigned long long *writes)
{
	struct server s = { .lfd = lfd, .bufsize = wsize };
	char *buf = malloc(wsize), c;
	pthread_t t;
	int fd;

	if (!buf)
		die("malloc");
	memset(buf, 'x', wsize);
	if (pthread_create(&t, NULL, serve_bulk, &s))
		die("pthread_create");
	fd = dial(port);
	*writes = 0;
	for (unsigned long long left = bytes; left; (*writes)++) {
		size_t n = left < wsize ? left : wsize;

		write_all(fd, buf, n);
		left -= n;
	}
	shutdown(fd, SHUT_WR);
	read_n(fd, &c, 1);      /* the server's close */
	close(fd);
	pthread_join(t, NULL);
	free(buf);
	return s;
}

int main(int argc, char **argv)
{
	long n = 20000, warmup = -1, failed = 0;
	unsigned long long mib = 2048, t0, t1, c0, c1, writes = 0;
	size_t wsize = 1024 * 1024;
	int cpu = 1, opt, keep_netns = 0, bulk_mode = 0, port, lfd, wfd;
	struct rusage before, after;
	struct server s = { 0 };
	struct stat ns;

	bench_name = "connstorm";
	while ((opt = getopt(argc, argv, "m:n:b:s:c:w:kh")) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "bulk"))
				bulk_mode = 1;
			else if (strcmp(optarg, "conn"))
				usage();
			break;
		case 'n': n = strtol(optarg, NULL, 10); break;
		case 'b': mib = strtoull(optarg, NULL, 10); break;
		case 's': wsize = strtoul(optarg, NULL, 10) * 1024; break;
		case 'c': cpu = atoi(optarg); break;
		case 'w': warmup = strtol(optarg, NULL, 10); break;
		case 'k': keep_netns = 1; break;
		default: usage();
		}
	}
	if (warmup < 0)
		warmup = bulk_mode ? 64 : 500;
	if (n <= 0 || mib == 0 || wsize == 0 || cpu < 0 || cpu >= CPU_SETSIZE)
		usage();

	pin_cpu(cpu);
	if (!keep_netns)
		own_netns(0);
	if (stat("/proc/self/ns/net", &ns))
		die("stat /proc/self/ns/net");
	port = 10000 + getpid() % 20000;
	lfd = listen_on(port);
	wfd = listen_on(0);

	if (bulk_mode) {
		unsigned long long bytes = mib << 20, wwrites;

		if (warmup)
			bulk(wfd, port_of(wfd), (unsigned long long)warmup << 20, wsize, &wwrites);
		c0 = cpu_ns();
		t0 = now_ns();
		s = bulk(lfd, port, bytes, wsize, &writes);
		t1 = now_ns();
		c1 = cpu_ns();
		printf("{\"mode\":\"bulk\",\"port\":%d,\"warm_port\":%d,\"netns\":%llu,\"cpu\":%d,"
		       "\"bytes\":%llu,\"mib\":%llu,\"write_size\":%zu,\"writes\":%llu,"
		       "\"reads\":%llu,\"received\":%llu,\"elapsed_ns\":%llu,\"cpu_ns\":%llu,"
		       "\"mib_per_s\":%.1f,\"pid\":%d}\n",
		       port, port_of(wfd), (unsigned long long)ns.st_ino, cpu, bytes, mib, wsize,
		       writes, s.reads, s.received, t1 - t0, c1 - c0, mib * 1e9 / (t1 - t0),
		       (int)getpid());
		return 0;
	}
	if (warmup && conn_storm(wfd, port_of(wfd), warmup))
		die("warm-up: a connection did not carry 64 bytes each way");
	if (getrusage(RUSAGE_THREAD, &before))
		die("getrusage");
	c0 = cpu_ns();
	t0 = now_ns();
	failed = conn_storm(lfd, port, n);
	t1 = now_ns();
	c1 = cpu_ns();
	if (getrusage(RUSAGE_THREAD, &after))
		die("getrusage");
	printf("{\"mode\":\"conn\",\"port\":%d,\"warm_port\":%d,\"netns\":%llu,\"cpu\":%d,"
	       "\"conns\":%ld,\"warmup\":%ld,\"bytes_each\":%d,\"elapsed_ns\":%llu,\"cpu_ns\":%llu,"
	       "\"conns_expected\":%ld,\"sides_expected\":%ld,\"failed\":%ld,\"voluntary\":%ld,"
	       "\"involuntary\":%ld,\"ns_per_conn\":%.1f,\"pid\":%d}\n",
	       port, port_of(wfd), (unsigned long long)ns.st_ino, cpu, n, warmup, MSG, t1 - t0,
	       c1 - c0, n, 2 * n, failed, after.ru_nvcsw - before.ru_nvcsw,
	       after.ru_nivcsw - before.ru_nivcsw, (double)(t1 - t0) / n, (int)getpid());
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * diostorm: an O_DIRECT write storm to a block device, with an exact count
 * of block requests.
 *
 *   diostorm -f DEVICE [-n WRITES] [-c CPU] [-w WARMUP] [-m seq|rand] [-b BYTES]
 *
 * One thread, pinned to CPU (default 1), opens the block device DEVICE
 * (e.g. a loop device on a file in /dev/shm) with O_DIRECT and makes WRITES
 * (default 20000) pwrite() calls of BYTES bytes (default 4096) from an
 * aligned buffer, back to back, each at an offset that is a multiple of
 * BYTES: one after the other through the device (seq), or drawn from a
 * fixed-seed xorshift generator over the whole device (rand, the default),
 * the same offsets every run. An O_DIRECT write of one block to a block
 * device is one bio and one request (no page cache, no merge: the next
 * write starts only once this one has completed), so every pwrite() is
 * exactly one block request: block_rq_issue and block_rq_complete once each
 * (and block_rq_insert once, with an I/O scheduler such as mq-deadline).
 * WARMUP writes (default 100) run first, untimed, on the same descriptor
 * and the same offset sequence: a tracer of the device counts them too
 * (writes_total). Nothing else writes to the device while it runs.
 *
 * Prints one JSON object on stdout:
 *   {"path":DEVICE,"device":"loop0","major":7,"minor":0,"scheduler":"none",
 *    "mode":"rand","cpu":...,"writes":WRITES,"warmup":WARMUP,"writes_total":...,
 *    "bytes":BYTES,"device_bytes":...,"elapsed_ns":...,"cpu_ns":...,
 *    "writes_expected":WRITES,"short":...,"voluntary":...,"involuntary":...,
 *    "ns_per_write":...,"pid":...}
 * device, major and minor are the device's (its sysfs name); scheduler is
 * the one in brackets in its queue/scheduler (null if unreadable).
 * elapsed_ns is CLOCK_MONOTONIC (vDSO) around the timed loop; cpu_ns is the
 * thread's user + system time over it (the device's own work, e.g. a loop
 * device's worker thread, is not in it); short counts writes that did not
 * write BYTES. Exit status: 0, or 2 on a setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static void usage(void)
{
	fprintf(stderr, "usage: diostorm -f DEVICE [-n WRITES] [-c CPU] [-w WARMUP] "
		"[-m seq|rand] [-b BYTES]\n");
	exit(2);
}

struct offsets {
	int rand;
	unsigned long long blocks;   /* the device's size in BYTES blocks */
	unsigned long long next;     /* seq: the next block */
	unsigned long long x;        /* rand: xorshift64 state */
};

static unsigned long long next_block(struct offsets *o)
{
	if (!o->rand)
		return o->next++ % o->blocks;
	o->x ^= o->x << 13;
	o->x ^= o->x >> 7;
	o->x ^= o->x << 17;
	return o->x % o->blocks;
}

/* n O_DIRECT pwrite()s of len bytes; returns how many wrote less */
static long storm(int fd, const void *buf, size_t len, struct offsets *o, long n)
{
	long bad = 0;

	for (long i = 0; i < n; i++)
		bad += pwrite(fd, buf, len, (off_t)(next_block(o) * len)) != (ssize_t)len;
	return bad;
}

/* user + system time of this thread, in ns */
static unsigned long long thread_cpu_ns(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000ull +
	       (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000ull;
}

/* The device's sysfs name (loop0) and its scheduler ("none", "mq-deadline"; "" if
 * unknown), from /sys/dev/block/MAJ:MIN */
static void sysfs_info(dev_t rdev, char *name, size_t name_len, char *sched,
		       size_t sched_len)
{
	char path[PATH_MAX], link[PATH_MAX], line[256];
	const char *base, *open_b, *close_b;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(rdev), minor(rdev));
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die(path);
	link[n] = 0;
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (strlen(base) >= name_len) {
		errno = ENAMETOOLONG;
		die(link);
	}
	memcpy(name, base, strlen(base) + 1);

	sched[0] = 0;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/scheduler", major(rdev),
		 minor(rdev));
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		open_b = strchr(line, '[');
		close_b = open_b ? strchr(open_b, ']') : NULL;
		if (close_b)
			snprintf(sched, sched_len, "%.*s", (int)(close_b - open_b - 1), open_b + 1);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	long writes = 20000, warmup = 100, bad;
	const char *dev = NULL, *mode = "rand";
	unsigned long long t0, t1, size = 0;
	struct offsets o = { .rand = 1, .x = 0x9e3779b97f4a7c15ull };
	struct rusage before, after;
	char name[64], sched[64];
	size_t len = 4096;
	struct stat st;
	int cpu = 1, opt, fd;
	void *buf;

	bench_name = "diostorm";
	while ((opt = getopt(argc, argv, "f:n:c:w:m:b:h")) != -1) {
		switch (opt) {
		case 'f': dev = optarg; break;
		case 'n': writes = strtol(optarg, NULL, 10); break;
		case 'c': cpu = atoi(optarg); break;
		case 'w': warmup = strtol(optarg, NULL, 10); break;
		case 'm':
			if (!strcmp(optarg, "seq"))
				o.rand = 0;
			else if (strcmp(optarg, "rand"))
				usage();
			mode = optarg;
			break;
		case 'b': len = strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!dev || writes <= 0 || warmup < 0 || cpu < 0 || cpu >= CPU_SETSIZE || !len ||
	    len % 512 || len > (1 << 20))
		usage();

	pin_cpu(cpu);
	fd = open(dev, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		die(dev);
	if (fstat(fd, &st))
		die("fstat");
	if (!S_ISBLK(st.st_mode)) {
		errno = ENOTBLK;
		die(dev);
	}
	if (ioctl(fd, BLKGETSIZE64, &size))
		die("BLKGETSIZE64");
	o.blocks = size / len;
	if (!o.blocks) {
		errno = ENOSPC;
		die("device smaller than one write");
	}
	sysfs_info(st.st_rdev, name, sizeof(name), sched, sizeof(sched));
	/* O_DIRECT: the buffer aligned to the page (the logical block size divides it) */
	if (posix_memalign(&buf, 4096, len))
		die("posix_memalign");
	memset(buf, 'x', len);

	if (storm(fd, buf, len, &o, warmup))
		die("pwrite (warm-up)");
	if (getrusage(RUSAGE_THREAD, &before))
		die("getrusage");
	t0 = now_ns();
	bad = storm(fd, buf, len, &o, writes);
	t1 = now_ns();
	if (getrusage(RUSAGE_THREAD, &after))
		die("getrusage");
	close(fd);

	printf("{\"path\":\"%s\",\"device\":\"%s\",\"major\":%u,\"minor\":%u,\"scheduler\":",
	       dev, name, major(st.st_rdev), minor(st.st_rdev));
	if (sched[0])
		printf("\"%s\"", sched);
	else
		printf("null");
	printf(",\"mode\":\"%s\",\"cpu\":%d,\"writes\":%ld,\"warmup\":%ld,\"writes_total\":%ld,"
	       "\"bytes\":%zu,\"device_bytes\":%llu,\"elapsed_ns\":%llu,\"cpu_ns\":%llu,"
	       "\"writes_expected\":%ld,\"short\":%ld,\"voluntary\":%ld,\"involuntary\":%ld,"
	       "\"ns_per_write\":%.1f,\"pid\":%d}\n",
	       mode, cpu, writes, warmup, writes + warmup, len, size, t1 - t0,
	       thread_cpu_ns(&after) - thread_cpu_ns(&before), writes, bad,
	       after.ru_nvcsw - before.ru_nvcsw, after.ru_nivcsw - before.ru_nivcsw,
	       (double)(t1 - t0) / writes, (int)getpid());
	return 0;
}

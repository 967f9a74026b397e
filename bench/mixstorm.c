// SPDX-License-Identifier: GPL-2.0
/*
 * mixstorm: one operation of each area kscope container measures, back to
 * back, with an exact count of each.
 *
 *   mixstorm [-n OPS] [-c CPU] [-w WARMUP] [-d DIR] [-f DEVICE] [-p PAGES]
 *
 * One thread, pinned to CPU (default 1), first moves to a UTS and a network
 * namespace of its own (unshare(CLONE_NEWUTS | CLONE_NEWNET), loopback up:
 * the machine's host name is never touched, and the socket tables are
 * empty), sets up what the operations use, then makes OPS (default 100000)
 * operations back to back. One operation is, in this order:
 *
 *   getppid()          through syscall(SYS_getppid): one syscall, nothing else
 *   pwrite()           4 KiB at offset 0 of a file it made in DIR (default
 *                      /dev/shm: tmpfs, so no block I/O), opened after the
 *                      runner started the tracer (kscope fileio counts I/O on
 *                      files opened while it runs)
 *   a first touch      one byte written to the next page of an anonymous
 *                      private mapping of PAGES pages (default 256,
 *                      MADV_NOHUGEPAGE): one minor user-mode write fault; a
 *                      mapping whose pages are all touched is unmapped and a
 *                      new one mapped (3 syscalls per PAGES operations)
 *   send() + recv()    64 bytes sent on one side of a loopback TCP connection
 *                      (made before the timed part, TCP_NODELAY on both
 *                      sides) and received on the other; the direction
 *                      alternates every operation, so each side's data
 *                      carries the ACK of what it received (no ACK waits on
 *                      a timer); loopback delivers the segment within the
 *                      send, so the recv never waits
 *   sethostname()      through syscall(SYS_sethostname), in its own UTS
 *                      namespace: one CAP_SYS_ADMIN capability check
 *                      (cap_capable), granted
 *
 * So an operation is 5 syscalls (+ 3/PAGES), 1 page fault, 4096 file bytes
 * written, 64 TCP bytes sent and 64 received, and 1 capability check; no
 * context switch and no block I/O.
 *
 * Before the warm-up, untimed, two things happen once that no operation
 * does, so that every tracer of the areas has something of the run to
 * show: a child process (fork) drops to uid 65534 and calls sethostname()
 * in the same UTS namespace: one CAP_SYS_ADMIN check, denied (EPERM) -- what
 * `kscope security --denied` counts; and, with -f, one 4 KiB O_DIRECT write
 * at offset 0 of the block device DEVICE (a loop device of the runner's):
 * one block write request -- what `kscope diskio` counts.
 *
 * WARMUP operations (default 5000) run first, untimed: tracers count them
 * too (ops_total). Around the timed loop the thread reads its own rusage
 * (context switches, faults, CPU time); every call's result is checked.
 *
 * Prints one JSON object on stdout:
 *   {"cpu":...,"ops":OPS,"warmup":WARMUP,"ops_total":OPS+WARMUP,
 *    "ops_expected":OPS,"pages":PAGES,"path":FILE,"file_bytes":4096,
 *    "net_bytes":64,"syscalls_per_op":5,"cgroup":V2PATH,"memcg":PATH,
 *    "blkcg":PATH,"mntns":INO,"denied":0|1,"disk_writes":0|1,
 *    "device":NAME|null,"major":...,"minor":...,"failed":...,
 *    "failed_what":...,"errno":...,"minflt":...,"majflt":...,"elapsed_ns":...,
 *    "cpu_ns":...,"voluntary":...,"involuntary":...,"ns_per_op":...,"comm":...,
 *    "pid":...}
 * cgroup is the process's cgroup v2 path (the "0::" line of
 * /proc/self/cgroup), memcg and blkcg its memory and blkio cgroup paths (the
 * v1 hierarchy's where those controllers are v1, else the v2 path): the
 * rows a per-cgroup tracer keys its work by; mntns the inode of its mount
 * namespace (kscope container groups a cgroup no path names by its
 * processes' mount namespace, when it is not the host's). denied is 1 when
 * the child was refused, disk_writes 1 when the O_DIRECT write was made
 * (device, major and minor: DEVICE's). failed counts the calls of the
 * operations that did not do what they should (failed_what names the first
 * such call, errno its errno). minflt and majflt are the thread's faults
 * over the timed loop (minflt ~ OPS). elapsed_ns is CLOCK_MONOTONIC (vDSO)
 * around the timed loop; cpu_ns the thread's user + system time over it.
 * Exit status: 0, or 2 on a setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define FILE_BYTES 4096
#define NET_BYTES 64
#define SYSCALLS_PER_OP 5

static const char host[] = "kscope-bench";
static char path[4096];

struct mix {
	int fd;                 /* the tmpfs file */
	int sock[2];            /* the two sides of the loopback connection */
	long pages;             /* pages per mapping */
	size_t page;
	char *map;              /* the mapping pages are touched in */
	long next;              /* its next untouched page */
	pid_t parent;
	long failed;
	const char *failed_what;
	int err;
};

static void usage(void)
{
	fprintf(stderr, "usage: mixstorm [-n OPS] [-c CPU] [-w WARMUP] [-d DIR] [-f DEVICE] "
		"[-p PAGES]\n");
	exit(2);
}

static void cleanup(void)
{
	if (path[0])
		unlink(path);
}

/* A connected pair of TCP sockets on 127.0.0.1 (the listener closed), TCP_NODELAY */
static void tcp_pair(int sock[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (lfd < 0)
		die("socket");
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&a, &len))
		die("bind/listen");
	sock[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock[0] < 0)
		die("socket");
	if (connect(sock[0], (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	sock[1] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (sock[1] < 0)
		die("accept");
	close(lfd);
	for (int i = 0; i < 2; i++)
		if (setsockopt(sock[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
			die("TCP_NODELAY");
}

static char *new_map(struct mix *m)
{
	size_t len = m->pages * m->page;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	if (madvise(p, len, MADV_NOHUGEPAGE))
		die("madvise");
	return p;
}

/* One CAP_SYS_ADMIN check, denied: a child as uid 65534 calls sethostname() (EPERM).
 * Returns 1 when it was refused as it should be. */
static int denied_check(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		die("fork");
	if (!pid) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(3);
		_exit(syscall(SYS_sethostname, host, sizeof(host) - 1) == -1 && errno == EPERM ?
		      0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* One 4 KiB O_DIRECT write at offset 0 of a block device: one block write request */
static int disk_write(const char *dev, char *name, size_t name_len, unsigned *major,
		      unsigned *minor)
{
	char link[64], target[4096], *base;
	struct stat st;
	void *buf;
	ssize_t n;
	int fd = open(dev, O_WRONLY | O_DIRECT | O_CLOEXEC);

	if (fd < 0)
		die(dev);
	if (fstat(fd, &st) || !S_ISBLK(st.st_mode)) {
		errno = ENOTBLK;
		die(dev);
	}
	*major = major(st.st_rdev);
	*minor = minor(st.st_rdev);
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", *major, *minor);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		die(link);
	target[n] = 0;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	n = strlen(base) < name_len ? (ssize_t)strlen(base) : (ssize_t)name_len - 1;
	memcpy(name, base, n);
	name[n] = 0;
	if (posix_memalign(&buf, 4096, 4096))
		die("posix_memalign");
	memset(buf, 'd', 4096);
	if (pwrite(fd, buf, 4096, 0) != 4096)
		die("pwrite (O_DIRECT)");
	close(fd);
	free(buf);
	return 1;
}

/* The path of this process's cgroup in the hierarchy of controller (NULL: v2) */
static void cgroup_of(const char *controller, char *out, size_t len)
{
	char line[4096], v2[4096] = "";
	FILE *f = fopen("/proc/self/cgroup", "r");

	out[0] = 0;
	if (!f)
		die("/proc/self/cgroup");
	while (fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *p;

		if (!ctl || !(p = strchr(ctl + 1, ':')))
			continue;
		*ctl++ = 0;
		*p++ = 0;
		p[strcspn(p, "\n")] = 0;
		if (!strcmp(line, "0") && !*ctl)
			snprintf(v2, sizeof(v2), "%s", p);
		else if (controller) {
			for (char *c = strtok(ctl, ","); c; c = strtok(NULL, ","))
				if (!strcmp(c, controller))
					snprintf(out, len, "%s", p);
		}
	}
	fclose(f);
	if (!out[0])
		snprintf(out, len, "%s", v2);
}

static void fail(struct mix *m, const char *what)
{
	if (!m->failed++) {
		m->failed_what = what;
		m->err = errno;
	}
}

/* n operations */
static void storm(struct mix *m, long n)
{
	static char fbuf[FILE_BYTES], nbuf[NET_BYTES];

	for (long i = 0; i < n; i++) {
		int tx = i & 1;

		if (syscall(SYS_getppid) != m->parent)
			fail(m, "getppid");
		if (pwrite(m->fd, fbuf, FILE_BYTES, 0) != FILE_BYTES)
			fail(m, "pwrite");
		((volatile char *)m->map)[m->next * m->page] = 1;
		if (++m->next == m->pages) {
			if (munmap(m->map, m->pages * m->page))
				die("munmap");
			m->map = new_map(m);
			m->next = 0;
		}
		if (send(m->sock[tx], nbuf, NET_BYTES, 0) != NET_BYTES)
			fail(m, "send");
		if (recv(m->sock[!tx], nbuf, NET_BYTES, MSG_WAITALL) != NET_BYTES)
			fail(m, "recv");
		if (syscall(SYS_sethostname, host, sizeof(host) - 1))
			fail(m, "sethostname");
	}
}

/* user + system time, in ns */
static unsigned long long cpu_ns(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000ull +
	       (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000ull;
}

int main(int argc, char **argv)
{
	long ops = 100000, warmup = 5000;
	const char *dir = "/dev/shm", *dev = NULL;
	char comm[17] = "", cg[4096], memcg[4096], blkcg[4096], devname[64] = "";
	unsigned major = 0, minor = 0;
	unsigned long long t0, t1;
	struct rusage before, after;
	struct mix m = { .pages = 256 };
	struct stat mnt;
	int cpu = 1, opt, denied, disk = 0;

	bench_name = "mixstorm";
	while ((opt = getopt(argc, argv, "n:c:w:d:f:p:h")) != -1) {
		switch (opt) {
		case 'n': ops = strtol(optarg, NULL, 10); break;
		case 'c': cpu = atoi(optarg); break;
		case 'w': warmup = strtol(optarg, NULL, 10); break;
		case 'd': dir = optarg; break;
		case 'f': dev = optarg; break;
		case 'p': m.pages = strtol(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (ops <= 0 || warmup < 0 || cpu < 0 || cpu >= CPU_SETSIZE || m.pages <= 0 ||
	    m.pages > (1 << 20))
		usage();
	m.page = sysconf(_SC_PAGESIZE);
	m.parent = getppid();
	if (prctl(PR_GET_NAME, comm))
		die("PR_GET_NAME");
	cgroup_of(NULL, cg, sizeof(cg));
	cgroup_of("memory", memcg, sizeof(memcg));
	cgroup_of("blkio", blkcg, sizeof(blkcg));
	if (stat("/proc/self/ns/mnt", &mnt))
		die("stat /proc/self/ns/mnt");

	pin_cpu(cpu);
	own_netns(CLONE_NEWUTS);
	tcp_pair(m.sock);
	snprintf(path, sizeof(path), "%s/mixstorm.%d", dir, (int)getpid());
	m.fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (m.fd < 0)
		die(path);
	bench_cleanup = cleanup;
	m.map = new_map(&m);

	denied = denied_check();
	if (dev)
		disk = disk_write(dev, devname, sizeof(devname), &major, &minor);

	storm(&m, warmup);
	if (getrusage(RUSAGE_THREAD, &before))
		die("getrusage");
	t0 = now_ns();
	storm(&m, ops);
	t1 = now_ns();
	if (getrusage(RUSAGE_THREAD, &after))
		die("getrusage");
	close(m.fd);
	cleanup();

	printf("{\"cpu\":%d,\"ops\":%ld,\"warmup\":%ld,\"ops_total\":%ld,\"ops_expected\":%ld,"
	       "\"pages\":%ld,\"path\":\"%s\",\"file_bytes\":%d,\"net_bytes\":%d,"
	       "\"syscalls_per_op\":%d,\"cgroup\":\"%s\",\"memcg\":\"%s\",\"blkcg\":\"%s\","
	       "\"mntns\":%llu,\"denied\":%d,\"disk_writes\":%d,\"device\":%s%s%s,"
	       "\"major\":%u,\"minor\":%u,\"failed\":%ld,\"failed_what\":%s%s%s,\"errno\":%d,"
	       "\"minflt\":%ld,\"majflt\":%ld,\"elapsed_ns\":%llu,\"cpu_ns\":%llu,"
	       "\"voluntary\":%ld,\"involuntary\":%ld,\"ns_per_op\":%.1f,\"comm\":\"%s\","
	       "\"pid\":%d}\n",
	       cpu, ops, warmup, ops + warmup, ops, m.pages, path, FILE_BYTES, NET_BYTES,
	       SYSCALLS_PER_OP, cg, memcg, blkcg, (unsigned long long)mnt.st_ino, denied, disk,
	       disk ? "\"" : "", disk ? devname : "null", disk ? "\"" : "", major, minor, m.failed,
	       m.failed_what ? "\"" : "", m.failed_what ? m.failed_what : "null",
	       m.failed_what ? "\"" : "", m.err, after.ru_minflt - before.ru_minflt,
	       after.ru_majflt - before.ru_majflt, t1 - t0, cpu_ns(&after) - cpu_ns(&before),
	       after.ru_nvcsw - before.ru_nvcsw, after.ru_nivcsw - before.ru_nivcsw,
	       (double)(t1 - t0) / ops, comm, (int)getpid());
	return 0;
}

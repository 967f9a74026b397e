// SPDX-License-Identifier: GPL-2.0
/*
 * fileio_rw [-g GO_FILE] INFO_FILE STEP...
 *
 * File I/O whose every number the test knows: the steps run in order, each
 * a few words of argv, and each checks its own results (a short read or
 * write is a failure: exit 3). INFO_FILE gets the pid on its first line as
 * soon as the program starts, then one line per step: the step's name and
 * the fd its open returned (-errno if it failed); fork adds the child's pid.
 *
 *   write PATH K SIZE      open(O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0640), K write()s of SIZE bytes
 *   read PATH K SIZE       open(O_RDONLY|O_CLOEXEC), K read()s of exactly SIZE bytes
 *   pwrite PATH K SIZE     as write, with pwrite64() at offsets 0, SIZE, 2*SIZE, ...
 *   pread PATH K SIZE      as read, with pread64()
 *   writev PATH K SIZE     as write, with writev() of two iovecs (SIZE/2 and the rest)
 *   readv PATH K SIZE      as read, with readv()
 *   fsync PATH N           open(O_WRONLY|O_CREAT|O_CLOEXEC, 0640), N fsync()s
 *   fdatasync PATH N       ... N fdatasync()s
 *   fail PATH              open(O_RDONLY) that must fail (ENOENT expected by the tests)
 *   creat PATH             creat(PATH, 0600)
 *   open PATH              the open(2) syscall itself, O_RDONLY (glibc's open() is openat);
 *                          exits 3 where there is none (arm64)
 *   openat2 PATH           openat2(AT_FDCWD, PATH, {O_RDONLY|O_CLOEXEC})
 *   dup PATH K SIZE        open for writing; K writes of SIZE on each of dup(), dup2(fd, 100)
 *                          and fcntl(F_DUPFD_CLOEXEC, 200), none on the fd open returned
 *   fork PATH K SIZE       open for writing; a child process does the K writes on the fd
 *                          it inherited; the parent waits for it (INFO: fd and child pid)
 *   fifo PATH SIZE         open(PATH, O_RDONLY) (a FIFO: waits for a writer), one read()
 *                          that must return SIZE bytes
 *   fifoclose PATH SIZE    open(PATH, O_RDONLY) (a FIFO); a thread read()s SIZE bytes from it;
 *                          once that thread is blocked in read, the main thread closes the
 *                          fd (the read goes on: it holds the file), then waits for it
 *   fifogone PATH SIZE     a thread opens PATH (a FIFO, O_RDONLY: it waits for a writer) from
 *                          a copy of the string in a page of its own; once the thread is
 *                          blocked in the open (the kernel has read the string), that page
 *                          is dropped (MADV_DONTNEED: the string is no longer in the
 *                          process's memory when the open returns); then the main thread
 *                          opens PATH for writing and writes SIZE bytes, which the thread
 *                          read()s
 *   stale PATH             open for writing, one write of 5 bytes; then the fd is closed
 *                          without close(2) (close_range) and reused by a pipe's read end:
 *                          7 bytes through the pipe, read on that same fd number
 *   compat PATH            open for reading and writing; write 5 bytes; then, where the
 *                          kernel takes 32-bit calls from a 64-bit process (x86-64 without
 *                          ia32_emulation=0), a 32-bit read() of them through int $0x80 (ia32
 *                          syscall 3, which is close() in the 64-bit table); then a 64-bit
 *                          write of 3 bytes on the same fd. Recorded as "compat FD 1" when the
 *                          32-bit call was made, "compat FD 0" when the kernel refuses such
 *                          calls (found out first by a child whose int $0x80 getpid must
 *                          return its pid; refused, it dies of SIGSEGV) or the CPU has none
 *   sleep MS               sleep MS milliseconds
 *
 * Every descriptor is closed at the end of its step.
 * -g GO_FILE: run no step before GO_FILE exists (polled every 5 ms), so a
 *   tracer can be set up for this pid first.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>

static FILE *info;

static void die(const char *what, const char *path)
{
	fprintf(stderr, "fileio_rw: %s %s: %s\n", what, path, strerror(errno));
	exit(3);
}

static long num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0) {
		fprintf(stderr, "fileio_rw: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void record(const char *step, long fd)
{
	fprintf(info, "%s %ld\n", step, fd);
	fflush(info);
}

static void xclose(int fd)
{
	if (close(fd))
		die("close", "");
}

static void io(const char *op, const char *path, long k, long size)
{
	bool writing = op[0] == 'w' || op[1] == 'w';
	char *buf = malloc(size ? size : 1);
	int fd;

	if (!buf)
		exit(2);
	memset(buf, 'k', size);
	fd = open(path, writing ? O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC : O_RDONLY | O_CLOEXEC,
		  0640);
	if (fd < 0)
		die("open", path);
	record(op, fd);
	for (long i = 0; i < k; i++) {
		struct iovec iov[2] = { { buf, size / 2 }, { buf + size / 2, size - size / 2 } };
		ssize_t n;

		if (!strcmp(op, "write"))
			n = write(fd, buf, size);
		else if (!strcmp(op, "read"))
			n = read(fd, buf, size);
		else if (!strcmp(op, "pwrite"))
			n = pwrite(fd, buf, size, i * size);
		else if (!strcmp(op, "pread"))
			n = pread(fd, buf, size, i * size);
		else if (!strcmp(op, "writev"))
			n = writev(fd, iov, 2);
		else
			n = readv(fd, iov, 2);
		if (n != size)
			die(op, path);
	}
	xclose(fd);
	free(buf);
}

static void sync_step(const char *op, const char *path, long n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		die("open", path);
	record(op, fd);
	for (long i = 0; i < n; i++)
		if (op[1] == 's' ? fsync(fd) : fdatasync(fd))
			die(op, path);
	xclose(fd);
}

static void writes(int fd, long k, long size, const char *path)
{
	char *buf = malloc(size ? size : 1);

	if (!buf)
		exit(2);
	memset(buf, 'd', size);
	for (long i = 0; i < k; i++)
		if (write(fd, buf, size) != size)
			die("write", path);
	free(buf);
}

static void dup_step(const char *path, long k, long size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640), d1, d2, d3;

	if (fd < 0)
		die("open", path);
	record("dup", fd);
	d1 = dup(fd);
	d2 = dup2(fd, 100);
	d3 = fcntl(fd, F_DUPFD_CLOEXEC, 200);
	if (d1 < 0 || d2 != 100 || d3 < 200)
		die("dup", path);
	writes(d1, k, size, path);
	writes(d2, k, size, path);
	writes(d3, k, size, path);
	xclose(d3);
	xclose(d2);
	xclose(d1);
	xclose(fd);
}

static void fork_step(const char *path, long k, long size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640), status;
	pid_t child;

	if (fd < 0)
		die("open", path);
	child = fork();
	if (child < 0)
		die("fork", path);
	if (child == 0) {
		writes(fd, k, size, path);
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child || status)
		die("child", path);
	fprintf(info, "fork %d %d\n", fd, child);
	fflush(info);
	xclose(fd);
}

static void fifo_step(const char *path, long size)
{
	char *buf = malloc(size ? size : 1);
	ssize_t n;
	int fd;

	if (!buf)
		exit(2);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open", path);
	record("fifo", fd);
	n = read(fd, buf, size);
	if (n != size)
		die("read", path);
	xclose(fd);
	free(buf);
}

static void stale_step(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640), p[2];
	char buf[8];

	if (fd < 0)
		die("open", path);
	record("stale", fd);
	if (write(fd, "stale", 5) != 5)
		die("write", path);
	if (syscall(SYS_close_range, fd, fd, 0))
		die("close_range", path);
	if (pipe2(p, O_CLOEXEC) || p[0] != fd)
		die("pipe", path);
	if (write(p[1], "reused!", 7) != 7 || read(p[0], buf, sizeof(buf)) != 7)
		die("pipe io", path);
	xclose(p[0]);
	xclose(p[1]);
}

#if defined(__x86_64__)
/* Does the kernel take int $0x80 from a 64-bit process? A child tries getpid (ia32: 20). */
static bool compat_calls_work(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork", "");
	if (pid == 0) {
		long ret;

		__asm__ volatile ("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
		_exit(ret == getpid() ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid", "");
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		return false;	/* ia32_emulation=0, or a kernel without IA32_EMULATION */
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("compat probe", "int $0x80 getpid");
	return true;
}
#endif

static void compat_step(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	bool made = false;

	if (fd < 0)
		die("open", path);
	if (write(fd, "hello", 5) != 5 || lseek(fd, 0, SEEK_SET))
		die("write", path);
#if defined(__x86_64__)
	if (compat_calls_work()) {
		/* a 32-bit call takes 32-bit pointers */
		char *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		long ret;

		if (buf == MAP_FAILED)
			die("mmap", path);
		__asm__ volatile ("int $0x80" : "=a"(ret) : "a"(3L), "b"((long)fd),
				  "c"((long)(unsigned long)buf), "d"(5L) : "memory");
		if (ret != 5 || memcmp(buf, "hello", 5))
			die("compat read", path);
		munmap(buf, 4096);
		made = true;
	}
#endif
	fprintf(info, "compat %d %d\n", fd, made);
	fflush(info);
	if (write(fd, "abc", 3) != 3)
		die("write", path);
	xclose(fd);
}

struct reader {
	int fd;
	long size;
	pid_t tid;
	ssize_t n;
	bool done;
};

static void *reader_run(void *arg)
{
	struct reader *r = arg;
	char *buf = malloc(r->size ? r->size : 1);

	if (!buf)
		exit(2);
	__atomic_store_n(&r->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	r->n = read(r->fd, buf, r->size);
	__atomic_store_n(&r->done, true, __ATOMIC_SEQ_CST);
	free(buf);
	return NULL;
}

/* Is thread tid blocked in syscall nr? (/proc/self/task/TID/syscall: "NR 0x...") */
static bool in_syscall(pid_t tid, long nr)
{
	char path[64], line[256] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	return strtol(line, NULL, 10) == nr && line[0] >= '0' && line[0] <= '9';
}

/* Is thread tid blocked in read(2)? (read's number is 0 on x86-64, 63 on arm64) */
static bool in_read(pid_t tid)
{
	return in_syscall(tid, SYS_read);
}

static void fifoclose_step(const char *path, long size)
{
	struct reader r = { .size = size };
	struct timespec ms1 = { 0, 1000000 };
	pthread_t t;

	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0)
		die("open", path);
	record("fifoclose", r.fd);
	if (pthread_create(&t, NULL, reader_run, &r))
		exit(2);
	while (!__atomic_load_n(&r.tid, __ATOMIC_SEQ_CST) || !in_read(r.tid)) {
		if (__atomic_load_n(&r.done, __ATOMIC_SEQ_CST)) {
			fprintf(stderr, "fileio_rw: fifoclose: the read returned before the close\n");
			exit(3);
		}
		nanosleep(&ms1, NULL);
	}
	xclose(r.fd);
	pthread_join(t, NULL);
	if (r.n != size)
		die("read", path);
}

struct opener {
	const char *path;          /* in a page of its own */
	long size;
	pid_t tid;
	int fd;
	ssize_t n;
	bool done;
};

static void *opener_run(void *arg)
{
	struct opener *o = arg;
	char *buf = malloc(o->size ? o->size : 1);

	if (!buf)
		exit(2);
	__atomic_store_n(&o->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	/* openat itself: glibc's open() is openat too, but say which call to wait for */
	o->fd = syscall(SYS_openat, AT_FDCWD, o->path, O_RDONLY | O_CLOEXEC);
	if (o->fd >= 0) {
		o->n = read(o->fd, buf, o->size);
		xclose(o->fd);
	}
	__atomic_store_n(&o->done, true, __ATOMIC_SEQ_CST);
	free(buf);
	return NULL;
}

static void fifogone_step(const char *path, long size)
{
	long page = sysconf(_SC_PAGESIZE);
	struct opener o = { .size = size };
	struct timespec ms1 = { 0, 1000000 };
	char *copy, *buf;
	pthread_t t;
	int fd;

	if (strlen(path) >= (size_t)page)
		exit(2);
	copy = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = malloc(size ? size : 1);
	if (copy == MAP_FAILED || !buf)
		exit(2);
	strcpy(copy, path);
	memset(buf, 'g', size);
	o.path = copy;
	if (pthread_create(&t, NULL, opener_run, &o))
		exit(2);
	while (!__atomic_load_n(&o.tid, __ATOMIC_SEQ_CST) || !in_syscall(o.tid, SYS_openat)) {
		if (__atomic_load_n(&o.done, __ATOMIC_SEQ_CST)) {
			fprintf(stderr, "fileio_rw: fifogone: the open returned before a writer came\n");
			exit(3);
		}
		nanosleep(&ms1, NULL);
	}
	/* the kernel has the name: the process's copy goes (a new page of zeros if touched) */
	if (madvise(copy, page, MADV_DONTNEED))
		die("madvise", path);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("open", path);
	if (write(fd, buf, size) != size)
		die("write", path);
	xclose(fd);
	pthread_join(t, NULL);
	if (o.fd < 0 || o.n != size)
		die("fifogone", path);
	record("fifogone", o.fd);
	munmap(copy, page);
	free(buf);
}

static void open_step(const char *op, const char *path)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	long fd;

	if (!strcmp(op, "fail"))
		fd = open(path, O_RDONLY);
	else if (!strcmp(op, "creat"))
		fd = creat(path, 0600);
	else if (!strcmp(op, "open")) {
#ifdef SYS_open
		fd = syscall(SYS_open, path, O_RDONLY);
#else	/* arm64 has no open(2), only openat */
		fprintf(stderr, "fileio_rw: open %s: no open(2) syscall on this architecture\n", path);
		exit(3);
#endif
	}
	else
		fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd < 0) {
		if (strcmp(op, "fail"))
			die(op, path);
		record(op, -errno);
		return;
	}
	if (!strcmp(op, "fail")) {
		fprintf(stderr, "fileio_rw: open %s did not fail\n", path);
		exit(3);
	}
	record(op, fd);
	xclose(fd);
}

int main(int argc, char **argv)
{
	const char *go = NULL;
	int opt, i;

	while ((opt = getopt(argc, argv, "+g:")) != -1) {
		if (opt != 'g') {
			argc = 0;
			break;
		}
		go = optarg;
	}
	if (argc - optind < 1) {
		fprintf(stderr, "usage: fileio_rw [-g GO_FILE] INFO_FILE STEP...\n");
		return 2;
	}
	info = fopen(argv[optind], "w");
	if (!info)
		die("open", argv[optind]);
	fprintf(info, "%d\n", getpid());
	fflush(info);
	if (go) {
		struct timespec ms5 = { 0, 5000000 };

		while (access(go, F_OK))
			nanosleep(&ms5, NULL);
	}
	for (i = optind + 1; i < argc;) {
		const char *op = argv[i];
		int left = argc - i - 1;

#define NEED(n) do { if (left < (n)) { fprintf(stderr, "fileio_rw: %s needs %d arguments\n", op, n); return 2; } } while (0)
		if (!strcmp(op, "write") || !strcmp(op, "read") || !strcmp(op, "pwrite") ||
		    !strcmp(op, "pread") || !strcmp(op, "writev") || !strcmp(op, "readv")) {
			NEED(3);
			io(op, argv[i + 1], num(argv[i + 2]), num(argv[i + 3]));
			i += 4;
		} else if (!strcmp(op, "fsync") || !strcmp(op, "fdatasync")) {
			NEED(2);
			sync_step(op, argv[i + 1], num(argv[i + 2]));
			i += 3;
		} else if (!strcmp(op, "dup") || !strcmp(op, "fork")) {
			NEED(3);
			if (op[0] == 'd')
				dup_step(argv[i + 1], num(argv[i + 2]), num(argv[i + 3]));
			else
				fork_step(argv[i + 1], num(argv[i + 2]), num(argv[i + 3]));
			i += 4;
		} else if (!strcmp(op, "fifo")) {
			NEED(2);
			fifo_step(argv[i + 1], num(argv[i + 2]));
			i += 3;
		} else if (!strcmp(op, "compat")) {
			NEED(1);
			compat_step(argv[i + 1]);
			i += 2;
		} else if (!strcmp(op, "fifogone")) {
			NEED(2);
			fifogone_step(argv[i + 1], num(argv[i + 2]));
			i += 3;
		} else if (!strcmp(op, "fifoclose")) {
			NEED(2);
			fifoclose_step(argv[i + 1], num(argv[i + 2]));
			i += 3;
		} else if (!strcmp(op, "stale")) {
			NEED(1);
			stale_step(argv[i + 1]);
			i += 2;
		} else if (!strcmp(op, "fail") || !strcmp(op, "creat") || !strcmp(op, "open") ||
			   !strcmp(op, "openat2")) {
			NEED(1);
			open_step(op, argv[i + 1]);
			i += 2;
		} else if (!strcmp(op, "sleep")) {
			long ms;
			struct timespec ts;

			NEED(1);
			ms = num(argv[i + 1]);
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = ms % 1000 * 1000000;
			while (nanosleep(&ts, &ts))
				;
			i += 2;
		} else {
			fprintf(stderr, "fileio_rw: unknown step '%s'\n", op);
			return 2;
		}
#undef NEED
	}
	fclose(info);
	return 0;
}

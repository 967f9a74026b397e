// SPDX-License-Identifier: GPL-2.0
/*
 * sys_seq INFO FILE COUNT
 *
 * A known sequence of system calls for `kscope syscall --events`, each made
 * through syscall(2) with all six arguments given (the ones a call does not
 * use carry marker values, 0xa4 .. 0xf5, which the kernel ignores and a
 * tracer must still report as the raw arguments):
 *
 *   openat(AT_FDCWD, FILE, O_RDONLY|O_CLOEXEC, 0, 0xa4, 0xa5)  -> fd
 *   read(fd, buf, COUNT, 0xb3, 0xb4, 0xb5)   -> the file's size (<= COUNT)
 *   read(fd, buf, COUNT, 0xc3, 0xc4, 0xc5)   -> 0 (end of file)
 *   close(fd, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5)   -> 0
 *   close(fd, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5)   -> -1 EBADF
 *   openat(AT_FDCWD, MISSING, O_RDONLY, 0, 0xf4, 0xf5)  -> -1 ENOENT
 *   getppid()                                 -> the parent's pid
 *
 * Then it writes INFO_FILE, one "key value" per line: pid, tid, ppid, the
 * addresses passed (path_addr, buf_addr, missing_addr), fd, nread.
 * Exits 0, 2 on usage errors, 3 when a call did not return what it should.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MISSING "/kscope-nonexistent/no-such-file"

static char buf[1 << 16];
static const char missing[] = MISSING;

int main(int argc, char **argv)
{
	long fd, nread, r, r2, r3, r4, ppid;
	unsigned long count;
	FILE *f;

	if (argc != 4 || (count = strtoul(argv[3], NULL, 10)) == 0 || count > sizeof(buf)) {
		fprintf(stderr, "usage: sys_seq INFO FILE COUNT (COUNT <= %zu)\n", sizeof(buf));
		return 2;
	}
	fd = syscall(SYS_openat, (long)AT_FDCWD, argv[2], (long)(O_RDONLY | O_CLOEXEC), 0L,
		     0xa4L, 0xa5L);
	nread = syscall(SYS_read, fd, buf, count, 0xb3L, 0xb4L, 0xb5L);
	r = syscall(SYS_read, fd, buf, count, 0xc3L, 0xc4L, 0xc5L);
	r2 = syscall(SYS_close, fd, 0xd1L, 0xd2L, 0xd3L, 0xd4L, 0xd5L);
	r3 = syscall(SYS_close, fd, 0xe1L, 0xe2L, 0xe3L, 0xe4L, 0xe5L);
	r3 = r3 == -1 && errno == EBADF ? 0 : 1;
	r4 = syscall(SYS_openat, (long)AT_FDCWD, missing, (long)O_RDONLY, 0L, 0xf4L, 0xf5L);
	r4 = r4 == -1 && errno == ENOENT ? 0 : 1;
	ppid = syscall(SYS_getppid);
	if (fd < 0 || nread < 0 || r != 0 || r2 != 0 || r3 || r4)
		return 3;
	f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fprintf(f, "pid %d\ntid %ld\nppid %ld\n", getpid(), (long)syscall(SYS_gettid), ppid);
	fprintf(f, "path_addr %lu\nbuf_addr %lu\nmissing_addr %lu\n", (unsigned long)argv[2],
		(unsigned long)buf, (unsigned long)missing);
	fprintf(f, "fd %ld\nnread %ld\n", fd, nread);
	fprintf(f, "openat_nr %ld\nread_nr %ld\nclose_nr %ld\ngetppid_nr %ld\n",
		(long)SYS_openat, (long)SYS_read, (long)SYS_close, (long)SYS_getppid);
	fprintf(f, "O_RDONLY %d\nO_CLOEXEC %d\nAT_FDCWD %d\n", O_RDONLY, O_CLOEXEC, AT_FDCWD);
	return fclose(f) ? 2 : 0;
}

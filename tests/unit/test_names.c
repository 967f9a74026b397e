// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for src/engine/names.h and names.c, and the tables that
 * scripts/gen-tables.sh generates from the uapi headers: every value is
 * checked against the C library's own constants (SYS_* from
 * <sys/syscall.h>, E* from <errno.h>, O_* from <fcntl.h>), never against a
 * number typed here, except where the C library has no constant (the
 * kernel-internal errno values, unused syscall numbers, unknown flag bits).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <cmocka.h>

#include "engine/names.h"

/* ---- syscalls ------------------------------------------------------------ */

struct sys_case {
	long nr;
	const char *name;
};

#define SYS(n) { SYS_##n, #n }

static const struct sys_case sys_cases[] = {
	SYS(read), SYS(write), SYS(close), SYS(openat), SYS(getppid), SYS(getpid),
	SYS(gettid), SYS(exit), SYS(exit_group), SYS(execve), SYS(execveat), SYS(clone),
	SYS(clone3), SYS(mmap), SYS(munmap), SYS(mprotect), SYS(brk), SYS(futex),
	SYS(nanosleep), SYS(clock_nanosleep), SYS(epoll_pwait), SYS(ppoll), SYS(pread64),
	SYS(pwrite64), SYS(readv), SYS(writev), SYS(ioctl), SYS(fcntl), SYS(dup3),
	SYS(pipe2), SYS(socket), SYS(connect), SYS(accept4), SYS(sendto), SYS(recvfrom),
	SYS(sendmsg), SYS(recvmsg), SYS(wait4), SYS(kill), SYS(tgkill), SYS(rt_sigaction),
	SYS(rt_sigprocmask), SYS(rt_sigreturn), SYS(getdents64), SYS(statx), SYS(faccessat),
	SYS(unlinkat), SYS(renameat2), SYS(mkdirat), SYS(bpf), SYS(perf_event_open),
	SYS(io_uring_setup), SYS(io_uring_enter), SYS(pidfd_open), SYS(openat2),
	SYS(close_range), SYS(prctl), SYS(sched_yield), SYS(getrandom), SYS(memfd_create),
	SYS(set_robust_list), SYS(rseq), SYS(set_tid_address), SYS(prlimit64),
#ifdef __x86_64__
	/* the legacy calls x86_64 has and arm64 does not */
	SYS(open), SYS(stat), SYS(fstat), SYS(lstat), SYS(newfstatat), SYS(poll),
	SYS(access), SYS(pipe), SYS(select), SYS(fork), SYS(vfork), SYS(dup2),
	SYS(arch_prctl), SYS(epoll_wait), SYS(getdents), SYS(unlink), SYS(rename),
#endif
};

static void test_syscall_name_and_nr(void **state)
{
	for (size_t i = 0; i < sizeof(sys_cases) / sizeof(sys_cases[0]); i++) {
		const char *name = ks_syscall_name(sys_cases[i].nr);

		assert_non_null(name);
		assert_string_equal(name, sys_cases[i].name);
		assert_int_equal(ks_syscall_nr(sys_cases[i].name), sys_cases[i].nr);
	}
#ifdef __x86_64__
	/* the x86_64 numbers everyone knows, as a check on the check */
	assert_int_equal(ks_syscall_nr("read"), 0);
	assert_int_equal(ks_syscall_nr("getppid"), 110);
	assert_int_equal(ks_syscall_nr("openat"), 257);
#endif
}

static void test_syscall_unknown(void **state)
{
	assert_null(ks_syscall_name(-1));
	assert_null(ks_syscall_name(-100000));
	assert_null(ks_syscall_name(ks_syscall_max() + 1));
	assert_null(ks_syscall_name(100000));
	assert_null(ks_syscall_name(0x40000000 + 1));	/* an x32 number */
#ifdef __x86_64__
	assert_null(ks_syscall_name(400));		/* the unused range 335+..423 */
#elif defined(__aarch64__)
	assert_null(ks_syscall_name(250));		/* the arch-specific range 244..259 */
#endif
	assert_int_equal(ks_syscall_nr("nosuchsyscall"), -1);
	assert_int_equal(ks_syscall_nr(""), -1);
	assert_int_equal(ks_syscall_nr("getppi"), -1);		/* no prefix matching */
	assert_int_equal(ks_syscall_nr("getppidx"), -1);
	assert_int_equal(ks_syscall_nr("__NR_getppid"), -1);	/* the bare name only */
	assert_int_equal(ks_syscall_nr("syscalls"), -1);	/* __NR_syscalls is a count */
	assert_int_equal(ks_syscall_nr("arch_specific_syscall"), -1);
}

static void test_syscall_max_and_round_trip(void **state)
{
	long max = ks_syscall_max();
	int named = 0;

	/* the newest call in the list above, and nothing past the table */
	assert_true(max >= SYS_rseq);
	assert_true(max >= SYS_openat2);
	assert_true(max < 1024);			/* syscall.h's SYS_SLOTS */
	assert_non_null(ks_syscall_name(max));
	/* every number that has a name has exactly that name's number */
	for (long nr = 0; nr <= max; nr++) {
		const char *name = ks_syscall_name(nr);

		if (!name)
			continue;
		named++;
		assert_true(name[0] != 0);
		assert_null(strchr(name, ' '));
		assert_int_equal(ks_syscall_nr(name), nr);
	}
	/* x86_64 and arm64 both have a few hundred */
	assert_true(named > 250);
	/* and the table has nothing else */
	for (unsigned i = 0; i < ks_syscall_table_len; i++) {
		assert_true(ks_syscall_table[i].value >= 0);
		assert_true(ks_syscall_table[i].value <= max);
	}
}

/* ---- errno ------------------------------------------------------------------ */

struct err_case {
	long value;
	const char *name;
};

#define ERR(e) { e, #e }

static const struct err_case err_cases[] = {
	ERR(EPERM), ERR(ENOENT), ERR(ESRCH), ERR(EINTR), ERR(EIO), ERR(ENXIO), ERR(E2BIG),
	ERR(ENOEXEC), ERR(EBADF), ERR(ECHILD), ERR(EAGAIN), ERR(ENOMEM), ERR(EACCES),
	ERR(EFAULT), ERR(EBUSY), ERR(EEXIST), ERR(EXDEV), ERR(ENODEV), ERR(ENOTDIR),
	ERR(EISDIR), ERR(EINVAL), ERR(ENFILE), ERR(EMFILE), ERR(ENOTTY), ERR(EFBIG),
	ERR(ENOSPC), ERR(ESPIPE), ERR(EROFS), ERR(EMLINK), ERR(EPIPE), ERR(EDOM), ERR(ERANGE),
	ERR(EDEADLK), ERR(ENAMETOOLONG), ERR(ENOSYS), ERR(ENOTEMPTY), ERR(ELOOP),
	ERR(ENODATA), ERR(ETIME), ERR(EOVERFLOW), ERR(EILSEQ), ERR(ENOTSOCK),
	ERR(EOPNOTSUPP), ERR(EADDRINUSE), ERR(ECONNREFUSED), ERR(ECONNRESET),
	ERR(ETIMEDOUT), ERR(EINPROGRESS), ERR(EALREADY), ERR(ESTALE), ERR(EDQUOT),
	ERR(ECANCELED), ERR(EOWNERDEAD), ERR(ENOTRECOVERABLE), ERR(ERFKILL), ERR(EHWPOISON),
};

static void test_errno_name_and_value(void **state)
{
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const char *name = ks_errno_name(err_cases[i].value);

		assert_non_null(name);
		assert_string_equal(name, err_cases[i].name);
		assert_int_equal(ks_errno_value(err_cases[i].name), err_cases[i].value);
	}
	assert_int_equal(ks_errno_value("ENOENT"), 2);	/* the check on the check */
}

static void test_errno_aliases(void **state)
{
	/* two names for one value: the first the headers define is the one printed */
	assert_int_equal(EWOULDBLOCK, EAGAIN);
	assert_string_equal(ks_errno_name(EWOULDBLOCK), "EAGAIN");
	assert_int_equal(EDEADLOCK, EDEADLK);
	assert_string_equal(ks_errno_name(EDEADLOCK), "EDEADLK");
	/* the C library's ENOTSUP is the kernel's EOPNOTSUPP */
	assert_string_equal(ks_errno_name(ENOTSUP), "EOPNOTSUPP");
	/* ... but the other names are still understood */
	assert_int_equal(ks_errno_value("EWOULDBLOCK"), EAGAIN);
	assert_int_equal(ks_errno_value("EDEADLOCK"), EDEADLK);
}

static void test_errno_kernel_internal(void **state)
{
	/* include/linux/errno.h: seen at sys_exit, never by a process */
	assert_string_equal(ks_errno_name(512), "ERESTARTSYS");
	assert_string_equal(ks_errno_name(513), "ERESTARTNOINTR");
	assert_string_equal(ks_errno_name(514), "ERESTARTNOHAND");
	assert_string_equal(ks_errno_name(516), "ERESTART_RESTARTBLOCK");
	assert_string_equal(ks_errno_name(524), "ENOTSUPP");
	assert_int_equal(ks_errno_value("ERESTARTSYS"), 512);
	assert_int_equal(ks_errno_value("ERESTART_RESTARTBLOCK"), 516);
}

static void test_errno_unknown(void **state)
{
	assert_null(ks_errno_name(0));
	assert_null(ks_errno_name(-ENOENT));		/* positive values only */
	assert_null(ks_errno_name(-1));
	assert_null(ks_errno_name(EHWPOISON + 1));
	assert_null(ks_errno_name(511));
	assert_null(ks_errno_name(600));
	assert_null(ks_errno_name(4095));
	assert_null(ks_errno_name(4096));
	assert_int_equal(ks_errno_value("ENOSUCHERROR"), -1);
	assert_int_equal(ks_errno_value(""), -1);
	assert_int_equal(ks_errno_value("enoent"), -1);
	assert_int_equal(ks_errno_value("ENOEN"), -1);
}

static void test_errno_all_named(void **state)
{
	/* every value from EPERM to EHWPOISON (the last one) has a name, and
	 * the name maps back to it; 41 and 58 are holes on x86_64 and arm64
	 * (EWOULDBLOCK's and EDEADLOCK's old slots) */
	for (long e = 1; e <= EHWPOISON; e++) {
		const char *name = ks_errno_name(e);

		if (e == 41 || e == 58) {
			assert_null(name);
			continue;
		}
		assert_non_null(name);
		assert_true(name[0] == 'E');
		assert_int_equal(ks_errno_value(name), e);
	}
}

/* ---- open flags ---------------------------------------------------------- */

static void check_flags(uint64_t flags, const char *want)
{
	char buf[512];
	size_t len;

	memset(buf, 'X', sizeof(buf));
	len = ks_open_flags(buf, sizeof(buf), flags);
	assert_string_equal(buf, want);
	assert_int_equal(len, strlen(want));
}

/* The same flags, in any order (where the contract fixes no order) */
static void check_flag_set(uint64_t flags, const char *want)
{
	char buf[512], w[512], *names[32], *wnames[32], *save;
	int n = 0, wn = 0;

	ks_open_flags(buf, sizeof(buf), flags);
	snprintf(w, sizeof(w), "%s", want);
	/* the access mode comes first */
	assert_int_equal(strcspn(buf, "|"), strcspn(w, "|"));
	assert_memory_equal(buf, w, strcspn(w, "|"));
	for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
		names[n++] = t;
	for (char *t = strtok_r(w, "|", &save); t; t = strtok_r(NULL, "|", &save))
		wnames[wn++] = t;
	assert_int_equal(n, wn);
	for (int i = 0; i < wn; i++) {
		int found = 0;

		for (int j = 0; j < n; j++)
			found += !strcmp(names[j], wnames[i]);
		if (found != 1)
			fail_msg("%s: %s appears %d times in %s", want, wnames[i], found, buf);
	}
}

static void test_open_flags_exact(void **state)
{
	check_flags(O_RDONLY, "O_RDONLY");
	check_flags(O_WRONLY, "O_WRONLY");
	check_flags(O_RDWR, "O_RDWR");
	check_flags(O_WRONLY | O_CREAT | O_TRUNC, "O_WRONLY|O_CREAT|O_TRUNC");
	check_flags(O_RDWR | O_CLOEXEC, "O_RDWR|O_CLOEXEC");
	check_flags(O_RDONLY | O_CLOEXEC, "O_RDONLY|O_CLOEXEC");
	check_flags(O_WRONLY | O_CREAT | O_APPEND, "O_WRONLY|O_CREAT|O_APPEND");
	check_flags(O_RDONLY | O_DIRECTORY, "O_RDONLY|O_DIRECTORY");
	check_flags(O_RDONLY | O_NOFOLLOW, "O_RDONLY|O_NOFOLLOW");
	check_flags(O_PATH, "O_RDONLY|O_PATH");
	check_flags(O_RDONLY | O_DSYNC, "O_RDONLY|O_DSYNC");
	check_flags(O_RDWR | O_EXCL, "O_RDWR|O_EXCL");
	check_flags(O_RDWR | O_NOCTTY, "O_RDWR|O_NOCTTY");
	check_flags(O_RDONLY | O_DIRECT, "O_RDONLY|O_DIRECT");
	check_flags(O_RDONLY | O_NOATIME, "O_RDONLY|O_NOATIME");
}

static void test_open_flags_composite(void **state)
{
	/* O_TMPFILE includes O_DIRECTORY's bit: one name, not O_DIRECTORY|... */
	check_flags(O_RDWR | O_TMPFILE, "O_RDWR|O_TMPFILE");
	check_flags(O_WRONLY | O_TMPFILE, "O_WRONLY|O_TMPFILE");
	/* O_SYNC includes O_DSYNC's bit: one name */
	check_flags(O_WRONLY | O_SYNC, "O_WRONLY|O_SYNC");
	check_flags(O_RDONLY | O_SYNC, "O_RDONLY|O_SYNC");
	check_flag_set(O_WRONLY | O_CREAT | O_SYNC | O_CLOEXEC,
		       "O_WRONLY|O_CREAT|O_SYNC|O_CLOEXEC");
	check_flag_set(O_RDWR | O_TMPFILE | O_EXCL | O_CLOEXEC,
		       "O_RDWR|O_TMPFILE|O_EXCL|O_CLOEXEC");
	check_flag_set(O_RDWR | O_TMPFILE | O_SYNC, "O_RDWR|O_TMPFILE|O_SYNC");
}

static void test_open_flags_aliases(void **state)
{
	/* O_NDELAY is O_NONBLOCK: the name printed is O_NONBLOCK */
	assert_int_equal(O_NDELAY, O_NONBLOCK);
	check_flags(O_RDONLY | O_NONBLOCK, "O_RDONLY|O_NONBLOCK");
	check_flags(O_RDWR | O_NDELAY, "O_RDWR|O_NONBLOCK");
	check_flags(O_RDWR | O_NONBLOCK | O_CLOEXEC, "O_RDWR|O_NONBLOCK|O_CLOEXEC");
}

static void test_open_flags_largefile(void **state)
{
	/*
	 * glibc defines O_LARGEFILE as 0 on 64-bit targets; the kernel's value
	 * is what a 32-bit process passes. It comes from the table (the uapi
	 * header); on x86_64 it is 0100000.
	 */
	long v = -1;

	for (unsigned i = 0; i < ks_open_flag_table_len; i++)
		if (!strcmp(ks_open_flag_table[i].name, "O_LARGEFILE"))
			v = ks_open_flag_table[i].value;
	assert_true(v > 0);
#ifdef __x86_64__
	assert_int_equal(v, 0100000);
#endif
	check_flags(O_RDONLY | (uint64_t)v, "O_RDONLY|O_LARGEFILE");
}

static void test_open_flags_unknown_bits(void **state)
{
	/* bits no flag has are printed as hex, last */
	check_flags(0x40000000, "O_RDONLY|0x40000000");
	check_flags(O_WRONLY | O_CREAT | 0x80000000ull, "O_WRONLY|O_CREAT|0x80000000");
	check_flags(O_RDWR | O_CLOEXEC | 0xc0000000ull, "O_RDWR|O_CLOEXEC|0xc0000000");
	/* openat2's how.flags is 64 bits wide */
	check_flags(1ull << 40, "O_RDONLY|0x10000000000");
	check_flags(O_WRONLY | (1ull << 63), "O_WRONLY|0x8000000000000000");
}

static void test_open_flags_accmode_3(void **state)
{
	/* O_WRONLY|O_RDWR is not an access mode: not shown as one of the three */
	char buf[128];

	ks_open_flags(buf, sizeof(buf), 3);
	assert_true(strncmp(buf, "O_RDONLY", 8) && strncmp(buf, "O_WRONLY", 8) &&
		    strncmp(buf, "O_RDWR", 6));
	assert_non_null(strstr(buf, "3"));
}

static void test_open_flags_truncation(void **state)
{
	static const uint64_t cases[] = {
		O_RDONLY,
		O_WRONLY | O_CREAT | O_TRUNC,
		O_RDWR | O_TMPFILE | O_CLOEXEC,
		O_WRONLY | O_SYNC | O_NONBLOCK | 0x80000000ull,
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char full[512], buf[512];
		size_t len = ks_open_flags(full, sizeof(full), cases[c]);

		assert_int_equal(len, strlen(full));
		/* n == 0: nothing written, the length still returned */
		memset(buf, 'X', sizeof(buf));
		assert_int_equal(ks_open_flags(buf, 0, cases[c]), len);
		assert_int_equal(buf[0], 'X');
		assert_int_equal(ks_open_flags(NULL, 0, cases[c]), len);
		for (size_t n = 1; n <= len + 1; n++) {
			memset(buf, 'X', sizeof(buf));
			assert_int_equal(ks_open_flags(buf, n, cases[c]), len);
			/* as snprintf: the first n - 1 bytes, terminated, nothing past n */
			assert_int_equal(strlen(buf), n - 1 < len ? n - 1 : len);
			assert_memory_equal(buf, full, strlen(buf));
			for (size_t i = n; i < sizeof(buf); i++)
				if (buf[i] != 'X')
					fail_msg("flags %#llx, n %zu: byte %zu written",
						 (unsigned long long)cases[c], n, i);
		}
	}
}

/* ---- the other tables, and the look-ups over any table --------------------- */

static void test_cap_ptrace_bpf_tables(void **state)
{
	(void)state;
	assert_string_equal(ks_name_of(KS_NAMES(cap), CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
	assert_string_equal(ks_name_of(KS_NAMES(cap), CAP_CHOWN), "CAP_CHOWN");
	assert_string_equal(ks_name_of(KS_NAMES(cap), CAP_SETUID), "CAP_SETUID");
	assert_int_equal(ks_value_of(KS_NAMES(cap), "CAP_NET_RAW"), CAP_NET_RAW);
	assert_int_equal(ks_value_of(KS_NAMES(cap), "CAP_LAST_CAP"), -1);	/* not a capability */
	/* every capability up to the last the headers know is named */
	for (long c = 0; c <= CAP_LAST_CAP; c++)
		assert_non_null(ks_name_of(KS_NAMES(cap), c));
	assert_null(ks_name_of(KS_NAMES(cap), CAP_LAST_CAP + 1));
	assert_string_equal(ks_name_of(KS_NAMES(ptrace), PTRACE_ATTACH), "PTRACE_ATTACH");
	assert_string_equal(ks_name_of(KS_NAMES(ptrace), PTRACE_DETACH), "PTRACE_DETACH");
	assert_string_equal(ks_name_of(KS_NAMES(ptrace), PTRACE_SEIZE), "PTRACE_SEIZE");
	/* the options and event numbers are not requests: 0x4200 is PTRACE_SETOPTIONS */
	assert_string_equal(ks_name_of(KS_NAMES(ptrace), 0x4200), "PTRACE_SETOPTIONS");
	assert_int_equal(ks_value_of(KS_NAMES(ptrace), "PTRACE_O_TRACEFORK"), -1);
	assert_string_equal(ks_name_of(KS_NAMES(bpf_cmd), BPF_PROG_LOAD), "BPF_PROG_LOAD");
	assert_string_equal(ks_name_of(KS_NAMES(bpf_cmd), BPF_MAP_CREATE), "BPF_MAP_CREATE");
	assert_string_equal(ks_name_of(KS_NAMES(bpf_prog_type), BPF_PROG_TYPE_SOCKET_FILTER),
			    "BPF_PROG_TYPE_SOCKET_FILTER");
	assert_string_equal(ks_name_of(KS_NAMES(bpf_map_type), BPF_MAP_TYPE_RINGBUF),
			    "BPF_MAP_TYPE_RINGBUF");
	/* the enums' counters (__MAX_BPF_CMD...) are not names */
	assert_int_equal(ks_value_of(KS_NAMES(bpf_cmd), "__MAX_BPF_CMD"), -1);
	assert_null(ks_name_of(KS_NAMES(bpf_cmd), 100000));
}

static void test_flag_names(void **state)
{
	char buf[256];
	size_t n;

	(void)state;
	n = ks_flag_names(buf, sizeof(buf), KS_NAMES(clone_ns), CLONE_NEWNS | CLONE_NEWUTS);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "CLONE_NEWNS|CLONE_NEWUTS");
	ks_flag_names(buf, sizeof(buf), KS_NAMES(clone_ns), 0);
	assert_string_equal(buf, "0");
	/* bits without a name: hex, after the names */
	ks_flag_names(buf, sizeof(buf), KS_NAMES(clone_ns), CLONE_NEWPID | 0x1);
	assert_string_equal(buf, "CLONE_NEWPID|0x1");
	ks_flag_names(buf, sizeof(buf), KS_NAMES(mount_flag), MS_REC | MS_PRIVATE);
	assert_string_equal(buf, "MS_REC|MS_PRIVATE");
	ks_flag_names(buf, sizeof(buf), KS_NAMES(mount_flag), MS_NOSUID | MS_NODEV);
	assert_string_equal(buf, "MS_NOSUID|MS_NODEV");
	/* cut: the length it needed, the string terminated */
	assert_int_equal(ks_flag_names(buf, 8, KS_NAMES(clone_ns), CLONE_NEWNS | CLONE_NEWUTS),
			 strlen("CLONE_NEWNS|CLONE_NEWUTS"));
	assert_int_equal(strlen(buf), 7);
	assert_int_equal(ks_flag_names(buf, 0, KS_NAMES(clone_ns), CLONE_NEWNS), 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscall_name_and_nr),
		cmocka_unit_test(test_syscall_unknown),
		cmocka_unit_test(test_syscall_max_and_round_trip),
		cmocka_unit_test(test_errno_name_and_value),
		cmocka_unit_test(test_errno_aliases),
		cmocka_unit_test(test_errno_kernel_internal),
		cmocka_unit_test(test_errno_unknown),
		cmocka_unit_test(test_errno_all_named),
		cmocka_unit_test(test_open_flags_exact),
		cmocka_unit_test(test_open_flags_composite),
		cmocka_unit_test(test_open_flags_aliases),
		cmocka_unit_test(test_open_flags_largefile),
		cmocka_unit_test(test_open_flags_unknown_bits),
		cmocka_unit_test(test_open_flags_accmode_3),
		cmocka_unit_test(test_open_flags_truncation),
		cmocka_unit_test(test_cap_ptrace_bpf_tables),
		cmocka_unit_test(test_flag_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * execstorm: an exec storm with an exact count.
 *
 *   execstorm [-n EXECS] [-c CPU] [-w WARMUP] [-d DIR] [-e PROGRAM]
 *
 * One process, pinned to CPU (default 1), runs a program EXECS times
 * (default 20000), one at a time, the way a shell does: fork(), execve() in
 * the child, waitpid() in the parent, and checks that every child exited 0.
 * Each iteration is one fork, one exec and one exit (and one
 * sched_process_fork/exec/exit each, one sys_enter/exit_execve).
 *
 * The program (unless -e) is the smallest there is: a static x86_64 or
 * aarch64 ELF of one page, written by this program into a fresh directory
 * (mkdtemp under DIR, default /tmp) with a name unique to this run, whose
 * code is exit(0) (three instructions, no libc, no dynamic loader). So an
 * iteration costs the kernel's fork, exec and exit and nothing of the
 * program's own, and what a tracer adds per exec is as visible as it can
 * be. It runs as argv {PATH, "ksbench"}: the full path is in the exec's
 * filename and in argv[0], so every tracer's output (execsnoop prints
 * argv, kscope proc filename and argv) can be searched for this run's
 * execs. With -e the given PROGRAM is run instead (argv {PROGRAM}).
 *
 * WARMUP iterations (default 200) run first, untimed, of a second copy
 * (WARM), so they never match PATH (with -e, of PROGRAM itself).
 *
 * Prints one JSON object on stdout:
 *   {"path":PATH,"warm_path":WARM,"cpu":...,"execs":EXECS,"warmup":WARMUP,
 *    "elapsed_ns":...,"execs_expected":EXECS,"failed":...,"ns_per_exec":...,
 *    "pid":...}
 * elapsed_ns is CLOCK_MONOTONIC around the timed loop; failed counts
 * children that did not exit 0. Exit status: 0, or 2 on a setup error.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static char dir[PATH_MAX - 16], path[PATH_MAX], warm[PATH_MAX];
static int own_program;

static void cleanup(void)
{
	if (own_program) {
		unlink(path);
		unlink(warm);
	}
	if (dir[0])
		rmdir(dir);
}

static void usage(void)
{
	fprintf(stderr, "usage: execstorm [-n EXECS] [-c CPU] [-w WARMUP] [-d DIR] "
		"[-e PROGRAM]\n");
	exit(2);
}

/* exit(0) in machine code */
#if defined(__x86_64__)
#define TINY_MACHINE EM_X86_64
static const unsigned char tiny_code[] = {
	0x31, 0xff,                   /* xor %edi,%edi */
	0xb8, 0x3c, 0x00, 0x00, 0x00, /* mov $60 (SYS_exit),%eax */
	0x0f, 0x05,                   /* syscall */
};
#elif defined(__aarch64__)
#define TINY_MACHINE EM_AARCH64
static const uint32_t tiny_code[] = {
	0xd2800000,                   /* mov x0, #0 */
	0xd2800ba8,                   /* mov x8, #93 (SYS_exit) */
	0xd4000001,                   /* svc #0 */
};
#endif

/* A static ELF executable whose only code is tiny_code, at p */
static void write_tiny(const char *p)
{
#ifdef TINY_MACHINE
	const Elf64_Addr base = 0x400000;
	struct tiny_img {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
		unsigned char code[sizeof(tiny_code)];
	} img;
	int fd;

	memset(&img, 0, sizeof(img));
	memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
	img.eh.e_ident[EI_CLASS] = ELFCLASS64;
	img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img.eh.e_ident[EI_VERSION] = EV_CURRENT;
	img.eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
	img.eh.e_type = ET_EXEC;
	img.eh.e_machine = TINY_MACHINE;
	img.eh.e_version = EV_CURRENT;
	img.eh.e_entry = base + offsetof(struct tiny_img, code);
	img.eh.e_phoff = offsetof(struct tiny_img, ph);
	img.eh.e_ehsize = sizeof(img.eh);
	img.eh.e_phentsize = sizeof(img.ph);
	img.eh.e_phnum = 1;
	img.ph.p_type = PT_LOAD;
	img.ph.p_flags = PF_R | PF_X;
	img.ph.p_offset = 0;
	img.ph.p_vaddr = img.ph.p_paddr = base;
	img.ph.p_filesz = img.ph.p_memsz = sizeof(img);
	img.ph.p_align = 0x1000;
	memcpy(img.code, tiny_code, sizeof(tiny_code));

	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fd < 0)
		die(p);
	if (write(fd, &img, sizeof(img)) != (ssize_t)sizeof(img))
		die("write");
	close(fd);
#else
	(void)p;
	errno = ENOSYS;
	die("no tiny program for this architecture (use -e PROGRAM)");
#endif
}

/* n fork+exec+wait of p; returns how many children did not exit 0 */
static long storm(const char *p, long n)
{
	char *const args[] = { (char *)p, own_program ? "ksbench" : NULL, NULL };
	char *const env[] = { NULL };
	long failed = 0;

	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execve(p, args, env);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid");
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	return failed;
}

int main(int argc, char **argv)
{
	long execs = 20000, warmup = 200, failed;
	const char *base = "/tmp", *program = NULL;
	unsigned long long t0, t1;
	int cpu = 1, opt;

	bench_name = "execstorm";
	bench_cleanup = cleanup;
	while ((opt = getopt(argc, argv, "n:c:w:d:e:h")) != -1) {
		switch (opt) {
		case 'n': execs = strtol(optarg, NULL, 10); break;
		case 'c': cpu = atoi(optarg); break;
		case 'w': warmup = strtol(optarg, NULL, 10); break;
		case 'd': base = optarg; break;
		case 'e': program = optarg; break;
		default: usage();
		}
	}
	if (execs <= 0 || warmup < 0 || cpu < 0 || cpu >= CPU_SETSIZE)
		usage();

	pin_cpu(cpu);
	if (program) {
		snprintf(path, sizeof(path), "%s", program);
		snprintf(warm, sizeof(warm), "%s", program);
	} else {
		if (snprintf(dir, sizeof(dir), "%s/ksbench-exec.XXXXXX", base) >= (int)sizeof(dir))
			usage();
		if (!mkdtemp(dir)) {
			dir[0] = '\0';
			die("mkdtemp");
		}
		own_program = 1;
		snprintf(path, sizeof(path), "%s/true", dir);
		snprintf(warm, sizeof(warm), "%s/warm", dir);
		write_tiny(path);
		write_tiny(warm);
	}

	if (storm(warm, warmup))
		die("exec (warm-up): a child failed");
	t0 = now_ns();
	failed = storm(path, execs);
	t1 = now_ns();

	printf("{\"path\":\"%s\",\"warm_path\":\"%s\",\"cpu\":%d,\"execs\":%ld,\"warmup\":%ld,"
	       "\"elapsed_ns\":%llu,\"execs_expected\":%ld,\"failed\":%ld,\"ns_per_exec\":%.1f,"
	       "\"pid\":%d}\n",
	       path, warm, cpu, execs, warmup, t1 - t0, execs, failed,
	       (double)(t1 - t0) / execs, (int)getpid());
	cleanup();
	return 0;
}

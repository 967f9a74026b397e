// SPDX-License-Identifier: GPL-2.0
/*
 * faultstorm: a page-fault storm, with an exact count of minor faults.
 *
 *   faultstorm [-n ROUNDS] [-p PAGES] [-c CPU] [-w WARMUP]
 *
 * One thread, pinned to CPU (default 1), makes ROUNDS (default 1000)
 * rounds of: mmap() PAGES (default 64) pages of anonymous private memory,
 * madvise(MADV_NOHUGEPAGE) on them (no transparent huge page, of any
 * size: one fault per page), write one byte to each page, munmap(). Each
 * write is the first touch of its page: exactly one user-mode write fault,
 * a minor one (a zeroed page allocated and mapped), so a round is PAGES
 * faults, three syscalls and a TLB flush. WARMUP rounds (default 10) run
 * first, untimed: a tracer of the process counts them too (faults_total).
 *
 * Prints one JSON object on stdout:
 *   {"cpu":...,"rounds":ROUNDS,"pages":PAGES,"warmup":WARMUP,"page_size":...,
 *    "faults_expected":ROUNDS*PAGES,"faults_total":(ROUNDS+WARMUP)*PAGES,
 *    "minflt":...,"majflt":...,"minflt_total":...,"elapsed_ns":...,"cpu_ns":...,
 *    "voluntary":...,"involuntary":...,"ns_per_fault":...,"comm":...,"pid":...}
 * minflt and majflt are the process's own minor and major faults over the
 * timed loop (getrusage: ru_minflt, ru_majflt): minflt is faults_expected
 * when every write faulted once, and nothing else did; minflt_total is the
 * process's minor faults from its exec to the end (loader, libc, warm-up
 * and storm: what a tracer of the process can have seen at most, about).
 * elapsed_ns is CLOCK_MONOTONIC (vDSO) around the timed loop; cpu_ns the
 * thread's user + system time over it. Exit status: 0, or 2 on a setup
 * error.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static void usage(void)
{
	fprintf(stderr, "usage: faultstorm [-n ROUNDS] [-p PAGES] [-c CPU] [-w WARMUP]\n");
	exit(2);
}

/* n rounds of mmap, a byte written to each of `pages` pages, munmap */
static void storm(long n, long pages, size_t page)
{
	size_t len = pages * page;

	for (long i = 0; i < n; i++) {
		volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		if (madvise((void *)p, len, MADV_NOHUGEPAGE))
			die("madvise");
		for (long j = 0; j < pages; j++)
			p[j * page] = 1;
		if (munmap((void *)p, len))
			die("munmap");
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
	long rounds = 1000, pages = 64, warmup = 10;
	struct rusage before, after, tb, ta;
	unsigned long long t0, t1;
	char comm[17] = "";
	int cpu = 1, opt;
	size_t page;

	bench_name = "faultstorm";
	while ((opt = getopt(argc, argv, "n:p:c:w:h")) != -1) {
		switch (opt) {
		case 'n': rounds = strtol(optarg, NULL, 10); break;
		case 'p': pages = strtol(optarg, NULL, 10); break;
		case 'c': cpu = atoi(optarg); break;
		case 'w': warmup = strtol(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (rounds <= 0 || pages <= 0 || pages > (1 << 20) || warmup < 0 || cpu < 0 ||
	    cpu >= CPU_SETSIZE)
		usage();
	page = sysconf(_SC_PAGESIZE);
	if (prctl(PR_GET_NAME, comm))
		die("PR_GET_NAME");

	pin_cpu(cpu);
	storm(warmup, pages, page);
	/* the process's faults (ru_minflt) and this thread's CPU time */
	if (getrusage(RUSAGE_SELF, &before) || getrusage(RUSAGE_THREAD, &tb))
		die("getrusage");
	t0 = now_ns();
	storm(rounds, pages, page);
	t1 = now_ns();
	if (getrusage(RUSAGE_THREAD, &ta) || getrusage(RUSAGE_SELF, &after))
		die("getrusage");

	printf("{\"cpu\":%d,\"rounds\":%ld,\"pages\":%ld,\"warmup\":%ld,\"page_size\":%zu,"
	       "\"faults_expected\":%ld,\"faults_total\":%ld,\"minflt\":%ld,\"majflt\":%ld,"
	       "\"minflt_total\":%ld,\"elapsed_ns\":%llu,\"cpu_ns\":%llu,\"voluntary\":%ld,"
	       "\"involuntary\":%ld,\"ns_per_fault\":%.1f,\"comm\":\"%s\",\"pid\":%d}\n",
	       cpu, rounds, pages, warmup, page, rounds * pages, (rounds + warmup) * pages,
	       after.ru_minflt - before.ru_minflt, after.ru_majflt - before.ru_majflt,
	       after.ru_minflt, t1 - t0, cpu_ns(&ta) - cpu_ns(&tb),
	       ta.ru_nvcsw - tb.ru_nvcsw, ta.ru_nivcsw - tb.ru_nivcsw,
	       (double)(t1 - t0) / (rounds * pages), comm, (int)getpid());
	return 0;
}

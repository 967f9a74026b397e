// SPDX-License-Identifier: GPL-2.0
/*
 * faulter touch ADDR PAGES [READS]
 *   Map PAGES anonymous pages at ADDR (hex; MAP_FIXED_NOREPLACE), with
 *   transparent huge pages off for the range, and write one byte to each
 *   page in turn: exactly PAGES minor write faults in [ADDR, ADDR + PAGES
 *   pages). Then read READS pages of a second anonymous range just after
 *   (never written: each read maps the zero page: READS minor read faults).
 * faulter hog MIB [SECONDS]
 *   Allocate and touch MIB MiB, one page at a time (for an OOM kill or an
 *   RSS peak), then sleep SECONDS (default 0) and free it.
 * faulter storm ROUNDS PAGES
 *   ROUNDS times: map PAGES pages, write each, unmap (a page-fault storm).
 *
 * Prints "ready" lines nowhere: the tests know the addresses they gave.
 * Exit status 0; 2 usage; 3 the mapping failed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static int usage(void)
{
	fprintf(stderr, "usage: faulter touch ADDR PAGES [READS] | hog MIB [SECONDS] | "
		"storm ROUNDS PAGES\n");
	return 2;
}

static char *map(void *at, size_t len)
{
	char *p = mmap(at, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (at ? MAP_FIXED_NOREPLACE : 0), -1, 0);

	if (p == MAP_FAILED || (at && p != at)) {
		perror("mmap");
		exit(3);
	}
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

int main(int argc, char **argv)
{
	long ps = sysconf(_SC_PAGESIZE);
	volatile char sink = 0;

	if (argc >= 4 && !strcmp(argv[1], "touch")) {
		uintptr_t addr = strtoull(argv[2], NULL, 16);
		long pages = atol(argv[3]), reads = argc > 4 ? atol(argv[4]) : 0;
		char *p = map((void *)addr, (pages + reads) * ps);

		for (long i = 0; i < pages; i++)
			p[i * ps] = 1;
		for (long i = 0; i < reads; i++)
			sink += p[(pages + i) * ps];
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "hog")) {
		size_t len = (size_t)atol(argv[2]) << 20;
		unsigned secs = argc > 3 ? atoi(argv[3]) : 0;
		char *p = map(NULL, len);

		for (size_t off = 0; off < len; off += ps)
			p[off] = 1;
		if (secs)
			sleep(secs);
		munmap(p, len);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "storm")) {
		long rounds = atol(argv[2]), pages = atol(argv[3]);

		for (long r = 0; r < rounds; r++) {
			char *p = map(NULL, pages * ps);

			for (long i = 0; i < pages; i++)
				p[i * ps] = 1;
			munmap(p, pages * ps);
		}
		return 0;
	}
	(void)sink;
	return usage();
}

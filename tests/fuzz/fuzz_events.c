// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_events: ring buffer records, as bytes kscope did not write, through
 * each command's real validation and decoding into both sinks. The first
 * byte picks the command and its mode (a command line, parsed for real by
 * the command), the rest is records: [u16 little-endian length][bytes]...
 * (stub.c; a length of 0xffff is an interval tick). The modes are those
 * whose decoding or printing differs: start and finish run with the real
 * (unloaded) skeleton, except for syscall's summaries, whose finish waits
 * for an RCU grace period (membarrier) per input.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"

struct mode {
	int (*cmd)(int argc, char **argv);
	const char *argv[6];
	bool start, finish;     /* call the tracer's start, finish and ticks */
};

/*
 * Keep the order, and add new modes at the end: tests/fuzz/seeds.c writes a
 * seed per mode, by index, and a committed input keeps its mode (below).
 */
static const struct mode modes[] = {
	{ cmd_proc, { "proc" }, true, true },
	{ cmd_proc, { "proc", "-j" }, true, true },
	{ cmd_proc, { "proc", "-T" }, true, true },
	{ cmd_proc, { "proc", "--tree" }, true, true },
	{ cmd_proc, { "proc", "--tree", "-j" }, true, true },
	{ cmd_proc, { "proc", "-e", "exec,exit", "-j" }, true, true },
	{ cmd_sched, { "sched", "--events" }, true, true },
	{ cmd_sched, { "sched", "--events", "-j" }, true, true },
	{ cmd_sched, { "sched", "--events", "-j", "-T" }, true, true },
	{ cmd_syscall, { "syscall", "--events" }, true, false },
	{ cmd_syscall, { "syscall", "--events", "-j" }, true, false },
	{ cmd_fileio, { "fileio" }, true, true },
	{ cmd_fileio, { "fileio", "-j" }, true, true },
	{ cmd_fileio, { "fileio", "--slow", "0", "-j" }, true, true },
	{ cmd_fileio, { "fileio", "--slow", "0" }, true, true },
	{ cmd_fileio, { "fileio", "--no-summary", "-j" }, true, true },
	{ cmd_sched, { "sched", "--events", "--timeline", "/dev/null" }, true, true },
	{ cmd_fileio, { "fileio", "--top", "-j", "1" }, true, true },
	{ cmd_fileio, { "fileio", "--top", "1" }, true, true },
	/* 19: the modes added since the first 19 */
	{ cmd_hello, { "hello" }, true, true },
	{ cmd_hello, { "hello", "-j" }, true, true },
	{ cmd_hello, { "hello", "-j", "-T" }, true, true },
	/* 22: net's stream, and its interval table (rows from close records) */
	{ cmd_net, { "net" }, true, true },
	{ cmd_net, { "net", "-j" }, true, true },
	{ cmd_net, { "net", "-j", "1" }, true, true },
	{ cmd_net, { "net", "-s", "tx", "-n", "2", "1" }, true, true },
	/* 26: net --events: state changes, retransmits, resets, errors, with the rows */
	{ cmd_net, { "net", "--events" }, true, true },
	{ cmd_net, { "net", "--events", "-j" }, true, true },
	/* 28: net --by: the rows folded per process and cgroup, each period and at the end */
	{ cmd_net, { "net", "--by", "process", "-j", "1" }, true, true },
	{ cmd_net, { "net", "--by", "cgroup" }, true, true },
	/* 30: diskio --events (its summaries come from maps, never from records) */
	{ cmd_diskio, { "diskio", "--events" }, true, true },
	{ cmd_diskio, { "diskio", "--events", "-j", "-T" }, true, true },
	/* 32: memory's fault stream, and OOM records among a summary's (text, JSON) */
	{ cmd_memory, { "memory", "--events" }, true, true },
	{ cmd_memory, { "memory", "-j" }, true, true },
	{ cmd_memory, { "memory" }, true, true },
	/* 35: security's stream (text, JSON), and its summary (records: none, rejected) */
	{ cmd_security, { "security" }, true, true },
	{ cmd_security, { "security", "-j" }, true, true },
	{ cmd_security, { "security", "--summary", "-j", "1" }, true, true },
	/* 38: kscope container's lifecycle records, its rows every period (text, JSON) */
	{ cmd_container, { "container", "1" }, true, true },
	{ cmd_container, { "container", "-j" }, true, true },
};

#define NMODES   (sizeof(modes) / sizeof(modes[0]))
#define V1_MODES 19

/*
 * A first byte below the number of modes is that mode; any other byte is
 * taken modulo the first 19, as before there were more: the inputs of the
 * committed corpus keep the mode they were found with.
 */
static const struct mode *pick_mode(uint8_t b)
{
	return &modes[b < NMODES ? b : b % V1_MODES];
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mode *m;
	struct fuzz_feed feed;
	char *argv[8];
	int argc = 0;

	if (!size)
		return 0;
	m = pick_mode(data[0]);
	while (argc < 6 && m->argv[argc]) {
		argv[argc] = (char *)m->argv[argc];
		argc++;
	}
	argv[argc] = NULL;
	feed = (struct fuzz_feed){ data + 1, size - 1, m->start, m->finish };
	fuzz_feed = &feed;
	m->cmd(argc, argv);
	fuzz_feed = NULL;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The command table: a command is a row (git's cmd_struct, bpftool's
 * command tables). Adding one touches this table and the command's own
 * files, nothing else. Names match exactly; there is no prefix guessing.
 */
#include <string.h>

#include "kscope.h"

/* The commands a command runs as its parts (kscope doctor lists them) */
#define PARTS(...) (const char *const[]){ __VA_ARGS__, NULL }

const struct ks_cmd ks_cmds[] = {
	{ "hello", cmd_hello, "one line per exec: the smallest command, and a check that eBPF works here", &hello_tracer },
	{ "proc", cmd_proc, "process lifecycle: fork, exec, exit, and the process tree", &proc_tracer },
	{ "sched", cmd_sched, "scheduler: CPU time, context switches, run-queue latency, timeline", &sched_tracer },
	{ "syscall", cmd_syscall, "syscalls: counts, errors by errno, latency, histograms, the call stream", &syscall_tracer },
	{ "fileio", cmd_fileio, "file opens, slow reads/writes/fsyncs, I/O per file and process", &fileio_tracer },
	{ "net", cmd_net, "TCP connections: owner, 4-tuple, exact bytes, retransmits, RTT, errors", &net_tracer },
	{ "diskio", cmd_diskio, "block I/O: requests, bytes, errors, queue and device latency", &diskio_tracer },
	{ "memory", cmd_memory, "page faults, RSS and its peak, reclaim stalls, OOM kills and their cgroup", &memory_tracer },
	{ "security", cmd_security, "capability checks and their verdict, uid/gid changes, set-id execs, ptrace, bpf(), modules, mounts, namespaces", &security_tracer },
	{ "container", cmd_container, "one row per container and the host: TCP, disk, memory, privileges, lifecycle", &container_tracer,
	  PARTS("sched", "syscall", "fileio", "net", "diskio", "memory", "security") },
	{ "top", cmd_top, "a live full-screen view of every process: CPU, run-queue wait, syscalls, file, disk and net I/O", NULL,
	  PARTS("sched", "syscall", "fileio", "diskio", "net") },
	{ "agent", cmd_agent, "a Prometheus exporter: the commands' in-kernel aggregations as metrics, over HTTP", NULL,
	  PARTS("syscall", "sched", "proc", "fileio", "net", "diskio", "memory", "security") },
	{ "doctor", cmd_doctor, "what this kernel offers, and which hook each probe will use", NULL },
	{ NULL, NULL, NULL, NULL },
};

const struct ks_cmd *ks_cmd_find(const char *name)
{
	for (const struct ks_cmd *c = ks_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

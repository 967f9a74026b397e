// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of the syscall benchmark: BPF programs that do nothing, on
 * raw_syscalls:sys_enter and sys_exit, through each of the three hook types
 * a tracer can use there (bench/run.py --scenario syscall). What a syscall
 * tracer costs above these is the work its program bodies do.
 *
 * Enabling either tracepoint sets SYSCALL_WORK_SYSCALL_TRACEPOINT on every
 * task, which sends every syscall of the system through the slow entry/exit
 * path (syscall_trace_enter/syscall_exit_work): that is most of the floor,
 * paid once per hook whatever the programs do. Then each event costs the
 * call into BPF: for tp_btf and raw_tp, bpf_trace_run (recursion guard,
 * RCU, migrate_disable, the indirect call); for the plain tracepoint, the
 * perf event path (perf_trace_* fills the record on the stack, then
 * trace_call_bpf).
 *
 * Plain u64 *ctx signatures: the attach point comes from the section name.
 * Names stay within 15 characters, the kernel's program name length, so
 * bpftool (and the bpf_stats pass) tells them apart.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int sys_enter_btf(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tp_btf/sys_exit")
int sys_exit_btf(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("raw_tp/sys_enter")
int sys_enter_raw(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("raw_tp/sys_exit")
int sys_exit_raw(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter_tp(void *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int sys_exit_tp(void *ctx)
{
	(void)ctx;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of the exec-storm benchmark: BPF programs that do nothing, on
 * the three hooks kscope proc uses on this kernel (tp_btf
 * sched_process_fork, sched_process_exec, sched_process_exit). What a
 * process tracer costs above these is its program bodies (the header, the
 * filename and argv copies, the ring buffer) and its reader.
 *
 * Plain u64 *ctx signatures: the attach point comes from the section name.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_process_fork")
int empty_fork(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tp_btf/sched_process_exec")
int empty_exec(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tp_btf/sched_process_exit")
int empty_exit(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

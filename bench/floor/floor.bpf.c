// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of the sched benchmark: BPF programs that do nothing, on the
 * same hooks kscope sched and runqlat use on this kernel (tp_btf). What a
 * tracer costs above these is the work its program bodies do; these
 * themselves cost the call into BPF and back on every event (bpf_trace_run:
 * recursion guard, RCU, migrate_disable, the indirect call).
 *
 * Plain u64 *ctx signatures: the attach point (and its
 * BTF id) comes from the section name.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_switch")
int empty_switch(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tp_btf/sched_wakeup")
int empty_wakeup(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int empty_wakeup_new(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

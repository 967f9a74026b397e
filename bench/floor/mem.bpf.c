// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of the fault-storm benchmark (bench/run.py --scenario
 * fault-storm), on tp_btf/page_fault_user, the hook kscope memory counts
 * faults on (x86: every fault taken in user mode, at its start):
 *
 * - empty_fault: nothing, the price of the hook alone (the tracepoint's
 *   static key on, and the call into BPF: bpf_trace_run's recursion guard,
 *   RCU, migrate_disable, the indirect call).
 * - count_fault: the least a fault counter can do, one per-CPU array
 *   slot incremented (a plain add: no other CPU writes it).
 *
 * Plain u64 *ctx signatures: the attach point comes from the section name.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/page_fault_user")
int empty_fault(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} faults SEC(".maps");

SEC("tp_btf/page_fault_user")
int count_fault(__u64 *ctx)
{
	__u32 zero = 0;
	__u64 *n;

	(void)ctx;
	n = bpf_map_lookup_elem(&faults, &zero);
	if (n)
		*n += 1;
	return 0;
}

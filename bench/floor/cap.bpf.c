// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of the capability-check benchmark (bench/run.py --scenario
 * cap-storm), on tp_btf/cap_capable, the hook kscope security sees
 * capability checks on (the capability:cap_capable tracepoint, at the end of
 * cap_capable(): every check, granted or denied, with its verdict):
 *
 * - empty_cap: nothing, the price of the hook alone (the tracepoint's
 *   static key on, and the call into BPF: bpf_trace_run's recursion guard,
 *   RCU, migrate_disable, the indirect call).
 * - count_cap: the least a check counter can do, one per-CPU array slot
 *   incremented (a plain add: no other CPU writes it).
 *
 * Plain u64 *ctx signatures: the attach point comes from the section name.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/cap_capable")
int empty_cap(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} checks SEC(".maps");

SEC("tp_btf/cap_capable")
int count_cap(__u64 *ctx)
{
	__u32 zero = 0;
	__u64 *n;

	(void)ctx;
	n = bpf_map_lookup_elem(&checks, &zero);
	if (n)
		*n += 1;
	return 0;
}

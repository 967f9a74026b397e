// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of the disk benchmarks (bench/run.py --scenario disk-), in two
 * kinds:
 *
 * - empty_*: BPF programs that do nothing, on the four block hooks kscope
 *   diskio attaches on this kernel (tp_btf block_io_start, block_rq_insert,
 *   block_rq_issue and block_rq_complete): the price of the hooks alone.
 * - lat_issue + lat_complete: the least a request-latency tracer can do,
 *   biolatency's core without its histogram, filters or per-disk keys: the
 *   time at issue in a hash keyed by the request pointer, looked up and
 *   deleted at completion, the count and the sum of issue -> complete in one
 *   array slot (atomic adds).
 *
 * Plain u64 *ctx signatures: the attach point comes from the section name;
 * ctx[0] is the struct request * of every one of these tracepoints.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/block_io_start")
int empty_io_start(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tp_btf/block_rq_insert")
int empty_insert(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tp_btf/block_rq_issue")
int empty_issue(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tp_btf/block_rq_complete")
int empty_complete(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

/* request pointer -> bpf_ktime_get_ns() at issue (biolatency's `start`) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} start SEC(".maps");

struct total {
	__u64 count;
	__u64 ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct total);
} totals SEC(".maps");

SEC("tp_btf/block_rq_issue")
int lat_issue(__u64 *ctx)
{
	__u64 rq = ctx[0], ts = bpf_ktime_get_ns();

	bpf_map_update_elem(&start, &rq, &ts, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int lat_complete(__u64 *ctx)
{
	__u64 rq = ctx[0], *ts;
	struct total *t;
	__u32 zero = 0;

	ts = bpf_map_lookup_elem(&start, &rq);
	if (!ts)
		return 0;
	t = bpf_map_lookup_elem(&totals, &zero);
	if (t) {
		__sync_fetch_and_add(&t->count, 1);
		__sync_fetch_and_add(&t->ns, bpf_ktime_get_ns() - *ts);
	}
	bpf_map_delete_elem(&start, &rq);
	return 0;
}

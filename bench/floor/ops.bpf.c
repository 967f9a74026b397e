// SPDX-License-Identifier: GPL-2.0
/*
 * What single BPF operations cost on tp_btf/sched_switch: one program per
 * operation, each attached alone by bench/floor/floor.c (bench/run.py
 * --scenario sched-ops). The operations are the building blocks of
 * kscope sched (src/sched/sched.bpf.c) and of runqlat, so their costs
 * explain where those tools' per-switch time goes. The prev/next values
 * feed `sink` so clang keeps the work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/* about the size of kscope's struct sched_task_stat */
struct val {
	__u64 n[16];
	char comm[16];
	__u32 hist[160];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct val);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct val);
} zero SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct val);
} task_store SEC(".maps");

/* runqlat's `start`: tid -> timestamp, inserted at enqueue, deleted at switch-in */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

__u64 sink;

/* the entry of tid, made on first sight (kscope's task_stat()) */
static __always_inline struct val *task_entry(__u32 tid)
{
	struct val *v = bpf_map_lookup_elem(&tasks, &tid);
	__u32 z = 0;
	void *init;

	if (v)
		return v;
	init = bpf_map_lookup_elem(&zero, &z);
	if (!init || bpf_map_update_elem(&tasks, &tid, init, BPF_ANY))
		return NULL;
	return bpf_map_lookup_elem(&tasks, &tid);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(op_empty, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(op_ktime, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	sink = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(op_array, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct val *v = bpf_map_lookup_elem(&cpus, &cpu);

	if (v)
		v->n[0]++;
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(op_atomic, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__sync_fetch_and_add(&sink, 1);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(op_plain_read4, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	sink = prev->se.sum_exec_runtime + next->se.sum_exec_runtime + next->tgid + prev->prio;
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(op_core_read4, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	sink = BPF_CORE_READ(prev, se.sum_exec_runtime) + BPF_CORE_READ(next, se.sum_exec_runtime) +
	       BPF_CORE_READ(next, tgid) + BPF_CORE_READ(prev, prio);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(op_hash_lookup, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct val *v = task_entry(next->pid);

	if (v)
		v->n[0]++;
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(op_hash_lookup2, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct val *v = task_entry(prev->pid);

	if (v)
		v->n[0]++;
	v = task_entry(next->pid);
	if (v)
		v->n[1]++;
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(op_task_storage2, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct val *v = bpf_task_storage_get(&task_store, prev, NULL,
					     BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (v)
		v->n[0]++;
	v = bpf_task_storage_get(&task_store, next, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (v)
		v->n[1]++;
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(op_hash_upd_del, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 p = prev->pid, n = next->pid;
	__u64 ts = 1, *t;

	bpf_map_update_elem(&start, &p, &ts, BPF_ANY);
	t = bpf_map_lookup_elem(&start, &n);
	if (t)
		sink += *t;
	bpf_map_delete_elem(&start, &n);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * What the building blocks of a syscall counter cost per syscall, on
 * tp_btf/sys_enter + tp_btf/sys_exit (bench/run.py --scenario syscall-ops).
 * Each configuration attaches one enter and one exit program (en_* + ex_*)
 * with bench/floor/floor.c; the two empty ones are the floor. Counting can
 * be done at enter (the id is an argument) or at exit (the id is read from
 * pt_regs, and the return value is there for errors); latency needs a
 * timestamp per task between the two, kept in task storage or (syscount -L's
 * way) in a hash keyed by thread id.
 *
 * Program names stay within 15 characters (the kernel's name length).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

#define NR_MAX 1024

struct sstat {
	__u64 count;
	__u64 sum_ns;
};

/* per-CPU array indexed by syscall number */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_MAX);
	__type(key, __u32);
	__type(value, struct sstat);
} pcpu SEC(".maps");

/* shared hash keyed by syscall number, entries made on first sight (syscount's `data`) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NR_MAX);
	__type(key, __u32);
	__type(value, struct sstat);
} byid SEC(".maps");

/* start time per thread: syscount -L's `start` */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} tstart SEC(".maps");

const volatile __u32 want_tgid = 1;	/* never matches a benchmark workload */
__u64 sink;

static __always_inline __u32 exit_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	return regs->syscallno;
#else
	return 0;
#endif
}

static __always_inline void pcpu_add(__u32 nr, __u64 ns)
{
	struct sstat *s = bpf_map_lookup_elem(&pcpu, &nr);

	if (s) {
		s->count++;
		s->sum_ns += ns;
	}
}

static __always_inline void hash_add(__u32 nr, __u64 ns)
{
	struct sstat *s = bpf_map_lookup_elem(&byid, &nr), zero = {};

	if (!s) {
		bpf_map_update_elem(&byid, &nr, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&byid, &nr);
		if (!s)
			return;
	}
	__sync_fetch_and_add(&s->count, 1);
	if (ns)
		__sync_fetch_and_add(&s->sum_ns, ns);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(en_empty, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ex_empty, struct pt_regs *regs, long ret)
{
	return 0;
}

/* count at enter, per-CPU array */
SEC("tp_btf/sys_enter")
int BPF_PROG(en_cnt_pcpu, struct pt_regs *regs, long id)
{
	pcpu_add(id, 0);
	return 0;
}

/* count at exit (the id from pt_regs), per-CPU array */
SEC("tp_btf/sys_exit")
int BPF_PROG(ex_cnt_pcpu, struct pt_regs *regs, long ret)
{
	pcpu_add(exit_nr(regs), 0);
	return 0;
}

/* the same with the number read through BPF_CORE_READ (bpf_probe_read_kernel) */
SEC("tp_btf/sys_exit")
int BPF_PROG(ex_cnt_core, struct pt_regs *regs, long ret)
{
#if defined(__TARGET_ARCH_x86)
	pcpu_add(BPF_CORE_READ(regs, orig_ax), 0);
#elif defined(__TARGET_ARCH_arm64)
	pcpu_add(BPF_CORE_READ(regs, syscallno), 0);
#endif
	return 0;
}

/* count at exit, plus a compat-task check (a load through the current task) */
SEC("tp_btf/sys_exit")
int BPF_PROG(ex_cnt_compat, struct pt_regs *regs, long ret)
{
#if defined(__TARGET_ARCH_x86)
	if (bpf_get_current_task_btf()->thread_info.status & 0x0002)	/* TS_COMPAT */
		return 0;
#endif
	pcpu_add(exit_nr(regs), 0);
	return 0;
}

/* count at exit, shared hash + atomic add (syscount's way) */
SEC("tp_btf/sys_exit")
int BPF_PROG(ex_cnt_hash, struct pt_regs *regs, long ret)
{
	hash_add(exit_nr(regs), 0);
	return 0;
}

/* the pid filter check alone (never matches) */
SEC("tp_btf/sys_enter")
int BPF_PROG(en_pid, struct pt_regs *regs, long id)
{
	if ((bpf_get_current_pid_tgid() >> 32) == want_tgid)
		sink++;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ex_pid, struct pt_regs *regs, long ret)
{
	if ((bpf_get_current_pid_tgid() >> 32) == want_tgid)
		sink++;
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(en_ktime, struct pt_regs *regs, long id)
{
	sink = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ex_ktime, struct pt_regs *regs, long ret)
{
	sink = bpf_ktime_get_ns();
	return 0;
}

/* latency, start time in task storage, per-CPU array */
SEC("tp_btf/sys_enter")
int BPF_PROG(en_lat_tstore, struct pt_regs *regs, long id)
{
	__u64 *t = bpf_task_storage_get(&tstart, bpf_get_current_task_btf(), NULL,
					BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (t)
		*t = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ex_lat_tstore, struct pt_regs *regs, long ret)
{
	__u64 *t = bpf_task_storage_get(&tstart, bpf_get_current_task_btf(), NULL, 0);

	if (t && *t) {
		pcpu_add(exit_nr(regs), bpf_ktime_get_ns() - *t);
		*t = 0;
	}
	return 0;
}

/* latency, start time in a tid hash (update, lookup + delete), shared hash: syscount -L */
SEC("tp_btf/sys_enter")
int BPF_PROG(en_lat_hash, struct pt_regs *regs, long id)
{
	__u32 tid = bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_ns();

	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ex_lat_hash, struct pt_regs *regs, long ret)
{
	__u32 tid = bpf_get_current_pid_tgid();
	__u64 *t = bpf_map_lookup_elem(&start, &tid), ns;

	if (!t)
		return 0;
	ns = bpf_ktime_get_ns() - *t;
	bpf_map_delete_elem(&start, &tid);
	hash_add(exit_nr(regs), ns);
	return 0;
}

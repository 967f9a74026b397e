/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF half of the engine, included once by every command's <cmd>.bpf.c:
 * the ring buffer and loss counters, the in-kernel filters, the common event
 * header, and (unless the command follows forks itself) the programs that
 * follow the children of traced processes for `kscope CMD -- PROGRAM`.
 *
 * Rule for every handler: decide with ks_wanted() first, reserve ring buffer
 * space last, so filtered events cost no ring buffer traffic at all.
 */
#ifndef KSCOPE_BPF_H
#define KSCOPE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct ks_bpf_cfg ks_cfg SEC(".rodata.ks") = {
	.wakeup_bytes = 1 << 20,
	.page_shift = 12,
};

/* Userspace sizes it before load (--ringbuf-kb) */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} ks_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_LOST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} ks_lost SEC(".maps");

/* Traced processes for -p and for followed descendants: tgid -> KS_PID_* */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_PIDS_MAX);
	__type(key, __u32);
	__type(value, __u8);
} ks_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ks_cgroup SEC(".maps");

/* One more in slot key of a per-CPU array of __u64 counters */
static __always_inline void ks_percpu_inc(void *map, __u32 key)
{
	__u64 *n = bpf_map_lookup_elem(map, &key);

	if (n)
		*n += 1;	/* per-CPU slot: no atomics needed */
}

static __always_inline void ks_lost_inc(__u32 kind)
{
	ks_percpu_inc(&ks_lost, kind);
}

/*
 * The value of key in a hash map, made from *init if missing; NULL (counted
 * as map_full) if the map is full
 */
static __always_inline void *ks_map_get(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	/* made here, or by a program on another CPU meanwhile: either will do */
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		ks_lost_inc(KS_LOST_MAPFULL);
	return v;
}

/*
 * The same, made from the (never written) zero value of array map zero_map:
 * for values too large for the stack (a row's counters and histograms)
 */
static __always_inline void *ks_lookup_or_init(void *map, const void *key, void *zero_map)
{
	void *v = bpf_map_lookup_elem(map, key), *init;
	__u32 zero = 0;

	if (v)
		return v;
	init = bpf_map_lookup_elem(zero_map, &zero);
	return init ? ks_map_get(map, key, init) : NULL;
}

/*
 * mm->rss_stat was an mm_rss_stat of atomics before 6.2 (f1a7941243c1), an
 * array of percpu_counters since. Both layouts are flavors of their own, so
 * the code does not depend on which one vmlinux.h has (arm64's is 6.1).
 */
struct mm_rss_stat___pre62 {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
} __attribute__((preserve_access_index));

struct mm_struct___v62 {
	struct percpu_counter rss_stat[4];
} __attribute__((preserve_access_index));

/* MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES: pages (0 if negative) */
enum { KS_MM_FILE = 0, KS_MM_ANON = 1, KS_MM_SWAP = 2, KS_MM_SHMEM = 3 };

static __always_inline __u64 ks_mm_counter(struct mm_struct *mm, int i)
{
	__s64 v;

	if (bpf_core_type_exists(struct mm_rss_stat___pre62))
		v = BPF_CORE_READ((struct mm_struct___pre62 *)mm, rss_stat.count[i & 3].counter);
	else
		v = BPF_CORE_READ((struct mm_struct___v62 *)mm, rss_stat[i & 3].count);
	return v < 0 ? 0 : v;
}

/* When userspace had every probe attached (bpf_ktime_get_ns() time; 0 before) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ks_armed SEC(".maps");

/*
 * A task enters a call while its slot still holds one that entered at
 * entered_ns and never exited: the kernel skipped the exit probe for it
 * (a call always exits through sys_exit, even when its task is killed),
 * and what it would have counted is lost: said so (KS_LOST_MISSED). Not
 * for a call that entered before every probe was attached: its exit may
 * have come before the exit probe was.
 */
static __always_inline void ks_missed_exit(__u64 entered_ns)
{
	__u32 zero = 0;
	__u64 *armed = bpf_map_lookup_elem(&ks_armed, &zero);

	if (armed && *armed && entered_ns >= *armed)
		ks_lost_inc(KS_LOST_MISSED);
}

/* cgroup::ancestor_ids[] became cgroup::ancestors[] in 6.1 (7f203bc89eb6) */
struct cgroup___pre61 {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/* Is this cgroup (v2) the filter cgroup or below it? (a task's, a socket's) */
static __always_inline bool ks_cgroup_in_filter(struct cgroup *cg)
{
	__u32 level = ks_cfg.cgroup_level;
	__u64 id = 0;

	if (!cg || BPF_CORE_READ(cg, level) < (int)level)
		return false;
	if (bpf_core_field_exists(cg->ancestors)) {
		struct cgroup *anc = NULL;

		bpf_probe_read_kernel(&anc, sizeof(anc), (void *)cg +
				      bpf_core_field_offset(cg->ancestors) + level * sizeof(anc));
		id = BPF_CORE_READ(anc, kn, id);
	} else {
		struct cgroup___pre61 *old = (void *)cg;

		bpf_probe_read_kernel(&id, sizeof(id), (void *)old +
				      bpf_core_field_offset(old->ancestor_ids) + level * sizeof(id));
	}
	return id == ks_cfg.cgroup_id;
}

/*
 * A task's css of a subsystem (its cgroup_subsys_id: KS_SSID(memory_cgrp_id),
 * or a number userspace found), or NULL
 */
static __always_inline struct cgroup_subsys_state *ks_task_css(struct task_struct *task, int ssid)
{
	struct cgroup_subsys_state *css = NULL;
	struct css_set *cs;

	if (ssid < 0 || ssid >= 16)
		return NULL;
	cs = BPF_CORE_READ(task, cgroups);
	if (cs)
		bpf_probe_read_kernel(&css, sizeof(css), &cs->subsys[ssid]);
	return css;
}

/* This kernel's number of a subsystem (enum cgroup_subsys_id), -1 if it has none */
#define KS_SSID(name)								\
	(bpf_core_enum_value_exists(enum cgroup_subsys_id, name) ?		\
	 (int)bpf_core_enum_value(enum cgroup_subsys_id, name) : -1)

/*
 * The task's cgroup in the -c cgroup's hierarchy: its v2 one, or (-c names
 * a v1 cgroup) the one of that hierarchy's subsystem
 */
static __always_inline struct cgroup *ks_task_filter_cgroup(struct task_struct *task)
{
	struct cgroup_subsys_state *css;

	if (!ks_cfg.cgroup_ssid1)
		return BPF_CORE_READ(task, cgroups, dfl_cgrp);
	css = ks_task_css(task, (ks_cfg.cgroup_ssid1 - 1) & 15);
	return css ? BPF_CORE_READ(css, cgroup) : NULL;
}

/* Is the task's cgroup the filter cgroup or below it? */
static __always_inline bool ks_task_in_cgroup(struct task_struct *task)
{
	return ks_cgroup_in_filter(ks_task_filter_cgroup(task));
}

/*
 * -c names a v1 cgroup: is the current task in it or below? A global
 * function: verified once, on its own (inlined into ks_wanted(), the walk
 * made 6.1's and 6.18's verifiers reject tracepoint programs, R6 !read_ok)
 */
__noinline int ks_current_in_v1_cgroup(void)
{
	return ks_task_in_cgroup((struct task_struct *)bpf_get_current_task());
}

/* Does the current task pass every filter the user asked for? */
static __always_inline bool ks_wanted(void)
{
	__u32 filter = ks_cfg.filter;

	if (filter & KS_FILTER_PID) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;

		if (!bpf_map_lookup_elem(&ks_pids, &tgid))
			return false;
	}
	if ((filter & KS_FILTER_UID) &&
	    (__u32)bpf_get_current_uid_gid() != ks_cfg.uid)
		return false;
	if (filter & KS_FILTER_CGROUP) {
		if (ks_cfg.cgroup_ssid1) {
			if (!ks_current_in_v1_cgroup())
				return false;
		} else if (bpf_current_task_under_cgroup(&ks_cgroup, 0) != 1) {
			return false;
		}
	}
	if (filter & KS_FILTER_COMM) {
		/*
		 * Zeroed: before 6.3-ish the helper copies with strscpy(), not
		 * strscpy_pad(), so the bytes after the NUL are whatever the
		 * stack held, and the 16-byte compare failed at random (found
		 * by the VM matrix on Debian's 6.1).
		 */
		char comm[KS_COMM_LEN] = {};
		const volatile __u64 *want = (const volatile __u64 *)ks_cfg.comm;
		__u64 *have = (__u64 *)comm;

		bpf_get_current_comm(comm, sizeof(comm));
		if (have[0] != want[0] || have[1] != want[1])
			return false;
	}
	return true;
}

/*
 * Per-task state (a call in flight between sys_enter and sys_exit): a
 * task-local storage map (5.11+), which needs no hash lookup or lock and
 * dies with its task. Where the kernel has none (or --no-task-storage),
 * the engine turns every such map into an LRU hash keyed by thread id
 * before load and clears ks_cfg.task_storage; the verifier drops the
 * branch not taken, so each kernel sees only the helpers it has.
 */
#define KS_TASK_SLOTS(name, value_type)				\
	struct {						\
		__uint(type, BPF_MAP_TYPE_TASK_STORAGE);	\
		__uint(map_flags, BPF_F_NO_PREALLOC);		\
		__type(key, int);				\
		__type(value, value_type);			\
	} name SEC(".maps")

/*
 * The current task's slot in map; create: make it (from *zero) if missing.
 * A slot that cannot be made is counted as lost (map_full): the LRU hash
 * full, or no memory, or, before 6.2, bpf_task_storage_get() finding task
 * storage busy on this CPU (it fails then instead of waiting). The caller
 * drops what it would have kept there.
 */
static __always_inline void *ks_task_slot(void *map, bool create, const void *zero)
{
	__u32 tid;
	void *v;

	if (ks_cfg.task_storage) {
		v = bpf_task_storage_get(map, bpf_get_current_task_btf(), 0,
					 create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	} else {
		tid = (__u32)bpf_get_current_pid_tgid();
		v = bpf_map_lookup_elem(map, &tid);
		if (!v && create) {
			bpf_map_update_elem(map, &tid, zero, BPF_NOEXIST);
			/* made here or by a racing program: either will do */
			v = bpf_map_lookup_elem(map, &tid);
		}
	}
	if (!v && create)
		ks_lost_inc(KS_LOST_MAPFULL);
	return v;
}

/*
 * The cgroup that owns a task's CPU time and calls, for rows keyed by
 * cgroup (--by cgroup): its cgroup v2 (also on a hybrid host, where v2
 * holds no controller), or on a host with no cgroup v2 mounted its v1 cpu
 * controller's. Userspace names it with ks_cgroup_ctrl_path(NULL, id).
 */
static __always_inline __u64 ks_task_cgroup_id(struct task_struct *task)
{
	struct cgroup_subsys_state *css;

	if (!ks_cfg.task_cg_v1)
		return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	css = ks_task_css(task, KS_SSID(cpu_cgrp_id));
	return css ? BPF_CORE_READ(css, cgroup, kn, id) : 0;
}

/* ... of the current task (bpf_get_current_cgroup_id() where v2 is mounted) */
static __always_inline __u64 ks_current_cgroup_id(void)
{
	if (!ks_cfg.task_cg_v1)
		return bpf_get_current_cgroup_id();
	return ks_task_cgroup_id((struct task_struct *)bpf_get_current_task());
}

/*
 * ks_wanted() for a task that is not current (the next task of a switch,
 * the woken task): the same filters, read from the task itself.
 */
static __always_inline bool ks_task_wanted(struct task_struct *task)
{
	__u32 filter = ks_cfg.filter;

	if (filter & KS_FILTER_PID) {
		__u32 tgid = BPF_CORE_READ(task, tgid);

		if (!bpf_map_lookup_elem(&ks_pids, &tgid))
			return false;
	}
	if ((filter & KS_FILTER_UID) && BPF_CORE_READ(task, cred, uid.val) != ks_cfg.uid)
		return false;
	if ((filter & KS_FILTER_CGROUP) && !ks_task_in_cgroup(task))
		return false;
	if (filter & KS_FILTER_COMM) {
		char comm[KS_COMM_LEN] = {};
		const volatile __u64 *want = (const volatile __u64 *)ks_cfg.comm;
		__u64 *have = (__u64 *)comm;

		BPF_CORE_READ_STR_INTO(&comm, task, comm);
		if (have[0] != want[0] || have[1] != want[1])
			return false;
	}
	return true;
}

/*
 * The parent's tgid through BTF pointers: two plain loads instead of two
 * probe reads. A global function, so the verifier checks it once on its
 * own: inlined, every load of a trusted pointer field on every path makes
 * the verifier search the kernel's BTF by name (btf_nested_type_is_trusted),
 * which took 7 ms of fileio's load time for this walk alone.
 */
__noinline int ks_current_ppid_btf(void)
{
	return bpf_get_current_task_btf()->real_parent->tgid;
}

/*
 * The common header of every event, for the current task. btf: the program
 * is BTF-typed (tp_btf, fentry; 5.11+) and may use BTF pointers.
 */
static __always_inline void ks_fill_hdr_btf(struct ks_hdr *h, __u16 type, bool btf)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->ts_ns = bpf_ktime_get_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->type = type;
	h->flags = 0;
	h->cpu = bpf_get_smp_processor_id();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	if (btf) {
		h->ppid = ks_current_ppid_btf();
	} else {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	}
	h->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline void ks_fill_hdr(struct ks_hdr *h, __u16 type)
{
	ks_fill_hdr_btf(h, type, false);
}

/*
 * Space a record takes in the ring: its 8-byte header, rounded up to 8
 * (kernel/bpf/ringbuf.c).
 */
#define KS_RB_SPACE(size) ((((__u64)(size)) + 8 + 7) & ~7ull)

/*
 * Wake the reader once per crossing of the fill threshold: only the record
 * that takes the unread data from below wakeup_bytes to at or above it
 * forces a wakeup; every other one is submitted without (a quiet stream is
 * flushed by the reader's own timer, --flush-ms). No irq_work and no reader
 * wakeup per event, also while the reader is behind: a record above the
 * threshold does not wake it again (it was woken, or it is stopped), so an
 * overloaded reader costs an event no more than a keeping-up one.
 * `queued` is the unread data including this record (after a reservation)
 * or excluding it (before bpf_ringbuf_output). Concurrent producers and the
 * consumer can make a crossing be missed; the timer still bounds the delay.
 */
static __always_inline __u64 ks_rb_flags(__u64 space, bool included)
{
	__u64 queued = bpf_ringbuf_query(&ks_events, BPF_RB_AVAIL_DATA);
	__u64 before = !included ? queued : queued > space ? queued - space : 0;

	if (before < ks_cfg.wakeup_bytes && before + space >= ks_cfg.wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Reserve a fixed-size event; a failed reservation is counted, never silent. */
static __always_inline void *ks_reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&ks_events, size, 0);

	if (!e)
		ks_lost_inc(KS_LOST_RINGBUF);
	return e;
}

/* Submit a record reserved with ks_reserve() (size: the reserved size) */
#define ks_submit(e) bpf_ringbuf_submit((e), ks_rb_flags(KS_RB_SPACE(sizeof(*(e))), true))

/* Copy a variable-size event (built in a per-CPU scratch buffer) out. */
static __always_inline void ks_output(void *data, __u64 size)
{
	if (bpf_ringbuf_output(&ks_events, data, size, ks_rb_flags(KS_RB_SPACE(size), false)))
		ks_lost_inc(KS_LOST_RINGBUF);
}

/*
 * Following descendants: a child of a tracked process is tracked from the
 * moment it is forked, before it runs. Threads share the tgid, so adding
 * them is a no-op.
 */
static __always_inline void ks_follow_fork(__u32 parent_tgid, __u32 child_tgid)
{
	__u8 live = KS_PID_LIVE;

	if (!ks_cfg.follow || parent_tgid == child_tgid)
		return;
	if (!bpf_map_lookup_elem(&ks_pids, &parent_tgid)) {
		/* a followed process's pid, reused by one we do not follow */
		bpf_map_delete_elem(&ks_pids, &child_tgid);
		return;
	}
	if (bpf_map_update_elem(&ks_pids, &child_tgid, &live, BPF_ANY))
		ks_lost_inc(KS_LOST_PIDMAP);
}

/*
 * The last thread of a process is gone. Every thread decrements
 * signal->live before its exit hook runs, so several can see the group
 * dead, in any order: the pid is not forgotten here, or a thread whose
 * hook runs late would lose its exit event. In follow mode it is marked
 * dead; it goes when the pid is reused by a process we do not follow (see
 * ks_follow_fork) or when userspace sees the process reaped. -p alone
 * (no fork hook to see a reuse) forgets it at once.
 */
static __always_inline void ks_follow_exit(__u32 tgid, bool group_dead)
{
	__u8 dead = KS_PID_DEAD;

	if (!group_dead || !(ks_cfg.filter & KS_FILTER_PID))
		return;
	if (ks_cfg.follow)
		bpf_map_update_elem(&ks_pids, &tgid, &dead, BPF_EXIST);
	else
		bpf_map_delete_elem(&ks_pids, &tgid);
}

/*
 * Has the whole thread group exited? do_exit() decrements signal->live
 * before sched_process_exit on every kernel (the tracepoint's own
 * group_dead argument only exists since 6.16), so this works everywhere.
 */
static __always_inline bool ks_group_dead(struct task_struct *task)
{
	return BPF_CORE_READ(task, signal, live.counter) == 0;
}

/* A 32-bit task's syscall numbers are another table's (x86 ia32, arm64 AArch32) */
static __always_inline bool ks_task_is_compat(struct task_struct *t)
{
#if defined(__TARGET_ARCH_x86)
	return t->thread_info.status & 0x0002;          /* TS_COMPAT */
#elif defined(__TARGET_ARCH_arm64)
	return t->thread_info.flags & (1ul << 22);      /* TIF_32BIT */
#else
	return false;
#endif
}

/* The syscall number in a task's user registers (-1: none; x86 exceptions: their code) */
#if defined(__TARGET_ARCH_x86)
#define KS_REGS_SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define KS_REGS_SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)
#endif

/* task_struct::state became __state in 5.14 (commit 2f064a59a11f) */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline __u32 ks_task_state(struct task_struct *task)
{
	if (bpf_core_field_exists(task->__state))
		return BPF_CORE_READ(task, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)task, state);
}

#ifndef KS_SELF_FOLLOW
/*
 * For commands that have no fork/exit probes of their own. Loaded only in
 * follow mode; alternatives in the engine's plan (tp_btf -> raw_tp -> tp).
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(ks_follow_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	ks_follow_fork(parent->tgid, child->tgid);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(ks_follow_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	ks_follow_fork(BPF_CORE_READ(parent, tgid), BPF_CORE_READ(child, tgid));
	return 0;
}

SEC("tracepoint/sched/sched_process_fork")
int ks_follow_fork_tp(struct trace_event_raw_sched_process_fork *ctx)
{
	/*
	 * The tracepoint gives thread ids only; a new process's tid is its
	 * tgid, and a new thread's tid added here is never looked up.
	 */
	ks_follow_fork(bpf_get_current_pid_tgid() >> 32, ctx->child_pid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ks_follow_exit_btf, struct task_struct *task)
{
	ks_follow_exit(task->tgid, ks_group_dead(task));
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(ks_follow_exit_raw, struct task_struct *task)
{
	ks_follow_exit(BPF_CORE_READ(task, tgid), ks_group_dead(task));
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int ks_follow_exit_tp(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	ks_follow_exit(bpf_get_current_pid_tgid() >> 32, ks_group_dead(task));
	return 0;
}
#endif /* KS_SELF_FOLLOW */

#endif /* KSCOPE_BPF_H */

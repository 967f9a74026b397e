// SPDX-License-Identifier: GPL-2.0
/*
 * kscope proc: the task lifecycle (fork, exec, exit).
 *
 * Each logical probe has several programs, one per hook type; userspace
 * (proc.c's plan) loads the best one the running kernel accepts. All of
 * them funnel into one handler per event so the hook only decides where
 * the arguments come from.
 */
#define KS_SELF_FOLLOW	/* the fork/exit handlers below follow children */
#include "../engine/kscope.bpf.h"
#include "proc.h"

/*
 * Per-CPU scratch for the variable-size exec event (too big for the stack).
 * Sized so that any masked offset plus any masked length stays inside.
 */
struct exec_buf {
	struct proc_exec_event e;
	char data[PROC_FILENAME_MAX + 2 * PROC_ARGS_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_buf);
} exec_scratch SEC(".maps");

/* ---- --summary: counts per command name ----------------------------------- */

/*
 * Set before load: 0 streams records (one per event); --summary sets the
 * events counted (1 << PROC_EV_*), and no handler reserves ring space then.
 */
const volatile __u32 count_events = 0;

#define COUNTS(type) (count_events & (1u << (type)))

/* Userspace sizes it (PROC_SUMMARY_MAX; 1 without --summary) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, PROC_SUMMARY_MAX);
	__type(key, struct proc_comm_key);
	__type(value, struct proc_comm_stat);
} comm_stats SEC(".maps");

/* What comm_stats had no room for (full: -E2BIG; or no memory) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct proc_comm_stat);
} comm_other SEC(".maps");

/* One more of counter i for this name: in its entry, made if new, else in comm_other */
static __always_inline void count_comm(const struct proc_comm_key *k, __u32 i)
{
	struct proc_comm_stat *v = bpf_map_lookup_elem(&comm_stats, k);
	__u32 zero = 0;

	if (!v) {
		struct proc_comm_stat init = {};

		/* made here, or by a program on another CPU meanwhile: either will do */
		bpf_map_update_elem(&comm_stats, k, &init, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&comm_stats, k);
	}
	if (!v)
		v = bpf_map_lookup_elem(&comm_other, &zero);
	if (!v) {
		ks_lost_inc(KS_LOST_MAPFULL);	/* never: an array's entry is always there */
		return;
	}
	if (i < PROC_N_MAX)
		__sync_fetch_and_add(&v->n[i], 1);
}

/*
 * A process's name: its thread-group leader's (what ps shows), so that a
 * thread that named itself (pthread_setname_np) does not split its process's
 * counts. Zeroed first: the kernel may leave bytes of an older name after
 * the NUL, and the key is all 16 bytes.
 */
static __always_inline void leader_comm(struct task_struct *task, struct proc_comm_key *k)
{
	__builtin_memset(k, 0, sizeof(*k));
	BPF_CORE_READ_STR_INTO(&k->comm, task, group_leader, comm);
}

/* ... and the current task's own (the new name, at exec) */
static __always_inline void current_comm(struct proc_comm_key *k)
{
	__builtin_memset(k, 0, sizeof(*k));
	bpf_get_current_comm(k->comm, sizeof(k->comm));
}

/* ---- fork ---------------------------------------------------------------- */

static __always_inline int handle_fork(__u32 child_tgid, __u32 child_tid)
{
	__u32 parent_tgid = bpf_get_current_pid_tgid() >> 32;
	struct proc_fork_event *e;

	ks_follow_fork(parent_tgid, child_tgid);
	if (!ks_wanted())
		return 0;
	if (count_events) {
		struct proc_comm_key k;

		if (COUNTS(PROC_EV_FORK) && child_tgid == child_tid) {
			leader_comm((struct task_struct *)bpf_get_current_task(), &k);
			count_comm(&k, PROC_N_FORKS);
		}
		return 0;
	}
	e = ks_reserve(sizeof(*e));
	if (!e)
		return 0;
	ks_fill_hdr(&e->hdr, PROC_EV_FORK);
	if (child_tgid != child_tid)
		e->hdr.flags |= PROC_F_THREAD;
	e->child_pid = child_tgid;
	e->child_tid = child_tid;
	ks_submit(e);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	return handle_fork(child->tgid, child->pid);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(handle_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return handle_fork(BPF_CORE_READ(child, tgid), BPF_CORE_READ(child, pid));
}

/*
 * The tracepoint only carries the child's thread id. A new thread is
 * appended to the tail of its group's signal->thread_head list before the
 * tracepoint fires, so look for it near the tail; otherwise it is a process
 * and its tid is its tgid.
 */
#define FORK_TAIL_SCAN 4

SEC("tracepoint/sched/sched_process_fork")
int handle_fork_tp(struct trace_event_raw_sched_process_fork *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	__u32 child = ctx->child_pid;
	struct list_head *head, *pos;
	__u32 child_tgid = child;

	head = __builtin_preserve_access_index(&sig->thread_head);
	pos = BPF_CORE_READ(sig, thread_head.prev);
	for (int i = 0; i < FORK_TAIL_SCAN && pos && pos != head; i++) {
		struct task_struct *t = (void *)pos -
			bpf_core_field_offset(struct task_struct, thread_node);

		if ((__u32)BPF_CORE_READ(t, pid) == child) {
			child_tgid = bpf_get_current_pid_tgid() >> 32;
			break;
		}
		pos = BPF_CORE_READ(pos, prev);
	}
	return handle_fork(child_tgid, child);
}

/* ---- exec ---------------------------------------------------------------- */

/*
 * An exec event is built in the per-CPU scratch buffer: exec_begin() fills
 * the fixed part and the filename and returns where the arguments go;
 * exec_submit() sends header + filename + args_len bytes of arguments.
 */
static __always_inline struct exec_buf *exec_begin(__s32 ret, __u32 old_tid,
						   const char *filename, bool user, __u32 *off)
{
	struct exec_buf *b;
	__u32 zero = 0;
	long len;

	b = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!b)
		return NULL;
	ks_fill_hdr(&b->e.hdr, PROC_EV_EXEC);
	b->e.ret = ret;
	b->e.old_tid = old_tid;
	if (user)
		len = bpf_probe_read_user_str(b->data, PROC_FILENAME_MAX, filename);
	else
		len = bpf_probe_read_kernel_str(b->data, PROC_FILENAME_MAX, filename);
	if (len < 1) {
		b->data[0] = '\0';
		len = 1;
	}
	/* bounded twice: clang may fold a single clamp the verifier needs */
	*off = len & (2 * PROC_FILENAME_MAX - 1);
	if (*off > PROC_FILENAME_MAX)
		*off = PROC_FILENAME_MAX;
	b->e.filename_len = *off;
	return b;
}

static __always_inline void exec_submit(struct exec_buf *b, __u32 off, __u32 args_len)
{
	__u64 size = sizeof(b->e) + off + args_len;

	b->e.args_len = args_len;
	/*
	 * Keep this check: clang knows off and args_len are bounded and drops
	 * it, and the verifier of 6.1 (Debian bookworm's kernel) loses those
	 * bounds on the way here and rejects the program ("R3 unbounded").
	 */
	barrier_var(size);
	if (size <= sizeof(*b))
		ks_output(b, size);
}

static __always_inline int handle_exec(const char *filename, __u32 old_tid)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct exec_buf *b;
	__u64 arg_start, arg_end, total;
	__u32 off, n;

	if (!ks_wanted())
		return 0;
	if (count_events) {
		struct proc_comm_key k;

		if (COUNTS(PROC_EV_EXEC)) {
			current_comm(&k);
			count_comm(&k, PROC_N_EXECS);
		}
		return 0;
	}
	b = exec_begin(0, old_tid, filename, false, &off);
	if (!b)
		return 0;

	task = (struct task_struct *)bpf_get_current_task();
	mm = BPF_CORE_READ(task, mm);
	arg_start = BPF_CORE_READ(mm, arg_start);
	arg_end = BPF_CORE_READ(mm, arg_end);
	total = arg_end > arg_start ? arg_end - arg_start : 0;
	b->e.args_total = total > 0xffffffff ? 0xffffffff : total;
	n = total > PROC_ARGS_MAX ? PROC_ARGS_MAX : total;
	n &= (2 * PROC_ARGS_MAX - 1);
	if (n > PROC_ARGS_MAX)
		n = PROC_ARGS_MAX;
	if (n && bpf_probe_read_user(&b->data[off], n, (void *)arg_start)) {
		b->e.hdr.flags |= PROC_F_ARGS_FAULT;
		n = 0;
	}
	exec_submit(b, off, n);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec_btf, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	return handle_exec(BPF_CORE_READ(bprm, filename), old_pid);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(handle_exec_raw, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	return handle_exec(BPF_CORE_READ(bprm, filename), old_pid);
}

SEC("tracepoint/sched/sched_process_exec")
int handle_exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	/* __data_loc: low 16 bits are the offset from the record start */
	__u32 loc = ctx->__data_loc_filename;

	return handle_exec((const char *)ctx + (loc & 0xffff), ctx->old_pid);
}

/*
 * Failed execs (-x). sched_process_exec fires only for an exec that
 * succeeded, so failures need the execve/execveat syscall tracepoints:
 * remember the user pointers at entry, and build the event at exit only
 * when the call failed (the caller's memory is still intact then).
 */
struct exec_args {
	__u64 filename;
	__u64 argv;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);	/* a task killed mid-exec leaves no leak */
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct exec_args);
} exec_pending SEC(".maps");

static __always_inline int exec_enter(__u64 filename, __u64 argv)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct exec_args a = { .filename = filename, .argv = argv };

	if (!ks_wanted())
		return 0;
	bpf_map_update_elem(&exec_pending, &tid, &a, BPF_ANY);
	return 0;
}

static __always_inline int exec_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), off, aoff = 0, sz;
	struct exec_args *a = bpf_map_lookup_elem(&exec_pending, &tid);
	struct exec_buf *b;
	__u64 filename, argv;
	long len;
	int i;

	if (!a)
		return 0;
	filename = a->filename;
	argv = a->argv;
	bpf_map_delete_elem(&exec_pending, &tid);
	if (ret >= 0)
		return 0;	/* reported by sched_process_exec */
	if (count_events) {
		struct proc_comm_key k;

		current_comm(&k);	/* the caller's: a failed exec changes nothing */
		count_comm(&k, PROC_N_EXEC_FAILED);
		return 0;
	}
	b = exec_begin(ret, tid, (const char *)filename, true, &off);
	if (!b)
		return 0;

	for (i = 0; i < PROC_FAIL_ARGC_MAX && argv; i++) {
		__u64 p = 0;

		if (bpf_probe_read_user(&p, sizeof(p), (void *)(argv + i * sizeof(p))) || !p)
			break;
		aoff &= PROC_ARGS_MAX - 1;
		sz = PROC_ARGS_MAX - aoff;
		len = bpf_probe_read_user_str(&b->data[off + aoff], sz, (void *)p);
		if (len < 1)
			break;
		aoff += len;
		if (aoff >= PROC_ARGS_MAX) {
			aoff = PROC_ARGS_MAX;
			i++;	/* the block is full: the last string may be cut */
			break;
		}
	}
	/* no exact size of the caller's list: mark truncation by a bigger total */
	b->e.args_total = aoff + ((i == PROC_FAIL_ARGC_MAX || aoff == PROC_ARGS_MAX) ? 1 : 0);
	exec_submit(b, off, aoff > PROC_ARGS_MAX ? PROC_ARGS_MAX : aoff);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int handle_execve_enter(struct trace_event_raw_sys_enter *ctx)
{
	return exec_enter(ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int handle_execveat_enter(struct trace_event_raw_sys_enter *ctx)
{
	return exec_enter(ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int handle_execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int handle_execveat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(ctx->ret);
}

/* ---- exit ---------------------------------------------------------------- */

/* file + anon + shmem pages (swap entries are not RSS) */
static __always_inline __s64 mm_rss_pages(struct mm_struct *mm)
{
	return ks_mm_counter(mm, KS_MM_FILE) + ks_mm_counter(mm, KS_MM_ANON) +
	       ks_mm_counter(mm, KS_MM_SHMEM);
}

/*
 * --summary counts a process's exit once. On the tracepoints, whether the
 * group is dead is read from signal->live, which every thread decrements
 * before its hook runs: threads exiting together (exit_group) can all see
 * it at 0. The first of them to claim the process here counts it. The key
 * is the process and its start, so a reused pid is another. A plain hash:
 * an LRU one may evict a claim while the process's other threads still
 * exit (seen on a 2-CPU guest: one exit counted twice); userspace deletes
 * the claims of processes that are gone (proc_housekeeping), and a claim
 * that cannot be made (the map full) counts the exit, as without claims.
 */
#define EEXIST 17	/* uapi asm-generic/errno-base.h: BPF programs have no errno.h */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);	/* 1 without --summary */
	__type(key, struct exit_claim_key);
	__type(value, __u8);
} exit_claims SEC(".maps");

static __always_inline bool exit_claim(struct task_struct *task, __u32 tgid)
{
	struct exit_claim_key k = {
		.tgid = tgid,
		.start_ns = BPF_CORE_READ(task, group_leader, start_time),
	};
	__u8 one = 1;
	long err;

	/*
	 * An update can fail for another reason than the claim being there
	 * (seen on the arm64 guest: the bucket busy while threads of the
	 * process exit on both CPUs): look, and try again
	 */
	for (int i = 0; i < 4; i++) {
		err = bpf_map_update_elem(&exit_claims, &k, &one, BPF_NOEXIST);
		if (!err)
			return true;
		if (err == -EEXIST || bpf_map_lookup_elem(&exit_claims, &k))
			return false;	/* another thread of it claimed it */
	}
	/* no claim could be made (the map full): counted, and said */
	ks_lost_inc(KS_LOST_MAPFULL);
	return true;
}

static __always_inline void count_exit(struct task_struct *task, __u32 tgid, bool exact)
{
	struct proc_comm_key k;

	if (!exact && !exit_claim(task, tgid))
		return;	/* another thread of it counted it */
	leader_comm(task, &k);
	count_comm(&k, proc_exit_class(BPF_CORE_READ(task, exit_code)));
}

/*
 * group_dead: what the kernel passed taskstats_exit() (exact: this is the
 * last thread), or -1 on the tracepoints (read from signal->live)
 */
static __always_inline int handle_exit(struct task_struct *task, int group_dead_arg)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	bool exact = group_dead_arg >= 0;
	bool group_dead = exact ? group_dead_arg : ks_group_dead(task);
	struct proc_exit_event *e;
	struct mm_struct *mm;
	__u64 maxrss, rss, shift = ks_cfg.page_shift;

	if (!ks_wanted())
		goto out;
	if (count_events) {
		if (COUNTS(PROC_EV_EXIT) && group_dead)
			count_exit(task, tgid, exact);
		goto out;
	}
	e = ks_reserve(sizeof(*e));
	if (!e)
		goto out;
	ks_fill_hdr(&e->hdr, PROC_EV_EXIT);
	if ((__u32)BPF_CORE_READ(task, pid) != tgid)
		e->hdr.flags |= PROC_F_THREAD;
	if (group_dead)
		e->hdr.flags |= PROC_F_GROUP_DEAD;
	e->lifetime_ns = bpf_ktime_get_ns() - BPF_CORE_READ(task, start_time);
	e->cpu_ns = BPF_CORE_READ(task, se.sum_exec_runtime);
	e->exit_code = BPF_CORE_READ(task, exit_code);
	e->prio = BPF_CORE_READ(task, prio);
	e->state = ks_task_state(task);
	e->pad = 0;

	maxrss = BPF_CORE_READ(task, signal, maxrss);
	e->vm_bytes = 0;
	/*
	 * Since 6.16 sched_process_exit fires before exit_mm(); before that
	 * the tracepoint sees mm == NULL and only signal->maxrss (set for the
	 * last thread just before exit_mm) is left.
	 */
	mm = BPF_CORE_READ(task, mm);
	if (mm) {
		e->hdr.flags |= PROC_F_MM;
		e->vm_bytes = BPF_CORE_READ(mm, total_vm) << shift;
		rss = mm_rss_pages(mm);
		if (rss > maxrss)
			maxrss = rss;
		rss = BPF_CORE_READ(mm, hiwater_rss);
		if (rss > maxrss)
			maxrss = rss;
	}
	e->max_rss_bytes = maxrss << shift;
	ks_submit(e);
out:
	ks_follow_exit(tgid, group_dead);
	return 0;
}

/*
 * taskstats_exit() runs in do_exit() after exit_code is set and
 * signal->live is decremented, but before exit_mm(): the mm is still
 * there on every kernel version.
 */
SEC("fentry/taskstats_exit")
int BPF_PROG(handle_exit_fentry, struct task_struct *tsk, int group_dead)
{
	return handle_exit(tsk, !!group_dead);
}

SEC("kprobe/taskstats_exit")
int BPF_KPROBE(handle_exit_kprobe, struct task_struct *tsk, int group_dead)
{
	return handle_exit(tsk, !!group_dead);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit_btf, struct task_struct *p)
{
	return handle_exit(p, -1);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(handle_exit_raw, struct task_struct *p)
{
	return handle_exit(p, -1);
}

SEC("tracepoint/sched/sched_process_exit")
int handle_exit_tp(void *ctx)
{
	return handle_exit((struct task_struct *)bpf_get_current_task(), -1);
}

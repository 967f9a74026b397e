// SPDX-License-Identifier: GPL-2.0
/*
 * kscope memory: page faults, reclaim stalls and OOM kills.
 *
 *   page_fault_user (x86)     a user-mode page fault, at its start: address,
 *                             ip, and the error code (write, instruction fetch)
 *   handle_mm_fault           the same elsewhere (a kprobe): every fault
 *                             on user memory, the flags say user/write/exec
 *   page_fault_kernel (x86)   a fault the kernel takes on user memory
 *                             (copy_to_user): only ends the pending one
 *   sched_process_exit        the thread's last accounting; a process's memory
 *   mm_vmscan_{direct,memcg}_reclaim_{begin,end}   reclaim stalls
 *   mark_victim               an OOM kill
 *
 * Minor and major faults are the kernel's own accounting (task->min_flt,
 * maj_flt: what getrusage() and /proc report): a fault's outcome is known
 * only after it, so each thread's counters are read at each of its faults,
 * at its exit, and the difference since the last read is added to its row.
 * With --events or --faults a user fault is reported when its outcome is
 * known: at the thread's next fault or at its exit.
 */
#include "../engine/kscope.bpf.h"
#include "memory.h"

const volatile __u8 by = MEM_BY_PROCESS;
const volatile __u8 want_hist;          /* --hist: reclaim stalls, log2 us */
const volatile __u8 emit_faults;        /* --events, --faults */
const volatile __u64 range_lo, range_hi;   /* --faults: [lo, hi); hi 0: every address */

/* Set by userspace once every probe is attached (0: count nothing yet) */
volatile __u8 counting;
/* when it was set: a task started after it has made all its faults while traced */
volatile __u64 armed_ns;

/* Per CPU: a fault adds without atomics; userspace sums the CPUs */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MEM_MAX_KEYS);
	__type(key, __u64);
	__type(value, struct mem_stat);
} stats SEC(".maps");

/* Never written: the zero a new row starts from */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mem_stat);
} stat_zero SEC(".maps");

/* Processes that exited (--by process): their memory then; userspace takes them */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEM_MAX_EXITED);
	__type(key, __u32);
	__type(value, struct mem_exited);
} exited SEC(".maps");

/* Reclaim stalls per process, for the OOM record of a process that triggers one */
struct reclaim_sum {
	__u64 count, ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MEM_MAX_KEYS);
	__type(key, __u32);
	__type(value, struct reclaim_sum);
} proc_reclaim SEC(".maps");

KS_TASK_SLOTS(tasks, struct mem_task);

/* --by process, thread: the name of each, when its row was made; else 1 entry */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEM_MAX_KEYS);
	__type(key, __u64);
	__type(value, char[KS_COMM_LEN]);
} comms SEC(".maps");

/* ---- the kernel's structures ---------------------------------------------------- */

static __always_inline void mm_rss(struct mm_struct *mm, __u64 *rss)
{
	rss[MEM_RSS_ANON] = ks_mm_counter(mm, KS_MM_ANON);
	rss[MEM_RSS_FILE] = ks_mm_counter(mm, KS_MM_FILE);
	rss[MEM_RSS_SHMEM] = ks_mm_counter(mm, KS_MM_SHMEM);
}

/* The task's memory cgroup (v1 or v2: the same kernel object), or NULL */
static __always_inline struct mem_cgroup *task_memcg(struct task_struct *t)
{
	/* css is its first member */
	return (struct mem_cgroup *)ks_task_css(t, KS_SSID(memory_cgrp_id));
}

static __always_inline __u64 memcg_id(struct mem_cgroup *m)
{
	return m ? BPF_CORE_READ(m, css.cgroup, kn, id) : 0;
}

/* A field of a task: a plain load through a BTF pointer (btf), else a probe read */
#define T_READ(btf, t, field) ((btf) ? (t)->field : BPF_CORE_READ(t, field))

/* Whose row: the thread, its process, or its memory cgroup */
static __always_inline __u64 owner_of_btf(struct task_struct *t, bool btf)
{
	if (by == MEM_BY_THREAD)
		return T_READ(btf, t, pid);
	if (by == MEM_BY_CGROUP)
		return memcg_id(task_memcg(t));
	return T_READ(btf, t, tgid);
}

static __always_inline __u64 owner_of(struct task_struct *t)
{
	return owner_of_btf(t, false);
}

static __always_inline struct mem_stat *stat_of(__u64 owner)
{
	struct mem_stat *st = bpf_map_lookup_elem(&stats, &owner);

	if (st)
		return st;
	st = ks_lookup_or_init(&stats, &owner, &stat_zero);
	if (st && by != MEM_BY_CGROUP) {
		char comm[KS_COMM_LEN] = {};	/* the helper pads only since 6.3-ish */

		/* a new row of the current task (an OOM victim's row: named in userspace) */
		bpf_get_current_comm(comm, sizeof(comm));
		bpf_map_update_elem(&comms, &owner, comm, BPF_NOEXIST);
	}
	return st;
}

/* ---- faults ----------------------------------------------------------------------- */

static __always_inline void emit_fault(struct mem_task *s, __u8 outcome)
{
	struct mem_fault_event *e = ks_reserve(sizeof(*e));

	if (!e)
		return;
	ks_fill_hdr(&e->hdr, MEM_EV_FAULT);
	e->hdr.ts_ns = s->ts_ns;
	e->addr = s->addr;
	e->ip = s->ip;
	e->kind = s->kind;
	e->outcome = outcome;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	ks_submit(e);
}

/*
 * Read the thread's fault accounting: what it counted since the last read
 * goes to its row, and is the outcome of its pending fault if it has one.
 * A thread seen for the first time starts from 0 if it began while traced
 * (all its faults were), else from its counters now.
 */
static __always_inline void settle(struct task_struct *t, struct mem_task *s, __u64 owner,
				   struct mem_stat **stp, bool btf)
{
	__u64 mn = T_READ(btf, t, min_flt), mj = T_READ(btf, t, maj_flt), dmin, dmaj;
	struct mem_stat *st = *stp;

	if (!s->seen) {
		s->seen = 1;
		if (T_READ(btf, t, start_time) < armed_ns) {
			s->min_flt = mn;
			s->maj_flt = mj;
		}
	}
	dmin = mn - s->min_flt;
	dmaj = mj - s->maj_flt;
	s->min_flt = mn;
	s->maj_flt = mj;
	if ((dmin || dmaj) && !st)
		st = *stp = stat_of(owner);
	if (st) {
		st->minor += dmin;
		st->major += dmaj;
	}
	if (s->pending) {
		s->pending = 0;
		emit_fault(s, dmaj ? MEM_OUT_MAJOR : dmin ? MEM_OUT_MINOR : MEM_OUT_FAILED);
	}
}

static __always_inline struct mem_task *task_slot(bool create)
{
	struct mem_task zero = {};

	return ks_task_slot(&tasks, create, &zero);
}

/*
 * A fault on user memory, at its start. user: taken in user mode (else by
 * the kernel, e.g. in copy_to_user: only settles the pending one). kind:
 * enum mem_fault_kind.
 */
static __always_inline void on_fault(__u64 addr, __u64 ip, __u8 kind, bool user, bool btf)
{
	/* BTF programs (tp_btf) read the task with plain loads: no helper call */
	struct task_struct *t = btf ? bpf_get_current_task_btf() :
				      (struct task_struct *)bpf_get_current_task();
	struct mem_stat *st;
	struct mem_task *s;
	__u64 owner;

	if (!counting || !ks_wanted())
		return;
	s = task_slot(true);
	if (!s)
		return;
	owner = owner_of_btf(t, btf);
	st = user ? stat_of(owner) : NULL;
	settle(t, s, owner, &st, btf);
	if (!user)
		return;
	if (st) {
		st->faults++;
		if (kind == MEM_FAULT_WRITE)
			st->write_faults++;
		else if (kind == MEM_FAULT_EXEC)
			st->exec_faults++;
	}
	if (emit_faults && (!range_hi || (addr >= range_lo && addr < range_hi))) {
		s->pending = 1;
		s->addr = addr;
		s->ip = ip;
		s->kind = kind;
		s->ts_ns = bpf_ktime_get_ns();
	}
}

/* x86's page fault error code: bit 1 a write, bit 4 an instruction fetch */
static __always_inline __u8 x86_kind(__u64 err)
{
	return err & 2 ? MEM_FAULT_WRITE : err & 16 ? MEM_FAULT_EXEC : MEM_FAULT_READ;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(mem_fault_btf, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	on_fault(address, PT_REGS_IP_CORE(regs), x86_kind(error_code), true, true);
	return 0;
}

SEC("raw_tp/page_fault_user")
int BPF_PROG(mem_fault_raw, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	on_fault(address, PT_REGS_IP_CORE(regs), x86_kind(error_code), true, false);
	return 0;
}

/* The record of exceptions:page_fault_{user,kernel} (x86 only: not in every vmlinux.h) */
struct mem_exc_record {
	__u64 common;
	unsigned long address, ip, error_code;
};

SEC("tracepoint/exceptions/page_fault_user")
int mem_fault_tp(struct mem_exc_record *ctx)
{
	on_fault(ctx->address, ctx->ip, x86_kind(ctx->error_code), true, false);
	return 0;
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(mem_kfault_btf, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	on_fault(address, 0, 0, false, true);
	return 0;
}

SEC("raw_tp/page_fault_kernel")
int BPF_PROG(mem_kfault_raw, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	on_fault(address, 0, 0, false, false);
	return 0;
}

SEC("tracepoint/exceptions/page_fault_kernel")
int mem_kfault_tp(struct mem_exc_record *ctx)
{
	on_fault(ctx->address, 0, 0, false, false);
	return 0;
}

/* FAULT_FLAG_* (enum fault_flag since 5.17, the same values before) */
#define FLT_BIT(name, dflt)								\
	(bpf_core_enum_value_exists(enum fault_flag, name) ?				\
	 bpf_core_enum_value(enum fault_flag, name) : (dflt))

/*
 * handle_mm_fault(vma, address, flags, regs): every fault on user memory,
 * once per attempt (a retried one again, with FAULT_FLAG_TRIED: not a new
 * fault); get_user_pages() calls it without regs (not accounted by the
 * kernel either).
 */
static __always_inline void on_mm_fault(__u64 address, __u32 flags, struct pt_regs *regs)
{
	__u8 kind;

	if (flags & FLT_BIT(FAULT_FLAG_TRIED, 1 << 5))
		return;
	kind = flags & FLT_BIT(FAULT_FLAG_WRITE, 1 << 0) ? MEM_FAULT_WRITE :
	       flags & FLT_BIT(FAULT_FLAG_INSTRUCTION, 1 << 8) ? MEM_FAULT_EXEC : MEM_FAULT_READ;
	on_fault(address, regs ? PT_REGS_IP_CORE(regs) : 0, kind,
		 regs && (flags & FLT_BIT(FAULT_FLAG_USER, 1 << 6)), false);
}

SEC("kprobe/handle_mm_fault")
int BPF_KPROBE(mem_fault_kprobe, struct vm_area_struct *vma, unsigned long address,
	       unsigned int flags, struct pt_regs *regs)
{
	on_mm_fault(address, flags, regs);
	return 0;
}

/* ---- exit -------------------------------------------------------------------------- */

static __always_inline void on_exit(struct task_struct *t)
{
	struct mem_task *s;
	struct mm_struct *mm;
	struct mem_exited x = {};
	__u64 v;
	__u32 tgid;

	if (!counting)
		return;
	tgid = BPF_CORE_READ(t, tgid);
	if (!ks_wanted())
		return;
	/* a thread never seen at a fault counts too if all its life was traced */
	s = task_slot(BPF_CORE_READ(t, start_time) >= armed_ns);
	if (s) {
		struct mem_stat *st = NULL;
		__u64 owner = owner_of(t);

		settle(t, s, owner, &st, false);
		/* its row's name: the one it ends with (its first was before an exec, maybe) */
		if (by == MEM_BY_THREAD || (by == MEM_BY_PROCESS && ks_group_dead(t))) {
			char comm[KS_COMM_LEN] = {};

			BPF_CORE_READ_STR_INTO(&comm, t, comm);
			bpf_map_update_elem(&comms, &owner, comm, BPF_EXIST);
		}
	}
	if (by != MEM_BY_PROCESS || !ks_group_dead(t))
		return;
	/*
	 * The mm is still there at taskstats_exit (fentry, kprobe) and, since
	 * 6.16, at sched_process_exit; before, userspace keeps what it read
	 * last. Not signal->maxrss: it holds the mm's before an exec too (the
	 * parent's size copied at fork).
	 */
	mm = BPF_CORE_READ(t, mm);
	if (mm) {
		x.have_mm = 1;
		mm_rss(mm, x.rss_pages);
		v = x.rss_pages[0] + x.rss_pages[1] + x.rss_pages[2];
		if (v > x.peak_pages)
			x.peak_pages = v;
		v = BPF_CORE_READ(mm, hiwater_rss);
		if (v > x.peak_pages)
			x.peak_pages = v;
	}
	/* taken by userspace about once a second: full, the memory at its end is lost */
	if (bpf_map_update_elem(&exited, &tgid, &x, BPF_ANY))
		ks_lost_inc(KS_LOST_MAPFULL);
}

/* in do_exit() before exit_mm() on every kernel, with signal->live decremented (proc.bpf.c) */
SEC("fentry/taskstats_exit")
int BPF_PROG(mem_exit_fentry, struct task_struct *tsk, int group_dead)
{
	on_exit(tsk);
	return 0;
}

SEC("kprobe/taskstats_exit")
int BPF_KPROBE(mem_exit_kprobe, struct task_struct *tsk)
{
	on_exit(tsk);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(mem_exit_btf, struct task_struct *p)
{
	on_exit(p);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(mem_exit_raw, struct task_struct *p)
{
	on_exit(p);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int mem_exit_tp(void *ctx)
{
	on_exit((struct task_struct *)bpf_get_current_task());
	return 0;
}

/* ---- exec: a new memory image --------------------------------------------------- */

static __always_inline void on_exec(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct mem_stat *st;

	if (!counting || !ks_wanted())
		return;
	st = stat_of(owner_of(t));
	if (st)
		st->execs++;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(mem_exec_btf)
{
	on_exec();
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(mem_exec_raw)
{
	on_exec();
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int mem_exec_tp(void *ctx)
{
	on_exec();
	return 0;
}

/* ---- reclaim stalls ---------------------------------------------------------------- */

static __always_inline void reclaim_begin(__u8 kind)
{
	struct mem_task *s;

	if (!counting || !ks_wanted())
		return;
	s = task_slot(true);
	if (!s)
		return;
	s->reclaim_start = bpf_ktime_get_ns();
	s->reclaim = kind;
}

static __always_inline void reclaim_end(__u8 kind)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct reclaim_sum *r, one = { 1, 0 };
	struct mem_stat *st;
	struct mem_task *s;
	__u64 d, slot;
	__u32 tgid;

	if (!counting)
		return;
	s = task_slot(false);
	if (!s || !s->reclaim_start || s->reclaim != kind)
		return;
	d = bpf_ktime_get_ns() - s->reclaim_start;
	s->reclaim_start = 0;
	st = stat_of(owner_of(t));
	if (st) {
		if (kind == 1) {
			st->direct_reclaims++;
			st->direct_reclaim_ns += d;
		} else {
			st->memcg_reclaims++;
			st->memcg_reclaim_ns += d;
		}
		if (want_hist) {
			slot = ks_log2_slot(d / 1000);
			barrier_var(slot);
			st->reclaim_log2[slot & (KS_LOG2_SLOTS - 1)]++;
		}
	}
	tgid = bpf_get_current_pid_tgid() >> 32;
	r = bpf_map_lookup_elem(&proc_reclaim, &tgid);
	if (r) {
		__sync_fetch_and_add(&r->count, 1);
		__sync_fetch_and_add(&r->ns, d);
	} else {
		one.ns = d;
		bpf_map_update_elem(&proc_reclaim, &tgid, &one, BPF_NOEXIST);
	}
}

#define RECLAIM_PROGS(name, tp, kind, fn)						\
	SEC("tp_btf/" #tp)								\
	int BPF_PROG(mem_##name##_btf) { fn(kind); return 0; }			\
	SEC("raw_tp/" #tp)								\
	int BPF_PROG(mem_##name##_raw) { fn(kind); return 0; }			\
	SEC("tracepoint/vmscan/" #tp)							\
	int mem_##name##_tp(void *ctx) { fn(kind); return 0; }

RECLAIM_PROGS(direct_begin, mm_vmscan_direct_reclaim_begin, 1, reclaim_begin)
RECLAIM_PROGS(direct_end, mm_vmscan_direct_reclaim_end, 1, reclaim_end)
RECLAIM_PROGS(memcg_begin, mm_vmscan_memcg_reclaim_begin, 2, reclaim_begin)
RECLAIM_PROGS(memcg_end, mm_vmscan_memcg_reclaim_end, 2, reclaim_end)

/* ---- OOM kills ----------------------------------------------------------------------- */

/* page_counter::track_failcnt (6.15 or so): failcnt is kept only where set (v1) */
struct page_counter___tf {
	bool track_failcnt;
} __attribute__((preserve_access_index));

/* The record of oom:mark_victim since 6.8 or so (pid alone before) */
struct trace_event_raw_mark_victim___new {
	int pid;
	__u32 __data_loc_comm;
	unsigned long total_vm, anon_rss, file_rss, shmem_rss;
	uid_t uid;
	short oom_score_adj;
} __attribute__((preserve_access_index));

/* The memcg's cgroup's directory names, leaf first, up to the root */
static __always_inline void cg_path(struct mem_cgroup *m, struct mem_cg_path *p)
{
	struct cgroup *cg = m ? BPF_CORE_READ(m, css.cgroup) : NULL;

	for (int i = 0; i < MEM_MEMCG_LEVELS && cg; i++) {
		const char *name = BPF_CORE_READ(cg, kn, name);

		if (name)
			bpf_probe_read_kernel_str(p->name[i], MEM_CG_NAME, name);
		/* self is a cgroup's first member: its parent css is the parent cgroup */
		cg = (struct cgroup *)BPF_CORE_READ(cg, self.parent);
	}
}

/*
 * The memory cgroup whose limit the OOM hit: the first, from the
 * triggering task's memcg up, whose usage is within a huge page of its
 * limit (the charge that failed did not fit). None: a global OOM.
 */
static __always_inline void oom_memcg(struct mem_oom_event *e, struct task_struct *cur)
{
	struct mem_cgroup *m = task_memcg(cur);

	for (int i = 0; i < MEM_MEMCG_LEVELS && m; i++) {
		__u64 usage = BPF_CORE_READ(m, memory.usage.counter);
		__u64 max = BPF_CORE_READ(m, memory.max);

		if (max < (1ull << 50) && usage + 512 >= max) {
			e->flags |= MEM_OOM_MEMCG;
			e->memcg_id = memcg_id(m);
			e->limit_pages = max;
			e->usage_pages = usage;
			e->failcnt = BPF_CORE_READ(m, memory.failcnt);
			cg_path(m, &e->memcg_path);
			if (!bpf_core_field_exists(((struct page_counter___tf *)0)->track_failcnt) ||
			    BPF_CORE_READ((struct page_counter___tf *)&m->memory, track_failcnt))
				e->flags |= MEM_OOM_FAILCNT;
			return;
		}
		m = (struct mem_cgroup *)BPF_CORE_READ(m, css.parent);
	}
}

static __always_inline void victim_from_task(struct mem_oom_event *e, struct task_struct *v)
{
	struct mm_struct *mm = BPF_CORE_READ(v, mm);

	e->flags |= MEM_OOM_VICTIM_TASK;
	e->victim_pid = BPF_CORE_READ(v, tgid);
	e->victim_tid = BPF_CORE_READ(v, pid);
	e->victim_uid = BPF_CORE_READ(v, cred, uid.val);
	e->oom_score_adj = BPF_CORE_READ(v, signal, oom_score_adj);
	e->victim_memcg_id = memcg_id(task_memcg(v));
	cg_path(task_memcg(v), &e->victim_memcg_path);
	BPF_CORE_READ_STR_INTO(&e->victim_comm, v, comm);
	if (mm) {
		mm_rss(mm, e->rss_pages);
		e->total_vm_pages = BPF_CORE_READ(mm, total_vm);
	}
}

/*
 * victim: the task, where the tracepoint gives it (6.8+); else NULL and
 * pid its thread id: the victim's fields are then the current task's when
 * it is the victim (the usual memcg OOM: the task over the limit is the
 * biggest in its cgroup), else only its pid.
 */
static __always_inline void on_oom(struct task_struct *victim, __u32 pid, void *tp_ctx)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	struct mem_oom_event *e;
	struct reclaim_sum *r;
	struct mem_stat *st;
	__u32 tgid;

	if (!counting)
		return;
	if (!victim && (__u32)bpf_get_current_pid_tgid() == pid)
		victim = cur;
	/* a victim's row counts the kill: filtered by the victim, as its row is */
	if (victim && !ks_task_wanted(victim))
		return;
	st = stat_of(victim ? owner_of(victim) : by == MEM_BY_CGROUP ? 0 : pid);
	if (st)
		st->oom_kills++;
	e = ks_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	ks_fill_hdr(&e->hdr, MEM_EV_OOM);
	e->victim_pid = e->victim_tid = pid;
	if (victim) {
		victim_from_task(e, victim);
	} else if (tp_ctx && bpf_core_field_exists(((struct trace_event_raw_mark_victim___new *)0)->total_vm)) {
		struct trace_event_raw_mark_victim___new *c = tp_ctx;
		__u32 loc = BPF_CORE_READ(c, __data_loc_comm);

		/* the record's sizes are in kB; a page is 1 << page_shift bytes */
		e->rss_pages[MEM_RSS_ANON] = BPF_CORE_READ(c, anon_rss) >> (ks_cfg.page_shift - 10);
		e->rss_pages[MEM_RSS_FILE] = BPF_CORE_READ(c, file_rss) >> (ks_cfg.page_shift - 10);
		e->rss_pages[MEM_RSS_SHMEM] = BPF_CORE_READ(c, shmem_rss) >> (ks_cfg.page_shift - 10);
		e->total_vm_pages = BPF_CORE_READ(c, total_vm);
		e->victim_uid = BPF_CORE_READ(c, uid);
		e->oom_score_adj = BPF_CORE_READ(c, oom_score_adj);
		bpf_probe_read_kernel_str(e->victim_comm, sizeof(e->victim_comm),
					  (void *)c + (loc & 0xffff));
	}
	oom_memcg(e, cur);
	tgid = bpf_get_current_pid_tgid() >> 32;
	r = bpf_map_lookup_elem(&proc_reclaim, &tgid);
	if (r) {
		e->reclaims = r->count;
		e->reclaim_ns = r->ns;
	}
	ks_submit(e);
}

/*
 * mark_victim's arguments are (task, uid) since 6.8 or so, where its record
 * shows the victim's fields, (pid) before: read as a number either way (so
 * that one program loads on both), a pointer only where it is one.
 */
static __always_inline void oom_args(__u64 arg0)
{
	if (bpf_core_field_exists(((struct trace_event_raw_mark_victim___new *)0)->total_vm)) {
		struct task_struct *t = (struct task_struct *)arg0;

		on_oom(t, BPF_CORE_READ(t, pid), NULL);
	} else {
		on_oom(NULL, (__u32)arg0, NULL);
	}
}

SEC("tp_btf/mark_victim")
int BPF_PROG(mem_oom_btf, __u64 arg0)
{
	oom_args(arg0);
	return 0;
}

SEC("raw_tp/mark_victim")
int BPF_PROG(mem_oom_raw, __u64 arg0)
{
	oom_args(arg0);
	return 0;
}

SEC("tracepoint/oom/mark_victim")
int mem_oom_tp(struct trace_event_raw_mark_victim *ctx)
{
	on_oom(NULL, ctx->pid, ctx);
	return 0;
}

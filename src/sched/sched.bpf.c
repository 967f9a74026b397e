// SPDX-License-Identifier: GPL-2.0
/*
 * kscope sched: CPU time, context switches and run-queue latency per task
 * and per CPU, aggregated in maps; optionally the raw switch and wakeup
 * stream (--events, --timeline).
 *
 * sched_switch fires hundreds of thousands of times a second, so its
 * handler does no string copy and touches one entry per task (prev, next)
 * and one per CPU. A task's comm is copied once, when its entry is made.
 */
#include "../engine/kscope.bpf.h"
#include "sched.h"

const volatile __u8 hist_by = SCHED_HIST_OFF;
const volatile __u8 emit_switch;
const volatile __u8 emit_wakeup;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCHED_MAX_TASKS);
	__type(key, __u32);
	__type(value, struct sched_task_stat);
} task_stats SEC(".maps");

/* Never written: the all-zero value new task entries start from */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sched_task_stat);
} task_zero SEC(".maps");

/* Index: CPU number; userspace sizes it to the possible CPUs */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sched_cpu_stat);
} cpu_stats SEC(".maps");

/* cpu_snapshot's copies, same index */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sched_cpu_snap);
} cpu_snaps SEC(".maps");

/* --hist: key 0 (all), a process id, or a cgroup id */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCHED_MAX_HIST_KEYS);
	__type(key, __u64);
	__type(value, struct sched_log2);
} runq_log2 SEC(".maps");

/* ---- per-task entries ------------------------------------------------------ */

static __always_inline struct sched_task_stat *
new_task_stat(__u32 tid, struct task_struct *task)
{
	struct sched_task_stat *st;
	__u32 zero = 0;
	void *init = bpf_map_lookup_elem(&task_zero, &zero);

	if (!init)
		return NULL;
	if (bpf_map_update_elem(&task_stats, &tid, init, BPF_ANY)) {
		ks_lost_inc(KS_LOST_MAPFULL);
		return NULL;
	}
	st = bpf_map_lookup_elem(&task_stats, &tid);
	if (!st)
		return NULL;
	st->tid = tid;
	st->pid = BPF_CORE_READ(task, tgid);
	st->start_ns = BPF_CORE_READ(task, start_time);
	st->rt_base = BPF_CORE_READ(task, se.sum_exec_runtime);
	st->rt_last = st->rt_base;
	st->cgroup_id = ks_task_cgroup_id(task);
	st->uid = BPF_CORE_READ(task, real_cred, uid.val);
	BPF_CORE_READ_STR_INTO(&st->comm, task, comm);
	return st;
}

/*
 * The entry of a task, made on first sight if the task passes the filters.
 * task may be NULL (plain tracepoints give only a tid): then only an
 * existing entry is returned. is_current: the filters can use the cheaper
 * current-task helpers.
 */
static __always_inline struct sched_task_stat *
task_stat(__u32 tid, struct task_struct *task, bool is_current)
{
	struct sched_task_stat *st = bpf_map_lookup_elem(&task_stats, &tid);

	if (st || !task)
		return st;
	if (!(is_current ? ks_wanted() : ks_task_wanted(task)))
		return NULL;
	return new_task_stat(tid, task);
}

static __always_inline void runq_record(struct sched_task_stat *st, struct sched_cpu_stat *cs,
					__u64 lat, struct task_struct *next)
{
	__u32 slot = ks_ll_slot(lat);

	st->runq_count++;
	st->runq_total_ns += lat;
	if (lat > st->runq_max_ns)
		st->runq_max_ns = lat;
	if (slot < KS_LL_SLOTS)
		st->runq_hist[slot]++;
	if (cs) {
		cs->runq_count++;
		cs->runq_total_ns += lat;
		if (lat > cs->runq_max_ns)
			cs->runq_max_ns = lat;
		if (slot < KS_LL_SLOTS)
			cs->runq_hist[slot]++;
	}
	if (hist_by != SCHED_HIST_OFF) {
		struct sched_log2 *h, zero = {};
		__u64 key = 0;

		if (hist_by == SCHED_HIST_PROCESS)
			key = st->pid;
		else if (hist_by == SCHED_HIST_CGROUP)
			key = next ? BPF_CORE_READ(next, cgroups, dfl_cgrp, kn, id) : 0;
		h = bpf_map_lookup_elem(&runq_log2, &key);
		if (!h) {
			if (bpf_map_update_elem(&runq_log2, &key, &zero, BPF_NOEXIST) &&
			    !bpf_map_lookup_elem(&runq_log2, &key)) {
				ks_lost_inc(KS_LOST_MAPFULL);
				return;
			}
			h = bpf_map_lookup_elem(&runq_log2, &key);
			if (!h)
				return;
		}
		/* already clamped; the mask is for the verifier, the barrier keeps clang
		 * from dropping it as redundant (KS_LOG2_SLOTS is a power of two) */
		slot = ks_log2_slot(lat / 1000);
		barrier_var(slot);
		slot &= KS_LOG2_SLOTS - 1;
		__sync_fetch_and_add(&h->slots[slot], 1);
	}
}

/* ---- sched_switch ------------------------------------------------------------ */

/*
 * tp_btf hands us BTF-typed task pointers, which can be read with plain
 * loads; the other hooks need bpf_probe_read_kernel(). `btf` is a constant
 * after inlining, so each program keeps only its own branch.
 */
#define TASK_READ(btf, task, field) ((btf) ? (task)->field : BPF_CORE_READ(task, field))

/*
 * The state the sched_switch tracepoint reports, from the raw prev_state
 * the BTF hooks get (kernel's __trace_sched_switch_state()).
 */
static __always_inline __u32 state_report(bool btf, bool preempt, __u32 raw,
					  struct task_struct *prev)
{
	__u32 s;

	if (preempt)
		return SCHED_STATE_PREEMPTED;
	if ((raw & 0x402) == 0x402)		/* TASK_IDLE */
		return 0x80;			/* TASK_REPORT_IDLE */
	if (raw & 0x1000)			/* TASK_RTLOCK_WAIT */
		raw = 0x2;			/* TASK_UNINTERRUPTIBLE */
	s = raw & 0x7f;				/* TASK_REPORT */
	if (!s && raw)				/* TASK_DEAD: zombie or dead */
		s = TASK_READ(btf, prev, exit_state) & 0x7f;
	return s ? 1u << ks_log2_u64(s) : 0;
}

static __always_inline void emit_switch_event(__u32 state, __u32 next_pid, __u32 next_tid,
					      const char *next_comm, __s32 prev_prio,
					      __s32 next_prio, __u16 flags)
{
	struct sched_switch_event *e = ks_reserve(sizeof(*e));

	if (!e)
		return;
	ks_fill_hdr(&e->hdr, SCHED_EV_SWITCH);
	e->hdr.flags = flags;
	e->next_pid = next_pid;
	e->next_tid = next_tid;
	bpf_probe_read_kernel_str(e->next_comm, sizeof(e->next_comm), next_comm);
	e->prev_state = state;
	e->prev_prio = prev_prio;
	e->next_prio = next_prio;
	e->pad = 0;
	ks_submit(e);
}

/*
 * One switch on this CPU from current (prev) to next. next may be NULL
 * (plain tracepoint): then only a task already known is accounted.
 */
static __always_inline void on_switch(bool btf, struct task_struct *prev, __u32 state,
				      __u32 next_tid, struct task_struct *next,
				      const char *next_comm, __s32 prev_prio, __s32 next_prio)
{
	__u32 prev_tid = TASK_READ(btf, prev, pid);
	__u32 cpu = bpf_get_smp_processor_id();
	struct sched_task_stat *ps = NULL, *ns = NULL;
	struct sched_cpu_stat *cs;
	__u64 now = bpf_ktime_get_ns(), prev_ran = 0;
	__u16 flags = 0;

	cs = bpf_map_lookup_elem(&cpu_stats, &cpu);

	if (prev_tid) {
		ps = task_stat(prev_tid, prev, true);
		if (ps) {
			__u64 rt = TASK_READ(btf, prev, se.sum_exec_runtime);

			/* its CPU time since we last saw it stop or start: the kernel's own */
			if (rt > ps->rt_last)
				prev_ran = rt - ps->rt_last;
			ps->rt_last = rt;
			if (state == SCHED_STATE_RUNNING || state == SCHED_STATE_PREEMPTED) {
				ps->involuntary++;
				ps->enq_ns = now;	/* back on the run queue */
			} else {
				ps->voluntary++;
			}
			/*
			 * prev is current here: its cgroup is one helper call, on
			 * every hook path, into an entry written anyway. Taken at
			 * each switch-out, it is the cgroup its latest CPU time
			 * ran in (a thread that moves counts in its latest one).
			 */
			ps->cgroup_id = ks_current_cgroup_id();
			/* and its user, which a setuid() since first sight changed */
			ps->uid = (__u32)bpf_get_current_uid_gid();
			/* last: userspace reads an exited task off its CPU as final */
			ps->on_cpu = 0;
			flags |= SCHED_F_PREV_SELECTED;
		}
	}
	if (next_tid) {
		ns = task_stat(next_tid, next, false);
		if (ns) {
			/*
			 * The runtime of a task that is not running is final:
			 * refreshing it here keeps CPU time right even if its
			 * last switch-out was never reported (seen on some VMs).
			 */
			if (next)
				ns->rt_last = TASK_READ(btf, next, se.sum_exec_runtime);
			ns->switches++;
			if (ns->enq_ns) {
				runq_record(ns, cs, now - ns->enq_ns, next);
				ns->enq_ns = 0;
			}
			ns->last_in_ns = now;
			ns->last_cpu = cpu;
			ns->on_cpu = 1;
			if (cpu < 64 * SCHED_CPU_WORDS)
				ns->cpus[(cpu / 64) & (SCHED_CPU_WORDS - 1)] |= 1ull << (cpu % 64);
			flags |= SCHED_F_NEXT_SELECTED;
		}
	}
	if (cs) {
		__u64 delta = cs->last_ts ? now - cs->last_ts : 0;
		__u8 counted = cs->cur;

		/*
		 * The task leaving is not the one we saw arrive: the kernel
		 * switched without a sched_switch event (some kernels do, for
		 * some tasks). The one we saw arrive left unseen: its switch-out
		 * is not counted and it is not on this CPU any more; prev's
		 * switch-in was not seen either. Who ran in between is unknown.
		 */
		if (cs->last_ts && cs->cur_tid != prev_tid) {
			cs->missed++;
			if (cs->cur == SCHED_CUR_SELECTED) {
				__u32 gone_tid = cs->cur_tid;
				struct sched_task_stat *gone = bpf_map_lookup_elem(&task_stats,
										   &gone_tid);

				if (gone) {
					gone->unreported++;
					gone->on_cpu = 0;
				}
			}
			counted = SCHED_CUR_UNKNOWN;
			if (ps) {
				/*
				 * prev ran unseen until now: as long as its runtime
				 * grew, which the kernel counted, is prev's (busy).
				 */
				__u64 known = prev_ran < delta ? prev_ran : delta;

				ps->unreported++;
				cs->busy_ns += known;
				delta -= known;
			}
			cs->unknown_ns += delta;
		}
		cs->cur_tid = next_tid;
		if (counted == SCHED_CUR_IDLE)
			cs->idle_ns += delta;
		else if (counted == SCHED_CUR_SELECTED)
			cs->busy_ns += delta;
		cs->last_ts = now;
		cs->prev = counted;
		cs->cur = !next_tid ? SCHED_CUR_IDLE : ns ? SCHED_CUR_SELECTED : SCHED_CUR_OTHER;
		if (ns)
			cs->switches++;
	}
	if (emit_switch && flags)
		emit_switch_event(state, next ? TASK_READ(btf, next, tgid) : ns ? ns->pid : 0,
				  next_tid, next_comm, prev_prio, next_prio, flags);
}

/* prev_state is an argument of the BTF hooks since 5.18 (fa2c3254d7cf);
 * on older kernels these fail to load or attach and the tracepoint is used. */
SEC("tp_btf/sched_switch")
int BPF_PROG(handle_switch_btf, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	on_switch(true, prev, state_report(true, preempt, prev_state, prev), next->pid, next,
		  next->comm, prev->prio, next->prio);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(handle_switch_raw, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	on_switch(false, prev, state_report(false, preempt, prev_state, prev),
		  BPF_CORE_READ(next, pid), next, __builtin_preserve_access_index(&next->comm[0]),
		  BPF_CORE_READ(prev, prio), BPF_CORE_READ(next, prio));
	return 0;
}

SEC("tracepoint/sched/sched_switch")
int handle_switch_tp(struct trace_event_raw_sched_switch *ctx)
{
	on_switch(false, (struct task_struct *)bpf_get_current_task(), ctx->prev_state,
		  ctx->next_pid, NULL, ctx->next_comm, ctx->prev_prio, ctx->next_prio);
	return 0;
}

/* ---- wakeups -------------------------------------------------------------- */

/* task: NULL on the plain tracepoint, which gives tid and target CPU instead */
static __always_inline void on_wakeup(bool btf, __u32 tid, struct task_struct *task,
				      bool new_task, __s32 tp_target_cpu)
{
	struct sched_task_stat *st;
	struct sched_wakeup_event *e;

	if (new_task && task) {
		/* a new task with a recycled tid must not inherit an old entry */
		st = bpf_map_lookup_elem(&task_stats, &tid);
		if (st && st->start_ns != TASK_READ(btf, task, start_time))
			bpf_map_delete_elem(&task_stats, &tid);
	}
	st = task_stat(tid, task, false);
	if (!st)
		return;
	st->enq_ns = bpf_ktime_get_ns();
	if (!emit_wakeup)
		return;
	e = ks_reserve(sizeof(*e));
	if (!e)
		return;
	ks_fill_hdr(&e->hdr, SCHED_EV_WAKEUP);
	e->pid = st->pid;
	e->tid = tid;
	__builtin_memcpy(e->comm, st->comm, sizeof(e->comm));
	e->target_cpu = task ? TASK_READ(btf, task, wake_cpu) : tp_target_cpu;
	e->new_task = new_task;
	ks_submit(e);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(handle_wakeup_btf, struct task_struct *p)
{
	on_wakeup(true, p->pid, p, false, 0);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(handle_wakeup_raw, struct task_struct *p)
{
	on_wakeup(false, BPF_CORE_READ(p, pid), p, false, 0);
	return 0;
}

SEC("tracepoint/sched/sched_wakeup")
int handle_wakeup_tp(struct trace_event_raw_sched_wakeup_template *ctx)
{
	on_wakeup(false, ctx->pid, NULL, false, ctx->target_cpu);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(handle_wakeup_new_btf, struct task_struct *p)
{
	on_wakeup(true, p->pid, p, true, 0);
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(handle_wakeup_new_raw, struct task_struct *p)
{
	on_wakeup(false, BPF_CORE_READ(p, pid), p, true, 0);
	return 0;
}

SEC("tracepoint/sched/sched_wakeup_new")
int handle_wakeup_new_tp(struct trace_event_raw_sched_wakeup_template *ctx)
{
	on_wakeup(false, ctx->pid, NULL, true, ctx->target_cpu);
	return 0;
}

/* ---- exit and exec: rare, keep entries right --------------------------- */

static __always_inline void on_exit(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sched_task_stat *st = bpf_map_lookup_elem(&task_stats, &tid);

	if (st)
		st->exited = 1;	/* userspace drops it after its last switch-out */
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit_btf)
{
	on_exit();
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(handle_exit_raw)
{
	on_exit();
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int handle_exit_tp(void *ctx)
{
	on_exit();
	return 0;
}

static __always_inline void on_exec(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sched_task_stat *st = bpf_map_lookup_elem(&task_stats, &tid);

	if (st)
		bpf_get_current_comm(st->comm, sizeof(st->comm));
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec_btf)
{
	on_exec();
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(handle_exec_raw)
{
	on_exec();
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int handle_exec_tp(void *ctx)
{
	on_exec();
	return 0;
}

/* ---- consistent per-CPU reads ---------------------------------------------- */

/*
 * Never attached: userspace runs it on each CPU in turn (BPF_PROG_TEST_RUN,
 * BPF_F_TEST_RUN_ON_CPU, Linux 5.10+). There it runs between two switches,
 * so the copy is whole; a read from another CPU could see a switch's
 * updates half done (weakly ordered CPUs do), and count a slice twice.
 */
SEC("raw_tp")
int cpu_snapshot(void *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct sched_cpu_stat *cs = bpf_map_lookup_elem(&cpu_stats, &cpu);
	struct sched_cpu_snap *sn = bpf_map_lookup_elem(&cpu_snaps, &cpu);

	if (!cs || !sn)
		return 0;
	sn->ts = bpf_ktime_get_ns();
	__builtin_memcpy(&sn->stat, cs, sizeof(*cs));
	return 0;
}

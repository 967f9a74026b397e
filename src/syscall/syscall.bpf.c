// SPDX-License-Identifier: GPL-2.0
/*
 * kscope syscall: count, time and classify the syscalls of the selected
 * tasks in maps; optionally stream each call (--events).
 *
 * sys_enter/sys_exit fire for every syscall on the machine, so the
 * handlers are as small as they can be: the filters first (rodata, so a
 * disabled filter is compiled out by the verifier), then one task-local
 * slot for the call in flight and one per-CPU array slot per call. Errors
 * touch a hash map, and only when a call fails.
 */
#include "../engine/kscope.bpf.h"
#include "syscall.h"

const volatile __u8 filter_nr;          /* -e: only the syscalls in nr_mask */
const volatile __u8 errors_only;        /* --errors */
const volatile __u8 by = SYS_BY_SYSCALL; /* --by: rows per syscall, process or cgroup */
const volatile __u8 want_hist;          /* --hist */
const volatile __u8 emit_events;        /* --events */
const volatile __u8 count_only;         /* --count-only: sys_exit alone, no latency */
const volatile __u64 nr_mask[SYS_MASK_WORDS];

/* The period: 0 until userspace starts counting, then moved on at every
 * report, so that max_ns is per period */
volatile __u32 period;

/* The call in flight per task (task storage, or an LRU hash by tid) */
KS_TASK_SLOTS(inflight, struct sys_inflight);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SYS_SLOTS);
	__type(key, __u32);
	__type(value, struct sys_stat);
} sys_stats SEC(".maps");

/* --by process or cgroup; userspace sizes it to 1 otherwise */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SYS_MAX_OWNER_KEYS);
	__type(key, struct sys_owner_key);
	__type(value, struct sys_stat);
} owner_stats SEC(".maps");

/* --by process: the process's comm, as it was when first counted */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYS_MAX_OWNER_KEYS);
	__type(key, __u32);
	__type(value, char[KS_COMM_LEN]);
} proc_comm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SYS_MAX_ERR_KEYS);
	__type(key, struct sys_err_key);
	__type(value, __u64);
} err_stats SEC(".maps");

/* --hist: log2 of the latency in microseconds, per syscall; else 1 entry */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SYS_SLOTS);
	__type(key, __u32);
	__type(value, __u32[KS_LOG2_SLOTS]);
} sys_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SYS_SKIP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} skipped SEC(".maps");

static __always_inline void skip_inc(__u32 kind)
{
	ks_percpu_inc(&skipped, kind);
}

/*
 * A number past the table (rare): said so for the traced tasks only. A 32-bit
 * task's calls there are compat calls like its others (arm64: ARM's private
 * calls from 0xf0000, set_tls in every program's start-up); x86's x32 calls
 * (bit 30 set) are not compat, and stay out of range.
 */
static __always_inline void skip_out_of_range(void)
{
	if (!ks_wanted())
		return;
	skip_inc(ks_cfg.task_storage && ks_task_is_compat(bpf_get_current_task_btf()) ?
		 SYS_SKIP_COMPAT : SYS_SKIP_RANGE);
}

static __always_inline struct sys_inflight *slot(bool create)
{
	struct sys_inflight zero = {};

	return ks_task_slot(&inflight, create, &zero);
}

static __always_inline int on_enter(long id, struct pt_regs *regs, const unsigned long *tp_args)
{
	struct sys_inflight *s;
	__u32 nr = id;

	if (id < 0)
		return 0;
	if (nr >= SYS_SLOTS) {
		skip_out_of_range();
		return 0;
	}
	barrier_var(nr);	/* keep the masks below: they are for the verifier */
	if (filter_nr && !(nr_mask[(nr / 64) & (SYS_MASK_WORDS - 1)] & (1ull << (nr % 64))))
		return 0;
	if (!ks_wanted())
		return 0;
	if (ks_cfg.task_storage && ks_task_is_compat(bpf_get_current_task_btf())) {
		skip_inc(SYS_SKIP_COMPAT);
		return 0;
	}
	s = slot(true);
	if (!s)
		return 0;
	if (s->ts_ns)
		ks_missed_exit(s->ts_ns);
	s->nr = nr;
	if (emit_events) {
		if (tp_args) {
			for (int i = 0; i < SYS_NARGS; i++)
				s->args[i] = tp_args[i];
		} else {
			s->args[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
			s->args[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
			s->args[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
			s->args[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
			s->args[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
#if defined(__TARGET_ARCH_x86)
			s->args[5] = BPF_CORE_READ(regs, r9);
#elif defined(__TARGET_ARCH_arm64)
			s->args[5] = BPF_CORE_READ((struct user_pt_regs *)regs, regs[5]);
#endif
		}
	}
	s->ts_ns = bpf_ktime_get_ns();	/* last: the call starts now */
	return 0;
}

static __always_inline void stat_add(struct sys_stat *st, __u64 lat, __u32 p)
{
	st->count++;
	st->total_ns += lat;
	__u32 i = p & 1;

	if (st->max_period[i] != p) {
		st->max_period[i] = p;
		st->max_ns[i] = lat;
	} else if (lat > st->max_ns[i]) {
		st->max_ns[i] = lat;
	}
}

/* Whose row a call of the current task is in: --by process or cgroup */
static __always_inline __u64 current_owner(void)
{
	if (by == SYS_BY_CGROUP)
		return ks_current_cgroup_id();
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline void count_owner(__u64 owner, __u32 nr, __u64 lat, __u32 p)
{
	struct sys_owner_key k = { .owner = owner, .nr = nr };
	struct sys_stat *st = bpf_map_lookup_elem(&owner_stats, &k);

	if (!st) {
		struct sys_stat zero = {};

		st = ks_map_get(&owner_stats, &k, &zero);
		if (!st)
			return;
		if (by == SYS_BY_PROCESS) {
			/* zeroed: the helper does not pad before 6.3-ish */
			char comm[KS_COMM_LEN] = {};
			__u32 pid = owner;

			/* the latest name: a new (process, syscall) pair comes soon after exec */
			bpf_get_current_comm(comm, sizeof(comm));
			bpf_map_update_elem(&proc_comm, &pid, comm, BPF_ANY);
		}
	}
	stat_add(st, lat, p);
}

static __always_inline void count_errno(__u64 owner, __u32 nr, __u16 err)
{
	struct sys_err_key k = { .owner = owner, .nr = nr, .err = err };
	__u64 *n = bpf_map_lookup_elem(&err_stats, &k), one = 1;

	if (n) {
		*n += 1;
		return;
	}
	if (bpf_map_update_elem(&err_stats, &k, &one, BPF_NOEXIST)) {
		n = bpf_map_lookup_elem(&err_stats, &k);
		if (n)
			*n += 1;
		else
			ks_lost_inc(KS_LOST_MAPFULL);
	}
}

static __always_inline void emit(struct sys_inflight *s, __u64 now, long ret)
{
	struct sys_event *e = ks_reserve(sizeof(*e));

	if (!e)
		return;
	ks_fill_hdr(&e->hdr, SYS_EV_CALL);
	e->hdr.ts_ns = now;
	e->enter_ns = s->ts_ns;
	e->ret = ret;
	e->nr = s->nr;
	e->pad = 0;
	for (int i = 0; i < SYS_NARGS; i++)
		e->args[i] = s->args[i];
	ks_submit(e);
}

static __always_inline int on_exit(long ret)
{
	struct sys_inflight *s = slot(false);
	bool err = ret < 0 && ret >= -4095;
	__u64 now, lat, enter, owner = 0;
	__u32 nr, p;

	if (!s || !s->ts_ns)
		return 0;
	enter = s->ts_ns;
	s->ts_ns = 0;
	p = period;
	if (!p || (errors_only && !err))
		return 0;	/* period 0: userspace has not started yet */
	now = bpf_ktime_get_ns();
	lat = now - enter;
	nr = s->nr & (SYS_SLOTS - 1);
	if (by != SYS_BY_SYSCALL) {
		owner = current_owner();
		count_owner(owner, nr, lat, p);
	} else {
		struct sys_stat *st = bpf_map_lookup_elem(&sys_stats, &nr);

		if (st)
			stat_add(st, lat, p);
	}
	/* after the count: userspace reads errnos first, then counts, so the
	 * errors it sees (the sum of the errnos) never exceed the calls */
	if (err)
		count_errno(owner, nr, -ret);
	if (want_hist) {
		__u32 *h = bpf_map_lookup_elem(&sys_hist, &nr);

		if (h) {
			__u32 b = ks_log2_slot(lat / 1000);

			barrier_var(b);		/* keep the mask: it is for the verifier */
			h[b & (KS_LOG2_SLOTS - 1)]++;
		}
	}
	if (emit_events) {
		s->ts_ns = enter;	/* for emit(); cleared again below */
		emit(s, now, ret);
		s->ts_ns = 0;
	}
	return 0;
}

/*
 * --count-only: one program per call, at exit, with the number from the
 * registers: counts and errors, no latency (no state per call in flight).
 */
static __always_inline int on_exit_count(long id, long ret)
{
	bool err = ret < 0 && ret >= -4095;
	__u32 nr = id, p = period;
	__u64 owner = 0;

	if (id < 0 || !p)
		return 0;
	if (nr >= SYS_SLOTS) {
		skip_out_of_range();
		return 0;
	}
	barrier_var(nr);
	if (filter_nr && !(nr_mask[(nr / 64) & (SYS_MASK_WORDS - 1)] & (1ull << (nr % 64))))
		return 0;
	if ((errors_only && !err) || !ks_wanted())
		return 0;
	if (ks_cfg.task_storage && ks_task_is_compat(bpf_get_current_task_btf())) {
		skip_inc(SYS_SKIP_COMPAT);
		return 0;
	}
	nr &= SYS_SLOTS - 1;
	if (by != SYS_BY_SYSCALL) {
		owner = current_owner();
		count_owner(owner, nr, 0, p);
	} else {
		struct sys_stat *st = bpf_map_lookup_elem(&sys_stats, &nr);

		if (st)
			st->count++;
	}
	if (err)
		count_errno(owner, nr, -ret);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs *regs, long id)
{
	return on_enter(id, regs, NULL);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, struct pt_regs *regs, long id)
{
	return on_enter(id, regs, NULL);
}

SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	unsigned long args[SYS_NARGS];

	/* the verifier wants constant offsets into ctx: copy, and only if needed */
	if (emit_events) {
		args[0] = ctx->args[0];
		args[1] = ctx->args[1];
		args[2] = ctx->args[2];
		args[3] = ctx->args[3];
		args[4] = ctx->args[4];
		args[5] = ctx->args[5];
	}
	return on_enter(ctx->id, NULL, args);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	if (count_only)
		return on_exit_count(KS_REGS_SYSCALL_NR(regs), ret);
	return on_exit(ret);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, struct pt_regs *regs, long ret)
{
	if (count_only)
		return on_exit_count(KS_REGS_SYSCALL_NR(regs), ret);
	return on_exit(ret);
}

SEC("tracepoint/raw_syscalls/sys_exit")
int sys_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	if (count_only)
		return on_exit_count(ctx->id, ctx->ret);
	return on_exit(ctx->ret);
}

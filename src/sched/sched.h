/* SPDX-License-Identifier: GPL-2.0 */
/* kscope sched: maps and events shared by sched.bpf.c and sched.c */
#ifndef KSCOPE_SCHED_H
#define KSCOPE_SCHED_H

#include "../engine/events.h"
#include "../engine/hist.h"

#define SCHED_MAX_TASKS 8192
#define SCHED_CPU_WORDS 4            /* "cpus" records CPUs 0..255 */
#define SCHED_MAX_HIST_KEYS 4096

/* Scheduler states as the sched_switch tracepoint reports them */
#define SCHED_STATE_RUNNING   0x000
#define SCHED_STATE_PREEMPTED 0x100  /* TASK_REPORT_MAX: "R+" */

/*
 * Per task (key: tid), cumulative since the task was first seen. CPU time
 * is the kernel's own se.sum_exec_runtime, read when the task leaves a CPU.
 */
struct sched_task_stat {
	__u64 rt_base;        /* se.sum_exec_runtime when first seen */
	__u64 rt_last;        /* ... at its last switch-out */
	__u64 last_in_ns;     /* when it last went on a CPU (ktime) */
	__u64 enq_ns;         /* when it became runnable; 0 when not waiting */
	__u64 switches;       /* times switched in */
	__u64 voluntary;      /* switched out because it blocked */
	__u64 involuntary;    /* switched out while runnable (preempted) */
	__u64 runq_count;
	__u64 runq_total_ns;
	__u64 runq_max_ns;
	__u64 start_ns;       /* task->start_time: a reused tid is a new task */
	__u64 cpus[SCHED_CPU_WORDS];
	__u64 unreported;     /* its switches in or out the kernel did not report */
	__u64 cgroup_id;      /* its cgroup (ks_task_cgroup_id) at its last switch-out */
	__u32 pid, tid;
	__u32 last_cpu;
	__u32 uid;            /* its real uid (global) at its last switch-out */
	__u8 on_cpu;
	__u8 exited;          /* sched_process_exit seen: removed once read */
	__u8 pad[2];
	char comm[KS_COMM_LEN];
	__u32 runq_hist[KS_LL_SLOTS];   /* run-queue latency, ns, log-linear */
};

/*
 * Per CPU (array index: cpu). Its time is split by what ran: a selected
 * task (busy), the idle task, another task (not counted), or, after a
 * switch the kernel did not report, nobody knows what (unknown_ns).
 */
struct sched_cpu_stat {
	__u64 busy_ns;        /* wall time a selected task was on this CPU */
	__u64 idle_ns;        /* wall time the idle task was on it */
	__u64 unknown_ns;     /* wall time after an unreported switch: owner unknown */
	__u64 last_ts;        /* last switch on this CPU (ktime) */
	__u64 switches;       /* switches to a selected task */
	__u64 runq_count;
	__u64 runq_total_ns;
	__u64 runq_max_ns;
	__u64 missed;         /* switches the kernel did not report (see sched.bpf.c) */
	__u32 cur_tid;        /* the task we saw go on this CPU last */
	__u8 cur;             /* what runs now: SCHED_CUR_* */
	__u8 prev;            /* what the slice that ended at last_ts was counted as */
	__u8 pad[2];
	__u32 runq_hist[KS_LL_SLOTS];
};

enum { SCHED_CUR_UNKNOWN = 0, SCHED_CUR_IDLE, SCHED_CUR_SELECTED, SCHED_CUR_OTHER };

/*
 * A CPU's counters copied on that CPU by cpu_snapshot (run by userspace
 * with BPF_PROG_TEST_RUN on each CPU in turn): no switch can be halfway
 * through updating them there, and stat.last_ts <= ts.
 */
struct sched_cpu_snap {
	__u64 ts;             /* ktime of the copy */
	struct sched_cpu_stat stat;
};

/* --hist keys */
enum { SCHED_HIST_OFF = 0, SCHED_HIST_ALL, SCHED_HIST_PROCESS, SCHED_HIST_CGROUP };

struct sched_log2 {
	__u32 slots[KS_LOG2_SLOTS];     /* run-queue latency in microseconds */
};

enum sched_event_type {
	SCHED_EV_SWITCH = 1,
	SCHED_EV_WAKEUP = 2,
};

/* ks_hdr.flags of a switch */
#define SCHED_F_PREV_SELECTED (1u << 0)
#define SCHED_F_NEXT_SELECTED (1u << 1)

/* The header describes prev (the task leaving the CPU: current) */
struct sched_switch_event {
	struct ks_hdr hdr;
	__u32 next_pid;       /* 0 if unknown (plain tracepoint, task not seen yet) */
	__u32 next_tid;
	char next_comm[KS_COMM_LEN];
	__u32 prev_state;     /* SCHED_STATE_* / report bits, as the tracepoint shows them */
	__s32 prev_prio;
	__s32 next_prio;
	__u32 pad;
};
_Static_assert(sizeof(struct sched_switch_event) == 96, "sched_switch_event layout");

/* The header describes the waker (current) */
struct sched_wakeup_event {
	struct ks_hdr hdr;
	__u32 pid;            /* the woken task */
	__u32 tid;
	char comm[KS_COMM_LEN];
	__s32 target_cpu;
	__u32 new_task;       /* sched_wakeup_new: first wakeup after fork */
};
_Static_assert(sizeof(struct sched_wakeup_event) == 88, "sched_wakeup_event layout");

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* kscope proc: events shared by proc.bpf.c and proc.c */
#ifndef KSCOPE_PROC_H
#define KSCOPE_PROC_H

#include "../engine/events.h"

enum proc_event_type {
	PROC_EV_FORK = 1,
	PROC_EV_EXEC = 2,
	PROC_EV_EXIT = 3,
};

/* ks_hdr.flags bits */
#define PROC_F_THREAD     (1u << 0)  /* fork: a thread was created; exit: task is not the leader */
#define PROC_F_GROUP_DEAD (1u << 1)  /* exit: last thread of the process */
#define PROC_F_MM         (1u << 2)  /* exit: task still had its mm: vm_bytes is known */
#define PROC_F_ARGS_FAULT (1u << 3)  /* exec: the argument block could not be read */

/* The header describes the parent (the task that forked). */
struct proc_fork_event {
	struct ks_hdr hdr;
	__u32 child_pid;
	__u32 child_tid;
};
_Static_assert(sizeof(struct proc_fork_event) == 64, "proc_fork_event layout");

/*
 * Limits on what an exec event carries. The filename is whole (the kernel
 * caps it at PATH_MAX); argv is the first PROC_ARGS_MAX bytes of the
 * process's NUL-separated argument block (mm->arg_start..arg_end). Both are
 * powers of two so the verifier can bound offsets by masking.
 */
#define PROC_FILENAME_MAX 4096
#define PROC_ARGS_MAX     4096
/* failed execs (-x) read argv from the caller's pointer array: at most this many */
#define PROC_FAIL_ARGC_MAX 64

struct proc_exec_event {
	struct ks_hdr hdr;
	__s32 ret;            /* 0, or -errno of a failed exec (-x) */
	__u32 old_tid;        /* tid before exec (differs when a thread execs) */
	__u32 args_total;     /* size of the whole argument block in bytes */
	__u16 filename_len;   /* bytes of filename, including its NUL */
	__u16 args_len;       /* bytes of the argument block after the filename */
	/* followed by the filename (filename_len bytes), then the arguments */
};
_Static_assert(sizeof(struct proc_exec_event) == 72, "proc_exec_event layout");

struct proc_exit_event {
	struct ks_hdr hdr;
	__u64 lifetime_ns;    /* now - task->start_time */
	__u64 cpu_ns;         /* task->se.sum_exec_runtime: this task's CPU time */
	__u64 max_rss_bytes;  /* peak RSS of the process (signal->maxrss, mm hiwater) */
	__u64 vm_bytes;       /* mm->total_vm in bytes (valid with PROC_F_MM) */
	__u32 exit_code;      /* raw task->exit_code: status << 8 | core 0x80 | signal */
	__s32 prio;
	__u32 state;          /* task->__state (task->state before 5.14) */
	__u32 pad;
};
_Static_assert(sizeof(struct proc_exit_event) == 104, "proc_exit_event layout");

/*
 * --summary: counts per command name, aggregated in the kernel (no record
 * per event). The kernel keeps them in a hash map keyed by the name (16
 * bytes, zero-padded), at most PROC_SUMMARY_MAX names; what a full map has
 * no entry for is counted in a one-entry array instead, shown as the name
 * PROC_OTHER_COMM: every event is counted once, and the sums stay exact.
 */
#define PROC_SUMMARY_MAX 10240
#define PROC_OTHER_COMM  "(other)"

/* The counters of one name, in struct proc_comm_stat.n[] */
enum proc_count {
	PROC_N_FORKS = 0,       /* processes forked (not threads), under the forking process's name */
	PROC_N_EXECS = 1,       /* execs that succeeded, under the new name */
	PROC_N_EXEC_FAILED = 2, /* -x: execs that failed, under the caller's name */
	PROC_N_EXIT_OK = 3,     /* processes that exited with code 0 ... */
	PROC_N_EXIT_ERROR = 4,  /* ... with another code ... */
	PROC_N_KILLED = 5,      /* ... or were terminated by a signal */
	PROC_N_MAX = 6,
};

struct proc_comm_key {
	char comm[KS_COMM_LEN];
};
_Static_assert(sizeof(struct proc_comm_key) == 16, "proc_comm_key layout");

struct proc_comm_stat {
	__u64 n[PROC_N_MAX];    /* enum proc_count; cumulative, never reset */
};
_Static_assert(sizeof(struct proc_comm_stat) == 48, "proc_comm_stat layout");

/*
 * How a process ended, from its raw exit code (status << 8 | core 0x80 |
 * signal, as task->exit_code and wait(2) have it): PROC_N_EXIT_OK,
 * PROC_N_EXIT_ERROR or PROC_N_KILLED. Shared by both sides.
 */
static inline __u32 proc_exit_class(__u32 exit_code)
{
	if (exit_code & 0x7f)
		return PROC_N_KILLED;
	return (exit_code >> 8) & 0xff ? PROC_N_EXIT_ERROR : PROC_N_EXIT_OK;
}

#ifndef __BPF__
#include <stdbool.h>
#include <stddef.h>

struct ks_out;

/* A validated view of an exec event's variable part */
struct proc_exec_view {
	const struct proc_exec_event *e;
	const char *filename;
	size_t filename_len;      /* without the NUL */
	const char *args;         /* NUL-terminated strings, back to back */
	size_t args_len;
	bool args_truncated;
};

/* proc_print.c. Check a ring buffer record: its proc_event_type, or -EINVAL */
int proc_event_check(const void *data, size_t size);
int proc_exec_view(const void *data, size_t size, struct proc_exec_view *v);
/* Print one (checked) event as a record: table row or JSON line */
int proc_event_print(struct ks_out *o, const void *data, size_t size);

/* proc_tree.c, --tree: everything seen, as a process tree */
struct proc_tree;
struct proc_tree *proc_tree_new(void);
void proc_tree_free(struct proc_tree *t);
int proc_tree_add(struct proc_tree *t, const void *data, size_t size);
void proc_tree_print(struct proc_tree *t, struct ks_out *o);

/* proc_summary.c, --summary: the proc_stat table, one row per command name */
struct ks_table;
enum proc_stat_col {
	PROC_C_COMM, PROC_C_FORKS, PROC_C_EXECS, PROC_C_EXEC_FAILED, PROC_C_EXITS,
	PROC_C_EXIT_OK, PROC_C_EXIT_ERROR, PROC_C_KILLED, PROC_NCOLS
};
struct ks_table *proc_stat_table_new(void);
/*
 * One name's cumulative counters into its row (comm NULL: those counted
 * under PROC_OTHER_COMM); 0 or -ENOMEM
 */
int proc_stat_put(struct ks_table *t, const char *comm, const struct proc_comm_stat *v);
/* Every name of the kernel's map (fd), and the (other) array's entry (other_fd) */
int proc_stat_collect(struct ks_table *t, int fd, int other_fd);
/*
 * The names the kernel's map holds: KSCOPE_PROC_SUMMARY_MAX's value s (a
 * test knob: 1..PROC_SUMMARY_MAX), PROC_SUMMARY_MAX when s is NULL; -EINVAL
 */
long proc_summary_max(const char *s);
#endif

/* --summary: a process whose exit was counted (proc.bpf.c's exit_claims) */
struct exit_claim_key {
	__u32 tgid;
	__u32 pad;
	__u64 start_ns;	/* the group leader's start_time */
};

#endif /* KSCOPE_PROC_H */

/* SPDX-License-Identifier: GPL-2.0 */
/* kscope syscall: maps and events shared by syscall.bpf.c and syscall.c */
#ifndef KSCOPE_SYSCALL_H
#define KSCOPE_SYSCALL_H

#include "../engine/events.h"
#include "../engine/hist.h"

/* Syscall numbers 0..SYS_SLOTS-1 are counted (x86_64 and arm64 stay < 512) */
#define SYS_SLOTS        1024
#define SYS_MASK_WORDS   (SYS_SLOTS / 64)
#define SYS_MAX_OWNER_KEYS 16384     /* --by process/cgroup: (owner, syscall) pairs */
#define SYS_MAX_ERR_KEYS  4096       /* (owner, syscall, errno) triples */
#define SYS_NARGS         6

/* --by: whose rows (rodata `by`) */
enum { SYS_BY_SYSCALL = 0, SYS_BY_PROCESS, SYS_BY_CGROUP };

/* Per syscall (array index: nr), or per (owner, syscall) */
struct sys_stat {
	__u64 count;          /* calls that returned (errors: in err_stats) */
	__u64 total_ns;       /* sum of entry-to-exit latencies */
	/*
	 * The longest call of period max_period[i], in slot period & 1: the
	 * closing period's max survives the calls of the next one, which
	 * userspace may only collect after a moment (see set_period()).
	 */
	__u64 max_ns[2];
	__u32 max_period[2];  /* the period (.bss `period`) of max_ns[i] */
};

/*
 * --by process or cgroup: key of owner_stats. owner: the tgid, or the
 * task's cgroup id (ks_current_cgroup_id(): a u64, hence the width)
 */
struct sys_owner_key {
	__u64 owner;
	__u32 nr;
	__u32 pad;
};
_Static_assert(sizeof(struct sys_owner_key) == 16, "sys_owner_key layout");

/* key of err_stats: owner as in sys_owner_key, 0 with --by syscall */
struct sys_err_key {
	__u64 owner;
	__u16 nr;
	__u16 err;            /* positive errno */
	__u32 pad;
};
_Static_assert(sizeof(struct sys_err_key) == 16, "sys_err_key layout");

/* The call in flight, per task */
struct sys_inflight {
	__u64 ts_ns;          /* entry; 0 when no call is in flight */
	__u32 nr;
	__u32 pad;
	__u64 args[SYS_NARGS];   /* --events only */
};

/* Counters of what was not counted (per-CPU array, index SYS_SKIP_*) */
enum {
	SYS_SKIP_COMPAT = 0,   /* 32-bit (compat) syscalls: other numbers, not counted */
	SYS_SKIP_RANGE,        /* nr >= SYS_SLOTS (x32, unknown) */
	SYS_SKIP_MAX,
};

enum { SYS_EV_CALL = 1 };

/* --events: one per call, at its exit */
struct sys_event {
	struct ks_hdr hdr;
	__u64 enter_ns;
	__s64 ret;
	__u64 args[SYS_NARGS];
	__u32 nr;
	__u32 pad;
};

#endif

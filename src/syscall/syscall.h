/* SPDX-License-Identifier: GPL-2.0 */
/* kscope syscall: maps and events shared by syscall.bpf.c and syscall.c */
#ifndef KSCOPE_SYSCALL_H
#define KSCOPE_SYSCALL_H

#include "../engine/events.h"
#include "../engine/hist.h"

/* Syscall numbers 0..SYS_SLOTS-1 are counted (x86_64 and arm64 stay < 512) */
#define SYS_SLOTS        1024
#define SYS_MASK_WORDS   (SYS_SLOTS / 64)
#define SYS_MAX_PROC_KEYS 16384      /* --by process: (process, syscall) pairs */
#define SYS_MAX_ERR_KEYS  4096       /* (process, syscall, errno) triples */
#define SYS_NARGS         6

/* Per syscall (array index: nr), or per (process, syscall) */
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

/* --by process: key of proc_stats */
struct sys_proc_key {
	__u32 pid;            /* tgid */
	__u32 nr;
};

/* key of err_stats: pid is 0 unless --by process */
struct sys_err_key {
	__u32 pid;
	__u16 nr;
	__u16 err;            /* positive errno */
};

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

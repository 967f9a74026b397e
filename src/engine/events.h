/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the BPF side and userspace: the common event header
 * every event starts with, and the engine's load-time configuration.
 * Fixed-width types only; layouts are checked with _Static_assert so the two
 * compilers (clang -target bpf, gcc) cannot disagree silently.
 */
#ifndef KSCOPE_EVENTS_H
#define KSCOPE_EVENTS_H

#ifdef __BPF__
/* vmlinux.h provides __u8 .. __u64 */
#else
#include <linux/types.h>
#endif

#define KS_COMM_LEN 16

/*
 * Every event begins with this header. pid is the process id (the kernel's
 * tgid), tid the thread id (the kernel's pid): the names users see in JSON.
 */
struct ks_hdr {
	__u64 ts_ns;       /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cgroup_id;   /* cgroup v2 id of the task */
	__u16 type;        /* command-specific event type */
	__u16 flags;       /* command-specific */
	__u32 cpu;
	__u32 pid;
	__u32 tid;
	__u32 ppid;        /* real_parent's pid */
	__u32 uid;
	char comm[KS_COMM_LEN];
};
_Static_assert(sizeof(struct ks_hdr) == 56, "ks_hdr layout");

/* ks_cfg.filter bits: which in-kernel filters are active */
#define KS_FILTER_PID    (1u << 0)   /* tgid must be in ks_pids */
#define KS_FILTER_UID    (1u << 1)
#define KS_FILTER_CGROUP (1u << 2)   /* task under the -c cgroup (v2: in ks_cgroup[0]) */
#define KS_FILTER_COMM   (1u << 3)

/* Indexes of ks_lost counters (per-CPU, summed by userspace) */
enum ks_lost_kind {
	KS_LOST_RINGBUF = 0,   /* ring buffer full: event dropped */
	KS_LOST_PIDMAP  = 1,   /* followed child not tracked: ks_pids full */
	KS_LOST_MAPFULL = 2,   /* an aggregation map was full: a key went uncounted */
	KS_LOST_MISSED  = 3,   /* a call seen entering, its exit never seen (the kernel
				* skipped the probe); userspace adds the programs' own
				* recursion misses */
	KS_LOST_MAX     = 4,
};

/*
 * Engine configuration, in its own read-only section (.rodata.ks) so the
 * engine can find and set it in any command's object before load. The
 * verifier sees these as constants and prunes disabled filters entirely.
 */
struct ks_bpf_cfg {
	__u32 filter;          /* KS_FILTER_* */
	__u32 uid;
	__u8 follow;           /* track children of tracked pids (fork -> ks_pids) */
	__u8 page_shift;       /* log2(page size): mm counters are in pages */
	__u8 task_storage;     /* KS_TASK_SLOTS maps are task storage (else LRU hashes by tid) */
	__u8 task_cg_v1;       /* no cgroup v2 mounted: a task's cgroup is its v1 cpu one */
	__u8 cgroup_ssid1;     /* -c names a v1 cgroup: its hierarchy's subsystem id + 1 */
	__u8 pad[3];
	__u64 wakeup_bytes;    /* wake the reader once this much data is queued */
	char comm[KS_COMM_LEN];
	__u64 cgroup_id;       /* -c: the cgroup's id (its inode number) ... */
	__u32 cgroup_level;    /* ... and depth below the cgroup2 root */
	__u32 pad2;
};
_Static_assert(sizeof(struct ks_bpf_cfg) == 56, "ks_bpf_cfg layout");

#define KS_PIDS_MAX 16384
/* threads with per-task state at once, where task storage is not used */
#define KS_TASK_SLOTS_MAX 32768
/* ks_pids values */
#define KS_PID_LIVE 1
#define KS_PID_DEAD 2      /* every thread has exited; gone once reaped */

#endif /* KSCOPE_EVENTS_H */

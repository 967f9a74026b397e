/* SPDX-License-Identifier: GPL-2.0 */
/* kscope memory: maps and records shared by memory.bpf.c and memory.c */
#ifndef KSCOPE_MEMORY_H
#define KSCOPE_MEMORY_H

#include "../engine/events.h"
#include "../engine/hist.h"

#define MEM_MAX_KEYS     8192    /* rows: a process, a thread or a memory cgroup */
#define MEM_MAX_EXITED   4096    /* processes that exited, waiting to be collected */
#define MEM_MEMCG_LEVELS 8       /* how far up an OOM looks for the limit that was hit */

/* --by: what the row key is */
enum { MEM_BY_PROCESS = 0, MEM_BY_THREAD, MEM_BY_CGROUP };

/* Per row and CPU, cumulative since the row's entry was made (userspace sums the CPUs) */
struct mem_stat {
	__u64 faults;                /* user-mode page faults (exceptions) */
	__u64 write_faults;          /* of which on a write */
	__u64 exec_faults;           /* of which on an instruction fetch */
	__u64 minor, major;          /* the kernel's own accounting (min_flt, maj_flt) */
	__u64 direct_reclaims, direct_reclaim_ns;
	__u64 memcg_reclaims, memcg_reclaim_ns;
	__u64 oom_kills;             /* OOM victims among the row's tasks */
	__u64 execs;                 /* execs (a new memory image: its peak starts anew) */
	__u32 reclaim_log2[KS_LOG2_SLOTS];   /* --hist: reclaim stalls in us */
};

/* A process that exited: its memory as it was then (process rows only) */
struct mem_exited {
	__u64 peak_pages;            /* max(hiwater_rss, rss); 0 when the mm was gone already */
	__u64 rss_pages[3];          /* anon, file, shmem; 0 when the mm was gone already */
	__u8 have_mm;
	__u8 pad[7];
};

enum { MEM_RSS_ANON = 0, MEM_RSS_FILE, MEM_RSS_SHMEM };

/* Per thread: where its fault accounting was last read, and a fault not reported yet */
struct mem_task {
	__u64 min_flt, maj_flt;      /* the task's counters when last read */
	__u64 addr, ip, ts_ns;       /* the pending fault (--events, --faults) */
	__u64 reclaim_start;         /* a direct or memcg reclaim in progress: its start */
	__u8 seen;                   /* min_flt/maj_flt hold a baseline */
	__u8 pending;                /* a user fault whose outcome is not known yet */
	__u8 kind;                   /* enum mem_fault_kind of the pending fault */
	__u8 reclaim;                /* 1: direct, 2: memcg */
	__u32 pad;
};

enum mem_fault_kind { MEM_FAULT_READ = 0, MEM_FAULT_WRITE, MEM_FAULT_EXEC };
enum mem_fault_outcome { MEM_OUT_MINOR = 0, MEM_OUT_MAJOR, MEM_OUT_FAILED };

enum { MEM_EV_FAULT = 1, MEM_EV_OOM };

/* --events / --faults: one user page fault, once its outcome is known */
struct mem_fault_event {
	struct ks_hdr hdr;           /* ts_ns: the fault's */
	__u64 addr, ip;
	__u8 kind, outcome;
	__u8 pad[6];
};
_Static_assert(sizeof(struct mem_fault_event) == 56 + 24, "mem_fault_event layout");

#define MEM_OOM_VICTIM_TASK  (1u << 0)   /* the victim's own fields are known */
#define MEM_OOM_MEMCG        (1u << 1)   /* a memory cgroup's limit was hit (else global) */
#define MEM_OOM_FAILCNT      (1u << 2)   /* failcnt is the page counter's */

/* A cgroup's path as the kernel has it, leaf first: its directory names up to the root */
#define MEM_CG_NAME 40
struct mem_cg_path {
	char name[MEM_MEMCG_LEVELS][MEM_CG_NAME];   /* "" past the root (whose name is "") */
};

/* An OOM kill: the header is the task that triggered it (current) */
struct mem_oom_event {
	struct ks_hdr hdr;
	__u64 memcg_id;              /* the cgroup id of the memcg whose limit was hit */
	__u64 limit_pages, usage_pages, failcnt;
	__u64 victim_memcg_id;       /* the victim's own memory cgroup */
	__u64 rss_pages[3];          /* the victim's anon, file, shmem */
	__u64 total_vm_pages;
	__u64 reclaims, reclaim_ns;  /* the triggering process's memcg and direct reclaim stalls */
	__u32 victim_pid, victim_tid;
	__u32 victim_uid, flags;     /* MEM_OOM_* */
	__s32 oom_score_adj;
	__u32 pad;
	char victim_comm[KS_COMM_LEN];
	/* named in the kernel: the cgroup may be gone by the time the record is read */
	struct mem_cg_path memcg_path, victim_memcg_path;
};
_Static_assert(sizeof(struct mem_oom_event) == 56 + 88 + 24 + 16 + 2 * MEM_MEMCG_LEVELS * MEM_CG_NAME,
	       "mem_oom_event layout");

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* kscope diskio: maps and records shared by diskio.bpf.c and diskio.c */
#ifndef KSCOPE_DISKIO_H
#define KSCOPE_DISKIO_H

#include "../engine/events.h"
#include "../engine/hist.h"

#define DIO_MAX_INFLIGHT 16384   /* request addresses seen (entries stay for their reuse) */
#define DIO_MAX_KEYS     4096    /* rows: (owner, device, op, sync) */
#define DIO_MAX_ERR_KEYS 1024    /* (row, errno) */
#define DIO_DEV_BITS     6
#define DIO_MAX_DEVS     (1 << DIO_DEV_BITS)   /* devices for sequential/random */
#define DIO_DEV_PROBES   8       /* slots of dev_pos a device may take, from its hash */
#define DIO_MAX_FILTER   8       /* --dev list */

/* The request's operation, from its cmd_flags or the tracepoint's rwbs */
enum {
	DIO_OP_READ = 0,
	DIO_OP_WRITE,
	DIO_OP_FLUSH,
	DIO_OP_DISCARD,
	DIO_OP_WRITE_ZEROES,
	DIO_OP_OTHER,
	DIO_OP_NR,
};

/* Latency stages */
enum { DIO_QUEUE = 0, DIO_DEVICE, DIO_TOTAL, DIO_STAGES };

/* --by: what the row key's owner is */
enum { DIO_BY_DEVICE = 0, DIO_BY_PROCESS, DIO_BY_CGROUP };

/* A row: owner 0 (--by device), a pid, or a blkcg's cgroup id; dev: the kernel's dev_t */
struct dio_key {
	__u64 owner;
	__u32 dev;
	__u8 op;
	__u8 sync;
	__u16 pad;
};

struct dio_lat {
	__u64 count, total_ns, max_ns;
	__u32 hist[KS_LL_SLOTS];           /* log-linear, ns (ks_ll_slot) */
};

/* Per row and CPU, cumulative since its entry was made (userspace sums the CPUs) */
struct dio_stat {
	__u64 requests, bytes, sequential, random;
	struct dio_lat lat[DIO_STAGES];
	__u32 log2[DIO_STAGES][KS_LOG2_SLOTS];   /* --hist: us */
	__u32 sizes[KS_LOG2_SLOTS];              /* KiB */
};

/* Where the last request issued to a device ended (dev_pos[], in .bss) */
struct dio_dev_pos {
	__u64 tag;                         /* the device: 1 << 32 | dev_t; 0: a free slot */
	__u64 issued;                      /* a request of it was issued: last is set */
	__u64 last;                        /* sector after the last request issued */
};

/* key of err_stats */
struct dio_err_key {
	struct dio_key k;
	__u32 err;                         /* positive errno; DIO_ERR_STATUS + n: blk_status_t n */
	__u32 pad;
};

/* A blk_status_t this kernel maps to an errno kscope does not know (see diskio.bpf.c) */
#define DIO_ERR_STATUS 0x8000

/*
 * A request in flight: keyed by its address on the BTF paths, by (dev,
 * start sector) when a probe is on a plain tracepoint (which has no pointer).
 */
struct dio_rq_key {
	__u64 a, b;
};

#define DIO_F_SKIP       (1u << 0)   /* filtered out: counted nowhere */
#define DIO_F_SEQ        (1u << 1)   /* issued where the device's previous request ended */
#define DIO_F_CLASSIFIED (1u << 2)   /* sequential or random (the first on a device is neither) */
#define DIO_F_DONE       (1u << 3)   /* over: the entry waits for the next request at its address */

struct dio_inflight {
	__u64 insert_ns;                   /* 0: never inserted */
	__u64 issue_ns;                    /* 0: issue not seen */
	__u64 sector;                      /* start, at issue */
	__u64 blkcg;                       /* the request's io/blkio cgroup id */
	__u32 owner;                       /* the pid it was started from */
	__u32 flags;                       /* DIO_F_* */
	__u32 err;                         /* the first error of its completions */
	__u32 done;                        /* bytes completed so far */
	__u32 left;                        /* bytes at issue not completed yet */
	__u32 dev;                         /* the kernel's dev_t of its disk */
};

enum { DIO_EV_RQ = 1 };

/* --events: one per completed request */
struct dio_event {
	struct ks_hdr hdr;                 /* the owner's; ts_ns: the completion */
	__u64 sector;
	__u64 insert_ns, issue_ns;         /* 0: not seen */
	__u64 blkcg;
	__u32 dev;
	__u32 bytes;
	__u32 err;                         /* as dio_err_key.err; 0: none */
	__u8 op, sync;
	char rwbs[10];
};
_Static_assert(sizeof(struct dio_event) == 56 + 32 + 12 + 12, "dio_event layout");

#endif

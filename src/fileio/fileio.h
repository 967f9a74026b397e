/* SPDX-License-Identifier: GPL-2.0 */
/* kscope fileio: maps and events shared by fileio.bpf.c and the userspace side */
#ifndef KSCOPE_FILEIO_H
#define KSCOPE_FILEIO_H

#include "../engine/events.h"

/*
 * Path sizes. An open event carries the path as the process gave it, whole
 * (the kernel refuses longer ones with ENAMETOOLONG). The maps that name a
 * file for the summary keep its first FIO_PATH_MAX - 1 bytes; a longer
 * path also reaches userspace in full through an open event (sent even in
 * summary-only mode for that purpose, never printed there).
 * Both are powers of two so the verifier can bound offsets by masking.
 */
#define FIO_OPEN_PATH_MAX 4096
#define FIO_PATH_MAX      256

/*
 * Map sizes. fds holds the descriptors open now, plus those of processes
 * that exited without closing them until userspace sees the process gone
 * (checked every second). stats holds the opens with I/O that are still
 * open: a close(2) sends the final sums to userspace and deletes the entry
 * at once (FIO_EV_CLOSE); only files closed otherwise (exit, exec,
 * close_range, dup2 over them) or closed while a call still runs on them
 * wait for userspace to collect them, one to two seconds.
 */
#define FIO_MAX_FDS       16384   /* open files tracked at once: (pid, fd) */
#define FIO_MAX_STATS     16384   /* (pid, open) pairs with I/O, open or not yet collected */
#define FIO_MAX_OWNERS    16384   /* --by: processes (until seen gone) or cgroups (for good) */
#define FIO_NR_MAX        1024    /* syscall numbers the filter table covers */
#define FIO_INHERIT_DEPTH 3       /* ancestors searched for an inherited fd */
#define FIO_NAME_DEPTH    32      /* steps (names, mounts) from a file up to the root, at most */

/*
 * What kscope does with a syscall, by number (the sys_op table, filled by
 * userspace from the target's uapi syscall numbers). 0: not of interest,
 * rejected before anything else runs.
 */
enum fio_op {
	FIO_OP_NONE = 0,
	FIO_OP_OPEN,
	FIO_OP_OPENAT,
	FIO_OP_OPENAT2,
	FIO_OP_CREAT,
	FIO_OP_READ,
	FIO_OP_PREAD64,
	FIO_OP_READV,
	FIO_OP_PREADV,
	FIO_OP_PREADV2,
	FIO_OP_WRITE,
	FIO_OP_PWRITE64,
	FIO_OP_WRITEV,
	FIO_OP_PWRITEV,
	FIO_OP_PWRITEV2,
	FIO_OP_FSYNC,
	FIO_OP_FDATASYNC,
	FIO_OP_CLOSE,
	FIO_OP_DUP,
	FIO_OP_DUP2,
	FIO_OP_DUP3,
	FIO_OP_FCNTL,
	FIO_OP_MAX,
};

#define FIO_IS_OPEN(op)  ((op) >= FIO_OP_OPEN && (op) <= FIO_OP_CREAT)
#define FIO_IS_READ(op)  ((op) >= FIO_OP_READ && (op) <= FIO_OP_PREADV2)
#define FIO_IS_WRITE(op) ((op) >= FIO_OP_WRITE && (op) <= FIO_OP_PWRITEV2)
#define FIO_IS_SYNC(op)  ((op) == FIO_OP_FSYNC || (op) == FIO_OP_FDATASYNC)
#define FIO_IS_IO(op)    (FIO_IS_READ(op) || FIO_IS_WRITE(op) || FIO_IS_SYNC(op))
#define FIO_IS_DUP(op)   ((op) >= FIO_OP_DUP && (op) <= FIO_OP_FCNTL)

/* fcntl commands that duplicate a descriptor (the same on every Linux arch) */
#define FIO_F_DUPFD         0
#define FIO_F_DUPFD_CLOEXEC 1030

#define FIO_AT_FDCWD (-100)

/* ---- maps ------------------------------------------------------------------ */

struct fio_fd_key {
	__u32 pid;           /* tgid */
	__s32 fd;
};

/* An open file descriptor of a traced process (fds map) */
struct fio_file {
	__u64 id;            /* this open: unique for the run (the stats key) */
	__u64 file;          /* its struct file *: verified at every call */
	__u64 inode;         /* and file->f_inode */
	__u32 flags;         /* open flags */
	__u16 path_len;      /* bytes of path, including the NUL */
	__u8 truncated;      /* the path was longer than FIO_PATH_MAX - 1 */
	__u8 has_stat;       /* a stats entry was made for it: close(2) flushes it */
	char path[FIO_PATH_MAX];
};
_Static_assert(sizeof(struct fio_file) == 288, "fio_file layout");

struct fio_stat_key {
	__u32 pid;           /* tgid */
	__u32 pad;
	__u64 id;            /* fio_file.id */
};

/*
 * The sums of an owner's read, write and fsync calls, first in struct
 * fio_stat (per open file) and struct fio_owner_stat (per process or
 * cgroup): one counting function adds a call to either (fio_counts)
 */
#define FIO_COUNTERS								\
	__u64 reads;         /* read calls that returned >= 0 */		\
	__u64 writes;								\
	__u64 read_bytes;							\
	__u64 write_bytes;							\
	__u64 read_ns;       /* time inside those calls (syscall entry to exit) */ \
	__u64 write_ns;								\
	__u64 fsyncs;        /* fsync + fdatasync calls that returned >= 0 */	\
	__u64 fsync_ns;								\
	__u64 errors;        /* read/write/fsync calls that failed */

struct fio_counts {
	FIO_COUNTERS
};

/*
 * Cumulative I/O of one process on one open file (stats map). Created at
 * the first call. A close(2) with no call in flight on the file sends it
 * to userspace whole (FIO_EV_CLOSE) and deletes it. Otherwise userspace
 * collects it about once a second and deletes it once it is final: closed
 * (no (pid, fd) entry in fds holds its id any more) or its process gone, no
 * call in flight, and unchanged since the previous collection.
 */
struct fio_stat {
	FIO_COUNTERS
	__u64 id;
	__u32 pid;
	__u8 pad0;
	__u8 truncated;
	__u16 path_len;
	__u32 inflight;      /* calls entered and not returned yet */
	__u32 pad;
	char comm[KS_COMM_LEN];
	char path[FIO_PATH_MAX];
};
_Static_assert(sizeof(struct fio_stat) == 368, "fio_stat layout");

/*
 * What the summary is per (rodata by_owner): per (process, open), the
 * stats map; or, with --by, per process (tgid) or per cgroup (that of the
 * task when it made the call, ks_current_cgroup_id()), the owners map.
 */
enum fio_by {
	FIO_BY_FILE = 0,
	FIO_BY_PROCESS,
	FIO_BY_CGROUP,
};

/*
 * The reads, writes and fsyncs of one process or cgroup (owners map, keyed
 * by the tgid or cgroup id as a __u64), counted as struct fio_stat counts
 * them: on the files kscope saw opened, the bytes the calls returned. An
 * entry lives until userspace sees its process gone; a cgroup's for good
 * (its id is never reused).
 */
struct fio_owner_stat {
	FIO_COUNTERS
	char comm[KS_COMM_LEN];  /* the process's at its first call (--by process) */
};
_Static_assert(sizeof(struct fio_owner_stat) == 88, "fio_owner_stat layout");

/* A traced syscall in progress (calls: per-task slot; op 0 when none) */
struct fio_call {
	__u64 ts;            /* entry time */
	__u64 id;            /* I/O: fio_file.id of the descriptor */
	__u64 arg[4];        /* open: path, flags, mode, dfd/how; I/O: count, owner (--by) */
	__s32 fd;
	__u8 op;
	__u8 pad[3];
};

/* ---- events ------------------------------------------------------------------- */

enum fio_event_type {
	FIO_EV_OPEN = 1,
	FIO_EV_SLOW = 2,
	FIO_EV_CLOSE = 3,
};

/* ks_hdr.flags */
#define FIO_F_PATH_CUT   (1u << 0)  /* open: the path filled FIO_OPEN_PATH_MAX: it may be cut */
#define FIO_F_NAME_ONLY  (1u << 1)  /* open: sent only to name a long path, not to print */
#define FIO_F_MAP_CUT    (1u << 2)  /* slow: path holds only the first FIO_PATH_MAX - 1 bytes */

struct fio_open_event {
	struct ks_hdr hdr;
	__s64 ret;           /* the new fd, or -errno */
	__u64 flags;         /* as passed (openat2: how.flags); creat: 0 */
	__u64 id;            /* fio_file.id of the new descriptor; 0 if it failed */
	__u32 mode;
	__s32 dfd;           /* directory fd of openat/openat2; FIO_AT_FDCWD for open/creat */
	__u8 op;             /* FIO_OP_OPEN .. FIO_OP_CREAT */
	__u8 pad;
	__u16 path_len;      /* bytes of path that follow, including the NUL */
	__u32 pad2;
	/* followed by the path */
};
_Static_assert(sizeof(struct fio_open_event) == 96, "fio_open_event layout");

struct fio_slow_event {
	struct ks_hdr hdr;
	__u64 latency_ns;
	__s64 ret;           /* bytes transferred, 0 (fsync), or -errno */
	__u64 id;            /* fio_file.id */
	__u64 count;         /* bytes asked for (read/write/pread64/pwrite64); 0 otherwise */
	__s32 fd;
	__u8 op;
	__u8 pad;
	__u16 path_len;      /* bytes of path, including the NUL */
	char path[FIO_PATH_MAX];
};
_Static_assert(sizeof(struct fio_slow_event) == 352, "fio_slow_event layout");

/*
 * The final sums of a file closed with close(2), its stats entry deleted.
 * Only the summary reads it, so the header carries its type alone (the
 * rest is zero): filling it would cost the close more than the copy. The
 * record ends with the path's s.path_len bytes, not the whole array.
 */
struct fio_close_event {
	struct ks_hdr hdr;
	struct fio_stat s;
};
_Static_assert(sizeof(struct fio_close_event) == 424, "fio_close_event layout");

#ifndef __BPF__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ks_out;

/* ---- decoding and printing events (fileio_print.c) ---- */

const char *fio_op_syscall(unsigned op);   /* "pread64" */
const char *fio_op_kind(unsigned op);      /* "read", "write", "fsync", "open" */

/* Validate a ring buffer record: its fio_event_type, or -EINVAL */
int fio_event_check(const void *data, size_t size);
/* The open event's path: its bytes (without the NUL) */
const char *fio_open_path(const struct fio_open_event *e, size_t *len);
/* Open flags as the process passed them (creat's implied ones included) */
uint64_t fio_open_flags(const struct fio_open_event *e);
void fio_print_open(struct ks_out *o, const struct fio_open_event *e);
/* path: the file's full name when known (NULL: the event's own) */
void fio_print_slow(struct ks_out *o, const struct fio_slow_event *e,
		    const char *path, size_t path_len);

/* ---- the per-file summary (fileio_sum.c) ---- */

struct fio_sums {
	uint64_t reads, writes;
	uint64_t read_bytes, write_bytes;
	uint64_t read_ns, write_ns;
	uint64_t fsyncs, fsync_ns;
	uint64_t errors;
};

enum fio_sort { FIO_SORT_BYTES, FIO_SORT_CALLS, FIO_SORT_TIME };

struct fio_summary;

struct fio_summary *fio_summary_new(void);
void fio_summary_free(struct fio_summary *s);
/*
 * The kernel's cumulative values for the entry (pid, id): what changed
 * since the last update goes to the current period. path is the map's
 * copy (truncated: only its first bytes); closed: the kernel marked its
 * descriptor closed. Returns 1 when the entry is final (closed at the
 * previous update too, and unchanged since): the kernel's copy can go.
 * 0 otherwise, -ENOMEM.
 */
int fio_summary_update(struct fio_summary *s, uint32_t pid, uint64_t id, const char *comm,
		       const char *path, size_t path_len, bool truncated, bool closed,
		       const struct fio_sums *cur);
/* The kernel entry (pid, id) is gone: a new one with that key starts at 0 */
void fio_summary_gone(struct fio_summary *s, uint32_t pid, uint64_t id);
/* The full path of open id, for files whose map copy is truncated */
int fio_summary_name(struct fio_summary *s, uint64_t id, const char *path, size_t len);
/* ... and looking it up: NULL if unknown */
const char *fio_summary_full_name(struct fio_summary *s, uint64_t id, size_t *len);
/*
 * Print the rows of the current period, one per process and path, those
 * with any activity only, sorted, at most top (0: all). JSON rows carry
 * ts_ns (end of the period) and interval_ns.
 */
void fio_summary_print(struct fio_summary *s, struct ks_out *o, uint64_t ts_ns,
		       uint64_t interval_ns, enum fio_sort sort, unsigned top);
/*
 * Entries that are gone (closed files, exited processes) are kept until the
 * period is printed. Once there are min_gone of them or more, fold those of
 * one process and path into one: memory grows with the rows, not the opens.
 * Returns the gone entries left.
 */
size_t fio_summary_compact(struct fio_summary *s, size_t min_gone);
/*
 * Still more than max gone entries after that (a churn of short processes:
 * each is rows of its own): keep the max / 2 largest (by sort) as they are,
 * and fold the others whose process has exited (exited(pid, arg) true) into
 * one row per command and path, pid 0 (printed as "-", JSON null) and the
 * number of processes. Not again before max / 2 more are gone. Returns the
 * gone entries left.
 */
size_t fio_summary_fold(struct fio_summary *s, size_t max, enum fio_sort sort,
			bool (*exited)(uint32_t pid, void *arg), void *arg);
/* Is there anything to print for the current period? */
bool fio_summary_any(const struct fio_summary *s);
/* Start a new period: clear the sums, forget entries that are gone */
void fio_summary_new_period(struct fio_summary *s);
/* Entries known, and those of them gone from the kernel (for tests and memory bounds) */
size_t fio_summary_entries(const struct fio_summary *s);
size_t fio_summary_gone_entries(const struct fio_summary *s);

/* ---- the summary per process or cgroup, --by (fileio_by.c) ---- */

struct ks_table;
struct ks_out;

/* A cell: the average time of a call, "-" without calls (fileio_sum.c; both tables') */
void fio_text_avg(struct ks_out *o, uint64_t total, uint64_t n);

/*
 * Its table: one row per owner (by: FIO_BY_PROCESS or FIO_BY_CGROUP),
 * NDJSON type fileio_process_stat or fileio_cgroup_stat, sorted by sort,
 * at most top rows (0: all); a cgroup's row names its container with
 * container (-C). NULL without memory.
 */
struct ks_table *fio_owners_new(enum fio_by by, enum fio_sort sort, unsigned top,
				bool container);
/*
 * The kernel's cumulative values of owner (a tgid or a cgroup id); gone:
 * these are its last (its process exited, the entry is deleted): the row
 * is shown with this period, then dropped (a reused pid starts at 0).
 */
void fio_owners_put(struct ks_table *t, uint64_t owner, const struct fio_owner_stat *v,
		    bool gone);
/*
 * More than max rows of processes gone held in the period (a long run of
 * short processes, printed only at the end): merged into one, pid null
 * ("-") and comm "(exited)", so that memory follows max, not the processes.
 */
void fio_owners_fold(struct ks_table *t, size_t max);
/* Did any owner make a call this period? */
bool fio_owners_any(const struct ks_table *t);
#endif

#endif /* KSCOPE_FILEIO_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSCOPE_UTIL_H
#define KSCOPE_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Strict number parsing: the whole string, in range, or -EINVAL/-ERANGE. */
int ks_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/*
 * An address range "LO-HI" (each hex with 0x, else decimal; strict: digits
 * only, no sign or spaces), LO < HI: [lo, hi). 0 or -EINVAL.
 */
int ks_parse_addr_range(const char *s, uint64_t *lo, uint64_t *hi);
#define KS_SECONDS_MAX 1e7   /* -d, intervals: about 115 days */
int ks_parse_seconds(const char *s, double *out);   /* > 0, at most KS_SECONDS_MAX */

/* "root" or "0" -> uid, from /etc/passwd without NSS (static binary) */
int ks_parse_uid(const char *s, uint32_t *uid);

uint64_t ks_now_ns(int clock);                 /* clock_gettime in ns */

/*
 * Does /proc/PID exist (a live or not yet reaped process)? An answer is
 * kept for 5 ms: one walk of a map asks about each of its processes once,
 * however many entries each has (a process that exits in that time is
 * found gone at the next walk; its counts are not lost).
 */
bool ks_pid_alive(uint32_t pid);
/* The first number of field KEY ("Tgid", "Uid") of /proc/PID/status; false if gone or none */
bool ks_proc_status(uint32_t pid, const char *key, uint64_t *v);
/* A process's current name from /proc/PID/comm into comm[KS_COMM_LEN]; false if gone */
bool ks_proc_comm(uint32_t pid, char *comm);
/* Where cgroup v2 is mounted (/sys/fs/cgroup, or .../unified on hybrid systems) */
const char *ks_cgroup2_root(void);

/*
 * The path, below the cgroup v2 mount point ("/" for the root), of the
 * cgroup of this id (its kernfs inode number, bpf_get_current_cgroup_id());
 * NULL if there is none now. The hierarchy is walked once and kept; a new
 * id walks it again, at most once a second.
 */
const char *ks_cgroup2_path(uint64_t id);
/*
 * The container whose cgroup (v2) this is or is below (container.h: from
 * its path), or NULL: the host, a runtime's monitor, or a cgroup not
 * found. Cached per id: a lookup costs a hash probe once a cgroup is known.
 */
struct ks_container;
const struct ks_container *ks_cgroup2_container(uint64_t id);
/* The mount point of the cgroup v1 hierarchy of this controller ("blkio"); NULL if none */
const char *ks_cgroup_v1_root(const char *ctrl);
/*
 * ks_cgroup2_path() for the hierarchy that holds a controller: its v1
 * hierarchy where it is mounted on v1 (a hybrid host's blkio, memory),
 * else the v2 one. The path is below that hierarchy's mount point. v1_ctrl
 * NULL: the hierarchy of a task's cgroup in rows keyed by cgroup (cgroup v2,
 * or the v1 cpu one on a host without v2: ks_task_cgroup_id() in the
 * kernel); "": cgroup v2.
 */
const char *ks_cgroup_ctrl_path(const char *v1_ctrl, uint64_t id);
/* That hierarchy's mount point; NULL if none */
const char *ks_cgroup_ctrl_root(const char *v1_ctrl);
/*
 * The same for a rare record that must name its cgroup (an OOM kill): an id
 * not known is looked for at once, whenever the hierarchy was walked last.
 */
const char *ks_cgroup_ctrl_path_now(const char *v1_ctrl, uint64_t id);

/* A task's cgroup in rows keyed by cgroup is its v1 cpu one: no cgroup v2 is mounted */
bool ks_cgroup_task_v1(void);
/*
 * The container whose cgroup this is or is below, as ks_cgroup2_container(),
 * for a cgroup of v1_ctrl's hierarchy (as ks_cgroup_ctrl_path()). Cached per
 * (hierarchy, id).
 */
const struct ks_container *ks_cgroup_ctrl_container(const char *v1_ctrl, uint64_t id);

/*
 * Wait until every BPF program that is running now has returned: tracing
 * programs run inside an RCU read-side section, and membarrier's GLOBAL
 * command waits for an RCU grace period. After a flag in a map or .bss
 * changes, no program still acts on the old value. Best effort (a short
 * sleep) where membarrier is unavailable.
 */
void ks_bpf_quiesce(void);

/* Does this kernel have the bpf() syscall at all? (qemu-user: ENOSYS) */
bool ks_bpf_syscall_exists(void);

/*
 * At start-up, before anything opens a file: descriptors 0, 1 and 2 that
 * are closed get /dev/null opened read-only, so that no file kscope opens
 * (a BPF map, the -o file) becomes its stdout by accident, and a write to
 * them still fails with EBADF. ks_stdout_closed remembers that stdout was
 * closed, to refuse a trace before anything is attached.
 */
void ks_stdio_guard(void);
extern bool ks_stdout_closed;

/* Signal number -> "SIGKILL" (or NULL) */
const char *ks_signal_name(int sig);

/*
 * Capabilities: 0 if the process can load and attach tracing programs,
 * otherwise -EPERM with a description of what is missing in *missing.
 */
int ks_check_caps(const char **missing);
/* Whether capability cap is in this thread's effective set */
bool ks_has_cap(int cap);

/* The kernel's possible CPUs (per-CPU map values come in this many); 1 if unknown */
int ks_possible_cpus(void);

/*
 * A growable array of fixed-size items (keys seen in a map walk, keys to
 * delete after it): KS_VEC(struct my_key) starts one empty.
 */
struct ks_vec {
	void *v;
	size_t n, cap, size;
};

#define KS_VEC(type) ((struct ks_vec){ .size = sizeof(type) })
#define ks_vec_at(vec, i) ((void *)((char *)(vec)->v + (i) * (vec)->size))

/* Append a copy of item: the copy, or NULL (no memory: nothing appended) */
void *ks_vec_push(struct ks_vec *vec, const void *item);
void ks_vec_free(struct ks_vec *vec);
/*
 * Run a loaded BPF iterator program (SEC("iter/...")) over everything it
 * iterates, once (map_fd: the map of an "iter/bpf_map_elem", else -1), its
 * output read and dropped (it updates maps): 0, -ENOENT if it is not
 * loaded (KS_PROBE_BEST found no kernel support), or -errno. The engine
 * loads iterators as it does any probe, but never attaches them itself.
 */
struct bpf_program;
int ks_iter_run(struct bpf_program *prog, int map_fd);

/* Delete each key of keys from map fd (a walk's dead entries), and free keys */
void ks_map_delete_keys(int fd, struct ks_vec *keys);

#endif

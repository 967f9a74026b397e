// SPDX-License-Identifier: GPL-2.0
/*
 * kscope fileio: file opens, and reads, writes and fsyncs per open file.
 *
 * Two programs, on the entry and the exit of every system call (the
 * raw_syscalls tracepoints: tp_btf, raw_tp or the plain tracepoint), do
 * everything. The first thing each does is a look-up of the syscall number
 * in sys_op, a table userspace fills from the target's own syscall numbers;
 * any other syscall costs that and nothing more.
 *
 * Open files are tracked per (process, fd) in the fds map, from the open
 * that returned the fd to its close, with the path as the process gave it.
 * dup/dup2/dup3/fcntl(F_DUPFD) copy the entry to the new fd; a child process
 * finds an fd it inherited in its ancestors' entries (the same struct file).
 * Every call checks that the fd still holds the struct file (and inode) it
 * was opened as, so an fd closed behind our back (close-on-exec, close_range,
 * process exit) and reused is never taken for the old file.
 *
 * Reads, writes and fsyncs are summed per (process, open) in the stats map;
 * nothing goes through the ring buffer for them unless --slow asked for
 * calls slower than a threshold, except the final sums at close(2), which
 * free the entry at once (see stat_flush). Opens are streamed (unless
 * summary only). With --by, the same calls are summed per process or per
 * cgroup in the owners map instead, and nothing else goes to userspace.
 */
#include "../engine/kscope.bpf.h"
#include "fileio.h"

/* syscall number -> enum fio_op; 0 for every syscall not of interest */
const volatile __u8 sys_op[FIO_NR_MAX];
const volatile __u8 emit_opens;        /* stream open events */
const volatile __u8 failed_only;       /* ... only those that failed (--failed) */
const volatile __u8 emit_slow;         /* stream calls slower than slow_ns (--slow) */
const volatile __u64 slow_ns;
const volatile __u32 self_pid;         /* kscope itself is never traced */
/* follow descriptors for the per-file summary and --slow; 0 (--no-summary):
 * opens only, and userspace enables no other syscall in sys_op */
const volatile __u8 track_fds;
/* enum fio_by: the I/O summed per (process, open) in stats, or (--by) per
 * process or cgroup in owners; the other map is made with one entry */
const volatile __u8 by_owner;

/* A traced task made 32-bit (compat) calls: not followed, but said so at exit */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} compat_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FIO_MAX_FDS);
	__type(key, struct fio_fd_key);
	__type(value, struct fio_file);
} fds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FIO_MAX_STATS);
	__type(key, struct fio_stat_key);
	__type(value, struct fio_stat);
} stats SEC(".maps");

/* --by: tgid or cgroup id -> its sums */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FIO_MAX_OWNERS);
	__type(key, __u64);
	__type(value, struct fio_owner_stat);
} owners SEC(".maps");

/* The traced call each task is in (op 0: none) */
KS_TASK_SLOTS(calls, struct fio_call);

/* Per-CPU scratch for values too big for the stack */
struct scratch {
	struct fio_open_event e;
	char path[FIO_OPEN_PATH_MAX];   /* right after e: the event's variable part */
	char tmp[FIO_OPEN_PATH_MAX];    /* fio_file_path(): the path, built from its end
					 * (a name copied at its mask's end runs into f) */
	struct fio_file f;
	struct fio_stat s;
	struct fio_close_event c;
	__u32 pos;                     /* fio_file_path(): where the path starts in tmp, */
	__u64 walk_d, walk_mnt;        /* the dentry and mount it is at, */
	__u64 walk_root, walk_root_mnt; /* and the process's root; */
	__u8 path_cut;                 /* its first names were left out */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* Per-CPU counter for open ids: (count << 16) | cpu is unique without atomics */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} id_seq SEC(".maps");

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline __u64 new_id(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&id_seq, &zero);

	if (!n)
		return 0;
	*n += 1;
	return (*n << 16) | (bpf_get_smp_processor_id() & 0xffff);
}

/* ---- where the syscall arguments come from --------------------------------- */

enum { SRC_BTF, SRC_RAW, SRC_TP };

/*
 * The arguments of the syscall being entered. The tracepoint has them in
 * its record and tp_btf in registers it can load from directly: both are
 * copied up front (a few plain loads). raw_tp needs a probe read per
 * argument: those are read only once the syscall is known to matter.
 */
struct sys_args {
	int src;
	struct pt_regs *regs;      /* SRC_RAW */
	__u64 a[4];                /* SRC_BTF, SRC_TP */
};

static __always_inline __u64 sys_arg(struct sys_args *args, int n)
{
	struct pt_regs *regs = args->regs;

	if (args->src != SRC_RAW)
		return args->a[n & 3];
	switch (n) {
	case 0: return PT_REGS_PARM1_CORE_SYSCALL(regs);
	case 1: return PT_REGS_PARM2_CORE_SYSCALL(regs);
	case 2: return PT_REGS_PARM3_CORE_SYSCALL(regs);
	default: return PT_REGS_PARM4_CORE_SYSCALL(regs);
	}
}

/*
 * The syscall number at sys_exit, from the registers (the BTF hooks): what
 * syscall_get_nr() reads, x86 orig_ax, arm64 syscallno (an s32: NO_SYSCALL,
 * -1, stays negative). vmlinux.h is the target's, so struct pt_regs is too.
 */
static __always_inline long regs_nr(bool btf, struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return btf ? regs->orig_ax : BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	return btf ? regs->syscallno : BPF_CORE_READ(regs, syscallno);
#else
#error "fileio: syscall number at sys_exit unknown for this architecture"
#endif
}

/*
 * A 32-bit (compat) syscall has numbers of its own: the per-syscall
 * tracepoints ignore those calls, and so do we. On tp_btf, the task is a
 * BTF pointer (bpf_get_current_task_btf, 5.11+: older kernels refuse the
 * program and raw_tp is used) and its fields are plain loads.
 */
static __always_inline bool compat_syscall(bool btf)
{
	struct task_struct *task = btf ? bpf_get_current_task_btf() :
				   (struct task_struct *)bpf_get_current_task();

#if defined(__TARGET_ARCH_x86)
	return (btf ? task->thread_info.status : BPF_CORE_READ(task, thread_info.status)) &
	       0x0002;	/* TS_COMPAT */
#elif defined(__TARGET_ARCH_arm64)
	return (btf ? task->thread_info.flags : BPF_CORE_READ(task, thread_info.flags)) &
	       (1ull << 22);	/* TIF_32BIT */
#else
	return false;
#endif
}

/* ---- descriptors ---------------------------------------------------------------- */

/*
 * The struct file at fd in the current task's table, through BTF pointers
 * (tp_btf). A global function, checked once by the verifier: inlined at
 * each use, its trusted-pointer walk made fileio's programs take 16 ms to
 * load instead of 3 (see ks_current_ppid_btf).
 */
__noinline __u64 fio_fd_file_btf(int fd)
{
	struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
	struct file **arr, *f = NULL;

	if (fd < 0 || (unsigned int)fd >= fdt->max_fds)
		return 0;
	arr = fdt->fd;
	if (bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]))
		return 0;
	return (__u64)f;
}

/* The struct file at fd in the current task's table, or NULL */
static __always_inline struct file *fd_file(bool btf, int fd)
{
	struct task_struct *task;
	struct file **arr, *f = NULL;
	struct fdtable *fdt;

	if (btf)
		return (struct file *)fio_fd_file_btf(fd);
	task = (struct task_struct *)bpf_get_current_task();
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	arr = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]))
		return NULL;
	return f;
}

static __always_inline __u64 file_inode(struct file *f)
{
	return f ? (__u64)BPF_CORE_READ(f, f_inode) : 0;
}

#define FIO_S_IFMT  0170000
#define FIO_S_IFREG 0100000
#define FIO_S_IFBLK 0060000

/*
 * --by: is fd a regular file or a block device, opened before tracing
 * began? Its I/O counts as a tracked open's would. Not a socket, a pipe, or
 * a character device (a terminal, /dev/null) it did not open while traced.
 */
static __always_inline bool fd_is_file(bool btf, int fd)
{
	struct file *file = fd_file(btf, fd);
	__u16 mode;

	if (!file)
		return false;
	mode = BPF_CORE_READ(file, f_inode, i_mode) & FIO_S_IFMT;
	return mode == FIO_S_IFREG || mode == FIO_S_IFBLK;
}

/*
 * The fd is gone: drop its entry. A file whose (process, open) no longer
 * appears in fds is closed, and userspace tells that from the maps (an fd
 * replaced by open or dup2 is overwritten, one found reused is deleted, the
 * same way).
 */
static __always_inline void fd_forget(__u32 pid, int fd)
{
	struct fio_fd_key k = { .pid = pid, .fd = fd };

	bpf_map_delete_elem(&fds, &k);
}

/*
 * An fd this process did not open itself: inherited at fork from an
 * ancestor that did (the same struct file in both tables)? Probe reads up
 * the ancestry even on tp_btf: BTF loads here cost more load time (the
 * verifier, see fio_fd_file_btf) than they save on this rare path.
 */
static __always_inline struct fio_file *fd_inherited(bool btf, __u32 pid, int fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fio_fd_key k = { .pid = pid, .fd = fd };
	struct fio_file *pf = NULL;
	struct file *file;

	for (int i = 0; i < FIO_INHERIT_DEPTH && !pf; i++) {
		struct fio_fd_key pk = { .fd = fd };

		t = BPF_CORE_READ(t, real_parent);
		if (!t)
			return NULL;
		pk.pid = BPF_CORE_READ(t, tgid);
		if (!pk.pid || pk.pid == pid)
			return NULL;
		pf = bpf_map_lookup_elem(&fds, &pk);
	}
	if (!pf)
		return NULL;
	file = fd_file(btf, fd);
	if (!file || pf->file != (__u64)file || pf->inode != file_inode(file))
		return NULL;
	if (bpf_map_update_elem(&fds, &k, pf, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&fds, &k)) {
		ks_lost_inc(KS_LOST_MAPFULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&fds, &k);
}

/* The tracked open file at fd, verified, or NULL */
static __always_inline struct fio_file *fd_lookup(bool btf, __u32 pid, int fd)
{
	struct fio_fd_key k = { .pid = pid, .fd = fd };
	struct fio_file *f = bpf_map_lookup_elem(&fds, &k);
	struct file *file;

	if (!f)
		return fd_inherited(btf, pid, fd);
	file = fd_file(btf, fd);
	if (f->file == (__u64)file && f->inode == file_inode(file))
		return f;
	/* closed without close(2) (exec, close_range, exit) and reused */
	fd_forget(pid, fd);
	return NULL;
}

/*
 * close(2) of a file with I/O: its final sums go to userspace now and the
 * entry is deleted, so the stats map holds the files open with I/O, not
 * every file closed since userspace last looked (which a burst of short
 * opens overflowed: userspace keeps an entry until it has seen it closed
 * twice, one to two seconds). Left to that slow path, which loses nothing:
 * a file with a call still running on it (another thread's read, which
 * holds the file), and every close while the ring is a quarter full (the
 * reader is behind), so these records never take more than that of the
 * room of events that have no other way out (opens): a reader stalled for
 * a burst of short opens loses no more opens than without them.
 * Another fd of the process may still hold the open (dup): its next call
 * makes a new entry, which userspace adds to the same row.
 */
static __always_inline void stat_flush(__u32 pid, __u64 id)
{
	struct fio_stat_key k = { .pid = pid, .id = id };
	struct fio_stat *s = bpf_map_lookup_elem(&stats, &k);
	struct fio_close_event *e;
	struct scratch *sc;
	__u32 n;

	/* io_exit drops inflight after its sums: 0 means they are all in */
	if (!s || s->inflight)
		return;
	if (bpf_ringbuf_query(&ks_events, BPF_RB_AVAIL_DATA) >
	    bpf_ringbuf_query(&ks_events, BPF_RB_RING_SIZE) / 4)
		return;
	sc = get_scratch();
	if (!sc)
		return;
	e = &sc->c;
	__builtin_memset(&e->hdr, 0, sizeof(e->hdr));
	e->hdr.type = FIO_EV_CLOSE;
	__builtin_memcpy(&e->s, s, sizeof(e->s));
	/* the path's own bytes only: the record is a third of the entry's size */
	n = e->s.path_len & (2 * FIO_PATH_MAX - 1);
	if (n > FIO_PATH_MAX)
		n = FIO_PATH_MAX;
	/*
	 * Deleted first: once userspace has the record, the map must not show
	 * the entry any more (it would count it again as a new one).
	 */
	bpf_map_delete_elem(&stats, &k);
	n += offsetof(struct fio_close_event, s.path);
	if (bpf_ringbuf_output(&ks_events, e, n, ks_rb_flags(KS_RB_SPACE(n), false)) &&
	    bpf_map_update_elem(&stats, &k, &e->s, BPF_NOEXIST))
		/* no room after all, and the entry could not go back: lost */
		ks_lost_inc(KS_LOST_RINGBUF);
}

/* close(2): flush the file's sums if it has any, and drop the fd */
static __always_inline void fd_close(__u32 pid, int fd)
{
	struct fio_fd_key k = { .pid = pid, .fd = fd };
	struct fio_file *f = bpf_map_lookup_elem(&fds, &k);

	if (!f)
		return;
	if (f->has_stat)
		stat_flush(pid, f->id);
	bpf_map_delete_elem(&fds, &k);
}

/* The stats entry of (pid, open), made on first use */
static __always_inline struct fio_stat *stat_get(__u32 pid, struct fio_file *f)
{
	struct fio_stat_key k = { .pid = pid, .id = f->id };
	struct fio_stat *s = bpf_map_lookup_elem(&stats, &k);
	struct scratch *sc;

	if (s)
		return s;
	sc = get_scratch();
	if (!sc)
		return NULL;
	__builtin_memset(&sc->s, 0, offsetof(struct fio_stat, comm));
	sc->s.id = f->id;
	sc->s.pid = pid;
	sc->s.truncated = f->truncated;
	sc->s.path_len = f->path_len;
	bpf_get_current_comm(sc->s.comm, sizeof(sc->s.comm));
	__builtin_memcpy(sc->s.path, f->path, FIO_PATH_MAX);
	if (bpf_map_update_elem(&stats, &k, &sc->s, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&stats, &k)) {
		ks_lost_inc(KS_LOST_MAPFULL);
		return NULL;
	}
	f->has_stat = 1;
	return bpf_map_lookup_elem(&stats, &k);
}

#define READ_ONCE(x)     (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))

/*
 * The path of an open file from the kernel's own names for it: its dentries
 * up to the root of its mount, then the mount point's, up to the process's
 * root directory (or the root of the mount tree, for a root not above it):
 * "/a/b/c", as /proc/PID/fd/N spells it, without " (deleted)".
 *
 * For an open whose path cannot be read from the process. The string is
 * read at the syscall's exit, and a page that is not mapped at that moment
 * (being migrated or compacted, collapsed into a huge page, or dropped by
 * the process meanwhile) fails the read, which cannot fault it in: the open
 * had an empty path, and all the I/O of the file went to a row of no name,
 * silently (the churn test lost an open's writes so, once per two loaded
 * VM runs). The file's own name is right, if spelled otherwise than a
 * relative or symlinked path was.
 *
 * Written to sc->path; its length with the NUL, or 0. A file deeper than
 * FIO_NAME_DEPTH steps (names and mounts) or longer than FIO_OPEN_PATH_MAX:
 * its first names are left out, and sc->path_cut says so. A global
 * function, verified once on its own (its loops would multiply the states
 * of every program that inlined it); file is the struct file *.
 */
__noinline long fio_file_path(__u64 file)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct scratch *sc = get_scratch();
	struct mount *m0 = NULL, *mnt, *up;
	struct vfsmount *vfs, *root_mnt;
	struct dentry *d, *parent, *root;
	struct qstr name;
	__u32 pos, len;

	if (!file || !sc)
		return 0;
	d = BPF_CORE_READ((struct file *)file, f_path.dentry);
	mnt = (void *)BPF_CORE_READ((struct file *)file, f_path.mnt) - bpf_core_field_offset(m0->mnt);
	/* the process's root (chroot): names are relative to it, as it opens them */
	WRITE_ONCE(sc->walk_root, (__u64)BPF_CORE_READ(task, fs, root.dentry));
	WRITE_ONCE(sc->walk_root_mnt, (__u64)BPF_CORE_READ(task, fs, root.mnt));
	/*
	 * Built from its end, in sc->tmp. The walk's state goes through the
	 * map: values loaded from it are not tracked exactly, so the walk
	 * makes one verifier state per step, not one per way of getting
	 * there (each mount crossed, each name length: 40000 instructions
	 * verified more at every start; some 230 per step with this, 5 ms
	 * of start-up); the masks bound it.
	 */
	WRITE_ONCE(sc->pos, FIO_OPEN_PATH_MAX - 1);
	WRITE_ONCE(sc->path_cut, 1);
	WRITE_ONCE(sc->walk_d, (__u64)d);
	WRITE_ONCE(sc->walk_mnt, (__u64)mnt);
	sc->tmp[FIO_OPEN_PATH_MAX - 1] = '\0';
	for (int i = 0; i < FIO_NAME_DEPTH; i++) {
		d = (struct dentry *)READ_ONCE(sc->walk_d);
		mnt = (struct mount *)READ_ONCE(sc->walk_mnt);
		vfs = (void *)mnt + bpf_core_field_offset(m0->mnt);
		root = (struct dentry *)READ_ONCE(sc->walk_root);
		root_mnt = (struct vfsmount *)READ_ONCE(sc->walk_root_mnt);
		if (!d || (d == root && vfs == root_mnt))
			goto whole;
		if (d == BPF_CORE_READ(vfs, mnt_root)) {
			/* the root of its mount: on to where that is mounted */
			up = BPF_CORE_READ(mnt, mnt_parent);
			if (!up || up == mnt)
				goto whole;	/* the root of the mount tree */
			WRITE_ONCE(sc->walk_d, (__u64)BPF_CORE_READ(mnt, mnt_mountpoint));
			WRITE_ONCE(sc->walk_mnt, (__u64)up);
			continue;
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (!parent || parent == d)
			goto whole;
		if (bpf_probe_read_kernel(&name, sizeof(name), __builtin_preserve_access_index(&d->d_name)))
			return 0;
		len = name.len & (FIO_PATH_MAX - 1);	/* NAME_MAX 255 */
		pos = READ_ONCE(sc->pos);
		if (pos < len + 2)
			goto cut;	/* too long: its first names are left out */
		pos -= len + 1;
		sc->tmp[pos & (FIO_OPEN_PATH_MAX - 1)] = '/';
		if (bpf_probe_read_kernel(&sc->tmp[(pos + 1) & (FIO_OPEN_PATH_MAX - 1)], len, name.name))
			return 0;
		WRITE_ONCE(sc->pos, pos);
		WRITE_ONCE(sc->walk_d, (__u64)parent);
	}
	goto cut;	/* deeper than that: its first names are left out */
whole:
	WRITE_ONCE(sc->path_cut, 0);
cut:
	pos = READ_ONCE(sc->pos) & (FIO_OPEN_PATH_MAX - 1);
	if (pos == FIO_OPEN_PATH_MAX - 1)
		sc->tmp[--pos] = '/';	/* the root itself */
	len = FIO_OPEN_PATH_MAX - pos;	/* with the NUL */
	if (bpf_probe_read_kernel(sc->path, len & (FIO_OPEN_PATH_MAX - 1), &sc->tmp[pos]))
		return 0;
	return len;
}

/* ---- syscall entry ---------------------------------------------------------------- */

static __always_inline int on_enter(struct sys_args *args, long nr)
{
	bool btf = args->src == SRC_BTF;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	struct fio_call call = {}, *slot;
	struct fio_stat *s = NULL;
	struct fio_file *f;
	__u8 op;

	if ((__u64)nr >= FIO_NR_MAX)
		return 0;
	op = sys_op[nr & (FIO_NR_MAX - 1)];
	if (op == FIO_OP_NONE || pid == self_pid)
		return 0;
	if (compat_syscall(btf)) {
		__u32 zero = 0;
		__u64 *seen;

		if (ks_wanted() && (seen = bpf_map_lookup_elem(&compat_seen, &zero)))
			*seen = 1;
		return 0;
	}
	if (op == FIO_OP_CLOSE) {
		/* the fd is released even when close() fails; no filter: the
		 * entry must go whatever the task has become */
		fd_close(pid, (int)sys_arg(args, 0));
		return 0;
	}
	if (!ks_wanted())
		return 0;
	call.op = op;
	switch (op) {
	case FIO_OP_OPEN:
		call.arg[0] = sys_arg(args, 0);
		call.arg[1] = sys_arg(args, 1);
		call.arg[2] = sys_arg(args, 2);
		call.fd = FIO_AT_FDCWD;
		break;
	case FIO_OP_CREAT:
		call.arg[0] = sys_arg(args, 0);
		call.arg[2] = sys_arg(args, 1);
		call.fd = FIO_AT_FDCWD;
		break;
	case FIO_OP_OPENAT:
	case FIO_OP_OPENAT2:
		call.fd = (int)sys_arg(args, 0);
		call.arg[0] = sys_arg(args, 1);
		call.arg[1] = sys_arg(args, 2);	/* openat2: struct open_how * */
		call.arg[2] = sys_arg(args, 3);
		break;
	case FIO_OP_FCNTL: {
		__u64 cmd = sys_arg(args, 1);

		if (cmd != FIO_F_DUPFD && cmd != FIO_F_DUPFD_CLOEXEC)
			return 0;
		call.fd = (int)sys_arg(args, 0);
		break;
	}
	case FIO_OP_DUP:
	case FIO_OP_DUP2:
	case FIO_OP_DUP3:
		call.fd = (int)sys_arg(args, 0);
		break;
	default:	/* read, write, fsync and their variants */
		call.fd = (int)sys_arg(args, 0);
		f = fd_lookup(btf, pid, call.fd);
		/*
		 * not a file we saw opened: per file it has no row (no path);
		 * per owner it counts if it is a file (opened before tracing)
		 */
		if (!f && (by_owner == FIO_BY_FILE || !fd_is_file(btf, call.fd)))
			return 0;
		if (by_owner == FIO_BY_FILE && !(s = stat_get(pid, f)))
			return 0;
		/* the cgroup the task makes the call in (a write to cgroup.procs
		 * moves it before it returns) */
		if (by_owner == FIO_BY_CGROUP)
			call.arg[1] = ks_current_cgroup_id();
		else if (by_owner == FIO_BY_PROCESS)
			call.arg[1] = pid;
		call.id = f ? f->id : 0;
		if (op == FIO_OP_READ || op == FIO_OP_WRITE ||
		    op == FIO_OP_PREAD64 || op == FIO_OP_PWRITE64)
			call.arg[0] = sys_arg(args, 2);
	}
	call.ts = bpf_ktime_get_ns();
	slot = ks_task_slot(&calls, true, &call);
	if (!slot)
		return 0;	/* counted */
	/* a call still there (not this one: a new LRU slot is made from it) */
	if (slot->op && slot->ts != call.ts)
		ks_missed_exit(slot->ts);
	*slot = call;
	/* userspace keeps the entry while a call runs on it */
	if (s)
		__sync_fetch_and_add(&s->inflight, 1);
	return 0;
}

/* ---- syscall exit ------------------------------------------------------------------- */

static __always_inline void open_exit(bool btf, __u32 pid, struct fio_call *call, long ret)
{
	struct scratch *sc = get_scratch();
	struct fio_open_event *e;
	struct fio_file *f;
	bool emit, name_only, cut = false;
	long len;
	__u32 n;

	if (!sc)
		return;
	e = &sc->e;
	f = &sc->f;
	if (call->op == FIO_OP_OPENAT2) {
		struct open_how how = {};

		bpf_probe_read_user(&how, sizeof(how), (void *)call->arg[1]);
		call->arg[1] = how.flags;
		call->arg[2] = how.mode;
	}
	/*
	 * At exit the kernel has just read the string: its page is in memory,
	 * but it may not be mapped at this moment (see fio_file_path), and this
	 * read cannot wait for it. A file that opened is named by the kernel
	 * then: its I/O must not go to a row of no name.
	 */
	len = bpf_probe_read_user_str(sc->path, FIO_OPEN_PATH_MAX, (void *)call->arg[0]);
	if (len < 1 && ret >= 0) {
		len = fio_file_path((__u64)fd_file(btf, ret));
		cut = len > 0 && sc->path_cut;
	}
	if (len < 1) {
		sc->path[0] = '\0';
		len = 1;
	}
	/* bounded twice: clang may fold a single clamp the verifier needs */
	n = len & (2 * FIO_OPEN_PATH_MAX - 1);
	if (n > FIO_OPEN_PATH_MAX)
		n = FIO_OPEN_PATH_MAX;

	e->id = ret >= 0 ? new_id() : 0;
	if (ret >= 0 && track_fds) {
		struct fio_fd_key k = { .pid = pid, .fd = ret };
		struct file *file = fd_file(btf, ret);

		f->id = e->id;
		f->file = (__u64)file;
		f->inode = file_inode(file);
		f->flags = call->arg[1];
		f->truncated = n > FIO_PATH_MAX || cut;
		f->path_len = n > FIO_PATH_MAX ? FIO_PATH_MAX : n;
		f->has_stat = 0;
		__builtin_memcpy(f->path, sc->path, FIO_PATH_MAX);
		f->path[FIO_PATH_MAX - 1] = '\0';
		/* replaces an entry left at this fd (closed behind our back) */
		if (bpf_map_update_elem(&fds, &k, f, BPF_ANY))
			ks_lost_inc(KS_LOST_MAPFULL);
	}
	emit = emit_opens && (!failed_only || ret < 0);
	/* a path longer than the maps keep: the per-file summary learns it in full here */
	name_only = !emit && track_fds && by_owner == FIO_BY_FILE && ret >= 0 && n > FIO_PATH_MAX;
	if (!emit && !name_only)
		return;
	ks_fill_hdr_btf(&e->hdr, FIO_EV_OPEN, btf);
	if (name_only)
		e->hdr.flags |= FIO_F_NAME_ONLY;
	if (len >= FIO_OPEN_PATH_MAX || cut)
		e->hdr.flags |= FIO_F_PATH_CUT;
	e->ret = ret;
	e->flags = call->op == FIO_OP_CREAT ? 0 : call->arg[1];
	e->mode = call->arg[2];
	e->dfd = call->fd;
	e->op = call->op;
	e->pad = 0;
	e->path_len = n;
	e->pad2 = 0;
	ks_output(e, sizeof(*e) + n);
}

static __always_inline void slow_event(struct fio_call *call, struct fio_stat *s, long ret,
				       __u64 lat)
{
	struct fio_slow_event *e = ks_reserve(sizeof(*e));

	if (!e)
		return;
	ks_fill_hdr(&e->hdr, FIO_EV_SLOW);
	if (s->truncated)
		e->hdr.flags |= FIO_F_MAP_CUT;
	e->latency_ns = lat;
	e->ret = ret;
	e->id = call->id;
	e->count = call->arg[0];
	e->fd = call->fd;
	e->op = call->op;
	e->pad = 0;
	e->path_len = s->path_len;
	__builtin_memcpy(e->path, s->path, FIO_PATH_MAX);
	ks_submit(e);
}

/* -ERESTARTSYS and friends: the call is restarted, or becomes -EINTR */
static __always_inline bool restarting(long ret)
{
	return ret <= -512 && ret >= -516;
}

/* A call returned: its sums into an open file's or an owner's counters */
static __always_inline void count_call(struct fio_counts *c, __u8 op, long ret, __u64 lat)
{
	if (ret < 0) {
		if (!restarting(ret))
			__sync_fetch_and_add(&c->errors, 1);
	} else if (FIO_IS_READ(op)) {
		__sync_fetch_and_add(&c->reads, 1);
		__sync_fetch_and_add(&c->read_bytes, ret);
		__sync_fetch_and_add(&c->read_ns, lat);
	} else if (FIO_IS_WRITE(op)) {
		__sync_fetch_and_add(&c->writes, 1);
		__sync_fetch_and_add(&c->write_bytes, ret);
		__sync_fetch_and_add(&c->write_ns, lat);
	} else {
		__sync_fetch_and_add(&c->fsyncs, 1);
		__sync_fetch_and_add(&c->fsync_ns, lat);
	}
}

/*
 * --by: the call's sums go to its owner's entry (made at its first call),
 * exactly as io_exit counts them per file. No call-in-flight count: the
 * entry is never final while its owner lives.
 */
static __always_inline void owner_exit(struct fio_call *call, long ret, __u64 lat)
{
	__u64 owner = call->arg[1];
	struct fio_owner_stat *s = bpf_map_lookup_elem(&owners, &owner);
	__u8 op = call->op;

	if (!s) {
		struct fio_owner_stat zero = {};

		if (by_owner == FIO_BY_PROCESS)
			bpf_get_current_comm(zero.comm, sizeof(zero.comm));
		s = ks_map_get(&owners, &owner, &zero);
		if (!s)
			return;
	}
	count_call((struct fio_counts *)s, op, ret, lat);
}

static __always_inline void io_exit(__u32 pid, struct fio_call *call, long ret, __u64 lat)
{
	struct fio_stat_key k = { .pid = pid, .id = call->id };
	struct fio_stat *s = bpf_map_lookup_elem(&stats, &k);
	bool entered = s != NULL;	/* and counted in inflight at entry */
	__u8 op = call->op;

	if (!s) {
		/*
		 * Deleted while the call ran: its process taken for gone, or
		 * flushed by a close(2) on another thread between this call's
		 * look-up and its inflight count. Made again from the fd if it
		 * is still there; else this call cannot be counted: said so.
		 */
		struct fio_fd_key fk = { .pid = pid, .fd = call->fd };
		struct fio_file *f = bpf_map_lookup_elem(&fds, &fk);

		if (!f || f->id != call->id || !(s = stat_get(pid, f))) {
			if (!f || f->id != call->id)
				ks_lost_inc(KS_LOST_MAPFULL);
			return;
		}
	}
	count_call((struct fio_counts *)s, op, ret, lat);
	if (emit_slow && lat >= slow_ns)
		slow_event(call, s, ret, lat);
	/* last: a close that sees no call in flight sends sums with this one in */
	if (entered && s->inflight)
		__sync_fetch_and_add(&s->inflight, -1);
}

static __always_inline void dup_exit(__u32 pid, struct fio_call *call, long ret)
{
	struct fio_fd_key ok = { .pid = pid, .fd = call->fd }, nk = { .pid = pid, .fd = ret };
	struct fio_file *f;

	if (ret < 0 || ret == call->fd)
		return;
	/* dup2/dup3 onto an open fd closed it first: its entry goes */
	f = bpf_map_lookup_elem(&fds, &ok);
	if (!f)
		fd_forget(pid, ret);
	else if (bpf_map_update_elem(&fds, &nk, f, BPF_ANY))
		ks_lost_inc(KS_LOST_MAPFULL);
}

static __always_inline int on_exit(bool btf, long nr, long ret)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct fio_call *c, call;
	__u8 op;

	if ((__u64)nr >= FIO_NR_MAX)
		return 0;
	op = sys_op[nr & (FIO_NR_MAX - 1)];
	if (op == FIO_OP_NONE || op == FIO_OP_CLOSE)
		return 0;
	c = ks_task_slot(&calls, false, NULL);
	if (!c || !c->op)
		return 0;
	call = *c;
	c->op = FIO_OP_NONE;	/* done with it */
	if (call.op != op) {
		/* this call's entry was not kept (an fd not followed): the one
		 * kept never exited, as far as the probes saw */
		ks_missed_exit(call.ts);
		return 0;
	}
	if (FIO_IS_OPEN(op))
		open_exit(btf, pid, &call, ret);
	else if (FIO_IS_DUP(op))
		dup_exit(pid, &call, ret);
	else if (by_owner != FIO_BY_FILE)
		owner_exit(&call, ret, bpf_ktime_get_ns() - call.ts);
	else
		io_exit(pid, &call, ret, bpf_ktime_get_ns() - call.ts);
	return 0;
}

/* ---- the programs: one logical probe each for entry and exit ---------------------- */

SEC("tp_btf/sys_enter")
int BPF_PROG(fio_enter_btf, struct pt_regs *regs, long nr)
{
	struct sys_args args = { .src = SRC_BTF, .a = {
		PT_REGS_PARM1_SYSCALL(regs), PT_REGS_PARM2_SYSCALL(regs),
		PT_REGS_PARM3_SYSCALL(regs), PT_REGS_PARM4_SYSCALL(regs) } };

	return on_enter(&args, nr);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(fio_enter_raw, struct pt_regs *regs, long nr)
{
	struct sys_args args = { .src = SRC_RAW, .regs = regs };

	return on_enter(&args, nr);
}

SEC("tracepoint/raw_syscalls/sys_enter")
int fio_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	struct sys_args args = { .src = SRC_TP, .a = {
		ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3] } };

	return on_enter(&args, ctx->id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(fio_exit_btf, struct pt_regs *regs, long ret)
{
	return on_exit(true, regs_nr(true, regs), ret);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(fio_exit_raw, struct pt_regs *regs, long ret)
{
	return on_exit(false, regs_nr(false, regs), ret);
}

SEC("tracepoint/raw_syscalls/sys_exit")
int fio_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(false, ctx->id, ctx->ret);
}

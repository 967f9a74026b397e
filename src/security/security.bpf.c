// SPDX-License-Identifier: GPL-2.0
/*
 * kscope security: capability checks with their verdict, and privilege
 * changes, in one stream (or counted, --summary).
 *
 *   cap_capable (6.14+)       a capability check and its verdict (the
 *                             tracepoint); before, fexit or a kretprobe on
 *                             cap_capable(), which also have the audit flag
 *   syscalls:sys_enter_NAME,  the watched syscalls (setuid family, capset,
 *   syscalls:sys_exit_NAME    execve, ptrace, bpf, module loads, mounts,
 *                             unshare, setns): one program for every enter
 *                             and one for every exit, which userspace
 *                             attaches to each syscall's own tracepoints,
 *                             so no other syscall runs a program
 *   sys_exit (raw_syscalls)   only for a watched syscall without
 *                             tracepoints (the module syscalls of a kernel
 *                             built without modules: their attempts are
 *                             still seen): a byte of rodata per syscall
 *                             number says which, and the call is taken
 *                             whole at its exit (its arguments are still in
 *                             its registers)
 *   sched_process_exec        an exec of a set-uid or set-gid file, with
 *                             the credentials before (seen at execve's
 *                             entry) and after
 *
 * Everything is filtered in the kernel before a ring buffer record is
 * reserved: the common filters, --kind (what userspace puts in sec_op),
 * --cap, --denied, and for capability grants the (process, capability)
 * pairs already shown.
 */
#include "../engine/kscope.bpf.h"
#include "security.h"

const volatile __u8 sec_op[SEC_NR_SLOTS];   /* enum sec_op per syscall number */
const volatile __u8 sec_raw[SEC_NR_SLOTS];  /* 1: a watched syscall without tracepoints */
const volatile __u64 cap_mask;              /* --cap: the capabilities shown; 0 all */
const volatile __u8 denied_only;            /* --denied */
const volatile __u8 cap_mode = SEC_CAPS_FIRST;
const volatile __u8 summary;                /* --summary: count, emit nothing */
const volatile __u8 by = SEC_BY_PROCESS;
const volatile __u8 bpf_all;                /* --all: bpf()'s data commands too */
const volatile __u32 self_tgid;             /* kscope itself: never shown */

/* Set by userspace once every probe is attached */
volatile __u8 counting;

/* --summary: per (owner, kind, name), per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SEC_MAX_KEYS);
	__type(key, struct sec_key);
	__type(value, struct sec_count);
} counts SEC(".maps");

/* --summary --by process: a process's name when its first row was made */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SEC_MAX_KEYS);
	__type(key, __u64);
	__type(value, char[KS_COMM_LEN]);
} comms SEC(".maps");

/* (tgid << 32 | capability) pairs shown already: their later grants are not */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SEC_SEEN_MAX);
	__type(key, __u64);
	__type(value, __u8);
} seen SEC(".maps");

KS_TASK_SLOTS(tasks, struct sec_task);

/* Never written: the zero a new slot starts from (too large for the stack) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sec_task);
} task_zero SEC(".maps");

static __always_inline struct sec_task *slot(bool create)
{
	__u32 zero = 0;
	void *z = NULL;

	/* only the LRU hash (no task storage) makes a slot from a value */
	if (create && !ks_cfg.task_storage) {
		z = bpf_map_lookup_elem(&task_zero, &zero);
		if (!z)
			return NULL;
	}
	return ks_task_slot(&tasks, create, z);
}

/* The current task is kscope itself, or filtered out */
static __always_inline bool unwanted(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == self_tgid || !ks_wanted();
}

/* ---- counting (--summary) -------------------------------------------------------- */

static __always_inline void count(__u16 kind, __u16 name, bool failed)
{
	struct sec_key k = { .kind = kind, .name = name };
	struct sec_count *c, zero = {};

	k.owner = by == SEC_BY_CGROUP ? ks_current_cgroup_id() :
					 bpf_get_current_pid_tgid() >> 32;
	c = bpf_map_lookup_elem(&counts, &k);
	if (!c) {
		bpf_map_update_elem(&counts, &k, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&counts, &k);
		if (!c) {
			ks_lost_inc(KS_LOST_MAPFULL);
			return;
		}
		if (by == SEC_BY_PROCESS) {
			char comm[KS_COMM_LEN] = {};	/* the helper pads only since 6.3-ish */

			bpf_get_current_comm(comm, sizeof(comm));
			bpf_map_update_elem(&comms, &k.owner, comm, BPF_ANY);
		}
	}
	c->count++;	/* per-CPU: no atomics */
	if (failed)
		c->failed++;
}

/* ---- credentials ------------------------------------------------------------------- */

static __always_inline void read_creds(const struct cred *c, struct sec_creds *o)
{
	o->uid = BPF_CORE_READ(c, uid.val);
	o->euid = BPF_CORE_READ(c, euid.val);
	o->suid = BPF_CORE_READ(c, suid.val);
	o->fsuid = BPF_CORE_READ(c, fsuid.val);
	o->gid = BPF_CORE_READ(c, gid.val);
	o->egid = BPF_CORE_READ(c, egid.val);
	o->sgid = BPF_CORE_READ(c, sgid.val);
	o->fsgid = BPF_CORE_READ(c, fsgid.val);
	/* kernel_cap_t: a u64 since 6.3, two u32 (low first) before: the same 8 bytes */
	bpf_core_read(&o->cap_effective, sizeof(o->cap_effective), &c->cap_effective);
	bpf_core_read(&o->cap_permitted, sizeof(o->cap_permitted), &c->cap_permitted);
}

static __always_inline void current_creds(struct sec_creds *o)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	read_creds(BPF_CORE_READ(t, cred), o);
}

/* ---- capability checks --------------------------------------------------------------- */

/* The syscall the current task is in (its user registers say), or -1 */
static __always_inline int current_syscall(void)
{
	struct task_struct *t;
	struct pt_regs *regs;

	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return -1;	/* before 5.15 */
	t = bpf_get_current_task_btf();
	if (BPF_CORE_READ(t, flags) & 0x00200000)	/* PF_KTHREAD: no user registers */
		return -1;
	if (ks_task_is_compat(t))
		return -1;	/* another table's number */
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	return KS_REGS_SYSCALL_NR(regs);
}

/* A check of cap against user namespace ns for credentials cred: ret 0 granted */
static __always_inline void on_cap(const struct cred *cred, const struct user_namespace *ns,
				   __u32 cap, int ret, __u8 audit)
{
	struct sec_cap_event *e;
	__u32 tgid;

	if (!counting || cap >= SEC_CAP_MAX)
		return;
	if (cap_mask && !(cap_mask & (1ull << cap)))
		return;
	if (denied_only && !ret)
		return;
	if (unwanted())
		return;
	if (summary) {
		count(SEC_K_CAP, cap, ret != 0);
		return;
	}
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (cap_mode == SEC_CAPS_UNIQUE || (cap_mode == SEC_CAPS_FIRST && !ret)) {
		__u64 key = (__u64)tgid << 32 | cap;
		__u8 one = 1;

		/* the common case, a grant shown already: one lookup */
		if (bpf_map_lookup_elem(&seen, &key))
			return;
		/* made meanwhile on another CPU: that one is shown (any other
		 * failure: this one is shown, and the next may be too) */
		if (bpf_map_update_elem(&seen, &key, &one, BPF_NOEXIST) &&
		    bpf_map_lookup_elem(&seen, &key))
			return;
	}
	e = ks_reserve(sizeof(*e));
	if (!e)
		return;
	ks_fill_hdr(&e->hdr, SEC_EV_CAP);
	e->cap = cap;
	e->ret = ret;
	e->euid = BPF_CORE_READ(cred, euid.val);
	e->userns_level = BPF_CORE_READ(ns, level);
	e->userns_inum = BPF_CORE_READ(ns, ns.inum);
	e->syscall_nr = current_syscall();
	e->audit = audit;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	ks_submit(e);
}

SEC("tp_btf/cap_capable")
int BPF_PROG(sec_cap_btf, const struct cred *cred, struct user_namespace *target_ns,
	     const struct user_namespace *capable_ns, int cap, int ret)
{
	on_cap(cred, target_ns, cap, ret, SEC_AUDIT_UNKNOWN);
	return 0;
}

SEC("raw_tp/cap_capable")
int BPF_PROG(sec_cap_raw, const struct cred *cred, struct user_namespace *target_ns,
	     const struct user_namespace *capable_ns, int cap, int ret)
{
	on_cap(cred, target_ns, cap, ret, SEC_AUDIT_UNKNOWN);
	return 0;
}

/* capability:cap_capable's record (not in every vmlinux.h: 6.14+) */
struct sec_cap_record {
	__u64 common;
	const struct cred *cred;
	struct user_namespace *target_ns;
	const struct user_namespace *capable_ns;
	int cap;
	int ret;
};

SEC("tracepoint/capability/cap_capable")
int sec_cap_tp(struct sec_cap_record *ctx)
{
	on_cap(ctx->cred, ctx->target_ns, ctx->cap, ctx->ret, SEC_AUDIT_UNKNOWN);
	return 0;
}

/* cap_capable(cred, ns, cap, opts): opts has CAP_OPT_NOAUDIT (bit 1) since 5.1 */
static __always_inline __u8 audit_of(unsigned int opts)
{
	return opts & 2 ? SEC_AUDIT_NO : SEC_AUDIT_YES;
}

SEC("fexit/cap_capable")
int BPF_PROG(sec_cap_fexit, const struct cred *cred, struct user_namespace *ns, int cap,
	     unsigned int opts, int ret)
{
	on_cap(cred, ns, cap, ret, audit_of(opts));
	return 0;
}

/* A kprobe keeps the arguments for the kretprobe; filtered first, it keeps few */
SEC("kprobe/cap_capable")
int BPF_KPROBE(sec_cap_kprobe, const struct cred *cred, struct user_namespace *ns, int cap,
	       unsigned int opts)
{
	struct sec_task *s;

	if (!counting || (__u32)cap >= SEC_CAP_MAX)
		return 0;
	if (cap_mask && !(cap_mask & (1ull << cap)))
		return 0;
	if (unwanted())
		return 0;
	s = slot(true);
	if (!s)
		return 0;
	s->cap_cred = (__u64)cred;
	s->cap_ns = (__u64)ns;
	s->cap = cap;
	s->cap_opts = opts;
	s->cap_pending = 1;
	return 0;
}

SEC("kretprobe/cap_capable")
int BPF_KRETPROBE(sec_cap_kretprobe, int ret)
{
	struct sec_task *s = slot(false);

	if (!s || !s->cap_pending)
		return 0;
	s->cap_pending = 0;
	on_cap((const struct cred *)s->cap_cred, (const struct user_namespace *)s->cap_ns,
	       s->cap, ret, audit_of(s->cap_opts));
	return 0;
}

/* ---- privilege syscalls ---------------------------------------------------------------- */

/* The enum sec_op of syscall nr; 0 for any other (or a negative id) */
static __always_inline __u8 op_of(long id)
{
	__u32 nr = id;

	if (nr >= SEC_NR_SLOTS)
		return SEC_OP_NONE;
	barrier_var(nr);
	return sec_op[nr & (SEC_NR_SLOTS - 1)];
}

/* bpf() commands (uapi enum bpf_cmd) */
#define SEC_BPF_MAP_CREATE 0
#define SEC_BPF_PROG_LOAD  5

/*
 * The commands that create, load, attach or pin (shown); the others read or
 * write maps, walk ids and query (--all shows them too): every BPF tool
 * makes thousands of those.
 */
static __always_inline bool bpf_cmd_shown(__u64 cmd)
{
	switch (cmd) {
	case 0:  /* MAP_CREATE */
	case 5:  /* PROG_LOAD */
	case 6:  /* OBJ_PIN */
	case 7:  /* OBJ_GET */
	case 8:  /* PROG_ATTACH */
	case 9:  /* PROG_DETACH */
	case 17: /* RAW_TRACEPOINT_OPEN */
	case 18: /* BTF_LOAD */
	case 28: /* LINK_CREATE */
	case 29: /* LINK_UPDATE */
	case 32: /* ENABLE_STATS */
	case 33: /* ITER_CREATE */
	case 34: /* LINK_DETACH */
	case 35: /* PROG_BIND_MAP */
	case 36: /* TOKEN_CREATE */
		return true;
	}
	return false;
}

/* A user string into buf (n bytes); cut: the flag to set if it filled buf */
static __always_inline void user_str(struct sec_task *s, char *buf, __u32 n, __u64 uptr,
				     __u16 cut)
{
	long len;

	if (!uptr)
		return;
	len = bpf_probe_read_user_str(buf, n, (const void *)uptr);
	if (len == n)
		s->flags |= cut;
}

/* bpf(): the program's or the map's type, size and name, from the caller's attribute */
static __always_inline void bpf_attr_read(struct sec_task *s)
{
	__u64 cmd = s->args[0], uattr = s->args[1], size = s->args[2];
	__u32 v[2];

	/* union bpf_attr: prog_type, insn_cnt @0, prog_name @48; map_type @0, map_name @28 */
	if (cmd == SEC_BPF_PROG_LOAD && size >= 64) {
		if (bpf_probe_read_user(v, sizeof(v), (const void *)uattr) ||
		    bpf_probe_read_user(s->attr_name, SEC_NAME, (const void *)(uattr + 48)))
			return;
	} else if (cmd == SEC_BPF_MAP_CREATE && size >= 44) {
		if (bpf_probe_read_user(v, sizeof(v), (const void *)uattr) ||
		    bpf_probe_read_user(s->attr_name, SEC_NAME, (const void *)(uattr + 28)))
			return;
		v[1] = 0;	/* key_size: not a count */
	} else {
		return;
	}
	s->attr_type = v[0];
	s->attr_count = v[1];
	s->flags |= SEC_F_ATTR;
}

/* What the exit needs from the entry: the user memory the call reads, old credentials */
static __always_inline void enter_op(struct sec_task *s, __u8 op)
{
	__u64 *a = s->args;

	switch (op) {
	case SEC_OP_BPF:
		bpf_attr_read(s);
		break;
	case SEC_OP_DELETE_MODULE:
		user_str(s, s->str[0], SEC_STR, a[0], SEC_F_STR0_CUT);
		break;
	case SEC_OP_INIT_MODULE:	/* (image, len, params) */
		user_str(s, s->str[1], SEC_STR, a[2], SEC_F_STR1_CUT);
		break;
	case SEC_OP_FINIT_MODULE:	/* (fd, params, flags) */
		user_str(s, s->str[1], SEC_STR, a[1], SEC_F_STR1_CUT);
		break;
	case SEC_OP_MOUNT:		/* (source, target, fstype, flags, data) */
		user_str(s, s->str[0], SEC_STR, a[0], SEC_F_STR0_CUT);
		user_str(s, s->str[1], SEC_STR, a[1], SEC_F_STR1_CUT);
		user_str(s, s->fstype, SEC_FSTYPE, a[2], 0);
		break;
	case SEC_OP_UMOUNT:		/* (target, flags) */
		user_str(s, s->str[1], SEC_STR, a[0], SEC_F_STR1_CUT);
		break;
	case SEC_OP_FSOPEN:		/* (fstype, flags) */
		user_str(s, s->fstype, SEC_FSTYPE, a[0], 0);
		break;
	case SEC_OP_FSPICK:		/* (dfd, path, flags) */
	case SEC_OP_MOUNT_SETATTR:	/* (dfd, path, flags, attr, size) */
		user_str(s, s->str[1], SEC_STR, a[1], SEC_F_STR1_CUT);
		break;
	case SEC_OP_OPEN_TREE:		/* (dfd, path, flags) */
		user_str(s, s->str[0], SEC_STR, a[1], SEC_F_STR0_CUT);
		break;
	case SEC_OP_MOVE_MOUNT:		/* (from_dfd, from_path, to_dfd, to_path, flags) */
		user_str(s, s->str[0], SEC_STR, a[1], SEC_F_STR0_CUT);
		user_str(s, s->str[1], SEC_STR, a[3], SEC_F_STR1_CUT);
		break;
	}
}

/*
 * A call's slot from its arguments (s->args, set): the rest cleared, the
 * credentials before (old: known; else left unknown), the user memory the
 * call reads
 */
static __always_inline void call_begin(struct sec_task *s, long id, __u8 op, bool old)
{
	s->nr = id;
	s->flags = 0;
	s->attr_type = s->attr_count = 0;
	s->attr_name[0] = 0;
	s->fstype[0] = 0;
	s->str[0][0] = s->str[1][0] = 0;
	if (old) {
		current_creds(&s->old_creds);
		s->flags = SEC_F_OLD;
	} else {
		__builtin_memset(&s->old_creds, 0, sizeof(s->old_creds));
	}
	enter_op(s, op);
}

/* A watched syscall's entry (its tracepoint's record: the number and the arguments) */
static __always_inline void on_sys_enter(long id, const __u64 *args)
{
	__u8 op = op_of(id);
	struct sec_task *s;

	if (op == SEC_OP_NONE || !counting)
		return;
	if (op == SEC_OP_BPF && !bpf_all && !bpf_cmd_shown(args[0]))
		return;
	if (unwanted())
		return;
	s = slot(true);
	if (!s)
		return;
	for (int i = 0; i < 5; i++)
		s->args[i] = args[i];
	call_begin(s, id, op, true);
	s->op = op;	/* last: the call is in flight */
}

/* The summary's name of an event: a ptrace request, a bpf command, else the op */
static __always_inline __u16 event_name(__u8 op, const __u64 *args)
{
	return op == SEC_OP_PTRACE || op == SEC_OP_BPF ? (__u16)args[0] : op;
}

/* A privilege event from a slot (its entry), now */
static __always_inline void emit_event(struct sec_task *s, __u8 op, long ret)
{
	struct sec_event *e = ks_reserve(sizeof(*e));

	if (!e)
		return;
	ks_fill_hdr(&e->hdr, SEC_EV_PRIV);
	for (int i = 0; i < 5; i++)
		e->args[i] = s->args[i];
	e->ret = ret;
	e->old_creds = s->old_creds;
	current_creds(&e->new_creds);
	e->op = op;
	e->flags = s->flags;
	e->nr = s->nr;
	e->attr_type = s->attr_type;
	e->attr_count = s->attr_count;
	e->file_uid = e->file_gid = e->file_mode = e->pad = 0;
	bpf_probe_read_kernel(e->attr_name, sizeof(e->attr_name), s->attr_name);
	bpf_probe_read_kernel(e->fstype, sizeof(e->fstype), s->fstype);
	bpf_probe_read_kernel(e->str, sizeof(e->str), s->str);
	ks_submit(e);
}

static __always_inline void on_sys_exit(long id, long ret)
{
	struct sec_task *s;
	bool failed;
	__u8 op;

	if (op_of(id) == SEC_OP_NONE)
		return;
	s = slot(false);
	if (!s || !s->op)
		return;
	op = s->op;
	s->op = SEC_OP_NONE;
	/* an exec is reported at sched_process_exec, and only of a set-id file */
	if (op == SEC_OP_EXECVE || op == SEC_OP_EXECVEAT)
		return;
	/* setfsuid() and setfsgid() return the old id, never an error */
	failed = ret < 0 && ret >= -4095 && op != SEC_OP_SETFSUID && op != SEC_OP_SETFSGID;
	if (denied_only && !failed)
		return;
	if (summary) {
		count(sec_op_kind(op), event_name(op, s->args), failed);
		return;
	}
	emit_event(s, op, ret);
}

/* syscalls:sys_enter_NAME and sys_exit_NAME: every syscall's record has this layout */
struct sec_scall_enter_rec {
	__u64 common;
	int nr;
	int pad;
	__u64 args[6];
};

struct sec_scall_exit_rec {
	__u64 common;
	int nr;
	int pad;
	long ret;
};

/*
 * Attached by userspace to each watched syscall's sys_enter_NAME (aux
 * programs): one per argument count, as the kernel refuses to attach a
 * program that may read past the tracepoint's record (its args[N - 1] is
 * its last).
 */
#define SCALL_ENTER(n)								\
	SEC("tracepoint")							\
	int sec_scall_enter##n(struct sec_scall_enter_rec *ctx)			\
	{									\
		__u64 args[5] = {};						\
										\
		for (int i = 0; i < (n); i++)					\
			args[i] = ctx->args[i];					\
		on_sys_enter(ctx->nr, args);					\
		return 0;							\
	}

SCALL_ENTER(1)
SCALL_ENTER(2)
SCALL_ENTER(3)
SCALL_ENTER(4)
SCALL_ENTER(5)

SEC("tracepoint")
int sec_scall_exit(struct sec_scall_exit_rec *ctx)
{
	on_sys_exit(ctx->nr, ctx->ret);
	return 0;
}

/*
 * A watched syscall without tracepoints, whole at its exit (raw_syscalls):
 * its arguments are still in its registers (x86: all but rax; arm64:
 * orig_x0 and x1-x5), the user memory they point to too. Its credentials
 * before are known only for the calls that cannot change them.
 */
static __always_inline void on_raw_exit(long id, struct pt_regs *regs, long ret)
{
	__u32 nr = id;
	struct sec_task *s;
	bool failed;
	__u8 op;

	if (nr >= SEC_NR_SLOTS)
		return;
	barrier_var(nr);
	if (!sec_raw[nr & (SEC_NR_SLOTS - 1)])
		return;
	op = sec_op[nr & (SEC_NR_SLOTS - 1)];
	/* an exec is reported at sched_process_exec */
	if (op == SEC_OP_NONE || op == SEC_OP_EXECVE || op == SEC_OP_EXECVEAT || !counting)
		return;
	if (unwanted())
		return;
	if (ks_cfg.task_storage && ks_task_is_compat(bpf_get_current_task_btf()))
		return;
	if (!regs && bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	s = slot(true);		/* scratch for the user memory read */
	if (!s)
		return;
	__builtin_memset(s->args, 0, sizeof(s->args));
	if (regs) {
		s->args[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
		s->args[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
		s->args[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
		s->args[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
		s->args[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
	}
	if (op == SEC_OP_BPF && !bpf_all && !bpf_cmd_shown(s->args[0]))
		return;
	/* the credentials before: the call's own if it cannot change them */
	call_begin(s, id, op, sec_op_kind(op) != SEC_K_SETID);
	s->op = SEC_OP_NONE;
	failed = ret < 0 && ret >= -4095 && op != SEC_OP_SETFSUID && op != SEC_OP_SETFSGID;
	if (denied_only && !failed)
		return;
	if (summary) {
		count(sec_op_kind(op), event_name(op, s->args), failed);
		return;
	}
	emit_event(s, op, ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sec_sys_exit_btf, struct pt_regs *regs, long ret)
{
	on_raw_exit(KS_REGS_SYSCALL_NR(regs), regs, ret);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sec_sys_exit_raw, struct pt_regs *regs, long ret)
{
	on_raw_exit(KS_REGS_SYSCALL_NR(regs), regs, ret);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int sec_sys_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	on_raw_exit(ctx->id, NULL, ctx->ret);
	return 0;
}

/* ---- execs of set-uid and set-gid files ------------------------------------------- */

#define SEC_S_ISUID 04000
#define SEC_S_ISGID 02000
#define SEC_S_IXGRP 00010

/* filename: a kernel string (bprm's), or NULL and loc the tracepoint's __data_loc */
static __always_inline void on_exec(const char *filename, void *tp_ctx, __u32 loc)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct inode *ino = BPF_CORE_READ(t, mm, exe_file, f_inode);
	struct sec_task *s;
	struct sec_event *e;
	__u32 mode;

	if (!counting || !ino)
		return;
	mode = BPF_CORE_READ(ino, i_mode);
	/* set-gid without group execute is mandatory locking, not set-gid */
	if (!(mode & SEC_S_ISUID) && !((mode & SEC_S_ISGID) && (mode & SEC_S_IXGRP)))
		return;
	if (unwanted())
		return;
	s = slot(false);
	if (s && s->op != SEC_OP_EXECVE && s->op != SEC_OP_EXECVEAT)
		s = NULL;
	if (summary) {
		count(SEC_K_EXEC, s ? s->op : SEC_OP_EXECVE, false);
		if (s)
			s->op = SEC_OP_NONE;
		return;
	}
	e = ks_reserve(sizeof(*e));
	if (!e)
		return;
	ks_fill_hdr(&e->hdr, SEC_EV_PRIV);
	__builtin_memset(&e->args, 0, offsetof(struct sec_event, str) - sizeof(e->hdr));
	if (s) {
		for (int i = 0; i < 5; i++)
			e->args[i] = s->args[i];
		e->old_creds = s->old_creds;
		e->op = s->op;
		e->nr = s->nr;
		e->flags = SEC_F_OLD;
		s->op = SEC_OP_NONE;	/* its exit has nothing more to say */
	} else {
		e->op = SEC_OP_EXECVE;	/* its entry was not seen (before kscope started) */
	}
	current_creds(&e->new_creds);
	e->file_uid = BPF_CORE_READ(ino, i_uid.val);
	e->file_gid = BPF_CORE_READ(ino, i_gid.val);
	e->file_mode = mode;
	e->str[1][0] = 0;
	if (filename)
		bpf_probe_read_kernel_str(e->str[0], SEC_STR, filename);
	else
		bpf_probe_read_kernel_str(e->str[0], SEC_STR, tp_ctx + (loc & 0xffff));
	ks_submit(e);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sec_exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	on_exec(BPF_CORE_READ(bprm, filename), NULL, 0);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(sec_exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	on_exec(BPF_CORE_READ(bprm, filename), NULL, 0);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int sec_exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	on_exec(NULL, ctx, ctx->__data_loc_filename);
	return 0;
}

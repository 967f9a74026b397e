/* SPDX-License-Identifier: GPL-2.0 */
/* kscope security: maps and records shared by security.bpf.c and security.c */
#ifndef KSCOPE_SECURITY_H
#define KSCOPE_SECURITY_H

#include "../engine/events.h"

#define SEC_MAX_KEYS   8192     /* --summary rows: (process or cgroup, kind, name) */
#define SEC_SEEN_MAX   16384    /* (process, capability) pairs already shown */
#define SEC_NR_SLOTS   1024     /* syscall numbers looked up (x86_64, arm64 < 512) */
#define SEC_CAP_MAX    64       /* capability numbers (CAP_LAST_CAP is 40 in 6.18) */
#define SEC_STR        256      /* a path, a mount source */
#define SEC_FSTYPE     32
#define SEC_NAME       16       /* BPF_OBJ_NAME_LEN */

/* Kinds of what is shown; --kind selects them (bit 1 << kind) */
enum sec_kind {
	SEC_K_CAP = 0,    /* a capability check and its verdict */
	SEC_K_SETID,      /* setuid family, capset */
	SEC_K_EXEC,       /* an exec of a set-uid or set-gid file */
	SEC_K_PTRACE,
	SEC_K_BPF,        /* bpf() commands */
	SEC_K_MODULE,     /* module load and unload attempts */
	SEC_K_MOUNT,      /* mount, umount, the new mount API */
	SEC_K_NS,         /* unshare, setns */
	SEC_K_MAX,
};

#define SEC_KINDS_ALL ((1u << SEC_K_MAX) - 1)
/* the kinds seen at syscalls (raw_syscalls sys_enter/sys_exit) */
#define SEC_KINDS_SYSCALL (SEC_KINDS_ALL & ~(1u << SEC_K_CAP))

/* The syscalls watched: sec_op[nr] in the BPF object's rodata (0: not watched) */
enum sec_op {
	SEC_OP_NONE = 0,
	SEC_OP_SETUID, SEC_OP_SETGID, SEC_OP_SETREUID, SEC_OP_SETREGID,
	SEC_OP_SETRESUID, SEC_OP_SETRESGID, SEC_OP_SETFSUID, SEC_OP_SETFSGID, SEC_OP_CAPSET,
	SEC_OP_EXECVE, SEC_OP_EXECVEAT,
	SEC_OP_PTRACE,
	SEC_OP_BPF,
	SEC_OP_INIT_MODULE, SEC_OP_FINIT_MODULE, SEC_OP_DELETE_MODULE,
	SEC_OP_MOUNT, SEC_OP_UMOUNT, SEC_OP_FSOPEN, SEC_OP_FSMOUNT, SEC_OP_FSPICK,
	SEC_OP_MOVE_MOUNT, SEC_OP_OPEN_TREE, SEC_OP_MOUNT_SETATTR,
	SEC_OP_UNSHARE, SEC_OP_SETNS,
	SEC_OP_MAX,
};

static inline __u32 sec_op_kind(__u32 op)
{
	if (op <= SEC_OP_CAPSET)
		return SEC_K_SETID;
	if (op <= SEC_OP_EXECVEAT)
		return SEC_K_EXEC;
	if (op == SEC_OP_PTRACE)
		return SEC_K_PTRACE;
	if (op == SEC_OP_BPF)
		return SEC_K_BPF;
	if (op <= SEC_OP_DELETE_MODULE)
		return SEC_K_MODULE;
	if (op <= SEC_OP_MOUNT_SETATTR)
		return SEC_K_MOUNT;
	return SEC_K_NS;
}

/* How capability checks are shown (outside --summary) */
enum sec_cap_mode {
	SEC_CAPS_FIRST = 0,   /* denials, and each (process, capability)'s first grant */
	SEC_CAPS_ALL,         /* --all: every check */
	SEC_CAPS_UNIQUE,      /* --unique: each (process, capability)'s first check */
};

/* --by (--summary) */
enum { SEC_BY_PROCESS = 0, SEC_BY_CGROUP };

/* The ids and capabilities of a task's credentials (init user namespace ids) */
struct sec_creds {
	__u32 uid, euid, suid, fsuid;
	__u32 gid, egid, sgid, fsgid;
	__u64 cap_effective, cap_permitted;
};

/* The audit flag of a check: the tracepoint does not carry it */
enum { SEC_AUDIT_UNKNOWN = 0, SEC_AUDIT_YES, SEC_AUDIT_NO };

enum { SEC_EV_CAP = 1, SEC_EV_PRIV };

/* A capability check */
struct sec_cap_event {
	struct ks_hdr hdr;
	__u64 userns_inum;      /* the target user namespace's inode number */
	__u32 cap;
	__s32 ret;              /* 0 granted, else the error (-EPERM) */
	__u32 euid;             /* of the credentials checked */
	__u32 userns_level;     /* 0: the initial (host) user namespace */
	__s32 syscall_nr;       /* the syscall the task was in; -1 none or unknown */
	__u8 audit;             /* SEC_AUDIT_* */
	__u8 pad[3];
};
_Static_assert(sizeof(struct sec_cap_event) == 56 + 32, "sec_cap_event layout");

#define SEC_F_OLD      (1u << 0)   /* old credentials are known (seen at the call's entry) */
#define SEC_F_STR0_CUT (1u << 1)   /* str[0] was longer than it */
#define SEC_F_STR1_CUT (1u << 2)
#define SEC_F_ATTR     (1u << 3)   /* bpf: the attribute's type, count and name were read */

/* A privilege event: a watched syscall at its exit, or an exec of a set-id file */
struct sec_event {
	struct ks_hdr hdr;
	__u64 args[5];
	__s64 ret;
	struct sec_creds old_creds, new_creds;
	__u16 op;                  /* enum sec_op */
	__u16 flags;               /* SEC_F_* */
	__u32 nr;                  /* the syscall number */
	/* bpf: BPF_PROG_LOAD's prog_type, insn_cnt, prog_name (BPF_MAP_CREATE: map_*) */
	__u32 attr_type, attr_count;
	char attr_name[SEC_NAME];
	/* exec: the file's owner and mode */
	__u32 file_uid, file_gid, file_mode, pad;
	char fstype[SEC_FSTYPE];
	char str[2][SEC_STR];      /* paths: per op (security.c says which) */
};
_Static_assert(sizeof(struct sec_event) == 56 + 48 + 96 + 8 + 24 + 16 + 32 + 2 * SEC_STR,
	       "sec_event layout");

/* A call in flight, per task: what its exit needs from its entry */
struct sec_task {
	__u64 args[5];
	struct sec_creds old_creds;
	__u16 op;                  /* 0: none in flight */
	__u16 flags;
	__u32 nr;
	__u32 attr_type, attr_count;
	char attr_name[SEC_NAME];
	char fstype[SEC_FSTYPE];
	char str[2][SEC_STR];
	/* kprobe on cap_capable: its arguments, for the kretprobe */
	__u64 cap_cred, cap_ns;
	__u32 cap, cap_opts;
	__u8 cap_pending;
	__u8 pad[7];
};

/* --summary: key of the per-CPU counts */
struct sec_key {
	__u64 owner;               /* tgid, or the task's cgroup (v2) id */
	__u16 kind;                /* enum sec_kind */
	__u16 name;                /* a capability, a ptrace request, a bpf command, or an op */
	__u32 pad;
};

struct sec_count {
	__u64 count;
	__u64 failed;              /* denied checks; calls that returned an error */
};

#ifndef __BPF__
#include <stdint.h>
/* --cap's list (names with or without CAP_, any case, or numbers): 0, or -1 */
int sec_parse_caps(const char *arg, uint64_t *mask);
#endif

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * kscope security: capability checks with their verdict, the user
 * namespace checked against and the syscall that made them; and every
 * privilege change (uid/gid changes, execs of set-id files, ptrace, bpf()
 * loads, module loads, mounts, namespace changes) in the same stream. Or
 * counted per process or cgroup (--summary).
 *
 * The kernel side (security.bpf.c) filters and decides what is shown;
 * this side names the numbers (capabilities, syscalls, ptrace requests,
 * bpf commands, flags: tables generated from the uapi headers) and prints.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kscope.h"
#include "engine/cli.h"
#include "engine/names.h"
#include "engine/out.h"
#include "engine/probe.h"
#include "engine/table.h"
#include "engine/trace.h"
#include "engine/util.h"
#include "security.h"
#include "security.skel.h"

KS_SKEL_OPS(security_bpf);

enum sort_key { SORT_COUNT, SORT_DENIED };

/* the syscalls watched (op_syscalls below), at most */
#define ARRAY_SIZE_OPS 32

struct sec_state {
	struct ks_opts *opts;
	struct security_bpf *skel;
	/* options */
	bool all, unique, summary, denied;
	bool raw;                  /* --raw-syscalls */
	bool kinds_set;
	unsigned kinds;            /* 1 << enum sec_kind */
	uint64_t cap_mask;
	int by;                    /* SEC_BY_* */
	int sort;
	unsigned top;
	/* state */
	struct ks_table *table;
	uint64_t period_start;
	bool interval_mode;
	int ncpus;
	struct sec_count *vals;    /* lookup buffer: one per possible CPU */
	/* the watched syscalls with tracepoints (op_syscalls indexes), and their links */
	unsigned tp[ARRAY_SIZE_OPS], ntp;
	unsigned char tp_args[ARRAY_SIZE_OPS];   /* their argument counts */
	unsigned nraw;             /* watched syscalls without: raw_syscalls' sys_exit */
	struct bpf_link *links[2 * ARRAY_SIZE_OPS];
	unsigned nlinks;
};

static const char *const kind_names[SEC_K_MAX] = {
	[SEC_K_CAP] = "cap", [SEC_K_SETID] = "setid", [SEC_K_EXEC] = "suid",
	[SEC_K_PTRACE] = "ptrace", [SEC_K_BPF] = "bpf", [SEC_K_MODULE] = "module",
	[SEC_K_MOUNT] = "mount", [SEC_K_NS] = "ns",
};

/* --kind's names: the event types */
static const char *const kind_opts[] = { "cap", "setid", "suid", "ptrace", "bpf", "module",
					 "mount", "ns", NULL };

/*
 * The syscalls of each op, by name (a name this architecture lacks is
 * skipped), and their tracepoints' name where it is another (the kernel's
 * SYSCALL_DEFINE name: umount2 is "umount")
 */
static const struct { const char *name; enum sec_op op; const char *tp; } op_syscalls[] = {
	{ "setuid", SEC_OP_SETUID }, { "setgid", SEC_OP_SETGID },
	{ "setreuid", SEC_OP_SETREUID }, { "setregid", SEC_OP_SETREGID },
	{ "setresuid", SEC_OP_SETRESUID }, { "setresgid", SEC_OP_SETRESGID },
	{ "setfsuid", SEC_OP_SETFSUID }, { "setfsgid", SEC_OP_SETFSGID },
	{ "capset", SEC_OP_CAPSET },
	{ "execve", SEC_OP_EXECVE }, { "execveat", SEC_OP_EXECVEAT },
	{ "ptrace", SEC_OP_PTRACE },
	{ "bpf", SEC_OP_BPF },
	{ "init_module", SEC_OP_INIT_MODULE }, { "finit_module", SEC_OP_FINIT_MODULE },
	{ "delete_module", SEC_OP_DELETE_MODULE },
	{ "mount", SEC_OP_MOUNT }, { "umount2", SEC_OP_UMOUNT, "umount" },
	{ "umount", SEC_OP_UMOUNT, "oldumount" },
	{ "fsopen", SEC_OP_FSOPEN }, { "fsmount", SEC_OP_FSMOUNT }, { "fspick", SEC_OP_FSPICK },
	{ "move_mount", SEC_OP_MOVE_MOUNT }, { "open_tree", SEC_OP_OPEN_TREE },
	{ "mount_setattr", SEC_OP_MOUNT_SETATTR },
	{ "unshare", SEC_OP_UNSHARE }, { "setns", SEC_OP_SETNS },
};

_Static_assert(ARRAY_SIZE(op_syscalls) <= ARRAY_SIZE_OPS, "sec_state's tp[] and links[]");

/* The name of syscall i's tracepoints (syscalls:sys_enter_NAME) */
static const char *tp_name(unsigned i)
{
	return op_syscalls[i].tp ? op_syscalls[i].tp : op_syscalls[i].name;
}

/* The syscall name of an op (its first), for a summary row */
static const char *op_name(unsigned op)
{
	for (size_t i = 0; i < ARRAY_SIZE(op_syscalls); i++)
		if (op_syscalls[i].op == op)
			return op_syscalls[i].name;
	return NULL;
}

/* "CAP_SYS_ADMIN", or "CAP_41" for one the headers kscope was built with lack */
static const char *cap_name(unsigned cap, char *buf, size_t n)
{
	const char *s = ks_name_of(KS_NAMES(cap), cap);

	if (s)
		return s;
	snprintf(buf, n, "CAP_%u", cap);
	return buf;
}

/*
 * --cap: "SYS_ADMIN", "cap_sys_admin", "CAP_NET_RAW" or a number, comma
 * separated; 0 and the capability's bit in *mask, -1 on an unknown one.
 */
int sec_parse_caps(const char *arg, uint64_t *mask)
{
	char buf[64];
	const char *p = arg;

	*mask = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		char *end;
		long v;

		if (!len || len >= sizeof(buf) - 4)
			return -1;
		memcpy(buf, "CAP_", 4);
		for (size_t i = 0; i < len; i++)
			buf[4 + i] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i]);
		buf[4 + len] = 0;
		v = strtol(buf + 4, &end, 10);
		if (*end || end == buf + 4) {
			v = ks_value_of(KS_NAMES(cap), !strncmp(buf + 4, "CAP_", 4) ? buf + 4 : buf);
			if (v < 0)
				return -1;
		}
		if (v < 0 || v >= SEC_CAP_MAX)
			return -1;
		*mask |= 1ull << v;
		p += len;
		if (*p == ',' && !*++p)
			return -1;
	}
	return *mask ? 0 : -1;
}

/* ---- the summary table ---------------------------------------------------- */

enum { C_PID, C_CGROUP_ID, C_COMM, C_CGROUP, C_CONTAINER, C_CONTAINER_RT = C_CONTAINER + 1,
       C_KIND, C_NAME, C_COUNT, C_GRANTED, C_DENIED, NCOLS };

static uint64_t row_granted(const struct ks_row *r)
{
	uint64_t n = ks_row_get(r, C_COUNT), d = ks_row_get(r, C_DENIED);

	return n > d ? n - d : 0;
}

static void row_prepare(struct ks_row *r)
{
	struct sec_state *st = ks_table_ctx(ks_row_table(r));
	char buf[KS_COMM_LEN] = "";

	if (st->by == SEC_BY_PROCESS && !ks_row_is_gone(r) &&
	    ks_proc_comm(ks_row_get(r, C_PID), buf))
		ks_row_put_str(r, C_COMM, buf, sizeof(buf));
	if (st->by == SEC_BY_CGROUP)
		ks_row_put_cgroup(r, C_CGROUP, C_CONTAINER, NULL, ks_row_get(r, C_CGROUP_ID));
}

static const struct ks_col sec_cols[NCOLS] = {
	[C_PID] = { "pid", "PID", KS_COL_COUNT, KS_COL_KEY | KS_COL_LEFT, 7 },
	[C_CGROUP_ID] = { "cgroup_id", "", KS_COL_COUNT, KS_COL_KEY | KS_COL_TEXT_HIDE },
	[C_COMM] = { "comm", "COMM", KS_COL_COMM, 0, 16 },
	[C_CGROUP] = { "cgroup", "CGROUP", KS_COL_STR, 0, 32, .size = 256 },
	KS_CONTAINER_COLS(C_CONTAINER),
	[C_KIND] = { "kind", "KIND", KS_COL_STR, 0, 10, .size = 16 },
	[C_NAME] = { "name", "NAME", KS_COL_STR, 0, 26, .size = 48,
		     .help = "the capability, ptrace request, bpf() command or syscall" },
	[C_COUNT] = { "count", "COUNT", KS_COL_COUNT, KS_COL_CUM, 8,
		      .help = "checks or calls" },
	[C_GRANTED] = { "granted", "GRANTED", KS_COL_COUNT, KS_COL_DERIVED, 8,
			.derive = row_granted,
			.help = "checks granted; calls that succeeded" },
	[C_DENIED] = { "denied", "DENIED", KS_COL_COUNT, KS_COL_CUM, 0,
		       .help = "checks denied; calls that returned an error" },
};

static const int sec_ties[] = { C_COUNT, -1 };

static const struct ks_table_desc sec_table = {
	.type = "security_stat",
	.cols = sec_cols,
	.ncols = NCOLS,
	.key_size = sizeof(struct sec_key),
	.ties = sec_ties,
	.prepare = row_prepare,
};

/* A summary row's name: the capability, request, command or syscall */
static const char *key_name(const struct sec_key *k, char *buf, size_t n)
{
	const char *s = NULL;

	switch (k->kind) {
	case SEC_K_CAP:
		return cap_name(k->name, buf, n);
	case SEC_K_PTRACE:
		s = ks_name_of(KS_NAMES(ptrace), k->name);
		break;
	case SEC_K_BPF:
		s = ks_name_of(KS_NAMES(bpf_cmd), k->name);
		break;
	default:
		s = op_name(k->name);
		break;
	}
	if (s)
		return s;
	snprintf(buf, n, "%u", k->name);
	return buf;
}

static void collect(struct sec_state *st)
{
	int fd = bpf_map__fd(st->skel->maps.counts);
	int cfd = bpf_map__fd(st->skel->maps.comms);
	struct sec_key key, next, *prev = NULL;
	struct ks_vec dead = KS_VEC(struct sec_key), dead_pids = KS_VEC(uint64_t);

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		uint64_t count = 0, failed = 0;
		struct ks_row *r;
		char buf[48];
		const char *s;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, st->vals))
			continue;
		for (int c = 0; c < st->ncpus; c++) {
			count += st->vals[c].count;
			failed += st->vals[c].failed;
		}
		r = ks_table_find(st->table, &key);
		if (!r || ks_row_is_gone(r)) {
			r = ks_table_row(st->table, &key);
			if (!r)
				continue;
			ks_row_put(r, st->by == SEC_BY_CGROUP ? C_CGROUP_ID : C_PID, key.owner);
			s = key.kind < SEC_K_MAX ? kind_names[key.kind] : "?";
			ks_row_put_str(r, C_KIND, s, strlen(s));
			s = key_name(&key, buf, sizeof(buf));
			ks_row_put_str(r, C_NAME, s, strlen(s));
		}
		ks_row_put(r, C_COUNT, count);
		ks_row_put(r, C_DENIED, failed);
		if (st->by == SEC_BY_PROCESS) {
			char comm[KS_COMM_LEN] = "";

			if (!bpf_map_lookup_elem(cfd, &key.owner, comm))
				ks_row_put_str(r, C_COMM, comm, sizeof(comm));
			/* a process that is gone: its rows shown once more, then dropped */
			if (!ks_pid_alive(key.owner)) {
				ks_row_gone(r);
				ks_vec_push(&dead, &key);
				ks_vec_push(&dead_pids, &key.owner);
			}
		}
	}
	for (size_t i = 0; i < dead_pids.n; i++)
		bpf_map_delete_elem(cfd, ks_vec_at(&dead_pids, i));
	ks_vec_free(&dead_pids);
	ks_map_delete_keys(fd, &dead);
}

/* ---- events --------------------------------------------------------------- */

static void rec_hex(struct ks_out *o, const char *key, uint64_t v, unsigned flags)
{
	char buf[24];

	ks_rec_u64(o, key, v, KS_TXT_HIDE | (flags & ~KS_TXT_BARE));
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	ks_rec_str(o, key, buf, strlen(buf), KS_JSON_HIDE | flags);
}

/* ret and, for an error, its name ("EPERM"; null when the call succeeded) */
static void rec_result(struct ks_out *o, int64_t ret, bool can_fail)
{
	const char *err = can_fail && ret < 0 && ret >= -4095 ? ks_errno_name(-ret) : NULL;

	ks_rec_s64(o, "ret", ret, 0);
	if (err)
		ks_rec_str(o, "error", err, strlen(err), KS_TXT_BARE);
	else
		ks_rec_null(o, "error", KS_TXT_HIDE);
}

/*
 * key: the name of number v in table t (text: the name alone), null if it
 * has none; num_key: the number (in text only when it has no name)
 */
static void rec_named(struct ks_out *o, const char *key, const char *num_key,
		      const struct ks_name *t, unsigned n, uint64_t v, unsigned txt)
{
	const char *s = ks_name_of(t, n, (long)v);

	if (s)
		ks_rec_str(o, key, s, strlen(s), txt);
	else
		ks_rec_null(o, key, KS_TXT_HIDE);
	ks_rec_u64(o, num_key, v, s ? KS_TXT_HIDE : 0);
}

static void cap_event(struct ks_out *o, const struct sec_cap_event *e)
{
	const char *verdict = e->ret ? "denied" : "granted";
	const char *sys = e->syscall_nr >= 0 ? ks_syscall_name(e->syscall_nr) : NULL;
	char buf[16];
	const char *c = cap_name(e->cap, buf, sizeof(buf));

	ks_rec_begin(o, "cap", &e->hdr);
	ks_rec_str(o, "capability", c, strlen(c), KS_TXT_BARE);
	ks_rec_u64(o, "cap", e->cap, KS_TXT_HIDE);
	ks_rec_str(o, "verdict", verdict, strlen(verdict), KS_TXT_BARE);
	ks_rec_s64(o, "ret", e->ret, KS_TXT_HIDE);
	ks_rec_str(o, "userns", e->userns_level ? "child" : "host",
		   e->userns_level ? 5 : 4, 0);
	ks_rec_u64(o, "userns_level", e->userns_level, KS_TXT_HIDE);
	ks_rec_u64(o, "userns_inum", e->userns_inum, KS_TXT_HIDE);
	ks_rec_u64(o, "euid", e->euid, 0);
	if (sys)
		ks_rec_str(o, "syscall", sys, strlen(sys), 0);
	else
		ks_rec_null(o, "syscall", KS_TXT_HIDE);
	if (e->syscall_nr >= 0)
		ks_rec_s64(o, "syscall_nr", e->syscall_nr, KS_TXT_HIDE);
	else
		ks_rec_null(o, "syscall_nr", KS_TXT_HIDE);
	if (e->audit == SEC_AUDIT_UNKNOWN)
		ks_rec_null(o, "audit", KS_TXT_HIDE);
	else
		ks_rec_bool(o, "audit", e->audit == SEC_AUDIT_YES, 0);
	ks_rec_end(o);
}

static void rec_creds(struct ks_out *o, const char *pre, const struct sec_creds *c)
{
	static const char *const ids[] = { "uid", "euid", "suid", "fsuid",
					   "gid", "egid", "sgid", "fsgid" };
	const uint32_t *v = &c->uid;
	char key[32];

	for (int i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "%s_%s", pre, ids[i]);
		ks_rec_u64_n(o, key, strlen(key), v[i], KS_TXT_HIDE);
	}
	snprintf(key, sizeof(key), "%s_cap_effective", pre);
	ks_rec_u64_n(o, key, strlen(key), c->cap_effective, KS_TXT_HIDE);
	snprintf(key, sizeof(key), "%s_cap_permitted", pre);
	ks_rec_u64_n(o, key, strlen(key), c->cap_permitted, KS_TXT_HIDE);
}

static void rec_creds_null(struct ks_out *o, const char *pre)
{
	static const char *const ids[] = { "uid", "euid", "suid", "fsuid", "gid", "egid",
					   "sgid", "fsgid", "cap_effective", "cap_permitted" };
	char key[32];

	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		snprintf(key, sizeof(key), "%s_%s", pre, ids[i]);
		ks_rec_null_n(o, key, strlen(key), KS_TXT_HIDE);
	}
}

/* Text: "uid 0->1000 euid 0->1000 ...", the ids that changed (or all 4 if none did) */
static void text_id_changes(struct ks_out *o, const struct sec_event *e, bool gids)
{
	const uint32_t *a = gids ? &e->old_creds.gid : &e->old_creds.uid;
	const uint32_t *b = gids ? &e->new_creds.gid : &e->new_creds.uid;
	static const char *const un[] = { "uid", "euid", "suid", "fsuid" };
	static const char *const gn[] = { "gid", "egid", "sgid", "fsgid" };
	char buf[64];
	bool any = false;

	for (int i = 0; i < 4; i++) {
		if (a[i] == b[i])
			continue;
		any = true;
		snprintf(buf, sizeof(buf), "%u->%u", a[i], b[i]);
		ks_rec_str(o, gids ? gn[i] : un[i], buf, strlen(buf), KS_JSON_HIDE);
	}
	if (!any) {
		snprintf(buf, sizeof(buf), "%u", b[0]);
		ks_rec_str(o, gids ? "gid" : "uid", buf, strlen(buf), KS_JSON_HIDE);
	}
}

static void rec_path(struct ks_out *o, const char *key, const struct sec_event *e, int i)
{
	bool cut = e->flags & (i ? SEC_F_STR1_CUT : SEC_F_STR0_CUT);
	size_t n = strnlen(e->str[i], SEC_STR);

	ks_rec_str(o, key, e->str[i], n, 0);
	if (cut)
		ks_rec_bool(o, "truncated", true, KS_TXT_HIDE);
}

static void rec_flags(struct ks_out *o, const char *key, const struct ks_name *t, unsigned n,
		      uint64_t flags)
{
	char buf[256];

	ks_flag_names(buf, sizeof(buf), t, n, flags);
	ks_rec_u64(o, key, flags, KS_TXT_HIDE);
	ks_rec_str_n(o, "", 0, buf, strlen(buf), KS_JSON_HIDE | KS_TXT_BARE);
}

static void priv_event(struct ks_out *o, const struct sec_event *e)
{
	unsigned kind = sec_op_kind(e->op);
	const char *sys = e->nr || e->op != SEC_OP_EXECVE ? ks_syscall_name(e->nr) : NULL;
	const char *s;
	char buf[64];
	bool can_fail = e->op != SEC_OP_SETFSUID && e->op != SEC_OP_SETFSGID;

	if (!sys)
		sys = op_name(e->op);
	ks_rec_begin(o, kind < SEC_K_MAX ? kind_names[kind] : "?", &e->hdr);
	ks_rec_str(o, "syscall", sys ? sys : "?", sys ? strlen(sys) : 1, KS_TXT_BARE);
	switch (kind) {
	case SEC_K_SETID:
		if (e->op == SEC_OP_CAPSET) {
			rec_hex(o, "old_cap_effective", e->old_creds.cap_effective, 0);
			rec_hex(o, "cap_effective", e->new_creds.cap_effective, 0);
			rec_hex(o, "cap_permitted", e->new_creds.cap_permitted, 0);
		} else {
			static const char *const names[][3] = {
				[SEC_OP_SETUID] = { "arg_uid" }, [SEC_OP_SETGID] = { "arg_gid" },
				[SEC_OP_SETREUID] = { "arg_ruid", "arg_euid" },
				[SEC_OP_SETREGID] = { "arg_rgid", "arg_egid" },
				[SEC_OP_SETRESUID] = { "arg_ruid", "arg_euid", "arg_suid" },
				[SEC_OP_SETRESGID] = { "arg_rgid", "arg_egid", "arg_sgid" },
				[SEC_OP_SETFSUID] = { "arg_fsuid" }, [SEC_OP_SETFSGID] = { "arg_fsgid" },
			};

			/* ids as the calls take them: 32 bits, -1 "leave this one" */
			for (int i = 0; i < 3 && names[e->op][i]; i++)
				ks_rec_s64(o, names[e->op][i], (int32_t)e->args[i], 0);
		}
		rec_result(o, e->ret, can_fail);
		text_id_changes(o, e, e->op == SEC_OP_SETGID || e->op == SEC_OP_SETREGID ||
				   e->op == SEC_OP_SETRESGID || e->op == SEC_OP_SETFSGID);
		break;
	case SEC_K_EXEC:
		ks_rec_str(o, "filename", e->str[0], strnlen(e->str[0], SEC_STR), 0);
		s = (e->file_mode & 04000) && (e->file_mode & 02000) ? "setuid,setgid" :
		    e->file_mode & 04000 ? "setuid" : "setgid";
		ks_rec_str(o, "set", s, strlen(s), KS_TXT_BARE);
		ks_rec_u64(o, "file_uid", e->file_uid, 0);
		ks_rec_u64(o, "file_gid", e->file_gid, KS_TXT_HIDE);
		snprintf(buf, sizeof(buf), "%04o", e->file_mode & 07777);
		ks_rec_str(o, "file_mode", buf, strlen(buf), KS_TXT_HIDE);
		if (e->flags & SEC_F_OLD)
			text_id_changes(o, e, false);
		break;
	case SEC_K_PTRACE:
		rec_named(o, "request", "request_nr", KS_NAMES(ptrace), e->args[0], KS_TXT_BARE);
		ks_rec_u64(o, "target_pid", (uint32_t)e->args[1], 0);
		rec_hex(o, "addr", e->args[2], KS_TXT_HIDE);
		rec_hex(o, "data", e->args[3], KS_TXT_HIDE);
		rec_result(o, e->ret, true);
		break;
	case SEC_K_BPF:
		rec_named(o, "command", "cmd", KS_NAMES(bpf_cmd), e->args[0], KS_TXT_BARE);
		if ((e->flags & SEC_F_ATTR) && e->args[0] == 5) {
			rec_named(o, "prog_type", "prog_type_nr", KS_NAMES(bpf_prog_type),
				  e->attr_type, 0);
			ks_rec_str(o, "prog_name", e->attr_name, strnlen(e->attr_name, SEC_NAME), 0);
			ks_rec_u64(o, "insn_cnt", e->attr_count, 0);
		} else if ((e->flags & SEC_F_ATTR) && e->args[0] == 0) {
			rec_named(o, "map_type", "map_type_nr", KS_NAMES(bpf_map_type), e->attr_type,
				  0);
			ks_rec_str(o, "map_name", e->attr_name, strnlen(e->attr_name, SEC_NAME), 0);
		}
		rec_result(o, e->ret, true);
		if (e->ret >= 0 && (e->args[0] == 0 || e->args[0] == 5 || e->args[0] == 18 ||
				    e->args[0] == 17 || e->args[0] == 28 || e->args[0] == 33 ||
				    e->args[0] == 7))
			ks_rec_s64(o, "fd", e->ret, 0);
		break;
	case SEC_K_MODULE:
		if (e->op == SEC_OP_DELETE_MODULE) {
			rec_path(o, "module", e, 0);
		} else if (e->op == SEC_OP_FINIT_MODULE) {
			ks_rec_s64(o, "module_fd", (int32_t)e->args[0], 0);
			rec_path(o, "params", e, 1);
		} else {
			ks_rec_u64(o, "image_bytes", e->args[1], 0);
			rec_path(o, "params", e, 1);
		}
		rec_result(o, e->ret, true);
		break;
	case SEC_K_MOUNT:
		switch (e->op) {
		case SEC_OP_MOUNT:
			rec_path(o, "source", e, 0);
			rec_path(o, "target", e, 1);
			ks_rec_str(o, "fstype", e->fstype, strnlen(e->fstype, SEC_FSTYPE), 0);
			rec_flags(o, "flags", KS_NAMES(mount_flag), e->args[3]);
			break;
		case SEC_OP_UMOUNT:
			rec_path(o, "target", e, 1);
			rec_hex(o, "flags", e->args[1], 0);
			break;
		case SEC_OP_FSOPEN:
			ks_rec_str(o, "fstype", e->fstype, strnlen(e->fstype, SEC_FSTYPE), 0);
			break;
		case SEC_OP_FSMOUNT:
			ks_rec_s64(o, "fs_fd", (int32_t)e->args[0], 0);
			break;
		case SEC_OP_FSPICK:
		case SEC_OP_MOUNT_SETATTR:
			rec_path(o, "target", e, 1);
			break;
		case SEC_OP_OPEN_TREE:
			rec_path(o, "source", e, 0);
			break;
		case SEC_OP_MOVE_MOUNT:
			rec_path(o, "source", e, 0);
			rec_path(o, "target", e, 1);
			break;
		}
		rec_result(o, e->ret, true);
		break;
	case SEC_K_NS: {
		uint64_t flags = e->op == SEC_OP_UNSHARE ? e->args[0] : e->args[1];

		if (e->op == SEC_OP_SETNS)
			ks_rec_s64(o, "fd", (int32_t)e->args[0], 0);
		ks_flag_names(buf, sizeof(buf), KS_NAMES(clone_ns), flags);
		ks_rec_u64(o, "flags", flags, KS_TXT_HIDE);
		ks_rec_str(o, "namespaces", buf, strlen(buf), 0);
		rec_result(o, e->ret, true);
		break;
	}
	}
	if (e->flags & SEC_F_OLD)
		rec_creds(o, "old", &e->old_creds);
	else
		rec_creds_null(o, "old");
	rec_creds(o, "new", &e->new_creds);
	ks_rec_end(o);
}

/* ---- the tracer ----------------------------------------------------------- */

static const char *const cap_lacks =
	"the audit flag of a check (an fexit or a kprobe on cap_capable has it)";

static const struct ks_probe security_probes[] = {
	/*
	 * The tracepoint (6.14+, with the verdict), else fexit, else a
	 * kretprobe with its kprobe, on cap_capable() (they also have the
	 * audit flag). Best: without it the privilege events still work.
	 */
	{ "cap", { KS_PROG(security_bpf, sec_cap_btf), KS_PROG(security_bpf, sec_cap_raw),
		   KS_PROG(security_bpf, sec_cap_tp), KS_PROG(security_bpf, sec_cap_fexit),
		   KS_PROG(security_bpf, sec_cap_kretprobe) },
	  KS_PROBE_OPTIONAL | KS_PROBE_BEST,
	  .with = { KS_WITH(security_bpf, sec_cap_kretprobe, sec_cap_kprobe) },
	  .lacks = { cap_lacks, cap_lacks, cap_lacks } },
	/*
	 * Watched syscalls without tracepoints of their own (a kernel built
	 * without modules has no sys_enter_finit_module): whole at their exit.
	 * The others are the aux programs', attached in security_start().
	 */
	{ "sys-exit", { KS_PROG(security_bpf, sec_sys_exit_btf),
			KS_PROG(security_bpf, sec_sys_exit_raw),
			KS_PROG(security_bpf, sec_sys_exit_tp) }, KS_PROBE_OPTIONAL },
	{ "exec", { KS_PROG(security_bpf, sec_exec_btf), KS_PROG(security_bpf, sec_exec_raw),
		    KS_PROG(security_bpf, sec_exec_tp) }, KS_PROBE_OPTIONAL },
};

/*
 * The arguments the kernel's syscalls:sys_enter_NAME record has (the
 * fields after __syscall_nr in its format), if it has that tracepoint and
 * sys_exit_NAME too; else -1
 */
static int syscall_tracepoint_args(const char *name)
{
	const char *tfs = ks_tracefs();
	char path[512], line[512];
	int n = 0;
	bool past_nr = false;
	FILE *f;

	if (!tfs)
		return -1;
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_exit_%s/id", tfs, name);
	if (access(path, F_OK))
		return -1;
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_%s/format", tfs, name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "field:"))
			continue;
		if (past_nr)
			n++;
		else if (strstr(line, "__syscall_nr;"))
			past_nr = true;
	}
	fclose(f);
	return past_nr ? n : -1;
}

static int security_configure(void *state, void *skel)
{
	struct sec_state *st = state;
	struct security_bpf *s = skel;

	for (unsigned i = 0; i < ARRAY_SIZE(op_syscalls); i++) {
		long nr = ks_syscall_nr(op_syscalls[i].name);
		unsigned kind = sec_op_kind(op_syscalls[i].op);
		int nargs;

		if (nr < 0 || nr >= SEC_NR_SLOTS || !(st->kinds & (1u << kind)))
			continue;
		s->rodata->sec_op[nr] = op_syscalls[i].op;
		nargs = st->raw ? -1 : syscall_tracepoint_args(tp_name(i));
		if (nargs > 0) {
			st->tp_args[st->ntp] = nargs < 5 ? nargs : 5;
			st->tp[st->ntp++] = i;
		} else {
			s->rodata->sec_raw[nr] = 1;
			st->nraw++;
		}
	}
	s->rodata->cap_mask = st->cap_mask;
	s->rodata->denied_only = st->denied;
	s->rodata->cap_mode = st->all ? SEC_CAPS_ALL : st->unique ? SEC_CAPS_UNIQUE :
			      SEC_CAPS_FIRST;
	s->rodata->summary = st->summary;
	s->rodata->by = st->by;
	s->rodata->bpf_all = st->all;
	s->rodata->self_tgid = getpid();
	if (!st->summary && bpf_map__set_max_entries(s->maps.counts, 1))
		return -1;
	if ((!st->summary || st->by != SEC_BY_PROCESS) &&
	    bpf_map__set_max_entries(s->maps.comms, 1))
		return -1;
	if ((st->summary || st->all) && bpf_map__set_max_entries(s->maps.seen, 1))
		return -1;
	return 0;
}

static bool security_wanted(void *state, const struct ks_probe *p)
{
	const struct sec_state *st = state;

	if (!strcmp(p->name, "cap"))
		return st->kinds & (1u << SEC_K_CAP);
	if (!strcmp(p->name, "exec"))
		return st->kinds & (1u << SEC_K_EXEC);
	return st->nraw > 0;	/* sys-exit: the syscalls without tracepoints */
}

static int security_start(void *state, void *skel, struct ks_out *o)
{
	struct sec_state *st = state;
	struct security_bpf *s = skel;

	struct bpf_program *enter[5] = {
		s->progs.sec_scall_enter1, s->progs.sec_scall_enter2, s->progs.sec_scall_enter3,
		s->progs.sec_scall_enter4, s->progs.sec_scall_enter5,
	};

	st->skel = s;
	if ((st->kinds & (1u << SEC_K_CAP)) && bpf_program__fd(s->progs.sec_cap_btf) < 0 &&
	    bpf_program__fd(s->progs.sec_cap_raw) < 0 && bpf_program__fd(s->progs.sec_cap_tp) < 0 &&
	    bpf_program__fd(s->progs.sec_cap_fexit) < 0 &&
	    bpf_program__fd(s->progs.sec_cap_kretprobe) < 0) {
		if (st->kinds == 1u << SEC_K_CAP) {
			fprintf(stderr, "kscope: security: no hook for capability checks on this "
				"kernel (the capability:cap_capable tracepoint is 6.14+; else fexit "
				"or kprobes on cap_capable)\n");
			return -1;
		}
		fprintf(stderr, "kscope: security: capability checks are not shown: no hook for "
			"them on this kernel (kscope doctor)\n");
	}
	for (unsigned i = 0; i < st->ntp; i++) {
		const char *name = tp_name(st->tp[i]);
		char tp[64];

		for (int exit = 0; exit < 2; exit++) {
			struct bpf_link *l;

			snprintf(tp, sizeof(tp), "sys_%s_%s", exit ? "exit" : "enter", name);
			l = bpf_program__attach_tracepoint(exit ? s->progs.sec_scall_exit :
							   enter[st->tp_args[i] - 1], "syscalls", tp);
			if (!l) {
				fprintf(stderr, "kscope: security: cannot attach syscalls:%s: %s\n", tp,
					strerror(errno));
				return -1;
			}
			st->links[st->nlinks++] = l;
		}
	}
	if (st->opts->verbose && st->ntp) {
		fprintf(stderr, "kscope: probe syscalls: tracepoint/syscalls/sys_{enter,exit}_* (");
		for (unsigned i = 0; i < st->ntp; i++)
			fprintf(stderr, "%s%s", i ? "," : "", op_syscalls[st->tp[i]].name);
		fprintf(stderr, ")\n");
	}
	if (st->opts->verbose && st->nraw) {
		bool first = true;

		fprintf(stderr, "kscope: probe sys-exit: for the syscalls without tracepoints (");
		for (unsigned i = 0; i < ARRAY_SIZE(op_syscalls); i++) {
			long nr = ks_syscall_nr(op_syscalls[i].name);

			if (nr >= 0 && nr < SEC_NR_SLOTS && s->rodata->sec_raw[nr] &&
			    s->rodata->sec_op[nr] == op_syscalls[i].op) {
				fprintf(stderr, "%s%s", first ? "" : ",", op_syscalls[i].name);
				first = false;
			}
		}
		fprintf(stderr, ")\n");
	}
	st->period_start = ks_now_ns(CLOCK_MONOTONIC);
	s->bss->counting = 1;
	if (!st->summary)
		ks_rec_header(o);
	return 0;
}

static int security_event(void *state, struct ks_out *o, const void *data, size_t size)
{
	const struct ks_hdr *h = data;

	(void)state;
	if (size < sizeof(*h))
		return -EINVAL;
	if (h->type == SEC_EV_CAP && size >= sizeof(struct sec_cap_event)) {
		cap_event(o, data);
		return 0;
	}
	if (h->type == SEC_EV_PRIV && size >= sizeof(struct sec_event)) {
		priv_event(o, data);
		return 0;
	}
	return -EINVAL;
}

static void detach_syscalls(struct sec_state *st)
{
	for (unsigned i = 0; i < st->nlinks; i++)
		bpf_link__destroy(st->links[i]);
	st->nlinks = 0;
}

/* After the last event: the syscall tracepoints' links are the command's own */
static int security_finish(void *state, struct ks_out *o)
{
	(void)o;
	detach_syscalls(state);
	return 0;
}

static int security_report(void *state, struct ks_out *o, unsigned flags)
{
	struct sec_state *st = state;

	(void)flags;
	if (!st->summary)
		return 0;
	collect(st);
	ks_table_report(st->table, o, NULL, st->interval_mode, &st->period_start);
	return 0;
}

/* kscope doctor: which watched syscalls sys-exit takes here, the others' tracepoints */
static const char *security_doctor_note(const struct ks_probe *p, char *buf, size_t n)
{
	size_t len = 0, ntp = 0, nraw = 0;

	if (strcmp(p->name, "sys-exit"))
		return NULL;
	buf[0] = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(op_syscalls); i++) {
		const char *name = op_syscalls[i].name;

		if (ks_syscall_nr(name) < 0)
			continue;	/* not on this architecture */
		if (syscall_tracepoint_args(tp_name(i)) > 0) {
			ntp++;
			continue;
		}
		if (len < n)
			len += snprintf(buf + len, n - len, "%s%s", nraw ? "," : "", name);
		nraw++;
	}
	if (!nraw)
		snprintf(buf, n, "not loaded here: the %zu watched syscalls have their own "
			 "tracepoints (syscalls:sys_enter_NAME, sys_exit_NAME)", ntp);
	else if (len < n) {
		char list[256];

		snprintf(list, sizeof(list), "%s", buf);
		snprintf(buf, n, "takes the watched syscalls without tracepoints here: %s (every "
			 "syscall runs it then; the other %zu have their own, syscalls:sys_enter_NAME "
			 "and sys_exit_NAME)", list, ntp);
	}
	return buf;
}

/* Loaded with the probes, attached by security_start() to each watched syscall's tracepoints */
static const char *const security_aux[] = {
	"sec_scall_enter1", "sec_scall_enter2", "sec_scall_enter3", "sec_scall_enter4",
	"sec_scall_enter5", "sec_scall_exit", NULL
};

const struct ks_tracer security_tracer = {
	KS_TRACER(security, "capability checks and privilege changes"),
	.aux_progs = security_aux,
	.finish = security_finish,
	.doctor_note = security_doctor_note,
	.configure = security_configure,
	.wanted = security_wanted,
	.start = security_start, .event = security_event, .report = security_report,
};

/* ---- command line ------------------------------------------------------- */

enum { OPT_ALL = 0x200, OPT_UNIQUE, OPT_SUMMARY, OPT_BY, OPT_CAP, OPT_DENIED, OPT_KIND,
       OPT_RAW };

static const struct ks_cli_opt security_opts[] = {
	{ "all", OPT_ALL, NULL, "every capability check (and bpf()'s map and query commands)",
	  KS_CLI_SET(struct sec_state, all) },
	{ "unique", OPT_UNIQUE, NULL, "one capability check per (process, capability)",
	  KS_CLI_SET(struct sec_state, unique) },
	{ "summary", OPT_SUMMARY, NULL, "counts per process (or cgroup), capability or event, "
	  "and verdict, instead of events", KS_CLI_SET(struct sec_state, summary) },
	{ "by", OPT_BY, "KIND", "--summary rows per process (default) or cgroup" },
	{ "cap", OPT_CAP, "NAME[,NAME]", "only these capabilities (SYS_ADMIN, CAP_NET_RAW, 21)" },
	{ "denied", OPT_DENIED, NULL, "only denied checks, and calls that failed",
	  KS_CLI_SET(struct sec_state, denied) },
	{ "kind", OPT_KIND, "LIST", "only these: cap,setid,suid,ptrace,bpf,module,mount,ns" },
	{ "raw-syscalls", OPT_RAW, NULL, "every watched syscall at raw_syscalls sys_exit, not on "
	  "its own tracepoints (as where the kernel has none: the credentials before a uid "
	  "change or a set-id exec are then unknown)", KS_CLI_SET(struct sec_state, raw) },
	{ "sort", 's', "KEY", "--summary: order rows by count (default) or denied" },
	{ "top", 'n', "N", "--summary: show the first N rows only" },
	{ 0 }
};

static struct ks_cli security_cli;

static int security_parse(void *state, int key, const char *arg)
{
	struct sec_state *st = state;
	static const char *const bys[] = { "process", "cgroup", NULL };
	char *list, *tok, *save = NULL;
	int i = -1;

	switch (key) {
	case OPT_BY:
		i = ks_cli_choice(arg, bys);
		if (i < 0) {
			ks_cli_error(&security_cli, "invalid --by '%s' (process or cgroup)", arg);
			return -1;
		}
		st->by = i;
		return 0;
	case OPT_CAP:
		if (sec_parse_caps(arg, &st->cap_mask)) {
			ks_cli_error(&security_cli, "invalid --cap '%s' (capability names or numbers, "
				     "e.g. SYS_ADMIN,NET_RAW)", arg);
			return -1;
		}
		return 0;
	case OPT_KIND:
		list = strdup(arg);
		if (!list)
			return -1;
		st->kinds = 0;
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			i = ks_cli_choice(tok, kind_opts);
			if (i < 0)
				break;
			st->kinds |= 1u << i;
		}
		free(list);
		if (i < 0 || !st->kinds || arg[strlen(arg) - 1] == ',') {
			ks_cli_error(&security_cli, "invalid --kind '%s' (a list of cap, setid, suid, "
				     "ptrace, bpf, module, mount, ns)", arg);
			return -1;
		}
		st->kinds_set = true;
		return 0;
	}
	return 1;
}

static const struct ks_cli_conflict security_conflicts[] = {
	{ OPT_ALL, OPT_UNIQUE, "--all shows every check, --unique one per capability" },
	{ OPT_SUMMARY, OPT_ALL, "--summary counts every check, --all streams them" },
	{ OPT_SUMMARY, OPT_UNIQUE, "--summary counts every check, --unique streams some" },
	{ OPT_BY, OPT_ALL, "--by groups --summary's rows" },
	{ 0 }
};

static int security_setup(void *state, struct ks_opts *o)
{
	struct sec_state *st = state;
	static const int sort_cols[] = { [SORT_COUNT] = C_COUNT, [SORT_DENIED] = C_DENIED };

	st->opts = o;
	if (!st->summary && (st->sort || st->top || o->interval_s > 0 ||
			     st->by != SEC_BY_PROCESS)) {
		ks_cli_error(&security_cli, "-s, -n, --by and an interval are for --summary");
		return KS_EXIT_USAGE;
	}
	if (o->container && st->summary && st->by != SEC_BY_CGROUP) {
		ks_cli_error(&security_cli, "-C names the container of each event record or --by "
			     "cgroup row: --summary prints no records, it needs --by cgroup");
		return KS_EXIT_USAGE;
	}
	if (!st->kinds_set)
		st->kinds = SEC_KINDS_ALL;
	/* --cap names capabilities: only checks, unless --kind says more */
	if (st->cap_mask && !st->kinds_set)
		st->kinds = 1u << SEC_K_CAP;
	if (st->cap_mask && !(st->kinds & (1u << SEC_K_CAP))) {
		ks_cli_error(&security_cli, "--cap selects capability checks, which --kind leaves "
			     "out");
		return KS_EXIT_USAGE;
	}
	if ((st->all || st->unique) && !(st->kinds & ((1u << SEC_K_CAP) | (1u << SEC_K_BPF)))) {
		ks_cli_error(&security_cli, "--all and --unique are about capability checks, which "
			     "--kind leaves out");
		return KS_EXIT_USAGE;
	}
	st->interval_mode = o->interval_s > 0;
	st->ncpus = ks_possible_cpus();
	st->vals = calloc(st->ncpus, sizeof(*st->vals));
	st->table = ks_table_new(&sec_table);
	if (!st->vals || !st->table)
		return KS_EXIT_FAIL;
	ks_table_set_ctx(st->table, st);
	ks_table_hide(st->table, C_PID, st->by != SEC_BY_PROCESS);
	ks_table_hide(st->table, C_COMM, st->by != SEC_BY_PROCESS);
	ks_table_hide(st->table, C_CGROUP_ID, st->by != SEC_BY_CGROUP);
	ks_table_hide(st->table, C_CGROUP, st->by != SEC_BY_CGROUP);
	ks_table_show_container(st->table, C_CONTAINER, o->container && st->by == SEC_BY_CGROUP);
	ks_table_sort(st->table, sort_cols[st->sort]);
	ks_table_top(st->table, st->top);
	return 0;
}

static int security_teardown(void *state, int rc)
{
	struct sec_state *st = state;

	detach_syscalls(st);
	ks_table_free(st->table);
	free(st->vals);
	return rc;
}

static struct ks_cli security_cli = {
	.cmd = "security",
	.summary = "Capability checks with their verdict, and every privilege change (uid/gid, "
		   "set-id execs, ptrace, bpf() loads, modules, mounts, namespaces), in one "
		   "stream.",
	.details =
	"By default: denied capability checks, and the first grant of each (process,\n"
	"capability): grants are many (a sethostname() is a CAP_SYS_ADMIN check, and so\n"
	"are dozens of other calls). Each check names the user namespace it was made\n"
	"against (host or child) and the syscall the task was in. Privilege events are\n"
	"reported when their call returns, with its result and the credentials before\n"
	"and after. bpf() shows the commands that create, load, attach or pin (--all: the\n"
	"map and query commands too). kscope's own calls are never shown. --summary counts\n"
	"instead, per process or cgroup (--by cgroup: with -C each row names its container).",
	.examples =
	"  kscope security                         # denials, first grants, privilege events\n"
	"  kscope security --denied -j             # what was refused, as NDJSON\n"
	"  kscope security --cap SYS_ADMIN --all   # every CAP_SYS_ADMIN check\n"
	"  kscope security --kind mount,ns         # mounts and namespace changes only\n"
	"  kscope security --summary --by cgroup   # counts per cgroup, at Ctrl-C\n"
	"  kscope security -- ./installer.sh       # what a program does with privilege\n",
	KS_CLI_OF(security),
	/* -s KEY: in enum sort_key's order */
	KS_CLI_SORT(struct sec_state, sort, top, "count", "denied"),
	.flags = KS_CLI_TRACE | KS_CLI_INTERVAL | KS_CLI_PROGRAM,
};

KS_COMMAND(security, struct sec_state, { .sort = SORT_COUNT })

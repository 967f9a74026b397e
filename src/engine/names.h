/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of kernel numbers: syscalls, errno values, open(2) flags. The tables
 * are generated at build time from the target's uapi headers
 * (scripts/gen-tables.sh), never typed by hand.
 */
#ifndef KSCOPE_NAMES_H
#define KSCOPE_NAMES_H

#include <stddef.h>
#include <stdint.h>

struct ks_name {
	long value;
	const char *name;
};

extern const struct ks_name ks_syscall_table[];
extern const unsigned ks_syscall_table_len;
extern const struct ks_name ks_errno_table[];
extern const unsigned ks_errno_table_len;
extern const struct ks_name ks_open_flag_table[];
extern const unsigned ks_open_flag_table_len;
extern const struct ks_name ks_cap_table[];            /* CAP_SYS_ADMIN... */
extern const unsigned ks_cap_table_len;
extern const struct ks_name ks_ptrace_table[];         /* ptrace(2) requests */
extern const unsigned ks_ptrace_table_len;
extern const struct ks_name ks_clone_ns_table[];       /* CLONE_NEW* */
extern const unsigned ks_clone_ns_table_len;
extern const struct ks_name ks_mount_flag_table[];     /* MS_* */
extern const unsigned ks_mount_flag_table_len;
extern const struct ks_name ks_bpf_cmd_table[];        /* enum bpf_cmd */
extern const unsigned ks_bpf_cmd_table_len;
extern const struct ks_name ks_bpf_prog_type_table[];
extern const unsigned ks_bpf_prog_type_table_len;
extern const struct ks_name ks_bpf_map_type_table[];
extern const unsigned ks_bpf_map_type_table_len;

/* A table and its length, for the look-ups below */
#define KS_NAMES(t) ks_##t##_table, ks_##t##_table_len

/* The first name of value v in table t (n entries), or NULL */
const char *ks_name_of(const struct ks_name *t, unsigned n, long v);
/* The value of name in table t, or -1 */
long ks_value_of(const struct ks_name *t, unsigned n, const char *name);
/*
 * Flags as "CLONE_NEWNS|CLONE_NEWUTS": the table's one-bit names in its
 * order, then any bits left over as hex; "0" for none. Returns the length
 * it needed (like snprintf); the string is always terminated when cap > 0.
 */
size_t ks_flag_names(char *buf, size_t cap, const struct ks_name *t, unsigned n,
		     uint64_t flags);

/* "openat", or NULL for a number this architecture does not have */
const char *ks_syscall_name(long nr);
/* the number of the syscall NAME, or -1 */
long ks_syscall_nr(const char *name);
/* the largest syscall number in the table */
long ks_syscall_max(void);
/* "ENOENT" for 2 (positive errno values), or NULL */
const char *ks_errno_name(long err);
/* the value of "ENOENT", or -1 */
long ks_errno_value(const char *name);
/*
 * open(2) flags as "O_WRONLY|O_CREAT|O_TRUNC": the access mode first, then
 * the named flags (composite ones such as O_SYNC and O_TMPFILE as one name),
 * then any bits left over as hex. Returns the length it needed (like
 * snprintf); the string is always terminated when n > 0.
 */
size_t ks_open_flags(char *buf, size_t n, uint64_t flags);

#endif

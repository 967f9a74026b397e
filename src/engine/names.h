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

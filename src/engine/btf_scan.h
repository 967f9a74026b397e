/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A read-only look-up of type ids by name in raw BTF (the format of
 * /sys/kernel/btf/vmlinux), for the hook pre-check: it only needs the ids
 * of a few FUNC and TYPEDEF types, and libbpf's btf__load_vmlinux_btf()
 * copies and checks all ~150k types (8-17 ms, ~12 MiB) to answer that.
 *
 * One walk over the type section numbers the types and resolves every
 * wanted name at once; a name gets the first (lowest) id of its kind, as
 * btf__find_by_name_kind() does. Anything unexpected (another magic or
 * version, sections outside the data, an unknown kind, a type running past
 * its section, a name outside the strings) makes it give up with -EINVAL,
 * and the caller falls back to libbpf.
 */
#ifndef KSCOPE_BTF_SCAN_H
#define KSCOPE_BTF_SCAN_H

#include <stddef.h>

struct ks_btf_want {
	const char *name;
	int kind;	/* BTF_KIND_FUNC, BTF_KIND_TYPEDEF, ... */
	int id;		/* out: the type id, 0 if there is no such type */
};

/*
 * Resolve want[0..n) in the raw BTF data[0..size). 0 (ids filled in, 0 for
 * names not found), or -EINVAL when the data is not BTF this walk can read.
 */
int ks_btf_scan(const void *data, size_t size, struct ks_btf_want *want, int n);

/*
 * The same for a file: mapped read-only (sysfs allows it for vmlinux BTF
 * since Linux 6.16), else read into one buffer; unmapped/freed before it
 * returns. -errno if the file cannot be read, -EINVAL as above.
 */
int ks_btf_scan_file(const char *path, struct ks_btf_want *want, int n);

/*
 * Is data[0..size) raw BTF that kscope can give libbpf as a kernel's
 * (--btf FILE)? Every type is walked: its kind known, its bytes inside the
 * type section, every name and type id it refers to inside the BTF; and a
 * kernel's BTF has a struct task_struct. 0, or -EINVAL with *why saying
 * what is wrong (static text).
 */
int ks_btf_check(const void *data, size_t size, const char **why);
/* The same for raw BTF or an ELF file with a .BTF section (a vmlinux image) */
int ks_btf_check_data(const void *data, size_t size, const char **why);
/*
 * The same for a file: -errno if it cannot be opened or mapped, -EISDIR
 * for a directory, -EINVAL with *why (not a regular file, empty, not BTF).
 */
int ks_btf_check_file(const char *path, const char **why);

#endif

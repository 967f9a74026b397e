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

#endif

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/btf.h>

#include "btf_scan.h"
#include "util.h"

/* bytes that follow a struct btf_type of this kind; -1: a kind we do not know */
static long trailing_size(unsigned kind, unsigned vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
		return sizeof(__u32);
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return (long)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return sizeof(struct btf_decl_tag);
	case BTF_KIND_ENUM64:
		return (long)vlen * sizeof(struct btf_enum64);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:	/* BTF_KIND_UNKN (never a real type) and kinds newer than us */
		return -1;
	}
}

/*
 * The header of raw BTF: where its types and strings are. 0, or -EINVAL
 * with *why saying what is wrong.
 */
static int btf_sections(const void *data, size_t size, const unsigned char **types,
			const unsigned char **end, const char **strs, uint32_t *str_len,
			const char **why)
{
	const struct btf_header *hdr = data;
	uint64_t meta;

	if (!data || size < sizeof(*hdr) || (uintptr_t)data % 4) {
		*why = size < sizeof(*hdr) ? "too short for a BTF header" : "misaligned";
		return -EINVAL;
	}
	if (hdr->magic == __builtin_bswap16(BTF_MAGIC)) {
		*why = "BTF of the other byte order";
		return -EINVAL;
	}
	if (hdr->magic != BTF_MAGIC) {
		*why = "no BTF magic (0xeb9f) at its start";
		return -EINVAL;
	}
	if (hdr->version != BTF_VERSION) {
		*why = "unknown BTF version";
		return -EINVAL;
	}
	if (hdr->hdr_len < sizeof(*hdr) || hdr->hdr_len > size || hdr->hdr_len % 4 ||
	    hdr->type_off % 4) {
		*why = "bad BTF header";
		return -EINVAL;
	}
	meta = size - hdr->hdr_len;
	if ((uint64_t)hdr->type_off + hdr->type_len > hdr->str_off ||
	    (uint64_t)hdr->str_off + hdr->str_len > meta) {
		*why = "truncated: its header describes more types and strings than it holds";
		return -EINVAL;
	}
	*types = (const unsigned char *)data + hdr->hdr_len + hdr->type_off;
	*end = *types + hdr->type_len;
	*strs = (const char *)data + hdr->hdr_len + hdr->str_off;
	*str_len = hdr->str_len;
	/* the string section starts with "" and ends with a NUL */
	if (!hdr->str_len || (*strs)[0] || (*strs)[hdr->str_len - 1]) {
		*why = "bad string section";
		return -EINVAL;
	}
	return 0;
}

/*
 * The type at p, if all of it lies before end: its size with what trails
 * it, or -EINVAL (a kind we do not know, or a type cut short).
 */
static long btf_type_size(const unsigned char *p, const unsigned char *end)
{
	const struct btf_type *t = (const struct btf_type *)p;
	long extra;

	if ((size_t)(end - p) < sizeof(*t))
		return -EINVAL;
	extra = trailing_size(BTF_INFO_KIND(t->info), BTF_INFO_VLEN(t->info));
	if (extra < 0 || (size_t)(end - p) - sizeof(*t) < (size_t)extra)
		return -EINVAL;
	return sizeof(*t) + extra;
}

int ks_btf_scan(const void *data, size_t size, struct ks_btf_want *want, int n)
{
	const unsigned char *p, *end;
	const char *strs, *why;
	uint32_t kinds = 0, str_len;
	int left = 0;

	if (btf_sections(data, size, &p, &end, &strs, &str_len, &why))
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		want[i].id = 0;
		if (want[i].kind <= 0 || want[i].kind >= 32 || !want[i].name || !want[i].name[0])
			continue;	/* never matches: no named type of kind 0 */
		kinds |= 1u << want[i].kind;
		left++;
	}

	for (int id = 1; p < end && left; id++) {
		const struct btf_type *t = (const struct btf_type *)p;
		long sz = btf_type_size(p, end);
		unsigned kind;

		if (sz < 0 || id <= 0)
			return -EINVAL;
		kind = BTF_INFO_KIND(t->info);
		if ((kinds >> kind) & 1 && t->name_off) {
			const char *name;

			if (t->name_off >= str_len)
				return -EINVAL;
			name = strs + t->name_off;
			for (int i = 0; i < n; i++) {
				struct ks_btf_want *w = &want[i];

				if (w->id || w->kind != (int)kind || w->name[0] != name[0] ||
				    strcmp(w->name, name))
					continue;
				w->id = id;
				left--;
			}
		}
		p += sz;
	}
	return 0;
}

/* ---- checking BTF a user names (--btf FILE) ---------------------------- */

struct btf_refs {
	uint32_t str_len;
	uint32_t last_id;	/* ids above it refer to nothing */
	uint32_t bad_id;	/* the type being checked, for the message */
};

static bool name_ok(const struct btf_refs *r, uint32_t off)
{
	return off < r->str_len;
}

static bool id_ok(const struct btf_refs *r, uint32_t id)
{
	return id <= r->last_id;	/* 0 is void */
}

/*
 * The items after a type of these kinds (members, enumerators, parameters,
 * variables): their size, and where their name and type id are (-1: none)
 */
struct item_ref {
	unsigned kind, size;
	int name, type;
};

#define ITEM_REF(kind, type_, name_, id_) { kind, sizeof(type_), name_, id_ }
#define AT(type_, member) ((int)offsetof(type_, member))

static const struct item_ref item_refs[] = {
	ITEM_REF(BTF_KIND_STRUCT, struct btf_member, AT(struct btf_member, name_off),
		 AT(struct btf_member, type)),
	ITEM_REF(BTF_KIND_UNION, struct btf_member, AT(struct btf_member, name_off),
		 AT(struct btf_member, type)),
	ITEM_REF(BTF_KIND_ENUM, struct btf_enum, AT(struct btf_enum, name_off), -1),
	ITEM_REF(BTF_KIND_ENUM64, struct btf_enum64, AT(struct btf_enum64, name_off), -1),
	ITEM_REF(BTF_KIND_FUNC_PROTO, struct btf_param, AT(struct btf_param, name_off),
		 AT(struct btf_param, type)),
	ITEM_REF(BTF_KIND_DATASEC, struct btf_var_secinfo, -1, AT(struct btf_var_secinfo, type)),
};

/* Every name and type id that t refers to is inside this BTF */
static bool refs_ok(const struct btf_refs *r, const struct btf_type *t)
{
	unsigned vlen = BTF_INFO_VLEN(t->info);
	const void *x = t + 1;

	if (!name_ok(r, t->name_off))
		return false;
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FUNC_PROTO:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
	case BTF_KIND_TYPE_TAG:
		if (!id_ok(r, t->type))
			return false;
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = x;

		return id_ok(r, a->type) && id_ok(r, a->index_type);
	}
	default:
		break;
	}
	for (size_t k = 0; k < ARRAY_SIZE(item_refs); k++) {
		const struct item_ref *ir = &item_refs[k];

		if (ir->kind != BTF_INFO_KIND(t->info))
			continue;
		for (unsigned i = 0; i < vlen; i++) {
			const uint32_t *item = (const uint32_t *)((const char *)x + i * ir->size);

			if ((ir->name >= 0 && !name_ok(r, item[ir->name / 4])) ||
			    (ir->type >= 0 && !id_ok(r, item[ir->type / 4])))
				return false;
		}
	}
	return true;
}

int ks_btf_check(const void *data, size_t size, const char **why)
{
	const unsigned char *types, *end, *p;
	struct btf_refs r = {};
	const char *strs;
	bool task_struct = false;
	static char msg[96];

	if (btf_sections(data, size, &types, &end, &strs, &r.str_len, why))
		return -EINVAL;
	/* first the layout (and the number of types), then what the types refer to */
	for (p = types; p < end; r.last_id++) {
		long sz = btf_type_size(p, end);

		if (sz < 0 || r.last_id == INT32_MAX) {
			snprintf(msg, sizeof(msg), "type %u is cut short or of an unknown kind",
				 r.last_id + 1);
			*why = msg;
			return -EINVAL;
		}
		p += sz;
	}
	for (p = types; p < end; r.bad_id++) {
		const struct btf_type *t = (const struct btf_type *)p;

		if (!refs_ok(&r, t)) {
			snprintf(msg, sizeof(msg), "type %u refers to a name or type it does not hold",
				 r.bad_id + 1);
			*why = msg;
			return -EINVAL;
		}
		if (BTF_INFO_KIND(t->info) == BTF_KIND_STRUCT && !strcmp(strs + t->name_off,
									   "task_struct"))
			task_struct = true;
		p += btf_type_size(p, end);
	}
	if (!task_struct) {
		*why = "no struct task_struct in it: not a kernel's BTF";
		return -EINVAL;
	}
	return 0;
}

/*
 * The .BTF section of an ELF file (a vmlinux image), as libbpf reads one: a
 * malloc'ed copy (libelf may hand out a buffer of its own, freed by
 * elf_end(): fuzz_btf found the use after free).
 */
static void *elf_btf(const void *data, size_t size, size_t *btf_size, const char **why)
{
	void *copy = NULL;
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)data, size);
	*why = "an ELF file without a .BTF section";
	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		*why = "a damaged ELF file";
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			break;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".BTF"))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || !d->d_size || sh.sh_type == SHT_NOBITS) {
			*why = "an ELF file whose .BTF section is empty";
			break;
		}
		copy = malloc(d->d_size);
		if (!copy) {
			*why = "out of memory";
			break;
		}
		memcpy(copy, d->d_buf, d->d_size);
		*btf_size = d->d_size;
		break;
	}
out:
	if (elf)
		elf_end(elf);
	return copy;
}

int ks_btf_check_data(const void *data, size_t size, const char **why)
{
	void *copy;
	size_t btf_size = 0;
	int err;

	if (!size) {
		*why = "empty";
		return -EINVAL;
	}
	if (size < SELFMAG || memcmp(data, ELFMAG, SELFMAG))
		return ks_btf_check(data, size, why);
	copy = elf_btf(data, size, &btf_size, why);
	if (!copy)
		return -EINVAL;
	err = ks_btf_check(copy, btf_size, why);
	free(copy);
	return err;
}

/* path opened read-only, and its stat: the fd, or -errno */
static int open_stat(const char *path, int flags, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags), err;

	if (fd < 0 || !fstat(fd, st))
		return fd < 0 ? -errno : fd;
	err = -errno;
	close(fd);
	return err;
}

int ks_btf_check_file(const char *path, const char **why)
{
	struct stat st;
	void *data;
	int fd, err;

	*why = NULL;
	fd = open_stat(path, O_NONBLOCK, &st);
	if (fd < 0)
		return fd;
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		*why = "not a regular file";
		return -EINVAL;
	}
	if (!st.st_size) {
		close(fd);
		*why = "empty";
		return -EINVAL;
	}
	data = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED)
		return -errno;
	err = ks_btf_check_data(data, st.st_size, why);
	munmap(data, st.st_size);
	return err;
}

/* the whole file in one malloc'ed buffer (sysfs files may report size 0) */
static void *read_all(int fd, size_t hint, size_t *size)
{
	size_t cap = hint ? hint + 1 : 1 << 20, len = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	if (!buf)
		return NULL;
	for (;;) {
		if (len == cap) {
			nb = realloc(buf, cap *= 2);
			if (!nb)
				goto fail;
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (!r)
			break;
		len += r;
	}
	*size = len;
	return buf;
fail:
	free(buf);
	return NULL;
}

int ks_btf_scan_file(const char *path, struct ks_btf_want *want, int n)
{
	void *data = MAP_FAILED;
	struct stat st;
	size_t size = 0;
	int fd = open_stat(path, 0, &st), err;

	if (fd < 0)
		return fd;
	/* private and read-only: the kernel refuses shared or writable maps */
	if (st.st_size > 0) {
		size = st.st_size;
		data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	}
	if (data != MAP_FAILED) {
		close(fd);
		err = ks_btf_scan(data, size, want, n);
		munmap(data, size);
		return err;
	}
	data = read_all(fd, st.st_size > 0 ? (size_t)st.st_size : 0, &size);
	err = data ? 0 : -errno ?: -ENOMEM;
	close(fd);
	if (!err)
		err = ks_btf_scan(data, size, want, n);
	free(data);
	return err;
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/btf.h>

#include "btf_scan.h"

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

int ks_btf_scan(const void *data, size_t size, struct ks_btf_want *want, int n)
{
	const struct btf_header *hdr = data;
	const unsigned char *types, *p, *end;
	const char *strs;
	uint64_t meta;
	uint32_t kinds = 0;
	int left = 0;

	if (!data || size < sizeof(*hdr) || (uintptr_t)data % 4)
		return -EINVAL;
	/* a byte-swapped magic is BTF of the other endianness: libbpf's business */
	if (hdr->magic != BTF_MAGIC || hdr->version != BTF_VERSION)
		return -EINVAL;
	if (hdr->hdr_len < sizeof(*hdr) || hdr->hdr_len > size || hdr->hdr_len % 4 ||
	    hdr->type_off % 4)
		return -EINVAL;
	meta = size - hdr->hdr_len;
	if ((uint64_t)hdr->type_off + hdr->type_len > hdr->str_off ||
	    (uint64_t)hdr->str_off + hdr->str_len > meta || !hdr->str_len)
		return -EINVAL;
	types = (const unsigned char *)data + hdr->hdr_len + hdr->type_off;
	strs = (const char *)data + hdr->hdr_len + hdr->str_off;
	/* the string section starts with "" and ends with a NUL */
	if (strs[0] || strs[hdr->str_len - 1])
		return -EINVAL;

	for (int i = 0; i < n; i++) {
		want[i].id = 0;
		if (want[i].kind <= 0 || want[i].kind >= 32 || !want[i].name || !want[i].name[0])
			continue;	/* never matches: no named type of kind 0 */
		kinds |= 1u << want[i].kind;
		left++;
	}

	p = types;
	end = types + hdr->type_len;
	for (int id = 1; p < end && left; id++) {
		const struct btf_type *t = (const struct btf_type *)p;
		unsigned kind, vlen;
		long extra;

		if ((size_t)(end - p) < sizeof(*t) || id <= 0)
			return -EINVAL;
		kind = BTF_INFO_KIND(t->info);
		vlen = BTF_INFO_VLEN(t->info);
		extra = trailing_size(kind, vlen);
		if (extra < 0 || (size_t)(end - p) - sizeof(*t) < (size_t)extra)
			return -EINVAL;
		if ((kinds >> kind) & 1 && t->name_off) {
			const char *name;

			if (t->name_off >= hdr->str_len)
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
		p += sizeof(*t) + extra;
	}
	return 0;
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
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	void *data = MAP_FAILED;
	struct stat st;
	size_t size = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
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

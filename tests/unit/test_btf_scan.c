// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for src/engine/btf_scan.c: the pre-check's one-walk look-up of
 * BTF type ids by name, on a hand-made BTF blob with every kind (checked
 * against libbpf's own parse of the same blob), on broken blobs, and on
 * this machine's /sys/kernel/btf/vmlinux against btf__find_by_name_kind().
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <elf.h>
#include <linux/btf.h>
#include <bpf/btf.h>
#include <cmocka.h>

#include "engine/btf_scan.h"
#include "engine/util.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/* as in the kernel's tools/include/uapi/linux/btf.h (not in the installed header) */
#define BTF_INFO_ENC(kind, kind_flag, vlen) \
	((!!(kind_flag) << 31) | ((uint32_t)(kind) << 24) | ((vlen) & BTF_MAX_VLEN))
#define BTF_INT_ENC(encoding, bits_offset, nr_bits) \
	((encoding) << 24 | (bits_offset) << 16 | (nr_bits))

/* ---- a hand-made blob ---------------------------------------------------- */

struct blob {
	uint32_t types[512];	/* u32 words */
	int ntypes;		/* words used */
	char strs[1024];
	int nstrs;
	int ids;		/* types added */
	union {
		uint32_t align;
		unsigned char data[sizeof(struct btf_header) + 512 * 4 + 1024];
	} out;
	size_t size;
};

static uint32_t str(struct blob *b, const char *s)
{
	uint32_t off = b->nstrs;

	if (!s)
		return 0;
	strcpy(b->strs + b->nstrs, s);
	b->nstrs += strlen(s) + 1;
	return off;
}

/* a type and its trailing words; returns its id */
static int add(struct blob *b, const char *name, unsigned kind, unsigned vlen, uint32_t size_type,
	       int nextra, ...)
{
	va_list ap;

	b->types[b->ntypes++] = str(b, name);
	b->types[b->ntypes++] = BTF_INFO_ENC(kind, 0, vlen);
	b->types[b->ntypes++] = size_type;
	va_start(ap, nextra);
	for (int i = 0; i < nextra; i++)
		b->types[b->ntypes++] = va_arg(ap, uint32_t);
	va_end(ap);
	return ++b->ids;
}

static void finish(struct blob *b)
{
	struct btf_header hdr = {
		.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(hdr),
		.type_off = 0, .type_len = b->ntypes * 4,
		.str_off = b->ntypes * 4, .str_len = b->nstrs,
	};

	memcpy(b->out.data, &hdr, sizeof(hdr));
	memcpy(b->out.data + sizeof(hdr), b->types, hdr.type_len);
	memcpy(b->out.data + sizeof(hdr) + hdr.type_len, b->strs, hdr.str_len);
	b->size = sizeof(hdr) + hdr.type_len + hdr.str_len;
}

/* Every kind once, names that repeat across kinds and within one */
static void make_blob(struct blob *b)
{
	memset(b, 0, sizeof(*b));
	b->nstrs = 1;	/* "" at offset 0 */
	assert_int_equal(add(b, "int", BTF_KIND_INT, 0, 4, 1, BTF_INT_ENC(BTF_INT_SIGNED, 0, 32)), 1);
	assert_int_equal(add(b, NULL, BTF_KIND_PTR, 0, 1, 0), 2);
	assert_int_equal(add(b, NULL, BTF_KIND_ARRAY, 0, 0, 3, 1, 1, 4), 3);
	assert_int_equal(add(b, "s", BTF_KIND_STRUCT, 2, 8, 6, str(b, "a"), 1, 0,
			     str(b, "b"), 1, 32), 4);
	assert_int_equal(add(b, "u", BTF_KIND_UNION, 1, 4, 3, str(b, "c"), 1, 0), 5);
	assert_int_equal(add(b, "e", BTF_KIND_ENUM, 3, 4, 6, str(b, "E0"), 0, str(b, "E1"), 1,
			     str(b, "E2"), 2), 6);
	assert_int_equal(add(b, "fwd", BTF_KIND_FWD, 0, 0, 0), 7);
	assert_int_equal(add(b, "btf_trace_foo", BTF_KIND_TYPEDEF, 0, 2, 0), 8);
	assert_int_equal(add(b, NULL, BTF_KIND_VOLATILE, 0, 1, 0), 9);
	assert_int_equal(add(b, NULL, BTF_KIND_CONST, 0, 1, 0), 10);
	assert_int_equal(add(b, NULL, BTF_KIND_RESTRICT, 0, 2, 0), 11);
	assert_int_equal(add(b, NULL, BTF_KIND_FUNC_PROTO, 2, 1, 4, str(b, "x"), 1,
			     str(b, "y"), 1), 12);
	assert_int_equal(add(b, "vfs_read", BTF_KIND_FUNC, BTF_FUNC_GLOBAL, 12, 0), 13);
	assert_int_equal(add(b, "v", BTF_KIND_VAR, 0, 1, 1, BTF_VAR_GLOBAL_ALLOCATED), 14);
	assert_int_equal(add(b, ".data", BTF_KIND_DATASEC, 1, 4, 3, 14, 0, 4), 15);
	assert_int_equal(add(b, "float", BTF_KIND_FLOAT, 0, 4, 0), 16);
	assert_int_equal(add(b, "tag", BTF_KIND_DECL_TAG, 0, 4, 1, (uint32_t)-1), 17);
	assert_int_equal(add(b, "tt", BTF_KIND_TYPE_TAG, 0, 1, 0), 18);
	assert_int_equal(add(b, "e64", BTF_KIND_ENUM64, 2, 8, 6, str(b, "F0"), 0, 1,
			     str(b, "F1"), 2, 0), 19);
	/* the same name again: the first id wins, as in btf__find_by_name_kind */
	assert_int_equal(add(b, "vfs_read", BTF_KIND_FUNC, BTF_FUNC_STATIC, 12, 0), 20);
	/* the same names in another kind */
	assert_int_equal(add(b, "vfs_read", BTF_KIND_TYPEDEF, 0, 1, 0), 21);
	assert_int_equal(add(b, "btf_trace_foo", BTF_KIND_FUNC, BTF_FUNC_GLOBAL, 12, 0), 22);
	assert_int_equal(add(b, "bar", BTF_KIND_STRUCT, 0, 0, 0), 23);
	assert_int_equal(add(b, "btf_trace_last", BTF_KIND_TYPEDEF, 0, 2, 0), 24);
	finish(b);
}

static struct ks_btf_want blob_wants[] = {
	{ "vfs_read", BTF_KIND_FUNC, -1 },
	{ "vfs_read", BTF_KIND_TYPEDEF, -1 },
	{ "btf_trace_foo", BTF_KIND_TYPEDEF, -1 },
	{ "btf_trace_foo", BTF_KIND_FUNC, -1 },
	{ "btf_trace_last", BTF_KIND_TYPEDEF, -1 },
	{ "bar", BTF_KIND_FUNC, -1 },		/* a struct, not a function */
	{ "bar", BTF_KIND_STRUCT, -1 },
	{ "e64", BTF_KIND_ENUM64, -1 },
	{ "btf_trace_fo", BTF_KIND_TYPEDEF, -1 },	/* prefixes and extensions: no */
	{ "btf_trace_fooo", BTF_KIND_TYPEDEF, -1 },
	{ "nothing", BTF_KIND_FUNC, -1 },
	{ "vfs_read", BTF_KIND_FUNC, -1 },	/* asked twice: both answered */
};
static const int blob_ids[] = { 13, 21, 8, 22, 24, 0, 23, 19, 0, 0, 0, 13 };

static void check_blob_wants(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(blob_wants); i++)
		assert_int_equal(blob_wants[i].id, blob_ids[i]);
}

static void test_blob(void **state)
{
	static struct blob b;
	struct btf *btf;

	make_blob(&b);
	assert_int_equal(ks_btf_scan(b.out.data, b.size, blob_wants, ARRAY_SIZE(blob_wants)), 0);
	check_blob_wants();

	/* libbpf reads the same blob the same way */
	btf = btf__new(b.out.data, b.size);
	assert_non_null(btf);
	assert_int_equal(btf__type_cnt(btf), 25);
	for (size_t i = 0; i < ARRAY_SIZE(blob_wants); i++) {
		int id = btf__find_by_name_kind(btf, blob_wants[i].name, blob_wants[i].kind);

		assert_int_equal(id < 0 ? 0 : id, blob_ids[i]);
	}
	btf__free(btf);

	/* nothing wanted, or nothing nameable: fine */
	assert_int_equal(ks_btf_scan(b.out.data, b.size, NULL, 0), 0);
	{
		struct ks_btf_want w[] = { { "", BTF_KIND_FUNC, -1 }, { "int", 0, -1 } };

		assert_int_equal(ks_btf_scan(b.out.data, b.size, w, 2), 0);
		assert_int_equal(w[0].id, 0);
		assert_int_equal(w[1].id, 0);
	}
}

/* ---- broken blobs -------------------------------------------------------- */

static struct blob broken;

static struct btf_header *hdr_of(struct blob *b)
{
	return (struct btf_header *)b->out.data;
}

static void expect_invalid(struct blob *b, size_t size)
{
	struct ks_btf_want w = { "btf_trace_last", BTF_KIND_TYPEDEF, -1 };

	assert_int_equal(ks_btf_scan(b->out.data, size, &w, 1), -EINVAL);
}

/* the type (by id) in a finished blob, as u32 words */
static uint32_t *type_words(struct blob *b, int id)
{
	uint32_t *p = (uint32_t *)(b->out.data + sizeof(struct btf_header));

	for (int i = 1; i < id; i++) {
		unsigned kind = BTF_INFO_KIND(p[1]), vlen = BTF_INFO_VLEN(p[1]);
		int extra[] = { [BTF_KIND_INT] = 1, [BTF_KIND_ARRAY] = 3, [BTF_KIND_STRUCT] = 3 * vlen,
				[BTF_KIND_UNION] = 3 * vlen, [BTF_KIND_ENUM] = 2 * vlen,
				[BTF_KIND_FUNC_PROTO] = 2 * vlen, [BTF_KIND_VAR] = 1,
				[BTF_KIND_DATASEC] = 3 * vlen, [BTF_KIND_DECL_TAG] = 1,
				[BTF_KIND_ENUM64] = 3 * vlen, [BTF_KIND_TYPE_TAG] = 0 };

		p += 3 + extra[kind];
	}
	return p;
}

static void test_broken(void **state)
{
	struct blob *b = &broken;
	struct ks_btf_want w = { "btf_trace_last", BTF_KIND_TYPEDEF, -1 };

	make_blob(b);
	assert_int_equal(ks_btf_scan(b->out.data, b->size, &w, 1), 0);
	assert_int_equal(w.id, 24);

	/* too short for a header, or cut anywhere inside the strings */
	expect_invalid(b, sizeof(struct btf_header) - 1);
	expect_invalid(b, b->size - 1);
	assert_int_equal(ks_btf_scan(NULL, b->size, &w, 1), -EINVAL);
	/* not 4-byte aligned */
	{
		static union { uint32_t a; unsigned char d[sizeof(b->out.data) + 4]; } u;

		memcpy(u.d + 1, b->out.data, b->size);
		assert_int_equal(ks_btf_scan(u.d + 1, b->size, &w, 1), -EINVAL);
	}

	/* header fields */
	hdr_of(b)->magic = 0x9FeB;	/* the other endianness */
	expect_invalid(b, b->size);
	make_blob(b);
	hdr_of(b)->version = 2;
	expect_invalid(b, b->size);
	make_blob(b);
	hdr_of(b)->hdr_len = sizeof(struct btf_header) - 4;
	expect_invalid(b, b->size);
	make_blob(b);
	hdr_of(b)->hdr_len = b->size + 4;
	expect_invalid(b, b->size);
	make_blob(b);
	hdr_of(b)->type_len += 4;	/* types run into the strings */
	expect_invalid(b, b->size);
	make_blob(b);
	hdr_of(b)->str_len += 1;	/* past the end of the data */
	expect_invalid(b, b->size);
	make_blob(b);
	hdr_of(b)->str_len = 0;
	expect_invalid(b, b->size);
	make_blob(b);
	hdr_of(b)->type_off = 2;
	expect_invalid(b, b->size);
	make_blob(b);
	hdr_of(b)->str_off = 0xfffffff0u;	/* overflows 32 bits with str_len */
	expect_invalid(b, b->size);

	/* strings: not starting with "" or not NUL-terminated */
	make_blob(b);
	b->out.data[sizeof(struct btf_header) + hdr_of(b)->str_off] = 'x';
	expect_invalid(b, b->size);
	make_blob(b);
	b->out.data[b->size - 1] = 'x';
	expect_invalid(b, b->size);

	/* types: unknown kinds (0 and one newer than ENUM64) */
	make_blob(b);
	type_words(b, 9)[1] = BTF_INFO_ENC(BTF_KIND_ENUM64 + 1, 0, 0);
	expect_invalid(b, b->size);
	make_blob(b);
	type_words(b, 9)[1] = BTF_INFO_ENC(BTF_KIND_UNKN, 0, 0);
	expect_invalid(b, b->size);
	/* a vlen running past the type section */
	make_blob(b);
	type_words(b, 23)[1] = BTF_INFO_ENC(BTF_KIND_STRUCT, 0, 1000);
	expect_invalid(b, b->size);
	/* a type section ending inside a type */
	make_blob(b);
	hdr_of(b)->type_len -= 4;
	expect_invalid(b, b->size);
	/* a wanted kind with its name outside the strings */
	make_blob(b);
	type_words(b, 13)[0] = hdr_of(b)->str_len;
	{
		struct ks_btf_want f = { "vfs_read", BTF_KIND_FUNC, -1 };

		assert_int_equal(ks_btf_scan(b->out.data, b->size, &f, 1), -EINVAL);
	}
}

/* ---- files --------------------------------------------------------------- */

static void test_file(void **state)
{
	static struct blob b;
	char path[] = "/tmp/ks-btf-scan-XXXXXX", fdpath[64];
	int fd, p[2];

	make_blob(&b);

	/* a regular file: mapped */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b.out.data, b.size), (ssize_t)b.size);
	close(fd);
	assert_int_equal(ks_btf_scan_file(path, blob_wants, ARRAY_SIZE(blob_wants)), 0);
	check_blob_wants();
	unlink(path);

	/* a pipe (size 0, cannot be mapped): read into a buffer */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], b.out.data, b.size), (ssize_t)b.size);
	close(p[1]);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", p[0]);
	assert_int_equal(ks_btf_scan_file(fdpath, blob_wants, ARRAY_SIZE(blob_wants)), 0);
	check_blob_wants();
	close(p[0]);

	assert_int_equal(ks_btf_scan_file("/nonexistent/ks-btf", blob_wants, 1), -ENOENT);
}

/* ---- ks_btf_check: BTF a user names (--btf FILE) ------------------------ */

#define expect_why(b, size, why) expect_why_at(b, size, why, __LINE__)

static void expect_why_at(struct blob *b, size_t size, const char *why, int line)
{
	const char *got = NULL;
	int err = ks_btf_check(b->out.data, size, &got);

	if (err != -EINVAL || !got || !strstr(got, why))
		fail_msg("line %d: expected -EINVAL and '%s', got %d and '%s'", line, why, err,
			 got ? got : "(null)");
}

/* the blob, with a struct task_struct (id 25): what a kernel's BTF has */
static void make_kernel_blob(struct blob *b)
{
	make_blob(b);
	assert_int_equal(add(b, "task_struct", BTF_KIND_STRUCT, 1, 4, 3, str(b, "pid"), 1, 0), 25);
	finish(b);
}

static void test_check(void **state)
{
	static struct blob b;
	const char *why = "unset";

	make_kernel_blob(&b);
	assert_int_equal(ks_btf_check(b.out.data, b.size, &why), 0);
	/* every kind, but no task_struct: a program's BTF, not a kernel's */
	make_blob(&b);
	expect_why(&b, b.size, "not a kernel's BTF");

	/* what the scan refuses, the check refuses, and says why */
	make_kernel_blob(&b);
	expect_why(&b, sizeof(struct btf_header) - 1, "too short");
	expect_why(&b, b.size - 1, "truncated");
	hdr_of(&b)->magic = 0x9FeB;
	expect_why(&b, b.size, "other byte order");
	hdr_of(&b)->magic = 0x4c45;
	expect_why(&b, b.size, "no BTF magic");
	make_kernel_blob(&b);
	hdr_of(&b)->version = 2;
	expect_why(&b, b.size, "version");
	make_kernel_blob(&b);
	b.out.data[b.size - 1] = 'x';
	expect_why(&b, b.size, "string section");
	make_kernel_blob(&b);
	type_words(&b, 9)[1] = BTF_INFO_ENC(BTF_KIND_ENUM64 + 1, 0, 0);
	expect_why(&b, b.size, "type 9 is cut short or of an unknown kind");
	make_kernel_blob(&b);
	type_words(&b, 23)[1] = BTF_INFO_ENC(BTF_KIND_STRUCT, 0, 1000);
	expect_why(&b, b.size, "type 23 is cut short");

	/* references the scan never follows: every one must stay inside the BTF */
	make_kernel_blob(&b);
	type_words(&b, 2)[2] = 26;			/* a pointer to no type */
	expect_why(&b, b.size, "type 2 refers to a name or type");
	make_kernel_blob(&b);
	type_words(&b, 2)[2] = 25;			/* ... to the last one: fine */
	assert_int_equal(ks_btf_check(b.out.data, b.size, &why), 0);
	make_kernel_blob(&b);
	type_words(&b, 3)[4] = 1000;			/* an array's index type */
	expect_why(&b, b.size, "type 3 refers");
	make_kernel_blob(&b);
	type_words(&b, 4)[7] = 99;			/* the second member's type */
	expect_why(&b, b.size, "type 4 refers");
	make_kernel_blob(&b);
	type_words(&b, 4)[3] = hdr_of(&b)->str_len;	/* the first member's name */
	expect_why(&b, b.size, "type 4 refers");
	make_kernel_blob(&b);
	type_words(&b, 6)[7] = 0xffffff00u;		/* an enumerator's name */
	expect_why(&b, b.size, "type 6 refers");
	make_kernel_blob(&b);
	type_words(&b, 12)[6] = 4000;			/* a parameter's type */
	expect_why(&b, b.size, "type 12 refers");
	make_kernel_blob(&b);
	type_words(&b, 15)[3] = 30;			/* a section's variable */
	expect_why(&b, b.size, "type 15 refers");
	make_kernel_blob(&b);
	type_words(&b, 19)[3] = hdr_of(&b)->str_len + 7;	/* an enum64 value's name */
	expect_why(&b, b.size, "type 19 refers");
	make_kernel_blob(&b);
	type_words(&b, 13)[0] = hdr_of(&b)->str_len;	/* a type's own name */
	expect_why(&b, b.size, "type 13 refers");
}

/*
 * An ELF64 file holding blob as its .BTF section (a vmlinux image, as
 * `--btf vmlinux` reads it): header, .shstrtab, .BTF, section headers.
 */
static size_t make_elf(unsigned char *out, size_t cap, const struct blob *b, size_t pad)
{
	static const char shstr[] = "\0.shstrtab\0.BTF";
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_ehsize = sizeof(Elf64_Ehdr), .e_shentsize = sizeof(Elf64_Shdr),
		.e_shnum = 3, .e_shstrndx = 1,
	};
	size_t off_str = sizeof(eh), off_btf = off_str + sizeof(shstr) + pad;
	size_t off_sh = (off_btf + b->size + 7) & ~7ul;
	Elf64_Shdr sh[3] = {
		{ 0 },
		{ .sh_name = 1, .sh_type = SHT_STRTAB, .sh_offset = off_str, .sh_size = sizeof(shstr),
		  .sh_addralign = 1 },
		{ .sh_name = 11, .sh_type = SHT_PROGBITS, .sh_offset = off_btf, .sh_size = b->size,
		  .sh_addralign = 1 },
	};

	assert_true(off_sh + sizeof(sh) <= cap);
	eh.e_shoff = off_sh;
	memset(out, 0, cap);
	memcpy(out, &eh, sizeof(eh));
	memcpy(out + off_str, shstr, sizeof(shstr));
	memcpy(out + off_btf, b->out.data, b->size);
	memcpy(out + off_sh, sh, sizeof(sh));
	return off_sh + sizeof(sh);
}

static void test_check_data_and_file(void **state)
{
	static struct blob b;
	static union { uint64_t align; unsigned char d[8192]; } elf;
	char path[] = "/tmp/ks-btf-check-XXXXXX";
	const char *why;
	size_t n;
	int fd;

	make_kernel_blob(&b);
	assert_int_equal(ks_btf_check_data(b.out.data, b.size, &why), 0);
	/* in an ELF file, at an aligned and at a misaligned offset */
	for (size_t pad = 0; pad < 4; pad++) {
		n = make_elf(elf.d, sizeof(elf.d), &b, pad);
		why = NULL;
		assert_int_equal(ks_btf_check_data(elf.d, n, &why), 0);
	}
	/* ELF files that are no use */
	n = make_elf(elf.d, sizeof(elf.d), &b, 0);
	elf.d[sizeof(Elf64_Ehdr) + 12] = 'X';		/* ".BTF" becomes ".BXF" */
	assert_int_equal(ks_btf_check_data(elf.d, n, &why), -EINVAL);
	assert_string_equal(why, "an ELF file without a .BTF section");
	n = make_elf(elf.d, sizeof(elf.d), &b, 0);
	assert_int_equal(ks_btf_check_data(elf.d, 100, &why), -EINVAL);	/* cut */
	assert_non_null(strstr(why, "ELF"));
	make_blob(&b);					/* a program's BTF in ELF */
	n = make_elf(elf.d, sizeof(elf.d), &b, 0);
	assert_int_equal(ks_btf_check_data(elf.d, n, &why), -EINVAL);
	assert_non_null(strstr(why, "not a kernel's BTF"));
	assert_int_equal(ks_btf_check_data(elf.d, 0, &why), -EINVAL);
	assert_string_equal(why, "empty");

	/* files: regular (mapped), empty, a directory, a device, missing */
	make_kernel_blob(&b);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ks_btf_check_file(path, &why), -EINVAL);
	assert_string_equal(why, "empty");
	assert_int_equal(write(fd, b.out.data, b.size), (ssize_t)b.size);
	close(fd);
	assert_int_equal(ks_btf_check_file(path, &why), 0);
	unlink(path);
	assert_int_equal(ks_btf_check_file("/tmp", &why), -EISDIR);
	assert_int_equal(ks_btf_check_file("/dev/null", &why), -EINVAL);
	assert_string_equal(why, "not a regular file");
	assert_int_equal(ks_btf_check_file("/nonexistent/ks-btf", &why), -ENOENT);
	/* this machine's own: usable */
	if (!access(VMLINUX_BTF, R_OK)) {
		assert_int_equal(ks_btf_check_file(VMLINUX_BTF, &why), 0);
		printf("test_check_data_and_file: %s passes the check\n", VMLINUX_BTF);
	}
}

/* ---- this machine's kernel BTF ------------------------------------------ */

#define NSAMPLES 400

static void test_vmlinux(void **state)
{
	/* the pre-check's names, and some that are not there */
	static const struct { const char *name; int kind; } named[] = {
		{ "btf_trace_sched_switch", BTF_KIND_TYPEDEF },
		{ "btf_trace_sched_process_exec", BTF_KIND_TYPEDEF },
		{ "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF },
		{ "btf_trace_sys_enter", BTF_KIND_TYPEDEF },
		{ "vfs_read", BTF_KIND_FUNC },
		{ "taskstats_exit", BTF_KIND_FUNC },
		{ "bpf_lsm_file_open", BTF_KIND_FUNC },
		{ "ks_no_such_function", BTF_KIND_FUNC },
		{ "btf_trace_ks_no_such_tracepoint", BTF_KIND_TYPEDEF },
		{ "vfs_read", BTF_KIND_TYPEDEF },
	};
	static struct ks_btf_want want[ARRAY_SIZE(named) + NSAMPLES];
	int n = 0, nfound = 0, err, step, fd;
	struct btf *btf;
	__u32 cnt;

	if (access(VMLINUX_BTF, F_OK)) {
		printf("test_vmlinux: this machine has no kernel BTF (%s: %s): "
		       "nothing to compare with\n", VMLINUX_BTF, strerror(errno));
		return;
	}
	/* it exists: it must be readable, and both parses must work */
	fd = open(VMLINUX_BTF, O_RDONLY);
	if (fd < 0)
		fail_msg("%s exists but cannot be opened: %s", VMLINUX_BTF, strerror(errno));
	else {
		off_t size = lseek(fd, 0, SEEK_END);
		void *m = size > 0 ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;

		printf("test_vmlinux: %s, %lld bytes, %s\n", VMLINUX_BTF, (long long)size,
		       m != MAP_FAILED ? "mapped" : "cannot be mapped (before 6.16): read");
		if (m != MAP_FAILED)
			munmap(m, size);
		close(fd);
	}
	btf = btf__parse(VMLINUX_BTF, NULL);
	if (!btf)
		fail_msg("libbpf cannot parse %s: %s", VMLINUX_BTF, strerror(errno));
	cnt = btf__type_cnt(btf);

	for (size_t i = 0; i < ARRAY_SIZE(named); i++)
		want[n++] = (struct ks_btf_want){ named[i].name, named[i].kind, -1 };
	/* a spread of FUNC and TYPEDEF names from the whole id range */
	step = cnt / NSAMPLES ?: 1;
	for (__u32 id = 1; id < cnt && n < (int)ARRAY_SIZE(want); id += step) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		while (id < cnt && (!t->name_off || (btf_kind(t) != BTF_KIND_FUNC &&
						     btf_kind(t) != BTF_KIND_TYPEDEF)))
			t = btf__type_by_id(btf, ++id);
		if (id >= cnt)
			break;
		want[n++] = (struct ks_btf_want){ btf__name_by_offset(btf, t->name_off),
						  btf_kind(t), -1 };
	}
	assert_true(n > 100);

	err = ks_btf_scan_file(VMLINUX_BTF, want, n);
	if (err)
		fail_msg("ks_btf_scan_file(%s): %s", VMLINUX_BTF, strerror(-err));
	for (int i = 0; i < n; i++) {
		int id = btf__find_by_name_kind(btf, want[i].name, want[i].kind);

		if ((id < 0 ? 0 : id) != want[i].id)
			fail_msg("%s (kind %d): walk %d, libbpf %d", want[i].name, want[i].kind,
				 want[i].id, id);
		nfound += id > 0;
	}
	/* the first four names exist in every kernel kscope runs on */
	for (int i = 0; i < 4; i++)
		assert_true(want[i].id > 0);
	assert_int_equal(want[7].id, 0);
	assert_int_equal(want[8].id, 0);
	printf("test_vmlinux: %d names, %d found, ids equal to libbpf's (%u types)\n", n, nfound,
	       cnt - 1);
	btf__free(btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_check_data_and_file),
		cmocka_unit_test(test_vmlinux),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_btf: the BTF walker (src/engine/btf_scan.c) on bytes a user names
 * with --btf FILE: the full check (raw BTF, and ELF files with a .BTF
 * section through libelf) and the pre-check's id look-up, on an 8-byte
 * aligned copy of exactly the input (the walker refuses misaligned data),
 * and through a file (a memfd, by its /proc path: mapped read-only, as a
 * user's --btf FILE is). One name looked up comes from the input itself.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <linux/btf.h>

#include "engine/btf_scan.h"

static int memfd = -1;
static char memfd_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memfd = memfd_create("fuzz-btf", MFD_CLOEXEC);
	if (memfd < 0)
		abort();
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[16] = "";
	struct ks_btf_want want[] = {
		{ "task_struct", BTF_KIND_STRUCT, -1 },
		{ "btf_trace_sched_switch", BTF_KIND_TYPEDEF, -1 },
		{ "vfs_read", BTF_KIND_FUNC, -1 },
		{ "int", BTF_KIND_INT, -1 },
		{ "a", BTF_KIND_ENUM64, -1 },
		{ "", BTF_KIND_FUNC, -1 },
		{ name, size ? data[0] % 32 : 0, -1 },
	};
	const char *why = NULL;
	void *buf = malloc(size ? size : 1);

	if (!buf)
		abort();
	memcpy(buf, data, size);
	if (size > 1)
		memcpy(name, data + 1, size - 1 < sizeof(name) - 1 ? size - 1 : sizeof(name) - 1);
	/* a refusal always says why */
	if (ks_btf_check(buf, size, &why) == -EINVAL && !why)
		abort();
	why = NULL;
	if (ks_btf_check_data(buf, size, &why) == -EINVAL && !why)
		abort();
	/* a walk that succeeds answers every name: 0 or a type id */
	if (!ks_btf_scan(buf, size, want, sizeof(want) / sizeof(want[0])))
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (want[i].id < 0)
				abort();
	free(buf);
	/* the same bytes as a file */
	if (ftruncate(memfd, 0) || pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
	why = NULL;
	if (ks_btf_check_file(memfd_path, &why) == -EINVAL && !why)
		abort();
	ks_btf_scan_file(memfd_path, want, sizeof(want) / sizeof(want[0]));
	return 0;
}

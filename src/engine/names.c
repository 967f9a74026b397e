// SPDX-License-Identifier: GPL-2.0
/* Lookups in the generated name tables (see names.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/names.h"

/* ---- syscalls ----------------------------------------------------------- */

static const char **sys_by_nr;
static long sys_max = -1;

static void sys_index(void)
{
	if (sys_by_nr)
		return;
	for (unsigned i = 0; i < ks_syscall_table_len; i++)
		if (ks_syscall_table[i].value > sys_max)
			sys_max = ks_syscall_table[i].value;
	sys_by_nr = calloc(sys_max + 1, sizeof(*sys_by_nr));
	if (!sys_by_nr) {
		sys_max = -1;
		return;
	}
	/* of two names for one number, the first in the header wins */
	for (unsigned i = 0; i < ks_syscall_table_len; i++) {
		long nr = ks_syscall_table[i].value;

		if (nr >= 0 && !sys_by_nr[nr])
			sys_by_nr[nr] = ks_syscall_table[i].name;
	}
}

const char *ks_syscall_name(long nr)
{
	sys_index();
	return nr >= 0 && nr <= sys_max ? sys_by_nr[nr] : NULL;
}

long ks_syscall_max(void)
{
	sys_index();
	return sys_max;
}

long ks_syscall_nr(const char *name)
{
	for (unsigned i = 0; i < ks_syscall_table_len; i++)
		if (!strcmp(ks_syscall_table[i].name, name))
			return ks_syscall_table[i].value;
	return -1;
}

/* ---- errno -------------------------------------------------------------- */

/*
 * Codes the kernel uses internally (include/linux/errno.h, not exported to
 * uapi). A process never sees them, but the sys_exit tracepoint does: an
 * interrupted read() exits with -ERESTARTSYS before the signal code turns it
 * into EINTR or a restart.
 */
static const struct ks_name kernel_errnos[] = {
	{ 512, "ERESTARTSYS" },
	{ 513, "ERESTARTNOINTR" },
	{ 514, "ERESTARTNOHAND" },
	{ 515, "ENOIOCTLCMD" },
	{ 516, "ERESTART_RESTARTBLOCK" },
	{ 517, "EPROBE_DEFER" },
	{ 518, "EOPENSTALLED" },
	{ 519, "ENOPARAM" },
	{ 521, "EBADHANDLE" },
	{ 522, "ENOTSYNC" },
	{ 523, "EBADCOOKIE" },
	{ 524, "ENOTSUPP" },
	{ 525, "ETOOSMALL" },
	{ 526, "ESERVERFAULT" },
	{ 527, "EBADTYPE" },
	{ 528, "EJUKEBOX" },
	{ 529, "EIOCBQUEUED" },
	{ 530, "ERECALLCONFLICT" },
	{ 531, "ENOGRACE" },
};

const char *ks_errno_name(long err)
{
	for (unsigned i = 0; i < ks_errno_table_len; i++)
		if (ks_errno_table[i].value == err)
			return ks_errno_table[i].name;
	for (unsigned i = 0; i < sizeof(kernel_errnos) / sizeof(kernel_errnos[0]); i++)
		if (kernel_errnos[i].value == err)
			return kernel_errnos[i].name;
	return NULL;
}

long ks_errno_value(const char *name)
{
	for (unsigned i = 0; i < ks_errno_table_len; i++)
		if (!strcmp(ks_errno_table[i].name, name))
			return ks_errno_table[i].value;
	for (unsigned i = 0; i < sizeof(kernel_errnos) / sizeof(kernel_errnos[0]); i++)
		if (!strcmp(kernel_errnos[i].name, name))
			return kernel_errnos[i].value;
	return -1;
}

/* ---- open flags --------------------------------------------------------- */

static const struct ks_name *open_flag(const char *name)
{
	for (unsigned i = 0; i < ks_open_flag_table_len; i++)
		if (!strcmp(ks_open_flag_table[i].name, name))
			return &ks_open_flag_table[i];
	return NULL;
}

/* O_NDELAY is O_NONBLOCK: of two names for a value, the first defined wins */
static unsigned first_of_value(unsigned i)
{
	for (unsigned j = 0; j < i; j++)
		if (ks_open_flag_table[j].value == ks_open_flag_table[i].value)
			return j;
	return i;
}

static int popcount(unsigned long v)
{
	return __builtin_popcountl(v);
}

size_t ks_open_flags(char *buf, size_t n, uint64_t flags)
{
	static const char *const modes[] = { "O_RDONLY", "O_WRONLY", "O_RDWR" };
	const struct ks_name *acc = open_flag("O_ACCMODE");
	unsigned long accmode = acc ? (unsigned long)acc->value : 3, left;
	size_t len = 0;
	char tmp[32];

#define PUT(s) do {							\
		const char *s_ = (s);					\
		size_t l_ = strlen(s_);					\
		if (len + 1 < n)					\
			snprintf(buf + len, n - len, "%s%s", len ? "|" : "", s_); \
		len += l_ + (len ? 1 : 0);				\
	} while (0)

	if (n)
		buf[0] = 0;
	if ((flags & accmode) < 3) {
		PUT(modes[flags & accmode]);
	} else {
		snprintf(tmp, sizeof(tmp), "O_ACCMODE(%#lx)", (unsigned long)(flags & accmode));
		PUT(tmp);
	}
	left = flags & ~accmode;
	/* widest first: O_TMPFILE before O_DIRECTORY, O_SYNC before O_DSYNC */
	for (int bits = 8 * sizeof(long); bits > 0 && left; bits--) {
		for (unsigned i = 0; i < ks_open_flag_table_len; i++) {
			unsigned long v = ks_open_flag_table[i].value;

			if (!v || popcount(v) != bits || (v & accmode) || (left & v) != v ||
			    first_of_value(i) != i)
				continue;
			PUT(ks_open_flag_table[i].name);
			left &= ~v;
		}
	}
	if (left) {
		snprintf(tmp, sizeof(tmp), "%#lx", left);
		PUT(tmp);
	}
#undef PUT
	return len;
}

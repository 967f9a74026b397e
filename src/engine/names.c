// SPDX-License-Identifier: GPL-2.0
/* Lookups in the generated name tables (see names.h) */
#include <stdbool.h>
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

/* ---- any table ------------------------------------------------------------ */

const char *ks_name_of(const struct ks_name *t, unsigned n, long v)
{
	for (unsigned i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

long ks_value_of(const struct ks_name *t, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return t[i].value;
	return -1;
}

size_t ks_flag_names(char *buf, size_t cap, const struct ks_name *t, unsigned n,
		     uint64_t flags)
{
	uint64_t left = flags;
	size_t len = 0;

#define PUT(...) do {								\
		int w_ = snprintf(buf + (len < cap ? len : cap), len < cap ? cap - len : 0,	\
				  __VA_ARGS__);					\
		len += w_ > 0 ? (size_t)w_ : 0;					\
	} while (0)
	if (cap)
		buf[0] = 0;
	if (!flags) {
		PUT("0");
		return len;
	}
	for (unsigned i = 0; i < n; i++) {
		uint64_t bit = (uint64_t)t[i].value;

		if (t[i].value <= 0 || (bit & (bit - 1)) || !(left & bit))
			continue;
		PUT("%s%s", len ? "|" : "", t[i].name);
		left &= ~bit;
	}
	if (left)
		PUT("%s0x%llx", len ? "|" : "", (unsigned long long)left);
#undef PUT
	return len;
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

static int popcount(unsigned long v)
{
	return __builtin_popcountl(v);
}

/*
 * The flags ks_open_flags() names, in the order it tries them, worked out
 * once: widest first (O_TMPFILE before O_DIRECTORY, O_SYNC before O_DSYNC),
 * then in table order; the access mode bits left out; of two names for one
 * value the first defined (O_NONBLOCK, not O_NDELAY). Printing is
 * single-threaded, and the table is built before the first record.
 */
static const struct open_order {
	unsigned long accmode;
	unsigned n;
	unsigned short idx[64];
} *open_order(void)
{
	static struct open_order o;
	static bool done;

	if (done)
		return &o;
	done = true;
	{
		const struct ks_name *acc = open_flag("O_ACCMODE");

		o.accmode = acc ? (unsigned long)acc->value : 3;
	}
	for (int bits = 8 * sizeof(long); bits > 0; bits--) {
		for (unsigned i = 0; i < ks_open_flag_table_len; i++) {
			unsigned long v = ks_open_flag_table[i].value;
			bool first = true;

			if (!v || popcount(v) != bits || (v & o.accmode))
				continue;
			for (unsigned j = 0; j < i && first; j++)
				first = (unsigned long)ks_open_flag_table[j].value != v;
			if (first && o.n < sizeof(o.idx) / sizeof(o.idx[0]))
				o.idx[o.n++] = i;
		}
	}
	return &o;
}

/* Append "|s" (or s first) as snprintf would, counting the full length */
static void flag_put(char *buf, size_t n, size_t *len, const char *s)
{
	size_t l = strlen(s), sep = *len ? 1 : 0;

	if (*len + 1 < n) {
		size_t room = n - *len - 1, w = 0;

		if (sep && room)
			buf[*len + w++] = '|';
		if (room > w)
			memcpy(buf + *len + w, s, l < room - w ? l : room - w);
		w = sep + l < room ? sep + l : room;
		buf[*len + w] = '\0';
	}
	*len += l + sep;
}

size_t ks_open_flags(char *buf, size_t n, uint64_t flags)
{
	static const char *const modes[] = { "O_RDONLY", "O_WRONLY", "O_RDWR" };
	const struct open_order *ord = open_order();
	unsigned long accmode = ord->accmode, left;
	size_t len = 0;
	char tmp[32];

	if (n)
		buf[0] = 0;
	if ((flags & accmode) < 3) {
		flag_put(buf, n, &len, modes[flags & accmode]);
	} else {
		snprintf(tmp, sizeof(tmp), "O_ACCMODE(%#lx)", (unsigned long)(flags & accmode));
		flag_put(buf, n, &len, tmp);
	}
	left = flags & ~accmode;
	for (unsigned k = 0; k < ord->n && left; k++) {
		const struct ks_name *f = &ks_open_flag_table[ord->idx[k]];
		unsigned long v = f->value;

		if ((left & v) != v)
			continue;
		flag_put(buf, n, &len, f->name);
		left &= ~v;
	}
	if (left) {
		snprintf(tmp, sizeof(tmp), "%#lx", left);
		flag_put(buf, n, &len, tmp);
	}
	return len;
}

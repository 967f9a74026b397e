// SPDX-License-Identifier: GPL-2.0
/* kscope fileio: checking and printing open and slow_io events (both sinks) */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../engine/names.h"
#include "../engine/out.h"
#include "fileio.h"

static const char *const op_syscall[FIO_OP_MAX] = {
	[FIO_OP_OPEN] = "open",
	[FIO_OP_OPENAT] = "openat",
	[FIO_OP_OPENAT2] = "openat2",
	[FIO_OP_CREAT] = "creat",
	[FIO_OP_READ] = "read",
	[FIO_OP_PREAD64] = "pread64",
	[FIO_OP_READV] = "readv",
	[FIO_OP_PREADV] = "preadv",
	[FIO_OP_PREADV2] = "preadv2",
	[FIO_OP_WRITE] = "write",
	[FIO_OP_PWRITE64] = "pwrite64",
	[FIO_OP_WRITEV] = "writev",
	[FIO_OP_PWRITEV] = "pwritev",
	[FIO_OP_PWRITEV2] = "pwritev2",
	[FIO_OP_FSYNC] = "fsync",
	[FIO_OP_FDATASYNC] = "fdatasync",
	[FIO_OP_CLOSE] = "close",
	[FIO_OP_DUP] = "dup",
	[FIO_OP_DUP2] = "dup2",
	[FIO_OP_DUP3] = "dup3",
	[FIO_OP_FCNTL] = "fcntl",
};

const char *fio_op_syscall(unsigned op)
{
	return op < FIO_OP_MAX && op_syscall[op] ? op_syscall[op] : "?";
}

const char *fio_op_kind(unsigned op)
{
	if (FIO_IS_OPEN(op))
		return "open";
	if (FIO_IS_READ(op))
		return "read";
	if (FIO_IS_WRITE(op))
		return "write";
	if (FIO_IS_SYNC(op))
		return "fsync";
	return "?";
}

int fio_event_check(const void *data, size_t size)
{
	const struct ks_hdr *h = data;

	if (size < sizeof(*h))
		return -EINVAL;
	if (h->type == FIO_EV_OPEN) {
		const struct fio_open_event *e = data;

		if (size < sizeof(*e) || !e->path_len || e->path_len > FIO_OPEN_PATH_MAX ||
		    sizeof(*e) + e->path_len > size || !FIO_IS_OPEN(e->op))
			return -EINVAL;
		return FIO_EV_OPEN;
	}
	if (h->type == FIO_EV_SLOW) {
		const struct fio_slow_event *e = data;

		if (size < sizeof(*e) || e->path_len > FIO_PATH_MAX || !FIO_IS_IO(e->op))
			return -EINVAL;
		return FIO_EV_SLOW;
	}
	if (h->type == FIO_EV_CLOSE) {
		const struct fio_close_event *e = data;

		if (size < offsetof(struct fio_close_event, s.path) ||
		    e->s.path_len > FIO_PATH_MAX ||
		    offsetof(struct fio_close_event, s.path) + e->s.path_len > size)
			return -EINVAL;
		return FIO_EV_CLOSE;
	}
	return -EINVAL;
}

const char *fio_open_path(const struct fio_open_event *e, size_t *len)
{
	const char *p = (const char *)(e + 1);

	*len = strnlen(p, e->path_len);
	return p;
}

uint64_t fio_open_flags(const struct fio_open_event *e)
{
	/* creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode) */
	if (e->op == FIO_OP_CREAT)
		return O_CREAT | O_WRONLY | O_TRUNC;
	return e->flags;
}

/* errno as its name; a number the tables do not know as itself */
/*
 * The errno of a failed call, from its return value: its name, else its
 * number. Unsigned negation: a return value no errno has (a malformed
 * record: INT64_MIN, found by fuzz_events) is still a number.
 */
static void rec_errno(struct ks_out *o, int64_t ret, unsigned flags)
{
	const char *name = ret >= -4095 ? ks_errno_name(-ret) : NULL;
	char buf[24];

	if (!name) {
		snprintf(buf, sizeof(buf), "%" PRIu64, -(uint64_t)ret);
		name = buf;
	}
	ks_rec_str(o, "errno", name, strlen(name), flags);
}

void fio_print_open(struct ks_out *o, const struct fio_open_event *e)
{
	uint64_t flags = fio_open_flags(e);
	bool failed = e->ret < 0;
	const char *path, *sc;
	char fl[512], mode[16];
	size_t len, fl_len;

	path = fio_open_path(e, &len);
	fl_len = ks_open_flags(fl, sizeof(fl), flags);
	if (fl_len >= sizeof(fl))
		fl_len = sizeof(fl) - 1;	/* cut, as ks_open_flags cut it */
	ks_rec_begin(o, "open", &e->hdr);
	if (failed) {
		ks_rec_null(o, "fd", KS_TXT_HIDE);
		rec_errno(o, e->ret, 0);
	} else {
		ks_rec_s64(o, "fd", e->ret, 0);
		ks_rec_null(o, "errno", KS_TXT_HIDE);
	}
	ks_rec_s64(o, "ret", e->ret, KS_TXT_HIDE);
	ks_rec_str(o, "flags", fl, fl_len, 0);
	ks_rec_u64(o, "flags_raw", flags, KS_TXT_HIDE);
	/* the mode means something only when a file may be created: the
	 * kernel takes it as 0 otherwise, whatever the register held */
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
		ks_rec_u64(o, "mode", e->mode, KS_TXT_HIDE);
		if (!o->json) {
			snprintf(mode, sizeof(mode), "%04o", e->mode);
			ks_rec_str(o, "mode", mode, strlen(mode), KS_JSON_HIDE);
		}
	} else {
		ks_rec_null(o, "mode", KS_TXT_HIDE);
	}
	sc = fio_op_syscall(e->op);
	ks_rec_str(o, "syscall", sc, strlen(sc), KS_TXT_HIDE);
	ks_rec_s64(o, "dfd", e->dfd, KS_TXT_HIDE);
	if (e->id)
		ks_rec_u64(o, "open_id", e->id, KS_TXT_HIDE);
	else
		ks_rec_null(o, "open_id", KS_TXT_HIDE);
	ks_rec_str(o, "path", path, len, 0);
	ks_rec_bool(o, "path_truncated", e->hdr.flags & FIO_F_PATH_CUT, KS_TXT_FLAG);
	ks_rec_end(o);
}

void fio_print_slow(struct ks_out *o, const struct fio_slow_event *e,
		    const char *path, size_t path_len)
{
	const char *kind = fio_op_kind(e->op), *sc = fio_op_syscall(e->op);
	bool truncated = false;

	if (!path) {
		path = e->path;
		path_len = strnlen(e->path, sizeof(e->path));
		truncated = e->hdr.flags & FIO_F_MAP_CUT;
	}
	ks_rec_begin(o, "slow_io", &e->hdr);
	ks_rec_str(o, "op", kind, strlen(kind), 0);
	ks_rec_str(o, "syscall", sc, strlen(sc), KS_TXT_HIDE);
	ks_rec_s64(o, "fd", e->fd, 0);
	ks_rec_u64(o, "bytes", e->ret > 0 ? (uint64_t)e->ret : 0, 0);
	if (e->op == FIO_OP_READ || e->op == FIO_OP_WRITE ||
	    e->op == FIO_OP_PREAD64 || e->op == FIO_OP_PWRITE64)
		ks_rec_u64(o, "requested_bytes", e->count, KS_TXT_HIDE);
	else
		ks_rec_null(o, "requested_bytes", KS_TXT_HIDE);
	ks_rec_ns(o, "latency_ns", e->latency_ns, KS_TXT_HIDE);
	ks_rec_ns(o, "latency", e->latency_ns, KS_JSON_HIDE);
	ks_rec_s64(o, "ret", e->ret, KS_TXT_HIDE);
	if (e->ret < 0)
		rec_errno(o, e->ret, 0);
	else
		ks_rec_null(o, "errno", KS_TXT_HIDE);
	ks_rec_u64(o, "open_id", e->id, KS_TXT_HIDE);
	ks_rec_str(o, "path", path, path_len, 0);
	ks_rec_bool(o, "path_truncated", truncated, KS_TXT_FLAG);
	ks_rec_end(o);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kscope fileio: event checks and printing
 * (src/fileio/fileio_print.c), the per-file summary (fileio_sum.c).
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
#include <unistd.h>
#include <cmocka.h>

#include "unit_out.h"

#include "engine/out.h"
#include "fileio/fileio.h"

/* ---- building events ----------------------------------------------------- */

static struct ks_hdr mkhdr(uint16_t type, uint32_t pid, const char *comm, uint64_t ts,
			   uint16_t flags)
{
	struct ks_hdr h = {
		.ts_ns = ts, .cgroup_id = 77, .type = type, .flags = flags, .cpu = 3,
		.pid = pid, .tid = pid + 1, .ppid = 1, .uid = 1000,
	};

	memcpy(h.comm, comm, strnlen(comm, sizeof(h.comm)));
	return h;
}

struct open_buf {
	_Alignas(8) unsigned char b[sizeof(struct fio_open_event) + FIO_OPEN_PATH_MAX + 64];
	size_t size;
};

/* An open event with path (len bytes, then a NUL) */
static struct fio_open_event *mk_open(struct open_buf *buf, uint32_t pid, uint64_t ts, uint8_t op,
				      int64_t ret, uint64_t flags, uint32_t mode, uint64_t id,
				      const char *path, size_t len, uint16_t hflags)
{
	struct fio_open_event *e = (struct fio_open_event *)buf->b;

	memset(buf, 0, sizeof(*buf));
	e->hdr = mkhdr(FIO_EV_OPEN, pid, "cat", ts, hflags);
	e->ret = ret;
	e->flags = flags;
	e->id = id;
	e->mode = mode;
	e->dfd = op == FIO_OP_OPENAT || op == FIO_OP_OPENAT2 ? 5 : FIO_AT_FDCWD;
	e->op = op;
	e->path_len = len + 1;
	memcpy(e + 1, path, len);
	buf->size = sizeof(*e) + len + 1;
	return e;
}

static struct fio_slow_event mk_slow(uint32_t pid, uint64_t ts, uint8_t op, int64_t ret,
				     uint64_t count, uint64_t lat, const char *path, uint16_t hflags)
{
	struct fio_slow_event e = {
		.hdr = mkhdr(FIO_EV_SLOW, pid, "db", ts, hflags),
		.latency_ns = lat, .ret = ret, .id = 42, .count = count, .fd = 7, .op = op,
		.path_len = strlen(path) + 1,
	};

	strncpy(e.path, path, sizeof(e.path) - 1);
	return e;
}

/* ---- output helpers ------------------------------------------------------ */

/* Timestamps in these tests count from 1000 ns */
static void fio_out_open(struct ks_out *o, bool json)
{
	out_open(o, json);
	o->t0_ns = 1000;
}

#define JHDR(type, ts, pid, tid, comm)							\
	"{\"type\":\"" type "\",\"ts_ns\":" #ts ",\"pid\":" #pid ",\"tid\":" #tid	\
	",\"ppid\":1,\"uid\":1000,\"comm\":\"" comm "\",\"cgroup_id\":77,\"cpu\":3"

/* ---- names, checks ----------------------------------------------------------- */

static void test_op_names(void **state)
{
	assert_string_equal(fio_op_syscall(FIO_OP_OPENAT2), "openat2");
	assert_string_equal(fio_op_syscall(FIO_OP_PREAD64), "pread64");
	assert_string_equal(fio_op_syscall(FIO_OP_PWRITEV2), "pwritev2");
	assert_string_equal(fio_op_syscall(FIO_OP_FDATASYNC), "fdatasync");
	assert_string_equal(fio_op_syscall(FIO_OP_NONE), "?");
	assert_string_equal(fio_op_syscall(FIO_OP_MAX), "?");
	assert_string_equal(fio_op_kind(FIO_OP_CREAT), "open");
	assert_string_equal(fio_op_kind(FIO_OP_READV), "read");
	assert_string_equal(fio_op_kind(FIO_OP_PWRITE64), "write");
	assert_string_equal(fio_op_kind(FIO_OP_FDATASYNC), "fsync");
	assert_string_equal(fio_op_kind(FIO_OP_CLOSE), "?");
	/* every op from READ to FDATASYNC is I/O, the others are not */
	for (unsigned op = 0; op < FIO_OP_MAX; op++)
		assert_int_equal(!!FIO_IS_IO(op), op >= FIO_OP_READ && op <= FIO_OP_FDATASYNC);
}

static void test_check(void **state)
{
	struct open_buf b;
	struct fio_open_event *e = mk_open(&b, 10, 1, FIO_OP_OPENAT, 3, 0, 0, 9, "/etc/x", 6, 0);
	struct fio_slow_event s = mk_slow(10, 1, FIO_OP_READ, 5, 5, 100, "/a", 0);
	const char *p;
	size_t len;

	assert_int_equal(sizeof(struct fio_open_event), 96);
	assert_int_equal(b.size, 96 + 7);
	assert_int_equal(fio_event_check(b.b, b.size), FIO_EV_OPEN);
	assert_int_equal(fio_event_check(b.b, b.size + 5), FIO_EV_OPEN);	/* padding */
	assert_int_equal(fio_event_check(b.b, b.size - 1), -EINVAL);
	assert_int_equal(fio_event_check(b.b, sizeof(*e) - 1), -EINVAL);
	assert_int_equal(fio_event_check(b.b, sizeof(struct ks_hdr) - 1), -EINVAL);
	p = fio_open_path(e, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(p, "/etc/x", 6);
	e->path_len = 0;	/* a path, if only "", is required */
	assert_int_equal(fio_event_check(b.b, b.size), -EINVAL);
	e->path_len = FIO_OPEN_PATH_MAX + 1;
	assert_int_equal(fio_event_check(b.b, sizeof(b.b)), -EINVAL);
	e->path_len = 7;
	e->op = FIO_OP_READ;	/* not an open */
	assert_int_equal(fio_event_check(b.b, b.size), -EINVAL);
	e->op = FIO_OP_CREAT;
	assert_int_equal(fio_event_check(b.b, b.size), FIO_EV_OPEN);

	assert_int_equal(sizeof(s), 352);
	assert_int_equal(fio_event_check(&s, sizeof(s)), FIO_EV_SLOW);
	assert_int_equal(fio_event_check(&s, sizeof(s) - 1), -EINVAL);
	s.path_len = FIO_PATH_MAX + 1;
	assert_int_equal(fio_event_check(&s, sizeof(s)), -EINVAL);
	s.path_len = 3;
	s.op = FIO_OP_OPENAT;
	assert_int_equal(fio_event_check(&s, sizeof(s)), -EINVAL);
	s.op = FIO_OP_FSYNC;
	assert_int_equal(fio_event_check(&s, sizeof(s)), FIO_EV_SLOW);
	for (unsigned type = 0; type < 8; type++) {
		s.hdr.type = type;
		if (type != FIO_EV_OPEN && type != FIO_EV_SLOW && type != FIO_EV_CLOSE)
			assert_int_equal(fio_event_check(&s, sizeof(s)), -EINVAL);
	}
}

/* A close record ends with its path's own bytes, not the whole array */
static void test_check_close(void **state)
{
	struct fio_close_event c = { .hdr.type = FIO_EV_CLOSE };
	size_t head = offsetof(struct fio_close_event, s.path);

	assert_int_equal(sizeof(c), 424);
	assert_int_equal(head, 56 + 112);
	c.s.path_len = 3;
	memcpy(c.s.path, "/a", 3);
	assert_int_equal(fio_event_check(&c, head + 3), FIO_EV_CLOSE);
	assert_int_equal(fio_event_check(&c, head + 8), FIO_EV_CLOSE);	/* padding */
	assert_int_equal(fio_event_check(&c, head + 2), -EINVAL);
	assert_int_equal(fio_event_check(&c, head - 1), -EINVAL);
	c.s.path_len = 0;
	assert_int_equal(fio_event_check(&c, head), FIO_EV_CLOSE);
	c.s.path_len = FIO_PATH_MAX;
	assert_int_equal(fio_event_check(&c, sizeof(c)), FIO_EV_CLOSE);
	c.s.path_len = FIO_PATH_MAX + 1;
	assert_int_equal(fio_event_check(&c, sizeof(c)), -EINVAL);
}

/* ---- open events --------------------------------------------------------------- */

static void test_open_json(void **state)
{
	struct open_buf b;
	struct ks_out o;
	struct fio_open_event *e;

	fio_out_open(&o, true);
	e = mk_open(&b, 10, 500, FIO_OP_OPENAT, 3, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640,
		    65537, "/tmp/a b", 8, 0);
	fio_print_open(&o, e);
	check_buf(&o, JHDR("open", 500, 10, 11, "cat")
		  ",\"fd\":3,\"errno\":null,\"ret\":3,\"flags\":\"O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC\","
		  "\"flags_raw\":524865,\"mode\":416,\"syscall\":\"openat\",\"dfd\":5,"
		  "\"open_id\":65537,\"path\":\"/tmp/a b\",\"path_truncated\":false}\n");

	/* a failed open: no fd, the errno by name; creat's implied flags */
	e = mk_open(&b, 10, 600, FIO_OP_CREAT, -ENOENT, 0, 0600, 0, "/no/such", 8, 0);
	fio_print_open(&o, e);
	check_buf(&o, JHDR("open", 600, 10, 11, "cat")
		  ",\"fd\":null,\"errno\":\"ENOENT\",\"ret\":-2,\"flags\":\"O_WRONLY|O_CREAT|O_TRUNC\","
		  "\"flags_raw\":577,\"mode\":384,\"syscall\":\"creat\",\"dfd\":-100,"
		  "\"open_id\":null,\"path\":\"/no/such\",\"path_truncated\":false}\n");

	/* an errno the tables do not know; a cut path; control bytes and bad UTF-8 */
	e = mk_open(&b, 10, 700, FIO_OP_OPEN, -4000, O_RDONLY, 0, 0, "a\n\x1b\xff", 4,
		    FIO_F_PATH_CUT);
	fio_print_open(&o, e);
	check_buf(&o, JHDR("open", 700, 10, 11, "cat")
		  ",\"fd\":null,\"errno\":\"4000\",\"ret\":-4000,\"flags\":\"O_RDONLY\","
		  "\"flags_raw\":0,\"mode\":null,\"syscall\":\"open\",\"dfd\":-100,"
		  "\"open_id\":null,\"path\":\"a\\n\\u001b\\udcff\",\"path_truncated\":true}\n");
	out_close(&o);
}

static void test_open_text(void **state)
{
	struct open_buf b;
	struct ks_out o;
	struct fio_open_event *e;

	fio_out_open(&o, false);
	e = mk_open(&b, 10, 1001000, FIO_OP_OPENAT, 3, O_RDONLY | O_CLOEXEC, 0777, 9,
		    "/etc/passwd", 11, 0);
	fio_print_open(&o, e);
	/* no O_CREAT: the mode means nothing and is not shown */
	check_buf(&o, "0.001000    open    10      11      1       cat              "
		  "fd=3 flags=O_RDONLY|O_CLOEXEC path=/etc/passwd\n");
	e = mk_open(&b, 10, 1001000, FIO_OP_OPENAT2, 4, O_RDWR | O_CREAT | O_EXCL, 0600, 9,
		    "x", 1, 0);
	fio_print_open(&o, e);
	check_buf(&o, "0.001000    open    10      11      1       cat              "
		  "fd=4 flags=O_RDWR|O_CREAT|O_EXCL mode=0600 path=x\n");
	e = mk_open(&b, 10, 1001000, FIO_OP_OPENAT, -EACCES, O_WRONLY | O_TMPFILE, 0644, 0,
		    "/d\tir", 5, FIO_F_PATH_CUT);
	fio_print_open(&o, e);
	check_buf(&o, "0.001000    open    10      11      1       cat              "
		  "errno=EACCES flags=O_WRONLY|O_TMPFILE mode=0644 path=/d\\tir path_truncated\n");
	out_close(&o);
}

/* ---- slow_io events ------------------------------------------------------------- */

static void test_slow(void **state)
{
	struct fio_slow_event e = mk_slow(20, 2001000, FIO_OP_PREAD64, 4096, 8192, 1500000,
					  "/var/db", 0);
	struct ks_out o;

	fio_out_open(&o, true);
	fio_print_slow(&o, &e, NULL, 0);
	check_buf(&o, JHDR("slow_io", 2001000, 20, 21, "db")
		  ",\"op\":\"read\",\"syscall\":\"pread64\",\"fd\":7,\"bytes\":4096,"
		  "\"requested_bytes\":8192,\"latency_ns\":1500000,\"ret\":4096,\"errno\":null,"
		  "\"open_id\":42,\"path\":\"/var/db\",\"path_truncated\":false}\n");
	/* a failed fsync; the full name from the open event replaces the map's cut copy */
	e = mk_slow(20, 2001000, FIO_OP_FDATASYNC, -EIO, 0, 7, "/long/pre", FIO_F_MAP_CUT);
	fio_print_slow(&o, &e, "/long/prefix/and/more", 21);
	check_buf(&o, JHDR("slow_io", 2001000, 20, 21, "db")
		  ",\"op\":\"fsync\",\"syscall\":\"fdatasync\",\"fd\":7,\"bytes\":0,"
		  "\"requested_bytes\":null,\"latency_ns\":7,\"ret\":-5,\"errno\":\"EIO\","
		  "\"open_id\":42,\"path\":\"/long/prefix/and/more\",\"path_truncated\":false}\n");
	/* ... or, unknown, the cut copy, flagged; vectored calls have no request size */
	e = mk_slow(20, 2001000, FIO_OP_WRITEV, 10, 2, 7, "/long/pre", FIO_F_MAP_CUT);
	fio_print_slow(&o, &e, NULL, 0);
	check_buf(&o, JHDR("slow_io", 2001000, 20, 21, "db")
		  ",\"op\":\"write\",\"syscall\":\"writev\",\"fd\":7,\"bytes\":10,"
		  "\"requested_bytes\":null,\"latency_ns\":7,\"ret\":10,\"errno\":null,"
		  "\"open_id\":42,\"path\":\"/long/pre\",\"path_truncated\":true}\n");
	out_close(&o);

	fio_out_open(&o, false);
	e = mk_slow(20, 2001000, FIO_OP_READ, 100, 4096, 250000000, "/tmp/fifo", 0);
	fio_print_slow(&o, &e, NULL, 0);
	check_buf(&o, "0.002000    slow_io 20      21      1       db               "
		  "op=read fd=7 bytes=100 latency=250.00ms path=/tmp/fifo\n");
	e = mk_slow(20, 2001000, FIO_OP_WRITE, -ENOSPC, 4096, 2500, "/full", 0);
	fio_print_slow(&o, &e, NULL, 0);
	check_buf(&o, "0.002000    slow_io 20      21      1       db               "
		  "op=write fd=7 bytes=0 latency=2.50us errno=ENOSPC path=/full\n");
	out_close(&o);
}

/* ---- the summary ------------------------------------------------------------------ */

static struct fio_sums S(uint64_t r, uint64_t w, uint64_t rb, uint64_t wb, uint64_t rns,
			 uint64_t wns, uint64_t f, uint64_t fns, uint64_t err)
{
	return (struct fio_sums){ r, w, rb, wb, rns, wns, f, fns, err };
}

#define UPDATE(s, pid, id, comm, path, cur) \
	fio_summary_update(s, pid, id, comm "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", path, \
			   strlen(path), false, false, cur)

#define ROWP(pid, procs, comm, path, r, w, rb, wb, rns, wns, f, fns, err)			\
	"{\"type\":\"file_stat\",\"ts_ns\":900,\"interval_ns\":100,\"pid\":" #pid		\
	",\"processes\":" #procs ",\"comm\":\"" comm "\",\"path\":\"" path			\
	"\",\"path_truncated\":false,\"reads\":" #r						\
	",\"writes\":" #w ",\"read_bytes\":" #rb ",\"write_bytes\":" #wb ",\"read_ns\":" #rns	\
	",\"write_ns\":" #wns ",\"fsyncs\":" #f ",\"fsync_ns\":" #fns ",\"errors\":" #err "}\n"

#define ROW(pid, ...) ROWP(pid, 1, __VA_ARGS__)

static void test_summary_deltas_and_folding(void **state)
{
	struct fio_summary *s = fio_summary_new();
	struct fio_sums c;
	struct ks_out o;

	assert_non_null(s);
	fio_out_open(&o, true);
	/* two opens of /a by pid 10 fold into one row; /a by pid 11 is its own */
	c = S(2, 0, 200, 0, 50, 0, 0, 0, 0);
	assert_int_equal(UPDATE(s, 10, 1, "cat", "/a", &c), 0);
	c = S(1, 3, 100, 30, 10, 60, 1, 9, 1);
	assert_int_equal(UPDATE(s, 10, 2, "cat", "/a", &c), 0);
	c = S(0, 1, 0, 5000, 0, 7, 0, 0, 0);
	assert_int_equal(UPDATE(s, 11, 1, "sh", "/a", &c), 0);
	c = S(0, 0, 0, 0, 0, 0, 0, 0, 0);	/* nothing done: no row */
	assert_int_equal(UPDATE(s, 12, 3, "idle", "/b", &c), 0);
	assert_int_equal(fio_summary_entries(s), 4);
	fio_summary_print(s, &o, 900, 100, FIO_SORT_BYTES, 0);
	check_buf(&o, ROW(11, "sh", "/a", 0, 1, 0, 5000, 0, 7, 0, 0, 0)
		  ROW(10, "cat", "/a", 3, 3, 300, 30, 60, 60, 1, 9, 1));

	/* the next period holds only what changed since */
	fio_summary_new_period(s);
	fio_summary_print(s, &o, 900, 100, FIO_SORT_BYTES, 0);
	check_buf(&o, "");
	c = S(4, 3, 400, 30, 70, 60, 1, 9, 1);
	assert_int_equal(UPDATE(s, 10, 2, "cat", "/a", &c), 0);
	fio_summary_print(s, &o, 900, 100, FIO_SORT_BYTES, 0);
	check_buf(&o, ROW(10, "cat", "/a", 3, 0, 300, 0, 60, 0, 0, 0, 0));

	/* an entry gone from the kernel: a new one with its key starts from zero */
	fio_summary_gone(s, 10, 2);
	c = S(1, 0, 1, 0, 1, 0, 0, 0, 0);
	assert_int_equal(UPDATE(s, 10, 2, "cat", "/a", &c), 0);
	assert_int_equal(fio_summary_entries(s), 5);
	fio_summary_print(s, &o, 900, 100, FIO_SORT_BYTES, 0);
	check_buf(&o, ROW(10, "cat", "/a", 4, 0, 301, 0, 61, 0, 0, 0, 0));
	fio_summary_new_period(s);
	assert_int_equal(fio_summary_entries(s), 4);	/* the gone one is freed */
	out_close(&o);
	fio_summary_free(s);
}

static void test_summary_final(void **state)
{
	struct fio_summary *s = fio_summary_new();
	struct fio_sums c = S(1, 0, 10, 0, 5, 0, 0, 0, 0);
	const char *comm = "x\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

	/* final only when seen closed twice with nothing new in between */
	assert_int_equal(fio_summary_update(s, 1, 1, comm, "/f", 2, false, false, &c), 0);
	assert_int_equal(fio_summary_update(s, 1, 1, comm, "/f", 2, false, true, &c), 0);
	c.reads = 2;
	assert_int_equal(fio_summary_update(s, 1, 1, comm, "/f", 2, false, true, &c), 0);
	assert_int_equal(fio_summary_update(s, 1, 1, comm, "/f", 2, false, true, &c), 1);
	fio_summary_free(s);
}

static void test_summary_sort_and_top(void **state)
{
	struct fio_summary *s = fio_summary_new();
	struct fio_sums c;
	struct ks_out o;

	fio_out_open(&o, true);
	c = S(1, 0, 100, 0, 1000, 0, 0, 0, 0);		/* bytes 100, calls 1, time 1000 */
	UPDATE(s, 1, 1, "a", "/x", &c);
	c = S(5, 5, 10, 10, 1, 1, 0, 0, 0);		/* bytes 20, calls 10, time 2 */
	UPDATE(s, 2, 2, "b", "/y", &c);
	c = S(0, 0, 0, 0, 0, 0, 3, 500, 0);		/* bytes 0, calls 3, time 500 */
	UPDATE(s, 3, 3, "c", "/z", &c);
	c = S(0, 0, 0, 0, 0, 0, 0, 0, 2);		/* only errors: still a row */
	UPDATE(s, 4, 4, "d", "/e", &c);

	fio_summary_print(s, &o, 900, 100, FIO_SORT_BYTES, 0);
	check_buf(&o, ROW(1, "a", "/x", 1, 0, 100, 0, 1000, 0, 0, 0, 0)
		  ROW(2, "b", "/y", 5, 5, 10, 10, 1, 1, 0, 0, 0)
		  ROW(3, "c", "/z", 0, 0, 0, 0, 0, 0, 3, 500, 0)
		  ROW(4, "d", "/e", 0, 0, 0, 0, 0, 0, 0, 0, 2));
	fio_summary_print(s, &o, 900, 100, FIO_SORT_CALLS, 2);
	check_buf(&o, ROW(2, "b", "/y", 5, 5, 10, 10, 1, 1, 0, 0, 0)
		  ROW(3, "c", "/z", 0, 0, 0, 0, 0, 0, 3, 500, 0));
	fio_summary_print(s, &o, 900, 100, FIO_SORT_TIME, 1);
	check_buf(&o, ROW(1, "a", "/x", 1, 0, 100, 0, 1000, 0, 0, 0, 0));
	out_close(&o);
	fio_summary_free(s);
}

static void test_summary_long_names(void **state)
{
	struct fio_summary *s = fio_summary_new();
	struct fio_sums c = S(0, 1, 0, 9, 0, 1, 0, 0, 0);
	const char *comm = "w\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
	const char *full;
	struct ks_out o;
	size_t len;

	fio_out_open(&o, true);
	/* the map's copy is cut; the open event told the whole name */
	assert_int_equal(fio_summary_name(s, 7, "/very/long/name", 15), 0);
	assert_int_equal(fio_summary_name(s, 7, "/other", 6), 0);	/* first one kept */
	full = fio_summary_full_name(s, 7, &len);
	assert_non_null(full);
	assert_int_equal(len, 15);
	assert_null(fio_summary_full_name(s, 8, &len));
	assert_int_equal(fio_summary_update(s, 1, 7, comm, "/very/lo", 8, true, false, &c), 0);
	/* a cut name that was never told stays cut, and says so */
	assert_int_equal(fio_summary_update(s, 1, 8, comm, "/cut/he", 7, true, false, &c), 0);
	fio_summary_print(s, &o, 900, 100, FIO_SORT_BYTES, 0);
	check_buf(&o, "{\"type\":\"file_stat\",\"ts_ns\":900,\"interval_ns\":100,\"pid\":1,"
		  "\"processes\":1,\"comm\":\"w\",\"path\":\"/cut/he\",\"path_truncated\":true,\"reads\":0,"
		  "\"writes\":1,\"read_bytes\":0,\"write_bytes\":9,\"read_ns\":0,\"write_ns\":1,"
		  "\"fsyncs\":0,\"fsync_ns\":0,\"errors\":0}\n"
		  ROW(1, "w", "/very/long/name", 0, 1, 0, 9, 0, 1, 0, 0, 0));
	out_close(&o);

	fio_out_open(&o, false);
	fio_summary_print(s, &o, 900, 100, FIO_SORT_BYTES, 0);
	check_buf(&o,
		  "PID     COMM             READS    WRITES   R-BYTES   W-BYTES   R-AVG     W-AVG     FSYNCS   PATH\n"
		  "1       w                0        1        0B        9B        -         1ns       0        /cut/he...\n"
		  "1       w                0        1        0B        9B        -         1ns       0        /very/long/name\n");
	out_close(&o);
	fio_summary_free(s);
}

static void test_summary_compact(void **state)
{
	struct fio_summary *s = fio_summary_new();
	const char *comm1 = "old\0\0\0\0\0\0\0\0\0\0\0\0", *comm2 = "new\0\0\0\0\0\0\0\0\0\0\0\0";
	struct fio_sums c = S(1, 2, 10, 20, 1, 2, 0, 0, 0);
	struct ks_out o;

	/* 100 opens of /a by pid 5, each closed; one still open; one of /b; a long name */
	for (uint64_t id = 1; id <= 100; id++) {
		assert_int_equal(fio_summary_update(s, 5, id, id == 100 ? comm2 : comm1, "/a", 2,
						    false, false, &c), 0);
		fio_summary_gone(s, 5, id);
	}
	assert_int_equal(fio_summary_update(s, 5, 101, comm1, "/a", 2, false, false, &c), 0);
	assert_int_equal(fio_summary_update(s, 5, 102, comm1, "/b", 2, false, false, &c), 0);
	fio_summary_gone(s, 5, 102);
	assert_int_equal(fio_summary_name(s, 103, "/cut/whole", 10), 0);
	assert_int_equal(fio_summary_update(s, 5, 103, comm1, "/cut", 4, true, false, &c), 0);
	fio_summary_gone(s, 5, 103);
	assert_int_equal(fio_summary_update(s, 5, 104, comm1, "/cut/whole", 10, false, false, &c), 0);
	fio_summary_gone(s, 5, 104);
	assert_int_equal(fio_summary_entries(s), 104);

	/* not yet: fewer gone than asked */
	assert_int_equal(fio_summary_compact(s, 1000), 103);
	assert_int_equal(fio_summary_entries(s), 104);
	/* /a's 100 gone ones become one, the cut name folds with its whole self */
	assert_int_equal(fio_summary_gone_entries(s), 103);
	assert_int_equal(fio_summary_compact(s, 10), 3);
	assert_int_equal(fio_summary_entries(s), 4);
	assert_int_equal(fio_summary_gone_entries(s), 3);
	/* the live entry is still found: more of it is counted */
	c = S(2, 2, 20, 20, 2, 2, 0, 0, 0);
	assert_int_equal(fio_summary_update(s, 5, 101, comm1, "/a", 2, false, false, &c), 0);

	fio_out_open(&o, true);
	fio_summary_print(s, &o, 900, 100, FIO_SORT_BYTES, 0);
	check_buf(&o, ROW(5, "old", "/a", 102, 202, 1020, 2020, 102, 202, 0, 0, 0)
		  ROW(5, "old", "/cut/whole", 2, 4, 20, 40, 2, 4, 0, 0, 0)
		  ROW(5, "old", "/b", 1, 2, 10, 20, 1, 2, 0, 0, 0));
	out_close(&o);
	fio_summary_new_period(s);
	assert_int_equal(fio_summary_entries(s), 1);
	fio_summary_free(s);
}

static unsigned exited_calls;

/* pids 100 and up have exited, but 200 */
static bool exited(uint32_t pid, void *arg)
{
	assert_ptr_equal(arg, &exited_calls);
	exited_calls++;
	return pid >= 100 && pid != 200;
}

static void gone_row(struct fio_summary *s, uint32_t pid, uint64_t id, const char *comm,
		     const char *path, uint64_t bytes)
{
	struct fio_sums c = S(0, 1, 0, bytes, 0, 1, 0, 0, 0);

	assert_int_equal(fio_summary_update(s, pid, id, comm, path, strlen(path), false, true,
					    &c), 0);
	fio_summary_gone(s, pid, id);
}

static void test_summary_fold(void **state)
{
	const char *job = "job\0\0\0\0\0\0\0\0\0\0\0\0", *srv = "srv\0\0\0\0\0\0\0\0\0\0\0\0";
	const char *other = "other\0\0\0\0\0\0\0\0\0\0";
	struct fio_summary *s = fio_summary_new();
	struct fio_sums c = S(1, 0, 7, 0, 1, 0, 0, 0, 0);
	struct ks_out o;
	uint64_t id = 1;

	/* ten exited jobs wrote /log, 10 to 100 bytes; a live server closed two files */
	for (uint32_t i = 0; i < 10; i++)
		gone_row(s, 100 + i, id++, job, "/log", 10 * (i + 1));
	gone_row(s, 200, id++, srv, "/x", 1);
	gone_row(s, 200, id++, srv, "/y", 1);
	gone_row(s, 300, id++, other, "/log", 5);
	gone_row(s, 301, id++, other, "/log", 5);
	/* a file still open is never folded */
	assert_int_equal(fio_summary_update(s, 105, id++, job, "/open", 5, false, false, &c), 0);
	assert_int_equal(fio_summary_entries(s), 15);

	/* 14 rows: up to 14 kept */
	assert_int_equal(fio_summary_fold(s, 14, FIO_SORT_BYTES, exited, &exited_calls), 14);
	assert_int_equal(exited_calls, 0);
	/* 8: the 4 largest stay; the others of exited processes fold per command and path */
	assert_int_equal(fio_summary_fold(s, 8, FIO_SORT_BYTES, exited, &exited_calls), 8);
	assert_int_equal(exited_calls, 10);	/* the 10 below the first 4 */
	assert_int_equal(fio_summary_entries(s), 9);
	fio_out_open(&o, true);
	fio_summary_print(s, &o, 900, 100, FIO_SORT_BYTES, 0);
	check_buf(&o, ROWP(null, 6, "job", "/log", 0, 6, 0, 210, 0, 6, 0, 0, 0)
		  ROW(109, "job", "/log", 0, 1, 0, 100, 0, 1, 0, 0, 0)
		  ROW(108, "job", "/log", 0, 1, 0, 90, 0, 1, 0, 0, 0)
		  ROW(107, "job", "/log", 0, 1, 0, 80, 0, 1, 0, 0, 0)
		  ROW(106, "job", "/log", 0, 1, 0, 70, 0, 1, 0, 0, 0)
		  ROWP(null, 2, "other", "/log", 0, 2, 0, 10, 0, 2, 0, 0, 0)
		  ROW(105, "job", "/open", 1, 0, 7, 0, 1, 0, 0, 0, 0)
		  ROW(200, "srv", "/x", 0, 1, 0, 1, 0, 1, 0, 0, 0)
		  ROW(200, "srv", "/y", 0, 1, 0, 1, 0, 1, 0, 0, 0));
	out_close(&o);

	/* not again before 4 more are gone; then the folded rows take in the new ones */
	for (uint32_t i = 0; i < 3; i++)
		gone_row(s, 110 + i, id++, job, "/log", 1);
	exited_calls = 0;
	assert_int_equal(fio_summary_fold(s, 8, FIO_SORT_BYTES, exited, &exited_calls), 11);
	assert_int_equal(exited_calls, 0);
	gone_row(s, 113, id++, job, "/log", 1);
	assert_int_equal(fio_summary_fold(s, 8, FIO_SORT_BYTES, exited, &exited_calls), 7);
	fio_out_open(&o, false);
	fio_summary_print(s, &o, 900, 100, FIO_SORT_BYTES, 2);
	check_buf(&o,
		  "PID     COMM             READS    WRITES   R-BYTES   W-BYTES   R-AVG     W-AVG     FSYNCS   PATH\n"
		  "-       job              0        11       0B        284B      -         1ns       0        /log\n"
		  "109     job              0        1        0B        100B      -         1ns       0        /log\n"
		  "(6 more not shown: -n)\n");
	out_close(&o);
	/* a new period starts with none of them */
	fio_summary_new_period(s);
	assert_int_equal(fio_summary_entries(s), 1);
	fio_summary_free(s);
}

static void test_summary_text(void **state)
{
	struct fio_summary *s = fio_summary_new();
	struct fio_sums c;
	struct ks_out o;

	fio_out_open(&o, false);
	fio_summary_print(s, &o, 900, 100, FIO_SORT_BYTES, 0);
	check_buf(&o, "PID     COMM             READS    WRITES   R-BYTES   W-BYTES   "
		  "R-AVG     W-AVG     FSYNCS   PATH\n");
	c = S(3, 10, 3 * 4096, 10 * 1024 * 1024, 3000, 20000000, 2, 4000000, 0);
	UPDATE(s, 4321, 1, "post\x1bgres", "/data/a\nb", &c);
	fio_summary_print(s, &o, 900, 100, FIO_SORT_BYTES, 0);
	check_buf(&o, "PID     COMM             READS    WRITES   R-BYTES   W-BYTES   "
		  "R-AVG     W-AVG     FSYNCS   PATH\n"
		  "4321    post\\x1bgres     3        10       12.0KiB   10.0MiB   1.00us    2.00ms    "
		  "2        /data/a\\nb\n");
	out_close(&o);
	fio_summary_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_op_names),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_check_close),
		cmocka_unit_test(test_open_json),
		cmocka_unit_test(test_open_text),
		cmocka_unit_test(test_slow),
		cmocka_unit_test(test_summary_deltas_and_folding),
		cmocka_unit_test(test_summary_final),
		cmocka_unit_test(test_summary_sort_and_top),
		cmocka_unit_test(test_summary_long_names),
		cmocka_unit_test(test_summary_compact),
		cmocka_unit_test(test_summary_fold),
		cmocka_unit_test(test_summary_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

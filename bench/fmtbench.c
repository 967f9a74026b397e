// SPDX-License-Identifier: GPL-2.0
/*
 * fmtbench: kscope's record formatting alone, in userspace, no BPF: the
 * records of an open storm (kscope fileio -j) and an exec storm (kscope
 * proc -j: fork, exec, exit) built through the real printers into a
 * buffer written to /dev/null.
 *
 *   fmtbench [-n RECORDS] [-r ROUNDS] [-t] [-T]   # ns per record, one JSON line
 *   fmtbench -D [-t] [-T] > FILE                  # every kind of record, for diffs
 *
 * -t: the table sink instead of JSON; -T: wall-clock times. The best round
 * (least time for RECORDS records) is reported: on a busy machine the
 * others measure the machine.
 *
 * Linked against kscope's objects (mk/fmtbench.mk), not built alone like
 * the workloads.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/events.h"
#include "engine/out.h"
#include "fileio/fileio.h"
#include "proc/proc.h"

#define REC_MAX 8192

enum kind { K_OPEN, K_SLOW, K_PROC };

struct rec {
	enum kind kind;
	size_t size;
	_Alignas(8) char data[REC_MAX];
};

static void hdr(struct ks_hdr *h, unsigned type, unsigned flags, const char *comm,
		unsigned long long ts, unsigned pid)
{
	memset(h, 0, sizeof(*h));
	h->ts_ns = ts;
	h->cgroup_id = 4913;
	h->type = type;
	h->flags = flags;
	h->cpu = 1;
	h->pid = pid;
	h->tid = pid;
	h->ppid = 812;
	h->uid = 0;
	memcpy(h->comm, comm, strnlen(comm, sizeof(h->comm)));
}

static void mk_open(struct rec *r, const char *comm, const char *path, long ret,
		    unsigned long long flags, unsigned mode, unsigned op, unsigned hflags,
		    unsigned long long ts, unsigned pid)
{
	struct fio_open_event *e = (void *)r->data;
	size_t len = strlen(path) + 1;

	memset(r->data, 0, sizeof(*e) + len);
	hdr(&e->hdr, FIO_EV_OPEN, hflags, comm, ts, pid);
	e->ret = ret;
	e->flags = flags;
	e->id = ret >= 0 ? 90000 + (unsigned)ret : 0;
	e->mode = mode;
	e->dfd = op == FIO_OP_OPENAT ? FIO_AT_FDCWD : 7;
	e->op = op;
	e->path_len = len;
	memcpy(e + 1, path, len);
	r->kind = K_OPEN;
	r->size = sizeof(*e) + len;
}

static void mk_exec(struct rec *r, const char *comm, const char *file, const char *args,
		    size_t args_len, unsigned total, int ret, unsigned long long ts, unsigned pid)
{
	struct proc_exec_event *e = (void *)r->data;
	size_t flen = strlen(file) + 1;
	char *p = (char *)(e + 1);

	memset(r->data, 0, sizeof(*e));
	hdr(&e->hdr, PROC_EV_EXEC, 0, comm, ts, pid);
	e->ret = ret;
	e->old_tid = pid;
	e->args_total = total ? total : args_len;
	e->filename_len = flen;
	e->args_len = args_len;
	memcpy(p, file, flen);
	memcpy(p + flen, args, args_len);
	r->kind = K_PROC;
	r->size = sizeof(*e) + flen + args_len;
}

static void mk_fork(struct rec *r, const char *comm, bool thread, unsigned long long ts,
		    unsigned pid)
{
	struct proc_fork_event *e = (void *)r->data;

	memset(r->data, 0, sizeof(*e));
	hdr(&e->hdr, PROC_EV_FORK, thread ? PROC_F_THREAD : 0, comm, ts, pid);
	e->child_pid = thread ? pid : pid + 1;
	e->child_tid = pid + 1;
	r->kind = K_PROC;
	r->size = sizeof(*e);
}

static void mk_exit(struct rec *r, const char *comm, unsigned code, unsigned flags,
		    unsigned long long ts, unsigned pid)
{
	struct proc_exit_event *e = (void *)r->data;

	memset(r->data, 0, sizeof(*e));
	hdr(&e->hdr, PROC_EV_EXIT, flags, comm, ts, pid);
	e->lifetime_ns = 412345;
	e->cpu_ns = 301122;
	e->max_rss_bytes = 1179648;
	e->vm_bytes = 2813952;
	e->exit_code = code;
	e->prio = 120;
	e->state = 128;
	r->kind = K_PROC;
	r->size = sizeof(*e);
}

static void mk_slow(struct rec *r, const char *comm, const char *path, long ret, unsigned op,
		    unsigned long long ts, unsigned pid)
{
	struct fio_slow_event *e = (void *)r->data;

	memset(r->data, 0, sizeof(*e));
	hdr(&e->hdr, FIO_EV_SLOW, 0, comm, ts, pid);
	e->latency_ns = 12345678;
	e->ret = ret;
	e->id = 90003;
	e->count = 65536;
	e->fd = 3;
	e->op = op;
	e->path_len = strlen(path) + 1;
	memcpy(e->path, path, strnlen(path, sizeof(e->path) - 1));
	r->kind = K_SLOW;
	r->size = sizeof(*e);
}

static void print(struct ks_out *o, const struct rec *r)
{
	if (r->kind == K_OPEN)
		fio_print_open(o, (const void *)r->data);
	else if (r->kind == K_SLOW)
		fio_print_slow(o, (const void *)r->data, NULL, 0);
	else
		proc_event_print(o, r->data, r->size);
}

static const unsigned long long T0 = 8123456789012ull;

/* ns per record for n records of rs[0..nr) in turn, best of rounds */
static double run(struct ks_out *o, const struct rec *rs, size_t nr, long n, int rounds)
{
	double best = 0;

	for (int k = 0; k < rounds; k++) {
		struct timespec a, b;
		double ns;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < n; i++)
			print(o, &rs[i % nr]);
		ks_out_flush(o);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
		if (!k || ns < best)
			best = ns;
	}
	return best;
}

static const char exec_args[] = "/tmp/kscope-bench.x7Qe/ksbench\0ksbench";
static const char *const open_path = "/tmp/kscope-bench.x7Qe/openstorm.file";

int main(int argc, char **argv)
{
	static struct rec rs[32];
	long n = 2000000;
	int rounds = 7, opt;
	bool table = false, wall = false, dump = false;
	struct ks_out o;
	size_t nr;

	while ((opt = getopt(argc, argv, "n:r:tTD")) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 't': table = true; break;
		case 'T': wall = true; break;
		case 'D': dump = true; break;
		default:
			fprintf(stderr, "usage: fmtbench [-n RECORDS] [-r ROUNDS] [-t] [-T] [-D]\n");
			return 2;
		}
	}
	if (ks_out_init(&o, dump ? 1 : open("/dev/null", O_WRONLY), !table, wall))
		return 1;
	/* fixed clocks: the same text every run */
	o.t0_ns = 8000000000000ull;
	o.real_off_ns = 1700000000000000000ll - 8000000000000ll;

	if (dump) {
		static const char args2[] = "sh\0-c\0echo \"hi\" 'x y'\0\0tab\there\0\xff\xfe\0"
					    "caf\xc3\xa9\0\xe2\x80\xae" "evil\0cut";
		unsigned long long ts = T0;

		nr = 0;
		mk_open(&rs[nr++], "openstorm", open_path, 3, O_RDONLY, 0, FIO_OP_OPENAT, 0, ts += 1111, 4242);
		mk_open(&rs[nr++], "cat", "/etc/passwd", 3, O_RDONLY | O_CLOEXEC, 0, FIO_OP_OPEN, 0, ts += 999999999, 1);
		mk_open(&rs[nr++], "bash", "/tmp/out \"q\"\\x", 12, O_WRONLY | O_CREAT | O_TRUNC, 0644,
			FIO_OP_OPENAT, 0, ts += 1000000000, 77);
		mk_open(&rs[nr++], "a\tb\x01\x7f\xff\"\\", "/no/such", -2, O_RDWR | O_CREAT | O_EXCL, 0600,
			FIO_OP_OPENAT2, 0, ts += 1, 4294967295u);
		mk_open(&rs[nr++], "x", "/p\x01q\xc3\xa9r\xe2\x80\xaes\xed\xa0\x80t\n", -13, O_RDONLY | 0x40000000, 0,
			FIO_OP_CREAT, FIO_F_PATH_CUT, ts += 123456789, 0);
		mk_open(&rs[nr++], "unk", "relative/path", -4095, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
			FIO_OP_OPENAT, 0, ts += 5, 3);
		mk_open(&rs[nr++], "tmp", "/tmp", 5, O_RDWR | O_TMPFILE, 0700, FIO_OP_OPENAT, 0, ts += 5, 3);
		mk_open(&rs[nr++], "0123456789abcdef", "/", 2147483647, 3, 0, FIO_OP_OPEN, 0, ts += 5, 3);
		mk_exec(&rs[nr++], "execstorm", "/tmp/kscope-bench.x7Qe/ksbench", exec_args,
			sizeof(exec_args), 0, 0, ts += 1000, 5151);
		mk_exec(&rs[nr++], "sh", "/bin/sh \"x\"", args2, sizeof(args2) - 1, 9000, 0, ts += 1000, 5152);
		mk_exec(&rs[nr++], "sh", "/bin/nope", "", 0, 0, -2, ts += 1000, 5153);
		mk_exec(&rs[nr++], "sh", "/bin/e", "\0\0", 2, 0, -8, ts += 1000, 5153);
		mk_fork(&rs[nr++], "execstorm", false, ts += 1, 5150);
		mk_fork(&rs[nr++], "java", true, ts += 1, 5150);
		mk_exit(&rs[nr++], "ksbench", 0, PROC_F_GROUP_DEAD | PROC_F_MM, ts += 1, 5151);
		mk_exit(&rs[nr++], "ksbench", 3 << 8, PROC_F_GROUP_DEAD, ts += 1, 5151);
		mk_exit(&rs[nr++], "crash", 11 | 0x80, PROC_F_THREAD | PROC_F_MM, ts += 1, 5151);
		mk_exit(&rs[nr++], "crash", 77, 0, ts += 1, 5151);
		mk_open(&rs[nr++], "\x1b[31mred", "\x01/a/long/run/of/plain/ascii/bytes/in/the/middle\"/and/more/plain/text/\x7f",
			0, O_RDONLY, 0, FIO_OP_OPENAT, 0, ts += 5, 3);
		mk_open(&rs[nr++], "\xc3\xa9t\xc3\xa9", "/\xe2\x80\xa8/\xf0\x9f\x98\x80/\xc2\x85/\xc0\xaf/\xf4\x90\x80\x80/\xe0\x80\x80/end\\",
			0, O_RDONLY, 0, FIO_OP_OPENAT, 0, ts += 5, 3);
		mk_slow(&rs[nr++], "dd", "/var/tmp/big \x1b", 65536, FIO_OP_WRITE, ts += 7, 99);
		mk_slow(&rs[nr++], "pg", "/data/base/1", -5, FIO_OP_FSYNC, ts += 7, 99);
		mk_slow(&rs[nr++], "pg", "", 0, FIO_OP_PREADV2, ts += 7, 99);
		for (size_t i = 0; i < nr; i++)
			print(&o, &rs[i]);
		ks_out_flush(&o);
		return o.err ? 1 : 0;
	}

	/* the open storm: one record per open, a few timestamps apart */
	for (nr = 0; nr < 16; nr++)
		mk_open(&rs[nr], "openstorm", open_path, 3, O_RDONLY, 0, FIO_OP_OPENAT, 0,
			T0 + nr * 2345678, 4242);
	double open_ns = run(&o, rs, nr, n, rounds);

	/* the exec storm: fork, exec, exit per iteration */
	for (nr = 0; nr < 15; nr += 3) {
		unsigned long long ts = T0 + nr * 345678;

		mk_fork(&rs[nr], "execstorm", false, ts, 5150);
		mk_exec(&rs[nr + 1], "execstorm", "/tmp/kscope-bench.x7Qe/ksbench", exec_args,
			sizeof(exec_args), 0, 0, ts + 100000, 5151 + nr);
		mk_exit(&rs[nr + 2], "ksbench", 0, PROC_F_GROUP_DEAD | PROC_F_MM, ts + 200000, 5151 + nr);
	}
	double proc_ns = run(&o, rs, nr, n, rounds);

	for (nr = 0; nr < 16; nr++)
		mk_exec(&rs[nr], "execstorm", "/tmp/kscope-bench.x7Qe/ksbench", exec_args,
			sizeof(exec_args), 0, 0, T0 + nr * 345678, 5151 + nr);
	double exec_ns = run(&o, rs, nr, n, rounds);

	printf("{\"sink\":\"%s\",\"wallclock\":%s,\"records\":%ld,\"rounds\":%d,"
	       "\"open_ns\":%.1f,\"proc_mix_ns\":%.1f,\"exec_ns\":%.1f}\n",
	       table ? "table" : "json", wall ? "true" : "false", n, rounds,
	       open_ns, proc_ns, exec_ns);
	ks_out_free(&o);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * seeds DIR: writes the fuzz targets' starting corpus under DIR/<target>/
 * (make fuzz-seeds; the result is committed as tests/fuzz/corpus). Records
 * are built from the real structs of src/<cmd>/<cmd>.h, so a layout change
 * shows up here at compile time; libFuzzer mutates from there.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/btf.h>

#include "engine/events.h"
#include "fileio/fileio.h"
#include "hello/hello.h"
#include "net/net.h"
#include "diskio/diskio.h"
#include "memory/memory.h"
#include "security/security.h"
#include "container/container.h"
#include "proc/proc.h"
#include "sched/sched.h"
#include "syscall/syscall.h"

static const char *root;

static void put(const char *target, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- fuzz_events: [mode][u16 len][record]... --------------------------------- */

struct feed {
	unsigned char b[65536];
	size_t n;
};

static void feed_start(struct feed *f, unsigned mode)
{
	f->b[0] = mode;
	f->n = 1;
}

static void feed_add(struct feed *f, const void *rec, size_t n)
{
	f->b[f->n] = n & 0xff;
	f->b[f->n + 1] = n >> 8;
	memcpy(f->b + f->n + 2, rec, n);
	f->n += 2 + n;
}

static struct ks_hdr hdr(unsigned type, unsigned flags, unsigned pid, unsigned tid, const char *comm)
{
	struct ks_hdr h = { .ts_ns = 1000000000ull + pid * 1000, .cgroup_id = 1, .type = type,
			    .flags = flags, .cpu = 1, .pid = pid, .tid = tid, .ppid = 1, .uid = 0 };

	strncpy(h.comm, comm, sizeof(h.comm));
	return h;
}

static void proc_records(struct feed *f)
{
	struct proc_fork_event fk = { .hdr = hdr(PROC_EV_FORK, 0, 100, 100, "sh"),
				      .child_pid = 101, .child_tid = 101 };
	struct proc_fork_event th = { .hdr = hdr(PROC_EV_FORK, PROC_F_THREAD, 101, 101, "app"),
				      .child_pid = 101, .child_tid = 102 };
	struct proc_exit_event ex = { .hdr = hdr(PROC_EV_EXIT, PROC_F_GROUP_DEAD | PROC_F_MM, 101,
						 101, "app"),
				      .lifetime_ns = 5000000, .cpu_ns = 1000, .max_rss_bytes = 4096,
				      .vm_bytes = 8192, .exit_code = 3 << 8, .prio = 120 };
	struct proc_exit_event kill = ex;
	static const char fn[] = "/usr/bin/app", args[] = "app\0-x\0\033[31mred\0";
	unsigned char exec[sizeof(struct proc_exec_event) + sizeof(fn) + sizeof(args)];
	struct proc_exec_event *e = (struct proc_exec_event *)exec;

	memset(exec, 0, sizeof(exec));
	e->hdr = hdr(PROC_EV_EXEC, 0, 101, 101, "app");
	e->old_tid = 101;
	e->filename_len = sizeof(fn);
	e->args_len = sizeof(args) - 1;
	e->args_total = sizeof(args) - 1;
	memcpy(exec + sizeof(*e), fn, sizeof(fn));
	memcpy(exec + sizeof(*e) + sizeof(fn), args, sizeof(args) - 1);
	kill.exit_code = 9;
	kill.hdr.pid = kill.hdr.tid = 100;
	feed_add(f, &fk, sizeof(fk));
	feed_add(f, exec, sizeof(*e) + sizeof(fn) + sizeof(args) - 1);
	feed_add(f, &th, sizeof(th));
	feed_add(f, &ex, sizeof(ex));
	e->ret = -2;	/* a failed exec (-x) */
	feed_add(f, exec, sizeof(*e) + sizeof(fn) + sizeof(args) - 1);
	feed_add(f, &kill, sizeof(kill));
}

static void sched_records(struct feed *f)
{
	struct sched_switch_event sw = { .hdr = hdr(SCHED_EV_SWITCH,
						    SCHED_F_PREV_SELECTED | SCHED_F_NEXT_SELECTED,
						    100, 100, "burn"),
					 .next_pid = 200, .next_tid = 201, .next_comm = "other",
					 .prev_state = 1, .prev_prio = 120, .next_prio = 100 };
	struct sched_wakeup_event wk = { .hdr = hdr(SCHED_EV_WAKEUP, 0, 100, 100, "burn"),
					 .pid = 200, .tid = 201, .comm = "other", .target_cpu = 1 };

	feed_add(f, &sw, sizeof(sw));
	sw.prev_state = SCHED_STATE_PREEMPTED;
	feed_add(f, &sw, sizeof(sw));
	feed_add(f, &wk, sizeof(wk));
}

static void syscall_records(struct feed *f)
{
	struct sys_event ok = { .hdr = hdr(SYS_EV_CALL, 0, 100, 100, "cat"), .enter_ns = 999999000,
				.ret = 3, .args = { 0xffffff9c, 0x7ffc0000, 0 }, .nr = 257 };
	struct sys_event bad = ok;

	bad.ret = -2;
	bad.nr = 2;
	feed_add(f, &ok, sizeof(ok));
	feed_add(f, &bad, sizeof(bad));
	bad.ret = -4096;
	bad.nr = 100000;
	feed_add(f, &bad, sizeof(bad));
}

static void fileio_records(struct feed *f)
{
	static const char path[] = "/tmp/a\nb";
	unsigned char open[sizeof(struct fio_open_event) + sizeof(path)];
	struct fio_open_event *o = (struct fio_open_event *)open;
	struct fio_slow_event sl = { .hdr = hdr(FIO_EV_SLOW, 0, 100, 100, "dd"),
				     .latency_ns = 20000000, .ret = 4096, .id = 7, .count = 4096,
				     .fd = 3, .op = FIO_OP_WRITE, .path_len = sizeof(path) };
	struct fio_close_event cl = { .hdr = hdr(FIO_EV_CLOSE, 0, 0, 0, "") };

	memset(open, 0, sizeof(open));
	o->hdr = hdr(FIO_EV_OPEN, 0, 100, 100, "dd");
	o->ret = 3;
	o->flags = 01101;
	o->id = 7;
	o->mode = 0644;
	o->dfd = -100;
	o->op = FIO_OP_OPENAT;
	o->path_len = sizeof(path);
	memcpy(open + sizeof(*o), path, sizeof(path));
	feed_add(f, open, sizeof(open));
	memcpy(sl.path, path, sizeof(path));
	feed_add(f, &sl, sizeof(sl));
	cl.s.writes = 2;
	cl.s.write_bytes = 8192;
	cl.s.id = 7;
	cl.s.pid = 100;
	cl.s.path_len = sizeof(path);
	strcpy(cl.s.comm, "dd");
	memcpy(cl.s.path, path, sizeof(path));
	feed_add(f, &cl, offsetof(struct fio_close_event, s.path) + sizeof(path));
	o->ret = -2;
	o->id = 0;
	feed_add(f, open, sizeof(open));
}

/* an interval tick between two batches of records (stub.c: length 0xffff) */
static void fileio_periods(struct feed *f)
{
	fileio_records(f);
	f->b[f->n++] = 0xff;
	f->b[f->n++] = 0xff;
	fileio_records(f);
}

/* hello: an exec, a cut filename, a filename_len past the record, one too short */
static void hello_records(struct feed *f)
{
	struct hello_event e = { .hdr = hdr(HELLO_EV_EXEC, 0, 100, 100, "sh") };

	strcpy(e.filename, "/bin/true");
	e.filename_len = strlen(e.filename);
	feed_add(f, &e, sizeof(e));
	memset(e.filename, 'a', sizeof(e.filename));
	e.filename_len = sizeof(e.filename);
	e.truncated = 1;
	feed_add(f, &e, sizeof(e));
	e.filename_len = 4096;
	feed_add(f, &e, sizeof(e));
	feed_add(f, &e, offsetof(struct hello_event, filename));
}

/*
 * net: an IPv4 close, an IPv6 refused one, one whose bytes grew after the
 * close (a later period), an unknown family and state, one too short
 */
static void net_records(struct feed *f)
{
	struct net_close_event e = {
		.hdr = hdr(NET_EV_CLOSE, 0, 100, 100, "curl"),
		.id = 1, .start_ns = 1000, .close_ns = 2000, .tx_bytes = 1000, .rx_bytes = 3333,
		.end = { .wire_bytes_sent = 1000, .wire_bytes_acked = 1002,
			 .wire_bytes_received = 3334, .srtt_us = 20, .min_rtt_us = 10, .state = 5 },
		.netns = 4026531840u, .flags = NET_F_OWNER | NET_F_ACTIVE, .family = NET_AF_INET,
		.lport = 40000, .rport = 80, .laddr = { 127, 0, 0, 1 }, .raddr = { 127, 0, 0, 1 },
	};
	static const unsigned char tick[2] = { 0xff, 0xff };

	feed_add(f, &e, sizeof(e));
	e.id = 2;
	e.family = NET_AF_INET6;
	e.laddr[0] = e.raddr[0] = 0;
	e.laddr[15] = e.raddr[15] = 1;
	e.end = (struct net_tcp_end){ .error = 111, .state = 2, .rtos = NET_NONE,
				      .min_rtt_us = NET_NONE };
	feed_add(f, &e, sizeof(e));
	memcpy(f->b + f->n, tick, 2);	/* an interval's end */
	f->n += 2;
	e.id = 1;
	e.tx_bytes = 500;		/* lower than before: counted again from 0 */
	feed_add(f, &e, sizeof(e));
	e.family = 7;
	feed_add(f, &e, sizeof(e));
	e.family = NET_AF_INET;
	e.end.state = 99;
	feed_add(f, &e, sizeof(e));
	feed_add(f, &e, sizeof(e) - 1);
}

/*
 * net --events: a state change, each retransmit kind, resets sent (a reason
 * with a name, one without, none) and received, an error by name and by
 * number, a row with resets; then a state change without its old state, an
 * unknown kind, a negative error, one too short
 */
static void net_event_records(struct feed *f)
{
	struct net_tcp_event e = {
		.hdr = hdr(NET_EV_STATE, 0, 100, 100, "curl"),
		.conn_id = 1, .netns = 4026531840u, .reason = NET_NONE, .family = NET_AF_INET,
		.lport = 40000, .rport = 80, .old_state = 2, .state = 1,
		.laddr = { 127, 0, 0, 1 }, .raddr = { 127, 0, 0, 1 },
	};
	struct net_close_event c = {
		.hdr = hdr(NET_EV_CLOSE, 0, 100, 100, "curl"),
		.id = 1, .start_ns = 1000, .close_ns = 2000,
		.end = { .error = 104, .state = 1, .rtos = NET_NONE, .min_rtt_us = NET_NONE },
		.netns = 4026531840u, .flags = NET_F_OWNER | NET_F_ACTIVE, .family = NET_AF_INET6,
		.lport = 40000, .rport = 80, .laddr = { [15] = 1 }, .raddr = { [15] = 1 },
		.resets_sent = 1, .resets_received = 1, .reset_reason = 1,
	};

	feed_add(f, &e, sizeof(e));
	e.hdr.type = NET_EV_RETRANS;
	for (unsigned k = NET_RETRANS_SEGMENT; k <= NET_RETRANS_SYNACK; k++) {
		e.kind = k;
		feed_add(f, &e, sizeof(e));
	}
	e.kind = 0;
	e.hdr.type = NET_EV_RESET_SENT;
	e.state = 0;
	e.conn_id = 0;
	e.reason = 1;
	feed_add(f, &e, sizeof(e));
	e.reason = 999;
	feed_add(f, &e, sizeof(e));
	e.reason = NET_NONE;
	feed_add(f, &e, sizeof(e));
	e.hdr.type = NET_EV_RESET_RECV;
	e.state = 2;
	feed_add(f, &e, sizeof(e));
	e.hdr.type = NET_EV_ERROR;
	e.error = 111;
	feed_add(f, &e, sizeof(e));
	e.error = 4000;
	feed_add(f, &e, sizeof(e));
	feed_add(f, &c, sizeof(c));
	c.reset_reason = NET_NONE;
	feed_add(f, &c, sizeof(c));
	e.hdr.type = NET_EV_STATE;
	e.old_state = 0;
	feed_add(f, &e, sizeof(e));
	e.hdr.type = NET_EV_RETRANS;
	e.kind = 7;
	feed_add(f, &e, sizeof(e));
	e.kind = 0;
	e.hdr.type = NET_EV_ERROR;
	e.error = -5;
	feed_add(f, &e, sizeof(e));
	feed_add(f, &e, sizeof(e) - 1);
}

/* the modes of fuzz_events.c, in its order */
/*
 * diskio --events: a queued write, an unqueued read, a failed write (an errno
 * by name, one by number, a blk_status_t), a device no /sys knows, an issue
 * before its insert, an unknown op, a rwbs without its NUL, one too short
 */
static void diskio_records(struct feed *f)
{
	struct dio_event e = {
		.hdr = hdr(DIO_EV_RQ, 0, 100, 100, "dd"),
		.sector = 8, .insert_ns = 500, .issue_ns = 700, .blkcg = 1, .dev = 7 << 20,
		.bytes = 4096, .op = DIO_OP_WRITE, .sync = 1, .rwbs = "WS",
	};

	e.hdr.ts_ns = 1000;
	feed_add(f, &e, sizeof(e));
	e.insert_ns = 0;
	e.op = DIO_OP_READ;
	memcpy(e.rwbs, "R\0\0", 3);
	feed_add(f, &e, sizeof(e));
	e.op = DIO_OP_WRITE;
	e.err = 28;
	feed_add(f, &e, sizeof(e));
	e.err = 4000;
	feed_add(f, &e, sizeof(e));
	e.err = DIO_ERR_STATUS + 17;
	e.dev = 4095u << 20 | 1048575u;
	feed_add(f, &e, sizeof(e));
	e.err = 0;
	e.insert_ns = 900;
	e.issue_ns = 800;
	e.op = 200;
	memcpy(e.rwbs, "WSWSWSWSWS", 10);
	feed_add(f, &e, sizeof(e));
	e.issue_ns = 5000;	/* after the completion */
	feed_add(f, &e, sizeof(e));
	feed_add(f, &e, sizeof(e) - 1);
}

/*
 * memory: faults of each kind and outcome (and ones no kernel sends); OOM
 * records: a memcg kill whose cgroup is named by the kernel only, a global
 * one, one whose victim is known by pid alone, names without their NUL, a
 * comm with a control character, one too short
 */
static void memory_records(struct feed *f)
{
	struct mem_fault_event e = { .hdr = hdr(MEM_EV_FAULT, 0, 200, 201, "faulter"),
				     .addr = 0x200000000000ull, .ip = 0x401000 };
	struct mem_oom_event o = {
		.hdr = hdr(MEM_EV_OOM, 0, 300, 300, "hog"),
		.memcg_id = 424242, .limit_pages = 16384, .usage_pages = 16384, .failcnt = 20,
		.victim_memcg_id = 424242, .rss_pages = { 16000, 300, 0 }, .total_vm_pages = 70000,
		.reclaims = 18, .reclaim_ns = 650000, .victim_pid = 300, .victim_tid = 300,
		.flags = MEM_OOM_VICTIM_TASK | MEM_OOM_MEMCG | MEM_OOM_FAILCNT,
		.oom_score_adj = -1000, .victim_comm = "hog",
	};

	for (unsigned k = 0; k < 4; k++)
		for (unsigned r = 0; r < 4; r++) {
			e.kind = k;
			e.outcome = r;
			feed_add(f, &e, sizeof(e));
		}
	strcpy(o.memcg_path.name[0], "kscope_oom");
	strcpy(o.victim_memcg_path.name[0], "leaf");
	strcpy(o.victim_memcg_path.name[1], "kscope_oom");
	feed_add(f, &o, sizeof(o));
	o.flags = MEM_OOM_VICTIM_TASK;	/* global */
	feed_add(f, &o, sizeof(o));
	o.flags = MEM_OOM_MEMCG;	/* the victim by pid alone */
	o.victim_comm[0] = 0;
	feed_add(f, &o, sizeof(o));
	memset(o.memcg_path.name, 'x', sizeof(o.memcg_path.name));
	memcpy(o.victim_comm, "a\tb\x1b[31mcccccccc", sizeof(o.victim_comm));
	o.flags = MEM_OOM_VICTIM_TASK | MEM_OOM_MEMCG;
	feed_add(f, &o, sizeof(o));
	feed_add(f, &o, sizeof(o) - 1);
	feed_add(f, &e, sizeof(e) - 1);
}

/*
 * security: checks granted and denied (in a child user namespace, outside a
 * syscall, with and without the audit flag, a capability past the table),
 * a privilege event of every op and one past them, strings without their
 * NUL and with control bytes, ptrace and bpf numbers no header names, one
 * too short of each
 */
static void security_records(struct feed *f)
{
	struct sec_cap_event c = { .hdr = hdr(SEC_EV_CAP, 0, 400, 400, "secact"),
				   .userns_inum = 4026531837u, .cap = 21, .ret = -1, .euid = 1000,
				   .syscall_nr = 170, .audit = SEC_AUDIT_YES };
	static struct sec_event e;

	feed_add(f, &c, sizeof(c));
	c.ret = 0;
	c.userns_level = 1;
	c.syscall_nr = -1;
	c.audit = SEC_AUDIT_UNKNOWN;
	feed_add(f, &c, sizeof(c));
	c.cap = 63;
	c.audit = SEC_AUDIT_NO;
	c.syscall_nr = 99999;
	feed_add(f, &c, sizeof(c));
	feed_add(f, &c, sizeof(c) - 1);
	memset(&e, 0, sizeof(e));
	e.hdr = hdr(SEC_EV_PRIV, 0, 400, 400, "secact");
	e.old_creds = (struct sec_creds){ .cap_effective = ~0ull, .cap_permitted = ~0ull };
	e.new_creds = (struct sec_creds){ .uid = 1000, .euid = 1000, .suid = 1000,
					  .fsuid = 1000 };
	e.flags = SEC_F_OLD;
	for (unsigned op = SEC_OP_SETUID; op <= SEC_OP_MAX; op++) {
		e.op = op;
		e.args[0] = op == SEC_OP_PTRACE ? 16 : op == SEC_OP_BPF ? 5 : 1000;
		e.args[1] = 0x4020000;
		e.args[2] = 0xffffffffu;
		e.args[3] = 6;
		e.ret = op % 3 ? 0 : -1;
		e.flags = SEC_F_OLD | (op % 2 ? SEC_F_ATTR : 0);
		strcpy(e.str[0], "/tmp/m\"nt");
		strcpy(e.str[1], "x\ty\n");
		strcpy(e.fstype, "tmpfs");
		strcpy(e.attr_name, "prog");
		e.file_mode = 04755;
		feed_add(f, &e, sizeof(e));
	}
	e.op = SEC_OP_MOUNT;
	e.flags = SEC_F_STR0_CUT | SEC_F_STR1_CUT;
	memset(e.str, 'a', sizeof(e.str));
	memset(e.fstype, '\x1b', sizeof(e.fstype));
	feed_add(f, &e, sizeof(e));
	e.op = SEC_OP_BPF;
	e.args[0] = 0;
	e.flags = SEC_F_ATTR;
	e.attr_type = 999;
	memset(e.attr_name, '\n', sizeof(e.attr_name));
	feed_add(f, &e, sizeof(e));
	e.op = SEC_OP_PTRACE;
	e.args[0] = 0x7777;
	e.ret = -4096;
	feed_add(f, &e, sizeof(e));
	feed_add(f, &e, sizeof(e) - 1);
}

/*
 * container: a docker container's cgroup made (v2), entered (with and
 * without namespaces), a cri-o monitor's, a host cgroup's, a path without
 * its NUL and with control bytes, a type past the known ones, removed;
 * one record too short
 */
static void container_records(struct feed *f)
{
	static const char id[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	static struct ctr_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = 1000;
	e.cgroup_id = 82;
	e.type = CTR_EV_MKDIR;
	e.level = 2;
	snprintf(e.path, sizeof(e.path), "/system.slice/docker-%s.scope", id);
	feed_add(f, &e, sizeof(e));
	e.type = CTR_EV_ATTACH;
	e.pid = 4242;
	strcpy(e.comm, "sleep\n\"x");
	e.ns[CTR_NS_MNT] = 4026532305u;
	e.ns[CTR_NS_NET] = 4026532308u;
	feed_add(f, &e, sizeof(e));
	e.hierarchy = 4;
	e.cgroup_id = 7592;
	e.ns[CTR_NS_MNT] = 0;
	snprintf(e.path, sizeof(e.path), "/docker/%s", id);
	feed_add(f, &e, sizeof(e));
	snprintf(e.path, sizeof(e.path), "/machine.slice/libpod-conmon-%s.scope", id);
	feed_add(f, &e, sizeof(e));
	strcpy(e.path, "/user.slice");
	feed_add(f, &e, sizeof(e));
	memset(e.path, '\x1b', sizeof(e.path));
	feed_add(f, &e, sizeof(e));
	snprintf(e.path, sizeof(e.path), "/system.slice/docker-%s.scope", id);
	e.type = 77;
	feed_add(f, &e, sizeof(e));
	e.type = CTR_EV_RMDIR;
	e.hierarchy = 0;
	feed_add(f, &e, sizeof(e));
	feed_add(f, &e, sizeof(e) - 1);
}

static void (*const mode_records[])(struct feed *) = {
	proc_records, proc_records, proc_records, proc_records, proc_records, proc_records,
	sched_records, sched_records, sched_records,
	syscall_records, syscall_records,
	fileio_records, fileio_records, fileio_records, fileio_records, fileio_records,
	sched_records, fileio_periods, fileio_periods,
	hello_records, hello_records, hello_records,
	net_records, net_records, net_records, net_records,
	net_event_records, net_event_records,
	net_records, net_records,
	diskio_records, diskio_records,
	memory_records, memory_records, memory_records,
	security_records, security_records, security_records,
	container_records, container_records,
};

/*
 * -T with timestamps no kernel sends: ts_ns + the wall-clock offset used
 * to overflow int64 (UBSan, found by fuzz_events), and past what struct tm
 * holds.
 */
static void wild_ts_seeds(void)
{
	static const uint64_t ts[] = { 0x7fffffffffffffffull, ~0ull, 0, 0x7ffffffffffffff0ull };
	static struct feed f;

	for (unsigned m = 2; m <= 8; m += 6) {	/* proc -T, sched --events -j -T */
		char name[32];

		feed_start(&f, m);
		for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
			struct proc_fork_event fk = { .hdr = hdr(PROC_EV_FORK, 0, 100, 100, "sh"),
						      .child_pid = 101, .child_tid = 101 };
			struct sched_switch_event sw = { .hdr = hdr(SCHED_EV_SWITCH,
								    SCHED_F_PREV_SELECTED, 100, 100,
								    "sh") };

			fk.hdr.ts_ns = sw.hdr.ts_ns = ts[i];
			if (m == 2)
				feed_add(&f, &fk, sizeof(fk));
			else
				feed_add(&f, &sw, sizeof(sw));
		}
		snprintf(name, sizeof(name), "wild-ts-mode-%02u", m);
		put("fuzz_events", name, f.b, f.n);
	}
}

static void event_seeds(void)
{
	wild_ts_seeds();
	for (unsigned m = 0; m < sizeof(mode_records) / sizeof(mode_records[0]); m++) {
		static struct feed f;
		char name[32];

		feed_start(&f, m);
		mode_records[m](&f);
		snprintf(name, sizeof(name), "mode-%02u", m);
		put("fuzz_events", name, f.b, f.n);
	}
}

/* ---- fuzz_cli: [command][arg\0arg\0...] ---------------------------------------- */

static void cli(const char *name, unsigned cmd, ...)
{
	unsigned char b[1024];
	size_t n = 1;
	const char *a;
	va_list ap;

	b[0] = cmd;
	va_start(ap, cmd);
	while ((a = va_arg(ap, const char *))) {
		size_t l = strlen(a) + 1;

		memcpy(b + n, a, l);
		n += l;
	}
	va_end(ap);
	put("fuzz_cli", name, b, n > 1 ? n - 1 : n);
}

static void cli_seeds(void)
{
	enum { PROC, SCHED, SYSCALL, FILEIO };

	cli("proc-common", PROC, "-p", "1,2", "--follow", "-u", "root", "--comm", "bash", "-d",
	    "1.5", "-j", "-T", "-v", "--no-hook", "fentry,kprobe", "--ringbuf-kb", "64",
	    "--flush-ms", "10", "--no-precheck", "--no-task-storage", NULL);
	cli("proc-cgroup", PROC, "-c", "/", "-c", ".", "-c", "/sys/fs/cgroup", "-e", "exec,exit",
	    "-x", NULL);
	cli("proc-tree", PROC, "--tree", "-o", "out.json", "--", "/bin/true", "a", NULL);
	cli("proc-bad", PROC, "-p", "1,,2", "-e", ",", "--comm", "0123456789abcdefg", NULL);
	cli("proc-btf", PROC, "--btf", "/sys/kernel/btf/vmlinux", "--btf", "/dev/null", NULL);
	cli("sched", SCHED, "--by", "process", "-s", "runq", "-n", "5", "2", "3", NULL);
	cli("sched-hist", SCHED, "--hist", "--by", "cgroup", "-d", "1", NULL);
	cli("sched-cgroup", SCHED, "--by", "cgroup", "-s", "runq_max", "-n", "3", "1", "2", NULL);
	cli("sched-cpu", SCHED, "--cpu", "--timeline", "t.json", "-o", "t.json", NULL);
	cli("sched-events", SCHED, "--events", "--timeline", "t2.json", NULL);
	cli("syscall", SYSCALL, "-e", "read,write", "--by", "process", "-s", "time", "-n", "3",
	    NULL);
	cli("syscall-hist", SYSCALL, "--hist", "read", "1", "2", NULL);
	cli("syscall-events", SYSCALL, "--events", "--errors", "--count-only", NULL);
	cli("fileio", FILEIO, "-x", "--top", "-s", "calls", "--rows", "4", "1", "2", NULL);
	cli("fileio-slow", FILEIO, "--slow", "0.5", "--no-summary", NULL);
	cli("help", FILEIO, "--help", NULL);
}

/* ---- fuzz_btf: raw BTF, and an ELF file holding it -------------------------------- */

struct blob {
	uint32_t w[256];
	int nw, ids;
	char s[512];
	int ns;
};

static uint32_t str(struct blob *b, const char *s)
{
	uint32_t off = b->ns;

	strcpy(b->s + b->ns, s);
	b->ns += strlen(s) + 1;
	return off;
}

static void type(struct blob *b, uint32_t name, unsigned kind, unsigned vlen, uint32_t st, int n,
		 ...)
{
	va_list ap;

	b->w[b->nw++] = name;
	b->w[b->nw++] = (uint32_t)kind << 24 | vlen;
	b->w[b->nw++] = st;
	va_start(ap, n);
	while (n--)
		b->w[b->nw++] = va_arg(ap, uint32_t);
	va_end(ap);
	b->ids++;
}

static size_t btf_blob(unsigned char *out)
{
	struct blob b = { .ns = 1 };
	struct btf_header h = { .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h) };

	type(&b, str(&b, "int"), BTF_KIND_INT, 0, 4, 1, 32u);
	type(&b, 0, BTF_KIND_PTR, 0, 1, 0);
	type(&b, 0, BTF_KIND_ARRAY, 0, 0, 3, 1u, 1u, 16u);
	type(&b, str(&b, "task_struct"), BTF_KIND_STRUCT, 2, 8, 6, str(&b, "pid"), 1u, 0u,
	     str(&b, "comm"), 3u, 32u);
	type(&b, str(&b, "e"), BTF_KIND_ENUM, 1, 4, 2, str(&b, "A"), 0u);
	type(&b, str(&b, "btf_trace_sched_switch"), BTF_KIND_TYPEDEF, 0, 2, 0);
	type(&b, 0, BTF_KIND_FUNC_PROTO, 1, 1, 2, str(&b, "x"), 2u);
	type(&b, str(&b, "vfs_read"), BTF_KIND_FUNC, 0, 7, 0);
	type(&b, str(&b, "v"), BTF_KIND_VAR, 0, 1, 1, 1u);
	type(&b, str(&b, ".data"), BTF_KIND_DATASEC, 1, 4, 3, 9u, 0u, 4u);
	type(&b, str(&b, "e64"), BTF_KIND_ENUM64, 1, 8, 3, str(&b, "B"), 1u, 0u);
	h.type_len = b.nw * 4;
	h.str_off = h.type_len;
	h.str_len = b.ns;
	memcpy(out, &h, sizeof(h));
	memcpy(out + sizeof(h), b.w, h.type_len);
	memcpy(out + sizeof(h) + h.type_len, b.s, b.ns);
	return sizeof(h) + h.type_len + b.ns;
}

#include <elf.h>

static size_t elf_wrap(unsigned char *out, const unsigned char *btf, size_t n)
{
	static const char shstr[] = "\0.shstrtab\0.BTF";
	Elf64_Ehdr eh = { .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
				       EV_CURRENT },
			  .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_ehsize = sizeof(Elf64_Ehdr), .e_shentsize = sizeof(Elf64_Shdr),
			  .e_shnum = 3, .e_shstrndx = 1 };
	size_t off_btf = sizeof(eh) + sizeof(shstr), off_sh = (off_btf + n + 7) & ~7ul;
	Elf64_Shdr sh[3] = { { 0 },
		{ .sh_name = 1, .sh_type = SHT_STRTAB, .sh_offset = sizeof(eh),
		  .sh_size = sizeof(shstr), .sh_addralign = 1 },
		{ .sh_name = 11, .sh_type = SHT_PROGBITS, .sh_offset = off_btf, .sh_size = n,
		  .sh_addralign = 1 } };

	eh.e_shoff = off_sh;
	memset(out, 0, off_sh + sizeof(sh));
	memcpy(out, &eh, sizeof(eh));
	memcpy(out + sizeof(eh), shstr, sizeof(shstr));
	memcpy(out + off_btf, btf, n);
	memcpy(out + off_sh, sh, sizeof(sh));
	return off_sh + sizeof(sh);
}

static void btf_seeds(void)
{
	unsigned char b[4096], e[8192];
	size_t n = btf_blob(b), m = elf_wrap(e, b, n);

	put("fuzz_btf", "kernel-like", b, n);
	put("fuzz_btf", "truncated", b, n / 2);
	put("fuzz_btf", "elf", e, m);
	b[sizeof(struct btf_header) + 4 * 12] = 200;	/* a member referring past the end */
	put("fuzz_btf", "bad-ref", b, n);
	put("fuzz_btf", "text", "not BTF at all\n", 15);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seeds DIR\n");
		return 2;
	}
	root = argv[1];
	mkdir(root, 0755);
	event_seeds();
	cli_seeds();
	btf_seeds();
	return 0;
}

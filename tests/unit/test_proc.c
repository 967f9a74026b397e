// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kscope proc: event checks, printing (src/proc/proc.c), --tree (proc_tree.c),
 * --summary's exit classes and table (proc_summary.c).
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
#include <cmocka.h>

#include "unit_out.h"

#include "engine/out.h"
#include "engine/table.h"
#include "proc/proc.h"

/* ---- building events ----------------------------------------------------- */

static struct ks_hdr mkhdr(uint16_t type, uint32_t pid, uint32_t tid, uint32_t ppid,
			   const char *comm, uint64_t ts, uint16_t flags)
{
	struct ks_hdr h = {
		.ts_ns = ts, .cgroup_id = 77, .type = type, .flags = flags, .cpu = 3,
		.pid = pid, .tid = tid, .ppid = ppid, .uid = 1000,
	};

	memcpy(h.comm, comm, strnlen(comm, sizeof(h.comm)));
	return h;
}

static struct proc_fork_event mk_fork(uint32_t pid, uint32_t ppid, const char *comm, uint64_t ts,
				      uint32_t child_pid, uint32_t child_tid, uint16_t flags)
{
	return (struct proc_fork_event){
		.hdr = mkhdr(PROC_EV_FORK, pid, pid, ppid, comm, ts, flags),
		.child_pid = child_pid,
		.child_tid = child_tid,
	};
}

struct exit_info {
	uint32_t raw;
	uint64_t lifetime, cpu, rss, vm;
	int32_t prio;
	uint32_t state;
};

static struct proc_exit_event mk_exit(uint32_t pid, uint32_t tid, uint32_t ppid, const char *comm,
				      uint64_t ts, uint16_t flags, struct exit_info x)
{
	return (struct proc_exit_event){
		.hdr = mkhdr(PROC_EV_EXIT, pid, tid, ppid, comm, ts, flags),
		.lifetime_ns = x.lifetime,
		.cpu_ns = x.cpu,
		.max_rss_bytes = x.rss,
		.vm_bytes = x.vm,
		.exit_code = x.raw,
		.prio = x.prio,
		.state = x.state,
	};
}

/* An exec event in buf: header, filename (fn_len bytes), argument block */
struct exec_buf {
	_Alignas(8) unsigned char b[1024];
	size_t size;
};

static void mk_exec(struct exec_buf *buf, struct ks_hdr h, int32_t ret,
		    const char *fn, size_t fn_len, const char *args, size_t args_len,
		    uint32_t args_total)
{
	struct proc_exec_event e = {
		.hdr = h, .ret = ret, .old_tid = h.tid, .args_total = args_total,
		.filename_len = fn_len, .args_len = args_len,
	};

	e.hdr.type = PROC_EV_EXEC;
	assert_true(sizeof(e) + fn_len + args_len <= sizeof(buf->b));
	memset(buf->b, 0, sizeof(buf->b));
	memcpy(buf->b, &e, sizeof(e));
	memcpy(buf->b + sizeof(e), fn, fn_len);
	memcpy(buf->b + sizeof(e) + fn_len, args, args_len);
	buf->size = sizeof(e) + fn_len + args_len;
}

/* filename and block are string literals; the block spells out its final NUL */
#define MK_EXEC(buf, h, ret, fn, block) \
	mk_exec(buf, h, ret, fn, sizeof(fn), block, sizeof(block) - 1, sizeof(block) - 1)

static struct proc_exec_event *exec_hdr(struct exec_buf *buf)
{
	return (struct proc_exec_event *)buf->b;
}

/* ---- output helpers ------------------------------------------------------ */

/* JSON of mkhdr()'s common fields */
#define JHDR(type, ts, pid, tid, ppid, comm)						\
	"{\"type\":\"" type "\",\"ts_ns\":" #ts ",\"pid\":" #pid ",\"tid\":" #tid	\
	",\"ppid\":" #ppid ",\"uid\":1000,\"comm\":\"" comm "\",\"cgroup_id\":77,\"cpu\":3"

/* ---- proc_event_check / proc_exec_view ----------------------------------- */

static void test_check_fork_exit(void **state)
{
	struct proc_fork_event f = mk_fork(100, 1, "sh", 1, 200, 200, 0);
	struct proc_exit_event x = mk_exit(100, 100, 1, "sh", 1, PROC_F_GROUP_DEAD,
					   (struct exit_info){ 0 });
	_Alignas(8) unsigned char big[256] = { 0 };

	assert_int_equal(sizeof(f), 64);
	assert_int_equal(proc_event_check(&f, sizeof(f)), PROC_EV_FORK);
	assert_int_equal(proc_event_check(&f, sizeof(f) - 1), -EINVAL);
	assert_int_equal(proc_event_check(&f, sizeof(struct ks_hdr)), -EINVAL);
	assert_int_equal(proc_event_check(&f, sizeof(struct ks_hdr) - 1), -EINVAL);
	assert_int_equal(proc_event_check(&f, 0), -EINVAL);
	/* padding after the event (ring buffer records are 8-byte aligned) is fine */
	memcpy(big, &f, sizeof(f));
	assert_int_equal(proc_event_check(big, sizeof(f) + 8), PROC_EV_FORK);

	assert_int_equal(proc_event_check(&x, sizeof(x)), PROC_EV_EXIT);
	assert_int_equal(proc_event_check(&x, sizeof(x) - 1), -EINVAL);
	assert_int_equal(proc_event_check(&x, sizeof(f)), -EINVAL);

	/* unknown types */
	for (unsigned type = 0; type < 8; type++) {
		memcpy(big, &x, sizeof(x));
		((struct ks_hdr *)big)->type = type;
		if (type >= PROC_EV_FORK && type <= PROC_EV_EXIT)
			continue;
		assert_int_equal(proc_event_check(big, sizeof(big)), -EINVAL);
	}
	((struct ks_hdr *)big)->type = 0xffff;
	assert_int_equal(proc_event_check(big, sizeof(big)), -EINVAL);
}

static void test_check_exec(void **state)
{
	struct ks_hdr h = mkhdr(0, 200, 200, 100, "x", 1, 0);
	struct exec_buf b;

	MK_EXEC(&b, h, 0, "/bin/x", "x\0-y\0");
	assert_int_equal(b.size, 72 + 7 + 5);
	assert_int_equal(proc_event_check(b.b, b.size), PROC_EV_EXEC);
	assert_int_equal(proc_event_check(b.b, b.size + 3), PROC_EV_EXEC);
	/* the variable part must fit */
	assert_int_equal(proc_event_check(b.b, b.size - 1), -EINVAL);
	assert_int_equal(proc_event_check(b.b, sizeof(struct proc_exec_event)), -EINVAL);
	assert_int_equal(proc_event_check(b.b, sizeof(struct proc_exec_event) - 1), -EINVAL);
	exec_hdr(&b)->args_len = 6;
	assert_int_equal(proc_event_check(b.b, b.size), -EINVAL);
	exec_hdr(&b)->args_len = 5;
	exec_hdr(&b)->filename_len = 8;
	assert_int_equal(proc_event_check(b.b, b.size), -EINVAL);
	exec_hdr(&b)->filename_len = 0xffff;
	assert_int_equal(proc_event_check(b.b, sizeof(b.b)), -EINVAL);
	/* a filename is required */
	exec_hdr(&b)->filename_len = 0;
	assert_int_equal(proc_event_check(b.b, b.size), -EINVAL);

	/* no arguments at all */
	mk_exec(&b, h, 0, "/bin/x", 7, "", 0, 0);
	assert_int_equal(proc_event_check(b.b, b.size), PROC_EV_EXEC);
}

static void test_exec_view(void **state)
{
	struct ks_hdr h = mkhdr(0, 200, 200, 100, "x", 1, 0);
	struct proc_exec_view v;
	struct exec_buf b;

	MK_EXEC(&b, h, 0, "/bin/x", "x\0-y\0");
	assert_int_equal(proc_exec_view(b.b, b.size, &v), 0);
	assert_ptr_equal(v.e, b.b);
	assert_ptr_equal(v.filename, b.b + 72);
	assert_string_equal(v.filename, "/bin/x");
	assert_int_equal(v.filename_len, 6);
	assert_ptr_equal(v.args, b.b + 72 + 7);
	assert_int_equal(v.args_len, 5);	/* every string keeps its NUL */
	assert_memory_equal(v.args, "x\0-y\0", 5);
	assert_false(v.args_truncated);

	/* the block was cut: args_total is larger, no final NUL */
	mk_exec(&b, h, 0, "/bin/x", 7, "x\0-yy", 5, 100);
	assert_int_equal(proc_exec_view(b.b, b.size, &v), 0);
	assert_int_equal(v.args_len, 5);
	assert_true(v.args_truncated);

	/* a filename without its NUL */
	mk_exec(&b, h, 0, "/bin/xyz", 6, "", 0, 0);
	assert_int_equal(proc_exec_view(b.b, b.size, &v), 0);
	assert_int_equal(v.filename_len, 6);
	assert_memory_equal(v.filename, "/bin/x", 6);
	assert_int_equal(v.args_len, 0);
	assert_false(v.args_truncated);

	/* another event type */
	exec_hdr(&b)->hdr.type = PROC_EV_FORK;
	assert_int_equal(proc_exec_view(b.b, b.size, &v), -EINVAL);
}

/* ---- proc_event_print: JSON ---------------------------------------------- */

static void test_print_fork_json(void **state)
{
	struct proc_fork_event f = mk_fork(100, 1, "sh", 1000, 200, 200, 0);
	struct ks_out o;

	out_open(&o, true);
	assert_int_equal(proc_event_print(&o, &f, sizeof(f)), 0);
	check_buf(&o, JHDR("fork", 1000, 100, 100, 1, "sh")
		  ",\"child_pid\":200,\"child_tid\":200,\"thread\":false}\n");

	f = mk_fork(200, 100, "x", 3000, 200, 201, PROC_F_THREAD);
	assert_int_equal(proc_event_print(&o, &f, sizeof(f)), 0);
	check_buf(&o, JHDR("fork", 3000, 200, 200, 100, "x")
		  ",\"child_pid\":200,\"child_tid\":201,\"thread\":true}\n");

	assert_int_equal(proc_event_print(&o, &f, sizeof(f) - 1), -EINVAL);
	assert_int_equal(o.len, 0);
	out_close(&o);
}

static void test_print_exec_json(void **state)
{
	struct ks_hdr h = mkhdr(0, 200, 200, 100, "x", 2000, 0);
	struct exec_buf b;
	struct ks_out o;

	out_open(&o, true);
	MK_EXEC(&b, h, 0, "/bin/x", "x\0-y\0");
	assert_int_equal(proc_event_print(&o, b.b, b.size), 0);
	check_buf(&o, JHDR("exec", 2000, 200, 200, 100, "x")
		  ",\"ret\":0,\"filename\":\"/bin/x\",\"argv\":[\"x\",\"-y\"],"
		  "\"argv_truncated\":false}\n");

	/* a failed exec, truncated arguments, strings to escape */
	mk_exec(&b, h, -2, "/no\tpe", 7, "a\"b\0c\xff", 6, 5000);
	assert_int_equal(proc_event_print(&o, b.b, b.size), 0);
	check_buf(&o, JHDR("exec", 2000, 200, 200, 100, "x")
		  ",\"ret\":-2,\"filename\":\"/no\\tpe\",\"argv\":[\"a\\\"b\",\"c\\udcff\"],"
		  "\"argv_truncated\":true}\n");

	/* no arguments */
	mk_exec(&b, h, 0, "/bin/x", 7, "", 0, 0);
	assert_int_equal(proc_event_print(&o, b.b, b.size), 0);
	check_buf(&o, JHDR("exec", 2000, 200, 200, 100, "x")
		  ",\"ret\":0,\"filename\":\"/bin/x\",\"argv\":[],\"argv_truncated\":false}\n");
	out_close(&o);
}

/* argv = { "x", "" }: the block is "x\0\0"; the empty argument must survive */
static void test_print_exec_empty_last_arg(void **state)
{
	struct ks_hdr h = mkhdr(0, 200, 200, 100, "x", 2000, 0);
	struct exec_buf b;
	struct ks_out o;

	out_open(&o, true);
	MK_EXEC(&b, h, 0, "/bin/x", "x\0\0");
	assert_int_equal(proc_event_print(&o, b.b, b.size), 0);
	check_buf(&o, JHDR("exec", 2000, 200, 200, 100, "x")
		  ",\"ret\":0,\"filename\":\"/bin/x\",\"argv\":[\"x\",\"\"],"
		  "\"argv_truncated\":false}\n");

	/* argv = { "" } */
	MK_EXEC(&b, h, 0, "/bin/x", "\0");
	assert_int_equal(proc_event_print(&o, b.b, b.size), 0);
	check_buf(&o, JHDR("exec", 2000, 200, 200, 100, "x")
		  ",\"ret\":0,\"filename\":\"/bin/x\",\"argv\":[\"\"],"
		  "\"argv_truncated\":false}\n");
	out_close(&o);
}

static void test_print_exec_empty_last_arg_text(void **state)
{
	struct ks_hdr h = mkhdr(0, 200, 200, 100, "x", 2000, 0);
	struct exec_buf b;
	struct ks_out o;

	out_open(&o, false);
	MK_EXEC(&b, h, 0, "/bin/x", "x\0\0");
	assert_int_equal(proc_event_print(&o, b.b, b.size), 0);
	check_buf(&o, "0.000002    exec    200     200     100     x                "
		  "filename=/bin/x argv=x \"\"\n");
	out_close(&o);
}

#define EXIT_INFO(r) \
	((struct exit_info){ .raw = (r), .lifetime = 1500000, .cpu = 2500, .rss = 1536, \
			     .vm = 3 << 20, .prio = 120, .state = 16 })

static void test_print_exit_json(void **state)
{
	struct proc_exit_event x;
	struct ks_out o;

	out_open(&o, true);
	x = mk_exit(100, 100, 1, "sh", 5000, PROC_F_GROUP_DEAD | PROC_F_MM, EXIT_INFO(7 << 8));
	assert_int_equal(proc_event_print(&o, &x, sizeof(x)), 0);
	check_buf(&o, JHDR("exit", 5000, 100, 100, 1, "sh")
		  ",\"exit_code\":7,\"signal\":0,\"core_dumped\":false,\"lifetime_ns\":1500000,"
		  "\"cpu_ns\":2500,\"max_rss_bytes\":1536,\"vm_bytes\":3145728,\"prio\":120,"
		  "\"state\":16,\"thread\":false,\"group_dead\":true}\n");

	/* SIGKILL, without an mm: vm_bytes is null */
	x = mk_exit(100, 100, 1, "sh", 5000, PROC_F_GROUP_DEAD, EXIT_INFO(9));
	assert_int_equal(proc_event_print(&o, &x, sizeof(x)), 0);
	check_buf(&o, JHDR("exit", 5000, 100, 100, 1, "sh")
		  ",\"exit_code\":0,\"signal\":9,\"core_dumped\":false,\"lifetime_ns\":1500000,"
		  "\"cpu_ns\":2500,\"max_rss_bytes\":1536,\"vm_bytes\":null,\"prio\":120,"
		  "\"state\":16,\"thread\":false,\"group_dead\":true}\n");

	/* SIGSEGV with a core dump, in a thread that is not the last */
	x = mk_exit(100, 101, 1, "sh", 5000, PROC_F_THREAD | PROC_F_MM, EXIT_INFO(0x80 | 11));
	x.prio = -5;
	assert_int_equal(proc_event_print(&o, &x, sizeof(x)), 0);
	check_buf(&o, JHDR("exit", 5000, 100, 101, 1, "sh")
		  ",\"exit_code\":0,\"signal\":11,\"core_dumped\":true,\"lifetime_ns\":1500000,"
		  "\"cpu_ns\":2500,\"max_rss_bytes\":1536,\"vm_bytes\":3145728,\"prio\":-5,"
		  "\"state\":16,\"thread\":true,\"group_dead\":false}\n");
	out_close(&o);
}

/* ---- proc_event_print: table --------------------------------------------- */

static void test_print_text(void **state)
{
	struct ks_hdr h = mkhdr(0, 200, 200, 100, "x", 2000, 0);
	struct proc_fork_event f;
	struct proc_exit_event x;
	struct exec_buf b;
	struct ks_out o;

	out_open(&o, false);
	o.t0_ns = 1000;

	f = mk_fork(100, 1, "sh", 1001000, 200, 200, 0);
	assert_int_equal(proc_event_print(&o, &f, sizeof(f)), 0);
	check_buf(&o, "0.001000    fork    100     100     1       sh               child_pid=200\n");
	f = mk_fork(200, 100, "x", 1001000, 200, 201, PROC_F_THREAD);
	assert_int_equal(proc_event_print(&o, &f, sizeof(f)), 0);
	check_buf(&o, "0.001000    fork    200     200     100     x                "
		  "child_tid=201 thread\n");

	MK_EXEC(&b, h, 0, "/bin/x", "x\0-y\0a b\0");
	assert_int_equal(proc_event_print(&o, b.b, b.size), 0);
	check_buf(&o, "0.000001    exec    200     200     100     x                "
		  "filename=/bin/x argv=x -y \"a b\"\n");
	mk_exec(&b, h, -13, "/bin/x", 7, "x\0-yy", 5, 100);
	assert_int_equal(proc_event_print(&o, b.b, b.size), 0);
	check_buf(&o, "0.000001    exec    200     200     100     x                "
		  "ret=-13 filename=/bin/x argv=x -yy ...\n");

	x = mk_exit(100, 100, 1, "sh", 2000000000, PROC_F_GROUP_DEAD | PROC_F_MM,
		    EXIT_INFO(7 << 8));
	assert_int_equal(proc_event_print(&o, &x, sizeof(x)), 0);
	check_buf(&o, "1.999999    exit    100     100     1       sh               "
		  "exit_code=7 lifetime=1.50ms cpu=2.50us rss=1.5KiB vm=3.0MiB prio=120\n");

	x = mk_exit(100, 100, 1, "sh", 2000000000, PROC_F_GROUP_DEAD, EXIT_INFO(9));
	assert_int_equal(proc_event_print(&o, &x, sizeof(x)), 0);
	check_buf(&o, "1.999999    exit    100     100     1       sh               "
		  "signal=SIGKILL lifetime=1.50ms cpu=2.50us rss=1.5KiB prio=120\n");

	x = mk_exit(100, 101, 1, "sh", 2000000000, PROC_F_THREAD | PROC_F_MM,
		    EXIT_INFO(0x80 | 11));
	assert_int_equal(proc_event_print(&o, &x, sizeof(x)), 0);
	check_buf(&o, "1.999999    exit    100     101     1       sh               "
		  "signal=SIGSEGV core_dumped lifetime=1.50ms cpu=2.50us rss=1.5KiB vm=3.0MiB "
		  "prio=120 thread\n");

	/* exit 0 is still shown */
	x = mk_exit(100, 100, 1, "sh", 2000000000, PROC_F_GROUP_DEAD, EXIT_INFO(0));
	assert_int_equal(proc_event_print(&o, &x, sizeof(x)), 0);
	check_buf(&o, "1.999999    exit    100     100     1       sh               "
		  "exit_code=0 lifetime=1.50ms cpu=2.50us rss=1.5KiB prio=120\n");
	out_close(&o);
}

/* ---- proc_tree ----------------------------------------------------------- */

#define ADD(t, ev) assert_int_equal(proc_tree_add(t, &(ev), sizeof(ev)), 0)

/*
 * 100 (running, seen only as a parent)
 *  |-- 200: execs /bin/x, one thread, a child 250, exits 3
 *  |-- 300: killed by SIGKILL
 *  `-- 200 again (pid reused): execs /bin/y, running
 */
static struct proc_tree *build_tree(void)
{
	struct proc_tree *t = proc_tree_new();
	struct proc_fork_event f;
	struct proc_exit_event x;
	struct exec_buf b;

	assert_non_null(t);
	f = mk_fork(100, 1, "sh", 1000, 200, 200, 0);
	ADD(t, f);
	MK_EXEC(&b, mkhdr(0, 200, 200, 100, "x", 2000, 0), 0, "/bin/x", "x\0-y\0");
	assert_int_equal(proc_tree_add(t, b.b, b.size), 0);
	f = mk_fork(200, 100, "x", 3000, 200, 201, PROC_F_THREAD);
	ADD(t, f);
	f = mk_fork(200, 100, "x", 3500, 250, 250, 0);
	ADD(t, f);
	x = mk_exit(200, 201, 100, "x", 4000, PROC_F_THREAD,
		    (struct exit_info){ .cpu = 5, .rss = 4096, .lifetime = 3000 });
	ADD(t, x);
	x = mk_exit(200, 200, 100, "x", 10000, PROC_F_GROUP_DEAD | PROC_F_MM,
		    (struct exit_info){ .raw = 3 << 8, .cpu = 7, .rss = 8192, .lifetime = 123456 });
	ADD(t, x);
	f = mk_fork(100, 1, "sh", 11000, 300, 300, 0);
	ADD(t, f);
	x = mk_exit(300, 300, 100, "sh", 12000, PROC_F_GROUP_DEAD,
		    (struct exit_info){ .raw = 9, .cpu = 1 });
	ADD(t, x);
	f = mk_fork(100, 1, "sh", 13000, 200, 200, 0);
	ADD(t, f);
	MK_EXEC(&b, mkhdr(0, 200, 200, 100, "y", 14000, 0), 0, "/bin/y", "y\0");
	assert_int_equal(proc_tree_add(t, b.b, b.size), 0);
	return t;
}

#define RUNNING \
	"\"exited\":false,\"exit_code\":null,\"signal\":null,\"core_dumped\":null," \
	"\"cpu_ns\":null,\"max_rss_bytes\":null,\"lifetime_ns\":null"

static void test_tree_json(void **state)
{
	struct proc_tree *t = build_tree();
	struct ks_out o;

	out_open(&o, true);
	proc_tree_print(t, &o);
	check_buf(&o,
		  "{\"type\":\"tree\",\"processes\":["
		  "{\"pid\":100,\"ppid\":1,\"comm\":\"sh\",\"execs\":[]," RUNNING
		  ",\"threads\":0,\"children\":["
		  "{\"pid\":200,\"ppid\":100,\"comm\":\"x\",\"execs\":["
		  "{\"filename\":\"/bin/x\",\"argv\":[\"x\",\"-y\"],\"argv_truncated\":false,"
		  "\"ts_ns\":2000}],"
		  "\"exited\":true,\"exit_code\":3,\"signal\":0,\"core_dumped\":false,"
		  "\"cpu_ns\":12,\"max_rss_bytes\":8192,\"lifetime_ns\":9000,\"threads\":1,"
		  "\"children\":["
		  "{\"pid\":250,\"ppid\":200,\"comm\":\"x\",\"execs\":[]," RUNNING
		  ",\"threads\":0,\"children\":[]}]},"
		  "{\"pid\":300,\"ppid\":100,\"comm\":\"sh\",\"execs\":[],"
		  "\"exited\":true,\"exit_code\":0,\"signal\":9,\"core_dumped\":false,"
		  "\"cpu_ns\":1,\"max_rss_bytes\":0,\"lifetime_ns\":1000,\"threads\":0,"
		  "\"children\":[]},"
		  "{\"pid\":200,\"ppid\":100,\"comm\":\"y\",\"execs\":["
		  "{\"filename\":\"/bin/y\",\"argv\":[\"y\"],\"argv_truncated\":false,"
		  "\"ts_ns\":14000}]," RUNNING ",\"threads\":0,\"children\":[]}"
		  "]}]}\n");
	assert_int_equal(o.depth, 0);
	out_close(&o);
	proc_tree_free(t);
}

static void test_tree_text(void **state)
{
	struct proc_tree *t = build_tree();
	struct ks_out o;

	out_open(&o, false);
	proc_tree_print(t, &o);
	check_buf(&o,
		  "100 sh: running\n"
		  "|-- 200 x: exit 3, 9.00us, cpu 12ns, 1 thread, exec /bin/x x -y\n"
		  "|   `-- 250 x: running\n"
		  "|-- 300 sh: killed by SIGKILL, 1.00us, cpu 1ns\n"
		  "`-- 200 y: running, exec /bin/y y\n");
	out_close(&o);
	proc_tree_free(t);
}

/* Processes that started before tracing are roots; their lifetime comes from the event */
static void test_tree_roots(void **state)
{
	struct proc_tree *t = proc_tree_new();
	struct proc_exit_event x;
	struct exec_buf b;
	struct ks_out o;

	assert_non_null(t);
	MK_EXEC(&b, mkhdr(0, 500, 500, 1, "a", 100, 0), 0, "/bin/a", "a\0");
	assert_int_equal(proc_tree_add(t, b.b, b.size), 0);
	mk_exec(&b, mkhdr(0, 500, 500, 1, "b", 200, 0), 0, "/bin/b", 7, "b\0c d\0", 6, 9999);
	assert_int_equal(proc_tree_add(t, b.b, b.size), 0);
	x = mk_exit(500, 500, 1, "b", 300, PROC_F_GROUP_DEAD,
		    (struct exit_info){ .raw = 0x80 | 11, .lifetime = 5000000, .cpu = 2000000,
					.rss = 1 << 20 });
	ADD(t, x);
	/* the last thread to exit is not the leader: the lifetime is unknown */
	x = mk_exit(600, 601, 1, "w", 400, PROC_F_GROUP_DEAD | PROC_F_THREAD,
		    (struct exit_info){ .raw = 40, .lifetime = 777 });
	ADD(t, x);

	out_open(&o, false);
	proc_tree_print(t, &o);
	check_buf(&o,
		  "500 b: killed by SIGSEGV (core dumped), 5.00ms, cpu 2.00ms, "
		  "exec /bin/a a => /bin/b b \"c d\" ...\n"
		  "600 w: killed by signal 40, cpu 0ns\n");
	out_close(&o);

	out_open(&o, true);
	proc_tree_print(t, &o);
	check_buf(&o,
		  "{\"type\":\"tree\",\"processes\":["
		  "{\"pid\":500,\"ppid\":1,\"comm\":\"b\",\"execs\":["
		  "{\"filename\":\"/bin/a\",\"argv\":[\"a\"],\"argv_truncated\":false,\"ts_ns\":100},"
		  "{\"filename\":\"/bin/b\",\"argv\":[\"b\",\"c d\"],\"argv_truncated\":true,"
		  "\"ts_ns\":200}],"
		  "\"exited\":true,\"exit_code\":0,\"signal\":11,\"core_dumped\":true,"
		  "\"cpu_ns\":2000000,\"max_rss_bytes\":1048576,\"lifetime_ns\":5000000,"
		  "\"threads\":0,\"children\":[]},"
		  "{\"pid\":600,\"ppid\":1,\"comm\":\"w\",\"execs\":[],"
		  "\"exited\":true,\"exit_code\":0,\"signal\":40,\"core_dumped\":false,"
		  "\"cpu_ns\":0,\"max_rss_bytes\":0,\"lifetime_ns\":null,\"threads\":0,"
		  "\"children\":[]}]}\n");
	out_close(&o);
	proc_tree_free(t);
}

static void test_tree_empty_and_invalid(void **state)
{
	struct proc_tree *t = proc_tree_new();
	struct proc_fork_event f = mk_fork(100, 1, "sh", 1, 200, 200, 0);
	struct ks_out o;

	assert_non_null(t);
	assert_int_equal(proc_tree_add(t, &f, sizeof(f) - 1), -EINVAL);
	f.hdr.type = 9;
	assert_int_equal(proc_tree_add(t, &f, sizeof(f)), -EINVAL);

	out_open(&o, true);
	proc_tree_print(t, &o);
	check_buf(&o, "{\"type\":\"tree\",\"processes\":[]}\n");
	out_close(&o);
	out_open(&o, false);
	proc_tree_print(t, &o);
	check_buf(&o, "");
	out_close(&o);
	proc_tree_free(t);
	proc_tree_free(NULL);
}

/* A chain deeper than the tree prints: cut, and marked */
static void test_tree_deep_chain(void **state)
{
	const int n = 405;
	struct proc_tree *t = proc_tree_new();
	struct ks_out o;
	char *s, *p;
	int count, fd;
	off_t size;

	assert_non_null(t);
	for (int i = 0; i < n - 1; i++) {
		struct proc_fork_event f = mk_fork(1000 + i, 999 + i, "c", i, 1001 + i, 1001 + i, 0);

		ADD(t, f);
	}

	out_open(&o, true);
	proc_tree_print(t, &o);
	assert_int_equal(o.depth, 0);
	s = strndup(o.buf, o.len);
	assert_non_null(s);
	for (count = 0, p = s; (p = strstr(p, "\"pid\":")); p++)
		count++;
	assert_int_equal(count, 401);	/* depths 0..400 */
	assert_non_null(strstr(s, "\"pid\":1400,"));
	assert_null(strstr(s, "\"pid\":1401,"));
	assert_non_null(strstr(s, "\"children\":[],\"children_truncated\":true}"));
	assert_int_equal(strchr(s, '\n') - s, (long)o.len - 1);	/* one line */
	free(s);
	out_close(&o);

	/* about 320 KiB of text: more than the buffer, so read back what was written */
	fd = memfd_create("tree", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ks_out_init(&o, fd, false, false), 0);
	proc_tree_print(t, &o);
	assert_int_equal(ks_out_flush(&o), 0);
	size = lseek(fd, 0, SEEK_END);
	assert_true(size > 256 * 1024);
	s = calloc(1, size + 1);
	assert_non_null(s);
	assert_int_equal(pread(fd, s, size, 0), size);
	for (count = 0, p = s; (p = strchr(p, '\n')); p++)
		count++;
	assert_int_equal(count, 402);	/* 401 processes and the cut */
	assert_non_null(strstr(s, "`-- 1400 c: running\n"));
	assert_null(strstr(s, " 1401 c"));
	assert_non_null(strstr(s, "    ... 1 children and their descendants not shown\n"));
	free(s);
	ks_out_free(&o);
	close(fd);
	proc_tree_free(t);
}

/* ---- --summary ----------------------------------------------------------- */

static void test_exit_class(void **state)
{
	(void)state;
	assert_int_equal(proc_exit_class(0), PROC_N_EXIT_OK);
	assert_int_equal(proc_exit_class(3 << 8), PROC_N_EXIT_ERROR);
	assert_int_equal(proc_exit_class(255 << 8), PROC_N_EXIT_ERROR);
	assert_int_equal(proc_exit_class(9), PROC_N_KILLED);		/* SIGKILL */
	assert_int_equal(proc_exit_class(0x80 | 11), PROC_N_KILLED);	/* SIGSEGV, core dumped */
	assert_int_equal(proc_exit_class(64), PROC_N_KILLED);		/* SIGRTMAX */
}

static void test_summary_max(void **state)
{
	(void)state;
	assert_int_equal(proc_summary_max(NULL), PROC_SUMMARY_MAX);
	assert_int_equal(proc_summary_max("4"), 4);
	assert_int_equal(proc_summary_max("1"), 1);
	assert_int_equal(proc_summary_max("10240"), 10240);
	assert_int_equal(proc_summary_max("0"), -EINVAL);
	assert_int_equal(proc_summary_max("10241"), -EINVAL);
	assert_int_equal(proc_summary_max(""), -EINVAL);
	assert_int_equal(proc_summary_max("4x"), -EINVAL);
	assert_int_equal(proc_summary_max("-4"), -EINVAL);
}

static struct proc_comm_stat mk_stat(uint64_t forks, uint64_t execs, uint64_t failed, uint64_t ok,
				     uint64_t error, uint64_t killed)
{
	struct proc_comm_stat v = { .n = {
		[PROC_N_FORKS] = forks, [PROC_N_EXECS] = execs, [PROC_N_EXEC_FAILED] = failed,
		[PROC_N_EXIT_OK] = ok, [PROC_N_EXIT_ERROR] = error, [PROC_N_KILLED] = killed,
	} };

	return v;
}

static void render_stat(struct ks_table *t, struct ks_out *o)
{
	struct ks_sink s;

	ks_sink_init(&s, o, 5000, 1000);
	ks_table_render(t, &s);
	ks_table_new_period(t);
}

static void test_stat_rows(void **state)
{
	struct ks_table *t = proc_stat_table_new();
	struct proc_comm_stat v;
	struct ks_out o;

	(void)state;
	assert_non_null(t);
	ks_table_sort(t, PROC_C_EXECS);
	ks_table_hide(t, PROC_C_EXEC_FAILED, true);	/* no -x */
	v = mk_stat(10, 1, 0, 1, 0, 0);
	assert_int_equal(proc_stat_put(t, "sh", &v), 0);
	v = mk_stat(0, 7, 0, 5, 1, 1);
	assert_int_equal(proc_stat_put(t, "true", &v), 0);
	v = mk_stat(0, 2, 0, 2, 0, 0);
	assert_int_equal(proc_stat_put(t, NULL, &v), 0);	/* (other) */
	/* an empty name is a name, apart from (other) */
	v = mk_stat(0, 2, 0, 0, 0, 0);
	assert_int_equal(proc_stat_put(t, "", &v), 0);
	assert_int_equal(ks_table_rows(t), 4);

	/* most execs first, ties by forks and exits, then by name ("" before "(other)") */
	out_open(&o, true);
	render_stat(t, &o);
	check_buf(&o,
		"{\"type\":\"proc_stat\",\"ts_ns\":5000,\"interval_ns\":1000,\"comm\":\"true\",\"forks\":0,"
		"\"execs\":7,\"exits\":7,\"exit_ok\":5,\"exit_error\":1,\"killed\":1}\n"
		"{\"type\":\"proc_stat\",\"ts_ns\":5000,\"interval_ns\":1000,\"comm\":\"(other)\",\"forks\":0,"
		"\"execs\":2,\"exits\":2,\"exit_ok\":2,\"exit_error\":0,\"killed\":0}\n"
		"{\"type\":\"proc_stat\",\"ts_ns\":5000,\"interval_ns\":1000,\"comm\":\"\",\"forks\":0,"
		"\"execs\":2,\"exits\":0,\"exit_ok\":0,\"exit_error\":0,\"killed\":0}\n"
		"{\"type\":\"proc_stat\",\"ts_ns\":5000,\"interval_ns\":1000,\"comm\":\"sh\",\"forks\":10,"
		"\"execs\":1,\"exits\":1,\"exit_ok\":1,\"exit_error\":0,\"killed\":0}\n");
	out_close(&o);

	/* the next period: what grew, rows that did not grow are not shown; totals since start */
	v = mk_stat(0, 9, 0, 6, 1, 2);
	assert_int_equal(proc_stat_put(t, "true", &v), 0);
	v = mk_stat(10, 1, 0, 1, 0, 0);
	assert_int_equal(proc_stat_put(t, "sh", &v), 0);
	out_open(&o, false);
	render_stat(t, &o);
	check_buf(&o,
		"COMM                FORKS    EXECS    EXITS       OK    ERROR   KILLED\n"
		"true                    0        2        2        1        0        1\n");
	out_close(&o);
	ks_table_free(t);
}

static void test_stat_other_text(void **state)
{
	struct ks_table *t = proc_stat_table_new();
	struct proc_comm_stat v = mk_stat(3, 4, 5, 1, 1, 1);
	struct ks_row *r;
	struct ks_out o;
	size_t len;

	(void)state;
	assert_non_null(t);
	ks_table_absent(t, PROC_C_FORKS, true);		/* -e exec,exit */
	assert_int_equal(proc_stat_put(t, NULL, &v), 0);
	r = ks_table_next(t, NULL);
	assert_non_null(r);
	assert_string_equal(ks_row_str(r, PROC_C_COMM, &len), PROC_OTHER_COMM);
	assert_int_equal(ks_row_total(r, PROC_C_EXITS), 3);
	/* the kernel's names have 15 characters at most: a longer one is cut there */
	assert_int_equal(proc_stat_put(t, "0123456789abcdef", &v), 0);
	out_open(&o, false);
	render_stat(t, &o);
	check_buf(&o,
		"COMM                FORKS    EXECS EXEC-FAIL    EXITS       OK    ERROR   KILLED\n"
		"(other)                 -        4         5        3        1        1        1\n"
		"0123456789abcde         -        4         5        3        1        1        1\n");
	out_close(&o);
	ks_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_fork_exit),
		cmocka_unit_test(test_check_exec),
		cmocka_unit_test(test_exec_view),
		cmocka_unit_test(test_print_fork_json),
		cmocka_unit_test(test_print_exec_json),
		cmocka_unit_test(test_print_exec_empty_last_arg),
		cmocka_unit_test(test_print_exec_empty_last_arg_text),
		cmocka_unit_test(test_print_exit_json),
		cmocka_unit_test(test_print_text),
		cmocka_unit_test(test_tree_json),
		cmocka_unit_test(test_tree_text),
		cmocka_unit_test(test_tree_roots),
		cmocka_unit_test(test_tree_empty_and_invalid),
		cmocka_unit_test(test_tree_deep_chain),
		cmocka_unit_test(test_exit_class),
		cmocka_unit_test(test_summary_max),
		cmocka_unit_test(test_stat_rows),
		cmocka_unit_test(test_stat_other_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

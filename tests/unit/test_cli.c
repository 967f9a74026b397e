// SPDX-License-Identifier: GPL-2.0
/* Unit tests for src/engine/cli.c: the common command line of every command. */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "kscope.h"
#include "engine/cli.h"
#include "engine/plan.h"

/* ---- a command of our own ------------------------------------------------ */

enum { OPT_TREE = 0x200, OPT_HIST };

struct test_state {
	const char *event;
	bool tree;
	bool hist;
	const char *hist_name;
	int sort;
	unsigned top;
	int calls;
};

static const struct ks_cli_opt test_opts[] = {
	{ "event", 'e', "LIST", "only these events" },
	{ "tree", OPT_TREE, NULL, "print a tree", KS_CLI_SET(struct test_state, tree) },
	{ "hist", OPT_HIST, "[NAME]", "a histogram, of all or of NAME" },
	{ "sort", 's', "KEY", "order by KEY" },
	{ "top", 'n', "N", "the first N rows" },
	{ 0 }
};

static struct test_state st;
static struct ks_cli cli;

static int test_parse(void *state, int key, const char *arg)
{
	struct test_state *s = state;

	s->calls++;
	switch (key) {
	case OPT_HIST:
		s->hist = true;
		s->hist_name = arg;
		return 0;
	case 'e':
		if (!strcmp(arg, "bad")) {
			ks_cli_error(&cli, "invalid --event '%s'", arg);
			return -1;
		}
		s->event = arg;
		return 0;
	}
	return -1;	/* --tree, -s and -n are the engine's (KS_CLI_SET, KS_CLI_SORT) */
}

static void set_cli(unsigned flags)
{
	static const char *const sort_keys[] = { "cpu", "switches", "runq", NULL };

	memset(&st, 0, sizeof(st));
	cli = (struct ks_cli){
		.cmd = "test",
		.summary = "A command for the tests.",
		.opts = test_opts,
		.parse = test_parse,
		/* what KS_CLI_SORT() says in a command's file-scope ks_cli */
		.sort_keys = sort_keys,
		.sort = KS_CLI_SET(struct test_state, sort),
		.rows = KS_CLI_SET(struct test_state, top),
		.state = &st,
		.flags = flags,
	};
}

/* ---- running ks_cli_parse with captured stdout and stderr ----------------- */

static char err_text[4096], out_text[16384];

static void slurp(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

/*
 * Parse "test" + the NULL-terminated arguments; stderr goes to err_text.
 * argv is static: o->program points into it until the next parse.
 */
static int parse_v(struct ks_opts *o, va_list ap)
{
	static char *argv[64];
	int argc = 1, rc, saved_err, saved_out, err_fd, out_fd;
	const char *a;

	argv[0] = "test";
	while ((a = va_arg(ap, const char *)))
		argv[argc++] = (char *)a;
	assert_true(argc < 64);
	argv[argc] = NULL;

	err_fd = memfd_create("stderr", MFD_CLOEXEC);
	out_fd = memfd_create("stdout", MFD_CLOEXEC);
	assert_true(err_fd >= 0 && out_fd >= 0);
	fflush(stdout);
	fflush(stderr);
	saved_err = dup(STDERR_FILENO);
	saved_out = dup(STDOUT_FILENO);
	dup2(err_fd, STDERR_FILENO);
	dup2(out_fd, STDOUT_FILENO);

	rc = ks_cli_parse(&cli, argc, argv, o);

	fflush(stdout);
	fflush(stderr);
	dup2(saved_err, STDERR_FILENO);
	dup2(saved_out, STDOUT_FILENO);
	close(saved_err);
	close(saved_out);
	slurp(err_fd, err_text, sizeof(err_text));
	slurp(out_fd, out_text, sizeof(out_text));
	return rc;
}

static int parse(struct ks_opts *o, ...)
{
	va_list ap;
	int rc;

	va_start(ap, o);
	rc = parse_v(o, ap);
	va_end(ap);
	return rc;
}

/* The arguments are accepted, silently */
#define PARSE_OK(o, ...) do {						\
		assert_int_equal(parse(o, __VA_ARGS__, NULL), KS_CLI_CONTINUE); \
		assert_string_equal(err_text, "");			\
	} while (0)

/* Usage error: exit code 2 and exactly this one line on stderr */
static void check_usage(const char *msg, struct ks_opts *o, ...)
{
	char expected[1024];
	va_list ap;
	int rc;

	va_start(ap, o);
	rc = parse_v(o, ap);
	va_end(ap);
	snprintf(expected, sizeof(expected), "kscope test: %s (see 'kscope test --help')\n", msg);
	assert_string_equal(err_text, expected);
	assert_int_equal(rc, KS_EXIT_USAGE);
	assert_string_equal(out_text, "");
	/* everything was released */
	assert_int_equal(o->cgroup_fd, -1);
	assert_int_equal(o->out_fd, STDOUT_FILENO);
}

#define USAGE(msg, o, ...) check_usage(msg, o, __VA_ARGS__, NULL)

static int setup_trace(void **state)
{
	set_cli(KS_CLI_TRACE | KS_CLI_PROGRAM);
	return 0;
}

/* ---- defaults and simple options ------------------------------------------ */

static void test_defaults(void **state)
{
	struct ks_opts o;

	assert_int_equal(parse(&o, NULL), KS_CLI_CONTINUE);
	assert_string_equal(err_text, "");
	assert_string_equal(out_text, "");
	assert_int_equal(o.npids, 0);
	assert_false(o.follow);
	assert_null(o.cgroup);
	assert_int_equal(o.cgroup_fd, -1);
	assert_false(o.uid_set);
	assert_null(o.comm);
	assert_true(o.duration_s == 0);
	assert_false(o.json);
	assert_null(o.output);
	assert_int_equal(o.out_fd, 1);
	assert_false(o.wallclock);
	assert_int_equal(o.verbose, 0);
	assert_null(o.btf_path);
	assert_int_equal(o.no_hook, 0);
	assert_false(o.no_precheck);
	assert_int_equal(o.ringbuf_kb, 4096);
	assert_int_equal(o.flush_ms, 100);
	assert_true(o.interval_s == 0);
	assert_int_equal(o.count, 0);
	assert_null(o.program);
	assert_int_equal(st.calls, 0);
}

static void test_flags(void **state)
{
	struct ks_opts o;

	PARSE_OK(&o, "-j", "-T", "-v", "-v");
	assert_true(o.json);
	assert_true(o.wallclock);
	assert_int_equal(o.verbose, 2);

	PARSE_OK(&o, "-jTvvv", "--no-precheck");
	assert_true(o.json);
	assert_true(o.wallclock);
	assert_int_equal(o.verbose, 3);
	assert_true(o.no_precheck);

	PARSE_OK(&o, "--json", "--timestamp", "--verbose");
	assert_true(o.json);
	assert_true(o.wallclock);
	assert_int_equal(o.verbose, 1);
}

static void test_command_options(void **state)
{
	struct ks_opts o;

	PARSE_OK(&o, "-e", "fork", "--tree", "-j");
	assert_string_equal(st.event, "fork");
	assert_true(st.tree);
	assert_int_equal(st.calls, 1);	/* -e only: --tree is a declared flag */
	assert_true(o.json);

	PARSE_OK(&o, "--event=exec");
	assert_string_equal(st.event, "exec");

	USAGE("invalid --event 'bad'", &o, "-e", "bad");
}

/* "--hist [NAME]": the name may follow as --hist=NAME or as the next word,
 * unless that word is an option or a number ([interval [count]]) */
static void test_optional_argument(void **state)
{
	struct ks_opts o;

	PARSE_OK(&o, "--hist");
	assert_true(st.hist);
	assert_null(st.hist_name);

	PARSE_OK(&o, "--hist=read");
	assert_string_equal(st.hist_name, "read");

	PARSE_OK(&o, "--hist", "write", "-j");
	assert_string_equal(st.hist_name, "write");
	assert_true(o.json);

	st.hist_name = NULL;
	PARSE_OK(&o, "--hist", "-j");
	assert_null(st.hist_name);
	assert_true(o.json);

	set_cli(KS_CLI_TRACE | KS_CLI_INTERVAL);
	PARSE_OK(&o, "--hist", "2", "3");
	assert_null(st.hist_name);
	assert_true(o.interval_s == 2.0);
	assert_int_equal(o.count, 3);
}

static void test_choice(void **state)
{
	static const char *const keys[] = { "cpu", "switches", "runq", NULL };

	assert_int_equal(ks_cli_choice("cpu", keys), 0);
	assert_int_equal(ks_cli_choice("runq", keys), 2);
	assert_int_equal(ks_cli_choice("run", keys), -1);
	assert_int_equal(ks_cli_choice("", keys), -1);
	assert_int_equal(ks_cli_choice(NULL, keys), -1);
}

/* -s KEY and -n N, shared by the aggregating commands */
static void test_summary_opts(void **state)
{
	struct ks_opts o;
	int sort = -1;
	unsigned rows = 0;
	static const char *const keys[] = { "a", "b", NULL };

	(void)state;
	set_cli(KS_CLI_TRACE);
	PARSE_OK(&o, "-s", "runq", "-n", "5");
	assert_int_equal(st.sort, 2);
	assert_int_equal(st.top, 5);
	ks_opts_release(&o);
	PARSE_OK(&o, "--sort=switches", "--top", "1000000");
	assert_int_equal(st.sort, 1);
	assert_int_equal(st.top, 1000000);
	assert_int_equal(st.calls, 0);	/* the engine's, not the command's parse */
	ks_opts_release(&o);
	check_usage("invalid value 'bogus' for --sort", &o, "-s", "bogus", NULL);
	check_usage("invalid value '0' for --top", &o, "-n", "0", NULL);
	check_usage("invalid value '1000001' for --top", &o, "--top", "1000001", NULL);
	check_usage("invalid value '-1' for --top", &o, "-n", "-1", NULL);
	/* not a summary key: left to the command */
	assert_int_equal(ks_cli_summary_opt(&cli, 'e', "x", keys, &sort, &rows), 1);
	assert_int_equal(sort, -1);
	assert_int_equal(rows, 0);
}

/* ---- -p ------------------------------------------------------------------ */

static pid_t dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void test_pids(void **state)
{
	char self[32], two[48], dead[32], msg[64];
	struct ks_opts o;

	snprintf(self, sizeof(self), "%d", getpid());
	snprintf(two, sizeof(two), "1,%d", getpid());
	snprintf(dead, sizeof(dead), "%d", dead_pid());

	PARSE_OK(&o, "-p", self);
	assert_int_equal(o.npids, 1);
	assert_int_equal(o.pids[0], getpid());
	assert_false(o.follow);

	PARSE_OK(&o, "-p", two);
	assert_int_equal(o.npids, 2);
	assert_int_equal(o.pids[0], 1);
	assert_int_equal(o.pids[1], getpid());

	/* repeated -p adds up */
	PARSE_OK(&o, "--pid", self, "-p1");
	assert_int_equal(o.npids, 2);
	assert_int_equal(o.pids[0], getpid());
	assert_int_equal(o.pids[1], 1);

	USAGE("invalid pid '0'", &o, "-p", "0");
	USAGE("invalid pid 'abc'", &o, "-p", "abc");
	USAGE("invalid pid '-5'", &o, "-p", "-5");
	USAGE("invalid pid '2147483648'", &o, "-p", "2147483648");
	/* an empty list or an empty item in it */
	USAGE("invalid pid list ',' (PID[,PID...])", &o, "-p", ",");
	USAGE("invalid pid list '' (PID[,PID...])", &o, "--pid=");
	USAGE("invalid pid list '1,,1' (PID[,PID...])", &o, "-p", "1,,1");
	USAGE("invalid pid list ',1' (PID[,PID...])", &o, "-p", ",1");
	USAGE("invalid pid list '1,' (PID[,PID...])", &o, "-p", "1,");
	USAGE("no such process: 99999999", &o, "-p", "99999999");
	snprintf(msg, sizeof(msg), "no such process: %s", dead);
	USAGE(msg, &o, "-p", dead);
}

static void *sleeper(void *arg)
{
	pause();
	return arg;
}

/* A thread id is not a process: refused, naming the process it belongs to */
static void test_pid_is_thread(void **state)
{
	char tid[32], msg[256], comm[32] = "";
	pthread_t t;
	struct ks_opts o;
	pid_t id = 0;
	FILE *f;

	assert_int_equal(pthread_create(&t, NULL, sleeper, NULL), 0);
	/* its tid: the task of ours that is not the main thread */
	for (int tries = 0; !id && tries < 1000; tries++) {
		char path[64];
		DIR *d;
		struct dirent *e;

		snprintf(path, sizeof(path), "/proc/%d/task", getpid());
		d = opendir(path);
		assert_non_null(d);
		while ((e = readdir(d)))
			if (atoi(e->d_name) > 0 && atoi(e->d_name) != getpid())
				id = atoi(e->d_name);
		closedir(d);
	}
	assert_true(id > 0);
	f = fopen("/proc/self/comm", "r");
	assert_non_null(f);
	assert_non_null(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	snprintf(tid, sizeof(tid), "%d", id);
	snprintf(msg, sizeof(msg), "%d is a thread of process %d (%s), not a process: "
		 "-p takes process ids (-p %d: all of its threads)", id, getpid(), comm, getpid());
	USAGE(msg, &o, "-p", tid);
	pthread_cancel(t);
	pthread_join(t, NULL);
}

static void test_pids_limit(void **state)
{
	char list[64 * 12 + 16] = "", self[16];
	struct ks_opts o;

	snprintf(self, sizeof(self), "%d,", getpid());
	for (int i = 0; i < KS_MAX_PIDS; i++)
		strcat(list, self);
	list[strlen(list) - 1] = '\0';
	PARSE_OK(&o, "-p", list);
	assert_int_equal(o.npids, KS_MAX_PIDS);

	strcat(list, ",1");
	USAGE("too many pids (at most 64)", &o, "-p", list);
}

static void test_follow(void **state)
{
	char self[32];
	struct ks_opts o;

	snprintf(self, sizeof(self), "%d", getpid());
	PARSE_OK(&o, "--follow", "-p", self);
	assert_true(o.follow);
	USAGE("--follow needs -p PID", &o, "--follow");
}

/* ---- values -------------------------------------------------------------- */

static void test_duration(void **state)
{
	struct ks_opts o;

	PARSE_OK(&o, "-d", "1.5");
	assert_true(o.duration_s == 1.5);
	PARSE_OK(&o, "--duration=10");
	assert_true(o.duration_s == 10);
	PARSE_OK(&o, "-d.25");
	assert_true(o.duration_s == 0.25);

	PARSE_OK(&o, "-d", "10000000");
	assert_true(o.duration_s == 1e7);

	USAGE("invalid duration '0' (seconds, more than 0 and at most 10000000)", &o, "-d", "0");
	USAGE("invalid duration 'x' (seconds, more than 0 and at most 10000000)", &o, "-d", "x");
	USAGE("invalid duration '-1' (seconds, more than 0 and at most 10000000)", &o, "-d", "-1");
	USAGE("invalid duration '1s' (seconds, more than 0 and at most 10000000)", &o, "-d", "1s");
	USAGE("invalid duration '10000001' (seconds, more than 0 and at most 10000000)",
	      &o, "-d", "10000001");
}

static void test_uid(void **state)
{
	struct ks_opts o;

	PARSE_OK(&o, "-u", "root");
	assert_true(o.uid_set);
	assert_int_equal(o.uid, 0);
	PARSE_OK(&o, "-u", "1000");
	assert_true(o.uid_set);
	assert_int_equal(o.uid, 1000);

	USAGE("no such user 'nosuchuser_zz'", &o, "-u", "nosuchuser_zz");
	USAGE("invalid uid 'a:b'", &o, "-u", "a:b");
}

static void test_comm(void **state)
{
	struct ks_opts o;

	PARSE_OK(&o, "--comm", "bash");
	assert_string_equal(o.comm, "bash");
	/* 15 bytes: what the kernel keeps; one more would never match */
	PARSE_OK(&o, "--comm", "systemd-journal");
	assert_string_equal(o.comm, "systemd-journal");
	USAGE("empty --comm", &o, "--comm", "");
	USAGE("--comm 'systemd-journald' is 16 bytes long: the kernel keeps the first 15 of a "
	      "command name ('systemd-journal')", &o, "--comm", "systemd-journald");
}

static void test_no_hook(void **state)
{
	struct ks_opts o;

	PARSE_OK(&o, "--no-hook", "fentry,kprobe");
	assert_int_equal(o.no_hook, KS_FAM_FENTRY | KS_FAM_KPROBE);
	PARSE_OK(&o, "--no-hook", "fexit", "--no-hook", "tp");
	assert_int_equal(o.no_hook, KS_FAM_FENTRY | KS_FAM_TRACEPOINT);

	USAGE("invalid --no-hook 'nope' (fentry,kprobe,tp_btf,raw_tp,tracepoint,lsm)",
	      &o, "--no-hook", "nope");
	USAGE("invalid --no-hook 'fentry,' (fentry,kprobe,tp_btf,raw_tp,tracepoint,lsm)",
	      &o, "--no-hook", "fentry,");
}

static void test_ringbuf_and_flush(void **state)
{
	struct ks_opts o;

	PARSE_OK(&o, "--ringbuf-kb", "64");
	assert_int_equal(o.ringbuf_kb, 64);
	PARSE_OK(&o, "--ringbuf-kb", "4", "--flush-ms", "1");
	assert_int_equal(o.ringbuf_kb, 4);
	assert_int_equal(o.flush_ms, 1);
	PARSE_OK(&o, "--ringbuf-kb", "1048576", "--flush-ms", "10000");
	assert_int_equal(o.ringbuf_kb, 1048576);
	assert_int_equal(o.flush_ms, 10000);

	USAGE("invalid --ringbuf-kb '100' (a power of two, 4..1048576)", &o, "--ringbuf-kb", "100");
	USAGE("invalid --ringbuf-kb '2' (a power of two, 4..1048576)", &o, "--ringbuf-kb", "2");
	USAGE("invalid --ringbuf-kb '0' (a power of two, 4..1048576)", &o, "--ringbuf-kb", "0");
	USAGE("invalid --ringbuf-kb '2097152' (a power of two, 4..1048576)",
	      &o, "--ringbuf-kb", "2097152");
	USAGE("invalid --flush-ms '0' (1..10000)", &o, "--flush-ms", "0");
	USAGE("invalid --flush-ms '10001' (1..10000)", &o, "--flush-ms", "10001");
}

static void test_btf(void **state)
{
	struct ks_opts o;

	/* the file is checked at once (btf_scan.c; test_btf_scan.c has the details) */
	if (!access("/sys/kernel/btf/vmlinux", R_OK)) {
		PARSE_OK(&o, "--btf", "/sys/kernel/btf/vmlinux");
		assert_string_equal(o.btf_path, "/sys/kernel/btf/vmlinux");
	}
	USAGE("--btf '/etc/passwd' is not usable BTF: no BTF magic (0xeb9f) at its start",
	      &o, "--btf", "/etc/passwd");
	USAGE("--btf '/dev/null' is not usable BTF: not a regular file", &o, "--btf", "/dev/null");
	USAGE("--btf '/' is not usable BTF: a directory", &o, "--btf", "/");
	USAGE("--btf '/nonexistent/btf' is not usable BTF: No such file or directory",
	      &o, "--btf", "/nonexistent/btf");
}

/* ---- getopt errors ------------------------------------------------------- */

static void test_unknown_and_missing(void **state)
{
	struct ks_opts o;

	USAGE("unknown option '--bogus'", &o, "--bogus");
	USAGE("unknown option '-x'", &o, "-x");
	USAGE("unknown option '-x'", &o, "-jx");
	USAGE("option '-d' needs an argument", &o, "-d");
	USAGE("option '-d' needs an argument", &o, "-jd");
	USAGE("option '--pid' needs an argument", &o, "--pid");
	USAGE("option '--comm' needs an argument", &o, "--comm");
	/* the first error wins, even before --help */
	USAGE("unknown option '--bogus'", &o, "--bogus", "--help");
	USAGE("unknown option '--bogus'", &o, "-j", "--bogus", "-d", "x");
}

/* ---- positional arguments ------------------------------------------------ */

static void test_positional(void **state)
{
	struct ks_opts o;

	USAGE("unexpected argument 'foo'", &o, "foo");
	USAGE("unexpected argument '2'", &o, "-j", "2");

	set_cli(KS_CLI_TRACE | KS_CLI_INTERVAL);
	PARSE_OK(&o, "2", "5");
	assert_true(o.interval_s == 2);
	assert_int_equal(o.count, 5);
	PARSE_OK(&o, "0.5");
	assert_true(o.interval_s == 0.5);
	assert_int_equal(o.count, 0);
	/* options may come after the positional arguments */
	PARSE_OK(&o, "2", "-j", "3", "-v");
	assert_true(o.interval_s == 2);
	assert_int_equal(o.count, 3);
	assert_true(o.json);
	assert_int_equal(o.verbose, 1);

	USAGE("invalid count '0' (an integer >= 1)", &o, "2", "0");
	USAGE("invalid count 'x' (an integer >= 1)", &o, "2", "x");
	USAGE("unexpected argument '7'", &o, "2", "5", "7");
	USAGE("invalid interval '0' (seconds, more than 0 and at most 10000000)", &o, "0");
	USAGE("invalid interval 'foo' (seconds, more than 0 and at most 10000000)", &o, "foo");
	/* no PROGRAM for this command */
	USAGE("does not run a PROGRAM after '--'", &o, "--", "/bin/true");
}

/* ---- -- PROGRAM ---------------------------------------------------------- */

static void test_program(void **state)
{
	char self[32];
	struct ks_opts o;

	PARSE_OK(&o, "--", "/bin/true", "a", "b");
	assert_non_null(o.program);
	assert_string_equal(o.program[0], "/bin/true");
	assert_string_equal(o.program[1], "a");
	assert_string_equal(o.program[2], "b");
	assert_null(o.program[3]);
	assert_true(o.follow);	/* implied */

	/* the program's options are its own */
	PARSE_OK(&o, "-j", "--", "/bin/ls", "-l", "--bogus", "--");
	assert_true(o.json);
	assert_int_equal(o.verbose, 0);
	assert_string_equal(o.program[0], "/bin/ls");
	assert_string_equal(o.program[1], "-l");
	assert_string_equal(o.program[2], "--bogus");
	assert_string_equal(o.program[3], "--");
	assert_null(o.program[4]);

	USAGE("missing PROGRAM after '--'", &o, "--");
	USAGE("missing PROGRAM after '--'", &o, "-j", "--");
	snprintf(self, sizeof(self), "%d", getpid());
	USAGE("-p and -- PROGRAM cannot be combined", &o, "-p", self, "--", "/bin/true");
	USAGE("unexpected argument 'foo'", &o, "foo", "--", "/bin/true");
}

/* ---- -o and -c: files ---------------------------------------------------- */

static void file_is(const char *path, const char *want)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

/*
 * -o FILE is opened when parsed, but an existing file is emptied (and a new
 * one kept) only when tracing starts: ks_opts_begin_output().
 */
static void test_output(void **state)
{
	char dir[] = "/tmp/kscope-test-cli-XXXXXX", path[128], link[128], msg[512];
	struct ks_opts o;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old", 3), 3);
	close(fd);

	/* an existing file: untouched by a run that never starts */
	PARSE_OK(&o, "-o", path);
	assert_string_equal(o.output, path);
	assert_true(o.out_fd > STDERR_FILENO);
	ks_opts_release(&o);
	assert_int_equal(o.out_fd, STDOUT_FILENO);
	file_is(path, "old");
	/* ... emptied when tracing starts */
	PARSE_OK(&o, "-o", path);
	file_is(path, "old");
	assert_int_equal(ks_opts_begin_output(&o), 0);
	file_is(path, "");
	assert_int_equal(write(o.out_fd, "new\n", 4), 4);
	ks_opts_release(&o);
	file_is(path, "new\n");
	unlink(path);

	/* a new file: removed again unless tracing started */
	PARSE_OK(&o, "-o", path);
	assert_int_equal(access(path, F_OK), 0);
	ks_opts_release(&o);
	assert_int_equal(access(path, F_OK), -1);
	PARSE_OK(&o, "-o", path);
	assert_int_equal(ks_opts_begin_output(&o), 0);
	ks_opts_release(&o);
	assert_int_equal(access(path, F_OK), 0);

	/* symbolic links: to a regular file or to nowhere, refused; to a device, followed */
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	snprintf(msg, sizeof(msg), "cannot write output to '%s': a symbolic link to a regular "
		 "file: name the file itself", link);
	USAGE(msg, &o, "-o", link);
	unlink(path);
	snprintf(msg, sizeof(msg), "cannot write output to '%s': a symbolic link that leads "
		 "nowhere: name the file itself", link);
	USAGE(msg, &o, "-o", link);
	assert_int_equal(access(path, F_OK), -1);	/* nothing made through it */
	unlink(link);
	assert_int_equal(symlink("/dev/null", link), 0);
	PARSE_OK(&o, "-o", link);
	assert_int_equal(ks_opts_begin_output(&o), 0);
	ks_opts_release(&o);
	unlink(link);

	snprintf(msg, sizeof(msg), "cannot write output to '%s': a directory", dir);
	USAGE(msg, &o, "-o", dir);
	USAGE("cannot write output to '/nonexistent-dir/x': No such file or directory",
	      &o, "-o", "/nonexistent-dir/x");
	assert_int_equal(rmdir(dir), 0);
}

/* Options a command declares as conflicting: refused, naming both */
static void test_conflicts(void **state)
{
	static const struct ks_cli_conflict conflicts[] = {
		{ OPT_TREE, 'e', "the tree has every event" },
		{ OPT_HIST, KS_CLI_KEY_INTERVAL, "a histogram at the end only" },
		{ 'n', 'j', "no reason" },
		{ 0 }
	};
	struct ks_opts o;

	set_cli(KS_CLI_TRACE | KS_CLI_INTERVAL);
	cli.conflicts = conflicts;
	PARSE_OK(&o, "--tree");
	PARSE_OK(&o, "-e", "fork", "--hist");
	PARSE_OK(&o, "--tree", "2");
	USAGE("--tree and -e/--event cannot be combined: the tree has every event",
	      &o, "-e", "fork", "--tree");
	USAGE("--tree and -e/--event cannot be combined: the tree has every event",
	      &o, "--tree", "--event=exit");
	USAGE("--hist and an interval cannot be combined: a histogram at the end only",
	      &o, "--hist", "1", "3");
	/* the command's options and the common ones alike */
	USAGE("-n/--top and -j/--json cannot be combined: no reason", &o, "-jn", "3");
}

/* Comma lists: every item given, none empty */
static int collect_item(void *ctx, const char *item)
{
	char *acc = ctx;

	if (!strcmp(item, "stop"))
		return -ENOENT;
	strcat(acc, item);
	strcat(acc, "|");
	return 0;
}

static void test_list(void **state)
{
	char acc[256] = "";

	assert_int_equal(ks_cli_list("a,bb,c", collect_item, acc), 0);
	assert_string_equal(acc, "a|bb|c|");
	acc[0] = '\0';
	assert_int_equal(ks_cli_list("x", collect_item, acc), 0);
	assert_string_equal(acc, "x|");
	for (size_t i = 0; i < 6; i++) {
		static const char *const bad[] = { "", ",", "a,,b", ",a", "a,", ",," };

		acc[0] = '\0';
		assert_int_equal(ks_cli_list(bad[i], collect_item, acc), -EINVAL);
	}
	/* the callback's error stops the walk */
	acc[0] = '\0';
	assert_int_equal(ks_cli_list("a,stop,b", collect_item, acc), -ENOENT);
	assert_string_equal(acc, "a|");
}

/* Where cgroup v2 is mounted, or NULL */
static const char *cgroup2_mount(void)
{
	static char dir[512];
	char line[1024], dev[256], type[64];
	FILE *f = fopen("/proc/mounts", "re");
	const char *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %511s %63s", dev, dir, type) == 3 &&
		    !strcmp(type, "cgroup2"))
			found = dir;
	fclose(f);
	return found;
}

static void test_cgroup(void **state)
{
	const char *cg = cgroup2_mount();
	struct ks_opts o;

	USAGE("not a cgroup directory (v2, or a v1 controller's): /nonexistent", &o, "-c", "/nonexistent");
	USAGE("not a cgroup directory (v2, or a v1 controller's): /etc/passwd", &o, "-c", "/etc/passwd");
	USAGE("empty cgroup path (the root is '/')", &o, "-c", "");

	/* kscope's machines mount cgroup v2: its absence is a failure, not a skip */
	assert_non_null(cg);
	/* "/", "." and the mount itself are the root, as /proc/PID/cgroup writes it */
	{
		struct stat root;

		assert_int_equal(stat(cg, &root), 0);
		for (int i = 0; i < 3; i++) {
			const char *p = i == 0 ? "/" : i == 1 ? "." : cg;

			PARSE_OK(&o, "-c", p);
			assert_int_equal(o.cgroup_id, root.st_ino);
			assert_int_equal(o.cgroup_level, 0);
			ks_opts_release(&o);
		}
	}
	PARSE_OK(&o, "-c", cg);
	assert_string_equal(o.cgroup, cg);
	assert_true(o.cgroup_fd > STDERR_FILENO);
	ks_opts_release(&o);
	assert_int_equal(o.cgroup_fd, -1);

	/* given twice: the first is closed, the second kept */
	PARSE_OK(&o, "-c", cg, "--cgroup", cg);
	assert_true(o.cgroup_fd > STDERR_FILENO);
	ks_opts_release(&o);

	/* a relative path, or one as /proc/PID/cgroup shows it, is under the mount */
	{
		char rel[64], slash[80], abs[1024];
		struct stat d;

		snprintf(rel, sizeof(rel), "kscope-unit-%d", getpid());
		snprintf(slash, sizeof(slash), "/%s", rel);
		snprintf(abs, sizeof(abs), "%s/%s", cg, rel);
		assert_int_equal(mkdir(abs, 0755), 0);
		assert_int_equal(stat(abs, &d), 0);
		PARSE_OK(&o, "-c", rel);
		assert_true(o.cgroup_fd > STDERR_FILENO);
		assert_int_equal(o.cgroup_id, d.st_ino);
		assert_int_equal(o.cgroup_level, 1);
		ks_opts_release(&o);
		PARSE_OK(&o, "-c", slash);
		assert_int_equal(o.cgroup_id, d.st_ino);
		ks_opts_release(&o);
		assert_int_equal(rmdir(abs), 0);
	}
}

/* ---- --help -------------------------------------------------------------- */

static void test_help(void **state)
{
	struct ks_opts o;

	assert_int_equal(parse(&o, "--help", NULL), KS_EXIT_OK);
	assert_string_equal(err_text, "");
	assert_non_null(strstr(out_text, "usage: kscope test [options] [-- PROGRAM [ARGS]]\n\n"
				"A command for the tests.\n"));
	assert_int_equal(strncmp(out_text, "usage: ", 7), 0);
	assert_non_null(strstr(out_text, "\ntest options:\n"
				"  -e, --event LIST           only these events\n"
				"      --tree                 print a tree\n"));
	assert_non_null(strstr(out_text, "\ncommon options:\n"
				"  -p, --pid PID              only these processes"));
	assert_non_null(strstr(out_text, "  -h, --help                 show this help\n"));

	/* -h, and --help wins over later errors */
	assert_int_equal(parse(&o, "-j", "-h", "--bogus", NULL), KS_EXIT_OK);
	assert_string_equal(err_text, "");
	assert_int_equal(strncmp(out_text, "usage: kscope test [options]", 28), 0);
}

/* ---- commands without the tracing options -------------------------------- */

static void test_json_only_command(void **state)
{
	char path[] = "/tmp/kscope-test-cli-XXXXXX";
	struct ks_opts o;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	set_cli(KS_CLI_JSON);
	PARSE_OK(&o, "-j", "-v", "-o", path);
	assert_true(o.json);
	assert_int_equal(o.verbose, 1);
	assert_true(o.out_fd > STDERR_FILENO);
	ks_opts_release(&o);
	unlink(path);
	USAGE("unknown option '-p'", &o, "-p", "1");
	USAGE("unknown option '--follow'", &o, "--follow");

	set_cli(0);
	USAGE("unknown option '-j'", &o, "-j");
	PARSE_OK(&o, "--tree");
	assert_true(st.tree);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup_trace),
		cmocka_unit_test_setup(test_flags, setup_trace),
		cmocka_unit_test_setup(test_command_options, setup_trace),
		cmocka_unit_test_setup(test_optional_argument, setup_trace),
		cmocka_unit_test_setup(test_choice, setup_trace),
		cmocka_unit_test_setup(test_summary_opts, setup_trace),
		cmocka_unit_test_setup(test_pids, setup_trace),
		cmocka_unit_test_setup(test_pids_limit, setup_trace),
		cmocka_unit_test_setup(test_pid_is_thread, setup_trace),
		cmocka_unit_test_setup(test_conflicts, setup_trace),
		cmocka_unit_test_setup(test_list, setup_trace),
		cmocka_unit_test_setup(test_follow, setup_trace),
		cmocka_unit_test_setup(test_duration, setup_trace),
		cmocka_unit_test_setup(test_uid, setup_trace),
		cmocka_unit_test_setup(test_comm, setup_trace),
		cmocka_unit_test_setup(test_no_hook, setup_trace),
		cmocka_unit_test_setup(test_ringbuf_and_flush, setup_trace),
		cmocka_unit_test_setup(test_btf, setup_trace),
		cmocka_unit_test_setup(test_unknown_and_missing, setup_trace),
		cmocka_unit_test_setup(test_positional, setup_trace),
		cmocka_unit_test_setup(test_program, setup_trace),
		cmocka_unit_test_setup(test_output, setup_trace),
		cmocka_unit_test_setup(test_cgroup, setup_trace),
		cmocka_unit_test_setup(test_help, setup_trace),
		cmocka_unit_test_setup(test_json_only_command, setup_trace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "../kscope.h"
#include "btf_scan.h"
#include "cli.h"
#include "plan.h"
#include "trace.h"
#include "util.h"

enum {
	OPT_FOLLOW = 0x100,
	OPT_COMM,
	OPT_BTF,
	OPT_NO_HOOK,
	OPT_NO_PRECHECK,
	OPT_RINGBUF_KB,
	OPT_FLUSH_MS,
	OPT_NO_TASK_STORAGE,
};

static const struct ks_cli_opt trace_opts[] = {
	{ "pid", 'p', "PID", "only these processes (comma list; threads included)" },
	{ "follow", OPT_FOLLOW, NULL, "with -p: also the processes they start from now on" },
	{ "cgroup", 'c', "PATH", "only tasks in this cgroup directory or below it: cgroup v2 (absolute, or relative to the cgroup2 mount) or a v1 controller's (absolute: its tasks' cgroup there)" },
	{ "uid", 'u', "UID", "only tasks of this user (number or name)" },
	{ "comm", OPT_COMM, "NAME", "only tasks whose command name (comm) is NAME" },
	{ "duration", 'd', "SECONDS", "stop after SECONDS" },
	{ "json", 'j', NULL, "NDJSON output, one object per line (docs/json.md)" },
	{ "output", 'o', "FILE", "write output to FILE instead of stdout" },
	{ "timestamp", 'T', NULL, "wall-clock timestamps" },
	{ "container-column", 'C', NULL, "each event's container, and each --by cgroup row's: its "
	  "id and runtime, from the cgroup's path (docs/json.md)" },
	{ "verbose", 'v', NULL, "libbpf messages and the hook each probe uses" },
	{ "btf", OPT_BTF, "FILE", "kernel BTF for kernels without /sys/kernel/btf/vmlinux" },
	{ "no-hook", OPT_NO_HOOK, "LIST", "never use these hook types: fentry,kprobe,tp_btf,raw_tp,tracepoint,lsm" },
	{ "no-precheck", OPT_NO_PRECHECK, NULL, "do not test hooks first: load the preferred ones, fall back on failure" },
	{ "ringbuf-kb", OPT_RINGBUF_KB, "KB", "ring buffer size, a power of two (default 4096)" },
	{ "flush-ms", OPT_FLUSH_MS, "MS", "longest time an event waits in the ring buffer (default 100)" },
	{ "no-task-storage", OPT_NO_TASK_STORAGE, NULL,
	  "keep per-task state (calls in flight) in a hash map, as on kernels before 5.11" },
	{ 0 }
};

static const struct ks_cli_opt json_opts[] = {
	{ "json", 'j', NULL, "JSON output" },
	{ "output", 'o', "FILE", "write output to FILE instead of stdout" },
	{ "verbose", 'v', NULL, "more detail" },
	{ 0 }
};

static const struct ks_cli_opt help_opt[] = {
	{ "help", 'h', NULL, "show this help" },
	{ 0 }
};

void ks_cli_error(const struct ks_cli *cli, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ks_errorf("kscope %s: %s (see 'kscope %s --help')", cli->cmd, msg, cli->cmd);
}

static bool cmd_has(const struct ks_cli *cli, const struct ks_cli_opt *common);

/* A table of options (with `cmd`: but those it defines itself) */
static void print_opts(const struct ks_cli_opt *opts, const struct ks_cli *cmd)
{
	for (; opts && opts->name; opts++) {
		char left[64];
		int n = 0;

		if (cmd_has(cmd, opts))
			continue;
		if (opts->key < 0x100)
			n = snprintf(left, sizeof(left), "-%c, ", opts->key);
		else
			n = snprintf(left, sizeof(left), "    ");
		snprintf(left + n, sizeof(left) - n, "--%s%s%s", opts->name,
			 opts->arg ? " " : "", opts->arg ? opts->arg : "");
		printf("  %-26s %s\n", left, opts->help);
	}
}

void ks_cli_usage(const struct ks_cli *cli)
{
	printf("usage: kscope %s [options]%s%s\n\n%s\n", cli->cmd,
	       cli->flags & KS_CLI_INTERVAL ? " [interval [count]]" : "",
	       cli->flags & KS_CLI_PROGRAM ? " [-- PROGRAM [ARGS]]" : "",
	       cli->summary);
	if (cli->details)
		printf("\n%s\n", cli->details);
	if (cli->opts && cli->opts->name) {
		printf("\n%s options:\n", cli->cmd);
		print_opts(cli->opts, NULL);
	}
	if (cli->flags & KS_CLI_TRACE) {
		printf("\ncommon options:\n");
		print_opts(trace_opts, cli);
	} else if (cli->flags & KS_CLI_JSON) {
		printf("\noptions:\n");
		print_opts(json_opts, cli);
	}
	print_opts(help_opt, NULL);
	if (cli->flags & KS_CLI_PROGRAM)
		printf("  %-26s %s\n", "-- PROGRAM [ARGS]",
		       "run PROGRAM, trace it and its descendants, exit with its status");
	if (cli->examples)
		printf("\nexamples:\n%s", cli->examples);
}

/* Does the command's option KEY take an optional argument ("[NAME]")? */
static const struct ks_cli_opt *cmd_opt(const struct ks_cli *cli, int key)
{
	for (const struct ks_cli_opt *p = cli->opts; p && p->name; p++)
		if (p->key == key)
			return p;
	return NULL;
}

static bool optional_arg(const struct ks_cli *cli, int key)
{
	const struct ks_cli_opt *p = cmd_opt(cli, key);

	return p && p->arg && p->arg[0] == '[';
}

/* A command's option: a flag that sets its bool (KS_CLI_SET), or its parse */
static int parse_cmd(const struct ks_cli *cli, int key, const char *arg)
{
	const struct ks_cli_opt *p = cmd_opt(cli, key);

	char *st = cli->state;

	if (p && p->set && st) {
		*(bool *)(st + p->set - 1) = true;
		return 0;
	}
	if (cli->sort_keys && st && (key == 's' || key == 'n'))
		return ks_cli_summary_opt(cli, key, arg, cli->sort_keys, (int *)(st + cli->sort - 1),
					  (unsigned *)(st + cli->rows - 1));
	return cli->parse ? cli->parse(st, key, arg) : -1;
}

/* Does the command define an option of this letter or long name? */
static bool cmd_has(const struct ks_cli *cli, const struct ks_cli_opt *common)
{
	for (const struct ks_cli_opt *p = cli ? cli->opts : NULL; p && p->name; p++)
		if (p->key == common->key || !strcmp(p->name, common->name))
			return true;
	return false;
}

/*
 * Append a table of options to getopt's long options and short string;
 * with `cmd`, those it defines itself are left out (its own win: top's -d)
 */
static int add_opts(const struct ks_cli_opt *src, const struct ks_cli *cmd, struct option *lo,
		    int *nlo, char *so, int *nso, int max)
{
	for (; src && src->name; src++) {
		if (cmd_has(cmd, src))
			continue;
		if (*nlo >= max - 1)
			return -E2BIG;
		lo[*nlo] = (struct option){ src->name,
					    !src->arg ? no_argument :
					    src->arg[0] == '[' ? optional_argument : required_argument,
					    NULL, src->key };
		(*nlo)++;
		if (src->key < 0x100) {
			so[(*nso)++] = src->key;
			if (src->arg)
				so[(*nso)++] = ':';
			if (src->arg && src->arg[0] == '[')
				so[(*nso)++] = ':';
		}
	}
	return 0;
}

int ks_cli_list(const char *arg, int (*fn)(void *ctx, const char *item), void *ctx)
{
	char item[256];

	if (!*arg)
		return -EINVAL;
	for (const char *p = arg;; p++) {
		size_t n = strcspn(p, ",");
		int err;

		if (!n || n >= sizeof(item))
			return -EINVAL;
		memcpy(item, p, n);
		item[n] = '\0';
		err = fn(ctx, item);
		if (err)
			return err;
		p += n;
		if (!*p)
			return 0;
	}
}

/* The process a task id belongs to (its Tgid), or 0 if /proc cannot tell */
static uint32_t tgid_of(uint32_t tid)
{
	uint64_t tgid;

	return ks_proc_status(tid, "Tgid", &tgid) ? tgid : 0;
}

struct pid_list {
	const struct ks_cli *cli;
	struct ks_opts *o;
};

static int add_pid(void *ctx, const char *tok)
{
	struct pid_list *l = ctx;
	uint64_t pid;
	uint32_t tgid;

	if (ks_parse_u64(tok, 1, INT32_MAX, &pid)) {
		ks_cli_error(l->cli, "invalid pid '%s'", tok);
		return -1;
	}
	if (kill(pid, 0) && errno == ESRCH) {
		ks_cli_error(l->cli, "no such process: %s", tok);
		return -1;
	}
	/*
	 * A thread id also answers kill(): but the filter is by process, and a
	 * thread id would match nothing. Say which process it belongs to.
	 */
	tgid = tgid_of(pid);
	if (tgid && tgid != pid) {
		char comm[KS_COMM_LEN] = "?";

		ks_proc_comm(tgid, comm);
		ks_cli_error(l->cli, "%s is a thread of process %u (%s), not a process: "
			     "-p takes process ids (-p %u: all of its threads)", tok, tgid, comm,
			     tgid);
		return -1;
	}
	if (l->o->npids >= KS_MAX_PIDS) {
		ks_cli_error(l->cli, "too many pids (at most %d)", KS_MAX_PIDS);
		return -1;
	}
	l->o->pids[l->o->npids++] = pid;
	return 0;
}

static int parse_pids(const struct ks_cli *cli, const char *arg, struct ks_opts *o)
{
	struct pid_list l = { cli, o };
	int err = ks_cli_list(arg, add_pid, &l);

	if (err == -EINVAL)
		ks_cli_error(cli, "invalid pid list '%s' (PID[,PID...])", arg);
	return err ? -1 : 0;
}

/* Depth of an open cgroup directory below the cgroup2 mount (root: 0) */
static int cgroup_level(int fd)
{
	const char *root = ks_cgroup2_root();
	char link[64], path[4096];
	ssize_t n;
	int level = 0;
	size_t rl;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0 || !root)
		return -ENOENT;
	path[n] = '\0';
	rl = strlen(root);
	if (strncmp(path, root, rl) || (path[rl] && path[rl] != '/'))
		return -ENOENT;
	for (const char *p = path + rl; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			level++;
	return level;
}

/*
 * Depth of an open cgroup v1 directory below its hierarchy's mount point,
 * and in *ssid1 the subsystem id + 1 of a controller of that hierarchy (the
 * first in /proc/cgroups, which lists them by id); -errno if none
 */
static int cgroup_v1_level(int fd, unsigned *ssid1)
{
	char link[64], path[4096], dev[64], dir[256], type[64], opts[512], best[520] = "";
	char name[64], line[256];
	size_t best_len = 0;
	int level = 0, id = 0;
	ssize_t n;
	FILE *f;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return -ENOENT;
	path[n] = '\0';
	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return -ENOENT;
	while (fscanf(f, "%63s %255s %63s %511s %*[^\n]", dev, dir, type, opts) == 4) {
		size_t dl = strlen(dir);

		if (!strcmp(type, "cgroup") && dl > best_len && !strncmp(path, dir, dl) &&
		    (!path[dl] || path[dl] == '/')) {
			best_len = dl;
			snprintf(best, sizeof(best), ",%s,", opts);
		}
	}
	fclose(f);
	if (!best_len)
		return -ENOENT;
	for (const char *p = path + best_len; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			level++;
	*ssid1 = 0;
	f = fopen("/proc/cgroups", "re");
	if (!f)
		return -ENOENT;
	while (!*ssid1 && fgets(line, sizeof(line), f)) {
		char want[72];

		if (line[0] == '#' || sscanf(line, "%63s", name) != 1)
			continue;
		snprintf(want, sizeof(want), ",%s,", name);
		if (strstr(best, want))
			*ssid1 = id + 1;
		id++;
	}
	fclose(f);
	return *ssid1 && *ssid1 <= 16 ? level : -ENOENT;
}

/*
 * path, if it is a cgroup directory (v2, or of a v1 hierarchy with a
 * controller): its fd (level, id, and the v1 subsystem in o), or -errno
 */
static int open_cgroup_dir(const char *path, struct ks_opts *o)
{
	unsigned ssid1 = 0;
	struct statfs fs;
	struct stat st;
	int fd, level = -1;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!fstatfs(fd, &fs) && !fstat(fd, &st)) {
		if (fs.f_type == CGROUP2_SUPER_MAGIC)
			level = cgroup_level(fd);
		else if (fs.f_type == CGROUP_SUPER_MAGIC)
			level = cgroup_v1_level(fd, &ssid1);
	}
	if (level < 0) {
		close(fd);
		return -ENOTDIR;
	}
	o->cgroup_id = st.st_ino;	/* a cgroup's id is its kernfs inode number */
	o->cgroup_level = level;
	o->cgroup_ssid1 = ssid1;
	return fd;
}

/*
 * A cgroup v2 directory as given; else the same path below the cgroup2
 * mount, which is how /proc/PID/cgroup names cgroups ("/user.slice/x",
 * "system.slice/y"; "/" or "." is the root).
 */
static int open_cgroup(const char *path, struct ks_opts *o)
{
	const char *root = ks_cgroup2_root();
	char buf[4096];
	int fd;

	if (!path[0])
		return -EINVAL;
	fd = open_cgroup_dir(path, o);
	if (fd >= 0 || !root)
		return fd;
	if (snprintf(buf, sizeof(buf), "%s/%s", root, path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	return open_cgroup_dir(buf, o);
}

static int parse_common(const struct ks_cli *cli, int key, const char *arg, struct ks_opts *o)
{
	uint64_t v;
	int err;

	switch (key) {
	case 'p':
		return parse_pids(cli, arg, o);
	case OPT_FOLLOW:
		o->follow = true;
		return 0;
	case 'c':
		if (o->cgroup_fd >= 0)
			close(o->cgroup_fd);
		o->cgroup = arg;
		o->cgroup_fd = open_cgroup(arg, o);
		if (o->cgroup_fd < 0) {
			if (o->cgroup_fd == -EINVAL)
				ks_cli_error(cli, "empty cgroup path (the root is '/')");
			else
				ks_cli_error(cli, "not a cgroup directory (v2, or a v1 controller's): %s",
					     arg);
			return -1;
		}
		return 0;
	case 'u':
		err = ks_parse_uid(arg, &o->uid);
		if (err) {
			ks_cli_error(cli, err == -ENOENT ? "no such user '%s'" : "invalid uid '%s'", arg);
			return -1;
		}
		o->uid_set = true;
		return 0;
	case OPT_COMM:
		if (!*arg) {
			ks_cli_error(cli, "empty --comm");
			return -1;
		}
		/* the kernel keeps 15 bytes of a name: a longer one would match nothing */
		if (strlen(arg) > KS_COMM_LEN - 1) {
			ks_cli_error(cli, "--comm '%s' is %zu bytes long: the kernel keeps the first "
				     "%d of a command name ('%.*s')", arg, strlen(arg), KS_COMM_LEN - 1,
				     KS_COMM_LEN - 1, arg);
			return -1;
		}
		o->comm = arg;
		return 0;
	case 'd':
		if (ks_parse_seconds(arg, &o->duration_s)) {
			ks_cli_error(cli, "invalid duration '%s' (seconds, more than 0 and at most %.0f)",
				     arg, KS_SECONDS_MAX);
			return -1;
		}
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case 'T':
		o->wallclock = true;
		return 0;
	case 'C':
		o->container = true;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case OPT_BTF: {
		const char *why;

		/* libbpf would take any file and fail later, blaming every program */
		err = ks_btf_check_file(arg, &why);
		if (err) {
			ks_cli_error(cli, "--btf '%s' is not usable BTF: %s", arg,
				     why ? why : err == -EISDIR ? "a directory" : strerror(-err));
			return -1;
		}
		o->btf_path = arg;
		return 0;
	}
	case OPT_NO_HOOK:
		if (ks_hook_families_parse(arg, &o->no_hook)) {
			ks_cli_error(cli, "invalid --no-hook '%s' (fentry,kprobe,tp_btf,raw_tp,tracepoint,lsm)", arg);
			return -1;
		}
		return 0;
	case OPT_NO_PRECHECK:
		o->no_precheck = true;
		return 0;
	case OPT_NO_TASK_STORAGE:
		o->no_task_storage = true;
		return 0;
	case OPT_RINGBUF_KB:
		if (ks_parse_u64(arg, 4, 1 << 20, &v) || (v & (v - 1))) {
			ks_cli_error(cli, "invalid --ringbuf-kb '%s' (a power of two, 4..1048576)", arg);
			return -1;
		}
		o->ringbuf_kb = v;
		return 0;
	case OPT_FLUSH_MS:
		if (ks_parse_u64(arg, 1, 10000, &v)) {
			ks_cli_error(cli, "invalid --flush-ms '%s' (1..10000)", arg);
			return -1;
		}
		o->flush_ms = v;
		return 0;
	}
	return 1;	/* not a common option */
}

static int parse_positional(const struct ks_cli *cli, int argc, char **argv, struct ks_opts *o)
{
	int n = argc - optind;

	if (n > 0 && !(cli->flags & KS_CLI_INTERVAL)) {
		ks_cli_error(cli, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (n > 2) {
		ks_cli_error(cli, "unexpected argument '%s'", argv[optind + 2]);
		return -1;
	}
	if (n >= 1 && ks_parse_seconds(argv[optind], &o->interval_s)) {
		ks_cli_error(cli, "invalid interval '%s' (seconds, more than 0 and at most %.0f)",
			     argv[optind], KS_SECONDS_MAX);
		return -1;
	}
	if (n == 2 && ks_parse_u64(argv[optind + 1], 1, UINT32_MAX, &o->count)) {
		ks_cli_error(cli, "invalid count '%s' (an integer >= 1)", argv[optind + 1]);
		return -1;
	}
	return 0;
}

static int finish_opts(const struct ks_cli *cli, struct ks_opts *o)
{
	if (o->program && o->npids) {
		ks_cli_error(cli, "-p and -- PROGRAM cannot be combined");
		return -1;
	}
	if (o->follow && !o->npids && !o->program) {
		ks_cli_error(cli, "--follow needs -p PID");
		return -1;
	}
	if (o->program)
		o->follow = true;
	if (o->output) {
		const char *why;
		int err = ks_outfile_open(&o->outfile, o->output, &why);

		if (err) {
			ks_cli_error(cli, "cannot write output to '%s': %s", o->output,
				     why ? why : strerror(-err));
			return -1;
		}
		o->out_fd = o->outfile.fd;
	}
	return 0;
}

int ks_opts_begin_output(struct ks_opts *o)
{
	int err = ks_outfile_begin(&o->outfile);

	if (err)
		ks_errorf("kscope: cannot empty output file '%s': %s", o->output, strerror(-err));
	return err;
}

/* How an option is named in a message: "-x/--failed", "--slow", "an interval" */
static void opt_name(const struct ks_cli *cli, int key, char *buf, size_t cap)
{
	const struct ks_cli_opt *tables[] = { cli->opts, trace_opts, json_opts };

	snprintf(buf, cap, key == KS_CLI_KEY_INTERVAL ? "an interval" : "?");
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		for (const struct ks_cli_opt *p = tables[t]; p && p->name; p++) {
			if (p->key != key)
				continue;
			if (key < 0x100)
				snprintf(buf, cap, "-%c/--%s", key, p->name);
			else
				snprintf(buf, cap, "--%s", p->name);
			return;
		}
}

static bool key_seen(const int *seen, int nseen, int key)
{
	for (int i = 0; i < nseen; i++)
		if (seen[i] == key)
			return true;
	return false;
}

static int check_conflicts(const struct ks_cli *cli, const int *seen, int nseen)
{
	for (const struct ks_cli_conflict *c = cli->conflicts; c && c->a; c++) {
		char a[64], b[64];

		if (!key_seen(seen, nseen, c->a) || !key_seen(seen, nseen, c->b))
			continue;
		opt_name(cli, c->a, a, sizeof(a));
		opt_name(cli, c->b, b, sizeof(b));
		ks_cli_error(cli, "%s and %s cannot be combined: %s", a, b, c->why);
		return -1;
	}
	return 0;
}

int ks_cli_parse(const struct ks_cli *cli, int argc, char **argv, struct ks_opts *o)
{
	struct option lo[64];
	char so[128] = ":";	/* report a missing argument as ':' */
	int nlo = 0, nso = 1, key, dd, seen[64], nseen = 0;

	memset(o, 0, sizeof(*o));
	o->cgroup_fd = -1;
	o->outfile.fd = -1;
	o->out_fd = STDOUT_FILENO;
	o->ringbuf_kb = 4096;
	o->flush_ms = 100;

	/* "-- PROGRAM ARGS" is cut off first so getopt never sees its options */
	for (dd = 1; dd < argc; dd++)
		if (!strcmp(argv[dd], "--"))
			break;
	if (dd < argc) {
		if (!(cli->flags & KS_CLI_PROGRAM)) {
			ks_cli_error(cli, "does not run a PROGRAM after '--'");
			return KS_EXIT_USAGE;
		}
		if (dd + 1 >= argc) {
			ks_cli_error(cli, "missing PROGRAM after '--'");
			return KS_EXIT_USAGE;
		}
		o->program = argv + dd + 1;
	}

	add_opts(cli->opts, NULL, lo, &nlo, so, &nso, ARRAY_SIZE(lo));
	if (cli->flags & KS_CLI_TRACE)
		add_opts(trace_opts, cli, lo, &nlo, so, &nso, ARRAY_SIZE(lo));
	else if (cli->flags & KS_CLI_JSON)
		add_opts(json_opts, cli, lo, &nlo, so, &nso, ARRAY_SIZE(lo));
	add_opts(help_opt, NULL, lo, &nlo, so, &nso, ARRAY_SIZE(lo));
	lo[nlo] = (struct option){ 0 };
	so[nso] = '\0';

	optind = 0;	/* full reset of GNU getopt */
	opterr = 0;
	while ((key = getopt_long(dd, argv, so, lo, NULL)) != -1) {
		const char *bad = argv[optind - 1];
		int err;

		if (key == 'h') {
			ks_cli_usage(cli);
			ks_opts_release(o);
			return KS_EXIT_OK;
		}
		if (key == '?' || key == ':') {
			if (optopt && optopt < 0x100 && strncmp(bad, "--", 2))
				ks_cli_error(cli, key == ':' ? "option '-%c' needs an argument"
							   : "unknown option '-%c'", optopt);
			else
				ks_cli_error(cli, key == ':' ? "option '%s' needs an argument"
							   : "unknown option '%s'", bad);
			ks_opts_release(o);
			return KS_EXIT_USAGE;
		}
		/*
		 * An optional argument ("--hist [SYSCALL]") may also be the next
		 * word, unless that is an option or a number ([interval [count]]).
		 */
		if (!optarg && optind < dd && optional_arg(cli, key) &&
		    argv[optind][0] != '-' && !isdigit((unsigned char)argv[optind][0]))
			optarg = argv[optind++];
		if (nseen < (int)ARRAY_SIZE(seen) && !key_seen(seen, nseen, key))
			seen[nseen++] = key;
		err = (cli->flags & (KS_CLI_TRACE | KS_CLI_JSON)) && !cmd_opt(cli, key) ?
		      parse_common(cli, key, optarg, o) : 1;
		if (err > 0)
			err = parse_cmd(cli, key, optarg);
		if (err) {
			ks_opts_release(o);
			return KS_EXIT_USAGE;
		}
	}
	if (parse_positional(cli, dd, argv, o)) {
		ks_opts_release(o);
		return KS_EXIT_USAGE;
	}
	if (o->interval_s > 0 && nseen < (int)ARRAY_SIZE(seen))
		seen[nseen++] = KS_CLI_KEY_INTERVAL;
	if (check_conflicts(cli, seen, nseen) || finish_opts(cli, o)) {
		ks_opts_release(o);
		return KS_EXIT_USAGE;
	}
	return KS_CLI_CONTINUE;
}

int ks_command_run(struct ks_cli *cli, const struct ks_tracer *t, void *state,
		   int argc, char **argv)
{
	struct ks_opts opts;
	int rc;

	cli->state = state;
	rc = ks_cli_parse(cli, argc, argv, &opts);
	if (rc != KS_CLI_CONTINUE)
		return rc;
	rc = cli->setup ? cli->setup(state, &opts) : 0;
	if (rc)
		ks_opts_release(&opts);
	else
		rc = ks_trace_run(t, &opts, state);	/* releases the options */
	return cli->teardown ? cli->teardown(state, rc) : rc;
}

int ks_part_init(struct ks_part *p, struct ks_cli *cli, const struct ks_tracer *t, void *state,
		 const struct ks_opts *base, int argc, char **argv)
{
	struct ks_opts *o = &p->opts;
	int rc;

	*p = (struct ks_part){ .cli = cli, .t = t, .state = state };
	cli->state = state;
	rc = ks_cli_parse(cli, argc, argv, o);
	if (rc != KS_CLI_CONTINUE)
		goto fail;
	if (base) {
		/*
		 * The common options are the caller's (argv holds the part's
		 * own only); its output and its -c descriptor are its own
		 */
		struct ks_opts mine = *o;

		*o = *base;
		o->output = mine.output;
		o->outfile = mine.outfile;
		o->out_fd = mine.out_fd;
		o->json = mine.json;
		o->container = mine.container;
		o->sink = NULL;
		o->sink_priv = NULL;
		if (base->cgroup_fd >= 0) {
			o->cgroup_fd = fcntl(base->cgroup_fd, F_DUPFD_CLOEXEC, 0);
			if (o->cgroup_fd < 0) {
				fprintf(stderr, "kscope: %s: %s\n", base->cgroup, strerror(errno));
				rc = KS_EXIT_FAIL;
				goto fail;
			}
		}
	}
	rc = cli->setup ? cli->setup(state, o) : 0;
	if (rc) {
		ks_opts_release(o);
		goto fail;
	}
	p->set_up = true;
	return 0;
fail:
	free(state);
	p->state = NULL;
	return rc;
}

int ks_part_start(struct ks_part *p, const struct ks_part_spec *spec, const struct ks_opts *base,
		  const struct ks_sink_ops *sink, void *priv, int out_fd,
		  struct ks_session_tracer *tr)
{
	char *argv[16];	/* getopt permutes it: a copy */
	int argc = 0, rc;

	while (spec->argv[argc] && argc < 15) {
		argv[argc] = (char *)spec->argv[argc];
		argc++;
	}
	argv[argc] = NULL;
	rc = spec->part(p, base, argc, argv);
	if (rc)
		return rc;
	if (spec->ringbuf_kb && p->opts.ringbuf_kb > spec->ringbuf_kb)
		p->opts.ringbuf_kb = spec->ringbuf_kb;
	p->opts.out_fd = out_fd;
	p->opts.json = true;
	p->opts.sink = sink;
	p->opts.sink_priv = priv;
	*tr = (struct ks_session_tracer){ p->t, &p->opts, p->state };
	return 0;
}

int ks_part_free(struct ks_part *p, int rc)
{
	if (p->set_up && p->cli->teardown)
		rc = p->cli->teardown(p->state, rc);
	free(p->state);
	p->state = NULL;
	p->set_up = false;
	return rc;
}

void ks_opts_release(struct ks_opts *o)
{
	if (o->cgroup_fd >= 0)
		close(o->cgroup_fd);
	o->cgroup_fd = -1;
	ks_outfile_close(&o->outfile);
	o->out_fd = STDOUT_FILENO;
}

int ks_cli_choice(const char *arg, const char *const names[])
{
	for (int i = 0; arg && names[i]; i++)
		if (!strcmp(arg, names[i]))
			return i;
	return -1;
}

static const char *opt_long_name(const struct ks_cli *cli, int key)
{
	for (const struct ks_cli_opt *p = cli->opts; p && p->name; p++)
		if (p->key == key)
			return p->name;
	return "?";
}

int ks_cli_summary_opt(const struct ks_cli *cli, int key, const char *arg,
		       const char *const sort_keys[], int *sort, unsigned *rows)
{
	uint64_t v;
	int k;

	switch (key) {
	case 's':
		k = ks_cli_choice(arg, sort_keys);
		if (k < 0)
			break;
		*sort = k;
		return 0;
	case 'n':
		if (ks_parse_u64(arg, 1, 1000000, &v))
			break;
		*rows = v;
		return 0;
	default:
		return 1;
	}
	ks_cli_error(cli, "invalid value '%s' for --%s", arg, opt_long_name(cli, key));
	return -1;
}

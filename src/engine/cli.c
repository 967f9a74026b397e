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
	{ "cgroup", 'c', "PATH", "only tasks in this cgroup v2 directory or below it (absolute, or relative to the cgroup2 mount)" },
	{ "uid", 'u', "UID", "only tasks of this user (number or name)" },
	{ "comm", OPT_COMM, "NAME", "only tasks whose command name (comm) is NAME" },
	{ "duration", 'd', "SECONDS", "stop after SECONDS" },
	{ "json", 'j', NULL, "NDJSON output, one object per line (docs/json.md)" },
	{ "output", 'o', "FILE", "write output to FILE instead of stdout" },
	{ "timestamp", 'T', NULL, "wall-clock timestamps" },
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
	va_list ap;

	fprintf(stderr, "kscope %s: ", cli->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'kscope %s --help')\n", cli->cmd);
}

static void print_opts(const struct ks_cli_opt *opts)
{
	for (; opts && opts->name; opts++) {
		char left[64];
		int n = 0;

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
		print_opts(cli->opts);
	}
	if (cli->flags & KS_CLI_TRACE) {
		printf("\ncommon options:\n");
		print_opts(trace_opts);
	} else if (cli->flags & KS_CLI_JSON) {
		printf("\noptions:\n");
		print_opts(json_opts);
	}
	print_opts(help_opt);
	if (cli->flags & KS_CLI_PROGRAM)
		printf("  %-26s %s\n", "-- PROGRAM [ARGS]",
		       "run PROGRAM, trace it and its descendants, exit with its status");
	if (cli->examples)
		printf("\nexamples:\n%s", cli->examples);
}

/* Does the command's option KEY take an optional argument ("[NAME]")? */
static bool optional_arg(const struct ks_cli *cli, int key)
{
	for (const struct ks_cli_opt *p = cli->opts; p && p->name; p++)
		if (p->key == key)
			return p->arg && p->arg[0] == '[';
	return false;
}

/* Append a table of options to getopt's long options and short string */
static int add_opts(const struct ks_cli_opt *src, struct option *lo, int *nlo,
		    char *so, int *nso, int max)
{
	for (; src && src->name; src++) {
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

static int parse_pids(const struct ks_cli *cli, const char *arg, struct ks_opts *o)
{
	char *list = strdup(arg), *save = NULL, *tok;
	int err = 0;

	if (!list)
		return -1;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t pid;

		if (ks_parse_u64(tok, 1, INT32_MAX, &pid)) {
			ks_cli_error(cli, "invalid pid '%s'", tok);
			err = -1;
			break;
		}
		if (kill(pid, 0) && errno == ESRCH) {
			ks_cli_error(cli, "no such process: %s", tok);
			err = -1;
			break;
		}
		if (o->npids >= KS_MAX_PIDS) {
			ks_cli_error(cli, "too many pids (at most %d)", KS_MAX_PIDS);
			err = -1;
			break;
		}
		o->pids[o->npids++] = pid;
	}
	if (!err && !o->npids) {
		ks_cli_error(cli, "invalid pid '%s'", arg);
		err = -1;
	}
	free(list);
	return err;
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

static int open_cgroup(const char *path, struct ks_opts *o)
{
	struct statfs fs;
	struct stat st;
	char buf[4096];
	int fd, level;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && path[0] != '/' && ks_cgroup2_root()) {
		/* "system.slice/foo.service": relative to the cgroup v2 mount */
		snprintf(buf, sizeof(buf), "%s/%s", ks_cgroup2_root(), path);
		fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	level = cgroup_level(fd);
	if (fstatfs(fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC || fstat(fd, &st) || level < 0) {
		close(fd);
		return -ENOTDIR;
	}
	o->cgroup_id = st.st_ino;	/* a cgroup's id is its kernfs inode number */
	o->cgroup_level = level;
	return fd;
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
			ks_cli_error(cli, "not a cgroup v2 directory: %s", arg);
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
		o->comm = arg;
		return 0;
	case 'd':
		if (ks_parse_seconds(arg, &o->duration_s)) {
			ks_cli_error(cli, "invalid duration '%s' (seconds, > 0)", arg);
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
		ks_cli_error(cli, "invalid interval '%s' (seconds, > 0)", argv[optind]);
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
		o->out_fd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (o->out_fd < 0) {
			ks_cli_error(cli, "cannot open output '%s': %s", o->output, strerror(errno));
			o->out_fd = STDOUT_FILENO;
			return -1;
		}
	}
	return 0;
}

int ks_cli_parse(const struct ks_cli *cli, int argc, char **argv, struct ks_opts *o)
{
	struct option lo[64];
	char so[128] = ":";	/* report a missing argument as ':' */
	int nlo = 0, nso = 1, key, dd;

	memset(o, 0, sizeof(*o));
	o->cgroup_fd = -1;
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

	add_opts(cli->opts, lo, &nlo, so, &nso, ARRAY_SIZE(lo));
	if (cli->flags & KS_CLI_TRACE)
		add_opts(trace_opts, lo, &nlo, so, &nso, ARRAY_SIZE(lo));
	else if (cli->flags & KS_CLI_JSON)
		add_opts(json_opts, lo, &nlo, so, &nso, ARRAY_SIZE(lo));
	add_opts(help_opt, lo, &nlo, so, &nso, ARRAY_SIZE(lo));
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
		err = (cli->flags & (KS_CLI_TRACE | KS_CLI_JSON)) ? parse_common(cli, key, optarg, o) : 1;
		if (err > 0)
			err = cli->parse ? cli->parse(cli->state, key, optarg) : -1;
		if (err) {
			ks_opts_release(o);
			return KS_EXIT_USAGE;
		}
	}
	if (parse_positional(cli, dd, argv, o) || finish_opts(cli, o)) {
		ks_opts_release(o);
		return KS_EXIT_USAGE;
	}
	return KS_CLI_CONTINUE;
}

void ks_opts_release(struct ks_opts *o)
{
	if (o->cgroup_fd >= 0)
		close(o->cgroup_fd);
	o->cgroup_fd = -1;
	if (o->out_fd > STDERR_FILENO)
		close(o->out_fd);
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

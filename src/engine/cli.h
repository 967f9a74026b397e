/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line parsing shared by every command: the common tracing options
 * are declared and validated here once; a command adds only its own.
 */
#ifndef KSCOPE_CLI_H
#define KSCOPE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "out.h"

#define KS_MAX_PIDS 64

struct ks_opts {
	uint32_t pids[KS_MAX_PIDS];    /* -p */
	int npids;
	bool follow;                   /* --follow, or implied by -- PROGRAM */
	const char *cgroup;            /* -c, as given */
	int cgroup_fd;                 /* -1 if none */
	uint64_t cgroup_id;            /* its id (inode number) */
	uint32_t cgroup_level;         /* its depth below its hierarchy's root */
	unsigned cgroup_ssid1;         /* 0: a v2 cgroup; else a v1 one: its subsystem's id + 1 */
	bool uid_set;
	uint32_t uid;                  /* -u */
	const char *comm;              /* --comm */
	double duration_s;             /* -d, 0 = until interrupted */
	bool json;                     /* -j */
	const char *output;            /* -o */
	struct ks_outfile outfile;     /* -o FILE: opened when parsed, begun at tracing */
	int out_fd;                    /* stdout or the -o file */
	bool wallclock;                /* -T */
	bool container;                /* -C: each event's container */
	int verbose;                   /* -v */
	const char *btf_path;          /* --btf */
	unsigned no_hook;              /* --no-hook: KS_FAM_* mask */
	bool no_precheck;              /* --no-precheck: rely on load/attach fallback only */
	bool no_task_storage;          /* --no-task-storage: per-task state in LRU hashes */
	uint32_t ringbuf_kb;           /* --ringbuf-kb */
	uint32_t flush_ms;             /* --flush-ms */
	double interval_s;             /* [interval [count]] */
	uint64_t count;
	char **program;                /* -- PROGRAM [ARGS] */
	/* not options: where tables go instead (struct ks_out's sink), for a ks_part */
	const struct ks_sink_ops *sink;
	void *sink_priv;
};

/* One option of a command: getopt's struct plus its help text */
struct ks_cli_opt {
	const char *name;       /* long name */
	int key;                /* short letter, or a value >= 0x100 for long-only */
	const char *arg;        /* argument name, NULL if it takes none */
	const char *help;
	/*
	 * KS_CLI_SET(type, member): a flag that sets a bool of the command's
	 * state and is done (parse is not called for it); 0: parse decides
	 */
	size_t set;
};

#define KS_CLI_SET(type, member) (offsetof(type, member) + 1)

#define KS_CLI_TRACE    (1u << 0)   /* the common tracing options */
#define KS_CLI_INTERVAL (1u << 1)   /* positional [interval [count]] */
#define KS_CLI_PROGRAM  (1u << 2)   /* -- PROGRAM [ARGS] */
#define KS_CLI_JSON     (1u << 3)   /* -j/-o only (non-tracing commands) */

/* The key that stands for the positional [interval] in a conflict */
#define KS_CLI_KEY_INTERVAL 0x1ff

/*
 * Two options that make no sense together (one would be silently ignored):
 * refused with "A and B cannot be combined: why".
 */
struct ks_cli_conflict {
	int a, b;                      /* option keys, or KS_CLI_KEY_INTERVAL */
	const char *why;
};

struct ks_cli {
	const char *cmd;               /* "proc" */
	const char *summary;           /* one line */
	const char *details;           /* paragraph(s) for --help, may be NULL */
	const char *examples;          /* may be NULL */
	const struct ks_cli_opt *opts; /* the command's own, {0}-terminated; may be NULL */
	const struct ks_cli_conflict *conflicts; /* {0}-terminated; may be NULL */
	/* the command's options: 0, or -1 after printing an error with ks_cli_error() */
	int (*parse)(void *state, int key, const char *arg);
	/*
	 * ks_command_run(), once the options are parsed: check what they say
	 * together and make what the run needs (tables, files); 0, or an exit
	 * code after saying why (ks_cli_error for a usage error). The options
	 * stay valid until teardown. May be NULL.
	 */
	int (*setup)(void *state, struct ks_opts *o);
	/* after setup, whatever it or the run returned: free what setup made;
	 * returns the exit code (rc, or a failure of its own). May be NULL. */
	int (*teardown)(void *state, int rc);
	/*
	 * A summary's -s KEY and -n N (options 's' and 'n' in opts), parsed by
	 * the engine (ks_cli_summary_opt) into the state: KS_CLI_SORT().
	 */
	const char *const *sort_keys;  /* NULL-terminated, in the order of the sort's int */
	size_t sort, rows;             /* KS_CLI_SET offsets: int sort, unsigned rows */
	void *state;
	unsigned flags;
};

/*
 * -s KEY into the state's int sort_member, -n N into its unsigned rows_member;
 * in a ks_cli at file scope (the keys are a compound literal: static there)
 */
#define KS_CLI_SORT(type, sort_member, rows_member, ...)			\
	.sort_keys = (const char *const[]){ __VA_ARGS__, NULL },		\
	.sort = KS_CLI_SET(type, sort_member), .rows = KS_CLI_SET(type, rows_member)

/* A command's own options and callbacks, named cmd_opts, cmd_conflicts, cmd_parse... */
#define KS_CLI_OF(cmd)								\
	.opts = cmd##_opts, .conflicts = cmd##_conflicts, .parse = cmd##_parse,	\
	.setup = cmd##_setup, .teardown = cmd##_teardown

/*
 * A command run as one part of another command's session (kscope container
 * runs sched, syscall, net... in one process): its own options parsed and
 * checked from argv as its command line would be, the common ones (filters,
 * -d, [interval [count]], -- PROGRAM, hooks) taken from the caller's base,
 * its state made. The caller points opts' output where it wants it (out_fd,
 * sink) and runs it with ks_session_run(), which releases the options;
 * ks_part_free() then tears the state down.
 */
struct ks_part {
	struct ks_cli *cli;
	const struct ks_tracer *t;
	void *state;                   /* malloc'd; NULL when init failed */
	struct ks_opts opts;
	bool set_up;
};

struct ks_tracer;
/* 0, or the exit code after saying why (a usage error in argv: exit 2) */
int ks_part_init(struct ks_part *p, struct ks_cli *cli, const struct ks_tracer *t, void *state,
		 const struct ks_opts *base, int argc, char **argv);
/* teardown; returns rc or the teardown's failure */
int ks_part_free(struct ks_part *p, int rc);

/*
 * A command, run alone (cmd_NAME) or as a part (part_NAME), from its cli
 * (NAME_cli), tracer (NAME_tracer), state type and the state's first value:
 *	KS_COMMAND(syscall, struct sys_state, { .sort = SORT_COUNT })
 */
#define KS_COMMAND(name, type, ...)							int cmd_##name(int argc, char **argv)						{											type st = __VA_ARGS__;																		return ks_command_run(&name##_cli, &name##_tracer, &st, argc, argv); 	}										int part_##name(struct ks_part *p, const struct ks_opts *base, int argc, char **argv) 	{											type *st = malloc(sizeof(*st));																	if (!st)										return KS_EXIT_FAIL;							*st = (type)__VA_ARGS__;							return ks_part_init(p, &name##_cli, &name##_tracer, st, base, argc, argv); 	}

/* ks_cli_parse(): continue, or return this exit code */
#define KS_CLI_CONTINUE (-1)

int ks_cli_parse(const struct ks_cli *cli, int argc, char **argv, struct ks_opts *o);
/*
 * A tracing command from its command line to its exit code: parse into
 * state, cli->setup, the run (ks_trace_run), cli->teardown. A command's
 * entry point is its state's initial values and this call.
 */
struct ks_tracer;
int ks_command_run(struct ks_cli *cli, const struct ks_tracer *t, void *state,
		   int argc, char **argv);
/*
 * Each item of a comma-separated list (-p 1,2, -e exec,exit): 0, the first
 * non-zero return of fn, or -EINVAL for an empty list or an empty item
 * ("1,,2", ",1", "1,").
 */
int ks_cli_list(const char *arg, int (*fn)(void *ctx, const char *item), void *ctx);
void ks_cli_usage(const struct ks_cli *cli);
/* "kscope CMD: <message> (see 'kscope CMD --help')" on stderr */
void ks_cli_error(const struct ks_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Tracing is about to start (programs attached): the -o file is emptied
 * or kept now (ks_outfile_begin). 0, or -errno after saying why.
 */
int ks_opts_begin_output(struct ks_opts *o);
void ks_opts_release(struct ks_opts *o);
/* The index of arg in names (NULL-terminated): for -s/--sort and the like; -1 if absent */
int ks_cli_choice(const char *arg, const char *const names[]);
/*
 * The summary options of the aggregating commands: -s KEY (the index of KEY
 * in sort_keys, NULL-terminated, into *sort) and -n N (1..1000000 into
 * *rows). 0 when key was one of them, -1 after a usage error naming the
 * command's long option, 1 when key is neither.
 */
int ks_cli_summary_opt(const struct ks_cli *cli, int key, const char *arg,
		       const char *const sort_keys[], int *sort, unsigned *rows);

#endif

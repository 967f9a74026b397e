/* SPDX-License-Identifier: GPL-2.0 */
/* The command table: a command is a row, git's cmd_struct and bpftool's style. */
#ifndef KSCOPE_H
#define KSCOPE_H

#define KSCOPE_VERSION "0.1.0"

/* Exit codes (docs/exit-codes.md) */
#define KS_EXIT_OK    0   /* success, and Ctrl-C / SIGTERM / closed pipe */
#define KS_EXIT_FAIL  1   /* runtime failure: cannot load, attach, no privilege */
#define KS_EXIT_USAGE 2   /* bad command line */

struct ks_tracer;

struct ks_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const struct ks_tracer *tracer;   /* its probes, for `kscope doctor` */
	/* a command made of others run as its parts (their probes are its): NULL-terminated */
	const char *const *parts;
};

extern const struct ks_cmd ks_cmds[];
const struct ks_cmd *ks_cmd_find(const char *name);

int cmd_hello(int argc, char **argv);
int cmd_proc(int argc, char **argv);
int cmd_sched(int argc, char **argv);
int cmd_syscall(int argc, char **argv);
int cmd_fileio(int argc, char **argv);
int cmd_net(int argc, char **argv);
int cmd_diskio(int argc, char **argv);
int cmd_memory(int argc, char **argv);
int cmd_security(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_container(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_top(int argc, char **argv);

/* Commands that run as parts of kscope container's session (cli.h: KS_COMMAND) */
struct ks_part;
struct ks_opts;
int part_proc(struct ks_part *p, const struct ks_opts *base, int argc, char **argv);
int part_sched(struct ks_part *p, const struct ks_opts *base, int argc, char **argv);
int part_syscall(struct ks_part *p, const struct ks_opts *base, int argc, char **argv);
int part_fileio(struct ks_part *p, const struct ks_opts *base, int argc, char **argv);
int part_net(struct ks_part *p, const struct ks_opts *base, int argc, char **argv);
int part_diskio(struct ks_part *p, const struct ks_opts *base, int argc, char **argv);
int part_memory(struct ks_part *p, const struct ks_opts *base, int argc, char **argv);
int part_security(struct ks_part *p, const struct ks_opts *base, int argc, char **argv);
extern const struct ks_tracer hello_tracer;
extern const struct ks_tracer proc_tracer;
extern const struct ks_tracer sched_tracer;
extern const struct ks_tracer fileio_tracer;
extern const struct ks_tracer syscall_tracer;
extern const struct ks_tracer net_tracer;
extern const struct ks_tracer diskio_tracer;
extern const struct ks_tracer memory_tracer;
extern const struct ks_tracer security_tracer;
extern const struct ks_tracer container_tracer;

#endif /* KSCOPE_H */

// SPDX-License-Identifier: GPL-2.0
/* kscope: dispatch to the command table (commands.c) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kscope.h"
#include "engine/out.h"
#include "engine/util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: kscope <command> [options]\n"
		   "       kscope help [command]\n\n"
		   "kscope %s: Linux observability with eBPF, in one binary.\n\ncommands:\n",
		KSCOPE_VERSION);
	for (const struct ks_cmd *c = ks_cmds; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\nglobal options:\n"
		   "  -h, --help      this help\n"
		   "  -V, --version   print the version\n\n"
		   "'kscope <command> --help' shows a command's options.\n");
}

/*
 * What went through stdio (help, version) must have reached stdout: a full
 * disk or a closed stdout is an error, as for the traces (docs/exit-codes.md).
 */
static int stdout_done(int rc)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return rc;
	ks_errorf("kscope: cannot write to standard output: %s", strerror(errno));
	return rc == KS_EXIT_OK ? KS_EXIT_FAIL : rc;
}

static int dispatch(int argc, char **argv)
{
	const struct ks_cmd *cmd;
	const char *name;

	if (argc < 2) {
		usage(stderr);
		return KS_EXIT_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
		usage(stdout);
		return KS_EXIT_OK;
	}
	if (!strcmp(name, "-V") || !strcmp(name, "--version")) {
		printf("kscope %s\n", KSCOPE_VERSION);
		return KS_EXIT_OK;
	}
	if (!strcmp(name, "help")) {
		char *help_argv[] = { argv[2], "--help", NULL };

		if (argc < 3) {
			usage(stdout);
			return KS_EXIT_OK;
		}
		if (argc > 3) {
			fprintf(stderr, "kscope help: too many arguments (see 'kscope help')\n");
			return KS_EXIT_USAGE;
		}
		cmd = ks_cmd_find(argv[2]);
		if (!cmd) {
			ks_errorf("kscope: unknown command '%s' (see 'kscope help')", argv[2]);
			return KS_EXIT_USAGE;
		}
		return cmd->fn(2, help_argv);
	}
	cmd = ks_cmd_find(name);
	if (!cmd) {
		ks_errorf("kscope: unknown command '%s' (see 'kscope help')", name);
		return KS_EXIT_USAGE;
	}
	return cmd->fn(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	ks_stdio_guard();
	return stdout_done(dispatch(argc, argv));
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kscope hello: one line per exec. The smallest command there is, and the
 * first thing to run on a new machine or board: if
 *
 *     kscope hello -- /bin/true
 *
 * prints its line, eBPF works there (the program loaded, attached, and
 * its record came through the ring buffer). docs/adding-a-command.md walks
 * through this file and hello.bpf.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kscope.h"
#include "engine/cli.h"
#include "engine/out.h"
#include "engine/trace.h"
#include "hello.h"
#include "hello.skel.h"

KS_SKEL_OPS(hello_bpf);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the tracer: what to load, how to print a record --------------------- */

/* One logical probe; its programs in order of preference (hello.bpf.c) */
static const struct ks_probe hello_probes[] = {
	{ "exec", { KS_PROG(hello_bpf, hello_exec_btf), KS_PROG(hello_bpf, hello_exec_raw),
		    KS_PROG(hello_bpf, hello_exec_tp) } },
};

/*
 * One record. Everything in it came from the kernel, so it is checked
 * before it is used (a short record is an error the engine counts) and
 * every string goes through an escaping writer.
 */
static int hello_event(void *state, struct ks_out *o, const void *data, size_t size)
{
	const struct hello_event *e = data;
	size_t n;

	(void)state;
	if (size < sizeof(*e) || e->hdr.type != HELLO_EV_EXEC)
		return -EINVAL;
	n = e->filename_len < sizeof(e->filename) ? e->filename_len : sizeof(e->filename);
	if (o->json) {
		/* the common fields (type, ts_ns, pid, tid, ppid, uid, comm, ...) */
		ks_rec_begin(o, "hello", &e->hdr);
		ks_rec_str(o, "filename", e->filename, n, 0);
		ks_json_kv_bool(o, "filename_truncated", e->truncated);
		ks_rec_end(o);
		return 0;
	}
	if (o->wallclock) {
		ks_out_time_text(o, e->hdr.ts_ns);
		ks_out_char(o, ' ');
	}
	ks_out_printf(o, "hello: pid=%u comm=", e->hdr.pid);
	ks_out_text(o, e->hdr.comm, sizeof(e->hdr.comm));
	ks_out_cstr(o, " filename=");
	ks_out_text(o, e->filename, n);
	if (e->truncated)
		ks_out_cstr(o, "...");
	ks_out_char(o, '\n');
	return 0;
}

const struct ks_tracer hello_tracer = {
	KS_TRACER(hello, "execs"),
	.event = hello_event,
};

/* ---- the command line ------------------------------------------------------ */

static struct ks_cli hello_cli = {
	.cmd = "hello",
	.summary = "Print one line per exec: the smallest command, and a check that eBPF works here.",
	.details =
	"Each exec (a successful execve/execveat) gives one line: the process, its new\n"
	"command name and the file it runs. If 'kscope hello -- /bin/true' prints its\n"
	"line, this kernel loads, attaches and runs kscope's programs.",
	.examples =
	"  kscope hello                       # every exec on the system\n"
	"  kscope hello -- /bin/true          # does eBPF work here?\n"
	"  kscope hello -j -d 10              # ten seconds of execs as NDJSON\n",
	.flags = KS_CLI_TRACE | KS_CLI_PROGRAM,
};

int cmd_hello(int argc, char **argv)
{
	return ks_command_run(&hello_cli, &hello_tracer, NULL, argc, argv);
}

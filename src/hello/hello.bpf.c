// SPDX-License-Identifier: GPL-2.0
/*
 * kscope hello: one record per exec, the smallest command there is and the
 * worked example of docs/adding-a-command.md.
 *
 * One logical probe ("exec") with three programs, one per hook type; the
 * engine loads the first the running kernel accepts (tp_btf, then raw_tp,
 * then the plain tracepoint). Each only finds the filename and calls the
 * same handler. The engine's filters (-p, -u, -c, --comm, -- PROGRAM) run
 * first, in ks_wanted(), before any ring space is taken.
 */
#include "../engine/kscope.bpf.h"
#include "hello.h"

static __always_inline int handle_exec(const char *filename)
{
	struct hello_event *e;
	long n;
	char c = 0;

	if (!ks_wanted())
		return 0;
	e = ks_reserve(sizeof(*e));
	if (!e)
		return 0;	/* counted as lost by ks_reserve */
	ks_fill_hdr(&e->hdr, HELLO_EV_EXEC);
	n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename);
	if (n < 1) {
		e->filename[0] = '\0';
		n = 1;
	}
	e->filename_len = n - 1;
	/* a full buffer: was there more? */
	e->truncated = n == sizeof(e->filename) &&
		       !bpf_probe_read_kernel(&c, 1, filename + sizeof(e->filename) - 1) && c;
	ks_submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(hello_exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return handle_exec(BPF_CORE_READ(bprm, filename));
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(hello_exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return handle_exec(BPF_CORE_READ(bprm, filename));
}

SEC("tracepoint/sched/sched_process_exec")
int hello_exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	/* __data_loc: the low 16 bits are the offset from the record's start */
	return handle_exec((const char *)ctx + (ctx->__data_loc_filename & 0xffff));
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kscope proc's records: checked (every length against the record's size:
 * they come from the kernel's ring buffer, and from the fuzzer) and printed
 * through the engine's sinks. Shared by the stream (proc.c) and the tree
 * (proc_tree.c), which depend on this file and not on each other.
 */
#include <errno.h>
#include <string.h>

#include "../engine/out.h"
#include "../engine/util.h"
#include "proc.h"

/* ---- decoding ------------------------------------------------------------ */

int proc_event_check(const void *data, size_t size)
{
	const struct ks_hdr *h = data;
	struct proc_exec_view v;

	if (size < sizeof(*h))
		return -EINVAL;
	switch (h->type) {
	case PROC_EV_FORK:
		return size >= sizeof(struct proc_fork_event) ? PROC_EV_FORK : -EINVAL;
	case PROC_EV_EXEC:
		return proc_exec_view(data, size, &v) ? -EINVAL : PROC_EV_EXEC;
	case PROC_EV_EXIT:
		return size >= sizeof(struct proc_exit_event) ? PROC_EV_EXIT : -EINVAL;
	}
	return -EINVAL;
}

int proc_exec_view(const void *data, size_t size, struct proc_exec_view *v)
{
	const struct proc_exec_event *e = data;
	const char *p = (const char *)(e + 1);

	if (size < sizeof(*e) || e->hdr.type != PROC_EV_EXEC || !e->filename_len ||
	    sizeof(*e) + e->filename_len + e->args_len > size)
		return -EINVAL;
	v->e = e;
	v->filename = p;
	v->filename_len = strnlen(p, e->filename_len);
	v->args = p + e->filename_len;
	/* NUL-terminated strings; the last one has no NUL if it was cut */
	v->args_len = e->args_len;
	v->args_truncated = e->args_total > e->args_len;
	return 0;
}

/* ---- printing ------------------------------------------------------------ */

static void print_fork(struct ks_out *o, const struct proc_fork_event *e)
{
	bool thread = e->hdr.flags & PROC_F_THREAD;

	ks_rec_begin(o, "fork", &e->hdr);
	ks_rec_u64(o, "child_pid", e->child_pid, thread ? KS_TXT_HIDE : 0);
	ks_rec_u64(o, "child_tid", e->child_tid, thread ? 0 : KS_TXT_HIDE);
	ks_rec_bool(o, "thread", thread, KS_TXT_FLAG);
	ks_rec_end(o);
}

static void print_exec(struct ks_out *o, const struct proc_exec_view *v)
{
	ks_rec_begin(o, "exec", &v->e->hdr);
	ks_rec_s64(o, "ret", v->e->ret, KS_TXT_NONZERO);
	ks_rec_str(o, "filename", v->filename, v->filename_len, 0);
	ks_rec_strv(o, "argv", v->args, v->args_len, v->args_truncated, 0);
	ks_rec_bool(o, "argv_truncated", v->args_truncated, KS_TXT_HIDE);
	ks_rec_end(o);
}

static void print_exit(struct ks_out *o, const struct proc_exit_event *e)
{
	unsigned code = (e->exit_code >> 8) & 0xff, sig = e->exit_code & 0x7f;
	bool core = e->exit_code & 0x80;
	const char *name = ks_signal_name(sig);

	ks_rec_begin(o, "exit", &e->hdr);
	ks_rec_u64(o, "exit_code", code, sig ? KS_TXT_HIDE : 0);
	ks_rec_u64(o, "signal", sig, KS_TXT_HIDE);
	if (sig && name)
		ks_rec_str(o, "signal", name, strlen(name), KS_JSON_HIDE);
	else if (sig)
		ks_rec_u64(o, "signal", sig, KS_JSON_HIDE);
	ks_rec_bool(o, "core_dumped", core, KS_TXT_FLAG);
	ks_rec_ns(o, "lifetime_ns", e->lifetime_ns, KS_TXT_HIDE);
	ks_rec_ns(o, "lifetime", e->lifetime_ns, KS_JSON_HIDE);
	ks_rec_ns(o, "cpu_ns", e->cpu_ns, KS_TXT_HIDE);
	ks_rec_ns(o, "cpu", e->cpu_ns, KS_JSON_HIDE);
	ks_rec_bytes(o, "max_rss_bytes", e->max_rss_bytes, KS_TXT_HIDE);
	ks_rec_bytes(o, "rss", e->max_rss_bytes, KS_JSON_HIDE);
	if (e->hdr.flags & PROC_F_MM) {
		ks_rec_bytes(o, "vm_bytes", e->vm_bytes, KS_TXT_HIDE);
		ks_rec_bytes(o, "vm", e->vm_bytes, KS_JSON_HIDE);
	} else {
		ks_rec_null(o, "vm_bytes", KS_TXT_HIDE);
	}
	ks_rec_s64(o, "prio", e->prio, 0);
	ks_rec_u64(o, "state", e->state, KS_TXT_HIDE);
	ks_rec_bool(o, "thread", e->hdr.flags & PROC_F_THREAD, KS_TXT_FLAG);
	ks_rec_bool(o, "group_dead", e->hdr.flags & PROC_F_GROUP_DEAD, KS_TXT_HIDE);
	ks_rec_end(o);
}

int proc_event_print(struct ks_out *o, const void *data, size_t size)
{
	struct proc_exec_view v;

	switch (proc_event_check(data, size)) {
	case PROC_EV_FORK:
		print_fork(o, data);
		return 0;
	case PROC_EV_EXEC:
		proc_exec_view(data, size, &v);
		print_exec(o, &v);
		return 0;
	case PROC_EV_EXIT:
		print_exit(o, data);
		return 0;
	}
	return -EINVAL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kscope container: the lifecycle of cgroups, from the cgroup tracepoints
 * (cgroup_mkdir, cgroup_rmdir, cgroup_attach_task), on every hierarchy (v2
 * and each v1 one): made, first process, removed. No runtime's socket is
 * asked: the path says which container (container.h in the engine). An
 * attach also says, where the hook has the task (tp_btf, raw_tp), which
 * namespaces it runs in.
 *
 * These are rare events (a container's start or end), so each is a record;
 * what containers do is counted by the other commands' programs, loaded in
 * the same session (container.c).
 */
#include "../engine/kscope.bpf.h"
#include "container.h"

/* A record with its cgroup filled in (NULL: ring buffer full, counted) */
static __always_inline struct ctr_event *ctr_new(__u32 type, int hierarchy, int level, __u64 id)
{
	struct ctr_event *e = ks_reserve(sizeof(*e));

	if (!e)
		return NULL;
	e->ts_ns = bpf_ktime_get_ns();
	e->type = type;
	e->hierarchy = hierarchy;
	e->level = level;
	e->cgroup_id = id;
	e->pid = 0;
	e->comm[0] = 0;
	for (int i = 0; i < CTR_NS_N; i++)
		e->ns[i] = 0;
	return e;
}

/* From a struct cgroup (tp_btf, raw_tp) */
static __always_inline void on_cgroup(__u32 type, struct cgroup *cg, const char *path,
				      struct task_struct *task)
{
	struct ctr_event *e;

	e = ctr_new(type, BPF_CORE_READ(cg, root, hierarchy_id), BPF_CORE_READ(cg, level),
		    BPF_CORE_READ(cg, kn, id));
	if (!e)
		return;
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
	if (task) {
		struct nsproxy *ns = BPF_CORE_READ(task, nsproxy);

		e->pid = BPF_CORE_READ(task, tgid);
		BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
		if (ns) {
			e->ns[CTR_NS_MNT] = BPF_CORE_READ(ns, mnt_ns, ns.inum);
			e->ns[CTR_NS_NET] = BPF_CORE_READ(ns, net_ns, ns.inum);
			e->ns[CTR_NS_PID] = BPF_CORE_READ(ns, pid_ns_for_children, ns.inum);
			e->ns[CTR_NS_UTS] = BPF_CORE_READ(ns, uts_ns, ns.inum);
		}
	}
	ks_submit(e);
}

/* From the tracepoint's record: its __data_loc strings */
static __always_inline void on_record(__u32 type, void *ctx, int hierarchy, int level, __u64 id,
				      __u32 path_loc, int pid, __u32 comm_loc)
{
	struct ctr_event *e = ctr_new(type, hierarchy, level, id);

	if (!e)
		return;
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), ctx + (path_loc & 0xffff));
	if (type == CTR_EV_ATTACH) {
		e->pid = pid;
		bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), ctx + (comm_loc & 0xffff));
	}
	ks_submit(e);
}

/* A cgroup made or removed: its three hooks (tp_btf, raw_tp, tracepoint) */
#define CGROUP_PROGS(name, type)						\
	SEC("tp_btf/cgroup_" #name)						\
	int BPF_PROG(ctr_##name##_btf, struct cgroup *cg, const char *path)	\
	{									\
		on_cgroup(type, cg, path, NULL);				\
		return 0;							\
	}									\
	SEC("raw_tp/cgroup_" #name)						\
	int BPF_PROG(ctr_##name##_raw, struct cgroup *cg, const char *path)	\
	{									\
		on_cgroup(type, cg, path, NULL);				\
		return 0;							\
	}									\
	SEC("tracepoint/cgroup/cgroup_" #name)					\
	int ctr_##name##_tp(struct trace_event_raw_cgroup *ctx)			\
	{									\
		on_record(type, ctx, ctx->root, ctx->level, ctx->id,		\
			  ctx->__data_loc_path, 0, 0);				\
		return 0;							\
	}

CGROUP_PROGS(mkdir, CTR_EV_MKDIR)
CGROUP_PROGS(rmdir, CTR_EV_RMDIR)

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(ctr_attach_btf, struct cgroup *cg, const char *path, struct task_struct *task,
	     bool threadgroup)
{
	on_cgroup(CTR_EV_ATTACH, cg, path, task);
	return 0;
}

SEC("raw_tp/cgroup_attach_task")
int BPF_PROG(ctr_attach_raw, struct cgroup *cg, const char *path, struct task_struct *task,
	     bool threadgroup)
{
	on_cgroup(CTR_EV_ATTACH, cg, path, task);
	return 0;
}

SEC("tracepoint/cgroup/cgroup_attach_task")
int ctr_attach_tp(struct trace_event_raw_cgroup_migrate *ctx)
{
	on_record(CTR_EV_ATTACH, ctx, ctx->dst_root, ctx->dst_level, ctx->dst_id,
		  ctx->__data_loc_dst_path, ctx->pid, ctx->__data_loc_comm);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/* kscope container: the lifecycle records shared by container.bpf.c and container.c */
#ifndef KSCOPE_CONTAINER_CMD_H
#define KSCOPE_CONTAINER_CMD_H

#define CTR_PATH 512          /* bytes of a cgroup's path kept (k8s paths: 200+) */

enum ctr_ev_type {
	CTR_EV_MKDIR = 1,     /* a cgroup made */
	CTR_EV_RMDIR,         /* ... removed */
	CTR_EV_ATTACH,        /* a process moved into one */
};

/* The namespaces of an attached task: their inode numbers (0: not read) */
enum { CTR_NS_MNT, CTR_NS_NET, CTR_NS_PID, CTR_NS_UTS, CTR_NS_N };

struct ctr_event {
	__u64 ts_ns;
	__u64 cgroup_id;      /* its kernfs id: the directory's inode number */
	__u64 ns[CTR_NS_N];   /* CTR_EV_ATTACH, from a BTF-typed hook */
	__u32 type;           /* enum ctr_ev_type */
	__s32 hierarchy;      /* the hierarchy's id: 0 for cgroup v2 */
	__s32 level;          /* depth below the hierarchy's root */
	__u32 pid;            /* CTR_EV_ATTACH: the task (a thread group's leader) */
	char comm[16];        /* ... its name */
	char path[CTR_PATH];  /* below the hierarchy's mount point; cut to fit */
};

#endif

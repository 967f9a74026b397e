// SPDX-License-Identifier: GPL-2.0
/*
 * kscope proc --tree: the process tree of everything seen in a run, built
 * from the fork/exec/exit stream. A process is linked under the process
 * that forked it (not whoever adopted it later). Processes that started
 * before tracing appear as roots. A reused pid starts a new node.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/out.h"
#include "../engine/util.h"
#include "proc.h"

#define TREE_BUCKETS 4096
#define TREE_MAX_DEPTH 400	/* deeper descendants are cut, and marked */

struct tree_exec {
	char *filename;
	char *args;
	size_t args_len;
	bool truncated;
	uint64_t ts_ns;
};

struct tree_node {
	uint32_t pid, ppid;
	char comm[KS_COMM_LEN];
	uint64_t first_ts, fork_ts;
	bool forked, exited, lifetime_known;
	uint32_t exit_raw;
	uint64_t lifetime_ns, cpu_ns, max_rss;
	uint32_t threads;
	struct tree_exec *execs;
	size_t nexecs;
	struct tree_node *parent;
	struct tree_node **kids;
	size_t nkids, capkids;
	struct tree_node *hnext;     /* hash chain (only while indexed) */
	struct tree_node *all;       /* every node, for freeing and root order */
	bool indexed;
};

struct proc_tree {
	struct tree_node *buckets[TREE_BUCKETS];
	struct tree_node *first, *last;   /* creation order */
};

struct proc_tree *proc_tree_new(void)
{
	return calloc(1, sizeof(struct proc_tree));
}

void proc_tree_free(struct proc_tree *t)
{
	struct tree_node *n, *next;

	if (!t)
		return;
	for (n = t->first; n; n = next) {
		next = n->all;
		for (size_t i = 0; i < n->nexecs; i++) {
			free(n->execs[i].filename);
			free(n->execs[i].args);
		}
		free(n->execs);
		free(n->kids);
		free(n);
	}
	free(t);
}

static struct tree_node *lookup(struct proc_tree *t, uint32_t pid)
{
	struct tree_node *n = t->buckets[pid % TREE_BUCKETS];

	while (n && n->pid != pid)
		n = n->hnext;
	return n;
}

static void unindex(struct proc_tree *t, struct tree_node *node)
{
	struct tree_node **pp = &t->buckets[node->pid % TREE_BUCKETS];

	while (*pp && *pp != node)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = node->hnext;
	node->indexed = false;
}

static int add_kid(struct tree_node *parent, struct tree_node *kid)
{
	if (parent->nkids == parent->capkids) {
		size_t cap = parent->capkids ? parent->capkids * 2 : 4;
		struct tree_node **k = realloc(parent->kids, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		parent->kids = k;
		parent->capkids = cap;
	}
	parent->kids[parent->nkids++] = kid;
	kid->parent = parent;
	return 0;
}

static struct tree_node *create(struct proc_tree *t, uint32_t pid, uint32_t ppid,
				const char *comm, uint64_t ts)
{
	struct tree_node *n = calloc(1, sizeof(*n)), *parent;

	if (!n)
		return NULL;
	n->pid = pid;
	n->ppid = ppid;
	memcpy(n->comm, comm, KS_COMM_LEN);
	n->comm[KS_COMM_LEN - 1] = '\0';
	n->first_ts = ts;
	parent = pid != ppid ? lookup(t, ppid) : NULL;
	if (parent && add_kid(parent, n)) {
		free(n);
		return NULL;
	}
	n->hnext = t->buckets[pid % TREE_BUCKETS];
	t->buckets[pid % TREE_BUCKETS] = n;
	n->indexed = true;
	if (t->last)
		t->last->all = n;
	else
		t->first = n;
	t->last = n;
	return n;
}

static struct tree_node *get(struct proc_tree *t, const struct ks_hdr *h)
{
	struct tree_node *n = lookup(t, h->pid);

	return n ? n : create(t, h->pid, h->ppid, h->comm, h->ts_ns);
}

static int add_fork(struct proc_tree *t, const struct proc_fork_event *e)
{
	struct tree_node *parent = get(t, &e->hdr), *old, *child;

	if (!parent)
		return -ENOMEM;
	if (e->hdr.flags & PROC_F_THREAD) {
		parent->threads++;
		return 0;
	}
	old = lookup(t, e->child_pid);
	if (old)
		unindex(t, old);	/* the pid was reused: a new process */
	child = create(t, e->child_pid, e->hdr.pid, e->hdr.comm, e->hdr.ts_ns);
	if (!child)
		return -ENOMEM;
	child->forked = true;
	child->fork_ts = e->hdr.ts_ns;
	return 0;
}

static int add_exec(struct proc_tree *t, const void *data, size_t size)
{
	struct proc_exec_view v;
	struct tree_node *n;
	struct tree_exec *x;

	if (proc_exec_view(data, size, &v))
		return -EINVAL;
	n = get(t, &v.e->hdr);
	if (!n)
		return -ENOMEM;
	x = realloc(n->execs, (n->nexecs + 1) * sizeof(*x));
	if (!x)
		return -ENOMEM;
	n->execs = x;
	x = &n->execs[n->nexecs];
	x->filename = strndup(v.filename, v.filename_len);
	x->args = malloc(v.args_len + 1);
	if (!x->filename || !x->args) {
		free(x->filename);
		free(x->args);
		return -ENOMEM;
	}
	memcpy(x->args, v.args, v.args_len);
	x->args[v.args_len] = '\0';
	x->args_len = v.args_len;
	x->truncated = v.args_truncated;
	x->ts_ns = v.e->hdr.ts_ns;
	n->nexecs++;
	memcpy(n->comm, v.e->hdr.comm, KS_COMM_LEN);
	n->comm[KS_COMM_LEN - 1] = '\0';
	return 0;
}

static int add_exit(struct proc_tree *t, const struct proc_exit_event *e)
{
	struct tree_node *n = get(t, &e->hdr);

	if (!n)
		return -ENOMEM;
	n->cpu_ns += e->cpu_ns;
	if (e->max_rss_bytes > n->max_rss)
		n->max_rss = e->max_rss_bytes;
	if (!(e->hdr.flags & PROC_F_GROUP_DEAD))
		return 0;
	n->exited = true;
	n->exit_raw = e->exit_code;
	if (n->forked) {
		n->lifetime_ns = e->hdr.ts_ns - n->fork_ts;
		n->lifetime_known = true;
	} else if (e->hdr.tid == e->hdr.pid) {
		n->lifetime_ns = e->lifetime_ns;	/* the leader lived as long as the process */
		n->lifetime_known = true;
	}
	return 0;
}

int proc_tree_add(struct proc_tree *t, const void *data, size_t size)
{
	switch (proc_event_check(data, size)) {
	case PROC_EV_FORK:
		return add_fork(t, data);
	case PROC_EV_EXEC:
		return add_exec(t, data, size);
	case PROC_EV_EXIT:
		return add_exit(t, data);
	}
	return -EINVAL;
}

/* ---- output -------------------------------------------------------------- */

static void status_text(struct ks_out *o, const struct tree_node *n)
{
	unsigned sig = n->exit_raw & 0x7f;
	char buf[32];

	if (!n->exited) {
		ks_out_cstr(o, "running");
	} else if (sig) {
		const char *name = ks_signal_name(sig);

		ks_out_cstr(o, "killed by ");
		if (name)
			ks_out_cstr(o, name);
		else
			ks_out_printf(o, "signal %u", sig);
		if (n->exit_raw & 0x80)
			ks_out_cstr(o, " (core dumped)");
	} else {
		ks_out_printf(o, "exit %u", (n->exit_raw >> 8) & 0xff);
	}
	if (n->lifetime_known) {
		ks_fmt_ns(buf, sizeof(buf), n->lifetime_ns);
		ks_out_printf(o, ", %s", buf);
	}
	if (n->exited) {
		ks_fmt_ns(buf, sizeof(buf), n->cpu_ns);
		ks_out_printf(o, ", cpu %s", buf);
	}
	if (n->threads)
		ks_out_printf(o, ", %u thread%s", n->threads, n->threads > 1 ? "s" : "");
}

static void print_text(struct ks_out *o, const struct tree_node *n, char *prefix,
		       size_t plen, bool last, int depth)
{
	ks_out_mem(o, prefix, plen);
	if (depth)
		ks_out_cstr(o, last ? "`-- " : "|-- ");
	ks_out_u64(o, n->pid);
	ks_out_char(o, ' ');
	ks_out_text(o, n->comm, sizeof(n->comm));
	ks_out_cstr(o, ": ");
	status_text(o, n);
	for (size_t i = 0; i < n->nexecs; i++) {
		const struct tree_exec *x = &n->execs[i];

		ks_out_cstr(o, i ? " => " : ", exec ");
		ks_out_text(o, x->filename, strlen(x->filename));
		ks_out_char(o, ' ');
		ks_out_argv(o, x->args, x->args_len, x->truncated);
	}
	ks_out_char(o, '\n');
	if (depth >= TREE_MAX_DEPTH) {
		if (n->nkids)
			ks_out_printf(o, "%.*s    ... %zu children and their descendants not shown\n",
				      (int)plen, prefix, n->nkids);
		return;
	}
	if (depth)
		memcpy(prefix + plen, last ? "    " : "|   ", 4);
	for (size_t i = 0; i < n->nkids; i++)
		print_text(o, n->kids[i], prefix, plen + (depth ? 4 : 0), i + 1 == n->nkids,
			   depth + 1);
}

static void print_json(struct ks_out *o, const struct tree_node *n, int depth)
{
	unsigned sig = n->exit_raw & 0x7f;

	ks_json_begin(o);
	ks_json_kv_u64(o, "pid", n->pid);
	ks_json_kv_u64(o, "ppid", n->ppid);
	ks_json_kv_str(o, "comm", n->comm, sizeof(n->comm));
	ks_json_key(o, "execs");
	ks_json_arr_begin(o);
	for (size_t i = 0; i < n->nexecs; i++) {
		const struct tree_exec *x = &n->execs[i];

		ks_json_begin(o);
		ks_json_kv_str(o, "filename", x->filename, strlen(x->filename));
		ks_json_key(o, "argv");
		ks_json_strv(o, x->args, x->args_len);
		ks_json_kv_bool(o, "argv_truncated", x->truncated);
		ks_json_kv_u64(o, "ts_ns", x->ts_ns);
		ks_json_end(o);
	}
	ks_json_arr_end(o);
	ks_json_kv_bool(o, "exited", n->exited);
	if (n->exited) {
		ks_json_kv_u64(o, "exit_code", (n->exit_raw >> 8) & 0xff);
		ks_json_kv_u64(o, "signal", sig);
		ks_json_kv_bool(o, "core_dumped", n->exit_raw & 0x80);
		ks_json_kv_u64(o, "cpu_ns", n->cpu_ns);
		ks_json_kv_u64(o, "max_rss_bytes", n->max_rss);
	} else {
		ks_json_kv_null(o, "exit_code");
		ks_json_kv_null(o, "signal");
		ks_json_kv_null(o, "core_dumped");
		ks_json_kv_null(o, "cpu_ns");
		ks_json_kv_null(o, "max_rss_bytes");
	}
	if (n->lifetime_known)
		ks_json_kv_u64(o, "lifetime_ns", n->lifetime_ns);
	else
		ks_json_kv_null(o, "lifetime_ns");
	ks_json_kv_u64(o, "threads", n->threads);
	ks_json_key(o, "children");
	ks_json_arr_begin(o);
	if (depth < TREE_MAX_DEPTH)
		for (size_t i = 0; i < n->nkids; i++)
			print_json(o, n->kids[i], depth + 1);
	ks_json_arr_end(o);
	if (depth >= TREE_MAX_DEPTH && n->nkids)
		ks_json_kv_bool(o, "children_truncated", true);
	ks_json_end(o);
}

void proc_tree_print(struct proc_tree *t, struct ks_out *o)
{
	struct tree_node *n;

	if (o->json) {
		ks_json_begin(o);
		ks_json_kv_str(o, "type", "tree", 4);
		ks_json_key(o, "processes");
		ks_json_arr_begin(o);
		for (n = t->first; n; n = n->all)
			if (!n->parent)
				print_json(o, n, 0);
		ks_json_arr_end(o);
		ks_json_end(o);
		return;
	}
	for (n = t->first; n; n = n->all) {
		char *prefix;

		if (n->parent)
			continue;
		prefix = malloc(4 * (TREE_MAX_DEPTH + 2));
		if (!prefix)
			return;
		print_text(o, n, prefix, 0, true, 0);
		free(prefix);
	}
}

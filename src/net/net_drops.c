// SPDX-License-Identifier: GPL-2.0
/*
 * kscope net --drops: the packets the kernel dropped, counted in the kernel
 * (net.bpf.c's `drops` map, per CPU) by the kernel's drop reason, netns,
 * protocol and, where the kernel names a socket, its owner. One engine
 * table ("net_drop_stat"): every interval and at the end, each row the
 * drops of its period.
 *
 * Reason numbers differ between kernels (the enum grows in the middle), so
 * their names come from the running kernel's BTF (enum skb_drop_reason),
 * never from a list built into kscope.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "engine/cli.h"
#include "engine/out.h"
#include "engine/table.h"
#include "engine/util.h"
#include "net.h"

#define REASON_PREFIX "SKB_DROP_REASON_"

/* ---- reason names, from BTF --------------------------------------------------- */

static int reason_cmp(const void *a, const void *b)
{
	const struct net_reason *x = a, *y = b;

	return x->value < y->value ? -1 : x->value > y->value;
}

int net_reasons_load(struct net_reasons *r, const struct btf *btf)
{
	const struct btf_type *t;
	size_t n;
	int id;

	memset(r, 0, sizeof(*r));
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	n = btf_vlen(t);
	r->v = calloc(n ? n : 1, sizeof(*r->v));
	if (!r->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct btf_enum *e = btf_enum(t) + i;
		const char *name = btf__name_by_offset(btf, e->name_off);

		if (!name || !*name)
			continue;
		/* SKB_CONSUMED, SKB_DROP_REASON_MAX...: whatever the kernel calls them */
		if (!strncmp(name, REASON_PREFIX, strlen(REASON_PREFIX)) &&
		    name[strlen(REASON_PREFIX)])
			name += strlen(REASON_PREFIX);
		r->v[r->n].value = (uint32_t)e->val;
		r->v[r->n].name = strdup(name);
		if (!r->v[r->n].name) {
			net_reasons_free(r);
			return -ENOMEM;
		}
		r->n++;
	}
	qsort(r->v, r->n, sizeof(*r->v), reason_cmp);
	return 0;
}

const char *net_reason_name(const struct net_reasons *r, uint32_t value)
{
	struct net_reason key = { .value = value }, *e;

	if (!r->n)
		return NULL;
	e = bsearch(&key, r->v, r->n, sizeof(*r->v), reason_cmp);
	return e ? e->name : NULL;
}

void net_reasons_free(struct net_reasons *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].name);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

const char *net_drop_proto_name(unsigned proto)
{
	static const char *const names[NET_P_MAX] = {
		[NET_P_OTHER] = "other", [NET_P_TCP] = "tcp", [NET_P_UDP] = "udp",
		[NET_P_ICMP] = "icmp",
	};

	return proto < NET_P_MAX ? names[proto] : NULL;
}

/* ---- the table ------------------------------------------------------------------ */

struct net_drops {
	struct ks_table *table;
	struct net_reasons reasons;
	bool rx_sk;                   /* kfree_skb names the receiving socket (6.11+) */
	int map_fd;
	int ncpus;
	struct net_drop_val *vals;    /* one per possible CPU */
	uint64_t period_start;
};

enum { D_REASON, D_CODE, D_PROTO, D_COUNT, D_NETNS, D_CGROUP, D_UID, D_PID, D_COMM, D_NCOLS };

/* A row's owner's command name: null (text "-") without a connection's owner */
struct drop_ext {
	char comm[KS_COMM_LEN];
};

/* The reason's name; its number if the kernel's enum has none; null if no reason */
static const char *reason_text(const struct ks_row *r, char *buf, size_t n)
{
	const struct net_drops *d = ks_table_ctx(ks_row_table(r));
	const struct net_drop_key *k = ks_row_key(r);
	const char *name;

	if (k->reason == NET_NONE)
		return NULL;
	name = net_reason_name(&d->reasons, k->reason);
	if (name)
		return name;
	snprintf(buf, n, "%u", k->reason);
	return buf;
}

static void reason_text_cell(struct ks_out *o, const struct ks_row *r)
{
	char buf[16];
	const char *s = reason_text(r, buf, sizeof(buf));

	if (s)
		ks_out_text(o, s, strlen(s));
	else
		ks_out_char(o, '-');
}

static void reason_json_cell(struct ks_out *o, const struct ks_row *r)
{
	char buf[16];
	const char *s = reason_text(r, buf, sizeof(buf));

	if (s)
		ks_json_str(o, s, strlen(s));
	else
		ks_json_null(o);
}

static void comm_text_cell(struct ks_out *o, const struct ks_row *r)
{
	const struct drop_ext *x = ks_row_ext(r);
	size_t n = strnlen(x->comm, sizeof(x->comm));

	if (n)
		ks_out_text(o, x->comm, n);
	else
		ks_out_char(o, '-');
}

static void comm_json_cell(struct ks_out *o, const struct ks_row *r)
{
	const struct drop_ext *x = ks_row_ext(r);
	size_t n = strnlen(x->comm, sizeof(x->comm));

	if (n)
		ks_json_str(o, x->comm, n);
	else
		ks_json_null(o);
}

static const struct ks_col drop_cols[D_NCOLS] = {
	[D_REASON] = { "reason", "REASON", KS_COL_CUSTOM, KS_COL_LEFT, 24,
		       .text = reason_text_cell, .json = reason_json_cell,
		       .help = "the kernel's drop reason (enum skb_drop_reason)" },
	[D_CODE] = { "reason_code", "CODE", KS_COL_COUNT,
		     KS_COL_KEY | KS_COL_LABEL | KS_COL_TEXT_HIDE },
	[D_PROTO] = { "protocol", "PROTO", KS_COL_STR, KS_COL_KEY, 5, .size = 8 },
	[D_COUNT] = { "count", "COUNT", KS_COL_COUNT, KS_COL_CUM, 10,
		      .help = "packets dropped" },
	[D_NETNS] = { "netns", "NETNS", KS_COL_COUNT, KS_COL_KEY | KS_COL_LABEL, 10 },
	[D_CGROUP] = { "cgroup_id", "CGROUP", KS_COL_COUNT, KS_COL_KEY | KS_COL_LABEL, 8 },
	[D_UID] = { "uid", "UID", KS_COL_COUNT, KS_COL_KEY | KS_COL_LABEL, 6 },
	[D_PID] = { "pid", "PID", KS_COL_COUNT, KS_COL_KEY | KS_COL_LABEL, 7 },
	[D_COMM] = { "comm", "COMM", KS_COL_CUSTOM, KS_COL_LEFT, 0, .text = comm_text_cell,
		     .json = comm_json_cell },
};

static const struct ks_table_desc drop_table = {
	.type = "net_drop_stat",
	.cols = drop_cols,
	.ncols = D_NCOLS,
	.key_size = sizeof(struct net_drop_key),
	.ext_size = sizeof(struct drop_ext),
};

/* Has struct `type` a member `name`? */
static bool btf_has_member(const struct btf *btf, const char *type, const char *name)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, id);

	for (unsigned i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, btf_members(t)[i].name_off), name))
			return true;
	return false;
}

/* What the kernel kscope runs on (or --btf FILE) says: reason names, rx_sk */
static void from_kernel(struct net_drops *d, const char *btf_path)
{
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();

	if (!btf)
		return;	/* loading fails the same way just after, and says why */
	net_reasons_load(&d->reasons, btf);	/* before 5.17 there are none: reasons are null */
	d->rx_sk = btf_has_member(btf, "trace_event_raw_kfree_skb", "rx_sk");
	btf__free(btf);
}

bool net_drops_kernel_names_sk(const struct net_drops *d)
{
	return d->rx_sk;
}

struct net_drops *net_drops_new(const struct ks_opts *o, unsigned top)
{
	struct net_drops *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->map_fd = -1;
	d->ncpus = ks_possible_cpus();
	d->vals = calloc(d->ncpus, sizeof(*d->vals));
	d->table = ks_table_new(&drop_table);
	if (!d->vals || !d->table) {
		net_drops_free(d);
		errno = ENOMEM;
		return NULL;
	}
	ks_table_set_ctx(d->table, d);
	ks_table_sort(d->table, D_COUNT);
	ks_table_top(d->table, top);
	from_kernel(d, o->btf_path);
	return d;
}

void net_drops_free(struct net_drops *d)
{
	if (!d)
		return;
	ks_table_free(d->table);
	net_reasons_free(&d->reasons);
	free(d->vals);
	free(d);
}

void net_drops_start(struct net_drops *d, int map_fd)
{
	d->map_fd = map_fd;
	d->period_start = ks_now_ns(CLOCK_MONOTONIC);
}

void net_drops_put(struct net_drops *d, const struct net_drop_key *k,
		   const struct net_drop_val *vals, int ncpus)
{
	const char *proto = net_drop_proto_name(k->proto);
	struct drop_ext *x;
	struct ks_row *r;
	uint64_t count = 0;
	const char *comm = NULL;

	for (int c = 0; c < ncpus; c++) {
		count += vals[c].count;
		if (!comm && vals[c].comm[0])
			comm = vals[c].comm;
	}
	r = ks_table_row(d->table, k);
	if (!r)
		return;
	ks_row_put(r, D_COUNT, count);
	if (k->reason == NET_NONE)
		ks_row_put_absent(r, D_CODE);
	else
		ks_row_put(r, D_CODE, k->reason);
	if (!proto)
		proto = "?";	/* not from this kscope's kernel side */
	ks_row_put_str(r, D_PROTO, proto, strlen(proto));
	if (k->netns)
		ks_row_put(r, D_NETNS, k->netns);
	else
		ks_row_put_absent(r, D_NETNS);
	if (k->cgroup_id)
		ks_row_put(r, D_CGROUP, k->cgroup_id);
	else
		ks_row_put_absent(r, D_CGROUP);
	if (k->uid != NET_NONE)
		ks_row_put(r, D_UID, k->uid);
	else
		ks_row_put_absent(r, D_UID);
	x = ks_row_ext(r);
	if (k->pid) {
		ks_row_put(r, D_PID, k->pid);
		if (comm)
			memcpy(x->comm, comm, sizeof(x->comm));
	} else {
		ks_row_put_absent(r, D_PID);
	}
}

void net_drops_report(struct net_drops *d, struct ks_out *o, bool interval)
{
	struct net_drop_key key, next, *prev = NULL;

	/* keys are never deleted: every count grows from 0, and a period shows what it grew */
	while (d->map_fd >= 0 && !bpf_map_get_next_key(d->map_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(d->map_fd, &key, d->vals))
			net_drops_put(d, &key, d->vals, d->ncpus);
	}
	ks_table_report(d->table, o, NULL, interval, &d->period_start);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kscope net --events: its records (state changes, retransmits, resets,
 * socket errors) checked and printed, and the kernel's reset reasons by
 * name. The reasons are an enum whose values change between kernels (enum
 * sk_rst_reason, 6.10+): their names come from the running kernel's BTF
 * (or --btf FILE), read once, the first time a reason is printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "engine/names.h"
#include "engine/out.h"
#include "net.h"

/* ---- reset reasons ------------------------------------------------------------ */

#define REASON_PREFIX "SK_RST_REASON_"
#define REASONS_MAX   1024	/* values beyond it (none today: 26 on 6.18) have no name */

static char **reasons;		/* by value; NULL: no name */
static unsigned nreasons;
static bool reasons_loaded;
static const char *reasons_btf;	/* --btf FILE, or NULL: the running kernel's */

void net_reset_reasons_free(void)
{
	for (unsigned i = 0; i < nreasons; i++)
		free(reasons[i]);
	free(reasons);
	reasons = NULL;
	nreasons = 0;
	reasons_loaded = false;
}

void net_reset_reasons_set(const char *const *names, unsigned n)
{
	net_reset_reasons_free();
	reasons_loaded = true;
	reasons = calloc(n ? n : 1, sizeof(*reasons));
	if (!reasons)
		return;
	for (unsigned i = 0; i < n; i++)
		reasons[i] = names[i] ? strdup(names[i]) : NULL;
	nreasons = n;
}

static int reasons_from_btf(const struct btf *btf)
{
	const struct btf_type *t;
	const struct btf_enum *v;
	int id = btf__find_by_name_kind(btf, "sk_rst_reason", BTF_KIND_ENUM);
	unsigned n = 0;

	if (id < 0)
		return 0;	/* before 6.10: resets have no reason */
	t = btf__type_by_id(btf, id);
	v = btf_enum(t);
	for (unsigned i = 0; i < btf_vlen(t); i++)
		if ((uint32_t)v[i].val < REASONS_MAX && (unsigned)v[i].val >= n)
			n = v[i].val + 1;
	reasons = calloc(n ? n : 1, sizeof(*reasons));
	if (!reasons)
		return -ENOMEM;
	nreasons = n;
	for (unsigned i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, v[i].name_off);

		if ((uint32_t)v[i].val >= REASONS_MAX || !name || reasons[v[i].val])
			continue;
		if (!strncmp(name, REASON_PREFIX, strlen(REASON_PREFIX)))
			name += strlen(REASON_PREFIX);
		reasons[v[i].val] = strdup(name);
	}
	return 0;
}

int net_reset_reasons_load(const char *btf_path)
{
	struct btf *btf;
	int err;

	net_reset_reasons_free();
	reasons_btf = btf_path;
	reasons_loaded = true;
	btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!btf)
		return -errno ?: -ENOENT;
	err = reasons_from_btf(btf);
	btf__free(btf);
	return err;
}

/* Where the names will come from: read when the first one is wanted */
void net_reset_reasons_source(const char *btf_path)
{
	if (reasons_loaded && reasons_btf != btf_path)
		net_reset_reasons_free();
	reasons_btf = btf_path;
}

const char *net_reset_reason_name(uint32_t reason)
{
	if (!reasons_loaded)
		net_reset_reasons_load(reasons_btf);
	return reason < nreasons ? reasons[reason] : NULL;
}

/* ---- records ------------------------------------------------------------------ */

bool net_is_tcp_event(unsigned type)
{
	return type >= NET_EV_STATE && type <= NET_EV_ERROR;
}

int net_tcp_event_check(const void *data, size_t size)
{
	const struct net_tcp_event *e = data;

	if (size < sizeof(*e) || !net_is_tcp_event(e->hdr.type))
		return -EINVAL;
	if (!net_family_name(e->family))
		return -EINVAL;
	/* 0: no socket (a reset to a closed port) */
	if (e->state && !net_state_name(e->state))
		return -EINVAL;
	if (e->hdr.type == NET_EV_STATE &&
	    (!net_state_name(e->old_state) || !net_state_name(e->state)))
		return -EINVAL;
	if (e->kind > NET_RETRANS_SYNACK || e->error < 0 || e->error > 4095)
		return -EINVAL;
	return 0;
}

static const char *const retrans_kinds[] = {
	[NET_RETRANS_SEGMENT] = "segment", [NET_RETRANS_SYN] = "syn",
	[NET_RETRANS_SYNACK] = "synack",
};

static void rec_state(struct ks_out *o, const char *key, unsigned state, unsigned flags)
{
	const char *name = state ? net_state_name(state) : NULL;

	if (name)
		ks_rec_str(o, key, name, strlen(name), flags);
	else
		ks_rec_null(o, key, flags);
}

static const char *record_type(const struct net_tcp_event *e)
{
	switch (e->hdr.type) {
	case NET_EV_STATE:
		return "net_state";
	case NET_EV_RETRANS:
		return "net_retrans";
	case NET_EV_RESET_SENT:
	case NET_EV_RESET_RECV:
		return "net_reset";
	default:
		return "net_error";
	}
}

void net_print_tcp_event(struct ks_out *o, const struct net_tcp_event *e)
{
	const char *fam = net_family_name(e->family);
	char la[NET_ADDR_STRLEN], ra[NET_ADDR_STRLEN], ep[NET_ADDR_STRLEN + 10];
	size_t n;

	net_addr_str(e->family, e->laddr, la, sizeof(la));
	net_addr_str(e->family, e->raddr, ra, sizeof(ra));
	ks_rec_begin(o, record_type(e), &e->hdr);
	/* text: "10.99.0.1:47236 > 10.99.0.2:9000", JSON: each part */
	n = net_endpoint_str(ep, sizeof(ep), e->family, e->laddr, e->lport);
	ks_rec_str(o, "local", ep, n, KS_TXT_BARE | KS_JSON_HIDE);
	ks_rec_str(o, "to", ">", 1, KS_TXT_BARE | KS_JSON_HIDE);
	n = net_endpoint_str(ep, sizeof(ep), e->family, e->raddr, e->rport);
	ks_rec_str(o, "remote", ep, n, KS_TXT_BARE | KS_JSON_HIDE);
	if (e->conn_id)
		ks_rec_u64(o, "conn_id", e->conn_id, KS_TXT_HIDE);
	else
		ks_rec_null(o, "conn_id", KS_TXT_HIDE);
	ks_rec_str(o, "family", fam, strlen(fam), KS_TXT_HIDE);
	ks_rec_str(o, "laddr", la, strlen(la), KS_TXT_HIDE);
	ks_rec_u64(o, "lport", e->lport, KS_TXT_HIDE);
	ks_rec_str(o, "raddr", ra, strlen(ra), KS_TXT_HIDE);
	ks_rec_u64(o, "rport", e->rport, KS_TXT_HIDE);
	if (e->netns)
		ks_rec_u64(o, "netns", e->netns, KS_TXT_HIDE);
	else
		ks_rec_null(o, "netns", KS_TXT_HIDE);
	switch (e->hdr.type) {
	case NET_EV_STATE:
		/* text: "SYN_SENT -> ESTABLISHED" */
		rec_state(o, "old_state", e->old_state, KS_TXT_BARE);
		ks_rec_str(o, "arrow", "->", 2, KS_TXT_BARE | KS_JSON_HIDE);
		rec_state(o, "new_state", e->state, KS_TXT_BARE);
		break;
	case NET_EV_RETRANS: {
		const char *kind = retrans_kinds[e->kind];

		rec_state(o, "state", e->state, 0);
		ks_rec_str(o, "kind", kind, strlen(kind), 0);
		break;
	}
	case NET_EV_RESET_SENT:
	case NET_EV_RESET_RECV: {
		bool sent = e->hdr.type == NET_EV_RESET_SENT;
		const char *reason = sent && e->reason != NET_NONE ?
				     net_reset_reason_name(e->reason) : NULL;

		ks_rec_str(o, "dir", sent ? "sent" : "received", sent ? 4 : 8, 0);
		rec_state(o, "state", e->state, 0);
		if (reason)
			ks_rec_str(o, "reason", reason, strlen(reason), 0);
		else if (sent && e->reason != NET_NONE)
			ks_rec_u64(o, "reason", e->reason, 0);
		else
			ks_rec_null(o, "reason", KS_TXT_HIDE);
		break;
	}
	default: {
		const char *err = e->error ? ks_errno_name(e->error) : NULL;

		rec_state(o, "state", e->state, 0);
		if (err)
			ks_rec_str(o, "error", err, strlen(err), 0);
		else
			ks_rec_s64(o, "error", e->error, 0);
		break;
	}
	}
	ks_rec_end(o);
}

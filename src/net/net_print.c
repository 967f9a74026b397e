// SPDX-License-Identifier: GPL-2.0
/*
 * kscope net: its records checked and printed. Everything in a record came
 * from the kernel, so it is checked before it is read (net_event_check),
 * and every string goes through the engine's escaping writers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/names.h"
#include "engine/out.h"
#include "net.h"

/* include/net/tcp_states.h */
static const char *const tcp_states[] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV", [4] = "FIN_WAIT1",
	[5] = "FIN_WAIT2", [6] = "TIME_WAIT", [7] = "CLOSE", [8] = "CLOSE_WAIT",
	[9] = "LAST_ACK", [10] = "LISTEN", [11] = "CLOSING", [12] = "NEW_SYN_RECV",
	[13] = "BOUND_INACTIVE",
};

const char *net_state_name(unsigned state)
{
	return state < sizeof(tcp_states) / sizeof(tcp_states[0]) ? tcp_states[state] : NULL;
}

const char *net_family_name(uint16_t family)
{
	return family == NET_AF_INET ? "ipv4" : family == NET_AF_INET6 ? "ipv6" : NULL;
}

const char *net_addr_str(uint16_t family, const uint8_t addr[16], char *buf, size_t n)
{
	if (!inet_ntop(family == NET_AF_INET6 ? AF_INET6 : AF_INET, addr, buf, n)) {
		if (n)
			buf[0] = '\0';
	}
	return buf;
}

int net_event_check(const void *data, size_t size)
{
	const struct net_close_event *e = data;

	if (size < sizeof(*e) || e->hdr.type != NET_EV_CLOSE)
		return -EINVAL;
	if (!net_family_name(e->family) || !net_state_name(e->end.state))
		return -EINVAL;
	if (e->end.error < 0 || e->end.error > 4095 || e->start_ns > e->close_ns ||
	    e->close_ns > e->hdr.ts_ns)
		return -EINVAL;
	return 0;
}

size_t net_endpoint_str(char *buf, size_t n, uint16_t family, const uint8_t addr[16],
			uint16_t port)
{
	char a[NET_ADDR_STRLEN];
	int len;

	net_addr_str(family, addr, a, sizeof(a));
	len = snprintf(buf, n, family == NET_AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
	return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

void net_print_close(struct ks_out *o, const struct net_close_event *e)
{
	const char *fam = net_family_name(e->family), *state = net_state_name(e->end.state);
	char la[NET_ADDR_STRLEN], ra[NET_ADDR_STRLEN], ep[NET_ADDR_STRLEN + 10];
	const char *err = e->end.error ? ks_errno_name(e->end.error) : NULL;
	const char *open = e->flags & NET_F_ADOPTED ? "existing" :
			   e->flags & NET_F_ACTIVE ? "active" : "passive";
	const char *reason;
	size_t n;

	net_addr_str(e->family, e->laddr, la, sizeof(la));
	net_addr_str(e->family, e->raddr, ra, sizeof(ra));
	ks_rec_begin(o, "net_conn", &e->hdr);
	/* text: "10.99.0.1:47236 > 10.99.0.2:9000", JSON: each part */
	n = net_endpoint_str(ep, sizeof(ep), e->family, e->laddr, e->lport);
	ks_rec_str(o, "local", ep, n, KS_TXT_BARE | KS_JSON_HIDE);
	ks_rec_str(o, "to", ">", 1, KS_TXT_BARE | KS_JSON_HIDE);
	n = net_endpoint_str(ep, sizeof(ep), e->family, e->raddr, e->rport);
	ks_rec_str(o, "remote", ep, n, KS_TXT_BARE | KS_JSON_HIDE);
	ks_rec_u64(o, "conn_id", e->id, KS_TXT_HIDE);
	ks_rec_str(o, "family", fam, strlen(fam), KS_TXT_HIDE);
	ks_rec_str(o, "laddr", la, strlen(la), KS_TXT_HIDE);
	ks_rec_u64(o, "lport", e->lport, KS_TXT_HIDE);
	ks_rec_str(o, "raddr", ra, strlen(ra), KS_TXT_HIDE);
	ks_rec_u64(o, "rport", e->rport, KS_TXT_HIDE);
	ks_rec_u64(o, "netns", e->netns, KS_TXT_HIDE);
	ks_rec_str(o, "open", open, strlen(open), KS_TXT_HIDE);
	ks_rec_u64(o, "tx_bytes", e->tx_bytes, 0);
	ks_rec_u64(o, "rx_bytes", e->rx_bytes, 0);
	if (e->flags & NET_F_ADOPTED) {
		/* opened before kscope: how long ago is not known */
		ks_rec_null(o, "duration_ns", KS_TXT_HIDE);
		ks_rec_str(o, "dur", "-", 1, KS_JSON_HIDE);
	} else {
		ks_rec_u64(o, "duration_ns", e->close_ns - e->start_ns, KS_TXT_HIDE);
		ks_rec_ns(o, "dur", e->close_ns - e->start_ns, KS_JSON_HIDE);
	}
	ks_rec_str(o, "state", state, strlen(state), 0);
	if (err)
		ks_rec_str(o, "error", err, strlen(err), 0);
	else if (e->end.error)
		ks_rec_s64(o, "error", e->end.error, 0);
	else
		ks_rec_null(o, "error", KS_TXT_HIDE);
	ks_rec_u64(o, "retrans_segs", e->end.retrans_segs, 0);
	ks_rec_u64(o, "retrans_bytes", e->end.retrans_bytes, KS_TXT_HIDE);
	if (e->end.rtos == NET_NONE)
		ks_rec_null(o, "rtos", KS_TXT_HIDE);
	else
		ks_rec_u64(o, "rtos", e->end.rtos, KS_TXT_NONZERO);
	if (e->end.srtt_us)
		ks_rec_u64(o, "srtt_us", e->end.srtt_us, 0);
	else
		ks_rec_null(o, "srtt_us", 0);
	if (e->end.min_rtt_us != NET_NONE)
		ks_rec_u64(o, "min_rtt_us", e->end.min_rtt_us, KS_TXT_HIDE);
	else
		ks_rec_null(o, "min_rtt_us", KS_TXT_HIDE);
	ks_rec_u64(o, "wire_bytes_sent", e->end.wire_bytes_sent, KS_TXT_HIDE);
	ks_rec_u64(o, "wire_bytes_acked", e->end.wire_bytes_acked, KS_TXT_HIDE);
	ks_rec_u64(o, "wire_bytes_received", e->end.wire_bytes_received, KS_TXT_HIDE);
	ks_rec_u64(o, "resets_sent", e->resets_sent, KS_TXT_NONZERO);
	ks_rec_u64(o, "resets_received", e->resets_received, KS_TXT_NONZERO);
	reason = e->resets_sent && e->reset_reason != NET_NONE ?
		 net_reset_reason_name(e->reset_reason) : NULL;
	if (reason)
		ks_rec_str(o, "reset_reason", reason, strlen(reason), 0);
	else if (e->resets_sent && e->reset_reason != NET_NONE)
		ks_rec_u64(o, "reset_reason", e->reset_reason, 0);
	else
		ks_rec_null(o, "reset_reason", KS_TXT_HIDE);
	ks_rec_end(o);
}

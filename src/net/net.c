// SPDX-License-Identifier: GPL-2.0
/*
 * kscope net: every TCP connection in one row: who owned it, its 4-tuple,
 * netns and cgroup, how long it lived, exactly the bytes its application
 * sent and received, and the kernel's wire, retransmit and RTT counters at
 * its close (net.bpf.c says how each is found).
 *
 * Without an interval, a row is printed when a connection's socket is
 * destroyed (a "net_conn" record, like tcplife's lines). With an interval,
 * each period is a table (engine table, "net_conn_stat") of the connections
 * that lived in it: the live ones from the kernel's map, with the bytes of
 * the period (and what they ended with once closed), and those whose record
 * came, with their last bytes; a connection's periods add up to its totals.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "kscope.h"
#include "engine/cli.h"
#include "engine/names.h"
#include "engine/out.h"
#include "engine/probe.h"
#include "engine/table.h"
#include "engine/trace.h"
#include "engine/util.h"
#include "net.h"
#include "net.skel.h"

KS_SKEL_OPS(net_bpf);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum sort_key { SORT_BYTES, SORT_TX, SORT_RX, SORT_DURATION, SORT_CONNS, SORT_RETRANS,
		SORT_COUNT };

/* --by: one row per connection (none), or its owner's sums */
enum net_by { BY_CONN, BY_PROCESS, BY_CGROUP };

/* --by without an interval: gone connections kept apart at most (then folded per owner) */
#define MAX_GONE_CONNS 4096

struct net_state {
	struct net_bpf *skel;
	/* options */
	uint16_t ports[NET_MAX_PORTS];
	unsigned nports;
	uint16_t family;              /* -4, -6: NET_AF_*; 0 both */
	struct net_addr laddrs[NET_MAX_ADDRS], raddrs[NET_MAX_ADDRS];
	unsigned nladdrs, nraddrs;
	const char *btf_path;         /* --btf */
	unsigned recv_flags_arg;      /* net.bpf.c's; 0 not known yet */
	int sort;                     /* enum sort_key; -1 not given */
	unsigned top;                 /* -n; 0 not given */
	int by;                       /* enum net_by */
	bool events;                  /* --events */
	bool drops;                   /* --drops: the drops table (or, with --by, a column) */
	bool drops_view;              /* --drops without --by: the drops table, no connections */
	unsigned no_hook;             /* --no-hook */
	/* state */
	bool interval_mode;
	bool table_mode;              /* a table per interval, or one at the end (--by) */
	bool filtered;                /* -p, -u, -c, --comm or -- PROGRAM */
	struct ks_table *table;       /* with an interval */
	struct net_drops *drops_table;   /* --drops (net_drops.c) */
	uint64_t period_start;        /* CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
	uint32_t netns;               /* kscope's network namespace (inode) */
};

/* ---- the interval's table --------------------------------------------------- */

enum { C_ID, C_PID, C_COMM, C_CGROUP, C_NETNS, C_FAMILY, C_LADDR, C_LPORT, C_RADDR, C_RPORT,
       C_TX, C_RX, C_BYTES, C_DURATION, C_CLOSED, C_STATE, C_ERROR, C_RETRANS, C_RETRANS_BYTES,
       C_RTOS, C_SRTT, C_MIN_RTT, C_WIRE_SENT, C_WIRE_ACKED, C_WIRE_RECEIVED,
       /* --by: the owner's sums */
       C_CGROUP_PATH, C_CONTAINER, C_CONTAINER_RT = C_CONTAINER + 1, C_CONNS, C_OPENED,
       C_ENDED, C_RETRANS_PERIOD, C_RST_SENT_PERIOD, C_RST_RECV_PERIOD, C_DROPS,
       C_RESETS_SENT, C_RESETS_RECEIVED, C_RESET_REASON, NCOLS };

static uint64_t row_bytes(const struct ks_row *r)
{
	return ks_row_get(r, C_TX) + ks_row_get(r, C_RX);
}

/* A row's labels that only a closed connection has: null (text "-") before */
struct conn_ext {
	bool closed;
	char state[16];            /* the state it closed from */
	char error[24];            /* the errno's name, or its number; "" none */
	char reset_reason[40];     /* the last reset sent's reason; "" none or not given */
};

static void str_or_null_text(struct ks_out *o, const char *s, bool known)
{
	if (known && *s)
		ks_out_text(o, s, strlen(s));
	else
		ks_out_char(o, '-');
}

static void str_or_null_json(struct ks_out *o, const char *s, bool known)
{
	if (known && *s)
		ks_json_str(o, s, strlen(s));
	else
		ks_json_null(o);
}

/* A string column's text and JSON formatters: x->field, null while the connection is open */
#define EXT_STR_COLUMN(field)							\
static void field##_text(struct ks_out *o, const struct ks_row *r)		\
{										\
	const struct conn_ext *x = ks_row_ext(r);				\
										\
	str_or_null_text(o, x->field, x->closed);				\
}										\
										\
static void field##_json(struct ks_out *o, const struct ks_row *r)		\
{										\
	const struct conn_ext *x = ks_row_ext(r);				\
										\
	str_or_null_json(o, x->field, x->closed);				\
}

EXT_STR_COLUMN(state)
EXT_STR_COLUMN(error)
EXT_STR_COLUMN(reset_reason)

static void closed_json(struct ks_out *o, const struct ks_row *r)
{
	ks_json_bool(o, ((const struct conn_ext *)ks_row_ext(r))->closed);
}

/* A row of --by --drops' counts of an owner, not a connection: its key */
#define DROPS_ROW (1ull << 63)

/* Every connection that lived in the period, idle or not; an owner's drops if any */
static bool row_visible(const struct ks_row *r)
{
	return !(*(const uint64_t *)ks_row_key(r) & DROPS_ROW) || ks_row_get(r, C_DROPS);
}

static const struct ks_col net_cols[NCOLS] = {
	[C_ID] = { "conn_id", "ID", KS_COL_COUNT, KS_COL_KEY | KS_COL_TEXT_HIDE },
	[C_PID] = { "pid", "PID", KS_COL_COUNT, KS_COL_LABEL | KS_COL_LEFT, 7 },
	[C_COMM] = { "comm", "COMM", KS_COL_COMM, 0, 16 },
	[C_CGROUP] = { "cgroup_id", "CGROUP", KS_COL_COUNT, KS_COL_LABEL | KS_COL_TEXT_HIDE },
	[C_NETNS] = { "netns", "NETNS", KS_COL_COUNT, KS_COL_LABEL | KS_COL_TEXT_HIDE },
	[C_FAMILY] = { "family", "FAMILY", KS_COL_STR, KS_COL_TEXT_HIDE, 0, .size = 8 },
	[C_LADDR] = { "laddr", "LADDR", KS_COL_STR, 0, 15, .size = NET_ADDR_STRLEN },
	[C_LPORT] = { "lport", "LPORT", KS_COL_COUNT, KS_COL_LABEL, 5 },
	[C_RADDR] = { "raddr", "RADDR", KS_COL_STR, 0, 15, .size = NET_ADDR_STRLEN },
	[C_RPORT] = { "rport", "RPORT", KS_COL_COUNT, KS_COL_LABEL, 5 },
	[C_TX] = { "tx_bytes", "TX", KS_COL_COUNT, KS_COL_CUM, 10,
		   .help = "bytes the application passed to the socket" },
	[C_RX] = { "rx_bytes", "RX", KS_COL_COUNT, KS_COL_CUM, 10,
		   .help = "bytes the application got from the socket" },
	[C_BYTES] = { "bytes", "BYTES", KS_COL_COUNT, KS_COL_DERIVED, 0, .derive = row_bytes },
	[C_DURATION] = { "duration_ns", "DUR(ms)", KS_COL_NS, 0, 10, .text_div = 1000000,
			 .help = "since it was opened" },
	[C_CLOSED] = { "closed", "CLOSED", KS_COL_CUSTOM, KS_COL_TEXT_HIDE, .json = closed_json },
	[C_STATE] = { "state", "STATE", KS_COL_CUSTOM, KS_COL_LEFT, 11, .text = state_text,
		       .json = state_json },
	[C_ERROR] = { "error", "ERROR", KS_COL_CUSTOM, KS_COL_LEFT, 0, .text = error_text,
		       .json = error_json },
	[C_RETRANS] = { "retrans_segs", "RETRANS", KS_COL_COUNT, KS_COL_LABEL, 7 },
	[C_RETRANS_BYTES] = { "retrans_bytes", "RETRANSB", KS_COL_COUNT,
			      KS_COL_LABEL | KS_COL_TEXT_HIDE },
	[C_RTOS] = { "rtos", "RTOS", KS_COL_COUNT, KS_COL_LABEL | KS_COL_TEXT_HIDE },
	[C_SRTT] = { "srtt_us", "SRTT(us)", KS_COL_COUNT, KS_COL_LABEL, 8 },
	[C_MIN_RTT] = { "min_rtt_us", "MINRTT", KS_COL_COUNT, KS_COL_LABEL | KS_COL_TEXT_HIDE },
	[C_WIRE_SENT] = { "wire_bytes_sent", "WSENT", KS_COL_COUNT,
			  KS_COL_LABEL | KS_COL_TEXT_HIDE },
	[C_WIRE_ACKED] = { "wire_bytes_acked", "WACKED", KS_COL_COUNT,
			   KS_COL_LABEL | KS_COL_TEXT_HIDE },
	[C_WIRE_RECEIVED] = { "wire_bytes_received", "WRECV", KS_COL_COUNT,
			      KS_COL_LABEL | KS_COL_TEXT_HIDE },
	[C_RESETS_SENT] = { "resets_sent", "RSTSENT", KS_COL_COUNT,
			    KS_COL_LABEL | KS_COL_TEXT_HIDE },
	[C_RESETS_RECEIVED] = { "resets_received", "RSTRECV", KS_COL_COUNT,
				KS_COL_LABEL | KS_COL_TEXT_HIDE },
	[C_RESET_REASON] = { "reset_reason", "RSTREASON", KS_COL_CUSTOM, KS_COL_TEXT_HIDE,
			     .text = reset_reason_text, .json = reset_reason_json },
	/* each connection's row holds 1 or 0: a group's row, how many */
	[C_CGROUP_PATH] = { "cgroup", "CGROUP", KS_COL_STR, 0, 24, .size = 256 },
	KS_CONTAINER_COLS(C_CONTAINER),
	[C_CONNS] = { "conns", "CONNS", KS_COL_COUNT, 0, 6,
		      .help = "connections that lived in the period" },
	[C_OPENED] = { "conns_opened", "OPENED", KS_COL_COUNT, 0, 6,
		       .help = "connections opened in the period" },
	[C_ENDED] = { "conns_closed", "CLOSED", KS_COL_COUNT, 0, 6,
		      .help = "connections whose socket was destroyed in the period" },
	[C_RETRANS_PERIOD] = { "retrans_segs", "RETRANS", KS_COL_COUNT, KS_COL_CUM, 7,
			       .help = "segments retransmitted in the period" },
	[C_RST_SENT_PERIOD] = { "resets_sent", "RSTSENT", KS_COL_COUNT, KS_COL_CUM, 7,
				.help = "resets sent in the period" },
	[C_RST_RECV_PERIOD] = { "resets_received", "RSTRECV", KS_COL_COUNT, KS_COL_CUM, 7,
				.help = "resets received in the period" },
	[C_DROPS] = { "drops", "DROPS", KS_COL_COUNT, KS_COL_CUM, 7,
		      .help = "packets of the owner's sockets the kernel dropped in the period" },
};

static const int net_text_order[] = { C_PID, C_COMM, C_CGROUP_PATH, C_CONTAINER, C_CONNS,
				      C_OPENED, C_ENDED, C_LADDR, C_LPORT, C_RADDR, C_RPORT, C_TX,
				      C_RX, C_RETRANS_PERIOD, C_RST_SENT_PERIOD, C_RST_RECV_PERIOD,
				      C_DROPS, C_DURATION, C_STATE, C_RETRANS, C_SRTT,
				      C_ERROR, C_ID, C_CGROUP, C_NETNS, C_FAMILY, C_BYTES,
				      C_CLOSED, C_RETRANS_BYTES, C_RTOS, C_MIN_RTT, C_WIRE_SENT,
				      C_WIRE_ACKED, C_WIRE_RECEIVED, C_RESETS_SENT,
				      C_RESETS_RECEIVED, C_RESET_REASON, C_CONTAINER_RT };
_Static_assert(ARRAY_SIZE(net_text_order) == NCOLS, "every column in the text order");
static const int net_ties[] = { C_BYTES, -1 };

static const struct ks_table_desc net_table = {
	.type = "net_conn_stat",
	.cols = net_cols,
	.ncols = NCOLS,
	.key_size = sizeof(uint64_t),
	.text_order = net_text_order,
	.ties = net_ties,
	.ext_size = sizeof(struct conn_ext),
	.visible = row_visible,
};

/* A cgroup's path for its group row (the id's, if it is gone); with -C its container */
static void cgroup_prepare(struct ks_row *g)
{
	uint64_t id = ks_row_get(g, C_CGROUP);
	char buf[24];

	/* a socket's cgroup is a v2 one */
	if (!ks_row_put_cgroup(g, C_CGROUP_PATH, C_CONTAINER, "", id)) {
		snprintf(buf, sizeof(buf), "%" PRIu64, id);
		ks_row_put_str(g, C_CGROUP_PATH, buf, strlen(buf));
	}
}

static const int by_pid[] = { C_PID, -1 }, by_cgroup[] = { C_CGROUP, -1 };

static const struct ks_table_group net_groups[] = {
	[BY_PROCESS] = { .type = "net_process_stat", .by = by_pid, .leader = -1 },
	[BY_CGROUP] = { .type = "net_cgroup_stat", .by = by_cgroup, .leader = -1,
			.prepare = cgroup_prepare },
};

/* What each view shows of the columns (the rest: hidden) */
static const int conn_only[] = { C_ID, C_NETNS, C_FAMILY, C_LADDR, C_LPORT, C_RADDR, C_RPORT,
				 C_DURATION, C_CLOSED, C_STATE, C_ERROR, C_RETRANS,
				 C_RETRANS_BYTES, C_RTOS, C_SRTT, C_MIN_RTT, C_WIRE_SENT,
				 C_WIRE_ACKED, C_WIRE_RECEIVED, C_RESETS_SENT, C_RESETS_RECEIVED,
				 C_RESET_REASON };
static const int group_only[] = { C_CONNS, C_OPENED, C_ENDED, C_RETRANS_PERIOD,
				  C_RST_SENT_PERIOD, C_RST_RECV_PERIOD };

/* The counters only a close has: unknown (null, "-") while a connection lives */
static const int close_only[] = { C_RETRANS, C_RETRANS_BYTES, C_RTOS, C_SRTT,
				  C_MIN_RTT, C_WIRE_SENT, C_WIRE_ACKED, C_WIRE_RECEIVED,
				  C_RESETS_SENT, C_RESETS_RECEIVED };

static struct ks_row *conn_row(struct net_state *st, uint64_t id, const struct ks_hdr *owner,
			       uint32_t netns, uint16_t family, const uint8_t *laddr,
			       uint16_t lport, const uint8_t *raddr, uint16_t rport)
{
	struct ks_row *r = ks_table_row(st->table, &id);
	char a[NET_ADDR_STRLEN];
	const char *fam = net_family_name(family);

	if (!r)
		return NULL;
	ks_row_put(r, C_ID, id);
	ks_row_put(r, C_PID, owner->pid);
	ks_row_put_str(r, C_COMM, owner->comm, sizeof(owner->comm));
	ks_row_put(r, C_CGROUP, owner->cgroup_id);
	ks_row_put(r, C_NETNS, netns);
	if (fam) {
		ks_row_put_str(r, C_FAMILY, fam, strlen(fam));
		net_addr_str(family, laddr, a, sizeof(a));
		ks_row_put_str(r, C_LADDR, a, strlen(a));
		net_addr_str(family, raddr, a, sizeof(a));
		ks_row_put_str(r, C_RADDR, a, strlen(a));
	}
	ks_row_put(r, C_LPORT, lport);
	ks_row_put(r, C_RPORT, rport);
	ks_row_put(r, C_CONNS, 1);
	ks_row_put(r, C_ENDED, 0);
	return r;
}

/* Its resets: counted until its socket's end */
static void put_resets(struct ks_row *r, uint32_t sent, uint32_t received, uint32_t reason)
{
	struct conn_ext *x = ks_row_ext(r);
	const char *name = sent && reason != NET_NONE ? net_reset_reason_name(reason) : NULL;

	ks_row_put(r, C_RESETS_SENT, sent);
	ks_row_put(r, C_RESETS_RECEIVED, received);
	ks_row_put(r, C_RST_SENT_PERIOD, sent);
	ks_row_put(r, C_RST_RECV_PERIOD, received);
	if (name)
		snprintf(x->reset_reason, sizeof(x->reset_reason), "%s", name);
	else if (sent && reason != NET_NONE)
		snprintf(x->reset_reason, sizeof(x->reset_reason), "%u", reason);
	else
		x->reset_reason[0] = '\0';
}

/* Since it opened; not known for one opened before kscope (NET_F_ADOPTED) */
static void put_duration(struct ks_row *r, uint32_t flags, uint64_t ns)
{
	if (flags & NET_F_ADOPTED)
		ks_row_put_absent(r, C_DURATION);
	else
		ks_row_put(r, C_DURATION, ns);
}

/* Opened in this period (its start on the clock of bpf_ktime_get_ns) */
static void put_opened(struct net_state *st, struct ks_row *r, uint32_t flags, uint64_t start_ns)
{
	ks_row_put(r, C_OPENED, !(flags & NET_F_ADOPTED) && start_ns >= st->period_start);
}

/*
 * The kernel's counters of a connection: what it ended with (at TCP_CLOSE),
 * or, while it lives, what the iterator read this period. retrans_base: its
 * retransmits from before kscope saw it (NET_F_ADOPTED), not the period's.
 */
static void put_counters(struct ks_row *r, const struct net_tcp_end *end, uint32_t retrans_base)
{
	ks_row_put(r, C_RETRANS_PERIOD, end->retrans_segs >= retrans_base ?
					end->retrans_segs - retrans_base : 0);
	ks_row_put(r, C_RETRANS, end->retrans_segs);
	ks_row_put(r, C_RETRANS_BYTES, end->retrans_bytes);
	if (end->rtos == NET_NONE)
		ks_row_put_absent(r, C_RTOS);
	else
		ks_row_put(r, C_RTOS, end->rtos);
	if (end->srtt_us)
		ks_row_put(r, C_SRTT, end->srtt_us);
	else
		ks_row_put_absent(r, C_SRTT);
	if (end->min_rtt_us != NET_NONE)
		ks_row_put(r, C_MIN_RTT, end->min_rtt_us);
	else
		ks_row_put_absent(r, C_MIN_RTT);
	ks_row_put(r, C_WIRE_SENT, end->wire_bytes_sent);
	ks_row_put(r, C_WIRE_ACKED, end->wire_bytes_acked);
	ks_row_put(r, C_WIRE_RECEIVED, end->wire_bytes_received);
}

/* What a connection ended with (at TCP_CLOSE): the columns only a close has */
static void put_end(struct ks_row *r, const struct net_tcp_end *end, uint32_t retrans_base)
{
	const char *state = net_state_name(end->state), *err;
	struct conn_ext *x = ks_row_ext(r);

	x->closed = true;
	snprintf(x->state, sizeof(x->state), "%s", state ? state : "?");
	err = end->error ? ks_errno_name(end->error) : NULL;
	if (err)
		snprintf(x->error, sizeof(x->error), "%s", err);
	else if (end->error)
		snprintf(x->error, sizeof(x->error), "%d", end->error);
	else
		x->error[0] = '\0';
	put_counters(r, end, retrans_base);
}

/* The live connections, as the kernel's map has them now */
/* A network namespace a live connection is in, and a process to enter it through */
struct ns_pid {
	uint32_t netns, pid;
};

/* Not decided yet if the filters want it: an owner to be found, --port before the local port */
static bool conn_undecided(const struct net_state *st, const struct net_conn *c)
{
	return (!(c->flags & NET_F_OWNER) && st->filtered) || (c->flags & NET_F_PORTS);
}

/* The namespaces other than kscope's that live connections with a known owner are in */
static void foreign_netns(const struct net_state *st, int fd, struct ks_vec *nets)
{
	uint64_t key, next, *prev = NULL;
	struct net_conn c;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct ns_pid n;
		bool seen = false;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &c) || c.end.state || c.netns == st->netns ||
		    !(c.flags & NET_F_OWNER))
			continue;
		for (size_t i = 0; i < nets->n && !seen; i++)
			seen = ((struct ns_pid *)ks_vec_at(nets, i))->netns == c.netns;
		n = (struct ns_pid){ c.netns, c.pid };
		if (!seen && !ks_vec_push(nets, &n))
			return;
	}
}

/*
 * The live connections' kernel counters brought up to date by whichever
 * iterator the kernel took: over the map (every namespace at once), or
 * over the TCP sockets of kscope's network namespace and of each other one
 * a live connection is in, entered through its owner (setns: where kscope
 * may, CAP_SYS_ADMIN; elsewhere those rows show "-" until they close).
 */
static void refresh_live(struct net_state *st, int fd)
{
	struct bpf_program *tcp = st->skel->progs.net_live_tcp_iter;
	struct ks_vec nets = KS_VEC(struct ns_pid);
	int self;

	if (!ks_iter_run(st->skel->progs.net_live_map_iter, fd) || ks_iter_run(tcp, -1))
		return;
	foreign_netns(st, fd, &nets);
	self = nets.n ? open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC) : -1;
	for (size_t i = 0; self >= 0 && i < nets.n; i++) {
		const struct ns_pid *n = ks_vec_at(&nets, i);
		char path[48];
		struct stat sb;
		int nsfd;

		snprintf(path, sizeof(path), "/proc/%u/ns/net", n->pid);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0)
			continue;
		/* still that namespace's process (not a reused pid), and kscope may enter */
		if (!fstat(nsfd, &sb) && sb.st_ino == n->netns && !setns(nsfd, CLONE_NEWNET)) {
			ks_iter_run(tcp, -1);
			if (setns(self, CLONE_NEWNET)) {
				/* cannot happen (it came from there); never trace from elsewhere */
				fprintf(stderr, "kscope: cannot return to its network namespace: %s\n",
					strerror(errno));
				abort();
			}
		}
		close(nsfd);
	}
	if (self >= 0)
		close(self);
	ks_vec_free(&nets);
}

/*
 * --by with --drops: the drops map's counts summed per owner (its pid, or
 * the socket's cgroup), each into a row of its own that groups with the
 * owner's connections (a drop whose socket kscope does not follow has pid 0)
 */
static void collect_drops(struct net_state *st)
{
	int fd = bpf_map__fd(st->skel->maps.drops), ncpus = ks_possible_cpus();
	struct net_drop_key key, next, *prev = NULL;
	struct net_drop_val *vals = calloc(ncpus, sizeof(*vals));
	struct drop_owner {
		uint32_t pid;           /* --by process */
		uint64_t cgroup_id;     /* --by cgroup */
		char comm[KS_COMM_LEN];
		uint64_t count;         /* all its keys' */
	};
	struct ks_vec owners = KS_VEC(struct drop_owner);

	while (vals && !bpf_map_get_next_key(fd, prev, &next)) {
		struct drop_owner *h = NULL, o = { .pid = next.pid, .cgroup_id = next.cgroup_id };
		uint64_t n = 0;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		if (st->by == BY_PROCESS)
			o.cgroup_id = 0;
		else
			o.pid = 0;
		for (int c = 0; c < ncpus; c++) {
			n += vals[c].count;
			if (vals[c].comm[0] && st->by == BY_PROCESS)
				memcpy(o.comm, vals[c].comm, sizeof(o.comm));
		}
		for (size_t i = 0; i < owners.n && !h; i++) {
			struct drop_owner *x = ks_vec_at(&owners, i);

			if (x->pid == o.pid && x->cgroup_id == o.cgroup_id)
				h = x;
		}
		if (!h && !(h = ks_vec_push(&owners, &o)))
			break;
		h->count += n;
		if (!h->comm[0])
			memcpy(h->comm, o.comm, sizeof(h->comm));
	}
	for (size_t i = 0; i < owners.n; i++) {
		const struct drop_owner *h = ks_vec_at(&owners, i);
		uint64_t id = DROPS_ROW | (st->by == BY_PROCESS ? h->pid : h->cgroup_id);
		struct ks_row *r = ks_table_row(st->table, &id);

		if (!r)
			break;
		ks_row_put(r, C_ID, id);
		ks_row_put(r, C_PID, h->pid);
		ks_row_put_str(r, C_COMM, h->comm, sizeof(h->comm));
		ks_row_put(r, C_CGROUP, h->cgroup_id);
		ks_row_put(r, C_DROPS, h->count);
	}
	ks_vec_free(&owners);
	free(vals);
}

static void collect_live(struct net_state *st, uint64_t now)
{
	int fd = bpf_map__fd(st->skel->maps.conns);
	uint64_t key, next, *prev = NULL;
	/* the iterators stamp what they read: older is from another period */
	uint64_t live_since = ks_now_ns(CLOCK_MONOTONIC);
	struct net_conn c;

	refresh_live(st, fd);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct ks_hdr owner = {};
		struct ks_row *r;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &c))
			continue;
		if (conn_undecided(st, &c))
			continue;
		r = ks_table_find(st->table, &c.id);
		if (r && ks_row_is_gone(r))
			continue;	/* its close came first */
		owner.pid = c.pid;
		owner.cgroup_id = c.cgroup_id;
		memcpy(owner.comm, c.comm, sizeof(owner.comm));
		r = conn_row(st, c.id, &owner, c.netns, c.family, c.laddr, c.lport, c.raddr,
			     c.rport);
		if (!r)
			continue;
		put_opened(st, r, c.flags, c.start_ns);
		ks_row_put(r, C_TX, c.tx_bytes);
		ks_row_put(r, C_RX, c.rx_bytes);
		if (c.end.state) {
			/* closed, its socket not yet: what it ended with is known */
			put_duration(r, c.flags, c.close_ns - c.start_ns);
			put_end(r, &c.end, c.retrans_base);
			put_resets(r, c.resets_sent, c.resets_received, c.reset_reason);
			continue;
		}
		put_duration(r, c.flags, now > c.start_ns ? now - c.start_ns : 0);
		/* the map's reset counts are current: the owner's sums take them now */
		ks_row_put(r, C_RST_SENT_PERIOD, c.resets_sent);
		ks_row_put(r, C_RST_RECV_PERIOD, c.resets_received);
		if (c.live_ns >= live_since) {
			put_counters(r, &c.live, c.retrans_base);
			continue;
		}
		for (size_t i = 0; i < ARRAY_SIZE(close_only); i++)
			ks_row_put_absent(r, close_only[i]);
	}
}

/* A connection's record: its last bytes and what it ended with, then gone */
static void put_closed(struct net_state *st, const struct net_close_event *e)
{
	struct ks_row *r;

	r = conn_row(st, e->id, &e->hdr, e->netns, e->family, e->laddr, e->lport, e->raddr,
		     e->rport);
	if (!r)
		return;
	put_opened(st, r, e->flags, e->start_ns);
	ks_row_put(r, C_TX, e->tx_bytes);
	ks_row_put(r, C_RX, e->rx_bytes);
	put_duration(r, e->flags, e->close_ns - e->start_ns);
	put_end(r, &e->end, e->retrans_base);
	put_resets(r, e->resets_sent, e->resets_received, e->reset_reason);
	ks_row_put(r, C_ENDED, 1);
	ks_row_gone(r);
}

/* ---- the tracer ------------------------------------------------------------- */

static const struct ks_probe net_probes[] = {
	{ "destroy", { KS_PROG(net_bpf, net_destroy_btf), KS_PROG(net_bpf, net_destroy_raw),
		       KS_PROG(net_bpf, net_destroy_tp) } },
	{ "state", { KS_PROG(net_bpf, net_state_btf), KS_PROG(net_bpf, net_state_raw),
		     KS_PROG(net_bpf, net_state_tp) } },
	{ "send", { KS_PROG(net_bpf, net_send_btf), KS_PROG(net_bpf, net_send_raw),
		    KS_PROG(net_bpf, net_send_tp), KS_PROG(net_bpf, net_send_fexit),
		    KS_PROG(net_bpf, net_send_kret) },
	  .with = { KS_WITH(net_bpf, net_send_kret, net_send_kprobe) } },
	{ "recv", { KS_PROG(net_bpf, net_recv_btf), KS_PROG(net_bpf, net_recv_raw),
		    KS_PROG(net_bpf, net_recv_tp), KS_PROG(net_bpf, net_recv_fexit),
		    KS_PROG(net_bpf, net_recv_kret) },
	  .with = { KS_WITH(net_bpf, net_recv_kret, net_recv_kprobe) } },
	/* resets: counted on the connection always; the rest only for --events */
	{ "reset-sent", { KS_PROG(net_bpf, net_rst_sent_btf), KS_PROG(net_bpf, net_rst_sent_raw),
			  KS_PROG(net_bpf, net_rst_sent_tp) } },
	{ "reset-recv", { KS_PROG(net_bpf, net_rst_recv_btf), KS_PROG(net_bpf, net_rst_recv_raw),
			  KS_PROG(net_bpf, net_rst_recv_tp) } },
	{ "retrans", { KS_PROG(net_bpf, net_retrans_btf), KS_PROG(net_bpf, net_retrans_raw),
		       KS_PROG(net_bpf, net_retrans_tp) }, KS_PROBE_OPTIONAL },
	{ "retrans-synack", { KS_PROG(net_bpf, net_synack_btf), KS_PROG(net_bpf, net_synack_raw),
			      KS_PROG(net_bpf, net_synack_tp) }, KS_PROBE_OPTIONAL },
	{ "error", { KS_PROG(net_bpf, net_error_btf), KS_PROG(net_bpf, net_error_raw),
		     KS_PROG(net_bpf, net_error_tp) }, KS_PROBE_OPTIONAL | KS_PROBE_BEST },
	/* tables: the live connections' counters each period (none: "-" until they close) */
	{ "live", { KS_PROG(net_bpf, net_live_map_iter), KS_PROG(net_bpf, net_live_tcp_iter) },
	  KS_PROBE_OPTIONAL | KS_PROBE_BEST },

	/* per packet: only with --drops */
	{ "drops", { KS_PROG(net_bpf, net_drop_btf), KS_PROG(net_bpf, net_drop_raw),
		     KS_PROG(net_bpf, net_drop_tp) }, KS_PROBE_OPTIONAL },
	/* --drops before 6.11: the socket of a UDP receive buffer drop */
	{ "udp-fail", { KS_PROG(net_bpf, net_udp_fail_btf), KS_PROG(net_bpf, net_udp_fail_raw) },
	  KS_PROBE_OPTIONAL },
};

/*
 * udp-fail: only where kfree_skb does not name the socket, and where it has
 * a hook (its tracepoint has no socket: tp_btf or raw_tp); without it those
 * drops are counted without their socket
 */
static bool udp_fail_wanted(const struct net_state *st)
{
	return st->drops && !net_drops_kernel_names_sk(st->drops_table) &&
	       (st->no_hook & (KS_FAM_TP_BTF | KS_FAM_RAW_TP)) != (KS_FAM_TP_BTF | KS_FAM_RAW_TP);
}

/* The optional probes: the iterator for tables, the drops', the rest for --events */
static bool net_wanted(void *state, const struct ks_probe *p)
{
	const struct net_state *st = state;

	if (!strcmp(p->name, "live"))
		return st->table_mode && !st->drops_view;
	if (!strcmp(p->name, "udp-fail"))
		return udp_fail_wanted(st);
	if (!strcmp(p->name, "drops"))
		return st->drops;
	return st->events;
}

/* After a `nonblock` (4) when the prototype has six parameters (until 5.19), else 3 */
unsigned net_recv_flags_arg(const struct btf *btf)
{
	const struct btf_type *t = NULL;
	int id = btf__find_by_name_kind(btf, "tcp_recvmsg", BTF_KIND_FUNC);

	if (id > 0)
		t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	return t && btf_is_func_proto(t) && btf_vlen(t) == 6 ? 4 : 3;
}

/*
 * tcp_recvmsg()'s flags, for the kprobe, from the kernel's BTF. Only a
 * kernel without the sock_recv_length tracepoint (6.3+, so long after
 * 5.19) can come to the kprobe, and only there is the BTF read.
 */
static unsigned recv_flags_arg(const char *btf_path)
{
	const char *tfs = ks_tracefs();
	char path[256];
	struct btf *btf;
	unsigned arg;

	snprintf(path, sizeof(path), "%s/events/sock/sock_recv_length", tfs ? tfs : "");
	if (tfs && !access(path, F_OK))
		return 3;
	btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!btf)
		return 3;
	arg = net_recv_flags_arg(btf);
	btf__free(btf);
	return arg;
}

static int net_configure(void *state, void *skel)
{
	struct net_state *st = state;
	struct net_bpf *s = skel;

	if (!st->recv_flags_arg)
		st->recv_flags_arg = recv_flags_arg(st->btf_path);
	s->rodata->recv_flags_arg = st->recv_flags_arg;

	memcpy((void *)s->rodata->ports, st->ports, sizeof(st->ports));
	s->rodata->nports = st->nports;
	s->rodata->family_only = st->family;
	s->rodata->events_on = st->events;
	s->rodata->drops_only = st->drops_view;
	s->rodata->udp_owner_late = udp_fail_wanted(st);
	memcpy((void *)s->rodata->laddrs, st->laddrs, sizeof(st->laddrs));
	s->rodata->nladdrs = st->nladdrs;
	memcpy((void *)s->rodata->raddrs, st->raddrs, sizeof(st->raddrs));
	s->rodata->nraddrs = st->nraddrs;
	if (!st->drops)
		return bpf_map__set_max_entries(s->maps.drops, 1);
	return 0;
}

static int net_start(void *state, void *skel, struct ks_out *o)
{
	struct net_state *st = state;
	struct stat sb;

	st->skel = skel;
	st->period_start = ks_now_ns(CLOCK_MONOTONIC);
	if (!stat("/proc/self/ns/net", &sb))
		st->netns = sb.st_ino;
	if (st->drops_view)
		net_drops_start(st->drops_table, bpf_map__fd(st->skel->maps.drops));
	else if (!st->table_mode)
		ks_rec_header(o);
	return 0;
}

static int net_event(void *state, struct ks_out *o, const void *data, size_t size)
{
	struct net_state *st = state;
	const struct net_close_event *e = data;

	if (size >= sizeof(struct ks_hdr) && net_is_tcp_event(e->hdr.type)) {
		if (net_tcp_event_check(data, size))
			return -EINVAL;
		net_print_tcp_event(o, data);
		return 0;
	}
	if (net_event_check(data, size))
		return -EINVAL;
	if (st->drops_view)
		return 0;	/* none are sent (drops_only) */
	if (st->table_mode)
		put_closed(st, e);
	else
		net_print_close(o, e);
	return 0;
}

static int net_report(void *state, struct ks_out *o, unsigned flags)
{
	struct net_state *st = state;
	uint64_t now = ks_now_ns(CLOCK_MONOTONIC);

	(void)flags;
	if (st->drops_view) {
		net_drops_report(st->drops_table, o, st->interval_mode);
		return 0;
	}
	if (!st->table_mode)
		return 0;	/* each connection was printed at its close */
	collect_live(st, now);
	if (st->drops)
		collect_drops(st);
	ks_table_report(st->table, o, NULL, st->interval_mode, &st->period_start);
	return 0;
}

static void net_housekeeping(void *state)
{
	struct net_state *st = state;

	/* the kernel deletes what it sends; a summary at the end keeps a row per owner */
	if (st->table && !st->interval_mode)
		ks_table_fold_gone_groups(st->table, MAX_GONE_CONNS);
}

/* A closed connection's record, from its entry (its socket not destroyed yet) */
static void close_from_entry(struct net_close_event *e, const struct net_conn *c, uint64_t now)
{
	memset(e, 0, sizeof(*e));
	e->hdr = (struct ks_hdr){ .ts_ns = now, .cgroup_id = c->cgroup_id, .type = NET_EV_CLOSE,
				  .pid = c->pid, .tid = c->tid, .ppid = c->ppid, .uid = c->uid };
	memcpy(e->hdr.comm, c->comm, sizeof(e->hdr.comm));
	e->id = c->id;
	e->start_ns = c->start_ns;
	e->close_ns = c->close_ns;
	e->tx_bytes = c->tx_bytes;
	e->rx_bytes = c->rx_bytes;
	e->end = c->end;
	e->netns = c->netns;
	e->flags = c->flags;
	e->family = c->family;
	e->lport = c->lport;
	e->rport = c->rport;
	memcpy(e->laddr, c->laddr, sizeof(e->laddr));
	memcpy(e->raddr, c->raddr, sizeof(e->raddr));
	e->retrans_base = c->retrans_base;
	e->resets_sent = c->resets_sent;
	e->resets_received = c->resets_received;
	e->reset_reason = c->reset_reason;
}

/*
 * Tracing ended: what the kernel still holds. A connection that closed but
 * whose socket the application had not closed yet is complete: its row,
 * from the entry. One still open is said on stderr, never dropped silently
 * (an interval's last report has shown it).
 */
static int net_finish(void *state, struct ks_out *o)
{
	struct net_state *st = state;
	uint64_t key, next, *prev = NULL, now = ks_now_ns(CLOCK_MONOTONIC);
	size_t open = 0;
	struct net_conn c;
	int fd;

	if (st->table_mode || st->drops_view || !st->skel)
		return 0;
	fd = bpf_map__fd(st->skel->maps.conns);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct net_close_event e;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &c))
			continue;
		if (conn_undecided(st, &c))
			continue;
		if (!c.end.state) {
			open++;
			continue;
		}
		close_from_entry(&e, &c, now);
		if (!net_event_check(&e, sizeof(e)))
			net_print_close(o, &e);
	}
	if (open)
		fprintf(stderr, "kscope: %zu TCP connection%s still open when tracing ended: not "
			"shown (an interval shows live connections)\n", open, open == 1 ? "" : "s");
	return 0;
}

const struct ks_tracer net_tracer = {
	KS_TRACER(net, "TCP connections"),
	.configure = net_configure,
	.wanted = net_wanted,
	KS_TRACER_SUMMARY(net),
};

/* ---- command line ----------------------------------------------------------- */

enum { OPT_PORT = 0x200, OPT_BY, OPT_EVENTS, OPT_DROPS, OPT_LADDR, OPT_RADDR };

static const struct ks_cli_opt net_opts[] = {
	{ "port", OPT_PORT, "PORT[,PORT]", "only connections with either end on these ports" },
	{ "laddr", OPT_LADDR, "ADDR[,ADDR]", "only connections with these local addresses "
	  "(IPv4, IPv6)" },
	{ "raddr", OPT_RADDR, "ADDR[,ADDR]", "only connections with these remote addresses" },
	{ "ipv4", '4', NULL, "only IPv4 connections" },
	{ "ipv6", '6', NULL, "only IPv6 connections" },
	{ "by", OPT_BY, "KIND", "a summary per process or cgroup (each interval, or at the end)" },
	{ "drops", OPT_DROPS, NULL, "instead of connections: packet drops by kernel reason and owner",
	  KS_CLI_SET(struct net_state, drops) },
	{ "sort", 's', "KEY", "tables: order rows by bytes (default), tx, rx, duration, conns "
	  "or retrans; --drops: count" },
	{ "top", 'n', "N", "tables: show the first N rows only" },
	{ "events", OPT_EVENTS, NULL, "also stream state changes, retransmits, resets and errors",
	  KS_CLI_SET(struct net_state, events) },
	{ 0 }
};

static struct ks_cli net_cli;

static int add_port(void *ctx, const char *item)
{
	struct net_state *st = ctx;
	char *end;
	long v;

	errno = 0;
	v = strtol(item, &end, 10);
	if (errno || *end || end == item || v < 1 || v > 65535) {
		ks_cli_error(&net_cli, "invalid port '%s' (1-65535)", item);
		return -1;
	}
	for (unsigned i = 0; i < st->nports; i++)
		if (st->ports[i] == v)
			return 0;
	if (st->nports == NET_MAX_PORTS) {
		ks_cli_error(&net_cli, "at most %d ports", NET_MAX_PORTS);
		return -1;
	}
	st->ports[st->nports++] = (uint16_t)v;
	return 0;
}

/* --laddr, --raddr: the list an address goes to */
struct addr_list {
	struct net_addr *addrs;
	unsigned *n;
	const char *opt;
};

static int add_addr(void *ctx, const char *item)
{
	struct addr_list *l = ctx;
	struct net_addr a = {};

	if (inet_pton(AF_INET, item, a.addr) == 1) {
		a.family = NET_AF_INET;
	} else if (inet_pton(AF_INET6, item, a.addr) == 1) {
		a.family = NET_AF_INET6;
	} else {
		ks_cli_error(&net_cli, "invalid address '%s' for --%s (an IPv4 or IPv6 address)",
			     item, l->opt);
		return -1;
	}
	for (unsigned i = 0; i < *l->n; i++)
		if (!memcmp(&l->addrs[i], &a, sizeof(a)))
			return 0;
	if (*l->n == NET_MAX_ADDRS) {
		ks_cli_error(&net_cli, "at most %d addresses for --%s", NET_MAX_ADDRS, l->opt);
		return -1;
	}
	l->addrs[(*l->n)++] = a;
	return 0;
}

static int parse_addrs(struct net_state *st, int key, const char *arg)
{
	struct addr_list l = { st->laddrs, &st->nladdrs, "laddr" };
	int rc;

	if (key == OPT_RADDR)
		l = (struct addr_list){ st->raddrs, &st->nraddrs, "raddr" };
	rc = ks_cli_list(arg, add_addr, &l);
	if (rc == -EINVAL)
		ks_cli_error(&net_cli, "invalid address list '%s' for --%s (ADDR[,ADDR...])", arg,
			     l.opt);
	return rc ? -1 : 0;
}

static int net_parse(void *state, int key, const char *arg)
{
	struct net_state *st = state;
	int rc;

	switch (key) {
	case OPT_PORT:
		rc = ks_cli_list(arg, add_port, st);
		if (rc == -EINVAL)
			ks_cli_error(&net_cli, "invalid port list '%s' (PORT[,PORT...])", arg);
		return rc ? -1 : 0;
	case OPT_LADDR:
	case OPT_RADDR:
		return parse_addrs(st, key, arg);
	case '4':
		st->family = NET_AF_INET;
		return 0;
	case '6':
		st->family = NET_AF_INET6;
		return 0;
	case OPT_BY:
		if (!strcmp(arg, "process"))
			st->by = BY_PROCESS;
		else if (!strcmp(arg, "cgroup"))
			st->by = BY_CGROUP;
		else {
			ks_cli_error(&net_cli, "invalid --by '%s' (process or cgroup)", arg);
			return -1;
		}
		return 0;
	}
	return -1;
}

static const struct ks_cli_conflict net_conflicts[] = {
	{ '4', '6', "each leaves the other family out" },
	{ OPT_EVENTS, KS_CLI_KEY_INTERVAL, "the events are a stream, an interval's table a summary" },
	{ OPT_EVENTS, OPT_BY, "the events are a stream, --by a summary" },
	{ OPT_DROPS, OPT_EVENTS, "--drops shows packet drops instead of connections" },
	{ OPT_DROPS, OPT_LADDR, "--drops counts packets: it filters by --port and -4/-6" },
	{ OPT_DROPS, OPT_RADDR, "--drops counts packets: it filters by --port and -4/-6" },
	{ 0 }
};

/* --drops: a table every interval and at the end, of drops counted by count */
static int drops_setup(struct net_state *st, struct ks_opts *o)
{
	if (st->sort >= 0 && st->sort != SORT_COUNT) {
		ks_cli_error(&net_cli, "--drops counts packets: its table sorts by count only");
		return KS_EXIT_USAGE;
	}
	st->drops_table = net_drops_new(o, st->top);
	return st->drops_table ? 0 : KS_EXIT_FAIL;
}

static int net_setup(void *state, struct ks_opts *o)
{
	struct net_state *st = state;
	static const int sort_cols[] = { [SORT_BYTES] = C_BYTES, [SORT_TX] = C_TX,
					 [SORT_RX] = C_RX, [SORT_DURATION] = C_DURATION,
					 [SORT_CONNS] = C_CONNS, [SORT_RETRANS] = C_RETRANS,
					 [SORT_COUNT] = C_BYTES /* --drops' */ };
	int sort = st->sort >= 0 ? sort_cols[st->sort] : C_BYTES;

	st->btf_path = o->btf_path;
	if (st->drops && o->cgroup_ssid1) {
		/* a dropped packet's owner is its socket's cgroup, a v2 one */
		ks_cli_error(&net_cli, "--drops: -c takes a cgroup v2 directory (a socket's cgroup "
			     "is its v2 one)");
		return KS_EXIT_USAGE;
	}
	for (unsigned i = 0; st->family && i < st->nladdrs + st->nraddrs; i++) {
		const struct net_addr *a = i < st->nladdrs ? &st->laddrs[i] :
				&st->raddrs[i - st->nladdrs];
		char buf[NET_ADDR_STRLEN];

		if (a->family == st->family)
			continue;
		ks_cli_error(&net_cli, "--%s %s is %s: -%c leaves it out",
			     i < st->nladdrs ? "laddr" : "raddr",
			     net_addr_str(a->family, (const uint8_t *)a->addr, buf, sizeof(buf)),
			     a->family == NET_AF_INET ? "IPv4" : "IPv6",
			     st->family == NET_AF_INET ? '4' : '6');
		return KS_EXIT_USAGE;
	}

	st->interval_mode = o->interval_s > 0;
	st->filtered = o->npids || o->follow || o->uid_set || o->cgroup || o->comm;
	st->no_hook = o->no_hook;
	st->drops_view = st->drops && st->by == BY_CONN;
	st->table_mode = st->interval_mode || st->by != BY_CONN;
	if (o->container && (st->table_mode || st->drops_view) && st->by != BY_CGROUP) {
		ks_cli_error(&net_cli, "-C names the container of each record or --by cgroup row: "
			     "%s prints tables, it needs --by cgroup",
			     st->by == BY_PROCESS ? "--by process" : st->drops_view ? "--drops" :
			     "an interval");
		return KS_EXIT_USAGE;
	}
	if (st->drops_view)
		return drops_setup(st, o);
	/* --by with --drops: the drops map read for a column; kfree_skb's socket as for --drops */
	if (st->drops && !(st->drops_table = net_drops_new(o, 0)))
		return KS_EXIT_FAIL;
	if (st->sort == SORT_COUNT) {
		ks_cli_error(&net_cli, "-s count sorts the table of --drops");
		return KS_EXIT_USAGE;
	}
	if (!st->table_mode && (st->sort >= 0 || st->top)) {
		ks_cli_error(&net_cli, "-s and -n order and cut a table: give an interval or --by "
			     "(e.g. 'kscope net -s tx 1')");
		return KS_EXIT_USAGE;
	}
	if (st->by == BY_CONN && st->sort == SORT_CONNS) {
		ks_cli_error(&net_cli, "-s conns orders the rows of --by process or cgroup");
		return KS_EXIT_USAGE;
	}
	if (st->by != BY_CONN && st->sort == SORT_DURATION) {
		ks_cli_error(&net_cli, "-s duration orders connections, not --by %s",
			     st->by == BY_PROCESS ? "process" : "cgroup");
		return KS_EXIT_USAGE;
	}
	net_reset_reasons_source(o->btf_path);
	if (!st->table_mode)
		return 0;
	st->table = ks_table_new(&net_table);
	if (!st->table) {
		fprintf(stderr, "kscope net: cannot make its table: %s\n", strerror(errno ?: EINVAL));
		return KS_EXIT_FAIL;
	}
	ks_table_set_ctx(st->table, st);
	ks_table_hide(st->table, C_BYTES, true);	/* a sort key only */
	for (size_t i = 0; i < ARRAY_SIZE(conn_only); i++)
		ks_table_hide(st->table, conn_only[i], st->by != BY_CONN);
	for (size_t i = 0; i < ARRAY_SIZE(group_only); i++)
		ks_table_hide(st->table, group_only[i], st->by == BY_CONN);
	ks_table_hide(st->table, C_CGROUP_PATH, st->by != BY_CGROUP);
	ks_table_show_container(st->table, C_CONTAINER, o->container && st->by == BY_CGROUP);
	ks_table_hide(st->table, C_DROPS, !st->drops);
	ks_table_hide(st->table, C_PID, st->by == BY_CGROUP);
	ks_table_hide(st->table, C_COMM, st->by == BY_CGROUP);
	if (st->by != BY_CONN) {
		ks_table_group(st->table, &net_groups[st->by]);
		if (sort == C_RETRANS)
			sort = C_RETRANS_PERIOD;
	}
	ks_table_sort(st->table, sort);
	ks_table_top(st->table, st->top);
	return 0;
}

static int net_teardown(void *state, int rc)
{
	struct net_state *st = state;

	ks_table_free(st->table);
	net_drops_free(st->drops_table);
	return rc;
}

static struct ks_cli net_cli = {
	.cmd = "net",
	.summary = "TCP connections: owner, 4-tuple, exact bytes, retransmits, RTT, how each ended.",
	.details =
	"One row per TCP connection when it closes: the process that owns it (found where it\n"
	"connected, listened or first sent or received), its netns and cgroup, the 4-tuple,\n"
	"how long it lived, tx_bytes/rx_bytes exactly as the application wrote and read them,\n"
	"the kernel's wire counters, retransmitted segments, RTT, the state it closed from\n"
	"and the error that ended it. With an interval, a table each period of the\n"
	"connections that lived in it, the live ones with their bytes so far. A connection\n"
	"opened before kscope started is followed from the first send or receive seen on\n"
	"it (\"open\": \"existing\", its bytes since then, its duration unknown). A row\n"
	"counts the resets sent and received, with the kernel's reason for the last one\n"
	"sent (6.10+).\n"
	"\n"
	"--events also streams, as they happen: every TCP state change (old -> new), every\n"
	"retransmit (its state, and syn, synack or segment), every reset sent (with its\n"
	"reason) or received, and socket errors by name, each with its connection's owner.\n"
	"The filters apply in the kernel; retransmits are traced only with --events.\n"
	"\n"
	"--by process or --by cgroup sums the connections per owner (each interval, or once\n"
	"at the end): connections live, opened and closed, bytes, retransmits and resets;\n"
	"with -C each cgroup's row names its container.\n"
	"\n"
	"--drops shows, instead, the packets the kernel dropped, counted in the kernel by\n"
	"its drop reason (names from the kernel's BTF), netns and protocol, with the\n"
	"socket's cgroup and uid where the kernel names a socket, and the pid and comm of\n"
	"a TCP connection kscope follows: a table every interval and at the end. -p, -u,\n"
	"-c, --comm and -- PROGRAM keep the drops of sockets they own (a drop without a\n"
	"socket has no owner: none pass); --port, -4 and -6 go by the socket or packet.",
	.examples =
	"  kscope net                            # a line per connection as it closes\n"
	"  kscope net --port 443 -j              # HTTPS connections as NDJSON\n"
	"  kscope net --raddr 10.0.0.5,::1       # connections to or from these peers\n"
	"  kscope net -6 -- curl -s http://[::1]:8080/\n"
	"  kscope net -s tx -n 10 5              # every 5 s: the 10 connections sending most\n"
	"  kscope net --by process 10            # every 10 s: connections and bytes per process\n"
	"  kscope net --events --port 443        # state changes, retransmits, resets on 443\n"
	"  kscope net --events -j -- curl -s http://example.com/\n"
	"  kscope net --drops 10                 # every 10 s: drops by reason, netns, owner\n",
	KS_CLI_OF(net),
	/* -s KEY: in enum sort_key's order */
	KS_CLI_SORT(struct net_state, sort, top, "bytes", "tx", "rx", "duration", "conns",
		    "retrans", "count"),
	.flags = KS_CLI_TRACE | KS_CLI_INTERVAL | KS_CLI_PROGRAM,
};

KS_COMMAND(net, struct net_state, { .sort = -1 })

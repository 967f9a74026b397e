// SPDX-License-Identifier: GPL-2.0
/*
 * kscope net: one record per TCP connection when it is over, with exactly
 * the bytes its application sent and received, and the kernel's own wire,
 * retransmit and RTT counters read from struct tcp_sock at its close.
 *
 * A connection is followed from its opening to its close in the `conns`
 * map, keyed by the socket's address:
 *   - connect(): CLOSE -> SYN_SENT, in the process that connects: its owner;
 *   - listen(): CLOSE -> LISTEN, in the process that listens: the owner of
 *     every connection the listener accepts (`listeners`, by netns and port);
 *   - a listener's new child: LISTEN -> SYN_RECV, in softirq, where the task
 *     on the CPU is anyone: the owner is the listener's, or, for a listener
 *     opened before kscope, the first process that sends or receives on it;
 *   - the close: -> CLOSE, where the state it closed from and the error are
 *     kept with the kernel's counters (a disconnect zeroes them after); the
 *     application may still read what came before the peer's FIN;
 *   - the socket's destruction (tcp_destroy_sock), or a connect() again on
 *     it: the record, and the entry deleted.
 * Application bytes are added by sock_send_length / sock_recv_length (one
 * hash look-up per call; sockets not followed stop there). Nothing runs per
 * packet.
 *
 * The filters (-p, -u, -c, --comm, -- PROGRAM) are the owner's, applied in
 * process context when the owner is found; --port, --laddr, --raddr and
 * -4/-6 are the connection's. Both are decided before a connection takes
 * an entry where they can be, and always before a record takes ring space.
 */
#include "../engine/kscope.bpf.h"
#include <bpf/bpf_endian.h>
#include "net.h"

#define MSG_PEEK 2

const volatile __u16 ports[NET_MAX_PORTS];   /* --port, host order */
const volatile __u32 nports;
const volatile __u16 family_only;            /* -4: NET_AF_INET, -6: NET_AF_INET6, else 0 */
/* --drops: connections are followed for their owners only, never sent as records */
const volatile bool drops_only;
const volatile struct net_addr laddrs[NET_MAX_ADDRS];   /* --laddr */
const volatile __u32 nladdrs;
const volatile struct net_addr raddrs[NET_MAX_ADDRS];   /* --raddr */
const volatile __u32 nraddrs;
/*
 * tcp_recvmsg()'s flags, 0-based: 4 while a `nonblock` came before them
 * (until 5.19, "net: remove noblock parameter from recvmsg() entities"),
 * else 3. Set from the kernel's BTF (net.c), for the kprobe, which has no
 * argument count to go by.
 */
const volatile __u32 recv_flags_arg = 3;

/*
 * Connections opened on each CPU: a connection's id is (cpu << 40) | count,
 * unique in the run without an atomic fetch (BPF_FETCH needs 5.12), and
 * below 2^53 (exact in any JSON reader) for up to 8192 CPUs. Only the state
 * program counts, and the kernel never runs a tracing program inside itself
 * on one CPU (a nested run, from softirq or after a preemption, is skipped
 * and counted in its recursion misses, which kscope reports as `missed`):
 * the increment cannot interleave.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} opened SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_MAX_CONNS);
	__type(key, __u64);
	__type(value, struct net_conn);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_MAX_LISTENERS);
	__type(key, struct net_listen_key);
	__type(value, struct net_owner);
} listeners SEC(".maps");

static __always_inline bool port_listed(__u16 port)
{
	for (__u32 i = 0; i < NET_MAX_PORTS; i++) {
		if (i >= nports)
			break;
		if (ports[i] == port)
			return true;
	}
	return false;
}

/*
 * --port: either end's port is listed. 1 yes, 0 no, -1 not known yet (a
 * connect's local port is chosen after SYN_SENT, in inet_hash_connect();
 * a listener's child, on 6.1, gets its remote end after SYN_RECV:
 * inet_csk_clone_lock() sets the state first; 6.18 sets it after).
 */
static __always_inline int ports_match(struct sock *sk)
{
	__u16 lport, rport;

	if (!nports)
		return 1;
	lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (port_listed(rport) || (lport && port_listed(lport)))
		return 1;
	return lport && rport ? 0 : -1;
}

/* --laddr, --raddr: 1 addr is listed (or no list), 0 not, -1 not known yet (0) */
static __always_inline int addr_match(const volatile struct net_addr *list, __u32 n,
				      __u16 family, const __u8 *addr)
{
	__u64 a[2];

	if (!n)
		return 1;
	__builtin_memcpy(a, addr, sizeof(a));
	for (__u32 i = 0; i < NET_MAX_ADDRS; i++) {
		if (i >= n)
			break;
		if (list[i].family == family && list[i].addr[0] == a[0] && list[i].addr[1] == a[1])
			return 1;
	}
	return a[0] || a[1] ? 0 : -1;
}

static __always_inline bool family_ok(struct sock *sk)
{
	return !family_only || BPF_CORE_READ(sk, __sk_common.skc_family) == family_only;
}

static __always_inline __u32 sk_netns(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* The current task as a connection's owner */
static __always_inline void owner_current(struct net_conn *c)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();

	c->pid = id >> 32;
	c->tid = (__u32)id;
	c->ppid = BPF_CORE_READ(task, real_parent, tgid);
	c->uid = (__u32)bpf_get_current_uid_gid();
	c->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(c->comm, sizeof(c->comm));
	c->flags |= NET_F_OWNER;
}

/* The 4-tuple (laddr, raddr: 16 bytes, zeroed by the caller) */
static __always_inline void read_tuple(struct sock *sk, __u16 *family, __u16 *lport, __u16 *rport,
				       __u8 *laddr, __u8 *raddr)
{
	struct inet_sock *inet = (struct inet_sock *)sk;

	*family = BPF_CORE_READ(sk, __sk_common.skc_family);
	/* inet_sport: skc_num is already 0 once the port is released (__inet_put_port) */
	*lport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
	*rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (*family == NET_AF_INET6) {
		BPF_CORE_READ_INTO((struct in6_addr *)laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO((struct in6_addr *)raddr, sk, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)laddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)raddr, sk, __sk_common.skc_daddr);
	}
}

/*
 * --port, --laddr and --raddr together: 1 the connection passes, 0 not, -1
 * not known yet (an end still 0: a connect's local one before it is bound,
 * a listener's child's remote one at SYN_RECV on 6.1, as for ports).
 */
static __always_inline int tuple_match(struct sock *sk)
{
	__u8 laddr[16] = {}, raddr[16] = {};
	__u16 family, lport, rport;
	int m = ports_match(sk), l, r;

	if (!m || (!nladdrs && !nraddrs))
		return m;
	read_tuple(sk, &family, &lport, &rport, laddr, raddr);
	l = addr_match(laddrs, nladdrs, family, laddr);
	r = addr_match(raddrs, nraddrs, family, raddr);
	if (!l || !r)
		return 0;
	return m < 0 || l < 0 || r < 0 ? -1 : 1;
}

static __always_inline void conn_tuple(struct net_conn *c, struct sock *sk)
{
	read_tuple(sk, &c->family, &c->lport, &c->rport, c->laddr, c->raddr);
}

/* A new entry; a full map is counted (map_full), the connection not followed */
static __always_inline void conn_add(struct sock *sk, struct net_conn *c)
{
	__u64 key = (__u64)sk;
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&opened, &zero);

	if (!n)
		return;
	*n += 1;
	c->id = ((__u64)bpf_get_smp_processor_id() << 40) | *n;
	c->start_ns = bpf_ktime_get_ns();
	c->netns = sk_netns(sk);
	if (bpf_map_update_elem(&conns, &key, c, BPF_ANY))
		ks_lost_inc(KS_LOST_MAPFULL);
}

/*
 * What one vmlinux.h may lack (arm64's is 6.1's): tcp_sock.total_rto (6.7)
 * and the sock_*_length tracepoints' record (6.3), as CO-RE flavors of the
 * kernel's types.
 */
struct tcp_sock___rto {
	__u32 total_rto;
} __attribute__((preserve_access_index));

struct trace_event_raw_sock_msg_length___new {
	struct trace_entry ent;
	void *sk;
	__u16 family;
	__u16 protocol;
	int ret;
	int flags;
} __attribute__((preserve_access_index));

/*
 * The kernel's counters, through probe reads: a tp_btf program that loads
 * tcp_sock fields directly is refused on 6.18 (EACCES).
 */
static __always_inline void read_tcp(struct sock *sk, struct net_tcp_end *e)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;

	e->wire_bytes_sent = BPF_CORE_READ(tp, bytes_sent);
	e->wire_bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	e->wire_bytes_received = BPF_CORE_READ(tp, bytes_received);
	e->retrans_bytes = BPF_CORE_READ(tp, bytes_retrans);
	e->retrans_segs = BPF_CORE_READ(tp, total_retrans);
	if (bpf_core_field_exists(((struct tcp_sock___rto *)tp)->total_rto))
		e->rtos = BPF_CORE_READ((struct tcp_sock___rto *)tp, total_rto);
	else
		e->rtos = NET_NONE;
	e->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	e->min_rtt_us = BPF_CORE_READ(tp, rtt_min.s[0].v);
	/* set before tcp_done() on a reset or a timeout; connect() takes it back later */
	e->error = BPF_CORE_READ(sk, sk_err);
}

/* The record of a connection: its entry, with what it ended with (read at TCP_CLOSE) */
static __always_inline void emit(struct sock *sk, struct net_conn *c)
{
	struct net_close_event *e;

	/* an owner never seen can pass no filter; --port, --laddr still undecided */
	if (drops_only || (!(c->flags & NET_F_OWNER) && ks_cfg.filter) ||
	    ((c->flags & NET_F_PORTS) && tuple_match(sk) != 1))
		return;
	e = ks_reserve(sizeof(*e));
	if (!e)
		return;	/* counted as lost by ks_reserve */
	e->hdr.ts_ns = bpf_ktime_get_ns();
	e->hdr.cgroup_id = c->cgroup_id;
	e->hdr.type = NET_EV_CLOSE;
	e->hdr.flags = 0;
	e->hdr.cpu = bpf_get_smp_processor_id();
	e->hdr.pid = c->pid;
	e->hdr.tid = c->tid;
	e->hdr.ppid = c->ppid;
	e->hdr.uid = c->uid;
	__builtin_memcpy(e->hdr.comm, c->comm, sizeof(e->hdr.comm));
	e->id = c->id;
	e->start_ns = c->start_ns;
	e->tx_bytes = c->tx_bytes;
	e->rx_bytes = c->rx_bytes;
	e->flags = c->flags;
	e->netns = c->netns;
	e->pad = 0;
	e->retrans_base = c->retrans_base;
	e->resets_sent = c->resets_sent;
	e->resets_received = c->resets_received;
	e->reset_reason = c->reset_reason;
	if (c->end.state) {
		e->close_ns = c->close_ns;
		e->end = c->end;
		e->family = c->family;
		e->lport = c->lport;
		e->rport = c->rport;
		__builtin_memcpy(e->laddr, c->laddr, sizeof(e->laddr));
		__builtin_memcpy(e->raddr, c->raddr, sizeof(e->raddr));
	} else {
		/* no TCP_CLOSE seen (kscope started in between): what the socket says now */
		e->close_ns = e->hdr.ts_ns;
		read_tcp(sk, &e->end);
		e->end.state = BPF_CORE_READ(sk, __sk_common.skc_state);
		__builtin_memset(e->end.pad, 0, sizeof(e->end.pad));
		__builtin_memset(e->laddr, 0, sizeof(e->laddr));
		__builtin_memset(e->raddr, 0, sizeof(e->raddr));
		read_tuple(sk, &e->family, &e->lport, &e->rport, e->laddr, e->raddr);
	}
	ks_submit(e);
}

/* connect(): in the process that connects */
static __always_inline void open_active(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct net_conn c = {}, *old;
	int m;

	old = bpf_map_lookup_elem(&conns, &key);
	if (old && old->end.state) {
		/* connect() again on a socket whose connection closed: that one is over */
		emit(sk, old);
		bpf_map_delete_elem(&conns, &key);
	}
	if (!ks_wanted() || !family_ok(sk))
		return;
	m = tuple_match(sk);
	if (!m)
		return;
	if (m < 0)
		c.flags |= NET_F_PORTS;
	c.flags |= NET_F_ACTIVE;
	owner_current(&c);
	conn_add(sk, &c);
}

/* A listener's new child (softirq): its owner is the listener's, if known */
static __always_inline void open_passive(struct sock *sk)
{
	struct net_listen_key lk = { .netns = sk_netns(sk),
				     .port = BPF_CORE_READ(sk, __sk_common.skc_num) };
	struct net_owner *ow;
	struct net_conn c = {};
	int m;

	if (!family_ok(sk))
		return;
	m = tuple_match(sk);
	if (!m)
		return;
	if (m < 0)
		c.flags |= NET_F_PORTS;
	ow = bpf_map_lookup_elem(&listeners, &lk);
	if (ow) {
		if (!ow->wanted)
			return;
		c.pid = ow->pid;
		c.tid = ow->tid;
		c.ppid = ow->ppid;
		c.uid = ow->uid;
		c.cgroup_id = ow->cgroup_id;
		__builtin_memcpy(c.comm, ow->comm, sizeof(c.comm));
		c.flags |= NET_F_OWNER;
	}
	conn_tuple(&c, sk);
	conn_add(sk, &c);
}

/* listen(): remember who listens, wanted or not (its children follow suit) */
static __always_inline void listen_start(struct sock *sk)
{
	struct net_listen_key lk = { .netns = sk_netns(sk),
				     .port = BPF_CORE_READ(sk, __sk_common.skc_num) };
	struct net_conn c = {};
	struct net_owner ow = {};

	if (!lk.port)
		return;		/* listen() without bind(): the port comes later; unknown */
	owner_current(&c);
	ow.sk = (__u64)sk;
	ow.cgroup_id = c.cgroup_id;
	ow.pid = c.pid;
	ow.tid = c.tid;
	ow.ppid = c.ppid;
	ow.uid = c.uid;
	__builtin_memcpy(ow.comm, c.comm, sizeof(ow.comm));
	ow.wanted = ks_wanted();
	if (bpf_map_update_elem(&listeners, &lk, &ow, BPF_ANY))
		ks_lost_inc(KS_LOST_MAPFULL);
}

static __always_inline void listen_stop(struct sock *sk)
{
	struct net_listen_key lk = { .netns = sk_netns(sk),
				     .port = BPF_CORE_READ(sk, __sk_common.skc_num) };
	struct net_owner *ow = bpf_map_lookup_elem(&listeners, &lk);

	/* SO_REUSEPORT: another listener on the port may have replaced it */
	if (ow && ow->sk == (__u64)sk)
		bpf_map_delete_elem(&listeners, &lk);
}

/*
 * Established: the 4-tuple is known now (a connect's local end; on 6.1 a
 * listener's child's remote end), and --port, --laddr, --raddr decided
 */
static __always_inline void established(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct net_conn *c = bpf_map_lookup_elem(&conns, &key);

	if (!c)
		return;
	if (c->flags & NET_F_PORTS) {
		if (tuple_match(sk) != 1) {
			bpf_map_delete_elem(&conns, &key);
			return;
		}
		c->flags &= ~NET_F_PORTS;
	}
	conn_tuple(c, sk);
}

/*
 * TCP_CLOSE: the connection is over. What it ended with is read now (struct
 * net_tcp_end says why not later); its record waits for the socket's end,
 * as the application may still read what arrived before.
 */
/*
 * At TCP_CLOSE. true: no connection, forgotten (no row, no --events line):
 * a listener's child that closes from SYN_RECV having received nothing.
 * That is a clone the kernel made for a handshake's last ACK and threw
 * away, another CPU having made the connection for the same ACK first
 * (tcp_v4_syn_recv_sock()'s inet_ehash_nolisten() fails; seen on 6.1). A
 * Fast Open child that got data in SYN_RECV is a connection, and kept.
 */
static __always_inline bool on_close(struct sock *sk, int oldstate)
{
	__u64 key = (__u64)sk;
	struct net_conn *c = bpf_map_lookup_elem(&conns, &key);

	if (!c)
		return false;
	c->close_ns = bpf_ktime_get_ns();
	read_tcp(sk, &c->end);
	if (oldstate == TCP_SYN_RECV && !(c->flags & NET_F_ACTIVE) && !c->end.wire_bytes_received &&
	    !c->rx_bytes && !c->tx_bytes) {
		bpf_map_delete_elem(&conns, &key);
		return true;
	}
	__builtin_memset(c->laddr, 0, sizeof(c->laddr));
	__builtin_memset(c->raddr, 0, sizeof(c->raddr));
	conn_tuple(c, sk);
	c->end.state = oldstate;	/* last: the connection is closed */
	return false;
}

/* The socket is destroyed: nothing more can be read from it */
static __always_inline int on_destroy(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct net_conn *c = bpf_map_lookup_elem(&conns, &key);

	if (!c)
		return 0;
	emit(sk, c);
	bpf_map_delete_elem(&conns, &key);
	return 0;
}

/* --events: a state change's line (the block at the end of this file) */
static __always_inline void ev_state(struct sock *sk, int oldstate, int newstate);

static __always_inline int on_state(struct sock *sk, int oldstate, int newstate)
{
	switch (newstate) {
	case TCP_SYN_SENT:
		if (oldstate == TCP_CLOSE)
			open_active(sk);
		break;
	case TCP_SYN_RECV:
		if (oldstate == TCP_LISTEN)
			open_passive(sk);
		break;
	case TCP_ESTABLISHED:
		established(sk);
		break;
	case TCP_LISTEN:
		listen_start(sk);
		break;
	case TCP_CLOSE:
		if (oldstate == TCP_LISTEN)
			listen_stop(sk);
		else if (on_close(sk, oldstate))
			return 0;	/* no connection: a discarded clone */
		break;
	}
	ev_state(sk, oldstate, newstate);
	return 0;
}

static __always_inline bool is_tcp(struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP;
}

/*
 * A TCP connection open before kscope started, seen sending or receiving
 * (process context: the current task owns it): followed from now on, if
 * the filters want it. Its entry is made once; a connection the filters
 * reject is checked again at each call (a look-up and three reads).
 */
static __always_inline struct net_conn *adopt(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct net_conn c = {};
	int state;

	if (!is_tcp(sk))
		return NULL;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	/* connected, or closing with data still to come or go */
	if (state != TCP_ESTABLISHED && state != TCP_CLOSE_WAIT && state != TCP_FIN_WAIT1 &&
	    state != TCP_FIN_WAIT2 && state != TCP_CLOSING && state != TCP_LAST_ACK)
		return NULL;
	if (!ks_wanted() || !family_ok(sk) || tuple_match(sk) != 1)
		return NULL;
	c.flags = NET_F_ADOPTED;
	c.retrans_base = BPF_CORE_READ((struct tcp_sock *)sk, total_retrans);
	owner_current(&c);
	conn_tuple(&c, sk);
	conn_add(sk, &c);
	return bpf_map_lookup_elem(&conns, &key);
}

/*
 * Bytes the application passed to (tx) or got from (rx) a socket we follow.
 * The first process to do so owns a connection whose listener's owner was
 * not known; a process the filters reject drops it.
 */
static __always_inline int on_bytes(struct sock *sk, int ret, int flags, bool rx)
{
	__u64 key = (__u64)sk;
	struct net_conn *c;

	if (ret <= 0 || (rx && (flags & MSG_PEEK)))
		return 0;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		c = adopt(sk);
	if (!c)
		return 0;
	if (!(c->flags & NET_F_OWNER)) {
		if (!ks_wanted()) {
			bpf_map_delete_elem(&conns, &key);
			return 0;
		}
		owner_current(c);
	}
	if (rx)
		__sync_fetch_and_add(&c->rx_bytes, ret);
	else
		__sync_fetch_and_add(&c->tx_bytes, ret);
	return 0;
}

/* ---- state changes ---------------------------------------------------------- */

/* ---- the live connections' counters, for userspace each period --------------- */

/*
 * Iterators run by userspace before it reads the `conns` map (ks_iter_run):
 * each connection still open gets what its tcp_sock says now. Nothing runs
 * per packet for this.
 */
static __always_inline void live_read(struct sock *sk, struct net_conn *c)
{
	if (c->end.state)
		return;		/* closed: what it ended with is what counts */
	read_tcp(sk, &c->live);
	c->live.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	c->live_ns = bpf_ktime_get_ns();
}

/*
 * Over the map's entries (5.9+), in whatever network namespace each is.
 * The socket is alive while its entry is (the entry goes at
 * tcp_destroy_sock, before the socket is freed; a read racing with that is
 * a probe read of a connection already closed, whose row shows its end).
 */
SEC("iter/bpf_map_elem")
int net_live_map_iter(struct bpf_iter__bpf_map_elem *ctx)
{
	__u64 *key = ctx->key;
	struct net_conn *c = ctx->value;

	if (key && c)
		live_read((struct sock *)*key, c);
	return 0;
}

/*
 * Over the TCP sockets of the network namespace userspace runs it in (5.9+;
 * where the map iterator is refused): the followed ones.
 */
SEC("iter/tcp")
int net_live_tcp_iter(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct net_conn *c;
	__u64 key;

	if (!skc)
		return 0;
	key = (__u64)skc;
	c = bpf_map_lookup_elem(&conns, &key);
	if (c)
		live_read((struct sock *)skc, c);
	return 0;
}

/* ---- the end of a socket ------------------------------------------------------ */

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(net_destroy_btf, struct sock *sk)
{
	return on_destroy(sk);
}

SEC("raw_tp/tcp_destroy_sock")
int BPF_PROG(net_destroy_raw, struct sock *sk)
{
	return on_destroy(sk);
}

SEC("tracepoint/tcp/tcp_destroy_sock")
int net_destroy_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	return on_destroy((struct sock *)ctx->skaddr);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(net_state_btf, const struct sock *sk, const int oldstate, const int newstate)
{
	if (!is_tcp((struct sock *)sk))
		return 0;
	return on_state((struct sock *)sk, oldstate, newstate);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(net_state_raw, const struct sock *sk, const int oldstate, const int newstate)
{
	if (!is_tcp((struct sock *)sk))
		return 0;
	return on_state((struct sock *)sk, oldstate, newstate);
}

SEC("tracepoint/sock/inet_sock_set_state")
int net_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	return on_state((struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate);
}

/* ---- application bytes: the sock tracepoints (6.3+), else tcp_sendmsg/tcp_recvmsg -- */

SEC("tp_btf/sock_send_length")
int BPF_PROG(net_send_btf, struct sock *sk, int ret, int flags)
{
	return on_bytes(sk, ret, flags, false);
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(net_send_raw, struct sock *sk, int ret, int flags)
{
	return on_bytes(sk, ret, flags, false);
}

SEC("tracepoint/sock/sock_send_length")
int net_send_tp(struct trace_event_raw_sock_msg_length___new *ctx)
{
	return on_bytes(ctx->sk, ctx->ret, ctx->flags, false);
}

/* int tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size) */
SEC("fexit/tcp_sendmsg")
int BPF_PROG(net_send_fexit, struct sock *sk, struct msghdr *msg, size_t size, int ret)
{
	return on_bytes(sk, ret, 0, false);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(net_recv_btf, struct sock *sk, int ret, int flags)
{
	return on_bytes(sk, ret, flags, true);
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(net_recv_raw, struct sock *sk, int ret, int flags)
{
	return on_bytes(sk, ret, flags, true);
}

SEC("tracepoint/sock/sock_recv_length")
int net_recv_tp(struct trace_event_raw_sock_msg_length___new *ctx)
{
	return on_bytes(ctx->sk, ctx->ret, ctx->flags, true);
}

/*
 * tcp_recvmsg(sk, msg, len, flags, addr_len) since 5.19, with a `nonblock`
 * before flags until then: the arguments by count (5.17+ helpers).
 */
SEC("fexit/tcp_recvmsg")
int net_recv_fexit(__u64 *ctx)
{
	__u64 sk = 0, flags = 0, ret = 0;
	__u32 flags_arg = bpf_get_func_arg_cnt(ctx) == 6 ? 4 : 3;

	bpf_get_func_arg(ctx, 0, &sk);
	bpf_get_func_arg(ctx, flags_arg, &flags);
	bpf_get_func_ret(ctx, &ret);
	return on_bytes((struct sock *)sk, (int)ret, (int)flags, true);
}

/* ==== resets, and --events: state changes, retransmits, resets, errors ====== */

/*
 * Resets sent and received are counted on the connection (its row) always:
 * they are rare, and their tracepoints cost nothing otherwise. --events
 * (events_on) makes a record of each state change, retransmit, reset and
 * socket error; its per-segment probes (retransmits) are loaded only then.
 * Filters are decided before a record is built: the connection's owner as
 * the conns map has it, a listener's in process context, or none known
 * (shown only when no owner filter is given); --port and -4/-6 on the
 * record's 4-tuple.
 */
const volatile bool events_on;

/* tcp_send_reset with its reason (6.10+, commit 5cb2cb3cb271), as a tracepoint record */
enum sk_rst_reason___k { SK_RST_REASON___K_UNUSED = 0 };

struct trace_event_raw_tcp_send_reset___k {
	const void *skbaddr;
	const void *skaddr;
	int state;
	enum sk_rst_reason___k reason;
} __attribute__((preserve_access_index));

/* tcp_send_reset before 6.10, and tcp_retransmit_skb before it had its own event (with err) */
struct trace_event_raw_tcp_event_sk_skb___k {
	const void *skbaddr;
	const void *skaddr;
} __attribute__((preserve_access_index));

struct trace_event_raw_tcp_retransmit_skb___k {
	const void *skbaddr;
	const void *skaddr;
} __attribute__((preserve_access_index));

/* Does the kernel give tcp_send_reset a reason? */
static __always_inline bool reset_has_reason(void)
{
	return bpf_core_field_exists(struct trace_event_raw_tcp_send_reset___k, reason);
}

static __always_inline bool ev_ports_ok(__u16 lport, __u16 rport)
{
	return !nports || port_listed(lport) || port_listed(rport);
}

/* -4/-6, --port, --laddr, --raddr on an event's own 4-tuple (no connection) */
static __always_inline bool ev_tuple_ok(struct net_tcp_event *e)
{
	return (!family_only || e->family == family_only) && ev_ports_ok(e->lport, e->rport) &&
	       addr_match(laddrs, nladdrs, e->family, e->laddr) == 1 &&
	       addr_match(raddrs, nraddrs, e->family, e->raddr) == 1;
}

/* The header of an event: now, this CPU; the owner given, or none */
static __always_inline void ev_hdr(struct net_tcp_event *e, __u16 type)
{
	e->hdr.ts_ns = bpf_ktime_get_ns();
	e->hdr.type = type;
	e->hdr.cpu = bpf_get_smp_processor_id();
}

static __always_inline void ev_owner_conn(struct net_tcp_event *e, struct net_conn *c)
{
	e->conn_id = c->id;
	if (!(c->flags & NET_F_OWNER))
		return;
	e->hdr.pid = c->pid;
	e->hdr.tid = c->tid;
	e->hdr.ppid = c->ppid;
	e->hdr.uid = c->uid;
	e->hdr.cgroup_id = c->cgroup_id;
	__builtin_memcpy(e->hdr.comm, c->comm, sizeof(e->hdr.comm));
}

static __always_inline void ev_owner_current(struct net_tcp_event *e)
{
	struct net_conn c = {};

	owner_current(&c);
	c.id = 0;
	ev_owner_conn(e, &c);
}

static __always_inline void ev_sk_tuple(struct net_tcp_event *e, struct sock *sk)
{
	read_tuple(sk, &e->family, &e->lport, &e->rport, e->laddr, e->raddr);
	e->netns = sk_netns(sk);
}

static __always_inline void ev_send(struct net_tcp_event *e)
{
	ks_output(e, sizeof(*e));	/* a full ring is counted as lost */
}

/*
 * An event on a followed connection c: wanted when its owner is known (or
 * no owner filter is given) and --port is decided for it. A connect()'s
 * CLOSE -> SYN_SENT whose --port waited for the local port is sent first,
 * at its time, once the port says yes.
 */
static __always_inline bool ev_conn_wanted(struct sock *sk, struct net_conn *c)
{
	if (!(c->flags & NET_F_OWNER) && ks_cfg.filter)
		return false;
	if (c->flags & NET_F_PORTS) {
		if (tuple_match(sk) != 1)
			return false;
		c->flags &= ~NET_F_PORTS;
	}
	if (c->flags & (NET_F_SYN_EV | NET_F_SYNRECV_EV)) {
		struct net_tcp_event e = {};
		bool active = c->flags & NET_F_SYN_EV;

		c->flags &= ~(NET_F_SYN_EV | NET_F_SYNRECV_EV);
		ev_hdr(&e, NET_EV_STATE);
		e.hdr.ts_ns = c->start_ns;
		ev_owner_conn(&e, c);
		ev_sk_tuple(&e, sk);
		e.old_state = active ? TCP_CLOSE : TCP_LISTEN;
		e.state = active ? TCP_SYN_SENT : TCP_SYN_RECV;
		e.reason = NET_NONE;
		ev_send(&e);
	}
	return true;
}

/*
 * An event on sk: its owner and tuple filled in; false if not wanted. A
 * followed connection is its entry's; a listener's event the task's that
 * listens or closes it (process context) or, in softirq, the listener's
 * owner; any other socket's has no owner.
 */
static __always_inline bool ev_sock(struct net_tcp_event *e, struct sock *sk, bool process_ctx)
{
	__u64 key = (__u64)sk;
	struct net_conn *c = bpf_map_lookup_elem(&conns, &key);

	if (c) {
		if (!ev_conn_wanted(sk, c))
			return false;
		ev_owner_conn(e, c);
		ev_sk_tuple(e, sk);
		return true;
	}
	ev_sk_tuple(e, sk);
	if (!ev_tuple_ok(e))
		return false;
	if (process_ctx) {
		if (!ks_wanted())
			return false;
		ev_owner_current(e);
		return true;
	}
	return !ks_cfg.filter;
}

static __always_inline void ev_state(struct sock *sk, int oldstate, int newstate)
{
	__u64 key = (__u64)sk;
	struct net_tcp_event e = {};
	struct net_conn *c;

	/*
	 * not a change: the kernel traces LAST_ACK -> LAST_ACK when close()
	 * follows a shutdown() whose FIN is not acknowledged yet
	 */
	if (!events_on || oldstate == newstate)
		return;
	if (newstate == TCP_SYN_SENT && oldstate == TCP_CLOSE) {
		c = bpf_map_lookup_elem(&conns, &key);
		if (c && (c->flags & NET_F_PORTS)) {
			c->flags |= NET_F_SYN_EV;	/* its local port is not chosen yet */
			return;
		}
	}
	/* a listener's child on 6.1 gets its remote end just after this state (6.18: before) */
	if (newstate == TCP_SYN_RECV && oldstate == TCP_LISTEN &&
	    !BPF_CORE_READ(sk, __sk_common.skc_dport)) {
		c = bpf_map_lookup_elem(&conns, &key);
		if (c) {
			c->flags |= NET_F_SYNRECV_EV;
			return;
		}
	}
	ev_hdr(&e, NET_EV_STATE);
	e.old_state = oldstate;
	e.state = newstate;
	e.reason = NET_NONE;
	/*
	 * listen() and a listener's close() are in process context; a
	 * listener's new child (LISTEN -> SYN_RECV) is not: softirq
	 */
	if (!ev_sock(&e, sk, newstate == TCP_LISTEN ||
			      (oldstate == TCP_LISTEN && newstate == TCP_CLOSE)))
		return;
	ev_send(&e);
}

/* ---- retransmits (--events only) ---- */

static __always_inline int on_retrans(struct sock *sk)
{
	struct net_tcp_event e = {};

	if (!sk)
		return 0;
	ev_hdr(&e, NET_EV_RETRANS);
	e.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	e.kind = e.state == TCP_SYN_SENT ? NET_RETRANS_SYN : NET_RETRANS_SEGMENT;
	e.reason = NET_NONE;
	if (ev_sock(&e, sk, false))
		ev_send(&e);
	return 0;
}

/*
 * A listener's SYN-ACK sent again: the connection is a request socket (no
 * entry yet); its owner is the listener's.
 */
static __always_inline int on_retrans_synack(struct sock *sk, struct sock *req)
{
	struct net_listen_key lk = { .netns = sk_netns(sk),
				     .port = BPF_CORE_READ(sk, __sk_common.skc_num) };
	struct net_tcp_event e = {};
	struct net_owner *ow;

	ev_hdr(&e, NET_EV_RETRANS);
	e.kind = NET_RETRANS_SYNACK;
	e.state = BPF_CORE_READ(req, __sk_common.skc_state);
	e.reason = NET_NONE;
	e.netns = lk.netns;
	e.family = BPF_CORE_READ(req, __sk_common.skc_family);
	e.lport = BPF_CORE_READ(req, __sk_common.skc_num);
	e.rport = bpf_ntohs(BPF_CORE_READ(req, __sk_common.skc_dport));
	if (e.family == NET_AF_INET6) {
		BPF_CORE_READ_INTO((struct in6_addr *)e.laddr, req, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO((struct in6_addr *)e.raddr, req, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)e.laddr, req, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e.raddr, req, __sk_common.skc_daddr);
	}
	if (!ev_tuple_ok(&e))
		return 0;
	ow = bpf_map_lookup_elem(&listeners, &lk);
	if (ow) {
		if (!ow->wanted)
			return 0;
		e.hdr.pid = ow->pid;
		e.hdr.tid = ow->tid;
		e.hdr.ppid = ow->ppid;
		e.hdr.uid = ow->uid;
		e.hdr.cgroup_id = ow->cgroup_id;
		__builtin_memcpy(e.hdr.comm, ow->comm, sizeof(e.hdr.comm));
	} else if (ks_cfg.filter) {
		return 0;
	}
	ev_send(&e);
	return 0;
}

/* ---- resets ---- */

/*
 * The segment a reset answers, as the 4-tuple of its receiver: local is
 * its destination. false if its headers are not IPv4/IPv6.
 */
static __always_inline bool skb_tuple(struct sk_buff *skb, struct net_tcp_event *e)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	__u16 ports[2] = {};
	__u8 v = 0;

	bpf_probe_read_kernel(&v, 1, head + nh);
	if (v >> 4 == 4) {
		e->family = NET_AF_INET;
		bpf_probe_read_kernel(e->raddr, 4, head + nh + 12);
		bpf_probe_read_kernel(e->laddr, 4, head + nh + 16);
	} else if (v >> 4 == 6) {
		e->family = NET_AF_INET6;
		bpf_probe_read_kernel(e->raddr, 16, head + nh + 8);
		bpf_probe_read_kernel(e->laddr, 16, head + nh + 24);
	} else {
		return false;
	}
	bpf_probe_read_kernel(ports, sizeof(ports), head + th);
	e->rport = bpf_ntohs(ports[0]);
	e->lport = bpf_ntohs(ports[1]);
	e->netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	return true;
}

/*
 * A reset sent: on a socket (an abort: skb NULL, 6.10+), or in answer to
 * a segment (skb), with or without a socket (none: a closed port). Counted
 * on the connection; its record's 4-tuple is the segment's where there is
 * one.
 */
static __always_inline int on_reset_sent(struct sock *sk, struct sk_buff *skb, __u32 reason)
{
	struct net_conn *c = NULL;
	struct net_tcp_event e = {};
	__u64 key = (__u64)sk;

	if (sk) {
		c = bpf_map_lookup_elem(&conns, &key);
		if (c) {
			__sync_fetch_and_add(&c->resets_sent, 1);
			c->reset_reason = reason;
		}
	}
	if (!events_on)
		return 0;
	ev_hdr(&e, NET_EV_RESET_SENT);
	e.reason = reason;
	if (sk)
		e.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (c) {
		if (!ev_conn_wanted(sk, c))
			return 0;
		ev_owner_conn(&e, c);
	} else if (ks_cfg.filter) {
		return 0;	/* no owner known: a closed port, a socket not followed */
	}
	if (skb) {
		if (!skb_tuple(skb, &e))
			return 0;
	} else if (sk) {
		ev_sk_tuple(&e, sk);
	} else {
		return 0;
	}
	if (!c && !ev_tuple_ok(&e))
		return 0;
	ev_send(&e);
	return 0;
}

static __always_inline int on_reset_recv(struct sock *sk)
{
	struct net_tcp_event e = {};
	__u64 key = (__u64)sk;
	struct net_conn *c = bpf_map_lookup_elem(&conns, &key);

	if (c)
		__sync_fetch_and_add(&c->resets_received, 1);
	if (!events_on)
		return 0;
	ev_hdr(&e, NET_EV_RESET_RECV);
	e.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	e.reason = NET_NONE;
	if (ev_sock(&e, sk, false))
		ev_send(&e);
	return 0;
}

/* ---- socket errors (--events only) ---- */

static __always_inline int on_error(struct sock *sk)
{
	struct net_tcp_event e = {};

	if (!is_tcp(sk))
		return 0;
	ev_hdr(&e, NET_EV_ERROR);
	e.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	e.error = BPF_CORE_READ(sk, sk_err);
	if (!e.error)
		return 0;	/* a disconnect's wake-up (tcp_disconnect), no error */
	e.reason = NET_NONE;
	if (ev_sock(&e, sk, false))
		ev_send(&e);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(net_retrans_btf, struct sock *sk)
{
	return on_retrans(sk);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(net_retrans_raw, struct sock *sk)
{
	return on_retrans(sk);
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int net_retrans_tp(void *ctx)
{
	const void *sk;

	/* its own event (with err) on newer kernels, the sk_skb class's before */
	/* read, not loaded: the compiler merges the two offsets into one ctx access */
	if (bpf_core_type_exists(struct trace_event_raw_tcp_retransmit_skb___k))
		sk = BPF_CORE_READ((struct trace_event_raw_tcp_retransmit_skb___k *)ctx, skaddr);
	else
		sk = BPF_CORE_READ((struct trace_event_raw_tcp_event_sk_skb___k *)ctx, skaddr);
	return on_retrans((struct sock *)sk);
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(net_synack_btf, struct sock *sk, struct request_sock *req)
{
	return on_retrans_synack(sk, (struct sock *)req);
}

SEC("raw_tp/tcp_retransmit_synack")
int BPF_PROG(net_synack_raw, struct sock *sk, struct request_sock *req)
{
	return on_retrans_synack(sk, (struct sock *)req);
}

SEC("tracepoint/tcp/tcp_retransmit_synack")
int net_synack_tp(struct trace_event_raw_tcp_retransmit_synack *ctx)
{
	return on_retrans_synack((struct sock *)ctx->skaddr, (struct sock *)ctx->req);
}

/* The reason is the third argument where the kernel has it (6.10+): read only then */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(net_rst_sent_btf, struct sock *sk, struct sk_buff *skb)
{
	__u32 reason = NET_NONE;

	if (reset_has_reason())
		reason = (__u32)ctx[2];
	return on_reset_sent(sk, skb, reason);
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(net_rst_sent_raw, struct sock *sk, struct sk_buff *skb)
{
	__u32 reason = NET_NONE;

	if (reset_has_reason())
		reason = (__u32)ctx[2];
	return on_reset_sent(sk, skb, reason);
}

SEC("tracepoint/tcp/tcp_send_reset")
int net_rst_sent_tp(void *ctx)
{
	struct trace_event_raw_tcp_send_reset___k *r = ctx;
	struct trace_event_raw_tcp_event_sk_skb___k *old = ctx;

	/* read, not loaded: the two layouts' offsets would be merged into one ctx access */
	if (reset_has_reason())
		return on_reset_sent((struct sock *)BPF_CORE_READ(r, skaddr),
				     (struct sk_buff *)BPF_CORE_READ(r, skbaddr),
				     BPF_CORE_READ(r, reason));
	return on_reset_sent((struct sock *)BPF_CORE_READ(old, skaddr),
			     (struct sk_buff *)BPF_CORE_READ(old, skbaddr), NET_NONE);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(net_rst_recv_btf, struct sock *sk)
{
	return on_reset_recv(sk);
}

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(net_rst_recv_raw, struct sock *sk)
{
	return on_reset_recv(sk);
}

SEC("tracepoint/tcp/tcp_receive_reset")
int net_rst_recv_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	return on_reset_recv((struct sock *)ctx->skaddr);
}

SEC("tp_btf/inet_sk_error_report")
int BPF_PROG(net_error_btf, struct sock *sk)
{
	return on_error(sk);
}

SEC("raw_tp/inet_sk_error_report")
int BPF_PROG(net_error_raw, struct sock *sk)
{
	return on_error(sk);
}

/*
 * The tracepoint's record has no socket address: the 4-tuple and the error
 * come from it, the connection and its owner are not known (no conn_id, pid
 * 0), so it is shown only without owner filters. raw_tp, which every kernel
 * kscope runs on has, gives the socket.
 */
SEC("tracepoint/sock/inet_sk_error_report")
int net_error_tp(struct trace_event_raw_inet_sk_error_report *ctx)
{
	struct net_tcp_event e = {};

	if (ctx->protocol != IPPROTO_TCP || !ctx->error || ks_cfg.filter)
		return 0;
	ev_hdr(&e, NET_EV_ERROR);
	e.error = ctx->error;
	e.reason = NET_NONE;
	e.family = ctx->family;
	e.lport = ctx->sport;
	e.rport = ctx->dport;
	/* read, not loaded: a copy walks the context with a moved pointer, refused */
	if (e.family == NET_AF_INET6) {
		bpf_probe_read_kernel(e.laddr, 16, ctx->saddr_v6);
		bpf_probe_read_kernel(e.raddr, 16, ctx->daddr_v6);
	} else {
		bpf_probe_read_kernel(e.laddr, 4, ctx->saddr);
		bpf_probe_read_kernel(e.raddr, 4, ctx->daddr);
	}
	if (ev_tuple_ok(&e))
		ev_send(&e);
	return 0;
}
/* ============================================================================
 * --drops: packets the kernel drops (skb:kfree_skb), counted here by reason,
 * netns, protocol and the socket's owner where the kernel names a socket.
 * Per packet: attached only with --drops; no ring buffer, one per-CPU hash
 * update. Nothing above calls into this block.
 * ============================================================================
 */

#define ETH_P_IP   0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_ICMPV6_ 58	/* a macro in the uapi, not in vmlinux.h */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NET_MAX_DROP_KEYS);	/* 1 without --drops (net.c) */
	__type(key, struct net_drop_key);
	__type(value, struct net_drop_val);
} drops SEC(".maps");

/* kfree_skb's arguments on the newest kernels: rx_sk since 6.11 (c53795d48ee8) */
struct trace_event_raw_kfree_skb___rx_sk {
	void *rx_sk;
} __attribute__((preserve_access_index));

/* SKB_CONSUMED (6.2+) is a free, not a drop; it never reaches kfree_skb since 6.3 */
enum skb_drop_reason___consumed {
	SKB_CONSUMED___consumed = 1,
};

/* sock_cgroup_data before 5.15 (8520e224f547): a cgroup pointer, or prioidx/classid (bit 0) */
struct sock_cgroup_data___pre515 {
	__u64 val;
} __attribute__((preserve_access_index));

struct sock___pre515 {
	struct sock_cgroup_data___pre515 sk_cgrp_data;
} __attribute__((preserve_access_index));

static __always_inline struct cgroup *sk_cgroup(struct sock *sk)
{
	__u64 v;

	if (bpf_core_field_exists(sk->sk_cgrp_data.cgroup))
		return BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	v = BPF_CORE_READ((struct sock___pre515 *)sk, sk_cgrp_data.val);
	return v & 1 ? NULL : (struct cgroup *)v;
}

static __always_inline __u8 drop_proto(__u8 ipproto)
{
	switch (ipproto) {
	case IPPROTO_TCP:
		return NET_P_TCP;
	case IPPROTO_UDP:
		return NET_P_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6_:
		return NET_P_ICMP;
	}
	return NET_P_OTHER;
}

/*
 * The packet's IP protocol and, with want_ports, its ports (host order) from
 * its headers: the network header is set on every received packet before
 * any drop that has a reason, and on a sent one once IP built it (then
 * skb->protocol says so). IPv6 extension headers are not walked: "other".
 */
static __always_inline __u8 pkt_read(struct sk_buff *skb, __u16 l3, bool want_ports,
				     __u16 *sport, __u16 *dport)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u8 ipproto, b[2];
	__u16 thoff, p[2];

	if (l3 == bpf_htons(ETH_P_IP)) {
		/* version and ihl, then the protocol at byte 9 */
		if (bpf_probe_read_kernel(b, 1, head + nh) || (b[0] >> 4) != 4 ||
		    bpf_probe_read_kernel(&ipproto, 1, head + nh + 9))
			return 0;
		thoff = nh + (b[0] & 0xf) * 4;
	} else if (l3 == bpf_htons(ETH_P_IPV6)) {
		if (bpf_probe_read_kernel(b, 1, head + nh) || (b[0] >> 4) != 6 ||
		    bpf_probe_read_kernel(&ipproto, 1, head + nh + 6))
			return 0;
		thoff = nh + 40;
	} else {
		return 0;
	}
	if (want_ports && (ipproto == IPPROTO_TCP || ipproto == IPPROTO_UDP) &&
	    !bpf_probe_read_kernel(p, sizeof(p), head + thoff)) {
		*sport = bpf_ntohs(p[0]);
		*dport = bpf_ntohs(p[1]);
	}
	return ipproto;
}

/* comm: the owner's, when k->pid says there is one */
static __always_inline void drop_count(const struct net_drop_key *k, const char *comm)
{
	struct net_drop_val *v = bpf_map_lookup_elem(&drops, k), init = { .count = 1 };

	if (v) {
		v->count += 1;	/* this CPU's value: no atomics */
		return;
	}
	if (k->pid)
		__builtin_memcpy(init.comm, comm, sizeof(init.comm));
	if (!bpf_map_update_elem(&drops, k, &init, BPF_NOEXIST))
		return;
	v = bpf_map_lookup_elem(&drops, k);	/* made meanwhile (another CPU), or full */
	if (v)
		v->count += 1;
	else
		ks_lost_inc(KS_LOST_MAPFULL);
}

/*
 * The owner of a dropped packet's socket into k (netns, protocol, cgroup,
 * uid; pid and comm for a connection `conns` follows, which passed the
 * filters when it was opened): 1 a full socket, 0 a TIME_WAIT or request
 * socket (a struct sock_common only: its netns alone), -1 rejected by the
 * owner filters (-p, -u, -c, --comm, -- PROGRAM), which nothing passes
 * without a full socket.
 */
static __always_inline int drop_owner(struct sock *sk, struct net_drop_key *k, char *comm,
				      __u16 *family)
{
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);
	struct cgroup *cg;

	k->netns = sk_netns(sk);
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
		return ks_cfg.filter ? -1 : 0;
	cg = sk_cgroup(sk);
	if ((ks_cfg.filter & KS_FILTER_CGROUP) && !(cg && ks_cgroup_in_filter(cg)))
		return -1;
	k->uid = BPF_CORE_READ(sk, sk_uid.val);
	if ((ks_cfg.filter & KS_FILTER_UID) && k->uid != ks_cfg.uid)
		return -1;
	k->cgroup_id = cg ? BPF_CORE_READ(cg, kn, id) : 0;
	*family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (*family == NET_AF_INET || *family == NET_AF_INET6) {
		k->proto = drop_proto(BPF_CORE_READ(sk, sk_protocol));
		if (k->proto == NET_P_TCP) {
			__u64 key = (__u64)sk;
			struct net_conn *c = bpf_map_lookup_elem(&conns, &key);

			if (c && (c->flags & NET_F_OWNER)) {
				k->pid = c->pid;
				__builtin_memcpy(comm, c->comm, KS_COMM_LEN);
			}
		}
	}
	if ((ks_cfg.filter & (KS_FILTER_PID | KS_FILTER_COMM)) && !k->pid)
		return -1;
	return 1;
}

/*
 * Before 6.11 kfree_skb names no receiving socket, and a UDP datagram that
 * overflows a socket's receive buffer has no skb->sk yet: its socket comes
 * from udp_fail_queue_rcv_skb, on the same CPU in the same softirq, just
 * after kfree_skb (before 6.10) or just before it (6.10). Set with
 * --drops on those kernels, when that probe is attached (net.c).
 */
const volatile bool udp_owner_late;

/* Per CPU: the drop waiting for its socket, or the socket named first */
struct drop_slot {
	struct net_drop_key k;
	__u64 sk;         /* udp_fail_queue_rcv_skb's socket, for the next kfree_skb */
	__u32 pending;    /* k waits for udp_fail_queue_rcv_skb */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct drop_slot);
} drop_slots SEC(".maps");

static __always_inline bool drop_is_rcvbuf(__u32 reason)
{
	if (!bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_SOCKET_RCVBUFF) ||
	    !bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_PROTO_MEM))
		return false;
	return reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_SOCKET_RCVBUFF) ||
	       reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_PROTO_MEM);
}

/*
 * One dropped packet. sk: the socket the kernel names (rx_sk, else the
 * packet's owner skb->sk), NULL none. The filters, cheapest first: -4/-6
 * by the packet; the owner's need a full socket (drop_owner); --port by the
 * socket's ports, else the packet's.
 */
static __always_inline int on_drop(struct sk_buff *skb, __u32 reason, struct sock *sk)
{
	struct net_drop_key k = { .reason = reason, .uid = NET_NONE };
	__u16 l3 = 0, sport = 0, dport = 0, family = 0;
	char comm[KS_COMM_LEN] = {};
	int owner = 0;
	__u8 ipproto = 0;

	if (bpf_core_enum_value_exists(enum skb_drop_reason___consumed, SKB_CONSUMED___consumed) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason___consumed,
					  SKB_CONSUMED___consumed))
		return 0;
	l3 = BPF_CORE_READ(skb, protocol);
	if (family_only && l3 != bpf_htons(family_only == NET_AF_INET ? ETH_P_IP : ETH_P_IPV6))
		return 0;
	if (!sk)
		sk = BPF_CORE_READ(skb, sk);
	if (udp_owner_late) {
		__u32 zero = 0;
		struct drop_slot *slot = bpf_map_lookup_elem(&drop_slots, &zero);
		struct sock *named;

		if (!slot)
			return 0;
		named = (struct sock *)slot->sk;
		slot->sk = 0;
		if (slot->pending) {
			/* its socket never came (a missed program): counted without */
			slot->pending = 0;
			if (!ks_cfg.filter)
				drop_count(&slot->k, comm);
		}
		if (!sk && drop_is_rcvbuf(reason)) {
			if (named) {
				sk = named;	/* 6.10: named just before */
			} else if (pkt_read(skb, l3, nports, &sport, &dport) == IPPROTO_UDP) {
				if (nports && !port_listed(sport) && !port_listed(dport))
					return 0;
				/* before 6.10: counted once udp_fail_queue_rcv_skb names it */
				k.netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
				k.proto = NET_P_UDP;
				slot->k = k;
				slot->pending = 1;
				return 0;
			}
		}
	}
	if (sk) {
		owner = drop_owner(sk, &k, comm, &family);
		if (owner < 0)
			return 0;
	} else if (ks_cfg.filter) {
		return 0;
	} else {
		k.netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	}
	if (!k.proto || nports) {
		ipproto = pkt_read(skb, l3, nports, &sport, &dport);
		if (!k.proto)
			k.proto = drop_proto(ipproto);
	}
	if (nports) {
		if (owner > 0 && (family == NET_AF_INET || family == NET_AF_INET6)) {
			sport = BPF_CORE_READ(sk, __sk_common.skc_num);
			dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		}
		if (!port_listed(sport) && !port_listed(dport))
			return 0;
	}
	drop_count(&k, comm);
	return 0;
}

/* udp_fail_queue_rcv_skb: the socket of a UDP drop kfree_skb could not name */
static __always_inline int on_udp_fail(struct sock *sk)
{
	__u32 zero = 0;
	struct drop_slot *slot = bpf_map_lookup_elem(&drop_slots, &zero);
	struct net_drop_key k;
	char comm[KS_COMM_LEN] = {};
	__u16 family = 0;

	if (!slot)
		return 0;
	if (!slot->pending) {
		slot->sk = (__u64)sk;	/* 6.10: kfree_skb comes next */
		return 0;
	}
	k = slot->k;
	slot->pending = 0;
	if (drop_owner(sk, &k, comm, &family) > 0)
		drop_count(&k, comm);
	return 0;
}

SEC("tp_btf/udp_fail_queue_rcv_skb")
int BPF_PROG(net_udp_fail_btf, int rc, struct sock *sk)
{
	return on_udp_fail(sk);
}

/* the plain tracepoint has no socket pointer: tp_btf or raw_tp only */
SEC("raw_tp/udp_fail_queue_rcv_skb")
int BPF_PROG(net_udp_fail_raw, int rc, struct sock *sk)
{
	return on_udp_fail(sk);
}

/*
 * kfree_skb(skb, location) gained the reason in 5.17 (c504e5c2f964, and
 * 5.15.58) and the receiving socket in 6.11 (c53795d48ee8): arguments the
 * running kernel has not are never read (the verifier drops the branch;
 * NET_NONE: no reason known).
 */
static __always_inline int drop_args(__u64 *ctx)
{
	struct trace_event_raw_kfree_skb *tp = NULL;
	struct trace_event_raw_kfree_skb___rx_sk *tp_rx = NULL;
	__u32 reason = NET_NONE;
	struct sock *sk = NULL;

	if (bpf_core_field_exists(tp->reason))
		reason = (__u32)ctx[2];
	if (bpf_core_field_exists(tp_rx->rx_sk))
		sk = (struct sock *)ctx[3];
	return on_drop((struct sk_buff *)ctx[0], reason, sk);
}

SEC("tp_btf/kfree_skb")
int net_drop_btf(__u64 *ctx)
{
	return drop_args(ctx);
}

SEC("raw_tp/kfree_skb")
int net_drop_raw(__u64 *ctx)
{
	return drop_args(ctx);
}

SEC("tracepoint/skb/kfree_skb")
int net_drop_tp(struct trace_event_raw_kfree_skb *ctx)
{
	struct trace_event_raw_kfree_skb___rx_sk *rx = (void *)ctx;
	__u32 reason = NET_NONE;
	struct sock *sk = NULL;

	if (bpf_core_field_exists(ctx->reason))
		reason = ctx->reason;
	if (bpf_core_field_exists(rx->rx_sk))
		sk = rx->rx_sk;
	return on_drop(ctx->skbaddr, reason, sk);
}

/*
 * Without the tracepoints or fexit (5.8-6.2 where fentry does not attach,
 * e.g. arm64 before 6.5): a kprobe on entry saves the socket and the flags
 * for the thread, the kretprobe has the return value. Only sockets we
 * follow are saved. An entry whose return is never seen (the kretprobe's
 * instances ran out: maxactive) is found when the thread's next call
 * replaces it, and counted as missed; the LRU bounds what is left behind
 * by threads that never call again.
 */
struct net_call {
	__u64 sk;
	__u32 flags;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NET_MAX_CALLS);
	__type(key, __u64);            /* thread id, | 1 << 32 for a receive */
	__type(value, struct net_call);
} calls SEC(".maps");

static __always_inline int call_enter(struct sock *sk, __u64 flags, bool rx)
{
	__u64 key = (__u64)sk, tid = (__u32)bpf_get_current_pid_tgid();
	struct net_call call = { .sk = (__u64)sk, .flags = (__u32)flags };

	tid |= (__u64)rx << 32;
	/* followed, or open before kscope started and adopted now (in process context) */
	if (!bpf_map_lookup_elem(&conns, &key) && !adopt(sk)) {
		/* not followed; an entry left over must not take this call's return */
		if (!bpf_map_delete_elem(&calls, &tid))
			ks_lost_inc(KS_LOST_MISSED);
		return 0;
	}
	if (bpf_map_update_elem(&calls, &tid, &call, BPF_NOEXIST)) {
		/* the thread's last call here never returned to us */
		ks_lost_inc(KS_LOST_MISSED);
		bpf_map_update_elem(&calls, &tid, &call, BPF_ANY);
	}
	return 0;
}

static __always_inline int call_exit(int ret, bool rx)
{
	__u64 tid = (__u32)bpf_get_current_pid_tgid() | (__u64)rx << 32;
	struct net_call *call = bpf_map_lookup_elem(&calls, &tid);
	struct sock *sk;
	int flags;

	if (!call)
		return 0;
	sk = (struct sock *)call->sk;
	flags = call->flags;
	bpf_map_delete_elem(&calls, &tid);
	return on_bytes(sk, ret, flags, rx);
}

SEC("kprobe/tcp_sendmsg")
int BPF_KPROBE(net_send_kprobe, struct sock *sk)
{
	return call_enter(sk, 0, false);
}

SEC("kretprobe/tcp_sendmsg")
int BPF_KRETPROBE(net_send_kret, int ret)
{
	return call_exit(ret, false);
}

SEC("kprobe/tcp_recvmsg")
int BPF_KPROBE(net_recv_kprobe, struct sock *sk)
{
	__u64 arg4 = PT_REGS_PARM4(ctx), arg5 = PT_REGS_PARM5(ctx);

	/* both read at fixed offsets: the verifier refuses a computed one into ctx */
	barrier_var(arg4);
	barrier_var(arg5);
	return call_enter(sk, recv_flags_arg == 4 ? arg5 : arg4, true);
}

SEC("kretprobe/tcp_recvmsg")
int BPF_KRETPROBE(net_recv_kret, int ret)
{
	return call_exit(ret, true);
}

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
	if ((!(c->flags & NET_F_OWNER) && ks_cfg.filter) ||
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
static __always_inline void on_close(struct sock *sk, int oldstate)
{
	__u64 key = (__u64)sk;
	struct net_conn *c = bpf_map_lookup_elem(&conns, &key);

	if (!c)
		return;
	c->close_ns = bpf_ktime_get_ns();
	read_tcp(sk, &c->end);
	__builtin_memset(c->laddr, 0, sizeof(c->laddr));
	__builtin_memset(c->raddr, 0, sizeof(c->raddr));
	conn_tuple(c, sk);
	c->end.state = oldstate;	/* last: the connection is closed */
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
		else
			on_close(sk, oldstate);
		break;
	}
	return 0;
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

static __always_inline bool is_tcp(struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP;
}

/* ---- state changes ---------------------------------------------------------- */

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
	if (!bpf_map_lookup_elem(&conns, &key)) {
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

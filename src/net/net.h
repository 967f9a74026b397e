/* SPDX-License-Identifier: GPL-2.0 */
/* kscope net: maps and records shared by net.bpf.c and net.c */
#ifndef KSCOPE_NET_H
#define KSCOPE_NET_H

#include "../engine/events.h"

/* TCP connections followed at once (a preallocated hash keyed by socket) */
#define NET_MAX_CONNS     32768
/* listening sockets whose owner is known (for the connections they accept) */
#define NET_MAX_LISTENERS 4096
/* sends and receives in flight, per thread, when a kprobe and kretprobe pair counts them */
#define NET_MAX_CALLS     8192
/* --port PORT[,PORT...] */
#define NET_MAX_PORTS     16
/* --laddr, --raddr ADDR[,ADDR...], each */
#define NET_MAX_ADDRS     16

/* address families, as the kernel numbers them */
#define NET_AF_INET  2
#define NET_AF_INET6 10

/* net_conn.flags */
#define NET_F_OWNER   (1u << 0)   /* owner (pid, comm...) known: attributed in process context */
#define NET_F_ACTIVE  (1u << 1)   /* opened by connect(); else accepted from a listener */
#define NET_F_PORTS   (1u << 2)   /* --port, --laddr not decided yet: the local end was not bound */
/*
 * Open before kscope started: followed from the first send or receive kscope
 * saw on it (its owner is that process); its bytes and duration are since then
 */
#define NET_F_ADOPTED (1u << 3)
#define NET_F_SYN_EV  (1u << 4)   /* --events: its CLOSE -> SYN_SENT waits for --port's answer */
/* --events: its LISTEN -> SYN_RECV waits for its remote end (set after that state on 6.1) */
#define NET_F_SYNRECV_EV (1u << 5)

/*
 * What a connection ended with, read from struct tcp_sock when it went to
 * TCP_CLOSE: after that no segment is sent or received on the socket, and a
 * disconnect (a failed connect() does one) zeroes these counters and the
 * remote address before the socket is destroyed.
 */
struct net_tcp_end {
	__u64 wire_bytes_sent;      /* tcp_sock.bytes_sent: data segments' bytes, retransmits too */
	__u64 wire_bytes_acked;     /* tcp_sock.bytes_acked: the SYN and FIN count one each */
	__u64 wire_bytes_received;  /* tcp_sock.bytes_received: the peer's FIN counts one */
	__u64 retrans_bytes;        /* tcp_sock.bytes_retrans */
	__u32 retrans_segs;         /* tcp_sock.total_retrans: segments, as TcpRetransSegs */
	__u32 rtos;                 /* tcp_sock.total_rto (6.7+), else NET_NONE */
	__u32 srtt_us;              /* smoothed RTT (tcp_sock.srtt_us >> 3); 0: never measured */
	__u32 min_rtt_us;           /* tcp_sock.rtt_min; NET_NONE: never measured */
	__s32 error;                /* sk->sk_err: a positive errno, 0 none */
	__u8 state;                 /* the TCP state it closed from (TCP_ESTABLISHED...); 0 open */
	__u8 pad[3];
};
_Static_assert(sizeof(struct net_tcp_end) == 56, "net_tcp_end layout");

/*
 * One TCP connection, from its opening (connect: SYN_SENT; a listener's new
 * child: SYN_RECV) until its socket is destroyed. Value of the `conns` map,
 * keyed by the socket's address; userspace reads the live ones every
 * interval. The connection ends at TCP_CLOSE, but the application may still
 * read what was received before (an active closer goes to CLOSE as the
 * peer's FIN arrives: TIME_WAIT is another socket), so its bytes are only
 * final when the socket is destroyed.
 */
struct net_conn {
	__u64 id;                 /* unique in the run: (cpu << 40) | opened on that CPU */
	__u64 start_ns;           /* when it was opened (bpf_ktime_get_ns) */
	__u64 cgroup_id;          /* cgroup v2 id of the owner */
	__u64 tx_bytes;           /* what the application passed to the socket */
	__u64 rx_bytes;           /* what it got from it (MSG_PEEK excluded) */
	__u32 pid, tid, ppid, uid;   /* the owner: connect(), listen(), or the first send/recv */
	char comm[KS_COMM_LEN];
	__u32 flags;              /* NET_F_* */
	__u32 netns;              /* the network namespace's inode number */
	/* the 4-tuple once known (a connect's local port: at ESTABLISHED); 0 before */
	__u16 family, lport, rport, pad;
	__u8 laddr[16], raddr[16];
	/* when it went to TCP_CLOSE, 0 before; the record waits for the socket's end */
	__u64 close_ns;
	struct net_tcp_end end;
	/* resets (tcp:tcp_send_reset, tcp:tcp_receive_reset); the last sent's reason */
	__u32 resets_sent, resets_received;
	__u32 reset_reason;       /* enum sk_rst_reason (6.10+); NET_NONE none or not given */
	__u32 retrans_base;       /* NET_F_ADOPTED: total_retrans when kscope adopted it */
	/*
	 * While it is open: its counters as the iterator last read them for
	 * userspace (live.state: its state then), at live_ns; 0 never read
	 */
	struct net_tcp_end live;
	__u64 live_ns;
};
_Static_assert(sizeof(struct net_conn) == 120 + 8 + 56 + 16 + 56 + 8, "net_conn layout");

/* An address of --laddr, --raddr: as the 4-tuple has it (IPv4: the first 4 bytes) */
struct net_addr {
	__u64 addr[2];
	__u16 family;              /* NET_AF_INET, NET_AF_INET6 */
	__u16 pad[3];
};
_Static_assert(sizeof(struct net_addr) == 24, "net_addr layout");

/* A listening socket's owner, keyed by (netns, local port) */
struct net_listen_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

struct net_owner {
	__u64 sk;                 /* the listening socket */
	__u64 cgroup_id;
	__u32 pid, tid, ppid, uid;
	char comm[KS_COMM_LEN];
	__u32 wanted;             /* the listener passed the filters (-p, -u, -c, --comm) */
	__u32 pad;
};

enum net_event_type {
	NET_EV_CLOSE = 1,
	/* --events (struct net_tcp_event) */
	NET_EV_STATE = 2,         /* a TCP state change */
	NET_EV_RETRANS = 3,       /* a segment sent again */
	NET_EV_RESET_SENT = 4,
	NET_EV_RESET_RECV = 5,
	NET_EV_ERROR = 6,         /* a socket error reported (sock:inet_sk_error_report) */
};

/*
 * A connection that closed, sent when its socket is destroyed. The header is
 * its owner's (pid, tid, ppid, uid, comm, cgroup_id, as the connection's
 * attribution found them), with the time and CPU of the destruction. The
 * wire counters are the kernel's own, read from struct tcp_sock then.
 */
struct net_close_event {
	struct ks_hdr hdr;
	__u64 id;
	__u64 start_ns;
	__u64 close_ns;             /* when it went to TCP_CLOSE */
	__u64 tx_bytes, rx_bytes;
	struct net_tcp_end end;
	__u32 netns;                /* the network namespace's inode number */
	__u32 flags;                /* NET_F_* */
	__u16 family;               /* NET_AF_INET, NET_AF_INET6 */
	__u16 lport, rport;         /* host byte order */
	__u16 pad;
	__u8 laddr[16], raddr[16];  /* IPv4: the first 4 bytes */
	__u32 resets_sent, resets_received;
	__u32 reset_reason;         /* the last sent's: enum sk_rst_reason, NET_NONE none */
	__u32 retrans_base;         /* NET_F_ADOPTED: segments retransmitted before kscope saw it */
};
_Static_assert(sizeof(struct net_close_event) == 56 + 40 + 56 + 16 + 32 + 16,
	       "net_close_event layout");

/* net_tcp_event.kind of a NET_EV_RETRANS */
enum net_retrans_kind {
	NET_RETRANS_SEGMENT = 0,  /* data or FIN (tcp:tcp_retransmit_skb) */
	NET_RETRANS_SYN = 1,      /* the SYN: tcp_retransmit_skb in SYN_SENT */
	NET_RETRANS_SYNACK = 2,   /* a listener's SYN-ACK (tcp:tcp_retransmit_synack) */
};

/*
 * --events: one TCP event. The header is the connection's owner as the
 * `conns` map has it (not the task on the CPU, often softirq), or, for a
 * listening socket, the task that listens or closes it; pid 0 and an empty
 * comm when no owner is known. Time and CPU are the event's.
 */
struct net_tcp_event {
	struct ks_hdr hdr;
	__u64 conn_id;              /* the connection's net_conn id; 0 not followed */
	__u32 netns;
	__s32 error;                /* NET_EV_ERROR: a positive errno */
	__u32 reason;               /* NET_EV_RESET_SENT: enum sk_rst_reason; NET_NONE none */
	__u16 family;               /* NET_AF_INET, NET_AF_INET6 */
	__u16 lport, rport;         /* host byte order */
	__u8 old_state;             /* NET_EV_STATE: the state it left */
	__u8 state;                 /* the socket's state (NET_EV_STATE: the new one); 0 no socket */
	__u8 kind;                  /* NET_EV_RETRANS: enum net_retrans_kind */
	__u8 pad[3];
	__u8 laddr[16], raddr[16];  /* IPv4: the first 4 bytes */
};
_Static_assert(sizeof(struct net_tcp_event) == 56 + 32 + 32, "net_tcp_event layout");

#define NET_NONE 0xffffffffu       /* a counter this kernel does not have */

/* ---- --drops: packet drops, counted in the kernel (net.bpf.c, net_drops.c) ---- */

/* drop keys counted at once (reason x netns x protocol x owner); a full map is map_full */
#define NET_MAX_DROP_KEYS 10240

/* net_drop_key.proto: from the socket's sk_protocol, else the packet's IP header */
enum net_drop_proto {
	NET_P_OTHER = 0,
	NET_P_TCP = 1,
	NET_P_UDP = 2,
	NET_P_ICMP = 3,      /* ICMP and ICMPv6 */
	NET_P_MAX,
};

/*
 * What drops are counted by. The owner fields are the socket's where the
 * kernel names one (the receiving socket, or the one the packet belongs to):
 * its cgroup and uid for any full socket; pid for a TCP connection `conns`
 * follows. Unknown: cgroup_id 0, uid NET_NONE, pid 0.
 */
struct net_drop_key {
	__u64 cgroup_id;      /* the socket's cgroup v2 id (sk_cgrp_data) */
	__u32 reason;         /* enum skb_drop_reason; NET_NONE: the kernel gives none (< 5.17) */
	__u32 netns;          /* the socket's, else the device's netns inode; 0 unknown */
	__u32 uid;            /* the socket's sk_uid */
	__u32 pid;            /* the connection's owner */
	__u8 proto;           /* enum net_drop_proto */
	__u8 pad[7];
};
_Static_assert(sizeof(struct net_drop_key) == 32, "net_drop_key layout");

/* Per CPU: userspace sums count; comm is the connection owner's (pid != 0) */
struct net_drop_val {
	__u64 count;
	char comm[KS_COMM_LEN];
};
_Static_assert(sizeof(struct net_drop_val) == 24, "net_drop_val layout");

#ifndef __BPF__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ks_out;

/* net_print.c: records checked and printed (the stream, and the tests) */

/* 0 if data is a well-formed record of size bytes, else -EINVAL */
int net_event_check(const void *data, size_t size);
/* "10.99.0.1", "::1": an address of family as text (at least NET_ADDR_STRLEN bytes) */
#define NET_ADDR_STRLEN 46
const char *net_addr_str(uint16_t family, const uint8_t addr[16], char *buf, size_t n);
/* "10.99.0.1:9000", "[::1]:9000" into buf (cut to n); its length */
size_t net_endpoint_str(char *buf, size_t n, uint16_t family, const uint8_t addr[16],
			uint16_t port);
/* "ESTABLISHED", "SYN_SENT"...; NULL for a number that is no TCP state */
const char *net_state_name(unsigned state);
/* "ipv4", "ipv6" */
const char *net_family_name(uint16_t family);
/* One closed connection, both sinks */
void net_print_close(struct ks_out *o, const struct net_close_event *e);

struct btf;
/* net.c: tcp_recvmsg()'s flags argument (0-based) by its prototype in btf: 4 or 3 */
unsigned net_recv_flags_arg(const struct btf *btf);

/* net_events.c: --events' records, and the kernel's reset reasons by name */

/* 0 if data is a well-formed struct net_tcp_event of size bytes, else -EINVAL */
int net_tcp_event_check(const void *data, size_t size);
/* Is type one of --events' record types? */
bool net_is_tcp_event(unsigned type);
/* One event, both sinks */
void net_print_tcp_event(struct ks_out *o, const struct net_tcp_event *e);
/*
 * The names of enum sk_rst_reason, from a kernel's BTF (path: --btf FILE,
 * or NULL for the running kernel's); without one (before 6.10) every
 * reason is nameless. 0, or -errno when the BTF cannot be read.
 */
int net_reset_reasons_load(const char *btf_path);
/* For the tests: names by value, reason[i] the name of value i (copied) */
void net_reset_reasons_set(const char *const *names, unsigned n);
void net_reset_reasons_free(void);
/* Where the names are read from when first wanted: --btf FILE, or NULL (the running kernel) */
void net_reset_reasons_source(const char *btf_path);
/* "NO_SOCKET" (without SK_RST_REASON_), or NULL: no name known for it */
const char *net_reset_reason_name(uint32_t reason);

/* net_drops.c: --drops */
struct ks_opts;
struct ks_out;

/* The kernel's drop reason names (enum skb_drop_reason), without SKB_DROP_REASON_ */
struct net_reasons {
	size_t n;
	struct net_reason { uint32_t value; char *name; } *v;   /* sorted by value */
};
/* 0; -ENOENT: this BTF has no enum skb_drop_reason; -ENOMEM */
int net_reasons_load(struct net_reasons *r, const struct btf *btf);
/* "NO_SOCKET", or NULL for a value the enum does not name */
const char *net_reason_name(const struct net_reasons *r, uint32_t value);
void net_reasons_free(struct net_reasons *r);
/* "tcp", "udp", "icmp", "other"; NULL for a number that is none */
const char *net_drop_proto_name(unsigned proto);

struct net_drops;
/* The drops table, sorted by count (-s count), cut to top rows; NULL: errno */
struct net_drops *net_drops_new(const struct ks_opts *o, unsigned top);
void net_drops_free(struct net_drops *d);
/*
 * Does kfree_skb name the receiving socket (6.11+)? If not, a UDP receive
 * buffer drop's socket comes from udp_fail_queue_rcv_skb (net.bpf.c)
 */
bool net_drops_kernel_names_sk(const struct net_drops *d);
/* After load: the drops map's fd */
void net_drops_start(struct net_drops *d, int map_fd);
/* One key's per-CPU counts (from the map, or a test) into its row */
void net_drops_put(struct net_drops *d, const struct net_drop_key *k,
		   const struct net_drop_val *vals, int ncpus);
/* The period that ends now: the map's counts (if started) as this period's deltas */
void net_drops_report(struct net_drops *d, struct ks_out *o, bool interval);
#endif

#endif /* KSCOPE_NET_H */

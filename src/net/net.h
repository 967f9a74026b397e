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
};
_Static_assert(sizeof(struct net_conn) == 120 + 8 + 56, "net_conn layout");

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
};
_Static_assert(sizeof(struct net_close_event) == 56 + 40 + 56 + 16 + 32, "net_close_event layout");

#define NET_NONE 0xffffffffu       /* a counter this kernel does not have */

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
/* "ESTABLISHED", "SYN_SENT"...; NULL for a number that is no TCP state */
const char *net_state_name(unsigned state);
/* "ipv4", "ipv6" */
const char *net_family_name(uint16_t family);
/* One closed connection, both sinks */
void net_print_close(struct ks_out *o, const struct net_close_event *e);

/* net.c: tcp_recvmsg()'s flags argument (0-based) by its prototype in btf: 4 or 3 */
struct btf;
unsigned net_recv_flags_arg(const struct btf *btf);
#endif

#endif /* KSCOPE_NET_H */

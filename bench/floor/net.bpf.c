// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of the net benchmarks: BPF programs that do nothing, on the
 * four hooks kscope net attaches by default on this kernel (tp_btf
 * inet_sock_set_state and tcp_destroy_sock, per state change and per socket;
 * sock_send_length and sock_recv_length, per send and receive call). What
 * kscope net costs above these is its program bodies (the connection map,
 * the owner, the counters read at the close, the ring buffer) and its
 * reader.
 *
 * Plain u64 *ctx signatures: the attach point comes from the section name.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/inet_sock_set_state")
int empty_state(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int empty_destroy(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tp_btf/sock_send_length")
int empty_send(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tp_btf/sock_recv_length")
int empty_recv(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kscope net: addresses, states and families as text, the
 * checks a record from the ring buffer must pass, and the record printed in
 * both sinks byte for byte (src/net/net_print.c); --events' records and the
 * reset reasons by name (src/net/net_events.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "unit_out.h"

#include <bpf/btf.h>

#include "engine/out.h"
#include "net/net.h"

static const uint8_t V4_A[16] = { 10, 99, 0, 1 }, V4_B[16] = { 10, 99, 0, 2 };
static const uint8_t V6_LO[16] = { [15] = 1 };
static const uint8_t V6_DOC[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0x12, [15] = 0x34 };
static const uint8_t V6_MAPPED[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 7 };

/* A closed IPv4 connection: owner pid 4242 "curl", 1000 sent, 3333 received */
static struct net_close_event mk_close(void)
{
	struct net_close_event e = {
		.hdr = { .ts_ns = 5000000, .cgroup_id = 77, .type = NET_EV_CLOSE, .cpu = 1,
			 .pid = 4242, .tid = 4243, .ppid = 1, .uid = 1000, .comm = "curl" },
		.id = 9, .start_ns = 1000000, .close_ns = 3500000,
		.tx_bytes = 1000, .rx_bytes = 3333,
		.end = { .wire_bytes_sent = 2000, .wire_bytes_acked = 1002,
			 .wire_bytes_received = 3334, .retrans_bytes = 1000, .retrans_segs = 1,
			 .rtos = 0, .srtt_us = 52, .min_rtt_us = 31, .error = 0, .state = 5 },
		.netns = 4026531840u, .flags = NET_F_OWNER | NET_F_ACTIVE, .family = NET_AF_INET,
		.lport = 47236, .rport = 9000,
	};

	memcpy(e.laddr, V4_A, 16);
	memcpy(e.raddr, V4_B, 16);
	return e;
}

static void test_names(void **state)
{
	char buf[NET_ADDR_STRLEN];

	assert_string_equal(net_addr_str(NET_AF_INET, V4_A, buf, sizeof(buf)), "10.99.0.1");
	assert_string_equal(net_addr_str(NET_AF_INET6, V6_LO, buf, sizeof(buf)), "::1");
	assert_string_equal(net_addr_str(NET_AF_INET6, V6_DOC, buf, sizeof(buf)),
			    "2001:db8::1234");
	assert_string_equal(net_addr_str(NET_AF_INET6, V6_MAPPED, buf, sizeof(buf)),
			    "::ffff:192.0.2.7");
	/* the longest an address can be, and a buffer too short for it: "" */
	memset(buf, 0, sizeof(buf));
	{
		uint8_t full[16];

		memset(full, 0xab, sizeof(full));
		assert_string_equal(net_addr_str(NET_AF_INET6, full, buf, sizeof(buf)),
				    "abab:abab:abab:abab:abab:abab:abab:abab");
		assert_string_equal(net_addr_str(NET_AF_INET6, full, buf, 8), "");
	}
	assert_string_equal(net_state_name(1), "ESTABLISHED");
	assert_string_equal(net_state_name(2), "SYN_SENT");
	assert_string_equal(net_state_name(9), "LAST_ACK");
	assert_string_equal(net_state_name(13), "BOUND_INACTIVE");
	assert_null(net_state_name(0));
	assert_null(net_state_name(14));
	assert_null(net_state_name(~0u));
	assert_string_equal(net_family_name(NET_AF_INET), "ipv4");
	assert_string_equal(net_family_name(NET_AF_INET6), "ipv6");
	assert_null(net_family_name(0));
	assert_null(net_family_name(1));
}

static void test_check(void **state)
{
	struct net_close_event e = mk_close();

	assert_int_equal(sizeof(e), 216);
	assert_int_equal(net_event_check(&e, sizeof(e)), 0);
	assert_int_equal(net_event_check(&e, sizeof(e) + 8), 0);	/* ring padding */
	assert_int_equal(net_event_check(&e, sizeof(e) - 1), -EINVAL);
	assert_int_equal(net_event_check(&e, sizeof(struct ks_hdr)), -EINVAL);
	e.hdr.type = 2;
	assert_int_equal(net_event_check(&e, sizeof(e)), -EINVAL);
	e = mk_close();
	e.family = 1;		/* AF_UNIX: not ours */
	assert_int_equal(net_event_check(&e, sizeof(e)), -EINVAL);
	e = mk_close();
	e.end.state = 0;
	assert_int_equal(net_event_check(&e, sizeof(e)), -EINVAL);
	e.end.state = 14;
	assert_int_equal(net_event_check(&e, sizeof(e)), -EINVAL);
	e = mk_close();
	e.end.error = -1;
	assert_int_equal(net_event_check(&e, sizeof(e)), -EINVAL);
	e.end.error = 4096;
	assert_int_equal(net_event_check(&e, sizeof(e)), -EINVAL);
	e.end.error = 4095;
	assert_int_equal(net_event_check(&e, sizeof(e)), 0);
	/* times out of order: a duration would wrap */
	e = mk_close();
	e.start_ns = e.close_ns + 1;
	assert_int_equal(net_event_check(&e, sizeof(e)), -EINVAL);
	e = mk_close();
	e.close_ns = e.hdr.ts_ns + 1;
	assert_int_equal(net_event_check(&e, sizeof(e)), -EINVAL);
}

#define JCONN "{\"type\":\"net_conn\",\"ts_ns\":5000000,\"pid\":4242,\"tid\":4243,\"ppid\":1," \
	"\"uid\":1000,\"comm\":\"curl\",\"cgroup_id\":77,\"cpu\":1,\"conn_id\":9,"

static void test_print_json(void **state)
{
	struct net_close_event e = mk_close();
	struct ks_out o;

	out_open(&o, true);
	net_print_close(&o, &e);
	check_buf(&o, JCONN "\"family\":\"ipv4\",\"laddr\":\"10.99.0.1\",\"lport\":47236,"
		  "\"raddr\":\"10.99.0.2\",\"rport\":9000,\"netns\":4026531840,"
		  "\"open\":\"active\",\"tx_bytes\":1000,\"rx_bytes\":3333,"
		  "\"duration_ns\":2500000,\"state\":\"FIN_WAIT2\",\"error\":null,"
		  "\"retrans_segs\":1,\"retrans_bytes\":1000,\"rtos\":0,\"srtt_us\":52,"
		  "\"min_rtt_us\":31,\"wire_bytes_sent\":2000,\"wire_bytes_acked\":1002,"
		  "\"wire_bytes_received\":3334,\"resets_sent\":0,\"resets_received\":0,"
		  "\"reset_reason\":null}\n");

	/* IPv6, passive, refused: the errno by name; unknown counters are null */
	e.family = NET_AF_INET6;
	memcpy(e.laddr, V6_LO, 16);
	memcpy(e.raddr, V6_DOC, 16);
	e.flags = NET_F_OWNER;
	e.end = (struct net_tcp_end){ .error = 111, .state = 2, .rtos = NET_NONE,
				      .min_rtt_us = NET_NONE };
	e.tx_bytes = e.rx_bytes = 0;
	net_print_close(&o, &e);
	check_buf(&o, JCONN "\"family\":\"ipv6\",\"laddr\":\"::1\",\"lport\":47236,"
		  "\"raddr\":\"2001:db8::1234\",\"rport\":9000,\"netns\":4026531840,"
		  "\"open\":\"passive\",\"tx_bytes\":0,\"rx_bytes\":0,"
		  "\"duration_ns\":2500000,\"state\":\"SYN_SENT\",\"error\":\"ECONNREFUSED\","
		  "\"retrans_segs\":0,\"retrans_bytes\":0,\"rtos\":null,\"srtt_us\":null,"
		  "\"min_rtt_us\":null,\"wire_bytes_sent\":0,\"wire_bytes_acked\":0,"
		  "\"wire_bytes_received\":0,\"resets_sent\":0,\"resets_received\":0,"
		  "\"reset_reason\":null}\n");

	/* an errno without a name: its number */
	e.end.error = 4000;
	net_print_close(&o, &e);
	{
		char *got = strndup(o.buf, o.len);

		assert_non_null(got);
		assert_non_null(strstr(got, "\"error\":4000,"));
		free(got);
	}
	o.len = 0;
	out_close(&o);
}

static void test_print_text(void **state)
{
	struct net_close_event e = mk_close();
	struct ks_out o;

	out_open(&o, false);
	memcpy(e.hdr.comm, "cu\nrl", 6);	/* escaped, on one line */
	net_print_close(&o, &e);
	check_buf(&o, "0.005000    net_conn 4242    4243    1       cu\\nrl           "
		  "10.99.0.1:47236 > 10.99.0.2:9000 tx_bytes=1000 rx_bytes=3333 dur=2.50ms "
		  "state=FIN_WAIT2 retrans_segs=1 srtt_us=52\n");
	e.family = NET_AF_INET6;
	memcpy(e.laddr, V6_LO, 16);
	memcpy(e.raddr, V6_LO, 16);
	e.end = (struct net_tcp_end){ .error = 111, .state = 2, .rtos = 3,
				      .min_rtt_us = NET_NONE };
	net_print_close(&o, &e);
	check_buf(&o, "0.005000    net_conn 4242    4243    1       cu\\nrl           "
		  "[::1]:47236 > [::1]:9000 tx_bytes=1000 rx_bytes=3333 dur=2.50ms "
		  "state=SYN_SENT error=ECONNREFUSED retrans_segs=0 rtos=3 srtt_us=-\n");
	out_close(&o);
}

/* A connection opened before kscope: "existing", its duration unknown in both sinks */
static void test_print_existing(void **state)
{
	struct net_close_event e = mk_close();
	struct ks_out o;

	e.flags = NET_F_OWNER | NET_F_ADOPTED;
	out_open(&o, false);
	net_print_close(&o, &e);
	check_buf(&o, "0.005000    net_conn 4242    4243    1       curl             "
		  "10.99.0.1:47236 > 10.99.0.2:9000 tx_bytes=1000 rx_bytes=3333 dur=- "
		  "state=FIN_WAIT2 retrans_segs=1 srtt_us=52\n");
	out_close(&o);
	out_open(&o, true);
	net_print_close(&o, &e);
	check_buf(&o, JCONN "\"family\":\"ipv4\",\"laddr\":\"10.99.0.1\",\"lport\":47236,"
		  "\"raddr\":\"10.99.0.2\",\"rport\":9000,\"netns\":4026531840,"
		  "\"open\":\"existing\",\"tx_bytes\":1000,\"rx_bytes\":3333,"
		  "\"duration_ns\":null,\"state\":\"FIN_WAIT2\",\"error\":null,"
		  "\"retrans_segs\":1,\"retrans_bytes\":1000,\"rtos\":0,\"srtt_us\":52,"
		  "\"min_rtt_us\":31,\"wire_bytes_sent\":2000,\"wire_bytes_acked\":1002,"
		  "\"wire_bytes_received\":3334,\"resets_sent\":0,\"resets_received\":0,"
		  "\"reset_reason\":null}\n");
	out_close(&o);
}

/* enum sk_rst_reason as a kernel's BTF would name it (values 0, 1, 3; 2 has none) */
static const char *const REASONS[] = { "NOT_SPECIFIED", "NO_SOCKET", NULL, "TCP_RFC7323_PAWS" };

static int set_reasons(void **state)
{
	net_reset_reasons_set(REASONS, 4);
	return 0;
}

static int free_reasons(void **state)
{
	net_reset_reasons_free();
	return 0;
}

static void test_reset_reasons(void **state)
{
	assert_string_equal(net_reset_reason_name(0), "NOT_SPECIFIED");
	assert_string_equal(net_reset_reason_name(1), "NO_SOCKET");
	assert_null(net_reset_reason_name(2));
	assert_string_equal(net_reset_reason_name(3), "TCP_RFC7323_PAWS");
	assert_null(net_reset_reason_name(4));
	assert_null(net_reset_reason_name(NET_NONE));
	/* a BTF file that is not there: no names, said once */
	assert_true(net_reset_reasons_load("/nonexistent/btf") < 0);
	assert_null(net_reset_reason_name(1));
	net_reset_reasons_set(REASONS, 4);
	assert_string_equal(net_reset_reason_name(1), "NO_SOCKET");
}

/* The row's resets: counts, and the last sent's reason by name, number or null */
static void test_close_resets(void **state)
{
	struct net_close_event e = mk_close();
	struct ks_out o;

	e.resets_sent = 2;
	e.resets_received = 1;
	e.reset_reason = 1;
	out_open(&o, true);
	net_print_close(&o, &e);
	{
		char *got = strndup(o.buf, o.len);

		assert_non_null(got);
		assert_non_null(strstr(got, "\"wire_bytes_received\":3334,\"resets_sent\":2,"
				       "\"resets_received\":1,\"reset_reason\":\"NO_SOCKET\"}\n"));
		free(got);
	}
	o.len = 0;
	e.reset_reason = 2;		/* no name in this kernel's enum */
	net_print_close(&o, &e);
	{
		char *got = strndup(o.buf, o.len);

		assert_non_null(strstr(got, "\"reset_reason\":2}\n"));
		free(got);
	}
	o.len = 0;
	e.reset_reason = NET_NONE;	/* the kernel gave none (before 6.10) */
	net_print_close(&o, &e);
	{
		char *got = strndup(o.buf, o.len);

		assert_non_null(strstr(got, "\"resets_sent\":2,\"resets_received\":1,"
				       "\"reset_reason\":null}\n"));
		free(got);
	}
	o.len = 0;
	/* no reset sent: a reason left in the entry is not shown */
	e.resets_sent = 0;
	e.reset_reason = 1;
	net_print_close(&o, &e);
	{
		char *got = strndup(o.buf, o.len);

		assert_non_null(strstr(got, "\"resets_sent\":0,\"resets_received\":1,"
				       "\"reset_reason\":null}\n"));
		free(got);
	}
	o.len = 0;
	out_close(&o);

	out_open(&o, false);
	e.resets_sent = 1;
	e.reset_reason = 1;
	net_print_close(&o, &e);
	check_buf(&o, "0.005000    net_conn 4242    4243    1       curl             "
		  "10.99.0.1:47236 > 10.99.0.2:9000 tx_bytes=1000 rx_bytes=3333 dur=2.50ms "
		  "state=FIN_WAIT2 retrans_segs=1 srtt_us=52 resets_sent=1 resets_received=1 "
		  "reset_reason=NO_SOCKET\n");
	out_close(&o);
}

/* A state change of the IPv4 connection of mk_close() */
static struct net_tcp_event mk_event(unsigned type)
{
	struct net_tcp_event e = {
		.hdr = { .ts_ns = 5000000, .cgroup_id = 77, .type = type, .cpu = 1,
			 .pid = 4242, .tid = 4243, .ppid = 1, .uid = 1000, .comm = "curl" },
		.conn_id = 9, .netns = 4026531840u, .reason = NET_NONE, .family = NET_AF_INET,
		.lport = 47236, .rport = 9000, .old_state = 2, .state = 1,
	};

	memcpy(e.laddr, V4_A, 16);
	memcpy(e.raddr, V4_B, 16);
	return e;
}

static void test_event_check(void **state)
{
	struct net_tcp_event e = mk_event(NET_EV_STATE);

	assert_int_equal(sizeof(e), 120);
	for (unsigned t = NET_EV_STATE; t <= NET_EV_ERROR; t++) {
		e = mk_event(t);
		assert_true(net_is_tcp_event(t));
		assert_int_equal(net_tcp_event_check(&e, sizeof(e)), 0);
		assert_int_equal(net_tcp_event_check(&e, sizeof(e) + 8), 0);
		assert_int_equal(net_tcp_event_check(&e, sizeof(e) - 1), -EINVAL);
	}
	assert_false(net_is_tcp_event(NET_EV_CLOSE));
	assert_false(net_is_tcp_event(7));
	e = mk_event(NET_EV_CLOSE);
	assert_int_equal(net_tcp_event_check(&e, sizeof(e)), -EINVAL);
	e = mk_event(7);
	assert_int_equal(net_tcp_event_check(&e, sizeof(e)), -EINVAL);
	e = mk_event(NET_EV_STATE);
	e.family = 1;
	assert_int_equal(net_tcp_event_check(&e, sizeof(e)), -EINVAL);
	/* a state change has both states; another event may have none (no socket) */
	e = mk_event(NET_EV_STATE);
	e.old_state = 0;
	assert_int_equal(net_tcp_event_check(&e, sizeof(e)), -EINVAL);
	e = mk_event(NET_EV_STATE);
	e.state = 0;
	assert_int_equal(net_tcp_event_check(&e, sizeof(e)), -EINVAL);
	e = mk_event(NET_EV_RESET_SENT);
	e.state = 0;
	assert_int_equal(net_tcp_event_check(&e, sizeof(e)), 0);
	e.state = 14;
	assert_int_equal(net_tcp_event_check(&e, sizeof(e)), -EINVAL);
	e = mk_event(NET_EV_RETRANS);
	e.kind = NET_RETRANS_SYNACK;
	assert_int_equal(net_tcp_event_check(&e, sizeof(e)), 0);
	e.kind = 3;
	assert_int_equal(net_tcp_event_check(&e, sizeof(e)), -EINVAL);
	e = mk_event(NET_EV_ERROR);
	e.error = -1;
	assert_int_equal(net_tcp_event_check(&e, sizeof(e)), -EINVAL);
	e.error = 4096;
	assert_int_equal(net_tcp_event_check(&e, sizeof(e)), -EINVAL);
	e.error = 4095;
	assert_int_equal(net_tcp_event_check(&e, sizeof(e)), 0);
}

#define JEV(type) "{\"type\":\"" type "\",\"ts_ns\":5000000,\"pid\":4242,\"tid\":4243," \
	"\"ppid\":1,\"uid\":1000,\"comm\":\"curl\",\"cgroup_id\":77,\"cpu\":1,\"conn_id\":9," \
	"\"family\":\"ipv4\",\"laddr\":\"10.99.0.1\",\"lport\":47236,\"raddr\":\"10.99.0.2\"," \
	"\"rport\":9000,\"netns\":4026531840,"

static void test_event_print_json(void **state)
{
	struct net_tcp_event e = mk_event(NET_EV_STATE);
	struct ks_out o;

	out_open(&o, true);
	net_print_tcp_event(&o, &e);
	check_buf(&o, JEV("net_state") "\"old_state\":\"SYN_SENT\",\"new_state\":\"ESTABLISHED\"}\n");

	e = mk_event(NET_EV_RETRANS);
	e.state = 4;
	net_print_tcp_event(&o, &e);
	check_buf(&o, JEV("net_retrans") "\"state\":\"FIN_WAIT1\",\"kind\":\"segment\"}\n");
	e.state = 2;
	e.kind = NET_RETRANS_SYN;
	net_print_tcp_event(&o, &e);
	check_buf(&o, JEV("net_retrans") "\"state\":\"SYN_SENT\",\"kind\":\"syn\"}\n");
	e.state = 12;
	e.kind = NET_RETRANS_SYNACK;
	net_print_tcp_event(&o, &e);
	check_buf(&o, JEV("net_retrans") "\"state\":\"NEW_SYN_RECV\",\"kind\":\"synack\"}\n");

	e = mk_event(NET_EV_RESET_RECV);
	e.state = 2;
	net_print_tcp_event(&o, &e);
	check_buf(&o, JEV("net_reset") "\"dir\":\"received\",\"state\":\"SYN_SENT\","
		  "\"reason\":null}\n");
	e = mk_event(NET_EV_RESET_SENT);
	e.state = 0;
	e.reason = 1;
	net_print_tcp_event(&o, &e);
	check_buf(&o, JEV("net_reset") "\"dir\":\"sent\",\"state\":null,\"reason\":\"NO_SOCKET\"}\n");
	e.reason = 2;
	net_print_tcp_event(&o, &e);
	check_buf(&o, JEV("net_reset") "\"dir\":\"sent\",\"state\":null,\"reason\":2}\n");
	e.reason = NET_NONE;
	net_print_tcp_event(&o, &e);
	check_buf(&o, JEV("net_reset") "\"dir\":\"sent\",\"state\":null,\"reason\":null}\n");

	e = mk_event(NET_EV_ERROR);
	e.state = 7;
	e.error = 111;
	net_print_tcp_event(&o, &e);
	check_buf(&o, JEV("net_error") "\"state\":\"CLOSE\",\"error\":\"ECONNREFUSED\"}\n");
	e.error = 4000;
	net_print_tcp_event(&o, &e);
	check_buf(&o, JEV("net_error") "\"state\":\"CLOSE\",\"error\":4000}\n");

	/* not followed (no connection, no netns known), IPv6 */
	e = mk_event(NET_EV_STATE);
	e.conn_id = 0;
	e.netns = 0;
	e.family = NET_AF_INET6;
	memcpy(e.laddr, V6_LO, 16);
	memcpy(e.raddr, V6_DOC, 16);
	net_print_tcp_event(&o, &e);
	check_buf(&o, "{\"type\":\"net_state\",\"ts_ns\":5000000,\"pid\":4242,\"tid\":4243,"
		  "\"ppid\":1,\"uid\":1000,\"comm\":\"curl\",\"cgroup_id\":77,\"cpu\":1,"
		  "\"conn_id\":null,\"family\":\"ipv6\",\"laddr\":\"::1\",\"lport\":47236,"
		  "\"raddr\":\"2001:db8::1234\",\"rport\":9000,\"netns\":null,"
		  "\"old_state\":\"SYN_SENT\",\"new_state\":\"ESTABLISHED\"}\n");
	out_close(&o);
}

#define TEV(type) "0.005000    " type " 4242    4243    1       cu\\nrl           "

static void test_event_print_text(void **state)
{
	struct net_tcp_event e = mk_event(NET_EV_STATE);
	struct ks_out o;

	out_open(&o, false);
	memcpy(e.hdr.comm, "cu\nrl", 6);	/* escaped, on one line */
	net_print_tcp_event(&o, &e);
	check_buf(&o, TEV("net_state") "10.99.0.1:47236 > 10.99.0.2:9000 SYN_SENT -> ESTABLISHED\n");
	e.hdr.type = NET_EV_RETRANS;
	e.state = 4;
	net_print_tcp_event(&o, &e);
	check_buf(&o, TEV("net_retrans") "10.99.0.1:47236 > 10.99.0.2:9000 state=FIN_WAIT1 "
		  "kind=segment\n");
	e.hdr.type = NET_EV_RESET_SENT;
	e.state = 0;
	e.reason = 1;
	net_print_tcp_event(&o, &e);
	check_buf(&o, TEV("net_reset") "10.99.0.1:47236 > 10.99.0.2:9000 dir=sent state=- "
		  "reason=NO_SOCKET\n");
	e.hdr.type = NET_EV_RESET_RECV;
	e.state = 2;
	net_print_tcp_event(&o, &e);
	check_buf(&o, TEV("net_reset") "10.99.0.1:47236 > 10.99.0.2:9000 dir=received "
		  "state=SYN_SENT\n");
	e.hdr.type = NET_EV_ERROR;
	e.state = 7;
	e.error = 104;
	e.family = NET_AF_INET6;
	memcpy(e.laddr, V6_LO, 16);
	memcpy(e.raddr, V6_LO, 16);
	net_print_tcp_event(&o, &e);
	check_buf(&o, TEV("net_error") "[::1]:47236 > [::1]:9000 state=CLOSE error=ECONNRESET\n");
	out_close(&o);
}

/* BTF with a FUNC `name` of nparams int parameters (none: no such FUNC) */
static struct btf *btf_with_func(const char *name, int nparams)
{
	struct btf *btf = btf__new_empty();
	int i32, proto;

	assert_non_null(btf);
	i32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	assert_true(i32 > 0);
	if (nparams < 0)
		return btf;
	proto = btf__add_func_proto(btf, i32);
	assert_true(proto > 0);
	for (int i = 0; i < nparams; i++)
		assert_int_equal(btf__add_func_param(btf, "a", i32), 0);
	assert_true(btf__add_func(btf, name, BTF_FUNC_GLOBAL, proto) > 0);
	return btf;
}

static void test_recv_flags_arg(void **state)
{
	static const struct {
		const char *name;
		int nparams;
		unsigned arg;
	} cases[] = {
		{ "tcp_recvmsg", 6, 4 },   /* sk, msg, len, nonblock, flags, addr_len: until 5.19 */
		{ "tcp_recvmsg", 5, 3 },   /* sk, msg, len, flags, addr_len */
		{ "tcp_recvmsg", 4, 3 },   /* sk, msg, len, flags */
		{ "tcp_sendmsg", 6, 3 },   /* another function: the default */
		{ "tcp_recvmsg", -1, 3 },  /* none at all */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct btf *btf = btf_with_func(cases[i].name, cases[i].nparams);

		assert_int_equal(net_recv_flags_arg(btf), cases[i].arg);
		btf__free(btf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_print_json),
		cmocka_unit_test(test_print_text),
		cmocka_unit_test(test_print_existing),
		cmocka_unit_test(test_reset_reasons),
		cmocka_unit_test(test_close_resets),
		cmocka_unit_test(test_event_check),
		cmocka_unit_test(test_event_print_json),
		cmocka_unit_test(test_event_print_text),
		cmocka_unit_test(test_recv_flags_arg),
	};

	/* reason names as a test kernel's BTF has them: never the machine's */
	return cmocka_run_group_tests(tests, set_reasons, free_reasons);
}

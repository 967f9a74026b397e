// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kscope net --drops (src/net/net_drops.c): the drop reason
 * names read from a kernel's BTF (fixtures made with libbpf's BTF writer:
 * two kernels that number the same reasons differently), whether the
 * kernel's kfree_skb names the socket, and the table in both sinks, byte
 * for byte, from per-CPU counts as the map holds them (and keys it never
 * holds: a protocol out of range, a reason no enum names).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/btf.h>

#include "unit_out.h"

#include "engine/cli.h"
#include "engine/out.h"
#include "net/net.h"

struct reason_value {
	const char *name;
	long long value;
};

/*
 * A kernel's BTF with its enum skb_drop_reason (values in the order given)
 * and, if rx_sk, a trace_event_raw_kfree_skb that has that member (6.11+)
 */
static struct btf *mk_btf(const struct reason_value *v, size_t n, bool rx_sk)
{
	struct btf *btf = btf__new_empty();
	int e, ptr, st;

	assert_non_null(btf);
	assert_true(btf__add_int(btf, "int", 4, BTF_INT_SIGNED) > 0);
	/* another enum first, with a reason's name: not the one looked up */
	assert_true(btf__add_enum(btf, "sk_rst_reason", 4) > 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_NO_SOCKET", 77), 0);
	e = btf__add_enum(btf, "skb_drop_reason", 4);
	assert_true(e > 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(btf__add_enum_value(btf, v[i].name, v[i].value), 0);
	ptr = btf__add_ptr(btf, 0);
	assert_true(ptr > 0);
	st = btf__add_struct(btf, "trace_event_raw_kfree_skb", 32);
	assert_true(st > 0);
	assert_int_equal(btf__add_field(btf, "skbaddr", ptr, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, "location", ptr, 64, 0), 0);
	if (rx_sk)
		assert_int_equal(btf__add_field(btf, "rx_sk", ptr, 128, 0), 0);
	assert_int_equal(btf__add_field(btf, "reason", e, 192, 0), 0);
	return btf;
}

/* 6.18's numbers (an excerpt), given out of order */
static const struct reason_value K618[] = {
	{ "SKB_DROP_REASON_NETFILTER_DROP", 12 }, { "SKB_NOT_DROPPED_YET", 0 },
	{ "SKB_CONSUMED", 1 }, { "SKB_DROP_REASON_NOT_SPECIFIED", 2 },
	{ "SKB_DROP_REASON_NO_SOCKET", 3 }, { "SKB_DROP_REASON_SOCKET_RCVBUFF", 6 },
	{ "SKB_DROP_REASON_", 200 },	/* a bare prefix: kept whole */
	{ "SKB_DROP_REASON_SUBSYS_MASK", 0xffff0000 },
};

/* 6.1's: no SKB_CONSUMED, everything one lower, SOCKET_RCVBUFF elsewhere */
static const struct reason_value K61[] = {
	{ "SKB_NOT_DROPPED_YET", 0 }, { "SKB_DROP_REASON_NOT_SPECIFIED", 1 },
	{ "SKB_DROP_REASON_NO_SOCKET", 2 }, { "SKB_DROP_REASON_NETFILTER_DROP", 7 },
	{ "SKB_DROP_REASON_SOCKET_RCVBUFF", 15 },
};

static void test_reasons(void **state)
{
	struct btf *btf = mk_btf(K618, sizeof(K618) / sizeof(K618[0]), true);
	struct net_reasons r;

	assert_int_equal(net_reasons_load(&r, btf), 0);
	assert_int_equal(r.n, 8);
	assert_string_equal(net_reason_name(&r, 0), "SKB_NOT_DROPPED_YET");
	assert_string_equal(net_reason_name(&r, 1), "SKB_CONSUMED");
	assert_string_equal(net_reason_name(&r, 2), "NOT_SPECIFIED");
	assert_string_equal(net_reason_name(&r, 3), "NO_SOCKET");
	assert_string_equal(net_reason_name(&r, 6), "SOCKET_RCVBUFF");
	assert_string_equal(net_reason_name(&r, 12), "NETFILTER_DROP");
	assert_string_equal(net_reason_name(&r, 200), "SKB_DROP_REASON_");
	assert_string_equal(net_reason_name(&r, 0xffff0000), "SUBSYS_MASK");
	assert_null(net_reason_name(&r, 4));
	assert_null(net_reason_name(&r, 77));	/* the other enum's */
	assert_null(net_reason_name(&r, NET_NONE));
	net_reasons_free(&r);
	assert_int_equal(r.n, 0);
	assert_null(r.v);
	btf__free(btf);

	/* the same names, another kernel's numbers */
	btf = mk_btf(K61, sizeof(K61) / sizeof(K61[0]), false);
	assert_int_equal(net_reasons_load(&r, btf), 0);
	assert_string_equal(net_reason_name(&r, 2), "NO_SOCKET");
	assert_string_equal(net_reason_name(&r, 7), "NETFILTER_DROP");
	assert_string_equal(net_reason_name(&r, 15), "SOCKET_RCVBUFF");
	assert_null(net_reason_name(&r, 3));
	net_reasons_free(&r);
	btf__free(btf);

	/* a kernel before 5.17: no enum, no names */
	btf = btf__new_empty();
	assert_true(btf__add_int(btf, "int", 4, BTF_INT_SIGNED) > 0);
	assert_int_equal(net_reasons_load(&r, btf), -ENOENT);
	assert_int_equal(r.n, 0);
	assert_null(net_reason_name(&r, 2));
	net_reasons_free(&r);
	btf__free(btf);
}

static void test_proto_names(void **state)
{
	assert_string_equal(net_drop_proto_name(NET_P_OTHER), "other");
	assert_string_equal(net_drop_proto_name(NET_P_TCP), "tcp");
	assert_string_equal(net_drop_proto_name(NET_P_UDP), "udp");
	assert_string_equal(net_drop_proto_name(NET_P_ICMP), "icmp");
	assert_null(net_drop_proto_name(NET_P_MAX));
	assert_null(net_drop_proto_name(255));
}

/* The BTF as a file, for --btf FILE: its path (the caller unlinks it) */
static char *btf_file(const struct btf *btf)
{
	char *path = strdup("/tmp/kscope-unit-btf-XXXXXX");
	const void *raw;
	uint32_t size;
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	raw = btf__raw_data(btf, &size);
	assert_non_null(raw);
	assert_int_equal(write(fd, raw, size), (ssize_t)size);
	close(fd);
	return path;
}

/* A drops table whose kernel is the fixture of that BTF (--btf FILE) */
static struct net_drops *mk_drops(const struct reason_value *v, size_t n, bool rx_sk,
				  unsigned top)
{
	struct btf *btf = mk_btf(v, n, rx_sk);
	struct ks_opts o = { .btf_path = btf_file(btf) };
	struct net_drops *d = net_drops_new(&o, top);

	assert_non_null(d);
	unlink(o.btf_path);
	free((char *)o.btf_path);
	btf__free(btf);
	return d;
}

static void test_kernel_names_sk(void **state)
{
	struct net_drops *d = mk_drops(K618, sizeof(K618) / sizeof(K618[0]), true, 0);

	assert_true(net_drops_kernel_names_sk(d));
	net_drops_free(d);
	d = mk_drops(K61, sizeof(K61) / sizeof(K61[0]), false, 0);
	assert_false(net_drops_kernel_names_sk(d));
	net_drops_free(d);
}

#define NETNS 4026532174u

/* The rows of the tests: per-CPU values as the map gives them (2 CPUs) */
static void put_rows(struct net_drops *d, uint64_t scale)
{
	/* 7 UDP datagrams to a closed port: no socket */
	struct net_drop_key nosock = { .reason = 3, .netns = NETNS, .uid = NET_NONE,
				       .proto = NET_P_UDP };
	/* a UDP socket's receive buffer: its cgroup and uid, no pid */
	struct net_drop_key rcvbuf = { .cgroup_id = 101, .reason = 6, .netns = NETNS,
				       .uid = 1000, .proto = NET_P_UDP };
	/* a followed TCP connection's, its comm with a control byte */
	struct net_drop_key nf = { .cgroup_id = 1, .reason = 12, .netns = NETNS, .uid = 0,
				   .pid = 4242, .proto = NET_P_TCP };
	/* a reason this kernel's enum does not name; a kernel without reasons */
	struct net_drop_key unnamed = { .reason = 99, .proto = NET_P_ICMP, .uid = NET_NONE };
	struct net_drop_key none = { .reason = NET_NONE, .proto = NET_P_OTHER, .uid = NET_NONE };
	/* a protocol number no kernel side of this kscope writes */
	struct net_drop_key bad = { .reason = 2, .proto = 200, .uid = NET_NONE, .netns = 1 };
	struct net_drop_val v[2] = {};

	v[0].count = 3 * scale;
	v[1].count = 4 * scale;
	net_drops_put(d, &nosock, v, 2);
	v[0].count = 49 * scale;
	v[1].count = 0;
	net_drops_put(d, &rcvbuf, v, 2);
	v[0].count = 0;
	v[1].count = 1 * scale;
	memcpy(v[1].comm, "srv\n", 5);
	net_drops_put(d, &nf, v, 2);
	memset(v, 0, sizeof(v));
	v[0].count = 2 * scale;
	net_drops_put(d, &unnamed, v, 2);
	net_drops_put(d, &none, v, 2);
	v[0].count = 0;
	v[1].count = 5 * scale;
	net_drops_put(d, &bad, v, 2);
}

/* The JSON lines after each one's "interval_ns" (the clock's) */
static void check_json_rows(struct ks_out *o, const char *const *want, size_t n)
{
	char *buf = strndup(o->buf, o->len), *line = buf, *nl;
	size_t i = 0;

	assert_non_null(buf);
	for (; (nl = strchr(line, '\n')); line = nl + 1, i++) {
		const char *rest = strstr(line, ",\"reason\":");

		*nl = '\0';
		assert_true(i < n);
		assert_true(!strncmp(line, "{\"type\":\"net_drop_stat\",\"ts_ns\":", 32));
		assert_non_null(rest);
		assert_string_equal(rest, want[i]);
	}
	assert_int_equal(i, n);
	free(buf);
	o->len = 0;
}

static void test_table_json(void **state)
{
	struct net_drops *d = mk_drops(K618, sizeof(K618) / sizeof(K618[0]), true, 0);
	static const char *const want[] = {
		",\"reason\":\"SOCKET_RCVBUFF\",\"reason_code\":6,\"protocol\":\"udp\",\"count\":49,"
		"\"netns\":4026532174,\"cgroup_id\":101,\"uid\":1000,\"pid\":null,\"comm\":null}",
		",\"reason\":\"NO_SOCKET\",\"reason_code\":3,\"protocol\":\"udp\",\"count\":7,"
		"\"netns\":4026532174,\"cgroup_id\":null,\"uid\":null,\"pid\":null,\"comm\":null}",
		",\"reason\":\"NOT_SPECIFIED\",\"reason_code\":2,\"protocol\":\"?\",\"count\":5,"
		"\"netns\":1,\"cgroup_id\":null,\"uid\":null,\"pid\":null,\"comm\":null}",
		",\"reason\":null,\"reason_code\":null,\"protocol\":\"other\",\"count\":2,"
		"\"netns\":null,\"cgroup_id\":null,\"uid\":null,\"pid\":null,\"comm\":null}",
		",\"reason\":\"99\",\"reason_code\":99,\"protocol\":\"icmp\",\"count\":2,"
		"\"netns\":null,\"cgroup_id\":null,\"uid\":null,\"pid\":null,\"comm\":null}",
		",\"reason\":\"NETFILTER_DROP\",\"reason_code\":12,\"protocol\":\"tcp\",\"count\":1,"
		"\"netns\":4026532174,\"cgroup_id\":1,\"uid\":0,\"pid\":4242,\"comm\":\"srv\\n\"}",
	};
	static const char *const second[] = {
		",\"reason\":\"SOCKET_RCVBUFF\",\"reason_code\":6,\"protocol\":\"udp\",\"count\":49,"
		"\"netns\":4026532174,\"cgroup_id\":101,\"uid\":1000,\"pid\":null,\"comm\":null}",
	};
	struct ks_out o;

	out_open(&o, true);
	put_rows(d, 1);
	net_drops_report(d, &o, true);
	check_json_rows(&o, want, 6);
	/* a period where only the receive buffer drops grew: that row, the period's 49 */
	put_rows(d, 1);
	{
		struct net_drop_key rcvbuf = { .cgroup_id = 101, .reason = 6, .netns = NETNS,
					       .uid = 1000, .proto = NET_P_UDP };
		struct net_drop_val v[2] = { { .count = 98 } };

		net_drops_put(d, &rcvbuf, v, 2);
	}
	net_drops_report(d, &o, true);
	check_json_rows(&o, second, 1);
	out_close(&o);
	net_drops_free(d);
}

static void test_table_text(void **state)
{
	struct net_drops *d = mk_drops(K618, sizeof(K618) / sizeof(K618[0]), true, 2);
	struct ks_out o;

	out_open(&o, false);
	put_rows(d, 1);
	net_drops_report(d, &o, false);	/* the end of a run without an interval */
	check_buf(&o,
		  "REASON                   PROTO      COUNT      NETNS   CGROUP    UID     PID COMM\n"
		  "SOCKET_RCVBUFF           udp           49 4026532174      101   1000       - -\n"
		  "NO_SOCKET                udp            7 4026532174        -      -       - -\n"
		  "(4 more not shown: -n)\n");
	out_close(&o);
	net_drops_free(d);
}

/* Many kinds of drops (the table grows its index): each once, its own count */
static void test_many_rows(void **state)
{
	struct net_drops *d = mk_drops(K618, sizeof(K618) / sizeof(K618[0]), true, 0);
	struct net_drop_val v[2] = {};
	struct ks_out o;
	size_t lines = 0;

	out_open(&o, true);
	for (uint32_t i = 0; i < 1000; i++) {
		struct net_drop_key k = { .reason = 2 + i % 3, .netns = NETNS, .uid = NET_NONE,
					  .pid = 1000 + i, .proto = NET_P_TCP };

		v[i % 2].count = i + 1;
		v[1 - i % 2].count = 0;
		net_drops_put(d, &k, v, 2);
	}
	net_drops_report(d, &o, true);
	for (size_t i = 0; i < o.len; i++)
		lines += o.buf[i] == '\n';
	assert_int_equal(lines, 1000);
	/* sorted by count: the first is pid 1999's 1000 drops, the last pid 1000's one */
	assert_non_null(strstr(o.buf, "\"count\":1000,"));
	assert_true(strstr(o.buf, "\"pid\":1999,") < strstr(o.buf, "\"pid\":1998,"));
	o.len = 0;
	out_close(&o);
	net_drops_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_proto_names),
		cmocka_unit_test(test_kernel_names_sk),
		cmocka_unit_test(test_table_json),
		cmocka_unit_test(test_table_text),
		cmocka_unit_test(test_many_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

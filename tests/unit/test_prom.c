// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for src/agent/prom.c, the agent's metric store and its text
 * exposition: exact integers, escaping (label values from the kernel are
 * any bytes), histogram buckets at the real upper edge of each kernel
 * slot, cumulative with +Inf, _sum and _count, the series budget folding
 * the smallest into "other" with sums unchanged, expiry, and a family
 * with a label set named "other" by its data.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/prom.h"

static char *render(struct ks_prom *p)
{
	char *buf;
	size_t len;

	assert_int_equal(ks_prom_render(p, &buf, &len), 0);
	assert_int_equal(strlen(buf), len);
	return buf;
}

static struct ks_prom_labels L1(const char *a)
{
	return (struct ks_prom_labels){ { a }, { -1 } };
}

static struct ks_prom_labels L2(const char *a, const char *b)
{
	return (struct ks_prom_labels){ { a, b }, { -1, -1 } };
}

static const struct ks_prom_desc calls = {
	"kscope_syscalls_total", "Calls.\nSecond line \\ here.", KS_PROM_COUNTER, { "syscall" }
};

static void test_counter_exact(void **state)
{
	struct ks_prom *p = ks_prom_new(0, 0);
	struct ks_prom_family *f = ks_prom_family(p, &calls);
	struct ks_prom_labels l = L1("read");
	char *t;

	ks_prom_add(f, &l, 9007199254740993ull, 1);	/* 2^53 + 1: not a double */
	l = L1("close");
	ks_prom_add(f, &l, 3, 1);
	ks_prom_add(f, &l, 4, 2);
	t = render(p);
	assert_string_equal(t,
		"# HELP kscope_syscalls_total Calls.\\nSecond line \\\\ here.\n"
		"# TYPE kscope_syscalls_total counter\n"
		"kscope_syscalls_total{syscall=\"close\"} 7\n"
		"kscope_syscalls_total{syscall=\"read\"} 9007199254740993\n");
	free(t);
	ks_prom_free(p);
}

static void test_label_escaping(void **state)
{
	static const struct ks_prom_desc d = {
		"kscope_process_execs_total", "Execs.", KS_PROM_COUNTER, { "comm" }
	};
	struct ks_prom *p = ks_prom_new(0, 0);
	struct ks_prom_family *f = ks_prom_family(p, &d);
	/* quote, backslash, newline, tab, an invalid byte, valid UTF-8 (é) */
	struct ks_prom_labels l = { { "a\"b\\c\nd\te\xff" "\xc3\xa9" }, { -1 } };
	char *t;

	ks_prom_add(f, &l, 1, 1);
	t = render(p);
	assert_non_null(strstr(t, "{comm=\"a\\\"b\\\\c\\nd\\\\x09e\\\\xff\xc3\xa9\"} 1\n"));
	free(t);
	ks_prom_free(p);
}

static void test_unlabelled_zero(void **state)
{
	static const struct ks_prom_desc d = {
		"kscope_tcp_retransmits_total", "Retransmits.", KS_PROM_COUNTER, { NULL }
	};
	static const struct ks_prom_desc g = {
		"kscope_things", "With labels, none yet.", KS_PROM_COUNTER, { "x" }
	};
	struct ks_prom *p = ks_prom_new(0, 0);
	char *t;

	ks_prom_family(p, &d);
	ks_prom_family(p, &g);
	t = render(p);
	assert_string_equal(t, "# HELP kscope_tcp_retransmits_total Retransmits.\n"
			       "# TYPE kscope_tcp_retransmits_total counter\n"
			       "kscope_tcp_retransmits_total 0\n");
	free(t);
	ks_prom_free(p);
}

static void test_seconds(void **state)
{
	static const struct ks_prom_desc d = {
		"kscope_cgroup_cpu_seconds_total", "CPU.", KS_PROM_COUNTER, { "cgroup" }, 1e-9
	};
	struct ks_prom *p = ks_prom_new(0, 0);
	struct ks_prom_family *f = ks_prom_family(p, &d);
	struct ks_prom_labels l = L1("/a");
	char *t;

	ks_prom_add(f, &l, 1500000000ull, 1);
	l = L1("/b");
	ks_prom_add(f, &l, 1, 1);
	t = render(p);
	assert_non_null(strstr(t, "{cgroup=\"/a\"} 1.5\n"));
	assert_non_null(strstr(t, "{cgroup=\"/b\"} 1e-09\n"));
	free(t);
	ks_prom_free(p);
}

/* Slot k of a log2 histogram of slot_ns units: le = (2^(k+1) * slot_ns - 1) ns */
static void test_histogram_edges(void **state)
{
	static const struct ks_prom_desc d = {
		"kscope_syscall_duration_seconds", "Latency.", KS_PROM_HISTOGRAM, { "syscall" },
		1e-9, 1000, 0, 3
	};
	struct ks_prom *p = ks_prom_new(0, 0);
	struct ks_prom_family *f = ks_prom_family(p, &d);
	struct ks_prom_labels l = L1("read");
	/* 2 calls of 0-1 us, 3 of 2-3 us, 1 of 8-15 us, 4 beyond the last bucket */
	uint64_t slots[8] = { 2, 3, 0, 1, 0, 4 };
	char *t;

	ks_prom_observe(f, &l, slots, 8, 123456789, 1);
	t = render(p);
	assert_string_equal(t,
		"# HELP kscope_syscall_duration_seconds Latency.\n"
		"# TYPE kscope_syscall_duration_seconds histogram\n"
		"kscope_syscall_duration_seconds_bucket{syscall=\"read\",le=\"1.999e-06\"} 2\n"
		"kscope_syscall_duration_seconds_bucket{syscall=\"read\",le=\"3.999e-06\"} 5\n"
		"kscope_syscall_duration_seconds_bucket{syscall=\"read\",le=\"7.999e-06\"} 5\n"
		"kscope_syscall_duration_seconds_bucket{syscall=\"read\",le=\"1.5999e-05\"} 6\n"
		"kscope_syscall_duration_seconds_bucket{syscall=\"read\",le=\"+Inf\"} 10\n"
		"kscope_syscall_duration_seconds_sum{syscall=\"read\"} 0.123456789\n"
		"kscope_syscall_duration_seconds_count{syscall=\"read\"} 10\n");
	free(t);
	ks_prom_free(p);
}

/* Buckets below `first` are counted in it (cumulative); ns slots: le = 2^(k+1) - 1 ns */
static void test_histogram_first_bucket(void **state)
{
	static const struct ks_prom_desc d = {
		"kscope_runqueue_latency_seconds", "Wait.", KS_PROM_HISTOGRAM, { NULL },
		1e-9, 1, 9, 10
	};
	struct ks_prom *p = ks_prom_new(0, 0);
	struct ks_prom_family *f = ks_prom_family(p, &d);
	uint64_t slots[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	char *t;

	ks_prom_observe(f, NULL, slots, 12, 1000, 1);
	t = render(p);
	/* 1023 ns: slots 0..9 = 10; 2047 ns: 11; +Inf: 12 */
	assert_non_null(strstr(t, "_bucket{le=\"1.023e-06\"} 10\n"));
	assert_non_null(strstr(t, "_bucket{le=\"2.047e-06\"} 11\n"));
	assert_non_null(strstr(t, "_bucket{le=\"+Inf\"} 12\n"));
	assert_non_null(strstr(t, "_sum 1e-06\n"));
	assert_non_null(strstr(t, "_count 12\n"));
	assert_null(strstr(t, "le=\"5.11e-07\""));
	free(t);
	ks_prom_free(p);
}

/* Past the budget the smallest go to "other", the sum unchanged, and stay there */
static void test_budget(void **state)
{
	struct ks_prom *p = ks_prom_new(2, 0);
	struct ks_prom_family *f = ks_prom_family(p, &calls);
	struct ks_prom_labels l;
	const char *names[] = { "a", "b", "c", "d" };
	uint64_t vals[] = { 10, 1, 5, 2 };
	char *t;

	for (int i = 0; i < 4; i++) {
		l = L1(names[i]);
		ks_prom_add(f, &l, vals[i], 1);
	}
	assert_int_equal(ks_prom_maintain(p, 2), 2);
	t = render(p);
	assert_string_equal(strstr(t, "kscope_syscalls_total{"),
		"kscope_syscalls_total{syscall=\"a\"} 10\n"
		"kscope_syscalls_total{syscall=\"c\"} 5\n"
		"kscope_syscalls_total{syscall=\"other\"} 3\n");
	free(t);
	assert_int_equal(ks_prom_family_series(f), 3);
	assert_int_equal(ks_prom_family_folded(f), 2);
	/* a folded series that grows adds to other; "b" is never shown again */
	l = L1("b");
	ks_prom_add(f, &l, 100, 3);
	assert_int_equal(ks_prom_maintain(p, 3), 0);
	t = render(p);
	assert_non_null(strstr(t, "{syscall=\"other\"} 103\n"));
	assert_null(strstr(t, "{syscall=\"b\"}"));
	free(t);
	ks_prom_free(p);
}

/* A series whose labels say "other" by themselves is counted in it */
static void test_named_other(void **state)
{
	static const struct ks_prom_desc d = {
		"kscope_syscall_errors_total", "Errors.", KS_PROM_COUNTER, { "syscall", "errno" }
	};
	struct ks_prom *p = ks_prom_new(1, 0);
	struct ks_prom_family *f = ks_prom_family(p, &d);
	struct ks_prom_labels l = L2("other", "other");
	char *t;

	ks_prom_add(f, &l, 4, 1);
	l = L2("open", "ENOENT");
	ks_prom_add(f, &l, 1, 1);
	ks_prom_maintain(p, 1);
	t = render(p);
	assert_string_equal(strstr(t, "kscope_syscall_errors_total{"),
		"kscope_syscall_errors_total{syscall=\"open\",errno=\"ENOENT\"} 1\n"
		"kscope_syscall_errors_total{syscall=\"other\",errno=\"other\"} 4\n");
	free(t);
	ks_prom_free(p);
}

/* An expiring family: a series still for expire_ns goes to other; a gauge just goes */
static void test_expire(void **state)
{
	static const struct ks_prom_desc d = {
		"kscope_oom_kills_total", "OOM.", KS_PROM_COUNTER, { "cgroup", "container" },
		.flags = KS_PROM_EXPIRES
	};
	static const struct ks_prom_desc g = {
		"kscope_cgroup_memory_bytes", "Mem.", KS_PROM_GAUGE, { "cgroup", "container" },
		.flags = KS_PROM_EXPIRES
	};
	struct ks_prom *p = ks_prom_new(100, 1000);
	struct ks_prom_family *f = ks_prom_family(p, &d), *m = ks_prom_family(p, &g);
	struct ks_prom_labels l = L2("/gone", "");
	char *t;

	ks_prom_add(f, &l, 2, 100);
	ks_prom_set(m, &l, 4096, 100);
	l = L2("/live", "abc");
	ks_prom_add(f, &l, 1, 100);
	ks_prom_set(m, &l, 8192, 100);
	ks_prom_add(f, &l, 1, 1500);
	ks_prom_set(m, &l, 8192, 1500);
	assert_int_equal(ks_prom_maintain(p, 1600), 1);	/* the gauge is not folded: gone */
	t = render(p);
	assert_non_null(strstr(t, "kscope_oom_kills_total{cgroup=\"/live\",container=\"abc\"} 2\n"));
	assert_non_null(strstr(t, "kscope_oom_kills_total{cgroup=\"other\",container=\"other\"} 2\n"));
	assert_null(strstr(t, "/gone"));
	assert_non_null(strstr(t, "kscope_cgroup_memory_bytes{cgroup=\"/live\",container=\"abc\"} 8192\n"));
	assert_null(strstr(t, "kscope_cgroup_memory_bytes{cgroup=\"other\""));
	free(t);
	ks_prom_free(p);
}

static void test_many_series(void **state)
{
	struct ks_prom *p = ks_prom_new(0, 0);
	struct ks_prom_family *f = ks_prom_family(p, &calls);
	char name[16], *t;
	uint64_t sum = 0;

	for (int i = 0; i < 5000; i++) {
		struct ks_prom_labels l;

		snprintf(name, sizeof(name), "s%d", i);
		l = L1(name);
		ks_prom_add(f, &l, i, 1);
		ks_prom_add(f, &l, 1, 2);
	}
	t = render(p);
	for (char *s = t; (s = strstr(s, "} ")); s += 2)
		sum += strtoull(s + 2, NULL, 10);
	assert_int_equal(sum, 5000ull * 4999 / 2 + 5000);
	assert_int_equal(ks_prom_family_series(f), 5000);
	free(t);
	ks_prom_free(p);
}

static void test_fmt_double(void **state)
{
	char b[40];

	ks_prom_fmt_double(b, sizeof(b), 0.1);
	assert_string_equal(b, "0.1");
	ks_prom_fmt_double(b, sizeof(b), 1.023e-06);
	assert_string_equal(b, "1.023e-06");
	ks_prom_fmt_double(b, sizeof(b), INFINITY);
	assert_string_equal(b, "+Inf");
	ks_prom_fmt_double(b, sizeof(b), NAN);
	assert_string_equal(b, "NaN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_exact),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_unlabelled_zero),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_histogram_edges),
		cmocka_unit_test(test_histogram_first_bucket),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_named_other),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_many_series),
		cmocka_unit_test(test_fmt_double),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

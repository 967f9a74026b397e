// SPDX-License-Identifier: GPL-2.0
/* Unit tests for src/engine/util.c: strict parsing, signal names, capabilities. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/util.h"

static void check_u64(const char *s, uint64_t min, uint64_t max, int err, uint64_t want)
{
	uint64_t v = 12345;

	assert_int_equal(ks_parse_u64(s, min, max, &v), err);
	assert_int_equal(v, err ? 12345 : want);	/* untouched on error */
}

static void test_parse_u64(void **state)
{
	check_u64("0", 0, 10, 0, 0);
	check_u64("10", 0, 10, 0, 10);
	check_u64("007", 0, 10, 0, 7);
	check_u64("5", 5, 5, 0, 5);
	check_u64("18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX);

	check_u64("11", 0, 10, -ERANGE, 0);
	check_u64("4", 5, 10, -ERANGE, 0);
	check_u64("18446744073709551616", 0, UINT64_MAX, -ERANGE, 0);
	check_u64("99999999999999999999999", 0, UINT64_MAX, -ERANGE, 0);

	check_u64("", 0, 10, -EINVAL, 0);
	check_u64("12x", 0, 100, -EINVAL, 0);
	check_u64("-1", 0, UINT64_MAX, -EINVAL, 0);
	check_u64("+1", 0, 10, -EINVAL, 0);
	check_u64(" 1", 0, 10, -EINVAL, 0);
	check_u64("1 ", 0, 10, -EINVAL, 0);
	check_u64("0x10", 0, 100, -EINVAL, 0);
	check_u64("1.5", 0, 10, -EINVAL, 0);
	check_u64("abc", 0, 10, -EINVAL, 0);
	check_u64(NULL, 0, 10, -EINVAL, 0);
}

static void check_seconds(const char *s, int err, double want)
{
	double v = -7;

	assert_int_equal(ks_parse_seconds(s, &v), err);
	if (err)
		assert_true(v == -7);
	else
		assert_true(v == want);
}

static void check_range(const char *s, int err, uint64_t lo, uint64_t hi)
{
	uint64_t a = 7, b = 9;

	assert_int_equal(ks_parse_addr_range(s, &a, &b), err);
	assert_int_equal(a, err ? 7 : lo);	/* untouched on error */
	assert_int_equal(b, err ? 9 : hi);
}

static void test_parse_addr_range(void **state)
{
	(void)state;
	check_range("0x200000000000-0x200000400000", 0, 0x200000000000ull, 0x200000400000ull);
	check_range("4096-8192", 0, 4096, 8192);
	check_range("0x1000-8192", 0, 4096, 8192);
	check_range("0X10-0x11", 0, 16, 17);
	check_range("0-1", 0, 0, 1);
	check_range("0-0xffffffffffffffff", 0, 0, UINT64_MAX);
	check_range("0x2000-0x1000", -EINVAL, 0, 0);	/* lo >= hi */
	check_range("0x1000-0x1000", -EINVAL, 0, 0);
	check_range("0x1000", -EINVAL, 0, 0);
	check_range("0x1000-", -EINVAL, 0, 0);
	check_range("-0x1000", -EINVAL, 0, 0);
	check_range("zz-0x1000", -EINVAL, 0, 0);
	check_range("0x-0x1000", -EINVAL, 0, 0);
	check_range("0x1000-0x2000 ", -EINVAL, 0, 0);
	check_range(" 1-2", -EINVAL, 0, 0);
	check_range("1--2", -EINVAL, 0, 0);
	check_range("+1-2", -EINVAL, 0, 0);
	check_range("1-0x10000000000000000", -EINVAL, 0, 0);	/* beyond 64 bits */
	check_range("", -EINVAL, 0, 0);
	check_range(NULL, -EINVAL, 0, 0);
}

static void test_parse_seconds(void **state)
{
	check_seconds("1", 0, 1);
	check_seconds("1.5", 0, 1.5);
	check_seconds(".25", 0, 0.25);
	check_seconds("0.001", 0, 0.001);
	check_seconds("1e3", 0, 1000);
	check_seconds("10000000", 0, 1e7);

	check_seconds("0", -ERANGE, 0);
	check_seconds("0.0", -ERANGE, 0);
	check_seconds("10000001", -ERANGE, 0);
	check_seconds("1e8", -ERANGE, 0);

	check_seconds("", -EINVAL, 0);
	check_seconds("-1", -EINVAL, 0);
	check_seconds("+1", -EINVAL, 0);
	check_seconds(" 1", -EINVAL, 0);
	check_seconds("x", -EINVAL, 0);
	check_seconds("1s", -EINVAL, 0);
	check_seconds("1.5 ", -EINVAL, 0);
	check_seconds("inf", -EINVAL, 0);
	check_seconds("nan", -EINVAL, 0);
	check_seconds("1e400", -EINVAL, 0);
	check_seconds(".", -EINVAL, 0);
	check_seconds(NULL, -EINVAL, 0);
}

static void check_uid(const char *s, int err, uint32_t want)
{
	uint32_t uid = 4242;

	assert_int_equal(ks_parse_uid(s, &uid), err);
	assert_int_equal(uid, err ? 4242 : want);
}

static void test_parse_uid(void **state)
{
	check_uid("0", 0, 0);
	check_uid("1000", 0, 1000);
	check_uid("4294967294", 0, 4294967294u);
	check_uid("root", 0, 0);

	check_uid("", -EINVAL, 0);
	check_uid("a:b", -EINVAL, 0);
	check_uid("root:", -EINVAL, 0);
	check_uid("nosuchuser_zz", -ENOENT, 0);
	check_uid("roo", -ENOENT, 0);		/* a prefix of a name is not the name */
	check_uid("rootx", -ENOENT, 0);
	check_uid("4294967295", -ENOENT, 0);	/* (uid_t)-1 is not a uid: looked up as a name */
}

static void test_signal_name(void **state)
{
	assert_string_equal(ks_signal_name(SIGKILL), "SIGKILL");
	assert_string_equal(ks_signal_name(9), "SIGKILL");
	assert_string_equal(ks_signal_name(1), "SIGHUP");
	assert_string_equal(ks_signal_name(6), "SIGABRT");
	assert_string_equal(ks_signal_name(11), "SIGSEGV");
	assert_string_equal(ks_signal_name(13), "SIGPIPE");
	assert_string_equal(ks_signal_name(15), "SIGTERM");
	assert_string_equal(ks_signal_name(SIGSYS), "SIGSYS");
	for (int sig = 1; sig <= SIGSYS; sig++) {
		const char *name = ks_signal_name(sig);

		if (!name)
			fail_msg("no name for signal %d", sig);
		assert_int_equal(strncmp(name, "SIG", 3), 0);
	}

	assert_null(ks_signal_name(0));
	assert_null(ks_signal_name(-1));
	assert_null(ks_signal_name(SIGSYS + 1));
	assert_null(ks_signal_name(99));
}

static void test_now_ns(void **state)
{
	struct timespec ts;
	uint64_t a, b, real;

	a = ks_now_ns(CLOCK_MONOTONIC);
	b = ks_now_ns(CLOCK_MONOTONIC);
	assert_true(a > 0);
	assert_true(b >= a);
	clock_gettime(CLOCK_REALTIME, &ts);
	real = ks_now_ns(CLOCK_REALTIME);
	assert_true(real >= (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec);
	assert_true(real - ((uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec) < 1000000000ull);
}

static void test_check_caps(void **state)
{
	const char *missing = "untouched";

	if (geteuid() != 0) {
		/* an unprivileged run: the missing capabilities are named */
		assert_int_equal(ks_check_caps(&missing), -EPERM);
		assert_non_null(strstr(missing, "CAP_"));
		return;
	}
	assert_int_equal(ks_check_caps(&missing), 0);
	assert_string_equal(missing, "untouched");
}

/* ks_vec: items copied in order, through growth; empty again after free */
static void test_vec(void **state)
{
	struct ks_vec v = KS_VEC(struct { uint32_t a; uint64_t b; });
	struct { uint32_t a; uint64_t b; } item, *p;

	(void)state;
	assert_int_equal(v.n, 0);
	for (uint32_t i = 0; i < 1000; i++) {
		item.a = i;
		item.b = (uint64_t)i << 40;
		p = ks_vec_push(&v, &item);
		assert_non_null(p);
		assert_int_equal(p->a, i);
	}
	assert_int_equal(v.n, 1000);
	assert_true(v.cap >= 1000);
	for (uint32_t i = 0; i < 1000; i++) {
		p = ks_vec_at(&v, i);
		assert_int_equal(p->a, i);
		assert_true(p->b == (uint64_t)i << 40);
	}
	ks_vec_free(&v);
	assert_null(v.v);
	assert_int_equal(v.n, 0);
	assert_int_equal(v.cap, 0);
	assert_non_null(ks_vec_push(&v, &item));	/* usable again */
	ks_vec_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_seconds),
		cmocka_unit_test(test_parse_addr_range),
		cmocka_unit_test(test_parse_uid),
		cmocka_unit_test(test_signal_name),
		cmocka_unit_test(test_now_ns),
		cmocka_unit_test(test_check_caps),
		cmocka_unit_test(test_vec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

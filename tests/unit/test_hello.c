// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kscope hello's record printer (src/hello/hello.c, through
 * its tracer's event callback): the text line and the JSON record byte for
 * byte, escaping, a cut filename, and malformed records refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit_out.h"

#include "kscope.h"
#include "engine/out.h"
#include "engine/trace.h"
#include "hello/hello.h"

static struct ks_out out;

static struct hello_event event(const char *comm, const char *filename)
{
	struct hello_event e = {
		.hdr = { .ts_ns = 5000, .cgroup_id = 1, .type = HELLO_EV_EXEC, .cpu = 1,
			 .pid = 42, .tid = 42, .ppid = 7, .uid = 1000 },
	};

	strncpy(e.hdr.comm, comm, sizeof(e.hdr.comm) - 1);
	strncpy(e.filename, filename, sizeof(e.filename) - 1);
	e.filename_len = strlen(e.filename);
	return e;
}

static int print(const void *data, size_t size)
{
	return hello_tracer.event(NULL, &out, data, size);
}

static void test_text(void **state)
{
	struct hello_event e = event("true", "/bin/true");

	(void)state;
	out_open(&out, false);
	assert_int_equal(print(&e, sizeof(e)), 0);
	check_buf(&out, "hello: pid=42 comm=true filename=/bin/true\n");
	/* control bytes from a process stay escaped on one line */
	e = event("a\nb\x1b", "/tmp/x\ty");
	assert_int_equal(print(&e, sizeof(e)), 0);
	check_buf(&out, "hello: pid=42 comm=a\\nb\\x1b filename=/tmp/x\\ty\n");
	/* a filename the kernel had longer than the record holds */
	e = event("sh", "/very/long");
	e.truncated = 1;
	assert_int_equal(print(&e, sizeof(e)), 0);
	check_buf(&out, "hello: pid=42 comm=sh filename=/very/long...\n");
	out_close(&out);
}

static void test_json(void **state)
{
	struct hello_event e = event("a\"b", "/bin/tr\x01ue");

	(void)state;
	out_open(&out, true);
	assert_int_equal(print(&e, sizeof(e)), 0);
	check_buf(&out, "{\"type\":\"hello\",\"ts_ns\":5000,\"pid\":42,\"tid\":42,\"ppid\":7,\"uid\":1000,"
		  "\"comm\":\"a\\\"b\",\"cgroup_id\":1,\"cpu\":1,\"filename\":\"/bin/tr\\u0001ue\","
		  "\"filename_truncated\":false}\n");
	out_close(&out);
}

static void test_malformed(void **state)
{
	struct hello_event e = event("true", "/bin/true");

	(void)state;
	out_open(&out, false);
	/* too short, or not this command's record: refused, nothing printed */
	assert_int_equal(print(&e, sizeof(e) - 1), -EINVAL);
	assert_int_equal(print(&e, 8), -EINVAL);
	e.hdr.type = 99;
	assert_int_equal(print(&e, sizeof(e)), -EINVAL);
	/* a length past the array is cut to it */
	e = event("true", "/bin/true");
	e.filename_len = 100000;
	memset(e.filename, 'x', sizeof(e.filename));
	assert_int_equal(print(&e, sizeof(e)), 0);
	assert_int_equal(out.len, strlen("hello: pid=42 comm=true filename=\n") + HELLO_FILENAME_MAX);
	out.len = 0;
	out_close(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

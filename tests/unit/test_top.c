// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kscope top's pure parts (src/top/top.c): its rate cells,
 * its sort values, its command line (a usage error is exit 2 before any
 * BPF), and the engine's rule that a command's own option wins over a
 * common one of the same letter (top's -d is its delay).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kscope.h"
#include "engine/cli.h"
#include "top/top.h"

static void test_rates(void **unused)
{
	static const struct { double v; const char *text; } cases[] = {
		{ 0, "0" }, { 1, "1" }, { 1023, "1023" }, { 1024, "1.0K" }, { 1536, "1.5K" },
		{ 10 * 1024, "10K" }, { 1023.0 * 1024, "1023K" }, { 1.5 * 1024 * 1024, "1.5M" },
		{ 3.0 * 1024 * 1024 * 1024, "3.0G" }, { 20.0 * 1024 * 1024 * 1024 * 1024, "20T" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		top_fmt_rate(buf, sizeof(buf), cases[i].v);
		assert_string_equal(buf, cases[i].text);
	}
}

static void test_sort_values(void **unused)
{
	struct top_row r = { .pid = 10, .tid = 0 };

	r.v[TV_CPU] = 5;
	r.v[TV_DREAD] = 3;
	r.v[TV_DWRITE] = 4;
	r.v[TV_RX] = 100;
	r.v[TV_TX] = 1;
	assert_int_equal(top_row_sort_value(&r, TS_CPU), 5);
	assert_int_equal(top_row_sort_value(&r, TS_DISK), 7);	/* read and write */
	assert_int_equal(top_row_sort_value(&r, TS_NET), 101);
	assert_int_equal(top_row_sort_value(&r, TS_PID), 10);	/* the process's row */
	r.tid = 12;
	assert_int_equal(top_row_sort_value(&r, TS_PID), 12);	/* a thread's: its tid */
	assert_string_equal(top_sort_name(TS_SYSCALLS), "SYSC/s");
	assert_string_equal(top_sort_name(TS_CPU), "CPU%");
}

/* cmd_top's usage errors: exit 2, before anything is loaded */
static void test_usage(void **unused)
{
	static const char *const bad[][4] = {
		{ "top", "-d", "0", NULL }, { "top", "-d", "0.05", NULL },
		{ "top", "-d", "abc", NULL }, { "top", "-d", "3601", NULL },
		{ "top", "-n", "0", NULL }, { "top", "-n", "x", NULL },
		{ "top", "-s", "nosuch", NULL }, { "top", "-s", "comm", NULL },
		{ "top", "--rows", "x", NULL }, { "top", "--duration", "5", NULL },
		{ "top", "-C", NULL }, { "top", "extra", NULL },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[4];
		int argc = 0;

		while (argc < 4 && bad[i][argc]) {
			argv[argc] = (char *)bad[i][argc];
			argc++;
		}
		if (argc < 4)
			argv[argc] = NULL;
		assert_int_equal(cmd_top(argc, argv), KS_EXIT_USAGE);
	}
}

/* ---- a command's own option over a common one ---------------------------------------- */

struct own_state {
	const char *d;
	int calls;
};

static struct own_state own;

static int own_parse(void *state, int key, const char *arg)
{
	struct own_state *s = state;

	s->calls++;
	if (key == 'd')
		s->d = arg;
	return 0;
}

static const struct ks_cli_opt own_opts[] = {
	{ "delay", 'd', "SECONDS", "the command's own -d" },
	{ 0 }
};

static struct ks_cli own_cli = {
	.cmd = "own", .summary = "a command with its own -d", .opts = own_opts,
	.parse = own_parse, .state = &own, .flags = KS_CLI_TRACE,
};

static void test_own_option_wins(void **unused)
{
	char *argv[] = { "own", "-d", "0.5", "-p", "1", NULL };
	char *common[] = { "own", "--duration", "5", NULL };
	struct ks_opts o;

	memset(&own, 0, sizeof(own));
	assert_int_equal(ks_cli_parse(&own_cli, 5, argv, &o), KS_CLI_CONTINUE);
	assert_string_equal(own.d, "0.5");
	assert_int_equal(own.calls, 1);
	assert_true(o.duration_s == 0);	/* not the common --duration */
	assert_int_equal(o.npids, 1);	/* the other common options stay */
	ks_opts_release(&o);
	/* the common long name of that letter is gone with it */
	assert_int_equal(ks_cli_parse(&own_cli, 3, common, &o), KS_EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_sort_values),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_own_option_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

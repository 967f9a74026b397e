// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kscope security's pure parts: --cap's parser (names with
 * or without CAP_, any case, numbers; the capabilities' numbers from
 * <linux/capability.h>, never typed here), and the op -> kind mapping the
 * kernel side and the printer share.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/capability.h>
#include <cmocka.h>

#include "security/security.h"

#define BIT(c) (1ull << (c))

static void test_parse_caps(void **state)
{
	uint64_t m = 0;

	(void)state;
	assert_int_equal(sec_parse_caps("SYS_ADMIN", &m), 0);
	assert_true(m == BIT(CAP_SYS_ADMIN));
	assert_int_equal(sec_parse_caps("cap_sys_admin,net_raw", &m), 0);
	assert_true(m == (BIT(CAP_SYS_ADMIN) | BIT(CAP_NET_RAW)));
	assert_int_equal(sec_parse_caps("CAP_SETUID,7", &m), 0);
	assert_true(m == BIT(CAP_SETUID));
	assert_int_equal(sec_parse_caps("0,40", &m), 0);
	assert_true(m == (BIT(0) | BIT(40)));
	assert_int_equal(sec_parse_caps("Bpf", &m), 0);
	assert_true(m == BIT(CAP_BPF));
}

static void test_parse_caps_bad(void **state)
{
	static const char *const bad[] = {
		"", ",", "SYS_ADMIN,", ",SYS_ADMIN", "SYS_ADMIN,,NET_RAW", "NOPE", "CAP_", "64",
		"-1", "1x", "CAP_CAP_SYS_ADMIN", "SYS ADMIN",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	uint64_t m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("%s\n", bad[i]);
		assert_int_equal(sec_parse_caps(bad[i], &m), -1);
	}
}

static void test_op_kinds(void **state)
{
	(void)state;
	for (unsigned op = SEC_OP_SETUID; op <= SEC_OP_CAPSET; op++)
		assert_int_equal(sec_op_kind(op), SEC_K_SETID);
	assert_int_equal(sec_op_kind(SEC_OP_EXECVE), SEC_K_EXEC);
	assert_int_equal(sec_op_kind(SEC_OP_EXECVEAT), SEC_K_EXEC);
	assert_int_equal(sec_op_kind(SEC_OP_PTRACE), SEC_K_PTRACE);
	assert_int_equal(sec_op_kind(SEC_OP_BPF), SEC_K_BPF);
	for (unsigned op = SEC_OP_INIT_MODULE; op <= SEC_OP_DELETE_MODULE; op++)
		assert_int_equal(sec_op_kind(op), SEC_K_MODULE);
	for (unsigned op = SEC_OP_MOUNT; op <= SEC_OP_MOUNT_SETATTR; op++)
		assert_int_equal(sec_op_kind(op), SEC_K_MOUNT);
	assert_int_equal(sec_op_kind(SEC_OP_UNSHARE), SEC_K_NS);
	assert_int_equal(sec_op_kind(SEC_OP_SETNS), SEC_K_NS);
	/* the kinds the syscall probes serve: all but the checks */
	assert_int_equal(SEC_KINDS_SYSCALL & (1u << SEC_K_CAP), 0);
	assert_int_equal(SEC_KINDS_SYSCALL | (1u << SEC_K_CAP), SEC_KINDS_ALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_caps),
		cmocka_unit_test(test_parse_caps_bad),
		cmocka_unit_test(test_op_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/* Unit tests for src/engine/plan.c: SEC() names, --no-hook, choosing a hook. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/plan.h"
#include "engine/util.h"

/* ---- ks_hook_from_section ------------------------------------------------ */

static void check_section(const char *sec, enum ks_hook_kind kind, const char *target)
{
	struct ks_hook h;

	memset(&h, 0x55, sizeof(h));
	assert_int_equal(ks_hook_from_section(sec, &h), 0);
	assert_int_equal(h.kind, kind);
	assert_string_equal(h.target, target);
}

static void test_section_valid(void **state)
{
	check_section("fentry/do_exit", KS_HOOK_FENTRY, "do_exit");
	check_section("fexit/x", KS_HOOK_FEXIT, "x");
	check_section("kprobe/x", KS_HOOK_KPROBE, "x");
	check_section("kretprobe/x", KS_HOOK_KRETPROBE, "x");
	check_section("tp_btf/sched_switch", KS_HOOK_TP_BTF, "sched_switch");
	check_section("raw_tp/x", KS_HOOK_RAW_TP, "x");
	check_section("raw_tracepoint/x", KS_HOOK_RAW_TP, "x");
	check_section("tracepoint/sched/sched_switch", KS_HOOK_TRACEPOINT, "sched/sched_switch");
	check_section("tp/sched/x", KS_HOOK_TRACEPOINT, "sched/x");
	check_section("lsm/file_open", KS_HOOK_LSM, "file_open");
}

static void test_section_target_length(void **state)
{
	char sec[7 + KS_HOOK_TARGET_MAX + 1] = "fentry/";
	struct ks_hook h = { .kind = KS_HOOK_LSM, .target = "keep" };

	/* 95 characters fit (with the NUL) */
	memset(sec + 7, 'f', KS_HOOK_TARGET_MAX - 1);
	sec[7 + KS_HOOK_TARGET_MAX - 1] = '\0';
	assert_int_equal(ks_hook_from_section(sec, &h), 0);
	assert_int_equal(h.kind, KS_HOOK_FENTRY);
	assert_int_equal(strlen(h.target), KS_HOOK_TARGET_MAX - 1);

	/* 96 do not */
	h = (struct ks_hook){ .kind = KS_HOOK_LSM, .target = "keep" };
	memset(sec + 7, 'f', KS_HOOK_TARGET_MAX);
	sec[7 + KS_HOOK_TARGET_MAX] = '\0';
	assert_int_equal(ks_hook_from_section(sec, &h), -EINVAL);
	assert_int_equal(h.kind, KS_HOOK_LSM);
	assert_string_equal(h.target, "keep");
}

static void test_section_invalid(void **state)
{
	static const char *const bad[] = {
		"", "fentry/", "fentry", "tracepoint/noslash", "tp/noslash", "tracepoint/",
		"kprobe/a/b", "fentry/a/b", "tp_btf/a/b", "xdp", "uprobe/x", "kprobe.multi/x",
		"FENTRY/x", "/fentry/x", "socket",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct ks_hook h = { .kind = KS_HOOK_LSM, .target = "keep" };

		if (ks_hook_from_section(bad[i], &h) != -EINVAL)
			fail_msg("section '%s' accepted", bad[i]);
		assert_int_equal(h.kind, KS_HOOK_LSM);
		assert_string_equal(h.target, "keep");
	}
}

static void test_kind_names_and_families(void **state)
{
	assert_string_equal(ks_hook_kind_name(KS_HOOK_FENTRY), "fentry");
	assert_string_equal(ks_hook_kind_name(KS_HOOK_FEXIT), "fexit");
	assert_string_equal(ks_hook_kind_name(KS_HOOK_KPROBE), "kprobe");
	assert_string_equal(ks_hook_kind_name(KS_HOOK_KRETPROBE), "kretprobe");
	assert_string_equal(ks_hook_kind_name(KS_HOOK_TP_BTF), "tp_btf");
	assert_string_equal(ks_hook_kind_name(KS_HOOK_RAW_TP), "raw_tp");
	assert_string_equal(ks_hook_kind_name(KS_HOOK_TRACEPOINT), "tracepoint");
	assert_string_equal(ks_hook_kind_name(KS_HOOK_LSM), "lsm");
	assert_string_equal(ks_hook_kind_name(KS_HOOK_NR), "?");

	assert_int_equal(ks_hook_family(KS_HOOK_FENTRY), KS_FAM_FENTRY);
	assert_int_equal(ks_hook_family(KS_HOOK_FEXIT), KS_FAM_FENTRY);
	assert_int_equal(ks_hook_family(KS_HOOK_KPROBE), KS_FAM_KPROBE);
	assert_int_equal(ks_hook_family(KS_HOOK_KRETPROBE), KS_FAM_KPROBE);
	assert_int_equal(ks_hook_family(KS_HOOK_TP_BTF), KS_FAM_TP_BTF);
	assert_int_equal(ks_hook_family(KS_HOOK_RAW_TP), KS_FAM_RAW_TP);
	assert_int_equal(ks_hook_family(KS_HOOK_TRACEPOINT), KS_FAM_TRACEPOINT);
	assert_int_equal(ks_hook_family(KS_HOOK_LSM), KS_FAM_LSM);
	assert_int_equal(ks_hook_family(KS_HOOK_NR), 0);
}

/* ---- ks_hook_families_parse ---------------------------------------------- */

static void check_families(const char *list, unsigned before, unsigned after)
{
	unsigned mask = before;

	assert_int_equal(ks_hook_families_parse(list, &mask), 0);
	assert_int_equal(mask, after);
}

static void test_families_valid(void **state)
{
	check_families("fentry,kprobe", 0, KS_FAM_FENTRY | KS_FAM_KPROBE);
	check_families("fexit", 0, KS_FAM_FENTRY);
	check_families("kretprobe", 0, KS_FAM_KPROBE);
	check_families("tp", 0, KS_FAM_TRACEPOINT);
	check_families("tracepoint", 0, KS_FAM_TRACEPOINT);
	check_families("tp_btf,raw_tp,lsm", 0, KS_FAM_TP_BTF | KS_FAM_RAW_TP | KS_FAM_LSM);
	check_families("fentry,fexit,fentry", 0, KS_FAM_FENTRY);
	/* OR-ed into what is there */
	check_families("lsm", KS_FAM_KPROBE, KS_FAM_KPROBE | KS_FAM_LSM);
	check_families("kprobe", KS_FAM_KPROBE, KS_FAM_KPROBE);
}

static void test_families_invalid(void **state)
{
	static const char *const bad[] = {
		"", "bogus", "fentry,", ",fentry", "fentry,,kprobe", "fentry,bogus",
		"FENTRY", "fentry ", "tp,", ",", "kprob", "kprobes",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		unsigned mask = KS_FAM_LSM;

		if (ks_hook_families_parse(bad[i], &mask) != -EINVAL)
			fail_msg("family list '%s' accepted", bad[i]);
		assert_int_equal(mask, KS_FAM_LSM);
	}
}

/* ---- ks_plan_choose ------------------------------------------------------ */

/* What the fake kernel offers: targets not listed are available */
struct fake_kernel {
	struct {
		const char *target;
		int err;
		const char *why;
	} missing[8];
	int calls;
};

static int fake_avail(const struct ks_hook *h, void *ctx, const char **why)
{
	struct fake_kernel *k = ctx;

	k->calls++;
	for (int i = 0; i < 8 && k->missing[i].target; i++) {
		if (!strcmp(k->missing[i].target, h->target)) {
			if (k->missing[i].why)
				*why = k->missing[i].why;
			return k->missing[i].err;
		}
	}
	return 0;
}

#define ALT(p, k, t) { .prog = p, .hook = { .kind = k, .target = t } }

static void test_choose_first_available(void **state)
{
	struct ks_alt alts[] = {
		ALT("a_fentry", KS_HOOK_FENTRY, "do_exit"),
		ALT("a_kprobe", KS_HOOK_KPROBE, "do_exit"),
	};
	struct fake_kernel k = { 0 };

	assert_int_equal(ks_plan_choose(alts, 2, 0, fake_avail, &k), 0);
	assert_int_equal(k.calls, 1);
	assert_int_equal(alts[0].err, 0);
	assert_null(alts[0].why);
	/* alternatives after the chosen one are not looked at */
	assert_int_equal(alts[1].err, 0);
	assert_null(alts[1].why);
}

static void test_choose_skips_unavailable(void **state)
{
	struct ks_alt alts[] = {
		ALT("a_fentry", KS_HOOK_FENTRY, "nofunc"),
		ALT("a_btf", KS_HOOK_TP_BTF, "notp"),
		ALT("a_tp", KS_HOOK_TRACEPOINT, "sched/sched_process_exit"),
	};
	struct fake_kernel k = {
		.missing = {
			{ "nofunc", -ENOENT, "no BTF for the function" },
			{ "notp", -EOPNOTSUPP, NULL },	/* no reason given */
		},
	};

	assert_int_equal(ks_plan_choose(alts, 3, 0, fake_avail, &k), 2);
	assert_int_equal(k.calls, 3);
	assert_int_equal(alts[0].err, -ENOENT);
	assert_string_equal(alts[0].why, "no BTF for the function");
	assert_int_equal(alts[1].err, -EOPNOTSUPP);
	assert_string_equal(alts[1].why, "not available");
	assert_int_equal(alts[2].err, 0);
	assert_null(alts[2].why);
}

static void test_choose_forbidden(void **state)
{
	struct ks_alt alts[] = {
		ALT("a_fentry", KS_HOOK_FENTRY, "do_exit"),
		ALT("a_fexit", KS_HOOK_FEXIT, "do_exit"),
		ALT("a_kprobe", KS_HOOK_KPROBE, "do_exit"),
		ALT("a_raw", KS_HOOK_RAW_TP, "sched_process_exit"),
	};
	struct fake_kernel k = { 0 };

	assert_int_equal(ks_plan_choose(alts, 4, KS_FAM_FENTRY | KS_FAM_KPROBE,
					fake_avail, &k), 3);
	assert_int_equal(k.calls, 1);	/* forbidden hooks are never probed */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(alts[i].err, -EPERM);
		assert_string_equal(alts[i].why, "disabled by --no-hook");
	}
	assert_int_equal(alts[3].err, 0);
	assert_null(alts[3].why);
}

static void test_choose_skips_failed(void **state)
{
	struct ks_alt alts[] = {
		ALT("a_fentry", KS_HOOK_FENTRY, "do_exit"),
		ALT("a_kprobe", KS_HOOK_KPROBE, "do_exit"),
	};
	struct fake_kernel k = { 0 };

	alts[0].failed = true;
	alts[0].err = -EINVAL;
	alts[0].why = "load failed";
	/* failed wins over forbidden: its own reason is kept */
	assert_int_equal(ks_plan_choose(alts, 2, KS_FAM_FENTRY, fake_avail, &k), 1);
	assert_int_equal(k.calls, 1);
	assert_int_equal(alts[0].err, -EINVAL);
	assert_string_equal(alts[0].why, "load failed");
	assert_true(alts[0].failed);
	assert_int_equal(alts[1].err, 0);
}

static void test_choose_none(void **state)
{
	struct ks_alt alts[] = {
		ALT("a_fentry", KS_HOOK_FENTRY, "gone"),
		ALT("a_kprobe", KS_HOOK_KPROBE, "do_exit"),
		ALT("a_lsm", KS_HOOK_LSM, "file_open"),
	};
	struct fake_kernel k = { .missing = { { "gone", -ENOENT, "no such function" } } };

	alts[2].failed = true;
	alts[2].err = -EACCES;
	alts[2].why = "attach failed";
	assert_int_equal(ks_plan_choose(alts, 3, KS_FAM_KPROBE, fake_avail, &k), -1);
	assert_int_equal(alts[0].err, -ENOENT);
	assert_string_equal(alts[0].why, "no such function");
	assert_int_equal(alts[1].err, -EPERM);
	assert_string_equal(alts[1].why, "disabled by --no-hook");
	assert_int_equal(alts[2].err, -EACCES);
	assert_string_equal(alts[2].why, "attach failed");

	assert_int_equal(ks_plan_choose(alts, 0, 0, fake_avail, &k), -1);
}

static void test_choose_rechoose_clears_stale_reason(void **state)
{
	struct ks_alt alts[] = {
		ALT("a_fentry", KS_HOOK_FENTRY, "do_exit"),
		ALT("a_kprobe", KS_HOOK_KPROBE, "do_exit"),
	};
	struct fake_kernel k = { 0 };

	/* first forbidden, then (another run) allowed: no stale err/why */
	assert_int_equal(ks_plan_choose(alts, 2, KS_FAM_FENTRY, fake_avail, &k), 1);
	assert_int_equal(alts[0].err, -EPERM);
	assert_int_equal(ks_plan_choose(alts, 2, 0, fake_avail, &k), 0);
	assert_int_equal(alts[0].err, 0);
	assert_null(alts[0].why);
}

static void test_choose_no_callback(void **state)
{
	struct ks_alt alts[] = {
		ALT("a_fentry", KS_HOOK_FENTRY, "do_exit"),
		ALT("a_kprobe", KS_HOOK_KPROBE, "do_exit"),
		ALT("a_tp", KS_HOOK_TRACEPOINT, "sched/sched_process_exit"),
	};

	/* without a callback everything allowed and not failed is usable */
	assert_int_equal(ks_plan_choose(alts, 3, 0, NULL, NULL), 0);
	assert_int_equal(alts[0].err, 0);

	alts[0].failed = true;
	alts[0].err = -EINVAL;
	alts[0].why = "load failed";
	assert_int_equal(ks_plan_choose(alts, 3, KS_FAM_KPROBE, NULL, NULL), 2);
	assert_int_equal(alts[1].err, -EPERM);
	assert_string_equal(alts[1].why, "disabled by --no-hook");
	assert_int_equal(alts[2].err, 0);
	assert_null(alts[2].why);
}

#define ALT_WITH(p, k, t, wp, wk, wt)						\
	{ .prog = p, .hook = { .kind = k, .target = t }, .with_prog = wp,		\
	  .with_hook = { .kind = wk, .target = wt } }

static void test_choose_with_companion(void **state)
{
	struct ks_alt alts[] = {
		ALT_WITH("a_kret", KS_HOOK_KRETPROBE, "ret_ok", "a_entry", KS_HOOK_KPROBE,
			 "entry_gone"),
		ALT_WITH("b_kret", KS_HOOK_KRETPROBE, "ret_ok", "b_entry", KS_HOOK_KPROBE,
			 "entry_ok"),
		ALT("a_tp", KS_HOOK_TRACEPOINT, "sock/x"),
	};
	struct fake_kernel k = { .missing = { { "entry_gone", -ENOENT, "no such function" } } };

	/* the companion's hook is checked too, and its failure is the alternative's */
	assert_int_equal(ks_plan_choose(alts, 3, 0, fake_avail, &k), 1);
	assert_int_equal(k.calls, 4);
	assert_int_equal(alts[0].err, -ENOENT);
	assert_string_equal(alts[0].why, "no such function");
	assert_int_equal(alts[1].err, 0);
	assert_null(alts[1].why);
}

static void test_choose_with_companion_forbidden(void **state)
{
	struct ks_alt alts[] = {
		/* the companion alone is of a forbidden family */
		ALT_WITH("a_btf", KS_HOOK_TP_BTF, "x", "a_entry", KS_HOOK_KPROBE, "f"),
		ALT("a_tp", KS_HOOK_TRACEPOINT, "sock/x"),
	};
	struct fake_kernel k = { 0 };

	assert_int_equal(ks_plan_choose(alts, 2, KS_FAM_KPROBE, fake_avail, &k), 1);
	assert_int_equal(k.calls, 1);
	assert_int_equal(alts[0].err, -EPERM);
	assert_string_equal(alts[0].why, "disabled by --no-hook");

	/* one that failed (its companion did not attach) is not chosen again */
	alts[0].failed = true;
	alts[0].err = -EOPNOTSUPP;
	alts[0].why = "attach failed";
	assert_int_equal(ks_plan_choose(alts, 2, 0, fake_avail, &k), 1);
	assert_string_equal(alts[0].why, "attach failed");

	/* without a callback the companion is usable as its alternative is */
	alts[0].failed = false;
	assert_int_equal(ks_plan_choose(alts, 2, 0, NULL, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_section_valid),
		cmocka_unit_test(test_section_target_length),
		cmocka_unit_test(test_section_invalid),
		cmocka_unit_test(test_kind_names_and_families),
		cmocka_unit_test(test_families_valid),
		cmocka_unit_test(test_families_invalid),
		cmocka_unit_test(test_choose_first_available),
		cmocka_unit_test(test_choose_skips_unavailable),
		cmocka_unit_test(test_choose_forbidden),
		cmocka_unit_test(test_choose_skips_failed),
		cmocka_unit_test(test_choose_none),
		cmocka_unit_test(test_choose_rechoose_clears_stale_reason),
		cmocka_unit_test(test_choose_no_callback),
		cmocka_unit_test(test_choose_with_companion),
		cmocka_unit_test(test_choose_with_companion_forbidden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

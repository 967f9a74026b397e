// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "util.h"

static const struct {
	const char *prefix;	/* SEC() prefix, with the slash */
	enum ks_hook_kind kind;
} sec_prefixes[] = {
	{ "fentry/", KS_HOOK_FENTRY },
	{ "fexit/", KS_HOOK_FEXIT },
	{ "kprobe/", KS_HOOK_KPROBE },
	{ "kretprobe/", KS_HOOK_KRETPROBE },
	{ "tp_btf/", KS_HOOK_TP_BTF },
	{ "raw_tp/", KS_HOOK_RAW_TP },
	{ "raw_tracepoint/", KS_HOOK_RAW_TP },
	{ "tracepoint/", KS_HOOK_TRACEPOINT },
	{ "tp/", KS_HOOK_TRACEPOINT },
	{ "lsm/", KS_HOOK_LSM },
	{ "iter/", KS_HOOK_ITER },
};

static const char *const kind_names[KS_HOOK_NR] = {
	[KS_HOOK_FENTRY] = "fentry",
	[KS_HOOK_FEXIT] = "fexit",
	[KS_HOOK_KPROBE] = "kprobe",
	[KS_HOOK_KRETPROBE] = "kretprobe",
	[KS_HOOK_TP_BTF] = "tp_btf",
	[KS_HOOK_RAW_TP] = "raw_tp",
	[KS_HOOK_TRACEPOINT] = "tracepoint",
	[KS_HOOK_LSM] = "lsm",
	[KS_HOOK_ITER] = "iter",
};

static const struct {
	const char *name;
	unsigned fam;
} families[] = {
	{ "fentry", KS_FAM_FENTRY },
	{ "fexit", KS_FAM_FENTRY },
	{ "kprobe", KS_FAM_KPROBE },
	{ "kretprobe", KS_FAM_KPROBE },
	{ "tp_btf", KS_FAM_TP_BTF },
	{ "raw_tp", KS_FAM_RAW_TP },
	{ "tracepoint", KS_FAM_TRACEPOINT },
	{ "tp", KS_FAM_TRACEPOINT },
	{ "lsm", KS_FAM_LSM },
};

int ks_hook_from_section(const char *sec, struct ks_hook *h)
{
	for (size_t i = 0; i < ARRAY_SIZE(sec_prefixes); i++) {
		size_t n = strlen(sec_prefixes[i].prefix);
		const char *target = sec + n;

		if (strncmp(sec, sec_prefixes[i].prefix, n))
			continue;
		if (!*target || strlen(target) >= sizeof(h->target))
			return -EINVAL;
		/* a tracepoint is "category/name"; the others a single name */
		if (sec_prefixes[i].kind == KS_HOOK_TRACEPOINT) {
			const char *slash = strchr(target, '/');

			if (!slash || slash == target || !slash[1] || strchr(slash + 1, '/'))
				return -EINVAL;
		} else if (strchr(target, '/')) {
			return -EINVAL;
		}
		h->kind = sec_prefixes[i].kind;
		strcpy(h->target, target);
		return 0;
	}
	return -EINVAL;
}

const char *ks_hook_kind_name(enum ks_hook_kind kind)
{
	return kind < KS_HOOK_NR ? kind_names[kind] : "?";
}

unsigned ks_hook_family(enum ks_hook_kind kind)
{
	switch (kind) {
	case KS_HOOK_FENTRY:
	case KS_HOOK_FEXIT:
		return KS_FAM_FENTRY;
	case KS_HOOK_KPROBE:
	case KS_HOOK_KRETPROBE:
		return KS_FAM_KPROBE;
	case KS_HOOK_TP_BTF:
		return KS_FAM_TP_BTF;
	case KS_HOOK_RAW_TP:
		return KS_FAM_RAW_TP;
	case KS_HOOK_TRACEPOINT:
		return KS_FAM_TRACEPOINT;
	case KS_HOOK_LSM:
		return KS_FAM_LSM;
	default:
		return 0;
	}
}

int ks_hook_families_parse(const char *list, unsigned *mask)
{
	const char *p = list;
	unsigned m = 0;

	if (!*list)
		return -EINVAL;
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
			if (strlen(families[i].name) == n && !strncmp(p, families[i].name, n)) {
				m |= families[i].fam;
				found = true;
			}
		}
		if (!found)
			return -EINVAL;
		p += n;
		if (*p == ',' && !*++p)
			return -EINVAL;	/* trailing comma */
	}
	*mask |= m;
	return 0;
}

int ks_plan_choose(struct ks_alt *alts, int n, unsigned forbid,
		   ks_hook_avail_fn avail, void *ctx)
{
	for (int i = 0; i < n; i++) {
		struct ks_alt *a = &alts[i];
		unsigned fam = ks_hook_family(a->hook.kind);

		if (a->failed)
			continue;	/* err/why kept from the failure */
		if (a->with_prog)
			fam |= ks_hook_family(a->with_hook.kind);
		if (fam & forbid) {
			a->err = -EPERM;
			a->why = "disabled by --no-hook";
			continue;
		}
		a->why = NULL;
		a->err = avail ? avail(&a->hook, ctx, &a->why) : 0;
		if (!a->err && a->with_prog && avail)
			a->err = avail(&a->with_hook, ctx, &a->why);
		if (!a->err)
			return i;
		if (!a->why)
			a->why = "not available";
	}
	return -1;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the running kernel offers, found out by trying: each hook is probed
 * by loading a tiny program of that type for the real target; fentry,
 * fexit and lsm are also attached and detached at once, tp_btf, raw_tp and
 * tracepoints are proven without attaching (probe.c, docs/hooks.md).
 * Results are cached per process.
 */
#ifndef KSCOPE_PROBE_H
#define KSCOPE_PROBE_H

#include <stdbool.h>

#include "plan.h"

/*
 * A hook ks_probe_hook() will be asked about: the kernel BTF names of all
 * hooks announced before a look-up are resolved in one walk of the BTF.
 */
void ks_probe_want(const struct ks_hook *h);
/* ks_hook_avail_fn for ks_plan_choose(): the real kernel */
int ks_probe_hook(const struct ks_hook *h, void *ctx, const char **why);

/* tracefs mount point, mounting it at /sys/kernel/tracing if needed; NULL if none */
const char *ks_tracefs(void);
bool ks_kernel_has_btf(void);
/* kprobe support: 1 PMU, 2 legacy kprobe_events only, 0 none */
int ks_kprobe_support(void);
/* Release the vmlinux BTF and programs the pre-check keeps (after the last probe) */
void ks_probe_cleanup(void);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * Not a test program: `make unit` compiles this file twice (mk/kprog.mk).
 * As it is, it must compile; with -DKS_PROG_TYPO it must not, and the
 * compiler must name the misspelled program: a probe table names its BPF
 * programs through KS_PROG, checked against the skeleton at compile time.
 */
#include "engine/trace.h"
#include "hello.skel.h"

KS_SKEL_OPS(hello_bpf);

static const struct ks_probe probes[] = {
	{ "exec", { KS_PROG(hello_bpf, hello_exec_btf), KS_PROG(hello_bpf, hello_exec_raw),
		    KS_PROG(hello_bpf, hello_exec_tp) } },
#ifdef KS_PROG_TYPO
	{ "typo", { KS_PROG(hello_bpf, hello_exec_bft) } },
#endif
};

const struct ks_tracer kprog_check_tracer = {
	.name = "kprog-check",
	.skel = &hello_bpf_ops,
	.probes = probes,
	.nprobes = sizeof(probes) / sizeof(probes[0]),
};

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "btf_scan.h"
#include "probe.h"
#include "util.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

#ifndef ENOTSUPP
#define ENOTSUPP 524	/* kernel-internal: "operation is not supported" */
#endif

struct probe_cache {
	enum ks_hook_kind kind;
	char target[KS_HOOK_TARGET_MAX];
	int err;
	const char *why;
};

static struct probe_cache cache[64];
static int ncache;
static struct btf *vmlinux_btf;
static int vmlinux_btf_err;

/*
 * The BTF names the pre-check looks up (btf_trace_<tp>, <function>,
 * bpf_lsm_<hook>), resolved in one read-only walk of the kernel BTF
 * (btf_scan.h) for every name wanted so far; ids, not BTF, are kept.
 */
struct btf_name {
	char name[KS_HOOK_TARGET_MAX + 16];
	int kind;
	int id;		/* > 0 the id, -ENOENT none, 0 not looked up yet */
};

static struct btf_name btf_names[64];
static int nbtf_names;
static bool btf_scan_failed;	/* the walk cannot read this BTF: libbpf's parse instead */

/* programs loaded once for every target of their hook type (-errno: failed) */
static int raw_tp_probe_fd = -1, raw_tp_probe_err;
static int tp_prog_err = 1;	/* 1: not tried yet */

bool ks_kernel_has_btf(void)
{
	return access(VMLINUX_BTF, R_OK) == 0;
}

static struct btf *kernel_btf(void)
{
	if (!vmlinux_btf && !vmlinux_btf_err) {
		vmlinux_btf = btf__load_vmlinux_btf();
		if (!vmlinux_btf)
			vmlinux_btf_err = -errno ?: -ENOENT;
	}
	return vmlinux_btf;
}

void ks_probe_cleanup(void)
{
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
	vmlinux_btf_err = 0;
	if (raw_tp_probe_fd >= 0)
		close(raw_tp_probe_fd);
	raw_tp_probe_fd = -1;
	raw_tp_probe_err = 0;
}

/* The BTF name a hook is attached by, and its kind; false if it has none */
static bool hook_btf_name(const struct ks_hook *h, char *name, size_t size, int *kind)
{
	switch (h->kind) {
	case KS_HOOK_FENTRY:
	case KS_HOOK_FEXIT:
		*kind = BTF_KIND_FUNC;
		snprintf(name, size, "%s", h->target);
		return true;
	case KS_HOOK_LSM:
		*kind = BTF_KIND_FUNC;
		snprintf(name, size, "bpf_lsm_%s", h->target);
		return true;
	case KS_HOOK_TP_BTF:
		*kind = BTF_KIND_TYPEDEF;
		snprintf(name, size, "btf_trace_%s", h->target);
		return true;
	case KS_HOOK_ITER:
		*kind = BTF_KIND_FUNC;
		snprintf(name, size, "bpf_iter_%s", h->target);
		return true;
	default:
		return false;
	}
}

static struct btf_name *btf_name_slot(const char *name, int kind, bool add)
{
	for (int i = 0; i < nbtf_names; i++)
		if (btf_names[i].kind == kind && !strcmp(btf_names[i].name, name))
			return &btf_names[i];
	if (!add || nbtf_names >= (int)ARRAY_SIZE(btf_names))
		return NULL;
	snprintf(btf_names[nbtf_names].name, sizeof(btf_names[0].name), "%s", name);
	btf_names[nbtf_names].kind = kind;
	btf_names[nbtf_names].id = 0;
	return &btf_names[nbtf_names++];
}

void ks_probe_want(const struct ks_hook *h)
{
	char name[sizeof(btf_names[0].name)];
	int kind;

	if (hook_btf_name(h, name, sizeof(name), &kind))
		btf_name_slot(name, kind, true);
}

/* One walk for every name wanted and not looked up yet */
static int scan_wanted(void)
{
	struct ks_btf_want want[ARRAY_SIZE(btf_names)];
	int idx[ARRAY_SIZE(btf_names)], n = 0, err;

	for (int i = 0; i < nbtf_names; i++) {
		if (btf_names[i].id)
			continue;
		want[n] = (struct ks_btf_want){ btf_names[i].name, btf_names[i].kind, 0 };
		idx[n++] = i;
	}
	if (!n)
		return 0;
	err = ks_btf_scan_file(VMLINUX_BTF, want, n);
	if (err)
		return err;
	for (int i = 0; i < n; i++)
		btf_names[idx[i]].id = want[i].id ?: -ENOENT;
	return 0;
}

/* The kernel BTF id of a name: > 0, -ENOENT if absent, or why BTF cannot be read */
static int kernel_btf_id(const char *name, int kind, const char **why)
{
	struct btf_name *slot = btf_name_slot(name, kind, true);
	struct btf *btf;
	int id;

	if (slot && slot->id)
		return slot->id;
	if (slot && !btf_scan_failed) {
		if (!scan_wanted())
			return slot->id;
		btf_scan_failed = true;
	}
	btf = kernel_btf();
	if (!btf) {
		*why = "cannot parse kernel BTF";
		return vmlinux_btf_err;
	}
	id = btf__find_by_name_kind(btf, name, kind);
	if (id <= 0)
		id = -ENOENT;
	if (slot)
		slot->id = id;
	return id;
}

static bool is_tracefs(const char *path)
{
	struct statfs fs;

	return !statfs(path, &fs) && fs.f_type == TRACEFS_MAGIC;
}

const char *ks_tracefs(void)
{
	static const char *path;
	static bool tried;

	if (tried)
		return path;
	tried = true;
	if (is_tracefs("/sys/kernel/tracing"))
		path = "/sys/kernel/tracing";
	else if (is_tracefs("/sys/kernel/debug/tracing"))
		path = "/sys/kernel/debug/tracing";
	else if (!mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL))
		path = "/sys/kernel/tracing";	/* left mounted: it is the standard place */
	return path;
}

int ks_kprobe_support(void)
{
	const char *tfs;
	char path[256];

	if (!access("/sys/bus/event_source/devices/kprobe/type", R_OK))
		return 1;
	tfs = ks_tracefs();
	if (tfs) {
		snprintf(path, sizeof(path), "%s/kprobe_events", tfs);
		if (!access(path, W_OK))
			return 2;
	}
	return 0;
}

static int read_int_file(const char *path, int *v)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%d", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* "r0 = 0; exit": enough for the kernel to decide whether the hook works */
static int load_trivial(enum bpf_prog_type type, enum bpf_attach_type eat, __u32 btf_id)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = eat,
		    .attach_btf_id = btf_id);
	int fd = bpf_prog_load(type, "ks_probe", "GPL", insns, ARRAY_SIZE(insns), &opts);

	return fd < 0 ? -errno : fd;
}

static int perf_open(struct perf_event_attr *attr)
{
	int fd = syscall(SYS_perf_event_open, attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * fentry, fexit, tp_btf, lsm: BTF-typed programs attached by BTF id.
 *
 * tp_btf is proven by the load alone: the verifier resolved the id of
 * btf_trace_<tp>, a typedef the kernel defines in the same macro as the
 * raw tracepoint it attaches to (include/trace/bpf_probe.h), so attaching
 * cannot find it missing. Attaching and detaching would cost more than the
 * syscalls: a tracepoint going from one attached program to none makes the
 * next first attachment to any tracepoint (kscope's real ones) wait for an
 * RCU grace period (kernel/tracepoint.c, TP_TRANSITION_SYNC_1_0_1).
 * fentry, fexit and lsm are attached: a function can load and still not
 * attach (arm64 fentry on 6.1: ENOTSUPP).
 */
static int probe_btf_hook(const struct ks_hook *h, const char **why)
{
	enum bpf_prog_type type = BPF_PROG_TYPE_TRACING;
	enum bpf_attach_type eat;
	char name[KS_HOOK_TARGET_MAX + 16];
	int kind = 0, id, fd, lfd;

	if (!ks_kernel_has_btf()) {
		*why = "kernel has no BTF (" VMLINUX_BTF ")";
		return -EOPNOTSUPP;
	}
	hook_btf_name(h, name, sizeof(name), &kind);
	switch (h->kind) {
	case KS_HOOK_FENTRY:
		eat = BPF_TRACE_FENTRY;
		break;
	case KS_HOOK_FEXIT:
		eat = BPF_TRACE_FEXIT;
		break;
	case KS_HOOK_LSM:
		type = BPF_PROG_TYPE_LSM;
		eat = BPF_LSM_MAC;
		break;
	default:	/* tp_btf */
		eat = BPF_TRACE_RAW_TP;
		break;
	}
	id = kernel_btf_id(name, kind, why);
	if (id == -ENOENT) {
		*why = h->kind == KS_HOOK_TP_BTF ? "no such tracepoint in kernel BTF"
						 : "no such function in kernel BTF";
		return -ENOENT;
	}
	if (id < 0)
		return id;
	fd = load_trivial(type, eat, id);
	if (fd < 0) {
		*why = fd == -EPERM ? "kernel refuses to load it (EPERM)" : "kernel refuses to load it";
		return fd;
	}
	if (h->kind == KS_HOOK_TP_BTF) {
		close(fd);
		return 0;
	}
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	close(fd);
	if (lfd < 0) {
		*why = lfd == -ENOTSUPP || lfd == -EOPNOTSUPP ?
			"loads, but the kernel cannot attach it (ENOTSUPP)" :
			"loads, but attaching fails";
		return lfd;
	}
	close(lfd);
	return 0;
}

static int probe_kprobe(const struct ks_hook *h, const char **why)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	int type, bit = 0, fd, support = ks_kprobe_support();

	if (!support) {
		*why = "kprobes not available (kernel built without CONFIG_KPROBE_EVENTS)";
		return -EOPNOTSUPP;
	}
	if (support == 2)
		return 0;	/* legacy tracefs kprobes: libbpf attaches through kprobe_events */
	if (read_int_file("/sys/bus/event_source/devices/kprobe/type", &type)) {
		*why = "cannot read the kprobe PMU type";
		return -EOPNOTSUPP;
	}
	if (h->kind == KS_HOOK_KRETPROBE) {
		FILE *f = fopen("/sys/bus/event_source/devices/kprobe/format/retprobe", "re");

		if (!f || fscanf(f, "config:%d", &bit) != 1)
			bit = 0;
		if (f)
			fclose(f);
		attr.config = 1ull << bit;
	}
	attr.type = type;
	attr.config1 = (__u64)(unsigned long)h->target;
	fd = perf_open(&attr);
	if (fd < 0) {
		*why = fd == -ENOENT || fd == -EINVAL ? "no such kprobe-able function" :
						       "cannot create the kprobe";
		return fd;
	}
	close(fd);
	return 0;
}

/*
 * A raw tracepoint program that reads the last argument slot a raw
 * tracepoint can have (ctx[MAX_BPF_FUNC_ARGS - 1]). The kernel looks the
 * tracepoint up by name before it checks that the program reads no more
 * arguments than the tracepoint has (__bpf_probe_register, since 4.17):
 * opening it fails with ENOENT for a tracepoint that does not exist and
 * with EINVAL, before anything is registered, for one that does.
 */
static int load_raw_tp_probe(void)
{
	const struct bpf_insn insns[] = {
		/* r0 = *(u64 *)(r1 + 88); r0 = 0; exit */
		{ .code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_1,
		  .off = 11 * 8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "ks_probe", "GPL", insns,
			       ARRAY_SIZE(insns), NULL);

	return fd < 0 ? -errno : fd;
}

/*
 * raw_tp without attaching (see probe_btf_hook for why not): the program
 * type must load, and the tracepoint must exist in the kernel's own table
 * of raw tracepoints, the one the real attachment looks it up in. This
 * works alike with and without kernel BTF, where raw_tp is the preferred
 * hook. Should the kernel not load the probing program, the trivial one is
 * attached and detached as before.
 */
static int probe_raw_tp(const struct ks_hook *h, const char **why)
{
	int fd, lfd;

	if (raw_tp_probe_fd < 0 && !raw_tp_probe_err) {
		fd = load_raw_tp_probe();
		/* trusted only if a missing name is told apart (ENOENT) */
		if (fd >= 0 && bpf_raw_tracepoint_open("ks_no_such_tracepoint", fd) != -ENOENT) {
			close(fd);
			fd = -EINVAL;
		}
		if (fd >= 0)
			raw_tp_probe_fd = fd;
		else
			raw_tp_probe_err = fd;
	}
	if (raw_tp_probe_fd >= 0) {
		lfd = bpf_raw_tracepoint_open(h->target, raw_tp_probe_fd);
		if (lfd >= 0) {
			close(lfd);	/* a tracepoint with 12 arguments: attached */
			return 0;
		}
		if (lfd == -EINVAL)
			return 0;	/* found, and refused before registering */
		*why = lfd == -ENOENT ? "no such tracepoint" : "attaching fails";
		return lfd;
	}
	fd = load_trivial(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0);
	if (fd < 0) {
		*why = "kernel refuses raw tracepoint programs";
		return fd;
	}
	lfd = bpf_raw_tracepoint_open(h->target, fd);
	close(fd);
	if (lfd < 0) {
		*why = lfd == -ENOENT ? "no such tracepoint" : "attaching fails";
		return lfd;
	}
	close(lfd);
	return 0;
}

/*
 * A tracepoint without attaching (see probe_btf_hook for why not; a perf
 * tracepoint event registers its probe when it is opened): the event must
 * exist in tracefs (its id is what the real attachment opens), and the
 * tracepoint program type must load, which also proves CONFIG_BPF_EVENTS
 * and so perf events. What attaching would add (perf_event_open refused to
 * an unprivileged user) is caught by the real attachment.
 */
static int probe_tracepoint(const struct ks_hook *h, const char **why)
{
	const char *tfs = ks_tracefs();
	char path[512];
	int id, fd;

	if (!tfs) {
		*why = "tracefs is not mounted and cannot be mounted";
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/events/%s/id", tfs, h->target);
	if (read_int_file(path, &id)) {
		*why = "no such tracepoint";
		return -ENOENT;
	}
	if (tp_prog_err == 1) {
		fd = load_trivial(BPF_PROG_TYPE_TRACEPOINT, 0, 0);
		tp_prog_err = fd < 0 ? fd : 0;
		if (fd >= 0)
			close(fd);
	}
	if (tp_prog_err) {
		*why = "kernel refuses tracepoint programs";
		return tp_prog_err;
	}
	return 0;
}

/* An iterator: the kernel has its target (bpf_iter_<target>) and loads a program for it */
static int probe_iter(const struct ks_hook *h, const char **why)
{
	char name[KS_HOOK_TARGET_MAX + 16];
	int kind, id, fd;

	if (!ks_kernel_has_btf()) {
		*why = "kernel has no BTF (" VMLINUX_BTF ")";
		return -EOPNOTSUPP;
	}
	hook_btf_name(h, name, sizeof(name), &kind);
	id = kernel_btf_id(name, kind, why);
	if (id == -ENOENT)
		*why = "no such iterator in this kernel";
	if (id < 0)
		return id;
	fd = load_trivial(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, id);
	if (fd < 0) {
		*why = fd == -EPERM ? "kernel refuses to load it (EPERM)" : "kernel refuses to load it";
		return fd;
	}
	close(fd);
	return 0;
}

int ks_probe_hook(const struct ks_hook *h, void *ctx, const char **why)
{
	struct probe_cache *c;
	const char *reason = NULL;
	int err;

	(void)ctx;
	for (int i = 0; i < ncache; i++) {
		c = &cache[i];
		if (c->kind == h->kind && !strcmp(c->target, h->target)) {
			*why = c->why;
			return c->err;
		}
	}
	switch (h->kind) {
	case KS_HOOK_FENTRY:
	case KS_HOOK_FEXIT:
	case KS_HOOK_TP_BTF:
	case KS_HOOK_LSM:
		err = probe_btf_hook(h, &reason);
		break;
	case KS_HOOK_KPROBE:
	case KS_HOOK_KRETPROBE:
		err = probe_kprobe(h, &reason);
		break;
	case KS_HOOK_RAW_TP:
		err = probe_raw_tp(h, &reason);
		break;
	case KS_HOOK_TRACEPOINT:
		err = probe_tracepoint(h, &reason);
		break;
	case KS_HOOK_ITER:
		err = probe_iter(h, &reason);
		break;
	default:
		err = -EINVAL;
		reason = "unknown hook type";
	}
	if (ncache < (int)ARRAY_SIZE(cache)) {
		c = &cache[ncache++];
		c->kind = h->kind;
		snprintf(c->target, sizeof(c->target), "%s", h->target);
		c->err = err;
		c->why = reason;
	}
	*why = reason;
	return err;
}

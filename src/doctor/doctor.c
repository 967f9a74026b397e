// SPDX-License-Identifier: GPL-2.0
/*
 * kscope doctor: what the running kernel offers to BPF tracing (BTF, the
 * ring buffer, which hook types load and attach), and for every command,
 * which hook each of its probes will use here and why the better ones
 * were skipped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "../kscope.h"
#include "../engine/cli.h"
#include "../engine/out.h"
#include "../engine/plan.h"
#include "../engine/probe.h"
#include "../engine/trace.h"
#include "../engine/util.h"

#define MIN_MAJOR 5
#define MIN_MINOR 8

/* One representative target per hook type */
static const struct ks_hook kind_probes[] = {
	{ KS_HOOK_FENTRY, "vfs_read" },
	{ KS_HOOK_FEXIT, "vfs_read" },
	{ KS_HOOK_KPROBE, "vfs_read" },
	{ KS_HOOK_KRETPROBE, "vfs_read" },
	{ KS_HOOK_TP_BTF, "sched_switch" },
	{ KS_HOOK_RAW_TP, "sched_switch" },
	{ KS_HOOK_TRACEPOINT, "sched/sched_switch" },
	{ KS_HOOK_LSM, "file_open" },
};

struct doctor {
	struct ks_out out;
	bool json;
	unsigned forbid;
	bool bpf_syscall;	/* bpf() exists (no ENOSYS: not qemu-user) */
	bool privileged;
	const char *missing_cap;
	struct utsname uts;
	bool kernel_ok, btf, ringbuf;
	const char *tracefs;
	int kprobes;
	int problems;
};

static void line(struct doctor *d, const char *what, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void line(struct doctor *d, const char *what, bool ok, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ks_out_printf(&d->out, "%-16s %-4s %s\n", what, ok ? "ok" : "NO", buf);
	if (!ok)
		d->problems++;
}

static void check_kernel(struct doctor *d)
{
	int major = 0, minor = 0;
	struct stat st;

	uname(&d->uts);
	sscanf(d->uts.release, "%d.%d", &major, &minor);
	d->kernel_ok = major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR);
	d->btf = !stat("/sys/kernel/btf/vmlinux", &st);
	d->tracefs = d->privileged ? ks_tracefs() : NULL;
	d->kprobes = ks_kprobe_support();
	d->ringbuf = d->privileged && libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	if (d->json)
		return;
	line(d, "kernel", d->kernel_ok, "%s %s (kscope needs %d.%d or later)", d->uts.release,
	     d->uts.machine, MIN_MAJOR, MIN_MINOR);
	if (d->btf)
		line(d, "BTF", true, "/sys/kernel/btf/vmlinux (%lld KiB): CO-RE, fentry, tp_btf",
		     (long long)st.st_size / 1024);
	else
		line(d, "BTF", false, "no /sys/kernel/btf/vmlinux: CO-RE needs --btf FILE; "
		     "fentry, tp_btf and lsm hooks are unavailable");
	if (!d->bpf_syscall) {
		line(d, "bpf() syscall", false, "not available (ENOSYS): qemu-user, or a kernel "
		     "built without CONFIG_BPF_SYSCALL");
		return;
	}
	line(d, "privileges", d->privileged, "%s%s", d->privileged ? "CAP_BPF, CAP_PERFMON" :
	     "missing ", d->privileged ? "" : d->missing_cap);
	if (!d->privileged)
		return;
	line(d, "ring buffer", d->ringbuf, d->ringbuf ? "BPF_MAP_TYPE_RINGBUF" :
	     "BPF_MAP_TYPE_RINGBUF missing (Linux 5.8+): kscope cannot stream events");
	line(d, "tracefs", d->tracefs != NULL, "%s", d->tracefs ? d->tracefs :
	     "not mounted and cannot be mounted: tracepoint hooks unavailable");
	ks_out_printf(&d->out, "%-16s %-4s %s\n", "kprobes", d->kprobes ? "yes" : "no",
		      d->kprobes == 1 ? "kprobe PMU" : d->kprobes == 2 ? "legacy kprobe_events" :
		      "kernel built without CONFIG_KPROBE_EVENTS: kprobe hooks unavailable");
}

/* A section of rows: its JSON array opened, or its text header line */
static void section(struct doctor *d, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void section(struct doctor *d, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (d->json) {
		ks_json_key(&d->out, key);
		ks_json_arr_begin(&d->out);
		return;
	}
	va_start(ap, fmt);
	ks_out_vprintf(&d->out, fmt, ap);
	va_end(ap);
}

static void check_hooks(struct doctor *d)
{
	section(d, "hooks", "\n%-11s %-20s %s\n", "HOOK", "TARGET", "WORKS HERE");
	for (size_t i = 0; i < ARRAY_SIZE(kind_probes); i++)
		ks_probe_want(&kind_probes[i]);
	for (size_t i = 0; i < ARRAY_SIZE(kind_probes); i++) {
		const struct ks_hook *h = &kind_probes[i];
		const char *why = NULL;
		int err = ks_probe_hook(h, NULL, &why);
		const char *name = ks_hook_kind_name(h->kind);

		if (d->json) {
			ks_json_begin(&d->out);
			ks_json_kv_str(&d->out, "hook", name, strlen(name));
			ks_json_kv_str(&d->out, "target", h->target, strlen(h->target));
			ks_json_kv_bool(&d->out, "ok", !err);
			if (err)
				ks_json_kv_str(&d->out, "error", why ? why : strerror(-err), 256);
			ks_json_end(&d->out);
		} else {
			ks_out_printf(&d->out, "%-11s %-20s %s%s%s\n", name, h->target,
				      err ? "no: " : "yes", err ? (why ? why : "") : "",
				      err && !why ? strerror(-err) : "");
		}
	}
	if (d->json)
		ks_json_arr_end(&d->out);
}

static void plan_row(struct doctor *d, const char *cmd, const struct ks_probe_plan *pl,
		     const char *note)
{
	const struct ks_alt *c = pl->chosen >= 0 ? &pl->alts[pl->chosen] : NULL;
	int skipped = pl->chosen >= 0 ? pl->chosen : pl->nalts;

	if (d->json) {
		ks_json_begin(&d->out);
		ks_json_kv_str(&d->out, "command", cmd, strlen(cmd));
		ks_json_kv_str(&d->out, "probe", pl->name, strlen(pl->name));
		ks_json_kv_bool(&d->out, "engine", pl->engine);
		if (c) {
			const char *k = ks_hook_kind_name(c->hook.kind);

			ks_json_kv_str(&d->out, "hook", k, strlen(k));
			ks_json_kv_str(&d->out, "target", c->hook.target, strlen(c->hook.target));
			if (c->lacks)
				ks_json_kv_str(&d->out, "lacks", c->lacks, strlen(c->lacks));
			else
				ks_json_kv_null(&d->out, "lacks");
		} else {
			ks_json_kv_null(&d->out, "hook");
			ks_json_kv_null(&d->out, "target");
			ks_json_kv_null(&d->out, "lacks");
		}
		if (note)
			ks_json_kv_str(&d->out, "note", note, strlen(note));
		else
			ks_json_kv_null(&d->out, "note");
		ks_json_key(&d->out, "skipped");
		ks_json_arr_begin(&d->out);
		for (int j = 0; j < skipped; j++) {
			const struct ks_alt *a = &pl->alts[j];
			const char *k = ks_hook_kind_name(a->hook.kind);

			ks_json_begin(&d->out);
			ks_json_kv_str(&d->out, "hook", k, strlen(k));
			ks_json_kv_str(&d->out, "target", a->hook.target, strlen(a->hook.target));
			ks_json_kv_str(&d->out, "error", a->why ? a->why : "", 256);
			ks_json_end(&d->out);
		}
		ks_json_arr_end(&d->out);
		ks_json_end(&d->out);
		return;
	}
	if (c && c->with_prog)
		ks_out_printf(&d->out, "%-10s %-15s %s/%s with %s/%s\n", cmd, pl->name,
			      ks_hook_kind_name(c->hook.kind), c->hook.target,
			      ks_hook_kind_name(c->with_hook.kind), c->with_hook.target);
	else if (c)
		ks_out_printf(&d->out, "%-10s %-15s %s/%s\n", cmd, pl->name,
			      ks_hook_kind_name(c->hook.kind), c->hook.target);
	else
		ks_out_printf(&d->out, "%-10s %-15s NONE%s\n", cmd, pl->name,
			      pl->best ? " (it runs without it)" : "");
	for (int j = 0; j < skipped; j++)
		ks_out_printf(&d->out, "%-10s %-15s   skipped %s/%s: %s\n", "", "",
			      ks_hook_kind_name(pl->alts[j].hook.kind), pl->alts[j].hook.target,
			      pl->alts[j].why ? pl->alts[j].why : "");
	if (c && c->lacks)
		ks_out_printf(&d->out, "%-10s %-15s   without %s\n", "", "", c->lacks);
	if (note)
		ks_out_printf(&d->out, "%-10s %-15s   %s\n", "", "", note);
	if (!c && !pl->best)
		d->problems++;
}

/* The tracer's note on its probe of this name, if it has one */
static const char *probe_note(const struct ks_tracer *t, const char *name, char *buf, size_t n)
{
	if (!t->doctor_note)
		return NULL;
	for (int i = 0; i < t->nprobes; i++)
		if (!strcmp(t->probes[i].name, name))
			return t->doctor_note(&t->probes[i], buf, n);
	return NULL;
}

static void check_commands(struct doctor *d)
{
	section(d, "probes", "\n%-10s %-15s %s\n", "COMMAND", "PROBE", "HOOK USED HERE");
	for (const struct ks_cmd *c = ks_cmds; c->name; c++) {
		struct ks_probe_plan plans[KS_MAX_PROBES];
		char note[512];
		int n = 0;

		if (!c->tracer)
			continue;
		if (ks_plan_for_kernel(c->tracer, true, d->forbid, plans, &n)) {
			if (!d->json)
				ks_out_printf(&d->out, "%-10s cannot read its BPF object\n", c->name);
			d->problems++;
			continue;
		}
		for (int i = 0; i < n; i++)
			for (int j = 0; j < plans[i].nalts; j++) {
				ks_probe_want(&plans[i].alts[j].hook);
				if (plans[i].alts[j].with_prog)
					ks_probe_want(&plans[i].alts[j].with_hook);
			}
		for (int i = 0; i < n; i++) {
			plans[i].wanted = true;	/* show optional probes too */
			if (plans[i].chosen < 0)
				plans[i].chosen = ks_plan_choose(plans[i].alts, plans[i].nalts,
								 d->forbid, ks_probe_hook, NULL);
			plan_row(d, c->name, &plans[i], probe_note(c->tracer, plans[i].name, note,
								    sizeof(note)));
		}
	}
	if (d->json)
		ks_json_arr_end(&d->out);
}

/* The commands made of others: their probes are those of their parts, listed above */
static void check_parts(struct doctor *d)
{
	section(d, "parts", "\n%-10s %s\n", "COMMAND", "RUNS THE PROBES OF");
	for (const struct ks_cmd *c = ks_cmds; c->name; c++) {
		if (!c->parts)
			continue;
		if (d->json) {
			ks_json_begin(&d->out);
			ks_json_kv_str(&d->out, "command", c->name, strlen(c->name));
			ks_json_key(&d->out, "parts");
			ks_json_arr_begin(&d->out);
		} else {
			ks_out_printf(&d->out, "%-10s", c->name);
		}
		for (const char *const *p = c->parts; *p; p++) {
			if (d->json)
				ks_json_str(&d->out, *p, strlen(*p));
			else
				ks_out_printf(&d->out, " %s", *p);
		}
		if (d->json) {
			ks_json_arr_end(&d->out);
			ks_json_end(&d->out);
		} else {
			ks_out_char(&d->out, '\n');
		}
	}
	if (d->json)
		ks_json_arr_end(&d->out);
}

enum { OPT_NO_HOOK = 0x200 };

static const struct ks_cli_opt doctor_opts[] = {
	{ "no-hook", OPT_NO_HOOK, "LIST", "plan as if these hook types did not exist" },
	{ 0 }
};

static struct ks_cli doctor_cli;

static int doctor_parse(void *state, int key, const char *arg)
{
	struct doctor *d = state;

	if (key == OPT_NO_HOOK && !ks_hook_families_parse(arg, &d->forbid))
		return 0;
	ks_cli_error(&doctor_cli, "invalid --no-hook '%s' (fentry,kprobe,tp_btf,raw_tp,tracepoint,lsm)", arg);
	return -1;
}

static struct ks_cli doctor_cli = {
	.cmd = "doctor",
	.summary = "Check what this kernel offers kscope, and which hook each probe will use.",
	.details = "Each hook type is tried on this kernel: a tiny program is loaded for the real\n"
		   "target (fentry, fexit and lsm are also attached, then removed; docs/hooks.md).\n"
		   "Exit status 0 when every command can run here, 1 otherwise.",
	.opts = doctor_opts,
	.parse = doctor_parse,
	.flags = KS_CLI_JSON,
};

int cmd_doctor(int argc, char **argv)
{
	struct doctor d = {};
	struct ks_opts opts;
	int rc;

	doctor_cli.state = &d;
	rc = ks_cli_parse(&doctor_cli, argc, argv, &opts);
	if (rc != KS_CLI_CONTINUE)
		return rc;
	d.json = opts.json;
	d.bpf_syscall = ks_bpf_syscall_exists();
	d.privileged = d.bpf_syscall && !ks_check_caps(&d.missing_cap);
	libbpf_set_print(NULL);
	if (ks_out_init(&d.out, opts.out_fd, d.json, false) || ks_opts_begin_output(&opts)) {
		ks_out_free(&d.out);
		ks_opts_release(&opts);
		return KS_EXIT_FAIL;
	}
	if (d.json)
		ks_json_begin(&d.out);
	check_kernel(&d);
	if (d.json) {
		ks_json_kv_str(&d.out, "type", "doctor", 6);
		ks_json_kv_str(&d.out, "kernel", d.uts.release, sizeof(d.uts.release));
		ks_json_kv_str(&d.out, "arch", d.uts.machine, sizeof(d.uts.machine));
		ks_json_kv_bool(&d.out, "kernel_ok", d.kernel_ok);
		ks_json_kv_bool(&d.out, "btf", d.btf);
		ks_json_kv_bool(&d.out, "bpf_syscall", d.bpf_syscall);
		ks_json_kv_bool(&d.out, "privileged", d.privileged);
		ks_json_kv_bool(&d.out, "ringbuf", d.ringbuf);
		if (d.tracefs)
			ks_json_kv_str(&d.out, "tracefs", d.tracefs, strlen(d.tracefs));
		else
			ks_json_kv_null(&d.out, "tracefs");
		ks_json_kv_str(&d.out, "kprobes", d.kprobes == 1 ? "pmu" : d.kprobes == 2 ?
			       "legacy" : "none", 8);
		if (!d.kernel_ok || !d.privileged || !d.ringbuf)
			d.problems++;
	}
	if (d.privileged) {
		check_hooks(&d);
		check_commands(&d);
		check_parts(&d);
	} else if (!d.json) {
		ks_out_printf(&d.out, "\n%s\n", d.bpf_syscall ? "run as root to probe hook types and plans"
				: "no bpf() here: hook types and plans cannot be probed");
	}
	if (d.json) {
		ks_json_kv_bool(&d.out, "ok", !d.problems);
		ks_json_end(&d.out);
	} else {
		ks_out_printf(&d.out, "\n%s\n", d.problems ? "kscope cannot fully work here (see NO above)"
							   : "kscope can trace on this kernel");
	}
	ks_out_flush(&d.out);
	if (ks_out_failed(&d.out, opts.output, NULL))
		d.problems++;
	ks_out_free(&d.out);
	ks_probe_cleanup();
	ks_opts_release(&opts);
	return d.problems ? KS_EXIT_FAIL : KS_EXIT_OK;
}

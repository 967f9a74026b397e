// SPDX-License-Identifier: GPL-2.0
/*
 * One tracing context per tracer (struct ks_trace): its skeleton, the
 * plan of each probe, its links, filters, ring buffer, output, losses and
 * interval clock. Nothing here is per process, so that one process can
 * hold several contexts at once; what is (signals, libbpf's messages,
 * -- PROGRAM, privileges) is in session.c, which also does all the
 * printing: a context says why it failed in ks_trace_error().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "events.h"
#include "probe.h"
#include "trace.h"
#include "util.h"

struct ks_trace {
	const struct ks_tracer *t;
	struct ks_opts *o;
	void *state;

	void *skel;
	struct bpf_object *obj;
	struct ks_probe_plan plans[KS_MAX_PROBES];
	int nplans;
	/* a link per chosen program, and one per companion (ks_alt.with_prog) */
	struct bpf_link *links[2 * KS_MAX_PROBES];
	int link_prog_fd[2 * KS_MAX_PROBES];  /* the program of each link */
	int nlinks;
	int task_storage;                     /* ks_trace_task_storage() */

	struct ring_buffer *rb;
	struct ks_out out;
	int epfd;                             /* the ring buffer and the output */
	int ncpus;
	uint64_t lost_seen[KS_LOST_MAX];
	uint64_t lost_unsaid[KS_LOST_MAX];    /* counted, not yet in a stderr line */
	uint64_t malformed;
	uint64_t last_lost_warn_ns;

	/* the interval clock, started by the first ks_trace_tick() */
	bool clock_started;
	uint64_t deadline, interval, next_tick;
	uint64_t ticks;                       /* interval reports made */
	uint64_t report_ns;                   /* the last report's duration */
	int report_rc;                        /* and what it returned */
	uint64_t last_lost, last_housekeeping;

	char why[1024];                       /* ks_trace_error() */
};

/* Add a line to why the context failed; returns err */
static int fail(struct ks_trace *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ks_trace *c, int err, const char *fmt, ...)
{
	size_t len = strlen(c->why);
	va_list ap;

	if (len && len + 1 < sizeof(c->why)) {
		c->why[len++] = '\n';
		c->why[len] = '\0';
	}
	va_start(ap, fmt);
	vsnprintf(c->why + len, sizeof(c->why) - len, fmt, ap);
	va_end(ap);
	return err;
}

/* ---- plans --------------------------------------------------------------- */

/* c: where to say what is wrong (NULL: nowhere, doctor's plans) */
static int add_plan(struct ks_trace *c, struct ks_probe_plan *plans, int *n,
		    const struct ks_probe *p, struct bpf_object *obj, bool wanted, bool engine)
{
	struct ks_probe_plan *pl;

	if (*n >= KS_MAX_PROBES)
		return -E2BIG;
	pl = &plans[(*n)++];
	memset(pl, 0, sizeof(*pl));
	pl->name = p->name;
	pl->wanted = wanted;
	pl->engine = engine;
	pl->best = p->flags & KS_PROBE_BEST;
	pl->chosen = -1;
	for (int i = 0; i < KS_MAX_ALTS && p->progs[i]; i++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, p->progs[i]);
		struct ks_alt *a = &pl->alts[pl->nalts++];

		a->prog = p->progs[i];
		a->lacks = p->lacks[i];
		if (!prog || ks_hook_from_section(bpf_program__section_name(prog), &a->hook))
			return c ? fail(c, -ENOENT, "internal error: probe '%s': no usable "
					"program '%s'", p->name, p->progs[i]) : -ENOENT;
	}
	for (int k = 0; k < KS_MAX_ALTS && p->with[k].prog; k++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, p->with[k].with);
		struct ks_alt *a = NULL;

		for (int i = 0; i < pl->nalts && !a; i++)
			if (!strcmp(pl->alts[i].prog, p->with[k].prog))
				a = &pl->alts[i];
		if (!a || a->with_prog || !prog ||
		    ks_hook_from_section(bpf_program__section_name(prog), &a->with_hook))
			return c ? fail(c, -ENOENT, "internal error: probe '%s': no usable "
					"companion '%s' of '%s'", p->name, p->with[k].with,
					p->with[k].prog) : -ENOENT;
		a->with_prog = p->with[k].with;
	}
	return 0;
}

static int build_plans(struct ks_trace *c, const struct ks_tracer *t, void *state,
		       struct bpf_object *obj, bool follow, struct ks_probe_plan *plans, int *n)
{
	int err;

	*n = 0;
	for (int i = 0; i < t->nprobes; i++) {
		const struct ks_probe *p = &t->probes[i];
		bool wanted = !(p->flags & KS_PROBE_OPTIONAL) ||
			      (state && t->wanted && t->wanted(state, p));

		err = add_plan(c, plans, n, p, obj, wanted, false);
		if (err)
			return err;
	}
	/*
	 * The follow programs' names are checked where the skeleton's ops are
	 * made (KS_SKEL_OPS); ops that say the command follows children
	 * itself must come with an object that has none of the engine's.
	 */
	if (!t->skel->nfollow && bpf_object__find_program_by_name(obj, "ks_follow_fork_btf"))
		return c ? fail(c, -EINVAL, "internal error: %s: KS_SKEL_OPS_SELF_FOLLOW, but "
				"its object has the engine's follow programs", t->name) : -EINVAL;
	for (int i = 0; i < t->skel->nfollow; i++) {
		err = add_plan(c, plans, n, &t->skel->follow[i], obj, follow, true);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Choose for every wanted probe; a required probe with no hook is fatal,
 * and said in c, a line per probe (c NULL: not said).
 */
static int choose_plans(struct ks_trace *c, struct ks_probe_plan *plans, int n, unsigned forbid,
			bool precheck)
{
	int err = 0;

	/* the BTF names of every hook that may be tried, looked up in one walk */
	for (int i = 0; precheck && i < n; i++)
		for (int j = 0; plans[i].wanted && j < plans[i].nalts; j++)
			if (!plans[i].alts[j].failed &&
			    !(ks_hook_family(plans[i].alts[j].hook.kind) & forbid)) {
				ks_probe_want(&plans[i].alts[j].hook);
				if (plans[i].alts[j].with_prog)
					ks_probe_want(&plans[i].alts[j].with_hook);
			}
	for (int i = 0; i < n; i++) {
		struct ks_probe_plan *pl = &plans[i];
		char line[sizeof(c->why)];
		size_t len;

		pl->chosen = -1;
		if (!pl->wanted)
			continue;
		pl->chosen = ks_plan_choose(pl->alts, pl->nalts, forbid,
					    precheck ? ks_probe_hook : NULL, NULL);
		if (pl->chosen >= 0 || !c || pl->best)
			continue;
		len = snprintf(line, sizeof(line), "no usable hook for probe '%s':", pl->name);
		for (int j = 0; j < pl->nalts && len < sizeof(line); j++)
			len += snprintf(line + len, sizeof(line) - len, "%s %s/%s: %s", j ? ";" : "",
					ks_hook_kind_name(pl->alts[j].hook.kind),
					pl->alts[j].hook.target, pl->alts[j].why ?
					pl->alts[j].why : strerror(-pl->alts[j].err));
		err = fail(c, -ENOENT, "%s", line);
	}
	return err;
}

int ks_plan_for_kernel(const struct ks_tracer *t, bool follow, unsigned forbid,
		       struct ks_probe_plan *plans, int *nplans)
{
	void *skel = t->skel->open(NULL);
	int err;

	if (!skel)
		return -errno;
	err = build_plans(NULL, t, NULL, t->skel->object(skel), follow, plans, nplans);
	t->skel->destroy(skel);
	if (err)
		return err;
	choose_plans(NULL, plans, *nplans, forbid, true);
	return 0;
}

/* ---- load and attach ----------------------------------------------------- */

static unsigned page_shift(void)
{
	long sz = sysconf(_SC_PAGESIZE);
	unsigned s = 0;

	while ((1L << s) < sz)
		s++;
	return s;
}

/*
 * KS_TASK_SLOTS maps: task storage where the kernel has it (5.11+), else
 * (or with --no-task-storage) LRU hashes keyed by thread id.
 */
static int task_slots(struct ks_trace *c, struct bpf_object *obj, struct ks_bpf_cfg *cfg)
{
	/* what the kernel has: the same for every context of the process */
	static int have = -1;
	struct bpf_map *map;
	bool any = false;
	int err = 0;

	if (have < 0)
		have = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1;
	cfg->task_storage = have && !c->o->no_task_storage;
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_TASK_STORAGE)
			continue;
		any = true;
		if (cfg->task_storage)
			continue;
		err = err ?: bpf_map__set_type(map, BPF_MAP_TYPE_LRU_HASH);
		err = err ?: bpf_map__set_map_flags(map, 0);
		err = err ?: bpf_map__set_max_entries(map, KS_TASK_SLOTS_MAX);
	}
	c->task_storage = any ? cfg->task_storage : -1;
	return err;
}

/* Open the skeleton and set everything that must be set before load */
static int open_configured(struct ks_trace *c, void **skelp)
{
	/*
	 * Without CAP_SYS_ADMIN (CAP_BPF and CAP_PERFMON only: kscope agent's
	 * systemd unit), libbpf 1.1 fails a CO-RE relocation whose type is not
	 * in vmlinux (an older kernel's, as ks_mm_counter()'s mm_rss_stat___pre62)
	 * because it then lists the modules' BTF, which needs CAP_SYS_ADMIN
	 * (libbpf fixed that later). No kscope program uses a module's type:
	 * naming vmlinux's BTF as the one to relocate against skips that search.
	 */
	const char *btf = c->o->btf_path;
	LIBBPF_OPTS(bpf_object_open_opts, oo);

	if (!btf && !ks_has_cap(CAP_SYS_ADMIN) && !access("/sys/kernel/btf/vmlinux", R_OK))
		btf = "/sys/kernel/btf/vmlinux";
	oo.btf_custom_path = btf;
	struct ks_opts *o = c->o;
	struct ks_bpf_cfg cfg = {};
	struct bpf_object *obj;
	struct bpf_map *map;
	void *skel;
	int err;

	skel = c->t->skel->open(&oo);
	if (!skel)
		return -errno;
	obj = c->t->skel->object(skel);

	if (o->npids || o->program)
		cfg.filter |= KS_FILTER_PID;
	if (o->uid_set)
		cfg.filter |= KS_FILTER_UID;
	if (o->cgroup_fd >= 0)
		cfg.filter |= KS_FILTER_CGROUP;
	if (o->comm) {
		cfg.filter |= KS_FILTER_COMM;
		strncpy(cfg.comm, o->comm, KS_COMM_LEN - 1);	/* the kernel keeps 15 */
	}
	cfg.uid = o->uid;
	cfg.cgroup_id = o->cgroup_id;
	cfg.cgroup_level = o->cgroup_level;
	cfg.cgroup_ssid1 = o->cgroup_ssid1;
	cfg.follow = o->follow;
	cfg.page_shift = page_shift();
	cfg.task_cg_v1 = ks_cgroup_task_v1();
	/* wake the reader at 1/8 full: room for bursts while it catches up */
	cfg.wakeup_bytes = (uint64_t)o->ringbuf_kb * 1024 / 8;

	err = task_slots(c, obj, &cfg);
	if (err) {
		c->t->skel->destroy(skel);
		return err;
	}

	map = bpf_object__find_map_by_name(obj, ".rodata.ks");
	err = map ? bpf_map__set_initial_value(map, &cfg, sizeof(cfg)) : -ENOENT;
	if (!err) {
		map = bpf_object__find_map_by_name(obj, "ks_events");
		err = map ? bpf_map__set_max_entries(map, o->ringbuf_kb * 1024) : -ENOENT;
	}
	if (!err && c->t->configure)
		err = c->t->configure(c->state, skel);
	if (err) {
		c->t->skel->destroy(skel);
		return err;
	}
	*skelp = skel;
	return 0;
}

/* Only the chosen programs (only >= 0: that probe's alone), and the tracer's aux ones */
static void set_autoload(const struct ks_tracer *t, struct bpf_object *obj,
			 struct ks_probe_plan *plans, int n, int only)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
	for (int i = 0; i < n; i++) {
		const struct ks_alt *a;

		if (plans[i].chosen < 0 || (only >= 0 && i != only))
			continue;
		a = &plans[i].alts[plans[i].chosen];
		prog = bpf_object__find_program_by_name(obj, a->prog);
		bpf_program__set_autoload(prog, true);
		if (a->with_prog) {
			prog = bpf_object__find_program_by_name(obj, a->with_prog);
			bpf_program__set_autoload(prog, true);
		}
	}
	for (int i = 0; only < 0 && t->aux_progs && t->aux_progs[i]; i++) {
		prog = bpf_object__find_program_by_name(obj, t->aux_progs[i]);
		if (prog)
			bpf_program__set_autoload(prog, true);
	}
}

/*
 * The object as a whole failed to load. Load each chosen program alone (with
 * its companion) to find which ones the kernel rejects, and mark them failed
 * so the next attempt uses their probe's next alternative.
 */
static int diagnose_load(struct ks_trace *c)
{
	int culprits = 0;

	for (int i = 0; i < c->nplans; i++) {
		struct ks_probe_plan *pl = &c->plans[i];
		struct ks_alt *a;
		void *skel;
		int err;

		if (pl->chosen < 0)
			continue;
		if (open_configured(c, &skel))
			return 0;
		set_autoload(c->t, c->t->skel->object(skel), c->plans, c->nplans, i);
		err = bpf_object__load(c->t->skel->object(skel));
		c->t->skel->destroy(skel);
		if (!err)
			continue;
		a = &pl->alts[pl->chosen];
		a->failed = true;
		a->err = err;
		a->why = err == -EPERM ? "the kernel refuses to load it (EPERM)" :
			 "the kernel rejected the program (-v shows the verifier log)";
		culprits++;
	}
	return culprits;
}

static void detach_all(struct ks_trace *c)
{
	for (int i = 0; i < c->nlinks; i++)
		bpf_link__destroy(c->links[i]);
	c->nlinks = 0;
	if (c->skel)
		c->t->skel->destroy(c->skel);
	c->skel = NULL;
	c->obj = NULL;
}

/* One program's link, kept with its program's fd; -errno */
static int attach_prog(struct ks_trace *c, const char *name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(c->obj, name);
	struct bpf_link *link = bpf_program__attach(prog);

	if (!link)
		return -errno;
	c->link_prog_fd[c->nlinks] = bpf_program__fd(prog);
	c->links[c->nlinks++] = link;
	return 0;
}

static int attach_chosen(struct ks_trace *c)
{
	int failed = 0;

	for (int i = 0; i < c->nplans; i++) {
		struct ks_probe_plan *pl = &c->plans[i];
		struct ks_alt *a;
		int err = 0;

		if (pl->chosen < 0)
			continue;
		a = &pl->alts[pl->chosen];
		if (a->hook.kind == KS_HOOK_ITER)
			continue;	/* the command runs it (ks_iter_run) */
		/* the companion first: then every return seen had its entry seen */
		if (a->with_prog) {
			err = attach_prog(c, a->with_prog);
			if (err)
				a->why = "loaded, but its companion failed to attach";
		}
		if (!err) {
			err = attach_prog(c, a->prog);
			if (err)
				a->why = "loaded, but attaching failed";
		}
		if (err) {
			a->failed = true;
			a->err = err;
			failed++;
		}
	}
	return failed;
}

static int load_and_attach(struct ks_trace *c)
{
	for (int attempt = 0; attempt < 4 * KS_MAX_ALTS; attempt++) {
		int err = open_configured(c, &c->skel);

		if (err)
			return fail(c, err, "cannot open BPF object: %s", strerror(-err));
		c->obj = c->t->skel->object(c->skel);
		if (!attempt) {
			err = build_plans(c, c->t, c->state, c->obj, c->o->follow, c->plans,
					  &c->nplans);
			if (err)
				goto fail;
		}
		err = choose_plans(c, c->plans, c->nplans, c->o->no_hook, !c->o->no_precheck);
		/* the pre-check's copy of vmlinux BTF must not coexist with libbpf's */
		ks_probe_cleanup();
		if (err)
			goto fail;
		set_autoload(c->t, c->obj, c->plans, c->nplans, -1);
		/* through the skeleton: its .bss/.data pointers become the kernel's */
		err = c->t->skel->load(c->skel);
		if (err) {
			detach_all(c);
			if (diagnose_load(c))
				continue;
			return fail(c, err, "cannot load BPF programs: %s%s", strerror(-err),
				    c->o->verbose ? "" : " (run with -v for the kernel's log; "
				    "'kscope doctor' checks the kernel)");
		}
		if (attach_chosen(c)) {
			detach_all(c);
			continue;
		}
		return 0;
fail:
		detach_all(c);
		return err;
	}
	return fail(c, -ELOOP, "giving up after repeated load/attach failures");
}

/* ---- filters in maps ----------------------------------------------------- */

/* Every probe attached: from now, a call whose exit is not seen is missed */
static void arm(struct ks_trace *c)
{
	struct bpf_map *map = bpf_object__find_map_by_name(c->obj, "ks_armed");
	uint64_t now = ks_now_ns(CLOCK_MONOTONIC);
	uint32_t zero = 0;

	if (map)
		bpf_map_update_elem(bpf_map__fd(map), &zero, &now, BPF_ANY);
}

int ks_trace_track_pid(struct ks_trace *c, uint32_t pid)
{
	struct bpf_map *map = bpf_object__find_map_by_name(c->obj, "ks_pids");
	uint8_t live = KS_PID_LIVE;

	return bpf_map_update_elem(bpf_map__fd(map), &pid, &live, BPF_ANY) ? -errno : 0;
}

/*
 * Followed processes whose threads have all exited (KS_PID_DEAD) leave the
 * map once reaped: /proc/PID is gone, and no thread of theirs can still
 * reach an exit hook. Once a second, in follow mode.
 */
static void reap_dead_pids(struct ks_trace *c)
{
	struct bpf_map *map = bpf_object__find_map_by_name(c->obj, "ks_pids");
	int fd = bpf_map__fd(map), n = 0;
	uint32_t key, next, gone[256];
	uint8_t v;
	char path[32];
	void *prev = NULL;

	while (n < (int)ARRAY_SIZE(gone) && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) || v != KS_PID_DEAD)
			continue;
		snprintf(path, sizeof(path), "/proc/%u", key);
		if (access(path, F_OK) && errno == ENOENT)
			gone[n++] = key;
	}
	for (int i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &gone[i]);
}

static int setup_filters(struct ks_trace *c)
{
	struct ks_opts *o = c->o;
	int err = 0;

	for (int i = 0; i < o->npids && !err; i++)
		err = ks_trace_track_pid(c, o->pids[i]);
	/* a v1 cgroup is found by walking the task's (ks_task_filter_cgroup()) */
	if (!err && o->cgroup_fd >= 0 && !o->cgroup_ssid1) {
		struct bpf_map *map = bpf_object__find_map_by_name(c->obj, "ks_cgroup");
		uint32_t key = 0, fd = o->cgroup_fd;

		if (bpf_map_update_elem(bpf_map__fd(map), &key, &fd, BPF_ANY))
			err = -errno;
	}
	return err ? fail(c, err, "cannot set up filters: %s", strerror(-err)) : 0;
}

/* ---- losses -------------------------------------------------------------- */

static const char *const lost_reason[KS_LOST_MAX] = {
	[KS_LOST_RINGBUF] = "ringbuf",
	[KS_LOST_PIDMAP] = "pid_map",
	[KS_LOST_MAPFULL] = "map_full",
	[KS_LOST_MISSED] = "missed",
};

/* What each reason loses: the same words in the lines and in the summary */
static const char *const lost_what[KS_LOST_MAX] = {
	[KS_LOST_RINGBUF] = "events lost",
	[KS_LOST_PIDMAP] = "new processes not followed",
	[KS_LOST_MAPFULL] = "updates not counted",
	[KS_LOST_MISSED] = "probe runs missed",
};

/*
 * Table mode: at most one line a second, each with everything lost since
 * the last line, so the lines add up to the summary's total. The lines are
 * the trace's own output (its text sink keeps stdout for the table), not
 * errors.
 */
static void say_lost(struct ks_trace *c, uint64_t now, bool force)
{
	if (!force && now - c->last_lost_warn_ns < 1000000000ull)
		return;
	for (int k = 0; k < KS_LOST_MAX; k++) {
		if (!c->lost_unsaid[k])
			continue;
		c->last_lost_warn_ns = now;
		fprintf(stderr, "kscope: %llu %s (%s)\n",
			(unsigned long long)c->lost_unsaid[k], lost_what[k], lost_reason[k]);
		c->lost_unsaid[k] = 0;
	}
}

/*
 * Runs of the tracer's programs the kernel skipped (bpf_prog_info's
 * recursion_misses: a program that would have run nested in itself, and
 * since 6.7 a kprobe or tracepoint program that would have run inside
 * another BPF program): each is an event or a count lost.
 */
static uint64_t prog_misses(struct ks_trace *c)
{
	uint64_t n = 0;

	for (int i = 0; i < c->nlinks; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = c->link_prog_fd[i];

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			n += info.recursion_misses;
	}
	return n;
}

static void check_lost(struct ks_trace *c, bool last)
{
	struct bpf_map *map = bpf_object__find_map_by_name(c->obj, "ks_lost");
	uint64_t *vals = calloc(c->ncpus, sizeof(uint64_t));
	uint64_t now = ks_now_ns(CLOCK_MONOTONIC);

	if (!vals || !map) {
		free(vals);
		return;
	}
	for (uint32_t k = 0; k < KS_LOST_MAX; k++) {
		uint64_t sum = 0, delta;

		if (bpf_map_lookup_elem(bpf_map__fd(map), &k, vals))
			continue;
		for (int i = 0; i < c->ncpus; i++)
			sum += vals[i];
		if (k == KS_LOST_MISSED)
			sum += prog_misses(c);
		if (sum <= c->lost_seen[k] || !lost_reason[k])
			continue;
		delta = sum - c->lost_seen[k];
		c->lost_seen[k] = sum;
		if (c->o->json) {
			ks_json_begin(&c->out);
			ks_json_kv_str(&c->out, "type", "lost", 4);
			ks_json_kv_u64(&c->out, "ts_ns", now);
			ks_json_kv_str(&c->out, "reason", lost_reason[k], strlen(lost_reason[k]));
			ks_json_kv_u64(&c->out, "count", delta);
			ks_json_kv_u64(&c->out, "total", sum);
			ks_json_end(&c->out);
		} else {
			c->lost_unsaid[k] += delta;
		}
	}
	free(vals);
	say_lost(c, now, last);
}

void ks_trace_lost_summary(struct ks_trace *c)
{
	say_lost(c, ks_now_ns(CLOCK_MONOTONIC), true);
	if (c->lost_seen[KS_LOST_RINGBUF])
		fprintf(stderr, "kscope: %llu %s in total (ringbuf): the ring buffer was full "
			"(try a larger --ringbuf-kb)\n",
			(unsigned long long)c->lost_seen[KS_LOST_RINGBUF], lost_what[KS_LOST_RINGBUF]);
	if (c->lost_seen[KS_LOST_PIDMAP])
		fprintf(stderr, "kscope: %llu %s in total (pid_map): "
			"the traced-process map (%d entries) was full\n",
			(unsigned long long)c->lost_seen[KS_LOST_PIDMAP], lost_what[KS_LOST_PIDMAP],
			KS_PIDS_MAX);
	if (c->lost_seen[KS_LOST_MAPFULL])
		fprintf(stderr, "kscope: %llu %s in total (map_full): an aggregation map was full\n",
			(unsigned long long)c->lost_seen[KS_LOST_MAPFULL], lost_what[KS_LOST_MAPFULL]);
	if (c->lost_seen[KS_LOST_MISSED])
		fprintf(stderr, "kscope: %llu %s in total (missed): the kernel skipped kscope's "
			"programs (recursion, or another BPF program running on the CPU)\n",
			(unsigned long long)c->lost_seen[KS_LOST_MISSED], lost_what[KS_LOST_MISSED]);
	if (c->malformed)
		fprintf(stderr, "kscope: %llu malformed events skipped\n",
			(unsigned long long)c->malformed);
}

/* ---- the ring buffer ----------------------------------------------------- */

static int on_record(void *ctx, void *data, size_t size)
{
	struct ks_trace *c = ctx;

	if (c->t->event(c->state, &c->out, data, size) == -EINVAL)
		c->malformed++;
	/* a reader that left (EPIPE) ends the batch and the run */
	return c->out.err ? c->out.err : 0;
}

enum { EP_RING = 1, EP_OUT = 2 };

static int setup_ring(struct ks_trace *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EP_RING };
	struct bpf_map *map = bpf_object__find_map_by_name(c->obj, "ks_events");

	c->rb = ring_buffer__new(bpf_map__fd(map), on_record, c, NULL);
	if (!c->rb)
		return -errno;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0)
		return -errno;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(c->rb), &ev))
		return -errno;
	/* learn at once when the reader of a pipe goes away (EPOLLERR) */
	ev.events = 0;
	ev.data.u32 = EP_OUT;
	epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->out.fd, &ev);	/* fails for files: fine */
	return 0;
}

/* ---- the context --------------------------------------------------------- */

struct ks_trace *ks_trace_new(const struct ks_tracer *t, struct ks_opts *o, void *state)
{
	struct ks_trace *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return NULL;
	c->t = t;
	c->o = o;
	c->state = state;
	c->epfd = -1;
	c->task_storage = -1;
	c->ncpus = ks_possible_cpus();
	err = ks_out_init(&c->out, o->out_fd, o->json, o->wallclock);
	if (err) {
		free(c);
		errno = -err;
		return NULL;
	}
	c->out.container = o->container;
	c->out.sink = o->sink;
	c->out.sink_priv = o->sink_priv;
	return c;
}

int ks_trace_open(struct ks_trace *c)
{
	int err;

	c->why[0] = '\0';
	ks_tracefs();	/* tracepoints attach through it: mounted if it is not */
	err = load_and_attach(c);
	if (err)
		return err;
	arm(c);
	err = setup_filters(c);
	if (err)
		return err;
	err = setup_ring(c);
	if (err)
		return fail(c, err, "cannot set up the ring buffer: %s", strerror(-err));
	return 0;
}

const char *ks_trace_error(const struct ks_trace *c)
{
	return c->why;
}

void ks_trace_stats(const struct ks_trace *c, struct ks_trace_stats *s)
{
	s->reports = c->ticks;
	s->report_ns = c->report_ns;
	s->report_rc = c->report_rc;
	memcpy(s->lost, c->lost_seen, sizeof(s->lost));
	s->malformed = c->malformed;
}

const char *ks_lost_reason(int k)
{
	return k >= 0 && k < KS_LOST_MAX ? lost_reason[k] : NULL;
}

struct bpf_object *ks_trace_object(const struct ks_trace *c)
{
	return c->obj;
}

const struct ks_probe_plan *ks_trace_plans(const struct ks_trace *c, int *n)
{
	*n = c->nplans;
	return c->plans;
}

int ks_trace_task_storage(const struct ks_trace *c)
{
	return c->task_storage;
}

struct ks_out *ks_trace_out(struct ks_trace *c)
{
	return &c->out;
}

int ks_trace_fd(const struct ks_trace *c)
{
	return c->epfd;
}

int ks_trace_begin(struct ks_trace *c)
{
	int err;

	ks_out_set_epoch(&c->out);
	if (c->t->start) {
		err = c->t->start(c->state, c->skel, &c->out);
		if (err)
			return err < 0 ? err : -EINVAL;
	}
	/* an output that fails at once; a reader already gone ends the run cleanly */
	if (ks_out_flush(&c->out) && c->out.err != -EPIPE)
		return c->out.err;
	return 0;
}

/* Lower *timeout_ms so that the wait ends by `at` */
static void wake_by(uint64_t at, uint64_t now, int *timeout_ms)
{
	if (at && (at - now) / 1000000 < (uint64_t)*timeout_ms)
		*timeout_ms = (at - now) / 1000000 + 1;
}

int ks_trace_tick(struct ks_trace *c, uint64_t now, int *timeout_ms)
{
	if (!c->clock_started) {
		c->clock_started = true;
		c->deadline = c->o->duration_s ? now + c->o->duration_s * 1e9 : 0;
		c->interval = c->o->interval_s * 1e9;
		c->next_tick = c->interval ? now + c->interval : 0;
		c->last_lost = c->last_housekeeping = now;
	}
	if (c->out.err || (c->deadline && now >= c->deadline))
		return KS_TICK_DONE;
	if (c->next_tick && now >= c->next_tick) {
		ring_buffer__consume(c->rb);
		if (c->t->report) {
			c->report_rc = c->t->report(c->state, &c->out,
						    ks_tick_report_flags(c->o, c->ticks));
			c->report_ns = ks_now_ns(CLOCK_MONOTONIC) - now;
		}
		ks_out_flush(&c->out);
		/*
		 * Reports stay on the interval's grid. After a stall
		 * (SIGSTOP, a loaded machine) the ticks that passed are
		 * skipped, not made up for with a burst of near-empty
		 * reports: the late report covers the whole stall, and the
		 * next one is the first grid point at least half an
		 * interval away, so no period is shorter than that. Away
		 * from the loop turn's now, not from the end of this report:
		 * the tracers of one session (a command's parts) decide the
		 * same, however long each one's report took, and stay on
		 * one grid.
		 */
		c->next_tick += c->interval;
		if (c->next_tick < now + c->interval / 2)
			c->next_tick += ((now + c->interval / 2 - c->next_tick) / c->interval + 1) *
					c->interval;
		if (c->o->count && ++c->ticks >= c->o->count)
			return KS_TICK_REPORTED | KS_TICK_DONE;
		return KS_TICK_REPORTED;
	}
	wake_by(c->deadline, now, timeout_ms);
	wake_by(c->next_tick, now, timeout_ms);
	return 0;
}

void ks_trace_set_interval(struct ks_trace *c, double seconds, uint64_t now)
{
	c->o->interval_s = seconds;
	if (!c->clock_started)
		return;	/* the first tick takes it from the options */
	c->interval = seconds * 1e9;
	c->next_tick = now + c->interval;
}

int ks_trace_poll(struct ks_trace *c, uint64_t now)
{
	struct epoll_event evs[2];
	int n = epoll_wait(c->epfd, evs, ARRAY_SIZE(evs), 0);

	for (int i = 0; i < n; i++)
		if (evs[i].data.u32 == EP_OUT)
			c->out.err = -EPIPE;	/* the reader is gone */
	ring_buffer__consume(c->rb);
	if (now - c->last_lost >= 250000000ull) {
		c->last_lost = now;
		check_lost(c, false);
	}
	if (now - c->last_housekeeping >= 1000000000ull) {
		c->last_housekeeping = now;
		if (c->o->follow)
			reap_dead_pids(c);
		if (c->t->housekeeping)
			c->t->housekeeping(c->state);
	}
	ks_out_flush(&c->out);
	return c->out.err;
}

int ks_trace_end(struct ks_trace *c)
{
	int err = 0;

	/* drain what was queued before the stop, then summarize */
	if (!c->out.err)
		ring_buffer__consume(c->rb);
	check_lost(c, true);
	/* the period cut short by the end, unless the last of [count] was reported */
	if (c->t->report && !c->out.err && ks_end_needs_report(c->o, c->ticks))
		c->t->report(c->state, &c->out, KS_REPORT_LAST | KS_REPORT_END);
	/* finish < 0: it could not write what it owns (sched --timeline) and said so */
	if (c->t->finish && !c->out.err && c->t->finish(c->state, &c->out) < 0)
		err = -EIO;
	ks_out_flush(&c->out);
	return err;
}

void ks_trace_close(struct ks_trace *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	if (c->epfd >= 0)
		close(c->epfd);
	detach_all(c);
	ks_out_free(&c->out);
	free(c);
}

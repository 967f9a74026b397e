// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../kscope.h"
#include "events.h"
#include "probe.h"
#include "trace.h"
#include "util.h"

struct ks_run {
	const struct ks_tracer *t;
	struct ks_opts *o;
	void *state;

	void *skel;
	struct bpf_object *obj;
	struct ks_probe_plan plans[KS_MAX_PROBES];
	int nplans;
	struct bpf_link *links[KS_MAX_PROBES];
	int link_prog_fd[KS_MAX_PROBES];      /* the program of each link */
	int nlinks;

	struct ring_buffer *rb;
	struct ks_out out;
	int epfd;
	int ncpus;
	uint64_t lost_seen[KS_LOST_MAX];
	uint64_t lost_unsaid[KS_LOST_MAX];    /* counted, not yet in a stderr line */
	uint64_t malformed;
	uint64_t ticks;                       /* interval reports made */
	uint64_t last_lost_warn_ns;

	pid_t child;
	int child_go, child_err;
	int child_status;
	bool child_done;
};

/* ---- signals ------------------------------------------------------------- */

static volatile sig_atomic_t stop_count, stop_sig, child_exited;

static void on_stop(int sig)
{
	stop_sig = sig;
	stop_count++;
}

static void on_child(int sig)
{
	(void)sig;
	child_exited = 1;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	/* no SA_RESTART: a signal must interrupt epoll_wait() and write() */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	/* a closed pipe shows up as EPIPE from write(): stop cleanly, exit 0 */
	signal(SIGPIPE, SIG_IGN);
}

/* ---- libbpf messages ----------------------------------------------------- */

static int verbose_level;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (verbose_level < 1 || (level == LIBBPF_DEBUG && verbose_level < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* ---- plans --------------------------------------------------------------- */

static int add_plan(struct ks_probe_plan *plans, int *n, const struct ks_probe *p,
		    struct bpf_object *obj, bool wanted, bool engine)
{
	struct ks_probe_plan *pl;

	if (*n >= KS_MAX_PROBES)
		return -E2BIG;
	pl = &plans[(*n)++];
	memset(pl, 0, sizeof(*pl));
	pl->name = p->name;
	pl->wanted = wanted;
	pl->engine = engine;
	pl->chosen = -1;
	for (int i = 0; i < KS_MAX_ALTS && p->progs[i]; i++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, p->progs[i]);
		struct ks_alt *a = &pl->alts[pl->nalts++];

		a->prog = p->progs[i];
		if (!prog || ks_hook_from_section(bpf_program__section_name(prog), &a->hook)) {
			fprintf(stderr, "kscope: internal error: probe '%s': no usable program '%s'\n",
				p->name, p->progs[i]);
			return -ENOENT;
		}
	}
	return 0;
}

static int build_plans(const struct ks_tracer *t, void *state, struct bpf_object *obj,
		       bool follow, struct ks_probe_plan *plans, int *n)
{
	int err;

	*n = 0;
	for (int i = 0; i < t->nprobes; i++) {
		const struct ks_probe *p = &t->probes[i];
		bool wanted = !(p->flags & KS_PROBE_OPTIONAL) ||
			      (state && t->wanted && t->wanted(state, p));

		err = add_plan(plans, n, p, obj, wanted, false);
		if (err)
			return err;
	}
	/*
	 * The follow programs' names are checked where the skeleton's ops are
	 * made (KS_SKEL_OPS); ops that say the command follows children
	 * itself must come with an object that has none of the engine's.
	 */
	if (!t->skel->nfollow && bpf_object__find_program_by_name(obj, "ks_follow_fork_btf")) {
		fprintf(stderr, "kscope: internal error: %s: KS_SKEL_OPS_SELF_FOLLOW, but its "
			"object has the engine's follow programs\n", t->name);
		return -EINVAL;
	}
	for (int i = 0; i < t->skel->nfollow; i++) {
		err = add_plan(plans, n, &t->skel->follow[i], obj, follow, true);
		if (err)
			return err;
	}
	return 0;
}

/* Choose for every wanted probe; a required probe with no hook is fatal */
static int choose_plans(struct ks_probe_plan *plans, int n, unsigned forbid, bool precheck,
			bool report)
{
	int err = 0;

	/* the BTF names of every hook that may be tried, looked up in one walk */
	for (int i = 0; precheck && i < n; i++)
		for (int j = 0; plans[i].wanted && j < plans[i].nalts; j++)
			if (!plans[i].alts[j].failed &&
			    !(ks_hook_family(plans[i].alts[j].hook.kind) & forbid))
				ks_probe_want(&plans[i].alts[j].hook);
	for (int i = 0; i < n; i++) {
		struct ks_probe_plan *pl = &plans[i];

		pl->chosen = -1;
		if (!pl->wanted)
			continue;
		pl->chosen = ks_plan_choose(pl->alts, pl->nalts, forbid,
					    precheck ? ks_probe_hook : NULL, NULL);
		if (pl->chosen >= 0 || !report)
			continue;
		fprintf(stderr, "kscope: no usable hook for probe '%s':", pl->name);
		for (int j = 0; j < pl->nalts; j++)
			fprintf(stderr, "%s %s/%s: %s", j ? ";" : "",
				ks_hook_kind_name(pl->alts[j].hook.kind), pl->alts[j].hook.target,
				pl->alts[j].why ? pl->alts[j].why : strerror(-pl->alts[j].err));
		fprintf(stderr, "\n");
		err = -ENOENT;
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
	err = build_plans(t, NULL, t->skel->object(skel), follow, plans, nplans);
	t->skel->destroy(skel);
	if (err)
		return err;
	choose_plans(plans, *nplans, forbid, true, false);
	return 0;
}

static void print_plans(struct ks_run *r)
{
	for (int i = 0; i < r->nplans; i++) {
		struct ks_probe_plan *pl = &r->plans[i];
		struct ks_alt *a;

		if (!pl->wanted || pl->chosen < 0)
			continue;
		a = &pl->alts[pl->chosen];
		fprintf(stderr, "kscope: probe %s: %s/%s", pl->name,
			ks_hook_kind_name(a->hook.kind), a->hook.target);
		for (int j = 0; j < pl->chosen; j++)
			fprintf(stderr, "%s%s/%s: %s", j ? "; " : " (skipped ",
				ks_hook_kind_name(pl->alts[j].hook.kind), pl->alts[j].hook.target,
				pl->alts[j].why ? pl->alts[j].why : strerror(-pl->alts[j].err));
		fprintf(stderr, "%s\n", pl->chosen ? ")" : "");
	}
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
static int task_slots(struct bpf_object *obj, const struct ks_opts *o, struct ks_bpf_cfg *cfg)
{
	static int have = -1;
	struct bpf_map *map;
	bool any = false;
	int err = 0;

	if (have < 0)
		have = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1;
	cfg->task_storage = have && !o->no_task_storage;
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
	if (any && o->verbose)
		fprintf(stderr, "kscope: calls in flight kept in %s\n",
			cfg->task_storage ? "task-local storage" : "an LRU hash by thread id");
	return err;
}

/* Open the skeleton and set everything that must be set before load */
static int open_configured(struct ks_run *r, void **skelp)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = r->o->btf_path);
	struct ks_opts *o = r->o;
	struct ks_bpf_cfg cfg = {};
	struct bpf_object *obj;
	struct bpf_map *map;
	void *skel;
	int err;

	skel = r->t->skel->open(&oo);
	if (!skel)
		return -errno;
	obj = r->t->skel->object(skel);

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
	cfg.follow = o->follow;
	cfg.page_shift = page_shift();
	/* wake the reader at 1/8 full: room for bursts while it catches up */
	cfg.wakeup_bytes = (uint64_t)o->ringbuf_kb * 1024 / 8;

	err = task_slots(obj, o, &cfg);
	if (err) {
		r->t->skel->destroy(skel);
		return err;
	}

	map = bpf_object__find_map_by_name(obj, ".rodata.ks");
	err = map ? bpf_map__set_initial_value(map, &cfg, sizeof(cfg)) : -ENOENT;
	if (!err) {
		map = bpf_object__find_map_by_name(obj, "ks_events");
		err = map ? bpf_map__set_max_entries(map, o->ringbuf_kb * 1024) : -ENOENT;
	}
	if (!err && r->t->configure)
		err = r->t->configure(r->state, skel);
	if (err) {
		r->t->skel->destroy(skel);
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
		if (plans[i].chosen < 0 || (only >= 0 && i != only))
			continue;
		prog = bpf_object__find_program_by_name(obj, plans[i].alts[plans[i].chosen].prog);
		bpf_program__set_autoload(prog, true);
	}
	for (int i = 0; only < 0 && t->aux_progs && t->aux_progs[i]; i++) {
		prog = bpf_object__find_program_by_name(obj, t->aux_progs[i]);
		if (prog)
			bpf_program__set_autoload(prog, true);
	}
}

/*
 * The object as a whole failed to load. Load each chosen program alone to
 * find which ones the kernel rejects, and mark them failed so the next
 * attempt uses their probe's next alternative.
 */
static int diagnose_load(struct ks_run *r)
{
	int culprits = 0;

	for (int i = 0; i < r->nplans; i++) {
		struct ks_probe_plan *pl = &r->plans[i];
		struct ks_alt *a;
		void *skel;
		int err;

		if (pl->chosen < 0)
			continue;
		if (open_configured(r, &skel))
			return 0;
		set_autoload(r->t, r->t->skel->object(skel), r->plans, r->nplans, i);
		err = bpf_object__load(r->t->skel->object(skel));
		r->t->skel->destroy(skel);
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

static void detach_all(struct ks_run *r)
{
	for (int i = 0; i < r->nlinks; i++)
		bpf_link__destroy(r->links[i]);
	r->nlinks = 0;
	if (r->skel)
		r->t->skel->destroy(r->skel);
	r->skel = NULL;
	r->obj = NULL;
}

static int attach_chosen(struct ks_run *r)
{
	int failed = 0;

	for (int i = 0; i < r->nplans; i++) {
		struct ks_probe_plan *pl = &r->plans[i];
		struct bpf_program *prog;
		struct bpf_link *link;
		struct ks_alt *a;

		if (pl->chosen < 0)
			continue;
		a = &pl->alts[pl->chosen];
		prog = bpf_object__find_program_by_name(r->obj, a->prog);
		link = bpf_program__attach(prog);
		if (!link) {
			a->failed = true;
			a->err = -errno;
			a->why = "loaded, but attaching failed";
			failed++;
			continue;
		}
		r->link_prog_fd[r->nlinks] = bpf_program__fd(prog);
		r->links[r->nlinks++] = link;
	}
	return failed;
}

static int load_and_attach(struct ks_run *r)
{
	for (int attempt = 0; attempt < 4 * KS_MAX_ALTS; attempt++) {
		int err = open_configured(r, &r->skel);

		if (err) {
			fprintf(stderr, "kscope: cannot open BPF object: %s\n", strerror(-err));
			return err;
		}
		r->obj = r->t->skel->object(r->skel);
		if (!attempt) {
			err = build_plans(r->t, r->state, r->obj, r->o->follow, r->plans, &r->nplans);
			if (err)
				goto fail;
		}
		err = choose_plans(r->plans, r->nplans, r->o->no_hook, !r->o->no_precheck, true);
		/* the pre-check's copy of vmlinux BTF must not coexist with libbpf's */
		ks_probe_cleanup();
		if (err)
			goto fail;
		set_autoload(r->t, r->obj, r->plans, r->nplans, -1);
		/* through the skeleton: its .bss/.data pointers become the kernel's */
		err = r->t->skel->load(r->skel);
		if (err) {
			detach_all(r);
			if (diagnose_load(r))
				continue;
			fprintf(stderr, "kscope: cannot load BPF programs: %s%s\n", strerror(-err),
				r->o->verbose ? "" : " (run with -v for the kernel's log; "
				"'kscope doctor' checks the kernel)");
			return err;
		}
		if (attach_chosen(r)) {
			detach_all(r);
			continue;
		}
		if (r->o->verbose)
			print_plans(r);
		return 0;
fail:
		detach_all(r);
		return err;
	}
	fprintf(stderr, "kscope: giving up after repeated load/attach failures\n");
	return -ELOOP;
}

/* ---- filters in maps ----------------------------------------------------- */

/* Every probe attached: from now, a call whose exit is not seen is missed */
static void arm(struct ks_run *r)
{
	struct bpf_map *map = bpf_object__find_map_by_name(r->obj, "ks_armed");
	uint64_t now = ks_now_ns(CLOCK_MONOTONIC);
	uint32_t zero = 0;

	if (map)
		bpf_map_update_elem(bpf_map__fd(map), &zero, &now, BPF_ANY);
}

static int track_pid(struct ks_run *r, uint32_t pid)
{
	struct bpf_map *map = bpf_object__find_map_by_name(r->obj, "ks_pids");
	uint8_t live = KS_PID_LIVE;

	return bpf_map_update_elem(bpf_map__fd(map), &pid, &live, BPF_ANY) ? -errno : 0;
}

/*
 * Followed processes whose threads have all exited (KS_PID_DEAD) leave the
 * map once reaped: /proc/PID is gone, and no thread of theirs can still
 * reach an exit hook. Once a second, in follow mode.
 */
static void reap_dead_pids(struct ks_run *r)
{
	struct bpf_map *map = bpf_object__find_map_by_name(r->obj, "ks_pids");
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

static int setup_filters(struct ks_run *r)
{
	struct ks_opts *o = r->o;
	int err = 0;

	for (int i = 0; i < o->npids && !err; i++)
		err = track_pid(r, o->pids[i]);
	if (!err && o->cgroup_fd >= 0) {
		struct bpf_map *map = bpf_object__find_map_by_name(r->obj, "ks_cgroup");
		uint32_t key = 0, fd = o->cgroup_fd;

		if (bpf_map_update_elem(bpf_map__fd(map), &key, &fd, BPF_ANY))
			err = -errno;
	}
	if (err)
		fprintf(stderr, "kscope: cannot set up filters: %s\n", strerror(-err));
	return err;
}

/* ---- -- PROGRAM ---------------------------------------------------------- */

/* Fork PROGRAM stopped before exec: it runs only once tracing is attached */
/* PROGRAM's path as execvp would find it (NULL: let execvp report why not) */
static const char *find_program(const char *name)
{
	static char buf[4096];
	const char *p = getenv("PATH");

	if (strchr(name, '/'))
		return name;
	if (!p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		size_t n = strcspn(p, ":");

		if (snprintf(buf, sizeof(buf), "%.*s%s%s", (int)n, n ? p : ".",
			     n ? "/" : "", name) < (int)sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return buf;
		p += n + (p[n] == ':');
	}
	return NULL;
}

/* Wait (at most a second) until the child sleeps in its read of the go pipe */
static void wait_blocked(pid_t pid)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 10000; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		char *rp;

		if (fd >= 0)
			close(fd);
		if (n <= 0)
			return;
		buf[n] = 0;
		rp = strrchr(buf, ')');
		if (!rp || (rp[1] == ' ' && rp[2] != 'R'))
			return;		/* sleeping (or stopped, or gone) */
		usleep(100);
	}
}

static int spawn_program(struct ks_run *r)
{
	int go[2], err[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(err, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int e;
		char c;

		const char *path;

		/*
		 * Everything the child does before exec happens before it
		 * blocks, so that once it is released (and traced) its next
		 * call is PROGRAM's execve: no kscope work shows up as PROGRAM's.
		 */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		close(go[1]);
		close(err[0]);
		path = find_program(r->o->program[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);	/* kscope gave up before tracing started */
		if (path)
			execve(path, r->o->program, environ);
		execvp(r->o->program[0], r->o->program);	/* errors as the shell reports them */
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(e == ENOENT ? 127 : 126);
	}
	close(go[0]);
	close(err[1]);
	wait_blocked(pid);
	r->child = pid;
	r->child_go = go[1];
	r->child_err = err[0];
	return 0;
}

static void release_program(struct ks_run *r)
{
	ssize_t n;
	int e;

	if (write(r->child_go, "g", 1) != 1)
		return;
	close(r->child_go);
	r->child_go = -1;
	/* EOF when exec succeeded (close-on-exec), errno when it failed */
	do {
		n = read(r->child_err, &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	close(r->child_err);
	r->child_err = -1;
	if (n == sizeof(e))
		ks_errorf("kscope: cannot run '%s': %s", r->o->program[0], strerror(e));
}

static void reap_program(struct ks_run *r, bool block)
{
	int status;
	pid_t p;

	if (r->child <= 0 || r->child_done)
		return;
	do {
		p = waitpid(r->child, &status, block ? 0 : WNOHANG);
		/* a second stop signal means: stop now, do not wait for PROGRAM */
	} while (p < 0 && errno == EINTR && stop_count < 2);
	if (p == r->child) {
		r->child_done = true;
		r->child_status = status;
	}
}

static int program_exit_code(struct ks_run *r)
{
	if (!r->child_done)
		return KS_EXIT_OK;
	if (WIFEXITED(r->child_status))
		return WEXITSTATUS(r->child_status);
	if (WIFSIGNALED(r->child_status))
		return 128 + WTERMSIG(r->child_status);
	return KS_EXIT_FAIL;
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
 * the last line, so the lines add up to the summary's total.
 */
static void say_lost(struct ks_run *r, uint64_t now, bool force)
{
	if (!force && now - r->last_lost_warn_ns < 1000000000ull)
		return;
	for (int k = 0; k < KS_LOST_MAX; k++) {
		if (!r->lost_unsaid[k])
			continue;
		r->last_lost_warn_ns = now;
		fprintf(stderr, "kscope: %llu %s (%s)\n",
			(unsigned long long)r->lost_unsaid[k], lost_what[k], lost_reason[k]);
		r->lost_unsaid[k] = 0;
	}
}

/*
 * Runs of the tracer's programs the kernel skipped (bpf_prog_info's
 * recursion_misses: a program that would have run nested in itself, and
 * since 6.7 a kprobe or tracepoint program that would have run inside
 * another BPF program): each is an event or a count lost.
 */
static uint64_t prog_misses(struct ks_run *r)
{
	uint64_t n = 0;

	for (int i = 0; i < r->nlinks; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = r->link_prog_fd[i];

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			n += info.recursion_misses;
	}
	return n;
}

static void check_lost(struct ks_run *r, bool last)
{
	struct bpf_map *map = bpf_object__find_map_by_name(r->obj, "ks_lost");
	uint64_t *vals = calloc(r->ncpus, sizeof(uint64_t));
	uint64_t now = ks_now_ns(CLOCK_MONOTONIC);

	if (!vals || !map) {
		free(vals);
		return;
	}
	for (uint32_t k = 0; k < KS_LOST_MAX; k++) {
		uint64_t sum = 0, delta;

		if (bpf_map_lookup_elem(bpf_map__fd(map), &k, vals))
			continue;
		for (int c = 0; c < r->ncpus; c++)
			sum += vals[c];
		if (k == KS_LOST_MISSED)
			sum += prog_misses(r);
		if (sum <= r->lost_seen[k] || !lost_reason[k])
			continue;
		delta = sum - r->lost_seen[k];
		r->lost_seen[k] = sum;
		if (r->o->json) {
			ks_json_begin(&r->out);
			ks_json_kv_str(&r->out, "type", "lost", 4);
			ks_json_kv_u64(&r->out, "ts_ns", now);
			ks_json_kv_str(&r->out, "reason", lost_reason[k], strlen(lost_reason[k]));
			ks_json_kv_u64(&r->out, "count", delta);
			ks_json_kv_u64(&r->out, "total", sum);
			ks_json_end(&r->out);
		} else {
			r->lost_unsaid[k] += delta;
		}
	}
	free(vals);
	say_lost(r, now, last);
}

static void report_lost_summary(struct ks_run *r)
{
	say_lost(r, ks_now_ns(CLOCK_MONOTONIC), true);
	if (r->lost_seen[KS_LOST_RINGBUF])
		fprintf(stderr, "kscope: %llu %s in total (ringbuf): the ring buffer was full "
			"(try a larger --ringbuf-kb)\n",
			(unsigned long long)r->lost_seen[KS_LOST_RINGBUF], lost_what[KS_LOST_RINGBUF]);
	if (r->lost_seen[KS_LOST_PIDMAP])
		fprintf(stderr, "kscope: %llu %s in total (pid_map): "
			"the traced-process map (%d entries) was full\n",
			(unsigned long long)r->lost_seen[KS_LOST_PIDMAP], lost_what[KS_LOST_PIDMAP],
			KS_PIDS_MAX);
	if (r->lost_seen[KS_LOST_MAPFULL])
		fprintf(stderr, "kscope: %llu %s in total (map_full): an aggregation map was full\n",
			(unsigned long long)r->lost_seen[KS_LOST_MAPFULL], lost_what[KS_LOST_MAPFULL]);
	if (r->lost_seen[KS_LOST_MISSED])
		fprintf(stderr, "kscope: %llu %s in total (missed): the kernel skipped kscope's "
			"programs (recursion, or another BPF program running on the CPU)\n",
			(unsigned long long)r->lost_seen[KS_LOST_MISSED], lost_what[KS_LOST_MISSED]);
	if (r->malformed)
		fprintf(stderr, "kscope: %llu malformed events skipped\n",
			(unsigned long long)r->malformed);
}

/* ---- the event loop ------------------------------------------------------ */

static int on_record(void *ctx, void *data, size_t size)
{
	struct ks_run *r = ctx;

	if (r->t->event(r->state, &r->out, data, size) == -EINVAL)
		r->malformed++;
	/* a reader that left (EPIPE) ends the batch and the run */
	return r->out.err ? r->out.err : 0;
}

enum { EP_RING = 1, EP_OUT = 2 };

static int setup_loop(struct ks_run *r)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EP_RING };
	struct bpf_map *map = bpf_object__find_map_by_name(r->obj, "ks_events");

	r->rb = ring_buffer__new(bpf_map__fd(map), on_record, r, NULL);
	if (!r->rb)
		return -errno;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0)
		return -errno;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(r->rb), &ev))
		return -errno;
	/* learn at once when the reader of a pipe goes away (EPOLLERR) */
	ev.events = 0;
	ev.data.u32 = EP_OUT;
	epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->o->out_fd, &ev);	/* fails for files: fine */
	return 0;
}

static int run_loop(struct ks_run *r)
{
	uint64_t start = ks_now_ns(CLOCK_MONOTONIC);
	uint64_t deadline = r->o->duration_s ? start + r->o->duration_s * 1e9 : 0;
	uint64_t interval = r->o->interval_s * 1e9, next_tick = interval ? start + interval : 0;
	uint64_t last_lost = start, last_housekeeping = start;
	bool forwarded = false;

	for (;;) {
		struct epoll_event evs[4];
		uint64_t now;
		int timeout, n;

		if (child_exited) {
			child_exited = 0;
			reap_program(r, false);
		}
		if (r->child_done || r->out.err)
			break;
		if (stop_count) {
			/*
			 * With -- PROGRAM, the first signal is passed on (a
			 * terminal's Ctrl-C already reached it) and tracing
			 * goes on until it exits; a second one stops at once.
			 */
			if (r->child <= 0 || stop_count > 1)
				break;
			if (!forwarded) {
				forwarded = true;
				if (stop_sig != SIGINT)
					kill(r->child, stop_sig);
			}
		}
		now = ks_now_ns(CLOCK_MONOTONIC);
		if (deadline && now >= deadline)
			break;
		if (next_tick && now >= next_tick) {
			ring_buffer__consume(r->rb);
			if (r->t->report)
				r->t->report(r->state, &r->out, ks_tick_report_flags(r->o, r->ticks));
			ks_out_flush(&r->out);
			/*
			 * Reports stay on the interval's grid. After a stall
			 * (SIGSTOP, a loaded machine) the ticks that passed are
			 * skipped, not made up for with a burst of near-empty
			 * reports: the late report covers the whole stall, and the
			 * next one is the first grid point at least half an
			 * interval away, so no period is shorter than that.
			 */
			next_tick += interval;
			now = ks_now_ns(CLOCK_MONOTONIC);
			if (next_tick < now + interval / 2)
				next_tick += ((now + interval / 2 - next_tick) / interval + 1) * interval;
			if (r->o->count && ++r->ticks >= r->o->count)
				break;
			continue;
		}
		timeout = r->o->flush_ms;
		if (deadline && (deadline - now) / 1000000 < (uint64_t)timeout)
			timeout = (deadline - now) / 1000000 + 1;
		if (next_tick && (next_tick - now) / 1000000 < (uint64_t)timeout)
			timeout = (next_tick - now) / 1000000 + 1;
		n = epoll_wait(r->epfd, evs, ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "kscope: epoll_wait: %s\n", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++)
			if (evs[i].data.u32 == EP_OUT)
				r->out.err = -EPIPE;	/* the reader is gone */
		ring_buffer__consume(r->rb);
		if (now - last_lost >= 250000000ull) {
			last_lost = now;
			check_lost(r, false);
		}
		if (now - last_housekeeping >= 1000000000ull) {
			last_housekeeping = now;
			if (r->o->follow)
				reap_dead_pids(r);
			if (r->t->housekeeping)
				r->t->housekeeping(r->state);
		}
		ks_out_flush(&r->out);
	}
	return 0;
}

int ks_trace_run(const struct ks_tracer *t, struct ks_opts *o, void *state)
{
	struct ks_run r = { .t = t, .o = o, .state = state, .epfd = -1,
			    .child_go = -1, .child_err = -1 };
	const char *missing;
	int err, code = KS_EXIT_FAIL;
	bool out_failed;

	/* first, before anything touches BPF: qemu-user does not emulate bpf() */
	if (!ks_bpf_syscall_exists()) {
		fprintf(stderr, "kscope: the bpf() system call is not available here (ENOSYS): "
			"is this qemu-user or a kernel without CONFIG_BPF_SYSCALL?\n");
		goto out_opts;
	}
	if (ks_check_caps(&missing)) {
		fprintf(stderr, "kscope: missing capability %s (needs CAP_BPF and CAP_PERFMON, "
			"or CAP_SYS_ADMIN: run as root)\n", missing);
		goto out_opts;
	}
	verbose_level = o->verbose;
	libbpf_set_print(libbpf_print);
	install_signals();
	ks_tracefs();
	r.ncpus = libbpf_num_possible_cpus();
	if (ks_out_init(&r.out, o->out_fd, o->json, o->wallclock))
		goto out_opts;
	r.out.stop = &stop_count;
	/* an output that cannot be written (stdout closed): say so before tracing */
	if (ks_out_failed(&r.out, o->output, NULL)) {
		ks_out_free(&r.out);
		goto out_opts;
	}

	if (load_and_attach(&r))
		goto out;
	arm(&r);
	if (setup_filters(&r))
		goto out;
	/* attached: now an existing -o FILE may be emptied */
	if (ks_opts_begin_output(o))
		goto out;
	if (o->program) {
		err = spawn_program(&r);
		if (!err)
			err = track_pid(&r, r.child);
		if (err) {
			ks_errorf("kscope: cannot start '%s': %s", o->program[0], strerror(-err));
			goto out;
		}
	}
	err = setup_loop(&r);
	if (err) {
		fprintf(stderr, "kscope: cannot set up the ring buffer: %s\n", strerror(-err));
		goto out;
	}
	ks_out_set_epoch(&r.out);
	if (t->start && t->start(state, r.skel, &r.out))
		goto out;
	/* an output that fails at once: PROGRAM is not run for nothing (it exits 127) */
	if (ks_out_flush(&r.out) && r.out.err != -EPIPE)
		goto out;
	if (isatty(STDERR_FILENO) && !o->program)
		fprintf(stderr, "Tracing %s... Hit Ctrl-C to end.\n", t->what);
	if (o->program)
		release_program(&r);

	if (run_loop(&r))
		goto out;
	/* drain what was queued before the stop, then summarize */
	if (!r.out.err)
		ring_buffer__consume(r.rb);
	check_lost(&r, true);
	code = KS_EXIT_OK;
	/* the period cut short by the end, unless the last of [count] was reported */
	if (t->report && !r.out.err && ks_end_needs_report(o, r.ticks))
		t->report(state, &r.out, KS_REPORT_LAST | KS_REPORT_END);
	/* finish < 0: it could not write what it owns (sched --timeline) and said so */
	if (t->finish && !r.out.err && t->finish(state, &r.out) < 0)
		code = KS_EXIT_FAIL;
	ks_out_flush(&r.out);
out:
	report_lost_summary(&r);
	/*
	 * A write error is a failed run: the trace is incomplete. It wins over
	 * PROGRAM's exit status (docs/exit-codes.md); PROGRAM runs on to its end.
	 */
	out_failed = ks_out_failed(&r.out, o->output, r.child <= 0 ? NULL :
				   r.child_go >= 0 ? "PROGRAM was not run" : !r.child_done ?
				   "tracing stopped; kscope exits 1 once PROGRAM ends" : NULL);
	if (out_failed)
		code = KS_EXIT_FAIL;
	ring_buffer__free(r.rb);
	if (r.epfd >= 0)
		close(r.epfd);
	detach_all(&r);
	ks_probe_cleanup();
	if (r.child > 0) {
		if (r.child_go >= 0)
			close(r.child_go);	/* never released: it exits 127 */
		if (r.child_err >= 0)
			close(r.child_err);
		reap_program(&r, stop_count < 2);
		if (code == KS_EXIT_OK)
			code = program_exit_code(&r);
	}
	ks_out_free(&r.out);
out_opts:
	ks_opts_release(o);
	return code;
}

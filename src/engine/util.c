// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "container.h"
#include "events.h"
#include "util.h"

int ks_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* One address of a range: 0x-prefixed hex or decimal, digits only; its end in *end */
static int parse_addr(const char *s, uint64_t *v, const char **end)
{
	unsigned long long x;
	int base = 10;
	char *e;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!(base == 16 ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s)))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &e, base);
	if (errno == ERANGE)
		return -EINVAL;
	*v = x;
	*end = e;
	return 0;
}

int ks_parse_addr_range(const char *s, uint64_t *lo, uint64_t *hi)
{
	uint64_t a, b;
	const char *end;

	if (!s || parse_addr(s, &a, &end) || *end != '-' ||
	    parse_addr(end + 1, &b, &end) || *end || a >= b)
		return -EINVAL;
	*lo = a;
	*hi = b;
	return 0;
}

int ks_parse_seconds(const char *s, double *out)
{
	double v;
	char *end;

	if (!s || !*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno == ERANGE || !isfinite(v))
		return -EINVAL;
	if (v <= 0 || v > KS_SECONDS_MAX)
		return -ERANGE;
	*out = v;
	return 0;
}

int ks_parse_uid(const char *s, uint32_t *uid)
{
	uint64_t v;
	char line[1024];
	size_t n = strlen(s);
	FILE *f;

	if (!ks_parse_u64(s, 0, UINT32_MAX - 1, &v)) {
		*uid = v;
		return 0;
	}
	if (!n || strchr(s, ':'))
		return -EINVAL;
	f = fopen("/etc/passwd", "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, s, n) || line[n] != ':')
			continue;
		p = strchr(line + n + 1, ':');	/* skip the password field */
		if (p && !ks_parse_u64(strtok(p + 1, ":"), 0, UINT32_MAX - 1, &v)) {
			fclose(f);
			*uid = v;
			return 0;
		}
	}
	fclose(f);
	return -ENOENT;
}

bool ks_stdout_closed;

void ks_stdio_guard(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int nul;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* read-only: a write to it fails with EBADF, as on the closed fd */
		nul = open("/dev/null", O_RDONLY);
		if (nul >= 0 && nul != fd) {	/* a lower one was closed too and got it */
			dup2(nul, fd);
			close(nul);
		}
		if (fd == STDOUT_FILENO)
			ks_stdout_closed = true;
	}
}

const char *ks_cgroup2_root(void)
{
	static char root[256];
	char dev[64], dir[256], type[64];
	FILE *f;

	if (root[0])
		return root;
	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return NULL;
	while (fscanf(f, "%63s %255s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(root, sizeof(root), "%s", dir);
			break;
		}
	}
	fclose(f);
	return root[0] ? root : NULL;
}

/* ---- cgroup ids to paths ------------------------------------------------- */

struct cg_ent {
	uint64_t id;
	char *path;
};

/* One hierarchy's directories by inode number, walked again for a new id */
struct cg_tree {
	char root[256];
	struct ks_vec snap;
	uint64_t snap_ns;
};

static struct cg_tree cg_v2 = { .snap = KS_VEC(struct cg_ent) };
static struct cg_tree cg_v1[4] = {
	{ .snap = KS_VEC(struct cg_ent) }, { .snap = KS_VEC(struct cg_ent) },
	{ .snap = KS_VEC(struct cg_ent) }, { .snap = KS_VEC(struct cg_ent) },
};
static struct cg_tree *cg_walking;

static void cg_snap_free(struct cg_tree *t)
{
	for (size_t i = 0; i < t->snap.n; i++)
		free(((struct cg_ent *)ks_vec_at(&t->snap, i))->path);
	ks_vec_free(&t->snap);
}

static int cg_walk(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	size_t root_len = strlen(cg_walking->root);
	struct cg_ent e = { .id = sb->st_ino };

	(void)ftw;
	if (flag != FTW_D)
		return 0;
	/* relative to the mount point: the root is "/" */
	e.path = strdup(path[root_len] ? path + root_len : "/");
	if (!e.path || !ks_vec_push(&cg_walking->snap, &e)) {
		free(e.path);
		return 1;
	}
	return 0;
}

static const char *cg_tree_path(struct cg_tree *t, uint64_t id, bool now_too)
{
	uint64_t now = ks_now_ns(CLOCK_MONOTONIC);

	for (int pass = 0; t->root[0] && pass < 2; pass++) {
		for (size_t i = 0; i < t->snap.n; i++) {
			const struct cg_ent *e = ks_vec_at(&t->snap, i);

			if (e->id == id)
				return e->path;
		}
		/* a cgroup made since the last walk: walk again, at most once a second */
		if (pass || (!now_too && t->snap.n && now - t->snap_ns < 1000000000ull))
			break;
		cg_snap_free(t);
		t->snap_ns = now;
		cg_walking = t;
		nftw(t->root, cg_walk, 16, FTW_PHYS | FTW_MOUNT);
	}
	return NULL;
}

const char *ks_cgroup2_path(uint64_t id)
{
	const char *root = ks_cgroup2_root();

	if (!root)
		return NULL;
	snprintf(cg_v2.root, sizeof(cg_v2.root), "%s", root);
	return cg_tree_path(&cg_v2, id, false);
}

/* cgroup ids to containers, per hierarchy: open addressing, the newest entry wins a full probe run */
#define CTR_CACHE 1024
#define CTR_PROBES 8

static struct ctr_ent {
	uint64_t id;               /* 0: empty */
	const char *root;          /* the hierarchy's mount point (ks_cgroup*_root()) */
	bool is;                   /* c holds a container */
	struct ks_container c;
} ctr_cache[CTR_CACHE];

static const struct ks_container *ctr_lookup(const char *root, const char *v1_ctrl, uint64_t id)
{
	size_t h = ((id ^ (uintptr_t)root) * 0x9e3779b97f4a7c15ull) >> 54;	/* 10 bits */
	struct ctr_ent *slot = NULL;
	const char *path;

	if (!root || !id)
		return NULL;
	for (int i = 0; i < CTR_PROBES; i++) {
		struct ctr_ent *e = &ctr_cache[(h + i) % CTR_CACHE];

		if (e->id == id && e->root == root)
			return e->is ? &e->c : NULL;
		if (!e->id && !slot)
			slot = e;
	}
	path = ks_cgroup_ctrl_path(v1_ctrl, id);
	if (!path)
		return NULL;	/* not found (yet): asked again, walked again at most once a second */
	if (!slot)
		slot = &ctr_cache[h % CTR_CACHE];
	slot->id = id;
	slot->root = root;
	slot->is = !ks_container_parse(path, strlen(path), &slot->c) && slot->c.id[0] &&
		   !slot->c.monitor;
	return slot->is ? &slot->c : NULL;
}

const struct ks_container *ks_cgroup2_container(uint64_t id)
{
	return ctr_lookup(ks_cgroup2_root(), "", id);
}

bool ks_cgroup_task_v1(void)
{
	return !ks_cgroup2_root() && ks_cgroup_v1_root("cpu");
}

const struct ks_container *ks_cgroup_ctrl_container(const char *v1_ctrl, uint64_t id)
{
	return ctr_lookup(ks_cgroup_ctrl_root(v1_ctrl), v1_ctrl, id);
}

/* Does a mount's option list (comma-separated) hold this word? */
static bool has_option(const char *opts, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, word, n) && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

const char *ks_cgroup_v1_root(const char *ctrl)
{
	static char found[4][2][256];	/* controller, its mount point */
	char dev[64], dir[256], type[64], opts[512];
	FILE *f;

	for (int i = 0; i < 4 && found[i][0][0]; i++)
		if (!strcmp(found[i][0], ctrl))
			return found[i][1][0] ? found[i][1] : NULL;
	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return NULL;
	dir[0] = 0;
	while (fscanf(f, "%63s %255s %63s %511s %*[^\n]", dev, dir, type, opts) == 4) {
		if (!strcmp(type, "cgroup") && has_option(opts, ctrl))
			break;
		dir[0] = 0;
	}
	fclose(f);
	for (int i = 0; i < 4; i++)
		if (!found[i][0][0]) {
			snprintf(found[i][0], sizeof(found[i][0]), "%s", ctrl);
			snprintf(found[i][1], sizeof(found[i][1]), "%s", dir);
			return found[i][1][0] ? found[i][1] : NULL;
		}
	return NULL;	/* more controllers than kept: not asked for */
}

/*
 * The v1 controller whose hierarchy holds a cgroup of this kind (NULL: a
 * task's, the cpu one without cgroup v2), or "" for cgroup v2
 */
static const char *ctrl_of(const char *v1_ctrl)
{
	if (!v1_ctrl)
		v1_ctrl = ks_cgroup_task_v1() ? "cpu" : "";
	return *v1_ctrl && ks_cgroup_v1_root(v1_ctrl) ? v1_ctrl : "";
}

const char *ks_cgroup_ctrl_root(const char *v1_ctrl)
{
	v1_ctrl = ctrl_of(v1_ctrl);
	return *v1_ctrl ? ks_cgroup_v1_root(v1_ctrl) : ks_cgroup2_root();
}

static const char *ctrl_path(const char *v1_ctrl, uint64_t id, bool now_too)
{
	const char *root = ks_cgroup_ctrl_root(v1_ctrl);

	if (!root)
		return NULL;
	if (!*ctrl_of(v1_ctrl)) {
		snprintf(cg_v2.root, sizeof(cg_v2.root), "%s", root);
		return cg_tree_path(&cg_v2, id, now_too);
	}
	for (int i = 0; i < 4; i++) {
		struct cg_tree *t = &cg_v1[i];

		if (!t->root[0])
			snprintf(t->root, sizeof(t->root), "%s", root);
		if (!strcmp(t->root, root))
			return cg_tree_path(t, id, now_too);
	}
	return NULL;
}

const char *ks_cgroup_ctrl_path(const char *v1_ctrl, uint64_t id)
{
	return ctrl_path(v1_ctrl, id, false);
}

const char *ks_cgroup_ctrl_path_now(const char *v1_ctrl, uint64_t id)
{
	return ctrl_path(v1_ctrl, id, true);
}

bool ks_pid_alive(uint32_t pid)
{
	static struct { uint32_t pid; bool alive; uint64_t at; } memo[512];
	uint64_t now = ks_now_ns(CLOCK_MONOTONIC);
	__typeof__(memo[0]) *m = &memo[pid % ARRAY_SIZE(memo)];
	char path[32];

	if (m->at && m->pid == pid && now - m->at < 5 * 1000 * 1000)
		return m->alive;
	snprintf(path, sizeof(path), "/proc/%u", pid);
	m->pid = pid;
	m->alive = access(path, F_OK) == 0;
	m->at = now;
	return m->alive;
}

uint64_t ks_now_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static const char *const signames[] = {
	[SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",     [SIGQUIT] = "SIGQUIT",
	[SIGILL] = "SIGILL",   [SIGTRAP] = "SIGTRAP",   [SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",     [SIGKILL] = "SIGKILL",
	[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",   [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",   [SIGTERM] = "SIGTERM",
	[SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
	[SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP",   [SIGTTIN] = "SIGTTIN",
	[SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG",     [SIGXCPU] = "SIGXCPU",
	[SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
	[SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO",     [SIGPWR] = "SIGPWR",
	[SIGSYS] = "SIGSYS",
};

const char *ks_signal_name(int sig)
{
	if (sig <= 0 || (size_t)sig >= ARRAY_SIZE(signames))
		return NULL;
	return signames[sig];
}

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* This thread's effective capabilities; 0, or -errno */
static int effective_caps(uint64_t *eff)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	*eff = (uint64_t)data[1].effective << 32 | data[0].effective;
	return 0;
}

int ks_check_caps(const char **missing)
{
	uint64_t eff;
	bool bpf, perfmon;

	if (effective_caps(&eff)) {
		*missing = "CAP_BPF and CAP_PERFMON (cannot read capabilities)";
		return -EPERM;
	}
	if (eff & (1ull << CAP_SYS_ADMIN))
		return 0;
	bpf = eff & (1ull << CAP_BPF);
	perfmon = eff & (1ull << CAP_PERFMON);
	if (bpf && perfmon)
		return 0;
	if (!bpf && !perfmon)
		*missing = "CAP_BPF and CAP_PERFMON";
	else
		*missing = bpf ? "CAP_PERFMON" : "CAP_BPF";
	return -EPERM;
}

bool ks_has_cap(int cap)
{
	uint64_t eff;

	return cap >= 0 && cap <= 63 && !effective_caps(&eff) && (eff & (1ull << cap));
}

bool ks_proc_status(uint32_t pid, const char *key, uint64_t *v)
{
	char path[64], line[256];
	size_t n = strlen(key);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long x;

		if (!strncmp(line, key, n) && line[n] == ':' &&
		    sscanf(line + n + 1, "%llu", &x) == 1) {
			*v = x;
			found = true;
		}
	}
	fclose(f);
	return found;
}

bool ks_proc_comm(uint32_t pid, char *comm)
{
	char path[64], buf[KS_COMM_LEN + 1];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, KS_COMM_LEN, f);
	fclose(f);
	if (n && buf[n - 1] == '\n')
		n--;
	memset(comm, 0, KS_COMM_LEN);
	memcpy(comm, buf, n < KS_COMM_LEN ? n : KS_COMM_LEN - 1);
	return n > 0;
}

void ks_bpf_quiesce(void)
{
	/* MEMBARRIER_CMD_GLOBAL (1): synchronize_rcu() in the kernel */
	if (syscall(SYS_membarrier, 1, 0, 0) < 0) {
		struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
}

bool ks_bpf_syscall_exists(void)
{
	return !(syscall(__NR_bpf, -1, NULL, 0) < 0 && errno == ENOSYS);
}

int ks_possible_cpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
}

void *ks_vec_push(struct ks_vec *vec, const void *item)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? 2 * vec->cap : 64;
		void *v = realloc(vec->v, cap * vec->size);

		if (!v)
			return NULL;
		vec->v = v;
		vec->cap = cap;
	}
	return memcpy(ks_vec_at(vec, vec->n++), item, vec->size);
}

void ks_vec_free(struct ks_vec *vec)
{
	free(vec->v);
	vec->v = NULL;
	vec->n = vec->cap = 0;
}

int ks_iter_run(struct bpf_program *prog, int map_fd)
{
	union bpf_iter_link_info info = { .map.map_fd = map_fd };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));
	struct bpf_link *link;
	char buf[4096];
	ssize_t n;
	int fd, err = 0;

	if (bpf_program__fd(prog) < 0)
		return -ENOENT;		/* not loaded: no kernel support */
	link = bpf_program__attach_iter(prog, map_fd >= 0 ? &opts : NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
	} else {
		while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			;
		if (n < 0)
			err = -errno;
		close(fd);
	}
	bpf_link__destroy(link);
	return err;
}

void ks_map_delete_keys(int fd, struct ks_vec *keys)
{
	for (size_t i = 0; i < keys->n; i++)
		bpf_map_delete_elem(fd, ks_vec_at(keys, i));
	ks_vec_free(keys);
}

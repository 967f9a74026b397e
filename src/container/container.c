// SPDX-License-Identifier: GPL-2.0
/*
 * kscope container: one row per container, and one for the host: what its
 * processes did on the CPU, in syscalls and files, on TCP, on disk, in
 * memory, and which privileges they were refused; and its lifecycle.
 *
 * It measures nothing of its own. Each area is a command run as a part of
 * this one's session (ks_part): sched, syscall, fileio, net, diskio, memory
 * and security, each with its rows keyed by cgroup, the cgroup that owns
 * the work in that area: the task's for CPU, calls and files, the socket's
 * for TCP, the request's blkcg for disk, the memcg for memory. Their tables
 * are not printed: a sink of this command's (fold_*) takes each of their
 * rows, names the container of its cgroup in the hierarchy that area's ids
 * are in (a hybrid host's blkio and memory are v1, its tasks v2), and adds
 * the period's values to that container's row. The parts report first in
 * every loop turn of the session, this command last (it is the last
 * tracer), so a period's container rows hold exactly the parts' period.
 *
 * Its own programs watch cgroups being made, entered and removed on every
 * hierarchy: the lifecycle, the namespaces of a container's first process,
 * and the container of a cgroup that is gone by the time its rows are
 * folded. Containers that exist when tracing starts are found by walking
 * the cgroup hierarchies.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../kscope.h"
#include "../engine/cli.h"
#include "../engine/container.h"
#include "../engine/hist.h"
#include "../engine/out.h"
#include "../engine/table.h"
#include "../engine/trace.h"
#include "../engine/util.h"
#include "container.h"
#include "container.skel.h"

KS_SKEL_OPS(container_bpf);

/* ---- the container table ---------------------------------------------------------- */

/* Rows not of a container */
#define RT_HOST    0              /* runtime KS_CTR_NONE: the host */
#define RT_UNKNOWN 0xff           /* a cgroup gone before it could be named */
#define RT_NS      0xfe           /* not named by its path: its processes' mount namespace */

struct ctr_key {
	uint8_t runtime;          /* enum ks_ctr_runtime, or RT_* */
	char id[KS_CTR_ID_LEN + 1];
};

enum {
	C_ID, C_RUNTIME, C_NAME, C_POD, C_QOS, C_CGROUP,
	C_CPU, C_RUNQ,
	C_SYSCALLS, C_SYSERR,
	C_FREAD, C_FWRITE,
	C_TX, C_RX, C_RETRANS,
	C_DREADS, C_DWRITES, C_DRBYTES, C_DWBYTES,
	C_DLAT,                   /* KS_LATENCY_COLS: 7 */
	C_FAULTS = C_DLAT + 7, C_MAJOR, C_RSS, C_OOM,
	C_DENIED,
	C_CREATED, C_FIRST_PID, C_FIRST_COMM, C_REMOVED,
	C_MNTNS, C_NETNS, C_PIDNS, C_UTSNS,
	NCOLS
};

/* What a row keeps since tracing began: its counters, the disk latency histogram */
struct ctr_acc {
	uint64_t v[NCOLS];
	uint32_t dlat_hist[KS_LL_SLOTS];
	bool rss_seen;
	bool ns_tried;
	bool existed;             /* there when tracing began: its first process was not seen */
};

/* Its CONTAINER cell: the id's first 12 characters, as docker ps shows them */
static void short_text(struct ks_out *o, const struct ks_row *r)
{
	const struct ctr_key *k = ks_row_key(r);

	if (k->runtime == RT_NS)
		ks_out_printf(o, "%s", k->id);	/* "mnt:INODE" */
	else
		ks_out_printf(o, "%.12s", k->runtime == RT_HOST ? "host" :
					   k->runtime == RT_UNKNOWN ? "?" : k->id);
}

#define CUM KS_COL_CUM
#define LAT_FLAGS (KS_COL_NULL | KS_COL_TEXT_HIDE)
#define LABEL_J (KS_COL_LABEL | KS_COL_TEXT_HIDE)

static const struct ks_col ctr_cols[NCOLS] = {
	[C_ID] = { "container", "CONTAINER", KS_COL_STR, KS_COL_NULL | KS_COL_LEFT, 14,
		   .size = KS_CTR_ID_LEN + 1, .text = short_text,
		   .help = "the container's id (64 hex); null for the host" },
	[C_RUNTIME] = { "runtime", "RUNTIME", KS_COL_STR, 0, 10, .size = 16 },
	[C_NAME] = { "name", "NAME", KS_COL_STR, KS_COL_NULL, 16, .size = 256,
		     .help = "its name, where a file says it: docker's config.v2.json, the "
		     "kubelet's /var/log/containers link (namespace/pod/container)" },
	[C_POD] = { "pod_uid", "", KS_COL_STR, KS_COL_TEXT_HIDE | KS_COL_NULL, 0, .size = KS_POD_UID_LEN + 1 },
	[C_QOS] = { "qos", "", KS_COL_STR, KS_COL_TEXT_HIDE | KS_COL_NULL, 0, .size = 16 },
	[C_CGROUP] = { "cgroup", "", KS_COL_STR, KS_COL_TEXT_HIDE | KS_COL_NULL, 0, .size = 256 },
	[C_CPU] = { "cpu_ns", "CPU(ms)", KS_COL_NS, CUM, 9, .text_div = 1000000,
		    .help = "time its tasks ran on a CPU" },
	[C_RUNQ] = { "runq_wait_ns", "RUNQ(ms)", KS_COL_NS, CUM, 9, .text_div = 1000000,
		     .help = "time its tasks waited on a run queue" },
	[C_SYSCALLS] = { "syscalls", "SYSCALLS", KS_COL_COUNT, CUM, 9 },
	[C_SYSERR] = { "syscall_errors", "SYSERR", KS_COL_COUNT, CUM, 7 },
	[C_FREAD] = { "file_read_bytes", "FREAD", KS_COL_BYTES, CUM, 9 },
	[C_FWRITE] = { "file_write_bytes", "FWRITE", KS_COL_BYTES, CUM, 9 },
	[C_TX] = { "tcp_tx_bytes", "TCPTX", KS_COL_BYTES, CUM, 9,
		   .help = "TCP bytes its sockets sent (the application's bytes)" },
	[C_RX] = { "tcp_rx_bytes", "TCPRX", KS_COL_BYTES, CUM, 9 },
	[C_RETRANS] = { "tcp_retrans_segs", "RETRANS", KS_COL_COUNT, CUM, 7 },
	[C_DREADS] = { "disk_reads", "DREAD", KS_COL_COUNT, CUM, 7,
		       .help = "block requests its cgroup (blkcg) read, completed" },
	[C_DWRITES] = { "disk_writes", "DWRITE", KS_COL_COUNT, CUM, 7 },
	[C_DRBYTES] = { "disk_read_bytes", "", KS_COL_BYTES, CUM | KS_COL_TEXT_HIDE },
	[C_DWBYTES] = { "disk_write_bytes", "DWBYTES", KS_COL_BYTES, CUM, 9 },
	KS_LATENCY_COLS(C_DLAT, "disk", "DISK", LAT_FLAGS),
	[C_FAULTS] = { "page_faults", "FAULTS", KS_COL_COUNT, CUM, 8 },
	[C_MAJOR] = { "major_faults", "", KS_COL_COUNT, CUM | KS_COL_TEXT_HIDE },
	[C_RSS] = { "rss_bytes", "MEM", KS_COL_BYTES, KS_COL_NULL, 9, .unless = C_RSS,
		    .help = "its memory cgroup's usage, at the last read" },
	[C_OOM] = { "oom_kills", "OOM", KS_COL_COUNT, CUM, 4 },
	[C_DENIED] = { "cap_denied", "CAPDENY", KS_COL_COUNT, CUM, 0,
		       .help = "capability checks refused" },
	[C_CREATED] = { "created_ns", "", KS_COL_NS, KS_COL_NULL | LABEL_J, .unless = C_CREATED,
			.help = "when its cgroup was made (CLOCK_MONOTONIC), if while traced" },
	[C_FIRST_PID] = { "first_pid", "", KS_COL_COUNT, KS_COL_NULL | LABEL_J,
			  .unless = C_FIRST_PID },
	[C_FIRST_COMM] = { "first_comm", "", KS_COL_STR, KS_COL_TEXT_HIDE | KS_COL_NULL, 0, .size = 16 },
	[C_REMOVED] = { "removed_ns", "", KS_COL_NS, KS_COL_NULL | LABEL_J, .unless = C_REMOVED },
	[C_MNTNS] = { "mntns", "", KS_COL_COUNT, KS_COL_NULL | LABEL_J, .unless = C_MNTNS },
	[C_NETNS] = { "netns", "", KS_COL_COUNT, KS_COL_NULL | LABEL_J, .unless = C_NETNS },
	[C_PIDNS] = { "pidns", "", KS_COL_COUNT, KS_COL_NULL | LABEL_J, .unless = C_PIDNS },
	[C_UTSNS] = { "utsns", "", KS_COL_COUNT, KS_COL_NULL | LABEL_J, .unless = C_UTSNS },
};

static bool ctr_visible(const struct ks_row *r)
{
	(void)r;
	return true;	/* an idle container is a row of zeros, not a missing one */
}

static const int ctr_ties[] = { C_SYSCALLS, -1 };

static const struct ks_table_desc ctr_table = {
	.type = "container_stat",
	.cols = ctr_cols,
	.ncols = NCOLS,
	.key_size = sizeof(struct ctr_key),
	.ties = ctr_ties,
	.ext_size = sizeof(struct ctr_acc),
	.visible = ctr_visible,
};

/* ---- the areas ------------------------------------------------------------------- */

#define FOLD_ADD  0               /* a count: the period's amount added */
#define FOLD_SET  1               /* a gauge: the memory usage */

struct fold {
	const char *src;          /* the part's column */
	int dst;                  /* ours */
	unsigned how;
};

struct area {
	const char *name;         /* --areas */
	struct ks_part_spec spec; /* the part, its own options, its ring buffer */
	const char *table;        /* the NDJSON type of its rows keyed by cgroup */
	/* the hierarchy of its cgroup ids: NULL a task's, "" v2, else a v1 controller's */
	const char *v1_ctrl;
	const struct fold *folds; /* { NULL } ends */
	/* a row that counts towards something else than folds say (disk: per op) */
	void (*custom)(struct ks_table *src, const struct ks_row *r, struct ctr_acc *a);
};

static void fold_disk(struct ks_table *src, const struct ks_row *r, struct ctr_acc *a)
{
	int op = ks_table_col(src, "op"), reqs = ks_table_col(src, "requests");
	int bytes = ks_table_col(src, "bytes"), hist = ks_table_col(src, "total_hist");
	int cnt = ks_table_col(src, "total_count"), tot = ks_table_col(src, "total_total_ns");
	int max = ks_table_col(src, "total_max_ns");
	size_t len;
	const char *name = op >= 0 ? ks_row_str(r, op, &len) : NULL;
	const uint32_t *h = hist >= 0 ? ks_row_hist(r, hist, false) : NULL;
	bool wr = name && !strcmp(name, "write");

	if (!name || (!wr && strcmp(name, "read")))
		return;	/* flushes, discards: neither */
	a->v[wr ? C_DWRITES : C_DREADS] += ks_row_get(r, reqs);
	a->v[wr ? C_DWBYTES : C_DRBYTES] += ks_row_get(r, bytes);
	if (cnt < 0 || tot < 0 || !h)
		return;
	a->v[C_DLAT] += ks_row_get(r, cnt);
	a->v[C_DLAT + 1] += ks_row_get(r, tot);
	for (int i = 0; i < KS_LL_SLOTS; i++)
		a->dlat_hist[i] += h[i];
	if (max >= 0 && ks_row_get(r, max) > a->v[C_DLAT + 5])
		a->v[C_DLAT + 5] = ks_row_get(r, max);
}

static void fold_security(struct ks_table *src, const struct ks_row *r, struct ctr_acc *a)
{
	int kind = ks_table_col(src, "kind"), denied = ks_table_col(src, "denied");
	size_t len;
	const char *k = kind >= 0 ? ks_row_str(r, kind, &len) : NULL;

	if (k && !strcmp(k, "cap") && denied >= 0)
		a->v[C_DENIED] += ks_row_get(r, denied);
}

static const char *const sched_argv[] = { "sched", "--by", "cgroup", NULL };
static const struct fold sched_folds[] = {
	{ "cpu_ns", C_CPU }, { "runq_total_ns", C_RUNQ }, { NULL }
};
static const char *const sys_argv[] = { "syscall", "--by", "cgroup", "--count-only", NULL };
static const struct fold sys_folds[] = {
	{ "count", C_SYSCALLS }, { "errors", C_SYSERR }, { NULL }
};
static const char *const file_argv[] = { "fileio", "--by", "cgroup", NULL };
static const struct fold file_folds[] = {
	{ "read_bytes", C_FREAD }, { "write_bytes", C_FWRITE }, { NULL }
};
static const char *const net_argv[] = { "net", "--by", "cgroup", NULL };
static const struct fold net_folds[] = {
	{ "tx_bytes", C_TX }, { "rx_bytes", C_RX }, { "retrans_segs", C_RETRANS }, { NULL }
};
static const char *const disk_argv[] = { "diskio", "--by", "cgroup", NULL };
static const struct fold no_folds[] = { { NULL } };
static const char *const mem_argv[] = { "memory", "--by", "cgroup", NULL };
static const struct fold mem_folds[] = {
	{ "faults", C_FAULTS }, { "major_faults", C_MAJOR }, { "oom_kills", C_OOM },
	{ "rss_bytes", C_RSS, FOLD_SET }, { NULL }
};
static const char *const sec_argv[] = {
	"security", "--summary", "--by", "cgroup", "--kind", "cap", "--denied", NULL
};

/*
 * A part's ring buffer (its default: 4 MiB): rows come from maps, records
 * are rare (an OOM kill); but net's, whose ended connections come as
 * records, keeps the default
 */
#define RB 256

static const struct area areas[] = {
	{ "cpu", { part_sched, sched_argv, RB }, "sched_cgroup", NULL, sched_folds },
	{ "syscall", { part_syscall, sys_argv, RB }, "syscall_stat", NULL, sys_folds },
	{ "file", { part_fileio, file_argv, RB }, "fileio_cgroup_stat", NULL, file_folds },
	{ "net", { part_net, net_argv, 0 }, "net_cgroup_stat", "", net_folds },
	{ "disk", { part_diskio, disk_argv, RB }, "diskio_stat", "blkio", no_folds, fold_disk },
	{ "memory", { part_memory, mem_argv, RB }, "memory_stat", "memory", mem_folds },
	{ "security", { part_security, sec_argv, RB }, "security_stat", NULL, no_folds,
	  fold_security },
};

#define NAREAS ARRAY_SIZE(areas)

/* ---- state ------------------------------------------------------------------------ */

/* A cgroup the lifecycle named: its container (or none) even once it is gone */
struct known_cg {
	int hierarchy;
	uint64_t id;
	struct ctr_key key;
};

enum sort_key { SORT_CPU, SORT_SYSCALLS, SORT_NET, SORT_DISK, SORT_FAULTS };

struct ctr_state {
	const struct ks_opts *opts;
	unsigned areas;           /* 1 << index into areas[] */
	const char *want;         /* --container: an id prefix */
	int sort;
	unsigned top;

	struct ks_part parts[NAREAS];
	int hierarchy[NAREAS];    /* each area's ids' hierarchy (0: v2) */
	struct ks_table *table;
	struct ks_vec known;      /* struct known_cg */
	int devnull;
	uint64_t period_start;
	bool interval_mode;
};

static struct ctr_state *the_state;	/* for nftw's callback */

/* The hierarchy id (/proc/self/cgroup's first field) of a v1 controller; 0: v2 */
static int hierarchy_of(const char *v1_ctrl)
{
	char line[512];
	int found = 0;
	FILE *f;

	if (!v1_ctrl)
		v1_ctrl = ks_cgroup_task_v1() ? "cpu" : "";	/* a task's */
	if (ks_cgroup_ctrl_root(v1_ctrl) == ks_cgroup2_root())
		return 0;
	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		size_t n = strlen(v1_ctrl);

		if (!c2)
			continue;
		*c2 = 0;
		for (char *p = c1 + 1; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
			if (!strncmp(p, v1_ctrl, n) && (p[n] == ',' || !p[n]))
				found = atoi(line);
	}
	fclose(f);
	return found;
}

static struct ctr_key key_of(const struct ks_container *c)
{
	struct ctr_key k;

	memset(&k, 0, sizeof(k));
	if (c) {
		k.runtime = c->runtime;
		memcpy(k.id, c->id, sizeof(k.id));
	}
	return k;
}

static const struct known_cg *known_find(struct ctr_state *st, int hierarchy, uint64_t id)
{
	for (size_t i = st->known.n; i-- > 0;) {
		const struct known_cg *k = ks_vec_at(&st->known, i);

		if (k->id == id && k->hierarchy == hierarchy)
			return k;
	}
	return NULL;
}

/* Does --container select this row? (the host and the unknown: only without it) */
static bool selected(const struct ctr_state *st, const struct ctr_key *k)
{
	if (!st->want)
		return true;
	return k->runtime != RT_HOST && k->runtime != RT_UNKNOWN && k->runtime != RT_NS &&
	       !strncmp(k->id, st->want, strlen(st->want));
}

/*
 * Where a container's name can be read without asking its runtime (and
 * without reading any process's environment): docker's own record of it,
 * and the log links the kubelet makes for every container of a pod,
 * whatever its runtime. Roots: the defaults, or KSCOPE_DOCKER_ROOT and
 * KSCOPE_POD_LOGS for hosts that moved them.
 */
static const char *docker_root(void)
{
	const char *r = getenv("KSCOPE_DOCKER_ROOT");

	return r && *r ? r : "/var/lib/docker";
}

static const char *pod_logs(void)
{
	const char *r = getenv("KSCOPE_POD_LOGS");

	return r && *r ? r : "/var/log/containers";
}

/* docker: "Name":"/NAME" in containers/ID/config.v2.json (read up to its first one) */
static bool docker_name(const char *id, char *name, size_t n)
{
	char path[512], buf[4096];
	size_t got = 0, len;
	const char *p, *e;
	FILE *f;

	snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", docker_root(), id);
	f = fopen(path, "re");
	if (!f)
		return false;
	/* "Name" is a top-level key near the start; the config (with Env) is not kept */
	got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[got] = 0;
	p = strstr(buf, "\"Name\"");
	if (!p)
		return false;
	p += 6;
	p += strspn(p, " \t\r\n");
	if (*p++ != ':')
		return false;
	p += strspn(p, " \t\r\n");
	if (*p++ != '"')
		return false;
	if (*p == '/')
		p++;
	e = strchr(p, '"');
	if (!e || e == p)
		return false;
	len = e - p;
	if (len >= n)
		len = n - 1;
	memcpy(name, p, len);
	name[len] = 0;
	return true;
}

/* the kubelet: POD_NAMESPACE_CONTAINER-ID.log in /var/log/containers, as NAMESPACE/POD/CONTAINER */
static bool pod_name(const char *id, char *name, size_t n)
{
	char suffix[KS_CTR_ID_LEN + 8];
	size_t sl;
	bool found = false;
	struct dirent *d;
	DIR *dir;

	snprintf(suffix, sizeof(suffix), "-%s.log", id);
	sl = strlen(suffix);
	dir = opendir(pod_logs());
	if (!dir)
		return false;
	while (!found && (d = readdir(dir))) {
		size_t l = strlen(d->d_name);
		char *u1, *u2, copy[256];

		if (l <= sl || l >= sizeof(copy) || strcmp(d->d_name + l - sl, suffix))
			continue;
		memcpy(copy, d->d_name, l - sl);
		copy[l - sl] = 0;
		/* pod names and namespaces have no '_' (DNS labels); a container's neither */
		u1 = strchr(copy, '_');
		u2 = u1 ? strchr(u1 + 1, '_') : NULL;
		if (!u2)
			continue;
		*u1 = *u2 = 0;
		found = snprintf(name, n, "%s/%s/%s", u1 + 1, copy, u2 + 1) < (int)n;
	}
	closedir(dir);
	return found;
}

static void put_name(struct ks_row *r, const char *id)
{
	char name[256];

	if (pod_name(id, name, sizeof(name)) || docker_name(id, name, sizeof(name)))
		ks_row_put_str(r, C_NAME, name, strlen(name));
}

/* The row of a container (made, with its labels, if new); NULL if not selected */
static struct ks_row *ctr_row(struct ctr_state *st, const struct ctr_key *k,
			      const struct ks_container *c, const char *path)
{
	struct ks_row *r;

	if (!selected(st, k))
		return NULL;
	r = ks_table_find(st->table, k);
	if (r)
		return r;
	r = ks_table_row(st->table, k);
	if (!r)
		return NULL;
	if (k->runtime == RT_HOST) {
		ks_row_put_str(r, C_RUNTIME, "host", 4);
	} else if (k->runtime == RT_UNKNOWN) {
		ks_row_put_str(r, C_RUNTIME, "unknown", 7);
	} else if (k->runtime == RT_NS) {
		ks_row_put_str(r, C_ID, k->id, strlen(k->id));
		ks_row_put_str(r, C_RUNTIME, "namespace", 9);
	} else {
		ks_row_put_str(r, C_ID, k->id, strlen(k->id));
		ks_row_put_str(r, C_RUNTIME, ks_ctr_runtime_name(k->runtime),
			       strlen(ks_ctr_runtime_name(k->runtime)));
		put_name(r, k->id);
	}
	if (c && c->pod_uid[0])
		ks_row_put_str(r, C_POD, c->pod_uid, strlen(c->pod_uid));
	if (c && c->qos != KS_QOS_NONE)
		ks_row_put_str(r, C_QOS, ks_ctr_qos_name(c->qos), strlen(ks_ctr_qos_name(c->qos)));
	if (path)
		ks_row_put_str(r, C_CGROUP, path, strlen(path));
	return r;
}

static uint64_t ns_inode(uint32_t pid, const char *ns)
{
	char path[64];
	struct stat sb;

	snprintf(path, sizeof(path), "/proc/%u/ns/%s", pid, ns);
	return stat(path, &sb) ? 0 : sb.st_ino;
}

static void put_ns(struct ks_row *r, struct ctr_acc *a, uint32_t pid, const uint64_t *ns)
{
	static const char *const names[CTR_NS_N] = { "mnt", "net", "pid", "uts" };

	for (int i = 0; i < CTR_NS_N; i++) {
		uint64_t v = ns ? ns[i] : ns_inode(pid, names[i]);

		if (v) {
			a->v[C_MNTNS + i] = v;
			ks_row_put(r, C_MNTNS + i, v);
		}
	}
}

/* A process in a cgroup (root: its hierarchy's mount point, path below it); 0 if none now */
static uint32_t a_pid_of(const char *root, const char *path, size_t len)
{
	char file[4352], buf[32];
	bool got;
	FILE *f;

	snprintf(file, sizeof(file), "%s%.*s/cgroup.procs", root, (int)len, path);
	f = fopen(file, "re");
	if (!f)
		return 0;
	got = fgets(buf, sizeof(buf), f);
	fclose(f);
	return got ? strtoul(buf, NULL, 10) : 0;
}

/*
 * The host's mount namespace: PID 1's, or where /proc/1 cannot be read
 * (a sandbox refuses it, EACCES) kscope's own
 */
static uint64_t host_mntns(void)
{
	static uint64_t ino;
	struct stat sb;

	if (!ino)
		ino = !stat("/proc/1/ns/mnt", &sb) || !stat("/proc/self/ns/mnt", &sb) ?
		      sb.st_ino : 1;
	return ino;
}

/*
 * A cgroup its path does not name: if its processes run in a mount
 * namespace other than the host's (PID 1's), that namespace groups it, as
 * a container runtime no parser knows would (k: "mnt:INODE"; *pid one of
 * them). -1 when it has no process now (asked again later), 0 the host's.
 */
static int ns_key(const char *root, const char *path, struct ctr_key *k, uint32_t *pid)
{
	uint64_t ns;

	if (!root || !strcmp(path, "/"))
		return 0;
	*pid = a_pid_of(root, path, strlen(path));
	if (!*pid)
		return -1;
	ns = ns_inode(*pid, "mnt");
	if (!ns)
		return -1;
	if (ns == host_mntns() || ns == ns_inode(getpid(), "mnt"))
		return 0;	/* the host's, or the one kscope runs in */
	memset(k, 0, sizeof(*k));
	k->runtime = RT_NS;
	snprintf(k->id, sizeof(k->id), "mnt:%" PRIu64, ns);
	return 1;
}

/*
 * The container of an area's cgroup id: the lifecycle's name for it, else
 * its path's, else its processes' mount namespace's
 */
static struct ks_row *row_of_cgroup(struct ctr_state *st, int area, uint64_t id)
{
	const struct known_cg *k = known_find(st, st->hierarchy[area], id);
	const struct ks_container *c;
	struct known_cg kn;
	struct ks_row *r;
	const char *path;
	uint32_t pid = 0;
	int ns;

	if (k)
		return ctr_row(st, &k->key, NULL, NULL);
	path = ks_cgroup_ctrl_path(areas[area].v1_ctrl, id);
	memset(&kn, 0, sizeof(kn));
	if (!path) {
		kn.key.runtime = RT_UNKNOWN;
		return ctr_row(st, &kn.key, NULL, NULL);
	}
	c = ks_cgroup_ctrl_container(areas[area].v1_ctrl, id);
	if (c) {
		kn.key = key_of(c);
		return ctr_row(st, &kn.key, c, path);
	}
	ns = ns_key(ks_cgroup_ctrl_root(areas[area].v1_ctrl), path, &kn.key, &pid);
	if (ns >= 0) {	/* known for good: a cgroup's processes do not change namespaces */
		kn.hierarchy = st->hierarchy[area];
		kn.id = id;
		ks_vec_push(&st->known, &kn);
	}
	r = ctr_row(st, &kn.key, NULL, ns > 0 ? path : NULL);
	if (r && ns > 0) {
		struct ctr_acc *a = ks_row_ext(r);

		if (!a->ns_tried) {
			put_ns(r, a, pid, NULL);
			a->ns_tried = true;
		}
	}
	return r;
}

/* ---- the fold sink: the parts' rows into containers' ------------------------------- */

static int area_of_table(const struct ks_table *t)
{
	const char *type = ks_table_desc(t)->type;

	for (size_t i = 0; i < NAREAS; i++)
		if (!strcmp(type, areas[i].table))
			return i;
	return -1;
}

static void fold_row(struct ks_sink *s, const struct ks_table *t, const struct ks_row *r)
{
	struct ctr_state *st = s->priv;
	struct ks_table *src = (struct ks_table *)t;
	int area = area_of_table(t), idc;
	struct ks_row *row;
	struct ctr_acc *a;

	if (area < 0)
		return;	/* another table of the part's (a histogram view): not ours */
	idc = ks_table_col(src, "cgroup_id");
	if (idc < 0)
		return;
	row = row_of_cgroup(st, area, ks_row_get(r, idc));
	if (!row)
		return;
	a = ks_row_ext(row);
	for (const struct fold *f = areas[area].folds; f->src; f++) {
		int c = ks_table_col(src, f->src);
		uint64_t v;

		if (c < 0 || ks_row_absent(r, c))
			continue;
		v = ks_row_get(r, c);
		if (f->how == FOLD_SET) {
			/* a gauge per cgroup: the first row of a period sets, the rest add */
			a->v[f->dst] = a->rss_seen ? a->v[f->dst] + v : v;
			a->rss_seen = true;
		} else {
			a->v[f->dst] += v;
		}
	}
	if (areas[area].custom)
		areas[area].custom(src, r, a);
}

static const struct ks_sink_ops fold_sink = { .row = fold_row };

/* ---- containers that exist: the walk, namespaces --------------------------------- */

/* The namespaces of a container found without its first process: any of its processes' */
static void find_ns(struct ks_row *r, struct ctr_acc *a)
{
	size_t len;
	const char *cg = ks_row_str(r, C_CGROUP, &len);
	uint32_t pid;

	a->ns_tried = true;
	if (len && ks_cgroup2_root() && (pid = a_pid_of(ks_cgroup2_root(), cg, len)))
		put_ns(r, a, pid, NULL);
}

static int walk_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	struct ctr_state *st = the_state;
	const char *root = ks_cgroup2_root();
	const char *rel = path + strlen(root);
	struct ks_container c;
	struct ks_row *r;
	struct ctr_key k;

	(void)sb;
	(void)ftw;
	if (flag != FTW_D || !*rel)
		return 0;
	if (ks_container_parse(rel, strlen(rel), &c) || !c.id[0] || c.monitor)
		return 0;
	k = key_of(&c);
	r = ctr_row(st, &k, &c, rel);
	if (r) {
		struct ctr_acc *a = ks_row_ext(r);

		a->existed = true;
		if (!a->ns_tried)
			find_ns(r, a);
	}
	return 0;
}

/* Every container cgroup v2 has now gets a row (the v1 ones show up as they are folded) */
static void walk_containers(struct ctr_state *st)
{
	if (!ks_cgroup2_root())
		return;
	the_state = st;
	nftw(ks_cgroup2_root(), walk_one, 16, FTW_PHYS | FTW_MOUNT);
}

/* ---- the tracer: lifecycle records, reports ---------------------------------------- */

static int container_event(void *state, struct ks_out *o, const void *data, size_t size)
{
	struct ctr_state *st = state;
	const struct ctr_event *e = data;
	struct ks_container c;
	struct known_cg k;
	struct ks_row *r;
	struct ctr_acc *a;
	size_t len;

	(void)o;
	if (size < sizeof(*e))
		return -EINVAL;
	len = strnlen(e->path, sizeof(e->path));
	if (ks_container_parse(e->path, len, &c) || !c.id[0] || c.monitor)
		return 0;	/* not a container's */
	k = (struct known_cg){ .hierarchy = e->hierarchy, .id = e->cgroup_id, .key = key_of(&c) };
	if (!known_find(st, k.hierarchy, k.id) && !ks_vec_push(&st->known, &k))
		return 0;
	r = ctr_row(st, &k.key, &c, e->hierarchy == 0 ? e->path : NULL);
	if (!r)
		return 0;
	a = ks_row_ext(r);
	switch (e->type) {
	case CTR_EV_MKDIR:
		if (!a->v[C_CREATED]) {
			a->v[C_CREATED] = e->ts_ns;
			ks_row_put(r, C_CREATED, e->ts_ns);
		}
		if (e->hierarchy == 0)
			ks_row_put_str(r, C_CGROUP, e->path, len);
		break;
	case CTR_EV_ATTACH:
		if (!a->v[C_FIRST_PID] && !a->existed) {
			a->v[C_FIRST_PID] = e->pid;
			ks_row_put(r, C_FIRST_PID, e->pid);
			ks_row_put_str(r, C_FIRST_COMM, e->comm, strnlen(e->comm, sizeof(e->comm)));
			put_ns(r, a, e->pid, e->ns[CTR_NS_MNT] ? (const uint64_t *)e->ns : NULL);
			a->ns_tried = true;
		}
		break;
	case CTR_EV_RMDIR:
		/* the container's last cgroup (v2, or any where v2 is not) */
		if (e->hierarchy == 0 || !ks_cgroup2_root()) {
			a->v[C_REMOVED] = e->ts_ns;
			ks_row_put(r, C_REMOVED, e->ts_ns);
		}
		break;
	}
	return 0;
}

static int container_start(void *state, void *skel, struct ks_out *o)
{
	struct ctr_state *st = state;
	struct ctr_key host;

	(void)skel;
	(void)o;
	memset(&host, 0, sizeof(host));
	ctr_row(st, &host, NULL, NULL);
	walk_containers(st);
	st->period_start = ks_now_ns(CLOCK_MONOTONIC);
	return 0;
}

/* The rows' values since tracing began into their columns (the table makes periods) */
static void put_totals(struct ctr_state *st)
{
	for (struct ks_row *r = ks_table_next(st->table, NULL); r; r = ks_table_next(st->table, r)) {
		struct ctr_acc *a = ks_row_ext(r);

		if (!a->ns_tried)
			find_ns(r, a);
		for (int c = C_CPU; c <= C_DENIED; c++) {
			if (ctr_cols[c].kind == KS_COL_HIST ||
			    (ctr_cols[c].flags & (KS_COL_MEAN | KS_COL_QUANTILE)))
				continue;	/* the histogram below, and what is derived from it */
			if (c == C_RSS && !a->rss_seen)
				continue;
			ks_row_put(r, c, a->v[c]);
		}
		ks_row_put_hist(r, C_DLAT + 6, a->dlat_hist);
		a->rss_seen = false;	/* the next period's memory reads set it again */
		if (a->v[C_REMOVED])
			ks_row_gone(r);
	}
}

static int container_report(void *state, struct ks_out *o, unsigned flags)
{
	struct ctr_state *st = state;

	(void)flags;
	put_totals(st);
	ks_table_report(st->table, o, NULL, st->interval_mode, &st->period_start);
	return 0;
}

static const struct ks_probe container_probes[] = {
	{ "cgroup-mkdir", { KS_PROG(container_bpf, ctr_mkdir_btf),
			    KS_PROG(container_bpf, ctr_mkdir_raw),
			    KS_PROG(container_bpf, ctr_mkdir_tp) } },
	{ "cgroup-attach", { KS_PROG(container_bpf, ctr_attach_btf),
			     KS_PROG(container_bpf, ctr_attach_raw),
			     KS_PROG(container_bpf, ctr_attach_tp) },
	  .lacks = { NULL, NULL, "the namespaces of the task moved in (read from /proc instead)" } },
	{ "cgroup-rmdir", { KS_PROG(container_bpf, ctr_rmdir_btf),
			    KS_PROG(container_bpf, ctr_rmdir_raw),
			    KS_PROG(container_bpf, ctr_rmdir_tp) } },
};

const struct ks_tracer container_tracer = {
	KS_TRACER(container, "containers"),
	.start = container_start,
	.event = container_event,
	.report = container_report,
};

/* ---- the command ------------------------------------------------------------------ */

enum { OPT_CONTAINER = 0x200, OPT_AREAS };

static const struct ks_cli_opt container_opts[] = {
	{ "container", OPT_CONTAINER, "ID", "only the containers whose id starts with ID "
	  "(as docker takes a prefix); rows chosen here, every cgroup is still counted in "
	  "the kernel (for a kernel filter: -c with its cgroup)" },
	{ "filter", OPT_CONTAINER, "ID", "the same as --container" },
	{ "areas", OPT_AREAS, "LIST", "what to measure: cpu, syscall, file, net, disk, memory, "
	  "security (default: all)" },
	{ "sort", 's', "KEY", "order rows by cpu, syscalls, net, disk or faults" },
	{ "rows", 'n', "N", "show the first N rows only" },
	{ 0 }
};

static struct ks_cli container_cli;

static int container_parse(void *state, int key, const char *arg)
{
	struct ctr_state *st = state;

	switch (key) {
	case OPT_CONTAINER:
		for (const char *p = arg; *p; p++)
			if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
				ks_cli_error(&container_cli, "--container takes a container id "
					     "(lowercase hex), not '%s'", arg);
				return -1;
			}
		if (!*arg || strlen(arg) > KS_CTR_ID_LEN) {
			ks_cli_error(&container_cli, "--container takes 1 to 64 hex digits, "
				     "not '%s'", arg);
			return -1;
		}
		st->want = arg;
		return 0;
	case OPT_AREAS: {
		unsigned mask = 0;

		for (const char *p = arg; *p;) {
			size_t n = strcspn(p, ",");
			size_t i;

			for (i = 0; i < NAREAS; i++)
				if (strlen(areas[i].name) == n && !strncmp(p, areas[i].name, n))
					break;
			if (i == NAREAS) {
				ks_cli_error(&container_cli, "unknown area '%.*s' in --areas "
					     "(cpu, syscall, file, net, disk, memory, security)", (int)n, p);
				return -1;
			}
			mask |= 1u << i;
			p += n + (p[n] == ',');
		}
		if (!mask) {
			ks_cli_error(&container_cli, "--areas needs at least one area");
			return -1;
		}
		st->areas = mask;
		return 0;
	}
	}
	return ks_cli_summary_opt(&container_cli, key, arg, container_cli.sort_keys,
				  &st->sort, &st->top);
}

static const struct ks_cli_conflict container_conflicts[] = {
	{ 'C', OPT_AREAS, "-C names each event's container: kscope container prints rows" },
	{ 0 }
};

static int container_setup(void *state, struct ks_opts *o)
{
	struct ctr_state *st = state;
	static const int sort_cols[] = {
		[SORT_CPU] = C_CPU, [SORT_SYSCALLS] = C_SYSCALLS, [SORT_NET] = C_TX,
		[SORT_DISK] = C_DWBYTES, [SORT_FAULTS] = C_FAULTS,
	};

	if (o->container) {
		ks_cli_error(&container_cli, "-C names each event's container: kscope container "
			     "prints a row per container already");
		return KS_EXIT_USAGE;
	}
	st->opts = o;
	st->interval_mode = o->interval_s > 0;
	if (!st->areas)
		st->areas = (1u << NAREAS) - 1;
	st->table = ks_table_new(&ctr_table);
	if (!st->table)
		return KS_EXIT_FAIL;
	ks_table_set_ctx(st->table, st);
	ks_table_sort(st->table, sort_cols[st->sort]);
	ks_table_top(st->table, st->top);
	st->known = (struct ks_vec)KS_VEC(struct known_cg);
	for (size_t i = 0; i < NAREAS; i++)
		st->hierarchy[i] = hierarchy_of(areas[i].v1_ctrl);
	st->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	return st->devnull < 0 ? KS_EXIT_FAIL : 0;
}

static int container_teardown(void *state, int rc)
{
	struct ctr_state *st = state;

	for (size_t i = 0; i < NAREAS; i++)
		if (st->parts[i].state)
			rc = ks_part_free(&st->parts[i], rc);
	ks_table_free(st->table);
	ks_vec_free(&st->known);
	if (st->devnull >= 0)
		close(st->devnull);
	return rc;
}

static struct ks_cli container_cli = {
	.cmd = "container",
	.summary = "One row per container, and one for the host: CPU, syscalls, files, TCP, "
		   "disk, memory, privileges; the lifecycle.",
	.details =
	"Each area is counted by its command's programs, keyed by the cgroup that owns the\n"
	"work there: the task's for CPU, syscalls, files and capability checks, the socket's\n"
	"for TCP, the request's blkcg for disk, the memory cgroup for memory. A container\n"
	"is named from that cgroup's path (docker, containerd, cri-o, podman, Kubernetes\n"
	"pods), on cgroup v1, v2 and hybrid hosts; no runtime is asked. Rows every interval,\n"
	"or once at the end.",
	.examples =
	"  kscope container                       # a row per container at Ctrl-C\n"
	"  kscope container 5 -s net              # every 5 s, busiest on TCP first\n"
	"  kscope container --container 3f2a -j   # one container, NDJSON\n",
	KS_CLI_OF(container),
	KS_CLI_SORT(struct ctr_state, sort, top, "cpu", "syscalls", "net", "disk", "faults"),
	.flags = KS_CLI_TRACE | KS_CLI_INTERVAL | KS_CLI_PROGRAM,
};

int cmd_container(int argc, char **argv)
{
	struct ctr_state st = { .devnull = -1 };
	struct ks_session_tracer tr[KS_SESSION_MAX];
	struct ks_opts opts;
	int rc, n = 0;

	container_cli.state = &st;
	rc = ks_cli_parse(&container_cli, argc, argv, &opts);
	if (rc != KS_CLI_CONTINUE)
		return rc;
	rc = container_setup(&st, &opts);
	for (size_t i = 0; !rc && i < NAREAS; i++) {
		if (!(st.areas & (1u << i)))
			continue;
		rc = ks_part_start(&st.parts[i], &areas[i].spec, &opts, &fold_sink, &st, st.devnull,
				   &tr[n]);
		if (!rc)
			n++;
	}
	if (rc) {
		for (int i = 0; i < n; i++)
			ks_opts_release(tr[i].o);
		ks_opts_release(&opts);
		return container_teardown(&st, rc);
	}
	/* last: its report comes after the parts' in the same turn of the loop */
	tr[n++] = (struct ks_session_tracer){ &container_tracer, &opts, &st };
	rc = ks_session_run(tr, n);
	return container_teardown(&st, rc);
}

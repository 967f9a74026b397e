// SPDX-License-Identifier: GPL-2.0
/*
 * kscope memory: per process (thread, memory cgroup) page faults split
 * read/write/exec and minor/major, RSS now and its peak while traced, time
 * stalled in direct and memcg reclaim; OOM kills streamed, always, with
 * the memory cgroup whose limit was hit; or one record per user fault
 * (--events, --faults RANGE).
 *
 * The kernel side (memory.bpf.c) keeps cumulative counters per row key;
 * every collection (about once a second, and at each report) puts them in
 * the engine's table with the memory read from /proc (processes, threads)
 * or the memory cgroup's files (cgroups).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kscope.h"
#include "engine/cli.h"
#include "engine/hist.h"
#include "engine/out.h"
#include "engine/table.h"
#include "engine/trace.h"
#include "engine/util.h"
#include "memory.h"
#include "memory.skel.h"

KS_SKEL_OPS(memory_bpf);

enum sort_key { SORT_FAULTS, SORT_MAJOR, SORT_RSS, SORT_PEAK, SORT_RECLAIM };
enum view { VIEW_TABLE, VIEW_HIST, VIEW_EVENTS };

struct mem_state {
	struct ks_opts *opts;
	struct memory_bpf *skel;
	/* options */
	int by;                    /* MEM_BY_* */
	bool hist, events;
	bool range_set;
	uint64_t range_lo, range_hi;
	int sort;
	unsigned top;
	/* state */
	enum view view;
	struct ks_table *table;
	struct ks_table_group group;
	uint64_t period_start;
	bool interval_mode;
	bool header_done;          /* the event header is printed (events, or a first OOM) */
	uint64_t start_boottime_ns;   /* tracing began (CLOCK_BOOTTIME, as /proc's start times) */
	long page_size;
	int ncpus;
	void *vals;                /* lookup buffer: a mem_stat per possible CPU */
	struct mem_stat sum;
};

/* Per row: what the peak while traced is made from */
struct mem_ext {
	uint64_t hwm_first;        /* the kernel's high-water mark when first read (bytes) */
	uint64_t peak;             /* the largest RSS read, or high-water mark grown since */
	bool known;                /* hwm_first is set */
	bool all_traced;           /* the process began while traced: its HWM is all ours */
	uint64_t execs;            /* the row's execs when last read */
	uint64_t hwm_last;         /* the high-water mark last read */
};

/* ---- the table ---------------------------------------------------------- */

/* in the order of the JSON keys */
enum { C_PID, C_TID, C_COMM, C_CGROUP_ID, C_CGROUP, C_CONTAINER, C_CONTAINER_RT = C_CONTAINER + 1,
       C_FAULTS, C_READ, C_WRITE, C_EXEC, C_MINOR, C_MAJOR,
       C_RSS, C_ANON, C_FILE, C_SHMEM, C_PEAK,
       C_DIRECT, C_DIRECT_NS, C_MEMCG, C_MEMCG_NS, C_RECLAIMS, C_RECLAIM_NS, C_OOM,
       C_HIST, C_EXECS, NCOLS };

static uint64_t row_read(const struct ks_row *r)
{
	uint64_t n = ks_row_get(r, C_FAULTS), w = ks_row_get(r, C_WRITE) + ks_row_get(r, C_EXEC);

	return n > w ? n - w : 0;
}

static uint64_t row_reclaims(const struct ks_row *r)
{
	return ks_row_get(r, C_DIRECT) + ks_row_get(r, C_MEMCG);
}

static uint64_t row_reclaim_ns(const struct ks_row *r)
{
	return ks_row_get(r, C_DIRECT_NS) + ks_row_get(r, C_MEMCG_NS);
}

/*
 * A live process's name, a cgroup's path and with -C its container: looked
 * up for what is shown
 */
static void row_prepare(struct ks_row *r)
{
	struct mem_state *st = ks_table_ctx(ks_row_table(r));
	char buf[KS_COMM_LEN] = "";
	uint32_t id = st->by == MEM_BY_THREAD ? ks_row_get(r, C_TID) : ks_row_get(r, C_PID);

	if (st->by != MEM_BY_CGROUP && !ks_row_is_gone(r) && ks_proc_comm(id, buf))
		ks_row_put_str(r, C_COMM, buf, sizeof(buf));
	if (st->by == MEM_BY_CGROUP)
		ks_row_put_cgroup(r, C_CGROUP, C_CONTAINER, "memory", ks_row_get(r, C_CGROUP_ID));
}

static void ext_merge(void *dst, const void *src)
{
	struct mem_ext *d = dst;
	const struct mem_ext *s = src;

	if (s->peak > d->peak)
		d->peak = s->peak;
}

#define RSS_FLAGS 0

static const struct ks_col mem_cols[NCOLS] = {
	[C_PID] = { "pid", "PID", KS_COL_COUNT, KS_COL_KEY | KS_COL_LEFT, 7 },
	[C_TID] = { "tid", "TID", KS_COL_COUNT, KS_COL_KEY | KS_COL_LEFT, 7 },
	[C_COMM] = { "comm", "COMM", KS_COL_COMM, 0, 16 },
	[C_CGROUP_ID] = { "cgroup_id", "", KS_COL_COUNT, KS_COL_KEY | KS_COL_TEXT_HIDE },
	[C_CGROUP] = { "cgroup", "CGROUP", KS_COL_STR, 0, 24, .size = 256 },
	KS_CONTAINER_COLS(C_CONTAINER),
	[C_FAULTS] = { "faults", "FAULTS", KS_COL_COUNT, KS_COL_CUM, 8,
		       .help = "page faults taken in user mode" },
	[C_READ] = { "read_faults", "", KS_COL_COUNT, KS_COL_DERIVED | KS_COL_TEXT_HIDE,
		     .derive = row_read, .help = "of them on a read" },
	[C_WRITE] = { "write_faults", "WRITE", KS_COL_COUNT, KS_COL_CUM, 8,
		      .help = "of them on a write" },
	[C_EXEC] = { "exec_faults", "", KS_COL_COUNT, KS_COL_CUM | KS_COL_TEXT_HIDE,
		     .help = "of them on an instruction fetch" },
	[C_MINOR] = { "minor_faults", "MINFLT", KS_COL_COUNT, KS_COL_CUM, 8,
		      .help = "faults the kernel accounted as minor (also those taken in the "
		      "kernel on the task's memory)" },
	[C_MAJOR] = { "major_faults", "MAJFLT", KS_COL_COUNT, KS_COL_CUM, 7,
		      .help = "faults the kernel accounted as major (I/O)" },
	[C_RSS] = { "rss_bytes", "RSS", KS_COL_BYTES, RSS_FLAGS, 9,
		    .help = "resident memory now (a cgroup: its memory usage)" },
	[C_ANON] = { "rss_anon_bytes", "ANON", KS_COL_BYTES, RSS_FLAGS, 9 },
	[C_FILE] = { "rss_file_bytes", "FILE", KS_COL_BYTES, RSS_FLAGS, 9 },
	[C_SHMEM] = { "rss_shmem_bytes", "SHMEM", KS_COL_BYTES, RSS_FLAGS, 9 },
	[C_PEAK] = { "rss_peak_bytes", "PEAK", KS_COL_BYTES, RSS_FLAGS, 9,
		     .help = "the largest resident memory while traced" },
	[C_DIRECT] = { "direct_reclaims", "", KS_COL_COUNT, KS_COL_CUM | KS_COL_TEXT_HIDE,
		       .help = "stalls in direct reclaim" },
	[C_DIRECT_NS] = { "direct_reclaim_ns", "", KS_COL_NS, KS_COL_CUM | KS_COL_TEXT_HIDE },
	[C_MEMCG] = { "memcg_reclaims", "", KS_COL_COUNT, KS_COL_CUM | KS_COL_TEXT_HIDE,
		      .help = "stalls reclaiming for a memory cgroup's limit" },
	[C_MEMCG_NS] = { "memcg_reclaim_ns", "", KS_COL_NS, KS_COL_CUM | KS_COL_TEXT_HIDE },
	[C_RECLAIMS] = { "reclaims", "RECLAIMS", KS_COL_COUNT,
			 KS_COL_DERIVED | KS_COL_JSON_HIDE, 8, .derive = row_reclaims },
	[C_RECLAIM_NS] = { "reclaim_ns", "RECLAIM(ms)", KS_COL_NS,
			   KS_COL_DERIVED | KS_COL_JSON_HIDE, 11, .text_div = 1000000,
			   .derive = row_reclaim_ns },
	[C_OOM] = { "oom_kills", "OOM", KS_COL_COUNT, KS_COL_CUM, 0,
		    .help = "its tasks killed by the OOM killer" },
	[C_HIST] = { "reclaim_log2", "", KS_COL_HIST,
		     KS_COL_CUM | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE },
	[C_EXECS] = { "execs", "", KS_COL_COUNT, KS_COL_CUM | KS_COL_TEXT_HIDE | KS_COL_JSON_HIDE },
};

static const int mem_ties[] = { C_FAULTS, -1 };

static const struct ks_table_desc mem_table = {
	.type = "memory_stat",
	.cols = mem_cols,
	.ncols = NCOLS,
	.key_size = sizeof(uint64_t),
	.ties = mem_ties,
	.ext_size = sizeof(struct mem_ext),
	.ext_merge = ext_merge,
	.prepare = row_prepare,
};

static const int by_pid[] = { C_PID, -1 }, by_tid[] = { C_TID, -1 },
		 by_cgroup[] = { C_CGROUP_ID, -1 };

/* ---- memory from /proc and the memory cgroup's files ---------------------- */

struct mem_now {
	uint64_t rss, anon, file, shmem, hwm;   /* bytes */
	uint64_t start_ns;                      /* the process's start (CLOCK_BOOTTIME) */
};

/* /proc/ID/status: VmRSS, RssAnon, RssFile, RssShmem, VmHWM (kB); false if gone */
static bool proc_mem(uint32_t id, struct mem_now *m)
{
	char path[64], line[256];
	unsigned long long kb;
	FILE *f;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/proc/%u/status", id);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %llu", &kb) == 1)
			m->rss = kb * 1024;
		else if (sscanf(line, "RssAnon: %llu", &kb) == 1)
			m->anon = kb * 1024;
		else if (sscanf(line, "RssFile: %llu", &kb) == 1)
			m->file = kb * 1024;
		else if (sscanf(line, "RssShmem: %llu", &kb) == 1)
			m->shmem = kb * 1024;
		else if (sscanf(line, "VmHWM: %llu", &kb) == 1)
			m->hwm = kb * 1024;
	}
	fclose(f);
	return true;
}

/* The process's start in CLOCK_BOOTTIME ns (/proc/ID/stat field 22, in ticks since boot) */
static uint64_t proc_start_ns(uint32_t id)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks;
	long hz = sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", id);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');	/* comm may hold anything: fields count from its end */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", &ticks) != 1 || hz <= 0)
		return 0;
	return ticks * (1000000000ull / hz);
}

/* A memory cgroup's directory: below its v1 hierarchy, else below cgroup2's */
static bool memcg_dir(uint64_t id, char *dir, size_t n)
{
	const char *path = ks_cgroup_ctrl_path("memory", id);
	const char *root = ks_cgroup_v1_root("memory");

	if (!path)
		return false;
	if (!root)
		root = ks_cgroup2_root();
	if (!root)
		return false;
	snprintf(dir, n, "%s%s", root, path);
	return true;
}

static bool read_u64_file(const char *dir, const char *name, uint64_t *v)
{
	char path[PATH_MAX], line[64];
	unsigned long long x;
	bool ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f) && sscanf(line, "%llu", &x) == 1) {
		*v = x;
		ok = true;
	}
	fclose(f);
	return ok;
}

/*
 * A memory cgroup's usage (v1 memory.usage_in_bytes, v2 memory.current)
 * and memory.stat's anon, file (page cache: tmpfs and shm included) and
 * shmem (v1: the hierarchical total_rss, total_cache, total_shmem).
 */
static bool memcg_mem(uint64_t id, struct mem_now *m)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], key[64];
	unsigned long long v;
	FILE *f;

	memset(m, 0, sizeof(*m));
	if (!memcg_dir(id, dir, sizeof(dir)))
		return false;
	if (!read_u64_file(dir, "memory.current", &m->rss) &&
	    !read_u64_file(dir, "memory.usage_in_bytes", &m->rss))
		return false;
	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	f = fopen(path, "re");
	if (!f)
		return true;
	while (fscanf(f, "%63s %llu", key, &v) == 2) {
		if (!strcmp(key, "anon") || !strcmp(key, "total_rss"))
			m->anon = v;
		else if (!strcmp(key, "file") || !strcmp(key, "total_cache"))
			m->file = v;
		else if (!strcmp(key, "shmem") || !strcmp(key, "total_shmem"))
			m->shmem = v;
	}
	fclose(f);
	return true;
}

/*
 * The row's memory now, and its peak while traced: a process that began
 * while traced peaks at its high-water mark (VmHWM, the kernel's); one
 * that was there before at its high-water mark if that grew since kscope
 * first read it, else at the largest RSS kscope read. A cgroup: the
 * largest usage read.
 */
static void put_mem(struct mem_state *st, struct ks_row *r, const struct mem_now *m)
{
	struct mem_ext *x = ks_row_ext(r);

	if (!x->known) {
		x->known = true;
		x->hwm_first = m->hwm;
		x->all_traced = st->by != MEM_BY_CGROUP && m->start_ns &&
				m->start_ns >= st->start_boottime_ns;
	} else if (st->by != MEM_BY_CGROUP && m->hwm && m->hwm < x->hwm_last) {
		/* the mark never falls in one image: an exec made a new one, while traced */
		x->peak = x->hwm_first = 0;
		x->all_traced = true;
	}
	if (m->hwm)
		x->hwm_last = m->hwm;
	if (m->rss > x->peak)
		x->peak = m->rss;
	if (m->hwm > x->peak && (x->all_traced || m->hwm > x->hwm_first))
		x->peak = m->hwm;
	ks_row_put(r, C_RSS, m->rss);
	ks_row_put(r, C_ANON, m->anon);
	ks_row_put(r, C_FILE, m->file);
	ks_row_put(r, C_SHMEM, m->shmem);
	ks_row_put(r, C_PEAK, x->peak);
}

/* ---- collecting ------------------------------------------------------------ */

static struct ks_row *row_get(struct mem_state *st, uint64_t key)
{
	struct ks_row *r = ks_table_find(st->table, &key);

	if (r && !ks_row_is_gone(r))
		return r;
	r = ks_table_row(st->table, &key);
	if (!r)
		return NULL;
	if (st->by == MEM_BY_THREAD) {
		ks_row_put(r, C_TID, key);
	} else if (st->by == MEM_BY_CGROUP) {
		ks_row_put(r, C_CGROUP_ID, key);
	} else {
		ks_row_put(r, C_PID, key);
	}
	return r;
}

#define STAT_STRIDE ((sizeof(struct mem_stat) + 7) / 8 * 8)

static void sum_cpus(struct mem_stat *sum, const void *vals, int ncpus)
{
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpus; c++) {
		const struct mem_stat *v = (const void *)((const char *)vals + c * STAT_STRIDE);

		sum->faults += v->faults;
		sum->write_faults += v->write_faults;
		sum->exec_faults += v->exec_faults;
		sum->minor += v->minor;
		sum->major += v->major;
		sum->direct_reclaims += v->direct_reclaims;
		sum->direct_reclaim_ns += v->direct_reclaim_ns;
		sum->memcg_reclaims += v->memcg_reclaims;
		sum->memcg_reclaim_ns += v->memcg_reclaim_ns;
		sum->oom_kills += v->oom_kills;
		sum->execs += v->execs;
		for (int s = 0; s < KS_LOG2_SLOTS; s++)
			sum->reclaim_log2[s] += v->reclaim_log2[s];
	}
}

/* A thread's process, for /proc/TID: the thread's own entry works as well */
static bool key_gone(const struct mem_state *st, uint64_t key)
{
	return st->by != MEM_BY_CGROUP && key && !ks_pid_alive(key);
}

/* Processes that exited: their memory as it was at the end */
static void collect_exited(struct mem_state *st)
{
	int fd = bpf_map__fd(st->skel->maps.exited);
	uint32_t key, next, *prev = NULL;
	struct ks_vec done = KS_VEC(uint32_t);
	struct mem_exited x;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		uint64_t k = next;
		struct ks_row *r;

		key = next;
		prev = &key;
		if (ks_vec_push(&done, &key) && !bpf_map_lookup_elem(fd, &key, &x) &&
		    (r = ks_table_find(st->table, &k))) {
			struct mem_ext *e = ks_row_ext(r);
			struct mem_now m = {
				.rss = (x.rss_pages[0] + x.rss_pages[1] + x.rss_pages[2]) *
				       st->page_size,
				.anon = x.rss_pages[MEM_RSS_ANON] * st->page_size,
				.file = x.rss_pages[MEM_RSS_FILE] * st->page_size,
				.shmem = x.rss_pages[MEM_RSS_SHMEM] * st->page_size,
				.hwm = x.peak_pages * st->page_size,
			};

			if (!x.have_mm) {
				/* the mm was gone: the last RSS read stands */
				m.rss = ks_row_get(r, C_RSS);
				m.anon = ks_row_get(r, C_ANON);
				m.file = ks_row_get(r, C_FILE);
				m.shmem = ks_row_get(r, C_SHMEM);
			}
			if (!e->known)
				e->all_traced = true;	/* first seen at its exit: it began while traced */
			put_mem(st, r, &m);
		}
	}
	ks_map_delete_keys(fd, &done);
}

static void collect_stats(struct mem_state *st)
{
	int fd = bpf_map__fd(st->skel->maps.stats);
	int cfd = bpf_map__fd(st->skel->maps.comms);
	uint64_t key, next, *prev = NULL;
	struct ks_vec dead = KS_VEC(uint64_t);
	const struct mem_stat *v = &st->sum;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct mem_now m;
		struct ks_row *r;
		bool live;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, st->vals))
			continue;
		sum_cpus(&st->sum, st->vals, st->ncpus);
		r = row_get(st, key);
		if (!r)
			continue;
		ks_row_put(r, C_FAULTS, v->faults);
		ks_row_put(r, C_WRITE, v->write_faults);
		ks_row_put(r, C_EXEC, v->exec_faults);
		ks_row_put(r, C_MINOR, v->minor);
		ks_row_put(r, C_MAJOR, v->major);
		ks_row_put(r, C_DIRECT, v->direct_reclaims);
		ks_row_put(r, C_DIRECT_NS, v->direct_reclaim_ns);
		ks_row_put(r, C_MEMCG, v->memcg_reclaims);
		ks_row_put(r, C_MEMCG_NS, v->memcg_reclaim_ns);
		ks_row_put(r, C_OOM, v->oom_kills);
		ks_row_put(r, C_EXECS, v->execs);
		if (st->by != MEM_BY_CGROUP) {
			struct mem_ext *x = ks_row_ext(r);

			/* an exec since: a new image, which began while traced; its peak anew */
			if (v->execs != x->execs) {
				*x = (struct mem_ext){ .execs = v->execs, .known = true,
						       .all_traced = true };
			}
		}
		ks_row_put_hist(r, C_HIST, v->reclaim_log2);
		if (st->by != MEM_BY_CGROUP) {
			char comm[KS_COMM_LEN] = "";

			/* the name the kernel saw (its last, at exit); /proc names a live one */
			if (!bpf_map_lookup_elem(cfd, &key, comm))
				ks_row_put_str(r, C_COMM, comm, sizeof(comm));
		}
		if (st->by == MEM_BY_CGROUP) {
			live = memcg_mem(key, &m);
		} else {
			live = proc_mem(key, &m);
			if (live && !((struct mem_ext *)ks_row_ext(r))->known)
				m.start_ns = proc_start_ns(key);
		}
		if (live)
			put_mem(st, r, &m);
		if (key_gone(st, key) && ks_vec_push(&dead, &key))
			ks_row_gone(r);
	}
	for (size_t i = 0; i < dead.n; i++)
		bpf_map_delete_elem(cfd, ks_vec_at(&dead, i));
	ks_map_delete_keys(fd, &dead);
}

static void collect(struct mem_state *st)
{
	collect_stats(st);
	if (st->by == MEM_BY_PROCESS)
		collect_exited(st);
}

/* ---- histograms (--hist): a sink of the grouped rows --------------------------- */

static void hist_row(struct ks_sink *s, const struct ks_table *t, const struct ks_row *r)
{
	struct mem_state *st = ks_table_ctx(t);
	const uint32_t *slots = ks_row_hist(r, C_HIST, false);
	struct ks_out *o = s->o;
	uint64_t count = 0;
	const char *str;
	size_t len;

	for (int i = 0; i < KS_LOG2_SLOTS; i++)
		count += slots[i];
	if (!count)
		return;		/* a process without stalls: no histogram */
	if (o->json) {
		ks_log2_json_begin(o, "memory_reclaim", "us", s->ts_ns, s->interval_ns);
		if (st->by == MEM_BY_PROCESS)
			ks_json_kv_u64(o, "pid", ks_row_get(r, C_PID));
		else if (st->by == MEM_BY_THREAD)
			ks_json_kv_u64(o, "tid", ks_row_get(r, C_TID));
		else if (st->by == MEM_BY_CGROUP)
			ks_json_kv_u64(o, "cgroup_id", ks_row_get(r, C_CGROUP_ID));
		ks_json_kv_u64(o, "count", count);
		ks_log2_json_buckets(o, slots);
		ks_json_end(o);
		return;
	}
	if (st->by == MEM_BY_CGROUP) {
		str = ks_row_str(r, C_CGROUP, &len);
		ks_out_cstr(o, "\ncgroup = ");
		if (len)
			ks_out_text(o, str, len);
		else
			ks_out_printf(o, "%" PRIu64, ks_row_get(r, C_CGROUP_ID));
	} else {
		str = ks_row_str(r, C_COMM, &len);
		ks_out_printf(o, "\n%s = %" PRIu64 ", comm = ", st->by == MEM_BY_THREAD ? "tid" : "pid",
			      ks_row_get(r, st->by == MEM_BY_THREAD ? C_TID : C_PID));
		ks_out_text(o, str, len);
	}
	ks_out_printf(o, " (%" PRIu64 " reclaim stalls)\n", count);
	ks_log2_print(o, slots, "usecs");
}

static const struct ks_sink_ops hist_sink = { .row = hist_row };

/* ---- the tracer --------------------------------------------------------- */

static const struct ks_probe memory_probes[] = {
	/*
	 * x86's tracepoint, else a kprobe on handle_mm_fault (arm64). No fentry:
	 * the matrix has no kernel where it would be chosen (x86 has the
	 * tracepoint; arm64 6.1 no fentry), and an alternative no test takes
	 * is not offered.
	 */
	{ "fault", { KS_PROG(memory_bpf, mem_fault_btf), KS_PROG(memory_bpf, mem_fault_raw),
		     KS_PROG(memory_bpf, mem_fault_tp), KS_PROG(memory_bpf, mem_fault_kprobe) } },
	/* x86's faults the kernel takes on user memory: they end the pending user fault */
	{ "fault-kernel", { KS_PROG(memory_bpf, mem_kfault_btf),
			    KS_PROG(memory_bpf, mem_kfault_raw),
			    KS_PROG(memory_bpf, mem_kfault_tp) },
	  KS_PROBE_OPTIONAL | KS_PROBE_BEST },
	/* taskstats_exit first: the mm is still there (sched_process_exit: since 6.16) */
	{ "exit", { KS_PROG(memory_bpf, mem_exit_fentry), KS_PROG(memory_bpf, mem_exit_kprobe),
		    KS_PROG(memory_bpf, mem_exit_btf), KS_PROG(memory_bpf, mem_exit_raw),
		    KS_PROG(memory_bpf, mem_exit_tp) } },
	/* the stall's end, with its begin: the two attach together */
	{ "direct-reclaim", { KS_PROG(memory_bpf, mem_direct_end_btf),
			      KS_PROG(memory_bpf, mem_direct_end_raw),
			      KS_PROG(memory_bpf, mem_direct_end_tp) }, 0,
	  .with = { KS_WITH(memory_bpf, mem_direct_end_btf, mem_direct_begin_btf),
		    KS_WITH(memory_bpf, mem_direct_end_raw, mem_direct_begin_raw),
		    KS_WITH(memory_bpf, mem_direct_end_tp, mem_direct_begin_tp) } },
	{ "memcg-reclaim", { KS_PROG(memory_bpf, mem_memcg_end_btf),
			     KS_PROG(memory_bpf, mem_memcg_end_raw),
			     KS_PROG(memory_bpf, mem_memcg_end_tp) }, KS_PROBE_BEST,
	  .with = { KS_WITH(memory_bpf, mem_memcg_end_btf, mem_memcg_begin_btf),
		    KS_WITH(memory_bpf, mem_memcg_end_raw, mem_memcg_begin_raw),
		    KS_WITH(memory_bpf, mem_memcg_end_tp, mem_memcg_begin_tp) } },
	{ "oom", { KS_PROG(memory_bpf, mem_oom_btf), KS_PROG(memory_bpf, mem_oom_raw),
		   KS_PROG(memory_bpf, mem_oom_tp) } },
	/* a new memory image: the process's peak starts anew */
	{ "exec", { KS_PROG(memory_bpf, mem_exec_btf), KS_PROG(memory_bpf, mem_exec_raw),
		    KS_PROG(memory_bpf, mem_exec_tp) } },
};

static int memory_configure(void *state, void *skel)
{
	struct mem_state *st = state;
	struct memory_bpf *s = skel;

	s->rodata->by = st->by;
	s->rodata->want_hist = st->view == VIEW_HIST;
	s->rodata->emit_faults = st->view == VIEW_EVENTS;
	s->rodata->range_lo = st->range_lo;
	s->rodata->range_hi = st->range_hi;
	if (st->by == MEM_BY_CGROUP)
		return bpf_map__set_max_entries(s->maps.comms, 1);
	return 0;
}

/* fault-kernel: only where faults are reported one by one */
static bool memory_wanted(void *state, const struct ks_probe *p)
{
	const struct mem_state *st = state;

	(void)p;
	return st->view == VIEW_EVENTS;
}

static int memory_start(void *state, void *skel, struct ks_out *o)
{
	struct mem_state *st = state;
	struct memory_bpf *s = skel;

	st->skel = s;
	/* /proc's start times are CLOCK_BOOTTIME, the kernel's task->start_time monotonic */
	st->start_boottime_ns = ks_now_ns(CLOCK_BOOTTIME);
	st->period_start = ks_now_ns(CLOCK_MONOTONIC);
	s->bss->armed_ns = st->period_start;
	s->bss->counting = 1;
	if (st->view == VIEW_EVENTS) {
		ks_rec_header(o);
		st->header_done = true;
	}
	return 0;
}

static const char *const kind_names[] = { "read", "write", "exec" };
static const char *const outcome_names[] = { "minor", "major", "failed" };

static void rec_hex(struct ks_out *o, const char *key, uint64_t v)
{
	char buf[24];

	ks_rec_u64(o, key, v, KS_TXT_HIDE);
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	ks_rec_str(o, key, buf, strlen(buf), KS_JSON_HIDE);
}

static void fault_event(struct ks_out *o, const struct mem_fault_event *e)
{
	const char *k = e->kind < 3 ? kind_names[e->kind] : "?";
	const char *r = e->outcome < 3 ? outcome_names[e->outcome] : "?";

	ks_rec_begin(o, "fault", &e->hdr);
	rec_hex(o, "address", e->addr);
	rec_hex(o, "ip", e->ip);
	ks_rec_str(o, "kind", k, strlen(k), KS_TXT_BARE);
	ks_rec_str(o, "outcome", r, strlen(r), KS_TXT_BARE);
	ks_rec_end(o);
}

/*
 * A cgroup's path from the names the kernel gave, leaf first (the root's is
 * "", and a name cut at MEM_CG_NAME - 1 bytes is what it is: the path is
 * then looked up, as for a live cgroup); NULL if it has none.
 */
static const char *cg_path_of(const struct mem_cg_path *p, uint64_t id, char *buf, size_t n)
{
	const char *live = ks_cgroup_ctrl_path_now("memory", id);
	size_t len = 0;
	int top = -1;

	if (live)
		return live;
	for (int i = 0; i < MEM_MEMCG_LEVELS && p->name[i][0]; i++)
		top = i;
	if (top < 0)
		return p->name[0][0] || !id ? NULL : "/";
	for (int i = top; i >= 0 && len < n; i--)
		len += snprintf(buf + len, n - len, "/%.*s", MEM_CG_NAME, p->name[i]);
	return buf;
}

static void oom_event(struct mem_state *st, struct ks_out *o, const struct mem_oom_event *e)
{
	uint64_t ps = st->page_size;
	char dir[PATH_MAX];
	const char *path;

	ks_rec_begin(o, "oom", &e->hdr);
	ks_rec_u64(o, "victim_pid", e->victim_pid, 0);
	ks_rec_u64(o, "victim_tid", e->victim_tid, KS_TXT_HIDE);
	if (e->victim_comm[0] || (e->flags & MEM_OOM_VICTIM_TASK)) {
		ks_rec_str(o, "victim_comm", e->victim_comm, sizeof(e->victim_comm), 0);
		ks_rec_u64(o, "victim_uid", e->victim_uid, KS_TXT_HIDE);
		ks_rec_bytes(o, "victim_anon_rss_bytes", e->rss_pages[MEM_RSS_ANON] * ps, 0);
		ks_rec_bytes(o, "victim_file_rss_bytes", e->rss_pages[MEM_RSS_FILE] * ps, 0);
		ks_rec_bytes(o, "victim_shmem_rss_bytes", e->rss_pages[MEM_RSS_SHMEM] * ps,
			     KS_TXT_NONZERO);
		ks_rec_bytes(o, "victim_total_vm_bytes", e->total_vm_pages * ps, KS_TXT_HIDE);
		ks_rec_s64(o, "victim_oom_score_adj", e->oom_score_adj, KS_TXT_NONZERO);
	} else {
		/* a kernel before 6.8 names the victim by pid alone, and it was not current */
		ks_rec_null(o, "victim_comm", KS_TXT_HIDE);
		ks_rec_null(o, "victim_uid", KS_TXT_HIDE);
		ks_rec_null(o, "victim_anon_rss_bytes", KS_TXT_HIDE);
		ks_rec_null(o, "victim_file_rss_bytes", KS_TXT_HIDE);
		ks_rec_null(o, "victim_shmem_rss_bytes", KS_TXT_HIDE);
		ks_rec_null(o, "victim_total_vm_bytes", KS_TXT_HIDE);
		ks_rec_null(o, "victim_oom_score_adj", KS_TXT_HIDE);
	}
	if (e->flags & MEM_OOM_VICTIM_TASK) {
		path = cg_path_of(&e->victim_memcg_path, e->victim_memcg_id, dir, sizeof(dir));
		if (path)
			ks_rec_str(o, "victim_memcg", path, strlen(path), KS_TXT_HIDE);
		else
			ks_rec_null(o, "victim_memcg", KS_TXT_HIDE);
	} else {
		ks_rec_null(o, "victim_memcg", KS_TXT_HIDE);
	}
	if (e->flags & MEM_OOM_MEMCG) {
		path = cg_path_of(&e->memcg_path, e->memcg_id, dir, sizeof(dir));
		ks_rec_str(o, "constraint", "memcg", 5, KS_TXT_HIDE);
		if (path)
			ks_rec_str(o, "memcg", path, strlen(path), 0);
		else
			ks_rec_u64(o, "memcg", e->memcg_id, 0);
		ks_rec_u64(o, "memcg_id", e->memcg_id, KS_TXT_HIDE);
		ks_rec_bytes(o, "limit_bytes", e->limit_pages * ps, 0);
		ks_rec_bytes(o, "usage_bytes", e->usage_pages * ps, 0);
		if (e->flags & MEM_OOM_FAILCNT)
			ks_rec_u64(o, "failcnt", e->failcnt, 0);
		else
			ks_rec_null(o, "failcnt", KS_TXT_HIDE);
	} else {
		ks_rec_str(o, "constraint", "global", 6, 0);
		ks_rec_null(o, "memcg", KS_TXT_HIDE);
		ks_rec_null(o, "memcg_id", KS_TXT_HIDE);
		ks_rec_null(o, "limit_bytes", KS_TXT_HIDE);
		ks_rec_null(o, "usage_bytes", KS_TXT_HIDE);
		ks_rec_null(o, "failcnt", KS_TXT_HIDE);
	}
	ks_rec_u64(o, "reclaims", e->reclaims, KS_TXT_NONZERO);
	ks_rec_ns(o, "reclaim_ns", e->reclaim_ns, KS_TXT_NONZERO);
	ks_rec_end(o);
}

static int memory_event(void *state, struct ks_out *o, const void *data, size_t size)
{
	struct mem_state *st = state;
	const struct ks_hdr *h = data;

	if (size < sizeof(*h))
		return -EINVAL;
	if (h->type == MEM_EV_FAULT && size >= sizeof(struct mem_fault_event)) {
		fault_event(o, data);
		return 0;
	}
	if (h->type == MEM_EV_OOM && size >= sizeof(struct mem_oom_event)) {
		if (!st->header_done) {
			ks_rec_header(o);
			st->header_done = true;
		}
		oom_event(st, o, data);
		ks_out_flush(o);
		return 0;
	}
	return -EINVAL;
}

static void report(struct mem_state *st, struct ks_out *o)
{
	collect(st);
	ks_table_report(st->table, o, st->view == VIEW_HIST ? &hist_sink : NULL, st->interval_mode,
			&st->period_start);
}

static int memory_report(void *state, struct ks_out *o, unsigned flags)
{
	struct mem_state *st = state;

	(void)flags;
	if (st->view != VIEW_EVENTS)
		report(st, o);
	return 0;
}

static void memory_housekeeping(void *state)
{
	struct mem_state *st = state;

	if (st->view != VIEW_EVENTS)
		collect(st);
}

const struct ks_tracer memory_tracer = {
	KS_TRACER(memory, "memory"),
	.configure = memory_configure,
	.wanted = memory_wanted,
	/* nothing to finish: the last report has every row */
	.start = memory_start, .event = memory_event, .report = memory_report,
	.housekeeping = memory_housekeeping,
};

/* ---- command line ------------------------------------------------------- */

enum { OPT_BY = 0x200, OPT_HIST, OPT_EVENTS, OPT_FAULTS };

static const struct ks_cli_opt memory_opts[] = {
	{ "by", OPT_BY, "KIND", "rows per process (default), thread or cgroup (the memory "
	  "cgroup)" },
	{ "hist", OPT_HIST, NULL, "log2 histograms of reclaim stalls in us",
	  KS_CLI_SET(struct mem_state, hist) },
	{ "events", OPT_EVENTS, NULL, "one line per user page fault: address, ip, kind, outcome",
	  KS_CLI_SET(struct mem_state, events) },
	{ "faults", OPT_FAULTS, "LO-HI", "one line per user page fault in [LO, HI) (hex or "
	  "decimal addresses; filtered in the kernel)" },
	{ "sort", 's', "KEY", "order rows by faults (default), major, rss, peak or reclaim (time)" },
	{ "top", 'n', "N", "show the first N rows only" },
	{ 0 }
};

static struct ks_cli memory_cli;

static int memory_parse(void *state, int key, const char *arg)
{
	struct mem_state *st = state;
	static const char *const bys[] = { "process", "thread", "cgroup", NULL };
	int i;

	switch (key) {
	case OPT_BY:
		i = ks_cli_choice(arg, bys);
		if (i < 0) {
			ks_cli_error(&memory_cli, "invalid --by '%s' (process, thread or cgroup)", arg);
			return -1;
		}
		st->by = i;
		return 0;
	case OPT_FAULTS:
		if (ks_parse_addr_range(arg, &st->range_lo, &st->range_hi)) {
			ks_cli_error(&memory_cli, "invalid --faults '%s' (LO-HI, LO < HI, e.g. "
				     "0x200000000000-0x200000400000)", arg);
			return -1;
		}
		st->range_set = true;
		return 0;
	}
	return 1;
}

static const struct ks_cli_conflict memory_conflicts[] = {
	{ OPT_EVENTS, OPT_FAULTS, "--faults is --events for one address range" },
	{ OPT_EVENTS, OPT_HIST, "--events streams faults, --hist summarizes reclaim" },
	{ OPT_FAULTS, OPT_HIST, "--faults streams faults, --hist summarizes reclaim" },
	{ OPT_EVENTS, OPT_BY, "--events streams faults, --by sums them" },
	{ OPT_FAULTS, OPT_BY, "--faults streams faults, --by sums them" },
	{ OPT_EVENTS, 's', "--events streams faults in order, -s sorts a summary" },
	{ OPT_FAULTS, 's', "--faults streams faults in order, -s sorts a summary" },
	{ OPT_EVENTS, 'n', "--events streams every fault, -n cuts a summary" },
	{ OPT_FAULTS, 'n', "--faults streams every fault, -n cuts a summary" },
	{ OPT_EVENTS, KS_CLI_KEY_INTERVAL, "--events streams faults, an interval prints "
	  "summaries" },
	{ OPT_FAULTS, KS_CLI_KEY_INTERVAL, "--faults streams faults, an interval prints "
	  "summaries" },
	{ OPT_HIST, 's', "a histogram has no rows to sort" },
	{ OPT_HIST, 'n', "a histogram has no rows to cut" },
	{ 0 }
};

static int memory_setup(void *state, struct ks_opts *o)
{
	struct mem_state *st = state;
	static const int sort_cols[] = { [SORT_FAULTS] = C_FAULTS, [SORT_MAJOR] = C_MAJOR,
					 [SORT_RSS] = C_RSS, [SORT_PEAK] = C_PEAK,
					 [SORT_RECLAIM] = C_RECLAIM_NS };

	st->opts = o;
	st->view = st->events || st->range_set ? VIEW_EVENTS : st->hist ? VIEW_HIST : VIEW_TABLE;
	st->interval_mode = o->interval_s > 0;
	st->page_size = sysconf(_SC_PAGESIZE);
	if (st->page_size <= 0)
		st->page_size = 4096;
	st->ncpus = ks_possible_cpus();
	st->vals = calloc(st->ncpus, STAT_STRIDE);
	st->table = ks_table_new(&mem_table);
	if (!st->vals || !st->table)
		return KS_EXIT_FAIL;
	ks_table_set_ctx(st->table, st);
	ks_table_hide(st->table, C_PID, st->by != MEM_BY_PROCESS);
	ks_table_hide(st->table, C_TID, st->by != MEM_BY_THREAD);
	ks_table_hide(st->table, C_COMM, st->by == MEM_BY_CGROUP);
	ks_table_hide(st->table, C_CGROUP_ID, st->by != MEM_BY_CGROUP);
	ks_table_hide(st->table, C_CGROUP, st->by != MEM_BY_CGROUP);
	/* -C otherwise names the container of the OOM kill records only */
	ks_table_show_container(st->table, C_CONTAINER, o->container && st->by == MEM_BY_CGROUP &&
				st->view == VIEW_TABLE);
	ks_table_sort(st->table, sort_cols[st->sort]);
	ks_table_top(st->table, st->top);
	if (st->view == VIEW_HIST) {
		st->group = (struct ks_table_group){ .type = "memory_group", .leader = -1 };
		st->group.by = st->by == MEM_BY_CGROUP ? by_cgroup :
			       st->by == MEM_BY_THREAD ? by_tid : by_pid;
		ks_table_group(st->table, &st->group);
	}
	return 0;
}

static int memory_teardown(void *state, int rc)
{
	struct mem_state *st = state;

	ks_table_free(st->table);
	free(st->vals);
	return rc;
}

static struct ks_cli memory_cli = {
	.cmd = "memory",
	.summary = "Memory: page faults, RSS and its peak, reclaim stalls, and OOM kills with the "
		   "memory cgroup whose limit was hit.",
	.details =
	"FAULTS are page faults taken in user mode (WRITE: on a write); MINFLT and MAJFLT the\n"
	"kernel's own accounting (getrusage's), which also counts faults the kernel takes on\n"
	"the task's memory. RSS, ANON, FILE, SHMEM: resident memory now (a cgroup: its usage\n"
	"and memory.stat); PEAK: the largest while traced. RECLAIM: time stalled in direct\n"
	"and memory cgroup reclaim. OOM kills are always streamed: the victim, the task that\n"
	"triggered it, and the memory cgroup whose limit was hit, with its limit, usage and\n"
	"failcnt then. --by cgroup: a row per memory cgroup, with -C naming its container.",
	.examples =
	"  kscope memory                          # per process, at Ctrl-C\n"
	"  kscope memory -s peak -n 10 5          # the 10 largest, every 5 seconds\n"
	"  kscope memory --by cgroup              # per memory cgroup (v1 or v2)\n"
	"  kscope memory --hist                   # reclaim stall latency\n"
	"  kscope memory -p 1234 --faults 0x7f0000000000-0x7f0000100000\n"
	"  kscope memory --events -- ./a.out      # every fault of a program\n",
	KS_CLI_OF(memory),
	/* -s KEY: in enum sort_key's order */
	KS_CLI_SORT(struct mem_state, sort, top, "faults", "major", "rss", "peak", "reclaim"),
	.flags = KS_CLI_TRACE | KS_CLI_INTERVAL | KS_CLI_PROGRAM,
};

KS_COMMAND(memory, struct mem_state, { .sort = SORT_FAULTS })

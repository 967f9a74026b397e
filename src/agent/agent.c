// SPDX-License-Identifier: GPL-2.0
/*
 * kscope agent: the in-kernel aggregations of kscope's commands as
 * Prometheus metrics, for fleets, with node_exporter's conventions.
 *
 * It measures nothing of its own. Each collector is one or two commands
 * run as parts of this process's session (ks_part), each with its rows
 * keyed the cheap way (per syscall, per cgroup, per device, per command
 * name): their tables are reported every --collect.interval into this
 * command's sink (agent_row), which adds each row's period amounts to the
 * metric store (prom.h). After every collection (the session's reported
 * hook) the store is rendered and published to the HTTP thread (http.h),
 * so a scrape only copies bytes: it never walks a kernel map, and it takes
 * the same time however many entries the maps hold.
 *
 * Counters are the store's sums of period amounts: they never go back,
 * whatever happens to a process, a cgroup or a map entry behind them. No
 * label is a pid. A family holds at most --metrics.max-series series, the
 * smallest beyond that folded into one whose labels are all "other"; series
 * keyed by a cgroup or a command name fold there too once they have not
 * moved for --metrics.expire.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../kscope.h"
#include "../engine/cli.h"
#include "../engine/errnos.h"
#include "../engine/hist.h"
#include "../engine/names.h"
#include "../engine/table.h"
#include "../engine/trace.h"
#include "../engine/util.h"
#include "http.h"
#include "prom.h"
#include "webcfg.h"

#ifndef KSCOPE_REVISION
#define KSCOPE_REVISION "unknown"
#endif

/* ---- metric families ----------------------------------------------------------- */

#define SEC 1e-9                  /* ns shown in seconds */
/*
 * Histogram buckets printed (log2 slots, prom.h): syscalls 2 us (slot 0 of
 * us) to 1.05 s (slot 19); run-queue waits 1 us (slot 9 of ns) to 1.07 s;
 * block I/O 1 us to 8.6 s. Slower samples are in +Inf, faster ones in the
 * first bucket: _sum and _count hold them all.
 */
#define CG { "cgroup", "container" }

enum {
	F_SYSCALLS, F_SYSERR, F_SYSLAT,
	F_RUNQ, F_CGCPU, F_CGRUNQ,
	F_EXECS, F_FORKS, F_EXITS,
	F_FREAD, F_FWRITE,
	F_TCPTX, F_TCPRX, F_TCPCONN, F_RETRANS, F_RSTSENT, F_RSTRECV, F_DROPS,
	F_BIOLAT, F_BIOREQ, F_BIOBYTES, F_BIOERR,
	F_FAULTS, F_MAJFAULTS, F_OOM, F_MEMBYTES,
	F_CAPDENY,
	/* self */
	F_BUILD, F_COLDUR, F_COLOK, F_LOST, F_PROBE, F_BPFTIME, F_BPFRUNS,
	F_SERIES, F_DROPPED, F_HTTP, F_RSS, F_CPU, F_FDS, F_START,
	NFAM
};

static const struct ks_prom_desc fam_desc[NFAM] = {
	[F_SYSCALLS] = { "kscope_syscalls_total", "System calls that returned, by syscall.",
			 KS_PROM_COUNTER, { "syscall" } },
	[F_SYSERR] = { "kscope_syscall_errors_total",
		       "System calls that returned an error, by syscall and errno.",
		       KS_PROM_COUNTER, { "syscall", "errno" } },
	[F_SYSLAT] = { "kscope_syscall_duration_seconds",
		       "Time from a system call's entry to its exit, by syscall.",
		       KS_PROM_HISTOGRAM, { "syscall" }, SEC, 1000, 0, 19 },
	[F_RUNQ] = { "kscope_runqueue_latency_seconds",
		     "Time a task waited on a run queue, from runnable to running.",
		     KS_PROM_HISTOGRAM, { NULL }, SEC, 1, 9, 29 },
	[F_CGCPU] = { "kscope_cgroup_cpu_seconds_total",
		      "CPU time of the tasks of a cgroup (the one each thread last ran in).",
		      KS_PROM_COUNTER, CG, SEC, .flags = KS_PROM_EXPIRES },
	[F_CGRUNQ] = { "kscope_cgroup_runqueue_wait_seconds_total",
		       "Time the tasks of a cgroup waited on a run queue.",
		       KS_PROM_COUNTER, CG, SEC, .flags = KS_PROM_EXPIRES },
	[F_EXECS] = { "kscope_process_execs_total", "Successful execs, by the new command name.",
		      KS_PROM_COUNTER, { "comm" }, .flags = KS_PROM_EXPIRES },
	[F_FORKS] = { "kscope_process_forks_total",
		      "Processes forked (not threads), by the parent's command name.",
		      KS_PROM_COUNTER, { "comm" }, .flags = KS_PROM_EXPIRES },
	[F_EXITS] = { "kscope_process_exits_total",
		      "Processes that exited, by command name and class: ok (code 0), error "
		      "(another code), signal (killed).",
		      KS_PROM_COUNTER, { "comm", "class" }, .flags = KS_PROM_EXPIRES },
	[F_FREAD] = { "kscope_file_read_bytes_total",
		      "Bytes that read calls on files returned, by cgroup.",
		      KS_PROM_COUNTER, CG, .flags = KS_PROM_EXPIRES },
	[F_FWRITE] = { "kscope_file_written_bytes_total",
		       "Bytes that write calls on files returned, by cgroup.",
		       KS_PROM_COUNTER, CG, .flags = KS_PROM_EXPIRES },
	[F_TCPTX] = { "kscope_tcp_sent_bytes_total",
		      "TCP payload bytes sent, by the socket's cgroup.",
		      KS_PROM_COUNTER, CG, .flags = KS_PROM_EXPIRES },
	[F_TCPRX] = { "kscope_tcp_received_bytes_total",
		      "TCP payload bytes received, by the socket's cgroup.",
		      KS_PROM_COUNTER, CG, .flags = KS_PROM_EXPIRES },
	[F_TCPCONN] = { "kscope_tcp_connections_total",
			"TCP connections opened (active and passive), by the socket's cgroup.",
			KS_PROM_COUNTER, CG, .flags = KS_PROM_EXPIRES },
	[F_RETRANS] = { "kscope_tcp_retransmits_total",
			"TCP segments retransmitted, by the socket's cgroup.",
			KS_PROM_COUNTER, CG, .flags = KS_PROM_EXPIRES },
	[F_RSTSENT] = { "kscope_tcp_resets_sent_total", "TCP resets sent, by the socket's cgroup.",
			KS_PROM_COUNTER, CG, .flags = KS_PROM_EXPIRES },
	[F_RSTRECV] = { "kscope_tcp_resets_received_total",
			"TCP resets received, by the socket's cgroup.",
			KS_PROM_COUNTER, CG, .flags = KS_PROM_EXPIRES },
	[F_DROPS] = { "kscope_packet_drops_total",
		      "Packets the kernel dropped, by its drop reason and protocol.",
		      KS_PROM_COUNTER, { "reason", "protocol" } },
	[F_BIOLAT] = { "kscope_block_io_latency_seconds",
		       "Block I/O latency by device and op; stage queue: in the I/O scheduler, "
		       "device: issued to the device until it completed.",
		       KS_PROM_HISTOGRAM, { "device", "op", "stage" }, SEC, 1, 9, 32 },
	[F_BIOREQ] = { "kscope_block_io_requests_total", "Block requests completed.",
		       KS_PROM_COUNTER, { "device", "op" } },
	[F_BIOBYTES] = { "kscope_block_io_bytes_total", "Bytes of the block requests completed.",
			 KS_PROM_COUNTER, { "device", "op" } },
	[F_BIOERR] = { "kscope_block_io_errors_total", "Block requests that failed.",
		       KS_PROM_COUNTER, { "device", "op" } },
	[F_FAULTS] = { "kscope_page_faults_total",
		       "Page faults taken in user mode, by memory cgroup.",
		       KS_PROM_COUNTER, CG, .flags = KS_PROM_EXPIRES },
	[F_MAJFAULTS] = { "kscope_major_page_faults_total",
			  "Major page faults (the kernel's accounting), by memory cgroup.",
			  KS_PROM_COUNTER, CG, .flags = KS_PROM_EXPIRES },
	[F_OOM] = { "kscope_oom_kills_total",
		    "Processes the OOM killer killed, by the memory cgroup whose limit was hit.",
		    KS_PROM_COUNTER, CG, .flags = KS_PROM_EXPIRES },
	[F_MEMBYTES] = { "kscope_cgroup_memory_bytes",
			 "Memory a memory cgroup uses, at the last collection.",
			 KS_PROM_GAUGE, CG, .flags = KS_PROM_EXPIRES },
	[F_CAPDENY] = { "kscope_capability_denials_total",
			"Capability checks refused, by capability.",
			KS_PROM_COUNTER, { "capability" } },
	[F_BUILD] = { "kscope_build_info", "kscope's version, git revision and libbpf version.",
		      KS_PROM_GAUGE, { "version", "revision", "libbpf" }, .flags = KS_PROM_NO_OTHER },
	[F_COLDUR] = { "kscope_scrape_collector_duration_seconds",
		       "How long a collector's last collection took (read in the background "
		       "every --collect.interval, not at scrape time).",
		       KS_PROM_GAUGE, { "collector" }, SEC, .flags = KS_PROM_NO_OTHER },
	[F_COLOK] = { "kscope_scrape_collector_success",
		      "Whether a collector's last collection succeeded.",
		      KS_PROM_GAUGE, { "collector" }, .flags = KS_PROM_NO_OTHER },
	[F_LOST] = { "kscope_events_lost_total",
		     "What the kernel side could not count or send, by collector and reason "
		     "(ringbuf: events lost; map_full: updates not counted; pid_map: children "
		     "not followed; missed: probe runs the kernel skipped).",
		     KS_PROM_COUNTER, { "collector", "reason" }, .flags = KS_PROM_NO_OTHER },
	[F_PROBE] = { "kscope_probe_info", "The hook each probe of each collector is attached with.",
		      KS_PROM_GAUGE, { "collector", "probe", "hook", "target" },
		      .flags = KS_PROM_NO_OTHER },
	[F_BPFTIME] = { "kscope_bpf_program_run_seconds_total",
			"Time the kernel spent in each BPF program (kernel.bpf_stats_enabled=1 "
			"only).", KS_PROM_COUNTER, { "collector", "program" }, SEC,
			.flags = KS_PROM_NO_OTHER },
	[F_BPFRUNS] = { "kscope_bpf_program_runs_total",
			"Runs of each BPF program (kernel.bpf_stats_enabled=1 only).",
			KS_PROM_COUNTER, { "collector", "program" }, .flags = KS_PROM_NO_OTHER },
	[F_SERIES] = { "kscope_agent_series", "Series a metric family exports now.",
		       KS_PROM_GAUGE, { "family" }, .flags = KS_PROM_NO_OTHER },
	[F_DROPPED] = { "kscope_agent_series_dropped_total",
			"Series folded into \"other\" by the series budget or expiry.",
			KS_PROM_COUNTER, { "family" }, .flags = KS_PROM_NO_OTHER },
	[F_HTTP] = { "kscope_http_requests_total",
		     "HTTP requests, by status class; timeout: incomplete after 10 s; aborted: "
		     "the client left before its response was written.",
		     KS_PROM_COUNTER, { "code" }, .flags = KS_PROM_NO_OTHER },
	[F_RSS] = { "process_resident_memory_bytes", "Resident memory of the agent.",
		    KS_PROM_GAUGE, { NULL } },
	[F_CPU] = { "process_cpu_seconds_total", "CPU time of the agent (user and system).",
		    KS_PROM_COUNTER, { NULL }, 0.01 },
	[F_FDS] = { "process_open_fds", "File descriptors the agent holds.",
		    KS_PROM_GAUGE, { NULL } },
	[F_START] = { "process_start_time_seconds", "When the agent started (Unix time).",
		      KS_PROM_GAUGE, { NULL } },
};

/* ---- collectors ------------------------------------------------------------------ */

struct agent;

typedef void row_fn(struct agent *a, const struct ks_table *t, const struct ks_row *r);

struct part_spec {
	struct ks_part_spec spec;  /* the part, its own options, its ring buffer */
	const char *table;        /* the NDJSON type of the rows it takes */
	row_fn *row;
};

struct collector {
	const char *name;
	const char *help;
	struct part_spec parts[2];
};

static void one_label(struct ks_prom_labels *l, int i, const char *v);
static row_fn syscall_row, sched_row, proc_row, fileio_row, net_row, drop_row, disk_row,
	memory_row, security_row;

static const char *const sys_argv[] = { "syscall", "--hist", NULL };
static const char *const sched_argv[] = { "sched", "--by", "cgroup", "-C", NULL };
static const char *const proc_argv[] = { "proc", "--summary", NULL };
static const char *const file_argv[] = { "fileio", "--by", "cgroup", "-C", NULL };
static const char *const net_argv[] = { "net", "--by", "cgroup", "-C", NULL };
static const char *const drop_argv[] = { "net", "--drops", NULL };
static const char *const disk_argv[] = { "diskio", NULL };
static const char *const mem_argv[] = { "memory", "--by", "cgroup", "-C", NULL };
static const char *const sec_argv[] = {
	"security", "--summary", "--by", "cgroup", "--kind", "cap", "--denied", NULL
};

/*
 * A part's ring buffer: rows come from maps, records are rare (an OOM kill);
 * but net's ended connections come as records: it gets more
 */
#define RB 256
#define NET_RB 1024

static const struct collector collectors[] = {
	{ "syscall", "calls and errors by syscall and errno, latency histograms",
	  { { { part_syscall, sys_argv, RB }, "syscall_stat", syscall_row } } },
	{ "sched", "run-queue latency histogram, CPU and run-queue time per cgroup",
	  { { { part_sched, sched_argv, RB }, "sched_cgroup", sched_row } } },
	{ "proc", "execs, forks and exits (by class) per command name",
	  { { { part_proc, proc_argv, RB }, "proc_stat", proc_row } } },
	{ "fileio", "file bytes read and written per cgroup",
	  { { { part_fileio, file_argv, RB }, "fileio_cgroup_stat", fileio_row } } },
	{ "net", "TCP bytes, connections, retransmits, resets per cgroup; drops by reason",
	  { { { part_net, net_argv, NET_RB }, "net_cgroup_stat", net_row },
	    { { part_net, drop_argv, NET_RB }, "net_drop_stat", drop_row } } },
	{ "diskio", "block I/O queue and device latency, requests, bytes, errors",
	  { { { part_diskio, disk_argv, RB }, "diskio_stat", disk_row } } },
	{ "memory", "page faults, OOM kills and memory per memory cgroup",
	  { { { part_memory, mem_argv, RB }, "memory_stat", memory_row } } },
	{ "security", "capability denials by capability",
	  { { { part_security, sec_argv, RB }, "security_stat", security_row } } },
};

#define NCOLL ARRAY_SIZE(collectors)
/* ---- the command's state ------------------------------------------------------- */

enum {
	OPT_LISTEN = 0x200, OPT_WEB_CONFIG, OPT_PATH, OPT_INTERVAL, OPT_CHECK, OPT_CAPS,
	OPT_MAX_SERIES, OPT_EXPIRE, OPT_DISABLE_DEFAULTS, OPT_MAX_CONNS,
	OPT_COLLECTOR = 0x300,     /* + index: --collector.NAME */
	OPT_NO_COLLECTOR = 0x380,  /* + index: --no-collector.NAME */
};

struct running {
	int coll;                 /* index into collectors */
	int spec;                 /* its part */
	struct ks_part part;
};

struct agent {
	/* options */
	const char *listen, *path;
	const char *web_config;   /* --web.config.file */
	double interval_s;
	bool check;
	bool caps_given;
	uint64_t caps_keep;       /* capability bits kept after attaching */
	size_t max_series;
	double expire_s;
	unsigned max_conns;
	unsigned on, off;         /* collectors asked for / refused, by bit */
	bool no_defaults;
	/* state */
	struct ks_opts *opts;
	int listen_fd;
	int port;
	int devnull;
	struct ks_http_server *http;
	struct ks_web *web;
	struct ks_prom *prom;
	struct ks_prom_family *fam[NFAM];
	struct running run[2 * NCOLL];
	int nrun;
	double start_time;
	uint64_t now;             /* of this collection */
};

static struct ks_cli agent_cli;

/* ---- rows into metrics --------------------------------------------------------- */

static int col(const struct ks_table *t, const char *name)
{
	return ks_table_col(t, name);
}

static uint64_t get(const struct ks_table *t, const struct ks_row *r, const char *name)
{
	int c = col(t, name);

	return c >= 0 && !ks_row_absent(r, c) ? ks_row_get(r, c) : 0;
}

/* A string cell as a label value (its length in l->len[i]) */
static void label(struct ks_prom_labels *l, int i, const struct ks_table *t,
		  const struct ks_row *r, const char *name)
{
	int c = col(t, name);
	size_t len = 0;

	l->v[i] = c >= 0 && ks_table_shows(t, c) ? ks_row_str(r, c, &len) : "";
	l->len[i] = c >= 0 && ks_table_shows(t, c) ? (int)len : 0;
}

static void add(struct agent *a, int f, const struct ks_prom_labels *l, uint64_t v)
{
	ks_prom_add(a->fam[f], l, v, a->now);
}

/* cgroup and container of a row keyed by cgroup */
static void cg_labels(struct ks_prom_labels *l, const struct ks_table *t, const struct ks_row *r)
{
	label(l, 0, t, r, "cgroup");
	label(l, 1, t, r, "container");
}

/* A log-linear histogram (KS_LL_SLOTS) as log2 slots of ns: exact (slots nest) */
static void ll_to_log2(const uint32_t *ll, uint64_t *log2)
{
	memset(log2, 0, KS_PROM_HIST_MAX * sizeof(*log2));
	for (unsigned i = 0; i < KS_LL_SLOTS; i++) {
		uint64_t lo, hi;

		if (!ll[i])
			continue;
		ks_ll_bounds(i, &lo, &hi);
		log2[ks_log2_u64(lo)] += ll[i];
	}
}

static void syscall_row(struct agent *a, const struct ks_table *t, const struct ks_row *r)
{
	struct ks_prom_labels l = { 0 };
	const struct ks_errnos *en = ks_row_ext(r);
	int hc = col(t, "latency");
	uint64_t slots[KS_LOG2_SLOTS];
	char eb[16];

	label(&l, 0, t, r, "syscall");
	add(a, F_SYSCALLS, &l, get(t, r, "count"));
	for (size_t i = 0; en && i < en->n; i++) {
		const char *name = ks_errno_name(en->v[i].err);

		if (!en->v[i].acc)
			continue;
		if (!name) {
			snprintf(eb, sizeof(eb), "E%u", en->v[i].err);
			name = eb;
		}
		l.v[1] = name;
		l.len[1] = -1;
		add(a, F_SYSERR, &l, en->v[i].acc);
	}
	if (hc >= 0) {
		const uint32_t *h = ks_row_hist(r, hc, false);

		for (int i = 0; i < KS_LOG2_SLOTS; i++)
			slots[i] = h[i];
		ks_prom_observe(a->fam[F_SYSLAT], &l, slots, KS_LOG2_SLOTS,
				get(t, r, "total_ns"), a->now);
	}
}

static void sched_row(struct agent *a, const struct ks_table *t, const struct ks_row *r)
{
	struct ks_prom_labels l = { 0 };
	uint64_t slots[KS_PROM_HIST_MAX];
	int hc = col(t, "runq_hist");

	cg_labels(&l, t, r);
	add(a, F_CGCPU, &l, get(t, r, "cpu_ns"));
	add(a, F_CGRUNQ, &l, get(t, r, "runq_total_ns"));
	if (hc >= 0) {
		ll_to_log2(ks_row_hist(r, hc, false), slots);
		ks_prom_observe(a->fam[F_RUNQ], NULL, slots, KS_PROM_HIST_MAX,
				get(t, r, "runq_total_ns"), a->now);
	}
}

static void proc_row(struct agent *a, const struct ks_table *t, const struct ks_row *r)
{
	struct ks_prom_labels l = { 0 };
	static const char *const classes[][2] = {
		{ "exit_ok", "ok" }, { "exit_error", "error" }, { "killed", "signal" },
	};

	label(&l, 0, t, r, "comm");
	/* the names past proc's map: its "(other)" row is this store's "other" */
	if (l.len[0] == 7 && !memcmp(l.v[0], "(other)", 7))
		one_label(&l, 0, "other");
	add(a, F_EXECS, &l, get(t, r, "execs"));
	add(a, F_FORKS, &l, get(t, r, "forks"));
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
		uint64_t v = get(t, r, classes[i][0]);

		if (!v)
			continue;
		l.v[1] = classes[i][1];
		l.len[1] = -1;
		add(a, F_EXITS, &l, v);
	}
}

static void fileio_row(struct agent *a, const struct ks_table *t, const struct ks_row *r)
{
	struct ks_prom_labels l = { 0 };

	cg_labels(&l, t, r);
	add(a, F_FREAD, &l, get(t, r, "read_bytes"));
	add(a, F_FWRITE, &l, get(t, r, "write_bytes"));
}

static void net_row(struct agent *a, const struct ks_table *t, const struct ks_row *r)
{
	struct ks_prom_labels l = { 0 };

	cg_labels(&l, t, r);
	add(a, F_TCPTX, &l, get(t, r, "tx_bytes"));
	add(a, F_TCPRX, &l, get(t, r, "rx_bytes"));
	add(a, F_TCPCONN, &l, get(t, r, "conns_opened"));
	add(a, F_RETRANS, &l, get(t, r, "retrans_segs"));
	add(a, F_RSTSENT, &l, get(t, r, "resets_sent"));
	add(a, F_RSTRECV, &l, get(t, r, "resets_received"));
}

static void drop_row(struct agent *a, const struct ks_table *t, const struct ks_row *r)
{
	struct ks_prom_labels l = { 0 };

	label(&l, 0, t, r, "reason");
	label(&l, 1, t, r, "protocol");
	add(a, F_DROPS, &l, get(t, r, "count"));
}

static void disk_row(struct agent *a, const struct ks_table *t, const struct ks_row *r)
{
	static const char *const stages[][3] = {
		{ "queue", "queue_hist", "queue_total_ns" },
		{ "device", "device_hist", "device_total_ns" },
	};
	struct ks_prom_labels l = { 0 };
	uint64_t slots[KS_PROM_HIST_MAX];

	label(&l, 0, t, r, "device");
	label(&l, 1, t, r, "op");
	add(a, F_BIOREQ, &l, get(t, r, "requests"));
	add(a, F_BIOBYTES, &l, get(t, r, "bytes"));
	add(a, F_BIOERR, &l, get(t, r, "errors"));
	for (size_t i = 0; i < ARRAY_SIZE(stages); i++) {
		int hc = col(t, stages[i][1]);

		if (hc < 0)
			continue;
		l.v[2] = stages[i][0];
		l.len[2] = -1;
		ll_to_log2(ks_row_hist(r, hc, false), slots);
		ks_prom_observe(a->fam[F_BIOLAT], &l, slots, KS_PROM_HIST_MAX,
				get(t, r, stages[i][2]), a->now);
	}
}

static void memory_row(struct agent *a, const struct ks_table *t, const struct ks_row *r)
{
	struct ks_prom_labels l = { 0 };
	int rss = col(t, "rss_bytes");

	cg_labels(&l, t, r);
	add(a, F_FAULTS, &l, get(t, r, "faults"));
	add(a, F_MAJFAULTS, &l, get(t, r, "major_faults"));
	add(a, F_OOM, &l, get(t, r, "oom_kills"));
	if (rss >= 0 && !ks_row_absent(r, rss))
		ks_prom_set(a->fam[F_MEMBYTES], &l, ks_row_get(r, rss), a->now);
}

static void security_row(struct agent *a, const struct ks_table *t, const struct ks_row *r)
{
	struct ks_prom_labels l = { 0 };
	size_t len;
	int kind = col(t, "kind");

	if (kind < 0 || strcmp(ks_row_str(r, kind, &len), "cap"))
		return;
	label(&l, 0, t, r, "name");
	add(a, F_CAPDENY, &l, get(t, r, "denied"));
}

/* The sink of every part: a row into the metrics of the collector whose table it is */
static void agent_row(struct ks_sink *s, const struct ks_table *t, const struct ks_row *r)
{
	struct agent *a = s->priv;
	const char *type = ks_table_desc(t)->type;

	for (size_t i = 0; i < NCOLL; i++)
		for (size_t j = 0; j < ARRAY_SIZE(collectors[i].parts); j++)
			if (collectors[i].parts[j].table &&
			    !strcmp(collectors[i].parts[j].table, type)) {
				collectors[i].parts[j].row(a, t, r);
				return;
			}
}

static const struct ks_sink_ops agent_sink = { .row = agent_row };

/* ---- self-metrics ---------------------------------------------------------------- */

static bool bpf_stats_enabled(void)
{
	char c = '0';
	int fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '0';
		close(fd);
	}
	return c == '1';
}

static void one_label(struct ks_prom_labels *l, int i, const char *v)
{
	l->v[i] = v;
	l->len[i] = -1;
}

/* A counter's new total, when the source keeps totals: add what it grew by */
static void add_total(struct agent *a, int f, const struct ks_prom_labels *l, uint64_t total,
		      uint64_t *seen)
{
	add(a, f, l, total > *seen ? total - *seen : 0);	/* 0: the series exists from the start */
	if (total > *seen)
		*seen = total;
}

struct prog_seen {
	uint64_t ns, cnt;
};

static void self_process(struct agent *a)
{
	char buf[1024], *p;
	unsigned long utime, stime;
	long rss;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	static uint64_t cpu_seen;
	int fds = 0;

	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[n] = 0;
		p = strrchr(buf, ')');
		/* after ") S": fields 3.. ; utime is 14, stime 15, rss 24 */
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu "
				"%*d %*d %*d %*d %*d %*d %*u %*u %ld", &utime, &stime, &rss) == 3) {
			add_total(a, F_CPU, NULL, utime + stime, &cpu_seen);
			ks_prom_set(a->fam[F_RSS], NULL, rss * sysconf(_SC_PAGESIZE), a->now);
		}
	}
	fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		char d[4096];
		long got;

		while ((got = syscall(SYS_getdents64, fd, d, sizeof(d))) > 0)
			for (long off = 0; off < got;) {
				unsigned short reclen = *(unsigned short *)(d + off + 16);

				if (d[off + 19] != '.')
					fds++;
				off += reclen;
			}
		close(fd);
		ks_prom_set(a->fam[F_FDS], NULL, fds - 1, a->now);	/* not this one */
	}
}

static void self_metrics(struct agent *a, struct ks_trace *const *c, int n)
{
	static uint64_t lost_seen[2 * NCOLL][KS_LOST_MAX], http_seen[KS_HTTP_NCLASS];
	static struct prog_seen prog_seen[2 * NCOLL][64];
	bool stats = bpf_stats_enabled();
	struct ks_prom_labels l = { 0 };
	struct ks_http_stats hs;

	for (int i = 0; i < n && i < a->nrun; i++) {
		const char *coll = collectors[a->run[i].coll].name;
		struct ks_trace_stats ts;
		const struct ks_probe_plan *plans;
		struct bpf_program *prog;
		int np, k = 0;

		ks_trace_stats(c[i], &ts);
		one_label(&l, 0, coll);
		/* a collector of two parts: the longer one, and both must succeed */
		if (a->run[i].spec == 0) {
			ks_prom_set_f(a->fam[F_COLDUR], &l, ts.report_ns / 1e9, a->now);
			ks_prom_set(a->fam[F_COLOK], &l, ts.report_rc == 0, a->now);
		} else if (ts.report_rc) {
			ks_prom_set(a->fam[F_COLOK], &l, 0, a->now);
		}
		for (int r = 0; r < KS_LOST_MAX; r++) {
			one_label(&l, 1, ks_lost_reason(r));
			add_total(a, F_LOST, &l, ts.lost[r], &lost_seen[i][r]);
		}
		plans = ks_trace_plans(c[i], &np);
		for (int p = 0; p < np; p++) {
			const struct ks_alt *alt;

			if (!plans[p].wanted || plans[p].chosen < 0)
				continue;
			alt = &plans[p].alts[plans[p].chosen];
			one_label(&l, 1, plans[p].name);
			one_label(&l, 2, ks_hook_kind_name(alt->hook.kind));
			one_label(&l, 3, alt->hook.target);
			ks_prom_set(a->fam[F_PROBE], &l, 1, a->now);
		}
		if (!stats)
			continue;
		bpf_object__for_each_program(prog, ks_trace_object(c[i])) {
			struct bpf_prog_info info = { 0 };
			__u32 len = sizeof(info);
			int fd = bpf_program__fd(prog);

			if (fd < 0 || k >= 64 || bpf_obj_get_info_by_fd(fd, &info, &len))
				continue;
			one_label(&l, 1, bpf_program__name(prog));
			add_total(a, F_BPFTIME, &l, info.run_time_ns, &prog_seen[i][k].ns);
			add_total(a, F_BPFRUNS, &l, info.run_cnt, &prog_seen[i][k].cnt);
			k++;
		}
	}
	if (a->http) {
		static const char *const codes[KS_HTTP_NCLASS] = {
			[KS_HTTP_2XX] = "2xx", [KS_HTTP_3XX] = "3xx", [KS_HTTP_4XX] = "4xx",
			[KS_HTTP_5XX] = "5xx", [KS_HTTP_TIMEOUT] = "timeout",
			[KS_HTTP_ABORTED] = "aborted",
		};

		ks_http_stats(a->http, &hs);
		for (int i = 0; i < KS_HTTP_NCLASS; i++) {
			one_label(&l, 0, codes[i]);
			add_total(a, F_HTTP, &l, hs.requests[i], &http_seen[i]);
		}
	}
	self_process(a);
}

/* Every family's series count and folds: after maintenance, so they are this rendering's */
static void series_metrics(struct agent *a)
{
	struct ks_prom_labels l = { 0 };
	static uint64_t dropped_seen[NFAM];

	for (int f = 0; f < NFAM; f++) {
		if (fam_desc[f].flags & KS_PROM_NO_OTHER || f >= F_BUILD)
			continue;
		one_label(&l, 0, fam_desc[f].name);
		ks_prom_set(a->fam[F_SERIES], &l, ks_prom_family_series(a->fam[f]), a->now);
		add_total(a, F_DROPPED, &l, ks_prom_family_folded(a->fam[f]), &dropped_seen[f]);
	}
}

/* Render the store and hand it to the HTTP thread */
static void publish(struct agent *a)
{
	char *body;
	size_t len;

	ks_prom_maintain(a->prom, a->now);
	series_metrics(a);
	if (ks_prom_render(a->prom, &body, &len))
		return;
	if (a->http)
		ks_http_publish(a->http, body, len);
	free(body);
}

/* ---- capabilities ---------------------------------------------------------------- */

/* Drop every capability but keep: from the bounding set, the ambient set, and the process */
static int drop_caps(uint64_t keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { 0 };

	/*
	 * The bounding set needs CAP_SETPCAP to shrink (root has it; the
	 * systemd unit's user does not, and there no_new_privs below keeps
	 * an exec from regaining what the bounding set still allows)
	 */
	for (int cap = 0; cap <= 63 && ks_has_cap(CAP_SETPCAP); cap++)
		if (!(keep & (1ull << cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return -errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[0].effective &= keep;
	d[0].permitted &= keep;
	d[0].inheritable = 0;
	d[1].effective &= keep >> 32;
	d[1].permitted &= keep >> 32;
	d[1].inheritable = 0;
	if (syscall(SYS_capset, &h, d))
		return -errno;
	/* and never regain any through an exec */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}

static int parse_cap(void *ctx, const char *item)
{
	uint64_t *mask = ctx;
	char name[64];
	long v;

	if (strlen(item) >= sizeof(name) - 4)
		return -EINVAL;
	snprintf(name, sizeof(name), "%s%s", strncasecmp(item, "cap_", 4) ? "CAP_" : "", item);
	for (char *p = name; *p; p++)
		*p = toupper((unsigned char)*p);
	v = ks_value_of(KS_NAMES(cap), name);
	if (v < 0 || v > 63)
		return -EINVAL;
	*mask |= 1ull << v;
	return 0;
}

/* ---- the session's hooks ------------------------------------------------------- */

static int agent_started(void *ctx, struct ks_trace *const *c, int n)
{
	struct agent *a = ctx;
	struct ks_http_config hc = {
		.fd = a->listen_fd, .metrics_path = a->path, .max_conns = a->max_conns,
		.web = a->web,
	};
	int err;

	if (a->check) {
		printf("kscope agent: configuration ok: %d collector parts attached\n", n);
		return 1;
	}
	err = drop_caps(a->caps_keep);
	if (err) {
		fprintf(stderr, "kscope agent: cannot drop capabilities: %s\n", strerror(-err));
		return -1;
	}
	a->http = ks_http_start(&hc);
	if (!a->http) {
		fprintf(stderr, "kscope agent: cannot start the HTTP server: %s\n", strerror(errno));
		return -1;
	}
	a->listen_fd = -1;	/* the server's now */
	a->now = ks_now_ns(CLOCK_MONOTONIC);
	self_metrics(a, c, n);
	publish(a);
	if (a->web)
		fprintf(stderr, "kscope agent: --web.config.file %s: %s, %s\n", a->web_config,
			ks_web_tls(a->web) ? "TLS" : "no TLS",
			ks_web_auth_on(a->web) ? "basic auth" : "no basic auth");
	fprintf(stderr, "kscope agent: serving %s on port %d\n", a->path, a->port);
	return 0;
}

static void agent_reported(void *ctx, struct ks_trace *const *c, int n)
{
	struct agent *a = ctx;

	a->now = ks_now_ns(CLOCK_MONOTONIC);
	if (c)
		self_metrics(a, c, n);
	publish(a);
}

/* ---- options --------------------------------------------------------------------- */

/* "5s", "250ms", "1m", "1h", "1.5" (seconds): > 0 */
static int parse_duration(const char *s, double *out)
{
	static const struct { const char *suffix; double mult; } units[] = {
		{ "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "", 1 },
	};
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !(v > 0) || isinf(v))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].suffix)) {
			*out = v * units[i].mult;
			return *out <= 1e9 ? 0 : -EINVAL;
		}
	return -EINVAL;
}

static struct ks_cli_opt agent_opts[16 + 2 * NCOLL + 1] = {
	{ "web.listen-address", OPT_LISTEN, "ADDR",
	  "where to serve: HOST:PORT (default 127.0.0.1:9435; :PORT is every interface), "
	  "fd://N or systemd (socket activation)" },
	{ "web.config.file", OPT_WEB_CONFIG, "FILE",
	  "TLS and basic auth, in exporter-toolkit's web config format (docs/agent.md); "
	  "re-read when it changes" },
	{ "web.telemetry-path", OPT_PATH, "PATH", "the metrics' path (default /metrics)" },
	{ "web.max-connections", OPT_MAX_CONNS, "N",
	  "connections held at once (default 1024): past it, the oldest idle one is closed" },
	{ "collect.interval", OPT_INTERVAL, "DURATION",
	  "how often the kernel's maps are read (default 5s): scrapes serve the last reading" },
	{ "metrics.max-series", OPT_MAX_SERIES, "N",
	  "series per metric family at most (default 1000); the smallest beyond are summed "
	  "into one whose labels are \"other\"" },
	{ "metrics.expire", OPT_EXPIRE, "DURATION",
	  "series of a cgroup or command name that did not move for this long are summed "
	  "into \"other\" (default 5m)" },
	{ "collector.disable-defaults", OPT_DISABLE_DEFAULTS, NULL,
	  "only the collectors named with --collector.NAME" },
	{ "config.check", OPT_CHECK, NULL, "load and attach every collector, then exit" },
	{ "capabilities.keep", OPT_CAPS, "none|LIST",
	  "capabilities kept once attached (default none: every one dropped)" },
};

/* --collector.NAME and --no-collector.NAME, from the collector table */
static void add_collector_opts(void)
{
	static char names[2 * NCOLL][48], helps[NCOLL][160], nohelps[NCOLL][48];
	size_t n = 0;

	while (agent_opts[n].name)
		n++;
	if (n >= 2 * NCOLL)
		return;		/* done already */
	for (size_t i = 0; i < NCOLL; i++) {
		snprintf(names[2 * i], sizeof(names[0]), "collector.%s", collectors[i].name);
		snprintf(names[2 * i + 1], sizeof(names[0]), "no-collector.%s", collectors[i].name);
		snprintf(helps[i], sizeof(helps[0]), "%s (on by default)", collectors[i].help);
		agent_opts[n++] = (struct ks_cli_opt){ names[2 * i], OPT_COLLECTOR + (int)i, NULL,
						       helps[i] };
		snprintf(nohelps[i], sizeof(nohelps[0]), "leave the %s collector out",
			 collectors[i].name);
		agent_opts[n++] = (struct ks_cli_opt){ names[2 * i + 1], OPT_NO_COLLECTOR + (int)i,
						       NULL, nohelps[i] };
	}
}

static int agent_parse(void *state, int key, const char *arg)
{
	struct agent *a = state;
	uint64_t v;

	if (key >= OPT_COLLECTOR && key < OPT_COLLECTOR + (int)NCOLL) {
		a->on |= 1u << (key - OPT_COLLECTOR);
		a->off &= ~(1u << (key - OPT_COLLECTOR));
		return 0;
	}
	if (key >= OPT_NO_COLLECTOR && key < OPT_NO_COLLECTOR + (int)NCOLL) {
		a->off |= 1u << (key - OPT_NO_COLLECTOR);
		a->on &= ~(1u << (key - OPT_NO_COLLECTOR));
		return 0;
	}
	switch (key) {
	case OPT_LISTEN:
		a->listen = arg;
		return 0;
	case OPT_WEB_CONFIG:
		a->web_config = arg;
		return 0;
	case OPT_PATH:
		if (arg[0] != '/' || strpbrk(arg, " ?#\r\n\t")) {
			ks_cli_error(&agent_cli, "invalid --web.telemetry-path '%s' (a path: /metrics)",
				     arg);
			return -1;
		}
		a->path = arg;
		return 0;
	case OPT_INTERVAL:
		if (parse_duration(arg, &a->interval_s) || a->interval_s < 0.1) {
			ks_cli_error(&agent_cli, "invalid --collect.interval '%s' (a duration of "
				     "100ms or more: 5s, 500ms, 1m)", arg);
			return -1;
		}
		return 0;
	case OPT_EXPIRE:
		if (parse_duration(arg, &a->expire_s)) {
			ks_cli_error(&agent_cli, "invalid --metrics.expire '%s' (a duration: 5m, "
				     "30s)", arg);
			return -1;
		}
		return 0;
	case OPT_MAX_SERIES:
		if (ks_parse_u64(arg, 1, 1000000, &v)) {
			ks_cli_error(&agent_cli, "invalid --metrics.max-series '%s' (1 to 1000000)",
				     arg);
			return -1;
		}
		a->max_series = v;
		return 0;
	case OPT_MAX_CONNS:
		if (ks_parse_u64(arg, 1, 65536, &v)) {
			ks_cli_error(&agent_cli, "invalid --web.max-connections '%s' (1 to 65536)",
				     arg);
			return -1;
		}
		a->max_conns = v;
		return 0;
	case OPT_DISABLE_DEFAULTS:
		a->no_defaults = true;
		return 0;
	case OPT_CHECK:
		a->check = true;
		return 0;
	case OPT_CAPS:
		a->caps_keep = 0;
		a->caps_given = true;
		if (!strcmp(arg, "none"))
			return 0;
		if (ks_cli_list(arg, parse_cap, &a->caps_keep)) {
			ks_cli_error(&agent_cli, "invalid --capabilities.keep '%s' (none, or a list "
				     "of capabilities: cap_sys_ptrace,cap_dac_read_search)", arg);
			return -1;
		}
		return 0;
	}
	return 1;
}

static const struct ks_cli_conflict agent_conflicts[] = { { 0 } };

static int agent_setup(void *state, struct ks_opts *o)
{
	struct agent *a = state;
	char err[512];

	if (o->json || o->output || o->wallclock || o->container) {
		ks_cli_error(&agent_cli, "%s: kscope agent serves metrics over HTTP and prints "
			     "nothing (container labels are always on)",
			     o->json ? "-j" : o->output ? "-o" : o->wallclock ? "-T" : "-C");
		return KS_EXIT_USAGE;
	}
	a->opts = o;
	o->interval_s = a->interval_s;
	o->count = 0;
	a->prom = ks_prom_new(a->max_series, (uint64_t)(a->expire_s * 1e9));
	if (!a->prom)
		return KS_EXIT_FAIL;
	for (int f = 0; f < NFAM; f++)
		if (!(a->fam[f] = ks_prom_family(a->prom, &fam_desc[f])))
			return KS_EXIT_FAIL;
	a->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (a->devnull < 0)
		return KS_EXIT_FAIL;
	/* before attaching: a bad file is said at once (and --config.check checks it) */
	if (a->web_config) {
		a->web = ks_web_load(a->web_config, err, sizeof(err));
		if (!a->web) {
			fprintf(stderr, "kscope agent: --web.config.file %s: %s\n", a->web_config,
				err);
			return KS_EXIT_USAGE;
		}
	}
	if (!a->check) {
		/* before attaching: a port in use is said at once */
		a->listen_fd = ks_http_listen(a->listen, err, sizeof(err));
		if (a->listen_fd < 0) {
			fprintf(stderr, "kscope agent: --web.listen-address %s: %s\n", a->listen,
				err);
			return KS_EXIT_FAIL;
		}
		a->port = ks_http_port(a->listen_fd);
	}
	{
		struct ks_prom_labels l = { 0 };
		char lv[32];
		struct timespec ts;

		snprintf(lv, sizeof(lv), "%u.%u", libbpf_major_version(), libbpf_minor_version());
		one_label(&l, 0, KSCOPE_VERSION);
		one_label(&l, 1, KSCOPE_REVISION);
		one_label(&l, 2, lv);
		ks_prom_set(a->fam[F_BUILD], &l, 1, 0);
		clock_gettime(CLOCK_REALTIME, &ts);
		ks_prom_set(a->fam[F_START], NULL, ts.tv_sec, 0);
	}
	return 0;
}

static int agent_teardown(void *state, int rc)
{
	struct agent *a = state;

	if (a->http)
		ks_http_stop(a->http);
	ks_web_free(a->web);
	for (int i = 0; i < a->nrun; i++)
		rc = ks_part_free(&a->run[i].part, rc);
	if (a->listen_fd >= 0)
		close(a->listen_fd);
	if (a->devnull >= 0)
		close(a->devnull);
	ks_prom_free(a->prom);
	return rc;
}

static struct ks_cli agent_cli = {
	.cmd = "agent",
	.summary = "A Prometheus exporter: kscope's in-kernel aggregations as metrics, "
		   "served over HTTP.",
	.details =
	"Each collector is a kscope command whose maps are read in the background every\n"
	"--collect.interval; a scrape serves the last reading (text format 0.0.4, gzip when\n"
	"asked), so it never walks a kernel map. Counters never go back while the agent runs;\n"
	"no label is a pid; each family holds at most --metrics.max-series series. Once\n"
	"attached, the agent drops every capability but --capabilities.keep. The common\n"
	"filters (-p, -c, -u, --comm) apply to every collector. docs/agent.md has every\n"
	"metric, and a fleet set-up.",
	.examples =
	"  kscope agent                                   # 127.0.0.1:9435/metrics\n"
	"  kscope agent --web.listen-address=:9435        # every interface\n"
	"  kscope agent --no-collector.syscall --collect.interval=15s\n"
	"  kscope agent --collector.disable-defaults --collector.sched --collector.diskio\n"
	"  kscope agent --config.check                    # attach everything, then exit\n",
	.opts = agent_opts,
	.conflicts = agent_conflicts,
	.parse = agent_parse,
	.flags = KS_CLI_TRACE,
};

int cmd_agent(int argc, char **argv)
{
	struct agent a = {
		.listen = "127.0.0.1:9435", .path = "/metrics", .interval_s = 5,
		.max_series = 1000, .expire_s = 300, .max_conns = 1024,
		.listen_fd = -1, .devnull = -1,
	};
	struct ks_session_tracer tr[KS_SESSION_MAX];
	const struct ks_session_hooks hooks = { &a, agent_started, agent_reported };
	struct ks_opts opts;
	unsigned want;
	int rc, n = 0;

	add_collector_opts();
	agent_cli.state = &a;
	rc = ks_cli_parse(&agent_cli, argc, argv, &opts);
	if (rc != KS_CLI_CONTINUE)
		return rc;
	rc = agent_setup(&a, &opts);
	want = ((a.no_defaults ? 0 : (1u << NCOLL) - 1) | a.on) & ~a.off;
	if (!rc && !want) {
		ks_cli_error(&agent_cli, "no collector left: name one with --collector.NAME");
		rc = KS_EXIT_USAGE;
	}
	for (size_t i = 0; !rc && i < NCOLL; i++) {
		for (size_t j = 0; !rc && j < ARRAY_SIZE(collectors[i].parts); j++) {
			const struct part_spec *ps = &collectors[i].parts[j];
			struct running *run = &a.run[a.nrun];

			if (!ps->spec.part || !(want & (1u << i)))
				continue;
			run->coll = i;
			run->spec = j;
			rc = ks_part_start(&run->part, &ps->spec, &opts, &agent_sink, &a, a.devnull,
					   &tr[n]);
			if (rc)
				break;
			a.nrun++;
			n++;
		}
	}
	if (rc) {
		for (int i = 0; i < n; i++)
			ks_opts_release(tr[i].o);
		ks_opts_release(&opts);
		return agent_teardown(&a, rc);
	}
	rc = ks_session_run_hooks(tr, n, &hooks);
	ks_opts_release(&opts);
	return agent_teardown(&a, rc);
}

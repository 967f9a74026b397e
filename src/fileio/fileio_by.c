// SPDX-License-Identifier: GPL-2.0
/*
 * kscope fileio: the summary per process or per cgroup (--by). The kernel
 * sums the reads, writes and fsyncs of each owner in the owners map, as it
 * sums them per file; here they are rows of a table (src/engine/table.h),
 * one per owner, whose cumulative values the engine turns into periods.
 * One table for both keys: the owner's column (pid or cgroup_id) and its
 * label (comm or cgroup) are the only difference.
 */
#include <stdint.h>
#include <string.h>

#include "../engine/out.h"
#include "../engine/table.h"
#include "../engine/util.h"
#include "fileio.h"

enum {
	C_PID, C_COMM, C_CGROUP_ID, C_CGROUP, C_CONTAINER, C_CONTAINER_RT = C_CONTAINER + 1,
	C_READS, C_WRITES, C_RBYTES, C_WBYTES, C_RNS, C_WNS, C_FSYNCS, C_FSYNC_NS, C_ERRORS,
	C_RAVG, C_WAVG,                 /* text only */
	C_BYTES, C_CALLS, C_TIME,       /* -s keys only */
	NCOLS
};

static bool by_cgroup(const struct ks_table *t)
{
	return ks_table_shows(t, C_CGROUP_ID);
}

static uint64_t bytes_of(const struct ks_row *r)
{
	return ks_row_get(r, C_RBYTES) + ks_row_get(r, C_WBYTES);
}

static uint64_t calls_of(const struct ks_row *r)
{
	return ks_row_get(r, C_READS) + ks_row_get(r, C_WRITES) + ks_row_get(r, C_FSYNCS);
}

static uint64_t time_of(const struct ks_row *r)
{
	return ks_row_get(r, C_RNS) + ks_row_get(r, C_WNS) + ks_row_get(r, C_FSYNC_NS);
}

static void text_ravg(struct ks_out *o, const struct ks_row *r)
{
	fio_text_avg(o, ks_row_get(r, C_RNS), ks_row_get(r, C_READS));
}

static void text_wavg(struct ks_out *o, const struct ks_row *r)
{
	fio_text_avg(o, ks_row_get(r, C_WNS), ks_row_get(r, C_WRITES));
}

/*
 * Labels looked up for what is shown: a live process by its current name
 * (a gone one by the kernel's), a cgroup by its path (the last one found,
 * once it is removed) and with -C its container
 */
static void row_prepare(struct ks_row *r)
{
	char comm[KS_COMM_LEN];

	if (by_cgroup(ks_row_table(r))) {
		ks_row_put_cgroup(r, C_CGROUP, C_CONTAINER, NULL, ks_row_get(r, C_CGROUP_ID));
		return;
	}
	if (!ks_row_is_gone(r) && ks_proc_comm(ks_row_get(r, C_PID), comm))
		ks_row_put_str(r, C_COMM, comm, sizeof(comm));
}

#define NUM(k, n, h, w, help_) { n, h, k, KS_COL_CUM | KS_COL_LEFT, w, .help = help_ }
#define JSON_ONLY(k, n, help_) { n, NULL, k, KS_COL_CUM | KS_COL_TEXT_HIDE, .help = help_ }
#define SORT_KEY(n, f) { n, NULL, KS_COL_COUNT, KS_COL_DERIVED | KS_COL_TEXT_HIDE | \
			  KS_COL_JSON_HIDE, .derive = f }

static const struct ks_col cols[NCOLS] = {
	[C_PID] = { "pid", "PID", KS_COL_COUNT, KS_COL_KEY | KS_COL_LEFT, 7 },
	[C_COMM] = { "comm", "COMM", KS_COL_COMM, 0, KS_COMM_LEN },
	[C_CGROUP_ID] = { "cgroup_id", "", KS_COL_COUNT, KS_COL_KEY | KS_COL_TEXT_HIDE },
	[C_CGROUP] = { "cgroup", "CGROUP", KS_COL_STR, 0, 24, .size = 256 },
	KS_CONTAINER_COLS(C_CONTAINER),
	[C_READS] = NUM(KS_COL_COUNT, "reads", "READS", 8,
			"read calls on files that returned (not an error)"),
	[C_WRITES] = NUM(KS_COL_COUNT, "writes", "WRITES", 8,
			 "write calls on files that returned (not an error)"),
	[C_RBYTES] = NUM(KS_COL_BYTES, "read_bytes", "R-BYTES", 9,
			 "bytes the read calls returned"),
	[C_WBYTES] = NUM(KS_COL_BYTES, "write_bytes", "W-BYTES", 9,
			 "bytes the write calls returned"),
	[C_RNS] = JSON_ONLY(KS_COL_NS, "read_ns", "time in those reads, entry to exit"),
	[C_WNS] = JSON_ONLY(KS_COL_NS, "write_ns", "time in those writes, entry to exit"),
	[C_FSYNCS] = NUM(KS_COL_COUNT, "fsyncs", "FSYNCS", 0,
			 "fsync and fdatasync calls that returned 0"),
	[C_FSYNC_NS] = JSON_ONLY(KS_COL_NS, "fsync_ns", "time in those fsyncs, entry to exit"),
	[C_ERRORS] = JSON_ONLY(KS_COL_COUNT, "errors", "read, write and fsync calls that failed"),
	[C_RAVG] = { "read_avg", "R-AVG", KS_COL_CUSTOM, KS_COL_JSON_HIDE, 9, .text = text_ravg },
	[C_WAVG] = { "write_avg", "W-AVG", KS_COL_CUSTOM, KS_COL_JSON_HIDE, 9, .text = text_wavg },
	[C_BYTES] = SORT_KEY("bytes", bytes_of),
	[C_CALLS] = SORT_KEY("calls", calls_of),
	[C_TIME] = SORT_KEY("time", time_of),
};

static const int text_order[] = {
	C_PID, C_COMM, C_CGROUP, C_CONTAINER, C_READS, C_WRITES, C_RBYTES, C_WBYTES, C_RAVG,
	C_WAVG, C_FSYNCS, -1
};

/* equal sort values: more calls first, then the owner's id */
static const int ties[] = { C_CALLS, -1 };

static const struct ks_table_desc desc = {
	.type = "fileio_process_stat",
	.cols = cols,
	.ncols = NCOLS,
	.key_size = sizeof(uint64_t),
	.text_order = text_order,
	.ties = ties,
	.prepare = row_prepare,
};

struct ks_table *fio_owners_new(enum fio_by by, enum fio_sort sort, unsigned top,
				bool container)
{
	static const int sort_col[] = {
		[FIO_SORT_BYTES] = C_BYTES, [FIO_SORT_CALLS] = C_CALLS, [FIO_SORT_TIME] = C_TIME,
	};
	struct ks_table_desc d = desc;
	struct ks_table *t;
	bool cg = by == FIO_BY_CGROUP;

	if (cg)
		d.type = "fileio_cgroup_stat";
	t = ks_table_new(&d);
	if (!t)
		return NULL;
	ks_table_hide(t, C_PID, cg);
	ks_table_hide(t, C_COMM, cg);
	ks_table_hide(t, C_CGROUP_ID, !cg);
	ks_table_hide(t, C_CGROUP, !cg);
	ks_table_show_container(t, C_CONTAINER, container && cg);
	ks_table_sort(t, sort_col[sort]);
	ks_table_top(t, top);
	return t;
}

void fio_owners_put(struct ks_table *t, uint64_t owner, const struct fio_owner_stat *v,
		    bool gone)
{
	struct ks_row *r = ks_table_row(t, &owner);

	if (!r)
		return;
	if (by_cgroup(t)) {
		ks_row_put(r, C_CGROUP_ID, owner);
	} else {
		ks_row_put(r, C_PID, owner);
		/* its name at its first call; a live process is named again at printing */
		ks_row_put_str(r, C_COMM, v->comm, sizeof(v->comm));
	}
	ks_row_put(r, C_READS, v->reads);
	ks_row_put(r, C_WRITES, v->writes);
	ks_row_put(r, C_RBYTES, v->read_bytes);
	ks_row_put(r, C_WBYTES, v->write_bytes);
	ks_row_put(r, C_RNS, v->read_ns);
	ks_row_put(r, C_WNS, v->write_ns);
	ks_row_put(r, C_FSYNCS, v->fsyncs);
	ks_row_put(r, C_FSYNC_NS, v->fsync_ns);
	ks_row_put(r, C_ERRORS, v->errors);
	if (gone)
		ks_row_gone(r);
}

void fio_owners_fold(struct ks_table *t, size_t max)
{
	static const uint64_t exited;	/* no process has tgid 0 */
	struct ks_row *r = ks_table_fold_gone(t, max, &exited);

	if (r) {
		ks_row_put_absent(r, C_PID);	/* as the per-file summary's folded rows */
		ks_row_put_str(r, C_COMM, "(exited)", 8);
	}
}

bool fio_owners_any(const struct ks_table *t)
{
	for (struct ks_row *r = ks_table_next(t, NULL); r; r = ks_table_next(t, r))
		if (calls_of(r) || ks_row_get(r, C_ERRORS))
			return true;
	return false;
}

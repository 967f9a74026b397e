// SPDX-License-Identifier: GPL-2.0
/*
 * kscope proc --summary: the proc_stat table. The kernel counts forks,
 * execs and exits per command name in a map (proc.bpf.c); each report
 * copies its cumulative counters into one row per name, and the engine's
 * table turns them into each period's amounts and renders them (text,
 * NDJSON, or a caller's sink such as the agent's Prometheus exposition).
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "../engine/table.h"
#include "../engine/util.h"
#include "proc.h"

/*
 * A row's identity: a name, or the names the kernel's map had no room for
 * (other = 1, comm empty): apart from a task that really has an empty name
 * (prctl(PR_SET_NAME, "")), which is a name like any other.
 */
struct stat_key {
	char comm[KS_COMM_LEN];
	uint32_t other;
};

static const struct ks_col stat_cols[PROC_NCOLS] = {
	[PROC_C_COMM] = { "comm", "COMM", KS_COL_COMM, KS_COL_KEY, 16,
			  .help = "the command name; " PROC_OTHER_COMM ": names the kernel's map "
				  "had no room for" },
	[PROC_C_FORKS] = { "forks", "FORKS", KS_COL_COUNT, KS_COL_CUM, 8,
			   .help = "processes forked (threads are not counted)" },
	[PROC_C_EXECS] = { "execs", "EXECS", KS_COL_COUNT, KS_COL_CUM, 8,
			   .help = "execs that succeeded, under the new name" },
	[PROC_C_EXEC_FAILED] = { "exec_failed", "EXEC-FAIL", KS_COL_COUNT, KS_COL_CUM, 9,
				 .help = "execs that failed (-x), under the caller's name" },
	[PROC_C_EXITS] = { "exits", "EXITS", KS_COL_COUNT, KS_COL_CUM, 8,
			   .help = "processes that exited: exit_ok + exit_error + killed" },
	[PROC_C_EXIT_OK] = { "exit_ok", "OK", KS_COL_COUNT, KS_COL_CUM, 8,
			     .help = "processes that exited with code 0" },
	[PROC_C_EXIT_ERROR] = { "exit_error", "ERROR", KS_COL_COUNT, KS_COL_CUM, 8,
				.help = "processes that exited with a code other than 0" },
	[PROC_C_KILLED] = { "killed", "KILLED", KS_COL_COUNT, KS_COL_CUM, 8,
			    .help = "processes terminated by a signal" },
};

/* after the -s column: the busiest first, then by name */
static const int stat_ties[] = { PROC_C_EXECS, PROC_C_FORKS, PROC_C_EXITS, -1 };

static const struct ks_table_desc stat_table = {
	.type = "proc_stat",
	.cols = stat_cols,
	.ncols = PROC_NCOLS,
	.key_size = sizeof(struct stat_key),
	.ties = stat_ties,
};

struct ks_table *proc_stat_table_new(void)
{
	return ks_table_new(&stat_table);
}

int proc_stat_put(struct ks_table *t, const char *comm, const struct proc_comm_stat *v)
{
	static const struct {
		int col;
		enum proc_count n;
	} cols[] = {
		{ PROC_C_FORKS, PROC_N_FORKS },
		{ PROC_C_EXECS, PROC_N_EXECS },
		{ PROC_C_EXEC_FAILED, PROC_N_EXEC_FAILED },
		{ PROC_C_EXIT_OK, PROC_N_EXIT_OK },
		{ PROC_C_EXIT_ERROR, PROC_N_EXIT_ERROR },
		{ PROC_C_KILLED, PROC_N_KILLED },
	};
	struct stat_key k = { .other = !comm };
	struct ks_row *r;

	if (comm)
		strncpy(k.comm, comm, sizeof(k.comm) - 1);
	r = ks_table_row(t, &k);
	if (!r)
		return -ENOMEM;
	if (comm)
		ks_row_put_str(r, PROC_C_COMM, k.comm, sizeof(k.comm));
	else
		ks_row_put_str(r, PROC_C_COMM, PROC_OTHER_COMM, strlen(PROC_OTHER_COMM));
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++)
		ks_row_put(r, cols[i].col, v->n[cols[i].n]);
	/* each class only grows, so their sum does: a cumulative counter too */
	ks_row_put(r, PROC_C_EXITS,
		   v->n[PROC_N_EXIT_OK] + v->n[PROC_N_EXIT_ERROR] + v->n[PROC_N_KILLED]);
	return 0;
}

/*
 * The kernel never deletes a name, so a walk by key misses none that was
 * there when it began (one made meanwhile may be read at the next report,
 * with everything it counted until then).
 */
int proc_stat_collect(struct ks_table *t, int fd, int other_fd)
{
	struct proc_comm_key key, next, *prev = NULL;
	struct proc_comm_stat v;
	uint32_t zero = 0;
	int err = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		err = err ?: proc_stat_put(t, key.comm, &v);
	}
	if (!bpf_map_lookup_elem(other_fd, &zero, &v) &&
	    memcmp(&v, &(struct proc_comm_stat){}, sizeof(v)))
		err = err ?: proc_stat_put(t, NULL, &v);
	return err;
}

long proc_summary_max(const char *s)
{
	uint64_t v;

	if (!s)
		return PROC_SUMMARY_MAX;
	return ks_parse_u64(s, 1, PROC_SUMMARY_MAX, &v) ? -EINVAL : (long)v;
}

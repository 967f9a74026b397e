/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kscope top: what the collection (top.c) hands the full-screen view
 * (tui.c). A frame is one refresh: the system's totals and the rows of
 * processes and threads that did something in it, copied out of the table
 * so the view can sort, filter and scroll them between refreshes.
 */
#ifndef KSCOPE_TOP_H
#define KSCOPE_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/events.h"
#include "../engine/util.h"

/* A row's amounts in the period, in the order of the columns */
enum top_val {
	TV_CPU, TV_RUNQ, TV_SYSCALLS, TV_ERRORS, TV_READ, TV_WRITE,
	TV_DREAD, TV_DWRITE, TV_RX, TV_TX, TV_N
};

/* What a view can sort by (-s, the sort keys, < and >) */
enum top_sort {
	TS_PID, TS_USER, TS_COMM, TS_CPU, TS_RUNQ, TS_SYSCALLS, TS_ERRORS, TS_READ,
	TS_WRITE, TS_DISK, TS_NET, TS_N
};

struct top_row {
	uint32_t pid, tid;             /* tid 0: a process (or its process-wide amounts) */
	uint32_t uid;
	char user[16];
	char comm[KS_COMM_LEN];
	char container[13];            /* the id's first 12 hex digits; "" for the host */
	uint64_t v[TV_N];
};

#define TOP_MAX_CPUS 1024

struct top_totals {
	uint64_t interval_ns;
	int ncpus;
	double busy_pct[TOP_MAX_CPUS]; /* per CPU, from /proc/stat */
	double busy_all;
	uint64_t v[TV_N];
	uint64_t runq_count, runq_p99_ns;
	uint64_t lost;                 /* since start, every part's */
	size_t processes;
};

/* A syscall of the process in the detail view */
struct top_call {
	char name[32];
	uint64_t count, errors;
	char errnos[64];
};

struct top_frame {
	uint64_t ts_ns;                /* CLOCK_MONOTONIC at its end */
	struct top_totals tot;
	struct ks_vec procs, threads;  /* struct top_row */
	struct ks_vec calls;           /* struct top_call: the detail process's, this period */
};

struct top_state;

/* The view's settings that the collection needs too */
struct top_view {
	int sort;                      /* enum top_sort */
	bool reverse;
	bool threads;
	double interval_s;
	bool paused;                   /* the view frozen: frames not copied nor drawn */
	uint32_t detail_pid;           /* 0: no detail view */
};

/* tui.c */
struct top_tui;
struct top_tui *top_tui_open(struct top_view *v, char *why, size_t n);
void top_tui_close(struct top_tui *u);
void top_tui_draw(struct top_tui *u, const struct top_frame *f);
/* Keys waiting: TOP_KEY_* */
#define TOP_KEY_QUIT     (1 << 0)
#define TOP_KEY_INTERVAL (1 << 1)  /* v->interval_s changed */
int top_tui_input(struct top_tui *u, const struct top_frame *f);

/* top.c, for the view: a row's value by sort key (the sort's comparison) */
uint64_t top_row_sort_value(const struct top_row *r, int key);
const char *top_sort_name(int key);
/* "12.3K": a rate (or an amount) 1024-based, as top and htop show bytes */
void top_fmt_rate(char *buf, size_t n, double v);
#define TOP_LINE 4096
/* "2 CPUs busy 21.3% (cpu0 12.5% cpu1 30.1%)  runq p99 1.200ms" */
void top_cpus_line(char *buf, size_t n, const struct top_totals *t);
/* "syscalls 12K/s (err 5/s)  file R 1.2M/s W 0/s  disk R 0/s W 12M/s  net RX 1.1M/s TX 1.1M/s" */
void top_rates_line(char *buf, size_t n, const uint64_t *v, double secs);

#endif /* KSCOPE_TOP_H */

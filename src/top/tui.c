// SPDX-License-Identifier: GPL-2.0
/*
 * kscope top's full screen (ncursesw). It draws the frames the collection
 * hands it (top.c) and reads the keys between them; it never touches the
 * kernel. Sorting, filters, the selection and the detail view work on the
 * last frame's rows, so a key is answered at once, not at the next
 * refresh. Below 40x10 it says so instead of drawing.
 */
#include <ctype.h>
#include <dirent.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>
#include <term.h>

#include "../engine/out.h"
#include "top.h"

#define MIN_COLS 40
#define MIN_LINES 10
#define HEAD_LINES 5              /* title, two summary lines, prompt, column header */

enum prompt { PROMPT_NONE, PROMPT_FILTER, PROMPT_PID };
enum view_screen { SCREEN_LIST, SCREEN_DETAIL, SCREEN_HELP };

struct top_tui {
	SCREEN *scr;
	struct top_view *v;
	enum view_screen screen;
	enum prompt prompt;
	char input[64];                /* the prompt's text so far */
	char filter[64];               /* comm substring */
	uint32_t pid_filter;
	size_t sel;                    /* the selection's index among the shown rows */
	uint32_t sel_pid, sel_tid;     /* ... and its row, kept across refreshes */
	size_t scroll;
	const struct top_row **shown;  /* this frame's rows, filtered and sorted */
	size_t nshown, cap_shown;
	const struct top_frame *last;
};

/* ---- the columns ------------------------------------------------------------------------ */

struct tcol {
	const char *head;
	int width;
	bool left;
	int sort;                      /* enum top_sort */
	int val;                       /* enum top_val, -1: not a value */
};

static const struct tcol tcols[] = {
	{ "PID", 7, true, TS_PID, -1 },
	{ "TID", 7, true, TS_PID, -1 },
	{ "USER", 8, true, TS_USER, -1 },
	{ "COMM", 15, true, TS_COMM, -1 },
	{ "CPU%", 6, false, TS_CPU, TV_CPU },
	{ "RUNQ", 6, false, TS_RUNQ, TV_RUNQ },
	{ "SYSC/s", 8, false, TS_SYSCALLS, TV_SYSCALLS },
	{ "ERR/s", 6, false, TS_ERRORS, TV_ERRORS },
	{ "READ/s", 8, false, TS_READ, TV_READ },
	{ "WRITE/s", 8, false, TS_WRITE, TV_WRITE },
	{ "DISK-R/s", 8, false, TS_DISK, TV_DREAD },
	{ "DISK-W/s", 8, false, TS_DISK, TV_DWRITE },
	{ "NET-RX/s", 8, false, TS_NET, TV_RX },
	{ "NET-TX/s", 8, false, TS_NET, TV_TX },
	{ "CONTAINER", 12, true, -1, -1 },
};

#define NTCOLS (sizeof(tcols) / sizeof(tcols[0]))
#define COL_TID 1

static double secs(const struct top_frame *f)
{
	return f->tot.interval_ns ? f->tot.interval_ns / 1e9 : 1;
}

/* Untrusted text (a command name, a path) escaped, cut to `width` columns */
static void put_text(const char *s, size_t n, int width)
{
	char buf[512];

	ks_escape_text(buf, sizeof(buf), s, n);
	printw("%-*.*s", width, width, buf);
}

static void cell(const struct tcol *c, const struct top_row *r, double s)
{
	char buf[32];

	switch (c->val) {
	case TV_CPU:
		snprintf(buf, sizeof(buf), "%.1f", r->v[TV_CPU] / 1e7 / s);
		break;
	case TV_RUNQ:
		snprintf(buf, sizeof(buf), "%.1f", r->v[TV_RUNQ] / 1e6 / s);
		break;
	case -1:
		if (c == &tcols[0]) {
			printw("%-*u", c->width, r->pid);
		} else if (c == &tcols[COL_TID]) {
			if (r->tid)
				printw("%-*u", c->width, r->tid);
			else
				printw("%-*s", c->width, "-");
		} else if (c->sort == TS_USER) {
			put_text(r->user, sizeof(r->user), c->width);
		} else if (c->sort == TS_COMM) {
			put_text(r->comm, sizeof(r->comm), c->width);
		} else {
			printw("%-*s", c->width, r->container[0] ? r->container : "-");
		}
		return;
	default:
		top_fmt_rate(buf, sizeof(buf), r->v[c->val] / s);
	}
	printw("%*s", c->width, buf);
}

/* ---- sorting and filtering ---------------------------------------------------------------- */

static const struct top_view *cmp_view;

static int cmp_rows(const void *a, const void *b)
{
	const struct top_row *x = *(const struct top_row *const *)a;
	const struct top_row *y = *(const struct top_row *const *)b;
	int key = cmp_view->sort, c = 0;

	if (key == TS_USER)
		c = strcmp(x->user, y->user);
	else if (key == TS_COMM)
		c = strcmp(x->comm, y->comm);
	else if (key == TS_PID)
		c = (top_row_sort_value(x, key) > top_row_sort_value(y, key)) -
		    (top_row_sort_value(x, key) < top_row_sort_value(y, key));
	else	/* amounts: the largest first */
		c = (top_row_sort_value(x, key) < top_row_sort_value(y, key)) -
		    (top_row_sort_value(x, key) > top_row_sort_value(y, key));
	if (!c)	/* then by pid and tid, as the table orders its ties */
		c = x->pid != y->pid ? (x->pid > y->pid) - (x->pid < y->pid) :
				       (x->tid > y->tid) - (x->tid < y->tid);
	return cmp_view->reverse ? -c : c;
}

static void select_rows(struct top_tui *u, const struct top_frame *f)
{
	const struct ks_vec *all = u->v->threads ? &f->threads : &f->procs;
	const struct top_row *rows = all->v;
	size_t n = all->n;

	u->nshown = 0;
	if (n > u->cap_shown) {
		void *p = realloc(u->shown, n * sizeof(*u->shown));

		if (!p)
			return;
		u->shown = p;
		u->cap_shown = n;
	}
	for (size_t i = 0; i < n; i++) {
		if (u->pid_filter && rows[i].pid != u->pid_filter)
			continue;
		if (u->filter[0] && !strstr(rows[i].comm, u->filter))
			continue;
		u->shown[u->nshown++] = &rows[i];
	}
	cmp_view = u->v;
	qsort(u->shown, u->nshown, sizeof(*u->shown), cmp_rows);
	/* the selection stays on its row if it is still shown */
	for (size_t i = 0; i < u->nshown; i++)
		if (u->shown[i]->pid == u->sel_pid && u->shown[i]->tid == u->sel_tid) {
			u->sel = i;
			return;
		}
	if (u->sel >= u->nshown)
		u->sel = u->nshown ? u->nshown - 1 : 0;
}

static void remember_sel(struct top_tui *u)
{
	if (u->sel < u->nshown) {
		u->sel_pid = u->shown[u->sel]->pid;
		u->sel_tid = u->shown[u->sel]->tid;
	}
}

/* ---- drawing ---------------------------------------------------------------------------- */

static void title(struct top_tui *u, const struct top_frame *f)
{
	char hms[16] = "";
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm))
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	move(0, 0);
	attron(A_BOLD);
	printw("kscope top");
	attroff(A_BOLD);
	printw("  %s  every %.1fs  sort %s %s  procs %zu  lost %llu", hms, u->v->interval_s,
	       top_sort_name(u->v->sort), u->v->reverse ? "asc" : "desc", f->tot.processes,
	       (unsigned long long)f->tot.lost);
	if (u->filter[0]) {
		printw("  filter '");
		put_text(u->filter, strlen(u->filter), strlen(u->filter));
		printw("'");
	}
	if (u->pid_filter)
		printw("  pid %u", u->pid_filter);
	if (u->v->threads)
		printw("  threads");
	if (u->v->paused) {
		attron(A_REVERSE);
		printw("  PAUSED ");
		attroff(A_REVERSE);
	}
}

static void summary(const struct top_frame *f)
{
	char line[TOP_LINE];

	top_cpus_line(line, sizeof(line), &f->tot);
	mvaddnstr(1, 0, line, COLS);
	top_rates_line(line, sizeof(line), f->tot.v, secs(f));
	mvaddnstr(2, 0, line, COLS);
}

static void prompt_line(struct top_tui *u)
{
	move(3, 0);
	if (u->prompt == PROMPT_FILTER)
		printw("filter by name (Enter: apply, Esc: clear): %s", u->input);
	else if (u->prompt == PROMPT_PID)
		printw("show pid (Enter: apply, empty: all): %s", u->input);
}

static bool col_shown(const struct top_tui *u, size_t i)
{
	return i != COL_TID || u->v->threads;
}

static void list(struct top_tui *u, const struct top_frame *f)
{
	int rows = LINES - HEAD_LINES;
	double s = secs(f);

	move(4, 0);
	attron(A_REVERSE);
	for (size_t i = 0; i < NTCOLS; i++) {
		const struct tcol *c = &tcols[i];
		bool sorted = c->sort == u->v->sort && (i != COL_TID || u->v->threads);

		if (!col_shown(u, i))
			continue;
		if (sorted)
			attron(A_BOLD | A_UNDERLINE);
		printw(c->left ? "%-*s" : "%*s", c->width, c->head);
		if (sorted)
			attroff(A_BOLD | A_UNDERLINE);
		printw(" ");
	}
	hline(' ', COLS);
	attroff(A_REVERSE);
	if (u->sel >= u->scroll + rows)
		u->scroll = u->sel - rows + 1;
	if (u->sel < u->scroll)
		u->scroll = u->sel;
	for (int l = 0; l < rows && u->scroll + l < u->nshown; l++) {
		const struct top_row *r = u->shown[u->scroll + l];
		bool sel = u->scroll + l == u->sel;

		move(HEAD_LINES + l, 0);
		if (sel)
			attron(A_REVERSE);
		for (size_t i = 0; i < NTCOLS; i++) {
			if (!col_shown(u, i))
				continue;
			cell(&tcols[i], r, s);
			printw(" ");
		}
		if (sel) {
			hline(' ', COLS);
			attroff(A_REVERSE);
		}
	}
	if (!u->nshown) {
		move(HEAD_LINES, 0);
		printw(f->ts_ns ? "(no process did anything in the last interval)" :
				  "(collecting: the first refresh comes after one interval)");
	}
}

/* ---- the detail view: one process ----------------------------------------------------------- */

static const struct top_row *detail_row(const struct top_tui *u, const struct top_frame *f)
{
	const struct top_row *procs = f->procs.v;

	for (size_t i = 0; i < f->procs.n; i++)
		if (procs[i].pid == u->v->detail_pid)
			return &procs[i];
	return NULL;
}

static int cmp_calls(const void *a, const void *b)
{
	const struct top_call *x = a, *y = b;

	return (x->count < y->count) - (x->count > y->count);
}

static const char *const tcp_states[] = {
	"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
	"CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
};

/* An address of /proc/net/tcp{,6} ("0100007F:1F90") as text */
static void addr_text(const char *hex, bool v6, char *out, size_t n)
{
	unsigned port = 0;
	const char *colon = strchr(hex, ':');

	if (colon)
		sscanf(colon + 1, "%x", &port);
	if (!v6) {
		unsigned a = 0;

		sscanf(hex, "%8x", &a);	/* the kernel's bytes, in host order: little-endian here */
		snprintf(out, n, "%u.%u.%u.%u:%u", a & 0xff, (a >> 8) & 0xff, (a >> 16) & 0xff,
			 a >> 24, port);
	} else {
		snprintf(out, n, "[%.32s]:%u", hex, port);
	}
}

/* Its TCP sockets: the inodes of its fds found in its network namespace's tables */
static int connections(uint32_t pid, const unsigned long *inodes, size_t ninodes, int line,
		       int max)
{
	static const char *const files[] = { "tcp", "tcp6" };
	int shown = 0;

	for (size_t t = 0; t < 2 && shown < max; t++) {
		char path[64], buf[512];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%u/net/%s", pid, files[t]);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f))	/* the header */
			buf[0] = 0;
		while (shown < max && fgets(buf, sizeof(buf), f)) {
			char local[80], remote[80], l[64], r[64];
			unsigned st;
			unsigned long ino = 0;
			bool mine = false;

			if (sscanf(buf, "%*d: %63s %63s %x %*s %*s %*s %*s %*s %lu", l, r, &st,
				   &ino) != 4)
				continue;
			for (size_t i = 0; i < ninodes && !mine; i++)
				mine = inodes[i] == ino;
			if (!mine)
				continue;
			addr_text(l, t == 1, local, sizeof(local));
			addr_text(r, t == 1, remote, sizeof(remote));
			mvprintw(line + shown++, 2, "%-24s -> %-24s %s", local, remote,
				 st < sizeof(tcp_states) / sizeof(tcp_states[0]) ? tcp_states[st] : "?");
		}
		fclose(f);
	}
	return shown;
}

/* Its open files (and the socket inodes, for its connections) */
static int open_files(uint32_t pid, int line, int max, unsigned long *inodes, size_t *ninodes,
		 size_t cap)
{
	char path[64];
	struct dirent *d;
	int shown = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	dir = opendir(path);
	if (!dir) {
		mvprintw(line, 2, "(cannot read %s)", path);
		return 1;
	}
	while ((d = readdir(dir))) {
		char link[64 + sizeof(d->d_name)], target[512];
		ssize_t n;
		unsigned long ino;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, d->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (sscanf(target, "socket:[%lu]", &ino) == 1 && *ninodes < cap)
			inodes[(*ninodes)++] = ino;
		if (shown < max && target[0] == '/') {
			move(line + shown++, 2);
			printw("%-5s ", d->d_name);
			put_text(target, n, COLS > 12 ? COLS - 10 : 2);
		}
	}
	closedir(dir);
	return shown;
}

static void detail(struct top_tui *u, const struct top_frame *f)
{
	const struct top_row *r = detail_row(u, f);
	struct top_call *calls = f->calls.v;
	unsigned long inodes[256];
	size_t ninodes = 0;
	double s = secs(f);
	int line = 2, budget, n;
	char text[TOP_LINE];

	move(0, 0);
	attron(A_BOLD);
	printw("process %u ", u->v->detail_pid);
	if (r)
		put_text(r->comm, sizeof(r->comm), strnlen(r->comm, sizeof(r->comm)));
	attroff(A_BOLD);
	if (r)
		printw("  user %s  container %s", r->user, r->container[0] ? r->container : "-");
	printw("  (Esc: back)");
	move(1, 0);
	if (r) {
		top_rates_line(text, sizeof(text), r->v, s);
		printw("CPU %.1f%%  runq %.1fms/s  ", r->v[TV_CPU] / 1e7 / s, r->v[TV_RUNQ] / 1e6 / s);
		addnstr(text, COLS);
	} else {
		printw("(nothing in the last interval)");
	}
	budget = (LINES - line - 3) / 3;
	if (budget < 1)
		budget = 1;
	attron(A_REVERSE);
	mvprintw(line++, 0, "syscalls in the last interval: NAME, CALLS, ERRORS, ERRNOS");
	hline(' ', COLS);
	attroff(A_REVERSE);
	qsort(calls, f->calls.n, sizeof(*calls), cmp_calls);
	for (n = 0; n < (int)f->calls.n && n < budget; n++)
		mvprintw(line + n, 2, "%-20s %10llu %8llu  %s", calls[n].name,
			 (unsigned long long)calls[n].count, (unsigned long long)calls[n].errors,
			 calls[n].errnos);
	if (!f->calls.n)
		mvprintw(line + n++, 2, "(none yet: counted from the next refresh)");
	line += n;
	attron(A_REVERSE);
	mvprintw(line++, 0, "files: FD, PATH");
	hline(' ', COLS);
	attroff(A_REVERSE);
	line += open_files(u->v->detail_pid, line, budget, inodes, &ninodes,
		      sizeof(inodes) / sizeof(inodes[0]));
	attron(A_REVERSE);
	mvprintw(line++, 0, "connections: LOCAL -> REMOTE, STATE");
	hline(' ', COLS);
	attroff(A_REVERSE);
	if (line < LINES && !connections(u->v->detail_pid, inodes, ninodes, line, LINES - line))
		mvprintw(line, 2, "(no TCP socket)");
}

static void help(void)
{
	static const char *const help_text[] = {
		"kscope top: keys",
		"",
		"  q F10       quit",
		"  P R S D N   sort by CPU%, RUNQ, SYSC/s, disk, net",
		"  < >         sort by the column left / right",
		"  I           invert the order",
		"  / \\         filter by command name (Enter applies, Esc clears)",
		"  p           show one pid (Enter applies; empty: all)",
		"  t           threads / processes",
		"  space z     pause / resume",
		"  + -         longer / shorter interval",
		"  Up Down PgUp PgDn Home End   move the selection",
		"  Enter       the selected process: its syscalls, files, connections",
		"  h ? F1      this help",
		"",
		"CPU% is time on a CPU (100 = one CPU); RUNQ is ms waited on a run queue per",
		"second; SYSC/s and ERR/s syscalls and failed ones; READ/WRITE file bytes;",
		"DISK block bytes the process submitted; NET TCP bytes. Any key returns.",
	};

	for (size_t i = 0; i < sizeof(help_text) / sizeof(help_text[0]) && (int)i < LINES; i++)
		mvprintw(i, 0, "%s", help_text[i]);
}

void top_tui_draw(struct top_tui *u, const struct top_frame *f)
{
	u->last = f;
	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		mvprintw(0, 0, "terminal too small");
		if (LINES > 1)
			mvprintw(1, 0, "(%dx%d needed)", MIN_COLS, MIN_LINES);
		refresh();
		return;
	}
	if (u->screen == SCREEN_HELP) {
		help();
	} else if (u->screen == SCREEN_DETAIL) {
		detail(u, f);
	} else {
		select_rows(u, f);
		title(u, f);
		summary(f);
		prompt_line(u);
		list(u, f);
		remember_sel(u);
	}
	refresh();
}

/* ---- keys --------------------------------------------------------------------------------- */

static const double interval_steps[] = { 0.1, 0.2, 0.5, 1, 2, 3, 5, 10 };

static void step_interval(struct top_view *v, int dir)
{
	size_t n = sizeof(interval_steps) / sizeof(interval_steps[0]), i = 0;

	while (i < n && interval_steps[i] < v->interval_s - 1e-9)
		i++;
	/* i: the first step at or above the interval */
	if (dir > 0)
		v->interval_s = i < n && interval_steps[i] > v->interval_s + 1e-9 ? interval_steps[i] :
				i + 1 < n ? interval_steps[i + 1] : interval_steps[n - 1];
	else
		v->interval_s = i > 0 ? interval_steps[i - 1] : interval_steps[0];
}

/* A new order or view: the selection back to the first row */
static void to_top(struct top_tui *u)
{
	u->sel = u->scroll = 0;
	u->sel_pid = u->sel_tid = 0;
}

static void prompt_key(struct top_tui *u, int ch)
{
	size_t len = strlen(u->input);

	if (ch == 27) {	/* Esc: nothing applied; the filter cleared */
		if (u->prompt == PROMPT_FILTER)
			u->filter[0] = 0;
		u->prompt = PROMPT_NONE;
		to_top(u);
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		if (u->prompt == PROMPT_FILTER)
			snprintf(u->filter, sizeof(u->filter), "%s", u->input);
		else
			u->pid_filter = strtoul(u->input, NULL, 10);
		u->prompt = PROMPT_NONE;
		to_top(u);
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (len)
			u->input[len - 1] = 0;
	} else if (ch >= 32 && ch < 127 && len + 1 < sizeof(u->input) &&
		   (u->prompt == PROMPT_FILTER || isdigit(ch))) {
		u->input[len] = ch;
		u->input[len + 1] = 0;
	}
}

static int list_key(struct top_tui *u, int ch)
{
	int page = LINES - HEAD_LINES > 1 ? LINES - HEAD_LINES - 1 : 1;
	int sort = u->v->sort;
	bool reverse = u->v->reverse, threads = u->v->threads;

	switch (ch) {
	case 'q':
	case KEY_F(10):
		return TOP_KEY_QUIT;
	case 'P': u->v->sort = TS_CPU; break;
	case 'R': u->v->sort = TS_RUNQ; break;
	case 'S': u->v->sort = TS_SYSCALLS; break;
	case 'D': u->v->sort = TS_DISK; break;
	case 'N': u->v->sort = TS_NET; break;
	case '<': if (u->v->sort > 0) u->v->sort--; break;
	case '>': if (u->v->sort < TS_N - 1) u->v->sort++; break;
	case 'I': u->v->reverse = !u->v->reverse; break;
	case '/':
	case '\\':
		u->prompt = PROMPT_FILTER;
		snprintf(u->input, sizeof(u->input), "%s", u->filter);
		break;
	case 'p':
		u->prompt = PROMPT_PID;
		u->input[0] = 0;
		break;
	case 't': u->v->threads = !u->v->threads; break;
	case ' ':
	case 'z': u->v->paused = !u->v->paused; break;
	case '+':
	case '=':
		step_interval(u->v, 1);
		return TOP_KEY_INTERVAL;
	case '-':
		step_interval(u->v, -1);
		return TOP_KEY_INTERVAL;
	case 'h':
	case '?':
	case KEY_F(1):
		u->screen = SCREEN_HELP;
		break;
	case KEY_UP: case 'k': if (u->sel) u->sel--; break;
	case KEY_DOWN: case 'j': if (u->sel + 1 < u->nshown) u->sel++; break;
	case KEY_PPAGE: u->sel = u->sel > (size_t)page ? u->sel - page : 0; break;
	case KEY_NPAGE:
		u->sel = u->sel + page < u->nshown ? u->sel + page : u->nshown ? u->nshown - 1 : 0;
		break;
	case KEY_HOME: u->sel = 0; break;
	case KEY_END: u->sel = u->nshown ? u->nshown - 1 : 0; break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (u->sel < u->nshown) {
			u->v->detail_pid = u->shown[u->sel]->pid;
			u->screen = SCREEN_DETAIL;
		}
		break;
	}
	if (sort != u->v->sort || reverse != u->v->reverse || threads != u->v->threads)
		to_top(u);
	else
		remember_sel(u);
	return 0;
}

int top_tui_input(struct top_tui *u, const struct top_frame *f)
{
	int keys = 0, ch;
	bool any = false;

	while ((ch = getch()) != ERR) {
		any = true;
		if (ch == KEY_RESIZE)
			continue;
		if (u->screen == SCREEN_HELP) {
			u->screen = SCREEN_LIST;
		} else if (u->screen == SCREEN_DETAIL) {
			if (ch == 'q' || ch == KEY_F(10))
				return keys | TOP_KEY_QUIT;
			if (ch == 27 || ch == KEY_BACKSPACE || ch == 127 || ch == '\n' ||
			    ch == '\r' || ch == KEY_ENTER || ch == KEY_LEFT) {
				u->screen = SCREEN_LIST;
				u->v->detail_pid = 0;
			}
		} else if (u->prompt != PROMPT_NONE) {
			prompt_key(u, ch);
		} else {
			keys |= list_key(u, ch);
			if (keys & TOP_KEY_QUIT)
				return keys;
		}
	}
	if (any)
		top_tui_draw(u, f);
	return keys;
}

/* ---- the terminal ------------------------------------------------------------------------- */

struct top_tui *top_tui_open(struct top_view *v, char *why, size_t n)
{
	struct top_tui *u = calloc(1, sizeof(*u));
	int err = 0;

	if (!u) {
		snprintf(why, n, "out of memory");
		return NULL;
	}
	setlocale(LC_CTYPE, "");
	/* an unknown terminal: say so, never exit from inside curses */
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		snprintf(why, n, "no terminfo entry for TERM '%s'", getenv("TERM") ?: "");
		free(u);
		return NULL;
	}
	del_curterm(cur_term);
	u->scr = newterm(NULL, stdout, stdin);
	if (!u->scr) {
		snprintf(why, n, "cannot set up the terminal");
		free(u);
		return NULL;
	}
	u->v = v;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	erase();
	mvprintw(0, 0, "kscope top: collecting, the first refresh comes in %.1fs (h: help)",
		 v->interval_s);
	refresh();
	return u;
}

void top_tui_close(struct top_tui *u)
{
	if (!u)
		return;
	endwin();	/* the screen as it was (rmcup), the cursor back */
	delscreen(u->scr);
	free(u->shown);
	free(u);
}

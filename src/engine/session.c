// SPDX-License-Identifier: GPL-2.0
/*
 * The run layer: one process running one or several tracers (ks_trace_run
 * is the one-tracer case of ks_session_run). Each tracer has its own
 * context (trace.c); what a process has only once is here:
 *
 *  - the privileges check: capabilities belong to the process;
 *  - the flags the signal handlers set (a stop, PROGRAM's exit);
 *  - libbpf's print callback and its verbosity (-v): libbpf has one;
 *  - -- PROGRAM: one child, held before exec until every tracer is
 *    attached, its pid then tracked in each tracer's maps;
 *  - one epoll over every context's ring buffer and output.
 *
 * This is the layer that prints: the contexts' reasons, -v's plans, the
 * errors of -- PROGRAM, and it chooses the exit code.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "../kscope.h"
#include "probe.h"
#include "trace.h"
#include "util.h"

extern char **environ;

struct session {
	const struct ks_session_tracer *tr;
	const struct ks_session_hooks *h;
	const struct ks_opts *o;       /* the first tracer's: -v, --flush-ms, -- PROGRAM */
	struct ks_trace *c[KS_SESSION_MAX];
	int n;
	int epfd;

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

/* ---- what the contexts say ----------------------------------------------- */

/* ks_trace_error(): a "kscope: " line each */
static void say_why(const struct ks_trace *c)
{
	const char *p = ks_trace_error(c);

	while (*p) {
		size_t n = strcspn(p, "\n");

		fprintf(stderr, "kscope: %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* -v: where calls in flight are kept, and the hook each probe uses */
static void say_plans(const struct ks_trace *c)
{
	const struct ks_probe_plan *plans;
	int n, ts = ks_trace_task_storage(c);

	if (ts >= 0)
		fprintf(stderr, "kscope: calls in flight kept in %s\n",
			ts ? "task-local storage" : "an LRU hash by thread id");
	plans = ks_trace_plans(c, &n);
	for (int i = 0; i < n; i++) {
		const struct ks_probe_plan *pl = &plans[i];
		const struct ks_alt *a;

		if (!pl->wanted || pl->chosen < 0)
			continue;
		a = &pl->alts[pl->chosen];
		fprintf(stderr, "kscope: probe %s: %s/%s", pl->name,
			ks_hook_kind_name(a->hook.kind), a->hook.target);
		if (a->with_prog)
			fprintf(stderr, " with %s/%s", ks_hook_kind_name(a->with_hook.kind),
				a->with_hook.target);
		for (int j = 0; j < pl->chosen; j++)
			fprintf(stderr, "%s%s/%s: %s", j ? "; " : " (skipped ",
				ks_hook_kind_name(pl->alts[j].hook.kind), pl->alts[j].hook.target,
				pl->alts[j].why ? pl->alts[j].why : strerror(-pl->alts[j].err));
		fprintf(stderr, "%s\n", pl->chosen ? ")" : "");
	}
}

/* ---- -- PROGRAM ---------------------------------------------------------- */

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

/* Fork PROGRAM stopped before exec: it runs only once tracing is attached */
static int spawn_program(struct session *s)
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
		path = find_program(s->o->program[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);	/* kscope gave up before tracing started */
		if (path)
			execve(path, s->o->program, environ);
		execvp(s->o->program[0], s->o->program);	/* errors as the shell reports them */
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(e == ENOENT ? 127 : 126);
	}
	close(go[0]);
	close(err[1]);
	wait_blocked(pid);
	s->child = pid;
	s->child_go = go[1];
	s->child_err = err[0];
	return 0;
}

static void release_program(struct session *s)
{
	ssize_t n;
	int e;

	if (write(s->child_go, "g", 1) != 1)
		return;
	close(s->child_go);
	s->child_go = -1;
	/* EOF when exec succeeded (close-on-exec), errno when it failed */
	do {
		n = read(s->child_err, &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	close(s->child_err);
	s->child_err = -1;
	if (n == sizeof(e))
		ks_errorf("kscope: cannot run '%s': %s", s->o->program[0], strerror(e));
}

static void reap_program(struct session *s, bool block)
{
	int status;
	pid_t p;

	if (s->child <= 0 || s->child_done)
		return;
	do {
		p = waitpid(s->child, &status, block ? 0 : WNOHANG);
		/* a second stop signal means: stop now, do not wait for PROGRAM */
	} while (p < 0 && errno == EINTR && stop_count < 2);
	if (p == s->child) {
		s->child_done = true;
		s->child_status = status;
	}
}

static int program_exit_code(struct session *s)
{
	if (!s->child_done)
		return KS_EXIT_OK;
	if (WIFEXITED(s->child_status))
		return WEXITSTATUS(s->child_status);
	if (WIFSIGNALED(s->child_status))
		return 128 + WTERMSIG(s->child_status);
	return KS_EXIT_FAIL;
}

/* ---- the loop ------------------------------------------------------------ */

static bool output_failed(const struct session *s)
{
	for (int i = 0; i < s->n; i++)
		if (ks_trace_out(s->c[i])->err)
			return true;
	return false;
}

/* The caller's input file among the ready ones (its tag: KS_SESSION_MAX) */
static bool input_ready(const struct epoll_event *evs, int n)
{
	for (int i = 0; i < n; i++)
		if (evs[i].data.u32 == KS_SESSION_MAX)
			return true;
	return false;
}

static int session_loop(struct session *s)
{
	bool forwarded = false;

	for (;;) {
		struct epoll_event evs[KS_SESSION_MAX + 1];
		uint64_t now;
		int timeout, n, tick = 0;

		if (child_exited) {
			child_exited = 0;
			reap_program(s, false);
		}
		if (s->child_done || output_failed(s))
			break;
		if (stop_count) {
			/*
			 * With -- PROGRAM, the first signal is passed on (a
			 * terminal's Ctrl-C already reached it) and tracing
			 * goes on until it exits; a second one stops at once.
			 */
			if (s->child <= 0 || stop_count > 1)
				break;
			if (!forwarded) {
				forwarded = true;
				if (stop_sig != SIGINT)
					kill(s->child, stop_sig);
			}
		}
		now = ks_now_ns(CLOCK_MONOTONIC);
		timeout = s->o->flush_ms;
		for (int i = 0; i < s->n; i++)
			tick |= ks_trace_tick(s->c[i], now, &timeout);
		if ((tick & KS_TICK_REPORTED) && s->h && s->h->reported)
			s->h->reported(s->h->ctx, s->c, s->n);
		if (tick & KS_TICK_DONE)
			break;
		if (tick & KS_TICK_REPORTED)
			continue;
		n = epoll_wait(s->epfd, evs, ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR) {
			int err = -errno;

			fprintf(stderr, "kscope: epoll_wait: %s\n", strerror(-err));
			return err;
		}
		for (int i = 0; i < s->n; i++)
			ks_trace_poll(s->c[i], now);
		if (s->h && s->h->input && s->h->input_fd >= 0 &&
		    (n < 0 || input_ready(evs, n)) && s->h->input(s->h->ctx, s->c, s->n))
			break;
	}
	return 0;
}

/* "Tracing execs, syscalls... Hit Ctrl-C to end." in one write */
static void say_tracing(const struct ks_session_tracer *tr, int n)
{
	char line[512];
	size_t len = snprintf(line, sizeof(line), "Tracing ");

	for (int i = 0; i < n && len < sizeof(line); i++)
		len += snprintf(line + len, sizeof(line) - len, "%s%s", i ? ", " : "", tr[i].t->what);
	if (len < sizeof(line))
		snprintf(line + len, sizeof(line) - len, "... Hit Ctrl-C to end.\n");
	fputs(line, stderr);
}

int ks_session_run(const struct ks_session_tracer *tr, int n)
{
	return ks_session_run_hooks(tr, n, NULL);
}

int ks_session_run_hooks(const struct ks_session_tracer *tr, int n,
			 const struct ks_session_hooks *h)
{
	struct session s = { .tr = tr, .h = h, .epfd = -1, .child_go = -1, .child_err = -1 };
	int code = KS_EXIT_FAIL, checked = 0, err;
	const char *missing, *note;
	bool out_failed = false;

	if (n < 1 || n > KS_SESSION_MAX) {
		fprintf(stderr, "kscope: %d tracers in one process: 1 to %d\n", n,
			KS_SESSION_MAX);
		goto out_opts;
	}
	s.o = tr[0].o;
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
	verbose_level = s.o->verbose;
	libbpf_set_print(libbpf_print);
	install_signals();
	for (int i = 0; i < n; i++) {
		struct ks_trace *c = ks_trace_new(tr[i].t, tr[i].o, tr[i].state);

		if (!c)
			goto out;
		s.c[s.n++] = c;
		ks_trace_out(c)->stop = &stop_count;
		/* an output that cannot be written (stdout closed): say so before tracing */
		if (ks_out_failed(ks_trace_out(c), tr[i].o->output, NULL))
			goto out;
		checked++;
	}

	s.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s.epfd < 0) {
		fprintf(stderr, "kscope: cannot set up the ring buffer: %s\n", strerror(errno));
		goto out;
	}
	for (int i = 0; i < s.n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		if (ks_trace_open(s.c[i])) {
			say_why(s.c[i]);
			goto out;
		}
		if (tr[i].o->verbose)
			say_plans(s.c[i]);
		if (epoll_ctl(s.epfd, EPOLL_CTL_ADD, ks_trace_fd(s.c[i]), &ev)) {
			fprintf(stderr, "kscope: cannot set up the ring buffer: %s\n",
				strerror(errno));
			goto out;
		}
	}
	if (h && h->input && h->input_fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = KS_SESSION_MAX };

		if (epoll_ctl(s.epfd, EPOLL_CTL_ADD, h->input_fd, &ev)) {
			fprintf(stderr, "kscope: cannot poll the input: %s\n", strerror(errno));
			goto out;
		}
	}
	/* attached: now an existing -o FILE may be emptied */
	for (int i = 0; i < n; i++)
		if (ks_opts_begin_output(tr[i].o))
			goto out;
	if (s.o->program) {
		err = spawn_program(&s);
		for (int i = 0; !err && i < s.n; i++)
			err = ks_trace_track_pid(s.c[i], s.child);
		if (err) {
			ks_errorf("kscope: cannot start '%s': %s", s.o->program[0], strerror(-err));
			goto out;
		}
	}
	/* an output that fails at once: PROGRAM is not run for nothing (it exits 127) */
	for (int i = 0; i < s.n; i++)
		if (ks_trace_begin(s.c[i]))
			goto out;
	/* not under a caller that owns the terminal (kscope top's screen) */
	if (isatty(STDERR_FILENO) && !s.o->program && !(h && h->input))
		say_tracing(tr, n);
	if (s.o->program)
		release_program(&s);

	err = h && h->started ? h->started(h->ctx, s.c, s.n) : 0;
	if (err < 0)
		goto out;
	/* err > 0: a check, everything attached, nothing more to do */
	if (!err && session_loop(&s))
		goto out;
	code = KS_EXIT_OK;
	for (int i = 0; i < s.n; i++)
		if (ks_trace_end(s.c[i]) < 0)
			code = KS_EXIT_FAIL;
	if (h && h->ended)
		h->ended(h->ctx, s.c, s.n);
out:
	for (int i = 0; i < s.n; i++)
		ks_trace_lost_summary(s.c[i]);
	/*
	 * A write error is a failed run: the trace is incomplete. It wins over
	 * PROGRAM's exit status (docs/exit-codes.md); PROGRAM runs on to its end.
	 */
	note = s.child <= 0 ? NULL : s.child_go >= 0 ? "PROGRAM was not run" : !s.child_done ?
	       "tracing stopped; kscope exits 1 once PROGRAM ends" : NULL;
	for (int i = 0; i < checked; i++)
		if (ks_out_failed(ks_trace_out(s.c[i]), tr[i].o->output, note))
			out_failed = true;
	if (out_failed)
		code = KS_EXIT_FAIL;
	for (int i = 0; i < s.n; i++)
		ks_trace_close(s.c[i]);
	ks_probe_cleanup();
	if (s.epfd >= 0)
		close(s.epfd);
	if (s.child > 0) {
		if (s.child_go >= 0)
			close(s.child_go);	/* never released: it exits 127 */
		if (s.child_err >= 0)
			close(s.child_err);
		reap_program(&s, stop_count < 2);
		if (code == KS_EXIT_OK)
			code = program_exit_code(&s);
	}
out_opts:
	for (int i = 0; i < n; i++)
		ks_opts_release(tr[i].o);
	return code;
}

int ks_trace_run(const struct ks_tracer *t, struct ks_opts *o, void *state)
{
	const struct ks_session_tracer one = { t, o, state };

	return ks_session_run(&one, 1);
}

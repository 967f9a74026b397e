// SPDX-License-Identifier: GPL-2.0
/*
 * ks_trace_run() and ks_session_run() for the fuzz targets (fuzz.h): no BPF. The tracer's own
 * skeleton is opened (its embedded object parsed, never loaded: no kernel,
 * no privileges) and handed to the real start and finish, whose map reads
 * then simply fail, as on a kernel with nothing to report. With a feed,
 * each record goes to the tracer's event callback as the ring buffer hands
 * it over: a copy of exactly its length (8-byte aligned by malloc, so a
 * read past it is ASan's to find). A record of length 0xffff is no record
 * but an interval tick and a housekeeping pass. Output goes to fd 1, which
 * fuzz_quiet() made /dev/null.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/cli.h"
#include "engine/out.h"
#include "engine/trace.h"
#include "fuzz.h"

#define FUZZ_TICK 0xffff

struct fuzz_feed *fuzz_feed;

void fuzz_quiet(void)
{
	int fd = open("/dev/null", O_WRONLY);

	/* kscope's stderr lines: libFuzzer's -close_fd_mask=2 (mk/fuzz.mk) */
	if (fd < 0)
		abort();
	dup2(fd, STDOUT_FILENO);
	close(fd);
}

/* Each tracer's skeleton, opened once: parsing the embedded object per input would dominate */
static void *skeleton(const struct ks_tracer *t)
{
	static struct { const struct ks_tracer *t; void *skel; } cache[16];

	for (size_t i = 0; i < sizeof(cache) / sizeof(cache[0]); i++) {
		if (cache[i].t == t)
			return cache[i].skel;
		if (!cache[i].t) {
			cache[i].t = t;
			cache[i].skel = t->skel->open(NULL);
			if (!cache[i].skel)
				abort();
			return cache[i].skel;
		}
	}
	abort();
}

/*
 * A session (kscope container: its parts, then itself): every tracer started,
 * reported at each tick and finished in order, as the engine's loop does;
 * the records go to the last one (the command whose own records they are).
 */
int ks_session_run(const struct ks_session_tracer *tr, int n)
{
	struct fuzz_feed *f = fuzz_feed;
	struct ks_out out[KS_SESSION_MAX];
	const struct ks_tracer *t = tr[n - 1].t;
	struct ks_opts *o = tr[n - 1].o;
	void *state = tr[n - 1].state;
	int ok = 0;

	for (; f && ok < n; ok++)
		if (ks_out_init(&out[ok], tr[ok].o->out_fd, tr[ok].o->json, tr[ok].o->wallclock))
			break;
	if (f && ok == n) {
		const uint8_t *p = f->data, *end = f->data + f->size;
		uint64_t ticks = 0;

		for (int i = 0; i < n; i++) {
			ks_out_set_epoch(&out[i]);
			out[i].sink = tr[i].o->sink;
			out[i].sink_priv = tr[i].o->sink_priv;
			if (f->start && tr[i].t->start)
				tr[i].t->start(tr[i].state, skeleton(tr[i].t), &out[i]);
		}
		while (end - p >= 2) {
			size_t len = p[0] | (size_t)p[1] << 8;
			void *rec;

			p += 2;
			if (len == FUZZ_TICK) {
				unsigned flags = ks_tick_report_flags(o, ticks++);

				for (int i = 0; f->finish && i < n; i++)
					if (tr[i].t->report)
						tr[i].t->report(tr[i].state, &out[i], flags);
				/* the engine stops after the last of [count] */
				if (f->finish && t->report && o->count && ticks >= o->count)
					break;
				for (int i = 0; f->finish && i < n; i++)
					if (tr[i].t->housekeeping)
						tr[i].t->housekeeping(tr[i].state);
				continue;
			}
			rec = malloc(len ? len : 1);
			if (!rec)
				abort();
			if (len > (size_t)(end - p))
				len = end - p;
			memcpy(rec, p, len);
			t->event(state, &out[n - 1], rec, len);
			free(rec);
			p += len;
		}
		for (int i = 0; i < n; i++) {
			if (f->finish && tr[i].t->report && ks_end_needs_report(tr[i].o, ticks))
				tr[i].t->report(tr[i].state, &out[i], KS_REPORT_LAST | KS_REPORT_END);
			if (f->finish && tr[i].t->finish)
				tr[i].t->finish(tr[i].state, &out[i]);
		}
	}
	for (int i = 0; i < ok; i++) {
		ks_out_flush(&out[i]);
		ks_out_free(&out[i]);
	}
	for (int i = 0; i < n; i++)
		ks_opts_release(tr[i].o);
	return 0;
}

int ks_trace_run(const struct ks_tracer *t, struct ks_opts *o, void *state)
{
	const struct ks_session_tracer one = { t, o, state };

	return ks_session_run(&one, 1);
}

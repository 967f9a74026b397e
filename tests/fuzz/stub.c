// SPDX-License-Identifier: GPL-2.0
/*
 * ks_trace_run() for the fuzz targets (fuzz.h): no BPF. The tracer's own
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

int ks_trace_run(const struct ks_tracer *t, struct ks_opts *o, void *state)
{
	struct fuzz_feed *f = fuzz_feed;
	struct ks_out out;

	if (f && !ks_out_init(&out, o->out_fd, o->json, o->wallclock)) {
		const uint8_t *p = f->data, *end = f->data + f->size;
		void *skel = skeleton(t);
		uint64_t ticks = 0;

		ks_out_set_epoch(&out);
		if (f->start && t->start)
			t->start(state, skel, &out);
		while (end - p >= 2) {
			size_t n = p[0] | (size_t)p[1] << 8;
			void *rec;

			p += 2;
			if (n == FUZZ_TICK) {
				if (f->finish && t->report)
					t->report(state, &out, ks_tick_report_flags(o, ticks++));
				/* the engine stops after the last of [count] */
				if (f->finish && t->report && o->count && ticks >= o->count)
					break;
				if (f->finish && t->housekeeping)
					t->housekeeping(state);
				continue;
			}
			rec = malloc(n ? n : 1);
			if (!rec)
				abort();
			if (n > (size_t)(end - p))
				n = end - p;
			memcpy(rec, p, n);
			t->event(state, &out, rec, n);
			free(rec);
			p += n;
		}
		if (f->finish && t->report && ks_end_needs_report(o, ticks))
			t->report(state, &out, KS_REPORT_LAST | KS_REPORT_END);
		if (f->finish && t->finish)
			t->finish(state, &out);
		ks_out_flush(&out);
		ks_out_free(&out);
	}
	ks_opts_release(o);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fuzz targets share (tests/fuzz, mk/fuzz.mk, docs/testing.md):
 * the targets link kscope's objects but for src/engine/trace.c and
 * session.c, whose ks_trace_run() stub.c replaces, so that a command's
 * real entry point (cmd_proc...) parses its real command line and builds
 * its real state, and then, instead of the kernel, the fuzzer's records
 * reach the command's event callback.
 */
#ifndef KSCOPE_FUZZ_H
#define KSCOPE_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kscope.h"    /* cmd_proc()... */

struct ks_tracer;

/* Records for the stub to deliver (NULL: parse only), in the format below */
struct fuzz_feed {
	const uint8_t *data;    /* records: [u16 little-endian length][bytes]... */
	size_t size;
	bool start, finish;     /* call the tracer's start/finish (those that need no kernel) */
};

extern struct fuzz_feed *fuzz_feed;

/* Output (fd 1) to /dev/null */
void fuzz_quiet(void);


#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the unit tests that check what kscope renders, byte for byte: a
 * struct ks_out whose buffer the test reads (its fd is /dev/null, so a
 * flush writes nowhere). Include after <cmocka.h>.
 */
#ifndef KSCOPE_UNIT_OUT_H
#define KSCOPE_UNIT_OUT_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/out.h"

/* An empty output, text or JSON, wall-clock timestamps or not */
static inline void out_open_wall(struct ks_out *o, bool json, bool wallclock)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ks_out_init(o, fd, json, wallclock), 0);
	assert_non_null(o->buf);
	assert_int_equal(o->len, 0);
	assert_int_equal(o->err, 0);
}

/* ... with monotonic timestamps counted from 0 */
static inline void out_open(struct ks_out *o, bool json)
{
	out_open_wall(o, json, false);
	o->t0_ns = 0;
}

static inline void out_close(struct ks_out *o)
{
	close(o->fd);
	ks_out_free(o);
	assert_null(o->buf);
}

/* Compare what is buffered in o with the expected text, then empty the buffer */
static inline void check_buf(struct ks_out *o, const char *expected)
{
	char *got = strndup(o->buf ? o->buf : "", o->len);

	assert_non_null(got);
	assert_string_equal(got, expected);
	assert_int_equal(o->len, strlen(expected));
	free(got);
	o->len = 0;
}

#endif

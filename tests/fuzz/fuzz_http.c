// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_http: the agent's HTTP request parser (src/agent/http.c,
 * ks_http_parse) on whatever bytes a client sends, with the default head
 * cap and with caps inside the input (the 431 paths). Besides the
 * sanitizers' checks, the parser's contract (http.h):
 *   - only the documented errors, a head length within len and the cap,
 *     ending in a line feed;
 *   - a complete head is a GET or HEAD whose fields point into the head,
 *     the path starting with '/' (or empty) and free of the query;
 *   - the head alone parses the same, and a prefix never disagrees: a
 *     prefix of a good or incomplete request is incomplete (or the same
 *     head), a prefix of a bad one is incomplete or the same error.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/http.h"

static void in_buf(const char *p, size_t n, const char *buf, size_t len, bool may_be_null)
{
	if (!p) {
		if (!may_be_null || n)
			abort();
		return;
	}
	if (p < buf || n > len || p - buf > (ptrdiff_t)(len - n))
		abort();
}

static bool same(const struct ks_http_req *a, const struct ks_http_req *b)
{
	return a->method == b->method && a->path == b->path && a->path_len == b->path_len &&
	       a->target == b->target && a->target_len == b->target_len &&
	       a->http10 == b->http10 && a->keep_alive == b->keep_alive &&
	       a->gzip == b->gzip && a->auth == b->auth && a->auth_len == b->auth_len &&
	       a->host == b->host && a->host_len == b->host_len;
}

static void check(const char *buf, size_t len, size_t max_header)
{
	struct ks_http_req req, again;
	int r = ks_http_parse(buf, len, max_header, &req), p;
	size_t cut[3] = { len / 2, len ? len - 1 : 0, len ? (unsigned char)buf[0] % len : 0 };

	switch (r) {
	case -400: case -405: case -414: case -431: case -505:
		break;
	default:
		if (r < 0)
			abort();
	}
	if (r == -431 && len < max_header)
		abort();
	if (r > 0) {
		if ((size_t)r > len || (size_t)r > max_header || buf[r - 1] != '\n')
			abort();
		if (req.method != KS_HTTP_GET && req.method != KS_HTTP_HEAD)
			abort();
		in_buf(req.target, req.target_len, buf, r, false);
		in_buf(req.path, req.path_len, req.target, req.target_len, false);
		if (!req.target_len || req.target_len > KS_HTTP_MAX_TARGET)
			abort();
		if (req.path_len && req.path[0] != '/')
			abort();
		if (memchr(req.path, '?', req.path_len))
			abort();
		in_buf(req.auth, req.auth_len, buf, r, true);
		in_buf(req.host, req.host_len, buf, r, true);
		if (ks_http_parse(buf, r, max_header, &again) != r || !same(&req, &again))
			abort();
	}
	for (int i = 0; i < 3; i++) {
		p = ks_http_parse(buf, cut[i], max_header, &again);
		if (r > 0 && p != (cut[i] >= (size_t)r ? r : 0))
			abort();
		if (r == 0 && p != 0)
			abort();
		if (r < 0 && p != 0 && p != r)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;

	check(buf, size, KS_HTTP_MAX_HEADER);
	/* caps the input runs into */
	check(buf, size, size / 2 + 1);
	check(buf, size, size ? 1 + (unsigned char)buf[size - 1] : 0);
	return 0;
}

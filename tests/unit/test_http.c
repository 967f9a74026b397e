// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for src/agent/http.c, the agent's HTTP/1.1 server: the request
 * parser on exact inputs (methods, targets, versions, the keep-alive and
 * gzip rules, every error it answers), then the server end to end, in this
 * process, over loopback sockets: the endpoints with exact status lines and
 * bodies, gzip (inflated and compared), keep-alive and pipelining, and the
 * clients that must not break it: huge heads, garbage, a thousand idle
 * connections, a full table, silent and slow clients, a publish while a
 * response is being written, and a prompt stop with connections open.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <zlib.h>
#include <cmocka.h>

#include "agent/http.h"

/* ---- the parser ------------------------------------------------------------ */

static int parse(const char *s, struct ks_http_req *req)
{
	return ks_http_parse(s, strlen(s), KS_HTTP_MAX_HEADER, req);
}

/* The whole string is one complete head */
static void parse_ok(const char *s, struct ks_http_req *req)
{
	assert_int_equal(parse(s, req), (int)strlen(s));
}

static void parse_err(const char *s, int err)
{
	struct ks_http_req req;

	assert_int_equal(parse(s, &req), err);
}

static void assert_span(const char *p, size_t n, const char *want)
{
	assert_non_null(p);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

static void test_parse_get_head(void **state)
{
	static const char get[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9435\r\n"
				  "Authorization:  Basic YWRtaW46c2VjcmV0 \r\n\r\n";
	struct ks_http_req r;

	parse_ok(get, &r);
	assert_int_equal(r.method, KS_HTTP_GET);
	assert_span(r.path, r.path_len, "/metrics");
	assert_span(r.target, r.target_len, "/metrics");
	assert_false(r.http10);
	assert_true(r.keep_alive);
	assert_false(r.gzip);
	assert_span(r.host, r.host_len, "127.0.0.1:9435");
	/* optional whitespace trimmed both sides */
	assert_span(r.auth, r.auth_len, "Basic YWRtaW46c2VjcmV0");
	/* the fields point into the buffer */
	assert_ptr_equal(r.path, get + 4);

	parse_ok("HEAD / HTTP/1.1\r\n\r\n", &r);
	assert_int_equal(r.method, KS_HTTP_HEAD);
	assert_span(r.path, r.path_len, "/");
	assert_null(r.auth);
	assert_null(r.host);

	/* the query string is no part of the path */
	parse_ok("GET /metrics?name[]=a&x=%20 HTTP/1.1\r\n\r\n", &r);
	assert_span(r.path, r.path_len, "/metrics");
	assert_span(r.target, r.target_len, "/metrics?name[]=a&x=%20");
	parse_ok("GET /?x HTTP/1.1\r\n\r\n", &r);
	assert_span(r.path, r.path_len, "/");
	parse_ok("GET //metrics HTTP/1.1\r\n\r\n", &r);
	assert_span(r.path, r.path_len, "//metrics");

	/* absolute-form (RFC 9112 3.2.2); without a path, path_len is 0 ("/") */
	parse_ok("GET http://example.com:9435/metrics?x HTTP/1.1\r\n\r\n", &r);
	assert_span(r.path, r.path_len, "/metrics");
	parse_ok("GET HTTPS://h?x HTTP/1.1\r\n\r\n", &r);
	assert_int_equal(r.path_len, 0);
	parse_ok("GET http://h HTTP/1.1\r\n\r\n", &r);
	assert_int_equal(r.path_len, 0);
	parse_err("GET http:///x HTTP/1.1\r\n\r\n", -400);
	parse_err("GET ftp://h/x HTTP/1.1\r\n\r\n", -400);
	parse_err("GET metrics HTTP/1.1\r\n\r\n", -400);
	parse_err("GET * HTTP/1.1\r\n\r\n", -400);
}

static void test_parse_keep_alive(void **state)
{
	struct ks_http_req r;

	parse_ok("GET / HTTP/1.1\r\n\r\n", &r);
	assert_true(r.keep_alive);
	parse_ok("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &r);
	assert_false(r.keep_alive);
	parse_ok("GET / HTTP/1.1\r\nconnection: Keep-Alive, CLOSE\r\n\r\n", &r);
	assert_false(r.keep_alive);
	parse_ok("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", &r);
	assert_true(r.keep_alive);
	parse_ok("GET / HTTP/1.1\r\nConnection: closed, upgrade\r\n\r\n", &r);
	assert_true(r.keep_alive);

	parse_ok("GET / HTTP/1.0\r\n\r\n", &r);
	assert_true(r.http10);
	assert_false(r.keep_alive);
	parse_ok("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r);
	assert_true(r.keep_alive);
	parse_ok("GET / HTTP/1.0\r\nCONNECTION:KEEP-ALIVE\r\n\r\n", &r);
	assert_true(r.keep_alive);
	/* two fields are one list */
	parse_ok("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", &r);
	assert_false(r.keep_alive);
}

static bool gzip_of(const char *ae)
{
	char buf[512];
	struct ks_http_req r;

	snprintf(buf, sizeof(buf), "GET /metrics HTTP/1.1\r\nAccept-Encoding: %s\r\n\r\n", ae);
	parse_ok(buf, &r);
	return r.gzip;
}

static void test_parse_gzip(void **state)
{
	struct ks_http_req r;

	assert_true(gzip_of("gzip"));
	assert_true(gzip_of("GZip"));
	assert_true(gzip_of("x-gzip"));
	assert_true(gzip_of("deflate, gzip"));
	assert_true(gzip_of("gzip;q=1"));
	assert_true(gzip_of("gzip;q=1.000"));
	assert_true(gzip_of("gzip;q=0.5"));
	assert_true(gzip_of("gzip; Q=0.001"));
	assert_true(gzip_of("gzip ; q = 0.8"));
	assert_true(gzip_of("gzip;level=1"));
	assert_true(gzip_of("gzip;"));
	assert_true(gzip_of("*"));
	assert_true(gzip_of("identity;q=0.5, *;q=0.1"));
	assert_true(gzip_of(",,gzip,,"));
	assert_true(gzip_of("gzip;q=0, gzip"));

	assert_false(gzip_of(""));
	assert_false(gzip_of("identity"));
	assert_false(gzip_of("deflate, br"));
	assert_false(gzip_of("gzipx"));
	assert_false(gzip_of("gzip;q=0"));
	assert_false(gzip_of("GZIP;Q=0.0"));
	assert_false(gzip_of("gzip;q=0.000"));
	assert_false(gzip_of("*;q=0"));
	/* an explicit gzip decides over "*" */
	assert_false(gzip_of("gzip;q=0, *"));
	assert_false(gzip_of("*, gzip;q=0"));
	/* a malformed q is not an offer */
	assert_false(gzip_of("gzip;q=abc"));
	assert_false(gzip_of("gzip;q=1.5"));
	assert_false(gzip_of("gzip;q=0.0001"));
	assert_false(gzip_of("gzip;q"));
	assert_false(gzip_of("gzip foo"));

	/* no field: identity */
	parse_ok("GET / HTTP/1.1\r\n\r\n", &r);
	assert_false(r.gzip);
	/* two fields are one list */
	parse_ok("GET / HTTP/1.1\r\nAccept-Encoding: br\r\naccept-encoding: gzip\r\n\r\n", &r);
	assert_true(r.gzip);
}

static void test_parse_errors(void **state)
{
	static const char nul_line[] = "GET /\0 HTTP/1.1\r\n\r\n";
	static const char nul_field[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
	static const char nul_partial[] = "GET / HTTP/1.1\r\nX: a\0";
	struct ks_http_req r;

	/* 405: well-formed, neither GET nor HEAD; known once the line is complete */
	parse_err("POST /metrics HTTP/1.1\r\n\r\n", -405);
	parse_err("OPTIONS * HTTP/1.1\r\n\r\n", -405);
	parse_err("get / HTTP/1.1\r\n\r\n", -405);
	parse_err("DELETE /x HTTP/1.0\r\n", -405);
	assert_int_equal(parse("DELETE /x HTTP/1.0", &r), 0);
	parse_err("POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", -405);

	/* 400: the request line */
	parse_err("GET\r\n\r\n", -400);
	parse_err("GET /\r\n\r\n", -400);		/* HTTP/0.9 */
	parse_err("GET  / HTTP/1.1\r\n\r\n", -400);
	parse_err("GET / HTTP/1.1 \r\n\r\n", -400);
	parse_err("GET /\tx HTTP/1.1\r\n\r\n", -400);
	parse_err(" GET / HTTP/1.1\r\n\r\n", -400);
	parse_err("GET / http/1.1\r\n\r\n", -400);
	parse_err("GET / HTTP/1.10\r\n\r\n", -400);
	parse_err("GET / HTTP/11\r\n\r\n", -400);
	parse_err("GET / HTTP/1.1\r\r\n\r\n", -400);
	parse_err("GET /\xc3\xa9 HTTP/1.1\r\n\r\n", -400);
	parse_err("G{T / HTTP/1.1\r\n\r\n", -400);
	parse_err("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", -400);	/* a TLS hello */
	assert_int_equal(ks_http_parse(nul_line, sizeof(nul_line) - 1, 1024, &r), -400);

	/* 400: the fields */
	parse_err("GET / HTTP/1.1\r\nHost x\r\n\r\n", -400);
	parse_err("GET / HTTP/1.1\r\nHost : x\r\n\r\n", -400);
	parse_err("GET / HTTP/1.1\r\n: x\r\n\r\n", -400);
	parse_err("GET / HTTP/1.1\r\nX(: x\r\n\r\n", -400);
	parse_err("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", -400);		/* a bare CR */
	parse_err("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", -400);
	parse_err("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", -400);
	assert_int_equal(ks_http_parse(nul_field, sizeof(nul_field) - 1, 1024, &r), -400);
	assert_int_equal(ks_http_parse(nul_partial, sizeof(nul_partial) - 1, 1024, &r), -400);
	/* obs-fold, and whitespace before the first field */
	parse_err("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", -400);
	parse_err("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", -400);
	parse_err("GET / HTTP/1.1\r\n Host: a\r\n\r\n", -400);
	/* a body */
	parse_err("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", -400);
	parse_err("GET / HTTP/1.1\r\nContent-Length: -0\r\n\r\n", -400);
	parse_err("GET / HTTP/1.1\r\nContent-Length:\r\n\r\n", -400);
	parse_err("GET / HTTP/1.1\r\nContent-Length: 0, 0\r\n\r\n", -400);
	parse_err("GET / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n", -400);
	parse_ok("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &r);
	parse_ok("GET / HTTP/1.1\r\nContent-Length: 000\r\n\r\n", &r);
	/* two Hosts (RFC 9112 3.2) */
	parse_err("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", -400);
	/* an error on a complete line is known before the blank line */
	parse_err("GET / HTTP/1.1\r\nbad\r\n", -400);

	/* 505 */
	parse_err("GET / HTTP/2.0\r\n\r\n", -505);
	parse_err("GET / HTTP/1.2\r\n\r\n", -505);
	parse_err("GET / HTTP/0.9\r\n\r\n", -505);
	parse_err("POST / HTTP/3.0\r\n\r\n", -505);
	/* judged when the line is complete: "HTTP/2.0x" is a 400, not a 505 */
	assert_int_equal(parse("GET / HTTP/2.0", &r), 0);
	parse_err("GET / HTTP/2.0x\r\n\r\n", -400);
}

static void test_parse_limits(void **state)
{
	char *buf = malloc(KS_HTTP_MAX_TARGET + 100), *p;
	struct ks_http_req r;
	char head[300];

	/* a target of 8 KiB is fine, one byte more is a 414, line end or not */
	p = stpcpy(buf, "GET /");
	memset(p, 'a', KS_HTTP_MAX_TARGET - 1);
	strcpy(p + KS_HTTP_MAX_TARGET - 1, " HTTP/1.1\r\n\r\n");
	parse_ok(buf, &r);
	assert_int_equal(r.path_len, KS_HTTP_MAX_TARGET);
	memset(p, 'a', KS_HTTP_MAX_TARGET);
	p[KS_HTTP_MAX_TARGET] = '\0';
	assert_int_equal(parse(buf, &r), -414);
	strcpy(p + KS_HTTP_MAX_TARGET, " HTTP/1.1\r\n\r\n");
	assert_int_equal(parse(buf, &r), -414);
	/* a NUL after the 8 KiB: the 414 comes first, line end or not */
	p[KS_HTTP_MAX_TARGET + 1] = '\0';
	assert_int_equal(ks_http_parse(buf, 5 + KS_HTTP_MAX_TARGET + 2, KS_HTTP_MAX_HEADER, &r), -414);
	assert_int_equal(ks_http_parse(buf, 5 + KS_HTTP_MAX_TARGET + 14, KS_HTTP_MAX_HEADER, &r), -414);
	free(buf);

	/* 431: no blank line within max_header bytes */
	memset(head, 0, sizeof(head));
	p = stpcpy(head, "GET / HTTP/1.1\r\nX: ");
	memset(p, 'x', 256 - 2 - (p - head));
	strcpy(head + 254, "\r\n");
	assert_int_equal(ks_http_parse(head, 256, 256, &r), -431);
	assert_int_equal(ks_http_parse(head, 255, 256, &r), 0);
	assert_int_equal(ks_http_parse(head, 256, 257, &r), 0);
	assert_int_equal(ks_http_parse(head, 256, 255, &r), -431);
	strcpy(head + 256, "\r\n");
	/* a head of exactly max_header is fine, longer is not */
	assert_int_equal(ks_http_parse(head, 258, 258, &r), 258);
	assert_int_equal(ks_http_parse(head, 258, 257, &r), -431);
	assert_int_equal(ks_http_parse(head, 257, 257, &r), -431);
	assert_int_equal(ks_http_parse(head, 257, 258, &r), 0);
	/* bytes after the head (the next request) do not count */
	strcpy(head + 258, "GET / HTTP/1.1\r\n");
	assert_int_equal(ks_http_parse(head, strlen(head), 258, &r), 258);

	/* empty lines before a request line are skipped, up to 8 */
	parse_ok("\r\n\n\r\nGET / HTTP/1.1\r\n\r\n", &r);
	parse_ok("\n\n\n\n\n\n\n\nGET / HTTP/1.1\r\n\r\n", &r);
	parse_err("\n\n\n\n\n\n\n\n\nGET / HTTP/1.1\r\n\r\n", -400);
	assert_int_equal(parse("\r\n\r\n", &r), 0);
}

static void test_parse_partial(void **state)
{
	static const char *const heads[] = {
		"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n",
		"HEAD / HTTP/1.0\nConnection: keep-alive\n\n",
		"\r\nGET http://h/x HTTP/1.1\r\nX:\r\nY: \t \r\n\n",
	};
	struct ks_http_req r;

	/* every prefix of a good head wants more; the whole is one head */
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		size_t n = strlen(heads[i]);

		for (size_t k = 0; k < n; k++)
			assert_int_equal(ks_http_parse(heads[i], k, KS_HTTP_MAX_HEADER, &r), 0);
		assert_int_equal(ks_http_parse(heads[i], n, KS_HTTP_MAX_HEADER, &r), (int)n);
	}
	/* bare LF line ends, and both mixed */
	parse_ok("GET / HTTP/1.1\nHost: a\n\n", &r);
	assert_span(r.host, r.host_len, "a");
	parse_ok("GET / HTTP/1.1\r\nHost: a\n\r\n", &r);
	/* the CR of a CRLF not yet followed by its LF */
	assert_int_equal(parse("GET / HTTP/1.1\r", &r), 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r", &r), 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n\r", &r), 0);
	/* pipelined: the first head only */
	assert_int_equal(parse("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", &r), 19);
	assert_span(r.path, r.path_len, "/a");
	/* garbage is known at once, without a line end */
	parse_err("GE\x01", -400);
	parse_err("GET /a\x01", -400);
	parse_err("GET / HTTQ", -400);
}

static void test_parse_case(void **state)
{
	struct ks_http_req r;

	parse_ok("GET / HTTP/1.1\r\nCONNECTION: CLOSE\r\nACCEPT-ENCODING: GZIP\r\n"
		 "AUTHORIZATION: Bearer t\r\nhOsT: h\r\n\r\n", &r);
	assert_false(r.keep_alive);
	assert_true(r.gzip);
	assert_span(r.auth, r.auth_len, "Bearer t");
	assert_span(r.host, r.host_len, "h");
	/* a method is case-sensitive (RFC 9110 9.1), a header name is not */
	parse_err("Get / HTTP/1.1\r\n\r\n", -405);
	parse_err("GET / HTTP/1.1\r\nTRANSFER-ENCODING: gzip\r\n\r\n", -400);
}

/* ---- the server: client helpers ---------------------------------------------- */

static struct ks_http_server *srv_start(struct ks_http_config *cfg, int *port)
{
	struct ks_http_server *s;
	char err[256] = "";
	int fd = ks_http_listen("127.0.0.1:0", err, sizeof(err));

	assert_true(fd >= 0);
	assert_string_equal(err, "");
	*port = ks_http_port(fd);
	assert_true(*port > 0);
	cfg->fd = fd;
	s = ks_http_start(cfg);
	assert_non_null(s);
	return s;
}

static int dial(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	/* a server that does not answer fails the test, it does not hang it */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		assert_true(w > 0);
		p = (const char *)p + w;
		n -= w;
	}
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

struct resp {
	char head[4096];	/* status line and fields */
	char line[128];		/* the status line */
	char *body;		/* Content-Length bytes (NUL after them) */
	size_t len;		/* the Content-Length */
};

/* A field's value in a response head (static), or NULL */
static const char *field(const struct resp *r, const char *name)
{
	static char val[512];
	size_t n = strlen(name);

	for (const char *p = strstr(r->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
		const char *e = strstr(p + 2, "\r\n");

		if (e && !strncasecmp(p + 2, name, n) && p[2 + n] == ':') {
			const char *v = p + 3 + n;

			while (*v == ' ')
				v++;
			snprintf(val, sizeof(val), "%.*s", (int)(e - v), v);
			return val;
		}
	}
	return NULL;
}

/*
 * Reads one response: the head byte by byte (so that what follows stays
 * in the socket), then Content-Length bytes of body (none after a HEAD).
 * 0, or -1 at EOF (or a timeout) before its first byte.
 */
static int get_resp(int fd, bool head_req, struct resp *r)
{
	size_t n = 0;
	const char *cl;

	memset(r, 0, sizeof(*r));
	while (n < sizeof(r->head) - 1) {
		ssize_t k = recv(fd, r->head + n, 1, 0);

		if (k <= 0) {
			assert_int_equal(n, 0);
			return -1;
		}
		n++;
		if (n >= 4 && !memcmp(r->head + n - 4, "\r\n\r\n", 4))
			break;
	}
	assert_true(n >= 4 && !memcmp(r->head + n - 4, "\r\n\r\n", 4));
	snprintf(r->line, sizeof(r->line), "%.*s", (int)(strstr(r->head, "\r\n") - r->head),
		 r->head);
	cl = field(r, "Content-Length");
	assert_non_null(cl);
	r->len = strtoull(cl, NULL, 10);
	r->body = malloc(r->len + 1);
	assert_non_null(r->body);
	r->body[0] = '\0';
	if (head_req)
		return 0;
	for (size_t got = 0; got < r->len;) {
		ssize_t k = recv(fd, r->body + got, r->len - got, 0);

		assert_true(k > 0);
		got += k;
	}
	r->body[r->len] = '\0';
	return 0;
}

static void resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* The server closed the connection (a FIN, not a reset) */
static void expect_eof(int fd)
{
	char c;

	assert_int_equal(recv(fd, &c, 1, 0), 0);
}

/* One request on its own connection: the response's status line and body */
static void expect(int port, const char *req, const char *line, const char *body)
{
	struct resp r;
	int fd = dial(port);

	send_str(fd, req);
	assert_int_equal(get_resp(fd, !strncmp(req, "HEAD ", 5), &r), 0);
	assert_string_equal(r.line, line);
	if (body)
		assert_string_equal(r.body, body);
	resp_free(&r);
	close(fd);
}

static char *gunzip(const char *in, size_t n, size_t want)
{
	char *out = malloc(want + 1);
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_non_null(out);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = n;
	z.next_out = (Bytef *)out;
	z.avail_out = want + 1;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, want);
	assert_int_equal(z.avail_in, 0);
	inflateEnd(&z);
	out[want] = '\0';
	return out;
}

/* A metrics text of about n bytes, each line different */
static char *metrics_text(size_t n)
{
	char *t = malloc(n + 64);
	size_t len = 0;

	assert_non_null(t);
	for (unsigned i = 0; len < n; i++)
		len += sprintf(t + len, "kscope_test_total{cpu=\"%u\",comm=\"w%u\"} %u\n",
			       i % 64, i, i * 7919);
	return t;
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* The server thread runs apart: wait (up to 5 s) until it accepted n connections */
static void wait_accepted(struct ks_http_server *s, uint64_t n)
{
	struct ks_http_stats st;

	for (int i = 0; i < 5000; i++) {
		ks_http_stats(s, &st);
		if (st.conns_accepted >= n)
			return;
		usleep(1000);
	}
	fail_msg("accepted %llu connections, not %llu", (unsigned long long)st.conns_accepted,
		 (unsigned long long)n);
}

#define PLAIN "text/plain; charset=utf-8"
#define PROM "text/plain; version=0.0.4; charset=utf-8"

/* ---- the server: endpoints --------------------------------------------------- */

static void test_server_endpoints(void **state)
{
	struct ks_http_config cfg = {};
	struct ks_http_stats st;
	struct resp r;
	int port, fd;
	struct ks_http_server *s = srv_start(&cfg, &port);
	char *text = metrics_text(20000), *plain;
	size_t tlen = strlen(text);

	assert_int_equal(ks_http_publish(s, text, tlen), 0);

	/* plain */
	fd = dial(port);
	send_str(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 200 OK");
	assert_string_equal(field(&r, "Content-Type"), PROM);
	assert_string_equal(field(&r, "Vary"), "Accept-Encoding");
	assert_null(field(&r, "Content-Encoding"));
	assert_null(field(&r, "Connection"));
	assert_non_null(field(&r, "Date"));
	assert_int_equal(r.len, tlen);
	assert_memory_equal(r.body, text, tlen);
	resp_free(&r);

	/* gzip, on the same connection: the pre-compressed copy */
	send_str(fd, "GET /metrics HTTP/1.1\r\nAccept-Encoding: deflate, gzip\r\n\r\n");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 200 OK");
	assert_string_equal(field(&r, "Content-Encoding"), "gzip");
	assert_string_equal(field(&r, "Vary"), "Accept-Encoding");
	assert_true(r.len < tlen / 2);
	plain = gunzip(r.body, r.len, tlen);
	assert_memory_equal(plain, text, tlen);
	free(plain);
	resp_free(&r);

	/* HEAD: the same length, no body (the next response follows at once) */
	send_str(fd, "HEAD /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(get_resp(fd, true, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 200 OK");
	assert_int_equal(r.len, tlen);
	resp_free(&r);
	send_str(fd, "HEAD /metrics?x HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n");
	assert_int_equal(get_resp(fd, true, &r), 0);
	assert_string_equal(field(&r, "Content-Encoding"), "gzip");
	assert_true(r.len > 0 && r.len < tlen / 2);
	resp_free(&r);
	send_str(fd, "GET /-/healthy HTTP/1.1\r\n\r\n");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 200 OK");
	assert_string_equal(r.body, "OK\n");
	assert_string_equal(field(&r, "Content-Type"), PLAIN);
	resp_free(&r);
	close(fd);

	expect(port, "GET /-/ready HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "OK\n");
	expect(port, "HEAD /-/healthy HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "");

	/* the landing page links the metrics */
	fd = dial(port);
	send_str(fd, "GET / HTTP/1.1\r\n\r\n");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 200 OK");
	assert_string_equal(field(&r, "Content-Type"), "text/html; charset=utf-8");
	assert_non_null(strstr(r.body, "<a href=\"/metrics\">"));
	resp_free(&r);
	close(fd);

	/* 404 and 405 close the connection */
	fd = dial(port);
	send_str(fd, "GET /metrics/ HTTP/1.1\r\n\r\n");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 404 Not Found");
	assert_string_equal(r.body, "not found\n");
	assert_string_equal(field(&r, "Content-Type"), PLAIN);
	assert_string_equal(field(&r, "Connection"), "close");
	resp_free(&r);
	expect_eof(fd);
	close(fd);
	fd = dial(port);
	send_str(fd, "POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 405 Method Not Allowed");
	assert_string_equal(r.body, "method not allowed\n");
	assert_string_equal(field(&r, "Allow"), "GET, HEAD");
	assert_string_equal(field(&r, "Connection"), "close");
	resp_free(&r);
	expect_eof(fd);
	close(fd);
	expect(port, "HEAD /nothing HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found", "");

	/* 200: 8 (2 scrapes + 2 HEADs of metrics), 4xx: 3 */
	ks_http_stats(s, &st);
	assert_int_equal(st.requests[KS_HTTP_2XX], 8);
	assert_int_equal(st.requests[KS_HTTP_3XX], 0);
	assert_int_equal(st.requests[KS_HTTP_4XX], 3);
	assert_int_equal(st.requests[KS_HTTP_5XX], 0);
	assert_int_equal(st.requests[KS_HTTP_TIMEOUT], 0);
	assert_int_equal(st.scrapes, 4);
	assert_int_equal(st.conns_accepted, 7);
	assert_int_equal(st.conns_dropped, 0);
	ks_http_stop(s);
	free(text);
}

static void test_server_not_ready(void **state)
{
	struct ks_http_config cfg = {};
	struct ks_http_stats st;
	int port;
	struct ks_http_server *s = srv_start(&cfg, &port);

	expect(port, "GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 503 Service Unavailable",
	       "not ready\n");
	expect(port, "GET /-/ready HTTP/1.1\r\n\r\n", "HTTP/1.1 503 Service Unavailable",
	       "not ready\n");
	expect(port, "GET /-/healthy HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "OK\n");
	/* an empty text is a text */
	assert_int_equal(ks_http_publish(s, NULL, 0), 0);
	expect(port, "GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "");
	assert_int_equal(ks_http_publish(s, "a 1\n", 4), 0);
	expect(port, "GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "a 1\n");
	expect(port, "GET /-/ready HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "OK\n");
	ks_http_stats(s, &st);
	assert_int_equal(st.requests[KS_HTTP_5XX], 2);
	assert_int_equal(st.requests[KS_HTTP_2XX], 4);
	assert_int_equal(st.scrapes, 2);
	ks_http_stop(s);
}

static void test_server_config(void **state)
{
	struct ks_http_config cfg = { .metrics_path = "/m\"<x>" };
	struct ks_http_server *s;
	struct resp r;
	int port, fd;

	/* the built-in landing page escapes the path */
	s = srv_start(&cfg, &port);
	assert_int_equal(ks_http_publish(s, "x 1\n", 4), 0);
	fd = dial(port);
	send_str(fd, "GET / HTTP/1.1\r\n\r\n");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_non_null(strstr(r.body, "<a href=\"/m&quot;&lt;x&gt;\">"));
	resp_free(&r);
	close(fd);
	expect(port, "GET /m\"<x> HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "x 1\n");
	expect(port, "GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found", "not found\n");
	ks_http_stop(s);

	cfg = (struct ks_http_config){ .metrics_path = "/prom", .landing = "<p>hi</p>\n" };
	s = srv_start(&cfg, &port);
	assert_int_equal(ks_http_publish(s, "y 2\n", 4), 0);
	expect(port, "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "<p>hi</p>\n");
	expect(port, "GET /prom HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "y 2\n");
	/* absolute-form, and a path-less one is "/" */
	expect(port, "GET http://h:1/prom?a HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "y 2\n");
	expect(port, "GET http://h:1 HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "<p>hi</p>\n");
	ks_http_stop(s);

	/* bad configurations: the fd stays the caller's */
	cfg = (struct ks_http_config){ .fd = -1 };
	assert_null(ks_http_start(&cfg));
	assert_int_equal(errno, EINVAL);
	cfg = (struct ks_http_config){ .fd = 0, .metrics_path = "metrics" };
	assert_null(ks_http_start(&cfg));
	assert_int_equal(errno, EINVAL);
	cfg = (struct ks_http_config){ .fd = 0, .max_header = 100 };
	assert_null(ks_http_start(&cfg));
	assert_int_equal(errno, EINVAL);
	assert_true(fcntl(0, F_GETFD) >= 0);
}

/* ---- the server: keep-alive, pipelining -------------------------------------- */

static void test_server_pipelined(void **state)
{
	struct ks_http_config cfg = {};
	struct resp r;
	int port, fd;
	struct ks_http_server *s = srv_start(&cfg, &port);

	assert_int_equal(ks_http_publish(s, "m 1\n", 4), 0);
	/* three requests in one write: answered in order, then closed as asked */
	fd = dial(port);
	send_str(fd, "GET /metrics HTTP/1.1\r\n\r\nHEAD /metrics HTTP/1.1\r\n\r\n"
		     "GET /-/healthy HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 200 OK");
	assert_string_equal(r.body, "m 1\n");
	resp_free(&r);
	assert_int_equal(get_resp(fd, true, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 200 OK");
	assert_int_equal(r.len, 4);
	resp_free(&r);
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 200 OK");
	assert_string_equal(r.body, "OK\n");
	assert_string_equal(field(&r, "Connection"), "close");
	resp_free(&r);
	expect_eof(fd);
	close(fd);

	/* a request split in pieces, then one more on the same connection */
	fd = dial(port);
	send_str(fd, "GET /met");
	usleep(20000);
	send_str(fd, "rics HTTP/1.1\r\nHost: a\r");
	usleep(20000);
	send_str(fd, "\n\r\nGET /-/heal");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.body, "m 1\n");
	resp_free(&r);
	send_str(fd, "thy HTTP/1.1\n\n");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.body, "OK\n");
	resp_free(&r);
	close(fd);

	/* HTTP/1.0: closed unless asked to keep it */
	fd = dial(port);
	send_str(fd, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 200 OK");
	assert_string_equal(field(&r, "Connection"), "close");
	resp_free(&r);
	expect_eof(fd);
	close(fd);
	fd = dial(port);
	send_str(fd, "GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(field(&r, "Connection"), "keep-alive");
	resp_free(&r);
	send_str(fd, "GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.body, "m 1\n");
	resp_free(&r);
	close(fd);

	/* pipelined after an error: the error closes, the rest is never answered */
	fd = dial(port);
	send_str(fd, "GET /nope HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 404 Not Found");
	resp_free(&r);
	expect_eof(fd);
	close(fd);
	ks_http_stop(s);
}

/* ---- the server: hostile and broken clients -------------------------------- */

static void test_server_garbage(void **state)
{
	static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x9a\x12";
	static const char nul[] = "GET /\0 HTTP/1.1\r\n\r\n";
	struct ks_http_config cfg = {};
	struct ks_http_stats st;
	struct resp r;
	int port, fd;
	struct ks_http_server *s = srv_start(&cfg, &port);
	char *big = malloc(KS_HTTP_MAX_TARGET + 64), *p;

	/* a TLS hello has no line end: it is answered at once all the same */
	fd = dial(port);
	send_all(fd, tls, sizeof(tls) - 1);
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 400 Bad Request");
	assert_string_equal(r.body, "bad request\n");
	assert_string_equal(field(&r, "Connection"), "close");
	resp_free(&r);
	expect_eof(fd);
	close(fd);
	fd = dial(port);
	send_all(fd, nul, sizeof(nul) - 1);
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 400 Bad Request");
	resp_free(&r);
	expect_eof(fd);
	close(fd);

	expect(port, "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", "HTTP/1.1 400 Bad Request",
	       "bad request\n");
	expect(port, "GET / HTTP/2.0\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported",
	       "HTTP version not supported\n");
	/* a 400 answers a HEAD without a body too */
	expect(port, "HEAD / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx",
	       "HTTP/1.1 400 Bad Request", "");
	p = stpcpy(big, "GET /");
	memset(p, 'a', KS_HTTP_MAX_TARGET + 1);
	strcpy(p + KS_HTTP_MAX_TARGET + 1, " HTTP/1.1\r\n\r\n");
	expect(port, big, "HTTP/1.1 414 URI Too Long", "request target too long\n");
	free(big);

	ks_http_stats(s, &st);
	assert_int_equal(st.requests[KS_HTTP_4XX], 5);
	assert_int_equal(st.requests[KS_HTTP_5XX], 1);
	ks_http_stop(s);
}

struct sender {
	int fd;
	const char *p;
	size_t n;
};

/* Sends until done or refused: the server may stop reading, and close */
static void *send_thread(void *arg)
{
	struct sender *snd = arg;

	while (snd->n) {
		ssize_t w = send(snd->fd, snd->p, snd->n, MSG_NOSIGNAL);

		if (w <= 0)
			break;
		snd->p += w;
		snd->n -= w;
	}
	shutdown(snd->fd, SHUT_WR);
	return NULL;
}

static void test_server_big_request(void **state)
{
	const size_t mb = 1 << 20;
	struct ks_http_config cfg = {};
	struct sender snd;
	pthread_t t;
	struct resp r;
	int port, fd;
	struct ks_http_server *s = srv_start(&cfg, &port);
	char *req = malloc(mb);

	assert_int_equal(ks_http_publish(s, "m 1\n", 4), 0);
	/* 1 MB of head without its end: a header line that never stops */
	memset(req, 'a', mb);
	memcpy(req, "GET / HTTP/1.1\r\nX-Big: ", 23);
	fd = dial(port);
	send_all(fd, req, 32768);
	/* meanwhile, a scrape is served */
	expect(port, "GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "m 1\n");
	snd = (struct sender){ .fd = fd, .p = req + 32768, .n = mb - 32768 };
	assert_int_equal(pthread_create(&t, NULL, send_thread, &snd), 0);
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 431 Request Header Fields Too Large");
	assert_string_equal(r.body, "request header too large\n");
	assert_string_equal(field(&r, "Connection"), "close");
	resp_free(&r);
	pthread_join(t, NULL);
	/* the rest was read and dropped (lingering): a clean close, no reset */
	assert_int_equal(snd.n, 0);
	expect_eof(fd);
	close(fd);
	expect(port, "GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "m 1\n");

	/* a smaller cap: 431 at its size */
	ks_http_stop(s);
	cfg = (struct ks_http_config){ .max_header = 1024 };
	s = srv_start(&cfg, &port);
	fd = dial(port);
	send_all(fd, req, 1100);
	assert_int_equal(get_resp(fd, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 431 Request Header Fields Too Large");
	resp_free(&r);
	close(fd);
	ks_http_stop(s);
	free(req);
}

/* How many connections this test can open: two fds each (ours, the server's) */
static unsigned fd_room(unsigned want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return want;
	if (rl.rlim_cur < 2 * want + 64) {
		print_message("RLIMIT_NOFILE %llu: %llu connections, not %u\n",
			      (unsigned long long)rl.rlim_cur,
			      (unsigned long long)(rl.rlim_cur - 64) / 2, want);
		return (rl.rlim_cur - 64) / 2;
	}
	return want;
}

static void test_server_many_idle(void **state)
{
	struct ks_http_config cfg = {};
	struct ks_http_stats st;
	int port, *fds;
	struct ks_http_server *s = srv_start(&cfg, &port);
	unsigned n = fd_room(1000), slow = 20;
	uint64_t t0;

	assert_int_equal(ks_http_publish(s, "m 1\n", 4), 0);
	fds = calloc(n, sizeof(*fds));
	/* 1000 connections that send nothing, and some that stop mid-request */
	for (unsigned i = 0; i < n; i++)
		fds[i] = dial(port);
	for (unsigned i = 0; i < slow; i++)
		send_str(fds[i], "GET /metrics HTTP/1.1\r\nHost: slow\r\n");
	wait_accepted(s, n);
	t0 = ms_now();
	expect(port, "GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "m 1\n");
	expect(port, "GET /-/healthy HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "OK\n");
	assert_true(ms_now() - t0 < 2000);
	ks_http_stats(s, &st);
	assert_int_equal(st.conns_accepted, n + 2);
	assert_int_equal(st.conns_dropped, 0);
	/* the slow ones finish: still served */
	send_str(fds[0], "\r\n");
	{
		struct resp r;

		assert_int_equal(get_resp(fds[0], false, &r), 0);
		assert_string_equal(r.body, "m 1\n");
		resp_free(&r);
	}
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	ks_http_stop(s);
}

static void test_server_full_table(void **state)
{
	struct ks_http_config cfg = { .max_conns = 8 };
	struct ks_http_stats st;
	struct resp r;
	int port, fds[8];
	struct ks_http_server *s = srv_start(&cfg, &port);
	char c;

	assert_int_equal(ks_http_publish(s, "m 1\n", 4), 0);
	/* a full table of silent connections: the oldest goes for a scraper */
	for (int i = 0; i < 8; i++) {
		fds[i] = dial(port);
		wait_accepted(s, i + 1);
	}
	expect(port, "GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "m 1\n");
	expect_eof(fds[0]);
	close(fds[0]);
	ks_http_stats(s, &st);
	assert_int_equal(st.conns_dropped, 1);
	/* the second oldest was left alone, and is served */
	send_str(fds[1], "GET /-/healthy HTTP/1.1\r\n\r\n");
	assert_int_equal(get_resp(fds[1], false, &r), 0);
	assert_string_equal(r.body, "OK\n");
	resp_free(&r);
	for (int i = 1; i < 8; i++)
		close(fds[i]);
	ks_http_stop(s);

	/*
	 * Seven keep-alive clients that were served, then one silent newcomer:
	 * the newcomer goes first, however young, and the old clients stay.
	 */
	s = srv_start(&cfg, &port);
	assert_int_equal(ks_http_publish(s, "m 2\n", 4), 0);
	for (int i = 0; i < 7; i++) {
		fds[i] = dial(port);
		send_str(fds[i], "GET /metrics HTTP/1.1\r\n\r\n");
		assert_int_equal(get_resp(fds[i], false, &r), 0);
		resp_free(&r);
	}
	fds[7] = dial(port);
	wait_accepted(s, 8);
	expect(port, "GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "m 2\n");
	expect_eof(fds[7]);
	for (int i = 0; i < 7; i++) {
		send_str(fds[i], "GET /metrics HTTP/1.1\r\n\r\n");
		assert_int_equal(get_resp(fds[i], false, &r), 0);
		assert_string_equal(r.body, "m 2\n");
		resp_free(&r);
	}
	/* each keep-alive client is still there: no byte and no EOF waiting */
	for (int i = 0; i < 7; i++)
		assert_int_equal(recv(fds[i], &c, 1, MSG_DONTWAIT), -1);
	for (int i = 0; i < 8; i++)
		close(fds[i]);
	ks_http_stop(s);
}

static void test_server_timeouts(void **state)
{
	struct ks_http_config cfg = { .timeout_ms = 300 };
	struct ks_http_stats st;
	struct resp r;
	int port, silent, partial, kept;
	struct ks_http_server *s = srv_start(&cfg, &port);
	uint64_t t0 = ms_now();

	silent = dial(port);
	partial = dial(port);
	kept = dial(port);
	send_str(partial, "GET /-/healthy HTTP/1.1\r\n");
	send_str(kept, "GET /-/healthy HTTP/1.1\r\n\r\n");
	assert_int_equal(get_resp(kept, false, &r), 0);
	resp_free(&r);

	/* a client that connects and sends nothing does not block the others */
	expect(port, "GET /-/healthy HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "OK\n");
	/* after timeout_ms: closed, and told if it had begun a request */
	assert_int_equal(get_resp(partial, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 408 Request Timeout");
	assert_string_equal(r.body, "request timeout\n");
	assert_string_equal(field(&r, "Connection"), "close");
	resp_free(&r);
	expect_eof(partial);
	expect_eof(silent);
	assert_true(ms_now() - t0 >= 300);
	assert_true(ms_now() - t0 < 3000);
	/* an idle keep-alive connection is not held to timeout_ms */
	usleep(200000);
	send_str(kept, "GET /-/healthy HTTP/1.1\r\n\r\n");
	assert_int_equal(get_resp(kept, false, &r), 0);
	assert_string_equal(r.body, "OK\n");
	resp_free(&r);
	ks_http_stats(s, &st);
	assert_int_equal(st.requests[KS_HTTP_TIMEOUT], 1);
	assert_int_equal(st.requests[KS_HTTP_4XX], 0);
	assert_int_equal(st.conns_dropped, 2);
	close(silent);
	close(partial);
	close(kept);
	ks_http_stop(s);
}

static void test_server_slow_reader(void **state)
{
	const size_t big = 8 << 20;
	struct ks_http_config cfg = {};
	struct resp r;
	int port, slow, small = 4096;
	struct ks_http_server *s = srv_start(&cfg, &port);
	char *text = metrics_text(big);
	size_t tlen = strlen(text);
	char c;

	assert_int_equal(ks_http_publish(s, text, tlen), 0);
	/* a reader with a small window that does not read: the write waits, not the server */
	slow = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	{
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		struct timeval tv = { .tv_sec = 5 };

		setsockopt(slow, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		assert_int_equal(connect(slow, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	send_str(slow, "GET /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(recv(slow, &c, 1, MSG_PEEK), 1);

	/* a new text meanwhile: served to others at once */
	assert_int_equal(ks_http_publish(s, "new 1\n", 6), 0);
	expect(port, "GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", "new 1\n");
	expect(port, "GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n",
	       "HTTP/1.1 200 OK", NULL);
	/* the slow reader gets the whole text it asked for, the old one */
	assert_int_equal(get_resp(slow, false, &r), 0);
	assert_string_equal(r.line, "HTTP/1.1 200 OK");
	assert_int_equal(r.len, tlen);
	assert_memory_equal(r.body, text, tlen);
	resp_free(&r);
	close(slow);
	free(text);
	ks_http_stop(s);
}

static void test_server_stop(void **state)
{
	struct ks_http_config cfg = {};
	int port, fds[4], small = 4096;
	struct ks_http_server *s = srv_start(&cfg, &port);
	char *text = metrics_text(4 << 20), c;
	uint64_t t0;

	assert_int_equal(ks_http_publish(s, text, strlen(text)), 0);
	free(text);
	/* idle, mid-request, keep-alive, and mid-write (a reader that does not read) */
	for (int i = 0; i < 4; i++)
		fds[i] = dial(port);
	send_str(fds[1], "GET /metrics HTTP/1.1\r\n");
	send_str(fds[2], "GET /-/healthy HTTP/1.1\r\n\r\n");
	setsockopt(fds[3], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	send_str(fds[3], "GET /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(recv(fds[3], &c, 1, MSG_PEEK), 1);
	wait_accepted(s, 4);
	t0 = ms_now();
	ks_http_stop(s);
	assert_true(ms_now() - t0 < 500);
	/*
	 * Every connection is closed. (The reader of a response cut short is
	 * not read to its end: what the kernel still sends there after the
	 * close trickles through zero-window probes, taking minutes.)
	 */
	close(fds[3]);
	for (int i = 0; i < 3; i++) {
		char buf[65536];
		ssize_t n;

		while ((n = recv(fds[i], buf, sizeof(buf), 0)) > 0)
			;
		assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
		close(fds[i]);
	}
}

/* ---- listening ------------------------------------------------------------- */

static void listen_err(const char *addr, const char *want)
{
	char err[256] = "";

	assert_int_equal(ks_http_listen(addr, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("%s: \"%s\", not \"%s\"", addr, err, want);
	assert_null(strchr(err, '\n'));
}

static void test_listen(void **state)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char err[256] = "", busy[64];
	int fd, fd2, port, p;

	/* every listening socket is nonblocking and CLOEXEC */
	fd = ks_http_listen("127.0.0.1:0", err, sizeof(err));
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	port = ks_http_port(fd);
	assert_true(port > 0);
	/* the port taken */
	snprintf(busy, sizeof(busy), "127.0.0.1:%d", port);
	listen_err(busy, "cannot listen on 127.0.0.1:");
	listen_err(busy, ": Address already in use");
	close(fd);

	fd = ks_http_listen("localhost:0", err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(((struct sockaddr_in *)&ss)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	close(fd);

	/* every interface: reachable over IPv4 (dual-stack or not) */
	fd = ks_http_listen(":0", err, sizeof(err));
	assert_true(fd >= 0);
	close(dial(ks_http_port(fd)));
	close(fd);

	/* IPv6 where the host has it */
	fd = ks_http_listen("[::1]:0", err, sizeof(err));
	if (fd >= 0) {
		assert_true(ks_http_port(fd) > 0);
		close(fd);
	} else {
		assert_true(errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT);
	}

	listen_err("9435", "no port (HOST:PORT)");
	listen_err("", "no port");
	listen_err("127.0.0.1:", "bad port \"\"");
	listen_err("127.0.0.1:65536", "bad port \"65536\"");
	listen_err("127.0.0.1:+80", "bad port");
	listen_err("127.0.0.1:http", "bad port");
	listen_err("::1:9435", "an IPv6 address goes in brackets");
	listen_err("[::1", "no ']'");
	listen_err("[::1]9435", "no port ([ADDRESS]:PORT)");
	listen_err("[127.0.0.1]:80", "is not an IPv6 address");
	listen_err("[fe80::1%nosuchif0]:80", "no interface \"nosuchif0\"");
	listen_err("example.com:80", "\"example.com\" is not an IPv4 address");
	listen_err("300.0.0.1:80", "is not an IPv4 address");
	listen_err("fd://x", "fd:// takes a descriptor number");
	listen_err("fd://-1", "fd:// takes a descriptor number");

	/* fd://N: a listening stream socket, nothing else */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	snprintf(busy, sizeof(busy), "fd://%d", fd);
	listen_err(busy, "is not listening");
	close(fd);
	listen_err(busy, "is not open");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(busy, sizeof(busy), "fd://%d", fd);
	listen_err(busy, "is not a stream socket");
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	snprintf(busy, sizeof(busy), "fd://%d", fd);
	listen_err(busy, "is not a socket");
	close(fd);
	fd2 = socket(AF_INET, SOCK_STREAM, 0);
	{
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		assert_int_equal(bind(fd2, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(listen(fd2, 8), 0);
	}
	/* above 3, which plays systemd's fd below */
	fd = fcntl(fd2, F_DUPFD, 10);
	assert_true(fd >= 10);
	close(fd2);
	snprintf(busy, sizeof(busy), "fd://%d", fd);
	assert_int_equal(ks_http_listen(busy, err, sizeof(err)), fd);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	/* systemd: fd 3, for this process only */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	listen_err("systemd", "systemd: no socket passed");
	listen_err("fd://", "systemd: no socket passed");
	setenv("LISTEN_PID", "1", 1);
	setenv("LISTEN_FDS", "1", 1);
	listen_err("systemd", "systemd: LISTEN_PID=1 is not this process");
	snprintf(busy, sizeof(busy), "%d", (int)getpid());
	setenv("LISTEN_PID", busy, 1);
	setenv("LISTEN_FDS", "0", 1);
	listen_err("systemd", "systemd: LISTEN_FDS=0 passes no socket");
	setenv("LISTEN_FDS", "1", 1);
	setenv("LISTEN_FDNAMES", "web", 1);
	/* fd 3 may be in use here: kept aside and put back */
	fd2 = fcntl(3, F_DUPFD_CLOEXEC, 10);
	assert_int_equal(dup2(fd, 3), 3);
	assert_int_equal(ks_http_listen("systemd", err, sizeof(err)), 3);
	assert_null(getenv("LISTEN_PID"));
	assert_null(getenv("LISTEN_FDS"));
	assert_null(getenv("LISTEN_FDNAMES"));
	p = ks_http_port(3);
	assert_int_equal(p, ks_http_port(fd));
	close(3);
	if (fd2 >= 0) {
		assert_int_equal(dup2(fd2, 3), 3);
		close(fd2);
	}
	close(fd);

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(ks_http_port(fd), -EAFNOSUPPORT);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_get_head),
		cmocka_unit_test(test_parse_keep_alive),
		cmocka_unit_test(test_parse_gzip),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_partial),
		cmocka_unit_test(test_parse_case),
		cmocka_unit_test(test_server_endpoints),
		cmocka_unit_test(test_server_not_ready),
		cmocka_unit_test(test_server_config),
		cmocka_unit_test(test_server_pipelined),
		cmocka_unit_test(test_server_garbage),
		cmocka_unit_test(test_server_big_request),
		cmocka_unit_test(test_server_many_idle),
		cmocka_unit_test(test_server_full_table),
		cmocka_unit_test(test_server_timeouts),
		cmocka_unit_test(test_server_slow_reader),
		cmocka_unit_test(test_server_stop),
		cmocka_unit_test(test_listen),
	};

	/* a test's own writes to a closed connection must fail, not kill it */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

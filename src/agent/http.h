/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HTTP/1.1 server of `kscope agent` (the Prometheus exporter): a few
 * fixed endpoints, one thread, one poll() loop, every socket nonblocking.
 * Written for what a scrape endpoint meets on a network: scrapers that keep
 * connections alive and pipeline, and clients that are slow, hostile or
 * broken (slow-loris, thousands of idle connections, huge or garbage
 * requests, readers that stall). Memory is bounded: one buffer of
 * max_header bytes per connection, no allocation per request.
 *
 * The agent publishes the metrics text (ks_http_publish) whenever it has a
 * new one; it is compressed once there, so a scrape costs only a write.
 */
#ifndef KSCOPE_HTTP_H
#define KSCOPE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KS_HTTP_MAX_CONNS	1024	/* defaults of struct ks_http_config */
#define KS_HTTP_TIMEOUT_MS	10000
#define KS_HTTP_MAX_HEADER	65536
#define KS_HTTP_MIN_HEADER	256	/* max_header bounds (else EINVAL) */
#define KS_HTTP_MAX_MAX_HEADER	(16u << 20)
#define KS_HTTP_MAX_MAX_CONNS	65536	/* max_conns bound (else EINVAL) */
#define KS_HTTP_MAX_BODY	(1u << 30)	/* ks_http_publish() bound (else -E2BIG) */
#define KS_HTTP_MAX_TARGET	8192	/* a longer request target: 414 */
#define KS_HTTP_IDLE_MS		60000	/* an idle keep-alive connection is closed then */
#define KS_HTTP_WRITE_MS	60000	/* a response must be written within this */
#define KS_HTTP_LINGER_MS	2000	/* draining a client's input after a reply that closes */
#define KS_HTTP_BACKLOG		1024

struct ks_http_server;
struct ks_web;

struct ks_http_config {
	int fd;                    /* a listening socket (ks_http_listen); the server owns it */
	const char *metrics_path;  /* NULL: "/metrics" (--web.telemetry-path); begins with '/' */
	unsigned max_conns;        /* connections held at once (0: KS_HTTP_MAX_CONNS) */
	unsigned timeout_ms;       /* a request is complete within this (0: KS_HTTP_TIMEOUT_MS) */
	size_t max_header;         /* request head cap in bytes (0: KS_HTTP_MAX_HEADER) */
	const char *landing;       /* HTML of "/" (NULL: a page linking metrics_path); copied */
	/*
	 * --web.config.file (webcfg.h), or NULL: TLS when it has a certificate,
	 * basic auth on every path when it has users. Used by the server
	 * thread only (re-read there when the files change); the caller frees
	 * it after ks_http_stop().
	 */
	struct ks_web *web;
};

/*
 * Parse an address and return a listening, nonblocking, CLOEXEC socket, or
 * -1 (errno set) with a one-line reason in err. Forms: "127.0.0.1:9435",
 * "[::1]:9435" (a link-local one with its interface: "[fe80::1%eth0]:9435"),
 * ":9435" (every interface: IPv6 dual-stack when the host has IPv6, else
 * 0.0.0.0; "[::]:9435" is dual-stack too), "localhost:9435" (127.0.0.1;
 * other host names are not resolved: a static binary has no NSS),
 * "fd://N" (an inherited listening stream socket), "systemd" or "fd://"
 * (socket activation: fd 3 when LISTEN_PID is this process and LISTEN_FDS
 * >= 1; the LISTEN_* variables are then unset). Port 0: an ephemeral port.
 * SO_REUSEADDR, backlog KS_HTTP_BACKLOG.
 */
int ks_http_listen(const char *addr, char *err, size_t errlen);
/* The port a listening socket is bound to, or -errno (-EAFNOSUPPORT: not IP) */
int ks_http_port(int fd);

/*
 * Start the server thread (all signals blocked in it) on c->fd, which it
 * owns from then on. NULL with errno on failure (EINVAL: a bad config);
 * c->fd is then left open. RLIMIT_NOFILE's soft limit is raised to the
 * hard one here.
 */
struct ks_http_server *ks_http_start(const struct ks_http_config *c);
/* Stop the thread (at once), close every connection and the listening fd, free */
void ks_http_stop(struct ks_http_server *s);

/*
 * The metrics body served from now on: copied, and gzip'd here once (zlib,
 * level 6). Any thread; a response in progress keeps the body it began
 * with. 0, -ENOMEM, or -E2BIG (over KS_HTTP_MAX_BODY).
 */
int ks_http_publish(struct ks_http_server *s, const char *body, size_t len);

/* Outcomes counted in ks_http_stats.requests[] */
enum {
	KS_HTTP_2XX,		/* responses queued, by status class */
	KS_HTTP_3XX,		/* (none: the server never redirects) */
	KS_HTTP_4XX,		/* 400 401 404 405 414 431 (408: KS_HTTP_TIMEOUT) */
	KS_HTTP_5XX,		/* 503 (not ready), 505 */
	KS_HTTP_TIMEOUT,	/* requests begun but incomplete after timeout_ms: 408, closed */
	KS_HTTP_ABORTED,	/* responses not written in full: the client left or stalled */
	KS_HTTP_NCLASS
};

struct ks_http_stats {
	uint64_t requests[KS_HTTP_NCLASS];	/* by outcome (the enum above) */
	uint64_t conns_accepted;		/* connections accepted (refused ones included) */
	/*
	 * closed by the server before a complete request: evicted or refused
	 * when full, timed out, a failed TLS handshake
	 */
	uint64_t conns_dropped;
	uint64_t scrapes;			/* 200s on metrics_path (GET and HEAD) */
};
/* A snapshot of the counters (any thread) */
void ks_http_stats(struct ks_http_server *s, struct ks_http_stats *out);

/* ---- the request parser: pure, fuzzed (tests/fuzz/fuzz_http.c) ----------- */

enum {
	KS_HTTP_OTHER,		/* a well-formed method, not GET or HEAD: 405 */
	KS_HTTP_GET,
	KS_HTTP_HEAD,
};

struct ks_http_req {
	int method;			/* KS_HTTP_GET, KS_HTTP_HEAD, or KS_HTTP_OTHER */
	const char *path;		/* the target's path, no query string; in buf. An */
	size_t path_len;		/* absolute-form target without a path: length 0 ("/") */
	const char *target;		/* the whole request target, in buf */
	size_t target_len;
	bool http10;			/* HTTP/1.0 (else 1.1) */
	bool keep_alive;		/* 1.1 without "Connection: close", 1.0 with "keep-alive" */
	bool gzip;			/* Accept-Encoding accepts gzip (q != 0) */
	const char *auth;		/* the Authorization value (trimmed; NULL: none), in buf */
	size_t auth_len;
	const char *host;		/* the Host value (NULL: none), in buf */
	size_t host_len;
};

/*
 * buf holds len bytes received so far. Returns the length of the complete
 * request head (up to and including its blank line), 0 while more bytes are
 * needed, or -STATUS for an error to answer:
 *   -400  malformed: request line, header line (obs-fold included), a bare
 *         CR, NUL or another control byte, a body (Content-Length > 0 or
 *         Transfer-Encoding), two Host fields, more than 8 empty lines first
 *   -405  a well-formed request line whose method is not GET or HEAD
 *   -414  a target longer than KS_HTTP_MAX_TARGET
 *   -431  no complete head within max_header bytes
 *   -505  a version other than HTTP/1.0 and HTTP/1.1
 * Lines may end in CRLF or a bare LF (RFC 9112 2.2). An error is returned
 * as soon as the bytes so far show it, and a prefix of buf never gives
 * another error than buf itself. Fields of req point into buf.
 */
int ks_http_parse(const char *buf, size_t len, size_t max_header, struct ks_http_req *req);

#endif

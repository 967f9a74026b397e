// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's HTTP/1.1 server (http.h). One thread polls the listening
 * socket, a wake-up eventfd and every connection; nothing in it blocks.
 *
 * A connection is a slot of a table allocated at start (max_conns) with a
 * request buffer of max_header bytes, allocated when its first bytes come.
 * It reads a request head into that buffer (CONN_READ), answers it
 * (CONN_WRITE: a small header built in the slot, then the body, which is a
 * static string, the landing page or a reference to a published body), and
 * then either parses what is left in the buffer (keep-alive, pipelining) or
 * shuts its side down and drains the client's input for a moment before
 * closing (CONN_LINGER), so that a client still sending does not get a
 * reset that destroys the answer before it reads it.
 *
 * Every state has a deadline; when the table is full, a new connection
 * pushes out an old one that has not sent a complete request (http.h).
 *
 * With TLS (--web.config.file), a connection begins in CONN_HANDSHAKE (its
 * SSL made when its first bytes come) under the same deadline as the
 * request that follows; reads and writes go through OpenSSL, nonblocking,
 * and poll() waits for what OpenSSL wants (want: a read may need to write,
 * and the other way round). Basic auth is checked on each well-formed
 * request before it is routed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <zlib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "agent/http.h"
#include "agent/webcfg.h"

/* empty lines skipped before a request line (RFC 9112 2.2) */
#define HTTP_MAX_EMPTY	8
/*
 * While a request's first bytes (its request line) arrive, every read is
 * parsed, so that garbage (a TLS hello, say) is answered at once. After
 * that, the head is parsed again only when a blank line, a NUL or a full
 * buffer shows up: a client trickling a big head byte by byte costs one
 * scan of it, not one per read.
 */
#define HTTP_EARLY	(KS_HTTP_MAX_TARGET + 64)

/* ---- the request parser ------------------------------------------------ */

/* RFC 9110 5.6.2 */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
	case '+': case '-': case '.': case '^': case '_': case '`': case '|': case '~':
		return true;
	}
	return false;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* s[0..n) equals the lower-case literal, ignoring case */
static bool ci_eq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!lit[i] || lower(s[i]) != lit[i])
			return false;
	return !lit[i];
}

static void trim_ows(const char **s, size_t *n)
{
	while (*n && is_ows(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_ows((*s)[*n - 1]))
		(*n)--;
}

/* What the header fields tell, gathered until the blank line */
struct head_state {
	bool close, keep_alive;		/* Connection tokens */
	bool gz_seen, gz_ok;		/* gzip (or x-gzip) listed; with q > 0 */
	bool star_seen, star_ok;	/* "*" listed; with q > 0 */
	unsigned hosts;
};

/* RFC 9110 12.4.2 qvalue, in thousandths; -1 if malformed */
static int qvalue(const char *s, size_t n)
{
	int q, scale = 100;

	if (!n || (s[0] != '0' && s[0] != '1'))
		return -1;
	q = (s[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (s[1] != '.' || n > 5)
		return -1;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/* One element of Accept-Encoding: coding *( OWS ";" OWS name "=" value ) */
static void accept_coding(const char *s, size_t n, struct head_state *h)
{
	size_t c = 0, i;
	int q = 1000;

	trim_ows(&s, &n);
	while (c < n && s[c] != ';' && !is_ows(s[c]))
		c++;
	if (!c)
		return;
	for (i = c; i < n;) {
		size_t k, ke, v;

		while (i < n && is_ows(s[i]))
			i++;
		/* a malformed parameter: not an offer to rely on */
		if (i == n || s[i] != ';') {
			q = 0;
			break;
		}
		for (i++; i < n && is_ows(s[i]); i++)
			;
		/* an empty parameter (";;", a trailing ";") is allowed */
		if (i == n || s[i] == ';')
			continue;
		for (k = i; i < n && is_tchar(s[i]); i++)
			;
		for (ke = i; i < n && is_ows(s[i]); i++)
			;
		if (ke == k || i == n || s[i] != '=') {
			q = 0;
			break;
		}
		for (i++; i < n && is_ows(s[i]); i++)
			;
		for (v = i; i < n && s[i] != ';' && !is_ows(s[i]); i++)
			;
		if (ci_eq(s + k, ke - k, "q")) {
			q = qvalue(s + v, i - v);
			if (q < 0)
				q = 0;
		}
	}
	if (ci_eq(s, c, "gzip") || ci_eq(s, c, "x-gzip")) {
		h->gz_seen = true;
		h->gz_ok |= q > 0;
	} else if (ci_eq(s, c, "*")) {
		h->star_seen = true;
		h->star_ok |= q > 0;
	}
}

/* Calls fn on each element of a comma-separated list (RFC 9110 5.6.1) */
static void list_each(const char *s, size_t n, struct head_state *h,
		      void (*fn)(const char *, size_t, struct head_state *))
{
	while (n) {
		const char *comma = memchr(s, ',', n);
		size_t e = comma ? (size_t)(comma - s) : n;

		fn(s, e, h);
		if (!comma)
			break;
		s += e + 1;
		n -= e + 1;
	}
}

static void connection_token(const char *s, size_t n, struct head_state *h)
{
	trim_ows(&s, &n);
	if (ci_eq(s, n, "close"))
		h->close = true;
	else if (ci_eq(s, n, "keep-alive"))
		h->keep_alive = true;
}

/*
 * The request line s[0..n), without its line end; complete or still
 * arriving. Checked left to right, stopping at the first fault, so that a
 * prefix agrees with the whole line; the version is judged (505) and the
 * method refused (405) only once the line is complete.
 */
static int parse_request_line(const char *s, size_t n, bool complete, struct ks_http_req *req)
{
	static const char version[] = "HTTP/d.d";
	size_t i = 0, t0, v, p0, pe;
	const char *t;

	while (i < n && is_tchar(s[i]))
		i++;
	if (i == n)
		return complete ? -400 : 0;
	if (!i || s[i] != ' ')
		return -400;
	if (i == 3 && !memcmp(s, "GET", 3))
		req->method = KS_HTTP_GET;
	else if (i == 4 && !memcmp(s, "HEAD", 4))
		req->method = KS_HTTP_HEAD;
	else
		req->method = KS_HTTP_OTHER;

	/* the target: visible ASCII (RFC 3986 chars, loosely) */
	for (t0 = ++i; i < n && s[i] > ' ' && s[i] < 0x7f; i++)
		if (i - t0 == KS_HTTP_MAX_TARGET)
			return -414;
	if (i == n)
		return complete ? -400 : 0;
	if (i == t0 || s[i] != ' ')
		return -400;
	req->target = s + t0;
	req->target_len = i - t0;

	/* "HTTP/" DIGIT "." DIGIT, and the line ends */
	for (v = ++i; i < n; i++) {
		char want = version[i - v];

		if (!want)
			return -400;
		if (want == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != want)
			return -400;
	}
	if (!complete)
		return 0;
	if (n - v != sizeof(version) - 1)
		return -400;
	if (s[v + 5] != '1' || (s[v + 7] != '0' && s[v + 7] != '1'))
		return -505;
	req->http10 = s[v + 7] == '0';
	if (req->method == KS_HTTP_OTHER)
		return -405;

	/* origin-form "/path?query", or absolute-form "http://host/path?query" */
	t = req->target;
	if (t[0] == '/') {
		p0 = 0;
	} else {
		size_t sch = req->target_len > 7 && ci_eq(t, 7, "http://") ? 7 :
			     req->target_len > 8 && ci_eq(t, 8, "https://") ? 8 : 0;

		if (!sch)
			return -400;
		for (p0 = sch; p0 < req->target_len && t[p0] != '/' && t[p0] != '?'; p0++)
			;
		if (p0 == sch)
			return -400;
	}
	for (pe = p0; pe < req->target_len && t[pe] != '?'; pe++)
		;
	req->path = t + p0;
	req->path_len = pe - p0;
	return 0;
}

/* A header line s[0..n) (n > 0), without its line end */
static int parse_header(const char *s, size_t n, struct ks_http_req *req, struct head_state *h)
{
	size_t i = 0, vlen;
	const char *val;

	/* a line folded onto the previous one (obs-fold), or space before a name */
	if (is_ows(s[0]))
		return -400;
	while (i < n && is_tchar(s[i]))
		i++;
	/* no space between the name and the colon (RFC 9112 5.1) */
	if (!i || i == n || s[i] != ':')
		return -400;
	val = s + i + 1;
	vlen = n - i - 1;
	for (size_t k = 0; k < vlen; k++) {
		unsigned char c = val[k];

		/* field-vchar, obs-text, SP, HTAB: a CR, NUL, DEL... is no part of a value */
		if ((c < ' ' && c != '\t') || c == 0x7f)
			return -400;
	}
	trim_ows(&val, &vlen);

	if (ci_eq(s, i, "connection")) {
		list_each(val, vlen, h, connection_token);
	} else if (ci_eq(s, i, "accept-encoding")) {
		list_each(val, vlen, h, accept_coding);
	} else if (ci_eq(s, i, "content-length")) {
		/* no request here has a body: only a plain 0 is fine */
		if (!vlen)
			return -400;
		for (size_t k = 0; k < vlen; k++)
			if (val[k] != '0')
				return -400;
	} else if (ci_eq(s, i, "transfer-encoding")) {
		return -400;
	} else if (ci_eq(s, i, "authorization")) {
		req->auth = val;
		req->auth_len = vlen;
	} else if (ci_eq(s, i, "host")) {
		/* RFC 9112 3.2: more than one Host is a 400 */
		if (++h->hosts > 1)
			return -400;
		req->host = val;
		req->host_len = vlen;
	}
	return 0;
}

int ks_http_parse(const char *buf, size_t len, size_t max_header, struct ks_http_req *req)
{
	struct head_state h = {};
	size_t lim = len < max_header ? len : max_header;
	size_t p = 0, end;
	unsigned empty = 0;
	bool have_line = false;
	int r;

	memset(req, 0, sizeof(*req));
	/* the return value is an int */
	if (lim > INT_MAX)
		lim = INT_MAX;
	if (!lim)
		return len >= max_header ? -431 : 0;
	for (;;) {
		const char *nl = memchr(buf + p, '\n', lim - p);
		size_t e, n;

		if (!nl) {
			/*
			 * A line still arriving: what can be judged already is.
			 * The request line is judged left to right (a NUL there
			 * is a bad byte in its place, after an earlier 414);
			 * a field line only for a NUL.
			 */
			n = lim - p;
			if (have_line && memchr(buf + p, 0, n))
				return -400;
			/* its last byte may be the CR of a CRLF */
			if (n && buf[lim - 1] == '\r')
				n--;
			if (!have_line) {
				r = parse_request_line(buf + p, n, false, req);
				if (r)
					return r;
			}
			return len >= max_header ? -431 : 0;
		}
		e = nl - buf;
		n = e - p;
		if (n && buf[e - 1] == '\r')
			n--;
		if (!have_line) {
			if (!n) {
				if (++empty > HTTP_MAX_EMPTY)
					return -400;
			} else {
				r = parse_request_line(buf + p, n, true, req);
				if (r)
					return r;
				have_line = true;
			}
		} else if (!n) {
			end = e + 1;
			break;
		} else {
			r = parse_header(buf + p, n, req, &h);
			if (r)
				return r;
		}
		p = e + 1;
	}
	req->keep_alive = req->http10 ? h.keep_alive && !h.close : !h.close;
	/* an explicit gzip decides; else "*" does (RFC 9110 12.5.3) */
	req->gzip = h.gz_seen ? h.gz_ok : h.star_seen && h.star_ok;
	return (int)end;
}

/* ---- published bodies ---------------------------------------------------- */

struct ks_http_body {
	atomic_uint refs;	/* the server's current pointer, and each response writing it */
	size_t len, gz_len;
	char data[];		/* len bytes of text, then gz_len bytes of it gzip'd */
};

static void body_put(struct ks_http_body *b)
{
	if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
		free(b);
}

/* ---- the server ------------------------------------------------------------ */

enum conn_state {
	CONN_FREE,
	CONN_HANDSHAKE,	/* TLS: the handshake (the request's deadline runs) */
	CONN_READ,	/* reading a request head (or idle between requests) */
	CONN_WRITE,	/* writing a response */
	CONN_LINGER,	/* our side shut after an answer that closes: draining theirs */
};

struct conn {
	enum conn_state state;
	int fd;
	SSL *ssl;		/* TLS: made at the first bytes; NULL: plain HTTP */
	short want;		/* TLS: the poll events OpenSSL waits for (0: the state's) */
	bool served;		/* a response was written in full: a keep-alive client */
	bool close_after;	/* close (linger) once this response is out */
	char *buf;		/* max_header bytes; NULL until the first bytes come */
	size_t len;		/* bytes in buf */
	size_t seen;		/* bytes of buf already looked at for a head end */
	size_t head_len;	/* the head being answered: buf[0..head_len) */
	uint64_t seq;		/* when it began waiting for this request: eviction order */
	uint64_t deadline;	/* ms (CLOCK_MONOTONIC) */
	/* the response: hdr, then body (HEAD: no body) */
	struct ks_http_body *ref;	/* the published body that body points into, held */
	const char *body;
	size_t body_len, body_off;
	size_t hdr_len, hdr_off;
	char hdr[384];
};

struct ks_http_server {
	int lfd, wake;
	int reserve;		/* an fd kept to refuse a connection when out of fds */
	char *metrics_path, *landing;
	size_t metrics_len, landing_len;
	unsigned max_conns, nconns, timeout_ms;
	size_t max_header;
	uint64_t seq;
	struct conn *conns;
	struct ks_web *web;	/* --web.config.file, or NULL (the caller's) */
	struct pollfd *pfd;	/* 0: wake, 1: lfd, then the connections */
	unsigned *pidx;		/* pfd[i] is conns[pidx[i]] */
	pthread_t thread;

	pthread_mutex_t lock;	/* guards body (the pointer, not its refs) */
	struct ks_http_body *body;
	atomic_bool ready;

	_Atomic uint64_t requests[KS_HTTP_NCLASS];
	_Atomic uint64_t accepted, dropped, scrapes;
};

#define COUNT(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct ks_http_body *body_get(struct ks_http_server *s)
{
	struct ks_http_body *b;

	pthread_mutex_lock(&s->lock);
	b = s->body;
	if (b)
		atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&s->lock);
	return b;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
}

static const char *error_text(int status)
{
	switch (status) {
	case 401: return "unauthorized\n";
	case 404: return "not found\n";
	case 405: return "method not allowed\n";
	case 408: return "request timeout\n";
	case 414: return "request target too long\n";
	case 431: return "request header too large\n";
	case 503: return "not ready\n";
	case 505: return "HTTP version not supported\n";
	}
	return "bad request\n";
}

/* RFC 9110 5.6.7 IMF-fixdate, by hand: strftime's names follow the locale */
static void http_date(char *out, size_t n)
{
	static const char day[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = time(NULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(out, n, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d GMT", day[tm.tm_wday % 7],
		 tm.tm_mday, mon[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
}

struct reply {
	int status;
	const char *ctype, *extra;	/* extra: whole header lines, or "" */
	const char *body;
	size_t len;
	struct ks_http_body *ref;
};

static bool path_is(const char *p, size_t n, const char *want, size_t wlen)
{
	return n == wlen && !memcmp(p, want, n);
}

/* A well-formed GET or HEAD: which endpoint (exact paths, no decoding) */
static void route(struct ks_http_server *s, const struct ks_http_req *req, struct reply *r)
{
	/* an absolute-form target without a path means "/" */
	const char *p = req->path_len ? req->path : "/";
	size_t n = req->path_len ? req->path_len : 1;
	struct ks_http_body *b;

	if (path_is(p, n, s->metrics_path, s->metrics_len)) {
		b = body_get(s);
		if (!b) {
			r->status = 503;
			return;
		}
		r->ref = b;
		r->ctype = "text/plain; version=0.0.4; charset=utf-8";
		/* both variants say Vary, so that a cache keeps them apart */
		if (req->gzip) {
			r->body = b->data + b->len;
			r->len = b->gz_len;
			r->extra = "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n";
		} else {
			r->body = b->data;
			r->len = b->len;
			r->extra = "Vary: Accept-Encoding\r\n";
		}
		COUNT(s->scrapes);
	} else if (path_is(p, n, "/", 1)) {
		r->ctype = "text/html; charset=utf-8";
		r->body = s->landing;
		r->len = s->landing_len;
	} else if (path_is(p, n, "/-/healthy", 10)) {
		r->body = "OK\n";
		r->len = 3;
	} else if (path_is(p, n, "/-/ready", 8)) {
		if (atomic_load(&s->ready)) {
			r->body = "OK\n";
			r->len = 3;
		} else {
			r->status = 503;
		}
	} else {
		r->status = 404;
	}
}

/*
 * Sets up the answer to a request (status 200: route it; else that error)
 * in c: its head in c->hdr, its body by reference. Nothing is allocated.
 */
static void conn_respond(struct ks_http_server *s, struct conn *c, const struct ks_http_req *req,
			 int status, uint64_t now)
{
	struct reply r = { .status = status, .ctype = "text/plain; charset=utf-8", .extra = "" };
	char date[64];
	int n;

	if (status == 200 && ks_web_auth_on(s->web)) {
		ks_web_refresh(s->web, now);
		/* every path, as exporter-toolkit's */
		if (!ks_web_auth(s->web, req->auth, req->auth_len))
			r.status = 401;
	}
	if (r.status == 200)
		route(s, req, &r);
	if (r.status != 200) {
		r.body = error_text(r.status);
		r.len = strlen(r.body);
		if (r.status == 405)
			r.extra = "Allow: GET, HEAD\r\n";
		else if (r.status == 401)
			r.extra = "WWW-Authenticate: Basic realm=\"kscope\"\r\n";
	}
	/* after an error, what else the client sent is not trusted: close */
	c->close_after = r.status >= 400 || !req->keep_alive;
	http_date(date, sizeof(date));
	n = snprintf(c->hdr, sizeof(c->hdr),
		     "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: %s\r\n%sContent-Length: %zu\r\n%s\r\n",
		     r.status, reason(r.status), date, r.ctype, r.extra, r.len,
		     c->close_after ? "Connection: close\r\n" :
		     req->http10 ? "Connection: keep-alive\r\n" : "");
	/* the longest head is about 200 bytes */
	c->hdr_len = n > 0 && (size_t)n < sizeof(c->hdr) ? (size_t)n : 0;
	c->hdr_off = 0;
	c->ref = r.ref;
	c->body = r.body;
	c->body_len = req->method == KS_HTTP_HEAD ? 0 : r.len;
	c->body_off = 0;
	c->state = CONN_WRITE;
	c->deadline = now + KS_HTTP_WRITE_MS;
	if (r.status == 408)
		COUNT(s->requests[KS_HTTP_TIMEOUT]);
	else if (r.status >= 200 && r.status < 600)
		COUNT(s->requests[r.status / 100 - 2]);
}

/*
 * After an OpenSSL call returned r <= 0: -1 with errno EAGAIN (want set:
 * poll for it), 0 at the peer's close_notify, else -1 with errno
 * ECONNRESET (a broken or refused TLS session: it is only closed).
 */
static int ssl_fail(struct conn *c, int r)
{
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		c->want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		c->want = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	}
	ERR_clear_error();
	errno = ECONNRESET;
	return -1;
}

/* recv(), through TLS if the connection has it */
static ssize_t conn_recv(struct conn *c, void *buf, size_t n)
{
	int r;

	if (!c->ssl)
		return recv(c->fd, buf, n, 0);
	c->want = 0;
	ERR_clear_error();
	r = SSL_read(c->ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
	return r > 0 ? r : ssl_fail(c, r);
}

/* conn_write() through TLS: one SSL_write for the head, then the body's */
static int conn_write_tls(struct conn *c)
{
	while (c->hdr_off < c->hdr_len || c->body_off < c->body_len) {
		bool hdr = c->hdr_off < c->hdr_len;
		const char *p = hdr ? c->hdr + c->hdr_off : c->body + c->body_off;
		size_t n = hdr ? c->hdr_len - c->hdr_off : c->body_len - c->body_off;
		int w;

		c->want = 0;
		ERR_clear_error();
		/* a retry after WANT_* passes the same bytes again, as OpenSSL requires */
		w = SSL_write(c->ssl, p, n > (1u << 30) ? (1 << 30) : (int)n);
		if (w <= 0) {
			if (ssl_fail(c, w) < 0 && errno == EAGAIN)
				return 0;
			return -EPIPE;
		}
		if (hdr)
			c->hdr_off += w;
		else
			c->body_off += w;
	}
	return 1;
}

/* Writes what the socket takes: 1 when the response is out, 0: wait for POLLOUT, or -errno */
static int conn_write(struct conn *c)
{
	if (c->ssl)
		return conn_write_tls(c);
	while (c->hdr_off < c->hdr_len || c->body_off < c->body_len) {
		struct iovec iov[2];
		struct msghdr m = { .msg_iov = iov };
		size_t h;
		ssize_t w;

		if (c->hdr_off < c->hdr_len)
			iov[m.msg_iovlen++] = (struct iovec){ c->hdr + c->hdr_off,
							      c->hdr_len - c->hdr_off };
		if (c->body_off < c->body_len)
			iov[m.msg_iovlen++] = (struct iovec){ (char *)c->body + c->body_off,
							      c->body_len - c->body_off };
		/* a reader gone must not raise SIGPIPE in the agent */
		w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		h = c->hdr_len - c->hdr_off;
		if (h > (size_t)w)
			h = w;
		c->hdr_off += h;
		c->body_off += w - h;
	}
	return 1;
}

static void conn_close(struct ks_http_server *s, struct conn *c)
{
	SSL_free(c->ssl);
	close(c->fd);
	free(c->buf);
	body_put(c->ref);
	memset(c, 0, offsetof(struct conn, hdr));
	c->fd = -1;
	s->nconns--;
}

/*
 * An answer that closes the connection is out: shut our side and read
 * (and drop) theirs for a while before closing, so that unread input
 * (a body, a pipelined request, the rest of a huge head) does not make
 * our kernel reset the connection under the answer.
 */
static void conn_linger(struct conn *c, uint64_t now)
{
	body_put(c->ref);
	c->ref = NULL;
	c->body = NULL;
	/* TLS: a close_notify if the socket takes it now (never waited for) */
	if (c->ssl) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);
		ERR_clear_error();
		c->want = 0;
	}
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_LINGER;
	c->deadline = now + KS_HTTP_LINGER_MS;
}

/* The response is out, the connection stays: on to the next request */
static void conn_next(struct ks_http_server *s, struct conn *c, uint64_t now)
{
	body_put(c->ref);
	c->ref = NULL;
	c->body = NULL;
	/* a pipelined request's bytes, already here, move to the front */
	c->len -= c->head_len;
	memmove(c->buf, c->buf + c->head_len, c->len);
	c->head_len = 0;
	c->seen = 0;
	c->served = true;
	c->state = CONN_READ;
	c->seq = ++s->seq;
	c->deadline = now + (c->len ? s->timeout_ms : KS_HTTP_IDLE_MS);
}

/* Is it worth parsing the head again? (HTTP_EARLY) */
static bool conn_head_maybe(const struct ks_http_server *s, struct conn *c)
{
	size_t from = c->seen, i = from;

	c->seen = c->len;
	if (from < HTTP_EARLY || c->len == s->max_header)
		return true;
	if (memchr(c->buf + from, 0, c->len - from))
		return true;
	/* an empty line ends a head; from >= 2 here */
	while (i < c->len) {
		const char *nl = memchr(c->buf + i, '\n', c->len - i);

		if (!nl)
			break;
		i = nl - c->buf;
		if (c->buf[i - 1] == '\n' || (c->buf[i - 1] == '\r' && c->buf[i - 2] == '\n'))
			return true;
		i++;
	}
	return false;
}

/* Takes the connection as far as it goes without blocking */
static void conn_run(struct ks_http_server *s, struct conn *c, uint64_t now)
{
	for (;;) {
		int r;

		if (c->state == CONN_READ) {
			struct ks_http_req req;

			if (!conn_head_maybe(s, c))
				return;
			r = ks_http_parse(c->buf, c->len, s->max_header, &req);
			if (!r)
				return;
			c->head_len = r > 0 ? (size_t)r : 0;
			conn_respond(s, c, &req, r > 0 ? 200 : -r, now);
		}
		if (c->state != CONN_WRITE)
			return;
		r = conn_write(c);
		if (!r)
			return;
		if (r < 0) {
			COUNT(s->requests[KS_HTTP_ABORTED]);
			conn_close(s, c);
			return;
		}
		if (c->close_after) {
			conn_linger(c, now);
			return;
		}
		conn_next(s, c, now);
	}
}

/* TLS: bytes OpenSSL holds already, which poll() would never announce */
static bool conn_pending(const struct ks_http_server *s, const struct conn *c)
{
	return c->state == CONN_READ && c->ssl && c->len < s->max_header &&
	       SSL_has_pending(c->ssl);
}

static void conn_read(struct ks_http_server *s, struct conn *c, uint64_t now)
{
	ssize_t n;

	do {
		/* here only once the client sent something: a silent one costs no buffer */
		if (!c->buf) {
			c->buf = malloc(s->max_header);
			if (!c->buf) {
				COUNT(s->dropped);
				conn_close(s, c);
				return;
			}
		}
		/* len < max_header: a full buffer always parses to a head or a 431 */
		n = conn_recv(c, c->buf + c->len, s->max_header - c->len);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(s, c);
			return;
		}
		/* a keep-alive connection begins its next request: now it has timeout_ms */
		if (!c->len && c->served)
			c->deadline = now + s->timeout_ms;
		c->len += n;
		conn_run(s, c, now);
	} while (conn_pending(s, c));
}

/* TLS: the handshake, as far as it goes; then the request, under the same deadline */
static void conn_handshake(struct ks_http_server *s, struct conn *c, uint64_t now)
{
	int r;

	/* made at the first bytes, as the buffer: a silent client costs no SSL */
	if (!c->ssl) {
		SSL_CTX *ctx = ks_web_tls(s->web);

		c->ssl = ctx ? SSL_new(ctx) : NULL;
		if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
			COUNT(s->dropped);
			conn_close(s, c);
			return;
		}
		SSL_set_accept_state(c->ssl);
	}
	c->want = 0;
	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->state = CONN_READ;
		/* the request may have come with the handshake's last flight */
		conn_read(s, c, now);
		return;
	}
	if (ssl_fail(c, r) < 0 && errno == EAGAIN)
		return;
	/* plain HTTP on the TLS port, a client certificate refused, garbage: closed */
	COUNT(s->dropped);
	conn_close(s, c);
}

/* Input after our answer: read and drop it until EOF or the deadline */
static void conn_drain(struct ks_http_server *s, struct conn *c)
{
	char scratch[512];
	char *b = c->buf ? c->buf : scratch;
	size_t cap = c->buf ? s->max_header : sizeof(scratch);

	for (int k = 0; k < 16; k++) {
		ssize_t n = recv(c->fd, b, cap, 0);

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		conn_close(s, c);
		return;
	}
}

/*
 * Makes room for a new connection: closes one that is least likely a
 * scraper's. First one lingering after an answer, then the one waiting
 * longest for its first request, then the keep-alive one waiting longest
 * for its next. One writing a response is never pushed out. false: none.
 */
static bool conn_evict(struct ks_http_server *s)
{
	struct conn *best = NULL;
	int best_rank = 3;

	for (unsigned i = 0; i < s->max_conns; i++) {
		struct conn *c = &s->conns[i];
		int rank;

		if (c->state == CONN_LINGER)
			rank = 0;
		else if (c->state == CONN_HANDSHAKE)
			rank = 1;
		else if (c->state == CONN_READ)
			rank = c->served ? 2 : 1;
		else
			continue;
		if (rank < best_rank || (rank == best_rank && c->seq < best->seq)) {
			best = c;
			best_rank = rank;
		}
	}
	if (!best)
		return false;
	if (best->state != CONN_LINGER)
		COUNT(s->dropped);
	conn_close(s, best);
	return true;
}

static struct conn *conn_slot(struct ks_http_server *s)
{
	if (s->nconns >= s->max_conns)
		return NULL;
	for (unsigned i = 0; i < s->max_conns; i++)
		if (s->conns[i].state == CONN_FREE)
			return &s->conns[i];
	return NULL;
}

/* Out of file descriptors: refuse one pending connection, so that poll() does not spin on it */
static void refuse_one(struct ks_http_server *s)
{
	int fd;

	if (s->reserve < 0)
		return;
	close(s->reserve);
	fd = accept(s->lfd, NULL, NULL);
	if (fd >= 0) {
		close(fd);
		COUNT(s->accepted);
		COUNT(s->dropped);
	}
	s->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void conn_accept(struct ks_http_server *s, uint64_t now)
{
	/* a new certificate (or config) is taken for the connections to come */
	ks_web_refresh(s->web, now);
	/* a bounded batch: the connections already held are served in between */
	for (int k = 0; k < 256; k++) {
		struct conn *c;
		int one = 1;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno != EMFILE && errno != ENFILE)
				return;		/* EAGAIN; or ENOBUFS...: poll() again */
			if (conn_evict(s))
				continue;
			refuse_one(s);
			return;
		}
		COUNT(s->accepted);
		c = conn_slot(s);
		if (!c && conn_evict(s))
			c = conn_slot(s);
		if (!c) {
			close(fd);
			COUNT(s->dropped);
			continue;
		}
		/* pipelined answers must not wait for an ACK (Nagle); fails on a unix socket */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		memset(c, 0, offsetof(struct conn, hdr));
		c->fd = fd;
		c->state = ks_web_tls(s->web) ? CONN_HANDSHAKE : CONN_READ;
		c->seq = ++s->seq;
		c->deadline = now + s->timeout_ms;
		s->nconns++;
	}
}

/* Closes the connections past their deadline; the ms until the next one, or -1 */
static int conn_expire(struct ks_http_server *s, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < s->max_conns; i++) {
		struct conn *c = &s->conns[i];

		if (c->state == CONN_FREE)
			continue;
		if (now < c->deadline) {
			if (c->deadline < next)
				next = c->deadline;
			continue;
		}
		if (c->state == CONN_READ) {
			/* a request begun and not finished: say so if the socket takes it */
			if (c->len) {
				struct ks_http_req none = {};

				conn_respond(s, c, &none, 408, now);
				conn_write(c);
			}
			if (c->len || !c->served)
				COUNT(s->dropped);
		} else if (c->state == CONN_HANDSHAKE) {
			COUNT(s->dropped);
		} else if (c->state == CONN_WRITE) {
			COUNT(s->requests[KS_HTTP_ABORTED]);
		}
		conn_close(s, c);
	}
	if (next == UINT64_MAX)
		return -1;
	return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

static void *server_main(void *arg)
{
	struct ks_http_server *s = arg;

	for (;;) {
		uint64_t now = now_ms();
		int timeout = conn_expire(s, now);
		nfds_t nfd = 2;
		int n;

		s->pfd[0] = (struct pollfd){ .fd = s->wake, .events = POLLIN };
		s->pfd[1] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		for (unsigned i = 0; i < s->max_conns; i++) {
			struct conn *c = &s->conns[i];

			if (c->state == CONN_FREE)
				continue;
			s->pfd[nfd].fd = c->fd;
			s->pfd[nfd].events = c->want ? c->want :
					     c->state == CONN_WRITE ? POLLOUT : POLLIN;
			s->pfd[nfd].revents = 0;
			s->pidx[nfd++] = i;
		}
		n = poll(s->pfd, nfd, timeout);
		if (n < 0) {
			if (errno == EINTR || errno == ENOMEM)
				continue;
			break;
		}
		if (s->pfd[0].revents)
			break;
		now = now_ms();
		/* the connections first: accepting may evict, and so free, a slot */
		for (nfds_t k = 2; k < nfd; k++) {
			struct conn *c = &s->conns[s->pidx[k]];

			if (!s->pfd[k].revents)
				continue;
			if (c->state == CONN_HANDSHAKE) {
				conn_handshake(s, c, now);
			} else if (c->state == CONN_READ) {
				conn_read(s, c, now);
			} else if (c->state == CONN_WRITE) {
				conn_run(s, c, now);
				/* the next pipelined request may sit decrypted in OpenSSL */
				if (conn_pending(s, c))
					conn_read(s, c, now);
			} else if (c->state == CONN_LINGER) {
				conn_drain(s, c);
			}
		}
		if (s->pfd[1].revents)
			conn_accept(s, now);
	}
	return NULL;
}

/* The built-in landing page: a link to the metrics, whose path is a flag's value (escaped) */
static char *landing_page(const char *path)
{
	static const char head[] = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
				   "<title>kscope agent</title></head>\n"
				   "<body><h1>kscope agent</h1>\n<p><a href=\"";
	static const char tail[] = "\">Metrics</a></p>\n</body></html>\n";
	char *out = malloc(sizeof(head) + sizeof(tail) + 6 * strlen(path)), *p;

	if (!out)
		return NULL;
	p = stpcpy(out, head);
	for (; *path; path++) {
		switch (*path) {
		case '&': p = stpcpy(p, "&amp;"); break;
		case '<': p = stpcpy(p, "&lt;"); break;
		case '>': p = stpcpy(p, "&gt;"); break;
		case '"': p = stpcpy(p, "&quot;"); break;
		case '\'': p = stpcpy(p, "&#39;"); break;
		default: *p++ = *path;
		}
	}
	stpcpy(p, tail);
	return out;
}

static void server_free(struct ks_http_server *s)
{
	free(s->metrics_path);
	free(s->landing);
	free(s->conns);
	free(s->pfd);
	free(s->pidx);
	if (s->wake >= 0)
		close(s->wake);
	if (s->reserve >= 0)
		close(s->reserve);
	body_put(s->body);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct ks_http_server *ks_http_start(const struct ks_http_config *cfg)
{
	const char *mpath = cfg->metrics_path ? cfg->metrics_path : "/metrics";
	struct ks_http_server *s;
	struct rlimit rl;
	sigset_t all, old;
	int fl, err;

	if (cfg->fd < 0 || mpath[0] != '/' || cfg->max_conns > KS_HTTP_MAX_MAX_CONNS ||
	    (cfg->max_header && (cfg->max_header < KS_HTTP_MIN_HEADER ||
				 cfg->max_header > KS_HTTP_MAX_MAX_HEADER))) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->lfd = cfg->fd;
	s->web = cfg->web;
	s->wake = s->reserve = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->max_conns = cfg->max_conns ? cfg->max_conns : KS_HTTP_MAX_CONNS;
	s->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : KS_HTTP_TIMEOUT_MS;
	s->max_header = cfg->max_header ? cfg->max_header : KS_HTTP_MAX_HEADER;
	s->metrics_path = strdup(mpath);
	s->landing = cfg->landing ? strdup(cfg->landing) : landing_page(mpath);
	s->conns = calloc(s->max_conns, sizeof(*s->conns));
	s->pfd = calloc(s->max_conns + 2, sizeof(*s->pfd));
	s->pidx = calloc(s->max_conns + 2, sizeof(*s->pidx));
	if (!s->metrics_path || !s->landing || !s->conns || !s->pfd || !s->pidx) {
		err = ENOMEM;
		goto fail;
	}
	s->metrics_len = strlen(s->metrics_path);
	s->landing_len = strlen(s->landing);
	for (unsigned i = 0; i < s->max_conns; i++)
		s->conns[i].fd = -1;
	s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake < 0) {
		err = errno;
		goto fail;
	}
	/* best effort: without it, running out of fds refuses nothing */
	s->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fl = fcntl(s->lfd, F_GETFL);
	if (fl < 0 || fcntl(s->lfd, F_SETFL, fl | O_NONBLOCK)) {
		err = errno;
		goto fail;
	}
	/* max_conns sockets need as many fds; a failure leaves the old limit */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* the agent's signal handlers run in its own thread, never in this one */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&s->thread, NULL, server_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto fail;
	pthread_setname_np(s->thread, "ks-http");
	return s;
fail:
	server_free(s);
	errno = err;
	return NULL;
}

void ks_http_stop(struct ks_http_server *s)
{
	uint64_t one = 1;
	ssize_t w;

	if (!s)
		return;
	w = write(s->wake, &one, sizeof(one));
	(void)w;
	pthread_join(s->thread, NULL);
	for (unsigned i = 0; i < s->max_conns; i++)
		if (s->conns[i].state != CONN_FREE)
			conn_close(s, &s->conns[i]);
	close(s->lfd);
	server_free(s);
}

int ks_http_publish(struct ks_http_server *s, const char *body, size_t len)
{
	struct ks_http_body *b, *old;
	z_stream z;
	uLong bound;
	int r;

	/* zlib counts in uInt; a metrics text is far smaller */
	if (len > KS_HTTP_MAX_BODY)
		return -E2BIG;
	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip wrapper, not zlib's */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&z, len);
	b = malloc(sizeof(*b) + len + bound);
	if (!b) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	if (len)
		memcpy(b->data, body, len);
	z.next_in = (Bytef *)b->data;
	z.avail_in = len;
	z.next_out = (Bytef *)b->data + len;
	z.avail_out = bound;
	r = deflate(&z, Z_FINISH);
	b->len = len;
	b->gz_len = z.total_out;
	deflateEnd(&z);
	if (r != Z_STREAM_END) {
		free(b);
		return -ENOMEM;
	}
	/* give back what the bound overestimated */
	old = realloc(b, sizeof(*b) + len + b->gz_len);
	if (old)
		b = old;
	atomic_init(&b->refs, 1);

	pthread_mutex_lock(&s->lock);
	old = s->body;
	s->body = b;
	pthread_mutex_unlock(&s->lock);
	atomic_store(&s->ready, true);
	body_put(old);
	return 0;
}

void ks_http_stats(struct ks_http_server *s, struct ks_http_stats *out)
{
	for (int i = 0; i < KS_HTTP_NCLASS; i++)
		out->requests[i] = atomic_load_explicit(&s->requests[i], memory_order_relaxed);
	out->conns_accepted = atomic_load_explicit(&s->accepted, memory_order_relaxed);
	out->conns_dropped = atomic_load_explicit(&s->dropped, memory_order_relaxed);
	out->scrapes = atomic_load_explicit(&s->scrapes, memory_order_relaxed);
}

/* ---- listening ------------------------------------------------------------- */

__attribute__((format(printf, 4, 5)))
static int listen_fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = e;
	return -1;
}

/* An inherited fd: a listening stream socket (SO_ACCEPTCONN), made nonblocking and CLOEXEC */
static int listen_inherited(int fd, const char *what, char *err, size_t errlen)
{
	int type = 0, acc = 0, fl;
	socklen_t l = sizeof(type);

	if (fcntl(fd, F_GETFD) < 0)
		return listen_fail(err, errlen, EBADF, "%s: fd %d is not open", what, fd);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l))
		return listen_fail(err, errlen, errno, "%s: fd %d is not a socket", what, fd);
	if (type != SOCK_STREAM)
		return listen_fail(err, errlen, EINVAL, "%s: fd %d is not a stream socket", what, fd);
	l = sizeof(acc);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) || !acc)
		return listen_fail(err, errlen, EINVAL, "%s: fd %d is not listening", what, fd);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) || fcntl(fd, F_SETFD, FD_CLOEXEC))
		return listen_fail(err, errlen, errno, "%s: fd %d: %s", what, fd, strerror(errno));
	return fd;
}

/* A decimal number, all of s, at most max; -1 if not */
static long parse_num(const char *s, long max)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	return v;
}

/* systemd socket activation (sd_listen_fds(3)): the first passed fd, 3 */
static int listen_systemd(char *err, size_t errlen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long n;
	int fd;

	if (!pid || !fds)
		return listen_fail(err, errlen, ENOENT,
				   "systemd: no socket passed (LISTEN_PID and LISTEN_FDS are not set)");
	if (parse_num(pid, INT_MAX) != getpid())
		return listen_fail(err, errlen, ENOENT,
				   "systemd: LISTEN_PID=%s is not this process", pid);
	n = parse_num(fds, INT_MAX - 3);
	if (n < 1)
		return listen_fail(err, errlen, ENOENT, "systemd: LISTEN_FDS=%s passes no socket", fds);
	fd = listen_inherited(3, "systemd", err, errlen);
	if (fd < 0)
		return fd;
	/* the others (unused) must not leak into children either */
	for (long i = 1; i < n; i++)
		fcntl(3 + i, F_SETFD, FD_CLOEXEC);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return fd;
}

/* A socket bound to sa and listening, or -errno */
static int bind_one(const struct sockaddr *sa, socklen_t len, bool dual_stack)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, zero = 0, e;

	if (fd < 0)
		return -errno;
	/* a restart binds while the old connections sit in TIME_WAIT */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (dual_stack)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, sa, len) || listen(fd, KS_HTTP_BACKLOG)) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/*
 * Host names are not resolved, "localhost" aside: kscope links statically,
 * and glibc's resolver (NSS) does not work in a static binary.
 */
int ks_http_listen(const char *addr, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	const char *port_s, *sep;
	size_t hl;
	long port;
	int fd;

	if (!addr)
		addr = "";
	if (!strcmp(addr, "systemd") || !strcmp(addr, "fd://"))
		return listen_systemd(err, errlen);
	if (!strncmp(addr, "fd://", 5)) {
		long n = parse_num(addr + 5, INT_MAX);

		if (n < 0)
			return listen_fail(err, errlen, EINVAL,
					   "invalid address \"%s\": fd:// takes a descriptor number", addr);
		return listen_inherited(n, addr, err, errlen);
	}
	if (addr[0] == '[') {
		sep = strchr(addr, ']');
		if (!sep)
			return listen_fail(err, errlen, EINVAL, "invalid address \"%s\": no ']'", addr);
		if (sep[1] != ':')
			return listen_fail(err, errlen, EINVAL,
					   "invalid address \"%s\": no port ([ADDRESS]:PORT)", addr);
		hl = sep - addr - 1;
		memcpy(host, addr + 1, hl < sizeof(host) ? hl : 0);
		port_s = sep + 2;
	} else {
		sep = strrchr(addr, ':');
		if (!sep)
			return listen_fail(err, errlen, EINVAL,
					   "invalid address \"%s\": no port (HOST:PORT)", addr);
		hl = sep - addr;
		if (memchr(addr, ':', hl))
			return listen_fail(err, errlen, EINVAL,
					   "invalid address \"%s\": an IPv6 address goes in brackets: [ADDRESS]:PORT",
					   addr);
		memcpy(host, addr, hl < sizeof(host) ? hl : 0);
		port_s = sep + 1;
	}
	if (hl >= sizeof(host))
		return listen_fail(err, errlen, EINVAL, "invalid address \"%s\": host too long", addr);
	host[hl] = '\0';
	port = parse_num(port_s, 65535);
	if (port < 0)
		return listen_fail(err, errlen, EINVAL, "invalid address \"%s\": bad port \"%s\"",
				   addr, port_s);
	a6.sin6_port = a4.sin_port = htons(port);

	if (addr[0] == '[') {
		char *scope = strchr(host, '%');

		/* a link-local address names its interface: fe80::1%eth0 */
		if (scope) {
			*scope++ = '\0';
			a6.sin6_scope_id = if_nametoindex(scope);
			if (!a6.sin6_scope_id)
				return listen_fail(err, errlen, ENODEV,
						   "invalid address \"%s\": no interface \"%s\"", addr, scope);
		}
		if (inet_pton(AF_INET6, host, &a6.sin6_addr) != 1)
			return listen_fail(err, errlen, EINVAL,
					   "invalid address \"%s\": \"%s\" is not an IPv6 address", addr, host);
		/* "[::]" listens on IPv4 too, as ":PORT" does */
		fd = bind_one((struct sockaddr *)&a6, sizeof(a6), IN6_IS_ADDR_UNSPECIFIED(&a6.sin6_addr));
	} else if (!host[0]) {
		/* every interface: IPv6 with IPv4 mapped in, or IPv4 alone on a host without IPv6 */
		a6.sin6_addr = in6addr_any;
		fd = bind_one((struct sockaddr *)&a6, sizeof(a6), true);
		if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL || fd == -EPROTONOSUPPORT) {
			a4.sin_addr.s_addr = htonl(INADDR_ANY);
			fd = bind_one((struct sockaddr *)&a4, sizeof(a4), false);
		}
	} else {
		if (!strcmp(host, "localhost"))
			a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &a4.sin_addr) != 1)
			return listen_fail(err, errlen, EINVAL,
					   "invalid address \"%s\": \"%s\" is not an IPv4 address, nor localhost (host names are not resolved)",
					   addr, host);
		fd = bind_one((struct sockaddr *)&a4, sizeof(a4), false);
	}
	if (fd < 0)
		return listen_fail(err, errlen, -fd, "cannot listen on %s: %s", addr, strerror(-fd));
	return fd;
}

int ks_http_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &l))
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -EAFNOSUPPORT;
}

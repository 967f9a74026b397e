// SPDX-License-Identifier: GPL-2.0
/*
 * scrape: sequential scrapes of a Prometheus endpoint, timed one by one.
 *
 *   scrape -a HOST:PORT [-p PATH] [-n SCRAPES] [-w WARMUP] [-z] [-c CPU]
 *          [-o FILE] [-e NAME]...
 *
 * One thread, pinned to CPU (default 1), opens one TCP connection to
 * HOST:PORT (an IPv4 address) and sends WARMUP (default 5) untimed, then
 * SCRAPES (default 200) timed GET requests for PATH (default /metrics) on
 * it, one after the other, each sent once the previous response is read
 * in full: HTTP/1.1 keep-alive, as Prometheus scrapes, with the headers
 * Prometheus 2.x sends (its Accept, User-Agent and
 * X-Prometheus-Scrape-Timeout-Seconds) and, with -z, its
 * "Accept-Encoding: gzip". A response is read to its end by its
 * Content-Length or its chunked framing (decoded here); a server that
 * closes the connection gets a new one (counted: reconnects; the connect is
 * in that scrape's time).
 *
 * A scrape's time is CLOCK_MONOTONIC (vDSO) from just before the request is
 * written to the last byte of its response read: what a scraper waits.
 *
 * Every response is checked, and a failed one is counted, never timed as
 * fast: the status must be 200 and the body not empty; with -z, a body
 * served with "Content-Encoding: gzip" must begin with gzip's magic bytes;
 * without it, the body must hold every NAME of -e (repeatable) at the start
 * of a line (a sample's or a "# HELP NAME" comment's name). The body is not
 * decompressed here: -o FILE keeps the last body as received (de-chunked;
 * gzip'd with -z) for the runner to decompress, count and check.
 *
 * Prints one JSON object on stdout:
 *   {"scrapes":N,"warmup":W,"gzip":0|1,"ok":...,"failed":...,
 *    "first_error":"..."|null,"status":...,"content_type":"...",
 *    "content_encoding":"..."|null,"gzip_served":...,"chunked":0|1,
 *    "reconnects":...,"body_bytes_min":...,"body_bytes_max":...,
 *    "body_bytes_mean":...,"wire_bytes_mean":...,"elapsed_ns":...,
 *    "lat_ns":{"min":...,"p50":...,"p90":...,"p99":...,"max":...,
 *              "mean":...},"cpu":...,"pid":...}
 * over the timed scrapes: gzip_served counts the responses with
 * Content-Encoding gzip; wire_bytes_mean is what was read per scrape (head,
 * chunk framing and body); elapsed_ns the time of the timed scrapes
 * together. Exit status: 0 (failures are in the JSON), 2 on a setup error
 * (no connection at all, bad arguments).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_NAMES 16
#define READ_CHUNK (256 * 1024)

static struct sockaddr_in addr;
static const char *names[MAX_NAMES];
static int nnames;

struct buf {
	char *p;
	size_t len, cap;
};

static void reserve(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	while (b->len + more > b->cap)
		b->cap = b->cap ? 2 * b->cap : 1 << 20;
	b->p = realloc(b->p, b->cap);
	if (!b->p)
		die("realloc");
}

/* What one response was */
struct resp {
	int status;
	bool chunked, gzip, close;
	char ctype[128], cenc[64];
	struct buf body;
	size_t wire;            /* bytes read for it */
};

struct conn {
	int fd;
	struct buf in;          /* read, not yet consumed */
	size_t off;             /* consumed prefix of in */
};

static void usage(void)
{
	fprintf(stderr, "usage: scrape -a HOST:PORT [-p PATH] [-n SCRAPES] [-w WARMUP] [-z] "
		"[-c CPU] [-o FILE] [-e NAME]...\n");
	exit(2);
}

static int conn_open(struct conn *c)
{
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr))) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->in.len = c->off = 0;
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->in.len = c->off = 0;
}

/* More bytes into c->in: > 0 read, 0 EOF, < 0 error */
static ssize_t fill(struct conn *c, struct resp *r)
{
	ssize_t n;

	if (c->off && c->off == c->in.len)
		c->in.len = c->off = 0;
	reserve(&c->in, READ_CHUNK);
	do
		n = read(c->fd, c->in.p + c->in.len, READ_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->in.len += n;
		r->wire += n;
	}
	return n;
}

/* The index of "\r\n" at or after from in c->in, or -1 */
static long find_crlf(const struct conn *c, size_t from)
{
	for (size_t i = from; i + 1 < c->in.len; i++)
		if (c->in.p[i] == '\r' && c->in.p[i + 1] == '\n')
			return i;
	return -1;
}

static void header_value(const char *line, size_t len, char *out, size_t outlen)
{
	const char *v = memchr(line, ':', len);
	size_t n;

	if (!v)
		return;
	v++;
	while (v < line + len && (*v == ' ' || *v == '\t'))
		v++;
	n = line + len - v;
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, v, n);
	out[n] = 0;
}

static bool is_header(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && line[n] == ':' && !strncasecmp(line, name, n);
}

/*
 * Read one response on c (its request written): 0, or -1 with why in err.
 */
static int read_response(struct conn *c, struct resp *r, char *err, size_t errlen)
{
	long end, clen = -1;
	size_t pos;
	char v[128];

	r->status = 0;
	r->chunked = r->gzip = r->close = false;
	r->ctype[0] = r->cenc[0] = 0;
	r->body.len = 0;
	/* the head */
	for (;;) {
		char *h = c->in.p + c->off;
		size_t n = c->in.len - c->off;

		if (n >= 4) {
			char *e = memmem(h, n, "\r\n\r\n", 4);

			if (e) {
				end = e - c->in.p;
				break;
			}
		}
		if (fill(c, r) <= 0) {
			snprintf(err, errlen, "connection closed before a response head");
			return -1;
		}
	}
	pos = c->off;
	{
		long eol = find_crlf(c, pos);
		int st;

		if (sscanf(c->in.p + pos, "HTTP/1.%*d %d", &st) != 1) {
			snprintf(err, errlen, "not an HTTP/1.x status line");
			return -1;
		}
		r->status = st;
		pos = eol + 2;
	}
	while ((long)pos < end) {
		long eol = find_crlf(c, pos);
		const char *line = c->in.p + pos;
		size_t len = eol - pos;

		if (is_header(line, len, "content-length")) {
			header_value(line, len, v, sizeof(v));
			clen = strtol(v, NULL, 10);
		} else if (is_header(line, len, "transfer-encoding")) {
			header_value(line, len, v, sizeof(v));
			r->chunked = strcasestr(v, "chunked") != NULL;
		} else if (is_header(line, len, "content-encoding")) {
			header_value(line, len, r->cenc, sizeof(r->cenc));
			r->gzip = strcasestr(r->cenc, "gzip") != NULL;
		} else if (is_header(line, len, "content-type")) {
			header_value(line, len, r->ctype, sizeof(r->ctype));
		} else if (is_header(line, len, "connection")) {
			header_value(line, len, v, sizeof(v));
			r->close = strcasestr(v, "close") != NULL;
		}
		pos = eol + 2;
	}
	c->off = end + 4;
	/* the body */
	if (r->chunked) {
		for (;;) {
			long eol;
			unsigned long size;

			while ((eol = find_crlf(c, c->off)) < 0)
				if (fill(c, r) <= 0)
					goto short_body;
			size = strtoul(c->in.p + c->off, NULL, 16);
			c->off = eol + 2;
			if (!size) {
				/* trailers, up to the empty line */
				for (;;) {
					while ((eol = find_crlf(c, c->off)) < 0)
						if (fill(c, r) <= 0)
							goto short_body;
					if ((size_t)eol == c->off) {
						c->off += 2;
						return 0;
					}
					c->off = eol + 2;
				}
			}
			while (c->in.len - c->off < size + 2)
				if (fill(c, r) <= 0)
					goto short_body;
			reserve(&r->body, size);
			memcpy(r->body.p + r->body.len, c->in.p + c->off, size);
			r->body.len += size;
			c->off += size + 2;
		}
	}
	if (clen < 0) {
		/* to the end of the connection */
		r->close = true;
		for (;;) {
			ssize_t n;

			reserve(&r->body, c->in.len - c->off);
			memcpy(r->body.p + r->body.len, c->in.p + c->off, c->in.len - c->off);
			r->body.len += c->in.len - c->off;
			c->off = c->in.len;
			n = fill(c, r);
			if (n == 0)
				return 0;
			if (n < 0)
				goto short_body;
		}
	}
	while (c->in.len - c->off < (size_t)clen)
		if (fill(c, r) <= 0)
			goto short_body;
	reserve(&r->body, clen);
	memcpy(r->body.p, c->in.p + c->off, clen);
	r->body.len = clen;
	c->off += clen;
	return 0;
short_body:
	snprintf(err, errlen, "connection closed in the body (%zu bytes read)", r->body.len);
	return -1;
}

/* NAME at the start of a line of the body, or after "# HELP " / "# TYPE " */
static bool has_name(const struct buf *b, const char *name)
{
	size_t n = strlen(name);
	const char *p = b->p, *end = b->p + b->len;

	while (p < end && (p = memmem(p, end - p, name, n))) {
		bool start = p == b->p || p[-1] == '\n' ||
			     (p - b->p >= 7 && (!memcmp(p - 7, "# HELP ", 7) ||
						!memcmp(p - 7, "# TYPE ", 7)));
		char after = p + n < end ? p[n] : '\n';

		if (start && (after == ' ' || after == '{' || after == '\n'))
			return true;
		p += n;
	}
	return false;
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

int main(int argc, char **argv)
{
	const char *target = NULL, *path = "/metrics", *out = NULL;
	long scrapes = 200, warmup = 5, failed = 0, ok = 0, reconnects = 0, gz_served = 0;
	unsigned long long *lat, t_all0, t_all1, wire_total = 0, body_total = 0;
	size_t body_min = (size_t)-1, body_max = 0;
	char req[1024], first_error[256] = "", err[200];
	int cpu = 1, opt, reqlen, last_status = 0;
	bool gzip = false, chunked = false;
	struct resp r = { 0 };
	struct conn c = { .fd = -1 };
	char ctype[128] = "", cenc[64] = "";

	bench_name = "scrape";
	while ((opt = getopt(argc, argv, "a:p:n:w:zc:o:e:h")) != -1) {
		switch (opt) {
		case 'a': target = optarg; break;
		case 'p': path = optarg; break;
		case 'n': scrapes = strtol(optarg, NULL, 10); break;
		case 'w': warmup = strtol(optarg, NULL, 10); break;
		case 'z': gzip = true; break;
		case 'c': cpu = atoi(optarg); break;
		case 'o': out = optarg; break;
		case 'e':
			if (nnames == MAX_NAMES)
				usage();
			names[nnames++] = optarg;
			break;
		default: usage();
		}
	}
	if (!target || scrapes <= 0 || warmup < 0 || cpu < 0 || cpu >= CPU_SETSIZE)
		usage();
	{
		char host[64];
		const char *colon = strrchr(target, ':');

		if (!colon || colon - target >= (long)sizeof(host))
			usage();
		memcpy(host, target, colon - target);
		host[colon - target] = 0;
		addr.sin_family = AF_INET;
		addr.sin_port = htons(atoi(colon + 1));
		if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
			usage();
	}
	reqlen = snprintf(req, sizeof(req),
		"GET %s HTTP/1.1\r\n"
		"Host: %s\r\n"
		"User-Agent: Prometheus/2.42.0\r\n"
		"Accept: application/openmetrics-text;version=1.0.0,"
		"application/openmetrics-text;version=0.0.1;q=0.75,"
		"text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
		"%s"
		"X-Prometheus-Scrape-Timeout-Seconds: 10\r\n"
		"\r\n", path, target, gzip ? "Accept-Encoding: gzip\r\n" : "");
	lat = calloc(scrapes, sizeof(*lat));
	if (!lat)
		die("calloc");
	pin_cpu(cpu);
	if (conn_open(&c))
		die("connect");

	t_all0 = now_ns();
	for (long i = -warmup; i < scrapes; i++) {
		unsigned long long t0, t1;
		const char *why = NULL;
		ssize_t w = 0;

		if (i == 0)
			t_all0 = now_ns();
		t0 = now_ns();
		if (c.fd < 0) {
			reconnects += i >= 0;
			if (conn_open(&c)) {
				snprintf(err, sizeof(err), "connect: %s", strerror(errno));
				why = err;
			}
		}
		r.wire = 0;
		for (int off = 0; !why && off < reqlen; off += w) {
			w = write(c.fd, req + off, reqlen - off);
			if (w <= 0) {
				snprintf(err, sizeof(err), "write: %s", strerror(errno));
				why = err;
			}
		}
		if (!why && read_response(&c, &r, err, sizeof(err)))
			why = err;
		t1 = now_ns();
		if (!why && r.status != 200) {
			snprintf(err, sizeof(err), "status %d", r.status);
			why = err;
		}
		if (!why && !r.body.len)
			why = "empty body";
		if (!why && r.gzip &&
		    (r.body.len < 2 || (unsigned char)r.body.p[0] != 0x1f ||
		     (unsigned char)r.body.p[1] != 0x8b))
			why = "Content-Encoding gzip, but no gzip magic";
		for (int k = 0; !why && !r.gzip && k < nnames; k++)
			if (!has_name(&r.body, names[k])) {
				snprintf(err, sizeof(err), "no %s in the body", names[k]);
				why = err;
			}
		if (why || r.close)
			conn_close(&c);
		if (i < 0)
			continue;
		last_status = r.status;
		if (why) {
			if (!failed++)
				snprintf(first_error, sizeof(first_error), "scrape %ld: %s", i, why);
			continue;
		}
		lat[ok++] = t1 - t0;
		gz_served += r.gzip;
		chunked |= r.chunked;
		wire_total += r.wire;
		body_total += r.body.len;
		if (r.body.len < body_min)
			body_min = r.body.len;
		if (r.body.len > body_max)
			body_max = r.body.len;
		snprintf(ctype, sizeof(ctype), "%s", r.ctype);
		snprintf(cenc, sizeof(cenc), "%s", r.cenc);
		if (out && i == scrapes - 1) {
			FILE *f = fopen(out, "wb");

			if (!f || fwrite(r.body.p, 1, r.body.len, f) != r.body.len || fclose(f))
				die(out);
		}
	}
	t_all1 = now_ns();
	conn_close(&c);

	qsort(lat, ok, sizeof(*lat), cmp_ull);
	printf("{\"scrapes\":%ld,\"warmup\":%ld,\"gzip\":%d,\"ok\":%ld,\"failed\":%ld,"
	       "\"first_error\":", scrapes, warmup, gzip, ok, failed);
	if (failed)
		json_str(first_error);
	else
		printf("null");
	printf(",\"status\":%d,\"content_type\":", last_status);
	json_str(ctype);
	printf(",\"content_encoding\":");
	if (cenc[0])
		json_str(cenc);
	else
		printf("null");
	printf(",\"gzip_served\":%ld,\"chunked\":%d,\"reconnects\":%ld,", gz_served, chunked,
	       reconnects);
	if (ok) {
		unsigned long long sum = 0;

		for (long i = 0; i < ok; i++)
			sum += lat[i];
		/* nearest rank */
		printf("\"body_bytes_min\":%zu,\"body_bytes_max\":%zu,\"body_bytes_mean\":%.1f,"
		       "\"wire_bytes_mean\":%.1f,\"lat_ns\":{\"min\":%llu,\"p50\":%llu,"
		       "\"p90\":%llu,\"p99\":%llu,\"max\":%llu,\"mean\":%.0f},",
		       body_min, body_max, (double)body_total / ok, (double)wire_total / ok,
		       lat[0], lat[(ok * 50 + 99) / 100 - 1], lat[(ok * 90 + 99) / 100 - 1],
		       lat[(ok * 99 + 99) / 100 - 1], lat[ok - 1], (double)sum / ok);
	}
	printf("\"elapsed_ns\":%llu,\"cpu\":%d,\"pid\":%d}\n", t_all1 - t_all0, cpu, (int)getpid());
	return 0;
}

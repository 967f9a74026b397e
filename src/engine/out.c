// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "out.h"
#include "util.h"

#define OUT_BUF_SIZE (256 * 1024)

int ks_out_init(struct ks_out *o, int fd, bool json, bool wallclock)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->json = json;
	o->wallclock = wallclock;
	o->cap = OUT_BUF_SIZE;
	o->buf = malloc(o->cap);
	o->tm_sec = -1;
	if (!o->buf)
		return -ENOMEM;
	if (fd == STDOUT_FILENO && ks_stdout_closed)
		o->err = -EBADF;	/* kscope started with its stdout closed */
	ks_out_set_epoch(o);
	return 0;
}

void ks_out_free(struct ks_out *o)
{
	free(o->buf);
	o->buf = NULL;
}

void ks_out_set_epoch(struct ks_out *o)
{
	uint64_t mono = ks_now_ns(CLOCK_MONOTONIC);
	uint64_t real = ks_now_ns(CLOCK_REALTIME);

	o->t0_ns = mono;
	o->real_off_ns = (int64_t)(real - mono);
}

int ks_out_flush(struct ks_out *o)
{
	size_t off = 0;

	while (off < o->len && !o->err) {
		ssize_t n;

		/*
		 * Once the user asked to stop, a reader that does not read
		 * (a paused pager, a full pipe) must not hold kscope forever:
		 * wait at most a second for room, then drop the rest.
		 */
		if (o->stop && *o->stop) {
			struct pollfd p = { .fd = o->fd, .events = POLLOUT };

			if (poll(&p, 1, 1000) == 0) {
				o->err = -ETIMEDOUT;
				o->dropped += o->len - off;
				break;
			}
		}
		n = write(o->fd, o->buf + off, o->len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			o->err = -errno;
			break;
		}
		off += n;
	}
	o->len = 0;
	return o->err;
}

bool ks_out_failed(const struct ks_out *o, const char *name, const char *note)
{
	char what[4200];

	if (!o->err || o->err == -EPIPE)
		return false;
	if (name)
		snprintf(what, sizeof(what), "'%s'", name);
	else
		snprintf(what, sizeof(what), "standard output");
	if (o->err == -ETIMEDOUT) {
		ks_errorf("kscope: %s took nothing for a second after the stop: the last %zu "
			  "bytes of output were dropped", what, o->dropped);
		return false;
	}
	ks_errorf("kscope: cannot write to %s: %s: the output is incomplete%s%s%s", what,
		  strerror(-o->err), note ? " (" : "", note ? note : "", note ? ")" : "");
	return true;
}

void ks_verrorf(const char *fmt, va_list ap)
{
	char msg[8192], line[sizeof(msg) * 6 + 2];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = ks_escape_text(line, sizeof(line) - 1, msg, sizeof(msg));
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* one write: lines from kscope and PROGRAM sharing stderr do not mix */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void ks_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ks_verrorf(fmt, ap);
	va_end(ap);
}

/* ---- output files -------------------------------------------------------- */

int ks_outfile_open(struct ks_outfile *f, const char *path, const char **why)
{
	struct stat st;
	int fd;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->fd = -1;
	*why = NULL;
	if (!path[0])
		return -ENOENT;
	if (!lstat(path, &st) && S_ISLNK(st.st_mode)) {
		if (stat(path, &st)) {
			*why = "a symbolic link that leads nowhere: name the file itself";
			return -ELOOP;
		}
		if (S_ISREG(st.st_mode)) {
			*why = "a symbolic link to a regular file: name the file itself";
			return -ELOOP;
		}
		/* a device, a pipe, a socket: nothing to clobber */
		fd = open(path, O_WRONLY | O_CLOEXEC);
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0)
			f->created = true;
		else if (errno == EEXIST)
			fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		if (errno == ELOOP)
			*why = "a symbolic link (it just appeared): name the file itself";
		else if (errno == EISDIR)
			*why = "a directory";
		return -errno;
	}
	if (fstat(fd, &st)) {
		int err = -errno;

		close(fd);
		return err;
	}
	f->fd = fd;
	f->truncate = !f->created && S_ISREG(st.st_mode) && st.st_size > 0;
	return 0;
}

int ks_outfile_begin(struct ks_outfile *f)
{
	if (f->fd < 0 || f->begun)
		return 0;
	f->begun = true;
	if (f->truncate && ftruncate(f->fd, 0))
		return -errno;
	return 0;
}

void ks_outfile_close(struct ks_outfile *f)
{
	if (f->fd < 0)
		return;
	close(f->fd);
	f->fd = -1;
	if (f->created && !f->begun)
		unlink(f->path);
}

bool ks_outfile_same(const struct ks_outfile *a, const struct ks_outfile *b)
{
	struct stat x, y;

	return a->fd >= 0 && b->fd >= 0 && !fstat(a->fd, &x) && !fstat(b->fd, &y) &&
	       x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* Make room for n more bytes: flush, then grow for an oversized item */
char *ks_out_reserve_slow(struct ks_out *o, size_t n)
{
	if (o->len + n > o->cap) {
		ks_out_flush(o);
		if (n > o->cap) {
			char *p = realloc(o->buf, n);

			if (!p)
				abort();	/* out of memory while printing: nothing sane left */
			o->buf = p;
			o->cap = n;
		}
	}
	return o->buf + o->len;
}

#define reserve ks_out_reserve

/* the end of what was written at d (inside a reserve) */
static inline void commit(struct ks_out *o, char *d)
{
	o->len = d - o->buf;
}

/* ---- numbers ------------------------------------------------------------- */

#define U64_MAX_DIGITS 20
#define S64_MAX_CHARS  20	/* "-9223372036854775808" */

static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static inline unsigned u64_len(uint64_t v)
{
	unsigned n = 1;

	for (;;) {
		if (v < 10)
			return n;
		if (v < 100)
			return n + 1;
		if (v < 1000)
			return n + 2;
		if (v < 10000)
			return n + 3;
		v /= 10000;
		n += 4;
	}
}

/* v in decimal at d (room for U64_MAX_DIGITS); returns the end */
static inline char *put_u64(char *d, uint64_t v)
{
	char *end = d + u64_len(v), *p = end;

	while (v >= 100) {
		unsigned r = v % 100;

		v /= 100;
		p -= 2;
		memcpy(p, digits2 + 2 * r, 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, digits2 + 2 * v, 2);
	} else {
		*--p = '0' + v;
	}
	return end;
}

/* room for S64_MAX_CHARS */
static inline char *put_s64(char *d, int64_t v)
{
	if (v < 0) {
		*d++ = '-';
		return put_u64(d, -(uint64_t)v);
	}
	return put_u64(d, v);
}

/* a string of our own (a literal) */
static inline char *put_mem(char *d, const char *s, size_t n)
{
	memcpy(d, s, n);
	return d + n;
}

#define put_lit(d, s) put_mem(d, s, sizeof(s) - 1)

void ks_out_u64(struct ks_out *o, uint64_t v)
{
	commit(o, put_u64(reserve(o, U64_MAX_DIGITS), v));
}

void ks_out_s64(struct ks_out *o, int64_t v)
{
	commit(o, put_s64(reserve(o, S64_MAX_CHARS), v));
}

void ks_out_vprintf(struct ks_out *o, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n > 0) {
		reserve(o, n + 1);
		vsnprintf(o->buf + o->len, n + 1, fmt, again);
		o->len += n;
	}
	va_end(again);
}

void ks_out_printf(struct ks_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ks_out_vprintf(o, fmt, ap);
	va_end(ap);
}

void ks_out_sep(struct ks_out *o)
{
	if (o->blocks++)
		ks_out_char(o, '\n');
}

void ks_out_time_heading(struct ks_out *o)
{
	time_t t = time(NULL);
	struct tm tm;
	char buf[16];

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S\n", &tm);
	ks_out_sep(o);
	ks_out_cstr(o, buf);
}

void ks_out_eol(struct ks_out *o)
{
	/* (padding already flushed out with a full buffer stays: harmless) */
	while (o->len && o->buf[o->len - 1] == ' ')
		o->len--;
	ks_out_char(o, '\n');
}

void ks_out_pad(struct ks_out *o, size_t start, size_t width)
{
	size_t used = o->len >= start ? o->len - start : width;

	/* a flush inside the field loses `start`; then just use one space */
	if (o->len < start)
		used = width - 1;
	if (used < width) {
		memset(reserve(o, width - used), ' ', width - used);
		o->len += width - used;
	}
}

/* ---- escaping ------------------------------------------------------------ */

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes are not
 * valid UTF-8 (overlong, surrogate, > U+10FFFF, truncated). *cp gets the
 * code point.
 */
size_t ks_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/*
 * Code points that are valid but must not reach a terminal raw: C1
 * controls, line/paragraph separators, and bidirectional overrides
 * ("Trojan Source") that can make a path display as something else.
 */
static bool cp_unsafe(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static const char hexdig[] = "0123456789abcdef";

/*
 * Bytes that every escaper copies as they are: printable ASCII but the
 * backslash (SAFE_TEXT) and, for JSON and quoted table words, the double
 * quote (SAFE_JSON). NUL and everything else goes through escape().
 */
#define SAFE_JSON 1
#define SAFE_TEXT 2
#define S_ (SAFE_JSON | SAFE_TEXT)
static const unsigned char safe_byte[256] = {
	/* 0x20 - 0x7f: '"' (0x22) is text-safe only, '\\' (0x5c) and DEL unsafe */
	[0x20] = S_, S_, SAFE_TEXT, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_,
	S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_,
	S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_,
	S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, 0, S_, S_, S_,
	S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_,
	S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, S_, 0,
};
#undef S_

/*
 * Length of the leading run of s[0..n) that needs no escaping under
 * `mask`. It stops at a NUL too (not safe), so a string that is all run up
 * to n or to its NUL is copied as it is.
 */
static inline size_t safe_run(const char *src, size_t n, unsigned mask)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0;

	while (i + 4 <= n && (safe_byte[s[i]] & safe_byte[s[i + 1]] &
			      safe_byte[s[i + 2]] & safe_byte[s[i + 3]] & mask))
		i += 4;
	while (i < n && (safe_byte[s[i]] & mask))
		i++;
	return i;
}

static void out_frac(struct ks_out *o, uint64_t v, int digits);

/*
 * One escaper for both sinks, writing into dst (which the caller sized for
 * the worst case: 6 bytes per input byte).
 * Table: \\ \n \t \r, \xNN for control and invalid bytes, \uNNNN for the
 * unsafe code points above; `quote` (if not 0) is escaped as \".
 * JSON: RFC 8259 escapes; invalid bytes become \udcNN (a lone surrogate,
 * Python's "surrogateescape": lossless, and strict parsers show U+FFFD).
 */
static size_t escape(char *dst, const char *src, size_t n, bool json, char quote)
{
	const unsigned char *s = (const unsigned char *)src;
	char *d = dst;
	size_t i = 0;

	while (i < n && s[i]) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t len;

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			*d++ = c;
			i++;
			continue;
		}
		if (c == '\\' || (c == '"' && (json || quote == '"'))) {
			*d++ = '\\';
			*d++ = c;
			i++;
			continue;
		}
		if (c == '"') {
			*d++ = c;
			i++;
			continue;
		}
		if (c == '\n' || c == '\t' || c == '\r' || (json && (c == '\b' || c == '\f'))) {
			*d++ = '\\';
			*d++ = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : c == '\b' ? 'b' : 'f';
			i++;
			continue;
		}
		len = c < 0x80 ? 0 : ks_utf8_seq(s + i, n - i, &cp);
		if (len && !cp_unsafe(cp)) {
			memcpy(d, s + i, len);
			d += len;
			i += len;
			continue;
		}
		if (len) {	/* valid but unsafe code point */
			*d++ = '\\';
			*d++ = 'u';
			*d++ = hexdig[(cp >> 12) & 0xf];
			*d++ = hexdig[(cp >> 8) & 0xf];
			*d++ = hexdig[(cp >> 4) & 0xf];
			*d++ = hexdig[cp & 0xf];
			i += len;
			continue;
		}
		/* control byte (< 0x20, 0x7f) or a byte that is not UTF-8 */
		*d++ = '\\';
		if (json) {
			memcpy(d, c < 0x80 ? "u00" : "udc", 3);
			d += 3;
		} else {
			*d++ = 'x';
		}
		*d++ = hexdig[c >> 4];
		*d++ = hexdig[c & 0xf];
		i++;
	}
	return d - dst;
}

static size_t bounded_len(const char *s, size_t n)
{
	const char *z = memchr(s, '\0', n);

	return z ? (size_t)(z - s) : n;
}

static size_t escape_into(char *dst, size_t cap, const char *s, size_t n, bool json)
{
	char *tmp;
	size_t len;

	n = bounded_len(s, n);
	tmp = malloc(n * 6 + 1);
	if (!tmp)
		return 0;
	len = escape(tmp, s, n, json, 0);
	if (cap) {
		size_t c = len < cap - 1 ? len : cap - 1;

		memcpy(dst, tmp, c);
		dst[c] = '\0';
	}
	free(tmp);
	return len;
}

size_t ks_escape_text(char *dst, size_t cap, const char *s, size_t n)
{
	return escape_into(dst, cap, s, n, false);
}

size_t ks_escape_json(char *dst, size_t cap, const char *s, size_t n)
{
	return escape_into(dst, cap, s, n, true);
}

/*
 * d (in the buffer, at or after o->len: what is between is written but
 * not yet counted) with room for `need` bytes from there on. If the buffer
 * is short, the pending bytes are counted first, then room is made (which
 * may flush them).
 */
static inline char *room_at(struct ks_out *o, char *d, size_t need)
{
	if (__builtin_expect((size_t)(d - o->buf) + need > o->cap, 0)) {
		commit(o, d);
		d = ks_out_reserve_slow(o, need);
	}
	return d;
}

/*
 * s (up to n bytes or its NUL) escaped at d (see room_at), leaving room for
 * `extra` bytes after it: returns where the escaped text ends. A plain
 * string (the common case) is one scan and one copy; at the first byte that
 * needs escaping, escape() takes the rest, with room for its worst case.
 */
static inline char *put_escaped(struct ks_out *o, char *d, size_t extra, const char *s,
				size_t n, bool json, char quote)
{
	unsigned mask = json || quote == '"' ? SAFE_JSON : SAFE_TEXT;
	size_t run = safe_run(s, n, mask);

	if (run == n || !s[run])
		return put_mem(room_at(o, d, run + extra), s, run);
	n = run + bounded_len(s + run, n - run);
	d = put_mem(room_at(o, d, n * 6 + extra), s, run);
	return d + escape(d, s + run, n - run, json, quote);
}

static void out_escaped(struct ks_out *o, const char *s, size_t n, bool json, char quote)
{
	commit(o, put_escaped(o, o->buf + o->len, 0, s, n, json, quote));
}

void ks_out_text(struct ks_out *o, const char *s, size_t n)
{
	out_escaped(o, s, n, false, 0);
}

/* "s" at d, with room for `extra` more after it (see put_escaped) */
static inline char *put_json_str(struct ks_out *o, char *d, size_t extra, const char *s,
				 size_t n)
{
	*d++ = '"';
	d = put_escaped(o, d, extra + 1, s, n, true, 0);
	*d++ = '"';
	return d;
}

void ks_out_json_str(struct ks_out *o, const char *s, size_t n)
{
	commit(o, put_json_str(o, reserve(o, 2), 0, s, n));
}

/* ---- human formats ------------------------------------------------------- */

void ks_fmt_ns(char *buf, size_t cap, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, cap, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, cap, "%.2fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, cap, "%.2fms", ns / 1e6);
	else
		snprintf(buf, cap, "%.2fs", ns / 1e9);
}

void ks_fmt_bytes(char *buf, size_t cap, uint64_t b)
{
	if (b < 1024)
		snprintf(buf, cap, "%lluB", (unsigned long long)b);
	else if (b < 1024 * 1024)
		snprintf(buf, cap, "%.1fKiB", b / 1024.0);
	else if (b < 1024ull * 1024 * 1024)
		snprintf(buf, cap, "%.1fMiB", b / (1024.0 * 1024));
	else
		snprintf(buf, cap, "%.1fGiB", b / (1024.0 * 1024 * 1024));
}

/* ---- JSON ---------------------------------------------------------------- */

/*
 * comma[depth]: the next member or element at this depth needs a comma.
 * after_key: a key was written and its value is pending.
 */
static void json_value(struct ks_out *o)
{
	if (o->after_key) {
		o->after_key = false;
		return;
	}
	if (o->comma[o->depth])
		ks_out_char(o, ',');
	o->comma[o->depth] = true;
}

static void json_open(struct ks_out *o, char c)
{
	json_value(o);
	ks_out_char(o, c);
	if (o->depth < KS_JSON_DEPTH - 1)
		o->depth++;
	o->comma[o->depth] = false;
}

static void json_close(struct ks_out *o, char c)
{
	ks_out_char(o, c);
	if (o->depth)
		o->depth--;
}

void ks_json_begin(struct ks_out *o)
{
	json_open(o, '{');
}

void ks_json_end(struct ks_out *o)
{
	json_close(o, '}');
	if (!o->depth) {
		ks_out_char(o, '\n');
		o->comma[0] = false;
	}
}

/*
 * ',' if this depth needs one, then "key": (keys are literals in our code,
 * never untrusted), with room for `extra` more bytes: returns where the
 * value goes. The value is written at once, so after_key stays false.
 */
static inline char *put_key(struct ks_out *o, const char *key, size_t klen, size_t extra)
{
	char *d = reserve(o, klen + 4 + extra);

	if (o->comma[o->depth])
		*d++ = ',';
	o->comma[o->depth] = true;
	o->after_key = false;
	*d++ = '"';
	d = put_mem(d, key, klen);
	*d++ = '"';
	*d++ = ':';
	return d;
}

void ks_json_key_n(struct ks_out *o, const char *key, size_t klen)
{
	commit(o, put_key(o, key, klen, 0));
	o->after_key = true;
}

void ks_json_arr_begin(struct ks_out *o)
{
	json_open(o, '[');
}

void ks_json_arr_end(struct ks_out *o)
{
	json_close(o, ']');
}

void ks_json_u64(struct ks_out *o, uint64_t v)
{
	json_value(o);
	ks_out_u64(o, v);
}

void ks_json_s64(struct ks_out *o, int64_t v)
{
	json_value(o);
	ks_out_s64(o, v);
}

void ks_json_str(struct ks_out *o, const char *s, size_t n)
{
	json_value(o);
	ks_out_json_str(o, s, n);
}

void ks_json_bool(struct ks_out *o, bool v)
{
	json_value(o);
	ks_out_cstr(o, v ? "true" : "false");
}

void ks_json_null(struct ks_out *o)
{
	json_value(o);
	ks_out_mem(o, "null", 4);
}

void ks_json_kv_u64_n(struct ks_out *o, const char *key, size_t klen, uint64_t v)
{
	commit(o, put_u64(put_key(o, key, klen, U64_MAX_DIGITS), v));
}

void ks_json_kv_s64_n(struct ks_out *o, const char *key, size_t klen, int64_t v)
{
	commit(o, put_s64(put_key(o, key, klen, S64_MAX_CHARS), v));
}

void ks_json_kv_str_n(struct ks_out *o, const char *key, size_t klen, const char *s, size_t n)
{
	commit(o, put_json_str(o, put_key(o, key, klen, 2), 0, s, n));
}

static inline char *put_bool(char *d, bool v)
{
	return v ? put_lit(d, "true") : put_lit(d, "false");
}

void ks_json_kv_bool_n(struct ks_out *o, const char *key, size_t klen, bool v)
{
	commit(o, put_bool(put_key(o, key, klen, 5), v));
}

void ks_json_kv_null_n(struct ks_out *o, const char *key, size_t klen)
{
	commit(o, put_lit(put_key(o, key, klen, 4), "null"));
}

void ks_json_kv_double(struct ks_out *o, const char *key, double v)
{
	ks_json_key(o, key);
	json_value(o);
	if (isfinite(v))
		ks_out_printf(o, "%.9g", v);
	else
		ks_out_mem(o, "null", 4);	/* JSON has no NaN or infinity */
}

void ks_json_kv_milli(struct ks_out *o, const char *key, uint64_t v)
{
	ks_json_key(o, key);
	json_value(o);
	ks_out_u64(o, v / 1000);
	ks_out_char(o, '.');
	out_frac(o, v % 1000, 3);
}

/* ---- timestamps ---------------------------------------------------------- */

/*
 * The wall-clock time of a CLOCK_MONOTONIC timestamp, in ns. Unsigned: a
 * wild ts_ns (a malformed record) wraps instead of overflowing.
 */
static uint64_t wall_ns(const struct ks_out *o, uint64_t ts_ns)
{
	return ts_ns + (uint64_t)o->real_off_ns;
}

static void wall_prefix(struct ks_out *o, uint64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if ((int64_t)sec == o->tm_sec)
		return;
	o->tm_sec = sec;
	/* a time past what struct tm holds (a malformed record) prints as such */
	if (localtime_r(&t, &tm))
		strftime(o->tm_text, sizeof(o->tm_text), "%H:%M:%S", &tm);
	else
		snprintf(o->tm_text, sizeof(o->tm_text), "--:--:--");
	if (gmtime_r(&t, &tm) && tm.tm_year < 8100)
		strftime(o->tm_json, sizeof(o->tm_json), "%Y-%m-%dT%H:%M:%S", &tm);
	else
		snprintf(o->tm_json, sizeof(o->tm_json), "----------T--:--:--");
}

static void out_frac(struct ks_out *o, uint64_t v, int digits)
{
	char tmp[10];

	for (int i = digits - 1; i >= 0; i--, v /= 10)
		tmp[i] = '0' + v % 10;
	ks_out_mem(o, tmp, digits);
}

void ks_out_time_text(struct ks_out *o, uint64_t ts_ns)
{
	if (o->wallclock) {
		uint64_t real = wall_ns(o, ts_ns);

		wall_prefix(o, real / 1000000000);
		ks_out_cstr(o, o->tm_text);
		ks_out_char(o, '.');
		out_frac(o, (real % 1000000000) / 1000, 6);
	} else {
		uint64_t rel = ts_ns > o->t0_ns ? ts_ns - o->t0_ns : 0;

		ks_out_u64(o, rel / 1000000000);
		ks_out_char(o, '.');
		out_frac(o, (rel % 1000000000) / 1000, 6);
	}
}

void ks_out_time_json(struct ks_out *o, uint64_t ts_ns)
{
	ks_json_kv_u64(o, "ts_ns", ts_ns);
	if (o->wallclock) {
		uint64_t real = wall_ns(o, ts_ns);

		wall_prefix(o, real / 1000000000);
		ks_json_key(o, "time");
		json_value(o);
		ks_out_char(o, '"');
		ks_out_cstr(o, o->tm_json);
		ks_out_char(o, '.');
		out_frac(o, real % 1000000000, 9);
		ks_out_mem(o, "Z\"", 2);
	}
}

/* ---- records ------------------------------------------------------------- */

#define COL_EVENT 7
#define COL_PID   7

void ks_rec_header(struct ks_out *o)
{
	if (o->json)
		return;
	ks_out_sep(o);		/* the event stream is a block of its own */
	ks_out_printf(o, "%-*s %-*s %-*s %-*s %-*s %-*s %s%s\n",
		      o->wallclock ? 15 : 11, o->wallclock ? "TIME" : "TIME(s)",
		      COL_EVENT, "EVENT", COL_PID, "PID", COL_PID, "TID",
		      COL_PID, "PPID", KS_COMM_LEN, "COMM", o->container ? "CONTAINER    " : "",
		      "DETAILS");
}

static void col_u64(struct ks_out *o, uint64_t v, size_t width)
{
	size_t start = o->len;

	ks_out_u64(o, v);
	ks_out_pad(o, start, width);
	ks_out_char(o, ' ');
}

/*
 * The JSON record's common fields, most of them in one go: after "type"
 * every member needs its comma (comma[depth] is set), so they are written
 * as literals ",\"pid\":" with the values, in room reserved once.
 */
static void rec_begin_json(struct ks_out *o, const char *type, const struct ks_hdr *h)
{
	char *d;

	ks_json_begin(o);
	ks_json_kv_str_n(o, "type", 4, type, strlen(type));
	if (o->wallclock) {
		ks_out_time_json(o, h->ts_ns);
		d = reserve(o, 0);
	} else {
		d = put_lit(reserve(o, 9 + U64_MAX_DIGITS), ",\"ts_ns\":");
		d = put_u64(d, h->ts_ns);
	}
	/* ,"pid":N,"tid":N,"ppid":N,"uid":N,"comm":"  (38 bytes, u32: 10 digits) */
	d = room_at(o, d, 38 + 4 * 10);
	d = put_lit(d, ",\"pid\":");
	d = put_u64(d, h->pid);
	d = put_lit(d, ",\"tid\":");
	d = put_u64(d, h->tid);
	d = put_lit(d, ",\"ppid\":");
	d = put_u64(d, h->ppid);
	d = put_lit(d, ",\"uid\":");
	d = put_u64(d, h->uid);
	d = put_lit(d, ",\"comm\":");
	/* then ,"cgroup_id":N,"cpu":N (20 bytes, a u64 and a u32) */
	d = put_json_str(o, d, 20 + U64_MAX_DIGITS + 10, h->comm, sizeof(h->comm));
	d = put_lit(d, ",\"cgroup_id\":");
	d = put_u64(d, h->cgroup_id);
	d = put_lit(d, ",\"cpu\":");
	d = put_u64(d, h->cpu);
	commit(o, d);
	if (o->container) {
		const struct ks_container *c = ks_cgroup2_container(h->cgroup_id);
		const char *rt = c ? ks_ctr_runtime_name(c->runtime) : NULL;

		if (c)
			ks_json_kv_str_n(o, "container", 9, c->id, strlen(c->id));
		else
			ks_json_kv_null_n(o, "container", 9);
		if (rt)
			ks_json_kv_str_n(o, "container_runtime", 17, rt, strlen(rt));
		else
			ks_json_kv_null_n(o, "container_runtime", 17);
	}
}

/* worst case of the table's common columns, but COMM */
#define TXT_HDR_ROOM (64 + 4 * U64_MAX_DIGITS)

void ks_rec_begin(struct ks_out *o, const char *type, const struct ks_hdr *h)
{
	size_t start;

	if (o->json) {
		rec_begin_json(o, type, h);
		return;
	}
	/* room for the whole row head at once: no flush between a column's
	 * start and its padding */
	reserve(o, TXT_HDR_ROOM + strlen(type) + sizeof(h->comm) * 6);
	start = o->len;
	ks_out_time_text(o, h->ts_ns);
	ks_out_pad(o, start, o->wallclock ? 15 : 11);
	ks_out_char(o, ' ');
	start = o->len;
	ks_out_cstr(o, type);
	ks_out_pad(o, start, COL_EVENT);
	ks_out_char(o, ' ');
	col_u64(o, h->pid, COL_PID);
	col_u64(o, h->tid, COL_PID);
	col_u64(o, h->ppid, COL_PID);
	start = o->len;
	ks_out_text(o, h->comm, sizeof(h->comm));
	ks_out_pad(o, start, KS_COMM_LEN);
	if (o->container) {
		const struct ks_container *c = ks_cgroup2_container(h->cgroup_id);

		/* the short id, as docker ps shows it; "-" for the host */
		ks_out_char(o, ' ');
		start = o->len;
		if (c && c->id[0])
			ks_out_mem(o, c->id, 12);
		else
			ks_out_char(o, '-');
		ks_out_pad(o, start, 12);
	}
}

/* Table: separator and "key=" before a detail field; false if hidden */
static inline bool txt_field_n(struct ks_out *o, const char *key, size_t klen, unsigned flags)
{
	char *d;

	if (flags & KS_TXT_HIDE)
		return false;
	d = reserve(o, klen + 2);
	*d++ = ' ';
	if (!(flags & KS_TXT_BARE)) {
		d = put_mem(d, key, klen);
		*d++ = '=';
	}
	commit(o, d);
	return true;
}

static bool txt_field(struct ks_out *o, const char *key, unsigned flags)
{
	return txt_field_n(o, key, strlen(key), flags);
}

void ks_rec_u64_n(struct ks_out *o, const char *key, size_t klen, uint64_t v, unsigned flags)
{
	if (o->json) {
		if (!(flags & KS_JSON_HIDE))
			ks_json_kv_u64_n(o, key, klen, v);
	} else if (!((flags & KS_TXT_NONZERO) && !v) && txt_field_n(o, key, klen, flags)) {
		ks_out_u64(o, v);
	}
}

void ks_rec_s64_n(struct ks_out *o, const char *key, size_t klen, int64_t v, unsigned flags)
{
	if (o->json) {
		if (!(flags & KS_JSON_HIDE))
			ks_json_kv_s64_n(o, key, klen, v);
	} else if (!((flags & KS_TXT_NONZERO) && !v) && txt_field_n(o, key, klen, flags)) {
		ks_out_s64(o, v);
	}
}

void ks_rec_u64v(struct ks_out *o, const char *key, const uint64_t *v, size_t n,
		 unsigned flags)
{
	if (o->json) {
		if (flags & KS_JSON_HIDE)
			return;
		ks_json_key(o, key);
		ks_json_arr_begin(o);
		for (size_t i = 0; i < n; i++)
			ks_json_u64(o, v[i]);
		ks_json_arr_end(o);
	} else if (txt_field(o, key, flags)) {
		ks_out_char(o, '(');
		for (size_t i = 0; i < n; i++)
			ks_out_printf(o, "%s%#" PRIx64, i ? ", " : "", v[i]);
		ks_out_char(o, ')');
	}
}

void ks_rec_bool_n(struct ks_out *o, const char *key, size_t klen, bool v, unsigned flags)
{
	if (o->json) {
		if (!(flags & KS_JSON_HIDE))
			ks_json_kv_bool_n(o, key, klen, v);
	} else if (flags & KS_TXT_FLAG) {
		if (v && txt_field_n(o, key, klen, flags | KS_TXT_BARE))
			ks_out_mem(o, key, klen);
	} else if (txt_field_n(o, key, klen, flags)) {
		ks_out_cstr(o, v ? "yes" : "no");
	}
}

void ks_rec_null_n(struct ks_out *o, const char *key, size_t klen, unsigned flags)
{
	if (o->json) {
		if (!(flags & KS_JSON_HIDE))
			ks_json_kv_null_n(o, key, klen);
	} else if (!(flags & KS_TXT_NONZERO) && txt_field_n(o, key, klen, flags)) {
		ks_out_char(o, '-');
	}
}

void ks_rec_str_n(struct ks_out *o, const char *key, size_t klen, const char *s, size_t n,
		  unsigned flags)
{
	if (o->json) {
		if (!(flags & KS_JSON_HIDE))
			ks_json_kv_str_n(o, key, klen, s, n);
	} else if (txt_field_n(o, key, klen, flags)) {
		ks_out_text(o, s, n);
	}
}

/* A table word needs quotes if it is empty or would split or look quoted */
static bool needs_quotes(const char *s, size_t n)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ' ' || s[i] == '"' || s[i] == '\'')
			return true;
	return false;
}

void ks_out_argv(struct ks_out *o, const char *block, size_t n, bool truncated)
{
	for (size_t i = 0; i < n;) {
		size_t len = bounded_len(block + i, n - i);

		if (i)
			ks_out_char(o, ' ');
		if (needs_quotes(block + i, len)) {
			ks_out_char(o, '"');
			out_escaped(o, block + i, len, false, '"');
			ks_out_char(o, '"');
		} else {
			out_escaped(o, block + i, len, false, 0);
		}
		i += len + 1;
	}
	if (truncated)
		ks_out_cstr(o, " ...");
}

void ks_json_strv(struct ks_out *o, const char *block, size_t n)
{
	ks_json_arr_begin(o);
	for (size_t i = 0; i < n;) {
		size_t len = bounded_len(block + i, n - i);

		ks_json_str(o, block + i, len);
		i += len + 1;
	}
	ks_json_arr_end(o);
}

void ks_rec_strv_n(struct ks_out *o, const char *key, size_t klen, const char *block, size_t n,
		   bool truncated, unsigned flags)
{
	if (o->json) {
		if (!(flags & KS_JSON_HIDE)) {
			ks_json_key_n(o, key, klen);
			ks_json_strv(o, block, n);
		}
	} else if (txt_field_n(o, key, klen, flags)) {
		ks_out_argv(o, block, n, truncated);
	}
}

/* A number: exact in JSON, in text as fmt writes it for a person */
static void rec_fmt_n(struct ks_out *o, const char *key, size_t klen, uint64_t v, unsigned flags,
		      void (*fmt)(char *buf, size_t cap, uint64_t v))
{
	char buf[32];

	if (o->json) {
		if (!(flags & KS_JSON_HIDE))
			ks_json_kv_u64_n(o, key, klen, v);
	} else if (!((flags & KS_TXT_NONZERO) && !v) && txt_field_n(o, key, klen, flags)) {
		fmt(buf, sizeof(buf), v);
		ks_out_cstr(o, buf);
	}
}

void ks_rec_ns_n(struct ks_out *o, const char *key, size_t klen, uint64_t ns, unsigned flags)
{
	rec_fmt_n(o, key, klen, ns, flags, ks_fmt_ns);
}

void ks_rec_bytes_n(struct ks_out *o, const char *key, size_t klen, uint64_t bytes,
		    unsigned flags)
{
	rec_fmt_n(o, key, klen, bytes, flags, ks_fmt_bytes);
}

void ks_rec_end(struct ks_out *o)
{
	if (o->json)
		ks_json_end(o);
	else
		ks_out_char(o, '\n');
}

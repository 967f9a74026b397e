/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one writer every command prints through. Two sinks share one API:
 * a human table (fixed columns, COMM 16 wide) and NDJSON (one object per
 * line with a "type"). Every string that came from the kernel or a process
 * goes through an escaping function here; nothing else writes to stdout.
 *
 * Output is buffered and written once per batch of events (ks_out_flush),
 * not once per event.
 */
#ifndef KSCOPE_OUT_H
#define KSCOPE_OUT_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "events.h"

/* Field flags for the ks_rec_* calls: how the table sink shows a field */
#define KS_TXT_HIDE    (1u << 0)  /* JSON only */
#define KS_TXT_BARE    (1u << 1)  /* value without "name=" */
#define KS_TXT_FLAG    (1u << 2)  /* bool: print the name when true, nothing when false */
#define KS_TXT_NONZERO (1u << 3)  /* number: only when non-zero */
#define KS_JSON_HIDE   (1u << 4)  /* table only */

#define KS_JSON_DEPTH 1100   /* process trees nest deep */

struct ks_sink_ops;

struct ks_out {
	int fd;
	bool json;
	bool wallclock;        /* -T */
	bool container;        /* -C: event records name their task's container */
	/*
	 * Where tables go instead of the text or JSON sink (ks_sink_init):
	 * a command run as a part of another's session (ks_part) hands its
	 * rows to that command. NULL: o->json decides.
	 */
	const struct ks_sink_ops *sink;
	void *sink_priv;
	int err;               /* first write error (-EPIPE when the reader left) */
	size_t dropped;        /* bytes not written after a stop (-ETIMEDOUT) */
	/* set by a signal handler: then wait at most 1 s for a stalled reader */
	volatile sig_atomic_t *stop;
	char *buf;
	size_t len, cap;

	uint64_t t0_ns;        /* CLOCK_MONOTONIC at start: TIME column origin */
	int64_t real_off_ns;   /* CLOCK_REALTIME - CLOCK_MONOTONIC */

	/* JSON nesting: does the next value at this depth need a comma? */
	int depth;
	bool comma[KS_JSON_DEPTH];
	unsigned blocks;       /* text blocks begun (ks_out_sep) */
	bool after_key;        /* a key was written, its value is pending */

	/* cached wall-clock prefix for the current second */
	int64_t tm_sec;
	char tm_text[32], tm_json[32];
};

int ks_out_init(struct ks_out *o, int fd, bool json, bool wallclock);
void ks_out_free(struct ks_out *o);
int ks_out_flush(struct ks_out *o);
/*
 * After the last flush: did the output fail? A reader that left (EPIPE) is
 * a clean stop: false. A write error (ENOSPC, EIO, EBADF...) prints one line
 * naming the output (`name`: a path, or NULL for standard output) and the
 * error (and `note` in parentheses, if not NULL), and returns true: the trace is incomplete, the run failed. Bytes
 * dropped because a stalled reader did not take them within a second of a
 * stop are said on stderr too (false: the user asked to stop).
 */
bool ks_out_failed(const struct ks_out *o, const char *name, const char *note);

/*
 * One error line on stderr: "kscope...: message\n". Messages quote what the
 * user typed and what processes named: every byte a terminal would act on
 * is escaped as the table sink escapes it (\n, \xNN, \uNNNN), so the line
 * stays one line.
 */
void ks_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ks_verrorf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * A file kscope writes: -o FILE, sched --timeline FILE. It is checked and
 * opened when the command line is read (a bad path is a usage error), but an
 * existing file is emptied, and a new one kept, only once tracing starts
 * (ks_outfile_begin): a run that fails before that leaves things as they
 * were. A symbolic link is followed only to what is not a regular file
 * (/dev/stdout to a pipe or a terminal, /dev/null); one to a regular file,
 * or one that leads nowhere, is refused (docs/exit-codes.md): writing
 * through it would clobber a file the user did not name.
 */
struct ks_outfile {
	const char *path;
	int fd;          /* -1: none */
	bool created;    /* made by ks_outfile_open: removed again unless begun */
	bool truncate;   /* an existing regular file: emptied when begun */
	bool begun;
};

/* 0, or -errno; *why (static text) for a refusal (a link, a directory) */
int ks_outfile_open(struct ks_outfile *f, const char *path, const char **why);
/* Tracing starts: empty an existing file, keep a new one. 0 or -errno */
int ks_outfile_begin(struct ks_outfile *f);
/* Close; a file made by ks_outfile_open and never begun is removed */
void ks_outfile_close(struct ks_outfile *f);
/* Are both open on the same file? */
bool ks_outfile_same(const struct ks_outfile *a, const struct ks_outfile *b);
/* Set the TIME origin and wall-clock offset (call when tracing starts) */
void ks_out_set_epoch(struct ks_out *o);

/*
 * Room for n more bytes at o->buf + o->len (write them, then add to
 * o->len). Inline: the common case is one comparison; the rare one
 * (flush, or grow for an item larger than the buffer) is out of line.
 */
char *ks_out_reserve_slow(struct ks_out *o, size_t n);

static inline char *ks_out_reserve(struct ks_out *o, size_t n)
{
	if (__builtin_expect(o->len + n > o->cap, 0))
		return ks_out_reserve_slow(o, n);
	return o->buf + o->len;
}

/* Raw appends (no escaping: for text this module generates itself) */
static inline void ks_out_mem(struct ks_out *o, const void *p, size_t n)
{
	memcpy(ks_out_reserve(o, n), p, n);
	o->len += n;
}

static inline void ks_out_cstr(struct ks_out *o, const char *s)
{
	ks_out_mem(o, s, strlen(s));
}

static inline void ks_out_char(struct ks_out *o, char c)
{
	*ks_out_reserve(o, 1) = c;
	o->len++;
}

void ks_out_u64(struct ks_out *o, uint64_t v);
void ks_out_s64(struct ks_out *o, int64_t v);
void ks_out_printf(struct ks_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ks_out_vprintf(struct ks_out *o, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/*
 * Text sink: a new block of output (an interval report, a histogram, the
 * summary after a stream) begins: a blank line before it, except before
 * the first thing kscope writes.
 */
void ks_out_sep(struct ks_out *o);
/* An interval report's heading: a new block, then "HH:MM:SS" (local time) */
void ks_out_time_heading(struct ks_out *o);
/* The end of a table row: the padding after its last column goes, then '\n' */
void ks_out_eol(struct ks_out *o);

/* Pad with spaces to `width` columns since `start` (a previous o->len) */
void ks_out_pad(struct ks_out *o, size_t start, size_t width);

/* Untrusted strings: stop at the first NUL or n bytes */
void ks_out_text(struct ks_out *o, const char *s, size_t n);        /* table */
void ks_out_json_str(struct ks_out *o, const char *s, size_t n);    /* "..." */
/* NUL-separated strings (argv): space-joined, quoted where needed, " ..." if truncated */
void ks_out_argv(struct ks_out *o, const char *block, size_t n, bool truncated);

/* Pure escapers (for tests and for callers with their own buffers).
 * Return the escaped length; write at most cap-1 bytes plus a NUL. */
size_t ks_escape_text(char *dst, size_t cap, const char *s, size_t n);
size_t ks_escape_json(char *dst, size_t cap, const char *s, size_t n);

/* Human formats: "1.23ms", "4.0MiB" */
void ks_fmt_ns(char *buf, size_t cap, uint64_t ns);
void ks_fmt_bytes(char *buf, size_t cap, uint64_t bytes);

/* ---- JSON building blocks ---- */
void ks_json_begin(struct ks_out *o);      /* { at depth 0 starts a line */
void ks_json_end(struct ks_out *o);        /* } ; at depth 0 ends the line */
void ks_json_arr_begin(struct ks_out *o);
void ks_json_arr_end(struct ks_out *o);
void ks_json_u64(struct ks_out *o, uint64_t v);   /* array element or after key */
void ks_json_s64(struct ks_out *o, int64_t v);
void ks_json_str(struct ks_out *o, const char *s, size_t n);
void ks_json_bool(struct ks_out *o, bool v);
void ks_json_null(struct ks_out *o);
void ks_json_strv(struct ks_out *o, const char *block, size_t n);  /* array of strings */

/*
 * Keys are literals in our code, never untrusted, and never escaped. The
 * ks_json_key/ks_json_kv_* and ks_rec_* calls below are inline wrappers
 * that pass strlen(key) on to the _n functions: with a literal key the
 * compiler folds it to a constant.
 */
void ks_json_key_n(struct ks_out *o, const char *key, size_t klen);
void ks_json_kv_u64_n(struct ks_out *o, const char *key, size_t klen, uint64_t v);
void ks_json_kv_s64_n(struct ks_out *o, const char *key, size_t klen, int64_t v);
void ks_json_kv_str_n(struct ks_out *o, const char *key, size_t klen, const char *s, size_t n);
void ks_json_kv_bool_n(struct ks_out *o, const char *key, size_t klen, bool v);
void ks_json_kv_null_n(struct ks_out *o, const char *key, size_t klen);

static inline void ks_json_key(struct ks_out *o, const char *key)
{
	ks_json_key_n(o, key, strlen(key));
}

static inline void ks_json_kv_u64(struct ks_out *o, const char *key, uint64_t v)
{
	ks_json_kv_u64_n(o, key, strlen(key), v);
}

static inline void ks_json_kv_s64(struct ks_out *o, const char *key, int64_t v)
{
	ks_json_kv_s64_n(o, key, strlen(key), v);
}

static inline void ks_json_kv_str(struct ks_out *o, const char *key, const char *s, size_t n)
{
	ks_json_kv_str_n(o, key, strlen(key), s, n);
}

static inline void ks_json_kv_bool(struct ks_out *o, const char *key, bool v)
{
	ks_json_kv_bool_n(o, key, strlen(key), v);
}

static inline void ks_json_kv_null(struct ks_out *o, const char *key)
{
	ks_json_kv_null_n(o, key, strlen(key));
}

void ks_json_kv_double(struct ks_out *o, const char *key, double v);
/* v thousandths as a decimal with three places: 1234567 -> 1234.567 */
void ks_json_kv_milli(struct ks_out *o, const char *key, uint64_t v);

/* ---- event records: one call sequence, both sinks ---- */

/* Table header for event streams: TIME EVENT PID TID PPID COMM DETAILS */
void ks_rec_header(struct ks_out *o);
/* Starts a record with the common fields from the event header */
void ks_rec_begin(struct ks_out *o, const char *type, const struct ks_hdr *h);
void ks_rec_u64_n(struct ks_out *o, const char *key, size_t klen, uint64_t v, unsigned flags);
void ks_rec_s64_n(struct ks_out *o, const char *key, size_t klen, int64_t v, unsigned flags);
void ks_rec_bool_n(struct ks_out *o, const char *key, size_t klen, bool v, unsigned flags);
void ks_rec_null_n(struct ks_out *o, const char *key, size_t klen, unsigned flags);
void ks_rec_str_n(struct ks_out *o, const char *key, size_t klen, const char *s, size_t n,
		  unsigned flags);
void ks_rec_strv_n(struct ks_out *o, const char *key, size_t klen, const char *block, size_t n,
		   bool truncated, unsigned flags);
void ks_rec_ns_n(struct ks_out *o, const char *key, size_t klen, uint64_t ns, unsigned flags);
void ks_rec_bytes_n(struct ks_out *o, const char *key, size_t klen, uint64_t bytes,
		    unsigned flags);

static inline void ks_rec_u64(struct ks_out *o, const char *key, uint64_t v, unsigned flags)
{
	ks_rec_u64_n(o, key, strlen(key), v, flags);
}

static inline void ks_rec_s64(struct ks_out *o, const char *key, int64_t v, unsigned flags)
{
	ks_rec_s64_n(o, key, strlen(key), v, flags);
}

/* numbers: JSON array; table: "(0x1, 0x7ffc...)" in hex (raw syscall arguments) */
void ks_rec_u64v(struct ks_out *o, const char *key, const uint64_t *v, size_t n,
		 unsigned flags);
static inline void ks_rec_bool(struct ks_out *o, const char *key, bool v, unsigned flags)
{
	ks_rec_bool_n(o, key, strlen(key), v, flags);
}

static inline void ks_rec_null(struct ks_out *o, const char *key, unsigned flags)
{
	ks_rec_null_n(o, key, strlen(key), flags);
}

static inline void ks_rec_str(struct ks_out *o, const char *key, const char *s, size_t n,
			      unsigned flags)
{
	ks_rec_str_n(o, key, strlen(key), s, n, flags);
}

/* NUL-separated strings (argv): JSON array; table: space-joined, quoted */
static inline void ks_rec_strv(struct ks_out *o, const char *key, const char *block, size_t n,
			       bool truncated, unsigned flags)
{
	ks_rec_strv_n(o, key, strlen(key), block, n, truncated, flags);
}

static inline void ks_rec_ns(struct ks_out *o, const char *key, uint64_t ns, unsigned flags)
{
	ks_rec_ns_n(o, key, strlen(key), ns, flags);
}

static inline void ks_rec_bytes(struct ks_out *o, const char *key, uint64_t bytes,
				unsigned flags)
{
	ks_rec_bytes_n(o, key, strlen(key), bytes, flags);
}

void ks_rec_end(struct ks_out *o);

/* Timestamps: TIME column text, and the JSON "ts_ns"/"time" fields */
void ks_out_time_text(struct ks_out *o, uint64_t ts_ns);
void ks_out_time_json(struct ks_out *o, uint64_t ts_ns);

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes are not
 * valid UTF-8 (overlong, surrogate, > U+10FFFF, truncated); *cp gets the
 * code point. Every sink's escaping starts here.
 */
size_t ks_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

#endif

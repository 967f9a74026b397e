// SPDX-License-Identifier: GPL-2.0
/* Unit tests for src/engine/out.c: escaping, the JSON builder, records, flushing. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit_out.h"

#include "engine/events.h"
#include "engine/out.h"

/* ---- helpers ------------------------------------------------------------- */

/* Escape with both escapers and compare */
static void check_esc(const char *in, size_t n, const char *text, const char *json)
{
	char buf[256];
	size_t len;

	memset(buf, 'Z', sizeof(buf));
	len = ks_escape_text(buf, sizeof(buf), in, n);
	assert_string_equal(buf, text);
	assert_int_equal(len, strlen(text));

	memset(buf, 'Z', sizeof(buf));
	len = ks_escape_json(buf, sizeof(buf), in, n);
	assert_string_equal(buf, json);
	assert_int_equal(len, strlen(json));
}

#define ESC(in, text, json) check_esc(in, sizeof(in) - 1, text, json)

/* ---- escaping ------------------------------------------------------------ */

static void test_escape_printable(void **state)
{
	ESC("hello, world ~!@#$%^&*()_+{}|:<>?`-=[];',./",
	    "hello, world ~!@#$%^&*()_+{}|:<>?`-=[];',./",
	    "hello, world ~!@#$%^&*()_+{}|:<>?`-=[];',./");
	ESC("", "", "");
	/* a double quote is only escaped for JSON */
	ESC("say \"hi\"", "say \"hi\"", "say \\\"hi\\\"");
	ESC("a\\b", "a\\\\b", "a\\\\b");
}

static void test_escape_whitespace_controls(void **state)
{
	ESC("a\nb\tc\rd", "a\\nb\\tc\\rd", "a\\nb\\tc\\rd");
	ESC("\x01", "\\x01", "\\u0001");
	ESC("\x1b[31m", "\\x1b[31m", "\\u001b[31m");
	ESC("\x7f", "\\x7f", "\\u007f");
	ESC("\x1f", "\\x1f", "\\u001f");
	/* \b and \f have short JSON escapes, the table shows them as bytes */
	ESC("\b\f", "\\x08\\x0c", "\\b\\f");
}

static void test_escape_utf8_valid(void **state)
{
	ESC("caf\xc3\xa9", "caf\xc3\xa9", "caf\xc3\xa9");                /* é */
	ESC("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac",
	    "\xe6\x97\xa5\xe6\x9c\xac");                                  /* 日本 */
	ESC("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");  /* U+1F600 */
	ESC("\xc2\xa0", "\xc2\xa0", "\xc2\xa0");                          /* U+00A0 */
	ESC("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");  /* U+10FFFF */
}

static void test_escape_utf8_invalid(void **state)
{
	ESC("\xff", "\\xff", "\\udcff");
	ESC("a\xc3", "a\\xc3", "a\\udcc3");                 /* truncated at the end */
	ESC("\xc3" "a", "\\xc3" "a", "\\udcc3" "a");        /* bad continuation */
	ESC("\xc0\x80", "\\xc0\\x80", "\\udcc0\\udc80");    /* overlong NUL */
	ESC("\xe0\x80\xaf", "\\xe0\\x80\\xaf", "\\udce0\\udc80\\udcaf");   /* overlong '/' */
	ESC("\xed\xa0\x80", "\\xed\\xa0\\x80", "\\udced\\udca0\\udc80");   /* surrogate */
	ESC("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80",
	    "\\udcf4\\udc90\\udc80\\udc80");                /* > U+10FFFF */
	ESC("\xe6\x97", "\\xe6\\x97", "\\udce6\\udc97");    /* truncated 3-byte */
	ESC("\x80", "\\x80", "\\udc80");                    /* lone continuation */
}

static void test_escape_unsafe_codepoints(void **state)
{
	ESC("\xc2\x85", "\\u0085", "\\u0085");              /* NEL (C1) */
	ESC("\xc2\x9b", "\\u009b", "\\u009b");              /* CSI (C1) */
	ESC("a\xe2\x80\xae" "b", "a\\u202e" "b", "a\\u202e" "b");  /* RLO */
	ESC("\xe2\x80\xa8", "\\u2028", "\\u2028");          /* LINE SEPARATOR */
	ESC("\xe2\x80\xa9", "\\u2029", "\\u2029");
	ESC("\xe2\x81\xa6", "\\u2066", "\\u2066");          /* LRI */
}

static void test_escape_bounds(void **state)
{
	char buf[16];

	/* stops at the first NUL */
	assert_int_equal(ks_escape_text(buf, sizeof(buf), "ab\0cd", 5), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(ks_escape_json(buf, sizeof(buf), "ab\0cd", 5), 2);
	assert_string_equal(buf, "ab");
	/* or at n bytes */
	assert_int_equal(ks_escape_text(buf, sizeof(buf), "abcdef", 3), 3);
	assert_string_equal(buf, "abc");
	/* a multi-byte sequence cut by n is invalid */
	assert_int_equal(ks_escape_text(buf, sizeof(buf), "\xc3\xa9", 1), 4);
	assert_string_equal(buf, "\\xc3");
	/* the result is the full length; dst gets at most cap-1 bytes and a NUL */
	assert_int_equal(ks_escape_text(buf, 4, "abcdef", 6), 6);
	assert_string_equal(buf, "abc");
	assert_int_equal(ks_escape_json(buf, 5, "\x01", 1), 6);
	assert_string_equal(buf, "\\u00");
	assert_int_equal(ks_escape_text(NULL, 0, "a\nb", 3), 4);
}

/* ---- human formats ------------------------------------------------------- */

static void test_fmt_ns(void **state)
{
	char buf[32];

	ks_fmt_ns(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0ns");
	ks_fmt_ns(buf, sizeof(buf), 999);
	assert_string_equal(buf, "999ns");
	ks_fmt_ns(buf, sizeof(buf), 1500);
	assert_string_equal(buf, "1.50us");
	ks_fmt_ns(buf, sizeof(buf), 2500000);
	assert_string_equal(buf, "2.50ms");
	ks_fmt_ns(buf, sizeof(buf), 3000000000ull);
	assert_string_equal(buf, "3.00s");
	ks_fmt_ns(buf, sizeof(buf), 90000000000ull);
	assert_string_equal(buf, "90.00s");
}

static void test_fmt_bytes(void **state)
{
	char buf[32];

	ks_fmt_bytes(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0B");
	ks_fmt_bytes(buf, sizeof(buf), 512);
	assert_string_equal(buf, "512B");
	ks_fmt_bytes(buf, sizeof(buf), 1023);
	assert_string_equal(buf, "1023B");
	ks_fmt_bytes(buf, sizeof(buf), 1536);
	assert_string_equal(buf, "1.5KiB");
	ks_fmt_bytes(buf, sizeof(buf), 3 * 1024 * 1024);
	assert_string_equal(buf, "3.0MiB");
	ks_fmt_bytes(buf, sizeof(buf), 5ull << 30);
	assert_string_equal(buf, "5.0GiB");
}

/* ---- raw appends --------------------------------------------------------- */

static void test_raw_appends(void **state)
{
	struct ks_out o;
	size_t start;

	out_open_wall(&o, false, false);
	ks_out_u64(&o, 0);
	ks_out_char(&o, ' ');
	ks_out_u64(&o, UINT64_MAX);
	ks_out_char(&o, ' ');
	ks_out_s64(&o, -42);
	ks_out_char(&o, ' ');
	ks_out_s64(&o, INT64_MIN);
	ks_out_printf(&o, " %s=%d", "x", 5);
	ks_out_cstr(&o, "|");
	start = o.len;
	ks_out_cstr(&o, "ab");
	ks_out_pad(&o, start, 5);
	ks_out_cstr(&o, "|");
	start = o.len;
	ks_out_cstr(&o, "abcdef");
	ks_out_pad(&o, start, 5);	/* wider than the column: no padding */
	ks_out_cstr(&o, "|");
	check_buf(&o, "0 18446744073709551615 -42 -9223372036854775808 x=5|ab   |abcdef|");

	ks_out_text(&o, "a\nb\x01", 4);
	ks_out_char(&o, ' ');
	ks_out_json_str(&o, "q\"\xff", 3);
	check_buf(&o, "a\\nb\\x01 \"q\\\"\\udcff\"");
	out_close(&o);
}

/* Integers at every digit count, through the raw, JSON and record calls */
static void check_u64(struct ks_out *o, uint64_t v)
{
	char want[64];

	snprintf(want, sizeof(want), "%" PRIu64, v);
	ks_out_u64(o, v);
	check_buf(o, want);
	snprintf(want, sizeof(want), "{\"n\":%" PRIu64 "}\n", v);
	ks_json_begin(o);
	ks_json_kv_u64(o, "n", v);
	ks_json_end(o);
	check_buf(o, want);
}

static void check_s64(struct ks_out *o, int64_t v)
{
	char want[64];

	snprintf(want, sizeof(want), "%" PRId64, v);
	ks_out_s64(o, v);
	check_buf(o, want);
	snprintf(want, sizeof(want), "{\"n\":%" PRId64 "}\n", v);
	ks_json_begin(o);
	ks_json_kv_s64(o, "n", v);
	ks_json_end(o);
	check_buf(o, want);
}

static void test_integers(void **state)
{
	struct ks_out o;
	uint64_t p = 1;

	out_open_wall(&o, true, false);
	ks_out_u64(&o, 0);
	ks_out_char(&o, ' ');
	ks_out_u64(&o, 9);
	ks_out_char(&o, ' ');
	ks_out_u64(&o, 10);
	ks_out_char(&o, ' ');
	ks_out_u64(&o, 99);
	ks_out_char(&o, ' ');
	ks_out_u64(&o, 100);
	ks_out_char(&o, ' ');
	ks_out_u64(&o, UINT64_MAX);
	ks_out_char(&o, ' ');
	ks_out_s64(&o, INT64_MIN);
	ks_out_char(&o, ' ');
	ks_out_s64(&o, INT64_MAX);
	ks_out_char(&o, ' ');
	ks_out_s64(&o, -1);
	ks_out_char(&o, ' ');
	ks_out_s64(&o, 0);
	check_buf(&o, "0 9 10 99 100 18446744073709551615 -9223372036854775808 "
		  "9223372036854775807 -1 0");

	/* every length: 10^k - 1, 10^k, 10^k + 1, and the odd ones between */
	for (int k = 0; k < 20; k++, p *= 10) {
		check_u64(&o, p - 1);
		check_u64(&o, p);
		check_u64(&o, p + 1);
		check_u64(&o, p * 7 / 3);
		if (p <= INT64_MAX / 10) {
			check_s64(&o, -(int64_t)p);
			check_s64(&o, -(int64_t)p + 1);
			check_s64(&o, (int64_t)p - 1);
		}
	}
	check_u64(&o, UINT64_MAX - 1);
	check_s64(&o, INT64_MIN);
	check_s64(&o, INT64_MIN + 1);
	check_s64(&o, INT64_MAX);
	out_close(&o);
}

/*
 * The writer copies plain runs as they are and escapes from the first byte
 * that needs it: compare with the pure escapers (which escape byte by
 * byte) for a byte needing escapes at every position of runs of every
 * length, for the table and JSON.
 */
static void check_fast_esc(struct ks_out *o, const char *in, size_t n)
{
	char want[512];
	size_t len;

	len = ks_escape_text(want, sizeof(want), in, n);
	assert_true(len < sizeof(want));
	ks_out_text(o, in, n);
	assert_int_equal(o->len, len);
	assert_memory_equal(o->buf, want, len);
	o->len = 0;

	want[0] = '"';
	len = ks_escape_json(want + 1, sizeof(want) - 2, in, n);
	assert_true(len < sizeof(want) - 2);
	want[len + 1] = '"';
	ks_out_json_str(o, in, n);
	assert_int_equal(o->len, len + 2);
	assert_memory_equal(o->buf, want, len + 2);
	o->len = 0;
}

static void test_escape_runs(void **state)
{
	static const char *const specials[] = {
		"\"", "\\", "\n", "\x01", "\x7f", "\xff", "\xc3\xa9", "\xe2\x80\xae",
		"\xc3", "\0", "\x1f", " ", "~",
	};
	struct ks_out o;
	char in[64];

	out_open_wall(&o, false, false);
	for (size_t sp = 0; sp < sizeof(specials) / sizeof(specials[0]); sp++) {
		size_t slen = strlen(specials[sp]) ? strlen(specials[sp]) : 1;

		for (size_t len = 0; len <= 13; len++) {
			for (size_t at = 0; at <= len; at++) {
				/* `len` plain bytes with the special one at `at` */
				for (size_t i = 0; i < at; i++)
					in[i] = 'a' + i;
				memcpy(in + at, specials[sp], slen);
				for (size_t i = at; i < len; i++)
					in[slen + i] = 'A' + i;
				check_fast_esc(&o, in, len + slen);
				/* cut short: n ends inside the string */
				for (size_t n = 0; n < len + slen; n++)
					check_fast_esc(&o, in, n);
			}
		}
	}

	/* the byte to escape first, in the middle, last; plain runs between */
	ks_out_json_str(&o, "\x01" "abcdefghij\"klmnopqrstu\\", 25);
	check_buf(&o, "\"\\u0001abcdefghij\\\"klmnopqrstu\\\\\"");
	ks_out_text(&o, "\tabcdefghij\"klmnopqrstu\x7f", 24);
	check_buf(&o, "\\tabcdefghij\"klmnopqrstu\\x7f");
	/* a NUL ends the string, in a run or after an escape */
	ks_out_json_str(&o, "abcdefgh\0ijkl", 13);
	check_buf(&o, "\"abcdefgh\"");
	ks_out_json_str(&o, "ab\ncdefgh\0ijkl", 14);
	check_buf(&o, "\"ab\\ncdefgh\"");
	out_close(&o);
}

/* keys: literal or not, with the key/value pair in one call or in two */
static void test_json_keys(void **state)
{
	struct ks_out o;
	char key[16];

	out_open_wall(&o, true, false);
	strcpy(key, "dyn");
	ks_json_begin(&o);
	ks_json_kv_u64(&o, key, 1);
	ks_json_key(&o, "k");
	ks_json_u64(&o, 2);
	ks_json_kv_s64(&o, "s", -3);
	ks_json_key_n(&o, "long_key_cut", 4);
	ks_json_str(&o, "v", 1);
	ks_json_kv_str_n(&o, "str", 3, "x", 1);
	ks_json_kv_bool(&o, key, true);
	ks_json_kv_null(&o, "");
	ks_json_key(&o, "arr");
	ks_json_arr_begin(&o);
	ks_json_u64(&o, 4);
	ks_json_str(&o, "five", 4);
	ks_json_arr_end(&o);
	ks_json_kv_u64(&o, "after", 6);
	ks_json_end(&o);
	check_buf(&o, "{\"dyn\":1,\"k\":2,\"s\":-3,\"long\":\"v\",\"str\":\"x\","
		  "\"dyn\":true,\"\":null,\"arr\":[4,\"five\"],\"after\":6}\n");
	out_close(&o);
}

/* ---- JSON builder -------------------------------------------------------- */

static void test_json_nesting(void **state)
{
	struct ks_out o;

	out_open_wall(&o, true, false);
	ks_json_begin(&o);
	ks_json_kv_u64(&o, "a", 1);
	ks_json_kv_str(&o, "s", "x\"y", 3);
	ks_json_key(&o, "arr");
	ks_json_arr_begin(&o);
	ks_json_u64(&o, 1);
	ks_json_u64(&o, 2);
	ks_json_s64(&o, -3);
	ks_json_arr_end(&o);
	ks_json_key(&o, "obj");
	ks_json_begin(&o);
	ks_json_kv_u64(&o, "n", 3);
	ks_json_key(&o, "deep");
	ks_json_begin(&o);
	ks_json_end(&o);
	ks_json_end(&o);
	ks_json_kv_null(&o, "z");
	ks_json_kv_bool(&o, "t", true);
	ks_json_kv_bool(&o, "f", false);
	ks_json_kv_double(&o, "d", 1.5);
	ks_json_kv_s64(&o, "neg", -7);
	ks_json_end(&o);
	check_buf(&o, "{\"a\":1,\"s\":\"x\\\"y\",\"arr\":[1,2,-3],\"obj\":{\"n\":3,\"deep\":{}},"
		  "\"z\":null,\"t\":true,\"f\":false,\"d\":1.5,\"neg\":-7}\n");
	assert_int_equal(o.depth, 0);
	out_close(&o);
}

static void test_json_arrays(void **state)
{
	struct ks_out o;

	out_open_wall(&o, true, false);
	ks_json_begin(&o);
	ks_json_key(&o, "empty");
	ks_json_arr_begin(&o);
	ks_json_arr_end(&o);
	ks_json_key(&o, "objs");
	ks_json_arr_begin(&o);
	ks_json_begin(&o);
	ks_json_kv_u64(&o, "i", 0);
	ks_json_end(&o);
	ks_json_begin(&o);
	ks_json_kv_u64(&o, "i", 1);
	ks_json_end(&o);
	ks_json_arr_end(&o);
	ks_json_key(&o, "mixed");
	ks_json_arr_begin(&o);
	ks_json_null(&o);
	ks_json_bool(&o, false);
	ks_json_str(&o, "s", 1);
	ks_json_arr_begin(&o);
	ks_json_arr_end(&o);
	ks_json_arr_end(&o);
	ks_json_key(&o, "strv");
	ks_json_strv(&o, "a\0b c", 5);
	ks_json_end(&o);
	check_buf(&o, "{\"empty\":[],\"objs\":[{\"i\":0},{\"i\":1}],"
		  "\"mixed\":[null,false,\"s\",[]],\"strv\":[\"a\",\"b c\"]}\n");
	out_close(&o);
}

static void test_json_consecutive_lines(void **state)
{
	struct ks_out o;

	out_open_wall(&o, true, false);
	for (int i = 0; i < 3; i++) {
		ks_json_begin(&o);
		ks_json_kv_u64(&o, "i", i);
		ks_json_end(&o);
	}
	check_buf(&o, "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n");
	out_close(&o);
}

/* ---- records ------------------------------------------------------------- */

static struct ks_hdr mkhdr(uint64_t ts, const char *comm)
{
	struct ks_hdr h = {
		.ts_ns = ts, .cgroup_id = 77, .type = 2, .flags = 0, .cpu = 3,
		.pid = 10, .tid = 11, .ppid = 1, .uid = 1000,
	};

	memcpy(h.comm, comm, strnlen(comm, sizeof(h.comm)));
	return h;
}

#define JSON_HDR(type, ts) \
	"{\"type\":\"" type "\",\"ts_ns\":" ts ",\"pid\":10,\"tid\":11,\"ppid\":1," \
	"\"uid\":1000,\"comm\":\"bash\",\"cgroup_id\":77,\"cpu\":3"

static void test_rec_json(void **state)
{
	struct ks_out o;
	struct ks_hdr h = mkhdr(1500000000, "bash");

	out_open_wall(&o, true, false);
	ks_rec_header(&o);	/* nothing in JSON */
	assert_int_equal(o.len, 0);

	ks_rec_begin(&o, "exec", &h);
	ks_rec_u64(&o, "u", 5, 0);
	ks_rec_u64(&o, "hidden_txt", 6, KS_TXT_HIDE);
	ks_rec_u64(&o, "hidden_json", 7, KS_JSON_HIDE);
	ks_rec_u64(&o, "zero", 0, KS_TXT_NONZERO);
	ks_rec_s64(&o, "s", -2, 0);
	ks_rec_bool(&o, "flag", false, KS_TXT_FLAG);
	ks_rec_bool(&o, "b", true, 0);
	ks_rec_null(&o, "nil", 0);
	ks_rec_null(&o, "nil_hidden", KS_JSON_HIDE);
	ks_rec_str(&o, "str", "x\ty", 3, KS_TXT_BARE);
	ks_rec_str(&o, "str_hidden", "no", 2, KS_JSON_HIDE);
	ks_rec_strv(&o, "argv", "a\0b c", 5, false, 0);
	ks_rec_strv(&o, "argv_hidden", "a", 1, false, KS_JSON_HIDE);
	ks_rec_ns(&o, "ns", 1500, 0);
	ks_rec_ns(&o, "ns_hidden", 1500, KS_JSON_HIDE);
	ks_rec_bytes(&o, "bytes", 1536, 0);
	ks_rec_bytes(&o, "bytes_hidden", 1536, KS_JSON_HIDE);
	ks_rec_end(&o);
	check_buf(&o, JSON_HDR("exec", "1500000000")
		  ",\"u\":5,\"hidden_txt\":6,\"zero\":0,\"s\":-2,\"flag\":false,\"b\":true,"
		  "\"nil\":null,\"str\":\"x\\ty\",\"argv\":[\"a\",\"b c\"],\"ns\":1500,"
		  "\"bytes\":1536}\n");

	/* a second record starts without a comma */
	ks_rec_begin(&o, "exit", &h);
	ks_rec_end(&o);
	check_buf(&o, JSON_HDR("exit", "1500000000") "}\n");
	out_close(&o);
}

/* ks_rec_u64v: raw numbers (syscall arguments) as a JSON array, hex in text */
static void test_rec_u64v(void **state)
{
	static const uint64_t args[] = { 3, 0, 0xffffffffffffff9cull };
	struct ks_out o;
	struct ks_hdr h = mkhdr(1500000000, "bash");

	out_open_wall(&o, true, false);
	ks_rec_begin(&o, "syscall", &h);
	ks_rec_u64v(&o, "args", args, 3, KS_TXT_BARE);
	ks_rec_u64v(&o, "hidden", args, 1, KS_JSON_HIDE);
	ks_rec_u64v(&o, "none", args, 0, 0);
	ks_rec_end(&o);
	check_buf(&o, JSON_HDR("syscall", "1500000000")
		  ",\"args\":[3,0,18446744073709551516],\"none\":[]}\n");
	out_close(&o);

	out_open_wall(&o, false, false);
	o.t0_ns = 0;
	ks_rec_begin(&o, "syscall", &h);
	ks_rec_u64v(&o, "args", args, 3, KS_TXT_BARE);
	ks_rec_u64v(&o, "named", args, 1, 0);
	ks_rec_u64v(&o, "hidden", args, 1, KS_TXT_HIDE);
	ks_rec_end(&o);
	check_buf(&o, "1.500000    syscall 10      11      1       bash            "
		  " (0x3, 0, 0xffffffffffffff9c) named=(0x3)\n");
	out_close(&o);
}

static void test_rec_json_comm_escaped(void **state)
{
	struct ks_out o;
	struct ks_hdr h = mkhdr(1, "");

	/* a comm that fills all 16 bytes, without a NUL, with control bytes */
	memcpy(h.comm, "a\"b\x1b" "cdefghijklm\xff", 16);
	out_open_wall(&o, true, false);
	ks_rec_begin(&o, "fork", &h);
	ks_rec_end(&o);
	check_buf(&o, "{\"type\":\"fork\",\"ts_ns\":1,\"pid\":10,\"tid\":11,\"ppid\":1,\"uid\":1000,"
		  "\"comm\":\"a\\\"b\\u001bcdefghijklm\\udcff\",\"cgroup_id\":77,\"cpu\":3}\n");
	out_close(&o);
}

static void test_rec_json_wallclock(void **state)
{
	struct ks_out o;
	struct ks_hdr h = mkhdr(5000000000ull, "bash");

	out_open_wall(&o, true, true);
	/* 1700000000.123456789 = 2023-11-14T22:13:20.123456789Z */
	o.real_off_ns = 1700000000123456789ll - 5000000000ll;
	ks_rec_begin(&o, "exec", &h);
	ks_rec_end(&o);
	check_buf(&o, "{\"type\":\"exec\",\"ts_ns\":5000000000,"
		  "\"time\":\"2023-11-14T22:13:20.123456789Z\",\"pid\":10,\"tid\":11,"
		  "\"ppid\":1,\"uid\":1000,\"comm\":\"bash\",\"cgroup_id\":77,\"cpu\":3}\n");

	/* the fraction keeps its leading zeros */
	h.ts_ns = 5000000000ull - 123456789 + 1000000000 + 7;
	ks_rec_begin(&o, "exec", &h);
	ks_rec_end(&o);
	check_buf(&o, "{\"type\":\"exec\",\"ts_ns\":5876543218,"
		  "\"time\":\"2023-11-14T22:13:21.000000007Z\",\"pid\":10,\"tid\":11,"
		  "\"ppid\":1,\"uid\":1000,\"comm\":\"bash\",\"cgroup_id\":77,\"cpu\":3}\n");
	out_close(&o);
}

#define TXT_HEADER \
	"TIME(s)     EVENT   PID     TID     PPID    COMM             DETAILS\n"

static void test_rec_text_header(void **state)
{
	struct ks_out o;

	out_open_wall(&o, false, false);
	ks_rec_header(&o);
	check_buf(&o, TXT_HEADER);
	out_close(&o);

	out_open_wall(&o, false, true);
	ks_rec_header(&o);
	check_buf(&o, "TIME            EVENT   PID     TID     PPID    COMM             DETAILS\n");
	out_close(&o);
}

/* columns of a text record for mkhdr() */
#define TXT_COLS(time, ev) time ev "10      11      1       "

static void test_rec_text(void **state)
{
	struct ks_out o;
	struct ks_hdr h;

	out_open_wall(&o, false, false);
	o.t0_ns = 1000000000000ull;
	h = mkhdr(o.t0_ns + 1500000000ull, "bash");

	ks_rec_begin(&o, "exec", &h);
	ks_rec_u64(&o, "u", 5, 0);
	ks_rec_u64(&o, "hidden_txt", 6, KS_TXT_HIDE);
	ks_rec_u64(&o, "hidden_json", 7, KS_JSON_HIDE);
	ks_rec_u64(&o, "zero", 0, KS_TXT_NONZERO);
	ks_rec_u64(&o, "nz", 9, KS_TXT_NONZERO);
	ks_rec_s64(&o, "s", -2, 0);
	ks_rec_s64(&o, "szero", 0, KS_TXT_NONZERO);
	ks_rec_u64(&o, "bare", 42, KS_TXT_BARE);
	ks_rec_bool(&o, "off", false, KS_TXT_FLAG);
	ks_rec_bool(&o, "on", true, KS_TXT_FLAG);
	ks_rec_bool(&o, "yes", true, 0);
	ks_rec_bool(&o, "no", false, 0);
	ks_rec_null(&o, "nil", 0);
	ks_rec_null(&o, "nil_hidden", KS_TXT_HIDE);
	ks_rec_str(&o, "str", "x\ty", 3, 0);
	ks_rec_str(&o, "bstr", "p q", 3, KS_TXT_BARE);
	ks_rec_ns(&o, "ns", 2500000, 0);
	ks_rec_bytes(&o, "bytes", 1536, 0);
	ks_rec_end(&o);
	check_buf(&o, TXT_COLS("1.500000    ", "exec    ") "bash            "
		  " u=5 hidden_json=7 nz=9 s=-2 42 on yes=yes no=no nil=- str=x\\ty p q"
		  " ns=2.50ms bytes=1.5KiB\n");

	/* before t0: clamped to 0; long event names widen their column */
	h.ts_ns = o.t0_ns - 1;
	ks_rec_begin(&o, "longevent", &h);
	ks_rec_end(&o);
	check_buf(&o, "0.000000    longevent 10      11      1       bash            \n");

	/* microsecond precision, seconds beyond the column */
	h.ts_ns = o.t0_ns + 123456789012345ull;
	ks_rec_begin(&o, "fork", &h);
	ks_rec_end(&o);
	check_buf(&o, "123456.789012 fork    10      11      1       bash            \n");
	out_close(&o);
}

static void test_rec_text_comm_escaped(void **state)
{
	struct ks_out o;
	struct ks_hdr h;

	out_open_wall(&o, false, false);
	o.t0_ns = 0;
	h = mkhdr(2000000, "a\x1b" "b\nc");
	ks_rec_begin(&o, "exit", &h);
	ks_rec_end(&o);
	check_buf(&o, TXT_COLS("0.002000    ", "exit    ") "a\\x1bb\\nc       \n");

	/* 16 bytes, no NUL, escaped wider than the column */
	memcpy(h.comm, "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13\x14\x15", 16);
	ks_rec_begin(&o, "exit", &h);
	ks_rec_end(&o);
	check_buf(&o, TXT_COLS("0.002000    ", "exit    ")
		  "\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x0e\\x0f\\x10\\x11\\x12\\x13\\x14\\x15\n");
	out_close(&o);
}

static void test_rec_text_wallclock(void **state)
{
	struct ks_out o;
	struct ks_hdr h = mkhdr(5000000000ull, "bash");

	out_open_wall(&o, false, true);
	o.real_off_ns = 1700000000123456789ll - 5000000000ll;	/* 22:13:20 UTC */
	ks_rec_begin(&o, "exec", &h);
	ks_rec_end(&o);
	check_buf(&o, "22:13:20.123456 exec    10      11      1       bash            \n");
	out_close(&o);
}

static void test_rec_strv_text(void **state)
{
	static const char block[] = "ls\0-l\0a b\0\0say \"hi\"\0it's\0\xe2\x80\xae" "x";
	struct ks_out o;
	struct ks_hdr h;

	out_open_wall(&o, false, false);
	o.t0_ns = 0;
	h = mkhdr(0, "bash");

	ks_rec_begin(&o, "exec", &h);
	ks_rec_strv(&o, "argv", block, sizeof(block) - 1, false, 0);
	ks_rec_end(&o);
	check_buf(&o, TXT_COLS("0.000000    ", "exec    ") "bash            "
		  " argv=ls -l \"a b\" \"\" \"say \\\"hi\\\"\" \"it's\" \\u202ex\n");

	ks_rec_begin(&o, "exec", &h);
	ks_rec_strv(&o, "argv", "a\0b", 3, true, KS_TXT_BARE);
	ks_rec_strv(&o, "hidden", "x", 1, false, KS_TXT_HIDE);
	ks_rec_end(&o);
	check_buf(&o, TXT_COLS("0.000000    ", "exec    ") "bash             a b ...\n");

	/* no arguments at all */
	ks_out_argv(&o, "", 0, false);
	assert_int_equal(o.len, 0);
	ks_out_argv(&o, "", 0, true);
	check_buf(&o, " ...");
	out_close(&o);
}

/*
 * Each NUL ends a string; a final string without its NUL (a truncated block)
 * still counts. So an empty last string needs its own NUL: "a\0\0".
 */
/* A JSON array of strings, as the value of a one-key object */
static void check_strv_json(struct ks_out *o, const char *block, size_t n, const char *arr)
{
	char expected[128];

	ks_json_begin(o);
	ks_json_key(o, "v");
	ks_json_strv(o, block, n);
	ks_json_end(o);
	snprintf(expected, sizeof(expected), "{\"v\":%s}\n", arr);
	check_buf(o, expected);
}

static void test_strv_terminators(void **state)
{
	struct ks_out o;

	out_open_wall(&o, true, false);
	check_strv_json(&o, "a\0", 2, "[\"a\"]");
	check_strv_json(&o, "a\0\0", 3, "[\"a\",\"\"]");
	check_strv_json(&o, "\0", 1, "[\"\"]");
	check_strv_json(&o, "", 0, "[]");
	check_strv_json(&o, "a\0\0b", 4, "[\"a\",\"\",\"b\"]");
	out_close(&o);

	out_open_wall(&o, false, false);
	ks_out_argv(&o, "a\0", 2, false);
	check_buf(&o, "a");
	ks_out_argv(&o, "a\0\0", 3, false);
	check_buf(&o, "a \"\"");
	ks_out_argv(&o, "\0", 1, false);
	check_buf(&o, "\"\"");
	out_close(&o);
}

/* ---- flushing ------------------------------------------------------------ */

static char *read_all(int fd, size_t *len)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *p;

	assert_true(size >= 0);
	p = malloc(size + 1);
	assert_non_null(p);
	assert_int_equal(pread(fd, p, size, 0), size);
	p[size] = '\0';
	*len = size;
	return p;
}

static void test_flush(void **state)
{
	int fd = memfd_create("out", MFD_CLOEXEC);
	struct ks_out o;
	size_t len;
	char *got;

	assert_true(fd >= 0);
	assert_int_equal(ks_out_init(&o, fd, true, false), 0);
	ks_json_begin(&o);
	ks_json_kv_str(&o, "k", "v", 1);
	ks_json_end(&o);
	assert_int_equal(ks_out_flush(&o), 0);
	assert_int_equal(o.len, 0);
	assert_int_equal(ks_out_flush(&o), 0);	/* nothing to write */
	got = read_all(fd, &len);
	assert_string_equal(got, "{\"k\":\"v\"}\n");
	free(got);
	ks_out_free(&o);
	close(fd);
}

static void test_flush_large(void **state)
{
	int fd = memfd_create("out", MFD_CLOEXEC);
	size_t big = 300 * 1024, len;
	char *blob = malloc(big), *got;
	struct ks_out o;

	assert_true(fd >= 0);
	assert_non_null(blob);
	for (size_t i = 0; i < big; i++)
		blob[i] = 'a' + i % 26;
	assert_int_equal(ks_out_init(&o, fd, false, false), 0);

	/* many small appends pass the buffer size: flushed on the way */
	for (int i = 0; i < 100000; i++)
		ks_out_cstr(&o, "0123456789");
	/* one item larger than the buffer */
	ks_out_mem(&o, blob, big);
	ks_out_char(&o, '\n');
	assert_int_equal(ks_out_flush(&o), 0);

	got = read_all(fd, &len);
	assert_int_equal(len, 1000000 + big + 1);
	for (size_t i = 0; i < 1000000; i += 10)
		assert_memory_equal(got + i, "0123456789", 10);
	assert_memory_equal(got + 1000000, blob, big);
	assert_int_equal(got[len - 1], '\n');
	free(got);
	free(blob);
	ks_out_free(&o);
	close(fd);
}

/*
 * Records written through a buffer of every small size: fields are built
 * in place and counted at their end, so a flush in the middle of one must
 * keep every byte, in order. The output is the same whatever the size.
 */
static void write_records(struct ks_out *o)
{
	struct ks_hdr h = mkhdr(1500000000, "b\x01sh\"x");
	static const char path[] = "/a/plain/path/\x01with\"escapes\\and/more/plain/text\xff";

	for (int i = 0; i < 6; i++) {
		ks_rec_begin(o, "open", &h);
		ks_rec_s64(o, "fd", -100 - i, 0);
		ks_rec_u64(o, "flags_raw", UINT64_MAX - i, KS_TXT_HIDE);
		ks_rec_str(o, "flags", "O_RDONLY|O_CLOEXEC", 18, 0);
		ks_rec_null(o, "mode", KS_TXT_HIDE);
		ks_rec_str(o, "path", path, sizeof(path) - 1, 0);
		ks_rec_strv(o, "argv", "sh\0-c\0echo \"x\"\0", 16, true, 0);
		ks_rec_bool(o, "cut", true, KS_TXT_FLAG);
		ks_rec_end(o);
		h.comm[0] = 'a' + i;
	}
}

static void test_flush_mid_field(void **state)
{
	for (int json = 0; json < 2; json++) {
		char *want = NULL, *got;
		size_t want_len = 0, len;

		for (size_t cap = 1024; cap >= 1; cap = cap > 160 ? cap - 97 : cap - 1) {
			int fd = memfd_create("out", MFD_CLOEXEC);
			struct ks_out o;

			assert_true(fd >= 0);
			assert_int_equal(ks_out_init(&o, fd, json, false), 0);
			o.t0_ns = 1000000000;
			o.cap = cap;	/* a smaller buffer (it grows for larger items) */
			write_records(&o);
			assert_int_equal(ks_out_flush(&o), 0);
			got = read_all(fd, &len);
			if (!want) {
				want = got, want_len = len;
				assert_true(len > 1024);
			} else {
				assert_int_equal(len, want_len);
				assert_memory_equal(got, want, len);
				free(got);
			}
			ks_out_free(&o);
			close(fd);
		}
		free(want);
	}
}

static void test_flush_epipe(void **state)
{
	struct ks_out o;
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	assert_int_equal(ks_out_init(&o, p[1], false, false), 0);
	ks_out_cstr(&o, "lost\n");
	assert_int_equal(ks_out_flush(&o), -EPIPE);
	assert_int_equal(o.err, -EPIPE);
	assert_int_equal(o.len, 0);
	/* the error sticks; later output is dropped */
	ks_out_cstr(&o, "more\n");
	assert_int_equal(ks_out_flush(&o), -EPIPE);
	assert_int_equal(o.len, 0);
	ks_out_free(&o);
	close(p[1]);
}

/* What ks_errorf/ks_out_failed wrote on stderr, while fn runs */
static void capture_stderr(void (*fn)(void *), void *arg, char *buf, size_t cap)
{
	int fd = memfd_create("err", MFD_CLOEXEC), saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDERR_FILENO);
	fn(arg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, cap - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

static void say_hostile(void *arg)
{
	ks_errorf("kscope: unknown command '%s' (see 'kscope help')", (const char *)arg);
}

/* An error line quoting hostile input stays one escaped line */
static void test_errorf_escapes(void **state)
{
	char err[1024];

	capture_stderr(say_hostile, "bad\x1b[31m\ncmd\r\x07\xff", err, sizeof(err));
	assert_string_equal(err, "kscope: unknown command 'bad\\x1b[31m\\ncmd\\r\\x07\\xff' "
			    "(see 'kscope help')\n");
	capture_stderr(say_hostile, "plain", err, sizeof(err));
	assert_string_equal(err, "kscope: unknown command 'plain' (see 'kscope help')\n");
}

struct failed_case {
	struct ks_out *o;
	const char *name, *note;
	bool ret;
};

static void call_failed(void *arg)
{
	struct failed_case *c = arg;

	c->ret = ks_out_failed(c->o, c->name, c->note);
}

/* ks_out_failed: EPIPE is a clean stop; other errors one line and true */
static void test_out_failed(void **state)
{
	struct ks_out o;
	struct failed_case c = { &o, NULL, NULL, false };
	char err[512];
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);

	assert_true(full >= 0);
	assert_int_equal(ks_out_init(&o, full, false, false), 0);
	capture_stderr(call_failed, &c, err, sizeof(err));
	assert_false(c.ret);			/* nothing written, nothing failed */
	assert_string_equal(err, "");
	ks_out_cstr(&o, "x\n");
	assert_int_equal(ks_out_flush(&o), -ENOSPC);
	capture_stderr(call_failed, &c, err, sizeof(err));
	assert_true(c.ret);
	assert_string_equal(err, "kscope: cannot write to standard output: No space left on "
			    "device: the output is incomplete\n");
	c.name = "/dev/full";
	c.note = "a note";
	capture_stderr(call_failed, &c, err, sizeof(err));
	assert_string_equal(err, "kscope: cannot write to '/dev/full': No space left on device: "
			    "the output is incomplete (a note)\n");
	o.err = -EPIPE;
	capture_stderr(call_failed, &c, err, sizeof(err));
	assert_false(c.ret);
	assert_string_equal(err, "");
	o.err = -ETIMEDOUT;
	o.dropped = 123;
	capture_stderr(call_failed, &c, err, sizeof(err));
	assert_false(c.ret);
	assert_string_equal(err, "kscope: '/dev/full' took nothing for a second after the stop: "
			    "the last 123 bytes of output were dropped\n");
	ks_out_free(&o);
	close(full);
}

static void test_set_epoch(void **state)
{
	struct ks_out o;
	struct timespec mono, real;

	out_open_wall(&o, false, false);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	/* t0 is "now" on the monotonic clock, the offset maps it to real time */
	assert_true(o.t0_ns <= (uint64_t)mono.tv_sec * 1000000000ull + mono.tv_nsec);
	assert_true((uint64_t)mono.tv_sec * 1000000000ull + mono.tv_nsec - o.t0_ns < 1000000000ull);
	assert_true(llabs((long long)(o.t0_ns + o.real_off_ns) -
			  (long long)((uint64_t)real.tv_sec * 1000000000ull + real.tv_nsec)) <
		    1000000000ll);
	out_close(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_printable),
		cmocka_unit_test(test_escape_whitespace_controls),
		cmocka_unit_test(test_escape_utf8_valid),
		cmocka_unit_test(test_escape_utf8_invalid),
		cmocka_unit_test(test_escape_unsafe_codepoints),
		cmocka_unit_test(test_escape_bounds),
		cmocka_unit_test(test_fmt_ns),
		cmocka_unit_test(test_fmt_bytes),
		cmocka_unit_test(test_raw_appends),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_escape_runs),
		cmocka_unit_test(test_json_keys),
		cmocka_unit_test(test_json_nesting),
		cmocka_unit_test(test_json_arrays),
		cmocka_unit_test(test_json_consecutive_lines),
		cmocka_unit_test(test_rec_json),
		cmocka_unit_test(test_rec_u64v),
		cmocka_unit_test(test_rec_json_comm_escaped),
		cmocka_unit_test(test_rec_json_wallclock),
		cmocka_unit_test(test_rec_text_header),
		cmocka_unit_test(test_rec_text),
		cmocka_unit_test(test_rec_text_comm_escaped),
		cmocka_unit_test(test_rec_text_wallclock),
		cmocka_unit_test(test_rec_strv_text),
		cmocka_unit_test(test_strv_terminators),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_flush_large),
		cmocka_unit_test(test_flush_mid_field),
		cmocka_unit_test(test_flush_epipe),
		cmocka_unit_test(test_errorf_escapes),
		cmocka_unit_test(test_out_failed),
		cmocka_unit_test(test_set_epoch),
	};

	/* the table's wall-clock column is local time: make it deterministic */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for src/agent/webcfg.c, `kscope agent --web.config.file`: the
 * parser on good files and on each error (with its line), the decoding of
 * an Authorization: Basic value, the cache of good passwords, and the
 * config in use: bcrypt checks, a reload, a bad reload that keeps the
 * last good config. TLS itself runs end to end in tests/integration.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/webcfg.h"

#define HASH_SECRET "$2b$04$kscopeunittestsaltkscecMgMNE3d5vXg9sbFzQ5XQC3wCvWrjtW"
#define HASH_HUNTER2 "$2y$04$anotherunittestsaltksOJuVb98N6ll8JkLYmxHqEs.lM1krqzhG"
#define B64_ALICE_SECRET "YWxpY2U6c2VjcmV0"		/* alice:secret */

static int parse(const char *text, struct ks_webcfg *c, char *err, size_t n)
{
	return ks_webcfg_parse(text, strlen(text), "/etc/kscope", c, err, n);
}

static void parse_err(const char *text, const char *want)
{
	struct ks_webcfg c;
	char err[512] = "";

	assert_int_equal(parse(text, &c, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not have \"%s\"", err, want);
	assert_null(strchr(err, '\n'));
	/* freed on failure: nothing left */
	assert_null(c.users);
	assert_null(c.cert_file);
}

static void test_parse_good(void **state)
{
	struct ks_webcfg c;
	char err[512];

	assert_int_equal(parse("tls_server_config:\n"
			       "  cert_file: server.crt\n"
			       "  key_file: /abs/server.key\n"
			       "  client_auth_type: RequireAndVerifyClientCert\n"
			       "  client_ca_file: 'ca dir/ca.crt'\n"
			       "  min_version: TLS13\n"
			       "basic_auth_users:\n"
			       "  alice: " HASH_SECRET "\n"
			       "  \"bob\": '" HASH_HUNTER2 "'\n", &c, err, sizeof(err)), 0);
	assert_true(c.tls);
	/* relative to the file's directory, as exporter-toolkit */
	assert_string_equal(c.cert_file, "/etc/kscope/server.crt");
	assert_int_equal(c.cert_line, 2);
	assert_string_equal(c.key_file, "/abs/server.key");
	assert_string_equal(c.client_ca_file, "/etc/kscope/ca dir/ca.crt");
	assert_int_equal(c.ca_line, 5);
	assert_int_equal(c.client_auth, KS_WEB_REQUIRE_VERIFY);
	assert_int_equal(c.min_version, 0x0304);
	assert_int_equal(c.nusers, 2);
	assert_string_equal(c.users[0].name, "alice");
	assert_string_equal(c.users[0].hash, HASH_SECRET);
	assert_string_equal(c.users[1].name, "bob");
	assert_string_equal(c.users[1].hash, HASH_HUNTER2);
	ks_webcfg_free(&c);

	/* the defaults: TLS 1.2, no client certificate; flow style is YAML too */
	assert_int_equal(parse("{tls_server_config: {cert_file: a, key_file: b, "
			       "client_auth_type: NoClientCert, min_version: TLS12}}", &c, err,
			       sizeof(err)), 0);
	assert_true(c.tls);
	assert_int_equal(c.min_version, 0x0303);
	assert_int_equal(c.client_auth, KS_WEB_NO_CLIENT_CERT);
	assert_int_equal(c.nusers, 0);
	ks_webcfg_free(&c);

	/* basic auth over plain HTTP; an empty section; comments */
	assert_int_equal(parse("# users only\ntls_server_config:\nbasic_auth_users:\n"
			       "  alice: " HASH_SECRET "  # a comment\n", &c, err, sizeof(err)), 0);
	assert_false(c.tls);
	assert_int_equal(c.nusers, 1);
	ks_webcfg_free(&c);

	/* an empty file (or only a comment): neither TLS nor users */
	assert_int_equal(parse("", &c, err, sizeof(err)), 0);
	assert_false(c.tls);
	assert_int_equal(c.nusers, 0);
	assert_int_equal(parse("# nothing\n", &c, err, sizeof(err)), 0);
	assert_int_equal(parse("---\n...\n", &c, err, sizeof(err)), 0);
	ks_webcfg_free(&c);

	/* no directory: paths as they are */
	{
		static const char t[] = "tls_server_config: {cert_file: a, key_file: b}";

		assert_int_equal(ks_webcfg_parse(t, strlen(t), NULL, &c, err, sizeof(err)), 0);
	}
	assert_string_equal(c.cert_file, "a");
	ks_webcfg_free(&c);
}

static void test_parse_errors(void **state)
{
	parse_err("foo: 1\n", "line 1: unknown key \"foo\"");
	parse_err("basic_auth_users:\n  alice: " HASH_SECRET "\ntls_config:\n  cert_file: a\n",
		  "line 3: unknown key \"tls_config\"");
	parse_err("tls_server_config:\n  cert_file: a\n  key_file: b\n  certfile: c\n",
		  "line 4: unknown key \"tls_server_config.certfile\"");
	/* exporter-toolkit's keys kscope does not do */
	parse_err("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [X]\n",
		  "line 4: tls_server_config.cipher_suites is not supported by kscope");
	parse_err("http_server_config:\n  http2: false\n",
		  "line 1: http_server_config is not supported by kscope");
	parse_err("tls_server_config:\n  cert: |\n    ---\n  key_file: b\n",
		  "line 2: tls_server_config.cert is not supported");
	/* values */
	parse_err("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		  "  client_auth_type: RequestClientCert\n",
		  "line 4: client_auth_type RequestClientCert is not supported by kscope "
		  "(NoClientCert or RequireAndVerifyClientCert)");
	parse_err("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		  "  client_auth_type: VerifyClientCertIfGiven\n", "line 4: client_auth_type "
		  "VerifyClientCertIfGiven is not supported");
	parse_err("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: yes\n",
		  "line 4: invalid client_auth_type \"yes\"");
	parse_err("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS11\n",
		  "line 4: min_version TLS11 is not supported by kscope (TLS12 or TLS13)");
	parse_err("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: 1.2\n",
		  "line 4: invalid min_version \"1.2\"");
	parse_err("tls_server_config:\n  cert_file: [a, b]\n  key_file: b\n",
		  "line 2: cert_file: a string is expected");
	/* what goes together */
	parse_err("tls_server_config:\n  key_file: b\n",
		  "tls_server_config: cert_file is required");
	parse_err("tls_server_config:\n  cert_file: a\n  key_file:\n",
		  "tls_server_config: key_file is required");
	parse_err("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		  "  client_auth_type: RequireAndVerifyClientCert\n",
		  "client_ca_file is required with client_auth_type RequireAndVerifyClientCert");
	parse_err("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n",
		  "line 4: client_ca_file is given: client_auth_type must be "
		  "RequireAndVerifyClientCert");
	/* structure */
	parse_err("- a\n- b\n", "line 1: the file: a mapping (key: value) is expected");
	parse_err("just text\n", "a mapping (key: value) is expected");
	parse_err("tls_server_config: yes\n", "line 1: tls_server_config: a mapping");
	parse_err("basic_auth_users:\n  - alice\n", "line 2: basic_auth_users: a mapping");
	parse_err("basic_auth_users:\n  alice: " HASH_SECRET "\n  alice: " HASH_HUNTER2 "\n",
		  "line 3: \"alice\" given twice");
	parse_err("tls_server_config: {cert_file: a, key_file: b}\n"
		  "tls_server_config: {cert_file: a, key_file: b}\n",
		  "line 2: \"tls_server_config\" given twice");
	/* YAML itself, with the line of the fault */
	parse_err("tls_server_config:\n  cert_file: a\n key_file: b\n", "line 3: invalid YAML");
	parse_err("basic_auth_users:\n  alice: \"" HASH_SECRET "\n", "invalid YAML");
	parse_err("a: 1\0b: 2", "");
	/* users */
	parse_err("basic_auth_users:\n  alice: secret\n",
		  "line 2: basic_auth_users: alice: not a bcrypt hash");
	parse_err("basic_auth_users:\n  alice: $2b$03$kscopeunittestsaltkscecMgMNE3d5vXg9sbFzQ5XQ"
		  "C3wCvWrjtW\n", "not a bcrypt hash");
	parse_err("basic_auth_users:\n  alice: $1$abc$def\n", "not a bcrypt hash");
	parse_err("basic_auth_users:\n  alice:\n", "line 2: basic_auth_users: alice has no "
		  "password hash");
	parse_err("basic_auth_users:\n  \"a:b\": " HASH_SECRET "\n",
		  "line 2: basic_auth_users: invalid user name \"a:b\"");
	parse_err("basic_auth_users:\n  \"\": " HASH_SECRET "\n", "invalid user name");
}

static void test_is_bcrypt(void **state)
{
	assert_true(ks_web_is_bcrypt(HASH_SECRET));
	assert_true(ks_web_is_bcrypt(HASH_HUNTER2));
	assert_true(ks_web_is_bcrypt("$2a$31$kscopeunittestsaltkscecMgMNE3d5vXg9sbFzQ5XQC3wCvWrjtW"));
	assert_false(ks_web_is_bcrypt("$2x$10$kscopeunittestsaltkscecMgMNE3d5vXg9sbFzQ5XQC3wCvWrjtW"));
	assert_false(ks_web_is_bcrypt("$2b$32$kscopeunittestsaltkscecMgMNE3d5vXg9sbFzQ5XQC3wCvWrjtW"));
	assert_false(ks_web_is_bcrypt("$2b$10$kscopeunittestsaltkscecMgMNE3d5vXg9sbFzQ5XQC3wCvWrjt"));
	assert_false(ks_web_is_bcrypt("$2b$10$kscopeunittestsaltkscecMgMNE3d5vXg9sbFzQ5XQC3wCvWrjt!"));
	assert_false(ks_web_is_bcrypt(""));
}

static int decode(const char *auth, char *out, size_t n, const char **u, const char **p)
{
	return ks_web_basic_decode(auth, strlen(auth), out, n, u, p);
}

static void test_basic_decode(void **state)
{
	char out[KS_WEB_MAX_CRED], small[8];
	const char *u, *p;

	assert_int_equal(decode("Basic " B64_ALICE_SECRET, out, sizeof(out), &u, &p), 0);
	assert_string_equal(u, "alice");
	assert_string_equal(p, "secret");
	/* the scheme in any case, spaces or tabs after it */
	assert_int_equal(decode("bAsIc \t " B64_ALICE_SECRET, out, sizeof(out), &u, &p), 0);
	assert_string_equal(u, "alice");
	/* padding: "a:b" is YTpi, "ab:c" YWI6Yw== (and without its padding) */
	assert_int_equal(decode("Basic YTpi", out, sizeof(out), &u, &p), 0);
	assert_string_equal(u, "a");
	assert_string_equal(p, "b");
	assert_int_equal(decode("Basic YWI6Yw==", out, sizeof(out), &u, &p), 0);
	assert_string_equal(u, "ab");
	assert_string_equal(p, "c");
	assert_int_equal(decode("Basic YWI6Yw", out, sizeof(out), &u, &p), 0);
	assert_string_equal(p, "c");
	/* the password may hold ':', and be empty: "u:p:q" dTpwOnE=, "u:" dTo= */
	assert_int_equal(decode("Basic dTpwOnE=", out, sizeof(out), &u, &p), 0);
	assert_string_equal(u, "u");
	assert_string_equal(p, "p:q");
	assert_int_equal(decode("Basic dTo=", out, sizeof(out), &u, &p), 0);
	assert_string_equal(u, "u");
	assert_string_equal(p, "");

	/* not Basic, or not base64 of "user:password" */
	assert_int_equal(decode("Bearer " B64_ALICE_SECRET, out, sizeof(out), &u, &p), -1);
	assert_int_equal(decode("Basic", out, sizeof(out), &u, &p), -1);
	assert_int_equal(decode("Basic ", out, sizeof(out), &u, &p), -1);
	assert_int_equal(decode("Basic" B64_ALICE_SECRET, out, sizeof(out), &u, &p), -1);
	assert_int_equal(decode("Basic YWxp!2U6c2VjcmV0", out, sizeof(out), &u, &p), -1);
	assert_int_equal(decode("Basic YWxp Y2U6c2VjcmV0", out, sizeof(out), &u, &p), -1);
	assert_int_equal(decode("Basic YWxpY2U=", out, sizeof(out), &u, &p), -1);	/* "alice" */
	assert_int_equal(decode("Basic YWI6Yw=", out, sizeof(out), &u, &p), -1);
	assert_int_equal(decode("Basic YWI6Y===", out, sizeof(out), &u, &p), -1);
	assert_int_equal(decode("Basic YWI6Y", out, sizeof(out), &u, &p), -1);	/* 1 char left */
	assert_int_equal(decode("Basic YTpj", out, sizeof(out), &u, &p), 0);
	assert_int_equal(decode("Basic YTpk", out, sizeof(out), &u, &p), 0);
	/* leftover bits not zero: "YWI6Yx==" is not canonical */
	assert_int_equal(decode("Basic YWI6Yx==", out, sizeof(out), &u, &p), -1);
	/* a NUL byte inside: "a\0:b" YQA6Yg== */
	assert_int_equal(decode("Basic YQA6Yg==", out, sizeof(out), &u, &p), -1);
	/* longer than the buffer */
	assert_int_equal(decode("Basic " B64_ALICE_SECRET, small, sizeof(small), &u, &p), -1);
	assert_int_equal(ks_web_basic_decode(NULL, 0, out, sizeof(out), &u, &p), -1);
}

static void test_cache(void **state)
{
	struct ks_web_cache c;
	char user[32];

	ks_web_cache_init(&c);
	assert_false(ks_web_cache_has(&c, "alice", "secret", HASH_SECRET));
	ks_web_cache_add(&c, "alice", "secret", HASH_SECRET);
	assert_true(ks_web_cache_has(&c, "alice", "secret", HASH_SECRET));
	/* any part different: a miss (a new hash in the file invalidates) */
	assert_false(ks_web_cache_has(&c, "alice", "secreT", HASH_SECRET));
	assert_false(ks_web_cache_has(&c, "alicE", "secret", HASH_SECRET));
	assert_false(ks_web_cache_has(&c, "alice", "secret", HASH_HUNTER2));
	/* no two triples run together: "a:b" + "c" is not "a" + "b:c" */
	ks_web_cache_add(&c, "a:b", "c", "h");
	assert_false(ks_web_cache_has(&c, "a", "b:c", "h"));
	assert_true(ks_web_cache_has(&c, "a:b", "c", "h"));
	/* adding again keeps one entry */
	ks_web_cache_add(&c, "alice", "secret", HASH_SECRET);
	assert_int_equal(c.next, 2);
	/* bounded: KS_WEB_CACHE more entries push the oldest out */
	for (int i = 0; i < KS_WEB_CACHE - 1; i++) {
		snprintf(user, sizeof(user), "u%d", i);
		ks_web_cache_add(&c, user, "p", "h");
	}
	assert_false(ks_web_cache_has(&c, "alice", "secret", HASH_SECRET));
	assert_true(ks_web_cache_has(&c, "a:b", "c", "h"));
	assert_true(ks_web_cache_has(&c, "u0", "p", "h"));
	/* another process (another salt) has other keys */
	{
		struct ks_web_cache d;

		ks_web_cache_init(&d);
		assert_memory_not_equal(c.salt, d.salt, sizeof(c.salt));
	}
}

static void write_file(const char *path, const char *text)
{
	char tmp[256];
	FILE *f;

	/* a rename: the reader sees the old file or the new one */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static char *auth_of(const char *user, const char *pass)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static char out[256];
	char in[128];
	size_t n = snprintf(in, sizeof(in), "%s:%s", user, pass), o;

	o = sprintf(out, "Basic ");
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16 |
			     (i + 1 < n ? (unsigned char)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? (unsigned char)in[i + 2] : 0);

		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static bool auth(struct ks_web *w, const char *user, const char *pass)
{
	const char *a = auth_of(user, pass);

	return ks_web_auth(w, a, strlen(a));
}

static void test_web_auth_reload(void **state)
{
	char dir[] = "/tmp/kscope-webcfg-XXXXXX", path[256], err[512];
	struct ks_web *w;
	int saved, devnull;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/web.yml", dir);

	/* a missing file, a bad one: one line, with the line number */
	assert_null(ks_web_load(path, err, sizeof(err)));
	assert_string_equal(err, "No such file or directory");
	write_file(path, "basic_auth_users:\n  alice: nothash\n");
	assert_null(ks_web_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "line 2: basic_auth_users: alice: not a bcrypt hash"));
	/* a certificate that is not there: said with its line and path */
	write_file(path, "tls_server_config:\n  cert_file: none.crt\n  key_file: none.key\n");
	assert_null(ks_web_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "line 2: cert_file "));
	assert_non_null(strstr(err, "/none.crt: No such file or directory"));

	write_file(path, "basic_auth_users:\n  alice: " HASH_SECRET "\n");
	w = ks_web_load(path, err, sizeof(err));
	assert_non_null(w);
	assert_null(ks_web_tls(w));
	assert_true(ks_web_auth_on(w));
	assert_true(auth(w, "alice", "secret"));
	assert_true(auth(w, "alice", "secret"));	/* the cache's */
	assert_false(auth(w, "alice", "Secret"));
	assert_false(auth(w, "bob", "secret"));
	assert_false(auth(w, "alice", ""));
	assert_false(ks_web_auth(w, NULL, 0));
	assert_false(ks_web_auth(w, "Basic !!!!", 10));

	/* stderr aside while reloading: what it says is not the test's */
	saved = dup(2);
	devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, 2);

	/* a change: alice's password is another now, bob is in */
	write_file(path, "basic_auth_users:\n  alice: " HASH_HUNTER2 "\n  bob: " HASH_SECRET "\n");
	ks_web_refresh(w, UINT64_MAX / 2);
	assert_false(auth(w, "alice", "secret"));	/* the cached success is no more */
	assert_true(auth(w, "alice", "hunter2"));
	assert_true(auth(w, "bob", "secret"));
	/* a bad file: the last good config stays */
	write_file(path, "basic_auth_users:\n  alice: [\n");
	ks_web_refresh(w, UINT64_MAX / 2 + 2000);
	assert_true(auth(w, "alice", "hunter2"));
	assert_true(auth(w, "bob", "secret"));
	/* no users at all: everyone in (the file says so) */
	write_file(path, "# open\n");
	ks_web_refresh(w, UINT64_MAX / 2 + 4000);
	assert_false(ks_web_auth_on(w));
	assert_true(ks_web_auth(w, NULL, 0));

	dup2(saved, 2);
	close(saved);
	close(devnull);
	ks_web_free(w);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_is_bcrypt),
		cmocka_unit_test(test_basic_decode),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_web_auth_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

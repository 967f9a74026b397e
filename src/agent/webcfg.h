/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `kscope agent --web.config.file`: TLS and basic auth, in the format of
 * Prometheus' exporter-toolkit (docs/web-configuration.md), the subset
 * docs/agent.md lists. The parser (libyaml) and the Authorization check are
 * pure and unit-tested (tests/unit/test_webcfg.c); struct ks_web holds the
 * config in use by the HTTP server: an OpenSSL context, the users, the
 * cache of good passwords, and re-reads the files when they change.
 */
#ifndef KSCOPE_WEBCFG_H
#define KSCOPE_WEBCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KS_WEB_MAX_USERS	1024
#define KS_WEB_MAX_FILE		(1u << 20)	/* a longer config file is refused */
#define KS_WEB_CACHE		64		/* good (user, password, hash) kept */
#define KS_WEB_MAX_CRED		512		/* decoded "user:password" bytes at most */

enum { KS_WEB_NO_CLIENT_CERT, KS_WEB_REQUIRE_VERIFY };

struct ks_web_user {
	char *name, *hash;
};

/* A parsed web config file; paths are absolute or relative to the file's directory */
struct ks_webcfg {
	bool tls;			/* tls_server_config given (with cert and key) */
	char *cert_file, *key_file, *client_ca_file;
	int cert_line, key_line, ca_line;	/* the lines they are on (error messages) */
	int client_auth;		/* KS_WEB_* */
	int min_version;		/* 0x0303 (TLS12, the default) or 0x0304 (TLS13) */
	struct ks_web_user *users;	/* basic_auth_users; none: no authentication */
	size_t nusers;
};

/*
 * Parses text[0..len) (a YAML document). dir: the directory relative paths
 * are resolved against (NULL: as they are). 0, or -1 with one line in err
 * ("line N: what is wrong"). Unknown keys are refused.
 */
int ks_webcfg_parse(const char *text, size_t len, const char *dir, struct ks_webcfg *c,
		    char *err, size_t errlen);
void ks_webcfg_free(struct ks_webcfg *c);

/* A bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31, 53 more characters)? */
bool ks_web_is_bcrypt(const char *h);

/*
 * An Authorization value: "Basic" (any case), spaces, base64 of
 * "user:password". Writes the user and the password, NUL-terminated, into
 * out[0..outlen) (user first, then password). 0, or -1 if it is not that.
 */
int ks_web_basic_decode(const char *auth, size_t len, char *out, size_t outlen,
			const char **user, const char **pass);

/* The cache of (user, password, hash) checked good: SHA-256 digests, salted */
struct ks_web_cache {
	unsigned char salt[16];
	unsigned char key[KS_WEB_CACHE][32];
	bool used[KS_WEB_CACHE];
	unsigned next;
};
void ks_web_cache_init(struct ks_web_cache *c);
bool ks_web_cache_has(const struct ks_web_cache *c, const char *user, const char *pass,
		      const char *hash);
void ks_web_cache_add(struct ks_web_cache *c, const char *user, const char *pass,
		      const char *hash);

/* ---- the config in use --------------------------------------------------------- */

struct ks_web;

/*
 * Reads and checks the file, and builds its TLS context. NULL with one line
 * in err on failure ("line N: ...").
 */
struct ks_web *ks_web_load(const char *path, char *err, size_t errlen);
void ks_web_free(struct ks_web *w);
/*
 * Re-reads the file (and the certificates) if one of them changed since;
 * an invalid one keeps the last good config, said once on stderr. At most
 * once a second (now: ms).
 */
void ks_web_refresh(struct ks_web *w, uint64_t now);
/* The OpenSSL SSL_CTX to accept with, or NULL: plain HTTP */
void *ks_web_tls(struct ks_web *w);
/* Users configured? */
bool ks_web_auth_on(const struct ks_web *w);
/* An Authorization value (NULL: none) lets the request in? (crypt_r, cached) */
bool ks_web_auth(struct ks_web *w, const char *auth, size_t len);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * --web.config.file (webcfg.h): exporter-toolkit's web config, its TLS and
 * basic auth subset. libyaml reads the file, OpenSSL serves TLS, libxcrypt's
 * crypt_r checks bcrypt hashes; all three are linked statically
 * (docs/dependencies.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <crypt.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <yaml.h>

#include "agent/webcfg.h"

/* ---- the parser ------------------------------------------------------------ */

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!err || !errlen)
		return -1;
	if (line > 0)
		n = snprintf(err, errlen, "line %d: ", line);
	if (n < 0 || (size_t)n >= errlen)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static int line_of(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

/* A plain null: "key:", "key: ~", "key: null" */
static bool is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/* A scalar's text: a string without NUL bytes, or -1 */
static int scalar(const yaml_node_t *n, const char *key, const char **out, char *err,
		  size_t errlen)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(err, errlen, line_of(n), "%s: a string is expected", key);
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return fail(err, errlen, line_of(n), "%s: a NUL byte in the value", key);
	*out = (const char *)n->data.scalar.value;
	return 0;
}

/* A file name, relative to dir unless absolute; "" stays "" */
static char *path_in(const char *dir, const char *name)
{
	char *p;

	if (!*name || name[0] == '/' || !dir || !*dir)
		return strdup(name);
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* Keys exporter-toolkit knows that kscope does not do: a clearer error than "unknown" */
static bool unsupported(const char *section, const char *key)
{
	static const char *const tls[] = { "cert", "key", "client_ca", "max_version",
		"cipher_suites", "curve_preferences", "prefer_server_cipher_suites",
		"client_allowed_sans", NULL };

	if (!strcmp(section, "") && !strcmp(key, "http_server_config"))
		return true;
	if (!strcmp(section, "tls_server_config"))
		for (int i = 0; tls[i]; i++)
			if (!strcmp(key, tls[i]))
				return true;
	return false;
}

static int key_error(const char *section, const char *key, int line, char *err, size_t errlen)
{
	if (unsupported(section, key))
		return fail(err, errlen, line, "%s%s%s is not supported by kscope", section,
			    *section ? "." : "", key);
	return fail(err, errlen, line, "unknown key \"%s%s%s\"", section, *section ? "." : "",
		    key);
}

/* Each pair of a mapping node, its key a string seen once; fn(key, value) */
typedef int (*pair_fn)(yaml_document_t *d, const char *key, yaml_node_t *k, yaml_node_t *v,
		       struct ks_webcfg *c, const char *dir, char *err, size_t errlen);

static int each_pair(yaml_document_t *d, yaml_node_t *map, const char *what, pair_fn fn,
		     struct ks_webcfg *c, const char *dir, char *err, size_t errlen)
{
	yaml_node_pair_t *p, *q;

	if (map->type != YAML_MAPPING_NODE)
		return fail(err, errlen, line_of(map), "%s: a mapping (key: value) is expected",
			    what);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		yaml_node_t *v = yaml_document_get_node(d, p->value);
		const char *key;

		if (!k || !v)
			return fail(err, errlen, 0, "malformed document");
		if (scalar(k, what, &key, err, errlen))
			return -1;
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = yaml_document_get_node(d, q->key);

			if (k2 && k2->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)k2->data.scalar.value, key))
				return fail(err, errlen, line_of(k), "\"%s\" given twice", key);
		}
		if (fn(d, key, k, v, c, dir, err, errlen))
			return -1;
	}
	return 0;
}

static int tls_pair(yaml_document_t *d, const char *key, yaml_node_t *k, yaml_node_t *v,
		    struct ks_webcfg *c, const char *dir, char *err, size_t errlen)
{
	char **file = NULL;
	int *line = NULL;
	const char *s;

	(void)d;
	if (!strcmp(key, "cert_file")) {
		file = &c->cert_file;
		line = &c->cert_line;
	} else if (!strcmp(key, "key_file")) {
		file = &c->key_file;
		line = &c->key_line;
	} else if (!strcmp(key, "client_ca_file")) {
		file = &c->client_ca_file;
		line = &c->ca_line;
	} else if (strcmp(key, "client_auth_type") && strcmp(key, "min_version")) {
		return key_error("tls_server_config", key, line_of(k), err, errlen);
	}
	if (is_null(v))
		return 0;
	if (scalar(v, key, &s, err, errlen))
		return -1;
	if (file) {
		free(*file);
		*file = path_in(dir, s);
		*line = line_of(v);
		return *file ? 0 : fail(err, errlen, 0, "out of memory");
	}
	if (!strcmp(key, "client_auth_type")) {
		if (!strcmp(s, "NoClientCert"))
			c->client_auth = KS_WEB_NO_CLIENT_CERT;
		else if (!strcmp(s, "RequireAndVerifyClientCert"))
			c->client_auth = KS_WEB_REQUIRE_VERIFY;
		else if (!strcmp(s, "RequestClientCert") || !strcmp(s, "RequireAnyClientCert") ||
			 !strcmp(s, "VerifyClientCertIfGiven"))
			return fail(err, errlen, line_of(v), "client_auth_type %s is not supported "
				    "by kscope (NoClientCert or RequireAndVerifyClientCert)", s);
		else
			return fail(err, errlen, line_of(v), "invalid client_auth_type \"%s\" "
				    "(NoClientCert or RequireAndVerifyClientCert)", s);
		return 0;
	}
	/* min_version */
	if (!strcmp(s, "TLS12"))
		c->min_version = 0x0303;
	else if (!strcmp(s, "TLS13"))
		c->min_version = 0x0304;
	else if (!strcmp(s, "TLS10") || !strcmp(s, "TLS11"))
		return fail(err, errlen, line_of(v), "min_version %s is not supported by kscope "
			    "(TLS12 or TLS13)", s);
	else
		return fail(err, errlen, line_of(v), "invalid min_version \"%s\" (TLS12 or TLS13)",
			    s);
	return 0;
}

bool ks_web_is_bcrypt(const char *h)
{
	static const char b64[] =
		"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	int cost;

	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) ||
	    h[3] != '$' || h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return false;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return false;
	for (int i = 7; i < 60; i++)
		if (!strchr(b64, h[i]))
			return false;
	return true;
}

static int user_pair(yaml_document_t *d, const char *key, yaml_node_t *k, yaml_node_t *v,
		     struct ks_webcfg *c, const char *dir, char *err, size_t errlen)
{
	struct ks_web_user *u;
	const char *h;

	(void)d;
	(void)dir;
	if (!*key || strchr(key, ':'))
		return fail(err, errlen, line_of(k), "basic_auth_users: invalid user name \"%s\" "
			    "(not empty, no ':')", key);
	if (strlen(key) >= KS_WEB_MAX_CRED / 2)
		return fail(err, errlen, line_of(k), "basic_auth_users: user name too long");
	if (is_null(v))
		return fail(err, errlen, line_of(v), "basic_auth_users: %s has no password hash",
			    key);
	if (scalar(v, key, &h, err, errlen))
		return -1;
	if (!ks_web_is_bcrypt(h))
		return fail(err, errlen, line_of(v), "basic_auth_users: %s: not a bcrypt hash "
			    "($2y$10$ and 53 characters; htpasswd -nBC 10 USER makes one)", key);
	if (c->nusers == KS_WEB_MAX_USERS)
		return fail(err, errlen, line_of(k), "basic_auth_users: more than %d users",
			    KS_WEB_MAX_USERS);
	u = realloc(c->users, (c->nusers + 1) * sizeof(*u));
	if (!u)
		return fail(err, errlen, 0, "out of memory");
	c->users = u;
	u[c->nusers].name = strdup(key);
	u[c->nusers].hash = strdup(h);
	c->nusers++;
	if (!u[c->nusers - 1].name || !u[c->nusers - 1].hash)
		return fail(err, errlen, 0, "out of memory");
	return 0;
}

static int top_pair(yaml_document_t *d, const char *key, yaml_node_t *k, yaml_node_t *v,
		    struct ks_webcfg *c, const char *dir, char *err, size_t errlen)
{
	if (!strcmp(key, "tls_server_config")) {
		if (is_null(v))
			return 0;
		c->tls = true;
		return each_pair(d, v, key, tls_pair, c, dir, err, errlen);
	}
	if (!strcmp(key, "basic_auth_users")) {
		if (is_null(v))
			return 0;
		return each_pair(d, v, key, user_pair, c, dir, err, errlen);
	}
	return key_error("", key, line_of(k), err, errlen);
}

int ks_webcfg_parse(const char *text, size_t len, const char *dir, struct ks_webcfg *c,
		    char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_document_t d;
	yaml_node_t *root;
	int r = -1;

	memset(c, 0, sizeof(*c));
	c->min_version = 0x0303;
	if (memchr(text, 0, len))
		return fail(err, errlen, 0, "a NUL byte in the file");
	if (!yaml_parser_initialize(&p))
		return fail(err, errlen, 0, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &d)) {
		fail(err, errlen, (int)p.problem_mark.line + 1, "invalid YAML: %s%s%s",
		     p.problem ? p.problem : "error", p.context ? " " : "",
		     p.context ? p.context : "");
		yaml_parser_delete(&p);
		return -1;
	}
	root = yaml_document_get_root_node(&d);
	/* an empty file: neither TLS nor authentication, as exporter-toolkit */
	if (!root || is_null(root)) {
		r = 0;
		goto out;
	}
	if (each_pair(&d, root, "the file", top_pair, c, dir, err, errlen))
		goto out;
	if (c->tls) {
		if (!c->cert_file || !*c->cert_file) {
			fail(err, errlen, 0, "tls_server_config: cert_file is required");
			goto out;
		}
		if (!c->key_file || !*c->key_file) {
			fail(err, errlen, 0, "tls_server_config: key_file is required");
			goto out;
		}
		if (c->client_auth == KS_WEB_REQUIRE_VERIFY &&
		    (!c->client_ca_file || !*c->client_ca_file)) {
			fail(err, errlen, 0, "tls_server_config: client_ca_file is required with "
			     "client_auth_type RequireAndVerifyClientCert");
			goto out;
		}
		if (c->client_ca_file && *c->client_ca_file &&
		    c->client_auth != KS_WEB_REQUIRE_VERIFY) {
			fail(err, errlen, c->ca_line, "client_ca_file is given: client_auth_type "
			     "must be RequireAndVerifyClientCert");
			goto out;
		}
	} else if (c->cert_file || c->key_file || c->client_ca_file) {
		fail(err, errlen, 0, "tls_server_config: cert_file and key_file are required");
		goto out;
	}
	r = 0;
out:
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	if (r)
		ks_webcfg_free(c);
	return r;
}

void ks_webcfg_free(struct ks_webcfg *c)
{
	for (size_t i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		if (c->users[i].hash)
			explicit_bzero(c->users[i].hash, strlen(c->users[i].hash));
		free(c->users[i].hash);
	}
	free(c->users);
	free(c->cert_file);
	free(c->key_file);
	free(c->client_ca_file);
	memset(c, 0, sizeof(*c));
}

/* ---- Authorization: Basic ---------------------------------------------------- */

static int b64_val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int ks_web_basic_decode(const char *auth, size_t len, char *out, size_t outlen,
			const char **user, const char **pass)
{
	size_t i = 0, n = 0, pad = 0;
	unsigned acc = 0;
	int bits = 0;
	char *colon;

	if (!auth || len < 6 || strncasecmp(auth, "basic", 5) || (auth[5] != ' ' && auth[5] != '\t'))
		return -1;
	for (i = 5; i < len && (auth[i] == ' ' || auth[i] == '\t'); i++)
		;
	/* trailing padding: at most 2 '=' (the parser trimmed trailing spaces) */
	while (len > i && auth[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if (i == len || (pad && (len - i + pad) % 4) || (len - i) % 4 == 1)
		return -1;
	for (; i < len; i++) {
		int v = b64_val(auth[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= outlen)
				return -1;
			out[n++] = (acc >> bits) & 0xff;
		}
	}
	/* leftover bits must be zero (canonical encoding) */
	if (acc & ((1u << bits) - 1))
		return -1;
	out[n] = '\0';
	if (memchr(out, 0, n))
		return -1;
	colon = memchr(out, ':', n);
	if (!colon)
		return -1;
	*colon = '\0';
	*user = out;
	*pass = colon + 1;
	return 0;
}

/* ---- the cache ----------------------------------------------------------------- */

static void cache_key(const struct ks_web_cache *c, const char *user, const char *pass,
		      const char *hash, unsigned char out[32])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned int n = 32;

	memset(out, 0, 32);
	if (!m)
		return;
	/* "user:password:hash", lengths first so that no two triples run together */
	size_t lens[3] = { strlen(user), strlen(pass), strlen(hash) };

	if (EVP_DigestInit_ex(m, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(m, c->salt, sizeof(c->salt)) != 1 ||
	    EVP_DigestUpdate(m, lens, sizeof(lens)) != 1 ||
	    EVP_DigestUpdate(m, user, lens[0]) != 1 || EVP_DigestUpdate(m, ":", 1) != 1 ||
	    EVP_DigestUpdate(m, pass, lens[1]) != 1 || EVP_DigestUpdate(m, ":", 1) != 1 ||
	    EVP_DigestUpdate(m, hash, lens[2]) != 1 || EVP_DigestFinal_ex(m, out, &n) != 1)
		memset(out, 0, 32);
	EVP_MD_CTX_free(m);
}

void ks_web_cache_init(struct ks_web_cache *c)
{
	memset(c, 0, sizeof(*c));
	/* a per-process salt: the digests in memory are no dictionary lookup */
	if (RAND_bytes(c->salt, sizeof(c->salt)) != 1 &&
	    getrandom(c->salt, sizeof(c->salt), GRND_NONBLOCK) != (ssize_t)sizeof(c->salt))
		memset(c->salt, 0x5a, sizeof(c->salt));
}

bool ks_web_cache_has(const struct ks_web_cache *c, const char *user, const char *pass,
		      const char *hash)
{
	unsigned char k[32];
	bool hit = false;

	cache_key(c, user, pass, hash, k);
	for (unsigned i = 0; i < KS_WEB_CACHE; i++)
		if (c->used[i] && !CRYPTO_memcmp(c->key[i], k, sizeof(k)))
			hit = true;
	return hit;
}

void ks_web_cache_add(struct ks_web_cache *c, const char *user, const char *pass,
		      const char *hash)
{
	unsigned char k[32];

	cache_key(c, user, pass, hash, k);
	for (unsigned i = 0; i < KS_WEB_CACHE; i++)
		if (c->used[i] && !memcmp(c->key[i], k, sizeof(k)))
			return;
	memcpy(c->key[c->next], k, sizeof(k));
	c->used[c->next] = true;
	c->next = (c->next + 1) % KS_WEB_CACHE;
}

/* ---- the config in use ------------------------------------------------------- */

/* What a file looked like: a change of any of these re-reads the config */
struct file_sig {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

enum { SIG_CONFIG, SIG_CERT, SIG_KEY, SIG_CA, NSIG };

struct ks_web {
	char *path, *dir;
	struct ks_webcfg cfg;
	SSL_CTX *ctx;
	struct ks_web_cache cache;
	struct crypt_data *cd;
	struct file_sig sig[NSIG];
	uint64_t next_check;
};

static void file_sig(const char *path, struct file_sig *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (!path || stat(path, &st))
		return;
	s->exists = true;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
	s->ctime = st.st_ctim;
}

static bool sig_eq(const struct file_sig *a, const struct file_sig *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static void sigs_of(const char *path, const struct ks_webcfg *c, struct file_sig sig[NSIG])
{
	file_sig(path, &sig[SIG_CONFIG]);
	file_sig(c->tls ? c->cert_file : NULL, &sig[SIG_CERT]);
	file_sig(c->tls ? c->key_file : NULL, &sig[SIG_KEY]);
	file_sig(c->tls && c->client_auth == KS_WEB_REQUIRE_VERIFY ? c->client_ca_file : NULL,
		 &sig[SIG_CA]);
}

/* OpenSSL's reasons for the last failure, the root cause first (its queue emptied) */
static const char *ssl_reason(void)
{
	static char buf[256];
	unsigned long e;
	size_t n = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error())) {
		const char *r = ERR_reason_error_string(e);
		char num[32];

		if (!r) {
			snprintf(num, sizeof(num), "error %lx", e);
			r = num;
		}
		/* "no start line, PEM lib": each once */
		if (strstr(buf, r) || n >= sizeof(buf) - 1)
			continue;
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? ", " : "", r);
		if (n >= sizeof(buf))
			n = sizeof(buf) - 1;
	}
	return buf[0] ? buf : "unknown error";
}

/* The file can be read (a clearer error than OpenSSL's for the common cases) */
static int readable(const char *what, const char *path, int line, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail(err, errlen, line, "%s %s: %s", what, path, strerror(errno));
	close(fd);
	return 0;
}

/* Never ask for a key's passphrase on the terminal: an encrypted key fails */
static int no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return 0;
}

static SSL_CTX *tls_ctx(const struct ks_webcfg *c, char *err, size_t errlen)
{
	SSL_CTX *x;

	if (readable("cert_file", c->cert_file, c->cert_line, err, errlen) ||
	    readable("key_file", c->key_file, c->key_line, err, errlen) ||
	    (c->client_auth == KS_WEB_REQUIRE_VERIFY &&
	     readable("client_ca_file", c->client_ca_file, c->ca_line, err, errlen)))
		return NULL;
	ERR_clear_error();
	x = SSL_CTX_new(TLS_server_method());
	if (!x) {
		fail(err, errlen, 0, "cannot create a TLS context: %s", ssl_reason());
		return NULL;
	}
	SSL_CTX_set_default_passwd_cb(x, no_passphrase);
	SSL_CTX_set_min_proto_version(x, c->min_version);
	SSL_CTX_set_options(x, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
			       SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* writes resume with the same buffer; idle connections give back their buffers */
	SSL_CTX_set_mode(x, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
			    SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(x, c->cert_file) != 1) {
		fail(err, errlen, c->cert_line, "cert_file %s: %s", c->cert_file, ssl_reason());
		goto bad;
	}
	if (SSL_CTX_use_PrivateKey_file(x, c->key_file, SSL_FILETYPE_PEM) != 1) {
		fail(err, errlen, c->key_line, "key_file %s: %s", c->key_file, ssl_reason());
		goto bad;
	}
	if (SSL_CTX_check_private_key(x) != 1) {
		fail(err, errlen, c->key_line, "key_file %s does not match cert_file %s",
		     c->key_file, c->cert_file);
		goto bad;
	}
	if (c->client_auth == KS_WEB_REQUIRE_VERIFY) {
		STACK_OF(X509_NAME) *names;

		if (SSL_CTX_load_verify_locations(x, c->client_ca_file, NULL) != 1) {
			fail(err, errlen, c->ca_line, "client_ca_file %s: %s", c->client_ca_file,
			     ssl_reason());
			goto bad;
		}
		names = SSL_load_client_CA_file(c->client_ca_file);
		if (!names) {
			fail(err, errlen, c->ca_line, "client_ca_file %s: no certificate in it",
			     c->client_ca_file);
			goto bad;
		}
		SSL_CTX_set_client_CA_list(x, names);
		SSL_CTX_set_verify(x, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	ERR_clear_error();
	return x;
bad:
	SSL_CTX_free(x);
	ERR_clear_error();
	return NULL;
}

/* Reads, parses and checks path: its config and TLS context, or -1 with err */
static int load(const char *path, const char *dir, struct ks_webcfg *c, SSL_CTX **ctx,
		char *err, size_t errlen)
{
	char *text;
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*ctx = NULL;
	if (fd < 0)
		return fail(err, errlen, 0, "%s", strerror(errno));
	text = malloc(KS_WEB_MAX_FILE + 1);
	if (!text) {
		close(fd);
		return fail(err, errlen, 0, "out of memory");
	}
	while (len <= KS_WEB_MAX_FILE &&
	       (n = read(fd, text + len, KS_WEB_MAX_FILE + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail(err, errlen, 0, "%s", strerror(errno));
			close(fd);
			free(text);
			return -1;
		}
		len += n;
	}
	close(fd);
	if (len > KS_WEB_MAX_FILE) {
		free(text);
		return fail(err, errlen, 0, "larger than %u bytes", KS_WEB_MAX_FILE);
	}
	n = ks_webcfg_parse(text, len, dir, c, err, errlen);
	explicit_bzero(text, len);
	free(text);
	if (n)
		return -1;
	if (c->tls) {
		*ctx = tls_ctx(c, err, errlen);
		if (!*ctx) {
			ks_webcfg_free(c);
			return -1;
		}
	}
	return 0;
}

struct ks_web *ks_web_load(const char *path, char *err, size_t errlen)
{
	struct ks_web *w = calloc(1, sizeof(*w));
	char *slash;

	if (!w) {
		fail(err, errlen, 0, "out of memory");
		return NULL;
	}
	/* no openssl.cnf: the same behaviour on every host */
	OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	w->path = strdup(path);
	w->dir = strdup(path);
	w->cd = calloc(1, sizeof(*w->cd));
	if (!w->path || !w->dir || !w->cd) {
		fail(err, errlen, 0, "out of memory");
		goto bad;
	}
	/* relative file names in it are relative to its directory, as exporter-toolkit's */
	slash = strrchr(w->dir, '/');
	if (slash)
		*(slash == w->dir ? slash + 1 : slash) = '\0';
	else
		w->dir[0] = '\0';
	ks_web_cache_init(&w->cache);
	file_sig(path, &w->sig[SIG_CONFIG]);
	if (load(path, w->dir, &w->cfg, &w->ctx, err, errlen))
		goto bad;
	sigs_of(path, &w->cfg, w->sig);
	return w;
bad:
	ks_web_free(w);
	return NULL;
}

void ks_web_free(struct ks_web *w)
{
	if (!w)
		return;
	ks_webcfg_free(&w->cfg);
	SSL_CTX_free(w->ctx);
	if (w->cd)
		explicit_bzero(w->cd, sizeof(*w->cd));
	free(w->cd);
	explicit_bzero(&w->cache, sizeof(w->cache));
	free(w->path);
	free(w->dir);
	free(w);
}

void ks_web_refresh(struct ks_web *w, uint64_t now)
{
	struct file_sig sig[NSIG];
	struct ks_webcfg c;
	SSL_CTX *ctx;
	char err[512];

	if (!w || now < w->next_check)
		return;
	w->next_check = now + 1000;
	sigs_of(w->path, &w->cfg, sig);
	if (sig_eq(&sig[SIG_CONFIG], &w->sig[SIG_CONFIG]) &&
	    sig_eq(&sig[SIG_CERT], &w->sig[SIG_CERT]) && sig_eq(&sig[SIG_KEY], &w->sig[SIG_KEY]) &&
	    sig_eq(&sig[SIG_CA], &w->sig[SIG_CA]))
		return;
	/* this version is tried once: a bad one is said once, and kept out */
	memcpy(w->sig, sig, sizeof(sig));
	if (load(w->path, w->dir, &c, &ctx, err, sizeof(err))) {
		fprintf(stderr, "kscope agent: --web.config.file %s: %s (the last good "
			"configuration stays in use)\n", w->path, err);
		return;
	}
	/* TLS cannot be turned on or off under a listening socket: the scheme stays */
	if (c.tls != w->cfg.tls) {
		fprintf(stderr, "kscope agent: --web.config.file %s: tls_server_config %s: "
			"a restart is needed (the last good configuration stays in use)\n",
			w->path, c.tls ? "added" : "removed");
		ks_webcfg_free(&c);
		SSL_CTX_free(ctx);
		return;
	}
	ks_webcfg_free(&w->cfg);
	SSL_CTX_free(w->ctx);	/* connections hold their own reference */
	w->cfg = c;
	w->ctx = ctx;
	sigs_of(w->path, &w->cfg, w->sig);
	fprintf(stderr, "kscope agent: --web.config.file %s: reloaded\n", w->path);
}

void *ks_web_tls(struct ks_web *w)
{
	return w ? w->ctx : NULL;
}

bool ks_web_auth_on(const struct ks_web *w)
{
	return w && w->cfg.nusers;
}

bool ks_web_auth(struct ks_web *w, const char *auth, size_t len)
{
	char buf[KS_WEB_MAX_CRED];
	const char *user, *pass, *hash = NULL, *h;
	bool ok = false;

	if (!ks_web_auth_on(w))
		return true;
	if (!auth || ks_web_basic_decode(auth, len, buf, sizeof(buf), &user, &pass))
		return false;
	for (size_t i = 0; i < w->cfg.nusers; i++)
		if (!strcmp(w->cfg.users[i].name, user))
			hash = w->cfg.users[i].hash;
	if (!hash) {
		/* as long as a wrong password: the time does not say who exists */
		crypt_r(pass, w->cfg.users[0].hash, w->cd);
		goto out;
	}
	if (ks_web_cache_has(&w->cache, user, pass, hash)) {
		ok = true;
		goto out;
	}
	/* bcrypt: tens of ms by design; a success is cached, a failure never */
	h = crypt_r(pass, hash, w->cd);
	ok = h && strlen(h) == strlen(hash) && !CRYPTO_memcmp(h, hash, strlen(hash));
	if (ok)
		ks_web_cache_add(&w->cache, user, pass, hash);
out:
	explicit_bzero(buf, sizeof(buf));
	return ok;
}

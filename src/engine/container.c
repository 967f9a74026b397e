// SPDX-License-Identifier: GPL-2.0
/* Container and pod identity from a cgroup path (see container.h) */
#include <stdbool.h>
#include <string.h>

#include "container.h"
#include "util.h"

/* One component of the path: not NUL-terminated, n bytes from s */
struct comp {
	const char *s;
	size_t n;
};

static bool comp_is(struct comp c, const char *lit)
{
	size_t n = strlen(lit);

	return c.n == n && !memcmp(c.s, lit, n);
}

static bool comp_ends(struct comp c, const char *suffix)
{
	size_t n = strlen(suffix);

	return c.n >= n && !memcmp(c.s + c.n - n, suffix, n);
}

/* Drop suffix from the end of *c if it is there */
static bool comp_strip(struct comp *c, const char *suffix)
{
	if (!comp_ends(*c, suffix))
		return false;
	c->n -= strlen(suffix);
	return true;
}

/* Lowercase only: every runtime and the API print ids so; "ABC" is not a spelling of "abc" */
static bool lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool is_id(const char *s, size_t n)
{
	return n == KS_CTR_ID_LEN && lower_hex(s, n);
}

/*
 * A pod uid as its cgroup name spells it into uid[KS_POD_UID_LEN + 1]: a
 * UUID, whose dashes the systemd driver writes as '_' (a '-' in a slice
 * name is a level of the hierarchy), or the 32 hex a static pod gets.
 */
static bool pod_uid(const char *s, size_t n, char sep, char *uid)
{
	if (n == 32 && lower_hex(s, n)) {
		memcpy(uid, s, n);
		uid[n] = '\0';
		return true;
	}
	if (n != KS_POD_UID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != sep)
				return false;
			uid[i] = '-';
		} else {
			if (!lower_hex(s + i, 1))
				return false;
			uid[i] = s[i];
		}
	}
	uid[n] = '\0';
	return true;
}

/*
 * "kubepods", or a --cgroup-root's "ROOT-kubepods", then "-burstable" or
 * "-besteffort" or nothing: the slice prefix of a pod's slice.
 */
static bool kubepods_prefix(struct comp p, enum ks_ctr_qos *qos)
{
	*qos = KS_QOS_GUARANTEED;
	if (comp_strip(&p, "-burstable"))
		*qos = KS_QOS_BURSTABLE;
	else if (comp_strip(&p, "-besteffort"))
		*qos = KS_QOS_BESTEFFORT;
	return comp_is(p, "kubepods") || (p.n > 9 && comp_ends(p, "-kubepods"));
}

/* The systemd driver's KUBEPODS[-QOS]-podUID.slice */
static bool pod_slice(struct comp c, char *uid, enum ks_ctr_qos *qos)
{
	size_t dash;

	if (!comp_strip(&c, ".slice"))
		return false;
	/* the uid has no '-' here: the last one starts "pod" */
	for (dash = c.n; dash > 0 && c.s[dash - 1] != '-'; dash--)
		;
	if (!dash || c.n - dash < 3 || memcmp(c.s + dash, "pod", 3))
		return false;
	if (!pod_uid(c.s + dash + 3, c.n - dash - 3, '_', uid))
		return false;
	return kubepods_prefix((struct comp){ c.s, dash - 1 }, qos);
}

/* The cgroupfs driver's kubepods/podUID (Guaranteed) and kubepods/QOS/podUID */
static bool pod_dir(struct comp c, struct comp prev, struct comp prev2, char *uid,
		    enum ks_ctr_qos *qos)
{
	if (c.n < 3 || memcmp(c.s, "pod", 3) || !pod_uid(c.s + 3, c.n - 3, '-', uid))
		return false;
	if (comp_is(prev, "kubepods")) {
		*qos = KS_QOS_GUARANTEED;
		return true;
	}
	if (!comp_is(prev2, "kubepods"))
		return false;
	if (comp_is(prev, "burstable"))
		*qos = KS_QOS_BURSTABLE;
	else if (comp_is(prev, "besteffort"))
		*qos = KS_QOS_BESTEFFORT;
	else
		return false;
	return true;
}

/*
 * PREFIX-ID.scope (a runtime's transient systemd unit, from runc's and
 * crun's "slice:PREFIX:ID" cgroupsPath) and PREFIX-ID (a runtime writing
 * cgroupfs itself), each only where its runtime makes it: a name that
 * merely resembles one ("docker-ID" alone) is somebody else's.
 */
static const struct {
	const char *prefix;
	enum ks_ctr_runtime runtime;
	bool monitor;
	bool scope, bare;
} named[] = {
	{ "docker",         KS_CTR_DOCKER,     false, true,  false },
	{ "cri-containerd", KS_CTR_CONTAINERD, false, true,  false },
	{ "nerdctl",        KS_CTR_CONTAINERD, false, true,  false },
	{ "crio",           KS_CTR_CRIO,       false, true,  true },   /* cgroupfs; dropped infra */
	{ "crio-conmon",    KS_CTR_CRIO,       true,  true,  true },   /* conmon_cgroup = "pod" */
	{ "libpod",         KS_CTR_PODMAN,     false, true,  true },   /* cgroupfs: libpod_parent */
	{ "libpod-conmon",  KS_CTR_PODMAN,     true,  true,  false },
	{ "libpod-payload", KS_CTR_PODMAN,     false, false, true },   /* --cgroups=split */
};

/* The id in a named container cgroup, or NULL */
static const char *named_ctr(struct comp c, enum ks_ctr_runtime *rt, bool *monitor)
{
	bool scope = comp_strip(&c, ".scope");
	struct comp prefix;
	const char *id;

	if (c.n < KS_CTR_ID_LEN + 2)
		return NULL;
	id = c.s + c.n - KS_CTR_ID_LEN;
	if (id[-1] != '-' || !is_id(id, KS_CTR_ID_LEN))
		return NULL;
	prefix = (struct comp){ c.s, c.n - KS_CTR_ID_LEN - 1 };
	for (size_t i = 0; i < ARRAY_SIZE(named); i++) {
		if (!comp_is(prefix, named[i].prefix) || !(scope ? named[i].scope : named[i].bare))
			continue;
		*rt = named[i].runtime;
		*monitor = named[i].monitor;
		return id;
	}
	return NULL;
}

/*
 * A bare ID: a container only below the cgroup its runtime puts them in,
 * since a 64-hex name alone says nothing about who made it (podman's
 * cgroupfs pods are 64-hex directories too).
 */
static const char *bare_ctr(struct comp c, struct comp prev, bool prev_pod,
			    enum ks_ctr_runtime *rt)
{
	if (!is_id(c.s, c.n))
		return NULL;
	if (comp_is(prev, "docker"))
		*rt = KS_CTR_DOCKER;
	else if (prev_pod || comp_is(prev, "default") || comp_is(prev, "k8s.io"))
		*rt = KS_CTR_CONTAINERD;
	else
		return NULL;
	return c.s;
}

/* podman's cgroupfs conmon: CGROUP_PARENT/conmon, a pod's PARENT/PODID/conmon */
static bool podman_conmon(struct comp c, struct comp prev, struct comp prev2)
{
	return comp_is(c, "conmon") &&
	       (comp_is(prev, "libpod_parent") ||
		(is_id(prev.s, prev.n) && comp_is(prev2, "libpod_parent")));
}

int ks_container_parse(const char *path, size_t len, struct ks_container *c)
{
	struct comp cur, prev = { "", 0 }, prev2 = { "", 0 };
	char uid[KS_POD_UID_LEN + 1];
	const char *id;
	enum ks_ctr_runtime rt;
	enum ks_ctr_qos qos;
	bool prev_pod = false, monitor;
	size_t n = 0, end;

	if (!c)
		return -1;
	memset(c, 0, sizeof(*c));
	if (!path)
		return -1;
	/* by hand: strnlen() and memchr() may read whole words past len */
	while (n < len && path[n])
		n++;
	if (!n || path[0] != '/')
		return -1;

	for (size_t i = 1; i <= n; i = end + 1) {
		bool is_pod = false;

		for (end = i; end < n && path[end] != '/'; end++)
			;
		cur = (struct comp){ path + i, end - i };
		monitor = false;
		if (pod_slice(cur, uid, &qos) || pod_dir(cur, prev, prev2, uid, &qos)) {
			/* a pod below a container (kind) starts the identity afresh */
			memset(c, 0, sizeof(*c));
			memcpy(c->pod_uid, uid, strlen(uid) + 1);
			c->qos = qos;
			is_pod = true;
		} else if ((id = named_ctr(cur, &rt, &monitor)) ||
			   (id = bare_ctr(cur, prev, prev_pod, &rt))) {
			/* the innermost container wins; the pod stays the outer one */
			c->runtime = rt;
			c->monitor = monitor;
			memcpy(c->id, id, KS_CTR_ID_LEN);
			c->id[KS_CTR_ID_LEN] = '\0';
		} else if (podman_conmon(cur, prev, prev2)) {
			c->runtime = KS_CTR_PODMAN;
			c->monitor = true;
			c->id[0] = '\0';
		}
		/* anything else below a container (crun's "container" leaf) stays in it */
		prev2 = prev;
		prev = cur;
		prev_pod = is_pod;
	}
	if (!c->id[0] && !c->pod_uid[0] && !c->monitor) {
		memset(c, 0, sizeof(*c));
		return -1;
	}
	return 0;
}

const char *ks_ctr_runtime_name(enum ks_ctr_runtime r)
{
	switch (r) {
	case KS_CTR_DOCKER:
		return "docker";
	case KS_CTR_CONTAINERD:
		return "containerd";
	case KS_CTR_CRIO:
		return "cri-o";
	case KS_CTR_PODMAN:
		return "podman";
	default:
		return NULL;
	}
}

const char *ks_ctr_qos_name(enum ks_ctr_qos q)
{
	switch (q) {
	case KS_QOS_GUARANTEED:
		return "guaranteed";
	case KS_QOS_BURSTABLE:
		return "burstable";
	case KS_QOS_BESTEFFORT:
		return "besteffort";
	default:
		return NULL;
	}
}

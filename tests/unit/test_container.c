// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for src/engine/container.c: one cgroup path per layout that
 * docker, containerd (CRI, ctr, nerdctl), cri-o, podman and the kubelet
 * make, with the container and pod it must resolve to; the host's own
 * cgroups and near misses, which must resolve to nothing; and paths cut
 * short, long or malformed. Every path is also parsed from the very end of
 * a page followed by an inaccessible one, so a read past len faults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/container.h"
#include "engine/util.h"

/* Container ids (64 hex, as runtimes generate them) and pod uids, in both spellings */
#define ID1 "11207c4e67c149b79f5299bb186a5309b60a81a5a2146c773aa62abd1cf6af3e"
#define ID2 "9c926cf853282a5be9b99492761ede787b89686e93734abc3ffccf9b3e86a67a"
#define ID3 "323b98162afe6c33bd5e9b843c78565c01e8834eedcd6ba53946f003076e73a6"
#define PODID "8b99b7f1deef543ac406a4e002c379297d1b34c9525c3d8a56bb57d9a5fb8a18"
#define ID1_UPPER "11207C4E67C149B79F5299BB186A5309B60A81A5A2146C773AA62ABD1CF6AF3E"
#define ID1_63 "11207c4e67c149b79f5299bb186a5309b60a81a5a2146c773aa62abd1cf6af3"
#define UID1 "cf908734-2b90-42db-999a-7b71e7ba506a"
#define UID1_ "cf908734_2b90_42db_999a_7b71e7ba506a"	/* as a systemd slice spells it */
#define UID2 "7b46aeed-a875-48da-b7f9-5aa3ddc7a8e3"
#define UID2_ "7b46aeed_a875_48da_b7f9_5aa3ddc7a8e3"
#define UID3 "e625ec3a-c157-40cf-8356-59b23f79a137"
#define UID3_ "e625ec3a_c157_40cf_8356_59b23f79a137"
#define STATIC_UID "fdccdc947ac22a82509a05d9f73bdf21"	/* a static pod's: MD5 of its manifest */

#define KUBE_BU "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
#define KUBE_BE "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
#define KUBE_G "/kubepods.slice/kubepods-pod"
#define KIND_BE "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/" \
	"kubelet-kubepods-besteffort-pod"
#define ROOTLESS "/user.slice/user-1000.slice/user@1000.service"

struct ctr_case {
	const char *what;
	const char *path;
	int ret;
	enum ks_ctr_runtime runtime;
	const char *id;
	const char *pod_uid;
	enum ks_ctr_qos qos;
	bool monitor;
};

#define NONE KS_CTR_NONE
#define DOCKER KS_CTR_DOCKER
#define CTRD KS_CTR_CONTAINERD
#define CRIO KS_CTR_CRIO
#define PODMAN KS_CTR_PODMAN
#define NOQOS KS_QOS_NONE
#define GUAR KS_QOS_GUARANTEED
#define BURST KS_QOS_BURSTABLE
#define BEST KS_QOS_BESTEFFORT

/* A container, a pod, or nothing (the host, garbage) */
#define CTR(w, p, rt, id, uid, qos, mon) { w, p, 0, rt, id, uid, qos, mon }
#define HOST(w, p) { w, p, -1, NONE, "", "", NOQOS, false }

static const struct ctr_case cases[] = {
	/* ---- docker ---- */
	CTR("docker, cgroupfs", "/docker/" ID1, DOCKER, ID1, "", NOQOS, false),
	CTR("docker, systemd", "/system.slice/docker-" ID1 ".scope", DOCKER, ID1, "", NOQOS, false),
	CTR("docker, rootless systemd", ROOTLESS "/user.slice/docker-" ID1 ".scope",
	    DOCKER, ID1, "", NOQOS, false),
	CTR("docker, cgroup-parent slice", "/ci.slice/ci-jobs.slice/docker-" ID2 ".scope",
	    DOCKER, ID2, "", NOQOS, false),
	CTR("docker in docker, cgroupfs", "/docker/" ID1 "/docker/" ID2,
	    DOCKER, ID2, "", NOQOS, false),
	CTR("docker, systemd inside the container", "/system.slice/docker-" ID1 ".scope/init.scope",
	    DOCKER, ID1, "", NOQOS, false),
	CTR("docker via dockershim/cri-dockerd, systemd, guaranteed",
	    KUBE_G UID1_ ".slice/docker-" ID1 ".scope", DOCKER, ID1, UID1, GUAR, false),

	/* ---- containerd through the CRI ---- */
	CTR("containerd, systemd, burstable",
	    KUBE_BU UID1_ ".slice/cri-containerd-" ID1 ".scope", CTRD, ID1, UID1, BURST, false),
	CTR("containerd, systemd, besteffort",
	    KUBE_BE UID2_ ".slice/cri-containerd-" ID2 ".scope", CTRD, ID2, UID2, BEST, false),
	CTR("containerd, systemd, guaranteed",
	    KUBE_G UID3_ ".slice/cri-containerd-" ID3 ".scope", CTRD, ID3, UID3, GUAR, false),
	CTR("containerd, cgroupfs, burstable", "/kubepods/burstable/pod" UID1 "/" ID1,
	    CTRD, ID1, UID1, BURST, false),
	CTR("containerd, cgroupfs, besteffort", "/kubepods/besteffort/pod" UID2 "/" ID2,
	    CTRD, ID2, UID2, BEST, false),
	CTR("containerd, cgroupfs, guaranteed", "/kubepods/pod" UID3 "/" ID3,
	    CTRD, ID3, UID3, GUAR, false),
	CTR("containerd, cgroupfs, --cgroup-root=/kubelet",
	    "/kubelet/kubepods/burstable/pod" UID1 "/" ID1, CTRD, ID1, UID1, BURST, false),
	CTR("static pod (md5 uid), systemd",
	    KUBE_BU STATIC_UID ".slice/cri-containerd-" ID1 ".scope",
	    CTRD, ID1, STATIC_UID, BURST, false),
	CTR("static pod (md5 uid), cgroupfs", "/kubepods/burstable/pod" STATIC_UID "/" ID1,
	    CTRD, ID1, STATIC_UID, BURST, false),
	CTR("kind node: --cgroup-root=/kubelet, systemd",
	    KIND_BE UID1_ ".slice/cri-containerd-" ID1 ".scope", CTRD, ID1, UID1, BEST, false),
	CTR("kind node inside docker (the path is longer than 200 bytes)",
	    "/system.slice/docker-" ID3 ".scope" KIND_BE UID2_ ".slice/cri-containerd-" ID2
	    ".scope", CTRD, ID2, UID2, BEST, false),
	CTR("rootless containerd CRI, user slice",
	    ROOTLESS "/user.slice/cri-containerd-" ID1 ".scope", CTRD, ID1, "", NOQOS, false),

	/* ---- containerd without the CRI: ctr, nerdctl ---- */
	CTR("ctr/nerdctl, cgroupfs: /NAMESPACE/ID", "/default/" ID1, CTRD, ID1, "", NOQOS, false),
	CTR("nerdctl -n k8s.io, cgroupfs", "/k8s.io/" ID2, CTRD, ID2, "", NOQOS, false),
	CTR("nerdctl, systemd", "/system.slice/nerdctl-" ID1 ".scope", CTRD, ID1, "", NOQOS, false),
	CTR("nerdctl, rootless systemd", ROOTLESS "/user.slice/nerdctl-" ID2 ".scope",
	    CTRD, ID2, "", NOQOS, false),

	/* ---- cri-o ---- */
	CTR("cri-o, systemd", KUBE_BU UID1_ ".slice/crio-" ID1 ".scope",
	    CRIO, ID1, UID1, BURST, false),
	CTR("cri-o, systemd, crun's container leaf",
	    KUBE_BE UID2_ ".slice/crio-" ID2 ".scope/container", CRIO, ID2, UID2, BEST, false),
	CTR("cri-o, cgroupfs", "/kubepods/besteffort/pod" UID2 "/crio-" ID2,
	    CRIO, ID2, UID2, BEST, false),
	CTR("cri-o, systemd, a dropped infra container's cgroup",
	    KUBE_G UID3_ ".slice/crio-" ID3, CRIO, ID3, UID3, GUAR, false),
	CTR("cri-o, cgroupfs, no parent given: /crio", "/crio/crio-" ID1,
	    CRIO, ID1, "", NOQOS, false),
	CTR("cri-o conmon, systemd, in the pod", KUBE_BU UID1_ ".slice/crio-conmon-" ID1 ".scope",
	    CRIO, ID1, UID1, BURST, true),
	CTR("cri-o conmon, systemd, conmon_cgroup = system.slice",
	    "/system.slice/crio-conmon-" ID1 ".scope", CRIO, ID1, "", NOQOS, true),
	CTR("cri-o conmon, cgroupfs", "/kubepods/burstable/pod" UID1 "/crio-conmon-" ID1,
	    CRIO, ID1, UID1, BURST, true),
	CTR("minikube: cri-o node inside docker, cgroupfs outside",
	    "/docker/" ID3 KUBE_BE UID2_ ".slice/crio-" ID2 ".scope", CRIO, ID2, UID2, BEST, false),

	/* ---- podman ---- */
	CTR("podman, rootful systemd", "/machine.slice/libpod-" ID1 ".scope",
	    PODMAN, ID1, "", NOQOS, false),
	CTR("podman, crun's container leaf", "/machine.slice/libpod-" ID1 ".scope/container",
	    PODMAN, ID1, "", NOQOS, false),
	CTR("podman, rootless systemd", ROOTLESS "/user.slice/libpod-" ID2 ".scope",
	    PODMAN, ID2, "", NOQOS, false),
	CTR("podman, rootless, crun's leaf", ROOTLESS "/user.slice/libpod-" ID2 ".scope/container",
	    PODMAN, ID2, "", NOQOS, false),
	CTR("podman, cgroupfs", "/libpod_parent/libpod-" ID3, PODMAN, ID3, "", NOQOS, false),
	CTR("podman pod, systemd", "/machine.slice/machine-libpod_pod_" PODID ".slice/libpod-"
	    ID1 ".scope", PODMAN, ID1, "", NOQOS, false),
	CTR("podman pod, cgroupfs", "/libpod_parent/" PODID "/libpod-" ID1,
	    PODMAN, ID1, "", NOQOS, false),
	CTR("podman --cgroups=split (quadlet)", "/system.slice/nginx.service/libpod-payload-" ID1,
	    PODMAN, ID1, "", NOQOS, false),
	CTR("podman --cgroups=split, rootless quadlet",
	    ROOTLESS "/app.slice/redis.service/libpod-payload-" ID2, PODMAN, ID2, "", NOQOS, false),
	CTR("podman conmon, systemd", "/machine.slice/libpod-conmon-" ID1 ".scope",
	    PODMAN, ID1, "", NOQOS, true),
	CTR("podman conmon, rootless", ROOTLESS "/user.slice/libpod-conmon-" ID2 ".scope",
	    PODMAN, ID2, "", NOQOS, true),
	CTR("podman conmon, cgroupfs: shared, no id", "/libpod_parent/conmon",
	    PODMAN, "", "", NOQOS, true),
	CTR("podman pod's conmon, cgroupfs", "/libpod_parent/" PODID "/conmon",
	    PODMAN, "", "", NOQOS, true),

	/* ---- nested: the innermost container, the outer pod ---- */
	CTR("docker in a pod, cgroupfs", "/kubepods/burstable/pod" UID1 "/" ID1 "/docker/" ID2,
	    DOCKER, ID2, UID1, BURST, false),
	CTR("docker (cgroupfs) in a pod, systemd",
	    KUBE_BU UID1_ ".slice/cri-containerd-" ID1 ".scope/docker/" ID2,
	    DOCKER, ID2, UID1, BURST, false),
	CTR("docker (systemd) in a pod, systemd",
	    KUBE_BE UID2_ ".slice/cri-containerd-" ID1 ".scope/system.slice/docker-" ID3 ".scope",
	    DOCKER, ID3, UID2, BEST, false),
	CTR("a 64-hex group inside a pod's container: still that container",
	    "/kubepods/burstable/pod" UID1 "/" ID1 "/" ID2, CTRD, ID1, UID1, BURST, false),
	CTR("a group named conmon inside a container", "/docker/" ID1 "/conmon",
	    DOCKER, ID1, "", NOQOS, false),
	CTR("podman's cgroupfs conmon in a docker container",
	    "/docker/" ID1 "/libpod_parent/conmon", PODMAN, "", "", NOQOS, true),
	CTR("podman in a cri-o pod", KUBE_G UID3_ ".slice/crio-" ID1 ".scope/container/"
	    "machine.slice/libpod-" ID2 ".scope", PODMAN, ID2, UID3, GUAR, false),

	/* ---- a pod's own cgroup: the pod, no container ---- */
	CTR("pod slice, besteffort", KUBE_BE UID1_ ".slice", NONE, "", UID1, BEST, false),
	CTR("pod slice, burstable", KUBE_BU UID2_ ".slice", NONE, "", UID2, BURST, false),
	CTR("pod slice, guaranteed", KUBE_G UID3_ ".slice", NONE, "", UID3, GUAR, false),
	CTR("pod directory, cgroupfs, burstable", "/kubepods/burstable/pod" UID1,
	    NONE, "", UID1, BURST, false),
	CTR("pod directory, cgroupfs, guaranteed", "/kubepods/pod" UID2,
	    NONE, "", UID2, GUAR, false),
	CTR("a kind node's pod seen from the host", "/system.slice/docker-" ID3 ".scope" KIND_BE
	    UID2_ ".slice", NONE, "", UID2, BEST, false),

	/* ---- the host ---- */
	HOST("the root", "/"),
	HOST("a login session", "/user.slice/user-0.slice/session-3.scope"),
	HOST("a service", "/system.slice/sshd.service"),
	HOST("a hybrid machine's own group", "/process_api/worker-7"),
	HOST("init", "/init.scope"),
	HOST("dockerd", "/system.slice/docker.service"),
	HOST("containerd and its shims", "/system.slice/containerd.service"),
	HOST("cri-o", "/system.slice/crio.service"),
	HOST("the kubelet's root", "/kubepods.slice"),
	HOST("a QoS slice", "/kubepods.slice/kubepods-burstable.slice"),
	HOST("a QoS directory", "/kubepods/besteffort"),
	HOST("a VM", "/machine.slice/machine-qemu\\x2d1\\x2dvm.scope"),
	HOST("a quadlet's conmon: a plain \"runtime\" group",
	     "/system.slice/nginx.service/runtime"),
	HOST("a podman pod's own group, cgroupfs", "/libpod_parent/" PODID),
	HOST("a user manager", ROOTLESS "/init.scope"),

	/* ---- near misses and garbage ---- */
	HOST("empty", ""),
	HOST("relative", "docker/" ID1),
	HOST("relative scope", "system.slice/docker-" ID1 ".scope"),
	HOST("63 hex", "/docker/" ID1_63),
	HOST("65 hex", "/docker/" ID1 "0"),
	HOST("uppercase hex", "/docker/" ID1_UPPER),
	HOST("uppercase hex, scope", "/system.slice/docker-" ID1_UPPER ".scope"),
	HOST("not hex", "/docker/g1207c4e67c149b79f5299bb186a5309b60a81a5a2146c773aa62abd1cf6af3e"),
	HOST("scope with junk after", "/system.slice/docker-" ID1 ".scopeX"),
	HOST("scope truncated", "/system.slice/docker-" ID1 ".scop"),
	HOST("docker's name without .scope", "/system.slice/docker-" ID1),
	HOST("cri-containerd without .scope", "/system.slice/cri-containerd-" ID1),
	HOST("libpod-conmon without .scope", "/machine.slice/libpod-conmon-" ID1),
	HOST("libpod-payload as a scope", "/system.slice/libpod-payload-" ID1 ".scope"),
	HOST("a docker-ID slice", "/system.slice/docker-" ID1 ".slice"),
	HOST("a docker-ID mount unit", "/system.slice/docker-" ID1 ".mount"),
	HOST("underscore for the dash", "/system.slice/docker_" ID1 ".scope"),
	HOST("unknown prefix", "/system.slice/dockerd-" ID1 ".scope"),
	HOST("empty prefix", "/system.slice/-" ID1 ".scope"),
	HOST("only the id as a scope", "/system.slice/" ID1 ".scope"),
	HOST("a bare id at the top", "/" ID1),
	HOST("a bare id under an unknown parent", "/mygroup/" ID1),
	HOST("a bare id under a service", "/system.slice/containerd.service/" ID1),
	HOST("cgroupfs pod uid with '_'", "/kubepods/burstable/pod" UID1_),
	HOST("systemd pod uid with '-'", KUBE_BU UID1 ".slice"),
	HOST("uppercase pod uid", "/kubepods/pod" "CF908734-2B90-42DB-999A-7B71E7BA506A"),
	HOST("pod uid one short", "/kubepods/pod" "cf908734-2b90-42db-999a-7b71e7ba506"),
	HOST("pod uid with the dashes elsewhere",
	     "/kubepods/podcf90873-42b90-42db-999a-7b71e7ba506a"),
	HOST("pod uid 31 hex", "/kubepods/pod" "fdccdc947ac22a82509a05d9f73bdf2"),
	HOST("a pod below no kubepods", "/system.slice/pod" UID1),
	HOST("a pod below a name that ends in kubepods", "/notkubepods/pod" UID1),
	HOST("an unknown QoS", "/kubepods/silver/pod" UID1),
	HOST("a QoS below no kubepods", "/burstable/pod" UID1),
	HOST("a slice prefix that only ends in kubepods", "/xkubepods-pod" UID1_ ".slice"),
	HOST("a slice prefix of only -kubepods", "/-kubepods-pod" UID1_ ".slice"),
	HOST("an unknown QoS slice", "/kubepods.slice/kubepods-silver-pod" UID1_ ".slice"),
	HOST("a pod slice that is not a slice", KUBE_BU UID1_ ".scope"),
	HOST("podman's conmon elsewhere", "/system.slice/conmon"),
	HOST("conmon with a suffix", "/libpod_parent/conmonx"),
};

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

static void check(const struct ctr_case *t, const char *path, size_t len)
{
	struct ks_container c;
	int ret;

	memset(&c, 0x5a, sizeof(c));	/* nothing of what was there survives */
	ret = ks_container_parse(path, len, &c);
	if (ret != t->ret || c.runtime != t->runtime || strcmp(c.id, t->id) ||
	    strcmp(c.pod_uid, t->pod_uid) || c.qos != t->qos || c.monitor != t->monitor)
		fail_msg("%s: \"%s\"\n  got %d %s \"%s\" pod \"%s\" %s%s", t->what, t->path, ret,
			 or_dash(ks_ctr_runtime_name(c.runtime)), c.id, c.pod_uid,
			 or_dash(ks_ctr_qos_name(c.qos)), c.monitor ? " monitor" : "");
}

/*
 * A page whose next page cannot be read: a path copied to its very end,
 * with no NUL after it, faults on any read past len.
 */
static char *guard_page(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	assert_int_equal(mprotect(p + pg, pg, PROT_NONE), 0);
	return p;
}

static void guard_free(char *p)
{
	long pg = sysconf(_SC_PAGESIZE);

	munmap(p, 2 * pg);
}

static const char *at_page_end(char *page, const char *s, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);

	assert_true(n <= (size_t)pg);
	return memcpy(page + pg - n, s, n);
}

static void test_layouts(void **state)
{
	char *page = guard_page();
	bool long_seen = false;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct ctr_case *t = &cases[i];
		size_t n = strlen(t->path);

		check(t, t->path, n);
		check(t, t->path, n + 1);		/* with its NUL */
		check(t, at_page_end(page, t->path, n), n);
		long_seen |= n > 200;
	}
	assert_true(long_seen);
	assert_true(ARRAY_SIZE(cases) >= 25);
	guard_free(page);
}

/* The same, one entry per line as /proc/PID/cgroup shows them on cgroup v1 */
static void test_v1_lines(void **state)
{
	static const char *const lines[] = {
		"12:memory:/kubepods/burstable/pod" UID1 "/" ID1,
		"1:name=systemd:" KUBE_BU UID1_ ".slice/cri-containerd-" ID1 ".scope",
		"0::/kubepods/burstable/pod" UID1 "/" ID1,
	};
	struct ks_container c;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		const char *path = strchr(strchr(lines[i], ':') + 1, ':') + 1;

		assert_int_equal(ks_container_parse(path, strlen(path), &c), 0);
		assert_string_equal(c.id, ID1);
		assert_string_equal(c.pod_uid, UID1);
		assert_int_equal(c.qos, KS_QOS_BURSTABLE);
	}
}

/*
 * len is the path: every prefix of a path is parsed as that prefix alone,
 * from the end of a guarded page, whatever follows it in memory.
 */
static void test_len_cuts(void **state)
{
	static const char outer[] = "/docker/" ID1;
	static const char nested[] = "/docker/" ID1 "/docker/" ID2;
	static const char scope[] = "/system.slice/docker-" ID1 ".scope";
	char *page = guard_page();
	struct ks_container c;

	(void)state;
	/* only the whole id names the container */
	for (size_t n = 0; n <= strlen(outer); n++) {
		int want = n == strlen(outer) ? 0 : -1;

		assert_int_equal(ks_container_parse(outer, n, &c), want);
		assert_int_equal(ks_container_parse(at_page_end(page, outer, n), n, &c), want);
	}
	/* cut inside the inner id: the outer container */
	for (size_t n = strlen(outer); n <= strlen(nested); n++) {
		assert_int_equal(ks_container_parse(at_page_end(page, nested, n), n, &c), 0);
		assert_string_equal(c.id, n == strlen(nested) ? ID2 : ID1);
		assert_int_equal(c.runtime, KS_CTR_DOCKER);
	}
	/* a scope is one only with all of ".scope" */
	for (size_t n = 0; n <= strlen(scope); n++) {
		int want = n == strlen(scope) ? 0 : -1;

		assert_int_equal(ks_container_parse(at_page_end(page, scope, n), n, &c), want);
	}
	/* len short of what follows: the rest is not read */
	assert_int_equal(ks_container_parse(nested, strlen(outer), &c), 0);
	assert_string_equal(c.id, ID1);
	assert_int_equal(ks_container_parse(scope, strlen(scope) - 1, &c), -1);
	/* a NUL before len ends the path */
	assert_int_equal(ks_container_parse(outer, sizeof(outer) + 100, &c), 0);
	assert_string_equal(c.id, ID1);
	{
		char buf[256] = "/docker/" ID1 "\0/docker/" ID2;

		assert_int_equal(ks_container_parse(buf, sizeof(buf), &c), 0);
		assert_string_equal(c.id, ID1);
	}
	guard_free(page);
}

/* Paths far longer than the usual, up to the 4096 bytes of PATH_MAX */
static void test_long_paths(void **state)
{
	char *page = guard_page();
	char buf[4096 + 1];
	struct ks_container c;
	size_t n;

	(void)state;
	/* a container below 4000 bytes of groups that mean nothing */
	n = 0;
	while (n < 4000)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "/group%zu", n);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "/docker/%s", ID1);
	assert_true(n > 4000 && n < sizeof(buf));
	assert_int_equal(ks_container_parse(at_page_end(page, buf, n), n, &c), 0);
	assert_string_equal(c.id, ID1);

	/* a container with 4000 bytes of groups below it */
	n = (size_t)snprintf(buf, sizeof(buf), KUBE_BU "%s.slice/crio-%s.scope", UID1_, ID1);
	for (buf[n++] = '/'; n < 4096; n++)
		buf[n] = n % 7 ? 'x' : '/';
	assert_int_equal(ks_container_parse(at_page_end(page, buf, n), n, &c), 0);
	assert_string_equal(c.id, ID1);
	assert_string_equal(c.pod_uid, UID1);

	/* one component of 4095 bytes; 4096 slashes; 4096 bytes of hex */
	buf[0] = '/';
	memset(buf + 1, 'a', 4095);
	assert_int_equal(ks_container_parse(at_page_end(page, buf, 4096), 4096, &c), -1);
	memset(buf, '/', 4096);
	assert_int_equal(ks_container_parse(at_page_end(page, buf, 4096), 4096, &c), -1);
	for (n = 0; n < 4096; n++)
		buf[n] = n % 65 == 0 ? '/' : "0123456789abcdef"[n % 16];
	assert_int_equal(ks_container_parse(at_page_end(page, buf, 4096), 4096, &c), -1);
	for (n = 0; n < 4096; n++)
		buf[n] = n % 2 ? '-' : '/';
	assert_int_equal(ks_container_parse(at_page_end(page, buf, 4096), 4096, &c), -1);
	guard_free(page);
}

static void test_bad_args(void **state)
{
	struct ks_container c;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(ks_container_parse(NULL, 10, &c), -1);
	assert_int_equal(c.runtime, KS_CTR_NONE);	/* cleared */
	assert_string_equal(c.id, "");
	assert_string_equal(c.pod_uid, "");
	assert_int_equal(ks_container_parse("/docker/" ID1, 72, NULL), -1);
	assert_int_equal(ks_container_parse("/docker/" ID1, 0, &c), -1);
	assert_int_equal(ks_container_parse("/", 1, &c), -1);
	assert_int_equal(ks_container_parse("//", 2, &c), -1);
	assert_int_equal(ks_container_parse("/docker//" ID1, 73, &c), -1);
	assert_int_equal(ks_container_parse("\0/docker/" ID1, 73, &c), -1);
	/* a trailing '/' names the same group */
	assert_int_equal(ks_container_parse("/docker/" ID1 "/", 73, &c), 0);
	assert_string_equal(c.id, ID1);
}

/*
 * Mutations of every layout (bytes changed, dropped, cut): whatever comes
 * back is well formed, and nothing is read past len.
 */
static void test_mutations(void **state)
{
	static const char alphabet[] = "/-_.:0af9gAZ\0\n";
	char *page = guard_page();
	uint64_t rnd = 0x9e3779b97f4a7c15ull;
	char buf[1024];

	(void)state;
	for (unsigned round = 0; round < 200000; round++) {
		const char *src = cases[round % ARRAY_SIZE(cases)].path;
		size_t n = strlen(src);
		struct ks_container c;
		int ret;

		memcpy(buf, src, n);
		for (int k = 0; k < 3 && n; k++) {
			rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
			switch (rnd % 3) {
			case 0:
				buf[rnd / 3 % n] = alphabet[rnd / 7 % (sizeof(alphabet) - 1)];
				break;
			case 1: {
				size_t at = rnd / 3 % n;

				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
				break;
			}
			default:
				n = rnd / 3 % (n + 1);
			}
		}
		ret = ks_container_parse(at_page_end(page, buf, n), n, &c);
		assert_true(ret == 0 || ret == -1);
		assert_true(strlen(c.id) == 0 || strlen(c.id) == KS_CTR_ID_LEN);
		assert_true(strlen(c.pod_uid) == 0 || strlen(c.pod_uid) == 32 ||
			    strlen(c.pod_uid) == KS_POD_UID_LEN);
		assert_true(!c.id[0] || c.runtime != KS_CTR_NONE);
		assert_true(!c.pod_uid[0] == (c.qos == KS_QOS_NONE));
		if (ret) {
			assert_int_equal(c.runtime, KS_CTR_NONE);
			assert_false(c.monitor);
			assert_string_equal(c.pod_uid, "");
		} else {
			assert_true(c.id[0] || c.pod_uid[0] || c.monitor);
		}
	}
	guard_free(page);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ks_ctr_runtime_name(KS_CTR_DOCKER), "docker");
	assert_string_equal(ks_ctr_runtime_name(KS_CTR_CONTAINERD), "containerd");
	assert_string_equal(ks_ctr_runtime_name(KS_CTR_CRIO), "cri-o");
	assert_string_equal(ks_ctr_runtime_name(KS_CTR_PODMAN), "podman");
	assert_null(ks_ctr_runtime_name(KS_CTR_NONE));
	assert_null(ks_ctr_runtime_name((enum ks_ctr_runtime)99));
	assert_string_equal(ks_ctr_qos_name(KS_QOS_GUARANTEED), "guaranteed");
	assert_string_equal(ks_ctr_qos_name(KS_QOS_BURSTABLE), "burstable");
	assert_string_equal(ks_ctr_qos_name(KS_QOS_BESTEFFORT), "besteffort");
	assert_null(ks_ctr_qos_name(KS_QOS_NONE));
	assert_null(ks_ctr_qos_name((enum ks_ctr_qos)-1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_v1_lines),
		cmocka_unit_test(test_len_cuts),
		cmocka_unit_test(test_long_paths),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

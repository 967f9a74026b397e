/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The container a cgroup belongs to, from its path alone: what
 * /proc/PID/cgroup shows after "0::" (or after "N:controller:" on cgroup
 * v1), or ks_cgroup2_path() returns. Container runtimes and the kubelet
 * name their cgroups after the container and the pod, so the path says
 * which runtime made it, the container's id, and the pod's uid and QoS
 * class, without asking any runtime. Pure: no allocation, no file read.
 *
 * The layouts recognised, anywhere in the path (".scope" where systemd
 * manages the cgroups, none where the runtime writes cgroupfs itself):
 *
 *   docker-ID.scope              docker (and cri-dockerd), systemd driver
 *   docker/ID                    docker, cgroupfs driver: ID under a "docker"
 *   cri-containerd-ID.scope      containerd's CRI plugin, systemd driver
 *   nerdctl-ID.scope             containerd through nerdctl, systemd driver
 *   default/ID, k8s.io/ID        containerd's default cgroup, /NAMESPACE/ID
 *   podUID/ID                    a pod's container, cgroupfs driver (containerd,
 *                                but cri-dockerd writes the same)
 *   crio-ID[.scope]              cri-o
 *   crio-conmon-ID[.scope]       cri-o's conmon: a monitor
 *   libpod-ID[.scope]            podman
 *   libpod-conmon-ID.scope       podman's conmon, systemd: a monitor
 *   libpod_parent/[PODID/]conmon podman's conmon, cgroupfs: a monitor, no id,
 *                                one cgroup for every container's conmon
 *   libpod-payload-ID            podman --cgroups=split (quadlet's default)
 *
 * and the kubelet's pod cgroups:
 *
 *   KUBEPODS[-QOS]-podUID.slice  systemd driver, the uid's dashes as '_';
 *                                KUBEPODS is "kubepods" or, with a
 *                                --cgroup-root, "ROOT-kubepods" (kind's
 *                                "kubelet-kubepods")
 *   kubepods[/QOS]/podUID        cgroupfs driver (a --cgroup-root is above)
 *
 * QOS is "burstable" or "besteffort"; a pod with none is Guaranteed. UID is
 * a UUID (8-4-4-4-12 lowercase hex) or, for a static pod, the 32 lowercase
 * hex of the MD5 (of the pod and its manifest's path) the kubelet gives it.
 *
 * An id is 64 lowercase hex, as every runtime here generates it (a name a
 * user gave "ctr run" is not recognised). The innermost container wins: in
 * docker inside a pod (".../podUID/ID1/docker/ID2") it is ID2, while the
 * pod is still the outer one; a pod below a container (a kubelet in a
 * container: kind, minikube) starts again from that pod. Components below
 * a container (crun's "container" leaf, a systemd inside it) stay the
 * container's.
 */
#ifndef KSCOPE_CONTAINER_H
#define KSCOPE_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

enum ks_ctr_runtime {
	KS_CTR_NONE = 0,
	KS_CTR_DOCKER,
	KS_CTR_CONTAINERD,
	KS_CTR_CRIO,
	KS_CTR_PODMAN,
};

/* A Kubernetes pod's QoS class (KS_QOS_NONE: not in a pod) */
enum ks_ctr_qos {
	KS_QOS_NONE = 0,
	KS_QOS_GUARANTEED,
	KS_QOS_BURSTABLE,
	KS_QOS_BESTEFFORT,
};

#define KS_CTR_ID_LEN 64
#define KS_POD_UID_LEN 36

struct ks_container {
	enum ks_ctr_runtime runtime;
	char id[KS_CTR_ID_LEN + 1];         /* 64 lowercase hex; "" for none */
	char pod_uid[KS_POD_UID_LEN + 1];   /* with dashes, as the API has it; "" for none */
	enum ks_ctr_qos qos;
	/*
	 * The cgroup of the runtime's monitor (conmon), not of the container:
	 * callers that attribute work to containers leave it out. id is the
	 * container it watches, or "" (podman's cgroupfs conmon is shared).
	 */
	bool monitor;
};

/*
 * The container or pod of the cgroup path (len bytes at most, up to a NUL if
 * one comes first; no trailing newline): 0 and *c filled, or -1 for a path
 * that names neither (the host, or anything not understood) and *c all
 * zero. Never reads past len.
 */
int ks_container_parse(const char *path, size_t len, struct ks_container *c);

/* "docker", "containerd", "cri-o", "podman"; NULL for KS_CTR_NONE or unknown */
const char *ks_ctr_runtime_name(enum ks_ctr_runtime r);
/* "guaranteed", "burstable", "besteffort"; NULL for KS_QOS_NONE or unknown */
const char *ks_ctr_qos_name(enum ks_ctr_qos q);

#endif

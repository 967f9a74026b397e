#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the VM matrix (make vmtest, docs/vmtest.md) needs on the host,
# if missing: qemu for both guest architectures, a static busybox for the
# guests' /init, and the arm64 dpkg architecture so that `apt-get download`
# can fetch arm64 kernels and the arm64 guest's userland. Idempotent: a quick
# no-op when everything is there. Only Debian packages, through apt-get.
# (The kernel packages themselves are downloaded by vm.py into the cache and
# never installed.)
set -euo pipefail

pkgs=(
	qemu-system-x86     # qemu-system-x86_64: the amd64 guests
	qemu-system-arm     # qemu-system-aarch64: the arm64 guests (TCG)
	busybox-static      # /init of the x86_64 guests (the arm64 one comes from the arm64 userland)
	python3             # vm.py, runner.py, report.py
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
need_arch=0
if [ "$(dpkg --print-architecture)" != arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	need_arch=1
fi
[ ${#missing[@]} -eq 0 ] && [ $need_arch -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	what="${missing[*]}"
	[ $need_arch -eq 1 ] && what="$what (and the arm64 dpkg architecture)"
	echo "vmtest deps: missing: $what (run as root)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
updated=0
if [ $need_arch -eq 1 ]; then
	echo "vmtest deps: adding the arm64 architecture (dpkg --add-architecture arm64)" >&2
	dpkg --add-architecture arm64
	apt-get update -q >/dev/null
	updated=1
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "vmtest deps: installing ${missing[*]}" >&2
apt_install() { apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
if ! apt_install "${missing[@]}"; then
	[ $updated -eq 1 ] && exit 1
	apt-get update -q >/dev/null
	apt_install "${missing[@]}"
fi

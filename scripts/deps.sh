#!/usr/bin/env bash
# Install the Debian packages kscope needs to build and test, if missing.
# Called by `make run` and `make test`, so a fresh machine needs nothing done
# by hand. Debian (bookworm) packages are the only source of dependencies.
#
#   scripts/deps.sh            build + test dependencies
#   scripts/deps.sh --build    build dependencies only
#   scripts/deps.sh --bench    build + the peers the benchmarks compare against
set -euo pipefail

build_pkgs=(
	make gcc clang llvm          # userspace C11, BPF C (clang -target bpf), llvm-strip
	bpftool                      # vmlinux.h and skeleton generation
	libbpf-dev libelf-dev zlib1g-dev  # static libbpf.a, libelf.a, libz.a
	linux-libc-dev pkg-config
)
test_pkgs=(
	libcmocka-dev                # unit tests
	python3 python3-pytest       # integration tests (drive the real binary)
	procps util-linux            # pgrep, setpriv/unshare used by tests
	libcap2-bin                  # capsh: run kscope without CAP_BPF in a test
)

bench_pkgs=(
	libbpf-tools                 # the peers: runqlat, syscount, opensnoop, execsnoop...
	bpftrace                     # the scripting peer (one-liners, bench/peers/*.bt)
	python3
)

pkgs=("${build_pkgs[@]}")
case "${1:-}" in
--build) ;;
--bench) pkgs+=("${bench_pkgs[@]}") ;;
*) pkgs+=("${test_pkgs[@]}") ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
if ! apt_install "${missing[@]}"; then
	apt-get update -q >/dev/null
	apt_install "${missing[@]}"
fi

#!/usr/bin/env bash
# Install the Debian packages kscope needs to build and test, if missing.
# Called by `make run` and `make test`, so a fresh machine needs nothing done
# by hand. Debian (bookworm) packages are the only source of dependencies.
#
#   scripts/deps.sh            build + test dependencies
#   scripts/deps.sh --build    build dependencies only
#   scripts/deps.sh --bench    build + the peers the benchmarks compare against
#   scripts/deps.sh --arm64    build + the aarch64 cross build (`make ARCH=arm64`):
#                              adds the arm64 dpkg architecture, the cross gcc,
#                              arm64 static libraries and qemu-user-static
#   scripts/deps.sh --vmtest   the VM matrix (`make vmtest`): qemu for both guest
#                              arches, busybox-static, and the arm64 dpkg
#                              architecture (apt-get download of arm64 kernels
#                              and the arm64 guest's userland)
set -euo pipefail

build_pkgs=(
	make gcc clang llvm          # userspace C11, BPF C (clang -target bpf), llvm-strip
	bpftool                      # vmlinux.h and skeleton generation
	libbpf-dev libelf-dev zlib1g-dev  # static libbpf.a, libelf.a, libz.a
	libssl-dev libyaml-dev libcrypt-dev  # kscope agent --web.config.file: TLS, the YAML file, bcrypt
	libncurses-dev               # kscope top's full screen: static libncursesw.a and libtinfo.a
	linux-libc-dev pkg-config
)
test_pkgs=(
	libcmocka-dev                # unit tests
	libclang-rt-14-dev           # libFuzzer and the ASan/UBSan runtimes: make fuzz, fuzz-regress (clang is a build dep)
	python3 python3-pytest       # integration tests (drive the real binary)
	procps util-linux            # pgrep, setpriv/unshare used by tests
	iproute2 nftables            # net tests: netns + veth, one segment dropped on purpose
	libcap2-bin                  # capsh: run kscope without CAP_BPF in a test
	prometheus                   # kscope agent tests: a real server, agent mode, remote write; ships promtool
	tmux                         # kscope top tests: its full screen in a real terminal (send-keys, capture-pane)
)

bench_pkgs=(
	libbpf-tools                 # the peers: runqlat, syscount, opensnoop, execsnoop...
	bpftrace                     # the scripting peer (one-liners, bench/peers/*.bt)
	prometheus-node-exporter     # kscope agent's peer: scrape latency, bytes, CPU, RSS
	htop procps                  # kscope top's peers (htop, top): CPU per refresh
	tmux                         # ... each full-screen view runs in a tmux pane
	python3
)

# make ARCH=arm64: Debian's cross gcc and the arm64 (multiarch) static libraries
arm64_pkgs=(
	gcc-aarch64-linux-gnu         # aarch64-linux-gnu-gcc, with the arm64 glibc (libc6-dev-arm64-cross)
	linux-libc-dev-arm64-cross    # arm64 uapi headers: gen-tables.sh's syscall numbers and O_* flags
	libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64  # libbpf.a, libelf.a, libz.a for aarch64
	libssl-dev:arm64 libyaml-dev:arm64 libcrypt-dev:arm64  # libssl.a, libcrypto.a, libyaml.a, libcrypt.a for aarch64
	libncurses-dev:arm64          # libncursesw.a, libtinfo.a for aarch64
	qemu-user-static              # run build/arm64/kscope here (it reports that bpf() is missing)
)

# make vmtest (the kernel .debs themselves are downloaded, never installed)
vmtest_pkgs=(
	qemu-system-x86     # qemu-system-x86_64: the amd64 guests
	qemu-system-arm     # qemu-system-aarch64: the arm64 guests (TCG)
	busybox-static      # /init of the x86_64 guests (the arm64 one comes from the arm64 userland)
	python3             # scripts/vmtest: vm.py, runner.py, report.py
)

pkgs=("${build_pkgs[@]}")
case "${1:-}" in
--vmtest) pkgs=("${vmtest_pkgs[@]}") ;;
--build) ;;
--bench) pkgs+=("${bench_pkgs[@]}") ;;
--arm64)
	if [ "$(dpkg --print-architecture)" = arm64 ]; then
		:	# native: build_pkgs already are the arm64 ones (and gcc is aarch64-linux-gnu-gcc)
	else
		pkgs+=("${arm64_pkgs[@]}")
	fi ;;
*) pkgs+=("${test_pkgs[@]}") ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# arm64 packages (name:arm64) and arm64 downloads need the architecture and its lists
need_arch=0
case "${1:-}" in
--arm64 | --vmtest)
	if [ "$(dpkg --print-architecture)" != arm64 ] &&
	   ! dpkg --print-foreign-architectures | grep -qx arm64; then
		need_arch=1
	fi ;;
esac
[ ${#missing[@]} -eq 0 ] && [ $need_arch -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	what="${missing[*]}"
	[ $need_arch -eq 1 ] && what="$what (and the arm64 dpkg architecture)"
	echo "deps: missing: $what (run as root to install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
updated=0
if [ $need_arch -eq 1 ]; then
	echo "deps: adding the arm64 architecture (dpkg --add-architecture arm64)" >&2
	dpkg --add-architecture arm64
	apt-get update -q >/dev/null
	updated=1
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
apt_install() { apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
if ! apt_install "${missing[@]}"; then
	[ $updated -eq 1 ] && exit 1
	apt-get update -q >/dev/null
	apt_install "${missing[@]}"
fi

# kscope: `make` builds build/kscope (static by default; `make STATIC=0` for a
# dynamic build). `make run` and `make test` install what is missing first.
# `make ARCH=arm64` (or `make CROSS=aarch64`) builds a static aarch64
# build/arm64/kscope with Debian's cross gcc, installing it first if missing.

HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ifeq ($(CROSS),aarch64)
ifneq ($(filter-out arm64,$(ARCH)),)
$(error CROSS=aarch64 builds ARCH=arm64, not ARCH=$(ARCH))
endif
ARCH := arm64
else ifneq ($(CROSS),)
$(error CROSS=$(CROSS): only CROSS=aarch64 is known (or ARCH=arm64))
endif
ARCH ?= $(HOST_ARCH)
override ARCH := $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(ARCH)))
ifeq ($(filter x86 arm64,$(ARCH)),)
$(error ARCH=$(ARCH): kscope builds for ARCH=x86 or ARCH=arm64)
endif
# another architecture's binaries do not run here (the VM matrix runs them)
ifneq ($(ARCH),$(HOST_ARCH))
ifneq ($(filter run test unit integration bench,$(MAKECMDGOALS)),)
$(error ARCH=$(ARCH) on a $(HOST_ARCH) host builds only: $(filter run test unit integration bench,$(MAKECMDGOALS)) would run $(ARCH) binaries here)
endif
endif
STATIC ?= 1

ifeq ($(ARCH),arm64)
OUT ?= build/arm64
# `cc` is make's built-in default: replace it, but not a CC the user gave
ifeq ($(origin CC),default)
CC := aarch64-linux-gnu-gcc
endif
# the cross gcc and the arm64 libraries (scripts/deps.sh --arm64), checked
# before anything is built: a quick no-op when they are there
ARCH_DEPS := deps-arm64
else
OUT ?= build
ifeq ($(origin CC)-$(HOST_ARCH),default-arm64)
CC := x86_64-linux-gnu-gcc
endif
endif

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip
PYTHON ?= /usr/bin/python3

VERSION := $(shell sed -n 's/^\#define KSCOPE_VERSION "\(.*\)"/\1/p' src/kscope.h)

# BPF-side: one object and one skeleton per command that has kernel code
# (src/CMD/CMD.bpf.c); a command's userspace is every other .c in src/CMD/
BPF_CMDS := $(sort $(patsubst src/%/,%,$(dir $(wildcard src/*/*.bpf.c))))
VMLINUX := src/vmlinux/$(ARCH)/vmlinux.h
# -Wextra as for userspace, but for unused parameters: a hook's signature is
# the kernel's (BPF_PROG's ctx, a tracepoint's arguments), used or not
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I src/vmlinux/$(ARCH) \
	-Wall -Wextra -Werror -Wno-unused-function -Wno-missing-field-initializers \
	-Wno-unused-parameter
BPF_OBJS := $(patsubst %,$(OUT)/bpf/%.bpf.o,$(BPF_CMDS))
SKELS := $(patsubst %,$(OUT)/skel/%.skel.h,$(BPF_CMDS))
# every header a BPF object includes (kscope.bpf.h, events.h, hist.h, the
# command's own) is found by clang -MMD: a layout shared with userspace that
# changes rebuilds both sides
BPF_DEPS := $(BPF_OBJS:.o=.d)

CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers \
	-I $(OUT)/skel -I src
# the agent's --web.config.file: OpenSSL (TLS; -lssl before -lcrypto, which
# static needs -ldl and -pthread), libyaml (the file), libxcrypt (bcrypt)
# kscope top's full screen: ncursesw and its terminfo library (libtinfo)
LDLIBS := -lssl -lcrypto -lyaml -lcrypt -lncursesw -ltinfo -lbpf -lelf -lz -lm -ldl -pthread
ifeq ($(STATIC),1)
LDFLAGS += -static
endif

ENGINE_SRCS := $(wildcard src/engine/*.c)
# commands without kernel code of their own: doctor, agent and top (their parts are commands)
CMD_SRCS := $(filter-out %.bpf.c,$(foreach d,$(BPF_CMDS) doctor agent top,$(wildcard src/$(d)/*.c)))
SRCS := src/main.c src/commands.c $(ENGINE_SRCS) $(CMD_SRCS)
OBJS := $(patsubst src/%.c,$(OUT)/obj/%.o,$(SRCS)) $(OUT)/obj/gen/tables.o
DEPS := $(OBJS:.o=.d)

.PHONY: all deps deps-build deps-arm64 run test unit integration workloads bench clean vmlinux help
.DELETE_ON_ERROR:
.SECONDARY:

all: $(OUT)/kscope

help:
	@echo "make            build $(OUT)/kscope (STATIC=0 for a dynamic binary)"
	@echo "make run        install deps, build, run 'kscope proc' on this system for a few seconds"
	@echo "make test       install deps, build, run every test (unit + integration, on every"
	@echo "                kernel of the VM matrix when qemu can run here; NO_VMTEST=1: this kernel only)"
	@echo "make unit       unit tests only (no privileges needed)"
	@echo "make integration  integration tests only (root: loads BPF)"
	@echo "make bench      benchmarks against peers, side by side (reports, never gates CI)"
	@echo "make fuzz       libFuzzer targets, FUZZ_SECONDS each (make fuzz-regress: the corpus, in make test)"
	@echo "make workloads  build the integration tests' workloads into $(OUT)/workloads"
	@echo "make vmlinux    regenerate src/vmlinux/$(ARCH)/vmlinux.h (x86: this kernel; arm64: Debian's arm64 kernel)"
	@echo "make ARCH=arm64 [all workloads]  static aarch64 build in build/arm64 (CROSS=aarch64 too)"

deps:
	@scripts/deps.sh

deps-build:
	@scripts/deps.sh --build

deps-arm64:
	@scripts/deps.sh --arm64

$(OUT)/bpf/%.bpf.o: src/%/*.bpf.c $(VMLINUX) | $(ARCH_DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $(@:.o=.d) -MT $@ -c $(filter %.bpf.c,$^) -o $@
	$(LLVM_STRIP) -g $@

$(OUT)/skel/%.skel.h: $(OUT)/bpf/%.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# kscope_build_info's revision: the commit built (only the agent's object sees it)
REVISION := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
$(OUT)/obj/agent/agent.o: CFLAGS += -DKSCOPE_REVISION='"$(REVISION)"'

$(OUT)/obj/%.o: src/%.c | $(SKELS) $(ARCH_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# syscall, errno and open-flag names from the target's uapi headers
$(OUT)/gen/tables.c: scripts/gen-tables.sh | $(ARCH_DEPS)
	@mkdir -p $(@D)
	scripts/gen-tables.sh "$(CC)" > $@.tmp && mv $@.tmp $@

$(OUT)/obj/gen/tables.o: $(OUT)/gen/tables.c src/engine/names.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/kscope: $(OBJS) | $(ARCH_DEPS)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

-include $(DEPS) $(BPF_DEPS)

# mk/*.mk: larger target families kept in their own files (mk/vmtest.mk: the VM matrix)
include $(sort $(wildcard mk/*.mk))

run: deps
	@$(MAKE) --no-print-directory all
	@echo "== kscope proc on this system for 5 seconds (a few commands run meanwhile) =="
	@(sleep 1; sh -c 'uname -r >/dev/null; ls / >/dev/null; exit 3'; sleep 1; true) &
	$(OUT)/kscope proc -d 5

# Unit tests and the fuzz targets over their corpus (mk/fuzz.mk), then the
# integration tests on every kernel of the VM matrix
# (make vmtest, docs/vmtest.md; this machine's kernel is one of them) when
# qemu can run here, else on this machine's kernel only. NO_VMTEST=1: no matrix.
test: deps
	@$(MAKE) --no-print-directory all unit fuzz-regress
	@if [ "$(NO_VMTEST)" != 1 ] && scripts/deps.sh --vmtest && \
	    $(PYTHON) scripts/vmtest/vm.py possible; then \
		$(MAKE) --no-print-directory vmtest; \
	else \
		echo "make test: no VM matrix here: integration tests on this kernel only"; \
		$(MAKE) --no-print-directory integration; \
	fi

# ---- tests ----------------------------------------------------------------

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
# the code under test, without main()
UNIT_LIB_OBJS := $(filter-out $(OUT)/obj/main.o,$(OBJS))

$(OUT)/tests/test_%: tests/unit/test_%.c $(wildcard tests/unit/*.h) $(UNIT_LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wno-unused-parameter $< $(UNIT_LIB_OBJS) -lcmocka $(LDLIBS) -pthread -o $@

WORKLOADS := $(patsubst tests/workloads/%.c,$(OUT)/workloads/%,$(wildcard tests/workloads/*.c))
# arm64 workloads run in a VM guest (the VM matrix): static, like kscope
WORKLOAD_LDFLAGS := $(if $(filter arm64,$(ARCH)),-static)

workloads: $(WORKLOADS)

$(OUT)/workloads/%: tests/workloads/%.c | $(ARCH_DEPS)
	@mkdir -p $(@D)
	$(CC) -O1 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread $< $(WORKLOAD_LDFLAGS) -o $@

# two tracers in one process (test_session.py): links kscope's objects, ks_trace_run wrapped
$(OUT)/workloads/multi_trace: tests/workloads/multi_trace.c $(UNIT_LIB_OBJS) | $(ARCH_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -Wl,--wrap=ks_trace_run $< $(UNIT_LIB_OBJS) $(LDLIBS) -o $@

# every test binary runs; the target fails if any of them failed
unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

integration: $(OUT)/kscope $(WORKLOADS)
	KSCOPE=$(abspath $(OUT)/kscope) WORKLOADS=$(abspath $(OUT)/workloads) \
		$(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

BENCH_BINS := $(patsubst bench/%.c,$(OUT)/bench/%,$(wildcard bench/*.c))

$(OUT)/bench/%: bench/%.c bench/bench.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread $< -o $@

# bench/floor: empty (and single-operation) BPF programs and their loader, the
# floor under any tracer's per-event cost
FLOOR_BINS := $(OUT)/bench/floor \
	$(patsubst bench/floor/%.bpf.c,$(OUT)/bench/%.bpf.o,$(wildcard bench/floor/*.bpf.c))

$(OUT)/bench/%.bpf.o: bench/floor/%.bpf.c $(VMLINUX)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/bench/floor: bench/floor/floor.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $< -lbpf -lelf -lz -o $@

bench:
	@scripts/deps.sh --bench
	@$(MAKE) --no-print-directory all $(BENCH_BINS) $(FLOOR_BINS)
	$(PYTHON) bench/run.py --kscope $(abspath $(OUT)/kscope) --bin $(abspath $(OUT)/bench) \
		--out BENCHMARKS.json

# x86: this kernel's BTF. arm64: the BTF inside Debian's arm64 kernel image
# (downloaded to ~/.cache/kscope/kernels, never installed; see the script)
vmlinux: | $(ARCH_DEPS)
ifeq ($(ARCH),arm64)
	BPFTOOL=$(BPFTOOL) $(PYTHON) scripts/vmlinux-btf.py --arch arm64 --out src/vmlinux/arm64/vmlinux.h
else
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > src/vmlinux/$(ARCH)/vmlinux.h
endif

clean:
	rm -rf $(OUT)

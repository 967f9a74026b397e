# The kernel test matrix (GitHub issue 5; docs/vmtest.md): kscope's doctor and
# integration tests on this machine's kernel and on Debian kernels under qemu.
# Kernels, arches, qemu settings and declared hooks: scripts/vmtest/matrix.json.
#
#   make vmtest            every kernel, then the report (and build/vmtest/compat.md)
#   make vmtest-host       this machine's kernel, no VM
#   make vmtest-x86_64     the x86_64 guests (KVM when it works here, else TCG)
#   make vmtest-arm64      the arm64 guests (TCG), with the static arm64 build
#   make vmtest-report     the report from what build/vmtest/ holds
#   make vmtest-compat     the report, and its generated page into docs/compat.md
#   make vmtest-possible   exit 0 when qemu guests can run here (else say why)
#
# Results: build/vmtest/<kernel>/; downloads: ${KSCOPE_VM_CACHE:-~/.cache/kscope/vm}.
# VMTEST_PYTEST_ARGS='-k ...' narrows the tests (for working on one test).

VMTEST := $(PYTHON) scripts/vmtest/vm.py

.PHONY: vmtest vmtest-deps vmtest-possible vmtest-host vmtest-x86_64 vmtest-arm64 \
	vmtest-report vmtest-compat vmtest-build-x86 vmtest-build-arm64

vmtest-deps:
	@scripts/deps.sh --vmtest

vmtest-possible:
	@$(VMTEST) possible

vmtest-build-x86:
	@$(MAKE) --no-print-directory ARCH=x86 all workloads

vmtest-build-arm64:
	@$(MAKE) --no-print-directory ARCH=arm64 all workloads

vmtest-host: vmtest-build-x86
	$(VMTEST) run --select host

vmtest-x86_64: vmtest-deps vmtest-build-x86
	$(VMTEST) run --select x86_64

vmtest-arm64: vmtest-deps vmtest-build-arm64
	$(VMTEST) run --select arm64

vmtest-report:
	$(PYTHON) scripts/vmtest/report.py --compat build/vmtest/compat.md

vmtest-compat:
	$(PYTHON) scripts/vmtest/report.py --compat docs/compat.md

# every kernel runs (one after the other: the timing-sensitive tests must not
# share the CPUs with another guest) even when one fails; the report decides
vmtest: vmtest-deps vmtest-build-x86 vmtest-build-arm64
	@start=$$(date +%s); \
	$(VMTEST) run --select all; \
	echo "vmtest: all kernels in $$(( $$(date +%s) - start )) s"; \
	$(PYTHON) scripts/vmtest/report.py --compat build/vmtest/compat.md

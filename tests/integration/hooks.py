# SPDX-License-Identifier: GPL-2.0
"""
Which hook each kscope probe must use, on the kernel the tests run on.

kscope picks, per probe, the first alternative the kernel offers and the
user did not forbid (docs/hooks.md). The tests check that choice against
their own idea of what the kernel offers, which comes from:

  * KSCOPE_TEST_HOOKS, the hook families the kernel is declared to offer
    (comma-separated: fentry,kprobe,lsm,tp_btf,raw_tp,tracepoint). The VM
    matrix (make vmtest, scripts/vmtest/matrix.json) sets it per kernel;
  * otherwise this module's own check, independent of kscope's code: an
    fentry program on taskstats_exit loaded and attached with raw bpf(2)
    calls through ctypes, the kprobe PMU (or kprobe_events) plus the symbol
    in /proc/kallsyms, and the kernel's BTF for tp_btf.

VARIANTS are the kscope options each hook-path test runs with; variants
that would plan exactly like an earlier one on this kernel are dropped, so
a kernel with fentry runs more variants than one without.
"""
import ctypes
import os
import platform
import struct
from collections import OrderedDict

FAMILIES = ("fentry", "kprobe", "lsm", "tp_btf", "raw_tp", "tracepoint")

# probe alternatives, in kscope's order of preference (src/*/*.c ks_probe tables)
TP = ("tp_btf", "raw_tp", "tracepoint")           # every tracepoint-based probe
EXIT = ("fentry", "kprobe") + TP                  # proc's exit: taskstats_exit first
EXIT_TARGET = "taskstats_exit"
# net's send/recv: the sock_*_length tracepoints (6.3+), then fexit, then a kretprobe
# with its kprobe, on tcp_sendmsg/tcp_recvmsg (net_bytes() drops the tracepoints where
# the kernel has none); NET_BYTES_KIND: the hook kscope names for those families
NET_BYTES = TP + ("fentry", "kprobe")
NET_BYTES_KIND = {"fentry": "fexit", "kprobe": "kretprobe"}
NET_DROPS = TP                                    # net's drops (--drops): skb:kfree_skb
NET_UDP_FAIL = ("tp_btf", "raw_tp")               # net's udp-fail: its tracepoint has no socket

VARIANTS = OrderedDict([
    ("default", []),
    ("no_fentry", ["--no-hook", "fentry"]),
    ("tp_btf", ["--no-hook", "fentry,kprobe"]),
    ("raw_tp", ["--no-hook", "fentry,kprobe,tp_btf"]),
    ("tracepoint", ["--no-hook", "fentry,kprobe,tp_btf,raw_tp"]),
    # the choice made at attach time, without the up-front checks: every
    # better alternative really fails to load or attach, and is skipped
    ("no_precheck", ["--no-precheck"]),
])


# Variants that forbid tracepoint families only: for a command one of whose probes has
# no tracepoint on some kernels (net's send/recv before 6.3: fentry or a kprobe), so
# that its tracepoint probes' other paths are still taken there (variants_needing())
TP_ONLY_VARIANTS = OrderedDict([
    ("raw_tp_only", ["--no-hook", "tp_btf"]),
    ("tracepoint_only", ["--no-hook", "tp_btf,raw_tp"]),
])


def options(variant):
    """kscope's options for a variant of VARIANTS or TP_ONLY_VARIANTS."""
    return VARIANTS[variant] if variant in VARIANTS else TP_ONLY_VARIANTS[variant]


def forbidden(variant):
    opts = options(variant)
    if "--no-hook" not in opts:
        return set()
    return set(opts[opts.index("--no-hook") + 1].split(","))


# ---- what the kernel offers ---------------------------------------------------------

BPF_NR = {"x86_64": 321, "aarch64": 280}.get(platform.machine())
BPF_PROG_LOAD, BPF_RAW_TRACEPOINT_OPEN = 5, 17
BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY = 26, 24
BTF_PATH = "/sys/kernel/btf/vmlinux"


def btf_func_id(name, path=BTF_PATH, kind_wanted=12):
    """The BTF id of FUNC `name` (or of another kind) in the kernel's BTF, or None."""
    with open(path, "rb") as f:
        data = f.read()
    magic, _ver, _flags, hdr_len, type_off, type_len, str_off, _str_len = \
        struct.unpack_from("<HBBIIIII", data)
    if magic != 0xEB9F:
        return None
    types = hdr_len + type_off
    strs = hdr_len + str_off
    want = name.encode() + b"\0"
    # extra bytes after struct btf_type, by kind (linux/btf.h)
    fixed = {1: 4, 3: 12, 14: 4, 17: 4}
    per_member = {4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12}
    off, tid, end = types, 1, types + type_len
    while off < end:
        name_off, info, _ = struct.unpack_from("<III", data, off)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        if kind == kind_wanted and data.startswith(want, strs + name_off):
            return tid
        off += 12 + fixed.get(kind, 0) + per_member.get(kind, 0) * vlen
        tid += 1
    return None


def _fentry_works(func):
    if BPF_NR is None or not os.path.exists(BTF_PATH):
        return False
    btf_id = btf_func_id(func)
    if btf_id is None:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    insns = ctypes.create_string_buffer(
        struct.pack("<BBhi", 0xB7, 0, 0, 0) + struct.pack("<BBhi", 0x95, 0, 0, 0))  # r0 = 0; exit
    lic = ctypes.create_string_buffer(b"GPL")
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("<IIQQ", attr, 0, BPF_PROG_TYPE_TRACING, 2,
                     ctypes.addressof(insns), ctypes.addressof(lic))
    struct.pack_into("<I", attr, 68, BPF_TRACE_FENTRY)      # expected_attach_type
    struct.pack_into("<I", attr, 108, btf_id)               # attach_btf_id
    fd = libc.syscall(BPF_NR, BPF_PROG_LOAD, attr, 128)
    if fd < 0:
        return False
    try:
        attr = ctypes.create_string_buffer(128)
        struct.pack_into("<QI", attr, 0, 0, fd)              # raw_tracepoint.{name,prog_fd}
        lfd = libc.syscall(BPF_NR, BPF_RAW_TRACEPOINT_OPEN, attr, 128)
        if lfd < 0:
            return False                                     # loads, does not attach
        os.close(lfd)
        return True
    finally:
        os.close(fd)


def _kprobe_works(func):
    pmu = os.path.exists("/sys/bus/event_source/devices/kprobe/type")
    legacy = any(os.path.exists(f"{d}/kprobe_events")
                 for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"))
    if not (pmu or legacy):
        return False
    with open("/proc/kallsyms") as f:
        return any(line.split()[2:3] == [func] for line in f)


def detect_hooks():
    """The families this kernel offers, found without kscope (see the docstring)."""
    have = {"raw_tp", "tracepoint"}
    if os.path.exists(BTF_PATH):
        have.add("tp_btf")
    if _fentry_works(EXIT_TARGET):
        have.add("fentry")
    if _kprobe_works(EXIT_TARGET):
        have.add("kprobe")
    return have


def tracepoint_exists(category, name):
    """Does the kernel have this tracepoint? Its BTF typedef, else tracefs."""
    if os.path.exists(BTF_PATH):
        return btf_func_id(f"btf_trace_{name}", kind_wanted=8) is not None
    return any(os.path.exists(f"{d}/events/{category}/{name}")
               for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"))


def syscall_tracepoint(name):
    """Does the kernel have syscalls:sys_enter_NAME (tracefs: not in BTF, not raw)?"""
    return any(os.path.exists(f"{d}/events/syscalls/sys_enter_{name}")
               for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"))


def net_bytes():
    """NET_BYTES as this kernel has them: sock_send_length came in 6.3."""
    return NET_BYTES if tracepoint_exists("sock", "sock_send_length") else NET_BYTES[len(TP):]


def disk_start():
    """diskio's io-start as this kernel has it: block_io_start came in 6.5; before,
    the probe has no hook at all (KS_PROBE_BEST: diskio runs without it)."""
    return TP if tracepoint_exists("block", "block_io_start") else ()


def mem_fault():
    """memory's fault probe: x86's exceptions:page_fault_user, then a kprobe on
    handle_mm_fault (every arch)."""
    return (TP if tracepoint_exists("exceptions", "page_fault_user") else ()) + ("kprobe",)


def mem_kfault():
    """memory's fault-kernel (x86's page_fault_kernel; KS_PROBE_BEST, none elsewhere)."""
    return TP if tracepoint_exists("exceptions", "page_fault_kernel") else ()


def sec_cap():
    """security's cap probe: capability:cap_capable (6.14+), then fexit, then a kretprobe
    with its kprobe, on cap_capable() (named as NET_BYTES_KIND names them)."""
    return (TP if tracepoint_exists("capability", "cap_capable") else ()) + ("fentry", "kprobe")


def disk_merge():
    """diskio's merge (block_rq_merge, 5.9+): KS_PROBE_BEST too."""
    return TP if tracepoint_exists("block", "block_rq_merge") else ()


_kernel_hooks = None


def declared_hooks():
    env = os.environ.get("KSCOPE_TEST_HOOKS")
    if not env:
        return None
    fams = set(env.split(","))
    bad = fams - set(FAMILIES)
    assert not bad, f"KSCOPE_TEST_HOOKS names unknown hook families {bad}"
    return fams


def kernel_hooks():
    global _kernel_hooks
    if _kernel_hooks is None:
        _kernel_hooks = declared_hooks() or detect_hooks()
    return _kernel_hooks


# ---- what kscope must choose --------------------------------------------------------

def plan(alts, variant):
    """The hook family kscope must choose among alts under variant (None: none works)."""
    no = forbidden(variant)
    for a in alts:
        if a in kernel_hooks() and a not in no:
            return a
    return None


def variants_for(*alt_lists):
    """The variants that plan differently on this kernel, for probes with these
    alternatives; no_precheck always (it exercises the attach-time fallback)."""
    seen, out = set(), []
    for v in VARIANTS:
        key = tuple(plan(a, v) for a in alt_lists)
        if v == "no_precheck" or key not in seen:
            seen.add(key)
            out.append(v)
    return out


def variants_needing(needed, *alt_lists):
    """variants_for(*alt_lists, needed) among VARIANTS and TP_ONLY_VARIANTS, but only
    those under which `needed` (a probe the command cannot run without) has a hook."""
    seen, out = set(), []
    for v in list(VARIANTS) + list(TP_ONLY_VARIANTS):
        if plan(needed, v) is None:
            continue
        key = tuple(plan(a, v) for a in (*alt_lists, needed))
        if v == "no_precheck" or key not in seen:
            seen.add(key)
            out.append(v)
    return out


def skipped_before(alts, variant):
    """Alternatives kscope must have tried and skipped before its choice."""
    chosen = plan(alts, variant)
    no = forbidden(variant)
    return [a for a in alts[:alts.index(chosen)] if a not in no]


# net's resets (always) and --events' probes (KS_PROBE_OPTIONAL: loaded only then), by
# name as -v and kscope doctor show them (src/net/net.c); test_net_events.py checks each
NET_EVENT_PROBES = {"reset-sent": TP, "reset-recv": TP, "retrans": TP, "retrans-synack": TP,
                    "error": TP}

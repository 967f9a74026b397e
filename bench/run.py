#!/usr/bin/python3
"""
bench/run.py: kscope against no tracer and against peer tools, side by side.

    bench/run.py --kscope build/kscope --bin build/bench --out BENCHMARKS.json
    bench/run.py ... --scenario sched-storm-pipe --rounds 3     # a quick look
    bench/run.py --render BENCHMARKS.json                       # tables only

The unit is a *scenario*: one workload (a program with an exact operation
count, e.g. bench/cswitch.c: 2 * N context switches, bench/sysstorm.c: N
getppid() calls) and the tracer configurations measured on it. Every
configuration of a scenario runs once per round, in an order that rotates from
round to round, so the slow drift of a shared machine hits them all alike. The
workload runs pinned to one CPU, the tracers (and this script) to another. Per
configuration we report the median over rounds of the workload's ns per
operation with min/max and IQR, the added ns per operation against the
baseline (no tracer) as the median of the per-round paired differences, that
added cost as a ratio to the reference peer's (runqlat for sched, syscount for
syscalls), the slowdown factor, the tracer's own CPU time during the workload
per operation, and its peak RSS (VmHWM).

A second, separate pass (unless --no-bpf-stats) turns on
kernel.bpf_stats_enabled and reads, per tracer, the kernel's own run_cnt and
run_time_ns of each of its BPF programs across the workload: the time spent
inside the program bodies per operation, without the trampoline and with
much less noise than wall-clock time. Stats cost time themselves, so the
wall-clock rounds never run with them on.

Benchmarks report, they never gate: nothing here fails on a number. The exit
status is non-zero only when the benchmark itself cannot run (no root,
missing binary, a workload that fails).

To add a workload or peer: write the workload under bench/ (it prints one
JSON object with at least "elapsed_ns" and its operation count), add a
Workload, add Tracers, and a Scenario that lists them (see SCENARIOS).
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "bench")
SCHEMA = "kscope-bench/1"


# ---- configuration ----------------------------------------------------------


@dataclass
class Ctx:
    kscope: str
    bin: str               # build/bench: workload binaries, the floor loader
    work: str              # scratch: tracer outputs of the last round
    workload_cpu: int
    tracer_cpu: int
    verbose: bool = False


@dataclass
class Workload:
    key: str
    label: str
    unit: str                                   # "switch": what one operation is
    argv: Callable[[Ctx, int], List[str]]       # (ctx, size) -> command
    ops: Callable[[dict], int]                  # parsed output -> operations done
    check: Callable[[dict], Optional[str]]      # parsed output -> warning or None
    describe: Callable[[int], str]              # size -> one line


@dataclass
class Tracer:
    key: str
    label: str
    argv: Optional[Callable[[Ctx], List[str]]]  # None: no tracer (the baseline)
    needs: Callable[[Ctx], Optional[str]] = lambda ctx: None  # why it cannot run, or None
    min_attach: int = 1     # attachments (BPF links, perf events) that mean "attached"
    note: str = ""


@dataclass
class Scenario:
    key: str
    title: str
    workload: Workload
    size: int                   # workload size (e.g. round trips)
    tracers: List[str]
    baseline: str = "none"
    reference: str = "runqlat"
    note: str = ""
    default: bool = True        # run without --scenario
    hooks: tuple = ()           # tracepoints someone else's tracer must not be on


# ---- workloads ----------------------------------------------------------------


def cswitch(mode):
    def argv(ctx, n):
        return [os.path.join(ctx.bin, "cswitch"), "-m", mode, "-n", str(n),
                "-c", str(ctx.workload_cpu)]

    def check(r):
        exp, got = r["switches_expected"], r["switches_proc"]
        if got != r["switches_rusage"]:
            return "getrusage and /proc disagree: %d vs %d" % (r["switches_rusage"], got)
        if abs(got - exp) > max(10, exp // 200):
            return "%d switches, expected %d: other tasks ran on CPU %d" % (got, exp, r["cpu"])
        return None

    return Workload(
        key="cswitch-" + mode, unit="switch",
        label="cswitch -m %s: 2 threads on one CPU ping-pong over %s" % (
            mode, "two pipes" if mode == "pipe" else "a futex word"),
        argv=argv, ops=lambda r: r["switches_expected"], check=check,
        describe=lambda n: "%d round trips = %d context switches per run" % (n, 2 * n))


def sysstorm():
    def argv(ctx, n):
        return [os.path.join(ctx.bin, "sysstorm"), "-n", str(n), "-c", str(ctx.workload_cpu)]

    def check(r):
        if r["bad_returns"]:
            return "%d of %d getppid() calls returned something else" % (r["bad_returns"],
                                                                       r["calls"])
        if r["involuntary"] > max(20, r["calls"] // 100000):
            return "%d involuntary switches: other tasks ran on CPU %d" % (r["involuntary"],
                                                                          r["cpu"])
        return None

    return Workload(
        key="sysstorm", unit="syscall",
        label="sysstorm: one thread calls syscall(SYS_getppid) back to back",
        argv=argv, ops=lambda r: r["syscalls_expected"], check=check,
        describe=lambda n: "%d getppid() calls per run" % n)


# ---- tracers --------------------------------------------------------------------


def _have(path):
    return lambda ctx: None if os.access(path, os.X_OK) else "%s not installed" % path


def _floor_ready(obj="floor.bpf.o"):
    return lambda ctx: None if all(os.path.exists(os.path.join(ctx.bin, f))
                                   for f in ("floor", obj)) else \
        "bench/floor not built (make bench builds it)"


def _floor(*progs, obj="floor.bpf.o"):
    return lambda ctx: [os.path.join(ctx.bin, "floor"), os.path.join(ctx.bin, obj), *progs]


# bench/floor/ops.bpf.c: one BPF operation per program, on tp_btf/sched_switch
OPS = [
    ("empty", "nothing (the cost of the hook)"),
    ("ktime", "bpf_ktime_get_ns()"),
    ("array", "array lookup by CPU + increment (kscope's cpu_stats)"),
    ("atomic", "one __sync_fetch_and_add (a histogram slot)"),
    ("plain_read4", "4 loads through the BTF task pointers"),
    ("core_read4", "the same 4 with BPF_CORE_READ (bpf_probe_read_kernel)"),
    ("hash_lookup", "1 hash lookup, tid key (made on first sight)"),
    ("hash_lookup2", "2 hash lookups: prev and next (kscope's switch)"),
    ("task_storage2", "2 bpf_task_storage_get: prev and next"),
    ("hash_upd_del", "hash update + lookup + delete (runqlat's start map)"),
]


def _bpftrace_path():
    return shutil.which("bpftrace") or "/usr/bin/bpftrace"


def _bpftrace_ready(ctx):
    return None if shutil.which("bpftrace") else \
        "bpftrace not installed (scripts/deps.sh --bench installs it)"


_KSCOPE_HAS = {}


def _kscope_has(cmd):
    """Needs: `kscope CMD --help` works (the command exists in this build)."""
    def needs(ctx):
        if cmd not in _KSCOPE_HAS:
            try:
                r = subprocess.run([ctx.kscope, cmd, "--help"], capture_output=True,
                                   timeout=20)
                _KSCOPE_HAS[cmd] = r.returncode == 0
            except (OSError, subprocess.SubprocessError):
                _KSCOPE_HAS[cmd] = False
        return None if _KSCOPE_HAS[cmd] else \
            "`kscope %s --help` failed: no %s command in this build" % (cmd, cmd)
    return needs


# libbpf-tools syscount attaches sys_exit only, plus sys_enter with -L; each
# plain tracepoint is a perf event and a BPF link
SYSCOUNT_ATTACH = 2      # sys_exit only; 4 with -L

BT_COUNT = "tracepoint:raw_syscalls:sys_enter { @[%s] = count(); }"
# bpftrace holds one perf event per CPU (its output buffer) besides the
# tracepoint's: the probe is attached once there are ncpu + 1
BT_ATTACH = (os.cpu_count() or 1) + 1

# bench/floor/sysops.bpf.c: an enter and/or an exit program per configuration
# (None: that hook stays off), tp_btf
SYSOPS = [
    ("empty-exit", None, "empty", "nothing, sys_exit alone (the floor of one hook)"),
    ("count-exit-only", None, "cnt_pcpu", "count at exit, sys_exit alone: per-CPU "
                                          "array[regs->orig_ax]++"),
    ("count-exit-core", None, "cnt_core", "the same, the number read with BPF_CORE_READ "
                                          "(bpf_probe_read_kernel)"),
    ("count-exit-compat", None, "cnt_compat", "the same as count-exit-only, plus a compat "
                                              "check through the current task"),
    ("empty", "empty", "empty", "nothing (the floor: tp_btf enter + exit)"),
    ("pid", "pid", "pid", "the pid filter check (bpf_get_current_pid_tgid) at both"),
    ("count-enter", "cnt_pcpu", "empty", "count at enter: per-CPU array[id]++"),
    ("count-exit", "empty", "cnt_pcpu", "count at exit: per-CPU array[regs->orig_ax]++"),
    ("count-hash", "empty", "cnt_hash", "count at exit: shared hash[nr] + atomic add "
                                        "(syscount's way)"),
    ("ktime2", "ktime", "ktime", "bpf_ktime_get_ns() at both"),
    ("lat-tstore", "lat_tstore", "lat_tstore", "latency: start in task storage, "
                                              "count + sum in a per-CPU array"),
    ("lat-hash", "lat_hash", "lat_hash", "latency: start in a tid hash (update, lookup, "
                                        "delete), shared hash + atomics (syscount -L's way)"),
]


TRACERS = {t.key: t for t in [
    Tracer("none", "no tracer", None),
    Tracer("floor-switch", "empty tp_btf sched_switch", _floor("empty_switch"),
           needs=_floor_ready(), min_attach=1,
           note="bench/floor: an empty BPF program on tp_btf/sched_switch, the hook "
                "kscope sched uses on this kernel"),
    Tracer("floor-3", "empty tp_btf switch+wakeup+wakeup_new",
           _floor("empty_switch", "empty_wakeup", "empty_wakeup_new"),
           needs=_floor_ready(), min_attach=3,
           note="bench/floor: empty programs on the three tp_btf hooks both kscope sched "
                "and runqlat use per switch/wakeup: the price of the hooks alone"),
    Tracer("kscope", "kscope sched", lambda ctx: [ctx.kscope, "sched"], min_attach=3,
           note="summary mode, table printed at SIGINT (to a file)"),
    Tracer("kscope-hist", "kscope sched --hist", lambda ctx: [ctx.kscope, "sched", "--hist"],
           min_attach=3, note="plus the log2 run-queue latency histogram (key: all)"),
    Tracer("runqlat", "runqlat (libbpf-tools)", lambda ctx: ["/usr/sbin/runqlat"],
           needs=_have("/usr/sbin/runqlat"), min_attach=3,
           note="Debian libbpf-tools; one histogram of run-queue latency, printed at SIGINT"),
    Tracer("bpftrace", "bpftrace runqlat.bt",
           lambda ctx: [_bpftrace_path(), os.path.join(BENCH, "peers", "runqlat.bt")],
           needs=lambda ctx: None if shutil.which("bpftrace") else
           "bpftrace not installed (optional: apt-get install bpftrace)",
           min_attach=3,
           note="extra peer, only if bpftrace is installed: bench/peers/runqlat.bt, plain "
                "tracepoints attached through perf events"),
] + [
    # syscalls: the floor (empty programs on raw_syscalls:sys_enter/sys_exit, per hook type)
    Tracer("floor-sys-%s%s" % (hk, "" if both else "-enter"),
           "empty %s sys_enter%s" % (label, "+sys_exit" if both else ""),
           _floor(*(["sys_enter_" + hk] + (["sys_exit_" + hk] if both else [])),
                  obj="sys.bpf.o"),
           needs=_floor_ready("sys.bpf.o"), min_attach=(2 if both else 1) * per_attach,
           note="bench/floor/sys.bpf.c: %s%s" % (
               "empty programs on %s sys_enter and sys_exit (both: what any latency "
               "tracer needs)" % label if both else "an empty program on %s sys_enter alone"
               % label, why))
    for hk, label, per_attach, why in [
        ("btf", "tp_btf", 1, "; tp_btf is the hook kscope prefers"),
        ("raw", "raw_tp", 1, ""),
        ("tp", "tracepoint", 2, "; the plain tracepoint (through a perf event) is the hook "
                                "syscount and bpftrace use")]
    for both in (False, True)
] + [
    Tracer("kscope-syscall", "kscope syscall", lambda ctx: [ctx.kscope, "syscall"],
           needs=_kscope_has("syscall"), min_attach=2,
           note="counting summary mode (per-syscall count and latency), table printed at "
                "SIGINT (to a file)"),
    Tracer("kscope-syscall-count", "kscope syscall --count-only",
           lambda ctx: [ctx.kscope, "syscall", "--count-only"],
           needs=_kscope_has("syscall"), min_attach=1,
           note="counts and errors per syscall without latency: sys_exit alone, a per-CPU "
                "array slot per call (what syscount measures without -L)"),
    Tracer("kscope-syscall-e", "kscope syscall -e getppid",
           lambda ctx: [ctx.kscope, "syscall", "-e", "getppid"],
           needs=_kscope_has("syscall"), min_attach=2,
           note="counting only getppid (the syscall filter in the kernel, matching "
                "every call of the storm)"),
    Tracer("kscope-syscall-e-other", "kscope syscall -e openat",
           lambda ctx: [ctx.kscope, "syscall", "-e", "openat"],
           needs=_kscope_has("syscall"), min_attach=2,
           note="counting only openat: the storm's getppid() calls are filtered out at "
                "sys_enter, what kscope costs the syscalls it does not count"),
    Tracer("syscount", "syscount (libbpf-tools)", lambda ctx: ["/usr/sbin/syscount"],
           needs=_have("/usr/sbin/syscount"), min_attach=SYSCOUNT_ATTACH,
           note="Debian libbpf-tools; counts per syscall (hash + atomic add at sys_exit), "
                "top 10 printed at SIGINT"),
    Tracer("syscount-L", "syscount -L (libbpf-tools)",
           lambda ctx: ["/usr/sbin/syscount", "-L"], needs=_have("/usr/sbin/syscount"),
           min_attach=2 * SYSCOUNT_ATTACH,
           note="plus latency: start time per thread in a hash at sys_enter, looked up and "
                "deleted at sys_exit"),
    Tracer("bpftrace-probe", "bpftrace @[probe] = count()",
           lambda ctx: [_bpftrace_path(), "-e", BT_COUNT % "probe"], needs=_bpftrace_ready,
           min_attach=BT_ATTACH,
           note="one-liner: " + BT_COUNT % "probe"),
    Tracer("bpftrace-pid", "bpftrace @[pid] = count()",
           lambda ctx: [_bpftrace_path(), "-e", BT_COUNT % "pid"], needs=_bpftrace_ready,
           min_attach=BT_ATTACH,
           note="one-liner: " + BT_COUNT % "pid"),
] + [
    Tracer("sop-" + key, "sysop: " + text,
           _floor(*progs, obj="sysops.bpf.o"),
           needs=_floor_ready("sysops.bpf.o"), min_attach=len(progs),
           note="bench/floor/sysops.bpf.c " + " + ".join(progs))
    for key, progs, text in [(k, [p + "_" + n for p, n in (("en", en), ("ex", ex)) if n], t)
                             for k, en, ex, t in SYSOPS]
] + [
    Tracer("op-" + op.replace("_", "-"), "op: " + text,
           _floor("op_" + op, obj="ops.bpf.o"), needs=_floor_ready("ops.bpf.o"),
           note="bench/floor/ops.bpf.c op_" + op)
    for op, text in OPS
]}

SCHED_TRACERS = ["none", "floor-switch", "floor-3", "kscope", "kscope-hist", "runqlat",
                 "bpftrace"]

SCHED_HOOKS = ("sched_switch", "sched_wakeup", "sched_wakeup_new")
SYS_HOOKS = ("sys_enter", "sys_exit")

SYS_TRACERS = ["none", "floor-sys-btf-enter", "floor-sys-btf", "floor-sys-tp",
               "kscope-syscall", "kscope-syscall-count", "kscope-syscall-e",
               "kscope-syscall-e-other", "syscount", "syscount-L", "bpftrace-probe", "bpftrace-pid"]

SCENARIOS = [
    Scenario("sched-storm-pipe", "sched: context-switch storm (pipe ping-pong)",
             cswitch("pipe"), 200000, SCHED_TRACERS, hooks=SCHED_HOOKS,
             note="the classic (perf bench sched pipe, lmbench lat_ctx): each round trip "
                  "is two writes, two reads and two switches on one CPU"),
    Scenario("sched-storm-futex", "sched: context-switch storm (futex ping-pong)",
             cswitch("futex"), 200000, SCHED_TRACERS, hooks=SCHED_HOOKS,
             note="the same storm with less syscall work around each switch"),
    Scenario("sched-ops", "sched: single BPF operations on tp_btf/sched_switch",
             cswitch("futex"), 100000, ["none"] + ["op-" + o.replace("_", "-") for o, _ in OPS],
             reference="op-empty", default=False, hooks=SCHED_HOOKS,
             note="not run by default (--scenario sched-ops): where per-switch time goes"),
    Scenario("syscall-storm", "syscall: getppid() storm, counting tracers",
             sysstorm(), 2000000, SYS_TRACERS, reference="syscount", hooks=SYS_HOOKS,
             note="the hottest path there is: every syscall of the system passes the "
                  "raw_syscalls hooks; getppid() does almost nothing, so the tracer's "
                  "per-syscall cost is all that changes"),
    Scenario("syscall-hooks", "syscall: empty programs on sys_enter/sys_exit per hook type",
             sysstorm(), 2000000,
             ["none"] + ["floor-sys-%s%s" % (h, e) for h in ("btf", "raw", "tp")
                         for e in ("-enter", "")],
             reference="floor-sys-btf", default=False, hooks=SYS_HOOKS,
             note="not run by default (--scenario syscall-hooks): what the hook alone costs, "
                  "tp_btf vs raw_tp vs the plain tracepoint"),
    Scenario("syscall-ops", "syscall: single BPF operations on tp_btf sys_enter/sys_exit",
             sysstorm(), 2000000, ["none"] + ["sop-" + k for k, _, _, _ in SYSOPS],
             reference="sop-empty", default=False, hooks=SYS_HOOKS,
             note="not run by default (--scenario syscall-ops): where per-syscall time goes"),
]


# ---- /proc helpers -------------------------------------------------------------


def read(path):
    with open(path) as f:
        return f.read()


def fdinfo(pid, fd):
    info = {}
    try:
        for line in read("/proc/%d/fdinfo/%s" % (pid, fd)).splitlines():
            k, _, v = line.partition(":")
            info[k.strip()] = v.strip()
    except OSError:
        pass
    return info


def bpf_fds(pid):
    """The tracer's BPF attachments and programs, from its file descriptors."""
    links, progs = [], {}
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return links, progs
    for fd in fds:
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target in ("anon_inode:bpf_link", "anon_inode:bpf-link"):
            i = fdinfo(pid, fd)
            links.append({"kind": "link", "type": i.get("link_type"),
                          "tp": i.get("tp_name"), "prog_id": i.get("prog_id")})
        elif target == "anon_inode:[perf_event]":
            links.append({"kind": "perf_event"})
        elif target == "anon_inode:bpf-prog":
            i = fdinfo(pid, fd)
            if "prog_id" in i:
                progs[i["prog_id"]] = {"run_time_ns": int(i.get("run_time_ns", 0)),
                                       "run_cnt": int(i.get("run_cnt", 0))}
    return links, progs


def task_cpu_ns(pid):
    """CPU time of every thread of pid so far (schedstat: ns on CPU)."""
    total = 0
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return None
    for tid in tids:
        try:
            total += int(read("/proc/%d/task/%s/schedstat" % (pid, tid)).split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def vm_hwm_kb(pid):
    try:
        for line in read("/proc/%d/status" % pid).splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_busy(cpu, window=0.2):
    """Fraction of `window` seconds the CPU spent not idle (from /proc/stat)."""
    def sample():
        for line in read("/proc/stat").splitlines():
            f = line.split()
            if f[0] == "cpu%d" % cpu:
                v = [int(x) for x in f[1:]]
                return sum(v), v[3] + (v[4] if len(v) > 4 else 0)   # total, idle+iowait
        return 0, 0
    t0, i0 = sample()
    time.sleep(window)
    t1, i1 = sample()
    return 1.0 - (i1 - i0) / (t1 - t0) if t1 > t0 else 0.0


QUIET_WAIT_BUDGET = [180.0]     # seconds of waiting for a quiet CPU, over the whole run


def wait_quiet_cpu(cpu, limit=0.10, timeout=30.0):
    """Wait until CPU `cpu` is (nearly) idle: someone else's busy task there would
    share the storm's CPU. Returns a warning if it never got quiet."""
    t0 = time.monotonic()
    deadline = t0 + min(timeout, QUIET_WAIT_BUDGET[0])
    busy = cpu_busy(cpu)
    while busy > limit and time.monotonic() < deadline:
        time.sleep(1.0)
        busy = cpu_busy(cpu)
    QUIET_WAIT_BUDGET[0] = max(0.0, QUIET_WAIT_BUDGET[0] - (time.monotonic() - t0))
    return None if busy <= limit else "CPU %d was %.0f%% busy before the run" % (cpu, 100 * busy)


def foreign_hooks(hooks, own):
    """BPF programs of other processes (not pids in `own`) on the tracepoints
    `hooks` (bpftool perf: raw_tp, tp_btf and perf-event tracepoints alike).
    Another tracer there changes every configuration's cost, the baseline's
    too (e.g. any program on sys_enter sends all syscalls down the slow path)."""
    if not hooks:
        return []
    try:
        out = subprocess.run(["bpftool", "perf", "show", "-j"], capture_output=True,
                             text=True, timeout=20).stdout
        entries = json.loads(out or "[]")
    except (OSError, ValueError, subprocess.SubprocessError):
        return []
    found = []
    for e in entries:
        if e.get("tracepoint") in hooks and e.get("pid") not in own:
            try:
                comm = read("/proc/%d/comm" % e["pid"]).strip()
            except (OSError, KeyError, TypeError):
                comm = "?"
            found.append("%s (pid %s) on %s" % (comm, e.get("pid"), e["tracepoint"]))
    return sorted(set(found))


FOREIGN_WAIT_BUDGET = [300.0]   # seconds of waiting for other tracers to go, over the run


def wait_no_foreign(hooks, own, timeout=60.0):
    """Wait until no other process has BPF programs on `hooks`; a warning if one stays."""
    t0 = time.monotonic()
    deadline = t0 + min(timeout, FOREIGN_WAIT_BUDGET[0])
    found = foreign_hooks(hooks, own)
    while found and time.monotonic() < deadline:
        time.sleep(1.0)
        found = foreign_hooks(hooks, own)
    FOREIGN_WAIT_BUDGET[0] = max(0.0, FOREIGN_WAIT_BUDGET[0] - (time.monotonic() - t0))
    return None if not found else "another tracer was attached: " + ", ".join(found)


def prog_names():
    try:
        out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True,
                             text=True, timeout=20).stdout
        return {str(p["id"]): p.get("name", "?") for p in json.loads(out)}
    except (OSError, ValueError, subprocess.SubprocessError):
        return {}


# ---- one measurement -------------------------------------------------------------


class BenchError(Exception):
    pass


class Running:
    """A tracer started, attached and settled; stop() ends it with SIGINT."""

    def __init__(self, ctx, tracer, tag):
        self.tracer = tracer
        self.out = os.path.join(ctx.work, tag + ".out")
        self.err = os.path.join(ctx.work, tag + ".err")
        cpu = ctx.tracer_cpu
        with open(self.out, "wb") as o, open(self.err, "wb") as e:
            try:
                self.p = subprocess.Popen(tracer.argv(ctx), stdin=subprocess.DEVNULL, stdout=o,
                                          stderr=e,
                                          preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
            except OSError as err:
                raise BenchError("%s: cannot start: %s" % (tracer.key, err))
        self.pid = self.p.pid
        self.t_start = time.monotonic()
        try:
            self.links = self._wait_attached()
            self.t_attached = time.monotonic() - self.t_start
            self._wait_quiet()
            self.t_ready = time.monotonic() - self.t_start
        except BaseException:
            self.kill()
            raise

    def _alive(self):
        pid, _ = os.waitpid(self.pid, os.WNOHANG) if self.p.returncode is None else (0, 0)
        if pid:
            self.p.returncode = -1
            raise BenchError("%s exited before it attached: %s" % (
                self.tracer.key, read(self.err)[-400:].strip()))

    def _wait_attached(self, timeout=30.0, stable=0.3):
        """Attached: at least min_attach BPF links/perf events, unchanged for `stable` s."""
        deadline = time.monotonic() + timeout
        count, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            self._alive()
            links, _ = bpf_fds(self.pid)
            if len(links) != count:
                count, since = len(links), time.monotonic()
            elif count >= self.tracer.min_attach and time.monotonic() - since >= stable:
                return links
            time.sleep(0.02)
        raise BenchError("%s: not attached after %.0f s (%d attachments)" % (
            self.tracer.key, timeout, max(count, 0)))

    def _wait_quiet(self, window=0.2, busy_ns=2000000, timeout=5.0):
        """Settled: the tracer used < 2 ms of CPU over the last 200 ms (its startup
        work, e.g. reading /proc, is done and will not overlap the workload)."""
        deadline = time.monotonic() + timeout
        last = task_cpu_ns(self.pid)
        while time.monotonic() < deadline:
            time.sleep(window)
            self._alive()
            now = task_cpu_ns(self.pid)
            if now is not None and last is not None and now - last < busy_ns:
                return
            last = now

    def kill(self):
        if self.p.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.p.returncode = -9

    def stop(self, resend=5.0, timeout=20.0):
        """SIGINT (again every `resend` s), wait; SIGKILL after `timeout` s.
        Returns (exit status, rusage, warning or None)."""
        os.kill(self.pid, signal.SIGINT)
        t0 = time.monotonic()
        last = t0
        while time.monotonic() - t0 < timeout:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self.p.returncode = os.waitstatus_to_exitcode(status)
                late = time.monotonic() - t0 > resend
                return self.p.returncode, ru, (
                    "needed more than one SIGINT to exit" if late else None)
            if time.monotonic() - last > resend:
                os.kill(self.pid, signal.SIGINT)
                last = time.monotonic()
            time.sleep(0.02)
        os.kill(self.pid, signal.SIGKILL)
        _, status, ru = os.wait4(self.pid, 0)
        self.p.returncode = -9
        shutil.copy(self.err, self.err + ".killed")
        return -9, ru, "did not exit within %.0f s of SIGINT: killed (stderr kept in %s)" % (
            timeout, self.err + ".killed")


def run_workload(ctx, workload, size):
    argv = workload.argv(ctx, size)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise BenchError("%s failed (%d): %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise BenchError("%s: no JSON on stdout: %r" % (" ".join(argv), r.stdout[-200:]))


def measure(ctx, sc, tracer, size, tag, bpf_stats=False):
    """One run of the workload under one tracer configuration."""
    rec = {"tracer": tracer.key}
    run = Running(ctx, tracer, tag) if tracer.argv else None
    try:
        foreign = wait_no_foreign(sc.hooks, {run.pid} if run else set())
        busy = wait_quiet_cpu(ctx.workload_cpu)
        if run:
            cpu0 = task_cpu_ns(run.pid)
            _, progs0 = bpf_fds(run.pid)
        res = run_workload(ctx, sc.workload, size)
        if run:
            cpu1 = task_cpu_ns(run.pid)
            links, progs1 = bpf_fds(run.pid)
            hwm = vm_hwm_kb(run.pid)
            names = prog_names() if bpf_stats else {}
        foreign = foreign or wait_no_foreign(sc.hooks, {run.pid} if run else set(), 0)
    except BaseException:
        if run:
            run.kill()
        raise
    ops = sc.workload.ops(res)
    rec.update(ns_per_op=res["elapsed_ns"] / ops, ops=ops, workload=res)
    if foreign:
        rec["foreign"] = True
    for warn in (foreign, busy, sc.workload.check(res)):
        if warn:
            rec.setdefault("warnings", []).append(warn)
    if not run:
        return rec
    status, ru, stop_warning = run.stop()
    rec.update(
        tracer_exit=status,
        attached_s=round(run.t_attached, 3), ready_s=round(run.t_ready, 3),
        tracer_cpu_ns=cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None,
        tracer_cpu_total_ns=int((ru.ru_utime + ru.ru_stime) * 1e9),
        vm_hwm_kb=hwm, maxrss_kb=ru.ru_maxrss,
        attachments=[(a.get("tp") or a.get("type") or a["kind"]) for a in run.links],
        output_bytes=os.path.getsize(run.out))
    if stop_warning:
        rec.setdefault("warnings", []).append(stop_warning)
    elif status != 0:
        rec.setdefault("warnings", []).append(
            "exited %d: %s" % (status, read(run.err)[-300:].strip()))
    if bpf_stats:
        tps = {a.get("prog_id"): a.get("tp") for a in links}
        per = {}
        for pid_, s1 in progs1.items():
            s0 = progs0.get(pid_, {"run_time_ns": 0, "run_cnt": 0})
            cnt, ns = s1["run_cnt"] - s0["run_cnt"], s1["run_time_ns"] - s0["run_time_ns"]
            if cnt:
                name = names.get(pid_, "prog%s" % pid_)
                if name in per:
                    name = "%s#%s" % (name, pid_)
                per[name] = {
                    "hook": tps.get(pid_), "runs": cnt, "ns": ns, "ns_per_run": ns / cnt,
                    "runs_per_op": cnt / ops}
        rec["bpf"] = {"progs": per,
                      "ns_per_op": sum(p["ns"] for p in per.values()) / ops,
                      "runs_per_op": sum(p["runs"] for p in per.values()) / ops}
    return rec


# ---- summaries ---------------------------------------------------------------------


def med(xs):
    return statistics.median(xs) if xs else None


def quartiles(xs):
    if len(xs) < 2:
        return (xs[0], xs[0]) if xs else (None, None)
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def summarize(sc, rounds, stats_rounds):
    """rounds: list of {tracer key: record}; the same for stats_rounds."""
    keys = [k for k in sc.tracers if any(k in r for r in rounds)]
    good = {k: [r[k] for r in rounds if k in r and "error" not in r[k]] for k in keys}
    s = {}
    for k in keys:
        xs = [r["ns_per_op"] for r in good[k]]
        if not xs:
            s[k] = {"runs": 0}
            continue
        q1, q3 = quartiles(xs)
        e = {"runs": len(xs), "ns_per_op": xs, "median": med(xs), "min": min(xs),
             "max": max(xs), "q1": q1, "q3": q3}
        pairs = [(r[k]["ns_per_op"], r[sc.baseline]["ns_per_op"]) for r in rounds
                 if k in r and sc.baseline in r and "error" not in r[k]
                 and "error" not in r[sc.baseline]]
        if k != sc.baseline and pairs:
            d = [a - b for a, b in pairs]
            e.update(added_ns=med(d), added_min=min(d), added_max=max(d),
                     slowdown=med([a / b for a, b in pairs]))
        for f, out in (("tracer_cpu_ns", "tracer_cpu_ns_per_op"),):
            v = [r[f] / r["ops"] for r in good[k] if r.get(f) is not None]
            if v:
                e[out] = med(v)
        for f in ("tracer_cpu_total_ns", "vm_hwm_kb", "maxrss_kb", "ready_s"):
            v = [r[f] for r in good[k] if r.get(f) is not None]
            if v:
                e[f] = med(v)
        warns = sorted({w for r in good[k] for w in r.get("warnings", [])})
        if warns:
            e["warnings"] = warns
        st = [r[k]["bpf"] for r in stats_rounds if k in r and "bpf" in r[k]]
        if st:
            e["bpf_ns_per_op"] = med([b["ns_per_op"] for b in st])
            e["bpf_runs_per_op"] = med([b["runs_per_op"] for b in st])
            progs = {}
            for b in st:
                for name, p in b["progs"].items():
                    progs.setdefault(name, {"hook": p["hook"], "ns_per_run": [],
                                            "runs_per_op": []})
                    progs[name]["ns_per_run"].append(p["ns_per_run"])
                    progs[name]["runs_per_op"].append(p["runs_per_op"])
            e["bpf_progs"] = {n: {"hook": p["hook"], "ns_per_run": med(p["ns_per_run"]),
                                  "runs_per_op": med(p["runs_per_op"])}
                              for n, p in progs.items()}
        s[k] = e
    ref = s.get(sc.reference, {}).get("added_ns")
    ref_bpf = s.get(sc.reference, {}).get("bpf_ns_per_op")
    for k, e in s.items():
        if ref and ref > 0 and e.get("added_ns") is not None:
            e["ratio_vs_reference"] = e["added_ns"] / ref
        if ref_bpf and e.get("bpf_ns_per_op") is not None:
            e["bpf_ratio_vs_reference"] = e["bpf_ns_per_op"] / ref_bpf
    return s


# ---- output ----------------------------------------------------------------------


def fmt(v, spec="%.0f", none="-"):
    return none if v is None else spec % v


COLUMNS = [
    # header, markdown header, value
    ("config", "configuration", lambda t, e: t),
    ("ns/{u} med", "ns/{unit} (median)", lambda t, e: fmt(e.get("median"))),
    ("[min-max]", "min-max", lambda t, e: "%s-%s" % (fmt(e.get("min")), fmt(e.get("max")))
     if e.get("min") is not None else "-"),
    ("IQR", "IQR", lambda t, e: "%s-%s" % (fmt(e.get("q1")), fmt(e.get("q3")))
     if e.get("q1") is not None else "-"),
    ("added", "added ns/{unit}", lambda t, e: fmt(e.get("added_ns"), "%+.0f")),
    ("added [min-max]", "added min..max", lambda t, e: "%s..%s" % (
        fmt(e.get("added_min"), "%+.0f"), fmt(e.get("added_max"), "%+.0f"))
     if e.get("added_min") is not None else "-"),
    ("x {ref}", "added / {ref}'s", lambda t, e: fmt(e.get("ratio_vs_reference"), "%.2f")),
    ("slowdown", "slowdown", lambda t, e: fmt(e.get("slowdown"), "%.3fx")),
    ("BPF ns/{u}", "BPF ns/{unit} (bpf_stats)", lambda t, e: fmt(e.get("bpf_ns_per_op"), "%.0f")),
    ("BPF x {ref}", "BPF / {ref}'s", lambda t, e: fmt(e.get("bpf_ratio_vs_reference"), "%.2f")),
    ("tracer CPU ns/{u}", "tracer CPU ns/{unit}", lambda t, e: fmt(e.get("tracer_cpu_ns_per_op"),
                                                                    "%.2f")),
    ("peak RSS", "peak RSS (VmHWM)", lambda t, e: fmt(e.get("vm_hwm_kb") and e["vm_hwm_kb"] / 1024,
                                                      "%.1f MB")),
]


def headers(scen, md):
    unit = scen["workload"]["unit"]
    return [c[1 if md else 0].format(unit=unit, u=unit[:2], ref=scen["reference"])
            for c in COLUMNS]


def table_rows(scen):
    rows = []
    for k in scen["order"]:
        e = scen["summary"].get(k)
        if e is None:
            continue
        label = scen["labels"][k]
        if not e.get("runs"):
            rows.append([label] + ["(%s)" % scen.get("skipped", {}).get(k, "failed")] +
                        [""] * (len(COLUMNS) - 2))
            continue
        rows.append([c[2](label, e) for c in COLUMNS])
    for k, why in scen.get("skipped", {}).items():
        if k not in scen["summary"]:
            rows.append([scen["labels"].get(k, k), "skipped: " + why] + [""] * (len(COLUMNS) - 2))
    return rows


def print_table(scen, f=sys.stdout):
    print("\n== %s" % scen["title"], file=f)
    print("   %s; %s; %d rounds; workload on CPU %d, tracers on CPU %d" % (
        scen["workload"]["label"], scen["workload"]["size_text"], scen["rounds"],
        scen["workload_cpu"], scen["tracer_cpu"]), file=f)
    rows = [headers(scen, False)] + table_rows(scen)
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(len(COLUMNS))]
    for r in rows:
        print("  " + "  ".join(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i])
                               for i, v in enumerate(r)).rstrip(), file=f)
    for k in scen["order"]:
        for w in scen["summary"].get(k, {}).get("warnings", []):
            print("   warning (%s): %s" % (k, w), file=f)


def markdown(doc):
    out = []
    for scen in doc["scenarios"]:
        out.append("### %s\n" % scen["title"])
        out.append("%s; %s; %d rounds, workload on CPU %d, tracers on CPU %d.\n" % (
            scen["workload"]["label"], scen["workload"]["size_text"], scen["rounds"],
            scen["workload_cpu"], scen["tracer_cpu"]))
        out.append("| " + " | ".join(headers(scen, True)) + " |")
        out.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(COLUMNS))) + "|")
        for r in table_rows(scen):
            out.append("| " + " | ".join(r) + " |")
        progs = []
        for k in scen["order"]:
            ps = scen["summary"].get(k, {}).get("bpf_progs", {})
            busy = ["%s %.0f" % (p["hook"] or n, p["ns_per_run"]) for n, p in ps.items()
                    if p.get("runs_per_op", 1) >= 0.01]
            if busy:
                progs.append("%s: %s" % (scen["labels"][k], ", ".join(busy)))
        if progs:
            out.append("\nBPF ns per program run (bpf_stats, median; programs that ran at least "
                       "once per 100 %ss): " % scen["workload"]["unit"] +
                       "; ".join(progs) + ".")
        out.append("")
    return "\n".join(out)


# ---- machine ----------------------------------------------------------------------


def machine():
    model = "?"
    try:
        for line in read("/proc/cpuinfo").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return None

    def pkg(name):
        return version(["dpkg-query", "-W", "-f=${Version}", name])

    return {"nproc": os.cpu_count(), "kernel": platform.release(), "cpu_model": model,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "libbpf_tools": pkg("libbpf-tools"), "bpftrace": pkg("bpftrace")}


# ---- main --------------------------------------------------------------------------


def set_bpf_stats(value):
    path = "/proc/sys/kernel/bpf_stats_enabled"
    old = read(path).strip()
    with open(path, "w") as f:
        f.write(str(value))
    return old


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kscope", default=os.path.join(REPO, "build", "kscope"))
    ap.add_argument("--bin", default=os.path.join(REPO, "build", "bench"))
    ap.add_argument("--out", help="write the results (JSON) here")
    ap.add_argument("--scenario", action="append",
                    help="run only scenarios whose key contains this (repeatable); known: " +
                    ", ".join(s.key for s in SCENARIOS))
    ap.add_argument("--tracer", action="append",
                    help="only these tracer configurations (the baseline and reference are "
                         "always kept); known: " + ", ".join(TRACERS))
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--size", type=int, help="workload size (default: per scenario)")
    ap.add_argument("--bpf-stats-rounds", type=int, default=3,
                    help="rounds of the bpf_stats pass (0: none)")
    ap.add_argument("--no-bpf-stats", action="store_true")
    ap.add_argument("--workload-cpu", type=int, default=1)
    ap.add_argument("--tracer-cpu", type=int, default=0)
    ap.add_argument("--render", metavar="JSON", help="print the markdown tables of a results "
                    "file and exit")
    args = ap.parse_args()

    if args.render:
        with open(args.render) as f:
            print(markdown(json.load(f)))
        return 0

    if os.geteuid() != 0:
        print("bench: needs root (loads BPF programs)", file=sys.stderr)
        return 1
    ncpu = os.cpu_count() or 1
    if ncpu < 2:
        print("bench: one CPU only: workload and tracers share it", file=sys.stderr)
        args.workload_cpu = args.tracer_cpu = 0
    for c in (args.workload_cpu, args.tracer_cpu):
        if c >= ncpu:
            print("bench: no CPU %d here" % c, file=sys.stderr)
            return 1
    if not os.access(args.kscope, os.X_OK):
        print("bench: %s missing (make bench builds it)" % args.kscope, file=sys.stderr)
        return 1
    if args.no_bpf_stats:
        args.bpf_stats_rounds = 0

    work = os.path.join(args.bin, "out")
    os.makedirs(work, exist_ok=True)
    ctx = Ctx(os.path.abspath(args.kscope), os.path.abspath(args.bin), work,
              args.workload_cpu, args.tracer_cpu)
    # this script polls /proc while the workload runs: keep it off the workload's CPU
    os.sched_setaffinity(0, {ctx.tracer_cpu})

    scenarios = [s for s in SCENARIOS if (any(a in s.key for a in args.scenario)
                                          if args.scenario else s.default)]
    if not scenarios:
        print("bench: no such scenario", file=sys.stderr)
        return 1
    for sc in scenarios:
        p = sc.workload.argv(ctx, 1)[0]
        if not os.access(p, os.X_OK):
            print("bench: %s missing (make bench builds it)" % p, file=sys.stderr)
            return 1
    stats_on = read("/proc/sys/kernel/bpf_stats_enabled").strip()
    if stats_on != "0":
        print("bench: warning: kernel.bpf_stats_enabled is already %s: every BPF program "
              "costs more in the timed rounds" % stats_on, file=sys.stderr)

    doc = {"schema": SCHEMA, "machine": machine(), "settings": {
        "rounds": args.rounds, "bpf_stats_rounds": args.bpf_stats_rounds,
        "workload_cpu": ctx.workload_cpu, "tracer_cpu": ctx.tracer_cpu,
        "bpf_stats_enabled_during_rounds": stats_on != "0",
        "kscope": ctx.kscope}, "scenarios": []}
    t_all = time.monotonic()
    for sc in scenarios:
        size = args.size or sc.size
        keys, skipped = [], {}
        for k in sc.tracers:
            if args.tracer and k not in args.tracer and k not in (sc.baseline, sc.reference):
                continue
            why = TRACERS[k].needs(ctx)
            if why:
                skipped[k] = why
            else:
                keys.append(k)
        print("bench: %s: %s, %d rounds of %s" % (sc.key, sc.workload.describe(size),
                                                   args.rounds, ", ".join(keys)), file=sys.stderr)
        for k, why in skipped.items():
            print("bench:   skipping %s: %s" % (k, why), file=sys.stderr)

        def one(k, n, tag, stats=False, tries=3):
            """A measurement; again (up to `tries` in all) if another tracer was on
            the scenario's hooks, which makes it worthless."""
            for t in range(tries):
                try:
                    rec = measure(ctx, sc, TRACERS[k], n, tag, stats)
                except BenchError as e:
                    print("bench:   %s: %s" % (k, e), file=sys.stderr)
                    return {"tracer": k, "error": str(e)}
                if not rec.pop("foreign", False):
                    break
                print("bench:   %s: another tracer was attached%s" % (
                    k, ": measuring again" if t + 1 < tries else ""), file=sys.stderr)
            return rec

        # warm-up: page cache, first-load costs; results dropped
        for k in keys:
            one(k, max(1000, size // 10), "%s-%s-warmup" % (sc.key, k))
        rounds = []
        for r in range(args.rounds):
            order = keys[r % len(keys):] + keys[:r % len(keys)]
            rec = {}
            for k in order:
                rec[k] = one(k, size, "%s-%s" % (sc.key, k))
            rounds.append(rec)
            print("bench:   round %d/%d: %s" % (r + 1, args.rounds, "  ".join(
                "%s %s" % (k, fmt(rec[k].get("ns_per_op"))) for k in keys)), file=sys.stderr)
        stats_rounds = []
        if args.bpf_stats_rounds:
            old = set_bpf_stats(1)
            try:
                for r in range(args.bpf_stats_rounds):
                    stats_rounds.append({k: one(k, size, "%s-%s-stats" % (sc.key, k), True)
                                         for k in keys if TRACERS[k].argv})
            finally:
                set_bpf_stats(old)
        summary = summarize(sc, rounds, stats_rounds)
        scen = {
            "key": sc.key, "title": sc.title, "note": sc.note,
            "workload": {"key": sc.workload.key, "label": sc.workload.label,
                         "unit": sc.workload.unit, "size": size,
                         "size_text": sc.workload.describe(size),
                         "argv": sc.workload.argv(ctx, size)},
            "rounds": args.rounds, "workload_cpu": ctx.workload_cpu,
            "tracer_cpu": ctx.tracer_cpu, "baseline": sc.baseline, "reference": sc.reference,
            "order": keys, "skipped": skipped,
            "labels": {k: TRACERS[k].label for k in sc.tracers},
            "tracers": {k: {"label": TRACERS[k].label, "note": TRACERS[k].note,
                            "argv": TRACERS[k].argv(ctx) if TRACERS[k].argv else None}
                        for k in keys},
            "summary": summary, "raw": rounds, "raw_bpf_stats": stats_rounds,
        }
        doc["scenarios"].append(scen)
        print_table(scen)
        sys.stdout.flush()
    doc["settings"]["elapsed_s"] = round(time.monotonic() - t_all, 1)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print("\nbench: results in %s (%.0f s); `bench/run.py --render %s` prints them as "
              "markdown" % (args.out, doc["settings"]["elapsed_s"], args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""kbench.procfs: what /proc (and bpftool) say about a process and the machine: a
tracer's BPF attachments and programs, its CPU time and peak RSS, whether a CPU is quiet,
whether someone else's tracer is on the scenario's hooks; and the --wait-while Sentinel."""
import json
import os
import subprocess
import sys
import threading
import time

from .common import read


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


class Sentinel:
    """--wait-while NAME: processes whose name (comm) starts with NAME (e.g. the
    qemu-system-* of someone's VM tests, or someone else's kscope: ours, the
    descendants of this script, do not count) make a shared machine's numbers worthless.
    A thread looks for them every second; a measurement waits until there are none
    (up to a budget) and is repeated if one showed up while it ran."""

    def __init__(self, names, budget_s=3600.0):
        self.names = tuple(names)
        self.budget = budget_s
        self.last_seen = 0.0
        self.seen = ""
        if self.names:
            threading.Thread(target=self._watch, daemon=True).start()

    @staticmethod
    def _mine(pid, me):
        """pid is this script or one of its descendants (our own tracers), or runs under a
        tmux server of ours (kbench.top's views: a daemon, its parent is init; its socket
        is named kscope-bench-PID after this script's pid)"""
        for _ in range(8):
            if pid == me:
                return True
            try:
                stat = read("/proc/%d/stat" % pid)
                if "(tmux: server)" in stat and ("\0kscope-bench-%d\0" % me) in read(
                        "/proc/%d/cmdline" % pid):
                    return True
                pid = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                return False
            if pid <= 1:
                return False
        return False

    def present(self):
        me = os.getpid()
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                comm = read("/proc/%s/comm" % d).strip()
            except OSError:
                continue
            if comm.startswith(self.names) and not self._mine(int(d), me):
                return "%s (pid %s)" % (comm, d)
        return ""

    def _watch(self):
        while True:
            found = self.present()
            if found:
                self.last_seen, self.seen = time.monotonic(), found
            time.sleep(1.0)

    def wait(self):
        """Until none is there (or the budget is spent); returns the wait in s."""
        if not self.names:
            return 0.0
        t0 = time.monotonic()
        announced = False
        while self.present() and self.budget > 0:
            if not announced:
                print("bench:   waiting: %s is running" % self.present(), file=sys.stderr)
                announced = True
            time.sleep(5.0)
            self.budget -= 5.0
        # the watcher's last sighting must be behind us too
        while time.monotonic() - self.last_seen < 2.5 and self.budget > 0:
            time.sleep(1.0)
            self.budget -= 1.0
        return time.monotonic() - t0

    def since(self, t0):
        """Was one seen after monotonic time t0? (what, or "")"""
        return self.seen if self.names and self.last_seen >= t0 else ""


SENTINEL = Sentinel(())

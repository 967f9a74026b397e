# SPDX-License-Identifier: GPL-2.0
"""
kscope memory against workloads whose memory the test controls
(tests/workloads/faulter.c), on every hook path the kernel offers its fault
probe (x86's exceptions:page_fault_user as tp_btf, raw_tp and tracepoint;
fentry and a kprobe on handle_mm_fault elsewhere):

  * --faults RANGE: exactly the N pages written (minor write faults) and the
    M pages read (minor read faults) of a fixed mapping, each page once, in
    order, the workload's pid; -v names the hook;
  * the summary: a process's minor and major faults equal the kernel's own
    accounting of it (wait4's rusage), its write and read faults at least
    the pages it touched; --by thread and --by cgroup the same;
  * OOM: a process allocating past a 64 MiB memory cgroup limit (v1
    memory.limit_in_bytes here, v2 memory.max where the memory controller is
    on cgroup2) is killed: exactly one oom record naming it, the cgroup, its
    limit and usage at the limit; the kernel's oom_kill count for the cgroup
    moved by one; the reclaim stalls before it counted in --hist as in the row;
  * RSS: a process's peak within 5% of its own VmHWM;
  * bad input: one line, exit 2; nothing left attached.
"""
import os
import signal
import subprocess
import sys
import time

import pytest

import cgroups
import hooks
from conftest import WORKLOADS, bpf_objects, check_gone, check_usage_error

FAULTER = os.path.join(WORKLOADS, "faulter")
PAGE = os.sysconf("SC_PAGE_SIZE")
BASE = 0x200000000000          # the workload's fixed mapping (MAP_FIXED_NOREPLACE)

STAT_FIELDS = ("type", "ts_ns", "interval_ns", "pid", "comm", "faults", "read_faults",
               "write_faults", "exec_faults", "minor_faults", "major_faults", "rss_bytes",
               "rss_anon_bytes", "rss_file_bytes", "rss_shmem_bytes", "rss_peak_bytes",
               "direct_reclaims", "direct_reclaim_ns", "memcg_reclaims", "memcg_reclaim_ns",
               "oom_kills")
FAULT_FIELDS = ("type", "ts_ns", "pid", "tid", "ppid", "uid", "comm", "cgroup_id", "cpu",
                "address", "ip", "kind", "outcome")
OOM_FIELDS = ("type", "ts_ns", "pid", "tid", "ppid", "uid", "comm", "cgroup_id", "cpu",
              "victim_pid", "victim_tid", "victim_comm", "victim_uid", "victim_anon_rss_bytes",
              "victim_file_rss_bytes", "victim_shmem_rss_bytes", "victim_total_vm_bytes",
              "victim_oom_score_adj", "victim_memcg", "constraint", "memcg", "memcg_id",
              "limit_bytes", "usage_bytes", "failcnt", "reclaims", "reclaim_ns")

# hook paths of the fault probe (the command cannot run without it)
VARIANTS = hooks.variants_needing(hooks.mem_fault(), hooks.TP)


def run_counted(argv, cg=None):
    """Run argv (in memory cgroup cg if given) to its end: (pid, exit status, rusage)."""
    if cg is not None:
        argv = cg.argv(argv)
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = 0	# reaped here: keep Popen from waiting again
    return p.pid, status, ru


def traced(kscope, arg_lists, workload):
    """kscope memory -j -o FILE ARGS for each of arg_lists at once, each tracing; then
    workload(); then each stopped with SIGINT: (the Results, what workload returned)."""
    tracers = []
    try:
        for args in arg_lists:
            tracers.append(kscope.command("memory").start(args))
        out = workload()
    finally:
        results = [t.stop(signal.SIGINT) for t in tracers]
    for r in results:
        assert r.rc == 0, r
    return results, out


def row_of(res, key, value):
    rows = [r for r in res.of("memory_stat") if r.get(key) == value]
    assert len(rows) == 1, (key, value, res)
    return rows[0]


def probe_hook(stderr, probe):
    for line in stderr.splitlines():
        if line.startswith(f"kscope: probe {probe}: "):
            return line.split(": ", 2)[2]
    return None


# ---- 1. faults: exact, every hook path -----------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
def test_faults_in_range(kscope, variant):
    """1000 pages written, then 300 read, of a fixed mapping: exactly 1000 minor write
    faults and 300 minor read faults in the range, each page once, in order; the
    faults outside the range (the loader's, libc's) are not reported."""
    opts = hooks.options(variant)
    hook = hooks.plan(hooks.mem_fault(), variant)
    lo, hi = BASE, BASE + 2000 * PAGE
    res = kscope.command("memory").run(
        ["-v", *opts, "--faults", f"{lo:#x}-{hi:#x}"],
        program=[FAULTER, "touch", f"{BASE:x}", "1000", "300"])
    assert res.rc == 0, res
    got = probe_hook(res.stderr, "fault")
    assert got and got.startswith(hook + "/"), (hook, res.stderr)
    evs = res.of("fault")
    for e in evs:
        assert tuple(e) == FAULT_FIELDS, e
        assert lo <= e["address"] < hi and e["comm"] == "faulter", e
    pids = {e["pid"] for e in evs}
    assert len(pids) == 1, pids
    writes = [e["address"] for e in evs if (e["kind"], e["outcome"]) == ("write", "minor")]
    reads = [e["address"] for e in evs if (e["kind"], e["outcome"]) == ("read", "minor")]
    assert writes == [BASE + i * PAGE for i in range(1000)], writes[:5]
    assert reads == [BASE + (1000 + i) * PAGE for i in range(300)], reads[:5]
    assert len(evs) == 1300, [e for e in evs if e["outcome"] != "minor"][:5]


@pytest.mark.parametrize("variant", VARIANTS)
def test_summary_matches_rusage(kscope, variant):
    """The summary's minor and major faults of a process are the kernel's own
    accounting of it (wait4's ru_minflt, ru_majflt: it began while traced); its
    write and read faults at least the pages it wrote and read."""
    opts = hooks.options(variant)
    (res, byt), (pid, status, ru) = traced(
        kscope, [opts, [*opts, "--by", "thread"]],
        lambda: run_counted([FAULTER, "touch", f"{BASE + (1 << 32):x}", "2500", "700"]))
    assert status == 0
    for r, key in ((res, "pid"), (byt, "tid")):
        row = row_of(r, key, pid)
        assert (row["minor_faults"], row["major_faults"]) == (ru.ru_minflt, ru.ru_majflt), \
            (row, ru)
        assert row["write_faults"] >= 2500 and row["read_faults"] >= 700, row
        # every user fault of it succeeded: each is a minor or a major one
        assert row["minor_faults"] + row["major_faults"] >= row["faults"], row
        assert row["comm"] == "faulter" and row["oom_kills"] == 0, row
    assert tuple(row_of(res, "pid", pid)) == STAT_FIELDS


def test_text_table(kscope):
    """The text table: the process's line, its faults, the header."""
    res = kscope.command("memory").run(
        [], program=[FAULTER, "touch", f"{BASE + (2 << 32):x}", "100"], json_mode=False)
    assert res.rc == 0, res
    lines = res.rows.splitlines()
    assert lines[0].split() == ["PID", "COMM", "FAULTS", "WRITE", "MINFLT", "MAJFLT", "RSS",
                                "ANON", "FILE", "SHMEM", "PEAK", "RECLAIMS", "RECLAIM(ms)",
                                "OOM"], lines
    mine = [line.split() for line in lines[1:] if " faulter " in line]
    assert len(mine) == 1 and int(mine[0][3]) >= 100, lines


# ---- 2. OOM in a memory cgroup ----------------------------------------------------------

def oom_kills(cg):
    """The kernel's count of OOM kills in the cgroup: v1 memory.oom_control, v2
    memory.events."""
    name = "memory.events" if cg.ctl.version == 2 else "memory.oom_control"
    for line in cgroups.read(os.path.join(cg.path, name)).splitlines():
        k, v = line.split()
        if k == "oom_kill":
            return int(v)
    raise AssertionError(f"{cg.path}/{name}: no oom_kill")


def set_limit(cg, limit):
    if cg.ctl.version == 1:
        cgroups.write(os.path.join(cg.path, "memory.limit_in_bytes"), str(limit))
    else:
        cgroups.write(os.path.join(cg.path, "memory.max"), str(limit))
        swap = os.path.join(cg.path, "memory.swap.max")
        if os.path.exists(swap):
            cgroups.write(swap, "0")


def test_oom_in_memory_cgroup(kscope):
    """A process touching 256 MiB in a cgroup limited to 64 MiB is OOM-killed: one
    oom record, its victim the process, the cgroup and its limit the test's, usage at
    the limit; the kernel's oom_kill count moved by one; the victim's row counts the
    kill; --hist counts the reclaim stalls the row counts."""
    limit = 64 << 20
    with cgroups.child("memory", "memory", "kscope_oom") as cg:
        set_limit(cg, limit)
        cg_id = cg.id
        before = oom_kills(cg)
        (res, hist), (pid, status, _) = traced(
            kscope, [[], ["--hist"]], lambda: run_counted([FAULTER, "hog", "256"], cg))
        after = oom_kills(cg)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status
    assert after - before == 1, (before, after)
    ooms = res.of("oom")
    assert len(ooms) == 1, ooms
    o = ooms[0]
    assert tuple(o) == OOM_FIELDS, o
    assert (o["victim_pid"], o["victim_comm"], o["constraint"], o["memcg"]) == \
        (pid, "faulter", "memcg", cg.rel), o
    assert (o["memcg_id"], o["limit_bytes"]) == (cg_id, limit), o
    # the charge that failed did not fit: usage is at the limit, within a huge page
    assert limit - (2 << 20) <= o["usage_bytes"] <= limit, o
    assert o["victim_anon_rss_bytes"] > limit // 2, o
    assert o["victim_memcg"] == cg.rel, o
    if cg.ctl.version == 1:
        assert isinstance(o["failcnt"], int) and o["failcnt"] > 0, o
    row = row_of(res, "pid", pid)
    assert row["oom_kills"] == 1, row
    # the victim triggered its own OOM: the record's stalls are those of its row before
    # the kill (a killed task may stall again until it dies)
    assert 0 < o["reclaims"] <= row["memcg_reclaims"] + row["direct_reclaims"], (row, o)
    assert 0 < o["reclaim_ns"] <= row["memcg_reclaim_ns"] + row["direct_reclaim_ns"], (row, o)
    hs = [h for h in hist.of("hist") if h.get("name") == "memory_reclaim" and h["pid"] == pid]
    assert len(hs) == 1 and hs[0]["count"] == row["memcg_reclaims"] + row["direct_reclaims"], \
        (hs, row)


# ---- 3. RSS -----------------------------------------------------------------------

# Touches 160 MiB, waits for a report of kscope's to read that, then execs its
# arguments: the new program's peak starts anew (the kernel keeps the old size in the
# process's maxrss, getrusage's ru_maxrss, across the exec)
BIG_THEN_EXEC = ("import os, sys, time; b = b'x' * (160 << 20); time.sleep(1.5); "
                 "os.execv(sys.argv[1], sys.argv[1:])")


def test_rss_peak_is_vmhwm(kscope, tmp_path):
    """A process that touches 96 MiB and sleeps: its RSS now and its peak while traced
    are within 5% of its own VmRSS and VmHWM, read while it sleeps; not the 160 MiB
    that the process had before its exec."""
    tr = kscope.command("memory").start(["1"])
    try:
        p = subprocess.Popen([sys.executable, "-c", BIG_THEN_EXEC, FAULTER, "hog", "96", "3"],
                             stdin=subprocess.DEVNULL)
        hwm = rss = 0
        deadline = time.monotonic() + 60
        while rss < (96 << 20) and time.monotonic() < deadline:
            time.sleep(0.2)
            with open(f"/proc/{p.pid}/status") as f:
                st = dict(line.split(":", 1) for line in f)
            if st["Name"].strip() != "faulter":
                continue	# not exec'd yet
            hwm = int(st["VmHWM"].split()[0]) << 10
            rss = int(st["VmRSS"].split()[0]) << 10
        time.sleep(2.2)		# two of kscope's reports while it sleeps
        assert p.wait(60) == 0
    finally:
        res = tr.stop(signal.SIGINT)
    assert res.rc == 0, res
    rows = [r for r in res.of("memory_stat") if r["pid"] == p.pid]
    before = [r for r in rows if r["comm"] != "faulter"]
    rows = [r for r in rows if r["comm"] == "faulter"]
    assert before and rows, res
    # the reports before the exec saw the 160 MiB; those after, the program's own peak
    assert max(r["rss_peak_bytes"] for r in before) >= 160 << 20, before
    peak = max(r["rss_peak_bytes"] for r in rows)
    assert abs(peak - hwm) <= hwm * 0.05, (peak, hwm, rows)
    # the largest RSS a report read: while it slept (a report during its growth reads less)
    assert abs(max(r["rss_bytes"] for r in rows) - rss) <= rss * 0.05, (rss, rows)


def test_by_cgroup(kscope):
    """--by cgroup: the memory cgroup's row has its only process's faults (minor and
    major as the kernel accounted them) and its usage; the path is the cgroup's."""
    with cgroups.child("memory", "memory", "kscope_memcg") as cg:
        (res,), out = traced(
            kscope, [["--by", "cgroup"]],
            lambda: (cg.id,) + run_counted([FAULTER, "touch", f"{BASE + (3 << 32):x}", "3000"],
                                           cg))
    cg_id, pid, status, ru = out
    assert status == 0
    row = row_of(res, "cgroup_id", cg_id)
    assert row["cgroup"] == cg.rel, row
    # the faults it made before its shell moved it there are its old cgroup's
    assert 3000 <= row["minor_faults"] + row["major_faults"] <= ru.ru_minflt + ru.ru_majflt, \
        (row, ru)
    assert row["write_faults"] >= 3000, row


# ---- 4. bad input, cleanup ------------------------------------------------------------

@pytest.mark.parametrize("args, msg", [
    (["--faults", "0x1000"], "invalid --faults '0x1000'"),
    (["--faults", "0x2000-0x1000"], "invalid --faults"),
    (["--faults", "zz-0x1000"], "invalid --faults"),
    (["--by", "device"], "invalid --by 'device'"),
    (["--events", "--hist"], "--events streams faults"),
    (["--faults", "1-2", "--by", "thread"], "--faults streams faults"),
    (["-s", "bytes"], None),
])
def test_bad_input(args, msg):
    check_usage_error("memory", args, msg)


def test_nothing_left_attached(kscope):
    tr = kscope.command("memory").start(["--events"])
    owned = bpf_objects(tr.pid)
    assert owned["prog"] and owned["link"], owned
    res = tr.stop(signal.SIGINT)
    assert res.rc == 0, res
    check_gone(owned)

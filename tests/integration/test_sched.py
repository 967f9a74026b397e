# SPDX-License-Identifier: GPL-2.0
"""
`kscope sched` on the real kernel, checked against the kernel's own
accounting: the burn workload (tests/workloads/burn.c) reads, about each of
its threads asleep at its finish line, its CPU time (the thread's CPU clock,
se.sum_exec_runtime), /proc/self/task/TID/schedstat (run-queue wait) and its
voluntary/nonvoluntary context switches, and writes them to an INFO file;
kscope's numbers for those exact tids must agree.

Tolerances, and why they cannot be zero:
  * CPU time: kscope reads se.sum_exec_runtime, the same counter the thread
    CPU clock reads, but at the thread's last switch-out, after burn's
    reading (the thread still wakes and exits): kscope >= the reading, and
    at most 2% more (measured here: ~0.1%).
  * Switch counts: a thread asleep makes no switch, so after the reading
    it only wakes and exits: its final switch-out as a dead task is
    voluntary (+1), and a busy neighbour can preempt it on its way out.
    kscope - recorded is allowed 0..2 for voluntary and 0..5 for
    involuntary (measured here, with two busy loops beside the tests:
    voluntary +1 in 337 of 337 rows, involuntary +0 in 254 and +1 in 83).
    When the threads read themselves, a thread still reading preempted the
    others between their reading and their exit: +14 involuntary on the
    emulated 6.1 amd64 guest of a clean-clone run.
  * This VM's sandbox agent (pid 1, threads "tokio-rt-worker") makes
    context switches that the sched_switch tracepoint never reports: its
    threads leave a CPU unseen. kscope finds each such switch (the next
    reported switch on that CPU does not start from the task it saw
    arrive), counts it for the tasks it involves ("unreported_switches")
    and warns only when a task it reports on is affected, with that count
    exactly (checked by every run below); per CPU, the time after such a
    switch is "unknown_ns", neither busy nor idle. A missed switch *to* one
    of our threads costs it a switch-in and the wait before it, never a
    switch-out: the asserts below allow exactly that and say so where it
    matters.
"""
import json
import os
import re
import secrets
import signal
import time

import pytest

from conftest import (HOOK_VARIANTS, SETPRIV_NOBODY, TIMEOUT, Kscope, bpf_objects, bpftool_list,
                      check_gone, cli, cgroup_id_of, expected_prio, parse_ndjson,
                      wait_sleeping, workload)


TASK_FIELDS = ("type", "ts_ns", "interval_ns", "pid", "tid", "comm", "uid", "cgroup_id", "cgroup",
               "cpu_ns", "switches", "voluntary", "involuntary", "unreported_switches",
               "runq_count", "runq_avg_ns", "runq_p50_ns", "runq_p99_ns", "runq_max_ns", "cpus")
PROCESS_FIELDS = ("type", "ts_ns", "interval_ns", "pid", "threads", "comm", "uid", "cgroup_id",
                  "cgroup", "cpu_ns", "switches", "voluntary", "involuntary",
                  "unreported_switches", "runq_count", "runq_avg_ns", "runq_p50_ns",
                  "runq_p99_ns", "runq_max_ns", "cpus")
CGROUP_FIELDS = ("type", "ts_ns", "interval_ns", "cgroup_id", "cgroup", "threads", "cpu_ns",
                 "switches", "voluntary", "involuntary", "unreported_switches", "runq_count",
                 "runq_avg_ns", "runq_p50_ns", "runq_p99_ns", "runq_max_ns", "cpus")
# what a sched_cgroup row sums over its threads' sched_task rows (runq_max_ns: the largest)
SUMMED = ("cpu_ns", "switches", "voluntary", "involuntary", "unreported_switches",
          "runq_count")
CPU_FIELDS = ("type", "ts_ns", "interval_ns", "cpu", "busy_ns", "idle_ns", "unknown_ns",
              "switches", "runq_count", "runq_avg_ns", "runq_p50_ns", "runq_p99_ns",
              "runq_max_ns")
SWITCH_FIELDS = ("type", "ts_ns", "pid", "tid", "ppid", "uid", "comm", "cgroup_id", "cpu",
                 "prev_state", "prev_prio", "next_comm", "next_pid", "next_tid", "next_prio")
PREV_STATES = {"R", "R+", "S", "D", "T", "t", "X", "Z", "P", "I"}

CPU_TOL = 0.02          # kscope's cpu_ns vs schedstat (see the module docstring)
SWITCH_SLACK = 2        # kscope's voluntary - recorded, at most
# involuntary: preemptions between the reading and the exit depend on what
# else runs; on a loaded 2-CPU machine (a benchmark beside the tests) +3 was seen
INVOL_SLACK = 5
POST_READ_NS = 0        # CPU time after the reading, beyond CPU_TOL
RUNQ_APART_CAP = 500_000  # two threads apart wait less than this on average
# On an emulated CPU (the VM matrix's runner sets KSCOPE_TEST_ACCEL=tcg there)
# what follows a thread's reading (its wake and exit) runs 10-50x slower,
# long enough for a few more switches and milliseconds of CPU: measured there
# up to +5 switches and +10 ms. Only these upper bounds widen; kscope never
# below the kernel's reading holds everywhere.
if os.environ.get("KSCOPE_TEST_ACCEL") == "tcg":
    SWITCH_SLACK = INVOL_SLACK = 8
    POST_READ_NS = 20_000_000
    RUNQ_APART_CAP = None   # emulated time: only the ratio to "together" holds
# the warnings about switches the kernel did not report (see the docstring)
UNREPORTED_RE = re.compile(
    r"^kscope: the kernel did not report (\d+) switches in or out of the traced tasks "
    r"\(sched_switch; most: tid \d+ .{0,60}, \d+\): their SWITCHES, VOL and INVOL are low by "
    r"that much \(\"unreported_switches\" with -j\); CPU time is the kernel's own and exact$")
UNKNOWN_RE = re.compile(
    r"^kscope: the kernel switched tasks without reporting it \(sched_switch\): (\S+) of "
    r"CPU time after those switches is counted neither busy nor idle "
    r"\(\"unknown_ns\" with -j\)$")
HIST_MISSED_RE = re.compile(
    r"^kscope: the kernel did not report (\d+) switches in or out of the traced tasks "
    r"\(sched_switch\): up to that many run-queue latencies are missing$")
MISSED_RES = (UNREPORTED_RE, UNKNOWN_RE, HIST_MISSED_RE)

# the probes of `kscope sched`: -v names each one's hook
SCHED_PROBES = ("switch", "wakeup", "wakeup-new", "exit", "exec")


def possible_cpus():
    with open("/sys/devices/system/cpu/possible") as f:
        return int(f.read().strip().split(",")[-1].split("-")[-1]) + 1


NCPUS = possible_cpus()


# ---- running kscope sched and burn ----------------------------------------------

class Burn:
    """What burn recorded: its pid and, per worker tid, the kernel's accounting."""

    def __init__(self, path):
        with open(path) as f:
            lines = [line.split() for line in f.read().splitlines() if line.strip()]
        self.pid = int(lines[0][0])
        self.threads = {}
        for tid, cpu_ns, wait_ns, vol, invol in lines[1:]:
            self.threads[int(tid)] = {"cpu_ns": int(cpu_ns), "wait_ns": int(wait_ns),
                                      "voluntary": int(vol), "involuntary": int(invol)}

    @property
    def tids(self):
        return set(self.threads)


class Sched(Kscope):
    """Runs `kscope sched -j -o FILE ARGS [-- PROGRAM]` in the test's directory (conftest's
    runner); a run of one period (no interval) is checked by check_unreported."""

    command_name = "sched"

    def run(self, args, program=None, json_mode=True, env=None):
        res = super().run(args, program, json_mode, env=env)
        if json_mode and res.rc == 0 and not any(a[:1].isdigit() for a in args):
            check_unreported(res)
        return res

    def burn(self, args, nthreads, ms, cpus=(), burn_opts=(), prefix=()):
        """kscope sched ARGS -- [PREFIX] burn INFO NTHREADS MS [CPU...]: (Result, Burn)."""
        self.n += 1
        info = self.path(f"burn-{self.n}.info")
        res = self.run(args, program=[*prefix, workload("burn"), *burn_opts, info, str(nthreads),
                                      str(ms), *map(str, cpus)])
        assert os.path.exists(info), f"burn did not finish: {res}"
        b = Burn(info)
        assert len(b.threads) == nthreads, b.threads
        return res, b


@pytest.fixture
def sched(tmp_path):
    return Sched(str(tmp_path))


def check_unreported(res):
    """
    One period (no interval): the warning about unreported switches is there
    exactly when a row reported on is affected, and says by how much in all.
    """
    tasks = res.of("sched_task") or res.of("sched_process") or res.of("sched_cgroup")
    said = [int(m[1]) for m in map(UNREPORTED_RE.match, res.stderr.splitlines()) if m]
    if tasks:
        total = sum(r["unreported_switches"] for r in tasks)
        assert said == ([total] if total else []), (total, res.stderr)
    cpus = res.of("sched_cpu")
    if cpus:
        unknown = any(map(UNKNOWN_RE.match, res.stderr.splitlines()))
        assert unknown == (sum(r["unknown_ns"] for r in cpus) > 0), (cpus, res.stderr)


def check_stderr(stderr, verbose=False, tracer=False):
    """Nothing on stderr but -v's lines and the unreported-switches notes (see above)."""
    for line in stderr.splitlines():
        if any(r.match(line) for r in MISSED_RES):
            continue
        if tracer and line == "Tracing the scheduler... Hit Ctrl-C to end.":
            continue
        if verbose and (line.startswith("kscope: probe ") or line.startswith("libbpf: ")):
            continue
        raise AssertionError(f"unexpected stderr line {line!r} in {stderr!r}")


def probe_hooks(stderr):
    """-v: {probe: "HOOK/TARGET ..."}"""
    lines = {}
    for line in stderr.splitlines():
        if line.startswith("kscope: probe "):
            name, rest = line[len("kscope: probe "):].split(": ", 1)
            lines[name] = rest
    return lines


def check_fields(row, fields):
    missing = [f for f in fields if f not in row]
    assert not missing, f"{row['type']} lacks {missing}: {row}"
    for f in fields:
        if f in ("type", "comm", "cgroup", "cpus", "next_comm", "prev_state"):
            continue
        assert isinstance(row[f], int) and not isinstance(row[f], bool), (f, row)
        if f not in ("prev_prio", "next_prio"):
            assert row[f] >= 0, (f, row)


def check_metrics(row):
    """What holds for any sched_task / sched_process / sched_cpu row."""
    assert row["runq_max_ns"] >= row["runq_p99_ns"] >= row["runq_p50_ns"] >= 0, row
    if row["runq_count"]:
        # the mean lies between the smallest and the largest wait
        assert row["runq_avg_ns"] <= row["runq_max_ns"], row
        assert row["runq_max_ns"] > 0, row
    else:
        assert row["runq_avg_ns"] == row["runq_p50_ns"] == row["runq_max_ns"] == 0, row
    if "cpus" in row:
        assert row["cpus"] == sorted(set(row["cpus"])), row
        assert all(isinstance(c, int) and 0 <= c < NCPUS for c in row["cpus"]), row


def task_rows(res):
    rows = res.of("sched_task")
    assert [r["type"] for r in res.rows] == ["sched_task"] * len(rows), res.rows
    for r in rows:
        check_fields(r, TASK_FIELDS)
        check_metrics(r)
    return rows


def by_tid(rows):
    out = {}
    for r in rows:
        assert r["tid"] not in out, f"two rows for tid {r['tid']}: {rows}"
        out[r["tid"]] = r
    return out


def check_cpu_time(row, rec, exact_start=True):
    """kscope's cpu_ns vs the thread's schedstat reading (see the docstring)."""
    got, want = row["cpu_ns"], rec["cpu_ns"]
    assert abs(got - want) <= CPU_TOL * want + POST_READ_NS, \
        f"cpu_ns {got} vs schedstat {want}: {row}"
    if exact_start:
        # seen from its birth: kscope also has what ran after the reading
        assert got >= want, f"cpu_ns {got} < schedstat {want}: {row}"


def check_switch_counts(row, rec):
    for k, slack in (("voluntary", SWITCH_SLACK), ("involuntary", INVOL_SLACK)):
        extra = row[k] - rec[k]
        assert 0 <= extra <= slack, f"{k}: kscope {row[k]}, kernel {rec[k]}: {row}"


def check_workers(rows, b, exact_start=True):
    """The rows of burn's workers: one each, burn's pid, comm burn, kernel's numbers."""
    tids = by_tid(rows)
    for tid, rec in b.threads.items():
        assert tid in tids, f"no row for worker {tid}: {rows}"
        r = tids[tid]
        assert r["pid"] == b.pid and r["comm"] == "burn", r
        check_cpu_time(r, rec, exact_start)
        check_switch_counts(r, rec)
    return tids


# ---- a: CPU time, b: switch counts, d: on every hook path ------------------------

@pytest.mark.parametrize("variant", list(HOOK_VARIANTS))
def test_cpu_time_and_switches(sched, variant):
    """
    burn 3 threads x 300 ms: per worker, cpu_ns agrees with schedstat and
    voluntary/involuntary with /proc/.../status (the documented slack), on
    each hook path. On the plain tracepoint path a task's accounting starts
    at its first switch-out (no task pointer for a task not seen yet), and
    a thread that never blocked before burning would lose its first time
    slice (measured: up to 1.9% of 300 ms): burn -s has every thread sleep
    1 ms before burning, so only its start-up is lost there and the same
    2% holds. The first switch-out is itself counted (prev is current).
    """
    opts, hook = HOOK_VARIANTS[variant]
    tracepoint = variant == "tracepoint"
    res, b = sched.burn(["-v", *opts], 3, 300, burn_opts=["-s"] if tracepoint else [])
    assert res.rc == 0, res
    check_stderr(res.stderr, verbose=True)
    hooks = probe_hooks(res.stderr)
    for probe in SCHED_PROBES:
        assert probe in hooks, f"-v did not report probe {probe}: {res.stderr!r}"
        assert hooks[probe].startswith(hook + "/"), (probe, hooks[probe])
    target = {"tp_btf": "tp_btf/sched_switch", "raw_tp": "raw_tp/sched_switch",
              "tracepoint": "tracepoint/sched/sched_switch"}[hook]
    assert hooks["switch"].split()[0] == target, hooks["switch"]

    rows = task_rows(res)
    # -- PROGRAM: burn's threads and nothing else
    assert {r["pid"] for r in rows} == {b.pid}, rows
    assert {r["tid"] for r in rows} <= b.tids | {b.pid}, rows
    tids = check_workers(rows, b, exact_start=not tracepoint)
    for tid in b.tids:
        r = tids[tid]
        assert r["interval_ns"] > 0 and r["ts_ns"] > 0, r
        # each of these switch-outs began a wait that ended in a switch-in, except the
        # last (the exit); a switch-in the kernel did not report lowers both counts
        assert r["runq_count"] <= r["switches"] <= r["voluntary"] + r["involuntary"], r
        if not tracepoint:
            # a worker runs first through wake_up_new_task: every switch-in ends a wait
            assert r["runq_count"] == r["switches"], r
        assert r["runq_count"] > 0, r
    # the same run end to end: one period for every row
    assert len({(r["ts_ns"], r["interval_ns"]) for r in rows}) == 1, rows
    assert rows[0]["interval_ns"] <= res.wall_ns, (rows[0], res.wall_ns)


# ---- c: run-queue latency ----------------------------------------------------------

def test_runq_latency(sched):
    """
    Two threads pinned to one CPU wait for each other (EEVDF slices:
    ~1.4 ms here); the same two on two CPUs hardly wait at all. On a shared
    VM the second CPU may be busy with someone else's work (a benchmark, a
    build), and then an ordinary thread there waits for time slices too: so
    the two-CPU run is made with SCHED_FIFO threads (chrt), which no ordinary
    task delays; what they still wait for is the wakeup itself.
    """
    res, b = sched.burn([], 2, 200, cpus=(0, 0))
    assert res.rc == 0, res
    check_stderr(res.stderr)
    tids = check_workers(task_rows(res), b)
    together = []
    for tid, rec in b.threads.items():
        r = tids[tid]
        assert 0 in r["cpus"], r
        assert r["runq_count"] > 10, r
        assert r["runq_avg_ns"] >= 500_000, r
        assert r["runq_max_ns"] >= r["runq_p99_ns"] >= r["runq_p50_ns"] > 0, r
        # The sum of the waits kscope saw vs schedstat's run_delay: not equal, because
        # kscope measures from the wakeup tracepoint (or the preempting switch-out) to
        # the switch-in, schedstat from the enqueue (sched_info_enqueue) to
        # sched_info_arrive, which differ for wakeups of tasks still on the run queue
        # (EEVDF delayed dequeue) and by where each clock is read; burn reads schedstat
        # before its last waits (at the barrier, before the exit); and a switch-in the
        # kernel did not report (see the docstring) loses its wait for kscope. Here the
        # waits are ~all preemptions of one thread by the other, so the sums are close.
        seen = r["runq_avg_ns"] * r["runq_count"]       # avg is rounded down
        assert abs(seen - rec["wait_ns"]) <= 0.2 * rec["wait_ns"], (r, rec)
        together.append(r["runq_avg_ns"])
    limit = min(together) / 5
    if RUNQ_APART_CAP is not None:
        limit = min(limit, RUNQ_APART_CAP)

    # Apart, as real-time threads: each attempt must be consistent, and (against a
    # stray real-time task of someone else's) one of three must show the small latency.
    attempts = []
    for _ in range(3):
        res, b = sched.burn([], 2, 200, cpus=(0, 1), prefix=["chrt", "-f", "10"])
        assert res.rc == 0, res
        tids = check_workers(task_rows(res), b)
        (t0, t1) = list(b.threads)      # in burn's order: thread i on CPU[i % 2]
        assert 0 in tids[t0]["cpus"] and 1 in tids[t1]["cpus"], (tids[t0], tids[t1])
        avgs = [tids[t]["runq_avg_ns"] for t in (t0, t1)]
        for t in (t0, t1):
            assert tids[t]["runq_count"] > 0, tids[t]
        attempts.append(avgs)
        if max(avgs) < limit:
            break
    else:
        pytest.fail(f"two threads on two CPUs: run-queue averages {attempts} (ns), never all "
                    f"below {limit:.0f} (together: {together})")


# ---- e: --by process ----------------------------------------------------------------

def test_by_process(sched):
    res, b = sched.burn(["--by", "process"], 3, 300)
    assert res.rc == 0, res
    check_stderr(res.stderr)
    assert [r["type"] for r in res.rows] == ["sched_process"], res.rows
    (p,) = res.rows
    check_fields(p, PROCESS_FIELDS)
    check_metrics(p)
    assert p["pid"] == b.pid and p["comm"] == "burn" and p["uid"] == 0, p
    assert p["threads"] == 4, p           # main + 3 workers
    total = sum(t["cpu_ns"] for t in b.threads.values())
    # the workers' CPU time, plus main's (exec, thread creation: a little, but up to
    # some 60 ms under an emulated CPU: the amd64 guest of the VM matrix runs on TCG)
    assert total * (1 - CPU_TOL) <= p["cpu_ns"] <= total * 1.05 + 100_000_000, (p, total)
    for k in ("voluntary", "involuntary"):
        assert p[k] >= sum(t[k] for t in b.threads.values()), (k, p)
    assert p["switches"] >= p["runq_count"] > 0, p


# ---- e2: --by cgroup ------------------------------------------------------------------

def in_cgroup(cgroup, *cmd):
    """cmd run by a shell that first moves itself into cgroup: the same task, which
    began (and ran a little) in the test's own cgroup, then execs cmd there."""
    return ["/bin/sh", "-c", 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', "sh",
            cgroup, *cmd]


def ctxt_switches(pid):
    """The kernel's (voluntary, nonvoluntary) context switches of a live thread."""
    with open(f"/proc/{pid}/status") as f:
        v = dict(line.split(":", 1) for line in f if "ctxt_switches" in line)
    return int(v["voluntary_ctxt_switches"]), int(v["nonvoluntary_ctxt_switches"])


def cgroup_rows(res):
    rows = res.of("sched_cgroup")
    assert len(rows) == len(res.rows), res.rows
    for p in periods(rows):
        assert len({r["cgroup_id"] for r in p}) == len(p), f"a cgroup twice in a period: {p}"
    for r in rows:
        check_fields(r, CGROUP_FIELDS)
        check_metrics(r)
        assert not {"pid", "tid", "comm", "uid"} & set(r), r
        assert r["threads"] > 0, r
    return rows


@pytest.mark.parametrize("interval", [[], ["1"]], ids=["end", "interval"])
def test_by_cgroup(bg, sched, cgroup, interval):
    """
    Two processes in a fresh cgroup, traced from their birth: burn (main + 3
    workers, all exited at the end) and a sleep still asleep at the end. Each
    began in the test's cgroup and moved itself: all of it counts in the new
    one. The same run is traced per thread by a second kscope (no interval):
    the cgroup's row is exactly its threads' rows summed (both see the same
    switches), and those threads are exactly the workload's; the sleep's
    switch counts are exactly the kernel's (a switch-out is never missed:
    see the docstring), burn's workers' those of test_cpu_time_and_switches.
    """
    cgid = os.stat(cgroup).st_ino
    own = cgroup_id_of()
    assert own != cgid
    ms = 1500 if interval else 200       # with an interval: over a few periods
    info = sched.path("cg.info")
    grouped = sched.start(["--by", "cgroup", *interval])
    try:
        threads = sched.start([])
        try:
            burn = bg.start(in_cgroup(cgroup, workload("burn"), info, "3", str(ms)))
            sleeper = bg.start(in_cgroup(cgroup, "sleep", "600"))
            assert burn.wait(TIMEOUT) == 0, "burn failed"
            wait_sleeping(sleeper.pid)
            # asleep from here to the end: its counts are final
            vol, invol = ctxt_switches(sleeper.pid)
        finally:
            per_thread = threads.stop()
    finally:
        res = grouped.stop()
    for r in (res, per_thread):
        assert r.rc == 0, r
        check_stderr(r.stderr, tracer=True)
    if not interval:
        check_unreported(res)
    check_unreported(per_thread)
    b = Burn(info)
    assert len(b.threads) == 3 and b.pid == burn.pid, b.threads

    tasks = task_rows(per_thread)
    ours = [r for r in tasks if r["cgroup_id"] == cgid]
    want = {b.pid, sleeper.pid} | b.tids
    assert sorted(r["tid"] for r in ours) == sorted(want), ours
    assert all(r["cgroup"] == "/" + os.path.basename(cgroup) for r in ours), ours
    tids = by_tid(ours)
    assert (tids[sleeper.pid]["voluntary"], tids[sleeper.pid]["involuntary"]) == (vol, invol), \
        (tids[sleeper.pid], vol, invol)
    check_workers([tids[t] for t in b.tids], b)

    rows = cgroup_rows(res)
    mine = [r for r in rows if r["cgroup_id"] == cgid]
    assert mine, rows
    assert all(r["cgroup"] == "/" + os.path.basename(cgroup) for r in mine), mine
    if interval:
        assert len(mine) >= 2, mine
        for p in periods(rows):
            assert len({(r["ts_ns"], r["interval_ns"]) for r in p}) == 1, p
        for r in mine:
            assert 1 <= r["threads"] <= len(want), r
    else:
        (row,) = mine
        assert row["threads"] == len(want), (row, ours)
        # the largest wait, as each run timed it (each reads the clock itself: a few
        # microseconds apart)
        top = max(r["runq_max_ns"] for r in ours)
        assert abs(row["runq_max_ns"] - top) <= 0.05 * top, (row, ours)
        assert row["cpus"] == sorted(set().union(*(r["cpus"] for r in ours))), (row, ours)
    # the cgroup's counts are its threads', exactly; CPU time is read at different
    # moments by the two runs (the workers' final slices), within the usual tolerance
    got = {k: sum(r[k] for r in mine) for k in SUMMED}
    sums = {k: sum(r[k] for r in ours) for k in SUMMED}
    for k in SUMMED:
        if k == "cpu_ns":
            assert abs(got[k] - sums[k]) <= CPU_TOL * sums[k], (k, got, sums)
        elif k != "unreported_switches":    # each run finds its own unreported ones
            assert got[k] == sums[k], (k, got, sums)
    assert got["cpu_ns"] >= sum(rec["cpu_ns"] for rec in b.threads.values()) > 0, got
    assert got["voluntary"] >= vol + sum(rec["voluntary"] for rec in b.threads.values()), got
    # the test's own cgroup (where kscope runs too) has a row of its own, not ours
    home = [r for r in rows if r["cgroup_id"] == own]
    assert home and all(r["cgroup"] != mine[0]["cgroup"] for r in home), home


def test_by_cgroup_text(sched, cgroup):
    info = sched.path("cgt.info")
    res = sched.run(["--by", "cgroup"], program=in_cgroup(cgroup, workload("burn"), info, "2",
                                                          "100"), json_mode=False)
    assert res.rc == 0, res
    check_stderr(res.stderr)
    lines = res.rows.splitlines()
    assert lines[0].split() == ["CGROUP", "THREADS", "CPU", "SWITCHES", "VOL", "INVOL",
                                "RUNQ-AVG", "RUNQ-P50", "RUNQ-P99", "RUNQ-MAX", "CPUS"], lines
    name = "/" + os.path.basename(cgroup)
    (row,) = [line.split() for line in lines[1:] if line.split()[0] == name]
    assert row[1] == "3", row        # main + 2 workers: PROGRAM's tree, all in the cgroup
    assert len(lines) == 2, lines    # -- PROGRAM: nothing outside it


# ---- f: --cpu -------------------------------------------------------------------------

def test_cpu_view(sched):
    res, b = sched.burn(["--cpu"], 1, 300, cpus=(0,))
    assert res.rc == 0, res
    check_stderr(res.stderr)
    rows = res.of("sched_cpu")
    assert len(rows) == len(res.rows), res.rows
    assert [r["cpu"] for r in rows] == list(range(NCPUS)), rows
    (worker,) = b.threads.values()
    for r in rows:
        check_fields(r, CPU_FIELDS)
        check_metrics(r)
        # wall time on one CPU cannot exceed the wall time of the whole run
        assert r["busy_ns"] + r["idle_ns"] <= res.wall_ns, (r, res.wall_ns)
        assert r["interval_ns"] <= res.wall_ns, (r, res.wall_ns)
        assert r["switches"] >= r["runq_count"], r
    cpu0 = rows[0]
    # burn's worker ran ~300 ms on CPU 0 (its busy time is wall time, so usually a
    # little more than its CPU time; a switch to it the kernel did not report
    # leaves a stretch unattributed, hence 5/6)
    assert cpu0["busy_ns"] >= worker["cpu_ns"] * 5 / 6, (cpu0, worker)
    assert cpu0["switches"] > 0 and cpu0["runq_count"] > 0, cpu0


@pytest.mark.parametrize("read", ["on-cpu", "direct"])
def test_cpu_view_busy_idle_within_period(bg, sched, read):
    """
    Each sched_cpu row covers one period of interval_ns (docs/json.md), so a
    CPU cannot be busy, idle or unknown for longer than that. naps keeps every
    CPU switching every few tens of microseconds, and without filters every
    task counts as busy: busy_ns + idle_ns + unknown_ns is then the whole
    time kscope accounted for on that CPU, which must fit in the period it
    prints.

    "on-cpu": the counters are copied on each CPU itself (cpu_snapshot, run
    with BPF_PROG_TEST_RUN on that CPU): always whole. Read from another CPU
    instead, a copy can catch a switch half-way through its updates on a
    weakly ordered CPU (the 6.1 arm64 guest did: a 112 us slice counted
    twice), which is why kscope does not. "direct" is what kernels before
    5.10 get (KSCOPE_NO_RUN_ON_CPU=1): exact on x86 (stores are seen in
    order), within a slice elsewhere.
    """
    naps = bg.start([workload("naps"), "60", *map(str, range(NCPUS))])
    deadline = time.monotonic() + TIMEOUT
    while len(os.listdir(f"/proc/{naps.pid}/task")) < NCPUS + 1:
        assert naps.poll() is None, "naps died"
        assert time.monotonic() < deadline, "naps did not start its threads"
        time.sleep(0.01)
    env = {"KSCOPE_NO_RUN_ON_CPU": "1"} if read == "direct" else None
    res = sched.run(["--cpu", "-d", "1"], env=env)
    assert res.rc == 0, res
    check_stderr(res.stderr)
    rows = res.of("sched_cpu")
    assert [r["cpu"] for r in rows] == list(range(NCPUS)), res.rows
    over = {r["cpu"]: r["busy_ns"] + r["idle_ns"] + r["unknown_ns"] - r["interval_ns"]
            for r in rows}
    slack = 0 if read == "on-cpu" or os.uname().machine == "x86_64" else 0.01
    assert all(v <= slack * r["interval_ns"] for r, v in zip(rows, over.values())), \
        f"busy_ns + idle_ns + unknown_ns exceed interval_ns by {over} ns: {rows}"
    # and naps kept every CPU accounted for nearly all of the period
    assert all(v > -0.5 * r["interval_ns"] for r, v in zip(rows, over.values())), rows


# ---- unreported switches (issue 12, item 3) --------------------------------------------

def test_quiet_traced_process_warns_nothing(bg, sched):
    """
    A sleeping process, traced for a second: nothing of it went unreported, so
    nothing is said, whatever other tasks the kernel switched unseen (this VM's
    agent threads do, every second: kscope used to warn on every run for them).
    """
    sleeper = bg.start(["sleep", "60"])
    wait_sleeping(sleeper.pid)
    for args in ([], ["--by", "process"], ["--cpu"], ["--hist"]):
        res = sched.run(["-p", str(sleeper.pid), "-d", "1", *args])
        assert res.rc == 0, res
        if "--cpu" in args:
            # per CPU, a switch nobody reported still leaves time unknown: said if so
            check_stderr(res.stderr)
        else:
            assert res.stderr == "", res


@pytest.mark.parametrize("view", [[], ["--by", "process"], ["--cpu"]], ids=["thread", "process",
                                                                          "cpu"])
def test_unreported_switches_said_exactly(sched, view):
    """
    Everything traced, for two seconds: the warning is there exactly when a
    row shows unreported switches (or unknown CPU time), with their total
    (Sched.run checks it on every run; here the whole system is in view).
    """
    res = sched.run(["-d", "2", *view])
    assert res.rc == 0, res
    check_stderr(res.stderr)
    for r in res.of("sched_task") + res.of("sched_process"):
        assert r["unreported_switches"] >= 0, r
    for r in res.of("sched_cpu"):
        assert r["busy_ns"] + r["idle_ns"] + r["unknown_ns"] <= r["interval_ns"], r


# ---- g: --hist -------------------------------------------------------------------------

def check_hist(h, by):
    assert h["type"] == "hist" and h["name"] == "runq_latency" and h["unit"] == "us", h
    assert h["by"] == by, h
    assert isinstance(h["ts_ns"], int) and isinstance(h["interval_ns"], int), h
    buckets = h["buckets"]
    assert buckets, h
    for i, bk in enumerate(buckets):
        assert set(bk) == {"low", "high", "count"}, bk
        assert bk["low"] == (0 if i == 0 else 1 << i), (i, bk)
        assert bk["high"] == (1 << (i + 1)) - 1, (i, bk)
        assert isinstance(bk["count"], int) and bk["count"] >= 0, bk
    assert buckets[-1]["count"] > 0, h        # listed up to the last non-empty one
    assert sum(bk["count"] for bk in buckets) == h["count"] > 0, h


def test_hist_all(sched):
    res, b = sched.burn(["--hist"], 2, 200, cpus=(0, 0))
    assert res.rc == 0, res
    check_stderr(res.stderr)
    assert [r["type"] for r in res.rows] == ["hist"], res.rows
    (h,) = res.rows
    check_hist(h, "all")
    assert "pid" not in h and "cgroup_id" not in h, h
    # the two workers alone wait more than 10 times each (test_runq_latency)
    assert h["count"] > 20, h
    # ... for each other's time slices (~1.4 ms here), at least 512 us: some of them
    assert sum(bk["count"] for bk in h["buckets"] if bk["low"] >= 512) > 0, h


def test_hist_by_process(sched):
    res, b = sched.burn(["--hist", "--by", "process"], 2, 200, cpus=(0, 0))
    assert res.rc == 0, res
    check_stderr(res.stderr)
    assert [r["type"] for r in res.rows] == ["hist"], res.rows
    (h,) = res.rows                  # -- PROGRAM: burn's process only
    check_hist(h, "process")
    assert h["pid"] == b.pid and h["comm"] == "burn", h
    assert "cgroup_id" not in h, h
    assert h["count"] > 20, h


def test_hist_by_cgroup(sched, cgroup):
    """PROGRAM moves itself into a new cgroup, then execs burn: its waits are keyed by it."""
    info = sched.path("burn-cg.info")
    script = 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"'
    res = sched.run(["--hist", "--by", "cgroup"],
                    program=["/bin/sh", "-c", script, "sh", cgroup, workload("burn"), info,
                             "2", "200", "0", "0"])
    assert res.rc == 0, res
    check_stderr(res.stderr)
    assert os.path.exists(info), res
    b = Burn(info)
    assert len(b.threads) == 2, b.threads
    hists = res.of("hist")
    assert len(hists) == len(res.rows), res.rows
    for h in hists:
        check_hist(h, "cgroup")
        assert "pid" not in h, h
    ids = {h["cgroup_id"]: h for h in hists}
    assert len(ids) == len(hists), hists
    cgid = os.stat(cgroup).st_ino
    # the shell's first waits are in our cgroup, everything after the move in the new one
    assert set(ids) <= {cgid, cgroup_id_of()}, (ids, cgid)
    assert cgid in ids, hists
    assert ids[cgid]["count"] > 20, ids[cgid]


def test_hist_text(sched):
    res = sched.run(["--hist"], program=[workload("burn"), sched.path("t.info"), "2", "100",
                                         "0", "0"], json_mode=False)
    assert res.rc == 0, res
    check_stderr(res.stderr)
    lines = res.rows.splitlines()
    assert lines[0] == "     usecs               : count    distribution", lines
    row = re.compile(r"^ *(\d+) -> (\d+) +: (\d+) +\|([* ]{40})\|$")
    assert len(lines) > 1, lines
    counts = []
    for i, line in enumerate(lines[1:]):
        m = row.match(line)
        assert m, f"not a histogram row: {line!r}"
        lo, hi, n, bar = int(m[1]), int(m[2]), int(m[3]), m[4]
        assert (lo, hi) == (0 if i == 0 else 1 << i, (1 << (i + 1)) - 1), line
        assert line.index("->") == 11 and line.index(":") == 25, line   # fixed columns
        assert bar == "*" * bar.count("*") + " " * (40 - bar.count("*")), line
        counts.append((n, bar.count("*")))
    top = max(n for n, _ in counts)
    for n, stars in counts:
        assert stars == n * 40 // top, (n, stars, top)


# ---- h: --events ------------------------------------------------------------------------

def test_events(sched):
    res, b = sched.burn(["--events"], 3, 300)
    assert res.rc == 0, res
    check_stderr(res.stderr)
    switches = res.of("switch")
    rows = res.of("sched_task")
    assert len(switches) + len(rows) == len(res.rows), {r["type"] for r in res.rows}
    assert switches, res.rows
    kscope_pid = None
    for e in switches:
        check_fields(e, SWITCH_FIELDS)
        assert e["prev_state"] in PREV_STATES, e
        assert 0 <= e["cpu"] < NCPUS, e
        # a switch is streamed when prev or next is traced: burn's tree only
        assert e["pid"] == b.pid or e["next_pid"] == b.pid, e
        if e["pid"] == b.pid and e["comm"] == "burn":
            assert e["prev_prio"] == expected_prio(), e
            kscope_pid = kscope_pid or e["ppid"]
            assert e["ppid"] == kscope_pid, e
        if e["next_pid"] == b.pid and e["next_comm"] == "burn":
            assert e["next_prio"] == expected_prio(), e
    tids = check_workers(rows, b)
    for tid in b.tids:
        outs = [e for e in switches if e["tid"] == tid]
        ins = [e for e in switches if e["next_tid"] == tid]
        assert ins, f"no switch-in of worker {tid}"
        assert all(e["pid"] == b.pid and e["comm"] == "burn" for e in outs), outs
        assert all(e["next_pid"] == b.pid and e["next_comm"] == "burn" for e in ins), ins
        # the stream and the summary count the same switches, exactly
        r = tids[tid]
        assert sum(e["prev_state"] in ("R", "R+") for e in outs) == r["involuntary"], r
        assert sum(e["prev_state"] not in ("R", "R+") for e in outs) == r["voluntary"], r
        assert len(ins) == r["switches"], r
        # a worker's last switch-out is its exit
        assert outs[-1]["prev_state"] in ("X", "Z"), outs[-1]
        # in time order: in, out, in, out... (a missed switch-in aside: see the docstring)
        seq = sorted([(e["ts_ns"], 1) for e in ins] + [(e["ts_ns"], 0) for e in outs])
        assert seq[0][1] == 1, seq[:3]
        assert all(not (a[1] == 1 and b_[1] == 1) for a, b_ in zip(seq, seq[1:])), \
            "a worker switched in twice without a switch-out between"
    ts = [e["ts_ns"] for e in switches]
    for cpu in range(NCPUS):
        on = [e["ts_ns"] for e in switches if e["cpu"] == cpu]
        assert on == sorted(on), f"CPU {cpu}: switches out of order"
    assert min(ts) > 0


# ---- i: --timeline ----------------------------------------------------------------------

def missed_in_time(events, tid):
    """
    Upper bound of the time a worker ran after a switch to it that the kernel
    did not report (see the docstring): such a stretch ends at the worker's
    switch-out and began after the previous streamed switch on that CPU, to
    another task. The timeline cannot show it.
    """
    last = {}
    lost = 0
    for e in sorted(events, key=lambda e: e["ts_ns"]):
        prev = last.get(e["cpu"])
        if e["tid"] == tid and prev is not None and prev["next_tid"] != tid:
            lost += e["ts_ns"] - prev["ts_ns"]
        last[e["cpu"]] = e
    return lost


def test_timeline(sched):
    tl = sched.path("timeline.json")
    res, b = sched.burn(["--timeline", tl, "--events"], 3, 300)
    assert res.rc == 0, res
    check_stderr(res.stderr)
    with open(tl) as f:
        doc = json.load(f)
    assert set(doc) == {"displayTimeUnit", "traceEvents"}, doc.keys()
    assert doc["displayTimeUnit"] == "ns"
    evs = doc["traceEvents"]
    assert {e["ph"] for e in evs} == {"M", "X", "i"}, {e["ph"] for e in evs}

    meta = [e for e in evs if e["ph"] == "M"]
    assert {"name": "process_name", "ph": "M", "pid": 0, "args": {"name": "CPUs"}} in meta, meta
    names = {e["tid"]: e["args"]["name"] for e in meta if e["name"] == "thread_name"}
    assert names == {c: f"CPU {c}" for c in range(NCPUS)}, names
    for e in meta:
        assert e["pid"] == 0, e

    xs = [e for e in evs if e["ph"] == "X"]
    assert xs
    for e in xs:
        assert e["pid"] == 0 and e["cat"] == "sched", e
        assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
        assert isinstance(e["dur"], (int, float)) and e["dur"] >= 0, e
        assert isinstance(e["tid"], int) and 0 <= e["tid"] < NCPUS, e
        a = e["args"]
        assert e["name"] == a["comm"], e
        assert a["pid"] == b.pid, e          # -- PROGRAM: burn's tree only
        assert "end_state" not in a or a["end_state"] in PREV_STATES, e
    for cpu in range(NCPUS):
        track = sorted((e for e in xs if e["tid"] == cpu), key=lambda e: e["ts"])
        for p, n in zip(track, track[1:]):
            assert n["ts"] >= p["ts"] + p["dur"] - 0.001, f"CPU {cpu}: {p} overlaps {n}"
    # "burn" slices: the workers' tids exactly (main's own, after its exec, too)
    burn_tids = {e["args"]["tid"] for e in xs if e["name"] == "burn"}
    assert b.tids <= burn_tids <= b.tids | {b.pid}, (burn_tids, b.tids)
    switches = res.of("switch")
    for tid, rec in b.threads.items():
        on_cpu = sum(e["dur"] for e in xs if e["args"]["tid"] == tid) * 1000   # us -> ns
        unseen = missed_in_time(switches, tid)
        assert on_cpu <= rec["cpu_ns"] * 1.10, (tid, on_cpu, rec)
        assert on_cpu + unseen >= rec["cpu_ns"] * 0.90, (tid, on_cpu, unseen, rec)

    inst = [e for e in evs if e["ph"] == "i"]
    assert inst
    for e in inst:
        assert e["name"].split(" ", 1)[0] in ("wakeup", "wakeup_new"), e
        assert e["s"] == "t" and e["pid"] == 0 and 0 <= e["tid"] < NCPUS, e
        assert e["ts"] >= 0 and e["args"]["pid"] == b.pid, e
    # every worker was created by burn's main thread: one wakeup_new each
    new = [e["args"]["tid"] for e in inst if e["name"].startswith("wakeup_new ")]
    assert sorted(t for t in new if t in b.tids) == sorted(b.tids), new
    for e in inst:
        if e["name"].startswith("wakeup_new ") and e["args"]["tid"] in b.tids:
            assert e["args"]["waker_tid"] == b.pid and e["name"] == "wakeup_new burn", e


# ---- j: interval mode -----------------------------------------------------------------------

def periods(rows):
    out = {}
    for r in rows:
        out.setdefault(r["ts_ns"], []).append(r)
    return [out[k] for k in sorted(out)]


def test_interval_mode(sched):
    """Every second, then the last partial period at PROGRAM's exit; sums agree."""
    res, b = sched.burn(["1", "30"], 2, 1500)
    assert res.rc == 0, res
    check_stderr(res.stderr)
    rows = task_rows(res)
    ps = periods(rows)
    assert len(ps) >= 2, ps
    for p in ps:
        assert len({r["interval_ns"] for r in p}) == 1, p
        assert len({r["tid"] for r in p}) == len(p), p
    for p in ps[:-1]:
        assert 0.5e9 <= p[0]["interval_ns"] <= 2e9, p[0]
    assert 0 < ps[-1][0]["interval_ns"] <= 2e9, ps[-1][0]
    # periods follow each other: each one ends where the next begins
    for p, n in zip(ps, ps[1:]):
        assert n[0]["ts_ns"] - p[0]["ts_ns"] == n[0]["interval_ns"], (p[0], n[0])
    for tid, rec in b.threads.items():
        mine = [r for r in rows if r["tid"] == tid]
        assert mine and all(r["pid"] == b.pid and r["comm"] == "burn" for r in mine), mine
        total = {k: sum(r[k] for r in mine) for k in ("cpu_ns", "voluntary", "involuntary")}
        check_cpu_time(total, rec)
        check_switch_counts(total, rec)


def test_interval_count_stops(bg, sched):
    """`1 2`: two periods, then kscope ends by itself with status 0."""
    info = sched.path("long.info")
    go = sched.path("long.go")
    burn = bg.start([workload("burn"), "-g", go, info, "1", "60000"])
    tracer = sched.start(["-p", str(burn.pid), "1", "2"])
    with open(go, "w"):
        pass
    res = tracer.wait()
    assert res.rc == 0, res
    assert burn.poll() is None, "burn ended before kscope"
    ps = periods(res.events)
    assert len(ps) == 2, ps
    for p in ps:
        assert all(r["type"] == "sched_task" and r["pid"] == burn.pid for r in p), p
        assert 0.5e9 <= p[0]["interval_ns"] <= 2e9, p[0]
    assert ps[1][0]["ts_ns"] - ps[0][0]["ts_ns"] == ps[1][0]["interval_ns"]


# ---- k: filters -------------------------------------------------------------------------------

def gated_burn(bg, d, prefix=(), burn=None, nthreads=2, ms=200):
    """burn -g GO waiting for GO: (process, info path, go path)."""
    info = os.path.join(d, f"gated-{secrets.token_hex(3)}.info")
    go = info + ".go"
    p = bg.start([*prefix, burn or workload("burn"), "-g", go, info, str(nthreads), str(ms)])
    return p, info, go


def run_filtered(sched, args, proc, info, go):
    """kscope sched ARGS traced while the gated burn runs to its end: (Result, Burn)."""
    tracer = sched.start(args)
    try:
        with open(go, "w"):
            pass
        assert proc.wait(TIMEOUT) == 0, "burn failed"
    finally:
        res = tracer.stop()
    assert res.rc == 0, res
    check_stderr(res.stderr, tracer=True)
    rows = res.events
    for r in rows:
        assert r["type"] == "sched_task", r
        check_fields(r, TASK_FIELDS)
        check_metrics(r)
    b = Burn(info)
    assert b.pid == proc.pid
    return rows, b


def check_only(rows, b, noise):
    assert rows, "nothing traced"
    assert {r["pid"] for r in rows} == {b.pid}, rows
    assert noise.pid not in {r["pid"] for r in rows}
    # tracing began before burn started its threads: their whole life is there
    check_workers(rows, b)


def test_filter_pid(bg, sched, noise):
    proc, info, go = gated_burn(bg, sched.tmpdir)
    rows, b = run_filtered(sched, ["-p", str(proc.pid)], proc, info, go)
    check_only(rows, b, noise)


def test_filter_comm(bg, sched, noise, tmp_path):
    name = "ksb" + secrets.token_hex(4)         # 11 chars: fits comm's 15
    link = os.path.join(str(tmp_path), name)
    os.symlink(workload("burn"), link)
    proc, info, go = gated_burn(bg, sched.tmpdir, burn=link)
    rows, b = run_filtered(sched, ["--comm", name], proc, info, go)
    assert {r["comm"] for r in rows} == {name}, rows
    assert {r["pid"] for r in rows} == {b.pid}, rows
    assert noise.pid not in {r["pid"] for r in rows}
    tids = by_tid(rows)
    for tid, rec in b.threads.items():
        check_cpu_time(tids[tid], rec)
        check_switch_counts(tids[tid], rec)


def test_filter_uid(bg, sched, noise, shared_dir, shared_bin):
    """-u 65534 with a burn of uid 65534: every row is of uid 65534, the kernel's
    figure at the thread's last switch-out, also for tasks gone since."""
    proc, info, go = gated_burn(bg, shared_dir, prefix=SETPRIV_NOBODY,
                                burn=shared_bin(workload("burn")))
    rows, b = run_filtered(sched, ["-u", "65534"], proc, info, go)
    assert rows, "nothing traced"
    assert {r["uid"] for r in rows} == {65534}, rows
    # Only burn here; but uid 65534 is shared (another test run on this machine may
    # have its processes): any other pid must be one of uid 65534 if still there,
    # and never the root processes we know of.
    others = {r["pid"] for r in rows} - {b.pid}
    assert not others & {noise.pid, os.getpid()}, others
    for pid in others:
        try:
            with open(f"/proc/{pid}/status") as f:
                uids = [line.split()[1:] for line in f if line.startswith("Uid:")][0]
        except OSError:
            continue            # gone: nothing to check
        assert uids[0] == "65534", (pid, uids)
    check_workers([r for r in rows if r["pid"] == b.pid], b)


def test_filter_cgroup(bg, sched, noise, cgroup):
    proc, info, go = gated_burn(bg, sched.tmpdir)
    with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
        f.write(str(proc.pid))
    rows, b = run_filtered(sched, ["-c", cgroup], proc, info, go)
    check_only(rows, b, noise)
    # moved in before it started its threads: every row of it is in that cgroup
    cgid = os.stat(cgroup).st_ino
    assert all(r["cgroup_id"] == cgid and r["cgroup"] == "/" + os.path.basename(cgroup)
               for r in rows), rows


# ---- sorting, -n, the table --------------------------------------------------------------------

@pytest.mark.parametrize("key", ["cpu", "switches", "runq", "runq_max"])
def test_sort_and_top(sched, key):
    res, b = sched.burn(["-s", key, "-n", "3"], 3, 100, cpus=(0, 0, 1))
    assert res.rc == 0, res
    rows = task_rows(res)
    assert len(rows) == 3, rows            # 4 threads did something: -n 3 shows 3
    for a, n in zip(rows, rows[1:]):
        if key == "cpu":
            assert a["cpu_ns"] >= n["cpu_ns"], rows
        elif key == "switches":
            assert a["switches"] >= n["switches"], rows
        elif key == "runq_max":
            assert a["runq_max_ns"] >= n["runq_max_ns"], rows
        else:   # by the total wait; the mean is rounded down
            assert a["runq_avg_ns"] * a["runq_count"] + a["runq_count"] > \
                n["runq_avg_ns"] * n["runq_count"], rows
    if key == "cpu":
        assert {r["tid"] for r in rows} == b.tids, rows   # the burners come first


def test_table(sched):
    info = sched.path("table.info")
    res = sched.run([], program=[workload("burn"), info, "2", "100"], json_mode=False)
    assert res.rc == 0, res
    check_stderr(res.stderr)
    b = Burn(info)
    lines = res.rows.splitlines()
    assert lines[0].split() == ["PID", "TID", "COMM", "CPU", "SWITCHES", "VOL", "INVOL",
                                "RUNQ-AVG", "RUNQ-P50", "RUNQ-P99", "RUNQ-MAX", "CPUS"], lines
    rows = {int(line.split()[1]): line.split() for line in lines[1:]}
    assert b.tids <= set(rows), lines
    for tid in b.tids:
        assert rows[tid][0] == str(b.pid) and rows[tid][2] == "burn", rows[tid]
        assert re.fullmatch(r"\d+(\.\d+)?(ns|us|ms|s)", rows[tid][3]), rows[tid]


# ---- l: command line ---------------------------------------------------------------------------

USAGE_ERRORS = [
    ["--by", "cgroup", "--cpu"],
    ["--hist", "--cpu"],
    ["--cpu", "--hist", "--by", "process"],
    ["--by", "bogus"],
    ["--by"],
    ["-s", "bogus"],
    ["-s"],
    ["-n", "0"],
    ["-n", "x"],
    ["-n", "-1"],
    ["0"],
    ["x"],
    ["1", "0"],
    ["1", "x"],
    ["1", "2", "3"],
    ["--bogus"],
]


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
def test_usage_error(args):
    rc, out, err = cli(["sched", *args])
    assert rc == 2, (rc, out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("kscope sched: "), err


def test_usage_error_timeline(tmp_path):
    """An unwritable --timeline path is a usage error: a directory, a missing one."""
    for path in (str(tmp_path), os.path.join(str(tmp_path), "no", "such", "t.json")):
        rc, out, err = cli(["sched", "--timeline", path, "-d", "1"])
        assert rc == 2, (rc, out, err)
        assert out == "" and err.count("\n") == 1 and path in err, err
    assert os.listdir(str(tmp_path)) == []


def test_help():
    rc, out, err = cli(["sched", "--help"])
    assert rc == 0, err
    assert out.startswith("usage: kscope sched "), out
    for opt in ("--by", "--hist", "--cpu", "--events", "--timeline", "--sort", "--top"):
        assert opt in out, opt


def test_doctor_lists_sched_probes():
    rc, out, err = cli(["doctor", "-j"])
    assert rc == 0, err
    (doc,) = parse_ndjson(out)
    probes = {p["probe"]: p for p in doc["probes"] if p["command"] == "sched"}
    for name in SCHED_PROBES:
        assert name in probes, probes
        assert probes[name]["hook"] in ("tp_btf", "raw_tp", "tracepoint"), probes[name]
        assert probes[name]["target"], probes[name]
    assert probes["switch"]["target"].endswith("sched_switch"), probes["switch"]


# ---- m: signals ---------------------------------------------------------------------------------

def test_sigint_summary_and_cleanup(bg, sched):
    """
    SIGINT ends `kscope sched` (no PROGRAM): it prints the summary, exits 0
    and leaves none of its programs, links and maps behind.
    """
    tracer = sched.start([])
    try:
        owned = bpf_objects(tracer.pid)
        progs = bpftool_list("prog")
        names = {progs[i]["name"] for i in owned["prog"] if i in progs}
        for prefix in ("handle_switch", "handle_wakeup", "handle_exit", "handle_exec"):
            assert any(n.startswith(prefix) for n in names), names
        assert len(owned["link"]) >= len(SCHED_PROBES), owned
        assert owned["map"], owned
        # something to summarize, whose numbers we know
        proc, info, go = gated_burn(bg, sched.tmpdir, nthreads=2, ms=100)
        with open(go, "w"):
            pass
        assert proc.wait(TIMEOUT) == 0
    finally:
        res = tracer.stop(signal.SIGINT)
    assert res.rc == 0, res
    check_stderr(res.stderr, tracer=True)
    rows = res.events
    assert rows and all(r["type"] == "sched_task" for r in rows), rows[:5]
    for r in rows:
        check_fields(r, TASK_FIELDS)
    b = Burn(info)
    check_workers([r for r in rows if r["pid"] == b.pid], b)
    # all gone (programs and links at once; maps may wait for an RCU grace period)
    check_gone(owned)

# SPDX-License-Identifier: GPL-2.0
"""
fork / exec / exit events of `kscope proc -- PROGRAM`, asserted exactly
(every event, every id), with each hook type kscope can fall back to
(hooks.py: the variants that plan differently on this kernel): the default
choice (here tp_btf; fentry/taskstats_exit for exit on kernels that allow
it), kprobe/taskstats_exit (--no-hook fentry), tp_btf (--no-hook
fentry,kprobe), raw_tp, plain tracepoints (the fork event's thread flag is
derived from the thread list there, not read from the child task) and the
attach-time fallback (--no-precheck: every better alternative is really
tried and fails to load or attach).
"""
import os

import pytest

import hooks
from conftest import (PROC_VARIANTS, cgroup_id_of, expected_prio, read_ints,
                      workload)

VARIANTS = PROC_VARIANTS


def check_hooks(stderr, variant):
    """
    -v names the hook every probe uses; it must be the one this kernel and
    the variant's --no-hook leave first (hooks.plan). Under --no-precheck,
    every better alternative was really tried at run time and skipped.
    """
    lines = {}
    for line in stderr.splitlines():
        if line.startswith("kscope: probe "):
            name, rest = line[len("kscope: probe "):].split(": ", 1)
            lines[name] = rest
    for probe, alts in (("fork", hooks.TP), ("exec", hooks.TP), ("exit", hooks.EXIT)):
        want = hooks.plan(alts, variant)
        assert probe in lines, f"-v did not report probe {probe}: {stderr!r}"
        assert lines[probe].startswith(want + "/"), f"probe {probe}: want {want}: {lines[probe]!r}"
    if variant == "no_precheck":
        for alt in hooks.skipped_before(hooks.EXIT, variant):
            assert f"{alt}/{hooks.EXIT_TARGET}" in lines["exit"].split(" ", 1)[-1], lines["exit"]
    return lines


def check_common(events):
    cg = cgroup_id_of()
    with open("/sys/devices/system/cpu/possible") as f:
        ncpus = int(f.read().strip().split(",")[-1].split("-")[-1]) + 1
    for e in events:
        assert e["type"] in ("fork", "exec", "exit"), f"unexpected record: {e}"
        assert e["uid"] == 0, e
        assert e["cgroup_id"] == cg, e
        assert 0 <= e["cpu"] < ncpus, e
        assert e["ts_ns"] > 0, e


def check_process_exit(e, pid, ppid, comm, code=0, sig=0):
    assert e["pid"] == pid and e["tid"] == pid, e
    assert e["ppid"] == ppid, e
    assert e["comm"] == comm, e
    assert e["exit_code"] == code, e
    assert e["signal"] == sig, e
    assert e["core_dumped"] is False, e
    assert e["thread"] is False, e
    assert e["group_dead"] is True, e
    assert e["lifetime_ns"] > 0, e
    # se.sum_exec_runtime as last accounted by the scheduler: a short-lived
    # task that was never preempted can still show 0 here
    assert isinstance(e["cpu_ns"], int) and e["cpu_ns"] >= 0, e
    assert e["max_rss_bytes"] > 0, e
    assert e["vm_bytes"] is None or e["vm_bytes"] > 0, e
    assert e["prio"] == expected_prio(), e
    assert isinstance(e["state"], int), e


def run_spawner(kscope, variant, code, args=("7", "alpha", "beta gamma")):
    info = kscope.path("spawner.info")
    spawner, ew = workload("spawner"), workload("exit_with")
    program = [spawner, info, str(code), ew, *args]
    res = kscope.run(["-v", *hooks.VARIANTS[variant]], program=program)
    assert os.path.exists(info), f"spawner did not finish: {res}"
    parent, child, status = read_ints(info)
    return res, program, parent, child, status


@pytest.mark.parametrize("code", [0, 3])
@pytest.mark.parametrize("variant", VARIANTS)
def test_exec_exit(kscope, variant, code):
    """spawner -> exit_with 7 alpha "beta gamma": every event, exactly."""
    res, program, parent, child, status = run_spawner(kscope, variant, code)
    ew = program[3]
    assert res.rc == code, res
    assert status == 7 << 8
    check_hooks(res.stderr, variant)
    check_common(res.events)
    assert {e["pid"] for e in res.events} == {parent, child}, res.events

    # the PROGRAM's own exec, by kscope's child (ppid: kscope)
    execs = res.of("exec")
    assert len(execs) == 2, execs
    top = [e for e in execs if e["pid"] == parent]
    assert len(top) == 1, execs
    top = top[0]
    assert top["tid"] == parent and top["ret"] == 0, top
    assert top["filename"] == program[0], top
    assert top["argv"] == program and top["argv_truncated"] is False, top
    assert top["comm"] == "spawner", top
    kscope_pid = top["ppid"]
    assert kscope_pid not in (parent, child), top

    # exactly one exec of the child, with its exact argv
    (ex,) = [e for e in execs if e["pid"] == child]
    assert ex["tid"] == child and ex["ppid"] == parent, ex
    assert ex["ret"] == 0, ex
    assert ex["filename"] == ew, ex
    assert ex["argv"] == [ew, "7", "alpha", "beta gamma"], ex
    assert ex["argv_truncated"] is False, ex
    assert ex["comm"] == "exit_with", ex

    # one fork: spawner -> child, a process (header describes the parent)
    (fk,) = res.of("fork")
    assert fk["pid"] == parent and fk["tid"] == parent, fk
    assert fk["ppid"] == kscope_pid, fk
    assert fk["comm"] == "spawner", fk
    assert fk["child_pid"] == child and fk["child_tid"] == child, fk
    assert fk["thread"] is False, fk

    exits = res.of("exit")
    assert len(exits) == 2, exits
    (cx,) = [e for e in exits if e["pid"] == child]
    check_process_exit(cx, child, parent, "exit_with", code=7)
    (px,) = [e for e in exits if e["pid"] == parent]
    check_process_exit(px, parent, kscope_pid, "spawner", code=code)

    # causality, from the events' own monotonic clock
    assert top["ts_ns"] <= fk["ts_ns"] <= ex["ts_ns"] <= cx["ts_ns"] <= px["ts_ns"]
    # the child started before its fork event and ended after its exit event
    assert cx["lifetime_ns"] >= cx["ts_ns"] - fk["ts_ns"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_killed_by_sigkill(kscope, variant):
    """A child that kills itself with SIGKILL: signal 9, exit_code 0."""
    kinfo = kscope.path("killself.info")
    info = kscope.path("spawner.info")
    ks = workload("killself")
    res = kscope.run(["-v", *hooks.VARIANTS[variant]],
                     program=[workload("spawner"), info, "0", ks, kinfo])
    check_hooks(res.stderr, variant)
    assert res.rc == 0, res
    parent, child, status = read_ints(info)
    assert status == 9, status
    assert read_ints(kinfo) == [child]
    (ex,) = [e for e in res.of("exec") if e["pid"] == child]
    assert ex["argv"] == [ks, kinfo], ex
    (cx,) = [e for e in res.of("exit") if e["pid"] == child]
    check_process_exit(cx, child, parent, "killself", code=0, sig=9)
    (px,) = [e for e in res.of("exit") if e["pid"] == parent]
    assert px["exit_code"] == 0 and px["signal"] == 0, px


def test_program_killed_exit_status(kscope):
    """kscope -- killself: kscope exits 128 + 9."""
    kinfo = kscope.path("killself.info")
    res = kscope.run([], program=[workload("killself"), kinfo])
    assert res.rc == 137, res
    (pid,) = read_ints(kinfo)
    (cx,) = res.of("exit")
    assert cx["pid"] == pid and cx["signal"] == 9 and cx["exit_code"] == 0, cx
    assert cx["core_dumped"] is False and cx["group_dead"] is True, cx


@pytest.mark.parametrize("variant", VARIANTS)
def test_threads(kscope, variant):
    """threads INFO 8: 8 thread forks and 8 thread exits with the exact tids."""
    n = 8
    info = kscope.path("threads.info")
    th = workload("threads")
    res = kscope.run(["-v", *hooks.VARIANTS[variant]], program=[th, info, str(n)])
    assert res.rc == 0, res
    check_hooks(res.stderr, variant)
    check_common(res.events)
    pid, *tids = read_ints(info)
    assert len(set(tids)) == n and pid not in tids
    assert {e["pid"] for e in res.events} == {pid}, res.events

    (ex,) = res.of("exec")
    assert ex["pid"] == pid and ex["tid"] == pid, ex
    kscope_pid = ex["ppid"]
    assert ex["argv"] == [th, info, str(n)], ex

    forks = res.of("fork")
    assert len(forks) == n, forks
    for f in forks:
        # created by the main thread; the new task is a thread of pid
        assert f["pid"] == pid and f["tid"] == pid, f
        assert f["ppid"] == kscope_pid, f
        assert f["thread"] is True, f
        assert f["child_pid"] == pid, f
        assert f["comm"] == "threads", f
    assert sorted(f["child_tid"] for f in forks) == sorted(tids)

    exits = res.of("exit")
    assert len(exits) == n + 1, exits
    texits = [e for e in exits if e["tid"] != pid]
    assert sorted(e["tid"] for e in texits) == sorted(tids)
    for e in texits:
        assert e["pid"] == pid, e
        assert e["ppid"] == kscope_pid, e
        assert e["thread"] is True, e
        # exact where the exit hook is taskstats_exit (the kernel passes it);
        # on the tracepoints it is derived from signal->live, which a thread
        # whose hook runs after the last thread's decrement also sees at 0
        # (docs/json.md)
        if hooks.plan(hooks.EXIT, variant) in ("fentry", "kprobe"):
            assert e["group_dead"] is False, e
        assert e["exit_code"] == 0 and e["signal"] == 0, e
        assert e["prio"] == expected_prio(), e
    (main,) = [e for e in exits if e["tid"] == pid]
    check_process_exit(main, pid, kscope_pid, "threads", code=0)

# SPDX-License-Identifier: GPL-2.0
"""
-- PROGRAM follows every descendant (children are added in the kernel at
fork, before they run) and nothing else: an unrelated process tree busy
forking and exec'ing at the same time produces no events.
"""
import pytest

import hooks
from conftest import PROC_VARIANTS, read_ints, workload


@pytest.mark.parametrize("variant", PROC_VARIANTS)
def test_grandchild_followed_nothing_else(kscope, noise, variant):
    info = kscope.path("spawner.info")
    spawner, ew = workload("spawner"), workload("exit_with")
    # sh forks for "$0" (not the last command), so exit_with is a grandchild
    script = '"$0" 5 grand "x y"; exit 0'
    program = [spawner, info, "0", "/bin/sh", "-c", script, ew]

    before = noise.count()
    res = kscope.run(hooks.VARIANTS[variant], program=program)
    noise.assert_progress(before)

    assert res.rc == 0, res
    spawner_pid, sh_pid, status = read_ints(info)
    assert status == 0

    forks = res.of("fork")
    (f1,) = [f for f in forks if f["pid"] == spawner_pid]
    assert f1["child_pid"] == sh_pid and f1["thread"] is False, f1
    (f2,) = [f for f in forks if f["pid"] == sh_pid]
    assert f2["thread"] is False and f2["comm"] == "sh", f2
    grand = f2["child_pid"]
    assert f2["child_tid"] == grand
    assert len(forks) == 2, forks

    # every event belongs to the traced tree, and the whole tree is there
    tree = {spawner_pid, sh_pid, grand}
    assert {e["pid"] for e in res.events} == tree, res.events
    noise.assert_absent(res.events)

    execs = {e["pid"]: e for e in res.of("exec")}
    assert len(res.of("exec")) == 3
    assert execs[sh_pid]["argv"] == ["/bin/sh", "-c", script, ew]
    assert execs[sh_pid]["filename"] == "/bin/sh"
    assert execs[grand]["argv"] == [ew, "5", "grand", "x y"]
    assert execs[grand]["filename"] == ew
    assert execs[grand]["ppid"] == sh_pid
    assert execs[grand]["comm"] == "exit_with"

    exits = {e["pid"]: e for e in res.of("exit")}
    assert len(res.of("exit")) == 3
    assert exits[grand]["exit_code"] == 5 and exits[grand]["ppid"] == sh_pid
    assert exits[sh_pid]["exit_code"] == 0 and exits[sh_pid]["ppid"] == spawner_pid
    assert exits[spawner_pid]["exit_code"] == 0
    for e in exits.values():
        assert e["group_dead"] is True and e["thread"] is False, e


def test_event_selection_still_follows(kscope, noise):
    """-e exec: only exec events, yet children are still followed."""
    info = kscope.path("spawner.info")
    spawner, ew = workload("spawner"), workload("exit_with")
    script = '"$0" 5 grand; exit 0'
    program = [spawner, info, "0", "/bin/sh", "-c", script, ew]
    res = kscope.run(["-e", "exec"], program=program)
    assert res.rc == 0, res
    spawner_pid, sh_pid, _ = read_ints(info)
    assert {e["type"] for e in res.events} == {"exec"}, res.events
    assert len(res.events) == 3, res.events
    by_argv = {tuple(e["argv"]): e for e in res.events}
    assert by_argv[tuple(program)]["pid"] == spawner_pid
    assert by_argv[("/bin/sh", "-c", script, ew)]["pid"] == sh_pid
    assert by_argv[(ew, "5", "grand")]["ppid"] == sh_pid
    noise.assert_absent(res.events)


def test_event_selection_exit_and_fork(kscope):
    """-e fork,exit: no exec events, all forks and exits of the tree."""
    info = kscope.path("spawner.info")
    res = kscope.run(["-e", "fork,exit"],
                     program=[workload("spawner"), info, "4", workload("exit_with"), "6"])
    assert res.rc == 4, res
    parent, child, _ = read_ints(info)
    assert sorted(e["type"] for e in res.events) == ["exit", "exit", "fork"], res.events
    (f,) = res.of("fork")
    assert f["pid"] == parent and f["child_pid"] == child, f
    assert {(e["pid"], e["exit_code"]) for e in res.of("exit")} == {(parent, 4), (child, 6)}

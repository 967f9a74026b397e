# SPDX-License-Identifier: GPL-2.0
"""
Lost events are counted, never silent.

`kscope proc -- storm N` sees exactly 2N + 2 events (storm's exec, N forks,
N child exits, storm's exit: see tests/workloads/storm.c). Every one of them
is either printed or counted in a "lost" record, so
    printed fork+exec+exit events + lost total == 2N + 2
must hold exactly, whatever the ring buffer size.

On this machine a 4 KiB ring buffer alone does not reliably overflow: kscope
drains it faster than one process can fork. To make losses certain (not
timing-dependent) the test stops kscope's reader with SIGSTOP while the
storm runs: the 4 KiB ring buffer then holds a few dozen events at most, and
the rest must be counted as lost.
"""
import os
import re
import signal
import time

from conftest import TIMEOUT, wait_for_file, workload

EVENTS = ("fork", "exec", "exit")


def accounting(events):
    received = [e for e in events if e["type"] in EVENTS]
    lost = [e for e in events if e["type"] == "lost"]
    assert {e["type"] for e in events} <= {*EVENTS, "lost"}, events
    return received, lost


def check_lost_records(lost, stderr):
    """The lost records add up; their last total is the stderr summary's."""
    assert lost, "no lost record"
    total = 0
    for e in lost:
        assert e["reason"] == "ringbuf", e
        assert e["count"] > 0, e
        total += e["count"]
        assert e["total"] == total, lost
        assert isinstance(e["ts_ns"], int), e
    m = re.search(r"kscope: (\d+) events lost in total \(ringbuf\)", stderr)
    assert m, stderr
    assert int(m[1]) == total, (stderr, lost)
    return total


def storm_while_stopped(p, sync):
    """storm (waiting in SYNC) runs its forks while kscope (p) is stopped."""
    wait_for_file(os.path.join(sync, "ready"), p)
    os.kill(p.pid, signal.SIGSTOP)
    try:
        with open(os.path.join(sync, "go"), "w"):
            pass
        wait_for_file(os.path.join(sync, "done"))
    finally:
        os.kill(p.pid, signal.SIGCONT)


def test_losses_are_counted_exactly(kscope, tmp_path):
    n = 3000
    sync = str(tmp_path)
    t = kscope.start(["--ringbuf-kb", "4"], program=[workload("storm"), str(n), sync])
    try:
        # storm runs only once kscope traces; it then waits for "go"
        storm_while_stopped(t.proc, sync)
        res = t.wait()
    finally:
        t.kill()
    stderr = res.stderr
    assert res.rc == 0, stderr
    events = res.events
    received, lost = accounting(events)
    total = check_lost_records(lost, stderr)
    assert total > 0
    assert len(received) + total == 2 * n + 2, (len(received), total)


def test_small_ring_accounting(kscope):
    """--ringbuf-kb 4 with a free-running reader: losses or not, all accounted."""
    n = 3000
    res = kscope.run(["--ringbuf-kb", "4"], program=[workload("storm"), str(n)])
    assert res.rc == 0, res
    received, lost = accounting(res.events)
    total = check_lost_records(lost, res.stderr) if lost else 0
    if not lost:
        assert "lost" not in res.stderr, res.stderr
    assert len(received) + total == 2 * n + 2, (len(received), total)


def test_default_ring_loses_nothing(kscope):
    n = 300
    res = kscope.run([], program=[workload("storm"), str(n)])
    assert res.rc == 0, res
    received, lost = accounting(res.events)
    assert lost == [], lost
    assert "lost" not in res.stderr, res.stderr
    assert len(received) == 2 * n + 2
    (ex,) = [e for e in received if e["type"] == "exec"]
    storm = ex["pid"]
    forks = [e for e in received if e["type"] == "fork"]
    assert len(forks) == n and all(f["pid"] == storm and not f["thread"] for f in forks)
    kids = {f["child_pid"] for f in forks}
    assert len(kids) == n
    exits = [e for e in received if e["type"] == "exit"]
    assert {e["pid"] for e in exits} == kids | {storm}
    assert all(e["exit_code"] == 0 and e["group_dead"] for e in exits)


def test_stderr_lines_add_up(kscope, tmp_path):
    """
    Table mode: the loss lines on stderr (at most one a second) add up to the
    total of the exit summary, in one wording: two bursts of losses within a
    second of each other both reach stderr (the second at the next allowed
    line, or at the end), none is dropped by the rate limit.
    """
    n = 2000
    d1, d2 = str(tmp_path / "1"), str(tmp_path / "2")
    os.mkdir(d1)
    os.mkdir(d2)
    script = '"$0" "$1" "$2"; "$0" "$1" "$3"'
    t = kscope.start(["--ringbuf-kb", "4"], json_mode=False,
                     program=["/bin/sh", "-c", script, workload("storm"), str(n), d1, d2])
    lines = re.compile(r"^kscope: (\d+) events lost \(ringbuf\)$", re.M)
    try:
        for burst, d in enumerate((d1, d2)):
            storm_while_stopped(t.proc, d)
            if burst == 0:
                # the first burst's line is out: the second burst follows at once
                deadline = time.monotonic() + TIMEOUT
                while not lines.search(t.stderr_text()):
                    assert t.proc.poll() is None, t.stderr_text()
                    assert time.monotonic() < deadline, t.stderr_text()
                    time.sleep(0.01)
        res = t.wait()
        assert res.rc == 0, res.stderr
    finally:
        t.kill()
    stderr = res.stderr
    said = [int(x) for x in lines.findall(stderr)]
    m = re.search(r"^kscope: (\d+) events lost in total \(ringbuf\): ", stderr, re.M)
    assert m, stderr
    assert len(said) >= 2 and sum(said) == int(m[1]), stderr
    # every event is either a line of the table or lost: forks and exits of the
    # storms (2n each) at least; nothing else was lost
    table = [ln for ln in res.rows.splitlines()[1:] if ln]
    assert len(table) + int(m[1]) >= 4 * n, (len(table), stderr)
    assert "updates" not in stderr and "not followed" not in stderr, stderr

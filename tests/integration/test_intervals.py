# SPDX-License-Identifier: GPL-2.0
"""
Interval reports ([interval [count]]) after a stall.

When kscope cannot run for a while (SIGSTOP here; a loaded machine in real
life), the ticks that passed are skipped: the first report after the stall
covers all of it, and the next one comes on the interval's grid at least
half an interval later. There is never a burst of near-empty reports, and
`count` counts reports, so a stall does not use it up.

The test stops kscope itself, for a time it measures itself: the only
bounds asserted come from what the test did (the stall is inside one
report's period) and from the rule above (no period shorter than half the
interval), never from how fast anything ran.
"""
import os
import signal
import time

from conftest import TIMEOUT, parse_ndjson, read_text

INTERVAL = 0.3
COUNT = 4
STALL = 1.5      # five intervals


def periods(path):
    """Reports as (ts_ns, interval_ns), one per period (a row per thread that ran)."""
    out = {}
    for r in parse_ndjson(read_text(path)):
        assert r["type"] == "sched_task", r
        out.setdefault(r["ts_ns"], set()).add(r["interval_ns"])
    return [(ts, iv) for ts in sorted(out) for iv in out[ts]]


def test_stall_skips_missed_ticks(kscope):
    # system-wide: every period has threads that ran (kscope's own, at least)
    tracer = kscope.command("sched").start([str(INTERVAL), str(COUNT)])
    out = tracer.out
    try:
        # the first report is out: stop kscope for five intervals
        deadline = time.monotonic() + TIMEOUT
        while not (os.path.exists(out) and read_text(out)):
            assert tracer.proc.poll() is None, tracer.stderr_text()
            assert time.monotonic() < deadline, "no first report"
            time.sleep(0.01)
        os.kill(tracer.pid, signal.SIGSTOP)
        t0 = time.monotonic()
        time.sleep(STALL)
        stalled = time.monotonic() - t0
        os.kill(tracer.pid, signal.SIGCONT)
        res = tracer.wait()
    finally:
        tracer.kill()
    assert res.rc == 0, res
    reps = periods(out)
    # one interval_ns per report: every row of a period covers the same time
    assert len({ts for ts, _ in reps}) == len(reps), reps
    assert len(reps) == COUNT, reps
    ivs = [iv for _, iv in reps]
    # no near-empty report: every period is at least half an interval ...
    assert min(ivs) >= INTERVAL / 2 * 1e9, ivs
    # ... and one of them holds the whole stall
    assert max(ivs) >= stalled * 1e9, (stalled, ivs)
    # reports follow each other by their periods: nothing was lost between them
    for (a, _), (b, iv) in zip(reps, reps[1:]):
        assert b - a == iv, reps

# SPDX-License-Identifier: GPL-2.0
"""
`kscope proc --summary`: forks, execs and exits counted per command name in
the kernel (proc_stat rows, no record per event), asserted exactly on a
workload the test controls: renamed copies of small programs run a known
number of times by a shell, on every hook path this kernel can take
(hooks.py), the filters applied in the kernel, interval reports adding up
to the totals, and the names a full map has no room for counted under
"(other)" (KSCOPE_PROC_SUMMARY_MAX lowers the map's size).
"""
import os
import secrets
import shutil

import pytest

import hooks
from conftest import PROC_VARIANTS, check_usage_error, cli, read_ints, workload
from test_filters import N as TICKS, Ticker

COUNTS = ("forks", "execs", "exits", "exit_ok", "exit_error", "killed")
KEYS = ("type", "ts_ns", "interval_ns", "comm", "forks", "execs", "exits", "exit_ok",
        "exit_error", "killed")
OTHER = "(other)"


def check_hooks(stderr, variant):
    """-v names each probe's hook: the one this kernel and the variant leave first."""
    lines = dict(line[len("kscope: probe "):].split(": ", 1) for line in stderr.splitlines()
                 if line.startswith("kscope: probe "))
    for probe, alts in (("fork", hooks.TP), ("exec", hooks.TP), ("exit", hooks.EXIT)):
        want = hooks.plan(alts, variant)
        assert lines.get(probe, "").startswith(want + "/"), (probe, want, stderr)


def by_comm(res, keys=KEYS):
    """The run's proc_stat rows by name: one each (one report, at the end)."""
    assert {r["type"] for r in res.rows} <= {"proc_stat"}, res.rows
    rows = {}
    for r in res.of("proc_stat"):
        assert tuple(r) == keys, r
        assert r["interval_ns"] > 0, r
        assert r["comm"] not in rows, res.rows
        rows[r["comm"]] = r
    return rows


def counts(row):
    return {k: row[k] for k in COUNTS}


def want(forks=0, execs=0, ok=0, error=0, killed=0):
    return {"forks": forks, "execs": execs, "exits": ok + error + killed, "exit_ok": ok,
            "exit_error": error, "killed": killed}


def copies(tmp_path, **progs):
    """Renamed copies of programs, under names no other process has: {name: path}."""
    out = {}
    for name, src in progs.items():
        out[name] = os.path.join(str(tmp_path), name)
        shutil.copy(src, out[name])
    return out


class Workload:
    """
    sh -c: true 7 times, a shell that exits 3 twice, a shell that kills itself
    with SIGKILL once, `threads` (8 threads: no fork of a process), each a
    renamed copy and each in a child the shell forks, then `exit 0` (a
    builtin: the shell execs none of them in its own place).
    """
    TRUE, THREE, KILL = 7, 2, 1
    NTHREADS = 8

    def __init__(self, tmp_path):
        tag = secrets.token_hex(2)
        self.names = {"true": f"kswl_true{tag}", "three": f"kswl_three{tag}",
                      "kill": f"kswl_kill{tag}"}
        p = copies(tmp_path, **{self.names["true"]: "/bin/true",
                                self.names["three"]: "/bin/sh",
                                self.names["kill"]: "/bin/sh"})
        info = os.path.join(str(tmp_path), "threads.info")
        t, th, k = (p[self.names[n]] for n in ("true", "three", "kill"))
        script = (f"i=0; while [ $i -lt {self.TRUE} ]; do {t}; i=$((i+1)); done; "
                  f"{th} -c 'exit 3'; {th} -c 'exit 3'; "
                  f"{k} -c 'kill -KILL $$'; "
                  f"{workload('threads')} {info} {self.NTHREADS}; exit 0")
        self.program = ["/bin/sh", "-c", script]
        self.info = info

    def expected(self):
        n = self.names
        return {
            "sh": want(forks=self.TRUE + self.THREE + self.KILL + 1, execs=1, ok=1),
            n["true"]: want(execs=self.TRUE, ok=self.TRUE),
            n["three"]: want(execs=self.THREE, error=self.THREE),
            n["kill"]: want(execs=self.KILL, killed=self.KILL),
            "threads": want(execs=1, ok=1),
        }


def run_workload(kscope, tmp_path, args, env=None):
    w = Workload(tmp_path)
    res = kscope.run(["--summary", *args], program=w.program, env=env)
    assert res.rc == 0, res
    pid, *tids = read_ints(w.info)
    assert len(set(tids)) == Workload.NTHREADS and pid not in tids
    return w, res


@pytest.mark.parametrize("variant", PROC_VARIANTS)
def test_counts_per_comm(kscope, tmp_path, noise, variant):
    """Every count of every name, exactly; nothing of the noise loop (filtered in the
    kernel: -- PROGRAM's tree only); no record but proc_stat rows."""
    before = noise.count()
    w, res = run_workload(kscope, tmp_path, ["-v", *hooks.VARIANTS[variant]])
    noise.assert_progress(before)
    check_hooks(res.stderr, variant)
    rows = by_comm(res)
    assert {c: counts(r) for c, r in rows.items()} == w.expected(), res.rows
    # the sums, as the agent exports them
    assert sum(r["execs"] for r in rows.values()) == 1 + 7 + 2 + 1 + 1


def test_counts_match_the_stream(kscope, tmp_path):
    """The same workload streamed: forks of processes, execs that succeeded, exits of
    last threads, per name, are the summary's."""
    w = Workload(tmp_path)
    res = kscope.run([], program=w.program)
    assert res.rc == 0, res
    got = {}
    for e in res.events:
        c = got.setdefault(e["comm"], want())
        if e["type"] == "fork" and not e["thread"]:
            c["forks"] += 1
        elif e["type"] == "exec" and e["ret"] == 0:
            c["execs"] += 1
        elif e["type"] == "exit" and e["group_dead"]:
            c["exits"] += 1
            c["killed" if e["signal"] else "exit_error" if e["exit_code"] else "exit_ok"] += 1
    got = {k: v for k, v in got.items() if any(v.values())}
    assert got == w.expected(), res.events


def test_text_table(kscope, tmp_path):
    """Text: the header, one row per name, widths as the table declares them."""
    w2 = Workload(tmp_path)
    res = kscope.run(["--summary", "-s", "exits"], program=w2.program, json_mode=False)
    assert res.rc == 0, res
    lines = res.rows.splitlines()
    assert lines[0].split() == ["COMM", "FORKS", "EXECS", "EXITS", "OK", "ERROR", "KILLED"]
    rows = {line[:16].strip(): line[16:].split() for line in lines[1:]}
    n = w2.names
    assert rows == {
        "sh": ["11", "1", "1", "1", "0", "0"],
        n["true"]: ["0", "7", "7", "7", "0", "0"],
        n["three"]: ["0", "2", "2", "0", "2", "0"],
        n["kill"]: ["0", "1", "1", "0", "0", "1"],
        "threads": ["0", "1", "1", "1", "0", "0"],
    }, res.rows
    # -s exits: the most exits first, ties by execs, forks, then by name
    assert [line[:16].strip() for line in lines[1:]][0] == n["true"], res.rows


def test_intervals_add_up(kscope, tmp_path):
    """[interval]: each period shows what grew in it; the periods add up to the totals,
    which are exact."""
    p = copies(tmp_path, kswl_tick="/bin/true")
    script = (f"for i in 1 2 3 4 5; do {p['kswl_tick']}; {p['kswl_tick']}; sleep 0.3; done; "
              "exit 0")
    res = kscope.run(["--summary", "0.2"], program=["/bin/sh", "-c", script])
    assert res.rc == 0, res
    rows = res.of("proc_stat")
    periods = sorted({r["ts_ns"] for r in rows})
    assert len(periods) >= 3, rows
    total = {}
    for r in rows:
        assert r["interval_ns"] > 0 and any(r[k] for k in COUNTS), r
        t = total.setdefault(r["comm"], want())
        for k in COUNTS:
            t[k] += r[k]
    assert total == {"sh": want(forks=15, execs=1, ok=1), "kswl_tick": want(execs=10, ok=10),
                     "sleep": want(execs=5, ok=5)}, rows
    # the ticks came in more than one period
    assert len({r["ts_ns"] for r in rows if r["comm"] == "kswl_tick"}) >= 2, rows


@pytest.mark.parametrize("json_mode", [True, False])
def test_full_map_folds_into_other(kscope, tmp_path, json_mode):
    """A map of 4 names and 11 names: the first 4 seen have rows, the other 7 names'
    counts are in one "(other)" row, exactly; nothing is lost."""
    names = [f"kswl_c{i}" for i in range(10)]
    p = copies(tmp_path, **{n: "/bin/true" for n in names})
    script = "; ".join(p[n] for n in names) + "; exit 0"
    res = kscope.run(["--summary"], program=["/bin/sh", "-c", script], json_mode=json_mode,
                     env={"KSCOPE_PROC_SUMMARY_MAX": "4"})
    assert res.rc == 0, res
    assert "lost" not in res.stderr, res
    # sh's exec made the first entry, then each name in turn
    exp = {"sh": want(forks=10, execs=1, ok=1), OTHER: want(execs=7, ok=7)}
    exp.update({n: want(execs=1, ok=1) for n in names[:3]})
    if json_mode:
        rows = by_comm(res)
        assert {c: counts(r) for c, r in rows.items()} == exp, res.rows
        assert sum(r["execs"] for r in rows.values()) == 11
    else:
        lines = res.rows.splitlines()
        got = {line[:16].strip(): [int(x) for x in line[16:].split()] for line in lines[1:]}
        assert got == {c: [e[k] for k in COUNTS] for c, e in exp.items()}, res.rows


def test_exit_counted_once_per_process(kscope, tmp_path):
    """Processes whose threads all exit at once (exit_group with 16 threads asleep),
    on every tracepoint hook: one exit each, under the process's name, however
    many threads saw the group dead; their threads are no forks."""
    script = ("import os, threading, time\n"
              "for _ in range(50):\n"
              "    pid = os.fork()\n"
              "    if pid == 0:\n"
              "        for i in range(16):\n"
              "            threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
              "        os._exit(5)\n"
              "    os.waitpid(pid, 0)\n")
    for variant in hooks.variants_for(hooks.EXIT):
        res = kscope.run(["--summary", *hooks.VARIANTS[variant]],
                         program=["/usr/bin/python3", "-c", script])
        assert res.rc == 0, res
        rows = by_comm(res)
        assert counts(rows["python3"]) == want(forks=50, execs=1, ok=1, error=50), (variant, res)


def test_failed_execs(kscope, tmp_path):
    """-x: exec_failed, under the caller's name: a shell trying each of 3 PATH entries."""
    keys = KEYS[:6] + ("exec_failed",) + KEYS[6:]
    path = ":".join(os.path.join(str(tmp_path), f"none{i}") for i in range(3))
    res = kscope.run(["--summary", "-x"],
                     program=["/usr/bin/env", f"PATH={path}", "/bin/sh", "-c",
                              "exec kswl_nosuch 2>/dev/null"])
    assert res.rc == 127, res
    rows = by_comm(res, keys)
    assert {c: r["exec_failed"] for c, r in rows.items()} == {"env": 0, "sh": 3}, rows
    assert counts(rows["sh"]) == want(execs=1, error=1), rows
    assert counts(rows["env"]) == want(execs=1), rows


def test_event_option(kscope, tmp_path):
    """-e exec: only execs are counted; the rest are null (not measured), not 0."""
    w, res = run_workload(kscope, tmp_path, ["-e", "exec"])
    rows = by_comm(res)
    assert {c: r["execs"] for c, r in rows.items()} == \
        {c: e["execs"] for c, e in w.expected().items()}, rows
    for r in rows.values():
        assert all(r[k] is None for k in COUNTS if k != "execs"), r


def test_comm_filter(kscope, tmp_path):
    """--comm applies in the kernel: the copy of true only (its execs and exits)."""
    w = Workload(tmp_path)
    name = w.names["true"]
    res = kscope.run(["--summary", "--comm", name], program=w.program)
    assert res.rc == 0, res
    rows = by_comm(res)
    assert {c: counts(r) for c, r in rows.items()} == {name: want(execs=7, ok=7)}, rows


def test_cgroup_filter(kscope, bg, noise, tmp_path, cgroup):
    """-c DIR, no PROGRAM: exactly the counts of the tasks in that cgroup (a ticker
    that forks children which exec exit_with), nothing of the noise loop."""
    t = Ticker(bg, str(tmp_path), "cg")
    with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
        f.write(str(t.pid))
    tracer = kscope.start(["--summary", "-c", cgroup])
    before = noise.count()
    t.go_and_wait()
    noise.assert_progress(before)
    res = tracer.stop()
    assert res.rc == 0, res
    rows = by_comm(res)
    assert {c: counts(r) for c, r in rows.items()} == {
        "ticker": want(forks=TICKS, ok=1),
        "exit_with": want(execs=TICKS, ok=TICKS),
    }, rows


@pytest.mark.parametrize("args,msg", [
    (["--summary", "--tree"], "--tree and --summary cannot be combined"),
    (["--summary", "-C"], "cannot be combined"),
    (["1"], "are for --summary"),
    (["-s", "execs"], "are for --summary"),
    (["-n", "3"], "are for --summary"),
    (["--summary", "-s", "bogus"], "bogus"),
])
def test_usage_errors(args, msg):
    check_usage_error("proc", args, msg)


def test_bad_map_size_knob():
    """The test knob, out of its range (1..10240): a usage error, one line."""
    rc, out, err = cli(["proc", "--summary"], env={**os.environ, "KSCOPE_PROC_SUMMARY_MAX": "0"})
    assert rc == 2 and out == "", (rc, err)
    assert err.count("\n") == 1 and "KSCOPE_PROC_SUMMARY_MAX" in err, err

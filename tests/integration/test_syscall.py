# SPDX-License-Identifier: GPL-2.0
"""
`kscope syscall` on the real kernel, against workloads that make a known
number of known calls (tests/workloads/sys_calls.c, sys_seq.c), so every
count is asserted exactly:

  * sys_calls makes N getppid() and M opens of a path that does not exist
    (ENOENT), each through syscall(2). Nothing else in a process calls
    getppid(), so with -- PROGRAM the getppid count is exactly N. The
    dynamic loader makes openat() calls of its own (and may fail some), so
    under -- PROGRAM the failing calls are made with the legacy open(2)
    (x86_64), which neither the loader nor the C library uses: the open
    row is then exactly M calls, M errors, {"ENOENT": M}. With -p against
    a gated sys_calls (it makes no counted call before the test creates
    its GO file, and it opened its INFO file before that), the loader is
    done before tracing starts and openat() itself is counted exactly.
  * --by cgroup: two gated sys_calls traced together (-p), one moved into a
    fresh cgroup before it execs, one left in the test's own cgroup, each
    with its own numbers of calls: each cgroup's rows hold exactly its
    process's calls. The cgroup is the task's cgroup v2 (also on a hybrid
    host), or without cgroup v2 its v1 cpu cgroup (task_cgroup below).
  * sys_seq makes a fixed sequence (openat of a file the test wrote, two
    reads, two closes, a failing openat, getppid) with all six arguments
    given, the unused ones carrying marker values: --events must show it
    in order, with the raw arguments, return values and errno names.

Nothing here asserts a duration: latencies are only checked for
consistency (avg within total, max >= avg), and timeouts guard hangs.
"""
import os
import platform
import re
import secrets
import signal

import pytest

import cgroups
from conftest import (HOOK_VARIANTS, TIMEOUT, Kscope, bpf_objects, cgroup2_mount, check_gone,
                      check_usage_error, cgroup_id_of, cli, wait_for_file, workload)

STAT_FIELDS = ("type", "ts_ns", "interval_ns", "syscall", "nr", "count", "errors", "errnos",
               "total_ns", "avg_ns", "max_ns")
HDR_FIELDS = ("type", "ts_ns", "pid", "tid", "ppid", "uid", "comm", "cgroup_id", "cpu")
EVENT_FIELDS = HDR_FIELDS + ("syscall", "nr", "args", "ret", "latency_ns")
HIST_FIELDS = ("type", "name", "unit", "syscall", "count", "buckets")
# --by KIND: the fields that say whose a syscall_stat row is
BY_FIELDS = {"syscall": (), "process": ("pid", "comm"), "cgroup": ("cgroup_id", "cgroup")}

MISSING = "/kscope-nonexistent/no-such-file"
U64 = (1 << 64) - 1
NEVER_RETURN = ("exit", "exit_group")

# The failing call under -- PROGRAM: the legacy open(2), which the loader never
# makes (see the docstring). The CI machine is x86_64; arm64 has no open(2).
LEGACY_OPEN = platform.machine() == "x86_64"
FAIL = "open" if LEGACY_OPEN else "openat"

# Hook paths: those of conftest (the syscall probes must report the same hook
# type), and the hash map for calls in flight instead of task storage.
VARIANTS = dict(HOOK_VARIANTS)
VARIANTS["no_task_storage"] = (["--no-task-storage"], "tp_btf")

# -v: "kscope: probe NAME: HOOK/TARGET ..."; the targets each hook type must use
HOOK_TARGETS = {
    "tp_btf": {"tp_btf/sys_enter", "tp_btf/sys_exit"},
    "raw_tp": {"raw_tp/sys_enter", "raw_tp/sys_exit"},
    "tracepoint": {"tracepoint/raw_syscalls/sys_enter", "tracepoint/raw_syscalls/sys_exit"},
}


# ---- running kscope syscall and the workloads --------------------------------------

def read_info(path):
    """A workload's INFO file: {key: int}."""
    out = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                k, v = line.split()
                assert k not in out, f"{path}: {k} twice"
                out[k] = int(v)
    return out


class Sys(Kscope):
    """Runs `kscope syscall [-j] -o FILE ARGS [-- PROGRAM]` in the test's directory
    (conftest's runner), and the sys_calls workload under it."""

    command_name = "syscall"

    def calls(self, args, n, m, opts=(), json_mode=True):
        """kscope syscall ARGS -- sys_calls -o FAIL OPTS INFO N M: (Result, info)."""
        self.n += 1
        info = self.path(f"calls-{self.n}.info")
        res = self.run(args, program=[workload("sys_calls"), "-o", FAIL, *opts, info, str(n),
                                      str(m)], json_mode=json_mode)
        assert res.rc == 0, res
        assert os.path.exists(info), f"sys_calls did not start: {res}"
        inf = read_info(info)
        assert inf.get("done") == 1, f"sys_calls did not finish: {inf} {res}"
        return res, inf


@pytest.fixture
def sysc(tmp_path):
    assert not os.path.exists(MISSING), f"{MISSING} exists: the failing opens would not fail"
    return Sys(str(tmp_path))


def check_stderr(stderr, verbose=False, tracer=False):
    """Nothing on stderr but -v's lines (and the "Tracing" line on a terminal)."""
    for line in stderr.splitlines():
        if tracer and line.startswith("Tracing "):
            continue
        if verbose and (line.startswith("kscope: probe ") or line.startswith("libbpf: ") or
                        line.startswith("kscope: calls in flight kept in ")):
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


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check_stat(r, by="syscall", count_only=False):
    """What holds for every syscall_stat row (of --by BY; latency null with --count-only)."""
    fields = STAT_FIELDS + BY_FIELDS[by]
    missing = [f for f in fields if f not in r]
    assert not missing, f"syscall_stat lacks {missing}: {r}"
    others = [f for k, fs in BY_FIELDS.items() if k != by for f in fs if f in r]
    assert not others, f"--by {by}: a syscall_stat row with {others}: {r}"
    assert r["type"] == "syscall_stat", r
    for f in ("ts_ns", "interval_ns", "nr", "count", "errors") + \
            (() if count_only else ("total_ns", "avg_ns", "max_ns")):
        assert is_int(r[f]) and r[f] >= 0, (f, r)
    if by == "process":
        assert is_int(r["pid"]) and r["pid"] > 0 and isinstance(r["comm"], str), r
    if by == "cgroup":
        assert is_int(r["cgroup_id"]) and r["cgroup_id"] > 0, r
        assert isinstance(r["cgroup"], str) and r["cgroup"].startswith("/"), r
    assert isinstance(r["syscall"], str) and r["syscall"], r
    assert r["count"] > 0, f"a row without calls: {r}"     # only syscalls that happened
    assert 0 <= r["errors"] <= r["count"], f"errors > count: {r}"
    assert isinstance(r["errnos"], dict), r
    for k, v in r["errnos"].items():
        assert re.fullmatch(r"E[A-Z0-9_]+", k), (k, r)
        assert is_int(v) and v > 0, r
    assert sum(r["errnos"].values()) == r["errors"], f"errnos do not add up to errors: {r}"
    assert r["syscall"] not in NEVER_RETURN, f"a call that never returns was counted: {r}"
    if count_only:
        assert r["total_ns"] is None and r["avg_ns"] is None and r["max_ns"] is None, r
        return
    # latencies: consistent with each other (the mean may be rounded either way)
    assert r["max_ns"] <= r["total_ns"], f"max_ns > total_ns: {r}"
    assert abs(r["avg_ns"] * r["count"] - r["total_ns"]) <= r["count"], f"avg_ns: {r}"
    assert r["count"] == 0 or r["max_ns"] > 0, f"calls but max_ns 0: {r}"
    assert r["avg_ns"] <= r["max_ns"] + 1, f"max_ns below the mean: {r}"


def stat_rows(res, by="syscall", count_only=False):
    """Every row is a syscall_stat row: checked and returned."""
    assert res.rows, f"no rows: {res}"
    for r in res.rows:
        check_stat(r, by, count_only)
    return res.rows


def by_name(rows):
    """{syscall: row}, one row per syscall."""
    out = {}
    for r in rows:
        assert r["syscall"] not in out, f"two rows for {r['syscall']}: {rows}"
        out[r["syscall"]] = r
    return out


def one_period(rows):
    assert len({(r["ts_ns"], r["interval_ns"]) for r in rows}) == 1, rows
    assert rows[0]["interval_ns"] > 0, rows[0]


def expect_ok(row, name, nr, count):
    assert row["syscall"] == name and row["nr"] == nr, row
    assert row["count"] == count, f"{name}: count {row['count']}, made {count}: {row}"
    assert row["errors"] == 0 and row["errnos"] == {}, row


def expect_fail(row, name, nr, count, err="ENOENT"):
    assert row["syscall"] == name and row["nr"] == nr, row
    assert row["count"] == count, f"{name}: count {row['count']}, made {count}: {row}"
    assert row["errors"] == count and row["errnos"] == {err: count}, row


def check_calls(rows, inf, n, m):
    """The getppid and failing-open rows of a sys_calls run, exactly."""
    names = by_name(rows)
    fail = "open" if inf.get("fail_open") else "openat"
    assert "getppid" in names, f"no getppid row: {rows}"
    expect_ok(names["getppid"], "getppid", inf["getppid_nr"], n)
    if m:
        assert fail in names, f"no {fail} row: {rows}"
        if fail == "open":
            expect_fail(names[fail], fail, inf["fail_nr"], m)
        else:
            # other openat calls may be there (gated runs have none): the failing
            # ones are exact
            assert names[fail]["nr"] == inf["fail_nr"], names[fail]
            assert names[fail]["errors"] == m and names[fail]["errnos"] == {"ENOENT": m}, \
                names[fail]
    return names


# ---- a: exact counts under -- PROGRAM, on every hook path ------------------------------

@pytest.mark.parametrize("variant", list(VARIANTS))
def test_counts_program(sysc, variant):
    """
    -- sys_calls: 500 getppid() from main and 50 from a thread, 300 failing
    open(): exactly those counts, errors and errnos; the thread's exit and
    the process's exit_group (which never return) are not counted; each
    probe on the hook the variant asks for.
    """
    opts, hook = VARIANTS[variant]
    res, inf = sysc.calls(["-v", *opts], 500, 300, opts=["-t", "50"])
    check_stderr(res.stderr, verbose=True)
    hooks = probe_hooks(res.stderr)
    for probe, rest in hooks.items():
        assert rest.startswith(hook + "/"), (probe, rest)
    assert {hooks.get("sys-enter", "").split(" ")[0], hooks.get("sys-exit", "").split(" ")[0]} \
        == HOOK_TARGETS[hook], hooks
    # where calls in flight are kept (-v says): task storage unless told otherwise
    store = [line for line in res.stderr.splitlines()
             if line.startswith("kscope: calls in flight kept in ")]
    assert len(store) == 1, res.stderr
    assert ("task-local storage" in store[0]) == (variant != "no_task_storage"), store
    rows = stat_rows(res)
    one_period(rows)
    names = check_calls(rows, inf, 550, 300)
    assert not set(names) & set(NEVER_RETURN), names


@pytest.mark.parametrize("variant", ["default", "raw_tp", "tracepoint"])
def test_count_only(sysc, variant):
    """
    --count-only: the exit probe alone (the number from the registers or the
    tracepoint record), the same exact counts, errors and errnos; latency
    fields are null, and no sys-enter probe is attached.
    """
    opts, hook = VARIANTS[variant]
    res, inf = sysc.calls(["-v", "--count-only", *opts], 500, 300, opts=["-t", "50"])
    assert res.rc == inf.get("rc", res.rc), res
    hooks = probe_hooks(res.stderr)
    assert "sys-enter" not in hooks, res.stderr
    assert hooks["sys-exit"].split(" ")[0] in HOOK_TARGETS[hook], hooks
    rows = res.rows
    assert rows and all(r["type"] == "syscall_stat" for r in rows), rows
    for r in rows:
        assert r["total_ns"] is None and r["avg_ns"] is None and r["max_ns"] is None, r
    one_period(rows)
    check_calls(rows, inf, 550, 300)


def test_count_only_usage():
    for extra in (["--hist"], ["--events"]):
        rc, out, err = cli(["syscall", "--count-only", *extra])
        assert rc == 2 and out == "", (rc, out, err)
        assert len(err.splitlines()) == 1 and "--count-only" in err, (rc, out, err)


# ---- b: exact counts with -p, against a gated workload ---------------------------------

def gated_calls(bg, d, n, m, opts=()):
    """sys_calls -g GO ... waiting for GO: (process, info path, go path)."""
    info = os.path.join(d, f"gated-{secrets.token_hex(3)}.info")
    go = info + ".go"
    p = bg.start([workload("sys_calls"), "-g", go, *opts, info, str(n), str(m)])
    return p, info, go


def test_counts_pid(bg, sysc):
    """-p PID: tracing starts before the workload's first counted call; openat exact."""
    proc, info, go = gated_calls(bg, sysc.tmpdir, 400, 250, opts=["-o", "openat", "-t", "20"])
    tracer = sysc.start(["-p", str(proc.pid)])
    try:
        with open(go, "w"):
            pass
        assert proc.wait(TIMEOUT) == 0, "sys_calls failed"
    finally:
        res = tracer.stop()
    assert res.rc == 0, res
    check_stderr(res.stderr, tracer=True)
    inf = read_info(info)
    assert inf["pid"] == proc.pid and inf["done"] == 1, inf
    rows = stat_rows(res)
    one_period(rows)
    names = check_calls(rows, inf, 420, 250)
    # after the gate the workload opens nothing else: the openat row is exactly its calls
    expect_fail(names["openat"], "openat", inf["fail_nr"], 250)
    assert not set(names) & set(NEVER_RETURN), names


def test_counts_consistent_under_load(bg, sysc):
    """
    -p PID -d 1 on a process failing openat() as fast as it can, before,
    during and after the run: every call fails, so each row must say
    errors == count, and its errnos must add up to its errors, however the
    run's start and end cut into the stream of calls.
    """
    info = sysc.path("load.info")
    proc = bg.start([workload("sys_calls"), "-o", "openat", info, "0", "1000000000"])
    tracer = sysc.start(["-p", str(proc.pid), "-e", "openat", "-d", "1"])
    res = tracer.wait()
    assert res.rc == 0, res
    check_stderr(res.stderr, tracer=True)
    assert proc.poll() is None, "sys_calls ended during the run"
    (row,) = stat_rows(res)
    assert row["syscall"] == "openat" and row["count"] > 1000, row
    assert row["errors"] == row["count"], row
    assert row["errnos"] == {"ENOENT": row["errors"]}, row


def test_two_errnos(sysc):
    """One syscall failing two ways: 300 ENOENT and 40 EISDIR, counted apart."""
    res, inf = sysc.calls([], 100, 300, opts=["-x", "40"])
    check_stderr(res.stderr)
    names = by_name(stat_rows(res))
    expect_ok(names["getppid"], "getppid", inf["getppid_nr"], 100)
    row = names[FAIL]
    if FAIL == "open":
        assert row["count"] == 340, row
    assert row["errors"] == 340 and row["errnos"] == {"ENOENT": 300, "EISDIR": 40}, row


def test_program_calls_only(sysc):
    """
    -- PROGRAM counts PROGRAM's calls and its descendants', from its exec on:
    not those kscope's own child makes before it execs PROGRAM (resetting
    signal handlers, closing pipes, waiting to be released). sys_calls
    never calls rt_sigaction (strace -f shows none), so -e rt_sigaction has
    nothing to show; and with --events every call is sys_calls's own (its
    comm), none is made by a task still called "kscope".
    """
    res, inf = sysc.calls(["-e", "rt_sigaction"], 5, 0)
    check_stderr(res.stderr)
    assert res.rows == [], f"calls sys_calls never made: {res.rows}"

    res, inf = sysc.calls(["--events"], 5, 0)
    check_stderr(res.stderr)
    for e in res.rows:
        check_event(e)
    before = [e for e in res.rows if e["comm"] != "sys_calls"]
    assert not before, f"{len(before)} calls made before PROGRAM's exec: {before}"


# ---- c: --by process -------------------------------------------------------------------

def test_by_process(sysc):
    """A parent (200 getppid, 100 failing opens) and its child (70, 30): one row each."""
    res, inf = sysc.calls(["--by", "process"], 200, 100, opts=["-c", "70,30"])
    check_stderr(res.stderr)
    rows = stat_rows(res, by="process")
    one_period(rows)
    parent, child = inf["pid"], inf["child"]
    keyed = {}
    for r in rows:
        key = (r["pid"], r["syscall"])
        assert key not in keyed, f"two rows for {key}: {rows}"
        keyed[key] = r
        # -- PROGRAM: the workload's two processes and nothing else
        assert r["pid"] in (parent, child), r
        assert r["comm"] == "sys_calls", r
    for pid, n, m in ((parent, 200, 100), (child, 70, 30)):
        assert (pid, "getppid") in keyed, f"no getppid row for {pid}: {rows}"
        expect_ok(keyed[(pid, "getppid")], "getppid", inf["getppid_nr"], n)
        assert (pid, FAIL) in keyed, f"no {FAIL} row for {pid}: {rows}"
        if FAIL == "open":
            expect_fail(keyed[(pid, FAIL)], FAIL, inf["fail_nr"], m)


# ---- c2: --by cgroup ------------------------------------------------------------------------

@pytest.fixture
def task_cgroup(request, bg):
    """
    A fresh cgroup of the hierarchy kscope's --by cgroup rows name (the task's
    cgroup: v2 where cgroup2 is mounted, also on a hybrid host; else the v1 cpu
    controller's): a cgroups.Cgroup (.path, .rel as kscope reports it, .id,
    .argv) whose .ctl.own is this process's own cgroup there. Where cgroup2 is
    mounted, conftest's `cgroup` fixture makes it.
    """
    try:
        mount = cgroup2_mount()
    except AssertionError:
        mount = None
    if mount:
        path = request.getfixturevalue("cgroup")
        with open("/proc/self/cgroup") as f:
            own = [line[3:].rstrip("\n") for line in f if line.startswith("0::")][0]
        ctl = cgroups.Controller(2, mount, own, "cpu", "")
        yield cgroups.Cgroup(ctl, os.path.basename(path))
        return
    # no cgroup v2: the v1 cpu controller's (skipped, with the reason, if none)
    with cgroups.child("cpu", "cpu", "kscope_sys") as cg:
        try:
            yield cg
        finally:
            bg.cleanup()


class CgroupPair:
    """Two gated sys_calls (-o openat): `inside` moved into a cgroup before its exec,
    `outside` in this process's own cgroup, both past their exec and waiting."""

    def __init__(self, bg, sysc, cg, inside, outside):
        self.cg = cg
        self.go = sysc.path(f"pair-{secrets.token_hex(3)}.go")
        self.infos, self.procs = [], []
        for i, (n, m) in enumerate((inside, outside)):
            info = self.go[:-3] + f"-{i}.info"
            argv = [workload("sys_calls"), "-g", self.go, "-o", "openat", info, str(n), str(m)]
            self.procs.append(bg.start(cg.argv(argv) if i == 0 else argv))
            self.infos.append(info)
        # made by sys_calls itself: the shell that moved it is done, and traces nothing
        for info, p in zip(self.infos, self.procs):
            wait_for_file(info, p)

    def pids(self):
        return ",".join(str(p.pid) for p in self.procs)

    def run(self, tracer):
        """Release both, wait for them, stop the tracer: (Result, [info inside, outside])."""
        try:
            with open(self.go, "w"):
                pass
            for p in self.procs:
                assert p.wait(TIMEOUT) == 0, "sys_calls failed"
        finally:
            res = tracer.stop()
        assert res.rc == 0, res
        check_stderr(res.stderr, tracer=True)
        infs = [read_info(i) for i in self.infos]
        for inf, p in zip(infs, self.procs):
            assert inf["pid"] == p.pid and inf["done"] == 1, inf
        assert self.cg.procs() == [], "sys_calls left in the cgroup"
        return res, infs


def by_cgroup(rows):
    """{(cgroup_id, syscall): row}; one path per cgroup id."""
    out, paths = {}, {}
    for r in rows:
        key = (r["cgroup_id"], r["syscall"])
        assert key not in out, f"two rows for {key}: {rows}"
        out[key] = r
        assert paths.setdefault(r["cgroup_id"], r["cgroup"]) == r["cgroup"], rows
    return out


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("mode", ["latency", "count_only"])
def test_by_cgroup(bg, sysc, task_cgroup, mode, variant):
    """
    --by cgroup (-p both), on every hook path: the cgroup's rows are exactly
    its process's 300 getppid and 120 failing openat (ENOENT), with its path
    below the mount point and its id (the directory's inode); this process's
    own cgroup has the other's 70 and 25, not those. --count-only: the same
    counts, no latency.
    """
    cg = task_cgroup
    pair = CgroupPair(bg, sysc, cg, (300, 120), (70, 25))
    extra = ["--count-only"] if mode == "count_only" else []
    extra += VARIANTS[variant][0]
    res, (inf, inf_own) = pair.run(sysc.start(["--by", "cgroup", *extra, "-p", pair.pids()]))
    rows = stat_rows(res, by="cgroup", count_only=mode == "count_only")
    one_period(rows)
    keyed = by_cgroup(rows)
    own_id = cg.ctl.id_of(cg.ctl.own)
    assert cg.id != own_id, (cg, own_id)
    # -p: the two processes' cgroups, nothing else
    assert {k[0] for k in keyed} == {cg.id, own_id}, rows
    for (cgid, name), r in keyed.items():
        assert r["cgroup"] == (cg.rel if cgid == cg.id else cg.ctl.own), (cg.rel, r)
    for cgid, n, m in ((cg.id, 300, 120), (own_id, 70, 25)):
        assert (cgid, "getppid") in keyed and (cgid, "openat") in keyed, (cgid, rows)
        expect_ok(keyed[(cgid, "getppid")], "getppid", inf["getppid_nr"], n)
        # gated: past the gate, sys_calls opens nothing else
        expect_fail(keyed[(cgid, "openat")], "openat", inf["fail_nr"], m)
    if mode == "latency":
        r = keyed[(cg.id, "getppid")]
        assert r["total_ns"] > 0 and r["max_ns"] > 0, r


def test_by_cgroup_table(bg, sysc, task_cgroup):
    """Text: a CGROUP column (the path) instead of PID and COMM, the exact counts."""
    cg = task_cgroup
    pair = CgroupPair(bg, sysc, cg, (300, 120), (70, 25))
    res, infs = pair.run(sysc.start(["--by", "cgroup", "-p", pair.pids()], json_mode=False))
    lines = res.rows.splitlines()
    assert lines, res.rows
    header = lines[0].split()
    assert header[:3] == ["CGROUP", "SYSCALL", "COUNT"], lines[0]
    assert "PID" not in header and "COMM" not in header, lines[0]
    col = {name: header.index(name) for name in header}
    rows = {}
    for line in lines[1:]:
        f = line.split()
        if f:
            key = (f[col["CGROUP"]], f[col["SYSCALL"]])
            assert key not in rows, f"two rows for {key}: {lines}"
            rows[key] = f
    own = cg.ctl.own
    assert {k[0] for k in rows} == {cg.rel, own}, lines
    for path, n, m in ((cg.rel, "300", "120"), (own, "70", "25")):
        assert rows[(path, "getppid")][col["COUNT"]] == n, (lines[0], rows[(path, "getppid")])
        assert rows[(path, "openat")][col["COUNT"]] == m, (lines[0], rows[(path, "openat")])
        assert rows[(path, "openat")][col["ERRORS"]] == m, (lines[0], rows[(path, "openat")])
        assert rows[(path, "openat")][-1] == f"ENOENT:{m}", (lines[0], rows[(path, "openat")])


def test_by_cgroup_sort_top(bg, sysc, task_cgroup):
    """-s errors -n 1 --by cgroup: the cgroup's openat row alone, its 120 failures."""
    cg = task_cgroup
    pair = CgroupPair(bg, sysc, cg, (300, 120), (70, 25))
    res, (inf, _) = pair.run(sysc.start(["--by", "cgroup", "-s", "errors", "-n", "1",
                                         "-p", pair.pids()]))
    (row,) = stat_rows(res, by="cgroup")
    assert (row["cgroup_id"], row["cgroup"]) == (cg.id, cg.rel), row
    expect_fail(row, "openat", inf["fail_nr"], 120)


@pytest.mark.parametrize("by", ["process", "cgroup"])
@pytest.mark.parametrize("opt,msg", [(["--hist"], "--hist is per syscall: it does not go with"),
                                     (["--events"], "--events streams calls: it does not go with")],
                         ids=["hist", "events"])
def test_by_owner_usage(by, opt, msg):
    """--hist and --events are per syscall or per call: refused with --by process or cgroup."""
    check_usage_error("syscall", ["--by", by, *opt], f"{msg} --by {by}")


def test_by_bad_value():
    """A bad --by says which kinds there are."""
    check_usage_error("syscall", ["--by", "container"],
                      "invalid --by 'container' (syscall, process or cgroup)")


# ---- d: -e, --errors ------------------------------------------------------------------------

@pytest.mark.parametrize("opt", ["-e", "--syscall"])
def test_syscall_filter(sysc, opt):
    """-e getppid,FAIL: those two rows only, still exact; -e getppid: one row."""
    res, inf = sysc.calls([opt, f"getppid,{FAIL}"], 500, 300)
    check_stderr(res.stderr)
    rows = stat_rows(res)
    names = by_name(rows)
    assert set(names) == {"getppid", FAIL}, rows
    check_calls(rows, inf, 500, 300)

    res, inf = sysc.calls([opt, "getppid"], 123, 45)
    check_stderr(res.stderr)
    rows = stat_rows(res)
    assert len(rows) == 1, rows
    expect_ok(rows[0], "getppid", inf["getppid_nr"], 123)


def test_errors_only(sysc):
    """--errors: only failing calls: no getppid row, the open row is its failures."""
    res, inf = sysc.calls(["--errors"], 500, 300)
    check_stderr(res.stderr)
    rows = stat_rows(res)
    for r in rows:
        assert r["count"] == r["errors"] > 0, f"--errors counted a call that succeeded: {r}"
    names = by_name(rows)
    assert "getppid" not in names, names
    assert FAIL in names, rows
    assert names[FAIL]["errors"] == names[FAIL]["count"], names[FAIL]
    if FAIL == "open":
        expect_fail(names[FAIL], FAIL, inf["fail_nr"], 300)

    res, inf = sysc.calls(["--errors", "-e", f"getppid,{FAIL}"], 500, 300)
    check_stderr(res.stderr)
    rows = stat_rows(res)
    assert [r["syscall"] for r in rows] == [FAIL], rows
    if FAIL == "open":
        expect_fail(rows[0], FAIL, inf["fail_nr"], 300)


# ---- e: --events --------------------------------------------------------------------------

FILE_BYTES = 4242
READ_COUNT = 8192


def check_event(e):
    missing = [f for f in EVENT_FIELDS if f not in e]
    assert not missing, f"syscall event lacks {missing}: {e}"
    for f in ("ts_ns", "pid", "tid", "ppid", "uid", "cgroup_id", "cpu", "nr", "latency_ns"):
        assert is_int(e[f]) and e[f] >= 0, (f, e)
    assert is_int(e["ret"]), e
    assert isinstance(e["args"], list) and len(e["args"]) == 6, e
    assert all(is_int(a) for a in e["args"]), e
    assert e["syscall"] not in NEVER_RETURN, f"a call that never returns was reported: {e}"
    err = e.get("errno")
    if -4095 <= e["ret"] <= -1:
        assert isinstance(err, str) and re.fullmatch(r"E[A-Z0-9_]+", err), e
    else:
        assert err is None, e


def raw(v):
    """An argument as the 64-bit register held it (-100 and 2**64 - 100 alike)."""
    return v & U64


def seq_file(sysc):
    path = sysc.path("seq.data")
    with open(path, "wb") as f:
        f.write(bytes(i % 251 for i in range(FILE_BYTES)))
    return path


def find_seq(events, inf, first_name, marker):
    """The index of the call with args[4] == marker in the workload's thread."""
    mine = [e for e in events if e["tid"] == inf["tid"]]
    at = [i for i, e in enumerate(mine) if e["syscall"] == first_name and
          raw(e["args"][4]) == marker]
    assert len(at) == 1, f"{first_name} with marker {marker:#x}: {at}, in {mine}"
    return mine, at[0]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_events_sequence(sysc, variant):
    """--events: sys_seq's seven calls, in order, with their raw args, returns, errnos."""
    opts, hook = VARIANTS[variant]
    data = seq_file(sysc)
    info = sysc.path("seq.info")
    res = sysc.run(["--events", *opts], program=[workload("sys_seq"), info, data,
                                                 str(READ_COUNT)])
    assert res.rc == 0, res
    check_stderr(res.stderr)
    inf = read_info(info)
    assert inf["nread"] == FILE_BYTES, inf
    assert res.rows and all(e["type"] == "syscall" for e in res.rows), res.rows[:10]
    for e in res.rows:
        check_event(e)
        assert e["pid"] == inf["pid"], f"-- PROGRAM: another process traced: {e}"
    cg = cgroup_id_of()
    mine, i = find_seq(res.rows, inf, "openat", 0xa4)
    # per thread, in the order the calls returned
    for p, n in zip(mine, mine[1:]):
        assert n["ts_ns"] >= p["ts_ns"], (p, n)
    seq = mine[i:i + 7]
    assert [e["syscall"] for e in seq] == ["openat", "read", "read", "close", "close", "openat",
                                           "getppid"], seq
    for e in seq:
        assert e["pid"] == inf["pid"] and e["tid"] == inf["tid"], e
        assert e["ppid"] == inf["ppid"] and e["uid"] == os.getuid(), e
        assert e["comm"] == "sys_seq" and e["cgroup_id"] == cg, e
    fd = inf["fd"]
    op, rd, eof, cl, cl2, miss, gp = seq

    assert op["nr"] == inf["openat_nr"], op
    assert [raw(a) for a in op["args"]] == [raw(inf["AT_FDCWD"]), inf["path_addr"],
                                           inf["O_RDONLY"] | inf["O_CLOEXEC"], 0, 0xa4, 0xa5], op
    assert op["ret"] == fd and op.get("errno") is None, op

    assert rd["nr"] == inf["read_nr"], rd
    assert rd["args"] == [fd, inf["buf_addr"], READ_COUNT, 0xb3, 0xb4, 0xb5], rd
    assert rd["ret"] == FILE_BYTES and rd.get("errno") is None, rd
    assert eof["args"] == [fd, inf["buf_addr"], READ_COUNT, 0xc3, 0xc4, 0xc5], eof
    assert eof["ret"] == 0 and eof.get("errno") is None, eof

    assert cl["nr"] == inf["close_nr"], cl
    assert cl["args"] == [fd, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5], cl
    assert cl["ret"] == 0 and cl.get("errno") is None, cl
    assert cl2["args"] == [fd, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5], cl2
    assert cl2["ret"] == -9 and cl2["errno"] == "EBADF", cl2

    assert [raw(a) for a in miss["args"]] == [raw(inf["AT_FDCWD"]), inf["missing_addr"],
                                             inf["O_RDONLY"], 0, 0xf4, 0xf5], miss
    assert miss["ret"] == -2 and miss["errno"] == "ENOENT", miss

    assert gp["nr"] == inf["getppid_nr"], gp
    assert gp["ret"] == inf["ppid"] and gp.get("errno") is None, gp


def test_events_filtered(sysc):
    """--events -e read,close: only those calls; sys_seq's four appear back to back."""
    data = seq_file(sysc)
    info = sysc.path("seq.info")
    res = sysc.run(["--events", "-e", "read,close"],
                   program=[workload("sys_seq"), info, data, str(READ_COUNT)])
    assert res.rc == 0, res
    check_stderr(res.stderr)
    inf = read_info(info)
    for e in res.rows:
        assert e["type"] == "syscall", e
        check_event(e)
    assert {e["syscall"] for e in res.rows} == {"read", "close"}, res.rows
    mine, i = find_seq(res.rows, inf, "read", 0xb4)
    seq = mine[i:i + 4]
    assert [(e["syscall"], raw(e["args"][1])) for e in seq] == \
        [("read", inf["buf_addr"]), ("read", inf["buf_addr"]), ("close", 0xd1),
         ("close", 0xe1)], seq
    assert [e["ret"] for e in seq] == [FILE_BYTES, 0, 0, -9], seq


def test_events_errors(sysc):
    """--events --errors: only failing calls; sys_seq's two failures are there."""
    data = seq_file(sysc)
    info = sysc.path("seq.info")
    res = sysc.run(["--events", "--errors"],
                   program=[workload("sys_seq"), info, data, str(READ_COUNT)])
    assert res.rc == 0, res
    check_stderr(res.stderr)
    inf = read_info(info)
    for e in res.rows:
        assert e["type"] == "syscall", e
        check_event(e)
        assert -4095 <= e["ret"] <= -1, f"--errors showed a call that succeeded: {e}"
    mine = [e for e in res.rows if e["tid"] == inf["tid"]]
    ours = [(e["syscall"], e["ret"], e["errno"]) for e in mine
            if raw(e["args"][4]) in (0xe4, 0xf4)]
    assert ours == [("close", -9, "EBADF"), ("openat", -2, "ENOENT")], mine


def test_restarted_read(sysc):
    """
    sys_restart: a read() interrupted by a signal (SA_RESTART) ends, as the
    kernel sees it, with -ERESTARTSYS (512, kernel-internal), then the
    handler returns through rt_sigreturn and the read is made again and
    gets its byte. --events shows that, in order; the summary counts the
    one failure under its name.
    """
    info = sysc.path("restart.info")
    res = sysc.run(["--events", "-e", "read,rt_sigreturn"],
                   program=[workload("sys_restart"), info])
    assert res.rc == 0, res
    check_stderr(res.stderr)
    inf = read_info(info)
    for e in res.rows:
        check_event(e)
    mine = [e for e in res.rows if e["tid"] == inf["tid"]]
    at = [i for i, e in enumerate(mine) if e["syscall"] == "read" and
          e["args"][3:] == [0x71, 0x72, 0x73]]
    assert len(at) == 2, mine
    first, again = mine[at[0]], mine[at[1]]
    assert first["ret"] == -512 and first["errno"] == "ERESTARTSYS", first
    assert [e["syscall"] for e in mine[at[0] + 1:at[1]]] == ["rt_sigreturn"], mine
    assert again["ret"] == 1 and again.get("errno") is None, again
    assert first["args"] == again["args"], (first, again)

    res = sysc.run(["-e", "read"], program=[workload("sys_restart"), info])
    assert res.rc == 0, res
    check_stderr(res.stderr)
    (row,) = stat_rows(res)
    assert row["syscall"] == "read", row
    assert row["errors"] == 1 and row["errnos"] == {"ERESTARTSYS": 1}, row


# ---- f: --hist -------------------------------------------------------------------------------

def check_hist(h):
    missing = [f for f in HIST_FIELDS if f not in h]
    assert not missing, f"hist lacks {missing}: {h}"
    assert h["type"] == "hist" and h["name"] == "syscall_latency" and h["unit"] == "us", h
    assert isinstance(h["syscall"], str), h
    buckets = h["buckets"]
    assert buckets, h
    for i, bk in enumerate(buckets):
        assert set(bk) == {"low", "high", "count"}, bk
        assert bk["low"] == (0 if i == 0 else 1 << i), (i, bk)
        assert bk["high"] == (1 << (i + 1)) - 1, (i, bk)
        assert is_int(bk["count"]) and bk["count"] >= 0, bk
    assert buckets[-1]["count"] > 0, h        # listed up to the last non-empty one
    assert sum(bk["count"] for bk in buckets) == h["count"], h


def test_hist_all(sysc):
    """--hist: one histogram per syscall; getppid's and open's hold every call."""
    res, inf = sysc.calls(["--hist"], 300, 100)
    check_stderr(res.stderr)
    hists = res.rows
    assert hists and all(h["type"] == "hist" for h in hists), hists
    names = {}
    for h in hists:
        check_hist(h)
        assert h["syscall"] not in names, f"two histograms for {h['syscall']}: {hists}"
        assert h["syscall"] not in NEVER_RETURN, h
        names[h["syscall"]] = h
    assert names["getppid"]["count"] == 300, names["getppid"]
    if FAIL == "open":
        assert names["open"]["count"] == 100, names["open"]


@pytest.mark.parametrize("form", ["separate", "equals"])
def test_hist_one(sysc, form):
    """--hist getppid / --hist=getppid: that histogram alone, every call in it."""
    args = ["--hist", "getppid"] if form == "separate" else ["--hist=getppid"]
    res, inf = sysc.calls(args, 300, 100)
    check_stderr(res.stderr)
    assert len(res.rows) == 1, res.rows
    (h,) = res.rows
    check_hist(h)
    assert h["syscall"] == "getppid" and h["count"] == 300, h


def test_hist_text(sysc):
    """--hist getppid as text: bcc's layout, and the bucket counts add up to the calls."""
    res, inf = sysc.calls(["--hist=getppid"], 300, 100, json_mode=False)
    check_stderr(res.stderr)
    total = 0
    for line in res.rows.splitlines():
        m = re.match(r"^\s*(\d+) -> (\d+)\s*: (\d+)\s+\|[* ]*\|$", line)
        if m:
            total += int(m.group(3))
    assert "usecs" in res.rows, res.rows
    assert total == 300, res.rows


# ---- g: interval mode -----------------------------------------------------------------------

def periods(rows):
    out = {}
    for r in rows:
        out.setdefault(r["ts_ns"], []).append(r)
    return [out[k] for k in sorted(out)]


def test_interval_mode(sysc):
    """
    `1`: 250 getppid() paced 10 ms apart last at least 2.5 s, so they fall
    in at least two periods; the periods' counts add up to exactly 250.
    """
    res, inf = sysc.calls(["-e", "getppid", "1"], 250, 0, opts=["-i", "10000"])
    check_stderr(res.stderr)
    rows = stat_rows(res)
    assert {r["syscall"] for r in rows} == {"getppid"}, rows
    ps = periods(rows)
    assert len(ps) >= 2, ps
    for p in ps:
        assert len(p) == 1, p                   # one row per syscall per period
        assert p[0]["interval_ns"] > 0, p
    for p, n in zip(ps, ps[1:]):
        assert n[0]["ts_ns"] - p[0]["ts_ns"] == n[0]["interval_ns"], (p[0], n[0])
    assert sum(p[0]["count"] for p in ps) == 250, ps


def test_interval_top(sysc):
    """-n 1 with an interval: one row per period, every period."""
    res, inf = sysc.calls(["-n", "1", "1"], 250, 0, opts=["-i", "10000"])
    check_stderr(res.stderr)
    ps = periods(stat_rows(res))
    assert len(ps) >= 2, ps
    for p in ps:
        assert len(p) == 1, p


def test_interval_count_stops(bg, sysc):
    """`1 2`: two periods, then kscope ends by itself with status 0."""
    proc, info, go = gated_calls(bg, sysc.tmpdir, 1000000, 0, opts=["-i", "10000"])
    tracer = sysc.start(["-p", str(proc.pid), "-e", "getppid", "1", "2"])
    with open(go, "w"):
        pass
    res = tracer.wait()
    assert res.rc == 0, res
    check_stderr(res.stderr, tracer=True)
    assert proc.poll() is None, "sys_calls ended before kscope"
    rows = stat_rows(res)
    ps = periods(rows)
    assert len(ps) == 2, ps
    for p in ps:
        assert [r["syscall"] for r in p] == ["getppid"], p
    assert ps[1][0]["ts_ns"] - ps[0][0]["ts_ns"] == ps[1][0]["interval_ns"], ps


# ---- h: -s, -n, the table ---------------------------------------------------------------------

def test_top(sysc):
    """-n 2: the two most frequent calls, getppid (500) then open (300)."""
    res, inf = sysc.calls(["-n", "2"], 500, 300)
    check_stderr(res.stderr)
    rows = stat_rows(res)
    assert [r["syscall"] for r in rows] == ["getppid", FAIL], rows
    check_calls(rows, inf, 500, 300)


def test_sort_errors_top(sysc):
    """-s errors -n 1: the open row, with its 300 failures."""
    res, inf = sysc.calls(["-s", "errors", "-n", "1"], 500, 300)
    check_stderr(res.stderr)
    rows = stat_rows(res)
    assert [r["syscall"] for r in rows] == [FAIL], rows
    assert rows[0]["errors"] == 300, rows


@pytest.mark.parametrize("key,field", [(None, "count"), ("count", "count"),
                                       ("time", "total_ns"), ("errors", "errors")])
def test_sort(sysc, key, field):
    res, inf = sysc.calls(["-s", key] if key else [], 500, 300)
    check_stderr(res.stderr)
    rows = stat_rows(res)
    assert len(rows) > 5, rows
    vals = [r[field] for r in rows]
    assert vals == sorted(vals, reverse=True), [(r["syscall"], r[field]) for r in rows]
    check_calls(rows, inf, 500, 300)


def test_table(sysc):
    """Text: a header line, then the getppid row with its exact count."""
    res, inf = sysc.calls([], 500, 300, json_mode=False)
    check_stderr(res.stderr)
    lines = res.rows.splitlines()
    assert lines, res.rows
    header = lines[0].split()
    assert "SYSCALL" in header and "COUNT" in header, lines[0]
    col = {name: header.index(name) for name in header}
    rows = {}
    for line in lines[1:]:
        f = line.split()
        if f:
            assert f[col["SYSCALL"]] not in rows, f"two rows for {f[col['SYSCALL']]}: {lines}"
            rows[f[col["SYSCALL"]]] = f
    assert "getppid" in rows, lines
    assert rows["getppid"][col["COUNT"]] == "500", (lines[0], rows["getppid"])
    assert FAIL in rows, lines
    if FAIL == "open":      # else openat: the workload's own INFO file is one more
        assert rows[FAIL][col["COUNT"]] == "300", (lines[0], rows[FAIL])
    if "ERRORS" in col:
        assert rows[FAIL][col["ERRORS"]] == "300", (lines[0], rows[FAIL])
        assert rows["getppid"][col["ERRORS"]] == "0", (lines[0], rows["getppid"])
    assert not any(c < " " and c not in "\n" for c in res.rows), res.rows


# ---- i: -- PROGRAM's exit status ------------------------------------------------------------

def test_exit_status(sysc):
    res = sysc.run([], program=[workload("exit_with"), "7"])
    assert res.rc == 7, res
    check_stderr(res.stderr)
    stat_rows(res)                       # the summary is still written
    res = sysc.run([], program=[workload("exit_with"), "0"])
    assert res.rc == 0, res


def test_exit_status_killed(sysc):
    """PROGRAM killed by SIGKILL: 128 + 9."""
    res = sysc.run([], program=[workload("killself"), sysc.path("killself.info")])
    assert res.rc == 137, res
    stat_rows(res)


def test_program_not_found(sysc):
    res = sysc.run([], program=["/nonexistent/program"])
    assert res.rc == 127, res
    assert "/nonexistent/program" in res.stderr, res


# ---- j: command line ------------------------------------------------------------------------

USAGE_ERRORS = [
    ["-e", "nosuchsyscall"],
    ["--syscall", "nosuchsyscall"],
    ["-e", "getppid,nosuchsyscall"],
    ["-e", ""],
    ["-e"],
    ["--hist=nosuchsyscall"],
    ["--hist", "nosuchsyscall"],
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


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=lambda a: " ".join(a) or "empty")
def test_usage_error(args):
    # -d 1 first: should kscope accept the line, it stops by itself (and fails here)
    rc, out, err = cli(["syscall", "-d", "1", *args])
    assert rc == 2, (rc, out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("kscope syscall: "), err


@pytest.mark.parametrize("args", [["-e", "nosuchsyscall"], ["-e", "getppid,nosuchsyscall"],
                                  ["--hist=nosuchsyscall"]], ids=" ".join)
def test_unknown_syscall_named(args):
    """The error names the syscall it does not know."""
    rc, out, err = cli(["syscall", "-d", "1", *args])
    assert rc == 2 and out == "" and "nosuchsyscall" in err, (rc, out, err)


def test_usage_error_runs_nothing(tmp_path):
    """A usage error after -- PROGRAM: PROGRAM is not run."""
    marker = tmp_path / "ran"
    rc, out, err = cli(["syscall", "-e", "nosuchsyscall", "--", "/bin/sh", "-c",
                            f"touch {marker}"])
    assert rc == 2 and out == "" and err.count("\n") == 1, (rc, out, err)
    assert not marker.exists()


def test_help():
    rc, out, err = cli(["syscall", "--help"])
    assert rc == 0, err
    assert out.startswith("usage: kscope syscall "), out
    for opt in ("--syscall", "--by", "--hist", "--errors", "--events", "--sort", "--top"):
        assert opt in out, opt


# ---- k: signals -----------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["summary", "events"])
def test_sigint_summary_and_cleanup(bg, sysc, mode):
    """
    SIGINT ends `kscope syscall -p PID` (no PROGRAM): exit 0, the summary
    (or the events) of what the gated workload did, exactly, and none of
    its programs, links and maps left behind.
    """
    proc, info, go = gated_calls(bg, sysc.tmpdir, 200, 100, opts=["-o", "openat"])
    tracer = sysc.start(["-p", str(proc.pid), *(["--events"] if mode == "events" else [])])
    try:
        owned = bpf_objects(tracer.pid)
        assert len(owned["prog"]) >= 2 and len(owned["link"]) >= 2, owned  # enter, exit
        assert owned["map"], owned
        with open(go, "w"):
            pass
        assert proc.wait(TIMEOUT) == 0
    finally:
        res = tracer.stop(signal.SIGINT)
    assert res.rc == 0, res
    check_stderr(res.stderr, tracer=True)
    inf = read_info(info)
    if mode == "summary":
        names = check_calls(stat_rows(res), inf, 200, 100)
        expect_fail(names["openat"], "openat", inf["fail_nr"], 100)
    else:
        for e in res.rows:
            assert e["type"] == "syscall" and e["pid"] == proc.pid, e
            check_event(e)
        calls = [e["syscall"] for e in res.rows]
        assert calls.count("getppid") == 200, calls
        failed = [e for e in res.rows if e["syscall"] == "openat"]
        assert len(failed) == 100, failed
        assert all(e["ret"] == -2 and e["errno"] == "ENOENT" for e in failed), failed
    check_gone(owned)

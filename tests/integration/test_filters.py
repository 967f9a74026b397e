# SPDX-License-Identifier: GPL-2.0
"""
Filters without -- PROGRAM: -p (with and without --follow), -u, --comm, -c
and -d. Each test starts a `ticker` (already running when kscope starts,
waiting for a go file) plus an unrelated noise loop, starts kscope, waits
until it traces (see conftest.Tracer), lets the ticker fork+exec N children,
and checks that exactly the ticker's matching events were seen.
"""
import os
import secrets

import pytest

import cgroups
from conftest import (SETPRIV_NOBODY, TIMEOUT, check_usage_error, parse_ndjson, read_ints,
                      read_text, wait_for_file, workload)

N = 3


class Ticker:
    def __init__(self, bg, d, name="ticker", prefix=(), ticker=None, ew=None):
        self.info = os.path.join(d, f"{name}.info")
        self.go = os.path.join(d, f"{name}.go")
        self.ew = ew or workload("exit_with")
        cmd = [*prefix, ticker or workload("ticker"), self.info, self.go, str(N), self.ew,
               "0", "tick"]
        self.proc = bg.start(cmd)
        wait_for_file(self.info, self.proc)
        (self.pid,) = read_ints(self.info)
        self.kids = []

    def go_and_wait(self):
        with open(self.go, "w"):
            pass
        assert self.proc.wait(TIMEOUT) == 0
        pid, *self.kids = read_ints(self.info)
        assert pid == self.pid and len(self.kids) == N

    def check_forks(self, events):
        forks = [e for e in events if e["type"] == "fork" and e["pid"] == self.pid]
        assert [f["child_pid"] for f in forks] == self.kids, forks
        for f in forks:
            assert f["tid"] == self.pid and f["thread"] is False, f
            assert f["child_tid"] == f["child_pid"], f

    def check_exit(self, events):
        (x,) = [e for e in events if e["type"] == "exit" and e["pid"] == self.pid]
        assert x["tid"] == self.pid and x["exit_code"] == 0 and x["group_dead"] is True, x

    def check_children(self, events):
        """Each child's exec (exact argv) and exit, and nothing else of them."""
        for kid in self.kids:
            mine = [e for e in events if e["pid"] == kid]
            assert sorted(e["type"] for e in mine) == ["exec", "exit"], mine
            (ex,) = [e for e in mine if e["type"] == "exec"]
            assert ex["ppid"] == self.pid and ex["ret"] == 0, ex
            assert ex["filename"] == self.ew, ex
            assert ex["argv"] == [self.ew, "0", "tick"], ex
            (x,) = [e for e in mine if e["type"] == "exit"]
            assert x["exit_code"] == 0 and x["group_dead"] is True, x

    def mine(self, events):
        return [e for e in events if e["pid"] in {self.pid, *self.kids}]


def test_pid_filter(kscope, bg, noise, tmp_path):
    """-p A,B: the forks and exits of A and B only (children not followed)."""
    a = Ticker(bg, str(tmp_path), "a")
    b = Ticker(bg, str(tmp_path), "b")
    tracer = kscope.start(["-p", f"{a.pid},{b.pid}"])
    before = noise.count()
    a.go_and_wait()
    b.go_and_wait()
    noise.assert_progress(before)
    res = tracer.stop()
    assert res.rc == 0, res
    assert {e["pid"] for e in res.events} == {a.pid, b.pid}, res.events
    for t in (a, b):
        t.check_forks(res.events)
        t.check_exit(res.events)
    assert len(res.events) == 2 * (N + 1), res.events
    noise.assert_absent(res.events)


def test_pid_follow(kscope, bg, noise, tmp_path):
    """-p A --follow: A's events and all of its new children's, nothing else."""
    a = Ticker(bg, str(tmp_path), "a")
    tracer = kscope.start(["-p", str(a.pid), "--follow"])
    a.go_and_wait()
    res = tracer.stop()
    assert res.rc == 0, res
    assert {e["pid"] for e in res.events} == {a.pid, *a.kids}, res.events
    a.check_forks(res.events)
    a.check_exit(res.events)
    a.check_children(res.events)
    assert len(res.events) == N + 1 + 2 * N, res.events
    noise.assert_absent(res.events)


def test_uid_filter(kscope, bg, noise, shared_dir, shared_bin):
    """-u 65534: only uid 65534's events; all of the ticker's are there."""
    t = Ticker(bg, shared_dir, "nobody", prefix=SETPRIV_NOBODY,
               ticker=shared_bin(workload("ticker")), ew=shared_bin(workload("exit_with")))
    tracer = kscope.start(["-u", "65534"])
    t.go_and_wait()
    res = tracer.stop()
    assert res.rc == 0, res
    assert res.events, res
    for e in res.events:
        assert e["uid"] == 65534, e
    mine = t.mine(res.events)
    t.check_forks(mine)
    t.check_exit(mine)
    t.check_children(mine)
    assert len(mine) == N + 1 + 2 * N, mine
    noise.assert_absent(res.events)


def test_uid_filter_by_name(kscope, bg, shared_dir, shared_bin):
    """-u nobody is the same filter as -u 65534."""
    t = Ticker(bg, shared_dir, "nobody", prefix=SETPRIV_NOBODY,
               ticker=shared_bin(workload("ticker")), ew=shared_bin(workload("exit_with")))
    tracer = kscope.start(["-u", "nobody"])
    t.go_and_wait()
    res = tracer.stop()
    assert res.rc == 0, res
    assert all(e["uid"] == 65534 for e in res.events), res.events
    t.check_forks(t.mine(res.events))


def test_comm_filter(kscope, bg, noise, tmp_path):
    """--comm NAME: only tasks whose comm is NAME (the children exec away from it)."""
    name = "kst" + secrets.token_hex(4)          # 11 chars: fits comm's 15
    link = os.path.join(str(tmp_path), name)
    os.symlink(workload("ticker"), link)
    t = Ticker(bg, str(tmp_path), "comm", ticker=link)
    tracer = kscope.start(["--comm", name])
    t.go_and_wait()
    res = tracer.stop()
    assert res.rc == 0, res
    for e in res.events:
        assert e["comm"] == name, e
        assert e["pid"] == t.pid, e
    t.check_forks(res.events)
    t.check_exit(res.events)
    assert len(res.events) == N + 1, res.events
    noise.assert_absent(res.events)


def test_cgroup_filter(kscope, bg, noise, tmp_path, cgroup):
    """-c DIR: exactly the events of the tasks in that cgroup."""
    t = Ticker(bg, str(tmp_path), "cg")
    with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
        f.write(str(t.pid))
    cgid = os.stat(cgroup).st_ino
    tracer = kscope.start(["-c", cgroup])
    before = noise.count()
    t.go_and_wait()
    noise.assert_progress(before)
    res = tracer.stop()
    assert res.rc == 0, res
    for e in res.events:
        assert e["cgroup_id"] == cgid, e
    assert {e["pid"] for e in res.events} == {t.pid, *t.kids}, res.events
    t.check_forks(res.events)
    t.check_exit(res.events)
    t.check_children(res.events)
    assert len(res.events) == N + 1 + 2 * N, res.events
    noise.assert_absent(res.events)


def test_cgroup_filter_controller(kscope, bg, noise, tmp_path):
    """-c DIR of a controller's hierarchy (v1 memory on a hybrid host, else cgroup v2):
    exactly the events of the tasks in that cgroup, found in the kernel by walking
    each task's cgroup in that hierarchy."""
    with cgroups.child("memory", "memory", "kscope_cgf") as cg:
        t = Ticker(bg, str(tmp_path), "cgv")
        cgroups.write(os.path.join(cg.path, "cgroup.procs"), str(t.pid))
        tracer = kscope.start(["-c", cg.path])
        before = noise.count()
        t.go_and_wait()
        noise.assert_progress(before)
        res = tracer.stop()
    assert res.rc == 0, res
    assert {e["pid"] for e in res.events} == {t.pid, *t.kids}, res.events
    t.check_forks(res.events)
    t.check_exit(res.events)
    assert len(res.events) == N + 1 + 2 * N, res.events
    noise.assert_absent(res.events)


def test_cgroup_filter_not_a_cgroup():
    check_usage_error("proc", ["-c", "/tmp"], "not a cgroup directory (v2, or a v1 controller's)")


def test_duration_ends_by_itself(kscope):
    """-d 1: kscope stops on its own, exit status 0, output well formed."""
    res = kscope.run(["-d", "1"])
    assert res.rc == 0, res
    assert res.stdout == "", res
    parse_ndjson(read_text(res.out))

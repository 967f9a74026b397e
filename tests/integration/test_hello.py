# SPDX-License-Identifier: GPL-2.0
"""
`kscope hello`: one record per exec. A program the test runs under a unique
name gives exactly one line with its pid, its comm and its filename, on
every hook path this kernel takes; -j parses; bad input exits 2 with one
line; nothing stays attached after SIGINT.
"""
import os
import secrets
import signal
import subprocess

import pytest

from conftest import HOOK_VARIANTS, bpf_objects, check_gone, check_usage_error, cli, read_text

HELLO_FIELDS = ("type", "ts_ns", "pid", "tid", "ppid", "uid", "comm", "cgroup_id", "cpu",
                "filename", "filename_truncated")


def named_true(tmp_path, name=None):
    """A copy of /bin/true under a unique name: its comm and filename are known."""
    name = name or "kh" + secrets.token_hex(4)
    path = os.path.join(str(tmp_path), name)
    with open("/bin/true", "rb") as src, open(path, "wb") as dst:
        dst.write(src.read())
    os.chmod(path, 0o755)
    return name, path


@pytest.mark.parametrize("variant", list(HOOK_VARIANTS))
def test_one_line_per_exec(kscope, tmp_path, variant):
    """-- PROGRAM: exactly the program's exec, its pid and name, on each hook path."""
    opts, hook = HOOK_VARIANTS[variant]
    name, path = named_true(tmp_path)
    res = kscope.command("hello").run(["-v", *opts], program=[path])
    assert res.rc == 0, res.stderr
    probe = [line for line in res.stderr.splitlines()
             if line.startswith("kscope: probe exec: ")]
    assert probe and probe[0].split(": ")[2].startswith(hook + "/"), (probe, hook)
    events = res.events
    assert len(events) == 1, events
    e = events[0]
    assert tuple(e) == HELLO_FIELDS, e
    assert e["type"] == "hello"
    assert e["comm"] == name
    assert e["filename"] == path
    assert e["filename_truncated"] is False
    assert e["pid"] == e["tid"] and e["ppid"] > 0, e
    assert e["uid"] == os.getuid()


def test_text_line(tmp_path):
    """The text line: hello: pid=N comm=NAME filename=PATH, nothing else."""
    name, path = named_true(tmp_path)
    rc, stdout, stderr = cli(["hello", "--", path])
    assert rc == 0, stderr
    lines = stdout.splitlines()
    assert len(lines) == 1, stdout
    head, _, rest = lines[0].partition(" comm=")
    assert head.startswith("hello: pid=") and int(head[len("hello: pid="):]) > 0, lines
    assert rest == f"{name} filename={path}", lines


def test_pid_matches_the_program(kscope, tmp_path):
    """The record's pid is the process that exec'd: the workload reports its own pid."""
    pidfile = os.path.join(str(tmp_path), "pid")
    prog = ["sh", "-c", f'echo $$ > {pidfile}; exec /bin/true']
    res = kscope.command("hello").run([], program=prog)
    assert res.rc == 0, res.stderr
    pid = int(read_text(pidfile))
    events = res.events
    # PROGRAM's own exec (sh, found on PATH), then the one it makes
    assert len(events) == 2, events
    assert [e["pid"] for e in events] == [pid, pid], events
    assert events[0]["comm"] == "sh" and events[0]["filename"].endswith("/sh"), events
    assert (events[1]["comm"], events[1]["filename"]) == ("true", "/bin/true"), events


def test_escaped(kscope, tmp_path):
    """A program name with a newline and an escape byte stays on one line."""
    name, path = named_true(tmp_path, "k\nh\x1b")
    rc, stdout, stderr = cli(["hello", "--", path])
    assert rc == 0, stderr
    assert stdout.count("\n") == 1, stdout
    assert "comm=k\\nh\\x1b " in stdout, stdout
    res = kscope.command("hello").run([], program=[path])
    assert res.rc == 0, res.stderr
    (e,) = res.events
    assert e["comm"] == "k\nh\x1b" and e["filename"] == path


@pytest.mark.parametrize("args, msg", [
    (["--bogus"], "unknown option '--bogus'"),
    (["5"], "unexpected argument '5'"),
    (["-p", "0"], None),
    (["-d", "0"], None),
    (["--comm", "x" * 16], None),
])
def test_bad_input(args, msg):
    check_usage_error("hello", args, msg)


def test_sigint_leaves_nothing(kscope, tmp_path):
    """Tracing everything, stopped by SIGINT: exit 0, every BPF object gone."""
    name, path = named_true(tmp_path)
    t = kscope.command("hello").start([])
    owned = bpf_objects(t.pid)
    assert owned["prog"] and owned["link"], owned
    subprocess.run([path], check=True)
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    mine = [e for e in res.events if e["comm"] == name]
    assert len(mine) == 1 and mine[0]["filename"] == path, res.events
    check_gone(owned)

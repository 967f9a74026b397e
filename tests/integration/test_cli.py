# SPDX-License-Identifier: GPL-2.0
"""
The command-line contract: exit codes (0 ok, 1 runtime failure, 2 usage),
one-line usage errors, help and version, privilege errors, doctor, -T and -o.
"""
import calendar
import json
import os
import re
import subprocess
import time

import pytest

from conftest import KSCOPE, TIMEOUT, cli, parse_ndjson, read_text, workload


def unused_pid():
    """The pid of a process that has exited and been reaped (pids are not reused soon)."""
    pid = subprocess.Popen(["/bin/true"])
    pid.wait()
    try:
        os.kill(pid.pid, 0)
    except ProcessLookupError:
        return pid.pid
    pytest.fail(f"pid {pid.pid} was reused at once")


def test_no_arguments():
    rc, out, err = cli([])
    assert rc == 2
    assert out == ""
    assert "usage: kscope" in err


USAGE_ERRORS = [
    ["nosuch"],
    ["help", "nosuch"],
    ["proc", "--bogus"],
    ["proc", "-Z"],
    ["proc", "-p"],
    ["proc", "-p", "999999999"],
    ["proc", "-p", "abc"],
    ["proc", "-p", "0"],
    ["proc", "-d", "abc"],
    ["proc", "-d", "0"],
    ["proc", "-d", "-1"],
    ["proc", "--ringbuf-kb", "3"],
    ["proc", "--ringbuf-kb", "0"],
    ["proc", "--ringbuf-kb", "lots"],
    ["proc", "-e", "fork,bogus"],
    ["proc", "--no-hook", "bogus"],
    ["proc", "-u", "no-such-user-kscope"],
    ["proc", "-c", "/nonexistent/cgroup"],
    ["proc", "-c", "/tmp"],
    ["proc", "--follow"],
    ["proc", "extra"],
    ["proc", "--"],
    ["proc", "-p", "1", "--", "/bin/true"],
    ["doctor", "--bogus"],
    # issue 12, item 9: lists with empty items, empty paths, names the kernel cuts
    ["proc", "-p", "1,,1"],
    ["proc", "-p", "1,"],
    ["proc", "-e", "exec,,exit"],
    ["proc", "-e", ","],
    ["syscall", "-e", "read,,write"],
    ["proc", "-c", ""],
    ["proc", "--comm", "sixteen-bytes-xx"],
    # options that would be ignored
    ["syscall", "--events", "-n", "3"],
    ["syscall", "--events", "-s", "time"],
    ["syscall", "--events", "1"],
    ["syscall", "--hist", "-s", "count"],
    ["sched", "--hist", "-s", "cpu"],
    ["sched", "--hist", "-n", "3"],
    ["sched", "--cpu", "-s", "runq"],
    ["sched", "--cpu", "--by", "process"],
    ["fileio", "--slow", "5", "-x"],
    ["proc", "--tree", "-e", "exec"],
    ["proc", "--tree", "-x"],
    ["proc", "--btf", "/dev/null"],
]


# the one line of each: exact where the issue asked for a wording
USAGE_LINES = {
    ("proc", "-p", "1,,1"): "invalid pid list '1,,1' (PID[,PID...])",
    ("proc", "-e", "exec,,exit"): "invalid --event 'exec,,exit' (fork,exec,exit)",
    ("proc", "-c", ""): "empty cgroup path (the root is '/')",
    ("proc", "--comm", "sixteen-bytes-xx"):
        "--comm 'sixteen-bytes-xx' is 16 bytes long: the kernel keeps the first 15 of a "
        "command name ('sixteen-bytes-x')",
    ("proc", "-d", "0"): "invalid duration '0' (seconds, more than 0 and at most 10000000)",
    ("syscall", "--events", "1"): "--events and an interval cannot be combined: --events "
        "streams calls, an interval prints summaries",
    ("sched", "--hist", "-s", "cpu"): "--hist and -s/--sort cannot be combined: a histogram "
        "has no rows to sort",
    ("fileio", "--slow", "5", "-x"): "--slow and -x/--failed cannot be combined: --slow "
        "streams slow reads and writes instead of opens",
    ("proc", "--tree", "-e", "exec"): "--tree and -e/--event cannot be combined: the tree is "
        "built from every fork, exec and exit",
    ("proc", "--btf", "/dev/null"): "--btf '/dev/null' is not usable BTF: not a regular file",
}


@pytest.mark.parametrize("args", list(USAGE_LINES), ids=" ".join)
def test_usage_error_line(args):
    rc, out, err = cli(list(args))
    assert rc == 2 and out == "", (rc, out, err)
    assert err == f"kscope {args[0]}: {USAGE_LINES[args]} (see 'kscope {args[0]} --help')\n"


def test_cgroup_root_spellings():
    """'/' and '.' are the root cgroup (as /proc/PID/cgroup writes paths): accepted."""
    for path in ("/", "."):
        rc, out, err = cli(["proc", "-c", path, "-e", "exec", "-j", "--", "/bin/true"])
        assert rc == 0, (path, err)
        assert [e["argv"] for e in parse_ndjson(out) if e["type"] == "exec"] == [["/bin/true"]]


def test_pid_that_is_a_thread():
    """-p takes process ids: a thread id is refused, naming its process (item 4)."""
    import threading

    started, stop = threading.Event(), threading.Event()
    tid = []

    def body():
        tid.append(threading.get_native_id())
        started.set()
        stop.wait(TIMEOUT)

    t = threading.Thread(target=body)
    t.start()
    try:
        started.wait(TIMEOUT)
        with open("/proc/self/comm") as f:
            comm = f.read().strip()
        rc, out, err = cli(["sched", "-p", str(tid[0]), "-d", "1"])
    finally:
        stop.set()
        t.join()
    pid = os.getpid()
    assert rc == 2 and out == "", (rc, err)
    assert err == (f"kscope sched: {tid[0]} is a thread of process {pid} ({comm}), not a "
                   f"process: -p takes process ids (-p {pid}: all of its threads) "
                   "(see 'kscope sched --help')\n"), err


# ---- untrusted bytes in error lines (item 10) ---------------------------------

@pytest.mark.parametrize("args", [
    ["bad\x1b[31mcmd\nsecond line"],
    ["proc", "--comm", "x\ry\x1b]0;title\x07 and more than 15 bytes"],
    ["proc", "-u", "no\nuser"],
    ["proc", "-o", "/nonexistent/a\nb"],
    ["syscall", "-e", "read\x1b[2J"],
], ids=["command", "comm", "user", "output", "syscall"])
def test_error_lines_escape_control_bytes(args):
    rc, out, err = cli(args)
    assert rc == 2 and out == "", (rc, err)
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert not any(ord(c) < 0x20 for c in err[:-1]), repr(err)
    for raw in ("\x1b", "\r", "\x07"):
        assert raw not in err, repr(err)
    assert "\\x1b" in err or "\\n" in err or "\\r" in err, repr(err)


def test_program_name_escaped(tmp_path):
    """A PROGRAM that cannot run, named with control bytes: still one escaped line."""
    out = str(tmp_path / "o")
    rc, _, err = cli(["proc", "-o", out, "--", "/nonexistent/\x1b[1mprog\nx"])
    assert rc == 127, (rc, err)
    assert err.count("\n") == 1 and "\x1b" not in err, repr(err)
    assert "cannot run '/nonexistent/\\x1b[1mprog\\nx'" in err, repr(err)


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
def test_usage_error(args):
    rc, out, err = cli(args)
    assert rc == 2, (rc, out, err)
    assert out == "", out
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("kscope"), err


def test_unused_pid():
    rc, out, err = cli(["proc", "-p", str(unused_pid())])
    assert rc == 2 and out == "" and err.count("\n") == 1, (rc, out, err)


def test_usage_error_runs_nothing(tmp_path):
    """A usage error after '--' never starts PROGRAM."""
    marker = os.path.join(str(tmp_path), "ran")
    rc, out, err = cli(["proc", "--bogus", "--", "/bin/touch", marker])
    assert rc == 2 and err.count("\n") == 1
    assert not os.path.exists(marker)


def test_version():
    rc, out, err = cli(["-V"])
    assert rc == 0 and err == ""
    assert re.fullmatch(r"kscope \d+\.\d+\.\d+\S*\n", out), out
    assert cli(["--version"])[1] == out


@pytest.mark.parametrize("args", [["help"], ["-h"], ["--help"]])
def test_help(args):
    rc, out, err = cli(args)
    assert rc == 0 and err == ""
    assert "usage: kscope" in out
    assert "proc" in out and "doctor" in out


@pytest.mark.parametrize("args", [["help", "proc"], ["proc", "--help"], ["proc", "-h"]])
def test_help_proc(args):
    rc, out, err = cli(args)
    assert rc == 0 and err == ""
    assert out.startswith("usage: kscope proc")
    for opt in ("--pid", "--follow", "--uid", "--comm", "--cgroup", "--duration", "--json",
                "--output", "--timestamp", "--verbose", "--no-hook", "--no-precheck",
                "--ringbuf-kb", "--event", "--tree", "-- PROGRAM"):
        assert opt in out, opt


def test_help_wins_over_program(tmp_path):
    marker = os.path.join(str(tmp_path), "ran")
    rc, out, err = cli(["proc", "--help", "--", "/bin/touch", marker])
    assert rc == 0 and "usage: kscope proc" in out
    assert not os.path.exists(marker)


def test_program_not_found(kscope):
    """-- PROGRAM that cannot be run: 127, like a shell, and a message."""
    res = kscope.run([], program=["/nonexistent/program"])
    assert res.rc == 127, res
    assert "/nonexistent/program" in res.stderr, res.stderr
    parse_ndjson(read_text(res.out))


# ---- privileges --------------------------------------------------------------

def capsh_drop(caps):
    """A prefix that runs a command ("$0" "$@" in capsh's shell) with caps dropped from
    the bounding set."""
    return ["capsh", f"--drop={caps}", "--", "-c", 'exec "$0" "$@"']


def test_unprivileged_user(shared_bin):
    rc, out, err = cli(["proc", "-d", "1"], binary=shared_bin(KSCOPE),
                       prefix=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               "--inh-caps=-all"])
    assert rc == 1, (rc, err)
    assert err.count("\n") == 1 and "CAP_BPF" in err, err
    assert out == ""


def test_root_without_cap_bpf():
    """Root with CAP_BPF and CAP_SYS_ADMIN dropped from the bounding set."""
    rc, out, err = cli(["proc", "-d", "1"], prefix=capsh_drop("cap_bpf,cap_sys_admin"))
    assert rc == 1, (rc, err)
    assert err.count("\n") == 1, err
    assert "CAP_BPF" in err, err
    assert out == ""


def test_root_without_cap_bpf_keeps_sys_admin(kscope):
    """CAP_SYS_ADMIN alone is enough."""
    res = kscope.run([], program=["/bin/true"], prefix=capsh_drop("cap_bpf"))
    assert res.rc == 0, res
    events = res.events
    assert [e["argv"] for e in events if e["type"] == "exec"] == [["/bin/true"]]


# ---- doctor -------------------------------------------------------------------

def test_doctor_text():
    rc, out, err = cli(["doctor"])
    assert rc == 0, (out, err)
    assert "proc" in out and "fork" in out and "exec" in out and "exit" in out


def test_doctor_json():
    rc, out, err = cli(["doctor", "-j"])
    assert rc == 0, (out, err)
    assert out.count("\n") == 1, out
    d = json.loads(out)
    assert d["type"] == "doctor"
    probes = [p for p in d["probes"] if p["command"] == "proc"]
    for name in ("fork", "exec", "exit"):
        (p,) = [p for p in probes if p["probe"] == name]
        assert p["hook"], p
        assert p["hook"] in ("fentry", "kprobe", "tp_btf", "raw_tp", "tracepoint"), p
        assert p["target"], p


# ---- -T and -o ------------------------------------------------------------------

TIME_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{9})Z")


def test_timestamps_and_output_file(kscope):
    info = kscope.path("spawner.info")
    before = time.time()
    res = kscope.run(["-T"], program=[workload("spawner"), info, "0",
                                      workload("exit_with"), "0"])
    after = time.time()
    assert res.rc == 0, res
    assert res.stdout == "", res.stdout       # everything went to -o FILE
    assert len(res.events) == 5, res.events
    for e in res.events:
        m = TIME_RE.fullmatch(e["time"])
        assert m, e["time"]
        y, mo, d, h, mi, s, ns = (int(x) for x in m.groups())
        t = calendar.timegm((y, mo, d, h, mi, s)) + ns / 1e9
        # the event happened while kscope ran (a little slack for clock steps)
        assert before - 5 <= t <= after + 5, (before, e["time"], after)
    # and the wall clock follows ts_ns
    evs = sorted(res.events, key=lambda e: e["ts_ns"])
    assert [e["time"] for e in evs] == sorted(e["time"] for e in evs)


def test_output_file_text(kscope):
    """Text mode with -o: header and events in the file, nothing on stdout."""
    info = kscope.path("spawner.info")
    res = kscope.run([], program=[workload("spawner"), info, "0", workload("exit_with"), "0"],
                     json_mode=False)
    assert res.rc == 0, res
    assert res.stdout == ""
    lines = res.events.splitlines()
    assert lines[0].split()[:6] == ["TIME(s)", "EVENT", "PID", "TID", "PPID", "COMM"], lines
    assert [ln.split()[1] for ln in lines[1:]].count("exec") == 2, lines

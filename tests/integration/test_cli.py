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

from conftest import KSCOPE, TIMEOUT, parse_ndjson, read_text, workload


def run(args, **kw):
    p = subprocess.run([KSCOPE, *args], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=TIMEOUT, **kw)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


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
    rc, out, err = run([])
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
]


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
def test_usage_error(args):
    rc, out, err = run(args)
    assert rc == 2, (rc, out, err)
    assert out == "", out
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("kscope"), err


def test_unused_pid():
    rc, out, err = run(["proc", "-p", str(unused_pid())])
    assert rc == 2 and out == "" and err.count("\n") == 1, (rc, out, err)


def test_usage_error_runs_nothing(tmp_path):
    """A usage error after '--' never starts PROGRAM."""
    marker = os.path.join(str(tmp_path), "ran")
    rc, out, err = run(["proc", "--bogus", "--", "/bin/touch", marker])
    assert rc == 2 and err.count("\n") == 1
    assert not os.path.exists(marker)


def test_version():
    rc, out, err = run(["-V"])
    assert rc == 0 and err == ""
    assert re.fullmatch(r"kscope \d+\.\d+\.\d+\S*\n", out), out
    assert run(["--version"])[1] == out


@pytest.mark.parametrize("args", [["help"], ["-h"], ["--help"]])
def test_help(args):
    rc, out, err = run(args)
    assert rc == 0 and err == ""
    assert "usage: kscope" in out
    assert "proc" in out and "doctor" in out


@pytest.mark.parametrize("args", [["help", "proc"], ["proc", "--help"], ["proc", "-h"]])
def test_help_proc(args):
    rc, out, err = run(args)
    assert rc == 0 and err == ""
    assert out.startswith("usage: kscope proc")
    for opt in ("--pid", "--follow", "--uid", "--comm", "--cgroup", "--duration", "--json",
                "--output", "--timestamp", "--verbose", "--no-hook", "--no-precheck",
                "--ringbuf-kb", "--event", "--tree", "-- PROGRAM"):
        assert opt in out, opt


def test_help_wins_over_program(tmp_path):
    marker = os.path.join(str(tmp_path), "ran")
    rc, out, err = run(["proc", "--help", "--", "/bin/touch", marker])
    assert rc == 0 and "usage: kscope proc" in out
    assert not os.path.exists(marker)


def test_program_not_found(tmp_path):
    """-- PROGRAM that cannot be run: 127, like a shell, and a message."""
    out = os.path.join(str(tmp_path), "o")
    p = subprocess.run([KSCOPE, "proc", "-j", "-o", out, "--", "/nonexistent/program"],
                       capture_output=True, timeout=TIMEOUT)
    assert p.returncode == 127, p
    assert b"/nonexistent/program" in p.stderr, p.stderr
    parse_ndjson(read_text(out))


# ---- privileges --------------------------------------------------------------

def test_unprivileged_user(shared_bin):
    k = shared_bin(KSCOPE)
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "--inh-caps=-all", k, "proc", "-d", "1"],
                       capture_output=True, timeout=TIMEOUT)
    err = p.stderr.decode()
    assert p.returncode == 1, (p.returncode, err)
    assert err.count("\n") == 1 and "CAP_BPF" in err, err
    assert p.stdout == b""


def test_root_without_cap_bpf():
    """Root with CAP_BPF and CAP_SYS_ADMIN dropped from the bounding set."""
    p = subprocess.run(["capsh", "--drop=cap_bpf,cap_sys_admin", "--", "-c",
                        f'exec "{KSCOPE}" proc -d 1'],
                       capture_output=True, timeout=TIMEOUT)
    err = p.stderr.decode()
    assert p.returncode == 1, (p.returncode, err)
    assert err.count("\n") == 1, err
    assert "CAP_BPF" in err, err
    assert p.stdout == b""


def test_root_without_cap_bpf_keeps_sys_admin(tmp_path):
    """CAP_SYS_ADMIN alone is enough."""
    out = os.path.join(str(tmp_path), "o")
    p = subprocess.run(["capsh", "--drop=cap_bpf", "--", "-c",
                        f'exec "{KSCOPE}" proc -j -o "{out}" -- /bin/true'],
                       capture_output=True, timeout=TIMEOUT)
    assert p.returncode == 0, p
    events = parse_ndjson(read_text(out))
    assert [e["argv"] for e in events if e["type"] == "exec"] == [["/bin/true"]]


# ---- doctor -------------------------------------------------------------------

def test_doctor_text():
    rc, out, err = run(["doctor"])
    assert rc == 0, (out, err)
    assert "proc" in out and "fork" in out and "exec" in out and "exit" in out


def test_doctor_json():
    rc, out, err = run(["doctor", "-j"])
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

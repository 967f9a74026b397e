# SPDX-License-Identifier: GPL-2.0
"""
Stopping kscope: SIGINT, SIGTERM, a reader that goes away (SIGPIPE/EPIPE).
Each must end kscope with status 0 and leave no BPF program, link or map
behind. What kscope owns is read from /proc/PID/fdinfo (this bpftool cannot
list owner pids), so other BPF tools running meanwhile do not matter.
"""
import fcntl
import os
import secrets
import signal
import subprocess
import threading
import time

import pytest

from conftest import (TIMEOUT, bpf_objects, bpftool_list, check_gone, read_ints, wait_for_file,
                      workload)


def check_owned(owned):
    """kscope's attached programs are the ones we expect."""
    progs = bpftool_list("prog")
    names = {progs[i]["name"] for i in owned["prog"] if i in progs}
    for probe in ("fork", "exec", "exit"):
        assert any(n.startswith(f"handle_{probe}") for n in names), names
    assert len(owned["link"]) >= 3, owned
    assert owned["map"], owned


def blocked_in_pipe_write(pid):
    """Is pid asleep in write() to a full pipe?"""
    try:
        with open(f"/proc/{pid}/wchan") as f:
            if "pipe_write" in f.read():
                return True
        with open(f"/proc/{pid}/stack") as f:
            return "pipe_write" in f.read()
    except OSError:
        return False


class Drain:
    """Reads a pipe to the end in a thread; lines() once it is done."""

    def __init__(self, f):
        self.f = f
        self.data = []
        self.first_line = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        for line in self.f:
            self.data.append(line)
            self.first_line.set()
        self.first_line.set()

    def wait_first(self):
        assert self.first_line.wait(TIMEOUT), "no output"
        assert self.data, "output ended before the first line"
        return self.data[0]

    def lines(self):
        self.t.join(TIMEOUT)
        return self.data


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_stop_signal_cleans_up(kscope, noise, sig):
    k = kscope.start([], json_mode=False, stdout=subprocess.PIPE)
    try:
        out = Drain(k.proc.stdout)
        header = out.wait_first()       # printed once attached
        assert header.startswith(b"TIME"), header
        owned = bpf_objects(k.pid)
        check_owned(owned)
        k.proc.send_signal(sig)
        assert k.proc.wait(TIMEOUT) == 0, k.stderr_text()
    finally:
        k.kill()
    out.lines()
    check_gone(owned)


def test_closed_pipe_ends_kscope(kscope, tmp_path):
    """kscope proc | head -n 2: kscope notices the reader left, exits 0, cleans up."""
    name = "ksp" + secrets.token_hex(4)
    link = os.path.join(str(tmp_path), name)
    os.symlink(workload("exit_with"), link)
    # head's output is block-buffered: readiness comes from kscope's stderr
    # (a terminal), not from the header going through head
    k = kscope.start(["--comm", name], json_mode=False, stdout=subprocess.PIPE)
    head = subprocess.Popen(["head", "-n", "2"], stdin=k.proc.stdout, stdout=subprocess.PIPE)
    k.proc.stdout.close()
    try:
        owned = bpf_objects(k.pid)
        check_owned(owned)
        # activity matching the filter until kscope is gone
        deadline = time.monotonic() + TIMEOUT
        while k.proc.poll() is None and time.monotonic() < deadline:
            subprocess.run([link, "0"], timeout=TIMEOUT)
        assert k.proc.wait(TIMEOUT) == 0, k.stderr_text()
        out, _ = head.communicate(timeout=TIMEOUT)
        assert head.returncode == 0
    finally:
        k.kill()
        if head.poll() is None:
            head.kill()
            head.wait()
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert lines[0].startswith(b"TIME"), out
    assert name.encode() in lines[1], out
    check_gone(owned)


def test_stop_signal_with_stalled_reader(kscope, noise):
    """
    SIGINT must stop kscope even while its output pipe is full (a paused
    pager, a stuck consumer): exit 0 and clean up, not block forever in
    write().
    """
    r, w = os.pipe()
    fcntl.fcntl(r, fcntl.F_SETPIPE_SZ, 4096)
    try:
        k = kscope.start([], json_mode=False, stdout=w)
    finally:
        os.close(w)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not blocked_in_pipe_write(k.pid):   # the pipe is full
            assert k.proc.poll() is None, "kscope died"
            assert time.monotonic() < deadline, "kscope never blocked on its output"
            time.sleep(0.05)
        owned = bpf_objects(k.pid)
        check_owned(owned)
        k.proc.send_signal(signal.SIGINT)
        try:
            rc = k.proc.wait(30)        # a hang guard, not a speed limit
        except subprocess.TimeoutExpired:
            rc = None
        assert rc == 0, "kscope did not stop on SIGINT while its stdout pipe was full"
    finally:
        k.kill()
        os.close(r)
    check_gone(owned)


# ---- with -- PROGRAM (docs/exit-codes.md) ------------------------------------

def signal_delivered(pid, sig):
    """sig is no longer pending for pid: its handler has been entered."""
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.split(":", 1) for line in f)
    bit = 1 << (sig - 1)
    return not (int(status["SigPnd"], 16) & bit or int(status["ShdPnd"], 16) & bit)


class ProgramRun:
    """kscope -j -o FILE -- ticker INFO GO 1 exit_with 0 (kscope.start: self.t; its
    process self.k): waits until released."""

    def __init__(self, kscope):
        self.info = kscope.path("ticker.info")
        self.go = kscope.path("ticker.go")
        self.ew = workload("exit_with")
        self.t = kscope.start([], program=[workload("ticker"), self.info, self.go, "1",
                                           self.ew, "0"])
        self.k = self.t.proc
        wait_for_file(self.info, self.k)        # PROGRAM runs: tracing is on
        (self.pid,) = read_ints(self.info)

    def signal(self, sig):
        self.k.send_signal(sig)
        deadline = time.monotonic() + TIMEOUT
        while not signal_delivered(self.k.pid, sig):
            assert time.monotonic() < deadline
            time.sleep(0.01)

    def stderr(self):
        return self.t.stderr_text()

    def events(self):
        """Every event kscope wrote (once it has ended)."""
        return self.t.stop().events

    def cleanup(self):
        for pid in (self.k.pid, self.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.k.wait()


def test_program_sigterm_is_forwarded(kscope):
    """SIGTERM goes on to PROGRAM; its death is traced; kscope exits 128+15."""
    r = ProgramRun(kscope)
    try:
        r.k.send_signal(signal.SIGTERM)
        assert r.k.wait(TIMEOUT) == 128 + signal.SIGTERM, r.stderr()
    finally:
        r.cleanup()
    events = r.events()
    (x,) = [e for e in events if e["type"] == "exit"]
    assert x["pid"] == r.pid and x["signal"] == signal.SIGTERM and x["exit_code"] == 0, x
    assert [e["type"] for e in events if e["pid"] == r.pid] == ["exec", "exit"], events


def test_program_first_sigint_keeps_tracing(kscope):
    """The first SIGINT is not passed on: tracing goes on until PROGRAM exits."""
    r = ProgramRun(kscope)
    try:
        r.signal(signal.SIGINT)
        with open(r.go, "w"):
            pass
        assert r.k.wait(TIMEOUT) == 0, r.stderr()
    finally:
        r.cleanup()
    pid, kid = read_ints(r.info)
    events = r.events()
    assert sorted((e["type"], e["pid"]) for e in events) == sorted(
        [("exec", pid), ("fork", pid), ("exec", kid), ("exit", kid), ("exit", pid)]), events
    (ex,) = [e for e in events if e["type"] == "exec" and e["pid"] == kid]
    assert ex["argv"] == [r.ew, "0"], ex


def test_program_second_sigint_stops(kscope):
    """A second SIGINT stops kscope at once, even though PROGRAM still runs."""
    r = ProgramRun(kscope)
    try:
        r.signal(signal.SIGINT)
        r.signal(signal.SIGINT)
        try:
            rc = r.k.wait(30)                   # a hang guard, not a speed limit
        except subprocess.TimeoutExpired:
            rc = None
        assert rc is not None, "kscope did not stop on a second SIGINT while PROGRAM runs"
        assert rc == 0, r.stderr()
    finally:
        r.cleanup()
    events = r.events()
    assert [(e["type"], e["pid"]) for e in events] == [("exec", r.pid)], events

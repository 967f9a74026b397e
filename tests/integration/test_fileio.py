# SPDX-License-Identifier: GPL-2.0
"""
`kscope fileio` on the real kernel. The workload fileio_rw
(tests/workloads/fileio_rw.c) does file I/O whose every number the test
chooses: K reads or writes of exactly SIZE bytes on a path, N fsyncs,
opens that must fail, writes through dup'ed and inherited descriptors, a
read from a FIFO that the test keeps waiting; it records its pid and the fd
of every open. kscope's numbers for that pid and path must be exactly those:
calls, bytes, fds, flags, errno names. --by process and --by cgroup sum
the same calls per process or cgroup: a workload started (its INFO file
open) before kscope traces, alone in a fresh cgroup, makes exactly the
test's reads and writes there.

Latencies are only checked for what the test itself guarantees: a call the
test holds back for a second is at least the --slow threshold; every other
number is exact. Nothing here asserts how long anything took otherwise.
"""
import os
import platform
import re
import secrets
import signal
import threading
import time

import pytest

from conftest import (HOOK_VARIANTS, SETPRIV_NOBODY, TIMEOUT, Kscope, Result, bpf_objects,
                      bpftool_list, cgroup2_mount, cgroup_id_of, check_gone, check_usage_error,
                      cli, parse_ndjson, wait_for_file, wait_sleeping, workload)

HDR = ("type", "ts_ns", "pid", "tid", "ppid", "uid", "comm", "cgroup_id", "cpu")
OPEN_FIELDS = HDR + ("fd", "errno", "ret", "flags", "flags_raw", "mode", "syscall", "dfd",
                     "open_id", "path", "path_truncated")
SLOW_FIELDS = HDR + ("op", "syscall", "fd", "bytes", "requested_bytes", "latency_ns", "ret",
                     "errno", "open_id", "path", "path_truncated")
STAT_FIELDS = ("type", "ts_ns", "interval_ns", "pid", "comm", "path", "path_truncated", "reads",
               "writes", "read_bytes", "write_bytes", "read_ns", "write_ns", "fsyncs",
               "fsync_ns", "errors")
# open(2) and creat(2) exist on x86_64; arm64 has only openat/openat2
LEGACY = platform.machine() == "x86_64"

OWNER_FIELDS = ("type", "ts_ns", "interval_ns", "reads", "writes", "read_bytes", "write_bytes",
                "read_ns", "write_ns", "fsyncs", "fsync_ns", "errors")

FIELDS = {"open": OPEN_FIELDS, "slow_io": SLOW_FIELDS, "file_stat": STAT_FIELDS,
          "fileio_process_stat": OWNER_FIELDS + ("pid", "comm"),
          "fileio_cgroup_stat": OWNER_FIELDS + ("cgroup_id", "cgroup")}

SUMMARY_HEADER = ["PID", "COMM", "READS", "WRITES", "R-BYTES", "W-BYTES", "R-AVG", "W-AVG",
                  "FSYNCS", "PATH"]
CGROUP_HEADER = ["CGROUP", "READS", "WRITES", "R-BYTES", "W-BYTES", "R-AVG", "W-AVG", "FSYNCS"]
TRACING_LINE = "Tracing file opens and I/O... Hit Ctrl-C to end."


def dec(b):
    return b.decode("utf-8", "surrogateescape") if isinstance(b, bytes) else b


# ---- running kscope fileio and the workload ------------------------------------------------

class Info:
    """What fileio_rw recorded: its pid, and per step (in order) the fd (and child pid)."""

    def __init__(self, path):
        with open(path) as f:
            lines = f.read().split("\n")
        self.pid = int(lines[0])
        self.steps = [line.split() for line in lines[1:] if line.strip()]

    def fds(self, step):
        return [int(s[1]) for s in self.steps if s[0] == step]

    def fd(self, step):
        (fd,) = self.fds(step)
        return fd


class FileIOResult(Result):
    """conftest's Result, with rows by pid and path and what fileio_rw recorded (.info)."""

    info = None

    def of(self, kind, pid=None, path=None):
        return [r for r in self.rows if r["type"] == kind and
                (pid is None or r["pid"] == pid) and (path is None or r["path"] == dec(path))]

    def stat(self, pid, path):
        """The one file_stat row of (pid, path), or None."""
        rows = self.of("file_stat", pid, path)
        assert len(rows) <= 1, rows
        return rows[0] if rows else None


def check_rows(rows):
    for r in rows:
        if r["type"] in FIELDS:
            missing = [f for f in FIELDS[r["type"]] if f not in r]
            assert not missing, f"{r['type']} lacks {missing}: {r}"
    return rows


class FileIO(Kscope):
    """Runs `kscope fileio [-j] -o FILE ARGS [-- PROGRAM]` in the test's directory
    (conftest's runner): every row of a known type has its fields."""

    command_name = "fileio"
    result = FileIOResult

    def run(self, args, program=None, json_mode=True, info=None):
        res = super().run(args, program, json_mode)
        if json_mode:
            check_rows(res.rows)
        if info and os.path.exists(info):
            res.info = Info(info)
        return res

    def rw(self, args, steps, json_mode=True):
        """kscope fileio ARGS -- fileio_rw INFO STEPS: a Result, with .info."""
        self.n += 1
        info = self.path(f"rw-{self.n}.info")
        return self.run(args, [workload("fileio_rw"), info, *steps], json_mode, info)


@pytest.fixture
def fio(tmp_path):
    return FileIO(str(tmp_path))


def check_stderr(stderr, verbose=False, tracer=False):
    for line in stderr.splitlines():
        if tracer and line == TRACING_LINE:
            continue
        if verbose and (line.startswith("kscope: probe ") or line.startswith("libbpf: ") or
                        line.startswith("kscope: calls in flight kept in ")):
            continue
        raise AssertionError(f"unexpected stderr line {line!r} in {stderr!r}")


def check_io(row, reads=0, writes=0, read_bytes=0, write_bytes=0, fsyncs=0):
    """Exact counts; each kind of call that happened took some time, the others none."""
    assert row is not None, "no file_stat row"
    want = {"reads": reads, "writes": writes, "read_bytes": read_bytes,
            "write_bytes": write_bytes, "fsyncs": fsyncs, "errors": 0}
    assert {k: row[k] for k in want} == want, row
    for n, ns in (("reads", "read_ns"), ("writes", "write_ns"), ("fsyncs", "fsync_ns")):
        assert (row[ns] > 0) == (row[n] > 0), row
    assert row["path_truncated"] is False, row


# ---- exact counts, on every hook path -----------------------------------------------------

# the hook paths, and calls in flight in an LRU hash instead of task storage
IO_VARIANTS = dict(HOOK_VARIANTS)
IO_VARIANTS["no_task_storage"] = (["--no-task-storage"], "tp_btf")


@pytest.mark.parametrize("variant", list(IO_VARIANTS))
def test_exact_io(fio, variant):
    """K calls of SIZE bytes per path: exactly K and K*SIZE, per variant of every call."""
    extra, hook = IO_VARIANTS[variant]
    p = {k: fio.path(k) for k in "ABCDEG"}
    res = fio.rw(["-v", *extra], [
        "write", p["A"], "10", "1000", "read", p["A"], "5", "2000",
        "pwrite", p["B"], "3", "512", "pread", p["B"], "3", "512",
        "writev", p["C"], "4", "100", "readv", p["C"], "4", "100",
        "fsync", p["D"], "3", "fdatasync", p["D"], "2",
        "dup", p["E"], "2", "10",
        "fork", p["G"], "3", "7"])
    assert res.rc == 0, res
    check_stderr(res.stderr, verbose=True)
    store = re.findall(r"^kscope: calls in flight kept in (.*)$", res.stderr, re.M)
    assert store == ["an LRU hash by thread id" if variant == "no_task_storage"
                     else "task-local storage"], res.stderr
    hooks = dict(re.findall(r"^kscope: probe (sys-enter|sys-exit): (\S+)", res.stderr, re.M))
    assert hooks == {"sys-enter": f"{hook}/" + ("raw_syscalls/" if hook == "tracepoint" else "")
                     + "sys_enter", "sys-exit": f"{hook}/" +
                     ("raw_syscalls/" if hook == "tracepoint" else "") + "sys_exit"}, res.stderr
    pid = res.info.pid
    # the two opens of A (write, then read) are one row
    check_io(res.stat(pid, p["A"]), reads=5, writes=10, read_bytes=10000, write_bytes=10000)
    check_io(res.stat(pid, p["B"]), reads=3, writes=3, read_bytes=1536, write_bytes=1536)
    check_io(res.stat(pid, p["C"]), reads=4, writes=4, read_bytes=400, write_bytes=400)
    check_io(res.stat(pid, p["D"]), fsyncs=5)
    # writes through dup(), dup2() and fcntl(F_DUPFD_CLOEXEC) count for the file
    check_io(res.stat(pid, p["E"]), writes=6, write_bytes=60)
    # the child's writes on the fd it inherited: the child's row, none for the parent
    (_, fd, child) = [s for s in res.info.steps if s[0] == "fork"][0]
    assert res.stat(pid, p["G"]) is None, res.of("file_stat", path=p["G"])
    row = res.stat(int(child), p["G"])
    check_io(row, writes=3, write_bytes=21)
    assert row["comm"] == "fileio_rw", row
    for r in res.of("file_stat"):
        assert r["interval_ns"] > 0 and r["ts_ns"] > 0, r
    # the summary is sorted by bytes
    tot = [r["read_bytes"] + r["write_bytes"] for r in res.of("file_stat")]
    assert tot == sorted(tot, reverse=True), tot


def test_stale_fd_not_counted(fio):
    """An fd closed behind kscope's back (close_range) and reused by a pipe is not the file."""
    a = fio.path("stale")
    res = fio.rw([], ["stale", a, "write", fio.path("after"), "1", "3"])
    assert res.rc == 0, res
    pid = res.info.pid
    check_io(res.stat(pid, a), writes=1, write_bytes=5)
    check_io(res.stat(pid, fio.path("after")), writes=1, write_bytes=3)


def kernel_cmdline_says_ia32():
    """True/False when the kernel command line decides 32-bit calls (ia32_emulation=), else None."""
    with open("/proc/cmdline") as f:
        for word in f.read().split():
            if word.startswith("ia32_emulation="):
                return word.split("=", 1)[1] in ("1", "y", "Y", "on", "true")
    return None


def test_compat_calls_skipped(fio):
    """
    A 32-bit call (int $0x80) on a tracked fd is not counted, and not taken for the
    64-bit call of the same number (ia32 read is 3, x86-64 close is 3): the 64-bit
    write after it still counts. kscope says on stderr that it saw such calls.

    Whether the kernel takes 32-bit calls from a 64-bit process is found out first
    by the workload (a child's int $0x80 getpid: refused, it dies of SIGSEGV, as on
    kernels booted with ia32_emulation=0; arm64 has no such instruction): where it
    does not, no 32-bit call is made, the same writes count, and nothing is said.
    """
    a = fio.path("a")
    res = fio.rw([], ["compat", a])
    assert res.rc == 0, res
    (step,) = [s for s in res.info.steps if s[0] == "compat"]
    made = step[2] == "1"
    if not LEGACY:
        assert not made, step
    elif kernel_cmdline_says_ia32() is not None:
        assert made == kernel_cmdline_says_ia32(), (step, "ia32_emulation= on the cmdline")
    check_io(res.stat(res.info.pid, a), writes=2, write_bytes=8)
    if made:
        assert res.stderr == ("kscope: 32-bit (compat) processes made system calls: fileio "
                              "follows 64-bit calls only, their files are not in this output\n"), \
            res.stderr
    else:
        assert res.stderr == "", res.stderr
    # without such calls, nothing is said
    res = fio.rw([], ["write", a, "1", "1"])
    assert res.rc == 0 and res.stderr == "", res


# ---- opens -------------------------------------------------------------------------------

def test_opens(fio):
    """
    Every open syscall with its decoded arguments. arm64 has no open(2) or
    creat(2): glibc's creat() is openat there and the workload's raw open
    step does not exist, so those rows are the x86_64 ones only.
    """
    a, missing, e = fio.path("a"), fio.path("no/such/file"), fio.path("e")
    steps = ["write", a, "1", "1", "fail", missing, "creat", e]
    if LEGACY:
        steps += ["open", e]
    res = fio.rw([], steps + ["openat2", e])
    assert res.rc == 0, res
    info, pid = res.info, res.info.pid
    mine = [r for r in res.of("open", pid) if r["path"] in (a, missing, e)]
    assert [(r["path"], r["syscall"]) for r in mine] == [
        (a, "openat"), (missing, "openat"), (e, "creat" if LEGACY else "openat")] + (
        [(e, "open")] if LEGACY else []) + [(e, "openat2")], mine
    if not LEGACY:
        mine.insert(3, None)    # no raw open(2) here
    w, f, c, o, o2 = mine
    for r, step in ((w, "write"), (c, "creat"), (o, "open"), (o2, "openat2")):
        if r is None:
            continue
        assert r["fd"] == r["ret"] == info.fd(step) >= 0, r
        assert r["errno"] is None and isinstance(r["open_id"], int) and r["open_id"] > 0, r
    assert w["flags"] == "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC" and w["mode"] == 0o640, w
    assert w["flags_raw"] == os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, w
    assert w["dfd"] == -100, w
    assert f["fd"] is None and f["errno"] == "ENOENT" and f["ret"] == -2, f
    assert info.fd("fail") == -2
    assert f["flags"] == "O_RDONLY" and f["open_id"] is None, f
    assert c["flags"] == "O_WRONLY|O_CREAT|O_TRUNC" and c["mode"] == 0o600, c
    assert o is None or (o["flags"] == "O_RDONLY" and o["mode"] is None), o
    # the mode only where a file may be created
    assert f["mode"] is None and o2["mode"] is None, (f, o2)
    assert o2["flags"] == "O_RDONLY|O_CLOEXEC", o2
    mine = [r for r in mine if r is not None]
    for r in mine:
        assert (r["pid"], r["tid"], r["comm"]) == (pid, pid, "fileio_rw"), r
        assert r["path_truncated"] is False
    # the ids are distinct opens
    opened = [r for r in (w, c, o, o2) if r is not None]
    assert len({r["open_id"] for r in opened}) == len(opened)
    # opens come before the summary
    types = [r["type"] for r in res.rows]
    assert "file_stat" in types and types.index("file_stat") > max(
        i for i, t in enumerate(types) if t == "open")


def test_opens_text(fio):
    a, missing = fio.path("a"), fio.path("missing")
    res = fio.rw([], ["write", a, "2", "4", "fail", missing], json_mode=False)
    assert res.rc == 0, res
    check_stderr(res.stderr)
    pid = res.info.pid
    lines = res.rows.splitlines()
    assert lines[0].split() == ["TIME(s)", "EVENT", "PID", "TID", "PPID", "COMM", "DETAILS"], lines
    fd = res.info.fd("write")
    want = f"fd={fd} flags=O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC mode=0640 path={a}"
    (line,) = [x for x in lines if x.endswith(want)]
    f = line.split()
    assert f[1:4] + f[5:6] == ["open", str(pid), str(pid), "fileio_rw"], line
    assert [x for x in lines if x.endswith(f"errno=ENOENT flags=O_RDONLY path={missing}")]
    # the summary after a blank line
    blank = lines.index("")
    assert lines[blank + 1].split() == SUMMARY_HEADER, lines[blank:]
    (row,) = [x.split() for x in lines[blank + 2:] if x.endswith(" " + a)]
    assert row[:4] == [str(pid), "fileio_rw", "0", "2"] and row[5] == "8B", row


def test_no_summary(fio):
    """--no-summary: every open streamed, exactly as by default, and nothing else: no
    file_stat rows (the kernel tracks no descriptor in this mode)."""
    a, missing = fio.path("a"), fio.path("missing")
    res = fio.rw(["--no-summary"], ["write", a, "3", "10", "fail", missing, "read", a, "2", "10"])
    assert res.rc == 0, res
    check_stderr(res.stderr)
    pid = res.info.pid
    mine = [r for r in res.of("open", pid) if r["path"] in (a, missing)]
    assert [(r["path"], r["errno"]) for r in mine] == [(a, None), (missing, "ENOENT"), (a, None)], mine
    w, f, r = mine
    assert w["fd"] == w["ret"] == res.info.fd("write") >= 0, w
    assert w["flags"] == "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC" and w["mode"] == 0o640, w
    assert r["flags"] == "O_RDONLY|O_CLOEXEC" and r["fd"] == res.info.fd("read"), r
    assert w["open_id"] > 0 and r["open_id"] > 0 and w["open_id"] != r["open_id"], mine
    assert f["open_id"] is None, f
    assert res.of("file_stat") == [], res.of("file_stat")
    assert {row["type"] for row in res.rows} <= {"open"}, {row["type"] for row in res.rows}


def test_no_summary_text(fio):
    """The table: the opens, and no blank line or summary after them."""
    a = fio.path("a")
    res = fio.rw(["--no-summary"], ["write", a, "1", "4"], json_mode=False)
    assert res.rc == 0, res
    lines = res.rows.splitlines()
    assert lines[0].split()[:2] == ["TIME(s)", "EVENT"], lines
    assert "" not in lines and all(x.split()[1] == "open" for x in lines[1:]), lines
    assert [x for x in lines if x.endswith(f"path={a}")], lines


def test_failed_only(fio):
    """-x: only failed opens are streamed (filtered in the kernel); the summary stays."""
    a, n1, n2 = fio.path("a"), fio.path("n1"), fio.path("n2")
    res = fio.rw(["-x"], ["write", a, "2", "10", "fail", n1, "read", a, "1", "10", "fail", n2])
    assert res.rc == 0, res
    pid = res.info.pid
    opens = res.of("open")
    assert opens, res.rows
    for r in opens:
        assert r["fd"] is None and r["errno"] is not None and r["ret"] < 0, r
    mine = [r["path"] for r in opens if r["pid"] == pid and r["path"] in (a, n1, n2)]
    assert mine == [n1, n2], mine
    check_io(res.stat(pid, a), reads=1, writes=2, read_bytes=10, write_bytes=20)


WEIRD = [
    b"ctl\x01\x02\x1b[31mred\x7f",
    b"tab\there\nnewline\rcr",
    b'quote"s and back\\slash',
    b"bad\xff\xfeutf8",
    b"lone\xc3",
    b"c1\xc2\x85control",
    "bidi\u202eevil é".encode(),
]


def test_paths_escaped(fio):
    """Paths with control bytes and invalid UTF-8: JSON round-trips them, text never
    puts them raw on the terminal."""
    d = os.fsencode(fio.path("w"))
    os.mkdir(d)
    paths = [os.path.join(d, w) for w in WEIRD]
    steps = []
    for p in paths:
        steps += ["write", p, "1", "3"]
    steps += ["fail", os.path.join(d, WEIRD[0] + b"-missing")]
    res = fio.rw([], steps)
    assert res.rc == 0, res
    pid = res.info.pid
    for p in paths:
        (o,) = res.of("open", pid, p)
        assert o["fd"] >= 0, o
        check_io(res.stat(pid, p), writes=1, write_bytes=3)
    (o,) = res.of("open", pid, os.path.join(d, WEIRD[0] + b"-missing"))
    assert o["errno"] == "ENOENT", o

    res = fio.rw([], steps, json_mode=False)
    assert res.rc == 0, res
    raw = res.rows.encode("utf-8", "surrogateescape")
    for b in raw:
        assert b >= 0x20 or b == 0x0a, f"raw control byte {b:#x}"
        assert b != 0x7f
    assert b"\xff" not in raw and b"\xc2\x85" not in raw and "\u202e".encode() not in raw
    raw.decode("utf-8")
    text = raw.decode()
    assert "ctl\\x01\\x02\\x1b[31mred\\x7f" in text and "bad\\xff\\xfeutf8" in text, text
    assert "é" in text


def test_long_path(fio):
    """A path longer than the maps keep (255 bytes) is named in full in the summary,
    with opens streamed or not."""
    d = fio.path("d" * 100)
    os.mkdir(d)
    d = os.path.join(d, "e" * 120)
    os.mkdir(d)
    p = os.path.join(d, "f" * 150)
    assert len(p) > 300
    for args in ([], ["--top"], ["--slow", "100000"]):
        res = fio.rw(args, ["write", p, "2", "5"])
        assert res.rc == 0, res
        pid = res.info.pid
        row = res.stat(pid, p)
        check_io(row, writes=2, write_bytes=10)
        if args:
            assert not res.of("open"), res.of("open")
        else:
            (o,) = res.of("open", pid, p)
            assert o["path_truncated"] is False


def test_lost_opens_are_counted(bg, fio):
    """
    With kscope's reader stopped and a 4 KiB ring buffer, N failed opens overflow it:
    printed open events + the lost total == N exactly (as test_lost.py does for proc).
    """
    n = 2000
    missing = [fio.path(f"missing-{i}") for i in range(n)]
    steps = []
    for m in missing:
        steps += ["fail", m]
    info, go = fio.path("lost.info"), fio.path("lost.go")
    proc = bg.start([workload("fileio_rw"), "-g", go, info, *steps])
    wait_for_file(info, proc)
    tracer = fio.start(["-x", "--ringbuf-kb", "4", "-p", str(proc.pid)])
    os.kill(tracer.pid, signal.SIGSTOP)
    try:
        with open(go, "w"):
            pass
        assert proc.wait(TIMEOUT) == 0
    finally:
        os.kill(tracer.pid, signal.SIGCONT)
    res = tracer.stop()
    assert res.rc == 0, res
    opens = [r for r in res.events if r["type"] == "open"]
    assert all(r["pid"] == proc.pid and r["errno"] == "ENOENT" for r in opens), opens[:3]
    lost = [r for r in res.events if r["type"] == "lost"]
    assert lost and all(r["reason"] == "ringbuf" for r in lost), lost
    total = sum(r["count"] for r in lost)
    assert lost[-1]["total"] == total
    m = re.search(r"kscope: (\d+) events lost in total \(ringbuf\)", res.stderr)
    assert m and int(m[1]) == total, res.stderr
    assert total > 0 and len(opens) + total == n, (len(opens), total)
    # what was printed is in the order the workload opened
    idx = [missing.index(r["path"]) for r in opens]
    assert idx == sorted(idx), idx


# ---- --slow ------------------------------------------------------------------------------

def fifo_writer(path, data, hold_s, errors):
    """Open the FIFO for writing once its reader has (never blocking), keep the reader
    waiting hold_s seconds, then write data."""
    deadline = time.monotonic() + TIMEOUT
    try:
        while True:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as e:
                if time.monotonic() > deadline:
                    raise AssertionError("the FIFO was never opened for reading") from e
                time.sleep(0.01)
        time.sleep(hold_s)
        os.write(fd, data)
        os.close(fd)
    except Exception as e:      # reported by the test
        errors.append(e)


def test_slow(fio):
    """--slow 200: the read the test holds back for a second is reported, with its
    file, bytes and latency; the fast reads, writes and fsyncs are not."""
    fifo, r, w = fio.path("fifo"), fio.path("r"), fio.path("w")
    os.mkfifo(fifo)
    with open(r, "wb") as f:
        f.write(b"x" * 5 * 4096)
    errors = []
    t = threading.Thread(target=fifo_writer, args=(fifo, b"hello", 1.0, errors), daemon=True)
    t.start()
    res = fio.rw(["--slow", "200"], ["read", r, "5", "4096", "fifo", fifo, "5",
                                     "write", w, "3", "10", "fsync", w, "2"])
    t.join(TIMEOUT)
    assert not errors, errors
    assert res.rc == 0, res
    check_stderr(res.stderr)
    pid = res.info.pid
    assert not res.of("open"), "--slow streams slow calls, not opens"
    (s,) = res.of("slow_io")
    assert (s["pid"], s["tid"], s["comm"], s["path"]) == (pid, pid, "fileio_rw", fifo), s
    assert (s["op"], s["syscall"], s["fd"]) == ("read", "read", res.info.fd("fifo")), s
    assert (s["bytes"], s["requested_bytes"], s["ret"], s["errno"]) == (5, 5, 5, None), s
    assert s["latency_ns"] >= 200_000_000, s
    # the summary has it too, with the same time
    row = res.stat(pid, fifo)
    check_io(row, reads=1, read_bytes=5)
    assert row["read_ns"] == s["latency_ns"], (row, s)
    check_io(res.stat(pid, r), reads=5, read_bytes=5 * 4096)
    check_io(res.stat(pid, w), writes=3, write_bytes=30, fsyncs=2)


def test_call_outlives_its_close(fio):
    """
    A read blocked on a FIFO while another thread closes the fd (the read goes on)
    and returns some 2.5 s later, after kscope has collected the closed file about
    twice: it still counts, because kscope keeps an entry while a call runs on it.
    """
    fifo = fio.path("fifo")
    os.mkfifo(fifo)
    errors = []
    t = threading.Thread(target=fifo_writer, args=(fifo, b"late!", 2.5, errors), daemon=True)
    t.start()
    res = fio.rw([], ["fifoclose", fifo, "5"])
    t.join(TIMEOUT)
    assert not errors, errors
    assert res.rc == 0, res
    check_stderr(res.stderr)
    check_io(res.stat(res.info.pid, fifo), reads=1, read_bytes=5)


def gone_open(res):
    """
    The open events of fifogone's thread: its fd number, opened by a thread other than the
    main one. The main thread polls /proc/self/task/TID/syscall while it waits for the
    thread's open, and a poll before the thread's openat gets the same (lowest free) number.
    """
    pid = res.info.pid
    return [r for r in res.of("open", pid) if r["fd"] == res.info.fd("fifogone") and
            r["tid"] != pid]


def test_path_gone_from_memory(fio):
    """
    The path string is no longer in the process's memory when its open returns:
    fileio_rw's thread opens a FIFO from a page of its own, which is dropped while the
    open waits for a writer. The path is read at the open's exit, and that read failed
    (as it does whenever the page is unmapped for a moment: page migration, compaction,
    a huge page collapse; test_fileio_churn lost an open's writes that way about once
    per two full VM runs): the open event had an empty path and the file's I/O went to
    a row of its own with an empty path, so the FIFO's row came out one read short,
    silently. The name then comes from the opened file itself.
    """
    fifo = os.path.realpath(fio.path("fifo"))   # as the file's own name spells it
    os.mkfifo(fifo)
    for args in ([], ["--top"]):
        res = fio.rw(args, ["fifogone", fifo, "5"])
        assert res.rc == 0, res
        check_stderr(res.stderr)
        pid = res.info.pid
        rows = res.of("file_stat", pid)
        assert [r for r in rows if not r["path"]] == [], rows
        # the thread's read, and the main thread's write (its path was never gone)
        check_io(res.stat(pid, fifo), reads=1, read_bytes=5, writes=1, write_bytes=5)
        if not args:
            (o,) = gone_open(res)
            assert o["path"] == fifo and o["path_truncated"] is False, o
    # deeper than the 32 names (and mount points) kscope walks up: the last ones, said cut
    deep = os.path.join(os.path.dirname(fifo), *["d%d" % i for i in range(40)])
    os.makedirs(deep)
    fifo = os.path.join(deep, "fifo")
    os.mkfifo(fifo)
    res = fio.rw([], ["fifogone", fifo, "5"])
    assert res.rc == 0, res
    (o,) = gone_open(res)
    tail = "/" + "/".join(fifo.split("/")[-32:])
    assert o["path"] == tail and o["path_truncated"] is True, o
    # its own row (the writer's open named it whole): the read, under the cut name
    (row,) = res.of("file_stat", res.info.pid, tail)
    assert (row["reads"], row["writes"], row["path_truncated"]) == (1, 0, True), row


def test_slow_zero_reports_every_call(fio):
    """--slow 0: every read, write and fsync on an opened file, exactly once each."""
    a = fio.path("a")
    res = fio.rw(["--slow", "0"], ["write", a, "4", "100", "read", a, "2", "200",
                                   "fsync", a, "1"])
    assert res.rc == 0, res
    pid = res.info.pid
    fds = res.info.fds
    mine = res.of("slow_io", pid, a)
    assert [(s["op"], s["syscall"], s["fd"], s["bytes"], s["requested_bytes"]) for s in mine] == \
        [("write", "write", fds("write")[0], 100, 100)] * 4 + \
        [("read", "read", fds("read")[0], 200, 200)] * 2 + \
        [("fsync", "fsync", fds("fsync")[0], 0, None)], mine
    ids = [s["open_id"] for s in mine]
    assert ids[0] == ids[3] != ids[4] == ids[5] != ids[6], ids
    row = res.stat(pid, a)
    check_io(row, reads=2, writes=4, read_bytes=400, write_bytes=400, fsyncs=1)
    assert row["write_ns"] == sum(s["latency_ns"] for s in mine[:4]), (row, mine)


def test_slow_with_failed_is_refused():
    """--slow streams slow calls instead of opens: -x (failed opens) would be ignored."""
    rc, out, err = cli(["fileio", "--slow", "0", "-x"])
    assert rc == 2 and out == "", (rc, out, err)
    assert err == ("kscope fileio: --slow and -x/--failed cannot be combined: --slow streams "
                   "slow reads and writes instead of opens (see 'kscope fileio --help')\n"), err


# ---- --top and intervals -----------------------------------------------------------------

def periods(rows):
    out = {}
    for r in rows:
        out.setdefault(r["ts_ns"], []).append(r)
    return [out[k] for k in sorted(out)]


def test_top_interval(fio):
    """--top 1: the summary only, every second; the periods add up to the exact totals."""
    a, b = fio.path("a"), fio.path("b")
    res = fio.rw(["--top", "1"], ["write", a, "3", "100", "sleep", "1500", "write", b, "2", "100",
                                  "sleep", "1500", "write", a, "4", "10"])
    assert res.rc == 0, res
    check_stderr(res.stderr)
    pid = res.info.pid
    assert {r["type"] for r in res.rows} == {"file_stat"}, res.rows
    ps = periods(res.rows)
    assert len(ps) >= 3, ps
    for p in ps:
        assert len({r["interval_ns"] for r in p}) == 1, p
    # a period where nothing happened has no rows: the ones printed follow each other
    # at a whole number of periods
    for p, n in zip(ps, ps[1:]):
        assert n[0]["ts_ns"] - p[0]["ts_ns"] >= n[0]["interval_ns"], (p[0], n[0])
    for path, writes, nbytes in ((a, 7, 340), (b, 2, 200)):
        mine = [r for r in res.rows if r["pid"] == pid and r["path"] == path]
        assert len(mine) >= 1 and len({r["ts_ns"] for r in mine}) == len(mine), mine
        assert sum(r["writes"] for r in mine) == writes, mine
        assert sum(r["write_bytes"] for r in mine) == nbytes, mine
    # a and b were written in different periods
    when = {path: {r["ts_ns"] for r in res.rows if r["path"] == path} for path in (a, b)}
    assert when[a] != when[b], when


def test_top_count_stops(bg, fio):
    """-p PID --top 1 2: two periods, then kscope ends by itself (exit 0)."""
    info, go, a = fio.path("long.info"), fio.path("long.go"), fio.path("a")
    steps = []
    for _ in range(60):
        steps += ["write", a, "1", "10", "sleep", "100"]
    proc = bg.start([workload("fileio_rw"), "-g", go, info, *steps])
    wait_for_file(info, proc)
    tracer = fio.start(["-p", str(proc.pid), "--top", "1", "2"])
    with open(go, "w"):
        pass
    res = tracer.wait()
    assert res.rc == 0, res
    assert proc.poll() is None, "the workload ended before kscope"
    ps = periods(res.events)
    assert len(ps) == 2, ps
    for p in ps:
        assert all(r["type"] == "file_stat" and r["pid"] == proc.pid for r in p), p
        assert any(r["path"] == a and r["writes"] > 0 for r in p), p


def test_top_text(fio):
    a = fio.path("a")
    res = fio.rw(["--top", "-n", "1"], ["write", a, "100", "1000", "write", fio.path("b"), "1",
                                        "1"], json_mode=False)
    assert res.rc == 0, res
    lines = res.rows.splitlines()
    assert len(lines) == 3, lines
    assert lines[0].split() == SUMMARY_HEADER, lines
    # what -n cut is said (b and the loader's files at least): the engine's line
    more = re.fullmatch(r"\((\d+) more not shown: -n\)", lines[2])
    assert more and int(more.group(1)) >= 1, lines
    row = lines[1].split()
    pid = res.info.pid
    assert row == [str(pid), "fileio_rw", "0", "100", "0B", "97.7KiB", "-", row[7], "0", a], row
    assert re.fullmatch(r"\d+(\.\d+)?(ns|us|ms|s)", row[7]), row


# ---- filters --------------------------------------------------------------------------------

def gated_rw(bg, d, path, prefix=(), exe=None, k=5, size=100):
    """fileio_rw -g GO writing K*SIZE to path: (process, info path, go path)."""
    tag = secrets.token_hex(3)
    info, go = os.path.join(d, f"g-{tag}.info"), os.path.join(d, f"g-{tag}.go")
    p = bg.start([*prefix, exe or workload("fileio_rw"), "-g", go, info,
                  "write", path, str(k), str(size)])
    wait_for_file(info, p)
    return p, info, go


def run_filtered(fio, args, procs):
    """kscope fileio --top ARGS while the gated workloads run to their end: their rows."""
    return check_rows(run_owners(fio, ["--top", *args], procs).events)


def test_filter_pid(bg, fio):
    a, b = fio.path("a"), fio.path("b")
    mine = gated_rw(bg, fio.tmpdir, a, k=5, size=100)
    other = gated_rw(bg, fio.tmpdir, b, k=3, size=10)
    rows = run_filtered(fio, ["-p", str(mine[0].pid)], [mine, other])
    assert rows and {r["pid"] for r in rows} == {mine[0].pid}, rows
    (row,) = [r for r in rows if r["path"] == a]
    check_io(row, writes=5, write_bytes=500)
    assert not [r for r in rows if r["path"] == b]


def test_filter_comm(bg, fio):
    name = "kfc" + secrets.token_hex(4)
    link = fio.path(name)
    os.symlink(workload("fileio_rw"), link)
    a, b = fio.path("a"), fio.path("b")
    mine = gated_rw(bg, fio.tmpdir, a, exe=link)
    other = gated_rw(bg, fio.tmpdir, b)
    rows = run_filtered(fio, ["--comm", name], [mine, other])
    assert rows and {r["comm"] for r in rows} == {name}, rows
    check_io([r for r in rows if r["path"] == a][0], writes=5, write_bytes=500)
    assert not [r for r in rows if r["path"] == b]


def test_filter_uid(bg, fio, shared_dir, shared_bin):
    a, b = os.path.join(shared_dir, "a"), fio.path("b")
    mine = gated_rw(bg, shared_dir, a, prefix=SETPRIV_NOBODY, exe=shared_bin(workload("fileio_rw")))
    other = gated_rw(bg, fio.tmpdir, b)
    rows = run_filtered(fio, ["-u", "65534"], [mine, other])
    (row,) = [r for r in rows if r["path"] == a]
    assert row["pid"] == mine[0].pid
    check_io(row, writes=5, write_bytes=500)
    assert other[0].pid not in {r["pid"] for r in rows}
    assert not [r for r in rows if r["path"] == b]


def test_filter_cgroup(bg, fio, cgroup):
    a, b = fio.path("a"), fio.path("b")
    mine = gated_rw(bg, fio.tmpdir, a)
    other = gated_rw(bg, fio.tmpdir, b)
    with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
        f.write(str(mine[0].pid))
    rows = run_filtered(fio, ["-c", cgroup], [mine, other])
    assert rows and {r["pid"] for r in rows} == {mine[0].pid}, rows
    check_io([r for r in rows if r["path"] == a][0], writes=5, write_bytes=500)


def test_timestamps_and_duration(bg, fio):
    """-T adds the wall clock to events; -d ends the run by itself."""
    a = fio.path("a")
    res = fio.rw(["-T"], ["write", a, "1", "1"])
    assert res.rc == 0, res
    (o,) = res.of("open", res.info.pid, a)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", o["time"]), o
    sleeper = bg.start(["sleep", "60"])
    wait_sleeping(sleeper.pid)   # its own start-up opens are not this test's
    res = fio.run(["-d", "0.5", "-p", str(sleeper.pid)])
    assert res.rc == 0, res
    check_stderr(res.stderr)
    assert res.rows == [], res.rows


def test_program_exit_status(fio):
    """kscope exits with PROGRAM's status (fileio_rw fails a read of a missing file: 3)."""
    missing = fio.path("missing")
    res = fio.rw([], ["read", missing, "1", "1"])
    assert res.rc == 3, res
    (o,) = res.of("open", res.info.pid, missing)
    assert o["errno"] == "ENOENT", o


# ---- --by process, --by cgroup ---------------------------------------------------------------

def gated(bg, d, steps, cgroup=None):
    """fileio_rw -g GO INFO STEPS, started now: its INFO file is open before kscope traces
    (per file its lines are no I/O kscope follows; --by counts them: info_writes), so once
    GO exists the steps are all the other file I/O it makes while traced; moved into cgroup
    (a cgroup v2 directory) first if given. (process, info path, go path)."""
    tag = secrets.token_hex(3)
    info, go = os.path.join(d, f"o-{tag}.info"), os.path.join(d, f"o-{tag}.go")
    p = bg.start([workload("fileio_rw"), "-g", go, info, *steps])
    wait_for_file(info, p)
    if cgroup:
        with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
            f.write(str(p.pid))
    return p, info, go


def run_owners(fio, args, procs, json_mode=True):
    """kscope fileio ARGS while the gated workloads run to their end: its Result."""
    tracer = fio.start(args, json_mode=json_mode)
    try:
        for p, info, go in procs:
            with open(go, "w"):
                pass
        for p, info, go in procs:
            assert p.wait(TIMEOUT) == 0, "fileio_rw failed"
    finally:
        res = tracer.stop()
    assert res.rc == 0, res
    check_stderr(res.stderr, tracer=True)
    if json_mode:
        check_rows(res.events)
    return res


def info_writes(info):
    """The writes fileio_rw made to its INFO file once traced, a line each after the pid's
    (written before GO): (writes, bytes). --by counts them: a regular file opened before
    tracing began is still a file (per file it has no row: its path was never seen)."""
    with open(info, "rb") as f:
        lines = [line for line in f.read().split(b"\n")[1:] if line]
    return len(lines), sum(len(line) + 1 for line in lines)


def check_owner(row, reads=0, writes=0, read_bytes=0, write_bytes=0, fsyncs=0):
    """Exact counts; each kind of call that happened took some time, the others none."""
    assert row is not None, "no row"
    want = {"reads": reads, "writes": writes, "read_bytes": read_bytes,
            "write_bytes": write_bytes, "fsyncs": fsyncs, "errors": 0}
    assert {k: row[k] for k in want} == want, row
    for n, ns in (("reads", "read_ns"), ("writes", "write_ns"), ("fsyncs", "fsync_ns")):
        assert (row[ns] > 0) == (row[n] > 0), row


@pytest.mark.parametrize("variant", list(IO_VARIANTS))
def test_by_cgroup(bg, fio, cgroup, variant):
    """
    --by cgroup: the workload alone in a fresh cgroup writes 7 x 1000 bytes, reads
    3 x 2000, fsyncs twice and fails an open: its cgroup's one row holds exactly that,
    named by its path below the cgroup2 mount and its id (the directory's inode); no
    other row is that cgroup or holds those numbers, and nothing else is printed. On
    every hook path.
    """
    extra, _ = IO_VARIANTS[variant]
    a = fio.path("a")
    cgid = os.stat(cgroup).st_ino
    p, info, go = gated(bg, fio.tmpdir, ["write", a, "7", "1000", "read", a, "3", "2000",
                                         "fsync", a, "2", "fail", fio.path("missing")],
                        cgroup=cgroup)
    assert cgroup_id_of(p.pid) == cgid
    res = run_owners(fio, ["--by", "cgroup", *extra], [(p, info, go)])
    assert res.rows and {r["type"] for r in res.rows} == {"fileio_cgroup_stat"}, res.rows
    (row,) = [r for r in res.rows if r["cgroup_id"] == cgid]
    n, size = info_writes(info)
    check_owner(row, reads=3, writes=7 + n, read_bytes=6000, write_bytes=7000 + size, fsyncs=2)
    assert row["cgroup"] == "/" + os.path.relpath(cgroup, cgroup2_mount()), row
    assert row["interval_ns"] > 0 and row["ts_ns"] > 0, row
    ids = [r["cgroup_id"] for r in res.rows]
    assert len(ids) == len(set(ids)), res.rows
    for r in res.rows:
        if r is not row:
            assert r["cgroup"] != row["cgroup"], r
            assert (r["reads"], r["writes"], r["read_bytes"], r["write_bytes"]) != \
                (3, 7, 6000, 7000), r
    # sorted by bytes
    tot = [r["read_bytes"] + r["write_bytes"] for r in res.rows]
    assert tot == sorted(tot, reverse=True), tot


def test_by_cgroup_text(bg, fio, cgroup):
    """The table: CGROUP (its path) and the counters; -c keeps that cgroup's row alone."""
    a = fio.path("a")
    p, info, go = gated(bg, fio.tmpdir, ["write", a, "4", "256", "read", a, "2", "512"],
                        cgroup=cgroup)
    res = run_owners(fio, ["--by", "cgroup", "-c", cgroup], [(p, info, go)], json_mode=False)
    lines = res.rows.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].split() == CGROUP_HEADER, lines
    row = lines[1].split()
    rel = "/" + os.path.relpath(cgroup, cgroup2_mount())
    n, size = info_writes(info)
    assert 1024 + size < 1.05 * 1024, size
    assert row[:5] + row[7:] == [rel, "2", str(4 + n), "1.0KiB", "1.0KiB", "0"], row
    for avg in row[5:7]:
        assert re.fullmatch(r"\d+(\.\d+)?(ns|us|ms|s)", avg), row


def test_by_process(bg, fio):
    """
    --by process: one row per process (tgid) with its comm and exactly its calls: the
    parent's writes and reads; the child's writes on the descriptor it inherited in the
    child's row only. -s calls orders them by calls.
    """
    a, b = fio.path("a"), fio.path("b")
    p, info, go = gated(bg, fio.tmpdir, ["write", a, "7", "1000", "read", a, "3", "2000",
                                         "fork", b, "5", "9"])
    res = run_owners(fio, ["--by", "process", "-s", "calls"], [(p, info, go)])
    assert res.rows and {r["type"] for r in res.rows} == {"fileio_process_stat"}, res.rows
    (_, _, child) = [s for s in Info(info).steps if s[0] == "fork"][0]
    (parent_row,) = [r for r in res.rows if r["pid"] == p.pid]
    (child_row,) = [r for r in res.rows if r["pid"] == int(child)]
    n, size = info_writes(info)
    check_owner(parent_row, reads=3, writes=7 + n, read_bytes=6000, write_bytes=7000 + size)
    check_owner(child_row, writes=5, write_bytes=45)
    assert parent_row["comm"] == child_row["comm"] == "fileio_rw", (parent_row, child_row)
    pids = [r["pid"] for r in res.rows]
    assert len(pids) == len(set(pids)), res.rows
    calls = [r["reads"] + r["writes"] + r["fsyncs"] for r in res.rows]
    assert calls == sorted(calls, reverse=True), calls


def test_by_process_interval(bg, fio):
    """--by process 1: one row per period with activity; the periods add up exactly."""
    a = fio.path("a")
    p, info, go = gated(bg, fio.tmpdir, ["write", a, "3", "100", "sleep", "1500",
                                         "write", a, "2", "100", "sleep", "1500",
                                         "read", a, "1", "50"])
    res = run_owners(fio, ["--by", "process", "-p", str(p.pid), "1"], [(p, info, go)])
    rows = res.of("fileio_process_stat")
    assert rows and all(r["pid"] == p.pid for r in rows), res.rows
    assert len({r["ts_ns"] for r in rows}) == len(rows) >= 2, rows
    assert all(r["interval_ns"] > 0 for r in rows), rows
    n, size = info_writes(info)
    assert sum(r["writes"] for r in rows) == 5 + n, rows
    assert sum(r["write_bytes"] for r in rows) == 500 + size, rows
    assert sum(r["reads"] for r in rows) == 1 and sum(r["read_bytes"] for r in rows) == 50, rows


BY_ERRORS = {
    ("--by", "cgroup", "--slow", "5"): "--by and --slow cannot be combined: --by sums the "
        "calls per process or cgroup, --slow streams them",
    ("--by", "process", "-x"): "--by and -x/--failed cannot be combined: --by prints its "
        "summary only, no opens",
    ("--no-summary", "--by", "cgroup"): "--no-summary and --by cannot be combined: "
        "--no-summary streams opens only",
    ("--by", "process", "-C"): "-C names the container of each event record or --by cgroup "
        "row: --by process prints none, it needs --by cgroup",
    ("--by", "file"): "invalid --by 'file' (process or cgroup)",
}


@pytest.mark.parametrize("args", list(BY_ERRORS), ids=" ".join)
def test_by_usage_error(args):
    """Options --by would ignore are refused, with one line saying why."""
    check_usage_error("fileio", list(args), BY_ERRORS[args])


# ---- command line, doctor, signals ----------------------------------------------------------

USAGE_ERRORS = [
    ["--slow"],
    ["--slow", "x"],
    ["--slow", "-1"],
    ["--slow", ""],
    ["--slow", "1e"],
    ["--slow", "nan"],
    ["--top", "--slow", "5"],
    ["--top", "-x"],
    ["--no-summary", "--top"],
    ["--no-summary", "--slow", "5"],
    ["--no-summary", "1"],
    ["--no-summary", "-n", "5"],
    ["--no-summary", "-s", "calls"],
    ["1", "--slow", "5"],
    ["-x", "1"],
    ["--slow", "5", "-x"],
    ["-x", "--slow", "5"],
    ["-s", "bogus"],
    ["-s"],
    ["-n", "0"],
    ["-n", "x"],
    ["0"],
    ["x"],
    ["1", "0"],
    ["1", "2", "3"],
    ["--bogus"],
    ["-p", "0"],
    ["--by"],
    ["--by", ""],
    ["--by", "pid"],
    ["--by", "cgroup", "--slow", "0"],
    ["--slow", "5", "--by", "process"],
    ["--by", "process", "--failed"],
    ["-x", "--by", "cgroup"],
    ["--by", "cgroup", "--no-summary"],
    ["--by", "process", "-s", "bogus"],
    ["--by", "process", "-n", "0"],
]


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
def test_usage_error(args):
    rc, out, err = cli(["fileio", *args])
    assert rc == 2, (rc, out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("kscope fileio: "), err


def test_help():
    rc, out, err = cli(["fileio", "--help"])
    assert rc == 0, err
    assert out.startswith("usage: kscope fileio "), out
    for opt in ("--failed", "--slow", "--top", "--by", "--sort", "--rows", "-- PROGRAM"):
        assert opt in out, opt


def test_doctor_lists_fileio_probes():
    rc, out, err = cli(["doctor", "-j"])
    assert rc == 0, err
    (doc,) = parse_ndjson(out)
    probes = {p["probe"]: p for p in doc["probes"] if p["command"] == "fileio"}
    for name, target in (("sys-enter", "sys_enter"), ("sys-exit", "sys_exit")):
        assert probes[name]["hook"] == "tp_btf", probes[name]
        assert probes[name]["target"] == target, probes[name]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_summary_and_cleanup(bg, fio, sig):
    """
    System-wide (no filter): a signal ends kscope fileio, it prints the summary with
    the exact numbers of what ran meanwhile, exits 0, and leaves none of its
    programs, links and maps behind.
    """
    tracer = fio.start(["--top"])
    try:
        owned = bpf_objects(tracer.pid)
        progs = bpftool_list("prog")
        names = {progs[i]["name"] for i in owned["prog"] if i in progs}
        assert any(n.startswith("fio_enter") for n in names), names
        assert any(n.startswith("fio_exit") for n in names), names
        assert len(owned["link"]) >= 2, owned
        assert owned["map"], owned
        a = fio.path("a")
        p, info, go = gated_rw(bg, fio.tmpdir, a, k=7, size=33)
        with open(go, "w"):
            pass
        assert p.wait(TIMEOUT) == 0
    finally:
        res = tracer.stop(sig)
    assert res.rc == 0, res
    check_stderr(res.stderr, tracer=True)
    rows = check_rows(res.events)
    (row,) = [r for r in rows if r["pid"] == p.pid and r["path"] == a]
    check_io(row, writes=7, write_bytes=231)
    check_gone(owned)

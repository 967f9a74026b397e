# SPDX-License-Identifier: GPL-2.0
"""
`kscope top`: the batch and JSON numbers checked exactly, and the full-screen
view driven in tmux.

Batch/JSON (every kernel, no terminal):
  * tests/workloads/topload.c makes N getppid() calls, K write()s of SIZE
    bytes, burns its own CPU in a loop that makes no call (an ITIMER_PROF
    timer ends it) and records its CPU time (CLOCK_PROCESS_CPUTIME_ID) just
    before it exits. Under `top -j -d 0.2 -- topload ...` the sum of its
    top_process rows over every interval must hold: write_bytes exactly its
    writes (K * SIZE and its INFO file), cpu_ns within 2% of its CPU time,
    syscalls > N; two runs that differ only in N differ by exactly that many
    syscalls (start-up makes the same calls each time). burn.c under -t
    gives each thread's CPU time; tcp_xfer.py the exact TCP bytes of a
    client and a server.
  * every interval is one top_summary followed by its rows (same ts_ns),
    a summary never below the rows it sums; -n N is exactly N intervals
    (text and JSON); the text header and the column header come once per
    interval; --rows N limits the rows and says how many it left out.
  * bad input: exit 2 and one line on stderr.

  * -s KEY: every key is taken and its column is in descending order.
  * the exact totals on every hook path the parts' probes take here (the
    same sums, whichever hook counts them).

The TUI runs in tmux on a private socket (-L kscope-test-RANDOM), 160x40, the
status line off, under a shell that writes kscope's exit status to a file
(tmux 3.3a here does not always reap a pane's process, so
#{pane_dead_status} cannot be trusted). Every check polls capture-pane
until it holds; a timeout only guards hangs. The workloads (class Loads)
have comms unique to this run: symlinks named ktXXXXXX + kind.

Noise: this machine's two CPUs are shared, so a busy loop's CPU% is only
asserted >= 50, averaged over several refreshes, and rows are compared
among our own workloads (a filter on their common prefix).
"""
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

import hooks
from conftest import (KSCOPE, REPO, SETPRIV_NOBODY, TIMEOUT, Background, Kscope, bpf_objects,
                      bpftool_list, check_gone, check_usage_error, cli, parse_ndjson, workload)

SUMMARY_FIELDS = ("type", "ts_ns", "interval_ns", "cpus", "cpu_busy_pct", "busy_pct",
                  "processes", "cpu_ns", "runq_count", "runq_p99_ns", "syscalls",
                  "syscall_errors", "read_bytes", "write_bytes", "disk_read_bytes",
                  "disk_write_bytes", "net_rx_bytes", "net_tx_bytes", "lost_events")
PROCESS_FIELDS = ("type", "ts_ns", "interval_ns", "pid", "user", "uid", "comm", "cpu_pct",
                  "cpu_ns", "runq_ns", "syscalls", "syscall_errors", "read_bytes",
                  "write_bytes", "disk_read_bytes", "disk_write_bytes", "net_rx_bytes",
                  "net_tx_bytes", "container", "container_runtime")
THREAD_FIELDS = PROCESS_FIELDS + ("tid",)
# the exact amounts of a row (integers) and what a summary sums of them
AMOUNTS = ("cpu_ns", "runq_ns", "syscalls", "syscall_errors", "read_bytes", "write_bytes",
           "disk_read_bytes", "disk_write_bytes", "net_rx_bytes", "net_tx_bytes")
SUMMED = ("syscalls", "syscall_errors", "read_bytes", "write_bytes", "net_rx_bytes",
          "net_tx_bytes")

CPU_TOL = 0.02          # kscope's cpu_ns vs the workload's own CPU clock
# the TUI's waits: a screen that should come within a refresh or two (hangs only)
TUI_TIMEOUT = 30
XFER = os.path.join(REPO, "tests", "workloads", "tcp_xfer.py")

# text batch: "HH:MM:SS  2 CPUs busy 21.3% (...)", then "syscalls ...", then the columns
TEXT_HEADER = re.compile(r"^\d\d:\d\d:\d\d  \d+ CPUs busy ")
TEXT_COLUMNS = re.compile(r"^PID\s+USER\s+COMM\s+CPU%\s+RUNQ\s+SYSC/s\s+ERR/s\s+READ/s\s+"
                          r"WRITE/s\s+DISK-R/s\s+DISK-W/s\s+NET-RX/s\s+NET-TX/s\s+CONTAINER$")
MORE_ROWS = re.compile(r"^\((\d+) more not shown: --rows\)$")


@pytest.fixture
def top(tmp_path):
    return Kscope(str(tmp_path), "top")


# ---- batch and JSON ----------------------------------------------------------------

def intervals(rows, row_type="top_process"):
    """
    The records of a -j run as [(summary, [row, ...]), ...], checking the shape the
    spec gives: a top_summary opens every interval, its rows follow with the same
    ts_ns and interval_ns, a pid (tid with -t) at most once per interval, every
    field there, every amount a non-negative integer, intervals in time order.
    """
    fields = THREAD_FIELDS if row_type == "top_thread" else PROCESS_FIELDS
    key = ("pid", "tid") if row_type == "top_thread" else ("pid",)
    assert rows and rows[0]["type"] == "top_summary", rows[:3]
    out = []
    for r in rows:
        if r["type"] == "top_summary":
            missing = [f for f in SUMMARY_FIELDS if f not in r]
            assert not missing, (missing, r)
            assert len(r["cpu_busy_pct"]) == r["cpus"] > 0, r
            assert r["interval_ns"] > 0, r
            if out:
                assert r["ts_ns"] > out[-1][0]["ts_ns"], (out[-1][0], r)
            out.append((r, []))
            continue
        assert r["type"] == row_type, r
        missing = [f for f in fields if f not in r]
        assert not missing, (missing, r)
        summary, mine = out[-1]
        assert (r["ts_ns"], r["interval_ns"]) == (summary["ts_ns"], summary["interval_ns"]), \
            (summary, r)
        assert [r[k] for k in key] not in [[m[k] for k in key] for m in mine], (r, mine)
        for f in AMOUNTS:
            assert isinstance(r[f], int) and r[f] >= 0, (f, r)
        mine.append(r)
    for summary, mine in out:
        for f in SUMMED:
            assert summary[f] >= sum(m[f] for m in mine), (f, summary, mine)
    return out


def totals(blocks, pid, key="pid"):
    """One process's (thread's) amounts summed over every interval."""
    sums = dict.fromkeys(AMOUNTS, 0)
    for _, rows in blocks:
        for r in rows:
            if r[key] == pid:
                for f in AMOUNTS:
                    sums[f] += r[f]
    return sums


def read_info(path):
    with open(path) as f:
        text = f.read()
    return {k: int(v) for k, v in (line.split() for line in text.splitlines())}, len(text)


K, SIZE, BURN_MS = 64, 4096, 400


def run_topload(top, n, extra=()):
    """kscope top -j -d 0.2 EXTRA -- topload INFO N FILE K SIZE BURN_MS: (Result, blocks,
    INFO, INFO's size)."""
    top.n += 1
    info_path = top.path(f"topload-{top.n}.info")
    res = top.run(["-d", "0.2", *extra], program=[workload("topload"), info_path, str(n),
                                           top.path(f"topload-{top.n}.data"), str(K), str(SIZE),
                                           str(BURN_MS)])
    assert res.rc == 0, res
    info, info_size = read_info(info_path)
    return res, intervals(res.rows), info, info_size


def test_json_exact_totals(top):
    """The workload's rows, summed over the intervals, are its exact amounts."""
    n1, extra = 1000, 20000
    _, blocks1, info1, size1 = run_topload(top, n1)
    _, blocks2, info2, size2 = run_topload(top, n1 + extra)
    counted = []
    for blocks, info, size, n in ((blocks1, info1, size1, n1),
                                  (blocks2, info2, size2, n1 + extra)):
        pid = info["pid"]
        # BURN_MS of CPU time is at least that much time: two -d 0.2 intervals at least
        assert len(blocks) >= 2, blocks
        mine = [r for _, rows in blocks for r in rows if r["pid"] == pid]
        assert mine and all(r["comm"] == "topload" for r in mine), mine
        assert all(r["uid"] == 0 and r["user"] == "root" for r in mine), mine
        for r in mine:
            assert abs(r["cpu_pct"] - 100 * r["cpu_ns"] / r["interval_ns"]) <= 0.5, r
        t = totals(blocks, pid)
        assert t["write_bytes"] == K * SIZE + size, (t, K * SIZE + size)
        assert t["syscalls"] > n, t
        assert abs(t["cpu_ns"] - info["cpu_ns"]) <= CPU_TOL * info["cpu_ns"], \
            (t["cpu_ns"], info["cpu_ns"])
        # the summaries cover at least the workload (only its tree is traced)
        assert sum(s["syscalls"] for s, _ in blocks) >= t["syscalls"]
        assert sum(s["write_bytes"] for s, _ in blocks) >= t["write_bytes"]
        counted.append(t["syscalls"])
    # start-up, writes, timer and exit make the same calls in both runs: the
    # difference is the getppid() calls alone, exactly
    assert counted[1] - counted[0] == extra, counted


# The hook paths the parts' tracepoint probes take on this kernel, among those under
# which net's byte counting (a tracepoint on 6.3+, else fexit or kretprobe) still has
# a hook: top needs every part
TOP_VARIANTS = [v for v in hooks.variants_needing(hooks.net_bytes(), hooks.TP) if v != "default"]


@pytest.mark.parametrize("variant", TOP_VARIANTS)
def test_json_exact_hooks(top, variant):
    """The same exact sums on every other hook path the parts' probes take on this
    kernel (--no-hook, --no-precheck): bytes written exactly, CPU time within 2%,
    and -v says the sched and syscall parts took the variant's hook."""
    opts, hook = hooks.options(variant), hooks.plan(hooks.TP, variant)
    res, blocks, info, size = run_topload(top, 1000, [*opts, "-v"])
    t = totals(blocks, info["pid"])
    assert t["write_bytes"] == K * SIZE + size, (t, K * SIZE + size)
    assert t["syscalls"] > 1000, t
    assert abs(t["cpu_ns"] - info["cpu_ns"]) <= CPU_TOL * info["cpu_ns"], \
        (t["cpu_ns"], info["cpu_ns"])
    for probe in ("switch", "sys-enter"):
        used = [line for line in res.stderr.splitlines()
                if line.startswith(f"kscope: probe {probe}: ")]
        assert used and all(line.split(": ")[2].startswith(hook + "/") for line in used), \
            (variant, hook, used)


def test_json_threads_cpu(top):
    """-t: a top_thread row per thread, with its CPU time: each burn worker's cpu_ns,
    summed over the intervals, is its CPU time as the kernel accounts it (burn reads
    it asleep); the per-process amounts (syscalls...) are on the process's own row,
    with no tid (kscope top --help: "TID -")."""
    info = top.path("burn.info")
    res = top.run(["-t", "-d", "0.2"], program=[workload("burn"), info, "2", "300"])
    assert res.rc == 0, res
    blocks = intervals(res.rows, "top_thread")
    with open(info) as f:
        lines = [line.split() for line in f.read().splitlines() if line.strip()]
    pid = int(lines[0][0])
    workers = {int(tid): int(cpu) for tid, cpu, *_ in lines[1:]}
    assert len(workers) == 2
    for _, rows in blocks:
        for r in rows:
            assert r["pid"] == pid and r["comm"] == "burn", r
            assert r["tid"] in {pid, None, 0} | set(workers), r
    for tid, cpu_ns in workers.items():
        t = totals(blocks, tid, key="tid")
        assert cpu_ns <= t["cpu_ns"] <= cpu_ns * (1 + CPU_TOL), (tid, t["cpu_ns"], cpu_ns)
        assert t["syscalls"] == 0, t
    # the main thread's CPU on its own row; the process's calls on the process row
    assert totals(blocks, pid, key="tid")["cpu_ns"] > 0
    proc = [r for _, rows in blocks for r in rows if r["tid"] in (None, 0)]
    assert sum(r["syscalls"] for r in proc) > 0 and sum(r["cpu_ns"] for r in proc) == 0, proc


@pytest.mark.parametrize("threads", [False, True])
def test_json_user_of_process_gone(top, shared_dir, shared_bin, threads):
    """USER of a process of another user that is gone before top first shows it (one
    interval longer than its life, printed when it ends: /proc has nothing of it by
    then): the scheduler's uid, named from /etc/passwd, on its rows and its threads'."""
    info = os.path.join(shared_dir, "burn.info")
    res = top.run(["-d", "60", *(["-t"] if threads else [])],
                  program=[*SETPRIV_NOBODY, shared_bin(workload("burn")), info, "2", "30"])
    assert res.rc == 0, res
    blocks = intervals(res.rows, "top_thread" if threads else "top_process")
    assert len(blocks) == 1, blocks         # the one partial interval, after it ended
    with open(info) as f:
        pid = int(f.readline())
    assert not os.path.exists(f"/proc/{pid}")
    mine = [r for r in blocks[0][1] if r["pid"] == pid]
    try:
        name = pwd.getpwuid(65534).pw_name
    except KeyError:
        name = "65534"
    assert mine and all((r["comm"], r["uid"], r["user"]) == ("burn", 65534, name)
                        for r in mine), mine
    if threads:
        # the main thread, both workers and the process's own row
        assert len({r["tid"] for r in mine}) == 4, mine


def test_json_net_bytes(top):
    """A loopback exchange of N and M bytes: the client's and the server's rows hold
    them exactly, each way."""
    n, m = 100_000, 33_333
    out = top.path("xfer.json")
    res = top.run(["-d", "0.2"], program=[sys.executable, XFER, "xfer", out, "-", "-",
                                           "127.0.0.1", "0", str(n), str(m)])
    assert res.rc == 0, res
    blocks = intervals(res.rows)
    with open(out) as f:
        info = json.load(f)
    c, s = totals(blocks, info["client"]["pid"]), totals(blocks, info["server"]["pid"])
    assert (c["net_tx_bytes"], c["net_rx_bytes"]) == (n, m), c
    assert (s["net_rx_bytes"], s["net_tx_bytes"]) == (n, m), s
    parent = totals(blocks, info["pid"])
    assert (parent["net_rx_bytes"], parent["net_tx_bytes"]) == (0, 0), parent
    assert sum(b["net_tx_bytes"] for b, _ in blocks) == n + m
    assert sum(b["net_rx_bytes"] for b, _ in blocks) == n + m


def test_json_iterations():
    """-j -n 3: exactly three intervals, every line one JSON object."""
    rc, stdout, stderr = cli(["top", "-j", "-n", "3", "-d", "0.2"])
    assert rc == 0, stderr
    rows = parse_ndjson(stdout, "kscope top -j -n 3")
    blocks = intervals(rows)
    assert len(blocks) == 3, [s for s, _ in blocks]


def text_blocks(stdout):
    """Text batch output as a list of blocks (lists of lines), each starting at its
    header line; nothing may come before the first."""
    lines = stdout.splitlines()
    assert lines and TEXT_HEADER.match(lines[0]), stdout[:2000]
    blocks = []
    for line in lines:
        if TEXT_HEADER.match(line):
            blocks.append([])
        blocks[-1].append(line)
    return blocks


def check_text_block(block):
    """header, summary line, (blank), column header once; the rest rows or a note:
    the rows, as lists of fields."""
    assert block[1].startswith("syscalls "), block[:3]
    cols = [i for i, line in enumerate(block) if TEXT_COLUMNS.match(line)]
    assert len(cols) == 1, block
    assert all(not line.strip() for line in block[2:cols[0]]), block
    rows = []
    for line in block[cols[0] + 1:]:
        if not line.strip() or MORE_ROWS.match(line):
            continue
        f = line.split()
        assert f[0].isdigit(), (line, block)
        rows.append(f)
    return rows


@pytest.mark.parametrize("opt", ["-b", "--batch"])
def test_batch_text_iterations(opt):
    """-b -n 3: three blocks, each with its header, summary and column header once."""
    rc, stdout, stderr = cli(["top", opt, "-n", "3", "-d", "0.2"])
    assert rc == 0, stderr
    blocks = text_blocks(stdout)
    assert len(blocks) == 3, stdout
    for b in blocks:
        check_text_block(b)
    assert sum(1 for line in stdout.splitlines() if TEXT_COLUMNS.match(line)) == 3


def test_batch_rows_limit(top):
    """--rows 1: at most one row an interval, and the others counted in a note; the
    first interval has both the shell and its two children at work."""
    burner = f"{shlex.quote(workload('topload'))} {{}} 0 /dev/null 0 0 200"
    script = (burner.format(shlex.quote(top.path("a.info"))) + " & " +
              burner.format(shlex.quote(top.path("b.info"))) + " & wait")
    rc, stdout, stderr = cli(["top", "-b", "--rows", "1", "-d", "0.2", "--",
                              "/bin/sh", "-c", script])
    assert rc == 0, stderr
    blocks = text_blocks(stdout)
    more = []
    for b in blocks:
        rows = check_text_block(b)
        assert len(rows) <= 1, b
        notes = [int(m[1]) for m in map(MORE_ROWS.match, b) if m]
        assert len(notes) <= 1 and all(k >= 1 for k in notes), b
        assert not notes or rows, b
        more += notes
    assert more, stdout


# -s KEY: the column it orders by (None: no single column to check)
SORT_COLUMNS = {"cpu": "CPU%", "runq": "RUNQ", "syscalls": "SYSC/s", "errors": "ERR/s",
                "read": "READ/s", "write": "WRITE/s", "disk": None, "net": None, "pid": "PID"}


def sorted_column(key, extra=()):
    """`top -b -n 1 -d 0.2 -s KEY EXTRA`: the values of KEY's column, top to bottom."""
    rc, stdout, stderr = cli(["top", "-b", "-n", "1", "-d", "0.2", "-s", key, *extra])
    assert rc == 0, stderr
    (block,) = text_blocks(stdout)
    check_text_block(block)
    header = [line for line in block if TEXT_COLUMNS.match(line)][0]
    rows = [row_cells(header, line) for line in block[block.index(header) + 1:]
            if line.strip() and not MORE_ROWS.match(line)]
    col = SORT_COLUMNS[key]
    if not col:
        return None
    values = [num(r[col]) for r in rows]
    assert None not in values, (col, rows)
    return values


@pytest.mark.parametrize("key", sorted(SORT_COLUMNS))
def test_batch_sort_keys(key):
    """Every sort key of the spec is taken; its column is in descending order
    (displayed values are rounded, so ties are fine)."""
    values = sorted_column(key)
    if values is not None:
        assert values == sorted(values, reverse=True), (key, values)


@pytest.mark.parametrize("args", [["-d", "0"], ["-d", "abc"], ["-d", "0.05"], ["-d", "3601"],
                                  ["-s", "nosuch"], ["-n", "0"], ["-n", "x"], ["--rows", "x"],
                                  ["--rows", "0"]])
def test_usage_error(args):
    check_usage_error("top", args, None)


# ---- the full-screen view in tmux --------------------------------------------------

WORKER = r"""
import os, socket, sys, threading, time
mode, ready = sys.argv[1], sys.argv[2]
def say():
    open(ready, "w").close()
if mode == "cpu":
    say()
    while True:
        pass
elif mode == "sys":
    held = open(sys.argv[3], "w")
    say()
    while True:
        for _ in range(200):
            os.getppid()
        time.sleep(0.001)
elif mode == "net":
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    c = socket.create_connection(ls.getsockname())
    s, _ = ls.accept()
    def drain():
        while s.recv(65536):
            pass
    threading.Thread(target=drain, daemon=True).start()
    say()
    buf = b"n" * 65536
    while True:
        c.sendall(buf)
        time.sleep(0.01)
elif mode == "feed":
    say()
    buf = b"\0" * 65536
    while True:
        sys.stdout.buffer.write(buf)
        sys.stdout.buffer.flush()
        time.sleep(0.05)
"""


class Loads:
    """
    The TUI tests' workloads, running for the whole module, each under a symlink
    named PREFIX + kind (its comm): .comm[kind], .pid[kind] for kind in
      cpu   a busy Python loop
      sys   Python: bursts of 200 getppid() and a 1 ms sleep, .held open for writing
      net   Python: 64 KiB sent every 10 ms over loopback TCP, read by a thread
      dd    dd copying what a Python feeder pipes to it (64 KiB every 50 ms) to a
            file it opened at its start (before any kscope of a test)
      ddl   a shell loop of short dd runs (1 MiB each, a fresh open every time,
            every 0.1 s): .pid["ddl"] is the shell's
    """

    def __init__(self):
        self.prefix = "kt" + secrets.token_hex(3)
        self.dir = tempfile.mkdtemp(prefix="kt", dir="/tmp")
        self.held = os.path.join(self.dir, "held.txt")
        self.bg = Background()	# conftest's: started in new sessions, killed by group
        self.procs, self.comm, self.pid = self.bg.procs, {}, {}
        py = os.path.realpath(sys.executable)
        dd = os.path.realpath(shutil.which("dd"))
        for kind in ("cpu", "sys", "net"):
            self.start(kind, py, ["-c", WORKER, kind, self.ready(kind)] +
                       ([self.held] if kind == "sys" else []))
        feed = self.spawn([py, "-c", WORKER, "feed", self.ready("feed")],
                          stdout=subprocess.PIPE)
        self.start("dd", dd, [f"of={os.path.join(self.dir, 'dd.out')}", "bs=64k",
                              "iflag=fullblock", "status=none"], stdin=feed.stdout)
        feed.stdout.close()
        loop = ('while :; do "$0" if=/dev/zero of="$1" bs=64k count=16 status=none; '
                'sleep 0.1; done')
        self.pid["ddl"] = self.spawn(["/bin/sh", "-c", loop, self.link("ddl", dd),
                                      os.path.join(self.dir, "ddl.out")]).pid
        for kind in ("cpu", "sys", "net", "feed"):
            deadline = time.monotonic() + TIMEOUT
            while not os.path.exists(self.ready(kind)):
                assert all(p.poll() is None for p in self.procs), f"a workload died ({kind})"
                assert time.monotonic() < deadline, f"workload {kind} never got ready"
                time.sleep(0.01)

    def ready(self, kind):
        return os.path.join(self.dir, f"{kind}.ready")

    def spawn(self, argv, **kw):
        return self.bg.start(argv, **kw)

    def link(self, kind, target):
        comm = self.prefix + kind
        link = os.path.join(self.dir, comm)
        os.symlink(target, link)
        self.comm[kind] = comm
        return link

    def start(self, kind, target, args, **kw):
        self.pid[kind] = self.spawn([self.link(kind, target), *args], **kw).pid

    def close(self):
        self.bg.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def loads():
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed")
    ld = Loads()
    yield ld
    ld.close()


def num(text):
    """A cell: 12, 99.8, 1.2k, 3.4M (1024-based suffixes; k/K alike), with or
    without /s. None if it is not a number."""
    m = re.match(r"^(\d+(?:\.\d+)?)([kKMGT]?)(?:/s)?$", text or "")
    if not m:
        return None
    return float(m[1]) * 1024 ** " KMGT".index(m[2].upper() or " ")


HEADER = re.compile(r"^\s*PID\s+USER\s+COMM\s+CPU%")


def row_cells(header, line):
    """A table row's cells by the column header's names: PID, then USER and COMM by
    the header's positions (either may hold spaces, or be blank), then the numbers
    and CONTAINER as the row's last words. None if the row is too short."""
    columns = header.split()
    numeric = columns[3:-1]
    words = list(re.finditer(r"\S+", line))
    first = len(words) - len(numeric) - 1
    if first < 1:
        return None
    user_at, comm_at = header.index("USER"), header.index("COMM")
    row = {"PID": words[0][0], "USER": line[user_at:comm_at].strip(),
           "COMM": line[comm_at:words[first].start()].strip(), "CONTAINER": words[-1][0]}
    row.update(zip(numeric, (w[0] for w in words[first:-1])))
    return row


class Screen:
    """
    One capture of the pane: .lines, .title (line 1), .columns (the column
    header's names, None without one), .rows (the lines below it that start with a
    pid). A row's cells (cells()): PID, then USER and COMM by the header's
    positions (either may hold spaces, or be blank), then the numbers and CONTAINER
    as the row's last words.
    """

    def __init__(self, text):
        self.text = text
        self.lines = text.split("\n")
        self.title = self.lines[0]
        self.columns, self.rows, self.header = None, [], None
        for i, line in enumerate(self.lines):
            if HEADER.match(line):
                self.header, self.columns = line, line.split()
                self.rows = [r for r in self.lines[i + 1:] if re.match(r"^\s*\d+\s", r)]
                break

    def cells(self, line):
        return row_cells(self.header, line)

    def rows_of(self, comm):
        return [c for c in map(self.cells, self.rows) if c and c["COMM"] == comm]

    def row(self, comm):
        """The first row whose COMM is comm (None if none)."""
        return (self.rows_of(comm) or [None])[0]

    def comms(self):
        return [c["COMM"] for c in map(self.cells, self.rows) if c]

    def __str__(self):
        return self.text


class Tui:
    """
    `kscope top -d 0.5 ARGS` in a detached 160x40 tmux session on a private socket,
    run by a shell that then writes kscope's exit status to a file: tmux 3.3a
    here does not always reap a pane's process (#{pane_dead_status} stays empty,
    the process a zombie: seen with procps top and `sh -c 'sleep 0.5'` too).
    .pid is kscope's pid (the shell's child).
    """

    def __init__(self, tmpdir, args=()):
        self.sock = f"kscope-test-{secrets.token_hex(4)}"
        self.conf = os.path.join(tmpdir, "tmux.conf")
        with open(self.conf, "w") as f:
            f.write("set -g status off\nset -g remain-on-exit on\n"
                    "set -g default-terminal screen\nset -g default-shell /bin/sh\n")
        self.status_file = os.path.join(tmpdir, f"top-{self.sock}.status")
        self.cmd = (" ".join(map(shlex.quote, [KSCOPE, "top", "-d", "0.5", *args])) +
                    f"; echo $? > {shlex.quote(self.status_file)}")
        self.pid, self.last, self.socket_path = None, None, None

    def launch(self):
        self.tmux("-f", self.conf, "new-session", "-d", "-s", "t", "-x", "160", "-y", "40",
                  self.cmd)
        self.socket_path = self.display("#{socket_path}")
        shell = int(self.display("#{pane_pid}"))
        deadline = time.monotonic() + TUI_TIMEOUT
        while self.pid is None:
            try:
                with open(f"/proc/{shell}/task/{shell}/children") as f:
                    kids = [int(x) for x in f.read().split()]
            except OSError:
                kids = []
            for k in kids:
                try:
                    with open(f"/proc/{k}/comm") as f:
                        if f.read().strip() == "kscope":
                            self.pid = k
                except OSError:
                    pass
            if self.pid is None:
                assert not os.path.exists(self.status_file), self.screen()
                assert time.monotonic() < deadline, "kscope top never started in tmux"
                time.sleep(0.01)

    def tmux(self, *args):
        p = subprocess.run(["tmux", "-L", self.sock, *args], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=TIMEOUT)
        assert p.returncode == 0, (args, p.stderr)
        return p.stdout.decode("utf-8", "replace")

    def display(self, fmt):
        return self.tmux("display-message", "-p", "-t", "t", fmt).rstrip("\n")

    def screen(self):
        self.last = Screen(self.tmux("capture-pane", "-p", "-t", "t"))
        return self.last

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text):
        self.tmux("send-keys", "-t", "t", "-l", text)

    def ended(self):
        return os.path.exists(self.status_file)

    def wait(self, pred, what):
        """Until pred(screen) is true (while kscope runs): that screen."""
        deadline = time.monotonic() + TUI_TIMEOUT
        while True:
            s = self.screen()
            if pred(s):
                return s
            assert not self.ended(), f"kscope ended while waiting for {what}:\n{s}"
            assert time.monotonic() < deadline, f"never: {what}; last screen:\n{s}"
            time.sleep(0.05)

    def table(self):
        return self.wait(lambda s: s.title.startswith("kscope top") and s.columns,
                         "the table")

    def wait_exit(self):
        """Until kscope has ended: its exit status (as its shell saw it: 128+N for a
        signal N)."""
        deadline = time.monotonic() + TUI_TIMEOUT
        while True:
            try:
                with open(self.status_file) as f:
                    text = f.read()
                if text.endswith("\n"):
                    return int(text)
            except FileNotFoundError:
                pass
            assert time.monotonic() < deadline, f"kscope did not exit:\n{self.screen()}"
            time.sleep(0.05)

    def close(self):
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True,
                       timeout=TIMEOUT)
        if self.socket_path:    # tmux 3.3a leaves it behind
            try:
                os.unlink(self.socket_path)
            except FileNotFoundError:
                pass
        # kscope had SIGHUP (its terminal hung up); make sure it is gone
        deadline = time.monotonic() + 10
        while self.pid and alive(self.pid):
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                break
            time.sleep(0.05)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.fixture
def tui(tmp_path, loads):
    """A factory: tui(ARGS...) starts one; every one is ended after the test."""
    made = []

    def start(*args):
        t = Tui(str(tmp_path), args)
        made.append(t)
        t.launch()
        return t
    yield start
    for t in made:
        t.close()


def apply_filter(t, text):
    t.keys("/")
    t.type(text)
    t.keys("Enter")
    return t.wait(lambda s: f"filter '{text}'" in s.title and s.rows and
                  all(text in r for r in s.rows), f"the filter '{text}'")


def samples(t, comm, n):
    """comm's row on n successive distinct screens: [(row, screen)]."""
    seen, last = [], None
    deadline = time.monotonic() + TUI_TIMEOUT
    while len(seen) < n:
        s = t.screen()
        if s.text != last:
            last = s.text
            r = s.row(comm)
            if r:
                seen.append((r, s))
        assert not t.ended() and time.monotonic() < deadline, (seen, str(s))
        time.sleep(0.05)
    return seen


def test_tui_busy_row(tui, loads):
    """The busy loop's row: its pid, its user, CPU% >= 50 (the mean of six refreshes).
    Every one of those refreshes counts syscalls too (the syscall loop and kscope
    itself make them all the time)."""
    t = tui()
    t.table()
    t.wait(lambda s: s.row(loads.comm["cpu"]), "the busy loop's row")
    seen = samples(t, loads.comm["cpu"], 6)
    for _, s in seen:
        m = re.match(r"^syscalls (\S+) ", s.lines[2])
        assert m and (num(m[1]) or 0) > 0, f"a refresh with no syscalls:\n{s}"
    rows = [r for r, _ in seen]
    cpu = [num(r["CPU%"]) for r in rows]
    assert None not in cpu, rows
    assert sum(cpu) / len(cpu) >= 50, rows
    assert all((r["PID"], r["USER"]) == (str(loads.pid["cpu"]), "root") for r in rows), rows


def positive(comm, *columns):
    """A screen predicate: a row of comm with every one of columns > 0."""
    return lambda s: any(all((num(r.get(c)) or 0) > 0 for c in columns) for r in s.rows_of(comm))


def test_tui_write_row(tui, loads):
    """-s write: a short dd (a fresh open of its file) shows WRITE/s > 0."""
    t = tui("-s", "write")
    t.wait(positive(loads.comm["ddl"], "WRITE/s"), "a short dd with WRITE/s > 0")


def test_tui_write_row_file_opened_before(tui, loads):
    """-s write: dd writing to a file it opened before kscope started shows
    WRITE/s > 0 (a write(2) to a file counts whenever the file was opened)."""
    t = tui("-s", "write")
    s = t.wait(positive(loads.comm["dd"], "WRITE/s"), "the long dd with WRITE/s > 0")
    assert s.row(loads.comm["dd"])["PID"] == str(loads.pid["dd"])


def test_tui_net_row(tui, loads):
    """-s net: the loopback sender's row shows NET-RX/s and NET-TX/s > 0 (it reads
    what it sends)."""
    t = tui("-s", "net")
    s = t.wait(positive(loads.comm["net"], "NET-RX/s", "NET-TX/s"),
               "net with NET-RX/s and NET-TX/s > 0")
    assert s.row(loads.comm["net"])["PID"] == str(loads.pid["net"])


def test_tui_sort_keys(tui, loads):
    """Among our workloads: S puts the syscall loop first (title "sort SYSC/s"),
    P the busy loop (title "sort CPU%")."""
    t = tui()
    t.table()
    apply_filter(t, loads.prefix)

    def first(comm, sort):
        return lambda s: f"sort {sort}" in s.title and s.comms()[:1] == [comm]
    t.wait(first(loads.comm["cpu"], "CPU%"), "the busy loop first by CPU%")
    t.keys("S")
    t.wait(first(loads.comm["sys"], "SYSC/s"), "the syscall loop first by SYSC/s")
    t.keys("P")
    t.wait(first(loads.comm["cpu"], "CPU%"), "the busy loop first by CPU% again")


def test_tui_title_keys(tui, loads):
    """The keys that say what they did in the title: + and - step the interval
    (0.1 0.2 0.5 1 2 ...), I inverts the order, > moves the sort column right,
    t switches to threads and back, space pauses and resumes."""
    t = tui()
    t.table()
    steps = [("+", "every 1.0s"), ("-", "every 0.5s"), ("-", "every 0.2s"),
             ("I", "sort CPU% asc"), ("I", "sort CPU% desc"), (">", "sort RUNQ"),
             ("<", "sort CPU%"), ("t", "threads"), ("space", "PAUSED")]
    for key, says in steps:
        t.keys(key)
        t.wait(lambda s: says in s.title, f"{says!r} in the title after {key}")
    t.keys("space")
    t.wait(lambda s: "PAUSED" not in s.title, "PAUSED gone after a second space")
    t.keys("t")
    t.wait(lambda s: "threads" not in s.title and s.columns, "processes again after t")


@pytest.mark.parametrize("key", ["h", "?", "F1"])
def test_tui_help(tui, loads, key):
    """h, ? and F1 show the help (the keys, quit among them) instead of the table;
    any key returns."""
    t = tui()
    t.table()
    t.keys(key)
    t.wait(lambda s: not s.columns and "quit" in s.text.lower(), f"the help after {key}")
    t.keys("x")
    t.wait(lambda s: s.columns and s.title.startswith("kscope top"), "the table back")


def test_tui_filter(tui, loads):
    """'/' PREFIX Enter: only rows whose comm has PREFIX (our long-running four
    among them); '/' Esc clears it."""
    t = tui()
    t.wait(lambda s: s.columns and any(loads.prefix not in r for r in s.rows),
           "a row of another process")
    apply_filter(t, loads.prefix)
    ours = {loads.comm[k] for k in ("cpu", "sys", "net", "dd")}
    t.wait(lambda s: ours <= set(s.comms()) and
           all(loads.prefix in c for c in s.comms()) and
           all(loads.prefix in r for r in s.rows), f"only our rows, {sorted(ours)} among them")
    t.keys("/")
    t.keys("Escape")
    t.wait(lambda s: "filter" not in s.title and any(loads.prefix not in r for r in s.rows),
           "the filter cleared")


def test_tui_pid_filter(tui, loads):
    """'p' PID Enter: only that pid's row; 'p' Enter clears it."""
    pid = str(loads.pid["sys"])
    t = tui()
    t.table()
    t.keys("p")
    t.type(pid)
    t.keys("Enter")
    t.wait(lambda s: f"pid {pid}" in s.title and s.rows and
           all(r.split()[0] == pid for r in s.rows), f"only pid {pid}")
    t.keys("p")
    t.keys("Enter")
    t.wait(lambda s: not re.search(r"\bpid \d", s.title) and
           any(r.split()[0] != pid for r in s.rows), "the pid filter cleared")


def test_tui_too_small(tui, loads):
    """Below 40x10 only "terminal too small"; grown back, the table again."""
    t = tui()
    t.table()
    t.tmux("resize-window", "-t", "t", "-x", "38", "-y", "10")
    t.wait(lambda s: "terminal too small" in s.text and not s.columns, "terminal too small")
    assert t.display("#{pane_width}x#{pane_height}") == "38x10"
    t.tmux("resize-window", "-t", "t", "-x", "160", "-y", "40")
    t.wait(lambda s: "terminal too small" not in s.text and s.columns and s.rows,
           "the table back")


def test_tui_detail(tui, loads):
    """Enter on the (filtered) syscall loop: its detail, with getppid among its
    syscalls and the file it holds among its files; Esc goes back."""
    comm, pid = loads.comm["sys"], loads.pid["sys"]
    t = tui()
    t.table()
    apply_filter(t, comm)
    t.wait(lambda s: s.comms() == [comm], f"only {comm}")
    t.keys("Enter")
    s = t.wait(lambda s: f"process {pid}" in s.title and "getppid" in s.text and
               loads.held in s.text, "the detail with getppid and the held file")
    assert comm in s.title, s.title
    assert "syscalls" in s.text and "files" in s.text, s.text
    t.keys("Escape")
    t.wait(lambda s: s.title.startswith("kscope top") and s.comms() == [comm],
           "the table back")


def running_programs(t):
    """The BPF objects kscope holds once it draws (its programs among them)."""
    t.table()
    owned = bpf_objects(t.pid)
    assert owned["prog"] and owned["prog"] <= set(bpftool_list("prog")), owned
    return owned


def check_ended(t, owned):
    """kscope exited 0, the screen is as before it (no table), nothing of its left."""
    status = t.wait_exit()
    s = t.screen()
    assert status == 0, (status, str(s))
    assert not s.columns and "kscope top" not in s.text, f"screen not restored:\n{s}"
    check_gone(owned)


@pytest.mark.parametrize("key", ["q", "F10"])
def test_tui_quit(tui, loads, key):
    t = tui()
    owned = running_programs(t)
    t.keys(key)
    check_ended(t, owned)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_tui_signal(tui, loads, sig):
    t = tui()
    owned = running_programs(t)
    os.kill(t.pid, sig)
    check_ended(t, owned)

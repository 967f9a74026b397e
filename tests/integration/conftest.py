# SPDX-License-Identifier: GPL-2.0
"""
Shared fixtures and helpers for kscope's integration tests.

The tests drive the real binary (KSCOPE) as root and use the small C
workloads built into WORKLOADS (see tests/workloads/*.c): every workload
writes the pids/tids the test needs to a file, so tests assert exact ids.

Rules kept by every test here:
  * every line kscope writes in -j mode must parse as one JSON object;
  * no assertion on wall-clock durations: timeouts only guard against hangs;
  * kscope runs either with -- PROGRAM (only that tree is traced) or with a
    filter matching only what the test started, so other processes and
    other BPF tools on the machine cannot disturb the exact assertions.
"""
import itertools
import json
import os
import pty
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

import hooks

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

KSCOPE = os.path.abspath(os.environ.get("KSCOPE") or os.path.join(REPO, "build", "kscope"))
WORKLOADS = os.path.abspath(os.environ.get("WORKLOADS") or os.path.join(REPO, "build", "workloads"))

# Guards against hangs only; never used to judge speed.
TIMEOUT = 120

EVENT_TYPES = ("fork", "exec", "exit")
HDR_FIELDS = ("type", "ts_ns", "pid", "tid", "ppid", "uid", "comm", "cgroup_id", "cpu")
FORK_FIELDS = HDR_FIELDS + ("child_pid", "child_tid", "thread")
EXEC_FIELDS = HDR_FIELDS + ("ret", "filename", "argv", "argv_truncated")
EXIT_FIELDS = HDR_FIELDS + ("exit_code", "signal", "core_dumped", "lifetime_ns", "cpu_ns",
                            "max_rss_bytes", "vm_bytes", "prio", "state", "thread",
                            "group_dead")
FIELDS = {"fork": FORK_FIELDS, "exec": EXEC_FIELDS, "exit": EXIT_FIELDS}

# Hook variants for the exact-event tests (tests/integration/hooks.py): extra
# kscope options, and the hook type the tracepoint-based probes (sched, syscall,
# fileio, proc's fork and exec) must then report with -v ("kscope: probe NAME:
# HOOK/..."). Only the variants that plan differently on this kernel.
HOOK_VARIANTS = {v: (hooks.VARIANTS[v], hooks.plan(hooks.TP, v))
                 for v in hooks.variants_for(hooks.TP)}
# proc's probes: its exit probe has fentry and kprobe alternatives too, so a
# kernel with them runs more variants; expected hooks per probe: hooks.plan()
PROC_VARIANTS = hooks.variants_for(hooks.TP, hooks.EXIT)


def workload(name):
    path = os.path.join(WORKLOADS, name)
    assert os.access(path, os.X_OK), f"workload {path} is not built (make integration)"
    return path


def expected_prio():
    """The kernel prio of a SCHED_OTHER task started from here: 120 + nice."""
    return 120 + os.getpriority(os.PRIO_PROCESS, 0)


def parse_ndjson(text, where="output"):
    """Every line is one JSON object with a string "type"; returns them all."""
    if text:
        assert text.endswith("\n"), f"{where}: last line is not terminated: {text[-200:]!r}"
    events = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise AssertionError(f"{where}: line {n} is not JSON ({e}): {line!r}") from None
        assert isinstance(obj, dict), f"{where}: line {n} is not an object: {line!r}"
        assert isinstance(obj.get("type"), str), f"{where}: line {n} has no type: {line!r}"
        if obj["type"] in FIELDS:
            missing = [f for f in FIELDS[obj["type"]] if f not in obj]
            assert not missing, f"{where}: line {n} lacks {missing}: {line!r}"
        events.append(obj)
    return events


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape")


def read_ints(path):
    with open(path) as f:
        return [int(x) for x in f.read().split()]


def wait_for_file(path, proc=None, timeout=TIMEOUT):
    """Wait until path exists (bail out if proc dies first)."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode} before {path} appeared")
        assert time.monotonic() < deadline, f"timed out waiting for {path}"
        time.sleep(0.01)


# nanosleep and clock_nanosleep, per machine (what sleep(1) ends up blocked in)
SLEEP_SYSCALLS = {"x86_64": {35, 230}, "aarch64": {101, 115}}


def wait_sleeping(pid, timeout=TIMEOUT):
    """Wait until pid is blocked in nanosleep: past its start-up (the dynamic
    loader, locale files), which under emulation can outlast a test's setup."""
    want = SLEEP_SYSCALLS[os.uname().machine]
    deadline = time.monotonic() + timeout
    while True:
        try:
            nr = read_text(f"/proc/{pid}/syscall").split()[0]
        except (OSError, IndexError):
            nr = ""
        if nr.isdigit() and int(nr) in want:
            return
        assert time.monotonic() < deadline, f"pid {pid} never went to sleep (syscall {nr!r})"
        time.sleep(0.01)


def cgroup2_mount():
    """Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or .../unified)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == "cgroup2":
                return fields[4]
    raise AssertionError("no cgroup v2 hierarchy mounted")


def cgroup_id_of(pid="self"):
    """The cgroup v2 id (the directory's inode number) of a process."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                rel = line[3:].rstrip("\n")
                return os.stat(cgroup2_mount() + rel.rstrip("/")).st_ino
    raise AssertionError("no cgroup v2 entry in /proc/self/cgroup")


# ---- running kscope ----------------------------------------------------------------
#
# One way to run kscope for every test file:
#   cli(args)                  any command line, once: (rc, stdout, stderr), for
#                              usage errors, --help, doctor, output to stdout
#   kscope.run(args, program)  `kscope CMD -j -o FILE ARGS [-- PROGRAM]` to its end
#                              (PROGRAM's exit, -d, a count): a Result
#   kscope.start(args)         the same in the background, returned once it traces
#                              (at once with PROGRAM): a Tracer; .stop(sig) or
#                              .wait() give its Result
# `kscope` is a runner for proc; kscope.command(NAME) one for another command in
# the same directory. A command's own fixture (test_sched.py's sched) subclasses
# Kscope to add its helpers and checks.

def cli(args, *, prefix=(), binary=KSCOPE, errors="strict", timeout=TIMEOUT, **kw):
    """[PREFIX...] kscope ARGS, stdin /dev/null, output captured: (rc, stdout, stderr)
    decoded (strictly unless errors= says otherwise; "" for what was not captured)."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("capture_output", True)
    p = subprocess.run([*prefix, binary, *args], timeout=timeout, **kw)

    def dec(b):
        return b.decode("utf-8", errors) if b is not None else ""
    return p.returncode, dec(p.stdout), dec(p.stderr)


def check_usage_error(command, args, msg):
    """kscope COMMAND ARGS is refused as bad input: exit 2, nothing on stdout, one line
    "kscope COMMAND: ..." on stderr (saying msg, unless None)."""
    rc, stdout, stderr = cli([command, *args])
    assert rc == 2, (rc, stderr)
    assert stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith(f"kscope {command}: "), stderr
    if msg:
        assert msg in stderr, stderr


def of_type(events, kind):
    return [e for e in events if e["type"] == kind]


class Result:
    """
    One kscope run: its exit status, what it wrote to -o FILE (.out: the NDJSON
    rows parsed, or the text with json_mode=False) as .rows (also .events), its
    stderr and stdout, its command line and, for a run to its end, its wall time.
    """

    def __init__(self, rc, rows, stderr, stdout, cmd, out=None, wall_ns=None):
        self.rc, self.rows, self.stderr, self.stdout = rc, rows, stderr, stdout
        self.cmd, self.out, self.wall_ns = cmd, out, wall_ns

    @property
    def events(self):
        return self.rows

    def of(self, kind):
        return of_type(self.rows, kind)

    def __repr__(self):
        rows = self.rows[:4000] if isinstance(self.rows, str) else self.rows[:40]
        return (f"Result(rc={self.rc}, {len(self.rows)} rows, stderr={self.stderr!r}, "
                f"cmd={self.cmd!r}, rows={rows!r})")


# the next output file's number, per test directory (Kscope.out)
OUT_SEQ = {}


class Kscope:
    """Runs `kscope COMMAND [-j] -o FILE ARGS [-- PROGRAM]` in a per-test directory."""

    command_name = "proc"
    result = Result         # what run() and a Tracer return (a subclass may add helpers)

    def __init__(self, tmpdir, command=None):
        self.tmpdir = tmpdir
        self.n = 0
        if command is not None:
            self.command_name = command

    def command(self, name):
        """A runner for `kscope NAME` in the same directory."""
        return Kscope(self.tmpdir, name)

    def path(self, name):
        return os.path.join(self.tmpdir, name)

    def out(self):
        """A new output file's path: numbered per directory, so that two runners of
        one test (kscope.command("net") twice) never write the same file."""
        seq = OUT_SEQ.setdefault(self.tmpdir, itertools.count(1))
        return self.path(f"{self.command_name}-{next(seq)}.out")

    def argv(self, args, out=None, program=None, json_mode=True, prefix=()):
        cmd = [*prefix, KSCOPE, self.command_name, *(["-j"] if json_mode else [])]
        if out is not None:
            cmd += ["-o", out]
        cmd += args
        if program is not None:
            cmd += ["--", *program]
        return cmd

    def collect(self, rc, out, stderr, stdout, cmd, json_mode, wall_ns=None):
        """The Result of a run that has ended: its -o FILE read (and parsed with -j)."""
        text = read_text(out) if out and os.path.exists(out) else ""
        rows = parse_ndjson(text, f"{cmd!r} output") if json_mode else text
        return self.result(rc, rows, stderr, stdout, cmd, out, wall_ns)

    def run(self, args, program=None, json_mode=True, env=None, prefix=(), timeout=TIMEOUT):
        """kscope COMMAND [-j] -o FILE ARGS [-- PROGRAM], to its end: a Result.
        env: variables added to this environment; prefix: a command kscope runs under."""
        out = self.out()
        cmd = self.argv(args, out, program, json_mode, prefix)
        t0 = time.monotonic_ns()
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                           env={**os.environ, **env} if env else None)
        wall = time.monotonic_ns() - t0
        return self.collect(p.returncode, out, p.stderr.decode("utf-8", "surrogateescape"),
                            p.stdout.decode("utf-8", "surrogateescape"), cmd, json_mode, wall)

    def start(self, args, program=None, json_mode=True, stdout=None, env=None):
        """
        kscope COMMAND [-j] -o FILE ARGS [-- PROGRAM] in the background: a Tracer,
        returned once kscope traces (with PROGRAM at once: kscope says nothing
        then, and PROGRAM runs only once it traces). stdout= (PIPE, a file, an fd)
        sends kscope's output there instead of to -o FILE.
        """
        out = self.out() if stdout is None else None
        cmd = self.argv(args, out, program, json_mode)
        return Tracer(cmd, out, json_mode, stdout=subprocess.PIPE if stdout is None else stdout,
                      ready=program is None, collect=self.collect, env=env)


class Tracer:
    """
    A background `kscope ...` with its stderr on a pseudo terminal: without
    PROGRAM, kscope prints "Tracing ..." there only once its programs are
    attached, its filters set and its ring buffer reader running (and only
    to a terminal), which is exactly the moment events start to count.
    """

    def __init__(self, cmd, out=None, json_mode=True, stdout=subprocess.PIPE, ready=True,
                 collect=None, env=None):
        self.out = out
        self.json_mode = json_mode
        self.cmd = cmd
        self.collect = collect or Kscope(None).collect
        master, slave = pty.openpty()
        self.master = master
        self.chunks = []
        self.ready = threading.Event()
        try:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                         stdout=stdout, stderr=slave,
                                         env={**os.environ, **env} if env else None)
        finally:
            os.close(slave)
        self.reader = threading.Thread(target=self._read_stderr, daemon=True)
        self.reader.start()
        deadline = time.monotonic() + TIMEOUT
        while ready and not self.ready.wait(0.05):
            if self.proc.poll() is not None:
                self.reader.join(TIMEOUT)
                raise AssertionError(f"{self.cmd!r} exited with {self.proc.returncode} "
                                     f"before tracing: {self.stderr_text()!r}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"{self.cmd!r} did not start tracing")

    @property
    def pid(self):
        return self.proc.pid

    def _read_stderr(self):
        buf = b""
        while True:
            try:
                r, _, _ = select.select([self.master], [], [], 0.2)
                if not r:
                    if self.proc.poll() is not None:
                        break
                    continue
                data = os.read(self.master, 4096)
            except OSError:		# EIO: the slave side is closed
                break
            if not data:
                break
            self.chunks.append(data)
            buf += data
            if b"Tracing" in buf:
                self.ready.set()
        os.close(self.master)

    def stderr_text(self):
        """What kscope wrote to stderr so far (all of it once it ended)."""
        return b"".join(self.chunks).decode("utf-8", "surrogateescape").replace("\r\n", "\n")

    def stop(self, sig=signal.SIGINT):
        """Stop kscope with sig (if it still runs); Result with every event it wrote."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            stdout, _ = self.proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.cmd!r} did not stop on {sig!r}")
        self.reader.join(TIMEOUT)
        return self.collect(self.proc.returncode, self.out, self.stderr_text(),
                            (stdout or b"").decode("utf-8", "surrogateescape"), self.cmd,
                            self.json_mode)

    def wait_row(self, pred):
        """While kscope runs (-j -o FILE), until a row it wrote so far is one pred(row)
        accepts: that row."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            rows = [json.loads(line) for line in read_text(self.out).split("\n")[:-1]]
            for r in rows:
                if pred(r):
                    return r
            assert time.monotonic() < deadline and self.proc.poll() is None, rows
            time.sleep(0.05)

    def wait(self, timeout=TIMEOUT):
        """Wait for kscope to end by itself (-d, a count, PROGRAM's exit); Result."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.cmd!r} did not end by itself")
        return self.stop()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Background:
    """Processes a test starts; all killed (by process group) at teardown."""

    def __init__(self):
        self.procs = []

    def start(self, cmd, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("stdout", subprocess.DEVNULL)
        p = subprocess.Popen(cmd, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                p.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                pass


class Noise:
    """
    An unrelated process tree: a shell running /bin/true in a loop, counting
    its iterations in a file (a shell builtin: no fork). Its events must never
    show up in a filtered or -- PROGRAM trace.
    """

    def __init__(self, bg, tmpdir):
        self.count_file = os.path.join(tmpdir, "noise.count")
        script = 'i=0; while :; do /bin/true; /bin/sleep 0.01; i=$((i+1)); echo $i > "$1"; done'
        self.proc = bg.start(["/bin/sh", "-c", script, "noise", self.count_file])
        self.pid = self.proc.pid
        wait_for_file(self.count_file, self.proc)

    def count(self):
        for _ in range(100):
            try:
                with open(self.count_file) as f:
                    return int(f.read())
            except (OSError, ValueError):
                time.sleep(0.01)
        raise AssertionError("cannot read the noise counter")

    def assert_progress(self, before):
        """The loop ran on while we traced: it really was concurrent."""
        deadline = time.monotonic() + TIMEOUT
        while self.count() <= before:
            assert self.proc.poll() is None, "the noise loop died"
            assert time.monotonic() < deadline, "the noise loop made no progress"
            time.sleep(0.01)

    def assert_absent(self, events):
        for e in events:
            assert self.pid not in (e.get("pid"), e.get("ppid")), f"noise event traced: {e}"


@pytest.fixture(scope="session", autouse=True)
def _check_env():
    assert os.access(KSCOPE, os.X_OK), f"{KSCOPE} is not built (make integration)"
    assert os.geteuid() == 0, "the integration tests load BPF programs: run them as root"


@pytest.fixture
def kscope(tmp_path):
    return Kscope(str(tmp_path))


@pytest.fixture
def bg():
    b = Background()
    yield b
    b.cleanup()


@pytest.fixture
def noise(bg, tmp_path):
    return Noise(bg, str(tmp_path))


@pytest.fixture
def cgroup(bg):
    """A fresh cgroup v2 directory; processes moved back out and removed after."""
    root = cgroup2_mount()
    with open("/proc/self/cgroup") as f:
        mine = [line[3:].strip() for line in f if line.startswith("0::")][0]
    home = root + mine.rstrip("/")
    path = os.path.join(root, f"kscope-test-{os.getpid()}-{secrets.token_hex(3)}")
    os.mkdir(path)
    yield path
    try:
        with open(os.path.join(path, "cgroup.procs")) as f:
            left = [int(x) for x in f.read().split()]
        for pid in left:
            try:
                with open(os.path.join(home, "cgroup.procs"), "w") as f:
                    f.write(str(pid))
            except OSError:
                pass
    finally:
        bg.cleanup()
        for _ in range(500):	# a task that just exited may linger a moment
            try:
                os.rmdir(path)
                break
            except OSError:
                time.sleep(0.01)
        else:
            os.rmdir(path)


# runs the command after it as uid and gid 65534 (nobody), with no other groups
SETPRIV_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def shared_dir():
    """A directory that uid 65534 can write to (tmp_path's parents are 0700)."""
    d = tempfile.mkdtemp(prefix="kscope-it-", dir="/tmp")
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def shared_bin(shared_dir):
    """Copies of kscope and the workloads that any uid can execute."""
    d = os.path.join(shared_dir, "bin")
    os.mkdir(d)
    os.chmod(d, 0o755)

    def copy(src, name=None):
        dst = os.path.join(d, name or os.path.basename(src))
        if not os.path.exists(dst):
            shutil.copy2(src, dst)
            os.chmod(dst, 0o755)
        return dst
    return copy


# ---- BPF objects a tracer holds, and proof they are gone after it ----------

def bpf_objects(pid):
    """{"prog": ids, "map": ids, "link": ids} held open by process pid (from fdinfo:
    bpftool 7.1 cannot tell which process holds an object)."""
    owned = {"prog": set(), "map": set(), "link": set()}
    fddir = f"/proc/{pid}/fd"
    for fd in os.listdir(fddir):
        try:
            target = os.readlink(os.path.join(fddir, fd))
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        info = {k.strip(): v.strip() for k, v in info.items()}
        if target == "anon_inode:bpf_link" and "link_id" in info:
            owned["link"].add(int(info["link_id"]))
        elif target == "anon_inode:bpf-prog" and "prog_id" in info:
            owned["prog"].add(int(info["prog_id"]))
        elif target == "anon_inode:bpf-map" and "map_id" in info:
            owned["map"].add(int(info["map_id"]))
    return owned


def bpftool_list(kind):
    # an object another process drops between bpftool's listing and its look-up fails
    # the whole listing ("can't get link by id"): list again
    for _ in range(20):
        p = subprocess.run(["bpftool", kind, "show", "-j"], capture_output=True,
                           timeout=TIMEOUT)
        if p.returncode == 0 or b"can't get" not in p.stdout + p.stderr:
            break
        time.sleep(0.05)
    assert p.returncode == 0, p
    return {o["id"]: o for o in json.loads(p.stdout or b"[]")}


def check_gone(owned):
    """None of kscope's objects survives it (ids are not reused soon)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        left = {kind: ids & set(bpftool_list(kind)) for kind, ids in owned.items()}
        if not any(left.values()):
            return
        # programs and links go at once; maps may wait for an RCU grace period
        assert time.monotonic() < deadline, f"left behind: {left}"
        time.sleep(0.1)

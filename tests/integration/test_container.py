# SPDX-License-Identifier: GPL-2.0
"""
Containers (issue 18). -C/--container-column names the container of every
event record, from its task's cgroup (v2) path (src/engine/container.c; the
layouts are unit-tested in tests/unit/test_container.c). Here a fake docker
container made by the test: a cgroup v2 directory
system.slice/docker-<64 hex>.scope, as docker's systemd driver names it,
that a workload joins:

  * the records of its tasks name it (id and runtime), in JSON and, as
    docker ps shortens it, in the table; the records of tasks outside it
    (the shell before it joins) name none;
  * capability denials made inside it (kscope security) name it;
  * -C where no event record would be printed is refused.

Then `kscope container`, a row per container, from fake containers with
their cgroups in every hierarchy and their own namespaces (below).
"""
import contextlib
import ctypes
import os
import secrets
import shlex
import signal
import subprocess
import tempfile
import time

import pytest

import blockdev
import cgroups
import hooks
from conftest import WORKLOADS, cgroup2_mount, cgroup_id_of, check_usage_error, workload


@pytest.fixture
def docker_cgroup():
    """A cgroup v2 directory named as docker (systemd driver) names a container's
    (FakeContainer's, below: its cgroups, with no process yet): (id, path)."""
    with fake_container() as c:
        yield c.id, c.v2


def joined(cg, *argv):
    """sh, joining cgroup cg, then exec'ing argv."""
    return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, *argv]


def test_proc_records_name_the_container(kscope, docker_cgroup):
    ctr_id, cg = docker_cgroup
    ew = workload("exit_with")
    res = kscope.run(["-C"], program=joined(cg, ew, "0"))
    assert res.rc == 0, res
    execs = res.of("exec")
    assert [e["filename"] for e in execs][-1] == ew, execs
    (sh,) = [e for e in execs if e["comm"] == "sh"]
    assert sh["container"] is None and sh["container_runtime"] is None, sh
    (ex,) = [e for e in execs if e["filename"] == ew]
    assert (ex["container"], ex["container_runtime"]) == (ctr_id, "docker"), ex
    assert ex["cgroup_id"] == os.stat(cg).st_ino, ex
    (x,) = res.of("exit")
    assert (x["container"], x["container_runtime"]) == (ctr_id, "docker"), x
    # without -C, no such fields
    res = kscope.run([], program=joined(cg, ew, "0"))
    assert all("container" not in e for e in res.events), res.events


def test_table_shows_the_short_id(kscope, docker_cgroup):
    ctr_id, cg = docker_cgroup
    ew = workload("exit_with")
    res = kscope.run(["-C"], program=joined(cg, ew, "0"), json_mode=False)
    assert res.rc == 0, res
    lines = res.events.splitlines()
    head = [line for line in lines if line.startswith("TIME")][0]
    assert head.split()[:7] == ["TIME(s)", "EVENT", "PID", "TID", "PPID", "COMM",
                                "CONTAINER"], head
    col = head.index("CONTAINER")
    rows = [line for line in lines if " exec " in line or " exit " in line]
    assert [r[col:col + 12] for r in rows] == ["-" + " " * 11, ctr_id[:12], ctr_id[:12]], rows


def test_security_denials_name_the_container(kscope, docker_cgroup):
    ctr_id, cg = docker_cgroup
    res = kscope.command("security").run(
        ["-C", "--denied", "--kind", "cap"],
        program=joined(cg, os.path.join(WORKLOADS, "secact"), "-q"))
    assert res.rc == 0, res
    caps = res.of("cap")
    assert [(e["capability"], e["container"], e["container_runtime"]) for e in caps] == \
        [("CAP_SYS_ADMIN", ctr_id, "docker")] * 3, caps


@pytest.mark.parametrize("command,args", [
    ("syscall", ["-C"]), ("sched", ["-C"]), ("diskio", ["-C"]), ("proc", ["--tree", "-C"]),
    ("fileio", ["--top", "-C"]), ("net", ["-C", "--by", "process"]),
    ("security", ["--summary", "-C"]),
    # rows keyed by cgroup carry it (test_by_cgroup_rows_name_the_container), others not
    ("syscall", ["--by", "process", "-C"]), ("fileio", ["--by", "process", "-C"]),
    ("fileio", ["-C", "1"]), ("net", ["-C", "1"]), ("net", ["--drops", "-C"]),
    ("sched", ["--by", "cgroup", "--hist", "-C"]), ("diskio", ["--by", "cgroup", "--hist", "-C"]),
])
def test_refused_without_event_records(command, args):
    check_usage_error(command, args, "-C")


# ---- kscope container: a row per container ----------------------------------------------
#
# Two fake docker containers made by the test, each as docker's systemd driver makes
# one: system.slice/docker-<64 hex>.scope in cgroup v2 and, where memory and blkio are
# v1 hierarchies (a hybrid host), the same path there; on a v2-only host the memory
# and io controllers are turned on down to it. The busy one has its own pid, net,
# mount and uts namespaces (an `unshare` whose sleeping child is its first process)
# and runs, each process joining its cgroups then entering its namespaces:
#   - a loopback TCP exchange, both ends inside: 4242 bytes one way, 77 back;
#   - 37 O_DIRECT writes of 4 KiB to a loop device (its file on a tmpfs: no device
#     below it that could add requests);
#   - a process touching exactly 3000 new pages;
#   - one allocating 256 MiB under a 64 MiB limit: OOM-killed;
#   - a process that drops to uid 1000 and calls sethostname() 3 times: 3 denied
#     CAP_SYS_ADMIN checks.
# The idle one holds one sleeping process.


FAULTER = os.path.join(WORKLOADS, "faulter")
BASE = 0x200000000000          # faulter's fixed mapping

# every path of the lifecycle's tracepoints where the areas it needs have a hook
# (the parts' other hook paths are their own commands' tests: not again here)
NEEDED = (hooks.mem_fault(), hooks.net_bytes(), hooks.sec_cap())
VARIANTS = [v for v in hooks.variants_needing(hooks.mem_fault(), hooks.TP)
            if v != "no_precheck" and all(hooks.plan(a, v) for a in NEEDED)]


class FakeContainer:
    """A docker container as its cgroups and namespaces make one (no docker)."""

    def __init__(self, mem_limit=None, rel=None):
        self.id = secrets.token_hex(32)
        self.rel = rel or f"/system.slice/docker-{self.id}.scope"
        self.dirs, self.made, self.turned_on = [], [], []
        self.init = None
        self.closed = False
        self.mem = cgroups.controller("memory", "memory")
        self.blk = cgroups.controller("blkio", "io")
        self.v2root = cgroup2_mount()
        self.v2 = self._make(self.v2root, [c.v2 for c in (self.mem, self.blk) if c.version == 2])
        for ctl in (self.mem, self.blk):
            if ctl.version == 1:
                self._make(ctl.mount, [])
        if mem_limit:
            memdir = self.mem.mount + self.rel
            if self.mem.version == 1:
                cgroups.write(os.path.join(memdir, "memory.limit_in_bytes"), str(mem_limit))
            else:
                cgroups.write(os.path.join(memdir, "memory.max"), str(mem_limit))
                if os.path.exists(os.path.join(memdir, "memory.swap.max")):
                    cgroups.write(os.path.join(memdir, "memory.swap.max"), "0")

    def _make(self, mount, v2_ctrls):
        """mount/REL (system.slice/docker-ID.scope), with v2_ctrls on in its parents"""
        parent = mount + os.path.dirname(self.rel).rstrip("/")
        for d in dict.fromkeys((mount, parent)):
            if d == parent and not os.path.isdir(parent):
                os.mkdir(parent)
                self.made.append(parent)
            sc = os.path.join(d, "cgroup.subtree_control")
            for c in v2_ctrls:
                if c not in cgroups.read(sc).split():
                    cgroups.write(sc, "+" + c)
                    self.turned_on.append((sc, c))
        path = mount + self.rel
        os.mkdir(path)
        self.dirs.append(path)
        return path

    def procs_files(self):
        return [os.path.join(d, "cgroup.procs") for d in self.dirs]

    def start(self, namespaces=True):
        """Its first process: in new namespaces (unshare's child), then moved in."""
        argv = ["unshare", "--pid", "--net", "--mount", "--uts", "--fork", "sleep", "1000"] \
            if namespaces else ["sleep", "1000"]
        self.unshare = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
        pid = self.unshare.pid
        if namespaces:
            deadline = time.monotonic() + 10
            while True:
                kids = cgroups.read(f"/proc/{pid}/task/{pid}/children").split()
                if kids and os.readlink(f"/proc/{kids[0]}/exe").endswith("sleep"):
                    pid = int(kids[0])
                    break
                assert time.monotonic() < deadline, "unshare made no child"
                time.sleep(0.01)
        for f in self.procs_files():
            cgroups.write(f, str(pid))
        self.init = pid
        if namespaces:
            self.run(["ip", "link", "set", "lo", "up"])

    def argv(self, cmd):
        """cmd run inside: a shell joins the cgroups, then enters the namespaces."""
        join = "".join(f'echo $$ > "{f}"; ' for f in self.procs_files())
        # -r -w: its root and working directory, which a chroot (the amd64 guest) keeps
        enter = ["nsenter", "-t", str(self.init), "-r", "-w", "--pid", "--net", "--mount",
                 "--uts", "--"] \
            if self.unshare.args[0] == "unshare" else []
        return ["sh", "-c", join + 'exec "$@"', "sh", *enter, *cmd]

    def run(self, cmd, **kw):
        p = subprocess.run(self.argv(cmd), stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=120, **kw)
        return p

    def ns(self, kind):
        return os.stat(f"/proc/{self.init}/ns/{kind}").st_ino

    def close(self):
        if self.closed:
            return
        self.closed = True
        if self.init:
            self.unshare.kill()
            with contextlib.suppress(OSError):
                os.kill(self.init, signal.SIGKILL)
            self.unshare.wait()
        for d in reversed(self.dirs):
            for pid in cgroups.read(os.path.join(d, "cgroup.procs")).split():
                with contextlib.suppress(OSError):
                    os.kill(int(pid), signal.SIGKILL)
            cgroups.retry_busy(lambda: os.rmdir(d), f"rmdir {d}")
        for sc, c in reversed(self.turned_on):
            with contextlib.suppress(OSError):
                cgroups.write(sc, "-" + c)
        for d in reversed(self.made):
            with contextlib.suppress(OSError):
                os.rmdir(d)


@contextlib.contextmanager
def fake_container(**kw):
    c = FakeContainer(**kw)
    try:
        yield c
    finally:
        c.close()


@contextlib.contextmanager
def tmpfs_loop():
    """A loop device whose file is on a private tmpfs (no block device under it)."""
    d = tempfile.mkdtemp(prefix="kscope-ctr-")
    libc = ctypes.CDLL(None, use_errno=True)	# mount(8) is not on every guest
    if libc.mount(b"kscope", d.encode(), b"tmpfs", 0, b"size=80m"):
        os.rmdir(d)
        raise OSError(ctypes.get_errno(), f"mount tmpfs on {d}")
    try:
        with blockdev.loop_device(d) as loop:
            yield loop
    finally:
        libc.umount2(d.encode(), 2)	# MNT_DETACH
        os.rmdir(d)


# a loopback TCP exchange, both ends in this process: 4242 bytes one way, 77 back
XFER = r"""
import socket, threading
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
def serve():
    c, _ = srv.accept()
    n = 0
    while n < 4242:
        n += len(c.recv(65536))
    c.sendall(b"y" * 77)
    c.shutdown(socket.SHUT_WR)
    assert c.recv(1) == b""
    c.close()
t = threading.Thread(target=serve)
t.start()
cl = socket.create_connection(srv.getsockname())
cl.sendall(b"x" * 4242)
n = 0
while n < 77:
    n += len(cl.recv(65536))
assert cl.recv(1) == b""
cl.close()
t.join()
"""

DENY3 = ("import os, socket\n"
         "os.setresgid(1000, 1000, 1000); os.setresuid(1000, 1000, 1000)\n"
         "for _ in range(3):\n"
         "    try:\n"
         "        socket.sethostname('kscope')\n"
         "    except PermissionError:\n"
         "        pass\n")


def rows_by_container(res):
    rows = res.of("container_stat")
    out = {}
    for r in rows:
        key = r["container"] or r["runtime"]
        assert key not in out, f"two rows for {key}: {rows}"
        out[key] = r
    return out


@pytest.mark.parametrize("variant", VARIANTS)
def test_container_rollup(kscope, variant):
    """The busy container's row has exactly its TCP bytes, disk writes, OOM kill and
    denials, its faults; its lifecycle and namespaces as its cgroup tracepoints said;
    the idle one (there before tracing) is a row of zeros with the namespaces of its
    process; the host's row has none of it."""
    with tmpfs_loop() as loop, fake_container() as idle:
        idle.start(namespaces=False)
        tr = kscope.command("container").start(["-v", *hooks.options(variant)])
        try:
            with fake_container(mem_limit=64 << 20) as busy:
                busy.start()
                ns = {k: busy.ns(k) for k in ("mnt", "net", "pid", "uts")}
                p = busy.run(["/usr/bin/python3", "-c", XFER])
                assert p.returncode == 0, p
                p = busy.run(["dd", "if=/dev/zero", f"of={loop.path}", "bs=4096",
                              "count=37", "oflag=direct"])
                assert p.returncode == 0 and b"37+0 records out" in p.stderr, p
                fp = subprocess.Popen(busy.argv([FAULTER, "touch", f"{BASE:x}", "3000"]),
                                      stdin=subprocess.DEVNULL)
                _, status, ru = os.wait4(fp.pid, 0)
                fp.returncode = 0
                assert status == 0, status
                p = busy.run([FAULTER, "hog", "256"])
                assert p.returncode != 0, p		# killed
                p = busy.run(["/usr/bin/python3", "-c", DENY3])
                assert p.returncode == 0, p
                p = busy.run([os.path.join(WORKLOADS, "sys_calls"),
                              f"/dev/shm/kscope-ctr-info-{busy.id[:8]}", "300", "120"])
                os.unlink(f"/dev/shm/kscope-ctr-info-{busy.id[:8]}")
                assert p.returncode == 0, p
                p = busy.run(["dd", "if=/dev/zero", f"of=/dev/shm/kscope-ctr-{busy.id[:8]}",
                              "bs=1000", "count=7"])
                os.unlink(f"/dev/shm/kscope-ctr-{busy.id[:8]}")
                assert p.returncode == 0, p
                time.sleep(1.5)	# the memory and socket reads of the last second
                busy_id, busy_rel, busy_init = busy.id, busy.rel, busy.init
            time.sleep(0.5)
        finally:
            res = tr.stop(signal.SIGINT)
        assert res.rc == 0, res
        tp = hooks.plan(hooks.TP, variant)
        for probe, tp_name in (("mkdir", "cgroup_mkdir"), ("attach", "cgroup_attach_task"),
                               ("rmdir", "cgroup_rmdir")):
            prefix = "cgroup/" if tp == "tracepoint" else ""
            assert f"kscope: probe cgroup-{probe}: {tp}/{prefix}{tp_name}" in res.stderr, \
                res.stderr
        rows = rows_by_container(res)
        b, i, h = rows[busy_id], rows[idle.id], rows["host"]
        assert (b["runtime"], b["cgroup"]) == ("docker", busy_rel), b
        assert (b["tcp_tx_bytes"], b["tcp_rx_bytes"]) == (4242 + 77, 4242 + 77), b
        assert (b["disk_writes"], b["disk_write_bytes"]) == (37, 37 * 4096), b
        assert b["disk_count"] >= 37 and b["disk_p99_ns"] > 0, b
        assert b["oom_kills"] == 1, b
        assert b["cap_denied"] == 3, b
        assert b["page_faults"] >= 3000, b
        # what its processes did besides, each at least the workloads' part of it
        assert b["cpu_ns"] > 0 and b["runq_wait_ns"] >= 0, b
        assert b["syscalls"] >= 300 + 120 and b["syscall_errors"] >= 120 + 3, b
        assert b["file_write_bytes"] >= 7000, b
        assert (b["first_pid"], b["first_comm"]) == (busy_init, "sleep"), b
        assert (b["mntns"], b["netns"], b["pidns"], b["utsns"]) == \
            (ns["mnt"], ns["net"], ns["pid"], ns["uts"]), (ns, b)
        assert 0 < b["created_ns"] < b["removed_ns"] <= res.of("container_stat")[0]["ts_ns"], b
        # the idle container, there before tracing: zeros, its process's namespaces
        for k in ("cpu_ns", "syscalls", "file_write_bytes", "tcp_tx_bytes", "tcp_rx_bytes",
                  "disk_writes", "disk_reads", "oom_kills", "cap_denied", "page_faults"):
            assert i[k] == 0, (k, i)
        assert (i["first_pid"], i["created_ns"], i["removed_ns"]) == (None, None, None), i
        assert (i["mntns"], i["netns"]) == \
            (os.stat("/proc/self/ns/mnt").st_ino, os.stat("/proc/self/ns/net").st_ino), i
        # the host: none of it (the busy row has every one of the workload's units
        # exactly; the host's other processes may be refused a capability meanwhile)
        assert h["oom_kills"] == 0, h
        assert (h["container"], h["runtime"]) == (None, "host"), h


@pytest.mark.parametrize("args, msg", [
    (["--container", "XYZ"], "--container takes a container id (lowercase hex), not 'XYZ'"),
    (["--container", "a" * 65], "--container takes 1 to 64 hex digits"),
    (["--areas", "cpu,gpu"], "unknown area 'gpu' in --areas"),
    (["--areas", ""], "--areas needs at least one area"),
    (["-C"], "-C names each event's container"),
    (["-s", "bytes"], None),
])
def test_container_bad_input(args, msg):
    check_usage_error("container", args, msg)


def xfer_traced(kscope, c, args):
    """kscope container ARGS while container c makes the loopback exchange (XFER)."""
    tr = kscope.command("container").start(args)
    try:
        p = c.run(["/usr/bin/python3", "-c", XFER])
        assert p.returncode == 0, p
        time.sleep(1.5)	# the socket reads of the last second
    finally:
        res = tr.stop(signal.SIGINT)
    assert res.rc == 0, res
    return res


def test_container_filter_and_areas(kscope):
    """--container PREFIX: that container's row only (no host row); --areas net: only
    the TCP columns move, the others stay 0."""
    with fake_container() as c:
        c.start()
        res = xfer_traced(kscope, c, ["--container", c.id[:6], "--areas", "net"])
        rows = res.of("container_stat")
        assert [r["container"] for r in rows] == [c.id], rows
        (r,) = rows
        assert (r["tcp_tx_bytes"], r["tcp_rx_bytes"]) == (4242 + 77, 4242 + 77), r
        assert (r["cpu_ns"], r["syscalls"], r["page_faults"]) == (0, 0, 0), r


def test_container_by_mount_namespace(kscope):
    """A cgroup whose path names no container, holding processes in their own mount
    namespace: a row of its own, named by that namespace (runtime "namespace"), with
    its TCP bytes exactly; not the host's."""
    rel = f"/kscope-nsgroup-{secrets.token_hex(4)}"
    with fake_container(rel=rel) as c:
        c.start()
        res = xfer_traced(kscope, c, ["--areas", "net"])
        mnt = c.ns("mnt")
    rows = rows_by_container(res)
    r = rows[f"mnt:{mnt}"]
    assert (r["runtime"], r["mntns"], r["cgroup"]) == ("namespace", mnt, rel), r
    assert (r["tcp_tx_bytes"], r["tcp_rx_bytes"]) == (4242 + 77, 4242 + 77), r


# ---- -C on the rows keyed by cgroup ---------------------------------------------------
#
# Each --by cgroup table, with -C: the rows of a fake docker container's cgroup (a
# FakeContainer: its cgroup in every hierarchy) name it, those of the test's own cgroup
# name none. A shell in our cgroup runs the workload in the container (a child shell
# that joins it, then execs it), then the same itself, outside. Each table's cgroups
# are of its own hierarchy: a task's (v2), a socket's (v2), a request's blkcg (blkio),
# a memory cgroup (memory): on a hybrid host the last two are v1 ones.

def inside_then_outside(c, inside, outside):
    """sh: inside run in container c (all its cgroups), then outside in ours."""
    join = "".join(f'echo $$ > "{f}"; ' for f in c.procs_files())
    inner = ["sh", "-c", join + 'exec "$@"', "sh", *inside]
    return ["sh", "-c", shlex.join(inner) + " && exec " + shlex.join(outside)]


def own_and_container_ids(c, hierarchy):
    """The cgroup ids, in a table's hierarchy (None: a task's), of ours and of c's."""
    if hierarchy is None:
        root = cgroup2_mount()
        return cgroup_id_of(), os.stat(root + c.rel).st_ino
    ctl = {"blkio": c.blk, "memory": c.mem}[hierarchy]
    return ctl.id_of(ctl.effective(ctl.cgroup_of())), ctl.id_of(c.rel)


SYS_CALLS = os.path.join(WORKLOADS, "sys_calls")
BY_CGROUP = {
    # command: its arguments, row type, hierarchy, workload (in the test's tmp dir, loop)
    "syscall": ([], "syscall_stat", None,
                lambda d, loop, tag: [SYS_CALLS, os.path.join(d, f"info-{tag}"), "30", "12"]),
    "fileio": ([], "fileio_cgroup_stat", None,
               lambda d, loop, tag: ["dd", "if=/dev/zero", f"of={os.path.join(d, tag)}",
                                     "bs=1000", "count=7"]),
    "sched": ([], "sched_cgroup", None,
              lambda d, loop, tag: ["dd", "if=/dev/zero", "of=/dev/null", "count=20000"]),
    "net": ([], "net_cgroup_stat", None,
            lambda d, loop, tag: ["/usr/bin/python3", "-c", XFER]),
    "diskio": ([], "diskio_stat", "blkio",
               lambda d, loop, tag: ["dd", "if=/dev/zero", f"of={loop.path}", "bs=4096",
                                     "count=5", "oflag=direct",
                                     f"seek={0 if tag == 'in' else 64}"]),
    "memory": ([], "memory_stat", "memory",
               lambda d, loop, tag: [FAULTER, "touch", f"{BASE:x}", "300"]),
    "security": (["--summary", "--kind", "cap", "--denied"], "security_stat", None,
                 lambda d, loop, tag: ["/usr/bin/python3", "-c", DENY3]),
}


@pytest.mark.parametrize("command", list(BY_CGROUP))
def test_by_cgroup_rows_name_the_container(kscope, command):
    args, kind, hierarchy, work = BY_CGROUP[command]
    with contextlib.ExitStack() as stack:
        loop = stack.enter_context(tmpfs_loop()) if command == "diskio" else None
        c = stack.enter_context(fake_container())
        own, ctr = own_and_container_ids(c, hierarchy)
        assert own != ctr
        d = kscope.tmpdir
        res = kscope.command(command).run(
            [*args, "--by", "cgroup", "-C"],
            program=inside_then_outside(c, work(d, loop, "in"), work(d, loop, "out")))
    assert res.rc == 0, res
    rows = res.of(kind)
    assert all("container" in r and "container_runtime" in r for r in rows), rows
    ours = [r for r in rows if r["cgroup_id"] == own]
    theirs = [r for r in rows if r["cgroup_id"] == ctr]
    assert ours and theirs, (own, ctr, rows)
    assert {(r["container"], r["container_runtime"], r["cgroup"]) for r in theirs} == \
        {(c.id, "docker", c.rel)}, theirs
    assert {(r["container"], r["container_runtime"]) for r in ours} == {(None, None)}, ours


def test_by_cgroup_table_shows_the_short_id(kscope):
    """The text table: a CONTAINER column after CGROUP, the id as docker ps shortens it
    ("-" for none); without -C neither the column nor the JSON keys."""
    with fake_container() as c:
        work = [SYS_CALLS, os.path.join(kscope.tmpdir, "info"), "30", "12"]
        sys = kscope.command("syscall")
        res = sys.run(["--by", "cgroup", "-C"], program=inside_then_outside(c, work, work),
                      json_mode=False)
        plain = sys.run(["--by", "cgroup"], program=inside_then_outside(c, work, work))
    assert res.rc == 0 and plain.rc == 0, (res, plain)
    lines = res.events.splitlines()
    head = [line for line in lines if line.startswith("CGROUP")][0]
    assert head.split()[:3] == ["CGROUP", "CONTAINER", "SYSCALL"], head
    # a cgroup's path may be wider than its column: the cells by their order
    shown = {line.split()[0]: line.split()[1] for line in lines if line[:1] == "/"}
    assert shown[c.rel] == c.id[:12], lines
    assert set(shown.values()) == {c.id[:12], "-"}, lines
    assert plain.of("syscall_stat"), plain
    assert all("container" not in r for r in plain.rows), plain.rows

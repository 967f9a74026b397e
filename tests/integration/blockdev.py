# SPDX-License-Identifier: GPL-2.0
"""
Block devices and block cgroups for kscope diskio's tests (test_diskio.py),
made with system calls only: the VM matrix's arm64 userland has no mount(8)
and no losetup(8) (util-linux's "mount" package), so loop devices are set up
with the loop ioctls and tmpfs is mounted with mount(2), as test_output.py
does.

  loop_device(dir, size)       a loop device on a new sparse file in dir: a Loop
                               (.name "loop3", .path, .major, .minor, .spec "7:3");
                               detached and the file removed on exit
  scheduler(loop, name)        the device's I/O scheduler set, the old one restored
  queue_setting(loop, k, v)    a queue/ attribute (max_sectors_kb) set, then restored
  tmpfs(dir, size)             a tmpfs of that size mounted on dir, unmounted on exit
  blk_controller()             where this system's block cgroup controller is: v1
                               blkio (a hybrid host), or v2 io (pure cgroup2)
  blk_cgroup(prefix)           a new child cgroup of that controller's root, where
                               the io controller is on (v2: the root's
                               cgroup.subtree_control gets +io, taken back after);
                               its processes moved back out and it is removed on exit

A kernel without loop devices or without a block cgroup controller skips the
test with the reason (pytest.skip); anything else that fails is an error.
"""
import contextlib
import ctypes
import errno
import fcntl
import os
import re
import secrets
import stat
import subprocess
import time

import pytest

# linux/loop.h
LOOP_SET_FD = 0x4C00
LOOP_CLR_FD = 0x4C01
LOOP_CTL_GET_FREE = 0x4C82
LOOP_CONTROL = "/dev/loop-control"

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p)
_libc.umount2.argtypes = (ctypes.c_char_p, ctypes.c_int)
MNT_DETACH = 2


def read(path):
    with open(path) as f:
        return f.read().strip()


def write(path, value):
    with open(path, "w") as f:
        f.write(value)


def retry_busy(fn, what, timeout=10.0):
    """fn() again while it fails with EBUSY (a task or an opener that just ended
    may keep a device or a cgroup a moment); raises the last error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except OSError as e:
            if e.errno != errno.EBUSY or time.monotonic() > deadline:
                raise OSError(e.errno, f"{what}: {e.strerror}") from None
            time.sleep(0.02)


# ---- loop devices -------------------------------------------------------------------

def loop_support():
    """None when this kernel has loop devices, else why not."""
    if os.path.exists(LOOP_CONTROL):
        return None
    with open("/proc/devices") as f:
        if any(line.split()[1:] == ["loop"] for line in f if line[:1] == " "):
            return None
    return ("this kernel has no loop device support (no /dev/loop-control, no 'loop' in "
            "/proc/devices: CONFIG_BLK_DEV_LOOP off, or the loop module not loaded)")


class Loop:
    """A loop device: its name (loop3), node, dev_t and sysfs directory."""

    def __init__(self, n, node, backing):
        self.n = n
        self.name = f"loop{n}"
        self.path = node
        self.backing = backing
        self.sys = f"/sys/block/{self.name}"
        self.major, self.minor = (int(x) for x in read(f"{self.sys}/dev").split(":"))

    @property
    def spec(self):
        """MAJ:MIN, as --dev takes it."""
        return f"{self.major}:{self.minor}"

    def queue(self, attr):
        return read(f"{self.sys}/queue/{attr}")

    def current_scheduler(self):
        """The scheduler in brackets in queue/scheduler ("none" when the file says only
        "none")."""
        words = self.queue("scheduler").split()
        chosen = [w[1:-1] for w in words if w.startswith("[")]
        return chosen[0] if chosen else words[0]

    def stat(self):
        """The kernel's own counters of completed requests (Documentation/block/stat.rst):
        every request the device completed, failed ones too."""
        f = [int(x) for x in read(f"{self.sys}/stat").split()]
        return {"read_ios": f[0], "read_sectors": f[2], "write_ios": f[4],
                "write_sectors": f[6], "in_flight": f[8]}

    def __repr__(self):
        return f"Loop({self.name} {self.spec} on {self.backing})"


def _loop_node(n, directory):
    """/dev/loopN, or a node made in directory when /dev has none."""
    node = f"/dev/loop{n}"
    dev = read(f"/sys/block/loop{n}/dev")
    major, minor = (int(x) for x in dev.split(":"))
    try:
        st = os.stat(node)
        if stat.S_ISBLK(st.st_mode) and st.st_rdev == os.makedev(major, minor):
            return node
    except FileNotFoundError:
        pass
    node = os.path.join(directory, f"loop{n}.node")
    os.mknod(node, stat.S_IFBLK | 0o600, os.makedev(major, minor))
    return node


@contextlib.contextmanager
def loop_device(directory, size=64 << 20, name=None):
    """A loop device (buffered, no partition scan) on a new sparse file of size bytes
    in directory: what `losetup -f --show FILE` makes."""
    why = loop_support()
    if why:
        pytest.skip(why)
    backing = os.path.join(directory, name or f"disk-{secrets.token_hex(3)}.img")
    with open(backing, "wb") as f:
        f.truncate(size)
    bfd = os.open(backing, os.O_RDWR | os.O_CLOEXEC)
    loop = None
    try:
        for _ in range(100):		# another process may take the free device first
            ctl = os.open(LOOP_CONTROL, os.O_RDWR | os.O_CLOEXEC)
            try:
                n = fcntl.ioctl(ctl, LOOP_CTL_GET_FREE)
            finally:
                os.close(ctl)
            node = _loop_node(n, directory)
            dfd = os.open(node, os.O_RDWR | os.O_CLOEXEC)
            try:
                fcntl.ioctl(dfd, LOOP_SET_FD, bfd)
            except OSError as e:
                if e.errno != errno.EBUSY:
                    raise
                continue
            finally:
                os.close(dfd)
            loop = Loop(n, node, backing)
            break
        else:
            raise AssertionError("no free loop device after 100 tries")
    finally:
        os.close(bfd)
    try:
        yield loop
    finally:
        def detach():
            fd = os.open(loop.path, os.O_RDWR | os.O_CLOEXEC)
            try:
                fcntl.ioctl(fd, LOOP_CLR_FD)
            finally:
                os.close(fd)
        try:
            retry_busy(detach, f"detach {loop.name}")
        except OSError as e:
            if e.errno != errno.ENXIO:		# ENXIO: not bound any more
                raise
        finally:
            if loop.path != f"/dev/{loop.name}":
                os.unlink(loop.path)
            os.unlink(backing)


@contextlib.contextmanager
def queue_setting(loop, attr, value):
    """queue/ATTR of the device set to value, restored after."""
    path = f"{loop.sys}/queue/{attr}"
    old = read(path)
    write(path, str(value))
    try:
        assert read(path) == str(value), f"{path}: {read(path)!r}, not {value!r}"
        yield
    finally:
        write(path, old)


@contextlib.contextmanager
def scheduler(loop, name):
    """The device's I/O scheduler set to name (none, mq-deadline...), the one it had
    restored after."""
    path = f"{loop.sys}/queue/scheduler"
    offered = read(path).replace("[", "").replace("]", "").split()
    assert name in offered, f"{loop.name}: no I/O scheduler {name!r} here ({offered})"
    old = loop.current_scheduler()
    write(path, name)
    try:
        assert loop.current_scheduler() == name, read(path)
        yield
    finally:
        write(path, old)


# ---- the kernel's own record of a device's requests ---------------------------------

TRACEFS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")
RQ_EVENTS = ("block_rq_insert", "block_rq_issue", "block_rq_complete")
# "7,3 WS 4096 () 8192 + 8 none,0,0 [dd]" (issue, insert), "7,3 WS () 8192 + 8 [-28]"
# (complete; 6.10+ print the priority before the last field)
_RQ_LINE = re.compile(r"\s(block_rq_\w+): (\d+),(\d+) (\S+) (?:\d+ )?\(.*?\) (\d+) \+ (\d+)"
                      r".*\[([^]]*)\]\s*$")


def tracefs():
    """Where tracefs is mounted (mounted at /sys/kernel/tracing if nowhere yet)."""
    for d in TRACEFS:
        if os.path.isdir(os.path.join(d, "instances")):
            return d
    d = TRACEFS[0]
    if _libc.mount(b"nodev", d.encode(), b"tracefs", 0, None):
        e = ctypes.get_errno()
        raise OSError(e, f"mount tracefs on {d}: {os.strerror(e)}")
    return d


class BlockTrace:
    """
    ftrace's record of one device's block_rq_insert, _issue and _complete, in a
    tracefs instance of its own (its own buffer, filtered on the device: nobody
    else's tracing is touched): what the kernel itself did, independently of
    kscope, for what differs between kernels (6.1 puts a plugged write on the
    software queues, block_rq_insert, even without a scheduler; its loop driver
    fails a request with EIO where 6.18's says ENOSPC).

        with BlockTrace(loop) as kt:
            ...
            recs = kt.records()     # [{"event", "rwbs", "sector", "nr_sector", "last"}]
    "last": the task's comm for insert and issue, the error (an int) for complete.
    """

    def __init__(self, loop):
        self.loop = loop
        self.dir = None

    def __enter__(self):
        self.dir = os.path.join(tracefs(), "instances",
                                f"kscope_diskio_{os.getpid()}_{secrets.token_hex(3)}")
        os.mkdir(self.dir)
        try:
            dev = (self.loop.major << 20) | self.loop.minor
            for ev in RQ_EVENTS:
                write(os.path.join(self.dir, "events", "block", ev, "filter"), f"dev == {dev}")
                write(os.path.join(self.dir, "events", "block", ev, "enable"), "1")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def records(self):
        out = []
        with open(os.path.join(self.dir, "trace")) as f:
            for line in f:
                if line.startswith("#"):
                    continue
                m = _RQ_LINE.search(line)
                assert m, f"an ftrace line not understood: {line!r}"
                ev, major, minor, rwbs, sector, nr, last = m.groups()
                assert (int(major), int(minor)) == (self.loop.major, self.loop.minor), line
                out.append({"event": ev, "rwbs": rwbs, "sector": int(sector),
                            "nr_sector": int(nr),
                            "last": int(last) if ev == "block_rq_complete" else last})
        return out

    def __exit__(self, *exc):
        if self.dir and os.path.isdir(self.dir):
            try:
                write(os.path.join(self.dir, "tracing_on"), "0")
            finally:
                retry_busy(lambda: os.rmdir(self.dir), f"rmdir {self.dir}")


# ---- tmpfs --------------------------------------------------------------------------

@contextlib.contextmanager
def tmpfs(directory, size):
    """A tmpfs of size (mount's size=: "4M") on directory (made if need be)."""
    os.makedirs(directory, exist_ok=True)
    if _libc.mount(b"tmpfs", directory.encode(), b"tmpfs", 0, f"size={size}".encode()):
        e = ctypes.get_errno()
        raise OSError(e, f"mount tmpfs size={size} on {directory}: {os.strerror(e)}")
    try:
        yield directory
    finally:
        def umount():
            if _libc.umount2(directory.encode(), 0):
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e))
        try:
            retry_busy(umount, f"umount {directory}")
        except OSError:
            _libc.umount2(directory.encode(), MNT_DETACH)
            raise


# ---- block cgroups ------------------------------------------------------------------

class BlkController:
    """Where the block cgroup controller is: version 1 (blkio) or 2 (io), the mount
    point of its hierarchy, and this process's cgroup there (a path below it)."""

    def __init__(self, version, mount, own):
        self.version, self.mount, self.own = version, mount, own

    def dir(self, rel):
        return self.mount + (rel if rel != "/" else "")

    def cgroup_of(self, pid="self"):
        """A process's cgroup in this hierarchy (a path below its mount point)."""
        with open(f"/proc/{pid}/cgroup") as f:
            for line in f:
                hid, ctrls, path = line.rstrip("\n").split(":", 2)
                if self.version == 1 and "blkio" in ctrls.split(","):
                    return path
                if self.version == 2 and hid == "0" and ctrls == "":
                    return path
        raise AssertionError(f"/proc/{pid}/cgroup: no {self}")

    def effective(self, rel):
        """The cgroup whose controller state a task in rel uses: rel itself on v1; on
        v2 the nearest of rel and its ancestors whose parent has io in its
        cgroup.subtree_control (the root at the latest)."""
        if self.version == 1:
            return rel
        while rel != "/":
            parent = os.path.dirname(rel)
            if "io" in read(os.path.join(self.dir(parent), "cgroup.subtree_control")).split():
                return rel
            rel = parent
        return rel

    def id_of(self, rel):
        """A cgroup's id: its directory's inode number (the root's is 1)."""
        return os.stat(self.dir(rel)).st_ino

    def __repr__(self):
        return f"BlkController(v{self.version} at {self.mount}, own {self.own})"


def _mounts():
    """(fstype, mount point, root within the filesystem, super options) per mount."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            out.append((fields[sep + 1], fields[4], fields[3], fields[sep + 3].split(",")))
    return out


def blk_controller(required=True):
    """This system's block cgroup controller: v1 blkio where /proc/self/cgroup has a
    blkio hierarchy (a v1 or hybrid host), else v2 io where the cgroup2 root offers
    it (cgroup.controllers). When the kernel has neither: the test is skipped, or
    None when not required."""
    with open("/proc/self/cgroup") as f:
        lines = [line.rstrip("\n").split(":", 2) for line in f]
    for hid, ctrls, path in lines:
        if hid != "0" and "blkio" in ctrls.split(","):
            mounts = [(mp, root) for fs, mp, root, opts in _mounts()
                      if fs == "cgroup" and "blkio" in opts]
            assert mounts, "/proc/self/cgroup names a blkio hierarchy that is not mounted"
            mp, root = mounts[0]
            assert root == "/", f"the blkio hierarchy is mounted from {root}, not its root"
            return BlkController(1, mp, path)
    v2 = [(mp, root) for fs, mp, root, _ in _mounts() if fs == "cgroup2"]
    own = [path for hid, ctrls, path in lines if hid == "0" and ctrls == ""]
    if v2 and own:
        mp, root = v2[0]
        assert root == "/", f"cgroup2 is mounted from {root}, not its root"
        if "io" in read(os.path.join(mp, "cgroup.controllers")).split():
            return BlkController(2, mp, own[0])
    if not required:
        return None
    pytest.skip("no block cgroup controller: no blkio hierarchy (v1) in /proc/self/cgroup and "
                "no 'io' in the cgroup2 root's cgroup.controllers (CONFIG_BLK_CGROUP off?)")


class BlkCgroup:
    """A child cgroup of the block controller's root: .name, .rel ("/NAME", the path
    kscope reports), .path (its directory), .id (its cgroup id: the directory's inode)."""

    def __init__(self, ctl, name):
        self.ctl = ctl
        self.name = name
        self.rel = "/" + name
        self.path = os.path.join(ctl.mount, name)

    @property
    def id(self):
        return os.stat(self.path).st_ino

    def argv(self, cmd):
        """cmd run inside this cgroup: a shell that moves itself there, then execs cmd
        (so the pid the caller gets is cmd's)."""
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"',
                os.path.join(self.path, "cgroup.procs"), *cmd]

    def procs(self):
        return [int(x) for x in read(os.path.join(self.path, "cgroup.procs")).split()]

    def io_stat(self, major, minor):
        """v2 only: this cgroup's io.stat line for a device, as a dict (rbytes, wbytes,
        rios, wios...), {} when it has none."""
        for line in read(os.path.join(self.path, "io.stat")).splitlines():
            dev, *kv = line.split()
            if dev == f"{major}:{minor}":
                return {k: int(v) for k, v in (x.split("=", 1) for x in kv)}
        return {}


@contextlib.contextmanager
def blk_cgroup(prefix="kscope_io"):
    """A new child cgroup at the root of the block controller's hierarchy, with the
    controller on (v2: +io in the root's cgroup.subtree_control, taken back after
    when this turned it on); removed after, its processes moved back to ours."""
    ctl = blk_controller()
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    turned_on = None
    if ctl.version == 2:
        sc = os.path.join(ctl.mount, "cgroup.subtree_control")
        if "io" not in read(sc).split():
            write(sc, "+io")
            turned_on = sc
    cg = BlkCgroup(ctl, name)
    os.mkdir(cg.path)
    try:
        if ctl.version == 2:
            assert "io" in read(os.path.join(cg.path, "cgroup.controllers")).split(), \
                f"{cg.path}: no io controller"
        yield cg
    finally:
        home = os.path.join(ctl.dir(ctl.own), "cgroup.procs")
        try:
            for pid in cg.procs():
                try:
                    write(home, str(pid))
                except OSError:
                    pass
        finally:
            retry_busy(lambda: os.rmdir(cg.path), f"rmdir {cg.path}")
            if turned_on:
                try:
                    write(turned_on, "-io")
                except OSError:
                    pass	# another child turned it on for its own subtree since


# ---- workloads ----------------------------------------------------------------------

def dd(ops, wrap=None):
    """dd KEY=VALUE... (ops, a dict), run to its end: (pid, exit status, stderr).
    wrap: what makes its command line (BlkCgroup.argv: a shell that execs dd, so the
    pid is dd's all the same)."""
    cmd = ["dd", *(f"{k}={v}" for k, v in ops.items())]
    p = subprocess.Popen(wrap(cmd) if wrap else cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = p.communicate(timeout=120)
    return p.pid, p.returncode, err.decode("utf-8", "replace")

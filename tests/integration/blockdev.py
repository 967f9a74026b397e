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

import cgroups

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


from cgroups import read, retry_busy, write  # noqa: E402  (shared with other tests)


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

def blk_controller(required=True):
    """This system's block cgroup controller: v1 blkio, else v2 io (cgroups.py)."""
    return cgroups.controller("blkio", "io", required)


def blk_cgroup(prefix="kscope_io"):
    """A new child cgroup of the block controller's root (cgroups.child)."""
    return cgroups.child("blkio", "io", prefix)


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

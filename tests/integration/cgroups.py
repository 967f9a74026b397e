# SPDX-License-Identifier: GPL-2.0
"""
cgroup controllers for the tests, on v1, v2 and hybrid hosts alike:

  controller(v1, v2)           where this system has a controller: its v1 hierarchy
                               (named v1: blkio, memory) where /proc/self/cgroup has
                               one (a v1 or hybrid host), else cgroup2 (named v2: io,
                               memory) where its root offers it
  child(v1, v2, prefix)        a new child cgroup of that hierarchy's root with the
                               controller on (v2: the root's cgroup.subtree_control
                               gets +NAME, taken back after); its processes moved
                               back out and it is removed on exit

A kernel without the controller skips the test with the reason (pytest.skip).
"""
import contextlib
import errno
import os
import secrets
import time

import pytest


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


class Controller:
    """Where a cgroup controller is: version 1 (its v1 name: blkio, memory) or 2 (its
    v2 name: io, memory), the mount point of its hierarchy, and this process's cgroup
    there (a path below it)."""

    def __init__(self, version, mount, own, v1, v2):
        self.version, self.mount, self.own = version, mount, own
        self.v1, self.v2 = v1, v2

    def dir(self, rel):
        return self.mount + (rel if rel != "/" else "")

    def cgroup_of(self, pid="self"):
        """A process's cgroup in this hierarchy (a path below its mount point)."""
        with open(f"/proc/{pid}/cgroup") as f:
            for line in f:
                hid, ctrls, path = line.rstrip("\n").split(":", 2)
                if self.version == 1 and self.v1 in ctrls.split(","):
                    return path
                if self.version == 2 and hid == "0" and ctrls == "":
                    return path
        raise AssertionError(f"/proc/{pid}/cgroup: no {self}")

    def effective(self, rel):
        """The cgroup whose controller state a task in rel uses: rel itself on v1; on
        v2 the nearest of rel and its ancestors whose parent has the controller in its
        cgroup.subtree_control (the root at the latest)."""
        if self.version == 1:
            return rel
        while rel != "/":
            parent = os.path.dirname(rel)
            if self.v2 in read(os.path.join(self.dir(parent), "cgroup.subtree_control")).split():
                return rel
            rel = parent
        return rel

    def id_of(self, rel):
        """A cgroup's id: its directory's inode number (the root's is 1)."""
        return os.stat(self.dir(rel)).st_ino

    def __repr__(self):
        return f"Controller({self.v1}/{self.v2}: v{self.version} at {self.mount}, own {self.own})"


def _mounts():
    """(fstype, mount point, root within the filesystem, super options) per mount."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            out.append((fields[sep + 1], fields[4], fields[3], fields[sep + 3].split(",")))
    return out


def controller(v1, v2, required=True):
    """Where this system has a cgroup controller: v1 (named v1) where /proc/self/cgroup
    has its hierarchy (a v1 or hybrid host), else v2 (named v2) where the cgroup2 root
    offers it (cgroup.controllers). When the kernel has neither: the test is skipped,
    or None when not required."""
    with open("/proc/self/cgroup") as f:
        lines = [line.rstrip("\n").split(":", 2) for line in f]
    for hid, ctrls, path in lines:
        if hid != "0" and v1 in ctrls.split(","):
            mounts = [(mp, root) for fs, mp, root, opts in _mounts()
                      if fs == "cgroup" and v1 in opts]
            assert mounts, f"/proc/self/cgroup names a {v1} hierarchy that is not mounted"
            mp, root = mounts[0]
            assert root == "/", f"the {v1} hierarchy is mounted from {root}, not its root"
            return Controller(1, mp, path, v1, v2)
    unified = [(mp, root) for fs, mp, root, _ in _mounts() if fs == "cgroup2"]
    own = [path for hid, ctrls, path in lines if hid == "0" and ctrls == ""]
    if unified and own:
        mp, root = unified[0]
        assert root == "/", f"cgroup2 is mounted from {root}, not its root"
        if v2 in read(os.path.join(mp, "cgroup.controllers")).split():
            return Controller(2, mp, own[0], v1, v2)
    if not required:
        return None
    pytest.skip(f"no {v1}/{v2} cgroup controller: no {v1} hierarchy (v1) in /proc/self/cgroup "
                f"and no '{v2}' in the cgroup2 root's cgroup.controllers")


class Cgroup:
    """A child cgroup of a controller's root: .name, .rel ("/NAME", the path kscope
    reports), .path (its directory), .id (its cgroup id: the directory's inode)."""

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
def child(v1, v2, prefix):
    """A new child cgroup at the root of a controller's hierarchy, with the controller
    on (v2: +NAME in the root's cgroup.subtree_control, taken back after when this
    turned it on); removed after, its processes moved back to ours."""
    ctl = controller(v1, v2)
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    turned_on = None
    if ctl.version == 2:
        sc = os.path.join(ctl.mount, "cgroup.subtree_control")
        if v2 not in read(sc).split():
            write(sc, "+" + v2)
            turned_on = sc
    cg = Cgroup(ctl, name)
    os.mkdir(cg.path)
    try:
        if ctl.version == 2:
            assert v2 in read(os.path.join(cg.path, "cgroup.controllers")).split(), \
                f"{cg.path}: no {v2} controller"
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
                    write(turned_on, "-" + v2)
                except OSError:
                    pass	# another child turned it on for its own subtree since

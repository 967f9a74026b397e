# SPDX-License-Identifier: GPL-2.0
"""
`kscope fileio` under churn: the kernel maps hold what is open now, not what
a burst of short opens or a crowd of exited processes left behind.

The workload (DRIVER below, run by kscope as `-- PROGRAM`, so nothing else
on the machine reaches the maps) opens, writes and closes BURST files
faster than kscope collects: before, every closed file kept its stats
entry until userspace had seen it closed twice (one to two seconds), so
such a burst overflowed the 16384-entry stats map, and every call on a
file opened after that went uncounted (`lost` records, reason `map_full`).
Then it forks children that write two files each and exit without closing
them (their fds map entries must go once they exited), and holds three
files open with writes on them. While it holds them, the test reads the
maps by id: exactly its three descriptors and their three stats entries
are left. Every count is exact.
"""
import json
import os
import struct
import subprocess
import sys
import time

from conftest import TIMEOUT, bpf_objects, wait_for_file

BURST = 40000       # short opens, more than the stats map's 16384 entries
PATHS = 50          # the burst's files: open k is of path k % PATHS
KIDS = 300          # children exiting with two files open each
HELD = 3
BLOCK = 100

DRIVER = r"""
import os, sys, time
d, burst, paths, kids, held_n, block = sys.argv[1], *map(int, sys.argv[2:7])
W = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
# a burst of open + 1..3 writes + close
for k in range(burst):
    fd = os.open("%s/b%d" % (d, k % paths), W, 0o644)
    for _ in range(1 + k % 3):
        os.write(fd, b"w" * block)
    os.close(fd)
# children that exit without closing their files
pids = []
for c in range(kids):
    pid = os.fork()
    if pid == 0:
        a = os.open("%s/k%d" % (d, c), W, 0o644)
        os.write(a, b"k" * (c % 7 + 1))
        b = os.open("%s/k%d.b" % (d, c), W, 0o644)
        os.write(b, b"kk")
        os.write(b, b"kk")
        os._exit(0)
    pids.append(pid)
for p in pids:
    os.waitpid(p, 0)
# files held open, written once now and once more after the test looked
held = []
for h in range(held_n):
    fd = os.open("%s/held%d" % (d, h), W, 0o644)
    os.write(fd, b"h" * 10 * (h + 1))
    held.append(fd)
with open(d + "/ready.tmp", "w") as f:
    f.write(json.dumps({"pid": os.getpid(), "held": held, "kids": pids}))
os.rename(d + "/ready.tmp", d + "/ready")
# until the test says go (or kscope, our parent, is gone: a failed test)
while not os.path.exists(d + "/go") and os.getppid() != 1:
    time.sleep(0.01)
for fd in held:
    os.write(fd, b"h")
    os.close(fd)
""".replace("import os, sys, time", "import json, os, sys, time")


def map_ids(pid):
    """{name: id} of the BPF maps process pid holds."""
    ids = {}
    for mid in bpf_objects(pid)["map"]:
        p = subprocess.run(["bpftool", "-j", "map", "show", "id", str(mid)],
                           capture_output=True, timeout=TIMEOUT)
        if p.returncode == 0:
            ids[json.loads(p.stdout)["name"]] = mid
    return ids


def dump(mid):
    """[(key bytes, value bytes)] of a map (kscope's objects carry no BTF: raw bytes)."""
    p = subprocess.run(["bpftool", "-j", "map", "dump", "id", str(mid)],
                       capture_output=True, timeout=TIMEOUT)
    assert p.returncode == 0, p
    # an entry kscope deleted between bpftool's key walk and its look-up comes
    # as {"key": [...], "value": {"error": ...}}: gone, so not in the map
    return [(bytes(int(b, 16) for b in e["key"]), bytes(int(b, 16) for b in e["value"]))
            for e in json.loads(p.stdout or b"[]") if isinstance(e.get("value"), list)]


def fds_keys(mid):
    """fds: {(pid, fd)}"""
    return {struct.unpack_from("<Ii", k) for k, _ in dump(mid)}


def stats_entries(mid):
    """stats: [(pid, writes, write_bytes, inflight)]; struct fio_stat: reads, writes,
    read_bytes, write_bytes and five more sums, id, pid, two bytes, path_len, inflight"""
    out = []
    for k, v in dump(mid):
        (pid,) = struct.unpack_from("<I", k)
        writes, _, write_bytes = struct.unpack_from("<QQQ", v, 8)
        (inflight,) = struct.unpack_from("<I", v, 88)
        out.append((pid, writes, write_bytes, inflight))
    return sorted(out)


def test_churn_maps_bounded_and_counts_exact(kscope, tmp_path):
    d = str(tmp_path / "files")
    os.mkdir(d)
    driver = str(tmp_path / "driver.py")
    with open(driver, "w") as f:
        f.write(DRIVER)
    k = kscope.command("fileio").start([], program=[sys.executable, driver, d, str(BURST),
                                                    str(PATHS), str(KIDS), str(HELD),
                                                    str(BLOCK)])
    try:
        wait_for_file(os.path.join(d, "ready"), k.proc)
        with open(os.path.join(d, "ready")) as f:
            info = json.load(f)
        me = info["pid"]
        ids = map_ids(k.pid)
        # the children are gone: their entries go within about a second; what is
        # left is exactly the driver's three open files and their sums
        want_fds = {(me, fd) for fd in info["held"]}
        want_stats = [(me, 1, 10 * (h + 1), 0) for h in range(HELD)]
        # (a guard only: kscope checks for exited processes every second)
        deadline = time.monotonic() + 30
        while True:
            have_fds, have_stats = fds_keys(ids["fds"]), stats_entries(ids["stats"])
            if have_fds == want_fds and have_stats == want_stats:
                break
            assert time.monotonic() < deadline, (
                "maps not back to the open files: fds %d entries (%d of children), "
                "stats %d: %r" % (len(have_fds), sum(1 for p, _ in have_fds if p != me),
                                  len(have_stats), have_stats[:10]))
            time.sleep(0.1)
        open(os.path.join(d, "go"), "w").close()
        res = k.wait()
    finally:
        open(os.path.join(d, "go"), "a").close()    # the driver never outlives the test
        k.kill()
    err = res.stderr
    assert res.rc == 0, err
    assert err == "", err
    rows = res.rows
    assert [r for r in rows if r["type"] == "lost"] == []
    stat = {(r["pid"], r["path"]): r for r in rows if r["type"] == "file_stat"}

    def check(pid, path, writes, nbytes):
        r = stat.get((pid, path))
        assert r is not None, (pid, path)
        got = {f: r[f] for f in ("reads", "writes", "write_bytes", "fsyncs", "errors",
                                 "processes")}
        assert got == {"reads": 0, "writes": writes, "write_bytes": nbytes, "fsyncs": 0,
                       "errors": 0, "processes": 1}, (path, r)

    # the burst: path j had the opens k = j, j + PATHS, ..., each with 1 + k % 3 writes
    for j in range(PATHS):
        writes = sum(1 + kk % 3 for kk in range(j, BURST, PATHS))
        check(me, "%s/b%d" % (d, j), writes, writes * BLOCK)
    for c, pid in enumerate(info["kids"]):
        check(pid, "%s/k%d" % (d, c), 1, c % 7 + 1)
        check(pid, "%s/k%d.b" % (d, c), 2, 4)
    for h in range(HELD):
        check(me, "%s/held%d" % (d, h), 2, 10 * (h + 1) + 1)

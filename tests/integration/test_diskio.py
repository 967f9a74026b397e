# SPDX-License-Identifier: GPL-2.0
"""
`kscope diskio` on the real kernel: block requests the test makes itself on
loop devices of its own (tests/integration/blockdev.py: a loop device on a
sparse file, no partition scan, nothing else opens it), so every number is
known in advance and asserted exactly:

  * 37 O_DIRECT 4 KiB writes and 5 O_DIRECT 64 KiB reads with dd: one write
    row of 37 requests and 151552 bytes, sync, and one read row of 5 and
    327680, no errors, for the device's name, major and minor; with --by
    process the rows carry each dd's pid; the sequential/random split; on
    every hook path this kernel can take, -v naming the hook of each probe
    (io-start only where the kernel has block_io_start, 6.5+); the text table;
  * the I/O scheduler: with mq-deadline, 100 writes have a queue time each
    (queue_count 100) and queue + device == total, per request (--events)
    and on average; with none, no queue time (queue_* null) and device ==
    total; the events' sectors are the dd's, in order;
  * errors: a loop device on a file in a 4 MiB tmpfs, 8 MiB written in 1 MiB
    O_DIRECT writes: dd stops at the fifth, whose requests all fail, counted
    by errno name; their number follows from queue/max_sectors_kb (set to
    256: every 1 MiB write is exactly 4 requests);
  * --by cgroup: 37 writes from a child cgroup of the block controller (v1
    blkio on a hybrid host, v2 io where only cgroup2 is mounted) and 11 from
    the test's own: the child's row is exactly its 37, named by its path;
  * --hist: one latency histogram holding every request; -D: one per device;
    --hist queue (mq-deadline) and total; --sizes: 37 in [4, 7] KiB and 5 in
    [64, 127] KiB;
  * every record's fields, in the contract's order;
  * bad input exits 2 with one line; nothing is left attached after SIGINT.

The kernel's own account, independent of kscope, is read around every
workload: the device's counters (/sys/block/NAME/stat: it completed exactly
the workload's requests, nothing else), and, where kernels differ, ftrace's
record of the device's block_rq_* tracepoints in a tracefs instance of the
test's own (blockdev.BlockTrace): which requests were put on a queue (6.1
puts a plugged O_DIRECT write on the software queues even without a
scheduler: blkdev_write_iter plugs, dd's sleep flushes the plug; 6.18 issues
it directly) and the error each failed one got (the backing tmpfs's ENOSPC;
6.1's loop driver turns it into EIO). No test asserts a duration: latencies
are checked for presence, consistency and order only.
"""
import contextlib
import errno
import os
import signal

import pytest

import blockdev
import hooks
from conftest import (HOOK_VARIANTS, bpf_objects, cgroup_id_of, check_gone, check_usage_error)

KIB, MIB = 1 << 10, 1 << 20
SECTOR = 512

# The fields, in their order (docs/json.md, kscope diskio)
STAT_HEAD = ("type", "ts_ns", "interval_ns")
STAT_TAIL = ("device", "major", "minor", "scheduler", "op", "sync", "requests", "bytes",
             "errors", "errnos", "queue_count", "queue_avg_ns", "queue_p50_ns", "queue_p99_ns",
             "queue_max_ns", "device_count", "device_avg_ns", "device_p50_ns", "device_p99_ns",
             "device_max_ns", "total_count", "total_avg_ns", "total_p50_ns", "total_p99_ns",
             "total_max_ns", "sequential", "random")
BY_FIELDS = {"device": (), "process": ("pid", "comm"), "cgroup": ("cgroup_id", "cgroup")}
EVENT_FIELDS = ("type", "ts_ns", "pid", "tid", "ppid", "uid", "comm", "cgroup_id", "cpu",
                "device", "major", "minor", "op", "sync", "rwbs", "sector", "bytes", "queue_ns",
                "device_ns", "total_ns", "error", "blkcg_id")
QUEUE_STATS = ("queue_avg_ns", "queue_p50_ns", "queue_p99_ns", "queue_max_ns")
DEVICE_STATS = ("device_avg_ns", "device_p50_ns", "device_p99_ns", "device_max_ns")

# kscope diskio's probes and their tracepoints (block_io_start: 6.5+, best effort)
PROBES = {"io-start": "block_io_start", "insert": "block_rq_insert",
          "issue": "block_rq_issue", "complete": "block_rq_complete",
          "merge": "block_rq_merge"}
# best effort probes: no hook where the kernel lacks the tracepoint
BEST = {"io-start", "merge"}

# The workloads' places on the shared device, in 4 KiB blocks (dd seek=) or 64 KiB
# blocks (dd skip=): apart, so that no test's first request follows another's last
WRITES_AT = {"counts": 1024, "sched": 4096, "cgroup": 8192, "cgroup_mine": 9216,
             "hist": 10240, "fields": 12288, "sigint": 13312}
READS_AT = {"counts": 128, "hist": 192}


def stat_fields(by="device"):
    return STAT_HEAD + BY_FIELDS[by] + STAT_TAIL


# ---- the device and its workloads ----------------------------------------------------

@pytest.fixture(scope="module")
def disk(tmp_path_factory):
    """One loop device for the module (64 MiB, scheduler none, requests of at most
    256 KiB); every test filters on it (--dev), and a test that changes its
    scheduler puts it back."""
    d = str(tmp_path_factory.mktemp("diskio"))
    with blockdev.loop_device(d) as loop, blockdev.scheduler(loop, "none"), \
            blockdev.queue_setting(loop, "max_sectors_kb", 256):
        yield loop


def write4k(loop, count, seek, wrap=None):
    """count O_DIRECT writes of 4 KiB at block seek: dd's pid (wrap: see blockdev.dd)."""
    pid, rc, err = blockdev.dd({"if": "/dev/zero", "of": loop.path, "bs": 4096, "count": count,
                                "seek": seek, "oflag": "direct"}, wrap)
    assert rc == 0 and f"\n{count}+0 records out" in "\n" + err, err
    return pid


def read64k(loop, count, skip):
    """count O_DIRECT reads of 64 KiB at 64 KiB block skip: dd's pid."""
    pid, rc, err = blockdev.dd({"if": loop.path, "of": "/dev/null", "bs": 65536,
                                "count": count, "skip": skip, "iflag": "direct"})
    assert rc == 0 and f"\n{count}+0 records in" in "\n" + err, err
    return pid


def device_did(loop, before, **want):
    """The kernel's own counters (/sys/block/NAME/stat) moved by exactly want since
    before: the device completed exactly the workload's requests and nothing else."""
    after = loop.stat()
    got = {k: after[k] - before[k] for k in ("read_ios", "read_sectors", "write_ios",
                                             "write_sectors")}
    want = {k: want.get(k, 0) for k in got}
    assert got == want, (f"{loop.name} completed other requests than the workload's "
                         f"(something else opened it? udev probing it?): {got} != {want}")


class Kernel:
    """What the kernel itself traced of one device while a test ran (blockdev.BlockTrace):
    the requests it issued, put on a queue (block_rq_insert) and completed, by sector."""

    def __init__(self, recs):
        self.recs = recs

    def sectors(self, event, op, lo=0, hi=1 << 64):
        """The start sectors of the event's records of op ("R", "W") in [lo, hi)."""
        return [r["sector"] for r in self.recs if r["event"] == event and
                r["rwbs"].lstrip("F")[:1] == op and lo <= r["sector"] < hi]

    def issued(self, op, lo=0, hi=1 << 64):
        return self.sectors("block_rq_issue", op, lo, hi)

    def inserted(self, op, lo=0, hi=1 << 64):
        """Sectors of the requests put on a queue before their issue: the I/O scheduler's,
        or (6.1, a plugged write) the software queues even without one."""
        return set(self.sectors("block_rq_insert", op, lo, hi))

    def failed(self):
        """{sector: errno name} of the completions with an error."""
        return {r["sector"]: errno.errorcode[-r["last"]] for r in self.recs
                if r["event"] == "block_rq_complete" and r["last"]}


def traced(kscope, arg_lists, workload, *loops, json_mode=True):
    """`kscope diskio -j -o FILE ARGS` for each ARGS of arg_lists, all at once, each
    started and tracing; then workload(); then each stopped with SIGINT. Meanwhile
    the kernel's own record of each of loops' requests (ftrace).
    (the Results, exit 0 each; what workload returned; a Kernel per loop)."""
    tracers = []
    with contextlib.ExitStack() as stack:
        kts = [stack.enter_context(blockdev.BlockTrace(loop)) for loop in loops]
        try:
            for args in arg_lists:
                tracers.append(kscope.command("diskio").start(args, json_mode=json_mode))
            out = workload()
        finally:
            results = [t.stop(signal.SIGINT) for t in tracers]
        kernel = [Kernel(kt.records()) for kt in kts]
    for r in results:
        assert r.rc == 0, r
    return results, out, kernel


# ---- checks --------------------------------------------------------------------------

def stat_rows(res, loop, by="device"):
    """A run's diskio_stat rows: with the contract's fields (exactly those, in its
    order: test_record_fields), every one of them the device's (--dev)."""
    rows = res.of("diskio_stat")
    for r in rows:
        assert set(stat_fields(by)) <= set(r), (sorted(set(stat_fields(by)) - set(r)), r)
        assert (r["device"], r["major"], r["minor"]) == (loop.name, loop.major, loop.minor), r
        assert r["interval_ns"] > 0 and r["ts_ns"] > 0, r
    return rows


def events(res, loop):
    evs = res.of("diskio")
    for e in evs:
        assert set(EVENT_FIELDS) <= set(e), (sorted(set(EVENT_FIELDS) - set(e)), e)
        assert (e["device"], e["major"], e["minor"]) == (loop.name, loop.major, loop.minor), e
    return evs


def hists(res, name):
    return [h for h in res.of("hist") if h.get("name") == name]


def buckets_of(h):
    """{(low, high): count} of a histogram, its buckets checked (bcc's log2 slots,
    consecutive from 0, adding up to its count)."""
    bk = h["buckets"]
    assert bk and sum(b["count"] for b in bk) == h["count"], h
    for i, b in enumerate(bk):
        assert (b["low"], b["high"]) == ((0, 1) if i == 0 else (1 << i, (1 << (i + 1)) - 1)), h
    return {(b["low"], b["high"]): b["count"] for b in bk}


def check_row(r, *, op, requests, nbytes, sched, queued, sync=True, errors=0, errnos=None):
    """One summary row: its counts exact, queue_count the requests the kernel put on a
    queue (queued); latencies present exactly where the requests had them, and
    consistent (avg <= max; per request total = queue + device)."""
    assert (r["op"], r["sync"], r["scheduler"]) == (op, sync, sched), r
    assert (r["requests"], r["bytes"], r["errors"], r["errnos"]) == \
        (requests, nbytes, errors, errnos or {}), r
    assert r["queue_count"] == queued, (queued, r)
    for k in DEVICE_STATS + ("total_avg_ns", "total_max_ns"):
        assert isinstance(r[k], int) and r[k] > 0, (k, r)
    assert r["device_avg_ns"] <= r["device_max_ns"] and r["total_avg_ns"] <= r["total_max_ns"], r
    if queued:
        for k in QUEUE_STATS:
            assert isinstance(r[k], int) and r[k] >= 0, (k, r)
        assert r["queue_avg_ns"] <= r["queue_max_ns"], r
        # per request total = queue + device, so the sums too: the averages agree
        # within the rounding of three divisions; the largest total is at least
        # either largest part and at most both
        n, q = requests, queued
        assert abs(r["total_avg_ns"] * n - r["queue_avg_ns"] * q - r["device_avg_ns"] * n) \
            <= n + q, r
        assert max(r["queue_max_ns"], r["device_max_ns"]) <= r["total_max_ns"] <= \
            r["queue_max_ns"] + r["device_max_ns"], r
    else:
        # no queue time: "-"/null, never a misleading 0; total is the device time
        assert all(r[k] is None for k in QUEUE_STATS), r
        assert (r["total_avg_ns"], r["total_max_ns"]) == \
            (r["device_avg_ns"], r["device_max_ns"]), r


def check_times(e, inserted):
    """An event's times: a queue time exactly when the kernel put it on a queue, and
    then queue + device == total; else device == total."""
    assert isinstance(e["device_ns"], int) and e["device_ns"] > 0, e
    if e["sector"] in inserted:
        assert isinstance(e["queue_ns"], int) and e["queue_ns"] >= 0, e
        assert e["queue_ns"] + e["device_ns"] == e["total_ns"], e
    else:
        assert e["queue_ns"] is None and e["device_ns"] == e["total_ns"], e


def probe_hooks(stderr):
    """-v's "kscope: probe NAME: HOOK/TARGET [(skipped ...)]" lines: {NAME: HOOK/TARGET}."""
    out = {}
    for line in stderr.splitlines():
        if line.startswith("kscope: probe "):
            name, _, rest = line[len("kscope: probe "):].partition(": ")
            out[name] = rest.split(" ")[0]
    return out


def expected_blkcg():
    """The blkcg id of a process started from here: the id of the cgroup of the
    block controller this process uses; None when the kernel has none."""
    ctl = blockdev.blk_controller(required=False)
    return ctl and ctl.id_of(ctl.effective(ctl.own))


# ---- 1. exact counts, every hook path ------------------------------------------------

@pytest.mark.parametrize("variant", list(HOOK_VARIANTS))
def test_exact_counts(kscope, disk, variant):
    """37 writes of 4 KiB and 5 reads of 64 KiB: one row each, exact, on each hook
    path; --by process: each dd's pid; -v names the hook of each probe (io-start is
    loaded only for what needs a request's owner: --by process, not the default)."""
    opts, hook = HOOK_VARIANTS[variant]
    before = disk.stat()
    (res, byproc), (wpid, rpid), (kern,) = traced(
        kscope, [["-v", *opts, "--dev", disk.name],
                 ["-v", *opts, "--by", "process", "--dev", disk.spec]],
        lambda: (write4k(disk, 37, WRITES_AT["counts"]), read64k(disk, 5, READS_AT["counts"])),
        disk)
    device_did(disk, before, write_ios=37, write_sectors=37 * 8, read_ios=5, read_sectors=5 * 128)

    assert "io-start" not in probe_hooks(res.stderr), res.stderr
    probes = probe_hooks(byproc.stderr)
    for probe, tp in PROBES.items():
        if probe in BEST and not hooks.tracepoint_exists("block", tp):
            # best effort: a kernel before 6.5 has no block_io_start, and no line says
            # a hook for it; requests start at their insert or issue there
            assert probe not in probes, (probes, res.stderr)
            continue
        assert probe in probes, (probe, byproc.stderr)
        got = probes[probe]
        assert got.startswith(hook + "/") and got.endswith(tp) and \
            got[-len(tp) - 1] in "/:", (probe, got, hook, byproc.stderr)

    rows = stat_rows(res, disk)
    assert sorted(r["op"] for r in rows) == ["read", "write"], rows
    (w,) = [r for r in rows if r["op"] == "write"]
    (r,) = [r for r in rows if r["op"] == "read"]
    # without a scheduler the kernel puts no request on a queue (6.18), but 6.1 does
    # with a plugged write (blkdev_write_iter plugs; the plug is flushed to the
    # software queues when dd sleeps): queue_count is what the kernel did
    check_row(w, op="write", requests=37, nbytes=37 * 4096, sched="none",
              queued=len(kern.inserted("W")))
    # O_DIRECT reads: sync as the kernel marks them (rwbs "RS" on 6.1 and 6.18)
    (rsync,) = {"S" in x["rwbs"] for x in kern.recs
                if x["event"] == "block_rq_issue" and x["rwbs"].startswith("R")}
    check_row(r, op="read", requests=5, nbytes=5 * 65536, sched="none",
              queued=len(kern.inserted("R")), sync=rsync)
    # the first request on the device in the run follows nothing: neither sequential
    # nor random; every write after it starts where the one before ended; the first
    # read does not (it is 4 MiB past the writes), the 4 after it do
    assert (w["sequential"], w["random"]) == (36, 0), w
    assert (r["sequential"], r["random"]) == (4, 1), r

    rows = stat_rows(byproc, disk, "process")
    assert sorted((x["op"], x["pid"], x["comm"], x["requests"], x["bytes"]) for x in rows) == \
        [("read", rpid, "dd", 5, 5 * 65536), ("write", wpid, "dd", 37, 37 * 4096)], rows


def test_text_table(kscope, disk):
    """The text table: a row per (device, op, sync), the counts exact, "-" for the
    queue time of a device without a scheduler."""
    (res,), _, (kern,) = traced(
        kscope, [["--dev", disk.name]],
        lambda: (write4k(disk, 37, WRITES_AT["counts"]), read64k(disk, 5, READS_AT["counts"])),
        disk, json_mode=False)
    lines = res.rows.splitlines()
    assert lines[0].split() == ["DEVICE", "OP", "SYNC", "REQS", "BYTES", "ERRS", "Q-AVG", "Q-P50",
                                "Q-P99", "Q-MAX", "D-AVG", "D-P50", "D-P99", "D-MAX", "SEQ(%)",
                                "ERRNOS"], lines
    rows = {ln.split()[1]: ln.split() for ln in lines[1:] if ln.strip()}
    assert sorted(rows) == ["read", "write"], lines
    w, r = rows["write"], rows["read"]
    assert w[:6] == [disk.name, "write", "sync", "37", "148.0KiB", "0"], lines
    assert r[0] == disk.name and r[3:6] == ["5", "320.0KiB", "0"], lines
    for row, op in ((w, "W"), (r, "R")):
        # no queue time: "-" (6.1 queues a plugged write even without a scheduler)
        assert (row[6:10] == ["-"] * 4) == (not kern.inserted(op)), (lines, kern.recs)
        assert "-" not in row[10:14], lines
    # sequential among the requests that follow another: 36 of 36 writes, 4 of 5 reads
    assert (w[14], r[14]) == ("100", "80"), lines
    assert len(w) == len(r) == 15, lines		# no ERRNOS


# ---- 2. queue time: mq-deadline and none ---------------------------------------------

@pytest.mark.parametrize("sched", ["mq-deadline", "none"])
def test_queue_and_device_time(kscope, disk, sched):
    """100 writes: with mq-deadline each is inserted into the scheduler's queue
    (queue_count 100, queue + device == total for each); with none none is (queue
    time null, device == total) where the kernel puts none on a queue (6.18; 6.1
    puts plugged writes on the software queues: queue_count is then the kernel's
    count of them). --events: the 100 requests, the dd's sectors, each's times."""
    seek = WRITES_AT["sched"]
    with blockdev.scheduler(disk, sched):
        before = disk.stat()
        (summary, evres, hq), pid, (kern,) = traced(
            kscope, [["--dev", disk.name], ["--events", "--dev", disk.name],
                     ["--hist", "queue", "--dev", disk.name]],
            lambda: write4k(disk, 100, seek), disk)
        device_did(disk, before, write_ios=100, write_sectors=800)
    inserted = kern.inserted("W")
    if sched == "mq-deadline":
        assert len(inserted) == 100, kern.recs     # the scheduler queues every one
    queued = len(inserted)

    (row,) = stat_rows(summary, disk)
    check_row(row, op="write", requests=100, nbytes=409600, sched=sched, queued=queued)
    assert (row["sequential"], row["random"]) == (99, 0), row

    evs = events(evres, disk)
    assert len(evs) == 100, evres
    assert [e["sector"] for e in evs] == [seek * 8 + 8 * i for i in range(100)], evs
    assert [e["ts_ns"] for e in evs] == sorted(e["ts_ns"] for e in evs), evs
    blkcg, cg = expected_blkcg(), cgroup_id_of()
    for e in evs:
        assert (e["pid"], e["tid"], e["comm"], e["uid"], e["cgroup_id"]) == \
            (pid, pid, "dd", os.getuid(), cg), e
        assert (e["op"], e["sync"], e["bytes"], e["error"]) == ("write", True, 4096, None), e
        assert e["rwbs"][:1] == "W" and "S" in e["rwbs"], e
        if blkcg is not None:
            assert e["blkcg_id"] == blkcg, e
        check_times(e, inserted)
    # (the row's maxima are not compared with the events': two tracers time one
    # request each with its own programs, one after the other at each tracepoint)

    hs = hists(hq, "diskio_latency")
    if queued:
        (h,) = hs
        assert (h["unit"], h["stage"], h["count"]) == ("us", "queue", queued), h
        buckets_of(h)
    else:
        assert all(h["stage"] == "queue" and h["count"] == 0 for h in hs), hs


# ---- 3. errors -----------------------------------------------------------------------

def test_enospc(kscope, tmp_path):
    """A loop device on a 4 MiB tmpfs: 8 O_DIRECT writes of 1 MiB; the fifth fails,
    each of its requests with the errno the kernel gave (ENOSPC; EIO from 6.1's loop
    driver), counted by name."""
    mnt = str(tmp_path / "small")
    with blockdev.tmpfs(mnt, "4M"), blockdev.loop_device(mnt) as loop, \
            blockdev.scheduler(loop, "none"), \
            blockdev.queue_setting(loop, "max_sectors_kb", 256):
        # a 1 MiB write is split into requests of max_sectors_kb: no fewer, since
        # max_segments page-sized segments hold more than that (a buffer whose pages
        # happen to be contiguous gives larger segments, never more requests)
        req = int(loop.queue("max_sectors_kb")) * KIB
        segs = int(loop.queue("max_segments"))
        assert segs * blockdev.PAGE_SIZE >= req, segs
        ok, failed = 4 * MIB // req, -(-MIB // req)
        before = loop.stat()
        (summary, evres), (pid, rc, err), (kern,) = traced(
            kscope, [["--dev", loop.name], ["--events", "--dev", loop.name]],
            lambda: blockdev.dd({"if": "/dev/zero", "of": loop.path, "bs": "1M", "count": 8,
                                 "oflag": "direct"}), loop)
        device_did(loop, before, write_ios=ok + failed, write_sectors=5 * MIB // SECTOR)
    # dd stopped at the fifth write; what it was told is the requests' error
    assert rc == 1 and "\n4+0 records out" in err, err
    names = [errno.errorcode[n] for n in errno.errorcode if f": {os.strerror(n)}\n" in err]
    assert len(names) == 1, err
    (name,) = names
    # ENOSPC from the backing file; the loop driver of older kernels (6.1) turns every
    # error but EOPNOTSUPP into EIO before the block layer sees it
    assert name in ("ENOSPC", "EIO"), err
    # the kernel's completions: the fifth MiB's requests, each failed with it
    assert kern.failed() == {4 * MIB // SECTOR + i * req // SECTOR: name
                             for i in range(failed)}, kern.recs
    inserted = kern.inserted("W")

    (row,) = stat_rows(summary, loop)
    check_row(row, op="write", requests=ok + failed, nbytes=5 * MIB, sched="none",
              queued=len(inserted), errors=failed, errnos={name: failed})
    evs = events(evres, loop)
    assert len(evs) == ok + failed, evs
    bad = [e for e in evs if e["error"] is not None]
    assert [e["error"] for e in bad] == [name] * failed, evs
    assert sorted(e["sector"] for e in bad) == \
        [4 * MIB // SECTOR + i * req // SECTOR for i in range(failed)], bad
    assert sorted(e["sector"] for e in evs if e["error"] is None) == \
        [i * req // SECTOR for i in range(ok)], evs
    assert all(e["bytes"] == req and e["pid"] == pid for e in evs), evs
    for e in evs:
        check_times(e, inserted)


# ---- 4. per cgroup -------------------------------------------------------------------

def test_by_cgroup(kscope, disk):
    """37 writes from a child cgroup of the block controller, 11 from ours: the
    child's row is its 37, named by its path; ours are not in it."""
    with blockdev.blk_cgroup() as cg:
        ctl = cg.ctl
        child_id = cg.id
        mine = ctl.effective(ctl.own)
        mine_id = ctl.id_of(mine)
        before = disk.stat()
        (res, evres), (cpid, mpid), (kern,) = traced(
            kscope, [["--by", "cgroup", "--dev", disk.name], ["--events", "--dev", disk.name]],
            lambda: (write4k(disk, 37, WRITES_AT["cgroup"], wrap=cg.argv),
                     write4k(disk, 11, WRITES_AT["cgroup_mine"])), disk)
        device_did(disk, before, write_ios=48, write_sectors=48 * 8)
        if ctl.version == 2:
            # the kernel's own account of the child (bios; one request each here)
            io = cg.io_stat(disk.major, disk.minor)
            assert (io.get("wios"), io.get("wbytes")) == (37, 37 * 4096), io
    assert child_id != mine_id

    rows = stat_rows(res, disk, "cgroup")
    child = [r for r in rows if r["cgroup_id"] == child_id]
    assert len(child) == 1, (child_id, rows)
    (c,) = child
    assert c["cgroup"] == cg.rel, (cg.rel, c)
    lo = WRITES_AT["cgroup"] * 8
    check_row(c, op="write", requests=37, nbytes=37 * 4096, sched="none",
              queued=len(kern.inserted("W", lo, lo + 37 * 8)))
    others = [r for r in rows if r is not c]
    assert all(r["cgroup"] != cg.rel for r in others), rows
    assert [(r["cgroup_id"], r["cgroup"], r["op"], r["requests"], r["bytes"]) for r in others] \
        == [(mine_id, mine, "write", 11, 11 * 4096)], (mine, mine_id, rows)

    evs = events(evres, disk)
    assert sorted((e["pid"], e["blkcg_id"]) for e in evs) == \
        sorted([(cpid, child_id)] * 37 + [(mpid, mine_id)] * 11), evs


# ---- 5. histograms -------------------------------------------------------------------

def test_hist_and_sizes(kscope, disk):
    """--hist: one device-time histogram of every request; --sizes: 37 requests in
    [4, 7] KiB and 5 in [64, 127] KiB, for the device."""
    before = disk.stat()
    (hres, sres), _, _ = traced(
        kscope, [["--hist", "--dev", disk.name], ["--sizes", "--dev", disk.name]],
        lambda: (write4k(disk, 37, WRITES_AT["hist"]), read64k(disk, 5, READS_AT["hist"])))
    device_did(disk, before, write_ios=37, write_sectors=37 * 8, read_ios=5, read_sectors=5 * 128)

    (h,) = hists(hres, "diskio_latency")
    assert (h["type"], h["unit"], h["stage"], h["count"]) == ("hist", "us", "device", 42), h
    assert h["interval_ns"] > 0, h
    buckets_of(h)
    assert not hists(hres, "diskio_size"), hres

    (s,) = hists(sres, "diskio_size")
    assert (s["unit"], s["count"]) == ("KiB", 42), s
    assert (s["device"], s["major"], s["minor"]) == (disk.name, disk.major, disk.minor), s
    b = buckets_of(s)
    assert {k: n for k, n in b.items() if n} == {(4, 7): 37, (64, 127): 5}, s
    assert not hists(sres, "diskio_latency"), sres


def test_hist_per_device(kscope, disk, tmp_path):
    """-D: a histogram per device, each with its own requests; --hist total: one of
    them all."""
    with blockdev.loop_device(str(tmp_path), 16 * MIB) as other, \
            blockdev.scheduler(other, "none"):
        devs = f"{disk.name},{other.spec}"
        b1, b2 = disk.stat(), other.stat()
        (per, tot), _, _ = traced(
            kscope, [["--hist", "-D", "--dev", devs], ["--hist", "total", "--dev", devs]],
            lambda: (write4k(disk, 37, WRITES_AT["hist"]), write4k(other, 11, 0)))
        device_did(disk, b1, write_ios=37, write_sectors=37 * 8)
        device_did(other, b2, write_ios=11, write_sectors=11 * 8)
        want = {(disk.name, disk.major, disk.minor): 37,
                (other.name, other.major, other.minor): 11}

    hs = hists(per, "diskio_latency")
    assert {(h["device"], h["major"], h["minor"]): h["count"] for h in hs} == want, hs
    assert len(hs) == 2 and all(h["stage"] == "device" for h in hs), hs
    for h in hs:
        buckets_of(h)
    (t,) = hists(tot, "diskio_latency")
    assert (t["stage"], t["count"]) == ("total", 48), t
    buckets_of(t)


# ---- the records' fields, in the contract's order -----------------------------------

HIST_FIELDS = ("type", "name", "unit", "stage", "ts_ns", "interval_ns", "count", "buckets")


def test_record_fields(kscope, disk):
    """Each kind of record has exactly the contract's fields, in its order (the
    histograms': exactly its names)."""
    (dev, proc, cg, ev, hi, hd, sz), pid, _ = traced(
        kscope, [["--dev", disk.name], ["--by", "process", "--dev", disk.name],
                 ["--by", "cgroup", "--dev", disk.name], ["--events", "--dev", disk.name],
                 ["--hist", "--dev", disk.name], ["--hist", "-D", "--dev", disk.name],
                 ["--sizes", "--dev", disk.name]],
        lambda: write4k(disk, 3, WRITES_AT["fields"]))
    wrong = []
    for res, by in ((dev, "device"), (proc, "process"), (cg, "cgroup")):
        (r,) = stat_rows(res, disk, by)
        assert r["requests"] == 3 and (by != "process" or r["pid"] == pid), r
        if tuple(r) != stat_fields(by):
            wrong.append((f"diskio_stat --by {by}", tuple(r), stat_fields(by)))
    evs = events(ev, disk)
    assert len(evs) == 3, evs
    wrong += [("diskio", tuple(e), EVENT_FIELDS) for e in evs if tuple(e) != EVENT_FIELDS]
    dev_keys = ("device", "major", "minor")
    for res, name, want in ((hi, "diskio_latency", HIST_FIELDS),
                            (hd, "diskio_latency", HIST_FIELDS + dev_keys),
                            (sz, "diskio_size", tuple(k for k in HIST_FIELDS if k != "stage")
                             + dev_keys)):
        (h,) = hists(res, name)
        assert h["count"] == 3, h
        if set(h) != set(want):
            wrong.append((name, tuple(h), want))
    assert not wrong, "\n".join(f"{kind}: fields {got}, the contract's {want}"
                                 for kind, got, want in wrong)


# ---- 6. bad input --------------------------------------------------------------------

@pytest.mark.parametrize("args, msg", [
    (["--by", "bogus"], "bogus"),
    (["--hist=bogus"], "bogus"),
    (["--hist", "bogus"], "bogus"),
    (["--dev", "nosuchdev"], "nosuchdev"),
    (["--events", "--hist"], "cannot be combined"),
    (["--events", "1"], "cannot be combined"),
    (["--sizes", "--hist"], "cannot be combined"),
])
def test_bad_input(args, msg):
    check_usage_error("diskio", args, msg)


# ---- 7. SIGINT -----------------------------------------------------------------------

def test_sigint_leaves_nothing(kscope, disk):
    """Stopped by SIGINT: exit 0, the requests made while it ran, every BPF object
    gone."""
    t = kscope.command("diskio").start(["--dev", disk.name])
    try:
        owned = bpf_objects(t.pid)
        assert owned["prog"] and owned["link"] and owned["map"], owned
        write4k(disk, 3, WRITES_AT["sigint"])
    finally:
        res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    (row,) = stat_rows(res, disk)
    assert (row["op"], row["requests"], row["bytes"]) == ("write", 3, 3 * 4096), row
    check_gone(owned)

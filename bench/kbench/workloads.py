"""kbench.workloads: the workloads of bench/*.c, each with its command line, its
operation count and its sanity check; and what a workload needs made first (the disk
scenarios' loop device)."""
import os
import shutil
import subprocess
import tempfile

from .common import BenchError, Workload


def cswitch(mode):
    def argv(ctx, n):
        return [os.path.join(ctx.bin, "cswitch"), "-m", mode, "-n", str(n),
                "-c", str(ctx.workload_cpu)]

    def check(r):
        exp, got = r["switches_expected"], r["switches_proc"]
        if got != r["switches_rusage"]:
            return "getrusage and /proc disagree: %d vs %d" % (r["switches_rusage"], got)
        if abs(got - exp) > max(10, exp // 200):
            return "%d switches, expected %d: other tasks ran on CPU %d" % (got, exp, r["cpu"])
        return None

    return Workload(
        key="cswitch-" + mode, unit="switch",
        label="cswitch -m %s: 2 threads on one CPU ping-pong over %s" % (
            mode, "two pipes" if mode == "pipe" else "a futex word"),
        argv=argv, ops=lambda r: r["switches_expected"], check=check,
        describe=lambda n: "%d round trips = %d context switches per run" % (n, 2 * n))


def sysstorm():
    def argv(ctx, n):
        return [os.path.join(ctx.bin, "sysstorm"), "-n", str(n), "-c", str(ctx.workload_cpu)]

    def check(r):
        if r["bad_returns"]:
            return "%d of %d getppid() calls returned something else" % (r["bad_returns"],
                                                                       r["calls"])
        if r["involuntary"] > max(20, r["calls"] // 100000):
            return "%d involuntary switches: other tasks ran on CPU %d" % (r["involuntary"],
                                                                          r["cpu"])
        return None

    return Workload(
        key="sysstorm", unit="syscall",
        label="sysstorm: one thread calls syscall(SYS_getppid) back to back",
        argv=argv, ops=lambda r: r["syscalls_expected"], check=check,
        describe=lambda n: "%d getppid() calls per run" % n)


def openstorm():
    def argv(ctx, n):
        return [os.path.join(ctx.bin, "openstorm"), "-n", str(n), "-c", str(ctx.workload_cpu),
                "-d", ctx.work]

    def check(r):
        if r["failed"]:
            return "%d of %d opens failed" % (r["failed"], r["opens"])
        return None

    return Workload(
        key="openstorm", unit="open",
        label="openstorm: one thread opens (openat) and closes a symlink to /dev/null "
              "back to back",
        argv=argv, ops=lambda r: r["opens_expected"], check=check,
        describe=lambda n: "%d opens per run" % n)


def execstorm():
    def argv(ctx, n):
        return [os.path.join(ctx.bin, "execstorm"), "-n", str(n), "-c", str(ctx.workload_cpu),
                "-d", ctx.work]

    def check(r):
        if r["failed"]:
            return "%d of %d children did not exit 0" % (r["failed"], r["execs"])
        return None

    return Workload(
        key="execstorm", unit="exec",
        label="execstorm: one process forks, execs a one-page static exit(0) program and "
              "waits, back to back",
        argv=argv, ops=lambda r: r["execs_expected"], check=check,
        describe=lambda n: "%d fork+exec+exit per run" % n)


def writestorm():
    def argv(ctx, n):
        return [os.path.join(ctx.bin, "writestorm"), "-n", str(n), "-c", str(ctx.workload_cpu)]

    def check(r):
        if r["short"]:
            return "%d of %d writes were short" % (r["short"], r["writes"])
        if r["involuntary"] > max(20, r["writes"] // 100000):
            return "%d involuntary switches: other tasks ran on CPU %d" % (r["involuntary"],
                                                                          r["cpu"])
        return None

    return Workload(
        key="writestorm", unit="write",
        label="writestorm: one thread writes 64 bytes to /dev/null (opened once) back to back",
        argv=argv, ops=lambda r: r["writes_expected"], check=check,
        describe=lambda n: "%d write() calls per run" % n,
        generated=lambda r: r["writes_total"])


def readstorm(clock="elapsed_ns"):
    """bench/readstorm.c: pread64() of 64 bytes at offset 0 of a 4 KiB file on tmpfs (in
    the runner's work directory), back to back; an operation is one read"""
    def argv(ctx, n):
        return [os.path.join(ctx.bin, "readstorm"), "-n", str(n), "-c", str(ctx.workload_cpu),
                "-d", ctx.work]

    def check(r):
        if r["short"]:
            return "%d of %d reads were short" % (r["short"], r["reads"])
        if r["involuntary"] > max(20, r["reads"] // 100000):
            return "%d involuntary switches: other tasks ran on CPU %d" % (r["involuntary"],
                                                                          r["cpu"])
        return None

    return Workload(
        key="readstorm" + ("" if clock == "elapsed_ns" else "-cpu"), unit="read",
        label="readstorm: one thread reads 64 bytes (pread64) at offset 0 of a 4 KiB file on "
              "tmpfs, opened once, back to back%s" % (
                  "" if clock == "elapsed_ns" else "; time: the storm thread's own CPU time "
                  "(user + system: the BPF programs and tracepoints that run in its context "
                  "included), not wall clock"),
        argv=argv, ops=lambda r: r["reads_expected"], check=check,
        describe=lambda n: "%d pread64() calls per run" % n,
        generated=lambda r: r["reads_total"], clock=clock)


def connstorm():
    def argv(ctx, n):
        return [os.path.join(ctx.bin, "connstorm"), "-n", str(n), "-c", str(ctx.workload_cpu)]

    def check(r):
        if r["failed"]:
            return "%d of %d connections did not carry 64 bytes each way" % (r["failed"],
                                                                              r["conns"])
        return None

    return Workload(
        key="connstorm", unit="connection",
        label="connstorm: TCP connections on loopback (in a netns of its own), one after the "
              "other, the client and a server thread on one CPU; the client connects, writes "
              "64 bytes, reads 64 and closes; the server accepts, reads 64, writes 64, reads "
              "to the end and closes",
        argv=argv, ops=lambda r: r["conns_expected"], check=check,
        describe=lambda n: "%d connections (%d sockets closing) per run" % (n, 2 * n),
        generated=lambda r: r["sides_expected"])


def bulkxfer(write_kb=1024, clock="elapsed_ns"):
    def argv(ctx, mib):
        return [os.path.join(ctx.bin, "connstorm"), "-m", "bulk", "-b", str(mib),
                "-s", str(write_kb), "-c", str(ctx.workload_cpu)]

    def check(r):
        if r["received"] != r["bytes"]:
            return "the server received %d bytes of %d" % (r["received"], r["bytes"])
        return None

    return Workload(
        key="bulkxfer%s%s" % ("" if write_kb == 1024 else "-%dk" % write_kb,
                             "" if clock == "elapsed_ns" else "-cpu"), unit="MiB",
        label="connstorm -m bulk: one TCP connection on loopback (in a netns of its own), "
              "the client writes in %s writes, a server thread reads with a buffer of the "
              "same size, both on one CPU%s" % (
                  "1 MiB" if write_kb == 1024 else "%d KiB" % write_kb,
                  "" if clock == "elapsed_ns" else "; time: the workload's own CPU time "
                  "(user + system, both threads, the loopback's softirq work included), not "
                  "wall clock"),
        argv=argv, ops=lambda r: r["mib"], check=check,
        describe=lambda n: "%d MiB through one connection per run" % n,
        generated=lambda r: 2, clock=clock)


def diostorm(scheduler, mode="rand"):
    """bench/diostorm.c on the scenario's loop device (ctx.disk, made by loop_device())"""
    def argv(ctx, n):
        dev = ctx.disk["path"] if ctx.disk else "DEVICE"
        return [os.path.join(ctx.bin, "diostorm"), "-f", dev, "-n", str(n), "-m", mode,
                "-c", str(ctx.workload_cpu)]

    def check(r):
        if r["short"]:
            return "%d of %d writes were short" % (r["short"], r["writes"])
        if r["scheduler"] != scheduler:
            return "the device's scheduler was %s, not %s" % (r["scheduler"], scheduler)
        return None

    return Workload(
        key="diostorm-" + scheduler, unit="request",
        label="diostorm: one thread writes 4 KiB with O_DIRECT (pwrite) at %s offsets to a "
              "loop device (on a file in /dev/shm, I/O scheduler %s), back to back; each "
              "write is one block request" % ("random" if mode == "rand" else "sequential",
                                              scheduler),
        argv=argv, ops=lambda r: r["writes_expected"], check=check,
        describe=lambda n: "%d writes (block requests) per run" % n,
        generated=lambda r: r["writes_total"])


FAULT_PAGES = 64


def faultstorm(pages=FAULT_PAGES):
    """bench/faultstorm.c: rounds of mmap, one write per page, munmap; the size is the
    number of timed rounds, an operation one page fault"""
    def argv(ctx, n):
        return [os.path.join(ctx.bin, "faultstorm"), "-n", str(n), "-p", str(pages),
                "-c", str(ctx.workload_cpu)]

    def check(r):
        exp, got = r["faults_expected"], r["minflt"]
        # each write is one minor fault; the getrusage() and clock calls around the
        # loop may add one or two
        if got < exp:
            return "%d minor faults, expected %d: some writes did not fault (huge " \
                   "pages?)" % (got, exp)
        if got > exp + max(16, exp // 1000):
            return "%d minor faults, expected %d: more than one fault per page" % (got, exp)
        if r["majflt"]:
            return "%d major faults in the storm" % r["majflt"]
        return None

    return Workload(
        key="faultstorm", unit="fault",
        label="faultstorm: one thread maps %d anonymous private pages (mmap, "
              "MADV_NOHUGEPAGE), writes one byte to each and unmaps them, back to back; "
              "each write is one minor page fault" % pages,
        argv=argv, ops=lambda r: r["faults_expected"], check=check,
        describe=lambda n: "%d rounds of %d pages = %d page faults per run" % (
            n, pages, n * pages),
        generated=lambda r: r["faults_total"])


def capstorm():
    """bench/capstorm.c: sethostname() calls in a UTS namespace of the workload's own; the
    size is the number of timed calls, an operation one capability check (CAP_SYS_ADMIN,
    granted)"""
    def argv(ctx, n):
        return [os.path.join(ctx.bin, "capstorm"), "-n", str(n), "-c", str(ctx.workload_cpu)]

    def check(r):
        if r["failed"]:
            return "%d of %d sethostname() calls failed (errno %d): not granted?" % (
                r["failed"], r["calls"], r["errno"])
        if r["involuntary"] > max(20, r["calls"] // 100000):
            return "%d involuntary switches: other tasks ran on CPU %d" % (r["involuntary"],
                                                                          r["cpu"])
        return None

    return Workload(
        key="capstorm", unit="check",
        label="capstorm: one thread, in a UTS namespace of its own, calls "
              "syscall(SYS_sethostname) back to back; each call is one CAP_SYS_ADMIN "
              "capability check (cap_capable), granted",
        argv=argv, ops=lambda r: r["checks_expected"], check=check,
        describe=lambda n: "%d sethostname() calls = %d capability checks per run" % (n, n),
        generated=lambda r: r["checks_total"])


MIX_PAGES = 256


def mixstorm(pages=MIX_PAGES, clock="elapsed_ns"):
    """bench/mixstorm.c: one operation of each area kscope container measures (a getppid(),
    a 4 KiB pwrite() to a tmpfs file, a first touch of an anonymous page, 64 bytes sent and
    received on a loopback TCP connection, a sethostname() in a UTS namespace of its own);
    on the scenario's loop device (ctx.disk), one O_DIRECT write before the warm-up; the
    size is the number of timed operations"""
    def argv(ctx, n):
        a = [os.path.join(ctx.bin, "mixstorm"), "-n", str(n), "-p", str(pages),
             "-c", str(ctx.workload_cpu), "-d", ctx.work]
        if ctx.disk:
            a += ["-f", ctx.disk["path"]]
        return a

    def check(r):
        if r["failed"]:
            return "%d of %d operations failed (the first at %s, errno %d)" % (
                r["failed"], r["ops"], r["failed_what"], r["errno"])
        if not r["denied"]:
            return "the untimed sethostname() as uid 65534 was not refused (EPERM)"
        if r["minflt"] < r["ops"] or r["minflt"] > r["ops"] + max(16, r["ops"] // 1000):
            return "%d minor faults in the timed loop, expected %d: not one per operation" % (
                r["minflt"], r["ops"])
        if r["involuntary"] > max(20, r["ops"] // 1000):
            return "%d involuntary switches: other tasks ran on CPU %d" % (r["involuntary"],
                                                                          r["cpu"])
        return None

    return Workload(
        key="mixstorm" + ("" if clock == "elapsed_ns" else "-cpu"), unit="op",
        label="mixstorm: one thread, in a UTS and a network namespace of its own, repeats one "
              "operation back to back: getppid(), a 4 KiB pwrite() at offset 0 of a file on "
              "tmpfs it opened, a first write to a new anonymous page (one minor fault; a "
              "mapping of %d pages, a new one when all are touched), 64 bytes sent on one "
              "side of a loopback TCP connection and received on the other (the direction "
              "alternating), and sethostname() (one CAP_SYS_ADMIN check, granted): 5 "
              "syscalls per operation; once before its warm-up, a child as uid 65534 is "
              "refused a sethostname() (one denied check) and one 4 KiB O_DIRECT write goes "
              "to a loop device (no I/O scheduler, on a file in /dev/shm)%s" % (
                  pages, "" if clock == "elapsed_ns" else "; time: the storm thread's own "
                  "CPU time (user + system: the BPF programs that run in its context, and "
                  "the loopback's softirq work, included), not wall clock"),
        argv=argv, ops=lambda r: r["ops_expected"], check=check,
        describe=lambda n: "%d operations per run" % n,
        generated=lambda r: r["ops_total"], clock=clock)


def scraper():
    """bench/scrape.c: the scrape scenario's client (its command line is made by
    kbench.scrape: the exporter's port, the encoding); the size is the number of timed
    scrapes per exporter and encoding"""
    def argv(ctx, n):
        return [os.path.join(ctx.bin, "scrape"), "-n", str(n), "-c", str(ctx.workload_cpu)]

    return Workload(
        key="scrape", unit="scrape",
        label="scrape: one connection (HTTP/1.1 keep-alive), GET /metrics back to back, each "
              "sent when the last response is read in full, with Prometheus's request "
              "headers (and Accept-Encoding: gzip, or not); every response checked (200, a "
              "body, the exporter's metric names, gzip magic when gzip'd)",
        argv=argv, ops=lambda r: r["ok"], check=lambda r: r.get("first_error"),
        describe=lambda n: "%d timed scrapes per exporter and encoding" % n)


def loop_device(scheduler, size_mib=64):
    """A Scenario setup: a loop device on a file of size_mib MiB in /dev/shm (else /tmp),
    every page of the file written first (a timed write never allocates one), with the I/O
    scheduler `scheduler`; ctx.disk describes it. Undone (losetup -d, the file removed)
    after the scenario's last measurement."""
    def setup(ctx):
        if not shutil.which("losetup"):
            raise BenchError("losetup not installed (util-linux)")
        top = "/dev/shm" if os.path.isdir("/dev/shm") else "/tmp"
        d = tempfile.mkdtemp(prefix="kscope-bench-disk-", dir=top)
        img = os.path.join(d, "disk.img")
        dev, sched, was = None, None, None

        def undo():
            if was:
                # the queue outlives the loop device: the next user of the device (e.g.
                # a test's `losetup -f`) finds the scheduler it had before
                try:
                    with open(sched, "w") as f:
                        f.write(was)
                except OSError:
                    pass
            if dev:
                subprocess.run(["losetup", "-d", dev], capture_output=True)
            shutil.rmtree(d, ignore_errors=True)
            ctx.disk = None

        try:
            with open(img, "wb") as f:
                chunk = b"\0" * (1 << 20)
                for _ in range(size_mib):
                    f.write(chunk)
            r = subprocess.run(["losetup", "-f", "--show", img], capture_output=True,
                               text=True, timeout=60)
            if r.returncode != 0:
                raise BenchError("losetup -f --show %s: %s" % (img, r.stderr.strip()))
            dev = r.stdout.strip()
            name = os.path.basename(dev)
            sched = "/sys/block/%s/queue/scheduler" % name
            try:
                with open(sched) as f:
                    old = f.read()
                if "[" in old:
                    was = old.split("[", 1)[1].split("]", 1)[0]
                with open(sched, "w") as f:
                    f.write(scheduler)
                with open(sched) as f:
                    now = f.read()
            except OSError as e:
                raise BenchError("%s: %s" % (sched, e))
            if "[%s]" % scheduler not in now:
                raise BenchError("%s: %s, not [%s]" % (sched, now.strip(), scheduler))
            with open("/sys/block/%s/dev" % name) as f:
                major, minor = (int(x) for x in f.read().split(":"))
        except BaseException:
            undo()
            raise
        ctx.disk = {"path": dev, "name": name, "major": major, "minor": minor,
                    "scheduler": scheduler, "image": img, "size_mib": size_mib}
        return dict(ctx.disk), undo

    return setup


CHURN_FORKS, CHURN_OPENS = 200, 10000


def churn():
    def argv(ctx, seconds):
        return [os.path.join(ctx.bin, "churn"), "-d", str(seconds), "-r", str(CHURN_FORKS),
                "-w", str(CHURN_OPENS), "-D", "/dev/shm" if os.path.isdir("/dev/shm") else "/tmp"]

    def check(r):
        if r["failed"]:
            return "%d of %d children did not exit 0" % (r["failed"], r["forks"])
        if r["forks_per_s"] < 0.9 * CHURN_FORKS:
            return "%.0f fork+exec/s, not %d: the machine could not keep up" % (
                r["forks_per_s"], CHURN_FORKS)
        return None

    return Workload(
        key="churn", unit="second",
        label="churn: %d fork+exec/s of short programs that open, write and close files (some "
              "exit with files open, some are threaded, some exec again with O_CLOEXEC files, "
              "some fork), and 2 threads doing %d open+write+close a second in bursts at the "
              "start of each second" % (CHURN_FORKS, CHURN_OPENS),
        argv=argv, ops=lambda r: r["elapsed_ns"] / 1e9, check=check,
        describe=lambda n: "%d s" % n)

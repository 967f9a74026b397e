"""kbench.workloads: the workloads of bench/*.c, each with its command line, its
operation count and its sanity check."""
import os

from .common import Workload


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

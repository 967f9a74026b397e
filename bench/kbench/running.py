"""kbench.running: a tracer started, attached and settled (Running), and one run of
a workload."""
import json
import os
import shutil
import signal
import subprocess
import time

from .common import BenchError, read
from .procfs import bpf_fds, task_cpu_ns, vm_hwm_kb


class _Rusage:
    """The rusage of a group of processes (Tracer.also): times and peak RSS summed."""

    def __init__(self, rus):
        self.ru_utime = sum(r.ru_utime for r in rus)
        self.ru_stime = sum(r.ru_stime for r in rus)
        self.ru_maxrss = sum(r.ru_maxrss for r in rus)


class Running:
    """A tracer started, attached and settled; stop() ends it with SIGINT. With
    Tracer.also, a group: the tracer and its companion commands, each its own process
    (self.pid is the first one's; pids() all of them), measured as one."""

    def __init__(self, ctx, tracer, tag):
        self.tracer = tracer
        self.out = os.path.join(ctx.work, tag + ".out")
        self.err = os.path.join(ctx.work, tag + ".err")
        self.data = ctx.data = os.path.join(ctx.work, tag + ".data")
        if os.path.exists(self.data):
            os.unlink(self.data)
        cpu = ctx.tracer_cpu
        argvs = [tracer.argv(ctx)] + (tracer.also(ctx) if tracer.also else [])
        self.files = []     # (out, err) of each process, the tracer's first
        self.procs = []
        try:
            for i, argv in enumerate(argvs):
                out, err = (self.out, self.err) if i == 0 else (
                    os.path.join(ctx.work, "%s.%d.out" % (tag, i)),
                    os.path.join(ctx.work, "%s.%d.err" % (tag, i)))
                self.files.append((out, err))
                with open(out, "wb") as o, open(err, "wb") as e:
                    try:
                        self.procs.append(subprocess.Popen(
                            argv, stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                            preexec_fn=lambda: os.sched_setaffinity(0, {cpu})))
                    except OSError as err_:
                        raise BenchError("%s: cannot start %s: %s" % (tracer.key, argv[0],
                                                                       err_))
        except BaseException:
            for p in self.procs:
                _kill(p)
            raise
        self.p = self.procs[0]
        self.pid = self.p.pid
        self.t_start = time.monotonic()
        try:
            self.links = self._wait_attached()
            self.t_attached = time.monotonic() - self.t_start
            self._wait_quiet()
            self.t_ready = time.monotonic() - self.t_start
        except BaseException:
            self.kill()
            raise

    def pids(self):
        return [p.pid for p in self.procs]

    def bpf(self):
        """bpf_fds() of the group: every process's attachments and programs"""
        links, progs = [], {}
        for pid in self.pids():
            ln, pr = bpf_fds(pid)
            links += ln
            progs.update(pr)
        return links, progs

    def cpu_ns(self):
        """task_cpu_ns() summed over the group (None if one is gone)"""
        v = [task_cpu_ns(pid) for pid in self.pids()]
        return None if None in v else sum(v)

    def hwm_kb(self):
        """VmHWM, summed over the group (each process's own peak: an upper bound of the
        group's)"""
        v = [vm_hwm_kb(pid) for pid in self.pids()]
        return None if None in v else sum(v)

    def _alive(self):
        for p, (_, err) in zip(self.procs, self.files):
            pid, _ = os.waitpid(p.pid, os.WNOHANG) if p.returncode is None else (0, 0)
            if pid:
                p.returncode = -1
                raise BenchError("%s exited before it attached: %s" % (
                    self.tracer.key if p is self.p else "%s (%s)" % (self.tracer.key,
                                                                     p.args[0]),
                    read(err)[-400:].strip()))

    def _wait_attached(self, timeout=30.0, stable=0.3):
        """Attached: at least min_attach BPF links/perf events, unchanged for `stable` s."""
        deadline = time.monotonic() + timeout
        count, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            self._alive()
            links, _ = self.bpf()
            if len(links) != count:
                count, since = len(links), time.monotonic()
            elif count >= self.tracer.min_attach and time.monotonic() - since >= stable:
                return links
            time.sleep(0.02)
        raise BenchError("%s: not attached after %.0f s (%d attachments)" % (
            self.tracer.key, timeout, max(count, 0)))

    def _wait_quiet(self, window=0.2, busy_ns=2000000, timeout=5.0):
        """Settled: the tracer used < 2 ms of CPU over the last 200 ms (its startup
        work, e.g. reading /proc, is done and will not overlap the workload)."""
        deadline = time.monotonic() + timeout
        last = self.cpu_ns()
        while time.monotonic() < deadline:
            time.sleep(window)
            self._alive()
            now = self.cpu_ns()
            if now is not None and last is not None and now - last < busy_ns:
                return
            last = now

    def drain(self, window=0.25, busy_ns=2000000, timeout=60.0):
        """After the workload: wait until the tracer has used < 2 ms of CPU over
        250 ms (it has formatted and written what it was sent). Returns the wait."""
        t0 = time.monotonic()
        last = self.cpu_ns()
        while time.monotonic() - t0 < timeout:
            time.sleep(window)
            now = self.cpu_ns()
            if now is None or last is None or now - last < busy_ns:
                break
            last = now
        return time.monotonic() - t0

    def kill(self):
        for p in self.procs:
            _kill(p)

    def stop(self, resend=5.0, timeout=20.0):
        """SIGINT (again every `resend` s), wait; SIGKILL after `timeout` s.
        Returns (exit status, rusage, warning or None); a group: every process stopped
        so, the first non-zero status, the rusages summed, the warnings joined."""
        if len(self.procs) == 1:
            return _stop(self.p, self.err, resend, timeout)
        res = [_stop(p, err, resend, timeout) for p, (_, err) in zip(self.procs, self.files)]
        status = next((r[0] for r in res if r[0] != 0), 0)
        warns = ["%s: %s" % (p.args[0], r[2]) for p, r in zip(self.procs, res) if r[2]]
        return status, _Rusage([r[1] for r in res]), "; ".join(warns) or None


def _kill(p):
    if p.returncode is None:
        try:
            os.kill(p.pid, signal.SIGKILL)
            os.waitpid(p.pid, 0)
        except OSError:
            pass
        p.returncode = -9


def _stop(p, err, resend, timeout):
    """One process: SIGINT (again every `resend` s), wait; SIGKILL after `timeout` s."""
    try:
        os.kill(p.pid, signal.SIGINT)
    except OSError:
        pass
    t0 = time.monotonic()
    last = t0
    while time.monotonic() - t0 < timeout:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            late = time.monotonic() - t0 > resend
            return p.returncode, ru, (
                "needed more than one SIGINT to exit" if late else None)
        if time.monotonic() - last > resend:
            os.kill(p.pid, signal.SIGINT)
            last = time.monotonic()
        time.sleep(0.02)
    os.kill(p.pid, signal.SIGKILL)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = -9
    shutil.copy(err, err + ".killed")
    return -9, ru, "did not exit within %.0f s of SIGINT: killed (stderr kept in %s)" % (
        timeout, err + ".killed")


def run_workload(ctx, workload, size):
    argv = workload.argv(ctx, size)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise BenchError("%s failed (%d): %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise BenchError("%s: no JSON on stdout: %r" % (" ".join(argv), r.stdout[-200:]))

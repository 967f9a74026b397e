"""kbench.running: a tracer started, attached and settled (Running), and one run of
a workload."""
import json
import os
import shutil
import signal
import subprocess
import time

from .common import BenchError, read
from .procfs import bpf_fds, task_cpu_ns


class Running:
    """A tracer started, attached and settled; stop() ends it with SIGINT."""

    def __init__(self, ctx, tracer, tag):
        self.tracer = tracer
        self.out = os.path.join(ctx.work, tag + ".out")
        self.err = os.path.join(ctx.work, tag + ".err")
        self.data = ctx.data = os.path.join(ctx.work, tag + ".data")
        if os.path.exists(self.data):
            os.unlink(self.data)
        cpu = ctx.tracer_cpu
        with open(self.out, "wb") as o, open(self.err, "wb") as e:
            try:
                self.p = subprocess.Popen(tracer.argv(ctx), stdin=subprocess.DEVNULL, stdout=o,
                                          stderr=e,
                                          preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
            except OSError as err:
                raise BenchError("%s: cannot start: %s" % (tracer.key, err))
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

    def _alive(self):
        pid, _ = os.waitpid(self.pid, os.WNOHANG) if self.p.returncode is None else (0, 0)
        if pid:
            self.p.returncode = -1
            raise BenchError("%s exited before it attached: %s" % (
                self.tracer.key, read(self.err)[-400:].strip()))

    def _wait_attached(self, timeout=30.0, stable=0.3):
        """Attached: at least min_attach BPF links/perf events, unchanged for `stable` s."""
        deadline = time.monotonic() + timeout
        count, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            self._alive()
            links, _ = bpf_fds(self.pid)
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
        last = task_cpu_ns(self.pid)
        while time.monotonic() < deadline:
            time.sleep(window)
            self._alive()
            now = task_cpu_ns(self.pid)
            if now is not None and last is not None and now - last < busy_ns:
                return
            last = now

    def drain(self, window=0.25, busy_ns=2000000, timeout=60.0):
        """After the workload: wait until the tracer has used < 2 ms of CPU over
        250 ms (it has formatted and written what it was sent). Returns the wait."""
        t0 = time.monotonic()
        last = task_cpu_ns(self.pid)
        while time.monotonic() - t0 < timeout:
            time.sleep(window)
            now = task_cpu_ns(self.pid)
            if now is None or last is None or now - last < busy_ns:
                break
            last = now
        return time.monotonic() - t0

    def kill(self):
        if self.p.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.p.returncode = -9

    def stop(self, resend=5.0, timeout=20.0):
        """SIGINT (again every `resend` s), wait; SIGKILL after `timeout` s.
        Returns (exit status, rusage, warning or None)."""
        os.kill(self.pid, signal.SIGINT)
        t0 = time.monotonic()
        last = t0
        while time.monotonic() - t0 < timeout:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self.p.returncode = os.waitstatus_to_exitcode(status)
                late = time.monotonic() - t0 > resend
                return self.p.returncode, ru, (
                    "needed more than one SIGINT to exit" if late else None)
            if time.monotonic() - last > resend:
                os.kill(self.pid, signal.SIGINT)
                last = time.monotonic()
            time.sleep(0.02)
        os.kill(self.pid, signal.SIGKILL)
        _, status, ru = os.wait4(self.pid, 0)
        self.p.returncode = -9
        shutil.copy(self.err, self.err + ".killed")
        return -9, ru, "did not exit within %.0f s of SIGINT: killed (stderr kept in %s)" % (
            timeout, self.err + ".killed")


def run_workload(ctx, workload, size):
    argv = workload.argv(ctx, size)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise BenchError("%s failed (%d): %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise BenchError("%s: no JSON on stdout: %r" % (" ".join(argv), r.stdout[-200:]))

"""kbench.top: the top-cpu scenarios (kind "topcpu"): kscope top against top (procps) and
htop, side by side at the same refresh interval: each view's own CPU time per refresh over
a window of steady refreshes (full-screen in a private tmux server, or batch to a file), its
peak RSS, and for kscope its BPF programs' time per refresh in the same window
(kernel.bpf_stats_enabled on during the rounds); the host made about as populous as a real
one (sleeping processes) and, in top-cpu-busy, as busy (bench/churn.c on the other CPU).
And the targets of the top scenarios (top-cpu*, and the top-overhead storm: kscope top on a
read storm against syscount and a filetop-style script together)."""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

from . import procfs
from .common import (BenchError, _mib, _print_rows, below_every_round, fmt, machine,
                     machine_date, med, read)
from .procfs import bpf_fds, task_cpu_ns, wait_quiet_cpu
from .running import _stop
from .tracers import TMUX, TRACERS

# the terminal every full-screen view gets: a tmux pane of this size (no status line)
TTY_COLS, TTY_ROWS = 160, 50
# after a view started (and attached, kscope): its start-up is over before the window opens
SETTLE_S = 3.0
# the warm-up: each view once, this long, dropped (binaries and /proc paths cached)
WARMUP_S = 3.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
# the comparisons: (the kscope view, the peer view)
PAIRS = [("view-kscope-top", "view-htop"), ("view-kscope-top", "view-top"),
         ("view-kscope-top-b", "view-top-b")]


# ---- the host: sleeping processes ----------------------------------------------


def count_processes():
    return sum(1 for d in os.listdir("/proc") if d.isdigit())


def sleepers(total):
    """A Scenario setup: enough sleeping processes (`sleep infinity`, each its own session)
    to bring the machine to about `total` processes, so that the views, which read /proc
    for every process, have a realistic host's to read; killed after the scenario."""
    def setup(ctx):
        before = count_processes()
        procs = []

        def undo():
            for p in procs:
                try:
                    p.kill()
                except OSError:
                    pass
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.SubprocessError:
                    pass

        try:
            for _ in range(max(0, total - before)):
                procs.append(subprocess.Popen(["sleep", "infinity"], stdin=subprocess.DEVNULL,
                                              stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL,
                                              start_new_session=True))
        except BaseException:
            undo()
            raise
        time.sleep(0.5)
        return {"processes_before": before, "sleepers": len(procs),
                "processes_after": count_processes()}, undo
    return setup


def churning(forks, opens):
    """A Scenario setup: bench/churn.c in the background on the workload's CPU for the whole
    scenario (`forks` fork+exec of short programs that write files per second, `opens`
    open+write+close per second in bursts): a busy host's new processes, syscalls and file
    I/O for the views to show; killed after the scenario, its directory removed."""
    def setup(ctx):
        d = os.path.join(ctx.work, "top-churn")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        argv = [os.path.join(ctx.bin, "churn"), "-d", "86400", "-r", str(forks), "-w",
                str(opens), "-D", d, "-c", str(ctx.workload_cpu)]
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, start_new_session=True)

        def undo():
            if p.poll() is None:
                p.kill()
            p.wait()
            shutil.rmtree(d, ignore_errors=True)

        time.sleep(2.0)
        if p.poll() is not None:
            err = p.stderr.read().decode("utf-8", "replace").strip()
            undo()
            raise BenchError("%s exited (%d): %s" % (" ".join(argv), p.returncode, err))
        return {"churn": {"argv": argv, "forks_per_s": forks, "opens_per_s": opens}}, undo
    return setup


def together(*setups):
    """A Scenario setup made of several, undone in reverse order"""
    def setup(ctx):
        made, undos = {}, []
        try:
            for s in setups:
                m, u = s(ctx)
                made.update(m)
                undos.append(u)
        except BaseException:
            for u in reversed(undos):
                u()
            raise

        def undo():
            for u in reversed(undos):
                u()
        return made, undo
    return setup


# ---- one view, started, sampled, stopped ------------------------------------------------


def _stat_ns(pid):
    """/proc/PID/stat: utime + stime of the whole process (its exited threads too) and
    cutime + cstime (its waited-for children), in ns (USER_HZ ticks: 10 ms steps)"""
    try:
        f = read("/proc/%d/stat" % pid).rsplit(")", 1)[1].split()
        return ((int(f[11]) + int(f[12])) * 1e9 / CLK_TCK,
                (int(f[13]) + int(f[14])) * 1e9 / CLK_TCK)
    except (OSError, ValueError, IndexError):
        return None, None


def _status(pid):
    st = {}
    try:
        for line in read("/proc/%d/status" % pid).splitlines():
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                st[k] = int(v.split()[0])
    except OSError:
        pass
    return st


def _proc_stat():
    """/proc/stat: the machine's context switches so far, and its CPUs' (all) busy and total
    time in ticks"""
    ctxt, busy, total = 0, 0, 0
    for line in read("/proc/stat").splitlines():
        if line.startswith("ctxt "):
            ctxt = int(line.split()[1])
        elif line.startswith("cpu "):
            v = [int(x) for x in line.split()[1:]]
            total = sum(v[:8])
            busy = total - v[3] - v[4]
    return ctxt, busy, total


class Sample:
    """A view's CPU time at one moment: all its threads (schedstat, ns), the process's
    utime + stime and its children's (/proc/PID/stat), its BPF programs' run time and
    count (bpf_stats), the terminal's (tmux server's) CPU, the machine's context switches,
    the batch output's size."""

    def __init__(self, pid, server=None, out=None):
        self.t = time.monotonic()
        self.threads_ns = task_cpu_ns(pid)
        self.stat_ns, self.children_ns = _stat_ns(pid)
        _, progs = bpf_fds(pid)
        self.bpf_ns = sum(p["run_time_ns"] for p in progs.values())
        self.bpf_runs = sum(p["run_cnt"] for p in progs.values())
        self.server_ns = task_cpu_ns(server) if server else None
        self.ctxt, self.busy, self.total = _proc_stat()
        self.out_bytes = os.path.getsize(out) if out and os.path.exists(out) else None


class View:
    """A view started on the tracers' CPU: full-screen ("tty") in a tmux pane of a private
    tmux server (-L, no configuration file but remain-on-exit and no status line), or batch
    to a file; with an empty HOME, so every view runs with its default settings."""

    def __init__(self, ctx, tracer, tag):
        self.tracer, self.tty = tracer, tracer.view == "tty"
        self.out = os.path.join(ctx.work, tag + ".out")
        self.err = os.path.join(ctx.work, tag + ".err")
        self.home = os.path.join(ctx.work, tag + ".home")
        shutil.rmtree(self.home, ignore_errors=True)
        os.makedirs(self.home)
        env = {k: v for k, v in os.environ.items() if k not in ("HTOPRC", "TOPRC", "TMUX",
                                                                 "TMUX_PANE", "COLUMNS",
                                                                 "LINES")}
        env.update(HOME=self.home, XDG_CONFIG_HOME=os.path.join(self.home, ".config"))
        cpu = ctx.tracer_cpu
        argv = tracer.argv(ctx)
        self.server = None
        self.t_start = time.monotonic()
        if self.tty:
            # the name procfs.Sentinel knows as ours (--wait-while kscope: our own view runs
            # under a daemon, not below this script)
            self.sock = "kscope-bench-%d" % os.getpid()
            conf = os.path.join(self.home, "tmux.conf")
            with open(conf, "w") as f:
                f.write("set -g remain-on-exit on\nset -g status off\n")
            self.tmux = [TMUX, "-L", self.sock, "-f", conf]
            env["TERM"] = "xterm-256color"   # the client's; the pane's is tmux's (screen)
            r = subprocess.run(self.tmux + ["new-session", "-d", "-s", "v", "-x", str(TTY_COLS),
                                            "-y", str(TTY_ROWS), "exec " + shlex.join(argv)],
                               env=env, capture_output=True, text=True, timeout=30,
                               preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
            if r.returncode != 0:
                raise BenchError("%s: tmux new-session: %s" % (tracer.key, r.stderr.strip()))
            try:
                self.pid = int(self._tmux("list-panes", "-t", "v", "-F", "#{pane_pid}"))
                self.server = int(self._tmux("display-message", "-p", "#{pid}"))
            except (ValueError, BenchError):
                self.kill()
                raise BenchError("%s: no pane in tmux" % tracer.key)
        else:
            with open(self.out, "wb") as o, open(self.err, "wb") as e:
                try:
                    self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                                              env=env,
                                              preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
                except OSError as err:
                    raise BenchError("%s: cannot start: %s" % (tracer.key, err))
            self.pid = self.p.pid

    def _tmux(self, *args):
        r = subprocess.run(self.tmux + list(args), capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise BenchError("tmux %s: %s" % (args[0], r.stderr.strip()))
        return r.stdout.strip()

    def dead(self):
        """None while it runs, else why it is gone (its exit status and its screen or
        stderr)"""
        if self.tty:
            try:
                st = self._tmux("list-panes", "-t", "v", "-F", "#{pane_dead} #{pane_dead_status}")
            except BenchError as e:
                return "its tmux server is gone: %s" % e
            if not st.startswith("1"):
                return None
            return "exited (%s): %s" % (st[2:] or "?", " / ".join(
                ln.strip() for ln in self.screen().splitlines() if ln.strip())[-300:])
        if self.p.poll() is None:
            return None
        return "exited (%d): %s" % (self.p.returncode, read(self.err)[-300:].strip())

    def wait_attached(self, n, timeout=30.0, stable=0.3):
        """kscope: at least n BPF attachments, unchanged for `stable` s (n = 0: nothing to
        wait for)"""
        if not n:
            return
        deadline = time.monotonic() + timeout
        count, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            why = self.dead()
            if why:
                raise BenchError("%s %s" % (self.tracer.key, why))
            links, _ = bpf_fds(self.pid)
            if len(links) != count:
                count, since = len(links), time.monotonic()
            elif count >= n and time.monotonic() - since >= stable:
                return
            time.sleep(0.05)
        raise BenchError("%s: not attached after %.0f s (%d attachments)" % (
            self.tracer.key, timeout, max(count, 0)))

    def sample(self):
        return Sample(self.pid, self.server, None if self.tty else self.out)

    def screen(self):
        try:
            return self._tmux("capture-pane", "-p", "-t", "v")
        except BenchError:
            return ""

    def quit(self, timeout=5.0):
        """tty: the q key, then SIGTERM if it has not exited within `timeout` s, then the
        tmux server killed; batch: SIGINT (kbench.running's stop). Returns (how it ended,
        warning or None)."""
        if not self.tty:
            status, _, warning = _stop(self.p, self.err, 5.0, 20.0)
            return status, warning
        try:
            self._tmux("send-keys", "-t", "v", "q")
        except BenchError:
            pass
        t0, warning = time.monotonic(), None
        while time.monotonic() - t0 < timeout and not self.dead():
            time.sleep(0.05)
        status = "q"
        if not self.dead():
            warning = "did not quit within %.0f s of the q key: SIGTERM" % timeout
            status = "SIGTERM"
            try:
                os.kill(self.pid, signal.SIGTERM)
            except OSError:
                pass
            t0 = time.monotonic()
            while time.monotonic() - t0 < timeout and not self.dead():
                time.sleep(0.05)
        self.kill()
        return status, warning

    def kill(self, timeout=10.0):
        """The tmux server killed (its panes' processes get SIGHUP), and the view gone (not
        left behind, a daemon's orphan, as someone else's process): SIGKILL after `timeout`
        s; batch: SIGKILL"""
        if self.tty:
            subprocess.run(self.tmux + ["kill-server"], capture_output=True, timeout=30)
            t0 = time.monotonic()
            while os.path.exists("/proc/%d" % self.pid):
                if time.monotonic() - t0 > timeout:
                    try:
                        os.kill(self.pid, signal.SIGKILL)
                    except OSError:
                        pass
                    break
                time.sleep(0.05)
        elif self.p.returncode is None:
            try:
                self.p.kill()
                self.p.wait()
            except OSError:
                pass


HEADER_RE = re.compile(r"\bPID\b.*\b(COMM|COMMAND|Command)\b")


def _frame(text):
    """What a view showed: its column header (the line naming PID and the command) and the
    rows under it"""
    lines = text.splitlines()
    for i, ln in enumerate(lines):
        if HEADER_RE.search(ln):
            rows = [r for r in lines[i + 1:] if r.strip()]
            return {"header": " ".join(ln.split()), "columns": len(ln.split()),
                    "rows": len(rows), "top_lines": [" ".join(r.split()) for r in lines[:i]
                                                     if r.strip()][:6]}
    return None


def _last_batch_frame(path, frame_re):
    """The last complete refresh of a batch view's output"""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - 262144))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    starts = [m.start() for m in re.finditer(frame_re, text, re.M)]
    if len(starts) >= 2:
        return _frame(text[starts[-2]:starts[-1]])
    return _frame(text[starts[-1]:]) if starts else None


def _frames_between(path, frame_re, a, b):
    """Refreshes a batch view wrote between two output sizes (its stdio buffering moves
    each boundary by up to a buffer)"""
    try:
        with open(path, "rb") as f:
            f.seek(a)
            text = f.read(b - a).decode("utf-8", "replace")
    except OSError:
        return None
    return len(re.findall(frame_re, text, re.M))


def measure_view(ctx, tracer, window_s, tag):
    """One run of a view: started, attached (kscope), settled, then a window of
    `window_s` seconds of refreshes sampled at both ends, its screen (or last batch
    refresh) read, quit."""
    rec = {"tracer": tracer.key}
    busy = wait_quiet_cpu(ctx.tracer_cpu)
    view = View(ctx, tracer, tag)
    try:
        view.wait_attached(tracer.min_attach)
        rec["attached_s"] = round(time.monotonic() - view.t_start, 3)
        time.sleep(SETTLE_S)
        why = view.dead()
        if why:
            raise BenchError("%s %s" % (tracer.key, why))
        procs = count_processes()
        s0 = view.sample()
        time.sleep(window_s)
        s1 = view.sample()
        st = _status(view.pid)
        why = view.dead()
        if why:
            raise BenchError("%s %s during the window" % (tracer.key, why))
        frame = _frame(view.screen()) if view.tty else None
    except BaseException:
        view.kill()
        raise
    how, warning = view.quit()
    if not view.tty:
        frame = _last_batch_frame(view.out, tracer.frame_re)
    s = s1.t - s0.t
    refreshes = s / tracer.interval_s
    rec.update(window_s=round(s, 3), refreshes=refreshes, processes=procs,
               cpu_ns=s1.threads_ns - s0.threads_ns,
               stat_cpu_ns=s1.stat_ns - s0.stat_ns,
               children_cpu_ns=s1.children_ns - s0.children_ns,
               cpu_before_window_ns=s0.threads_ns,
               bpf_ns=s1.bpf_ns - s0.bpf_ns, bpf_runs=s1.bpf_runs - s0.bpf_runs,
               ctxt_per_s=(s1.ctxt - s0.ctxt) / s,
               machine_busy_pct=100.0 * (s1.busy - s0.busy) / max(1, s1.total - s0.total),
               vm_hwm_kb=st.get("VmHWM"), vm_rss_kb=st.get("VmRSS"), threads=st.get("Threads"),
               quit=how, frame=frame)
    # what it costs: its threads' time and its children's, per refresh
    rec["cpu_ns_per_refresh"] = (rec["cpu_ns"] + rec["children_cpu_ns"]) / refreshes
    if s0.server_ns is not None and s1.server_ns is not None:
        rec["terminal_cpu_ns"] = s1.server_ns - s0.server_ns
    if s0.out_bytes is not None:
        rec["frames_in_window"] = _frames_between(view.out, tracer.frame_re, s0.out_bytes,
                                                  s1.out_bytes)
    for w in (busy, warning):
        if w:
            rec.setdefault("warnings", []).append(w)
    if not frame:
        rec["error"] = "it showed no process table (no line naming PID and the command)"
    return rec


def run_topcpu(ctx, sc, keys, skipped, window_s, rounds_n, bpf_stats):
    """A warm-up (each view WARMUP_S, dropped), then `rounds_n` rounds (each view once per
    round, in an order that rotates), with kernel.bpf_stats_enabled on throughout if
    `bpf_stats`: what is measured is each view's own CPU time, which the stats do not
    change, and kscope's BPF time is read in the same window (the stats' own cost, two
    clock reads per program run, is in it: an overestimate)."""
    def one(k, w, tag, tries=8):
        for t in range(tries):
            procfs.SENTINEL.wait()
            t_begin = time.monotonic()
            try:
                rec = measure_view(ctx, TRACERS[k], w, tag)
            except BenchError as e:
                print("bench:   %s: %s" % (k, e), file=sys.stderr)
                return {"tracer": k, "error": str(e)}
            intruder = procfs.SENTINEL.since(t_begin)
            if not intruder:
                break
            rec.setdefault("warnings", []).append("%s ran during the measurement" % intruder)
            print("bench:   %s: %s ran during the measurement%s" % (
                k, intruder, ": measuring again" if t + 1 < tries else ""), file=sys.stderr)
        if "error" in rec:
            print("bench:   %s: %s" % (k, rec["error"]), file=sys.stderr)
        return rec

    from .storm import set_bpf_stats
    old = set_bpf_stats(1) if bpf_stats else None
    try:
        for k in keys:
            one(k, WARMUP_S, "%s-%s-warmup" % (sc.key, k))
        rounds = []
        for r in range(rounds_n):
            order = keys[r % len(keys):] + keys[:r % len(keys)]
            rec = {k: one(k, window_s, "%s-%s" % (sc.key, k)) for k in order}
            rounds.append(rec)
            print("bench:   round %d/%d: %s" % (r + 1, rounds_n, "  ".join(
                "%s %s ms (%s%% busy)" % (k, fmt(rec[k].get("cpu_ns_per_refresh") and
                                                rec[k]["cpu_ns_per_refresh"] / 1e6, "%.2f"),
                                         fmt(rec[k].get("machine_busy_pct")))
                for k in keys)), file=sys.stderr)
    finally:
        if old is not None:
            set_bpf_stats(old)
    return {
        "key": sc.key, "title": sc.title, "note": sc.note, "kind": sc.kind,
        "date": machine_date(), "machine": machine(), "rounds": rounds_n,
        "window_s": window_s, "settle_s": SETTLE_S, "tty": [TTY_COLS, TTY_ROWS],
        "bpf_stats_during_rounds": bool(bpf_stats),
        "workload_cpu": ctx.workload_cpu, "tracer_cpu": ctx.tracer_cpu,
        "reference": sc.reference, "order": keys, "skipped": skipped,
        "versions": _versions(ctx, keys),
        "labels": {k: TRACERS[k].label for k in sc.tracers},
        "tracers": {k: {"label": TRACERS[k].label, "note": TRACERS[k].note,
                        "argv": TRACERS[k].argv(ctx), "view": TRACERS[k].view,
                        "interval_s": TRACERS[k].interval_s} for k in keys},
        "summary": summarize_topcpu(sc, rounds), "raw": rounds,
    }


def _versions(ctx, keys):
    out = {}
    for pkg in ("procps", "htop", "tmux"):
        v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True,
                           text=True).stdout.strip()
        if v:
            out[pkg] = v
    try:
        out["kscope"] = subprocess.run([ctx.kscope, "--version"], capture_output=True,
                                       text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return out


# ---- summary -----------------------------------------------------------------


def _stats(v):
    v = [x for x in v if x is not None]
    return {"median": med(v), "min": min(v), "max": max(v), "rounds": v} if v else None


def _bpf_ms(r):
    """a record's BPF programs' time per refresh (ms), or None (no programs, or no stats)"""
    return r["bpf_ns"] / r["refreshes"] / 1e6 if r.get("bpf_runs") else None


def _total_ms(r):
    """a record's own CPU plus its BPF programs' time per refresh (ms)"""
    return r["cpu_ns_per_refresh"] / 1e6 + (_bpf_ms(r) or 0)


def summarize_topcpu(sc, rounds, _stats_rounds=None):
    s = {}
    for k in sc.tracers:
        if not any(k in r for r in rounds):
            continue
        rs = [r[k] for r in rounds if k in r and "error" not in r[k]]
        if not rs:
            s[k] = {"runs": 0}
            continue
        e = {"runs": len(rs)}
        e["cpu_ms_per_refresh"] = _stats([r["cpu_ns_per_refresh"] / 1e6 for r in rs])
        e["stat_cpu_ms_per_refresh"] = _stats([(r["stat_cpu_ns"] + r["children_cpu_ns"]) /
                                               r["refreshes"] / 1e6 for r in rs])
        e["bpf_ms_per_refresh"] = _stats([_bpf_ms(r) for r in rs])
        e["bpf_runs_per_refresh"] = _stats([r["bpf_runs"] / r["refreshes"] for r in rs
                                            if r.get("bpf_runs")])
        e["total_ms_per_refresh"] = _stats([_total_ms(r) for r in rs])
        e["terminal_cpu_ms_per_refresh"] = _stats([r["terminal_cpu_ns"] / r["refreshes"] / 1e6
                                                   for r in rs if "terminal_cpu_ns" in r])
        e["vm_hwm_kb"] = _stats([r["vm_hwm_kb"] for r in rs])
        e["vm_rss_kb"] = _stats([r["vm_rss_kb"] for r in rs])
        e["processes"] = _stats([r["processes"] for r in rs])
        e["ctxt_per_s"] = _stats([r["ctxt_per_s"] for r in rs])
        e["machine_busy_pct"] = _stats([r.get("machine_busy_pct") for r in rs])
        e["attached_s"] = _stats([r["attached_s"] for r in rs])
        e["frames_in_window"] = _stats([r.get("frames_in_window") for r in rs])
        e["refreshes"] = med([r["refreshes"] for r in rs])
        frames = [r["frame"] for r in rs if r.get("frame")]
        if frames:
            e["header"] = frames[-1]["header"]
            e["columns"] = frames[-1]["columns"]
            e["rows_shown"] = _stats([f["rows"] for f in frames])
        warns = sorted({w for r in rs for w in r.get("warnings", [])})
        if warns:
            e["warnings"] = warns
        s[k] = {f: v for f, v in e.items() if v is not None}
    # kscope's view against each peer's: the ratio of their CPU per refresh in each round
    # (both measured in it), and its median; the same with kscope's BPF time added
    for a, b in PAIRS:
        for what, get in (("ratios", lambda r: r["cpu_ns_per_refresh"] / 1e6),
                          ("total_ratios", _total_ms)):
            pairs = _pairs(rounds, a, b, get)
            if pairs and a in s and s[a].get("runs"):
                s[a].setdefault(what, {})[b] = {"median": med([x / y for x, y in pairs]),
                                                "rounds": [x / y for x, y in pairs]}
    return s


def _pairs(rounds, a, b, get=_total_ms):
    """[(get(a's record), b's CPU per refresh)] in ms, of the rounds where both ran"""
    return [(get(r[a]), r[b]["cpu_ns_per_refresh"] / 1e6)
            for r in rounds if "error" not in r.get(a, {"error": 1}) and
            "error" not in r.get(b, {"error": 1}) and r[b]["cpu_ns_per_refresh"] > 0]


# ---- tables --------------------------------------------------------------------


def _mm(st, spec="%.2f"):
    if not st:
        return "-"
    if fmt(st["min"], spec) == fmt(st["max"], spec):
        return fmt(st["median"], spec)
    return "%s (%s-%s)" % (fmt(st["median"], spec), fmt(st["min"], spec),
                           fmt(st["max"], spec))


TOPCPU_HEADERS = ["view", "CPU ms per refresh, median (min-max)", "BPF ms per refresh",
                  "CPU + BPF ms per refresh", "kscope top's (the same mode) CPU + BPF / this "
                  "one's CPU (per round)", "terminal (tmux) CPU ms per refresh", "peak RSS (VmHWM)",
                  "the machine: CPUs busy, context switches/s", "processes", "rows shown"]


def topcpu_rows(scen):
    s = scen["summary"]
    rows = []
    for k in scen["order"]:
        e = s.get(k, {})
        label = scen["labels"][k]
        if not e.get("runs"):
            err = next((r[k]["error"] for r in scen.get("raw", []) if "error" in r.get(k, {})),
                       "")
            rows.append([label, "(failed%s)" % (": " + err if err else "")] +
                        [""] * (len(TOPCPU_HEADERS) - 2))
            continue
        # kscope's view against this one: the median of the rounds' ratios
        mine = next((a for a, b in PAIRS if b == k and
                     s.get(a, {}).get("total_ratios", {}).get(k)), None)
        ratio = "-"
        if mine:
            t = s[mine]["total_ratios"][k]
            ratio = "%.2f (%s)" % (t["median"], ", ".join("%.2f" % x for x in t["rounds"]))
        bpf = e.get("bpf_ms_per_refresh")
        rows.append([label, _mm(e["cpu_ms_per_refresh"]), _mm(bpf, "%.2f") if bpf else "-",
                     _mm(e["total_ms_per_refresh"]), ratio,
                     _mm(e.get("terminal_cpu_ms_per_refresh")),
                     "%s (max %s)" % (_mib(e["vm_hwm_kb"]["median"]), _mib(e["vm_hwm_kb"]["max"]))
                     if e.get("vm_hwm_kb") else "-",
                     "%s%%, %s" % (_mm(e.get("machine_busy_pct"), "%.0f"),
                                   _mm(e.get("ctxt_per_s"), "%.0f")),
                     "%.0f" % e["processes"]["median"] if e.get("processes") else "-",
                     "%.0f" % e["rows_shown"]["median"] if e.get("rows_shown") else "-"])
    for k, why in scen.get("skipped", {}).items():
        rows.append([scen["labels"].get(k, k), "skipped: " + why] +
                    [""] * (len(TOPCPU_HEADERS) - 2))
    return rows


def _setup_text(scen):
    m = scen.get("setup") or {}
    out = []
    if "sleepers" in m:
        out.append("%d sleeping processes (`sleep infinity`) added to the machine's %d: %d "
                   "processes during the run" % (m["sleepers"], m["processes_before"],
                                                 m["processes_after"]))
    if "churn" in m:
        out.append("bench/churn.c on CPU %d throughout: %d fork+exec/s of short programs "
                   "that write files, %d open+write+close/s in bursts" % (
                       scen["workload_cpu"], m["churn"]["forks_per_s"],
                       m["churn"]["opens_per_s"]))
    return "; ".join(out)


def print_topcpu(scen, f=sys.stdout):
    print("\n== %s" % scen["title"], file=f)
    print("   %d rounds of a %d s window per view (after %.0f s of start-up); views on CPU %d; "
          "%s" % (scen["rounds"], scen["window_s"], scen["settle_s"], scen["tracer_cpu"],
                  _setup_text(scen)), file=f)
    _print_rows([TOPCPU_HEADERS] + topcpu_rows(scen), f)
    for k in scen["order"]:
        e = scen["summary"].get(k, {})
        if e.get("header"):
            print("   %s shows: %s" % (k, e["header"]), file=f)
        for w in e.get("warnings", []):
            print("   warning (%s): %s" % (k, w), file=f)
    for r in topcpu_targets({"scenarios": [scen]}):
        print("   target: %s: %s: %s %s" % (r[0], r[1], r[2].replace("**", ""), r[3]), file=f)


def topcpu_markdown(scen):
    v = scen.get("versions", {})
    out = ["%d rounds; in each, every view in turn (the order rotating) started alone on CPU "
           "%d with an empty HOME (its default settings), full-screen ones in a %dx%d pane of "
           "a private tmux server; after %.0f s (kscope: after it attached) its CPU time over "
           "the next %d s, per refresh (every view at a 1 s interval; its threads' schedstat "
           "time and its children's); %s; %s; %s.\n" % (
               scen["rounds"], scen["tracer_cpu"], scen["tty"][0], scen["tty"][1],
               scen["settle_s"], scen["window_s"],
               "kernel.bpf_stats_enabled on during the rounds (kscope's BPF time read in the "
               "same window)" if scen.get("bpf_stats_during_rounds") else "no BPF time "
               "(--no-bpf-stats)",
               _setup_text(scen) or "the machine's own processes", scen.get("date", ""))]
    if v:
        out.append("Versions: %s.\n" % "; ".join(t if t.startswith(p) else "%s %s" % (p, t)
                                                for p, t in v.items()))
    out.append("| " + " | ".join(TOPCPU_HEADERS) + " |")
    out.append("|---|" + "---:|" * (len(TOPCPU_HEADERS) - 1))
    for r in topcpu_rows(scen):
        out.append("| " + " | ".join(r) + " |")
    bpf = ["%s: %.0f program runs per refresh, %.0f ns per run" % (
               scen["labels"][k], e["bpf_runs_per_refresh"]["median"],
               e["bpf_ms_per_refresh"]["median"] * 1e6 / e["bpf_runs_per_refresh"]["median"])
           for k, e in ((k, scen["summary"].get(k, {})) for k in scen["order"])
           if e.get("bpf_runs_per_refresh") and e.get("bpf_ms_per_refresh")]
    if bpf:
        out.append("\nBPF (medians): " + "; ".join(bpf) + ".")
    per = []
    for k in scen["order"]:
        rs = [r[k] for r in scen.get("raw", []) if "error" not in r.get(k, {"error": 1})]
        if rs:
            per.append("%s %s" % (scen["labels"][k], ", ".join(
                "%.1f ms at %.0f%%" % (r["cpu_ns_per_refresh"] / 1e6, r["machine_busy_pct"])
                for r in rs)))
    if per:
        out.append("\nEach round's CPU per refresh, with how busy the machine's CPUs were in "
                   "that window (the view's own work included): " + "; ".join(per) + ".")
    shown = [(scen["labels"][k], scen["summary"][k]["header"]) for k in scen["order"]
             if scen["summary"].get(k, {}).get("header")]
    if shown:
        out.append("\nWhat each shows per process (its column header, last window):\n")
        for label, h in shown:
            out.append("- %s: `%s`" % (label, h))
    out.append("\n" + scen["note"])
    return "\n".join(out) + "\n"


# ---- targets -------------------------------------------------------------------


def _below(pairs, what, kb):
    """kscope top's ms per refresh below kb's in every round"""
    return below_every_round(pairs, what, "ms per refresh", "%.2f", kb, ratio="%.2f")


def topcpu_targets(doc):
    """[target, measured, verdict, margin], per top-cpu scenario: kscope top's CPU per
    refresh, its BPF programs' time in the same window added, against htop's (the issue's
    target) and top's, full-screen and batch; and its CPU alone"""
    rows = []
    for sc in doc["scenarios"]:
        if sc.get("kind") != "topcpu":
            continue
        where = "" if sc["key"] == "top-cpu" else " (%s)" % sc["key"]
        for a, b in PAIRS:
            if a not in sc["summary"] or b not in sc["summary"]:
                continue
            pb, peer = sc["labels"][b], sc["labels"][b].split(" (")[0]
            pairs = _pairs(sc.get("raw", []), a, b)
            if pairs:
                rows.append(_below(pairs, "%s%s: CPU + BPF time per refresh below %s's" % (
                    sc["labels"][a], where, pb), peer))
            pairs = _pairs(sc.get("raw", []), a, b, lambda r: r["cpu_ns_per_refresh"] / 1e6)
            if pairs and sc["summary"][a].get("bpf_ms_per_refresh"):
                rows.append(_below(pairs, "(no target) %s%s: its process's CPU alone per "
                                   "refresh below %s's" % (sc["labels"][a], where, pb), peer))
    return rows


def overhead_targets(doc):
    """[target, measured, verdict, margin]: the top-overhead storm: kscope top's added ns
    per read against syscount and the filetop-style script together (the reference), by
    the storm's clock (its CPU time; a verdict only where the difference is wider than the
    rounds' spread) and by BPF time (every bpf_stats round agreeing)"""
    sc = next((s for s in doc["scenarios"] if s["key"] == "top-overhead"), None)
    if not sc:
        return []
    rows, s = [], sc["summary"]
    ref = s.get(sc["reference"], {})
    pn = sc["labels"][sc["reference"]]
    for k in ("kscope-top-b", "kscope-top-j"):
        e = s.get(k, {})
        if e.get("added_ns") is None or ref.get("added_ns") is None:
            continue
        spread = max((x["added_max"] - x["added_min"]) / 2 for x in (e, ref))
        clock = "the storm's CPU time" if sc["workload"].get("clock") == "cpu_ns" else \
            "wall clock"
        row = ["%s: added ns per read below %s's (%s)" % (sc["labels"][k], pn, clock),
               "%+.0f vs %+.0f ns (paired medians of %d rounds; the rounds spread +-%.0f ns; "
               "slowdown %.3fx vs %.3fx)" % (e["added_ns"], ref["added_ns"], e["runs"], spread,
                                            e["slowdown"], ref["slowdown"])]
        if abs(e["added_ns"] - ref["added_ns"]) <= spread:
            row += ["**not resolved**", "the rounds' spread is wider than the difference"]
        elif e["added_ns"] < ref["added_ns"]:
            row += ["**met**", "%.2f of the peers'" % (e["added_ns"] / ref["added_ns"])
                    if ref["added_ns"] > 0 else ""]
        else:
            row += ["**missed**", "%+.0f ns more" % (e["added_ns"] - ref["added_ns"])]
        rows.append(row)
        pairs = [(r[k]["bpf"]["ns_per_op"], r[sc["reference"]]["bpf"]["ns_per_op"])
                 for r in sc.get("raw_bpf_stats", [])
                 if "bpf" in r.get(k, {}) and "bpf" in r.get(sc["reference"], {})]
        if pairs:
            a, b = med([p[0] for p in pairs]), med([p[1] for p in pairs])
            under = sum(1 for x, y in pairs if x < y)
            row = ["%s: BPF ns per read below %s's" % (sc["labels"][k], pn),
                   "%.0f vs %.0f ns (medians of %d bpf_stats rounds; per round %s)" % (
                       a, b, len(pairs), ", ".join("%.0f/%.0f" % p for p in pairs))]
            if under == len(pairs):
                row += ["**met**", "%.2f of the peers'" % (a / b) if b else ""]
            elif under == 0:
                row += ["**missed**", "%.2fx the peers'" % (a / b) if b else ""]
            else:
                row += ["**not resolved**", "the rounds disagree (%d of %d under)" % (
                    under, len(pairs))]
            rows.append(row)
    return rows

"""kbench.common: what every part uses: the configuration types (Ctx, Workload,
Tracer, Scenario, and a tracer's output Files), BenchError, and small helpers (a file's
text, a command's output, medians and quartiles, number formats, plain-text tables, the
machine's description)."""
import datetime
import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from typing import Callable, List, Optional

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(REPO, "bench")
SCHEMA = "kscope-bench/1"


# ---- configuration -----------------------------------------------------------


@dataclass
class Ctx:
    kscope: str
    bin: str               # build/bench: workload binaries, the floor loader
    work: str              # scratch: tracer outputs of the last round
    workload_cpu: int
    tracer_cpu: int
    verbose: bool = False
    data: str = "OUTFILE"  # the output file of the tracer being started (-o FILE)
    kscope_before: Optional[str] = None  # --kscope-before: an older build, for the soak
    # the block device a scenario's setup made for its workload (the disk scenarios):
    # {"path": "/dev/loop3", "name": "loop3", "scheduler": "none", ...}; None otherwise
    disk: Optional[dict] = None
    # the ports the scrape scenario's exporters listen on, by tracer key (free ones, picked
    # before each start)
    ports: dict = field(default_factory=dict)


@dataclass
class Workload:
    key: str
    label: str
    unit: str                                   # "switch": what one operation is
    argv: Callable[[Ctx, int], List[str]]       # (ctx, size) -> command
    ops: Callable[[dict], int]                  # parsed output -> operations done
    check: Callable[[dict], Optional[str]]      # parsed output -> warning or None
    describe: Callable[[int], str]              # size -> one line
    # parsed output -> events a tracer should report (streams: the timed operations;
    # counts: everything the workload did on its file, warm-up included)
    generated: Optional[Callable[[dict], int]] = None
    # the workload's time its ns per operation is made of: "elapsed_ns" (wall clock),
    # or "cpu_ns" (its own CPU time, which other tasks on its CPU do not inflate)
    clock: str = "elapsed_ns"


@dataclass
class Tracer:
    key: str
    label: str
    argv: Optional[Callable[[Ctx], List[str]]]  # None: no tracer (the baseline)
    needs: Callable[[Ctx], Optional[str]] = lambda ctx: None  # why it cannot run, or None
    min_attach: int = 1     # attachments (BPF links, perf events) that mean "attached"
    note: str = ""
    # streaming/counting scenarios: (Files, workload result) -> {"delivered": events of
    # the workload found in the output, "records": all of the workload's records,
    # "lost": losses the tool reported (None: it has no way to say), and "failed": why the
    # output is not a result at all (e.g. empty: a peer that attached nothing), which makes
    # the measurement an error, never a fast run}
    parse: Optional[Callable[["Files", dict], dict]] = None
    sigstop: bool = False   # overload: the tracer is stopped (SIGSTOP) during the workload,
                            # then resumed and sent one more event (a run of size 1)
    # more commands started with it, as one configuration ("the peers together"): each its
    # own process with its own output files (Files.more); attachments, CPU time and peak
    # RSS are summed over all of them, and all are stopped alike
    also: Optional[Callable[[Ctx], List[List[str]]]] = None
    # the top-cpu scenario (kbench.top): "tty": a full-screen view, run in a terminal (a
    # private tmux server); "batch": plain text to a file; its refresh interval (seconds)
    # and what marks one refresh in its batch output (a regular expression)
    view: str = ""
    interval_s: float = 1.0
    frame_re: str = ""


@dataclass
class Scenario:
    key: str
    title: str
    workload: Workload
    size: int                   # workload size (e.g. round trips)
    tracers: List[str]
    baseline: str = "none"
    reference: str = "runqlat"
    note: str = ""
    default: bool = True        # run without --scenario
    hooks: tuple = ()           # tracepoints someone else's tracer must not be on
    kind: str = "storm"         # "storm" (a workload under each tracer), "startup", "soak"
    drain: bool = False         # wait for the tracer to go quiet before reading its CPU
    delivered: str = ""         # "delivered" (streams) or "counted" (summaries): the
                                # tables' column for what parse() found
    # made before the scenario's first measurement, removed after its last (e.g. the disk
    # scenarios' loop device): setup(ctx) prepares the machine (and ctx), returns a
    # description of what it made (kept in the results) and the function that undoes it
    setup: Optional[Callable[[Ctx], tuple]] = None


@dataclass
class Files:
    out: str    # its stdout
    err: str    # its stderr
    data: str   # its -o FILE (kscope)
    more: list = field(default_factory=list)  # Tracer.also's commands' Files, in order


class BenchError(Exception):
    pass


# ---- helpers -----------------------------------------------------------------


def read(path):
    with open(path) as f:
        return f.read()


def _run(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def med(xs):
    return statistics.median(xs) if xs else None


def below_every_round(pairs, what, unit, spec, kb, ratio="%.2g"):
    """A target row [what, measured, verdict, margin] for "a below b" over paired rounds
    [(a, b)]: met when every round has a below b, missed when none does, else not resolved;
    with the medians (spec: a number's format; ratio: the margin's when met; kb: b's
    name)."""
    a, b = med([p[0] for p in pairs]), med([p[1] for p in pairs])
    under = sum(1 for x, y in pairs if x < y)
    row = [what, ("%s vs %s %s (medians of %d rounds; per round %s)" % (
        spec % a, spec % b, unit, len(pairs), ", ".join(
            ("%s/%s" % (spec, spec)) % p for p in pairs)))]
    if under == len(pairs):
        row += ["**met**", ("%s of %%s's" % ratio) % (a / b, kb) if b else ""]
    elif under == 0:
        row += ["**missed**", "%.2fx %s's" % (a / b, kb) if b else ""]
    else:
        row += ["**not resolved**", "the rounds disagree (%d of %d under): %.2fx by the "
                "medians" % (under, len(pairs), a / b if b else float("nan"))]
    return row


def quartiles(xs):
    if len(xs) < 2:
        return (xs[0], xs[0]) if xs else (None, None)
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def fmt(v, spec="%.0f", none="-"):
    return none if v is None else spec % v


def _mib(kb):
    return fmt(kb and kb / 1024, "%.1f MiB")


def _print_rows(rows, f):
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(len(rows[0]))]
    for r in rows:
        print("  " + "  ".join(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i])
                               for i, v in enumerate(r)).rstrip(), file=f)


# ---- machine -----------------------------------------------------------------


def machine():
    model = "?"
    try:
        for line in read("/proc/cpuinfo").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return None

    def pkg(name):
        return version(["dpkg-query", "-W", "-f=${Version}", name])

    return {"nproc": os.cpu_count(), "kernel": platform.release(), "cpu_model": model,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "libbpf_tools": pkg("libbpf-tools"), "bpftrace": pkg("bpftrace")}


def machine_date():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

#!/usr/bin/python3
"""
bench/run.py: kscope against no tracer and against peer tools, side by side.

    bench/run.py --kscope build/kscope --bin build/bench --out BENCHMARKS.json
    bench/run.py ... --scenario sched-storm-pipe --rounds 3     # a quick look
    bench/run.py ... --scenario open-stream --merge --out BENCHMARKS.json
    bench/run.py --render BENCHMARKS.json                       # tables only

The unit is a *scenario*: one workload (a program with an exact operation
count, e.g. bench/cswitch.c: 2 * N context switches, bench/sysstorm.c: N
getppid() calls) and the tracer configurations measured on it. Every
configuration of a scenario runs once per round, in an order that rotates from
round to round, so the slow drift of a shared machine hits them all alike. The
workload runs pinned to one CPU, the tracers (and this script) to another. Per
configuration we report the median over rounds of the workload's ns per
operation with min/max and IQR, the added ns per operation against the
baseline (no tracer) as the median of the per-round paired differences, that
added cost as a ratio to the reference peer's (runqlat for sched, syscount for
syscalls), the slowdown factor, the tracer's own CPU time during the workload
per operation, and its peak RSS (VmHWM).

A second, separate pass (unless --no-bpf-stats) turns on
kernel.bpf_stats_enabled and reads, per tracer, the kernel's own run_cnt and
run_time_ns of each of its BPF programs across the workload: the time spent
inside the program bodies per operation, without the trampoline and with
much less noise than wall-clock time. Stats cost time themselves, so the
wall-clock rounds never run with them on.

Benchmarks report, they never gate: nothing here fails on a number. The exit
status is non-zero only when the benchmark itself cannot run (no root,
missing binary, a workload that fails).

Streaming scenarios (open-stream, exec-stream, and the overload one) also
count what each tracer delivered: its output file (kscope -j -o FILE, a
peer's stdout, on tmpfs so disk writeback is not in the measurement) is
searched for the workload's own events (each run's workload uses a path
unique to that run), and the losses the tool itself reported are read
(kscope's "lost" records, "Lost N events" from perf-buffer peers). After
the workload the runner waits until the tracer has drained what it was
sent (its CPU use falls quiet) before it reads the tracer's CPU time, so
a tracer that batches its output is charged for all of it. Counting
scenarios (write-storm) read the count the tracer printed instead.

The start-up scenario (kind "startup") has no workload: bench/startup.c
runs each tracer, watches its file descriptors from the other CPU, and
reports the time from execve() to the last of its BPF attachments (links
and perf events, whatever the tool uses), its peak RSS (VmHWM) and its
steady RSS one second later; the same scenario records binary and
install sizes. --render also prints a table of the issue-6 targets with
kscope's measured values, from whatever scenarios the file holds.

The soak scenario (kind "soak", not run by default: --scenario soak) runs
kscope fileio for minutes (--soak-seconds, default 180) under a churn of
processes (bench/churn.c: 200 fork+exec/s of short programs that write
files, some exiting with files open, some threaded, plus bursts of 10000
open+write+close a second): it samples the tracer's RSS every second and
its fds/stats map entries every 5 s, and reports the RSS curve (start,
max, end, growth per minute after the first minute), the losses kscope
reported (lost records by reason), and whether the writer's writes were
all counted. --kscope-before BIN soaks a second build (an older commit)
in the same run, so the table shows before and after side by side.

--merge keeps the scenarios of an existing results file that this run
did not measure (each scenario records its own date and machine), so
one scenario can be re-measured without re-running the rest.

To add a workload or peer: write the workload under bench/ (it prints one
JSON object with at least "elapsed_ns" and its operation count), add a
Workload, add Tracers, and a Scenario that lists them (see SCENARIOS).
"""
import argparse
import json
import os
import platform
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

from kbench.common import (BenchError, Ctx, Files, REPO, SCHEMA, _mib, _print_rows, _run, fmt,
                           machine, machine_date, med, quartiles, read)
from kbench.parsers import _lines
from kbench.procfs import (SENTINEL, Sentinel, bpf_fds, fdinfo, prog_names, task_cpu_ns, vm_hwm_kb,
                           wait_no_foreign, wait_quiet_cpu)
from kbench.running import Running, run_workload
from kbench.scenarios import SCENARIOS
from kbench.tracers import TRACERS, _kscope_has


# ---- one measurement -------------------------------------------------------------


def measure(ctx, sc, tracer, size, tag, bpf_stats=False):
    """One run of the workload under one tracer configuration."""
    rec = {"tracer": tracer.key}
    SENTINEL.wait()
    t_begin = time.monotonic()
    run = Running(ctx, tracer, tag) if tracer.argv else None
    try:
        foreign = wait_no_foreign(sc.hooks, {run.pid} if run else set())
        busy = wait_quiet_cpu(ctx.workload_cpu)
        if run:
            cpu0 = task_cpu_ns(run.pid)
            _, progs0 = bpf_fds(run.pid)
            if tracer.sigstop:
                os.kill(run.pid, signal.SIGSTOP)
        try:
            res = run_workload(ctx, sc.workload, size)
        finally:
            if run and tracer.sigstop:
                os.kill(run.pid, signal.SIGCONT)
        if run:
            links, progs1 = bpf_fds(run.pid)
            names = prog_names() if bpf_stats else {}
            if sc.drain:
                # what it was sent and has not written yet is its work too
                drain_s = run.drain()
            if tracer.sigstop:
                # a perf buffer reports a loss (PERF_RECORD_LOST) only with the next event
                # on that CPU's buffer: give every tool one, from the workload's CPU
                run_workload(ctx, sc.workload, 1)
                drain_s += run.drain()
            cpu1 = task_cpu_ns(run.pid)
            hwm = vm_hwm_kb(run.pid)
        foreign = foreign or wait_no_foreign(sc.hooks, {run.pid} if run else set(), 0)
    except BaseException:
        if run:
            run.kill()
        raise
    ops = sc.workload.ops(res)
    rec.update(ns_per_op=res["elapsed_ns"] / ops, ops=ops, workload=res)
    intruder = SENTINEL.since(t_begin)
    if intruder:
        foreign = "%s ran during the measurement" % intruder
    if foreign:
        rec["foreign"] = True
    for warn in (foreign, busy, sc.workload.check(res)):
        if warn:
            rec.setdefault("warnings", []).append(warn)
    if not run:
        return rec
    status, ru, stop_warning = run.stop()
    rec.update(
        tracer_exit=status,
        attached_s=round(run.t_attached, 3), ready_s=round(run.t_ready, 3),
        tracer_cpu_ns=cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None,
        tracer_cpu_total_ns=int((ru.ru_utime + ru.ru_stime) * 1e9),
        vm_hwm_kb=hwm, maxrss_kb=ru.ru_maxrss,
        attachments=[(a.get("tp") or a.get("type") or a["kind"]) for a in run.links],
        output_bytes=os.path.getsize(run.out) + (os.path.getsize(run.data)
                                                  if os.path.exists(run.data) else 0))
    if sc.drain:
        rec["drain_s"] = round(drain_s, 3)
    if sc.delivered and tracer.parse:
        got = tracer.parse(Files(run.out, run.err, run.data), res)
        gen = (sc.workload.generated or sc.workload.ops)(res)
        rec.update(generated=gen, delivered=got["delivered"], records=got["records"],
                   lost=got["lost"])
        if "warm" in got:
            rec["delivered_warm"] = got["warm"]
            if tracer.sigstop and got["lost"] is not None:
                # all of the storm's events (warm-up included): each delivered or lost?
                rec["expected_all"] = gen + res.get("warmup", 0)
                rec["accounted"] = got["delivered"] + got["warm"] + got["lost"]
        if got["lost"] is not None and got["delivered"] <= gen:
            # the storm's events neither delivered nor reported lost (the tool's
            # lost count may include other processes' events: at least 0)
            rec["unaccounted"] = max(0, gen - got["delivered"] - got["lost"])
    if stop_warning:
        rec.setdefault("warnings", []).append(stop_warning)
    elif status != 0:
        rec.setdefault("warnings", []).append(
            "exited %d: %s" % (status, read(run.err)[-300:].strip()))
    if bpf_stats:
        tps = {a.get("prog_id"): a.get("tp") for a in links}
        per = {}
        for pid_, s1 in progs1.items():
            s0 = progs0.get(pid_, {"run_time_ns": 0, "run_cnt": 0})
            cnt, ns = s1["run_cnt"] - s0["run_cnt"], s1["run_time_ns"] - s0["run_time_ns"]
            if cnt:
                name = names.get(pid_, "prog%s" % pid_)
                if name in per:
                    name = "%s#%s" % (name, pid_)
                per[name] = {
                    "hook": tps.get(pid_), "runs": cnt, "ns": ns, "ns_per_run": ns / cnt,
                    "runs_per_op": cnt / ops}
        rec["bpf"] = {"progs": per,
                      "ns_per_op": sum(p["ns"] for p in per.values()) / ops,
                      "runs_per_op": sum(p["runs"] for p in per.values()) / ops}
    return rec


# ---- start-up, memory, size ------------------------------------------------------


def measure_startup(ctx, tracer, tag):
    """One start of a tracer under bench/startup.c: exec to attached, CPU used by
    then, VmHWM and VmRSS one second after it settled."""
    out = os.path.join(ctx.work, tag + ".out")
    err = os.path.join(ctx.work, tag + ".err")
    ctx.data = os.path.join(ctx.work, tag + ".data")
    busy = wait_quiet_cpu(ctx.tracer_cpu)
    argv = [os.path.join(ctx.bin, "startup"), "-c", str(ctx.tracer_cpu),
            "-C", str(ctx.workload_cpu), "-m", str(tracer.min_attach), "-s", "1000",
            "-S", "1000", "-o", out, "-e", err, "--"] + tracer.argv(ctx)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=180)
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise BenchError("%s: startup printed no JSON (%d): %s" % (
            tracer.key, r.returncode, r.stderr.strip()[-300:]))
    if res.get("error"):
        raise BenchError("%s: %s: %s" % (tracer.key, res["error"], read(err)[-300:].strip()))
    rec = {"tracer": tracer.key, "attached_ms": res["attached_ns"] / 1e6,
           "cpu_ms_attached": res["cpu_ns_attached"] / 1e6,
           "vm_hwm_kb": res["vm_hwm_kb"], "vm_rss_kb": res["vm_rss_kb"],
           "attachments": res["settled_count"], "exit": res["exit"],
           "timeline": res["timeline"]}
    if busy:
        rec["warnings"] = [busy]
    return rec


def summarize_startup(sc, rounds):
    s = {}
    for k in sc.tracers:
        rs = [r[k] for r in rounds if k in r and "error" not in r[k]]
        if not any(k in r for r in rounds):
            continue
        if not rs:
            s[k] = {"runs": 0}
            continue
        e = {"runs": len(rs)}
        for f in ("attached_ms", "cpu_ms_attached", "vm_hwm_kb", "vm_rss_kb"):
            v = [r[f] for r in rs if r.get(f) is not None and r[f] >= 0]
            if v:
                e[f] = med(v)
                e[f + "_min"], e[f + "_max"] = min(v), max(v)
        e["attachments"] = med([r["attachments"] for r in rs])
        warns = sorted({w for r in rs for w in r.get("warnings", [])})
        if warns:
            e["warnings"] = warns
        s[k] = e
    return s


def _elf_static(path):
    """An ELF executable without PT_INTERP (no dynamic loader)."""
    import struct
    with open(path, "rb") as f:
        h = f.read(64)
        if h[:4] != b"\x7fELF" or h[4] != 2:
            return False
        phoff, = struct.unpack_from("<Q", h, 32)
        phentsize, phnum = struct.unpack_from("<HH", h, 54)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    return all(struct.unpack_from("<I", ph, i * phentsize)[0] != 3 for i in range(phnum))


def _is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def _shared_libs(binary):
    """The shared libraries `binary` loads (ldd), as {path: bytes}."""
    libs = {}
    for line in _run(["ldd", binary]).splitlines():
        m = re.search(r"=> (/\S+)", line) or re.match(r"\s*(/\S+)", line)
        if m and os.path.exists(m.group(1)):
            p = os.path.realpath(m.group(1))
            libs[p] = os.path.getsize(p)
    return libs


def _installed_kb(pkg):
    v = _run(["dpkg-query", "-W", "-f=${Installed-Size}", pkg]).strip()
    return int(v) if v.isdigit() else None


def sizes(ctx):
    """Binary and install sizes: kscope as given (and a stripped copy), the
    libbpf-tools binaries (dpkg -L), bpftrace with the libraries it loads."""
    out = {}
    stripped = os.path.join(ctx.work, "kscope.stripped")
    for strip in ("strip", "llvm-strip"):
        if shutil.which(strip) and subprocess.run([strip, "-o", stripped, ctx.kscope],
                                                  capture_output=True).returncode == 0:
            break
    cmds = [c for c in ("proc", "sched", "syscall", "fileio", "doctor")
            if c == "doctor" or not _kscope_has(c)(ctx)]
    out["kscope"] = {"bytes": os.path.getsize(ctx.kscope),
                     "stripped_bytes": os.path.getsize(stripped)
                     if os.path.exists(stripped) else None,
                     "static": _elf_static(ctx.kscope), "commands": cmds,
                     "shared_libs": sum(_shared_libs(ctx.kscope).values())}
    names = [f for f in _run(["dpkg", "-L", "libbpf-tools"]).splitlines()
             if f.startswith("/usr/sbin/") and os.path.isfile(f) and _is_elf(f)]
    files = [f for f in names if not os.path.islink(f)]
    if files:
        libs = _shared_libs(files[0])
        out["libbpf-tools"] = {"binaries": len(files), "symlinks": len(names) - len(files),
                               "bytes": sum(os.path.getsize(f) for f in files),
                               "installed_kb": _installed_kb("libbpf-tools"),
                               "shared_libs": sorted(os.path.basename(p) for p in libs),
                               "shared_libs_bytes": sum(libs.values())}
    bt = shutil.which("bpftrace")
    if bt:
        libs = _shared_libs(bt)
        heavy = {p: n for p, n in libs.items()
                 if re.search(r"lib(LLVM|clang|bcc|bpfcc)", os.path.basename(p))}
        out["bpftrace"] = {"bytes": os.path.getsize(os.path.realpath(bt)),
                           "installed_kb": _installed_kb("bpftrace"),
                           "shared_libs": len(libs), "shared_libs_bytes": sum(libs.values()),
                           "llvm_clang_bcc": sorted(os.path.basename(p) for p in heavy),
                           "llvm_clang_bcc_bytes": sum(heavy.values())}
    return out


# ---- summaries ---------------------------------------------------------------------


def summarize(sc, rounds, stats_rounds):
    """rounds: list of {tracer key: record}; the same for stats_rounds."""
    keys = [k for k in sc.tracers if any(k in r for r in rounds)]
    good = {k: [r[k] for r in rounds if k in r and "error" not in r[k]] for k in keys}
    s = {}
    for k in keys:
        xs = [r["ns_per_op"] for r in good[k]]
        if not xs:
            s[k] = {"runs": 0}
            continue
        q1, q3 = quartiles(xs)
        e = {"runs": len(xs), "ns_per_op": xs, "median": med(xs), "min": min(xs),
             "max": max(xs), "q1": q1, "q3": q3}
        pairs = [(r[k]["ns_per_op"], r[sc.baseline]["ns_per_op"]) for r in rounds
                 if k in r and sc.baseline in r and "error" not in r[k]
                 and "error" not in r[sc.baseline]]
        if k != sc.baseline and pairs:
            d = [a - b for a, b in pairs]
            e.update(added_ns=med(d), added_min=min(d), added_max=max(d),
                     slowdown=med([a / b for a, b in pairs]))
        for f, out in (("tracer_cpu_ns", "tracer_cpu_ns_per_op"),):
            v = [r[f] / r["ops"] for r in good[k] if r.get(f) is not None]
            if v:
                e[out] = med(v)
        for f in ("tracer_cpu_total_ns", "vm_hwm_kb", "maxrss_kb", "ready_s"):
            v = [r[f] for r in good[k] if r.get(f) is not None]
            if v:
                e[f] = med(v)
        v = [r["vm_hwm_kb"] for r in good[k] if r.get("vm_hwm_kb") is not None]
        if v:
            e["vm_hwm_kb_max"] = max(v)
        # did the workload ever wait (sleep) while it ran? (workloads that report it)
        v = [r["workload"]["voluntary"] for r in good[k] if "voluntary" in r.get("workload", {})]
        if v:
            e["workload_voluntary_max"] = max(v)
        # streams: what reached the output, what the tool said it lost
        for f in ("generated", "delivered", "delivered_warm", "records", "lost", "unaccounted",
                  "drain_s"):
            v = [r[f] for r in good[k] if r.get(f) is not None]
            if v:
                e[f] = med(v)
                e[f + "_min"], e[f + "_max"] = min(v), max(v)
        v = [r["accounted"] == r["expected_all"] for r in good[k] if "accounted" in r]
        if v:
            e["exact_rounds"] = sum(v)
            e["expected_all"] = med([r["expected_all"] for r in good[k] if "accounted" in r])
        v = [r["tracer_cpu_ns"] / r["records"] for r in good[k]
             if r.get("tracer_cpu_ns") is not None and r.get("records")]
        if v:
            e["tracer_cpu_ns_per_event"] = med(v)
            e["events_per_op"] = med([r["records"] / r["ops"] for r in good[k]
                                      if r.get("records")])
        warns = sorted({w for r in good[k] for w in r.get("warnings", [])})
        if warns:
            e["warnings"] = warns
        st = [r[k]["bpf"] for r in stats_rounds if k in r and "bpf" in r[k]]
        if st:
            e["bpf_ns_per_op"] = med([b["ns_per_op"] for b in st])
            e["bpf_runs_per_op"] = med([b["runs_per_op"] for b in st])
            progs = {}
            for b in st:
                for name, p in b["progs"].items():
                    progs.setdefault(name, {"hook": p["hook"], "ns_per_run": [],
                                            "runs_per_op": []})
                    progs[name]["ns_per_run"].append(p["ns_per_run"])
                    progs[name]["runs_per_op"].append(p["runs_per_op"])
            e["bpf_progs"] = {n: {"hook": p["hook"], "ns_per_run": med(p["ns_per_run"]),
                                  "runs_per_op": med(p["runs_per_op"])}
                              for n, p in progs.items()}
        s[k] = e
    ref = s.get(sc.reference, {}).get("added_ns")
    ref_bpf = s.get(sc.reference, {}).get("bpf_ns_per_op")
    for k, e in s.items():
        if ref and ref > 0 and e.get("added_ns") is not None:
            e["ratio_vs_reference"] = e["added_ns"] / ref
        if ref_bpf and e.get("bpf_ns_per_op") is not None:
            e["bpf_ratio_vs_reference"] = e["bpf_ns_per_op"] / ref_bpf
    return s


# ---- output ----------------------------------------------------------------------


def _pair(e, lo, hi, spec="%+.0f"):
    return "%s..%s" % (fmt(e.get(lo), spec), fmt(e.get(hi), spec)) \
        if e.get(lo) is not None else "-"


def _delivered(t, e):
    """delivered/generated: the median, and the worst round if it differs"""
    if e.get("delivered") is None:
        return "-"
    v = "%d/%d" % (e["delivered"], e["generated"])
    if e.get("delivered_min") is not None and e["delivered_min"] != e["delivered"]:
        v += " (min %d)" % e["delivered_min"]
    return v


def _lost(t, e):
    if e.get("delivered") is None:
        return "-"
    if e.get("lost") is None:
        return "(no report)"
    v = "%d" % e["lost"]
    if e.get("lost_max") is not None and e["lost_max"] != e["lost"]:
        v += " (max %d)" % e["lost_max"]
    return v


COLUMNS = [
    # header, markdown header, value
    ("config", "configuration", lambda t, e: t),
    ("ns/{u} med", "ns/{unit} (median)", lambda t, e: fmt(e.get("median"))),
    ("[min-max]", "min-max", lambda t, e: "%s-%s" % (fmt(e.get("min")), fmt(e.get("max")))
     if e.get("min") is not None else "-"),
    ("IQR", "IQR", lambda t, e: "%s-%s" % (fmt(e.get("q1")), fmt(e.get("q3")))
     if e.get("q1") is not None else "-"),
    ("added", "added ns/{unit}", lambda t, e: fmt(e.get("added_ns"), "%+.0f")),
    ("added [min-max]", "added min..max", lambda t, e: _pair(e, "added_min", "added_max")),
    ("x {ref}", "added / {ref}'s", lambda t, e: fmt(e.get("ratio_vs_reference"), "%.2f")),
    ("slowdown", "slowdown", lambda t, e: fmt(e.get("slowdown"), "%.3fx")),
    ("BPF ns/{u}", "BPF ns/{unit} (bpf_stats)", lambda t, e: fmt(e.get("bpf_ns_per_op"), "%.0f")),
    ("BPF x {ref}", "BPF / {ref}'s", lambda t, e: fmt(e.get("bpf_ratio_vs_reference"), "%.2f")),
    ("tracer CPU ns/{u}", "tracer CPU ns/{unit}", lambda t, e: fmt(e.get("tracer_cpu_ns_per_op"),
                                                                    "%.2f")),
    ("peak RSS", "peak RSS (VmHWM)", lambda t, e: _mib(e.get("vm_hwm_kb"))),
]

# streaming and counting scenarios: what reached the output instead of the IQR
STREAM_COLUMNS = [
    ("config", "configuration", lambda t, e: t),
    ("ns/{u} med", "ns/{unit} (median)", lambda t, e: fmt(e.get("median"))),
    ("[min-max]", "min-max", lambda t, e: "%s-%s" % (fmt(e.get("min")), fmt(e.get("max")))
     if e.get("min") is not None else "-"),
    ("added", "added ns/{unit}", lambda t, e: fmt(e.get("added_ns"), "%+.0f")),
    ("added [min-max]", "added min..max", lambda t, e: _pair(e, "added_min", "added_max")),
    ("x {ref}", "added / {ref}'s", lambda t, e: fmt(e.get("ratio_vs_reference"), "%.3f")),
    ("slowdown", "slowdown", lambda t, e: fmt(e.get("slowdown"), "%.2fx")),
    ("BPF ns/{u}", "BPF ns/{unit} (bpf_stats)", lambda t, e: fmt(e.get("bpf_ns_per_op"), "%.0f")),
    ("CPU ns/{u}", "tracer CPU ns/{unit}", lambda t, e: fmt(e.get("tracer_cpu_ns_per_op"), "%.0f")),
    ("CPU ns/ev", "tracer CPU ns/event", lambda t, e: fmt(e.get("tracer_cpu_ns_per_event"),
                                                          "%.0f")),
    ("{dl}/generated", "{dl}/generated", _delivered),
    ("lost", "lost (reported)", _lost),
    ("unaccounted", "neither (silent loss)", lambda t, e: fmt(e.get("unaccounted"), "%d")
     if e.get("lost") is not None else "-"),
    ("peak RSS", "peak RSS (VmHWM)", lambda t, e: _mib(e.get("vm_hwm_kb_max"))),
]


def columns(scen):
    return STREAM_COLUMNS if scen.get("delivered") else COLUMNS


def headers(scen, md):
    unit = scen["workload"]["unit"]
    return [c[1 if md else 0].format(unit=unit, u=unit[:2], ref=scen["reference"],
                                     dl=scen.get("delivered") or "delivered")
            for c in columns(scen)]


def table_rows(scen):
    rows, cols = [], columns(scen)
    for k in scen["order"]:
        e = scen["summary"].get(k)
        if e is None:
            continue
        label = scen["labels"][k]
        if not e.get("runs"):
            rows.append([label] + ["(%s)" % scen.get("skipped", {}).get(k, "failed")] +
                        [""] * (len(cols) - 2))
            continue
        rows.append([c[2](label, e) for c in cols])
    for k, why in scen.get("skipped", {}).items():
        if k not in scen["summary"]:
            rows.append([scen["labels"].get(k, k), "skipped: " + why] + [""] * (len(cols) - 2))
    return rows


def print_table(scen, f=sys.stdout):
    print("\n== %s" % scen["title"], file=f)
    print("   %s; %s; %d rounds; workload on CPU %d, tracers on CPU %d" % (
        scen["workload"]["label"], scen["workload"]["size_text"], scen["rounds"],
        scen["workload_cpu"], scen["tracer_cpu"]), file=f)
    _print_rows([headers(scen, False)] + table_rows(scen), f)
    for k in scen["order"]:
        for w in scen["summary"].get(k, {}).get("warnings", []):
            print("   warning (%s): %s" % (k, w), file=f)


STARTUP_HEADERS = ["configuration", "exec to attached, ms (median)", "min-max",
                   "CPU ms by then", "attachments", "peak RSS (VmHWM)", "steady RSS (VmRSS)"]


def startup_rows(scen):
    rows = []
    for k in scen["order"]:
        e = scen["summary"].get(k, {})
        label = scen["labels"][k]
        if not e.get("runs"):
            rows.append([label, "(failed)"] + [""] * (len(STARTUP_HEADERS) - 2))
            continue
        rows.append([label, fmt(e.get("attached_ms"), "%.1f"),
                     "%s-%s" % (fmt(e.get("attached_ms_min"), "%.1f"),
                                fmt(e.get("attached_ms_max"), "%.1f")),
                     fmt(e.get("cpu_ms_attached"), "%.1f"), fmt(e.get("attachments")),
                     _mib(e.get("vm_hwm_kb")), _mib(e.get("vm_rss_kb"))])
    for k, why in scen.get("skipped", {}).items():
        rows.append([scen["labels"].get(k, k), "skipped: " + why] +
                    [""] * (len(STARTUP_HEADERS) - 2))
    return rows


def _mb(n):
    return fmt(n and n / 1e6, "%.2f MB")


def size_rows(sz):
    rows = []
    k = sz.get("kscope")
    if k:
        rows.append(["kscope", "1 %s binary, %d commands (%s)" % (
            "static" if k["static"] else "dynamic", len(k["commands"]),
            ", ".join(k["commands"])), "%s stripped (%s as built)" % (
            _mb(k["stripped_bytes"]), _mb(k["bytes"]))])
    lt = sz.get("libbpf-tools")
    if lt:
        rows.append(["libbpf-tools", "%d binaries in /usr/sbin (dpkg -L; %d more names are "
                     "symlinks), dynamic: %s" % (lt["binaries"], lt.get("symlinks", 0),
                                                 ", ".join(lt["shared_libs"])),
            "%s (package Installed-Size %s)" % (
                _mb(lt["bytes"]), _mb(lt["installed_kb"] and lt["installed_kb"] * 1024))])
    bt = sz.get("bpftrace")
    if bt:
        rows.append(["bpftrace", "binary + the %d shared libraries it loads (ldd), of which "
                     "%s" % (bt["shared_libs"], ", ".join(bt["llvm_clang_bcc"])),
                     "%s + %s = %s, %s of them LLVM/clang/bcc (package Installed-Size %s)" % (
                         _mb(bt["bytes"]), _mb(bt["shared_libs_bytes"]),
                         _mb(bt["bytes"] + bt["shared_libs_bytes"]),
                         _mb(bt["llvm_clang_bcc_bytes"]),
                         _mb(bt["installed_kb"] and bt["installed_kb"] * 1024))])
    return rows


def print_startup(scen, f=sys.stdout):
    print("\n== %s" % scen["title"], file=f)
    print("   %d rounds; tracer on CPU %d, watched from CPU %d" % (
        scen["rounds"], scen["tracer_cpu"], scen["workload_cpu"]), file=f)
    _print_rows([STARTUP_HEADERS] + startup_rows(scen), f)
    for r in size_rows(scen.get("sizes", {})):
        print("  %s: %s: %s" % tuple(r), file=f)


# ---- the issue-6 targets -------------------------------------------------------------


def _scen(doc, key):
    return next((s for s in doc["scenarios"] if s["key"] == key), None)


def _verdict(ok):
    return "**met**" if ok else "**missed**"


def targets(doc):
    """[target, kscope's value, met/missed, by how much] from the scenarios there are."""
    rows = []
    op = _scen(doc, "open-stream")
    for tk, how in (("kscope-fileio", ""), ("kscope-fileio-opens", " (--no-summary)")):
        if not op:
            break
        s = op["summary"]
        k, ref = s.get(tk, {}), s.get(op["reference"], {})
        if k.get("added_ns") is not None and ref.get("added_ns"):
            r = k["added_ns"] / ref["added_ns"]
            rows.append(["open stream%s: added ns per open <= 1/10 of opensnoop's" % how,
                         "%+.0f ns vs %+.0f ns: %.3f" % (k["added_ns"], ref["added_ns"], r),
                         _verdict(r <= 0.1), "%.1fx under the limit" % (0.1 / r) if r <= 0.1
                         else "%.1fx over (%+.0f ns too many)" % (
                             r / 0.1, k["added_ns"] - 0.1 * ref["added_ns"])])
    for key, tk, what in (("open-stream", "kscope-fileio", "open"),
                          ("open-stream", "kscope-fileio-opens", "open (--no-summary)"),
                          ("exec-stream", "kscope-proc", "exec")):
        sc = _scen(doc, key)
        if not sc or sc["summary"].get(tk, {}).get("delivered") is None:
            continue
        e = sc["summary"][tk]
        ok = e["lost_max"] == 0 and e["delivered_min"] == e["generated"]
        rows.append(["%s stream: zero lost events" % what,
                     "lost %d (max over %d rounds), delivered %d/%d (worst round)" % (
                         e["lost_max"], e["runs"], e["delivered_min"], e["generated"]),
                     _verdict(ok), "" if ok else "%d events short" % (
                         e["generated"] - e["delivered_min"])])
        v = e.get("tracer_cpu_ns_per_event")
        if v is not None:
            rows.append(["%s stream: tracer CPU per event < 0.5 us" % what,
                         "%.0f ns per event (%.1f events per %s)" % (
                             v, e.get("events_per_op", 1), what),
                         _verdict(v < 500), "%.0f%% of the limit" % (v / 5) if v < 500 else
                         "%.2fx the limit (%+.0f ns)" % (v / 500, v - 500)])
    ov = _scen(doc, "open-overload")
    if ov:
        s = ov["summary"]
        st, run_ = s.get("kscope-fileio-stopped", {}), s.get("kscope-fileio", {})
        if st.get("workload_voluntary_max") is not None:
            ok = st["workload_voluntary_max"] == 0
            rows.append(["overload: the workload is never blocked",
                         "the storm never slept (%d voluntary context switches, most in "
                         "any round), with the reader stopped" % st["workload_voluntary_max"],
                         _verdict(ok), ""])
        if st.get("added_ns") is not None and run_.get("added_ns") is not None:
            ok = st["added_ns"] <= max(run_["added_ns"] * 1.1, run_["added_ns"] + 50)
            rows.append(["overload: an event costs no more than with the reader keeping up",
                         "%+.0f ns per open with the reader stopped, %+.0f with it running" % (
                             st["added_ns"], run_["added_ns"]), _verdict(ok),
                         "" if ok else "%.2fx (%+.0f ns)" % (st["added_ns"] / run_["added_ns"],
                                                             st["added_ns"] - run_["added_ns"])])
        if st.get("exact_rounds") is not None:
            ok = st["exact_rounds"] == st["runs"] and (st.get("lost_min") or 0) > 0
            rows.append(["overload: lost events counted exactly and reported",
                         "delivered + lost = opens in %d of %d rounds (lost %d of %d, "
                         "reported as lost records)" % (st["exact_rounds"], st["runs"],
                                                        st.get("lost", 0),
                                                        st.get("expected_all", 0)),
                         _verdict(ok), ""])
    su = _scen(doc, "startup")
    if su:
        s = su["summary"]
        for k, cmd in (("kscope-proc", "proc"), ("kscope", "sched"),
                       ("kscope-syscall", "syscall"), ("kscope-fileio", "fileio")):
            e = s.get(k, {})
            if e.get("attached_ms") is None:
                continue
            v = e["attached_ms"]
            rows.append(["start-up to attached <= 30 ms: %s" % cmd,
                         "%.1f ms (median; %.1f-%.1f)" % (v, e["attached_ms_min"],
                                                          e["attached_ms_max"]),
                         _verdict(v <= 30), "%.1f ms to spare" % (30 - v) if v <= 30 else
                         "%.1f ms over (%.2fx)" % (v - 30, v / 30)])
        peaks = []
        for k, cmd in (("kscope-proc", "proc"), ("kscope", "sched"),
                       ("kscope-syscall", "syscall"), ("kscope-fileio", "fileio")):
            if s.get(k, {}).get("vm_hwm_kb_max") is not None:
                peaks.append((s[k]["vm_hwm_kb_max"], "%s at start-up" % cmd))
        for sc in doc["scenarios"]:
            if sc.get("kind", "storm") != "storm":
                continue
            for k, e in sc["summary"].items():
                if k.startswith("kscope") and not k.endswith("stopped") and \
                        e.get("vm_hwm_kb_max") is not None:
                    peaks.append((e["vm_hwm_kb_max"], "%s in %s" % (sc["labels"][k],
                                                                   sc["key"])))
        if peaks:
            top = max(peaks)
            ok = top[0] <= 12 * 1024
            rows.append(["peak RSS <= 12 MiB",
                         "%.1f MiB (the highest: %s; %d measurements)" % (
                             top[0] / 1024, top[1], len(peaks)),
                         _verdict(ok), "%.1f MiB to spare" % (12 - top[0] / 1024) if ok else
                         "%.1f MiB over" % (top[0] / 1024 - 12)])
        k = su.get("sizes", {}).get("kscope")
        if k and k.get("stripped_bytes"):
            ok = k["static"] and k["stripped_bytes"] <= 3e6
            rows.append(["one static binary, every command, <= 3 MB stripped",
                         "%s, %s stripped, %d commands" % (
                             "static" if k["static"] else "dynamic",
                             _mb(k["stripped_bytes"]), len(k["commands"])),
                         _verdict(ok), "%.1fx under" % (3e6 / k["stripped_bytes"])
                         if ok else ""])
    return rows


def markdown(doc):
    out = []
    for scen in doc["scenarios"]:
        out.append("### %s\n" % scen["title"])
        if scen.get("kind") == "soak":
            before = scen.get("kscope_before_commit") or scen.get("kscope_before")
            out.append("%s; %s per configuration, one after the other, tracers on CPU %d%s%s.\n"
                       % (scen["workload"]["label"], scen["workload"]["size_text"],
                          scen["tracer_cpu"], "; before: " + before if before else "",
                          "; " + scen["date"] if scen.get("date") else ""))
            hdr = soak_headers(scen)
            out.append("| " + " | ".join(hdr) + " |")
            out.append("|---|" + "---:|" * (len(hdr) - 1))
            for r in soak_rows(scen):
                out.append("| " + " | ".join(r) + " |")
            out.append("\nRSS every 30 s (MiB):\n")
            for c in soak_curves(scen):
                out.append("- " + c)
            out.append("")
            continue
        if scen.get("kind") == "startup":
            out.append("%d rounds, each tracer started on CPU %d and watched from CPU %d; "
                       "%s.\n" % (scen["rounds"], scen["tracer_cpu"], scen["workload_cpu"],
                                  scen.get("date", "")))
            out.append("| " + " | ".join(STARTUP_HEADERS) + " |")
            out.append("|---|" + "---:|" * (len(STARTUP_HEADERS) - 1))
            for r in startup_rows(scen):
                out.append("| " + " | ".join(r) + " |")
            if scen.get("sizes"):
                out.append("\n| binary | what | size |\n|---|---|---|")
                for r in size_rows(scen["sizes"]):
                    out.append("| " + " | ".join(r) + " |")
            out.append("")
            continue
        out.append("%s; %s; %d rounds, workload on CPU %d, tracers on CPU %d%s.\n" % (
            scen["workload"]["label"], scen["workload"]["size_text"], scen["rounds"],
            scen["workload_cpu"], scen["tracer_cpu"],
            "; " + scen["date"] if scen.get("date") else ""))
        cols = columns(scen)
        out.append("| " + " | ".join(headers(scen, True)) + " |")
        out.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(cols))) + "|")
        for r in table_rows(scen):
            out.append("| " + " | ".join(r) + " |")
        progs = []
        for k in scen["order"]:
            ps = scen["summary"].get(k, {}).get("bpf_progs", {})
            busy = ["%s %.0f" % (p["hook"] or n, p["ns_per_run"]) for n, p in ps.items()
                    if p.get("runs_per_op", 1) >= 0.01]
            if busy:
                progs.append("%s: %s" % (scen["labels"][k], ", ".join(busy)))
        if progs:
            unit = scen["workload"]["unit"]
            out.append("\nBPF ns per program run (bpf_stats, median; programs that ran at least "
                       "once per 100 %s%s): " % (unit, "es" if unit.endswith("ch") else "s") +
                       "; ".join(progs) + ".")
        out.append("")
    rows = targets(doc)
    if rows:
        out.append("### Targets (issue 6)\n")
        out.append("| target | kscope measured | verdict | margin |\n|---|---|---|---|")
        for r in rows:
            out.append("| " + " | ".join(r) + " |")
        out.append("")
    return "\n".join(out)


# ---- main --------------------------------------------------------------------------


def merge(old, new):
    """new's scenarios replace old's of the same key; old's others stay, in place.
    Each scenario keeps its own date, machine and settings."""
    for scen in old.get("scenarios", []):
        scen.setdefault("machine", old.get("machine"))
        scen.setdefault("date", old.get("machine", {}).get("date"))
        scen.setdefault("settings", old.get("settings"))
    for scen in new["scenarios"]:
        scen["settings"] = new["settings"]
    fresh = {s["key"]: s for s in new["scenarios"]}
    out = [fresh.pop(s["key"], s) for s in old.get("scenarios", [])]
    out += [s for s in new["scenarios"] if s["key"] in fresh]
    doc = dict(new)
    doc["scenarios"] = out
    doc["merged"] = True
    return doc


def run_startup(ctx, sc, keys, skipped, rounds_n):
    rounds = []
    for r in range(rounds_n):
        order = keys[r % len(keys):] + keys[:r % len(keys)]
        rec = {}
        for k in order:
            for t in range(8):
                SENTINEL.wait()
                t_begin = time.monotonic()
                try:
                    rec[k] = measure_startup(ctx, TRACERS[k], "%s-%s" % (sc.key, k))
                except BenchError as e:
                    print("bench:   %s: %s" % (k, e), file=sys.stderr)
                    rec[k] = {"tracer": k, "error": str(e)}
                intruder = SENTINEL.since(t_begin)
                if not intruder:
                    break
                rec[k].setdefault("warnings", []).append("%s ran during the measurement" %
                                                         intruder)
                print("bench:   %s: %s ran during the measurement%s" % (
                    k, intruder, ": measuring again" if t < 7 else ""), file=sys.stderr)
        rounds.append(rec)
        print("bench:   round %d/%d: %s" % (r + 1, rounds_n, "  ".join(
            "%s %s ms" % (k, fmt(rec[k].get("attached_ms"), "%.1f")) for k in keys)),
            file=sys.stderr)
    return {
        "key": sc.key, "title": sc.title, "note": sc.note, "kind": sc.kind,
        "date": machine_date(), "machine": machine(), "rounds": rounds_n,
        "workload_cpu": ctx.workload_cpu, "tracer_cpu": ctx.tracer_cpu,
        "reference": sc.reference, "order": keys, "skipped": skipped,
        "labels": {k: TRACERS[k].label for k in sc.tracers},
        "tracers": {k: {"label": TRACERS[k].label, "note": TRACERS[k].note,
                        "argv": TRACERS[k].argv(ctx)} for k in keys},
        "summary": summarize_startup(sc, rounds), "sizes": sizes(ctx), "raw": rounds,
    }


# ---- soak: a long run under churn -----------------------------------------------------


class MapCounter:
    """Entries of some of a process's BPF maps, by name: a walk of their keys
    (BPF_MAP_GET_NEXT_KEY) through the bpf() syscall, from ctypes, so the
    script needs no bpftool dump of megabytes of values every sample."""

    NR = {"x86_64": 321, "aarch64": 280}
    GET_NEXT_KEY, GET_FD_BY_ID, GET_INFO_BY_FD = 4, 14, 15

    def __init__(self, pid, names):
        import ctypes
        self.ct = ctypes
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.nr = self.NR.get(platform.machine())
        self.maps = {}
        if self.nr is None:
            return
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) != "anon_inode:bpf-map":
                    continue
            except OSError:
                continue
            mid = fdinfo(pid, fd).get("map_id")
            if not mid:
                continue
            mfd = self._bpf(self.GET_FD_BY_ID, struct.pack("I", int(mid)))
            if mfd < 0:
                continue
            info = self.ct.create_string_buffer(256)
            self._bpf(self.GET_INFO_BY_FD, struct.pack("IIQ", mfd, 256,
                                                       self.ct.addressof(info)))
            key_size = struct.unpack_from("I", info.raw, 12)[0]
            name = info.raw[24:40].split(b"\0")[0].decode()
            if name in names:
                self.maps[name] = (mfd, key_size)
            else:
                os.close(mfd)

    def _bpf(self, cmd, attr):
        buf = self.ct.create_string_buffer(attr, 128)
        return self.libc.syscall(self.nr, cmd, buf, 128)

    def count(self):
        out = {}
        for name, (fd, ks) in self.maps.items():
            key, nxt = self.ct.create_string_buffer(ks), self.ct.create_string_buffer(ks)
            n, prev = 0, 0
            while n < 1 << 20 and self._bpf(self.GET_NEXT_KEY, struct.pack(
                    "IIQQ", fd, 0, prev, self.ct.addressof(nxt))) == 0:
                n += 1
                self.ct.memmove(key, nxt, ks)
                prev = self.ct.addressof(key)
            out[name] = n
        return out

    def close(self):
        for fd, _ in self.maps.values():
            os.close(fd)
        self.maps = {}


def vm_kb(pid):
    """(VmRSS, VmHWM) in KiB"""
    v = {}
    try:
        for line in read("/proc/%d/status" % pid).splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                v[line[:5]] = int(line.split()[1])
    except OSError:
        pass
    return v.get("VmRSS"), v.get("VmHWM")


def parse_soak(data, res):
    """kscope fileio -j output: losses by reason, the writer's writes counted (file_stat
    rows of the workload's own pid), rows."""
    acc = {"lost": {}, "writes_counted": 0, "rows": 0}
    pid = '"pid":%d,' % res["pid"]
    for line in _lines(data):
        if line.startswith('{"type":"file_stat"'):
            acc["rows"] += 1
            if pid in line:
                acc["writes_counted"] += json.loads(line).get("writes", 0)
        elif line.startswith('{"type":"lost"'):
            r = json.loads(line)
            acc["lost"][r["reason"]] = acc["lost"].get(r["reason"], 0) + r["count"]
    return acc


def measure_soak(ctx, sc, tracer, seconds, tag):
    """One soak: the tracer attached, the churn for `seconds`, RSS every second and the
    fds/stats entries every 5 s meanwhile."""
    SENTINEL.wait()
    t_begin = time.monotonic()
    run = Running(ctx, tracer, tag)
    maps = None
    try:
        maps = MapCounter(run.pid, ("fds", "stats"))
        rss0, _ = vm_kb(run.pid)
        cpu0 = task_cpu_ns(run.pid)
        samples = []
        argv = sc.workload.argv(ctx, seconds)
        t0 = time.monotonic()
        w = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            i = 0
            while w.poll() is None:
                rss, hwm = vm_kb(run.pid)
                smp = {"t": round(time.monotonic() - t0, 1), "rss_kb": rss, "hwm_kb": hwm}
                if i % 5 == 0:
                    smp.update(maps.count())
                samples.append(smp)
                i += 1
                time.sleep(max(0.0, t0 + i - time.monotonic()))
            out, err = w.communicate(timeout=60)
        except BaseException:
            w.kill()
            w.wait()
            raise
        if w.returncode != 0:
            raise BenchError("%s failed (%d): %s" % (" ".join(argv), w.returncode,
                                                      err.strip()[-300:]))
        res = json.loads(out.strip().splitlines()[-1])
        run.drain()
        cpu1 = task_cpu_ns(run.pid)
        after = maps.count()
        rss_after, hwm = vm_kb(run.pid)
    except BaseException:
        run.kill()
        raise
    finally:
        if maps:
            maps.close()
    status, ru, stop_warning = run.stop()
    got = parse_soak(run.data, res)
    rec = {"tracer": tracer.key, "seconds": seconds, "workload": res, "samples": samples,
           "rss_before_kb": rss0, "rss_after_kb": rss_after, "hwm_kb": hwm,
           "maps_after": after, "tracer_cpu_ns": cpu1 - cpu0 if cpu0 and cpu1 else None,
           "tracer_exit": status, "lost": got["lost"], "rows": got["rows"],
           "writes_counted": got["writes_counted"], "writes_done": res["writer_writes"]}
    warns = [x for x in (sc.workload.check(res), stop_warning) if x]
    if status != 0 and not stop_warning:
        warns.append("exited %d: %s" % (status, read(run.err)[-300:].strip()))
    intruder = SENTINEL.since(t_begin)
    if intruder:
        warns.append("%s ran during the measurement" % intruder)
    if warns:
        rec["warnings"] = warns
    return rec


def _slope_per_min(samples, since):
    """Least-squares slope of RSS (KiB per minute) over the samples from `since` s on."""
    pts = [(x["t"], x["rss_kb"]) for x in samples if x["t"] >= since and x.get("rss_kb")]
    if len(pts) < 10:
        return None
    mt = sum(t for t, _ in pts) / len(pts)
    mr = sum(r for _, r in pts) / len(pts)
    den = sum((t - mt) ** 2 for t, _ in pts)
    return 60 * sum((t - mt) * (r - mr) for t, r in pts) / den if den else None


def summarize_soak(sc, raw):
    out = {}
    for k, r in raw.items():
        if "error" in r:
            out[k] = {"runs": 0, "error": r["error"]}
            continue
        smp = r["samples"]
        rss = [x["rss_kb"] for x in smp if x.get("rss_kb")]
        # after the first minute (or the second half of a shorter run): the steady state
        since = 60 if r["seconds"] >= 120 else r["seconds"] / 2
        e = {"runs": 1, "seconds": r["seconds"], "rss_before_kb": r["rss_before_kb"],
             "rss_start_kb": rss[0] if rss else None, "rss_max_kb": max(rss) if rss else None,
             "rss_end_kb": rss[-1] if rss else None, "hwm_kb": r["hwm_kb"],
             "growth_kb_per_min": _slope_per_min(smp, since), "growth_since_s": since,
             "curve_mib": [round(x["rss_kb"] / 1024, 1) for x in smp
                           if x.get("rss_kb") and int(x["t"]) % 30 == 0],
             "fds_max": max((x["fds"] for x in smp if "fds" in x), default=None),
             "stats_max": max((x["stats"] for x in smp if "stats" in x), default=None),
             "maps_after": r["maps_after"],
             "map_full": r["lost"].get("map_full", 0), "ringbuf": r["lost"].get("ringbuf", 0),
             "lost": r["lost"], "writes_counted": r["writes_counted"],
             "writes_done": r["writes_done"], "rows": r["rows"],
             "forks_per_s": r["workload"]["forks_per_s"],
             "opens_per_s": r["workload"]["opens_per_s"],
             "tracer_cpu_pct": r["tracer_cpu_ns"] and 100 * r["tracer_cpu_ns"] /
             (r["workload"]["elapsed_ns"] or 1)}
        if r.get("warnings"):
            e["warnings"] = r["warnings"]
        out[k] = e
    return out


SOAK_HEADERS = ["configuration", "RSS start", "RSS max", "RSS end", "growth/min (after {since})",
                "peak RSS (VmHWM)", "lost: map_full", "lost: ringbuf",
                "writer's writes counted", "fds / stats entries (max)", "tracer CPU"]


def _mib1(kb):
    return fmt(kb and kb / 1024, "%.1f MiB")


def soak_headers(scen):
    since = min((e.get("growth_since_s", 60) for e in scen["summary"].values()
                 if e.get("runs")), default=60)
    return [h.format(since="%.0f s" % since) for h in SOAK_HEADERS]


def soak_rows(scen):
    rows = []
    for k in scen["order"]:
        e = scen["summary"].get(k, {})
        label = scen["labels"][k]
        if not e.get("runs"):
            rows.append([label, "(%s)" % e.get("error", "failed")] + [""] * 9)
            continue
        g = e.get("growth_kb_per_min")
        rows.append([label, _mib1(e["rss_start_kb"]), _mib1(e["rss_max_kb"]),
                     _mib1(e["rss_end_kb"]),
                     "-" if g is None else "%+.2f MiB" % (g / 1024), _mib1(e["hwm_kb"]),
                     "%d" % e["map_full"], "%d" % e["ringbuf"],
                     "%d/%d" % (e["writes_counted"], e["writes_done"]),
                     "%s / %s" % (fmt(e["fds_max"]), fmt(e["stats_max"])),
                     fmt(e.get("tracer_cpu_pct"), "%.1f%%")])
    for k, why in scen.get("skipped", {}).items():
        rows.append([scen["labels"].get(k, k), "skipped: " + why] + [""] * 9)
    return rows


def soak_curves(scen):
    return ["%s: %s" % (scen["labels"][k], " ".join(
        "%.1f" % v for v in scen["summary"][k]["curve_mib"]))
        for k in scen["order"] if scen["summary"].get(k, {}).get("runs")]


def print_soak(scen, f=sys.stdout):
    print("\n== %s" % scen["title"], file=f)
    print("   %s; %s per configuration; tracers on CPU %d" % (
        scen["workload"]["label"], scen["workload"]["size_text"], scen["tracer_cpu"]), file=f)
    _print_rows([soak_headers(scen)] + soak_rows(scen), f)
    print("   RSS every 30 s (MiB):", file=f)
    for c in soak_curves(scen):
        print("     " + c, file=f)
    for k in scen["order"]:
        for w in scen["summary"].get(k, {}).get("warnings", []):
            print("   warning (%s): %s" % (k, w), file=f)


def run_soak(ctx, sc, keys, skipped, seconds, before_commit):
    raw = {}
    for k in keys:
        print("bench:   %s: %d s of churn" % (k, seconds), file=sys.stderr)
        try:
            raw[k] = measure_soak(ctx, sc, TRACERS[k], seconds, "%s-%s" % (sc.key, k))
        except BenchError as e:
            print("bench:   %s: %s" % (k, e), file=sys.stderr)
            raw[k] = {"tracer": k, "error": str(e)}
            continue
        r = raw[k]
        print("bench:   %s: RSS %s -> %s KiB, lost %s, writes %d/%d" % (
            k, r["samples"][0]["rss_kb"] if r["samples"] else "?", r["rss_after_kb"],
            r["lost"] or "none", r["writes_counted"], r["writes_done"]), file=sys.stderr)
    return {
        "key": sc.key, "title": sc.title, "note": sc.note, "kind": sc.kind,
        "date": machine_date(), "machine": machine(), "rounds": 1,
        "workload_cpu": None, "tracer_cpu": ctx.tracer_cpu,
        "workload": {"key": sc.workload.key, "label": sc.workload.label,
                     "unit": sc.workload.unit, "size": seconds,
                     "size_text": sc.workload.describe(seconds),
                     "argv": sc.workload.argv(ctx, seconds)},
        "reference": sc.reference, "order": keys, "skipped": skipped,
        "kscope_before": ctx.kscope_before, "kscope_before_commit": before_commit,
        "labels": {k: TRACERS[k].label for k in sc.tracers},
        "tracers": {k: {"label": TRACERS[k].label, "note": TRACERS[k].note,
                        "argv": TRACERS[k].argv(ctx)} for k in keys},
        "summary": summarize_soak(sc, raw), "raw": raw,
    }


def set_bpf_stats(value):
    path = "/proc/sys/kernel/bpf_stats_enabled"
    old = read(path).strip()
    with open(path, "w") as f:
        f.write(str(value))
    return old


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kscope", default=os.path.join(REPO, "build", "kscope"))
    ap.add_argument("--bin", default=os.path.join(REPO, "build", "bench"))
    ap.add_argument("--out", help="write the results (JSON) here")
    ap.add_argument("--scenario", action="append",
                    help="run only scenarios whose key contains this (repeatable); known: " +
                    ", ".join(s.key for s in SCENARIOS))
    ap.add_argument("--tracer", action="append",
                    help="only these tracer configurations (the baseline and reference are "
                         "always kept); known: " + ", ".join(TRACERS))
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--size", type=int, help="workload size (default: per scenario)")
    ap.add_argument("--bpf-stats-rounds", type=int, default=3,
                    help="rounds of the bpf_stats pass (0: none)")
    ap.add_argument("--no-bpf-stats", action="store_true")
    ap.add_argument("--workload-cpu", type=int, default=1)
    ap.add_argument("--tracer-cpu", type=int, default=0)
    ap.add_argument("--render", metavar="JSON", help="print the markdown tables of a results "
                    "file and exit")
    ap.add_argument("--resummarize", metavar="JSON", help="recompute a results file's "
                    "summaries from its raw rounds (after a change to the summary code), "
                    "in place, and exit")
    ap.add_argument("--wait-while", action="append", default=[], metavar="NAME",
                    help="before each measurement wait while a process whose name starts "
                         "with NAME runs (e.g. qemu-system), and measure again if one "
                         "started during it (repeatable)")
    ap.add_argument("--kscope-commit", help="the commit the kscope binary was built from "
                    "(recorded in the results)")
    ap.add_argument("--merge", action="store_true",
                    help="keep the scenarios of the existing --out file that this run does "
                         "not measure (those it measures are replaced)")
    ap.add_argument("--soak-seconds", type=int, default=180,
                    help="how long each configuration of the soak scenario runs (default 180)")
    ap.add_argument("--kscope-before", metavar="BIN",
                    help="soak: an older kscope build, soaked too (before-* configurations)")
    ap.add_argument("--kscope-before-commit", help="the commit --kscope-before was built from")
    ap.add_argument("--work", help="where tracer outputs go (default: /dev/shm/kscope-bench "
                    "if /dev/shm is there, so no disk writeback is measured; else BIN/out)")
    args = ap.parse_args()

    if args.render:
        with open(args.render) as f:
            print(markdown(json.load(f)))
        return 0
    if args.resummarize:
        with open(args.resummarize) as f:
            doc = json.load(f)
        known = {sc.key: sc for sc in SCENARIOS}
        for scen in doc["scenarios"]:
            sc = known.get(scen["key"])
            if not sc:
                continue
            if scen.get("kind") == "startup":
                scen["summary"] = summarize_startup(sc, scen["raw"])
            elif scen.get("kind") == "soak":
                scen["summary"] = summarize_soak(sc, scen["raw"])
            else:
                scen["summary"] = summarize(sc, scen["raw"], scen.get("raw_bpf_stats", []))
        with open(args.resummarize, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        return 0

    if os.geteuid() != 0:
        print("bench: needs root (loads BPF programs)", file=sys.stderr)
        return 1
    ncpu = os.cpu_count() or 1
    if ncpu < 2:
        print("bench: one CPU only: workload and tracers share it", file=sys.stderr)
        args.workload_cpu = args.tracer_cpu = 0
    for c in (args.workload_cpu, args.tracer_cpu):
        if c >= ncpu:
            print("bench: no CPU %d here" % c, file=sys.stderr)
            return 1
    if not os.access(args.kscope, os.X_OK):
        print("bench: %s missing (make bench builds it)" % args.kscope, file=sys.stderr)
        return 1
    if args.no_bpf_stats:
        args.bpf_stats_rounds = 0

    work = args.work or ("/dev/shm/kscope-bench" if os.path.isdir("/dev/shm") else
                         os.path.join(args.bin, "out"))
    os.makedirs(work, exist_ok=True)
    ctx = Ctx(os.path.abspath(args.kscope), os.path.abspath(args.bin), work,
              args.workload_cpu, args.tracer_cpu,
              kscope_before=args.kscope_before and os.path.abspath(args.kscope_before))
    # this script polls /proc while the workload runs: keep it off the workload's CPU
    os.sched_setaffinity(0, {ctx.tracer_cpu})
    global SENTINEL
    SENTINEL = Sentinel(args.wait_while)

    scenarios = [s for s in SCENARIOS if (any(a in s.key for a in args.scenario)
                                          if args.scenario else s.default)]
    if not scenarios:
        print("bench: no such scenario", file=sys.stderr)
        return 1
    for sc in scenarios:
        p = sc.workload.argv(ctx, 1)[0] if sc.workload else os.path.join(ctx.bin, "startup")
        if not os.access(p, os.X_OK):
            print("bench: %s missing (make bench builds it)" % p, file=sys.stderr)
            return 1
    stats_on = read("/proc/sys/kernel/bpf_stats_enabled").strip()
    if stats_on != "0":
        print("bench: warning: kernel.bpf_stats_enabled is already %s: every BPF program "
              "costs more in the timed rounds" % stats_on, file=sys.stderr)

    doc = {"schema": SCHEMA, "machine": machine(), "settings": {
        "rounds": args.rounds, "bpf_stats_rounds": args.bpf_stats_rounds,
        "workload_cpu": ctx.workload_cpu, "tracer_cpu": ctx.tracer_cpu,
        "bpf_stats_enabled_during_rounds": stats_on != "0",
        "kscope": ctx.kscope, "kscope_commit": args.kscope_commit,
        "kscope_version": _run([ctx.kscope, "--version"]).strip() or None,
        "wait_while": args.wait_while},
        "scenarios": []}
    t_all = time.monotonic()
    for sc in scenarios:
        size = args.size or (args.soak_seconds if sc.kind == "soak" else sc.size)
        keys, skipped = [], {}
        for k in sc.tracers:
            if args.tracer and k not in args.tracer and k not in (sc.baseline, sc.reference):
                continue
            why = TRACERS[k].needs(ctx)
            if why:
                skipped[k] = why
            else:
                keys.append(k)
        print("bench: %s: %s, %d rounds of %s" % (
            sc.key, sc.workload.describe(size) if sc.workload else "start-up",
            args.rounds, ", ".join(keys)), file=sys.stderr)
        for k, why in skipped.items():
            print("bench:   skipping %s: %s" % (k, why), file=sys.stderr)
        if sc.kind == "soak":
            scen = run_soak(ctx, sc, keys, skipped, args.size or args.soak_seconds,
                            args.kscope_before_commit)
            doc["scenarios"].append(scen)
            print_soak(scen)
            sys.stdout.flush()
            save(doc, args, t_all)
            continue
        if sc.kind == "startup":
            scen = run_startup(ctx, sc, keys, skipped, args.rounds)
            doc["scenarios"].append(scen)
            print_startup(scen)
            sys.stdout.flush()
            save(doc, args, t_all)
            continue

        def one(k, n, tag, stats=False, tries=8):
            """A measurement; again (up to `tries` in all) if another tracer was on
            the scenario's hooks or a --wait-while process ran, which makes it
            worthless."""
            for t in range(tries):
                try:
                    rec = measure(ctx, sc, TRACERS[k], n, tag, stats)
                except BenchError as e:
                    print("bench:   %s: %s" % (k, e), file=sys.stderr)
                    return {"tracer": k, "error": str(e)}
                if not rec.pop("foreign", False):
                    break
                print("bench:   %s: %s%s" % (
                    k, rec["warnings"][0], ": measuring again" if t + 1 < tries else ""),
                    file=sys.stderr)
            return rec

        # warm-up: page cache, first-load costs; results dropped
        for k in keys:
            one(k, max(1000, size // 10), "%s-%s-warmup" % (sc.key, k))
        rounds = []
        for r in range(args.rounds):
            order = keys[r % len(keys):] + keys[:r % len(keys)]
            rec = {}
            for k in order:
                rec[k] = one(k, size, "%s-%s" % (sc.key, k))
            rounds.append(rec)
            print("bench:   round %d/%d: %s" % (r + 1, args.rounds, "  ".join(
                "%s %s" % (k, fmt(rec[k].get("ns_per_op"))) for k in keys)), file=sys.stderr)
        stats_rounds = []
        if args.bpf_stats_rounds:
            old = set_bpf_stats(1)
            try:
                for r in range(args.bpf_stats_rounds):
                    stats_rounds.append({k: one(k, size, "%s-%s-stats" % (sc.key, k), True)
                                         for k in keys if TRACERS[k].argv})
            finally:
                set_bpf_stats(old)
        summary = summarize(sc, rounds, stats_rounds)
        scen = {
            "key": sc.key, "title": sc.title, "note": sc.note, "kind": sc.kind,
            "delivered": sc.delivered, "date": machine_date(), "machine": doc["machine"],
            "workload": {"key": sc.workload.key, "label": sc.workload.label,
                         "unit": sc.workload.unit, "size": size,
                         "size_text": sc.workload.describe(size),
                         "argv": sc.workload.argv(ctx, size)},
            "rounds": args.rounds, "workload_cpu": ctx.workload_cpu,
            "tracer_cpu": ctx.tracer_cpu, "baseline": sc.baseline, "reference": sc.reference,
            "order": keys, "skipped": skipped,
            "labels": {k: TRACERS[k].label for k in sc.tracers},
            "tracers": {k: {"label": TRACERS[k].label, "note": TRACERS[k].note,
                            "argv": TRACERS[k].argv(ctx) if TRACERS[k].argv else None}
                        for k in keys},
            "summary": summary, "raw": rounds, "raw_bpf_stats": stats_rounds,
        }
        doc["scenarios"].append(scen)
        print_table(scen)
        sys.stdout.flush()
        save(doc, args, t_all)
    if args.out:
        print("\nbench: results in %s (%.0f s); `bench/run.py --render %s` prints them as "
              "markdown" % (args.out, doc["settings"]["elapsed_s"], args.out))
    return 0


def save(doc, args, t_all):
    """Write what is measured so far (after every scenario: an interrupted run keeps
    its finished scenarios); with --merge, into the file's existing results."""
    doc["settings"]["elapsed_s"] = round(time.monotonic() - t_all, 1)
    if not args.out:
        return
    out = doc
    if args.merge:
        if not hasattr(args, "merge_base"):
            args.merge_base = None
            if os.path.exists(args.out):
                with open(args.out) as f:
                    args.merge_base = json.load(f)
        if args.merge_base:
            out = merge(json.loads(json.dumps(args.merge_base)), dict(doc, scenarios=list(
                doc["scenarios"])))
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.out)


if __name__ == "__main__":
    sys.exit(main())

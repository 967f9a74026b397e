"""kbench.storm: the storm scenarios (kind "storm": sched, syscall, the streams, the
write storm): one measurement of a workload under a tracer, the rounds and the bpf_stats
pass, their summary, and the text table."""
import os
import signal
import sys
import time

from . import procfs
from .common import (BenchError, Files, _mib, _print_rows, fmt, machine_date, med, quartiles,
                     read)
from .procfs import prog_names, wait_no_foreign, wait_quiet_cpu
from .running import Running, run_workload
from .tracers import TRACERS


# ---- one measurement ---------------------------------------------------------


def measure(ctx, sc, tracer, size, tag, bpf_stats=False):
    """One run of the workload under one tracer configuration."""
    rec = {"tracer": tracer.key}
    procfs.SENTINEL.wait()
    t_begin = time.monotonic()
    run = Running(ctx, tracer, tag) if tracer.argv else None
    try:
        foreign = wait_no_foreign(sc.hooks, set(run.pids()) if run else set())
        busy = wait_quiet_cpu(ctx.workload_cpu)
        if run:
            cpu0 = run.cpu_ns()
            _, progs0 = run.bpf()
            if tracer.sigstop:
                os.kill(run.pid, signal.SIGSTOP)
        try:
            res = run_workload(ctx, sc.workload, size)
        finally:
            if run and tracer.sigstop:
                os.kill(run.pid, signal.SIGCONT)
        if run:
            links, progs1 = run.bpf()
            names = prog_names() if bpf_stats else {}
            if sc.drain:
                # what it was sent and has not written yet is its work too
                drain_s = run.drain()
            if tracer.sigstop:
                # a perf buffer reports a loss (PERF_RECORD_LOST) only with the next event
                # on that CPU's buffer: give every tool one, from the workload's CPU
                run_workload(ctx, sc.workload, 1)
                drain_s += run.drain()
            cpu1 = run.cpu_ns()
            hwm = run.hwm_kb()
        foreign = foreign or wait_no_foreign(sc.hooks, set(run.pids()) if run else set(), 0)
    except BaseException:
        if run:
            run.kill()
        raise
    ops = sc.workload.ops(res)
    rec.update(ns_per_op=res[sc.workload.clock] / ops, ops=ops, workload=res)
    intruder = procfs.SENTINEL.since(t_begin)
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
        output_bytes=sum(os.path.getsize(o) for o, _ in run.files) + (
            os.path.getsize(run.data) if os.path.exists(run.data) else 0))
    if sc.drain:
        rec["drain_s"] = round(drain_s, 3)
    if sc.delivered and tracer.parse:
        got = tracer.parse(Files(run.out, run.err, run.data,
                                 [Files(o, e, "") for o, e in run.files[1:]]), res)
        gen = (sc.workload.generated or sc.workload.ops)(res)
        rec.update(generated=gen, delivered=got["delivered"], records=got["records"],
                   lost=got["lost"])
        if got.get("failed"):
            # not a result: a tool that printed nothing did not trace, however fast it was
            rec["error"] = "output: " + got["failed"]
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


def set_bpf_stats(value):
    path = "/proc/sys/kernel/bpf_stats_enabled"
    old = read(path).strip()
    with open(path, "w") as f:
        f.write(str(value))
    return old


def run_storm(ctx, sc, keys, skipped, size, rounds_n, bpf_stats_rounds, machine_info):
    """A storm scenario: a warm-up, `rounds_n` rounds (each configuration once per
    round, in an order that rotates), the bpf_stats pass; its results."""
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
        if "error" in rec:
            print("bench:   %s: %s" % (k, rec["error"]), file=sys.stderr)
        return rec

    # warm-up: page cache, first-load costs; results dropped
    for k in keys:
        one(k, max(1000, size // 10), "%s-%s-warmup" % (sc.key, k))
    rounds = []
    for r in range(rounds_n):
        order = keys[r % len(keys):] + keys[:r % len(keys)]
        rec = {}
        for k in order:
            rec[k] = one(k, size, "%s-%s" % (sc.key, k))
        rounds.append(rec)
        print("bench:   round %d/%d: %s" % (r + 1, rounds_n, "  ".join(
            "%s %s" % (k, fmt(rec[k].get("ns_per_op"))) for k in keys)), file=sys.stderr)
    stats_rounds = []
    if bpf_stats_rounds:
        old = set_bpf_stats(1)
        try:
            for r in range(bpf_stats_rounds):
                stats_rounds.append({k: one(k, size, "%s-%s-stats" % (sc.key, k), True)
                                     for k in keys if TRACERS[k].argv})
        finally:
            set_bpf_stats(old)
    summary = summarize(sc, rounds, stats_rounds)
    scen = {
        "key": sc.key, "title": sc.title, "note": sc.note, "kind": sc.kind,
        "delivered": sc.delivered, "date": machine_date(), "machine": machine_info,
        "workload": {"key": sc.workload.key, "label": sc.workload.label,
                     "unit": sc.workload.unit, "clock": sc.workload.clock, "size": size,
                     "size_text": sc.workload.describe(size),
                     "argv": sc.workload.argv(ctx, size)},
        "rounds": rounds_n, "workload_cpu": ctx.workload_cpu,
        "tracer_cpu": ctx.tracer_cpu, "baseline": sc.baseline, "reference": sc.reference,
        "order": keys, "skipped": skipped,
        "labels": {k: TRACERS[k].label for k in sc.tracers},
        "tracers": {k: {"label": TRACERS[k].label, "note": TRACERS[k].note,
                        "argv": TRACERS[k].argv(ctx) if TRACERS[k].argv else None}
                    for k in keys},
        "summary": summary, "raw": rounds, "raw_bpf_stats": stats_rounds,
    }
    return scen


# ---- summaries ---------------------------------------------------------------


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


# ---- output ------------------------------------------------------------------


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
            err = next((r[k]["error"] for r in scen.get("raw", [])
                        if "error" in r.get(k, {})), "")
            rows.append([label] + ["(%s)" % scen.get("skipped", {}).get(
                k, "failed" + (": " + err if err else ""))] + [""] * (len(cols) - 2))
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

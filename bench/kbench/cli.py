"""kbench.cli: bench/run.py's command line: --render, --resummarize, or a run of the
scenarios chosen, saved (and merged with --merge) after each one."""
import argparse
import json
import os
import signal
import sys
import time

from . import procfs
from .common import REPO, SCHEMA, BenchError, Ctx, _run, machine, read
from .render import container_note, markdown
from .scenarios import SCENARIOS
from .scrape import agent_cost_rows, print_scrape, run_scrape, summarize_scrape
from .soak import print_soak, run_soak, summarize_soak
from .startup import print_startup, run_startup, summarize_startup
from .storm import print_table, run_storm, summarize
from .top import overhead_targets, print_topcpu, run_topcpu, summarize_topcpu
from .tracers import TRACERS


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


def main(docstring):
    """The command line; docstring: bench/run.py's, whose first paragraph is --help's
    description."""
    ap = argparse.ArgumentParser(description=docstring.split("\n\n")[0],
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
            elif scen.get("kind") == "scrape":
                scen["summary"] = summarize_scrape(sc, scen["raw"])
            elif scen.get("kind") == "topcpu":
                scen["summary"] = summarize_topcpu(sc, scen["raw"], scen.get("raw_bpf_stats", []))
            else:
                scen["summary"] = summarize(sc, scen["raw"], scen.get("raw_bpf_stats", []))
        with open(args.resummarize, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        return 0

    if os.geteuid() != 0:
        print("bench: needs root (loads BPF programs)", file=sys.stderr)
        return 1
    # SIGINT and SIGTERM end the run through its finally clauses (a scenario's setup undone:
    # the loop device detached, top-cpu's sleeping processes killed), also when it was
    # started in the background of a shell, which starts it with SIGINT ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(128 + sig))
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
    procfs.SENTINEL = procfs.Sentinel(args.wait_while)

    scenarios = [s for s in SCENARIOS if (any(a in s.key for a in args.scenario)
                                          if args.scenario else s.default)]
    if not scenarios:
        print("bench: no such scenario", file=sys.stderr)
        return 1
    for sc in scenarios:
        if sc.kind == "topcpu":
            continue    # no workload: the views themselves (their needs say what is missing)
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
            sc.key, sc.workload.describe(size) if sc.workload else
            "a %d s window per view" % size if sc.kind == "topcpu" else "start-up",
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
        if sc.kind == "scrape":
            scen = run_scrape(ctx, sc, keys, skipped, size, args.rounds)
            doc["scenarios"].append(scen)
            print_scrape(scen)
            sys.stdout.flush()
            save(doc, args, t_all)
            continue
        if sc.kind == "topcpu":
            made, undo = sc.setup(ctx) if sc.setup else (None, None)
            try:
                scen = run_topcpu(ctx, sc, keys, skipped, size, args.rounds,
                                  args.bpf_stats_rounds > 0)
            finally:
                if undo:
                    undo()
            scen["setup"] = made
            doc["scenarios"].append(scen)
            print_topcpu(scen)
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

        made, undo = None, None
        if sc.setup:
            try:
                made, undo = sc.setup(ctx)
            except BenchError as e:
                print("bench: %s: cannot set up: %s" % (sc.key, e), file=sys.stderr)
                return 1
        try:
            scen = run_storm(ctx, sc, keys, skipped, size, args.rounds,
                             args.bpf_stats_rounds, doc["machine"])
        finally:
            if undo:
                undo()
        if made:
            scen["setup"] = made
        doc["scenarios"].append(scen)
        print_table(scen)
        note = container_note(scen) if scen["key"] == "container-mix" else None
        if note:
            print("   " + note.replace("**", ""))
        for r in agent_cost_rows({"scenarios": [scen]}) + \
                overhead_targets({"scenarios": [scen]}):
            print("   %s: %s: %s %s" % (r[0], r[1], r[2].replace("**", ""), r[3]))
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

"""kbench.render: a results file as markdown (--render): each scenario's table, and
the targets tables (diskio, memory, security, issue 14, issue 6) with kscope's measured
values."""
from .common import med
from .scenarios import CONTAINER_PARTS
from .scrape import agent_cost_rows, agent_targets, scrape_markdown
from .soak import soak_curves, soak_headers, soak_rows
from .startup import STARTUP_HEADERS, _mb, size_rows, startup_rows
from .storm import columns, headers, table_rows
from .top import overhead_targets, topcpu_markdown, topcpu_targets


# ---- the issue-6 targets -----------------------------------------------------


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


def net_targets(doc):
    """[target, kscope's value, met/missed, by how much]: issue 14's cost targets."""
    rows = []
    co = _scen(doc, "net-conn")
    if co:
        s = co["summary"]
        k, ref = s.get("kscope-net", {}), s.get(co["reference"], {})
        if k.get("added_ns") is not None and ref.get("added_ns"):
            r = k["added_ns"] / ref["added_ns"]
            rows.append(["per connection: added cost <= tcplife's",
                         "%+.0f ns vs %+.0f ns per connection: %.2f" % (
                             k["added_ns"], ref["added_ns"], r),
                         _verdict(r <= 1), "%.1fx under" % (1 / r) if 0 < r <= 1 else
                         "%.2fx (%+.0f ns)" % (r, k["added_ns"] - ref["added_ns"])])
        for tk in ("kscope-net", "tcplife", "tcpstates"):
            e = s.get(tk, {})
            if e.get("delivered") is None:
                continue
            ok = e["lost_max"] == 0 and e["delivered_min"] == e["generated"]
            full = sum(1 for r in co["raw"] if r.get(tk, {}).get("delivered") is not None and
                       r[tk]["delivered"] == r[tk]["generated"])
            rows.append(["per connection: every side reported (%s)" % co["labels"][tk],
                         "complete in %d of %d rounds; the worst: %d/%d sides, %d events "
                         "reported lost" % (full, e["runs"], e["delivered_min"], e["generated"],
                                            e["lost_max"]),
                         "**complete**" if ok else "**incomplete**",
                         "" if ok else "%d sides short in the worst round" % (
                             e["generated"] - e["delivered_min"])])
    for key in ("net-bulk", "net-bulk-cpu", "net-bulk-16k", "net-bulk-16k-cpu"):
        bu = _scen(doc, key)
        if not bu:
            continue
        e, base = bu["summary"].get("kscope-net", {}), bu["summary"].get("none", {})
        if e.get("slowdown") is None:
            continue
        what = ("16 KiB" if "16k" in key else "1 MiB") + " writes"
        clock = "CPU time" if key.endswith("-cpu") else "wall clock"
        v = e["slowdown"]
        # half the range of the paired differences, as a share of the untraced time: a
        # wall-clock verdict finer than that is noise
        spread = (e["added_max"] - e["added_min"]) / 2 / base["median"]
        row = ["bulk (%s): throughput within 2%% of untraced (%s)" % (what, clock),
               "%.3fx the time (paired median of %d rounds; the rounds spread +-%.1f%%)" % (
                   v, e["runs"], spread * 100)]
        if spread > 0.02:
            row += ["**not resolved**", "the rounds' spread is wider than the target"]
        else:
            row += [_verdict(v <= 1.02), "%.1f%% to spare" % ((1.02 - v) * 100) if v <= 1.02
                    else "%.1f%% over" % ((v - 1.02) * 100)]
        rows.append(row)
        if e.get("bpf_ns_per_op") is not None and base.get("median"):
            f = e["bpf_ns_per_op"] / base["median"]
            rows.append(["bulk (%s): time in kscope's BPF programs <= 2%% of the untraced "
                         "(%s)" % (what, clock),
                         "%.0f ns per MiB of %.0f: %.2f%%" % (e["bpf_ns_per_op"],
                                                             base["median"], f * 100),
                         _verdict(f <= 0.02), "%.1fx under" % (0.02 / f) if f <= 0.02 else
                         "%.1fx over" % (f / 0.02)])
    return rows


def _bpf_target(sc, tk, peer, what, k, p, peer_name=None):
    """BPF time per operation (a disk scenario's request, the fault storm's fault) against
    a peer's: the medians' ratio, and a verdict only where every bpf_stats round agrees
    (each round runs both, side by side): a round spreads by more than a hundred ns here,
    so a median a few percent apart is noise."""
    unit = sc["workload"]["unit"]
    pairs = [(r[tk]["bpf"]["ns_per_op"], r[peer]["bpf"]["ns_per_op"])
             for r in sc.get("raw_bpf_stats", [])
             if "bpf" in r.get(tk, {}) and "bpf" in r.get(peer, {})]
    under = sum(1 for a, b in pairs if a <= b)
    r = k["bpf_ns_per_op"] / p["bpf_ns_per_op"]
    row = ["%s: BPF time per %s <= %s's" % (what, unit, peer_name or
                                           sc["labels"][peer].split(" (")[0]),
           "%.0f ns vs %.0f ns per %s: %.2f; at most the peer's in %d of %d rounds "
           "(%s)" % (k["bpf_ns_per_op"], p["bpf_ns_per_op"], unit, r, under, len(pairs),
                    ", ".join("%.0f/%.0f" % ab for ab in pairs))]
    if pairs and under == len(pairs):
        row += [_verdict(True), "%.2fx" % r]
    elif pairs and under == 0:
        row += [_verdict(False), "%.2fx (%+.0f ns)" % (r, k["bpf_ns_per_op"] -
                                                      p["bpf_ns_per_op"])]
    else:
        row += ["**not resolved**", "the rounds disagree: %.2fx by the medians" % r]
    return row


def _wall_target(sc, what, k, ref, peer_name):
    """Added ns per operation (the wall clock) against the reference peer's: a verdict
    only where both differ by more than the rounds' spread."""
    # half the range of the paired differences (the wider of the two): a verdict on a
    # difference smaller than that, or on a reference cost that cannot be told from 0, is
    # noise
    spread = max((e["added_max"] - e["added_min"]) / 2 for e in (k, ref))
    row = ["%s: added ns per %s <= %s's (wall clock)" % (what, sc["workload"]["unit"],
                                                         peer_name),
           "%+.0f ns vs %+.0f ns (paired medians of %d rounds; the rounds spread "
           "+-%.0f ns)" % (k["added_ns"], ref["added_ns"], k["runs"], spread)]
    if ref["added_ns"] <= spread or abs(k["added_ns"] - ref["added_ns"]) <= spread:
        row += ["**not resolved**", "the rounds' spread is wider than the costs compared"]
    else:
        ok = k["added_ns"] <= ref["added_ns"]
        r = k["added_ns"] / ref["added_ns"]
        row += [_verdict(ok), "%.2f of %s's" % (r, peer_name)]
    return row


def disk_targets(doc):
    """[target, measured, verdict, margin]: the diskio issue's target (added cost per
    request at most biolatency's, while reporting queue and device time per device and
    cgroup), by the wall clock and by BPF time, and kscope's exact count."""
    rows = []
    for key in ("disk-storm", "disk-storm-mq"):
        sc = _scen(doc, key)
        if not sc:
            continue
        s = sc["summary"]
        ref = s.get(sc["reference"], {})
        sched = sc.get("setup", {}).get("scheduler") or key
        for tk in ("kscope-diskio-cgroup", "kscope-diskio"):
            k = s.get(tk)
            if not k or not k.get("runs"):
                continue
            what = "%s, %s" % (sc["labels"][tk], sched)
            if k.get("added_ns") is not None and ref.get("added_ns") is not None:
                rows.append(_wall_target(sc, what, k, ref, "biolatency"))
            for peer in (sc["reference"], "biolatency-Q"):
                p = s.get(peer, {})
                if k.get("bpf_ns_per_op") is None or not p.get("bpf_ns_per_op"):
                    continue
                rows.append(_bpf_target(sc, tk, peer, what, k, p))
            if k.get("delivered") is not None:
                exact = sum(1 for r in sc["raw"] if r.get(tk, {}).get("delivered") is not None
                            and "error" not in r[tk]
                            and r[tk]["delivered"] == r[tk]["generated"])
                ok = exact == k["runs"]
                rows.append(["%s: every write request of the storm counted, exact bytes and "
                             "queue times" % what,
                             "exact in %d of %d rounds (the worst: %d/%d)" % (
                                 exact, k["runs"], k["delivered_min"], k["generated"]),
                             _verdict(ok), "" if ok else "%d requests short in the worst "
                             "round" % (k["generated"] - k["delivered_min"])])
    return rows


# slack over the process's own minor faults (ru_minflt at its last getrusage): what it
# faults after it (printf's buffer, exit)
MEM_SLACK = 16


def mem_targets(doc):
    """[target, measured, verdict, margin]: the memory issue's targets on the fault storm:
    kscope memory's added cost per fault below the bpftrace one-liner's (by BPF time and by
    the wall clock), its OOM path idle without an OOM (its mark_victim program never ran
    in the bpf_stats rounds, attached in all of them), and its count of the storm's write
    faults exact."""
    rows = []
    sc = _scen(doc, "fault-storm")
    if not sc:
        return rows
    s = sc["summary"]
    ref = s.get(sc["reference"], {})
    peer = "the bpftrace one-liner"
    tk = "kscope-memory"
    k = s.get(tk)
    if not k or not k.get("runs"):
        return rows
    what = sc["labels"][tk]
    if k.get("bpf_ns_per_op") is not None and ref.get("bpf_ns_per_op"):
        rows.append(_bpf_target(sc, tk, sc["reference"], what, k, ref, peer))
    if k.get("added_ns") is not None and ref.get("added_ns") is not None:
        rows.append(_wall_target(sc, what, k, ref, peer))
    # the OOM path: every bpf_stats round had kscope's program on mark_victim attached,
    # and none counted a run of it (the runner records the programs that ran)
    st = [r[tk] for r in sc.get("raw_bpf_stats", []) if "bpf" in r.get(tk, {})]
    if st:
        attached = sum(1 for r in st if "mark_victim" in r.get("attachments", []))
        runs = sum(p["runs"] for r in st for p in r["bpf"]["progs"].values()
                   if p["hook"] == "mark_victim")
        per = {}
        for r in st:
            for n, p in r["bpf"]["progs"].items():
                per.setdefault(p["hook"] or n, []).append(p)
        ran = []
        for h, ps in sorted(per.items(), key=lambda hp: -med([p["runs"] for p in hp[1]])):
            v, n = med([p["runs_per_op"] for p in ps]), med([p["runs"] for p in ps])
            ran.append("%s %s" % (h, "%.2f per %s" % (v, sc["workload"]["unit"]) if v >= 0.01
                                  else "%.0f run%s" % (n, "" if n == 1 else "s")))
        ok = attached == len(st) and runs == 0
        rows.append(["%s: the OOM path adds nothing without an OOM (its mark_victim program "
                     "never runs)" % what,
                     "attached in %d of %d bpf_stats rounds, %d runs; the programs that ran "
                     "(medians of the rounds): %s" % (attached, len(st), runs, ", ".join(ran)),
                     _verdict(ok), "" if ok else
                     "not attached in %d rounds" % (len(st) - attached) if not runs else
                     "%d runs" % runs])
    if k.get("delivered") is not None:
        good = [r for r in sc["raw"] if r.get(tk, {}).get("delivered") is not None
                and "error" not in r[tk]]
        exact = sum(1 for r in good if r[tk]["generated"] <= r[tk]["delivered"] <=
                    r[tk]["workload"]["minflt_total"] + MEM_SLACK)
        extra = [r[tk]["delivered"] - r[tk]["generated"] for r in good]
        ok = exact == k["runs"]
        rows.append(["%s: every write fault of the storm counted in its process's row, none "
                     "beyond the process's own" % what,
                     "in %d of %d rounds: write faults >= the storm's %d writes (warm-up "
                     "included) and <= the process's minor faults (ru_minflt); %s more "
                     "(its loader's, libc's)" % (
                         exact, k["runs"], k["generated"],
                         "-".join(str(v) for v in sorted({min(extra), max(extra)}))),
                     _verdict(ok), "" if ok else "%d faults short in the worst round" % (
                         k["generated"] - k["delivered_min"])
                     if k["delivered_min"] < k["generated"] else "more than the process's"])
    return rows


# slack over the storm's own CAP_SYS_ADMIN checks (its checks_total: the unshare(), the
# warm-up and the timed calls): the memory accounting checks (security_vm_enough_memory_mm,
# CAP_SYS_ADMIN, not audited) of its loader's and libc's private writable mappings and brk,
# 8 per run here (bpftrace on capability:cap_capable, kstack), and one before its exec
# (the forked child, for a tool keyed by pid)
CAP_SLACK = 16


def security_targets(doc):
    """[target, measured, verdict, margin]: the security issue's cost targets: kscope
    security's added cost per capability check below the bpftrace one-liner's on the same
    tracepoint (by BPF time and by the wall clock), its counts of the storm's checks exact
    (--summary), and its cost to unrelated syscalls (the getppid storm) within the noise
    of the untraced rounds."""
    rows = []
    sc = _scen(doc, "cap-storm")
    if sc:
        s = sc["summary"]
        ref = s.get(sc["reference"], {})
        peer = "the bpftrace one-liner"
        for tk in ("kscope-security", "kscope-security-nomod", "kscope-security-summary",
                   "kscope-security-cap"):
            k = s.get(tk)
            if not k or not k.get("runs"):
                continue
            what = sc["labels"][tk]
            if k.get("bpf_ns_per_op") is not None and ref.get("bpf_ns_per_op"):
                rows.append(_bpf_target(sc, tk, sc["reference"], what, k, ref, peer))
            if k.get("added_ns") is not None and ref.get("added_ns") is not None:
                rows.append(_wall_target(sc, what, k, ref, peer))
            if k.get("delivered") is not None:
                good = [r for r in sc["raw"] if r.get(tk, {}).get("delivered") is not None
                        and "error" not in r[tk]]
                exact = sum(1 for r in good if r[tk]["generated"] <= r[tk]["delivered"] <=
                            r[tk]["generated"] + CAP_SLACK)
                extra = [r[tk]["delivered"] - r[tk]["generated"] for r in good]
                ok = exact == k["runs"]
                rows.append(["%s: every capability check of the storm counted in its "
                             "process's row" % what,
                             "in %d of %d rounds: CAP_SYS_ADMIN checks >= the storm's %d "
                             "(warm-up and unshare() included) and at most %d more; %s more "
                             "(its loader's and libc's memory accounting checks)" % (
                                 exact, k["runs"], k["generated"], CAP_SLACK,
                                 "-".join(str(v) for v in sorted({min(extra), max(extra)}))
                                 if extra else "none"),
                             _verdict(ok), "" if ok else "%d checks short in the worst round" % (
                                 k["generated"] - k["delivered_min"])
                             if k["delivered_min"] < k["generated"] else "more than the storm "
                             "and its loader made"])
    sc = _scen(doc, "cap-unrelated")
    if sc:
        s = sc["summary"]
        base = s.get(sc["baseline"], {})
        for tk in ("kscope-security", "kscope-security-nomod", "kscope-security-cap"):
            k = s.get(tk)
            if not k or k.get("added_ns") is None or not base.get("median"):
                continue
            rows.append(_noise_target(sc, tk, k, base))
    return rows


def _noise_target(sc, tk, k, base):
    """A tracer's cost to a storm it does not report, against no tracer: the slowdown, and
    a verdict only where every round agrees: within noise when each round's paired
    difference is at most half the range of the untraced rounds (how far the untraced storm
    itself moves from round to round), outside it when each one is more."""
    unit = sc["workload"]["unit"]
    noise = (base["max"] - base["min"]) / 2
    d = [r[tk]["ns_per_op"] - r[sc.get("baseline", "none")]["ns_per_op"]
         for r in sc["raw"] if "error" not in r.get(tk, {"error": 1})
         and "error" not in r.get(sc.get("baseline", "none"), {"error": 1})]
    inside = sum(1 for v in d if v <= noise)
    row = ["%s: unrelated syscalls (getppid) within noise" % sc["labels"][tk],
           "%.3fx the time per %s, %+.1f ns (paired medians of %d rounds; per round %s ns); "
           "the untraced rounds spread +-%.1f ns (%.0f ns per %s)" % (
               k["slowdown"], unit, k["added_ns"], len(d), "/".join("%+.1f" % v for v in d),
               noise, base["median"], unit)]
    if d and inside == len(d):
        row += [_verdict(True), "each round within +-%.1f ns" % noise]
    elif d and inside == 0:
        row += [_verdict(False), "%.0f%% slower; the median %.1f ns beyond the noise" % (
            (k["slowdown"] - 1) * 100, k["added_ns"] - noise)]
    else:
        row += ["**not resolved**", "%d of %d rounds within the noise" % (inside, len(d))]
    return row


# ---- issue 18: kscope container against the sum of its parts ------------------------


def _container_sums(sc):
    """kscope container's added cost per operation against the sum of its parts' (each
    single command's added cost over no tracer), by the wall clock (per round: each
    configuration's ns per op minus the same round's untraced one, the parts' summed) and
    by BPF time (per bpf_stats round: the container's against the parts' summed); None
    without the container's or every part's results."""
    s, ck, base = sc["summary"], sc["reference"], sc.get("baseline", "none")
    parts = [k for k in CONTAINER_PARTS if k in sc["summary"]]
    if not parts or s.get(ck, {}).get("added_ns") is None or \
            any(s[k].get("added_ns") is None for k in parts):
        return None
    out = {"parts": parts, "added": s[ck]["added_ns"],
           "parts_added": {k: s[k]["added_ns"] for k in parts},
           "sum_added": sum(s[k]["added_ns"] for k in parts), "rounds": []}
    for r in sc.get("raw", []):
        keys = [ck, base] + parts
        if all(k in r and "error" not in r[k] for k in keys):
            b = r[base]["ns_per_op"]
            out["rounds"].append((r[ck]["ns_per_op"] - b,
                                  sum(r[k]["ns_per_op"] - b for k in parts)))
    if s[ck].get("bpf_ns_per_op") is not None and \
            all(s[k].get("bpf_ns_per_op") is not None for k in parts):
        out["bpf"] = s[ck]["bpf_ns_per_op"]
        out["parts_bpf"] = {k: s[k]["bpf_ns_per_op"] for k in parts}
        out["sum_bpf"] = sum(out["parts_bpf"].values())
        stats = [r for r in sc.get("raw_bpf_stats", [])
                 if all("bpf" in r.get(k, {}) for k in [ck] + parts)]
        out["bpf_rounds"] = [
            (r[ck]["bpf"]["ns_per_op"], sum(r[k]["bpf"]["ns_per_op"] for k in parts))
            for r in stats]
        # the same at the parts' event counts: the programs are system-wide, so a run's
        # BPF time per op holds every other process's events of that moment too (a busy
        # moment: more syscalls and faults per storm operation); each of the container's
        # programs' ns per run times the runs per op its part alone saw in the same round
        # (the part's program of the same name), so only the cost per event differs
        out["bpf_same_rounds"] = []
        for r in stats:
            alone = {n: p for k in parts for n, p in r[k]["bpf"]["progs"].items()}
            c_ns = sum(p["ns_per_run"] * alone.get(n, p)["runs_per_op"]
                       for n, p in r[ck]["bpf"]["progs"].items())
            out["bpf_same_rounds"].append((c_ns, sum(r[k]["bpf"]["ns_per_op"] for k in parts)))
        if out["bpf_same_rounds"]:
            out["bpf_same"] = med([a for a, _ in out["bpf_same_rounds"]])
            out["sum_bpf_same"] = med([b for _, b in out["bpf_same_rounds"]])
    if s[ck].get("tracer_cpu_ns_per_op") is not None and \
            all(s[k].get("tracer_cpu_ns_per_op") is not None for k in parts):
        out["cpu"] = s[ck]["tracer_cpu_ns_per_op"]
        out["sum_cpu"] = sum(s[k]["tracer_cpu_ns_per_op"] for k in parts)
    return out


def _part_name(sc, k):
    """a part's command: "sched", "syscall", ... (its label's second word)"""
    return sc["labels"][k].split()[1]


def container_note(sc):
    """The line under the container scenario's table: the container's added cost per
    operation against the sum of its parts', measured in the same run."""
    c = _container_sums(sc)
    if not c:
        return None
    unit = sc["workload"]["unit"]
    within = sum(1 for a, b in c["rounds"] if a <= b)
    text = ("**kscope container against the sum of its parts, per %s%s:** %+.0f ns added, "
            "against %+.0f ns for the %d single commands' added costs summed (%s): %.2f of "
            "the sum, %s; per round (container / sum): %s, within the sum in %d of %d "
            "rounds." % (
                unit, " (the storm's CPU time)" if sc["workload"].get("clock") == "cpu_ns"
                else "", c["added"], c["sum_added"], len(c["parts"]),
                " ".join("%s %+.0f" % (_part_name(sc, k), v)
                         for k, v in c["parts_added"].items()),
                c["added"] / c["sum_added"] if c["sum_added"] > 0 else float("nan"),
                "within it" if c["added"] <= c["sum_added"] else "above it",
                ", ".join("%+.0f/%+.0f" % ab for ab in c["rounds"]), within,
                len(c["rounds"])))
    if "bpf" in c:
        bw = sum(1 for a, b in c["bpf_rounds"] if a <= b)
        text += (" BPF time: %.0f ns per %s against %.0f summed (%s): %.2f, within the sum in "
                 "%d of %d bpf_stats rounds." % (
                     c["bpf"], unit, c["sum_bpf"],
                     " ".join("%s %.0f" % (_part_name(sc, k), v)
                              for k, v in c["parts_bpf"].items()),
                     c["bpf"] / c["sum_bpf"] if c["sum_bpf"] > 0 else float("nan"), bw,
                     len(c["bpf_rounds"])))
    if "bpf_same" in c:
        sw = sum(1 for a, b in c["bpf_same_rounds"] if a <= b)
        text += (" At the parts' event counts (each container program's ns per run times "
                 "the runs per %s its part alone saw; the programs are system-wide, so the "
                 "other processes' events of the moment count too): %.0f ns against %.0f "
                 "(medians of the rounds), within the sum in %d of %d rounds (%s)." % (
                     unit, c["bpf_same"], c["sum_bpf_same"], sw, len(c["bpf_same_rounds"]),
                     ", ".join("%.0f/%.0f" % ab for ab in c["bpf_same_rounds"])))
    if "cpu" in c:
        text += " Tracer CPU: %.0f ns per %s against %.0f summed." % (c["cpu"], unit,
                                                                     c["sum_cpu"])
    return text


def container_targets(doc):
    """[target, measured, verdict, margin]: issue 18's cost target: kscope container with
    every area costs no more than the sum of its parts run alone, by the wall clock (added
    ns per operation, each round's container against the same round's parts summed) and by
    BPF time (each bpf_stats round's); met when every round agrees, missed when none does,
    not resolved otherwise."""
    rows = []
    sc = _scen(doc, "container-mix")
    if not sc:
        return rows
    c = _container_sums(sc)
    if not c:
        return rows
    unit = sc["workload"]["unit"]
    what = sc["labels"][sc["reference"]]
    # half the range of the container's paired differences: how far one round's cost
    # moves; the parts' sum adds seven such spreads
    e = sc["summary"][sc["reference"]]
    spread = (e["added_max"] - e["added_min"]) / 2

    def verdict(pairs, a, b, fmt):
        under = sum(1 for x, y in pairs if x <= y)
        r = a / b if b > 0 else float("inf")
        if pairs and under == len(pairs):
            return [_verdict(True), "%.2f of the sum (%s under it)" % (r, fmt % (b - a))]
        if pairs and under == 0:
            return [_verdict(False), "%.2fx the sum (%s over)" % (r, fmt % (a - b))]
        return ["**not resolved**", "the rounds disagree: %.2f of the sum by the medians" % r]

    clock = "the storm's CPU time" if sc["workload"].get("clock") == "cpu_ns" else "wall clock"
    rows.append(["%s: added ns per %s <= the sum of its %d parts' alone (%s)" % (
                     what, unit, len(c["parts"]), clock),
                 "%+.0f ns vs %+.0f ns summed (paired medians of %d rounds; the container's "
                 "rounds spread +-%.0f ns); per round %s" % (
                     c["added"], c["sum_added"], e["runs"], spread,
                     ", ".join("%+.0f/%+.0f" % ab for ab in c["rounds"]))]
                + verdict(c["rounds"], c["added"], c["sum_added"], "%.0f ns"))
    if "bpf" in c:
        rows.append(["%s: BPF time per %s <= the sum of its parts' alone" % (what, unit),
                     "%.0f ns vs %.0f ns summed; per bpf_stats round %s" % (
                         c["bpf"], c["sum_bpf"],
                         ", ".join("%.0f/%.0f" % ab for ab in c["bpf_rounds"]))]
                    + verdict(c["bpf_rounds"], c["bpf"], c["sum_bpf"], "%.0f ns"))
    if "bpf_same" in c:
        rows.append(["%s: BPF time per %s at its parts' event counts <= the sum of its "
                     "parts' alone" % (what, unit),
                     "%.0f ns vs %.0f ns summed (medians of the bpf_stats rounds; the "
                     "container's programs' ns per run times the runs per %s of the same "
                     "program in its part alone, the same round); per round %s" % (
                         c["bpf_same"], c["sum_bpf_same"], unit,
                         ", ".join("%.0f/%.0f" % ab for ab in c["bpf_same_rounds"]))]
                    + verdict(c["bpf_same_rounds"], c["bpf_same"], c["sum_bpf_same"],
                              "%.0f ns"))
    return rows


# ---- markdown ----------------------------------------------------------------


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
        if scen.get("kind") == "scrape":
            out.append(scrape_markdown(scen))
            continue
        if scen.get("kind") == "topcpu":
            out.append(topcpu_markdown(scen))
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
        if scen["key"] == "container-mix":
            note = container_note(scen)
            if note:
                out.append("\n" + note)
        out.append("")
    rows = disk_targets(doc)
    if rows:
        out.append("### Targets (diskio)\n")
        out.append("| target | measured | verdict | margin |\n|---|---|---|---|")
        for r in rows:
            out.append("| " + " | ".join(r) + " |")
        out.append("")
    rows = mem_targets(doc)
    if rows:
        out.append("### Targets (memory)\n")
        out.append("| target | measured | verdict | margin |\n|---|---|---|---|")
        for r in rows:
            out.append("| " + " | ".join(r) + " |")
        out.append("")
    rows = security_targets(doc)
    if rows:
        out.append("### Targets (security)\n")
        out.append("| target | measured | verdict | margin |\n|---|---|---|---|")
        for r in rows:
            out.append("| " + " | ".join(r) + " |")
        out.append("")
    rows = container_targets(doc)
    if rows:
        out.append("### Targets (container)\n")
        out.append("| target | measured | verdict | margin |\n|---|---|---|---|")
        for r in rows:
            out.append("| " + " | ".join(r) + " |")
        out.append("")
    rows = agent_targets(doc)
    if rows:
        out.append("### Targets (agent)\n")
        out.append("| target | measured | verdict | margin |\n|---|---|---|---|")
        for r in rows:
            out.append("| " + " | ".join(r) + " |")
        out.append("")
    rows = agent_cost_rows(doc)
    if rows:
        out.append("### The agent against its collectors' commands alone (no target)\n")
        out.append("| configuration | measured | verdict | difference |\n|---|---|---|---|")
        for r in rows:
            out.append("| " + " | ".join(r) + " |")
        out.append("")
    rows = topcpu_targets(doc) + overhead_targets(doc)
    if rows:
        out.append("### Targets (top)\n")
        out.append("| target | measured | verdict | margin |\n|---|---|---|---|")
        for r in rows:
            out.append("| " + " | ".join(r) + " |")
        out.append("")
    rows = net_targets(doc)
    if rows:
        out.append("### Targets (issue 14)\n")
        out.append("| target | measured | verdict | margin |\n|---|---|---|---|")
        for r in rows:
            out.append("| " + " | ".join(r) + " |")
        out.append("")
    rows = targets(doc)
    if rows:
        out.append("### Targets (issue 6)\n")
        out.append("| target | kscope measured | verdict | margin |\n|---|---|---|---|")
        for r in rows:
            out.append("| " + " | ".join(r) + " |")
        out.append("")
    return "\n".join(out)

"""kbench.scrape: the scrape scenario (kind "scrape"): Prometheus exporters scraped side
by side (kscope agent against Debian's prometheus-node-exporter): scrape latency, bytes
and samples per scrape, the exporter's CPU per scrape, its RSS; the text and markdown
tables and the agent's targets (also the note of the agent-cost scenarios)."""
import gzip
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import http.client

from . import procfs
from .common import (BenchError, _mib, _print_rows, below_every_round, fmt, machine,
                     machine_date, med, read)
from .procfs import wait_quiet_cpu
from .running import Running
from .tracers import AGENT_INTERVAL_S, TRACERS

# what the scenario needs of each exporter: metric names every plain body must hold (the
# scraper checks each one; the runner checks the last body, decompressed too), the name of
# the thread that serves scrapes (kscope agent's ks-http: the rest of its threads collect
# in the background, never per scrape), and its collectors' success metric
EXPORTERS = {
    "exporter-kscope-agent": {
        "names": ["kscope_build_info", "kscope_syscalls_total", "kscope_page_faults_total",
                  "kscope_scrape_collector_success"],
        "http_thread": "ks-http",
        "success": "kscope_scrape_collector_success"},
    "exporter-node": {
        "names": ["node_cpu_seconds_total", "node_memory_MemTotal_bytes",
                  "node_scrape_collector_success"],
        "http_thread": None,
        "success": "node_scrape_collector_success",
        # SIGTERM, as systemd stops it: a Go program started with SIGINT ignored (a runner
        # started in the background of a non-interactive shell) keeps ignoring it
        "stop_signal": signal.SIGTERM},
}
# kscope agent's --collect.interval here (seconds): the body is measured after two
# collections (SETTLE_S after the start: every collector has reported twice), and the
# long idle window is two intervals (a whole number of them: exactly two collections)
SETTLE_S = 2 * AGENT_INTERVAL_S + 1
IDLE_LONG_S = 2 * AGENT_INTERVAL_S
# a block of scrapes is measured again (up to BLOCK_TRIES in all) when the agent's
# background threads (its collection) ran more than this during the block or its idle
# window: a collection in a 10-30 ms window is not a scrape's cost
BACKGROUND_NS = 2000000
BLOCK_TRIES = 4
WARMUP = 20
# Prometheus's default scrape interval (its global scrape_interval, Debian's
# prometheus.yml too): the background CPU an exporter spends between two scrapes counts
# against each scrape at that rate
SCRAPE_INTERVAL_S = 15
RSS_TARGET_MIB = 32


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _threads(pid):
    """{tid: (comm, ns on CPU)} (schedstat)"""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            comm = read("/proc/%d/task/%s/comm" % (pid, tid)).strip()
            ns = int(read("/proc/%d/task/%s/schedstat" % (pid, tid)).split()[0])
        except (OSError, ValueError, IndexError):
            continue
        out[tid] = (comm, ns)
    return out


def _stat_ticks_ns(pid):
    """utime + stime of the whole process (exited threads too) from /proc/PID/stat, in ns
    (USER_HZ ticks: 10 ms steps)"""
    try:
        f = read("/proc/%d/stat" % pid).rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) * 1e9 / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class Cpu:
    """A snapshot of an exporter's CPU time: all threads (schedstat, ns), its scrape thread
    (if it has one), and /proc/PID/stat's utime + stime."""

    def __init__(self, pid, http_thread):
        self.t = time.monotonic()
        th = _threads(pid)
        self.total = sum(ns for _, ns in th.values())
        self.http = sum(ns for c, ns in th.values() if c == http_thread) if http_thread \
            else None
        self.ticks = _stat_ticks_ns(pid)

    def minus(self, old):
        d = {"s": self.t - old.t, "cpu_ns": self.total - old.total}
        if self.http is not None and old.http is not None:
            d["http_cpu_ns"] = self.http - old.http
            d["background_cpu_ns"] = d["cpu_ns"] - d["http_cpu_ns"]
        if self.ticks is not None and old.ticks is not None:
            d["stat_cpu_ns"] = self.ticks - old.ticks
        return d


def _status(pid):
    """VmRSS, VmHWM, RssAnon, RssFile (kB), and the RSS of the biggest mappings by what
    they are (/proc/PID/smaps: [heap], anonymous, the binary, BPF maps mapped, ...)"""
    st = {}
    try:
        for line in read("/proc/%d/status" % pid).splitlines():
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "Threads"):
                st[k] = int(v.split()[0])
    except OSError:
        pass
    by = {}
    try:
        name = None
        for line in read("/proc/%d/smaps" % pid).splitlines():
            f = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                name = " ".join(f[5:]) if len(f) > 5 else "[anon]"
                if name.startswith("/"):
                    name = os.path.basename(name)
            elif f and f[0] == "Rss:":
                by[name] = by.get(name, 0) + int(f[1])
    except OSError:
        pass
    st["rss_by_mapping_kb"] = dict(sorted(((k, v) for k, v in by.items() if v >= 64),
                                          key=lambda kv: -kv[1]))
    return st


def _bpf_maps(pid):
    """The process's BPF maps (bpftool map show): count, kernel memory (bytes_memlock:
    not in its RSS, except what it maps: ring buffers, mmapable arrays), the biggest"""
    ids = set()
    try:
        for fd in os.listdir("/proc/%d/fdinfo" % pid):
            i = procfs.fdinfo(pid, fd)
            if "map_id" in i:
                ids.add(int(i["map_id"]))
    except OSError:
        return None
    if not ids:
        return None
    try:
        maps = json.loads(subprocess.run(["bpftool", "map", "show", "-j"], capture_output=True,
                                         text=True, timeout=30).stdout or "[]")
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    mine = [m for m in maps if m.get("id") in ids]
    by = {}
    for m in mine:
        k = "%s (%s, %s entries)" % (m.get("name"), m.get("type"), m.get("max_entries"))
        by[k] = by.get(k, 0) + m.get("bytes_memlock", 0)
    return {"maps": len(mine), "memlock_bytes": sum(m.get("bytes_memlock", 0) for m in mine),
            "biggest": dict(sorted(by.items(), key=lambda kv: -kv[1])[:8])}


def _get(port, timeout=5.0):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", "/metrics")
        r = c.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        c.close()


def _has(text, name):
    return re.search(r"(?m)^(# (HELP|TYPE) )?%s[ {]" % re.escape(name), text) is not None


def wait_ready(key, port, run, timeout=30.0):
    """Until the exporter answers 200 with every expected name (the agent: after its first
    collection); the wait, or BenchError"""
    t0 = time.monotonic()
    last = "no answer"
    while time.monotonic() - t0 < timeout:
        run._alive()
        try:
            status, text = _get(port)
            missing = [n for n in EXPORTERS[key]["names"] if not _has(text, n)]
            if status == 200 and not missing:
                return time.monotonic() - t0
            last = "status %d" % status if status != 200 else "no " + ", ".join(missing)
        except (OSError, http.client.HTTPException) as e:
            last = str(e)
        time.sleep(0.2)
    raise BenchError("%s: not ready after %.0f s: %s" % (key, timeout, last))


def body_facts(key, path, gz):
    """What the last body of a block holds: bytes (as received, decompressed), samples
    (lines not starting with #), the expected names, the collectors that succeeded"""
    raw = open(path, "rb").read()
    try:
        data = gzip.decompress(raw) if gz else raw
    except (OSError, EOFError) as e:
        return {"error": "the gzip body does not decompress: %s" % e}
    text = data.decode("utf-8", "replace")
    lines = text.splitlines()
    facts = {"body_bytes": len(raw), "text_bytes": len(data),
             "samples": sum(1 for ln in lines if ln and not ln.startswith("#")),
             "families": sum(1 for ln in lines if ln.startswith("# TYPE "))}
    missing = [n for n in EXPORTERS[key]["names"] if not _has(text, n)]
    if missing:
        facts["error"] = "the body has no " + ", ".join(missing)
    succ = [ln for ln in lines if ln.startswith(EXPORTERS[key]["success"] + "{")]
    facts["collectors"] = len(succ)
    facts["collectors_failed"] = sorted(
        re.search(r'collector="([^"]*)"', ln).group(1) for ln in succ
        if ln.rsplit(" ", 1)[-1] not in ("1", "1.0") and 'collector="' in ln)
    return facts


def scrape_block(ctx, key, port, n, gz, tag):
    """One run of bench/scrape: n timed scrapes on one connection (no warm-up: the caller
    runs one before, so that the exporter's CPU over this run is n scrapes' own)"""
    body = os.path.join(ctx.work, "%s%s.body" % (tag, "-gz" if gz else ""))
    argv = [os.path.join(ctx.bin, "scrape"), "-a", "127.0.0.1:%d" % port, "-n", str(n),
            "-w", "0", "-c", str(ctx.workload_cpu), "-o", body]
    if gz:
        argv.append("-z")
    for name in EXPORTERS[key]["names"]:
        argv += ["-e", name]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise BenchError("%s failed (%d): %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise BenchError("%s: no JSON on stdout: %r" % (" ".join(argv), r.stdout[-200:]))
    if res["failed"] or not res["ok"]:
        res["error"] = "%d of %d scrapes failed, the first: %s" % (
            res["failed"], res["scrapes"], res["first_error"])
    elif gz and res["gzip_served"] != res["ok"]:
        res["error"] = "asked for gzip, %d of %d responses were not gzip'd" % (
            res["ok"] - res["gzip_served"], res["ok"])
    elif os.path.exists(body):
        facts = body_facts(key, body, gz)
        res["body"] = facts
        if facts.get("error"):
            res["error"] = facts["error"]
    return res


def measure_exporter(ctx, sc, tracer, n, tag, encodings):
    """One exporter started, settled, scraped n times per encoding (each block with its
    idle window of the same length right after it), left idle IDLE_LONG_S, its memory
    read, stopped."""
    key = tracer.key
    ctx.ports[key] = port = free_port()
    rec = {"tracer": key, "port": port}
    run = Running(ctx, tracer, tag)
    try:
        rec["ready_s"] = round(wait_ready(key, port, run) + run.t_ready, 3)
        # the agent's body is complete once every collector reported (twice)
        time.sleep(max(0.0, SETTLE_S - (time.monotonic() - run.t_start)))
        rec["status_ready"] = _status(run.pid)
        http_thread = EXPORTERS[key]["http_thread"]
        blocks = {}
        for enc in encodings:
            gz = enc == "gzip"
            retried = 0
            for t in range(BLOCK_TRIES):
                busy = wait_quiet_cpu(ctx.workload_cpu)
                warm = scrape_block(ctx, key, port, WARMUP, gz, tag + "-warm")
                if "error" in warm:
                    res = dict(warm, error="warm-up: " + warm["error"])
                    break
                c0 = Cpu(run.pid, http_thread)
                res = scrape_block(ctx, key, port, n, gz, tag)
                c1 = Cpu(run.pid, http_thread)
                time.sleep(c1.t - c0.t)
                c2 = Cpu(run.pid, http_thread)
                res["cpu"] = c1.minus(c0)
                res["idle"] = c2.minus(c1)
                if busy:
                    res.setdefault("warnings", []).append(busy)
                bg = max(res["cpu"].get("background_cpu_ns", 0),
                         res["idle"].get("background_cpu_ns", 0))
                if retried:
                    res["retried"] = retried
                if bg <= BACKGROUND_NS or "error" in res:
                    break
                retried = res["retried"] = t + 1
                print("bench:   %s %s: a collection ran during the block (%.1f ms of "
                      "background CPU)%s" % (key, enc, bg / 1e6, ": measuring again"
                                             if t + 1 < BLOCK_TRIES else ""), file=sys.stderr)
            if res.get("retried") == BLOCK_TRIES:
                res.setdefault("warnings", []).append(
                    "a collection ran during the block in all %d tries" % BLOCK_TRIES)
            if "error" not in res:
                d = res["cpu"]["cpu_ns"] - res["idle"]["cpu_ns"] * (
                    res["cpu"]["s"] / res["idle"]["s"])
                res["cpu_ns_per_scrape"] = d / res["ok"]
                if "http_cpu_ns" in res["cpu"]:
                    res["http_cpu_ns_per_scrape"] = res["cpu"]["http_cpu_ns"] / res["ok"]
            blocks[enc] = res
        rec["blocks"] = blocks
        c3 = Cpu(run.pid, http_thread)
        time.sleep(IDLE_LONG_S)
        c4 = Cpu(run.pid, http_thread)
        rec["idle_long"] = c4.minus(c3)
        rec["status_end"] = _status(run.pid)
        rec["bpf_maps"] = _bpf_maps(run.pid)
    except BaseException:
        run.kill()
        raise
    sig = EXPORTERS[key].get("stop_signal")
    if sig:
        try:
            os.kill(run.pid, sig)
        except OSError:
            pass
    status, ru, warning = run.stop()
    rec["exit"] = status
    rec["maxrss_kb"] = ru.ru_maxrss
    if warning:
        rec.setdefault("warnings", []).append(warning)
    errs = ["%s: %s" % (enc, b["error"]) for enc, b in rec["blocks"].items() if "error" in b]
    if errs:
        rec["error"] = "; ".join(errs)
    return rec


def run_scrape(ctx, sc, keys, skipped, n, rounds_n):
    """Each round: every exporter in turn (the order rotating), started alone, its plain and
    gzip blocks (their order alternating), stopped. Warm-up: one round, dropped."""
    encodings = ["plain", "gzip"]
    rounds = []
    for r in range(-1, rounds_n):
        order = keys[r % len(keys):] + keys[:r % len(keys)]
        encs = encodings if r % 2 == 0 else encodings[::-1]
        rec = {}
        for k in order:
            for t in range(8):
                procfs.SENTINEL.wait()
                t_begin = time.monotonic()
                try:
                    rec[k] = measure_exporter(ctx, sc, TRACERS[k], n if r >= 0 else 20,
                                              "%s-%s%s" % (sc.key, k, "" if r >= 0 else
                                                           "-warmup"), encs)
                except BenchError as e:
                    print("bench:   %s: %s" % (k, e), file=sys.stderr)
                    rec[k] = {"tracer": k, "error": str(e)}
                intruder = procfs.SENTINEL.since(t_begin)
                if not intruder:
                    break
                rec[k].setdefault("warnings", []).append("%s ran during the measurement" %
                                                         intruder)
                print("bench:   %s: %s ran during the measurement%s" % (
                    k, intruder, ": measuring again" if t < 7 else ""), file=sys.stderr)
            if "error" in rec[k]:
                print("bench:   %s: %s" % (k, rec[k]["error"]), file=sys.stderr)
        if r < 0:
            continue
        rounds.append(rec)
        print("bench:   round %d/%d: %s" % (r + 1, rounds_n, "  ".join(
            "%s p50 %s/%s us, %s/%s us CPU" % (
                k, fmt(_blk(rec[k], "plain", "lat_ns", "p50"), "%.0f", "-"),
                fmt(_blk(rec[k], "gzip", "lat_ns", "p50"), "%.0f", "-"),
                fmt(_us(_blk(rec[k], "plain", "cpu_ns_per_scrape")), "%.0f", "-"),
                fmt(_us(_blk(rec[k], "gzip", "cpu_ns_per_scrape")), "%.0f", "-"))
            for k in keys)), file=sys.stderr)
    return {
        "key": sc.key, "title": sc.title, "note": sc.note, "kind": sc.kind,
        "date": machine_date(), "machine": machine(), "rounds": rounds_n,
        "workload_cpu": ctx.workload_cpu, "tracer_cpu": ctx.tracer_cpu,
        "reference": sc.reference, "order": keys, "skipped": skipped,
        "scrapes": n, "warmup_scrapes": WARMUP, "settle_s": SETTLE_S,
        "idle_long_s": IDLE_LONG_S, "scrape_interval_s": SCRAPE_INTERVAL_S,
        "exporter_versions": _versions(ctx, keys),
        "labels": {k: TRACERS[k].label for k in sc.tracers},
        "tracers": {k: {"label": TRACERS[k].label, "note": TRACERS[k].note,
                        "argv": TRACERS[k].argv(ctx)} for k in keys},
        "summary": summarize_scrape(sc, rounds), "raw": rounds,
    }


def _versions(ctx, keys):
    out = {}
    for k in keys:
        argv = TRACERS[k].argv(ctx)
        try:
            r = subprocess.run([argv[0], "--version"], capture_output=True, text=True,
                               timeout=20)
            out[k] = ((r.stdout or r.stderr).strip().splitlines() or [""])[0]
        except (OSError, subprocess.SubprocessError):
            pass
    if "exporter-node" in keys:
        v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "prometheus-node-exporter"],
                           capture_output=True, text=True).stdout.strip()
        if v:
            out["exporter-node"] = "prometheus-node-exporter %s (Debian)" % v
    return out


def _us(ns):
    return ns / 1e3 if ns is not None else None


def _blk(rec, enc, *path):
    v = rec.get("blocks", {}).get(enc)
    if not v or "error" in v:
        return None
    for p in path:
        v = v.get(p) if isinstance(v, dict) else None
    if path[0] == "lat_ns" and v is not None:
        v = v / 1e3
    return v


# ---- summary -----------------------------------------------------------------


def _stats(v):
    return {"median": med(v), "min": min(v), "max": max(v), "rounds": v} if v else None


def summarize_scrape(sc, rounds):
    s = {}
    for k in sc.tracers:
        if not any(k in r for r in rounds):
            continue
        rs = [r[k] for r in rounds if k in r and "error" not in r[k]]
        if not rs:
            s[k] = {"runs": 0}
            continue
        e = {"runs": len(rs), "blocks": {}}
        for enc in ("plain", "gzip"):
            bs = [r["blocks"][enc] for r in rs if enc in r.get("blocks", {})]
            if not bs:
                continue
            b = {}
            for q in ("p50", "p90", "p99", "max", "mean"):
                b["lat_us_" + q] = _stats([x["lat_ns"][q] / 1e3 for x in bs])
            b["body_bytes"] = _stats([x["body_bytes_mean"] for x in bs])
            b["wire_bytes"] = _stats([x["wire_bytes_mean"] for x in bs])
            b["text_bytes"] = _stats([x["body"]["text_bytes"] for x in bs if "body" in x])
            b["samples"] = _stats([x["body"]["samples"] for x in bs if "body" in x])
            b["families"] = _stats([x["body"]["families"] for x in bs if "body" in x])
            b["cpu_us_per_scrape"] = _stats([x["cpu_ns_per_scrape"] / 1e3 for x in bs])
            b["cpu_us_per_scrape_stat"] = _stats([
                (x["cpu"]["stat_cpu_ns"] - x["idle"]["stat_cpu_ns"]) / x["ok"] / 1e3
                for x in bs if "stat_cpu_ns" in x["cpu"] and "stat_cpu_ns" in x["idle"]])
            b["http_cpu_us_per_scrape"] = _stats([x["http_cpu_ns_per_scrape"] / 1e3
                                                  for x in bs if "http_cpu_ns_per_scrape" in x])
            b["block_s"] = _stats([x["cpu"]["s"] for x in bs])
            b["retried"] = sum(x.get("retried", 0) for x in bs)
            b["collectors"] = med([x["body"]["collectors"] for x in bs if "body" in x])
            b["collectors_failed"] = sorted({c for x in bs if "body" in x
                                             for c in x["body"]["collectors_failed"]})
            b["content_type"] = bs[-1].get("content_type")
            b["chunked"] = any(x.get("chunked") for x in bs)
            e["blocks"][enc] = {f: v for f, v in b.items() if v is not None}
        e["idle_cpu_ms_per_s"] = _stats([r["idle_long"]["cpu_ns"] / 1e6 / r["idle_long"]["s"]
                                         for r in rs])
        for f, st in (("vm_rss_kb", "VmRSS"), ("vm_hwm_kb", "VmHWM"), ("rss_anon_kb", "RssAnon"),
                      ("rss_file_kb", "RssFile")):
            e[f] = _stats([r["status_end"][st] for r in rs if st in r["status_end"]])
        e["vm_rss_ready_kb"] = _stats([r["status_ready"]["VmRSS"] for r in rs
                                       if "VmRSS" in r["status_ready"]])
        e["vm_hwm_ready_kb"] = _stats([r["status_ready"]["VmHWM"] for r in rs
                                       if "VmHWM" in r["status_ready"]])
        # RSS by mapping at the end: the median of each over the rounds
        names = {m for r in rs for m in r["status_end"].get("rss_by_mapping_kb", {})}
        e["rss_by_mapping_kb"] = dict(sorted(
            ((m, med([r["status_end"].get("rss_by_mapping_kb", {}).get(m, 0) for r in rs]))
             for m in names), key=lambda kv: -kv[1]))
        bm = [r["bpf_maps"] for r in rs if r.get("bpf_maps")]
        if bm:
            e["bpf_maps"] = bm[-1]
        e["threads"] = med([r["status_end"].get("Threads", 0) for r in rs])
        # what the exporter costs per Prometheus scrape interval: its background CPU over
        # SCRAPE_INTERVAL_S plus one (gzip'd, as Prometheus asks) scrape
        bg = e["idle_cpu_ms_per_s"]["median"] * SCRAPE_INTERVAL_S * 1e3
        g = e["blocks"].get("gzip", {}).get("cpu_us_per_scrape")
        if g:
            e["cpu_us_per_interval"] = bg + g["median"]
        warns = sorted({w for r in rs for w in r.get("warnings", [])} |
                       {w for r in rs for b in r.get("blocks", {}).values()
                        for w in b.get("warnings", [])})
        if warns:
            e["warnings"] = warns
        s[k] = e
    return s


# ---- tables --------------------------------------------------------------------


def _mm(st, spec="%.0f"):
    """median (min-max) of a _stats() entry"""
    if not st:
        return "-"
    if fmt(st["min"], spec) == fmt(st["max"], spec):
        return fmt(st["median"], spec)
    return "%s (%s-%s)" % (fmt(st["median"], spec), fmt(st["min"], spec),
                           fmt(st["max"], spec))


def _kib(st):
    return fmt(st and st["median"] / 1024, "%.1f KiB")


SCRAPE_HEADERS = ["exporter", "encoding", "latency p50, us (median; min-max of rounds)",
                  "latency p99, us", "bytes per scrape", "text bytes", "samples",
                  "CPU us per scrape", "ks-http thread CPU us per scrape"]


def scrape_rows(scen):
    rows = []
    for k in scen["order"]:
        e = scen["summary"].get(k, {})
        label = scen["labels"][k]
        if not e.get("runs"):
            err = next((r[k]["error"] for r in scen.get("raw", []) if "error" in r.get(k, {})),
                       "")
            rows.append([label, "(failed%s)" % (": " + err if err else "")] +
                        [""] * (len(SCRAPE_HEADERS) - 2))
            continue
        for enc in ("plain", "gzip"):
            b = e["blocks"].get(enc)
            if not b:
                continue
            rows.append([label, enc, _mm(b.get("lat_us_p50")), _mm(b.get("lat_us_p99")),
                         "%.0f" % b["body_bytes"]["median"], "%.0f" % b["text_bytes"]["median"]
                         if b.get("text_bytes") else "-",
                         "%.0f" % b["samples"]["median"] if b.get("samples") else "-",
                         _mm(b.get("cpu_us_per_scrape")),
                         _mm(b.get("http_cpu_us_per_scrape"), "%.1f")])
    for k, why in scen.get("skipped", {}).items():
        rows.append([scen["labels"].get(k, k), "skipped: " + why] +
                    [""] * (len(SCRAPE_HEADERS) - 2))
    return rows


MEM_HEADERS = ["exporter", "RSS at the end (VmRSS)", "peak RSS (VmHWM), median (min-max)",
               "anon / file RSS", "biggest mappings (RSS)", "BPF maps (kernel memory)",
               "threads", "background CPU, ms/s", "CPU per %d s scrape interval"]


def mem_rows(scen):
    rows = []
    for k in scen["order"]:
        e = scen["summary"].get(k, {})
        if not e.get("runs"):
            continue
        bm = e.get("bpf_maps")
        top = ", ".join("%s %.1f MiB" % (m, v / 1024)
                        for m, v in list(e.get("rss_by_mapping_kb", {}).items())[:4])
        rows.append([scen["labels"][k], _mib(e["vm_rss_kb"]["median"]),
                     "%s (%s-%s)" % (_mib(e["vm_hwm_kb"]["median"]), _mib(e["vm_hwm_kb"]["min"]),
                                     _mib(e["vm_hwm_kb"]["max"])),
                     "%s / %s" % (_mib(e["rss_anon_kb"]["median"]),
                                  _mib(e["rss_file_kb"]["median"])) if e.get("rss_anon_kb")
                     else "-", top or "-",
                     "%d maps, %.1f MiB memlock" % (bm["maps"], bm["memlock_bytes"] / 2**20)
                     if bm else "-", "%.0f" % e["threads"],
                     _mm(e.get("idle_cpu_ms_per_s"), "%.2f"),
                     fmt(e.get("cpu_us_per_interval") and e["cpu_us_per_interval"] / 1e3,
                         "%.2f ms")])
    return rows


def mem_headers(scen):
    return [h.replace("%d", str(scen.get("scrape_interval_s", SCRAPE_INTERVAL_S)))
            for h in MEM_HEADERS]


def print_scrape(scen, f=sys.stdout):
    print("\n== %s" % scen["title"], file=f)
    print("   %d rounds of %d scrapes per exporter and encoding; exporters on CPU %d, the "
          "scraper on CPU %d" % (scen["rounds"], scen["scrapes"], scen["tracer_cpu"],
                                 scen["workload_cpu"]), file=f)
    _print_rows([SCRAPE_HEADERS] + scrape_rows(scen), f)
    print("", file=f)
    _print_rows([mem_headers(scen)] + mem_rows(scen), f)
    for k in scen["order"]:
        for w in scen["summary"].get(k, {}).get("warnings", []):
            print("   warning (%s): %s" % (k, w), file=f)
    for r in agent_targets({"scenarios": [scen]}):
        print("   target: %s: %s: %s %s" % (r[0], r[1], r[2].replace("**", ""), r[3]), file=f)


def scrape_markdown(scen):
    out = ["%d rounds; in each, every exporter in turn (the order rotating) started alone on "
           "CPU %d, given %d s (two of kscope agent's collections), scraped by bench/scrape.c "
           "from CPU %d: %d untimed, then %d timed scrapes on one keep-alive connection, "
           "without and with `Accept-Encoding: gzip` (Prometheus's request headers); %s.\n" % (
               scen["rounds"], scen["tracer_cpu"], scen["settle_s"], scen["workload_cpu"],
               scen["warmup_scrapes"], scen["scrapes"], scen.get("date", ""))]
    v = scen.get("exporter_versions", {})
    if v:
        out.append("Versions: %s.\n" % "; ".join("%s: %s" % (scen["labels"].get(k, k), t)
                                                for k, t in v.items()))
    out.append("| " + " | ".join(SCRAPE_HEADERS) + " |")
    out.append("|---|---|" + "---:|" * (len(SCRAPE_HEADERS) - 2))
    for r in scrape_rows(scen):
        out.append("| " + " | ".join(r) + " |")
    hdr = mem_headers(scen)
    out.append("\n| " + " | ".join(hdr) + " |")
    out.append("|---|" + "---:|" * (len(hdr) - 1))
    for r in mem_rows(scen):
        out.append("| " + " | ".join(r) + " |")
    out.append("\n" + scen["note"])
    return "\n".join(out) + "\n"


# ---- targets -------------------------------------------------------------------


def _per_round(sc, a, b, enc, get):
    """[(agent's, peer's)] of the rounds where both have the block"""
    out = []
    for r in sc.get("raw", []):
        x, y = r.get(a, {}), r.get(b, {})
        if "error" in x or "error" in y:
            continue
        u, v = get(x, enc), get(y, enc)
        if u is not None and v is not None:
            out.append((u, v))
    return out


def agent_targets(doc):
    """[target, measured, verdict, margin]: the agent issue's targets: scrape latency (p50
    and p99) and CPU per scrape below node_exporter's, plain and gzip'd; peak RSS under
    RSS_TARGET_MIB with every collector on."""
    rows = []
    sc = next((s for s in doc["scenarios"] if s["key"] == "agent-scrape"), None)
    if not sc:
        return rows
    a, b = "exporter-kscope-agent", "exporter-node"
    s = sc["summary"]
    if s.get(a, {}).get("runs") and s.get(b, {}).get("runs"):
        for enc in ("plain", "gzip"):
            for q in ("p50", "p99"):
                pairs = _per_round(sc, a, b, enc,
                                   lambda r, e, q=q: _blk(r, e, "lat_ns", q))
                if pairs:
                    rows.append(below_every_round(
                        pairs, "scrape latency %s below node_exporter's (%s)" % (q, enc),
                        "us", "%.0f", "node_exporter"))
        for enc in ("plain", "gzip"):
            pairs = _per_round(sc, a, b, enc, lambda r, e: _blk(r, e, "cpu_ns_per_scrape"))
            if pairs:
                pairs = [(x / 1e3, y / 1e3) for x, y in pairs]
                rows.append(below_every_round(
                    pairs, "CPU per scrape below node_exporter's (%s)" % enc, "us", "%.0f",
                    "node_exporter"))
    # not targets, but what the targets leave out: the agent collects in the background
    # whether scraped or not, and serves more series
    ea, eb = s.get(a, {}), s.get(b, {})
    if ea.get("runs") and eb.get("runs"):
        if ea.get("cpu_us_per_interval") and eb.get("cpu_us_per_interval"):
            x, y = ea["cpu_us_per_interval"] / 1e3, eb["cpu_us_per_interval"] / 1e3
            rows.append(["(no target) CPU per %d s scrape interval: background CPU over it "
                         "plus one gzip'd scrape" % sc.get("scrape_interval_s",
                                                            SCRAPE_INTERVAL_S),
                         "%.1f ms vs %.1f ms (background %.2f vs %.2f ms/s, medians of %d "
                         "rounds: the agent's collections every %d s)" % (
                             x, y, ea["idle_cpu_ms_per_s"]["median"],
                             eb["idle_cpu_ms_per_s"]["median"], ea["runs"], AGENT_INTERVAL_S),
                         "**%s**" % ("lower" if x < y else "higher"),
                         "%.2gx node_exporter's" % (x / y) if y else ""])
        ga, gb = ea["blocks"].get("gzip", {}), eb["blocks"].get("gzip", {})
        pa, pb = ea["blocks"].get("plain", {}), eb["blocks"].get("plain", {})
        if ga.get("samples") and gb.get("samples"):
            rows.append(["(no target) bytes and samples per scrape",
                         "%.0f vs %.0f samples; %.1f vs %.1f KiB gzip'd, %.1f vs %.1f KiB "
                         "plain (medians)" % (
                             ga["samples"]["median"], gb["samples"]["median"],
                             ga["body_bytes"]["median"] / 1024,
                             gb["body_bytes"]["median"] / 1024,
                             pa["body_bytes"]["median"] / 1024 if pa else float("nan"),
                             pb["body_bytes"]["median"] / 1024 if pb else float("nan")),
                         "**%s**" % ("fewer" if ga["samples"]["median"] <
                                     gb["samples"]["median"] else "more"),
                         "%.2gx node_exporter's samples" % (ga["samples"]["median"] /
                                                            gb["samples"]["median"])])
    e = s.get(a, {})
    if e.get("runs"):
        hw = [r[a]["status_end"]["VmHWM"] / 1024 for r in sc["raw"]
              if "error" not in r.get(a, {"error": 1}) and "VmHWM" in r[a]["status_end"]]
        m = med(hw)
        under = sum(1 for v in hw if v < RSS_TARGET_MIB)
        row = ["peak RSS under %d MiB, every collector on" % RSS_TARGET_MIB,
               "%.1f MiB VmHWM (median of %d rounds; per round %s MiB); at the end %.1f MiB "
               "VmRSS" % (m, len(hw), ", ".join("%.1f" % v for v in hw),
                          e["vm_rss_kb"]["median"] / 1024)]
        if under == len(hw):
            row += ["**met**", "%.1f MiB to spare" % (RSS_TARGET_MIB - max(hw))]
        elif under == 0:
            row += ["**missed**", "%.1f MiB over" % (m - RSS_TARGET_MIB)]
        else:
            row += ["**not resolved**", "the rounds disagree (%d of %d under): %.1f MiB by "
                    "the median" % (under, len(hw), m)]
        rows.append(row)
    return rows


# ---- the agent-cost scenarios: the agent against its collector's command alone ----------


# per scenario: the single command, the agent with that one collector, the whole agent
AGENT_COST = {
    "agent-cost": ("kscope-syscall-hist", "kscope-agent-syscall", "kscope-agent"),
    "agent-cost-sched": ("kscope-sched-cgroup-C", "kscope-agent-sched", "kscope-agent"),
    "agent-cost-disk": ("kscope-diskio", "kscope-agent-diskio", "kscope-agent"),
}


def _agree(pairs):
    """the verdict of per-round pairs (x, y): more / less when every round agrees, else not
    resolved"""
    more = sum(1 for x, y in pairs if x > y)
    if pairs and more == len(pairs):
        return "**more**"
    if pairs and more == 0 and all(x < y for x, y in pairs):
        return "**less**"
    return "**not resolved**"


def agent_cost_rows(doc):
    """[what, measured, verdict, difference]: per agent-cost scenario, the agent's added
    cost per operation against its collector's command alone (the same programs: a
    difference every round agrees on is the agent's), by the wall clock (each round's
    paired differences against no tracer) and by BPF time (each bpf_stats round), and the
    whole agent's the same way"""
    rows = []
    for sc in doc["scenarios"]:
        if sc["key"] not in AGENT_COST:
            continue
        single, one, full = AGENT_COST[sc["key"]]
        s, unit = sc["summary"], sc["workload"]["unit"]
        base = sc.get("baseline", "none")
        for k in (one, full):
            x, y = s.get(k, {}), s.get(single, {})
            if x.get("added_ns") is None or y.get("added_ns") is None:
                continue
            what = "%s against %s alone" % (sc["labels"][k], sc["labels"][single])
            d = [(r[k]["ns_per_op"] - r[base]["ns_per_op"],
                  r[single]["ns_per_op"] - r[base]["ns_per_op"]) for r in sc["raw"]
                 if all(c in r and "error" not in r[c] for c in (k, single, base))]
            spread = (s[base]["max"] - s[base]["min"]) / 2 if s.get(base, {}).get("max") \
                else None
            rows.append(["%s: added ns per %s" % (what, unit),
                         "%+.0f vs %+.0f ns (paired medians of %d rounds; per round %s; the "
                         "untraced rounds spread +-%.0f ns)" % (
                             x["added_ns"], y["added_ns"], len(d),
                             ", ".join("%+.0f/%+.0f" % p for p in d), spread or 0),
                         _agree(d), "%+.0f ns by the medians%s" % (
                             x["added_ns"] - y["added_ns"],
                             " (%.2fx)" % (x["added_ns"] / y["added_ns"])
                             if x["added_ns"] > 0 and y["added_ns"] > 0 else "")])
            b = [(r[k]["bpf"]["ns_per_op"], r[single]["bpf"]["ns_per_op"])
                 for r in sc.get("raw_bpf_stats", [])
                 if "bpf" in r.get(k, {}) and "bpf" in r.get(single, {})]
            if b and x.get("bpf_ns_per_op") is not None and y.get("bpf_ns_per_op"):
                rows.append(["%s: BPF ns per %s" % (what, unit),
                             "%.0f vs %.0f ns (medians of %d bpf_stats rounds; per round %s)" % (
                                 x["bpf_ns_per_op"], y["bpf_ns_per_op"], len(b),
                                 ", ".join("%.0f/%.0f" % p for p in b)),
                             _agree(b), "%+.0f ns by the medians (%.2fx)" % (
                                 x["bpf_ns_per_op"] - y["bpf_ns_per_op"],
                                 x["bpf_ns_per_op"] / y["bpf_ns_per_op"])])
    return rows

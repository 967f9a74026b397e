"""kbench.soak: the soak scenario (kind "soak"): kscope fileio for minutes under
bench/churn, RSS every second and map entries every 5 s, losses by reason, and its text
table."""
import json
import os
import platform
import struct
import subprocess
import sys
import time

from . import procfs
from .common import BenchError, _print_rows, fmt, machine, machine_date, read
from .parsers import _lines
from .procfs import fdinfo, task_cpu_ns
from .running import Running
from .tracers import TRACERS


# ---- soak: a long run under churn --------------------------------------------


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
    procfs.SENTINEL.wait()
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
    intruder = procfs.SENTINEL.since(t_begin)
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


# ---- output ------------------------------------------------------------------


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

"""kbench.startup: the start-up scenario (kind "startup"): exec to attached under
bench/startup.c, peak and steady RSS, binary and install sizes, and its text table."""
import json
import os
import re
import shutil
import subprocess
import sys
import time

from . import procfs
from .common import BenchError, _mib, _print_rows, _run, fmt, machine, machine_date, med, read
from .procfs import wait_quiet_cpu
from .tracers import TRACERS, _kscope_has


# ---- start-up, memory, size --------------------------------------------------


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


def run_startup(ctx, sc, keys, skipped, rounds_n):
    rounds = []
    for r in range(rounds_n):
        order = keys[r % len(keys):] + keys[:r % len(keys)]
        rec = {}
        for k in order:
            for t in range(8):
                procfs.SENTINEL.wait()
                t_begin = time.monotonic()
                try:
                    rec[k] = measure_startup(ctx, TRACERS[k], "%s-%s" % (sc.key, k))
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


# ---- output ------------------------------------------------------------------


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

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
The VM matrix's report, from build/vmtest/*/ (make vmtest; docs/vmtest.md):

  (a) per kernel, per command and probe: the hook kscope chooses by default
      and under each hook variant (kscope doctor -j, plain and per variant);
  (b) per kernel, per command: integration tests passed / failed / skipped;
  (c) coverage: every alternative hook of every probe (all the doctor JSONs'
      chosen and skipped hooks) with the kernels+variants where it was chosen
      AND that command's tests for that variant passed.

Exit status 1 when an alternative was never exercised (NOT TESTED), a test
failed, a kernel's run did not finish, or a kernel's declared hooks disagree
with what its doctor found. Writes build/vmtest/matrix.json, and with
--compat FILE the generated docs/compat.md.
"""
import argparse
import datetime
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.path.join(REPO, "build", "vmtest")

# test file -> the command it tests, where the name does not say it (test_hooks checks
# every command's plan: "doctor"); test_CMD tests CMD when src/CMD/CMD.bpf.c exists,
# so a new command's tests count for it without a line here (docs/adding-a-command.md)
FILE_COMMAND = {
    "test_lifecycle": "proc", "test_follow": "proc", "test_tree": "proc",
    "test_filters": "proc", "test_escaping": "proc", "test_lost": "proc",
    "test_signals": "proc", "test_fileio_churn": "fileio",
    "test_cli": "cli", "test_build": "cli", "test_hooks": "doctor",
}
TRACING_COMMANDS = sorted(d for d in os.listdir(os.path.join(REPO, "src"))
                          if os.path.exists(os.path.join(REPO, "src", d, d + ".bpf.c")))
COMMAND_ORDER = ["hello", "proc", "sched", "syscall", "fileio"]
COMMAND_ORDER += [c for c in TRACING_COMMANDS if c not in COMMAND_ORDER] + ["cli", "doctor"]
# doctor's hooks[] entries -> the families KSCOPE_TEST_HOOKS speaks of
HOOK_FAMILY = {"fentry": "fentry", "fexit": "fentry", "kprobe": "kprobe",
               "kretprobe": "kprobe", "tp_btf": "tp_btf", "raw_tp": "raw_tp",
               "tracepoint": "tracepoint", "lsm": "lsm"}
FAMILIES = ["fentry", "kprobe", "lsm", "tp_btf", "raw_tp", "tracepoint"]
# kscope's order of preference (docs/hooks.md), for listing alternatives
HOOK_RANK = ["fentry", "fexit", "lsm", "kprobe", "kretprobe", "tp_btf", "raw_tp", "tracepoint"]


# a probe that no alternative serves under a variant (net's send on 6.1 with fentry
# and kprobes forbidden): kscope refuses to run, and its tests check that it does
NO_HOOK = "none"


def hook_rank(h):
    return HOOK_RANK.index(h) if h in HOOK_RANK else len(HOOK_RANK)


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def test_command(classname):
    for part in classname.split("."):
        if part in FILE_COMMAND:
            return FILE_COMMAND[part], part
        if part.startswith("test_") and part[5:] in TRACING_COMMANDS:
            return part[5:], part
        if part.startswith("test_"):
            return "other", part
    return "other", classname


def read_junit(path):
    """[{id, file, command, params, status, message}] from junit.xml."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    tests = []
    for tc in root.iter("testcase"):
        cmd, fname = test_command(tc.get("classname", ""))
        name = tc.get("name", "")
        m = re.search(r"\[(.*)\]$", name)
        params = m.group(1).split("-") if m else []
        status, message = "passed", ""
        for child in tc:
            if child.tag in ("failure", "error"):
                status = "failed"
                message = (child.get("message") or child.text or "").strip()
            elif child.tag == "skipped" and status != "failed":
                status = "skipped"
                message = (child.get("message") or "").strip()
        tests.append({"id": f"{fname}.py::{name}", "file": fname, "command": cmd,
                      "params": params, "status": status, "message": message})
    return tests


def load_kernel(k):
    d = os.path.join(RESULTS, k["id"])
    meta = load_json(os.path.join(d, "meta.json"))
    res = {"id": k["id"], "matrix": k, "meta": meta, "problems": [], "doctor": {}}
    if meta is None:
        res["problems"].append(f"{k['id']}: not run (no {os.path.relpath(d, REPO)}/meta.json)")
        res["finished"] = False
        res["tests"] = []
        res["variants"] = {}
        return res
    res["finished"] = bool(meta.get("finished"))
    if not res["finished"]:
        res["problems"].append(meta.get("failure") or f"{k['id']}: the run did not finish")
    res["variants"] = meta.get("variants") or {"default": []}
    plain = load_json(os.path.join(d, "doctor.json"))
    if plain is None:
        res["problems"].append(f"{k['id']}: no valid doctor.json")
    res["doctor"]["plain"] = plain
    for v, opts in res["variants"].items():
        if not opts or "--no-precheck" in opts:
            res["doctor"][v] = plain          # doctor has no --no-precheck: the plain plan
        else:
            res["doctor"][v] = load_json(os.path.join(d, f"doctor-{v}.json"))
            if res["doctor"][v] is None:
                res["problems"].append(f"{k['id']}: no valid doctor-{v}.json")
    res["tests"] = read_junit(os.path.join(d, "junit.xml"))
    if res["tests"] is None:
        res["tests"] = []
        if res["finished"]:
            res["problems"].append(f"{k['id']}: no junit.xml")
    for t in res["tests"]:
        if t["status"] == "failed":
            res["problems"].append(f"{k['id']}: FAILED {t['id']}: {first_line(t['message'])}")
    # the declaration against what doctor found
    if plain:
        ok = {HOOK_FAMILY.get(h["hook"], h["hook"]) for h in plain.get("hooks", []) if h.get("ok")}
        declared = set(k["hooks"].split(","))
        if ok != declared:
            res["problems"].append(
                f"{k['id']}: declared hooks {sorted(declared)} but doctor finds {sorted(ok)} "
                f"working (scripts/vmtest/matrix.json)")
    return res


def first_line(s, n=200):
    s = (s or "").strip().split("\n")[0]
    return s if len(s) <= n else s[:n - 3] + "..."


def probe_key(p):
    return (p["command"], p["probe"])


def variant_tests(res, command, variant):
    """The tests of command that ran kscope under variant on this kernel: those
    parametrized with the variant; for "default", also every unparametrized one."""
    names = set(res["variants"])
    out = []
    for t in res["tests"]:
        if t["command"] != command:
            continue
        vs = names & set(t["params"])
        if variant in vs or (variant == "default" and not vs):
            out.append(t)
    return out


def analyse(kernels):
    results = [load_kernel(k) for k in kernels]
    # (a) hooks per kernel per probe per variant
    hooks = {}
    for r in results:
        table = {}
        for v, d in r["doctor"].items():
            for p in (d or {}).get("probes", []):
                table.setdefault(probe_key(p), {})[v] = p["hook"] or NO_HOOK
        hooks[r["id"]] = table
    # (b) tests per kernel per command
    tests = {}
    for r in results:
        per = {}
        for t in r["tests"]:
            c = per.setdefault(t["command"], {"passed": 0, "failed": 0, "skipped": 0})
            c[t["status"]] += 1
        tests[r["id"]] = per
    # (c) coverage: every alternative (command, probe, hook, target) seen anywhere
    alts = {}
    probe_order = []            # (command, probe) in the order doctor lists them
    for r in results:
        for (c, p) in hooks[r["id"]]:
            if (c, p) not in probe_order:
                probe_order.append((c, p))
    for r in results:
        for v, d in r["doctor"].items():
            for p in (d or {}).get("probes", []):
                for h in [p] + p.get("skipped", []):
                    if h["hook"]:
                        alts.setdefault((p["command"], p["probe"], h["hook"], h["target"]), [])
    for r in results:
        for v in r["variants"]:
            d = r["doctor"].get(v)
            for p in (d or {}).get("probes", []):
                if not p["hook"]:
                    continue
                ts = variant_tests(r, p["command"], v)
                passed = [t for t in ts if t["status"] == "passed"]
                failed = [t for t in ts if t["status"] == "failed"]
                where = {"kernel": r["id"], "variant": v, "tests_passed": len(passed),
                         "tests_failed": len(failed)}
                alts[(p["command"], p["probe"], p["hook"], p["target"])].append(where)
    coverage = [{"command": c, "probe": pr, "hook": h, "target": tg,
                 "tested": [x for x in w if x["tests_passed"] and not x["tests_failed"]],
                 # chosen there, but that command's tests for the variant failed or none ran
                 "untested": [x for x in w if not x["tests_passed"] or x["tests_failed"]]}
                for (c, pr, h, tg), w in sorted(alts.items(), key=lambda kv: (
                    COMMAND_ORDER.index(kv[0][0]) if kv[0][0] in COMMAND_ORDER else 99,
                    probe_order.index(kv[0][:2]) if kv[0][:2] in probe_order else 999,
                    hook_rank(kv[0][2])))]
    problems = [p for r in results for p in r["problems"]]
    for c in coverage:
        if not c["tested"]:
            problems.append(f"NOT TESTED: {c['command']} {c['probe']} {c['hook']}/{c['target']}"
                            + (f" (chosen on {untested_text(c)})" if c["untested"] else
                               " (never chosen)"))
    return results, hooks, tests, coverage, problems


def where_text(ws, sep="; "):
    """[{kernel, variant}] as "kernel: v1, v2; kernel2: v" (kernels in matrix order)."""
    per = {}
    for w in ws:
        per.setdefault(w["kernel"], []).append(w["variant"])
    return sep.join(f"{k}: {', '.join(vs)}" for k, vs in per.items())


def untested_text(c):
    return ", ".join(f"{x['kernel']}:{x['variant']} with "
                     + (f"{x['tests_failed']} test(s) failed" if x["tests_failed"]
                        else "no tests") for x in c["untested"])


# ---- text ------------------------------------------------------------------------------

def table(rows, head):
    w = [max(len(str(x)) for x in col) for col in zip(head, *rows)] if rows else [len(h) for h in head]
    fmt = "  ".join(f"{{:<{n}}}" for n in w)
    lines = [fmt.format(*head).rstrip()]
    lines += [fmt.format(*[str(x) for x in r]).rstrip() for r in rows]
    return "\n".join(lines)


def kernel_line(r):
    m = r["meta"] or {}
    bits = [m.get("uname_r") or "?", m.get("uname_m") or r["matrix"]["arch"]]
    if m.get("boot") == "qemu":
        bits.append(f"qemu {m.get('accel')} -cpu {m.get('cpu')} -smp {m.get('smp')}")
        bits.append(f"{m.get('package')} {m.get('package_version')}")
    else:
        bits.append("host, no VM")
    return f"{r['id']}: " + ", ".join(bits)


def durations(r):
    m = r["meta"] or {}
    parts = []
    if m.get("boot") == "qemu":
        d = m.get("prepare_detail") or {}
        parts.append(f"prepare {m.get('prepare_s')} s" + (
            " (" + ", ".join(f"{k[:-2].replace('_', ' ')} {v} s" for k, v in d.items()) + ")"
            if d else " (cached)"))
        if m.get("accel_check_s"):
            parts.append(f"KVM check {m['accel_check_s']} s")
        parts.append(f"boot {m.get('boot_s')} s")
    parts.append(f"tests {m.get('test_duration_s')} s")
    parts.append(f"wall {m.get('wall_s')} s")
    return ", ".join(parts)


def text_report(results, hooks, tests, coverage, problems):
    out = ["== kernels"]
    for r in results:
        m = r["meta"] or {}
        out.append(f"{kernel_line(r)}")
        out.append(f"    {durations(r)}; pytest: {m.get('pytest_summary')}; "
                   f"{'finished' if r['finished'] else 'DID NOT FINISH'}")
        if m.get("subset"):
            out.append(f"    subset: {m['subset']}")
        if m.get("accel_why"):
            out.append(f"    accel: {m['accel_why']}")
    out.append("")
    out.append("== (a) hook chosen per probe: default and per variant (kscope doctor -j)")
    for r in results:
        vs = list(r["variants"])
        rows = [[c, p] + [hooks[r["id"]][(c, p)].get(v, "-") for v in vs]
                for (c, p) in hooks[r["id"]]]
        out.append(f"-- {r['id']}")
        out.append(table(rows, ["command", "probe"] + vs) if rows else "   (no doctor output)")
    out.append("")
    out.append("== (b) integration tests per command: passed / failed / skipped")
    cmds = sorted({c for t in tests.values() for c in t},
                  key=lambda c: COMMAND_ORDER.index(c) if c in COMMAND_ORDER else 99)
    rows = []
    for r in results:
        row = [r["id"]]
        for c in cmds:
            n = tests[r["id"]].get(c)
            row.append(f"{n['passed']}/{n['failed']}/{n['skipped']}" if n else "-")
        rows.append(row)
    out.append(table(rows, ["kernel"] + cmds))
    out.append("")
    out.append("== (c) coverage: each alternative, where it was chosen and its command's "
               "tests passed (kernel: variants)")
    rows = [[c["command"], c["probe"], f"{c['hook']}/{c['target']}",
             where_text(c["tested"]) or f"NOT TESTED ({untested_text(c) or 'never chosen'})"]
            for c in coverage]
    out.append(table(rows, ["command", "probe", "alternative", "tested on"]))
    out.append("")
    if problems:
        out.append(f"== {len(problems)} problem(s)")
        out += [f"  {p}" for p in problems]
    else:
        out.append("== no problems: every alternative tested, every test passed, every run finished")
    return "\n".join(out)


# ---- docs/compat.md ----------------------------------------------------------------------

def md_table(rows, head):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(x).replace("|", "\\|") for x in r) + " |" for r in rows]
    return "\n".join(lines)


def compat_md(results, hooks, tests, coverage, problems):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    L = ["# Kernel compatibility", "",
         "<!-- generated by scripts/vmtest/report.py from `make vmtest` results "
         "(build/vmtest/); do not edit by hand -->", "",
         f"Generated from the VM matrix run of {now} (`make vmtest`, "
         "[vmtest.md](vmtest.md)): every kernel below ran `kscope doctor -j` "
         "(plainly and under each hook variant) and the integration tests.", "",
         "## Kernels and architectures tested", ""]
    rows = []
    for r in results:
        m = r["meta"] or {}
        how = "this machine (no VM)" if m.get("boot") == "host" else \
            f"qemu `{m.get('machine')}` {m.get('accel')}, `-cpu {m.get('cpu')}`"
        pkg = f"`{m.get('package')}` {m.get('package_version')}" if m.get("package") else "—"
        c = m.get("pytest_counts") or {}
        tested = (f"{c.get('passed', 0)} passed, {c.get('failures', 0) + c.get('errors', 0)} "
                  f"failed, {c.get('skipped', 0)} skipped") if c else "did not finish"
        if m.get("subset"):
            tested += " (subset)"
        secs = (f"boot {m.get('boot_s')} s, " if m.get("boot") == "qemu" else "") + \
            f"tests {m.get('test_duration_s')} s"
        rows.append([r["id"], m.get("uname_r") or "?", m.get("uname_m") or "?", pkg, how,
                     r["matrix"]["hooks"].replace(",", ", "), tested, secs])
    L.append(md_table(rows, ["kernel", "release", "arch", "package", "how", "declared hooks",
                             "integration tests", "time"]))
    subsets = [(r["id"], r["meta"]["subset"]) for r in results
               if r["meta"] and r["meta"].get("subset")]
    for kid, s in subsets:
        L += ["", f"On {kid} only a subset ran: {s}"]
    L += ["", "## Hook types each kernel offers", "",
          "From `kscope doctor -j` (`hooks[]`: a trivial program of each type loaded for "
          "its real target; fentry, fexit and lsm also attached, see docs/hooks.md).", ""]
    hook_names = []
    for r in results:
        for h in (r["doctor"].get("plain") or {}).get("hooks", []):
            if h["hook"] not in hook_names:
                hook_names.append(h["hook"])
    rows = []
    for h in hook_names:
        row = [f"`{h}`"]
        for r in results:
            e = next((x for x in (r["doctor"].get("plain") or {}).get("hooks", [])
                      if x["hook"] == h), None)
            row.append("—" if e is None else ("yes" if e.get("ok") else f"no: {e.get('error')}"))
        rows.append(row)
    L.append(md_table(rows, ["hook"] + [r["id"] for r in results]))
    L += ["", "## The hook each probe uses, per kernel", "",
          "The default choice (no options); in parentheses the alternatives the "
          "hook variants (`--no-hook ...`) drove it to on that kernel; `none`: no "
          "alternative is left under a variant, and kscope refuses to run (its tests "
          "check that it does).", ""]
    keys = []
    for r in results:
        for k in hooks[r["id"]]:
            if k not in keys:
                keys.append(k)
    rows = []
    for (c, p) in keys:
        row = [c, p]
        for r in results:
            per = hooks[r["id"]].get((c, p), {})
            d = per.get("default") or per.get(next(iter(per), None), "—")
            others = sorted({h for v, h in per.items() if h != d}, key=hook_rank)
            row.append(d + (f" ({', '.join(others)})" if others else ""))
        rows.append(row)
    L.append(md_table(rows, ["command", "probe"] + [r["id"] for r in results]))
    L += ["", "## Every alternative, and where it was tested", "",
          "An alternative counts as tested on a kernel and variant when doctor chose it "
          "there and that command's integration tests for the variant passed.", ""]
    rows = [[c["command"], c["probe"], f"`{c['hook']}/{c['target']}`",
             where_text(c["tested"], "<br>")
             or f"**NOT TESTED** (chosen on {untested_text(c) or 'no kernel'})"]
            for c in coverage]
    L.append(md_table(rows, ["command", "probe", "alternative", "tested on"]))
    L += ["", "## What each command needs from the kernel", "",
          "Derived from the doctor JSON where it says so; the rest is assumed from "
          "[hooks.md](hooks.md) and the code, and marked *assumed*.", ""]
    plains = [r["doctor"].get("plain") or {} for r in results]
    common = []
    for field, what in (("btf", "kernel BTF (`/sys/kernel/btf/vmlinux`, or `--btf FILE`)"),
                        ("ringbuf", "BPF ring buffer (5.8+)"),
                        ("kernel_ok", "kernel version check (5.8+)")):
        vals = [p.get(field) for p in plains if p]
        if vals and all(vals):
            common.append(f"- {what}: present on every kernel tested (doctor `{field}`)")
    L += common + [
        "- tracefs: doctor found it at "
        + ", ".join(sorted({str(p.get('tracefs')) for p in plains if p}))
        + " (needed by the plain `tracepoint` alternatives)", ""]
    rows = []
    for cmd in COMMAND_ORDER:
        probes = [(c, p) for (c, p) in keys if c == cmd]
        if not probes:
            continue
        fams = {}
        for cov in coverage:
            if cov["command"] == cmd:
                fams.setdefault(cov["probe"], []).append(cov["hook"])
        least = []
        for (_, p) in probes:
            alts = fams.get(p, [])
            least.append(f"{p}: " + " or ".join(dict.fromkeys(alts)))
        tested = [r["id"] for r in results if tests[r["id"]].get(cmd, {}).get("passed")]
        rows.append([cmd, "; ".join(least), ", ".join(tested) or "—"])
    L.append(md_table(rows, ["command", "per probe, any one of", "tests passed on"]))
    L += ["",
          "- `syscall`, `fileio`: the call in flight is kept in task-local storage (5.11+); without it "
          "kscope uses an LRU hash (`--no-task-storage`, tested on every kernel) — *assumed* "
          "from docs/hooks.md; doctor does not report task storage.",
          "- `sched`: the `tp_btf`/`raw_tp` `sched_switch` alternatives need `prev_state` as an "
          "argument (5.18+); older kernels fall back to the tracepoint — *assumed* from "
          "docs/hooks.md (every kernel tested here is newer).",
          "- `proc` `exit`: `fentry` attaches on x86_64; on arm64 6.1 it loads but does not "
          "attach (-524) and `kprobe` is used (see the tables above).",
          "- Privileges: root or CAP_BPF + CAP_PERFMON (doctor `privileged` was true on every "
          "run, as root).", ""]
    if problems:
        L += ["## Open problems in this run", ""] + [f"- {p}" for p in problems] + [""]
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compat", help="write the generated compatibility page here")
    ap.add_argument("--json", default=os.path.join(RESULTS, "matrix.json"))
    a = ap.parse_args()
    with open(os.path.join(HERE, "matrix.json")) as f:
        kernels = json.load(f)["kernels"]
    results, hooks, tests, coverage, problems = analyse(kernels)
    print(text_report(results, hooks, tests, coverage, problems))
    doc = {
        "kernels": [{"id": r["id"], "meta": r["meta"], "finished": r["finished"],
                     "variants": r["variants"],
                     "hooks": [{"command": c, "probe": p, "by_variant": v}
                               for (c, p), v in hooks[r["id"]].items()],
                     "tests": tests[r["id"]],
                     "failed": [t for t in r["tests"] if t["status"] == "failed"]}
                    for r in results],
        "coverage": coverage, "problems": problems, "ok": not problems,
    }
    os.makedirs(os.path.dirname(a.json), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(doc, f, indent=1)
    if a.compat:
        with open(a.compat, "w") as f:
            f.write(compat_md(results, hooks, tests, coverage, problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: GPL-2.0
"""
The VM matrix's runner: runs on the host (kernel "host") and inside every
guest, with whichever python3 is there. It writes, into --out:

  doctor.json              kscope doctor -j
  doctor-VARIANT.json      kscope doctor -j with the variant's --no-hook options
                           (variants from tests/integration/hooks.py VARIANTS;
                           a variant doctor cannot express, --no-precheck, is
                           the plain run and gets no file of its own)
  junit.xml, pytest.log    the integration tests
  runner.json              what ran and how it went (uname, times, summary)

Exit status: pytest's (0 all passed), 124 on timeout, 3 if it could not run.
Lines starting with "vmtest:" are progress markers the host reads on the
console.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET


def say(msg):
    print(f"vmtest: {msg}", flush=True)


def uptime():
    try:
        with open("/proc/uptime") as f:
            return float(f.read().split()[0])
    except OSError:
        return None


def run_doctor(kscope, opts, path):
    t0 = time.monotonic()
    p = subprocess.run([kscope, "doctor", "-j", *opts], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=300)
    with open(path, "wb") as f:
        f.write(p.stdout)
    ok = True
    try:
        json.loads(p.stdout)
    except ValueError:
        ok = False
    return {"file": os.path.basename(path), "options": opts, "rc": p.returncode,
            "valid_json": ok, "stderr": p.stderr.decode("utf-8", "replace")[-2000:],
            "seconds": round(time.monotonic() - t0, 2)}


def junit_counts(path):
    """(tests, failures+errors, skipped) from a junit.xml, or None."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    c = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for s in suites:
        for k in c:
            c[k] += int(s.get(k, 0))
    c["passed"] = c["tests"] - c["failures"] - c["errors"] - c["skipped"]
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--id", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--kscope", required=True)
    ap.add_argument("--workloads", required=True)
    ap.add_argument("--tests", required=True, help="the tests/integration directory")
    ap.add_argument("--hooks", required=True, help="KSCOPE_TEST_HOOKS for this kernel")
    ap.add_argument("--timeout", type=float, default=1800, help="pytest's hard limit (s)")
    ap.add_argument("--accel", default="none",
                    help="none (no VM), kvm or tcg: KSCOPE_TEST_ACCEL for the tests")
    ap.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    a = ap.parse_args()

    os.makedirs(a.out, exist_ok=True)
    t_start = time.monotonic()
    info = {"id": a.id, "uname_r": platform.release(), "arch": platform.machine(),
            "uptime_at_start_s": uptime(), "hooks_declared": a.hooks.split(","),
            "accel": a.accel,
            "pytest_args": a.pytest_args, "finished": False}
    say(f"runner start {a.id}: {info['uname_r']} {info['arch']} uptime {info['uptime_at_start_s']}")

    def save():
        with open(os.path.join(a.out, "runner.json.tmp"), "w") as f:
            json.dump(info, f, indent=1)
        os.replace(os.path.join(a.out, "runner.json.tmp"), os.path.join(a.out, "runner.json"))

    # the variants, from the tests' own hooks.py (never a copy here)
    sys.path.insert(0, os.path.abspath(a.tests))
    try:
        import hooks
        variants = {k: list(v) for k, v in hooks.VARIANTS.items()}
    except Exception as e:      # noqa: BLE001 - reported, then the plain doctor still runs
        info["variants_error"] = f"{type(e).__name__}: {e}"
        variants = {"default": []}
    info["variants"] = variants

    # 1. kscope doctor -j, plain and per variant
    info["doctor"] = {"plain": run_doctor(a.kscope, [], os.path.join(a.out, "doctor.json"))}
    for name, opts in variants.items():
        if not opts:
            info["doctor"][name] = {"same_as": "plain"}
        elif "--no-precheck" in opts:
            # doctor has no --no-precheck: it plans with the checks, like the plain run
            info["doctor"][name] = {"same_as": "plain", "options": opts}
        else:
            info["doctor"][name] = run_doctor(a.kscope, opts,
                                              os.path.join(a.out, f"doctor-{name}.json"))
    say("doctor: " + ", ".join(f"{k} rc={v.get('rc', '=')}" for k, v in info["doctor"].items()))
    save()

    # 2. the integration tests
    # KSCOPE_TEST_ACCEL: "tcg" tells the tests that time runs emulated (a TCG guest)
    env = dict(os.environ, KSCOPE=a.kscope, WORKLOADS=a.workloads, KSCOPE_TEST_HOOKS=a.hooks,
               KSCOPE_TEST_ACCEL=a.accel,
               PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    junit = os.path.join(a.out, "junit.xml")
    if os.path.exists(junit):
        os.unlink(junit)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", a.tests,
           f"--junitxml={junit}", *a.pytest_args]
    info["pytest_cmd"] = cmd
    say("pytest: " + " ".join(cmd))
    t0 = time.monotonic()
    timed_out = False
    lines = []
    with open(os.path.join(a.out, "pytest.log"), "w") as log:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = t0 + a.timeout
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        buf = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                say(f"pytest timed out after {a.timeout:.0f} s: killing it")
                try:
                    os.killpg(p.pid, 9)
                except ProcessLookupError:
                    pass
                break
            if not sel.select(min(left, 5)):
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace")
                lines.append(text)
                log.write(text + "\n")
                log.flush()
                print(text, flush=True)
        rc = p.wait()
    duration = time.monotonic() - t0
    summary = next((ln.strip("= ") for ln in reversed(lines)
                    if re.search(r"\b(passed|failed|error|errors|skipped|no tests ran)\b", ln)
                    and " in " in ln), None)
    info["pytest"] = {"rc": 124 if timed_out else rc, "timed_out": timed_out,
                      "duration_s": round(duration, 1), "summary": summary,
                      "counts": junit_counts(junit)}
    info["finished"] = not timed_out
    info["runner_s"] = round(time.monotonic() - t_start, 1)
    info["exit_status"] = info["pytest"]["rc"]
    save()
    say(f"runner end {a.id}: pytest rc={info['exit_status']} in {duration:.1f} s: {summary}")
    return info["exit_status"]


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:      # noqa: BLE001 - the host must see why
        say(f"runner FAILED: {type(e).__name__}: {e}")
        raise SystemExit(3)

# SPDX-License-Identifier: GPL-2.0
"""
The hook each probe gets, on this kernel, under each --no-hook variant:
`kscope doctor -j` must plan exactly what hooks.py expects from what the
kernel offers (declared by the VM matrix, or found by hooks.py's own
bpf(2) checks), and the declaration must match the kernel.
"""
import json

import pytest

import hooks
from conftest import cli

# probes with a single alternative
SINGLE = {("proc", p): "tracepoint" for p in
          ("execve-enter", "execve-exit", "execveat-enter", "execveat-exit")}
# net's live counters: an iterator (over its map, else over TCP sockets), whatever --no-hook says
SINGLE[("net", "live")] = "iter"
# probes whose alternatives are not every tracepoint hook
ALTS = {("proc", "exit"): hooks.EXIT, ("memory", "exit"): hooks.EXIT,
        ("net", "udp-fail"): hooks.NET_UDP_FAIL}


def doctor(opts):
    rc, out, err = cli(["doctor", "-j", *opts])
    assert rc == 0, (rc, out, err)
    return json.loads(out)


def test_kernel_hooks_known():
    """
    What the tests take the kernel to offer agrees with the kernel, for the
    hook families that differ between kernels: the VM matrix's declaration
    (KSCOPE_TEST_HOOKS, when set) with hooks.py's own bpf(2) checks, and those
    with the hook types `kscope doctor` finds working.
    """
    found = hooks.detect_hooks()
    declared = hooks.declared_hooks()
    for fam in ("fentry", "kprobe", "tp_btf"):
        if declared is not None:
            assert (fam in declared) == (fam in found), \
                f"{fam}: declared {sorted(declared)}, the kernel offers {sorted(found)}"
    works = {h["hook"] for h in doctor([])["hooks"] if h["ok"]}
    for fam in ("fentry", "kprobe", "tp_btf"):
        assert (fam in found) == (fam in works), \
            f"{fam}: hooks.py finds {sorted(found)}, kscope doctor {sorted(works)}"


@pytest.mark.parametrize("variant", [v for v in hooks.VARIANTS if v != "no_precheck"])
def test_doctor_plans_the_expected_hook(variant):
    d = doctor(hooks.VARIANTS[variant])
    probes = {(p["command"], p["probe"]): p for p in d["probes"]}
    assert ("proc", "exit") in probes and ("sched", "switch") in probes, probes.keys()
    for key, p in probes.items():
        if key in SINGLE:
            want = SINGLE[key]
        elif key == ("diskio", "io-start"):
            want = hooks.plan(hooks.disk_start(), variant)
        elif key == ("diskio", "merge"):
            want = hooks.plan(hooks.disk_merge(), variant)
        elif key == ("memory", "fault"):
            want = hooks.plan(hooks.mem_fault(), variant)
        elif key == ("memory", "fault-kernel"):
            want = hooks.plan(hooks.mem_kfault(), variant)
        elif key == ("security", "cap"):
            want = hooks.plan(hooks.sec_cap(), variant)
            want = hooks.NET_BYTES_KIND.get(want, want)
        elif key in (("net", "send"), ("net", "recv")):
            want = hooks.plan(hooks.net_bytes(), variant)
            want = hooks.NET_BYTES_KIND.get(want, want)
        else:
            want = hooks.plan(ALTS.get(key, hooks.TP), variant)
        assert p["hook"] == want, (variant, key, p)
        # every better alternative that the variant did not forbid is listed as skipped
        if key == ("proc", "exit"):
            skipped = [s["hook"] for s in p["skipped"] if "--no-hook" not in s.get("error", "")]
            assert skipped == hooks.skipped_before(hooks.EXIT, variant), (variant, p)

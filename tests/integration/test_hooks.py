# SPDX-License-Identifier: GPL-2.0
"""
The hook each probe gets, on this kernel, under each --no-hook variant:
`kscope doctor -j` must plan exactly what hooks.py expects from what the
kernel offers (declared by the VM matrix, or found by hooks.py's own
bpf(2) checks), and the declaration must match the kernel.
"""
import json
import subprocess

import pytest

import hooks
from conftest import KSCOPE, TIMEOUT

# probes with a single alternative
SINGLE = {("proc", p): "tracepoint" for p in
          ("execve-enter", "execve-exit", "execveat-enter", "execveat-exit")}


def doctor(opts):
    res = subprocess.run([KSCOPE, "doctor", "-j", *opts], capture_output=True, text=True,
                         timeout=TIMEOUT)
    assert res.returncode == 0, res
    return json.loads(res.stdout)


def test_declared_hooks_match_kernel():
    """KSCOPE_TEST_HOOKS (the matrix's declaration) agrees with the kernel for
    the hooks that differ between kernels: fentry and kprobe on taskstats_exit."""
    declared = hooks.declared_hooks()
    if declared is None:
        pytest.skip("KSCOPE_TEST_HOOKS not set: the tests use hooks.py's own checks")
    found = hooks.detect_hooks()
    for fam in ("fentry", "kprobe", "tp_btf"):
        assert (fam in declared) == (fam in found), \
            f"{fam}: declared {sorted(declared)}, the kernel offers {sorted(found)}"


@pytest.mark.parametrize("variant", [v for v in hooks.VARIANTS if v != "no_precheck"])
def test_doctor_plans_the_expected_hook(variant):
    d = doctor(hooks.VARIANTS[variant])
    probes = {(p["command"], p["probe"]): p for p in d["probes"]}
    assert ("proc", "exit") in probes and ("sched", "switch") in probes, probes.keys()
    for key, p in probes.items():
        if key in SINGLE:
            want = SINGLE[key]
        else:
            want = hooks.plan(hooks.EXIT if key == ("proc", "exit") else hooks.TP, variant)
        assert p["hook"] == want, (variant, key, p)
        # every better alternative that the variant did not forbid is listed as skipped
        if key == ("proc", "exit"):
            skipped = [s["hook"] for s in p["skipped"] if "--no-hook" not in s.get("error", "")]
            assert skipped == hooks.skipped_before(hooks.EXIT, variant), (variant, p)

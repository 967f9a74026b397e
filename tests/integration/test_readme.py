# SPDX-License-Identifier: GPL-2.0
"""
README.md's tour is real: every example (a "$ " line in a fenced block) is
run again by scripts/readme_examples.py against the binary under test, and
its output must have the shape the README shows (table headers and columns,
NDJSON keys per type, histogram lines, blank lines; values aside). A README
that drifted from the binary fails here; `scripts/readme_examples.py
--update` regenerates the outputs from real runs.
"""
import os
import subprocess
import sys

from conftest import KSCOPE, REPO, WORKLOADS

SCRIPT = os.path.join(REPO, "scripts", "readme_examples.py")
README = os.path.join(REPO, "README.md")

# The whole tour takes about 7 s here (three examples wait one second each,
# --top two); these only guard against a hang.
PER_EXAMPLE_TIMEOUT = 30
TOTAL_TIMEOUT = 100


def test_readme_examples_have_the_shape_shown():
    # (the arm64 guest of the VM matrix deselects this test: matrix.json's "subset")
    assert os.path.exists(SCRIPT) and os.path.exists(README), (SCRIPT, README)
    cmd = [sys.executable, SCRIPT, "--kscope", KSCOPE, "--workloads", WORKLOADS,
           "--readme", README, "--timeout", str(PER_EXAMPLE_TIMEOUT)]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=TOTAL_TIMEOUT)
    report = p.stdout.decode("utf-8", "surrogateescape") + \
        p.stderr.decode("utf-8", "surrogateescape")
    rc = p.returncode
    assert rc == 0, f"README.md's examples drifted from {KSCOPE} (exit {rc}):\n{report}"

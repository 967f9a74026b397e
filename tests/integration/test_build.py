# SPDX-License-Identifier: GPL-2.0
"""The default build is one self-contained binary: statically linked, so it
runs on a machine with nothing installed (no dynamic loader, no libraries)."""
import struct

from conftest import KSCOPE

PT_INTERP, PT_DYNAMIC = 3, 2


def program_headers(path):
    with open(path, "rb") as f:
        elf = f.read()
    assert elf[:4] == b"\x7fELF", "not an ELF file"
    assert elf[4] == 2 and elf[5] == 1, "expected a 64-bit little-endian ELF"
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    return [struct.unpack_from("<I", elf, phoff + i * phentsize)[0] for i in range(phnum)]


def test_binary_is_static():
    types = program_headers(KSCOPE)
    assert types, "no program headers"
    assert PT_INTERP not in types, "kscope asks for a dynamic loader"
    assert PT_DYNAMIC not in types, "kscope has a dynamic section (shared libraries)"


def test_arm64_build_under_qemu_user():
    """`make ARCH=arm64` made a static aarch64 build/arm64/kscope; under qemu-user,
    which does not emulate bpf(), it says so in one line and exits 1 (doctor too)."""
    import json
    import os
    import shutil

    import pytest

    from conftest import REPO, cli

    if os.uname().machine == "aarch64":
        # an arm64 machine (the VM matrix's arm64 guest): the binary under test is
        # the arm64 build, and runs natively; qemu-user has nothing to emulate here
        with open(KSCOPE, "rb") as f:
            e_machine, = struct.unpack_from("<H", f.read(0x14), 0x12)
        assert e_machine == 183, f"{KSCOPE}: e_machine {e_machine}, not EM_AARCH64"
        types = program_headers(KSCOPE)
        assert PT_INTERP not in types and PT_DYNAMIC not in types, "arm64 kscope is not static"
        return
    arm64 = os.environ.get("KSCOPE_ARM64") or os.path.join(REPO, "build", "arm64", "kscope")
    if not os.path.exists(arm64):
        pytest.skip(f"no arm64 build ({arm64}): make ARCH=arm64")
    qemu = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
    if not qemu:
        pytest.skip("no qemu-user (qemu-aarch64-static: scripts/deps.sh --arm64)")

    with open(arm64, "rb") as f:
        e_machine, = struct.unpack_from("<H", f.read(0x14), 0x12)
    assert e_machine == 183, f"{arm64}: e_machine {e_machine}, not EM_AARCH64"
    types = program_headers(arm64)
    assert PT_INTERP not in types and PT_DYNAMIC not in types, "arm64 kscope is not static"

    def run(*args):
        return cli(list(args), prefix=[qemu], binary=arm64)

    rc, out, err = run("--version")
    assert rc == 0 and out.startswith("kscope "), (rc, out, err)

    for args in (["proc", "-d", "1"], ["syscall", "-j", "--", "/bin/true"]):
        rc, out, err = run(*args)
        assert rc == 1, (args, rc, out, err)
        assert out == "", (args, out)
        assert err.count("\n") == 1 and "bpf()" in err and "ENOSYS" in err, (args, err)

    rc, out, err = run("doctor", "-j")
    assert rc == 1, (rc, out, err)
    d = json.loads(out)
    assert d["bpf_syscall"] is False and d["ok"] is False, d
    rc, out, err = run("doctor")
    assert rc == 1 and "bpf() syscall" in out and "ENOSYS" in out, (rc, out, err)

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

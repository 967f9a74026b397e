# SPDX-License-Identifier: GPL-2.0
"""
Untrusted strings (argv, filename, comm) in both output formats: JSON must
round-trip them exactly (bytes that are not UTF-8 come back as lone
surrogates \\udcNN, i.e. Python's surrogateescape), the table must never
put a raw control byte or invalid UTF-8 on the terminal.
"""
import os

from conftest import read_ints, workload

WEIRD = [
    b"ctl\x01\x02\x1b[31mred\x7f",
    b"tab\there\nnewline\rcr\x08bs\x0cff",
    b'quote"s',
    b"back\\slash",
    b"bad\xff\xfeutf8",
    "é".encode(),
    b"",
    b"lone\xc3",                       # truncated UTF-8 sequence
    b"c1\xc2\x85control",               # U+0085: valid UTF-8, a C1 control
    "bidi\u202eevil".encode(),          # right-to-left override
    b"'single' quotes",
    b"end",
]

# a program name that puts control bytes and invalid UTF-8 in comm/filename
WEIRD_NAME = b"w\x1b\xff\xc3\xa9q\"\\"


def dec(b):
    return b.decode("utf-8", "surrogateescape")


def spawn_weird(kscope, args, json_mode, tmp):
    link = os.path.join(os.fsencode(tmp), WEIRD_NAME)
    if not os.path.exists(link):
        os.symlink(workload("exit_with"), link)
    info = kscope.path("spawner.info")
    res = kscope.run(args, program=[workload("spawner"), info, "0", link, b"0", *WEIRD],
                     json_mode=json_mode)
    assert res.rc == 0, res
    parent, child, status = read_ints(info)
    assert status == 0
    return res, link, child


def test_json_roundtrip(kscope, tmp_path):
    res, link, child = spawn_weird(kscope, [], True, str(tmp_path))
    (ex,) = [e for e in res.of("exec") if e["pid"] == child]
    assert ex["argv"] == [dec(link), "0", *map(dec, WEIRD)], ex
    assert ex["filename"] == dec(link), ex
    assert ex["comm"] == dec(WEIRD_NAME), ex
    (x,) = [e for e in res.of("exit") if e["pid"] == child]
    assert x["comm"] == dec(WEIRD_NAME), x


def test_text_is_terminal_safe(kscope, tmp_path):
    res, link, child = spawn_weird(kscope, [], False, str(tmp_path))
    raw = res.events.encode("utf-8", "surrogateescape")
    lines = raw.split(b"\n")
    assert any(str(child).encode() in line and b"exec" in line for line in lines), raw
    for b in raw:
        assert b >= 0x20 or b == 0x0a, f"raw control byte {b:#x} in {raw!r}"
        assert b != 0x7f, raw
    assert b"\xff" not in raw and b"\xfe" not in raw, raw
    assert b"\xc2\x85" not in raw, "raw C1 control"
    assert "\u202e".encode() not in raw, "raw bidi override"
    # the whole output is valid UTF-8 once escaped
    raw.decode("utf-8")
    text = raw.decode()
    assert "\\xff" in text and "\\xfe" in text, text
    assert "é" in text, text


def test_trailing_empty_argument(kscope):
    """An empty last argument is an argument: argv must keep it."""
    info = kscope.path("spawner.info")
    ew = workload("exit_with")
    res = kscope.run([], program=[workload("spawner"), info, "0", ew, "0", "", "mid", ""])
    assert res.rc == 0, res
    _, child, _ = read_ints(info)
    (ex,) = [e for e in res.of("exec") if e["pid"] == child]
    assert ex["argv"] == [ew, "0", "", "mid", ""], ex


def test_argv_truncated(kscope):
    """More than 4096 bytes of arguments: the first 4096 bytes, flagged."""
    info = kscope.path("spawner.info")
    ew = workload("exit_with")
    args = [f"{i:03d}" + "x" * 96 for i in range(60)]      # 60 * 101 bytes
    argv = [ew, "0", *args]
    res = kscope.run([], program=[workload("spawner"), info, "0", *argv])
    assert res.rc == 0, res
    _, child, _ = read_ints(info)
    (ex,) = [e for e in res.of("exec") if e["pid"] == child]
    assert ex["argv_truncated"] is True, ex
    block = b"".join(a.encode() + b"\0" for a in argv)
    assert len(block) > 4096
    head = block[:4096]
    if head.endswith(b"\0"):         # cut right after an argument: nothing partial
        head = head[:-1]
    want = head.split(b"\0")
    assert ex["argv"] == [w.decode() for w in want], ex["argv"][-2:]
    # the spawner's own argv (the same plus its three) is cut too
    (top,) = [e for e in res.of("exec") if e["pid"] != child]
    assert top["argv_truncated"] is True, top
    assert len(b"".join(a.encode() + b"\0" for a in top["argv"])) <= 4096 + 1


def test_failed_exec(kscope):
    """-x: an exec that fails is reported with ret = -errno and its argv."""
    info = kscope.path("spawner.info")
    missing = "/nonexistent/kscope-test-program"
    res = kscope.run(["-x"], program=[workload("spawner"), info, "0", missing, "a", "b c"])
    assert res.rc == 0, res
    parent, child, status = read_ints(info)
    assert status == 127 << 8
    (ex,) = [e for e in res.of("exec") if e["pid"] == child]
    assert ex["ret"] == -2, ex
    assert ex["filename"] == missing and ex["argv"] == [missing, "a", "b c"], ex
    assert ex["ppid"] == parent and ex["comm"] == "spawner", ex
    (top,) = [e for e in res.of("exec") if e["pid"] == parent]
    assert top["ret"] == 0, top

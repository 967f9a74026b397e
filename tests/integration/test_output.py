# SPDX-License-Identifier: GPL-2.0
"""
Where the output goes, and what happens when it cannot go there.

A trace that cannot be written is a failed run: any write error other than a
closed pipe (ENOSPC, EIO, EBADF...) prints one line naming the output and
the error, and kscope exits 1, with `-- PROGRAM` too (docs/exit-codes.md). A
closed pipe stays a clean stop (test_signals.py).

-o FILE (and sched --timeline FILE) is checked when the command line is
read, but an existing file is emptied, and a new one kept, only once the
programs are attached: a run that fails before leaves it as it was. A
symbolic link to a regular file (or to nowhere) is refused; one to a
device or a pipe (/dev/stdout) is followed.
"""
import ctypes
import functools
import os
import subprocess

import pytest

from conftest import cli, parse_ndjson, read_text, workload

# every hook of every probe refused: the programs never load (exit 1)
NO_HOOKS = ["--no-hook", "fentry,kprobe,tp_btf,raw_tp,tracepoint"]


# kscope ARGS once (conftest.cli): (rc, stdout, stderr), bytes that are not UTF-8 escaped
run = functools.partial(cli, errors="surrogateescape")


def sh(script, *args):
    """kscope started by sh (for redirections Python cannot make, like >&-): the
    script runs "$0" (kscope) with args "$1"..."""
    return cli(list(args), prefix=["/bin/sh", "-c", script])


def one_line(err):
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err


# ---- write errors ----------------------------------------------------------------------

def test_output_file_full():
    rc, out, err = run(["proc", "-o", "/dev/full", "-d", "3"])
    assert rc == 1, (rc, err)
    assert one_line(err) == ("kscope: cannot write to '/dev/full': No space left on device: "
                             "the output is incomplete\n")


def test_stdout_full():
    """System-wide: there are rows to write (with nothing to write, nothing fails)."""
    with open("/dev/full", "wb") as full:
        rc, _, err = run(["sched", "-d", "1"], stdout=full, stderr=subprocess.PIPE,
                         capture_output=False)
    assert rc == 1, (rc, err)
    assert ("kscope: cannot write to standard output: No space left on device: the output "
            "is incomplete\n") in err, err


def test_stdout_closed():
    """Started with stdout closed: refused before anything is attached."""
    rc, out, err = sh('exec "$0" proc -d 3 >&-')
    assert rc == 1, (rc, err)
    assert one_line(err) == ("kscope: cannot write to standard output: Bad file descriptor: "
                             "the output is incomplete\n")
    # help and version go through stdio: the same rule
    rc, out, err = sh('exec "$0" --version >&-')
    assert rc == 1 and one_line(err) == ("kscope: cannot write to standard output: "
                                         "Bad file descriptor\n"), (rc, err)
    rc, out, err = sh('exec "$0" proc --help >/dev/full')
    assert rc == 1 and one_line(err) == ("kscope: cannot write to standard output: "
                                         "No space left on device\n"), (rc, err)


def test_stdout_closed_with_output_file(tmp_path):
    """stdout closed but not used (-o FILE): no error, and no file kscope opens becomes fd 1."""
    out = str(tmp_path / "o")
    rc, _, err = sh('exec "$0" proc -j -o "$1" -- /bin/true >&-', out)
    assert rc == 0, (rc, err)
    assert [e["argv"] for e in parse_ndjson(read_text(out)) if e["type"] == "exec"] == \
        [["/bin/true"]]


def test_doctor_output_full():
    rc, out, err = run(["doctor", "-o", "/dev/full"])
    assert rc == 1, (rc, out, err)
    assert ("kscope: cannot write to '/dev/full': No space left on device: the output is "
            "incomplete\n") in err, err


def test_program_not_run_when_output_fails_at_once(tmp_path):
    """The first write already fails: PROGRAM is not run for nothing."""
    marker = str(tmp_path / "ran")
    rc, out, err = run(["proc", "-o", "/dev/full", "--", "/bin/touch", marker])
    assert rc == 1, (rc, err)
    assert one_line(err) == ("kscope: cannot write to '/dev/full': No space left on device: "
                             "the output is incomplete (PROGRAM was not run)\n")
    assert not os.path.exists(marker)


@pytest.fixture
def small_fs(tmp_path):
    """A 16 KiB tmpfs: a trace of a few hundred execs does not fit. mount(2) itself:
    the VM matrix's arm64 userland has no mount(8)."""
    libc = ctypes.CDLL(None, use_errno=True)
    d = str(tmp_path / "small")
    os.mkdir(d)
    if libc.mount(b"tmpfs", d.encode(), b"tmpfs", 0, b"size=16k"):
        raise OSError(ctypes.get_errno(), f"mount tmpfs on {d}")
    yield d
    if libc.umount2(d.encode(), 0):
        raise OSError(ctypes.get_errno(), f"umount {d}")


def test_output_fills_up_during_program(tmp_path, small_fs):
    """
    The output fills up while PROGRAM runs: kscope says so at once, stops
    tracing, lets PROGRAM run to its end, and exits 1 (not PROGRAM's 3).
    """
    out, marker = os.path.join(small_fs, "trace"), str(tmp_path / "done")
    script = 'i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i+1)); done; touch "$1"; exit 3'
    rc, _, err = run(["proc", "-o", out, "--", "/bin/sh", "-c", script, "sh", marker])
    assert rc == 1, (rc, err)
    assert one_line(err) == (f"kscope: cannot write to '{out}': No space left on device: the "
                             "output is incomplete (tracing stopped; kscope exits 1 once "
                             "PROGRAM ends)\n")
    assert os.path.exists(marker)          # PROGRAM ran to its end
    assert os.path.getsize(out) > 0        # what fitted is there


def test_timeline_write_error():
    rc, out, err = run(["sched", "--timeline", "/dev/full", "-d", "1", "-p", str(os.getpid())])
    assert rc == 1, (rc, err)
    assert ("kscope: cannot write to '/dev/full': No space left on device: the output is "
            "incomplete\n") in err, err


# ---- -o FILE and --timeline FILE: when and what they open -----------------------------

def test_failed_run_leaves_existing_file(tmp_path):
    path = str(tmp_path / "keep")
    with open(path, "w") as f:
        f.write("precious\n")
    rc, _, err = run(["proc", *NO_HOOKS, "-o", path, "-d", "1"])
    assert rc == 1 and "no usable hook" in err, (rc, err)
    assert read_text(path) == "precious\n"
    # the same for sched's timeline, and for both at once
    tl = str(tmp_path / "timeline.json")
    with open(tl, "w") as f:
        f.write("old timeline\n")
    rc, _, err = run(["sched", *NO_HOOKS, "--timeline", tl, "-o", path, "-d", "1"])
    assert rc == 1, (rc, err)
    assert read_text(path) == "precious\n" and read_text(tl) == "old timeline\n"
    # a run that starts empties them
    rc, _, err = run(["sched", "--timeline", tl, "-o", path, "-d", "0.5", "-p",
                      str(os.getpid())])
    assert rc == 0, err
    assert "precious" not in read_text(path)
    assert read_text(tl).startswith('{"displayTimeUnit"')


def test_failed_run_leaves_no_new_file(tmp_path):
    path, tl = str(tmp_path / "new"), str(tmp_path / "new-timeline.json")
    rc, _, err = run(["sched", *NO_HOOKS, "--timeline", tl, "-o", path, "-d", "1"])
    assert rc == 1, (rc, err)
    assert not os.path.exists(path) and not os.path.exists(tl)
    # usage errors found after -o was opened leave nothing either
    rc, _, err = run(["sched", "-o", path, "--timeline", "/nonexistent/t.json"])
    assert rc == 2 and not os.path.exists(path), err


def test_symlink_to_regular_file_refused(tmp_path):
    target, link = str(tmp_path / "target"), str(tmp_path / "link")
    with open(target, "w") as f:
        f.write("not yours\n")
    os.symlink(target, link)
    rc, out, err = run(["proc", "-o", link, "-d", "1"])
    assert rc == 2 and out == "", (rc, err)
    assert one_line(err) == (f"kscope proc: cannot write output to '{link}': a symbolic link "
                             "to a regular file: name the file itself (see 'kscope proc "
                             "--help')\n")
    assert read_text(target) == "not yours\n"
    dangling = str(tmp_path / "dangling")
    os.symlink(str(tmp_path / "nowhere"), dangling)
    rc, _, err = run(["sched", "--timeline", dangling, "-d", "1"])
    assert rc == 2 and "a symbolic link that leads nowhere" in one_line(err), err
    assert not os.path.exists(str(tmp_path / "nowhere"))


def test_symlink_to_device_followed(tmp_path):
    """
    A link to what is not a regular file is followed: one to kscope's own
    stdout, the pipe we read (what /dev/stdout is, where something made it:
    the VM matrix's guests have no /dev/stdout), and one to /dev/null.
    """
    link = str(tmp_path / "stdout")
    os.symlink("/proc/self/fd/1", link)
    rc, out, err = run(["proc", "-j", "-o", link, "--", "/bin/true"])
    assert rc == 0, err
    assert [e["argv"] for e in parse_ndjson(out) if e["type"] == "exec"] == [["/bin/true"]]
    assert os.path.islink(link)
    null = str(tmp_path / "null")
    os.symlink("/dev/null", null)
    rc, out, err = run(["proc", "-o", null, "--", "/bin/true"])
    assert rc == 0 and out == "" and err == "", (rc, out, err)


def test_same_file_twice(tmp_path):
    path = str(tmp_path / "both")
    with open(path, "w") as f:
        f.write("x\n")
    for args in (["--timeline", path, "-o", path], ["-o", path, "--timeline", path]):
        rc, _, err = run(["sched", *args, "-d", "1"])
        assert rc == 2, (rc, err)
        assert one_line(err) == (f"kscope sched: --timeline and -o name the same file: "
                                 f"'{path}' (see 'kscope sched --help')\n")
        assert read_text(path) == "x\n"
    # through another name of the same file too
    os.link(path, str(tmp_path / "hard"))
    rc, _, err = run(["sched", "--timeline", str(tmp_path / "hard"), "-o", path, "-d", "1"])
    assert rc == 2 and "name the same file" in err, err


def test_output_directory_refused(tmp_path):
    rc, _, err = run(["proc", "-o", str(tmp_path), "-d", "1"])
    assert rc == 2 and one_line(err).endswith("a directory (see 'kscope proc --help')\n"), err


def test_program_output_file_kept_on_success(tmp_path):
    path = str(tmp_path / "trace.ndjson")
    rc, _, err = run(["proc", "-j", "-o", path, "--", workload("exit_with"), "0"])
    assert rc == 0, err
    assert any(e["type"] == "exec" for e in parse_ndjson(read_text(path)))

# SPDX-License-Identifier: GPL-2.0
"""
Two tracers in one process (ks_session_run, docs/engine.md): the workload
multi_trace runs `kscope hello` and `kscope syscall`, each through its real
command line and in its own tracing context, both polled in one loop, over
one PROGRAM: sys_calls, which makes N getppid() and M failing open() calls
once released. While both are attached the process holds the programs of
both; each tracer sees exactly what it alone would; once the session ends
the process holds no BPF object, and none of its objects is left.
"""
import os
import subprocess

from conftest import (TIMEOUT, bpf_objects, bpftool_list, check_gone, parse_ndjson, read_text,
                      wait_for_file, workload)
from test_syscall import FAIL, check_calls, read_info

N, M = 37, 11
LEFT_NOTHING = "left prog=0 map=0 link=0\n"


def multi_trace(tmp_path, syscall_opts=(), gate=True):
    """multi_trace HELLO_OUT SYSCALL_OUT [OPTS] -- sys_calls [-g GO] -o FAIL INFO N M, started"""
    d = str(tmp_path)
    paths = {k: os.path.join(d, k) for k in ("hello.out", "syscall.out", "info", "go")}
    cmd = [workload("multi_trace"), paths["hello.out"], paths["syscall.out"], *syscall_opts,
           "--", workload("sys_calls"), *(["-g", paths["go"]] if gate else []), "-o", FAIL,
           paths["info"], str(N), str(M)]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    return p, paths


def test_two_tracers_one_process(tmp_path):
    p, paths = multi_trace(tmp_path)
    try:
        # sys_calls writes its INFO file once released: both tracers are attached
        wait_for_file(paths["info"], p)
        owned = bpf_objects(p.pid)
        progs = bpftool_list("prog")
        names = {progs[i]["name"] for i in owned["prog"] if i in progs}
        # each context's own programs (bpftool cuts names at 15 characters)
        assert any(n.startswith("hello_exec_") for n in names), names
        assert any(n.startswith("sys_enter_") for n in names), names
        assert any(n.startswith("sys_exit_") for n in names), names
        # one link per probe: hello's exec and syscall's enter and exit, and
        # each context's own follow-fork and follow-exit
        assert len(owned["link"]) == 7, owned
        with open(paths["go"], "w"):
            pass
        stdout, stderr = p.communicate(timeout=TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, stderr
    assert stderr == b"", stderr
    assert stdout.decode() == LEFT_NOTHING
    check_gone(owned)
    inf = read_info(paths["info"])
    assert inf.get("done") == 1, inf
    # hello: PROGRAM's exec, and nothing else
    events = parse_ndjson(read_text(paths["hello.out"]), "hello")
    assert len(events) == 1, events
    e = events[0]
    assert (e["type"], e["pid"], e["comm"]) == ("hello", inf["pid"], "sys_calls"), e
    assert e["filename"] == workload("sys_calls"), e
    # syscall: the same process's calls, counted exactly
    rows = parse_ndjson(read_text(paths["syscall.out"]), "syscall")
    assert rows and all(r["type"] == "syscall_stat" for r in rows), rows
    check_calls(rows, inf, N, M)


def test_one_fails_nothing_stays(tmp_path):
    """syscall cannot attach after hello did: the session says why, exits 1, PROGRAM
    never runs, both -o files stay unmade, and nothing of hello's is left."""
    p, paths = multi_trace(tmp_path, ["--no-hook", "tp_btf,raw_tp,tracepoint"], gate=False)
    stdout, stderr = p.communicate(timeout=TIMEOUT)
    assert p.returncode == 1, stderr
    lines = stderr.decode().splitlines()
    assert lines and all(line.startswith("kscope: no usable hook for probe '") for line in lines), \
        lines
    assert "kscope: no usable hook for probe 'sys-exit'" in stderr.decode(), lines
    assert stdout.decode() == LEFT_NOTHING
    for k in ("hello.out", "syscall.out", "info"):
        assert not os.path.exists(paths[k]), k

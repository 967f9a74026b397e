# SPDX-License-Identifier: GPL-2.0
"""
kscope security against a workload whose every privileged action the test
knows (tests/workloads/secact.c), on every hook path the kernel offers its
capability probe (capability:cap_capable as tp_btf, raw_tp and tracepoint
on 6.14+; fexit, else a kretprobe with its kprobe, on cap_capable before)
and its syscall and exec probes (raw_syscalls, sched_process_exec):

  * a child that drops to uid 1000 with setresuid and calls sethostname
    three times: exactly three denied CAP_SYS_ADMIN checks naming
    sethostname, its one CAP_SETUID grant naming setresuid, and the
    0 -> 1000 transition with its result;
  * ptrace attach and detach: exactly those two requests, with the child's
    pid; one 2-instruction socket filter loaded through bpf(): its type,
    name, instruction count and fd; a tmpfs mount and unmount in a private
    mount namespace: exactly those (and the propagation change); the module
    load attempts with their errors (ENOSYS where modules are compiled out);
    the unshare with its namespaces; an exec of a set-uid file with the
    credentials before and after;
  * every string the workload controls (mount paths, source, program name,
    comm) round-trips in JSON and is escaped in the table;
  * a check against a child user namespace says so;
  * the filters (--denied, --cap, --kind, --unique, --all), --summary per
    process and per cgroup, bad input, and nothing left attached.
"""
import json
import os
import shutil
import signal
import subprocess

import pytest

import hooks
from conftest import WORKLOADS, bpf_objects, check_gone, check_usage_error, cli

SECACT = os.path.join(WORKLOADS, "secact")

HDR = ("type", "ts_ns", "pid", "tid", "ppid", "uid", "comm", "cgroup_id", "cpu")
CAP_FIELDS = HDR + ("capability", "cap", "verdict", "ret", "userns", "userns_level",
                    "userns_inum", "euid", "syscall", "syscall_nr", "audit")
CREDS = tuple(f"{w}_{k}" for w in ("old", "new") for k in (
    "uid", "euid", "suid", "fsuid", "gid", "egid", "sgid", "fsgid", "cap_effective",
    "cap_permitted"))

# hook paths: those under which the capability probe has a hook (the exact checks need
# it), and every tracepoint path of the syscall and exec probes
VARIANTS = hooks.variants_needing(hooks.sec_cap(), hooks.TP)

# strings the workload controls, with bytes that need escaping
MNT_NAME = 'm"n\\t\nx'
SOURCE = 'src"\\\x01\n'
BAD_PROG = 'bad"\n\\'
COMM = 'se"c\n\\'


def expected_cap_hook(variant):
    h = hooks.plan(hooks.sec_cap(), variant)
    return hooks.NET_BYTES_KIND.get(h, h)


@pytest.fixture
def setuid_file(shared_dir):
    """A set-uid file owned by uid 1000 (a copy of /bin/true) where set-uid works."""
    path = os.path.join(shared_dir, "suid-true")
    if not os.path.exists(path):
        shutil.copy("/bin/true", path + ".tmp")
        os.chown(path + ".tmp", 1000, 1000)
        os.chmod(path + ".tmp", 0o4755)
        os.rename(path + ".tmp", path)
    return path


def run_secact(kscope, tmp_path, args, setuid_file=None, json_mode=True, extra=()):
    mnt = tmp_path / MNT_NAME
    mnt.mkdir(exist_ok=True)
    prog = [SECACT, "-m", str(mnt), "-s", SOURCE, "-b", BAD_PROG, "-c", COMM, *extra]
    if setuid_file:
        prog += ["-x", setuid_file]
    res = kscope.command("security").run(args, program=prog, json_mode=json_mode)
    assert res.rc == 0, res
    w = json.loads(res.stdout.splitlines()[-1])
    return res, w, str(mnt)


def mine(res, pid, kind):
    return [e for e in res.of(kind) if e["pid"] == pid]


@pytest.mark.parametrize("variant", VARIANTS)
def test_secact_events(kscope, tmp_path, setuid_file, variant):
    res, w, mnt = run_secact(kscope, tmp_path, ["-v", *hooks.options(variant)], setuid_file)
    tp = hooks.plan(hooks.TP, variant)
    assert f"kscope: probe cap: {expected_cap_hook(variant)}/" in res.stderr, res.stderr
    assert f"kscope: probe exec: {tp}/" in res.stderr, res.stderr
    assert "kscope: probe syscalls: tracepoint/syscalls/sys_{enter,exit}_* (setuid," in \
        res.stderr, res.stderr
    # a kernel built without modules has no module syscall tracepoints: raw sys_exit then
    no_mod = not hooks.syscall_tracepoint("finit_module")
    assert (f"kscope: probe sys-exit: {tp}/" in res.stderr) == no_mod, res.stderr
    assert ("without tracepoints (init_module,finit_module,delete_module)" in res.stderr) == \
        no_mod, res.stderr
    pid, dropper = w["pid"], w["dropper"]
    audit = None if expected_cap_hook(variant) in hooks.TP else True

    # the uid 1000 child: its CAP_SETUID grant, the transition, three denials
    caps = mine(res, dropper, "cap")
    for e in caps:
        assert set(e) == set(CAP_FIELDS), e
    assert [(e["capability"], e["verdict"], e["syscall"]) for e in caps] == \
        [("CAP_SETUID", "granted", "setresuid")] + \
        [("CAP_SYS_ADMIN", "denied", "sethostname")] * 3, caps
    assert [e["cap"] for e in caps] == [7, 21, 21, 21]
    assert [e["euid"] for e in caps] == [0, 1000, 1000, 1000], caps
    assert [e["ret"] for e in caps] == [0, -1, -1, -1], caps
    assert all(e["userns"] == "host" and e["userns_level"] == 0 for e in caps), caps
    assert all(e["audit"] is audit for e in caps), caps
    (sid,) = mine(res, dropper, "setid")
    assert sid["syscall"] == "setresuid", sid
    assert (sid["arg_ruid"], sid["arg_euid"], sid["arg_suid"]) == (1000, 1000, 1000), sid
    assert sid["ret"] == 0 and sid["error"] is None, sid
    assert (sid["old_uid"], sid["old_euid"], sid["old_suid"]) == (0, 0, 0), sid
    assert (sid["new_uid"], sid["new_euid"], sid["new_suid"]) == (1000, 1000, 1000), sid
    assert sid["old_cap_effective"] != 0 and sid["new_cap_effective"] == 0, sid
    assert set(CREDS) <= set(sid), sid

    # ptrace: exactly the attach and the detach of the traced child
    pt = mine(res, pid, "ptrace")
    assert [(e["request"], e["request_nr"], e["target_pid"], e["ret"]) for e in pt] == \
        [("PTRACE_ATTACH", 16, w["traced"], 0), ("PTRACE_DETACH", 17, w["traced"], 0)], pt

    # bpf(): the program loaded (and the one refused for its name)
    good, bad = mine(res, pid, "bpf")
    assert good["command"] == "BPF_PROG_LOAD" and good["cmd"] == 5, good
    assert good["prog_type"] == "BPF_PROG_TYPE_SOCKET_FILTER", good
    assert good["insn_cnt"] == 2 and good["prog_name"] == "secact", good
    assert good["ret"] == w["bpf_fd"] and good["fd"] == w["bpf_fd"], (good, w)
    assert bad["prog_name"] == BAD_PROG and bad["ret"] == w["bad_ret"] == -22, bad
    assert bad["error"] == "EINVAL" and "fd" not in bad, bad

    # module load attempts, with the error each returned
    mods = mine(res, pid, "module")
    assert [(e["syscall"], e["ret"]) for e in mods] == \
        [("finit_module", w["finit_ret"]), ("init_module", w["init_ret"])], mods
    assert all(e["ret"] < 0 and e["error"] for e in mods), mods
    assert mods[0]["module_fd"] == -1 and mods[1]["image_bytes"] == 0, mods

    # mounts: / made private, the tmpfs mounted and unmounted
    m = mine(res, pid, "mount")
    assert [e["syscall"] for e in m] == ["mount", "mount", "umount2"], m
    assert m[0]["target"] == "/" and m[0]["source"] == "" and m[0]["flags"] == 0x44000, m[0]
    assert (m[1]["source"], m[1]["target"], m[1]["fstype"]) == (SOURCE, mnt, "tmpfs"), m[1]
    assert m[1]["flags"] == 6 and m[1]["ret"] == 0, m[1]          # MS_NOSUID | MS_NODEV
    assert m[2]["target"] == mnt and m[2]["ret"] == 0, m[2]

    # the namespaces
    (ns,) = mine(res, pid, "ns")
    assert ns["syscall"] == "unshare" and ns["flags"] == 0x04020000, ns
    assert set(ns["namespaces"].split("|")) == {"CLONE_NEWNS", "CLONE_NEWUTS"}, ns

    # the exec of the set-uid file: credentials before and after
    (ex,) = mine(res, w["execer"], "suid")
    assert ex["filename"] == setuid_file and ex["set"] == "setuid", ex
    assert (ex["file_uid"], ex["file_gid"], ex["file_mode"]) == (1000, 1000, "4755"), ex
    assert (ex["old_uid"], ex["old_euid"]) == (0, 0), ex
    assert (ex["new_uid"], ex["new_euid"]) == (0, 1000), ex

    # every event of the tree is one of these: nothing else from the workload
    for e in res.events:
        if e["pid"] in (pid, dropper, w["execer"]) and e["type"] not in ("cap",):
            assert e["type"] in ("setid", "ptrace", "bpf", "module", "mount", "ns",
                                 "suid"), e
    # its comm, escaped: JSON gives it back as set
    assert ns["comm"] == COMM, ns


@pytest.mark.parametrize("variant", hooks.variants_for(hooks.TP))
def test_raw_syscalls(kscope, tmp_path, setuid_file, variant):
    """--raw-syscalls: every watched syscall whole at raw_syscalls sys_exit (as where the
    kernel has no syscall tracepoints): the same records, without the credentials
    before a uid change or a set-id exec (null)."""
    res, w, mnt = run_secact(kscope, tmp_path, ["-v", "--raw-syscalls",
                                                *hooks.VARIANTS[variant]], setuid_file)
    tp = hooks.plan(hooks.TP, variant)
    assert f"kscope: probe sys-exit: {tp}/" in res.stderr, res.stderr
    assert "probe syscalls:" not in res.stderr, res.stderr
    pid, dropper = w["pid"], w["dropper"]
    (sid,) = mine(res, dropper, "setid")
    assert (sid["syscall"], sid["arg_ruid"], sid["arg_euid"], sid["arg_suid"], sid["ret"]) == \
        ("setresuid", 1000, 1000, 1000, 0), sid
    assert sid["old_uid"] is None and sid["new_uid"] == 1000, sid
    assert [(e["request"], e["target_pid"]) for e in mine(res, pid, "ptrace")] == \
        [("PTRACE_ATTACH", w["traced"]), ("PTRACE_DETACH", w["traced"])]
    good, bad = mine(res, pid, "bpf")
    assert (good["prog_name"], good["insn_cnt"], good["fd"]) == ("secact", 2, w["bpf_fd"]), good
    assert (bad["prog_name"], bad["ret"]) == (BAD_PROG, -22), bad
    assert [(e["syscall"], e["ret"]) for e in mine(res, pid, "module")] == \
        [("finit_module", w["finit_ret"]), ("init_module", w["init_ret"])]
    m = mine(res, pid, "mount")
    assert [(e["syscall"], e.get("source"), e["target"]) for e in m] == \
        [("mount", "", "/"), ("mount", SOURCE, mnt), ("umount2", None, mnt)], m
    assert m[1]["old_uid"] == 0, m[1]       # a mount cannot change them: known
    (ns,) = mine(res, pid, "ns")
    assert ns["flags"] == 0x04020000, ns
    (ex,) = mine(res, w["execer"], "suid")
    assert ex["old_euid"] is None and ex["new_euid"] == 1000, ex


def test_text_escapes_what_the_workload_controls(kscope, tmp_path):
    res, w, mnt = run_secact(kscope, tmp_path, [], json_mode=False)
    raw = res.events.encode("utf-8", "surrogateescape")
    for b in raw:
        assert b >= 0x20 or b == 0x0a, f"raw control byte {b:#x} in {raw!r}"
    text = raw.decode()
    mounts = [line for line in text.splitlines() if f" {w['pid']} " in line and
              line.split()[1] == "mount"]
    assert len(mounts) == 3, text
    assert 'm"n\\\\t\\nx' in mounts[1] and "\\x01" in mounts[1], mounts[1]
    (bad,) = [line for line in text.splitlines() if "bpf" in line and "EINVAL" in line]
    assert 'prog_name=bad"\\n\\\\' in bad, bad
    assert 'se"c\\n\\\\' in bad, bad


def test_child_user_namespace(kscope):
    """sethostname() in a user namespace of its own: checked against it, granted."""
    res = kscope.command("security").run(["--all", "--cap", "SYS_ADMIN"],
                                         program=[SECACT, "-U"])
    if res.rc == 77:
        # unshare(CLONE_NEWUSER) is refused in a chroot (user_namespaces(7)): the VM
        # guest whose root is the host's directory tree runs the tests in one
        pytest.skip(res.stderr.strip())
    assert res.rc == 0, res
    pid = json.loads(res.stdout)["pid"]
    sh = [e for e in mine(res, pid, "cap") if e["syscall"] == "sethostname"]
    assert len(sh) == 2, sh
    for e in sh:
        assert (e["userns"], e["userns_level"], e["verdict"]) == ("child", 1, "granted"), e
        assert e["userns_inum"] == sh[0]["userns_inum"] != 4026531837, e
    assert {e["type"] for e in res.events} == {"cap"}, res.events


def test_denied_only(kscope, tmp_path):
    res, w, _ = run_secact(kscope, tmp_path, ["--denied"])
    tree = (w["pid"], w["dropper"], w["traced"], w["execer"])
    got = [(e["type"], e.get("capability") or e["syscall"]) for e in res.events
           if e["pid"] in tree]
    assert got == [("bpf", "bpf"), ("module", "finit_module"), ("module", "init_module")] + \
        [("cap", "CAP_SYS_ADMIN")] * 3, got
    assert all(e["ret"] < 0 for e in res.events if e["pid"] in tree), res.events


def test_cap_filter_all(kscope, tmp_path):
    """--cap SETUID --all: every CAP_SETUID check, and nothing else (no privilege events)."""
    res, w, _ = run_secact(kscope, tmp_path, ["--cap", "setuid", "--all", "-v"])
    assert [(e["pid"], e["capability"], e["verdict"]) for e in res.events] == \
        [(w["dropper"], "CAP_SETUID", "granted")], res.events
    assert "probe sys-exit" not in res.stderr and "probe syscalls" not in res.stderr, \
        res.stderr


def test_cap_all_counts_each_check(kscope, tmp_path):
    """--all: the parent's five granted sethostname() checks, one each."""
    res, w, _ = run_secact(kscope, tmp_path, ["--all", "--kind", "cap"])
    sh = [e for e in mine(res, w["pid"], "cap") if e["syscall"] == "sethostname"]
    assert [(e["capability"], e["verdict"]) for e in sh] == [("CAP_SYS_ADMIN", "granted")] * 5
    # and the default shows one grant per (process, capability)
    res, w, _ = run_secact(kscope, tmp_path, ["--kind", "cap"])
    caps = [e["capability"] for e in mine(res, w["pid"], "cap")]
    assert len(caps) == len(set(caps)) and "CAP_SYS_ADMIN" in caps, caps


def test_unique(kscope, tmp_path):
    res, w, _ = run_secact(kscope, tmp_path, ["--unique"])
    caps = mine(res, w["dropper"], "cap")
    assert [(e["capability"], e["verdict"]) for e in caps] == \
        [("CAP_SETUID", "granted"), ("CAP_SYS_ADMIN", "denied")], caps


def test_kind_filter(kscope, tmp_path):
    res, w, _ = run_secact(kscope, tmp_path, ["--kind", "ptrace,ns", "-v"])
    assert {e["type"] for e in res.events} == {"ptrace", "ns"}, res.events
    assert len(res.of("ptrace")) == 2 and len(res.of("ns")) == 1, res.events
    assert "probe cap:" not in res.stderr and "probe exec:" not in res.stderr, res.stderr


def test_summary_per_process(kscope, tmp_path):
    res, w, _ = run_secact(kscope, tmp_path, ["--summary"])
    rows = {(r["pid"], r["kind"], r["name"]): r for r in res.of("security_stat")}
    for r in rows.values():
        assert set(r) == {"type", "ts_ns", "interval_ns", "pid", "comm", "kind", "name",
                          "count", "granted", "denied"}, r
        assert r["count"] == r["granted"] + r["denied"], r
    d = w["dropper"]

    def counts(pid, kind, name):
        r = rows[(pid, kind, name)]
        return r["count"], r["granted"], r["denied"]

    assert counts(d, "cap", "CAP_SYS_ADMIN") == (3, 0, 3)
    assert counts(d, "cap", "CAP_SETUID") == (1, 1, 0)
    assert counts(d, "setid", "setresuid") == (1, 1, 0)
    p = w["pid"]
    assert counts(p, "ptrace", "PTRACE_ATTACH") == (1, 1, 0)
    assert counts(p, "ptrace", "PTRACE_DETACH") == (1, 1, 0)
    assert counts(p, "bpf", "BPF_PROG_LOAD") == (2, 1, 1)
    assert counts(p, "module", "finit_module") == (1, 0, 1)
    assert counts(p, "module", "init_module") == (1, 0, 1)
    assert counts(p, "mount", "mount") == (2, 2, 0)
    assert counts(p, "mount", "umount2") == (1, 1, 0)
    assert counts(p, "ns", "unshare") == (1, 1, 0)
    # the parent's checks: its five sethostname() calls at least, all granted
    c, g, dn = counts(p, "cap", "CAP_SYS_ADMIN")
    assert c >= 5 and dn == 0, (c, g, dn)
    assert rows[(p, "cap", "CAP_SYS_ADMIN")]["comm"] == COMM


def test_summary_per_cgroup(kscope, cgroup):
    """--by cgroup: the workload's own cgroup (v2) holds its counts, and only it."""
    cgid = os.stat(cgroup).st_ino
    tr = kscope.command("security").start(["--summary", "--by", "cgroup", "--kind",
                                           "cap,setid", "-c", cgroup])
    p = subprocess.run(["sh", "-c", f'echo $$ > "$1/cgroup.procs" && exec "$2"', "sh",
                        cgroup, SECACT], capture_output=True, timeout=120)
    assert p.returncode == 0, p
    res = tr.stop(signal.SIGINT)
    assert res.rc == 0, res
    rows = {(r["cgroup_id"], r["kind"], r["name"]): r for r in res.of("security_stat")}
    assert {k[0] for k in rows} == {cgid}, rows
    r = rows[(cgid, "cap", "CAP_SYS_ADMIN")]
    assert r["denied"] == 3 and r["granted"] >= 5, r
    r = rows[(cgid, "setid", "setresuid")]
    assert (r["count"], r["granted"], r["denied"]) == (1, 1, 0), r
    assert all(r["cgroup"] == "/" + os.path.basename(cgroup) for r in rows.values()), rows
    assert all("pid" not in r and "comm" not in r for r in rows.values()), rows


def test_doctor_says_which_syscalls_need_the_raw_exit():
    rc, out, err = cli(["doctor", "-j"])
    assert rc == 0, (rc, err)
    (p,) = [p for p in json.loads(out)["probes"]
            if (p["command"], p["probe"]) == ("security", "sys-exit")]
    if hooks.syscall_tracepoint("finit_module"):
        assert p["note"].startswith("not loaded here: the "), p
    else:
        assert "without tracepoints here: init_module,finit_module,delete_module (" in \
            p["note"], p
    (c,) = [p for p in json.loads(out)["probes"]
            if (p["command"], p["probe"]) == ("security", "cap")]
    if c["hook"] in hooks.TP:
        assert c["lacks"].startswith("the audit flag"), c
    else:
        assert c["lacks"] is None, c


@pytest.mark.parametrize("args,msg", [
    (["--cap", "NOPE"], "invalid --cap 'NOPE'"),
    (["--cap", "SYS_ADMIN,"], "invalid --cap"),
    (["--cap", "64"], "invalid --cap"),
    (["--kind", "caps"], "invalid --kind 'caps'"),
    (["--kind", ""], "invalid --kind"),
    (["--by", "thread", "--summary"], "invalid --by 'thread'"),
    (["--all", "--unique"], None),
    (["--summary", "--all"], None),
    (["-s", "denied"], "are for --summary"),
    (["5"], "are for --summary"),
    (["--kind", "mount", "--cap", "SYS_ADMIN"], "--cap selects capability checks"),
])
def test_bad_input(args, msg):
    check_usage_error("security", args, msg)


def test_nothing_left_attached(kscope):
    tr = kscope.command("security").start([])
    owned = bpf_objects(tr.pid)
    assert owned["prog"] and owned["link"], owned
    res = tr.stop(signal.SIGINT)
    assert res.rc == 0, res
    check_gone(owned)

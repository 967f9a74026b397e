# SPDX-License-Identifier: GPL-2.0
"""
Containers (issue 18, first part): -C/--container-column names the
container of every event record, from its task's cgroup (v2) path
(src/engine/container.c; the layouts are unit-tested in
tests/unit/test_container.c). Here a fake docker container made by the
test: a cgroup v2 directory system.slice/docker-<64 hex>.scope, as
docker's systemd driver names it, that a workload joins:

  * the records of its tasks name it (id and runtime), in JSON and, as
    docker ps shortens it, in the table; the records of tasks outside it
    (the shell before it joins) name none;
  * capability denials made inside it (kscope security) name it;
  * -C where no event record would be printed is refused.
"""
import os
import secrets
import time

import pytest

from conftest import WORKLOADS, cgroup2_mount, check_usage_error, workload


@pytest.fixture
def docker_cgroup():
    """A cgroup v2 directory named as docker (systemd driver) names a container's."""
    root = cgroup2_mount()
    ctr_id = secrets.token_hex(32)
    parent = os.path.join(root, "system.slice")
    made_parent = not os.path.isdir(parent)
    if made_parent:
        os.mkdir(parent)
    path = os.path.join(parent, f"docker-{ctr_id}.scope")
    os.mkdir(path)
    yield ctr_id, path
    for _ in range(500):
        try:
            os.rmdir(path)
            break
        except OSError:
            time.sleep(0.01)
    if made_parent:
        os.rmdir(parent)


def joined(cg, *argv):
    """sh, joining cgroup cg, then exec'ing argv."""
    return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, *argv]


def test_proc_records_name_the_container(kscope, docker_cgroup):
    ctr_id, cg = docker_cgroup
    ew = workload("exit_with")
    res = kscope.run(["-C"], program=joined(cg, ew, "0"))
    assert res.rc == 0, res
    execs = res.of("exec")
    assert [e["filename"] for e in execs][-1] == ew, execs
    (sh,) = [e for e in execs if e["comm"] == "sh"]
    assert sh["container"] is None and sh["container_runtime"] is None, sh
    (ex,) = [e for e in execs if e["filename"] == ew]
    assert (ex["container"], ex["container_runtime"]) == (ctr_id, "docker"), ex
    assert ex["cgroup_id"] == os.stat(cg).st_ino, ex
    (x,) = res.of("exit")
    assert (x["container"], x["container_runtime"]) == (ctr_id, "docker"), x
    # without -C, no such fields
    res = kscope.run([], program=joined(cg, ew, "0"))
    assert all("container" not in e for e in res.events), res.events


def test_table_shows_the_short_id(kscope, docker_cgroup):
    ctr_id, cg = docker_cgroup
    ew = workload("exit_with")
    res = kscope.run(["-C"], program=joined(cg, ew, "0"), json_mode=False)
    assert res.rc == 0, res
    lines = res.events.splitlines()
    head = [line for line in lines if line.startswith("TIME")][0]
    assert head.split()[:7] == ["TIME(s)", "EVENT", "PID", "TID", "PPID", "COMM",
                                "CONTAINER"], head
    col = head.index("CONTAINER")
    rows = [line for line in lines if " exec " in line or " exit " in line]
    assert [r[col:col + 12] for r in rows] == ["-" + " " * 11, ctr_id[:12], ctr_id[:12]], rows


def test_security_denials_name_the_container(kscope, docker_cgroup):
    ctr_id, cg = docker_cgroup
    res = kscope.command("security").run(
        ["-C", "--denied", "--kind", "cap"],
        program=joined(cg, os.path.join(WORKLOADS, "secact"), "-q"))
    assert res.rc == 0, res
    caps = res.of("cap")
    assert [(e["capability"], e["container"], e["container_runtime"]) for e in caps] == \
        [("CAP_SYS_ADMIN", ctr_id, "docker")] * 3, caps


@pytest.mark.parametrize("command,args", [
    ("syscall", ["-C"]), ("sched", ["-C"]), ("diskio", ["-C"]), ("proc", ["--tree", "-C"]),
    ("fileio", ["--top", "-C"]), ("net", ["-C", "--by", "process"]),
    ("security", ["--summary", "-C"]),
])
def test_refused_without_event_records(command, args):
    check_usage_error(command, args, "-C")

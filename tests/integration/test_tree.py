# SPDX-License-Identifier: GPL-2.0
"""--tree: one summary at the end instead of the event stream."""
import re

from conftest import read_ints, workload


def test_tree_json(kscope):
    """spawner -> sh -> exit_with, as one nested JSON line."""
    info = kscope.path("spawner.info")
    spawner, ew = workload("spawner"), workload("exit_with")
    script = '"$0" 7 a "b c"; exit 0'
    program = [spawner, info, "4", "/bin/sh", "-c", script, ew]
    res = kscope.run(["--tree"], program=program)
    assert res.rc == 4, res
    spawner_pid, sh_pid, _ = read_ints(info)

    assert len(res.events) == 1, res.events
    (tree,) = res.events
    assert tree["type"] == "tree"
    assert len(tree["processes"]) == 1, tree
    (root,) = tree["processes"]

    def check(node, pid, argv, code, nkids):
        assert node["pid"] == pid, node
        assert [x["argv"] for x in node["execs"]] == [argv], node
        assert [x["filename"] for x in node["execs"]] == [argv[0]], node
        for x in node["execs"]:
            assert x["argv_truncated"] is False and x["ts_ns"] > 0, x
        assert node["exited"] is True, node
        assert node["exit_code"] == code and node["signal"] == 0, node
        assert node["core_dumped"] is False, node
        assert node["lifetime_ns"] > 0, node
        assert node["max_rss_bytes"] > 0, node
        assert node["cpu_ns"] >= 0, node
        assert node["threads"] == 0, node
        assert len(node["children"]) == nkids, node
        return node["children"]

    (sh,) = check(root, spawner_pid, program, 4, 1)
    assert root["comm"] == "spawner"
    (grand,) = check(sh, sh_pid, ["/bin/sh", "-c", script, ew], 0, 1)
    assert sh["ppid"] == spawner_pid and sh["comm"] == "sh"
    check(grand, grand["pid"], [ew, "7", "a", "b c"], 7, 0)
    assert grand["ppid"] == sh_pid and grand["comm"] == "exit_with"
    assert grand["pid"] not in (spawner_pid, sh_pid)


def test_tree_json_threads_and_signal(kscope):
    """threads are counted, not listed as children; a killed child shows its signal."""
    info = kscope.path("threads.info")
    kinfo = kscope.path("killself.info")
    th, ks = workload("threads"), workload("killself")
    script = '"$0" "$1" 5; "$2" "$3"; exit 0'
    res = kscope.run(["--tree"], program=["/bin/sh", "-c", script, th, info, ks, kinfo])
    assert res.rc == 0, res
    (tree,) = res.events
    (root,) = tree["processes"]
    assert root["threads"] == 0 and root["exit_code"] == 0, root
    tnode, knode = root["children"]
    pid, *_ = read_ints(info)
    assert tnode["pid"] == pid and tnode["threads"] == 5 and tnode["children"] == [], tnode
    assert tnode["exit_code"] == 0, tnode
    assert knode["pid"] == read_ints(kinfo)[0], knode
    assert knode["signal"] == 9 and knode["exit_code"] == 0, knode
    assert knode["core_dumped"] is False, knode


def test_tree_text(kscope):
    """Text --tree: the root, then "|-- " and "`-- " lines, indented per level."""
    info = kscope.path("spawner.info")
    spawner, ew = workload("spawner"), workload("exit_with")
    script = '"$0" 1; "$0" 2; exit 0'
    res = kscope.run(["--tree"], program=[spawner, info, "0", "/bin/sh", "-c", script, ew],
                     json_mode=False)
    assert res.rc == 0, res
    spawner_pid, sh_pid, _ = read_ints(info)
    lines = res.events.splitlines()
    assert len(lines) == 4, lines
    assert re.match(rf"{spawner_pid} spawner: exit 0\b", lines[0]), lines
    assert re.match(rf"`-- {sh_pid} sh: exit 0\b", lines[1]), lines
    m1 = re.match(r"    \|-- (\d+) exit_with: exit 1\b", lines[2])
    m2 = re.match(r"    `-- (\d+) exit_with: exit 2\b", lines[3])
    assert m1 and m2, lines
    assert len({spawner_pid, sh_pid, int(m1[1]), int(m2[1])}) == 4
    assert lines[2].endswith(f"exec {ew} {ew} 1"), lines
    assert lines[3].endswith(f"exec {ew} {ew} 2"), lines

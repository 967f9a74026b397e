# SPDX-License-Identifier: GPL-2.0
"""
`kscope net --drops` on the real kernel: packets the test makes the kernel
drop, each count asserted exactly, in network namespaces of the test's own
(test_net.py's veth pair), so nothing else on the machine adds to them:

  * 7 UDP datagrams to a port nothing listens on: exactly 7 NO_SOCKET udp
    drops in the receiver's netns, on every hook path this kernel can take
    (the variants of hooks.py), with no socket to attribute them to;
  * a UDP socket with the smallest SO_RCVBUF sent 50 datagrams of 1000
    bytes it does not read: exactly 50 - received SOCKET_RCVBUFF drops, as
    the netns's RcvbufErrors counts them, attributed to the socket's cgroup
    and uid (its pid is not known: kscope follows TCP connections only), on
    every hook path;
  * the nftables rule of test_net.py that drops one data segment at the
    receiver: exactly 1 NETFILTER_DROP, attributed to the server's process;
  * an interval run with drops in two periods: a row in each, adding up;
  * the owner filters: a drop without a socket passes none, a socket's
    drop passes -u by its uid, -c by its cgroup; --port by the packet's port;
  * --drops with options it cannot honour: one line, exit 2; nothing left
    attached after SIGINT, and its per-packet program not loaded without it.
"""
import json
import os
import signal
import subprocess
import sys

import pytest

import hooks
from conftest import (REPO, TIMEOUT, bpf_objects, cgroup_id_of, check_gone, check_usage_error,
                      cli)
from test_net import (DATA_SEGMENT, drop_first, netns_ino, probe_lines, run_xfer,
                      veth)  # noqa: F401 (veth: a fixture)

XFER = os.path.join(REPO, "tests", "workloads", "tcp_xfer.py")
PY = sys.executable

STAT_FIELDS = ("type", "ts_ns", "interval_ns", "reason", "reason_code", "protocol", "count",
               "netns", "cgroup_id", "uid", "pid", "comm")
VARIANTS = hooks.variants_needing(hooks.net_bytes(), hooks.NET_DROPS, hooks.NET_UDP_FAIL)


def stats(res, netns):
    rows = res.of("net_drop_stat")
    for r in rows:
        assert tuple(r) == STAT_FIELDS, r
    return [r for r in rows if r["netns"] == netns]


def by_reason(rows):
    """{(reason, protocol): count} over rows (one netns' drops)."""
    got = {}
    for r in rows:
        key = (r["reason"], r["protocol"])
        got[key] = got.get(key, 0) + r["count"]
    return got


def xfer(ns, mode, *args):
    """tcp_xfer.py MODE OUT ARGS in netns ns: what it wrote to OUT."""
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"drops-{os.getpid()}-{mode}.json")
    subprocess.run(["ip", "netns", "exec", ns, PY, XFER, mode, out, *map(str, args)],
                   check=True, timeout=TIMEOUT)
    with open(out) as f:
        info = json.load(f)
    os.unlink(out)
    return info


@pytest.mark.parametrize("variant", VARIANTS)
def test_udp_closed_port(kscope, veth, variant):
    """7 datagrams from A to a closed port of B: exactly 7 NO_SOCKET udp drops in B,
    no socket (no cgroup, uid, pid), through each hook path."""
    a, b = veth
    t = kscope.command("net").start(["--drops", "-v", *hooks.options(variant)])
    info = xfer(a, "udp_send", "10.99.0.2", 9999, 7)
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    want = hooks.plan(hooks.NET_DROPS, variant)
    assert probe_lines(res.stderr).get("drops", "").startswith(want + "/"), res.stderr
    assert info["sent"] == 7
    rows = [r for r in stats(res, netns_ino(b)) if r["reason"] == "NO_SOCKET"]
    assert by_reason(rows) == {("NO_SOCKET", "udp"): 7}, rows
    (r,) = rows
    assert (r["cgroup_id"], r["uid"], r["pid"], r["comm"]) == (None, None, None, None), r
    assert r["reason_code"] > 0, r


def udp_snmp(ns):
    p = subprocess.run(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"], check=True,
                       capture_output=True, text=True, timeout=TIMEOUT)
    names, values = [line.split()[1:] for line in p.stdout.splitlines()
                     if line.startswith("Udp:")]
    return dict(zip(names, map(int, values)))


def kfree_skb_names_socket():
    """Has this kernel's skb:kfree_skb the receiving socket (rx_sk, 6.11+)?"""
    for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        try:
            with open(f"{d}/events/skb/kfree_skb/format") as f:
                return "rx_sk" in f.read()
        except OSError:
            continue
    raise AssertionError("no tracefs: cannot read skb:kfree_skb's format")


@pytest.mark.parametrize("variant", VARIANTS)
def test_udp_rcvbuf(kscope, veth, variant):
    """50 x 1000 bytes to a socket with the smallest receive buffer, unread: every
    one not received is one SOCKET_RCVBUFF drop, the socket's cgroup and uid, on each
    hook path (before 6.11 the socket is udp_fail_queue_rcv_skb's: not without a
    tp_btf or raw_tp hook for it)."""
    _, b = veth
    t = kscope.command("net").start(["--drops", *hooks.options(variant)])
    info = xfer(b, "udp_overflow", "127.0.0.1", 50, 1000)
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    lost = 50 - info["received"]
    assert lost > 0 and info["rcvbuf_errors"] == lost, info
    rows = [r for r in stats(res, netns_ino(b)) if r["reason"] == "SOCKET_RCVBUFF"]
    assert by_reason(rows) == {("SOCKET_RCVBUFF", "udp"): lost}, rows
    (r,) = rows
    assert (r["pid"], r["comm"]) == (None, None), r
    if not kfree_skb_names_socket() and not hooks.plan(hooks.NET_UDP_FAIL, variant):
        assert (r["cgroup_id"], r["uid"]) == (None, None), r
        return
    # the socket's owner: the cgroup and uid of the process that made it (ip netns
    # exec leaves it in the test's cgroup)
    assert (r["cgroup_id"], r["uid"]) == (cgroup_id_of(), os.getuid()), r


def test_netfilter_drop(kscope, veth):
    """The client's nftables rule drops one segment of the server's answer: exactly one
    NETFILTER_DROP in its netns, the client's socket's (found by early demux) and so its
    process. (Not a segment to the server: on a guest with two CPUs, the client's first
    data can be processed before its handshake's last ACK has made the server's socket,
    and is then dropped with no socket.)"""
    a, b = veth
    port = 9000
    drop_first(a, port, DATA_SEGMENT, to_client=True)
    res, info = run_xfer(kscope, ["--drops"], b, a, "10.99.0.2", port=port)
    rows = [r for r in stats(res, netns_ino(a)) if r["reason"] == "NETFILTER_DROP"]
    assert by_reason(rows) == {("NETFILTER_DROP", "tcp"): 1}, res.rows
    (r,) = rows
    c = info["client"]
    assert (r["pid"], r["comm"], r["uid"]) == (c["pid"], c["comm"], os.getuid()), r
    assert not res.of("net_conn"), res.rows     # --drops shows drops only


def test_interval_adds_up(kscope, veth):
    """Drops in two periods of an interval run: a row in each, adding up to all."""
    a, b = veth
    ns = netns_ino(b)
    t = kscope.command("net").start(["--drops", "1"])
    xfer(a, "udp_send", "10.99.0.2", 9999, 3)
    t.wait_row(lambda r: r["netns"] == ns and r["reason"] == "NO_SOCKET")  # the first 3
    xfer(a, "udp_send", "10.99.0.2", 9999, 4)
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    rows = [r for r in stats(res, ns) if r["reason"] == "NO_SOCKET"]
    assert len(rows) >= 2 and len({r["ts_ns"] for r in rows}) == len(rows), rows
    assert rows[0]["count"] == 3 and sum(r["count"] for r in rows) == 7, rows


def test_owner_and_port_filters(kscope, veth):
    """-u: drops of the sockets of that uid only, never one without a socket;
    --port: by the packet's ports."""
    a, b = veth
    ns = netns_ino(b)
    tu = kscope.command("net").start(["--drops", "-u", str(os.getuid())])
    tp = kscope.command("net").start(["--drops", "--port", "9998"])
    xfer(a, "udp_send", "10.99.0.2", 9999, 2)
    xfer(a, "udp_send", "10.99.0.2", 9998, 5)
    info = xfer(b, "udp_overflow", "127.0.0.1", 20, 1000)
    ru, rp = tu.stop(signal.SIGINT), tp.stop(signal.SIGINT)
    assert ru.rc == 0 and rp.rc == 0, (ru, rp)
    rows = stats(ru, ns)
    assert all(r["uid"] == os.getuid() for r in rows), rows     # a socket's, every one
    got = by_reason(rows)
    assert ("NO_SOCKET", "udp") not in got, rows
    assert got[("SOCKET_RCVBUFF", "udp")] == 20 - info["received"], rows
    assert by_reason(stats(rp, ns)) == {("NO_SOCKET", "udp"): 5}, rp


def test_cgroup_filter(kscope, veth, cgroup):
    """-c DIR: the drops of the sockets made in that cgroup, not of the same kind
    of socket made outside it, nor of any drop without a socket."""
    a, b = veth
    t = kscope.command("net").start(["--drops", "-c", cgroup])
    out = os.path.join(kscope.tmpdir, "cg.json")
    subprocess.run(["sh", "-c", f'echo $$ > {cgroup}/cgroup.procs && exec ip netns exec {b} '
                    f'{PY} {XFER} udp_overflow {out} 127.0.0.1 20 1000'], check=True,
                   timeout=TIMEOUT)
    outside = xfer(b, "udp_overflow", "127.0.0.1", 30, 1000)
    xfer(a, "udp_send", "10.99.0.2", 9999, 3)
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    with open(out) as f:
        inside = json.load(f)
    assert outside["rcvbuf_errors"] > 0, outside
    rows = stats(res, netns_ino(b))
    assert by_reason(rows) == {("SOCKET_RCVBUFF", "udp"): 20 - inside["received"]}, rows
    assert {r["cgroup_id"] for r in rows} == {os.stat(cgroup).st_ino}, rows


def test_by_cgroup_drops(kscope, veth, cgroup):
    """--by cgroup --drops: a cgroup's row counts the drops of its sockets (a receive
    buffer overflow there, exactly), and its connections, in one row; the drops of
    sockets made elsewhere are not its."""
    a, b = veth
    t = kscope.command("net").start(["--by", "cgroup", "--drops"])
    out = os.path.join(kscope.tmpdir, "cg.json")
    subprocess.run(["sh", "-c", f'echo $$ > {cgroup}/cgroup.procs && exec ip netns exec {b} '
                    f'{PY} {XFER} udp_overflow {out} 127.0.0.1 20 1000'], check=True,
                   timeout=TIMEOUT)
    outside = xfer(b, "udp_overflow", "127.0.0.1", 30, 1000)
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    with open(out) as f:
        inside = json.load(f)
    assert outside["rcvbuf_errors"] > 0, outside
    rows = {r["cgroup_id"]: r for r in res.of("net_cgroup_stat")}
    mine = rows[os.stat(cgroup).st_ino]
    assert mine["drops"] == 20 - inside["received"] > 0, mine
    assert mine["cgroup"] == "/" + os.path.basename(cgroup), mine
    assert (mine["conns"], mine["tx_bytes"]) == (0, 0), mine
    # the other overflow's socket is the test's own cgroup's, counted there
    assert rows[cgroup_id_of()]["drops"] >= 30 - outside["received"], rows


def test_text_table(kscope, veth):
    """The text table: its header, and the row of 7 NO_SOCKET drops."""
    a, b = veth
    t = kscope.command("net").start(["--drops"], json_mode=False)
    xfer(a, "udp_send", "10.99.0.2", 9999, 7)
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    lines = res.rows.splitlines()
    assert lines[0].split() == ["REASON", "PROTO", "COUNT", "NETNS", "CGROUP", "UID", "PID",
                                "COMM"], lines
    # B's own traffic may add a drop or two (IPv6 neighbour discovery as its link comes up)
    mine = [ln.split() for ln in lines[1:] if str(netns_ino(b)) in ln.split()
            and ln.startswith("NO_SOCKET ")]
    assert mine == [["NO_SOCKET", "udp", "7", str(netns_ino(b)), "-", "-", "-", "-"]], lines


def prog_names(ids):
    """The names of these BPF programs (each looked up by its id: kscope holds them)."""
    names = set()
    for i in ids:
        p = subprocess.run(["bpftool", "prog", "show", "id", str(i), "-j"], check=True,
                           capture_output=True, timeout=TIMEOUT)
        names.add(json.loads(p.stdout).get("name", ""))
    return names


def test_sigint_leaves_nothing(kscope):
    """--drops's programs and maps, the per-packet one among them: all gone after SIGINT;
    without --drops its program is not even loaded."""
    t = kscope.command("net").start(["--drops"])
    owned = bpf_objects(t.pid)
    names = prog_names(owned["prog"])
    assert names & {"net_drop_btf", "net_drop_raw", "net_drop_tp"}, names
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    check_gone(owned)
    t = kscope.command("net").start([])
    owned = bpf_objects(t.pid)
    names = prog_names(owned["prog"])
    assert not any(n.startswith(("net_drop", "net_udp_fail")) for n in names), names
    assert t.stop(signal.SIGINT).rc == 0
    check_gone(owned)


@pytest.mark.parametrize("args, msg", [
    (["--drops", "-s", "tx"], "sorts by count only"),
    (["--drops", "-s", "duration", "1"], "sorts by count only"),
    (["-s", "count", "1"], "-s count sorts the table of --drops"),
    (["--drops", "-s", "bogus"], None),
    (["--drops", "-4", "-6"], "cannot be combined"),
])
def test_bad_input(args, msg):
    check_usage_error("net", args, msg)


def test_help_mentions_drops():
    rc, stdout, _ = cli(["net", "--help"])
    assert rc == 0 and "--drops" in stdout, stdout

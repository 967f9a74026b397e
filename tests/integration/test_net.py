# SPDX-License-Identifier: GPL-2.0
"""
`kscope net` on the real kernel: TCP connections whose every byte the test
knows (tests/workloads/tcp_xfer.py), so each row is asserted exactly:

  * two network namespaces joined by a veth pair (10.99.0.1/24 in one,
    10.99.0.2/24 in the other; unique names per test, always removed): a
    client sends exactly N bytes, the server answers exactly M, both close.
    One row per side: tx/rx N/M and M/N, the 4-tuple, each side's pid,
    comm, netns and cgroup, duration > 0, no error, no retransmit, and the
    kernel's wire counters off by the SYN and FIN exactly as documented
    (docs/json.md): the application's bytes are what the test wrote;
  * the same on loopback, IPv4 and IPv6: there the server's new socket is
    made in the client's softirq (on the client's CPU, in its context), and
    the row must still be the server's;
  * one data segment dropped at the receiver by an nftables rule: the
    sender's row counts 1 segment retransmitted, as the namespace's
    TcpRetransSegs does, and the bytes stay exact;
  * a connect to a port nothing listens on: one row, SYN_SENT, ECONNREFUSED;
    a server that aborts: the client's row ends with ECONNRESET;
  * tracing ends with sockets left: a closed connection whose socket is
    still open is a full row, open connections are said on stderr;
  * a full ring buffer (4 KiB, the reader stopped): every connection is a
    row or counted in a "lost" record, exactly;
  * a connection that outlives an interval: a net_conn_stat row in each
    period it lived in, its bytes adding up to what was sent;
  * --port, -4 and -6 keep exactly the connections they name; a listener
    opened before kscope: its connections are owned by the server all the
    same (found at its first receive);
  * every hook path this kernel can take (the variants of hooks.py); bad
    input exits 2 with one line; nothing is left attached after SIGINT.

Nothing asserts a duration beyond > 0; timeouts only guard hangs.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys

import pytest

import hooks
from conftest import (REPO, TIMEOUT, bpf_objects, bpftool_list, cgroup_id_of, check_gone,
                      check_usage_error, cli, wait_for_file)

XFER = os.path.join(REPO, "tests", "workloads", "tcp_xfer.py")
PY = sys.executable

CONN_FIELDS = ("type", "ts_ns", "pid", "tid", "ppid", "uid", "comm", "cgroup_id", "cpu",
               "conn_id", "family", "laddr", "lport", "raddr", "rport", "netns", "open",
               "tx_bytes", "rx_bytes", "duration_ns", "state", "error", "retrans_segs",
               "retrans_bytes", "rtos", "srtt_us", "min_rtt_us", "wire_bytes_sent",
               "wire_bytes_acked", "wire_bytes_received", "resets_sent", "resets_received",
               "reset_reason")
STAT_FIELDS = ("type", "ts_ns", "interval_ns", "conn_id", "pid", "comm", "cgroup_id", "netns",
               "family", "laddr", "lport", "raddr", "rport", "tx_bytes", "rx_bytes",
               "duration_ns", "closed", "state", "error", "retrans_segs", "retrans_bytes", "rtos",
               "srtt_us", "min_rtt_us", "wire_bytes_sent", "wire_bytes_acked",
               "wire_bytes_received", "resets_sent", "resets_received", "reset_reason")

# The probes and their alternatives (src/net/net.c, hooks.py), preferred first
TP, BYTES = hooks.TP, hooks.net_bytes()
PROBES = {"destroy": TP, "state": TP, "send": BYTES, "recv": BYTES}
VARIANTS = hooks.variants_for(TP, BYTES)
# the hook -v names for a family, and what is attached with it
HOOK = {"send": {"fentry": "fexit/tcp_sendmsg",
                 "kprobe": "kretprobe/tcp_sendmsg with kprobe/tcp_sendmsg"},
        "recv": {"fentry": "fexit/tcp_recvmsg",
                 "kprobe": "kretprobe/tcp_recvmsg with kprobe/tcp_recvmsg"}}

N, M = 1000, 3333


def run_xfer(kscope, args, srv_ns, cli_ns, host, n=N, m=M, port=0):
    """kscope net -j ARGS -- tcp_xfer.py xfer ...: (Result, what the workload says)."""
    out = os.path.join(kscope.tmpdir, f"xfer-{secrets.token_hex(4)}.json")
    res = kscope.command("net").run(args, program=[PY, XFER, "xfer", out, srv_ns, cli_ns, host,
                                                   str(port), str(n), str(m)])
    assert res.rc == 0, res
    with open(out) as f:
        info = json.load(f)
    assert info["client"]["got"] == m and info["server"]["got"] == n, info
    return res, info


def conns(res):
    rows = res.of("net_conn")
    for r in rows:
        assert tuple(r) == CONN_FIELDS, r
    return rows


def netns_ino(name=None):
    return os.stat(f"/run/netns/{name}" if name else "/proc/self/ns/net").st_ino


def check_pair(rows, info, *, caddr, saddr, family, cns, sns, n=N, m=M):
    """The client's and the server's rows of one exchange, every field exact."""
    c_info, s_info = info["client"], info["server"]
    port = s_info["port"]
    assert len(rows) == 2, rows
    (c,) = [r for r in rows if r["open"] == "active"]
    (s,) = [r for r in rows if r["open"] == "passive"]
    cg = cgroup_id_of()
    assert (c["pid"], c["tid"], c["comm"], c["ppid"]) == \
        (c_info["pid"], c_info["pid"], c_info["comm"], info["pid"]), c
    assert (s["pid"], s["tid"], s["comm"], s["ppid"]) == \
        (s_info["pid"], s_info["pid"], s_info["comm"], info["pid"]), s
    for r in (c, s):
        assert r["uid"] == os.getuid() and r["cgroup_id"] == cg, r
        assert r["family"] == family, r
        assert r["duration_ns"] > 0 and r["error"] is None, r
        # none expected, but a loaded machine may stall past a probe timeout:
        # whatever was retransmitted, the counters agree and the bytes stay exact
        assert (r["retrans_segs"] == 0) == (r["retrans_bytes"] == 0), r
        assert r["rtos"] is None or r["rtos"] <= r["retrans_segs"], r   # null before 6.7
        assert r["srtt_us"] > 0 and r["min_rtt_us"] > 0, r
    assert c["conn_id"] != s["conn_id"]
    assert (c["laddr"], c["lport"], c["raddr"], c["rport"]) == \
        (caddr, c_info["lport"], saddr, port), c
    assert (s["laddr"], s["lport"], s["raddr"], s["rport"]) == \
        (saddr, port, caddr, c_info["lport"]), s
    assert (c["netns"], s["netns"]) == (cns, sns)
    # exactly what each application wrote and read
    assert (c["tx_bytes"], c["rx_bytes"]) == (n, m), c
    assert (s["tx_bytes"], s["rx_bytes"]) == (m, n), s
    # the kernel's own counters: the SYN and the FIN are acked as a byte each,
    # and what was sent includes what was sent again
    assert (c["wire_bytes_sent"] - c["retrans_bytes"], c["wire_bytes_acked"],
            c["wire_bytes_received"]) == (n, n + 2, m + 1), c
    assert (s["wire_bytes_sent"] - s["retrans_bytes"], s["wire_bytes_acked"],
            s["wire_bytes_received"]) == (m, m + 1, n + 1), s
    # the client's FIN first, the server's after it (with the ACK of the client's)
    assert (c["state"], s["state"]) == ("FIN_WAIT2", "LAST_ACK"), (c, s)


def probe_lines(stderr):
    """-v: {probe: "hook/target[ with hook/target]"} from "kscope: probe NAME: HOOK/TARGET ..." """
    got = {}
    for line in stderr.splitlines():
        if line.startswith("kscope: probe "):
            name, _, rest = line[len("kscope: probe "):].partition(": ")
            got[name] = " ".join(rest.split()[:3] if " with " in rest else rest.split()[:1])
    return got


# ---- two network namespaces joined by a veth pair ------------------------------------

def ip(*args):
    subprocess.run(["ip", *args], check=True, timeout=TIMEOUT, capture_output=True)


@pytest.fixture
def veth():
    """Namespaces A (10.99.0.1/24) and B (10.99.0.2/24), names unique to the test."""
    # not a skip: every kernel of the matrix runs these (scripts/deps.sh, matrix.json)
    assert shutil.which("ip"), "ip(8) is not installed (iproute2: scripts/deps.sh)"
    tag = secrets.token_hex(3)
    a, b = f"ksn{tag}a", f"ksn{tag}b"
    made = []
    try:
        for ns in (a, b):
            ip("netns", "add", ns)
            made.append(ns)
        ip("link", "add", f"kv{tag}a", "type", "veth", "peer", "name", f"kv{tag}b")
        for ns, dev, addr in ((a, f"kv{tag}a", "10.99.0.1/24"), (b, f"kv{tag}b", "10.99.0.2/24")):
            ip("link", "set", dev, "netns", ns)
            ip("-n", ns, "addr", "add", addr, "dev", dev)
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")
        yield a, b
    finally:
        for ns in made:		# the veth pair goes with its namespaces
            subprocess.run(["ip", "netns", "del", ns], timeout=TIMEOUT)


@pytest.mark.parametrize("variant", VARIANTS)
def test_veth_exact(kscope, veth, variant):
    """Client in A, server in B: one row per side, every field exact, on each hook path."""
    a, b = veth
    opts = hooks.VARIANTS[variant]
    want = {probe: hooks.plan(alts, variant) for probe, alts in PROBES.items()}
    if want["send"] is None:
        # before 6.3 with fexit and kprobes forbidden: nothing counts the bytes
        rc, out, err = cli(["net", "-v", *opts, "-d", "1"])
        assert (rc, out) == (1, ""), (rc, out, err)
        assert "kscope: no usable hook for probe 'send': " in err, err
        return
    res, info = run_xfer(kscope, ["-v", *opts], b, a, "10.99.0.2")
    got = probe_lines(res.stderr)
    for probe, fam in want.items():
        hook = HOOK.get(probe, {}).get(fam, fam + "/")
        assert got.get(probe, "").startswith(hook), (probe, got, hook)
    check_pair(conns(res), info, caddr="10.99.0.1", saddr="10.99.0.2", family="ipv4",
               cns=netns_ino(a), sns=netns_ino(b))


def tcp_snmp(ns):
    """The Tcp: counters of /proc/net/snmp in namespace ns: {name: value}."""
    p = subprocess.run(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"], check=True,
                       capture_output=True, text=True, timeout=TIMEOUT)
    names, values = [line.split()[1:] for line in p.stdout.splitlines()
                     if line.startswith("Tcp:")]
    return dict(zip(names, map(int, values)))


# nftables matches for drop_first(): a data segment (the client's 1000 bytes), a SYN
DATA_SEGMENT = "ip length > 200"
SYN = "tcp flags & (syn | ack) == syn"


def drop_first(ns, port, match, to_client=False):
    """An nftables rule in namespace ns that drops the first segment matching `match`
    from the client (10.99.0.1) to the server's port `port`, or with to_client from the
    server (10.99.0.2, port `port`) to the client (numgen: only the first; netem needs a
    module this kernel may not have)."""
    assert shutil.which("nft"), "nft(8) is not installed (nftables: scripts/deps.sh)"
    way = (f"ip saddr 10.99.0.2 tcp sport {port}" if to_client else
           f"ip saddr 10.99.0.1 tcp dport {port}")
    rule = ("table inet kst {\n chain in {\n"
            "  type filter hook input priority 0; policy accept;\n"
            f"  {way} {match}"
            " numgen inc mod 1000000 == 0 counter drop\n }\n}\n")
    subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rule, text=True,
                   check=True, timeout=TIMEOUT)


def test_one_retransmit(kscope, veth):
    """One data segment dropped at the receiver (nftables, numgen: the first one that
    matches): the sender's row says 1 segment and its 1000 bytes retransmitted, as
    the namespace's TcpRetransSegs counts it; the application bytes do not change."""
    a, b = veth
    port = 9000
    drop_first(b, port, DATA_SEGMENT)
    before = tcp_snmp(a)["RetransSegs"]
    res, info = run_xfer(kscope, [], b, a, "10.99.0.2", port=port)
    retrans = tcp_snmp(a)["RetransSegs"] - before
    p = subprocess.run(["ip", "netns", "exec", b, "nft", "list", "table", "inet", "kst"],
                       check=True, capture_output=True, text=True, timeout=TIMEOUT)
    assert "counter packets 1 bytes 1052" in p.stdout, p.stdout
    check_pair(conns(res), info, caddr="10.99.0.1", saddr="10.99.0.2", family="ipv4",
               cns=netns_ino(a), sns=netns_ino(b))
    (c,) = [r for r in res.of("net_conn") if r["open"] == "active"]
    (s,) = [r for r in res.of("net_conn") if r["open"] == "passive"]
    assert retrans == 1, retrans
    assert (c["retrans_segs"], c["retrans_bytes"], c["wire_bytes_sent"]) == (1, N, 2 * N), c
    assert (s["retrans_segs"], s["retrans_bytes"]) == (0, 0), s


@pytest.mark.parametrize("host, family", [("127.0.0.1", "ipv4"), ("::1", "ipv6")])
def test_loopback_exact(kscope, host, family):
    """Loopback: the server's socket is made in the client's context, and is the server's."""
    res, info = run_xfer(kscope, [], "-", "-", host)
    ns = netns_ino()
    check_pair(conns(res), info, caddr=host, saddr=host, family=family, cns=ns, sns=ns)


def test_larger_transfer(kscope, veth):
    """Many segments each way, reads and writes of any size, and whatever the veth
    pair drops and TCP sends again (it does, at this size): still exact."""
    a, b = veth
    n, m = 1234567, 765432
    res, info = run_xfer(kscope, [], b, a, "10.99.0.2", n, m)
    check_pair(conns(res), info, caddr="10.99.0.1", saddr="10.99.0.2", family="ipv4",
               cns=netns_ino(a), sns=netns_ino(b), n=n, m=m)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_refused(kscope, host):
    """A connect to a closed port: one row, SYN_SENT, ECONNREFUSED, nothing sent."""
    out = os.path.join(kscope.tmpdir, "refused.json")
    res = kscope.command("net").run([], program=[PY, XFER, "refused", out, host])
    assert res.rc == 0, res
    with open(out) as f:
        info = json.load(f)
    assert info["errno"] == "ECONNREFUSED", info
    (r,) = conns(res)
    assert (r["pid"], r["comm"], r["open"]) == (info["pid"], info["comm"], "active"), r
    assert (r["laddr"], r["lport"], r["raddr"], r["rport"]) == \
        (host, info["lport"], host, info["port"]), r
    assert (r["state"], r["error"]) == ("SYN_SENT", "ECONNREFUSED"), r
    assert (r["tx_bytes"], r["rx_bytes"], r["wire_bytes_sent"], r["wire_bytes_received"]) == \
        (0, 0, 0, 0), r
    assert r["srtt_us"] is None and r["min_rtt_us"] is None and r["retrans_segs"] == 0, r


@pytest.mark.parametrize("port_filter", [False, True])
def test_connect_again(kscope, port_filter):
    """A refused connect, then a connect on the same socket that works: two
    connections, two rows for the client's socket, each with its own bytes.
    With --port on the refused one's port only: that row alone, its bytes 0 (the
    second connection is not followed, and adds nothing to the first)."""
    out = os.path.join(kscope.tmpdir, "retry.json")
    closed = free_port()
    res = kscope.command("net").run(["--port", str(closed)] if port_filter else [],
                                    program=[PY, XFER, "retry", out, "127.0.0.1", str(N),
                                             str(M), str(closed)])
    assert res.rc == 0, res
    with open(out) as f:
        info = json.load(f)
    assert (info["errno"], info["got"], info["closed_port"]) == ("ECONNREFUSED", M, closed), info
    assert info["lport2"] == info["lport"], info
    rows = conns(res)
    assert len(rows) == (1 if port_filter else 3), rows
    assert len({r["conn_id"] for r in rows}) == len(rows), rows
    first = rows[0]
    assert (first["open"], first["lport"], first["rport"], first["state"], first["error"],
            first["tx_bytes"], first["rx_bytes"]) == \
        ("active", info["lport"], closed, "SYN_SENT", "ECONNREFUSED", 0, 0), first
    if port_filter:
        return
    second, s = rows[1:]
    if second["open"] == "passive":
        second, s = s, second
    assert (second["lport"], second["rport"], second["state"], second["error"],
            second["tx_bytes"], second["rx_bytes"]) == (info["lport2"], info["port"],
                                                        "FIN_WAIT2", None, N, M), second
    assert (s["open"], s["tx_bytes"], s["rx_bytes"]) == ("passive", M, N), s


def test_reset(kscope):
    """A server that aborts (SO_LINGER 0): the client's row ends with ECONNRESET,
    the server's without an error; both from ESTABLISHED, the bytes exact."""
    out = os.path.join(kscope.tmpdir, "reset.json")
    res = kscope.command("net").run([], program=[PY, XFER, "reset", out, "127.0.0.1", str(N)])
    assert res.rc == 0, res
    with open(out) as f:
        info = json.load(f)
    assert info["error"] == "ECONNRESET", info
    rows = conns(res)
    assert len(rows) == 2, rows
    (c,) = [r for r in rows if r["open"] == "active"]
    (s,) = [r for r in rows if r["open"] == "passive"]
    assert (c["lport"], c["rport"], c["tx_bytes"], c["rx_bytes"], c["state"], c["error"]) == \
        (info["lport"], info["port"], N, 0, "ESTABLISHED", "ECONNRESET"), c
    assert (s["lport"], s["rport"], s["tx_bytes"], s["rx_bytes"], s["state"], s["error"]) == \
        (info["port"], info["lport"], 0, N, "ESTABLISHED", None), s
    assert c["pid"] == s["pid"] == info["pid"], rows


def storm_stopped(kscope, tmp_path, args, k):
    """kscope net ARGS over K connections (tcp_xfer.py storm) made while its reader is
    stopped (SIGSTOP): its result, and the storm's JSON."""
    sync, out = str(tmp_path), os.path.join(str(tmp_path), "storm.json")
    t = kscope.command("net").start(args, program=[PY, XFER, "storm", out, sync, str(k)])
    try:
        wait_for_file(os.path.join(sync, "ready"), t.proc)
        os.kill(t.pid, signal.SIGSTOP)
        try:
            with open(os.path.join(sync, "go"), "w"):
                pass
            wait_for_file(os.path.join(sync, "done"))
        finally:
            os.kill(t.pid, signal.SIGCONT)
        res = t.wait()
    finally:
        t.kill()
    assert res.rc == 0, res
    with open(out) as f:
        return res, json.load(f)


def test_losses_are_counted_exactly(kscope, tmp_path):
    """A 4 KiB ring buffer and kscope's reader stopped while K connections come and
    go: every connection is a row or counted lost, and the rows that came are exact."""
    k = 200
    res, info = storm_stopped(kscope, tmp_path, ["--ringbuf-kb", "4"], k)
    rows = conns(res)
    lost = res.of("lost")
    assert {r["type"] for r in res.rows} == {"net_conn", "lost"}, res.rows
    total = sum(e["count"] for e in lost)
    assert all(e["reason"] == "ringbuf" for e in lost) and lost[-1]["total"] == total, lost
    assert total > 0 and len(rows) + total == 2 * k, (len(rows), total)
    index = {p: i for i, p in enumerate(info["lports"])}
    for r in rows:
        i = index[r["lport"] if r["open"] == "active" else r["rport"]]
        tx, rx = (i + 1, 2 * (i + 1)) if r["open"] == "active" else (2 * (i + 1), i + 1)
        assert (r["pid"], r["tx_bytes"], r["rx_bytes"]) == (info["pid"], tx, rx), (i, r)


@pytest.mark.parametrize("interval", [False, True])
def test_end_of_tracing(kscope, tmp_path, interval):
    """Tracing ends (PROGRAM's exit) with followed sockets left: a connection that
    closed, whose socket its process had not closed yet, is a full row from the
    kernel's map; connections still open are said on stderr, not dropped silently
    (with an interval: live rows of the last report, closed false)."""
    d = str(tmp_path)
    go = os.path.join(d, "go")
    # the two outlive PROGRAM: their output not on kscope's pipes
    cmd = (f"{PY} {XFER} closed {d}/c.json 127.0.0.1 {N} {M} {go} >/dev/null 2>&1 & "
           f"{PY} {XFER} hold {d}/h.json 127.0.0.1 5 6 {go} >/dev/null 2>&1 & "
           f"while [ ! -e {d}/c.json ] || [ ! -e {d}/h.json.sent1 ]; do sleep 0.01; done")
    try:
        res = kscope.command("net").run(["60"] if interval else [], program=["sh", "-c", cmd])
    finally:
        with open(go, "w"):
            pass
    assert res.rc == 0, res
    with open(f"{d}/c.json") as f:
        info = json.load(f)
    with open(f"{d}/h.json.sent1") as f:
        held = json.load(f)
    assert info["got"] == M, info
    kind = "net_conn_stat" if interval else "net_conn"
    rows = [r for r in res.of(kind) if info["port"] in (r["lport"], r["rport"])]
    assert len(rows) == 2, res.rows
    c, s = sorted(rows, key=lambda r: r["lport"] == info["port"])
    assert (c["pid"], c["lport"], c["tx_bytes"], c["rx_bytes"], c["state"], c["error"]) == \
        (info["pid"], info["lport"], N, M, "FIN_WAIT2", None), c
    assert (c["wire_bytes_acked"], c["wire_bytes_received"]) == (N + 2, M + 1), c
    assert c["duration_ns"] > 0, c
    assert (s["tx_bytes"], s["rx_bytes"], s["state"]) == (M, N, "LAST_ACK"), s
    if not interval:
        assert c["ts_ns"] >= s["ts_ns"], rows
        # hold's two ends, still open
        assert "kscope: 2 TCP connections still open when tracing ended: not shown" \
            in res.stderr, res.stderr
        return
    assert c["closed"] is True and s["closed"] is True, rows
    live = [r for r in res.of(kind) if held["port"] in (r["lport"], r["rport"])]
    assert sorted((r["tx_bytes"], r["rx_bytes"], r["closed"], r["state"]) for r in live) == \
        [(0, 5, False, None), (5, 0, False, None)], live
    assert "still open" not in res.stderr, res.stderr


def test_text_line(kscope):
    """The text row: the two ends, the bytes, the state and the error, on one line."""
    out = os.path.join(kscope.tmpdir, "refused.json")
    res = kscope.command("net").run([], program=[PY, XFER, "refused", out, "127.0.0.1"],
                                    json_mode=False)
    assert res.rc == 0, res
    with open(out) as f:
        info = json.load(f)
    lines = res.rows.splitlines()
    assert lines[0].split() == ["TIME(s)", "EVENT", "PID", "TID", "PPID", "COMM", "DETAILS"]
    assert len(lines) == 2, lines
    f = lines[1].split()
    assert f[1:4] == ["net_conn", str(info["pid"]), str(info["pid"])], f
    assert f[6:] == [f"127.0.0.1:{info['lport']}", ">", f"127.0.0.1:{info['port']}",
                     "tx_bytes=0", "rx_bytes=0", f[11], "state=SYN_SENT", "error=ECONNREFUSED",
                     "retrans_segs=0", "srtt_us=-", "resets_received=1"], f
    assert f[11].startswith("dur="), f


def test_interval_bytes_add_up(kscope):
    """A connection outliving an interval: a row in each period, bytes adding up."""
    n1, n2 = 1111, 2345
    out = os.path.join(kscope.tmpdir, "hold.json")
    go = os.path.join(kscope.tmpdir, "go")
    t = kscope.command("net").start(["1"], program=[PY, XFER, "hold", out, "127.0.0.1",
                                                    str(n1), str(n2), go])
    wait_for_file(out + ".sent1", t.proc)
    with open(out + ".sent1") as f:
        first = json.load(f)
    # a period that saw the connection live, with its first bytes
    t.wait_row(lambda r: r["lport"] == first["lport"] and r["tx_bytes"] == n1)
    with open(go, "w"):
        pass
    res = t.wait()
    assert res.rc == 0, res
    with open(out) as f:
        info = json.load(f)
    assert info["got"] == n1 + n2, info
    rows = res.of("net_conn_stat")
    for r in rows:
        assert tuple(r) == STAT_FIELDS, r
    cli_rows = [r for r in rows if r["lport"] == first["lport"]]
    srv_rows = [r for r in rows if r["rport"] == first["lport"]]
    for side, tx, rx in ((cli_rows, n1 + n2, 0), (srv_rows, 0, n1 + n2)):
        assert len(side) >= 2, rows
        assert len({r["ts_ns"] for r in side}) == len(side), side   # one row a period
        assert len({r["conn_id"] for r in side}) == 1, side
        assert sum(r["tx_bytes"] for r in side) == tx, side
        assert sum(r["rx_bytes"] for r in side) == rx, side
        assert all(r["pid"] == first["pid"] for r in side), side
        *live, last = side
        sent = 0
        for r in live:
            assert r["closed"] is False and r["state"] is None and r["error"] is None, r
            # the kernel's counters as the iterator read them at the period's end
            assert r["retrans_segs"] == 0 and r["srtt_us"] > 0, r
            sent += r["tx_bytes"]
            assert r["wire_bytes_sent"] == sent, r
        assert last["closed"] is True and last["error"] is None, last
        assert last["retrans_segs"] == 0 and last["srtt_us"] > 0, last
    assert cli_rows[0]["tx_bytes"] == n1 and cli_rows[-1]["tx_bytes"] == n2, cli_rows
    assert (cli_rows[-1]["state"], srv_rows[-1]["state"]) == ("FIN_WAIT2", "LAST_ACK"), rows


def nft_drop_one(ns, match):
    """In namespace ns: drop the first packet matching `match` (nft's numgen counts)."""
    if not shutil.which("nft"):
        pytest.skip("nft(8) is not installed (nftables: scripts/deps.sh)")
    rule = ("table inet kst {\n chain in {\n"
            "  type filter hook input priority 0; policy accept;\n"
            f"  {match} numgen inc mod 1000000 == 0 counter drop\n }}\n}}\n")
    subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rule, text=True,
                   check=True, timeout=TIMEOUT)


@pytest.mark.parametrize("by", [None, "process"])
def test_live_retransmit(kscope, veth, by):
    """A connection that retransmits and stays open: the period after the retransmit
    shows it (the iterator reads the live connection's counters), before it closes;
    with --by process, the periods' retransmits add up to the namespace's
    TcpRetransSegs, 1."""
    a, _ = veth
    nft_drop_one(a, "ip saddr 127.0.0.1 ip protocol tcp ip length > 200")
    n1, n2 = 1000, 500
    out = os.path.join(kscope.tmpdir, "hold.json")
    go = os.path.join(kscope.tmpdir, "go")
    before = tcp_snmp(a)["RetransSegs"]
    t = kscope.command("net").start(["--by", by, "1"] if by else ["1"], program=[
        "ip", "netns", "exec", a, PY, XFER, "hold", out, "127.0.0.1", str(n1), str(n2), go])
    wait_for_file(out + ".got1", t.proc)
    wait_for_file(out + ".sent1", t.proc)
    with open(out + ".sent1") as f:
        first = json.load(f)

    def mine(r):
        return r["pid"] == first["pid"] and (by or r["lport"] == first["lport"])
    t.wait_row(lambda r: mine(r) and r["retrans_segs"])
    with open(go, "w"):
        pass
    res = t.wait()
    assert res.rc == 0, res
    assert tcp_snmp(a)["RetransSegs"] - before == 1
    rows = [r for r in res.rows if mine(r)]
    (seen,) = [i for i, r in enumerate(rows) if r["retrans_segs"]][:1]
    if by:
        assert sum(r["retrans_segs"] for r in rows) == 1, rows
        assert rows[seen]["conns_closed"] == 0, rows      # before the close
        assert sum(r["tx_bytes"] for r in rows) == n1 + n2, rows
    else:
        assert rows[seen]["closed"] is False and rows[seen]["retrans_segs"] == 1, rows
        assert rows[-1]["closed"] is True and rows[-1]["retrans_segs"] == 1, rows
        assert rows[-1]["retrans_bytes"] == n1, rows


def free_port(host="127.0.0.1"):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def two_xfers(tmpdir, first, second):
    """sh -c: two exchanges one after the other: ((host, port) each)."""
    cmds = []
    for i, (host, port) in enumerate((first, second)):
        cmds.append(f"{PY} {XFER} xfer {tmpdir}/x{i}.json - - {host} {port} {N} {M}")
    return ["sh", "-c", " && ".join(cmds)]


def xfer_info(tmpdir, i):
    with open(f"{tmpdir}/x{i}.json") as f:
        return json.load(f)


def test_port_filter(kscope):
    """--port P: the two rows of the exchange on P, not those of the other."""
    p = free_port()
    res = kscope.command("net").run(["--port", f"{p},1"], program=two_xfers(
        kscope.tmpdir, ("127.0.0.1", 0), ("127.0.0.1", p)))
    assert res.rc == 0, res
    info = xfer_info(kscope.tmpdir, 1)
    ns = netns_ino()
    check_pair(conns(res), info, caddr="127.0.0.1", saddr="127.0.0.1", family="ipv4", cns=ns,
               sns=ns)


def check_one_family(kscope, args, keep):
    """kscope net ARGS over an IPv4 exchange, then an IPv6 one: exactly the two rows of
    the one kept (0: IPv4, 1: IPv6)."""
    res = kscope.command("net").run(args, program=two_xfers(
        kscope.tmpdir, ("127.0.0.1", 0), ("::1", 0)))
    assert res.rc == 0, res
    host = ("127.0.0.1", "::1")[keep]
    ns = netns_ino()
    check_pair(conns(res), xfer_info(kscope.tmpdir, keep), caddr=host, saddr=host,
               family=("ipv4", "ipv6")[keep], cns=ns, sns=ns)


@pytest.mark.parametrize("flag, keep", [("-6", 1), ("-4", 0)])
def test_family_filter(kscope, flag, keep):
    """-4 / -6: the rows of that family's exchange only."""
    check_one_family(kscope, [flag], keep)


def side(rows, info, open_):
    """The row of one end of an exchange, by how it opened, with its bytes exact."""
    (r,) = [r for r in rows if r["open"] == open_]
    c_info, s_info = info["client"], info["server"]
    if open_ == "active":
        assert (r["pid"], r["lport"], r["rport"], r["tx_bytes"], r["rx_bytes"]) == \
            (c_info["pid"], c_info["lport"], s_info["port"], N, M), r
    else:
        assert (r["pid"], r["lport"], r["rport"], r["tx_bytes"], r["rx_bytes"]) == \
            (s_info["pid"], s_info["port"], c_info["lport"], M, N), r
    return r


# An exchange with a server on 127.0.0.2 (a loopback address like 127.0.0.1, which the
# client's end still has): (filter, the ends it keeps of [first, second] exchange)
@pytest.mark.parametrize("args, keep", [
    (["--raddr", "127.0.0.2"], [[], ["active"]]),
    (["--laddr", "127.0.0.2"], [[], ["passive"]]),
    (["--laddr", "127.0.0.1", "--raddr", "127.0.0.1"], [["active", "passive"], []]),
    (["--raddr", "127.0.0.2,127.0.0.1"], [["active", "passive"], ["active", "passive"]]),
    (["--laddr", "127.0.0.3,127.0.0.2"], [[], ["passive"]]),
    (["--laddr", "127.0.0.2", "--port", "1"], [[], []]),
    (["--raddr", "::1"], [[], []]),
])
def test_addr_filter_v4(kscope, args, keep):
    """--laddr / --raddr: exactly the ends of the exchanges with those addresses."""
    res = kscope.command("net").run(args, program=two_xfers(
        kscope.tmpdir, ("127.0.0.1", 0), ("127.0.0.2", 0)))
    assert res.rc == 0, res
    rows = conns(res)
    assert len(rows) == sum(map(len, keep)), rows
    for i, ends in enumerate(keep):
        info = xfer_info(kscope.tmpdir, i)
        mine = [r for r in rows if info["server"]["port"] in (r["lport"], r["rport"])]
        assert sorted(r["open"] for r in mine) == sorted(ends), (i, rows)
        for open_ in ends:
            r = side(mine, info, open_)
            local, remote = ("127.0.0.1", f"127.0.0.{i + 1}")[::1 if open_ == "active" else -1]
            assert (r["family"], r["laddr"], r["raddr"]) == ("ipv4", local, remote), r


@pytest.mark.parametrize("args, keep", [
    (["--laddr", "::1"], 1),
    (["--raddr", "::1", "--laddr", "0:0::1"], 1),
    (["--laddr", "127.0.0.1"], 0),
])
def test_addr_filter_v6(kscope, args, keep):
    """--laddr ::1: the IPv6 exchange's two rows, not the IPv4 one's (and the reverse)."""
    check_one_family(kscope, args, keep)


def test_listener_before_kscope(kscope, bg):
    """A server listening before kscope started: its connection is still the server's,
    found in process context at its first receive, not the client's softirq."""
    out = os.path.join(kscope.tmpdir, "srv.json")
    srv = bg.start([PY, XFER, "serve", out, "127.0.0.1", "0", str(N), str(M)])
    wait_for_file(out + ".listening", srv)
    with open(out + ".listening") as f:
        port = json.load(f)["port"]
    t = kscope.command("net").start(["--port", str(port)])
    cout = os.path.join(kscope.tmpdir, "cli.json")
    subprocess.run([PY, XFER, "connect", cout, "127.0.0.1", str(port), str(N)], check=True,
                   timeout=TIMEOUT)
    assert srv.wait(TIMEOUT) == 0
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    with open(out) as f:
        s_info = json.load(f)
    with open(cout) as f:
        c_info = json.load(f)
    rows = conns(res)
    assert len(rows) == 2, rows
    (s,) = [r for r in rows if r["open"] == "passive"]
    (c,) = [r for r in rows if r["open"] == "active"]
    assert (s["pid"], s["comm"], s["lport"], s["tx_bytes"], s["rx_bytes"]) == \
        (s_info["pid"], s_info["comm"], port, M, N), s
    assert (c["pid"], c["lport"], c["tx_bytes"], c["rx_bytes"]) == \
        (c_info["pid"], c_info["lport"], N, M), c


def test_connection_before_kscope(kscope, bg):
    """A connection open before kscope started: followed from the first send or
    receive kscope sees on it, by the process that made it; its bytes are
    exactly those of after the start, its duration unknown (null)."""
    n1, n2 = 1111, 2345
    out = os.path.join(kscope.tmpdir, "hold.json")
    go = os.path.join(kscope.tmpdir, "go")
    hold = bg.start([PY, XFER, "hold", out, "127.0.0.1", str(n1), str(n2), go])
    wait_for_file(out + ".got1", hold)
    wait_for_file(out + ".sent1", hold)
    with open(out + ".sent1") as f:
        first = json.load(f)
    t = kscope.command("net").start(["--port", str(first["port"])])
    with open(go, "w"):
        pass
    assert hold.wait(TIMEOUT) == 0
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    rows = conns(res)
    assert len(rows) == 2, rows
    (c,) = [r for r in rows if r["lport"] == first["lport"]]
    (s,) = [r for r in rows if r["rport"] == first["lport"]]
    for r in (c, s):
        assert (r["pid"], r["comm"], r["open"], r["duration_ns"]) == \
            (first["pid"], first["comm"], "existing", None), r
        assert r["error"] is None, r
    assert (c["state"], s["state"]) == ("FIN_WAIT2", "LAST_ACK"), (c, s)
    assert (c["tx_bytes"], c["rx_bytes"]) == (n2, 0), c
    assert (s["tx_bytes"], s["rx_bytes"]) == (0, n2), s
    assert (c["rport"], s["lport"]) == (first["port"], first["port"])
    # the kernel's own counters cover the whole connection
    assert c["wire_bytes_sent"] - c["retrans_bytes"] == n1 + n2, c


def test_owner_filter(kscope, bg):
    """-p: only the connections the traced process owns (the listener's children are its)."""
    out = os.path.join(kscope.tmpdir, "srv.json")
    srv = bg.start([PY, XFER, "serve", out, "127.0.0.1", "0", str(N), str(M)])
    wait_for_file(out + ".listening", srv)
    with open(out + ".listening") as f:
        port = json.load(f)["port"]
    t = kscope.command("net").start(["-p", str(srv.pid)])
    cout = os.path.join(kscope.tmpdir, "cli.json")
    subprocess.run([PY, XFER, "connect", cout, "127.0.0.1", str(port), str(N)], check=True,
                   timeout=TIMEOUT)
    assert srv.wait(TIMEOUT) == 0
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    (s,) = conns(res)
    assert (s["pid"], s["open"], s["lport"], s["tx_bytes"], s["rx_bytes"]) == \
        (srv.pid, "passive", port, M, N), s


# ---- --by process | cgroup -------------------------------------------------------------

BY_PROCESS_FIELDS = ("type", "ts_ns", "interval_ns", "pid", "comm", "cgroup_id", "tx_bytes",
                     "rx_bytes", "conns", "conns_opened", "conns_closed", "retrans_segs",
                     "resets_sent", "resets_received")
BY_CGROUP_FIELDS = ("type", "ts_ns", "interval_ns", "cgroup_id", "tx_bytes", "rx_bytes",
                    "cgroup", "conns", "conns_opened", "conns_closed", "retrans_segs",
                    "resets_sent", "resets_received")


def run_storm(kscope, args, k, tmp_path):
    """kscope net -j ARGS -- tcp_xfer.py storm (K connections, one process): (res, info)."""
    sync, out = str(tmp_path), os.path.join(str(tmp_path), "storm.json")
    with open(os.path.join(sync, "go"), "w"):
        pass
    # in a netns of its own: every retransmission there is the storm's (a slow
    # guest's tail loss probe); then a pause past kscope's housekeeping (about
    # once a second), which folds
    res = kscope.command("net").run(args, program=[
        "unshare", "-n", "sh", "-c",
        f"ip link set lo up && {PY} {XFER} storm {out} {sync} {k} && sleep 2.5"])
    assert res.rc == 0, res
    with open(out) as f:
        return res, json.load(f)


@pytest.mark.parametrize("k", [40, 2100])
def test_by_process(kscope, tmp_path, k):
    """--by process: one row for the process that owned 2K connections (both ends of
    K exchanges), their bytes summed exactly; 2100 passes the 4096 closed connections
    a summary at the end keeps apart before it folds them per process (the pause
    after the storm lets the fold run before the end), which must change nothing."""
    res, info = run_storm(kscope, ["--by", "process"], k, tmp_path)
    rows = res.of("net_process_stat")
    assert {r["type"] for r in res.rows} == {"net_process_stat"}, res.rows
    for r in rows:
        assert tuple(r) == BY_PROCESS_FIELDS, r
    (row,) = [r for r in rows if r["pid"] == info["pid"]]
    sent = 3 * k * (k + 1) // 2		# client i: i + 1 bytes, its server 2 (i + 1)
    assert row["conns"] == 2 * k, row
    assert row["conns_opened"] == 2 * k, row
    assert row["conns_closed"] == 2 * k, row
    assert row["tx_bytes"] == sent, row
    assert row["rx_bytes"] == sent, row
    assert row["retrans_segs"] == info["retrans"], (row, info["retrans"])
    assert row["comm"] == "python3", row
    assert row["cgroup_id"] == cgroup_id_of(), row
    # -- PROGRAM: its tree only, and nothing else in it connected
    assert len(rows) == 1, rows


def test_by_cgroup(kscope, cgroup):
    """--by cgroup: the exchanges of the processes in a test's cgroup, with its path."""
    def program(run):
        cmds = " && ".join(f"{PY} {XFER} xfer {kscope.tmpdir}/{run}{i}.json - - 127.0.0.1 0 "
                           f"{N} {M}" for i in range(2))
        return ["sh", "-c", f"echo $$ > {cgroup}/cgroup.procs && {cmds}"]
    res = kscope.command("net").run(["--by", "cgroup"], program=program("j"))
    assert res.rc == 0, res
    rows = res.of("net_cgroup_stat")
    for r in rows:
        assert tuple(r) == BY_CGROUP_FIELDS, r
    (row,) = rows
    assert row["cgroup_id"] == os.stat(cgroup).st_ino, row
    assert row["cgroup"] == "/" + os.path.basename(cgroup), row
    assert (row["conns"], row["conns_opened"], row["conns_closed"]) == (4, 4, 4), row
    assert (row["tx_bytes"], row["rx_bytes"]) == (2 * (N + M), 2 * (N + M)), row
    # the text table: the path, the counts
    res = kscope.command("net").run(["--by", "cgroup"], program=program("t"), json_mode=False)
    assert res.rc == 0, res
    lines = res.rows.splitlines()
    assert lines[0].split() == ["CGROUP", "CONNS", "OPENED", "CLOSED", "TX", "RX", "RETRANS",
                                "RSTSENT", "RSTRECV"], lines
    assert lines[1].split() == ["/" + os.path.basename(cgroup), "4", "4", "4", str(2 * (N + M)),
                                str(2 * (N + M)), "0", "0", "0"], lines


def test_by_process_intervals(kscope):
    """--by process with an interval: a connection pair that outlives a period is
    counted in each period it lived in, opened in the first, closed in the last,
    and the periods' bytes add up to what was sent."""
    n1, n2 = 1111, 2345
    out = os.path.join(kscope.tmpdir, "hold.json")
    go = os.path.join(kscope.tmpdir, "go")
    t = kscope.command("net").start(["--by", "process", "1"],
                                    program=[PY, XFER, "hold", out, "127.0.0.1", str(n1),
                                             str(n2), go])
    wait_for_file(out + ".sent1", t.proc)
    with open(out + ".sent1") as f:
        pid = json.load(f)["pid"]
    t.wait_row(lambda r: r.get("pid") == pid and r["tx_bytes"] == n1)
    with open(go, "w"):
        pass
    res = t.wait()
    assert res.rc == 0, res
    rows = [r for r in res.of("net_process_stat") if r["pid"] == pid]
    assert len(rows) >= 2 and len({r["ts_ns"] for r in rows}) == len(rows), rows
    assert all(r["conns"] == 2 for r in rows), rows
    assert rows[0]["conns_opened"] == 2 and sum(r["conns_opened"] for r in rows) == 2, rows
    assert rows[-1]["conns_closed"] == 2 and sum(r["conns_closed"] for r in rows) == 2, rows
    assert rows[0]["tx_bytes"] == rows[0]["rx_bytes"] == n1, rows
    assert sum(r["tx_bytes"] for r in rows) == sum(r["rx_bytes"] for r in rows) == n1 + n2, rows


@pytest.mark.parametrize("args, msg", [
    (["--port", "0"], "invalid port '0'"),
    (["--port", "65536"], "invalid port '65536'"),
    (["--port", "80,,443"], "invalid port list"),
    (["--port", ",".join(str(p) for p in range(1, 18))], "at most 16 ports"),
    (["-4", "-6"], "cannot be combined"),
    (["--laddr", "10.0.0.256"], "invalid address '10.0.0.256' for --laddr"),
    (["--raddr", "::1,localhost"], "invalid address 'localhost' for --raddr"),
    (["--raddr", "1.2.3.4/24"], "invalid address '1.2.3.4/24'"),
    (["--laddr", ""], "invalid address list '' for --laddr"),
    (["--raddr", "::1,,::2"], "invalid address list"),
    (["--laddr", ",".join(f"10.0.0.{i}" for i in range(1, 18))], "at most 16 addresses"),
    (["-4", "--raddr", "127.0.0.1,::1"], "--raddr ::1 is IPv6: -4 leaves it out"),
    (["--laddr", "127.0.0.1", "-6"], "--laddr 127.0.0.1 is IPv4: -6 leaves it out"),
    (["-s", "tx"], "give an interval or --by"),
    (["-n", "3"], "give an interval or --by"),
    (["--by", "thread"], "invalid --by 'thread' (process or cgroup)"),
    (["--by", "process", "--events"], "cannot be combined"),
    (["-s", "conns", "1"], "-s conns orders the rows of --by"),
    (["--by", "cgroup", "-s", "duration"], "-s duration orders connections, not --by cgroup"),
    (["--drops", "--laddr", "127.0.0.1"], "cannot be combined"),
    (["-s", "bogus", "1"], None),
    (["--bogus"], "unknown option '--bogus'"),
])
def test_bad_input(args, msg):
    check_usage_error("net", args, msg)


def test_sigint_leaves_nothing(kscope):
    """Tracing everything, stopped by SIGINT: exit 0, every BPF object gone."""
    t = kscope.command("net").start([])
    owned = bpf_objects(t.pid)
    assert owned["prog"] and owned["link"] and owned["map"], owned
    out = os.path.join(kscope.tmpdir, "x.json")
    subprocess.run([PY, XFER, "xfer", out, "-", "-", "127.0.0.1", "0", "10", "20"], check=True,
                   timeout=TIMEOUT)
    with open(out) as f:
        info = json.load(f)
    # the exchange's entries went with its sockets: none of its ports is left
    maps = bpftool_list("map")
    (conns_id,) = [i for i in owned["map"] if maps[i].get("name") == "conns"]
    p = subprocess.run(["bpftool", "map", "dump", "id", str(conns_id), "-j"],
                       capture_output=True, text=True, check=True, timeout=TIMEOUT)
    ports = {info["server"]["port"], info["client"]["lport"]}
    for entry in json.loads(p.stdout):
        v = entry.get("formatted", {}).get("value", {})
        assert not ({v.get("lport"), v.get("rport")} & ports), entry
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    mine = [r for r in res.of("net_conn") if info["client"]["pid"] in (r["pid"],)
            or r["lport"] == info["server"]["port"]]
    assert len(mine) == 2, res.rows
    check_gone(owned)

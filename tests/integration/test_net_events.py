# SPDX-License-Identifier: GPL-2.0
"""
`kscope net --events` on the real kernel, and the resets of the connection
rows, against TCP exchanges the test controls (tests/workloads/tcp_xfer.py):

  * a known exchange (veth pair between two namespaces, on every hook path
    this kernel can take): exactly the expected state changes on both sides,
    in order, each with its owner (the client's and the server's pid, not
    the softirq's task) and the connection's id; the listener's own two;
  * one data segment dropped at the receiver by an nftables rule: exactly
    one retransmit event, on the sender's connection, in FIN_WAIT1, equal to
    the namespace's TcpRetransSegs delta and the row's retrans_segs;
    the client's first SYN dropped: exactly one, of kind syn, in SYN_SENT;
  * a connect to a closed port: the client receives exactly one reset, and
    its row says ECONNREFUSED and resets_received 1; the kernel sends exactly
    one reset, with reason NO_SOCKET where the kernel gives reasons (6.10+,
    decided from its BTF); before, a reset without a socket is not traced;
    one error event ECONNREFUSED;
  * a server that aborts (SO_LINGER 0): its row counts the reset it sent,
    with the kernel's reason where there is one; the client's the one it got;
  * a full ring buffer: every event a record or counted lost, exactly;
  * -p, --port and --raddr keep exactly the matching lines; a connect's first state
    change waits for --port to know its local port;
  * without --events the per-segment probes are not loaded.

tcp:tcp_send_reset's reason names come from the kernel's BTF (enum
sk_rst_reason), as kscope reads them.
"""
import json
import os
import signal
import struct
import subprocess

import pytest

import hooks
from conftest import TIMEOUT, cli, wait_for_file
from test_net import (DATA_SEGMENT, N, M, PY, SYN, XFER, conns, drop_first, free_port,
                      netns_ino, probe_lines, run_xfer, storm_stopped, tcp_snmp, two_xfers,
                      veth, xfer_info)  # noqa: F401 (veth: a fixture)

TP = hooks.TP
EVENT_PROBES = dict(hooks.NET_EVENT_PROBES, state=TP)
VARIANTS = hooks.variants_needing(hooks.net_bytes(), TP)

COMMON = ("type", "ts_ns", "pid", "tid", "ppid", "uid", "comm", "cgroup_id", "cpu", "conn_id",
          "family", "laddr", "lport", "raddr", "rport", "netns")
FIELDS = {
    "net_state": COMMON + ("old_state", "new_state"),
    "net_retrans": COMMON + ("state", "kind"),
    "net_reset": COMMON + ("dir", "state", "reason"),
    "net_error": COMMON + ("state", "error"),
}

CLIENT_STATES = [("CLOSE", "SYN_SENT"), ("SYN_SENT", "ESTABLISHED"),
                 ("ESTABLISHED", "FIN_WAIT1"), ("FIN_WAIT1", "FIN_WAIT2"),
                 ("FIN_WAIT2", "CLOSE")]
SERVER_STATES = [("LISTEN", "SYN_RECV"), ("SYN_RECV", "ESTABLISHED"),
                 ("ESTABLISHED", "CLOSE_WAIT"), ("CLOSE_WAIT", "LAST_ACK"),
                 ("LAST_ACK", "CLOSE")]


def btf_has(name, kind, path=hooks.BTF_PATH):
    """Is there a type `name` of BTF kind `kind` (6: enum) in the kernel's BTF?"""
    with open(path, "rb") as f:
        data = f.read()
    _magic, _ver, _flags, hdr_len, type_off, type_len, str_off, _ = \
        struct.unpack_from("<HBBIIIII", data)
    strs, want = hdr_len + str_off, name.encode() + b"\0"
    fixed = {1: 4, 3: 12, 14: 4, 17: 4}
    per_member = {4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12}
    off, end = hdr_len + type_off, hdr_len + type_off + type_len
    while off < end:
        name_off, info, _ = struct.unpack_from("<III", data, off)
        k, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        if k == kind and data.startswith(want, strs + name_off):
            return True
        off += 12 + fixed.get(k, 0) + per_member.get(k, 0) * vlen
    return False


def reset_reasons():
    """Does this kernel give tcp_send_reset a reason (enum sk_rst_reason, 6.10+)?"""
    return btf_has("sk_rst_reason", 6)


def events(res):
    """--events' records, each with exactly its documented fields."""
    out = [r for r in res.rows if r["type"] in FIELDS]
    for r in out:
        assert tuple(r) == FIELDS[r["type"]], r
    return out


def of_conn(evs, conn_id, kind=None):
    return [e for e in evs if e["conn_id"] == conn_id and (kind is None or e["type"] == kind)]


def states(evs):
    return [(e["old_state"], e["new_state"]) for e in evs if e["type"] == "net_state"]


def check_exchange(res, info, caddr, saddr, syn_lport=0, listener=True):
    """The client's and the server's state changes, exactly, with their owners. The
    client's CLOSE -> SYN_SENT has local port syn_lport (0: not chosen yet)."""
    evs = events(res)
    c_info, s_info = info["client"], info["server"]
    port = s_info["port"]
    rows = conns(res)
    (c,) = [r for r in rows if r["open"] == "active"]
    (s,) = [r for r in rows if r["open"] == "passive"]
    cev, sev = of_conn(evs, c["conn_id"]), of_conn(evs, s["conn_id"])
    assert states(cev) == CLIENT_STATES, cev
    assert states(sev) == SERVER_STATES, sev
    for e in of_conn(evs, c["conn_id"], "net_state"):
        assert (e["pid"], e["tid"], e["comm"]) == (c_info["pid"], c_info["pid"],
                                                  c_info["comm"]), e
        assert (e["laddr"], e["raddr"], e["rport"], e["netns"]) == \
            (caddr, saddr, port, c["netns"]), e
        # a connect's local port is chosen after SYN_SENT
        assert e["lport"] == (syn_lport if e["new_state"] == "SYN_SENT" else c_info["lport"]), e
    for e in of_conn(evs, s["conn_id"], "net_state"):
        assert (e["pid"], e["tid"], e["comm"]) == (s_info["pid"], s_info["pid"],
                                                  s_info["comm"]), e
        assert (e["laddr"], e["lport"], e["raddr"], e["rport"], e["netns"]) == \
            (saddr, port, caddr, c_info["lport"], s["netns"]), e
    # the listener: its two, in the server's process context, no connection
    lis = [e for e in evs if e["type"] == "net_state" and e["conn_id"] is None
           and e["lport"] == port]
    assert [(e["old_state"], e["new_state"], e["pid"]) for e in lis] == \
        ([("CLOSE", "LISTEN", s_info["pid"]), ("LISTEN", "CLOSE", s_info["pid"])]
         if listener else []), lis
    # in time order, each side; every event is one of the two connections' or the listener's
    for side in (cev, sev):
        assert [e["ts_ns"] for e in side] == sorted(e["ts_ns"] for e in side), side
    assert len(evs) == len(cev) + len(sev) + len(lis), evs
    # no reset, no error; retransmits (a loaded machine may have some) as the rows count them
    for r, side in ((c, cev), (s, sev)):
        assert not [e for e in side if e["type"] in ("net_reset", "net_error")], side
        rt = [e for e in side if e["type"] == "net_retrans"]
        assert len(rt) == r["retrans_segs"], (rt, r)
        assert (r["resets_sent"], r["resets_received"], r["reset_reason"]) == (0, 0, None), r
    return c, s, evs


@pytest.mark.parametrize("variant", VARIANTS)
def test_states_exact(kscope, veth, variant):
    """Client in A, server in B: each side's state changes exactly, on each hook path."""
    a, b = veth
    res, info = run_xfer(kscope, ["--events", "-v", *hooks.options(variant)], b, a,
                         "10.99.0.2")
    got = probe_lines(res.stderr)
    for probe, alts in EVENT_PROBES.items():
        want = hooks.plan(alts, variant)
        assert got.get(probe, "").startswith(want + "/"), (probe, got, want)
    c, s, _ = check_exchange(res, info, "10.99.0.1", "10.99.0.2")
    assert (c["netns"], s["netns"]) == (netns_ino(a), netns_ino(b))


def test_loopback_text(kscope):
    """The text lines: one per state change, the owner's pid, the two ends, old -> new."""
    out = os.path.join(kscope.tmpdir, "x.json")
    res = kscope.command("net").run(["--events"], json_mode=False, program=[
        PY, XFER, "xfer", out, "-", "-", "127.0.0.1", "0", str(N), str(M)])
    assert res.rc == 0, res
    with open(out) as f:
        info = json.load(f)
    c_info, s_info = info["client"], info["server"]
    port, lport = s_info["port"], c_info["lport"]
    lines = res.rows.splitlines()
    assert lines[0].split() == ["TIME(s)", "EVENT", "PID", "TID", "PPID", "COMM", "DETAILS"]
    got = [ln.split()[1:] for ln in lines[1:] if ln.split()[1] == "net_state"]
    cp, sp = str(c_info["pid"]), str(s_info["pid"])
    ppid = str(info["pid"])
    cli_end, srv_end = f"127.0.0.1:{lport}", f"127.0.0.1:{port}"
    want_c = [["net_state", cp, cp, ppid, "python3",
               f"127.0.0.1:{0 if new == 'SYN_SENT' else lport}", ">", srv_end, old, "->", new]
              for old, new in CLIENT_STATES]
    want_s = [["net_state", sp, sp, ppid, "python3", srv_end, ">", cli_end, old, "->", new]
              for old, new in SERVER_STATES]
    assert [g for g in got if g[1] == cp] == want_c, got
    # the listener's and the accepted connection's, each in order; the two interleave
    # as they will: the connection's LAST_ACK -> CLOSE comes with the client's last ACK,
    # in softirq, before or after the listener closes (a slow guest: after)
    srv = [g for g in got if g[1] == sp]
    assert [g for g in srv if g[7] == "0.0.0.0:0"] == \
        [["net_state", sp, sp, ppid, "python3", srv_end, ">", "0.0.0.0:0", "CLOSE", "->",
          "LISTEN"],
         ["net_state", sp, sp, ppid, "python3", srv_end, ">", "0.0.0.0:0", "LISTEN", "->",
          "CLOSE"]], got
    assert [g for g in srv if g[7] != "0.0.0.0:0"] == want_s, got
    assert srv[0][8:] == ["CLOSE", "->", "LISTEN"], got


def test_one_retransmit(kscope, veth):
    """One data segment dropped at the receiver: exactly one retransmit event, on the
    client's connection, in FIN_WAIT1, as TcpRetransSegs and the row count it."""
    a, b = veth
    port = 9000
    drop_first(b, port, DATA_SEGMENT)
    before = tcp_snmp(a)["RetransSegs"]
    res, info = run_xfer(kscope, ["--events"], b, a, "10.99.0.2", port=port)
    retrans = tcp_snmp(a)["RetransSegs"] - before
    assert retrans == 1, retrans
    c, s, evs = check_exchange(res, info, "10.99.0.1", "10.99.0.2")
    (rt,) = [e for e in evs if e["type"] == "net_retrans"]
    assert (rt["conn_id"], rt["pid"], rt["state"], rt["kind"]) == \
        (c["conn_id"], info["client"]["pid"], "FIN_WAIT1", "segment"), rt
    assert (rt["lport"], rt["rport"]) == (info["client"]["lport"], port), rt
    assert (c["retrans_segs"], s["retrans_segs"]) == (1, 0), (c, s)


def test_syn_retransmit(kscope, veth):
    """The client's first SYN dropped at the receiver: exactly one retransmit event, of
    kind syn, in SYN_SENT, on the client's connection (the kernel sends it again after
    its initial timeout, 1 s), as TcpRetransSegs and the row count it."""
    a, b = veth
    port = 9000
    drop_first(b, port, SYN)
    before = tcp_snmp(a)["RetransSegs"]
    res, info = run_xfer(kscope, ["--events"], b, a, "10.99.0.2", port=port)
    assert tcp_snmp(a)["RetransSegs"] - before == 1
    c, s, evs = check_exchange(res, info, "10.99.0.1", "10.99.0.2")
    (rt,) = [e for e in evs if e["type"] == "net_retrans"]
    assert (rt["conn_id"], rt["pid"], rt["state"], rt["kind"]) == \
        (c["conn_id"], info["client"]["pid"], "SYN_SENT", "syn"), rt
    assert (rt["lport"], rt["rport"]) == (info["client"]["lport"], port), rt
    assert (c["retrans_segs"], s["retrans_segs"]) == (1, 0), (c, s)


def start_events(kscope, args):
    """kscope net --events -j ARGS, tracing everything (no owner filter)."""
    return kscope.command("net").start(["--events", *args])


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_refused(kscope, host, variant):
    """A connect to a closed port: one reset received by the client, one sent by the
    kernel (NO_SOCKET where it gives reasons), one error, the row's ECONNREFUSED."""
    port = free_port(host)
    t = start_events(kscope, ["--port", str(port), *hooks.options(variant)])
    out = os.path.join(kscope.tmpdir, "refused.json")
    subprocess.run([PY, XFER, "refused", out, host, str(port)], check=True, timeout=TIMEOUT)
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    with open(out) as f:
        info = json.load(f)
    assert (info["errno"], info["port"]) == ("ECONNREFUSED", port), info
    (r,) = conns(res)
    assert (r["pid"], r["state"], r["error"]) == (info["pid"], "SYN_SENT", "ECONNREFUSED"), r
    assert (r["resets_sent"], r["resets_received"], r["reset_reason"]) == (0, 1, None), r
    evs = events(res)
    mine = of_conn(evs, r["conn_id"])
    assert [(e["type"], e.get("old_state"), e.get("new_state"), e.get("dir"), e["state"] if
             "state" in e else None) for e in mine if e["type"] != "net_error"] == [
        ("net_state", "CLOSE", "SYN_SENT", None, None),
        ("net_reset", None, None, "received", "SYN_SENT"),
        ("net_state", "SYN_SENT", "CLOSE", None, None)], mine
    for e in mine:
        assert (e["pid"], e["raddr"], e["rport"]) == (info["pid"], host, port), e
    (rcv,) = [e for e in mine if e["type"] == "net_reset"]
    assert (rcv["lport"], rcv["reason"]) == (info["lport"], None), rcv
    # the error: the socket is in raw_tp's and tp_btf's record, not in the tracepoint's
    errs = [e for e in evs if e["type"] == "net_error"]
    assert len(errs) == 1, errs
    (err,) = errs
    assert (err["error"], err["lport"], err["rport"]) == ("ECONNREFUSED", info["lport"], port)
    if hooks.plan(TP, variant) == "tracepoint":
        assert (err["conn_id"], err["pid"], err["comm"], err["state"]) == \
            (None, 0, "", None), err
    else:
        assert (err["conn_id"], err["pid"], err["state"]) == \
            (r["conn_id"], info["pid"], "CLOSE"), err
    # the kernel's reset, no socket (so no owner): the segment's ends, the reason
    sent = [e for e in evs if e["type"] == "net_reset" and e["dir"] == "sent"]
    if not reset_reasons():
        # before 6.10 (19822a980e19) a reset without a full socket is not traced
        assert sent == [], sent
        assert len(evs) == 4, evs
        return
    (snt,) = sent
    assert (snt["conn_id"], snt["pid"], snt["comm"], snt["state"], snt["reason"]) == \
        (None, 0, "", None, "NO_SOCKET"), snt
    assert (snt["laddr"], snt["lport"], snt["raddr"], snt["rport"]) == \
        (host, port, host, info["lport"]), snt
    assert snt["netns"] == netns_ino(), snt
    assert len(evs) == 5, evs


def test_abort(kscope):
    """A server that aborts (SO_LINGER 0): the reset it sends is counted on its row, with
    the kernel's reason where it has them; the client's row has the one it received."""
    out = os.path.join(kscope.tmpdir, "reset.json")
    res = kscope.command("net").run(["--events"], program=[PY, XFER, "reset", out,
                                                          "127.0.0.1", str(N)])
    assert res.rc == 0, res
    with open(out) as f:
        info = json.load(f)
    rows = conns(res)
    (c,) = [r for r in rows if r["open"] == "active"]
    (s,) = [r for r in rows if r["open"] == "passive"]
    reason = "TCP_STATE" if reset_reasons() else None   # tcp_disconnect() from ESTABLISHED
    assert (s["resets_sent"], s["resets_received"], s["reset_reason"], s["error"]) == \
        (1, 0, reason, None), s
    assert (c["resets_sent"], c["resets_received"], c["reset_reason"], c["error"]) == \
        (0, 1, None, "ECONNRESET"), c
    evs = events(res)
    (snt,) = [e for e in evs if e["type"] == "net_reset" and e["dir"] == "sent"]
    (rcv,) = [e for e in evs if e["type"] == "net_reset" and e["dir"] == "received"]
    assert (snt["conn_id"], snt["pid"], snt["state"], snt["reason"]) == \
        (s["conn_id"], info["pid"], "CLOSE", reason), snt
    assert (snt["lport"], snt["rport"]) == (info["port"], info["lport"]), snt
    assert (rcv["conn_id"], rcv["pid"], rcv["state"], rcv["reason"]) == \
        (c["conn_id"], info["pid"], "ESTABLISHED", None), rcv
    # the client's error; the server's own (tcp_disconnect sets ECONNRESET on it too)
    errs = sorted((e["conn_id"], e["error"]) for e in evs if e["type"] == "net_error")
    assert errs == sorted([(c["conn_id"], "ECONNRESET"), (s["conn_id"], "ECONNRESET")]), evs


def test_abort_text(kscope):
    """The text rows of an aborted connection: the resets, the reason by name."""
    out = os.path.join(kscope.tmpdir, "reset.json")
    res = kscope.command("net").run([], json_mode=False, program=[
        PY, XFER, "reset", out, "127.0.0.1", str(N)])
    assert res.rc == 0, res
    lines = [ln.split() for ln in res.rows.splitlines()[1:]]
    assert len(lines) == 2, lines
    (srv,) = [ln for ln in lines if "resets_sent=1" in ln]
    (cl,) = [ln for ln in lines if "resets_received=1" in ln]
    if reset_reasons():
        assert srv[-2:] == ["resets_sent=1", "reset_reason=TCP_STATE"], srv
    else:
        assert srv[-1] == "resets_sent=1", srv
    assert cl[-1] == "resets_received=1" and "error=ECONNRESET" in cl, cl


def test_port_filter(kscope):
    """--port P with --events: the lines of the exchange on P only, both sides."""
    p = free_port()
    out = kscope.tmpdir
    cmd = (f"{PY} {XFER} xfer {out}/x0.json - - 127.0.0.1 0 {N} {M} && "
           f"{PY} {XFER} xfer {out}/x1.json - - 127.0.0.1 {p} {N} {M}")
    res = kscope.command("net").run(["--events", "--port", str(p)], program=["sh", "-c", cmd])
    assert res.rc == 0, res
    with open(f"{out}/x1.json") as f:
        info = json.load(f)
    check_exchange(res, info, "127.0.0.1", "127.0.0.1")
    for e in events(res):
        assert p in (e["lport"], e["rport"]), e


def test_addr_filter(kscope):
    """--raddr 127.0.0.2 with --events: of two exchanges (servers on 127.0.0.1 and
    127.0.0.2), exactly the second client's state changes; not its server's (remote
    127.0.0.1), not a listener's (no remote address)."""
    res = kscope.command("net").run(["--events", "--raddr", "127.0.0.2"], program=two_xfers(
        kscope.tmpdir, ("127.0.0.1", 0), ("127.0.0.2", 0)))
    assert res.rc == 0, res
    info = xfer_info(kscope.tmpdir, 1)
    (c,) = conns(res)
    assert (c["open"], c["pid"], c["raddr"], c["rport"]) == \
        ("active", info["client"]["pid"], "127.0.0.2", info["server"]["port"]), c
    evs = events(res)
    assert states(evs) == CLIENT_STATES, evs
    for e in evs:
        assert (e["conn_id"], e["raddr"], e["pid"]) == \
            (c["conn_id"], "127.0.0.2", info["client"]["pid"]), e


def test_port_filter_local(kscope, veth):
    """--port naming only the client's local port, which the kernel chooses after
    SYN_SENT (one port in the client namespace's range): its CLOSE -> SYN_SENT waits
    for the answer and comes with the port; the server's lines (its remote port)."""
    a, b = veth
    lport = 40123
    subprocess.run(["ip", "netns", "exec", a, "sysctl", "-qw",
                    f"net.ipv4.ip_local_port_range={lport} {lport}"], check=True,
                   timeout=TIMEOUT)
    res, info = run_xfer(kscope, ["--events", "--port", str(lport)], b, a, "10.99.0.2")
    assert info["client"]["lport"] == lport, info
    check_exchange(res, info, "10.99.0.1", "10.99.0.2", syn_lport=lport, listener=False)


def test_owner_filter(kscope, bg):
    """-p SERVER: the server's listener and its accepted connection, exactly, nothing of
    the client's (on loopback the server's lines are made in the client's softirq)."""
    out = os.path.join(kscope.tmpdir, "srv.json")
    go = os.path.join(kscope.tmpdir, "go")
    port = free_port()
    srv = bg.start([PY, XFER, "serve", out, "127.0.0.1", str(port), str(N), str(M), go])
    t = kscope.command("net").start(["--events", "-p", str(srv.pid)])
    with open(go, "w"):
        pass
    wait_for_file(out + ".listening", srv)
    cout = os.path.join(kscope.tmpdir, "cli.json")
    subprocess.run([PY, XFER, "connect", cout, "127.0.0.1", str(port), str(N)], check=True,
                   timeout=TIMEOUT)
    assert srv.wait(TIMEOUT) == 0
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    with open(cout) as f:
        c_info = json.load(f)
    (s,) = conns(res)
    assert (s["pid"], s["lport"], s["rport"]) == (srv.pid, port, c_info["lport"]), s
    evs = events(res)
    assert all(e["pid"] == srv.pid for e in evs), evs
    assert states(of_conn(evs, s["conn_id"])) == SERVER_STATES, evs
    lis = [e for e in evs if e["conn_id"] is None]
    assert [(e["old_state"], e["new_state"], e["lport"]) for e in lis] == \
        [("CLOSE", "LISTEN", port), ("LISTEN", "CLOSE", port)], lis
    assert len(evs) == len(SERVER_STATES) + 2, evs


def test_client_filter(kscope, bg):
    """-p CLIENT on loopback, with a server whose listener kscope saw but does not want:
    the client's five state changes exactly, and nothing of the server's, though its
    new socket is made in the client's softirq, with the client on the CPU."""
    out = os.path.join(kscope.tmpdir, "srv.json")
    cout = os.path.join(kscope.tmpdir, "cli.json")
    sgo, cgo = os.path.join(kscope.tmpdir, "sgo"), os.path.join(kscope.tmpdir, "cgo")
    port = free_port()
    srv = bg.start([PY, XFER, "serve", out, "127.0.0.1", str(port), str(N), str(M), sgo])
    client = bg.start([PY, XFER, "connect", cout, "127.0.0.1", str(port), str(N), cgo])
    t = kscope.command("net").start(["--events", "-p", str(client.pid)])
    with open(sgo, "w"):
        pass
    wait_for_file(out + ".listening", srv)
    with open(cgo, "w"):
        pass
    assert client.wait(TIMEOUT) == 0 and srv.wait(TIMEOUT) == 0
    res = t.stop(signal.SIGINT)
    assert res.rc == 0, res
    with open(cout) as f:
        c_info = json.load(f)
    (c,) = conns(res)
    assert (c["pid"], c["open"], c["lport"], c["rport"]) == \
        (client.pid, "active", c_info["lport"], port), c
    evs = events(res)
    assert states(evs) == CLIENT_STATES, evs
    assert all(e["pid"] == client.pid and e["conn_id"] == c["conn_id"] for e in evs), evs


def test_losses_are_counted_exactly(kscope, tmp_path):
    """A 4 KiB ring buffer and kscope's reader stopped while K connections come and go
    with --events: every state change and row is a record or counted lost."""
    k = 100
    res, _ = storm_stopped(kscope, tmp_path, ["--events", "--ringbuf-kb", "4"], k)
    lost = res.of("lost")
    total = sum(e["count"] for e in lost)
    assert all(e["reason"] == "ringbuf" for e in lost) and lost[-1]["total"] == total, lost
    got = conns(res) + events(res)
    assert {r["type"] for r in res.rows} <= {"lost", "net_conn", *FIELDS}, res.rows
    # each connection: 5 state changes a side and 2 rows; the listener's 2 (a
    # retransmit on a loaded machine is one more, seen here if it was not lost)
    retrans = len([e for e in got if e["type"] == "net_retrans"])
    assert total > 0 and len(got) + total == 12 * k + 2 + retrans, (len(got), total)


def test_optional_probes(kscope):
    """Without --events the per-segment probes are not loaded: -v names none of them."""
    out = os.path.join(kscope.tmpdir, "x.json")
    res = kscope.command("net").run(["-v"], program=[PY, XFER, "xfer", out, "-", "-",
                                                     "127.0.0.1", "0", "10", "20"])
    assert res.rc == 0, res
    got = probe_lines(res.stderr)
    for p in ("retrans", "retrans-synack", "error"):
        assert p not in got, got
    for p in ("reset-sent", "reset-recv"):
        assert got.get(p, "").startswith(hooks.plan(hooks.NET_EVENT_PROBES[p], "default") + "/"), got
    assert not [r for r in res.rows if r["type"] in FIELDS], res.rows


@pytest.mark.parametrize("args, msg", [
    (["--events", "1"], "cannot be combined"),
])
def test_bad_input(args, msg):
    rc, stdout, stderr = cli(["net", *args])
    assert rc == 2, (rc, stderr)
    assert stdout == "" and stderr.count("\n") == 1, stderr
    assert msg in stderr, stderr

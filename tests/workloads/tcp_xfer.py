#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
TCP workloads with exactly known bytes, for tests/integration/test_net.py.
Each writes what the test must know (pids, ports) as JSON to OUT once done.

  tcp_xfer.py xfer OUT SRV_NS CLI_NS HOST PORT N M
      a server (in network namespace SRV_NS, "-" for this one) listening on
      HOST:PORT (0: a free port) and a client (in CLI_NS) as two processes: the client sends
      exactly N bytes and shuts its side down, the server peeks (MSG_PEEK)
      and reads them, answers exactly M and shuts down, both read to the
      end and close. Returns once neither socket is left but the client's
      TIME_WAIT (the server's last socket ends when the client's last ACK
      reaches it, in softirq).
  tcp_xfer.py refused OUT HOST [PORT]
      a client bound to HOST:0 connects to a port of HOST nothing listens on
      (PORT, or a free one)
  tcp_xfer.py hold OUT HOST N1 N2 GO
      one connection on loopback (server thread, client in this process):
      the client sends N1 bytes (OUT.sent1 once sent; OUT.got1 once the
      server read them); both wait for the file GO, then the client sends
      N2 and closes, the server reads to the end
  tcp_xfer.py retry OUT HOST N M CLOSED
      one socket, bound to a free port by its number, connects to port
      CLOSED, where nothing listens (0: a free one), and is refused; then,
      the same socket, to a server: sends N bytes, the server answers M
  tcp_xfer.py reset OUT HOST N
      one connection on loopback: the client sends N bytes, the server reads
      them and aborts (SO_LINGER 0: a reset), the client's next read fails
  tcp_xfer.py storm OUT SYNC K
      K connections on loopback, one after the other, once the file SYNC/go
      exists (SYNC/ready says it waits; SYNC/done that all are gone): the
      i-th client (from 0) sends i + 1 bytes, its server answers 2 (i + 1)
  tcp_xfer.py closed OUT HOST N M GO
      an exchange of N and M bytes on loopback whose client reads to the
      end (its connection is then closed, TIME_WAIT being another socket)
      but keeps its socket open until the file GO exists; OUT is written
      when that state is reached (the server's socket gone)
  tcp_xfer.py serve OUT HOST PORT N M [GO]
      xfer's server alone (GO: listens only once that file exists)
  tcp_xfer.py connect OUT HOST PORT N [GO]
      xfer's client alone (GO: connects only once that file exists)
  tcp_xfer.py udp_send OUT HOST PORT K
      K datagrams of 100 bytes to HOST:PORT (for kscope net --drops: a port
      nothing listens on)
  tcp_xfer.py udp_overflow OUT HOST N SIZE
      a UDP socket on HOST:0 with the smallest SO_RCVBUF, sent N datagrams of
      SIZE bytes that it does not read until all are sent; then it reads
      until each was received or dropped (the netns's RcvbufErrors).
      OUT: its pid, port, received, and that RcvbufErrors delta
"""
import errno
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

TIMEOUT = 60


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def recv_all(s):
    got = 0
    while True:
        b = s.recv(65536)
        if not b:
            return got
        got += len(b)


def comm():
    with open("/proc/self/comm") as f:
        return f.read().rstrip("\n")


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.rename(tmp, path)


def wait_file(path):
    deadline = time.monotonic() + TIMEOUT
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit(f"tcp_xfer: timed out waiting for {path}")
        time.sleep(0.005)


def tcp_sockets(port):
    """Sockets of this netns on local port `port`, but TIME_WAIT ones: (state, ...)."""
    left = []
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            lport = int(fields[1].rsplit(":", 1)[1], 16)
            if lport == port and fields[3] != "06":
                left.append(fields[3])
    return left


def wait_port_free(port):
    """Until no socket but TIME_WAIT ones is left on local port `port` (the last
    one goes when the peer's last ACK comes, in softirq)."""
    deadline = time.monotonic() + TIMEOUT
    while tcp_sockets(port):
        if time.monotonic() > deadline:
            sys.exit(f"tcp_xfer: port {port} still has sockets {tcp_sockets(port)}")
        time.sleep(0.005)


def listener(host, backlog=1):
    """A socket listening on a free port of host, and that port."""
    ls = socket.socket(family(host))
    ls.bind((host, 0))
    ls.listen(backlog)
    return ls, ls.getsockname()[1]


def serve_thread(ls, handle):
    """A started thread that accepts one connection on ls and runs handle(c)."""
    def run():
        c, _ = ls.accept()
        handle(c)
    t = threading.Thread(target=run)
    t.start()
    return t


def closed_port(host):
    """A port of host nothing listens on (bound, then closed)."""
    probe = socket.socket(family(host))
    probe.bind((host, 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def answer(m):
    """A server's handler: reads to the client's FIN, answers m bytes, closes."""
    def handle(c):
        recv_all(c)
        c.sendall(b"m" * m)
        c.close()
    return handle


def serve(out, host, port, n, m, go=None):
    if go:
        wait_file(go)
    ls = socket.socket(family(host))
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(1)
    port = ls.getsockname()[1]
    write_json(out + ".listening", {"pid": os.getpid(), "port": port})
    c, peer = ls.accept()
    # a look at what came, which is no receive: rx_bytes leaves it out (MSG_PEEK,
    # found in tcp_recvmsg's flags wherever they are: they moved in 5.19)
    c.recv(65536, socket.MSG_PEEK)
    # to the client's FIN first: the order of the FINs, and so the states the
    # two sides close from, is then always the same
    got = recv_all(c)
    c.sendall(b"y" * m)
    c.shutdown(socket.SHUT_WR)
    c.close()
    ls.close()
    wait_port_free(port)
    write_json(out, {"pid": os.getpid(), "comm": comm(), "got": got, "port": port,
                     "peer_port": peer[1]})


def connect(out, host, port, n, go=None):
    if go:
        wait_file(go)
    s = socket.socket(family(host))
    s.connect((host, port))
    lport = s.getsockname()[1]
    s.sendall(b"x" * n)
    s.shutdown(socket.SHUT_WR)
    got = recv_all(s)
    s.close()
    write_json(out, {"pid": os.getpid(), "comm": comm(), "got": got, "lport": lport})


def in_ns(ns, argv):
    return argv if ns == "-" else ["ip", "netns", "exec", ns] + argv


def xfer(out, srv_ns, cli_ns, host, port, n, m):
    me = [sys.executable, os.path.abspath(__file__)]
    srv = subprocess.Popen(in_ns(srv_ns, me + ["serve", out + ".srv", host, str(port),
                                               str(n), str(m)]))
    wait_file(out + ".srv.listening")
    with open(out + ".srv.listening") as f:
        port = json.load(f)["port"]
    cli = subprocess.run(in_ns(cli_ns, me + ["connect", out + ".cli", host, str(port), str(n)]),
                         timeout=TIMEOUT)
    rc = srv.wait(TIMEOUT)
    if rc or cli.returncode:
        sys.exit(f"tcp_xfer: server {rc}, client {cli.returncode}")
    with open(out + ".srv") as f:
        s = json.load(f)
    with open(out + ".cli") as f:
        c = json.load(f)
    write_json(out, {"pid": os.getpid(), "server": s, "client": c})


def refused(out, host, port=0):
    port = port or closed_port(host)
    s = socket.socket(family(host))
    s.bind((host, 0))
    lport = s.getsockname()[1]
    err = s.connect_ex((host, port))
    s.close()
    write_json(out, {"pid": os.getpid(), "comm": comm(), "lport": lport, "port": port,
                     "errno": errno.errorcode.get(err, err)})


def hold(out, host, n1, n2, go):
    ls, port = listener(host)
    result = {}

    def server(c):
        got = 0
        while got < n1:
            b = c.recv(n1 - got)
            if not b:
                break
            got += len(b)
        write_json(out + ".got1", {"got": got})
        # not in a receive when a tracer starts: a call in progress is not seen where
        # bytes are counted at the function's return (fexit, kretprobe: before 6.3)
        wait_file(go)
        result["got"] = got + recv_all(c)
        c.close()
    t = serve_thread(ls, server)
    s = socket.create_connection((host, port))
    s.sendall(b"a" * n1)
    write_json(out + ".sent1", {"pid": os.getpid(), "comm": comm(),
                                "lport": s.getsockname()[1], "port": port})
    wait_file(go)
    s.sendall(b"b" * n2)
    s.close()
    t.join(TIMEOUT)
    ls.close()
    write_json(out, {"pid": os.getpid(), "got": result.get("got"), "port": port})


def retry(out, host, n, m, closed):
    closed = closed or closed_port(host)
    ls, port = listener(host)
    t = serve_thread(ls, answer(m))
    # bound to a port by its number: the failed connect keeps it (a port the
    # kernel chose for bind(0) would be released by the disconnect)
    free = socket.socket(family(host))
    free.bind((host, 0))
    lport = free.getsockname()[1]
    free.close()
    s = socket.socket(family(host))
    s.bind((host, lport))
    err = s.connect_ex((host, closed))
    s.connect((host, port))
    lport2 = s.getsockname()[1]
    s.sendall(b"n" * n)
    s.shutdown(socket.SHUT_WR)
    got = recv_all(s)
    s.close()
    t.join(TIMEOUT)
    ls.close()
    wait_port_free(port)
    write_json(out, {"pid": os.getpid(), "lport": lport, "lport2": lport2,
                     "closed_port": closed,
                     "port": port, "errno": errno.errorcode.get(err, err), "got": got})


def reset(out, host, n):
    ls, port = listener(host)

    def server(c):
        got = 0
        while got < n:
            got += len(c.recv(n - got))
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    t = serve_thread(ls, server)
    s = socket.create_connection((host, port))
    lport = s.getsockname()[1]
    s.sendall(b"r" * n)
    t.join(TIMEOUT)
    try:
        err = "none: got %d bytes" % len(s.recv(100))
    except ConnectionResetError:
        err = "ECONNRESET"
    s.close()
    ls.close()
    write_json(out, {"pid": os.getpid(), "comm": comm(), "lport": lport, "port": port,
                     "error": err})


def storm(out, sync, k):
    """K exchanges on loopback; "retrans": the segments this netns retransmitted
    meanwhile (a slow guest's tail loss probe is one: the test runs it alone in a
    netns of its own, so they are all its own)."""
    retrans = snmp("Tcp")["RetransSegs"]
    ls, port = listener("127.0.0.1", backlog=16)

    def server():
        for i in range(k):
            c, _ = ls.accept()
            recv_all(c)
            c.sendall(b"s" * (2 * (i + 1)))
            c.close()
    write_json(os.path.join(sync, "ready"), {})
    wait_file(os.path.join(sync, "go"))
    t = threading.Thread(target=server)
    t.start()
    lports = []
    for i in range(k):
        s = socket.create_connection(("127.0.0.1", port))
        lports.append(s.getsockname()[1])
        s.sendall(b"c" * (i + 1))
        s.shutdown(socket.SHUT_WR)
        recv_all(s)
        s.close()
    t.join(TIMEOUT)
    ls.close()
    wait_port_free(port)
    write_json(out, {"pid": os.getpid(), "port": port, "lports": lports,
                     "retrans": snmp("Tcp")["RetransSegs"] - retrans})
    write_json(os.path.join(sync, "done"), {})


def closed(out, host, n, m, go):
    ls, port = listener(host)
    t = serve_thread(ls, answer(m))
    s = socket.create_connection((host, port))
    lport = s.getsockname()[1]
    s.sendall(b"n" * n)
    s.shutdown(socket.SHUT_WR)
    got = recv_all(s)
    t.join(TIMEOUT)
    ls.close()
    wait_port_free(port)
    write_json(out, {"pid": os.getpid(), "comm": comm(), "lport": lport, "port": port,
                     "got": got})
    wait_file(go)
    s.close()


def udp_send(out, host, port, k):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    for _ in range(k):
        s.sendto(b"u" * 100, (host, port))
    s.close()
    write_json(out, {"pid": os.getpid(), "comm": comm(), "sent": k})


def snmp(proto="Udp"):
    """The PROTO: counters of this netns (/proc/net/snmp): {name: value}."""
    with open("/proc/self/net/snmp") as f:
        names, values = [line.split()[1:] for line in f.read().splitlines()
                         if line.startswith(proto + ":")]
    return dict(zip(names, map(int, values)))


def udp_snmp():
    return snmp("Udp")


def udp_overflow(out, host, n, size):
    r = socket.socket(family(host), socket.SOCK_DGRAM)
    r.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)	# the kernel's minimum
    r.bind((host, 0))
    port = r.getsockname()[1]
    before = udp_snmp()
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    for _ in range(n):
        s.sendto(b"o" * size, (host, port))
    s.close()
    # read until every datagram was received or dropped (loopback delivers in
    # softirq, maybe after sendto returned)
    r.setblocking(False)
    received = 0
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            r.recv(65536)
            received += 1
            continue
        except BlockingIOError:
            pass
        dropped = udp_snmp()["RcvbufErrors"] - before["RcvbufErrors"]
        if received + dropped >= n:
            break
        if time.monotonic() > deadline:
            sys.exit(f"tcp_xfer: {received} received, {dropped} dropped of {n}")
        time.sleep(0.005)
    r.close()
    write_json(out, {"pid": os.getpid(), "comm": comm(), "port": port, "received": received,
                     "rcvbuf_errors": dropped})


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "xfer":
        xfer(args[0], args[1], args[2], args[3], int(args[4]), int(args[5]), int(args[6]))
    elif mode == "serve":
        serve(args[0], args[1], int(args[2]), int(args[3]), int(args[4]),
              args[5] if len(args) > 5 else None)
    elif mode == "connect":
        connect(args[0], args[1], int(args[2]), int(args[3]),
                args[4] if len(args) > 4 else None)
    elif mode == "refused":
        refused(args[0], args[1], int(args[2]) if len(args) > 2 else 0)
    elif mode == "retry":
        retry(args[0], args[1], int(args[2]), int(args[3]), int(args[4]))
    elif mode == "reset":
        reset(args[0], args[1], int(args[2]))
    elif mode == "storm":
        storm(args[0], args[1], int(args[2]))
    elif mode == "closed":
        closed(args[0], args[1], int(args[2]), int(args[3]), args[4])
    elif mode == "hold":
        hold(args[0], args[1], int(args[2]), int(args[3]), args[4])
    elif mode == "udp_send":
        udp_send(args[0], args[1], int(args[2]), int(args[3]))
    elif mode == "udp_overflow":
        udp_overflow(args[0], args[1], int(args[2]), int(args[3]))
    else:
        sys.exit(f"tcp_xfer: unknown mode {mode!r}")


if __name__ == "__main__":
    main()

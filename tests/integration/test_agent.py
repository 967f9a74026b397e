# SPDX-License-Identifier: GPL-2.0
"""
kscope agent on every kernel of the matrix: what the kernel side decides.

  * exact counts through the exposition: a workload's N getppid() calls and
    M + K failing opens (two errnos) become increases of exactly N, M and K
    in kscope_syscalls_total, kscope_syscall_errors_total and the latency
    histogram's _count, on every hook path the syscall probes can take here;
  * the exposition's rules, checked here since promtool does not: every
    histogram has +Inf, cumulative buckets, `le` values that are real upper
    edges of the kernel's slots (2^(k+1) slot units - 1 ns), _count equal to
    +Inf, _sum; integers printed exactly; no pid label; gzip when asked;
  * the HTTP side against clients that misbehave: one that sends nothing,
    1,000 connections at once, a 1 MB request, garbage, a scrape while the
    collectors are reading their maps;
  * capabilities dropped after attaching (/proc/PID/status), SIGTERM exits 0
    with no BPF object left, --config.check, socket activation (fd://N,
    systemd's LISTEN_FDS), usage errors;
  * --web.config.file: HTTPS with the test CA (tests/integration/data/tls),
    basic auth (right, wrong, none), plain HTTP on the TLS port, a client
    certificate required, a bad file, a reload.

The Prometheus server, promtool, the fleet path and the cardinality budget
are in test_agent_prom.py (the host: they are userspace, the same on every
kernel).
"""
import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

import hooks
from conftest import (KSCOPE, TIMEOUT, bpf_objects, check_gone, check_usage_error, workload,
                      wait_for_file)

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse(text):
    """{(name, ((label, value), ...)): value string} of an exposition, and the
    families' TYPE lines {name: type}; raises on a line that is neither."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in types, f"two TYPE lines for {name}"
            types[name] = kind
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample: {line!r}"
        labels = []
        if m.group(3):
            rest = m.group(3)
            while rest:
                lm = LABEL.match(rest)
                assert lm, f"bad labels in {line!r}"
                value = re.sub(r'\\(.)', lambda e: {"n": "\n"}.get(e.group(1), e.group(1)),
                               lm.group(2))
                labels.append((lm.group(1), value))
                rest = rest[lm.end():]
        key = (m.group(1), tuple(labels))
        assert key not in samples, f"duplicate series {key}"
        samples[key] = m.group(4)
    return samples, types


def value(samples, name, **labels):
    """A series' value as an int (0 when absent), labels given matching exactly."""
    for (n, ls), v in samples.items():
        if n == name and dict(ls) == labels:
            return int(v)
    return 0


class Agent:
    """kscope agent on an ephemeral loopback port."""

    def __init__(self, args, env=None, pass_fds=(), prefix=(), preexec_fn=None):
        self.proc = subprocess.Popen(
            [*prefix, KSCOPE, "agent", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, pass_fds=pass_fds, preexec_fn=preexec_fn)
        self.port, self.err = None, b""
        deadline = time.monotonic() + TIMEOUT
        while self.port is None:
            line = self.proc.stderr.readline()
            assert line or self.proc.poll() is None, (self.proc.poll(), self.err)
            assert time.monotonic() < deadline, self.err
            self.err += line
            m = re.search(rb"serving /\S* on port (\d+)", line)
            if m:
                self.port = int(m.group(1))
        # the rest of stderr, in the background (a full pipe must never block it)
        self.tail = threading.Thread(target=self._drain, daemon=True)
        self.tail.start()

    def _drain(self):
        for line in self.proc.stderr:
            self.err += line

    def get(self, path="/metrics", headers=None, method="GET"):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            c.request(method, path, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def scrape(self):
        status, _, body = self.get()
        assert status == 200, (status, body)
        return parse(body.decode())[0]

    def wait_for(self, pred, what):
        deadline = time.monotonic() + TIMEOUT
        while True:
            s = self.scrape()
            if pred(s):
                return s
            assert time.monotonic() < deadline, f"never: {what}"
            time.sleep(0.1)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=TIMEOUT)
        self.tail.join(TIMEOUT)
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=TIMEOUT)


SYS = ["--web.listen-address=127.0.0.1:0", "--collect.interval=0.3s",
       "--collector.disable-defaults", "--collector.syscall"]


# ---- exact counts ------------------------------------------------------------------

@pytest.mark.parametrize("variant", hooks.variants_for(hooks.TP))
def test_exact_syscall_counts(tmp_path, variant):
    """N getppid() and M ENOENT + K EISDIR opens after a gate: exactly those increases
    (the dynamic loader's calls come before the gate: the baseline holds them)."""
    n, m, k = 1234, 56, 7
    info, go = str(tmp_path / "info"), str(tmp_path / "go")
    with Agent(SYS + ["--comm", "sys_calls", *hooks.VARIANTS[variant]]) as a:
        w = subprocess.Popen([workload("sys_calls"), "-g", go, "-x", str(k), info, str(n), str(m)])
        try:
            wait_for_file(info, w)
            # stable across two collections: every call before the gate is counted
            keys = lambda s: (value(s, "kscope_syscalls_total", syscall="getppid"),  # noqa: E731
                              value(s, "kscope_syscall_errors_total", syscall="openat",
                                    errno="ENOENT"),
                              value(s, "kscope_syscall_errors_total", syscall="openat",
                                    errno="EISDIR"),
                              value(s, "kscope_syscall_duration_seconds_count",
                                    syscall="getppid"))
            before, stable = None, 0
            while stable < 2:
                time.sleep(0.35)
                now = keys(a.scrape())
                stable = stable + 1 if now == before else 0
                before = now
            with open(go, "w"):
                pass
            assert w.wait(timeout=TIMEOUT) == 0
        finally:
            if w.poll() is None:
                w.kill()
        want = (before[0] + n, before[1] + m, before[2] + k, before[3] + n)
        a.wait_for(lambda s: keys(s) == want or keys(s)[0] > want[0], "the workload's calls")
        s = a.scrape()
        assert keys(s) == want, (keys(s), want, before)
        # the syscall's histogram: as many observations as calls; its _sum is a duration
        assert float(s[("kscope_syscall_duration_seconds_sum",
                        (("syscall", "getppid"),))]) > 0
        assert a.stop() == 0, a.err


# ---- the exposition's rules ------------------------------------------------------------

def edges(slot_ns):
    """Every real upper edge of a log2 slot of slot_ns units, in seconds."""
    return {(2 ** (k + 1) * slot_ns - 1) / 1e9 for k in range(64)}


def check_histograms(samples, types):
    """+Inf, cumulative, real slot edges, _count == +Inf, _sum, for every histogram."""
    hists = [n for n, t in types.items() if t == "histogram"]
    assert hists
    seen = 0
    for h in hists:
        series = {}
        for (n, ls), v in samples.items():
            if n == h + "_bucket":
                d = dict(ls)
                le = d.pop("le")
                series.setdefault(tuple(sorted(d.items())), []).append((le, int(v)))
        slot_ns = 1000 if h == "kscope_syscall_duration_seconds" else 1
        for key, buckets in series.items():
            seen += 1
            assert buckets[-1][0] == "+Inf", (h, key, buckets[-1])
            les = [float(le) for le, _ in buckets[:-1]]
            assert les == sorted(les) and len(set(les)) == len(les), (h, key, les)
            assert set(les) <= edges(slot_ns), (h, key, set(les) - edges(slot_ns))
            counts = [c for _, c in buckets]
            assert counts == sorted(counts), (h, key, counts)
            labels = tuple(sorted(key))
            count = [v for (n, ls), v in samples.items()
                     if n == h + "_count" and tuple(sorted(ls)) == labels]
            total = [v for (n, ls), v in samples.items()
                     if n == h + "_sum" and tuple(sorted(ls)) == labels]
            assert count == [str(counts[-1])], (h, key, count, counts[-1])
            assert len(total) == 1 and float(total[0]) >= 0, (h, key, total)
    return seen


def test_exposition_rules(tmp_path):
    """Every collector on: the format's rules, checked on a real scrape."""
    with Agent(["--web.listen-address=127.0.0.1:0", "--collect.interval=0.3s"]) as a:
        # activity in the areas every kernel here has (a guest's root may have no block
        # device: disk rows only where there is one), then a collection that holds it
        subprocess.run(["sh", "-c", f"cat /proc/self/status > {tmp_path}/x; sync"], check=True)
        srv = socket.create_server(("127.0.0.1", 0))
        cl = socket.create_connection(srv.getsockname())
        conn = srv.accept()[0]
        cl.sendall(b"x" * 1000)
        conn.recv(4096)
        for so in (cl, conn, srv):
            so.close()
        a.wait_for(lambda s: any(n == "kscope_syscall_duration_seconds_bucket" for n, _ in s)
                   and any(n == "kscope_tcp_sent_bytes_total" for n, _ in s),
                   "syscall histograms and TCP bytes")
        status, hdrs, body = a.get()
        assert status == 200
        assert hdrs["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8", hdrs
        text = body.decode("utf-8")
        samples, types = parse(text)
        assert check_histograms(samples, types) >= 2
        # counters are _total, integers exact; no pid label, ever
        for (n, ls), v in samples.items():
            assert "pid" not in dict(ls) and "tid" not in dict(ls), (n, ls)
            if types.get(n) == "counter":
                assert n.endswith("_total"), n
        for n in ("kscope_syscalls_total", "kscope_build_info", "kscope_probe_info",
                  "kscope_scrape_collector_success", "kscope_runqueue_latency_seconds",
                  "kscope_syscall_duration_seconds", "kscope_cgroup_cpu_seconds_total",
                  "kscope_process_execs_total", "kscope_tcp_sent_bytes_total",
                  "kscope_tcp_retransmits_total", "kscope_page_faults_total",
                  "kscope_events_lost_total", "process_resident_memory_bytes"):
            assert n in types, n
        assert all(re.fullmatch(r"\d+", v) for (n, _), v in samples.items()
                   if n.endswith("_count") or n.endswith("_bucket")), "integers, exactly"
        colls = {dict(ls)["collector"]: v for (n, ls), v in samples.items()
                 if n == "kscope_scrape_collector_success"}
        assert colls == {c: "1" for c in ("syscall", "sched", "proc", "fileio", "net",
                                           "diskio", "memory", "security")}, colls
        # gzip, as Prometheus asks: the same families
        status, hdrs, zbody = a.get(headers={"Accept-Encoding": "gzip"})
        assert status == 200 and hdrs.get("Content-Encoding") == "gzip", hdrs
        assert parse(gzip.decompress(zbody).decode())[1] == types
        assert a.stop() == 0, a.err


# ---- HTTP against misbehaving clients -------------------------------------------------------

def test_hostile_clients():
    """Silent, numerous, huge and garbage clients, and scrapes during collections: every
    real scrape is still answered."""
    with Agent(SYS) as a:
        silent = socket.create_connection(("127.0.0.1", a.port))
        assert a.get()[0] == 200, "a client that sends nothing blocks no one"
        many = []
        for _ in range(1000):
            many.append(socket.create_connection(("127.0.0.1", a.port)))
        assert a.get()[0] == 200, "1,000 idle connections"
        for s in many:
            s.close()
        big = socket.create_connection(("127.0.0.1", a.port))
        big.settimeout(TIMEOUT)
        try:
            big.sendall(b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass	# it answered and closed before the whole megabyte was sent
        reply = big.recv(4096)
        assert reply.startswith(b"HTTP/1.1 431 "), reply[:80]
        big.close()
        junk = socket.create_connection(("127.0.0.1", a.port))
        junk.settimeout(TIMEOUT)
        junk.sendall(bytes(range(256)) * 4 + b"\r\n\r\n")
        assert junk.recv(4096).startswith(b"HTTP/1.1 400 ")
        junk.close()
        assert a.get(method="POST")[0] == 405
        assert a.get(path="/nope")[0] == 404
        assert a.get(path="/-/healthy")[0] == 200
        assert a.get(path="/-/ready")[0] == 200
        # scrapes through several collections (0.3 s): each a whole exposition
        for _ in range(40):
            s = a.scrape()
            assert value(s, "kscope_build_info", **{k: v for k, v in dict(
                [ls for (n, ls) in s if n == "kscope_build_info"][0]).items()}) == 1
            time.sleep(0.05)
        silent.close()
        assert a.proc.poll() is None
        assert a.stop() == 0, a.err


# ---- privileges, exit, activation, usage ----------------------------------------------------

def cap_eff(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.split(":\t", 1) for line in f.read().splitlines())


@pytest.mark.parametrize("keep, eff", [
    (None, "0000000000000000"),
    ("none", "0000000000000000"),
    ("cap_sys_ptrace,CAP_DAC_READ_SEARCH", "%016x" % ((1 << 19) | (1 << 2))),
])
def test_capabilities_dropped(keep, eff):
    """Once attached, only --capabilities.keep is left: effective, permitted, bounding."""
    args = SYS + ([f"--capabilities.keep={keep}"] if keep else [])
    with Agent(args) as a:
        st = cap_eff(a.proc.pid)
        assert (st["CapEff"], st["CapPrm"], st["CapBnd"]) == (eff, eff, eff), st
        assert st["CapAmb"] == "0000000000000000" and st["NoNewPrivs"] == "1", st
        # and it still collects without them
        a.wait_for(lambda s: value(s, "kscope_scrape_collector_success",
                                   collector="syscall") == 1, "a collection")
        assert a.stop() == 0, a.err


def test_sigterm_leaves_nothing():
    """SIGTERM: exit 0, every program, link and map gone."""
    with Agent(["--web.listen-address=127.0.0.1:0", "--collect.interval=0.3s"]) as a:
        owned = bpf_objects(a.proc.pid)
        assert owned["prog"] and owned["link"], owned
        assert a.stop(signal.SIGTERM) == 0, a.err
    check_gone(owned)


def test_config_check():
    """--config.check: every collector loaded and attached, then exit 0, nothing served."""
    p = subprocess.run([KSCOPE, "agent", "--config.check"], capture_output=True,
                       timeout=TIMEOUT)
    assert p.returncode == 0, p
    assert re.match(rb"kscope agent: configuration ok: 9 collector parts attached\n$",
                    p.stdout), p


@pytest.mark.parametrize("how", ["fd", "systemd"])
def test_socket_activation(how):
    """An inherited listening socket: fd://N, or systemd's LISTEN_FDS (fd 3)."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    port = ls.getsockname()[1]
    if how == "fd":
        fd = os.dup(ls.fileno())
        a = Agent(SYS[1:] + [f"--web.listen-address=fd://{fd}"], pass_fds=[fd])
        os.close(fd)
    else:
        # fd 3 in the child (made there: this process's fd 3 is pytest's), LISTEN_PID
        # its own pid: the shell's, which execs kscope
        fd = ls.fileno()
        a = Agent(SYS[1:] + ["--web.listen-address=systemd"], pass_fds=[fd, 3],
                  prefix=["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"'],
                  preexec_fn=lambda: os.dup2(fd, 3))
    ls.close()
    with a:
        assert a.port == port
        assert a.get()[0] == 200
        assert a.stop() == 0, a.err


@pytest.mark.parametrize("args, msg", [
    (["--collect.interval=0"], "invalid --collect.interval '0'"),
    (["--collect.interval=5x"], "invalid --collect.interval '5x'"),
    (["--metrics.max-series=0"], "invalid --metrics.max-series '0'"),
    (["--metrics.expire=-1s"], "invalid --metrics.expire '-1s'"),
    (["--web.telemetry-path=metrics"], "invalid --web.telemetry-path 'metrics'"),
    (["--capabilities.keep=cap_nope"], "invalid --capabilities.keep 'cap_nope'"),
    (["--collector.disable-defaults"], "no collector left"),
    (["-j"], "-j: kscope agent serves metrics over HTTP"),
    (["--collector.nope"], "--collector.nope"),
])
def test_usage_errors(args, msg):
    check_usage_error("agent", args, msg)


def test_port_in_use():
    """A port already taken: one line naming the address, exit 1, nothing attached."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    port = ls.getsockname()[1]
    p = subprocess.run([KSCOPE, "agent", f"--web.listen-address=127.0.0.1:{port}"],
                       capture_output=True, timeout=TIMEOUT)
    ls.close()
    assert p.returncode == 1, p
    lines = p.stderr.decode().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0], lines


# ---- --web.config.file: TLS and basic auth -------------------------------------------------

TLS_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tls")
# user alice, password "secret" (tests/integration/data/tls/README)
ALICE_HASH = "$2b$10$kscopetestsaltkscopetezgD7UxSgEfQw3RLYw/y2tgf18dyZ1Bu"
LIGHT = ["--web.listen-address=127.0.0.1:0", "--collect.interval=0.3s",
         "--collector.disable-defaults", "--collector.proc"]


def basic(user, password):
    import base64
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def web_config(tmp_path, tls=True, users=True, extra=""):
    """A web config in tmp_path, the certificates beside it (relative paths)."""
    for f in ("server.crt", "server.key", "ca.crt"):
        shutil.copy(os.path.join(TLS_DATA, f), tmp_path / f)
    text = ""
    if tls:
        text += "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n" + extra
    if users:
        text += f"basic_auth_users:\n  alice: {ALICE_HASH}\n"
    path = tmp_path / "web.yml"
    path.write_text(text)
    return str(path)


def tls_context(cert=False):
    ctx = ssl.create_default_context(cafile=os.path.join(TLS_DATA, "ca.crt"))
    if cert:
        ctx.load_cert_chain(os.path.join(TLS_DATA, "client.crt"),
                            os.path.join(TLS_DATA, "client.key"))
    return ctx


def https_get(port, path="/metrics", headers=None, conn=None, ctx=None):
    c = conn or http.client.HTTPSConnection("127.0.0.1", port, timeout=TIMEOUT,
                                            context=ctx or tls_context())
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    out = r.status, dict(r.getheaders()), r.read()
    if not conn:
        c.close()
    return out


def test_tls_basic_auth(tmp_path):
    """HTTPS with the CA: the right password gets the metrics, over one kept-alive
    connection; a wrong one or none: 401 with WWW-Authenticate, and closed."""
    with Agent(LIGHT + [f"--web.config.file={web_config(tmp_path)}"]) as a:
        assert b": TLS, basic auth\n" in a.err, a.err
        conn = http.client.HTTPSConnection("127.0.0.1", a.port, timeout=TIMEOUT,
                                           context=tls_context())
        for _ in range(3):	# keep-alive: the same TLS session serves each
            status, hdrs, body = https_get(a.port, headers=basic("alice", "secret"), conn=conn)
            assert status == 200, (status, body)
            samples, types = parse(body.decode())
            assert types.get("kscope_build_info") == "gauge", types
        sock = conn.sock
        status, _, _ = https_get(a.port, "/-/healthy", basic("alice", "secret"), conn=conn)
        assert status == 200 and conn.sock is sock, "one connection, kept alive"
        conn.close()
        for headers in (basic("alice", "wrong"), basic("bob", "secret"), {}):
            for path in ("/metrics", "/", "/-/healthy"):
                status, hdrs, body = https_get(a.port, path, headers)
                assert status == 401, (headers, path, status)
                assert hdrs.get("WWW-Authenticate") == 'Basic realm="kscope"', hdrs
                assert hdrs.get("Connection") == "close", hdrs
        assert a.proc.poll() is None
        assert a.stop() == 0, a.err


def test_tls_plain_http_refused(tmp_path):
    """Plain HTTP on the TLS port: no HTTP answer, the connection closed; HTTPS still
    served after, and a client that does not trust the certificate fails its handshake."""
    with Agent(LIGHT + [f"--web.config.file={web_config(tmp_path, users=False)}"]) as a:
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", a.port), timeout=TIMEOUT)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            got = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
            except ConnectionResetError:
                pass
            s.close()
            assert b"HTTP/" not in got, got[:100]
        with pytest.raises(ssl.SSLCertVerificationError):
            https_get(a.port, ctx=ssl.create_default_context())
        # a client that connects and stays silent blocks no one
        silent = socket.create_connection(("127.0.0.1", a.port))
        status, _, body = https_get(a.port)
        assert status == 200 and b"kscope_build_info" in body
        silent.close()
        assert a.proc.poll() is None
        assert a.stop() == 0, a.err


def test_tls_client_cert_required(tmp_path):
    """RequireAndVerifyClientCert: without a certificate the handshake fails (no HTTP),
    with the CA's client certificate it is served."""
    extra = "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n" \
            "  min_version: TLS13\n"
    with Agent(LIGHT + [f"--web.config.file={web_config(tmp_path, users=False, extra=extra)}"]) as a:
        # TLS 1.3: the client may finish its side first; the refusal comes with the
        # first read at the latest
        with pytest.raises((ssl.SSLError, ConnectionResetError, http.client.RemoteDisconnected,
                            BrokenPipeError)):
            https_get(a.port)
        status, _, body = https_get(a.port, ctx=tls_context(cert=True))
        assert status == 200 and b"kscope_build_info" in body
        # TLS 1.2 is below min_version
        ctx = tls_context(cert=True)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises(ssl.SSLError):
            https_get(a.port, ctx=ctx)
        assert a.stop() == 0, a.err


def test_web_config_reload(tmp_path):
    """Users change without a restart; a file made invalid is said once on stderr and the
    last good config stays."""
    path = web_config(tmp_path, tls=False)
    with Agent(LIGHT + [f"--web.config.file={path}"]) as a:
        assert a.get(headers=basic("alice", "secret"))[0] == 200
        assert a.get()[0] == 401
        # bob with alice's hash, alice gone (a rename: the agent sees one or the other)
        with open(path + ".tmp", "w") as f:
            f.write(f"basic_auth_users:\n  bob: '{ALICE_HASH}'\n")
        os.rename(path + ".tmp", path)
        deadline = time.monotonic() + TIMEOUT
        while a.get(headers=basic("bob", "secret"))[0] != 200:
            assert time.monotonic() < deadline, a.err
            time.sleep(0.2)
        assert a.get(headers=basic("alice", "secret"))[0] == 401
        with open(path + ".tmp", "w") as f:
            f.write("basic_auth_users:\n  bob: [\n")
        os.rename(path + ".tmp", path)
        deadline = time.monotonic() + TIMEOUT
        while b"last good configuration" not in a.err:
            assert time.monotonic() < deadline, a.err
            assert a.get(headers=basic("bob", "secret"))[0] == 200
            time.sleep(0.2)
        for _ in range(8):
            assert a.get(headers=basic("bob", "secret"))[0] == 200
            time.sleep(0.2)
        assert a.stop() == 0, a.err
        assert a.err.count(b"last good configuration") == 1, a.err


@pytest.mark.parametrize("text, msg", [
    ("tls_server_config:\n  cert_file: server.crt\n", "tls_server_config: key_file is required"),
    ("basic_auth_users:\n  alice: secret\n", "line 2: basic_auth_users: alice: not a bcrypt hash"),
    ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
     "  client_auth_type: RequireAnyClientCert\n",
     "line 4: client_auth_type RequireAnyClientCert is not supported"),
    ("tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n",
     "line 2: cert_file "),
    ("tls_server_config:\n  cert_file: server.crt\n  key_file: ca.crt\n", "line 3: key_file "),
    ("web:\n  x: 1\n", 'line 1: unknown key "web"'),
])
def test_web_config_errors(tmp_path, text, msg):
    """A bad file: exit 2 before anything is attached, one line naming the file."""
    path = web_config(tmp_path)
    with open(path, "w") as f:
        f.write(text)
    p = subprocess.run([KSCOPE, "agent", "--web.listen-address=127.0.0.1:0",
                        f"--web.config.file={path}"], capture_output=True, timeout=TIMEOUT)
    err = p.stderr.decode()
    assert p.returncode == 2, (p.returncode, err)
    assert err.count("\n") == 1 and err.startswith(
        f"kscope agent: --web.config.file {path}: "), err
    assert msg in err, err


def test_label_escaping(tmp_path):
    """A command name is any bytes: quote, backslash, newline and a byte that is not
    UTF-8 reach the exposition escaped, which stays valid UTF-8 and parses back."""
    name = b'ks"q\\b\nn\xffz'
    link = os.path.join(os.fsencode(str(tmp_path)), name)
    os.symlink(b"/bin/true", link)
    with Agent(["--web.listen-address=127.0.0.1:0", "--collect.interval=0.3s",
                "--collector.disable-defaults", "--collector.proc"]) as a:
        subprocess.run([link], check=True)
        want = 'ks"q\\b\nn\\xffz'	# the invalid byte as the four characters \xff
        s = a.wait_for(lambda s: value(s, "kscope_process_execs_total", comm=want) >= 1,
                       "the exec of the oddly named program")
        assert value(s, "kscope_process_execs_total", comm=want) == 1
        status, _, body = a.get()
        body.decode("utf-8")	# strict: every byte the kernel gave is escaped
        assert b'comm="ks\\"q\\\\b\\nn\\\\xffz"' in body
        assert a.stop() == 0, a.err

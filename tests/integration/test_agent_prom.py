# SPDX-License-Identifier: GPL-2.0
"""
kscope agent against the real Prometheus tools (Debian's prometheus package,
which ships promtool): its exposition passes `promtool check metrics`; a real
Prometheus scraping it stores exact counts of a gated workload (N getppid(),
M failing openat()); a fleet set-up (an agent-mode Prometheus per node with
external labels, remote-writing to a central one) delivers its series; the
series budget folds 5000 command names into "other" without losing a single
count; the agent runs as an unprivileged user with only the systemd unit's
capabilities and holds none once attached; a scrape serves the published
snapshot and reads nothing from the kernel; a Prometheus scrapes it over
HTTPS with basic auth (--web.config.file).

Everything listens on 127.0.0.1 with ephemeral ports (the agent's and
Prometheus's own ports are read from what they log), and every process a
test starts is stopped in a finally block. No assertion is on a duration.
"""
import contextlib
import glob
import gzip
import http.client
import json
import math
import os
import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request

from conftest import KSCOPE, TIMEOUT, bpf_objects, check_gone, read_text, workload

# the only collectors there are, in the order of kscope agent --help
COLLECTORS = ("syscall", "sched", "proc", "fileio", "net", "diskio", "memory", "security")
# contrib/systemd/kscope-agent.service: AmbientCapabilities= and CapabilityBoundingSet=
UNIT_CAPS = "+bpf,+perfmon,+dac_read_search"
SETPRIV_UNIT = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                f"--inh-caps=-all,{UNIT_CAPS}", f"--ambient-caps=-all,{UNIT_CAPS}",
                f"--bounding-set=-all,{UNIT_CAPS}"]
CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE = 2, 19

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"


# ---- HTTP ------------------------------------------------------------------------------

def http_get(url, headers=None):
    """(status, headers, body bytes) of one GET; an HTTP error status is returned too."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


# ---- the text exposition format (0.0.4) ------------------------------------------------

NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="')
UNESCAPE = {"\\": "\\", '"': '"', "n": "\n"}


def parse_metrics(text):
    """Every sample of an exposition: [(name, {label: value}, float)], label values
    unescaped (\\\\ \\" \\n); anything else than a comment, a blank line or a
    well-formed sample fails."""
    assert text.endswith("\n"), text[-200:]
    samples = []
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if not line or line.startswith("#"):
            continue
        where = f"line {n}: {line!r}"
        m = NAME_RE.match(line)
        assert m, where
        name, i, labels = m.group(0), m.end(), {}
        if line[i] == "{":
            i += 1
            while line[i] != "}":
                lm = LABEL_RE.match(line, i)
                assert lm, where
                i, value = lm.end(), []
                while line[i] != '"':
                    if line[i] == "\\":
                        assert line[i + 1] in UNESCAPE, where
                        value.append(UNESCAPE[line[i + 1]])
                        i += 2
                    else:
                        value.append(line[i])
                        i += 1
                assert lm.group(1) not in labels, where
                labels[lm.group(1)] = "".join(value)
                i += 1
                if line[i] == ",":
                    i += 1
            i += 1
        assert line[i] == " ", where
        fields = line[i + 1:].split(" ")
        assert len(fields) in (1, 2), where
        samples.append((name, labels, float(fields[0])))
    return samples


def of_family(samples, name):
    return [(labels, v) for n, labels, v in samples if n == name]


def value_of(samples, name, **labels):
    """The value of the one sample name{labels} (exactly those labels); None if absent."""
    found = [v for labs, v in of_family(samples, name) if labs == labels]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


# ---- kscope agent ----------------------------------------------------------------------

class Agent:
    """
    A background `[PREFIX...] kscope agent --web.listen-address=127.0.0.1:0 ARGS`,
    returned once it said "kscope agent: serving /metrics on port N" on stderr
    (attached, its first snapshot published, serving): .port is that N.
    """

    SERVING = re.compile(r"kscope agent: serving /metrics on port (\d+)\n")
    seq = 0

    def __init__(self, tmpdir, args, prefix=(), binary=KSCOPE):
        Agent.seq += 1
        self.err_path = os.path.join(tmpdir, f"agent-{Agent.seq}.stderr")
        self.out_path = os.path.join(tmpdir, f"agent-{Agent.seq}.stdout")
        self.cmd = [*prefix, binary, "agent", "--web.listen-address=127.0.0.1:0", *args]
        with open(self.err_path, "wb") as err, open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, start_new_session=True)
        self.port = None

    @property
    def pid(self):
        return self.proc.pid

    def stderr(self):
        return read_text(self.err_path)

    def wait_serving(self):
        """The port it serves on; fails with its stderr if it ends first."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            m = self.SERVING.search(self.stderr())
            if m:
                self.port = int(m.group(1))
                return self.port
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.cmd!r} exited with {self.proc.returncode} "
                                     f"before serving: {self.stderr()!r}")
            assert time.monotonic() < deadline, f"{self.cmd!r} never served"
            time.sleep(0.02)

    def url(self, path="/metrics"):
        return f"http://127.0.0.1:{self.port}{path}"

    def scrape(self):
        """One scrape: the body as text (and the response checked)."""
        assert self.proc.poll() is None, f"the agent ended: {self.stderr()!r}"
        status, headers, body = http_get(self.url())
        assert status == 200, (status, body[:500])
        return body.decode("utf-8")

    def samples(self):
        return parse_metrics(self.scrape())

    def stop(self):
        """SIGTERM: it must exit 0 (and write nothing on stdout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.cmd!r} did not stop on SIGTERM")
        assert rc == 0, (rc, self.stderr())
        assert read_text(self.out_path) == ""

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(TIMEOUT)


@contextlib.contextmanager
def agent(tmpdir, args, **kw):
    """An Agent serving; killed (if the test did not stop it) on the way out."""
    a = Agent(tmpdir, args, **kw)
    try:
        a.wait_serving()
        yield a
    finally:
        a.kill()


def wait_scrape(a, pred, what):
    """Scrape until pred(samples) holds: those samples."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        s = a.samples()
        if pred(s):
            return s
        assert time.monotonic() < deadline, f"never {what}: {s!r}"[:4000]
        time.sleep(0.1)


# ---- Prometheus --------------------------------------------------------------------------

class Prometheus:
    """
    A real prometheus on 127.0.0.1 and an ephemeral port (read from its log's
    "Listening on" line), with its config and storage in DIR; ready once
    /-/ready answers 200. stop(): SIGTERM, SIGKILL after 10 s (an agent-mode
    Prometheus retries its remote writes on shutdown).
    """

    LISTENING = re.compile(r'msg="Listening on" address=127\.0\.0\.1:(\d+)')

    def __init__(self, d, config, flags=()):
        os.makedirs(d)
        self.dir = d
        self.log_path = os.path.join(d, "prometheus.log")
        cfg = os.path.join(d, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(config)
        self.cmd = [PROMETHEUS, f"--config.file={cfg}", "--web.listen-address=127.0.0.1:0",
                    *flags]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, cwd=d,
                                         start_new_session=True)
        self.port = None

    def log(self):
        return read_text(self.log_path)

    def wait_ready(self):
        deadline = time.monotonic() + TIMEOUT
        while True:
            assert self.proc.poll() is None, \
                f"prometheus exited with {self.proc.returncode}: {self.log()[-3000:]}"
            assert time.monotonic() < deadline, f"prometheus never ready: {self.log()[-3000:]}"
            if self.port is None:
                m = self.LISTENING.search(self.log())
                if m:
                    self.port = int(m.group(1))
            if self.port is not None:
                try:
                    if http_get(f"http://127.0.0.1:{self.port}/-/ready")[0] == 200:
                        return self
                except OSError:
                    pass
            time.sleep(0.1)

    def api(self, path, **params):
        """GET /api/v1/PATH?PARAMS: its "data" (status must be success)."""
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        status, _, body = http_get(url)
        doc = json.loads(body)
        assert status == 200 and doc["status"] == "success", (url, status, doc)
        return doc["data"]

    def query(self, q):
        """An instant query's result (a list of series)."""
        data = self.api("query", query=q)
        return data["result"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(TIMEOUT)


@contextlib.contextmanager
def prometheus(d, config, flags=()):
    p = Prometheus(d, config, flags)
    try:
        yield p.wait_ready()
    finally:
        p.stop()


def scrape_job(port, job="kscope"):
    """A scrape_configs entry for a kscope agent on 127.0.0.1:PORT."""
    return (f"  - job_name: {job}\n"
            f"    static_configs:\n"
            f"      - targets: [\"127.0.0.1:{port}\"]\n")


GLOBAL_1S = ("global:\n"
             "  scrape_interval: 1s\n"
             "  scrape_timeout: 1s\n")


def scalar(result):
    """The value of a one-series instant query result (0 when it is empty: absent)."""
    assert len(result) <= 1, result
    return float(result[0]["value"][1]) if result else 0.0


@contextlib.contextmanager
def running(cmd, **kw):
    """A background process (its own process group), killed on the way out."""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True, **kw)
    try:
        yield p
    finally:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        p.wait(TIMEOUT)


def wait_info(path, key, proc):
    """Wait until the workload's INFO file has a line "KEY ..."."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        if os.path.exists(path) and re.search(rf"^{key} ", read_text(path), re.M):
            return
        assert proc.poll() is None, f"the workload exited with {proc.returncode}"
        assert time.monotonic() < deadline, f"no {key!r} in {path}"
        time.sleep(0.01)


# ---- the tests -------------------------------------------------------------------------

def test_promtool_check(tmp_path):
    """Every default collector's exposition passes promtool's own check, as served."""
    tmp = str(tmp_path)
    with agent(tmp, ["--collect.interval=0.5s"]) as a:
        owned = bpf_objects(a.pid)
        assert owned["prog"] and owned["link"], owned
        for path in ("/-/healthy", "/-/ready"):
            assert http_get(a.url(path))[0] == 200, path
        subprocess.run([workload("sys_calls"), os.path.join(tmp, "info"), "100", "10"],
                       check=True, timeout=TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        while True:
            status, headers, body = http_get(a.url())
            assert status == 200, (status, body[:500])
            if b"\nkscope_syscall_duration_seconds_bucket{" in body:
                break
            assert time.monotonic() < deadline, body.decode()[-4000:]
            time.sleep(0.1)
        assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8", \
            dict(headers)
        samples = parse_metrics(body.decode("utf-8"))
        for c in COLLECTORS:
            assert value_of(samples, "kscope_scrape_collector_success", collector=c) == 1, c
        p = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True,
                           timeout=TIMEOUT)
        assert (p.returncode, p.stdout, p.stderr) == (0, b"", b""), p
        a.stop()
    check_gone(owned)


def test_prometheus_exact_counts(tmp_path):
    """
    A real Prometheus scraping the agent every second stores exactly the calls
    the gated workload made: the raw counters through /api/v1/query are the
    baseline (what sys_calls's start-up did, before its gate) + N and + M.
    """
    tmp = str(tmp_path)
    n, m = 1234, 56
    info, go = os.path.join(tmp, "info"), os.path.join(tmp, "go")
    getppid = 'kscope_syscalls_total{job="kscope",syscall="getppid"}'
    enoent = 'kscope_syscall_errors_total{job="kscope",syscall="openat",errno="ENOENT"}'
    args = ["--collector.disable-defaults", "--collector.syscall", "--collector.sched",
            "--comm", "sys_calls", "--collect.interval=0.5s"]
    with agent(tmp, args) as a, \
            prometheus(os.path.join(tmp, "prom"), GLOBAL_1S + "scrape_configs:\n" +
                       scrape_job(a.port),
                       [f"--storage.tsdb.path={tmp}/prom/data"]) as prom, \
            running([workload("sys_calls"), "-g", go, info, str(n), str(m)]) as w:
        wait_info(info, "fail_openat", w)
        t_info = time.time()	# every call of the start-up was made before this

        # the baseline: two scrapes made after t_info (a second apart: a collection, every
        # 0.5 s, came between) that agree
        sel = ('{__name__=~"up|kscope_syscalls_total|kscope_syscall_errors_total",'
               'job="kscope"}[1m]')
        deadline = time.monotonic() + TIMEOUT
        while True:
            scrapes = {}	# timestamp -> (getppid, openat ENOENT), absent = 0
            for series in prom.query(sel):
                lab = series["metric"]
                for ts, v in series["values"]:
                    if ts <= t_info:
                        continue
                    cur = scrapes.setdefault(ts, [0.0, 0.0])
                    if lab["__name__"] == "kscope_syscalls_total" and \
                            lab.get("syscall") == "getppid":
                        cur[0] = float(v)
                    elif lab["__name__"] == "kscope_syscall_errors_total" and \
                            lab.get("syscall") == "openat" and lab.get("errno") == "ENOENT":
                        cur[1] = float(v)
            order = sorted(scrapes)
            if len(order) >= 2 and scrapes[order[-1]] == scrapes[order[-2]] and \
                    order[-1] - order[-2] >= 0.5:
                base_calls, base_errs = scrapes[order[-1]]
                break
            assert time.monotonic() < deadline, scrapes
            time.sleep(0.2)
        assert w.poll() is None, "the workload passed its gate by itself"

        with open(go, "w"):
            pass
        assert w.wait(TIMEOUT) == 0
        assert re.search(r"^done 1$", read_text(info), re.M)

        want = (base_calls + n, base_errs + m)
        deadline = time.monotonic() + TIMEOUT
        while True:
            got = (scalar(prom.query(getppid)), scalar(prom.query(enoent)))
            if got == want:
                break
            assert got[0] <= want[0] and got[1] <= want[1], \
                f"more than made: {got} after {(base_calls, base_errs)} + {(n, m)}"
            assert time.monotonic() < deadline, (got, want)
            time.sleep(0.2)

        # run-queue latency of the workload's wake-ups (its gate polls every 5 ms): a
        # finite median > 0 once Prometheus holds two samples that differ
        q = ("histogram_quantile(0.5, sum by (le) "
             "(rate(kscope_runqueue_latency_seconds_bucket[30s])))")
        deadline = time.monotonic() + TIMEOUT
        while True:
            res = prom.query(q)
            v = float(res[0]["value"][1]) if len(res) == 1 else math.nan
            if math.isfinite(v) and v > 0:
                break
            assert time.monotonic() < deadline, res
            time.sleep(0.2)

        targets = prom.api("targets")["activeTargets"]
        assert len(targets) == 1, targets
        t = targets[0]
        assert (t["labels"]["job"], t["scrapeUrl"], t["health"], t["lastError"]) == \
            ("kscope", f"http://127.0.0.1:{a.port}/metrics", "up", ""), t
        prom.stop()
        a.stop()


def test_fleet_remote_write(tmp_path):
    """
    The fleet set-up of docs/agent.md: on each node, kscope agent and an agent-mode
    Prometheus (node label as an external label) that scrapes it and remote-writes
    to a central Prometheus; the central one has the node's series.
    """
    tmp = str(tmp_path)
    with agent(tmp, ["--collector.disable-defaults", "--collector.syscall",
                     "--collect.interval=0.5s"]) as a:
        build = of_family(a.samples(), "kscope_build_info")
        assert len(build) == 1 and build[0][1] == 1 and build[0][0]["version"], build
        build = build[0][0]
        central_cfg = "scrape_configs: []\n"	# it only receives
        with prometheus(os.path.join(tmp, "central"), central_cfg,
                        [f"--storage.tsdb.path={tmp}/central/data",
                         "--web.enable-remote-write-receiver"]) as central:
            node_cfg = (GLOBAL_1S +
                        "  external_labels:\n"
                        "    node: node-a\n"
                        "scrape_configs:\n" + scrape_job(a.port) +
                        "remote_write:\n"
                        f"  - url: http://127.0.0.1:{central.port}/api/v1/write\n")
            with prometheus(os.path.join(tmp, "node-a"), node_cfg,
                            ["--enable-feature=agent",
                             f"--storage.agent.path={tmp}/node-a/wal"]) as node:
                deadline = time.monotonic() + TIMEOUT
                while True:
                    res = central.query('kscope_build_info{node="node-a"}')
                    if res:
                        break
                    assert node.proc.poll() is None, node.log()[-3000:]
                    assert time.monotonic() < deadline, node.log()[-3000:]
                    time.sleep(0.2)
                assert len(res) == 1, res
                assert res[0]["metric"] == {
                    "__name__": "kscope_build_info", "job": "kscope",
                    "instance": f"127.0.0.1:{a.port}", "node": "node-a", **build}, res
                assert res[0]["value"][1] == "1", res
                node.stop()
            central.stop()
        a.stop()


TLS_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tls")
# user alice, password "secret" (tests/integration/data/tls/README)
ALICE_HASH = "$2b$10$kscopetestsaltkscopetezgD7UxSgEfQw3RLYw/y2tgf18dyZ1Bu"


def test_prometheus_https_basic_auth(tmp_path):
    """
    --web.config.file with TLS and a user: a real Prometheus with scheme https, the
    test CA and the password scrapes it (up is 1, the series are stored); a second
    job with a wrong password is down.
    """
    tmp = str(tmp_path)
    web = os.path.join(tmp, "web.yml")
    with open(web, "w") as f:
        f.write("tls_server_config:\n"
                f"  cert_file: {TLS_DATA}/server.crt\n"
                f"  key_file: {TLS_DATA}/server.key\n"
                "basic_auth_users:\n"
                f"  alice: '{ALICE_HASH}'\n")

    def job(name, port, password):
        return (f"  - job_name: {name}\n"
                "    scheme: https\n"
                "    tls_config:\n"
                f"      ca_file: {TLS_DATA}/ca.crt\n"
                "    basic_auth:\n"
                "      username: alice\n"
                f"      password: {password}\n"
                "    static_configs:\n"
                f"      - targets: [\"127.0.0.1:{port}\"]\n")

    with agent(tmp, ["--collector.disable-defaults", "--collector.proc",
                     "--collect.interval=0.5s", f"--web.config.file={web}"]) as a:
        # plain HTTP is not served on the TLS port
        try:
            status = http_get(a.url("/-/healthy"))[0]
        except (OSError, http.client.HTTPException):
            status = None
        assert status is None, status
        cfg = (GLOBAL_1S + "scrape_configs:\n" + job("kscope", a.port, "secret") +
               job("wrong", a.port, "guess"))
        with prometheus(os.path.join(tmp, "prom"), cfg,
                        [f"--storage.tsdb.path={tmp}/prom/data"]) as prom:
            deadline = time.monotonic() + TIMEOUT
            while True:
                up, down = prom.query('up{job="kscope"}'), prom.query('up{job="wrong"}')
                build = prom.query('kscope_build_info{job="kscope"}')
                if scalar(up) == 1 and build and down:
                    break
                assert time.monotonic() < deadline, (up, down, build, prom.log()[-3000:])
                time.sleep(0.2)
            assert scalar(down) == 0, down
            targets = prom.api("targets")["activeTargets"]
            wrong = [t for t in targets if t["labels"]["job"] == "wrong"]
            assert wrong and "401" in wrong[0]["lastError"], wrong
            prom.stop()
        a.stop()


def test_cardinality_budget(tmp_path, cgroup):
    """
    5000 command names against --metrics.max-series=50: every family keeps at most
    50 series and one "other" that holds the sum of the rest, so the sums are
    exact. A shell joins the cgroup, then forks and execs 5000 links to /bin/true
    named w0000..w4999 (a glob: no fork but those): 5000 execs (one per name),
    5000 forks by sh, 5001 exits (the children and sh, all code 0).
    """
    tmp = str(tmp_path)
    links = os.path.join(tmp, "links")
    os.mkdir(links)
    names = [f"w{i:04d}" for i in range(5000)]
    for name in names:
        os.symlink("/bin/true", os.path.join(links, name))
    args = ["--collector.disable-defaults", "--collector.proc", "-c", cgroup,
            "--metrics.max-series=50", "--collect.interval=0.5s"]
    execs, forks, exits = ("kscope_process_execs_total", "kscope_process_forks_total",
                           "kscope_process_exits_total")
    with agent(tmp, args) as a:
        script = 'echo $$ > "$1/cgroup.procs" && for f in w*; do "./$f"; done'
        subprocess.run(["/bin/sh", "-c", script, "sh", cgroup], cwd=links, check=True,
                       timeout=TIMEOUT)

        def total(s, fam):
            return sum(v for _, v in of_family(s, fam))
        s = wait_scrape(a, lambda s: total(s, execs) >= 5000 and total(s, exits) >= 5001,
                        "5000 execs and 5001 exits")
        time.sleep(1)	# two more collections: nothing else may come
        s = a.samples()
        assert (total(s, execs), total(s, forks), total(s, exits)) == (5000, 5000, 5001)

        for fam in (execs, forks, exits):
            series = of_family(s, fam)
            assert len(series) <= 51, (fam, len(series))
            others = [(labs, v) for labs, v in series if set(labs.values()) == {"other"}]
            assert len(others) == 1, (fam, others)
            assert value_of(s, "kscope_agent_series", family=fam) == len(series) <= 51
            assert value_of(s, "kscope_agent_series_dropped_total", family=fam) >= 4950
            for labs, v in series:
                if labs["comm"] != "other":
                    assert labs["comm"] == "sh" or labs["comm"] in names, labs
            if fam == exits:
                assert all(labs["class"] in ("ok", "other") for labs, _ in series), series
        # the largest are kept: sh's forks
        assert value_of(s, forks, comm="sh") == 5000
        for labs, v in of_family(s, execs):
            if labs["comm"] != "other":
                assert v == (1 if labs["comm"] != "sh" else 0), (labs, v)
        a.stop()


def cap_masks(pid):
    """{task: {CapEff, CapPrm, CapBnd, CapAmb, CapInh}} of every thread of pid."""
    masks = {}
    for task in sorted(glob.glob(f"/proc/{pid}/task/*")):
        with open(f"{task}/status") as f:
            masks[os.path.basename(task)] = {
                k: v.strip() for k, v in (line.split(":", 1) for line in f)
                if k.startswith("Cap")}
    return masks


def test_capabilities_as_unprivileged_user(tmp_path, shared_bin):
    """
    As contrib/systemd/kscope-agent.service runs it: uid 65534 with CAP_BPF,
    CAP_PERFMON and CAP_DAC_READ_SEARCH only (ambient, bounding set too). Every
    collector works, and once attached it holds no capability (its bounding set
    stays: shrinking it needs CAP_SETPCAP, and no_new_privs makes it moot).
    """
    tmp = str(tmp_path)
    binary = shared_bin(KSCOPE)
    a = Agent(tmp, ["--collect.interval=0.5s"], prefix=SETPRIV_UNIT, binary=binary)
    try:
        try:
            a.wait_serving()
        except AssertionError as e:
            # which collectors cannot even attach so (--config.check attaches, then exits)
            alone = {}
            for c in COLLECTORS:
                p = subprocess.run([*SETPRIV_UNIT, binary, "agent", "--config.check",
                                    "--collector.disable-defaults", f"--collector.{c}"],
                                   capture_output=True, timeout=TIMEOUT)
                alone[c] = (p.returncode, p.stderr.decode(errors="replace").strip()[:300])
            # and the agent with only those that attach
            ok = [f"--collector.{c}" for c in COLLECTORS if alone[c][0] == 0]
            p = subprocess.run([*SETPRIV_UNIT, binary, "agent", "-d", "2",
                                "--web.listen-address=127.0.0.1:0",
                                "--collector.disable-defaults", *ok],
                               capture_output=True, timeout=TIMEOUT)
            raise AssertionError(f"{e}\nwith the unit's capabilities, each collector's "
                                 f"--config.check: {alone}\nand `kscope agent -d 2 "
                                 f"{' '.join(ok)}`: exit {p.returncode}, stderr "
                                 f"{p.stderr.decode()!r}") from None
        s = a.samples()
        assert {labs["collector"]: v for labs, v in
                of_family(s, "kscope_scrape_collector_success")} == \
            {c: 1 for c in COLLECTORS}, s
        # no CAP_SETPCAP: the bounding set stays the unit's, and no_new_privs keeps an
        # exec from using it
        unit = "%016x" % ((1 << 39) | (1 << 38) | (1 << CAP_DAC_READ_SEARCH))
        for task, caps in cap_masks(a.pid).items():
            assert (caps["CapEff"], caps["CapPrm"], caps["CapBnd"], caps["CapAmb"]) == \
                ("0" * 16, "0" * 16, unit, "0" * 16), (task, caps)
        with open(f"/proc/{a.pid}/status") as f:
            assert "NoNewPrivs:\t1\n" in f.read()
        a.stop()
    finally:
        a.kill()


def test_capabilities_keep(tmp_path):
    """As root: --capabilities.keep keeps exactly those, the default none, in every
    thread (and in the bounding set)."""
    tmp = str(tmp_path)
    args = ["--collector.disable-defaults", "--collector.syscall", "--collect.interval=0.5s"]
    for keep, mask in ((["--capabilities.keep=cap_sys_ptrace,cap_dac_read_search"],
                        (1 << CAP_SYS_PTRACE) | (1 << CAP_DAC_READ_SEARCH)),
                       ([], 0)):
        with agent(tmp, args + keep) as a:
            masks = cap_masks(a.pid)
            assert len(masks) >= 2, masks	# the main thread and the HTTP server's
            for task, caps in masks.items():
                assert (caps["CapEff"], caps["CapPrm"], caps["CapBnd"], caps["CapAmb"]) == \
                    (f"{mask:016x}",) * 3 + ("0" * 16,), (keep, task, caps)
            assert a.samples()
            a.stop()


def test_scrape_does_not_walk_maps(tmp_path, cgroup):
    """
    With --collect.interval=60s no collection comes during the test: while new
    cgroups run a workload that fills the syscall, sched, fileio and memory maps
    with new entries, every scrape is the snapshot published at start, byte for
    byte (gzip'd too): a scrape reads nothing from the kernel.
    """
    tmp = str(tmp_path)
    n = 20000
    subs = [os.path.join(cgroup, f"sub{i}") for i in range(8)]
    with agent(tmp, ["--collect.interval=60s", "-d", "8"]) as a:
        first = a.scrape()
        status, headers, gz = http_get(a.url(), {"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(gz).decode() == first
        for d in subs:
            os.mkdir(d)
        try:
            procs = []
            script = 'echo $$ > "$1/cgroup.procs" && exec "$2" "$3" "$4" 100'
            with contextlib.ExitStack() as stack:
                for i, d in enumerate(subs):
                    procs.append(stack.enter_context(running(
                        ["/bin/sh", "-c", script, "sh", d, workload("sys_calls"),
                         os.path.join(tmp, f"info{i}"), str(n)])))
                scrapes = 0
                while any(p.poll() is None for p in procs) or scrapes < 3:
                    assert a.scrape() == first
                    scrapes += 1
                assert [p.wait(TIMEOUT) for p in procs] == [0] * len(subs)
            for i in range(len(subs)):
                assert re.search(r"^done 1$", read_text(os.path.join(tmp, f"info{i}")), re.M)
            assert a.scrape() == first
        finally:
            for d in subs:
                for _ in range(500):
                    try:
                        os.rmdir(d)
                        break
                    except FileNotFoundError:
                        break
                    except OSError:
                        time.sleep(0.01)
        s = parse_metrics(first)
        assert (value_of(s, "kscope_syscalls_total", syscall="getppid") or 0) < n
        base = os.path.basename(cgroup)
        assert not [x for x in s if any(base in v for v in x[1].values())]
        a.stop()

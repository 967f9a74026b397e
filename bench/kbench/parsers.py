"""kbench.parsers: what a tracer delivered: its output searched for the workload's
own events, and the losses the tool reported."""
import json
import re


def _lines(path):
    try:
        with open(path, errors="replace") as f:
            yield from f
    except OSError:
        return


LOST_RE = re.compile(r"\bLost (\d+) events")


def _peer_lost(files):
    """Losses a peer reported: libbpf-tools' perf buffer callback prints "Lost N
    events on CPU #C!" (stderr), bpftrace "Lost N events"."""
    n = 0
    for p in (files.err, files.out):
        for line in _lines(p):
            m = LOST_RE.search(line)
            if m:
                n += int(m.group(1))
    return n


def _kscope_lost(line, acc):
    if line.startswith('{"type":"lost"'):
        try:
            acc["lost"] += json.loads(line).get("count", 0)
        except ValueError:
            pass
        return True
    return False


def _storm_keys(field, res):
    """The JSON members that name the storm's path and its warm-up path"""
    return tuple('"%s":%s,' % (field, json.dumps(res[k])) for k in ("path", "warm_path"))


def parse_kscope_fileio(files, res):
    """kscope fileio -j: open records of the storm's path (open storm), or the
    file_stat writes of the storm's file (write storm); lost records."""
    acc = {"delivered": 0, "warm": 0, "records": 0, "lost": 0}
    pid = '"pid":%d,' % res["pid"]
    if "opens" in res:
        path, warm = _storm_keys("path", res)
        for line in _lines(files.data):
            if line.startswith('{"type":"open"'):
                if path in line:
                    acc["delivered"] += 1
                elif warm in line:
                    acc["warm"] += 1
                if pid in line:
                    acc["records"] += 1
            else:
                _kscope_lost(line, acc)
    else:
        for line in _lines(files.data):
            if line.startswith('{"type":"file_stat"') and pid in line:
                r = json.loads(line)
                if r.get("path") == res["path"]:
                    acc["delivered"] += r.get("writes", 0)
            else:
                _kscope_lost(line, acc)
    return acc


def parse_kscope_hello(files, res):
    """kscope hello -j: the storm's execs (by filename); its only records are execs."""
    acc = {"delivered": 0, "warm": 0, "records": 0, "lost": 0}
    path, warm = _storm_keys("filename", res)
    for line in _lines(files.data):
        if line.startswith('{"type":"hello"'):
            if path in line:
                acc["delivered"] += 1
                acc["records"] += 1
            elif warm in line:
                acc["warm"] += 1
        else:
            _kscope_lost(line, acc)
    return acc


def parse_kscope_proc(files, res):
    """kscope proc -j: the storm's execs (by filename), and all its records: the
    forks of the storm process, the execs, the exits of the exec'd children."""
    acc = {"delivered": 0, "warm": 0, "records": 0, "lost": 0}
    path, warm = _storm_keys("filename", res)
    parent = '"pid":%d,' % res["pid"]
    children, exits = set(), []
    for line in _lines(files.data):
        if line.startswith('{"type":"exec"'):
            if path in line:
                acc["delivered"] += 1
                children.add(json.loads(line)["pid"])
            elif warm in line:
                acc["warm"] += 1
        elif line.startswith('{"type":"fork"'):
            if parent in line:
                acc["records"] += 1
        elif line.startswith('{"type":"exit"'):
            exits.append(line)
        else:
            _kscope_lost(line, acc)
    acc["records"] += acc["delivered"] + sum(1 for line in exits
                                             if json.loads(line)["pid"] in children)
    return acc


def parse_peer_lines(files, res):
    """A peer's text output, one line per event: opensnoop and bpftrace print the
    path last, execsnoop and execsnoop.bt print argv, whose argv[0] is the path
    (they read argv at sys_enter_execve from the caller's memory, and show only
    what is paged in there: here argv[0] alone)."""
    acc = {"delivered": 0, "warm": 0, "records": 0, "lost": _peer_lost(files)}
    if "execs" in res:
        path, warm = " %s " % res["path"], " %s " % res["warm_path"]
        for line in _lines(files.out):
            line = " %s " % line.rstrip("\n")
            if path in line:
                acc["delivered"] += 1
            elif warm in line:
                acc["warm"] += 1
        acc["records"] = acc["delivered"]
        return acc
    path, warm, pid = " " + res["path"], " " + res["warm_path"], str(res["pid"])
    for line in _lines(files.out):
        line = line.rstrip("\n")
        if line.endswith(path):
            acc["delivered"] += 1
        elif line.endswith(warm):
            acc["warm"] += 1
        if line.split(" ", 1)[0] == pid:
            acc["records"] += 1
    return acc


def parse_syscall_table(files, res):
    """A per-syscall table printed at the end (kscope syscall, syscount): the
    write row's count. Both count every process's writes, not only the storm's."""
    acc = {"delivered": 0, "records": 0, "lost": None}
    for line in _lines(files.out):
        f = line.split()
        if len(f) >= 2 and f[0] == "write" and f[1].isdigit():
            acc["delivered"] += int(f[1])
    for line in _lines(files.out):
        if LOST_RE.search(line):
            acc["lost"] = (acc["lost"] or 0) + int(LOST_RE.search(line).group(1))
    return acc


# the totals kscope prints on stderr at exit (trace.c report_lost_summary)
KSCOPE_LOST_RE = re.compile(r"^kscope: (?:lost (\d+) events in total|(\d+) updates were not "
                            r"counted|(\d+) new processes were not followed)")


def parse_kscope_table(files, res):
    """kscope syscall's table: as parse_syscall_table; losses are the totals kscope
    prints on stderr at exit (none: 0)."""
    acc = parse_syscall_table(files, res)
    acc["lost"] = 0
    for line in _lines(files.err):
        m = KSCOPE_LOST_RE.match(line)
        if m:
            acc["lost"] += int(m.group(1) or m.group(2) or m.group(3))
    return acc


# ---- net: connstorm's connections -------------------------------------------

PEER_LOST_RE = re.compile(r"\b[Ll]ost (\d+) events")


def _net_exact(res, tx, rx):
    """The application bytes a side of connstorm's connection must show: 64 each
    way per connection (conn), the whole transfer one way (bulk)."""
    if res["mode"] == "conn":
        return tx == res["bytes_each"] and rx == res["bytes_each"]
    return sorted((tx, rx)) == [0, res["bytes"]]


def parse_kscope_net(files, res):
    """kscope net -j: the net_conn rows of the run's connections (its netns, its
    server port); delivered: those with exactly the bytes the application moved
    (a row with other bytes is in records, not delivered); lost records."""
    acc = {"delivered": 0, "warm": 0, "records": 0, "lost": 0}
    for line in _lines(files.data):
        if not line.startswith('{"type":"net_conn"'):
            _kscope_lost(line, acc)
            continue
        r = json.loads(line)
        if r.get("netns") != res["netns"]:
            continue
        ports = (r.get("lport"), r.get("rport"))
        if res["port"] in ports:
            acc["records"] += 1
            acc["delivered"] += _net_exact(res, r.get("tx_bytes"), r.get("rx_bytes"))
        elif res["warm_port"] in ports:
            acc["warm"] += 1
    return acc


def parse_tcplife(files, res):
    """tcplife: one line per connection side closed (PID COMM LADDR LPORT RADDR
    RPORT TX_KB RX_KB MS); the run's are those with its server port as LPORT or
    RPORT (its KiB with two decimals cannot be checked exactly)."""
    acc = {"delivered": 0, "warm": 0, "records": 0, "lost": _peer_lost_any(files)}
    port, warm = str(res["port"]), str(res["warm_port"])
    for line in _lines(files.out):
        f = line.split()
        if len(f) < 9 or not f[0].isdigit():
            continue
        ports = (f[-6], f[-4])
        if port in ports:
            acc["delivered"] += 1
            acc["records"] += 1
        elif warm in ports:
            acc["warm"] += 1
    return acc


def parse_tcpstates(files, res):
    """tcpstates: one line per state change (SKADDR PID COMM LADDR LPORT RADDR
    RPORT OLDSTATE -> NEWSTATE MS); a connection side is delivered when its
    change to CLOSE is there (records: all the run's changes, ~5 per side)."""
    acc = {"delivered": 0, "warm": 0, "records": 0, "lost": _peer_lost_any(files)}
    port, warm = str(res["port"]), str(res["warm_port"])
    for line in _lines(files.out):
        f = line.split()
        if len(f) < 11 or f[-3] != "->":
            continue
        ports = (f[-7], f[-5])
        if port in ports:
            acc["records"] += 1
            # the listener's own LISTEN -> CLOSE is not a connection
            if f[-2] == "CLOSE" and f[-4] != "LISTEN":
                acc["delivered"] += 1
        elif warm in ports and f[-2] == "CLOSE" and f[-4] != "LISTEN":
            acc["warm"] += 1
    return acc


def _peer_lost_any(files):
    """libbpf-tools' perf buffer callbacks print "lost N events on CPU #C" (lower
    case in tcplife and tcpstates), bpftrace "Lost N events"."""
    n = 0
    for p in (files.err, files.out):
        for line in _lines(p):
            m = PEER_LOST_RE.search(line)
            if m:
                n += int(m.group(1))
    return n


# ---- disk: diostorm's block requests -----------------------------------------

HIST_RE = re.compile(r"^\s*(\d+)\s*->\s*(\d+)\s*:\s*(\d+)\s*\|")


def _too_few(n, res, what):
    """A counting peer's output that cannot be a result: nothing (it attached nothing,
    or printed nothing), or less than half the storm's requests."""
    if n == 0:
        return "empty output: no %s" % what
    if n < res["writes_total"] // 2:
        return "implausible: %d requests in its %s, the storm made %d" % (
            n, what, res["writes_total"])
    return None


def parse_kscope_diskio(files, res):
    """kscope diskio -j (summary rows at the end, any --by): the storm's device's write
    rows; counted: their requests, when each row is exact (bytes = requests x the write
    size, no errors, a queue time for every request with an I/O scheduler and for none
    without one); records: the rows; lost records. mixstorm's run: parse_mix_diskio."""
    if _is_mix(res):
        return parse_mix_diskio(files, res)
    acc = {"delivered": 0, "records": 0, "lost": 0, "rows": 0}
    queued = res["scheduler"] not in (None, "none")
    for line in _lines(files.data):
        if not line.startswith('{"type":"diskio_stat"'):
            _kscope_lost(line, acc)
            continue
        r = json.loads(line)
        if (r.get("major"), r.get("minor")) != (res["major"], res["minor"]) or \
                r.get("op") != "write":
            continue
        acc["rows"] += 1
        n = r.get("requests") or 0
        if r.get("bytes") == n * res["bytes"] and not r.get("errors") and \
                r.get("queue_count") == (n if queued else 0):
            acc["delivered"] += n
    if not acc["rows"]:
        acc["failed"] = "no diskio_stat write row for %s (%d:%d) in its output" % (
            res["device"], res["major"], res["minor"])
    acc["records"] = 0       # a summary: nothing streamed per request
    return acc


def _hist_sections(path):
    """A libbpf-tools histogram output: {section header or "": {(low, high): count}}"""
    out, head = {}, ""
    for line in _lines(path):
        m = HIST_RE.match(line)
        if m:
            key = (int(m.group(1)), int(m.group(2)))
            sec = out.setdefault(head, {})
            sec[key] = sec.get(key, 0) + int(m.group(3))
        elif "=" in line:
            head = line.strip()
    return out


def parse_biolatency(files, res):
    """biolatency (-Q): one histogram of every device's requests (system-wide, as it
    runs by default): counted: its counts summed (the storm's, and any other device's
    I/O of the time)."""
    n = sum(sum(sec.values()) for sec in _hist_sections(files.out).values())
    acc = {"delivered": n, "records": 0, "lost": None}
    why = _too_few(n, res, "histogram")
    if why:
        acc["failed"] = why
    return acc


def parse_bitesize(files, res):
    """bitesize: a size histogram per process name; counted: the storm's (diostorm's)
    requests in the slot of its write size (4 KiB: "4 -> 7")."""
    kib = res["bytes"] // 1024
    sec = _hist_sections(files.out).get("Process Name = diostorm", {})
    n = sum(c for (lo, hi), c in sec.items() if lo <= kib <= hi)
    acc = {"delivered": n, "records": 0, "lost": None}
    why = _too_few(sum(sec.values()), res, "histogram for diostorm")
    if why:
        acc["failed"] = why
    return acc


def parse_biopattern(files, res):
    """biopattern: a line per disk (DISK %RND %SEQ COUNT KBYTES); counted: the storm's
    device's COUNT. It counts a request only when the disk's previous one is known, so
    a device's first request is never counted: COUNT is the storm's requests - 1."""
    n = 0
    for line in _lines(files.out):
        f = line.split()
        if len(f) == 5 and f[0] == res["device"] and f[3].isdigit():
            n += int(f[3])
    acc = {"delivered": n, "records": 0, "lost": None}
    why = _too_few(n, res, "line for %s" % res["device"])
    if why:
        acc["failed"] = why
    return acc


# ---- memory: faultstorm's page faults -----------------------------------------


def parse_kscope_memory(files, res):
    """kscope memory -j (summary rows at the end, --by process): the storm process's
    memory_stat row; counted: its write faults (the storm's writes, warm-up included, and
    the loader's and libc's on top), "faults": all its user faults; lost records."""
    acc = {"delivered": 0, "records": 0, "lost": 0, "rows": 0, "faults": 0}
    pid = '"pid":%d,' % res["pid"]
    for line in _lines(files.data):
        if not line.startswith('{"type":"memory_stat"'):
            _kscope_lost(line, acc)
            continue
        if pid not in line:
            continue
        r = json.loads(line)
        if r.get("pid") != res["pid"]:
            continue
        acc["rows"] += 1
        acc["delivered"] += r.get("write_faults") or 0
        acc["faults"] += r.get("faults") or 0
    if not acc["rows"]:
        acc["failed"] = "no memory_stat row for pid %d in its output" % res["pid"]
    acc["records"] = 0       # a summary: nothing streamed per fault
    return acc


BT_MAP_RE = re.compile(r"^@\[(.*)\]: (\d+)$")


def parse_bpftrace_comm(files, res):
    """A bpftrace @[comm] = count() map printed at SIGINT (@[name]: N lines): counted:
    the count of the storm's comm (every user fault of its process: the storm's writes,
    warm-up included, and its loader's faults; the comm is the run's only process of
    that name). A count has no way to report a loss."""
    acc = {"delivered": 0, "records": 0, "lost": None, "keys": 0}
    for line in _lines(files.out):
        m = BT_MAP_RE.match(line.rstrip("\n"))
        if not m:
            continue
        acc["keys"] += 1
        if m.group(1) == res["comm"]:
            acc["delivered"] += int(m.group(2))
    if not acc["keys"]:
        acc["failed"] = "empty output: no @[comm] map"
    elif not acc["delivered"]:
        acc["failed"] = "no count for %s in its map" % res["comm"]
    return acc


# ---- security: capstorm's capability checks -----------------------------------

CAP_SYS_ADMIN = 21
# a capability check's record type and security_stat kind: "cap" (docs/json.md; the first
# builds of the command said "capability")
SEC_CAP_KINDS = ("cap", "capability")


def parse_kscope_security_stat(files, res):
    """kscope security --summary -j (summary rows at the end, per process): the storm
    process's security_stat rows of kind cap, CAP_SYS_ADMIN; counted: their count
    (the storm's checks, warm-up and unshare() included, and its loader's and libc's
    memory accounting checks on top), "denied": their denied checks; lost records."""
    acc = {"delivered": 0, "records": 0, "lost": 0, "rows": 0, "denied": 0}
    pid = '"pid":%d,' % res["pid"]
    for line in _lines(files.data):
        if not line.startswith('{"type":"security_stat"'):
            _kscope_lost(line, acc)
            continue
        if pid not in line:
            continue
        r = json.loads(line)
        if r.get("pid") != res["pid"] or r.get("kind") not in SEC_CAP_KINDS or \
                r.get("name") != "CAP_SYS_ADMIN":
            continue
        acc["rows"] += 1
        acc["delivered"] += r.get("count") or 0
        acc["denied"] += r.get("denied") or 0
    if not acc["rows"]:
        acc["failed"] = "no security_stat CAP_SYS_ADMIN row for pid %d in its output" % \
            res["pid"]
    acc["records"] = 0       # a summary: nothing streamed per check
    return acc


def parse_kscope_security(files, res):
    """kscope security -j (default mode): no count (only the first grant per (process,
    capability) is shown, every later one is dropped in the kernel), so delivered is None;
    but the storm's first CAP_SYS_ADMIN grant must be there, else the output is not a
    result. records: 0, as for a summary (the storm's two records, its first grant and
    its unshare(), would make a per-record CPU time of the whole storm). Without a count
    there is nothing to set a loss against: lost is None."""
    acc = {"delivered": None, "records": 0, "lost": None, "first": 0}
    pid = '"pid":%d,' % res["pid"]
    for line in _lines(files.data):
        if pid not in line:
            continue
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("pid") != res["pid"]:
            continue
        # its first check: made before or during its exec (the memory accounting of a
        # mapping), under the comm it had then; the only one shown
        if r.get("type") in SEC_CAP_KINDS and r.get("cap") == CAP_SYS_ADMIN:
            acc["first"] += 1
    if not acc["first"]:
        acc["failed"] = "no CAP_SYS_ADMIN record for pid %d in its output" % res["pid"]
    return acc


def parse_bpftrace_caps(files, res):
    """The bpftrace @[pid, cap, ret] = count() map printed at SIGINT (@[pid, cap, ret]: N
    lines): counted: the storm pid's CAP_SYS_ADMIN checks (granted or not: "denied" has the
    others; keyed by pid, so the checks its process made before its exec count too). A count
    has no way to report a loss."""
    acc = {"delivered": 0, "records": 0, "lost": None, "keys": 0, "denied": 0}
    for line in _lines(files.out):
        m = BT_MAP_RE.match(line.rstrip("\n"))
        if not m:
            continue
        acc["keys"] += 1
        try:
            pid, cap, ret = (int(x) for x in m.group(1).split(","))
        except ValueError:
            continue
        if pid == res["pid"] and cap == CAP_SYS_ADMIN:
            acc["delivered"] += int(m.group(2))
            if ret:
                acc["denied"] += int(m.group(2))
    if not acc["keys"]:
        acc["failed"] = "empty output: no @[pid, cap, ret] map"
    elif not acc["delivered"]:
        acc["failed"] = "no CAP_SYS_ADMIN count for pid %d in its map" % res["pid"]
    return acc


# ---- container: mixstorm's operations, per cgroup ------------------------------
#
# Every command here keys its rows by cgroup, so a row holds the work of every process
# of the storm's cgroup (on the host: the root, with the runner, the shell, ...): a count
# is at least the storm's, not exactly it. "counted" is the storm's operations the row
# accounts for (its bytes over an operation's bytes, its faults, its getppid() calls),
# where an operation has something of the command's; the commands with nothing per
# operation (sched: no switch; diskio: the one untimed write; security --denied: the one
# untimed denial) have no count, and their output must still hold the storm's row.


def _is_mix(res):
    return "ops_total" in res and "net_bytes" in res


def _rows(files, rtype, acc):
    """The -j summary rows of type rtype (lost records counted in acc)"""
    head = '{"type":"%s"' % rtype
    for line in _lines(files.data):
        if line.startswith(head):
            try:
                yield json.loads(line)
            except ValueError:
                continue
        else:
            _kscope_lost(line, acc)


def _mix_count(files, res, rtype, cgroup, count, what):
    """counted: count(row) summed over the rtype rows of cgroup; failed without one"""
    acc = {"delivered": 0, "records": 0, "lost": 0, "rows": 0}
    for r in _rows(files, rtype, acc):
        if r.get("cgroup") == cgroup:
            acc["rows"] += 1
            acc["delivered"] += count(r)
    if not acc["rows"]:
        acc["failed"] = "no %s row for cgroup %s in its output" % (rtype, cgroup)
    elif not acc["delivered"]:
        acc["failed"] = "its %s row for cgroup %s has none of the storm's %s" % (
            rtype, cgroup, what)
    return acc


def _mix_row(files, res, rtype, match, what):
    """No count: the output must hold a row match(row) accepts (what: its description)"""
    acc = {"delivered": None, "records": 0, "lost": None, "rows": 0}
    for r in _rows(files, rtype, {"lost": 0}):
        if match(r):
            acc["rows"] += 1
    if not acc["rows"]:
        acc["failed"] = "no %s row %s in its output" % (rtype, what)
    return acc


def parse_mix_sched(files, res):
    """kscope sched --by cgroup -j: the storm cgroup's sched_cgroup row, with at least the
    storm's CPU time (its timed loop's); no count (no operation switches)."""
    return _mix_row(files, res, "sched_cgroup",
                    lambda r: r.get("cgroup") == res["cgroup"] and
                    (r.get("cpu_ns") or 0) >= res["cpu_ns"],
                    "for cgroup %s with the storm's %d ns of CPU" % (res["cgroup"],
                                                                     res["cpu_ns"]))


def parse_mix_syscall(files, res):
    """kscope syscall --by cgroup --count-only -j: counted: the getppid calls of the storm's
    cgroup (one per operation; and the storm's own getppid() before them)."""
    return _mix_count(files, res, "syscall_stat", res["cgroup"],
                      lambda r: r.get("count") or 0 if r.get("syscall") == "getppid" else 0,
                      "getppid calls")


def parse_mix_fileio(files, res):
    """kscope fileio --by cgroup -j: counted: the storm cgroup's bytes written, in the
    storm's 4 KiB writes."""
    return _mix_count(files, res, "fileio_cgroup_stat", res["cgroup"],
                      lambda r: (r.get("write_bytes") or 0) // res["file_bytes"],
                      "file writes")


def parse_mix_net(files, res):
    """kscope net --by cgroup -j: counted: the storm cgroup's TCP bytes sent (its sockets'
    cgroup), in the storm's 64-byte sends."""
    return _mix_count(files, res, "net_cgroup_stat", res["cgroup"],
                      lambda r: (r.get("tx_bytes") or 0) // res["net_bytes"], "TCP bytes")


def parse_mix_memory(files, res):
    """kscope memory --by cgroup -j: counted: the write faults of the storm's memory cgroup
    (one per operation; and its loader's, and every other process's of that memcg)."""
    return _mix_count(files, res, "memory_stat", res["memcg"],
                      lambda r: r.get("write_faults") or 0, "write faults")


def parse_mix_diskio(files, res):
    """kscope diskio --by cgroup -j: the write row of the storm's loop device and blkcg (its
    one untimed O_DIRECT write); no count (no operation does block I/O)."""
    if not res.get("disk_writes"):
        return {"delivered": None, "records": 0, "lost": None,
                "failed": "the storm wrote to no block device (no -f DEVICE)"}
    return _mix_row(files, res, "diskio_stat",
                    lambda r: (r.get("major"), r.get("minor")) == (res["major"], res["minor"])
                    and r.get("op") == "write" and r.get("cgroup") == res["blkcg"]
                    and (r.get("requests") or 0) >= res["disk_writes"],
                    "for %s (%d:%d) writes of cgroup %s" % (res["device"], res["major"],
                                                            res["minor"], res["blkcg"]))


def parse_mix_security(files, res):
    """kscope security --summary --by cgroup --kind cap --denied -j: the storm cgroup's
    CAP_SYS_ADMIN row with its one denied check (untimed); no count (every operation's
    check is granted, and --denied counts only the refused)."""
    return _mix_row(files, res, "security_stat",
                    lambda r: r.get("cgroup") == res["cgroup"] and
                    r.get("kind") in SEC_CAP_KINDS and r.get("name") == "CAP_SYS_ADMIN" and
                    (r.get("denied") or 0) >= res["denied"],
                    "for cgroup %s with the storm's denied CAP_SYS_ADMIN check" %
                    res["cgroup"])


def parse_mix_container(files, res):
    """kscope container -j: the rows of the storm's cgroups: the host's (the storm runs on
    the host), and the row its memory or blkio cgroup is folded into when that is named as
    a container of its own: a cgroup of its path, or "mnt:INODE" of the storm's mount
    namespace (a cgroup no path names whose processes are not in the host's mount
    namespace: on this hybrid host, the v1 memcg of the machine's sandbox);
    with every area in them: the storm's CPU time, syscalls, file bytes written, TCP bytes
    sent, page faults, its denied check and its disk write (an area with none of them makes
    the output a failure, as an empty one); counted: the operations every area accounts
    for at least (the least of syscalls / 5, file bytes / 4 KiB, TCP bytes sent / 64 and
    page faults)."""
    acc = {"delivered": 0, "records": 0, "lost": 0, "rows": 0}
    own = {res["cgroup"], res["memcg"], res["blkcg"]}
    mnt = "mnt:%d" % res["mntns"]
    rows = [r for r in _rows(files, "container_stat", acc)
            if (r.get("runtime") == "host" and r.get("container") is None) or
            (r.get("runtime") == "namespace" and r.get("container") == mnt) or
            (r.get("cgroup") is not None and r.get("cgroup") in own)]
    if not any(r.get("runtime") == "host" for r in rows):
        acc["failed"] = "no container_stat row for the host in its output"
        return acc
    acc["rows"] = len(rows)

    def tot(f):
        return sum(r.get(f) or 0 for r in rows)

    areas = {"cpu": tot("cpu_ns"), "syscalls": tot("syscalls"),
             "file writes": tot("file_write_bytes"), "TCP bytes": tot("tcp_tx_bytes"),
             "page faults": tot("page_faults"), "denied check": tot("cap_denied"),
             "disk write": tot("disk_writes") if res.get("disk_writes") else 1}
    acc["delivered"] = min(tot("syscalls") // res["syscalls_per_op"],
                           tot("file_write_bytes") // res["file_bytes"],
                           tot("tcp_tx_bytes") // res["net_bytes"], tot("page_faults"))
    none = [a for a, v in areas.items() if not v]
    if none:
        acc["failed"] = "the rows of its cgroups have no %s" % ", ".join(none)
    return acc


# ---- top: kscope top and its peers on readstorm's reads --------------------------------


def parse_kscope_top_json(files, res):
    """kscope top -j -o FILE: per interval a top_summary record, then a top_process record
    per process that did something; counted: the storm process's read_bytes summed over the
    intervals, in reads of the storm's size (at least the storm's reads, warm-up included:
    its loader's reads of files it opened count too); lost: the summaries' lost_events; a
    run with no summary, or no record of the storm's pid, failed."""
    acc = {"delivered": 0, "records": None, "lost": 0}
    pid = '"pid":%d,' % res["pid"]
    intervals, read_bytes, rows = 0, 0, 0
    for line in _lines(files.data):
        if line.startswith('{"type":"top_summary"'):
            intervals += 1
            try:
                acc["lost"] += json.loads(line).get("lost_events", 0)
            except ValueError:
                pass
        elif line.startswith('{"type":"top_process"') and pid in line:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("pid") == res["pid"]:
                rows += 1
                read_bytes += r.get("read_bytes", 0)
    acc["delivered"] = read_bytes // res["bytes"]
    if not intervals:
        acc["failed"] = "empty output: no top_summary record"
    elif not rows:
        acc["failed"] = "no top_process record of the storm's pid %d in %d intervals" % (
            res["pid"], intervals)
    return acc


TOP_FRAME_RE = re.compile(r"^\d\d:\d\d:\d\d\s+\d+ CPUs? busy")


def parse_kscope_top_text(files, res):
    """kscope top -b (text, one block per interval; its rates rounded, so no count): the
    storm process's rows (by PID, the first column); a run without an interval block, or
    without a row of the storm, failed."""
    acc = {"delivered": None, "records": None, "lost": None}
    pid, intervals, rows = str(res["pid"]), 0, 0
    for line in _lines(files.out):
        if TOP_FRAME_RE.match(line):
            intervals += 1
        elif line.split(" ", 1)[0] == pid:
            rows += 1
    if not intervals:
        acc["failed"] = "empty output: no interval block"
    elif not rows:
        acc["failed"] = "no row of the storm's pid %s in %d intervals" % (pid, intervals)
    return acc


def parse_syscount_pid(files, res):
    """libbpf-tools syscount -P -i 1: every interval a "PID COMM COUNT" table (the last,
    partial one printed at SIGINT); counted: the storm pid's syscalls summed (at least its
    reads, warm-up included, plus its few other syscalls); a run without a table, or
    without the storm's row, failed."""
    acc = {"delivered": 0, "records": None, "lost": None}
    pid, tables, rows = str(res["pid"]), 0, 0
    for line in _lines(files.out):
        f = line.split()
        if f[:3] == ["PID", "COMM", "COUNT"]:
            tables += 1
        elif len(f) >= 3 and f[0] == pid and f[-1].isdigit():
            rows += 1
            acc["delivered"] += int(f[-1])
    if not tables:
        acc["failed"] = "empty output: no PID COMM COUNT table"
    elif not rows:
        acc["failed"] = "no row of the storm's pid %s in %d tables" % (pid, tables)
    return acc


BT_STATS_RE = re.compile(r"^@(\w+)\[(\d+), ([^,]*), (-?\d+)\]: count (\d+), average (-?\d+), "
                         r"total (-?\d+)$")


def parse_bpftrace_filetop(files, res):
    """The filetop-style bpftrace script (kbench.tracers.BT_FILETOP): every interval and at
    exit, @reads[pid, comm, fd] and @writes[...] = stats(bytes asked); counted: the storm
    pid's reads summed (its preads, warm-up included; bpftrace's print-then-clear of a
    per-CPU map drops what comes between the two); a run without a @reads entry, or
    without the storm's, failed."""
    acc = {"delivered": 0, "records": None, "lost": _peer_lost(files)}
    entries, rows = 0, 0
    for line in _lines(files.out):
        m = BT_STATS_RE.match(line.rstrip("\n"))
        if not m:
            continue
        entries += 1
        if m.group(1) == "reads" and int(m.group(2)) == res["pid"]:
            rows += 1
            acc["delivered"] += int(m.group(5))
    if not entries:
        acc["failed"] = "empty output: no @reads/@writes entry"
    elif not rows:
        acc["failed"] = "no @reads entry of the storm's pid %d" % res["pid"]
    return acc


def parse_top_peers(files, res):
    """syscount -P -i 1 and the filetop-style bpftrace script run together (Files.more[0]:
    bpftrace's): both must have the storm's rows (either empty: failed); counted: the
    lesser of their counts of the storm (syscount's syscalls, bpftrace's reads)."""
    a = parse_syscount_pid(files, res)
    b = parse_bpftrace_filetop(files.more[0], res) if files.more else {
        "delivered": 0, "lost": 0, "failed": "bpftrace did not run"}
    acc = {"delivered": min(a["delivered"], b["delivered"]), "records": None, "lost": None}
    failed = ["syscount: " + a["failed"]] if a.get("failed") else []
    failed += ["bpftrace: " + b["failed"]] if b.get("failed") else []
    if failed:
        acc["failed"] = "; ".join(failed)
    return acc

"""kbench.tracers: every tracer configuration (TRACERS): kscope's commands, the
floor programs of bench/floor, and the peers (libbpf-tools, bpftrace)."""
import os
import shutil
import subprocess

from .common import BENCH, Tracer
from .parsers import (parse_biolatency, parse_biopattern, parse_bitesize, parse_bpftrace_caps,
                      parse_bpftrace_comm, parse_bpftrace_filetop, parse_kscope_diskio,
                      parse_kscope_fileio, parse_kscope_hello, parse_kscope_memory,
                      parse_kscope_net, parse_kscope_proc, parse_kscope_security,
                      parse_kscope_security_stat, parse_kscope_table, parse_kscope_top_json,
                      parse_kscope_top_text, parse_mix_container, parse_mix_fileio,
                      parse_mix_memory, parse_mix_net, parse_mix_sched, parse_mix_security,
                      parse_mix_syscall, parse_peer_lines, parse_syscall_table,
                      parse_syscount_pid, parse_tcplife, parse_tcpstates, parse_top_peers)


def _have(path):
    return lambda ctx: None if os.access(path, os.X_OK) else "%s not installed" % path


def _floor_ready(obj="floor.bpf.o"):
    return lambda ctx: None if all(os.path.exists(os.path.join(ctx.bin, f))
                                   for f in ("floor", obj)) else \
        "bench/floor not built (make bench builds it)"


def _floor(*progs, obj="floor.bpf.o"):
    return lambda ctx: [os.path.join(ctx.bin, "floor"), os.path.join(ctx.bin, obj), *progs]


# bench/floor/ops.bpf.c: one BPF operation per program, on tp_btf/sched_switch
OPS = [
    ("empty", "nothing (the cost of the hook)"),
    ("ktime", "bpf_ktime_get_ns()"),
    ("array", "array lookup by CPU + increment (kscope's cpu_stats)"),
    ("atomic", "one __sync_fetch_and_add (a histogram slot)"),
    ("plain_read4", "4 loads through the BTF task pointers"),
    ("core_read4", "the same 4 with BPF_CORE_READ (bpf_probe_read_kernel)"),
    ("hash_lookup", "1 hash lookup, tid key (made on first sight)"),
    ("hash_lookup2", "2 hash lookups: prev and next (kscope's switch)"),
    ("task_storage2", "2 bpf_task_storage_get: prev and next"),
    ("hash_upd_del", "hash update + lookup + delete (runqlat's start map)"),
]


def _bpftrace_path():
    return shutil.which("bpftrace") or "/usr/bin/bpftrace"


def _bpftrace_ready(ctx):
    return None if shutil.which("bpftrace") else \
        "bpftrace not installed (scripts/deps.sh --bench installs it)"


_KSCOPE_HAS = {}


def _kscope_has(cmd):
    """Needs: `kscope CMD --help` works (the command exists in this build)."""
    def needs(ctx):
        if cmd not in _KSCOPE_HAS:
            try:
                r = subprocess.run([ctx.kscope, cmd, "--help"], capture_output=True,
                                   timeout=20)
                _KSCOPE_HAS[cmd] = r.returncode == 0
            except (OSError, subprocess.SubprocessError):
                _KSCOPE_HAS[cmd] = False
        return None if _KSCOPE_HAS[cmd] else \
            "`kscope %s --help` failed: no %s command in this build" % (cmd, cmd)
    return needs


def _before_ready(ctx):
    if not ctx.kscope_before:
        return "no --kscope-before BIN given"
    return None if os.access(ctx.kscope_before, os.X_OK) else \
        "%s is not an executable" % ctx.kscope_before


# libbpf-tools syscount attaches sys_exit only, plus sys_enter with -L; each
# plain tracepoint is a perf event and a BPF link
SYSCOUNT_ATTACH = 2      # sys_exit only; 4 with -L

BT_COUNT = "tracepoint:raw_syscalls:sys_enter { @[%s] = count(); }"
# bpftrace holds one perf event per CPU (its output buffer) besides the
# tracepoint's: the probe is attached once there are ncpu + 1
BT_ATTACH = (os.cpu_count() or 1) + 1
# libbpf-tools tcplife and tcpstates: the tracepoint (a perf event and its link) and
# a perf buffer of one perf event per CPU
PERFBUF_ATTACH = 2 + (os.cpu_count() or 1)
NO_PRECHECK = ["--no-precheck", "--no-hook", "fentry,kprobe,lsm"]
# the bpftrace printf one-liner of the open storm (%s: a filter, or nothing)
BT_OPEN = 'tracepoint:syscalls:sys_enter_openat %s{ printf("%%d %%s %%s\\n", pid, comm, ' \
          'str(args->filename)); }'
# the fault storm's reference: user page faults counted per process name, printed at SIGINT
BT_FAULTS = "tracepoint:exceptions:page_fault_user { @[comm] = count(); }"
# kscope memory's probes here: page_fault_user, sched_process_exit, the direct and memcg
# reclaim begin/end pairs, mark_victim
MEMORY_ATTACH = 7

# the capability storm's reference: every check counted per (pid, capability, verdict),
# the map printed at SIGINT
BT_CAPS = "tracepoint:capability:cap_capable { @[pid, args->cap, args->ret] = count(); }"
# bpftrace's setuids.bt (Debian's bpftrace package): six per-syscall tracepoints
# (sys_enter/sys_exit of setuid, setfsuid, setresuid), one perf event each, and the
# perf buffer (one per CPU)
SETUIDS_BT = "/usr/sbin/setuids.bt"
SETUIDS_ATTACH = 6 + (os.cpu_count() or 1)
# kscope security's probes by default (kscope security -v: "kscope: probe NAME: HOOK"):
# cap_capable, sched_process_exec (exec of set-id files), the watched syscalls' own
# tracepoints (two per syscall: setuid family, capset, ptrace, bpf, mounts, namespaces),
# and raw_syscalls sys_exit for those without (the module syscalls here); at least 4;
# --kind cap: cap_capable alone
SECURITY_ATTACH = 4
SECURITY_CAP_ATTACH = 1

# kscope container: its parts' probes (sched 5, syscall 1, fileio 2, net 6, diskio 4,
# memory 8, security 1 here) and its own three (cgroup_mkdir, cgroup_rmdir,
# cgroup_attach_task): 30 here; attached at the sum of the parts' minimums (those of the
# single commands' configurations below) and its own
CONTAINER_OWN_ATTACH = 3

# kscope agent with every default collector: its parts' attachments here (each collector
# alone: syscall 2, sched 5, proc 3, fileio 2, net 13 with the drops part, diskio 4,
# memory 8, security 1: 38 on this kernel); its collection interval in the benchmarks
# (its default)
AGENT_ATTACH = 38
AGENT_INTERVAL_S = 5
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"

# kscope top: its attachments here (its parts' probes: sched 5 with exec and exit, syscall
# --count-only 1, fileio 2, diskio 5, net 6), and its refresh interval in the benchmarks,
# which the views it is compared with use too (htop's -d is in tenths)
TOP_ATTACH = 19
TOP_INTERVAL_S = 1
# a refresh in a batch view's output: kscope top -b's first summary line, top -b's first
TOP_FRAME_RE = r"^\d\d:\d\d:\d\d\s+\d+ CPUs? busy"
PROCPS_FRAME_RE = r"^top - "
# the filetop-style peer: libbpf-tools filetop attaches kprobes on vfs_read/vfs_write, which
# this kernel does not have ("failed to create kprobe 'vfs_read+0x0' perf event"); this is
# filetop on tracepoints: at the entry of each read and write syscall (as filetop's kprobe
# at vfs_read/vfs_write's entry), the bytes asked for summed per (process, comm, file
# descriptor), printed and cleared every second
BT_FILETOP = ("tracepoint:syscalls:sys_enter_read,tracepoint:syscalls:sys_enter_pread64 "
              "{ @reads[pid, comm, args->fd] = stats(args->count); } "
              "tracepoint:syscalls:sys_enter_write,tracepoint:syscalls:sys_enter_pwrite64 "
              "{ @writes[pid, comm, args->fd] = stats(args->count); } "
              "interval:s:%d { time(\"%%H:%%M:%%S\\n\"); print(@reads); print(@writes); "
              "clear(@reads); clear(@writes); }" % TOP_INTERVAL_S)
# its four tracepoints and the interval (a perf event each), and bpftrace's perf buffer
BT_FILETOP_ATTACH = 5 + (os.cpu_count() or 1)
SYSCOUNT_P = ["/usr/sbin/syscount", "-P", "-i", str(TOP_INTERVAL_S)]
TMUX = "/usr/bin/tmux"


def _all(*needs):
    """needs: the first reason any of `needs` gives"""
    def need(ctx):
        for n in needs:
            why = n(ctx)
            if why:
                return why
        return None
    return need


# bench/floor/sysops.bpf.c: an enter and/or an exit program per configuration
# (None: that hook stays off), tp_btf
SYSOPS = [
    ("empty-exit", None, "empty", "nothing, sys_exit alone (the floor of one hook)"),
    ("count-exit-only", None, "cnt_pcpu", "count at exit, sys_exit alone: per-CPU "
                                          "array[regs->orig_ax]++"),
    ("count-exit-core", None, "cnt_core", "the same, the number read with BPF_CORE_READ "
                                          "(bpf_probe_read_kernel)"),
    ("count-exit-compat", None, "cnt_compat", "the same as count-exit-only, plus a compat "
                                              "check through the current task"),
    ("empty", "empty", "empty", "nothing (the floor: tp_btf enter + exit)"),
    ("pid", "pid", "pid", "the pid filter check (bpf_get_current_pid_tgid) at both"),
    ("count-enter", "cnt_pcpu", "empty", "count at enter: per-CPU array[id]++"),
    ("count-exit", "empty", "cnt_pcpu", "count at exit: per-CPU array[regs->orig_ax]++"),
    ("count-hash", "empty", "cnt_hash", "count at exit: shared hash[nr] + atomic add "
                                        "(syscount's way)"),
    ("ktime2", "ktime", "ktime", "bpf_ktime_get_ns() at both"),
    ("lat-tstore", "lat_tstore", "lat_tstore", "latency: start in task storage, "
                                              "count + sum in a per-CPU array"),
    ("lat-hash", "lat_hash", "lat_hash", "latency: start in a tid hash (update, lookup, "
                                        "delete), shared hash + atomics (syscount -L's way)"),
]


# kscope container's parts as single commands, with the options it gives each
# (src/container/container.c: sched_argv ... sec_argv): key, arguments, attachments that
# mean attached, the parser of its rows of mixstorm's run, note. kscope-diskio-cgroup (the
# disk scenarios') is the diskio part: its parser knows mixstorm's run.
MIX_SINGLES = [
    ("kscope-sched-cgroup", ["sched", "--by", "cgroup"], 3, parse_mix_sched,
     "CPU time, switches and run-queue latency summed per cgroup (a thread counts in its "
     "latest cgroup): sched_switch, sched_wakeup(_new), and exec/exit"),
    ("kscope-syscall-cgroup-count", ["syscall", "--by", "cgroup", "--count-only"], 1,
     parse_mix_syscall,
     "counts and errors per (cgroup, syscall), no latency: sys_exit alone"),
    ("kscope-fileio-cgroup", ["fileio", "--by", "cgroup"], 2, parse_mix_fileio,
     "reads, writes and fsyncs of files summed per cgroup in a kernel map: sys_enter and "
     "sys_exit"),
    ("kscope-net-cgroup", ["net", "--by", "cgroup"], 4, parse_mix_net,
     "TCP bytes, connections, retransmits and resets per socket cgroup: send/recv lengths, "
     "state changes, destroy, resets"),
    ("kscope-memory-cgroup", ["memory", "--by", "cgroup"], MEMORY_ATTACH, parse_mix_memory,
     "faults, RSS, reclaim stalls and OOM kills per memory cgroup"),
    ("kscope-security-cap-denied", ["security", "--summary", "--by", "cgroup", "--kind", "cap",
                                    "--denied"], SECURITY_CAP_ATTACH, parse_mix_security,
     "denied capability checks counted per (cgroup, capability): cap_capable alone, every "
     "granted check dropped in the kernel"),
]
# the diskio part's attachments (kscope-diskio-cgroup's)
MIX_DISK_ATTACH = 3

TRACERS = {t.key: t for t in [
    Tracer("none", "no tracer", None),
    Tracer("floor-switch", "empty tp_btf sched_switch", _floor("empty_switch"),
           needs=_floor_ready(), min_attach=1,
           note="bench/floor: an empty BPF program on tp_btf/sched_switch, the hook "
                "kscope sched uses on this kernel"),
    Tracer("floor-3", "empty tp_btf switch+wakeup+wakeup_new",
           _floor("empty_switch", "empty_wakeup", "empty_wakeup_new"),
           needs=_floor_ready(), min_attach=3,
           note="bench/floor: empty programs on the three tp_btf hooks both kscope sched "
                "and runqlat use per switch/wakeup: the price of the hooks alone"),
    Tracer("kscope", "kscope sched", lambda ctx: [ctx.kscope, "sched"], min_attach=3,
           note="summary mode, table printed at SIGINT (to a file)"),
    Tracer("kscope-hist", "kscope sched --hist", lambda ctx: [ctx.kscope, "sched", "--hist"],
           min_attach=3, note="plus the log2 run-queue latency histogram (key: all)"),
    Tracer("runqlat", "runqlat (libbpf-tools)", lambda ctx: ["/usr/sbin/runqlat"],
           needs=_have("/usr/sbin/runqlat"), min_attach=3,
           note="Debian libbpf-tools; one histogram of run-queue latency, printed at SIGINT"),
    Tracer("bpftrace", "bpftrace runqlat.bt",
           lambda ctx: [_bpftrace_path(), os.path.join(BENCH, "peers", "runqlat.bt")],
           needs=lambda ctx: None if shutil.which("bpftrace") else
           "bpftrace not installed (optional: apt-get install bpftrace)",
           min_attach=3,
           note="extra peer, only if bpftrace is installed: bench/peers/runqlat.bt, plain "
                "tracepoints attached through perf events"),
] + [
    # syscalls: the floor (empty programs on raw_syscalls:sys_enter/sys_exit, per hook type)
    Tracer("floor-sys-%s%s" % (hk, "" if both else "-enter"),
           "empty %s sys_enter%s" % (label, "+sys_exit" if both else ""),
           _floor(*(["sys_enter_" + hk] + (["sys_exit_" + hk] if both else [])),
                  obj="sys.bpf.o"),
           needs=_floor_ready("sys.bpf.o"), min_attach=(2 if both else 1) * per_attach,
           note="bench/floor/sys.bpf.c: %s%s" % (
               "empty programs on %s sys_enter and sys_exit (both: what any latency "
               "tracer needs)" % label if both else "an empty program on %s sys_enter alone"
               % label, why))
    for hk, label, per_attach, why in [
        ("btf", "tp_btf", 1, "; tp_btf is the hook kscope prefers"),
        ("raw", "raw_tp", 1, ""),
        ("tp", "tracepoint", 2, "; the plain tracepoint (through a perf event) is the hook "
                                "syscount and bpftrace use")]
    for both in (False, True)
] + [
    Tracer("kscope-syscall", "kscope syscall", lambda ctx: [ctx.kscope, "syscall"],
           needs=_kscope_has("syscall"), min_attach=2, parse=parse_kscope_table,
           note="counting summary mode (per-syscall count and latency), table printed at "
                "SIGINT (to a file)"),
    Tracer("kscope-syscall-count", "kscope syscall --count-only",
           lambda ctx: [ctx.kscope, "syscall", "--count-only"],
           needs=_kscope_has("syscall"), min_attach=1, parse=parse_kscope_table,
           note="counts and errors per syscall without latency: sys_exit alone, a per-CPU "
                "array slot per call (what syscount measures without -L)"),
    Tracer("kscope-syscall-e", "kscope syscall -e getppid",
           lambda ctx: [ctx.kscope, "syscall", "-e", "getppid"],
           needs=_kscope_has("syscall"), min_attach=2,
           note="counting only getppid (the syscall filter in the kernel, matching "
                "every call of the storm)"),
    Tracer("kscope-syscall-e-other", "kscope syscall -e openat",
           lambda ctx: [ctx.kscope, "syscall", "-e", "openat"],
           needs=_kscope_has("syscall"), min_attach=2,
           note="counting only openat: the storm's getppid() calls are filtered out at "
                "sys_enter, what kscope costs the syscalls it does not count"),
    Tracer("syscount", "syscount (libbpf-tools)", lambda ctx: ["/usr/sbin/syscount"],
           needs=_have("/usr/sbin/syscount"), min_attach=SYSCOUNT_ATTACH,
           parse=parse_syscall_table,
           note="Debian libbpf-tools; counts per syscall (hash + atomic add at sys_exit), "
                "top 10 printed at SIGINT"),
    Tracer("syscount-L", "syscount -L (libbpf-tools)",
           lambda ctx: ["/usr/sbin/syscount", "-L"], needs=_have("/usr/sbin/syscount"),
           min_attach=2 * SYSCOUNT_ATTACH, parse=parse_syscall_table,
           note="plus latency: start time per thread in a hash at sys_enter, looked up and "
                "deleted at sys_exit"),
    Tracer("bpftrace-probe", "bpftrace @[probe] = count()",
           lambda ctx: [_bpftrace_path(), "-e", BT_COUNT % "probe"], needs=_bpftrace_ready,
           min_attach=BT_ATTACH,
           note="one-liner: " + BT_COUNT % "probe"),
    Tracer("bpftrace-pid", "bpftrace @[pid] = count()",
           lambda ctx: [_bpftrace_path(), "-e", BT_COUNT % "pid"], needs=_bpftrace_ready,
           min_attach=BT_ATTACH,
           note="one-liner: " + BT_COUNT % "pid"),
] + [
    # streaming: opens (kscope fileio) and execs (kscope proc), and their peers
    Tracer("kscope-fileio", "kscope fileio -j -o FILE",
           lambda ctx: [ctx.kscope, "fileio", "-j", "-o", ctx.data],
           needs=_kscope_has("fileio"), min_attach=2, parse=parse_kscope_fileio,
           note="every open streamed as NDJSON to a file; reads/writes summed per file in "
                "the kernel, the per-file summary at SIGINT"),
    Tracer("kscope-fileio-opens", "kscope fileio --no-summary -j -o FILE",
           lambda ctx: [ctx.kscope, "fileio", "--no-summary", "-j", "-o", ctx.data],
           needs=_kscope_has("fileio"), min_attach=2, parse=parse_kscope_fileio,
           note="opens only, as opensnoop: no per-file summary and no descriptor tracking"),
    Tracer("kscope-fileio-stopped", "kscope fileio -j --comm openstorm, stopped",
           lambda ctx: [ctx.kscope, "fileio", "-j", "-o", ctx.data, "--comm", "openstorm"],
           needs=_kscope_has("fileio"), min_attach=2, parse=parse_kscope_fileio, sigstop=True,
           note="overload: the reader is stopped (SIGSTOP) for the whole storm, so the 4 MiB "
                "ring buffer fills and every later open is lost; --comm (in the kernel) keeps "
                "other processes' opens out, so delivered + lost must be exactly the storm's"),
    Tracer("kscope-fileio-top", "kscope fileio --top (no stream)",
           lambda ctx: [ctx.kscope, "fileio", "--top", "-o", ctx.data],
           needs=_kscope_has("fileio"), min_attach=2,
           note="the same programs with no open streamed: descriptor tracking and per-file "
                "sums only; what streaming adds is the difference"),
    Tracer("kscope-fileio-top1", "kscope fileio --top 1 -j -o FILE",
           lambda ctx: [ctx.kscope, "fileio", "--top", "1", "-j", "-o", ctx.data],
           needs=_kscope_has("fileio"), min_attach=2,
           note="the per-file summary every second, nothing streamed"),
    Tracer("before-fileio-top1", "before: kscope fileio --top 1 -j -o FILE",
           lambda ctx: [ctx.kscope_before, "fileio", "--top", "1", "-j", "-o", ctx.data],
           needs=_before_ready, min_attach=2,
           note="the same, the build given with --kscope-before"),
    Tracer("before-fileio", "before: kscope fileio -j -o FILE",
           lambda ctx: [ctx.kscope_before, "fileio", "-j", "-o", ctx.data],
           needs=_before_ready, min_attach=2,
           note="default mode, the build given with --kscope-before"),
    Tracer("opensnoop", "opensnoop (libbpf-tools)", lambda ctx: ["/usr/sbin/opensnoop"],
           needs=_have("/usr/sbin/opensnoop"), min_attach=4, parse=parse_peer_lines,
           note="Debian libbpf-tools; sys_enter/exit_openat tracepoints, a perf buffer, one "
                "line per open on stdout (to a file)"),
    Tracer("opensnoop-stopped", "opensnoop -n openstorm, stopped",
           lambda ctx: ["/usr/sbin/opensnoop", "-n", "openstorm"],
           needs=_have("/usr/sbin/opensnoop"), min_attach=4, parse=parse_peer_lines,
           sigstop=True, note="overload, as kscope's; -n filters in userspace"),
    Tracer("bpftrace-open", "bpftrace printf on sys_enter_openat",
           lambda ctx: [_bpftrace_path(), "-e", BT_OPEN % ""], needs=_bpftrace_ready,
           min_attach=BT_ATTACH, parse=parse_peer_lines, note="one-liner: " + BT_OPEN % ""),
    Tracer("bpftrace-opensnoop", "bpftrace opensnoop.bt",
           lambda ctx: [_bpftrace_path(), "/usr/sbin/opensnoop.bt"],
           needs=lambda ctx: _bpftrace_ready(ctx) or _have("/usr/sbin/opensnoop.bt")(ctx),
           min_attach=BT_ATTACH, parse=parse_peer_lines,
           note="bpftrace's own opensnoop.bt (open and openat, entry and exit: fd and errno "
                "like the others)"),
    Tracer("bpftrace-open-stopped", "bpftrace printf /comm == openstorm/, stopped",
           lambda ctx: [_bpftrace_path(), "-e", BT_OPEN % '/comm == "openstorm"/ '],
           needs=_bpftrace_ready, min_attach=BT_ATTACH, parse=parse_peer_lines, sigstop=True,
           note="overload, as kscope's; the comm filter in the kernel"),
    Tracer("floor-proc", "empty tp_btf fork+exec+exit",
           _floor("empty_fork", "empty_exec", "empty_exit", obj="proc.bpf.o"),
           needs=_floor_ready("proc.bpf.o"), min_attach=3,
           note="bench/floor/proc.bpf.c: empty programs on the three hooks kscope proc uses"),
    Tracer("kscope-proc", "kscope proc -j -o FILE",
           lambda ctx: [ctx.kscope, "proc", "-j", "-o", ctx.data],
           needs=_kscope_has("proc"), min_attach=3, parse=parse_kscope_proc,
           note="fork, exec (filename and argv) and exit streamed as NDJSON to a file: three "
                "records per iteration"),
    Tracer("kscope-proc-exec", "kscope proc -e exec -j -o FILE",
           lambda ctx: [ctx.kscope, "proc", "-e", "exec", "-j", "-o", ctx.data],
           needs=_kscope_has("proc"), min_attach=1, parse=parse_kscope_proc,
           note="execs only, what execsnoop shows"),
    Tracer("kscope-hello", "kscope hello -j -o FILE",
           lambda ctx: [ctx.kscope, "hello", "-j", "-o", ctx.data],
           needs=_kscope_has("hello"), min_attach=1, parse=parse_kscope_hello,
           note="the smallest command: one record per exec (pid, comm, filename), no argv"),
    Tracer("execsnoop", "execsnoop (libbpf-tools)", lambda ctx: ["/usr/sbin/execsnoop"],
           needs=_have("/usr/sbin/execsnoop"), min_attach=4, parse=parse_peer_lines,
           note="Debian libbpf-tools; sys_enter/exit_execve tracepoints (argv copied at "
                "entry, printed at exit), a perf buffer, one line per exec"),
    Tracer("bpftrace-execsnoop", "bpftrace execsnoop.bt",
           lambda ctx: [_bpftrace_path(), "/usr/sbin/execsnoop.bt"],
           needs=lambda ctx: _bpftrace_ready(ctx) or _have("/usr/sbin/execsnoop.bt")(ctx),
           min_attach=BT_ATTACH, parse=parse_peer_lines,
           note="bpftrace's own execsnoop.bt: printf + join(argv) at sys_enter_exec*"),
] + [
    # net: the connection storm and the bulk transfer (bench/connstorm.c)
    Tracer("floor-net", "empty tp_btf state+destroy+send+recv",
           _floor("empty_state", "empty_destroy", "empty_send", "empty_recv", obj="net.bpf.o"),
           needs=_floor_ready("net.bpf.o"), min_attach=4,
           note="bench/floor/net.bpf.c: empty programs on the four hooks kscope net uses by "
                "default (inet_sock_set_state, tcp_destroy_sock, sock_send_length, "
                "sock_recv_length)"),
    Tracer("kscope-net", "kscope net -j -o FILE",
           lambda ctx: [ctx.kscope, "net", "-j", "-o", ctx.data],
           needs=_kscope_has("net"), min_attach=4, parse=parse_kscope_net,
           note="one NDJSON row per connection side as it closes (owner, 4-tuple, exact "
                "application bytes, the kernel's wire, retransmit and RTT counters), to a file"),
    Tracer("tcplife", "tcplife (libbpf-tools)",
           lambda ctx: ["stdbuf", "-oL", "/usr/sbin/tcplife"],
           needs=lambda ctx: _have("/usr/sbin/tcplife")(ctx) or (
               None if shutil.which("stdbuf") else "stdbuf not installed"),
           min_attach=PERFBUF_ATTACH, parse=parse_tcplife,
           note="Debian libbpf-tools; tracepoint sock:inet_sock_set_state, a perf buffer, one "
                "line per connection side as it closes (bytes in KiB with two decimals); "
                "under stdbuf -oL, without which its buffered stdout can be lost at the end"),
    Tracer("tcpstates", "tcpstates (libbpf-tools)",
           lambda ctx: ["stdbuf", "-oL", "/usr/sbin/tcpstates"],
           needs=lambda ctx: _have("/usr/sbin/tcpstates")(ctx) or (
               None if shutil.which("stdbuf") else "stdbuf not installed"),
           min_attach=PERFBUF_ATTACH, parse=parse_tcpstates,
           note="Debian libbpf-tools; tracepoint sock:inet_sock_set_state, a perf buffer, one "
                "line per state change (about 5 per connection side); stdbuf -oL as tcplife"),
] + [
    # disk: diostorm's O_DIRECT writes to a loop device (bench/diostorm.c)
    Tracer("floor-disk", "empty tp_btf io_start+insert+issue+complete",
           _floor("empty_io_start", "empty_insert", "empty_issue", "empty_complete",
                  obj="disk.bpf.o"),
           needs=_floor_ready("disk.bpf.o"), min_attach=4,
           note="bench/floor/disk.bpf.c: empty programs on the four hooks kscope diskio "
                "uses on this kernel (block_io_start, block_rq_insert, block_rq_issue, "
                "block_rq_complete)"),
    Tracer("floor-disk-lat", "tp_btf issue+complete: hash of rq + a counter",
           _floor("lat_issue", "lat_complete", obj="disk.bpf.o"),
           needs=_floor_ready("disk.bpf.o"), min_attach=2,
           note="bench/floor/disk.bpf.c: the least a latency tracer does: the time at issue "
                "in a hash keyed by the request pointer, looked up and deleted at "
                "completion, count and sum in one array slot (biolatency without its "
                "histogram, filters and keys)"),
    Tracer("kscope-diskio", "kscope diskio -j -o FILE",
           lambda ctx: [ctx.kscope, "diskio", "-j", "-o", ctx.data],
           needs=_kscope_has("diskio"), min_attach=3, parse=parse_kscope_diskio,
           note="system-wide (every device, as biolatency), summary rows per (device, op, "
                "sync) at SIGINT, to a file: requests, bytes, errors, queue and device time "
                "(avg, p50, p99, max), sequential/random"),
    Tracer("kscope-diskio-cgroup", "kscope diskio --by cgroup -j -o FILE",
           lambda ctx: [ctx.kscope, "diskio", "--by", "cgroup", "-j", "-o", ctx.data],
           needs=_kscope_has("diskio"), min_attach=3, parse=parse_kscope_diskio,
           note="the same, rows per (device, op, sync, cgroup): the request's blkcg"),
    Tracer("biolatency", "biolatency (libbpf-tools)", lambda ctx: ["/usr/sbin/biolatency"],
           needs=_have("/usr/sbin/biolatency"), min_attach=2, parse=parse_biolatency,
           note="Debian libbpf-tools; raw_tp block_rq_issue + block_rq_complete (start time "
                "in a hash keyed by request), one log2 histogram of device time over every "
                "device, printed at SIGINT"),
    Tracer("biolatency-Q", "biolatency -Q (libbpf-tools)",
           lambda ctx: ["/usr/sbin/biolatency", "-Q"],
           needs=_have("/usr/sbin/biolatency"), min_attach=3, parse=parse_biolatency,
           note="plus block_rq_insert: the histogram of insert (else issue) -> complete, "
                "queue time included"),
    Tracer("bitesize", "bitesize (libbpf-tools)", lambda ctx: ["/usr/sbin/bitesize"],
           needs=_have("/usr/sbin/bitesize"), min_attach=1, parse=parse_bitesize,
           note="Debian libbpf-tools; raw_tp block_rq_issue, a log2 size histogram per "
                "process name (the task at issue)"),
    Tracer("biopattern", "biopattern (libbpf-tools)", lambda ctx: ["/usr/sbin/biopattern"],
           needs=_have("/usr/sbin/biopattern"), min_attach=2, parse=parse_biopattern,
           note="Debian libbpf-tools; tracepoint block_rq_complete (a perf event), random "
                "vs sequential counts per disk"),
] + [
    # memory: faultstorm's page faults (bench/faultstorm.c)
    Tracer("floor-mem", "empty tp_btf page_fault_user", _floor("empty_fault", obj="mem.bpf.o"),
           needs=_floor_ready("mem.bpf.o"), min_attach=1,
           note="bench/floor/mem.bpf.c: an empty program on tp_btf/page_fault_user, the hook "
                "kscope memory counts faults on: the price of the hook alone"),
    Tracer("floor-mem-count", "tp_btf page_fault_user: per-CPU array slot++",
           _floor("count_fault", obj="mem.bpf.o"), needs=_floor_ready("mem.bpf.o"),
           min_attach=1,
           note="bench/floor/mem.bpf.c: the least a fault counter does, one per-CPU array "
                "slot incremented per fault"),
    Tracer("kscope-memory", "kscope memory -j -o FILE",
           lambda ctx: [ctx.kscope, "memory", "-j", "-o", ctx.data],
           needs=_kscope_has("memory"), min_attach=MEMORY_ATTACH, parse=parse_kscope_memory,
           note="system-wide, summary rows per process at SIGINT, to a file: faults "
                "(read/write/exec), minor/major, RSS and its peak, reclaim stalls, OOM "
                "kills; probes on page_fault_user, sched_process_exit, direct and memcg "
                "reclaim begin/end, mark_victim"),
    Tracer("bpftrace-faults", "bpftrace @[comm] = count() on page_fault_user",
           lambda ctx: [_bpftrace_path(), "-e", BT_FAULTS], needs=_bpftrace_ready,
           min_attach=BT_ATTACH, parse=parse_bpftrace_comm,
           note="one-liner: " + BT_FAULTS + " (a plain tracepoint through a perf event; the "
                "map printed at SIGINT)"),
] + [
    # security: capstorm's capability checks (bench/capstorm.c), and the getppid storm
    # (bench/sysstorm.c) for what it costs the syscalls it does not report
    Tracer("floor-cap", "empty tp_btf cap_capable", _floor("empty_cap", obj="cap.bpf.o"),
           needs=_floor_ready("cap.bpf.o"), min_attach=1,
           note="bench/floor/cap.bpf.c: an empty program on tp_btf/cap_capable, the hook "
                "kscope security sees capability checks on: the price of the hook alone"),
    Tracer("floor-cap-count", "tp_btf cap_capable: per-CPU array slot++",
           _floor("count_cap", obj="cap.bpf.o"), needs=_floor_ready("cap.bpf.o"),
           min_attach=1,
           note="bench/floor/cap.bpf.c: the least a check counter does, one per-CPU array "
                "slot incremented per check"),
    Tracer("kscope-security", "kscope security -j -o FILE",
           lambda ctx: [ctx.kscope, "security", "-j", "-o", ctx.data],
           needs=_kscope_has("security"), min_attach=SECURITY_ATTACH,
           parse=parse_kscope_security,
           note="default mode, system-wide, streamed as NDJSON to a file: denials, and only "
                "the first grant per (process, capability), every later grant dropped in the "
                "kernel after one hash lookup (so no count of the storm's checks); plus the "
                "privilege syscalls at their own tracepoints (syscalls:sys_enter_NAME, "
                "sys_exit_NAME), raw_syscalls sys_exit for those without (the module "
                "syscalls of this kernel, built without modules), and set-id execs at "
                "sched_process_exec"),
    Tracer("kscope-security-nomod", "kscope security --kind (all but module) -j -o FILE",
           lambda ctx: [ctx.kscope, "security", "--kind", "cap,setid,suid,ptrace,bpf,mount,ns",
                        "-j", "-o", ctx.data],
           needs=_kscope_has("security"), min_attach=SECURITY_ATTACH,
           parse=parse_kscope_security,
           note="the default mode without module load attempts: every watched syscall has "
                "its own tracepoints then, so no raw_syscalls program runs; what the default "
                "mode costs on a kernel built with modules (whose module syscalls have "
                "tracepoints), measured here"),
    Tracer("kscope-security-summary", "kscope security --summary -j -o FILE",
           lambda ctx: [ctx.kscope, "security", "--summary", "-j", "-o", ctx.data],
           needs=_kscope_has("security"), min_attach=SECURITY_ATTACH,
           parse=parse_kscope_security_stat,
           note="every check counted in the kernel per (process, capability, verdict), the "
                "privilege syscalls too; security_stat rows at SIGINT, to a file"),
    Tracer("kscope-security-cap", "kscope security --kind cap --summary -j -o FILE",
           lambda ctx: [ctx.kscope, "security", "--kind", "cap", "--summary", "-j", "-o",
                        ctx.data],
           needs=_kscope_has("security"), min_attach=SECURITY_CAP_ATTACH,
           parse=parse_kscope_security_stat,
           note="capability checks only, counted as --summary does: cap_capable alone, no "
                "syscall hook"),
    Tracer("bpftrace-caps", "bpftrace @[pid, cap, ret] = count() on cap_capable",
           lambda ctx: [_bpftrace_path(), "-e", BT_CAPS], needs=_bpftrace_ready,
           min_attach=BT_ATTACH, parse=parse_bpftrace_caps,
           note="one-liner: " + BT_CAPS + " (a plain tracepoint through a perf event; the "
                "map printed at SIGINT); the stand-in for capable: libbpf-tools capable "
                "attaches a kprobe on cap_capable, which this kernel does not have "
                "(no kprobes), and bpftrace's capable.bt is a kprobe too"),
    Tracer("bpftrace-setuids", "bpftrace setuids.bt",
           lambda ctx: [_bpftrace_path(), SETUIDS_BT],
           needs=lambda ctx: _bpftrace_ready(ctx) or _have(SETUIDS_BT)(ctx),
           min_attach=SETUIDS_ATTACH,
           note="bpftrace's own setuids.bt: the per-syscall tracepoints sys_enter/sys_exit of "
                "setuid, setfsuid and setresuid (a printf per call); enabling any "
                "syscalls:* tracepoint sends every syscall through the slow path, as "
                "raw_syscalls does"),
] + [
    # container: mixstorm's operations (bench/mixstorm.c), under kscope container and under
    # each of its parts run alone with the options the container gives it
    # (src/container/container.c: *_argv), all -j to a file, rows at SIGINT
    Tracer(key, "kscope %s -j -o FILE" % " ".join(args),
           lambda ctx, args=args: [ctx.kscope, *args, "-j", "-o", ctx.data],
           needs=_kscope_has(args[0]), min_attach=n, parse=parse, note=note)
    for key, args, n, parse, note in MIX_SINGLES
] + [
    Tracer("kscope-container", "kscope container -j -o FILE",
           lambda ctx: [ctx.kscope, "container", "-j", "-o", ctx.data],
           needs=_kscope_has("container"),
           min_attach=sum(n for _, _, n, _, _ in MIX_SINGLES) + MIX_DISK_ATTACH +
               CONTAINER_OWN_ATTACH,
           parse=parse_mix_container,
           note="every area (cpu, syscall, file, net, disk, memory, security): the seven "
                "commands below as parts of one process, their rows per cgroup folded into "
                "a row per container and one for the host, plus its own programs on "
                "cgroup_mkdir, cgroup_rmdir and cgroup_attach_task; container_stat rows at "
                "SIGINT, to a file"),
] + [
    # the agent (kscope agent, a Prometheus exporter): as an exporter scraped side by side
    # with Debian's node_exporter (the scrape scenario; ctx.ports: a free port each), and
    # as a tracer on the storms, against the single command each collector runs
    # (src/agent/agent.c: sys_argv ... sec_argv): on an ephemeral port, nobody scrapes it
    Tracer("exporter-kscope-agent", "kscope agent",
           lambda ctx: [ctx.kscope, "agent", "--web.listen-address=127.0.0.1:%d" %
                        ctx.ports.get("exporter-kscope-agent", 0),
                        "--collect.interval=%ds" % AGENT_INTERVAL_S],
           needs=_kscope_has("agent"), min_attach=AGENT_ATTACH,
           note="every default collector (syscall, sched, proc, fileio, net, diskio, memory, "
                "security); its maps read every --collect.interval=%ds in the background, the "
                "text rendered and gzip'd once per collection; a scrape copies the last "
                "rendering" % AGENT_INTERVAL_S),
    Tracer("exporter-node", "prometheus-node-exporter",
           lambda ctx: [NODE_EXPORTER, "--web.listen-address=127.0.0.1:%d" %
                        ctx.ports.get("exporter-node", 0)],
           needs=_have(NODE_EXPORTER), min_attach=0,
           note="Debian's package, its default collectors (/etc/default's ARGS is empty); "
                "it reads /proc and /sys at each scrape, its collectors in parallel "
                "goroutines, GOMAXPROCS from its CPU affinity (one CPU here)"),
    Tracer("kscope-syscall-hist", "kscope syscall --hist",
           lambda ctx: [ctx.kscope, "syscall", "--hist"],
           needs=_kscope_has("syscall"), min_attach=2,
           note="the command the agent's syscall collector runs: counts, errors by errno and "
                "a log2 latency histogram per syscall; table printed at SIGINT (to a file)"),
    Tracer("kscope-sched-cgroup-C", "kscope sched --by cgroup -C",
           lambda ctx: [ctx.kscope, "sched", "--by", "cgroup", "-C"],
           needs=_kscope_has("sched"), min_attach=5,
           note="the command the agent's sched collector runs: CPU time, switches and "
                "run-queue latency per cgroup with container labels"),
    Tracer("kscope-agent-syscall", "kscope agent --collector.disable-defaults "
           "--collector.syscall",
           lambda ctx: [ctx.kscope, "agent", "--web.listen-address=127.0.0.1:0",
                        "--collect.interval=%ds" % AGENT_INTERVAL_S,
                        "--collector.disable-defaults", "--collector.syscall"],
           needs=_kscope_has("agent"), min_attach=2,
           note="the agent with its syscall collector alone (`syscall --hist` as a part), "
                "not scraped"),
    Tracer("kscope-agent-sched", "kscope agent --collector.disable-defaults "
           "--collector.sched",
           lambda ctx: [ctx.kscope, "agent", "--web.listen-address=127.0.0.1:0",
                        "--collect.interval=%ds" % AGENT_INTERVAL_S,
                        "--collector.disable-defaults", "--collector.sched"],
           needs=_kscope_has("agent"), min_attach=5,
           note="the agent with its sched collector alone (`sched --by cgroup -C` as a part), "
                "not scraped"),
    Tracer("kscope-agent-diskio", "kscope agent --collector.disable-defaults "
           "--collector.diskio",
           lambda ctx: [ctx.kscope, "agent", "--web.listen-address=127.0.0.1:0",
                        "--collect.interval=%ds" % AGENT_INTERVAL_S,
                        "--collector.disable-defaults", "--collector.diskio"],
           needs=_kscope_has("agent"), min_attach=4,
           note="the agent with its diskio collector alone (`diskio` as a part), not scraped"),
    Tracer("kscope-agent", "kscope agent (every default collector)",
           lambda ctx: [ctx.kscope, "agent", "--web.listen-address=127.0.0.1:0",
                        "--collect.interval=%ds" % AGENT_INTERVAL_S],
           needs=_kscope_has("agent"), min_attach=AGENT_ATTACH,
           note="all eight default collectors, not scraped"),
] + [
    # kscope top: its cost on a read storm (bench/readstorm.c) against the peers that show
    # part of what it shows, every second: syscalls per process (syscount -P) and file I/O
    # per process and file (filetop, here on tracepoints), run together
    Tracer("kscope-top-b", "kscope top -b -d %d" % TOP_INTERVAL_S,
           lambda ctx: [ctx.kscope, "top", "-b", "-d", str(TOP_INTERVAL_S)],
           needs=_kscope_has("top"), min_attach=TOP_ATTACH, parse=parse_kscope_top_text,
           note="batch mode: a text block per second (summary lines, a row per process that "
                "did something) to its stdout, a file on tmpfs"),
    Tracer("kscope-top-j", "kscope top -j -d %d -o FILE" % TOP_INTERVAL_S,
           lambda ctx: [ctx.kscope, "top", "-j", "-d", str(TOP_INTERVAL_S), "-o", ctx.data],
           needs=_kscope_has("top"), min_attach=TOP_ATTACH, parse=parse_kscope_top_json,
           note="the same as NDJSON to a file: the interval's exact amounts per process "
                "(here: the storm's read bytes, counted)"),
    Tracer("top-peers", "syscount -P -i %d + filetop.bt (together)" % TOP_INTERVAL_S,
           lambda ctx: SYSCOUNT_P, also=lambda ctx: [[_bpftrace_path(), "-e", BT_FILETOP]],
           needs=_all(_have(SYSCOUNT_P[0]), _bpftrace_ready),
           min_attach=SYSCOUNT_ATTACH + BT_FILETOP_ATTACH, parse=parse_top_peers,
           note="the two peers as two processes at once, measured as one (CPU time and peak "
                "RSS summed): libbpf-tools syscount -P -i %d (syscalls per process, sys_exit "
                "counted in a hash) and the filetop-style bpftrace script (reads and writes "
                "per process and descriptor, at their syscalls' own tracepoints), each "
                "printing every second" % TOP_INTERVAL_S),
    Tracer("syscount-P", "syscount -P -i %d (libbpf-tools)" % TOP_INTERVAL_S,
           lambda ctx: SYSCOUNT_P, needs=_have(SYSCOUNT_P[0]), min_attach=SYSCOUNT_ATTACH,
           parse=parse_syscount_pid,
           note="Debian libbpf-tools; syscalls counted per process (sys_exit, a hash and an "
                "atomic add), the table printed every second"),
    Tracer("bpftrace-filetop", "bpftrace filetop-style (syscall tracepoints)",
           lambda ctx: [_bpftrace_path(), "-e", BT_FILETOP], needs=_bpftrace_ready,
           min_attach=BT_FILETOP_ATTACH, parse=parse_bpftrace_filetop,
           note="libbpf-tools filetop needs kprobes (vfs_read, vfs_write), which this kernel "
                "does not have; this one-liner is its stand-in: " + BT_FILETOP),
] + [
    # kscope top against top and htop (the top-cpu scenario, kbench.top): each view's own
    # CPU per refresh at the same interval, full-screen in a terminal (tmux) or batch
    Tracer("view-kscope-top", "kscope top -d %d (full-screen)" % TOP_INTERVAL_S,
           lambda ctx: [ctx.kscope, "top", "-d", str(TOP_INTERVAL_S)],
           needs=_all(_kscope_has("top"), _have(TMUX)), min_attach=TOP_ATTACH, view="tty",
           interval_s=TOP_INTERVAL_S,
           note="its TUI in a tmux pane: the processes that did something in the interval, "
                "with CPU, run-queue wait, syscalls, file, disk and net bytes"),
    Tracer("view-top", "top -d %d (procps, full-screen)" % TOP_INTERVAL_S,
           lambda ctx: ["/usr/bin/top", "-d", str(TOP_INTERVAL_S)],
           needs=_all(_have("/usr/bin/top"), _have(TMUX)), min_attach=0, view="tty",
           interval_s=TOP_INTERVAL_S,
           note="Debian procps, its default settings (no toprc): every process, from /proc"),
    Tracer("view-htop", "htop -d %d (full-screen)" % (TOP_INTERVAL_S * 10),
           lambda ctx: ["/usr/bin/htop", "-d", str(TOP_INTERVAL_S * 10)],
           needs=_all(_have("/usr/bin/htop"), _have(TMUX)), min_attach=0, view="tty",
           interval_s=TOP_INTERVAL_S,
           note="Debian htop, its default settings (no htoprc): every process and its "
                "threads, from /proc; -d is in tenths of a second"),
    Tracer("view-kscope-top-b", "kscope top -b -d %d > FILE" % TOP_INTERVAL_S,
           lambda ctx: [ctx.kscope, "top", "-b", "-d", str(TOP_INTERVAL_S)],
           needs=_kscope_has("top"), min_attach=TOP_ATTACH, view="batch",
           interval_s=TOP_INTERVAL_S, frame_re=TOP_FRAME_RE,
           note="batch mode, its text to a file on tmpfs"),
    Tracer("view-top-b", "top -b -d %d > FILE (procps)" % TOP_INTERVAL_S,
           lambda ctx: ["/usr/bin/top", "-b", "-d", str(TOP_INTERVAL_S)],
           needs=_have("/usr/bin/top"), min_attach=0, view="batch", interval_s=TOP_INTERVAL_S,
           frame_re=PROCPS_FRAME_RE,
           note="batch mode, every process each second, to a file on tmpfs"),
] + [
    Tracer("nopre-" + cmd, "kscope %s%s, no pre-check" % (cmd, " -j -o FILE" if stream else ""),
           lambda ctx, cmd=cmd, stream=stream: [ctx.kscope, cmd] + (
               ["-j", "-o", ctx.data] if stream else []) + NO_PRECHECK,
           needs=_kscope_has(cmd), min_attach=n,
           note="start-up only: " + " ".join(NO_PRECHECK) + " (tp_btf, the hook the "
                "pre-check picks on this kernel, loaded without testing hooks first)")
    for cmd, stream, n in (("proc", True, 3), ("sched", False, 3), ("syscall", False, 2),
                           ("fileio", True, 2))
] + [
    Tracer("sop-" + key, "sysop: " + text,
           _floor(*progs, obj="sysops.bpf.o"),
           needs=_floor_ready("sysops.bpf.o"), min_attach=len(progs),
           note="bench/floor/sysops.bpf.c " + " + ".join(progs))
    for key, progs, text in [(k, [p + "_" + n for p, n in (("en", en), ("ex", ex)) if n], t)
                             for k, en, ex, t in SYSOPS]
] + [
    Tracer("op-" + op.replace("_", "-"), "op: " + text,
           _floor("op_" + op, obj="ops.bpf.o"), needs=_floor_ready("ops.bpf.o"),
           note="bench/floor/ops.bpf.c op_" + op)
    for op, text in OPS
]}

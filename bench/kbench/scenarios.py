"""kbench.scenarios: the scenarios (SCENARIOS): a workload, its size, the tracer
configurations measured on it, the hooks no one else may be on, and its kind (storm,
startup, soak)."""
from .common import Scenario
from .tracers import OPS, SYSOPS
from .top import churning, sleepers, together
from .workloads import (bulkxfer, capstorm, churn, connstorm, cswitch, diostorm, execstorm,
                        faultstorm, loop_device, mixstorm, openstorm, readstorm, scraper,
                        sysstorm, writestorm)

SCHED_TRACERS = ["none", "floor-switch", "floor-3", "kscope", "kscope-hist", "runqlat",
                 "bpftrace"]

SCHED_HOOKS = ("sched_switch", "sched_wakeup", "sched_wakeup_new")
SYS_HOOKS = ("sys_enter", "sys_exit")

SYS_TRACERS = ["none", "floor-sys-btf-enter", "floor-sys-btf", "floor-sys-tp",
               "kscope-syscall", "kscope-syscall-count", "kscope-syscall-e",
               "kscope-syscall-e-other", "syscount", "syscount-L", "bpftrace-probe", "bpftrace-pid"]

OPEN_HOOKS = SYS_HOOKS + ("sys_enter_openat", "sys_exit_openat", "sys_enter_open",
                         "sys_exit_open")
EXEC_HOOKS = ("sched_process_fork", "sched_process_exec", "sched_process_exit",
              "sys_enter_execve", "sys_exit_execve")

OPEN_TRACERS = ["none", "floor-sys-btf", "kscope-fileio", "kscope-fileio-opens",
                "kscope-fileio-top", "opensnoop",
                "bpftrace-open", "bpftrace-opensnoop"]
OVERLOAD_TRACERS = ["none", "kscope-fileio", "kscope-fileio-stopped", "opensnoop-stopped",
                    "bpftrace-open-stopped"]
EXEC_TRACERS = ["none", "floor-proc", "kscope-proc", "kscope-proc-exec", "kscope-hello",
                "execsnoop", "bpftrace-execsnoop"]
WRITE_TRACERS = ["none", "floor-sys-btf", "kscope-fileio", "kscope-syscall-count",
                 "kscope-syscall", "syscount", "syscount-L"]
# start-up: every kscope tracing command, its peers, and the smallest libbpf loader there
# is (bench/floor with one empty program: the cost of libbpf itself); and each kscope
# command without its hook pre-check (tp_btf loaded directly): what the pre-check costs
STARTUP_TRACERS = ["floor-switch", "kscope-hello", "kscope-proc", "kscope", "kscope-syscall",
                   "kscope-fileio",
                   "execsnoop", "opensnoop", "syscount", "runqlat", "bpftrace-execsnoop",
                   "bpftrace-open"] + ["nopre-" + c for c in ("proc", "sched", "syscall",
                                                              "fileio")]

NET_HOOKS = ("inet_sock_set_state", "tcp_destroy_sock", "sock_send_length", "sock_recv_length")
NET_TRACERS = ["none", "floor-net", "kscope-net", "tcplife", "tcpstates"]

DISK_HOOKS = ("block_io_start", "block_rq_insert", "block_rq_issue", "block_rq_complete")
DISK_TRACERS = ["none", "floor-disk", "floor-disk-lat", "kscope-diskio", "kscope-diskio-cgroup",
                "biolatency", "biolatency-Q", "bitesize", "biopattern"]
# through mq-deadline: the tracers whose work changes when requests are inserted (queue
# time); bitesize and biopattern do the same at issue or completion as without it
DISK_MQ_TRACERS = ["none", "floor-disk-lat", "kscope-diskio", "biolatency", "biolatency-Q"]

# kscope memory's hooks (kscope memory -v: "kscope: probe NAME: HOOK"); the storm fires
# page_fault_user only (and sched_process_exit once, at its end)
MEM_HOOKS = ("page_fault_user", "sched_process_exit", "mm_vmscan_direct_reclaim_begin",
             "mm_vmscan_direct_reclaim_end", "mm_vmscan_memcg_reclaim_begin",
             "mm_vmscan_memcg_reclaim_end", "mark_victim")
# drsnoop (libbpf-tools) is not here: it traces direct reclaim only, which a storm without
# memory pressure never enters; its output would be empty (a failed tracer)
MEM_TRACERS = ["none", "floor-mem", "floor-mem-count", "kscope-memory", "bpftrace-faults"]

# kscope security's hooks (kscope security -v: "kscope: probe NAME: HOOK"); the capability
# storm fires cap_capable once per call, and sys_enter/sys_exit around it
CAP_HOOKS = ("cap_capable",) + SYS_HOOKS + ("sched_process_exec",)
# libbpf-tools capable is not here: it attaches a kprobe on cap_capable, and this kernel
# has no kprobes (it fails to attach; bpftrace's capable.bt too): the one-liner on the
# tracepoint stands in for it
CAP_TRACERS = ["none", "floor-cap", "floor-cap-count", "kscope-security",
               "kscope-security-nomod", "kscope-security-summary", "kscope-security-cap",
               "bpftrace-caps"]
# the getppid storm makes no capability check and no privilege syscall: what having the
# tracers attached costs the syscalls they do not report (setuids.bt's per-syscall
# tracepoints are on the hooks list too: any syscalls:* tracepoint slows every syscall)
CAP_UNRELATED_HOOKS = CAP_HOOKS + ("sys_enter_setuid", "sys_exit_setuid", "sys_enter_setfsuid",
                                   "sys_exit_setfsuid", "sys_enter_setresuid",
                                   "sys_exit_setresuid")
CAP_UNRELATED_TRACERS = ["none", "floor-sys-btf", "kscope-security", "kscope-security-nomod",
                         "kscope-security-cap", "bpftrace-setuids"]

# kscope container and its parts alone (each with the options the container gives it):
# every hook any of them uses here (kscope container -v), its own cgroup tracepoints too
CONTAINER_HOOKS = tuple(dict.fromkeys(
    SYS_HOOKS + SCHED_HOOKS + ("sched_process_exec", "sched_process_exit") + NET_HOOKS +
    ("tcp_send_reset", "tcp_receive_reset") + DISK_HOOKS + ("block_rq_merge",) + MEM_HOOKS +
    ("cap_capable", "cgroup_mkdir", "cgroup_rmdir", "cgroup_attach_task")))
CONTAINER_TRACERS = ["none", "kscope-container", "kscope-sched-cgroup",
                     "kscope-syscall-cgroup-count", "kscope-fileio-cgroup", "kscope-net-cgroup",
                     "kscope-diskio-cgroup", "kscope-memory-cgroup",
                     "kscope-security-cap-denied"]
# the single commands whose added costs the container's is set against (their sum)
CONTAINER_PARTS = CONTAINER_TRACERS[2:]

# kscope top: its cost on a read storm against the peers that show part of what it shows,
# together (the reference) and alone; the empty sys_enter+sys_exit pair is the floor of
# anything that counts syscalls
TOP_TRACERS = ["none", "floor-sys-btf", "kscope-top-b", "kscope-top-j", "top-peers",
               "syscount-P", "bpftrace-filetop"]
TOP_HOOKS = SYS_HOOKS + tuple("sys_%s_%s" % (d, c) for d in ("enter", "exit")
                              for c in ("read", "pread64", "write", "pwrite64"))
# and its own CPU against top's and htop's, full-screen and batch
TOP_VIEWS = ["view-kscope-top", "view-htop", "view-top", "view-kscope-top-b", "view-top-b"]
TOP_TTY_VIEWS = TOP_VIEWS[:3]
# the machine's processes for the views (the research's realistic host: about 500), and
# top-cpu-busy's background work (bench/churn.c): new processes and file opens per second
TOP_PROCESSES = 500
TOP_CHURN = (20, 2000)
TOP_CPU_NOTE = (
    "The issue's target: kscope top uses less CPU per refresh than htop at the same "
    "interval (1 s; htop -d 10, in tenths) while showing more. CPU per refresh: the view's "
    "CPU time over the window (all its threads, and its children's) divided by the window's "
    "length in intervals. kscope top's process is not all it costs: its BPF programs run in "
    "the context of the tasks they trace (every syscall, context switch, block request and "
    "TCP send or receive of the machine), so their time (kernel.bpf_stats_enabled, the same "
    "window) is added to its CPU for the comparison, and grows with how busy the machine is; "
    "top and htop read /proc for every process at every refresh, so their cost grows with "
    "the number of processes; kscope top's userspace work grows with the processes that did "
    "something in the interval. The terminal's CPU (the tmux server drawing what the view "
    "wrote) is not the view's, shown apart. Peak RSS: VmHWM at the end of the window. The "
    "machine's busy share and context switches per second are of the window, from "
    "/proc/stat: other sessions' work on this shared machine moves kscope top's numbers "
    "more than htop's.")

# kscope agent: scraped side by side with Debian's node_exporter; and on the storms, against
# the single command its collector runs (src/agent/agent.c) and with every collector on
SCRAPE_EXPORTERS = ["exporter-kscope-agent", "exporter-node"]
AGENT_SYS_TRACERS = ["none", "kscope-syscall-hist", "kscope-agent-syscall", "kscope-agent"]
AGENT_SCHED_TRACERS = ["none", "kscope-sched-cgroup-C", "kscope-agent-sched", "kscope-agent"]
AGENT_DISK_TRACERS = ["none", "kscope-diskio", "kscope-agent-diskio", "kscope-agent"]

SOAK_TRACERS = ["before-fileio-top1", "kscope-fileio-top1", "before-fileio", "kscope-fileio"]

SCENARIOS = [
    Scenario("sched-storm-pipe", "sched: context-switch storm (pipe ping-pong)",
             cswitch("pipe"), 200000, SCHED_TRACERS, hooks=SCHED_HOOKS,
             note="the classic (perf bench sched pipe, lmbench lat_ctx): each round trip "
                  "is two writes, two reads and two switches on one CPU"),
    Scenario("sched-storm-futex", "sched: context-switch storm (futex ping-pong)",
             cswitch("futex"), 200000, SCHED_TRACERS, hooks=SCHED_HOOKS,
             note="the same storm with less syscall work around each switch"),
    Scenario("sched-ops", "sched: single BPF operations on tp_btf/sched_switch",
             cswitch("futex"), 100000, ["none"] + ["op-" + o.replace("_", "-") for o, _ in OPS],
             reference="op-empty", default=False, hooks=SCHED_HOOKS,
             note="not run by default (--scenario sched-ops): where per-switch time goes"),
    Scenario("syscall-storm", "syscall: getppid() storm, counting tracers",
             sysstorm(), 2000000, SYS_TRACERS, reference="syscount", hooks=SYS_HOOKS,
             note="the hottest path there is: every syscall of the system passes the "
                  "raw_syscalls hooks; getppid() does almost nothing, so the tracer's "
                  "per-syscall cost is all that changes"),
    Scenario("syscall-hooks", "syscall: empty programs on sys_enter/sys_exit per hook type",
             sysstorm(), 2000000,
             ["none"] + ["floor-sys-%s%s" % (h, e) for h in ("btf", "raw", "tp")
                         for e in ("-enter", "")],
             reference="floor-sys-btf", default=False, hooks=SYS_HOOKS,
             note="not run by default (--scenario syscall-hooks): what the hook alone costs, "
                  "tp_btf vs raw_tp vs the plain tracepoint"),
    Scenario("syscall-ops", "syscall: single BPF operations on tp_btf sys_enter/sys_exit",
             sysstorm(), 2000000, ["none"] + ["sop-" + k for k, _, _, _ in SYSOPS],
             reference="sop-empty", default=False, hooks=SYS_HOOKS,
             note="not run by default (--scenario syscall-ops): where per-syscall time goes"),
    Scenario("open-stream", "fileio: open storm, every open streamed to a file",
             openstorm(), 500000, OPEN_TRACERS, reference="opensnoop", hooks=OPEN_HOOKS,
             drain=True, delivered="delivered",
             note="one event per open, output to a file (tmpfs); delivered = lines/records "
                  "of this run's path in the output"),
    Scenario("open-overload", "fileio: open storm with the reader stopped (overload)",
             openstorm(), 200000, OVERLOAD_TRACERS, reference="kscope-fileio",
             hooks=OPEN_HOOKS, drain=True, delivered="delivered",
             note="each tracer's process is stopped (SIGSTOP) from just before the storm to "
                  "just after it: its buffer fills and the rest is lost; is the workload "
                  "slowed, and is every event delivered or reported lost?"),
    Scenario("exec-stream", "proc: exec storm, every exec streamed to a file",
             execstorm(), 10000, EXEC_TRACERS, reference="execsnoop", hooks=EXEC_HOOKS,
             drain=True, delivered="delivered",
             note="fork + exec + exit per iteration; delivered = the execs of this run's "
                  "path in the output"),
    Scenario("write-storm", "fileio/syscall: write() storm, counted in the kernel",
             writestorm(), 1000000, WRITE_TRACERS, reference="syscount", hooks=SYS_HOOKS,
             delivered="counted",
             note="nothing streamed: kscope fileio sums the writes to the file, syscall "
                  "counters count write; counted = what the tracer printed for them"),
    Scenario("net-conn", "net: TCP connection storm on loopback, every connection reported",
             connstorm(), 20000, NET_TRACERS, reference="tcplife", hooks=NET_HOOKS,
             drain=True, delivered="delivered",
             note="the cost per connection; delivered = connection sides (sockets) of this "
                  "run reported closed: kscope net's rows with exactly 64 bytes each way, "
                  "tcplife's lines, tcpstates' changes to CLOSE"),
    Scenario("net-bulk", "net: bulk TCP transfer on loopback, one connection",
             bulkxfer(), 4096, NET_TRACERS, reference="tcplife", hooks=NET_HOOKS,
             drain=True, delivered="delivered",
             note="the cost per byte: throughput against no tracer (slowdown); delivered = "
                  "the connection's two sides reported (kscope net: with the transfer's "
                  "exact bytes)"),
    Scenario("net-bulk-16k", "net: bulk TCP transfer on loopback, 16 KiB writes",
             bulkxfer(16), 4096, NET_TRACERS, reference="tcplife", hooks=NET_HOOKS,
             drain=True, delivered="delivered", default=False,
             note="not run by default (--scenario net-bulk-16k): the same transfer in 64 "
                  "times as many send and receive calls, what the per-call hooks "
                  "(sock_send_length, sock_recv_length) cost at worst"),
    Scenario("net-bulk-cpu", "net: bulk TCP transfer on loopback, CPU time per MiB",
             bulkxfer(clock="cpu_ns"), 4096, NET_TRACERS, reference="tcplife",
             hooks=NET_HOOKS, drain=True, delivered="delivered",
             note="net-bulk timed by the workload's own CPU time instead of the wall clock: "
                  "the other tasks of a shared CPU, which spread net-bulk's rounds by +-10%, "
                  "do not count"),
    Scenario("net-bulk-16k-cpu", "net: bulk TCP transfer on loopback, 16 KiB writes, CPU time "
             "per MiB", bulkxfer(16, clock="cpu_ns"), 4096, NET_TRACERS, reference="tcplife",
             hooks=NET_HOOKS, drain=True, delivered="delivered", default=False,
             note="not run by default (--scenario net-bulk-16k-cpu): net-bulk-16k timed by "
                  "the workload's own CPU time"),
    Scenario("disk-storm", "diskio: O_DIRECT write storm to a loop device (no I/O scheduler)",
             diostorm("none"), 10000, DISK_TRACERS, reference="biolatency", hooks=DISK_HOOKS,
             delivered="counted", setup=loop_device("none"),
             note="one block request per write, issued straight to the driver (scheduler "
                  "none: no insert, no queue time); counted = the tracer's requests of the "
                  "run: kscope's write rows of the device, exact (bytes, no queue time); "
                  "biolatency's histogram over all devices; bitesize's diostorm 4 KiB "
                  "slot; biopattern's COUNT of the device (its first request never counts)"),
    Scenario("disk-storm-mq", "diskio: O_DIRECT write storm to a loop device (mq-deadline)",
             diostorm("mq-deadline"), 10000, DISK_MQ_TRACERS, reference="biolatency",
             hooks=DISK_HOOKS, delivered="counted", setup=loop_device("mq-deadline"),
             note="the same storm through the mq-deadline scheduler: every request is "
                  "inserted, then issued (block_rq_insert fires; kscope's rows must have a "
                  "queue time for every request)"),
    Scenario("fault-storm", "memory: page-fault storm (mmap, touch, munmap)",
             faultstorm(), 400, MEM_TRACERS, reference="bpftrace-faults", hooks=MEM_HOOKS,
             delivered="counted",
             note="one minor write fault per page touched (the workload checks its own "
                  "ru_minflt); counted = the storm process's faults in the tracer's output: "
                  "kscope's write_faults of its memory_stat row, the one-liner's count for "
                  "its comm (both include its loader's faults: at least the storm's writes, "
                  "warm-up included); drsnoop is left out: it traces direct reclaim only, "
                  "which this storm (no memory pressure) never enters, so its output would "
                  "be empty"),
    Scenario("cap-storm", "security: capability-check storm (sethostname)",
             capstorm(), 500000, CAP_TRACERS, reference="bpftrace-caps", hooks=CAP_HOOKS,
             delivered="counted",
             note="one CAP_SYS_ADMIN check per sethostname() call, granted (the workload "
                  "checks every call returned 0); counted = the storm process's "
                  "CAP_SYS_ADMIN checks in the tracer's output: kscope --summary's "
                  "security_stat row of its pid, the one-liner's count for its pid (both "
                  "include the warm-up, the unshare() and the memory accounting checks of "
                  "its loader and libc: at least the storm's); kscope security's default mode "
                  "shows only the first grant per (process, capability), so it has no count "
                  "(its output must hold that first grant); libbpf-tools capable is left out: "
                  "it attaches a kprobe on cap_capable, and this kernel has no kprobes"),
    Scenario("cap-unrelated", "security: getppid() storm, the syscalls kscope security does "
             "not report", sysstorm(), 2000000, CAP_UNRELATED_TRACERS, reference="none",
             hooks=CAP_UNRELATED_HOOKS,
             note="no capability check and no privilege syscall in the storm: what having the "
                  "tracer attached costs every other syscall of the system (kscope security's "
                  "default mode watches its syscalls on their own tracepoints, which send "
                  "every syscall through the kernel's syscall-tracing path, as setuids.bt's "
                  "do, and the module syscalls this kernel has no tracepoints for at "
                  "raw_syscalls sys_exit, a program every syscall runs; --kind cap has no "
                  "syscall hook)"),
    Scenario("container-mix", "container: one operation of every area, kscope container "
             "against its parts alone", mixstorm(clock="cpu_ns"), 20000, CONTAINER_TRACERS,
             reference="kscope-container", hooks=CONTAINER_HOOKS, delivered="counted",
             setup=loop_device("none", size_mib=16),
             note="issue 18's cost target: kscope container (every area) costs no more per "
                  "operation than the sum of its seven parts run alone, each with the "
                  "options the container gives it, measured side by side in the same run; "
                  "every command keys its rows by cgroup, and the storm runs on the host "
                  "(the root cgroup v2; its memory cgroup's row), so each row holds the "
                  "storm's work and that of every other process there: counted = the "
                  "storm's operations the command's row of its cgroup accounts for at least "
                  "(getppid calls; file bytes / 4 KiB; TCP bytes sent / 64; write faults; "
                  "the container: the least of its areas' in the rows of the storm's "
                  "cgroups, the host's and the one its memory cgroup is folded into), none "
                  "for the parts "
                  "with nothing per operation (sched: no switch; diskio: the storm's one "
                  "untimed O_DIRECT write to the loop device; security --denied: its one "
                  "untimed denied check), whose output must still hold the storm's row; "
                  "timed by the storm's own CPU time: this shared machine's other tasks "
                  "preempt a 20 us operation often enough to move the wall clock by more "
                  "than the tracers' cost"),
    Scenario("agent-scrape", "agent: scrapes against prometheus-node-exporter",
             scraper(), 200, SCRAPE_EXPORTERS, kind="scrape", reference="exporter-node",
             note="The agent serves the text it rendered and gzip'd at its last collection "
                  "(every 5 s, in the background); node_exporter reads /proc and /sys at "
                  "each scrape. Latency: the scraper's, from writing the request to the "
                  "last byte of the response (nearest-rank percentiles of a round's scrapes; "
                  "the medians over rounds, and their range). Bytes: the body as sent "
                  "(gzip'd or not); text bytes: decompressed; samples: its lines that do not "
                  "start with #. CPU per scrape: the exporter's CPU time over the block (all "
                  "its threads, schedstat) minus its CPU over an idle window of the same "
                  "length right after it, divided by the scrapes; for the agent a block (or "
                  "its idle window) in which a collection ran is measured again, and its "
                  "scrape thread's (ks-http) CPU per scrape is shown too. Background CPU: "
                  "the exporter's CPU per second over 10 s without scrapes (the agent: two "
                  "collections); CPU per 15 s scrape interval: that for 15 s plus one "
                  "gzip'd scrape (Prometheus's default interval). RSS: at the end of a "
                  "round (after 4 or more collections and 2 x 220 scrapes); peak: VmHWM; "
                  "the mappings: /proc/PID/smaps, medians; BPF maps: bpftool's "
                  "bytes_memlock of the agent's maps (kernel memory, in its RSS only where "
                  "mapped: ring buffers)."),
    Scenario("agent-cost", "agent: getppid() storm, the agent against its syscall "
             "collector's command alone", sysstorm(), 2000000, AGENT_SYS_TRACERS,
             reference="kscope-syscall-hist", hooks=SYS_HOOKS,
             note="the agent's syscall collector runs `kscope syscall --hist` as a part of "
                  "its process: the same programs, so what the agent adds per syscall beyond "
                  "the command alone is its own (nobody scrapes it here; it collects every "
                  "5 s in the background); and the agent with every default collector"),
    Scenario("agent-cost-sched", "agent: context-switch storm (pipe), the agent against its "
             "sched collector's command alone", cswitch("pipe"), 200000, AGENT_SCHED_TRACERS,
             reference="kscope-sched-cgroup-C", hooks=SCHED_HOOKS,
             note="the agent's sched collector runs `kscope sched --by cgroup -C` as a part; "
                  "and the agent with every default collector (its syscall collector runs "
                  "on the storm's reads and writes too)"),
    Scenario("agent-cost-disk", "agent: O_DIRECT write storm to a loop device, the agent "
             "against its diskio collector's command alone", diostorm("none"), 10000,
             AGENT_DISK_TRACERS, reference="kscope-diskio", hooks=DISK_HOOKS,
             setup=loop_device("none"),
             note="the agent's diskio collector runs `kscope diskio` as a part; and the agent "
                  "with every default collector (its syscall, fileio and memory collectors "
                  "run on the storm's pwrite() calls too)"),
    Scenario("top-cpu", "top: each view's own CPU per refresh, kscope top against htop and top",
             None, 30, TOP_VIEWS, kind="topcpu", reference="view-htop",
             setup=sleepers(TOP_PROCESSES), note=TOP_CPU_NOTE),
    Scenario("top-cpu-busy", "top: each view's own CPU per refresh on a busy host (process "
             "churn)", None, 30, TOP_TTY_VIEWS, kind="topcpu", reference="view-htop",
             setup=together(sleepers(TOP_PROCESSES), churning(*TOP_CHURN)),
             note="top-cpu's full-screen views with bench/churn.c running on the other CPU "
                  "throughout (%d fork+exec/s of short programs that write files, %d "
                  "open+write+close/s): a host where processes come and go and do I/O, "
                  "which kscope top shows a row for and counts events of, and htop and top "
                  "find in /proc. " % TOP_CHURN + TOP_CPU_NOTE),
    Scenario("top-overhead", "top: read storm, kscope top against syscount + filetop together",
             readstorm(clock="cpu_ns"), 2000000, TOP_TRACERS, reference="top-peers",
             hooks=TOP_HOOKS,
             delivered="counted",
             note="the issue's comparison: what the workload pays for kscope top (which shows "
                  "syscalls and file bytes per process, and CPU, run-queue wait, disk and net "
                  "bytes) against the peers that show its syscall and file columns, run "
                  "together, each refreshing every second: libbpf-tools syscount -P -i 1 and "
                  "a filetop-style bpftrace script on the read/write syscalls' own tracepoints "
                  "(libbpf-tools filetop attaches kprobes, which this kernel does not have); "
                  "counted = the storm's reads in the output: kscope top -j's read_bytes of "
                  "the storm's pid in reads of 64 bytes (its loader's reads of files it opened "
                  "too: at least the storm's), syscount's syscalls of its pid (its few other "
                  "syscalls too), the script's reads of its pid (bpftrace's print-then-clear of "
                  "a per-CPU map drops the calls that come between the two); for the two "
                  "together the lesser; kscope top -b's rates are rounded, so it has no count, "
                  "but its output must hold the storm's row, as every peer's (an empty output "
                  "is a failure, not a fast run); timed by the storm thread's own CPU time "
                  "(the programs and tracepoints run in its context; other tasks on its CPU, "
                  "which move the wall clock on this shared machine, do not count)"),
    Scenario("soak", "fileio: soak under process churn", churn(), 180, SOAK_TRACERS,
             kind="soak", reference="kscope-fileio-top1", default=False,
             note="not run by default (--scenario soak; --soak-seconds for longer): does a "
                  "long run grow, and does it lose updates?"),
    Scenario("startup", "start-up to attached, memory, size", None, 0, STARTUP_TRACERS,
             kind="startup", reference="execsnoop",
             note="exec to the last BPF attachment (bench/startup.c), peak and steady RSS"),
]

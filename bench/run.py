#!/usr/bin/python3
"""
bench/run.py: kscope against no tracer and against peer tools, side by side.

    bench/run.py --kscope build/kscope --bin build/bench --out BENCHMARKS.json
    bench/run.py ... --scenario sched-storm-pipe --rounds 3     # a quick look
    bench/run.py ... --scenario open-stream --merge --out BENCHMARKS.json
    bench/run.py --render BENCHMARKS.json                       # tables only

The unit is a *scenario*: one workload (a program with an exact operation
count, e.g. bench/cswitch.c: 2 * N context switches, bench/sysstorm.c: N
getppid() calls) and the tracer configurations measured on it. Every
configuration of a scenario runs once per round, in an order that rotates from
round to round, so the slow drift of a shared machine hits them all alike. The
workload runs pinned to one CPU, the tracers (and this script) to another. Per
configuration we report the median over rounds of the workload's ns per
operation with min/max and IQR, the added ns per operation against the
baseline (no tracer) as the median of the per-round paired differences, that
added cost as a ratio to the reference peer's (runqlat for sched, syscount for
syscalls), the slowdown factor, the tracer's own CPU time during the workload
per operation, and its peak RSS (VmHWM).

A second, separate pass (unless --no-bpf-stats) turns on
kernel.bpf_stats_enabled and reads, per tracer, the kernel's own run_cnt and
run_time_ns of each of its BPF programs across the workload: the time spent
inside the program bodies per operation, without the trampoline and with
much less noise than wall-clock time. Stats cost time themselves, so the
wall-clock rounds never run with them on.

Benchmarks report, they never gate: nothing here fails on a number. The exit
status is non-zero only when the benchmark itself cannot run (no root,
missing binary, a workload that fails).

Streaming scenarios (open-stream, exec-stream, and the overload one) also
count what each tracer delivered: its output file (kscope -j -o FILE, a
peer's stdout, on tmpfs so disk writeback is not in the measurement) is
searched for the workload's own events (each run's workload uses a path
unique to that run), and the losses the tool itself reported are read
(kscope's "lost" records, "Lost N events" from perf-buffer peers). After
the workload the runner waits until the tracer has drained what it was
sent (its CPU use falls quiet) before it reads the tracer's CPU time, so
a tracer that batches its output is charged for all of it. Counting
scenarios (write-storm) read the count the tracer printed instead.

The net scenarios (net-conn, net-bulk, and not by default their 16 KiB and
CPU-time variants) run bench/connstorm.c in a network namespace of its own:
a loopback connection storm (the tracers' rows of the run's port counted,
kscope's with their exact bytes) and a bulk transfer through one
connection; a Workload whose clock is "cpu_ns" is timed by its own CPU time
instead of the wall clock, which the other tasks of a shared CPU inflate.

The disk scenarios (disk-storm, disk-storm-mq) run bench/diostorm.c: 4 KiB
O_DIRECT writes to a loop device, each one block request, issued straight to
the driver (scheduler none) or through mq-deadline (inserted, then issued).
The scenario makes the device (Scenario.setup: a file in /dev/shm, every page
of it written first, `losetup -f`, the scheduler set) before its first
measurement and removes it after its last, putting the queue's scheduler back.
The tracers run system-wide, as biolatency does; each one's count of the
storm's requests is read from its output (kscope's write rows of the device,
exact in bytes and queue times; biolatency's histogram; bitesize's diostorm
4 KiB slot; biopattern's line for the device), and a peer whose output has no
result (e.g. bpftrace's biolatency.bt, which attaches nothing here) counts as
failed, never as fast.

The fault-storm scenario runs bench/faultstorm.c: rounds of mmap() of 64
anonymous private pages (MADV_NOHUGEPAGE), one byte written to each,
munmap(): every write is one minor page fault, which the workload checks
against its own ru_minflt. The tracers run system-wide: empty and counting
floors on tp_btf/page_fault_user (bench/floor/mem.bpf.c), kscope memory, and
the reference, a bpftrace one-liner counting
tracepoint:exceptions:page_fault_user per comm. Each one's count is read from
its output (kscope's memory_stat row of the storm's pid: its write faults;
the one-liner's count for the storm's comm). drsnoop is not in it: it traces
direct reclaim only, which the storm never enters (its output would be
empty). The targets table also checks, from the bpf_stats pass, that
kscope's program on mark_victim (the OOM path) never ran.

The cap-storm scenario runs bench/capstorm.c: in a UTS namespace of its
own (unshare(CLONE_NEWUTS): the host name stays), sethostname() calls back
to back, each one CAP_SYS_ADMIN capability check (cap_capable), granted;
the workload checks that every call returned 0. The tracers run
system-wide: empty and counting floors on tp_btf/cap_capable
(bench/floor/cap.bpf.c), kscope security in its default mode (denials and
the first grant per process and capability: no count, but its output must
hold the storm's first grant), --summary and --kind cap --summary (every
check counted per process, capability and verdict), and the reference, a
bpftrace one-liner counting tracepoint:capability:cap_capable per pid,
capability and verdict. Each counting tool's count is read from its output
(kscope's security_stat CAP_SYS_ADMIN row of the storm's pid, the
one-liner's count for its pid: both at least the storm's checks, warm-up
included, plus the memory accounting checks of its loader). libbpf-tools
capable is not in it: it attaches a kprobe on cap_capable, and this kernel
has no kprobes. The cap-unrelated scenario runs the getppid storm
(bench/sysstorm.c) under kscope security, --kind cap, the empty
sys_enter+sys_exit floor and bpftrace's setuids.bt: what having them
attached costs the syscalls they do not report. The targets table compares
kscope's BPF time and added wall-clock time per check with the one-liner's,
and its getppid slowdown with the untraced rounds' spread.

The agent-scrape scenario (kind "scrape") measures Prometheus exporters side by
side: kscope agent (every default collector, --collect.interval=5s) and Debian's
prometheus-node-exporter (its default collectors), each started alone in turn on the
tracers' CPU (the order rotating per round), given two of the agent's collections, then
scraped by bench/scrape.c from the other CPU: 20 untimed and 200 timed scrapes on one
keep-alive connection, without and with Accept-Encoding: gzip (Prometheus's request
headers). Per exporter: scrape latency p50/p99 (the client's), bytes and samples per
scrape, CPU per scrape (its CPU time, all threads, over the scrapes minus its CPU over
an idle window of the same length right after; a block in which the agent's background
threads collected is measured again), its background CPU over 10 s without scrapes, and
VmRSS/VmHWM with RSS by mapping (/proc/PID/smaps) and its BPF maps' kernel memory. Every
response must be a 200 with a body holding the exporter's metric names, else the
exporter failed. The agent-cost scenarios (agent-cost: the getppid storm,
agent-cost-sched: the pipe ping-pong, agent-cost-disk: the O_DIRECT storm) run the
agent with one collector against the command that collector runs, and the agent with
every collector; --render prints the agent's targets and the per-round comparisons.

The start-up scenario (kind "startup") has no workload: bench/startup.c
runs each tracer, watches its file descriptors from the other CPU, and
reports the time from execve() to the last of its BPF attachments (links
and perf events, whatever the tool uses), its peak RSS (VmHWM) and its
steady RSS one second later; the same scenario records binary and
install sizes. --render also prints a table of the issue-6 targets with
kscope's measured values, from whatever scenarios the file holds.

The soak scenario (kind "soak", not run by default: --scenario soak) runs
kscope fileio for minutes (--soak-seconds, default 180) under a churn of
processes (bench/churn.c: 200 fork+exec/s of short programs that write
files, some exiting with files open, some threaded, plus bursts of 10000
open+write+close a second): it samples the tracer's RSS every second and
its fds/stats map entries every 5 s, and reports the RSS curve (start,
max, end, growth per minute after the first minute), the losses kscope
reported (lost records by reason), and whether the writer's writes were
all counted. --kscope-before BIN soaks a second build (an older commit)
in the same run, so the table shows before and after side by side.

--merge keeps the scenarios of an existing results file that this run
did not measure (each scenario records its own date and machine), so
one scenario can be re-measured without re-running the rest.

This file is the entry point; the code is the package bench/kbench, one
module per part (its __init__.py lists them): storm.py, startup.py, soak.py and
scrape.py each hold one kind of scenario (measure, summarize, the text
table), render.py the markdown, cli.py the command line.

To add a workload or peer: write the workload under bench/ (it prints one
JSON object with at least "elapsed_ns" and its operation count), add a
Workload (kbench/workloads.py), add Tracers (kbench/tracers.py), and a
Scenario that lists them (SCENARIOS, kbench/scenarios.py).
"""
import sys

if __name__ == "__main__":
    # make bench runs as root: no root-owned bench/kbench/__pycache__ left in the tree
    sys.dont_write_bytecode = True
    from kbench.cli import main
    sys.exit(main(__doc__))

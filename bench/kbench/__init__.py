"""kbench: bench/run.py's parts (bench/run.py is the entry point; its docstring says
what the benchmark does).

    common     the configuration types (Ctx, Workload, Tracer, Scenario, Files), helpers
    procfs     /proc and bpftool: attachments, CPU time, RSS, quiet CPUs, foreign tracers
    running    a tracer (or a group: Tracer.also) started, attached and settled; a
               workload run
    workloads  bench/*.c as Workloads (and the disk scenarios' loop device)
    parsers    what a tracer delivered (its output searched, the losses it reported)
    tracers    every tracer configuration (TRACERS)
    scenarios  every scenario (SCENARIOS)
    storm      kind "storm": measure, rounds, bpf_stats pass, summary, text table
    startup    kind "startup": exec to attached, RSS, sizes
    soak       kind "soak": RSS and map entries over minutes under churn
    scrape     kind "scrape": Prometheus exporters scraped side by side (kscope agent,
               node_exporter); the agent's targets and its agent-cost comparisons
    top        kind "topcpu": kscope top's own CPU per refresh against top and htop (in
               tmux, or batch), on a host of about 500 processes; the top targets (also
               of the top-overhead storm: kscope top against syscount + filetop.bt)
    render     --render: the markdown tables and the targets (issue 6, net, diskio, memory,
               security)
    cli        the command line (main)
"""

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
The kernel test matrix (make vmtest; docs/vmtest.md). Kernels, arches, qemu
settings and the hooks each kernel is declared to offer are in matrix.json.

  vm.py list                 the kernel ids
  vm.py prepare ID           fetch the kernel (and arm64 userland) into the cache
  vm.py run ID...            run the matrix's runner there -> build/vmtest/ID/
  vm.py run --select WHAT    all, host, guests, or the guests of an arch (x86_64, arm64)
  vm.py accel                what qemu-system-x86_64 can use here: kvm or tcg
  vm.py possible             exit 0 when the guests can run here (qemu present or
                             installable, a Debian apt, root), else say why

The cache (${KSCOPE_VM_CACHE:-$HOME/.cache/kscope/vm}) holds the downloaded
.debs, the unpacked kernels and the arm64 userland; nothing is installed on
the host from them. Results: build/vmtest/ID/{doctor*.json, junit.xml,
pytest.log, runner.json, meta.json, console.log}.
"""
import fcntl
import hashlib
import json
import os
import re
import selectors
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import initramfs  # noqa: E402

CACHE = os.environ.get("KSCOPE_VM_CACHE") or os.path.join(os.path.expanduser("~"), ".cache",
                                                           "kscope", "vm")
RESULTS = os.path.join(REPO, "build", "vmtest")
WORK = os.path.join(RESULTS, ".work")
GUEST_OUT = "/run/vmtest-out"       # where init.sh mounts the results share
BOOT_ALLOWANCE_S = 120              # guest timeout minus pytest's own limit

# apt, for another architecture's packages, without touching the host's dpkg state
# (an empty status file: nothing counts as installed) or its package caches
LOCK = None                         # CACHE/.lock, while this process runs
# seconds spent on first-run steps in this process (download, unpack, userland)
TIMES = {}

APT_FOREIGN = ["-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
               "-o", "Debug::NoLocking=1"]


def log(msg):
    print(f"vmtest: {msg}", file=sys.stderr, flush=True)


def die(msg):
    log(f"error: {msg}")
    sys.exit(2)


def load_matrix():
    with open(os.path.join(HERE, "matrix.json")) as f:
        return json.load(f)


def kernel(kid):
    for k in load_matrix()["kernels"]:
        if k["id"] == kid:
            return k
    die(f"no kernel {kid!r} in scripts/vmtest/matrix.json")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def host_arch():
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                          text=True, check=True).stdout.strip()


def apt_opts(deb_arch):
    if deb_arch == host_arch():
        return []
    return ["-o", f"APT::Architecture={deb_arch}", "-o", f"APT::Architectures::={deb_arch}",
            *APT_FOREIGN]


# ---- kernels ---------------------------------------------------------------------------

def newest_package(k):
    """The newest package matching k["package"] (highest ABI number), and its version."""
    opts = apt_opts(k["deb_arch"])
    out = run(["apt-cache", *opts, "search", "--names-only", k["package"]],
              capture_output=True, text=True).stdout
    rx = re.compile(k["package"])
    names = [ln.split(" - ")[0].strip() for ln in out.splitlines()]
    names = [n for n in names if rx.search(n)]
    if not names:
        die(f"{k['id']}: no package matches {k['package']} (apt-get update? "
            f"dpkg --add-architecture {k['deb_arch']}?)")

    def key(n):
        return [int(x) for x in re.findall(r"\d+", n)]
    name = max(names, key=key)
    show = run(["apt-cache", *opts, "show", "--no-all-versions", f"{name}:{k['deb_arch']}"],
               capture_output=True, text=True).stdout
    version = re.search(r"^Version: (\S+)", show, re.M).group(1)
    return name, version


def fetch_debs(names, deb_arch, dest):
    """apt-get download the packages (name=version) missing from dest; their paths."""
    os.makedirs(dest, exist_ok=True)
    have = {f for f in os.listdir(dest) if f.endswith(".deb")}

    def deb_name(nv):
        # apt names the file NAME_VERSION_ARCH.deb, the version's epoch as "N%3a"
        n, v = nv.split("=", 1)
        vs = {v.replace(":", "%3a"), re.sub(r"^\d+:", "", v)}
        return [f for f in have if any(f.startswith(f"{n}_{x}_") for x in vs)]
    missing = [nv for nv in names if not deb_name(nv)]
    if missing:
        t0 = time.monotonic()
        log(f"downloading {len(missing)} package(s) into {dest}")
        p = subprocess.run(["apt-get", "download", "-q", *apt_opts(deb_arch), *missing],
                           cwd=dest, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # apt warns that _apt cannot write there (it downloads unsandboxed as root): harmless
        for line in p.stderr.splitlines():
            if "unsandboxed" not in line:
                print(line, file=sys.stderr)
        if p.returncode:
            die(f"apt-get download {' '.join(missing)} failed")
        have = {f for f in os.listdir(dest) if f.endswith(".deb")}
        dt = time.monotonic() - t0
        TIMES["download_s"] = round(TIMES.get("download_s", 0) + dt, 1)
        log(f"downloaded in {dt:.1f} s")
    paths = []
    for nv in names:
        found = deb_name(nv)
        if not found:
            die(f"apt-get download did not produce {nv}")
        paths.append(os.path.join(dest, found[0]))
    return paths


def prepare_kernel(k):
    """Download and unpack the kernel package; {vmlinuz, moddir, kver, package, version}."""
    name, version = newest_package(k)
    root = os.path.join(CACHE, "kernels", f"{name}_{version}")
    stamp = os.path.join(root, ".unpacked")
    if not os.path.exists(stamp):
        (deb,) = fetch_debs([f"{name}={version}"], k["deb_arch"], os.path.join(CACHE, "debs"))
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(root)
        t0 = time.monotonic()
        run(["dpkg", "-x", deb, root])
        open(stamp, "w").close()
        TIMES["kernel_unpack_s"] = round(time.monotonic() - t0, 1)
        log(f"{name} {version} unpacked into {root} in {TIMES['kernel_unpack_s']} s")
    boot = os.path.join(root, "boot")
    (vmlinuz,) = [os.path.join(boot, f) for f in os.listdir(boot) if f.startswith("vmlinuz-")]
    kver = os.path.basename(vmlinuz)[len("vmlinuz-"):]
    return {"vmlinuz": vmlinuz, "moddir": os.path.join(root, "lib", "modules", kver),
            "kver": kver, "package": name, "version": version}


# ---- the arm64 (foreign) userland ------------------------------------------------------

def resolve_packages(pkgs, deb_arch):
    """Every package (name=version) pkgs need on a system where nothing is installed,
    from apt's own resolver (a simulated install against an empty dpkg status)."""
    empty = os.path.join(CACHE, "empty-status")
    open(empty, "w").close()
    out = run(["apt-get", "-s", "-q", "-o", f"Dir::State::status={empty}", *apt_opts(deb_arch),
               *APT_FOREIGN, "install", "--no-install-recommends", *pkgs],
              capture_output=True, text=True).stdout
    found = re.findall(r"^Inst (\S+) \((\S+)", out, re.M)
    if not found:
        die(f"apt resolved nothing for {pkgs}: {out[-2000:]}")
    return sorted(f"{n}={v}" for n, v in found)


def prepare_userland(k):
    """The cached base initramfs (uncompressed cpio) holding k's userland."""
    u = k["userland"]
    names = resolve_packages(u["packages"], k["deb_arch"])
    key = hashlib.sha256(json.dumps([names, u.get("prune", []), 2]).encode()).hexdigest()[:12]
    base = os.path.join(CACHE, f"userland-{k['deb_arch']}-{key}.cpio")
    if os.path.exists(base):
        return base, names
    debs = fetch_debs(names, k["deb_arch"], os.path.join(CACHE, "debs"))
    t0 = time.monotonic()
    root = os.path.join(CACHE, f"userland-{k['deb_arch']}-{key}")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    for d in debs:
        run(["dpkg", "-x", d, root])
    for p in u.get("prune", []):
        p = os.path.join(root, p)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        elif os.path.lexists(p):
            os.unlink(p)
    # what maintainer scripts would have made, for what the tests use
    etc = os.path.join(root, "etc")
    for f in ("passwd", "group"):
        shutil.copy(os.path.join(root, "usr/share/base-passwd", f + ".master"),
                    os.path.join(etc, f))
    for d in ("proc", "sys", "dev", "run", "tmp", "root", "var/tmp"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    c = initramfs.Cpio(base)
    c.tree(root)
    c.node("dev/console", stat.S_IFCHR | 0o600, 5, 1)
    c.node("dev/null", stat.S_IFCHR | 0o666, 1, 3)
    c.close()
    shutil.rmtree(root)
    TIMES["userland_build_s"] = round(time.monotonic() - t0, 1)
    log(f"{k['deb_arch']} userland ({len(names)} packages, "
        f"{os.path.getsize(base) >> 20} MiB) built in {time.monotonic() - t0:.1f} s")
    return base, names


def cmd_prepare(kid):
    k = kernel(kid)
    if k["boot"] != "qemu":
        return {}
    t0 = time.monotonic()
    kern = prepare_kernel(k)
    if k.get("root") == "initramfs":
        kern["userland"], kern["userland_packages"] = prepare_userland(k)
    kern["prepare_s"] = round(time.monotonic() - t0, 1)
    kern["first_run"] = dict(TIMES)     # empty when everything came from the cache
    return kern


# ---- accel -------------------------------------------------------------------------------

def kvm_works(k, kern):
    """Does qemu get a kernel running under KVM here? /dev/kvm can exist and still
    not run an ordinary kernel (a nested PVM host runs the real-mode setup code,
    then hangs): boot the guest kernel with earlyprintk and wait for its banner.
    The answer is cached per host kernel and qemu version."""
    if not os.path.exists("/dev/kvm"):
        return False, "no /dev/kvm"
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as e:
        return False, f"/dev/kvm: {e.strerror}"
    qver = subprocess.run([k["qemu"]["binary"], "--version"], capture_output=True,
                          text=True).stdout.split("\n")[0]
    ckey = f"{os.uname().release} {qver} {os.path.basename(kern['vmlinuz'])}"
    cfile = os.path.join(CACHE, "kvm-check.json")
    try:
        with open(cfile) as f:
            c = json.load(f)
        if c.get("key") == ckey:
            return c["ok"], c["why"]
    except (OSError, ValueError):
        pass
    cmd = [k["qemu"]["binary"], "-accel", "kvm", "-cpu", k["qemu"].get("cpu_kvm", "host"),
           "-M", k["qemu"]["machine"], "-m", "256M", "-nodefaults", "-no-reboot",
           "-display", "none", "-serial", "stdio", "-kernel", kern["vmlinuz"],
           "-append", f"console={k['qemu']['console']} earlyprintk=serial panic=-1"]
    ok, why = False, "the kernel printed nothing within 15 s under -accel kvm"
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    deadline, seen = time.monotonic() + 15, b""
    while time.monotonic() < deadline:
        if sel.select(0.5):
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                err = [ln for ln in seen.decode("utf-8", "replace").splitlines() if ln.strip()]
                why = "qemu -accel kvm fails: " + (err[0].strip()[:160] if err else "no output")
                break
            seen += chunk
            if b"Linux version" in seen:
                ok, why = True, "the guest kernel boots under -accel kvm"
                break
    if p.poll() is None:
        p.kill()
    p.wait()
    os.makedirs(CACHE, exist_ok=True)
    with open(cfile, "w") as f:
        json.dump({"key": ckey, "ok": ok, "why": why}, f)
    return ok, why


def choose_accel(k, kern):
    q = k["qemu"]
    if q["accel"] == "tcg":
        return "tcg", q["cpu_tcg"], "TCG by the matrix (another architecture than the host)"
    ok, why = kvm_works(k, kern)
    if ok:
        return "kvm", q.get("cpu_kvm", "host"), why
    return "tcg", q["cpu_tcg"], f"TCG: KVM does not work here ({why})"


# ---- running a guest ---------------------------------------------------------------------

def runner_args(k, kid, out, repo, pytest_timeout, accel="none"):
    build = os.path.join(repo, k["build"])
    args = [os.path.join(repo, "scripts", "vmtest", "runner.py"), "--id", kid, "--out", out,
            "--kscope", os.path.join(build, "kscope"),
            "--workloads", os.path.join(build, "workloads"), "--tests", "tests/integration",
            "--hooks", k["hooks"], "--timeout", str(pytest_timeout), "--accel", accel]
    extra = k.get("pytest_args", []) + shlex.split(os.environ.get("VMTEST_PYTEST_ARGS", ""))
    if extra:
        args += ["--", *extra]
    return args


def check_build(k):
    build = os.path.join(REPO, k["build"])
    need = [os.path.join(build, "kscope"), os.path.join(build, "workloads")]
    missing = [p for p in need if not os.path.exists(p)]
    if missing:
        die(f"{k['id']}: {', '.join(missing)} not built "
            f"(make {'ARCH=arm64 ' if 'arm64' in k['build'] else ''}all workloads)")


def build_initrd(k, kern, kid, pytest_timeout, accel):
    """The per-run initramfs: init, busybox, modules, config (+ the kscope build and
    tests when the guest has no view of the host). Returns the file list for qemu."""
    wd = os.path.join(WORK, kid)
    os.makedirs(wd, exist_ok=True)
    path = os.path.join(wd, "initrd-run.cpio")
    c = initramfs.Cpio(path)
    c.dir("vmtest/modules")
    for d in ("proc", "sys", "dev", "newroot", "run", "tmp"):
        c.dir(d)
    mods = initramfs.module_closure(kern["moddir"], k["modules"])
    for name, p in mods:
        with open(p, "rb") as f:
            c.file(f"vmtest/modules/{name}.ko", f.read())
    if k["root"] == "hostroot":
        with open("/bin/busybox", "rb") as f:
            c.file("vmtest/busybox", f.read(), 0o755)
        c.node("dev/console", stat.S_IFCHR | 0o600, 5, 1)
        cwd, repo = REPO, REPO
    else:
        c.symlink("vmtest/busybox", "/bin/busybox")     # busybox-static from the userland
        cwd = repo = "/kscope"
        build = k["build"]
        c.file(f"kscope/{build}/kscope", open(os.path.join(REPO, build, "kscope"), "rb").read(),
               0o755)
        wl = os.path.join(REPO, build, "workloads")
        for fn in sorted(os.listdir(wl)):
            with open(os.path.join(wl, fn), "rb") as f:
                c.file(f"kscope/{build}/workloads/{fn}", f.read(), 0o755)
        # the tests, and the workloads that are Python scripts (tcp_xfer.py), run in place
        for d in ("integration", "workloads"):
            td = os.path.join(REPO, "tests", d)
            for fn in sorted(os.listdir(td)):
                if fn.endswith(".py"):
                    with open(os.path.join(td, fn), "rb") as f:
                        c.file(f"kscope/tests/{d}/{fn}", f.read(), 0o755 if d == "workloads"
                               else 0o644)
        # the tests' data files (tests/integration/data: TLS certificates), as they are
        data = os.path.join(REPO, "tests", "integration", "data")
        for root, _, files in sorted(os.walk(data)):
            for fn in sorted(files):
                p = os.path.join(root, fn)
                with open(p, "rb") as f:
                    c.file("kscope/" + os.path.relpath(p, REPO), f.read(), 0o644)
        with open(os.path.join(HERE, "runner.py"), "rb") as f:
            c.file("kscope/scripts/vmtest/runner.py", f.read())
    run_cmd = shlex.join(["/usr/bin/python3", *runner_args(k, kid, GUEST_OUT, repo,
                                                           pytest_timeout, accel)])
    conf = (f"VM_MODULES={shlex.quote(' '.join(n for n, _ in mods))}\n"
            f"VM_ROOT={shlex.quote(k['root'])}\n"
            f"VM_REPO={shlex.quote(REPO if k['root'] == 'hostroot' else '')}\n"
            f"VM_CWD={shlex.quote(cwd)}\n"
            f"VM_RUN={shlex.quote(run_cmd)}\n")
    c.file("vmtest/config", conf.encode())
    with open(os.path.join(HERE, "init.sh"), "rb") as f:
        c.file("init", f.read(), 0o755)
    c.close()
    if k["root"] == "initramfs":
        # the kernel unpacks concatenated archives in order: the cached userland first
        full = os.path.join(wd, "initrd.cpio")
        with open(full, "wb") as o:
            for part in (kern["userland"], path):
                with open(part, "rb") as i:
                    shutil.copyfileobj(i, o, 1 << 20)
        return full
    return path


def qemu_cmd(k, kern, accel, cpu, initrd, out):
    q = k["qemu"]
    accel_opt = "kvm" if accel == "kvm" else f"tcg,thread={q.get('tcg_thread', 'multi')}"
    cmd = [q["binary"], "-accel", accel_opt, "-cpu", cpu, "-M", q["machine"],
           "-smp", str(q["smp"]), "-m", q["memory"], "-nodefaults", "-no-reboot",
           "-display", "none", "-serial", "stdio",
           "-kernel", kern["vmlinuz"], "-initrd", initrd,
           "-append", f"console={q['console']} panic=-1 loglevel=5 " + q.get("append", ""),
           "-virtfs", f"local,path={out},mount_tag=out,security_model=none,multidevs=remap"]
    if k["root"] == "hostroot":
        cmd += ["-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,"
                "multidevs=remap",
                # the repository again: a clone under /tmp is hidden by the guest's tmpfs
                "-virtfs", f"local,path={REPO},mount_tag=repo,security_model=none,readonly=on,"
                "multidevs=remap"]
    if accel == "tcg":
        cmd += q.get("tcg_args", [])
    cmd += shlex.split(os.environ.get("VMTEST_QEMU_ARGS", ""))
    return cmd


def stream(cmd, console_path, timeout, tag, markers, must_see=None, **kw):
    """Run cmd with its stdout (and stderr) into console_path, echoing progress;
    kill it at timeout, or when must_see = (marker, seconds) has not appeared by
    then. Returns (rc or None when killed, why killed or None, {marker: seconds})."""
    t0 = time.monotonic()
    seen = {}
    killed = None
    with open(console_path, "wb") as con:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True, **kw)
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        buf = b""
        while True:
            now = time.monotonic() - t0
            if now >= timeout:
                killed = f"no end after {timeout} s"
                break
            if must_see and must_see[0] not in seen and now >= must_see[1]:
                killed = f"no \"{must_see[0]}\" within {must_see[1]} s (did not boot?)"
                break
            if not sel.select(1):
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            con.write(chunk)
            con.flush()
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace").rstrip("\r")
                for m in markers:
                    if m not in seen and m in text:
                        seen[m] = round(time.monotonic() - t0, 1)
                if text.startswith("vmtest:") or re.search(r"\[ *\d+%\]$", text) \
                        or "Kernel panic" in text or "BUG:" in text:
                    print(f"[{tag} {time.monotonic() - t0:6.1f}s] {text}", flush=True)
        if killed:
            log(f"{tag}: {killed}: killing it")
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        rc = p.wait()
        # what is left in the pipe, without waiting on anything that still holds it
        end = time.monotonic() + 2
        while time.monotonic() < end and sel.select(0.2):
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            con.write(chunk)
        p.stdout.close()
    return (None if killed else rc), killed, seen


def cmd_run(kid):
    k = kernel(kid)
    check_build(k)
    out = os.path.join(RESULTS, kid)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    meta = {"id": kid, "name": k["name"], "arch": k["arch"], "boot": k["boot"],
            "hooks_declared": k["hooks"], "timeout_s": k["timeout_s"],
            "pytest_args": k.get("pytest_args", []), "subset": k.get("subset")}
    t0 = time.monotonic()
    pytest_timeout = k["timeout_s"] - (BOOT_ALLOWANCE_S if k["boot"] == "qemu" else 30)
    markers = ["vmtest: runner start", "vmtest: runner end", "vmtest: userland ready"]
    if k["boot"] == "host":
        meta["accel"] = "none"
        cmd = [sys.executable, *runner_args(k, kid, out, REPO, pytest_timeout)]
        rc, killed, seen = stream(cmd, os.path.join(out, "console.log"), k["timeout_s"], kid,
                                  markers, cwd=REPO)
    else:
        kern = cmd_prepare(kid)
        meta.update({"package": kern["package"], "package_version": kern["version"],
                     "kernel_release": kern["kver"], "prepare_s": kern["prepare_s"],
                     "prepare_detail": kern["first_run"]})
        if "userland_packages" in kern:
            meta["userland_packages"] = kern["userland_packages"]
        t1 = time.monotonic()
        accel, cpu, why = choose_accel(k, kern)
        meta["accel_check_s"] = round(time.monotonic() - t1, 1)
        meta.update({"accel": accel, "cpu": cpu, "accel_why": why, "smp": k["qemu"]["smp"],
                     "memory": k["qemu"]["memory"], "machine": k["qemu"]["machine"]})
        log(f"{kid}: {kern['package']} {kern['version']}, {accel} ({why})")
        t1 = time.monotonic()
        initrd = build_initrd(k, kern, kid, pytest_timeout, accel)
        meta["initrd_s"] = round(time.monotonic() - t1, 1)
        meta["initrd_mib"] = round(os.path.getsize(initrd) / 2**20, 1)
        cmd = qemu_cmd(k, kern, accel, cpu, initrd, out)
        meta["qemu_cmd"] = cmd
        meta["qemu_version"] = subprocess.run([k["qemu"]["binary"], "--version"],
                                              capture_output=True, text=True).stdout.split("\n")[0]
        t_boot = time.monotonic()
        rc, killed, seen = stream(cmd, os.path.join(out, "console.log"), k["timeout_s"], kid,
                                  markers, must_see=("vmtest: runner start",
                                                     k.get("boot_timeout_s", 180)))
        meta["qemu_rc"] = rc
        # boot: qemu started -> the runner started in the guest
        meta["boot_s"] = seen.get("vmtest: runner start")
        meta["userland_ready_s"] = seen.get("vmtest: userland ready")
        meta["guest_s"] = round(time.monotonic() - t_boot, 1)
    meta["timed_out"] = rc is None
    meta["killed"] = killed
    meta["wall_s"] = round(time.monotonic() - t0, 1)
    try:
        with open(os.path.join(out, "runner.json")) as f:
            r = json.load(f)
    except (OSError, ValueError):
        r = {}
    meta["uname_r"] = r.get("uname_r")
    meta["uname_m"] = r.get("arch")
    meta["guest_uptime_at_runner_s"] = r.get("uptime_at_start_s")
    meta["variants"] = r.get("variants")
    meta["doctor"] = r.get("doctor")
    py = r.get("pytest") or {}
    meta["test_duration_s"] = py.get("duration_s")
    meta["pytest_summary"] = py.get("summary")
    meta["pytest_counts"] = py.get("counts")
    meta["exit_status"] = r.get("exit_status")
    meta["finished"] = bool(r.get("finished")) and rc is not None
    if not meta["finished"]:
        why = killed if rc is None else (
            "the runner did not finish" if r else "the runner never wrote its results")
        meta["failure"] = f"{kid}: {why} (see {os.path.relpath(out, REPO)}/console.log)"
        log(meta["failure"])
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    log(f"{kid}: {'finished' if meta['finished'] else 'DID NOT FINISH'}, "
        f"{meta['pytest_summary']}, wall {meta['wall_s']} s"
        + (f", boot {meta.get('boot_s')} s" if k["boot"] == "qemu" else ""))
    return 0 if meta["finished"] and meta["exit_status"] == 0 else 1


# ---- can it run here? --------------------------------------------------------------------

def cmd_possible():
    """0: the matrix can run here (root, Debian apt, qemu present or installable, and
    for the guests TCG at least). Prints the reason either way."""
    why = []
    if os.geteuid() != 0:
        why.append("not root (the tests load BPF; packages may need installing)")
    if not shutil.which("apt-get") or not shutil.which("dpkg"):
        why.append("no apt-get/dpkg (the kernels come from Debian packages)")
    elif host_arch() != "amd64":
        why.append(f"host architecture {host_arch()}: the matrix is written for amd64 hosts")
    for b, pkg in (("qemu-system-x86_64", "qemu-system-x86"),
                   ("qemu-system-aarch64", "qemu-system-arm")):
        if not shutil.which(b):
            r = subprocess.run(["apt-cache", "policy", pkg], capture_output=True, text=True)
            if "Candidate:" not in r.stdout or "Candidate: (none)" in r.stdout:
                why.append(f"{b} missing and {pkg} not installable")
    need_mem = max(int(k["qemu"]["memory"].rstrip("G")) for k in load_matrix()["kernels"]
                   if k["boot"] == "qemu") + 1
    with open("/proc/meminfo") as f:
        avail = next(int(ln.split()[1]) for ln in f if ln.startswith("MemAvailable:")) >> 20
    if avail < need_mem:
        why.append(f"{avail} GiB of memory available, the guests need {need_mem} GiB")
    probe = CACHE
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    st = os.statvfs(probe)
    if st.f_bavail * st.f_frsize < 2 << 30:
        why.append(f"less than 2 GiB free for the cache ({CACHE})")
    if why:
        print("vmtest: not possible here: " + "; ".join(why))
        return 1
    print("vmtest: possible (qemu present or installable; guests run under KVM when it "
          "works, else TCG)")
    return 0


def select(what):
    """Kernel ids: "all", "host" (no VM), or the guests of one arch (x86_64, arm64)."""
    arch = {"arm64": "aarch64"}.get(what, what)
    ks = load_matrix()["kernels"]
    if what == "all":
        return [k["id"] for k in ks]
    if what == "host":
        return [k["id"] for k in ks if k["boot"] == "host"]
    if what == "guests":
        return [k["id"] for k in ks if k["boot"] == "qemu"]
    ids = [k["id"] for k in ks if k["boot"] == "qemu" and k["arch"] == arch]
    if not ids:
        die(f"--select {what}: no such kernels in matrix.json (all, host, guests, x86_64, arm64)")
    return ids


def lock():
    """One run at a time per machine (per cache): a second one, from this tree or
    another clone, would share the CPUs, which the timing tests feel, and the
    cache it unpacks into. It waits for the first to end."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, ".lock")
    f = open(path, "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        log(f"another vmtest run holds {path} ({f.read().strip()}): waiting for it")
        fcntl.flock(f, fcntl.LOCK_EX)
    f.truncate(0)
    f.write(f"pid {os.getpid()} in {REPO}\n")
    f.flush()
    return f


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    cmd, args = argv[0], argv[1:]
    if cmd in ("prepare", "run", "accel"):
        global LOCK
        LOCK = lock()           # held until the process ends
    if cmd == "list":
        for k in load_matrix()["kernels"]:
            print(k["id"])
        return 0
    if cmd == "prepare":
        for kid in args:
            print(json.dumps(cmd_prepare(kid), indent=1))
        return 0
    if cmd == "run":
        if args[:1] == ["--select"]:
            args = select(args[1])
        rc = 0
        for kid in args:
            rc = max(rc, cmd_run(kid))
        return rc
    if cmd == "accel":
        k = next(k for k in load_matrix()["kernels"] if k.get("qemu", {}).get("accel") == "auto")
        accel, cpu, why = choose_accel(k, cmd_prepare(k["id"]))
        print(f"{accel} ({why})")
        return 0
    if cmd == "possible":
        return cmd_possible()
    die(f"unknown command {cmd!r} (vm.py --help)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

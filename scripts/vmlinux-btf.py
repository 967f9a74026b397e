#!/usr/bin/python3
"""vmlinux-btf.py: vmlinux.h for another architecture, from a Debian kernel.

    scripts/vmlinux-btf.py [--arch arm64] [--pkg PACKAGE] [--image FILE]
                           [--cache DIR] [--out FILE]

kscope's BPF programs include a vmlinux.h of the target architecture (CO-RE
relocates every access at load time, so one header serves every kernel of
that architecture). For x86 `make vmlinux` dumps the running kernel's BTF;
for arm64 there is no running arm64 kernel here, so this script takes the BTF
out of Debian's arm64 kernel image instead (`make vmlinux ARCH=arm64`):

 1. `apt-get download` the kernel package (default: the unsigned image that
    linux-image-arm64 currently depends on) into a cache directory outside
    the repository (~/.cache/kscope/kernels); it is never installed, only
    unpacked there with `dpkg -x`;
 2. /boot/vmlinuz-* on arm64 is a raw Image (not an ELF file, so there is
    no .BTF section to ask for). Debian's 6.1 packages ship it uncompressed
    (an EFI-stub Image: "MZ", "ARMd"); a gzip'd one (Image.gz style) is
    decompressed first. The image is scanned for the BTF header (magic
    0xeB9F little-endian, version 1, hdr_len 24, then type_off/type_len/
    str_off/str_len; size = hdr_len + str_off + str_len); the candidate whose
    sizes fit the image and that bpftool can read is the kernel's BTF;
 3. `bpftool btf dump file BLOB format c`, with a first line naming the
    kernel, and a check that the types kscope's arm64 code needs are there.
"""
import argparse
import glob
import gzip
import os
import re
import struct
import subprocess
import sys
import tempfile

BTF_MAGIC = b"\x9f\xeb\x01"  # 0xeB9F little-endian, then version 1
HDR = struct.Struct("<HBBIIIII")  # magic, version, flags, hdr_len, type_off/len, str_off/len

# what kscope's BPF code reads on arm64, and must find in the header
REQUIRED = {
    "struct user_pt_regs": ["regs[31]", "sp", "pc", "pstate"],
    "struct pt_regs": ["orig_x0", "syscallno"],
    "struct thread_info": ["flags"],
}

DEB_ARCH = {"arm64": "arm64"}


def die(msg):
    print(f"vmlinux-btf: {msg}", file=sys.stderr)
    sys.exit(1)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, **kw)


def default_pkg(arch):
    """The unsigned image of the kernel linux-image-ARCH depends on now."""
    out = run(["apt-cache", "depends", f"linux-image-{arch}:{DEB_ARCH[arch]}"],
              stdout=subprocess.PIPE).stdout
    m = re.search(r"Depends: (linux-image-[0-9][^:\s]*-" + arch + r")\b", out)
    if not m:
        die(f"no kernel found in 'apt-cache depends linux-image-{arch}:{arch}' "
            "(is the arm64 architecture added? scripts/deps.sh --arm64)")
    return m.group(1) + "-unsigned"


def fetch(pkg, arch, cache):
    """The package's .deb in cache (downloaded once), unpacked; its vmlinuz."""
    os.makedirs(cache, exist_ok=True)
    debs = glob.glob(os.path.join(cache, f"{pkg}_*_{DEB_ARCH[arch]}.deb"))
    if not debs:
        # as root, apt hands the download to _apt, who cannot write to root's cache
        sandbox = ["-o", "APT::Sandbox::User=root"] if os.geteuid() == 0 else []
        print(f"vmlinux-btf: apt-get download {pkg}:{DEB_ARCH[arch]} into {cache}",
              file=sys.stderr)
        run(["apt-get", "download", "-q"] + sandbox + [f"{pkg}:{DEB_ARCH[arch]}"], cwd=cache,
            stdout=subprocess.DEVNULL)
        debs = glob.glob(os.path.join(cache, f"{pkg}_*_{DEB_ARCH[arch]}.deb"))
    if not debs:
        die(f"apt-get download {pkg} left no .deb in {cache}")
    deb = sorted(debs)[-1]
    root = deb[:-len(".deb")]
    images = glob.glob(os.path.join(root, "boot", "vmlinuz-*"))
    if not images:
        run(["dpkg", "-x", deb, root])
        images = glob.glob(os.path.join(root, "boot", "vmlinuz-*"))
    if len(images) != 1:
        die(f"{deb}: expected one boot/vmlinuz-*, found {len(images)}")
    version = run(["dpkg-deb", "-f", deb, "Version"], stdout=subprocess.PIPE).stdout.strip()
    return images[0], f"{pkg} {version}"


def candidates(image):
    """Every BTF header in image whose sections fit, largest first."""
    found = []
    for m in re.finditer(re.escape(BTF_MAGIC), image):
        off = m.start()
        if off + HDR.size > len(image):
            continue
        _, version, flags, hdr_len, type_off, type_len, str_off, str_len = \
            HDR.unpack_from(image, off)
        if version != 1 or flags != 0 or hdr_len != 24:
            continue
        if type_off != 0 or str_off < type_len or type_len == 0 or str_len == 0:
            continue
        total = hdr_len + str_off + str_len
        if off + total > len(image):
            continue
        strs = image[off + hdr_len + str_off:off + total]
        # the string section starts with the empty name and ends a string
        if strs[0] != 0 or strs[-1] != 0:
            continue
        found.append((total, off))
    return sorted(found, reverse=True)


def check(header):
    """Each REQUIRED struct, with every field listed, is in header."""
    missing = []
    for name, fields in REQUIRED.items():
        m = re.search(r"^" + re.escape(name) + r" \{\n(.*?)^\};", header, re.M | re.S)
        if not m:
            missing.append(name)
            continue
        for f in fields:
            if not re.search(r"[\s*]" + re.escape(f) + r";", m.group(1)):
                missing.append(f"{name}::{f}")
    return missing


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", default="arm64", choices=sorted(DEB_ARCH))
    ap.add_argument("--pkg", help="kernel package (default: what linux-image-ARCH depends on, -unsigned)")
    ap.add_argument("--image", help="use this vmlinuz/Image (raw or gzip'd) instead of a package")
    ap.add_argument("--cache", default=os.path.expanduser("~/.cache/kscope/kernels"))
    ap.add_argument("--out", help="vmlinux.h to write (default: stdout)")
    ap.add_argument("--bpftool", default=os.environ.get("BPFTOOL", "bpftool"))
    args = ap.parse_args()

    if args.image:
        image_path, source = args.image, args.image
    else:
        image_path, source = fetch(args.pkg or default_pkg(args.arch), args.arch, args.cache)
    with open(image_path, "rb") as f:
        raw = f.read()
    image = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw

    cands = candidates(image)
    if not cands:
        die(f"{image_path}: no BTF header found in the {len(image)}-byte image")
    with tempfile.TemporaryDirectory() as tmp:
        blob = os.path.join(tmp, "btf")
        for total, off in cands:
            with open(blob, "wb") as f:
                f.write(image[off:off + total])
            r = subprocess.run([args.bpftool, "btf", "dump", "file", blob, "format", "c"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if r.returncode == 0 and "struct task_struct {" in r.stdout:
                break
        else:
            die(f"{image_path}: {len(cands)} BTF header(s), none that bpftool can read")
        tool = run([args.bpftool, "version"], stdout=subprocess.PIPE).stdout.split("\n")[0]

    missing = check(r.stdout)
    if missing:
        die(f"{source}: the BTF lacks {', '.join(missing)}")
    m = re.search(rb"Linux version ([^\s\0]+)", image)
    release = m.group(1).decode() if m else "(unknown version)"
    origin = f"Debian package {source}" if not args.image else source
    text = (f"/* {args.arch} kernel types: the BTF of Linux {release} ({origin}),\n"
            f" * {total} bytes at offset {off:#x} of its Image, dumped by {tool}.\n"
            f" * Generated by scripts/vmlinux-btf.py (make vmlinux ARCH={args.arch}). */\n"
            + r.stdout)
    if args.out:
        tmp_out = args.out + ".tmp"
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(tmp_out, "w") as f:
            f.write(text)
        os.replace(tmp_out, args.out)
        print(f"vmlinux-btf: {args.out}: Linux {release} ({source}), "
              f"{text.count(chr(10))} lines", file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()

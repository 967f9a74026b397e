# SPDX-License-Identifier: GPL-2.0
"""
Initramfs pieces for the VM matrix, in plain Python (no cpio, no kmod):

  * Cpio: a newc ("070701") archive writer, the format the kernel unpacks;
    archives can be concatenated (the kernel unpacks them in order), so a
    large cached base (the arm64 userland) and a small per-run part are
    written separately and given to qemu as one file.
  * module_closure(): the kernel modules needed for a list of module names,
    dependencies first. Debian's linux-image .deb ships no modules.dep
    (depmod runs in its postinst, which we never run), so the dependencies
    are read where depmod reads them: the "depends=" entry of each module's
    .modinfo ELF section. Built-in modules (modules.builtin) are skipped.
"""
import gzip
import lzma
import os
import stat
import struct


class Cpio:
    """Writes a newc cpio archive (optionally gzip-compressed)."""

    def __init__(self, path, compress=False):
        self.tmp = path + ".tmp"
        self.path = path
        raw = open(self.tmp, "wb")
        self.f = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) if compress else raw
        self.raw = raw
        self.ino = 1000
        self.names = set()
        self.off = 0

    def _entry(self, name, mode, data=b"", nlink=1, rdev=(0, 0)):
        name = name.strip("/") or "."
        if name in self.names:
            return
        self.names.add(name)
        self.ino += 1
        nb = name.encode() + b"\0"
        hdr = "070701" + "".join("%08x" % v for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(nb), 0))
        self._write(hdr.encode() + nb)
        self._pad()
        self._write(data)
        self._pad()

    def _write(self, b):
        self.f.write(b)
        self.off += len(b)

    def _pad(self):
        if self.off % 4:
            self._write(b"\0" * (4 - self.off % 4))

    def dir(self, name, mode=0o755):
        # parents first: the kernel does not create missing directories
        parts = name.strip("/").split("/")
        for i in range(1, len(parts)):
            self._entry("/".join(parts[:i]), stat.S_IFDIR | 0o755, nlink=2)
        self._entry(name, stat.S_IFDIR | mode, nlink=2)

    def file(self, name, data, mode=0o644):
        self.dir(os.path.dirname(name.strip("/"))) if "/" in name.strip("/") else None
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        self.dir(os.path.dirname(name.strip("/"))) if "/" in name.strip("/") else None
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def node(self, name, mode, major, minor):
        self._entry(name, mode, rdev=(major, minor))

    def tree(self, src, dst=""):
        """Everything under directory src, at dst in the archive (modes kept)."""
        if dst:
            self.dir(dst)
        for root, dirs, files in os.walk(src):
            rel = os.path.relpath(root, src)
            base = dst if rel == "." else os.path.join(dst, rel)
            for d in sorted(dirs):
                p = os.path.join(root, d)
                if os.path.islink(p):
                    self.symlink(os.path.join(base, d), os.readlink(p))
                else:
                    self._entry(os.path.join(base, d), stat.S_IFDIR | (os.lstat(p).st_mode & 0o7777),
                                nlink=2)
            dirs[:] = [d for d in sorted(dirs) if not os.path.islink(os.path.join(root, d))]
            for fn in sorted(files):
                p = os.path.join(root, fn)
                st = os.lstat(p)
                if stat.S_ISLNK(st.st_mode):
                    self.symlink(os.path.join(base, fn), os.readlink(p))
                elif stat.S_ISREG(st.st_mode):
                    with open(p, "rb") as f:
                        self._entry(os.path.join(base, fn), stat.S_IFREG | (st.st_mode & 0o7777),
                                    f.read())

    def close(self):
        self._entry("TRAILER!!!", 0)
        self.f.close()
        if self.f is not self.raw:
            self.raw.close()
        os.replace(self.tmp, self.path)


# ---- kernel modules -------------------------------------------------------------------

def _ko_bytes(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".xz"):
        data = lzma.decompress(data)
    return data


def modinfo(path):
    """The .modinfo section of a module, as a dict (key -> list of values)."""
    elf = _ko_bytes(path)
    assert elf[:4] == b"\x7fELF" and elf[4] == 2, f"{path}: not a 64-bit ELF"
    end = "<" if elf[5] == 1 else ">"
    shoff, = struct.unpack_from(end + "Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", elf, 0x3A)

    def sh(i):
        # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size
        return struct.unpack_from(end + "IIQQQQ", elf, shoff + i * shentsize)
    stroff = sh(shstrndx)[4]
    info = {}
    for i in range(shnum):
        name_off, _, _, _, off, size = sh(i)
        name = elf[stroff + name_off:elf.index(b"\0", stroff + name_off)]
        if name == b".modinfo":
            for item in elf[off:off + size].split(b"\0"):
                if b"=" in item:
                    k, v = item.decode("utf-8", "replace").split("=", 1)
                    info.setdefault(k, []).append(v)
    return info


def _norm(name):
    return name.replace("-", "_")


def module_index(moddir):
    """module name -> path of its .ko under moddir (lib/modules/KVER)."""
    index = {}
    for root, _, files in os.walk(os.path.join(moddir, "kernel")):
        for fn in files:
            for ext in (".ko", ".ko.xz"):
                if fn.endswith(ext):
                    index[_norm(fn[:-len(ext)])] = os.path.join(root, fn)
    return index


def builtin_modules(moddir):
    names = set()
    try:
        with open(os.path.join(moddir, "modules.builtin")) as f:
            for line in f:
                fn = os.path.basename(line.strip())
                names.add(_norm(fn.split(".ko")[0]))
    except FileNotFoundError:
        pass
    return names


def module_closure(moddir, wanted):
    """[(name, path)] for wanted and everything they depend on, dependencies
    first; built-in modules are left out. A module that is neither built in
    nor present is an error."""
    index = module_index(moddir)
    builtin = builtin_modules(moddir)
    order, state = [], {}

    def visit(name):
        name = _norm(name)
        if name in builtin or state.get(name) == "done":
            return
        assert state.get(name) != "visiting", f"module dependency cycle at {name}"
        assert name in index, f"module {name} is neither built in nor in {moddir}"
        state[name] = "visiting"
        for deps in modinfo(index[name]).get("depends", []):
            for d in filter(None, deps.split(",")):
                visit(d)
        state[name] = "done"
        order.append((name, index[name]))

    for w in wanted:
        visit(w)
    return order

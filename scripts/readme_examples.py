#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Rerun every example of README.md's tour and compare the SHAPE of the real
output with the output the README shows (issue 12, "README drift").

  scripts/readme_examples.py [--kscope PATH] [--workloads DIR] [-v]   check
  scripts/readme_examples.py --update                                 regenerate
  scripts/readme_examples.py --list                                   what would run

Run as root (kscope loads BPF programs). Exit status: 0 every example has
the README's shape, 1 one or more differ (or could not run), 2 usage error.

Examples. In README.md's fenced code blocks, a line starting with "$ " is a
command; the lines after it, up to the next "$ " line or the end of the
block, are its shown output (one blank line right before the next "$ " is
the separator between two examples, not output).

Commands run with /bin/sh -c, one after the other, each in its own process
group with a timeout, stdin /dev/null, from a scratch directory (so relative
files such as demo.sh and build.json never land in the repository, which the
VM guests mount read-only), with these words mapped:
  kscope, build/kscope   the binary under test (--kscope, $KSCOPE, build/kscope)
  build/workloads/       the workloads (--workloads, $WORKLOADS, build/workloads)
  /tmp/..., /var/tmp/... a private scratch directory for each (so two runs
                         do not share files; /var/tmp's stays on a disk when
                         /var/tmp is writable, for --slow's fsync)
and the real output mapped back before it is compared or written.

Fixtures. A "$ cat FILE" example defines FILE: the README's own shown output
is written there (executable when it starts with "#!") before anything runs.
FILES below holds the files the README uses but does not show (demo.sh).
Files a command names (*.sh, build/...) must exist once the fixtures are
written, else the example fails as "missing dependency". SPECIAL below lists
the examples that are not run exactly as written, with why and how; the
report lists them every time.

Shape. The output is cut into items; values (pids, times, counts, paths) are
never compared:
  table      a header line (upper-case column names); its rows are checked,
             not listed: every row must have the header's number of columns,
             COMM taken at its fixed width (it may hold spaces), the last
             column (DETAILS, PATH, ERRNOS, doctor's WORKS HERE / HOOK USED
             HERE) taken as the rest of the line, possibly empty; indented
             continuation lines of that last column are rows too. A line that
             is not a row ends the table and becomes an item of its own.
  ndjson     a run of JSON lines: the set of "type"s and, per type, its keys
             in order ("lost" lines of a real run are tolerated and noted).
  hist       the histogram header line as is; its bucket lines are checked
             (N -> M : COUNT |bar|, ':' and '|' in the header's columns, the
             bar as wide as the README's).
  check      a doctor line ("%-16s %-4s %s"): its name only.
  text       any other line, numbers (with units) and hex replaced by '#'.
  blank      a blank line: leading, trailing and separating blank lines count.
Consecutive identical items, and identical paragraphs (items between blank
lines) repeated one after the other, are folded into one, so the number of
intervals of `[interval [count]]` output does not matter. A README "..."
line matches any number of items. A command ending in "| head -N" or
"| tail -N" must print as many lines as the README shows. README lines that
a run may legitimately omit (OPTIONAL) may be missing from the real output.

Notes (reported, never a failure): what the real run wrote on stderr, and
README rows that no real row resembles (same EVENT and COMM, and for
syscall events the syscall; for JSON the type, comm and a failed ret): the
values that say the README tells another story than the binary.

--update rewrites the outputs in README.md with the real runs' (mapped back,
trailing blanks of each line stripped). A README output with a "..." keeps
it: as many real lines before and after it as the README showed. Examples
that did not run keep their output.
"""
import argparse
import difflib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---- fixtures ------------------------------------------------------------------------------

# Files README.md uses without showing them ("$ cat FILE" in the README wins).
# Relative names are created in the directory the commands run from.
FILES = {
    # `syscall -- sh demo.sh` (four examples): a few short commands, some of
    # which fail (ENOENT from ls, cat and the shell's PATH look-ups).
    "demo.sh": """\
#!/bin/sh
# demo.sh: a few short commands, some of them failing
for i in 1 2 3; do
\tls / >/dev/null
\tls /nonexistent 2>/dev/null
done
cat /etc/hostname /nonexistent >/dev/null 2>&1
true
""",
}


def check_timeline(ctx, cwd):
    """--timeline FILE: FILE is one JSON document with trace events."""
    path = os.path.join(cwd, "build.json")
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        return [f"build.json is not a JSON document: {e}"]
    if not isinstance(doc, dict) or not doc.get("traceEvents"):
        return ["build.json has no traceEvents"]
    return []


# Examples that do not run exactly as the README writes them. Keys are the
# README command; every entry says why and how, and the report lists them.
SPECIAL = {
    "kscope sched --timeline build.json -- build/workloads/burn info 2 100 0 1": {
        "why": "what it writes to build.json is not shown, but must be right too",
        "how": "run as written (in the scratch directory); build.json must then be one JSON "
               "document with traceEvents",
        "check": check_timeline,
    },
}

# README output lines a real run may omit: how many rows `-n` left out is
# only printed when some were left out.
OPTIONAL = [re.compile(r"^\(\d+ more not shown: -n\)$")]

NAME = "README.md"    # as the report names it
TIMEOUT = 60          # per example, seconds: guards against hangs only

# ---- the README ----------------------------------------------------------------------------


class Example:
    def __init__(self, lineno, cmd, start):
        self.lineno = lineno          # 1-based line of the "$ " line
        self.cmd = cmd                # the command, as written
        self.start = start            # index of its first output line
        self.end = start              # index after its last output line
        self.out = []                 # the shown output
        # filled by run()
        self.status = None            # "same", "differs", "not run", "error"
        self.why = ""
        self.stdout = ""
        self.stderr = ""
        self.rc = None
        self.seconds = 0.0
        self.problems = []
        self.notes = []
        self.special = None
        self.ran_cmd = None
        self.real_shape = []


def extract(text):
    """Every example of every fenced code block, in order."""
    lines = text.split("\n")
    examples = []
    cur = None
    in_block = False

    def finish(end, next_is_cmd):
        if cur is None:
            return
        out = lines[cur.start:end]
        if next_is_cmd and out and out[-1].strip() == "":
            out = out[:-1]
            end -= 1
        cur.out = out
        cur.end = end
        examples.append(cur)

    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            if in_block:
                finish(i, False)
                cur = None
            in_block = not in_block
            continue
        if in_block and line.startswith("$ "):
            finish(i, True)
            cur = Example(i + 1, line[2:].strip(), i + 1)
    return lines, examples


# ---- mapping the README's words to this machine ------------------------------------------------

class Context:
    def __init__(self, kscope, workloads):
        self.kscope = kscope
        self.workloads = workloads
        self.root = tempfile.mkdtemp(prefix="kscope-readme-", dir="/tmp")
        self.tmp = os.path.join(self.root, "tmp")
        self.cwd = os.path.join(self.root, "cwd")
        os.mkdir(self.tmp)
        os.mkdir(self.cwd)
        self.var_root = None
        try:
            self.var_root = tempfile.mkdtemp(prefix="kscope-readme-", dir="/var/tmp")
            self.var = self.var_root
        except OSError:               # a read-only /var/tmp (the VM guests' host root)
            self.var = os.path.join(self.root, "var-tmp")
            os.mkdir(self.var)
        self.back = sorted([(self.tmp + "/", "/tmp/"), (self.var + "/", "/var/tmp/"),
                            (self.workloads.rstrip("/") + "/", "build/workloads/")],
                           key=lambda p: -len(p[0]))

    WORD = re.compile(r"(?<![\w./-])(/var/tmp/|/tmp/|build/workloads/|"
                      r"(?:build/)?kscope(?![\w./-]))")

    def map(self, text):
        """README command or file text -> what runs here."""
        def sub(m):
            w = m.group(1)
            if w == "/var/tmp/":
                return self.var + "/"
            if w == "/tmp/":
                return self.tmp + "/"
            if w == "build/workloads/":
                return self.workloads.rstrip("/") + "/"
            return shlex.quote(self.kscope)
        return self.WORD.sub(sub, text)

    def unmap(self, text):
        """Real output -> the README's words."""
        for a, b in self.back:
            text = text.replace(a, b)
        return text

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)
        if self.var_root:
            shutil.rmtree(self.var_root, ignore_errors=True)


def write_file(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(content)
    os.chmod(tmp, 0o755 if content.startswith("#!") else 0o644)
    os.replace(tmp, path)


CAT = re.compile(r"^cat\s+(\S+)$")


def setup_fixtures(ctx, examples):
    """Write every file the README shows with cat, then FILES' others.
    Returns {README path: where it was written}."""
    made = {}
    for ex in examples:
        m = CAT.match(ex.cmd)
        if m:
            name = m.group(1)
            content = "\n".join(ex.out) + "\n"
            path = ctx.map(name)
            if not os.path.isabs(path):
                path = os.path.join(ctx.cwd, path)
            write_file(path, ctx.map(content))
            made[name] = f"from README.md line {ex.lineno} (`$ {ex.cmd}`)"
    for name, content in FILES.items():
        if name in made:
            continue
        path = ctx.map(name)
        if not os.path.isabs(path):
            path = os.path.join(ctx.cwd, path)
        write_file(path, ctx.map(content))
        made[name] = "from the FILES table of scripts/readme_examples.py (not shown in README.md)"
    return made


DEP = re.compile(r"(?<![\w./-])((?:/|build/)?[\w./-]*\w\.sh|build/[\w./-]+)(?![\w./-])")


def missing_deps(ctx, cmd, cwd):
    """Files the command names (scripts, build/...) that do not exist."""
    missing = []
    for w in DEP.findall(cmd):
        p = ctx.map(w)
        if p.startswith("'"):
            p = shlex.split(p)[0]
        if not os.path.exists(p if os.path.isabs(p) else os.path.join(cwd, p)):
            missing.append(w)
    return missing


# ---- shape ---------------------------------------------------------------------------------

NUM = re.compile(r"0x[0-9a-fA-F]+|\d+(?:\.\d+)*(?:e[-+]\d+)?(?:ns|us|ms|s|B|KiB|MiB|GiB|TiB)?")
HDR_TOKEN = re.compile(r"^[A-Z][A-Z0-9_-]*(?:\([a-z%]+\))?$")
REST = ("HOOK USED HERE", "WORKS HERE", "DETAILS", "PATH", "ERRNOS")
FIXED = ("COMM",)
HIST_HDR = re.compile(r"^\s+\S+\s+: count\s+distribution$")
BUCKET = re.compile(r"^\s*\d+ -> \d+\s*: \d+\s*\|([* ]*)\|$")
CHECK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_()-]*(?: [A-Za-z0-9_()-]+)* *$")
CHECK_STATUS = re.compile(r"^[A-Za-z]{2,4} *$")


def check_name(line):
    """doctor's "%-16s %-4s %s" lines: the check's name, else None."""
    if len(line) > 18 and line[16] == " " and CHECK_NAME.match(line[:16]) and \
            CHECK_STATUS.match(line[17:21]) and (len(line) <= 21 or line[21] == " "):
        return line[:16].rstrip()
    return None


class Item:
    def __init__(self, kind, key, lines, optional=False):
        self.kind = kind
        self.key = key
        self.lines = lines
        self.optional = optional

    def render(self):
        return self.key + (" (may be absent)" if self.optional else "")


class Table:
    def __init__(self, line):
        self.line = line
        self.rest = None
        body = line
        for r in REST:
            if line == r or line.endswith(" " + r):
                self.rest = r
                body = line[:len(line) - len(r)]
                break
        self.cols = [(m.group(), m.start()) for m in re.finditer(r"\S+", body)]
        if self.rest:
            self.cols.append((self.rest, len(body)))
        self.names = [c[0] for c in self.cols]

    @staticmethod
    def parse(line):
        toks = line.split()
        if len(toks) >= 3 and all(HDR_TOKEN.match(t) for t in toks):
            return Table(line)
        return None

    def fields(self, line):
        """The row's fields, or None when the line is not a row of this table."""
        segs = []                     # ("tok", names, offset, text) or ("fixed", ...)
        pos = 0
        pending = []
        for i, (name, start) in enumerate(self.cols):
            if name not in FIXED:
                pending.append(name)
                continue
            end = self.cols[i + 1][1] if i + 1 < len(self.cols) else len(line)
            if len(line) < end or start == 0 or line[start - 1] != " " or \
                    line[end - 1] != " " or not line[start:end].strip():
                return None
            segs.append(("tok", pending, pos, line[pos:start]))
            segs.append(("fixed", [name], start, line[start:end].strip()))
            pending = []
            pos = end
        segs.append(("tok", pending, pos, line[pos:]))
        fields = []
        for kind, names, at, text in segs:
            if kind == "fixed":
                fields.append(text)
                continue
            if not names:
                if text.strip():
                    return None
                continue
            if names[-1] == self.rest:
                toks = self._split_rest(len(names), text, self.cols[-1][1] - at)
            else:
                toks = text.split()
            if toks is None or len(toks) != len(names):
                return None
            fields.extend(toks)
        return fields

    @staticmethod
    def _split_rest(n, text, rest_at):
        """n columns, the last one the rest of the line, which starts at
        text[rest_at] (its header's column) unless a wide value pushed it right."""
        if 0 < rest_at < len(text) and text[rest_at - 1] == " ":
            toks = text[:rest_at].split()
            if len(toks) == n - 1:
                return toks + [text[rest_at:].strip()]
        if rest_at >= len(text):      # the row stops before the rest column: empty
            toks = text.split()
            if len(toks) == n - 1:
                return toks + [""]
        toks = text.split(None, n - 1)
        if len(toks) == n - 1:
            return toks + [""]
        if len(toks) == n and len(text) - len(toks[-1]) < rest_at:
            return None               # the last column starts before its header's
        return toks

    def continuation(self, line):
        if not self.rest:
            return False
        at = self.cols[-1][1]
        return len(line) > at and not line[:at].strip() and bool(line[at:].strip())

    def key(self):
        return "table: " + " | ".join(self.names)


def skeleton(line):
    return NUM.sub("#", line.strip())


def json_line(line):
    if not line.startswith("{"):
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if isinstance(obj, dict) and isinstance(obj.get("type"), str):
        return obj
    return None


def rows_follow(table, rest):
    """A later line of the same paragraph is a row of table."""
    for line in rest:
        if not line.strip():
            return False
        if table.fields(line) is not None:
            return True
    return False


def shape(lines, readme=False):
    """The output's items (see the module's doc), folded."""
    items = []
    table = None
    hist = None
    jblock = None
    lines = [line.rstrip() for line in lines]
    for n, line in enumerate(lines):
        if not line.strip():
            table = hist = jblock = None
            items.append(Item("blank", "blank", [line]))
            continue
        if readme and line.strip() in ("...", "…"):
            table = hist = jblock = None
            items.append(Item("elided", "... (any lines)", [line]))
            continue
        if table is not None:
            if table.continuation(line) or table.fields(line) is not None:
                items[-1].lines.append(line)
                continue
            if rows_follow(table, lines[n + 1:]):
                cols = len(line.split())
                items.append(Item("badrow", f"row NOT FITTING the table above ({cols} words, "
                                  f"{len(table.names)} columns): {skeleton(line)}", [line]))
                continue
            table = None
        if hist is not None:
            m = BUCKET.match(line)
            if m and line.index(":") == hist["colon"] and line.index("|") == hist["bar"]:
                width = len(m.group(1))
                if hist["width"] is None:
                    hist["width"] = width
                    items[-1].key += f" / buckets |{width} wide|"
                if width == hist["width"]:
                    items[-1].lines.append(line)
                    continue
            hist = None
        obj = json_line(line)
        if obj is not None:
            if obj["type"] == "lost" and not readme:
                continue
            if jblock is None:
                jblock = {}
                items.append(Item("ndjson", "", []))
            jblock.setdefault(obj["type"], list(obj.keys()))
            if jblock[obj["type"]] != list(obj.keys()):
                jblock[obj["type"] + " (other keys)"] = list(obj.keys())
            items[-1].lines.append(line)
            items[-1].key = "ndjson:" + "".join(
                f"\n  type {t}: {', '.join(k)}" for t, k in sorted(jblock.items()))
            continue
        jblock = None
        t = Table.parse(line)
        if t is not None:
            table = t
            items.append(Item("table", t.key(), [line]))
            continue
        if HIST_HDR.match(line):
            hist = {"colon": line.index(":"), "bar": line.index("distribution"), "width": None}
            items.append(Item("hist", "hist: " + line, [line]))
            continue
        name = check_name(line)
        if name:
            items.append(Item("check", "check: " + name, [line]))
            continue
        opt = readme and any(o.match(line.strip()) for o in OPTIONAL)
        items.append(Item("text", "text: " + skeleton(line), [line], optional=opt))
    return fold(items)


def fold(items):
    out = []
    for it in items:                  # consecutive identical items
        if out and it.kind != "blank" and out[-1].kind == it.kind and out[-1].key == it.key:
            out[-1].lines += it.lines
            continue
        out.append(it)
    runs = []                         # paragraphs repeated one after the other
    for it in out:
        kind = "b" if it.kind == "blank" else "p"
        if runs and runs[-1][0] == kind:
            runs[-1][1].append(it)
        else:
            runs.append((kind, [it]))
    res = []
    for kind, its in runs:
        if kind == "p" and len(res) >= 2 and res[-1][0] == "b" and len(res[-1][1]) == 1 \
                and res[-2][0] == "p" and [i.key for i in res[-2][1]] == [i.key for i in its]:
            res.pop()
            continue
        res.append((kind, its))
    return [it for _, its in res for it in its]


def matches(pattern, real):
    """pattern (README items, with "..." and optional ones) against real items."""
    memo = {}

    def m(i, j):
        if (i, j) in memo:
            return memo[i, j]
        if i == len(pattern):
            r = j == len(real)
        else:
            p = pattern[i]
            if p.kind == "elided":
                r = any(m(i + 1, k) for k in range(j, len(real) + 1))
            else:
                r = (p.optional and m(i + 1, j)) or \
                    (j < len(real) and p.key == real[j].key and m(i + 1, j + 1))
        memo[i, j] = r
        return r
    return m(0, 0)


def render(items):
    return [line for i in items for line in i.render().split("\n")]


BOUNDED = re.compile(r"\|\s*(head|tail)\s+(?:-n\s*)?-?(\d+)\s*$")


def row_idents(lines):
    """What a row is about, values aside: (EVENT, COMM[, syscall]) for event
    tables, (type, comm[, failed]) for JSON lines."""
    idents = []
    table = None
    for line in lines:
        line = line.rstrip()
        obj = json_line(line)
        if obj is not None:
            ret = obj.get("ret")
            failed = isinstance(ret, int) and not isinstance(ret, bool) and ret < 0
            idents.append((line, f"{obj['type']} comm={obj.get('comm')}" +
                           (" failed" if failed else "")))
            continue
        t = Table.parse(line) if line.strip() else None
        if t is not None:
            table = t if ("EVENT" in t.names and "COMM" in t.names) else None
            continue
        if table is None or not line.strip():
            table = None if not line.strip() else table
            continue
        f = table.fields(line)
        if f is None:
            continue
        row = dict(zip(table.names, f))
        ident = f"{row['EVENT']} comm={row['COMM']}"
        details = row.get("DETAILS", "")
        first = details.split(" ", 1)[0] if details else ""
        if first and "=" not in first:
            ident += f" {first}"
        elif "ret=-" in details:
            ident += " failed"
        idents.append((line, ident))
    return idents


def compare(ex, real_lines):
    """Problems (shape) and notes of one example."""
    problems, notes = [], []
    rs = shape(ex.out, readme=True)
    xs = shape(real_lines)
    ex.real_shape = xs
    lost = sum(1 for line in real_lines if (json_line(line) or {}).get("type") == "lost")
    if lost:
        notes.append(f"{lost} \"lost\" line(s) in the real run, left out of its shape")
    if not matches(rs, xs):
        diff = difflib.unified_diff(render(rs), render(xs),
                                    "README shape", "real shape", lineterm="", n=2)
        diff = list(diff)
        changed = [d for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---")]
        summary = "; ".join(changed)
        if len(summary) > 110:
            summary = summary[:107] + "..."
        problems.append(f"shape differs: {summary}\n" + "\n".join(diff))
    m = BOUNDED.search(ex.cmd)
    if m and not any(i.kind == "elided" for i in rs):
        if len(ex.out) != len(real_lines):
            problems.append(f"`| {m.group(1)} {m.group(2)}`: README shows {len(ex.out)} "
                            f"line(s), the real run printed {len(real_lines)}")
    real_ids = {i for _, i in row_idents(real_lines)}
    for line, ident in row_idents(ex.out):
        if ident not in real_ids:
            notes.append(f"README row [{ident}] resembles no real row: {line.strip()[:160]}")
    return problems, notes


# ---- running ---------------------------------------------------------------------------------

def run_cmd(cmd, cwd, timeout):
    env = dict(os.environ)
    env["PATH"] = env.get("PATH", "") + \
        ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    t0 = time.monotonic()
    p = subprocess.Popen(["/bin/sh", "-c", cmd], cwd=cwd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True, env=env)
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
    left = False
    try:                               # nothing of it may outlive the example
        os.killpg(p.pid, 0)
        left = True
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    dec = lambda b: b.decode("utf-8", "surrogateescape")
    return p.returncode, dec(out), dec(err), timed_out, left, time.monotonic() - t0


def output_lines(text):
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip() for line in lines]


def run_example(ctx, ex, timeout):
    cwd = ctx.cwd
    cmd = ex.cmd
    sp = SPECIAL.get(ex.cmd)
    if sp:
        ex.special = sp
        missing = [n for n in sp.get("needs", []) if not shutil.which(n)]
        if missing:
            ex.status, ex.why = "not run", f"{', '.join(missing)} not installed here"
            return
        if sp.get("dir"):
            cwd = os.path.join(ctx.root, sp["dir"])
            os.makedirs(cwd, exist_ok=True)
        for name, content in sp.get("files", {}).items():
            write_file(os.path.join(cwd, name), content)
        cmd = sp.get("cmd", cmd)
    deps = missing_deps(ctx, cmd, cwd)
    if deps:
        ex.status = "error"
        ex.problems = [f"missing dependency: {', '.join(deps)} (neither shown with `$ cat` in "
                       "README.md nor in the FILES table of scripts/readme_examples.py)"]
        return
    ex.ran_cmd = ctx.map(cmd)
    rc, out, err, timed_out, left, secs = run_cmd(ex.ran_cmd, cwd, timeout)
    ex.rc, ex.seconds = rc, secs
    ex.stdout, ex.stderr = ctx.unmap(out), ctx.unmap(err)
    if timed_out:
        ex.status = "error"
        ex.problems = [f"timed out after {timeout} s (an example that runs forever needs an "
                       "entry in SPECIAL saying how it is run, e.g. with -d)"]
        return
    if left:
        ex.notes.append("left processes behind (killed)")
    problems, notes = compare(ex, output_lines(ex.stdout))
    if sp and sp.get("check"):
        problems += sp["check"](ctx, cwd)
    ex.problems = problems
    ex.notes += notes
    errs = [line for line in output_lines(ex.stderr) if line.strip()]
    if errs:
        shown = errs[:6] + ([f"... ({len(errs) - 6} more)"] if len(errs) > 6 else [])
        ex.notes.append("stderr (not compared):\n" + "\n".join("    " + e for e in shown))
    ex.status = "differs" if problems else "same"


# ---- report and update -----------------------------------------------------------------------

def indent(text, by="    "):
    return "\n".join(by + line for line in text.split("\n"))


def report(examples, fixtures, ctx, verbose, out=sys.stdout):
    w = out.write
    w(f"kscope: {ctx.kscope}\nworkloads: {ctx.workloads}\n")
    w(f"scratch: {ctx.root} (/tmp/), {ctx.var} (/var/tmp/), commands run in {ctx.cwd}\n")
    w("fixtures:\n")
    for name, how in fixtures.items():
        w(f"    {name}: {how}\n")
    w("special handling:\n")
    for ex in examples:
        if ex.special:
            w(f"    {NAME}:{ex.lineno} $ {ex.cmd}\n        why: {ex.special['why']}\n"
              f"        how: {ex.special['how']}\n")
    cmds = {ex.cmd for ex in examples}
    for c in SPECIAL:
        if c not in cmds:
            w(f"    (SPECIAL entry for `{c}` matches no README example: stale?)\n")
    w("\n")
    for n, ex in enumerate(examples, 1):
        tag = {"same": "ok", "differs": "DIFFERS", "error": "ERROR", "not run": "NOT RUN"}
        w(f"[{n}/{len(examples)}] {tag[ex.status]:7} {NAME}:{ex.lineno}  $ {ex.cmd}")
        w(f"  ({ex.seconds:.1f} s)\n" if ex.ran_cmd else "\n")
        if ex.status == "not run":
            w(f"    not run: {ex.why}\n")
        for p in ex.problems:
            w(indent(p) + "\n")
        if ex.status in ("differs", "error") and ex.ran_cmd:
            lines = output_lines(ex.stdout)
            w(f"    real output ({len(lines)} lines, exit status {ex.rc}):\n")
            for line in lines[:40]:
                w(f"    | {line}\n")
            if len(lines) > 40:
                w(f"    | ... ({len(lines) - 40} more)\n")
        if verbose and ex.status == "same":
            w("    shape:\n" + "".join(f"      {i.render()}\n" for i in ex.real_shape))
        for note in ex.notes:
            w(indent("note: " + note) + "\n")
    counts = {s: sum(1 for e in examples if e.status == s)
              for s in ("same", "differs", "error", "not run")}
    w(f"\n{len(examples)} examples: {counts['same']} same shape, {counts['differs']} differ, "
      f"{counts['error']} could not run, {counts['not run']} not run here\n")
    for ex in examples:
        if ex.status != "same":
            what = ex.why if ex.status == "not run" else ex.problems[0].split("\n")[0]
            w(f"    {ex.status}: {NAME}:{ex.lineno} $ {ex.cmd}: {what}\n")


def elide(real, shown):
    """The real lines, cut the way the README cut its output with "..."."""
    dots = [i for i, line in enumerate(shown) if line.strip() in ("...", "…")]
    if not dots:
        return real
    head, tail = dots[0], len(shown) - dots[-1] - 1
    if head + tail >= len(real):
        return real
    return real[:head] + [shown[dots[0]]] + (real[len(real) - tail:] if tail else [])


def update(readme, lines, examples, out=sys.stdout):
    changed = 0
    for ex in sorted(examples, key=lambda e: -e.start):
        if ex.status not in ("same", "differs"):
            continue
        new = elide(output_lines(ex.stdout), ex.out)
        if new != ex.out:
            lines[ex.start:ex.end] = new
            changed += 1
            out.write(f"updated {NAME}:{ex.lineno} $ {ex.cmd}\n")
            if ex.special:
                out.write(f"    (from the fixture run, not the command as written: "
                          f"{ex.special['how']})\n")
    if changed:
        tmp = readme + ".new"
        with open(tmp, "w") as f:
            f.write("\n".join(lines))
        os.replace(tmp, readme)
    out.write(f"{changed} example output(s) rewritten in {readme}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip(),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kscope", default=os.environ.get("KSCOPE") or
                    os.path.join(REPO, "build", "kscope"), help="the binary (build/kscope)")
    ap.add_argument("--workloads", default=os.environ.get("WORKLOADS") or
                    os.path.join(REPO, "build", "workloads"),
                    help="the workloads (build/workloads)")
    ap.add_argument("--readme", default=os.path.join(REPO, "README.md"))
    ap.add_argument("--timeout", type=float, default=TIMEOUT, help="per example, seconds")
    ap.add_argument("--only", metavar="REGEX", help="only the examples whose command matches")
    ap.add_argument("--update", action="store_true", help="rewrite README.md's outputs")
    ap.add_argument("--list", action="store_true", help="list the examples, run nothing")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every shape")
    a = ap.parse_args()
    global NAME
    NAME = os.path.basename(a.readme)

    with open(a.readme) as f:
        text = f.read()
    lines, examples = extract(text)
    if a.list:
        for ex in examples:
            sp = " [special]" if ex.cmd in SPECIAL else ""
            print(f"{NAME}:{ex.lineno}: $ {ex.cmd}{sp} ({len(ex.out)} output lines)")
        return 0
    if os.geteuid() != 0:
        print("readme_examples: run as root (kscope loads BPF programs)", file=sys.stderr)
        return 2
    if not os.access(a.kscope, os.X_OK):
        print(f"readme_examples: {a.kscope} is not an executable (make)", file=sys.stderr)
        return 2
    ctx = Context(os.path.abspath(a.kscope), os.path.abspath(a.workloads))
    try:
        fixtures = setup_fixtures(ctx, examples)
        todo = [e for e in examples if not a.only or re.search(a.only, e.cmd)]
        for ex in todo:
            run_example(ctx, ex, a.timeout)
        report(todo, fixtures, ctx, a.verbose)
        if a.update:
            update(a.readme, lines, todo)
            return 0
    finally:
        ctx.cleanup()
    return 1 if any(e.status in ("differs", "error") for e in todo) else 0


if __name__ == "__main__":
    sys.exit(main())

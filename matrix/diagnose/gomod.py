"""What a plugin's go.mod, go.work and the go command's answers say, as data (no processes).

The measuring side runs the go command (`go mod edit -json`, `go work edit -json`,
`go mod graph`, `go list -deps`, `go build`); this module reads what it printed:
module and Go versions compared the way the go command compares them, the requirement
that makes minimal version selection raise a module above the host's version, the
compile errors that say which code needs a newer Go, and what `go get` downgraded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

# ---------------------------------------------------------------------- versions
_GO = re.compile(r"(?:go)?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?")
_SEMVER = re.compile(r"v(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")
ZERO_PSEUDO = "v0.0.0-00010101000000-000000000000"  # what a directory replacement is required at


def go_key(v: str | None) -> tuple[int, int, int, int, int] | None:
    """Order of Go versions as the go command has it: 1.21 < 1.21rc1 < 1.21.0 < 1.21.1."""
    m = _GO.fullmatch((v or "").strip())
    if not m:
        return None
    major, minor = int(m.group(1)), int(m.group(2) or 0)
    if m.group(4):
        return (major, minor, -1, 0 if m.group(4) == "beta" else 1, int(m.group(5)))
    if m.group(3) is None:
        # Before Go 1.21, "1.20" named the release 1.20(.0); from 1.21 on it is the
        # language version, older than every 1.21 release.
        return (major, minor, -2 if (major, minor) >= (1, 21) else 0, 0, 0)
    return (major, minor, int(m.group(3)), 0, 0)


def go_newer(a: str | None, b: str | None) -> bool:
    """Whether Go version `a` is newer than `b` (False when either is unreadable)."""
    ka, kb = go_key(a), go_key(b)
    return bool(ka and kb and ka > kb)


def go_line_for(release: str | None) -> str | None:
    """The go line a module may have to build with Go `release` ('go1.26.8' -> '1.26.8';
    before Go 1.21 the go line has no patch number: 'go1.19.8' -> '1.19')."""
    m = _GO.fullmatch((release or "").strip())
    if not m:
        return None
    major, minor = int(m.group(1)), int(m.group(2) or 0)
    if (major, minor) < (1, 21):
        return f"{major}.{minor}"
    return (release or "").strip().removeprefix("go")


def semver_key(v: str) -> tuple[Any, ...]:
    """Order of module versions (semver; pseudo-versions are pre-releases)."""
    m = _SEMVER.fullmatch(v.strip())
    if not m:
        return (-1, 0, 0, 0, ())
    pre = m.group(4)
    ids: tuple[tuple[int, int, str], ...] = ()
    if pre:
        ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0), 0 if pre else 1, ids)


def semver_newer(a: str, b: str) -> bool:
    return semver_key(a) > semver_key(b)


# ---------------------------------------------------------------------- go.mod / go.work
def is_local_path(p: str) -> bool:
    """A replacement target that is a directory, not a module path (as the go command decides)."""
    return p.startswith(("./", "../", "/")) or p in (".", "..")


@dataclass
class Replace:
    old: str
    old_version: str | None
    new: str
    new_version: str | None
    origin: str = "go.mod"  # or "go.work" (a `use` or a `replace` of the workspace)

    @property
    def local(self) -> bool:
        return is_local_path(self.new)

    def lhs(self) -> str:
        return f"{self.old}@{self.old_version}" if self.old_version else self.old

    def rhs(self) -> str:
        return f"{self.new}@{self.new_version}" if self.new_version else self.new

    def text(self) -> str:
        left = f"{self.old} {self.old_version}" if self.old_version else self.old
        right = f"{self.new} {self.new_version}" if self.new_version else self.new
        return f"{left} => {right}"


@dataclass
class ModFile:
    module: str | None
    go: str | None = None
    toolchain: str | None = None
    requires: dict[str, str] = field(default_factory=dict)
    indirect: set[str] = field(default_factory=set)
    replaces: list[Replace] = field(default_factory=list)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ModFile:
        mod = cls((doc.get("Module") or {}).get("Path"), doc.get("Go"), doc.get("Toolchain"))
        for r in doc.get("Require") or []:
            mod.requires[r["Path"]] = r["Version"]
            if r.get("Indirect"):
                mod.indirect.add(r["Path"])
        mod.replaces = [_replace(r) for r in doc.get("Replace") or []]
        return mod


@dataclass
class WorkFile:
    go: str | None
    uses: list[str]  # directories, as written (relative to the go.work file)
    replaces: list[Replace]

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> WorkFile:
        return cls(
            doc.get("Go"),
            [u["DiskPath"] for u in doc.get("Use") or []],
            [_replace(r) for r in doc.get("Replace") or []],
        )


def _replace(r: dict[str, Any]) -> Replace:
    return Replace(r["Old"]["Path"], r["Old"].get("Version"), r["New"]["Path"], r["New"].get("Version"))


def first_error(output: str) -> str:
    """The go command's error about a file, on one line ('go: errors parsing go.mod:' and
    the line after it)."""
    lines = [ln.strip() for ln in output.strip().splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.endswith(":") or ln == lines[-1]]
    return "; ".join(lines[:2]) if lines else "no error text"


# ---------------------------------------------------------------------- the go command's answers
_NEEDS_GO = re.compile(r"go: (?:module )?(\S+?):? requires go >= (\S+) \(running go (\S+?)[;)]")
_GO_LATER = re.compile(r"^(?P<where>\S+?:\d+(?::\d+)?): (?P<what>.+?) requires (?P<go>go1\.\d+) or later")
_COMPILE = re.compile(r"^(?P<where>(?:\./|/|[\w.\-]+/)?\S+?\.(?:go|c|h|s):\d+(?::\d+)?): (?P<msg>.+)$")
_DOWN = re.compile(r"^go: (downgraded|upgraded) (\S+) (\S+) => (\S+)$")
_REMOVED = re.compile(r"^go: removed (\S+) (\S+)$")
_UNDEFINED = re.compile(r"undefined: (\w+(?:/\w+)*)\.(\w+)")


@dataclass
class GoNeed:
    """`what` (go.mod, a directory, module@version) needs Go >= `go`."""

    what: str
    go: str


def needs_go(output: str) -> list[GoNeed]:
    seen: dict[str, GoNeed] = {}
    for m in _NEEDS_GO.finditer(output):
        what = m.group(1).rstrip(":")
        seen.setdefault(what, GoNeed(what, m.group(2)))
    return list(seen.values())


def compile_errors(output: str, limit: int = 8) -> list[str]:
    """`file:line:col: message` lines of a failed build, in order, without repeats."""
    out: list[str] = []
    for ln in output.splitlines():
        ln = ln.strip()
        if _COMPILE.match(ln) and ln not in out:
            out.append(ln)
        if len(out) >= limit:
            break
    return out


def newer_go_uses(output: str) -> list[tuple[str, str, str]]:
    """(file:line, what, goX.Y) for each 'X requires goX.Y or later' a newer Go reported
    (the compiler for language features, vet's stdversion check for library API)."""
    out: list[tuple[str, str, str]] = []
    for ln in output.splitlines():
        ln = ln.strip().removeprefix("vet: ")
        m = _GO_LATER.match(ln)
        if m and not m.group("where").split(":")[0].endswith("_test.go"):
            item = (m.group("where"), m.group("what"), m.group("go"))
            if item not in out:
                out.append(item)
    return out


def guess_newer_go(errors: list[str], std: set[str]) -> list[str]:
    """What in an older Go's compile errors looks like code written for a newer Go, when
    no newer Go could be asked: a standard-library name that does not exist (yet), or
    syntax the compiler does not know."""
    out = []
    for e in errors:
        m = _UNDEFINED.search(e)
        if m and m.group(1) in std:
            out.append(f"{e}  ({m.group(1)}.{m.group(2)} is not in this Go's standard library)")
        elif "method must have no type parameters" in e:
            out.append(f"{e}  (a generic method: Go 1.27 language feature)")
        elif re.search(r"unknown field \w+ in struct literal", e):
            out.append(f"{e}  (maybe a promoted field in a struct literal: Go 1.27 language feature)")
        elif "syntax error" in e:
            out.append(f"{e}  (syntax this Go does not know)")
    return out


@dataclass
class Change:
    module: str
    old: str
    new: str | None  # None: removed

    def text(self) -> str:
        return f"{self.module} {self.old} => {self.new}" if self.new else f"{self.module} {self.old} removed"


def get_changes(output: str) -> list[Change]:
    """What `go get` changed, from its 'go: downgraded X v1 => v0' lines."""
    out = []
    for ln in output.splitlines():
        ln = ln.strip()
        if m := _DOWN.match(ln):
            out.append(Change(m.group(2), m.group(3), m.group(4)))
        elif m := _REMOVED.match(ln):
            out.append(Change(m.group(1), m.group(2), None))
    return out


def parse_graph(text: str) -> list[tuple[str, str]]:
    """`go mod graph` -> (from, to) edges, each 'path@version' (the main module: 'path')."""
    edges = []
    for ln in text.splitlines():
        f = ln.split()
        if len(f) == 2:
            edges.append((f[0], f[1]))
    return edges


def forcing(edges: list[tuple[str, str]], module: str, above: str, main: set[str]) -> list[str]:
    """'A@va requires M@vb' for each requirement of `module` above version `above` by a
    module other than the main module(s); the highest first."""
    found: list[tuple[tuple[Any, ...], str]] = []
    for src, dst in edges:
        path, _, ver = dst.partition("@")
        if path != module or not ver or not semver_newer(ver, above):
            continue
        if src.partition("@")[0] in main and "@" not in src:
            continue
        found.append((semver_key(ver), f"{src} requires {dst}"))
    found.sort(key=lambda x: x[0], reverse=True)
    return [t for _, t in found]


@dataclass
class Linked:
    """A package the plugin links and the module version it comes from."""

    package: str
    module: str
    version: str


def parse_deps(text: str) -> list[Linked]:
    """`go list -deps -f '{{.ImportPath}} {{with .Module}}{{.Path}} {{.Version}}{{end}}'`."""
    out = []
    for ln in text.splitlines():
        f = ln.split()
        if len(f) == 3:
            out.append(Linked(f[0], f[1], f[2]))
    return out


def package_clauses(files: dict[str, str]) -> set[str]:
    """Package names of Go files (name -> text), test files left out."""
    names = set()
    for name, text in files.items():
        if name.endswith("_test.go"):
            continue
        m = re.search(r"^\s*package\s+(\w+)", _strip_comments(text), re.M)
        if m:
            names.add(m.group(1))
    return names


def uses_cgo(text: str) -> bool:
    return bool(re.search(r'^\s*import\s+(?:\(\s*)?"C"', _strip_comments(text), re.M))


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def rel_posix(path: str) -> str:
    p = PurePosixPath(path).as_posix()
    return "." if p in ("", ".") else ("./" + p if not p.startswith(("./", "../", "/")) else p)

"""Where a plugin's source is: its package directory, the module it belongs to (maybe in a
subdirectory of a larger repository), the go.work workspace around it, its vendor tree.

Nothing here writes to the plugin's directory: the build works on a copy.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from matrix import UserError
from matrix.diagnose import gomod

# Never copied: version control, built plugins, the vendor tree (re-made or ignored, see
# build_plugin), and nested modules (other modules; a replace names them by path).
SKIP_DIRS = {".git", ".hg", ".svn", "vendor"}


@dataclass
class Source:
    dir: Path  # the plugin's package directory, resolved
    given: str  # as the user wrote it
    root: Path | None  # the module root (the directory holding go.mod), None: no go.mod at all
    package: str  # "./" + path of dir under root, "." when they are the same
    workfile: Path | None  # the go.work that covers the module, if any
    vendored: bool
    cgo_files: list[str]


def locate(src: Path) -> Source:
    """Check `src` and find its module; a UserError names what is wrong with the input."""
    if not src.exists():
        raise UserError(f"{src}: no such directory")
    if not src.is_dir():
        raise UserError(f"{src}: not a directory (build-plugin wants the plugin's source directory)")
    d = src.resolve()
    files = {p.name: _read(p) for p in sorted(d.glob("*.go")) if p.is_file()}
    if not any(not n.endswith("_test.go") for n in files):
        raise UserError(f"{src}: no Go source files (*.go) in this directory")
    names = gomod.package_clauses(files)
    if "main" not in names:
        found = ", ".join(sorted(names)) or "none readable"
        raise UserError(f"{src}: a Go plugin is a `package main`; this directory has package {found}")
    root = _module_root(d)
    work = _workfile(d)
    package = "."
    if root is not None and root != d:
        package = gomod.rel_posix(d.relative_to(root).as_posix())
    cgo = sorted(n for n, t in files.items() if not n.endswith("_test.go") and gomod.uses_cgo(t))
    vendored = root is not None and (root / "vendor" / "modules.txt").is_file()
    return Source(d, str(src), root, package, work, vendored, cgo)


def _read(p: Path) -> str:
    try:
        return p.read_text(errors="replace")
    except OSError as e:
        raise UserError(f"{p}: cannot read: {e.strerror}") from None


def _module_root(d: Path) -> Path | None:
    for p in [d, *d.parents]:
        if (p / "go.mod").is_file():
            return p
    return None


def _workfile(d: Path) -> Path | None:
    env = os.environ.get("GOWORK", "")
    if env == "off":
        return None
    if env:
        return Path(env).resolve()
    for p in [d, *d.parents]:
        if (p / "go.work").is_file():
            return p / "go.work"
    return None


def copy_module(src: Path, dest: Path) -> None:
    """Copy a module's tree: no VCS metadata, vendor/, *.so, nor nested modules."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n.endswith(".so")}
        for n in names:
            p = os.path.join(directory, n)
            if os.path.isdir(p) and (n in SKIP_DIRS or os.path.isfile(os.path.join(p, "go.mod"))):
                skip.add(n)
        return skip

    shutil.copytree(src, dest, ignore=ignore, ignore_dangling_symlinks=True)

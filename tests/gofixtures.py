"""Real Go hosts and plugins for the ELF and doctor tests, built once per test session.

A tiny host (imports `plugin`, opens os.Args[1], looks up KustomizePlugin, the way
kustomize does) and plugins that differ from it in one way each: -trimpath,
-gcflags=all=-N -l, a dependency at another version (a local module replaced by another
directory), no KustomizePlugin symbol, -ldflags=-s -w, other Go releases; plus non-Go
shared objects from gcc. The builds share the default GOCACHE, so a warm machine
builds them all in seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

GO119 = "/usr/lib/go-1.19/bin/go"

HOST_MAIN = """package main

import (
\t"fmt"
\t"os"
\t"plugin"

\t"example.com/dep"
)

func main() {
\t_ = dep.Name()
\tp, err := plugin.Open(os.Args[1])
\tif err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
\tif _, err := p.Lookup("KustomizePlugin"); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
\tfmt.Println("loaded")
}
"""

PLUGIN_MAIN = """package main

import "example.com/dep"

type plugin struct{ name string }

var KustomizePlugin = plugin{name: dep.Name()}
"""

PLUGIN_NOSYM = """package main

import "example.com/dep"

var SomethingElse = dep.Name()
"""


@dataclass
class GoFixtures:
    root: Path
    hosts: dict[str, Path] = field(default_factory=dict)
    plugins: dict[str, Path] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # fixture -> why it is missing
    versions: dict[str, str] = field(default_factory=dict)  # toolchain name -> `go version` word

    def plugin(self, name: str) -> Path:
        if name not in self.plugins:
            pytest.skip(f"fixture {name!r} not built: {self.missing.get(name, 'unknown reason')}")
        return self.plugins[name]


def _go_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "CGO_ENABLED": "1", "GOWORK": "off"})
    env.update(extra or {})
    return env


def _module(d: Path, path: str, main: str | None, dep_dir: str | None) -> None:
    d.mkdir(parents=True, exist_ok=True)
    mod = f"module {path}\n\ngo 1.18\n"
    if dep_dir:
        mod += f"\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => {dep_dir}\n"
    (d / "go.mod").write_text(mod)
    if main is not None:
        (d / "main.go").write_text(main)


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> str | None:
    try:
        r = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    return None if r.returncode == 0 else (r.stderr or r.stdout).strip()[-400:]


def _go_version(go: str, env: dict[str, str]) -> str | None:
    try:
        out = subprocess.run(
            [go, "env", "GOVERSION"], env=env, capture_output=True, text=True, timeout=600, cwd="/"
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out or None


def build(root: Path) -> GoFixtures:
    fx = GoFixtures(root)
    if shutil.which("go") is None:
        fx.missing["*"] = "no `go` on PATH"
        return fx
    _module(root / "dep1", "example.com/dep", None, None)
    (root / "dep1" / "dep.go").write_text('package dep\n\nfunc Name() string { return "one" }\n')
    _module(root / "dep2", "example.com/dep", None, None)
    (root / "dep2" / "dep.go").write_text(
        'package dep\n\n// another version of the same module\nfunc Name() string { return "two" }\n'
    )
    _module(root / "host", "example.com/host", HOST_MAIN, "../dep1")
    _module(root / "plug", "example.com/plug", PLUGIN_MAIN, "../dep1")
    _module(root / "plug2", "example.com/plug", PLUGIN_MAIN, "../dep2")
    _module(root / "nosym", "example.com/nosym", PLUGIN_NOSYM, "../dep1")
    out = root / "out"
    out.mkdir()
    env = _go_env()
    fx.versions["local"] = _go_version("go", env) or "?"

    def host(name: str, flags: list[str], extra: dict[str, str] | None = None) -> None:
        err = _run(["go", "build", *flags, "-o", str(out / name), "."], root / "host", _go_env(extra))
        if err:
            fx.missing[name] = err
        else:
            fx.hosts[name] = out / name

    def plugin(
        name: str, src: str, flags: list[str], go: str = "go", extra: dict[str, str] | None = None
    ) -> None:
        dest = out / f"{name}.so"
        err = _run(
            [go, "build", "-buildmode=plugin", *flags, "-o", str(dest), "."], root / src, _go_env(extra)
        )
        if err:
            fx.missing[name] = err
        else:
            fx.plugins[name] = dest

    host("host", [])
    host("host-nocgo", [], {"CGO_ENABLED": "0"})
    plugin("match", "plug", [])
    plugin("trimpath", "plug", ["-trimpath"])
    plugin("debug", "plug", ["-gcflags=all=-N -l"])
    plugin("stripped", "plug", ["-ldflags=-s -w"])
    plugin("dep-other", "plug2", [])
    plugin("nosym", "nosym", [])
    if Path(GO119).is_file():
        fx.versions["go1.19"] = _go_version(GO119, env) or "?"
        plugin("go1.19", "plug", [], go=GO119)
        plugin("go1.19-stripped", "plug", ["-ldflags=-s -w"], go=GO119)
    else:
        fx.missing["go1.19"] = fx.missing["go1.19-stripped"] = (
            f"{GO119} not installed (apt-get install golang-1.19)"
        )
    v127 = _go_version("go", _go_env({"GOTOOLCHAIN": "go1.27.3"}))
    if v127 and v127.startswith("go1.27.3"):
        fx.versions["go1.27.3"] = v127
        plugin("go1.27.3", "plug", [], extra={"GOTOOLCHAIN": "go1.27.3"})
    else:
        fx.missing["go1.27.3"] = "GOTOOLCHAIN=go1.27.3 is not available (the go command could not fetch it)"

    c = root / "c"
    c.mkdir()
    (c / "f.c").write_text("int f(void) { return 1; }\n")
    (c / "g.c").write_text("int g(void) { return 2; }\n")
    (c / "needs.c").write_text("int g(void);\nint f(void) { return g(); }\n")
    for name, cc in (("c", "gcc"), ("c-386", "i686-linux-gnu-gcc"), ("c-arm64", "aarch64-linux-gnu-gcc")):
        if shutil.which(cc) is None:
            fx.missing[name] = f"{cc} not installed"
            continue
        err = _run([cc, "-shared", "-fPIC", "-o", str(out / f"{name}.so"), "f.c"], c, dict(os.environ))
        if err:
            fx.missing[name] = err
        else:
            fx.plugins[name] = out / f"{name}.so"
    if shutil.which("gcc"):
        err = _run(
            ["gcc", "-shared", "-fPIC", "-o", str(c / "libmatrixmissing.so"), "g.c"], c, dict(os.environ)
        )
        err = err or _run(
            ["gcc", "-shared", "-fPIC", "-o", str(out / "c-needs.so"), "needs.c", "-L.", "-lmatrixmissing"],
            c,
            dict(os.environ),
        )
        if err:
            fx.missing["c-needs"] = err
        else:
            (c / "libmatrixmissing.so").unlink()  # so the loader cannot find it
            fx.plugins["c-needs"] = out / "c-needs.so"
    return fx


@pytest.fixture(scope="session", name="gofix")
def gofix_fixture(tmp_path_factory: pytest.TempPathFactory) -> GoFixtures:
    fx = build(tmp_path_factory.mktemp("gofix"))
    if "*" in fx.missing:
        pytest.skip(fx.missing["*"])
    if "host" not in fx.hosts:
        pytest.fail(f"the fixture host did not build: {fx.missing.get('host')}")
    return fx


# ---------------------------------------------------------------------- bad plugin files
def _phdrs(data: bytes) -> list[tuple[int, ...]]:
    """(type, flags, offset, vaddr, paddr, filesz, memsz, align) of a 64-bit LE ELF file."""
    off, n = struct.unpack_from("<Q", data, 32)[0], struct.unpack_from("<H", data, 56)[0]
    return [struct.unpack_from("<IIQQQQQQ", data, off + i * 56) for i in range(n)]


def _patched(data: bytes, at: int, fmt: str, value: int) -> bytes:
    b = bytearray(data)
    struct.pack_into(fmt, b, at, value)
    return bytes(b)


def _retyped(data: bytes, old: int, new: int) -> bytes:
    """Every program header of type `old` turned into `new`."""
    off = struct.unpack_from("<Q", data, 32)[0]
    for i, ph in enumerate(_phdrs(data)):
        if ph[0] == old:
            data = _patched(data, off + i * 56, "<I", new)
    return data


def _load_end(data: bytes) -> int:
    return max(p[2] + p[5] for p in _phdrs(data) if p[0] == 1)


def _dynamic_start(data: bytes) -> int:
    return next(p[2] for p in _phdrs(data) if p[0] == 2)


def bad_plugin_files(fx: GoFixtures, root: Path) -> dict[str, Path]:
    """Plugin files that are not plugins, made from the real fixtures: what a broken
    download, a wrong copy or another platform's build looks like to `plugin.Open`."""
    out = root / "bad"
    out.mkdir(parents=True, exist_ok=True)
    go, c = fx.plugins["match"].read_bytes(), fx.plugins.get("c")
    made: dict[str, bytes] = {
        "text": b"this is not a plugin, it is a text file\n" * 4,
        "empty": b"",
        "short-text": b"hello\n",
        "magic-only": b"\x7fELF",
        "header-52-bytes": go[:52],
        "header-only": go[:64],
        "go-cut-in-text": go[: len(go) // 3],
        "go-cut-after-segments": go[: _load_end(go)],
        "class-byte-3": _patched(go, 4, "B", 3),
        "big-endian-byte": _patched(go, 5, "B", 2),
        "osabi-freebsd": _patched(go, 7, "B", 9),
        "relocatable": _patched(go, 16, "<H", 1),
        "no-dynamic": _retyped(go, 2, 0),
        "no-loads": _retyped(go, 1, 0),
    }
    if c is not None:
        cb = c.read_bytes()
        made["c-cut-in-dynamic"] = cb[: _dynamic_start(cb) + 8]
    files = {name: out / f"{name}.so" for name in made}
    for name, data in made.items():
        files[name].write_bytes(data)
    for name in ("c-386", "c-arm64"):
        if name in fx.plugins:
            files[name] = fx.plugins[name]
    files["executable"] = fx.hosts["host"]
    if shutil.which("gcc"):
        (root / "pie.c").write_text("int main(void) { return 0; }\n")
        if not _run(["gcc", "-fPIE", "-pie", "-o", str(out / "pie.so"), "pie.c"], root, dict(os.environ)):
            files["pie"] = out / "pie.so"
    (out / "directory.so").mkdir(exist_ok=True)
    files["directory"] = out / "directory.so"
    return files


def record_loader_texts(host: Path, files: dict[str, Path], dest: Path) -> dict[str, dict[str, object]]:
    """Really `plugin.Open` each file in `host` (cgo on); keep what it said, in `dest`."""
    texts: dict[str, dict[str, object]] = {}
    for name, f in files.items():
        rc, out = load(host, f)
        texts[name] = {"file": str(f), "exit": rc, "output": out}
    dest.write_text(json.dumps(texts, indent=2, sort_keys=True) + "\n")
    return texts


@dataclass
class LoaderTexts:
    files: dict[str, Path]  # case -> the file given to plugin.Open
    texts: dict[str, dict[str, object]]  # case -> {"file", "exit", "output"}: what the loader said
    record: Path  # the same, as JSON, written by this test run


@pytest.fixture(scope="session", name="loader_texts")
def loader_texts_fixture(gofix: GoFixtures, tmp_path_factory: pytest.TempPathFactory) -> LoaderTexts:
    """The real loader's words for every bad plugin file, recorded by this run."""
    root = tmp_path_factory.mktemp("loader")
    files = bad_plugin_files(gofix, root)
    record = root / "loader-texts.json"
    return LoaderTexts(files, record_loader_texts(gofix.hosts["host"], files, record), record)


def load(host: Path, plugin: Path) -> tuple[int, str]:
    """Really load `plugin` into `host`: (exit status, stdout + stderr)."""
    r = subprocess.run(
        [str(host), str(plugin)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    return r.returncode, r.stdout + r.stderr

"""Shared by the fault tests: a grid of hostile plugins, real `plugin-matrix` processes,
and snapshots of directory trees (what changed, besides the records)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from matrix.measure.proc import INHERIT

HOSTILE = Path(__file__).resolve().parent
ROOT = HOSTILE.parent.parent
GOOD = ROOT / "matrix" / "plugins"

# Hostile behaviour that runs when the plugin is opened (an init in hostile.go), built
# beside the real generator's main.go so the plugin still generates.
BESIDE_GENERATOR = ("escape", "noisy", "snoop", "slow")


def _assembled(name: str) -> Path:
    """generator/main.go + <name>/hostile.go in one directory (a stable path: the content
    decides the artifact key, and an unchanged copy is not rewritten)."""
    out = Path(tempfile.gettempdir()) / "plugin-matrix-hostile" / name
    out.mkdir(parents=True, exist_ok=True)
    for src in (GOOD / "generator" / "main.go", HOSTILE / name / "hostile.go"):
        dest = out / src.name
        if not dest.is_file() or dest.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dest)
    return out


# name -> (source directory, kind); every source is an absolute path.
PLUGINS: dict[str, tuple[Path, str]] = {
    **{n: (HOSTILE / n, "generator") for n in ("panicinit", "hang", "segv", "sigsegv")},
    **{n: (_assembled(n), "generator") for n in BESIDE_GENERATOR},
    "generator": (GOOD / "generator", "generator"),
}
RELEASE = ("v5.8.2", "sigs.k8s.io/kustomize/kustomize/v5", "v0.21.2", "v0.21.2")
MACHINE_GO = "go1.26.8"  # the `go` on PATH on this project's machine (and on CI, by setup-go)
# A Go release no machine has: too old for GOTOOLCHAIN to fetch (nothing is downloaded),
# not on PATH, and its distro path does not exist. Its cells are skipped at once.
GONE = "go1.0.1"
NO_GO = "/nonexistent/bin/go"


def count(name: str, regular: int, stress: int) -> int:
    """How many times to do something: `nox -s stress` (PLUGIN_MATRIX_STRESS=1) does more."""
    if os.environ.get(name):
        return int(os.environ[name])
    return stress if os.environ.get("PLUGIN_MATRIX_STRESS") else regular


def write_grid(
    data: Path,
    profiles: Mapping[str, Iterable[str]],
    toolchains: Iterable[str] = (MACHINE_GO,),
    extra_plugins: Mapping[str, Path] = {},
    same_module: Mapping[str, str] = {},
) -> Path:
    """A grid.toml in `data`: one release, the named Go releases (MACHINE_GO is the `go`
    on PATH; GONE is a release no machine has), the named plugins. `same_module` (name ->
    another name) gives a plugin the other's source and module path: more cells, one build."""
    rel, module, api, kyaml = RELEASE
    tcs = list(toolchains)
    lines = ["schema = 1", ""]
    for t in tcs:
        lines += [f'[toolchains."{t}"]', *([f'distro = "{NO_GO}"'] if t == GONE else []), ""]
    lines += [f'[releases."{rel}"]', f'module = "{module}"', f'api = "{api}"', f'kyaml = "{kyaml}"', ""]
    used = sorted({p for ps in profiles.values() for p in ps})
    for p in used:
        same = same_module.get(p)
        src, kind = (extra_plugins[p], "generator") if p in extra_plugins else PLUGINS[same or p]
        module_line = [f'module = "matrix.local/plugin/{same}"'] if same else []
        lines += [f"[plugins.{p}]", f"source = {json.dumps(str(src))}", f'kind = "{kind}"', *module_line, ""]
    lines += [
        "[variants.default]",
        'applies = ["host", "plugin"]',
        "",
        "[pins.host]",
        'description = "host pins"',
        "",
        '[platforms."linux/amd64"]',
        'goos = "linux"',
        'goarch = "amd64"',
        'cc = "gcc"',
        "",
    ]
    profs = dict(profiles)
    for required in ("smoke", "default", "full"):
        profs.setdefault(required, next(iter(profiles.values())))
    for name, ps in profs.items():
        ps = list(ps)
        lines += [
            f"[profiles.{name}]",
            f'releases = ["{rel}"]',
            f"toolchains = {json.dumps(tcs)}",
            f"plugins = {json.dumps(ps)}",
            f'reference = {{ release = "{rel}", toolchain = "{tcs[0]}", plugin = "{ps[0]}" }}',
            "axes = []",
            "",
        ]
    data.mkdir(parents=True, exist_ok=True)
    path = data / "grid.toml"
    path.write_text("\n".join(lines))
    return path


def cli_env(cache: Path, tmpdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `plugin-matrix` child: ours, with a private cache and temp dir."""
    # Built from nothing: what the grid needs (proc.INHERIT), never the rest of ours.
    env = {k: os.environ[k] for k in (*INHERIT, "VIRTUAL_ENV") if k in os.environ}
    env["LANG"] = "C.UTF-8"
    tmpdir.mkdir(parents=True, exist_ok=True)
    env.update({"PLUGIN_MATRIX_CACHE": str(cache), "TMPDIR": str(tmpdir), "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "matrix", *args]


def run_cli(args: list[str], env: dict[str, str], timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(*args),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def start_cli(args: list[str], env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """A `plugin-matrix` process in the background, its stderr going to `log`."""
    f = log.open("wb")
    p = subprocess.Popen(
        cli(*args), env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=f, stdin=subprocess.DEVNULL
    )
    f.close()
    return p, log


def wait_for(
    cond: Any, timeout: float, what: str, proc: subprocess.Popen[bytes] | None = None, log: Path | None = None
) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"gave up waiting for {what}\n{tail}")


def tree(root: Path, skip: Iterable[Path] = ()) -> dict[str, tuple[int, int, int]]:
    """path -> (size, mtime in ns, mode) of everything under root, except under `skip`."""
    skipped = [str(s) for s in skip]
    out: dict[str, tuple[int, int, int]] = {}
    for d, dirs, files in os.walk(root):
        if any(d == s or d.startswith(s + os.sep) for s in skipped):
            dirs[:] = []
            continue
        for n in dirs + files:
            p = os.path.join(d, n)
            if any(p == s for s in skipped):
                continue
            st = os.lstat(p)
            out[p] = (
                st.st_size if not os.path.isdir(p) else 0,
                st.st_mtime_ns if not os.path.isdir(p) else 0,
                st.st_mode,
            )
    return out


def processes_with(text: str) -> list[str]:
    """Command lines of running processes that contain `text`."""
    found = []
    for p in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmd and str(os.getpid()) != p.name:
            found.append(f"{p.name}: {cmd}")
    return found

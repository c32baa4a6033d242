"""Finding the Go toolchains the grid names, and what exactly each one is.

The grid names Go by exact release (`go1.26.8`), never by machine. Each machine resolves a
release to a way of running it, tried in order (RESOLVE_ORDER, or PLUGIN_MATRIX_RESOLVE):
`path` (the `go` on PATH, when it is exactly that release), `gotoolchain` (the `go` on
PATH with GOTOOLCHAIN=<release>: Go >= 1.21 fetches any release >= go1.21 as a module),
`distro` (the path the grid names, e.g. Debian's /usr/lib/go-1.19/bin/go), `goroot` (a
GOROOT listed in PLUGIN_MATRIX_GOROOTS, e.g. the releases setup-go installed on CI
besides the one on PATH). The record says which way was used (`resolved`).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from typing import Any

from matrix.measure import proc

GOENV_KEYS = (
    "GOVERSION",
    "GOROOT",
    "GOOS",
    "GOARCH",
    "GOAMD64",
    "CGO_ENABLED",
    "CC",
    "GOTOOLCHAIN",
    "GOEXPERIMENT",
)


@dataclass
class Toolchain:
    id: str
    go: str
    gotoolchain: str
    version: str | None = None  # the exact `go version` line
    goenv: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why it cannot be used here
    install: str | None = None  # the command that would make it usable
    resolved: str | None = None  # how this machine runs the release: path | gotoolchain | distro

    @property
    def available(self) -> bool:
        return self.problem is None

    def env(self, caches: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
        env = proc.base_env({"GOTOOLCHAIN": self.gotoolchain, "GOFLAGS": "-mod=mod", **caches})
        env.update(extra or {})
        return env

    def provenance(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "go": self.go,
            "gotoolchain": self.gotoolchain,
            "version": self.version,
            "goenv": self.goenv,
            "resolved": self.resolved,
        }


@functools.cache
def shared_caches() -> dict[str, str]:
    """The machine's Go module and build caches, shared by every toolchain and run."""
    env = proc.base_env({"GOTOOLCHAIN": "local"})
    r = proc.run(["go", "env", "-json", "GOMODCACHE", "GOCACHE", "GOPATH"], env=env, timeout=60)
    if r.returncode != 0:
        return {}
    return {k: v for k, v in json.loads(r.stdout).items() if v}


def resolve(tid: str, spec: dict[str, Any]) -> Toolchain:
    tc = Toolchain(tid, spec["go"], spec["gotoolchain"], install=spec.get("install"))
    version, goenv, problem = _probe(tc.go, tc.gotoolchain, os.environ.get("PATH", ""))
    tc.version, tc.goenv = version, dict(goenv)
    if problem:
        tc.problem = f"toolchain {tid!r}: {problem}"
    return tc


@functools.cache
def _probe(
    go: str, gotoolchain: str, path: str
) -> tuple[str | None, tuple[tuple[str, str], ...], str | None]:
    """(`go version` line, `go env` facts, why it cannot be used) of one go command and
    GOTOOLCHAIN: asked once per process (resolving releases tries the PATH go for each)."""
    del path  # part of the key only: another PATH may find another go
    if shutil.which(go) is None:
        return None, (), f"{go} is not installed"
    env = Toolchain("", go, gotoolchain).env(shared_caches())
    r = proc.run([go, "version"], env=env, timeout=300)
    if r.returncode != 0:
        return None, (), f"`{go} version` failed: {r.output[-2000:]}"
    version = r.stdout.strip()
    r = proc.run([go, "env", "-json", *GOENV_KEYS], env=env, timeout=120)
    goenv = tuple((k, v) for k, v in sorted(json.loads(r.stdout).items()) if v) if r.returncode == 0 else ()
    return version, goenv, None


RESOLVE_ORDER = ("path", "gotoolchain", "distro", "goroot")
GOROOTS_ENV = "PLUGIN_MATRIX_GOROOTS"  # os.pathsep-separated GOROOTs to look in (CI's setup-go)
RESOLVE_ENV = "PLUGIN_MATRIX_RESOLVE"  # e.g. "gotoolchain,path": another order (tests, CI)
_RELEASE = re.compile(r"^go(\d+)\.(\d+)(?:\.(\d+))?$")


def release_tuple(release: str) -> tuple[int, int, int] | None:
    """'go1.26.8' -> (1, 26, 8); None for anything else."""
    m = _RELEASE.match(release)
    return (int(m[1]), int(m[2]), int(m[3] or 0)) if m else None


def resolve_order() -> tuple[str, ...]:
    raw = os.environ.get(RESOLVE_ENV, "")
    order = tuple(w.strip() for w in raw.split(",") if w.strip()) or RESOLVE_ORDER
    bad = [w for w in order if w not in RESOLVE_ORDER]
    if bad:
        from matrix import UserError

        raise UserError(f"{RESOLVE_ENV}={raw!r}: unknown way {bad[0]!r}; ways: {', '.join(RESOLVE_ORDER)}")
    return order


def resolve_release(release: str, spec: dict[str, Any]) -> Toolchain:
    """The Go `release` (the grid's toolchain id) as this machine can run it, or a
    Toolchain whose `problem` says every way that was tried and why it failed."""
    tried: list[str] = []
    want = release_tuple(release)
    for way in resolve_order():
        if way == "path":
            tc = resolve(release, {"go": "go", "gotoolchain": "local"})
        elif way == "gotoolchain":
            if want is None or want < (1, 21, 0):
                tried.append(f"GOTOOLCHAIN cannot fetch {release} (only go1.21 and later)")
                continue
            tc = resolve(release, {"go": "go", "gotoolchain": release})
        elif way == "distro":
            if not spec.get("distro"):
                continue
            tc = resolve(release, {"go": spec["distro"], "gotoolchain": "local"})
        else:
            roots = [r for r in os.environ.get(GOROOTS_ENV, "").split(os.pathsep) if r]
            found = [t for r in roots if (t := _at_goroot(release, r)) is not None]
            if not found:
                if roots:
                    tried.append(f"goroot: no {release} in {GOROOTS_ENV}")
                continue
            tc = found[0]
        got = go_release(tc.version)
        if tc.available and got == release:
            tc.resolved, tc.install = way, spec.get("install")
            return tc
        tried.append(f"{way}: {tc.problem or f'{tc.go} is {got}'}")
    return Toolchain(
        release,
        "go",
        "local",
        problem=f"Go {release} is not available here ({'; '.join(tried) or 'no way to run it'})",
        install=spec.get("install"),
    )


def _at_goroot(release: str, root: str) -> Toolchain | None:
    go = os.path.join(root, "bin", "go")
    if not os.path.isfile(go):
        return None
    tc = resolve(release, {"go": go, "gotoolchain": "local"})
    return tc if go_release(tc.version) == release else None


def go_release(version_line: str | None) -> str | None:
    """'go version go1.26.8 linux/amd64' -> 'go1.26.8'."""
    if not version_line:
        return None
    parts = version_line.split()
    return parts[2] if len(parts) >= 3 else None


@functools.cache
def service_names() -> list[tuple[str, str]]:
    """(value, placeholder) for the module proxy and checksum database this machine uses.

    Recorded text names them as $GOPROXY / $GOSUMDB: they are machine settings, not
    results, and records must read the same whichever mirror served the modules."""
    env = proc.base_env({"GOTOOLCHAIN": "local"})
    r = proc.run(["go", "env", "-json", "GOPROXY", "GOSUMDB"], env=env, timeout=60)
    if r.returncode != 0:
        return []
    doc = json.loads(r.stdout)
    out = []
    for url in re.split(r"[,|]", doc.get("GOPROXY", "")):
        if url and url not in ("direct", "off"):
            out.append((url.rstrip("/"), "$GOPROXY"))
    sumdb = doc.get("GOSUMDB", "").split("+")[0].split()[0] if doc.get("GOSUMDB") else ""
    if sumdb and sumdb != "off":
        out.append((sumdb, "$GOSUMDB"))
    return sorted(out, key=lambda x: -len(x[0]))


def redact_services(text: str) -> str:
    for value, placeholder in service_names():
        text = text.replace(value, placeholder)
    return text

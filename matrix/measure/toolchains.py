"""Finding the Go toolchains the grid names, and what exactly each one is."""

from __future__ import annotations

import functools
import json
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
    if shutil.which(tc.go) is None:
        tc.problem = f"toolchain {tid!r}: {tc.go} is not installed"
        return tc
    env = tc.env(shared_caches())
    r = proc.run([tc.go, "version"], env=env, timeout=300)
    if r.returncode != 0:
        tc.problem = f"toolchain {tid!r}: `{tc.go} version` failed: {r.output[-2000:]}"
        return tc
    tc.version = r.stdout.strip()
    r = proc.run([tc.go, "env", "-json", *GOENV_KEYS], env=env, timeout=120)
    if r.returncode == 0:
        tc.goenv = {k: v for k, v in sorted(json.loads(r.stdout).items()) if v}
    return tc


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

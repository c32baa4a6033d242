"""Helpers for the site tests: synthetic records, a tiny data directory made from real
records, an mkdocs build, and a checker for every internal link and anchor."""

from __future__ import annotations

import copy
import hashlib
import html.parser
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from matrix.records import RECORD_FORMAT

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

GO = {"local": "go1.26.8", "go1.27.3": "go1.27.3", "go1.19": "go1.19.8"}
API = {"v5.7.1": ("v0.20.1", "v0.20.1"), "v5.8.2": ("v0.21.2", "v0.21.2"),
       "v5.8.3": ("v0.21.3", "v0.21.3")}


def _toolchain(tc: str) -> dict[str, Any]:
    go = GO.get(tc, tc)
    return {"id": tc, "go": "go", "gotoolchain": "local", "version": f"go version {go} linux/amd64",
            "goenv": {"GOVERSION": go, "GOARCH": "amd64", "GOOS": "linux", "CGO_ENABLED": "1"}}


def _build(kind: str, status: str, go_mod: str, output: str = "") -> dict[str, Any]:
    cmd = (["go", "build", "-o", "$WORK/kustomize", "sigs.k8s.io/kustomize/kustomize/v5"] if kind == "host"
           else ["go", "build", "-buildmode=plugin", "-o", "$WORK/plugin.so", "."])
    return {"kind": kind, "key": "0" * 64, "status": status,
            "sha256": ("a" if kind == "host" else "b") * 64 if status == "ok" else None,
            "command": cmd, "env": {"CGO_ENABLED": "1", "GOOS": "linux", "GOARCH": "amd64"},
            "go_mod": go_mod, "modules": {"sigs.k8s.io/kustomize/api": "v0.21.2"}, "output": output,
            "truncated": False, "duration_s": 1.0, "reason": None, "install": None}


def record(release: str = "v5.8.2", host_tc: str = "local", plugin_tc: str = "local",
           plugin: str = "generator", host_variant: str = "default", plugin_variant: str = "default",
           pins: str = "host", host_platform: str = "linux/amd64", plugin_platform: str = "linux/amd64",
           outcome: str | None = None, stderr: str | None = None, cls: str | None = None,
           package: str | None = None, doctor: dict[str, Any] | None = None,
           axes: list[str] | None = None, recorded_at: str = "2026-11-25T19:00:00+00:00",
           build_output: str = "") -> dict[str, Any]:
    """A record shaped like the real ones (see matrix/schemas/record.schema.json)."""
    key = json.dumps([release, host_tc, plugin_tc, plugin, host_variant, plugin_variant, pins,
                      host_platform, plugin_platform])
    cell = "c" + hashlib.sha256(key.encode()).hexdigest()[:12]
    if outcome is None:
        outcome = "loads" if GO.get(host_tc) == GO.get(plugin_tc) else "fails"
    api, kyaml = API.get(release, ("v0.21.2", "v0.21.2"))
    if stderr is None:
        stderr = ("2026/11/25 19:00:00 Attempting plugin load from '$CELL/plugins/matrix.example.com/v1/"
                  "matrixgenerator/MatrixGenerator.so'\n")
        if outcome == "fails":
            stderr += ("fatal error: runtime: no plugin module data\n\ngoroutine 1 [running]:\n"
                       "runtime.throw({0xfb9fc6?, 0x0?})\n\t/usr/lib/go/src/runtime/panic.go:1 +0x5d\n")
    host_status = "failed" if outcome == "build-failed" else "ok"
    load = None
    if outcome in ("loads", "fails"):
        load = {"outcome": outcome, "exit_code": 0 if outcome == "loads" else 2, "signal": None,
                "timed_out": False, "seen": outcome == "loads", "stdout": "", "stderr": stderr,
                "truncated": False, "duration_s": 0.2,
                "command": ["$HOST_BIN", "build", "--enable-alpha-plugins", "$CELL/kustomization"]}
    host_mod = ("module matrix.local/host\n\ngo 1.22.7\n\n"
                f"require sigs.k8s.io/kustomize/kustomize/v5 {release}\n")
    plugin_mod = (f"module matrix.local/plugin/{plugin}\n\ngo 1.22.7\n\nrequire sigs.k8s.io/kustomize/api "
                  f"{api}\n")
    return {
        "format": RECORD_FORMAT, "cell": cell, "inputs": hashlib.sha256(cell.encode()).hexdigest(),
        "axes": axes or ["baseline"], "outcome": outcome,
        "reason": "the host did not build" if outcome == "build-failed" else None,
        "host": {"kind": "kustomize-cli", "release": release, "module": "sigs.k8s.io/kustomize/kustomize/v5",
                 "api": api, "kyaml": kyaml, "variant": host_variant, "flags": [], "platform": host_platform,
                 "goos": "linux", "goarch": host_platform.split("/")[1], "toolchain": _toolchain(host_tc),
                 "build": _build("host", host_status, host_mod, build_output)},
        "plugin": {"name": plugin, "kind": "generator", "release": release, "pins": pins, "api": api,
                   "kyaml": kyaml, "variant": plugin_variant, "flags": [], "platform": plugin_platform,
                   "goos": "linux", "goarch": plugin_platform.split("/")[1],
                   "toolchain": _toolchain(plugin_tc), "sources": "c" * 64,
                   "build": _build("plugin", "ok", plugin_mod)},
        "load": load, "class": cls, "package": package, "doctor": doctor,
        "runner": {"os": "linux", "arch": "x86_64", "kernel": "6.1", "libc": "glibc 2.36", "emulator": None,
                   "native": True},
        "tool_version": "0.1.0", "recorded_at": recorded_at,
    }


def real_records() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((DATA / "cells").glob("c*.json"))]


HTML_ERROR = "<script>window.__pwned = 1</script><b>bold</b> & <img src=x onerror=alert(1)>"


def tiny_project(tmp: Path, per_outcome: int = 3) -> tuple[Path, dict[str, Any]]:
    """A project copy (data/ with a few real records; matrix/ linked) in tmp. One record
    that failed to load is copied with only its error text changed to hold HTML.
    Returns (data dir, the changed record)."""
    proj = tmp / "proj"
    data = proj / "data"
    (data / "cells").mkdir(parents=True)
    (proj / "matrix").symlink_to(ROOT / "matrix")
    shutil.copy(DATA / "grid.toml", data / "grid.toml")
    for name in ("errors.toml", "published-slugs.txt"):
        if (DATA / name).is_file():
            shutil.copy(DATA / name, data / name)
    recs = real_records()
    chosen: list[dict[str, Any]] = []
    for outcome in ("loads", "fails", "build-failed", "skipped", "not-run"):
        chosen += [r for r in recs if r["outcome"] == outcome][:per_outcome]
    fails = [r for r in chosen if r["outcome"] == "fails" and r.get("load")]
    if not fails:
        raise RuntimeError("the dataset has no record that failed to load")
    changed = copy.deepcopy(fails[0])
    changed["load"]["stderr"] = f"Error: {HTML_ERROR}\n" + changed["load"]["stderr"]
    for r in chosen:
        r = changed if r["cell"] == changed["cell"] else r
        (data / "cells" / f"{r['cell']}.json").write_text(json.dumps(r, indent=2, sort_keys=True))
    return data, changed


def mkdocs_build(out: Path, data: Path | None = None,
                 timeout: float = 900) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGIN_MATRIX_DATA")}
    env.update({"NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true", "PYTHONHASHSEED": "0"})
    if data is not None:
        env["PLUGIN_MATRIX_DATA"] = str(data)
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                        "--site-dir", str(out)], capture_output=True, text=True, timeout=timeout,
                       cwd=ROOT, env=env)
    return r, time.monotonic() - t0


class _Collect(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"] or "")
        for key in ("href", "src"):
            v = a.get(key)
            if v and tag in ("a", "img", "script", "link"):
                self.refs.append(v)


def link_problems(site: Path) -> list[str]:
    """Every internal href/src of every HTML page that points to no file, or to no anchor."""
    pages: dict[Path, _Collect] = {}
    for p in site.rglob("*.html"):
        c = _Collect()
        c.feed(p.read_text(encoding="utf-8"))
        pages[p.resolve()] = c
    problems = []
    for page, c in sorted(pages.items()):
        for ref in c.refs:
            u = urlsplit(ref)
            if u.scheme or u.netloc or ref.startswith(("mailto:", "javascript:", "data:")):
                continue
            path = unquote(u.path)
            target = (page.parent / path).resolve() if path else page
            if path.startswith("/"):
                target = (site / path.lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{page.relative_to(site.resolve())}: {ref}: no such file")
                continue
            if u.fragment and target.suffix == ".html":
                ids = pages[target.resolve()].ids if target.resolve() in pages else set()
                if unquote(u.fragment) not in ids:
                    problems.append(f"{page.relative_to(site.resolve())}: {ref}: no such anchor")
    return problems

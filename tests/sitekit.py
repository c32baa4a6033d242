"""Helpers for the site tests: synthetic records, a tiny data directory made from real
records, an mkdocs build, and a checker for every internal link and anchor."""

from __future__ import annotations

import copy
import functools
import hashlib
import html.parser
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from matrix.core import grid as gridmod
from matrix.diagnose.classify import classify_record

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

GO = {"go1.26.8": "go1.26.8", "go1.27.3": "go1.27.3", "go1.19.8": "go1.19.8"}


def real_records() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((DATA / "cells").glob("c*.json"))]


@functools.cache
def _reals() -> tuple[dict[str, Any], ...]:
    return tuple(
        r
        for r in real_records()
        if r["host"]["platform"] == "linux/amd64"
        and r["plugin"]["pins"] == "host"
        # synthetic records are Go plugin sweep cells (their ids say so): so are their bases
        and r["plugin"].get("mechanism", "go-plugin") == "go-plugin"
        and not r["plugin"].get("scenario")
    )


def _base(
    outcome: str, release: str, host_tc: str, plugin_tc: str, plugin: str, variants: tuple[str, str]
) -> dict[str, Any]:
    """The real cell of this outcome closest to the wanted coordinates: the same Go on each
    side and the same build variants first (they decide the error text), then the release
    and the plugin; ties go to the smallest cell id, so the choice is stable."""

    def score(r: dict[str, Any]) -> tuple[bool, ...]:
        return (
            r["host"]["toolchain"]["id"] == host_tc,
            r["plugin"]["toolchain"]["id"] == plugin_tc,
            (r["host"]["variant"], r["plugin"]["variant"]) == variants,
            r["host"]["release"] == release,
            r["plugin"]["name"] == plugin,
        )

    best = sorted((r for r in _reals() if r["outcome"] == outcome), key=lambda r: r["cell"])
    return max(best, key=score)


def _toolchain(tc: str, default: dict[str, Any]) -> dict[str, Any]:
    for r in _reals():
        if r["host"]["toolchain"]["id"] == tc:
            return copy.deepcopy(r["host"]["toolchain"])
    return {**copy.deepcopy(default), "id": tc}


@functools.cache
def _variants() -> dict[str, Any]:
    return dict(gridmod.load(DATA / "grid.toml").variants)


def synthetic_record(
    release: str = "v5.8.2",
    host_tc: str = "go1.26.8",
    plugin_tc: str = "go1.26.8",
    plugin: str = "generator",
    host_variant: str = "default",
    plugin_variant: str = "default",
    pins: str = "host",
    host_platform: str = "linux/amd64",
    plugin_platform: str = "linux/amd64",
    outcome: str | None = None,
    stderr: str | None = None,
    cls: str | None = None,
    package: str | None = None,
    doctor: dict[str, Any] | None = None,
    axes: list[str] | None = None,
    recorded_at: str = "2026-11-25T19:00:00+00:00",
    build_output: str = "",
    timed_out: bool = False,
) -> dict[str, Any]:
    """A SYNTHETIC record: a real recorded cell of the same outcome, moved to other
    coordinates for a test. It is never written into data/.

    What production derives is derived here by the production code: the cell id
    (grid.cell_id of the coordinates) and, unless the test names one, the error class and
    package (classify_record of the record's texts). The record stays consistent with its
    coordinates: GOOS/GOARCH follow the platform, each side's flags and environment follow
    its variant in data/grid.toml, and a timed-out load says so. Its texts (stderr, build
    output, go.mod, provenance) stay as measured unless the test passes its own (e.g. an
    error text holding HTML, to check escaping)."""
    host = gridmod.HostSpec(release, host_tc, host_variant, host_platform)
    plug = gridmod.PluginSpec(plugin, release, plugin_tc, pins, plugin_variant, plugin_platform)
    cell = gridmod.cell_id(host, plug)
    if outcome is None:
        outcome = "loads" if GO.get(host_tc) == GO.get(plugin_tc) else "fails"
    r = copy.deepcopy(_base(outcome, release, host_tc, plugin_tc, plugin, (host_variant, plugin_variant)))
    r.update(
        cell=cell,
        inputs=hashlib.sha256(cell.encode()).hexdigest(),
        axes=axes or ["baseline"],
        recorded_at=recorded_at,
        doctor=doctor,
    )
    variants = _variants()
    for side, tc, variant, platform in (
        ("host", host_tc, host_variant, host_platform),
        ("plugin", plugin_tc, plugin_variant, plugin_platform),
    ):
        d = r[side]
        goos, goarch = platform.split("/")
        d.update(release=release, variant=variant, platform=platform, goos=goos, goarch=goarch)
        d["toolchain"] = _toolchain(tc, d["toolchain"])
        vdef = variants.get(variant, {})
        d["flags"] = list(vdef.get("flags", []))
        env = d["build"].get("env") or {}
        env.update({"GOOS": goos, "GOARCH": goarch, **vdef.get("env", {})})
        d["build"]["env"] = env
        d["toolchain"].setdefault("goenv", {}).update(GOOS=goos, GOARCH=goarch)
    r["plugin"].update(name=plugin, pins=pins)
    if r.get("load") is not None:
        if stderr is not None:
            r["load"]["stderr"] = stderr
        if timed_out:
            r["load"].update(timed_out=True, exit_code=None, signal=9)
    if build_output:
        failed = [s for s in ("host", "plugin") if r[s]["build"]["status"] == "failed"] or ["host"]
        r[failed[0]]["build"]["output"] = build_output
    derived_cls, derived_pkg = classify_record(r)
    r["class"] = cls if cls is not None else derived_cls
    r["package"] = package if package is not None or cls is not None else derived_pkg
    return r


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


def mkdocs_build(
    out: Path, data: Path | None = None, timeout: float = 900
) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGIN_MATRIX_DATA")}
    env.update({"NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true", "PYTHONHASHSEED": "0"})
    if data is not None:
        env["PLUGIN_MATRIX_DATA"] = str(data)
    t0 = time.monotonic()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )
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


def downloads_of(data: Path, out: Path) -> dict[str, bytes]:
    """The downloads of DATA/cells, written by the one writer (matrix.dataset.downloads)."""
    from matrix.dataset import downloads

    out.mkdir(parents=True, exist_ok=True)
    paths = {n: out / n for n in downloads.DOWNLOAD_NAMES}
    downloads.write_download_files(data, paths)
    return {n: p.read_bytes() for n, p in paths.items()}


def data_dir_of(recs: list[dict[str, Any]], root: Path) -> Path:
    """A data directory holding these records (DATA/cells/<cell>.json)."""
    (root / "cells").mkdir(parents=True, exist_ok=True)
    for r in recs:
        (root / "cells" / f"{r['cell']}.json").write_text(json.dumps(r))
    return root


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """The built site at SITE served on a free local port (its 404 page for missing paths),
    as GitHub Pages would serve it; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# Debian's chromium, driven through Playwright (never a downloaded browser).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched Debian chromium (Playwright's Browser), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def watched_page(browser: Any, base_url: str, **context_args: Any) -> Iterator[Any]:
    """A new page that records console and page errors (`page.errors`) and requests that
    would leave the local server (`page.outside`)."""
    ctx = browser.new_context(**context_args)
    pg = ctx.new_page()
    pg.errors = []
    pg.outside = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on(
        "request",
        lambda r: pg.outside.append(r.url) if not r.url.startswith((base_url, "data:", "blob:")) else None,
    )
    pg.set_default_timeout(20_000)
    try:
        yield pg
    finally:
        ctx.close()

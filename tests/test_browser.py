"""The built site in a real browser: Playwright driving Debian's headless chromium (never a
downloaded browser), the site served from a local thread (missing paths get the site's
404 page, as on GitHub Pages). The site is built from a tiny dataset: a few real records,
one of them copied with only its error text changed to hold HTML, which must show as
text, plus a few more real records of that cell's release (its table of cells)."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sitekit import DATA, HTML_ERROR, link_problems, mkdocs_build, tiny_project

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
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


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("tiny")
    try:
        data, changed = tiny_project(tmp)
    except RuntimeError as e:
        pytest.skip(str(e))
    # the changed cell's release gets a table of cells with more than one outcome
    release = changed["host"]["release"]
    for p in sorted((DATA / "cells").glob("c*.json")):
        rec = json.loads(p.read_text())
        if rec["host"]["release"] == release and not (data / "cells" / p.name).exists():
            (data / "cells" / p.name).write_text(p.read_text())
            if len(list((data / "cells").glob("c*.json"))) >= 24:
                break
    out = tmp / "site"
    r, _ = mkdocs_build(out, data)
    assert r.returncode == 0, r.stderr[-3000:]
    assert " WARNING " not in r.stderr, r.stderr
    assert "WARNING -" not in r.stderr, r.stderr
    return out, changed


@pytest.fixture(scope="module")
def base_url(tiny: tuple[Path, dict[str, Any]]) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(tiny[0]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    ctx = browser.new_context()
    pg = ctx.new_page()
    pg.errors = []  # console errors and page errors
    pg.outside = []  # requests that would leave this machine
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on(
        "request",
        lambda r: (
            pg.outside.append(r.url)
            if not r.url.startswith(base_url) and not r.url.startswith(("data:", "blob:"))
            else None
        ),
    )
    pg.set_default_timeout(20_000)
    try:
        yield pg
    finally:
        ctx.close()


def test_home_renders_without_console_errors(page: Any, base_url: str) -> None:
    page.goto(base_url)
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text().startswith("What loads today")
    assert page.locator("article img.heatmap").count() == 1
    assert page.get_by_role("link", name="Recipe for kustomize").count() == 1
    assert page.get_by_role("link", name="What it means and how to fix it").count() == 1
    assert page.errors == []
    assert page.outside == []


def test_newcomer_two_clicks(page: Any, base_url: str) -> None:
    page.goto(base_url)
    page.get_by_role("link", name="Recipe for kustomize").click()
    page.wait_for_load_state()
    assert "/releases/v" in page.url
    page.goto(base_url)
    page.get_by_role("link", name="What it means and how to fix it").click()
    page.wait_for_load_state()
    assert page.url.endswith("/errors/package-version-mismatch/")
    assert (
        "different version" in page.locator("h1").inner_text().lower()
        or "different version" in page.locator("article").inner_text()
    )


def test_search_finds_an_error_page_from_a_phrase_of_its_message(page: Any, base_url: str) -> None:
    page.goto(base_url)
    page.wait_for_load_state("networkidle")
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("no plugin module data", delay=20)
    results = page.locator(".md-search-result__item a")
    results.first.wait_for()
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any("errors/no-plugin-module-data/" in (h or "") for h in hrefs), hrefs
    assert page.errors == []


def _table_of(tiny: tuple[Path, dict[str, Any]]) -> str:
    """The page of the table of cells of the changed cell's release."""
    from matrix.site import links

    return links.url_of(links.cells_table_src(tiny[1]["host"]["release"]))


def test_matrix_table_filter_narrows_rows(
    page: Any, base_url: str, tiny: tuple[Path, dict[str, Any]]
) -> None:
    page.goto(base_url + "matrix/cells/")  # the index of the tables, one per release
    page.get_by_role("link", name=tiny[1]["host"]["release"], exact=True).first.click()
    page.wait_for_load_state()
    assert page.url == base_url + _table_of(tiny)
    box = page.locator("input.table-filter").first
    rows = page.locator("article table tbody tr")
    total = rows.count()
    assert total >= 6
    box.fill(tiny[1]["cell"])
    visible = page.locator("article table tbody tr:not([hidden])")
    assert visible.count() == 1
    box.fill("loads")
    assert 0 < visible.count() < total
    box.fill("")
    assert visible.count() == total
    # sorting by a column keeps every row and orders them
    head = page.locator("article table thead th").first
    head.click()
    up = [rows.nth(i).locator("td").first.inner_text() for i in range(total)]
    assert head.get_attribute("aria-sort") == "ascending"
    head.click()
    down = [rows.nth(i).locator("td").first.inner_text() for i in range(total)]
    assert down == list(reversed(up))
    assert sorted(up) == sorted(down)
    assert up != down
    assert page.errors == []


def test_heatmap_images_load(page: Any, base_url: str) -> None:
    page.goto(base_url + "matrix/")
    page.wait_for_load_state("networkidle")
    imgs = page.locator("article img")
    assert imgs.count() >= 1
    widths = page.eval_on_selector_all("article img", "els => els.map(e => e.complete ? e.naturalWidth : 0)")
    assert all(w > 0 for w in widths), widths


def test_html_in_an_error_text_shows_as_text(
    page: Any, base_url: str, tiny: tuple[Path, dict[str, Any]]
) -> None:
    cell = tiny[1]["cell"]
    for url in (f"cells/{cell[:3]}/", _table_of(tiny), f"errors/{tiny_class(tiny)}/"):
        page.goto(base_url + url)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("() => window.__pwned") is None
        article = page.locator("article")
        assert "<script>window.__pwned = 1</script>" in article.inner_text(), url
        assert article.locator("script, b, img[src='x']").count() == 0, url
    page.goto(base_url + f"cells/{cell[:3]}/#{cell}")
    raw = page.locator(f"section#{cell} pre.raw-error").first.inner_text()
    assert HTML_ERROR in raw
    assert page.errors == []


def test_a_cell_permalink_shows_its_section(
    page: Any, base_url: str, tiny: tuple[Path, dict[str, Any]]
) -> None:
    """From the table of its release, a cell's link lands on its section; the old
    one-page-per-cell address (cells/<cell id>/) lands there too."""
    cell = tiny[1]["cell"]
    page.goto(base_url + _table_of(tiny))
    page.get_by_role("link", name=cell, exact=True).first.click()
    page.wait_for_load_state()
    assert page.url == f"{base_url}cells/{cell[:3]}/#{cell}"
    section = page.locator(f"section#{cell}")
    assert "The text that explains the outcome" in section.inner_text()
    assert section.locator("a", has_text=tiny_class(tiny)).count() >= 1  # the class link
    page.goto(f"{base_url}cells/{cell}/")  # a 404: the site's page sends the reader on
    page.wait_for_url(f"{base_url}cells/{cell[:3]}/#{cell}")
    assert page.locator(f"section#{cell}").count() == 1


def tiny_class(tiny: tuple[Path, dict[str, Any]]) -> str:
    from matrix.diagnose import classify

    slug, _ = classify.classify_record(tiny[1])
    return slug or "unknown"


def test_every_internal_link_and_anchor_resolves(tiny: tuple[Path, dict[str, Any]]) -> None:
    assert link_problems(tiny[0]) == []


def test_anchors_resolve_in_the_browser(page: Any, base_url: str, tiny: tuple[Path, dict[str, Any]]) -> None:
    """Every in-page anchor link of a few pages lands on an element with that id."""
    for url in ("", "guides/comparison/", f"cells/{tiny[1]['cell'][:3]}/", _table_of(tiny)):
        page.goto(base_url + url)
        missing = page.evaluate("""() => Array.from(document.querySelectorAll('a[href*="#"]'))
            .filter(a => a.host === location.host && a.pathname === location.pathname && a.hash.length > 1)
            .map(a => decodeURIComponent(a.hash.slice(1)))
            .filter(id => !document.getElementById(id))""")
        assert missing == [], (url, missing)


def test_chromium_is_debians() -> None:
    assert shutil.which("chromium") in (CHROMIUM, None) or Path(CHROMIUM).exists()

"""The built site in a real browser: Playwright driving Debian's headless chromium (never a
downloaded browser), the site served from a local thread (missing paths get the site's
404 page, as on GitHub Pages). The site is built from a tiny dataset: a few real records,
one of them copied with only its error text changed to hold HTML, which must show as
text, plus a few more real records of that cell's release (its table of cells)."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sitekit import (
    CHROMIUM,
    DATA,
    HTML_ERROR,
    chromium,
    link_problems,
    mkdocs_build,
    serve,
    tiny_project,
    watched_page,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]


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
    # one cell measured again by another runner, with another outcome: the runs disagree
    other = next(
        p for p in sorted((data / "cells").glob("c*.json")) if json.loads(p.read_text())["outcome"] == "loads"
    )
    rec = json.loads(other.read_text())
    obs = copy.deepcopy(rec["observations"][0])
    obs.update(outcome="fails", recorded_at="2026-12-05T10:00:00+00:00")
    obs["runner"] = {**obs["runner"], "kernel": "6.1.0-other-runner"}
    rec["observations"].append(obs)
    other.write_text(json.dumps(rec))
    out = tmp / "site"
    r, _ = mkdocs_build(out, data)
    assert r.returncode == 0, r.stderr[-3000:]
    assert " WARNING " not in r.stderr, r.stderr
    assert "WARNING -" not in r.stderr, r.stderr
    return out, changed


@pytest.fixture(scope="module")
def base_url(tiny: tuple[Path, dict[str, Any]]) -> Iterator[str]:
    with serve(tiny[0]) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    pytest.importorskip("playwright.sync_api")
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    with watched_page(browser, base_url) as pg:
        yield pg


def test_home_renders_without_console_errors(page: Any, base_url: str) -> None:
    page.goto(base_url)
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text().startswith("What loads today")
    assert page.locator("article svg.heatmap").count() == 1
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


def test_heatmaps_are_drawn(page: Any, base_url: str) -> None:
    page.goto(base_url + "matrix/")
    page.wait_for_load_state("networkidle")
    svgs = page.locator("article svg.heatmap")
    assert svgs.count() >= 1
    sizes = page.eval_on_selector_all(
        "article svg.heatmap", "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert all(w > 0 for w in sizes), sizes


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


def test_a_cell_whose_runs_disagree_says_so(page: Any, base_url: str) -> None:
    """Each run of a cell (runner, how Go was resolved, outcome) in its section; the cell
    whose runs disagree says so there, in its table row and on the history page."""
    page.goto(base_url + "history/")
    dis = page.locator("article table").first
    assert "fails vs loads" in dis.inner_text() or "loads vs fails" in dis.inner_text()
    link = dis.locator("a").first
    cell = link.inner_text()
    link.click()
    page.wait_for_url(f"**/cells/{cell[:3]}/#{cell}")
    section = page.locator(f"section#{cell}")
    text = section.inner_text()
    assert "The runs of this cell disagree" in text
    assert "2 runs (one per runner)" in text
    assert "6.1.0-other-runner" in text
    assert page.errors == []


def test_chromium_is_debians() -> None:
    assert shutil.which("chromium") in (CHROMIUM, None) or Path(CHROMIUM).exists()


# ---------------------------------------------------------------- tasks: the questions users bring
# The real site (the committed dataset), on a desktop (1280 px) and a phone (390 px): each
# question of issue 15 as a task a person does with a mouse or a finger.

DEVICES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture(scope="module")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("real") / "site"
    r, _ = mkdocs_build(out)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "WARNING -" not in r.stderr, r.stderr
    return out


@pytest.fixture(scope="module")
def real_url(real_site: Path) -> Iterator[str]:
    with serve(real_site) as url:
        yield url


@pytest.fixture(params=list(DEVICES))
def device(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(**DEVICES[request.param])
    pg = ctx.new_page()
    pg.device = request.param
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on(
        "console", lambda m: pg.errors.append(m.text) if m.type == "error" and "404" not in m.text else None
    )
    pg.set_default_timeout(20_000)
    try:
        yield pg
    finally:
        ctx.close()


def _site_facts() -> dict[str, Any]:
    from matrix.site import build as site
    from matrix.site import context, frames

    df = site.frame(DATA)
    ctx = context.load(DATA)
    target = frames.newest_with_recipe(df, ctx)
    return {
        "target": target,
        "newest": frames.newest_release(df, ctx),
        "min_go": ctx.min_go(str(target)),
        "releases": len(frames.releases_in(df, ctx)),
    }


def _no_sideways_scroll(pg: Any) -> None:
    """The page itself never scrolls sideways (wide pictures and tables scroll in their box)."""
    width = pg.evaluate("() => document.documentElement.scrollWidth")
    assert width <= pg.viewport_size["width"] + 1, (pg.url, width)


def test_task_cause_of_an_internal_abi_mismatch_in_two_clicks(device: Any, real_url: str) -> None:
    """From the home page, two clicks to the cause of `internal/abi`, and the flag is named."""
    device.goto(real_url)
    device.get_by_role("link", name="What it means and how to fix it").click()
    device.wait_for_load_state()
    assert device.url.endswith("/errors/package-version-mismatch/")
    device.locator("article").get_by_role("link", name="internal/abi", exact=True).first.click()
    assert device.url.endswith("#pkg-internal-abi")
    row = device.locator("tr#pkg-internal-abi")
    row.wait_for()
    assert row.is_visible()
    assert "-gcflags=all=-N -l" in row.inner_text()
    assert "Go toolchain" in row.inner_text()
    # the axis pages are one click away, and the one-liners that compare two files
    article = device.locator("article")
    assert article.get_by_role("link", name="Host build flags").count() >= 1
    assert "go version -m" in article.inner_text()
    assert "plugin-matrix doctor" in article.inner_text()
    _no_sideways_scroll(device)
    assert device.errors == []


def test_task_checklist_targets_the_release_that_loaded(device: Any, real_url: str) -> None:
    facts = _site_facts()
    device.goto(real_url)
    device.get_by_role("link", name="checklist for plugin authors").click()
    device.wait_for_load_state()
    article = device.locator("article")
    assert f"kustomize {facts['target']}" in article.locator("h2").first.inner_text()
    text = article.inner_text()
    if facts["newest"] != facts["target"]:
        assert f"kustomize {facts['newest']} is newer but not the target" in text
    first = article.locator("li.task-list-item, li").filter(has_text="Go release").first.inner_text()
    assert "same minor and the same patch" in first
    assert f"needs Go {facts['min_go']} or newer" in text
    _no_sideways_scroll(device)


def test_task_table_of_cells_fits_and_filters_the_whole_error(device: Any, real_url: str) -> None:
    facts = _site_facts()
    device.goto(real_url + f"matrix/cells/{facts['target']}/")
    device.wait_for_load_state("networkidle")
    table = device.locator("article table.cells")
    if device.device == "desktop":
        fits = device.evaluate(
            "() => { const t = document.querySelector('table.cells');"
            " return t.getBoundingClientRect().right <= window.innerWidth + 1; }"
        )
        assert fits, "the table of cells is wider than the window"
        assert device.locator("th[data-key=package]").is_visible()
    else:
        assert (
            device.evaluate("() => getComputedStyle(document.querySelector('table.cells tr')).display")
            == "block"
        )
    device.locator("input.table-filter").first.fill("abi")
    rows = table.locator("tbody tr:not([hidden])")
    assert rows.count() >= 1
    for i in range(rows.count()):
        assert "internal/abi" in rows.nth(i).inner_text()
    _no_sideways_scroll(device)
    assert device.errors == []


def test_task_reproduce_commands_are_never_cut(device: Any, real_url: str) -> None:
    device.goto(real_url + "errors/package-version-mismatch/")
    device.wait_for_load_state("networkidle")
    cut = device.eval_on_selector_all(
        "article pre.command", "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).length"
    )
    assert cut == 0
    assert device.locator("article pre.command").count() >= 3


def test_task_tested_build_configurations(device: Any, real_url: str) -> None:
    facts = _site_facts()
    device.goto(real_url)
    device.locator("article").get_by_role("link", name="Tested build configurations").click()
    device.wait_for_load_state()
    assert device.url.endswith("/releases/tested/")
    table = device.locator("article table.compact").first
    text = table.inner_text()
    for column in ("minimum Go", "loaded with Go", "C compiler", "libc", "measured"):
        assert column in text or device.device == "phone"  # on a phone each cell says its column
    row = table.locator("tr").filter(has_text=str(facts["target"])).first
    assert facts["min_go"] in row.inner_text()
    assert "glibc" in row.inner_text()
    # each recipe links to it too
    device.goto(real_url + f"releases/{facts['target']}/")
    assert device.locator("article").get_by_role("link", name="Tested build configurations").count() == 1
    _no_sideways_scroll(device)


def test_task_heatmaps_are_readable_clickable_and_fit(device: Any, real_url: str) -> None:
    facts = _site_facts()
    device.goto(real_url + "matrix/")
    device.wait_for_load_state("networkidle")
    smallest = device.eval_on_selector_all(
        "article svg.heatmap text",
        "els => Math.min(...els.map(e => parseFloat(getComputedStyle(e).fontSize)))",
    )
    assert smallest >= 11
    releases = device.locator("article figure[id^=heatmap-v]")
    assert releases.count() == facts["releases"]  # a picture for every release
    fig = device.locator(f"figure#heatmap-{str(facts['target']).replace('.', '-')}")
    box = fig.locator("svg").bounding_box()
    assert box is not None
    assert box["width"] <= device.viewport_size["width"]  # a release's picture fits, even on a phone
    _no_sideways_scroll(device)
    # a square with one cell opens that cell; one with several, its table filtered to them
    single = device.locator("article figure a[href*='cells/c']").first
    href = single.get_attribute("href")
    single.click()
    cell = href.split("#", 1)[1]
    device.locator(f"section#{cell}").wait_for()
    device.goto(real_url + "matrix/")
    many = device.locator(f"figure#heatmap-{str(facts['target']).replace('.', '-')} a[href*='?']").first
    tip = many.locator("title").first.text_content()
    many.click()
    device.wait_for_load_state("networkidle")
    # the filter note and the hidden rows are made by the same script run (tables.js), which
    # may come after the network is idle on a busy machine: wait for its note, then read
    device.locator("article .table-filter-keys").wait_for()
    assert "Only rows with" in device.locator("article").inner_text()
    shown = device.locator("article table.cells tbody tr:not([hidden])").count()
    assert f"{shown} cells" in tip


def test_task_can_my_kustomize_load_plugins(device: Any, real_url: str) -> None:
    device.goto(real_url)
    start = device.locator("article").inner_text().split("Start here", 1)[1]
    assert "go version -m $(command -v kustomize) | grep CGO_ENABLED" in start
    assert "not a downloaded release binary" in start


def test_task_the_site_links_out_and_documents_its_data(device: Any, real_url: str) -> None:
    device.goto(real_url)
    article = device.locator("article")
    assert (
        article.get_by_role("link", name="The source repository")
        .get_attribute("href")
        .startswith("https://github.com/")
    )
    docs = article.get_by_role("link", name="kustomize's own Go plugin documentation").get_attribute("href")
    assert docs.startswith("https://kubectl.docs.kubernetes.io/")
    article.get_by_role("link", name="Install plugin-matrix").click()
    device.wait_for_load_state()
    assert "pip install" in device.locator("article").inner_text()
    device.goto(real_url + "data/")
    text = device.locator("article").inner_text()
    from matrix.dataset import columns
    from matrix.dataset import frame as dataset

    for col in dataset.COLUMNS:
        assert col in text
        assert columns.DOCS[col][:40] in text
    for name in ("kustomize-plugin-matrix.csv.gz", "kustomize-plugin-matrix.parquet", "dataset.csv"):
        resp = device.request.get(real_url + f"data/{name}")
        assert resp.ok, name


def test_task_an_old_cell_permalink_lands_on_the_renamed_cell(
    device: Any, real_url: str, real_site: Path
) -> None:
    renamed = json.loads((real_site / "cells" / "renamed.json").read_text())
    old, new = sorted(renamed.items())[0]
    device.goto(real_url + f"cells/{old}/")
    device.wait_for_url(f"{real_url}cells/{new[:3]}/#{new}")
    assert device.locator(f"section#{new}").count() == 1
    device.goto(real_url + f"cells/{old[:3]}/#{old}")
    device.wait_for_url(f"{real_url}cells/{new[:3]}/#{new}")


def test_task_a_cell_shows_its_runs_and_dates(device: Any, real_url: str) -> None:
    device.goto(real_url + "matrix/cells/")
    device.locator("article table a").first.click()
    device.locator("article table.cells tbody a").first.click()
    device.wait_for_load_state()
    cell = device.url.rsplit("#", 1)[1]
    section = device.locator(f"section#{cell}").inner_text()
    assert "(one per runner)" in section
    assert "Go resolved by" in section
    assert "first seen" in section

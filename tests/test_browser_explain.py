"""The site's "paste your error" box (docs/javascripts/explain.js) in a real browser:
Playwright driving Debian's chromium (never a downloaded browser), the site built from a
tiny dataset and served from a local thread, nothing fetched from elsewhere.

Every text of the public error corpus is pasted into the box on /errors/; the box must
answer what `plugin-matrix explain` answers: for `explain TEXT` the class and package
of the first error, and for `explain -` every error in order (class and package). The
box is on the home page too, links to the class page and its anchors, and shows the
text it was given as text (never as HTML)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from matrix.cli.explain import explain_all
from tests.sitekit import CHROMIUM, ROOT, chromium, mkdocs_build, serve, tiny_project, watched_page
from tests.test_explain_input import PASTES

CORPUS = ROOT / "tests" / "corpus" / "public_errors.jsonl"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("explain-site")
    try:
        data, _ = tiny_project(tmp)
    except RuntimeError as e:
        pytest.skip(str(e))
    out = tmp / "site"
    r, _ = mkdocs_build(out, data)
    assert r.returncode == 0, r.stderr[-3000:]
    with serve(out) as url:
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


def paste(page: Any, text: str) -> list[dict[str, str]]:
    """Paste into the box, press Explain, read what it answered (first error first)."""
    page.fill(".pm-explain-text", text)
    page.click(".pm-explain-go")
    page.wait_for_selector(".pm-explain-result[data-done='1']")
    got: list[dict[str, str]] = page.eval_on_selector_all(
        ".pm-explain-result .pm-explain-answer",
        "els => els.map(e => ({cls: e.dataset.class, pkg: e.dataset.package, guessed: e.dataset.guessed,"
        " alts: [...e.querySelectorAll('.pm-explain-alternatives li')]"
        ".map(li => [li.dataset.class, li.querySelector('code').textContent])}))",
    )
    return got


Answer = tuple[str, str | None, bool, list[tuple[str, str]]]


def box_and_cli(page: Any, text: str) -> tuple[list[Answer], list[Answer]]:
    """What the box answers and what `explain -` answers: every error, whether the class is
    the words model's guess, the alternatives and their checks."""
    box = [
        (a["cls"], a["pkg"] or None, bool(a["guessed"]), [(x[0], x[1]) for x in a["alts"]])
        for a in paste(page, text)
    ]
    cli = [
        (
            a["class"],
            a["package"],
            bool(a.get("guessed")),
            [(x["class"], x["check"]) for x in a["alternatives"]],
        )
        for a in explain_all(text, ROOT / "tests" / "no-such-data-dir")
    ]
    return box, cli


def test_every_corpus_text_gets_the_cli_answer(page: Any, base_url: str) -> None:
    rows = [json.loads(ln) for ln in CORPUS.read_text(encoding="utf-8").splitlines() if ln.strip()]
    page.goto(base_url + "errors/")
    page.wait_for_selector(".pm-explain-text")
    differ = []
    guessed = guessed_alts = 0
    for r in rows:
        box, cli = box_and_cli(page, r["text"])
        if box != cli:
            differ.append((r["id"], box, cli))
        guessed += any(g for _, _, g, _ in cli)
        guessed_alts += any(g and alts for _, _, g, alts in cli)
    assert not differ, differ
    assert guessed >= 10, "the words model's guesses were not compared"
    assert guessed_alts >= 1, "no guess's alternative was compared"
    assert page.errors == []
    assert page.outside == []


def test_what_logs_web_pages_and_terminals_do_to_a_paste_gets_the_cli_answer(
    page: Any, base_url: str
) -> None:
    """The unwrapping cases of tests/test_explain_input.py (Unicode spaces and quotes, JSON
    escapes, wrapped lines, framing no prefix names): the box answers what the CLI does."""
    page.goto(base_url + "errors/")
    page.wait_for_selector(".pm-explain-text")
    differ = []
    for text, slug, _ in PASTES:
        box, cli = box_and_cli(page, text)
        if box != cli or cli[0][0] != slug:
            differ.append((text[:80], box, cli))
    assert not differ, differ
    assert page.errors == []


def test_the_box_is_on_the_home_page_and_links_to_the_class_page(page: Any, base_url: str) -> None:
    page.goto(base_url)
    page.wait_for_selector(".pm-explain-text")
    paste(
        page, 'plugin.Open("/p/Foo.so"): /p/Foo.so: cannot open shared object file: No such file or directory'
    )
    answer = page.locator(".pm-explain-answer").first
    assert answer.get_attribute("data-class") == "elf-mismatch"
    hrefs = answer.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert any(h.endswith("errors/elf-mismatch/") for h in hrefs), hrefs
    assert any(h.endswith("errors/elf-mismatch/#fix") for h in hrefs), hrefs
    # the ambiguity: the other class and the one command that tells them apart
    alt = answer.locator(".pm-explain-alternatives li").first
    assert alt.get_attribute("data-class") == "plugin-file-missing"
    assert "file /p/Foo.so" in alt.inner_text()
    answer.locator("a", has_text="Fix").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/errors/elf-mismatch/#fix")
    assert page.locator("#fix").count() == 1
    assert page.errors == []
    assert page.outside == []


def test_pasted_html_stays_text(page: Any, base_url: str) -> None:
    page.goto(base_url + "errors/")
    page.wait_for_selector(".pm-explain-text")
    paste(page, '<img src=x onerror="window.pwned=1"> plugin.Open("<b>x</b>"): realpath failed')
    assert page.evaluate("window.pwned === undefined")
    assert page.locator(".pm-explain-result img, .pm-explain-result b").count() == 0
    assert "<b>x</b>" in page.inner_text(".pm-explain-result")


def test_several_errors_are_listed_in_order(page: Any, base_url: str) -> None:
    page.goto(base_url + "errors/")
    page.wait_for_selector(".pm-explain-text")
    log = "go: go.mod requires go >= 1.99 (running go 1.26.8; GOTOOLCHAIN=local)\n" + "INFO ok\n" * 20
    log += "Error: loading generator plugins: failed to load generator: plugin load is disabled"
    assert [a["cls"] for a in paste(page, log)] == ["go-version-too-old", "go-plugin-support-disabled"]

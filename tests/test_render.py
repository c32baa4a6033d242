"""matrix.site pages from small frames: the template Environment and its escaping, links,
recipes, pairs, checklists."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pandas as pd
import pytest
from markupsafe import Markup

from matrix.dataset import frame as dataset
from matrix.site import frames, links, pagelist, pictures, render
from matrix.site.context import AXES, Context, ErrorClass
from matrix.site.links import Links
from matrix.site.pages import (
    axes,
    cells,
    checklists,
    doctor,
    downloads,
    errors,
    history,
    home,
    overview,
    releases,
    tested,
    toolchains,
)
from tests.sitekit import DATA, HTML_ERROR, synthetic_record

CLASSES = (
    ErrorClass(
        "no-plugin-module-data",
        "Go found no plugin module data",
        "load",
        "Another Go release built the plugin.",
        "Use `the same Go`.",
        ("no plugin module data",),
        ("package-version-mismatch",),
    ),
    ErrorClass(
        "package-version-mismatch",
        "Plugin built with a different version of a package",
        "load",
        "A shared package differs.",
        "Pin it.",
        (r"different version of package (?P<package>\S+)",),
    ),
    ErrorClass("go-version-too-old", "Go too old", "build", "", "", ("not in GOROOT",)),
)
CTX = Context(
    releases={
        "v5.7.1": {"api": "v0.20.1", "kyaml": "v0.20.1"},
        "v5.8.2": {"api": "v0.21.2", "kyaml": "v0.21.2"},
        "v5.8.3": {"api": "v0.21.3", "kyaml": "v0.21.3"},
    },
    toolchains={
        "go1.26.8": {"description": "the machine's Go"},
        "go1.19.8": {"description": "Debian's Go", "install": "apt-get install golang-1.19"},
    },
    variants={
        "default": {},
        "trimpath": {"flags": ["-trimpath"], "description": "-trimpath"},
        "stripped": {"flags": ["-ldflags=-s -w"], "description": "-ldflags=-s -w"},
        "official": {"flags": ["-ldflags=-s -w"], "env": {"CGO_ENABLED": "0"}, "description": "official"},
    },
    pins={"host": {"description": "host pins"}, "api-other": {"description": "previous api"}},
    platforms={"linux/amd64": {}, "linux/arm64": {}},
    reference={"release": "v5.8.2", "toolchain": "go1.26.8", "plugin": "generator"},
    classes=CLASSES,
)
MISMATCH = 'plugin.Open("x"): plugin was built with a different version of package sigs.k8s.io/yaml'


def frame() -> pd.DataFrame:
    recs = [
        synthetic_record("v5.8.2"),
        synthetic_record("v5.8.2", plugin_tc="go1.19.8", cls="no-plugin-module-data"),
        synthetic_record("v5.8.2", host_tc="go1.19.8", plugin_tc="go1.19.8"),
        synthetic_record("v5.8.2", plugin="transformer"),
        synthetic_record(
            "v5.7.1",
            host_tc="go1.19.8",
            outcome="build-failed",
            cls="go-version-too-old",
            build_output="x.go:1: package slices is not in GOROOT",
        ),
        synthetic_record(
            "v5.8.2",
            host_variant="trimpath",
            outcome="fails",
            stderr=MISMATCH + "\n",
            cls="package-version-mismatch",
            package="sigs.k8s.io/yaml",
            axes=["host-variant"],
        ),
        synthetic_record(
            "v5.8.2",
            plugin_variant="trimpath",
            outcome="fails",
            stderr=MISMATCH + "\n",
            cls="package-version-mismatch",
            package="sigs.k8s.io/yaml",
            axes=["plugin-variant"],
        ),
        synthetic_record(
            "v5.8.2", host_variant="trimpath", plugin_variant="trimpath", axes=["matched-variant"]
        ),
        synthetic_record("v5.8.2", host_variant="stripped", axes=["host-variant"]),
        synthetic_record(
            "v5.8.2",
            host_variant="official",
            outcome="fails",
            stderr="plugin: not implemented\n",
            axes=["host-variant"],
        ),
        synthetic_record(
            "v5.8.2",
            pins="api-other",
            outcome="fails",
            stderr=MISMATCH + "\n",
            cls="package-version-mismatch",
            package="sigs.k8s.io/yaml",
            axes=["pins"],
            doctor={"prediction": "loads", "class": None},
        ),
        synthetic_record(
            "v5.8.2", host_platform="linux/arm64", plugin_platform="linux/arm64", axes=["platform"]
        ),
        synthetic_record(
            "v5.8.2",
            plugin_platform="linux/arm64",
            outcome="fails",
            stderr='plugin.Open("x"): x.so: wrong ELF class: ELFCLASS64\n',
            axes=["platform"],
        ),
    ]
    return dataset.frame(recs)


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return frame()


# ---------------------------------------------------------------- escaping and links


def test_markdown_text_makes_every_special_character_inert() -> None:
    s = render.markdown_text("<script>alert(1)</script> *x* | `y` [l](u) \\ _z_ #h\nnext")
    assert "<" not in s
    assert ">" not in s
    assert "*" not in s
    assert "|" not in s
    assert "`" not in s
    assert "[" not in s
    assert "\n" not in s
    assert "_" not in s
    assert "&lt;script&gt;" in s
    assert render.clip("abcdef", 4) == "abc…"


def test_the_environment_escapes_and_is_strict() -> None:
    env = render.ENV
    assert env.autoescape is True
    assert env.undefined is jinja2.StrictUndefined
    assert env.keep_trailing_newline
    # a page template rendered without one of its variables raises, never prints nothing
    with pytest.raises(jinja2.UndefinedError, match="links"):
        render.page("matrix/cells.md.j2", "Every cell", total=1, releases=[])
    with pytest.raises(jinja2.UndefinedError):
        render.text("cells/sections.html.j2")


def test_a_template_value_is_escaped_for_where_it_is_written() -> None:
    """The one way text is escaped: by the Environment, after the kind of template."""
    evil = "<script>x</script> *a* | `b` [c](d)\x02"
    md = render.macro("_md.md.j2", "cell_link")(Links("index.md"), evil)  # a Markdown template
    text = md.split("](", 1)[0]
    for special in ("<", "*", "|", "`", "[c]", "\x02"):
        assert special not in text[1:], special
    assert "&lt;script&gt;" in text
    html = render.macro("_html.html.j2", "cell_a")(Links("index.md"), evil)  # an HTML template
    assert ">&lt;script&gt;x&lt;/script&gt; *a* | `b` [c](d)</a>" in html  # Markdown is not HTML's business
    badge = render.macro("_html.html.j2", "outcome_badge")(Markup("<i>made</i>"))
    assert "<i>made</i>" in badge  # Markup (what templates make) is written as it is


def test_catalog_prose_keeps_the_spaces_around_code() -> None:
    cls = ErrorClass("x", "X", "load", "Go's `plugin` package, then `a`/`b`.\n\nNext *para*.")
    page = errors.page(frame().iloc[0:0], CTX, cls)
    assert "Go's <code>plugin</code> package, then <code>a</code>/<code>b</code>." in page
    assert "\n\nNext &#42;para&#42;." in page


def test_link_destinations_cannot_carry_markup() -> None:
    """A release name comes from the records: in a link it is percent-encoded."""
    url = Links("index.md").md(links.release_src("v1)<b>x</b>"))
    assert "<" not in url
    assert ")" not in url
    assert Links("index.md").md("releases/v5.8.2.md") == "releases/v5.8.2.md"


def test_pre_is_one_escaped_html_line() -> None:
    out = render.macro("_html.html.j2", "pre")("a <b>\n\nc & d\x02", "raw-error")
    assert out.strip().count("\n") == 0
    assert out.strip() == '<pre class="raw-error"><code>a &lt;b&gt;&#10;&#10;c &amp; d</code></pre>'


def test_links() -> None:
    assert links.url_of("index.md") == ""
    assert links.url_of("errors/index.md") == "errors/"
    assert links.url_of("cells/c1.md") == "cells/c1/"
    assert links.url_of("matrix/img/x.png") == "matrix/img/x.png"
    here = Links("releases/v5.8.2.md")
    assert here.md("errors/x.md") == "../errors/x.md"
    assert here.md("releases/v5.8.2.md", "a") == "#a"
    assert here.href("cells/c1.md") == "../../cells/c1/"
    assert Links("index.md").href("cells/c1.md") == "cells/c1/"
    assert Links("matrix/index.md").href("matrix/img/x.png") == "img/x.png"
    absolute = Links("checklists/index.md", base="https://e.org/")
    assert absolute.md("cells/c1.md") == "https://e.org/cells/c1/"


SIZES = {
    "files": {
        "kustomize-plugin-matrix.csv.gz": 2048,
        "kustomize-plugin-matrix.parquet": 1024,
        "dataset.csv": 9000,
    },
    "raw": {"kustomize-plugin-matrix.csv.gz": 9000, "kustomize-plugin-matrix.parquet": 1024},
    "old": {"dataset.csv": "copy"},
}


def _all_pages(df: pd.DataFrame, ctx: Context) -> dict[str, str]:
    pics = pictures.plan(df, ctx, frames.releases_in(df, ctx))
    pages = {
        "index.md": home.page(df, ctx, pics.overview),
        "matrix/index.md": overview.page(df, ctx, pics),
        links.TESTED_SRC: tested.page(df, ctx),
        "matrix/cells.md": cells.index_page(df, ctx),
        "releases/index.md": releases.index_page(df, ctx),
        links.RECIPE_PROOF_SRC: releases.recipe_proof_page(df),
        "toolchains/index.md": toolchains.index_page(df, ctx),
        "axes/index.md": axes.index_page(df, ctx),
        "errors/index.md": errors.index_page(df, ctx),
        links.DOCTOR_PAGE: doctor.page(df, ctx),
        "data/index.md": downloads.page(df, ctx, SIZES, "data/record.schema.json"),
        "history.md": history.page(df, ctx, set(df["cell"])),
    }
    for group, rows in cells.groups(df):
        pages[f"cells/{group}.md"] = cells.group_page(group, rows, ctx)
    for rel, d in df.groupby("host_release"):
        pages[links.cells_table_src(str(rel))] = cells.table_page(d, ctx, str(rel))
    for rel in frames.releases_in(df, ctx):
        pages[links.release_src(rel)] = releases.release_page(df, ctx, rel, pics.releases.get(rel))
    for tc in frames.toolchain_ids(df):
        pages[links.toolchain_src(tc)] = toolchains.page(df, ctx, tc)
    for axis in AXES:
        pages[links.axis_src(axis)] = axes.axis_page(df, ctx, axis, pics.axes.get(axis))
    for v in frames.variant_rows(df, ctx):
        pages[links.variant_src(v)] = axes.variant_page(df, ctx, v)
    for c in ctx.classes:
        pages[links.error_src(c.slug)] = errors.page(df, ctx, c)
    for who, src in pagelist.CHECKLISTS:
        pages[src] = checklists.page(df, ctx, "v5.8.2", who, src)
    return pages


def test_untrusted_text_never_becomes_markup() -> None:
    """HTML in every outside-provided field: no page may carry it as a tag."""
    evil = synthetic_record(
        "v5.8.2",
        plugin="generator",
        plugin_tc="go1.27.3",
        outcome="fails",
        stderr=f"Error: {HTML_ERROR}\n",
        cls="no-plugin-module-data",
        package="<b>pkg</b>",
        doctor={"prediction": "loads", "class": "<i>x</i>", "message": HTML_ERROR, "evidence": [HTML_ERROR]},
    )
    evil["runner"]["kernel"] = "<b>k</b>"
    evil["host"]["build"]["go_mod"] = "module <script>x</script>\n```\n"
    evil["host"]["toolchain"]["goenv"]["GOVERSION"] = "go1.27.3<script>"
    df = dataset.frame([*(r for r in [synthetic_record()]), evil])
    ctx = Context(
        **{
            **CTX.__dict__,
            "history": {
                "runs": [
                    {
                        "date": "<b>d</b>",
                        "cells": 1,
                        "outcomes": {},
                        "changed": [],
                        "new_errors": [{"cell": evil["cell"], "class": "", "error": HTML_ERROR}],
                    }
                ]
            },
        }
    )
    for path, text in _all_pages(df, ctx).items():
        body = text.split("---\n", 2)[-1]
        for tag in ("<script", "<b>", "<i>", "<img"):
            assert tag not in body, f"{path}: {tag} from the data is markup"
    group = links.cell_group(evil["cell"])
    cell = dict(cells.groups(df))[group]
    page = cells.group_page(group, cell, ctx)
    assert f'<section class="cell" id="{evil["cell"]}">' in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page


def test_every_link_points_to_a_rendered_page_and_anchor(df: pd.DataFrame) -> None:
    """Markdown links (relative .md paths) and raw HTML links (URLs relative to the served
    page) resolve to a rendered page, and their cell anchors to a section of it."""
    import posixpath

    pages = _all_pages(df, CTX)
    known = set(pages) | {
        "guides/comparison.md",
        "checklists/index.md",
        "about/data.md",
        "errors.json",
        "data/record.schema.json",
        "data/dataset.csv",
        "data/kustomize-plugin-matrix.csv.gz",
        "data/kustomize-plugin-matrix.parquet",
        "data/index.md",
        "install.md",
    }
    by_url = {links.url_of(src): src for src in known}
    ids = {src: set(re.findall(r' id="([^"]+)"', text)) for src, text in pages.items()}
    checked = 0
    for src, text in pages.items():
        for target, anchor in re.findall(r"\]\(([^)#]+\.(?:md|json|csv|png))(?:#([^)]*))?\)", text):
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(src), target))
            assert resolved in known, f"{src}: link to {target} ({resolved})"
            if anchor.startswith("c") and resolved.startswith("cells/"):
                assert anchor in ids[resolved], f"{src}: no section {anchor} in {resolved}"
            checked += 1
        here = links.url_of(src)
        for href in re.findall(r'href="([^"]+)"', text):
            if href.startswith(("http", "#")):
                continue
            path, _, anchor = href.partition("#")
            path = path.partition("?")[0]  # a table of cells filtered by its columns
            url = posixpath.normpath(
                posixpath.join(here if here.endswith("/") else posixpath.dirname(here), path)
            )
            url = "" if url == "." else url + ("/" if path.endswith("/") or path == "./" else "")
            assert url in by_url, f"{src}: raw link {href} ({url})"
            if anchor:
                assert anchor in ids.get(by_url[url], set()), f"{src}: raw link {href}: no such anchor"
            checked += 1
    assert checked > 50


# ---------------------------------------------------------------- pages


def test_home_says_three_things_and_links_the_two_newcomer_pages(df: pd.DataFrame) -> None:
    page = home.page(df, CTX, pictures.plan(df, CTX, frames.releases_in(df, CTX)).overview)
    said = next(ln for ln in page.splitlines() if ln.startswith("Of "))
    assert said.startswith(f"Of {len(df)} cells measured")
    assert said.count(". ") == 2  # three sentences
    assert (
        "same Go release as kustomize loaded in 3 of 3 cells; built by another Go release, in 0 of 1" in said
    )
    assert "Plugin built with a different version of a package" in said
    assert "(releases/v5.8.2.md)" in page  # newest release with cells
    assert "(errors/package-version-mismatch.md)" in page
    assert '<figure class="heatmap" id="heatmap-overview">' in page
    assert "No cell has been measured yet." in home.page(df.iloc[0:0], CTX, None)


def test_home_starts_with_the_go_rule_and_the_check_of_a_binary(df: pd.DataFrame) -> None:
    page = home.page(df, CTX, None)
    start = page.split("## Start here", 1)[1]
    rule = start.split("\n\n", 2)[1]
    assert "exactly the Go release that built kustomize" in rule
    assert "the same minor *and* patch release" in rule
    assert "another Go release loaded in 0 of 1 cells" in rule
    assert "`go version -m $(command -v kustomize) | grep CGO_ENABLED`" in start
    assert "not a downloaded release binary" in start  # what was measured, exactly
    assert "(releases/tested.md)" in start
    assert links.REPOSITORY_URL in page
    assert links.KUSTOMIZE_PLUGIN_DOCS in page
    assert "(install.md)" in page


def test_release_recipe_comes_from_cells_that_loaded(df: pd.DataFrame) -> None:
    ctx = Context(
        **{**CTX.__dict__, "release_go": {"v5.8.2": {"go": "1.26.0", "source": "https://e.org/go.mod"}}}
    )
    page = releases.release_page(df, ctx, "v5.8.2")
    assert "needs Go 1.26.0 or newer" in page
    assert "[as published](https://e.org/go.mod)" in page
    assert "(../releases/tested.md)" not in page
    assert "(tested.md)" in page
    assert "## To build a plugin that loads into kustomize v5.8.2" in page
    assert "### With go1.26.8" in page
    assert "### With go1.19.8" in page
    assert "require sigs.k8s.io/kustomize/api v0.21.2" in page
    assert "-buildmode=plugin" in page
    assert "A kustomize built without cgo cannot load Go plugins" in page
    assert "not a downloaded release binary" in page
    assert "`go version -m $(command -v kustomize) | grep CGO_ENABLED`" in page
    assert "## What fails and why" in page
    assert "no-plugin-module-data" in page
    # the flags table of the reference release
    assert "(../axes/variant-trimpath.md)" in page
    none = releases.release_page(df, CTX, "v5.7.1")
    assert "No cell of this release loaded" in none
    assert "go-version-too-old" in none


def test_axis_pairs_and_variant_verdicts(df: pd.DataFrame) -> None:
    hv = frames.axis_pairs(df, CTX, "host-variant")
    assert set(hv["host_variant_b"]) == {"trimpath", "stripped", "official"}
    assert set(hv["host_variant_a"]) == {"default"}
    mv = frames.axis_pairs(df, CTX, "matched-variant")
    assert list(mv["host_variant_b"]) == ["trimpath"]
    pins = frames.axis_pairs(df, CTX, "pins")
    assert list(pins["plugin_pins_b"]) == ["api-other"]
    plat = frames.axis_pairs(df, CTX, "platform")
    assert len(plat) == 2
    with pytest.raises(ValueError, match="unknown axis 'colour'"):
        frames.axis_pairs(df, CTX, "colour")
    rows = frames.variant_rows(df, CTX)
    assert set(rows["trimpath"]) == {"host", "plugin", "both"}
    assert axes.variant_verdict(rows["trimpath"]).startswith("both sides must use it")
    assert axes.variant_verdict(rows["stripped"]).startswith("a default-built plugin still loads")
    page = axes.variant_page(df, CTX, "trimpath")
    assert page.startswith('---\ntitle: "What -trimpath does to plugin loading"')
    assert "package-version-mismatch" in page


def test_axis_page_counts_changed_pairs(df: pd.DataFrame) -> None:
    page = axes.axis_page(df, CTX, "host-variant", pictures.axis_grid(df, CTX, "host-variant"))
    assert "3 pairs; the change altered the outcome in 2." in page
    assert '<figure class="heatmap" id="heatmap-host-variant">' in page
    assert ">CGO&#95;ENABLED=0<tspan" in page or ">CGO_ENABLED=0<tspan" in page  # the flags, not "official"
    empty = axes.axis_page(df.iloc[0:1], CTX, "pins", None)
    assert "No pair of cells for this axis" in empty


def test_toolchain_page_uses_isolating_pairs(df: pd.DataFrame) -> None:
    page = toolchains.page(df, CTX, "go1.26.8")
    assert "### Another toolchain for the plugin" in page
    assert "go1.19.8" in page
    assert "apt-get install golang-1.19" in toolchains.page(df, CTX, "go1.19.8")


def test_error_page_lists_raw_messages_and_reproduction(df: pd.DataFrame) -> None:
    page = errors.page(df, CTX, CLASSES[1])
    assert "3 cells, first seen" in page
    assert "<code>sigs.k8s.io/yaml</code>" in page
    assert "## How to reproduce" in page
    assert "--enable-alpha-plugins" in page
    assert "<code>the same Go</code>" in errors.page(df, CTX, CLASSES[0])
    assert "(package-version-mismatch.md)" in errors.page(df, CTX, CLASSES[0])  # related
    unseen = errors.page(df[df["outcome"] == "loads"], CTX, CLASSES[1])
    assert "Not observed in this dataset" in unseen
    assert "## Not classified yet" not in errors.index_page(df, CTX)
    odd = synthetic_record(
        "v5.8.2",
        host_variant="stripped",
        outcome="fails",
        stderr="Error: a text that no class claims\n",
        axes=["host-variant"],
    )
    assert odd["class"] == "unknown"  # what production records for it
    index = errors.index_page(pd.concat([df, dataset.frame([odd])]), CTX)
    assert "## Not classified yet" in index
    assert "a text that no class claims" in index


def test_redirect_page() -> None:
    page = errors.redirect_page("old-slug", "new-slug")
    assert "url=../new-slug/" in page
    assert "(new-slug.md)" in page


def test_doctor_page_lists_every_disagreement(df: pd.DataFrame) -> None:
    page = doctor.page(df, CTX)
    assert "1 cell with a prediction: the doctor agreed on 0 (0 %)." in page
    assert "## Disagreements" in page
    dis = page.split("## Disagreements", 1)[1]
    assert dis.count('href="../cells/') == 1  # served at doctor-agreement/
    assert "No cell has a doctor prediction yet." in doctor.page(df.iloc[0:1], CTX)


def test_checklists_are_backed_by_cells(df: pd.DataFrame) -> None:
    for who in ("packager", "author"):
        items = checklists.items(df, CTX, "v5.8.2", who)
        assert items
        assert all(it.cells for it in items)
        assert all(set(it.cells) <= set(df["cell"]) for it in items)
    packager = checklists.markdown(df, CTX, "v5.8.2", "packager", Links("x.md", base="https://s/"))
    assert "Build kustomize with cgo" in packager
    assert "<code>CGO&#95;ENABLED=0 -ldflags=-s -w</code>, not a downloaded binary" in packager
    assert "(https://s/cells/" in packager
    assert "Recipe: [v5.8.2](https://s/releases/v5.8.2/)" in packager
    author = checklists.markdown(df, CTX, "v5.8.2", "author", Links("x.md"))
    assert "must use it too" in author
    assert "- [ ] " in author
    with pytest.raises(ValueError, match="someone"):
        checklists.items(df, CTX, "v5.8.2", "someone")


def test_cells_tables_and_cell_sections(df: pd.DataFrame) -> None:
    index = cells.index_page(df, CTX)
    assert "(cells/v5.8.2.md)" in index
    assert "(cells/v5.7.1.md)" in index
    d = df[df["host_release"] == "v5.8.2"]
    table = cells.table_page(d, CTX, "v5.8.2")
    assert len(re.findall(r'<tr data-kind="[a-z-]+"><td><a href=', table)) == len(d)
    assert render.HTML_OPEN in table
    assert "search:\n  exclude: true" in table
    # the same rows from precomputed table rows (as the site build does it)
    pre = d.assign(**{frames.TABLE_ROW: [cells.table_row(r, CTX) for r in frames.records(d)]})
    assert cells.table_page(pre, CTX, "v5.8.2") == table
    row = df[df["class"] == "package-version-mismatch"].iloc[0]
    cell = str(row["cell"])
    assert links.cell_src(cell) == f"cells/{cell[:3]}.md"
    cell_link = render.macro("_md.md.j2", "cell_link")
    assert cell_link(Links("index.md"), cell) == f"[{cell}](cells/{cell[:3]}.md#{cell})"
    group = dict(cells.groups(df))[cell[:3]]
    page = cells.group_page(cell[:3], group, CTX)
    assert page.count('<section class="cell" id=') == len(group)
    section = page.split(f'<section class="cell" id="{cell}">', 1)[1].split("</section>", 1)[0]
    assert 'href="../../errors/package-version-mismatch/"' in section
    assert '<pre class="raw-error">' in section
    assert "different version of package" in section
    assert "host sha256" in section
    assert "<strong>fails</strong>" not in section
    assert "search:\n  exclude: true" in page


def test_data_and_history_pages(df: pd.DataFrame) -> None:
    from matrix.dataset import columns

    data = downloads.page(df, CTX, SIZES, "data/record.schema.json")
    assert (
        "[kustomize-plugin-matrix.csv.gz](kustomize-plugin-matrix.csv.gz) | 2 KiB (9 KiB uncompressed)"
        in data
    )
    assert "[kustomize-plugin-matrix.parquet](kustomize-plugin-matrix.parquet) | 1 KiB |" in data
    assert "[dataset.csv](dataset.csv)" in data  # the old name, still answering
    assert "dataset.csv: the same data as kustomize-plugin-matrix.csv.gz" in data
    assert "(record.schema.json)" in data
    assert "glibc 2.36" in data
    for col in dataset.COLUMNS:  # every column, described
        assert columns.DOCS[col]
        assert (
            f"| <code>{render.markdown_text(col)}</code> | {render.markdown_text(columns.DOCS[col])} |"
            in data
        )
    assert "No history recorded yet" in history.page(df, CTX, set())
    ctx = Context(
        **{
            **CTX.__dict__,
            "history": {
                "runs": [
                    {
                        "date": "2026-11-25",
                        "cells": 1,
                        "outcomes": {"loads": 1},
                        "changed": [],
                        "new_errors": [],
                    },
                    {
                        "date": "2026-11-26",
                        "cells": 2,
                        "outcomes": {"loads": 2},
                        "changed": [{"cell": "cgone", "before": "fails", "after": "loads"}],
                        "new_errors": [],
                    },
                ]
            },
        }
    )
    page = history.page(df, ctx, set())
    assert page.index("2026-11-26") < page.index("2026-11-25")
    assert "| cgone | fails | loads |" in page  # a cell no longer in the data is not linked


def test_long_lists_of_cells_are_capped_with_a_way_to_all_of_them() -> None:
    n = frames.TABLE_CAP + 30
    recs = [
        synthetic_record(
            "v5.8.2",
            plugin=f"p{i}",
            plugin_tc="go1.19.8",
            cls="no-plugin-module-data",
            doctor={"prediction": "loads"},
        )
        for i in range(n)
    ]
    df = dataset.frame(recs)
    page = errors.page(df, CTX, CLASSES[0])
    which = page.split("## Which cells", 1)[1]
    assert len(re.findall(r'<tr data-kind="[a-z-]+"><td><a href=', which)) == frames.TABLE_CAP
    assert f"{n} cells, per kustomize release" in which
    assert "(../matrix/cells/v5.8.2.md)" in which
    agreement = doctor.page(df, CTX)
    assert f"The first {frames.TABLE_CAP} of {n}" in agreement
    assert len(re.findall(r'<tr(?: data-kind="[a-z-]+")?><td><a href=', agreement)) == frames.TABLE_CAP


def test_recipe_proof_lists_each_recipe_cell_with_its_outcome() -> None:
    from matrix.site import build as site

    df = site.frame(DATA)
    page = releases.recipe_proof_page(df)
    rec = df[df["plugin_pins"] == "recipe"]
    assert len(rec)
    assert all(c in page for c in rec["cell"])
    able = rec[rec["outcome"].isin(["loads", "fails"])]
    share = f"{100 * int((able['outcome'] == 'loads').sum()) / len(able):.0f}%"
    assert share in page
    assert "cannot load Go plugins" in page  # the official/noplugin hosts, said before any build
    assert "<script" not in page


def test_unknown_error_page_has_the_report_anchor_explain_points_to(df: pd.DataFrame) -> None:
    from matrix.cli.explain import REPORT

    unknown = ErrorClass("unknown", "Not recognised", "fallback", "", "", ())
    page = errors.page(df, CTX, unknown)
    assert REPORT.endswith("#report")
    assert "{#report}" in page


def test_errors_index_shows_the_explainers_accuracy(df: pd.DataFrame) -> None:
    """The accuracy on the public corpus (tests/corpus/accuracy.json, as the site reads it):
    heldout first, the retired heldout batches, one row per labelled class."""
    from dataclasses import replace

    from matrix.site.context import load_accuracy

    doc = load_accuracy(Path(__file__).resolve().parent.parent / "data")
    assert doc is not None
    page = errors.index_page(df, replace(CTX, accuracy=doc))
    assert "## How often the explainer is right" in page
    o = doc["overall"]
    assert f"so this is not a measure of new texts): {o['tune']['correct']}/{o['tune']['n']}" in page
    w = doc["words_backtest"]["all"]
    after = w["rules_right"] + w["words_right"] - w["words_lost"]
    assert f"{w['rules_right']} right by the rules alone, {after} with the guesses" in page
    for r in doc["retired_heldout"]:
        row = f"| {r['batch']} | {r['n']} | {r['correct']} | {round(100 * r['accuracy'])} % |"
        assert row in page
        if "new_projects" in r:  # the texts from projects new to the corpus, counted apart
            new = r["new_projects"]
            assert f"{row} {new['correct']}/{new['n']} ({round(100 * new['correct'] / new['n'])} %) |" in page
    assert any("new_projects" in r for r in doc["retired_heldout"])
    table = page[page.index("| labelled class |") :].split("\n\n")[0].splitlines()
    assert len(table) == len(doc["classes"]) + 2  # + the header and the rule
    assert "## How often the explainer is right" not in errors.index_page(df, CTX)  # no corpus: no section

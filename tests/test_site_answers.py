"""The answers the site gives to the questions users bring (issue 15), and the per-run
results and history it shows (issue 17), rendered from small frames."""

from __future__ import annotations

import copy
import gzip
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from matrix.dataset import downloads as dl
from matrix.dataset import frame as dataset
from matrix.site import causes, heatmap, links, pictures, rules
from matrix.site.context import Context
from matrix.site.links import Links
from matrix.site.pages import cells, checklists, errors, history, releases, tested
from tests.sitekit import data_dir_of, downloads_of, synthetic_record
from tests.test_render import CLASSES, CTX, frame

RELEASE_GO = {"v5.8.2": {"go": "1.26.0"}, "v5.8.3": {"go": "1.27.0"}, "v5.7.1": {"go": "1.22.7"}}


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return frame()


def ctx_with(**kw: object) -> Context:
    return Context(**{**CTX.__dict__, "release_go": RELEASE_GO, **kw})


# ---------------------------------------------------------------- what differed


def _mismatch(**kw: str) -> dict[str, str]:
    row = {
        "cell": "c1",
        "package": "internal/abi",
        "package_module": "",
        "package_host_version": "",
        "package_plugin_version": "",
        "host_go": "go1.26.8",
        "plugin_go": "go1.26.8",
        "host_toolchain": "go1.26.8",
        "plugin_toolchain": "go1.26.8",
        "host_variant": "default",
        "plugin_variant": "default",
        "plugin_pins": "host",
        "host_platform": "linux/amd64",
        "plugin_platform": "linux/amd64",
    }
    row.update(kw)
    return row


def test_each_mismatching_package_is_mapped_to_its_cause() -> None:
    ctx = Context(
        **{
            **CTX.__dict__,
            "variants": {**CTX.variants, "debug": {"flags": ["-gcflags=all=-N -l"]}},
            "pins": {**CTX.pins, "vendor": {"description": "built from a vendored tree (-mod=vendor)"}},
        }
    )
    d = pd.DataFrame(
        [
            _mismatch(cell="c1", host_variant="debug"),
            _mismatch(cell="c2", plugin_variant="debug"),
            _mismatch(
                cell="c3",
                package="github.com/go-errors/errors",
                package_module="github.com/go-errors/errors",
                package_host_version="v1.5.1",
                package_plugin_version="v1.4.2",
                plugin_pins="api-other",
            ),
            _mismatch(
                cell="c4",
                package="github.com/go-errors/errors",
                package_module="github.com/go-errors/errors",
                package_host_version="v1.5.1",
                package_plugin_version="v1.5.1",
                plugin_pins="vendor",
            ),
        ]
    )
    rows = causes.mismatch_rows(d, ctx, frozenset({"debug"}))
    by = {(r["package"], r["cause"]["text"]): r for r in rows}
    abi = by[("internal/abi", "build flag -gcflags=all=-N -l on kustomize only")]
    assert abi["kind"].startswith("Go toolchain")
    assert abi["cause"]["src"] == links.variant_src("debug")
    assert abi["first"]
    assert abi["anchor"] == "pkg-internal-abi"
    assert ("internal/abi", "build flag -gcflags=all=-N -l on the plugin only") in by
    version = next(r for r in rows if r["cells"] == ["c3"])
    assert version["cause"]["text"].startswith("module version: kustomize v1.5.1, plugin v1.4.2")
    assert "previous api" in version["cause"]["text"]
    assert "require github.com/go-errors/errors v1.5.1" in version["fix"]
    path = next(r for r in rows if r["cells"] == ["c4"])
    assert path["cause"]["text"].startswith(
        "same version v1.5.1 on both sides, compiled from another source path"
    )
    assert "vendored tree" in path["cause"]["text"]
    assert "no GOPATH" in path["fix"]
    assert [r["first"] for r in rows].count(True) == 2  # one anchor per package


def test_other_classes_say_what_differed(df: pd.DataFrame) -> None:
    d = df[df["class"] == "no-plugin-module-data"]
    groups = causes.cause_rows(d, CTX)
    assert groups[0]["text"] == "Go release: kustomize go1.26.8, plugin go1.19.8 (another minor)"
    assert rules.go_relation("go1.26.8", "go1.26.7") == rules.OTHER_PATCH
    assert rules.go_relation("go1.26.8", "go1.26.8") == rules.SAME_GO


def test_the_mismatch_page_names_the_flag_and_links_the_axes(df: pd.DataFrame) -> None:
    page = errors.page(df, CTX, CLASSES[1])
    assert "## What differed, per package" in page
    assert "Packages: [sigs.k8s.io/yaml](#pkg-sigs.k8s.io-yaml)" in page
    assert 'id="pkg-sigs.k8s.io-yaml"' in page
    assert "build flag -trimpath on kustomize only (the module is at" in page
    assert "(../axes/host-variant.md)" in page
    assert "(../axes/pins.md)" in page
    assert "## Compare your two files" in page
    assert "diff &lt;(go version -m $(command -v kustomize)) &lt;(go version -m MyKind.so)" in page
    assert "plugin-matrix doctor $(command -v kustomize) MyKind.so" in page


def test_a_class_page_shows_public_reports_escaped_with_their_source(df: pd.DataFrame) -> None:
    report = {
        "id": "x-0001",
        "text": "plugin.Open(<b>x</b>): plugin was built with a different version of package internal/cpu",
        "source": "https://github.com/example/project/issues/1",
        "project": "example/project",
    }
    ctx = Context(**{**CTX.__dict__, "corpus": {"package-version-mismatch": [report]}})
    page = errors.page(df[df["outcome"] == "loads"], ctx, CLASSES[1])
    assert "Not observed in this dataset" in page
    assert "## Seen elsewhere" in page
    assert "[example/project](https://github.com/example/project/issues/1)" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>" not in page
    with pytest.raises(ValueError, match="https"):
        links.external("javascript:alert(1)")


def test_reproduce_commands_are_whole_and_one_flag_a_line() -> None:
    text = releases.command_lines(
        "CC=gcc GOFLAGS=-mod=mod", "go build '-gcflags=all=-N -l' -buildmode=plugin -o $WORK/plugin.so ."
    )
    assert text.splitlines() == [
        "env CC=gcc \\",
        "    GOFLAGS=-mod=mod \\",
        "  go build \\",
        "    '-gcflags=all=-N -l' \\",
        "    -buildmode=plugin \\",
        "    -o $WORK/plugin.so .",
    ]


# ---------------------------------------------------------------- checklists


def test_checklists_target_the_newest_release_that_loaded_and_lead_with_the_go_rule() -> None:
    recs = [
        synthetic_record("v5.8.2"),
        synthetic_record("v5.8.2", plugin_tc="go1.19.8"),
        synthetic_record(
            "v5.8.2",
            host_tc="go1.19.8",
            outcome="build-failed",
            build_output="x.go:8:2: package cmp is not in GOROOT",
        ),
        synthetic_record(
            "v5.8.3",
            outcome="build-failed",
            build_output="go: sigs.k8s.io/kustomize/kustomize/v5@v5.8.3 requires go >= 1.27.0",
        ),
    ]
    d = dataset.frame(recs)
    ctx = ctx_with()
    assert checklists.target(d, ctx) == "v5.8.2"
    text = checklists.markdown(d, ctx, "v5.8.2", "author", Links("x.md"))
    lines = text.splitlines()
    assert "For kustomize v5.8.2, the newest release into which a plugin loaded here." in text
    assert (
        "kustomize v5.8.3 is newer but not the target: no plugin loaded into it here (1 build-failed" in text
    )
    assert "requires go &gt;= 1.27.0" in text
    first = next(ln for ln in lines if ln.startswith("- [ ] "))
    assert "exactly the Go release that built kustomize: the same minor and the same patch release" in first
    assert "another minor (another go1.X), 0 of 1 loaded" in first
    assert "Another patch of the same minor is not measured here yet" in first
    assert "kustomize v5.8.2 needs Go 1.26.0 or newer" in text
    assert "go1.19.8 could not build it (“package cmp is not in GOROOT”)" in text
    page = checklists.page(d, ctx, "v5.8.2", "author", "checklists/plugin-authors.md")
    assert "| [v5.8.3](../releases/v5.8.3.md) | 1.27.0 | none |" in page
    # asked for a release where nothing loaded: said so, and which one did
    other = checklists.markdown(d, ctx, "v5.8.3", "author", Links("x.md"))
    assert "No plugin loaded into kustomize v5.8.3 here; the newest release into which one did is" in other


# ---------------------------------------------------------------- tested configurations


def test_tested_configurations_per_platform_and_release(df: pd.DataFrame) -> None:
    ctx = ctx_with()
    rows = dict(tested.platform_rows(df, ctx))
    amd = {r["release"]: r for r in rows["linux/amd64"]}
    r = amd["v5.8.2"]
    assert r["min_go"] == "1.26.0"
    assert [g for g, _ in r["loaded"]] == ["go1.19.8", "go1.26.8"]
    assert r["cc"] == "gcc"
    assert r["libc"].startswith("glibc")
    native = (df["host_platform"] == "linux/amd64") & (df["plugin_platform"] == "linux/amd64")
    assert r["cells"] == int(((df["host_release"] == "v5.8.2") & native).sum())
    assert amd["v5.7.1"]["loaded"] == []
    assert "build-failed" in amd["v5.7.1"]["why"]
    page = tested.page(df, ctx)
    assert '<table class="compact cards">' in page
    assert 'data-label="minimum Go">1.26.0<' in page


# ---------------------------------------------------------------- heatmaps


def test_heatmap_squares_link_to_their_cell_or_filtered_table(df: pd.DataFrame) -> None:
    g = heatmap.release_grid(df, "v5.8.2", CTX)
    sq = {(r, c): g.squares[i][j] for i, r in enumerate(g.rows) for j, c in enumerate(g.cols)}
    one = sq[("go1.26.8", "go1.19.8")]
    assert one.target == {
        "cell": str(df[(df["plugin_go"] == "go1.19.8") & (df["host_go"] == "go1.26.8")]["cell"].iloc[0])
    }
    many = sq[("go1.26.8", "go1.26.8")]
    assert many.cells == 2
    assert many.outcome == "loads"
    assert many.target is not None
    assert many.target["release"] == "v5.8.2"
    assert many.target["filter"]["host-go"] == "go1.26.8"
    assert many.target["filter"]["pins"] == "host"
    fig = str(pictures.figure(g, Links("matrix/index.md"), pictures.release_id("v5.8.2")))
    assert 'id="heatmap-v5-8-2"' in fig
    assert 'href="cells/v5.8.2/?kustomize=v5.8.2&amp;host-go=go1.26.8' in fig
    assert 'class="o-loads"' in fig
    assert 'class="o-fails"' in fig
    assert "<svg" in fig
    assert "font-size" not in fig


def test_heatmap_fits_a_phone_and_mixed_squares_show_both_colours() -> None:
    d = dataset.frame(
        [
            synthetic_record(),
            synthetic_record(plugin="transformer", outcome="fails", stderr="plugin: not implemented\n"),
            synthetic_record(plugin_tc="go1.19.8"),
            synthetic_record(host_tc="go1.19.8", plugin_tc="go1.19.8"),
        ]
    )
    g = heatmap.release_grid(d, "v5.8.2", CTX)
    assert heatmap.layout(g).width <= 358  # a 390 px phone, less the page's margins
    fig = str(pictures.figure(g, Links("index.md"), "x"))
    mixed = fig.split(">1/2<")[0].rsplit("<g ", 1)[1]
    assert 'class="o-loads"' in mixed
    assert 'class="o-fails"' in mixed
    assert heatmap.wrap("CGO_ENABLED=0 -ldflags=-s -w") == ["CGO_ENABLED=0", "-ldflags=-s -w"]
    assert heatmap.wrap("build\nfailed") == ["build", "failed"]


# ---------------------------------------------------------------- cells: runs and history


def test_a_cell_shows_each_run_and_says_when_runs_disagree() -> None:
    rec = synthetic_record(plugin_tc="go1.19.8")
    other = copy.deepcopy(rec["observations"][0])
    other.update(outcome="loads", **{"class": None}, recorded_at="2026-12-05T10:00:00+00:00")
    other["runner"] = {**other["runner"], "kernel": "6.1.0-ci", "libc": "glibc 2.39"}
    rec["observations"].append(other)
    row = dataset.row(rec)
    assert row["observation_count"] == 2
    assert row["disagreement"] == "fails (no-plugin-module-data) vs loads"
    ctx = Context(
        classes=CLASSES,
        history={
            "cells": {rec["cell"]: {"first_seen": "2026-11-01T00:00:00+00:00", "last_seen": "2026-12-05"}}
        },
    )
    page = cells.group_page(rec["cell"][:3], [row], ctx)
    assert "The runs of this cell disagree:" in page
    assert "fails (no-plugin-module-data) vs loads" in page
    assert "2 runs (one per runner)" in page
    assert "kernel 6.1.0-ci, glibc 2.39" in page
    assert (
        "host gotoolchain" in page or "host local" in page or "host path" in page or "Go resolved by" in page
    )
    assert "first seen 2026-11-01T00:00:00+00:00, last seen 2026-12-05" in page
    table_row = cells.table_row(row, ctx)
    assert 'class="disagree"' in table_row
    d = dataset.frame([rec])
    page = history.page(d, ctx, set(d["cell"]))
    assert "## Cells whose runs disagree" in page


def test_the_table_of_cells_has_the_package_and_the_whole_error(df: pd.DataFrame) -> None:
    d = df[df["class"] == "package-version-mismatch"]
    table = str(cells.cells_table(d, CTX, Links("x.md")))
    assert '<th data-key="package">package</th>' in table
    assert "<td>sigs.k8s.io/yaml</td>" in table
    assert (
        '<div class="gist">plugin was built with a different version of package sigs.k8s.io/yaml</div>'
        in table
    )
    assert '<div class="clamp">plugin.Open(&#34;x&#34;): plugin was built' in table


def test_history_page_shows_first_and_last_seen(df: pd.DataFrame) -> None:
    h = {
        "runs": [],
        "classes": {"package-version-mismatch": {"first_seen": "2026-11-01", "last_seen": "2026-12-04"}},
        "packages": {"internal/abi": {"first_seen": "2026-11-02", "last_seen": "2026-12-03"}},
        "cells": {},
    }
    page = history.page(df, Context(**{**CTX.__dict__, "history": h}), set())
    assert (
        "| [package-version-mismatch](errors/package-version-mismatch.md) | 2026-11-01 | 2026-12-04 |" in page
    )
    assert "| <code>internal/abi</code> | 2026-11-02 | 2026-12-03 |" in page


# ---------------------------------------------------------------- downloads


def test_downloads_compressed_typed_and_the_old_names_kept(tmp_path: Path) -> None:
    recs = [
        synthetic_record(),
        synthetic_record(plugin_tc="go1.19.8"),
        synthetic_record("v5.8.3", outcome="build-failed"),
    ]
    got = downloads_of(data_dir_of(recs, tmp_path / "d"), tmp_path / "out")
    assert sorted(got) == sorted(dl.DOWNLOAD_NAMES)
    csv = gzip.decompress(got[dl.CSV])
    back = pd.read_csv(io.BytesIO(csv), keep_default_na=False)
    assert list(back.columns) == dataset.COLUMNS
    assert len(back) == 3
    assert len(json.loads(gzip.decompress(got[dl.JSON]))) == 3
    pq = pd.read_parquet(io.BytesIO(got[dl.PARQUET]))
    assert str(pq["recorded_at"].dtype).startswith("datetime64")
    assert pq["class"].isna().sum() == 1  # the cell that loaded has no class: null, not ""
    assert pq["package"].isna().all()
    assert not pq["cell"].isna().any()
    # the old names: the same data while small, else a notice of the same format
    news = {n: tmp_path / "out" / n for n in dl.DOWNLOAD_NAMES}
    olds = {n: tmp_path / "old" / n for n in dl.OLD_NAMES}
    (tmp_path / "old").mkdir()
    raw = {dl.CSV: len(csv), dl.JSON: 10, dl.PARQUET: 10}
    assert dl.old_name_files(news, raw, olds) == dict.fromkeys(dl.OLD_NAMES, "copy")
    assert olds["dataset.csv"].read_bytes() == csv
    big = {n: dl.FULL_COPY_MAX + 1 for n in raw}
    assert dl.old_name_files(news, big, olds) == dict.fromkeys(dl.OLD_NAMES, "notice")
    notice = pd.read_csv(olds["dataset.csv"])
    assert notice["moved_to"][0] == dl.CSV
    assert json.loads(olds["dataset.json"].read_text())["moved_to"] == dl.JSON
    assert pd.read_parquet(olds["dataset.parquet"])["moved_to"][0] == dl.PARQUET

"""The real site: `mkdocs build --strict` on the committed dataset, with no warning, every
page generated at build time (none written into docs/), every link and anchor resolving."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
from pathlib import Path

import pytest

from matrix.core import catalog
from matrix.core import grid as gridmod
from matrix.dataset import downloads as dl
from matrix.site import build as site
from matrix.site import context, frames, links
from tests.sitekit import ROOT, downloads_of, link_problems, mkdocs_build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    r, seconds = mkdocs_build(out)
    print(f"mkdocs build --strict: {seconds:.1f} s")
    assert r.returncode == 0, r.stderr[-3000:]
    warnings = [ln for ln in r.stderr.splitlines() if re.match(r"\s*(WARNING|ERROR)\b", ln)]
    assert not warnings, "\n".join(warnings)
    return out


def test_generated_pages_never_touch_docs() -> None:
    """Generated and hand-written pages are never mixed: no generated path exists in docs/."""
    out = site.Paths()
    site.generate(out, site.data_dir(ROOT), inline=True)
    generated = out.paths
    assert "index.md" in generated
    assert "errors.json" in generated
    clashes = [p for p in generated if (ROOT / "docs" / p).exists()]
    assert clashes == []
    tracked = subprocess.run(
        ["git", "ls-files", "docs"], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout.split()
    assert not set(tracked) & {f"docs/{p}" for p in generated}


def test_generated_pages_are_there(built: Path) -> None:
    df = site.frame(site.data_dir(ROOT))
    for page in (
        "index.html",
        "matrix/index.html",
        "matrix/cells/index.html",
        "releases/index.html",
        "errors/index.html",
        "doctor/index.html",
        "checklists/kustomize-release/index.html",
        "checklists/plugin-authors/index.html",
        "data/index.html",
        "history/index.html",
        "guides/comparison/index.html",
        "releases/tested/index.html",
        "install/index.html",
        "data/kustomize-plugin-matrix.csv.gz",
        "data/kustomize-plugin-matrix.json.gz",
        "data/kustomize-plugin-matrix.parquet",
        "data/dataset.csv",
        "data/dataset.json",
        "data/dataset.parquet",
        "data/record.schema.json",
        "cells/renamed.json",
    ):
        assert (built / page).is_file(), page
    groups: dict[str, str] = {}
    for cell in df["cell"]:  # one section per cell, on the page of its id's first characters
        group = links.cell_group(cell)
        if group not in groups:
            groups[group] = (built / "cells" / group / "index.html").read_text()
        assert f'<section class="cell" id="{cell}">' in groups[group]
    assert len([p for p in (built / "cells").iterdir() if p.is_dir()]) == len(groups) <= 256
    for rel in set(df["host_release"]):
        assert (built / "releases" / rel / "index.html").is_file()
        table = (built / "matrix" / "cells" / links.slug(rel) / "index.html").read_text()
        assert len(re.findall(r"<tr data-kind=\"[a-z-]+\"><td><a href=\"../../../cells/", table)) == int(
            (df["host_release"] == rel).sum()
        )
    rows = json.loads(gzip.decompress((built / "data" / dl.JSON).read_bytes()))
    assert len(rows) == len(df)


def test_downloads_hold_every_column_of_every_cell(built: Path, tmp_path: Path) -> None:
    """The site's downloads are the dataset's, byte for byte (the build writes them in parts);
    the names they had before hold the same data, uncompressed (the dataset is small)."""
    want = downloads_of(site.data_dir(ROOT), tmp_path / "downloads")
    for name, content in want.items():
        assert (built / "data" / name).read_bytes() == content, name
    for old, new in dl.OLD_NAMES.items():
        data = want[new] if not new.endswith(".gz") else gzip.decompress(want[new])
        assert (built / "data" / old).read_bytes() == data, old


def test_renamed_cells_are_published_for_old_permalinks(built: Path) -> None:
    """cells/renamed.json maps each old cell id (a toolchain's former name) to its cell, as
    docs/javascripts/permalinks.js reads it; every cell it names is on the site."""
    renamed = json.loads((built / "cells" / "renamed.json").read_text())
    g = gridmod.load(site.data_dir(ROOT) / "grid.toml")
    union: dict[str, str] = {}
    for profile in g.profiles:
        union.update(g.renamed_cells(profile))
    df = site.frame(site.data_dir(ROOT))
    present = set(df["cell"])
    assert renamed == {old: new for old, new in union.items() if new in present}
    assert renamed  # the grid renamed toolchains ("local" became go1.26.8)
    for new in renamed.values():
        assert f'id="{new}"' in (built / "cells" / new[:3] / "index.html").read_text()


def test_cell_pages_are_not_in_the_search_index(built: Path) -> None:
    index = json.loads((built / "search" / "search_index.json").read_text())
    locations = [d["location"] for d in index["docs"]]
    assert any(loc.startswith("errors/") for loc in locations)
    # the cells' sections and the tables of cells are reached from the tables' index page
    assert not [loc for loc in locations if re.match(r"cells/|matrix/cells/[^#]", loc)]


def test_sharded_generation_gives_the_same_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the cells in parallel shards changes nothing in what is generated."""
    outs = {}
    for shards in ("1", "3"):
        monkeypatch.setenv(site.SHARDS_ENV, shards)
        out = tmp_path / shards
        site.generate(site.Folder(out), site.data_dir(ROOT), inline=True)
        outs[shards] = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert outs["1"].keys() == outs["3"].keys()
    assert [k for k in outs["1"] if outs["1"][k] != outs["3"][k]] == []


def test_errors_json_and_one_page_per_class(built: Path) -> None:
    cat = catalog.load_catalog()
    doc = json.loads((built / "errors.json").read_text())
    assert [c["slug"] for c in doc["classes"]] == [c.slug for c in cat.classes]
    for c in doc["classes"]:
        assert {"slug", "title", "patterns", "url"} <= set(c)
        assert c["url"].endswith(f"/errors/{c['slug']}/")
        assert (built / "errors" / c["slug"] / "index.html").is_file()


def test_newcomer_reaches_recipe_and_mismatch_page_in_one_click(built: Path) -> None:
    df = site.frame(site.data_dir(ROOT))
    ctx = context.load(site.data_dir(ROOT))
    home = (built / "index.html").read_text()
    proven = frames.newest_with_recipe(df, ctx)
    assert proven, "no release of the dataset has a recipe proven by a load"
    assert f'href="releases/{proven}/"' in home
    page = (built / "releases" / proven / "index.html").read_text()
    assert "To build a plugin that loads into kustomize" in page
    assert "go build -buildmode=plugin" in page
    assert 'href="errors/package-version-mismatch/"' in home


def test_every_internal_link_and_anchor_resolves(built: Path) -> None:
    assert link_problems(built) == []


def test_no_request_leaves_the_site(built: Path) -> None:
    """No web font, CDN script or stylesheet: the pages work offline."""
    for p in [built / "index.html", built / "matrix" / "cells" / "index.html"]:
        text = p.read_text()
        for m in re.finditer(r'<(?:script|link|img)[^>]+(?:src|href)="(https?:)?//([^"/]+)', text):
            tag = m.group(0)
            assert 'rel="canonical"' in tag or "kustomize-plugin-matrix.github.io" in m.group(2), tag

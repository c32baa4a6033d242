"""The mechanisms page (guides/mechanisms.md, issue 16) from small frames of synthetic
records: every number is matrix.dataset.mechanisms' and links the cells behind it; the
upgrade survival matrices; scenarios; escaping."""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

import pandas as pd

from matrix.dataset import frame as dataset
from matrix.dataset import mechanisms as mech
from matrix.site.context import Context, ErrorClass
from matrix.site.links import Links
from matrix.site.pages import mechanisms as page_mod
from tests.sitekit import DATA, HTML_ERROR, synthetic_record

CTX = Context(
    classes=(
        ErrorClass("package-version-mismatch", "Plugin built with a different version of a package"),
        ErrorClass("wrong-plugin-interface", "Wrong plugin interface"),
    )
)
LINKS = Links(page_mod.SRC)


def as_mechanism(r: dict[str, Any], mechanism: str) -> dict[str, Any]:
    """Record `r` as measured with another mechanism (its own cell id)."""
    r = copy.deepcopy(r)
    r["plugin"]["mechanism"] = mechanism
    r["cell"] = "c" + hashlib.sha256(f"{r['cell']}/{mechanism}".encode()).hexdigest()[:12]
    return r


def built_for(r: dict[str, Any], release: str) -> dict[str, Any]:
    """Record `r` with its plugin built for another kustomize release (an upgrade cell)."""
    r = copy.deepcopy(r)
    r["plugin"]["release"] = release
    r["cell"] = "c" + hashlib.sha256(f"{r['cell']}/{release}".encode()).hexdigest()[:12]
    return r


def three(r: dict[str, Any], exec_outcome: str | None = None) -> list[dict[str, Any]]:
    """The Go plugin cell `r` and its exec and KRM function twins."""
    out = [r]
    for m in ("exec", "krm-function"):
        t = as_mechanism(r, m)
        if exec_outcome:
            t["outcome"] = exec_outcome
        out.append(t)
    return out


def md_links(text: str) -> list[tuple[str, str]]:
    return re.findall(r"\[([^\]]+)\]\(([^)\s]+)\)", text)


def evidence_cells(data: dict[str, Any], anchor: str) -> dict[str, list[str]]:
    entry = next(e for e in data["evidence"] if e["id"] == anchor)
    return dict(entry["groups"])


def test_a_number_links_its_one_cell_or_the_list_of_its_cells() -> None:
    recs = [
        *three(synthetic_record(release="v5.8.2")),
        *three(synthetic_record(release="v5.8.2", plugin="transformer")),
        *three(synthetic_record(release="v5.7.1")),
    ]
    df = dataset.frame(recs)
    data = page_mod.page_data(df)
    releases = next(s for s in data["sections"] if s["dim"] == "releases")
    rows = {tuple(r["keys"]): r for r in releases["rows"]}
    assert [m for m, _ in data["mechs"]] == ["go-plugin", "exec", "krm-function"]
    one = rows[("v5.7.1",)]["cols"][0]
    assert (one["text"], one["cell"], one["anchor"]) == ("1 / 1", recs[6]["cell"], None)
    two = rows[("v5.8.2",)]["cols"][0]
    assert two["text"] == "2 / 2"
    assert two["cell"] is None
    assert evidence_cells(data, two["anchor"]) == {"loads": sorted([recs[0]["cell"], recs[3]["cell"]])}

    text = page_mod.page(df, CTX)
    found = md_links(text)
    assert ("1 / 1", str(LINKS.cell_md(recs[6]["cell"]))) in found
    assert ("2 / 2", f"#{two['anchor']}") in found
    # every link to this page's anchors lands on an id of an HTML block or a heading
    ids = set(re.findall(r' id="([^"]+)"', text))
    headings = {
        re.sub(r"[^a-z0-9]+", "-", h.lower()).strip("-") for h in re.findall(r"^#+ (.+)$", text, re.M)
    }
    for _, href in found:
        if href.startswith("#"):
            assert href[1:] in ids | headings, href
    assert len(ids) == len(re.findall(r' id="', text))  # unique


def test_every_number_is_the_dataset_modules_and_lists_exactly_its_cells() -> None:
    """On the committed dataset: each section's numbers are mechanisms.by_*'s, and each list
    holds the row's attempted and untried cells, grouped by their outcome."""
    df = dataset.site_frame(DATA)
    outcome = dict(zip(df["cell"], df["outcome"], strict=True))
    data = page_mod.page_data(df)
    tables = {
        "releases": (mech.by_release(df), ["host_release"]),
        "go": (mech.by_go(df), ["host_go", "plugin_go"]),
        "flags": (mech.by_flags(df), ["host_variant", "plugin_variant"]),
        "platforms": (mech.by_platform(df), ["host_platform", "plugin_platform"]),
        "upgrades": (mech.by_upgrade(df), ["change", "direction"]),
    }
    mechs = [m for m, _ in data["mechs"]]
    checked = 0
    for s in data["sections"]:
        t, keys = tables[s["dim"]]
        rows = {tuple(r["keys"]): r for r in s["rows"]}
        for r in t.to_dict("records"):
            n = rows[tuple(str(r[k]) for k in keys)]["cols"][mechs.index(r["mechanism"])]
            assert (n["loads"], n["attempts"]) == (r["loads"], r["attempts"])
            every = sorted(c for c in f"{r['cells']};{r['other_cells']}".split(";") if c)
            if n["cell"]:
                assert every == [n["cell"]]
            elif n["anchor"]:
                groups = evidence_cells(data, n["anchor"])
                assert sorted(c for cs in groups.values() for c in cs) == every
                assert all(outcome[c] == o for o, cs in groups.items() for c in cs)
            else:
                assert every == []
            checked += 1
    assert checked >= 100
    summary = mech.summary(df)
    glance = {g["dim"]: g for g in data["glance"]}
    for r in summary.to_dict("records"):
        n = glance[r["dimension"]]["cols"][mechs.index(r["mechanism"])]
        assert (n["loads"], n["attempts"]) == (r["loads"], r["attempts"])


def test_untried_cells_count_apart_and_are_listed() -> None:
    recs = [
        *three(synthetic_record(release="v5.8.3", outcome="build-failed")),
        *three(synthetic_record(release="v5.8.3", plugin="transformer", outcome="build-failed")),
    ]
    data = page_mod.page_data(dataset.frame(recs))
    n = next(s for s in data["sections"] if s["dim"] == "releases")["rows"][0]["cols"][0]
    assert n["text"] == "0 / 0"
    assert n["state"] == "none"
    assert evidence_cells(data, n["anchor"]) == {"build-failed": sorted([recs[0]["cell"], recs[3]["cell"]])}


def test_upgrade_survival_matrix_per_mechanism() -> None:
    base = synthetic_record(
        release="v5.8.2", axes=["upgrade"], outcome="fails", cls="package-version-mismatch"
    )
    older = synthetic_record(
        release="v5.7.1", axes=["upgrade"], outcome="fails", cls="package-version-mismatch"
    )
    go_up = built_for(base, "v5.7.1")  # built for v5.7.1, loaded into v5.8.2
    go_down = built_for(older, "v5.8.2")  # built for v5.8.2, loaded into v5.7.1
    recs = [*three(go_up, exec_outcome="loads"), *three(go_down, exec_outcome="loads")]
    df = dataset.frame(recs)
    data = page_mod.page_data(df)
    go, exe, krm = data["survival"]["release"]
    assert go["label"] == "Go plugin"
    assert go["axis"] == ["v5.7.1", "v5.8.2"]
    assert (go["loads"], go["attempts"]) == (0, 2)
    assert (exe["loads"], exe["attempts"]) == (2, 2)
    assert (krm["loads"], krm["attempts"]) == (2, 2)
    (diag, up), (down, diag2) = go["rows"][0]["cols"], go["rows"][1]["cols"]
    assert diag == ("v5.7.1", None)
    assert diag2 == ("v5.8.2", None)
    assert (up[0], up[1]["text"], up[1]["cell"], up[1]["state"]) == (
        "v5.8.2",
        "0 / 1",
        go_up["cell"],
        "fails",
    )
    assert (down[0], down[1]["cell"]) == ("v5.7.1", go_down["cell"])
    assert data["survival"]["go"] == []

    text = page_mod.page(df, CTX)
    assert "### Go plugin: kustomize release upgrades" in text
    assert "Go plugin: 0 of 2 attempts loaded after a kustomize release change." in text
    assert f'<a class="outcome outcome-fails" href="{LINKS.cell_href(go_up["cell"])}">0 / 1</a>' in text
    exec_up = recs[1]["cell"]
    assert f'<a class="outcome outcome-loads" href="{LINKS.cell_href(exec_up)}">1 / 1</a>' in text
    assert "No Go release upgrade cell in the dataset." in text
    assert (
        "[package-version-mismatch](../errors/package-version-mismatch.md) \N{MULTIPLICATION SIGN}2" in text
    )


def test_scenarios_show_each_mechanisms_outcome_class_and_cell() -> None:
    r = synthetic_record(release="v5.8.2", outcome="fails", cls="wrong-plugin-interface")
    r["plugin"]["scenario"] = {
        "name": "no-symbol",
        "description": "a plugin without KustomizePlugin",
        "mode": "standard",
        "expect": "wrong-plugin-interface",
        "with": [],
    }
    sweep = three(synthetic_record(release="v5.7.1"))  # the three mechanisms were measured
    text = page_mod.page(dataset.frame([r, *sweep]), CTX)
    row = next(ln for ln in text.splitlines() if ln.startswith("| no-symbol |"))
    assert "fails ([wrong-plugin-interface](../errors/wrong-plugin-interface.md))" in row
    assert str(LINKS.cell_md(r["cell"])) in row
    assert row.count("| —") == 2  # no exec, no KRM function cell for it


def test_an_empty_frame_gives_a_page_that_says_so() -> None:
    text = page_mod.page(dataset.frame([]), CTX)
    assert text.count("No cell of this kind in the dataset.") == len(page_mod.DIMENSIONS)
    assert "Every number above stands for one cell (or none), and links it." in text


def test_record_texts_are_escaped() -> None:
    recs = three(synthetic_record(release="v5.8.2", outcome="fails", cls=HTML_ERROR), exec_outcome="loads")
    recs += three(synthetic_record(release="v5.8.2", plugin="transformer", outcome="fails", cls=HTML_ERROR))
    df = dataset.frame(recs)
    assert isinstance(df, pd.DataFrame)
    text = page_mod.page(df, CTX)
    assert "<script>" not in text
    assert "<img" not in text
    assert "&lt;script&gt;" in text

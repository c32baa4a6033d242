"""Claims about the committed dataset (data/cells), checked on every test run."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from matrix.core import records
from matrix.core.grid import load as load_grid
from tests.conftest import GRID

DATA = GRID.parent


@pytest.fixture(scope="module")
def recs() -> list[dict[str, Any]]:
    return records.load_all(DATA)


def _error_text(r: dict[str, Any]) -> str:
    if r["outcome"] == "fails":
        return str(r["load"]["stderr"] + r["load"]["stdout"])
    if r["outcome"] == "build-failed":
        return "".join(
            r[s]["build"]["output"] for s in ("host", "plugin") if r[s]["build"]["status"] == "failed"
        )
    return ""


def test_every_record_is_schema_valid_and_named_by_its_cell(recs: list[dict[str, Any]]) -> None:
    ids = [r["cell"] for r in recs]
    assert len(ids) == len(set(ids))
    for p in records.cells_dir(DATA).glob("*.json"):
        assert records.read(p)["cell"] == p.stem


def test_default_profile_is_fully_recorded(recs: list[dict[str, Any]]) -> None:
    want = {c.id for c in load_grid(GRID).cells("default")}
    have = {r["cell"] for r in recs}
    assert want <= have, f"{len(want - have)} cells of the default profile are not recorded"


def test_coverage_toolchains_releases_plugins(recs: list[dict[str, Any]]) -> None:
    measured = [r for r in recs if r["outcome"] in ("loads", "fails")]
    assert len({r["host"]["toolchain"]["id"] for r in measured}) >= 3
    assert len({r["host"]["release"] for r in measured}) >= 5
    assert len({r["plugin"]["name"] for r in measured}) >= 3


def test_failures_carry_raw_text_and_loads_carry_evidence(recs: list[dict[str, Any]]) -> None:
    for r in recs:
        if r["outcome"] in ("fails", "build-failed"):
            assert _error_text(r).strip(), r["cell"]
        if r["outcome"] == "loads":
            assert r["load"]["seen"]
            assert r["load"]["exit_code"] == 0
            assert r["cell"] in r["load"]["stdout"], r["cell"]
        if r["outcome"] in ("skipped", "not-run"):
            assert r["reason"], r["cell"]
        assert r["outcome"] != "harness-error", r["cell"]


def _fields(r: dict[str, Any]) -> dict[tuple[str, str], Any]:
    keys = ("release", "variant", "platform")
    f = {("host", k): r["host"][k] for k in keys} | {("plugin", k): r["plugin"][k] for k in keys}
    f[("host", "toolchain")] = r["host"]["toolchain"]["id"]
    f[("plugin", "toolchain")] = r["plugin"]["toolchain"]["id"]
    f[("plugin", "name")] = r["plugin"]["name"]
    f[("plugin", "pins")] = r["plugin"]["pins"]
    f[("plugin", "mechanism")] = r["plugin"].get("mechanism")
    f[("plugin", "scenario")] = (r["plugin"].get("scenario") or {}).get("name")
    return f


@pytest.mark.parametrize("axis", ["host-variant", "plugin-variant", "matched-variant", "pins", "platform"])
def test_each_axis_has_an_isolating_pair_with_real_outcomes(recs: list[dict[str, Any]], axis: str) -> None:
    real = [r for r in recs if r["outcome"] in ("loads", "fails", "build-failed")]
    pairs = 0
    for r in real:
        if axis not in r["axes"]:
            continue
        fr = _fields(r)
        for o in real:
            diff = {k for k in fr if fr[k] != _fields(o)[k]}
            together = {k[1] for k in diff} in ({"variant"}, {"platform"})  # a matched pair
            if 1 <= len(diff) <= 2 and (len(diff) == 1 or together):
                pairs += 1
    assert pairs, f"no isolating pair with real outcomes on axis {axis}"


def test_every_variant_pin_and_platform_of_the_grid_was_measured(recs: list[dict[str, Any]]) -> None:
    g = load_grid(GRID)
    variants = {r["host"]["variant"] for r in recs} | {r["plugin"]["variant"] for r in recs}
    assert set(g.variants) <= variants
    assert set(g.pins) <= {r["plugin"]["pins"] for r in recs}
    assert set(g.platforms) <= {r["host"]["platform"] for r in recs} | {r["plugin"]["platform"] for r in recs}


def test_arm64_loads_really_ran_under_qemu(recs: list[dict[str, Any]]) -> None:
    arm = [r for r in recs if r["host"]["platform"] == "linux/arm64" and r["load"] is not None]
    assert arm
    for r in arm:
        emu = r["runner"]["emulator"]
        assert r["runner"]["native"] is False
        assert emu
        assert emu["argv"][0] == "qemu-aarch64"
        assert emu["version"]
        assert "qemu" in emu["version"].lower()
    assert any(r["outcome"] == "loads" for r in arm)


def test_other_oses_are_not_run_with_a_reason_never_guessed(recs: list[dict[str, Any]]) -> None:
    other = [r for r in recs if r["host"]["goos"] != "linux"]
    assert other
    for r in other:
        assert r["load"] is None
        if r["plugin"]["pins"] == "recipe" and r["host"]["build"]["status"] == "ok":
            # a Mach-O / PE host has no ELF build information to read a recipe from
            assert r["outcome"] == "skipped"
            assert "not an ELF file" in r["reason"]
            continue
        assert r["outcome"] in ("not-run", "build-failed")
        if r["outcome"] == "not-run":
            assert "runner" in r["reason"]


def test_each_artifact_has_one_build(recs: list[dict[str, Any]]) -> None:
    """Cells sharing an artifact key share its bytes: it was built once."""
    by_key: dict[str, set[str | None]] = defaultdict(set)
    for r in recs:
        for side in ("host", "plugin"):
            b = r[side]["build"]
            if b["key"]:
                by_key[b["key"]].add(b["sha256"])
    assert by_key
    assert all(len(v) == 1 for v in by_key.values())


def test_every_host_that_can_load_plugins_loads_its_recipe_plugin(recs: list[dict[str, Any]]) -> None:
    """Issue 9: the plugin built by the host's own recipe loads into every host that can load
    Go plugins (all toolchains and variants); a host that cannot is told apart before a build."""
    recipe = [r for r in recs if r["plugin"]["pins"] == "recipe"]
    hosts = {json.dumps(r["host"]["build"]["key"]) for r in recs if r["host"]["build"]["status"] == "ok"}
    assert len(
        {json.dumps(r["host"]["build"]["key"]) for r in recipe if r["host"]["build"]["status"] == "ok"}
    ) == len(hosts)
    ran = [r for r in recipe if r["load"] is not None]
    failed = [r["cell"] for r in ran if r["outcome"] != "loads"]
    assert ran, failed
    assert not failed, failed
    assert {r["host"]["variant"] for r in ran} >= {"default", "trimpath", "debug", "race"}
    for r in recipe:
        if r["outcome"] == "skipped" and "cannot load Go plugins" in r["reason"]:
            assert r["plugin"]["build"]["command"] == []  # nothing was built


def test_toolchains_are_exact_go_releases_and_records_name_no_machine_path(
    recs: list[dict[str, Any]],
) -> None:
    """Records from two machines compare: toolchains are named by the Go release they are,
    and every machine path (caches, GOROOT, home, temp) is a placeholder."""
    import re

    grid_text = GRID.read_text()
    assert not re.search(r"^\[toolchains\.(local|\"local\")\]", grid_text, re.M)
    for r in recs:
        for side in ("host", "plugin"):
            tc = r[side]["toolchain"]
            if tc["version"] is not None:
                assert tc["id"] == tc["version"].split()[2], (r["cell"], tc)
                assert tc["resolved"] in ("path", "gotoolchain", "distro", "goroot"), r["cell"]
        assert r["observations"], r["cell"]
    machine = re.compile(r"/root\b|/home/[^/\s]+|/tmp/|/usr/local/go\b|/usr/lib/go-1\.19\b|/go/pkg/mod\b")
    leaks = sorted({m.group(0) for r in recs for m in machine.finditer(json.dumps(r))})
    assert leaks == [], leaks


def test_old_cell_ids_redirect_to_the_renamed_cells(recs: list[dict[str, Any]]) -> None:
    """Cells whose toolchain was renamed (local -> go1.26.8, go1.19 -> go1.19.8) have a
    redirect from their old id, and every redirect points at a recorded cell."""
    renamed = load_grid(GRID).renamed_cells("default")
    ids = {r["cell"] for r in recs}
    assert renamed
    assert set(renamed.values()) <= ids
    assert not set(renamed) & ids


# Error classes no real cell can show, and why (each reason is checked against the data:
# the class must really be absent, and a note must say why).
UNOBSERVABLE = {
    "previous-failure": "one `kustomize build` never opens a failed plugin file twice: "
    "see docs/errors-notes/previous-failure.md",
}


def test_almost_every_error_class_was_seen_in_a_real_cell(recs: list[dict[str, Any]]) -> None:
    """At least 17 of the catalog's 20 classes (the fallback aside) were recorded by a real
    cell; each one that was not has its reason in UNOBSERVABLE."""
    from matrix.core.catalog import load_catalog

    cat = load_catalog()
    classes = {c.slug for c in cat.classes if c.stage != "fallback"}
    assert len(classes) == 20
    seen = {r["class"] for r in recs if r["class"]}
    missing = classes - seen
    assert len(classes & seen) >= 17, sorted(missing)
    assert missing <= set(UNOBSERVABLE), sorted(missing - set(UNOBSERVABLE))
    for slug in UNOBSERVABLE:
        assert slug not in seen, f"{slug} was observed after all: drop its reason"
    assert (GRID.parent.parent / "docs" / "errors-notes" / "previous-failure.md").is_file()


def test_every_record_names_its_mechanism_and_all_three_were_measured(recs: list[dict[str, Any]]) -> None:
    assert all(r["plugin"].get("mechanism") in ("go-plugin", "exec", "krm-function") for r in recs)
    for m in ("go-plugin", "exec", "krm-function"):
        mine = [r for r in recs if r["plugin"]["mechanism"] == m]
        assert any(r["outcome"] == "loads" for r in mine), m
        assert any(r["outcome"] == "fails" for r in mine), m
        assert len({r["host"]["release"] for r in mine if r["outcome"] == "loads"}) >= 5, m
        assert len({r["plugin"]["toolchain"]["id"] for r in mine if r["outcome"] == "loads"}) >= 3, m
    for r in recs:
        if r["plugin"]["mechanism"] != "go-plugin":
            assert r["doctor"] is None, r["cell"]  # the doctor reads Go plugin files only
            assert "-buildmode=plugin" not in r["plugin"]["build"]["command"], r["cell"]
        if r["load"] is not None:
            krm = r["plugin"]["mechanism"] == "krm-function" and r["load"]["mode"] != "no-exec-flag"
            assert ("--enable-exec" in r["load"]["command"]) == krm, r["cell"]


def test_upgrade_cells_in_both_directions_for_every_mechanism(recs: list[dict[str, Any]]) -> None:
    from matrix.dataset.mechanisms import version_key

    up = [r for r in recs if "upgrade" in r["axes"] and r["outcome"] in ("loads", "fails")]
    for m in ("go-plugin", "exec", "krm-function"):
        mine = [r for r in up if r["plugin"]["mechanism"] == m]
        rel = {
            version_key(r["host"]["release"]) > version_key(r["plugin"]["release"])
            for r in mine
            if r["host"]["release"] != r["plugin"]["release"]
        }
        go = {
            version_key(r["host"]["toolchain"]["id"]) > version_key(r["plugin"]["toolchain"]["id"])
            for r in mine
            if r["host"]["toolchain"]["id"] != r["plugin"]["toolchain"]["id"]
        }
        assert rel == {True, False}, m  # kustomize upgraded under the plugin, and downgraded
        assert go == {True, False}, m


def test_each_scenario_shows_what_it_was_made_for(recs: list[dict[str, Any]]) -> None:
    """Every scenario of the default profile was recorded for each of its mechanisms, and
    the class it was designed to show is the class the classifier gave one of its cells."""
    g = load_grid(GRID)
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in recs:
        if r["plugin"]["scenario"]:
            by[r["plugin"]["scenario"]["name"]].append(r)
    for name in g.profiles["default"]["scenarios"]:
        sc = g.scenarios[name]
        mine = by[name]
        assert sorted(r["plugin"]["mechanism"] for r in mine) == sorted(sc.get("mechanisms", ["go-plugin"]))
        for r in mine:
            assert r["plugin"]["scenario"]["mode"] == sc["mode"]
            if r["load"] is not None:
                assert r["load"]["mode"] == sc["mode"]
        if "expect" in sc:
            assert sc["expect"] in {r["class"] for r in mine}, (name, [(r["cell"], r["class"]) for r in mine])
        else:
            assert all(r["outcome"] == "loads" for r in mine), name  # a control

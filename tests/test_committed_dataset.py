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

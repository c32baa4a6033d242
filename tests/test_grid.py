from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from matrix import UserError
from matrix.core import grid
from tests.conftest import GRID


def test_real_grid_is_valid_and_profiles_expand() -> None:
    g = grid.load(GRID)
    smoke, default, full = (g.cells(p) for p in ("smoke", "default", "full"))
    assert len(smoke) == 1
    assert len(smoke) < len(default) <= len(full)
    # The dataset must cover >= 3 toolchains x >= 5 releases x >= 3 plugins.
    base = [c for c in default if "baseline" in c.axes]
    assert len({c.host.toolchain for c in base}) >= 3
    assert len({c.host.release for c in base}) >= 5
    assert len({c.plugin.plugin for c in base}) >= 3


def test_cell_ids_are_stable_and_unique() -> None:
    cells = grid.load(GRID).cells("default")
    ids = [c.id for c in cells]
    assert len(ids) == len(set(ids))
    assert ids == [c.id for c in grid.load(GRID).cells("default")]
    assert all(i.startswith("c") and len(i) == 13 for i in ids)


def _differs_in_one_field(a: grid.Cell, b: grid.Cell) -> bool:
    fa = {("h", k): v for k, v in asdict(a.host).items()} | {("p", k): v for k, v in asdict(a.plugin).items()}
    fb = {("h", k): v for k, v in asdict(b.host).items()} | {("p", k): v for k, v in asdict(b.plugin).items()}
    diff = {k for k in fa if fa[k] != fb[k]}
    # A matched variant changes host and plugin variant together: that is its one axis.
    return (
        len(diff) == 1
        or diff == {("h", "variant"), ("p", "variant")}
        or diff == {("h", "platform"), ("p", "platform")}
    )


@pytest.mark.parametrize(
    "axis", ["host-variant", "plugin-variant", "matched-variant", "pins", "platform", "upgrade"]
)
def test_every_axis_cell_has_an_isolating_partner(axis: str) -> None:
    cells = grid.load(GRID).cells("default")
    on_axis = [c for c in cells if axis in c.axes]
    assert on_axis, f"default profile has no {axis} cells"
    for c in on_axis:
        assert any(_differs_in_one_field(c, o) for o in cells if o is not c), c


def test_filters_and_unknown_names(grid_copy: Path) -> None:
    g = grid.load(grid_copy)
    only = g.cells("default", releases=["v5.8.2"], toolchains=["go1.26.8"])
    assert only
    assert all(c.host.release == "v5.8.2" and c.plugin.toolchain == "go1.26.8" for c in only)
    with pytest.raises(UserError, match=r"unknown kustomize version 'v5.8.9'.*did you mean 'v5.8.[23]'"):
        g.cells("default", releases=["v5.8.9"])
    with pytest.raises(UserError, match=r"unknown toolchain 'go1\.28'"):
        g.cells("default", toolchains=["go1.28"])
    with pytest.raises(UserError, match=r"unknown profile 'smok'.*did you mean 'smoke'"):
        g.cells("smok")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('[toolchains."go1.26.8"]', "[toolchains.local]"), r"toolchains: 'local' does not match"),
        (
            ('distro = "/usr/lib/go-1.19/bin/go"', 'distr = "/usr/lib/go-1.19/bin/go"'),
            r"toolchains\.go1\.19\.8: .*distr",
        ),
        (('[releases."v5.8.2"]', '[releases."5.8.2"]'), r"releases: '5.8.2' does not match"),
        (
            ('releases = ["v5.8.2"]', 'releases = ["v5.8.22"]'),
            r"profiles.smoke.releases: unknown release 'v5.8.22'",
        ),
        (("schema = 1", "schema = 1\n[oops"), r"not valid TOML"),
        (('kind = "transformer"', 'kind = "mutator"'), r"plugins.transformer.kind"),
    ],
)
def test_grid_typos_name_the_field(grid_copy: Path, edit: tuple[str, str], message: str) -> None:
    text = grid_copy.read_text()
    assert edit[0] in text
    grid_copy.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(UserError, match=message) as e:
        grid.load(grid_copy)
    assert str(grid_copy) in str(e.value)


def test_go_plugin_cell_ids_did_not_change_with_the_mechanism_field() -> None:
    """Cells from before mechanisms and scenarios keep their ids (and permalinks): the id
    of a Go-plugin sweep cell is the hash of its host and plugin without the new field."""
    import hashlib
    import json

    host = grid.HostSpec("v5.8.2", "go1.26.8")
    plugin = grid.PluginSpec("generator", "v5.8.2", "go1.26.8")
    old_plugin = {k: v for k, v in asdict(plugin).items() if k != "mechanism"}
    key = json.dumps({"host": asdict(host), "plugin": old_plugin}, sort_keys=True)
    assert grid.cell_id(host, plugin) == "c" + hashlib.sha256(key.encode()).hexdigest()[:12]
    exec_plugin = grid.PluginSpec("generator", "v5.8.2", "go1.26.8", mechanism="exec")
    ids = {
        grid.cell_id(host, plugin),
        grid.cell_id(host, exec_plugin),
        grid.cell_id(host, plugin, "no-symbol"),
    }
    assert len(ids) == 3


def test_every_other_mechanism_cell_has_its_go_plugin_twin() -> None:
    g = grid.load(GRID)
    cells = g.cells("default")
    by_id = {c.id for c in cells}
    others = [c for c in cells if c.plugin.mechanism != grid.GO_PLUGIN and c.scenario is None]
    assert {c.plugin.mechanism for c in others} == {"exec", "krm-function"}
    for c in others:
        twin = grid.cell_id(c.host, grid.PluginSpec(**{**asdict(c.plugin), "mechanism": grid.GO_PLUGIN}))
        assert twin in by_id, c
        assert set(c.axes) <= set(grid.TWIN_AXES)
    plats = set(g.profiles["default"]["mechanism_platforms"])
    assert all({c.host.platform, c.plugin.platform} <= plats for c in others)
    # every mechanism meets the same hosts on the same axes
    for axis in grid.TWIN_AXES:
        for m in ("exec", "krm-function"):
            assert any(axis in c.axes for c in others if c.plugin.mechanism == m), (axis, m)


def test_upgrade_axis_goes_both_ways_for_releases_and_go() -> None:
    g = grid.load(GRID)
    prof = g.profiles["default"]
    up = [c for c in g.cells("default") if "upgrade" in c.axes]
    for m in grid.MECHANISMS:
        mine = [c for c in up if c.plugin.mechanism == m]
        rel = {(c.plugin.release, c.host.release) for c in mine if c.plugin.release != c.host.release}
        assert len(rel) == len(prof["releases"]) * (len(prof["releases"]) - 1), m
        gos = {(c.plugin.toolchain, c.host.toolchain) for c in mine if c.plugin.toolchain != c.host.toolchain}
        assert len(gos) == len(prof["toolchains"]) * (len(prof["toolchains"]) - 1), m
        assert all((b, a) in rel for a, b in rel)


def test_scenarios_expand_to_one_cell_per_mechanism() -> None:
    g = grid.load(GRID)
    cells = [c for c in g.cells("default") if c.scenario is not None]
    names = g.profiles["default"]["scenarios"]
    assert sorted({c.scenario for c in cells if c.scenario}) == sorted(names)
    for name in names:
        sc = g.scenarios[name]
        mine = [c for c in cells if c.scenario == name]
        assert sorted(c.plugin.mechanism for c in mine) == sorted(sc.get("mechanisms", [grid.GO_PLUGIN]))
        assert all(c.axes == ["scenario"] and c.plugin.plugin == sc["plugin"] for c in mine)
        assert sc["mode"] in grid.LOAD_MODES
    assert any(c.host.release != g.profiles["default"]["reference"]["release"] for c in cells)  # api-too-new


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ('plugin = "nosymbol"', 'plugin = "nosymbl"'),
            r"scenarios.no-symbol.plugin: unknown plugin 'nosymbl'",
        ),
        (
            ('  "misplaced-file", "not-executable"', '  "misplaced-fil", "not-executable"'),
            r"unknown scenario",
        ),
        (
            ('mechanisms = ["exec", "krm-function"]', 'mechanisms = ["exec", "krm"]'),
            r"scenarios.not-executable",
        ),
        (('mode = "wrong-list"', 'mode = "upside-down"'), r"scenarios.transformer-as-generator.mode"),
        (('with = ["samepath-transformer"]', "with = []"), r"mode 'together' needs"),
    ],
)
def test_scenario_typos_name_the_field(grid_copy: Path, edit: tuple[str, str], message: str) -> None:
    text = grid_copy.read_text()
    assert edit[0] in text
    grid_copy.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(UserError, match=message):
        grid.load(grid_copy)


def test_a_scenario_mechanism_without_sources_is_refused(grid_copy: Path) -> None:
    text = grid_copy.read_text()
    edit = (
        'plugin = "panicinit"\nmode = "standard"',
        'plugin = "panicinit"\nmode = "standard"\nmechanisms = ["exec"]',
    )
    assert edit[0] in text
    grid_copy.write_text(text.replace(*edit, 1))
    with pytest.raises(
        UserError, match=r"scenarios.panic-in-init.mechanisms: plugin 'panicinit' has no exec source"
    ):
        grid.load(grid_copy)

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


@pytest.mark.parametrize("axis", ["host-variant", "plugin-variant", "matched-variant", "pins", "platform"])
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

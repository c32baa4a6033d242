from __future__ import annotations

import json
from pathlib import Path

import pytest

from matrix import UserError
from matrix.cli import main
from matrix.core import records
from matrix.core.grid import load as load_grid
from matrix.measure import runner, shard
from tests.conftest import GRID

MINI = """
[profiles.mini]
releases = ["v5.8.2"]
toolchains = ["go1.26.8"]
plugins = ["generator", "transformer", "thirdparty"]
reference = { release = "v5.8.2", toolchain = "go1.26.8", plugin = "generator" }
axes = []
"""


def test_plan_covers_every_cell_once_and_picks_runners() -> None:
    cells = load_grid(GRID).cells("default")
    for n in (1, 2, 5):
        p = shard.plan(cells, n)
        ids = [c.id for s in p for c in s.cells]
        assert sorted(ids) == sorted(c.id for c in cells)
        assert [s.index for s in p] == list(range(1, len(p) + 1))
        assert sum(s.runs_on == "ubuntu-latest" for s in p) == n
        darwin = [s for s in p if s.runs_on == "macos-14"]
        assert darwin
        assert all(c.host.platform == "darwin/arm64" for c in darwin[0].cells)


def test_plan_json_feeds_a_github_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--grid", str(GRID), "--shards", "3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"shard", "runs-on", "cells"} <= set(doc["include"][0])
    for entry in doc["include"]:
        assert len(shard.select(load_grid(GRID).cells("default"), entry["shard"])) == entry["cells"]


def test_bad_shard_spec_is_a_clear_error() -> None:
    cells = load_grid(GRID).cells("default")
    for bad in ("3", "0/2", "3/2", "a/b"):
        with pytest.raises(UserError, match="--shard"):
            shard.select(cells, bad)


@pytest.mark.slow
def test_two_shards_merged_equal_the_unsharded_run(tmp_path: Path) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID.read_text() + MINI)
    cache = tmp_path / "cache"
    whole, a, b, merged = (tmp_path / n for n in ("whole", "a", "b", "merged"))
    runner.run(grid, whole, "mini", cache_dir=cache)
    runner.run(grid, a, "mini", cache_dir=cache, shard="1/2")
    runner.run(grid, b, "mini", cache_dir=cache, shard="2/2")
    assert records.load_all(a)
    assert records.load_all(b)
    assert main(["merge", "--data", str(merged), str(a), str(b)]) == 0

    def outcomes(d: Path) -> dict[str, str]:
        return {r["cell"]: r["outcome"] for r in records.load_all(d)}

    assert outcomes(merged) == outcomes(whole)
    assert len(outcomes(whole)) == 3
    assert set(outcomes(whole).values()) == {"loads"}
    # Merging again changes nothing.
    again = shard.merge([a, b], merged)
    assert (again.added, again.same, again.observations, again.conflicts) == (0, 3, 0, [])
    # Another runner that saw the cell fail: its observation is kept beside the first, and
    # the disagreement is reported (a synthetic observation: the real one, changed).
    victim = next(records.cells_dir(b).glob("c*.json"))
    rec = json.loads(victim.read_text())
    other = {**rec["observations"][0], "outcome": "fails", "class": "runtime-crash"}
    other["runner"] = {**other["runner"], "kernel": "6.1.0-other", "cpu": "another CPU"}
    rec["observations"] = [other]
    victim.write_text(json.dumps(rec))
    m = shard.merge([b], merged)
    assert (m.added, m.observations, m.conflicts) == (0, 1, [])
    assert m.disagreements == [f"{rec['cell']}: fails (runtime-crash) vs loads"]
    kept = json.loads(records.path_for(merged, rec["cell"]).read_text())
    assert kept["outcome"] == "loads"  # the record's own fields are the first observation's
    assert sorted(o["outcome"] for o in kept["observations"]) == ["fails", "loads"]
    assert shard.merge([b], merged).observations == 0  # merging it again adds nothing
    # A record of the same cell from other inputs cannot be combined: kept aside, reported.
    rec["inputs"] = "f" * 64
    victim.write_text(json.dumps(rec))
    m = shard.merge([b], merged)
    assert len(m.conflicts) == 1
    assert "kept the recorded one" in m.conflicts[0]
    assert (merged / "conflicts" / f"{rec['cell']}-ffffffffffff.json").is_file()
    assert json.loads(records.path_for(merged, rec["cell"]).read_text())["inputs"] != "f" * 64

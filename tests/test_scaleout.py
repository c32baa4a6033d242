"""Scale-out, simulated here: four shards in separate processes, each with its own
artifact cache and data directory, two of them resolving Go another way (GOTOOLCHAIN
instead of PATH), merged; the result equals one run in cells and outcomes, and keeps
every runner's observation (with how it resolved its Go)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matrix.core import records
from tests.conftest import GRID
from tests.hostile.harness import cli_env, run_cli

# 8 cells: two kustomize hosts (go1.26.8, go1.27.3) x two plugin Go releases x two
# plugins; a 4-shard plan gives each shard one host.
MINI = """
[profiles.scaleout]
releases = ["v5.8.2"]
toolchains = ["go1.26.8", "go1.27.3"]
plugins = ["generator", "transformer"]
reference = { release = "v5.8.2", toolchain = "go1.26.8", plugin = "generator" }
axes = []
"""


def _outcomes(data: Path) -> dict[str, tuple[str, str | None]]:
    return {r["cell"]: (r["outcome"], r["class"]) for r in records.load_all(data)}


@pytest.mark.slow
def test_four_shards_merged_equal_one_run_and_keep_every_runner(tmp_path: Path) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID.read_text() + MINI)
    base = ["--grid", str(grid), "--profile", "scaleout"]
    whole = tmp_path / "whole"
    r = run_cli(["run", "--data", str(whole), *base], cli_env(tmp_path / "cache-whole", tmp_path / "tmp"))
    assert r.returncode == 0, r.stderr[-3000:]
    shards = []
    for k in range(1, 5):
        out = tmp_path / f"shard{k}"
        # shards 2 and 4 run Go 1.26.8 through GOTOOLCHAIN, the others through PATH
        extra = {"PLUGIN_MATRIX_RESOLVE": "gotoolchain,path,distro"} if k % 2 == 0 else {}
        env = cli_env(tmp_path / f"cache{k}", tmp_path / "tmp", **extra)
        r = run_cli(["run", "--data", str(out), *base, "--shard", f"{k}/4"], env)
        assert r.returncode == 0, r.stderr[-3000:]
        assert records.load_all(out), f"shard {k} recorded nothing"
        shards.append(out)
    merged = tmp_path / "merged"
    r = run_cli(
        ["merge", "--data", str(merged), *map(str, shards)], cli_env(tmp_path / "c", tmp_path / "tmp")
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert _outcomes(merged) == _outcomes(whole)
    assert len(_outcomes(whole)) == 8
    ways = {
        (o["resolved"]["host"], o["resolved"]["plugin"])
        for rec in records.load_all(merged)
        for o in rec["observations"]
        if rec["host"]["toolchain"]["id"] == "go1.26.8" and rec["plugin"]["toolchain"]["id"] == "go1.26.8"
    }
    assert ways == {("path", "path"), ("gotoolchain", "gotoolchain")}
    # the single run merged in too: every cell now has two observations, none dropped
    r = run_cli(["merge", "--data", str(merged), str(whole)], cli_env(tmp_path / "c", tmp_path / "tmp"))
    assert r.returncode == 0, r.stdout + r.stderr
    for rec in records.load_all(merged):
        assert len(rec["observations"]) == 2, rec["cell"]
        assert rec["host"]["toolchain"]["id"] == rec["host"]["toolchain"]["version"].split()[2]
    # records from the two "machines" compare: no machine path in any of them
    text = "".join(p.read_text() for p in (merged / "cells").glob("*.json"))
    assert str(tmp_path) not in text
    assert str(Path.home()) + "/" not in text
    assert json.loads(next((merged / "cells").glob("*.json")).read_text())["format"] == records.RECORD_FORMAT

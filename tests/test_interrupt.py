"""A real `plugin-matrix run` killed with SIGINT, SIGTERM and SIGKILL at several points
(during a host build, during a plugin build, after some records, during a load), then run
again: no record is lost, duplicated or half-written, and the last run finishes the rest.

The grid: the machine's Go under several names (one host and two plugins to build in
all), a good generator and one that takes a second, so there is time to kill in between.
`nox -s stress` runs more cells and more random kill points (PLUGIN_MATRIX_STRESS=1).
"""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from matrix.core import grid as gridmod
from matrix.core import records
from tests.hostile.harness import cli_env, count, processes_with, run_cli, start_cli, wait_for, write_grid

# cells: 2 plugins under COPIES names each (one build per plugin: the copies share its module)
COPIES = count("PLUGIN_MATRIX_STRESS_TOOLCHAINS", 3, 5) ** 2
RANDOM_KILLS = count("PLUGIN_MATRIX_STRESS_KILLS", 1, 10)
CELL_GLOB = "plugin-matrix-cell-*"


@dataclass
class Grid:
    root: Path
    data: Path
    cache: Path
    tmpdir: Path
    cells: list[str]
    env: dict[str, str]
    kept: dict[str, bytes] = field(default_factory=dict)  # records seen so far, as written
    kills: list[str] = field(default_factory=list)
    runs: int = 0

    def args(self) -> list[str]:
        return ["run", "--data", str(self.data), "--profile", "interrupt", "--load-timeout", "60"]

    def recorded(self) -> dict[str, bytes]:
        return {p.stem: p.read_bytes() for p in records.cells_dir(self.data).glob("c*.json")}

    def start(self) -> tuple[subprocess.Popen[bytes], Path]:
        self.runs += 1
        return start_cli(self.args(), self.env, self.root / f"run{self.runs}.log")

    def check(self, after: str) -> dict[str, bytes]:
        """Nothing lost, nothing duplicated, nothing half-written; returns the records."""
        now = self.recorded()
        for cell, text in self.kept.items():
            assert now.get(cell) == text, f"after {after}: record {cell} lost or rewritten"
        for name in (
            sorted(p.name for p in records.cells_dir(self.data).iterdir())
            if records.cells_dir(self.data).is_dir()
            else []
        ):
            # Only records, or the temporary file of a write that was killed mid-way.
            assert name.endswith(".json") or (name.startswith(".") and name.endswith(".tmp")), name
        for cell, text in now.items():
            rec = json.loads(text)  # whole JSON ...
            records.check(rec, cell)  # ... and schema-valid
            assert rec["cell"] == cell
            assert cell in self.cells
        self.kept.update(now)
        return now


def kill(p: subprocess.Popen[bytes], sig: signal.Signals, g: Grid, where: str) -> int:
    p.send_signal(sig)
    rc = p.wait(timeout=120)
    g.kills.append(f"{sig.name} {where}")
    return rc


def no_orphans(g: Grid) -> None:
    """Whatever the killed run had started (go build, bwrap, kustomize) died with it."""
    wait_for(
        lambda: not processes_with(str(g.cache)) and not processes_with(str(g.tmpdir)),
        30,
        "the killed run's children to die",
    )


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Grid:
    root = tmp_path_factory.mktemp("interrupt")
    data, cache, tmpdir = root / "data", root / "cache", root / "tmp"
    same = {f"{p}{i}": p for p in ("slow", "generator") for i in range(1, COPIES)}
    path = write_grid(data, {"interrupt": ["slow", "generator", *same]}, same_module=same)
    cells = [c.id for c in gridmod.load(path).cells("interrupt")]
    return Grid(root, data, cache, tmpdir, cells, cli_env(cache, tmpdir))


def interrupted(rc: int, log: Path) -> None:
    err = log.read_text()
    assert rc == 130, err[-3000:]
    assert "interrupted; everything recorded so far is kept" in err
    assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.stress
def test_killed_runs_lose_nothing_and_the_rerun_finishes(grid: Grid) -> None:
    g = grid
    # 1. SIGKILL while the host builds: the `go build` dies with the run.
    p, log = g.start()
    wait_for(lambda: "building host" in log.read_text(), 300, "the host build", p, log)
    time.sleep(1.0)
    kill(p, signal.SIGKILL, g, "during the host build")
    no_orphans(g)
    assert g.check("SIGKILL during the host build") == {}

    # 2. SIGINT while a plugin builds: a clean exit, and the build's work dir is removed.
    p, log = g.start()
    wait_for(lambda: "building plugin" in log.read_text(), 600, "a plugin build", p, log)
    time.sleep(0.5)
    interrupted(kill(p, signal.SIGINT, g, "during a plugin build"), log)
    assert not any((g.cache / "work").iterdir())
    no_orphans(g)
    g.check("SIGINT during a plugin build")

    # 3. SIGKILL once two records exist; 4. SIGINT two records later; 5. SIGTERM likewise.
    for sig in (signal.SIGKILL, signal.SIGINT, signal.SIGTERM):
        n = len(g.recorded()) + 2
        p, log = g.start()
        wait_for(lambda n=n: len(g.recorded()) >= n, 600, f"{n} records", p, log)
        rc = kill(p, sig, g, f"after {n} records")
        if sig != signal.SIGKILL:
            interrupted(rc, log)
        no_orphans(g)
        assert len(g.check(f"{sig.name} after {n} records")) >= n

    # 6. SIGKILL in the middle of a load: its cell directory stays behind, for now.
    p, log = g.start()
    wait_for(lambda: any(g.tmpdir.glob(CELL_GLOB)), 600, "a load", p, log)
    kill(p, signal.SIGKILL, g, "during a load")
    no_orphans(g)
    assert any(g.tmpdir.glob(CELL_GLOB))
    g.check("SIGKILL during a load")

    # 7. Random points (more of them in `nox -s stress`).
    rnd = random.Random(8)
    for i in range(RANDOM_KILLS):
        if len(g.recorded()) >= len(g.cells) - 1:
            break
        p, log = g.start()
        wait_for(lambda log=log: re.search(r"\[\d+/\d+\]", log.read_text()), 300, "the run", p, log)
        time.sleep(rnd.uniform(0.2, 3.0))
        sig = rnd.choice([signal.SIGKILL, signal.SIGINT])
        if p.poll() is None:
            kill(p, sig, g, f"at random #{i}")
        no_orphans(g)
        g.check(f"{sig.name} at random #{i}")

    # What a SIGKILL in the middle of write_atomic leaves: a half-written temporary file.
    missing = [c for c in g.cells if c not in g.recorded()]
    assert missing, "every cell got recorded before the last run: use more cells"
    half = records.cells_dir(g.data) / f".{missing[0]}.json.x1y2z3.tmp"
    half.write_text('{"format": 1, "cell": "' + missing[0] + '", "inp')

    before = g.recorded()
    r = run_cli(g.args(), g.env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"{len(g.cells) - len(before)} measured now, {len(before)} already recorded" in r.stderr
    final = g.check("the last run")
    assert sorted(final) == sorted(g.cells)
    assert sorted(p.name for p in records.cells_dir(g.data).iterdir()) == sorted(f"{c}.json" for c in g.cells)
    assert not list(g.tmpdir.glob(CELL_GLOB))  # the killed load's cell directory is gone
    assert not any((g.cache / "work").iterdir())
    assert len(records.load_all(g.data)) == len(g.cells)
    assert {json.loads(t)["outcome"] for t in final.values()} == {"loads"}
    print(f"{len(g.kills)} kills: {g.kills}; {len(g.cells)} records checked after each")

"""The real smoke grid: the machine's Go, one kustomize release, one plugin, built, loaded, recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matrix.cli import main
from matrix.core import records
from matrix.measure import runner


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, runner.Summary]:
    from tests.conftest import GRID

    root = tmp_path_factory.mktemp("smoke")
    data, cache = root / "data", root / "cache"
    data.mkdir()
    (data / "grid.toml").write_text(GRID.read_text())
    s = runner.run(data / "grid.toml", data, "smoke", cache_dir=cache)
    return data, cache, s


@pytest.mark.slow
def test_smoke_grid_builds_loads_and_records(smoke: tuple[Path, Path, runner.Summary]) -> None:
    data, _, s = smoke
    assert s.cells == 1
    assert s.measured == 1
    assert s.go_builds == 2 == s.artifacts_built  # one host, one plugin, each built once
    (rec,) = records.load_all(data)
    assert rec["outcome"] == "loads", rec["load"]
    assert rec["load"]["seen"]
    assert f"nonce: {rec['cell']}" in rec["load"]["stdout"]
    assert rec["host"]["build"]["sha256"]
    assert rec["plugin"]["build"]["sha256"]
    assert rec["host"]["toolchain"]["version"].startswith("go version go1.")
    assert rec["host"]["api"] == "v0.21.2"
    assert rec["runner"]["native"] is True
    assert rec["runner"]["emulator"] is None


@pytest.mark.slow
def test_rerun_builds_nothing_and_changes_nothing(smoke: tuple[Path, Path, runner.Summary]) -> None:
    data, cache, _ = smoke
    before = {p.name: p.read_bytes() for p in records.cells_dir(data).iterdir()}
    s = runner.run(data / "grid.toml", data, "smoke", cache_dir=cache)
    assert (s.go_builds, s.measured, s.reused) == (0, 0, 1)
    assert before == {p.name: p.read_bytes() for p in records.cells_dir(data).iterdir()}


@pytest.mark.slow
def test_remeasure_loads_the_cell_again_without_building(smoke: tuple[Path, Path, runner.Summary]) -> None:
    data, cache, _ = smoke
    (rec,) = records.load_all(data)
    s = runner.run(data / "grid.toml", data, "smoke", cache_dir=cache, remeasure=[rec["cell"]])
    assert (s.go_builds, s.measured, s.reused) == (0, 1, 0)
    (again,) = records.load_all(data)
    assert again["outcome"] == rec["outcome"]
    assert again["load"]["stdout"] == rec["load"]["stdout"]  # the same files, loaded once more
    assert len(again["observations"]) >= len(rec["observations"])  # nothing recorded is lost


def test_remeasure_of_an_unknown_cell_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import GRID

    assert (
        main(
            ["run", "--grid", str(GRID), "--data", str(tmp_path), "--profile", "smoke", "--remeasure", "nope"]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "--remeasure: no cell nope in profile 'smoke'" in err
    assert not (tmp_path / "cells").exists()


@pytest.mark.slow
def test_bad_input_is_one_clear_line_and_keeps_records(
    smoke: tuple[Path, Path, runner.Summary], capsys: pytest.CaptureFixture[str]
) -> None:
    data, cache, _ = smoke
    before = {p.name: p.read_bytes() for p in records.cells_dir(data).iterdir()}
    assert (
        main(
            ["run", "--data", str(data), "--profile", "smoke", "--kustomize", "v9.9.9", "--cache", str(cache)]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "unknown kustomize version 'v9.9.9'" in err
    assert "Traceback" not in err
    grid = data / "grid.toml"
    good = grid.read_text()
    grid.write_text(good.replace('module = "sigs', 'modul = "sigs', 1))
    try:
        assert main(["run", "--data", str(data), "--profile", "smoke", "--cache", str(cache)]) == 2
        err = capsys.readouterr().err
        assert "releases.v4.5.7" in err
        assert "modul" in err
        assert "Traceback" not in err
    finally:
        grid.write_text(good)
    assert before == {p.name: p.read_bytes() for p in records.cells_dir(data).iterdir()}


@pytest.mark.slow
def test_missing_toolchain_gives_skipped_cells_with_install_command(tmp_path: Path) -> None:
    from tests.conftest import GRID

    data = tmp_path / "data"
    data.mkdir()
    good = 'distro = "/usr/lib/go-1.19/bin/go"'
    assert good in GRID.read_text()  # the test means that line: fail loudly when it changes
    text = GRID.read_text().replace(good, 'distro = "/nonexistent/go-1.19/bin/go"')
    (data / "grid.toml").write_text(text)
    s = runner.run(
        data / "grid.toml",
        data,
        "default",
        releases=["v4.5.7"],
        only_toolchains=["go1.19.8"],
        cache_dir=tmp_path / "cache",
    )
    recs = records.load_all(data)
    assert s.go_builds == 0
    assert recs
    assert len(recs) == s.cells
    for r in recs:
        assert r["outcome"] == "skipped", r["outcome"]
        assert "/nonexistent/go-1.19/bin/go is not installed" in r["reason"]
        assert "apt-get install -y golang-1.19" in r["reason"]
        assert r["load"] is None


def test_records_are_deterministic_json(tmp_path: Path) -> None:
    from matrix.core import jsonio

    p = tmp_path / "x.json"
    jsonio.write_atomic(p, jsonio.dumps({"b": 1, "a": [3, 1]}))
    assert p.read_text() == '{\n  "a": [\n    3,\n    1\n  ],\n  "b": 1\n}\n'
    assert json.loads(p.read_text()) == {"a": [3, 1], "b": 1}
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.slow
def test_two_runs_sharing_a_cache_build_each_artifact_once(tmp_path: Path) -> None:
    """Different data directories, one artifact cache, at the same time: one build per key."""
    import re
    import subprocess
    import sys

    from tests.conftest import GRID

    procs = []
    for name in ("a", "b"):
        data = tmp_path / name
        data.mkdir()
        (data / "grid.toml").write_text(GRID.read_text())
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "matrix",
                    "run",
                    "--data",
                    str(data),
                    "--profile",
                    "smoke",
                    "--cache",
                    str(tmp_path / "cache"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outs = [p.communicate(timeout=900)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    builds = [int(re.search(r"go build invocations: (\d+)", o).group(1)) for o in outs]  # type: ignore[union-attr]
    assert sum(builds) == 2, outs  # the host and the plugin, each once
    for name in ("a", "b"):
        assert [r["outcome"] for r in records.load_all(tmp_path / name)] == ["loads"]


def test_go_cache_settings_reach_the_go_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """GOCACHE/GOMODCACHE set by the caller are used (the cold benchmark depends on it)."""
    from matrix.measure import proc, toolchains

    monkeypatch.setenv("GOCACHE", str(tmp_path / "gocache"))
    assert proc.base_env()["GOCACHE"] == str(tmp_path / "gocache")
    toolchains.shared_caches.cache_clear()
    try:
        assert toolchains.shared_caches()["GOCACHE"] == str(tmp_path / "gocache")
    finally:
        toolchains.shared_caches.cache_clear()


def test_a_bug_is_one_line_with_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from matrix.cli import validate as cli_validate

    def boom(_args: object) -> int:
        raise KeyError("surprise")

    monkeypatch.setattr(cli_validate, "run", boom)
    assert main(["validate"]) == 3
    err = capsys.readouterr().err
    assert "internal error" in err
    assert "KeyError" in err
    assert "Traceback" not in err

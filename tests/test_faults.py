"""Faults from outside: bad data, missing pieces, two runs at once. Each ends in one clear
line naming the file (and line or field) or the step, exit status 2 and no traceback, or
in a record that says what happened; records already made are kept.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from matrix import UserError
from matrix.core import grid as gridmod
from matrix.core import records
from matrix.measure import build
from tests.hostile.harness import GONE, HOSTILE, cli_env, run_cli, start_cli, wait_for, write_grid


def shared_cache(factory: pytest.TempPathFactory) -> Path:
    return factory.getbasetemp() / "artifact-cache"


def clean_error(r: subprocess.CompletedProcess[str], *parts: str) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr[-3000:])
    assert "Traceback" not in r.stderr, r.stderr
    err = " ".join(r.stderr.split())  # rich may wrap a long line
    for p in parts:
        assert p in err, (p, r.stderr)
    return err


# ---------------------------------------------------------------------- bad data
@pytest.fixture
def skipped(tmp_path: Path) -> tuple[Path, dict[str, str], str]:
    """A data directory with one real (skipped) record, made in a second without Go."""
    data = tmp_path / "data"
    grid = write_grid(data, {"one": ["generator"]}, toolchains=[GONE])
    env = cli_env(tmp_path / "cache", tmp_path / "tmp")
    r = run_cli(["run", "--data", str(data), "--profile", "one"], env)
    assert r.returncode == 0, r.stderr
    (cell,) = [c.id for c in gridmod.load(grid).cells("one")]
    return data, env, cell


def both(data: Path, env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    return [
        run_cli(["run", "--data", str(data), "--profile", "one"], env),
        run_cli(["validate", "--data", str(data)], env),
    ]


def test_a_corrupt_record_names_file_line_and_reason(skipped: tuple[Path, dict[str, str], str]) -> None:
    data, env, cell = skipped
    cache = Path(env["PLUGIN_MATRIX_CACHE"])  # the artifact cache the runs really use
    before = _snapshot(cache)
    path = records.path_for(data, cell)
    good = path.read_text()
    path.write_text(good[: len(good) // 2])  # half a record, as a non-atomic writer would leave
    line = good[: len(good) // 2].count("\n") + 1
    for r in both(data, env):
        clean_error(r, f"{path}:{line}:", "not valid JSON")
    path.write_bytes(good.encode().replace(b'"format"', b'"\xff\xfeformat"'))
    for r in both(data, env):
        clean_error(r, f"{path}: byte ", "not UTF-8 text")
    # a damaged record stops the run before anything is built or cached (PLUGIN_MATRIX_CACHE)
    assert _snapshot(cache) == before
    assert not list(cache.glob("artifacts/*/build.json"))


def _snapshot(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def test_a_schema_invalid_record_names_file_field_and_reason(
    skipped: tuple[Path, dict[str, str], str],
) -> None:
    data, env, cell = skipped
    path = records.path_for(data, cell)
    rec = json.loads(path.read_text())
    rec["outcome"] = "maybe"
    rec["host"]["build"]["duration_s"] = -1
    path.write_text(json.dumps(rec))
    for r in both(data, env):
        clean_error(
            r,
            f"{path}: outcome: 'maybe' is not one of",
            f"{path}: host.build.duration_s: -1 is less than the minimum of 0",
        )
    rec["outcome"], rec["host"]["build"]["duration_s"] = "skipped", 0
    other = records.cells_dir(data) / "c000000000000.json"
    other.write_text(json.dumps(rec))  # a good record under another cell's name
    path.unlink()
    r = run_cli(["validate", "--data", str(data)], env)
    clean_error(r, f"{other}: cell: the record is for {cell!r}, but the file is named for 'c000000000000'")


def test_a_broken_grid_names_file_line_or_field(skipped: tuple[Path, dict[str, str], str]) -> None:
    data, env, _ = skipped
    grid = data / "grid.toml"
    good = grid.read_text()
    grid.write_text(good.replace('[releases."v5.8.2"]', '[releases."v5.8.2"', 1))
    line = good.split('[releases."v5.8.2"]')[0].count("\n") + 1
    for r in both(data, env):
        clean_error(r, f"{grid}: not valid TOML", f"line {line}")
    grid.write_text(good.replace('api = "v0.21.2"', "api = 21", 1))
    for r in both(data, env):
        clean_error(r, f"{grid}: releases.v5.8.2.api: 21 is not of type 'string'")
    grid.write_bytes(good.encode().replace(b"schema = 1", b"schema = 1 # \xff"))
    for r in both(data, env):
        clean_error(r, f"{grid}: byte ", "not UTF-8 text")


def test_the_dataset_reads_records_through_the_same_checks(skipped: tuple[Path, dict[str, str], str]) -> None:
    dataset = pytest.importorskip("matrix.dataset.frame")
    data, _, cell = skipped
    assert len(dataset.load(data)) == 1
    path = records.path_for(data, cell)
    path.write_text(path.read_text()[:50])
    with pytest.raises(UserError, match=rf"^{path}:\d+:\d+: not valid JSON"):
        dataset.load(data)


def test_a_record_write_that_fails_is_one_clear_line(tmp_path: Path) -> None:
    from matrix.core import jsonio

    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "cells").write_text("a file where a directory should be")
    with pytest.raises(UserError, match=r"cells/c1\.json: cannot write: "):
        jsonio.write_atomic(ro / "cells" / "c1.json", "{}")


# ---------------------------------------------------------------------- missing pieces
def test_no_go_at_all_gives_skipped_cells_naming_the_toolchain(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_grid(data, {"one": ["generator"]})
    env = cli_env(tmp_path / "cache", tmp_path / "tmp", PATH="/usr/bin:/bin")
    if shutil.which("go", path=env["PATH"]):
        pytest.skip("not applicable here: go is in /usr/bin")
    r = run_cli(["run", "--data", str(data), "--profile", "one"], env)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    said = " ".join(r.stderr.split())
    assert "Go go1.26.8 is not available here (path: toolchain 'go1.26.8': go is not installed" in said
    (rec,) = records.load_all(data)
    assert rec["outcome"] == "skipped"
    assert rec["reason"].startswith(
        "host: Go go1.26.8 is not available here (path: toolchain 'go1.26.8': go is not"
    )


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The shared artifact cache with the host and the good generator built."""
    cache = shared_cache(tmp_path_factory)
    root = tmp_path_factory.mktemp("warm")
    data = root / "data"
    write_grid(data, {"one": ["generator"]})
    r = run_cli(["run", "--data", str(data), "--profile", "one"], cli_env(cache, root / "tmp"))
    assert r.returncode == 0, r.stderr[-3000:]
    (rec,) = records.load_all(data)
    assert rec["outcome"] == "loads"
    return cache, data


def fresh_plugin(where: Path, name: str) -> Path:
    """The good generator's source in a new place: a plugin the cache has never built."""
    src = where / name
    shutil.copytree(HOSTILE.parent.parent / "matrix" / "plugins" / "generator", src)
    return src


@pytest.mark.slow
def test_an_unreachable_module_proxy_fails_the_build_and_is_retried(
    warm: tuple[Path, Path], tmp_path: Path
) -> None:
    cache, warm_data = warm
    data = tmp_path / "data"
    extra = {"fresh": fresh_plugin(tmp_path, "fresh")}
    write_grid(data, {"two": ["generator", "fresh"]}, extra_plugins=extra)
    shutil.copytree(records.cells_dir(warm_data), records.cells_dir(data))  # already recorded
    kept = {p.name: p.read_bytes() for p in records.cells_dir(data).iterdir()}
    home = tmp_path / "home"  # a fresh GOPATH: an empty module cache
    home.mkdir()
    for proxy, says in (
        ("http://127.0.0.1:9", "connection refused"),
        ("off", "module lookup disabled by GOPROXY=off"),
    ):
        env = cli_env(cache, tmp_path / "tmp", HOME=str(home), GOPROXY=proxy, GOFLAGS="-mod=mod")
        for attempt in (1, 2):  # the failure is not kept: the second run tries again
            r = run_cli(["run", "--data", str(data), "--profile", "two"], env)
            assert r.returncode == 0, r.stderr[-3000:]
            assert "Traceback" not in r.stderr, r.stderr[-3000:]
            assert "1 measured now, 1 already recorded" in r.stderr, (proxy, attempt, r.stderr)
            assert "go build invocations: 1" in r.stderr
            recs = {rec["plugin"]["name"]: rec for rec in records.load_all(data)}
            rec = recs["fresh"]
            assert rec["outcome"] == "build-failed"
            assert "not cached, the next run tries again" in rec["reason"]
            assert "`go build`" in rec["reason"], rec["reason"]
            assert says in rec["reason"], rec["reason"]
            assert build.transient(rec)
            for name, text in kept.items():
                assert (records.cells_dir(data) / name).read_bytes() == text
    # No failed build was stored in the cache: with the network back, it builds and loads.
    built = [json.loads(p.read_text()) for p in cache.glob("artifacts/plugin-*/build.json")]
    assert all(b["status"] == "ok" for b in built)
    r = run_cli(["run", "--data", str(data), "--profile", "two"], cli_env(cache, tmp_path / "tmp"))
    assert r.returncode == 0, r.stderr[-3000:]
    assert {rec["plugin"]["name"]: rec["outcome"] for rec in records.load_all(data)} == {
        "generator": "loads",
        "fresh": "loads",
    }


def _can_mount_tmpfs(tmp: Path) -> str | None:
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    tmp.mkdir(exist_ok=True)
    r = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {tmp}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return None if r.returncode == 0 else f"cannot mount a tmpfs here: {r.stderr.strip()}"


@pytest.mark.slow
def test_a_full_disk_during_a_build_is_named_and_not_cached(warm: tuple[Path, Path], tmp_path: Path) -> None:
    why = _can_mount_tmpfs(tmp_path / "probe")
    if why:
        pytest.skip(why)
    cache, warm_data = warm
    data = tmp_path / "data"
    extra = {"roomy": fresh_plugin(tmp_path, "roomy")}
    write_grid(data, {"two": ["generator", "roomy"]}, extra_plugins=extra)
    shutil.copytree(records.cells_dir(warm_data), records.cells_dir(data))
    kept = {p.name: p.read_bytes() for p in records.cells_dir(data).iterdir()}
    work = cache / "work"
    work.mkdir(exist_ok=True)
    env = cli_env(cache, tmp_path / "tmp")
    # The build directory on a 4 MiB disk, in a mount namespace of this command only.
    script = f'mount -t tmpfs -o size=4m tmpfs "{work}" && exec "$@"'
    r = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", *run_args(data, "two")],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    recs = {rec["plugin"]["name"]: rec for rec in records.load_all(data)}
    rec = recs["roomy"]
    assert rec["outcome"] == "build-failed", rec["outcome"]
    assert "no space left on device" in rec["reason"].lower()
    assert "`go build`" in rec["reason"]
    assert build.transient(rec)
    for name, text in kept.items():
        assert (records.cells_dir(data) / name).read_bytes() == text
    assert not [
        p for p in cache.glob("artifacts/plugin-*/build.json") if json.loads(p.read_text())["status"] != "ok"
    ]


def run_args(data: Path, profile: str) -> list[str]:
    import sys

    return [sys.executable, "-m", "matrix", "run", "--data", str(data), "--profile", profile]


def test_a_full_disk_for_records_stops_with_one_line_and_keeps_the_rest(tmp_path: Path) -> None:
    why = _can_mount_tmpfs(tmp_path / "probe")
    if why:
        pytest.skip(why)
    data = tmp_path / "data"
    grid = write_grid(data, {"one": ["generator"], "two": ["generator", "snoop"]}, toolchains=[GONE])
    grid.write_text(grid.read_text().replace('go = "go"', 'go = "/nonexistent/bin/go"'))
    env = cli_env(tmp_path / "cache", tmp_path / "tmp")
    assert run_cli(["run", "--data", str(data), "--profile", "one"], env).returncode == 0
    saved = tmp_path / "saved"
    shutil.copytree(records.cells_dir(data), saved)
    cells = records.cells_dir(data)
    script = (
        f'mount -t tmpfs -o size=64k tmpfs "{cells}" && cp "{saved}"/*.json "{cells}"/ && '
        f'(head -c 1M /dev/zero > "{cells}/.filler" 2>/dev/null; true) && "$@"; '
        f'echo "rc=$?"; cd "{cells}" && sha256sum c*.json && ls -a'
    )
    r = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", *run_args(data, "two")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "rc=2" in r.stdout, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert "cannot write: No space left on device" in r.stderr
    assert str(cells) in r.stderr
    for p in saved.iterdir():  # the records made before are all there, unchanged
        import hashlib

        assert f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}" in r.stdout
    assert ".tmp" not in r.stdout  # no half-written record left behind


# ---------------------------------------------------------------------- two runs at once
@pytest.mark.slow
def test_a_second_run_waits_or_refuses_and_records_never_interleave(
    warm: tuple[Path, Path], tmp_path: Path
) -> None:
    cache, _ = warm
    data = tmp_path / "data"
    # three names for the same plugin (one module): three cells, one host, one plugin build
    grid = write_grid(
        data, {"slow": ["slow", "slow2", "slow3"]}, same_module={"slow2": "slow", "slow3": "slow"}
    )
    cells = [c.id for c in gridmod.load(grid).cells("slow")]
    env = cli_env(cache, tmp_path / "tmp")
    args = ["run", "--data", str(data), "--profile", "slow"]
    a, alog = start_cli(args, env, tmp_path / "a.log")
    try:
        wait_for(lambda: "[" in alog.read_text(), 900, "the first run to start", a, alog)
        refused = run_cli([*args, "--no-wait"], env, timeout=120)
        clean_error(
            refused,
            f"{data}: another plugin-matrix run holds {data / '.matrix.lock'}",
            "try again when it ends",
        )
        b, blog = start_cli(args, env, tmp_path / "b.log")
        wait_for(
            lambda: "waiting for another plugin-matrix run to finish" in blog.read_text(),
            60,
            "the second run to wait",
            b,
            blog,
        )
        assert a.wait(timeout=900) == 0, alog.read_text()[-3000:]
        a_done = time.time()
        written = {p.name: (p.stat().st_mtime, p.read_bytes()) for p in records.cells_dir(data).iterdir()}
        assert b.wait(timeout=300) == 0, blog.read_text()[-3000:]
    finally:
        for p in (a, locals().get("b")):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
    assert sorted(written) == sorted(f"{c}.json" for c in cells)
    assert f"0 measured now, {len(cells)} already recorded" in blog.read_text()
    assert f"{len(cells)} measured now, 0 already recorded" in alog.read_text()
    # The second run rewrote nothing: every record is the first run's, whole.
    assert {p.name: (p.stat().st_mtime, p.read_bytes()) for p in records.cells_dir(data).iterdir()} == written
    assert all(p.stat().st_mtime <= a_done for p in records.cells_dir(data).iterdir())
    assert len(records.load_all(data)) == len(cells)

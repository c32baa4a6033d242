"""Hostile plugins through the real runner, in a grid of their own (never data/grid.toml):
each is recorded for what it did, output stays bounded, the grid goes on, and nothing
outside the cell's throw-away directory changes; no secret of the caller reaches a record.

The loads run in the bubblewrap sandbox (matrix.measure.sandbox); the last test turns it off to show
what the hostile plugins do without it, and that the records say so.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from matrix import UserError
from matrix.core import records
from matrix.measure import load, proc, sandbox
from tests.hostile.harness import cli_env, count, processes_with, run_cli, tree, wait_for, write_grid

HOSTILE = ["panicinit", "hang", "segv", "sigsegv", "escape", "noisy", "snoop"]
TIMEOUT = 5
# The caller's secrets: two under names that say so, one under a name that does not.
SECRETS = {
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
    "GITHUB_TOKEN": "ghp_hostileTestToken0123456789abcdefXYZ",
    "DEPLOY_NOTE": "plainly-named-but-secret-4b1d9e",
}
OUTSIDE = [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")]


@dataclass
class Run:
    root: Path
    data: Path
    cache: Path
    tmpdir: Path
    log: str
    recs: dict[str, dict[str, Any]]


def shared_cache(factory: pytest.TempPathFactory) -> Path:
    """One artifact cache for the whole session: each host and plugin is built once."""
    return factory.getbasetemp() / "artifact-cache"


def escaped_files(*roots: Path) -> list[Path]:
    """What the escape plugin wrote: anywhere under the test's own trees, and directly in
    the machine's shared directories (OUTSIDE)."""
    found: set[Path] = set()
    for r in roots:
        if r.is_dir():
            found |= set(r.glob("hostile-escape-*") if r in OUTSIDE else r.rglob("hostile-escape-*"))
    return sorted(found)


def _run(root: Path, cache: Path, name: str, profile: str, **env: str) -> Run:
    data, tmpdir = root / name, root / f"{name}-tmp"
    write_grid(data, {"hostile": HOSTILE, "fallback": ["snoop", "escape"]})
    tmpdir.mkdir()
    (tmpdir / "hostile-canary").write_text("must survive\n")
    r = run_cli(
        ["run", "--data", str(data), "--profile", profile, "--load-timeout", str(TIMEOUT)],
        cli_env(cache, tmpdir, **SECRETS, **env),
    )
    assert r.returncode == 0, r.stderr[-4000:]
    assert "Traceback" not in r.stderr
    return Run(
        root, data, cache, tmpdir, r.stderr, {rec["plugin"]["name"]: rec for rec in records.load_all(data)}
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root = tmp_path_factory.mktemp("hostile")
    before = {d: set(os.listdir(d)) for d in OUTSIDE if d.is_dir()}
    try:
        yield _run(root, shared_cache(tmp_path_factory), "data", "hostile")
    finally:
        for d in OUTSIDE:  # never leave anything behind, even when a test failed
            for p in escaped_files(d):
                if p.name not in before.get(d, set()):
                    p.unlink(missing_ok=True)


def stderr(rec: dict[str, Any]) -> str:
    return str(rec["load"]["stderr"])


def sandboxed() -> bool:
    return sandbox.sandbox().kind == "bwrap"


@pytest.mark.slow
def test_every_hostile_cell_is_recorded_and_the_grid_goes_on(hostile: Run) -> None:
    assert sorted(hostile.recs) == sorted(HOSTILE)
    # Each cell was measured after the one before it crashed or hung, in one run.
    assert len(re.findall(r"\] c[0-9a-f]{12}: (?:loads|fails)", hostile.log)) == len(HOSTILE)
    for rec in hostile.recs.values():
        records.check(rec, rec["cell"])
        assert rec["runner"]["sandbox"]["kind"] == sandbox.sandbox().kind
        assert not rec["load"]["seen"] or rec["outcome"] == "loads"


@pytest.mark.slow
def test_panic_in_init_is_a_runtime_crash(hostile: Run) -> None:
    rec = hostile.recs["panicinit"]
    ld = rec["load"]
    assert (rec["outcome"], ld["exit_code"], ld["signal"], ld["timed_out"]) == ("fails", 2, None, False)
    assert "panic: hostile plugin: panic in init" in ld["stderr"]
    assert rec["class"] == "runtime-crash"


@pytest.mark.slow
def test_a_hang_is_killed_at_the_timeout_with_everything_it_started(hostile: Run) -> None:
    rec = hostile.recs["hang"]
    ld = rec["load"]
    assert (rec["outcome"], ld["exit_code"], ld["signal"], ld["timed_out"]) == ("fails", None, None, True)
    assert TIMEOUT <= ld["duration_s"] < TIMEOUT + 10
    assert ld["stderr"].endswith(f"[plugin-matrix: killed after {TIMEOUT} s]")
    assert rec["class"] == "timeout"
    # It ignored SIGTERM and left a `sleep 3141` in its own session: all gone. (Another run
    # of these tests at the same time has its own for at most TIMEOUT seconds: wait that out.)
    wait_for(lambda: processes_with("sleep 3141") == [], TIMEOUT + 30, "no `sleep 3141` left")


@pytest.mark.slow
def test_a_segfault_in_cgo_is_a_runtime_crash(hostile: Run) -> None:
    rec = hostile.recs["segv"]  # Go's handler turns the fault into a fatal error
    ld = rec["load"]
    assert (rec["outcome"], ld["exit_code"], ld["signal"], ld["timed_out"]) == ("fails", 2, None, False)
    assert "SIGSEGV: segmentation violation" in ld["stderr"]
    assert rec["class"] == "runtime-crash"
    rec = hostile.recs["sigsegv"]  # C took the signal back: the process dies of it
    ld = rec["load"]
    assert (rec["outcome"], ld["exit_code"], ld["signal"], ld["timed_out"]) == ("fails", None, 11, False)
    assert rec["class"] == "runtime-crash"


@pytest.mark.slow
def test_output_stays_bounded_and_truncation_is_marked(hostile: Run) -> None:
    limit = proc.KEEP_HEAD + proc.KEEP_TAIL + 100
    rec = hostile.recs["noisy"]
    ld = rec["load"]
    assert rec["outcome"] == "loads"
    assert ld["seen"]
    assert ld["truncated"]
    for stream in ("stdout", "stderr"):
        text = ld[stream]
        assert len(text) <= limit
        cut = re.search(r"\[\.\.\. (\d+) bytes truncated by plugin-matrix \.\.\.\]", text)
        assert cut, text[:200]
        assert int(cut.group(1)) >= 8_000_000, text[:200]
    hang = hostile.recs["hang"]["load"]  # flooded stderr for five seconds
    assert hang["truncated"]
    assert len(hang["stderr"]) <= limit + 100
    for p in records.cells_dir(hostile.data).iterdir():
        assert p.stat().st_size < 100_000, p


@pytest.mark.slow
def test_writes_outside_the_cell_fail(hostile: Run) -> None:
    if not sandboxed():
        pytest.skip(f"loads are not sandboxed here: {sandbox.sandbox().reason}")
    rec = hostile.recs["escape"]
    assert rec["outcome"] == "loads"  # it ran: its ConfigMap is in kustomize's output
    tries = [ln for ln in stderr(rec).splitlines() if ln.startswith("ESCAPE ")]
    assert len(tries) == 6, tries
    for t in tries:
        assert t.endswith(("permission denied", "read-only file system", "no such file or directory")), t
    assert (hostile.tmpdir / "hostile-canary").read_text() == "must survive\n"
    assert escaped_files(hostile.root, hostile.cache, *OUTSIDE) == []


@pytest.mark.slow
def test_loads_change_nothing_outside_their_cell(hostile: Run) -> None:
    """All hostile loads again (artifacts cached: no build) on a fresh data directory:
    every file of the test's tree and the artifact cache is as it was."""
    if not sandboxed():
        pytest.skip(f"loads are not sandboxed here: {sandbox.sandbox().reason}")
    data2 = hostile.root / "again"
    skip = [data2, hostile.root / "again-tmp"]
    before = {**tree(hostile.root, skip), **tree(hostile.cache)}
    listing = {d: sorted(os.listdir(d)) for d in OUTSIDE if d.is_dir()}
    again = _run(hostile.root, hostile.cache, "again", "hostile")
    assert "building" not in again.log
    assert sorted(again.recs) == sorted(HOSTILE)
    assert {**tree(hostile.root, skip), **tree(hostile.cache)} == before
    assert sorted(os.listdir(again.tmpdir)) == ["hostile-canary"]  # cell dirs removed too
    for d, names in listing.items():
        assert [n for n in os.listdir(d) if n.startswith("hostile-")] == [
            n for n in names if n.startswith("hostile-")
        ]


@pytest.mark.slow
def test_secrets_of_the_caller_never_reach_a_record(hostile: Run) -> None:
    rec = hostile.recs["snoop"]
    env_lines = [ln for ln in stderr(rec).splitlines() if ln.startswith("SNOOP env ")]
    assert {ln.split()[2].split("=")[0] for ln in env_lines} <= {
        "PATH",
        "LANG",
        "HOME",
        "KUSTOMIZE_PLUGIN_HOME",
        "XDG_CONFIG_HOME",
        "TMPDIR",
        "PWD",
    }
    if sandboxed():  # its own pid namespace: the run that started it is not there to read
        pids = int(re.search(r"SNOOP pids (\d+)", stderr(rec)).group(1))  # type: ignore[union-attr]
        assert pids <= 4
        assert "SNOOP read /etc/shadow: 0 bytes" in stderr(rec)
    for p in hostile.data.rglob("*"):
        if p.is_file():
            text = p.read_text(errors="replace")
            for name, value in SECRETS.items():
                assert value not in text, f"{name} leaked into {p}"


@pytest.mark.slow
def test_without_the_sandbox_the_record_says_so(hostile: Run) -> None:
    """PLUGIN_MATRIX_SANDBOX=none: what the sandbox is there for. The escape plugin's
    writes now land outside (cleaned up here), the snoop plugin reads the run's own
    environment from /proc: secrets named as such are still redacted in the record."""
    cellnames = set(os.listdir(OUTSIDE[0]))
    try:
        bare = _run(hostile.root, hostile.cache, "bare", "fallback", PLUGIN_MATRIX_SANDBOX="none")
        assert sorted(bare.recs) == ["escape", "snoop"]
        for rec in bare.recs.values():
            assert rec["runner"]["sandbox"] == {
                "kind": "none",
                "version": None,
                "reason": "disabled by PLUGIN_MATRIX_SANDBOX=none",
            }
        cell = bare.recs["escape"]["cell"]
        assert (Path("/tmp") / f"hostile-escape-{cell}").is_file()  # really hostile
        assert not (bare.tmpdir / "hostile-canary").exists()
        snoop = stderr(bare.recs["snoop"])
        assert "[AWS_SECRET_ACCESS_KEY redacted]" in snoop
        assert "[GITHUB_TOKEN redacted]" in snoop
        for p in bare.data.rglob("*.json"):
            text = p.read_text()
            assert SECRETS["AWS_SECRET_ACCESS_KEY"] not in text
            assert SECRETS["GITHUB_TOKEN"] not in text
    finally:
        for p in escaped_files(hostile.root, hostile.cache, *OUTSIDE):
            if p.parent != OUTSIDE[0] or p.name not in cellnames:
                p.unlink(missing_ok=True)


# ------------------------------------------------------------------ no Go needed
def test_sandbox_falls_back_and_says_why(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sandbox.sandbox.cache_clear()
    try:
        monkeypatch.setattr("shutil.which", lambda _name: None)
        box = sandbox.sandbox()
        assert box.kind == "none"
        assert box.reason == "bwrap is not installed (apt-get install -y bubblewrap)"
        sandbox.sandbox.cache_clear()
        monkeypatch.setenv(sandbox.SANDBOX_ENV, "bwrap")
        with pytest.raises(UserError, match="cannot be sandboxed here"):
            sandbox.sandbox()
        sandbox.sandbox.cache_clear()
        fake = tmp_path / "bwrap"  # a bwrap that cannot run: found by really trying it
        fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
        fake.chmod(0o755)
        monkeypatch.setattr("shutil.which", lambda name: str(fake) if name == "bwrap" else None)
        monkeypatch.setenv(sandbox.SANDBOX_ENV, "auto")
        box = sandbox.sandbox()
        assert box.kind == "none"
        assert box.reason == "bwrap cannot run here: bwrap: No permissions to create new namespace"
        sandbox.sandbox.cache_clear()
        monkeypatch.setenv(sandbox.SANDBOX_ENV, "sometimes")
        with pytest.raises(UserError, match="expected auto, bwrap or none"):
            sandbox.sandbox()
    finally:
        sandbox.sandbox.cache_clear()


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_the_sandbox_really_confines(tmp_path: Path) -> None:
    sandbox.sandbox.cache_clear()
    box = sandbox.sandbox()
    assert box.kind == "bwrap", box.reason  # installed, so it must work here
    cell = tmp_path / "cell"
    cell.mkdir()
    outside = tmp_path / "outside"
    script = (
        f"echo in > {sandbox.INSIDE_CELL}/in; echo out > {outside} || echo denied; "
        "echo pids $(ls -d /proc/[0-9]* | wc -l); "
        "(exec 3<>/dev/tcp/127.0.0.1/22) 2>/dev/null && echo net || echo no-net; id -u"
    )
    r, status = sandbox.run_boxed(
        box, cell, Path("/bin/sh"), ["/bin/bash", "-c", script], proc.base_env(), 60
    )
    assert status == "exit 0", r
    assert (cell / "in").read_text() == "in\n"
    assert not outside.exists()
    assert "denied" in r.stdout
    assert "no-net" in r.stdout
    assert int(re.search(r"pids (\d+)", r.stdout).group(1)) < 10  # type: ignore[union-attr]
    assert r.stdout.strip().endswith(str(sandbox.SANDBOX_UID if os.geteuid() == 0 else os.getuid()))


def test_the_reported_ending_is_trusted_only_when_it_agrees() -> None:
    assert sandbox.ending(0, "exit 0", True) == (0, None)
    assert sandbox.ending(139, "signal 11", True) == (None, 11)
    assert sandbox.ending(0, "signal 11", True) == (0, None)  # a forged report: bwrap said 0
    assert sandbox.ending(2, None, True) == (2, None)
    assert sandbox.ending(None, None, True) == (None, None)  # timed out
    assert sandbox.ending(-9, None, False) == (None, 9)


@pytest.mark.stress
def test_output_capture_stays_bounded_for_any_child() -> None:
    """Children printing random bytes of random lengths (some never closing their pipes,
    some running past their timeout): what is kept is bounded and says how much was cut."""
    rnd = random.Random(8)
    n = count("PLUGIN_MATRIX_STRESS_OUTPUTS", 12, 300)
    linger = f"sleep 30.{os.getpid()}"  # ours alone: no other process has this command line
    keep = proc.KEEP_HEAD + proc.KEEP_TAIL
    for i in range(n):
        size = rnd.choice([0, 1, keep - 1, keep, keep + 1, rnd.randint(0, 4 << 20)])
        mode = rnd.choice(["plain", "plain", "linger", "hang"])
        script = f"head -c {size} /dev/urandom; head -c {size // 2} /dev/urandom >&2"
        if mode == "linger":  # a grandchild keeps the pipes open after the child exits
            script += f"; ({linger} &)"
        if mode == "hang":
            script += f"; exec {linger}"
        timeout = 2 if mode == "hang" else 60  # only the hang may time out, however busy we are
        t = time.monotonic()
        r = proc.run(["sh", "-c", script], env=proc.base_env(), timeout=timeout)
        took = time.monotonic() - t
        assert took < (timeout if mode == "hang" else 20) + proc.DRAIN_S + 5, (i, mode, took)
        assert r.timed_out == (mode == "hang")
        assert (r.returncode is None) == (mode == "hang")
        for text, total in ((r.stdout, size), (r.stderr, size // 2)):
            cut = re.search(r"\[\.\.\. (\d+) bytes truncated by plugin-matrix \.\.\.\]", text)
            if total > keep:
                assert cut, (i, total)
                assert int(cut.group(1)) == total - keep, (i, total)
                assert len(text) <= keep + 100
            else:
                assert cut is None
                assert len(text) <= keep
        assert r.truncated == (size > keep)
    # The lingering grandchildren were in the child's process group: killed with it.
    assert processes_with(linger) == []


def test_a_load_through_an_emulator_in_the_sandbox(tmp_path: Path) -> None:
    """run_load end to end without Go: a stand-in host (a shell script printing what the
    plugin would generate), started through an 'emulator' found on PATH (env)."""
    host = tmp_path / "host"
    host.write_text(
        '#!/bin/sh\nsed -n \'s/^nonce: "\\(.*\\)"/nonce: \\1/p\' "$3/plugin.yaml"\n'
        "test -w / && echo 'root is writable' >&2; exit 0\n"
    )
    host.chmod(0o755)
    so = tmp_path / "plugin.so"
    so.write_bytes(b"not really a plugin")
    r = load.run_load(host, so, "generator", "generator", "c0123456789ab", emulator=["env"])
    assert (r.outcome, r.exit_code, r.signal, r.seen) == ("loads", 0, None, True), r
    assert r.command == ["env", "$HOST_BIN", "build", "--enable-alpha-plugins", "$CELL/kustomization"]
    if sandboxed():
        assert "root is writable" not in r.stderr

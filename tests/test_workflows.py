"""The GitHub Actions workflows pass actionlint (built from the Go module proxy)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ACTIONLINT = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"


@pytest.mark.slow
def test_actionlint_passes_on_the_workflows() -> None:
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) >= 2
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    r = subprocess.run(
        ["go", "run", ACTIONLINT, "-shellcheck=", "-pyflakes=", *map(str, workflows)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=900,
    )
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.slow
def test_actionlint_really_catches_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ matrix.nope }}\n"
    )
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    r = subprocess.run(
        ["go", "run", ACTIONLINT, "-shellcheck=", "-pyflakes=", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=900,
    )
    assert r.returncode == 1
    assert "matrix" in r.stdout


def test_the_matrix_workflow_keeps_its_data_and_shows_failures() -> None:
    """What actionlint cannot judge: the merged data is stored (data branch, one merge at
    a time), a failed provision is visible, Go's caches are on, Go releases are exact."""
    text = (ROOT / ".github" / "workflows" / "matrix.yml").read_text()
    merge = text[text.index("  merge:\n") : text.index("  deploy:\n")]
    assert "git push origin HEAD:refs/heads/data" in merge
    assert "group: matrix-data" in merge
    assert "cancel-in-progress: false" in merge
    assert "contents: write" in merge
    assert "plugin-matrix history" in merge
    assert "git checkout FETCH_HEAD -- data/cells data/history.json" in merge
    assert "|| true" not in text  # a failed step is never hidden
    assert "steps.provision.outcome == 'failure'" in text
    assert "cache: true" in text
    assert "cache: false" in text  # only go1.19.8's install: the caches are restored once, by 1.26.8's
    assert 'go-version: "1.26.8"' in text
    assert "PLUGIN_MATRIX_GOROOTS" in text

"""`plugin-matrix checklist` and `plugin-matrix history` on a small data directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from matrix.cli import main
from tests.sitekit import DATA, synthetic_record


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A project copy with grid.toml and a few synthetic cells (matrix/ linked for plugin sources)."""
    proj = tmp_path / "proj"
    d = proj / "data"
    (d / "cells").mkdir(parents=True)
    (proj / "matrix").symlink_to(DATA.parent / "matrix")
    shutil.copy(DATA / "grid.toml", d / "grid.toml")
    for r in (
        synthetic_record(),
        synthetic_record(plugin_tc="go1.19.8"),
        synthetic_record(host_tc="go1.19.8", plugin_tc="go1.19.8"),
    ):
        (d / "cells" / f"{r['cell']}.json").write_text(json.dumps(r))
    return d


def test_checklist_prints_markdown_with_links(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checklist", "--data", str(data), "--kustomize", "v5.8.2", "--base-url", "https://s/"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Releasing or packaging kustomize: kustomize v5.8.2")
    assert "## Before you publish a Go plugin: kustomize v5.8.2" in out
    assert "- [ ] " in out
    assert "](https://s/cells/c" in out


def test_checklist_for_one_audience(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checklist", "--data", str(data), "--kustomize", "v5.8.2", "--for", "author"]) == 0
    out = capsys.readouterr().out
    assert "Releasing" not in out
    assert "kustomize-plugin-matrix.github.io/cells/" in out


def test_checklist_without_a_release_targets_the_newest_that_loaded(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (data / "cells" / "extra.json").unlink(missing_ok=True)
    r = synthetic_record("v5.8.3", outcome="build-failed")
    (data / "cells" / f"{r['cell']}.json").write_text(json.dumps(r))
    assert main(["checklist", "--data", str(data), "--for", "author"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Before you publish a Go plugin: kustomize v5.8.2")
    assert "kustomize v5.8.3 is newer but not the target" in out
    assert "the same minor and the same patch release" in out.split("- [ ] ", 2)[1]


def test_checklist_unknown_release_is_one_clear_line(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checklist", "--data", str(data), "--kustomize", "v5.8.9"]) == 2
    err = capsys.readouterr().err
    assert "--kustomize: no measured cell for kustomize 'v5.8.9'" in err
    assert "v5.8.2" in err
    assert "Traceback" not in err


def test_history_appends_once(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--data", str(data)]) == 0
    assert "added the run of" in capsys.readouterr().out
    text = (data / "history.json").read_text()
    assert main(["history", "--data", str(data)]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert (data / "history.json").read_text() == text

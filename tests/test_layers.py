"""The layer rules hold, and the tools that check them really reject a wrong import.

`nox -s lint` runs `lint-imports` (contracts in pyproject.toml) and
scripts/check_cycles.py; these tests show both pass on the tree as it is and fail on a
copy of it with one wrong import added."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")


def _copy(tmp: Path) -> Path:
    shutil.copytree(ROOT / "matrix", tmp / "matrix", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp / "pyproject.toml")
    return tmp


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _add_import(tree: Path, module: str, line: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    text = path.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    path.write_text(head + sep + line + "\n" + rest)


def test_the_tree_keeps_its_layers() -> None:
    r = _run([LINT_IMPORTS], ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "broken" not in r.stdout.replace("0 broken", "")


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("matrix.core.facts", "import matrix.site.render", "layers"),
        ("matrix.diagnose.elf", "from matrix.measure import proc", "layers"),
        ("matrix.site.heatmap", "from matrix.diagnose import classify", "the site renders the dataset"),
        ("matrix.measure.load", "from matrix.dataset import history", "measuring uses diagnose and core"),
    ],
)
def test_lint_rejects_a_wrong_import(tmp_path: Path, module: str, line: str, contract: str) -> None:
    tree = _copy(tmp_path)
    _add_import(tree, module, line)
    r = _run([LINT_IMPORTS], tree)
    assert r.returncode != 0, r.stdout
    broken = [ln for ln in r.stdout.splitlines() if ln.endswith("BROKEN")]
    assert any(ln.startswith(contract) for ln in broken), r.stdout


def test_cycles_are_found(tmp_path: Path) -> None:
    r = _run([sys.executable, str(ROOT / "scripts" / "check_cycles.py")], ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    tree = _copy(tmp_path)
    _add_import(tree, "matrix.core.records", "from matrix.core import grid as _cycle")
    _add_import(tree, "matrix.core.grid", "from matrix.core import records as _cycle")
    r = _run([sys.executable, str(ROOT / "scripts" / "check_cycles.py")], tree)
    assert r.returncode == 1
    assert "matrix.core.grid" in r.stdout
    assert "matrix.core.records" in r.stdout


def test_facts_are_written_once() -> None:
    """The site URL and the outcomes have one source (matrix.core.facts): the record
    schema's enum, the frame and mkdocs agree with it."""
    import json

    from matrix.core import facts
    from matrix.dataset import frame

    schema = json.loads((ROOT / "matrix" / "core" / "schemas" / "record.schema.json").read_text())
    assert tuple(schema["properties"]["outcome"]["enum"]) == facts.OUTCOMES
    assert tuple(frame.OUTCOMES) == facts.OUTCOMES
    assert "site_url:" not in (ROOT / "mkdocs.yml").read_text()  # set by docs/hooks.py from facts
    sources = [
        p for p in (ROOT / "matrix").rglob("*.py") if "kustomize-plugin-matrix.github.io" in p.read_text()
    ]
    assert [p.relative_to(ROOT).as_posix() for p in sources] == ["matrix/core/facts.py"]

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GRID = ROOT / "data" / "grid.toml"


@pytest.fixture
def grid_copy(tmp_path: Path) -> Path:
    """A writable copy of the real grid in an empty data directory."""
    d = tmp_path / "data"
    d.mkdir()
    shutil.copy(GRID, d / "grid.toml")
    return d / "grid.toml"

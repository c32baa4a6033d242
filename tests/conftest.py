from __future__ import annotations

import os
import shutil
from collections.abc import Generator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GRID = ROOT / "data" / "grid.toml"

# A skip whose reason starts with this is a fact about the platform, not something
# missing: it stays a skip in CI. Every other skip (a tool, a package, a fixture that
# could not be built) fails the run when CI is set: CI installs everything the tests need.
NOT_APPLICABLE = "not applicable here:"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    rep = yield
    if rep.skipped and os.environ.get("CI") and not hasattr(rep, "wasxfail"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        if NOT_APPLICABLE not in reason:
            rep.outcome = "failed"
            rep.longrepr = f"{item.nodeid} would be skipped, but CI is set (CI must have every tool): {reason}"
    del call
    return rep


@pytest.fixture
def grid_copy(tmp_path: Path) -> Path:
    """A writable copy of the real grid in an empty data directory."""
    d = tmp_path / "data"
    d.mkdir()
    shutil.copy(GRID, d / "grid.toml")
    return d / "grid.toml"

"""With CI set, a test that would skip for a missing tool fails instead (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TESTS = '''
import pytest

def test_needs_a_tool():
    pytest.skip("gcc-aarch64-linux-gnu is not installed")

def test_not_for_this_platform():
    pytest.skip("not applicable here: go is in /usr/bin")
'''


def _pytest(tmp: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    (tmp / "conftest.py").write_text("from tests.conftest import pytest_runtest_makereport  # noqa: F401\n")
    (tmp / "test_sample.py").write_text(TESTS)
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"PYTHONPATH": str(ROOT)}
    if ci:
        env["CI"] = "true"
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp), str(tmp)]
    return subprocess.run(argv, env=env, cwd=tmp, capture_output=True, text=True, timeout=120)


def test_missing_tools_fail_in_ci_and_skip_elsewhere(tmp_path: Path) -> None:
    local = _pytest(tmp_path, ci=False)
    assert local.returncode == 0, local.stdout
    assert "2 skipped" in local.stdout
    ci = _pytest(tmp_path, ci=True)
    assert ci.returncode == 1, ci.stdout
    assert "1 failed, 1 skipped" in ci.stdout
    assert "gcc-aarch64-linux-gnu is not installed" in ci.stdout

"""Git helpers of the corpus's measuring scripts (backtest_words.py, perturb.py): a commit
checked out in a temporary worktree, and the short name of HEAD."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def worktree(commit: str) -> Iterator[Path]:
    """`commit` checked out (detached) in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory() as d:
        wt = Path(d) / commit
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(wt), commit], check=True
        )
        try:
            yield wt
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(wt)], check=True)


def head() -> str:
    """HEAD's short commit name (what a recorded result says it ran at)."""
    out = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return out.stdout.strip()

"""Deterministic JSON files: stable key order, atomic replace, clear load errors."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from matrix import UserError

TMP_SUFFIX = ".tmp"


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write then rename, so a reader (or a killed run) never sees half a file."""
    data = text.encode() if isinstance(text, str) else text
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):  # a full disk, a read-only directory: one clear line
            raise UserError(f"{path}: cannot write: {e.strerror or e}") from None
        raise


def stale_tmp_files(directory: Path) -> list[Path]:
    """Temporary files write_atomic leaves behind only when its process was killed."""
    return sorted(directory.glob(f".*{TMP_SUFFIX}")) if directory.is_dir() else []


def load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UserError(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: byte {e.start}: not UTF-8 text ({e.reason})") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read: {e.strerror}") from None

"""The dataset on disk: one schema-checked JSON file per load cell in data/cells/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from matrix import UserError, jsonio, schema

# Bump when the meaning of a record changes: every cell is then measured again.
RECORD_FORMAT = 2


def cells_dir(data: Path) -> Path:
    return data / "cells"


def path_for(data: Path, cell: str) -> Path:
    return cells_dir(data) / f"{cell}.json"


def check(rec: Any, where: str) -> None:
    schema.check(rec, "record.schema.json", where)


def write(data: Path, rec: dict[str, Any]) -> None:
    check(rec, f"record {rec.get('cell')}")
    jsonio.write_atomic(path_for(data, rec["cell"]), jsonio.dumps(rec))


def read(path: Path) -> dict[str, Any]:
    rec = jsonio.load(path)
    check(rec, str(path))
    if path.suffix == ".json" and rec["cell"] != path.stem:
        raise UserError(f"{path}: cell: the record is for {rec['cell']!r}, but the file is named "
                        f"for {path.stem!r}")
    return rec  # type: ignore[no-any-return]


def clean_stale(data: Path) -> list[Path]:
    """Remove what a killed writer left in data/cells: temporary files, never records.

    Call only while holding the data directory's lock (runner.data_lock)."""
    stale = jsonio.stale_tmp_files(cells_dir(data))
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def transient(rec: dict[str, Any]) -> bool:
    """Whether a record's build failure says nothing about its inputs (no network, full disk):
    such a record is kept until the next run, which measures the cell again."""
    from matrix.build import TRANSIENT

    if rec.get("outcome") == "harness-error":  # our bug, maybe fixed since: try again
        return True
    if rec.get("outcome") != "build-failed":
        return False
    return any(side["build"]["status"] == "failed" and TRANSIENT.search(side["build"]["output"])
               for side in (rec["host"], rec["plugin"]))


def read_existing(data: Path, cell: str) -> dict[str, Any] | None:
    """The recorded cell, or None if absent or of an older record format (then it is
    measured again and replaced); a damaged record is reported, not trusted."""
    p = path_for(data, cell)
    if not p.is_file():
        return None
    rec = jsonio.load(p)
    if isinstance(rec, dict) and isinstance(rec.get("format"), int) and rec["format"] < RECORD_FORMAT:
        return None
    check(rec, str(p))
    return rec  # type: ignore[no-any-return]


def iter_records(data: Path) -> Iterator[dict[str, Any]]:
    for p in sorted(cells_dir(data).glob("c*.json")):
        yield read(p)


def load_all(data: Path) -> list[dict[str, Any]]:
    if not cells_dir(data).is_dir():
        raise UserError(f"{cells_dir(data)}: no recorded cells (run `nox -s matrix` first)")
    return list(iter_records(data))

"""Reading DATA/cells fast: every record checked, as records.read checks it.

jsonschema takes about a millisecond per record (100 s for 100,000 cells), so records
are first checked by fastjsonschema's compiled validator of the same schema; a record it
rejects goes through records.read, which checks it with jsonschema and reports the
file, the field and the reason.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from matrix.core import records

Check = Callable[[Any], bool]


@functools.cache
def _record_check() -> Check:
    from importlib import resources

    import fastjsonschema

    doc = json.loads(resources.files("matrix.core.schemas").joinpath("record.schema.json").read_text())
    validate = fastjsonschema.compile(doc)

    def check(rec: Any) -> bool:
        try:
            validate(rec)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return check


def record_names(data: Path) -> list[str]:
    """The file names of DATA/cells/c*.json, sorted (cell order)."""
    cells = records.cells_dir(data)
    if not cells.is_dir():
        records.load_all(data)  # raises the usual "no recorded cells" error
    return sorted(e.name for e in os.scandir(cells) if e.name.startswith("c") and e.name.endswith(".json"))


def read_records(data: Path, names: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
    """Every record of DATA/cells (or those of `names`, from record_names) in cell order,
    one at a time, checked as records.read checks them (and rejected with its messages)."""
    cells = records.cells_dir(data)
    ok = _record_check()
    for name in record_names(data) if names is None else names:
        p = cells / name
        rec: Any = None
        try:
            rec = json.loads(_read(p).decode("utf-8"))
        except (OSError, ValueError):
            rec = None
        if rec is None or not ok(rec) or rec.get("cell") != name[:-5]:
            rec = records.read(p)  # jsonschema: raises with the file, field and reason
        yield rec


def _read(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        parts: list[bytes] = []
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                return b"".join(parts)
            parts.append(b)
    finally:
        os.close(fd)

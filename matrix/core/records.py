"""The dataset on disk: one schema-checked JSON file per load cell in data/cells/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from matrix import UserError
from matrix.core import jsonio, schema

# Bump when the meaning of a record changes: every cell is then measured again.
# 4: plugin.mechanism (go-plugin, exec, krm-function), plugin.scenario, load.mode/timeout_s.
RECORD_FORMAT = 4


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
        raise UserError(
            f"{path}: cell: the record is for {rec['cell']!r}, but the file is named for {path.stem!r}"
        )
    return rec  # type: ignore[no-any-return]


def clean_stale(data: Path) -> list[Path]:
    """Remove what a killed writer left in data/cells: temporary files, never records.

    Call only while holding the data directory's lock (runner.data_lock)."""
    stale = jsonio.stale_tmp_files(cells_dir(data))
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def current(data: Path) -> tuple[list[dict[str, Any]], int, int]:
    """(records of the current format, how many are of an older format, how many are
    damaged). Older records are measured again by the next run, so they are left out."""
    recs, older, damaged = [], 0, 0
    for path in sorted(cells_dir(data).glob("c*.json")):
        try:
            raw = jsonio.load(path)
        except UserError:
            damaged += 1
            continue
        fmt = raw.get("format") if isinstance(raw, dict) else None
        if isinstance(fmt, int) and fmt < RECORD_FORMAT:
            older += 1
            continue
        try:
            check(raw, str(path))
        except UserError:
            damaged += 1
            continue
        recs.append(raw)
    return recs, older, damaged


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


# ---------------------------------------------------------------- observations
# A cell measured by several runners (another kernel, libc, CPU) keeps one observation per
# runner; a runner that measures it again replaces its own. Nothing else removes one.


def runner_key(obs: dict[str, Any]) -> str:
    """Who made an observation: the runner's facts (the same machine gives the same key)."""
    return json.dumps(obs["runner"], sort_keys=True)


def merge_observations(
    old: list[dict[str, Any]], new: list[dict[str, Any]], remeasured: bool = False
) -> list[dict[str, Any]]:
    """Every observation of `old` and `new`, oldest first, each once.

    `remeasured`: `new` is this runner measuring the cell again, so its observation
    replaces the one the same runner made before. Otherwise (merging shards) nothing is
    replaced: two different observations by one runner are both kept."""
    if remeasured:
        mine = {runner_key(o) for o in new}
        old = [o for o in old if runner_key(o) not in mine]
    seen: dict[str, dict[str, Any]] = {}
    for o in [*old, *new]:
        seen.setdefault(json.dumps(o, sort_keys=True), o)
    return sorted(seen.values(), key=lambda o: (o["recorded_at"], runner_key(o), o["outcome"]))


def disagreement(rec: dict[str, Any]) -> str | None:
    """How the observations of a cell disagree (outcome or error class), or None."""
    seen = sorted({(o["outcome"], o.get("class") or "") for o in rec.get("observations") or []})
    if len(seen) < 2:
        return None
    return " vs ".join(f"{o}{f' ({c})' if c else ''}" for o, c in seen)


def with_class(rec: dict[str, Any], error_class: str | None, package: str | None) -> dict[str, Any]:
    """The record with its derived error class and package set, in its own fields and in
    the observation it was made from (other runners' observations keep theirs: their
    texts are not in this record)."""
    own = (json.dumps(rec["runner"], sort_keys=True), rec["recorded_at"])
    obs = [
        {**o, "class": error_class, "package": package} if (runner_key(o), o["recorded_at"]) == own else o
        for o in rec.get("observations") or []
    ]
    return {**rec, "class": error_class, "package": package, "observations": obs}

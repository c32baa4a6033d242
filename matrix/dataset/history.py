"""What changed from run to run: data/history.json, appended to after each run.

Each entry says which cells changed outcome since the previous entry and which errors
were seen for the first time. No wall clock: an entry is dated by the newest record it
covers, and an unchanged dataset adds nothing, so rerunning leaves `git diff` empty.

Beside the runs, the document keeps first and last seen (record dates) per cell, per
error class and per package. Nothing is forgotten: a cell, class or package that is no
longer in the dataset keeps its dates, so history survives reruns and merges (CI keeps
the file on the `data` branch).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from matrix import UserError
from matrix.core import jsonio

FORMAT = 2
FILE = "history.json"
SEEN = ("cells", "classes", "packages")  # name -> {"first_seen", "last_seen"}

_HEX = re.compile(r"0x[0-9a-f]+")


def path_for(data: Path) -> Path:
    return data / FILE


def empty() -> dict[str, Any]:
    return {"format": FORMAT, "runs": [], "state": {}, "errors_seen": {}, **{k: {} for k in SEEN}}


def load(data: Path) -> dict[str, Any]:
    """The history document, or an empty one when there is none yet."""
    p = path_for(data)
    if not p.is_file():
        return empty()
    doc = jsonio.load(p)
    if isinstance(doc, dict) and doc.get("format") == 1:  # before first/last seen: they start now
        doc = {**doc, "format": FORMAT, **{k: {} for k in SEEN}}
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise UserError(
            f"{p}: format: expected {FORMAT}, found "
            f"{doc.get('format') if isinstance(doc, dict) else type(doc).__name__}"
        )
    for key, kind in (("runs", list), ("state", dict), ("errors_seen", dict), *((k, dict) for k in SEEN)):
        if not isinstance(doc.get(key), kind):
            raise UserError(f"{p}: {key}: expected a JSON {kind.__name__ if kind is dict else 'list'}")
    return doc


def error_key(error_class: str, package: str, error: str) -> str:
    """What makes two errors "the same error": the class (and package) when classified,
    else the first line of the text with addresses blanked."""
    if error_class:
        return f"{error_class}:{package}" if package else error_class
    first = next((ln.strip() for ln in error.splitlines() if ln.strip()), "")
    return _HEX.sub("0x…", first)


def state_of(df: pd.DataFrame) -> dict[str, dict[str, str]]:
    return {
        str(r["cell"]): {
            "outcome": str(r["outcome"]),
            "inputs": str(r["inputs"]),
            "error": error_key(str(r["class"]), str(r["package"]), str(r["error"])),
        }
        for _, r in df.sort_values("cell").iterrows()
    }


def _digest(state: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]


def renamed_in(doc: dict[str, Any], renamed: dict[str, str]) -> dict[str, Any]:
    """The document with renamed cell ids (old id -> new id) replaced: a renamed cell is
    the same cell, so its history carries over."""
    if not renamed:
        return doc
    state = {renamed.get(c, c): s for c, s in doc.get("state", {}).items()}
    cells = dict(doc.get("cells", {}))
    for old, new in renamed.items():
        if old in cells:
            before = cells.pop(old)
            now = cells.setdefault(new, dict(before))
            now["first_seen"] = min(now["first_seen"], before["first_seen"])
            now["last_seen"] = max(now["last_seen"], before["last_seen"])
    return {**doc, "state": state, "cells": cells}


def advance(
    doc: dict[str, Any], df: pd.DataFrame, renamed: dict[str, str] | None = None
) -> tuple[dict[str, Any], bool]:
    """The history with the dataset `df` added as the newest run (pure; False: nothing new).
    `renamed` (old cell id -> new id) carries renamed cells' history over."""
    doc = renamed_in(doc, renamed or {})
    state = state_of(df)
    digest = _digest(state)
    runs = list(doc.get("runs", []))
    if runs and runs[-1].get("digest") == digest:
        return doc, False
    old: dict[str, dict[str, str]] = doc.get("state", {})
    seen: dict[str, str] = dict(doc.get("errors_seen", {}))
    date = str(max(df["recorded_at"])) if not df.empty else ""
    changed = []
    if runs:
        for cell in sorted(set(old) | set(state)):
            before = old.get(cell, {}).get("outcome")
            after = state.get(cell, {}).get("outcome")
            if before != after:
                changed.append({"cell": cell, "before": before, "after": after})
    new_errors = []
    by_key: dict[str, pd.Series] = {}
    for _, r in df[df["error"] != ""].sort_values("cell").iterrows():
        by_key.setdefault(state[str(r["cell"])]["error"], r)
    for key in sorted(by_key):
        if key not in seen:
            r = by_key[key]
            seen[key] = date
            new_errors.append(
                {
                    "key": key,
                    "class": str(r["class"]),
                    "cell": str(r["cell"]),
                    "error": next((ln for ln in str(r["error"]).splitlines() if ln.strip()), ""),
                }
            )
    outcomes = {str(k): int(v) for k, v in df["outcome"].value_counts().sort_index().items()}
    runs.append(
        {
            "date": date,
            "digest": digest,
            "cells": len(df),
            "outcomes": outcomes,
            "changed": changed,
            "new_errors": new_errors,
        }
    )
    out = {"format": FORMAT, "runs": runs, "state": state, "errors_seen": seen}
    return {**out, **seen_dates(doc, df)}, True


def seen_dates(doc: dict[str, Any], df: pd.DataFrame) -> dict[str, dict[str, dict[str, str]]]:
    """First and last seen per cell, error class and package: the document's dates
    widened by the records of `df` (never narrowed, never dropped)."""
    out: dict[str, dict[str, dict[str, str]]] = {
        k: {n: dict(v) for n, v in doc.get(k, {}).items()} for k in SEEN
    }

    def see(kind: str, name: str, date: str) -> None:
        if not name or not date:
            return
        d = out[kind].setdefault(name, {"first_seen": date, "last_seen": date})
        d["first_seen"] = min(d["first_seen"], date)
        d["last_seen"] = max(d["last_seen"], date)

    for cell, error_class, pkg, date in zip(
        df["cell"], df["class"], df["package"], df["recorded_at"], strict=True
    ):
        see("cells", str(cell), str(date))
        see("classes", str(error_class), str(date))
        see("packages", str(pkg), str(date))
    return {k: dict(sorted(v.items())) for k, v in out.items()}


def update(data: Path, df: pd.DataFrame, renamed: dict[str, str] | None = None) -> bool:
    """Add the current dataset to DATA/history.json; False when nothing changed."""
    doc, changed = advance(load(data), df, renamed)
    if changed:
        jsonio.write_atomic(path_for(data), jsonio.dumps(doc))
    return changed

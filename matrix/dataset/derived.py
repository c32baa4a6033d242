"""Columns derived from a record beyond its own fields: the module that provides the
package a version mismatch names, and the cell's observations (one per runner) with how
they disagree."""

from __future__ import annotations

import json
from typing import Any

from matrix.core import records


def package_module(package: str, *modules: dict[str, str]) -> str:
    """The module (of any of `modules`) that provides `package`: the longest module path
    that is the package's path or a prefix of it ("" for the standard library)."""
    if not package:
        return ""
    best = ""
    for mods in modules:
        for m in mods:
            if (package == m or package.startswith(m + "/")) and len(m) > len(best):
                best = m
    return best


def observations_of(rec: dict[str, Any]) -> tuple[str, int, str]:
    """The record's observations as JSON text, their number, and how they disagree."""
    obs = rec.get("observations") or []
    return (
        json.dumps(obs, sort_keys=True, separators=(",", ":")) if obs else "",
        len(obs),
        records.disagreement(rec) or "",
    )

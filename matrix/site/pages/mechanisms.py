"""Go plugin, exec plugin, KRM function: the comparison guide's measured numbers
(guides/mechanisms.md, issue 16), from matrix.dataset.mechanisms.

Every number `loads / attempts` links the cells behind it: the cell itself when there
is one, else a list of them at the end of the page (grouped by outcome, the cells that
were not attempted included). The hand-written guide (docs/guides/comparison.md) says
what the numbers mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from matrix.dataset import mechanisms as mech
from matrix.dataset.frame import MECHANISMS
from matrix.site import render
from matrix.site.context import Context
from matrix.site.links import Links, slug

SRC = "guides/mechanisms.md"
TITLE = "Go plugin, exec plugin, KRM function: measured"
LABELS = {"go-plugin": "Go plugin", "exec": "exec plugin", "krm-function": "KRM function"}
DIMENSIONS = {
    "releases": (
        "Across kustomize releases",
        "Each plugin built for the kustomize release it is loaded into, by the Go release that built "
        "that kustomize, with default flags, on one platform.",
    ),
    "go": (
        "Across Go releases",
        "Each plugin built for the kustomize release it is loaded into, default flags, one platform; "
        "kustomize built by one Go release, the plugin by the same or another.",
    ),
    "flags": (
        "Across build flags",
        "The cells of the build-flag axes (flags on kustomize, on the plugin, on both) and the plain "
        "cells they are compared with.",
    ),
    "platforms": (
        "Across platforms",
        "The cells of the platform axis (kustomize and the plugin built for the same or another "
        "platform) and the native cells they are compared with.",
    ),
    "upgrades": (
        "Across upgrades",
        "The reference plugin built for one kustomize release (or by one Go release) and loaded "
        "into a kustomize of another release (or built by another Go release), newer and older.",
    ),
}
CHANGES = {"release": "kustomize release", "go": "Go release"}


@dataclass
class Evidence:
    """The cells behind the numbers, listed at the end of the page."""

    outcome: dict[str, str]  # cell -> outcome
    entries: list[dict[str, Any]] = field(default_factory=list)
    _ids: set[str] = field(default_factory=set)

    def number(self, row: Any, where: Sequence[str]) -> dict[str, Any]:
        """A count row (matrix.dataset.mechanisms.COUNT_COLUMNS) as a number linking its
        cells: `cell` when one cell stands behind it, else `anchor`, the id of their list."""
        cells = [c for c in str(row["cells"]).split(";") if c]
        others = [c for c in str(row["other_cells"]).split(";") if c]
        loads, attempts = int(row["loads"]), int(row["attempts"])
        n: dict[str, Any] = {
            "text": f"{loads} / {attempts}",
            "loads": loads,
            "attempts": attempts,
            "share": f"{100 * loads / attempts:.0f}%" if attempts else "",
            "state": "none"
            if not attempts
            else "loads"
            if loads == attempts
            else "fails"
            if not loads
            else "mixed",
            "cell": None,
            "anchor": None,
        }
        every = cells + others
        if len(every) == 1:
            n["cell"] = every[0]
        elif every:
            n["anchor"] = self._anchor(where)
            groups: dict[str, list[str]] = {}
            for c in every:
                groups.setdefault(self.outcome.get(c, "?"), []).append(c)
            order = ["loads", "fails", "build-failed", "skipped", "not-run", "harness-error"]
            self.entries.append(
                {
                    "id": n["anchor"],
                    "title": " · ".join(where),
                    "text": n["text"],
                    "groups": sorted(
                        groups.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99
                    ),
                }
            )
        return n

    def _anchor(self, where: Sequence[str]) -> str:
        base = "cells-" + slug("-".join(where))
        anchor, n = base, 2
        while anchor in self._ids:
            anchor, n = f"{base}-{n}", n + 1
        self._ids.add(anchor)
        return anchor


def _classes(text: str) -> list[tuple[str, int]]:
    out = []
    for item in filter(None, str(text).split(";")):
        c, _, n = item.rpartition(":")
        out.append((c, int(n)))
    return out


def _failures(rows: list[tuple[str, str]]) -> list[tuple[str, list[tuple[str, int]]]]:
    """(mechanism, classes text) pairs -> per mechanism label, its error classes and counts."""
    out = []
    for m, text in rows:
        error_class = _classes(text)
        if error_class:
            out.append((LABELS.get(m, m), error_class))
    return out


def _mechanisms(*tables: pd.DataFrame) -> list[str]:
    have = {str(m) for t in tables if not t.empty for m in t["mechanism"]}
    return [m for m in MECHANISMS if m in have] + sorted(have - set(MECHANISMS))


def _table(
    ev: Evidence, t: pd.DataFrame, keys: Sequence[str], dim: str, mechs: Sequence[str]
) -> list[dict[str, Any]]:
    """Rows of `t` (one per mechanism and keys) as one row per keys: a number per mechanism,
    and the error classes of the failures."""
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    for r in t.to_dict("records"):
        k = tuple(str(r[x]) for x in keys)
        row = rows.setdefault(k, {"keys": list(k), "nums": {}, "fails": []})
        m = str(r["mechanism"])
        row["nums"][m] = ev.number(r, [LABELS.get(m, m), DIMENSIONS[dim][0].lower(), *k])
        row["fails"].append((m, str(r["classes"])))
    for row in rows.values():
        row["cols"] = [row["nums"].get(m) for m in mechs]
        row["classes"] = _failures(row.pop("fails"))
    return list(rows.values())


def _survival(ev: Evidence, df: pd.DataFrame, change: str, mechs: Sequence[str]) -> list[dict[str, Any]]:
    """Per mechanism: the upgrade matrix of `change` (rows: built for; columns: loaded by)."""
    t = mech.upgrade_matrix(df, change)
    out = []
    for m in mechs:
        d = t[t["mechanism"] == m]
        if d.empty:
            continue
        axis = sorted(set(d["built_for"]) | set(d["loaded_by"]), key=mech.version_key)
        grid: dict[tuple[str, str], dict[str, Any]] = {}
        for r in d.to_dict("records"):
            a, b = str(r["built_for"]), str(r["loaded_by"])
            where = [LABELS.get(m, m), f"{CHANGES[change]} upgrade", f"built for {a}", f"loaded by {b}"]
            grid[(a, b)] = ev.number(r, where)
        rows = [{"built_for": a, "cols": [(b, grid.get((a, b))) for b in axis]} for a in axis]
        tried = d[d["attempts"] > 0]
        out.append(
            {
                "mechanism": m,
                "label": LABELS.get(m, m),
                "axis": axis,
                "header": ["built for ↓ / loaded by →", *axis],
                "rows": rows,
                "loads": int(tried["loads"].sum()),
                "attempts": int(tried["attempts"].sum()),
            }
        )
    return out


def _scenarios(s: pd.DataFrame, mechs: Sequence[str]) -> list[dict[str, Any]]:
    """mechanisms.scenarios' rows as one row per scenario, a list of cells per mechanism."""
    rows: dict[str, dict[str, Any]] = {}
    for r in s.to_dict("records"):
        row = rows.setdefault(str(r["scenario"]), {"scenario": str(r["scenario"]), "by": {}})
        row["by"].setdefault(str(r["mechanism"]), []).append(
            {"outcome": str(r["outcome"]), "error_class": str(r["class"] or ""), "cell": str(r["cell"])}
        )
    for row in rows.values():
        row["cols"] = [row["by"].get(m, []) for m in mechs]
    return list(rows.values())


def page_data(df: pd.DataFrame) -> dict[str, Any]:
    """What the page shows (plain data: rows, numbers, links)."""
    ev = Evidence(outcome=dict(zip(df["cell"].astype(str), df["outcome"].astype(str), strict=True)))
    summary = mech.summary(df)
    tables = {
        "releases": (mech.by_release(df), ["host_release"], ["kustomize"]),
        "go": (mech.by_go(df), ["host_go", "plugin_go"], ["kustomize built by", "plugin built by"]),
        "flags": (mech.by_flags(df), ["host_variant", "plugin_variant"], ["kustomize flags", "plugin flags"]),
        "platforms": (
            mech.by_platform(df),
            ["host_platform", "plugin_platform"],
            ["kustomize platform", "plugin platform"],
        ),
        "upgrades": (mech.by_upgrade(df), ["change", "direction"], ["what changed", "direction"]),
    }
    scenarios = mech.scenarios(df)
    mechs = _mechanisms(summary, scenarios, *(t for t, _, _ in tables.values()))
    glance = []
    for dim, (title, what) in DIMENSIONS.items():
        s = summary[summary["dimension"] == dim]
        nums = {}
        for r in s.to_dict("records"):
            m = str(r["mechanism"])
            nums[m] = ev.number(r, [LABELS.get(m, m), title.lower(), "all"])
        classes = _failures([(str(m), str(c)) for m, c in zip(s["mechanism"], s["classes"], strict=True)])
        glance.append(
            {
                "dim": dim,
                "title": title,
                "anchor": slug(title),
                "what": what,
                "cols": [nums.get(m) for m in mechs],
                "classes": classes,
            }
        )
    sections = []
    for dim, (t, keys, heads) in tables.items():
        sections.append(
            {
                "dim": dim,
                "title": DIMENSIONS[dim][0],
                "what": DIMENSIONS[dim][1],
                "heads": heads,
                "rows": _table(ev, t, keys, dim, mechs),
            }
        )
    survival = {change: _survival(ev, df, change, mechs) for change in CHANGES}
    return {
        "mechs": [(m, LABELS.get(m, m)) for m in mechs],
        "glance": glance,
        "sections": sections,
        "survival": survival,
        "changes": CHANGES,
        "scenarios": _scenarios(scenarios, mechs),
        "evidence": ev.entries,
        "cells": len(mech.sweep(df)),
    }


def page(df: pd.DataFrame, ctx: Context) -> str:
    links = Links(SRC)
    return render.page(
        "guides/mechanisms.md.j2",
        TITLE,
        description="How often a kustomize Go plugin, exec plugin and KRM function load, measured, each number linked to its cells",
        links=links,
        ctx=ctx,
        src=SRC,
        **page_data(df),
    )

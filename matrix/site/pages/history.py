"""History (history.md): what changed from run to run, first and last seen of every error
class and package, and the cells whose runs disagree; from data/history.json and the
cells' observations."""

from __future__ import annotations

from typing import Any

import pandas as pd

from matrix.site import frames, render
from matrix.site.context import Context
from matrix.site.links import Links


def _dates(ctx: Context, kind: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "first": str(d.get("first_seen", "")), "last": str(d.get("last_seen", ""))}
        for name, d in sorted(((ctx.history or {}).get(kind) or {}).items())
        if isinstance(d, dict)
    ]


def page(df: pd.DataFrame, ctx: Context, present: set[str]) -> str:
    """`present`: the cells of today's data (an old run's cell may be gone)."""
    dis = (
        df.loc[df["disagreement"] != "", ["cell", "disagreement"]].sort_values("cell")
        if "disagreement" in df.columns
        else df.iloc[0:0]
    )
    return render.page(
        "history.md.j2",
        "History",
        links=Links("history.md"),
        ctx=ctx,
        runs=(ctx.history or {}).get("runs", []),
        present=present,
        cap=frames.TABLE_CAP,
        classes=_dates(ctx, "classes"),
        packages=_dates(ctx, "packages"),
        cells_seen=len((ctx.history or {}).get("cells") or {}),
        disagree=[(str(c), str(t)) for c, t in zip(dis["cell"], dis["disagreement"], strict=True)],
    )

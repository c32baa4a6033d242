"""History (history.md): what changed from run to run, from data/history.json."""

from __future__ import annotations

from matrix.site import frames, render
from matrix.site.context import Context
from matrix.site.links import Links


def page(ctx: Context, present: set[str]) -> str:
    """`present`: the cells of today's data (an old run's cell may be gone)."""
    return render.page(
        "history.md.j2",
        "History",
        links=Links("history.md"),
        ctx=ctx,
        runs=(ctx.history or {}).get("runs", []),
        present=present,
        cap=frames.TABLE_CAP,
    )

"""The matrix page (matrix/index.md): cells per release, a heatmap per release (its numbers
as a table past the cap on pictures) and per axis."""

from __future__ import annotations

from typing import Any

import pandas as pd

from matrix.site import frames, render
from matrix.site.context import AXIS_TITLES, Context
from matrix.site.links import Links


def page(
    df: pd.DataFrame,
    ctx: Context,
    pictures: dict[str, str],
    axis_pictures: dict[str, str],
    grids: dict[str, Any] | None = None,
) -> str:
    """A picture per release in `pictures` (path), a table of the same numbers for the
    releases in `grids` (heatmap.Grid: past the cap on pictures)."""
    grids = grids or {}
    rels = frames.releases_in(df, ctx)
    per_release: list[dict[str, Any]] = []
    for rel in reversed(rels):
        if rel in pictures:
            per_release.append({"release": rel, "picture": pictures[rel]})
        elif rel in grids:
            g = grids[rel]
            per_release.append(
                {"release": rel, "picture": None, "grid": g, "rows": list(zip(g.rows, g.labels, strict=True))}
            )
    return render.page(
        "matrix/index.md.j2",
        "The matrix",
        links=Links("matrix/index.md"),
        total=len(df),
        releases=frames.release_counts(df, rels),
        per_release=per_release,
        axes=[
            {"axis": axis, "title": AXIS_TITLES.get(axis, axis), "picture": pic}
            for axis, pic in axis_pictures.items()
        ],
    )

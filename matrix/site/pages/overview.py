"""The matrix page (matrix/index.md): cells per release, the overview heatmap, a heatmap
per release and per axis."""

from __future__ import annotations

from typing import Any

import pandas as pd

from matrix.site import frames, pictures, render
from matrix.site.context import AXIS_TITLES, Context
from matrix.site.links import Links
from matrix.site.pictures import Pictures

SRC = "matrix/index.md"


def page(df: pd.DataFrame, ctx: Context, pics: Pictures) -> str:
    here = Links(SRC)
    rels = frames.releases_in(df, ctx)
    per_release: list[dict[str, Any]] = []
    for rel in reversed(rels):
        g = pics.releases.get(rel)
        if g is not None:
            per_release.append({"release": rel, "figure": pictures.figure(g, here, pictures.release_id(rel))})
    return render.page(
        "matrix/index.md.j2",
        "The matrix",
        links=here,
        total=len(df),
        releases=frames.release_counts(df, rels),
        overview=pictures.figure(pics.overview, here, "heatmap-overview") if pics.overview else None,
        per_release=per_release,
        axes=[
            {
                "axis": axis,
                "title": AXIS_TITLES.get(axis, axis),
                "figure": pictures.figure(g, here, f"heatmap-{axis}"),
            }
            for axis, g in pics.axes.items()
        ],
    )

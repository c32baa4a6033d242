"""The heatmaps of the site: which to draw (plan) and each as an inline SVG figure for the
page it is on (figure: its links are relative to that page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from markupsafe import Markup

from matrix.site import frames, heatmap, links, render
from matrix.site.context import AXES, AXIS_TITLES, Context
from matrix.site.heatmap import Grid
from matrix.site.links import Links

_figure = render.macro("_heatmap.html.j2", "figure")


@dataclass
class Pictures:
    """The heatmaps of the site (each drawn on every page that shows it)."""

    overview: Grid | None = None
    releases: dict[str, Grid] = field(default_factory=dict)  # every release with cells
    axes: dict[str, Grid] = field(default_factory=dict)  # axis -> grid (axes with pairs)


def axis_grid(df: pd.DataFrame, ctx: Context, axis: str) -> Grid | None:
    """The heatmap of an axis (None: no pair of cells for it)."""
    p = frames.axis_pairs(df, ctx, axis)
    if p.empty:
        return None
    cols = [c[:-2] for c in p.columns if c.endswith("_a")]
    a = p[[f"{c}_a" for c in cols]].set_axis(cols, axis=1)
    b = p[[f"{c}_b" for c in cols]].set_axis(cols, axis=1)
    sides = pd.concat([a, b]).drop_duplicates("cell")
    row, col, rt, ct = {
        "host-variant": ("host_variant", "plugin_name", "kustomize built with", "plugin"),
        "plugin-variant": ("plugin_variant", "plugin_name", "plugin built with", "plugin"),
        "matched-variant": ("host_variant", "plugin_name", "both built with", "plugin"),
        "pins": ("plugin_pins", "plugin_name", "plugin go.mod", "plugin"),
        "platform": ("host_platform", "plugin_platform", "kustomize built for", "plugin built for"),
    }[axis]
    rows = ["default", *sorted(set(sides[row]) - {"default"})] if "variant" in axis else None
    if axis == "pins":
        rows = ["host", *sorted(set(sides[row]) - {"host"})]
    g = heatmap.pivot(sides, row, col, AXIS_TITLES[axis], rt, ct, rows=rows, ctx=ctx)
    if "variant" in axis:  # the flags, not the grid's names for them
        g.row_labels = {v: "no flags" if v == "default" else frames.variant_desc(ctx, v) for v in g.rows}
        g.row_notes = {v: str(ctx.variants.get(v, {}).get("description", "")) for v in g.rows}
    elif axis == "pins":
        g.row_notes = {v: str(ctx.pins.get(v, {}).get("description", "")) for v in g.rows}
    return g


def plan(df: pd.DataFrame, ctx: Context, rels: list[str]) -> Pictures:
    """A picture for every release, the overview and each axis with pairs."""
    pics = Pictures()
    for rel in reversed(rels):
        pics.releases[rel] = heatmap.release_grid(df, rel, ctx)
    if rels:
        pics.overview = heatmap.overview_grid(df, rels, ctx)
    for axis in AXES:
        g = axis_grid(df, ctx, axis)
        if g is not None:
            pics.axes[axis] = g
    return pics


def _href(here: Links, target: dict[str, Any] | None) -> str:
    if not target:
        return ""
    if "cell" in target:
        return here.cell_href(target["cell"])
    page = links.cells_table_src(target["release"]) if target.get("release") else "matrix/cells.md"
    query = urlencode(target.get("filter", {}))
    url = here.href(page)
    return f"{url}?{query}" if query else url


def _tip(g: Grid, row: str, col: str, sq: heatmap.Square) -> str:
    where = f"{g.row_title} {heatmap.row_label(g, row)}, {g.col_title} {g.col_notes.get(col) or col}"
    if not sq.cells:
        return f"{where}: no cell"
    label = sq.label.replace("\n", " ")
    said = f"{where}: {label}" if sq.fraction is None else f"{where}: {label} loaded"
    go = "open the cell" if sq.cells == 1 else f"open the table of its {sq.cells} cells"
    return f"{said} ({go})"


def figure(g: Grid, here: Links, ident: str) -> Markup:
    """The picture of `g` as an HTML figure with an inline SVG, for page `here`."""
    lay = heatmap.layout(g)
    pad, font = heatmap.PAD, heatmap.FONT_PX
    line = font + 2
    cols = []
    for j, c in enumerate(g.cols):
        lines = heatmap.wrap(heatmap.col_label(g, c))
        x = lay.left + j * lay.cell_w + lay.cell_w // 2
        # the last line of every column label on the same baseline
        y = lay.top - pad - (len(lines) - 1) * line
        cols.append({"x": x, "y": y, "lines": lines, "note": g.col_notes.get(c, "")})
    rows = []
    for i, r in enumerate(g.rows):
        y = lay.top + i * lay.cell_h
        squares = []
        for j, sq in enumerate(g.squares[i]):
            x = lay.left + j * lay.cell_w
            w, h = lay.cell_w - 2, lay.cell_h - 2
            if sq.outcome == "mixed" and sq.fraction is not None:
                ok = round(w * sq.fraction)
                bars = [("loads", x, ok), ("fails", x + ok, w - ok)]
            else:
                bars = [(sq.outcome or "none", x, w)]
            label = heatmap.wrap(sq.label) if sq.label else []
            squares.append(
                {
                    "bars": bars,
                    "y": y,
                    "h": h,
                    "lines": label,
                    "lx": x + w // 2,
                    "ly": y + h // 2 + font // 2 - 2 - (len(label) - 1) * line // 2,
                    "href": _href(here, sq.target),
                    "tip": _tip(g, r, g.cols[j], sq),
                }
            )
        rlines = heatmap.wrap(heatmap.row_label(g, r))
        rows.append(
            {
                "lines": rlines,
                "note": g.row_notes.get(r, ""),
                "x": lay.left - pad,
                "y": y + lay.cell_h // 2 + font // 2 - 2 - (len(rlines) - 1) * line // 2,
                "squares": squares,
            }
        )
    return _figure(
        {
            "id": ident,
            "title": g.title,
            "width": lay.width,
            "height": lay.height,
            "col_title": g.col_title + " →",
            "col_title_x": heatmap.col_title_x(g, lay.left),
            "row_title": g.row_title + " ↓",
            "pad": pad,
            "title_y": font + 2,
            "line": line,
            "cols": cols,
            "rows": rows,
        }
    )


def release_id(release: str) -> str:
    return "heatmap-" + links.slug(release).replace(".", "-")

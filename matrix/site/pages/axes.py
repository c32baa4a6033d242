"""Axes: one change at a time. A page per axis (axes/<axis>.md) with its isolating pairs of
cells, a page per build variant (axes/variant-<variant>.md), and their index."""

from __future__ import annotations

from typing import Any

import pandas as pd

from matrix.site import frames, pictures, render
from matrix.site.context import AXES, AXIS_TITLES, Context
from matrix.site.heatmap import Grid
from matrix.site.links import Links, axis_src, variant_src

CHANGED = {  # the columns an axis changes
    "host-variant": ["host_variant"],
    "plugin-variant": ["plugin_variant"],
    "matched-variant": ["host_variant", "plugin_variant"],
    "pins": ["plugin_pins"],
    "platform": ["host_platform", "plugin_platform"],
}


def pair_rows(p: pd.DataFrame, changed: list[str]) -> list[dict[str, Any]]:
    """The rows of a table of pairs, with what changed from a to b."""
    cols = [
        "plugin_name_b",
        "outcome_a",
        "outcome_b",
        "cell_a",
        "cell_b",
        "class_b",
        "error_b",
        *(c + s for c in changed for s in ("_a", "_b")),
    ]
    rows = []
    for r in frames.records(p, cols):
        r["change"] = ", ".join(
            f"{c.replace('_', ' ')}: {r[c + '_a']} → {r[c + '_b']}"
            for c in changed
            if r[c + "_a"] != r[c + "_b"]
        )
        r["class_b"] = str(r["class_b"])
        r["cell_a"], r["cell_b"] = str(r["cell_a"]), str(r["cell_b"])
        rows.append(r)
    return rows


def _variants(df: pd.DataFrame, ctx: Context) -> list[dict[str, str]]:
    return [{"variant": v, "desc": frames.variant_desc(ctx, v)} for v in frames.variant_rows(df, ctx)]


def axis_page(df: pd.DataFrame, ctx: Context, axis: str, picture: Grid | None) -> str:
    p = frames.axis_pairs(df, ctx, axis)
    desc = {"pins": ctx.pins, "platform": ctx.platforms}.get(axis) or {}
    here = Links(axis_src(axis))
    return render.page(
        "axes/axis.md.j2",
        AXIS_TITLES.get(axis, axis),
        links=here,
        ctx=ctx,
        ref=ctx.reference,
        figure=pictures.figure(picture, here, f"heatmap-{axis}") if picture is not None else None,
        rows=pair_rows(p, CHANGED[axis]) if not p.empty else [],
        changed=int((p["outcome_a"] != p["outcome_b"]).sum()) if not p.empty else 0,
        variants=_variants(df, ctx) if axis in ("host-variant", "plugin-variant", "matched-variant") else [],
        values=[(k, v.get("description", "") or v.get("runner", "") or "") for k, v in desc.items()],
    )


def variant_verdict(res: dict[str, Any]) -> str:
    h, p, b = (res.get(k) for k in ("host", "plugin", "both"))
    ok = {k: (r is not None and r["outcome_b"] == "loads") for k, r in (("h", h), ("p", p), ("b", b))}
    if h is not None and p is not None and b is not None:
        if ok["h"] and ok["p"] and ok["b"]:
            return "it did not stop plugins loading, on either side."
        if not ok["h"] and not ok["p"] and ok["b"]:
            return "both sides must use it or neither: a mismatch stops the plugin loading."
        if not ok["b"]:
            return "no plugin loaded into a host built with it, even one built the same way."
    if h is not None and b is None:
        return (
            "a default-built plugin still loads into a host built with it."
            if ok["h"]
            else "a default-built plugin does not load into a host built with it."
        )
    return ""


def variant_page(df: pd.DataFrame, ctx: Context, variant: str) -> str:
    res = frames.variant_rows(df, ctx).get(variant, {})
    what = frames.variant_desc(ctx, variant)
    sides = []
    for side, label in (("host", "host only"), ("plugin", "plugin only"), ("both", "both")):
        r = res.get(side)
        sides.append(
            (
                label,
                None
                if r is None
                else {
                    k: str(r[k])
                    for k in ("outcome_a", "outcome_b", "cell_a", "cell_b", "class_b", "package_b", "error_b")
                },
            )
        )
    return render.page(
        "axes/variant.md.j2",
        f"What {what} does to plugin loading",
        links=Links(variant_src(variant)),
        ctx=ctx,
        ref=ctx.reference,
        what=what,
        about=str(ctx.variants.get(variant, {}).get("description", "") or ""),
        sides=sides,
        verdict=variant_verdict(res),
    )


def index_page(df: pd.DataFrame, ctx: Context) -> str:
    return render.page(
        "axes/index.md.j2",
        "Axes: one change at a time",
        links=Links("axes/index.md"),
        axes=[
            {"axis": a, "title": AXIS_TITLES[a], "pairs": len(frames.axis_pairs(df, ctx, a))} for a in AXES
        ],
        variants=_variants(df, ctx),
    )

"""The home page (index.md): what loads today, in three sentences computed from the data,
the overview heatmap, and where to start: the rule that decides most failures, whether a
kustomize can load plugins at all, the recipe, the tested configurations."""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup

from matrix.site import frames, links, pictures, render, rules
from matrix.site.context import PACKAGE_MISMATCH, Context
from matrix.site.heatmap import Grid
from matrix.site.links import Links

SRC = "index.md"


def summary(df: pd.DataFrame, ctx: Context) -> dict[str, Any]:
    """The numbers the home page's three sentences say."""
    if df.empty:
        return {"cells": 0}
    df = df[
        [
            "outcome",
            "recorded_at",
            "host_variant",
            "plugin_variant",
            "plugin_pins",
            "host_platform",
            "plugin_platform",
            "host_go",
            "plugin_go",
            "class",
        ]
    ]  # filters below copy only these
    t = frames.tried(df)
    b = frames.tried(frames.baseline(df))
    same = b[b["host_go"] == b["plugin_go"]]
    diff = b[b["host_go"] != b["plugin_go"]]
    out: dict[str, Any] = {
        "cells": len(df),
        "first": str(df["recorded_at"].min()),
        "last": str(df["recorded_at"].max()),
        "loads": frames.count(df, "loads"),
        "fails": frames.count(df, "fails"),
        "not_loaded": len(df) - len(t),
        "baseline": not b.empty,
        "same": len(same),
        "same_loads": frames.count(same, "loads"),
        "diff": len(diff),
        "diff_loads": frames.count(diff, "loads"),
        "top_failure": "",
    }
    fails = df[df["outcome"] == "fails"]
    if not fails.empty:
        key = fails["class"].where(fails["class"] != "", "unclassified")
        top, n = key.value_counts().index[0], int(key.value_counts().iloc[0])
        c = ctx.error_class(str(top))
        out.update(top_failure=c.title if c else str(top), top_count=n)
    return out


def official(df: pd.DataFrame, ctx: Context) -> dict[str, Any] | None:
    """What was measured of kustomize built as official releases are (without cgo)."""
    d = rules.official_cells(df, ctx)
    if d.empty:
        return None
    v = str(d["host_variant"].iloc[0])
    return {
        "flags": frames.variant_desc(ctx, v),
        "variant": v,
        "cells": [str(c) for c in d["cell"][:3]],
        "loads": frames.count(d, "loads"),
        "tried": len(d),
        "error_class": str(d["class"].iloc[0]),
        "error": frames.first_line(d["error"].iloc[0]),
    }


def page(df: pd.DataFrame, ctx: Context, overview: Grid | None) -> str:
    here = Links(SRC)
    target = frames.newest_with_recipe(df, ctx)
    return render.page(
        "home.md.j2",
        "What loads today",
        description="Measured compatibility of kustomize Go plugins",
        links=here,
        ctx=ctx,
        figure=pictures.figure(overview, here, "heatmap-overview") if overview is not None else None,
        s=summary(df, ctx),
        rule=rules.go_rule(df) if not df.empty else None,
        proven=target,
        newer=rules.newer_than_target(df, ctx, target) if target else [],
        official=official(df, ctx),
        mismatch=PACKAGE_MISMATCH if ctx.error_class(PACKAGE_MISMATCH) else None,
        repository=Markup(links.REPOSITORY_URL),
        plugin_docs=Markup(links.KUSTOMIZE_PLUGIN_DOCS),
    )

"""The home page (index.md): what loads today, in three sentences computed from the data,
and where to start."""

from __future__ import annotations

from typing import Any

import pandas as pd

from matrix.site import frames, render
from matrix.site.context import PACKAGE_MISMATCH, Context
from matrix.site.links import Links


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
        c = ctx.cls(str(top))
        out.update(top_failure=c.title if c else str(top), top_count=n)
    return out


def page(df: pd.DataFrame, ctx: Context, picture: str | None) -> str:
    return render.page(
        "home.md.j2",
        "What loads today",
        description="Measured compatibility of kustomize Go plugins",
        links=Links("index.md"),
        picture=picture,
        s=summary(df, ctx),
        proven=frames.newest_with_recipe(df, ctx),
        newest=frames.newest_release(df, ctx),
        mismatch=PACKAGE_MISMATCH if ctx.cls(PACKAGE_MISMATCH) else None,
    )

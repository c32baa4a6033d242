"""Toolchains: a page per Go toolchain (toolchains/<id>.md) with its loads per release and
its isolating pairs, and their index."""

from __future__ import annotations

from typing import Any

import pandas as pd

from matrix.site import frames, render
from matrix.site.context import Context
from matrix.site.links import Links, toolchain_src


def _per_release(b: pd.DataFrame, df: pd.DataFrame, ctx: Context, tc: str) -> list[dict[str, Any]]:
    """Per release, loads out of cells loaded with `tc` on both sides, the host, the plugin."""
    flags = pd.DataFrame(
        {
            "rel": b["host_release"],
            "h": b["host_toolchain"] == tc,
            "p": b["plugin_toolchain"] == tc,
            "ok": b["outcome"] == "loads",
            "t": b["outcome"].isin(frames.TRIED),
        }
    )
    flags["same"] = flags["h"] & flags["p"]
    flags["either"] = flags["h"] | flags["p"]
    by_rel = dict(iter(flags.groupby("rel", sort=False)))
    rows = []
    for rel in frames.releases_in(df, ctx):
        f = by_rel.get(rel, flags.iloc[0:0])

        def ratio(mask: pd.Series, f: pd.DataFrame = f) -> str:
            return f"{int((mask & f['ok']).sum())}/{int((mask & f['t']).sum())}"

        rows.append(
            {
                "release": rel,
                "same": ratio(f["same"]),
                "host": ratio(f["h"]),
                "plugin": ratio(f["p"]),
                "not_loaded": int((f["either"] & ~f["t"]).sum()),
            }
        )
    return rows


def _pairs(b: pd.DataFrame, tc: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """Host and plugin built by `tc` (a), then one side by another toolchain (b)."""
    out = []
    for vary, side in (("plugin_toolchain", "plugin"), ("host_toolchain", "host")):
        p = frames.pairs(b, [vary], {"host_toolchain": tc, "plugin_toolchain": tc})
        if p.empty:
            continue
        cols = [
            "host_release_a",
            "plugin_name_a",
            f"{side}_go_b",
            f"{side}_toolchain_b",
            "outcome_a",
            "outcome_b",
            "cell_a",
            "cell_b",
            "class_b",
            "error_b",
        ]
        rows = []
        for r in frames.records(p, cols):
            r["go_b"] = r[f"{side}_go_b"] or r[f"{side}_toolchain_b"]
            r["cell_a"], r["cell_b"], r["class_b"] = str(r["cell_a"]), str(r["cell_b"]), str(r["class_b"])
            rows.append(r)
        out.append((side, rows))
    return out


def page(df: pd.DataFrame, ctx: Context, tc: str) -> str:
    meta = ctx.toolchains.get(tc, {})
    b = frames.baseline(df[[c for c in frames.PAIR_COLUMNS if c in df.columns]])
    return render.page(
        "toolchains/toolchain.md.j2",
        f"Toolchain {tc}",
        links=Links(toolchain_src(tc)),
        ctx=ctx,
        about=meta.get("description", tc),
        gos=frames.toolchain_gos(df, tc),
        install=meta.get("install"),
        releases=_per_release(b, df, ctx, tc),
        pairs=_pairs(b, tc),
    )


def index_page(df: pd.DataFrame, ctx: Context) -> str:
    ids = sorted(
        frames.uniq(df["host_toolchain"]) | frames.uniq(df["plugin_toolchain"]),
        key=lambda t: (list(ctx.toolchains).index(t) if t in ctx.toolchains else 99, t),
    )
    rows = [
        {
            "id": tc,
            "gos": frames.toolchain_gos(df, tc),
            "about": ctx.toolchains.get(tc, {}).get("description", ""),
        }
        for tc in ids
    ]
    return render.page("toolchains/index.md.j2", "Toolchains", links=Links("toolchains/index.md"), rows=rows)

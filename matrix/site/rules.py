"""What decides a load, as the pages state it: the same-Go-release rule in numbers, what
was measured of kustomize built as official releases are (without cgo), and why nothing
loaded into a release (the releases newer than the one the site targets)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from matrix.site import frames
from matrix.site.context import Context


def newer_than_target(df: pd.DataFrame, ctx: Context, target: str | None) -> list[dict[str, Any]]:
    """The releases newer than `target`, each with why it is not the target (its outcomes
    and the first line of the most common text that explains them)."""
    rels = frames.releases_in(df, ctx)
    newer = rels[rels.index(target) + 1 :] if target in rels else rels
    return [{"release": r, **why_not_loaded(df[df["host_release"] == r])} for r in newer]


def why_not_loaded(d: pd.DataFrame) -> dict[str, Any]:
    """What happened to cells where nothing loaded: per outcome, how many and the most
    common first line of what explains it, with example cells."""
    out: list[dict[str, Any]] = []
    for outcome in ("fails", "build-failed", "skipped", "not-run", "harness-error"):
        o = d[d["outcome"] == outcome]
        if o.empty:
            continue
        text = o["error"].where(o["error"] != "", o["reason"]).map(frames.short_error)
        top = text.value_counts()
        out.append(
            {
                "outcome": outcome,
                "cells": len(o),
                "why": str(top.index[0]) if len(top) else "",
                "examples": [str(c) for c in o.loc[text == top.index[0], "cell"][:3]] if len(top) else [],
            }
        )
    return {"loads": frames.count(d, "loads"), "cells": len(d), "outcomes": out}


SAME_GO, OTHER_PATCH, OTHER_MINOR = "same Go release", "same minor, other patch", "another minor"
GO_RELATIONS = {  # how the plugin's Go release relates to kustomize's, and what that means
    SAME_GO: "the same go1.X.Y on both sides",
    OTHER_PATCH: "the same go1.X, another patch release",
    OTHER_MINOR: "another go1.X",
}


def go_relation(host: str, plugin: str) -> str:
    """SAME_GO, OTHER_PATCH or OTHER_MINOR for two exact Go releases (go1.X.Y)."""
    if host == plugin:
        return SAME_GO
    h, p = frames.version_key(host)[:2], frames.version_key(plugin)[:2]
    return OTHER_PATCH if h == p and len(h) == 2 else OTHER_MINOR


def no_cgo_variants(ctx: Context) -> list[str]:
    """The host build variants without cgo (CGO_ENABLED=0: how official releases are built)."""
    return [v for v, d in ctx.variants.items() if str((d.get("env") or {}).get("CGO_ENABLED")) == "0"]


def official_cells(df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Cells whose kustomize was built without cgo and the plugin load was tried."""
    d = df[df["host_variant"].isin(no_cgo_variants(ctx))]
    return frames.tried(d).sort_values("cell")


def go_rule(df: pd.DataFrame) -> dict[str, Any]:
    """The same-Go-release rule in numbers, over the baseline cells tried: per relation of
    the plugin's Go release to kustomize's (GO_RELATIONS), cells, loads, fails and
    example cells; and how many of all failures the other releases account for."""
    b = frames.tried(frames.baseline(df))
    rel = pd.Series(
        [
            go_relation(h, p)
            for h, p in zip(frames.go_column(b, "host"), frames.go_column(b, "plugin"), strict=True)
        ],
        index=b.index,
        dtype="str",
    )
    out: dict[str, Any] = {"relations": [], "fails": frames.count(df, "fails")}
    for r in GO_RELATIONS:
        d = b[rel == r]
        if d.empty:
            continue
        ok = d[d["outcome"] == "loads"]
        bad = d[d["outcome"] == "fails"]
        out["relations"].append(
            {
                "relation": r,
                "meaning": GO_RELATIONS[r],
                "cells": len(d),
                "loads": len(ok),
                "fails": len(bad),
                "examples": [str(c) for c in (ok if r == SAME_GO else bad)["cell"][:3]],
            }
        )
    other = b[rel != SAME_GO]
    out["other"] = len(other)
    out["other_loads"] = frames.count(other, "loads")
    out["other_fails"] = frames.count(other, "fails")
    out["same"] = int((rel == SAME_GO).sum())
    out["same_loads"] = frames.count(b[rel == SAME_GO], "loads")
    out["patch_measured"] = bool((rel == OTHER_PATCH).any())
    return out

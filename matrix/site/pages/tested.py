"""Tested build configurations (releases/tested.md), in the manner of TensorFlow's: per
platform, a row per kustomize release with its api and kyaml, the minimum Go its go.mod
asks for, the Go releases a plugin loaded with (the same on both sides), the Go releases
that could not build it, the C compiler, the libc, when it was measured and its cells."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from matrix.site import frames, links, render, rules
from matrix.site.context import NATIVE, Context
from matrix.site.links import Links
from matrix.site.render import clip

_CC = re.compile(r"(?:^| )CC=(\S+)")
COLUMNS = [
    "cell",
    "outcome",
    "host_release",
    "host_api",
    "host_kyaml",
    "host_go",
    "plugin_go",
    "host_toolchain",
    "plugin_toolchain",
    "host_variant",
    "plugin_variant",
    "plugin_pins",
    "host_platform",
    "plugin_platform",
    "host_build_status",
    "host_build_env",
    "runner_libc",
    "recorded_at",
    "error",
    "reason",
]


def _gos(d: pd.DataFrame) -> list[str]:
    return sorted(frames.uniq(frames.go_column(d, "host")), key=frames.version_key)


def _row(d: pd.DataFrame, ctx: Context, rel: str) -> dict[str, Any]:
    """One release on one platform (`d`: its cells built and loaded on that platform)."""
    base = d[
        (d["host_variant"] == "default") & (d["plugin_variant"] == "default") & (d["plugin_pins"] == "host")
    ]
    ok = base[(base["outcome"] == "loads") & (base["host_go"] == base["plugin_go"])]
    broke = base[base["host_build_status"] == "failed"]
    meta = ctx.releases.get(rel, {})
    cc = sorted({m.group(1) for e in frames.uniq(ok["host_build_env"]) if (m := _CC.search(str(e)))})
    return {
        "release": rel,
        "api": meta.get("api") or (str(d["host_api"].iloc[0]) if not d.empty else ""),
        "kyaml": meta.get("kyaml") or (str(d["host_kyaml"].iloc[0]) if not d.empty else ""),
        "min_go": ctx.min_go(rel),
        "loaded": [(g, str(ok.loc[frames.go_column(ok, "host") == g, "cell"].iloc[0])) for g in _gos(ok)],
        "broke": [
            (g, str(broke.loc[frames.go_column(broke, "host") == g, "cell"].iloc[0])) for g in _gos(broke)
        ],
        "cc": ", ".join(cc),
        "libc": ", ".join(sorted(x for x in frames.uniq(ok["runner_libc"]) if x)),
        "date": str(d["recorded_at"].max())[:10] if not d.empty else "",
        "cells": len(d),
        "why": "" if not ok.empty else _why(d),
    }


def _why(d: pd.DataFrame) -> str:
    w = rules.why_not_loaded(d)
    return "; ".join(f"{o['cells']} {o['outcome']}: {clip(o['why'], 70)}" for o in w["outcomes"][:2])


def platform_rows(df: pd.DataFrame, ctx: Context) -> list[tuple[str, list[dict[str, Any]]]]:
    """(platform, rows newest release first) for each platform kustomize and the plugin
    were both built for (linux/amd64 first)."""
    same = df[df["host_platform"] == df["plugin_platform"]]
    plats = sorted(frames.uniq(same["host_platform"]), key=lambda p: (p != NATIVE, p))
    out = []
    for plat in plats:
        d = same[same["host_platform"] == plat]
        rows = [_row(d[d["host_release"] == rel], ctx, rel) for rel in reversed(frames.releases_in(d, ctx))]
        out.append((plat, rows))
    return out


def page(df: pd.DataFrame, ctx: Context) -> str:
    d = df[[c for c in COLUMNS if c in df.columns]]
    return render.page(
        "releases/tested.md.j2",
        "Tested build configurations",
        description="Which kustomize releases, Go releases, C compilers and C libraries were measured to load Go plugins",
        hide=("navigation",),
        links=Links(links.TESTED_SRC),
        platforms=platform_rows(d, ctx) if not d.empty else [],
        runs=platform_runners(df, ctx),
    )


def platform_runners(df: pd.DataFrame, ctx: Context) -> dict[str, Any]:
    """What `platform_rows` does not say: the platforms in the grid but never run here."""
    have = frames.uniq(df["host_platform"]) if not df.empty else set()
    return {
        "not_here": [
            (p, str(v.get("runner", "")))
            for p, v in ctx.platforms.items()
            if p not in have or not (df[df["host_platform"] == p]["outcome"].isin(frames.TRIED)).any()
        ]
    }

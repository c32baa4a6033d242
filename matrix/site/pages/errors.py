"""The error catalog: a stable page per error class (errors/<slug>.md) with its cause, fix,
the raw messages observed and how to reproduce them; the index; redirects for renamed
classes."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from matrix.core.catalog import UNKNOWN
from matrix.site import frames, render
from matrix.site.context import Context, ErrorClass
from matrix.site.links import Links, error_src
from matrix.site.pages import cells

ERROR_PAGE_COLUMNS = list(
    dict.fromkeys(
        [
            *frames.CELL_TABLE_COLUMNS,
            "recorded_at",
            "package",
            "host_build_env",
            "host_build_command",
            "plugin_build_env",
            "plugin_build_command",
            "load_command",
        ]
    )
)


def prose(text: str) -> list[list[tuple[bool, str]]]:
    """Catalog prose (project-written, still escaped): its paragraphs, each a list of
    (is a `code` span, text) pieces."""
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        pieces = re.split(r"(`[^`]+`)", para)
        out.append(
            [
                (True, p[1:-1]) if p.startswith("`") and p.endswith("`") and len(p) > 1 else (False, p)
                for p in pieces
                if p
            ]
        )
    return out


def _seen(d: pd.DataFrame, ctx: Context, here: Links) -> dict[str, Any] | None:
    """What the page says of the cells `d` of one class (None: none)."""
    if d.empty:
        return None
    r = d.iloc[0]
    commands = [
        (label, f"{r[env]} {r[cmd]}")
        for label, env, cmd in (
            ("host", "host_build_env", "host_build_command"),
            ("plugin", "plugin_build_env", "plugin_build_command"),
        )
        if r[cmd]
    ]
    if r["load_command"]:
        commands.append(("load", r["load_command"]))
    capped = len(d) > frames.TABLE_CAP
    per = d["host_release"].value_counts() if capped else None
    return {
        "cells": len(d),
        "first": d["recorded_at"].min(),
        "last": d["recorded_at"].max(),
        "packages": sorted(p for p in frames.uniq(d["package"]) if p),
        "messages": frames.observed_messages(d)[:20],
        "cell": str(r["cell"]),
        "commands": commands,
        "per_release": [(rel, int(per[rel])) for rel in reversed(frames.releases_in(d, ctx))]
        if per is not None
        else [],
        "table": cells.cells_table(d, ctx, here, limit=frames.TABLE_CAP if capped else None),
    }


def page(df: pd.DataFrame, ctx: Context, c: ErrorClass) -> str:
    here = Links(error_src(c.slug))
    d = df.loc[df["class"] == c.slug, [x for x in ERROR_PAGE_COLUMNS if x in df.columns]]
    related = []
    for s in c.related:
        other = ctx.cls(s)
        related.append((s, other.title if other else ""))
    return render.page(
        "errors/error.md.j2",
        c.title,
        description=f"kustomize Go plugin error: {c.title}",
        links=here,
        ctx=ctx,
        c=c,
        cause=prose(c.cause) if c.cause else [],
        fix=prose(c.fix) if c.fix else [],
        seen=_seen(d, ctx, here),
        related=related,
        cap=frames.TABLE_CAP,
    )


def index_page(df: pd.DataFrame, ctx: Context) -> str:
    by = df.groupby("class", sort=False)["recorded_at"].agg(["size", "max"]) if not df.empty else None
    seen = {str(k): (int(v["size"]), str(v["max"])) for k, v in by.iterrows()} if by is not None else {}
    stages: dict[str, list[dict[str, Any]]] = {}
    for c in ctx.classes:
        n, last = seen.get(c.slug, (0, ""))
        stages.setdefault(c.stage or "other", []).append(
            {"title": c.title, "slug": c.slug, "cells": n, "last": last}
        )
    unk = df[(df["outcome"].isin(["fails", "build-failed"])) & (df["class"].isin(["", UNKNOWN]))]
    return render.page(
        "errors/index.md.j2",
        "Error catalog",
        links=Links("errors/index.md"),
        stages=[(stage.capitalize(), rows) for stage, rows in stages.items()],
        unclassified_cells=len(unk),
        unclassified=frames.observed_messages(unk.assign(error=unk["error"].map(frames.first_line)))
        if not unk.empty
        else [],
    )


def redirect_page(old: str, new: str) -> str:
    """A renamed class keeps its old URL: a page pointing (and redirecting) to the new one."""
    return render.page("errors/redirect.md.j2", f"Moved: {old}", links=Links(error_src(old)), new=new)

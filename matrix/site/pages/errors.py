"""The error catalog: a stable page per error class (errors/<slug>.md) with its cause, fix,
the raw messages observed and how to reproduce them; the index; redirects for renamed
classes."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from matrix.core.catalog import UNKNOWN
from matrix.site import causes, frames, links, render
from matrix.site.context import PACKAGE_MISMATCH, Context, ErrorClass
from matrix.site.links import Links, error_src
from matrix.site.pages import cells
from matrix.site.pages.releases import command_lines

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
            "package_module",
            "package_host_version",
            "package_plugin_version",
            "host_toolchain",
            "plugin_toolchain",
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


def _seen(
    d: pd.DataFrame, ctx: Context, here: Links, slug: str, pages: frozenset[str]
) -> dict[str, Any] | None:
    """What the page says of the cells `d` of one class (None: none)."""
    if d.empty:
        return None
    r = d.iloc[0]
    commands = [
        (label, command_lines(str(r[env]), str(r[cmd])))
        for label, env, cmd in (
            ("kustomize", "host_build_env", "host_build_command"),
            ("plugin", "plugin_build_env", "plugin_build_command"),
        )
        if r[cmd]
    ]
    if r["load_command"]:
        commands.append(("load", str(r["load_command"])))
    capped = len(d) > frames.TABLE_CAP
    per = d["host_release"].value_counts() if capped else None
    seen = ctx.seen("classes", slug)
    mismatch = causes.mismatch_rows(d, ctx, pages) if slug == PACKAGE_MISMATCH else []
    other = causes.cause_rows(d, ctx, pages) if not mismatch else []
    kinds = {row["cause"]["what"] for row in mismatch} | {x["what"] for g in other for x in g["diffs"]}
    return {
        "cells": len(d),
        "first": seen.get("first_seen") or d["recorded_at"].min(),
        "last": seen.get("last_seen") or d["recorded_at"].max(),
        "from_history": bool(seen),
        "mismatch": mismatch,
        "causes": other,
        "axes": causes.axis_links(sorted(kinds)),
        "packages": sorted(p for p in frames.uniq(d["package"]) if p),
        "messages": frames.observed_messages(d)[:20],
        "cell": str(r["cell"]),
        "commands": commands,
        "per_release": [(rel, int(per[rel])) for rel in reversed(frames.releases_in(d, ctx))]
        if per is not None
        else [],
        "table": cells.cells_table(d, ctx, here, limit=frames.TABLE_CAP if capped else None),
    }


def public_texts(ctx: Context, slug: str) -> list[dict[str, Any]]:
    """Public reports of this class (the corpus): text (first lines), project, source."""
    out = []
    for t in ctx.corpus.get(slug, []):
        lines = t["text"].splitlines()
        text = "\n".join(lines[:12]) + (
            "\n[... cut here; the whole text is at the source]" if len(lines) > 12 else ""
        )
        out.append({"text": text, "project": t["project"], "source": links.external(t["source"])})
    return out


def page(df: pd.DataFrame, ctx: Context, c: ErrorClass) -> str:
    here = Links(error_src(c.slug))
    d = df.loc[df["class"] == c.slug, [x for x in ERROR_PAGE_COLUMNS if x in df.columns]]
    related = []
    for s in c.related:
        other = ctx.error_class(s)
        related.append((s, other.title if other else ""))
    recipe = frames.newest_with_recipe(df, ctx)
    return render.page(
        "errors/error.md.j2",
        c.title,
        description=f"kustomize Go plugin error: {c.title}",
        hide=("navigation",),
        links=here,
        ctx=ctx,
        c=c,
        cause=prose(c.cause) if c.cause else [],
        fix=prose(c.fix) if c.fix else [],
        seen=_seen(d, ctx, here, c.slug, frozenset(frames.variant_rows(df, ctx))),
        related=related,
        cap=frames.TABLE_CAP,
        examples=list(c.examples),
        public=public_texts(ctx, c.slug),
        mismatch_class=c.slug == PACKAGE_MISMATCH,
        recipe=recipe,
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
        accuracy=accuracy_rows(ctx),
        corpus_url=f"{links.REPOSITORY_URL}/tree/main/tests/corpus",
        unclassified_cells=len(unk),
        unclassified=frames.observed_messages(unk.assign(error=unk["error"].map(frames.first_line)))
        if not unk.empty
        else [],
    )


def accuracy_rows(ctx: Context) -> dict[str, Any] | None:
    """The corpus accuracy for the index: overall per split, retired heldout parts, and one
    row per labelled class (catalog order, `unknown` last)."""
    doc = ctx.accuracy
    if not doc:
        return None
    order = {c.slug: i for i, c in enumerate(ctx.classes)}
    titles = {c.slug: c.title for c in ctx.classes}
    classes = doc.get("classes", {})
    rows = [
        {
            "slug": slug,
            "title": titles.get(slug, slug),
            **{k: classes[slug].get(k) for k in ("tune", "heldout")},
            "all": {k: classes[slug].get(k) for k in ("n", "correct", "accuracy")},
        }
        for slug in sorted(classes, key=lambda s: (s == UNKNOWN, order.get(s, len(order)), s))
    ]
    return {
        "overall": doc["overall"],
        "target": doc.get("heldout_target"),
        "retired": doc.get("retired_heldout", []),
        "words": doc.get("words_backtest"),
        "wrong": len(doc.get("wrong", [])),
        "rows": rows,
    }


def redirect_page(old: str, new: str) -> str:
    """A renamed class keeps its old URL: a page pointing (and redirecting) to the new one."""
    return render.page("errors/redirect.md.j2", f"Moved: {old}", links=Links(error_src(old)), new=new)

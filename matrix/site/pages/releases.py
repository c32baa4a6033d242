"""Recipes per kustomize release: a page per release (releases/<release>.md) with the
recipe copied from cells that loaded and what fails, their index, and the proof that a
recipe read from the host file is enough (releases/recipe-proof.md)."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pandas as pd
from markupsafe import Markup

from matrix.site import frames, links, pictures, render, rules
from matrix.site.context import Context
from matrix.site.heatmap import Grid
from matrix.site.links import RECIPE_PROOF_SRC, Links, release_src


def recipe_proof(d: pd.DataFrame) -> dict[str, Any]:
    """The plugins built by `plugin-matrix build-plugin --for HOST`, one per host, and
    whether each loaded: the proof that the recipe read from a host file is enough."""
    r = d[d["plugin_pins"] == "recipe"].sort_values(
        ["host_release", "host_go", "host_variant", "host_platform", "cell"]
    )
    able = r[r["outcome"].isin(["loads", "fails"])]
    loaded = int((able["outcome"] == "loads").sum())
    rows = []
    for row in r.itertuples(index=False):
        flags = str(row.plugin_build_command).split("-buildmode=plugin", 1)[-1].split(" -o ")[0].strip()
        rows.append(
            {
                "release": row.host_release,
                "host_go": row.host_go,
                "host_variant": row.host_variant,
                "host_platform": row.host_platform,
                "outcome": str(row.outcome),
                "flags": flags,
                "cell": str(row.cell),
                "why": frames.first_line(row.reason or row.error or "") if row.outcome != "loads" else "",
            }
        )
    return {
        "rows": rows,
        "loaded": loaded,
        "able": len(able),
        "untried": len(r) - len(able),
        "pct": f"{100 * loaded / len(able):.0f}%" if len(able) else "n/a",
    }


def recipe_proof_page(df: pd.DataFrame) -> str:
    return render.page(
        "releases/proof.md.j2",
        "Recipes read from the host: the proof",
        links=Links(RECIPE_PROOF_SRC),
        p=recipe_proof(df),
    )


def plugin_path(stderr: str) -> str:
    m = re.search(r"Attempting plugin load from '([^']+)'", stderr)
    return m.group(1) if m else ""


_PLACEHOLDER = re.compile(r"^\$[A-Z_]+(/[A-Za-z0-9_./-]*)?$")  # $WORK/plugin.so: left to expand


def _quote(word: str) -> str:
    return word if _PLACEHOLDER.match(word) else shlex.quote(word)


def command_lines(env: str, command: str) -> str:
    """An environment and a command as a shell snippet to copy: one variable per line, and
    a long command's flags each on a line of their own (nothing is cut)."""
    try:
        words, argv = shlex.split(env), shlex.split(command)
    except ValueError:  # not shell words: show it as it is
        return f"{env} {command}".strip()
    lines = [f"{k}={_quote(v)}" for k, _, v in (w.partition("=") for w in words)]
    if len(command) > 60 and len(argv) > 3:
        head = [_quote(a) for a in argv[:2]]
        rest: list[str] = []
        for a in argv[2:]:
            if a.startswith("-") or not rest:
                rest.append(_quote(a))
            else:
                rest[-1] += " " + _quote(a)
        cmd = " ".join(head) + " \\\n    " + " \\\n    ".join(rest)
    else:
        cmd = " ".join(_quote(a) for a in argv)
    if not lines:
        return cmd
    return "env " + " \\\n    ".join(lines) + " \\\n  " + cmd


def _recipes(ok: pd.DataFrame) -> list[dict[str, Any]]:
    """Per Go release that built both sides of a cell that loaded: that cell's recipe."""
    out = []
    for go, g in ok.groupby("host_go", sort=True):
        same = g[g["plugin_go"] == go]
        if same.empty:
            continue
        r = same.iloc[0]
        out.append(
            {
                "go": go,
                "cells": [str(c) for c in same["cell"]],
                "host_go_mod": r["host_go_mod"],
                "host_command": command_lines(str(r["host_build_env"]), str(r["host_build_command"])),
                "plugin_api": r["plugin_api"],
                "plugin_kyaml": r["plugin_kyaml"],
                "plugin_name": r["plugin_name"],
                "plugin_go_mod": r["plugin_go_mod"],
                "plugin_command": command_lines(str(r["plugin_build_env"]), str(r["plugin_build_command"])),
                "path": plugin_path(str(r["stderr"])),
                "load_command": r["load_command"],
            }
        )
    return out


def matched_flags(df: pd.DataFrame, ctx: Context, release: str) -> list[dict[str, Any]]:
    """What each build variant does when both sides, or only one, use it (measured
    against the reference release only)."""
    if ctx.reference.get("release") != release:
        return []
    out = []
    for v, res in frames.variant_rows(df, ctx).items():
        sides = [res.get(k) for k in ("host", "plugin", "both")]
        out.append(
            {
                "variant": v,
                "desc": frames.variant_desc(ctx, v),
                "sides": [
                    None if r is None else {"outcome": r["outcome_b"], "cell": str(r["cell_b"])}
                    for r in sides
                ],
            }
        )
    return out


def failures(d: pd.DataFrame) -> list[dict[str, Any]]:
    """What did not load, grouped by outcome and error class (else first line)."""
    bad = d[d["outcome"] != "loads"]
    if bad.empty:
        return []
    hgo = bad["host_go"].where(bad["host_go"] != "", bad["host_toolchain"])
    pgo = bad["plugin_go"].where(bad["plugin_go"] != "", bad["plugin_toolchain"])
    bad = bad.assign(
        key=bad["class"].where(bad["class"] != "", bad["error"].map(frames.first_line)),
        pair=hgo + " ← " + pgo,
        variants=bad["host_variant"] + "/" + bad["plugin_variant"] + "/" + bad["plugin_pins"],
    )
    out = []
    for (outcome, key), g in bad.groupby(["outcome", "key"], sort=True):
        out.append(
            {
                "outcome": outcome,
                "error_class": str(g["class"].iloc[0]),
                "key": key,
                "cells": [str(c) for c in g["cell"]],
                "pairs": ", ".join(sorted(frames.uniq(g["pair"]))),
                "variants": ", ".join(sorted(frames.uniq(g["variants"]))),
            }
        )
    return out


def _source(ctx: Context, release: str) -> Markup | str:
    """The web address of the go.mod a release's minimum Go was read from ("": none)."""
    src = ctx.release_go.get(release, {}).get("source", "")
    return links.external(src) if src.startswith("https://") else ""


def release_page(df: pd.DataFrame, ctx: Context, release: str, picture: Grid | None = None) -> str:
    d = df[df["host_release"] == release]
    meta = ctx.releases.get(release, {})
    ok = frames.recipe_cells(d, release)
    official = rules.official_cells(df, ctx)
    here = Links(release_src(release))
    return render.page(
        "releases/release.md.j2",
        f"kustomize {release}",
        description=f"How to build a Go plugin that loads into kustomize {release}",
        links=here,
        ctx=ctx,
        release=release,
        min_go=ctx.min_go(release),
        min_go_source=_source(ctx, release),
        figure=pictures.figure(picture, here, pictures.release_id(release)) if picture is not None else None,
        why=rules.why_not_loaded(d) if ok.empty else None,
        api=meta.get("api") or (d["host_api"].iloc[0] if not d.empty else "?"),
        kyaml=meta.get("kyaml") or (d["host_kyaml"].iloc[0] if not d.empty else "?"),
        cells=len(d),
        loads=frames.count(d, "loads"),
        fails=frames.count(d, "fails"),
        official={
            "cells": [str(c) for c in official["cell"]],
            "flags": frames.variant_desc(ctx, str(official["host_variant"].iloc[0])),
            "loads": frames.count(official, "loads"),
        }
        if not ok.empty and not official.empty
        else None,
        recipes=_recipes(ok),
        flags=matched_flags(df, ctx, release) if not ok.empty else [],
        proof_rows=recipe_proof(d) if (d["plugin_pins"] == "recipe").any() else None,
        failures=failures(d),
    )


def index_page(df: pd.DataFrame, ctx: Context) -> str:
    rows = []
    for rel in reversed(frames.releases_in(df, ctx)):
        d = df.loc[
            df["host_release"] == rel,
            [
                "host_release",
                "host_api",
                "host_kyaml",
                "outcome",
                "host_go",
                "plugin_go",
                "plugin_name",
                "cell",
                "host_variant",
                "plugin_variant",
                "plugin_pins",
                "host_platform",
                "plugin_platform",
            ],
        ]
        ok = frames.recipe_cells(d, rel)
        rows.append(
            {
                "release": rel,
                "api": d["host_api"].iloc[0],
                "kyaml": d["host_kyaml"].iloc[0],
                "loads": frames.count(d, "loads"),
                "fails": frames.count(d, "fails"),
                "gos": ", ".join(sorted(frames.uniq(ok[ok["host_go"] == ok["plugin_go"]]["host_go"]))),
            }
        )
    return render.page(
        "releases/index.md.j2", "Recipes per kustomize release", links=Links("releases/index.md"), rows=rows
    )

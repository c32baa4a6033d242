"""What the pages read of the frame of cells: shared selections, counts and pairs.

Pure functions of a frame (and the Context): no markup here. Pages never hold a row per
cell of the whole dataset; the tables of cells are split per release and other lists of
cells are capped (TABLE_CAP; the downloads have everything).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from matrix.dataset import frame as dataset
from matrix.dataset.pairs import isolating_pairs
from matrix.site.context import NATIVE, Context

TABLE_CAP = 200  # rows of a list of cells on a page that is not a table of cells
TRIED = ["loads", "fails"]

# A table of cells: its columns (title, key), what they are read from, and its order. A
# column's key names it in a link's query: ?host-go=go1.26.8&pins=host keeps the rows
# whose column is exactly that (docs/javascripts/tables.js; `go=same|other` compares the
# two Go columns). The heatmaps link their squares so.
TABLE_KEYS = [
    ("cell", "cell"),
    ("outcome", "outcome"),
    ("kustomize", "kustomize"),
    ("host Go", "host-go"),
    ("plugin Go", "plugin-go"),
    ("plugin", "plugin"),
    ("host flags", "host-flags"),
    ("plugin flags", "plugin-flags"),
    ("pins", "pins"),
    ("platform", "platform"),
    ("class", "class"),
    ("package", "package"),
    ("doctor", "doctor"),
    ("error", "error"),
]
CELL_TABLE_HEADER = [t for t, _ in TABLE_KEYS]
FILTER_KEYS = [
    "kustomize",
    "host-go",
    "plugin-go",
    "plugin",
    "host-flags",
    "plugin-flags",
    "pins",
    "platform",
]
CELL_TABLE_COLUMNS = [
    "cell",
    "outcome",
    "host_release",
    "host_go",
    "host_toolchain",
    "plugin_go",
    "plugin_toolchain",
    "plugin_name",
    "plugin_mechanism",
    "plugin_scenario",
    "host_variant",
    "plugin_variant",
    "plugin_pins",
    "host_platform",
    "plugin_platform",
    "class",
    "package",
    "doctor_prediction",
    "doctor_error",
    "error",
    "disagreement",
]
CELL_ORDER = [
    "host_release",
    "host_toolchain",
    "plugin_toolchain",
    "plugin_name",
    "host_variant",
    "plugin_variant",
    "plugin_pins",
    "cell",
]
TABLE_ROW = "table_row"  # an optional column: each cell's row of its release's table, as HTML

CELL_COLUMNS = [c for c in dataset.COLUMNS if c not in dataset.HEAVY]
# What the pages other than the cells' sections and table rows read of the frame.
PAGE_COLUMNS = [
    c
    for c in CELL_COLUMNS
    if c
    not in (
        "inputs",
        "host_module",
        "host_flags",
        "plugin_flags",
        "plugin_build_status",
        "host_sha256",
        "plugin_sha256",
        "exit_code",
        "signal",
        "timed_out",
        "seen",
        "load_duration_s",
        "truncated",
        "doctor_message",
        "doctor_link",
        "doctor_evidence",
        "emulator_version",
        "emulator_kind",
        "sandbox",
        "native",
        "plugin_kind",
        "observations",
    )
]
# Columns the pairs of cells carry (suffixed _a and _b): what the pages show of them.
PAIR_COLUMNS = list(
    dict.fromkeys(
        [*dataset.KEY_COLUMNS, "cell", "outcome", "class", "package", "error", "host_go", "plugin_go"]
    )
)


def records(df: pd.DataFrame, columns: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
    """Rows as dicts (column names like `class` kept), a column at a time: fast."""
    cols = list(columns) if columns is not None else list(df.columns)
    for t in zip(*(df[c].tolist() for c in cols), strict=True):
        yield dict(zip(cols, t, strict=True))


def first_line(text: Any) -> str:
    for ln in str(text).splitlines():
        if ln.strip():
            return ln.strip()
    return ""


_POSITION = re.compile(r"^\S+\.go:\d+(?::\d+)?: ")  # a Go compiler message's file:line:col


def short_error(text: Any) -> str:
    """The first line of an error text that says something (not a `# package` header of
    go build), without a compiler message's file position."""
    for ln in str(text).splitlines():
        ln = ln.strip()
        if ln and not ln.startswith("# "):
            return _POSITION.sub("", ln)
    return first_line(text)


_OPEN = re.compile(r'plugin\.Open\("[^"]*"\): (.+)$')


def gist(text: Any) -> str:
    """What an error says, without kustomize's wrappers: the text after `plugin.Open(...): `
    when there is one, else short_error."""
    for ln in str(text).splitlines():
        m = _OPEN.search(ln)
        if m:
            return m.group(1).strip()
    return short_error(text)


def plugin_label(name: Any, mechanism: Any) -> str:
    """A plugin as tables show it: its name, and its mechanism when it is not a Go plugin
    ("generator (exec)"), so a filter on the Go plugin never picks the exec program."""
    m = str(mechanism or "go-plugin")
    return str(name) if m == "go-plugin" else f"{name} ({m})"


def kind_of(mechanism: Any, scenario: Any) -> str:
    """What a row of a table of cells is, for filters: a scenario cell, else its mechanism."""
    return "scenario" if scenario else str(mechanism or "go-plugin")


def _mechanisms(df: pd.DataFrame) -> Any:
    return df["plugin_mechanism"] if "plugin_mechanism" in df.columns else ["go-plugin"] * len(df)


def go_plugins(df: pd.DataFrame) -> pd.DataFrame:
    """The sweep's Go plugin cells: what the matrix, recipes, axes, toolchains, checklists
    and pictures are about. Exec plugins and KRM functions have their own page (guides/
    mechanisms), scenario cells theirs (the error pages); counting them here would call an
    exec program's load a Go plugin load."""
    keep = pd.Series(True, index=df.index)
    if "plugin_mechanism" in df.columns:
        keep &= df["plugin_mechanism"].isin(["go-plugin", ""])
    if "plugin_scenario" in df.columns:
        keep &= df["plugin_scenario"] == ""
    return df if bool(keep.all()) else df[keep]


def uniq(col: pd.Series) -> set[Any]:
    """The distinct values of a column (fast: no Python loop over the rows)."""
    return set(col.unique().tolist())


def count(df: pd.DataFrame, outcome: str) -> int:
    return int((df["outcome"] == outcome).sum())


def tried(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["outcome"].isin(TRIED)]


def go_of(row: Any, side: str) -> str:
    return str(row[f"{side}_go"] or row[f"{side}_toolchain"])


def platform_of(row: Any) -> str:
    h, p = str(row["host_platform"]), str(row["plugin_platform"])
    return h if h == p else f"{h} ← {p}"


def releases_in(df: pd.DataFrame, ctx: Context) -> list[str]:
    """Releases with cells, oldest first (grid order; unknown ones sorted after)."""
    have = set(df["host_release"].unique().tolist()) if not df.empty else set()
    ordered = [r for r in ctx.releases if r in have]
    return ordered + sorted(have - set(ordered), key=version_key)


def version_key(v: str) -> tuple[int, ...]:
    """v5.10.2 or go1.26.8 as numbers, to sort versions."""
    return tuple(int(x) for x in re.findall(r"\d+", v))


def newest_release(df: pd.DataFrame, ctx: Context) -> str | None:
    rels = releases_in(df, ctx)
    return rels[-1] if rels else None


def newest_with_recipe(df: pd.DataFrame, ctx: Context) -> str | None:
    """The newest release with a recipe proven by a cell that loaded: the release the
    checklists and the home page target."""
    for rel in reversed(releases_in(df, ctx)):
        if not recipe_cells(df, rel).empty:
            return rel
    return None


def table_frame(df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """The text of each FILTER_KEYS column of the table of cells, for the rows of `df`."""
    variants = {v: variant_desc(ctx, v) for v in uniq(df["host_variant"]) | uniq(df["plugin_variant"])}
    hp, pp = df["host_platform"], df["plugin_platform"]
    return pd.DataFrame(
        {
            "kustomize": df["host_release"].to_numpy(),
            "host-go": df["host_go"].where(df["host_go"] != "", df["host_toolchain"]).to_numpy(),
            "plugin-go": df["plugin_go"].where(df["plugin_go"] != "", df["plugin_toolchain"]).to_numpy(),
            "plugin": [plugin_label(n, m) for n, m in zip(df["plugin_name"], _mechanisms(df), strict=True)],
            "host-flags": df["host_variant"].map(variants).to_numpy(),
            "plugin-flags": df["plugin_variant"].map(variants).to_numpy(),
            "pins": df["plugin_pins"].to_numpy(),
            "platform": hp.where(hp == pp, hp + " ← " + pp).to_numpy(),
        }
    )


def baseline(df: pd.DataFrame) -> pd.DataFrame:
    """Cells with every axis at its default: both sides plain, host pins, same platform."""
    return df[
        (df["host_variant"] == "default")
        & (df["plugin_variant"] == "default")
        & (df["plugin_pins"] == "host")
        & (df["host_platform"] == NATIVE)
        & (df["plugin_platform"] == NATIVE)
    ]


def recipe_cells(df: pd.DataFrame, release: str) -> pd.DataFrame:
    """Cells of `release` that really loaded with default builds and host pins."""
    d = baseline(df[df["host_release"] == release])
    return d[d["outcome"] == "loads"].sort_values(["host_go", "plugin_name", "cell"])


def outcome_counts(df: pd.DataFrame, by: str = "host_release") -> dict[str, tuple[int, int, int]]:
    """value of `by` -> (cells, loads, fails)."""
    if df.empty:
        return {}
    g = pd.DataFrame({"k": df[by], "ok": df["outcome"] == "loads", "bad": df["outcome"] == "fails"})
    agg = g.groupby("k", sort=False).agg(n=("ok", "size"), ok=("ok", "sum"), bad=("bad", "sum"))
    return {
        str(k): (int(r.n), int(r.ok), int(r.bad)) for k, r in zip(agg.index, agg.itertuples(), strict=True)
    }


def release_counts(df: pd.DataFrame, releases: Sequence[str]) -> list[dict[str, Any]]:
    """Per release: cells, loads, fails and not loaded (the rest)."""
    counts = outcome_counts(df)
    out = []
    for rel in releases:
        n, ok, bad = counts.get(rel, (0, 0, 0))
        out.append({"release": rel, "cells": n, "loads": ok, "fails": bad, "other": n - ok - bad})
    return out


def variant_desc(ctx: Context, name: str) -> str:
    """A build variant as the flags and environment it stands for ("default": none)."""
    v = ctx.variants.get(name, {})
    flags = " ".join(v.get("flags", []))
    env = " ".join(f"{k}={val}" for k, val in sorted(v.get("env", {}).items()))
    return " ".join(x for x in (env, flags) if x) or name


def go_column(df: pd.DataFrame, side: str) -> pd.Series:
    """A side's exact Go release (its toolchain's name when the release is unknown)."""
    return df[f"{side}_go"].where(df[f"{side}_go"] != "", df[f"{side}_toolchain"])


def toolchain_ids(df: pd.DataFrame) -> list[str]:
    return sorted(uniq(df["host_toolchain"]) | uniq(df["plugin_toolchain"]))


def toolchain_gos(df: pd.DataFrame, tc: str) -> list[str]:
    """The exact Go releases a toolchain id stood for."""
    return sorted(
        {
            g
            for g in uniq(df.loc[df["host_toolchain"] == tc, "host_go"])
            | uniq(df.loc[df["plugin_toolchain"] == tc, "plugin_go"])
            if g
        }
    )


def observed_messages(d: pd.DataFrame) -> list[tuple[str, int, list[str]]]:
    """Distinct error texts (newest Go paths vary: keep text as recorded), count, cells."""
    if d.empty:
        return []
    groups = d.groupby("error", sort=False)["cell"].agg(list)
    return sorted(
        ((str(t), len(c), [str(x) for x in c]) for t, c in groups.items()), key=lambda x: (-x[1], x[0])
    )


# ---------------------------------------------------------------- pairs, axes, variants


def ref_filter(ctx: Context) -> dict[str, str]:
    ref = ctx.reference
    out = {}
    if ref.get("release"):
        out["host_release"] = ref["release"]
    if ref.get("toolchain"):
        out["host_toolchain"] = ref["toolchain"]
    return out


_MEMO: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}


def _memo(df: pd.DataFrame, ctx: Context, key: Any, make: Any) -> Any:
    """make(), once per (frame, context, key) while both live: pages ask for the same pairs
    many times (still pure: same inputs, same result)."""
    k = (id(df), id(ctx), key)
    hit = _MEMO.get(k)
    if hit is not None and hit[0]() is df and hit[1]() is ctx:
        return hit[2]
    value = make()
    for old in [k2 for k2, v in _MEMO.items() if v[0]() is None or v[1]() is None]:
        del _MEMO[old]
    _MEMO[k] = (weakref.ref(df), weakref.ref(ctx), value)
    return value


def forget() -> None:
    """Drop what _memo keeps (at the end of a build)."""
    _MEMO.clear()


def pairs(df: pd.DataFrame, vary: list[str], reference: dict[str, str]) -> pd.DataFrame:
    """isolating_pairs over the PAIR_COLUMNS of `df`."""
    return isolating_pairs(df[[c for c in PAIR_COLUMNS if c in df.columns]], vary, reference)


def axis_pairs(df: pd.DataFrame, ctx: Context, axis: str) -> pd.DataFrame:
    """Isolating pairs for one axis: side a is the default, side b changes only the axis."""
    p: pd.DataFrame = _memo(df, ctx, ("axis", axis), lambda: _axis_pairs(df, ctx, axis))
    return p


def _axis_pairs(df: pd.DataFrame, ctx: Context, axis: str) -> pd.DataFrame:
    base = ref_filter(ctx)
    if axis == "host-variant":
        p = pairs(df, ["host_variant"], {**base, "host_variant": "default", "plugin_variant": "default"})
    elif axis == "plugin-variant":
        p = pairs(df, ["plugin_variant"], {**base, "plugin_variant": "default", "host_variant": "default"})
    elif axis == "matched-variant":
        p = pairs(
            df,
            ["host_variant", "plugin_variant"],
            {**base, "host_variant": "default", "plugin_variant": "default"},
        )
        p = p[p["host_variant_b"] == p["plugin_variant_b"]] if not p.empty else p
    elif axis == "pins":
        p = pairs(
            df,
            ["plugin_pins"],
            {**base, "plugin_pins": "host", "host_variant": "default", "plugin_variant": "default"},
        )
    elif axis == "platform":
        p = pairs(
            df,
            ["host_platform", "plugin_platform"],
            {**base, "host_platform": NATIVE, "plugin_platform": NATIVE},
        )
    else:
        raise ValueError(f"unknown axis {axis!r}")
    return p.reset_index(drop=True)


def variant_rows(df: pd.DataFrame, ctx: Context) -> dict[str, dict[str, Any]]:
    """variant -> {"host"|"plugin"|"both": pair row} at the reference cell."""
    rows: dict[str, dict[str, Any]] = _memo(df, ctx, "variants", lambda: _variant_rows(df, ctx))
    return rows


def _variant_rows(df: pd.DataFrame, ctx: Context) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    p = pairs(
        df,
        ["host_variant", "plugin_variant"],
        {
            **ref_filter(ctx),
            "host_variant": "default",
            "plugin_variant": "default",
            "plugin_pins": "host",
            "host_platform": NATIVE,
            "plugin_platform": NATIVE,
        },
    )
    if ctx.reference.get("plugin"):
        p = p[p["plugin_name_b"] == ctx.reference["plugin"]]
    for _, r in p.iterrows():
        hv, pv = str(r["host_variant_b"]), str(r["plugin_variant_b"])
        if hv != "default" and pv == "default":
            out.setdefault(hv, {})["host"] = r
        elif hv == "default" and pv != "default":
            out.setdefault(pv, {})["plugin"] = r
        elif hv == pv:
            out.setdefault(hv, {})["both"] = r
    order = list(ctx.variants)
    return dict(sorted(out.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0])))

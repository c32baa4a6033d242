"""Go plugin, exec plugin, KRM function: how often each loads, along each axis of the grid.

Pure functions of the frame (matrix.dataset.frame) that give the numbers of the
comparison guide: per mechanism, loads / attempts across kustomize releases, Go
releases, build flags, platforms and upgrades, each row with the cell ids behind it.

- An *attempt* is a cell whose load ran (outcome `loads` or `fails`); cells whose host
  or plugin did not build (`build-failed`) or that could not run here (`skipped`,
  `not-run`) are counted apart, with their ids in `other_cells`.
- Only sweep cells count (scenario cells show one error each and are listed by
  `scenarios`), and only plugins measured with every mechanism in the frame, so the
  mechanisms are compared on the same plugin logic.
- Lists of cell ids are `;`-joined text, like every list in the frame.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import pandas as pd

from matrix.dataset.frame import MECHANISMS

ATTEMPTED = ("loads", "fails")
NOT_RUN = ("skipped", "not-run", "harness-error")
COUNT_COLUMNS = [
    "loads",
    "attempts",
    "share",
    "fails",
    "build_failed",
    "not_run",
    "classes",
    "cells",
    "other_cells",
]
VARIANT_AXES = ("host-variant", "plugin-variant", "matched-variant")
DIMENSIONS = ("releases", "go", "flags", "platforms", "upgrades")


def version_key(v: str) -> tuple[int, ...]:
    """v5.8.2 -> (5, 8, 2); go1.26.8 -> (1, 26, 8): release order, not text order."""
    return tuple(int(n) for n in re.findall(r"\d+", v)) or (0,)


def _mech_order(m: str) -> int:
    return MECHANISMS.index(m) if m in MECHANISMS else len(MECHANISMS)


def sweep(df: pd.DataFrame) -> pd.DataFrame:
    """The sweep cells (no scenario) of the plugins measured with every mechanism of `df`."""
    d = df[df["plugin_scenario"] == ""]
    mechs = set(d["plugin_mechanism"])
    if not mechs:
        return d
    per = d.groupby("plugin_name")["plugin_mechanism"].agg(lambda s: set(s))
    keep = [p for p, ms in per.items() if ms >= mechs]
    return d[d["plugin_name"].isin(keep)]


def _has_axis(df: pd.DataFrame, *axes: str) -> pd.Series:
    wanted = set(axes)
    return pd.Series([bool(wanted & set(str(x).split(";"))) for x in df["axes"]], index=df.index, dtype=bool)


def _plain(df: pd.DataFrame) -> pd.Series:
    """Default build variants, host pins, the standard layout."""
    return (
        (df["host_variant"] == "default")
        & (df["plugin_variant"] == "default")
        & (df["plugin_pins"] == "host")
        & (df["load_mode"] == "standard")
    )


def count(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """loads / attempts per mechanism and `keys`, with the cells behind each number."""
    cols = ["mechanism", *keys, *COUNT_COLUMNS]
    if df.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for group, g in df.groupby(["plugin_mechanism", *keys], sort=False):
        vals = group if isinstance(group, tuple) else (group,)
        tried = g[g["outcome"].isin(ATTEMPTED)]
        loads = int((tried["outcome"] == "loads").sum())
        fails = tried[tried["outcome"] == "fails"]
        classes = fails["class"].where(fails["class"] != "", "unclassified").value_counts()
        rows.append(
            {
                "mechanism": vals[0],
                **dict(zip(keys, vals[1:], strict=True)),
                "loads": loads,
                "attempts": len(tried),
                "share": loads / len(tried) if len(tried) else float("nan"),
                "fails": len(fails),
                "build_failed": int((g["outcome"] == "build-failed").sum()),
                "not_run": int(g["outcome"].isin(NOT_RUN).sum()),
                "classes": ";".join(f"{c}:{n}" for c, n in sorted(classes.items())),
                "cells": ";".join(sorted(tried["cell"])),
                "other_cells": ";".join(sorted(g.loc[~g["outcome"].isin(ATTEMPTED), "cell"])),
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    return _sorted(out, keys)


def _sorted(out: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    def key(row: pd.Series) -> tuple[object, ...]:
        parts: list[object] = [_mech_order(str(row["mechanism"]))]
        for k in keys:
            v = row[k]
            parts.append(version_key(v) if isinstance(v, str) and k.endswith(("release", "go")) else v)
        return tuple(parts)

    if out.empty:
        return out.reset_index(drop=True)
    order = sorted(range(len(out)), key=lambda i: key(out.iloc[i]))
    return out.iloc[order].reset_index(drop=True)


def by_release(df: pd.DataFrame) -> pd.DataFrame:
    """Per kustomize release: baseline cells whose plugin was built for that release by
    the Go release that built kustomize, with default flags, on one platform."""
    d = sweep(df)
    d = d[
        _has_axis(d, "baseline")
        & _plain(d)
        & (d["host_release"] == d["plugin_release"])
        & (d["host_toolchain"] == d["plugin_toolchain"])
        & (d["host_platform"] == d["plugin_platform"])
    ]
    return count(d, ["host_release"])


def by_go(df: pd.DataFrame) -> pd.DataFrame:
    """Per (Go that built kustomize, Go that built the plugin), over every release."""
    d = sweep(df)
    d = d[
        _has_axis(d, "baseline")
        & _plain(d)
        & (d["host_release"] == d["plugin_release"])
        & (d["host_platform"] == d["plugin_platform"])
    ].copy()
    d["host_go"] = d["host_go"].where(d["host_go"] != "", d["host_toolchain"])
    d["plugin_go"] = d["plugin_go"].where(d["plugin_go"] != "", d["plugin_toolchain"])
    return count(d, ["host_go", "plugin_go"])


def _with_partners(
    d: pd.DataFrame, on: pd.Series, partner: Callable[[pd.DataFrame], pd.Series]
) -> pd.DataFrame:
    """The cells `on`, and the cells they are compared with: those matching `partner`
    with the same release, Go releases, plugin and mechanism as one of them."""
    if d.empty:
        return d
    picked = d[on]
    coords = [
        "host_release",
        "plugin_release",
        "host_toolchain",
        "plugin_toolchain",
        "plugin_name",
        "plugin_mechanism",
    ]
    base = d[partner(d) & ~on].merge(picked[coords].drop_duplicates(), on=coords)
    return pd.concat([picked, base], ignore_index=True).drop_duplicates("cell")


def by_flags(df: pd.DataFrame) -> pd.DataFrame:
    """Per (host variant, plugin variant): the variant axes' cells and their plain partners."""
    d = sweep(df)
    d = d[(d["host_platform"] == d["plugin_platform"]) & (d["plugin_pins"] == "host")]
    d = _with_partners(
        d,
        _has_axis(d, *VARIANT_AXES),
        lambda x: (
            (x["host_variant"] == "default") & (x["plugin_variant"] == "default") & _has_axis(x, "baseline")
        ),
    )
    return count(d, ["host_variant", "plugin_variant"])


def by_platform(df: pd.DataFrame) -> pd.DataFrame:
    """Per (host platform, plugin platform): the platform axis' cells and their native partners."""
    d = sweep(df)
    d = d[
        (d["host_variant"] == "default") & (d["plugin_variant"] == "default") & (d["plugin_pins"] == "host")
    ]
    d = _with_partners(
        d,
        _has_axis(d, "platform"),
        lambda x: (x["host_platform"] == x["plugin_platform"]) & _has_axis(x, "baseline"),
    )
    d = d[(d["host_release"] == d["plugin_release"]) & (d["host_toolchain"] == d["plugin_toolchain"])]
    return count(d, ["host_platform", "plugin_platform"])


def upgrades(df: pd.DataFrame) -> pd.DataFrame:
    """The upgrade axis' cells with what changed between the build and the load:
    `change` (release: the plugin was built for another kustomize release; go: by another
    Go release), `built_for`/`loaded_by` (the two releases) and `direction` (host newer:
    kustomize was upgraded under the plugin; host older: it was downgraded)."""
    d = sweep(df)
    d = d[_has_axis(d, "upgrade") & _plain(d)].copy()
    rel = d["host_release"] != d["plugin_release"]
    hgo = d["host_go"].where(d["host_go"] != "", d["host_toolchain"])
    pgo = d["plugin_go"].where(d["plugin_go"] != "", d["plugin_toolchain"])
    d["change"] = rel.map({True: "release", False: "go"})
    d["built_for"] = d["plugin_release"].where(rel, pgo)
    d["loaded_by"] = d["host_release"].where(rel, hgo)
    newer = [version_key(h) > version_key(p) for h, p in zip(d["loaded_by"], d["built_for"], strict=True)]
    d["direction"] = ["host newer" if n else "host older" for n in newer]
    return d


def by_upgrade(df: pd.DataFrame) -> pd.DataFrame:
    """Per (change, direction): does a plugin survive kustomize (or its Go) moving on?"""
    return count(upgrades(df), ["change", "direction"])


def upgrade_matrix(df: pd.DataFrame, change: str = "release") -> pd.DataFrame:
    """One row per (mechanism, built_for, loaded_by) of the upgrade cells of `change`
    (release | go): the survival matrix of each mechanism, long form."""
    d = upgrades(df)
    return count(d[d["change"] == change], ["built_for", "loaded_by", "direction"])


def summary(df: pd.DataFrame, dimensions: Iterable[str] = DIMENSIONS) -> pd.DataFrame:
    """Per mechanism and dimension (releases, go, flags, platforms, upgrades): the loads and
    attempts of that dimension's table, summed, with every cell behind them."""
    tables = {
        "releases": by_release,
        "go": by_go,
        "flags": by_flags,
        "platforms": by_platform,
        "upgrades": by_upgrade,
    }
    parts = []
    for dim in dimensions:
        t = tables[dim](df)
        if t.empty:
            continue
        t = t.assign(dimension=dim)
        parts.append(t)
    cols = ["mechanism", "dimension", *COUNT_COLUMNS]
    if not parts:
        return pd.DataFrame(columns=cols)
    all_rows = pd.concat(parts, ignore_index=True)
    rows = []
    for (mech, dim), g in all_rows.groupby(["mechanism", "dimension"], sort=False):
        loads, attempts = int(g["loads"].sum()), int(g["attempts"].sum())
        classes: dict[str, int] = {}
        for text in g["classes"]:
            for item in filter(None, str(text).split(";")):
                c, _, n = item.rpartition(":")
                classes[c] = classes.get(c, 0) + int(n)
        rows.append(
            {
                "mechanism": mech,
                "dimension": dim,
                "loads": loads,
                "attempts": attempts,
                "share": loads / attempts if attempts else float("nan"),
                "fails": int(g["fails"].sum()),
                "build_failed": int(g["build_failed"].sum()),
                "not_run": int(g["not_run"].sum()),
                "classes": ";".join(f"{c}:{n}" for c, n in sorted(classes.items())),
                "cells": _join(g["cells"]),
                "other_cells": _join(g["other_cells"]),
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    order = sorted(
        range(len(out)),
        key=lambda i: (
            _mech_order(str(out.iloc[i]["mechanism"])),
            list(DIMENSIONS).index(out.iloc[i]["dimension"]),
        ),
    )
    return out.iloc[order].reset_index(drop=True)


def _join(texts: Iterable[str]) -> str:
    return ";".join(sorted({c for t in texts for c in str(t).split(";") if c}))


def scenarios(df: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario cell: what it set up, with which mechanism, and what happened."""
    cols = ["scenario", "mechanism", "load_mode", "plugin_name", "outcome", "class", "error", "cell"]
    d = df[df["plugin_scenario"] != ""]
    out = pd.DataFrame(
        {
            "scenario": d["plugin_scenario"],
            "mechanism": d["plugin_mechanism"],
            "load_mode": d["load_mode"],
            "plugin_name": d["plugin_name"],
            "outcome": d["outcome"],
            "class": d["class"],
            "error": d["error"],
            "cell": d["cell"],
        },
        columns=cols,
    )
    if out.empty:
        return out.reset_index(drop=True)
    order = sorted(
        range(len(out)), key=lambda i: (out.iloc[i]["scenario"], _mech_order(out.iloc[i]["mechanism"]))
    )
    return out.iloc[order].reset_index(drop=True)

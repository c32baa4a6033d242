"""Heatmap pictures of the matrix (matplotlib, Agg backend: no display, no network).

A heatmap cell summarises the load cells that share its row and column: "2/3" means
two of the three that were loaded really loaded. Cells with nothing loaded (build
failed, skipped, not run) are grey and labelled by why. Output is deterministic for
the same frame (no dates or software versions embedded).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

# Colour-blind friendly ends (blue = loads, orange = fails), grey for "nothing loaded".
_CMAP = LinearSegmentedColormap.from_list("loads", ["#d95f02", "#f7f7f7", "#1b9e77"])
_GREY = "#bdbdbd"
_SHORT = {"build-failed": "build\nfailed", "skipped": "skipped", "not-run": "not run",
          "harness-error": "harness\nerror"}


@dataclass
class Grid:
    """What one picture shows: a label per cell plus the fraction that loaded (None: grey)."""
    title: str
    rows: list[str]
    cols: list[str]
    row_title: str
    col_title: str
    labels: list[list[str]]
    fractions: list[list[float | None]]


def summarise(cells: pd.DataFrame) -> tuple[str, float | None]:
    """Label and load fraction for the load cells behind one heatmap cell."""
    if cells.empty:
        return "", None
    tried = cells[cells["outcome"].isin(["loads", "fails"])]
    if tried.empty:
        top = cells["outcome"].value_counts().index[0]
        return _SHORT.get(str(top), str(top)), None
    ok = int((tried["outcome"] == "loads").sum())
    return f"{ok}/{len(tried)}", ok / len(tried)


def pivot(df: pd.DataFrame, row: str, col: str, title: str, row_title: str, col_title: str,
          rows: list[str] | None = None, cols: list[str] | None = None) -> Grid:
    rows = rows if rows is not None else sorted(df[row].unique().tolist())
    cols = cols if cols is not None else sorted(df[col].unique().tolist())
    labels, fracs = [], []
    for r in rows:
        lrow, frow = [], []
        for c in cols:
            lab, frac = summarise(df[(df[row] == r) & (df[col] == c)])
            lrow.append(lab)
            frow.append(frac)
        labels.append(lrow)
        fracs.append(frow)
    return Grid(title, rows, cols, row_title, col_title, labels, fracs)


def release_grid(df: pd.DataFrame, release: str) -> Grid:
    """Host Go x plugin Go for one kustomize release (baseline cells: default everything)."""
    d = df[(df["host_release"] == release) & df["axes"].str.contains("baseline")
           & (df["host_variant"] == "default") & (df["plugin_variant"] == "default")
           & (df["plugin_pins"] == "host") & (df["host_platform"] == df["plugin_platform"])]
    gos = sorted(set(d["host_go"]) | set(d["plugin_go"]))
    gos = [g for g in gos if g] or sorted(set(d["host_toolchain"]))
    hcol = "host_go" if any(d["host_go"]) else "host_toolchain"
    pcol = "plugin_go" if any(d["plugin_go"]) else "plugin_toolchain"
    return pivot(d, hcol, pcol, f"kustomize {release}: does the plugin load?",
                 "kustomize built with", "plugin built with", gos, gos)


def overview_grid(df: pd.DataFrame, releases: list[str]) -> Grid:
    """Kustomize release x (host Go -> plugin Go) pair, baseline cells only."""
    d = df[df["axes"].str.contains("baseline") & (df["host_variant"] == "default")
           & (df["plugin_variant"] == "default") & (df["plugin_pins"] == "host")].copy()
    d["pair"] = d["host_go"].where(d["host_go"] != "", d["host_toolchain"]) + " → " + \
        d["plugin_go"].where(d["plugin_go"] != "", d["plugin_toolchain"])
    pairs = sorted(d["pair"].unique().tolist(), key=lambda p: (p.split(" → ")[0] != p.split(" → ")[1], p))
    rels = [r for r in releases if r in set(d["host_release"])]
    return pivot(d, "host_release", "pair", "Does a plugin load? (kustomize Go → plugin Go)",
                 "kustomize release", "", rels, pairs)


def draw(g: Grid, fmt: str = "png") -> bytes:
    """The picture of one grid as PNG or SVG bytes."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"heatmap format must be png or svg, not {fmt!r}")
    nr, nc = max(len(g.rows), 1), max(len(g.cols), 1)
    fig, ax = plt.subplots(figsize=(1.6 + 1.15 * nc, 1.2 + 0.55 * nr), dpi=100)
    try:
        for i in range(len(g.rows)):
            for j in range(len(g.cols)):
                frac = g.fractions[i][j]
                color = _GREY if frac is None else _CMAP(frac)
                if not g.labels[i][j]:
                    color = "white"
                ax.add_patch(Rectangle((j, i), 1, 1, facecolor=color, edgecolor="white", lw=2))
                ax.text(j + 0.5, i + 0.5, g.labels[i][j], ha="center", va="center", fontsize=9,
                        color="black")
        ax.set_xlim(0, nc)
        ax.set_ylim(nr, 0)
        ax.set_xticks([j + 0.5 for j in range(len(g.cols))], g.cols, rotation=30 if nc > 3 else 0,
                      ha="right" if nc > 3 else "center", fontsize=9)
        ax.set_yticks([i + 0.5 for i in range(len(g.rows))], g.rows, fontsize=9)
        ax.set_xlabel(g.col_title)
        ax.set_ylabel(g.row_title)
        ax.set_title(g.title, fontsize=11)
        for s in ax.spines.values():
            s.set_visible(False)
        ax.tick_params(length=0)
        fig.tight_layout()
        buf = io.BytesIO()
        if fmt == "png":
            fig.savefig(buf, format="png", metadata={"Software": None})
        else:
            with plt.rc_context({"svg.hashsalt": "plugin-matrix"}):
                fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        return buf.getvalue()
    finally:
        plt.close(fig)

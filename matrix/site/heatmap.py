"""Heatmap pictures of the matrix (matplotlib, Agg backend: no display, no network).

A heatmap cell summarises the load cells that share its row and column: "2/3" means
two of the three that were loaded really loaded. Cells with nothing loaded (build
failed, skipped, not run) are grey and labelled by why. Output is deterministic for
the same frame (no dates or software versions embedded).
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.patches import Rectangle

# Colour-blind friendly ends (blue = loads, orange = fails), grey for "nothing loaded".
_CMAP = LinearSegmentedColormap.from_list("loads", ["#d95f02", "#f7f7f7", "#1b9e77"])
_GREY = "#bdbdbd"
_SHORT = {
    "build-failed": "build\nfailed",
    "skipped": "skipped",
    "not-run": "not run",
    "harness-error": "harness\nerror",
}


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
    counts: dict[str, int] = {}
    for o in cells["outcome"].tolist():
        counts[o] = counts.get(o, 0) + 1
    return _summary(counts)


def _summary(counts: dict[str, int]) -> tuple[str, float | None]:
    """summarise() from the count of each outcome (in order of first appearance)."""
    if not counts:
        return "", None
    tried = counts.get("loads", 0) + counts.get("fails", 0)
    if not tried:
        top = max(counts.items(), key=lambda kv: kv[1])[0]  # the first of the most common
        return _SHORT.get(str(top), str(top)), None
    ok = counts.get("loads", 0)
    return f"{ok}/{tried}", ok / tried


def pivot(
    df: pd.DataFrame,
    row: str,
    col: str,
    title: str,
    row_title: str,
    col_title: str,
    rows: list[str] | None = None,
    cols: list[str] | None = None,
) -> Grid:
    rows = rows if rows is not None else sorted(df[row].unique().tolist())
    cols = cols if cols is not None else sorted(df[col].unique().tolist())
    # one pass over the three columns (not one filter per square)
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for r, c, o in zip(df[row].tolist(), df[col].tolist(), df["outcome"].tolist(), strict=True):
        square = counts.setdefault((r, c), {})
        square[o] = square.get(o, 0) + 1
    labels, fracs = [], []
    for r in rows:
        lrow, frow = [], []
        for c in cols:
            lab, frac = _summary(counts.get((r, c), {}))
            lrow.append(lab)
            frow.append(frac)
        labels.append(lrow)
        fracs.append(frow)
    return Grid(title, rows, cols, row_title, col_title, labels, fracs)


def release_grid(df: pd.DataFrame, release: str) -> Grid:
    """Host Go x plugin Go for one kustomize release (baseline cells: default everything)."""
    d = df.loc[
        df["host_release"] == release,
        [
            "host_release",
            "host_go",
            "plugin_go",
            "host_toolchain",
            "plugin_toolchain",
            "axes",
            "host_variant",
            "plugin_variant",
            "plugin_pins",
            "host_platform",
            "plugin_platform",
            "outcome",
        ],
    ]
    d = d[
        d["axes"].str.contains("baseline")
        & (d["host_variant"] == "default")
        & (d["plugin_variant"] == "default")
        & (d["plugin_pins"] == "host")
        & (d["host_platform"] == d["plugin_platform"])
    ]
    gos = sorted(set(d["host_go"].unique().tolist()) | set(d["plugin_go"].unique().tolist()))
    gos = [g for g in gos if g] or sorted(d["host_toolchain"].unique().tolist())
    hcol = "host_go" if any(d["host_go"]) else "host_toolchain"
    pcol = "plugin_go" if any(d["plugin_go"]) else "plugin_toolchain"
    return pivot(
        d,
        hcol,
        pcol,
        f"kustomize {release}: does the plugin load?",
        "kustomize built with",
        "plugin built with",
        gos,
        gos,
    )


OVERVIEW_PAIRS = 12  # more pairs of Go releases than this: two columns, same Go and another Go


def overview_grid(df: pd.DataFrame, releases: list[str]) -> Grid:
    """Kustomize release x (host Go -> plugin Go) pair, baseline cells only. With more than
    OVERVIEW_PAIRS pairs, the columns are "same Go release" and "another Go release"."""
    keep = (
        (df["host_variant"] == "default")
        & (df["plugin_variant"] == "default")
        & (df["plugin_pins"] == "host")
    )
    d = df.loc[
        keep,
        ["host_release", "host_go", "host_toolchain", "plugin_go", "plugin_toolchain", "axes", "outcome"],
    ]
    d = d[d["axes"].str.contains("baseline")].copy()
    hgo = d["host_go"].where(d["host_go"] != "", d["host_toolchain"])
    pgo = d["plugin_go"].where(d["plugin_go"] != "", d["plugin_toolchain"])
    d["pair"] = hgo + " → " + pgo
    pairs = sorted(d["pair"].unique().tolist(), key=lambda p: (p.split(" → ")[0] != p.split(" → ")[1], p))
    title = "Does a plugin load? (kustomize Go → plugin Go)"
    if len(pairs) > OVERVIEW_PAIRS:
        d["pair"] = (hgo == pgo).map({True: "same Go release", False: "another Go release"})
        have = set(d["pair"].unique().tolist())
        pairs = [p for p in ("same Go release", "another Go release") if p in have]
        title = "Does a plugin load? (plugin built by the Go release that built kustomize, or another)"
    have_rels = set(d["host_release"].unique().tolist())
    rels = [r for r in releases if r in have_rels]
    return pivot(d, "host_release", "pair", title, "kustomize release", "", rels, pairs)


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
                ax.text(j + 0.5, i + 0.5, g.labels[i][j], ha="center", va="center", fontsize=9, color="black")
        ax.set_xlim(0, nc)
        ax.set_ylim(nr, 0)
        ax.set_xticks(
            [j + 0.5 for j in range(len(g.cols))],
            g.cols,
            rotation=30 if nc > 3 else 0,
            ha="right" if nc > 3 else "center",
            fontsize=9,
        )
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


def draw_files(grids: list[Grid], folder: Path, fmt: str = "png") -> list[Path]:
    """Each grid's picture as folder/<index>.<fmt>."""
    out = []
    for i, g in enumerate(grids):
        p = folder / f"{i}.{fmt}"
        p.write_bytes(draw(g, fmt))
        out.append(p)
    return out


def _main(argv: list[str]) -> int:
    """`python -m matrix.site.heatmap draw GRIDS.json|- FOLDER`: the site build draws its
    pictures in another process while it renders pages (matplotlib holds the GIL); with
    `-` the grids come on standard input, so the process can start (and import
    matplotlib) before they are known."""
    if len(argv) != 3 or argv[0] != "draw":
        print("usage: python -m matrix.site.heatmap draw GRIDS.json|- FOLDER", file=sys.stderr)
        return 2
    text = sys.stdin.read() if argv[1] == "-" else Path(argv[1]).read_text(encoding="utf-8")
    if not text:
        return 0  # nothing to draw (the build stopped)
    draw_files([Grid(**g) for g in json.loads(text)], Path(argv[2]))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))

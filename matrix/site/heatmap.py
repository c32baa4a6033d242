"""Heatmaps of the matrix, drawn as inline SVG (the `heatmap` macro of _heatmap.html.j2).

A square summarises the load cells that share its row and column: "2/3" means two of
the three that were loaded really loaded, drawn as two bars in the colours of `loads`
and `fails`. A square with nothing loaded (build failed, skipped, not run) takes the
colour of its most common outcome and says it. Colours come from the site's stylesheet
(one colour per outcome, the same as the outcome badges of the tables). Each square
links to its cell when it holds one, else to the table of cells of its release,
filtered to the square's cells (see frames.TABLE_KEYS and docs/javascripts/tables.js).

Pictures are text in the page at its own size (12 px labels, never scaled down): on a
narrow screen a wide picture scrolls sideways inside its box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from matrix.site import frames, rules
from matrix.site.context import NATIVE, Context

_SHORT = {  # a line break: two lines in the square
    "build-failed": "build\nfailed",
    "skipped": "skipped",
    "not-run": "not run",
    "harness-error": "harness\nerror",
}
LINE_CHARS = 18  # a longer label (row or column) is written on two lines
FONT_PX = 12
CHAR_PX = 7.2  # width of an average character of a 12 px label (a little generous)
CELL_H = 34
PAD = 8


@dataclass
class Square:
    """One square: its label, the share that loaded (None: nothing loaded), the outcome
    whose colour it takes, its cells and where it links (see `target`)."""

    label: str = ""
    fraction: float | None = None
    outcome: str = ""  # "" (no cell), "mixed", or an outcome
    cells: int = 0
    tried: int = 0
    target: dict[str, Any] | None = None  # {"cell": id} or {"release": r, "filter": {key: value}}


@dataclass
class Grid:
    """What one picture shows: a Square per row and column."""

    title: str
    rows: list[str]
    cols: list[str]
    row_title: str
    col_title: str
    squares: list[list[Square]]
    row_labels: dict[str, str] = field(default_factory=dict)  # row -> what is written (default: row)
    col_labels: dict[str, str] = field(default_factory=dict)  # column -> what is written
    row_notes: dict[str, str] = field(default_factory=dict)  # row -> what it stands for (tooltip)
    col_notes: dict[str, str] = field(default_factory=dict)

    @property
    def labels(self) -> list[list[str]]:
        return [[s.label for s in row] for row in self.squares]

    @property
    def fractions(self) -> list[list[float | None]]:
        return [[s.fraction for s in row] for row in self.squares]


def _summary(counts: dict[str, int]) -> tuple[str, float | None, str]:
    """Label, load fraction and colour of a square from the count of each outcome (in
    order of first appearance)."""
    if not counts:
        return "", None, ""
    tried = counts.get("loads", 0) + counts.get("fails", 0)
    if not tried:
        top = max(counts.items(), key=lambda kv: kv[1])[0]  # the first of the most common
        return _SHORT.get(str(top), str(top)), None, str(top)
    ok = counts.get("loads", 0)
    colour = "loads" if ok == tried else "fails" if ok == 0 else "mixed"
    return f"{ok}/{tried}", ok / tried, colour


def summarise(cells: pd.DataFrame) -> tuple[str, float | None]:
    """Label and load fraction for the load cells behind one square."""
    counts: dict[str, int] = {}
    for o in cells["outcome"].tolist():
        counts[o] = counts.get(o, 0) + 1
    label, frac, _ = _summary(counts)
    return label, frac


def _targets(d: pd.DataFrame, row: str, col: str, ctx: Context) -> dict[tuple[str, str], dict[str, Any]]:
    """Where each square links: its cell, or its release's table filtered to the values its
    cells share (each column of the table of cells, frames.TABLE_KEYS)."""
    t = frames.table_frame(d, ctx)
    t["_r"], t["_c"], t["_cell"] = d[row].to_numpy(), d[col].to_numpy(), d["cell"].to_numpy()
    t["_same"] = (t["host-go"] == t["plugin-go"]).map({True: "same", False: "other"})
    keys = [*frames.FILTER_KEYS, "_same"]
    g = t.groupby(["_r", "_c"], sort=False)
    nun, first, size = g[keys].nunique(), g[[*keys, "_cell"]].first(), g.size()
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for k in size.index:
        if int(size[k]) == 1:
            out[k] = {"cell": str(first.loc[k, "_cell"])}
            continue
        filt = {key: str(first.loc[k, key]) for key in frames.FILTER_KEYS if int(nun.loc[k, key]) == 1}
        if int(nun.loc[k, "_same"]) == 1 and "host-go" not in filt:
            filt["go"] = str(first.loc[k, "_same"])
        filt["kind"] = "go-plugin"  # the pictures show Go plugin sweep cells only (frames.go_plugins)
        out[k] = {"release": filt.get("kustomize", ""), "filter": filt}
    return out


def pivot(
    df: pd.DataFrame,
    row: str,
    col: str,
    title: str,
    row_title: str,
    col_title: str,
    rows: list[str] | None = None,
    cols: list[str] | None = None,
    ctx: Context | None = None,
) -> Grid:
    rows = rows if rows is not None else sorted(df[row].unique().tolist())
    cols = cols if cols is not None else sorted(df[col].unique().tolist())
    # one pass over the three columns (not one filter per square)
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for r, c, o in zip(df[row].tolist(), df[col].tolist(), df["outcome"].tolist(), strict=True):
        square = counts.setdefault((r, c), {})
        square[o] = square.get(o, 0) + 1
    targets = _targets(df, row, col, ctx or Context()) if not df.empty and "cell" in df.columns else {}
    squares = []
    for r in rows:
        line = []
        for c in cols:
            n = counts.get((r, c), {})
            label, frac, colour = _summary(n)
            tried = n.get("loads", 0) + n.get("fails", 0)
            line.append(Square(label, frac, colour, sum(n.values()), tried, targets.get((r, c))))
        squares.append(line)
    return Grid(title, rows, cols, row_title, col_title, squares)


def _go(df: pd.DataFrame, side: str) -> pd.Series:
    return df[f"{side}_go"].where(df[f"{side}_go"] != "", df[f"{side}_toolchain"])


def release_grid(df: pd.DataFrame, release: str, ctx: Context | None = None) -> Grid:
    """Host Go x plugin Go for one kustomize release: its baseline cells on linux/amd64
    (default builds, host pins; other platforms have their own axis)."""
    d = df[df["host_release"] == release]
    d = frames.baseline(d)
    d = d.assign(_hgo=_go(d, "host"), _pgo=_go(d, "plugin"))
    gos = sorted(set(d["_hgo"].unique().tolist()) | set(d["_pgo"].unique().tolist()), key=frames.version_key)
    return pivot(
        d,
        "_hgo",
        "_pgo",
        f"kustomize {release}: does the plugin load? (default builds, {NATIVE})",
        "kustomize Go",
        "plugin Go",
        gos,
        gos,
        ctx,
    )


def overview_grid(df: pd.DataFrame, releases: list[str], ctx: Context | None = None) -> Grid:
    """Kustomize release x how the plugin's Go release relates to kustomize's (the same,
    another patch of the same minor, another minor), baseline cells only."""
    d = df[
        (df["host_variant"] == "default")
        & (df["plugin_variant"] == "default")
        & (df["plugin_pins"] == "host")
        & df["axes"].str.contains("baseline")
    ]
    rel = [rules.go_relation(h, p) for h, p in zip(_go(d, "host"), _go(d, "plugin"), strict=True)]
    d = d.assign(_rel=pd.array(rel, dtype="str"))
    have = set(rel)
    cols = [c for c in rules.GO_RELATIONS if c in have]
    have_rels = set(d["host_release"].unique().tolist())
    rows = [r for r in releases if r in have_rels]
    g = pivot(
        d,
        "host_release",
        "_rel",
        "Does a plugin load? Plugin built by the Go release that built kustomize, or another",
        "kustomize",
        "plugin's Go",
        rows,
        cols,
        ctx,
    )
    g.col_notes = dict(rules.GO_RELATIONS)
    g.col_labels = {
        rules.SAME_GO: "same Go",
        rules.OTHER_PATCH: "other patch",
        rules.OTHER_MINOR: "other minor",
    }
    return g


# ---------------------------------------------------------------- drawing


@dataclass
class Layout:
    """Where everything of a picture goes, in px."""

    width: int
    height: int
    left: int  # x of the first column
    top: int  # y of the first row
    cell_w: int
    cell_h: int


def _text_px(texts: list[str]) -> int:
    return int(max((len(ln) for t in texts for ln in t.split("\n")), default=0) * CHAR_PX)


def wrap(text: str) -> list[str]:
    """A label on at most two lines: split at the space nearest its middle when longer
    than LINE_CHARS (flags: `CGO_ENABLED=0` / `-ldflags=-s -w`)."""
    if "\n" in text:
        return text.split("\n")
    if len(text) <= LINE_CHARS or " " not in text:
        return [text]
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    i = min(spaces, key=lambda k: abs(k - len(text) / 2))
    return [text[:i], text[i + 1 :]]


def row_label(g: Grid, row: str) -> str:
    return g.row_labels.get(row, row)


def col_label(g: Grid, col: str) -> str:
    return g.col_labels.get(col, col)


def layout(g: Grid) -> Layout:
    """The picture's size and where its squares start. Its title is the figure's caption,
    outside the picture, so it wraps on a narrow screen; the first line holds the rows'
    title then the columns' title, the second the column labels."""
    labels = [s.label for row in g.squares for s in row]
    cols = ["\n".join(wrap(col_label(g, c))) for c in g.cols]
    col_lines = max((c.count("\n") + 1 for c in cols), default=1)
    cell_w = max(64, _text_px([*cols, *labels]) + 2 * PAD)
    left = max(_text_px(["\n".join(wrap(row_label(g, r))) for r in g.rows]) + 2 * PAD, 48)
    top = (FONT_PX + PAD) * (1 + col_lines) + 6
    width = left + cell_w * max(len(g.cols), 1) + PAD
    width = max(width, col_title_x(g, left) + _text_px([g.col_title + " →"]) + PAD)
    height = top + CELL_H * max(len(g.rows), 1) + PAD
    return Layout(width, height, left, top, cell_w, CELL_H)


def col_title_x(g: Grid, left: int) -> int:
    """Where the columns' title starts on the first line: after the rows' title."""
    return max(left, PAD + _text_px([g.row_title + " ↓"]) + 2 * PAD)

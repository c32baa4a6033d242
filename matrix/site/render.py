"""Pages of the site as markdown text: pure functions, frame (+ grid and catalog) in, text out.

No file, clock or network access here, so every page is unit-testable with a small
frame and the same data always gives the same pages.

Scale: a page never holds a row per cell of the whole dataset. Cells are shown in
sections grouped by the first characters of their id (`cells/c3f/#c3f...`: a permalink
that never moves as the dataset grows), the all-cells tables are split per release,
and other lists of cells are capped (the downloads have everything). Parts with many
rows are emitted as pre-escaped HTML between `<!-- pm:html -->` markers (`html_block`):
still valid markdown, which the site build moves past python-markdown (see site.py).

Escaping: everything that came from outside (error texts, build output, versions,
paths, doctor messages: every text column of the frame) goes through `md()` when it
sits inside markdown (tables, lists, sentences) and through `pre()` when shown as a
block; both turn it into inert HTML entities, so `<script>` shows as text and `*`
or `|` cannot change the page's structure.
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import posixpath
import re
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from matrix.core.catalog import UNKNOWN
from matrix.dataset import frame as dataset

# ---------------------------------------------------------------- context passed in


@dataclass(frozen=True)
class ErrorClass:
    """One entry of the error catalog (data/errors.toml), as the pages need it."""

    slug: str
    title: str
    stage: str = ""
    cause: str = ""
    fix: str = ""
    patterns: tuple[str, ...] = ()
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """Grid and catalog data the pages use besides the frame (all from data/, read by site.py)."""

    releases: dict[str, dict[str, Any]] = field(default_factory=dict)  # oldest first
    toolchains: dict[str, dict[str, Any]] = field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)
    platforms: dict[str, dict[str, Any]] = field(default_factory=dict)
    reference: dict[str, str] = field(default_factory=dict)  # release, toolchain, plugin
    classes: tuple[ErrorClass, ...] = ()
    history: dict[str, Any] | None = None

    def cls(self, slug: str) -> ErrorClass | None:
        known = _SLUGS.get(id(self.classes))
        if known is None or known[0] is not self.classes:
            known = (self.classes, {c.slug: c for c in reversed(self.classes)})  # the first slug wins
            _SLUGS[id(self.classes)] = known
        return known[1].get(slug)


_SLUGS: dict[int, tuple[tuple[ErrorClass, ...], dict[str, ErrorClass]]] = {}


PACKAGE_MISMATCH = "package-version-mismatch"
DOCTOR_PAGE = "doctor-agreement.md"
AXES = ["host-variant", "plugin-variant", "matched-variant", "pins", "platform"]
AXIS_TITLES = {
    "host-variant": "Host build flags",
    "plugin-variant": "Plugin build flags",
    "matched-variant": "Same flags on both sides",
    "pins": "Plugin dependency pins",
    "platform": "Platforms",
}
NATIVE = "linux/amd64"

# ---------------------------------------------------------------- escaping

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Characters with a meaning in (python-)markdown or its extensions, as numeric entities.
_MD_ENTITIES = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+!|"}
_MD_ENTITIES.update({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def esc(text: Any) -> str:
    """HTML-escape untrusted text for a raw HTML block or attribute."""
    s = text if type(text) is str else str(text)
    return _esc_short(s) if len(s) <= _SHORT else _esc(s)


def _esc(s: str) -> str:
    return html.escape(_CONTROL.sub("", s), quote=True)


_SHORT = 160  # short texts repeat (releases, Go versions, flags...): their escapes are cached
_esc_short = functools.lru_cache(maxsize=1 << 15)(_esc)


def md(text: Any, limit: int | None = None) -> str:
    """Untrusted text as inert inline markdown: one line, every special character an entity."""
    s = " ".join(_CONTROL.sub("", str(text)).split())
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return "".join(_MD_ENTITIES.get(ch, ch) for ch in s)


def code(text: Any) -> str:
    """Untrusted text as inline code (raw <code> with escaped content)."""
    return f"<code>{md(text)}</code>"


def pre(text: Any, cls: str = "raw") -> str:
    """Untrusted text as a block; a single line, so markdown sees one raw HTML block."""
    body = esc(text).replace("\r\n", "\n").replace("\n", "&#10;").replace("\t", "&#9;")
    return f'\n<pre class="{esc(cls)}"><code>{body}</code></pre>\n'


# ---------------------------------------------------------------- links


def url_of(src: str) -> str:
    """Where mkdocs (use_directory_urls) serves a docs file, relative to the site root."""
    if not src.endswith(".md"):
        return src
    stem = src[:-3]
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


@dataclass(frozen=True)
class Links:
    """Links from one page. Markdown links stay relative `.md` paths (mkdocs checks them);
    with `base` set (pages printed outside the site) they become absolute URLs."""

    page: str
    base: str | None = None

    def md(self, target: str, anchor: str = "") -> str:
        frag = f"#{anchor}" if anchor else ""
        if self.base is not None:
            return f"{self.base.rstrip('/')}/{url_of(target)}{frag}"
        if target == self.page:
            return frag or posixpath.basename(target)
        return _rel_md(self.page, target) + frag

    def href(self, target: str, anchor: str = "") -> str:
        """For raw HTML, which mkdocs does not rewrite: a URL relative to the served page."""
        frag = f"#{anchor}" if anchor else ""
        if self.base is not None:
            return f"{self.base.rstrip('/')}/{url_of(target)}{frag}"
        return _rel_href(self.page, target) + frag


@functools.lru_cache(maxsize=1 << 14)
def _rel_md(page: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


@functools.lru_cache(maxsize=1 << 14)
def _rel_href(page: str, target: str) -> str:
    here = url_of(page)
    rel = posixpath.relpath(url_of(target) or ".", here.rstrip("/") or ".")
    if url_of(target).endswith("/") or url_of(target) == "":
        rel = rel.rstrip("/") + "/" if rel != "." else "./"
    return rel


def cell_group(cell: str) -> str:
    """The page a cell's section is on: `c` and the first two hex digits of its id (256
    pages at most; computed from the id alone, so a permalink never changes)."""
    return cell[:3]


def cell_src(cell: str) -> str:
    return f"cells/{cell_group(cell)}.md"


def cells_table_src(release: str) -> str:
    return f"matrix/cells/{slug(release)}.md"


def release_src(release: str) -> str:
    return f"releases/{release}.md"


def toolchain_src(tc: str) -> str:
    return f"toolchains/{slug(tc)}.md"


def axis_src(axis: str) -> str:
    return f"axes/{axis}.md"


def variant_src(variant: str) -> str:
    return f"axes/variant-{slug(variant)}.md"


def error_src(cls: str) -> str:
    return f"errors/{cls}.md"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-") or "x"


def cell_link(links: Links, cell: str) -> str:
    return f"[{md(cell)}]({links.md(cell_src(cell), cell)})"


def cell_a(links: Links, cell: str) -> str:
    """A link to a cell's section, as raw HTML."""
    return f'<a href="{esc(links.href(cell_src(cell), cell))}">{esc(cell)}</a>'


def class_link(ctx: Context, links: Links, cls: str) -> str:
    if not cls:
        return ""
    c = ctx.cls(cls)
    return f"[{md(cls)}]({links.md(error_src(cls))})" if c else md(cls)


def class_a(ctx: Context, links: Links, cls: str) -> str:
    """class_link as raw HTML."""
    if not cls:
        return ""
    return f'<a href="{esc(links.href(error_src(cls)))}">{esc(cls)}</a>' if ctx.cls(cls) else esc(cls)


# ---------------------------------------------------------------- pre-rendered HTML

HTML_OPEN = "<!-- pm:html -->"
HTML_CLOSE = "<!-- /pm:html -->"
TABLE_CAP = 200  # rows of a list of cells on a page that is not a table of cells


def html_block(html_text: str) -> str:
    """Pre-escaped HTML (no blank line inside) as a markdown block the site build can move
    past python-markdown: valid raw HTML either way."""
    return f"\n{HTML_OPEN}\n{html_text}\n{HTML_CLOSE}\n"


def html_table(header: Sequence[str], rows: Iterable[Sequence[str]], cells: bool = False) -> str:
    """A table as one html_block: header plain text (escaped here), cells already escaped
    HTML. Sortable, and filterable when long (a table of cells: always)."""
    return _table_html(header, ("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows), cells)


def _table_html(header: Sequence[str], rows: Iterable[str], cells: bool) -> str:
    head = "".join(f"<th>{esc(x)}</th>" for x in header)
    attr = ' data-filter="always"' if cells else ""
    body = "\n".join(rows)
    return html_block(f"<table{attr}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>")


def records(df: pd.DataFrame, columns: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
    """Rows as dicts (column names like `class` kept), a column at a time: fast."""
    cols = list(columns) if columns is not None else list(df.columns)
    for t in zip(*(df[c].tolist() for c in cols), strict=True):
        yield dict(zip(cols, t, strict=True))


def h(text: Any) -> str:
    """Untrusted text in raw HTML, one line (control characters dropped)."""
    s = text if type(text) is str else str(text)
    return _h_short(s) if len(s) <= _SHORT else _h(s)


def _h(s: str) -> str:
    return _esc(" ".join(s.split()))


_h_short = functools.lru_cache(maxsize=1 << 15)(_h)


def hcode(text: Any) -> str:
    return f"<code>{h(text)}</code>"


# ---------------------------------------------------------------- small helpers


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A markdown table; cells must already be escaped (md()/links)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(c if c else " " for c in r) + " |" for r in rows]
    return "\n" + "\n".join(lines) + "\n"


def first_line(text: str) -> str:
    for ln in text.splitlines():
        if ln.strip():
            return ln.strip()
    return ""


def releases_in(df: pd.DataFrame, ctx: Context) -> list[str]:
    """Releases with cells, oldest first (grid order; unknown ones sorted after)."""
    have = set(df["host_release"].unique().tolist()) if not df.empty else set()
    ordered = [r for r in ctx.releases if r in have]
    return ordered + sorted(have - set(ordered), key=_version_key)


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v))


def newest_release(df: pd.DataFrame, ctx: Context) -> str | None:
    rels = releases_in(df, ctx)
    return rels[-1] if rels else None


def newest_with_recipe(df: pd.DataFrame, ctx: Context) -> str | None:
    """The newest release with a recipe proven by a cell that loaded."""
    for rel in reversed(releases_in(df, ctx)):
        if not recipe_cells(df, rel).empty:
            return rel
    return None


def baseline(df: pd.DataFrame) -> pd.DataFrame:
    """Cells with every axis at its default: both sides plain, host pins, same platform."""
    return df[
        (df["host_variant"] == "default")
        & (df["plugin_variant"] == "default")
        & (df["plugin_pins"] == "host")
        & (df["host_platform"] == NATIVE)
        & (df["plugin_platform"] == NATIVE)
    ]


TRIED = ["loads", "fails"]


def uniq(col: pd.Series) -> set[Any]:
    """The distinct values of a column (fast: no Python loop over the rows)."""
    return set(col.unique().tolist())


def tried(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["outcome"].isin(TRIED)]


def outcome_counts(df: pd.DataFrame, by: str = "host_release") -> dict[str, tuple[int, int, int]]:
    """value of `by` -> (cells, loads, fails)."""
    if df.empty:
        return {}
    g = pd.DataFrame({"k": df[by], "ok": df["outcome"] == "loads", "bad": df["outcome"] == "fails"})
    agg = g.groupby("k", sort=False).agg(n=("ok", "size"), ok=("ok", "sum"), bad=("bad", "sum"))
    return {
        str(k): (int(r.n), int(r.ok), int(r.bad)) for k, r in zip(agg.index, agg.itertuples(), strict=True)
    }


def count(df: pd.DataFrame, outcome: str) -> int:
    return int((df["outcome"] == outcome).sum())


def go_of(row: Any, side: str) -> str:
    return str(row[f"{side}_go"] or row[f"{side}_toolchain"])


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def cells_list(links: Links, cells: Iterable[str], limit: int = 6) -> str:
    cs = list(cells)
    shown = ", ".join(cell_link(links, c) for c in cs[:limit])
    return shown + (f" and {len(cs) - limit} more" if len(cs) > limit else "")


def variant_desc(ctx: Context, name: str) -> str:
    v = ctx.variants.get(name, {})
    flags = " ".join(v.get("flags", []))
    env = " ".join(f"{k}={val}" for k, val in sorted(v.get("env", {}).items()))
    return " ".join(x for x in (env, flags) if x) or name


def error_summary(row: Any, limit: int = 110) -> str:
    return md(first_line(str(row["error"])), limit)


def outcome_badge(outcome: str) -> str:
    return f'<span class="outcome outcome-{esc(outcome)}">{esc(outcome)}</span>'


def page(title: str, *parts: str, description: str = "", search: bool = True) -> str:
    head = f"---\ntitle: {json.dumps(title)}\n"
    if description:
        head += f"description: {json.dumps(description)}\n"
    if not search:
        head += "search:\n  exclude: true\n"
    head += "---\n\n"
    return head + f"# {md(title)}\n\n" + "\n".join(p.rstrip() + "\n" for p in parts if p)


# ---------------------------------------------------------------- home


def sentences(df: pd.DataFrame, ctx: Context) -> list[str]:
    """Three sentences about what loads today, computed from the data."""
    if df.empty:
        return [
            "No cell has been measured yet.",
            "Run `nox -s matrix` to measure the grid.",
            "Every page of this site fills in from the recorded cells.",
        ]
    df = df[
        [
            "outcome",
            "recorded_at",
            "host_variant",
            "plugin_variant",
            "plugin_pins",
            "host_platform",
            "plugin_platform",
            "host_go",
            "plugin_go",
            "class",
        ]
    ]  # filters below copy only these
    t = tried(df)
    first, last = str(df["recorded_at"].min()), str(df["recorded_at"].max())
    out = [
        f"Of {plural(len(df), 'cell')} measured between {md(first[:10])} and {md(last[:10])}, "
        f"{count(df, 'loads')} loaded, {count(df, 'fails')} failed to load and "
        f"{len(df) - len(t)} were not loaded (build failed, skipped or not run here)."
    ]
    b = tried(baseline(df))
    same = b[b["host_go"] == b["plugin_go"]]
    diff = b[b["host_go"] != b["plugin_go"]]
    if not b.empty:
        out.append(
            f"With default builds, a plugin built by the same Go release as kustomize loaded "
            f"in {count(same, 'loads')} of {len(same)} cells; built by another Go release, "
            f"in {count(diff, 'loads')} of {len(diff)}."
        )
    fails = df[df["outcome"] == "fails"]
    if not fails.empty:
        key = fails["class"].where(fails["class"] != "", "unclassified")
        top, n = key.value_counts().index[0], int(key.value_counts().iloc[0])
        c = ctx.cls(str(top))
        name = c.title if c else str(top)
        out.append(f"The most common failure is “{md(name)}” ({n} of {len(fails)} failing cells).")
    else:
        out.append("No cell failed to load.")
    return out


def home(df: pd.DataFrame, ctx: Context, picture: str | None) -> str:
    links = Links("index.md")
    newest = newest_release(df, ctx)
    parts = [
        "This site measures whether a kustomize Go plugin loads into a kustomize binary: "
        "both are really built, the plugin is really loaded, and every result below links "
        "to the recorded cell that proves it.",
        "",
    ]
    if picture:
        parts.append(
            f"![Does a plugin load, per kustomize release and Go release pair]"
            f"({links.md(picture)}){{ .heatmap }}\n"
        )
    parts += [" ".join(sentences(df, ctx)), "", "## Start here", ""]
    proven = newest_with_recipe(df, ctx)
    if proven:
        parts.append(
            f"- **Building a plugin for the newest release?** "
            f"[Recipe for kustomize {md(proven)}]({links.md(release_src(proven))})"
        )
    if newest and newest != proven:
        parts.append(
            f"  (kustomize {md(newest)} is newer, but no plugin loaded into it here: "
            f"[what happened]({links.md(release_src(newest))}))"
        )
    mismatch = ctx.cls(PACKAGE_MISMATCH)
    if mismatch:
        parts.append(
            f"- **Seeing “plugin was built with a different version of package”?** "
            f"[What it means and how to fix it]({links.md(error_src(PACKAGE_MISMATCH))})"
        )
    parts += [
        f"- **Any other load error?** [The error catalog]({links.md('errors/index.md')})",
        f"- **The whole matrix:** [heatmaps]({links.md('matrix/index.md')}) and "
        f"[every cell]({links.md('matrix/cells.md')})",
        f"- **Releasing kustomize or a plugin?** [Checklists]({links.md('checklists/index.md')})",
        f"- **Choosing a plugin mechanism?** [Go plugins compared]({links.md('guides/comparison.md')})",
        f"- **The data:** [downloads, schema and provenance]({links.md('data/index.md')}), "
        f"[history]({links.md('history.md')})",
    ]
    return page(
        "What loads today",
        *[p + "\n" if not p.endswith("\n") else p for p in parts],
        description="Measured compatibility of kustomize Go plugins",
    )


# ---------------------------------------------------------------- matrix


def matrix_index(
    df: pd.DataFrame,
    ctx: Context,
    pictures: dict[str, str],
    axis_pictures: dict[str, str],
    grids: dict[str, Any] | None = None,
) -> str:
    """The matrix page: a picture per release in `pictures` (path), a table of the same
    numbers for the releases in `grids` (heatmap.Grid: past the cap on pictures)."""
    links = Links("matrix/index.md")
    grids = grids or {}
    parts = [
        f"{plural(len(df), 'cell')} measured. Each picture counts, for each pair of Go "
        f"releases, how many of the plugins tried really loaded (“2/3”); grey squares were not "
        f"loaded (the build failed, or the platform cannot run here). "
        f"[Every cell]({links.md('matrix/cells.md')}) has a permalink.",
        "",
    ]
    rows = []
    counts = outcome_counts(df)
    for rel in releases_in(df, ctx):
        n, ok, bad = counts.get(rel, (0, 0, 0))
        rows.append(
            [f"[{md(rel)}]({links.md(release_src(rel))})", str(n), str(ok), str(bad), str(n - ok - bad)]
        )
    parts.append(table(["kustomize", "cells", "loads", "fails", "not loaded"], rows))
    parts.append("## Per kustomize release\n")
    for rel in reversed(releases_in(df, ctx)):
        if rel in pictures:
            parts.append(
                f"### {md(rel)}\n\n![Host Go x plugin Go for kustomize {md(rel)}]"
                f"({links.md(pictures[rel])}){{ .heatmap }}\n\n"
                f"[Recipe and failures for {md(rel)}]({links.md(release_src(rel))})\n"
            )
        elif rel in grids:
            parts.append(
                f"### {md(rel)}\n\nDoes the plugin load? Rows: {md(grids[rel].row_title)}; "
                f"columns: {md(grids[rel].col_title)}.\n"
                + grid_table(grids[rel])
                + f"\n[Recipe and failures for {md(rel)}]({links.md(release_src(rel))})\n"
            )
    if axis_pictures:
        parts.append("## Per axis\n")
        for axis, pic in axis_pictures.items():
            parts.append(
                f"### {md(AXIS_TITLES.get(axis, axis))}\n\n![{md(AXIS_TITLES.get(axis, axis))}]"
                f"({links.md(pic)}){{ .heatmap }}\n\n"
                f"[Pairs of cells for this axis]({links.md(axis_src(axis))})\n"
            )
    return page("The matrix", *parts)


def grid_table(g: Any) -> str:
    """A heatmap's numbers (heatmap.Grid) as a table."""
    header = ["", *(md(c) for c in g.cols)]
    return table(
        header,
        [
            [f"**{md(r)}**", *(md(lab.replace(chr(10), " ")) or "·" for lab in labels)]
            for r, labels in zip(g.rows, g.labels, strict=True)
        ],
    )


CELL_TABLE_HEADER = [
    "cell",
    "outcome",
    "kustomize",
    "host Go",
    "plugin Go",
    "plugin",
    "host flags",
    "plugin flags",
    "pins",
    "platform",
    "class",
    "doctor",
    "error",
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
    "host_variant",
    "plugin_variant",
    "plugin_pins",
    "host_platform",
    "plugin_platform",
    "class",
    "doctor_prediction",
    "doctor_error",
    "error",
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


def _platform(row: Any) -> str:
    h, p = str(row["host_platform"]), str(row["plugin_platform"])
    return h if h == p else f"{h} ← {p}"


def cell_row(row: Any, ctx: Context, links: Links) -> list[str]:
    """One row of a table of cells (CELL_TABLE_HEADER), as escaped HTML cells."""
    return [
        cell_a(links, str(row["cell"])),
        h(row["outcome"]),
        h(row["host_release"]),
        h(go_of(row, "host")),
        h(go_of(row, "plugin")),
        h(row["plugin_name"]),
        h(row["host_variant"]),
        h(row["plugin_variant"]),
        h(row["plugin_pins"]),
        h(_platform(row)),
        class_a(ctx, links, str(row["class"])),
        h(row["doctor_prediction"] or ("error" if row["doctor_error"] else "")),
        esc(first_line(str(row["error"]))[:110]),
    ]


def cells_html_table(d: pd.DataFrame, ctx: Context, links: Links, limit: int | None = None) -> str:
    """The cells of `d` as a sortable, filterable table (the first `limit` in CELL_ORDER)."""
    order = d.sort_values(CELL_ORDER)
    if limit is not None:
        order = order.head(limit)
    return html_table(
        CELL_TABLE_HEADER, (cell_row(r, ctx, links) for r in records(order, CELL_TABLE_COLUMNS)), cells=True
    )


def cells_index(df: pd.DataFrame, ctx: Context) -> str:
    """matrix/cells.md: the tables of cells, one per kustomize release."""
    links = Links("matrix/cells.md")
    intro = (
        f"{plural(len(df), 'measured cell')}, in one table per kustomize release: click a column "
        f"title to sort, type in the box to keep only the rows that contain every word typed. "
        f"Each cell links to its section (a permalink) with the raw error, provenance and the "
        f"doctor's prediction. The whole dataset, every column, is in the "
        f"[downloads]({links.md('data/index.md')})."
    )
    rows = []
    counts = outcome_counts(df)
    for rel in reversed(releases_in(df, ctx)):
        n, ok, bad = counts.get(rel, (0, 0, 0))
        rows.append(
            [f"[{md(rel)}]({links.md(cells_table_src(rel))})", str(n), str(ok), str(bad), str(n - ok - bad)]
        )
    return page(
        "Every cell",
        intro,
        table(["kustomize", "cells", "loads", "fails", "not loaded"], rows)
        if rows
        else "No cell measured yet.",
    )


TABLE_ROW = "table_row"  # an optional column: each cell's row of its release's table, as HTML


def cells_table_row(row: Any, ctx: Context) -> str:
    """A cell's row of the table of its release (matrix/cells/<release>.md), as HTML."""
    links = Links(cells_table_src(str(row["host_release"])))
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cell_row(row, ctx, links)) + "</tr>"


def cells_table_page(d: pd.DataFrame, ctx: Context, release: str) -> str:
    """matrix/cells/<release>.md: every cell of one kustomize release, as one table (its
    rows from the column TABLE_ROW when the frame has it)."""
    links = Links(cells_table_src(release))
    intro = (
        f"The {plural(len(d), 'cell')} measured against kustomize {md(release)} "
        f"([recipe]({links.md(release_src(release))}); [other releases]"
        f"({links.md('matrix/cells.md')})): {count(d, 'loads')} loaded, "
        f"{count(d, 'fails')} failed to load. Click a column title to sort; type in the box to "
        f"keep only the rows that contain every word typed."
    )
    if TABLE_ROW in d.columns:
        tab = _table_html(CELL_TABLE_HEADER, d.sort_values(CELL_ORDER)[TABLE_ROW].tolist(), cells=True)
    else:
        tab = cells_html_table(d, ctx, links)
    return page(f"Every cell of kustomize {release}", intro, tab, search=False)


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
        "host_build_status",
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
    )
]


def cell_groups(df: pd.DataFrame) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(group, rows) for every page of cells, in cell order: one pass over the frame."""
    cols = [c for c in CELL_COLUMNS if c in df.columns]
    for group, rows in itertools.groupby(
        records(df.sort_values("cell"), cols), key=lambda r: cell_group(str(r["cell"]))
    ):
        yield group, list(rows)


def cell_group_page(group: str, rows: Sequence[Any], ctx: Context) -> str:
    """cells/<group>.md: the sections of every cell (rows of the frame) whose id starts with `group`."""
    src = f"cells/{group}.md"
    links = Links(src)
    intro = (
        f"{plural(len(rows), 'cell')} whose id starts with {code(group)}, each with its own "
        f"permalink (`cells/{group}/#<cell id>`). Find cells by release, Go, flags or error in "
        f"[the tables of cells]({links.md('matrix/cells.md')}). Full stderr, go.mod files "
        f"and build output of every cell are in the [downloads]({links.md('data/index.md')})."
    )
    sections = "\n".join(cell_section(r, ctx, links) for r in rows)
    return page(
        f"Cells {group}…", intro, html_block(sections), search=False, description=f"measured cells {group}…"
    )


def _kv_html(pairs: Sequence[tuple[str, str]]) -> str:
    return (
        '<table class="kv"><tbody>'
        + "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in pairs)
        + "</tbody></table>"
    )


def _block(text: Any, cls: str) -> str:
    s = str(text)
    return _block_cached(s, cls) if len(s) <= 4096 else pre(s, cls).strip()


@functools.lru_cache(maxsize=2048)  # error texts repeat across cells
def _block_cached(text: str, cls: str) -> str:
    return pre(text, cls).strip()


def _opt(v: Any) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


# Parts of a cell's section that many cells share (one build artifact, one runner...),
# made once each.


@functools.lru_cache(maxsize=4096)
def _kustomize_html(href: str, rel: str, api: str, kyaml: str) -> str:
    return f'<a href="{esc(href)}">{h(rel)}</a> (api {h(api)}, kyaml {h(kyaml)})'


@functools.lru_cache(maxsize=1 << 14)
def _side_html(
    name: str, kind: str, go: str, tc: str, variant: str, flags: str, pins: str, platform: str
) -> str:
    flag = f" {hcode(flags)}" if flags else ""
    built = f"{h(go or '?')} ({h(tc)}), variant {h(variant)}{flag}"
    if not name:  # the host
        return f"{built}, {h(platform)}"
    return f"{h(name)} ({h(kind)}) built by {built}, pins {h(pins)}, {h(platform)}"


@functools.lru_cache(maxsize=1 << 14)
def _build_html(status: str, env: str, command: str) -> str:
    return f"{h(status)}; {hcode(env)} {hcode(command)}"


@functools.lru_cache(maxsize=4096)
def _load_html(command: str, exit_code: str, signal: str, timed_out: bool) -> str:
    load = hcode(command or "not loaded")
    if exit_code:
        load += f"; exit {h(exit_code)}"
    if signal:
        load += f"; signal {h(signal)}"
    if timed_out:
        load += "; timed out"
    return load


@functools.lru_cache(maxsize=1024)
def _runner_html(
    os_: str, arch: str, kernel: str, libc: str, emulator_kind: str, emulator: str, sandbox: str
) -> str:
    runner = f"{h(os_)}/{h(arch)}, kernel {h(kernel)}, {h(libc or 'libc ?')}"
    if emulator_kind == "loader":
        runner += f", run natively through {hcode(emulator)}"
    elif emulator:
        runner += f", emulated by {hcode(emulator)}"
    else:
        runner += ", native"
    if sandbox:
        runner += f"; sandbox {h(sandbox)}"
    return runner


def cell_section(row: Any, ctx: Context, links: Links) -> str:
    """One cell as an HTML section with the cell id as its anchor: outcome, raw error
    (escaped), class, inputs, the doctor's prediction and how the cell was made."""
    cell = str(row["cell"])
    rel = str(row["host_release"])
    cls = str(row["class"])
    load = _load_html(
        str(row["load_command"]), _opt(row["exit_code"]), _opt(row["signal"]), bool(row["timed_out"])
    )
    pairs = [
        ("outcome", outcome_badge(str(row["outcome"]))),
        ("class", class_a(ctx, links, cls) or "—"),
        ("package", hcode(row["package"]) if row["package"] else "—"),
        (
            "kustomize",
            _kustomize_html(links.href(release_src(rel)), rel, str(row["host_api"]), str(row["host_kyaml"])),
        ),
        (
            "host",
            _side_html(
                "",
                "",
                str(row["host_go"]),
                str(row["host_toolchain"]),
                str(row["host_variant"]),
                str(row["host_flags"]),
                "",
                str(row["host_platform"]),
            ),
        ),
        (
            "plugin",
            _side_html(
                str(row["plugin_name"]),
                str(row["plugin_kind"]),
                str(row["plugin_go"]),
                str(row["plugin_toolchain"]),
                str(row["plugin_variant"]),
                str(row["plugin_flags"]),
                str(row["plugin_pins"]),
                str(row["plugin_platform"]),
            ),
        ),
        ("axes", h(str(row["axes"]).replace(";", ", "))),
        ("doctor", doctor_html(row, ctx, links)),
        (
            "host build",
            _build_html(
                str(row["host_build_status"]), str(row["host_build_env"]), str(row["host_build_command"])
            ),
        ),
        ("host sha256", hcode(row["host_sha256"] or "—")),
        (
            "plugin build",
            _build_html(
                str(row["plugin_build_status"]),
                str(row["plugin_build_env"]),
                str(row["plugin_build_command"]),
            ),
        ),
        ("plugin sha256", hcode(row["plugin_sha256"] or "—")),
        ("load", load),
        (
            "runner",
            _runner_html(
                str(row["runner_os"]),
                str(row["runner_arch"]),
                str(row["runner_kernel"]),
                str(row["runner_libc"]),
                str(row["emulator_kind"]),
                str(row["emulator"]),
                str(row["sandbox"]),
            ),
        ),
        ("recorded", f"{h(row['recorded_at'])} by plugin-matrix {h(row['tool_version'])}"),
    ]
    if row["reason"]:
        pairs.append(("reason", h(row["reason"])))
    parts = [
        f'<section class="cell" id="{esc(cell)}">',
        f'<h2>Cell {esc(cell)} <a class="headerlink" href="#{esc(cell)}" title="Permanent link">¶</a></h2>',
        _kv_html(pairs),
    ]
    if row["error"]:
        parts.append(
            "<p>The text that explains the outcome, as recorded (escaped):</p>"
            + _block(row["error"], "raw-error")
        )
    if row["doctor_message"]:
        parts.append("<p>The doctor's message:</p>" + _block(row["doctor_message"], "doctor-message"))
    if row["doctor_evidence"]:
        parts.append("<p>Its evidence:</p>" + _block(row["doctor_evidence"], "doctor-evidence"))
    parts.append("</section>")
    return "".join(parts)


def doctor_html(row: Any, ctx: Context, links: Links) -> str:
    if row["doctor_error"]:
        return "could not predict this cell: " + hcode(row["doctor_error"])
    if not row["doctor_prediction"]:
        return "no prediction recorded"
    observed = str(row["outcome"])
    agree = row["doctor_prediction"] == observed
    pred = str(row["doctor_class"])
    detail = ""
    if pred:
        detail = (
            f" ({class_a(ctx, links, pred)}"
            + (f", package {hcode(row['doctor_package'])}" if row["doctor_package"] else "")
            + ")"
        )
    return (
        f"predicted <strong>{h(row['doctor_prediction'])}</strong>{detail}; observed "
        f"<strong>{h(observed)}</strong>: " + ("agrees" if agree else "<strong>disagrees</strong>")
    )


# ---------------------------------------------------------------- releases (recipes)


def recipe_cells(df: pd.DataFrame, release: str) -> pd.DataFrame:
    """Cells of `release` that really loaded with default builds and host pins."""
    d = baseline(df[df["host_release"] == release])
    return d[d["outcome"] == "loads"].sort_values(["host_go", "plugin_name", "cell"])


RECIPE_PROOF_SRC = "releases/recipe-proof.md"


def recipe_proof(d: pd.DataFrame, links: Links, with_release: bool = False) -> str:
    """The plugins built by `plugin-matrix build-plugin --for HOST`, one per host, and
    whether each loaded: the proof that the recipe read from a host file is enough."""
    r = d[d["plugin_pins"] == "recipe"].sort_values(
        ["host_release", "host_go", "host_variant", "host_platform", "cell"]
    )
    if r.empty:
        return "No host of this dataset has a recipe-built plugin yet."
    able = r[r["outcome"].isin(["loads", "fails"])]
    loaded = int((able["outcome"] == "loads").sum())
    pct = f"{100 * loaded / len(able):.0f}%" if len(able) else "n/a"
    head = (
        f"**{loaded} of {plural(len(able), 'host')}** that could run a load got a plugin that "
        f"loads from the recipe read out of the host file ({pct}); "
        f"{plural(len(r) - len(able), 'host')} could not be tried (below, with the reason: "
        "a host that cannot load Go plugins at all is said so by `recipe` before anything "
        "is built)."
    )
    rows = []
    for row in r.itertuples(index=False):
        why = md(first_line(str(row.reason or row.error or ""))) if row.outcome != "loads" else ""
        flags = str(row.plugin_build_command).split("-buildmode=plugin", 1)[-1].split(" -o ")[0].strip()
        cells = [md(row.host_release)] if with_release else []
        rows.append(
            [
                *cells,
                md(row.host_go),
                md(row.host_variant),
                md(row.host_platform),
                outcome_badge(str(row.outcome)),
                code(flags) if flags else "",
                cell_link(links, str(row.cell)),
                why,
            ]
        )
    cols = (["kustomize"] if with_release else []) + [
        "host Go",
        "host variant",
        "platform",
        "outcome",
        "plugin flags (from the host)",
        "cell",
        "why not",
    ]
    return head + "\n\n" + table(cols, rows)


def recipe_proof_page(df: pd.DataFrame) -> str:
    links = Links(RECIPE_PROOF_SRC)
    return page(
        "Recipes read from the host: the proof",
        "For every kustomize host of the dataset, a plugin was built by the recipe that "
        "`plugin-matrix recipe --for HOST` reads from the host file alone (Go release, "
        "platform, build flags, every module version), exactly as "
        "`plugin-matrix build-plugin --for HOST DIR -o OUT.so` does, and loaded for real.",
        recipe_proof(df, links, with_release=True),
    )


def _plugin_path(stderr: str) -> str:
    m = re.search(r"Attempting plugin load from '([^']+)'", stderr)
    return m.group(1) if m else ""


def release_page(df: pd.DataFrame, ctx: Context, release: str) -> str:
    links = Links(release_src(release))
    d = df[df["host_release"] == release]
    meta = ctx.releases.get(release, {})
    parts = []
    api = meta.get("api") or (d["host_api"].iloc[0] if not d.empty else "?")
    kyaml = meta.get("kyaml") or (d["host_kyaml"].iloc[0] if not d.empty else "?")
    parts.append(
        f"kustomize {md(release)} links `sigs.k8s.io/kustomize/api` {md(api)} and "
        f"`sigs.k8s.io/kustomize/kyaml` {md(kyaml)}. {plural(len(d), 'cell')} measured: "
        f"{count(d, 'loads')} loaded, {count(d, 'fails')} failed to load."
    )
    ok = recipe_cells(d, release)
    parts.append(f"## To build a plugin that loads into kustomize {md(release)}\n")
    if ok.empty:
        parts.append(
            "No cell of this release loaded in this dataset, so no recipe can be "
            "given from evidence. See what fails below."
        )
    else:
        official = df.loc[(df["host_variant"] == "official") & (df["outcome"] == "fails"), ["cell"]]
        parts.append(
            "Everything below is copied from cells that really loaded. "
            + (
                f"Official release binaries cannot load Go plugins (measured: "
                f"{cells_list(links, official['cell'], 3)}), so build"
                if not official.empty
                else "Build"
            )
            + " kustomize and the plugin yourself, with the same Go release. "
            "`$WORK` stands for a scratch directory, `$HOST_BIN` for the kustomize "
            "built in step 1, `$CELL` for the directory holding the kustomization."
        )
        for go, g in ok.groupby("host_go", sort=True):
            same = g[g["plugin_go"] == go]
            if same.empty:
                continue
            r = same.iloc[0]
            parts.append(f"### With {md(go)}\n")
            parts.append(
                f"Loaded in {cells_list(links, same['cell'])}. Check your Go with "
                f"`go version`: it must print {code(go)} for both builds.\n"
            )
            parts.append("**1. Build kustomize** with this go.mod, environment and command:")
            parts.append(pre(r["host_go_mod"], "go-mod") if r["host_go_mod"] else "")
            parts.append(
                pre(command_lines(str(r["host_build_env"]), str(r["host_build_command"])), "command")
            )
            parts.append(
                f"**2. Pin the plugin's go.mod** to the host's modules: "
                f"api {md(r['plugin_api'])}, kyaml {md(r['plugin_kyaml'])}; the "
                f"{md(r['plugin_name'])} plugin's go.mod as it loaded:"
            )
            parts.append(pre(r["plugin_go_mod"], "go-mod"))
            parts.append("**3. Build the plugin** with the same Go and no extra flags:")
            parts.append(
                pre(command_lines(str(r["plugin_build_env"]), str(r["plugin_build_command"])), "command")
            )
            path = _plugin_path(str(r["stderr"]))
            parts.append(
                "**4. Install it** where kustomize looks: "
                "`$KUSTOMIZE_PLUGIN_HOME/<group>/<version>/<lowercase kind>/<Kind>.so`"
                + (f"; in this cell {code(path)}" if path else "")
                + "."
            )
            parts.append(
                "**5. Check it**: the cell passed when the plugin's output appeared in the output of"
            )
            parts.append(pre(r["load_command"], "command"))
        flags = matched_flags(df, ctx, release)
        if flags:
            parts.append("### Flags\n")
            parts.append(flags)
    if (d["plugin_pins"] == "recipe").any():
        parts.append("## Or let the host tell you: `plugin-matrix recipe`\n")
        parts.append(
            "`plugin-matrix recipe --for $(command -v kustomize)` prints the above from "
            "your own kustomize binary; `plugin-matrix build-plugin --for HOST DIR -o "
            "OUT.so` applies it. Proof, for every host of this release in the dataset:\n"
        )
        parts.append(recipe_proof(d, links))
        parts.append(f"\n[Every release]({links.md(RECIPE_PROOF_SRC)})")
    parts.append("## What fails and why\n")
    parts.append(failures_table(d, ctx, links))
    return page(
        f"kustomize {release}",
        *parts,
        description=f"How to build a Go plugin that loads into kustomize {release}",
    )


def command_lines(env: str, command: str) -> str:
    """An environment and a command as a shell snippet, one variable per line."""
    words = env.split()
    if not words:
        return command
    return "env " + " \\\n    ".join(words) + " \\\n  " + command


def matched_flags(df: pd.DataFrame, ctx: Context, release: str) -> str:
    """What each build variant does when both sides, or only one, use it (if measured here)."""
    ref = ctx.reference
    if ref.get("release") != release:
        return ""
    rows = variant_rows(df, ctx)
    if not rows:
        return ""
    links = Links(release_src(release))
    out = ["Measured against this release (each flag on the host only, the plugin only, both):"]
    tab = []
    for v, res in rows.items():
        tab.append(
            [
                f"[{md(variant_desc(ctx, v))}]({links.md(variant_src(v))})",
                *(_pair_outcome(links, res.get(k)) for k in ("host", "plugin", "both")),
            ]
        )
    out.append(table(["flags", "host only", "plugin only", "both"], tab))
    return "\n".join(out)


def _pair_outcome(links: Links, row: Any) -> str:
    if row is None:
        return "—"
    return f"{md(row['outcome_b'])} ({cell_link(links, str(row['cell_b']))})"


def failures_table(d: pd.DataFrame, ctx: Context, links: Links) -> str:
    bad = d[d["outcome"] != "loads"]
    if bad.empty:
        return "Nothing failed."
    hgo = bad["host_go"].where(bad["host_go"] != "", bad["host_toolchain"])
    pgo = bad["plugin_go"].where(bad["plugin_go"] != "", bad["plugin_toolchain"])
    bad = bad.assign(
        key=bad["class"].where(bad["class"] != "", bad["error"].map(first_line)),
        pair=hgo + " ← " + pgo,
        variants=bad["host_variant"] + "/" + bad["plugin_variant"] + "/" + bad["plugin_pins"],
    )
    rows = []
    for (outcome, key), g in bad.groupby(["outcome", "key"], sort=True):
        r = g.iloc[0]
        what = class_link(ctx, links, str(r["class"])) if r["class"] else md(key, 100)
        rows.append(
            [
                md(outcome),
                what or "—",
                str(len(g)),
                md(", ".join(sorted(uniq(g["pair"]))), 120),
                md(", ".join(sorted(uniq(g["variants"]))), 120),
                cells_list(links, g["cell"], 3),
            ]
        )
    return (
        "Grouped by outcome and error class; “host ← plugin” gives the Go releases, "
        "the next column host variant / plugin variant / pins.\n"
        + table(["outcome", "error", "cells", "host Go ← plugin Go", "variants", "examples"], rows)
    )


def releases_index(df: pd.DataFrame, ctx: Context) -> str:
    links = Links("releases/index.md")
    rows = []
    for rel in reversed(releases_in(df, ctx)):
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
        ok = recipe_cells(d, rel)
        gos = ", ".join(sorted(uniq(ok[ok["host_go"] == ok["plugin_go"]]["host_go"])))
        rows.append(
            [
                f"[{md(rel)}]({links.md(release_src(rel))})",
                md(d["host_api"].iloc[0]),
                md(d["host_kyaml"].iloc[0]),
                str(count(d, "loads")),
                str(count(d, "fails")),
                md(gos or "none"),
            ]
        )
    return page(
        "Recipes per kustomize release",
        "One page per release: how to build a plugin that loads into it (copied from cells "
        "that loaded) and what fails and why. Newest first. "
        f"[Recipes read from the host file, and their proof]({links.md(RECIPE_PROOF_SRC)}).",
        table(["kustomize", "api", "kyaml", "loads", "fails", "loaded with Go"], rows),
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


# Columns the pairs of cells carry (suffixed _a and _b): what the pages show of them.
PAIR_COLUMNS = list(
    dict.fromkeys([*dataset.KEY_COLUMNS, "cell", "outcome", "class", "error", "host_go", "plugin_go"])
)
_MEMO: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}


def _memo(df: pd.DataFrame, ctx: Context, key: Any, make: Any) -> Any:
    """make(), once per (frame, context, key) while both live: pages ask for the same pairs
    many times (renderers stay pure: same inputs, same result)."""
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
    """dataset.isolating_pairs over the PAIR_COLUMNS of `df`."""
    return dataset.isolating_pairs(df[[c for c in PAIR_COLUMNS if c in df.columns]], vary, reference)


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


_AXIS_CHANGED = {
    "host-variant": ["host_variant"],
    "plugin-variant": ["plugin_variant"],
    "matched-variant": ["host_variant", "plugin_variant"],
    "pins": ["plugin_pins"],
    "platform": ["host_platform", "plugin_platform"],
}


def pairs_table(p: pd.DataFrame, ctx: Context, links: Links, changed: list[str]) -> str:
    cols = [
        "plugin_name_b",
        "outcome_a",
        "outcome_b",
        "cell_a",
        "cell_b",
        "class_b",
        "error_b",
        *(c + s for c in changed for s in ("_a", "_b")),
    ]
    rows = []
    for r in records(p, cols):
        change = ", ".join(
            f"{c.replace('_', ' ')}: {r[c + '_a']} → {r[c + '_b']}"
            for c in changed
            if r[c + "_a"] != r[c + "_b"]
        )
        effect = "same" if r["outcome_a"] == r["outcome_b"] else "<strong>changed</strong>"
        rows.append(
            [
                h(r["plugin_name_b"]),
                h(change),
                f"{h(r['outcome_a'])} ({cell_a(links, str(r['cell_a']))})",
                f"{h(r['outcome_b'])} ({cell_a(links, str(r['cell_b']))})",
                effect,
                class_a(ctx, links, str(r["class_b"])) or esc(first_line(str(r["error_b"]))[:80]),
            ]
        )
    return html_table(["plugin", "what changed", "before", "after", "outcome", "after: error"], rows)


def axis_page(df: pd.DataFrame, ctx: Context, axis: str, picture: str | None) -> str:
    links = Links(axis_src(axis))
    p = axis_pairs(df, ctx, axis)
    ref = ctx.reference
    parts = [
        f"Pairs of cells identical in every input but this one, against the reference "
        f"cell (kustomize {md(ref.get('release', '?'))}, toolchain {md(ref.get('toolchain', '?'))}). "
        f"“before” is the cell with the default, “after” the cell with the change."
    ]
    if picture:
        parts.append(f"![{md(AXIS_TITLES.get(axis, axis))}]({links.md(picture)}){{ .heatmap }}\n")
    if p.empty:
        parts.append("No pair of cells for this axis in this dataset yet.")
    else:
        changed = p[p["outcome_a"] != p["outcome_b"]]
        parts.append(f"{plural(len(p), 'pair')}; the change altered the outcome in {len(changed)}.")
        parts.append(pairs_table(p, ctx, links, _AXIS_CHANGED[axis]))
    if axis in ("host-variant", "plugin-variant", "matched-variant"):
        vs = variant_rows(df, ctx)
        if vs:
            parts.append("## Per build variant\n")
            parts += [
                f"- [What {md(variant_desc(ctx, v))} does to plugin loading]({links.md(variant_src(v))})"
                for v in vs
            ]
    desc = {"pins": ctx.pins, "platform": ctx.platforms}.get(axis)
    if desc:
        parts.append("## Values\n")
        parts += [
            f"- **{md(k)}**: {md(v.get('description', '') or v.get('runner', '') or '')}"
            for k, v in desc.items()
        ]
    return page(AXIS_TITLES.get(axis, axis), *parts)


def variant_page(df: pd.DataFrame, ctx: Context, variant: str) -> str:
    links = Links(variant_src(variant))
    res = variant_rows(df, ctx).get(variant, {})
    v = ctx.variants.get(variant, {})
    what = variant_desc(ctx, variant)
    desc = str(v.get("description", "") or "")
    parts = [
        (f"{md(desc)}. " if desc and desc != what else "") + "Measured by building the reference cell "
        f"(kustomize {md(ctx.reference.get('release', '?'))}, "
        f"{md(ctx.reference.get('toolchain', '?'))} Go, the {md(ctx.reference.get('plugin', '?'))} "
        f"plugin) with {code(what)} on the host only, the plugin only, and both."
    ]
    rows = []
    for side, label in (("host", "host only"), ("plugin", "plugin only"), ("both", "both")):
        r = res.get(side)
        if r is None:
            rows.append([label, "not measured", "", ""])
            continue
        rows.append(
            [
                label,
                f"{md(r['outcome_b'])} ({cell_link(links, str(r['cell_b']))})",
                f"{md(r['outcome_a'])} ({cell_link(links, str(r['cell_a']))})",
                class_link(ctx, links, str(r["class_b"])) or error_summary({"error": r["error_b"]}, 90),
            ]
        )
    parts.append(table(["built with it", "outcome", "without it", "error"], rows))
    verdict = variant_verdict(res)
    if verdict:
        parts.append(f"**In short:** {verdict}")
    return page(f"What {what} does to plugin loading", *parts)


def variant_verdict(res: dict[str, Any]) -> str:
    h, p, b = (res.get(k) for k in ("host", "plugin", "both"))
    ok = {k: (r is not None and r["outcome_b"] == "loads") for k, r in (("h", h), ("p", p), ("b", b))}
    if h is not None and p is not None and b is not None:
        if ok["h"] and ok["p"] and ok["b"]:
            return "it did not stop plugins loading, on either side."
        if not ok["h"] and not ok["p"] and ok["b"]:
            return "both sides must use it or neither: a mismatch stops the plugin loading."
        if not ok["b"]:
            return "no plugin loaded into a host built with it, even one built the same way."
    if h is not None and b is None:
        return (
            "a default-built plugin still loads into a host built with it."
            if ok["h"]
            else "a default-built plugin does not load into a host built with it."
        )
    return ""


def axes_index(df: pd.DataFrame, ctx: Context) -> str:
    links = Links("axes/index.md")
    parts = [
        "Each axis changes one input of the reference cell and keeps the rest: the pairs of cells "
        "show what that one change does.",
        "",
    ]
    parts += [
        f"- [{md(AXIS_TITLES[a])}]({links.md(axis_src(a))}) ({len(axis_pairs(df, ctx, a))} pairs)"
        for a in AXES
    ]
    vs = variant_rows(df, ctx)
    if vs:
        parts.append("\n## Build variants\n")
        parts += [
            f"- [What {md(variant_desc(ctx, v))} does to plugin loading]({links.md(variant_src(v))})"
            for v in vs
        ]
    return page("Axes: one change at a time", *parts)


# ---------------------------------------------------------------- toolchains


def toolchain_page(df: pd.DataFrame, ctx: Context, tc: str) -> str:
    links = Links(toolchain_src(tc))
    meta = ctx.toolchains.get(tc, {})
    gos = sorted(
        {
            g
            for g in uniq(df.loc[df["host_toolchain"] == tc, "host_go"])
            | uniq(df.loc[df["plugin_toolchain"] == tc, "plugin_go"])
            if g
        }
    )
    parts = [f"{md(meta.get('description', tc))}. Exact release: {md(', '.join(gos) or 'not available')}."]
    if meta.get("install"):
        parts.append(f"Install: {code(meta['install'])}")
    b = baseline(df[[c for c in PAIR_COLUMNS if c in df.columns]])
    rows = []
    flags = pd.DataFrame(
        {
            "rel": b["host_release"],
            "h": b["host_toolchain"] == tc,
            "p": b["plugin_toolchain"] == tc,
            "ok": b["outcome"] == "loads",
            "t": b["outcome"].isin(TRIED),
        }
    )
    flags["same"] = flags["h"] & flags["p"]
    flags["either"] = flags["h"] | flags["p"]
    by_rel = dict(iter(flags.groupby("rel", sort=False)))
    for rel in releases_in(df, ctx):
        f = by_rel.get(rel, flags.iloc[0:0])

        def ratio(mask: pd.Series, f: pd.DataFrame = f) -> str:
            return f"{int((mask & f['ok']).sum())}/{int((mask & f['t']).sum())}"

        rows.append(
            [
                f"[{md(rel)}]({links.md(release_src(rel))})",
                ratio(f["same"]),
                ratio(f["h"]),
                ratio(f["p"]),
                str(int((f["either"] & ~f["t"]).sum())),
            ]
        )
    parts.append(
        "Loads out of cells loaded (default builds), with this toolchain on both sides, "
        "on the host side, on the plugin side:"
    )
    parts.append(table(["kustomize", "both sides", "host", "plugin", "not loaded"], rows))
    parts.append("## Isolating pairs\n")
    parts.append(
        "Host and plugin built by this toolchain (before), then one side built by another "
        "(after); everything else identical."
    )
    found = False
    for vary, side in (("plugin_toolchain", "plugin"), ("host_toolchain", "host")):
        p = pairs(b, [vary], {"host_toolchain": tc, "plugin_toolchain": tc})
        if p.empty:
            continue
        found = True
        parts.append(f"### Another toolchain for the {side}\n")
        rows2 = []
        cols = [
            "host_release_a",
            "plugin_name_a",
            f"{side}_go_b",
            f"{side}_toolchain_b",
            "outcome_a",
            "outcome_b",
            "cell_a",
            "cell_b",
            "class_b",
            "error_b",
        ]
        for r in records(p, cols):
            rows2.append(
                [
                    h(r["host_release_a"]),
                    h(r["plugin_name_a"]),
                    h(r[f"{side}_go_b"] or r[f"{side}_toolchain_b"]),
                    f"{h(r['outcome_a'])} ({cell_a(links, str(r['cell_a']))})",
                    f"{h(r['outcome_b'])} ({cell_a(links, str(r['cell_b']))})",
                    class_a(ctx, links, str(r["class_b"])) or esc(first_line(str(r["error_b"]))[:80]),
                ]
            )
        parts.append(
            html_table(["kustomize", "plugin", f"{side} Go after", "before", "after", "after: error"], rows2)
        )
    if not found:
        parts.append("No pair for this toolchain in this dataset.")
    return page(f"Toolchain {tc}", *parts)


def toolchains_index(df: pd.DataFrame, ctx: Context) -> str:
    links = Links("toolchains/index.md")
    ids = sorted(
        uniq(df["host_toolchain"]) | uniq(df["plugin_toolchain"]),
        key=lambda t: (list(ctx.toolchains).index(t) if t in ctx.toolchains else 99, t),
    )
    rows = []
    for tc in ids:
        gos = sorted(
            {
                g
                for g in uniq(df.loc[df["host_toolchain"] == tc, "host_go"])
                | uniq(df.loc[df["plugin_toolchain"] == tc, "plugin_go"])
                if g
            }
        )
        rows.append(
            [
                f"[{md(tc)}]({links.md(toolchain_src(tc))})",
                md(", ".join(gos) or "—"),
                md(ctx.toolchains.get(tc, {}).get("description", "")),
            ]
        )
    return page(
        "Toolchains",
        "The Go toolchains kustomize and the plugins were built with.",
        table(["toolchain", "go", "what"], rows),
    )


def toolchain_ids(df: pd.DataFrame) -> list[str]:
    return sorted(uniq(df["host_toolchain"]) | uniq(df["plugin_toolchain"]))


# ---------------------------------------------------------------- errors


def observed_messages(d: pd.DataFrame) -> list[tuple[str, int, list[str]]]:
    """Distinct error texts (newest Go paths vary: keep text as recorded), count, cells."""
    if d.empty:
        return []
    groups = d.groupby("error", sort=False)["cell"].agg(list)
    return sorted(
        ((str(t), len(c), [str(x) for x in c]) for t, c in groups.items()), key=lambda x: (-x[1], x[0])
    )


ERROR_PAGE_COLUMNS = list(
    dict.fromkeys(
        [
            *CELL_TABLE_COLUMNS,
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


def error_page(df: pd.DataFrame, ctx: Context, c: ErrorClass) -> str:
    links = Links(error_src(c.slug))
    d = df.loc[df["class"] == c.slug, [x for x in ERROR_PAGE_COLUMNS if x in df.columns]]
    parts = []
    if c.stage:
        parts.append(f"Stage: **{md(c.stage)}**.")
    if c.cause:
        parts += ["## Cause\n", md_paragraphs(c.cause)]
    if c.fix:
        parts += ["## Fix\n", md_paragraphs(c.fix)]
    if c.slug == "unknown":  # `plugin-matrix explain` points unknown texts here
        parts += [
            "## Report it {#report}\n",
            "Open an issue in this project's repository with the whole error text, how the "
            "host and the plugin were built (Go release, flags, go.mod), and the output of "
            "`plugin-matrix inspect --json` for both files. A new class gets a page here and "
            "`plugin-matrix explain` learns it.",
        ]
    if c.patterns:
        parts += [
            "## Recognised by\n",
            "The error text matches one of these patterns:",
            "\n".join(f"- {code(p)}" for p in c.patterns),
        ]
    parts.append("## Observed\n")
    if d.empty:
        parts.append("Not observed in this dataset.")
    else:
        parts.append(
            f"{plural(len(d), 'cell')}, first seen {md(d['recorded_at'].min())}, last seen "
            f"{md(d['recorded_at'].max())}."
        )
        pk = sorted(p for p in uniq(d["package"]) if p)
        if pk:
            parts.append("Packages named: " + ", ".join(code(p) for p in pk) + ".")
        parts.append("### Raw messages\n")
        for text, n, cells in observed_messages(d)[:20]:
            parts.append(f"{plural(n, 'cell')}: {cells_list(links, cells, 4)}")
            parts.append(pre(text, "raw-error"))
        r = d.iloc[0]
        parts.append("## How to reproduce\n")
        parts.append(
            f"From cell {cell_link(links, str(r['cell']))}: build the host, build the "
            f"plugin, then load it (`$WORK` is a scratch directory, `$CELL` holds the "
            f"kustomization and the plugin home)."
        )
        for label, env, cmd in (
            ("host", "host_build_env", "host_build_command"),
            ("plugin", "plugin_build_env", "plugin_build_command"),
        ):
            if r[cmd]:
                parts.append(f"{label}:" + pre(f"{r[env]} {r[cmd]}", "command"))
        if r["load_command"]:
            parts.append("load:" + pre(r["load_command"], "command"))
    if c.related:
        parts.append("## Related\n")
        for s in c.related:
            other = ctx.cls(s)
            parts.append(f"- {class_link(ctx, links, s)}" + (f": {md(other.title)}" if other else ""))
    if not d.empty:
        parts.append("## Which cells\n")
        parts.append(capped_cells(d, ctx, links, f"type {code(c.slug)} in their filter box"))
    return page(c.title, *parts, description=f"kustomize Go plugin error: {c.title}")


def capped_cells(d: pd.DataFrame, ctx: Context, links: Links, how: str) -> str:
    """The cells of `d` as a table; past TABLE_CAP rows, the first ones and, per release, a
    link to the release's table of cells that has them all."""
    if len(d) <= TABLE_CAP:
        return cells_html_table(d, ctx, links)
    per = d["host_release"].value_counts()
    rows = [
        [f"[{md(rel)}]({links.md(cells_table_src(rel))})", str(int(per[rel]))]
        for rel in reversed(releases_in(d, ctx))
    ]
    return (
        f"{plural(len(d), 'cell')}, per kustomize release; the release's table of cells lists "
        f"them all ({how}):\n"
        + table(["kustomize", "cells"], rows)
        + f"\nThe first {TABLE_CAP}:\n"
        + cells_html_table(d, ctx, links, limit=TABLE_CAP)
    )


def md_paragraphs(text: str) -> str:
    """Catalog prose (project-written, still escaped): paragraphs kept, `code` spans kept."""
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        pieces = re.split(r"(`[^`]+`)", para)
        out.append(
            "".join(
                code(p[1:-1]) if p.startswith("`") and p.endswith("`") and len(p) > 1 else md(p)
                for p in pieces
            )
        )
    return "\n\n".join(out)


def errors_index(df: pd.DataFrame, ctx: Context) -> str:
    links = Links("errors/index.md")
    by = df.groupby("class", sort=False)["recorded_at"].agg(["size", "max"]) if not df.empty else None
    seen = {str(k): (int(v["size"]), str(v["max"])) for k, v in by.iterrows()} if by is not None else {}
    parts = [
        "One stable page per error class: error messages and tools can link to "
        "`errors/<slug>/`. The list is also published as "
        f"[errors.json]({links.md('errors.json')})."
    ]
    by_stage: dict[str, list[ErrorClass]] = {}
    for c in ctx.classes:
        by_stage.setdefault(c.stage or "other", []).append(c)
    for stage, cs in by_stage.items():
        parts.append(f"## {md(stage.capitalize())}\n")
        rows = []
        for c in cs:
            n, last = seen.get(c.slug, (0, ""))
            rows.append(
                [
                    f"[{md(c.title)}]({links.md(error_src(c.slug))})",
                    code(c.slug),
                    str(n),
                    md(last[:10]) if n else "—",
                ]
            )
        parts.append(table(["error", "slug", "cells", "last seen"], rows))
    unk = df[(df["outcome"].isin(["fails", "build-failed"])) & (df["class"].isin(["", UNKNOWN]))]
    if not unk.empty:
        parts.append("## Not classified yet\n")
        parts.append(f"{plural(len(unk), 'cell')} with an error that no class claims yet:")
        rows = [
            [md(t, 120), str(n), cells_list(links, cells, 3)]
            for t, n, cells in observed_messages(unk.assign(error=unk["error"].map(first_line)))
        ]
        parts.append(table(["first line of the error", "cells", "examples"], rows))
    if not ctx.classes:
        parts.append("The error catalog is not available in this build.")
    return page("Error catalog", *parts)


def redirect_page(old: str, new: str) -> str:
    """A renamed class keeps its old URL: a page pointing (and redirecting) to the new one."""
    links = Links(error_src(old))
    target = links.href(error_src(new))
    return page(
        f"Moved: {old}",
        f'<meta http-equiv="refresh" content="0; url={esc(target)}">',
        f"This error class is now [{md(new)}]({links.md(error_src(new))}).",
    )


# ---------------------------------------------------------------- doctor


def doctor_page(df: pd.DataFrame, ctx: Context) -> str:
    links = Links(DOCTOR_PAGE)
    parts = [
        "`plugin-matrix doctor` predicts, from the two files alone, whether a plugin will load "
        "into a kustomize binary. Here every prediction is compared with what happened."
    ]
    df = df[
        [
            "cell",
            "outcome",
            "class",
            "package",
            "host_release",
            "host_go",
            "host_toolchain",
            "plugin_go",
            "plugin_toolchain",
            "host_variant",
            "plugin_variant",
            "plugin_pins",
            "doctor_prediction",
            "doctor_error",
            "doctor_class",
            "doctor_package",
        ]
    ]  # filters below copy only these
    t = tried(df)
    have = t[(t["doctor_prediction"] != "") | (t["doctor_error"] != "")]
    if have.empty:
        parts.append("No cell has a doctor prediction yet.")
        return page("Doctor agreement", *parts)
    pred = have["doctor_prediction"].where(have["doctor_error"] == "", "error")
    agree = have[pred == have["outcome"]]
    parts.append(
        f"{plural(len(have), 'cell')} with a prediction: the doctor agreed on "
        f"{len(agree)} ({100 * len(agree) / len(have):.0f} %)."
    )
    rows = []
    for p_ in ("loads", "fails", "error"):
        rows.append(
            [
                f"predicted {p_}",
                *(str(int(((pred == p_) & (have["outcome"] == o)).sum())) for o in ("loads", "fails")),
            ]
        )
    parts.append(table(["", "observed loads", "observed fails"], rows))
    both_fail = have[
        (pred == "fails")
        & (have["outcome"] == "fails")
        & (have["class"] != "")
        & (have["doctor_class"] != "")
    ]
    class_ok = both_fail[both_fail["doctor_class"] == both_fail["class"]]
    pkg = both_fail[(both_fail["package"] != "") & (both_fail["doctor_package"] != "")]
    if not both_fail.empty:
        same_pkg = int((pkg["package"] == pkg["doctor_package"]).sum())
        parts.append(
            f"Where both said “fails”, the predicted class matched in {len(class_ok)} of "
            f"{len(both_fail)} cells"
            + (f", the predicted package in {same_pkg} of {len(pkg)}" if not pkg.empty else "")
            + "."
        )
    dis = have[
        (pred != have["outcome"])
        | (
            (pred == "fails")
            & (have["class"] != "")
            & (have["doctor_class"] != "")
            & (have["class"] != have["doctor_class"])
        )
        | (
            (have["package"] != "")
            & (have["doctor_package"] != "")
            & (have["package"] != have["doctor_package"])
        )
    ]
    parts.append("## Disagreements\n")
    if dis.empty:
        parts.append("None.")
    else:
        if len(dis) > TABLE_CAP:
            parts.append(
                f"The first {TABLE_CAP} of {len(dis)}; the [downloads]({links.md('data/index.md')}) "
                f"have them all (rows whose `doctor_prediction` is not the `outcome`, or whose "
                f"classes or packages differ)."
            )
        rows = []
        cols = [
            "cell",
            "host_release",
            "host_go",
            "host_toolchain",
            "plugin_go",
            "plugin_toolchain",
            "host_variant",
            "plugin_variant",
            "plugin_pins",
            "doctor_prediction",
            "doctor_class",
            "doctor_package",
            "outcome",
            "class",
            "package",
        ]
        for r in records(dis.head(TABLE_CAP), cols):
            rows.append(
                [
                    cell_a(links, str(r["cell"])),
                    h(r["host_release"]),
                    h(f"{go_of(r, 'host')} ← {go_of(r, 'plugin')}"),
                    h(f"{r['host_variant']}/{r['plugin_variant']}/{r['plugin_pins']}"),
                    h(r["doctor_prediction"] or "error"),
                    class_a(ctx, links, str(r["doctor_class"]))
                    + (f" {hcode(r['doctor_package'])}" if r["doctor_package"] else ""),
                    h(r["outcome"]),
                    class_a(ctx, links, str(r["class"]))
                    + (f" {hcode(r['package'])}" if r["package"] else ""),
                ]
            )
        parts.append(
            html_table(
                [
                    "cell",
                    "kustomize",
                    "host Go ← plugin Go",
                    "variants",
                    "predicted",
                    "predicted class",
                    "observed",
                    "observed class",
                ],
                rows,
            )
        )
    return page("Doctor agreement", *parts)


# ---------------------------------------------------------------- checklists


@dataclass
class Item:
    text: str  # markdown, escaped
    cells: list[str]
    ok: bool = True  # False: an item that warns (measured harm), True: a do-this item


def _variant_items(df: pd.DataFrame, ctx: Context, side: str) -> list[Item]:
    items = []
    for v, res in variant_rows(df, ctx).items():
        desc = code(variant_desc(ctx, v))
        one, both = res.get(side), res.get("both")
        if one is None:
            continue
        cells = [str(one["cell_a"]), str(one["cell_b"])] + ([str(both["cell_b"])] if both is not None else [])
        if one["outcome_b"] == "loads":
            items.append(Item(f"{desc} on the {side} only: still loads.", cells))
        elif both is not None and both["outcome_b"] == "loads":
            other = "plugin authors" if side == "host" else "the kustomize build"
            items.append(
                Item(
                    f"If you build with {desc}, {other} must use it too: with it on the "
                    f"{side} only the plugin fails to load; on both sides it loads.",
                    cells,
                    False,
                )
            )
        elif both is not None:
            items.append(
                Item(
                    f"Do not build with {desc}: with it on the {side} the plugin does not "
                    f"load, even when both sides use it.",
                    cells,
                    False,
                )
            )
        elif side == "host" and v in ("official", "noplugin"):
            items.append(
                Item(f"Do not build with {desc}: with it on the host, no plugin loads.", cells, False)
            )
        else:
            other = "the plugin" if side == "host" else "kustomize"
            items.append(
                Item(
                    f"Do not build with {desc} unless {other} is built with it too: with it "
                    f"on the {side} only, the plugin does not load (both sides: not measured "
                    f"yet).",
                    cells,
                    False,
                )
            )
    return items


def _go_item(df: pd.DataFrame, release: str, who: str) -> Item | None:
    b = tried(baseline(df[df["host_release"] == release]))
    if b.empty:
        return None
    same, diff = b[b["host_go"] == b["plugin_go"]], b[b["host_go"] != b["plugin_go"]]
    cells = list(same[same["outcome"] == "loads"]["cell"][:3]) + list(diff["cell"][:3])
    if who == "packager":
        text = (
            f"Publish the exact Go release you built with (`go version kustomize` prints it): "
            f"plugins built by the same release loaded in {count(same, 'loads')} of {len(same)} "
            f"cells, by another release in {count(diff, 'loads')} of {len(diff)}."
        )
    else:
        text = (
            f"Build with exactly the Go release that built the kustomize binary "
            f"(`go version $(command -v kustomize)`): same release, {count(same, 'loads')} of "
            f"{len(same)} cells loaded; another release, {count(diff, 'loads')} of {len(diff)}."
        )
    return Item(text, cells, count(diff, "loads") == len(diff))


def _pins_items(df: pd.DataFrame, ctx: Context, who: str) -> list[Item]:
    p = axis_pairs(df, ctx, "pins")
    if p.empty:
        return []
    good = p[p["outcome_b"] == "loads"]
    bad = p[p["outcome_b"] != "loads"]
    items = []
    if not bad.empty:
        names = ", ".join(sorted(uniq(bad["plugin_pins_b"])))
        descs = "; ".join(
            f"{k}: {ctx.pins.get(k, {}).get('description', k)}" for k in sorted(uniq(bad["plugin_pins_b"]))
        )
        if who == "packager":
            text = (
                f"Publish the module versions kustomize was built with (its go.mod, or "
                f"`go version -m kustomize`): plugins pinning other versions failed to load "
                f"({md(names)})."
            )
        else:
            text = (
                f"Pin your go.mod to the host's kustomize module, api and kyaml versions, and to "
                f"the host's version of every module you share with it; these failed: {md(descs)}."
            )
        items.append(Item(text, list(bad["cell_b"][:4]) + list(bad["cell_a"][:1]), False))
    if not good.empty and who == "author":
        descs = "; ".join(
            f"{k}: {ctx.pins.get(k, {}).get('description', k)}" for k in sorted(uniq(good["plugin_pins_b"]))
        )
        items.append(
            Item(f"These ways of pinning or building still loaded: {md(descs)}.", list(good["cell_b"][:4]))
        )
    return items


def _platform_item(df: pd.DataFrame, ctx: Context, who: str) -> Item | None:
    p = axis_pairs(df, ctx, "platform")
    if p.empty:
        return None
    cross = p[p["host_platform_b"] != p["plugin_platform_b"]]
    same = p[p["host_platform_b"] == p["plugin_platform_b"]]
    cells = list(cross["cell_b"][:3]) + list(same["cell_b"][:3])
    bits = []
    if not same.empty:
        ran = tried(same.rename(columns={"outcome_b": "outcome"}))
        bits.append(
            f"same platform on both sides: {count(ran, 'loads')} of {len(ran)} loaded"
            + (f", {len(same) - len(ran)} not run here" if len(same) > len(ran) else "")
        )
    if not cross.empty:
        ran = tried(cross.rename(columns={"outcome_b": "outcome"}))
        bits.append(f"plugin built for another platform: {count(ran, 'loads')} of {len(ran)} loaded")
    who_text = (
        "Build and publish kustomize per platform (GOOS/GOARCH) with cgo"
        if who == "packager"
        else "Build one plugin per platform, for the host's GOOS/GOARCH"
    )
    return Item(f"{who_text}: {md('; '.join(bits))}.", cells, False)


def checklist_items(df: pd.DataFrame, ctx: Context, release: str, who: str) -> list[Item]:
    """Checklist for `who` ("packager" or "author") and one release, backed by cells."""
    if who not in ("packager", "author"):
        raise ValueError(who)
    items: list[Item] = []
    go = _go_item(df, release, who)
    if go:
        items.append(go)
    items += _variant_items(df, ctx, "host" if who == "packager" else "plugin")
    items += _pins_items(df, ctx, who)
    plat = _platform_item(df, ctx, who)
    if plat:
        items.append(plat)
    ok = recipe_cells(df, release)
    if not ok.empty:
        items.append(
            Item(
                f"Before publishing, build the test plugin the way the recipe for "
                f"{md(release)} says and load it with `kustomize build "
                f"--enable-alpha-plugins`: the plugin's output must appear.",
                list(ok["cell"][:3]),
            )
        )
    return items


def checklist_markdown(
    df: pd.DataFrame, ctx: Context, release: str, who: str, links: Links, heading: str = "##"
) -> str:
    items = checklist_items(df, ctx, release, who)
    title = "Releasing or packaging kustomize" if who == "packager" else "Before you publish a Go plugin"
    lines = [f"{heading} {title}: kustomize {md(release)}", ""]
    ref = ctx.reference.get("release")
    if ref and ref != release:
        lines += [
            f"Build flags, pins and platforms were measured against kustomize {md(ref)}; "
            f"Go releases against {md(release)}.",
            "",
        ]
    if not items:
        lines.append("No cell measured for this release yet.")
    for it in items:
        proof = ", ".join(f"[{md(c)}]({links.md(cell_src(c))})" for c in dict.fromkeys(it.cells))
        lines.append(f"- [ ] {it.text} (cells: {proof})")
    lines.append(f"\nRecipe: [{md(release)}]({links.md(release_src(release))}).")
    return "\n".join(lines) + "\n"


def checklist_page(df: pd.DataFrame, ctx: Context, release: str, who: str, src: str) -> str:
    links = Links(src)
    title = "Checklist for kustomize releasers" if who == "packager" else "Checklist for plugin authors"
    intro = (
        f"For kustomize {md(release)}, the newest release measured. Each item links to the cells "
        f"that prove it. For another release, as markdown for a release issue: "
        f"`plugin-matrix checklist --kustomize vX.Y.Z`."
    )
    return page(title, intro, checklist_markdown(df, ctx, release, who, links, heading="##"))


# ---------------------------------------------------------------- data, history


COLUMN_NOTES = {
    "cell": "stable id: a hash of the cell's inputs",
    "outcome": "loads, fails, build-failed, skipped, not-run, harness-error",
    "class": "error class slug (errors/<slug>/)",
    "package": "the package named by a version-mismatch error",
    "error": "the text that explains the outcome (log lines and goroutine dumps removed)",
    "axes": "`;`-joined axes the cell belongs to",
    "host_go": "exact Go release that built kustomize",
    "plugin_go": "exact Go release that built the plugin",
    "plugin_pins": "how the plugin's go.mod was pinned",
    "doctor_prediction": "loads or fails, predicted statically",
    "emulator": "the command that ran "
    "the host when not run directly (qemu-user, or the platform's dynamic loader)",
    "emulator_kind": "emulator (qemu-user) or loader (native code through the platform's ld.so)",
    "sandbox": "how the load was confined (bwrap and its version, or none)",
    "recorded_at": "when the cell was measured (UTC)",
}


def data_page(df: pd.DataFrame, ctx: Context, downloads: dict[str, int], schema_src: str) -> str:
    links = Links("data/index.md")
    parts = [f"{plural(len(df), 'cell')}, one row per cell, the same columns in every format."]
    parts.append(
        table(
            ["file", "size"],
            [
                [f"[{md(n)}]({links.md('data/' + n)})", f"{size / 1024:.0f} KiB"]
                for n, size in downloads.items()
            ],
        )
    )
    parts.append(
        f"Each row is flattened from one record, `data/cells/<cell>.json`, which follows "
        f"[the record schema]({links.md(schema_src)}). "
        f"[How the data is made]({links.md('about/data.md')})."
    )
    parts.append("## How this run was made\n")
    if df.empty:
        parts.append("No cell recorded yet.")
    else:
        runners = (
            df.groupby(["runner_os", "runner_arch", "runner_kernel", "runner_libc", "emulator"], dropna=False)
            .size()
            .reset_index(name="cells")
        )
        parts.append(
            table(
                ["os", "arch", "kernel", "libc", "emulator", "cells"],
                [
                    [
                        md(r["runner_os"]),
                        md(r["runner_arch"]),
                        md(r["runner_kernel"]),
                        md(r["runner_libc"]),
                        md(r["emulator"] or "native"),
                        str(r["cells"]),
                    ]
                    for _, r in runners.iterrows()
                ],
            )
        )
        gos = sorted({g for g in uniq(df["host_go"]) | uniq(df["plugin_go"]) if g})
        parts.append(
            f"- plugin-matrix version: {md(', '.join(sorted(uniq(df['tool_version']))))}\n"
            f"- measured from {md(df['recorded_at'].min())} to {md(df['recorded_at'].max())}\n"
            f"- Go releases: {md(', '.join(gos))}\n"
            f"- kustomize releases: {md(', '.join(releases_in(df, ctx)))}\n"
            + "".join(f"- {md(o)}: {count(df, o)}\n" for o in dataset.OUTCOMES if count(df, o))
        )
    parts.append("## Columns\n")
    parts.append(
        table(["column", "meaning"], [[code(c), md(COLUMN_NOTES.get(c, ""))] for c in dataset.COLUMNS])
    )
    return page("Data", *parts)


def history_page(ctx: Context, present: set[str]) -> str:
    links = Links("history.md")
    h = ctx.history
    runs = (h or {}).get("runs", [])
    if not runs:
        return page(
            "History",
            "No history recorded yet: `plugin-matrix history` adds the current "
            "dataset to `data/history.json` after a run, and this page then lists what changed "
            "from run to run.",
        )
    parts = [f"{plural(len(runs), 'run')} recorded in `data/history.json`, newest first."]
    for run in reversed(runs):
        parts.append(f"## {md(run.get('date', '?'))}\n")
        outc = run.get("outcomes", {})
        parts.append(
            f"{plural(int(run.get('cells', 0)), 'cell')}: "
            + ", ".join(f"{md(k)} {int(v)}" for k, v in sorted(outc.items()))
            + "."
        )
        changed = run.get("changed", [])
        if changed:
            parts.append(f"### {plural(len(changed), 'cell')} changed outcome\n")
            if len(changed) > TABLE_CAP:
                parts.append(f"The first {TABLE_CAP}; `data/history.json` lists them all.")
            parts.append(
                table(
                    ["cell", "before", "after"],
                    [
                        [
                            _hist_cell(links, c["cell"], present),
                            md(c.get("before") or "new"),
                            md(c.get("after") or "gone"),
                        ]
                        for c in changed[:TABLE_CAP]
                    ],
                )
            )
        new = run.get("new_errors", [])
        if new:
            parts.append(f"### {plural(len(new), 'error')} first seen\n")
            if len(new) > TABLE_CAP:
                parts.append(f"The first {TABLE_CAP}; `data/history.json` lists them all.")
            parts.append(
                table(
                    ["class", "error", "cell"],
                    [
                        [
                            class_link(ctx, links, e.get("class", "")) or "—",
                            md(e.get("error", ""), 120),
                            _hist_cell(links, e["cell"], present),
                        ]
                        for e in new[:TABLE_CAP]
                    ],
                )
            )
        if not changed and not new:
            parts.append("Nothing changed." if run is not runs[0] else "The first recorded run.")
    return page("History", *parts)


def _hist_cell(links: Links, cell: str, present: set[str]) -> str:
    # A cell from an old run may be gone from today's data: link only cells we render.
    return cell_link(links, cell) if cell in present else md(cell)

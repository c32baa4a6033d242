"""The cells: a page per id prefix with every cell's section (cells/<c..>.md), the tables of
cells per kustomize release (matrix/cells/<release>.md) and their index (matrix/cells.md)."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import pandas as pd
from markupsafe import Markup

from matrix.site import frames, links, render
from matrix.site.context import Context
from matrix.site.links import Links

_row = render.macro("cells/table.html.j2", "row")
_table = render.macro("cells/table.html.j2", "table")
_pre = render.macro("_html.html.j2", "pre")


def _cached(macro: Callable[..., Markup], size: int) -> Callable[..., Markup]:
    """`macro`, called once per distinct arguments: many cells share a build, a runner,
    an error text."""
    return functools.lru_cache(maxsize=size)(macro)


_pre_cached = _cached(_pre, 2048)
_kustomize = _cached(render.macro("cells/_parts.html.j2", "kustomize"), 4096)
_side = _cached(render.macro("cells/_parts.html.j2", "side"), 1 << 14)
_build = _cached(render.macro("cells/_parts.html.j2", "build"), 1 << 14)
_load = _cached(render.macro("cells/_parts.html.j2", "load"), 4096)
_runner = _cached(render.macro("cells/_parts.html.j2", "runner"), 1024)
_words = _cached(render.macro("cells/table.html.j2", "words"), 4096)  # flags, platforms: few values


def _block(text: Any, css: str) -> Markup | str:
    """A text shown as a block (the `pre` macro), or "" for no text."""
    if not text:
        return ""
    s = str(text)
    return _pre_cached(s, css) if len(s) <= 4096 else _pre(s, css)


def _row_data(row: Any, ctx: Context, here: Links) -> SimpleNamespace:
    """A row of a table of cells, as cells/table.html.j2 reads it."""
    cell, error_class = str(row["cell"]), str(row["class"])
    return SimpleNamespace(
        cell=cell,
        cell_href=here.cell_href(cell),
        outcome=row["outcome"],
        disagree=bool(row.get("disagreement")),
        release=row["host_release"],
        host_go=frames.go_of(row, "host"),
        plugin_go=frames.go_of(row, "plugin"),
        plugin=frames.plugin_label(row["plugin_name"], row.get("plugin_mechanism")),
        kind=frames.kind_of(row.get("plugin_mechanism"), row.get("plugin_scenario")),
        host_flags=_words(_flags(ctx, str(row["host_variant"]))),
        plugin_flags=_words(_flags(ctx, str(row["plugin_variant"]))),
        pins=row["plugin_pins"],
        platform=_words(frames.platform_of(row)),
        error_class=error_class,
        error_class_href=_class_href(ctx, here, error_class),
        package=str(row.get("package") or ""),
        doctor=row["doctor_prediction"] or ("error" if row["doctor_error"] else ""),
        error=str(row["error"] or "").strip(),
        gist=frames.gist(row["error"]) if row["error"] else "",
    )


def _flags(ctx: Context, variant: str) -> str:
    """A build variant as the table shows it: its flags ("default": none)."""
    return frames.variant_desc(ctx, variant)


def table_row(row: Any, ctx: Context) -> str:
    """A cell's row of the table of its release (matrix/cells/<release>.md), as HTML."""
    return str(_row(_row_data(row, ctx, Links(links.cells_table_src(str(row["host_release"]))))))


def cells_table(d: pd.DataFrame, ctx: Context, here: Links, limit: int | None = None) -> Markup:
    """The cells of `d` as a sortable, filterable table (the first `limit` in CELL_ORDER)."""
    order = d.sort_values(frames.CELL_ORDER)
    if limit is not None:
        order = order.head(limit)
    cols = [c for c in frames.CELL_TABLE_COLUMNS if c in order.columns]
    return _table([_row(_row_data(r, ctx, here)) for r in frames.records(order, cols)], frames.TABLE_KEYS)


def index_page(df: pd.DataFrame, ctx: Context) -> str:
    """matrix/cells.md: the tables of cells, one per kustomize release."""
    return render.page(
        "matrix/cells.md.j2",
        "Every cell",
        links=Links("matrix/cells.md"),
        total=len(df),
        releases=frames.release_counts(df, list(reversed(frames.releases_in(df, ctx)))),
    )


def table_page(d: pd.DataFrame, ctx: Context, release: str) -> str:
    """matrix/cells/<release>.md: every cell of one kustomize release, as one table (its
    rows from the column TABLE_ROW when the frame has it)."""
    here = Links(links.cells_table_src(release))
    if frames.TABLE_ROW in d.columns:
        rows = d.sort_values(frames.CELL_ORDER)[frames.TABLE_ROW].tolist()
        table = _table([Markup(r) for r in rows], frames.TABLE_KEYS)  # made by the row macro (table_row)
    else:
        table = cells_table(d, ctx, here)
    return render.page(
        "matrix/cells_table.md.j2",
        f"Every cell of kustomize {release}",
        search=False,
        hide=("navigation", "toc"),
        links=here,
        release=release,
        cells=len(d),
        loads=frames.count(d, "loads"),
        fails=frames.count(d, "fails"),
        table=table,
    )


def groups(df: pd.DataFrame) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(group, rows) for every page of cells, in cell order: one pass over the frame."""
    cols = [c for c in frames.CELL_COLUMNS if c in df.columns]
    for group, rows in itertools.groupby(
        frames.records(df.sort_values("cell"), cols), key=lambda r: links.cell_group(str(r["cell"]))
    ):
        yield group, list(rows)


def _opt(v: Any) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def _class_href(ctx: Context, here: Links, error_class: str) -> str | None:
    """Where an error class's page is (None: no such class in the catalog)."""
    return here.href(links.error_src(error_class)) if error_class and ctx.error_class(error_class) else None


def section_data(row: Any, ctx: Context, here: Links) -> SimpleNamespace:
    """What a cell's section shows (a row of the frame, as cells/sections.html.j2 reads it)."""
    rel = str(row["host_release"])
    error_class, doctor_cls = str(row["class"]), str(row["doctor_class"])

    def side(s: str, name: str = "", kind: str = "", pins: str = "") -> Markup:
        return _side(
            name,
            kind,
            str(row[f"{s}_go"]),
            str(row[f"{s}_toolchain"]),
            str(row[f"{s}_variant"]),
            str(row[f"{s}_flags"]),
            pins,
            str(row[f"{s}_platform"]),
        )

    def build(s: str) -> Markup:
        return _build(
            str(row[f"{s}_build_status"]), str(row[f"{s}_build_env"]), str(row[f"{s}_build_command"])
        )

    return SimpleNamespace(
        cell=str(row["cell"]),
        outcome=str(row["outcome"]),
        error_class=error_class,
        error_class_href=_class_href(ctx, here, error_class),
        package=str(row["package"] or ""),
        kustomize=_kustomize(
            here.href(links.release_src(rel)), rel, str(row["host_api"]), str(row["host_kyaml"])
        ),
        host=side("host"),
        plugin=side("plugin", str(row["plugin_name"]), str(row["plugin_kind"]), str(row["plugin_pins"])),
        axes=str(row["axes"]).replace(";", ", "),
        doctor=SimpleNamespace(
            error=str(row["doctor_error"] or ""),
            prediction=str(row["doctor_prediction"] or ""),
            error_class=doctor_cls,
            error_class_href=_class_href(ctx, here, doctor_cls),
            package=str(row["doctor_package"] or ""),
        ),
        host_build=build("host"),
        host_sha256=str(row["host_sha256"] or ""),
        plugin_build=build("plugin"),
        plugin_sha256=str(row["plugin_sha256"] or ""),
        load=_load(
            str(row["load_command"]), _opt(row["exit_code"]), _opt(row["signal"]), bool(row["timed_out"])
        ),
        runner=_runner(
            str(row["runner_os"]),
            str(row["runner_arch"]),
            str(row["runner_kernel"]),
            str(row["runner_libc"]),
            str(row["emulator_kind"]),
            str(row["emulator"]),
            str(row["sandbox"]),
        ),
        recorded_at=str(row["recorded_at"]),
        seen=ctx.seen("cells", str(row["cell"])),
        observations=observations(str(row.get("observations") or "")),
        disagreement=str(row.get("disagreement") or ""),
        tool_version=str(row["tool_version"]),
        reason=str(row["reason"] or ""),
        error=_block(row["error"], "raw-error"),
        doctor_message=_block(row["doctor_message"], "doctor-message"),
        doctor_evidence=_block(row["doctor_evidence"], "doctor-evidence"),
    )


def observations(text: str) -> list[SimpleNamespace]:
    """A cell's observations (the JSON of the `observations` column), as its section
    shows them: when, where (runner), how each side's Go was resolved, what happened."""
    out = []
    for o in json.loads(text) if text else []:
        run = o.get("runner") or {}
        emu = run.get("emulator") or {}
        res = o.get("resolved") or {}
        out.append(
            SimpleNamespace(
                recorded_at=str(o.get("recorded_at", "")),
                runner=", ".join(
                    x
                    for x in (
                        f"{run.get('os', '?')}/{run.get('arch', '?')}",
                        f"kernel {run['kernel']}" if run.get("kernel") else "",
                        str(run.get("libc") or ""),
                        str(run.get("cpu") or ""),
                        "emulated" if emu and emu.get("kind", "emulator") == "emulator" else "",
                    )
                    if x
                ),
                resolved=", ".join(f"{k} {v}" for k, v in sorted(res.items())),
                outcome=str(o.get("outcome", "")),
                error_class=str(o.get("class") or ""),
                package=str(o.get("package") or ""),
                tool_version=str(o.get("tool_version", "")),
            )
        )
    return out


def group_page(group: str, rows: Sequence[Any], ctx: Context) -> str:
    """cells/<group>.md: the sections of every cell (rows of the frame) whose id starts with `group`."""
    here = Links(f"cells/{group}.md")
    sections = render.text("cells/sections.html.j2", cells=[section_data(r, ctx, here) for r in rows])
    return render.page(
        "cells/group.md.j2",
        f"Cells {group}…",
        description=f"measured cells {group}…",
        search=False,
        links=here,
        group=group,
        cells=len(rows),
        sections=Markup(sections),  # an HTML template's output
    )

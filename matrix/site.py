"""The mkdocs glue: read data/, call the pure renderers, hand every page to a writer.

docs/gen_pages.py (run by the mkdocs-gen-files plugin at build time) passes a writer
that puts files into the build's virtual docs folder, so generated pages never land in
docs/. Only reading happens here: data/ is never written during a build.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from matrix import classify, dataset, heatmap, history, jsonio, render
from matrix import grid as gridmod
from matrix.render import AXES, Context, ErrorClass

Writer = Callable[[str, "str | bytes"], None]
DATA_ENV = "PLUGIN_MATRIX_DATA"  # another dataset (tests build small sites from fixtures)


def data_dir(project: Path) -> Path:
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else project / "data"


def load_classes(data: Path) -> tuple[ErrorClass, ...]:
    """The error catalog of DATA (else the project's), as the renderers need it."""
    cat: Any = classify.catalog_for(data)
    out = []
    for c in cat.classes:
        out.append(ErrorClass(
            slug=str(c.slug), title=str(getattr(c, "title", c.slug)),
            stage=str(getattr(c, "stage", "") or ""), cause=str(getattr(c, "cause", "") or ""),
            fix=str(getattr(c, "fix", "") or ""),
            patterns=tuple(str(p) for p in (getattr(c, "patterns", ()) or ())),
            related=tuple(str(r) for r in (getattr(c, "related", ()) or ()))))
    return tuple(out)


def context(data: Path, df: pd.DataFrame | None = None) -> Context:
    g = gridmod.load(data / "grid.toml")
    ref = g.profiles.get("default", next(iter(g.profiles.values())))["reference"]
    return Context(releases=g.releases, toolchains=g.toolchains, variants=g.variants, pins=g.pins,
                   platforms=g.platforms, reference=dict(ref), classes=load_classes(data),
                   history=history.load(data))


def frame(data: Path) -> pd.DataFrame:
    if not (data / "cells").is_dir():
        return dataset.frame([])
    return dataset.load(data)


def _axis_picture(df: pd.DataFrame, ctx: Context, axis: str) -> heatmap.Grid | None:
    p = render.axis_pairs(df, ctx, axis)
    if p.empty:
        return None
    cols = list(df.columns)
    a = p[[f"{c}_a" for c in cols]].set_axis(cols, axis=1)
    b = p[[f"{c}_b" for c in cols]].set_axis(cols, axis=1)
    sides = pd.concat([a, b]).drop_duplicates("cell")
    row, col, rt, ct = {
        "host-variant": ("host_variant", "plugin_name", "host built with", "plugin"),
        "plugin-variant": ("plugin_variant", "plugin_name", "plugin built with", "plugin"),
        "matched-variant": ("host_variant", "plugin_name", "both built with", "plugin"),
        "pins": ("plugin_pins", "plugin_name", "plugin go.mod pins", "plugin"),
        "platform": ("host_platform", "plugin_platform", "kustomize built for", "plugin built for"),
    }[axis]
    rows = ["default"] + sorted(set(sides[row]) - {"default"}) if "variant" in axis else None
    if axis == "pins":
        rows = ["host"] + sorted(set(sides[row]) - {"host"})
    return heatmap.pivot(sides, row, col, render.AXIS_TITLES[axis], rt, ct, rows=rows)


def generate(write: Writer, data: Path) -> list[str]:
    """Write every generated page and file through `write`; returns their paths."""
    df = frame(data)
    ctx = context(data, df)
    written: list[str] = []

    def put(path: str, content: str | bytes) -> None:
        write(path, content)
        written.append(path)

    rels = render.releases_in(df, ctx)
    pictures: dict[str, str] = {}
    for rel in rels:
        path = f"matrix/img/kustomize-{rel}.png"
        put(path, heatmap.draw(heatmap.release_grid(df, rel)))
        pictures[rel] = path
    overview = None
    if rels:
        overview = "matrix/img/overview.png"
        put(overview, heatmap.draw(heatmap.overview_grid(df, rels)))
    axis_pictures: dict[str, str] = {}
    for axis in AXES:
        g = _axis_picture(df, ctx, axis)
        if g is not None:
            path = f"matrix/img/axis-{axis}.png"
            put(path, heatmap.draw(g))
            axis_pictures[axis] = path

    put("index.md", render.home(df, ctx, overview))
    put("matrix/index.md", render.matrix_index(df, ctx, pictures, axis_pictures))
    put("matrix/cells.md", render.cells_table(df, ctx))
    for _, row in df.iterrows():
        put(render.cell_src(str(row["cell"])), render.cell_page(row, ctx))
    put("releases/index.md", render.releases_index(df, ctx))
    for rel in rels:
        put(render.release_src(rel), render.release_page(df, ctx, rel))
    put("toolchains/index.md", render.toolchains_index(df, ctx))
    for tc in render.toolchain_ids(df):
        put(render.toolchain_src(tc), render.toolchain_page(df, ctx, tc))
    put("axes/index.md", render.axes_index(df, ctx))
    for axis in AXES:
        put(render.axis_src(axis), render.axis_page(df, ctx, axis, axis_pictures.get(axis)))
    for v in render.variant_rows(df, ctx):
        put(render.variant_src(v), render.variant_page(df, ctx, v))
    put("errors/index.md", render.errors_index(df, ctx))
    for c in ctx.classes:
        put(render.error_src(c.slug), render.error_page(df, ctx, c))
    catalog = classify.catalog_for(data)
    for old, new in sorted(catalog.redirects.items()):
        put(render.error_src(old), render.redirect_page(old, new))
    put("errors.json", jsonio.dumps(classify.catalog_json(catalog)))
    put(render.DOCTOR_PAGE, render.doctor_page(df, ctx))
    newest = render.newest_release(df, ctx)
    for who, src in (("packager", "checklists/kustomize-release.md"),
                     ("author", "checklists/plugin-authors.md")):
        put(src, render.checklist_page(df, ctx, newest, who, src) if newest
            else render.page("Checklist", "No cell measured yet."))
    sizes = {}
    for name, content in dataset.downloads(df).items():
        put(f"data/{name}", content)
        sizes[name] = len(content)
    schema = resources.files("matrix.schemas").joinpath("record.schema.json").read_text()
    put("data/record.schema.json", schema)
    put("data/index.md", render.data_page(df, ctx, sizes, "data/record.schema.json"))
    put("history.md", render.history_page(ctx, set(df["cell"])))
    return written


def write_to(root: Path) -> Writer:
    """A writer into a plain folder (for `plugin-matrix site --out`, and tests)."""
    def write(path: str, content: str | bytes) -> None:
        p = root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    return write

"""Every generated page but the cells' own (see matrix.site.shards), in the order written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from matrix.core import catalog, jsonio, words
from matrix.site import frames, links
from matrix.site.context import AXES, Context
from matrix.site.pages import (
    axes,
    cells,
    checklists,
    doctor,
    errors,
    examples,
    history,
    home,
    mechanisms,
    overview,
    releases,
    tested,
    toolchains,
)
from matrix.site.pictures import Pictures

Put = Callable[[str, str | bytes], None]
CHECKLISTS = (("packager", "checklists/kustomize-release.md"), ("author", "checklists/plugin-authors.md"))


def text_pages(
    put: Put, df: pd.DataFrame, tables: pd.DataFrame, ctx: Context, data: Path, pics: Pictures
) -> None:
    """`df`: the site's frame (every cell); `go`: its Go plugin sweep cells (frames.go_plugins),
    which the pages about Go plugins count; `tables`: the columns of the tables of cells (with
    their rows as HTML when the shards made them, frames.TABLE_ROW)."""
    go = frames.go_plugins(df)
    rels = frames.releases_in(df, ctx)  # every release with cells gets its page (tables link it)
    put("index.md", home.page(go, ctx, pics.overview))
    put("matrix/index.md", overview.page(go, ctx, pics))
    put("matrix/cells.md", cells.index_page(df, ctx))
    present = frames.uniq(df["cell"])
    put("cells/renamed.json", jsonio.dumps({old: new for old, new in ctx.renamed.items() if new in present}))
    for rel, d in tables.groupby("host_release", sort=False):
        put(links.cells_table_src(str(rel)), cells.table_page(d, ctx, str(rel)))
    put("releases/index.md", releases.index_page(go, ctx))
    put(links.RECIPE_PROOF_SRC, releases.recipe_proof_page(go))
    put(links.TESTED_SRC, tested.page(go, ctx))
    for rel in rels:
        put(links.release_src(rel), releases.release_page(go, ctx, rel, pics.releases.get(rel)))
    examples.pages(put, go, ctx, data)
    put("toolchains/index.md", toolchains.index_page(go, ctx))
    for tc in frames.toolchain_ids(go):
        put(links.toolchain_src(tc), toolchains.page(go, ctx, tc))
    put("axes/index.md", axes.index_page(go, ctx))
    for axis in AXES:
        put(links.axis_src(axis), axes.axis_page(go, ctx, axis, pics.axes.get(axis)))
    for v in frames.variant_rows(go, ctx):
        put(links.variant_src(v), axes.variant_page(go, ctx, v))
    put("errors/index.md", errors.index_page(df, ctx))
    for c in ctx.classes:
        put(links.error_src(c.slug), errors.page(df, ctx, c))
    cat = catalog.catalog_for(data)
    for old, new in sorted(cat.redirects.items()):
        put(links.error_src(old), errors.redirect_page(old, new))
    put("errors.json", jsonio.dumps(words.errors_json(cat)))
    put(links.DOCTOR_PAGE, doctor.page(df, ctx))
    put(mechanisms.SRC, mechanisms.page(df, ctx))
    target = frames.newest_with_recipe(go, ctx) or frames.newest_release(go, ctx)
    for who, src in CHECKLISTS:
        put(src, checklists.page(go, ctx, target, who, src))
    put("history.md", history.page(df, ctx, present))

"""The mkdocs glue: read data/, render every page, hand every page and file to an output.

docs/gen_pages.py (run by the mkdocs-gen-files plugin at build time) passes an output
that puts files into the build's virtual docs folder, so generated pages never land in
docs/. Only reading happens here: data/ is never written during a build.

Scale (100,000 cells: under a minute and well under a GiB on two cores): the cells are
read, their own pages rendered and their part of the (compressed) downloads written, in
parallel shards (matrix.site.shards); the other pages are rendered from the frame the
shards leave (matrix.site.pagelist) while the downloads are put together in a thread.
Heatmaps are inline SVG (matrix.site.pictures). HTML blocks are moved past
python-markdown (matrix.site.blocks).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from matrix.dataset import downloads as dl
from matrix.dataset import frame as dataset
from matrix.dataset import read
from matrix.site import blocks as blockmod
from matrix.site import context, frames, pagelist, shards
from matrix.site.blocks import Blocks
from matrix.site.pages import downloads
from matrix.site.pictures import plan

DATA_ENV = "PLUGIN_MATRIX_DATA"  # another dataset (tests and benchmarks build sites from other data)
SHARDS_ENV = shards.SHARDS_ENV
log = logging.getLogger("mkdocs.plugins.plugin_matrix")


class Output(Protocol):
    """Where generated files go."""

    def write(self, path: str, content: str | bytes) -> None: ...

    def file(self, path: str) -> Path | None:
        """A real file for `path` that another process may fill before the build copies
        it (None: this output has no such file; content must go through write)."""
        ...


def data_dir(project: Path) -> Path:
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else project / "data"


def frame(data: Path) -> pd.DataFrame:
    """The frame pages are made from: every cell, the bulk of raw texts left out (the
    downloads have them; see dataset.site_frame)."""
    if not (data / "cells").is_dir():
        return dataset.frame([])
    return dataset.site_frame(data)


def generate(out: Output, data: Path, inline: bool = False) -> list[str]:
    """Write every generated page and file to `out`; returns their paths.

    Unless `inline`, HTML blocks are taken out of the pages into the scratch folder of
    blocks.ACTIVE, for the hooks to put back (an mkdocs build); with `inline` the pages
    keep them (plain markdown files)."""
    t0 = time.perf_counter()
    shards.arrow_memory()
    gc.freeze()  # what mkdocs has loaded stays: the collector need not scan it again and again
    if blockmod.ACTIVE is not None:
        blockmod.ACTIVE.close()
    scratch = Path(tempfile.mkdtemp(prefix="plugin-matrix-site-"))
    blocks_dir = Path(tempfile.mkdtemp(prefix="plugin-matrix-blocks-"))
    blocks = Blocks(blocks_dir, prefix="main-")
    blockmod.ACTIVE = None if inline else blocks
    written: list[str] = []
    kinds: dict[str, float] = {}  # seconds spent making each kind of page (path's first part)
    last = [time.perf_counter()]

    def put(path: str, content: str | bytes) -> None:
        now = time.perf_counter()
        kind = path.split("/", 1)[0] if "/" in path else path.removesuffix(".md")
        kinds[kind] = kinds.get(kind, 0.0) + now - last[0]
        if not inline and isinstance(content, str) and path.endswith(".md"):
            content = blocks.take(path, content)
        out.write(path, content)
        written.append(path)
        last[0] = time.perf_counter()

    workers: list[shards.Worker] = []
    try:
        names = read.record_names(data) if (data / "cells").is_dir() else []
        parts_names = shards.split(names, shards.shard_count(len(names)))
        parts = [scratch / f"s{k}" for k in range(len(parts_names))]
        workers = [
            shards.start_worker(data, parts_names[k], parts[k], blocks_dir, f"s{k}")
            for k in range(1, len(parts_names))
        ]
        if parts_names:
            shards.shard_pass(data, parts_names[0], parts[0], blocks_dir, "s0", context.for_cells(data), True)
        for w in workers:
            w.finish()
        t_cells = time.perf_counter()
        for p in parts:
            for page in json.loads((p / "pages.json").read_text(encoding="utf-8")):
                if inline:
                    text = blocks.inline(page["text"])
                else:
                    text = page["text"]
                    blocks.adopt(page["src"], page["blocks"], page["anchors"])
                out.write(page["src"], text)
                written.append(page["src"])
        names_out = [*dl.DOWNLOAD_NAMES, *dl.OLD_NAMES]
        targets = {n: out.file(f"data/{n}") for n in names_out}
        local = {n: t if t is not None else scratch / n for n, t in targets.items()}
        # Put the downloads together in a thread (file copies and Parquet encoding let go
        # of the GIL) while the pages are rendered here.
        assembled: dict[str, Any] = {}

        def assemble() -> None:
            try:
                assembled["sizes"] = shards.assemble(
                    parts,
                    {n: local[n] for n in dl.DOWNLOAD_NAMES},
                    {n: local[n] for n in dl.OLD_NAMES},
                )
            except BaseException as e:  # re-raised below
                assembled["error"] = e

        thread = threading.Thread(target=assemble, name="plugin-matrix-downloads")
        thread.start()
        try:
            df = shards.site_frame(parts)
            t_merge = last[0] = time.perf_counter()
            ctx = context.load(data)
            _pages(put, df, ctx, data)
        finally:
            thread.join()
        if "error" in assembled:
            raise assembled["error"]
        sizes = assembled["sizes"]
        for n in names_out:
            if targets[n] is None:
                put(f"data/{n}", local[n].read_bytes())
            else:
                written.append(f"data/{n}")
        schema = resources.files("matrix.core.schemas").joinpath("record.schema.json").read_text()
        put("data/record.schema.json", schema)
        put("data/index.md", downloads.page(df, ctx, sizes, "data/record.schema.json"))
    except BaseException:
        for w in workers:
            w.stop()
        blocks.close()
        blockmod.ACTIVE = None
        raise
    finally:
        frames.forget()
        gc.unfreeze()
        shutil.rmtree(scratch, ignore_errors=True)
        if inline:
            blocks.close()
    log.info(
        f"plugin-matrix: generated {len(written)} files from {len(df)} cells in "
        f"{time.perf_counter() - t0:.1f} s ({len(parts_names)} shards: cells {t_cells - t0:.1f} s, "
        f"frame {t_merge - t_cells:.1f} s, pages and downloads {time.perf_counter() - t_merge:.1f} s)"
    )
    log.info(
        "plugin-matrix: seconds per kind of page: "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]) if v >= 0.05)
    )
    return written


def _pages(put: pagelist.Put, df: pd.DataFrame, ctx: context.Context, data: Path) -> None:
    if frames.TABLE_ROW in df.columns:
        tables = df[list(dict.fromkeys([*frames.CELL_ORDER, "outcome", frames.TABLE_ROW]))]
        df = df.drop(columns=[frames.TABLE_ROW])  # every other page filters the frame: keep it narrow
    else:
        tables = df
    go = frames.go_plugins(df)  # the pictures are about Go plugins
    pics = plan(go, ctx, frames.releases_in(go, ctx))
    pagelist.text_pages(put, df, tables, ctx, data, pics)


class Folder:
    """An output into a plain folder (plain Markdown pages with `inline`: tests, reviews)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, path: str) -> Path:
        p = self.root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def write(self, path: str, content: str | bytes) -> None:
        p = self._path(path)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")

    def file(self, path: str) -> Path | None:
        return self._path(path)


class Paths:
    """An output that only keeps the paths written (tests)."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def write(self, path: str, content: str | bytes) -> None:  # noqa: ARG002 - the paths are all it keeps
        self.paths.append(path)

    def file(self, path: str) -> Path | None:  # noqa: ARG002 - no file behind it
        return None

"""The mkdocs glue: read data/, call the pure renderers, hand every page to an output.

docs/gen_pages.py (run by the mkdocs-gen-files plugin at build time) passes an output
that puts files into the build's virtual docs folder, so generated pages never land in
docs/. Only reading happens here: data/ is never written during a build.

Scale (100,000 cells: under a minute and well under a GiB on two cores):

- Everything done once per cell happens in one pass over the records (shard_pass), split
  in contiguous shards of cell ids that parallel processes run: read and check the
  record, flatten it, write its part of the downloads, render its section (on the page of
  its id's first characters) and its row of its release's table. The parts are then put
  together: the downloads byte for byte as one process would write them, the frame the
  other pages are made from (without the bulk of the raw texts).
- Parts of pages with many rows come from render as pre-escaped HTML blocks
  (render.html_block). Python-markdown would spend minutes on them, so they are moved out
  of the markdown into files of a scratch folder and put back into each page as mkdocs
  writes it (the hooks in matrix/site/hooks.py, registered by docs/hooks.py); the
  ids they carry are added to the page's anchors so mkdocs still checks links to them.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from matrix import UserError
from matrix.core import catalog, jsonio
from matrix.core import grid as gridmod
from matrix.dataset import downloads, history, read
from matrix.dataset import frame as dataset
from matrix.site import render
from matrix.site.render import AXES, Context, ErrorClass

DATA_ENV = "PLUGIN_MATRIX_DATA"  # another dataset (tests and benchmarks build sites from other data)
PICTURES = 6  # per-release heatmap pictures drawn (newest releases); older ones get tables
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


def load_classes(data: Path) -> tuple[ErrorClass, ...]:
    """The error catalog of DATA (else the project's), as the renderers need it."""
    cat: Any = catalog.catalog_for(data)
    out = []
    for c in cat.classes:
        out.append(
            ErrorClass(
                slug=str(c.slug),
                title=str(getattr(c, "title", c.slug)),
                stage=str(getattr(c, "stage", "") or ""),
                cause=str(getattr(c, "cause", "") or ""),
                fix=str(getattr(c, "fix", "") or ""),
                patterns=tuple(str(p) for p in (getattr(c, "patterns", ()) or ())),
                related=tuple(str(r) for r in (getattr(c, "related", ()) or ())),
            )
        )
    return tuple(out)


def context(data: Path) -> Context:
    g = gridmod.load(data / "grid.toml")
    ref = g.profiles.get("default", next(iter(g.profiles.values())))["reference"]
    return Context(
        releases=g.releases,
        toolchains=g.toolchains,
        variants=g.variants,
        pins=g.pins,
        platforms=g.platforms,
        reference=dict(ref),
        classes=load_classes(data),
        history=history.load(data),
    )


def frame(data: Path) -> pd.DataFrame:
    """The frame pages are made from: every cell, the bulk of raw texts left out (the
    downloads have them; see dataset.site_frame)."""
    if not (data / "cells").is_dir():
        return dataset.frame([])
    return dataset.site_frame(data)


def _axis_picture(df: pd.DataFrame, ctx: Context, axis: str) -> Any:
    """The heatmap.Grid of an axis (None: no pair of cells for it)."""
    from matrix.site import heatmap  # matplotlib: not in the processes that only read cells

    p = render.axis_pairs(df, ctx, axis)
    if p.empty:
        return None
    cols = [c[:-2] for c in p.columns if c.endswith("_a")]
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
    rows = ["default", *sorted(set(sides[row]) - {"default"})] if "variant" in axis else None
    if axis == "pins":
        rows = ["host", *sorted(set(sides[row]) - {"host"})]
    return heatmap.pivot(sides, row, col, render.AXIS_TITLES[axis], rt, ct, rows=rows)


# ---------------------------------------------------------------- pre-rendered HTML blocks

_BLOCK = re.compile(re.escape(render.HTML_OPEN) + r"\n(.*?)\n" + re.escape(render.HTML_CLOSE), re.S)
_PLACE = re.compile(r"<!-- pm:block ([\w-]+) -->")
_IDS = re.compile(r' id="([^"]+)"')  # data is escaped: no quote of its own ends up in markup


@dataclass
class Blocks:
    """HTML blocks taken out of generated pages, kept in files until the page is written."""

    folder: Path
    prefix: str = ""  # of block names: processes that share the folder use their own
    pages: dict[str, list[str]] = field(default_factory=dict)  # page src -> block names
    anchors: dict[str, set[str]] = field(default_factory=dict)  # page src -> ids in its blocks
    count: int = 0

    def take(self, src: str, text: str) -> str:
        """The page with each HTML block replaced by a placeholder (an HTML comment)."""

        def stash(m: re.Match[str]) -> str:
            name = f"{self.prefix}{self.count}"
            self.count += 1
            (self.folder / f"{name}.html").write_text(m.group(1), encoding="utf-8")
            self.pages.setdefault(src, []).append(name)
            self.anchors.setdefault(src, set()).update(_IDS.findall(m.group(1)))
            return f"<!-- pm:block {name} -->"

        return _BLOCK.sub(stash, text)

    def adopt(self, src: str, names: list[str], anchors: list[str]) -> None:
        """Blocks another process stashed for page `src`."""
        self.pages.setdefault(src, []).extend(names)
        self.anchors.setdefault(src, set()).update(anchors)

    def fill(self, src: str, html_text: str) -> str:
        """A page's HTML with its blocks put back (each read once, then deleted)."""
        if src not in self.pages:
            return html_text

        def put(m: re.Match[str]) -> str:
            p = self.folder / f"{m.group(1)}.html"
            block = p.read_text(encoding="utf-8")
            p.unlink()
            return block

        return _PLACE.sub(put, html_text)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


ACTIVE: Blocks | None = None  # the blocks of the build in progress (for the hooks)


# ---------------------------------------------------------------- reading the cells, in shards
#
# Everything done once per cell (read and check the record, flatten it, write its part
# of the downloads, render its section and its row of its release's table) happens in
# one pass over the records, split in contiguous shards of cell ids run by parallel
# processes (this one and SHARDS-1 others). The parts are then put together here.

SHARD_MIN = 4000  # fewer cells per shard than this: not worth another process
SHARDS_ENV = "PLUGIN_MATRIX_SHARDS"  # how many shards (default: one per CPU, at most 4)


def shard_count(cells: int) -> int:
    env = os.environ.get(SHARDS_ENV)
    if env:
        return max(1, int(env))
    return max(1, min(os.cpu_count() or 1, 4, cells // SHARD_MIN))


def split(names: list[str], n: int) -> list[list[str]]:
    """`names` (sorted) in at most n contiguous shards of about equal size, never splitting
    the cells of one page (same render.cell_group)."""
    shards: list[list[str]] = []
    start = 0
    for k in range(1, n):
        i = max(start, len(names) * k // n)
        while 0 < i < len(names) and names[i][:3] == names[i - 1][:3]:
            i += 1
        shards.append(names[start:i])
        start = i
    shards.append(names[start:])
    return [s for s in shards if s]


def _arrow_memory() -> None:
    """Arrow's buffers from the system allocator, which gives large ones back to the system
    when freed: the site build filters big frames one after the other."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def shard_pass(data: Path, names: list[str], folder: Path, blocks_dir: Path, key: str, ctx: Context) -> None:
    """Read the records `names` of DATA/cells once; write to `folder` this shard's part of
    the downloads (part.csv, part.json, full.arrow), its part of the site's frame with each
    cell's table row (light.arrow), and its pages of cells (pages.json; their HTML blocks
    in blocks_dir, named after `key`)."""
    import pyarrow as pa

    folder.mkdir(parents=True, exist_ok=True)
    blocks = Blocks(blocks_dir, prefix=f"{key}-")
    pages: list[dict[str, Any]] = []
    group: str | None = None
    group_rows: list[dict[str, Any]] = []

    def flush() -> None:
        if group is not None:
            src = f"cells/{group}.md"
            text = render.cell_group_page(group, group_rows, ctx)
            pages.append({"src": src, "text": blocks.take(src, text)})

    full_w = light_w = None
    first = True
    with (
        open(folder / "part.csv", "wb") as fcsv,
        open(folder / "part.json", "wb") as fjson,
        pa.OSFile(str(folder / "full.arrow"), "wb") as ffull,
        pa.OSFile(str(folder / "light.arrow"), "wb") as flight,
    ):
        for rows in dataset.row_batches(data, names=names):
            table = dataset.table_of(rows)
            df = table.to_pandas()
            fcsv.write(downloads.csv_rows(table))
            fjson.write((b"" if first else b",\n") + downloads.json_lines(rows))
            first = False
            if full_w is None:
                full_w = pa.ipc.new_stream(ffull, table.schema)
            full_w.write_table(table)
            light = dataset.lighten(df)[render.PAGE_COLUMNS]
            light[render.TABLE_ROW] = pd.array([render.cells_table_row(r, ctx) for r in rows], dtype="str")
            lt = pa.Table.from_pandas(light, preserve_index=False)
            if light_w is None:
                light_w = pa.ipc.new_stream(flight, lt.schema)
            light_w.write_table(lt)
            for r in rows:
                g = render.cell_group(str(r["cell"]))
                if g != group:
                    flush()
                    group, group_rows = g, []
                group_rows.append(r)
        flush()
        for w in (full_w, light_w):
            if w is not None:
                w.close()
    manifest = [
        {
            **p,
            "blocks": blocks.pages.get(p["src"], []),
            "anchors": sorted(blocks.anchors.get(p["src"], set())),
        }
        for p in pages
    ]
    (folder / "pages.json").write_text(json.dumps(manifest), encoding="utf-8")


@dataclass
class _Worker:
    proc: subprocess.Popen[bytes]
    err: Any

    def finish(self) -> None:
        self.proc.wait()
        self.err.seek(0)
        err = self.err.read().decode(errors="replace").strip()
        self.err.close()
        if self.proc.returncode != 0:
            raise UserError(err or f"a shard of the site build failed (exit status {self.proc.returncode})")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.err.closed:
            self.err.close()


def _child_env() -> dict[str, str]:
    """The environment of this build's helper processes: the same `matrix` package."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


def _start_worker(data: Path, names: list[str], folder: Path, blocks_dir: Path, key: str) -> _Worker:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "names.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "matrix.site.build", "shard", str(data), str(folder), str(blocks_dir), key]
    err = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _Worker.finish/stop
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, env=_child_env()
    )
    return _Worker(proc, err)


def _assemble(parts: list[Path], targets: dict[str, Path]) -> dict[str, int]:
    """The downloads from the shards' parts (in order), into `targets`; their sizes."""
    import pyarrow as pa

    with open(targets["dataset.csv"], "wb") as f:
        f.write(downloads.csv_header())
        for p in parts:
            with open(p / "part.csv", "rb") as src:
                shutil.copyfileobj(src, f, 1 << 20)
    with open(targets["dataset.json"], "wb") as f:
        filled = [p for p in parts if (p / "part.json").stat().st_size]
        f.write(b"[\n" if filled else b"[]\n")
        for i, p in enumerate(filled):
            if i:
                f.write(b",\n")
            with open(p / "part.json", "rb") as src:
                shutil.copyfileobj(src, f, 1 << 20)
        if filled:
            f.write(b"\n]\n")
    with open(targets["dataset.parquet"], "wb") as f:
        sink = downloads.ParquetSink(f)
        for p in parts:
            if (p / "full.arrow").stat().st_size:
                with pa.OSFile(str(p / "full.arrow"), "rb") as src:
                    for batch in pa.ipc.open_stream(src):
                        sink.write(pa.Table.from_batches([batch]))
        sink.close()
    return {n: targets[n].stat().st_size for n in downloads.DOWNLOAD_NAMES}


def _site_frame(parts: list[Path]) -> pd.DataFrame:
    import pyarrow as pa

    frames = []
    for p in parts:
        if (p / "light.arrow").stat().st_size:
            with pa.OSFile(str(p / "light.arrow"), "rb") as src:
                frames.append(pa.ipc.open_stream(src).read_all().to_pandas())
    if not frames:
        return dataset.frame([])
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _shard_main(argv: list[str]) -> int:
    """`python -m matrix.site.build shard DATA FOLDER BLOCKS KEY`: one shard (FOLDER/names.txt)."""
    data, folder, blocks_dir, key = Path(argv[0]), Path(argv[1]), Path(argv[2]), argv[3]
    names = (folder / "names.txt").read_text(encoding="utf-8").split()
    _arrow_memory()
    try:
        shard_pass(data, names, folder, blocks_dir, key, Context(classes=load_classes(data)))
    except UserError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------- every page


def generate(out: Output, data: Path, inline: bool = False) -> list[str]:
    """Write every generated page and file to `out`; returns their paths.

    Unless `inline`, HTML blocks are taken out of the pages into the scratch folder of
    ACTIVE, for the hooks to put back (an mkdocs build); with `inline` the pages keep
    them (plain markdown files)."""
    global ACTIVE
    t0 = time.perf_counter()
    _arrow_memory()
    gc.freeze()  # what mkdocs has loaded stays: the collector need not scan it again and again
    if ACTIVE is not None:
        ACTIVE.close()
    scratch = Path(tempfile.mkdtemp(prefix="plugin-matrix-site-"))
    blocks_dir = Path(tempfile.mkdtemp(prefix="plugin-matrix-blocks-"))
    blocks = Blocks(blocks_dir, prefix="main-")
    ACTIVE = None if inline else blocks
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

    workers: list[_Worker] = []
    drawing = _Drawing()
    try:
        names = read.record_names(data) if (data / "cells").is_dir() else []
        shards = split(names, shard_count(len(names)))
        parts = [scratch / f"s{k}" for k in range(len(shards))]
        workers = [
            _start_worker(data, shards[k], parts[k], blocks_dir, f"s{k}") for k in range(1, len(shards))
        ]
        classes = Context(classes=load_classes(data))
        if shards:
            shard_pass(data, shards[0], parts[0], blocks_dir, "s0", classes)
        for w in workers:
            w.finish()
        t_cells = time.perf_counter()
        for p in parts:
            for page in json.loads((p / "pages.json").read_text(encoding="utf-8")):
                if inline:
                    text = _PLACE.sub(
                        lambda m: render.html_block(
                            (blocks_dir / f"{m.group(1)}.html").read_text(encoding="utf-8")
                        ),
                        page["text"],
                    )
                else:
                    text = page["text"]
                    blocks.adopt(page["src"], page["blocks"], page["anchors"])
                out.write(page["src"], text)
                written.append(page["src"])
        targets = {n: out.file(f"data/{n}") for n in downloads.DOWNLOAD_NAMES}
        local = {n: t if t is not None else scratch / n for n, t in targets.items()}
        # Put the downloads together in a thread (file copies and Parquet encoding let go
        # of the GIL) while the pages are rendered here.
        assembled: dict[str, Any] = {}

        def assemble() -> None:
            try:
                assembled["sizes"] = _assemble(parts, local)
            except BaseException as e:  # re-raised below
                assembled["error"] = e

        thread = threading.Thread(target=assemble, name="plugin-matrix-downloads")
        thread.start()
        try:
            df = _site_frame(parts)
            t_merge = last[0] = time.perf_counter()
            ctx = context(data)
            _pages(put, df, ctx, data, drawing)
        finally:
            thread.join()
        if "error" in assembled:
            raise assembled["error"]
        sizes = assembled["sizes"]
        for n in downloads.DOWNLOAD_NAMES:
            if targets[n] is None:
                put(f"data/{n}", local[n].read_bytes())
            else:
                written.append(f"data/{n}")
        schema = resources.files("matrix.core.schemas").joinpath("record.schema.json").read_text()
        put("data/record.schema.json", schema)
        put("data/index.md", render.data_page(df, ctx, sizes, "data/record.schema.json"))
    except BaseException:
        for w in workers:
            w.stop()
        drawing.stop()
        blocks.close()
        ACTIVE = None
        raise
    finally:
        render.forget()
        gc.unfreeze()
        shutil.rmtree(scratch, ignore_errors=True)
        if inline:
            blocks.close()
    log.info(
        f"plugin-matrix: generated {len(written)} files from {len(df)} cells in "
        f"{time.perf_counter() - t0:.1f} s ({len(shards)} shards: cells {t_cells - t0:.1f} s, "
        f"frame {t_merge - t_cells:.1f} s, pages and downloads {time.perf_counter() - t_merge:.1f} s)"
    )
    log.info(
        "plugin-matrix: seconds per kind of page: "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]) if v >= 0.05)
    )
    return written


def _pages(
    put: Callable[[str, str | bytes], None], df: pd.DataFrame, ctx: Context, data: Path, drawing: _Drawing
) -> None:
    from matrix.site import heatmap  # matplotlib: not in the processes that only read cells

    if render.TABLE_ROW in df.columns:
        tables = df[list(dict.fromkeys([*render.CELL_ORDER, "outcome", render.TABLE_ROW]))]
        df = df.drop(columns=[render.TABLE_ROW])  # every other page filters the frame: keep it narrow
    else:
        tables = df
    rels = render.releases_in(df, ctx)
    todraw: dict[str, Any] = {}  # picture path -> heatmap.Grid
    pictures: dict[str, str] = {}
    grids: dict[str, Any] = {}
    for i, rel in enumerate(reversed(rels)):
        g = heatmap.release_grid(df, rel)
        if i < PICTURES:
            pictures[rel] = f"matrix/img/kustomize-{rel}.png"
            todraw[pictures[rel]] = g
        else:
            grids[rel] = g
    overview = None
    if rels:
        overview = "matrix/img/overview.png"
        todraw[overview] = heatmap.overview_grid(df, rels)
    axis_pictures: dict[str, str] = {}
    for axis in AXES:
        g = _axis_picture(df, ctx, axis)
        if g is not None:
            axis_pictures[axis] = f"matrix/img/axis-{axis}.png"
            todraw[axis_pictures[axis]] = g
    drawing.draw(todraw)
    _text_pages(put, df, tables, ctx, data, rels, overview, pictures, axis_pictures, grids)
    del tables
    for path, png in drawing.finish().items():
        put(path, png)


class _Drawing:
    """Heatmap pictures drawn by another process while this one renders the pages
    (matplotlib holds the GIL), or here when there is one CPU. The process starts early,
    while this one is small, and waits for its grids on standard input."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="plugin-matrix-img-"))
        self.paths: list[str] = []
        self.proc: subprocess.Popen[bytes] | None = None
        if (os.cpu_count() or 1) >= 2:
            cmd = [sys.executable, "-m", "matrix.site.heatmap", "draw", "-", str(self.folder)]
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=_child_env(),
            )

    def draw(self, grids: dict[str, Any]) -> None:
        """Start drawing `grids` (picture path -> heatmap.Grid)."""
        from dataclasses import asdict

        self.paths = list(grids)
        if self.proc is None:
            from matrix.site import heatmap

            heatmap.draw_files(list(grids.values()), self.folder)
            return
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps([asdict(g) for g in grids.values()]).encode())
        self.proc.stdin.close()

    def finish(self) -> dict[str, bytes]:
        try:
            if self.proc is not None:
                assert self.proc.stderr is not None
                err = self.proc.stderr.read()
                self.proc.stderr.close()
                self.proc.wait()
                if self.proc.returncode != 0:
                    raise UserError(f"drawing the heatmaps failed: {err.decode(errors='replace').strip()}")
            return {p: (self.folder / f"{i}.png").read_bytes() for i, p in enumerate(self.paths)}
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for f in (self.proc.stdin, self.proc.stderr):
                if f is not None and not f.closed:
                    f.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _text_pages(
    put: Callable[[str, str | bytes], None],
    df: pd.DataFrame,
    tables: pd.DataFrame,
    ctx: Context,
    data: Path,
    rels: list[str],
    overview: str | None,
    pictures: dict[str, str],
    axis_pictures: dict[str, str],
    grids: dict[str, Any],
) -> None:

    put("index.md", render.home(df, ctx, overview))
    put("matrix/index.md", render.matrix_index(df, ctx, pictures, axis_pictures, grids))
    put("matrix/cells.md", render.cells_index(df, ctx))
    for rel, d in tables.groupby("host_release", sort=False):
        put(render.cells_table_src(str(rel)), render.cells_table_page(d, ctx, str(rel)))
    put("releases/index.md", render.releases_index(df, ctx))
    put(render.RECIPE_PROOF_SRC, render.recipe_proof_page(df))
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
    cat = catalog.catalog_for(data)
    for old, new in sorted(cat.redirects.items()):
        put(render.error_src(old), render.redirect_page(old, new))
    put("errors.json", jsonio.dumps(catalog.catalog_json(cat)))
    put(render.DOCTOR_PAGE, render.doctor_page(df, ctx))
    newest = render.newest_release(df, ctx)
    for who, src in (
        ("packager", "checklists/kustomize-release.md"),
        ("author", "checklists/plugin-authors.md"),
    ):
        put(
            src,
            render.checklist_page(df, ctx, newest, who, src)
            if newest
            else render.page("Checklist", "No cell measured yet."),
        )
    put("history.md", render.history_page(ctx, render.uniq(df["cell"])))


class Folder:
    """An output into a plain folder (for `plugin-matrix site --out`, and tests)."""

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


def write_to(root: Path) -> Folder:
    return Folder(root)


class Paths:
    """An output that only keeps the paths written (tests)."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def write(self, path: str, content: str | bytes) -> None:  # noqa: ARG002 - the paths are all it keeps
        self.paths.append(path)

    def file(self, path: str) -> Path | None:  # noqa: ARG002 - no file behind it
        return None


if __name__ == "__main__":
    if sys.argv[1:2] == ["shard"] and len(sys.argv) == 6:
        raise SystemExit(_shard_main(sys.argv[2:]))
    print("usage: python -m matrix.site.build shard DATA FOLDER BLOCKS KEY", file=sys.stderr)
    raise SystemExit(2)

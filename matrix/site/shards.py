"""Reading the cells, in parallel shards.

Everything done once per cell happens in one pass over the records (shard_pass), split
in contiguous shards of cell ids that parallel processes run (this one and SHARDS-1
others, `python -m matrix.site.shards`): read and check the record, flatten it, write
its part of the downloads, render its section (on the page of its id's first
characters) and its row of its release's table of cells. The parts are then put
together: the downloads byte for byte as one process would write them (assemble), the
frame the other pages are made from, without the bulk of the raw texts (site_frame).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from matrix import UserError
from matrix.dataset import downloads as dl
from matrix.dataset import frame as dataset
from matrix.site import context, frames, links
from matrix.site.blocks import Blocks
from matrix.site.context import Context
from matrix.site.pages import cells

SHARD_MIN = 4000  # fewer cells per shard than this: not worth another process
SHARDS_ENV = "PLUGIN_MATRIX_SHARDS"  # how many shards (default: one per CPU, at most 4)


def shard_count(n_cells: int) -> int:
    env = os.environ.get(SHARDS_ENV)
    if env:
        return max(1, int(env))
    return max(1, min(os.cpu_count() or 1, 4, n_cells // SHARD_MIN))


def split(names: list[str], n: int) -> list[list[str]]:
    """`names` (sorted) in at most n contiguous shards of about equal size, never splitting
    the cells of one gzip member of the downloads (downloads.member_key), so never the
    cells of one page either (links.cell_group: a longer prefix)."""
    shards: list[list[str]] = []
    start = 0
    for k in range(1, n):
        i = max(start, len(names) * k // n)
        while 0 < i < len(names) and dl.member_key(names[i]) == dl.member_key(names[i - 1]):
            i += 1
        shards.append(names[start:i])
        start = i
    shards.append(names[start:])
    return [s for s in shards if s]


def arrow_memory() -> None:
    """Arrow's buffers from the system allocator, which gives large ones back to the system
    when freed: the site build filters big frames one after the other."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def shard_pass(
    data: Path, names: list[str], folder: Path, blocks_dir: Path, key: str, ctx: Context, first: bool
) -> None:
    """Read the records `names` of DATA/cells once; write to `folder` this shard's part of
    the downloads (part.csv.gz, part.json.gz, full.arrow; `first`: it holds the dataset's
    first rows), its part of the site's frame with each cell's table row (light.arrow),
    and its pages of cells (pages.json; their HTML blocks in blocks_dir, named after
    `key`)."""
    import pyarrow as pa

    folder.mkdir(parents=True, exist_ok=True)
    blocks = Blocks(blocks_dir, prefix=f"{key}-")
    pages: list[dict[str, Any]] = []
    group: str | None = None
    group_rows: list[dict[str, Any]] = []

    def flush() -> None:
        if group is not None:
            src = f"cells/{group}.md"
            pages.append({"src": src, "text": blocks.take(src, cells.group_page(group, group_rows, ctx))})

    full_w = light_w = None
    with (
        open(folder / "part.csv.gz", "wb") as fcsv,
        open(folder / "part.json.gz", "wb") as fjson,
        pa.OSFile(str(folder / "full.arrow"), "wb") as ffull,
        pa.OSFile(str(folder / "light.arrow"), "wb") as flight,
    ):
        part = dl.PartWriter(fcsv, fjson, first=first)
        for rows in dataset.row_batches(data, names=names):
            table = dataset.table_of(rows)
            df = table.to_pandas()
            part.add(table, rows)
            if full_w is None:
                full_w = pa.ipc.new_stream(ffull, table.schema)
            full_w.write_table(table)
            light = dataset.lighten(df)[frames.PAGE_COLUMNS]
            light[frames.TABLE_ROW] = pd.array([cells.table_row(r, ctx) for r in rows], dtype="str")
            lt = pa.Table.from_pandas(light, preserve_index=False)
            if light_w is None:
                light_w = pa.ipc.new_stream(flight, lt.schema)
            light_w.write_table(lt)
            for r in rows:
                g = links.cell_group(str(r["cell"]))
                if g != group:
                    flush()
                    group, group_rows = g, []
                group_rows.append(r)
        flush()
        part.close()
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
    (folder / "part.json").write_text(
        json.dumps({"rows": part.rows, "csv": part.csv.raw, "json": part.json.raw}), encoding="utf-8"
    )


@dataclass
class Worker:
    """A shard run by another process."""

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


def child_env() -> dict[str, str]:
    """The environment of this build's helper processes: the same `matrix` package."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


def start_worker(data: Path, names: list[str], folder: Path, blocks_dir: Path, key: str) -> Worker:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "names.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "matrix.site.shards", "shard", str(data), str(folder), str(blocks_dir), key]
    err = tempfile.TemporaryFile()  # noqa: SIM115 - closed by Worker.finish/stop
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, env=child_env()
    )
    return Worker(proc, err)


def assemble(parts: list[Path], targets: dict[str, Path], old: dict[str, Path]) -> dict[str, Any]:
    """The downloads from the shards' parts (in order), into `targets` (the new names) and
    `old` (the names they had before); their sizes in bytes ("files"), the uncompressed
    sizes of the new ones ("raw") and what each old name holds ("old": copy or notice)."""
    import pyarrow as pa

    info = [json.loads((p / "part.json").read_text(encoding="utf-8")) for p in parts]
    rows = sum(i["rows"] for i in info)
    header, opening = dl.gzip_member(dl.csv_header()), dl.gzip_member(dl.json_open(rows))
    closing = dl.gzip_member(dl.JSON_CLOSE) if rows else b""
    with open(targets[dl.CSV], "wb") as f:
        f.write(header)
        for p in parts:
            with open(p / "part.csv.gz", "rb") as src:
                shutil.copyfileobj(src, f, 1 << 20)
    with open(targets[dl.JSON], "wb") as f:
        f.write(opening)
        for p in parts:
            with open(p / "part.json.gz", "rb") as src:
                shutil.copyfileobj(src, f, 1 << 20)
        f.write(closing)
    with open(targets[dl.PARQUET], "wb") as f:
        sink = dl.ParquetSink(f)
        for p in parts:
            if (p / "full.arrow").stat().st_size:
                with pa.OSFile(str(p / "full.arrow"), "rb") as src:
                    for batch in pa.ipc.open_stream(src):
                        sink.write(pa.Table.from_batches([batch]))
        sink.close()
    raw = {
        dl.CSV: len(dl.csv_header()) + sum(i["csv"] for i in info),
        dl.JSON: len(dl.json_open(rows)) + sum(i["json"] for i in info) + (len(dl.JSON_CLOSE) if rows else 0),
        dl.PARQUET: targets[dl.PARQUET].stat().st_size,
    }
    kept = dl.old_name_files(targets, raw, old)
    files = {n: targets[n].stat().st_size for n in dl.DOWNLOAD_NAMES}
    files.update({n: old[n].stat().st_size for n in dl.OLD_NAMES})
    return {"files": files, "raw": raw, "old": kept}


def site_frame(parts: list[Path]) -> pd.DataFrame:
    """The frame the other pages are made from, from the shards' parts."""
    import pyarrow as pa

    parts_frames = []
    for p in parts:
        if (p / "light.arrow").stat().st_size:
            with pa.OSFile(str(p / "light.arrow"), "rb") as src:
                parts_frames.append(pa.ipc.open_stream(src).read_all().to_pandas())
    if not parts_frames:
        return dataset.frame([])
    return parts_frames[0] if len(parts_frames) == 1 else pd.concat(parts_frames, ignore_index=True)


def main(argv: list[str]) -> int:
    """`python -m matrix.site.shards shard DATA FOLDER BLOCKS KEY`: one shard (FOLDER/names.txt)."""
    data, folder, blocks_dir, key = Path(argv[0]), Path(argv[1]), Path(argv[2]), argv[3]
    names = (folder / "names.txt").read_text(encoding="utf-8").split()
    arrow_memory()
    try:
        shard_pass(data, names, folder, blocks_dir, key, context.for_cells(data), first=False)
    except UserError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["shard"] and len(sys.argv) == 6:
        raise SystemExit(main(sys.argv[2:]))
    print("usage: python -m matrix.site.shards shard DATA FOLDER BLOCKS KEY", file=sys.stderr)
    raise SystemExit(2)

"""The dataset's downloads, and the one writer of them.

Their names are stable (NAMES): `kustomize-plugin-matrix.csv.gz` (a header, then one line
per cell, text quoted), `kustomize-plugin-matrix.json.gz` (an array, one object per
line) and `kustomize-plugin-matrix.parquet` (zstd, ROW_GROUP rows per group, typed: an
absent value is a null of its column's type, `recorded_at` a UTC timestamp). CSV and
JSON are gzip files made of members, one per run of cells sharing their first
MEMBER_KEY characters (plus constant members for the CSV header and the JSON brackets):
a valid gzip file (gunzip, Python, pandas and R read it whole), and the same bytes
however the rows are batched, written by one process or assembled from the parts that
several wrote (matrix.site.build uses the same pieces, and its shards never split such
a run), so a large dataset never needs its text in memory.

The names the downloads had before (OLD_NAMES: data/dataset.csv, .json, .parquet) stay
reachable: they hold the same data, uncompressed, while it is small (FULL_COPY_MAX),
and a short notice pointing to the new names above that (old_name_files).
"""

from __future__ import annotations

import functools
import gzip
import json
import shutil
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from matrix.dataset import columns as coldocs
from matrix.dataset.frame import COLUMNS, arrow_schema, row_batches, table_of

BASENAME = "kustomize-plugin-matrix"
CSV = f"{BASENAME}.csv.gz"
JSON = f"{BASENAME}.json.gz"
PARQUET = f"{BASENAME}.parquet"
DOWNLOAD_NAMES = (CSV, JSON, PARQUET)
OLD_NAMES = {"dataset.csv": CSV, "dataset.json": JSON, "dataset.parquet": PARQUET}
FULL_COPY_MAX = 64 << 20  # uncompressed bytes up to which an old name holds the same data
ROW_GROUP = 8192  # Parquet rows per group, however the rows arrive
MEMBER_KEY = 2  # a gzip member per run of cell ids sharing this many first characters (16 runs)
GZIP_LEVEL = 3  # 5 to 6 times smaller at about 190 MB/s (level 6: 7.5 times, half the speed)


def member_key(cell: str) -> str:
    """The gzip member a cell's row goes into: the first characters of its id (the site
    build's shards split the cells only where this changes)."""
    return cell[:MEMBER_KEY]


def arrow_table(chunk: pd.DataFrame) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(chunk[COLUMNS], schema=arrow_schema(), preserve_index=False)


def csv_header() -> bytes:
    return (",".join(COLUMNS) + "\n").encode()


def csv_rows(table: Any) -> bytes:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    if table.num_rows == 0:
        return b""
    buf = pa.BufferOutputStream()
    pcsv.write_csv(table, buf, pcsv.WriteOptions(include_header=False, quoting_style="needed"))
    return bytes(buf.getvalue())


def json_lines(rows: Iterable[dict[str, Any]]) -> bytes:
    """Objects (COLUMNS order), one per line, joined by ",\\n": a part of the JSON array."""
    rows = list(rows)
    if rows and list(rows[0]) != COLUMNS:
        rows = [{c: r[c] for c in COLUMNS} for r in rows]
    return ",\n".join(json.dumps(r, ensure_ascii=False, default=_json_default) for r in rows).encode()


def _json_default(o: Any) -> Any:
    if o is pd.NA:
        return None
    raise TypeError(f"{type(o).__name__} is not JSON")


# ---------------------------------------------------------------- gzip members


def gzip_member(data: bytes) -> bytes:
    """`data` as one whole gzip member (no file name, no time: the same bytes every time)."""
    z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    return z.compress(data) + z.flush()


class GzipMembers:
    """A gzip file written a member at a time: one per run of rows with the same key."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.key: str | None = None
        self._z: Any = None
        self.size = 0  # bytes written (compressed)
        self.raw = 0  # bytes given (uncompressed)

    def _put(self, data: bytes) -> None:
        if data:
            self.out.write(data)
            self.size += len(data)

    def write(self, key: str, data: bytes) -> None:
        if key != self.key:
            self.end()
            self.key = key
            self._z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
        self.raw += len(data)
        self._put(self._z.compress(data))

    def member(self, data: bytes) -> None:
        """A member of its own (a header, a bracket)."""
        self.end()
        self.raw += len(data)
        self._put(gzip_member(data))

    def end(self) -> None:
        if self._z is not None:
            self._put(self._z.flush())
        self._z = None
        self.key = None


def runs(cells: list[str]) -> Iterator[tuple[str, int, int]]:
    """(member key, start, stop) of each run of `cells` (in order) sharing a member key."""
    start = 0
    for i in range(1, len(cells) + 1):
        if i == len(cells) or member_key(cells[i]) != member_key(cells[start]):
            yield member_key(cells[start]), start, i
            start = i


class PartWriter:
    """The CSV and JSON rows of consecutive cells as gzip members (no header, no brackets):
    the body of the downloads (DownloadWriter) or a shard's part of it (the site build).
    `first`: these are the first rows of the dataset (no separator before the first)."""

    def __init__(self, csv_out: BinaryIO, json_out: BinaryIO, first: bool = True) -> None:
        self.csv = GzipMembers(csv_out)
        self.json = GzipMembers(json_out)
        self.rows = 0
        self._first = first

    def add(self, table: Any, rows: list[dict[str, Any]]) -> None:
        cells = [str(r["cell"]) for r in rows]
        for key, a, b in runs(cells):
            self.csv.write(key, csv_rows(table.slice(a, b - a)))
            sep = b"" if self._first and self.rows == 0 and a == 0 else b",\n"
            self.json.write(key, sep + json_lines(rows[a:b]))
        self.rows += len(rows)

    def close(self) -> None:
        self.csv.end()
        self.json.end()


# ---------------------------------------------------------------- Parquet


@functools.cache
def parquet_schema() -> Any:
    """The Parquet download's schema: the frame's columns, typed (no pandas metadata: an
    empty text is a null, `recorded_at` a timestamp)."""
    import pyarrow as pa

    fields = []
    for f in arrow_schema():
        if f.name in coldocs.TIMESTAMPS:
            fields.append(pa.field(f.name, pa.timestamp("s", tz="UTC")))
        else:
            fields.append(pa.field(f.name, f.type))
    return pa.schema(fields)


def for_parquet(table: Any) -> Any:
    """A table of the frame's schema, typed for Parquet (see parquet_schema)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = []
    for f in table.schema:
        col = table.column(f.name)
        if f.name in coldocs.TIMESTAMPS:
            col = pc.strptime(col, format="%Y-%m-%dT%H:%M:%S%z", unit="s")
        elif pa.types.is_large_string(f.type) and f.name not in coldocs.NOT_NULLABLE:
            col = pc.if_else(pc.equal(col, ""), pa.scalar(None, f.type), col)
        cols.append(col)
    return pa.Table.from_arrays(cols, schema=parquet_schema())


class ParquetSink:
    """Arrow tables of the frame's schema (in order) -> one typed Parquet file with ROW_GROUP
    rows per group."""

    def __init__(self, out: Any) -> None:
        import pyarrow.parquet as pq

        self._writer = pq.ParquetWriter(out, parquet_schema(), compression="zstd")
        self._pending: list[Any] = []
        self._rows = 0

    def write(self, table: Any) -> None:
        if table.num_rows:
            self._pending.append(table)
            self._rows += table.num_rows
            if self._rows >= ROW_GROUP:
                self._flush(final=False)

    def _flush(self, final: bool) -> None:
        import pyarrow as pa

        if not self._pending:
            return
        table = pa.concat_tables(self._pending)
        start = 0
        while table.num_rows - start >= ROW_GROUP or (final and start < table.num_rows):
            part = for_parquet(table.slice(start, ROW_GROUP))
            self._writer.write_table(part, row_group_size=ROW_GROUP)
            start += ROW_GROUP
        rest = table.slice(start)
        self._pending = [rest] if rest.num_rows else []
        self._rows = rest.num_rows

    def close(self) -> None:
        self._flush(final=True)
        self._writer.close()


class _Counting:
    """A binary sink that counts what goes through it."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.size = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self.out.flush()


# ---------------------------------------------------------------- the writer


def json_open(rows: int) -> bytes:
    return b"[\n" if rows else b"[]\n"


JSON_CLOSE = b"\n]\n"


class DownloadWriter:
    """The three downloads (DOWNLOAD_NAMES), written while rows arrive in cell order."""

    def __init__(self, outs: dict[str, BinaryIO]) -> None:
        self._csv = GzipMembers(outs[CSV])
        self._json = GzipMembers(outs[JSON])
        self._csv.member(csv_header())
        self._json_out = outs[JSON]
        self._json_started = False
        self._parts = PartWriter(outs[CSV], outs[JSON])
        self._pq_out = _Counting(outs[PARQUET])
        self._pq = ParquetSink(self._pq_out)
        self.rows = 0

    def add_rows(self, rows: list[dict[str, Any]]) -> None:
        """Rows as `row` makes them (the next ones in cell order)."""
        if rows:
            self._add(table_of(rows), rows)

    def add(self, chunk: pd.DataFrame) -> None:
        """A piece of a frame with COLUMNS (the next rows in cell order)."""
        if not chunk.empty:
            self._add(arrow_table(chunk), chunk.to_dict("records"))

    def _add(self, table: Any, rows: list[dict[str, Any]]) -> None:
        if not self._json_started:
            self._json.member(json_open(1))
            self._json_started = True
        self._parts.add(table, rows)
        self._pq.write(table)
        self.rows += table.num_rows

    def close(self) -> dict[str, int]:
        """Finish the three files; returns their sizes in bytes (self.raw: the uncompressed
        sizes of the CSV and the JSON)."""
        self._parts.close()
        if self._json_started:
            self._json.member(JSON_CLOSE)
        else:
            self._json.member(json_open(0))
        self._pq.close()
        self.raw = {
            CSV: self._csv.raw + self._parts.csv.raw,
            JSON: self._json.raw + self._parts.json.raw,
            PARQUET: self._pq_out.size,
        }
        return {
            CSV: self._csv.size + self._parts.csv.size,
            JSON: self._json.size + self._parts.json.size,
            PARQUET: self._pq_out.size,
        }


def write_download_files(data: Path, paths: dict[str, Path]) -> dict[str, int]:
    """The downloads of DATA/cells written straight to files (name -> path), reading one
    record at a time; returns their sizes."""
    files = {name: open(paths[name], "wb") for name in DOWNLOAD_NAMES}  # noqa: SIM115
    try:
        w = DownloadWriter(files)  # type: ignore[arg-type]
        for rows in row_batches(data):
            w.add_rows(rows)
        return w.close()
    finally:
        for f in files.values():
            f.close()


# ---------------------------------------------------------------- the names they had before


def notice(old: str, new: str, raw: int) -> bytes:
    """What an old name holds when the data is too big to keep a second copy: a short
    file of its own format that says where the data is now."""
    text = (
        f"The dataset ({raw / 2**20:.0f} MiB uncompressed) is no longer published as {old}: "
        f"download {new} beside this file (also {', '.join(n for n in DOWNLOAD_NAMES if n != new)})."
    )
    if old.endswith(".csv"):
        return f'notice,moved_to\n"{text}",{new}\n'.encode()
    if old.endswith(".json"):
        return (
            json.dumps({"notice": text, "moved_to": new, "downloads": list(DOWNLOAD_NAMES)}) + "\n"
        ).encode()
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = pa.BufferOutputStream()
    pq.write_table(pa.table({"notice": [text], "moved_to": [new]}), buf)
    return bytes(buf.getvalue())


def old_name_files(
    new_paths: dict[str, Path], raw: dict[str, int], old_paths: dict[str, Path]
) -> dict[str, str]:
    """Fill each old name (OLD_NAMES) from the new files: the same data uncompressed when it
    is at most FULL_COPY_MAX bytes, else a notice. Returns old name -> "copy" | "notice"."""
    out = {}
    for old, new in OLD_NAMES.items():
        if raw[new] <= FULL_COPY_MAX:
            if new.endswith(".gz"):
                with gzip.open(new_paths[new], "rb") as src, open(old_paths[old], "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            else:
                shutil.copyfile(new_paths[new], old_paths[old])
            out[old] = "copy"
        else:
            old_paths[old].write_bytes(notice(old, new, raw[new]))
            out[old] = "notice"
    return out

"""The dataset's downloads, and the one writer of them.

CSV: a header, then one line per cell (text quoted). JSON: an array, one object per
line. Parquet: zstd, ROW_GROUP rows per group. The same rows give the same bytes
however they are batched, written by one process or assembled from the parts that
several wrote (matrix.site.build uses the same pieces), so a large dataset never needs
its text in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from matrix.dataset.frame import COLUMNS, arrow_schema, row_batches, table_of

DOWNLOAD_NAMES = ("dataset.csv", "dataset.json", "dataset.parquet")
ROW_GROUP = 8192  # Parquet rows per group, however the rows arrive


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


class ParquetSink:
    """Arrow tables (in order) -> one Parquet file with ROW_GROUP rows per group."""

    def __init__(self, out: Any) -> None:
        import pyarrow.parquet as pq

        self._writer = pq.ParquetWriter(out, arrow_schema(), compression="zstd")
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
            self._writer.write_table(table.slice(start, ROW_GROUP), row_group_size=ROW_GROUP)
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


class DownloadWriter:
    """The three downloads, written while rows arrive in cell order."""

    def __init__(self, outs: dict[str, BinaryIO]) -> None:
        self._outs = {name: _Counting(outs[name]) for name in DOWNLOAD_NAMES}
        self.rows = 0
        self._outs["dataset.csv"].write(csv_header())
        self._pq = ParquetSink(self._outs["dataset.parquet"])

    def add_rows(self, rows: list[dict[str, Any]]) -> None:
        """Rows as `row` makes them (the next ones in cell order)."""
        if rows:
            self._add(table_of(rows), rows)

    def add(self, chunk: pd.DataFrame) -> None:
        """A piece of a frame with COLUMNS (the next rows in cell order)."""
        if not chunk.empty:
            self._add(arrow_table(chunk), chunk.to_dict("records"))

    def _add(self, table: Any, rows: list[dict[str, Any]]) -> None:
        self._outs["dataset.csv"].write(csv_rows(table))
        self._outs["dataset.json"].write((b"[\n" if self.rows == 0 else b",\n") + json_lines(rows))
        self._pq.write(table)
        self.rows += table.num_rows

    def close(self) -> dict[str, int]:
        """Finish the three files; returns their sizes in bytes."""
        self._outs["dataset.json"].write(b"[]\n" if self.rows == 0 else b"\n]\n")
        self._pq.close()
        return {name: out.size for name, out in self._outs.items()}


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

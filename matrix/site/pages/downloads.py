"""The data page (data/index.md): the downloads, how this run was made, every column."""

from __future__ import annotations

from typing import Any

import pandas as pd

from matrix.dataset import columns as coldocs
from matrix.dataset import downloads as dl
from matrix.dataset import frame as dataset
from matrix.site import frames, render
from matrix.site.context import Context
from matrix.site.links import Links

FORMATS = {
    dl.CSV: "CSV, gzip-compressed: a header, then one line per cell; an absent value is empty",
    dl.JSON: "JSON, gzip-compressed: an array of objects, one per cell and line; an absent value is an empty string",
    dl.PARQUET: "Parquet (zstd), typed: an absent value is a null, `recorded_at` a UTC timestamp, counts are integers, flags booleans",
}


def _run(df: pd.DataFrame, ctx: Context) -> dict[str, Any] | None:
    if df.empty:
        return None
    runners = (
        df.groupby(["runner_os", "runner_arch", "runner_kernel", "runner_libc", "emulator"], dropna=False)
        .size()
        .reset_index(name="cells")
    )
    return {
        "runners": list(frames.records(runners)),
        "versions": sorted(frames.uniq(df["tool_version"])),
        "first": df["recorded_at"].min(),
        "last": df["recorded_at"].max(),
        "gos": sorted({g for g in frames.uniq(df["host_go"]) | frames.uniq(df["plugin_go"]) if g}),
        "releases": frames.releases_in(df, ctx),
        "outcomes": [(o, frames.count(df, o)) for o in dataset.OUTCOMES if frames.count(df, o)],
    }


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{max(n, 1) / 1024:.0f} KiB"


def page(df: pd.DataFrame, ctx: Context, sizes: dict[str, Any], schema_src: str) -> str:
    """`sizes`: what shards.assemble returns (file sizes, uncompressed sizes, old names)."""
    files, raw, old = sizes.get("files", {}), sizes.get("raw", {}), sizes.get("old", {})
    return render.page(
        "data.md.j2",
        "Data",
        links=Links("data/index.md"),
        cells=len(df),
        downloads=[
            {
                "name": n,
                "size": _size(files.get(n, 0)),
                "raw": _size(raw[n]) if n in raw and raw[n] != files.get(n) else "",
                "what": FORMATS[n],
            }
            for n in dl.DOWNLOAD_NAMES
            if n in files
        ],
        old=[(o, dl.OLD_NAMES[o], old.get(o, "")) for o in dl.OLD_NAMES if o in files],
        full_copy_max=_size(dl.FULL_COPY_MAX),
        schema_src=schema_src,
        run=_run(df, ctx),
        columns=[(c, coldocs.DOCS.get(c, "")) for c in dataset.COLUMNS],
    )

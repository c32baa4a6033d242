"""The data page (data/index.md): the downloads, how this run was made, the columns."""

from __future__ import annotations

from typing import Any

import pandas as pd

from matrix.dataset import frame as dataset
from matrix.site import frames, render
from matrix.site.context import Context
from matrix.site.links import Links

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


def page(df: pd.DataFrame, ctx: Context, downloads: dict[str, int], schema_src: str) -> str:
    return render.page(
        "data.md.j2",
        "Data",
        links=Links("data/index.md"),
        cells=len(df),
        downloads=[(n, f"{size / 1024:.0f} KiB") for n, size in downloads.items()],
        schema_src=schema_src,
        run=_run(df, ctx),
        columns=[(c, COLUMN_NOTES.get(c, "")) for c in dataset.COLUMNS],
    )

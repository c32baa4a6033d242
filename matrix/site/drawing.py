"""The heatmap pictures of the site: which to draw (plan) and drawing them in another
process while this one renders the pages (Drawing)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from matrix import UserError
from matrix.site import frames
from matrix.site.context import AXES, AXIS_TITLES, Context
from matrix.site.shards import child_env

PICTURES = 6  # per-release heatmap pictures drawn (newest releases); older ones get tables


@dataclass
class Pictures:
    """What the pages show of the heatmaps: picture paths, or the numbers as tables."""

    overview: str | None = None
    releases: dict[str, str] = field(default_factory=dict)  # release -> picture path
    axes: dict[str, str] = field(default_factory=dict)  # axis -> picture path
    grids: dict[str, Any] = field(default_factory=dict)  # release -> heatmap.Grid (no picture)
    todraw: dict[str, Any] = field(default_factory=dict)  # picture path -> heatmap.Grid


def axis_grid(df: pd.DataFrame, ctx: Context, axis: str) -> Any:
    """The heatmap.Grid of an axis (None: no pair of cells for it)."""
    from matrix.site import heatmap  # matplotlib: not in the processes that only read cells

    p = frames.axis_pairs(df, ctx, axis)
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
    return heatmap.pivot(sides, row, col, AXIS_TITLES[axis], rt, ct, rows=rows)


def plan(df: pd.DataFrame, ctx: Context, rels: list[str]) -> Pictures:
    """A picture for each of the PICTURES newest releases, the overview and each axis with
    pairs; a table of numbers for the older releases."""
    from matrix.site import heatmap

    pics = Pictures()
    for i, rel in enumerate(reversed(rels)):
        g = heatmap.release_grid(df, rel)
        if i < PICTURES:
            pics.releases[rel] = f"matrix/img/kustomize-{rel}.png"
            pics.todraw[pics.releases[rel]] = g
        else:
            pics.grids[rel] = g
    if rels:
        pics.overview = "matrix/img/overview.png"
        pics.todraw[pics.overview] = heatmap.overview_grid(df, rels)
    for axis in AXES:
        g = axis_grid(df, ctx, axis)
        if g is not None:
            pics.axes[axis] = f"matrix/img/axis-{axis}.png"
            pics.todraw[pics.axes[axis]] = g
    return pics


class Drawing:
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
                env=child_env(),
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

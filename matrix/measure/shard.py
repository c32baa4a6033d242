"""Splitting a grid into shards for a GitHub Actions matrix, and merging their records.

Each shard runs on a runner of the platform its hosts need (a darwin host's cells on a
macOS runner, ...). Within a runner label, cells are ordered by host so that one
shard builds each host once, then cut into contiguous, nearly equal slices.
"""

from __future__ import annotations

import json
import platform as pyplatform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matrix import UserError
from matrix.core import jsonio, records
from matrix.core.grid import Cell

# GitHub Actions runner labels per platform; a platform absent here is built and,
# if an emulator is configured, loaded on the linux/amd64 runner.
RUNS_ON = {
    "linux/amd64": "ubuntu-latest",
    "linux/arm64": "ubuntu-24.04-arm",
    "darwin/arm64": "macos-14",
    "windows/amd64": "windows-latest",
}
DEFAULT_RUNS_ON = RUNS_ON["linux/amd64"]

_ARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "i686": "386",
    "i386": "386",
}


def this_platform() -> str:
    """The runner's own GOOS/GOARCH, e.g. 'linux/amd64'."""
    return f"{pyplatform.system().lower()}/{_ARCH.get(pyplatform.machine().lower(), pyplatform.machine())}"


def runs_on(cell: Cell) -> str:
    return RUNS_ON.get(cell.host.platform, DEFAULT_RUNS_ON)


@dataclass
class Shard:
    index: int  # 1-based, over all shards of the plan
    total: int
    runs_on: str
    cells: list[Cell]

    def as_json(self) -> dict[str, Any]:
        return {
            "shard": f"{self.index}/{self.total}",
            "index": self.index,
            "total": self.total,
            "runs-on": self.runs_on,
            "cells": len(self.cells),
            "hosts": len({c.host for c in self.cells}),
            "name": f"{self.runs_on} {self.index}/{self.total} ({len(self.cells)} cells)",
        }


def plan(cells: list[Cell], shards: int) -> list[Shard]:
    """`shards` slices of the linux/amd64 work plus one shard per other runner label."""
    if shards < 1:
        raise UserError(f"--shards must be at least 1, not {shards}")
    by_label: dict[str, list[Cell]] = {}
    for c in sorted(
        cells,
        key=lambda c: (runs_on(c), c.host.release, c.host.toolchain, c.host.variant, c.host.platform, c.id),
    ):
        by_label.setdefault(runs_on(c), []).append(c)
    slices: list[tuple[str, list[Cell]]] = []
    for label in sorted(by_label, key=lambda x: (x != DEFAULT_RUNS_ON, x)):
        group = by_label[label]
        n = min(shards if label == DEFAULT_RUNS_ON else 1, len(group))
        size, extra = divmod(len(group), n)
        start = 0
        for i in range(n):
            end = start + size + (1 if i < extra else 0)
            slices.append((label, group[start:end]))
            start = end
    return [Shard(i + 1, len(slices), label, part) for i, (label, part) in enumerate(slices)]


def parse_shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise UserError(f"--shard {text!r}: expected K/N, e.g. 2/5") from None
    if not 1 <= k <= n:
        raise UserError(f"--shard {text!r}: K must be between 1 and N")
    return k, n


def select(cells: list[Cell], shard: str, shards: int | None = None) -> list[Cell]:
    """The cells of shard K/N of the plan that `plan --shards` made (N = number of shards)."""
    k, n = parse_shard(shard)
    # The plan's total depends on the slice count asked for; find the count that gives n.
    for count in [shards] if shards else range(1, n + 1):
        p = plan(cells, count)
        if len(p) == n:
            return p[k - 1].cells
    raise UserError(
        f"--shard {shard}: no plan of this grid has {n} shards "
        f"(run `plugin-matrix plan --shards S --json` to see the plan)"
    )


def merge(dirs: list[Path], data: Path) -> tuple[int, int, list[str]]:
    """Copy each shard's records into data/cells. Returns (added, same, conflicts).

    A record already present with other content is a conflict: reported, never overwritten.
    """
    added = same = 0
    conflicts: list[str] = []
    incoming: dict[str, tuple[Path, dict[str, Any]]] = {}
    for d in dirs:
        src = d / "cells" if (d / "cells").is_dir() else d
        if not src.is_dir():
            raise UserError(f"{d}: not a directory of shard records")
        for p in sorted(src.glob("c*.json")):
            rec = records.read(p)
            if rec["cell"] != p.stem:
                raise UserError(f"{p}: file name does not match its cell id {rec['cell']!r}")
            prev = incoming.get(rec["cell"])
            if prev and _essence(prev[1]) != _essence(rec):
                conflicts.append(
                    f"{rec['cell']}: {prev[0]} says {prev[1]['outcome']}, {p} says {rec['outcome']}"
                )
                continue
            incoming.setdefault(rec["cell"], (p, rec))
    for cell, (p, rec) in sorted(incoming.items()):
        dest = records.path_for(data, cell)
        if dest.is_file():
            old = records.read(dest)
            if _essence(old) == _essence(rec):
                same += 1
            else:
                conflicts.append(
                    f"{cell}: {dest} says {old['outcome']}, {p} says {rec['outcome']} (kept the recorded one)"
                )
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        jsonio.write_atomic(dest, p.read_bytes())
        added += 1
    return added, same, conflicts


def _essence(rec: dict[str, Any]) -> str:
    """What must agree for two records of one cell to be the same result."""
    return json.dumps(
        [rec["inputs"], rec["outcome"], rec["host"]["build"]["sha256"], rec["plugin"]["build"]["sha256"]],
        sort_keys=True,
    )

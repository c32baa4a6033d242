"""Splitting a grid into shards for a GitHub Actions matrix, and merging their records.

Each shard runs on a runner of the platform its hosts need (a darwin host's cells on a
macOS runner, ...). Within a runner label, cells are ordered by host so that one
shard builds each host once, then cut into contiguous, nearly equal slices.
"""

from __future__ import annotations

import platform as pyplatform
from dataclasses import dataclass, field
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


@dataclass
class Merged:
    added: int = 0  # cells new to DATA
    same: int = 0  # cells whose observations were all recorded already
    observations: int = 0  # observations added to cells DATA had
    disagreements: list[str] = field(default_factory=list)  # cells whose runners disagree
    conflicts: list[str] = field(default_factory=list)  # other inputs: kept in DATA/conflicts/


def merge(dirs: list[Path], data: Path) -> Merged:
    """Combine each shard's records into DATA/cells; never drops an observation.

    Records of one cell with the same inputs are one record with every runner's
    observation (a runner that disagrees is kept and reported). A record of the same cell
    measured from other inputs (another plugin source, another grid) cannot be combined:
    the recorded one stays, the other is kept in DATA/conflicts/ and reported.
    """
    out = Merged()
    incoming: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    for d in dirs:
        src = d / "cells" if (d / "cells").is_dir() else d
        if not src.is_dir():
            raise UserError(f"{d}: not a directory of shard records")
        for p in sorted(src.glob("c*.json")):
            rec = records.read(p)
            if rec["cell"] != p.stem:
                raise UserError(f"{p}: file name does not match its cell id {rec['cell']!r}")
            incoming.setdefault(rec["cell"], []).append((p, rec))
    for cell, recs in sorted(incoming.items()):
        dest = records.path_for(data, cell)
        base = records.read(dest) if dest.is_file() else None
        if base is None:
            base = recs[0][1]
            out.added += 1
            known = 0
        else:
            known = len(base["observations"])
        for p, rec in recs:
            if rec["inputs"] != base["inputs"]:
                keep = data / "conflicts" / f"{cell}-{rec['inputs'][:12]}.json"
                keep.parent.mkdir(parents=True, exist_ok=True)
                jsonio.write_atomic(keep, p.read_bytes())
                out.conflicts.append(
                    f"{cell}: {p} was measured from other inputs than {dest} "
                    f"(kept the recorded one; the other is in {keep})"
                )
                continue
            base = {
                **base,
                "observations": records.merge_observations(base["observations"], rec["observations"]),
            }
        grew = len(base["observations"]) - known
        if dest.is_file() and grew == 0:
            out.same += 1
        elif dest.is_file():
            out.observations += grew
        why = records.disagreement(base)
        if why:
            out.disagreements.append(f"{cell}: {why}")
        if not dest.is_file() or grew:
            dest.parent.mkdir(parents=True, exist_ok=True)
            records.write(data, base)
    return out

"""`plugin-matrix plan`: the grid as GitHub Actions shards."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from matrix.cli import add_data_args
from matrix.core import grid
from matrix.measure import shard


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Split the profile's cells into shards: SHARDS slices for "
        "linux/amd64 plus one per other runner platform. With --json, "
        'prints {"include": [...]} for a GitHub Actions '
        "strategy.matrix; run one with `plugin-matrix run --shard K/N`."
    )
    add_data_args(p)
    p.add_argument("--grid", type=Path, default=None, help="grid file (default: DATA/grid.toml)")
    p.add_argument("--profile", default="default")
    p.add_argument("--shards", type=int, default=4, help="slices of the linux/amd64 work (default 4)")
    p.add_argument("--json", action="store_true", help="print the matrix as JSON")


def run(args: argparse.Namespace) -> int:
    g = grid.load(args.grid or args.data / "grid.toml")
    shards = shard.plan(g.cells(args.profile), args.shards)
    if args.json:
        print(json.dumps({"include": [s.as_json() for s in shards]}, sort_keys=True))
    else:
        for s in shards:
            print(
                f"{s.index}/{s.total}\t{s.runs_on}\t{len(s.cells)} cells\t"
                f"{len({c.host for c in s.cells})} hosts"
            )
    return 0

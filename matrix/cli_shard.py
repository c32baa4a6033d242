"""`plugin-matrix plan` and `plugin-matrix merge`: the grid as GitHub Actions shards."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from matrix import grid, shard
from matrix.cli import add_data_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plan", help="split the grid into shards for a CI matrix",
                       description="Split the profile's cells into shards: SHARDS slices for "
                                   "linux/amd64 plus one per other runner platform. With --json, "
                                   "prints {\"include\": [...]} for a GitHub Actions "
                                   "strategy.matrix; run one with `plugin-matrix run --shard K/N`.")
    add_data_args(p)
    p.add_argument("--grid", type=Path, default=None, help="grid file (default: DATA/grid.toml)")
    p.add_argument("--profile", default="default")
    p.add_argument("--shards", type=int, default=4, help="slices of the linux/amd64 work (default 4)")
    p.add_argument("--json", action="store_true", help="print the matrix as JSON")
    p.set_defaults(func=cmd_plan)

    m = sub.add_parser("merge", help="combine shard outputs into DATA/cells",
                       description="Copy the records of each shard directory into DATA/cells, "
                                   "deduplicated by cell id. A record that disagrees with one "
                                   "already present is reported and never overwritten (exit 1).")
    add_data_args(m)
    m.add_argument("dirs", nargs="+", type=Path, metavar="DIR", help="shard output directories")
    m.set_defaults(func=cmd_merge)


def cmd_plan(args: argparse.Namespace) -> int:
    g = grid.load(args.grid or args.data / "grid.toml")
    shards = shard.plan(g.cells(args.profile), args.shards)
    if args.json:
        print(json.dumps({"include": [s.as_json() for s in shards]}, sort_keys=True))
    else:
        for s in shards:
            print(f"{s.index}/{s.total}\t{s.runs_on}\t{len(s.cells)} cells\t"
                  f"{len({c.host for c in s.cells})} hosts")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    added, same, conflicts = shard.merge(args.dirs, args.data)
    print(f"merge: {added} records added, {same} already recorded identically, "
          f"{len(conflicts)} conflicts")
    for c in conflicts:
        print(f"conflict: {c}", file=sys.stderr)
    return 1 if conflicts else 0

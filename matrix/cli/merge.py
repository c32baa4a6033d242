"""`plugin-matrix merge`: shard outputs into DATA/cells."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from matrix.cli import add_data_args
from matrix.measure import shard


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Copy the records of each shard directory into DATA/cells, "
        "deduplicated by cell id. A record that disagrees with one "
        "already present is reported and never overwritten (exit 1)."
    )
    add_data_args(p)
    p.add_argument("dirs", nargs="+", type=Path, metavar="DIR", help="shard output directories")


def run(args: argparse.Namespace) -> int:
    added, same, conflicts = shard.merge(args.dirs, args.data)
    print(f"merge: {added} records added, {same} already recorded identically, {len(conflicts)} conflicts")
    for c in conflicts:
        print(f"conflict: {c}", file=sys.stderr)
    return 1 if conflicts else 0

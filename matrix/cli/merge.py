"""`plugin-matrix merge`: shard outputs into DATA/cells."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from matrix.cli import add_data_args
from matrix.measure import shard


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Combine the records of each shard directory into DATA/cells. Records of one cell "
        "from several runners become one record with every runner's observation (runners "
        "that disagree are listed; exit 0). A record measured from other inputs than the "
        "one recorded cannot be combined: it is kept in DATA/conflicts/ and reported (exit 1). "
        "No observation is ever dropped."
    )
    add_data_args(p)
    p.add_argument("dirs", nargs="+", type=Path, metavar="DIR", help="shard output directories")


def run(args: argparse.Namespace) -> int:
    m = shard.merge(args.dirs, args.data)
    print(
        f"merge: {m.added} records added, {m.observations} observations added to recorded cells, "
        f"{m.same} cells already had every observation, {len(m.disagreements)} cells whose runners "
        f"disagree, {len(m.conflicts)} conflicts"
    )
    for d in m.disagreements:
        print(f"runners disagree: {d}")
    for c in m.conflicts:
        print(f"conflict: {c}", file=sys.stderr)
    return 1 if m.conflicts else 0

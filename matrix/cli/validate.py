"""`plugin-matrix validate`: grid.toml and every record against their schemas."""

from __future__ import annotations

import argparse

from matrix.cli import add_data_args
from matrix.core import grid, records


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_data_args(p)


def run(args: argparse.Namespace) -> int:
    g = grid.load(args.data / "grid.toml")
    n = len(records.load_all(args.data))
    print(f"{g.path}: ok; {n} records: ok")
    return 0

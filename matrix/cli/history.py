"""`plugin-matrix history`: add the current dataset to DATA/history.json."""

from __future__ import annotations

import argparse

from matrix.cli import add_data_args


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Compare the recorded cells with the last entry of "
        "DATA/history.json and append what changed (outcomes, errors "
        "seen for the first time). An unchanged dataset adds nothing. "
        "Exit status 0 either way."
    )
    add_data_args(p)


def run(args: argparse.Namespace) -> int:
    from matrix.core import grid
    from matrix.dataset import history
    from matrix.site import build as site  # pandas: only for this command

    df = site.frame(args.data)
    renamed: dict[str, str] = {}
    if (args.data / "grid.toml").is_file():  # cells whose toolchain was renamed keep their history
        g = grid.load(args.data / "grid.toml")
        for profile in g.profiles:
            renamed.update(g.renamed_cells(profile))
    changed = history.update(args.data, df, renamed)
    doc = history.load(args.data)
    last = doc["runs"][-1] if doc["runs"] else None
    if changed and last is not None:
        print(
            f"{history.path_for(args.data)}: added the run of {last['date']}: "
            f"{len(last['changed'])} cells changed outcome, {len(last['new_errors'])} errors first seen"
        )
    else:
        print(f"{history.path_for(args.data)}: unchanged (the dataset is the same as the last entry)")
    return 0

"""`plugin-matrix run`: the main job (what `nox -s matrix` calls)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from rich.console import Console

from matrix.cli import add_data_args
from matrix.measure import proc, runner


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Build real kustomize hosts and Go plugins for the chosen "
        "profile, load each plugin in a fresh kustomize process and "
        "record one file per cell in DATA/cells/. Cells already "
        "recorded with the same inputs are not run again."
    )
    add_data_args(p)
    p.add_argument("--grid", type=Path, default=None, help="grid file (default: DATA/grid.toml)")
    p.add_argument("--profile", default="default", help="smoke | default | full (default: default)")
    p.add_argument(
        "--kustomize", action="append", metavar="VERSION", help="only these kustomize releases (repeatable)"
    )
    p.add_argument(
        "--toolchain",
        action="append",
        metavar="ID",
        help="only cells whose host and plugin use these toolchains (repeatable)",
    )
    p.add_argument("--force", action="store_true", help="rebuild and reload everything")
    p.add_argument(
        "--remeasure",
        action="append",
        metavar="CELL",
        help="load this cell again (and run the doctor again), reusing built files (repeatable)",
    )
    p.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="artifact cache (default: $PLUGIN_MATRIX_CACHE or ~/.cache/kustomize-plugin-matrix)",
    )
    p.add_argument("--shard", metavar="K/N", help="run only shard K of N (see `plugin-matrix plan`)")
    p.add_argument(
        "--load-timeout",
        type=float,
        metavar="SECONDS",
        default=None,
        help="kill a load that runs longer (recorded as timed out; default: 120)",
    )
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="refuse instead of waiting when another run holds the data directory",
    )


def run(args: argparse.Namespace) -> int:
    # Ctrl-C, or a polite kill (CI cancelling a job): the run ends, records kept, no mess.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)
    s = runner.run(
        args.grid or args.data / "grid.toml",
        args.data,
        args.profile,
        args.kustomize,
        args.toolchain,
        args.force,
        args.cache,
        console,
        wait_for_lock=not args.no_wait,
        shard=args.shard,
        load_timeout=args.load_timeout,
        remeasure=args.remeasure,
    )
    console.print(runner.summary_table(s))
    return 1 if s.outcomes.get("harness-error") else 0


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    proc.request_stop()  # in case Python swallows the exception below (see proc.request_stop)
    raise KeyboardInterrupt

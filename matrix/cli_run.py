"""`plugin-matrix run` (the main job) and `plugin-matrix validate`."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from rich.console import Console

from matrix import grid, proc, provision, records, runner
from matrix.cli import add_data_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="build hosts and plugins, load every cell, record results",
                       description="Build real kustomize hosts and Go plugins for the chosen "
                                   "profile, load each plugin in a fresh kustomize process and "
                                   "record one file per cell in DATA/cells/. Cells already "
                                   "recorded with the same inputs are not run again.")
    add_data_args(p)
    p.add_argument("--grid", type=Path, default=None, help="grid file (default: DATA/grid.toml)")
    p.add_argument("--profile", default="default", help="smoke | default | full (default: default)")
    p.add_argument("--kustomize", action="append", metavar="VERSION",
                   help="only these kustomize releases (repeatable)")
    p.add_argument("--toolchain", action="append", metavar="ID",
                   help="only cells whose host and plugin use these toolchains (repeatable)")
    p.add_argument("--force", action="store_true", help="rebuild and reload everything")
    p.add_argument("--cache", type=Path, default=None,
                   help="artifact cache (default: $PLUGIN_MATRIX_CACHE or ~/.cache/kustomize-plugin-matrix)")
    p.add_argument("--shard", metavar="K/N", help="run only shard K of N (see `plugin-matrix plan`)")
    p.add_argument("--load-timeout", type=float, metavar="SECONDS", default=None,
                   help="kill a load that runs longer (recorded as timed out; default: 120)")
    p.add_argument("--no-wait", action="store_true",
                   help="refuse instead of waiting when another run holds the data directory")
    p.set_defaults(func=cmd_run)

    v = sub.add_parser("validate", help="check grid.toml and every record against their schemas")
    add_data_args(v)
    v.set_defaults(func=cmd_validate)
    register_provision(sub)


def cmd_run(args: argparse.Namespace) -> int:
    # Ctrl-C, or a polite kill (CI cancelling a job): the run ends, records kept, no mess.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)
    s = runner.run(args.grid or args.data / "grid.toml", args.data, args.profile,
                   args.kustomize, args.toolchain, args.force, args.cache, console,
                   wait_for_lock=not args.no_wait, shard=args.shard,
                   load_timeout=args.load_timeout)
    console.print(runner.summary_table(s))
    return 1 if s.outcomes.get("harness-error") else 0


def cmd_validate(args: argparse.Namespace) -> int:
    g = grid.load(args.data / "grid.toml")
    n = len(records.load_all(args.data))
    print(f"{g.path}: ok; {n} records: ok")
    return 0


def register_provision(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("provision", help="install the Debian packages the grid or the tests need",
                       description="Idempotent: installs only what is missing (as root, with "
                                   "apt-get); otherwise prints the exact command and exits 1.")
    add_data_args(p)
    p.add_argument("--for", dest="purposes", action="append", choices=["grid", "tests", "browser"],
                   help="what to provision for (repeatable; default: grid)")
    p.add_argument("--dry-run", action="store_true", help="only print what would be installed")
    p.set_defaults(func=lambda a: provision.provision(a.data / "grid.toml", a.purposes or ["grid"],
                                                      a.dry_run))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    proc.request_stop()  # in case Python swallows the exception below (see proc.request_stop)
    raise KeyboardInterrupt

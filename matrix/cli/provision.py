"""`plugin-matrix provision`: the Debian packages the grid or the tests need."""

from __future__ import annotations

import argparse

from matrix.cli import add_data_args
from matrix.measure import provision


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Idempotent: installs only what is missing (as root, with "
        "apt-get); otherwise prints the exact command and exits 1."
    )
    add_data_args(p)
    p.add_argument(
        "--for",
        dest="purposes",
        action="append",
        choices=["grid", "tests", "browser"],
        help="what to provision for (repeatable; default: grid)",
    )
    p.add_argument("--dry-run", action="store_true", help="only print what would be installed")


def run(args: argparse.Namespace) -> int:
    return provision.provision(args.data / "grid.toml", args.purposes or ["grid"], args.dry_run)

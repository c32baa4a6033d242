"""`plugin-matrix`: the command line. Each command lives in the module that does its job;
this file only wires them together and turns UserError into one clear line.

Exit status: 0 success; 1 the command's answer is negative (documented per command);
2 bad input or environment (the message names it); 3 an internal error (a bug: please
report it).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from rich.console import Console

from matrix import UserError, __version__

# Modules that add subcommands: each has `register(subparsers)`, setting `func`.
COMMAND_MODULES = ["matrix.cli_run", "matrix.cli_shard", "matrix.cli_elf", "matrix.cli_explain",
                   "matrix.cli_recipe", "matrix.cli_site"]

EXIT_USAGE = 2
EXIT_BUG = 3


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="plugin-matrix",
        description="Build real kustomize binaries and Go plugins, load them, record and explain "
                    "the results.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as e:
        Console(stderr=True, highlight=False).print(f"[bold red]error:[/] {e}", markup=True,
                                                    soft_wrap=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted; everything recorded so far is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug of ours: one line and how to see more, never a raw traceback
        if os.environ.get("PLUGIN_MATRIX_DEBUG"):
            raise
        print(f"internal error (a bug in plugin-matrix, please report it): {type(e).__name__}: {e}\n"
              "run again with PLUGIN_MATRIX_DEBUG=1 to see the traceback", file=sys.stderr)
        return EXIT_BUG


def add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=Path("data"),
                   help="the dataset directory (default: data)")

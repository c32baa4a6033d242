"""`plugin-matrix`: the command line.

One registry, `COMMANDS`, maps each command to the module that implements it
(`matrix/cli/<module>.py`, with `add_arguments(parser)` and `run(args) -> int`). A
module is imported only when its command runs, so `--help` and the light commands do
not pay for pandas, rich or the measuring code. Only this package imports every layer.

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
from typing import NamedTuple

from matrix import UserError, __version__

EXIT_USAGE = 2
EXIT_BUG = 3


class Command(NamedTuple):
    module: str  # matrix.cli.<module>
    summary: str


COMMANDS: dict[str, Command] = {
    "run": Command("run", "build hosts and plugins, load every cell, record results"),
    "validate": Command("validate", "check grid.toml and every record against their schemas"),
    "provision": Command("provision", "install the Debian packages the grid or the tests need"),
    "plan": Command("plan", "split the grid into shards for a CI matrix"),
    "merge": Command("merge", "combine shard outputs into DATA/cells"),
    "inspect": Command("inspect", "what an ELF file says about its provenance"),
    "doctor": Command("doctor", "predict whether a Go plugin loads into a host, from the files"),
    "explain": Command("explain", "say what a kustomize Go plugin error means and how to fix it"),
    "reclassify": Command("reclassify", "recompute the error class of every recorded cell"),
    "recipe": Command("recipe", "what a plugin must match to load into HOST"),
    "build-plugin": Command("build_plugin", "build a plugin from DIR with HOST's recipe, then check it"),
    "checklist": Command("checklist", "print a release checklist as markdown"),
    "history": Command("history", "add the current dataset to DATA/history.json"),
}


def _command_module(name: str) -> object:
    return importlib.import_module(f"matrix.cli.{COMMANDS[name].module}")


def parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the command named in `argv` gets its arguments (and its module
    imported). Without `argv`, every command is configured (for documentation)."""
    p = argparse.ArgumentParser(
        prog="plugin-matrix",
        description="Build real kustomize binaries and Go plugins, load them, record and explain "
        "the results.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = None if argv is None else next((a for a in argv if not a.startswith("-")), "")
    for name, cmd in COMMANDS.items():
        sp = sub.add_parser(name, help=cmd.summary, description=cmd.summary)
        if chosen is None or name == chosen:
            mod = _command_module(name)
            mod.add_arguments(sp)  # type: ignore[attr-defined]
            sp.set_defaults(func=mod.run)  # type: ignore[attr-defined]
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parser(argv).parse_args(argv)
        return int(args.func(args) or 0)
    except UserError as e:
        from rich.console import Console  # only when there is an error to print

        Console(stderr=True, highlight=False).print(f"[bold red]error:[/] {e}", markup=True, soft_wrap=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted; everything recorded so far is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug of ours: one line and how to see more, never a raw traceback
        if os.environ.get("PLUGIN_MATRIX_DEBUG"):
            raise
        print(
            f"internal error (a bug in plugin-matrix, please report it): {type(e).__name__}: {e}\n"
            "run again with PLUGIN_MATRIX_DEBUG=1 to see the traceback",
            file=sys.stderr,
        )
        return EXIT_BUG


def add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=Path("data"), help="the dataset directory (default: data)")

"""`plugin-matrix recipe --for HOST [--plugin DIR]`: the plan from plugin source to a plugin
that loads into HOST (what to match, every pin, flags, environment and the commands)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from matrix.diagnose import plan as planmod
from matrix.measure.build_plugin import plan_only
from matrix.measure.plugin_work import EXIT_CANNOT_LOAD


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Read a Go host executable (kustomize or any other) and print the complete plan for "
        "a Go plugin that loads into it: Go release, platform, cgo, flags, source paths, the "
        "go line, every module version as pins, the environment and the exact commands. With "
        "--plugin DIR the plan is made for that plugin (its go line, replace directives, "
        "go.work, vendor tree, subdirectory of a larger module, cgo, modules that minimal "
        "version selection would raise above the host's): the go command reads the module "
        "in a copy, DIR is never changed. Exit 0: the plan is printed; 1: the host cannot "
        "load Go plugins, or no plugin that loads can be built from DIR this way (the "
        "problems say why and what to change); 2: bad input."
    )
    p.epilog = "JSON keys (--json) are listed in the docstring of matrix/diagnose/plan.py."
    p.add_argument("--for", dest="host", type=Path, required=True, metavar="HOST")
    p.add_argument("--plugin", type=Path, metavar="DIR", help="the plugin's source directory")
    p.add_argument(
        "--no-downgrade",
        action="store_true",
        help="do not downgrade a dependency that raises a module the host links (report it)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    oc = plan_only(args.host, args.plugin, downgrade=not args.no_downgrade)
    if args.json:
        print(json.dumps(oc.plan.as_json(), indent=2, sort_keys=True))
    else:
        print(planmod.render_text(oc.plan), end="")
    return 0 if oc.plan.ok else EXIT_CANNOT_LOAD

"""`plugin-matrix recipe --for HOST`: what a plugin must match to load into HOST."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from matrix.diagnose import recipe
from matrix.measure.build_plugin import EXIT_CANNOT_LOAD, local_go_release


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Read a Go host executable (kustomize or any other) and print "
        "what a Go plugin must match to load into it: Go release, "
        "platform, cgo, flags, source paths and every module version, "
        "as a go.mod require block and a go build command. Exit 0: "
        "recipe printed; 1: the host cannot load Go plugins at all; "
        "2: bad input."
    )
    p.add_argument("--for", dest="host", type=Path, required=True, metavar="HOST")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    r = recipe.derive(args.host)
    local = local_go_release()
    if args.json:
        print(json.dumps(r.as_json(local), indent=2, sort_keys=True))
    else:
        print(recipe.render_text(r, local))
    return EXIT_CANNOT_LOAD if r.can_load is False else 0

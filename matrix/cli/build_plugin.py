"""`plugin-matrix build-plugin --for HOST DIR -o OUT`: a plugin built by HOST's plan, then checked."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from matrix.diagnose import doctor
from matrix.diagnose import plan as planmod
from matrix.measure.build_plugin import build_plugin
from matrix.measure.plugin_work import EXIT_CANNOT_LOAD


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Copy the plugin's module to a temporary directory, make it meet HOST's recipe "
        "(go line, replace directives, go.work, vendor tree, every module HOST links pinned, "
        "dependencies that would raise them downgraded), build it with HOST's Go release, "
        "flags and environment, write OUT, then run `doctor HOST OUT`. DIR is never changed. "
        "Prints the steps it ran (the plan of `recipe --plugin`). Exit 0: built and predicted "
        "to load; 1: the host cannot load plugins, no plugin that loads can be built from DIR "
        "(the problem says why and what to change), or doctor predicts a failure; 2: bad input."
    )
    p.epilog = (
        "--json prints the plan's keys (as `recipe --json`, documented in matrix/diagnose/plan.py) "
        "and `result`: {built, out, build_output (when the build failed), doctor (its prediction)}."
    )
    p.add_argument("--for", dest="host", type=Path, required=True, metavar="HOST")
    p.add_argument("dir", type=Path, metavar="DIR", help="the plugin's source directory")
    p.add_argument("-o", dest="out", type=Path, required=True, metavar="OUT.so")
    p.add_argument(
        "--no-downgrade",
        action="store_true",
        help="do not downgrade a dependency that raises a module the host links (report it)",
    )
    p.add_argument("--json", action="store_true", help="the plan and the result as JSON")


def run(args: argparse.Namespace) -> int:
    oc = build_plugin(args.host, args.dir, args.out, downgrade=not args.no_downgrade)
    p = oc.plan
    pred = doctor.predict(args.host, args.out) if oc.built else None
    if args.json:
        doc = p.as_json()
        doc["result"] = {
            "built": oc.built,
            "out": str(args.out) if oc.built else None,
            "build_output": oc.build.output if oc.build and not oc.built else None,
            "doctor": pred,
        }
        print(json.dumps(doc, indent=2, sort_keys=True, default=str))
    else:
        print(planmod.render_text(p), end="")
        if oc.build is not None and not oc.built:
            print("\ngo build said:\n" + oc.build.output)
    if not oc.built:
        if p.recipe.can_load is not False and not args.json:
            print("build-plugin: no plugin was built (see PROBLEMS above)")
        return EXIT_CANNOT_LOAD
    assert pred is not None
    if args.json:
        return 0 if pred["prediction"] == "loads" else EXIT_CANNOT_LOAD
    print(f"built {args.out}")
    if pred["prediction"] == "loads":
        print(f"doctor: {args.out} will load into {args.host}")
        return 0
    print(f"doctor: predicts a failure: {pred['class']}: {pred['message']}\n  see {pred['link']}")
    return EXIT_CANNOT_LOAD

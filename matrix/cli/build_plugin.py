"""`plugin-matrix build-plugin --for HOST DIR -o OUT`: a plugin built with HOST's recipe, then checked."""

from __future__ import annotations

import argparse
from pathlib import Path

from matrix.diagnose import doctor, recipe
from matrix.measure.build_plugin import EXIT_CANNOT_LOAD, build_plugin, local_go_release


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Copy DIR to a temporary directory, pin its go.mod to every "
        "module version HOST links, build it with HOST's Go release "
        "and flags, write OUT, then run `doctor HOST OUT`. DIR is never "
        "changed. Exit 0: built and predicted to load; 1: the host "
        "cannot load plugins, the build failed, or doctor predicts a "
        "failure; 2: bad input."
    )
    p.add_argument("--for", dest="host", type=Path, required=True, metavar="HOST")
    p.add_argument("dir", type=Path, metavar="DIR", help="the plugin's source directory")
    p.add_argument("-o", dest="out", type=Path, required=True, metavar="OUT.so")


def run(args: argparse.Namespace) -> int:
    r, res = build_plugin(args.host, args.dir, args.out)
    if res is None:
        print(recipe.render_text(r, local_go_release()))
        return EXIT_CANNOT_LOAD
    print(
        f"recipe: {r.go_version}, {r.goos}/{r.goarch}, flags: {' '.join(r.flags) or '(none)'}, "
        f"{len(r.modules)} modules pinned"
    )
    print("$ " + " ".join(res.argv))
    if res.returncode != 0:
        print(res.output)
        print(f"build-plugin: the build failed (exit {res.returncode})")
        return 1
    pred = doctor.predict(args.host, args.out)
    print(f"built {args.out}")
    if pred["prediction"] == "loads":
        print(f"doctor: {args.out} will load into {args.host}")
        return 0
    print(f"doctor: predicts a failure: {pred['class']}: {pred['message']}\n  see {pred['link']}")
    return 1

"""`plugin-matrix recipe --for HOST` and `plugin-matrix build-plugin --for HOST DIR -o OUT`."""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import tempfile
from pathlib import Path

from matrix import UserError, doctor, proc, recipe, toolchains
from matrix.toolchains import go_release, shared_caches

EXIT_CANNOT_LOAD = 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("recipe", help="what a plugin must match to load into HOST",
                       description="Read a Go host executable (kustomize or any other) and print "
                                   "what a Go plugin must match to load into it: Go release, "
                                   "platform, cgo, flags, source paths and every module version, "
                                   "as a go.mod require block and a go build command. Exit 0: "
                                   "recipe printed; 1: the host cannot load Go plugins at all; "
                                   "2: bad input.")
    p.add_argument("--for", dest="host", type=Path, required=True, metavar="HOST")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_recipe)

    b = sub.add_parser("build-plugin", help="build a plugin from DIR with HOST's recipe, then check it",
                       description="Copy DIR to a temporary directory, pin its go.mod to every "
                                   "module version HOST links, build it with HOST's Go release "
                                   "and flags, write OUT, then run `doctor HOST OUT`. DIR is never "
                                   "changed. Exit 0: built and predicted to load; 1: the host "
                                   "cannot load plugins, the build failed, or doctor predicts a "
                                   "failure; 2: bad input.")
    b.add_argument("--for", dest="host", type=Path, required=True, metavar="HOST")
    b.add_argument("dir", type=Path, metavar="DIR", help="the plugin's source directory")
    b.add_argument("-o", dest="out", type=Path, required=True, metavar="OUT.so")
    b.set_defaults(func=cmd_build_plugin)


@functools.cache
def _local_version() -> str | None:
    return go_release(toolchains.resolve("local", {"go": "go", "gotoolchain": "local"}).version)


def cmd_recipe(args: argparse.Namespace) -> int:
    r = recipe.derive(args.host)
    local = _local_version()
    if args.json:
        print(json.dumps(r.as_json(local), indent=2, sort_keys=True))
    else:
        print(recipe.render_text(r, local))
    return EXIT_CANNOT_LOAD if r.can_load is False else 0


def build_plugin(host: Path, src: Path, out: Path) -> tuple[recipe.Recipe, proc.Result | None]:
    """Build the plugin in `src` the way `host`'s recipe says, into `out`.

    No build (None) when the host cannot load Go plugins at all."""
    if not (src.is_dir() and any(src.glob("*.go"))):
        raise UserError(f"{src}: not a directory with Go sources")
    r = recipe.derive(host)
    if r.can_load is False:
        return r, None
    local = _local_version()
    tc = toolchains.resolve("recipe", {"go": r.go_command(local),
                                       "gotoolchain": r.toolchain_env(local).get("GOTOOLCHAIN", "local")})
    if not tc.available:
        raise UserError(f"the recipe needs {r.go_version}: {tc.problem}")
    env = tc.env(shared_caches(), {k: v for k, v in r.build_env(local).items() if k != "GOTOOLCHAIN"})
    with tempfile.TemporaryDirectory(prefix="plugin-matrix-build-") as tmp:
        work = Path(tmp) / "src"
        shutil.copytree(src, work, ignore=shutil.ignore_patterns(".git", "*.so"))
        mod = work / "go.mod"
        if not mod.is_file():
            mod.write_text(f"module example.local/plugin/{src.resolve().name}\n\ngo 1.18\n")
        edit = [tc.go, "mod", "edit", *(f"-require={m}@{v}" for m, v in sorted(r.modules.items())),
                *(f"-replace={m}={rep.replace(' ', '@')}" for m, rep in sorted(r.replaces.items()))]
        if len(edit) > 3:  # a host without dependencies needs no pins
            res = proc.run(edit, env=env, cwd=work, timeout=300)
            if res.returncode != 0:
                return r, res
        res = proc.run(r.build_argv(str(work / "plugin.so"), ".", tc.go), env=env, cwd=work,
                       timeout=1800)
        if res.returncode == 0:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work / "plugin.so", out)
    return r, res


def cmd_build_plugin(args: argparse.Namespace) -> int:
    r, res = build_plugin(args.host, args.dir, args.out)
    if res is None:
        print(recipe.render_text(r, _local_version()))
        return EXIT_CANNOT_LOAD
    print(f"recipe: {r.go_version}, {r.goos}/{r.goarch}, flags: {' '.join(r.flags) or '(none)'}, "
          f"{len(r.modules)} modules pinned")
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

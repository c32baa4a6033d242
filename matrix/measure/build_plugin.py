"""Build a plugin from its source directory with a host's recipe (`plugin-matrix build-plugin`).

The plugin's directory is copied, never modified."""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

from matrix import UserError
from matrix.diagnose import recipe
from matrix.measure import proc, toolchains
from matrix.measure.toolchains import go_release, shared_caches

EXIT_CANNOT_LOAD = 1


@functools.cache
def local_go_release() -> str | None:
    """The release of the machine's own Go (`go` on PATH), or None."""
    return go_release(toolchains.resolve("local", {"go": "go", "gotoolchain": "local"}).version)


def build_plugin(host: Path, src: Path, out: Path) -> tuple[recipe.Recipe, proc.Result | None]:
    """Build the plugin in `src` the way `host`'s recipe says, into `out`.

    No build (None) when the host cannot load Go plugins at all."""
    if not (src.is_dir() and any(src.glob("*.go"))):
        raise UserError(f"{src}: not a directory with Go sources")
    r = recipe.derive(host)
    if r.can_load is False:
        return r, None
    local = local_go_release()
    tc = toolchains.resolve(
        "recipe",
        {"go": r.go_command(local), "gotoolchain": r.toolchain_env(local).get("GOTOOLCHAIN", "local")},
    )
    if not tc.available:
        raise UserError(f"the recipe needs {r.go_version}: {tc.problem}")
    env = tc.env(shared_caches(), {k: v for k, v in r.build_env(local).items() if k != "GOTOOLCHAIN"})
    with tempfile.TemporaryDirectory(prefix="plugin-matrix-build-") as tmp:
        work = Path(tmp) / "src"
        shutil.copytree(src, work, ignore=shutil.ignore_patterns(".git", "*.so"))
        mod = work / "go.mod"
        if not mod.is_file():
            mod.write_text(f"module example.local/plugin/{src.resolve().name}\n\ngo 1.18\n")
        edit = [
            tc.go,
            "mod",
            "edit",
            *(f"-require={m}@{v}" for m, v in sorted(r.modules.items())),
            *(f"-replace={m}={rep.replace(' ', '@')}" for m, rep in sorted(r.replaces.items())),
        ]
        if len(edit) > 3:  # a host without dependencies needs no pins
            res = proc.run(edit, env=env, cwd=work, timeout=300)
            if res.returncode != 0:
                return r, res
        res = proc.run(r.build_argv(str(work / "plugin.so"), ".", tc.go), env=env, cwd=work, timeout=1800)
        if res.returncode == 0:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work / "plugin.so", out)
    return r, res

"""From plugin source to a plugin that loads into a host (`plugin-matrix build-plugin`,
and `plugin-matrix recipe --plugin`).

The host's recipe (matrix.diagnose.recipe) says what the plugin must match; this module
makes the plugin's module meet it, in a copy of the module (the plugin's directory is
never written to), and records each command it runs as a step of the plan
(matrix.diagnose.plan), so the plan printed is exactly what was run:

1. copy the module root (the plugin may be a package in a larger repository);
2. the go line: one newer than the host's Go is lowered (and a newer toolchain line
   dropped); the build then shows whether the code builds with the host's Go, and if not,
   a newer Go (the machine's own, or a cached toolchain module) names the code that needs it;
3. a go.work around the module becomes replace directives (built with GOWORK=off);
   relative replace paths are made absolute (they must resolve from the copy); a replace
   of a module the host links is dropped (the host's version must win);
4. every module the host links is pinned to the host's version;
5. minimal version selection may still raise a module above the host's version, through a
   module the host does not link: the requirement that does it is found in `go mod graph`,
   and `go get MODULE@HOST_VERSION` downgrades it (unless `downgrade=False`); a dependency
   whose go.mod needs a newer Go is downgraded to its newest version that does not;
6. a vendor tree is re-made (`go mod vendor`, -mod=vendor) for a -trimpath host, where
   vendored and module-cache paths give the same package fingerprints, and ignored
   (-mod=mod) for an untrimmed one, whose fingerprints hold module-cache paths;
7. `go build -buildmode=plugin` with the host's flags and environment.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from matrix.diagnose import plan as planmod
from matrix.diagnose import recipe
from matrix.diagnose.plan import Plan, PluginInfo
from matrix.measure import proc, toolchains
from matrix.measure.plugin_build_steps import _build_steps, _diagnose
from matrix.measure.plugin_copy import _prepare
from matrix.measure.plugin_source import locate
from matrix.measure.plugin_work import (
    BUILD_TIMEOUT_S,
    _recipe_toolchain,
    _StepFailed,
    _Work,
)
from matrix.measure.toolchains import go_release


@functools.cache
def local_go_release() -> str | None:
    """The release of the machine's own Go (`go` on PATH), or None."""
    return go_release(toolchains.resolve("local", {"go": "go", "gotoolchain": "local"}).version)


@dataclass
class Outcome:
    plan: Plan
    built: bool = False  # OUT was written
    build: proc.Result | None = None  # the `go build` process, when one ran
    log: list[str] = field(default_factory=list)  # every command run, with its output


def plan_only(host: Path, src: Path | None, downgrade: bool = True) -> Outcome:
    """The plan for `src` (or for any plugin, without `src`), built nowhere."""
    if src is None:
        r = recipe.derive(host)
        local = local_go_release()
        return Outcome(planmod.generic(r, local, _recipe_toolchain(r, local).go))
    return _run(host, src, None, downgrade)


def build_plugin(host: Path, src: Path, out: Path, downgrade: bool = True) -> Outcome:
    """Build the plugin in `src` so that it loads into `host`; write it to `out`."""
    return _run(host, src, out, downgrade)


# ---------------------------------------------------------------------- the work
def _run(host: Path, src: Path, out: Path | None, downgrade: bool) -> Outcome:
    source = locate(src)
    r = recipe.derive(host)
    local = local_go_release()
    p = Plan(r, local, planmod.go_line_rule(r), env=planmod.plan_env(r, local))
    p.plugin = PluginInfo(
        dir=str(source.dir),
        module_root=str(source.root or source.dir),
        package=source.package,
        module=None,
        cgo_files=source.cgo_files,
    )
    if r.can_load is False:
        p.problem("host-cannot-load", f"{host} cannot load Go plugins: {r.why}.", f"see {r.link}")
        return Outcome(p)
    if planmod.host_problems(p):
        return Outcome(p)
    tc = _recipe_toolchain(r, local)
    if not tc.available:
        p.problem(
            "go-unavailable",
            f"the host was built with {r.go_version}, which is not available here: {tc.problem}",
            "install that Go release (or use GOTOOLCHAIN for Go >= 1.21)",
        )
        return Outcome(p)
    cc = p.env.get("CC", "gcc")
    if shutil.which(cc) is None:
        p.problem(
            "no-c-compiler",
            f"a Go plugin is linked by the C toolchain (and cgo needs it), but {cc} is not installed.",
            f"install {cc} (Debian: apt-get install {'gcc' if cc == 'gcc' else 'gcc-' + cc.rsplit('-', 1)[0]})",
        )
        return Outcome(p)
    if r.gomodcache and not r.trimpath and not _usable_dir(Path(r.gomodcache), create=out is not None):
        p.problem(
            "module-cache-path",
            f"the host was built without -trimpath with its module cache at {r.gomodcache}, so its "
            "package fingerprints hold that path; it cannot be created here.",
            f"build where {r.gomodcache} can be written (e.g. in the image that built the host), "
            "or use a host built with -trimpath",
        )
        return Outcome(p)
    with tempfile.TemporaryDirectory(prefix="plugin-matrix-build-") as tmp:
        w = _Work(Path(tmp), p, tc, out)
        oc = Outcome(p, log=w.log)
        try:
            _prepare(w, source, downgrade)
            build = _build_steps(w, source)
        except _StepFailed as e:
            _diagnose(w, source, e.res, f"`{' '.join(e.res.argv[1:3])}` failed")
            return oc
        if out is None:
            if p.go_line.action == "lower" and not p.problems:
                # Whether the code builds with the host's Go decides between lowering and an error.
                res = w.run(build.argv, build.cwd, BUILD_TIMEOUT_S)
                if res.returncode != 0:
                    _diagnose(w, source, res)
            return oc
        if p.problems:
            return oc
        res = w.run(build.argv, build.cwd, BUILD_TIMEOUT_S)
        oc.build = res
        if res.returncode != 0:
            _diagnose(w, source, res)
            return oc
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp) / "plugin.so", out)
        oc.built = True
        return oc


def _usable_dir(d: Path, create: bool) -> bool:
    """Whether the go command can use directory `d` (made only when `create`)."""
    if create:
        with contextlib.suppress(OSError):
            d.mkdir(parents=True, exist_ok=True)
    top = next((a for a in [d, *d.parents] if a.exists()), Path("/"))
    return top.is_dir() and os.access(top, os.W_OK)

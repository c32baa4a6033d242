"""Build plans: everything that decides an artifact's bytes, and the key it is cached under.

Every artifact has a key: the hash of everything that decides its bytes (toolchain's
exact version, module versions, flags, environment, plugin sources). A plan is that
(plus where the plugin sources are, which is not keyed); matrix.measure.build carries it
out and stores the artifact under its key.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from matrix.core.grid import GO_PLUGIN, Grid, HostSpec, PluginSpec
from matrix.diagnose import recipe
from matrix.measure.toolchains import Toolchain, go_release, shared_caches

# Bump when the way artifacts are built changes, so old cache entries are not reused.
BUILD_FORMAT = 2
MODULE_PREFIX = "matrix.local"


@functools.cache
def sources_digest(src: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(src.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(src).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def plan_key(plan: dict[str, Any]) -> str:
    """The artifact key of a plan: the hash of its JSON."""
    return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()


def platform_env(grid: Grid, platform: str, cgo: bool) -> dict[str, str]:
    p = grid.platforms[platform]
    env = {"GOOS": p["goos"], "GOARCH": p["goarch"], "CGO_ENABLED": "1" if cgo else "0"}
    if cgo and p.get("cc"):
        env["CC"] = p["cc"]
    return env


def variant(grid: Grid, name: str, platform: str) -> tuple[list[str], dict[str, str], str | None]:
    """(flags, environment, why the variant does not apply to the platform or None)."""
    v = grid.variants[name]
    plats = v.get("platforms")
    problem = (
        f"variant {name!r} applies only to {', '.join(plats)}" if plats and platform not in plats else None
    )
    return list(v.get("flags", [])), dict(v.get("env", {})), problem


def host_plan(grid: Grid, tc: Toolchain, spec: HostSpec) -> tuple[str, dict[str, Any]]:
    """(key, plan) of a kustomize host built with `tc`."""
    rel = grid.releases[spec.release]
    flags, venv, _ = variant(grid, spec.variant, spec.platform)
    flags = [f.replace("{release}", spec.release) for f in flags]  # e.g. -X ...provenance.version=
    env = platform_env(grid, spec.platform, venv.get("CGO_ENABLED", "1") == "1")
    env.update(venv)
    go_mod = f"module {MODULE_PREFIX}/host\n\ngo 1.18\n\nrequire {rel['module']} {spec.release}\n"
    v = grid.variants[spec.variant]
    plan = {
        "kind": "host",
        "format": BUILD_FORMAT,
        "go": tc.version,
        "gotoolchain": tc.gotoolchain,
        "go_mod": go_mod,
        "flags": flags,
        "env": env,
        "package": rel["module"],
    }
    # How users build kustomize (only keyed when not the default, so existing keys stay).
    if v.get("style", "module") != "module":
        plan["style"] = v["style"]
        plan["version"] = spec.release
    if v.get("modcache"):
        plan["modcache"] = v["modcache"]
    return plan_key(plan), plan


def plugin_plan(grid: Grid, tc: Toolchain, spec: PluginSpec) -> tuple[str, dict[str, Any]]:
    """(key, plan) of a grid plugin built with `tc`, its modules pinned as `spec.pins` says."""
    pin = grid.pins[spec.pins]
    pdef = grid.plugins[spec.plugin]
    rel_name = spec.release
    if pin.get("release") == "previous":
        rel_name = grid.previous_release(spec.release) or spec.release
    rel = grid.releases[rel_name]
    module = pdef.get("module") or f"{MODULE_PREFIX}/plugin/{spec.plugin}"
    lines = [f"module {module}", "", "go 1.18", ""]
    if spec.pins in ("api-only", "api-other"):
        lines.append(f"require sigs.k8s.io/kustomize/api {rel['api']}")
        if spec.pins == "api-other":
            lines.append(f"require sigs.k8s.io/kustomize/kyaml {rel['kyaml']}")
    else:
        # Requiring the kustomize module itself makes every module the host links
        # resolve (by MVS) to the host's version.
        lines.append(f"require {rel['module']} {rel_name}")
        lines.append(f"require sigs.k8s.io/kustomize/api {rel['api']}")
    for mod, ver in sorted(pin.get("replace", {}).items()):
        lines.append(f"replace {mod} => {mod} {ver}")
    flags, venv, _ = variant(grid, spec.variant, spec.platform)
    env = platform_env(grid, spec.platform, venv.get("CGO_ENABLED", "1") == "1")
    env.update(venv)
    src = grid.plugin_source(spec.plugin, spec.mechanism)
    plan = {
        "kind": "plugin",
        "format": BUILD_FORMAT,
        "go": tc.version,
        "gotoolchain": tc.gotoolchain,
        "go_mod": "\n".join(lines) + "\n",
        "flags": flags,
        "env": env,
        "sources": sources_digest(src),
        "vendor": bool(pin.get("vendor")),
        "files": bool(pin.get("files")),
        "source_dir": str(src),
    }
    # Keys only where they are set: the plans (and cache keys) of the Go plugins built
    # before these existed stay the same.
    if spec.mechanism != GO_PLUGIN:
        plan["mechanism"] = spec.mechanism  # an executable: `go build`, no -buildmode=plugin
    for k in ("prebuild", "companions"):
        if pdef.get(k):
            plan[k] = pdef[k]
    return plan_key({k: v for k, v in plan.items() if k != "source_dir"}), plan


def recipe_plan(
    grid: Grid, cache: Path, spec: PluginSpec, r: recipe.Recipe, tc: Toolchain
) -> tuple[str, dict[str, Any]]:
    """(key, plan) of a plugin built by the recipe `r` read from a host, with `tc`;
    `cache` is the artifact cache (its other module caches are named, not keyed by path)."""
    src = grid.plugin_source(spec.plugin)
    env = {
        k: v for k, v in r.build_env(go_release(tc.version)).items() if k not in ("GOTOOLCHAIN", "GOMODCACHE")
    }  # the toolchain's env has both; a module cache of the host's own is below
    go_mod = f"module {MODULE_PREFIX}/plugin/{spec.plugin}\n\ngo 1.18\n\n{r.require_block()}"
    # The recipe's module cache path (an untrimmed host bakes its source paths in): one
    # of this cache's other module caches by name, so keys stay the same on any machine.
    modcache = None
    wanted = r.build_env(go_release(tc.version)).get("GOMODCACHE")
    gopaths = cache / "gopaths"
    if wanted and Path(wanted).parent.parent.parent == gopaths:
        modcache = Path(wanted).parent.parent.name
    elif wanted and wanted != shared_caches().get("GOMODCACHE"):
        env["GOMODCACHE"] = wanted  # a path of this machine: the recipe asks for it
    plan = {
        "kind": "plugin",
        "format": BUILD_FORMAT,
        "recipe": recipe.RECIPE_FORMAT,
        "go": tc.version,
        "gotoolchain": tc.gotoolchain,
        "go_mod": go_mod,
        "flags": r.flags,
        "env": env,
        "sources": sources_digest(src),
        "vendor": False,
        "files": False,
        "source_dir": str(src),
    }
    if modcache:
        plan["modcache"] = modcache
    return plan_key({k: v for k, v in plan.items() if k != "source_dir"}), plan

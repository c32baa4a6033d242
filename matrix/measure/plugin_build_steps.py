"""build-plugin, the build: the go build steps, and what a failed build says (a newer Go
needed, and by which code)."""

from __future__ import annotations

from pathlib import Path

from matrix.diagnose import gomod
from matrix.diagnose import plan as planmod
from matrix.diagnose.plan import WORK, Step
from matrix.measure import proc
from matrix.measure.plugin_source import Source
from matrix.measure.plugin_work import (
    _Work,
)
from matrix.measure.toolchains import shared_caches


def _build_steps(w: _Work, s: Source) -> Step:
    p, r = w.plan, w.plan.recipe
    pi = p.plugin
    assert pi is not None
    src_dir = f"{WORK}/src"
    mode = None
    if s.vendored:
        if r.trimpath:
            w.step(
                [w.tc.go, "mod", "tidy"], src_dir, "go.sum for the pinned versions (go mod vendor needs it)"
            )
            w.step([w.tc.go, "mod", "vendor"], src_dir, "re-vendor at the pinned versions")
            mode = "vendor"
            pi.vendor = {
                "mode": "vendor",
                "why": "re-vendored after pinning (`go mod tidy && go mod vendor`), built with -mod=vendor: with "
                "-trimpath, vendored and module-cache sources give the same package fingerprints",
            }
        else:
            pi.vendor = {
                "mode": "mod",
                "why": "vendor/ is ignored (-mod=mod): the host was built without -trimpath from the "
                "module cache, and its package fingerprints hold those paths",
            }
    build = Step(
        planmod.build_argv(r, f"{WORK}/plugin.so", s.package, w.tc.go, mode),
        src_dir,
        "the host's Go, flags and environment",
    )
    p.steps.append(build)
    p.steps.append(
        Step(
            ["cp", f"{WORK}/plugin.so", str(w.out.absolute()) if w.out else f"{planmod.HERE}/MyKind.so"],
            "",
            "the plugin",
        )
    )
    return build


def _diagnose(w: _Work, s: Source, res: proc.Result, what: str = "") -> None:
    """Why the build failed, as a problem with a fix."""
    p, r = w.plan, w.plan.recipe
    out = res.output
    for n in gomod.needs_go(out):
        p.problem(
            "dependency-needs-newer-go",
            f"{n.what} requires go >= {n.go}; the host's Go is {r.go_version}.",
            f"use an older {n.what.split('@')[0]} (one whose go.mod needs no newer Go), "
            f"or a host built with Go >= {n.go}",
        )
    if p.problems:
        return
    errors = gomod.compile_errors(w.real(out).replace(str(w.root) + "/src/", ""))
    gl = p.go_line
    if gl.action == "lower":
        uses = _newer_go_check(w, s)
        if uses is None:
            std = _std(w)
            guessed = gomod.guess_newer_go(errors, std)
            if guessed:
                p.problem(
                    "go-too-new",
                    f"go.mod asks for go {gl.plugin} and the code does not build with the host's "
                    f"{r.go_version}: " + "; ".join(guessed[:3]),
                    f"use a host built with Go >= {gl.plugin}, or change that code to build with {r.go_version}",
                )
                return
        elif uses:
            what = "; ".join(f"{where}: {feat} requires {gov}" for where, feat, gov in uses[:4])
            need = max((u[2] for u in uses), key=lambda v: gomod.go_key(v) or (0, 0, 0, 0, 0))
            p.problem(
                "go-too-new",
                f"go.mod asks for go {gl.plugin}, and the code needs it: {what} (the host's Go is {r.go_version}).",
                f"use a host built with Go >= {need.removeprefix('go')} (kustomize: "
                f"`GOTOOLCHAIN=go{gl.plugin} CGO_ENABLED=1 go install sigs.k8s.io/kustomize/kustomize/v5@VERSION`), "
                f"or change that code to build with {r.go_version}",
            )
            return
    pi = p.plugin
    assert pi is not None
    context = ""
    if pi.lowered:
        context = (
            " Pinned below what go.mod asks: "
            + ", ".join(f"{x['module']} {x['asked']} -> {x['host']}" for x in pi.lowered)
            + "."
        )
    if pi.downgrades:
        context += (
            " Downgraded: "
            + ", ".join(f"{d['module']} {d['from']} -> {d['to']}" for d in pi.downgrades)
            + "."
        )
    first = "; ".join(errors[:4]) or gomod.first_error(w.real(out))
    p.problem(
        "build-failed",
        f"{what or 'the plugin does not build with the host' + chr(39) + 's Go and module versions'}: "
        f"{first}.{context}",
        "make the plugin's code build against the host's module versions (the require block above)"
        + (", or use a host built with the newer versions" if context else ""),
    )


def _newer_go_check(w: _Work, s: Source) -> list[tuple[str, str, str]] | None:
    """Ask a newer Go which code in the (lowered) copy needs it: the compiler names language
    features, vet's stdversion check standard-library API. None: no newer Go at hand."""
    gt = _newer_go(w)
    if gt is None:
        return None
    # The machine's module cache, where the toolchain module was found (a host built with
    # another module cache gets its plugin built with that one; this check is no build).
    env = {**w.env, "GOTOOLCHAIN": gt, **{k: v for k, v in shared_caches().items() if k == "GOMODCACHE"}}
    _code, out = w.capture(["go", "vet", s.package], f"{WORK}/src", env)
    return gomod.newer_go_uses(out)


def _newer_go(w: _Work) -> str | None:
    """GOTOOLCHAIN for the newest Go newer than the host's that is already here: the
    machine's own Go, or a toolchain module in the module cache. Nothing is downloaded."""
    host = (w.plan.recipe.go_version or "").removeprefix("go")
    found: list[tuple[str, str]] = []
    local = w.plan.local_version
    if local:
        found.append((local.removeprefix("go"), "local"))
    cache = shared_caches().get("GOMODCACHE")
    goos, goarch = w.tc.goenv.get("GOOS", "linux"), w.tc.goenv.get("GOARCH", "amd64")
    if cache:
        for d in Path(cache, "golang.org").glob(f"toolchain@v0.0.1-go*.{goos}-{goarch}"):
            if (d / "bin" / "go").is_file():
                v = d.name.removeprefix("toolchain@v0.0.1-go").removesuffix(f".{goos}-{goarch}")
                found.append((v, f"go{v}"))
    newer = [f for f in found if gomod.go_newer(f[0], host)]
    if not newer:
        return None
    return max(newer, key=lambda f: gomod.go_key(f[0]) or (0, 0, 0, 0, 0))[1]


def _std(w: _Work) -> set[str]:
    code, out = w.capture([w.tc.go, "list", "std"], f"{WORK}/src")
    return set(out.split()) if code == 0 else set()

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
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix import UserError
from matrix.diagnose import elf, gomod, recipe
from matrix.diagnose import plan as planmod
from matrix.diagnose.plan import WORK, Plan, PluginInfo, Step
from matrix.measure import proc, toolchains
from matrix.measure.plugin_source import Source, copy_module, locate
from matrix.measure.toolchains import Toolchain, go_release, shared_caches

EXIT_CANNOT_LOAD = 1
BUILD_TIMEOUT_S = 1800.0
STEP_TIMEOUT_S = 600.0
MAX_CANDIDATES = 8  # older versions of one module tried when its go.mod needs a newer Go
GO_VERSION_ROUNDS = 4


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
def _recipe_toolchain(r: recipe.Recipe, local: str | None) -> Toolchain:
    return toolchains.resolve(
        "recipe",
        {"go": r.go_command(local), "gotoolchain": r.toolchain_env(local).get("GOTOOLCHAIN", "local")},
    )


class _StepFailed(Exception):
    def __init__(self, res: proc.Result) -> None:
        super().__init__(" ".join(res.argv[:3]))
        self.res = res


class _Work:
    """A temporary directory, the plan's steps run in it, and the environment they get."""

    def __init__(self, root: Path, p: Plan, tc: Toolchain, out: Path | None) -> None:
        self.root = root
        self.plan = p
        self.tc = tc
        self.out = out
        extra = {k: v for k, v in p.env.items() if k != "GOTOOLCHAIN"}
        self.env = tc.env(shared_caches(), extra)
        self.log: list[str] = []

    def real(self, s: str) -> str:
        return s.replace(WORK, str(self.root))

    def step(
        self, argv: list[str], cwd: str, why: str, timeout: float = STEP_TIMEOUT_S, check: bool = True
    ) -> proc.Result:
        """Record a step of the plan and run it; a failure (with `check`) ends the preparation."""
        self.plan.steps.append(Step(argv, cwd, why))
        res = self.run(argv, cwd, timeout)
        if check and res.returncode != 0:
            raise _StepFailed(res)
        return res

    def run(self, argv: list[str], cwd: str, timeout: float = STEP_TIMEOUT_S) -> proc.Result:
        real = [self.real(a) for a in argv]
        res = proc.run(real, env=self.env, cwd=Path(self.real(cwd)) if cwd else None, timeout=timeout)
        self.log.append(f"$ {' '.join(argv)}\n{res.output}".rstrip())
        return res

    def capture(self, argv: list[str], cwd: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        """A query whose whole output matters (go list, go mod graph). It is not a step of the
        plan, so what it writes to the copy's go.mod and go.sum is undone: the copy changes
        only by the plan's steps, and the printed script does exactly what was done."""
        keep = {
            f: f.read_bytes() for f in (self.root / "src" / n for n in ("go.mod", "go.sum")) if f.is_file()
        }
        try:
            r = subprocess.run(
                [self.real(a) for a in argv],
                cwd=self.real(cwd) or self.root,  # never the user's directory
                env=env or self.env,
                capture_output=True,
                text=True,
                timeout=STEP_TIMEOUT_S,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            return 1, str(e)
        finally:
            for f in (self.root / "src" / n for n in ("go.mod", "go.sum")):
                if f in keep:
                    f.write_bytes(keep[f])
                elif f.is_file():
                    f.unlink()
        self.log.append(f"$ {' '.join(argv)}  (query)\n{r.stderr}".rstrip())
        return r.returncode, r.stdout if r.returncode == 0 else (r.stderr or r.stdout)

    def mod_json(self, gomod_file: Path, what: str) -> gomod.ModFile:
        code, out = self.capture([self.editor, "mod", "edit", "-json", str(gomod_file)], "", self.edit_env)
        if code != 0:
            text = gomod.first_error(out).replace(f"{gomod_file}:", "line ")
            raise UserError(f"{what}: does not parse: {text}")
        return gomod.ModFile.from_json(json.loads(out))

    @functools.cached_property
    def editor(self) -> str:
        """The go command that edits go.mod files: the host's Go, unless it is older than Go
        1.21 (which does not know toolchain lines nor three-part go lines)."""
        minor = elf.go_minor(self.plan.recipe.go_version)
        return "go" if minor and minor < (1, 21) else self.tc.go

    @property
    def edit_env(self) -> dict[str, str]:
        return {**self.env, "GOTOOLCHAIN": "local"} if self.editor != self.tc.go else self.env


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


# ---------------------------------------------------------------------- preparing the copy
def _prepare(w: _Work, s: Source, downgrade: bool) -> None:
    p, r = w.plan, w.plan.recipe
    pi = p.plugin
    assert pi is not None
    go = w.tc.go
    src_dir = f"{WORK}/src"
    copy_from = s.root or s.dir
    cp = Step(["cp", "-R", str(copy_from), src_dir], "", _copy_why(s))
    p.steps.append(cp)
    copy_module(copy_from, w.root / "src")
    if s.root is None:
        name = "".join(c if c.isalnum() or c in "-_." else "-" for c in s.dir.name) or "plugin"
        w.step([go, "mod", "init", f"example.local/plugin/{name}"], src_dir, "the plugin has no go.mod")
    # Read from the original (the go command only reads it): errors then name the user's file.
    first = copy_from / "go.mod" if s.root is not None else w.root / "src" / "go.mod"
    mod = w.mod_json(first, f"{copy_from}/go.mod")
    pi.module = mod.module
    _go_line(w, mod, src_dir)

    edits: list[str] = []
    replaces = list(mod.replaces)
    if s.workfile is not None and s.root is not None:
        replaces = _workspace(w, s, mod, edits) + replaces
    seen: set[str] = set()
    for rep in replaces:
        if rep.lhs() in seen:
            continue  # the go.work's replacement wins over go.mod's
        seen.add(rep.lhs())
        _replace(w, s, rep, edits)
    for m, v in sorted(mod.requires.items()):
        hv = r.modules.get(m)
        if hv and gomod.semver_newer(v, hv):
            pi.lowered.append({"module": m, "asked": v, "host": hv})
    if edits:
        w.step([w.editor, "mod", "edit", *edits], src_dir, "replace directives that work from the copy")
    pins = planmod.pin_args(r)
    if pins:
        w.step(
            [w.editor, "mod", "edit", *pins], src_dir, "every module the host links, at the host's version"
        )
    for m, target in sorted(r.replaces.items()):
        if gomod.is_local_path(target.partition(" ")[0]):
            pi.notes.append(
                f"the host replaced {m} with a directory ({target}): the plugin cannot reproduce it"
            )
    _versions(w, s, downgrade)


def _copy_why(s: Source) -> str:
    parts = ["work on a copy: the plugin's directory is never written to"]
    if s.root is not None and s.root != s.dir:
        parts.append(f"the plugin is package {s.package} of the module at {s.root}")
    parts.append("build-plugin leaves out .git, vendor/, *.so and nested modules, which change nothing here")
    return "; ".join(parts)


def _go_line(w: _Work, mod: gomod.ModFile, cwd: str) -> None:
    p = w.plan
    gl = p.go_line
    gl.plugin, gl.toolchain = mod.go, mod.toolchain
    top = gl.max
    if top is None:
        gl.action, gl.use = "unknown", mod.go
        return
    too_new = gomod.go_newer(mod.go, top)
    tool_new = bool(mod.toolchain) and gomod.go_newer(mod.toolchain.removeprefix("go"), top)  # type: ignore[union-attr]
    if too_new:
        args = [f"-go={top}"] + (["-toolchain=none"] if mod.toolchain or _three_part(top) else [])
        w.step(
            [w.editor, "mod", "edit", *args],
            cwd,
            f"go.mod asks for go {mod.go}; the host's Go is {p.recipe.go_version}",
        )
        gl.action, gl.use = "lower", top
        gl.why = (
            f"lowered in the copy: the host's {p.recipe.go_version} refuses `go {mod.go}`; "
            "the build shows whether the code needs the newer Go"
        )
    elif tool_new:
        w.step(
            [w.editor, "mod", "edit", "-toolchain=none"],
            cwd,
            f"toolchain {mod.toolchain} is newer than the host's Go",
        )
        gl.action, gl.use = "keep", mod.go
        gl.why = f"the go line is fine; the toolchain line ({mod.toolchain}) is dropped in the copy"
    else:
        gl.action, gl.use = "keep", mod.go
        gl.why = f"not newer than the host's Go ({top})" if mod.go else "go.mod has no go line"


def _three_part(v: str) -> bool:
    k = gomod.go_key(v)
    return bool(k and k[:2] >= (1, 21))


def _workspace(w: _Work, s: Source, mod: gomod.ModFile, edits: list[str]) -> list[gomod.Replace]:
    """The go.work's other modules and replacements, as replace directives."""
    assert s.workfile is not None
    assert s.root is not None
    pi = w.plan.plugin
    assert pi is not None
    code, out = w.capture([w.editor, "work", "edit", "-json", str(s.workfile)], "", w.edit_env)
    if code != 0:
        raise UserError(f"{s.workfile}: does not parse: {gomod.first_error(out)}")
    wf = gomod.WorkFile.from_json(json.loads(out))
    base = s.workfile.parent
    dirs = [(base / u).resolve() for u in wf.uses]
    if s.root not in dirs:
        pi.workspace = {
            "file": str(s.workfile),
            "uses": wf.uses,
            "action": "ignored: it does not use this module (built with GOWORK=off)",
        }
        return []
    reps: list[gomod.Replace] = []
    for d in dirs:
        if d == s.root:
            continue
        other = w.mod_json(d / "go.mod", f"{d}/go.mod")
        if other.module is None:
            continue
        reps.append(gomod.Replace(other.module, None, str(d), None, "go.work"))
        if other.module not in mod.requires and other.module not in w.plan.recipe.modules:
            edits.append(f"-require={other.module}@{gomod.ZERO_PSEUDO}")
    for rep in wf.replaces:
        new = str((base / rep.new).resolve()) if rep.local and not os.path.isabs(rep.new) else rep.new
        reps.append(gomod.Replace(rep.old, rep.old_version, new, rep.new_version, "go.work"))
    pi.workspace = {
        "file": str(s.workfile),
        "uses": wf.uses,
        "action": "built without it (GOWORK=off): its other modules and replacements become "
        "replace directives in the copy",
    }
    return reps


def _replace(w: _Work, s: Source, rep: gomod.Replace, edits: list[str]) -> None:
    p, r = w.plan, w.plan.recipe
    pi = p.plugin
    assert pi is not None
    hv = r.modules.get(rep.old)
    if hv:
        edits.append(f"-dropreplace={rep.lhs()}")
        pi.replaces.append(
            {
                "replace": rep.text(),
                "action": "dropped",
                "why": f"the host links {rep.old} {hv}: a plugin must use the host's version",
            }
        )
        return
    if not rep.local:
        if rep.origin == "go.work":
            edits += [f"-dropreplace={rep.lhs()}", f"-replace={rep.lhs()}={rep.rhs()}"]
            pi.replaces.append({"replace": rep.text(), "action": "added from go.work", "why": "a module"})
        else:
            pi.replaces.append({"replace": rep.text(), "action": "kept", "why": "a module, not a directory"})
        return
    base = s.root or s.dir
    target = Path(rep.new) if os.path.isabs(rep.new) else (base / rep.new).resolve()
    if not (target / "go.mod").is_file():
        raise UserError(f"{base}: replace {rep.text()} (in {rep.origin}): {target} has no go.mod")
    other = w.mod_json(target / "go.mod", f"{target}/go.mod")
    new = str(target)
    action = "kept" if os.path.isabs(rep.new) else "made absolute"
    why = (
        "relative paths would not resolve from the copy" if action == "made absolute" else "an absolute path"
    )
    top = p.go_line.max
    if top and gomod.go_newer(other.go, top):
        i = len([x for x in pi.replaces if x["action"] == "copied, go line lowered"])
        dest = f"{WORK}/replaced/{i}-{target.name}"
        if i == 0:
            p.steps.append(Step(["mkdir", "-p", f"{WORK}/replaced"], "", ""))
        p.steps.append(Step(["cp", "-R", str(target), dest], "", f"{target} says go {other.go}"))
        copy_module(target, w.root / "replaced" / f"{i}-{target.name}")
        w.step(
            [w.editor, "mod", "edit", f"-go={top}", "-toolchain=none"],
            dest,
            f"{rep.old}'s go.mod asks for go {other.go}",
        )
        new, action = dest, "copied, go line lowered"
        why = f"its go.mod says go {other.go}; the host's Go is {p.recipe.go_version}"
    edits += [f"-dropreplace={rep.lhs()}", f"-replace={rep.lhs()}={new}"]
    pi.replaces.append({"replace": rep.text(), "action": action, "why": f"{why} (=> {new})"})


# ---------------------------------------------------------------------- versions
def _query_deps(w: _Work, s: Source) -> tuple[int, str]:
    return w.capture(
        [
            w.tc.go,
            "list",
            "-deps",
            "-f",
            "{{.ImportPath}} {{with .Module}}{{.Path}} {{.Version}}{{end}}",
            s.package,
        ],
        f"{WORK}/src",
    )


def _versions(w: _Work, s: Source, downgrade: bool) -> None:
    """Dependencies that need a newer Go, and modules raised above the host's version."""
    p, r = w.plan, w.plan.recipe
    pi = p.plugin
    assert pi is not None
    src_dir = f"{WORK}/src"
    for _ in range(GO_VERSION_ROUNDS):
        code, out = _query_deps(w, s)
        if code == 0:
            break
        needs = [n for n in gomod.needs_go(out) if "@" in n.what]
        if not needs:
            return  # another failure: the build says it, with its own words
        fixed = False
        for n in needs:
            fixed = _older_for_go(w, n, downgrade) or fixed
        if not fixed:
            return
    else:
        return
    linked = gomod.parse_deps(out)
    host_pkgs = set(getattr(elf.parse(Path(r.host)), "pkghashes", None) or ())
    raised = _raised(linked, r.modules, host_pkgs)
    harmless = {m for m in _raised(linked, r.modules, set()) if m not in raised}
    if not raised and not harmless:
        return
    code, graph = w.capture([w.tc.go, "mod", "graph"], src_dir)
    edges = gomod.parse_graph(graph) if code == 0 else []
    main = {pi.module or ""}
    for m in sorted(harmless):
        sel = next(x.version for x in linked if x.module == m)
        by = gomod.forcing(edges, m, r.modules[m], main)
        pi.notes.append(
            f"{m} is raised to {sel} ({by[0] if by else 'by a requirement'}), above the host's "
            f"{r.modules[m]}: harmless, the plugin links none of its packages that the host links"
        )
    if not raised:
        return
    conflicts: dict[str, dict[str, Any]] = {}
    for m, (sel, pkgs) in sorted(raised.items()):
        by = gomod.forcing(edges, m, r.modules[m], main) or [f"a requirement selects {m}@{sel}"]
        conflicts[m] = {
            "module": m,
            "host_version": r.modules[m],
            "selected": sel,
            "required_by": by[:3],
            "packages": sorted(pkgs)[:5],
            "action": "none",
            "fix": _conflict_fix(m, r.modules[m], sel, by),
        }
    pi.conflicts = list(conflicts.values())
    if downgrade:
        res = w.step(
            [w.tc.go, "get", *(f"{m}@{r.modules[m]}" for m in conflicts)],
            src_dir,
            "downgrade what raises a module the host links above the host's version",
            check=False,
        )
        changes = gomod.get_changes(res.output)
        for c in changes:
            if c.module in conflicts:
                continue
            why = "; ".join(
                t for m in conflicts for t in conflicts[m]["required_by"] if t.startswith(f"{c.module}@")
            )
            pi.downgrades.append(
                {
                    "module": c.module,
                    "from": c.old,
                    "to": c.new or "(removed)",
                    "why": why or "minimal version selection",
                }
            )
        code, out = _query_deps(w, s)
        still = _raised(gomod.parse_deps(out), r.modules, host_pkgs) if code == 0 else raised
        for m, conf in conflicts.items():
            conf["action"] = (
                "unresolved"
                if (m in still or res.returncode != 0)
                else (
                    "downgraded: "
                    + (
                        ", ".join(f"{d['module']} {d['from']} -> {d['to']}" for d in pi.downgrades)
                        or "go get"
                    )
                )
            )
        raised = still if res.returncode == 0 else raised
    for m, conf in conflicts.items():
        if m in raised:
            p.problem(
                "version-conflict",
                f"{'; '.join(conf['required_by'])}, but the host links {m} {conf['host_version']}: the "
                f"plugin would link {m} {conf['selected']} and fail with `plugin was built with a different "
                f"version of package {conf['packages'][0] if conf['packages'] else m}`.",
                conf["fix"],
            )


def _raised(
    linked: list[gomod.Linked], host: dict[str, str], host_pkgs: set[str]
) -> dict[str, tuple[str, set[str]]]:
    """Modules the plugin links at another version than the host, with the packages that
    matter (those the host links too; all of them when the host's list is unknown)."""
    out: dict[str, tuple[str, set[str]]] = {}
    for x in linked:
        hv = host.get(x.module)
        if not hv or x.version == hv:
            continue
        if host_pkgs and x.package not in host_pkgs:
            continue
        out.setdefault(x.module, (x.version, set()))[1].add(x.package)
    return out


def _conflict_fix(m: str, hv: str, sel: str, by: list[str]) -> str:
    who = by[0].split(" requires ")[0] if by and " requires " in by[0] else None
    if who:
        mod = who.split("@")[0]
        return (
            f"require an older {mod} (one whose go.mod requires {m} {hv} or older: "
            f"`go list -m -versions {mod}`, then `go get {mod}@VERSION`), or use a host built with {m} {sel}"
        )
    return f"use a host built with {m} {sel}"


def _older_for_go(w: _Work, need: gomod.GoNeed, downgrade: bool) -> bool:
    """A dependency whose go.mod needs a newer Go than the host's: its newest version that
    does not. Returns whether the copy was changed."""
    p = w.plan
    top = p.go_line.max or ""
    mod, _, ver = need.what.partition("@")
    older = _older_version(w, mod, ver, top)
    fix = (
        f"require {mod} {older} (its go.mod needs no newer Go), or use a host built with Go >= {need.go}"
        if older
        else f"use a host built with Go >= {need.go}, or drop {mod} (no older version fits {top})"
    )
    # `go get` cannot help: it loads the module graph first, and stops at the same error.
    # A requirement written in go.mod can be lowered by editing it.
    direct = mod in w.mod_json(w.root / "src" / "go.mod", "go.mod (copy)").requires
    if older and downgrade and direct:
        w.step(
            [w.editor, "mod", "edit", f"-require={mod}@{older}"],
            f"{WORK}/src",
            f"{mod} {ver} needs go >= {need.go}; {older} is its newest version that does not",
        )
        assert p.plugin is not None
        p.plugin.downgrades.append(
            {"module": mod, "from": ver, "to": older, "why": f"{mod}@{ver}'s go.mod says go {need.go}"}
        )
        return True
    if older and not direct:
        fix = (
            f"{mod} {ver} is required by another dependency: use an older version of that one "
            f"(`go mod graph | grep {mod}@{ver}`), or require {mod} {older} and downgrade what "
            f"requires {ver}, or use a host built with Go >= {need.go}"
        )
    p.problem(
        "dependency-needs-newer-go",
        f"{mod}@{ver}'s go.mod requires go >= {need.go}; the host's Go is {p.recipe.go_version}.",
        fix,
    )
    return False


def _older_version(w: _Work, mod: str, ver: str, top: str) -> str | None:
    code, out = w.capture([w.tc.go, "list", "-m", "-versions", "-json", mod], f"{WORK}/src")
    if code != 0:
        return None
    versions = [v for v in json.loads(out).get("Versions") or [] if gomod.semver_newer(ver, v)]
    for v in sorted(versions, key=gomod.semver_key, reverse=True)[:MAX_CANDIDATES]:
        code, info = w.capture([w.tc.go, "mod", "download", "-json", f"{mod}@{v}"], f"{WORK}/src")
        if code != 0:
            continue
        gm = json.loads(info).get("GoMod")
        if not gm:
            continue
        other = w.mod_json(Path(gm), f"{mod}@{v} go.mod")
        if not gomod.go_newer(other.go, top):
            return str(v)
    return None


# ---------------------------------------------------------------------- the build
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

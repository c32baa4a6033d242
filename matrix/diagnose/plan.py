"""The complete plan from plugin source to a plugin that loads into one host.

`plugin-matrix recipe --for HOST [--plugin DIR]` prints it; `plugin-matrix build-plugin`
runs exactly its steps. The plan is the host's recipe (matrix.diagnose.recipe) plus what
a plugin module needs to meet it: the go line, every pin, flags, environment, and the
commands, in order.

JSON (`--json`), format PLAN_FORMAT. Every key of the recipe stays (host, sha256,
can_load, why, blocker, link, go_version, goos, goarch, cgo, env, flags, modules,
replaces, main_module, goroot, gomodcache, vendor_dir, assumptions, format, go_mod_require,
build_env, build_command, see matrix.diagnose.recipe.Recipe), and these are added:

- `plan_format` (int): this format's number.
- `ok` (bool): the plan should give a plugin that loads; False when `problems` is not empty
  or the host cannot load plugins.
- `go_line` (object): `max` the newest go line the host's Go builds ("1.26.8"); `plugin` and
  `toolchain` what the plugin's go.mod says (null without --plugin or when absent); `use` the
  go line the build uses; `action` one of keep | lower | init | unknown; `why`.
- `pins` (object): module -> version required with `go mod edit -require` (every module the
  host links).
- `plugin` (object or null, only with --plugin): `dir`, `module_root`, `package` (the
  plugin's package relative to the module root, "./..."), `module` (path), `cgo_files`,
  `vendor` ({mode: "vendor" | "mod", why} or null), `workspace` ({file, uses, action} or
  null), `replaces` ([{replace, action, why}]), `lowered` ([{module, asked, host}]: the
  plugin asked for a newer version than the host links), `conflicts` ([{module,
  host_version, selected, required_by, action, fix}]), `downgrades` ([{module, from, to,
  why}]), `notes` ([str]).
- `steps` ([{argv, cwd, why}]): the commands in order; `$WORK` is a fresh temporary
  directory, `$HERE` the directory the script starts in, `$PLUGIN_DIR` (the plan without
  --plugin) the plugin module's directory; `cwd` "": any directory.
- `script` (str): the same steps as a POSIX shell script.
- `problems` ([{kind, message, fix}]): why no plugin that loads can be built this way, each
  with what to change. Kinds: host-cannot-load, go-too-new (code), dependency-needs-newer-go,
  version-conflict, build-failed, no-c-compiler, module-cache-path, go-unavailable,
  host-vendor-paths.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, dataclass, field
from typing import Any

from matrix.diagnose import gomod
from matrix.diagnose.recipe import Recipe
from matrix.diagnose.recipe import render_text as recipe_text

PLAN_FORMAT = 2
WORK = "$WORK"
HERE = "$HERE"  # the directory the script was started in
PLUGIN_DIR = "$PLUGIN_DIR"  # the generic plan: the plugin module's directory, set by the user
PLACEHOLDERS = (WORK, HERE, PLUGIN_DIR)
EXTRA_ENV = {"GOFLAGS": "-mod=mod -buildvcs=false", "GOWORK": "off"}


@dataclass
class Step:
    argv: list[str]
    cwd: str
    why: str

    def shell(self) -> str:
        return " ".join(_q(a) for a in self.argv)


@dataclass
class Problem:
    kind: str
    message: str
    fix: str

    def line(self) -> str:
        return f"{self.message} Fix: {self.fix}"


@dataclass
class GoLine:
    max: str | None
    plugin: str | None = None
    toolchain: str | None = None
    use: str | None = None
    action: str = "keep"
    why: str = ""


@dataclass
class PluginInfo:
    dir: str
    module_root: str
    package: str
    module: str | None
    cgo_files: list[str] = field(default_factory=list)
    vendor: dict[str, str] | None = None
    workspace: dict[str, Any] | None = None
    replaces: list[dict[str, str]] = field(default_factory=list)
    lowered: list[dict[str, str]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    downgrades: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Plan:
    recipe: Recipe
    local_version: str | None
    go_line: GoLine
    env: dict[str, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    plugin: PluginInfo | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.recipe.can_load is not False and not self.problems

    @property
    def pins(self) -> dict[str, str]:
        return dict(sorted(self.recipe.modules.items()))

    def problem(self, kind: str, message: str, fix: str) -> Problem:
        p = Problem(kind, message, fix)
        self.problems.append(p)
        return p

    def script(self) -> str:
        lines = ["set -e"]
        if self.env:
            lines.append("export " + " ".join(f"{k}={_q(v)}" for k, v in sorted(self.env.items())))
        words = [a for s in self.steps for a in [*s.argv, s.cwd]]
        if any(PLUGIN_DIR in a for a in words):
            lines.append(': "${PLUGIN_DIR:?set PLUGIN_DIR to the plugin module directory}"')
        if any(HERE in a for a in words):
            lines.append("HERE=$(pwd)")
        if any(WORK in a for a in words):
            lines.append("WORK=$(mktemp -d)")
        cwd = None
        for s in self.steps:
            if s.cwd and s.cwd != cwd:
                lines.append(f"cd {_q(s.cwd)}")
                cwd = s.cwd
            if s.why:
                lines.append(f"# {s.why}")
            lines.append(s.shell())
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict[str, Any]:
        d = self.recipe.as_json(self.local_version)
        d.update(
            plan_format=PLAN_FORMAT,
            ok=self.ok,
            go_line=asdict(self.go_line),
            pins=self.pins,
            plugin=asdict(self.plugin) if self.plugin else None,
            steps=[asdict(s) for s in self.steps],
            script=self.script() if self.recipe.can_load is not False else None,
            problems=[asdict(p) for p in self.problems],
        )
        if self.recipe.can_load is not False:
            d["build_env"] = dict(sorted(self.env.items()))
            build = next((s for s in reversed(self.steps) if "build" in s.argv[1:2]), None)
            if build:
                d["build_command"] = " ".join(
                    [*(f"{k}={_q(v)}" for k, v in sorted(self.env.items())), build.shell()]
                )
        return d


def _q(s: str) -> str:
    """Shell-quote, leaving $WORK, $HERE and $PLUGIN_DIR expandable (in double quotes)."""
    if not any(p in s for p in PLACEHOLDERS):
        return shlex.quote(s)
    parts = re.split(r"(\$WORK|\$HERE|\$PLUGIN_DIR)", s)
    body = ""
    for i, x in enumerate(parts):
        if x in PLACEHOLDERS:
            follows = parts[i + 1][:1] if i + 1 < len(parts) else ""
            body += "${" + x[1:] + "}" if (follows.isalnum() or follows == "_") else x
        else:
            body += re.sub(r'([\\"$`])', r"\\\1", x)
    return f'"{body}"'


# ---------------------------------------------------------------------- the generic plan
def go_line_rule(r: Recipe) -> GoLine:
    top = gomod.go_line_for(r.go_version)
    if top is None:
        return GoLine(None, action="unknown", why="the host's Go release is not known")
    return GoLine(
        top,
        action="keep",
        why=f"a go line newer than {top} is lowered to {top} (`go mod edit -go={top} -toolchain=none`): "
        f"the host's {r.go_version} refuses newer go lines; code that needs a newer Go cannot load "
        "into this host at all",
    )


def host_problems(p: Plan) -> list[Problem]:
    """What about the host alone keeps any plugin built by a plan from loading."""
    r = p.recipe
    if r.vendor_dir and not r.trimpath:
        p.problem(
            "host-vendor-paths",
            f"the host was built with -mod=vendor and without -trimpath in {r.vendor_dir}: its "
            f"package fingerprints hold {r.vendor_dir}/vendor/... paths, which a plugin built from "
            "any other directory (or from the module cache) cannot have.",
            "use a host built with -trimpath (vendored or not: a -trimpath host and a plugin built "
            "by this plan load together), or one built from the module cache (`go install`)",
        )
    return p.problems


def generic(r: Recipe, local_version: str | None, go: str = "go") -> Plan:
    """The plan for a plugin module not yet seen: run in a copy of its module root."""
    gl = go_line_rule(r)
    p = Plan(r, local_version, gl, env=plan_env(r, local_version))
    if r.can_load is False:
        return p
    host_problems(p)
    p.steps.append(
        Step(
            ["cp", "-R", PLUGIN_DIR, f"{WORK}/src"],
            "",
            "work on a copy of the plugin's module: these commands edit go.mod",
        )
    )
    cwd = f"{WORK}/src"
    if gl.max:
        p.steps.append(
            Step(
                [
                    go,
                    "mod",
                    "edit",
                    f"-go={gl.max}",
                    *(["-toolchain=none"] if _has_toolchain(gl.max) else []),
                ],
                cwd,
                f"run this one only when go.mod's go line is newer than {gl.max}",
            )
        )
    pins = pin_args(r)
    if pins:
        p.steps.append(Step([go, "mod", "edit", *pins], cwd, "every module the host links, at its version"))
    p.steps.append(
        Step(build_argv(r, f"{HERE}/MyKind.so", ".", go), cwd, "the host's Go, flags and environment")
    )
    return p


def _has_toolchain(line: str) -> bool:
    k = gomod.go_key(line)
    return bool(k and k[:2] >= (1, 21))


def plan_env(r: Recipe, local_version: str | None) -> dict[str, str]:
    env = r.build_env(local_version)
    env.setdefault("GOTOOLCHAIN", "local")  # a Go older than 1.21 ignores it; `go mod edit` must not switch
    env.update(EXTRA_ENV)
    return env


def pin_args(r: Recipe) -> list[str]:
    out = [f"-require={m}@{v}" for m, v in sorted(r.modules.items()) if v and not v.startswith("(")]
    for m, rep in sorted(r.replaces.items()):
        new, _, ver = rep.partition(" ")
        if gomod.is_local_path(new):
            continue  # a directory on the host's build machine: see the recipe's assumptions
        out.append(f"-replace={m}={new}@{ver}" if ver else f"-replace={m}={new}")
    return out


def build_argv(r: Recipe, out: str, target: str, go: str, mod: str | None = None) -> list[str]:
    argv = r.build_argv(out, target, go)
    if mod:
        argv.insert(3, f"-mod={mod}")
    return argv


# ---------------------------------------------------------------------- text
def render_text(p: Plan) -> str:
    r = p.recipe
    head = recipe_text(r, p.local_version)
    if r.can_load is False:
        return head
    # The recipe's own build section is replaced by the plan's commands.
    head = head.split("\nbuild:\n", 1)[0].rstrip() + "\n"
    gl = p.go_line
    out = [head, "plan:", ""]
    if gl.max:
        asked = f"go.mod says go {gl.plugin}" if gl.plugin else "go.mod has no go line"
        if p.plugin is None:
            out.append(f"go line         at most {gl.max}: {gl.why}")
        else:
            tool = f", toolchain {gl.toolchain}" if gl.toolchain else ""
            out.append(f"go line         {asked}{tool} -> {gl.action}: go {gl.use}. {gl.why}".rstrip())
    out.append(f"pins            {len(p.pins)} modules (the require block above)")
    out.append(f"flags           {' '.join(r.flags) or '(none)'}")
    out.append("environment     " + " ".join(f"{k}={_q(v)}" for k, v in sorted(p.env.items())))
    if p.plugin:
        out += _plugin_lines(p.plugin)
    out += ["", "commands:", ""]
    out += ["  " + ln for ln in p.script().splitlines()]
    if p.problems:
        out += ["", "PROBLEMS (no plugin that loads can be built this way):"]
        for pr in p.problems:
            out += [f"  - [{pr.kind}] {pr.message}", f"    fix: {pr.fix}"]
    out += ["", "check before loading:  plugin-matrix doctor HOST MyKind.so"]
    return "\n".join(out) + "\n"


def _plugin_lines(pi: PluginInfo) -> list[str]:
    out = [f"plugin          {pi.dir}"]
    if pi.module_root != pi.dir:
        out.append(f"module root     {pi.module_root} (module {pi.module}, package {pi.package})")
    else:
        out.append(f"module          {pi.module or '(none: go mod init)'}")
    if pi.cgo_files:
        out.append(f"cgo             yes ({', '.join(pi.cgo_files)}): needs the C compiler")
    if pi.vendor:
        out.append(f"vendor/         {pi.vendor['mode']}: {pi.vendor['why']}")
    if pi.workspace:
        out.append(f"go.work         {pi.workspace['file']}: {pi.workspace['action']}")
    for rep in pi.replaces:
        out.append(f"replace         {rep['replace']}: {rep['action']} ({rep['why']})")
    for lo in pi.lowered:
        out.append(f"pinned down     {lo['module']}: go.mod asks {lo['asked']}, the host links {lo['host']}")
    for c in pi.conflicts:
        out.append(
            f"conflict        {c['module']}: the host links {c['host_version']}, but "
            f"{'; '.join(c['required_by'])} -> {c['action']}"
        )
    for d in pi.downgrades:
        out.append(f"downgrade       {d['module']} {d['from']} -> {d['to']}: {d['why']}")
    out += [f"note            {n}" for n in pi.notes]
    return out

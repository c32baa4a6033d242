"""Building kustomize hosts and Go plugins, each in a generated module, content-keyed.

Every artifact has a key: the hash of everything that decides its bytes (toolchain's
exact version, module versions, flags, environment, plugin sources; its plan,
matrix.measure.buildplan). A built or failed artifact is stored under that key in the
cache directory and is never built again, in this run or the next, unless `force` is set.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from matrix import UserError
from matrix.core import jsonio
from matrix.core.grid import GO_PLUGIN, Grid, HostSpec, PluginSpec
from matrix.diagnose import recipe
from matrix.measure import buildplan, proc
from matrix.measure.toolchains import Toolchain, go_release, redact_services, shared_caches

BUILD_TIMEOUT_S = 1800.0
COMPANIONS = "companions"  # the cache directory beside an artifact holding its companions

# The module proxy refusing a module (version): the input is unavailable here.
UNAVAILABLE = re.compile(r"\S+@\S+: reading \S+: (?:403 Forbidden|404 Not Found|410 Gone)")

# Failures that say nothing about the inputs, only about the network: never cached.
# Nor are failures of the machine (a full disk) or of its set-up (lookups switched off).
TRANSIENT = re.compile(
    r"dial tcp|connection refused|no such host|i/o timeout|TLS handshake"
    r"|connection reset|(?<!syntax error: )unexpected EOF|502 Bad Gateway|503 Service"
    r"|module lookup disabled by GOPROXY=off|no space left on device"
    r"|disk quota exceeded|read-only file system",
    re.I,
)


@dataclass
class Artifact:
    kind: str  # "host" | "plugin"
    key: str
    status: str  # "ok" | "failed" | "skipped"
    path: str | None = None
    sha256: str | None = None
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    go_mod: str | None = None
    modules: dict[str, str] = field(default_factory=dict)
    output: str = ""
    truncated: bool = False
    duration_s: float = 0.0
    reason: str | None = None  # for "skipped"
    install: str | None = None  # for "skipped": the command that provides what is missing
    companions: dict[str, str] = field(default_factory=dict)  # files built with it: name -> sha256

    def provenance(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("path")
        if not d["companions"]:
            d.pop("companions")  # records of plugins without companions stay as they were
        for k in ("output", "reason"):
            d[k] = d[k] and redact_services(d[k])
        return d

    def companion_files(self) -> tuple[tuple[str, Path], ...]:
        """(name, file) of each file built with the artifact, kept beside it in the cache."""
        if not self.path:
            return ()
        base = Path(self.path).parent / COMPANIONS
        return tuple((name, base / name) for name in sorted(self.companions))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_cache_dir() -> Path:
    base = os.environ.get("PLUGIN_MATRIX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kustomize-plugin-matrix"
    )
    return Path(base)


def parse_requires(go_mod: str) -> dict[str, str]:
    """Module -> version from a go.mod's require lines (single and block form)."""
    mods: dict[str, str] = {}
    for m in re.finditer(
        r"^\s*(?:require\s+)?([A-Za-z0-9.\-_~/]+\.[A-Za-z0-9.\-_~/]+)\s+(v\S+)", go_mod, re.M
    ):
        mods[m.group(1)] = m.group(2)
    for m in re.finditer(r"^\s*(?:replace\s+)?(\S+)(?:\s+v\S+)?\s+=>\s+(\S+)\s+(v\S+)", go_mod, re.M):
        mods[m.group(1)] = m.group(3)  # what is really linked is the replacement
    return mods


class Builder:
    def __init__(
        self,
        grid: Grid,
        toolchains: dict[str, Toolchain],
        cache_dir: Path,
        force: bool = False,
        on_step: Callable[[str], None] | None = None,
    ) -> None:
        self.grid = grid
        self.toolchains = toolchains
        self.cache = cache_dir
        self.force = force
        self.on_step = on_step or (lambda _step: None)
        self.go_builds = 0  # `go build` processes started by this run
        self.built: set[str] = set()  # artifact keys this run built
        self._memo: dict[str, Artifact] = {}
        self._rebuilt: set[str] = set()

    # ------------------------------------------------------------------ builds
    def host(self, spec: HostSpec) -> Artifact:
        tc = self.toolchains[spec.toolchain]
        if not tc.available:
            return _skipped("host", tc)
        _, _, problem = buildplan.variant(self.grid, spec.variant, spec.platform)
        if problem:
            return Artifact("host", "", "skipped", reason=problem)
        key, plan = buildplan.host_plan(self.grid, tc, spec)
        return self._get(
            key,
            plan,
            tc,
            f"host kustomize {spec.release} ({spec.toolchain}, {spec.variant}, {spec.platform})",
        )

    def plugin(self, spec: PluginSpec) -> Artifact:
        tc = self.toolchains[spec.toolchain]
        if not tc.available:
            return _skipped("plugin", tc)
        _, _, problem = buildplan.variant(self.grid, spec.variant, spec.platform)
        if problem:
            return Artifact("plugin", "", "skipped", reason=problem)
        key, plan = buildplan.plugin_plan(self.grid, tc, spec)
        mech = "" if spec.mechanism == GO_PLUGIN else f" as {spec.mechanism}"
        return self._get(
            key,
            plan,
            tc,
            f"plugin {spec.plugin}{mech} for {spec.release} "
            f"({spec.toolchain}, {spec.pins}, {spec.variant}, {spec.platform})",
        )

    def recipe_plugin(self, spec: PluginSpec, host: Artifact) -> Artifact:
        """A plugin built by the recipe read from the host file (`plugin-matrix recipe`)."""
        if host.status != "ok" or not host.path:
            return Artifact("plugin", "", "skipped", reason="no built host to read a recipe from")
        try:
            r = recipe.derive(Path(host.path))
        except UserError as e:  # e.g. a darwin or windows host: not an ELF file
            return Artifact(
                "plugin", "", "skipped", reason=f"no recipe: {str(e).replace(host.path, '$HOST_BIN')}"
            )
        if r.can_load is False:
            return Artifact(
                "plugin",
                "",
                "skipped",
                reason=f"recipe: this host cannot load Go plugins: {r.why} ({r.link})",
            )
        tc = next((t for t in self.toolchains.values() if go_release(t.version) == r.go_version), None)
        if tc is None:
            return Artifact(
                "plugin",
                "",
                "skipped",
                reason=f"recipe asks for {r.go_version}, which no grid toolchain provides",
            )
        key, plan = buildplan.recipe_plan(self.grid, self.cache, spec, r, tc)
        return self._get(key, plan, tc, f"plugin {spec.plugin} by the recipe of host {r.sha256[:12]}")

    def _get(self, key: str, plan: dict[str, Any], tc: Toolchain, label: str) -> Artifact:
        if key in self._memo:
            return self._memo[key]
        adir = self.cache / "artifacts" / f"{plan['kind']}-{key[:20]}"
        art = None if self.force and key not in self._rebuilt else self._cached(adir)
        if art is None:
            # Runs that share this cache (other data directories) build one key one at a time.
            with _key_lock(self.cache, key):
                art = None if self.force and key not in self._rebuilt else self._cached(adir)
                if art is None:
                    self.on_step(f"building {label}")
                    try:
                        art = self._build(key, plan, tc, adir)
                    except BaseException as e:
                        shutil.rmtree(self._work(key), ignore_errors=True)  # interrupted: leave nothing
                        if isinstance(e, OSError):  # e.g. a full disk: name the step, keep the records
                            where = f"{e.filename}: " if e.filename else ""
                            raise UserError(f"building {label}: {where}{e.strerror or e}") from None
                        raise
                    self._rebuilt.add(key)
        self._memo[key] = art
        return art

    @staticmethod
    def _cached(adir: Path) -> Artifact | None:
        """The cache entry in `adir`, or None when it must be built (again)."""
        meta = adir / "build.json"
        if not meta.is_file():
            return None
        try:
            art = Artifact(**json.loads(meta.read_text()))
        except (ValueError, TypeError):
            return None  # a damaged cache entry is rebuilt, never trusted
        if art.status == "ok" and not (art.path and Path(art.path).is_file()):
            return None
        if art.status == "ok" and not all(f.is_file() for _, f in art.companion_files()):
            return None
        if art.status == "failed" and (TRANSIENT.search(art.output) or UNAVAILABLE.search(art.output)):
            return None  # cached by an older version of this module: ask again
        return art

    def _work(self, key: str) -> Path:
        return self.cache / "work" / key[:20]

    def _build(self, key: str, plan: dict[str, Any], tc: Toolchain, adir: Path) -> Artifact:
        work = self._work(key)
        shutil.rmtree(work, ignore_errors=True)
        work.parent.mkdir(parents=True, exist_ok=True)
        if plan["kind"] == "plugin":
            shutil.copytree(plan["source_dir"], work, ignore=shutil.ignore_patterns(".git", "*.so"))
        else:
            work.mkdir()
        env = tc.env(shared_caches(), plan["env"])
        if plan.get("modcache"):  # another module cache, as a container build has (its own GOPATH)
            gopath = self.cache / "gopaths" / plan["modcache"]
            env.update(GOPATH=str(gopath), GOMODCACHE=str(gopath / "pkg" / "mod"))
        style = plan.get("style", "module")
        source_steps: list[list[str]] = []
        if style in ("source", "source-vendor"):
            # kustomize's own module as the main module, from its source (as distributions
            # build it): downloaded into the module cache, copied here, made writable.
            mod = f"{plan['package']}@{plan['version']}"
            src = Path(env.get("GOMODCACHE") or Path(env.get("GOPATH", "")) / "pkg" / "mod") / _escape(mod)
            source_steps = [
                [tc.go, "mod", "download", mod],
                ["cp", "-R", f"{src}/.", "."],
                ["chmod", "-R", "u+w", "."],
            ]
        else:
            (work / "go.mod").write_text(plan["go_mod"])
        executable = plan["kind"] == "host" or plan.get("mechanism", GO_PLUGIN) != GO_PLUGIN
        out_name = "kustomize" if plan["kind"] == "host" else "plugin" if executable else "plugin.so"
        tmp_out = work / out_name
        steps: list[list[str]] = [*source_steps, *([tc.go, *edit] for edit in plan.get("edits", []))]
        # Commands that make what the Go build links (a C shared library): $CC is the
        # platform's C compiler. Each is shown in the build output before its own output.
        prebuild = [
            [env.get("CC") or "gcc" if a == "$CC" else a for a in argv] for argv in plan.get("prebuild", [])
        ]
        for name in plan.get("companions", []):
            (work / name).parent.mkdir(parents=True, exist_ok=True)
        steps += prebuild
        if plan["kind"] == "host" and style == "install":
            env["GOBIN"] = str(work)  # `go install` writes $GOBIN/kustomize: the artifact
            build = [tc.go, "install", *plan["flags"], f"{plan['package']}@{plan['version']}"]
        elif plan["kind"] == "host" and style in ("source", "source-vendor"):
            if style == "source-vendor":
                steps.append([tc.go, "mod", "vendor"])
            vendor = ["-mod=vendor"] if style == "source-vendor" else ["-mod=mod"]
            build = [tc.go, "build", *vendor, *plan["flags"], "-o", str(tmp_out), "."]
        elif plan["kind"] == "host":
            build = [tc.go, "build", *plan["flags"], "-o", str(tmp_out), plan["package"]]
        else:
            target = ["main.go"] if plan["files"] else ["."]
            mode = [] if executable else ["-buildmode=plugin"]
            build = [tc.go, "build", *mode, *plan["flags"], "-o", str(tmp_out), *target]
            if plan["vendor"]:
                steps += [[tc.go, "mod", "tidy"], [tc.go, "mod", "vendor"]]
                build.insert(2, "-mod=vendor")
        steps.append(build)
        outputs: list[str] = []
        truncated = False
        duration = 0.0
        ok = True
        for argv in steps:
            if argv is build:
                self.go_builds += 1
            r = proc.run(argv, env=env, cwd=work, timeout=BUILD_TIMEOUT_S)
            duration += r.duration_s
            text = r.output
            if r.timed_out:
                text += f"\n[plugin-matrix: killed after {BUILD_TIMEOUT_S:.0f} s]"
            if any(argv is pb for pb in prebuild):
                text = f"$ {' '.join(argv)}\n{text}".strip()
            outputs.append(text.replace(str(work), "$WORK"))
            truncated = truncated or r.truncated
            if r.returncode != 0:
                ok = False
                break
        go_mod = (work / "go.mod").read_text() if (work / "go.mod").is_file() else None
        art = Artifact(
            kind=plan["kind"],
            key=key,
            status="ok" if ok else "failed",
            command=[_display(a, work) for a in steps[-1]] if ok else [_display(a, work) for a in argv],
            env={
                k: v
                for k, v in sorted(env.items())
                if k in ("GOOS", "GOARCH", "CGO_ENABLED", "CC", "GOAMD64", "GOTOOLCHAIN", "GOFLAGS")
            },
            go_mod=go_mod,
            modules=parse_requires(go_mod or ""),
            output=redact_services("\n".join(o for o in outputs if o).strip()),
            truncated=truncated,
            duration_s=round(duration, 3),
        )
        transient = not ok and TRANSIENT.search(art.output)
        refused = not ok and UNAVAILABLE.search(art.output)
        if refused:  # an input this machine cannot have: skipped, with the proxy's answer
            art.status = "skipped"
            art.reason = redact_services(
                f"the module proxy does not serve a module this build needs: {refused.group(0)}"
            )
        if ok:
            adir.mkdir(parents=True, exist_ok=True)
            for name in plan.get("companions", []):
                dest = adir / COMPANIONS / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(work / name, dest)
                art.companions[name] = sha256_file(dest)
            final = adir / out_name
            os.replace(tmp_out, final)
            art.path = str(final)
            art.sha256 = sha256_file(final)
            if plan["kind"] == "host":
                art.modules = linked_modules(tc, env, final) or art.modules
        if not (transient or refused):  # both may change: asked again by a later build
            jsonio.write_atomic(adir / "build.json", jsonio.dumps(asdict(art)))
        shutil.rmtree(work, ignore_errors=True)
        self.built.add(key)
        return art


def _escape(module_at_version: str) -> str:
    """A module path as the module cache spells it (an upper-case letter becomes !lower)."""
    return "".join(f"!{c.lower()}" if c.isupper() else c for c in module_at_version)


def linked_modules(tc: Toolchain, env: dict[str, str], binary: Path) -> dict[str, str]:
    """Module -> version as linked into an executable (`go version -m`)."""
    r = proc.run([tc.go, "version", "-m", str(binary)], env=env, timeout=120)
    mods: dict[str, str] = {}
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 3 and f[0] == "dep":
            mods[f[1]] = f[2]
        elif len(f) >= 4 and f[0] == "=>" and mods:  # a replaced module: keep the replacement
            mods[list(mods)[-1]] = f[2]
    return mods


def _display(arg: str, work: Path) -> str:
    return arg.replace(str(work), "$WORK")


@contextlib.contextmanager
def _key_lock(cache: Path, key: str) -> Iterator[None]:
    locks = cache / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with (locks / f"{key[:20]}.lock").open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _skipped(kind: str, tc: Toolchain) -> Artifact:
    return Artifact(kind, "", "skipped", reason=tc.problem, install=tc.install)


def transient(rec: dict[str, Any]) -> bool:
    """Whether a record's build failure says nothing about its inputs (no network, full disk):
    such a record is kept until the next run, which measures the cell again."""
    if rec.get("outcome") == "harness-error":  # our bug, maybe fixed since: try again
        return True
    if rec.get("outcome") != "build-failed":
        return False
    return any(
        side["build"]["status"] == "failed" and TRANSIENT.search(side["build"]["output"])
        for side in (rec["host"], rec["plugin"])
    )

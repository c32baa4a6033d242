"""What a plugin must match to load into a given host, read from the host file itself.

The equivalent of TensorFlow's `tf.sysconfig.get_compile_flags()` for kustomize Go
plugins: the exact Go release, platform, cgo, the build settings that change package
fingerprints, the source paths baked into an untrimmed build, and every module version
the host links, as a go.mod require block and a `go build -buildmode=plugin` line.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from matrix import UserError
from matrix.diagnose.doctor import DISABLE_TAG, ERRORS_URL
from matrix.diagnose.elf import ElfInfo, go_minor, parse

# Build settings (as `go version -m` names them) that change what a plugin must be.
FLAG_SETTINGS = ("-trimpath", "-race", "-msan", "-asan", "-gcflags", "-asmflags", "-tags")
ENV_SETTINGS = ("GOEXPERIMENT", "GOAMD64", "GOARM64", "GO386", "GOARM", "GOPPC64", "GORISCV64")
# Cross C compilers as Debian names them, for a host of another architecture.
CROSS_CC = {
    "arm64": "aarch64-linux-gnu-gcc",
    "386": "i686-linux-gnu-gcc",
    "arm": "arm-linux-gnueabihf-gcc",
    "ppc64le": "powerpc64le-linux-gnu-gcc",
    "s390x": "s390x-linux-gnu-gcc",
    "riscv64": "riscv64-linux-gnu-gcc",
}
RECIPE_FORMAT = 1

_GOROOT = re.compile(rb"(/[\x21-\x7e]{1,300}?)/src/runtime/proc\.go")
_VENDOR = re.compile(
    rb"(/[\x21-\x7e]{1,300}?)/vendor/(?:golang\.org/x|sigs\.k8s\.io|github\.com|gopkg\.in"
    rb"|go\.yaml\.in|k8s\.io|google\.golang\.org)/"
)
_MODCACHE = re.compile(
    rb"(/[\x21-\x7e]{1,300}?)/(?:golang\.org/x|sigs\.k8s\.io|github\.com|gopkg\.in"
    rb"|go\.yaml\.in|k8s\.io)/[\x21-\x3f\x41-\x7e]{1,200}@v[0-9]"
)


@dataclass
class Recipe:
    host: str
    sha256: str
    can_load: bool | None
    why: str
    blocker: str | None = None  # error class slug when the host cannot load plugins
    go_version: str | None = None
    goos: str | None = None
    goarch: str | None = None
    cgo: str = "1"
    env: dict[str, str] = field(default_factory=dict)  # GOAMD64, GOEXPERIMENT, ...
    flags: list[str] = field(default_factory=list)  # -trimpath, -gcflags=..., -tags=...
    modules: dict[str, str] = field(default_factory=dict)  # path -> version the host links
    replaces: dict[str, str] = field(default_factory=dict)  # path -> "newpath version"
    main_module: str | None = None  # e.g. "sigs.k8s.io/kustomize/kustomize/v5 v5.8.2"
    goroot: str | None = None  # source paths an untrimmed host was built with
    gomodcache: str | None = None
    vendor_dir: str | None = None  # an untrimmed host built with -mod=vendor: its module root
    assumptions: list[str] = field(default_factory=list)
    format: int = RECIPE_FORMAT

    @property
    def link(self) -> str | None:
        return ERRORS_URL.format(slug=self.blocker) if self.blocker else None

    @property
    def trimpath(self) -> bool:
        return "-trimpath" in self.flags

    def toolchain_env(self, local_version: str | None) -> dict[str, str]:
        """GOTOOLCHAIN for the go command on PATH to run exactly the host's Go release."""
        if not self.go_version or self.go_version == local_version:
            return {"GOTOOLCHAIN": "local"}
        if (go_minor(self.go_version) or (0, 0)) >= (1, 21):
            return {"GOTOOLCHAIN": self.go_version}
        return {}  # older than GOTOOLCHAIN: needs that Go installed (see go_command)

    def go_command(self, local_version: str | None) -> str:
        minor = go_minor(self.go_version)
        if self.go_version and self.go_version != local_version and minor and minor < (1, 21):
            return f"/usr/lib/go-{minor[0]}.{minor[1]}/bin/go"  # Debian's golang-1.X layout
        return "go"

    def build_env(self, local_version: str | None, native_goarch: str = "amd64") -> dict[str, str]:
        env = {"CGO_ENABLED": "1", **self.toolchain_env(local_version)}
        if self.goos:
            env["GOOS"] = self.goos
        if self.goarch:
            env["GOARCH"] = self.goarch
            if self.goarch != native_goarch and self.goarch in CROSS_CC:
                env["CC"] = CROSS_CC[self.goarch]
        env.update(self.env)
        if self.gomodcache and not self.trimpath:
            env["GOMODCACHE"] = self.gomodcache
        return env

    def build_argv(self, out: str = "plugin.so", target: str = ".", go: str = "go") -> list[str]:
        return [go, "build", "-buildmode=plugin", *self.flags, "-o", out, target]

    def require_block(self) -> str:
        lines = ["require ("] + [f"\t{m} {v}" for m, v in sorted(self.modules.items())] + [")"]
        lines += [f"replace {m} => {r}" for m, r in sorted(self.replaces.items())]
        return "\n".join(lines) + "\n"

    def command_line(self, local_version: str | None, out: str = "plugin.so") -> str:
        env = self.build_env(local_version)
        go = self.go_command(local_version)
        return " ".join(
            [
                *(f"{k}={shlex.quote(v)}" for k, v in sorted(env.items())),
                *map(shlex.quote, self.build_argv(out, ".", go)),
            ]
        )

    def as_json(self, local_version: str | None = None) -> dict[str, Any]:
        d = asdict(self)
        d["link"] = self.link
        if self.can_load is not False:
            d["go_mod_require"] = self.require_block()
            d["build_env"] = self.build_env(local_version)
            d["build_command"] = self.command_line(local_version)
        return d


def derive(host: Path) -> Recipe:
    info = parse(host)
    if info.is_plugin or info.kind in ("shared-object", "go-shared"):
        raise UserError(f"{host}: is a shared object ({info.kind}); recipe needs the host executable")
    if not info.go:
        raise UserError(f"{host}: not a Go program (no Go build information or symbols)")
    ok, why = info.can_load_plugins()
    r = Recipe(
        host=str(host),
        sha256=info.sha256 or "",  # parse() hashes unless told not to
        can_load=ok,
        why=why,
        go_version=info.go_version,
        goos=_setting(info, "GOOS") or "linux",
        goarch=_setting(info, "GOARCH") or info.goarch,
    )
    if DISABLE_TAG in info.tags:
        r.can_load, r.blocker = False, "go-plugin-support-disabled"
        r.why = f"it was built with -tags {DISABLE_TAG}: kustomize answers `plugin load is disabled`"
    elif ok is False:
        r.blocker = "plugin-not-implemented"
    _read_settings(info, r)
    _read_modules(info, r)
    if not r.trimpath:
        r.goroot, r.gomodcache, r.vendor_dir = _source_paths(host)
        if not r.goroot:
            r.assumptions.append("the host's GOROOT path is not in the file: assumed it does not matter")
    return r


def _setting(info: ElfInfo, key: str) -> str | None:
    return info.buildinfo.settings.get(key) if info.buildinfo else None


def _read_settings(info: ElfInfo, r: Recipe) -> None:
    if info.buildinfo is None or not info.buildinfo.settings:
        r.assumptions.append(
            f"the file records no build settings ({info.go_version or 'unknown Go'}; Go writes them "
            "from 1.18 on): assumed a plain build (no -trimpath, -gcflags, -race or tags)"
        )
        if info.goarch is None:
            r.assumptions.append("GOARCH unknown: assumed amd64")
            r.goarch = "amd64"
        return
    s = info.buildinfo.settings
    for key in FLAG_SETTINGS:
        v = s.get(key)
        if not v or v == "false":
            continue
        r.flags.append(key if v == "true" else f"{key}={v}")
    for key in ENV_SETTINGS:
        if s.get(key):
            r.env[key] = s[key]
    r.cgo = s.get("CGO_ENABLED", "1") or "1"


def _read_modules(info: ElfInfo, r: Recipe) -> None:
    bi = info.buildinfo
    if bi is None:
        r.assumptions.append(
            "no module list in the file: pin sigs.k8s.io/kustomize/api and kyaml "
            "to the host's release by hand"
        )
        return
    if bi.main and bi.main.get("path"):
        r.main_module = f"{bi.main['path']} {bi.main.get('version', '')}".strip()
    for d in bi.deps:
        rep = d.get("replace")
        if rep:
            r.replaces[d["path"]] = rep
        r.modules[d["path"]] = d["version"]


def _source_paths(host: Path) -> tuple[str | None, str | None, str | None]:
    """GOROOT, module cache and vendor tree as written into an untrimmed binary's file table."""
    data = host.read_bytes()
    g = _GOROOT.search(data)
    m = _MODCACHE.search(data)
    goroot = g.group(1).decode() if g else None
    vendor = None
    for v in _VENDOR.finditer(data):  # GOROOT/src/vendor holds the standard library's own
        d = v.group(1).decode(errors="replace")
        if d != f"{goroot}/src" and "@v" not in d:
            vendor = d
            break
    return goroot, (m.group(1).decode() if m else None), vendor


def render_text(r: Recipe, local_version: str | None) -> str:
    out = [f"recipe for a Go plugin that loads into {r.host}", ""]
    if r.can_load is False:
        main = (r.main_module or "sigs.k8s.io/kustomize/kustomize/v5").replace(" ", "@")
        out += [
            f"This host CANNOT load Go plugins: {r.why}.",
            f"What any plugin gets: see {r.link}",
            "To get a host that can: build kustomize from source with CGO_ENABLED=1 and a C "
            "compiler, dynamically linked, without -tags " + DISABLE_TAG + ", e.g.",
            f"  CGO_ENABLED=1 go install {main}",
            "",
        ]
        return "\n".join(out)
    if r.can_load is None:
        out += [f"Whether this host can load Go plugins is not certain: {r.why}.", ""]
    out += [
        f"Go release      {r.go_version}   (exactly this one)",
        f"platform        GOOS={r.goos} GOARCH={r.goarch} "
        + " ".join(f"{k}={v}" for k, v in sorted(r.env.items())),
        f"cgo             CGO_ENABLED={r.cgo}",
        f"flags           {' '.join(r.flags) or '(none: a plain go build)'}",
    ]
    if r.main_module:
        out.append(f"host module     {r.main_module}")
    if not r.trimpath and r.vendor_dir:
        out += [
            "source paths    the host was built with -mod=vendor and without -trimpath, so its package",
            f"                fingerprints hold {r.vendor_dir}/vendor/...: a plugin built elsewhere cannot match",
        ]
    elif not r.trimpath and (r.goroot or r.gomodcache):
        out += [
            "source paths    the host was built without -trimpath, so its package fingerprints",
            f"                hold paths: GOROOT={r.goroot}  GOMODCACHE={r.gomodcache}",
            "                build where these paths are the same (or rebuild both with -trimpath)",
        ]
    out += [
        "",
        "go.mod (every module the host links, at the host's version):",
        "",
        r.require_block(),
        "build:",
        "",
        "  " + r.command_line(local_version, "MyKind.so"),
        "",
    ]
    if r.assumptions:
        out += ["assumed (not readable from the file):"] + [f"  - {a}" for a in r.assumptions] + [""]
    out.append("check before loading:  plugin-matrix doctor HOST MyKind.so")
    return "\n".join(out)

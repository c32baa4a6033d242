"""The skew doctor: predict, from the two files alone, whether a Go plugin loads into a host.

The checks run in the order the real load meets them: the host's own build (the plugin
package compiled out, or the no-cgo stub), then glibc's dlopen (the plugin file itself,
whatever it holds: `dlopen.py`; then its DT_NEEDED libraries and symbol versions), then
the Go runtime (module data of another Go release, then the plugin's package hashes in
the plugin's own order), then the symbol lookup. The first failing check is the
prediction; every check leaves evidence.

`predict(host, plugin)` returns the stable JSON documented in docs/doctor.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix import UserError
from matrix.core import facts
from matrix.diagnose import dlopen
from matrix.diagnose.causes import DISABLE_TAG as DISABLE_TAG
from matrix.diagnose.causes import SETTING_CAUSES, Mismatch, explain, mismatch
from matrix.diagnose.elf import PLUGIN_SYMBOL, ElfInfo, parse, version_defs
from matrix.diagnose.image import FileError
from matrix.diagnose.libraries import env_library_path, expand_origin, find_library, library_dirs

ERRORS_URL = facts.ERRORS_URL + "{slug}/"  # the site address is written once, in matrix.core.facts


@dataclass
class Prediction:
    prediction: str  # loads | fails
    error_class: str | None = None
    package: str | None = None
    message: str | None = None
    evidence: list[str] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)  # every differing package, in order
    causes: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    host: ElfInfo | None = None
    plugin: ElfInfo | None = None

    @property
    def link(self) -> str | None:
        return ERRORS_URL.format(slug=self.error_class) if self.error_class else None

    def as_json(self) -> dict[str, Any]:
        return {
            "prediction": self.prediction,
            "class": self.error_class,
            "package": self.package,
            "message": self.message,
            "evidence": list(self.evidence),
            "link": self.link,
        }


def predict(host: str | Path, plugin: str | Path, symbol: str = PLUGIN_SYMBOL) -> dict[str, Any]:
    """The doctor's stable JSON for loading `plugin` into `host` (see docs/doctor.md).
    Raises UserError (a `FileError` naming the file) when the host cannot be read or is
    not an executable, or when the plugin file does not exist. A plugin file that is not
    ELF, or truncated, is a prediction: glibc's own error, or the crash."""
    return diagnose(host, plugin, symbol).as_json()


def diagnose(host_path: str | Path, plugin_path: str | Path, symbol: str = PLUGIN_SYMBOL) -> Prediction:
    host_path, plugin_path = Path(host_path), Path(plugin_path)
    host = parse(host_path, digest=False)
    _usable_host(host)
    p = Prediction("loads", host=host)
    ev = p.evidence
    ev.append(f"host: {_describe(host)}")
    name = str(plugin_path)
    opened = f'plugin.Open("{name}")'

    # 1. the host's own build: these answers do not depend on the plugin file at all
    if DISABLE_TAG in host.tags and (
        host.imports_plugin is False or (host.imports_plugin is None and _api_at_least(host, (0, 17, 2)))
    ):
        ev.append(f"host was built with -tags {DISABLE_TAG} and does not link Go's plugin package")
        p.fixes.append(f"use a kustomize built without the {DISABLE_TAG} tag")
        _note_plugin(p, plugin_path)
        return _fail(p, "go-plugin-support-disabled", "plugin load is disabled")
    ok, why = host.can_load_plugins()
    if ok is False:
        ev.append(f"host cannot load plugins: {why}")
        _note_plugin(p, plugin_path)
        if host.imports_plugin is False and host.dynamic:
            p.fixes.append("this program does not use Go plugins at all")
            return _fail(p, "unknown", None)
        p.fixes.append(
            "build the host from source with CGO_ENABLED=1 (a C compiler installed), "
            "dynamically linked, without -tags " + DISABLE_TAG
        )
        return _fail(p, "plugin-not-implemented", "plugin: not implemented")

    # 2. glibc's dlopen: the file itself (any file: text, empty, truncated ...), then its libraries
    realpath = str(plugin_path.resolve())
    verdict = dlopen.verify(plugin_path, dlopen.Host.of(host_path))
    if verdict is not None and not verdict.late:
        return _loader_fail(p, verdict, f"{opened}: {realpath}")
    plugin = parse(plugin_path, digest=False)
    p.plugin = plugin
    ev.append(f"plugin: {_describe(plugin)}")
    missing = _missing_library(host, plugin, plugin_path)
    if missing:
        lib, problem = missing
        if problem is None:
            ev.append(
                f"plugin needs {lib} (DT_NEEDED), which the host process has not loaded and "
                "the loader's directories do not hold"
            )
            p.fixes.append(f"install the package that provides {lib}, or build the plugin without it")
            return _fail(
                p,
                "missing-shared-library",
                f"{opened}: {lib}: cannot open shared object file: No such file or directory",
            )
        ev.append(problem)
        p.fixes.append(
            "build the plugin on a system with the same or an older glibc than the "
            "host's, or upgrade glibc where the host runs"
        )
        return _fail(p, "missing-shared-library", f"{opened}: {lib}")
    if verdict is not None:  # truncated: the loader reads past the end once the libraries are in
        return _loader_fail(p, verdict, f"{opened}: {realpath}")

    # 3. the Go runtime
    bare = name[:-3] if len(name) > 3 and name.endswith(".so") else name
    opened = f'plugin.Open("{bare}")'
    if not plugin.go or (not plugin.pkghashes and not plugin.buildinfo):
        ev.append("plugin has no Go module data: no .go.buildinfo, no package hashes in .dynsym")
        p.fixes.append("build the plugin with `go build -buildmode=plugin`")
        return _fail(p, "no-plugin-module-data", "fatal error: runtime: no plugin module data")
    if plugin.kind != "go-plugin":
        ev.append(f"plugin is a Go {plugin.kind}, not built with -buildmode=plugin")
        p.fixes.append("build the plugin with `go build -buildmode=plugin`")
        return _fail(p, "no-plugin-module-data", "fatal error: runtime: no plugin module data")
    hv, pv = host.go_minor, plugin.go_minor
    hprefix, pprefix = host.pkghash_prefix, plugin.pkghash_prefix
    if (hv and pv and hv != pv) or (hprefix and pprefix and hprefix != pprefix):
        ev.append(
            f"plugin was built by {plugin.go_version} (from {plugin.go_version_source}), "
            f"host by {host.go_version} (from {host.go_version_source}): another Go minor "
            "release lays out the runtime's module data differently"
        )
        p.causes.append(f"another Go release: host {host.go_version}, plugin {plugin.go_version}")
        p.fixes.append(f"build the plugin with the host's Go ({host.go_version})")
        return _fail(p, "no-plugin-module-data", "fatal error: runtime: no plugin module data")
    if not host.pkghashes:
        ev.append("host exports no package hashes, so the runtime's check cannot be predicted")
    for pkg in plugin.check_order or sorted(plugin.pkghashes):
        hh, ph = host.pkghashes.get(pkg), plugin.pkghashes.get(pkg)
        if hh is not None and ph is not None and hh != ph:
            p.mismatches.append(mismatch(host, plugin, pkg, hh, ph))
    if p.mismatches:
        first = p.mismatches[0]
        shared = sum(1 for k in plugin.pkghashes if k in host.pkghashes)
        ev.append(
            f"{len(p.mismatches)} of the {shared} packages both link have other fingerprints; "
            f"the runtime checks the plugin's {len(plugin.check_order)} packages in .rela.dyn "
            f"order and stops at the first: {first.package} "
            f"(host {first.host}, plugin {first.plugin})"
        )
        p.package = first.package
        p.causes, p.fixes = explain(host, plugin, p.mismatches)
        return _fail(
            p,
            "package-version-mismatch",
            f"{opened}: plugin was built with a different version of package {first.package}",
        )
    if host.pkghashes:
        ev.append(
            f"all {sum(1 for k in plugin.pkghashes if k in host.pkghashes)} packages both link "
            "have the same fingerprint"
        )

    # 4. the symbol lookup
    if symbol and plugin.pluginpath is not None and symbol not in plugin.exported:
        ev.append(
            f"plugin {plugin.pluginpath} exports {', '.join(plugin.exported) or 'nothing'}, not {symbol}"
        )
        p.fixes.append(f"declare `var {symbol} plugin` (exported, package main) in the plugin")
        # the plugin loaded but lacks what kustomize looks up: not the dynamic loader's
        # unresolved symbol (DESIGN.md, "Boundaries")
        return _fail(
            p, "wrong-plugin-interface", f"plugin: symbol {symbol} not found in plugin {plugin.pluginpath}"
        )
    if symbol and plugin.pluginpath is not None:
        ev.append(f"plugin {plugin.pluginpath} exports {symbol}")
    return p


def _fail(p: Prediction, error_class: str, message: str | None) -> Prediction:
    p.prediction, p.error_class, p.message = "fails", error_class, message
    return p


def _note_plugin(p: Prediction, path: Path) -> None:
    """The plugin's side of the evidence when the host answers without reading it."""
    try:
        p.plugin = parse(path, digest=False)
        p.evidence.append(f"plugin: {_describe(p.plugin)} (not read by the host)")
    except UserError as e:
        p.evidence.append(f"plugin: {e} (not read by the host)")


def _loader_fail(p: Prediction, v: dlopen.Verdict, prefix: str) -> Prediction:
    """glibc refused the file (`plugin.Open("<name>"): <path>: <text>`), or the process
    dies while loading it (the crash's first line)."""
    p.evidence.append(f"plugin: {v.evidence}")
    p.fixes.append(v.fix)
    return _fail(p, v.error_class, v.text if v.crash else f"{prefix}: {v.text}")


def _usable_host(info: ElfInfo) -> None:
    if info.truncated:
        raise FileError(
            info.path,
            f"truncated ELF file ({info.size} bytes): "
            f"{next((x for x in info.problems if 'truncated' in x), 'parts are missing')}",
        )
    if info.type not in ("ET_EXEC", "ET_DYN"):
        raise FileError(info.path, f"an ELF {info.type} file, not an executable host")
    if info.is_plugin or info.kind in ("shared-object", "go-shared"):
        raise FileError(
            info.path,
            f"is a shared object ({info.kind}), not an executable: give the host program first, then the plugin",
        )


def _describe(i: ElfInfo) -> str:
    bits = [i.kind, f"ELFCLASS{i.elf_class} {i.machine}"]
    if i.go_version:
        bits.append(f"{i.go_version} (from {i.go_version_source})")
    if i.kind == "go-executable":
        bits.append("cgo" if i.cgo else "no cgo")
        bits.append("dynamic" if i.dynamic else "static")
        if i.imports_plugin is not None:
            bits.append("links plugin" if i.imports_plugin else "does not link plugin")
    if i.pluginpath:
        bits.append(f"pluginpath {i.pluginpath}")
    if i.pkghashes:
        bits.append(f"{len(i.pkghashes)} package hashes")
    if i.buildinfo:
        flags = [
            f"{k}={v}"
            for k, v in i.buildinfo.settings.items()
            if k in SETTING_CAUSES and v not in ("", "false")
        ]
        if flags:
            bits.append(" ".join(flags))
    elif i.producers:
        bits.append(f"DWARF: {i.producers[0]}")
    return ", ".join(bits)


def _api_at_least(info: ElfInfo, want: tuple[int, int, int]) -> bool:
    for d in info.buildinfo.deps if info.buildinfo else []:
        if d["path"] == "sigs.k8s.io/kustomize/api":
            m = re.match(r"v(\d+)\.(\d+)\.(\d+)", d.get("replace", "").split(" ")[-1] or d["version"])
            m = m or re.match(r"v(\d+)\.(\d+)\.(\d+)", d["version"])
            return m is not None and tuple(int(x) for x in m.groups()) >= want
    return False


def _missing_library(host: ElfInfo, plugin: ElfInfo, plugin_path: Path) -> tuple[str, str | None] | None:
    """The first library (or symbol version) the loader would not find for the plugin."""
    loaded = set(host.needed)
    dirs = (
        expand_origin(plugin.runpath, plugin_path.resolve().parent)
        + env_library_path()
        + library_dirs(plugin.goarch)
    )
    found: dict[str, Path] = {}
    for lib in plugin.needed:
        path = find_library(lib, dirs, plugin_path)
        if path is None and lib not in loaded:
            return lib, None
        if path is not None:
            found[lib] = path
    for lib, versions in plugin.version_needs.items():
        path = found.get(lib)
        if path is None:
            continue
        defs = set(version_defs(path))
        if not defs:
            continue
        for v in versions:
            if v not in defs:
                return (
                    f"{path}: version `{v}' not found (required by {plugin_path.resolve()})",
                    f"plugin needs {v} from {lib}; {path} provides (up to) {_newest(defs, v)}",
                )
    return None


def _newest(defs: set[str], like: str) -> str:
    prefix = like.split("_")[0] + "_"
    vs = [d for d in defs if d.startswith(prefix)]

    def key(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", v))

    return max(vs, key=key) if vs else ", ".join(sorted(defs)[:8])

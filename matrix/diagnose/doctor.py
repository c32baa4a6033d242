"""The skew doctor: predict, from the two files alone, whether a Go plugin loads into a host.

The checks run in the order the real load meets them: the host's own build (the plugin
package compiled out, or the no-cgo stub), then glibc's dlopen (the plugin file itself,
whatever it holds: `dlopen.py`; then its DT_NEEDED libraries, the symbol versions and
the symbols they take from each other: `binding.py`), then
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
from matrix.diagnose import binding, dlopen
from matrix.diagnose.causes import DISABLE_TAG as DISABLE_TAG
from matrix.diagnose.causes import SETTING_CAUSES, Mismatch, explain, mismatch
from matrix.diagnose.elf import PLUGIN_SYMBOL, ElfInfo, parse
from matrix.diagnose.image import FileError

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
    link = binding.Dlopen(host_path, Path(realpath), plugin.goarch or host.goarch)
    try:
        failed = _libraries(p, link, opened)
        if failed is None and verdict is not None:
            # truncated: the loader reads past the end once the libraries are in
            failed = _loader_fail(p, verdict, f"{opened}: {realpath}")
        failed = failed or _symbols(p, link, opened)
    finally:
        link.close()
    if failed is not None:
        return failed

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


def _libraries(p: Prediction, link: binding.Dlopen, opened: str) -> Prediction | None:
    """The plugin's libraries, breadth-first, then the symbol versions they require."""
    missing = link.libraries()
    if missing is not None:
        name = missing.library
        p.evidence.append(
            f"{_who(link, missing.by)} needs {name} (DT_NEEDED), which the host process has not "
            "loaded and the loader's directories do not hold"
        )
        p.fixes.append(f"install the package that provides {name}, or build the plugin without it")
        return _fail(
            p,
            "missing-shared-library",
            f"{opened}: {name}: cannot open shared object file: No such file or directory",
        )
    gap = link.versions()
    if gap is None:
        return None
    lib, v = gap.library, gap.version
    p.evidence.append(
        f"{_who(link, gap.by)} needs {v} from {lib.name}; {lib.path} provides (up to) "
        f"{_newest(set(gap.provides), v)}"
    )
    p.fixes.append(
        "build the plugin on a system with the same or an older glibc than the host's, or "
        "upgrade glibc where the host runs"
        if v.startswith("GLIBC_")
        else f"install the version of {lib.name} the plugin was built against (one that defines "
        f"{v}), or rebuild the plugin against the {lib.name} installed here"
    )
    return _fail(
        p,
        "missing-shared-library",
        f"{opened}: {lib.path}: version `{v}' not found (required by {gap.by.path})",
    )


def _symbols(p: Prediction, link: binding.Dlopen, opened: str) -> Prediction | None:
    """Every symbol the plugin and its new libraries take from other objects (RTLD_NOW:
    all at once), looked up as glibc does."""
    u = link.symbols()
    ev = p.evidence
    if u is None:
        if link.undecided:
            ev.append(
                f"no object this machine can read defines {', '.join(link.undecided[:10])}, which the "
                f"plugin takes from others; whether the process does cannot be told: {link.unreadable[0]}"
            )
        elif link.resolved:
            by = ", ".join(f"{n} from {Path(k).name}" for k, n in link.resolved.items())
            ev.append(
                f"the {sum(link.resolved.values())} symbols the plugin and its libraries take from "
                f"others are defined: {by}"
                + (
                    f" ({', '.join(link.unused)}: defined nowhere, but no relocation names them)"
                    if link.unused
                    else ""
                )
            )
        return None
    names = [Path(k.name).name for k in link.globals], [Path(k.name).name for k in link.local]
    sym = u.symbol + (f" (version {u.version})" if u.version else "")
    ev.append(
        f"{_who(link, u.by)} takes {sym} from another object (an undefined dynamic symbol that "
        f"its relocations name), and no object in the process defines it: not the host and its "
        f"libraries ({', '.join(names[0])}), nor the plugin and its libraries ({', '.join(names[1])})"
    )
    lib = u.expected[0].name if u.expected else "the library that defines it"
    if u.expected:
        ev.append(
            f"{u.symbol} is expected from {', '.join(f'{k.name} ({k.path})' for k in u.expected)}: "
            f"that file does not define it, so it is another version of {lib} than the one "
            "the plugin was built against"
        )
    if u.others:
        ev.append(
            f"also undefined there: {', '.join(u.others[:10])}" + (" ..." if len(u.others) > 10 else "")
        )
    p.fixes.append(
        f"ship the version of {lib} the plugin was built against (one that defines {u.symbol}) "
        f"where the plugin's run path or the loader finds it, or rebuild the plugin against "
        f"the {lib} installed here"
    )
    version = f", version {u.version}" if u.version else ""
    return _fail(p, "symbol-not-found", f"{opened}: {u.by.path}: undefined symbol: {u.symbol}{version}")


def _who(link: binding.Dlopen, loaded: binding.Loaded) -> str:
    return "plugin" if loaded is link.plugin else f"{loaded.path} (loaded for the plugin)"


def _newest(defs: set[str], like: str) -> str:
    prefix = like.split("_")[0] + "_"
    vs = [d for d in defs if d.startswith(prefix)]

    def key(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", v))

    return max(vs, key=key) if vs else ", ".join(sorted(defs)[:8])

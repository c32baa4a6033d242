"""Why two packages' fingerprints differ, read from the two files' build information:
another Go release, another flag, another version of a module, or (when all of those
agree) another source path. Used by the doctor once the runtime's check is predicted to
fail."""

from __future__ import annotations

import re
from typing import NamedTuple

from matrix.diagnose.elf import ElfInfo

DISABLE_TAG = "kustomize_disable_go_plugin_support"

# What changes a package's fingerprint, in the words a person would search for.
SETTING_CAUSES = {
    "-trimpath": "-trimpath (it rewrites the source paths recorded in export data)",
    "-gcflags": "-gcflags (e.g. -N -l for debugging changes the compiled code)",
    "-race": "-race",
    "-msan": "-msan",
    "-asan": "-asan",
    "-tags": "build tags (-tags)",
    "GOEXPERIMENT": "GOEXPERIMENT",
    "GOAMD64": "GOAMD64",
    "GOARM64": "GOARM64",
    "GO386": "GO386",
    "GOARM": "GOARM",
    "CGO_ENABLED": "CGO_ENABLED",
    "-compiler": "the compiler",
}


class Mismatch(NamedTuple):
    package: str
    host: str
    plugin: str
    module: str | None = None
    host_version: str | None = None
    plugin_version: str | None = None


def module_of(info: ElfInfo, pkg: str) -> tuple[str, str] | None:
    """(module path, version as linked) that provides `pkg`, from the build info."""
    bi = info.buildinfo
    if bi is None:
        return None
    best: tuple[str, str] | None = None
    mods = ([bi.main] if bi.main else []) + bi.deps
    for d in mods:
        mp = d["path"]
        if (pkg == mp or pkg.startswith(mp + "/")) and (best is None or len(mp) > len(best[0])):
            best = (mp, d.get("replace") or d["version"])
    return best


def mismatch(host: ElfInfo, plugin: ElfInfo, pkg: str, hh: str, ph: str) -> Mismatch:
    hm, pm = module_of(host, pkg), module_of(plugin, pkg)
    mod = (hm or pm or (None, None))[0]
    return Mismatch(pkg, hh, ph, mod, hm[1] if hm else None, pm[1] if pm else None)


def _is_std(pkg: str) -> bool:
    return "." not in pkg.split("/")[0]


def _flags(info: ElfInfo) -> dict[str, str]:
    if info.buildinfo:
        return dict(info.buildinfo.settings)
    out: dict[str, str] = {}
    for prod in info.producers:  # e.g. "Go cmd/compile go1.19.8; -N -l -shared -dynlink regabi"
        tail = prod.split(";", 1)[1] if ";" in prod else ""
        if "-N" in tail.split() or "-l" in tail.split():
            out["-gcflags"] = "-N -l"
        if "-race" in tail.split():
            out["-race"] = "true"
    return out


def _norm(key: str, value: str) -> str:
    if key == "-gcflags":
        return "-N -l" if "-N" in value or "-l" in value.split() else ""
    return "true" if value == "true" else ""


def explain(host: ElfInfo, plugin: ElfInfo, mm: list[Mismatch]) -> tuple[list[str], list[str]]:
    causes: list[str] = []
    fixes: list[str] = []
    if host.go_version and plugin.go_version and host.go_version.split()[0] != plugin.go_version.split()[0]:
        causes.append(f"another Go release: host {host.go_version}, plugin {plugin.go_version}")
        fixes.append(f"build the plugin with exactly the host's Go ({host.go_version})")
    hf, pf = _flags(host), _flags(plugin)
    known = bool(host.buildinfo) and (bool(plugin.buildinfo) or bool(plugin.producers))
    keys = list(SETTING_CAUSES)
    if not (host.buildinfo and plugin.buildinfo):  # one side read from DWARF: compare what it holds
        keys = ["-gcflags", "-race"]
        hf, pf = ({k: _norm(k, d.get(k, "")) for k in keys} for d in (hf, pf))
    for k in keys:
        label = SETTING_CAUSES[k]
        hv, pv = hf.get(k, ""), pf.get(k, "")
        if k == "-tags":
            hv = ",".join(sorted(t for t in re.split(r"[,\s]+", hv) if t and t != DISABLE_TAG))
            pv = ",".join(sorted(t for t in re.split(r"[,\s]+", pv) if t))
        if known and hv.strip('"') != pv.strip('"') and not (k == "-race" and {hv, pv} <= {"", "false"}):
            causes.append(f"different {label}: host {hv or '(none)'}, plugin {pv or '(none)'}")
            fixes.append(f"build host and plugin with the same {k} ({hv or 'unset'})")
    deps = [
        m
        for m in mm
        if m.module and m.host_version and m.plugin_version and m.host_version != m.plugin_version
    ]
    for m in deps:
        causes.append(
            f"another version of module {m.module}: host {m.host_version}, "
            f"plugin {m.plugin_version} (package {m.package})"
        )
    if deps:
        fixes.append(
            "pin every module the host links to the host's version in the plugin's "
            "go.mod (require the host's kustomize module, or replace directives)"
        )
    if not causes:
        if any(_is_std(m.package) for m in mm):
            causes.append(
                "same Go version and flags, but another GOROOT (Go installed elsewhere) "
                "or another build environment"
            )
        else:
            causes.append(
                "same module versions and flags, but the sources came from another path "
                "(another module cache, GOPATH, a vendor directory, a replace to a local "
                "directory, or edited sources)"
            )
        fixes.append(
            "build host and plugin on the same machine, from the same module cache, with the same flags"
        )
    return causes, fixes

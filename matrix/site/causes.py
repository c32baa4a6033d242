"""What differed between kustomize and the plugin in the cells of an error class: the
cause, read from the cells' inputs (Go releases, build flags, go.mod pins, platforms, the
version of the module that provides a mismatching package), with the cells as evidence.

For `package-version-mismatch` the rows are per package: a package of Go's toolchain
(standard library) mismatches because of the Go release or a build flag that changes its
compiled form; a module's package because of its version, or, at the same version,
because it was compiled from another source path (a vendored tree, GOPATH).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from matrix.site import frames, links, rules
from matrix.site.context import AXIS_TITLES, Context

COLUMNS = [
    "cell",
    "package",
    "package_module",
    "package_host_version",
    "package_plugin_version",
    "host_go",
    "plugin_go",
    "host_toolchain",
    "plugin_toolchain",
    "host_variant",
    "plugin_variant",
    "plugin_pins",
    "host_platform",
    "plugin_platform",
]


def toolchain_package(package: str, module: str) -> bool:
    """A package of Go's own tree (internal/abi, runtime...): no module provides it and its
    first path element has no dot."""
    return not module and "." not in package.split("/", 1)[0]


def _go(r: dict[str, Any], side: str) -> str:
    return str(r[f"{side}_go"] or r[f"{side}_toolchain"])


def _flags(ctx: Context, variant: str) -> str:
    return "no extra flags" if variant == "default" else frames.variant_desc(ctx, variant)


def differences(r: dict[str, Any], ctx: Context, pages: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """What differed between the two builds of a cell, one dict per difference: `what`
    (the kind: go, flags, pins, platform), `text`, and `src`/`anchor`: the page about it
    (a build variant's own page when it is in `pages`, the variants with a page, else
    the axis page)."""
    out: list[dict[str, Any]] = []
    hgo, pgo = _go(r, "host"), _go(r, "plugin")
    if hgo != pgo:
        out.append(
            {
                "what": "go",
                "text": f"Go release: kustomize {hgo}, plugin {pgo} ({rules.go_relation(hgo, pgo)})",
                "src": links.toolchain_src(str(r["plugin_toolchain"])),
                "anchor": "",
            }
        )
    hv, pv = str(r["host_variant"]), str(r["plugin_variant"])
    if hv != pv:
        if pv == "default":
            text = f"build flag {frames.variant_desc(ctx, hv)} on kustomize only"
            src = links.variant_src(hv) if hv in pages else links.axis_src("host-variant")
        elif hv == "default":
            text = f"build flag {frames.variant_desc(ctx, pv)} on the plugin only"
            src = links.variant_src(pv) if pv in pages else links.axis_src("plugin-variant")
        else:
            text = f"build flags: kustomize {_flags(ctx, hv)}, plugin {_flags(ctx, pv)}"
            src = links.axis_src("matched-variant")
        out.append({"what": "flags", "text": text, "src": src, "anchor": ""})
    pins = str(r["plugin_pins"])
    if pins not in ("host", "recipe"):
        desc = ctx.pins.get(pins, {}).get("description", pins)
        out.append(
            {"what": "pins", "text": f"plugin go.mod: {desc}", "src": links.axis_src("pins"), "anchor": ""}
        )
    hp, pp = str(r["host_platform"]), str(r["plugin_platform"])
    if hp != pp:
        out.append(
            {
                "what": "platform",
                "text": f"platform: kustomize {hp}, plugin {pp}",
                "src": links.axis_src("platform"),
                "anchor": "",
            }
        )
    return out


def _mismatch_cause(r: dict[str, Any], ctx: Context, pages: frozenset[str]) -> dict[str, Any]:
    """Why one cell's package mismatched: the difference that explains it and the fix."""
    pkg, mod = str(r["package"]), str(r["package_module"])
    diffs = differences(r, ctx, pages)
    if toolchain_package(pkg, mod):
        kind = "Go toolchain (standard library)"
        main = next((d for d in diffs if d["what"] == "flags"), None) or next(
            (d for d in diffs if d["what"] == "go"), None
        )
        fix = (
            "build both sides with the same flags, or neither"
            if main is not None and main["what"] == "flags"
            else "build both sides with the same Go release"
        )
    else:
        kind = f"module {mod}" if mod else "module"
        hv, pv = str(r["package_host_version"]), str(r["package_plugin_version"])
        pins = next((d for d in diffs if d["what"] == "pins"), None)
        flags = next((d for d in diffs if d["what"] == "flags"), None)
        if hv and pv and hv != pv:
            text = f"module version: kustomize {hv}, plugin {pv}"
            fix = f"require {mod} {hv} in the plugin's go.mod (kustomize's version)"
        elif hv and hv == pv and flags is not None:
            text = f"{flags['text']} (the module is at {hv} on both sides)"
            fix = "build both sides with the same flags, or neither"
        elif hv and hv == pv:
            text = f"same version {hv} on both sides, compiled from another source path"
            fix = "build the plugin in module mode from the module cache, as kustomize is (no vendor/ tree, no GOPATH)"
        else:
            text = "the module's version or source differs"
            fix = "pin every module shared with kustomize to kustomize's version"
        if flags is not None and hv and hv == pv:
            main = {**flags, "text": text}
        else:
            src = pins["src"] if pins else links.axis_src("pins")
            main = {
                "what": "pins",
                "text": text + (f" ({pins['text']})" if pins else ""),
                "src": src,
                "anchor": "",
            }
    if main is None:
        main = (
            diffs[0]
            if diffs
            else {"what": "", "text": "no input of the two builds differed", "src": "", "anchor": ""}
        )
    return {"kind": kind, "cause": main, "fix": fix}


def mismatch_rows(d: pd.DataFrame, ctx: Context, pages: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Per package and cause, for the cells `d` of package-version-mismatch: the package,
    its kind, what differed, the fix, the cells, first and last seen (history). `pages`:
    the build variants with a page of their own."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for r in frames.records(d.sort_values(["package", "cell"]), [c for c in COLUMNS if c in d.columns]):
        c = _mismatch_cause(r, ctx, pages)
        key = (str(r["package"]), c["cause"]["text"])
        row = rows.setdefault(
            key,
            {
                "package": key[0],
                "anchor": "pkg-" + links.slug(key[0] or "unknown"),
                "kind": c["kind"],
                "cause": c["cause"],
                "fix": c["fix"],
                "cells": [],
                "seen": ctx.seen("packages", key[0]),
            },
        )
        row["cells"].append(str(r["cell"]))
    out = sorted(
        rows.values(), key=lambda x: (not x["kind"].startswith("Go"), x["package"], x["cause"]["text"])
    )
    first_of: set[str] = set()
    for row in out:  # one anchor per package: its first row
        row["first"] = row["package"] not in first_of
        first_of.add(row["package"])
    return out


def cause_rows(
    d: pd.DataFrame, ctx: Context, pages: frozenset[str] = frozenset(), limit: int = 20
) -> list[dict[str, Any]]:
    """For the cells `d` of any class: what differed between the two builds, grouped (most
    cells first), with the cells."""
    groups: dict[str, dict[str, Any]] = {}
    for r in frames.records(d.sort_values("cell"), [c for c in COLUMNS if c in d.columns]):
        diffs = differences(r, ctx, pages)
        key = "; ".join(x["text"] for x in diffs) or "nothing: both built the same way"
        g = groups.setdefault(key, {"text": key, "diffs": diffs, "cells": []})
        g["cells"].append(str(r["cell"]))
    return sorted(groups.values(), key=lambda g: (-len(g["cells"]), g["text"]))[:limit]


def axis_links(kinds: Iterable[str]) -> list[tuple[str, str]]:
    """(title, page) of the axis pages about the kinds of difference seen."""
    want: list[str] = []
    for k in kinds:
        want += {
            "flags": ["host-variant", "plugin-variant", "matched-variant"],
            "pins": ["pins"],
            "platform": ["platform"],
        }.get(k, [])
    return [(AXIS_TITLES[a], links.axis_src(a)) for a in dict.fromkeys(want)]

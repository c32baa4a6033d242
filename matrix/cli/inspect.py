"""`plugin-matrix inspect FILE`: what an ELF file says about its provenance."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from matrix.diagnose import elf

INSPECT_EPILOG = """\
exit status:
  0  the file was read (damaged parts, if any, are listed under "problems")
  2  bad input: the file is missing, unreadable or not ELF (one line names it)
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Read an executable or a Go plugin: ELF class, machine, "
        "interpreter, needed libraries and glibc versions; Go version "
        "and build settings (.go.buildinfo, else DWARF producers); "
        "pluginpath and exported symbols; the package-hash table and "
        "the runtime's check order; for a host, whether it can load "
        "plugins at all."
    )
    p.epilog = INSPECT_EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    p.add_argument("--hashes", action="store_true", help="list every package hash (the JSON always has them)")


def run(args: argparse.Namespace) -> int:
    info = elf.parse(args.file)
    if args.json:
        print(json.dumps(info.as_json(), indent=2))
        return 0
    print(render_inspect(info, args.hashes))
    return 0


def _row(out: list[str], key: str, value: Any) -> None:
    if value in (None, "", [], {}):
        return
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    out.append(f"  {key + ':':<18} {value}")


def render_inspect(i: elf.ElfInfo, hashes: bool = False) -> str:
    out = [f"{i.path}", f"  {'sha256:':<18} {i.sha256}"]
    _row(out, "kind", i.kind)
    _row(
        out,
        "ELF",
        f"ELFCLASS{i.elf_class}, {i.endian}-endian, {i.machine}"
        f"{f' (GOARCH {i.goarch})' if i.goarch else ''}, {i.type}"
        f"{' (PIE)' if i.pie else ''}, {i.osabi}",
    )
    _row(out, "interpreter", i.interpreter or ("none (static)" if i.type == "ET_EXEC" else None))
    _row(out, "needs", i.needed)
    _row(out, "runpath", i.runpath)
    for lib, vs in i.version_needs.items():
        _row(out, f"versions of {lib}", vs)
    if i.go_version:
        _row(out, "Go", f"{i.go_version} (from {i.go_version_source})")
    elif not i.go:
        _row(out, "Go", "no sign of Go")
    if i.buildinfo:
        _row(out, "path", i.buildinfo.path)
        if i.buildinfo.main:
            _row(out, "main module", f"{i.buildinfo.main['path']} {i.buildinfo.main['version']}")
        for k, v in i.buildinfo.settings.items():
            _row(out, f"build {k}", v)
        _row(out, "modules", f"{len(i.buildinfo.deps)} dependencies (--json lists them)")
    for prod in i.producers[:8]:
        _row(out, "DWARF producer", prod)
    if len(i.producers) > 8:
        _row(out, "", f"... {len(i.producers) - 8} more")
    _row(out, "pluginpath", i.pluginpath)
    _row(out, "exported", i.exported)
    if i.kind in ("go-executable", "executable"):
        ok, why = i.can_load_plugins()
        _row(out, "loads plugins", {True: "yes", False: "no", None: "unknown"}[ok] + f": {why}")
    if i.pkghashes:
        _row(out, "package hashes", f"{len(i.pkghashes)} ({i.pkghash_prefix}pkghashbytes.* in .dynsym)")
    if i.check_order:
        _row(
            out,
            "check order",
            f"{len(i.check_order)} packages, first: "
            f"{', '.join(i.check_order[:4])}{', ...' if len(i.check_order) > 4 else ''}",
        )
    if hashes:
        for pkg in i.check_order or sorted(i.pkghashes):
            out.append(f"    {i.pkghashes.get(pkg, '?'):<16}  {pkg}")
    _row(out, "stripped", "yes (no .symtab)" if i.stripped else None)
    if i.truncated:
        _row(out, "truncated", "yes")
    for pr in i.problems:
        _row(out, "problem", pr)
    return "\n".join(out)

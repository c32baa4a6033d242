"""The Go runtime's package check, read from the files: every package's fingerprint
(`go:link.pkghashbytes.<pkg>` in `.dynsym`, 8 bytes), the order in which the runtime
checks a plugin's packages (its `.rela.dyn` relocations against
`go:link.pkghash.<pkg>`, by offset), and a plugin's path and exported symbols.

`-s -w` keeps all of these: they live in `.dynsym`, `.dynstr` and `.rela.dyn`.
"""

from __future__ import annotations

import re
import struct
from typing import NamedTuple

from matrix.diagnose.dynsym import Symbols
from matrix.diagnose.image import Image

PKGHASH_PREFIXES = ("go:link.", "go.link.")  # Go >= 1.20 | Go <= 1.19
PLUGIN_SYMBOL = "KustomizePlugin"
_EXPORTED = re.compile(r"[A-Z][A-Za-z0-9_]*")  # what follows `<pluginpath>.` in an exported name
UNNAMED_MAIN = "command-line-arguments"  # the build info's path for `go build file.go`


class PackageHashes(NamedTuple):
    prefix: str | None  # go:link. | go.link.
    hashes: dict[str, str]  # package -> 16 hex digits
    checked: dict[int, str]  # index of <prefix>pkghash.<pkg> -> pkg

    @classmethod
    def none(cls) -> PackageHashes:
        return cls(None, {}, {})


def package_hashes(syms: Symbols) -> PackageHashes:
    """Every package's fingerprint, and the symbols the runtime's check goes through
    (both kinds of names are looked up in one pass over the symbols)."""
    if not syms.dynstr:
        return PackageHashes.none()
    for prefix in PKGHASH_PREFIXES:
        names = syms.names_starting((prefix + "pkghash").encode())
        if not names:
            continue
        hashes: dict[str, str] = {}
        data, check = prefix + "pkghashbytes.", prefix + "pkghash."
        found = syms.symbols(names)
        bytes_syms = sorted((s for s in found if s[1].startswith(data)), key=lambda s: s[1])
        values = syms.img.read_each([v for _i, _n, v in bytes_syms], 8)
        for (_i, name, _v), b in zip(bytes_syms, values, strict=True):
            if b is None:
                syms.img.problems.append(f"{name}: points outside the file")
                continue
            hashes[name[len(data) :]] = b.hex()
        if hashes:
            return PackageHashes(
                prefix, hashes, {i: n[len(check) :] for i, n, _v in found if n.startswith(check)}
            )
    return PackageHashes.none()


def check_order(syms: Symbols, ph: PackageHashes) -> list[str]:
    """The plugin's packages in the order the runtime compares them with the host's."""
    if not ph.checked:
        return []
    order = [ph.checked[sym] for _off, sym in sorted(syms.relocations(set(ph.checked)))]
    return list(dict.fromkeys(order))


def plugin_path(syms: Symbols, buildinfo_path: str | None) -> str | None:
    """The plugin's path: `go:link.thispluginpath` in `.symtab`, else the one prefix of
    `<path>.KustomizePlugin` in `.dynsym`, else the build info's main package path.
    When the `.dynsym` name and the build info agree (`go build` names a plugin after its
    package, or `plugin/unnamed-<hash>` for files given on the command line), `.symtab`
    is not read: it is the biggest table of a plugin (1.5 MB, and 1.5 MB of names)."""
    suffixes = syms.names_ending(b"." + PLUGIN_SYMBOL.encode())
    one = suffixes[0][: -len(PLUGIN_SYMBOL) - 1] if len(suffixes) == 1 else None
    if one and (
        one == buildinfo_path or (buildinfo_path == UNNAMED_MAIN and one.startswith("plugin/unnamed-"))
    ):
        return one
    path = _thispluginpath(syms) or one
    if path is None and buildinfo_path not in (None, UNNAMED_MAIN):
        path = buildinfo_path
    return path


def exported(syms: Symbols, path: str) -> list[str]:
    """The plugin's exported Go symbols (`<path>.Name`), as `plugin.Lookup` sees them."""
    names = {
        o: n
        for o, n in syms.names_starting(path.encode() + b".").items()
        if _EXPORTED.fullmatch(n, len(path) + 1)
    }
    return sorted({n[len(path) + 1 :] for _i, n, _v in syms.symbols(names)})


def _thispluginpath(syms: Symbols) -> str | None:
    img = syms.img
    for prefix in PKGHASH_PREFIXES:
        value = syms.symtab_value(prefix.encode() + b"thispluginpath")
        if value is not None:
            break
    else:
        return None
    ps = 8 if img.is64 else 4
    pf = img.e + ("Q" if img.is64 else "I")
    hdr = img.read_at(value, 2 * ps)
    if hdr is None:
        return None
    ptr, n = struct.unpack(pf + pf[-1], hdr)
    if ptr == 0:  # filled in at load time: the address is the relocation's addend
        ptr = _relative_addend(img, value) or 0
    b = img.read_at(ptr, n) if 0 < n < 4096 else None
    return b.decode("utf-8", "replace") if b else None


def _relative_addend(img: Image, where: int) -> int | None:
    raw = img.blob(".rela.dyn")
    if raw is None or not img.is64:
        return None
    key = struct.pack(img.e + "Q", where)
    at = raw.find(key)
    while at != -1:
        if at % 24 == 0 and at + 24 <= len(raw):
            return int(struct.unpack_from(img.e + "q", raw, at + 16)[0])
        at = raw.find(key, at + 1)
    return None

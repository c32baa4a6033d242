"""What a Go binary says about its own build: the `.go.buildinfo` blob (Go version,
modules, build settings) and, for plugins older than Go 1.21 that have none, the
compiler's DWARF producer strings.

Both are Go's own formats, which pyelftools does not know. The DWARF producers are found
by a regex over `.debug_info`/`.debug_str` (inflated when compressed), not by walking
the DWARF tree: a Go plugin has hundreds of compile units and only this one string of
each matters.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

from matrix.diagnose.image import Image

BUILDINFO_MAGIC = b"\xff Go buildinf:"
SHF_COMPRESSED = 0x800
MAX_DWARF_BYTES = 512 << 20  # never inflate more than this from one section
MAX_BUILDINFO = 1 << 20


@dataclass
class GoBuildInfo:
    version: str
    path: str | None = None
    main: dict[str, str] | None = None  # {"path", "version", "sum"}
    deps: list[dict[str, str]] = field(default_factory=list)  # {"path","version","sum"?,"replace"?}
    settings: dict[str, str] = field(default_factory=dict)  # -buildmode, -tags, CGO_ENABLED ...


def read_buildinfo(img: Image) -> GoBuildInfo | None:
    """The `.go.buildinfo` blob: Go 1.18+ inline strings, or the older pointer form.
    Without a section of that name (no section table, or renamed) the file is searched
    for the magic, 16-byte aligned."""
    raw = img.blob(".go.buildinfo")
    base = 0
    if raw is None or not raw.startswith(BUILDINFO_MAGIC):
        data = img.src.whole()
        pos = data.find(BUILDINFO_MAGIC)
        while pos != -1 and pos % 16:
            pos = data.find(BUILDINFO_MAGIC, pos + 1)
        if pos == -1:
            return None
        raw, base = data[pos : pos + MAX_BUILDINFO], pos
    if len(raw) < 32:
        img.problems.append(f".go.buildinfo at byte {base}: truncated header")
        return None
    ptrsize, flags = raw[14], raw[15]
    if flags & 2:  # Go 1.18+: the strings follow the header inline
        version, n = _uvarint_str(raw, 32)
        mod, _ = _uvarint_str(raw, n)
    else:  # older: pointers to Go string headers
        if ptrsize not in (4, 8):
            img.problems.append(f".go.buildinfo: bad pointer size {ptrsize}")
            return None
        pf = (">" if flags & 1 else "<") + ("Q" if ptrsize == 8 else "I")
        vp = struct.unpack_from(pf, raw, 16)[0]
        mp = struct.unpack_from(pf, raw, 16 + ptrsize)[0]
        version, mod = gostring(img, vp, pf, ptrsize), gostring(img, mp, pf, ptrsize)
    if not version:
        return None
    bi = GoBuildInfo(version=version)
    if len(mod) >= 33 and mod[-17] == "\n":  # strip the 16-byte sentinels
        mod = mod[16:-16]
    _modinfo(bi, mod)
    return bi


def gostring(img: Image, vaddr: int, pf: str, ptrsize: int) -> str:
    """A Go string whose header (pointer, length) is at `vaddr`."""
    hdr = img.read_at(vaddr, 2 * ptrsize)
    if hdr is None:
        return ""
    ptr, n = struct.unpack(pf + pf[-1], hdr)
    if n > MAX_BUILDINFO:
        return ""
    b = img.read_at(ptr, n)
    return b.decode("utf-8", "replace") if b is not None else ""


def dwarf_producers(img: Image) -> list[str]:
    """Distinct `Go cmd/compile go1.X; flags` producer strings, at most 64."""
    producers: dict[str, None] = {}
    for name in (".debug_info", ".debug_str", ".zdebug_info", ".zdebug_str"):
        raw = _debug_section(img, name)
        if not raw:
            continue
        for m in re.finditer(rb"Go cmd/compile (go[^\x00;]*)((?:;[^\x00]*)?)\x00", raw):
            producers.setdefault(m.group().rstrip(b"\x00").decode("utf-8", "replace"))
    return list(producers)[:64]


def _debug_section(img: Image, name: str) -> bytes | None:
    s = img.sections.get(name)
    raw = img.blob(name)
    if raw is None or s is None:
        return None
    if name.startswith(".zdebug"):
        if raw[:4] != b"ZLIB" or len(raw) < 12:
            return None
        return _inflate(raw[12:], struct.unpack(">Q", raw[4:12])[0])
    if s.flags & SHF_COMPRESSED:
        hsize = 24 if img.is64 else 12
        if len(raw) < hsize:
            return None
        if img.is64:
            ctype, _r, csize = struct.unpack_from(img.e + "IIQ", raw)
        else:
            ctype, csize = struct.unpack_from(img.e + "II", raw)
        if ctype != 1:  # only ELFCOMPRESS_ZLIB (what Go writes)
            img.problems.append(f"{name}: compression type {ctype} not read")
            return None
        return _inflate(raw[hsize:], csize)
    return raw


def _inflate(raw: bytes, size: int) -> bytes:
    import zlib  # only old plugins without build info need it

    d = zlib.decompressobj()
    return d.decompress(raw, min(max(size, 0), MAX_DWARF_BYTES) or MAX_DWARF_BYTES)


def _uvarint_str(buf: bytes, pos: int) -> tuple[str, int]:
    n, shift = 0, 0
    while pos < len(buf) and shift < 64:
        b = buf[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
    if n > len(buf) - pos:
        return "", len(buf)
    return buf[pos : pos + n].decode("utf-8", "replace"), pos + n


def _modinfo(bi: GoBuildInfo, mod: str) -> None:
    last: dict[str, str] | None = None
    for line in mod.splitlines():
        f = line.split("\t")
        if len(f) >= 2 and f[0] == "path":
            bi.path = f[1]
        elif len(f) >= 3 and f[0] in ("mod", "dep"):
            last = {"path": f[1], "version": f[2]}
            if len(f) >= 4 and f[3]:
                last["sum"] = f[3]
            if f[0] == "mod":
                bi.main = last
            else:
                bi.deps.append(last)
        elif len(f) >= 3 and f[0] == "=>" and last is not None:
            last["replace"] = f"{f[1]} {f[2]}".strip()
        elif len(f) >= 2 and f[0] == "build":
            k, _, v = f[1].partition("=")
            bi.settings[k] = v.strip('"') if v.startswith('"') else v

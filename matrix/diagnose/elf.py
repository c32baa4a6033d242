"""Reading what an ELF file says about its provenance: header, loader needs, Go build
information, and the Go runtime's package-hash tables.

pyelftools reads the header, the section and program header tables and the interpreter;
the bulk tables (.dynsym, .rela.dyn, .dynamic, .gnu.version_r/_d) are read here directly
with `struct`, bounded by the file's size, because a 30 MB plugin-capable host exports
tens of thousands of dynamic symbols and only a few hundred of them matter.

Every file is untrusted input. `parse` raises `UserError` (one line naming the file)
when the file cannot be read or is not ELF at all; anything else it cannot make sense of
becomes a line in `ElfInfo.problems`, never an exception.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from elftools.elf.elffile import ELFFile

from matrix import UserError

BUILDINFO_MAGIC = b"\xff Go buildinf:"
PKGHASH_PREFIXES = ("go:link.", "go.link.")  # Go >= 1.20 | Go <= 1.19
PLUGIN_SYMBOL = "KustomizePlugin"

# GOARCH for each e_machine (endianness decides between the ppc64/mips pairs).
GOARCH = {
    "EM_X86_64": "amd64",
    "EM_386": "386",
    "EM_AARCH64": "arm64",
    "EM_ARM": "arm",
    "EM_PPC64": "ppc64",
    "EM_S390": "s390x",
    "EM_RISCV": "riscv64",
    "EM_MIPS": "mips",
    "EM_LOONGARCH": "loong64",
    "EM_PPC": "ppc",
}
GNU_TRIPLET = {
    "amd64": "x86_64-linux-gnu",
    "386": "i386-linux-gnu",
    "arm64": "aarch64-linux-gnu",
    "arm": "arm-linux-gnueabihf",
    "ppc64le": "powerpc64le-linux-gnu",
    "s390x": "s390x-linux-gnu",
    "riscv64": "riscv64-linux-gnu",
}

SHT_NOBITS = "SHT_NOBITS"
SHF_COMPRESSED = 0x800
DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_STRTAB, DT_STRSZ, DT_FLAGS_1 = 1, 15, 29, 5, 10, 0x6FFFFFFB
DF_1_PIE = 0x08000000
MAX_DWARF_BYTES = 512 << 20  # never inflate more than this from one section
MAX_VERSION_ENTRIES = 4096
RACY_NS = 3_000_000_000  # a file younger than this is re-read and re-hashed


@dataclass
class GoBuildInfo:
    version: str
    path: str | None = None
    main: dict[str, str] | None = None  # {"path", "version", "sum"}
    deps: list[dict[str, str]] = field(default_factory=list)  # {"path","version","sum"?,"replace"?}
    settings: dict[str, str] = field(default_factory=dict)  # -buildmode, -tags, CGO_ENABLED ...


@dataclass
class ElfInfo:
    path: str
    sha256: str
    size: int
    elf_class: int  # 32 | 64
    endian: str  # "little" | "big"
    machine: str  # e_machine as pyelftools names it, e.g. EM_X86_64
    goarch: str | None  # the same in Go's words, when known
    type: str  # ET_EXEC | ET_DYN | ...
    osabi: str
    pie: bool = False
    interpreter: str | None = None
    dynamic: bool = False  # has a dynamic section (is linked against shared libraries)
    needed: list[str] = field(default_factory=list)  # DT_NEEDED
    runpath: list[str] = field(default_factory=list)  # DT_RUNPATH, else DT_RPATH
    version_needs: dict[str, list[str]] = field(default_factory=dict)  # file -> GLIBC_2.34 ...
    version_defs: list[str] = field(default_factory=list)  # what a library provides
    go: bool = False  # any sign of Go at all
    go_version: str | None = None
    go_version_source: str | None = None  # buildinfo | dwarf | symbols | pkghash-prefix
    buildinfo: GoBuildInfo | None = None
    producers: list[str] = field(default_factory=list)  # distinct DWARF DW_AT_producer
    stripped: bool = False  # no .symtab
    has_dwarf: bool = False
    pkghash_prefix: str | None = None  # go:link. | go.link.
    pkghashes: dict[str, str] = field(default_factory=dict)  # package -> 16 hex digits
    check_order: list[str] = field(default_factory=list)  # plugin: the runtime's order
    pluginpath: str | None = None
    exported: list[str] = field(default_factory=list)  # plugin: exported Go symbols
    imports_plugin: bool | None = None  # executable: links Go's `plugin` package
    cgo: bool | None = None
    kind: str = "elf"  # go-plugin | go-executable | go-shared | shared-object | executable | elf
    truncated: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def go_minor(self) -> tuple[int, int] | None:
        return go_minor(self.go_version)

    @property
    def is_plugin(self) -> bool:
        return self.kind == "go-plugin"

    def setting(self, key: str) -> str | None:
        return self.buildinfo.settings.get(key) if self.buildinfo else None

    @property
    def tags(self) -> list[str]:
        t = self.setting("-tags")
        return [x for x in re.split(r"[,\s]+", t) if x] if t else []

    def can_load_plugins(self) -> tuple[bool | None, str]:
        """Whether this executable can load Go plugins at all, and why (not)."""
        if self.type not in ("ET_EXEC", "ET_DYN") or self.is_plugin:
            return False, "it is not an executable"
        if not self.dynamic or not self.interpreter:
            return False, (
                "it is statically linked (built with CGO_ENABLED=0 or -static), so "
                "Go's plugin package is the stub that answers `plugin: not implemented`"
            )
        if self.cgo is False:
            return False, "it was built with CGO_ENABLED=0: plugin.Open is `not implemented`"
        if self.imports_plugin is False:
            return False, "it does not link Go's `plugin` package"
        if self.imports_plugin is None:
            return None, "whether it links Go's `plugin` package cannot be told from this file"
        return True, "it is dynamically linked, uses cgo and links Go's `plugin` package"

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        ok, why = self.can_load_plugins() if self.kind in ("go-executable", "executable") else (None, "")
        d["can_load_plugins"] = ok
        d["can_load_plugins_reason"] = why or None
        return d


def go_minor(version: str | None) -> tuple[int, int] | None:
    m = re.match(r"go(\d+)\.(\d+)", version or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


# ---------------------------------------------------------------------- cache
_CACHE: dict[str, ElfInfo] = {}
_SHA_BY_STAT: dict[tuple[str, int, int, int, int], str] = {}


def clear_cache() -> None:
    _CACHE.clear()
    _SHA_BY_STAT.clear()


def parse(path: Path) -> ElfInfo:
    """Everything this module can read from `path`; cached in-process by content hash
    (a file whose size, times and inode are unchanged is not read or hashed again)."""
    key = _stat_key(path)
    sha = _SHA_BY_STAT.get(key) if key else None
    hit = _CACHE.get(sha) if sha else None
    if hit is None:
        data, sha = _read(path)
        hit = _CACHE.get(sha)
        if hit is None:
            hit = _Parser(path, data, sha).run()
            _CACHE[sha] = hit
    if hit.path != str(path):
        hit = ElfInfo(**{**hit.__dict__, "path": str(path)})
    return hit


def _stat_key(path: Path) -> tuple[str, int, int, int, int] | None:
    """What identifies unchanged content without reading it; None for a file changed in
    the last seconds (timestamps are coarse: two quick writes could look the same)."""
    try:
        st = path.stat()
    except (OSError, RuntimeError):
        return None
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < RACY_NS:
        return None
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def _read(path: Path) -> tuple[bytes, str]:
    try:
        key = _stat_key(path)
        data = path.read_bytes()
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not an ELF file") from None
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read: {e.strerror or e}") from None
    sha = hashlib.sha256(data).hexdigest()
    if key is not None and key[1] == len(data):
        _SHA_BY_STAT[key] = sha
    return data, sha


T = TypeVar("T")


@dataclass
class _Sec:
    type: str
    offset: int
    size: int
    flags: int
    link: int


class _Parser:
    def __init__(self, path: Path, data: bytes, sha: str) -> None:
        self.path, self.data, self.sha = path, data, sha
        self.problems: list[str] = []
        self.loads: list[tuple[int, int, int, int]] = []  # vaddr, memsz, offset, filesz
        self.sections: dict[str, _Sec] = {}
        self.dynsym: Any = None  # numpy structured array: name, value
        self.dynstr = b""
        self.le, self.e, self.is64 = True, "<", True

    # -- helpers ---------------------------------------------------------
    def guard(self, what: str, fn: Callable[[], T], default: T) -> T:
        """Run one part of the parse; a damaged part becomes a problem line, not a crash.
        Broad on purpose: the input is untrusted and pyelftools raises many kinds."""
        try:
            return fn()
        except (RecursionError, MemoryError):
            self.problems.append(f"{what}: too damaged to read")
        except Exception as e:
            self.problems.append(f"{what}: unreadable ({type(e).__name__}: {str(e)[:120]})")
        return default

    def blob(self, name: str) -> bytes | None:
        s = self.sections.get(name)
        if s is None or s.type == SHT_NOBITS:
            return None
        off, size = s.offset, s.size
        if off >= len(self.data):
            return None
        return self.data[off : off + size]

    def vaddr_to_offset(self, vaddr: int, size: int) -> int | None:
        for va, _memsz, off, filesz in self.loads:
            if va <= vaddr and vaddr + size <= va + filesz:
                o = off + (vaddr - va)
                return o if o + size <= len(self.data) else None
        return None

    def read_at(self, vaddr: int, size: int) -> bytes | None:
        o = self.vaddr_to_offset(vaddr, size)
        return None if o is None else self.data[o : o + size]

    # -- the parse -------------------------------------------------------
    def run(self) -> ElfInfo:
        if len(self.data) < 4 or self.data[:4] != b"\x7fELF":
            what = "empty" if not self.data else "not an ELF file"
            raise UserError(
                f"{self.path}: {what} ({len(self.data)} bytes"
                + (f", starts with {self.data[:4]!r})" if self.data else ")")
            )
        try:
            elf = ELFFile(io.BytesIO(self.data))
            h = elf.header
            info = ElfInfo(
                path=str(self.path),
                sha256=self.sha,
                size=len(self.data),
                elf_class=int(elf.elfclass),
                endian="little" if elf.little_endian else "big",
                machine=str(h["e_machine"]),
                goarch=None,
                type=str(h["e_type"]),
                osabi=str(h["e_ident"]["EI_OSABI"]),
            )
        except Exception as e:
            raise UserError(
                f"{self.path}: not a readable ELF file: the ELF header is damaged or "
                f"truncated ({type(e).__name__})"
            ) from None
        self.le = elf.little_endian
        self.e = "<" if self.le else ">"
        self.is64 = info.elf_class == 64
        ga = GOARCH.get(info.machine)
        if ga in ("ppc64", "mips") and self.le:
            ga += "le"
        info.goarch = ga
        self.guard("program headers", lambda: self._segments(elf, info), None)
        self.guard("section headers", lambda: self._sections(elf, info), None)
        self.guard("dynamic section", lambda: self._dynamic(info), None)
        self.guard(".gnu.version_r", lambda: self._verneed(info), None)
        self.guard(".gnu.version_d", lambda: self._verdef(info), None)
        self.guard(".dynsym", self._dynsym, None)
        self.guard(".go.buildinfo", lambda: self._buildinfo(info), None)
        self.guard("package hashes", lambda: self._pkghashes(info), None)
        if info.type == "ET_DYN" and info.pkghashes:
            self.guard(".rela.dyn", lambda: self._check_order(info), None)
            self.guard("pluginpath", lambda: self._pluginpath(info), None)
        if info.go_version is None:
            self.guard("DWARF", lambda: self._dwarf(info), None)
        self.guard("Go symbols", lambda: self._go_facts(info), None)
        self._kind(info)
        info.problems = self.problems
        return info

    def _segments(self, elf: ELFFile, info: ElfInfo) -> None:
        # Read directly: pyelftools' get_segment() on PT_DYNAMIC walks every section.
        h = elf.header
        off, entsize, n = int(h["e_phoff"]), int(h["e_phentsize"]), int(h["e_phnum"])
        fmt = self.e + ("IIQQQQQQ" if self.is64 else "IIIIIIII")
        need = struct.calcsize(fmt)
        if not n:
            return
        if entsize < need:
            self.problems.append(f"program header entry size {entsize} is too small")
            return
        if off + n * entsize > len(self.data):
            info.truncated = True
            self.problems.append("program header table runs past the end of the file (truncated)")
            return
        for i in range(min(n, 4096)):
            f = struct.unpack_from(fmt, self.data, off + i * entsize)
            if self.is64:
                t, _fl, p_offset, p_vaddr, _pa, p_filesz, p_memsz, _al = f
            else:
                t, p_offset, p_vaddr, _pa, p_filesz, p_memsz, _fl, _al = f
            if t == 1:  # PT_LOAD
                self.loads.append((p_vaddr, p_memsz, p_offset, p_filesz))
                if p_offset + p_filesz > len(self.data):
                    info.truncated = True
                    self.problems.append(
                        f"loadable segment {i} ends at byte {p_offset + p_filesz}, but the "
                        f"file has {len(self.data)} (truncated)"
                    )
            elif t == 3:  # PT_INTERP
                raw = self.data[p_offset : p_offset + min(p_filesz, 4096)]
                info.interpreter = raw.split(b"\0")[0].decode("utf-8", "replace") or None
            elif t == 2:  # PT_DYNAMIC
                info.dynamic = True

    def _sections(self, elf: ELFFile, info: ElfInfo) -> None:
        # Read directly: pyelftools' get_section() builds objects (a GNU hash table parsed
        # with construct costs a quarter of a second on a kustomize host).
        h = elf.header
        shoff, entsize, n, strndx = (
            int(h["e_shoff"]),
            int(h["e_shentsize"]),
            int(h["e_shnum"]),
            int(h["e_shstrndx"]),
        )
        fmt = self.e + ("IIQQQQIIQQ" if self.is64 else "IIIIIIIIII")
        need = struct.calcsize(fmt)
        if shoff == 0 or entsize < need:
            if shoff:
                self.problems.append(f"section header entry size {entsize} is too small")
            return
        if shoff + need > len(self.data):
            info.truncated = True
            self.problems.append("section header table runs past the end of the file (truncated)")
            return
        first = struct.unpack_from(fmt, self.data, shoff)
        if n == 0:  # more than 0xff00 sections: the count is in section 0
            n = first[5]
        if strndx == 0xFFFF:
            strndx = first[6]
        if shoff + n * entsize > len(self.data):
            info.truncated = True
            self.problems.append("section header table runs past the end of the file (truncated)")
            n = (len(self.data) - shoff) // entsize
        table = [struct.unpack_from(fmt, self.data, shoff + i * entsize) for i in range(min(n, 65536))]
        names = b""
        if 0 < strndx < len(table):
            st = table[strndx]
            names = self.data[st[4] : st[4] + st[5]]
        for i, sh in enumerate(table):
            (name_off, typ, flags, _addr, off, size, link, _info, _align, _ent) = sh
            rec = _Sec(SHT_NOBITS if typ == 8 else str(typ), off, size, flags, link)
            name = _cstr(names, name_off) if name_off < len(names) else ""
            if rec.type != SHT_NOBITS and size and off + size > len(self.data):
                info.truncated = True
                self.problems.append(f"section {name or i} runs past the end of the file (truncated)")
            if name and name not in self.sections:
                self.sections[name] = rec
            self.sections.setdefault(f"#{i}", rec)
        info.stripped = ".symtab" not in self.sections
        info.has_dwarf = ".debug_info" in self.sections or ".zdebug_info" in self.sections

    def _dynamic(self, info: ElfInfo) -> None:
        raw = self.blob(".dynamic")
        if raw is None:
            return
        info.dynamic = True
        fmt = self.e + ("qQ" if self.is64 else "iI")
        step = struct.calcsize(fmt)
        tags: list[tuple[int, int]] = []
        for off in range(0, len(raw) - step + 1, step):
            tag, val = struct.unpack_from(fmt, raw, off)
            if tag == 0:
                break
            tags.append((tag, val))
        strtab = self.blob(".dynstr") or b""
        rpath: list[str] = []
        runpath: list[str] = []
        for tag, val in tags:
            if tag in (DT_NEEDED, DT_RPATH, DT_RUNPATH) and val < len(strtab):
                s = _cstr(strtab, val)
                if tag == DT_NEEDED:
                    info.needed.append(s)
                elif tag == DT_RUNPATH:
                    runpath += [p for p in s.split(":") if p]
                else:
                    rpath += [p for p in s.split(":") if p]
            elif tag == DT_FLAGS_1 and val & DF_1_PIE:
                info.pie = True
        info.runpath = runpath or rpath

    def _verneed(self, info: ElfInfo) -> None:
        raw = self.blob(".gnu.version_r")
        if raw is None:
            return
        strtab = self._linked_strtab(".gnu.version_r")
        off, seen = 0, 0
        while 0 <= off <= len(raw) - 16 and seen < MAX_VERSION_ENTRIES:
            _ver, cnt, file_, aux, nxt = struct.unpack_from(self.e + "HHIII", raw, off)
            fname = _cstr(strtab, file_)
            names = info.version_needs.setdefault(fname, [])
            a = off + aux
            for _ in range(min(cnt, MAX_VERSION_ENTRIES)):
                if not 0 <= a <= len(raw) - 16:
                    break
                _h, _fl, _o, name, anext = struct.unpack_from(self.e + "IHHII", raw, a)
                names.append(_cstr(strtab, name))
                seen += 1
                if anext == 0:
                    break
                a += anext
            if nxt == 0:
                break
            off += nxt
            seen += 1

    def _verdef(self, info: ElfInfo) -> None:
        raw = self.blob(".gnu.version_d")
        if raw is None:
            return
        strtab = self._linked_strtab(".gnu.version_d")
        off, seen = 0, 0
        while 0 <= off <= len(raw) - 20 and seen < MAX_VERSION_ENTRIES:
            _v, flags, _ndx, cnt, _hash, aux, nxt = struct.unpack_from(self.e + "HHHHIII", raw, off)
            a = off + aux
            if cnt and 0 <= a <= len(raw) - 8 and not flags & 1:  # VER_FLG_BASE names the file
                name, _n = struct.unpack_from(self.e + "II", raw, a)
                info.version_defs.append(_cstr(strtab, name))
            seen += 1
            if nxt == 0:
                break
            off += nxt

    def _linked_strtab(self, name: str) -> bytes:
        link = self.sections[name].link
        s = self.sections.get(f"#{link}")
        if s is None:
            return self.blob(".dynstr") or b""
        return self.data[s.offset : s.offset + s.size]

    def _dynsym(self) -> None:
        raw = self.blob(".dynsym")
        if raw is None:
            return
        self.dynstr = self._linked_strtab(".dynsym")
        e = self.e
        if self.is64:
            dt = np.dtype([("name", e + "u4"), ("x", "V4"), ("value", e + "u8"), ("size", e + "u8")])
        else:
            dt = np.dtype([("name", e + "u4"), ("value", e + "u4"), ("x", "V8")])
        n = len(raw) // dt.itemsize
        self.dynsym = np.frombuffer(raw, dtype=dt, count=n)

    def _find_names(self, pattern: bytes) -> dict[int, str]:
        """Offsets into .dynstr of the names matching `pattern` (a regex of one name)."""
        out: dict[int, str] = {}
        for m in re.finditer(rb"\x00(" + pattern + rb")(?=\x00)", self.dynstr):
            out[m.start(1)] = m.group(1).decode("utf-8", "replace")
        return out

    def _symbols(self, pattern: bytes) -> list[tuple[int, str, int]]:
        """(index, name, value) of the dynamic symbols whose name matches `pattern`."""
        names = self._find_names(pattern)
        if not names or self.dynsym is None:
            return []
        idx = np.flatnonzero(np.isin(self.dynsym["name"], np.fromiter(names, dtype=np.uint64)))
        return [(int(i), names[int(self.dynsym["name"][i])], int(self.dynsym["value"][i])) for i in idx]

    def _buildinfo(self, info: ElfInfo) -> None:
        raw = self.blob(".go.buildinfo")
        base = 0
        if raw is None or not raw.startswith(BUILDINFO_MAGIC):
            # No section table (or a renamed section): search the file, 16-byte aligned.
            pos = self.data.find(BUILDINFO_MAGIC)
            while pos != -1 and pos % 16:
                pos = self.data.find(BUILDINFO_MAGIC, pos + 1)
            if pos == -1:
                return
            raw, base = self.data[pos : pos + (1 << 20)], pos
        if len(raw) < 32:
            self.problems.append(f".go.buildinfo at byte {base}: truncated header")
            return
        ptrsize, flags = raw[14], raw[15]
        if flags & 2:  # Go 1.18+: the strings follow the header inline
            version, n = _uvarint_str(raw, 32)
            mod, _ = _uvarint_str(raw, n)
        else:  # older: pointers to Go string headers
            if ptrsize not in (4, 8):
                self.problems.append(f".go.buildinfo: bad pointer size {ptrsize}")
                return
            e = ">" if flags & 1 else "<"
            pf = e + ("Q" if ptrsize == 8 else "I")
            vp = struct.unpack_from(pf, raw, 16)[0]
            mp = struct.unpack_from(pf, raw, 16 + ptrsize)[0]
            version, mod = self._gostring(vp, pf, ptrsize), self._gostring(mp, pf, ptrsize)
        if not version:
            return
        bi = GoBuildInfo(version=version)
        if len(mod) >= 33 and mod[-17] == "\n":
            mod = mod[16:-16]
        _modinfo(bi, mod)
        info.buildinfo = bi
        info.go = True
        info.go_version, info.go_version_source = version, "buildinfo"

    def _gostring(self, vaddr: int, pf: str, ptrsize: int) -> str:
        hdr = self.read_at(vaddr, 2 * ptrsize)
        if hdr is None:
            return ""
        ptr, n = struct.unpack(pf + pf[-1], hdr)
        if n > 1 << 20:
            return ""
        b = self.read_at(ptr, n)
        return b.decode("utf-8", "replace") if b is not None else ""

    def _pkghashes(self, info: ElfInfo) -> None:
        if self.dynsym is None or not len(self.dynsym):
            return
        for prefix in PKGHASH_PREFIXES:
            p = re.escape(prefix.encode()) + rb"pkghashbytes\.[^\x00]+"
            syms = self._symbols(p)
            if not syms:
                continue
            cut = len(prefix) + len("pkghashbytes.")
            for _i, name, value in sorted(syms, key=lambda s: s[1]):
                b = self.read_at(value, 8)
                if b is None:
                    self.problems.append(f"{name}: points outside the file")
                    continue
                info.pkghashes[name[cut:]] = b.hex()
            info.pkghash_prefix = prefix
            info.go = True
            return

    def _check_order(self, info: ElfInfo) -> None:
        prefix = info.pkghash_prefix or PKGHASH_PREFIXES[0]
        wanted = {
            i: name for i, name, _v in self._symbols(re.escape(prefix.encode()) + rb"pkghash\.[^\x00]+")
        }
        if not wanted:
            return
        found: list[tuple[int, str]] = []
        for sec, rela in ((".rela.dyn", True), (".rel.dyn", False)):
            raw = self.blob(sec)
            if raw is None:
                continue
            if self.is64:
                fmt = self.e + ("QQq" if rela else "QQ")
                shift = 32
            else:
                fmt = self.e + ("IIi" if rela else "II")
                shift = 8
            step = struct.calcsize(fmt)
            width = "u8" if self.is64 else "u4"
            cols = [("off", self.e + width), ("info", self.e + width)] + (
                [("addend", self.e + width)] if rela else []
            )
            ents = np.frombuffer(raw, dtype=np.dtype(cols), count=len(raw) // step)
            syms = ents["info"] >> np.uint64(shift) if self.is64 else ents["info"] >> np.uint32(shift)
            hit = np.flatnonzero(np.isin(syms, np.fromiter(wanted, dtype=np.uint64)))
            for i in hit:
                name = wanted[int(syms[i])]
                found.append((int(ents["off"][i]), name[len(prefix) + len("pkghash.") :]))
        info.check_order = [pkg for _off, pkg in sorted(found)]

    def _pluginpath(self, info: ElfInfo) -> None:
        suffixes = self._names_ending(b"." + PLUGIN_SYMBOL.encode())
        path = self._thispluginpath()
        if path is None and len(suffixes) == 1:
            path = suffixes[0][: -len(PLUGIN_SYMBOL) - 1]
        if path is None and info.buildinfo and info.buildinfo.path not in (None, "command-line-arguments"):
            path = info.buildinfo.path
        info.pluginpath = path
        if path:
            pat = re.escape(path.encode()) + rb"\.[A-Z][A-Za-z0-9_]*"
            info.exported = sorted({n[len(path) + 1 :] for _i, n, _v in self._symbols(pat)})

    def _names_ending(self, suffix: bytes) -> list[str]:
        """Dynamic symbol names that end with `suffix` (found without a backtracking regex)."""
        out: list[str] = []
        pos = self.dynstr.find(suffix + b"\x00")
        while pos != -1 and len(out) < 64:
            start = self.dynstr.rfind(b"\x00", 0, pos) + 1
            if start > 0 and self._symbols(re.escape(self.dynstr[start : pos + len(suffix)])):
                out.append(self.dynstr[start : pos + len(suffix)].decode("utf-8", "replace"))
            pos = self.dynstr.find(suffix + b"\x00", pos + 1)
        return out

    def _thispluginpath(self) -> str | None:
        """The plugin's `go:link.thispluginpath` string, from .symtab (gone with -s)."""
        sym, strs = self.blob(".symtab"), self.blob(".strtab")
        if not sym or not strs:
            return None
        for prefix in PKGHASH_PREFIXES:
            pos = strs.find(b"\x00" + prefix.encode() + b"thispluginpath\x00")
            if pos != -1:
                break
        else:
            return None
        fmt, step = (self.e + "I4xQ8x", 24) if self.is64 else (self.e + "II8x", 16)
        for st_name, value in struct.iter_unpack(fmt, sym[: len(sym) // step * step]):
            if st_name == pos + 1:
                ps = 8 if self.is64 else 4
                pf = self.e + ("Q" if self.is64 else "I")
                hdr = self.read_at(value, 2 * ps)
                if hdr is None:
                    return None
                ptr, n = struct.unpack(pf + pf[-1], hdr)
                if ptr == 0:
                    ptr = self._relative_addend(value) or 0
                b = self.read_at(ptr, n) if 0 < n < 4096 else None
                return b.decode("utf-8", "replace") if b else None
        return None

    def _relative_addend(self, where: int) -> int | None:
        raw = self.blob(".rela.dyn")
        if raw is None or not self.is64:
            return None
        for off, _info, addend in struct.iter_unpack(self.e + "QQq", raw[: len(raw) // 24 * 24]):
            if off == where:
                return int(addend)
        return None

    def _dwarf(self, info: ElfInfo) -> None:
        producers: dict[str, None] = {}
        for name in (".debug_info", ".debug_str", ".zdebug_info", ".zdebug_str"):
            raw = self._debug_section(name)
            if not raw:
                continue
            for m in re.finditer(rb"Go cmd/compile (go[^\x00;]*)((?:;[^\x00]*)?)\x00", raw):
                producers.setdefault(m.group().rstrip(b"\x00").decode("utf-8", "replace"))
        info.producers = list(producers)[:64]
        if producers:
            info.go = True
            versions = sorted({p.split()[2].rstrip(";") for p in producers})
            info.go_version, info.go_version_source = versions[0], "dwarf"
            if len(versions) > 1:
                self.problems.append(f"DWARF names several Go versions: {', '.join(versions)}")

    def _debug_section(self, name: str) -> bytes | None:
        s = self.sections.get(name)
        raw = self.blob(name)
        if raw is None or s is None:
            return None
        if name.startswith(".zdebug"):
            if raw[:4] != b"ZLIB" or len(raw) < 12:
                return None
            return _inflate(raw[12:], struct.unpack(">Q", raw[4:12])[0])
        if s.flags & SHF_COMPRESSED:
            hsize = 24 if self.is64 else 12
            if len(raw) < hsize:
                return None
            if self.is64:
                ctype, _r, csize = struct.unpack_from(self.e + "IIQ", raw)
            else:
                ctype, csize = struct.unpack_from(self.e + "II", raw)
            if ctype != 1:  # only ELFCOMPRESS_ZLIB (what Go writes)
                self.problems.append(f"{name}: compression type {ctype} not read")
                return None
            return _inflate(raw[hsize:], csize)
        return raw

    def _go_facts(self, info: ElfInfo) -> None:
        names = self.dynstr
        if info.go_version is None:
            m = re.search(
                rb"go1\.\d+(?:\.\d+)?(?:rc\d+|beta\d+)?(?=[^0-9.]|$)",
                self.blob(".rodata") or self.blob(".go.buildinfo") or b"",
            )
            if m:
                info.go_version, info.go_version_source = m.group().decode(), "symbols"
            elif info.pkghash_prefix == "go.link.":
                info.go_version, info.go_version_source = "go1.19-or-older", "pkghash-prefix"
        if info.pkghash_prefix:
            info.imports_plugin = "plugin" in info.pkghashes
            info.cgo = "runtime/cgo" in info.pkghashes
        elif names and (info.go or b"\x00plugin.Open\x00" in names):
            # A Go executable that can use plugins exports every package's hash.
            info.imports_plugin = False
        cgo = info.setting("CGO_ENABLED")
        if cgo is not None:
            info.cgo = cgo == "1"
        if not info.go and (
            b"\x00runtime." in names
            or b"\x00go:buildid" in names
            or ".gopclntab" in self.sections
            or ".note.go.buildid" in self.sections
        ):
            info.go = True
        if info.cgo is None and info.go and not info.dynamic:
            info.cgo = False
        if info.imports_plugin is None and info.go and (self.dynsym is None or not len(self.dynsym)):
            sym, strs = self.blob(".symtab"), self.blob(".strtab")
            if sym and strs:
                info.imports_plugin = b"\x00plugin.Open\x00" in strs

    def _kind(self, info: ElfInfo) -> None:
        mode = info.setting("-buildmode")
        if info.go and (mode == "plugin" or (info.type == "ET_DYN" and info.check_order)):
            info.kind = "go-plugin"
        elif info.go and info.type == "ET_DYN" and mode in ("c-shared", "shared"):
            info.kind = "go-shared"
        elif info.go and (info.type == "ET_EXEC" or info.interpreter or mode in ("exe", "pie")):
            info.kind = "go-executable"
        elif info.go and info.type == "ET_DYN":
            info.kind = "go-plugin" if info.pkghashes else "go-shared"
        elif info.type == "ET_DYN" and not info.interpreter:
            info.kind = "shared-object"
        elif info.type in ("ET_EXEC", "ET_DYN"):
            info.kind = "executable"


def _cstr(buf: bytes, off: int) -> str:
    if not 0 <= off < len(buf):
        return f"<bad string offset {off}>"
    end = buf.find(b"\0", off)
    return buf[off : end if end != -1 else len(buf)].decode("utf-8", "replace")


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


def _inflate(raw: bytes, size: int) -> bytes:
    d = zlib.decompressobj()
    return d.decompress(raw, min(max(size, 0), MAX_DWARF_BYTES) or MAX_DWARF_BYTES)


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


# ---------------------------------------------------------------------- libraries
def library_dirs(goarch: str | None) -> list[str]:
    """Where the dynamic loader of this machine looks for a library of `goarch`
    (ld.so.conf, the multiarch directories, and a cross sysroot for emulated hosts)."""
    dirs: list[str] = []
    trip = GNU_TRIPLET.get(goarch or "")
    if trip:
        cross = "i686-linux-gnu" if goarch == "386" else trip
        dirs += [f"/usr/{cross}/lib", f"/usr/{cross}/lib64"]
    dirs += _ld_so_conf()
    if trip:
        dirs += [f"/lib/{trip}", f"/usr/lib/{trip}"]
    dirs += ["/lib64", "/usr/lib64", "/lib32", "/usr/lib32", "/lib", "/usr/lib", "/usr/local/lib"]
    seen: dict[str, None] = {}
    for d in dirs:
        seen.setdefault(d)
    return list(seen)


_LDCONF: list[str] | None = None


def _ld_so_conf() -> list[str]:
    global _LDCONF
    if _LDCONF is None:
        out: list[str] = []
        _read_ld_conf(Path("/etc/ld.so.conf"), out, 0)
        _LDCONF = out
    return _LDCONF


def _read_ld_conf(p: Path, out: list[str], depth: int) -> None:
    if depth > 8:
        return
    try:
        lines = p.read_text(errors="replace").splitlines()
    except OSError:
        return
    for line in lines:
        line = line.split("#")[0].strip()
        if line.startswith("include "):
            import glob

            for inc in sorted(glob.glob(line.split(None, 1)[1])):
                _read_ld_conf(Path(inc), out, depth + 1)
        elif line.startswith("/"):
            out.append(line)


def elf_ident(path: Path) -> tuple[int, int, int] | None:
    """(class, data encoding, e_machine) of an ELF file, from its first 20 bytes."""
    try:
        with path.open("rb") as f:
            h = f.read(20)
    except OSError:
        return None
    if len(h) < 20 or h[:4] != b"\x7fELF":
        return None
    e = "<" if h[5] == 1 else ">"
    return h[4], h[5], struct.unpack_from(e + "H", h, 18)[0]


def find_library(soname: str, dirs: list[str], like: Path) -> Path | None:
    """The file the loader would pick for `soname`: first in `dirs` of the same ELF class,
    encoding and machine as `like`."""
    want = elf_ident(like)
    if "/" in soname:
        p = Path(soname)
        return p if p.is_file() else None
    for d in dirs:
        p = Path(d) / soname
        if p.is_file() and (want is None or elf_ident(p) == want):
            return p
    return None


def expand_origin(entries: list[str], origin: Path) -> list[str]:
    return [e.replace("$ORIGIN", str(origin)).replace("${ORIGIN}", str(origin)) for e in entries]


def env_library_path() -> list[str]:
    return [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]

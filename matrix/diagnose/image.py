"""One ELF file as the readers of this package see it: its bytes, its segments and
sections, its dynamic table and version tables.

pyelftools reads the ELF header, the dynamic table (`Dynamic`: DT_NEEDED, DT_RUNPATH,
DT_FLAGS_1, DT_SYMTAB ...) and the version tables (`.gnu.version_r`, `.gnu.version_d`).
The rest is read by hand with `struct`, `memoryview` and `array`, because pyelftools costs
more than the doctor's whole budget (measured on a kustomize v5.8.2 host, 30 MB, and its
plugin, 26 MB, with benchmarks/bench_doctor.py's pair):

- program and section header tables: to name one section pyelftools makes an object of
  every section (or segment), parsing the GNU hash table with construct on the way:
  `iter_sections()` 8.8 ms, `iter_segments()` 8.4 ms; here 0.4 ms for both.
- the symbol and relocation tables: see `dynsym.py`.

Without a section table (cut off, or stripped) the tables are found the way the dynamic
loader finds them, through PT_DYNAMIC. The file is read with `pread`, only the parts
asked for; nothing is mapped (a file that shrinks under a mapping kills the process).
"""

from __future__ import annotations

import os
import struct
from itertools import islice
from typing import IO, TYPE_CHECKING, NamedTuple, TypeVar

from matrix import UserError

if TYPE_CHECKING:  # imported when a file is read, not when this module is
    from elftools.elf.dynamic import Dynamic
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerDefSection, GNUVerNeedSection

SHT_NOBITS, SHT_DYNAMIC = 8, 6
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
MAX_TAGS = 4096  # dynamic entries read at most (a real table has a few dozen)
MAX_VERSION_ENTRIES = 4096
MAX_SECTIONS = 65536
MAX_SEGMENTS = 4096
V = TypeVar("V", "GNUVerNeedSection", "GNUVerDefSection")


class FileError(UserError):
    """A file that cannot be used at all; `path` says which input it was."""

    def __init__(self, path: object, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = str(path)


class FileBytes:
    """Random access to a file's bytes, from memory or by `pread` on an open file."""

    def __init__(self, size: int, data: bytes | None = None, f: IO[bytes] | None = None) -> None:
        self.size, self._data, self._f = size, data, f

    def read(self, off: int, n: int) -> bytes:
        """Up to `n` bytes at `off` (fewer at the end of the file, none past it)."""
        if off < 0 or n <= 0 or off >= self.size:
            return b""
        n = min(n, self.size - off)
        if self._data is not None:
            return self._data[off : off + n]
        assert self._f is not None
        parts: list[bytes] = []
        fd = self._f.fileno()
        while n > 0:
            b = os.pread(fd, n, off)
            if not b:  # the file shrank since it was opened
                break
            parts.append(b)
            off, n = off + len(b), n - len(b)
        return b"".join(parts)

    def whole(self) -> bytes:
        """Every byte (read once); for searches over the whole file."""
        if self._data is None:
            self._data = self.read(0, self.size)
        return self._data


class Section(NamedTuple):
    number: int  # its index in the section header table
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    entsize: int

    @property
    def nobits(self) -> bool:
        return self.type == SHT_NOBITS


class Segment(NamedTuple):
    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int


class DynStrings:
    """A string table as pyelftools' `Dynamic` wants it (anything with `get_string`),
    bounded by the table's size."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def get_string(self, offset: int) -> str:
        return cstr(self.data, offset)


class DynamicTags(NamedTuple):
    needed: list[str]
    runpath: list[str]
    rpath: list[str]
    flags_1: int
    ptrs: dict[str, int]  # DT_SYMTAB, DT_STRTAB, DT_STRSZ, DT_RELA ... -> value


class Image:
    """The tables of one ELF file. Every reader is bounded by the file's size; a damaged
    table raises (the caller turns that into a problem line) or reads as empty."""

    def __init__(self, src: FileBytes, elf: ELFFile, problems: list[str]) -> None:
        self.src, self.elf, self.problems = src, elf, problems
        self.is64 = elf.elfclass == 64
        self.le = bool(elf.little_endian)
        self.e = "<" if self.le else ">"
        self.truncated = False
        self.segments: list[Segment] = []
        self.sections: dict[str, Section] = {}
        self.by_index: dict[int, Section] = {}
        self.tags: DynamicTags | None = None
        self._tables: dict[tuple[int, int], bytes] = {}  # (offset, size) -> bytes read

    # -- bytes ------------------------------------------------------------
    def blob(self, name: str) -> bytes | None:
        s = self.sections.get(name)
        if s is None or s.nobits or s.offset >= self.src.size:
            return None
        return self.table(s.offset, s.size)

    def table(self, offset: int, size: int) -> bytes:
        """The bytes of a whole table, read once (.dynstr serves the dynamic table and
        the symbols: 1.7 MB in a kustomize host)."""
        key = (offset, size)
        if key not in self._tables:
            self._tables[key] = self.src.read(offset, size)
        return self._tables[key]

    def vaddr_to_offset(self, vaddr: int, size: int) -> int | None:
        for seg in self.segments:
            if seg.type == PT_LOAD and seg.vaddr <= vaddr and vaddr + size <= seg.vaddr + seg.filesz:
                o = seg.offset + (vaddr - seg.vaddr)
                return o if o + size <= self.src.size else None
        return None

    def read_at(self, vaddr: int, size: int) -> bytes | None:
        o = self.vaddr_to_offset(vaddr, size)
        return None if o is None else self.src.read(o, size)

    # -- header tables (by hand: see the module's docstring) ---------------
    def read_segments(self) -> None:
        h = self.elf.header
        off, entsize, n = int(h["e_phoff"]), int(h["e_phentsize"]), int(h["e_phnum"])
        fmt = self.e + ("IIQQQQQQ" if self.is64 else "IIIIIIII")
        need = struct.calcsize(fmt)
        if not n:
            return
        if entsize < need:
            self.problems.append(f"program header entry size {entsize} is too small")
            return
        raw = self.src.read(off, n * entsize)
        if len(raw) < n * entsize:
            self.truncated = True
            self.problems.append("program header table runs past the end of the file (truncated)")
            return
        for i in range(min(n, MAX_SEGMENTS)):
            f = struct.unpack_from(fmt, raw, i * entsize)
            if self.is64:
                t, flags, offset, vaddr, _pa, filesz, memsz, _al = f
            else:
                t, offset, vaddr, _pa, filesz, memsz, flags, _al = f
            seg = Segment(t, flags, offset, vaddr, filesz, memsz)
            self.segments.append(seg)
            if t == PT_LOAD and offset + filesz > self.src.size:
                self.truncated = True
                self.problems.append(
                    f"loadable segment {i} ends at byte {offset + filesz}, but the file has "
                    f"{self.src.size} (truncated)"
                )

    def interpreter(self) -> str | None:
        for seg in self.segments:
            if seg.type == PT_INTERP:
                raw = self.src.read(seg.offset, min(seg.filesz, 4096))
                return raw.split(b"\0")[0].decode("utf-8", "replace") or None
        return None

    def has_dynamic(self) -> bool:
        return any(s.type == PT_DYNAMIC for s in self.segments) or ".dynamic" in self.sections

    def read_sections(self) -> None:
        h = self.elf.header
        shoff, entsize = int(h["e_shoff"]), int(h["e_shentsize"])
        n, strndx = int(h["e_shnum"]), int(h["e_shstrndx"])
        fmt = self.e + ("IIQQQQIIQQ" if self.is64 else "IIIIIIIIII")
        need = struct.calcsize(fmt)
        if shoff == 0 or entsize < need:
            if shoff:
                self.problems.append(f"section header entry size {entsize} is too small")
            return
        first = self.src.read(shoff, need)
        if len(first) < need:
            self.truncated = True
            self.problems.append("section header table runs past the end of the file (truncated)")
            return
        head = struct.unpack(fmt, first)
        if n == 0:  # more than 0xff00 sections: the count is in section 0
            n = head[5]
        if strndx == 0xFFFF:
            strndx = head[6]
        n = min(n, MAX_SECTIONS)
        raw = self.src.read(shoff, n * entsize)
        if len(raw) < n * entsize:
            self.truncated = True
            self.problems.append("section header table runs past the end of the file (truncated)")
            n = len(raw) // entsize
        table = [struct.unpack_from(fmt, raw, i * entsize) for i in range(n)]
        names = b""
        if 0 < strndx < len(table):
            st = table[strndx]
            names = self.src.read(st[4], min(st[5], 1 << 20))
        for i, sh in enumerate(table):
            (name_off, typ, flags, addr, off, size, link, _info, _align, ent) = sh
            name = cstr(names, name_off) if name_off < len(names) else ""
            sec = Section(i, name, typ, flags, addr, off, size, link, ent)
            if not sec.nobits and size and off + size > self.src.size:
                self.truncated = True
                self.problems.append(f"section {name or i} runs past the end of the file (truncated)")
            if name and name not in self.sections:
                self.sections[name] = sec
            self.by_index[i] = sec

    def linked_strings(self, name: str) -> bytes:
        s = self.sections.get(name)
        linked = self.by_index.get(s.link) if s else None
        if linked is None or linked.nobits:
            return self.blob(".dynstr") or b""
        return self.table(linked.offset, linked.size)

    # -- small tables (pyelftools) ----------------------------------------
    def read_dynamic(self) -> DynamicTags | None:
        """The dynamic table, through pyelftools' `Dynamic`: the `.dynamic` section, else
        the PT_DYNAMIC segment (what the loader reads)."""
        from elftools.elf.dynamic import Dynamic

        sec = self.sections.get(".dynamic")
        seg = next((s for s in self.segments if s.type == PT_DYNAMIC), None)
        if sec is not None and sec.type == SHT_DYNAMIC:
            pos, size, strings = sec.offset, sec.size, DynStrings(self.linked_strings(".dynamic"))
        elif seg is not None:
            pos, size, strings = seg.offset, seg.filesz, DynStrings(b"")
        else:
            return None
        step = 16 if self.is64 else 8
        limit = min(size // step, MAX_TAGS)
        entries = self._tags(Dynamic(self.elf.stream, self.elf, strings, pos, size == 0), limit)
        if not strings.data:  # no section table: the strings are where DT_STRTAB points
            strtab, strsz = entries.get("DT_STRTAB", [0])[0], entries.get("DT_STRSZ", [0])[0]
            o = self.vaddr_to_offset(strtab, 1) if strtab else None
            if o is not None:
                strings.data = self.src.read(o, min(strsz or (1 << 20), 64 << 20))
        paths = {
            key: [p for val in entries.get(key, []) for p in strings.get_string(val).split(":") if p]
            for key in ("DT_RUNPATH", "DT_RPATH")
        }
        tags = DynamicTags(
            needed=[strings.get_string(val) for val in entries.get("DT_NEEDED", [])],
            runpath=paths["DT_RUNPATH"],
            rpath=paths["DT_RPATH"],
            flags_1=entries.get("DT_FLAGS_1", [0])[0],
            ptrs={k: v[0] for k, v in entries.items()},
        )
        self.tags = tags
        return tags

    @staticmethod
    def _tags(dyn: Dynamic, limit: int) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for tag in islice(dyn.iter_tags(), limit):
            name = tag.entry.d_tag
            if name == "DT_NULL":
                break
            out.setdefault(str(name), []).append(int(tag.entry.d_val))
        return out

    def version_needs(self) -> dict[str, list[str]]:
        """File -> version names it needs (`.gnu.version_r`, pyelftools)."""
        out: dict[str, list[str]] = {}
        from elftools.elf.gnuversions import GNUVerNeedSection

        sec = self._version_section(".gnu.version_r", GNUVerNeedSection)
        if sec is None:
            return out
        for version, aux in islice(sec.iter_versions(), MAX_VERSION_ENTRIES):
            names = out.setdefault(version.name or "", [])
            names += [a.name for a in islice(aux, MAX_VERSION_ENTRIES)]
            if version.entry["vn_next"] == 0:
                break
        return out

    def version_defs(self) -> list[str]:
        """Version names a library defines (`.gnu.version_d`, pyelftools), without the
        entry that names the file itself (VER_FLG_BASE)."""
        out: list[str] = []
        from elftools.elf.gnuversions import GNUVerDefSection

        sec = self._version_section(".gnu.version_d", GNUVerDefSection)
        if sec is None:
            return out
        for version, aux in islice(sec.iter_versions(), MAX_VERSION_ENTRIES):
            first = next(aux, None)
            if first is not None and not version.entry["vd_flags"] & 1:
                out.append(first.name)
            if version.entry["vd_next"] == 0:
                break
        return out

    def _version_section(self, name: str, kind: type[V]) -> V | None:
        s = self.sections.get(name)
        if s is None or s.nobits:
            return None
        sec = self.elf.get_section(s.number)
        if not isinstance(sec, kind):
            self.problems.append(f"{name}: section type {s.type} is not {kind.__name__}")
            return None
        return sec

    def read_each(self, vaddrs: list[int], size: int) -> list[bytes | None]:
        """`size` bytes at each address: one read per segment when they lie close
        together (a host's ~400 package hashes: 0.3 ms instead of 6 ms of preads)."""
        offs = [self.vaddr_to_offset(v, size) for v in vaddrs]
        known = [o for o in offs if o is not None]
        if not known:
            return [None] * len(offs)
        lo, hi = min(known), max(known) + size
        if hi - lo > 64 << 20:
            return [None if o is None else self.src.read(o, size) for o in offs]
        window = self.src.read(lo, hi - lo)
        return [None if o is None else window[o - lo : o - lo + size] for o in offs]


def cstr(buf: bytes, off: int) -> str:
    if not 0 <= off < len(buf):
        return f"<bad string offset {off}>"
    end = buf.find(b"\0", off)
    return buf[off : end if end != -1 else len(buf)].decode("utf-8", "replace")

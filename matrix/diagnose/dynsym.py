"""An ELF file's dynamic symbols and relocations, read by hand: a kustomize host has
54,853 dynamic symbols, a plugin 64,531 relocations, and the doctor needs a few hundred
of each. pyelftools' `iter_symbols()` takes 23-38 us a symbol (1.3-2.1 s for the host)
and `iter_relocations()` 6.7 us a relocation (0.43 s for the plugin). Here the columns
are read with one `memoryview.cast` and matched in one pass in C: 3-5 ms for the
package hashes, 4-6 ms for the relocations.

numpy did these passes before; it would save a few milliseconds of them, but importing
it costs a fresh `doctor` process ~48 ms (`python -X importtime`), so it is not used.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Iterator
from itertools import compress

from matrix.diagnose.image import Image


class Symbols:
    """The dynamic symbol table of `img` (`.dynsym`, else through DT_SYMTAB), its names,
    and the dynamic relocations; every table is read once."""

    def __init__(self, img: Image) -> None:
        self.img = img
        self._dynsym: tuple[bytes, bytes] | None = None
        self._st_names: list[int] | None = None
        self._prefixed: dict[bytes, dict[int, str]] = {}  # names_starting()

    def dynsym(self) -> tuple[bytes, bytes]:
        """(.dynsym bytes, its string table); through DT_SYMTAB and DT_STRTAB when there
        is no section table."""
        if self._dynsym is None:
            raw = self.img.blob(".dynsym")
            strs = self.img.linked_strings(".dynsym") if raw is not None else b""
            if raw is None and self.img.tags is not None and not self.img.sections:
                raw, strs = self._dynsym_from_tags(self.img.tags.ptrs)
            self._dynsym = (raw or b"", strs)
        return self._dynsym

    def _dynsym_from_tags(self, ptrs: dict[str, int]) -> tuple[bytes, bytes]:
        sym, strtab, strsz = ptrs.get("DT_SYMTAB", 0), ptrs.get("DT_STRTAB", 0), ptrs.get("DT_STRSZ", 0)
        so, to = self.img.vaddr_to_offset(sym, 1), self.img.vaddr_to_offset(strtab, 1)
        if not sym or so is None or to is None:
            return b"", b""
        # The symbol count is not in the table; .dynstr follows .dynsym in what linkers write.
        end = to if to > so else min(so + (64 << 20), self.img.src.size)
        return self.img.src.read(so, end - so), self.img.src.read(to, strsz)

    @property
    def dynstr(self) -> bytes:
        return self.dynsym()[1]

    def _entsize(self) -> int:
        return 24 if self.img.is64 else 16

    def _name_column(self) -> list[int]:
        """st_name of every dynamic symbol, in order (read once)."""
        if self._st_names is None:
            raw = self.dynsym()[0]
            step = self._entsize()
            n = len(raw) // step
            self._st_names = _column(raw[: n * step], 4, self.img.le, 0, step // 4)
        return self._st_names

    def _indices(self, offsets: set[int]) -> dict[int, int]:
        """Name offset -> index of the first dynamic symbol with that name. One pass
        in C (`compress`) per question: a dict of all ~55,000 names costs 3.2 ms to
        build, a pass 1.5 ms, and a file is asked one to three questions."""
        col = self._name_column()
        out: dict[int, int] = {}
        for i in compress(range(len(col)), map(offsets.__contains__, col)):
            out.setdefault(col[i], i)
        return out

    def names_starting(self, prefix: bytes) -> dict[int, str]:
        """Offset -> name of the dynamic names that start with `prefix`. A `find` loop:
        the fast substring search skips the 1.4-1.7 MB of names (a regex takes 3-4 ms)."""
        if prefix in self._prefixed:
            return self._prefixed[prefix]
        strs, out = self.dynstr, dict[int, str]()
        self._prefixed[prefix] = out
        pos = strs.find(b"\x00" + prefix)
        while pos != -1:
            end = strs.find(b"\x00", pos + 1)
            end = len(strs) if end == -1 else end
            out[pos + 1] = strs[pos + 1 : end].decode("utf-8", "replace")
            pos = strs.find(b"\x00" + prefix, end)
        return out

    def symbols(self, names: dict[int, str]) -> list[tuple[int, str, int]]:
        """(index, name, value) of the dynamic symbols with these names (offset -> name)."""
        if not names:
            return []
        raw = self.dynsym()[0]
        voff, vfmt = (8, self.img.e + "Q") if self.img.is64 else (4, self.img.e + "I")
        step = self._entsize()
        return sorted(
            (i, names[off], struct.unpack_from(vfmt, raw, i * step + voff)[0])
            for off, i in self._indices(set(names)).items()
        )

    def names_ending(self, suffix: bytes, limit: int = 64) -> list[str]:
        """Dynamic names that end with `suffix` (whole strings of the dynamic string
        table, found without a backtracking regex)."""
        strs, out = self.dynstr, list[str]()
        pos = strs.find(suffix + b"\x00")
        while pos != -1 and len(out) < limit:
            start = strs.rfind(b"\x00", 0, pos) + 1
            if start > 0:
                out.append(strs[start : pos + len(suffix)].decode("utf-8", "replace"))
            pos = strs.find(suffix + b"\x00", pos + 1)
        return out

    def symtab_value(self, name: bytes) -> int | None:
        """st_value of `name` in `.symtab` (gone with `-s`), found by its string offset."""
        sym, strs = self.img.blob(".symtab"), self.img.blob(".strtab")
        if not sym or not strs:
            return None
        pos = strs.find(b"\x00" + name + b"\x00")
        if pos == -1:
            return None
        step = self._entsize()
        key = struct.pack(self.img.e + "I", pos + 1)
        at = sym.find(key)
        while at != -1:
            if at % step == 0 and at + step <= len(sym):
                return int(
                    struct.unpack_from(
                        self.img.e + ("Q" if self.img.is64 else "I"), sym, at + (8 if self.img.is64 else 4)
                    )[0]
                )
            at = sym.find(key, at + 1)
        return None

    def relocations(self, symbols: set[int]) -> list[tuple[int, int]]:
        """(offset, symbol index) of the dynamic relocations against `symbols`."""
        found: list[tuple[int, int]] = []
        width = 8 if self.img.is64 else 4
        shift = 32 if self.img.is64 else 8
        fmt = self.img.e + ("Q" if self.img.is64 else "I")
        for raw, rela in self._relocation_tables():
            cols = 3 if rela else 2
            n = len(raw) // (width * cols)
            info = _column(raw[: n * width * cols], width, self.img.le, 1, cols)
            # r_info -> its last row, built in C: 3 ms for a plugin's 64,531 rows, where a
            # test of every row in Python costs 6 ms. A package hash is relocated once.
            rows = dict(zip(info, range(n), strict=True))
            for v, row in rows.items():
                if v >> shift in symbols:
                    found.append((struct.unpack_from(fmt, raw, row * width * cols)[0], v >> shift))
        return found

    def _relocation_tables(self) -> Iterator[tuple[bytes, bool]]:
        if self.img.sections:
            for name, rela in ((".rela.dyn", True), (".rel.dyn", False)):
                raw = self.img.blob(name)
                if raw is not None:
                    yield raw, rela
            return
        ptrs = self.img.tags.ptrs if self.img.tags else {}
        for tag, size, rela in (("DT_RELA", "DT_RELASZ", True), ("DT_REL", "DT_RELSZ", False)):
            o = self.img.vaddr_to_offset(ptrs.get(tag, 0), 1) if ptrs.get(tag) else None
            if o is not None:
                yield self.img.src.read(o, min(ptrs.get(size, 0), 256 << 20)), rela


def _column(raw: bytes, width: int, little: bool, first: int, every: int) -> list[int]:
    """Every `every`-th unsigned integer of `width` bytes in `raw`, from the `first`."""
    if little == (sys.byteorder == "little"):
        return memoryview(raw).cast("Q" if width == 8 else "I")[first::every].tolist()
    a = array("Q" if width == 8 else "I")
    a.frombytes(raw)
    a.byteswap()
    return a[first::every].tolist()

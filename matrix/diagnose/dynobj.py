"""One ELF object as glibc's dynamic loader sees it: through PT_DYNAMIC, not the section
table (what `binding.py` needs to follow a `dlopen` past the mapping of the file).

Read here, by hand, with `os.pread`: the dynamic table (DT_NEEDED, DT_SONAME, DT_RUNPATH
...), the symbol versions (DT_VERSYM, DT_VERDEF, DT_VERNEED), the dynamic symbols the
object takes from others (st_shndx == SHN_UNDEF, found with one pass over the
st_shndx column), lookups of a name through the object's hash table (DT_GNU_HASH, else
DT_HASH, as `_dl_lookup_symbol_x` does) and the order of the relocations that name a
symbol. Only what a question needs is read: a kustomize host exports ~55,000 symbols,
and looking up the few dozen C functions a plugin takes from libc touches a few hundred
bytes of it (the Bloom filter answers most of them).

Every file is untrusted input: a table that points outside the file reads as empty, and
`BadObject` is raised when the object cannot be followed at all.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from matrix.diagnose.dlopen import dynamic_entries
from matrix.diagnose.symhash import HashTable

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NEEDED, DT_PLTRELSZ, DT_HASH, DT_STRTAB, DT_SYMTAB, DT_RELA, DT_RELASZ = 1, 2, 4, 5, 6, 7, 8
DT_STRSZ, DT_SONAME, DT_RPATH, DT_REL, DT_RELSZ, DT_JMPREL, DT_RUNPATH = 10, 14, 15, 17, 18, 23, 29
DT_GNU_HASH, DT_VERSYM = 0x6FFFFEF5, 0x6FFFFFF0
DT_VERDEF, DT_VERDEFNUM, DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFC, 0x6FFFFFFD, 0x6FFFFFFE, 0x6FFFFFFF
SHT_DYNSYM = 11
SHN_UNDEF, SHN_ABS = 0, 0xFFF1
STB_LOCAL, STB_GLOBAL, STB_WEAK, STB_GNU_UNIQUE = 0, 1, 2, 10
STT_TLS = 6
ALLOWED_STT = {0, 1, 2, 5, 6, 10}  # NOTYPE OBJECT FUNC COMMON TLS GNU_IFUNC: glibc's check_match
VER_FLG_BASE, VER_FLG_WEAK = 1, 2
MAX_TAGS, MAX_VERSIONS = 4096, 4096
MAX_TABLE = 256 << 20


class BadObject(Exception):
    """The object cannot be followed as the loader would (not ELF, no dynamic table ...)."""


class Ref(NamedTuple):
    """A symbol the object takes from another: its index, name, and version (when the
    reference names one: the version, the file it is required from, and VER_FLG_HIDDEN)."""

    number: int  # its index in the dynamic symbol table
    name: str
    version: str | None
    file: str | None
    hidden: bool


class Need(NamedTuple):
    file: str  # the library the versions are required from (vn_file)
    version: str
    weak: bool


class DynObject:
    """The dynamic side of one ELF file, opened for reading (close it, or use `with`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._f = path.open("rb")
        except OSError as e:
            raise BadObject(f"{path}: {e.strerror or e}") from None
        try:
            self._read_headers()
        except (struct.error, ValueError, OverflowError) as e:
            self.close()
            raise BadObject(f"{path}: {e}") from None
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> DynObject:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._f.close()

    # -- reading -----------------------------------------------------------
    def _pread(self, off: int, n: int) -> bytes:
        if off < 0 or n <= 0 or off >= self.size:
            return b""
        return os.pread(self._f.fileno(), min(n, self.size - off), off)

    def _read_headers(self) -> None:
        self.size = os.fstat(self._f.fileno()).st_size
        h = self._pread(0, 64)
        if len(h) < 52 or h[:4] != b"\x7fELF" or h[4] not in (1, 2) or h[5] not in (1, 2):
            raise BadObject(f"{self.path}: not an ELF file")
        self.is64 = h[4] == 2
        self.e = e = "<" if h[5] == 1 else ">"
        self.le = h[5] == 1
        w = "Q" if self.is64 else "I"
        self.word = struct.calcsize(w)
        if self.is64:
            phoff, shoff = struct.unpack_from(e + "QQ", h, 32)
            phentsize, phnum, shentsize, shnum = struct.unpack_from(e + "HHHH", h, 54)
        else:
            phoff, shoff = struct.unpack_from(e + "II", h, 28)
            phentsize, phnum, shentsize, shnum = struct.unpack_from(e + "HHHH", h, 42)
        fmt = e + ("IIQQQQQQ" if self.is64 else "IIIIIIII")
        raw = self._pread(phoff, phentsize * phnum)
        if phentsize < struct.calcsize(fmt) or len(raw) < phentsize * phnum:
            raise BadObject(f"{self.path}: the program headers cannot be read")
        self.loads: list[tuple[int, int, int]] = []  # vaddr, offset, filesz
        dyn: tuple[int, int] | None = None
        self.interpreter: str | None = None
        for i in range(min(phnum, 4096)):
            f = struct.unpack_from(fmt, raw, i * phentsize)
            if self.is64:
                t, _fl, off, va, _pa, filesz, _mem, _al = f
            else:
                t, off, va, _pa, filesz, _mem, _fl, _al = f
            if t == PT_LOAD:
                self.loads.append((va, off, filesz))
            elif t == PT_DYNAMIC:
                dyn = (off, filesz)
            elif t == PT_INTERP:
                self.interpreter = (
                    self._pread(off, min(filesz, 4096)).split(b"\0")[0].decode("utf-8", "replace") or None
                )
        if dyn is None:
            raise BadObject(f"{self.path}: no dynamic table")
        self.tags = self._dynamic(*dyn)
        strtab = self.offset(self.tag(DT_STRTAB)) if DT_STRTAB in self.tags else None
        if strtab is None:
            raise BadObject(f"{self.path}: its string table (DT_STRTAB) is not in the file")
        self._strtab, self._strsz = strtab, self.tag(DT_STRSZ) or MAX_TABLE
        sym = self.offset(self.tag(DT_SYMTAB)) if DT_SYMTAB in self.tags else None
        self._symtab = -1 if sym is None else sym
        self.needed = [self.string(v) for v in self.tags.get(DT_NEEDED, [])]
        self.soname = self.string(self.tag(DT_SONAME)) if DT_SONAME in self.tags else None
        self.runpath = self._paths(DT_RUNPATH)
        self.rpath = self._paths(DT_RPATH)
        self._versym: bytes | None = None
        self._verdef: dict[int, str] | None = None
        self._verneed: dict[int, tuple[str, str, bool]] | None = None
        self._hash: HashTable | None = None
        self._count = 0  # not known yet (a GNU hash chain is then read to its end)
        self._count = self._dynsym_count(shoff, shentsize, shnum)

    def _dynamic(self, off: int, size: int) -> dict[int, list[int]]:
        return dynamic_entries(lambda n: self._pread(off, min(size, n)), self.e, self.is64, MAX_TAGS)

    def tag(self, t: int) -> int:
        return self.tags.get(t, [0])[0]

    def offset(self, vaddr: int) -> int | None:
        """The file offset of a virtual address, through the PT_LOAD segments."""
        for va, off, filesz in self.loads:
            if va <= vaddr < va + filesz:
                return off + vaddr - va
        return None

    def table(self, t: int, size: int) -> bytes:
        """The first `size` bytes of the table dynamic tag `t` points to (empty when absent)."""
        off = self.offset(self.tag(t)) if t in self.tags else None
        return b"" if off is None else self._pread(off, min(size, MAX_TABLE))

    def string(self, off: int) -> str:
        """The string at `off` in DT_STRTAB, read by itself (a Go binary's table is
        1.4-1.7 MB; the loader's questions need a few hundred of its strings)."""
        if not 0 <= off < self._strsz:
            return f"<bad string offset {off}>"
        out, at = b"", self._strtab + off
        while len(out) < 65536:
            chunk = self._pread(at + len(out), min(256, self._strsz - off - len(out)))
            end = chunk.find(b"\0")
            if end != -1 or not chunk:
                out += chunk[: end if end != -1 else len(chunk)]
                break
            out += chunk
        return out.decode("utf-8", "replace")

    def _named(self, off: int, key: bytes) -> bool:
        """Whether the string at `off` is `key`."""
        return off + len(key) < self._strsz and self._pread(self._strtab + off, len(key) + 1) == key + b"\0"

    def _paths(self, t: int) -> list[str]:
        return [p for v in self.tags.get(t, []) for p in self.string(v).split(":") if p]

    def names(self) -> set[str]:
        """What `_dl_name_match_p` matches this object by, besides the name it was
        loaded under: its path and its DT_SONAME."""
        return {str(self.path), *([self.soname] if self.soname else [])}

    # -- symbols -----------------------------------------------------------
    @property
    def _entsize(self) -> int:
        return 24 if self.is64 else 16

    def _dynsym_count(self, shoff: int, shentsize: int, shnum: int) -> int:
        """How many dynamic symbols there are: the loader never needs to know, so the
        count comes from the SHT_DYNSYM section when there is one, else the hash tables."""
        if shoff and shnum and shentsize >= (64 if self.is64 else 40):
            raw = self._pread(shoff, shentsize * min(shnum, 65536))
            fmt = self.e + ("IIQQQQ" if self.is64 else "IIIIII")
            for at in range(0, len(raw) - shentsize + 1, shentsize):
                _n, typ, _fl, addr, _off, size = struct.unpack_from(fmt, raw, at)
                if typ == SHT_DYNSYM and addr == self.tag(DT_SYMTAB):
                    return int(size) // self._entsize
        head = self.table(DT_HASH, 8)
        if len(head) == 8:  # DT_HASH: nchain is the symbol count
            return int(struct.unpack_from(self.e + "I", head, 4)[0])
        return self._hashes().gnu_count()

    def symbol(self, i: int, raw: bytes = b"") -> tuple[int, int, int, int, int]:
        """(st_name, binding, type, st_shndx, st_value) of dynamic symbol `i` (from `raw`,
        the whole table, when the caller has it)."""
        size = self._entsize
        if raw:
            raw = raw[i * size : i * size + size]
        elif self._symtab >= 0:
            raw = self._pread(self._symtab + i * size, size)
        if len(raw) < size:
            return 0, 0, 0, 0, 0
        if self.is64:
            name, info, _o, shndx, value, _s = struct.unpack(self.e + "IBBHQQ", raw)
        else:
            name, value, _s, info, _o, shndx = struct.unpack(self.e + "IIIBBH", raw)
        return name, info >> 4, info & 0xF, shndx, value

    def undefined(self) -> list[Ref]:
        """The symbols this object takes from others, weak ones left out (an unresolved
        weak reference is bound to 0, not an error). The st_shndx column is searched
        for zeros as bytes (zero in either byte order): ~0.5 ms for a Go plugin's
        ~45,000 symbols."""
        size = self._entsize
        raw = self._pread(self._symtab, self._count * size) if self._symtab >= 0 else b""
        n = len(raw) // size
        column = memoryview(raw[: n * size]).cast("H")[3 if self.is64 else 7 :: size // 2].tobytes()
        refs: list[Ref] = []
        at = column.find(b"\0\0", 2)  # symbol 0 is the null symbol
        while at != -1:
            if at % 2:
                at = column.find(b"\0\0", at + 1)
                continue
            i = at // 2
            name, bind, _t, _shndx, _v = self.symbol(i, raw)
            if bind not in (STB_LOCAL, STB_WEAK):
                version = self._versions_needed().get(self._version_index(i) & 0x7FFF)
                refs.append(Ref(i, self.string(name), *(version or (None, None, False))))
            at = column.find(b"\0\0", at + 2)
        return refs

    def _version_index(self, i: int) -> int:
        if DT_VERSYM not in self.tags:
            return -1
        if self._versym is None:
            self._versym = self.table(DT_VERSYM, 2 * self._count)
        if 2 * i + 2 > len(self._versym):
            return -1
        return int(struct.unpack_from(self.e + "H", self._versym, 2 * i)[0])

    def defines(self, name: str, version: str | None = None, hidden: bool = False) -> bool:
        """Whether a lookup of `name` (with the version a reference requires) stops at
        this object: glibc's `check_match`, over every candidate the hash table gives."""
        key = name.encode()
        loose = 0  # non-hidden definitions of another version, for an unversioned reference
        for i in self._candidates(key):
            st_name, bind, typ, shndx, value = self.symbol(i)
            if shndx == SHN_UNDEF or typ not in ALLOWED_STT:
                continue
            if value == 0 and shndx != SHN_ABS and typ != STT_TLS:
                continue
            if bind not in (STB_GLOBAL, STB_WEAK, STB_GNU_UNIQUE):
                continue
            if not self._named(st_name, key):
                continue
            ndx = self._version_index(i)
            if ndx < 0:  # no DT_VERSYM: every reference takes the symbol
                return True
            own = self._versions_defined().get(ndx & 0x7FFF)
            if version is not None:
                if own == version or (not hidden and own is None and not ndx & 0x8000):
                    return True
            elif (ndx & 0x7FFF) < 3:
                return True
            elif not ndx & 0x8000:
                loose += 1
        return loose == 1

    def _candidates(self, key: bytes) -> list[int]:
        """Symbol indices whose hash matches `key`'s in the object's hash table."""
        # no hash table: glibc's _dl_setup_hash leaves l_nbuckets 0, and lookups skip the object
        return self._hashes().candidates(key)

    def _hashes(self) -> HashTable:
        """The object's hash table (DT_GNU_HASH, else DT_HASH), read once as bytes."""
        if self._hash is None:
            if DT_GNU_HASH in self.tags:
                self._hash = HashTable.gnu(self._table_reader(DT_GNU_HASH), self.e, self.word, self._count)
            elif DT_HASH in self.tags:
                self._hash = HashTable.sysv(self._table_reader(DT_HASH), self.e)
            else:
                self._hash = HashTable.none()
        return self._hash

    def _table_reader(self, t: int) -> Callable[[int], bytes]:
        """Reads the first n bytes of the table dynamic tag `t` points to."""
        return lambda n: self.table(t, n)

    # -- versions ----------------------------------------------------------
    def _versions_defined(self) -> dict[int, str]:
        """vd_ndx -> version name, without the base entry (which names the file)."""
        if self._verdef is None:
            self._verdef = {}
            for flags, ndx, name in self._walk_verdef():
                if not flags & VER_FLG_BASE:
                    self._verdef[ndx & 0x7FFF] = name
        return self._verdef

    def version_defs(self) -> list[str]:
        return list(self._versions_defined().values())

    def _walk_verdef(self) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        base = self.offset(self.tag(DT_VERDEF)) if DT_VERDEF in self.tags else None
        at = base
        for _ in range(min(self.tag(DT_VERDEFNUM) or MAX_VERSIONS, MAX_VERSIONS)):
            if at is None:
                break
            raw = self._pread(at, 20)
            if len(raw) < 20:
                break
            _v, flags, ndx, cnt, _h, aux, nxt = struct.unpack(self.e + "HHHHIII", raw)
            name = self._pread(at + aux, 8)
            if cnt and len(name) == 8:
                out.append((flags, ndx, self.string(struct.unpack_from(self.e + "I", name)[0])))
            if not nxt:
                break
            at += nxt
        return out

    def _versions_needed(self) -> dict[int, tuple[str, str, bool]]:
        """vna_other -> (version, file, hidden) of the versions this object requires."""
        if self._verneed is None:
            self._verneed = {
                other & 0x7FFF: (version, file, bool(other & 0x8000))
                for file, version, _flags, other in self._walk_verneed()
            }
        return self._verneed

    def needs(self) -> list[Need]:
        """Every version this object requires, in the order glibc checks them."""
        return [Need(f, v, bool(flags & VER_FLG_WEAK)) for f, v, flags, _o in self._walk_verneed()]

    def _walk_verneed(self) -> list[tuple[str, str, int, int]]:
        out: list[tuple[str, str, int, int]] = []
        at = self.offset(self.tag(DT_VERNEED)) if DT_VERNEED in self.tags else None
        for _ in range(min(self.tag(DT_VERNEEDNUM) or MAX_VERSIONS, MAX_VERSIONS)):
            if at is None:
                break
            raw = self._pread(at, 16)
            if len(raw) < 16:
                break
            _v, cnt, file, aux, nxt = struct.unpack(self.e + "HHIII", raw)
            where = at + aux
            for _ in range(min(cnt, MAX_VERSIONS)):
                a = self._pread(where, 16)
                if len(a) < 16:
                    break
                _h, flags, other, name, anext = struct.unpack(self.e + "IHHII", a)
                out.append((self.string(file), self.string(name), flags, other))
                if not anext:
                    break
                where += anext
            if not nxt:
                break
            at += nxt
        return out

    # -- relocations ---------------------------------------------------------
    def first_relocated(self, symbols: set[int]) -> list[int]:
        """`symbols` in the order the loader's relocation meets them (DT_RELA or DT_REL,
        then DT_JMPREL); the symbols no relocation names are left out: nothing looks
        them up. Each symbol's index is searched for as bytes in the r_info column
        (a plugin has ~65,000 relocations: ~0.5 ms a symbol, where unpacking the column
        costs 2 ms and a set of it 5 ms more)."""
        rela = DT_RELA in self.tags
        cols = 3 if rela else 2
        step = self.word * cols
        # where the symbol index sits in r_info's bytes: (sym << 32 | type) or (sym << 8 | type)
        fmt, cut, at = {
            (True, True): ("<I", slice(0, 4), 4),
            (True, False): (">I", slice(0, 4), 0),
            (False, True): ("<I", slice(0, 3), 1),
            (False, False): (">I", slice(1, 4), 0),
        }[(self.is64, self.le)]
        first: dict[int, tuple[int, int]] = {}
        done: set[tuple[int, int]] = set()
        tables = [(DT_RELA, DT_RELASZ) if rela else (DT_REL, DT_RELSZ), (DT_JMPREL, DT_PLTRELSZ)]
        for number, (addr, size) in enumerate(tables):
            key = (self.tag(addr), self.tag(size))
            if addr not in self.tags or key in done:
                continue
            done.add(key)
            raw = self.table(addr, key[1])
            n = len(raw) // step
            # r_info of every row, as the file's bytes (a strided copy keeps their order)
            column = memoryview(raw[: n * step]).cast("Q" if self.word == 8 else "I")[1::cols].tobytes()
            for sym in symbols - set(first):
                pattern = struct.pack(fmt, sym)[cut]
                pos = column.find(pattern)
                while pos != -1 and pos % self.word != at:
                    pos = column.find(pattern, pos + 1)
                if pos != -1:
                    first[sym] = (number, pos // self.word)
        return sorted(first, key=first.__getitem__)

"""An ELF object's symbol hash table, used the way `_dl_lookup_symbol_x` uses it: the
GNU table (DT_GNU_HASH: a Bloom filter, buckets, chains of hash values) or the System V
one (DT_HASH). A lookup answers which symbol indices may hold a name; the caller then
compares the names. The table is read once as bytes and only the entries a lookup
touches are unpacked: a kustomize host's GNU table covers ~55,000 symbols, and making
a list of it would cost more than every lookup the doctor makes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

MAX_CHAIN = 1 << 20  # candidates returned at most (a damaged table can loop)
CHAIN_UNKNOWN = 4 << 20  # bytes of a GNU chain read when the symbol count is not known


class HashTable:
    """`kind` is gnu, sysv or none (absent or unreadable: no symbol is found in the object,
    as glibc finds none in an object without a hash table)."""

    def __init__(self, kind: str, raw: bytes, e: str, word: int) -> None:
        self.kind, self.raw, self.e = kind, raw, e
        self.wfmt = e + ("Q" if word == 8 else "I")
        self.bits = word * 8
        self.nb = self.symoffset = self.nbloom = self.shift = self.nchain = 0
        self.buckets = 0
        if kind == "gnu" and len(raw) >= 16:
            self.nb, self.symoffset, self.nbloom, self.shift = struct.unpack_from(e + "IIII", raw)
            self.buckets = 16 + self.nbloom * word
        elif kind == "sysv" and len(raw) >= 8:
            self.nb, self.nchain = struct.unpack_from(e + "II", raw)
            self.buckets = 8
        self.chain = self.buckets + 4 * self.nb
        if not self.nb or len(raw) < self.chain:
            self.kind = "none"

    @classmethod
    def gnu(cls, read: Callable[[int], bytes], e: str, word: int, count: int) -> HashTable:
        """DT_GNU_HASH; `read(n)` gives the table's first n bytes, `count` the number of
        dynamic symbols (0 when not known)."""
        head = read(16)
        if len(head) < 16:
            return cls.none()
        nb, symoffset, nbloom, _shift = struct.unpack(e + "IIII", head)
        chain = (count - symoffset) * 4 if count else CHAIN_UNKNOWN
        return cls("gnu", read(16 + nbloom * word + nb * 4 + max(chain, 0)), e, word)

    @classmethod
    def sysv(cls, read: Callable[[int], bytes], e: str) -> HashTable:
        head = read(8)
        if len(head) < 8:
            return cls.none()
        nb, nc = struct.unpack(e + "II", head)
        return cls("sysv", read(8 + 4 * (nb + nc)), e, 4)

    @classmethod
    def none(cls) -> HashTable:
        return cls("none", b"", "<", 8)

    def _u32(self, at: int) -> int | None:
        return int(struct.unpack_from(self.e + "I", self.raw, at)[0]) if at + 4 <= len(self.raw) else None

    def candidates(self, key: bytes) -> list[int]:
        """The symbol indices that may be named `key`."""
        return self._gnu(key) if self.kind == "gnu" else self._sysv(key) if self.kind == "sysv" else []

    def _gnu(self, key: bytes) -> list[int]:
        out: list[int] = []
        h = 5381
        for c in key:
            h = (h * 33 + c) & 0xFFFFFFFF
        if self.nbloom:
            at = 16 + ((h // self.bits) % self.nbloom) * (self.bits // 8)
            word = struct.unpack_from(self.wfmt, self.raw, at)[0]
            if not (word >> (h % self.bits)) & (word >> ((h >> self.shift) % self.bits)) & 1:
                return out  # the Bloom filter says no: most lookups end here
        i = self._u32(self.buckets + 4 * (h % self.nb)) or 0
        while i >= self.symoffset and len(out) < MAX_CHAIN:
            h2 = self._u32(self.chain + 4 * (i - self.symoffset))
            if h2 is None:
                break
            if h2 | 1 == h | 1:
                out.append(i)
            if h2 & 1:  # the last entry of this chain
                break
            i += 1
        return out

    def _sysv(self, key: bytes) -> list[int]:
        out: list[int] = []
        h = 0
        for c in key:
            h = (h << 4) + c
            g = h & 0xF0000000
            h = (h ^ (g >> 24)) & ~g & 0xFFFFFFFF
        i = self._u32(self.buckets + 4 * (h % self.nb)) or 0
        while i and i < self.nchain and len(out) < MAX_CHAIN:
            out.append(i)
            i = self._u32(self.chain + 4 * i) or 0
        return out

    def gnu_count(self) -> int:
        """How many symbols a GNU table covers: up to the end of the last chain (what
        tells the symbol count when the file has no section table)."""
        if self.kind != "gnu":
            return 0
        last = max(struct.unpack_from(f"{self.e}{self.nb}I", self.raw, self.buckets), default=0)
        if last < self.symoffset:
            return self.symoffset
        i = last
        while (h := self._u32(self.chain + 4 * (i - self.symoffset))) is not None and not h & 1:
            i += 1
        return i + 1

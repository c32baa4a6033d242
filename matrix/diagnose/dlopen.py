"""What glibc's `dlopen` will say about a plugin file, before the Go runtime sees it.

This follows glibc 2.36 (`elf/dl-load.c`: `open_verify`, then
`_dl_map_object_from_fd`) check by check, on the raw bytes, so it works on any file:
text, empty, truncated, another ELF class, another machine, an executable. pyelftools
is no help here: it refuses most of these files, and the question is not what the file
holds but which of glibc's checks fails first and with which words. Every text below
was seen from a real `plugin.Open` on this machine (tests/test_doctor.py re-checks them
on each run).

After mapping, a loader that touches a page past the end of the file (a truncated file)
gets SIGBUS, which kills the process: that is predicted when the part that is cut is
one the loader or the Go runtime reads (the dynamic table and what it points to, data
segments it relocates, for a Go plugin every segment), and otherwise not.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from matrix.diagnose.image import FileError

FILEBUF = 832  # glibc reads this much of the file first (512 for a 32-bit loader)
ELFOSABI_SYSV, ELFOSABI_GNU = 0, 3
LIBC_ABI_MAX = 4  # glibc 2.36 accepts EI_ABIVERSION < this with ELFOSABI_GNU
ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_DYNAMIC, PT_NOTE, PT_GNU_PROPERTY = 1, 2, 4, 0x6474E553
PF_W = 2
DF_1_NOOPEN, DF_1_PIE = 0x40, 0x08000000
MAX_PHDRS = 4096
# Dynamic tags whose tables the loader reads while loading: (address tag, size tag or bytes).
LOADER_TABLES: dict[int, tuple[str, int | None, int]] = {
    5: ("DT_STRTAB", 10, 1),
    6: ("DT_SYMTAB", None, 24),
    4: ("DT_HASH", None, 16),
    0x6FFFFEF5: ("DT_GNU_HASH", None, 16),
    7: ("DT_RELA", 8, 0),
    17: ("DT_REL", 18, 0),
    23: ("DT_JMPREL", 2, 0),
    36: ("DT_RELR", 35, 0),
    0x6FFFFFF0: ("DT_VERSYM", None, 2),
    0x6FFFFFFE: ("DT_VERNEED", None, 16),
    0x6FFFFFFC: ("DT_VERDEF", None, 20),
    25: ("DT_INIT_ARRAY", 27, 0),
    12: ("DT_INIT", None, 1),
}
DT_FLAGS_1 = 0x6FFFFFFB
Phdr = tuple[int, int, int, int, int, int, int]  # type, flags, offset, vaddr, filesz, memsz, align


def dynamic_entries(read: Callable[[int], bytes], e: str, is64: bool, limit: int) -> dict[int, list[int]]:
    """The entries of a dynamic table as the loader reads them (up to DT_NULL, at most
    `limit` of them): tag -> values. `read(n)` gives the table's first n bytes (or fewer)."""
    fmt = e + ("qQ" if is64 else "iI")
    step = struct.calcsize(fmt)
    raw = read(limit * step)
    out: dict[int, list[int]] = {}
    for at in range(0, len(raw) - step + 1, step):
        tag, val = struct.unpack_from(fmt, raw, at)
        if tag == 0:
            break
        out.setdefault(tag, []).append(val)
    return out


class Host(NamedTuple):
    """What the loading process is: ELF class, byte order, machine, page size."""

    elf_class: int  # 1 (32-bit) | 2 (64-bit), as in e_ident
    data: int  # 1 little | 2 big
    machine: int

    @classmethod
    def of(cls, path: Path) -> Host:
        with path.open("rb") as f:
            h = f.read(20)
        e = "<" if h[5:6] == b"\x01" else ">"
        return cls(h[4], h[5], struct.unpack_from(e + "H", h, 18)[0])


class Verdict(NamedTuple):
    text: str  # the loader's words: after `<path>: ` in dlerror, or the crash's first line
    error_class: str  # elf-mismatch | runtime-crash
    evidence: str
    fix: str
    crash: bool = False  # the process dies (SIGBUS): no `plugin.Open(...)` error is returned
    late: bool = False  # met after the plugin's libraries are loaded (a missing one comes first)


def verify(path: Path, host: Host) -> Verdict | None:
    """The first of glibc's checks that `path` fails when `host` dlopens it, or None when
    glibc maps it (what comes next: libraries, the Go runtime, is for the caller)."""
    try:
        with path.open("rb") as f:
            return _Check(f.fileno(), os.fstat(f.fileno()).st_size, host).run()
    except IsADirectoryError:
        return _fail(
            "cannot read file data: Is a directory",
            "the plugin path is a directory: glibc cannot read an ELF header from it",
            "give the path of the plugin's .so file",
        )
    except FileNotFoundError:
        raise FileError(path, "no such file") from None
    except OSError as e:
        raise FileError(path, f"cannot read: {e.strerror or e}") from None


def _fail(text: str, evidence: str, fix: str) -> Verdict:
    return Verdict(text, "elf-mismatch", evidence, fix)


def _sigbus(size: int, cut: str, late: bool) -> Verdict:
    return Verdict(
        "SIGBUS: bus error",
        "runtime-crash",
        f"the plugin file ends at byte {size}, but {cut} lies past it: glibc maps the segments "
        "anyway, and touching a page past the end of a mapped file raises SIGBUS, which kills "
        "the host",
        REBUILD,
        crash=True,
        late=late,
    )


REBUILD = "rebuild the plugin with `go build -buildmode=plugin` for the host's platform, or copy it again"


class _Check:
    def __init__(self, fd: int, size: int, host: Host) -> None:
        self.fd, self.size, self.host = fd, size, host
        self.is64 = host.elf_class == 2
        self.e = "<" if host.data == 1 else ">"
        self.page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def read(self, off: int, n: int) -> bytes:
        return os.pread(self.fd, n, off) if n > 0 and 0 <= off < self.size else b""

    def run(self) -> Verdict | None:
        buf = self.read(0, FILEBUF if self.is64 else 512)
        ehdr = 64 if self.is64 else 52
        if len(buf) < ehdr:
            return _fail(
                "file too short",
                f"the plugin file has {self.size} bytes, fewer than an ELF header ({ehdr})",
                REBUILD,
            )
        bad = self._ident(buf)
        if bad:
            return bad
        e = self.e
        e_type, e_machine, e_version = struct.unpack_from(e + "HHI", buf, 16)
        if e_version != 1:
            return _fail("ELF file version does not match current one", f"e_version is {e_version}", REBUILD)
        if e_machine != self.host.machine:
            return _fail(
                "cannot open shared object file: No such file or directory",
                f"the plugin is for machine {e_machine}, the host for {self.host.machine}: glibc "
                "skips a file for another machine and then reports it as not found",
                "build the plugin with the host's GOARCH (and a C cross compiler for cgo)",
            )
        if e_type not in (ET_EXEC, ET_DYN):
            return _fail(
                "only ET_DYN and ET_EXEC can be loaded",
                f"the plugin's ELF type is {e_type} (an object file or a core dump, not a shared object)",
                "build the plugin with `go build -buildmode=plugin`",
            )
        phoff = struct.unpack_from(e + ("Q" if self.is64 else "I"), buf, 32 if self.is64 else 28)[0]
        phentsize, phnum = struct.unpack_from(e + "HH", buf, 54 if self.is64 else 42)
        if phentsize != (56 if self.is64 else 32):
            return _fail("ELF file's phentsize not the expected size", f"e_phentsize is {phentsize}", REBUILD)
        raw = self.read(phoff, phentsize * phnum)
        if len(raw) < phentsize * phnum:
            return _fail(
                "cannot read file data",
                f"the program headers end at byte {phoff + phentsize * phnum}, past the end of "
                f"the file ({self.size} bytes): it is truncated",
                REBUILD,
            )
        phdrs = [self._phdr(raw, i * phentsize) for i in range(min(phnum, MAX_PHDRS))]
        for t, _fl, off, _va, filesz, _mem, align in phdrs:
            if t == PT_NOTE and filesz >= 32 and align in (4, 8) and off + filesz > self.size:
                return _fail(
                    "cannot read file data",
                    f"a note segment ends at byte {off + filesz}, past the end of the file "
                    f"({self.size} bytes): it is truncated",
                    REBUILD,
                )
        return self._map(phdrs, e_type)

    def _ident(self, buf: bytes) -> Verdict | None:
        if buf[:4] != b"\x7fELF":
            return _fail(
                "invalid ELF header",
                f"the plugin file does not start with the ELF magic (it starts with {buf[:8]!r})",
                REBUILD,
            )
        cls, data, version, osabi, abiversion = buf[4], buf[5], buf[6], buf[7], buf[8]
        if cls != self.host.elf_class:
            other = "ELFCLASS32" if self.is64 else "ELFCLASS64"
            return _fail(
                f"wrong ELF class: {other}",
                f"the plugin's ELF class byte is {cls}, the host is ELFCLASS{64 if self.is64 else 32}",
                "build the plugin for the host's platform (GOARCH)",
            )
        if data != self.host.data:
            order = "little" if self.host.data == 1 else "big"
            return _fail(
                f"ELF file data encoding not {order}-endian",
                f"the plugin's byte order differs from the host's ({order}-endian)",
                "build the plugin for the host's platform (GOARCH)",
            )
        if version != 1:
            return _fail(
                "ELF file version ident does not match current one", f"EI_VERSION is {version}", REBUILD
            )
        if osabi not in (ELFOSABI_SYSV, ELFOSABI_GNU):
            return _fail(
                "ELF file OS ABI invalid",
                f"EI_OSABI is {osabi}: the plugin was built for another operating system",
                "build the plugin with GOOS=linux",
            )
        if not (abiversion == 0 or (osabi == ELFOSABI_GNU and abiversion < LIBC_ABI_MAX)):
            return _fail("ELF file ABI version invalid", f"EI_ABIVERSION is {abiversion}", REBUILD)
        if any(buf[9:16]):
            return _fail("nonzero padding in e_ident", "bytes 9-15 of the ELF header are not zero", REBUILD)
        return None

    def _phdr(self, raw: bytes, at: int) -> Phdr:
        if self.is64:
            t, fl, off, va, _pa, filesz, memsz, align = struct.unpack_from(self.e + "IIQQQQQQ", raw, at)
        else:
            t, off, va, _pa, filesz, memsz, fl, align = struct.unpack_from(self.e + "IIIIIIII", raw, at)
        return t, fl, off, va, filesz, memsz, align

    def _map(self, phdrs: list[Phdr], e_type: int) -> Verdict | None:
        loads = [p for p in phdrs if p[0] == PT_LOAD]
        dyn = next((p for p in phdrs if p[0] == PT_DYNAMIC), None)
        for _t, _fl, off, va, _fs, _ms, _al in loads:
            if (va - off) % self.page:
                return _fail(
                    "ELF load command address/offset not page-aligned",
                    "a loadable segment's address and file offset differ by a non-multiple of the page size",
                    REBUILD,
                )
        if not loads:
            return _fail("object file has no loadable segments", "no PT_LOAD segment", REBUILD)
        if e_type != ET_DYN:
            return _fail(
                "cannot dynamically load executable",
                "the plugin file is an executable (ELF type EXEC), not a shared object",
                "build the plugin with `go build -buildmode=plugin`",
            )
        if dyn is None or dyn[4] == 0:
            return _fail(
                "object file has no dynamic section",
                "the plugin has no PT_DYNAMIC segment (a separate debug-info file, or not linked as a shared object)",
                "build the plugin with `go build -buildmode=plugin`",
            )
        end = -(-self.size // self.page) * self.page  # mapped pages past this raise SIGBUS
        cut = self._early_cut(loads, dyn, phdrs, end)
        if cut:
            return _sigbus(self.size, cut, late=False)
        flags_1 = self._dynamic(dyn).get(DT_FLAGS_1, [0])[0]
        if flags_1 & DF_1_PIE:
            return _fail(
                "cannot dynamically load position-independent executable",
                "the plugin file is a position-independent executable (DF_1_PIE), not a shared object",
                "build the plugin with `go build -buildmode=plugin`",
            )
        if flags_1 & DF_1_NOOPEN:
            return _fail("shared object cannot be dlopen()ed", "the plugin is marked DF_1_NOOPEN", REBUILD)
        cut = self._late_cut(loads, dyn, phdrs, end)
        return _sigbus(self.size, cut, late=True) if cut else None

    def _early_cut(self, loads: list[Phdr], dyn: Phdr, phdrs: list[Phdr], end: int) -> str | None:
        """What glibc touches while mapping (before any other check) that lies past the
        mapped file: the rest of a segment's last page it zeroes, the GNU property note,
        the dynamic table."""
        regions: list[tuple[str, int, int]] = []
        for i, (_t, _fl, off, _va, fs, ms, _al) in enumerate(loads):
            if ms > fs and (off + fs) % self.page:
                regions.append(
                    (f"the last page of segment {i} (zeroed by the loader)", off + fs, off + fs + 1)
                )
        regions += [("the GNU property note", p[2], p[2] + p[4]) for p in phdrs if p[0] == PT_GNU_PROPERTY]
        regions.append(("the dynamic table", dyn[2], dyn[2] + dyn[4]))
        return next((what for what, _a, b in regions if b > end), None)

    def _late_cut(self, loads: list[Phdr], dyn: Phdr, phdrs: list[Phdr], end: int) -> str | None:
        """What is read later, when the libraries are loaded: the tables the dynamic table
        points to, the data relocated, and for a Go plugin every segment (the runtime
        reads its module data and runs its init code)."""
        if self.size >= max(p[2] + p[4] for p in loads):
            return None
        tags = self._dynamic(dyn)
        for tag, (name, size_tag, size) in LOADER_TABLES.items():
            for addr in tags.get(tag, []):
                n = max(tags.get(size_tag, [size])[0] if size_tag else size, 1)
                off = self._offset(addr, loads)
                if off is not None and off + n > end:
                    return f"the table {name} points to (bytes {off}-{off + n})"
        go = self._is_go(phdrs)
        for i, (_t, fl, off, _va, fs, _ms, _al) in enumerate(loads):
            if (fl & PF_W or go) and off + fs > end:
                kind = "data segment" if fl & PF_W else "segment"
                return f"loadable {kind} {i} (bytes {off}-{off + fs})"
        return None

    def _is_go(self, phdrs: list[Phdr]) -> bool:
        """A Go binary: a note owned by "Go" (the build ID Go's linker always writes)."""
        for t, _fl, off, _va, fs, _ms, _al in phdrs:
            if t == PT_NOTE and b"Go\x00\x00" in self.read(off, min(fs, 4096)):
                return True
        return False

    def _offset(self, vaddr: int, loads: list[Phdr]) -> int | None:
        for _t, _fl, off, va, _fs, ms, _al in loads:
            if va <= vaddr < va + ms:
                return off + (vaddr - va)
        return None

    def _dynamic(self, dyn: Phdr) -> dict[int, list[int]]:
        return dynamic_entries(lambda n: self.read(dyn[2], min(dyn[4], n)), self.e, self.is64, 4096)

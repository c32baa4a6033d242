"""What an ELF file says about its provenance: header, loader needs, Go build
information, and the Go runtime's package-hash tables (`ElfInfo`, from `parse`).

The reading is split by subject: `image` (the file's headers and small tables, through
pyelftools where it is fast enough), `dynsym` (symbols and relocations), `buildinfo` (Go's `.go.buildinfo` and DWARF producers), `pkghash` (the
runtime's package check), `libraries` (where the loader finds a library).

Every file is untrusted input. `parse` raises `UserError` (one line naming the file)
when the file cannot be read or is not ELF at all; anything else it cannot make sense of
becomes a line in `ElfInfo.problems`, never an exception.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from matrix.diagnose import buildinfo as _bi
from matrix.diagnose import pkghash as _ph
from matrix.diagnose.buildinfo import BUILDINFO_MAGIC as BUILDINFO_MAGIC
from matrix.diagnose.buildinfo import GoBuildInfo as GoBuildInfo
from matrix.diagnose.dynsym import Symbols
from matrix.diagnose.image import FileBytes, FileError, Image
from matrix.diagnose.libraries import GNU_TRIPLET as GNU_TRIPLET
from matrix.diagnose.libraries import elf_ident as elf_ident
from matrix.diagnose.libraries import env_library_path as env_library_path
from matrix.diagnose.libraries import expand_origin as expand_origin
from matrix.diagnose.libraries import find_library as find_library
from matrix.diagnose.libraries import library_dirs as library_dirs
from matrix.diagnose.pkghash import PKGHASH_PREFIXES as PKGHASH_PREFIXES
from matrix.diagnose.pkghash import PLUGIN_SYMBOL as PLUGIN_SYMBOL

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
DF_1_PIE = 0x08000000
RACY_NS = 3_000_000_000  # a file younger than this is re-read and re-hashed


@dataclass
class ElfInfo:
    path: str
    sha256: str | None  # None when parsed with digest=False
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
_BY_STAT: dict[tuple[str, int, int, int, int], ElfInfo] = {}
_BY_SHA: dict[str, ElfInfo] = {}
_VERSIONS: dict[tuple[str, int, int, int, int], list[str]] = {}  # version_defs()


def clear_cache() -> None:
    _BY_STAT.clear()
    _BY_SHA.clear()
    _VERSIONS.clear()


def parse(path: str | Path, *, digest: bool = True) -> ElfInfo:
    """Everything this package can read from `path`, cached in-process: by the file's
    identity (path, size, times, inode) when it has not changed for a few seconds, and by
    its sha256 when one is computed. `digest=False` skips the sha256 (`ElfInfo.sha256`
    stays None) and reads only the parts of the file that are needed: what `doctor` does,
    as hashing a 30 MB host costs more than parsing it."""
    path = Path(path)
    key = _stat_key(path)
    hit = _BY_STAT.get(key) if key else None
    if hit is not None and digest and hit.sha256 is None:
        hit = None  # read again, this time whole, and hash it
    if hit is None:
        hit = _read_and_parse(path, key, digest)
    if hit.path != str(path):
        hit = ElfInfo(**{**hit.__dict__, "path": str(path)})
    return hit


def _read_and_parse(path: Path, key: tuple[str, int, int, int, int] | None, digest: bool) -> ElfInfo:
    try:
        with path.open("rb") as f:
            size = _fsize(f)
            if digest:
                import hashlib  # only when a hash is asked for: it costs the doctor 3 ms to import

                data = f.read()
                sha: str | None = hashlib.sha256(data).hexdigest()
                hit = _BY_SHA.get(sha or "")
                info = hit or _Parser(path, FileBytes(len(data), data), sha, io.BytesIO(data)).run()
                size = len(data)
            else:
                sha = None
                info = _Parser(path, FileBytes(size, f=f), None, f).run()
    except IsADirectoryError:
        raise FileError(path, "is a directory, not an ELF file") from None
    except FileNotFoundError:
        raise FileError(path, "no such file") from None
    except OSError as e:
        raise FileError(path, f"cannot read: {e.strerror or e}") from None
    if key is not None and key[1] == size:
        _BY_STAT[key] = info
    if sha is not None:
        _BY_SHA[sha] = info
    return info


def version_defs(path: str | Path) -> list[str]:
    """The symbol versions a library defines (`.gnu.version_d`), and nothing else: what
    the doctor asks of libc, for a fifth of what `parse` costs. Empty when unreadable."""
    path = Path(path)
    key = _stat_key(path)
    if key is not None and key in _VERSIONS:
        return _VERSIONS[key]
    defs: list[str] = []
    try:
        from elftools.elf.elffile import ELFFile

        with path.open("rb") as f:
            img = Image(FileBytes(_fsize(f), f=f), ELFFile(f), [])
            img.read_sections()
            defs = img.version_defs()
    except Exception:  # untrusted input, and only a hint: the caller then skips the check
        defs = []
    if key is not None:
        _VERSIONS[key] = defs
    return defs


def _fsize(f: IO[bytes]) -> int:
    import os

    return os.fstat(f.fileno()).st_size


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


T = TypeVar("T")


class _Parser:
    def __init__(self, path: Path, src: FileBytes, sha: str | None, stream: IO[bytes]) -> None:
        self.path, self.src, self.sha, self.stream = path, src, sha, stream
        self.problems: list[str] = []

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

    def run(self) -> ElfInfo:
        head = self.src.read(0, 4)
        if head != b"\x7fELF":
            what = "empty" if not self.src.size else "not an ELF file"
            raise FileError(
                self.path,
                f"{what} ({self.src.size} bytes" + (f", starts with {head!r})" if head else ")"),
            )
        try:
            from elftools.elf.elffile import ELFFile

            elf = ELFFile(self.stream)
            h = elf.header
            info = ElfInfo(
                path=str(self.path),
                sha256=self.sha,
                size=self.src.size,
                elf_class=int(elf.elfclass),
                endian="little" if elf.little_endian else "big",
                machine=str(h["e_machine"]),
                goarch=None,
                type=str(h["e_type"]),
                osabi=str(h["e_ident"]["EI_OSABI"]),
            )
        except Exception as e:
            raise FileError(
                self.path,
                f"not a readable ELF file: the ELF header is damaged or truncated ({type(e).__name__})",
            ) from None
        ga = GOARCH.get(info.machine)
        if ga in ("ppc64", "mips") and elf.little_endian:
            ga += "le"
        info.goarch = ga
        img = Image(self.src, elf, self.problems)
        self.guard("program headers", img.read_segments, None)
        info.interpreter = self.guard("interpreter", img.interpreter, None)
        self.guard("section headers", img.read_sections, None)
        info.truncated = img.truncated
        info.dynamic = img.has_dynamic()
        info.stripped = ".symtab" not in img.sections
        info.has_dwarf = ".debug_info" in img.sections or ".zdebug_info" in img.sections
        self.guard("dynamic section", lambda: self._dynamic(img, info), None)
        info.version_needs = self.guard(".gnu.version_r", img.version_needs, {})
        info.version_defs = self.guard(".gnu.version_d", img.version_defs, [])
        self.guard(".go.buildinfo", lambda: self._buildinfo(img, info), None)
        syms = Symbols(img)
        ph = self.guard("package hashes", lambda: _ph.package_hashes(syms), _ph.PackageHashes.none())
        info.pkghash_prefix, info.pkghashes = ph.prefix, ph.hashes
        info.go = info.go or bool(ph.hashes)
        if info.type == "ET_DYN" and ph.prefix and ph.hashes:
            info.check_order = self.guard(".rela.dyn", lambda: _ph.check_order(syms, ph), [])
            self.guard("pluginpath", lambda: self._pluginpath(syms, info), None)
        if info.go_version is None:
            self.guard("DWARF", lambda: self._dwarf(img, info), None)
        self.guard("Go symbols", lambda: self._go_facts(img, syms, info), None)
        _kind(info)
        info.problems = self.problems
        return info

    def _dynamic(self, img: Image, info: ElfInfo) -> None:
        tags = img.read_dynamic()
        if tags is None:
            return
        info.dynamic = True
        info.needed = tags.needed
        info.runpath = tags.runpath or tags.rpath
        info.pie = bool(tags.flags_1 & DF_1_PIE)

    def _buildinfo(self, img: Image, info: ElfInfo) -> None:
        bi = _bi.read_buildinfo(img)
        if bi is not None:
            info.buildinfo = bi
            info.go = True
            info.go_version, info.go_version_source = bi.version, "buildinfo"

    def _pluginpath(self, syms: Symbols, info: ElfInfo) -> None:
        path = _ph.plugin_path(syms, info.buildinfo.path if info.buildinfo else None)
        info.pluginpath = path
        if path:
            info.exported = _ph.exported(syms, path)

    def _dwarf(self, img: Image, info: ElfInfo) -> None:
        info.producers = _bi.dwarf_producers(img)
        if info.producers:
            info.go = True
            versions = sorted({p.split()[2].rstrip(";") for p in info.producers})
            info.go_version, info.go_version_source = versions[0], "dwarf"
            if len(versions) > 1:
                self.problems.append(f"DWARF names several Go versions: {', '.join(versions)}")

    def _go_facts(self, img: Image, syms: Symbols, info: ElfInfo) -> None:
        names = syms.dynstr
        if info.go_version is None:
            m = re.search(
                rb"go1\.\d+(?:\.\d+)?(?:rc\d+|beta\d+)?(?=[^0-9.]|$)",
                img.blob(".rodata") or img.blob(".go.buildinfo") or b"",
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
            or ".gopclntab" in img.sections
            or ".note.go.buildid" in img.sections
        ):
            info.go = True
        if info.cgo is None and info.go and not info.dynamic:
            info.cgo = False
        if info.imports_plugin is None and info.go and not syms.dynsym()[0]:
            strs = img.blob(".strtab")
            if img.blob(".symtab") and strs:
                info.imports_plugin = b"\x00plugin.Open\x00" in strs


def _kind(info: ElfInfo) -> None:
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

"""Where the dynamic loader of this machine would find a library: ld.so.conf, the
multiarch and cross-sysroot directories, LD_LIBRARY_PATH and $ORIGIN."""

from __future__ import annotations

import os
import struct
from pathlib import Path

GNU_TRIPLET = {
    "amd64": "x86_64-linux-gnu",
    "386": "i386-linux-gnu",
    "arm64": "aarch64-linux-gnu",
    "arm": "arm-linux-gnueabihf",
    "ppc64le": "powerpc64le-linux-gnu",
    "s390x": "s390x-linux-gnu",
    "riscv64": "riscv64-linux-gnu",
}


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
        return p if _is_file(p) else None
    for d in dirs:
        p = Path(d) / soname
        if _is_file(p) and (want is None or elf_ident(p) == want):
            return p
    return None


def _is_file(p: Path) -> bool:
    """`Path.is_file`, False for a name the system refuses (too long, say: a damaged
    file's DT_NEEDED) where `is_file` raises."""
    try:
        return p.is_file()
    except (OSError, ValueError):
        return False


def expand_origin(entries: list[str], origin: Path) -> list[str]:
    return [e.replace("$ORIGIN", str(origin)).replace("${ORIGIN}", str(origin)) for e in entries]


def env_library_path() -> list[str]:
    return [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]

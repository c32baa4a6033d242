"""The ELF reader that follows a dlopen (dynobj.py, symhash.py), against binutils'
readelf: undefined references and their versions, lookups through GNU and System V hash
tables, relocation order, on 64- and 32-bit objects from gcc and the cross compilers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from matrix.diagnose.dynobj import DynObject


def _gcc(cwd: Path, *argv: str, cc: str = "gcc") -> None:
    r = subprocess.run([cc, *argv], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def _readelf_symbols(path: Path) -> list[tuple[int, str, str | None, str, str, bool]]:
    """(index, name, version, bind, ndx, default version) of every dynamic symbol, as
    binutils' readelf prints them."""
    out = subprocess.run(
        ["readelf", "--dyn-syms", "-W", str(path)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(
            r"\s*(\d+): \S+\s+\d+\s+\S+\s+(\S+)\s+\S+\s+(\S+)\s+([^@\s]+)(?:(@@?)([^@\s]+))?(?: \(\d+\))?$",
            line,
        )
        if m and m.group(1) != "0":
            idx, bind, ndx, name, at, version = m.groups()
            rows.append((int(idx), name, version, bind, ndx, at == "@@"))
    return rows


def _readelf_relocated(path: Path) -> list[str]:
    """The symbols the dynamic relocations name, each once, in table order (readelf -r)."""
    out = subprocess.run(
        ["readelf", "-rW", str(path)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    names = (
        m.group(1).split("@")[0]
        for m in re.finditer(r"^[0-9a-f]+[ \t]+[0-9a-f]+[ \t]+R_\S+[ \t]+[0-9a-f]+[ \t]+(\S+)", out, re.M)
    )
    return list(dict.fromkeys(names))


@pytest.mark.parametrize(
    ("cc", "hash_style"),
    [
        ("gcc", "gnu"),
        ("gcc", "sysv"),
        ("i686-linux-gnu-gcc", "gnu"),
        ("i686-linux-gnu-gcc", "sysv"),
        ("aarch64-linux-gnu-gcc", "gnu"),
    ],
)
def test_reader_agrees_with_readelf(tmp_path: Path, cc: str, hash_style: str) -> None:
    """The undefined references (with their versions) and the lookups through the hash
    table, for 64- and 32-bit objects with GNU and System V hash tables."""
    if shutil.which(cc) is None or shutil.which("readelf") is None:
        pytest.skip(f"{cc} or readelf is not installed")
    many = "".join(f"int matrix_long_symbol_name_{i}(void) {{ return {i}; }}\n" for i in range(300))
    (tmp_path / "lib.c").write_text(
        "int a(void){return 1;} int b(void){return 2;} int shared_data = 3;\n"
        'int b_old(void){return 0;}\n__asm__(".symver b_old,b@V1");\n' + many
    )  # hundreds of names: many hash buckets, so a wrong hash function misses
    (tmp_path / "lib.map").write_text(
        "V1 { global: a; matrix_long_*; local: *; };\nV2 { global: b; shared_data; } V1;\n"
    )
    (tmp_path / "p.c").write_text(
        "#include <stdio.h>\n#include <string.h>\nint a(void); int b(void); extern int shared_data;\n"
        'int f(const char *s) { printf("%d", (int)strlen(s)); return a() + b() + shared_data; }\n'
    )
    style = f"-Wl,--hash-style={hash_style}"
    _gcc(tmp_path, "-shared", "-fPIC", style, "-Wl,--version-script=lib.map", "-o", "libv.so", "lib.c", cc=cc)
    _gcc(tmp_path, "-shared", "-fPIC", style, "-o", "p.so", "p.c", "-L.", "-lv", cc=cc)
    for f in ("libv.so", "p.so"):
        rows = _readelf_symbols(tmp_path / f)
        assert rows, f
        with DynObject(tmp_path / f) as obj:
            want = {(n, v) for _i, n, v, bind, ndx, _d in rows if ndx == "UND" and bind != "WEAK"}
            assert {(r.name, r.version) for r in obj.undefined()} == want, f
            for _i, name, version, bind, ndx, default in rows:
                if ndx != "UND" and bind in ("GLOBAL", "WEAK"):
                    assert obj.defines(name, version), (f, name, version)
                    if default or version is None:
                        assert obj.defines(name), (f, name)
            assert not obj.defines("no_such_symbol_here")
            refs = {r.number: r.name for r in obj.undefined()}
            order = [refs[i] for i in obj.first_relocated(set(refs))]
            assert order == [n for n in _readelf_relocated(tmp_path / f) if n in refs.values()], f
            if f == "libv.so":
                assert sorted(obj.version_defs()) == ["V1", "V2"]
                assert not obj.defines("b", "V3")
                assert not obj.defines("a", "V2")

"""Symbol binding in glibc's dlopen (binding.py, dynobj.py, symhash.py): the doctor's
prediction against a real `plugin.Open` of each layout, in the fixture host.

A cgo Go plugin built against a C library that defines two functions is loaded beside
that library and beside an older build of it (same soname) that lacks one: the
`library-other-version` scenario of the grid. Small C "plugins" (gcc only) show the
rest of glibc's rules: the first relocation decides which symbol is named, a library
loaded for the plugin is relocated (and named) before the plugin, a versioned reference
names its version, weak references and unversioned references to versioned definitions
resolve. Every expected text is the real load's, taken in this run.

The reader itself (undefined references and their versions, lookups through GNU and
System V hash tables, relocation order) is checked against binutils' readelf on
64- and 32-bit objects from gcc and the cross compilers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from matrix.diagnose import binding, doctor
from matrix.diagnose.classify import classify
from matrix.diagnose.dynobj import DynObject
from tests.gofixtures import (  # noqa: F401 - the `gofix` fixture
    GoFixtures,
    _go_env,
    _run,
    gofix_fixture,
    load,
)

LIB_C = """/* matrixsym: version 1.1 (-DMATRIX_SYM_NEW) adds matrix_sym_new(). */
int matrix_sym_base(void) { return 1; }
#ifdef MATRIX_SYM_NEW
int matrix_sym_new(void) { return 2; }
#endif
"""

CGO_PLUGIN = """package main

/*
#cgo LDFLAGS: -L${SRCDIR} -l:libmatrixsym.so.1 -Wl,-rpath,$ORIGIN
int matrix_sym_base(void);
int matrix_sym_new(void);
*/
import "C"

import "example.com/dep"

type plugin struct{ name string }

var KustomizePlugin = plugin{name: dep.Name()}

// Minor calls both C functions (exported, so the linker keeps it).
func Minor() int { return int(C.matrix_sym_base()) + int(C.matrix_sym_new()) }
"""


def _gcc(cwd: Path, *argv: str, cc: str = "gcc") -> None:
    r = subprocess.run([cc, *argv], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def cgo(gofix: GoFixtures, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The cgo plugin beside the library it was built with (`present`) and beside the
    older build of it (`older`)."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    root = tmp_path_factory.mktemp("cgosym")
    src = root / "cgoplug"
    src.mkdir()
    dep = gofix.root / "dep1"
    (src / "go.mod").write_text(
        "module example.com/cgoplug\n\ngo 1.18\n\nrequire example.com/dep v0.0.0\n\n"
        f"replace example.com/dep => {dep}\n"
    )
    (src / "main.go").write_text(CGO_PLUGIN)
    (src / "sym.c").write_text(LIB_C)
    soname = ["-shared", "-fPIC", "-Wl,-soname,libmatrixsym.so.1"]
    _gcc(src, *soname, "-DMATRIX_SYM_NEW", "-o", "libmatrixsym.so.1", "sym.c")
    (src / "sym.c").rename(root / "sym.c")  # not a cgo source of the package
    err = _run(["go", "build", "-buildmode=plugin", "-o", str(root / "plugin.so"), "."], src, _go_env())
    assert err is None, err
    out = {}
    for name in ("present", "older"):
        d = root / name
        d.mkdir()
        shutil.copyfile(root / "plugin.so", d / "plugin.so")
        out[name] = d / "plugin.so"
    shutil.copyfile(src / "libmatrixsym.so.1", root / "present" / "libmatrixsym.so.1")
    _gcc(root, *soname, "-o", str(root / "older" / "libmatrixsym.so.1"), "sym.c")
    return out


@pytest.mark.slow
def test_cgo_plugin_beside_the_library_it_was_built_with_loads(
    gofix: GoFixtures, cgo: dict[str, Path]
) -> None:
    """Every symbol resolves: the C functions from the plugin's library (found through
    its run path, $ORIGIN), the C library functions from the host's libc."""
    host, plugin = gofix.hosts["host"], cgo["present"]
    rc, out = load(host, plugin)
    assert (rc, out.strip()) == (0, "loaded"), out
    pred = doctor.predict(host, plugin)
    assert pred["prediction"] == "loads", pred
    resolved = next(e for e in pred["evidence"] if "symbols the plugin and its libraries take" in e)
    assert re.search(r"\d+ from libc\.so\.6", resolved), resolved
    assert "2 from libmatrixsym.so.1" in resolved, resolved


@pytest.mark.slow
def test_cgo_plugin_beside_an_older_library_is_symbol_not_found(
    gofix: GoFixtures, cgo: dict[str, Path]
) -> None:
    """The older library (same soname) lacks matrix_sym_new: glibc refuses the plugin
    and names it; the doctor says so word for word, and why."""
    host, plugin = gofix.hosts["host"], cgo["older"]
    rc, out = load(host, plugin)
    assert rc != 0, out
    assert "undefined symbol: matrix_sym_new" in out, out
    pred = doctor.predict(host, plugin)
    assert (pred["prediction"], pred["class"]) == ("fails", "symbol-not-found"), pred
    assert pred["message"] == out.strip()
    assert classify(out).slug == "symbol-not-found"  # the error catalog agrees
    lib = plugin.parent.resolve() / "libmatrixsym.so.1"
    assert any(f"expected from libmatrixsym.so.1 ({lib})" in e for e in pred["evidence"]), pred["evidence"]
    assert pred["link"] == "https://kustomize-plugin-matrix.github.io/errors/symbol-not-found/"


@pytest.mark.slow
def test_libc_symbols_of_a_go_plugin_bind_with_their_versions(
    gofix: GoFixtures, cgo: dict[str, Path]
) -> None:
    """A Go plugin takes libc's functions with version requirements (GLIBC_2.x): each
    binds to the host's libc, which the real load confirms (test above)."""
    host, plugin = gofix.hosts["host"], cgo["present"]
    with DynObject(plugin.resolve()) as obj:
        refs = obj.undefined()
    versioned = [r for r in refs if r.file == "libc.so.6"]
    assert versioned
    assert all(r.version and r.version.startswith("GLIBC_") for r in versioned)
    link = binding.Dlopen(host, plugin.resolve(), "amd64")
    try:
        assert link.libraries() is None
        assert link.versions() is None
        assert link.symbols() is None
        assert link.resolved["libc.so.6"] == len(versioned), link.resolved
        assert not link.unreadable
    finally:
        link.close()


# C "plugins": (plugin source, plugin link flags, library sources {file: (source, flags)} built
# before the plugin, then those rebuilt after it: what the loader finds at load time)
LAYOUTS: dict[
    str, tuple[str, list[str], dict[str, tuple[str, list[str]]], dict[str, tuple[str, list[str]]]]
] = {
    # the relocation against c (a data pointer, .rela.dyn) comes before b's (.rela.plt)
    "first-relocation": (
        "int a(void); int b(void); int c(void);\nint f(void) { return a() + b() + c(); }\nint (*pc)(void) = c;\n",
        ["-lx"],
        {"libx.so.1": ("int a(void){return 1;} int b(void){return 2;} int c(void){return 3;}\n", [])},
        {"libx.so.1": ("int a(void){return 1;}\n", [])},
    ),
    # a versioned reference: b@V2; the library at load time still has V2, without b
    "version": (
        "int a(void); int b(void);\nint f(void) { return a() + b(); }\n",
        ["-lx"],
        {
            "libx.so.1": (
                "int a(void){return 1;} int b(void){return 2;}\n",
                ["V1 { global: a; local: *; };\nV2 { global: b; } V1;\n"],
            )
        },
        {
            "libx.so.1": (
                "int a(void){return 1;} int c(void){return 3;}\n",
                ["V1 { global: a; local: *; };\nV2 { global: c; } V1;\n"],
            )
        },
    ),
    # the plugin's library is relocated first: its own missing symbol is the one named
    "library-first": (
        "int a(void); int b(void);\nint f(void) { return a() + b(); }\n",
        ["-lx"],
        {
            "libz9.so.1": ("int zz(void){return 0;}\n", []),
            "libx.so.1": (
                "int zz(void);\nint a(void){return zz();} int b(void){return 2;}\n",
                ["-L.", "-lz9"],
            ),
        },
        {
            "libz9.so.1": ("int other(void){return 0;}\n", []),
            "libx.so.1": ("int zz(void);\nint a(void){return zz();}\n", ["-L.", "-lz9"]),
        },
    ),
    # weak references to what nothing defines, and an unversioned reference to a now
    # versioned library: everything binds (then the Go runtime finds no module data)
    "weak-and-unversioned": (
        "#pragma weak nowhere\nint nowhere(void);\nint a(void);\n"
        "int f(void) { return (nowhere ? nowhere() : 0) + a(); }\n",
        ["-lx"],
        {"libx.so.1": ("int a(void){return 1;}\n", [])},
        {"libx.so.1": ("int a(void){return 1;}\n", ["V1 { global: a; local: *; };\n"])},
    ),
}


def _build_lib(d: Path, name: str, source: str, flags: list[str]) -> None:
    stem = name.split(".so")[0]
    (d / f"{stem}.c").write_text(source)
    extra = [f for f in flags if not f.startswith("V")]
    maps = [f for f in flags if f.startswith("V")]
    if maps:
        (d / f"{stem}.map").write_text(maps[0])
        extra.append(f"-Wl,--version-script={stem}.map")
    _gcc(d, "-shared", "-fPIC", f"-Wl,-soname,{name}", "-Wl,-rpath,$ORIGIN", "-o", name, f"{stem}.c", *extra)
    (d / f"{stem}.so").unlink(missing_ok=True)
    (d / f"{stem}.so").symlink_to(name)  # for -l<name> at link time


@pytest.mark.slow
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_c_layouts_match_real_dlopen(gofix: GoFixtures, tmp_path: Path, layout: str) -> None:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    source, link, before, after = LAYOUTS[layout]
    for name, (src, flags) in before.items():
        _build_lib(tmp_path, name, src, flags)
    (tmp_path / "p.c").write_text(source)
    _gcc(tmp_path, "-shared", "-fPIC", "-o", "plug.so", "p.c", "-L.", *link, "-Wl,-rpath,$ORIGIN")
    for name, (src, flags) in after.items():
        _build_lib(tmp_path, name, src, flags)
    plugin = tmp_path / "plug.so"
    rc, out = load(gofix.hosts["host"], plugin)
    assert rc != 0, out
    pred = doctor.predict(gofix.hosts["host"], plugin)
    assert pred["message"], pred
    assert pred["message"] in out, f"predicted {pred}\nreal:\n{out}"
    expected = {
        "first-relocation": (plugin, "undefined symbol: c"),
        "version": (plugin, "undefined symbol: b, version V2"),
        "library-first": (tmp_path / "libx.so.1", "undefined symbol: zz"),
    }
    if layout in expected:  # what glibc said is asserted too, so a change of glibc shows
        obj, text = expected[layout]
        assert out.strip().endswith(f"{obj.resolve()}: {text}"), out
        assert pred["class"] == "symbol-not-found"
    else:
        assert "no plugin module data" in out, out
        assert pred["class"] == "no-plugin-module-data", pred


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

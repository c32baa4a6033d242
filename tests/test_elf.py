"""`matrix.diagnose.elf` and `plugin-matrix inspect` on real Go and C files, and on damaged ones."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

from matrix import UserError, cli
from matrix.cli.doctor import render_doctor
from matrix.cli.inspect import render_inspect
from matrix.diagnose import doctor, elf
from tests.gofixtures import GoFixtures, gofix_fixture  # noqa: F401 - the `gofix` fixture

FUZZ_N = int(os.environ.get("PLUGIN_MATRIX_FUZZ_N", "2000"))
FUZZ_SEED = int(os.environ.get("PLUGIN_MATRIX_FUZZ_SEED", "20260425"))
PER_INPUT_S = 2.0


@pytest.mark.slow
def test_host_facts(gofix: GoFixtures) -> None:
    h = elf.parse(gofix.hosts["host"])
    assert h.kind == "go-executable"
    assert h.elf_class == 64
    assert h.machine == "EM_X86_64"
    assert h.goarch == "amd64"
    assert h.interpreter
    assert h.dynamic
    assert "libc.so.6" in h.needed
    assert any(v.startswith("GLIBC_2.") for v in h.version_needs["libc.so.6"])
    assert h.go_version == gofix.versions["local"]
    assert h.go_version_source == "buildinfo"
    assert h.buildinfo
    assert h.buildinfo.path == "example.com/host"
    assert h.buildinfo.settings["CGO_ENABLED"] == "1"
    assert {"path": "example.com/dep", "version": "v0.0.0", "replace": "../dep1 (devel)"} in h.buildinfo.deps
    assert h.imports_plugin
    assert h.cgo
    assert h.can_load_plugins()[0] is True
    assert h.pkghash_prefix == "go:link."
    assert {"plugin", "runtime", "example.com/dep"} <= set(h.pkghashes)
    assert all(len(v) == 16 for v in h.pkghashes.values())
    assert not h.problems


@pytest.mark.slow
def test_static_host_cannot_load(gofix: GoFixtures) -> None:
    h = elf.parse(gofix.hosts.get("host-nocgo") or pytest.skip("no nocgo host"))
    assert h.kind == "go-executable"
    assert not h.dynamic
    assert h.interpreter is None
    ok, why = h.can_load_plugins()
    assert ok is False
    assert "statically linked" in why
    assert h.cgo is False


@pytest.mark.slow
def test_plugin_facts(gofix: GoFixtures) -> None:
    p = elf.parse(gofix.plugin("match"))
    assert p.kind == "go-plugin"
    assert p.type == "ET_DYN"
    assert p.interpreter is None
    assert p.pluginpath == "example.com/plug"
    assert p.exported == ["KustomizePlugin"]
    assert p.buildinfo
    assert p.buildinfo.settings["-buildmode"] == "plugin"
    assert p.check_order[0] == "example.com/dep"
    assert "runtime" in p.check_order
    assert set(p.check_order) == set(p.pkghashes)
    host = elf.parse(gofix.hosts["host"])
    assert p.pkghashes["example.com/dep"] == host.pkghashes["example.com/dep"]
    trim = elf.parse(gofix.plugin("trimpath"))
    assert trim.buildinfo
    assert trim.buildinfo.settings["-trimpath"] == "true"
    assert trim.pkghashes["example.com/dep"] != host.pkghashes["example.com/dep"]
    nosym = elf.parse(gofix.plugin("nosym"))
    assert nosym.pluginpath == "example.com/nosym"
    assert nosym.exported == ["SomethingElse"]


@pytest.mark.slow
def test_stripped_plugin_keeps_the_tables(gofix: GoFixtures) -> None:
    full, stripped = elf.parse(gofix.plugin("match")), elf.parse(gofix.plugin("stripped"))
    assert stripped.stripped
    assert not stripped.has_dwarf
    assert stripped.pkghashes == full.pkghashes
    assert stripped.check_order == full.check_order
    assert stripped.pluginpath == "example.com/plug"
    assert stripped.exported == ["KustomizePlugin"]


@pytest.mark.slow
@pytest.mark.parametrize("toolchain", ["local", "go1.19", "go1.27.3"])
def test_go_version_recovered(gofix: GoFixtures, toolchain: str) -> None:
    name = "match" if toolchain == "local" else toolchain
    if name not in gofix.plugins:
        pytest.skip(f"toolchain {toolchain} missing: {gofix.missing.get(name)}")
    p = elf.parse(gofix.plugins[name])
    want = gofix.versions[toolchain].split()[0]
    assert p.go_version == want
    assert p.kind == "go-plugin"
    assert p.pkghashes
    assert p.check_order
    if toolchain == "go1.19":
        # no .go.buildinfo in plugins before Go 1.21: the version comes from DWARF
        assert p.buildinfo is None
        assert p.go_version_source == "dwarf"
        assert p.pkghash_prefix == "go.link."
        assert any(x.startswith(f"Go cmd/compile {want}") for x in p.producers)
    else:
        assert p.go_version_source == "buildinfo"
        assert p.pkghash_prefix == "go:link."


@pytest.mark.slow
def test_go119_stripped_still_says_which_era(gofix: GoFixtures) -> None:
    p = elf.parse(gofix.plugin("go1.19-stripped"))
    assert p.kind == "go-plugin"
    assert p.pkghash_prefix == "go.link."
    assert not p.producers
    assert p.go_version_source == "pkghash-prefix"
    assert p.go_version == "go1.19-or-older"


@pytest.mark.slow
def test_non_go_objects(gofix: GoFixtures) -> None:
    c = elf.parse(gofix.plugin("c"))
    assert c.kind == "shared-object"
    assert not c.go
    assert not c.pkghashes
    assert c.go_version is None
    c32 = elf.parse(gofix.plugin("c-386"))
    assert c32.elf_class == 32
    assert c32.machine == "EM_386"
    assert c32.goarch == "386"
    arm = elf.parse(gofix.plugin("c-arm64"))
    assert arm.machine == "EM_AARCH64"
    assert arm.goarch == "arm64"
    needs = elf.parse(gofix.plugin("c-needs"))
    assert "libmatrixmissing.so" in needs.needed


@pytest.mark.slow
def test_inspect_cli(gofix: GoFixtures, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["inspect", str(gofix.plugin("match")), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["go_version"] == gofix.versions["local"]
    assert d["pluginpath"] == "example.com/plug"
    assert d["check_order"][0] == "example.com/dep"
    assert d["kind"] == "go-plugin"
    assert cli.main(["inspect", str(gofix.hosts["host"])]) == 0
    out = capsys.readouterr().out
    assert "loads plugins:     yes" in out
    assert gofix.versions["local"] in out
    assert cli.main(["inspect", str(gofix.plugin("trimpath")), "--hashes"]) == 0
    assert "example.com/dep" in capsys.readouterr().out


def _readelf(path: Path) -> tuple[list[str], list[str], dict[str, list[str]], list[str]]:
    """(DT_NEEDED, DT_RUNPATH, version needs, version definitions) as binutils' readelf
    reads them: an independent reader to hold pyelftools' answers against."""
    if shutil.which("readelf") is None:
        pytest.skip("readelf (binutils) is not installed")
    env = {"PATH": os.environ["PATH"], "LC_ALL": "C"}
    d = subprocess.run(
        ["readelf", "-W", "-d", str(path)], capture_output=True, text=True, env=env, timeout=60
    ).stdout
    v = subprocess.run(
        ["readelf", "-W", "-V", str(path)], capture_output=True, text=True, env=env, timeout=60
    ).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", d)
    runpath = [
        p for m in re.findall(r"\(RUNPATH\)\s+Library runpath: \[([^\]]*)\]", d) for p in m.split(":") if p
    ]
    needs: dict[str, list[str]] = {}
    defs: list[str] = []
    part = ""
    for line in v.splitlines():
        if line.startswith("Version needs section"):
            part = "needs"
        elif line.startswith("Version definition section"):
            part = "defs"
        elif line.startswith("Version symbols section"):
            part = ""
        elif part == "needs" and (m := re.search(r"File: (\S+)", line)):
            file = needs.setdefault(m.group(1), [])
        elif part == "needs" and (m := re.search(r"Name: (\S+)", line)):
            file.append(m.group(1))
        elif part == "defs" and (m := re.search(r"Flags: (\S+).*Name: (\S+)", line)) and m.group(1) != "BASE":
            defs.append(m.group(2))
    return needed, runpath, needs, defs


@pytest.mark.slow
def test_small_tables_agree_with_readelf(gofix: GoFixtures, tmp_path: Path) -> None:
    """DT_NEEDED, RUNPATH, version needs and definitions, read with pyelftools, are what
    binutils' readelf reads: Go host and plugin, a C library that needs another, a
    library with RUNPATH, and the system's libc (which defines GLIBC_* versions)."""
    libc = next(
        (p for p in (Path("/lib/x86_64-linux-gnu/libc.so.6"), Path("/lib64/libc.so.6")) if p.is_file()), None
    )
    rp = tmp_path / "runpath.so"
    (tmp_path / "f.c").write_text("int f(void) { return 1; }\n")
    if shutil.which("gcc"):
        subprocess.run(
            [
                "gcc",
                "-shared",
                "-fPIC",
                "-Wl,-rpath,$ORIGIN/lib:/opt/x",
                "-Wl,--enable-new-dtags",
                "-o",
                str(rp),
                "f.c",
                "-Wl,--no-as-needed",
                "-lm",
            ],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            timeout=120,
        )
    files = [gofix.hosts["host"], gofix.plugin("match"), gofix.plugin("c-needs"), gofix.plugin("go1.19")]
    files += [f for f in (libc, rp) if f is not None and f.is_file()]
    seen_defs = seen_runpath = seen_needs = False
    for f in files:
        info = elf.parse(f, digest=False)
        needed, runpath, needs, defs = _readelf(f)
        assert info.needed == needed, f
        assert info.runpath == runpath, f
        assert info.version_needs == needs, f
        assert info.version_defs == defs, f
        seen_defs = seen_defs or bool(defs)
        seen_runpath = seen_runpath or bool(runpath)
        seen_needs = seen_needs or bool(needs)
    assert seen_needs  # the comparisons were not all of empty tables
    assert seen_defs or libc is None
    assert seen_runpath or not shutil.which("gcc")


@pytest.mark.slow
def test_small_tables_are_read_by_pyelftools(gofix: GoFixtures, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dynamic table and the version tables go through pyelftools' own classes:
    with those broken, the same tables become problem lines, and nothing else does."""
    from elftools.elf.dynamic import Dynamic
    from elftools.elf.gnuversions import GNUVerDefSection, GNUVerNeedSection

    def broken(*_args: object) -> None:
        raise RuntimeError("pyelftools was asked")

    libc = next(
        (p for p in (Path("/lib/x86_64-linux-gnu/libc.so.6"), Path("/lib64/libc.so.6")) if p.is_file()), None
    )
    before = elf.parse(gofix.plugin("match"), digest=False)
    assert before.needed
    assert before.version_needs
    monkeypatch.setattr(Dynamic, "iter_tags", broken)
    monkeypatch.setattr(GNUVerNeedSection, "iter_versions", broken)
    monkeypatch.setattr(GNUVerDefSection, "iter_versions", broken)
    elf.clear_cache()
    info = elf.parse(gofix.plugin("match"), digest=False)
    said = "unreadable (RuntimeError: pyelftools was asked)"
    assert f"dynamic section: {said}" in info.problems
    assert f".gnu.version_r: {said}" in info.problems
    assert not info.needed
    assert not info.version_needs
    assert info.pkghashes == before.pkghashes  # the tables read by hand are unaffected
    if libc is not None:
        assert f".gnu.version_d: {said}" in elf.parse(libc, digest=False).problems
    elf.clear_cache()


def test_modules_are_small() -> None:
    """No module of the package (the ELF reader and the doctor among them) is over ~500 lines."""
    root = Path(__file__).resolve().parent.parent / "matrix"
    sizes = {f.relative_to(root).as_posix(): len(f.read_text().splitlines()) for f in root.rglob("*.py")}
    diagnose = ["elf", "image", "dynsym", "buildinfo", "pkghash", "dlopen", "doctor"]
    assert {f"diagnose/{m}.py" for m in diagnose} <= set(sizes)
    assert {"core/catalog.py", "diagnose/classify.py", "measure/build.py", "measure/load.py"} <= set(sizes)
    big = {name: n for name, n in sizes.items() if n > 500}
    assert not big, big


@pytest.mark.slow
def test_digest_is_optional_and_changes_nothing_else(gofix: GoFixtures) -> None:
    """parse(digest=False), what the doctor uses, reads the same facts without hashing;
    asking for the hash later hashes the file, not a stale cache entry."""
    elf.clear_cache()
    for name in ("match", "stripped", "go1.19", "c"):
        f = gofix.plugin(name)
        quick = elf.parse(f, digest=False)
        assert quick.sha256 is None
        full = elf.parse(f)
        assert full.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
        assert {**quick.as_json(), "sha256": None} == {**full.as_json(), "sha256": None}


@pytest.mark.slow
def test_without_a_section_table(gofix: GoFixtures, tmp_path: Path) -> None:
    """A plugin cut right after its loadable segments (section table, .symtab and DWARF
    gone: an interrupted copy) still loads, and the tables come through PT_DYNAMIC."""
    for name in ("match", "stripped"):
        data = gofix.plugin(name).read_bytes()
        off, n = struct.unpack_from("<Q", data, 32)[0], struct.unpack_from("<H", data, 56)[0]
        ends = [struct.unpack_from("<IIQQQQQQ", data, off + i * 56) for i in range(n)]
        cut = tmp_path / f"{name}-cut.so"
        cut.write_bytes(data[: max(p[2] + p[5] for p in ends if p[0] == 1)])
        whole, part = elf.parse(gofix.plugin(name)), elf.parse(cut)
        assert part.truncated
        assert any("section header table" in p for p in part.problems)
        assert part.kind == "go-plugin"
        assert part.needed == whole.needed
        assert part.pkghashes == whole.pkghashes
        assert part.check_order == whole.check_order
        assert part.exported == whole.exported == ["KustomizePlugin"]
        assert part.go_version == whole.go_version


def test_not_elf_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        "empty": b"",
        "text": b"hello world\n" * 20,
        "magic-only": b"\x7fELF",
        "bad-class": b"\x7fELF\x07\x01\x01" + bytes(60),
    }
    for name, data in cases.items():
        f = tmp_path / name
        f.write_bytes(data)
        with pytest.raises(UserError, match=str(f)):
            elf.parse(f)
        assert cli.main(["inspect", str(f)]) == 2
        err = capsys.readouterr().err
        assert name in err
        assert "Traceback" not in err
    with pytest.raises(UserError, match="no such file"):
        elf.parse(tmp_path / "absent")
    with pytest.raises(UserError, match="directory"):
        elf.parse(tmp_path)


# ---------------------------------------------------------------------- fuzz
def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    kind = rng.randrange(8)
    if kind == 0:  # random bit flips anywhere
        for _ in range(rng.randint(1, 64)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == 1:  # bit flips in the headers
        for _ in range(rng.randint(1, 16)):
            i = rng.randrange(min(len(b), 4096))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == 2:  # truncation
        return bytes(b[: rng.randrange(len(b))])
    elif kind in (3, 4):  # section header table corruption (64-bit little-endian files)
        shoff, shentsize, shnum = (
            struct.unpack_from("<Q", b, 0x28)[0],
            struct.unpack_from("<H", b, 0x3A)[0],
            struct.unpack_from("<H", b, 0x3C)[0],
        )
        for _ in range(rng.randint(1, 8)):
            if not shnum or shoff + shnum * 64 > len(b):
                break
            at = shoff + rng.randrange(shnum) * shentsize + rng.choice([4, 8, 24, 32, 40, 44, 56])
            width = 4 if at % 8 else 8
            val = rng.choice(
                [0, 1, 0xFFFFFFFF, rng.getrandbits(width * 8), len(b), len(b) - 1, rng.randrange(len(b))]
            )
            b[at : at + width] = (val & ((1 << (width * 8)) - 1)).to_bytes(width, "little")
    elif kind == 5:  # ELF header fields (e_shoff, e_phoff, e_shnum, e_shstrndx, class, machine)
        at = rng.choice([4, 5, 0x12, 0x20, 0x28, 0x36, 0x38, 0x3A, 0x3C, 0x3E])
        b[at] = rng.randrange(256)
    elif kind == 6:  # overwrite a window with random bytes (tables, buildinfo, dynamic ...)
        start = rng.randrange(len(b))
        n = rng.randint(1, 512)
        b[start : start + n] = rng.randbytes(min(n, len(b) - start))
    else:  # zero a window
        start = rng.randrange(len(b))
        n = rng.randint(1, 4096)
        b[start : start + n] = bytes(min(n, len(b) - start))
    return bytes(b)


@pytest.mark.slow
def test_fuzz_inspect_and_doctor_never_crash(gofix: GoFixtures, tmp_path: Path) -> None:
    """Mutated real ELF files (and random bytes): a result or a UserError, never a traceback,
    each within a time bound. PLUGIN_MATRIX_FUZZ_N sets the count (nox -s stress: 10,000+)."""
    rng = random.Random(FUZZ_SEED)
    seeds = [
        gofix.plugins[n].read_bytes()
        for n in ("match", "stripped", "go1.19", "c", "c-386", "c-needs", "c-arm64")
        if n in gofix.plugins
    ]
    host = gofix.hosts["host"]
    results = {"result": 0, "user-error": 0, "random": 0}
    slowest = 0.0
    f = tmp_path / "mutant.so"
    for i in range(FUZZ_N):
        if i % 20 == 19:
            data = rng.randbytes(rng.randint(0, 4096))
            if rng.random() < 0.5:
                data = b"\x7fELF" + data
            results["random"] += 1
        else:
            data = _mutate(rng, rng.choice(seeds))
        f.write_bytes(data)
        t = time.monotonic()
        try:
            info = elf.parse(f)
            json.dumps(info.as_json())
            render_inspect(info, hashes=True)
            render_doctor(doctor.diagnose(host, f))
            if i % 50 == 0:  # the damaged file as the host too
                doctor.predict(f, gofix.plugins["match"])
            results["result"] += 1
        except UserError as e:
            # a fuzz loop: most inputs raise nothing, so pytest.raises does not fit
            assert str(e)  # noqa: PT017
            assert "\n" not in str(e)  # noqa: PT017
            results["user-error"] += 1
        dt = time.monotonic() - t
        slowest = max(slowest, dt)
        assert dt < PER_INPUT_S, f"input {i} (seed {FUZZ_SEED}) took {dt:.2f} s"
    elf.clear_cache()
    print(f"fuzz: {FUZZ_N} inputs, {results}, slowest {slowest:.3f} s")
    assert results["result"] + results["user-error"] == FUZZ_N

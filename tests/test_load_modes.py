"""How run_load lays out each mechanism and each scenario's load mode, without Go: a
stand-in host (a shell script) reports the flags it got, every file of the cell with its
mode, and the kustomization it was given."""

from __future__ import annotations

from pathlib import Path

import pytest

from matrix.core import grid
from matrix.measure import load

HOST = r"""#!/bin/sh
for a in "$@"; do last="$a"; done
echo "ARGS: $*"
cell=$(dirname "$last")
find "$cell" -type f -printf 'FILE %m %P\n' | sort
for f in "$last"/*.yaml; do echo "== $(basename "$f")"; cat "$f"; done
"""


@pytest.fixture
def parts(tmp_path: Path) -> tuple[Path, Path, Path]:
    host = tmp_path / "host"
    host.write_text(HOST)
    host.chmod(0o755)
    built = tmp_path / "built"
    built.write_bytes(b"\x7fELF stand-in")
    lib = tmp_path / "lib"
    lib.write_bytes(b"a library")
    return host, built, lib


def files(stdout: str) -> dict[str, int]:
    """Cell file -> its permission bits, from the stand-in's listing."""
    out = {}
    for line in stdout.splitlines():
        if line.startswith("FILE "):
            _, mode, path = line.split(" ", 2)
            out[path] = int(mode, 8)
    return out


def section(stdout: str, name: str) -> str:
    rest = stdout.split(f"== {name}\n", 1)[1]
    end = rest.find("\n== ")
    return rest if end < 0 else rest[: end + 1]


def test_every_mode_is_known_to_the_grid_schema_and_the_loader() -> None:
    import json

    from matrix.core.schemas import __file__ as schemas

    doc = json.loads((Path(schemas).parent / "grid.schema.json").read_text())
    modes = doc["properties"]["scenarios"]["additionalProperties"]["properties"]["mode"]["enum"]
    assert modes == list(grid.LOAD_MODES)
    with pytest.raises(ValueError, match="unknown load mode"):
        load.run_load(Path("/bin/true"), Path("/bin/true"), "generator", "generator", "n", mode="sideways")


def test_go_plugin_standard(parts: tuple[Path, Path, Path]) -> None:
    host, built, _ = parts
    r = load.run_load(host, built, "generator", "generator", "c0123456789ab")
    assert "ARGS: build --enable-alpha-plugins " in r.stdout
    assert "plugins/matrix.example.com/v1/matrixgenerator/MatrixGenerator.so" in files(r.stdout)
    assert section(r.stdout, "kustomization.yaml") == "generators:\n- plugin.yaml\n"
    assert (r.mode, r.timeout_s) == ("standard", load.LOAD_TIMEOUT_S)
    assert r.as_record()["mode"] == "standard"


def test_exec_plugin_is_an_executable_without_so(parts: tuple[Path, Path, Path]) -> None:
    host, built, _ = parts
    r = load.run_load(host, built, "generator", "generator", "n1", mechanism="exec", timeout=30)
    f = files(r.stdout)
    exe = "plugins/matrix.example.com/v1/matrixgenerator/MatrixGenerator"
    assert f[exe] & 0o111, f
    assert not any(p.endswith(".so") for p in f)
    assert r.timeout_s == 30
    n = load.run_load(host, built, "generator", "generator", "n1", mechanism="exec", mode="not-executable")
    assert files(n.stdout)[exe] & 0o111 == 0


def test_krm_function_is_named_by_the_config_and_needs_enable_exec(parts: tuple[Path, Path, Path]) -> None:
    host, built, _ = parts
    r = load.run_load(host, built, "transformer", "transformer", "n2", mechanism="krm-function")
    assert "--enable-alpha-plugins --enable-exec " in r.stdout
    f = files(r.stdout)
    assert f["functions/MatrixTransformer"] & 0o111
    assert not any(p.startswith("plugins/") for p in f)
    cfg = section(r.stdout, "plugin.yaml")
    assert "config.kubernetes.io/function: |\n      exec:\n        path: " in cfg
    assert cfg.split("path: ", 1)[1].split("\n", 1)[0].endswith("/functions/MatrixTransformer")
    assert (
        section(r.stdout, "kustomization.yaml") == "resources:\n- input.yaml\ntransformers:\n- plugin.yaml\n"
    )
    # No plugin home: the KRM function is still where its annotation points.
    h = load.run_load(
        host, built, "generator", "generator", "n", mechanism="krm-function", mode="no-plugin-home"
    )
    assert "functions/MatrixGenerator" in files(h.stdout)


def test_no_alpha_flag_no_plugin_home_and_misplaced(parts: tuple[Path, Path, Path]) -> None:
    host, built, _ = parts
    r = load.run_load(host, built, "generator", "generator", "n", mode="no-alpha-flag")
    assert "--enable-alpha-plugins" not in r.stdout
    assert r.command[:3] == ["$HOST_BIN", "build", "$CELL/kustomization"]
    h = load.run_load(host, built, "generator", "generator", "n", mode="no-plugin-home")
    assert not any(p.startswith("plugins/") for p in files(h.stdout))
    m = load.run_load(host, built, "generator", "generator", "n", mode="misplaced")
    assert "plugins/matrix.example.com/v1/MatrixGenerator/MatrixGenerator.so" in files(m.stdout)


@pytest.mark.parametrize(
    ("mode", "installed"),
    [
        ("standard", {"libx.so.1": b"current"}),
        ("library-absent", {}),
        ("library-other-version", {"libx.so.1": b"older"}),
    ],
)
def test_companion_libraries_per_mode(
    parts: tuple[Path, Path, Path], tmp_path: Path, mode: str, installed: dict[str, bytes]
) -> None:
    host, built, _ = parts
    cur, old = tmp_path / "cur", tmp_path / "old"
    cur.write_bytes(b"current")
    old.write_bytes(b"older")
    comps = (("libx.so.1", cur), ("libx-1.0/libx.so.1", old))
    r = load.run_load(host, built, "clib", "generator", "n", mode=mode, companions=comps)
    d = "plugins/matrix.example.com/v1/matrixclib/"
    libs = {p[len(d) :] for p in files(r.stdout) if p.startswith(d) and not p.endswith(".so")}
    assert libs == set(installed)


def test_wrong_list_and_together(parts: tuple[Path, Path, Path]) -> None:
    host, built, _ = parts
    w = load.run_load(host, built, "transformer", "transformer", "n", mode="wrong-list")
    assert section(w.stdout, "kustomization.yaml") == "resources:\n- input.yaml\ngenerators:\n- plugin.yaml\n"
    other = load.Piece("samepath-transformer", "transformer", built)
    t = load.run_load(host, built, "samepath-generator", "generator", "n", mode="together", others=(other,))
    assert section(t.stdout, "kustomization.yaml") == (
        "resources:\n- input.yaml\ngenerators:\n- plugin.yaml\ntransformers:\n- with-1.yaml\n"
    )
    f = files(t.stdout)
    assert "plugins/matrix.example.com/v1/matrixsamepathgenerator/MatrixSamepathGenerator.so" in f
    assert "plugins/matrix.example.com/v1/matrixsamepathtransformer/MatrixSamepathTransformer.so" in f
    assert "kind: MatrixSamepathTransformer" in section(t.stdout, "with-1.yaml")


def test_a_cell_loads_only_when_every_plugin_left_its_evidence() -> None:
    both = "nonce: n\n---\nmetadata:\n  annotations:\n    matrix.example.com/transformed: n\n"
    assert load.evidence_seen(both, "generator", "n")
    assert load.evidence_seen(both, "transformer", "n")
    assert not load.evidence_seen("nonce: n\n", "transformer", "n")


def test_kind_names() -> None:
    assert load.kind_of("generator") == "MatrixGenerator"
    assert load.kind_of("thirdparty") == "MatrixThirdparty"
    assert load.kind_of("samepath-generator") == "MatrixSamepathGenerator"

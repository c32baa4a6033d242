"""recipe / build-plugin on real Go hosts: the plugin built by the recipe really loads."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from matrix.cli import main
from matrix.diagnose import recipe
from matrix.measure.build_plugin import build_plugin
from tests.gofixtures import HOST_MAIN

# The doctor tests' fixture host and plugin, without their local dependency module (a
# directory replacement a recipe cannot carry into a copy of the plugin's directory).
HOST = HOST_MAIN.replace('\t"example.com/dep"\n', "").replace("\t_ = dep.Name()\n", "")
PLUGIN = 'package main\n\nimport "fmt"\n\nvar KustomizePlugin = fmt.Sprint("plugin")\n'

VARIANTS = {
    "plain": ([], {}),
    "trimpath": (["-trimpath"], {}),
    "debug": (["-gcflags=all=-N -l"], {}),
    "race": (["-race"], {}),
    "nocgo": ([], {"CGO_ENABLED": "0"}),
}


def _env(extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "CGO_ENABLED": "1", **extra}


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("recipe")
    (root / "host").mkdir()
    (root / "host" / "go.mod").write_text("module example.com/host\n\ngo 1.21\n")
    (root / "host" / "main.go").write_text(HOST)
    (root / "plug").mkdir()
    (root / "plug" / "main.go").write_text(PLUGIN)  # no go.mod: build-plugin writes one
    out = {}
    for name, (flags, env) in VARIANTS.items():
        dest = root / f"host-{name}"
        subprocess.run(
            ["go", "build", *flags, "-o", str(dest), "."],
            cwd=root / "host",
            env=_env(env),
            check=True,
            capture_output=True,
            timeout=600,
        )
        out[name] = dest
    out["plug"] = root / "plug"
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variant", "flags"),
    [("plain", []), ("trimpath", ["-trimpath"]), ("debug", ["-gcflags=all=-N -l"]), ("race", ["-race"])],
)
def test_recipe_reads_the_host_flags_and_its_plugin_really_loads(
    hosts: dict[str, Path], tmp_path: Path, variant: str, flags: list[str]
) -> None:
    host = hosts[variant]
    r = recipe.derive(host)
    assert r.can_load is True
    assert r.flags == flags
    assert r.go_version
    assert r.go_version.startswith("go1.")
    so = tmp_path / "Kind.so"
    oc = build_plugin(host, hosts["plug"], so)
    assert oc.built, "\n".join(oc.log)[-3000:]
    assert not (hosts["plug"] / "go.mod").exists()  # the source directory is never changed
    load = subprocess.run([str(host), str(so)], capture_output=True, text=True, timeout=120)
    assert (load.returncode, load.stdout.strip()) == (0, "loaded"), load.stderr
    if variant != "plain":  # and a plain plugin does not load into this host: the flags matter
        plain = tmp_path / "plain.so"
        assert build_plugin(hosts["plain"], hosts["plug"], plain).built
        bad = subprocess.run([str(host), str(plain)], capture_output=True, text=True, timeout=120)
        assert bad.returncode != 0
        assert "different version of package" in bad.stdout + bad.stderr


@pytest.mark.slow
def test_recipe_says_first_when_a_host_cannot_load_plugins(
    hosts: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host = hosts["nocgo"]
    assert main(["recipe", "--for", str(host)]) == 1
    out = capsys.readouterr().out
    assert "CANNOT load Go plugins" in out
    assert "/errors/plugin-not-implemented/" in out
    assert main(["recipe", "--for", str(host), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["can_load"] is False
    assert doc["blocker"] == "plugin-not-implemented"
    assert "build_command" not in doc
    so = tmp_path / "x.so"
    assert main(["build-plugin", "--for", str(host), str(hosts["plug"]), "-o", str(so)]) == 1
    assert not so.exists()  # nothing was built


@pytest.mark.slow
def test_recipe_json_has_a_ready_require_block_and_command(
    hosts: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["recipe", "--for", str(hosts["debug"]), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["go_mod_require"].startswith("require (")
    assert "-buildmode=plugin" in doc["build_command"]
    assert "'-gcflags=all=-N -l'" in doc["build_command"]
    assert doc["build_env"]["CGO_ENABLED"] == "1"


def test_bad_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk"
    junk.write_bytes(b"not an elf")
    assert main(["recipe", "--for", str(junk)]) == 2
    assert main(["recipe", "--for", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert str(junk) in err
    assert "Traceback" not in err

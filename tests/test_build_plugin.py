"""build-plugin and recipe --plugin on the plugins authors really have (tests/plugins/):
real `go build`, and real loads into kustomize v5.8.2 built the way `go install` builds it
(CGO_ENABLED=1), or into a small Go host that calls plugin.Open where the point is a host
built another way (-trimpath, another module cache).

The kustomize host is built once per session (1-3 min with a cold Go cache, seconds warm).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from matrix.cli import main
from matrix.diagnose import plan
from matrix.measure.build_plugin import build_plugin
from matrix.measure.load import run_load

PLUGINS = Path(__file__).resolve().parent / "plugins"
KUSTOMIZE = "sigs.k8s.io/kustomize/kustomize/v5@v5.8.2"

SMALL_HOST = """package main

import (
\t"fmt"
\t"os"
\t"plugin"

\t"golang.org/x/text/transform"
)

func main() {
\t// Uses x/text at run time, so its source paths stay in the binary (the recipe reads the
\t// module cache's path from them).
\tname, _, _ := transform.String(transform.Nop, os.Args[1])
\tp, err := plugin.Open(name)
\tif err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
\tif _, err := p.Lookup("KustomizePlugin"); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
\tfmt.Println("loaded")
}
"""
SMALL_PLUGIN = 'package main\n\nimport "golang.org/x/text/transform"\n\nvar KustomizePlugin = transform.Nop\n'


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "CGO_ENABLED": "1", "GOWORK": "off"}
    return {**env, **(extra or {})}


def _go(args: list[str], cwd: Path, extra: dict[str, str] | None = None) -> None:
    r = subprocess.run(["go", *args], cwd=cwd, env=_env(extra), capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr


def tree_hash(root: Path) -> str:
    """Every file under `root`: path, mode and content."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        if p.is_file():
            h.update(oct(p.stat().st_mode).encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="session")
def kustomize(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """kustomize v5.8.2 as `CGO_ENABLED=1 go install` builds it (Go on PATH, module cache)."""
    if shutil.which("go") is None:
        pytest.skip("no `go` on PATH")
    gobin = tmp_path_factory.mktemp("kustomize-bin")
    _go(["install", KUSTOMIZE], gobin, {"GOBIN": str(gobin)})
    return gobin / "kustomize"


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small hosts linking golang.org/x/text v0.42.0: plain, -trimpath, and one built with
    another module cache (a container's GOPATH); and a plugin directory that uses x/text."""
    root = tmp_path_factory.mktemp("small")
    src = root / "host"
    src.mkdir()
    (src / "go.mod").write_text(
        "module example.com/smallhost\n\ngo 1.24\n\nrequire golang.org/x/text v0.42.0\n"
    )
    (src / "main.go").write_text(SMALL_HOST)
    out = {}
    for name, flags, extra in (
        ("plain", [], {}),
        ("trimpath", ["-trimpath"], {}),
        ("container", [], {"GOMODCACHE": str(root / "gopath" / "pkg" / "mod")}),
    ):
        _go(["build", *flags, "-o", str(root / name), "."], src, extra)
        out[name] = root / name
    plug = root / "plug"
    plug.mkdir()
    (plug / "go.mod").write_text(
        "module example.com/smallplug\n\ngo 1.24\n\nrequire golang.org/x/text v0.41.0\n"
    )
    (plug / "main.go").write_text(SMALL_PLUGIN)
    _go(["mod", "tidy"], plug)
    out["plug"] = plug
    return out


def small_load(host: Path, so: Path) -> tuple[int, str]:
    r = subprocess.run([str(host), str(so)], capture_output=True, text=True, timeout=120)
    return r.returncode, (r.stdout + r.stderr).strip()


@pytest.fixture
def plugins_unchanged() -> Iterator[None]:
    """The plugin directories (and the libraries beside them) are never written to."""
    before = tree_hash(PLUGINS)
    yield
    assert tree_hash(PLUGINS) == before, "build-plugin changed a plugin's directory"


@pytest.fixture(scope="session")
def vendored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/plugins/vendored with its vendor/ tree (vendor/modules.txt), at its own older versions."""
    d = tmp_path_factory.mktemp("vendored") / "vendored"
    shutil.copytree(PLUGINS / "vendored", d)
    _go(["mod", "tidy"], d)
    _go(["mod", "vendor"], d)
    assert (d / "vendor" / "modules.txt").is_file()
    return d


SHAPES = {
    # name: (directory under tests/plugins, kind)
    "kyaml-transformer": ("kyaml-transformer", "transformer"),
    "gonewer": ("gonewer", "generator"),
    "replaced": ("replaced/plugin", "generator"),
    "workspace": ("workspace/plugin", "generator"),
    "subdirectory": ("bigrepo/plugins/configmap", "generator"),
    "cgo": ("cgo", "generator"),
    "links": ("links", "generator"),
    "unlinked": ("unlinked", "generator"),
    "overlap": ("overlap", "generator"),
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", [*SHAPES, "vendored"])
@pytest.mark.usefixtures("plugins_unchanged")
def test_each_plugin_shape_really_loads_into_kustomize(
    kustomize: Path, vendored: Path, tmp_path: Path, shape: str
) -> None:
    src, kind = (str(vendored), "generator") if shape == "vendored" else SHAPES[shape]
    d = Path(src) if shape == "vendored" else PLUGINS / src
    before = tree_hash(d)
    so = tmp_path / "Kind.so"
    oc = build_plugin(kustomize, d, so)
    assert oc.plan.problems == []
    assert oc.built, "\n".join(oc.log)[-3000:]
    assert tree_hash(d) == before
    nonce = f"t-{uuid.uuid4().hex[:12]}"  # never a YAML number (kustomize would print it quoted)
    load = run_load(kustomize, so, kind, kind, nonce)
    assert load.outcome == "loads", load.stderr
    pi = oc.plan.plugin
    assert pi is not None
    if shape == "gonewer":
        assert (oc.plan.go_line.plugin, oc.plan.go_line.action, oc.plan.go_line.use) == (
            "1.27.3",
            "lower",
            "1.26.8",
        )
    elif shape == "replaced":
        assert [r["action"] for r in pi.replaces] == ["made absolute"]
        assert pi.replaces[0]["why"].endswith(f"(=> {PLUGINS / 'replaced' / 'nonce'})")
    elif shape == "workspace":
        assert pi.workspace is not None
        assert pi.workspace["file"] == str(PLUGINS / "workspace" / "go.work")
        # the workspace's library says go 1.27.3: it is copied and lowered, never edited in place
        assert [r["action"] for r in pi.replaces] == ["copied, go line lowered"]
    elif shape == "subdirectory":
        assert (pi.module, pi.package, pi.module_root) == (
            "example.com/bigrepo",
            "./plugins/configmap",
            str(PLUGINS / "bigrepo"),
        )
    elif shape == "cgo":
        assert pi.cgo_files == ["main.go"]
    elif shape == "overlap":
        (c,) = pi.conflicts
        assert c["required_by"][0] == "golang.org/x/net@v0.63.0 requires golang.org/x/text@v0.44.0"
        assert c["host_version"] == "v0.42.0"
        assert [(d["module"], d["from"], d["to"]) for d in pi.downgrades] == [
            ("golang.org/x/net", "v0.63.0", "v0.60.0")
        ]
    elif shape == "vendored":
        # kustomize from `go install` is untrimmed: module-cache paths are in its fingerprints
        assert pi.vendor is not None
        assert pi.vendor["mode"] == "mod"


@pytest.mark.slow
@pytest.mark.usefixtures("plugins_unchanged")
def test_code_that_needs_a_newer_go_is_named(
    kustomize: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    so = tmp_path / "Kind.so"
    assert main(["build-plugin", "--for", str(kustomize), str(PLUGINS / "needs-go127"), "-o", str(so)]) == 1
    out = capsys.readouterr().out
    assert not so.exists()
    assert "[go-too-new]" in out
    assert "main.go:26:24" in out
    assert "strings.CutLast" in out
    assert "go1.27" in out
    # the same answer from the plan alone
    assert main(["recipe", "--for", str(kustomize), "--plugin", str(PLUGINS / "needs-go127"), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False
    assert [p["kind"] for p in doc["problems"]] == ["go-too-new"]
    assert "strings.CutLast" in doc["problems"][0]["message"]


@pytest.mark.slow
@pytest.mark.usefixtures("plugins_unchanged")
def test_a_conflict_names_the_requirement_and_the_fix(
    kustomize: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["recipe", "--for", str(kustomize), "--plugin", str(PLUGINS / "overlap"), "--json"]
    assert main([*argv, "--no-downgrade"]) == 1
    doc = json.loads(capsys.readouterr().out)
    (p,) = doc["problems"]
    assert p["kind"] == "version-conflict"
    assert "golang.org/x/net@v0.63.0 requires golang.org/x/text@v0.44.0" in p["message"]
    assert "host links golang.org/x/text v0.42.0" in p["message"]
    assert "older golang.org/x/net" in p["fix"]
    assert "host built with golang.org/x/text v0.44.0" in p["fix"]
    assert main(argv) == 0  # by default the plan downgrades golang.org/x/net, and says so
    doc = json.loads(capsys.readouterr().out)
    assert doc["plugin"]["downgrades"][0]["to"] == "v0.60.0"
    assert any(s["argv"][1:3] == ["get", "golang.org/x/text@v0.42.0"] for s in doc["steps"])


@pytest.mark.slow
@pytest.mark.usefixtures("plugins_unchanged")
def test_the_printed_script_is_exactly_what_builds_a_plugin_that_loads(
    kustomize: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["recipe", "--for", str(kustomize), "--plugin", str(PLUGINS / "workspace" / "plugin"), "--json"])
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    r = subprocess.run(
        ["bash", "-c", doc["script"]], cwd=tmp_path, capture_output=True, text=True, timeout=900
    )
    assert r.returncode == 0, r.stderr
    so = tmp_path / "MyKind.so"
    assert so.is_file()
    load = run_load(kustomize, so, "generator", "generator", f"t-{uuid.uuid4().hex[:12]}")
    assert load.outcome == "loads", load.stderr


@pytest.mark.slow
def test_recipe_prints_the_complete_plan(kustomize: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recipe", "--for", str(kustomize)]) == 0
    text = capsys.readouterr().out
    for want in (
        "go line         at most 1.26.8",
        "pins            33 modules",
        "environment     CGO_ENABLED=1",
        "GOWORK=off",
        "go mod edit -go=1.26.8 -toolchain=none",
        "-require=sigs.k8s.io/kustomize/api@v0.21.2",
        'go build -buildmode=plugin -o "$HERE/MyKind.so" .',
    ):
        assert want in text, want
    assert main(["recipe", "--for", str(kustomize), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # every key is documented in matrix/diagnose/plan.py's docstring, as `key`
    assert plan.__doc__ is not None
    undocumented = [k for k in doc if not re.search(rf"[\s(`]{k}[`,)]", plan.__doc__)]
    assert undocumented == []
    assert doc["ok"] is True
    assert doc["plugin"] is None
    assert doc["go_line"]["max"] == "1.26.8"
    assert doc["pins"]["sigs.k8s.io/kustomize/api"] == "v0.21.2"
    assert set(doc["go_line"]) == {"max", "plugin", "toolchain", "use", "action", "why"}
    assert all(set(s) == {"argv", "cwd", "why"} for s in doc["steps"])


@pytest.mark.slow
def test_vendor_tree_is_re_vendored_for_a_trimpath_host_and_ignored_for_an_untrimmed_one(
    small: dict[str, Path], tmp_path: Path
) -> None:
    plug = tmp_path / "vplug"
    shutil.copytree(small["plug"], plug)
    _go(["mod", "vendor"], plug)  # vendored at x/text v0.41.0; the hosts link v0.42.0
    before = tree_hash(plug)
    for host, mode in (("trimpath", "vendor"), ("plain", "mod")):
        so = tmp_path / f"{host}.so"
        oc = build_plugin(small[host], plug, so)
        assert oc.built, "\n".join(oc.log)[-3000:]
        assert oc.plan.plugin is not None
        assert oc.plan.plugin.vendor is not None
        assert oc.plan.plugin.vendor["mode"] == mode
        assert any(s.argv[1:3] == ["mod", "vendor"] for s in oc.plan.steps) == (mode == "vendor")
        assert small_load(small[host], so) == (0, "loaded")
    assert tree_hash(plug) == before


@pytest.mark.slow
def test_a_host_built_with_another_module_cache_gets_a_plugin_built_with_that_cache(
    small: dict[str, Path], tmp_path: Path
) -> None:
    oc = build_plugin(small["container"], small["plug"], tmp_path / "c.so")
    assert oc.built, "\n".join(oc.log)[-3000:]
    cache = str(small["container"].parent / "gopath" / "pkg" / "mod")
    assert oc.plan.env["GOMODCACHE"] == cache
    assert small_load(small["container"], tmp_path / "c.so") == (0, "loaded")
    # the plugin built for the host that used the machine's own module cache does not load
    other = build_plugin(small["plain"], small["plug"], tmp_path / "p.so")
    assert other.built
    code, text = small_load(small["container"], tmp_path / "p.so")
    assert code == 1
    assert "different version of package golang.org/x/text/transform" in text


def _file_proxy(root: Path) -> Path:
    """A module proxy in files: example.com/newdep v1.0.0 (go 1.21) and v1.1.0 (go 1.27.3)."""
    d = root / "example.com" / "newdep" / "@v"
    d.mkdir(parents=True)
    versions = {"v1.0.0": "1.21", "v1.1.0": "1.27.3"}
    (d / "list").write_text("\n".join(versions) + "\n")
    for v, go in versions.items():
        mod = f"module example.com/newdep\n\ngo {go}\n"
        (d / f"{v}.mod").write_text(mod)
        (d / f"{v}.info").write_text(json.dumps({"Version": v, "Time": "2025-01-01T00:00:00Z"}))
        with zipfile.ZipFile(d / f"{v}.zip", "w") as z:
            z.writestr(f"example.com/newdep@{v}/go.mod", mod)
            z.writestr(
                f"example.com/newdep@{v}/dep.go", 'package newdep\n\nfunc Name() string { return "x" }\n'
            )
    return root


@pytest.mark.slow
def test_a_dependency_whose_go_mod_needs_a_newer_go(
    small: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    proxy = _file_proxy(tmp_path / "proxy")
    upstream = subprocess.run(["go", "env", "GOPROXY"], capture_output=True, text=True, check=True).stdout
    monkeypatch.setenv("GOPROXY", f"file://{proxy},{upstream.strip()}")
    monkeypatch.setenv("GONOSUMDB", "example.com")
    plug = tmp_path / "plug"
    plug.mkdir()
    (plug / "go.mod").write_text("module example.com/p\n\ngo 1.24\n\nrequire example.com/newdep v1.1.0\n")
    (plug / "main.go").write_text(
        'package main\n\nimport "example.com/newdep"\n\nvar KustomizePlugin = newdep.Name()\n'
    )
    so = tmp_path / "p.so"
    argv = ["build-plugin", "--for", str(small["plain"]), str(plug), "-o", str(so), "--json"]
    assert main([*argv, "--no-downgrade"]) == 1
    doc = json.loads(capsys.readouterr().out)
    (p,) = doc["problems"]
    assert p["kind"] == "dependency-needs-newer-go"
    assert p["message"].startswith("example.com/newdep@v1.1.0's go.mod requires go >= 1.27.3")
    assert "require example.com/newdep v1.0.0" in p["fix"]
    assert not so.exists()
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["plugin"]["downgrades"] == [
        {
            "module": "example.com/newdep",
            "from": "v1.1.0",
            "to": "v1.0.0",
            "why": "example.com/newdep@v1.1.0's go.mod says go 1.27.3",
        }
    ]
    assert small_load(small["plain"], so) == (0, "loaded")


@pytest.mark.slow
def test_bad_input_is_one_line_and_exit_2(
    small: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host = str(small["plain"])
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README").write_text("no Go here\n")
    badmod = tmp_path / "badmod"
    badmod.mkdir()
    (badmod / "go.mod").write_text("module example.com/bad\n\ngo 1.24\n\nrequire (\n")
    (badmod / "main.go").write_text(SMALL_PLUGIN)
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "lib.go").write_text("package lib\n")
    badrep = tmp_path / "badrep"
    badrep.mkdir()
    (badrep / "go.mod").write_text("module example.com/r\n\ngo 1.24\n\nreplace example.com/x => ../nowhere\n")
    (badrep / "main.go").write_text(SMALL_PLUGIN)
    notgo = tmp_path / "notgo"
    notgo.write_text("#!/bin/sh\necho hi\n")
    cases = [
        ([host, str(empty)], str(empty), "no Go source files"),
        ([host, str(tmp_path / "missing")], "missing", "no such directory"),
        ([host, str(badmod)], str(badmod / "go.mod"), "does not parse"),
        ([host, str(lib)], str(lib), "package main"),
        ([host, str(badrep)], "nowhere", "has no go.mod"),
        ([str(notgo), str(small["plug"])], str(notgo), "not"),
    ]
    for (h, d), names, says in cases:
        for cmd in (
            ["build-plugin", "--for", h, d, "-o", str(tmp_path / "x.so")],
            ["recipe", "--for", h, "--plugin", d],
        ):
            assert main(cmd) == 2, cmd
            err = capsys.readouterr().err
            assert "Traceback" not in err
            assert len(err.strip().splitlines()) == 1, err
            assert names in err
            assert says in err
    assert not (tmp_path / "x.so").exists()

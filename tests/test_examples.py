"""The worked example per release (matrix.site.pages.examples, issue 14).

Fast tests: which cell each release's example follows, what the files say (go.mod pins
exactly the modules the recorded kustomize linked, no internal name), the archive's bytes
(deterministic), the page (the README's commands, no path of this machine).

The slow test builds the real site with `mkdocs build --strict`, extracts each release's
archive from it and runs the commands of the archive's README (the same as the page's, which
it checks) in a temporary directory with a fresh plugin home, against the real kustomize
binary the cell loaded into (the artifact cache holds it; its sha256 is the record's).
The README's step that builds kustomize is the one step it does not run: that binary
stands in for it."""

from __future__ import annotations

import copy
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from matrix.core.catalog_cache import user_cache_dir
from matrix.dataset import frame as dataset
from matrix.site import build as site
from matrix.site import context
from matrix.site.context import Context
from matrix.site.pages import examples as ex_mod
from tests.sitekit import DATA, data_dir_of, mkdocs_build, synthetic_record

CTX = Context(reference={"release": "v5.8.2", "toolchain": "go1.26.8", "plugin": "generator"})
MACHINE = re.compile(r"/root\b|/home/|/tmp/|/usr/local/go|\$WORK|\$CELL|\$GOMODCACHE|\$GOROOT|matrix\.local")


def other_mechanism(r: dict[str, Any], mech: str) -> dict[str, Any]:
    """The synthetic record `r` as if measured with another mechanism (its own cell id)."""
    r = copy.deepcopy(r)
    r["plugin"]["mechanism"] = mech
    r["cell"] = "c" + hashlib.sha256(f"{r['cell']}/{mech}".encode()).hexdigest()[:12]
    return r


def requires(go_mod: str) -> dict[str, str]:
    """module -> version of every `require` of a go.mod (blocks and single lines)."""
    out: dict[str, str] = {}
    block = False
    for line in go_mod.splitlines():
        s = line.split("//", 1)[0].strip()
        if s == "require (":
            block = True
        elif block and s == ")":
            block = False
        elif block and s:
            m, v = s.split()
            out[m] = v
        elif s.startswith("require "):
            m, v = s.split()[1:3]
            out[m] = v
    return out


@pytest.fixture(scope="module")
def real() -> tuple[pd.DataFrame, Context]:
    return dataset.site_frame(DATA), context.load(DATA)


def real_examples(real: tuple[pd.DataFrame, Context]) -> list[ex_mod.Example]:
    return ex_mod.examples(real[0], real[1], DATA)


# ---------------------------------------------------------------- which cell


def test_a_release_gets_an_example_only_when_a_go_plugin_loaded_there(tmp_path: Path) -> None:
    recs = [
        synthetic_record(release="v5.8.2"),
        synthetic_record(release="v5.8.2", host_tc="go1.27.3", plugin_tc="go1.27.3"),
        synthetic_record(release="v5.7.1", host_tc="go1.26.8", plugin_tc="go1.27.3", outcome="fails"),
        # an exec plugin that loaded is no Go plugin example
        other_mechanism(synthetic_record(release="v5.6.0"), "exec"),
        # a Go plugin that loaded into a host of another release (an upgrade cell) is none either
        synthetic_record(release="v5.5.0", outcome="loads", axes=["upgrade"]),
    ]
    recs[-1]["plugin"]["release"] = "v5.4.3"
    df = dataset.frame(recs)
    got = ex_mod.candidates(df, CTX)
    assert list(got) == ["v5.8.2"]
    # the reference Go release first
    assert got["v5.8.2"] == [recs[0]["cell"], recs[1]["cell"]]
    exs = ex_mod.examples(df, CTX, data_dir_of(recs, tmp_path / "data"))
    assert [(e.release, e.cell, e.go) for e in exs] == [("v5.8.2", recs[0]["cell"], "go1.26.8")]


def test_default_flags_and_the_generator_come_first_else_the_newest_go() -> None:
    recs = [
        synthetic_record(release="v5.8.2", host_variant="trimpath", plugin_variant="trimpath"),
        synthetic_record(release="v5.8.2", plugin="transformer"),
        synthetic_record(release="v5.8.2", host_tc="go1.27.3", plugin_tc="go1.27.3"),
        synthetic_record(release="v5.8.2", host_tc="go1.19.8", plugin_tc="go1.19.8"),
        synthetic_record(release="v5.8.2", host_tc="go1.27.3", plugin_tc="go1.27.3", plugin="transformer"),
    ]
    df = dataset.frame(recs)
    ctx = Context(reference={"toolchain": "go1.99.0", "plugin": "generator"})  # not measured: newest Go
    assert ex_mod.candidates(df, ctx)["v5.8.2"][:3] == [recs[2]["cell"], recs[3]["cell"], recs[4]["cell"]]
    by_ref = ex_mod.candidates(df, CTX)["v5.8.2"]
    assert by_ref[-1] == recs[0]["cell"]  # flags last


def test_a_record_without_the_hosts_modules_gives_way_to_the_next_cell(tmp_path: Path) -> None:
    first = synthetic_record(release="v5.8.2")
    first["host"]["build"]["modules"] = {}  # nothing to pin: no example from it
    second = synthetic_record(release="v5.8.2", host_tc="go1.27.3", plugin_tc="go1.27.3")
    assert ex_mod.example_of(first) is None
    recs = [first, second]
    exs = ex_mod.examples(dataset.frame(recs), CTX, data_dir_of(recs, tmp_path / "d"))
    assert [(e.cell, e.go) for e in exs] == [(second["cell"], "go1.27.3")]


# ---------------------------------------------------------------- the files


def test_go_mod_pins_exactly_what_the_recorded_kustomize_linked(real: tuple[pd.DataFrame, Context]) -> None:
    exs = real_examples(real)
    assert exs, "no Go plugin loaded in the committed dataset"
    for ex in exs:
        rec = json.loads((DATA / "cells" / f"{ex.cell}.json").read_text())
        assert rec["outcome"] == "loads"
        assert rec["plugin"]["mechanism"] == "go-plugin"
        assert rec["host"]["release"] == rec["plugin"]["release"] == ex.release
        files = ex_mod.files(ex)
        gm = files["go.mod"]
        assert re.search(r"^module example\.com/greetinggenerator$", gm, re.M)
        assert requires(gm) == rec["host"]["build"]["modules"]
        # the go.mod kustomize was built from, only renamed
        recorded = re.sub(
            r"^module \S+",
            f"module {ex_mod.HOST_MODULE}",
            rec["host"]["build"]["go_mod"],
            count=1,
            flags=re.M,
        )
        assert files["host/go.mod"] == recorded
        assert ex.go == rec["host"]["toolchain"]["goenv"]["GOVERSION"]
        assert ex.go_version == rec["host"]["toolchain"]["version"]
        for name, text in files.items():
            assert not MACHINE.search(text), (ex.release, name, MACHINE.search(text))
        assert "matrix" not in gm
        assert "matrix" not in files["host/go.mod"]


def test_commands_name_the_exact_go_the_flags_and_the_plugin_home() -> None:
    r = synthetic_record(release="v5.8.2", host_variant="trimpath", plugin_variant="trimpath")
    ex = ex_mod.example_of(r)
    assert ex is not None
    cmd = ex_mod.commands(ex)
    assert list(cmd) == list(ex_mod.STEPS)
    assert cmd["go"].splitlines()[0] == "export GOTOOLCHAIN=go1.26.8 CGO_ENABLED=1 GOFLAGS=-mod=mod"
    assert "go build -trimpath -o ../kustomize sigs.k8s.io/kustomize/kustomize/v5" in cmd["host"]
    assert 'go build -buildmode=plugin -trimpath -o "$PLUGIN_DIR/GreetingGenerator.so" .' in cmd["plugin"]
    assert (
        'PLUGIN_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/kustomize/plugin/example.com/v1/greetinggenerator"'
        in cmd["plugin"]
    )
    assert cmd["run"] == "./kustomize build --enable-alpha-plugins ."
    readme = ex_mod.readme(ex)
    for key, title in ex_mod.STEPS.items():
        assert f"```sh\n{cmd[key]}\n```" in readme
        assert title in readme
    assert ex_mod.expected_output(ex) in readme + "\n"


def test_archive_bytes_are_deterministic_and_hold_the_files() -> None:
    ex = ex_mod.example_of(synthetic_record(release="v5.8.2"))
    assert ex is not None
    blob = ex_mod.archive(ex)
    assert blob == ex_mod.archive(ex)
    assert ex.archive_name == "kustomize-v5.8.2-plugin-example.tar.gz"
    assert blob[:2] == b"\x1f\x8b"
    assert blob[4:8] == b"\0\0\0\0"  # no time in the gzip header
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert names == sorted(names)
        assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(ex_mod.MTIME, 0, 0, "", "")}
        assert all(n == ex.root or n.startswith(ex.root + "/") for n in names)
        got = {}
        for m in members:
            if m.isfile():
                assert m.mode == 0o644
                f = tar.extractfile(m)
                assert f is not None
                got[m.name.removeprefix(ex.root + "/")] = f.read().decode()
            else:
                assert m.isdir()
                assert m.mode == 0o755
    assert got == ex_mod.files(ex)


def test_page_shows_the_files_and_commands_and_links_cell_release_and_archive() -> None:
    ex = ex_mod.example_of(synthetic_record(release="v5.8.2"))
    assert ex is not None
    text = ex_mod.page(ex, 1234)
    assert f"[{ex.archive_name}](v5.8.2/{ex.archive_name}) (1234 bytes)" in text
    assert f"(../cells/{ex.cell[:3]}.md#{ex.cell})" in text
    assert "(../releases/v5.8.2.md)" in text
    pres = [
        html.unescape(p.replace("&#10;", "\n"))
        for p in re.findall(r'<pre class="command"><code>(.*?)</code></pre>', text)
    ]
    assert pres == list(ex_mod.commands(ex).values())
    assert not MACHINE.search(text)


def test_pages_writes_an_archive_and_a_page_per_release_and_an_index(tmp_path: Path) -> None:
    recs = [synthetic_record(release="v5.8.2"), synthetic_record(release="v5.7.1")]
    written: dict[str, str | bytes] = {}
    ex_mod.pages(written.__setitem__, dataset.frame(recs), CTX, data_dir_of(recs, tmp_path / "d"))
    assert sorted(written) == [
        "examples/index.md",
        "examples/v5.7.1.md",
        "examples/v5.7.1/kustomize-v5.7.1-plugin-example.tar.gz",
        "examples/v5.8.2.md",
        "examples/v5.8.2/kustomize-v5.8.2-plugin-example.tar.gz",
    ]
    index = written["examples/index.md"]
    assert isinstance(index, str)
    assert index.index("[v5.7.1](v5.7.1.md)") < index.index("[v5.8.2](v5.8.2.md)")
    size = len(written["examples/v5.8.2/kustomize-v5.8.2-plugin-example.tar.gz"])
    assert f"({size} bytes)" in index


def test_no_loads_no_example_page_but_an_index_that_says_so(tmp_path: Path) -> None:
    recs = [synthetic_record(release="v5.8.2", host_tc="go1.26.8", plugin_tc="go1.27.3")]
    written: dict[str, str | bytes] = {}
    ex_mod.pages(written.__setitem__, dataset.frame(recs), CTX, data_dir_of(recs, tmp_path / "d"))
    assert list(written) == ["examples/index.md"]
    assert "No Go plugin loaded in this dataset" in str(written["examples/index.md"])


def test_the_site_build_writes_the_examples_and_the_mechanisms_page(tmp_path: Path) -> None:
    recs = [synthetic_record(release="v5.8.2"), synthetic_record(release="v5.8.2", plugin="transformer")]
    data = data_dir_of(recs, tmp_path / "data")
    shutil.copy(DATA / "grid.toml", data / "grid.toml")
    out = site.Paths()
    site.generate(out, data, inline=True)
    assert "examples/index.md" in out.paths
    assert "examples/v5.8.2.md" in out.paths
    assert "examples/v5.8.2/kustomize-v5.8.2-plugin-example.tar.gz" in out.paths
    assert "guides/mechanisms.md" in out.paths


# ---------------------------------------------------------------- the slow test: build and load, as the page says


def _releases() -> list[str]:
    try:
        return list(ex_mod.candidates(dataset.site_frame(DATA), context.load(DATA)))
    except Exception:  # no dataset: the test says so below
        return []


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    r, seconds = mkdocs_build(out)
    print(f"mkdocs build --strict: {seconds:.1f} s")
    assert r.returncode == 0, r.stderr[-3000:]
    assert not [ln for ln in r.stderr.splitlines() if re.match(r"\s*(WARNING|ERROR)\b", ln)]
    return out


def readme_steps(readme: str) -> list[tuple[str, str]]:
    """(title, commands) of each numbered step of a README, in order."""
    return [
        (m.group(1), m.group(2))
        for m in re.finditer(r"^## \d+\. (.+?)\n.*?```sh\n(.*?)\n```", readme, re.M | re.S)
    ]


@pytest.mark.slow
@pytest.mark.parametrize("release", _releases())
def test_the_archive_builds_and_loads_as_its_page_says(
    release: str, built_site: Path, real: tuple[pd.DataFrame, Context], tmp_path: Path
) -> None:
    if shutil.which("go") is None or shutil.which("gcc") is None:
        pytest.skip("no `go` or `gcc` on PATH")
    ex = next(e for e in real_examples(real) if e.release == release)
    name = f"kustomize-{release}-plugin-example"
    blob = (built_site / "examples" / release / f"{name}.tar.gz").read_bytes()
    assert blob == ex_mod.archive(ex)  # the site's archive is the deterministic one
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        tar.extractall(tmp_path, filter="data")
    work = tmp_path / name
    readme = (work / "README.md").read_text()
    steps = readme_steps(readme)
    assert [t for t, _ in steps] == list(ex_mod.STEPS.values())

    # The page shows the README's commands, in the same order.
    page = (built_site / "examples" / release / "index.html").read_text()
    shown = [
        html.unescape(p.replace("&#10;", "\n"))
        for p in re.findall(r'<pre class="command"><code>(.*?)</code></pre>', page, re.S)
    ]
    assert shown == [c for _, c in steps]
    assert not MACHINE.search(page)

    # The kustomize the cell loaded into stands in for step "Build kustomize with cgo".
    rec = json.loads((DATA / "cells" / f"{ex.cell}.json").read_text())
    # Without it in the artifact cache (a fresh machine), the page's own step builds it.
    host = user_cache_dir() / "artifacts" / f"host-{rec['host']['build']['key'][:20]}" / "kustomize"
    cached = host.is_file()
    if cached:
        assert hashlib.sha256(host.read_bytes()).hexdigest() == rec["host"]["build"]["sha256"]
        shutil.copy(host, work / "kustomize")
    skip = ex_mod.STEPS[ex_mod.HOST_STEP] if cached else None
    script = "set -eu\n" + "\n".join(c for t, c in steps if t != skip) + "\n"

    home = tmp_path / "config"  # a fresh plugin home ($XDG_CONFIG_HOME/kustomize/plugin)
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KUSTOMIZE_PLUGIN_HOME", "GOTOOLCHAIN", "GOFLAGS", "CGO_ENABLED", "GOAMD64")
    }
    env["XDG_CONFIG_HOME"] = str(home)
    go_mod = (work / "go.mod").read_text()
    r = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}"[-4000:]

    must = re.search(r"`go version` must print `([^`]+)`", readme)
    assert must is not None
    assert r.stdout.splitlines()[0] == must.group(1) == rec["host"]["toolchain"]["version"]
    out = re.search(r"^Output:\n\n```yaml\n(.*?)```", readme, re.M | re.S)
    assert out is not None
    assert r.stdout.endswith(out.group(1)), r.stdout
    assert f"message: {ex.message}" in r.stdout
    so = home / "kustomize" / "plugin" / "example.com" / "v1" / "greetinggenerator" / "GreetingGenerator.so"
    assert so.is_file()
    assert str(so) in r.stderr  # kustomize says where it loaded the plugin from
    assert (work / "go.mod").read_text() == go_mod  # the pins held: go raised no version
    print(f"{release}: {ex.go}, cell {ex.cell}: loaded, {len(blob)} bytes")

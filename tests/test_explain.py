"""`plugin-matrix explain` and `plugin-matrix reclassify`, through the real CLI entry point."""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from matrix.cli import main
from matrix.core import records
from matrix.core.catalog import LINK_BASE, load_catalog
from matrix.diagnose.classify import classify
from matrix.measure.runner import observation

ROOT = Path(__file__).resolve().parent.parent
WRAP = ROOT / "docs" / "examples" / "wrap"

MISMATCH = (
    "Error: loading generator plugins: failed to load generator: plugin /Users/me/.config/kustomize/"
    'plugin/acme.io/v1/gen/Gen.so fails to load: plugin.Open("/Users/me/.config/kustomize/plugin/'
    'acme.io/v1/gen/Gen"): plugin was built with a different version of package '
    "sigs.k8s.io/kustomize/api/resmap"
)
NO_MODULE_DATA = (
    "2026/11/25 19:08:45 Attempting plugin load from '$CELL/plugins/x/v1/y/Y.so'\n"
    "fatal error: runtime: no plugin module data\n\ngoroutine 1 [running]:\n"
    "runtime.throw({0xfc5ed9?, 0x758b7b?})\n"
)


def make_record(
    cell: str, outcome: str = "fails", stderr: str = "", build_output: str = "", package_pins: str = "host"
) -> dict[str, Any]:
    """A schema-valid record (written through records.write by the tests)."""
    tc = {
        "id": "go1.26.8",
        "go": "go",
        "gotoolchain": "local",
        "resolved": "path",
        "version": "go version go1.26.8 linux/amd64",
        "goenv": {"GOVERSION": "go1.26.8", "GOOS": "linux", "GOARCH": "amd64", "CGO_ENABLED": "1"},
    }

    def build(kind: str, failed: bool) -> dict[str, Any]:
        return {
            "kind": kind,
            "key": "k" * 20,
            "status": "failed" if failed else "ok",
            "sha256": None if failed else "0" * 64,
            "command": ["go", "build"],
            "env": {},
            "go_mod": None,
            "modules": {},
            "output": build_output if failed else "",
            "truncated": False,
            "duration_s": 1.0,
            "reason": None,
            "install": None,
        }

    side = {
        "api": "v0.21.2",
        "kyaml": "v0.21.2",
        "variant": "default",
        "flags": [],
        "platform": "linux/amd64",
        "goos": "linux",
        "goarch": "amd64",
        "toolchain": tc,
    }
    load = (
        None
        if outcome not in ("fails", "loads")
        else {
            "outcome": outcome,
            "exit_code": 1,
            "signal": None,
            "timed_out": False,
            "seen": outcome == "loads",
            "stdout": "",
            "stderr": stderr,
            "truncated": False,
            "duration_s": 0.5,
            "command": ["$HOST_BIN", "build", "--enable-alpha-plugins", "$CELL/kustomization"],
        }
    )
    rec = {
        "format": records.RECORD_FORMAT,
        "cell": cell,
        "inputs": "1" * 64,
        "axes": ["baseline"],
        "outcome": outcome,
        "reason": "the plugin did not build" if outcome == "build-failed" else None,
        "host": {
            "kind": "kustomize-cli",
            "release": "v5.8.2",
            "module": "sigs.k8s.io/kustomize/kustomize/v5",
            **side,
            "build": build("host", False),
        },
        "plugin": {
            "name": "generator",
            "kind": "generator",
            "release": "v5.8.2",
            "pins": package_pins,
            **side,
            "sources": "2" * 64,
            "build": build("plugin", outcome == "build-failed"),
        },
        "load": load,
        "class": None,
        "package": None,
        "doctor": None,
        "runner": {
            "os": "linux",
            "arch": "x86_64",
            "kernel": "6.1",
            "libc": "glibc 2.36",
            "emulator": None,
            "native": True,
        },
        "tool_version": "0.1.0",
        "recorded_at": "2026-11-25T19:00:00+00:00",
    }
    rec["observations"] = [observation(rec)]  # as the runner makes it
    return rec


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    recs = [
        make_record("c000000000001", stderr=MISMATCH),
        make_record(
            "c000000000002", stderr=MISMATCH.replace("api/resmap", "kyaml/yaml"), package_pins="api-other"
        ),
        make_record("c000000000003", stderr=NO_MODULE_DATA),
        make_record("c000000000004", outcome="loads"),
        make_record(
            "c000000000005",
            outcome="build-failed",
            build_output="-buildmode=plugin not supported on windows/amd64",
        ),
    ]
    for r in recs:
        records.write(d, r)
    return d


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_known_text_exit_0_with_class_cause_fix_cells_link(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    rc, out, _ = run(capsys, "explain", "--data", str(data), MISMATCH)
    assert rc == 0
    assert "package-version-mismatch" in out
    assert "sigs.k8s.io/kustomize/api/resmap (kustomize module)" in out
    assert "c000000000001" in out
    assert "c000000000002" in out
    assert "c000000000003" not in out
    assert f"{LINK_BASE}package-version-mismatch/" in out  # never wrapped: one line
    assert "api/kyaml" in out  # the family's hint


def test_json_has_the_stable_fields(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    rc, out, _ = run(capsys, "explain", "--json", "--data", str(data), MISMATCH)
    ans = json.loads(out)
    assert rc == 0
    assert {"class", "title", "package", "family", "link", "cause", "fix", "cells"} <= ans.keys()
    assert (ans["class"], ans["package"], ans["family"]) == (
        "package-version-mismatch",
        "sigs.k8s.io/kustomize/api/resmap",
        "kustomize module",
    )
    assert ans["link"] == f"{LINK_BASE}package-version-mismatch/"
    # the cell with the same package first, then the other cells of the class
    assert [c["cell"] for c in ans["cells"]] == ["c000000000001", "c000000000002"]
    first = ans["cells"][0]
    assert first["package"] == "sigs.k8s.io/kustomize/api/resmap"
    assert first["host"]["release"] == "v5.8.2"
    assert first["plugin"]["pins"] == "host"
    assert first["host"]["go"] == "go1.26.8"


def test_build_classes_list_build_failed_cells(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    rc, out, _ = run(
        capsys,
        "explain",
        "--json",
        "--data",
        str(data),
        "go: -buildmode=plugin not supported on windows/amd64",
    )
    assert rc == 0
    assert [c["cell"] for c in json.loads(out)["cells"]] == ["c000000000005"]


def test_unknown_text_exit_1_and_where_to_report(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    rc, out, _ = run(capsys, "explain", "--data", str(data), "Error: the flux capacitor is empty")
    assert rc == 1
    assert "unknown" in out
    assert "report" in out
    assert f"{LINK_BASE}unknown/" in out
    rc, out, _ = run(capsys, "explain", "--json", "--data", str(data), "Error: the flux capacitor is empty")
    ans = json.loads(out)
    assert rc == 1
    assert ans["class"] == "unknown"
    assert ans["cells"] == []
    assert "report" in ans


def test_unquoted_words_are_one_text(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    rc, out, _ = run(capsys, "explain", "--json", "--data", str(data), "plugin:", "not", "implemented")
    assert rc == 0
    assert json.loads(out)["class"] == "plugin-not-implemented"


def test_stdin_whole_log(
    capsys: pytest.CaptureFixture[str], data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(NO_MODULE_DATA.encode())))
    rc, out, _ = run(capsys, "explain", "--json", "--data", str(data), "-")
    [ans] = json.loads(out)  # stdin: one answer per error in the log
    assert rc == 0
    assert ans["class"] == "no-plugin-module-data"
    assert [c["cell"] for c in ans["cells"]] == ["c000000000003"]


def test_stdin_not_utf8_is_read_anyway(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = b'\xff\xfe garbage\nplugin.Open("/x/Y.so"): /x/Y.so: invalid ELF header\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    rc, out, _ = run(capsys, "explain", "--json", "--data", str(tmp_path), "-")
    assert rc == 0
    assert [a["class"] for a in json.loads(out)] == ["elf-mismatch"]


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["   "], None, "empty"),
        (["-"], b"", "empty"),
        (["-"], b" \n\t\n", "empty"),
        (["-", "more"], None, "cannot be combined"),
    ],
)
def test_bad_input_exit_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    stdin: bytes | None,
    message: str,
) -> None:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    rc, out, err = run(capsys, "explain", "--data", str(tmp_path), *argv)
    assert rc == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_no_text_from_a_terminal_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Tty(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty(io.BytesIO(b"")))
    rc, _, err = run(capsys, "explain", "--data", str(tmp_path))
    assert rc == 2
    assert "no error text" in err


def test_no_dataset_is_fine(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, out, _ = run(capsys, "explain", "--data", str(tmp_path / "nowhere"), MISMATCH)
    assert rc == 0
    assert "no recorded cell" in out


def test_damaged_record_is_skipped_with_a_note(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    (records.cells_dir(data) / "c00000000000f.json").write_text("{ not json")
    rc, out, err = run(capsys, "explain", "--json", "--data", str(data), MISMATCH)
    assert rc == 0
    assert len(json.loads(out)["cells"]) == 2
    assert "1 damaged" in err


def test_older_record_formats_are_left_alone(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    old = make_record("c0000000000bb", stderr=MISMATCH) | {"format": records.RECORD_FORMAT - 1}
    path = records.cells_dir(data) / "c0000000000bb.json"
    path.write_text(json.dumps(old))
    rc, out, err = run(capsys, "explain", "--json", "--data", str(data), MISMATCH)
    assert rc == 0
    assert "c0000000000bb" not in out
    assert "1 of an older record format" in err
    rc, _, err = run(capsys, "reclassify", "--data", str(data))
    assert rc == 0
    assert "older record format" in err
    assert json.loads(path.read_text()) == old


def test_the_data_directory_catalog_is_used(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    text = (
        (ROOT / "data" / "errors.toml")
        .read_text()
        .replace(
            'title = "The plugin and kustomize were built from different versions of a package"',
            'title = "Renamed in this data directory"',
        )
    )
    (data / "errors.toml").write_text(text)
    rc, out, _ = run(capsys, "explain", "--json", "--data", str(data), MISMATCH)
    assert rc == 0
    assert json.loads(out)["title"] == "Renamed in this data directory"


def test_a_broken_catalog_is_a_clear_error(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    (data / "errors.toml").write_text("schema = 1\n[[classes]]\nslug = 'x'\n")
    rc, _, err = run(capsys, "explain", "--data", str(data), MISMATCH)
    assert rc == 2
    assert "errors.toml" in err
    assert "classes.0" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------- reclassify


def test_reclassify_sets_derived_fields_only(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    before = {r["cell"]: r for r in records.load_all(data)}
    rc, _, err = run(capsys, "reclassify", "--data", str(data), "--check")
    assert rc == 1
    assert "4 record(s) out of date" in err
    assert records.load_all(data) == list(before.values())  # --check writes nothing

    rc, _, err = run(capsys, "reclassify", "--data", str(data))
    assert rc == 0
    assert "4 record(s) updated" in err
    after = {r["cell"]: r for r in records.load_all(data)}
    assert {c: (r["class"], r["package"]) for c, r in after.items()} == {
        "c000000000001": ("package-version-mismatch", "sigs.k8s.io/kustomize/api/resmap"),
        "c000000000002": ("package-version-mismatch", "sigs.k8s.io/kustomize/kyaml/yaml"),
        "c000000000003": ("no-plugin-module-data", None),
        "c000000000004": (None, None),
        "c000000000005": ("buildmode-unsupported", None),
    }
    derived = ("class", "package", "observations")
    for cell, rec in after.items():  # measured fields untouched
        assert {k: v for k, v in rec.items() if k not in derived} == {
            k: v for k, v in before[cell].items() if k not in derived
        }
        # the record's own observation gets the same derived class; nothing else in it moves
        (obs,) = rec["observations"]
        assert (obs["class"], obs["package"]) == (rec["class"], rec["package"])
        (old,) = before[cell]["observations"]
        assert {k: v for k, v in obs.items() if k not in derived} == {
            k: v for k, v in old.items() if k not in derived
        }

    rc, _, err = run(capsys, "reclassify", "--data", str(data), "--check")
    assert rc == 0
    assert "0 record(s) out of date" in err


def test_reclassify_lists_unknowns_for_triage(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    records.write(data, make_record("c0000000000aa", stderr="Error: the flux capacitor is empty"))
    rc, _, err = run(capsys, "reclassify", "--data", str(data))
    assert rc == 0
    assert "1 unknown error(s)" in err
    assert "c0000000000aa" in err


def test_reclassify_refuses_while_a_run_holds_the_data(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    with (data / ".matrix.lock").open("a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        rc, _, err = run(capsys, "reclassify", "--data", str(data))
    assert rc == 2
    assert "another plugin-matrix run" in err
    assert all(r["class"] is None for r in records.load_all(data))


# ---------------------------------------------------------------- the Go example in docs/


def test_go_example_names_only_published_classes() -> None:
    src = (WRAP / "main.go").read_text()
    cat = load_catalog()
    assert LINK_BASE in src
    slugs = [ln.split('"')[3] for ln in src.splitlines() if ln.strip().startswith('{"') and '", "' in ln]
    assert slugs, slugs
    assert all(s in cat.by_slug for s in slugs), slugs


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("go") is None, reason="needs Go")
def test_go_example_builds_and_links_real_errors(tmp_path: Path) -> None:
    """Really compile docs/examples/wrap (stdlib only) and open two bad files with it: the
    real glibc/Go error texts come back with the link explain would give."""
    work = tmp_path / "wrap"
    shutil.copytree(WRAP, work)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "GOCACHE", "GOMODCACHE", "GOPATH")}
    env.update({"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "GOPROXY": "off", "CGO_ENABLED": "1"})
    r = subprocess.run(
        ["go", "build", "-o", str(tmp_path / "wrap-bin"), "."],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    notelf = tmp_path / "NotElf.so"
    notelf.write_text("not a shared object\n" * 10)
    for path, slug in [(tmp_path / "Missing.so", "plugin-file-missing"), (notelf, "elf-mismatch")]:
        r = subprocess.run(
            [str(tmp_path / "wrap-bin"), str(path)], capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 1, r.stdout + r.stderr
        assert f"{LINK_BASE}{slug}/" in r.stderr, r.stderr
        # the link the Go table gives is the one the catalog gives for the same real text
        assert classify(r.stderr).slug == slug, r.stderr

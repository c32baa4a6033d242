"""The doctor's prediction against what really happens when the host loads each plugin."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from matrix import UserError, cli
from matrix.diagnose import doctor, elf
from tests.gofixtures import GoFixtures, gofix_fixture, load  # noqa: F401 - the `gofix` fixture

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"prediction", "class", "package", "message", "evidence", "link"}

PLUGINS = [
    "match",
    "trimpath",
    "debug",
    "stripped",
    "dep-other",
    "nosym",
    "go1.19",
    "go1.19-stripped",
    "go1.27.3",
    "c",
    "c-386",
    "c-arm64",
    "c-needs",
]


def observed(rc: int, out: str, plugin: Path) -> tuple[str, str | None]:
    """The class of a real load's output, read without the doctor's help."""
    if rc == 0 and "loaded" in out:
        return "loads", None
    m = re.search(r"plugin was built with a different version of package (\S+)", out)
    if m:
        return "package-version-mismatch", m.group(1)
    if "fatal error: runtime: no plugin module data" in out:
        return "no-plugin-module-data", None
    if out.strip().startswith("plugin: not implemented"):
        return "plugin-not-implemented", None
    if "wrong ELF class" in out or f"{plugin.resolve()}: cannot open shared object file" in out:
        return "elf-mismatch", None
    if "cannot open shared object file" in out:
        return "missing-shared-library", None
    if re.search(r"plugin: symbol \S+ not found in plugin", out):
        return "symbol-not-found", None
    return "unknown", None


EXPECTED = {  # what the real load shows on this machine (asserted below, not assumed)
    "match": "loads",
    "stripped": "loads",
    "trimpath": "package-version-mismatch",
    "debug": "package-version-mismatch",
    "dep-other": "package-version-mismatch",
    "nosym": "symbol-not-found",
    "go1.19": "no-plugin-module-data",
    "go1.19-stripped": "no-plugin-module-data",
    "go1.27.3": "no-plugin-module-data",
    "c": "no-plugin-module-data",
    "c-386": "elf-mismatch",
    "c-arm64": "elf-mismatch",
    "c-needs": "missing-shared-library",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", PLUGINS)
def test_prediction_matches_real_load(gofix: GoFixtures, name: str) -> None:
    plugin = gofix.plugin(name)
    host = gofix.hosts["host"]
    rc, out = load(host, plugin)
    klass, package = observed(rc, out, plugin)
    pred = doctor.predict(host, plugin)
    assert set(pred) == KEYS
    got = "loads" if pred["prediction"] == "loads" else pred["class"]
    assert (got, pred["package"]) == (klass, package), f"real load said:\n{out[:600]}\n{pred}"
    assert klass == EXPECTED[name], out[:600]
    if pred["message"]:
        assert pred["message"] in out, f"predicted {pred['message']!r}, real output:\n{out[:600]}"
    if klass == "package-version-mismatch":
        assert package == "example.com/dep"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["match", "trimpath", "c", "go1.27.3"])
def test_host_without_cgo_is_not_implemented(gofix: GoFixtures, name: str) -> None:
    host = gofix.hosts.get("host-nocgo") or pytest.skip(gofix.missing.get("host-nocgo", "?"))
    plugin = gofix.plugin(name)
    rc, out = load(host, plugin)
    assert observed(rc, out, plugin) == ("plugin-not-implemented", None), out
    pred = doctor.predict(host, plugin)
    assert (pred["prediction"], pred["class"], pred["message"]) == (
        "fails",
        "plugin-not-implemented",
        "plugin: not implemented",
    )
    assert pred["link"] == "https://kustomize-plugin-matrix.github.io/errors/plugin-not-implemented/"


@pytest.mark.slow
def test_causes_name_the_flag_or_the_module(gofix: GoFixtures) -> None:
    host = gofix.hosts["host"]
    trim = doctor.diagnose(host, gofix.plugin("trimpath"))
    assert any("-trimpath" in c for c in trim.causes)
    dbg = doctor.diagnose(host, gofix.plugin("debug"))
    assert any("-gcflags" in c and "-N -l" in c for c in dbg.causes)
    dep = doctor.diagnose(host, gofix.plugin("dep-other"))
    assert any("module example.com/dep" in c for c in dep.causes), dep.causes
    assert dep.mismatches[0].package == "example.com/dep"
    old = doctor.diagnose(host, gofix.plugin("go1.27.3"))
    assert any("another Go release" in c for c in old.causes)


@pytest.mark.slow
def test_cli_exit_codes_and_json(gofix: GoFixtures, capsys: pytest.CaptureFixture[str]) -> None:
    host = str(gofix.hosts["host"])
    assert cli.main(["doctor", host, str(gofix.plugin("match"))]) == 0
    assert "prediction: loads" in capsys.readouterr().out
    assert cli.main(["doctor", host, str(gofix.plugin("trimpath")), "--json"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert set(d) == KEYS
    assert d["class"] == "package-version-mismatch"
    assert d["link"] == "https://kustomize-plugin-matrix.github.io/errors/package-version-mismatch/"
    assert cli.main(["doctor", host, str(gofix.plugin("trimpath"))]) == 1
    text = capsys.readouterr().out
    for words in ("example.com/dep", "likely cause", "what to change", "-trimpath", "errors/package"):
        assert words in text


@pytest.mark.slow
def test_bad_input_is_one_line_exit_2(
    gofix: GoFixtures, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host = gofix.hosts["host"]
    junk = tmp_path / "junk.so"
    junk.write_bytes(b"#!/bin/sh\necho not a plugin\n" * 10)
    data = gofix.plugin("match").read_bytes()
    short = tmp_path / "short.so"
    short.write_bytes(data[: len(data) // 3])
    for bad in (junk, short, tmp_path / "absent.so", tmp_path):
        assert cli.main(["doctor", str(host), str(bad)]) == 2
        err = capsys.readouterr().err
        assert str(bad) in err.replace("\n", "")
        assert "Traceback" not in err
        with pytest.raises(UserError):
            doctor.predict(host, bad)
    # the two files the wrong way round
    with pytest.raises(UserError, match="not an executable"):
        doctor.predict(gofix.plugin("match"), host)


@pytest.mark.slow
def test_predict_is_cached_by_content(gofix: GoFixtures, tmp_path: Path) -> None:
    host, plugin = gofix.hosts["host"], gofix.plugin("match")
    elf.clear_cache()
    first = doctor.predict(host, plugin)
    a = elf.parse(host)
    assert elf.parse(host) is a
    copy = tmp_path / "copy-of-host"
    copy.write_bytes(host.read_bytes())
    b = elf.parse(copy)
    assert b.sha256 == a.sha256
    assert b.path == str(copy)
    assert doctor.predict(host, plugin) == first


def _observed_record(rec: dict[str, object]) -> tuple[str, str | None]:
    load_ = rec["load"]
    assert isinstance(load_, dict)
    text = str(load_.get("stderr", "")) + str(load_.get("stdout", ""))
    if rec["outcome"] == "loads":
        return "loads", None
    m = re.search(r"plugin was built with a different version of package (\S+)", text)
    if m:
        return "package-version-mismatch", m.group(1)
    for needle, klass in (
        ("no plugin module data", "no-plugin-module-data"),
        ("plugin: not implemented", "plugin-not-implemented"),
        ("plugin load is disabled", "go-plugin-support-disabled"),
        ("wrong ELF class", "elf-mismatch"),
        ("doesn't have symbol", "symbol-not-found"),
    ):
        if needle in text:
            return klass, None
    return "unknown", None


def test_committed_predictions_agree_with_observed() -> None:
    """Every committed load cell with a doctor prediction: the prediction is what happened.
    Cells whose output matches no load error (e.g. the host itself crashed under an
    emulator before plugin.Open) are listed, not counted: they say nothing of the files."""
    cells = sorted((ROOT / "data" / "cells").glob("*.json"))
    checked, wrong, unexplained = 0, [], []
    for f in cells:
        rec = json.loads(f.read_text())
        d = rec.get("doctor")
        if not rec.get("load") or not isinstance(d, dict) or "prediction" not in d:
            continue
        checked += 1
        got = ("loads" if d["prediction"] == "loads" else d["class"], d["package"])
        if _observed_record(rec)[0] == "unknown":
            unexplained.append(f"{f.name}: predicted {got}")
            continue
        if got != _observed_record(rec):
            wrong.append(f"{f.name}: predicted {got}, observed {_observed_record(rec)}")
    if unexplained:
        print("observed output matches no load error:", *unexplained, sep="\n  ")
    if not checked:
        pytest.skip("no committed cell carries a doctor prediction yet")
    assert not wrong, "\n".join(wrong)

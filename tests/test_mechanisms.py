"""matrix.dataset.mechanisms on small hand-made frames: what is counted, where, and which
cells stand behind each number."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from matrix.dataset import mechanisms as mech

DEFAULTS: dict[str, Any] = {
    "outcome": "loads",
    "class": "",
    "error": "",
    "axes": "baseline",
    "host_release": "v5.8.2",
    "plugin_release": "v5.8.2",
    "host_toolchain": "go1.26.8",
    "plugin_toolchain": "go1.26.8",
    "host_go": "go1.26.8",
    "plugin_go": "go1.26.8",
    "host_variant": "default",
    "plugin_variant": "default",
    "plugin_pins": "host",
    "host_platform": "linux/amd64",
    "plugin_platform": "linux/amd64",
    "plugin_name": "generator",
    "plugin_mechanism": "go-plugin",
    "plugin_scenario": "",
    "load_mode": "standard",
}


def frame(*cells: dict[str, Any]) -> pd.DataFrame:
    rows = [{**DEFAULTS, "cell": c.get("cell", f"c{i:012x}"), **c} for i, c in enumerate(cells)]
    return pd.DataFrame(rows)


def test_sweep_leaves_out_scenarios_and_plugins_not_measured_with_every_mechanism() -> None:
    df = frame(
        {"cell": "cgo"},
        {"cell": "cexec", "plugin_mechanism": "exec"},
        {"cell": "cthird", "plugin_name": "thirdparty"},  # a Go plugin only
        {"cell": "cscen", "plugin_scenario": "no-symbol", "outcome": "fails"},
    )
    assert sorted(mech.sweep(df)["cell"]) == ["cexec", "cgo"]


def test_by_release_counts_attempts_and_names_the_cells() -> None:
    df = frame(
        {"cell": "ca", "host_release": "v5.10.0", "plugin_release": "v5.10.0"},
        {"cell": "cb", "host_release": "v5.10.0", "plugin_release": "v5.10.0", "plugin_name": "transformer"},
        {
            "cell": "cc",
            "outcome": "fails",
            "class": "package-version-mismatch",
            "plugin_toolchain": "go1.26.8",
        },
        {"cell": "cd", "outcome": "build-failed", "class": "go-version-too-old"},
        {"cell": "ce", "outcome": "not-run"},
        {"cell": "cf", "plugin_toolchain": "go1.27.3", "plugin_go": "go1.27.3"},  # another Go: not here
        {"cell": "cx", "plugin_mechanism": "exec"},
        {"cell": "cy", "plugin_mechanism": "exec", "plugin_name": "transformer"},
    )
    t = mech.by_release(df)
    assert list(t.columns[:2]) == ["mechanism", "host_release"]
    assert t[["mechanism", "host_release"]].values.tolist() == [
        ["go-plugin", "v5.8.2"],
        ["go-plugin", "v5.10.0"],  # release order, not text order
        ["exec", "v5.8.2"],
    ]
    go = t.iloc[0]
    assert (go["loads"], go["attempts"], go["fails"], go["build_failed"], go["not_run"]) == (0, 1, 1, 1, 1)
    assert go["cells"] == "cc"
    assert go["other_cells"] == "cd;ce"
    assert go["classes"] == "package-version-mismatch:1"
    assert go["share"] == 0.0
    assert t.iloc[1]["cells"] == "ca;cb"
    assert t.iloc[1]["share"] == 1.0
    assert t.iloc[2]["cells"] == "cx;cy"


def test_by_go_pairs_host_and_plugin_go() -> None:
    df = frame(
        {"cell": "c1"},
        {"cell": "c2", "plugin_go": "go1.19.8", "plugin_toolchain": "go1.19.8", "outcome": "fails"},
        {"cell": "c3", "host_go": "", "host_toolchain": "go1.19.8", "outcome": "skipped"},
    )
    t = mech.by_go(df)
    pairs = {(r.host_go, r.plugin_go): (r.loads, r.attempts, r.not_run) for r in t.itertuples()}
    assert pairs == {
        ("go1.26.8", "go1.26.8"): (1, 1, 0),
        ("go1.26.8", "go1.19.8"): (0, 1, 0),
        ("go1.19.8", "go1.26.8"): (0, 0, 1),  # no Go version recorded: the toolchain id stands in
    }
    assert math.isnan(t[t["host_go"] == "go1.19.8"].iloc[0]["share"])


def test_by_flags_counts_the_variant_cells_and_their_plain_partner() -> None:
    df = frame(
        {"cell": "cref", "axes": "baseline;pins"},
        {"cell": "crace", "axes": "plugin-variant", "plugin_variant": "race", "outcome": "fails"},
        {"cell": "cboth", "axes": "matched-variant", "plugin_variant": "race", "host_variant": "race"},
        {"cell": "cother", "host_release": "v5.0.1", "plugin_release": "v5.0.1"},  # no variant cell there
        {"cell": "cx", "plugin_mechanism": "exec"},
        {"cell": "cxrace", "axes": "plugin-variant", "plugin_variant": "race", "plugin_mechanism": "exec"},
    )
    t = mech.by_flags(df)
    got = {(r.mechanism, r.host_variant, r.plugin_variant): r.cells for r in t.itertuples()}
    assert got == {
        ("go-plugin", "default", "default"): "cref",
        ("go-plugin", "default", "race"): "crace",
        ("go-plugin", "race", "race"): "cboth",
        ("exec", "default", "default"): "cx",
        ("exec", "default", "race"): "cxrace",
    }


def test_by_platform_counts_cross_pairs() -> None:
    arm = {"host_platform": "linux/arm64", "plugin_platform": "linux/arm64", "axes": "platform"}
    df = frame(
        {"cell": "cnative"},
        {"cell": "carm", **arm},
        {"cell": "ccross", "axes": "platform", "plugin_platform": "linux/arm64", "outcome": "fails"},
        {"cell": "cxarm", **arm, "plugin_mechanism": "exec", "outcome": "not-run"},
        {"cell": "cx", "plugin_mechanism": "exec"},
    )
    t = mech.by_platform(df)
    got = {
        (r.mechanism, r.host_platform, r.plugin_platform): (r.loads, r.attempts, r.not_run)
        for r in t.itertuples()
    }
    assert got == {
        ("go-plugin", "linux/amd64", "linux/amd64"): (1, 1, 0),
        ("go-plugin", "linux/amd64", "linux/arm64"): (0, 1, 0),
        ("go-plugin", "linux/arm64", "linux/arm64"): (1, 1, 0),
        ("exec", "linux/amd64", "linux/amd64"): (1, 1, 0),
        ("exec", "linux/arm64", "linux/arm64"): (0, 0, 1),
    }


def test_upgrades_in_both_directions_and_the_survival_matrix() -> None:
    up = {"axes": "upgrade"}
    df = frame(
        {
            "cell": "cnew",
            **up,
            "plugin_release": "v5.7.1",
            "outcome": "fails",
            "class": "package-version-mismatch",
        },
        {"cell": "cold", **up, "host_release": "v5.7.1"},
        {
            "cell": "cgo",
            "axes": "baseline;upgrade",
            "plugin_toolchain": "go1.27.3",
            "plugin_go": "go1.27.3",
            "outcome": "fails",
            "class": "no-plugin-module-data",
        },
        {"cell": "cxnew", **up, "plugin_release": "v5.7.1", "plugin_mechanism": "exec"},
        {"cell": "cxold", **up, "host_release": "v5.7.1", "plugin_mechanism": "exec"},
        {"cell": "cbase"},  # not on the upgrade axis
    )
    u = mech.upgrades(df).set_index("cell")
    assert u.loc["cnew", ["change", "built_for", "loaded_by", "direction"]].tolist() == [
        "release",
        "v5.7.1",
        "v5.8.2",
        "host newer",
    ]
    assert u.loc["cold", "direction"] == "host older"
    assert u.loc["cgo", ["change", "built_for", "loaded_by", "direction"]].tolist() == [
        "go",
        "go1.27.3",
        "go1.26.8",
        "host older",
    ]
    t = mech.by_upgrade(df)
    got = {(r.mechanism, r.change, r.direction): (r.loads, r.attempts) for r in t.itertuples()}
    assert got == {
        ("go-plugin", "release", "host newer"): (0, 1),
        ("go-plugin", "release", "host older"): (1, 1),
        ("go-plugin", "go", "host older"): (0, 1),
        ("exec", "release", "host newer"): (1, 1),
        ("exec", "release", "host older"): (1, 1),
    }
    m = mech.upgrade_matrix(df, "release")
    assert sorted(m["cells"]) == ["cnew", "cold", "cxnew", "cxold"]
    assert set(mech.upgrade_matrix(df, "go")["cells"]) == {"cgo"}


def test_summary_adds_up_each_dimension() -> None:
    df = frame(
        {"cell": "c1"},
        {
            "cell": "c2",
            "host_release": "v5.7.1",
            "plugin_release": "v5.7.1",
            "outcome": "fails",
            "class": "x",
        },
        {"cell": "c3", "plugin_mechanism": "exec"},
    )
    s = mech.summary(df, ["releases"])
    assert s[["mechanism", "dimension", "loads", "attempts"]].values.tolist() == [
        ["go-plugin", "releases", 1, 2],
        ["exec", "releases", 1, 1],
    ]
    assert s.iloc[0]["cells"] == "c1;c2"
    assert s.iloc[0]["classes"] == "x:1"
    everything = mech.summary(df)
    assert set(everything["dimension"]) <= set(mech.DIMENSIONS)


def test_scenarios_lists_each_scenario_cell() -> None:
    df = frame(
        {"cell": "c1"},
        {
            "cell": "c2",
            "plugin_scenario": "no-alpha-flag",
            "load_mode": "no-alpha-flag",
            "plugin_mechanism": "krm-function",
            "outcome": "fails",
            "class": "external-plugins-disabled",
        },
        {
            "cell": "c3",
            "plugin_scenario": "no-alpha-flag",
            "load_mode": "no-alpha-flag",
            "outcome": "fails",
            "class": "external-plugins-disabled",
        },
    )
    t = mech.scenarios(df)
    assert t[["scenario", "mechanism", "cell"]].values.tolist() == [
        ["no-alpha-flag", "go-plugin", "c3"],
        ["no-alpha-flag", "krm-function", "c2"],
    ]


def test_empty_frames_give_empty_tables_with_their_columns() -> None:
    df = frame({"cell": "c1"}).iloc[0:0]
    for fn in (mech.by_release, mech.by_go, mech.by_flags, mech.by_platform, mech.by_upgrade):
        t = fn(df)
        assert t.empty
        assert "cells" in t.columns
    assert mech.summary(df).empty
    assert mech.scenarios(df).empty


def test_version_key_orders_releases() -> None:
    assert sorted(["v5.10.0", "v5.8.2", "v4.5.7"], key=mech.version_key) == ["v4.5.7", "v5.8.2", "v5.10.0"]
    assert mech.version_key("go1.27.3") > mech.version_key("go1.26.8")

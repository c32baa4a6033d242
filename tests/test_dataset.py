"""matrix.dataset.frame (records -> frame, downloads, isolating pairs) and matrix.dataset.history."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from matrix import UserError
from matrix.dataset import downloads, history, pairs, read
from matrix.dataset import frame as dataset
from tests.sitekit import data_dir_of, downloads_of, synthetic_record


def test_frame_columns_and_order() -> None:
    recs = [synthetic_record(host_tc="go1.27.3"), synthetic_record(), synthetic_record(plugin_tc="go1.19.8")]
    df = dataset.frame(recs)
    assert list(df.columns) == dataset.COLUMNS
    assert list(df["cell"]) == sorted(r["cell"] for r in recs)
    row = df[df["cell"] == recs[1]["cell"]].iloc[0]
    assert row["outcome"] == "loads"
    assert row["host_go"] == "go1.26.8"
    assert row["plugin_go"] == "go1.26.8"
    assert row["plugin_pins"] == "host"
    assert row["axes"] == "baseline"
    assert row["error"] == ""


def test_empty_frame_has_columns() -> None:
    df = dataset.frame([])
    assert df.empty
    assert list(df.columns) == dataset.COLUMNS
    assert downloads.csv_header().decode().startswith("cell,outcome,class,")


def test_error_text_drops_log_lines_and_goroutine_dumps() -> None:
    rec = synthetic_record(plugin_tc="go1.19.8")
    text = dataset.error_text(rec)
    assert text == "fatal error: runtime: no plugin module data"


def test_error_text_keeps_wrapped_message() -> None:
    err = (
        "Error: loading generator plugins: failed to load generator: plugin x fails to load: "
        'plugin.Open("x"): plugin was built with a different version of package sigs.k8s.io/yaml'
    )
    log = "2026/11/25 19:00:00 Attempting plugin load from 'x.so'\n"
    rec = synthetic_record(outcome="fails", stderr=log + err + "\n")
    assert dataset.error_text(rec) == err


def test_error_text_of_other_outcomes() -> None:
    built = synthetic_record(
        outcome="build-failed", build_output="go: downloading a v1\nx.go:1: package slices is not in GOROOT\n"
    )
    text = dataset.error_text(built)
    assert text.splitlines()[0] == "x.go:1: package slices is not in GOROOT"  # the first failed side's
    assert "go: downloading" not in text
    skipped = synthetic_record(outcome="skipped")
    skipped["reason"] = "host: go1.19 is not installed"
    assert dataset.error_text(skipped) == "host: go1.19 is not installed"
    quiet = synthetic_record(outcome="fails", stderr="")
    assert f"exited {quiet['load']['exit_code']} with no error text" in dataset.error_text(quiet)
    long = synthetic_record(outcome="fails", stderr="x" * (dataset.ERROR_MAX + 100))
    assert dataset.error_text(long).endswith("the full text is in stderr]")


def test_go_version() -> None:
    assert dataset.go_version({"goenv": {"GOVERSION": "go1.19.8"}, "version": None}) == "go1.19.8"
    assert dataset.go_version({"goenv": {}, "version": "go version go1.27.3 linux/amd64"}) == "go1.27.3"
    assert dataset.go_version({"goenv": {}, "version": None}) == ""


def test_doctor_columns() -> None:
    doc = {
        "prediction": "fails",
        "class": "package-version-mismatch",
        "package": "sigs.k8s.io/yaml",
        "message": "m",
        "evidence": ["a", {"b": 1}],
        "link": "l",
    }
    df = dataset.frame(
        [
            synthetic_record(doctor=doc),
            synthetic_record(plugin_tc="go1.19.8", doctor={"error": "not an ELF"}),
            synthetic_record(plugin="transformer"),
        ]
    )
    by = df.set_index("cell")
    rows = list(by.itertuples())
    predicted = next(r for r in rows if r.doctor_prediction == "fails")
    assert predicted.doctor_class == "package-version-mismatch"
    assert predicted.doctor_evidence == 'a\n{"b": 1}'
    assert [r.doctor_error for r in rows if r.doctor_error] == ["not an ELF"]
    assert sum(1 for r in rows if not r.doctor_prediction and not r.doctor_error) == 1


def test_the_frame_shows_the_recorded_class() -> None:
    df = dataset.frame(
        [
            synthetic_record(plugin_tc="go1.19.8"),
            synthetic_record(),
            synthetic_record(outcome="fails", cls="timeout", timed_out=True),
        ]
    )
    got = dict(zip(df["outcome"] + ":" + df["class"], [1] * len(df), strict=True))
    assert "loads:" in got
    assert "fails:timeout" in got  # the recorded class, not one recomputed from the text


def test_downloads_are_deterministic_and_round_trip(tmp_path: Path) -> None:
    recs = [
        synthetic_record(),
        synthetic_record(plugin_tc="go1.19.8"),
        synthetic_record(outcome="build-failed", release="v5.8.3"),
    ]
    df = dataset.frame(recs)
    a = downloads_of(data_dir_of(recs, tmp_path / "a"), tmp_path / "out-a")
    b = downloads_of(data_dir_of(list(reversed(recs)), tmp_path / "b"), tmp_path / "out-b")
    assert a == b
    back = pd.read_csv(io.BytesIO(gzip.decompress(a[downloads.CSV])), keep_default_na=False)
    assert list(back["cell"]) == list(df["cell"])
    assert list(back["error"]) == list(df["error"])
    rows = json.loads(gzip.decompress(a[downloads.JSON]))
    assert [r["cell"] for r in rows] == list(df["cell"])
    assert list(rows[0]) == dataset.COLUMNS
    pq = pd.read_parquet(io.BytesIO(a[downloads.PARQUET]))
    assert list(pq.columns) == dataset.COLUMNS
    assert len(pq) == 3


def test_write_downloads(tmp_path: Path) -> None:
    got = downloads_of(data_dir_of([synthetic_record()], tmp_path / "data"), tmp_path / "out")
    assert sorted(got) == [
        "kustomize-plugin-matrix.csv.gz",
        "kustomize-plugin-matrix.json.gz",
        "kustomize-plugin-matrix.parquet",
    ]


def test_isolating_pairs_differ_in_one_input_only() -> None:
    recs = [
        synthetic_record(),
        synthetic_record(host_variant="trimpath", axes=["host-variant"]),
        synthetic_record(plugin_variant="trimpath", axes=["plugin-variant"]),
        synthetic_record(host_variant="trimpath", plugin_variant="trimpath", axes=["matched-variant"]),
        synthetic_record(plugin="transformer"),
        synthetic_record(release="v5.8.3"),
    ]
    df = dataset.frame(recs)
    p = pairs.isolating_pairs(df, ["host_variant"], {"host_variant": "default", "plugin_variant": "default"})
    assert len(p) == 1
    r = p.iloc[0]
    assert (r["host_variant_a"], r["host_variant_b"]) == ("default", "trimpath")
    for col in dataset.KEY_COLUMNS:
        if col != "host_variant":
            assert r[f"{col}_a"] == r[f"{col}_b"]
    both = pairs.isolating_pairs(
        df, ["host_variant", "plugin_variant"], {"host_variant": "default", "plugin_variant": "default"}
    )
    assert len(both) == 3
    with pytest.raises(ValueError, match="reference must fix"):
        pairs.isolating_pairs(df, ["host_variant"], {})
    none = pairs.isolating_pairs(df, ["plugin_pins"], {"plugin_pins": "host"})
    assert none.empty
    assert "cell_a" in none.columns


def test_load_reads_schema_checked_records(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "cells").mkdir(parents=True)
    for r in (synthetic_record(), synthetic_record(plugin_tc="go1.19.8")):
        (data / "cells" / f"{r['cell']}.json").write_text(json.dumps(r))
    df = dataset.load(data)
    assert set(df["class"]) == {"", "no-plugin-module-data"}


def test_compiled_record_checks_accept_only_what_jsonschema_accepts() -> None:
    """The fast checks that dataset.load uses before jsonschema: never True for a record
    jsonschema rejects (mutations of valid records), True for valid ones."""
    import copy
    import random

    import jsonschema

    from matrix.core import schema

    check = read._record_check()
    assert check is not None
    validator = jsonschema.Draft202012Validator(schema._validator("record.schema.json").schema)
    recs = [
        synthetic_record(),
        synthetic_record(plugin_tc="go1.19.8", doctor={"prediction": "fails", "evidence": ["x"]}),
        synthetic_record(outcome="build-failed"),
        synthetic_record(host_platform="linux/arm64"),
    ]
    recs[-1]["runner"]["sandbox"] = {"kind": "bwrap", "version": "0.8", "reason": None}
    for rec in recs:
        assert validator.is_valid(rec)
        assert check(rec)
    bad_values = [None, True, 1, 1.5, -1, "", "x", "zz-top", [], ["x"], [1], {}, {"a": 1}, {"a": "b"}]
    rnd = random.Random(7)

    def paths(obj: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        out = [prefix] if prefix else []
        if isinstance(obj, dict):
            for k, v in obj.items():
                out += paths(v, (*prefix, k))
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                out += paths(v, (*prefix, i))
        return out

    tried = rejected = 0
    for rec in recs:
        for path in paths(rec):
            for how in ("value", "delete", "extra"):
                mutant = copy.deepcopy(rec)
                parent = mutant
                for key in path[:-1]:
                    parent = parent[key]  # type: ignore[index]
                last = path[-1]
                if how == "value":
                    parent[last] = rnd.choice(bad_values)  # type: ignore[index]
                elif how == "delete" and isinstance(parent, dict):
                    del parent[last]  # type: ignore[arg-type]
                elif how == "extra" and isinstance(parent, dict):
                    parent[f"unknown-{last}"] = 1
                else:
                    continue
                tried += 1
                if not validator.is_valid(mutant):
                    rejected += 1
                    assert not check(mutant), (path, how)
    assert tried > 500
    assert rejected > 200


def test_load_reports_a_schema_invalid_record_as_jsonschema_does(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "cells").mkdir(parents=True)
    rec = synthetic_record()
    rec["host"]["build"]["duration_s"] = -1
    (data / "cells" / f"{rec['cell']}.json").write_text(json.dumps(rec))
    with pytest.raises(UserError, match=r"host\.build\.duration_s: -1 is less than the minimum of 0"):
        dataset.load(data)


def test_downloads_streamed_from_records_equal_the_frames(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "cells").mkdir(parents=True)
    recs = [
        synthetic_record(),
        synthetic_record(plugin_tc="go1.19.8"),
        synthetic_record(outcome="build-failed", release="v5.8.3"),
        synthetic_record(plugin="transformer", doctor={"prediction": "loads"}),
    ]
    for r in recs:
        (data / "cells" / f"{r['cell']}.json").write_text(json.dumps(r))
    paths = {n: tmp_path / n for n in downloads.DOWNLOAD_NAMES}
    sizes = downloads.write_download_files(data, paths)
    for name in downloads.DOWNLOAD_NAMES:  # the sizes it reports are the files' sizes
        assert sizes[name] == paths[name].stat().st_size
    # batching does not change a byte: one record at a time gives the same files
    bufs = {n: io.BytesIO() for n in downloads.DOWNLOAD_NAMES}
    w = downloads.DownloadWriter(dict(bufs))
    for rows in dataset.row_batches(data, size=1):
        w.add_rows(rows)
    w.close()
    for name, buf in bufs.items():
        assert buf.getvalue() == paths[name].read_bytes(), name
    light = dataset.site_frame(data)
    assert list(light["cell"]) == sorted(r["cell"] for r in recs)
    assert set(light["stdout"]) == {""}
    assert set(light[light["outcome"] != "loads"]["stderr"]) == {""}


# ---------------------------------------------------------------- history


def test_history_first_run_then_changes_then_nothing() -> None:
    one = dataset.frame(
        [synthetic_record(), synthetic_record(plugin_tc="go1.19.8", recorded_at="2026-11-25T20:00:00+00:00")]
    )
    doc, changed = history.advance(history.empty(), one)
    assert changed
    run = doc["runs"][0]
    assert run["date"] == "2026-11-25T20:00:00+00:00"
    assert run["changed"] == []
    assert [e["key"] for e in run["new_errors"]] == ["no-plugin-module-data"]
    same, changed = history.advance(doc, one)
    assert not changed
    assert same is doc
    flipped = synthetic_record(
        plugin_tc="go1.19.8",
        outcome="fails",
        stderr='plugin.Open("x"): plugin was built with a different version of package a/b\n',
        recorded_at="2026-11-26T08:00:00+00:00",
    )
    two = dataset.frame([synthetic_record(), flipped, synthetic_record(plugin="transformer")])
    doc2, changed = history.advance(doc, two)
    assert changed
    assert len(doc2["runs"]) == 2
    last = doc2["runs"][-1]
    assert last["changed"] == [
        {"cell": synthetic_record(plugin="transformer")["cell"], "before": None, "after": "loads"}
    ]
    assert [e["cell"] for e in last["new_errors"]] == [flipped["cell"]]
    # first and last seen: widened by each run, never dropped
    cell = flipped["cell"]
    assert doc2["cells"][cell] == {
        "first_seen": "2026-11-25T20:00:00+00:00",
        "last_seen": "2026-11-26T08:00:00+00:00",
    }
    assert doc2["classes"]["package-version-mismatch"]["first_seen"] == "2026-11-26T08:00:00+00:00"
    assert (
        doc2["classes"]["no-plugin-module-data"]["last_seen"] == "2026-11-25T20:00:00+00:00"
    )  # not seen since
    assert doc2["packages"]["a/b"]["last_seen"] == "2026-11-26T08:00:00+00:00"
    three, _ = history.advance(doc2, dataset.frame([synthetic_record()]))
    assert cell in three["cells"]  # a cell gone from the dataset keeps its dates
    assert "no-plugin-module-data" in three["classes"]


def test_history_file_round_trip(tmp_path: Path) -> None:
    data = tmp_path
    df = dataset.frame([synthetic_record()])
    assert history.update(data, df)
    text = history.path_for(data).read_text()
    assert not history.update(data, df)
    assert history.path_for(data).read_text() == text


def test_history_rejects_a_damaged_file(tmp_path: Path) -> None:
    from matrix import UserError

    p = tmp_path / "history.json"
    p.write_text('{"format": 9}')
    with pytest.raises(UserError, match=r"history\.json: format"):
        history.load(tmp_path)
    p.write_text('{"format": 1, "runs": {}, "state": {}, "errors_seen": {}}')
    with pytest.raises(UserError, match="runs: expected a JSON list"):
        history.load(tmp_path)
    p.write_text('{"format": 1, "runs": [], "state": {}, "errors_seen": {"x": "2026-01-01"}}')
    upgraded = history.load(tmp_path)  # format 1 (before first/last seen) is read and upgraded
    assert upgraded["format"] == 2
    assert upgraded["errors_seen"] == {"x": "2026-01-01"}
    assert upgraded["cells"] == {}


def test_history_carries_renamed_cells_over() -> None:
    rec = synthetic_record(plugin_tc="go1.19.8", recorded_at="2026-11-25T20:00:00+00:00")
    doc, _ = history.advance(history.empty(), dataset.frame([rec]))
    new_id = "c" + "0" * 12
    moved = {**rec, "cell": new_id, "recorded_at": "2026-12-01T00:00:00+00:00"}
    doc2, changed = history.advance(doc, dataset.frame([moved]), {rec["cell"]: new_id})
    assert changed  # the date moved on
    assert doc2["runs"][-1]["changed"] == []  # the same cell under its new id: no outcome changed
    assert doc2["cells"][new_id] == {
        "first_seen": "2026-11-25T20:00:00+00:00",
        "last_seen": "2026-12-01T00:00:00+00:00",
    }
    assert rec["cell"] not in doc2["cells"]

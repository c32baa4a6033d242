"""The words model (matrix.core.words): `explain`'s guess for a text no rule claims.

Its guesses in the browser and in Go are checked against these on every corpus text
(tests/test_browser_explain.py, tests/test_catalog_slugs.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from matrix.cli.explain import explain
from matrix.core import words
from matrix.core.catalog import UNKNOWN, load_catalog
from matrix.diagnose import checks, words_train
from matrix.diagnose.classify import classify, classify_record

ROOT = Path(__file__).resolve().parent.parent
NOWHERE = ROOT / "tests" / "no-such-data-dir"


def test_words_are_ascii_runs_without_hex_cut_at_digits() -> None:
    text = "Error: plugin_x64 failed at 0xdeadbeef (id 3f2a9c1d7e); über-fehler timeout30s a b"
    assert words.words(text) == {"error", "plugin_x", "failed", "at", "id", "ber", "fehler", "timeout"}
    assert words.words("aaaa " * 10 + "late", max_runs=10) == {"aaaa"}  # only the first runs are read
    assert words.words("") == set()
    assert words.words("x" * 25 + " " + "y" * 24) == {"y" * 24}


def _model(margin: int = 10) -> words.Words:
    doc = {
        "classes": ["timeout", UNKNOWN, "runtime-crash"],
        "bias": [0, 5, 0],
        "weights": {"timed": [20, 0, 0], "out": [5, 0, 5], "panic": [0, 0, 30]},
        "margin": margin,
    }
    return words.parse(doc, "test")


def test_a_guess_needs_a_margin_over_unknown() -> None:
    m = _model()
    assert words.scores(m, "it timed out") == [25, 5, 5]
    assert words.guess(m, "it timed out") == words.Guess("timeout", 20)
    assert words.guess(m, "out") is None  # 5 - 5 < 10
    assert words.guess(_model(margin=21), "it timed out") is None
    assert words.guess(m, "nothing here") is None  # unknown wins
    assert words.guess(m, "timed out panic") == words.Guess("runtime-crash", 30)
    assert words.guess(m, "it timed out", allowed=["runtime-crash"]) is None
    assert words.guess(None, "it timed out") is None


def test_a_nearly_as_likely_class_is_the_guess_s_second() -> None:
    # runtime-crash 35, timeout 25, unknown 5: timeout is second when less than `margin` below
    assert words.guess(_model(margin=11), "timed out panic") == words.Guess("runtime-crash", 30, "timeout")
    assert words.guess(_model(margin=10), "timed out panic") == words.Guess("runtime-crash", 30)
    # the next class must beat unknown too (runtime-crash 5 is not above unknown's 5)
    assert words.guess(_model(margin=10), "it timed out") == words.Guess("timeout", 20)
    # a class the caller may not answer is not second either
    assert words.guess(_model(margin=11), "timed out panic", allowed=["runtime-crash"]) == words.Guess(
        "runtime-crash", 30
    )


def test_a_guess_s_second_is_offered_with_the_catalog_s_command_for_the_pair() -> None:
    cat = load_catalog()
    m = cat.matching
    assert m is not None
    pfm, msl = cat.by_slug["plugin-file-missing"], "missing-shared-library"
    (alt,) = checks.second(cat, m, pfm, msl)  # plugin-file-missing's alternative of it
    assert (alt.slug, alt.why) == (msl, words.SECOND_WHY)
    assert "{" not in alt.check  # placeholders filled
    assert "PLUGIN.so" in alt.check
    (back,) = checks.second(cat, m, cat.by_slug[msl], "plugin-file-missing")
    assert back.slug == "plugin-file-missing"
    assert checks.second(cat, m, cat.by_slug["plugin-already-loaded"], "cgo-unavailable") == ()  # no command
    assert checks.second(cat, m, pfm, None) == ()


def test_a_tie_goes_to_the_first_class() -> None:
    doc = {
        "classes": ["a-class", "b-class", UNKNOWN],
        "bias": [0, 0, 0],
        "weights": {"both": [50, 50, 0]},
        "margin": 1,
    }
    assert words.guess(words.parse(doc, "t"), "both") == words.Guess("a-class", 50, "b-class")


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ({"classes": ["a"], "bias": [1, 2], "weights": {}, "margin": 1}, "one number per class"),
        ({"classes": ["a"], "bias": [1], "weights": {"w": [1, 2]}, "margin": 1}, "one number per class"),
        ({"classes": ["a"], "bias": [1], "weights": {}}, "not a words model"),
        ([], "not a words model"),
        ({"classes": ["a"], "bias": ["x"], "weights": {}, "margin": 1}, "not a words model"),
        ({"classes": ["a"], "bias": [1], "weights": {"w": ["1"]}, "margin": 1}, "a weight is not an integer"),
        ({"classes": ["a"], "bias": [1], "weights": {"w": 1}, "margin": 1}, "one number per class"),
    ],
)
def test_a_damaged_model_is_named(doc: object, problem: str) -> None:
    with pytest.raises(words.ModelError, match=f"^some/words.json: .*{problem}"):
        words.parse(doc, "some/words.json")


def test_a_damaged_model_file_is_a_clear_error_not_a_traceback() -> None:
    from matrix import UserError

    with pytest.raises(UserError, match=r"^matrix/catalog/words\.json: not valid JSON"):
        words.read('{"classes": [', "matrix/catalog/words.json")
    with pytest.raises(UserError, match="not a words model"):
        words.read("[]", "matrix/catalog/words.json")


def test_the_model_kept_in_the_cache_is_the_model_and_a_damaged_cache_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """load_words keeps the checked model in the user's cache directory; read back from
    there it is the same model (same weights, same guesses), and a damaged cache file
    means the JSON is read again."""
    monkeypatch.setenv("PLUGIN_MATRIX_CACHE", str(tmp_path))

    def fresh() -> words.Words:
        words.load_words.cache_clear()
        got = words.load_words()
        assert got is not None
        return got

    try:
        first = fresh()  # from the JSON; written to the cache
        kept = tmp_path / "explain" / "words.marshal"
        assert kept.is_file()
        again = fresh()  # from the cache
        assert again.weights is not first.weights
        assert again.weights.keys() == first.weights.keys()
        assert all(list(again.weights[w]) == list(v) for w, v in first.weights.items())
        assert again.weights.get("notawordofanytext") is None
        assert all(list(again.weights.get(w) or ()) == list(v) for w, v in first.weights.items())
        assert len(again.weights) == len(first.weights)
        assert (again.classes, again.bias, again.margin) == (first.classes, first.bias, first.margin)
        assert (again.trained_on, again.params) == (first.trained_on, first.params)
        assert words.published(again) == words.published(first)
        kept.write_bytes(b"\x00 not marshal")
        damaged = fresh()
        assert damaged.classes == first.classes
        assert len(damaged.weights) == len(first.weights)
    finally:
        words.load_words.cache_clear()


def test_the_packaged_model_is_trained_on_todays_tune_split() -> None:
    """It is generated, never edited: retrain it when the tune split changes."""
    r = subprocess.run(
        [sys.executable, "-m", "matrix.diagnose.words_train", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    model = words.load_words()
    assert model is not None
    assert set(model.classes) == {c.slug for c in load_catalog().classes}
    rows = words_train.tune_rows(ROOT / words_train.CORPUS)
    assert model.trained_on["texts"] == len(rows)
    assert all(r["split"] == "tune" for r in rows)


def test_the_check_fails_when_the_tune_split_changed(tmp_path: Path) -> None:
    (tmp_path / "tests" / "corpus").mkdir(parents=True)
    (tmp_path / "matrix" / "catalog").mkdir(parents=True)
    corpus = tmp_path / words_train.CORPUS
    rows = [
        {"text": f"plugin timed out waiting {i}", "label": "timeout", "split": "tune"} for i in range(3)
    ] + [{"text": f"something else entirely {i}", "label": UNKNOWN, "split": "tune"} for i in range(3)]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert words_train.main(["--root", str(tmp_path)]) == 0
    assert words_train.main(["--root", str(tmp_path), "--check"]) == 0
    model = words.parse(json.loads((tmp_path / words_train.OUT).read_text()), "t")
    assert model.classes == ("timeout", UNKNOWN)
    assert words.scores(model, "timed")[0] > words.scores(model, "timed")[1]
    # a heldout text is never read
    corpus.write_text(
        corpus.read_text() + json.dumps({"text": "x", "label": "timeout", "split": "heldout"}) + "\n"
    )
    assert words_train.main(["--root", str(tmp_path), "--check"]) == 0
    corpus.write_text(
        corpus.read_text() + json.dumps({"text": "y", "label": "timeout", "split": "tune"}) + "\n"
    )
    assert words_train.main(["--root", str(tmp_path), "--check"]) == 1
    (tmp_path / words_train.OUT).write_text("{")
    assert words_train.main(["--root", str(tmp_path), "--check"]) == 1
    assert words_train.main(["--root", str(tmp_path / "nowhere")]) == 2


def test_the_sparse_fit_equals_the_dense_one() -> None:
    """words_train.fit multiplies by x through its nonzero cells and finds x's 2-norm by
    power iteration: on real corpus texts it gives the model that dense products and the
    exact norm (numpy's) give, weight for weight."""
    import numpy as np

    rows = words_train.tune_rows(ROOT / words_train.CORPUS)[::23][:400]
    texts, labels = [r["text"] for r in rows], [r["label"] for r in rows]
    params: dict[str, Any] = {**words_train.PARAMS, "steps": 120}
    classes, vocab, cells, y = words_train.design(texts, labels, params["min_df"])
    x = np.zeros((len(cells), len(vocab) + 1))
    for r, c in enumerate(cells):
        x[r, c] = 1.0
    dense = words_train.descend(lambda m: x @ m, lambda m: x.T @ m, float(np.linalg.norm(x, 2)), y, params)
    got = words_train.fit(texts, labels, params)
    assert len(classes) > 5
    assert len(got["weights"]) > 100
    assert got == words_train.rounded(dense, vocab, classes, params["scale"])


def _corpus_text(id_: str) -> str:
    for ln in (ROOT / words_train.CORPUS).read_text(encoding="utf-8").splitlines():
        row = json.loads(ln)
        if row["id"] == id_:
            return str(row["text"])
    raise AssertionError(id_)


# A public text no rule claims (gotop's plugin not found in two directories)
GUESSED = _corpus_text("gotop-7a01")


def test_explain_guesses_says_so_and_records_never_guess() -> None:
    m = classify(GUESSED)
    assert m.slug == UNKNOWN
    assert not m.guessed
    g = classify(GUESSED, guess=True)
    assert g.guessed
    assert g.slug != UNKNOWN
    assert g.why == words.WHY
    assert g.stage == load_catalog().get(g.slug).stage
    out = explain(GUESSED, NOWHERE)
    assert (out["class"], out["guessed"], out["why"]) == (g.slug, True, words.WHY)
    assert "guessed" not in explain("plugin: not implemented", NOWHERE)
    rec = {"outcome": "fails", "load": {"stderr": GUESSED, "stdout": "", "mode": "subprocess"}}
    assert classify_record(rec)[0] == UNKNOWN


def test_the_cli_labels_a_guessed_line_as_text() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "matrix", "explain", GUESSED], cwd=ROOT, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert "\ntext " in r.stdout
    assert "\nmatched " not in r.stdout
    assert "\nwhy " in r.stdout
    assert "a guess from its words alone" in " ".join(r.stdout.split())

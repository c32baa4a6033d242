"""The whole-log gate pass in two processes (matrix.diagnose.halves) finds what one pass
finds, and falls back to one process when the child fails."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from matrix.core.catalog import load_catalog
from matrix.diagnose import gates, halves
from matrix.diagnose.classify import scan

CORPUS = Path(__file__).parent / "corpus" / "public_errors.jsonl"


@pytest.fixture(scope="module")
def log() -> str:
    texts = [json.loads(ln)["text"] for ln in CORPUS.read_text(encoding="utf-8").splitlines()[:400]]
    noise = "2026-01-02T10:11:12Z INFO loading plugin helm from /home/argocd/.config/kustomize/plugin"
    return "\n".join(f"{noise} {i}\n{t}" for i, t in enumerate(texts))


def _serial(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(halves, "processors", lambda: 1)


def test_two_processes_find_what_one_finds(log: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("no fork here")
    cat = load_catalog()
    lines = log.splitlines()
    monkeypatch.setattr(halves, "FROM", 1000)
    monkeypatch.setattr(halves, "processors", lambda: 2)
    calls: list[tuple[int, int]] = []
    real = halves.in_two

    def spy(work, text):  # type: ignore[no-untyped-def]
        def seen(lo: int, hi: int):  # type: ignore[no-untyped-def]
            calls.append((lo, hi))
            return work(lo, hi)

        got = real(seen, text)
        assert got is not None, "the text was long enough to be read in two halves"
        return got

    monkeypatch.setattr(halves, "in_two", spy)
    two = gates.candidates(cat, lines, log)
    assert calls
    assert calls[0][0] == 0
    assert 0 < calls[0][1] < len(log)
    assert log[calls[0][1] - 1] == "\n"  # split at a line break
    monkeypatch.setattr(halves, "in_two", real)
    _serial(monkeypatch)
    one = gates.candidates(cat, lines, log)
    assert two == one
    assert one


def test_a_failing_child_is_replaced_by_this_process(log: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("no fork here")
    me = os.getpid()

    def work(lo: int, hi: int) -> dict[int, str]:
        if os.getpid() != me:
            raise RuntimeError("the child fails")
        return {lo: log[lo:hi][:10]}

    monkeypatch.setattr(halves, "FROM", 1000)
    monkeypatch.setattr(halves, "processors", lambda: 2)
    got = halves.in_two(work, log)
    assert got is not None
    assert len(got) == 2
    assert 0 in got
    mid = max(got)
    assert got[mid] == log[mid : mid + 10]


def test_short_texts_and_one_processor_stay_in_this_process(
    log: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert halves.in_two(lambda lo, hi: {lo: hi}, "short\ntext") is None
    monkeypatch.setattr(halves, "FROM", 1000)
    _serial(monkeypatch)
    assert halves.in_two(lambda lo, hi: {lo: hi}, log) is None


def test_whole_log_answers_do_not_depend_on_the_processes(log: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cat = load_catalog()
    big = log * 3  # a whole log (read with the gate pass)
    monkeypatch.setattr(halves, "FROM", 1000)
    monkeypatch.setattr(halves, "processors", lambda: 2)
    used: list[bool] = []
    real = halves.in_two

    def spy(work, text):  # type: ignore[no-untyped-def]
        got = real(work, text)
        used.append(got is not None)
        return got

    monkeypatch.setattr(halves, "in_two", spy)
    two = [(m.slug, m.lineno, m.host, m.stage) for m in scan(cat, big)]
    assert used == [True], "the scan's gate pass ran in two processes"
    monkeypatch.setattr(halves, "in_two", real)
    _serial(monkeypatch)
    one = [(m.slug, m.lineno, m.host, m.stage) for m in scan(cat, big)]
    assert two == one
    assert len(one) > 100

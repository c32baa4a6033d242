"""The whole-log gate pass in two processes (matrix.diagnose.halves) finds what one pass
finds, and falls back to one process when the child fails."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from matrix.core.catalog import load_catalog
from matrix.diagnose import classify, gates, halves
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


def _two(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """Two processors and a low threshold; the list gets, per piece of work read in halves,
    where the halves were split (None: at the middle, as the gate pass; the scan's own
    split at a line's start divides its candidate lines evenly)."""
    monkeypatch.setattr(halves, "FROM", 1000)
    monkeypatch.setattr(halves, "processors", lambda: 2)
    used: list[int | None] = []
    real = halves.pair

    def spy(here, there, text, at=None):  # type: ignore[no-untyped-def]
        got = real(here, there, text, at)
        assert got is not None, "the text was long enough to be read in two halves"
        used.append(at)
        return got

    monkeypatch.setattr(halves, "pair", spy)
    return used


def test_whole_log_answers_do_not_depend_on_the_processes(log: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cat = load_catalog()
    big = log * 3  # a whole log (read with the gate pass)
    used = _two(monkeypatch)
    two = scan(cat, big)
    assert len(used) == 2, "the gate pass, then the scan, in two processes"
    assert used[0] is None  # the gate pass: at the middle
    assert used[1], "the scan: where its candidate lines divide"
    _serial(monkeypatch)
    one = scan(cat, big)
    assert two == one  # every field: class, line, count, stage, host, alternatives, fixes
    assert len(one) > 100
    assert any(m.count > 1 for m in one), "errors of both halves were merged and counted"


CRASH = """panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]

goroutine 1 [running]:
main.(*loader).open(0x0, {0x7ffd3c, 0x9})
	/src/main.go:42 +0x2c
main.main()
	/src/main.go:17 +0x85
exit status 2
go build example.com/host: exit status 2"""


def test_a_stretch_across_the_middle_is_read_as_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash whose lines straddle the split: the child's first stretch is joined to this
    process's last, so the answer is one pass's (read apart, the halves answer otherwise)."""
    cat = load_catalog()
    noise = [
        f"2026-01-02T10:11:12Z INFO request served path=/api/v1/items/{i} status=200" for i in range(2000)
    ]
    pad = "\n".join(noise)
    # the split is the line break after the middle: here, inside the crash
    text = "\n".join([pad, CRASH, pad])
    used = _two(monkeypatch)
    two = scan(cat, text)
    assert len(used) == 2
    mid = used[1]
    assert mid is not None
    assert len(pad) < mid < len(pad) + len(CRASH), "the split falls inside the crash"
    apart = scan(cat, text[:mid]) + scan(cat, text[mid:])
    _serial(monkeypatch)
    one = scan(cat, text)
    assert two == one
    # the panic's stretch reaches the `go build` line below it: a crash in a build
    assert (one[0].slug, one[0].stage, one[0].lineno) == ("build-failed", "build", len(noise) + 1)
    assert [(m.slug, m.lineno) for m in apart] != [(m.slug, m.lineno) for m in one]


def test_a_failing_child_scan_is_replaced_by_this_process(log: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("no fork here")
    cat = load_catalog()
    big = log * 3
    me = os.getpid()
    real_answer = classify._Scan.answer

    def answer(self, err):  # type: ignore[no-untyped-def]
        if os.getpid() != me:
            raise RuntimeError("the child fails")
        return real_answer(self, err)

    _serial(monkeypatch)
    one = scan(cat, big)
    used = _two(monkeypatch)
    monkeypatch.setattr(classify._Scan, "answer", answer)
    assert scan(cat, big) == one
    assert len(used) == 2


ORDINARY = [
    "#12 [builder 4/6] RUN go build -o /out/app ./cmd/app",
    "#12 0.345 go: downloading github.com/spf13/cobra v1.8.0",
    "Step 5/9 : RUN CGO_ENABLED=0 go build -trimpath -o /bin/app .",
    " ---> Running in 3f2a1b4c5d6e",
    "=== RUN   TestLoader",
    "--- PASS: TestLoader (0.01s)",
    "ok  \tgithub.com/example/app/pkg/loader\t0.012s",
    "2026-01-02T10:11:12Z INFO request served method=GET path=/api/v1/items status=200 duration=3ms",
    'time="2026-01-02T10:11:12Z" level=info msg="Generating manifests with kustomize build --enable-alpha-plugins"',
    "configmap/app-config configured",
]


def test_ordinary_build_output_is_not_a_candidate() -> None:
    """A whole log is cheap because ordinary lines (a build's progress, tests passing,
    requests served) hold nothing every pattern of some class needs: a pattern whose needs
    they hold makes each of them a line to read (a BuildKit summary pattern once made every
    `RUN go build` progress line one, and a 10 MB log 70 % more candidate lines)."""
    cat = load_catalog()
    lines = [f"{ln} {i}" for i in range(50) for ln in ORDINARY]
    assert gates.candidates(cat, lines) == {}

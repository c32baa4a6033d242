"""Patterns made from the code kept with the cached catalog (matrix.core.rxcode) are the
patterns `re.compile` makes, and a fresh explain uses them instead of compiling."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from matrix.core import catalog as catalog_mod
from matrix.core import rxcode
from matrix.core.catalog import load_catalog
from matrix.diagnose import gates

CORPUS = Path(__file__).parent / "corpus" / "public_errors.jsonl"


def _lines() -> list[str]:
    rows = CORPUS.read_text(encoding="utf-8").splitlines()
    return [ln for row in rows[::20] for ln in json.loads(row)["text"].splitlines()]


def test_kept_code_makes_the_pattern_re_compile_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    cat = load_catalog()
    sources = sorted({p.source for _, p in cat.all_patterns()})
    kept = rxcode.codes(sources)
    assert kept is not None, "this is CPython: its engine's code can be kept"
    monkeypatch.setattr(rxcode, "CODES", {})
    rxcode.use(kept)
    assert set(rxcode.CODES) == set(sources)
    lines = _lines()
    compared = matched = 0
    for _, p in cat.all_patterns():
        made, usual = rxcode.compiled(p.source), re.compile(p.source)
        assert made is not usual  # made from the code, not re's own cache
        assert (made.pattern, made.flags, made.groups, made.groupindex) == (
            usual.pattern,
            usual.flags,
            usual.groups,
            usual.groupindex,
        )
        for ln in lines:
            if p.gate is not None and not any(g in ln for g in p.gate):
                continue
            a, b = made.search(ln), usual.search(ln)
            assert (a and (a.span(), a.groupdict())) == (b and (b.span(), b.groupdict())), (p.source, ln)
            compared += 1
            matched += a is not None
    assert compared > 10_000
    assert matched > 500


def test_a_fresh_explain_makes_patterns_from_the_kept_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLUGIN_MATRIX_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(rxcode, "CODES", {})
    catalog_mod.clear_cache()
    try:
        load_catalog()  # parsed from the TOML, then kept with every pattern's code
        assert not rxcode.CODES, "a catalog read from the TOML compiles as usual"
        catalog_mod.clear_cache()
        cat = load_catalog()  # read from the cache, as a fresh process does
        assert len(rxcode.CODES) > 1000

        def not_compiled(*_: object) -> None:
            raise AssertionError("compiled again: the kept code was not used")

        monkeypatch.setattr(re, "compile", not_compiled)
        hits = [p.rx.search("plugin: not implemented") for _, p in cat.all_patterns()]
        assert any(hits)
    finally:
        catalog_mod.clear_cache()


def test_code_of_another_python_or_damaged_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    kept = rxcode.codes(["plugin (?P<name>[a-z]+) failed"])
    assert kept is not None
    monkeypatch.setattr(rxcode, "CODES", {})
    rxcode.use({**kept, "stamp": ["cpython", "3.0.0", 1, "I"]})  # another Python's
    assert rxcode.CODES == {}
    rxcode.use(None)
    rxcode.use({"stamp": rxcode.STAMP, "codes": "not a table"})
    assert rxcode.CODES == {}
    rxcode.use(kept)
    source = "plugin (?P<name>[a-z]+) failed"
    flags, _, groups, groupindex, indexgroup = rxcode.CODES[source]
    rxcode.CODES[source] = (flags, b"\xff\xff\xff\x7f", groups, groupindex, indexgroup)  # damaged
    made = rxcode.compiled(source)  # compiled as usual
    m = made.search("the plugin foo failed")
    assert m is not None
    assert m.group("name") == "foo"
    assert source not in rxcode.CODES


def test_whole_log_candidates_are_the_lines_holding_what_a_pattern_needs() -> None:
    """The gate pass over a log's UTF-8 bytes finds, line by line, the gates a plain
    substring test finds (non-ASCII text, a gate at a line's end, any line to start at)."""
    cat = load_catalog()
    needs = gates._hit_needs(cat)
    assert needs
    rows = CORPUS.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(row)["text"] for row in rows[::7]]
    lines = [ln for t in texts for ln in t.split("\n")]
    lines += ['不是有效的 Win32 应用程序 ✓ plugin.Open("x"): realpath failed', "ünïcödé " * 3, "", "Error"]
    text = "\n".join(lines)
    assert not text.isascii()
    found = gates.Candidates(cat, lines, text)

    def brute(lo_line: int) -> dict[int, set[str]]:
        out = {}
        for k in range(lo_line, len(lines)):
            held = {g for g in needs if g in lines[k]}
            if any(gates.holds(lines[k], n) for g in held for n in needs[g]):
                out[k] = held
        return out

    assert found.between(0, len(text)) == brute(0)
    mid = len(lines) // 3
    assert found.between(found.starts[mid], len(text)) == brute(mid)
    assert len(brute(0)) > 300

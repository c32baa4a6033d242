"""Gates: ruling lines out before any regular expression runs.

Every catalog pattern knows literal strings every text it matches holds (`Pattern.needs`,
the rarest-looking of them its `gate`; matrix.core.matching). A line that holds none of a
pattern's gate is not tried against it. A long log (from matching.WHOLE_LOG_FROM
characters) is first narrowed to the lines that hold everything some hit pattern needs
(`candidates`), found in one pass by an Aho-Corasick automaton over the text's UTF-8 bytes
(ahocorasick-rs), so a 10 MB log costs little more than reading it; the answer is the
same as without the narrowing. A line's own gates (`present_markers`) are found by another
automaton (pyahocorasick), which reads a short string faster.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import ahocorasick
import ahocorasick_rs

from matrix.core.catalog import Catalog, ErrorClass, Marker
from matrix.core.matching import Pattern, any_in
from matrix.diagnose import halves


@functools.cache
def _longest_gate(cat: Catalog) -> int:
    return max((len(g) for g, _ in gate_index(cat)), default=0)


@functools.cache
def hit_pattern_set(cat: Catalog) -> frozenset[Pattern]:
    return frozenset(_hit_patterns(cat))


@functools.cache
def _gate_heads(cat: Catalog) -> dict[str, list[tuple[str, tuple[Pattern, ...]]]]:
    """Every start of every gate -> (the rest of the gate, the patterns it opens)."""
    out: dict[str, list[tuple[str, tuple[Pattern, ...]]]] = {}
    for g, pats in gate_index(cat):
        for k in range(1, len(g) + 1):
            out.setdefault(g[:k], []).append((g[k:], pats))
    return out


def across(cat: Catalog, left: str, right: str) -> set[Pattern]:
    """The patterns whose gate starts in `left` and ends in `right` (or at left's end)."""
    heads = _gate_heads(cat)
    out: set[Pattern] = set()
    for k in range(1, min(len(left), _longest_gate(cat)) + 1):
        for rest, pats in heads.get(left[-k:], ()):
            if right.startswith(rest):
                out.update(pats)
    return out


@functools.cache
def gate_index(cat: Catalog) -> tuple[tuple[str, tuple[Pattern, ...]], ...]:
    """(gate, the patterns it opens) for every gate of the catalog's patterns."""
    idx: dict[str, list[Pattern]] = {}
    for _, p in cat.all_patterns():
        for g in p.gate or ():
            idx.setdefault(g, []).append(p)
    return tuple((g, tuple(ps)) for g, ps in sorted(idx.items()))


def present(cat: Catalog, src: str) -> set[Pattern]:
    """The gated patterns that may match some part of `src`: those with a gate in it."""
    out: set[Pattern] = set()
    for g, pats in gate_index(cat):
        if g in src:
            out.update(pats)
    return out


@functools.cache
def _marker_index(cat: Catalog, stages: bool) -> tuple[tuple[str, tuple[Pattern, ...]], ...]:
    """gate_index for the stage markers' patterns only (stages), or the hosts' only."""
    idx: dict[str, list[Pattern]] = {}
    for mk in cat.stages if stages else cat.hosts:
        for p in mk.pats:
            for g in p.gate or ():
                idx.setdefault(g, []).append(p)
    return tuple((g, tuple(ps)) for g, ps in sorted(idx.items()))


def present_markers(cat: Catalog, src: str, stages: bool) -> set[Pattern]:
    """`present` restricted to the stage markers (stages) or the host markers (what a
    line's stage or hosts need): the same answer for those patterns, a fraction of the
    gates to look for (all of them found in one pass, an Aho-Corasick automaton). The two
    are apart because a log's stretches ask every line near them for its stage, and only
    the lines near an error for its host."""
    out: set[Pattern] = set()
    auto = _marker_automaton(cat, stages)
    if auto is not None:
        for _, pats in auto.iter(src):
            out.update(pats)
    return out


@functools.cache
def _marker_automaton(cat: Catalog, stages: bool) -> Any:
    """The automaton of the stage (or host) markers' gates, each with its patterns."""
    return automaton_of(_marker_index(cat, stages))


def automaton_of(words: Iterable[tuple[str, Any]]) -> Any:
    """An Aho-Corasick automaton finding each word (with its value) in one pass (None: no word)."""
    auto = ahocorasick.Automaton()
    for w, value in words:
        auto.add_word(w, value)
    if not len(auto):
        return None
    auto.make_automaton()
    return auto


def may(p: Pattern, present: set[Pattern]) -> bool:
    return p.gate is None or p in present


def _hit_patterns(cat: Catalog) -> Iterable[Pattern]:
    """The patterns that can make a line a hit: classes' and fallbacks'."""
    for c in cat.classes:
        yield from c.pats
    for fb in cat.fallbacks:
        yield from fb.pats


@functools.cache
def _hit_needs(cat: Catalog) -> dict[str, tuple[tuple[tuple[str, ...], ...], ...]] | None:
    """For every gate of a hit pattern, the needs of the hit patterns it opens (None: a
    hit pattern has no gate, so no line can be ruled out)."""
    out: dict[str, set[tuple[tuple[str, ...], ...]]] = {}
    for p in _hit_patterns(cat):
        if p.gate is None or p.needs is None:
            return None
        for g in p.gate:
            out.setdefault(g, set()).add(p.needs)
    return {g: tuple(sorted(n)) for g, n in out.items()}


@functools.cache
def _automaton(cat: Catalog) -> tuple[Any, tuple[str, ...]] | None:
    """The automaton of every gate of a hit pattern (over UTF-8 bytes), with the gates
    by their index (None: no gate)."""
    words = tuple(_hit_needs(cat) or {})
    if not words:
        return None
    auto = ahocorasick_rs.BytesAhoCorasick(
        [w.encode("utf-8", "surrogatepass") for w in words],
        implementation=ahocorasick_rs.Implementation.ContiguousNFA,
    )
    return auto, words


def holds(line: str, needs: tuple[tuple[str, ...], ...]) -> bool:
    for need in needs:  # noqa: SIM110 (a loop: this runs for every line a whole log's gates find)
        if not any_in(need, line):
            return False
    return True


class Candidates:
    """The candidate lines of a text, found by the part of the text they are in (`between`):
    the lines that hold everything some hit pattern needs, with the gates each holds, found
    in one pass over that part (an Aho-Corasick automaton); no other line can hit. `text`:
    what `lines` was split from, read as it is when its only line breaks are `\\n` (it is
    then the lines joined, and need not be built)."""

    def __init__(self, cat: Catalog, lines: Sequence[str], text: str | None = None) -> None:
        self.needs = _hit_needs(cat) or {}
        self.lines = lines
        if text is None or not _joined(text, len(lines)):
            text = "\n".join(lines)
        self.text = text
        self.starts = list(itertools.accumulate((len(ln) + 1 for ln in lines), initial=0))
        self.auto = _automaton(cat) if self.needs else None

    def between(self, lo: int, hi: int) -> dict[int, set[str]]:
        """The candidate lines of text[lo:hi] (lo: a line's start), by 0-based line."""
        if self.auto is None:
            return {}
        auto, words = self.auto
        lines, needs = self.lines, self.needs
        # UTF-8 is self-synchronising: a gate's bytes are found where the gate is; a gate
        # is the line's whose line break ends at or after the gate's last byte (the
        # matches come in the order of their ends)
        data = self.text[lo:hi].encode("utf-8", "surrogatepass")
        held: dict[int, set[str]] = {}
        k = bisect.bisect_right(self.starts, lo) - 1  # the line of the first byte
        brk, cur = data.find(b"\n"), None  # the break that ends line k (-1: the last line)
        for g, _, end in auto.find_matches_as_indexes(data, overlapping=True):
            if 0 <= brk < end - 1:  # a later line
                k += 1 + data.count(b"\n", brk + 1, end - 1)
                brk, cur = data.find(b"\n", end - 1), None
            if cur is None:
                cur = held[k] = set()
            cur.add(words[g])
        return {k: gs for k, gs in held.items() if any(holds(lines[k], n) for g in gs for n in needs[g])}

    @property
    def halvable(self) -> bool:
        """Whether two halves split at a line break find what one pass finds: no gate holds
        a line break (a line is matched on its own)."""
        return not any("\n" in g for g in self.needs)

    def everywhere(self) -> dict[int, set[str]]:
        """The candidate lines of the whole text: the pass in two halves where there are two
        processors (matrix.diagnose.halves)."""
        got = halves.in_two(self.between, self.text) if self.halvable else None
        return got if got is not None else self.between(0, len(self.text))


def finder(cat: Catalog, lines: Sequence[str], text: str | None = None) -> Candidates | None:
    """The text's Candidates; None: a hit pattern has no gate, so every line must be read."""
    return None if _hit_needs(cat) is None else Candidates(cat, lines, text)


def candidates(cat: Catalog, lines: Sequence[str], text: str | None = None) -> dict[int, set[str]] | None:
    """The candidate lines of the whole text (Candidates), the Aho-Corasick pass in two
    halves where there are two processors (matrix.diagnose.halves). None: every line must
    be read."""
    found = finder(cat, lines, text)
    return None if found is None else found.everywhere()


def _joined(text: str, n: int) -> bool:
    """Whether `text`.splitlines() (n lines) split it at `\\n` only: any other line
    break (`\\r`, `\\v`, `\\x85`, U+2028...) makes one line more than its `\\n`s."""
    breaks = text.count("\n")
    return "\r" not in text and n == (breaks if text.endswith("\n") else breaks + 1)


# ---------------------------------------------------------------- patterns by gate

T = TypeVar("T")
# (place in catalog order, what the pattern belongs to, the pattern)
Placed = tuple[Any, T, Pattern]
# the patterns without a gate, those with one by pattern, and what `allowed` answered
# (by the gated patterns present: a log's lines hold the same few sets again and again)
ByGate = tuple[
    tuple[Placed[T], ...],
    dict[Pattern, tuple[Placed[T], ...]],
    dict[frozenset[Pattern], tuple[Placed[T], ...]],
]
_ALLOWED_KEPT = 4096  # answers `allowed` keeps per index (a log holds a few thousand sets)


def by_gate(placed: Iterable[Placed[T]]) -> ByGate[T]:
    ungated: list[Placed[T]] = []
    gated: dict[Pattern, list[Placed[T]]] = {}
    for x in placed:
        if x[2].gate is None:
            ungated.append(x)
        else:
            gated.setdefault(x[2], []).append(x)
    return tuple(ungated), {p: tuple(xs) for p, xs in gated.items()}, {}


def allowed(index: ByGate[T], present: set[Pattern]) -> tuple[Placed[T], ...]:
    """The patterns a line may match (no gate, or a gate it holds), in catalog order."""
    ungated, gated, known = index
    key = frozenset(present)
    got = known.get(key)
    if got is None:
        got = tuple(sorted([*ungated, *(x for p in key for x in gated.get(p, ()))], key=lambda x: x[0]))
        if len(known) >= _ALLOWED_KEPT:
            known.clear()
        known[key] = got
    return got


def wanted_classes(cat: Catalog, wanted: Iterable[str]) -> list[ErrorClass]:
    """The classes a text may be given when only the `wanted` stages are read."""
    ok = set(wanted)
    return [c for c in cat.classes if c.stage in ok and c.stage != "fallback"]


@functools.cache
def class_patterns(cat: Catalog, wanted: frozenset[str]) -> ByGate[ErrorClass]:
    """The patterns of the classes of the `wanted` stages, placed by (class, pattern)."""
    classes = wanted_classes(cat, wanted)
    return by_gate(((i, j), c, p) for i, c in enumerate(classes) for j, p in enumerate(c.pats))


@functools.cache
def fallback_patterns(cat: Catalog, which: tuple[int, ...]) -> ByGate[int]:
    """The patterns of the fallbacks `which` (their indexes), placed by (fallback, pattern)."""
    return by_gate(((k, j), k, p) for k in which for j, p in enumerate(cat.fallbacks[k].pats))


@functools.cache
def marker_patterns(cat: Catalog, stages: bool) -> ByGate[Marker]:
    """The stages' patterns (stages), else the hosts', each with its marker, in catalog order."""
    every = [(mk, p) for mk in (cat.stages if stages else cat.hosts) for p in mk.pats]
    return by_gate((k, mk, p) for k, (mk, p) in enumerate(every))

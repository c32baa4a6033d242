"""Gates: ruling lines out before any regular expression runs.

Every catalog pattern knows literal strings every text it matches holds (`Pattern.needs`,
the rarest-looking of them its `gate`; matrix.core.matching). A line that holds none of a
pattern's gate is not tried against it. A long log (from matching.WHOLE_LOG_FROM
characters) is first narrowed to the lines that hold everything some hit pattern needs
(`candidates`), found in its bytes by a few regular expressions, so a 10 MB log costs
little more than reading it; the answer is the same as without the narrowing.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Sequence

from matrix.core.catalog import Catalog
from matrix.core.matching import Pattern


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
def _marker_index(cat: Catalog) -> tuple[tuple[str, tuple[Pattern, ...]], ...]:
    """gate_index for the stage and host markers' patterns only."""
    idx: dict[str, list[Pattern]] = {}
    for mk in (*cat.stages, *cat.hosts):
        for p in mk.pats:
            for g in p.gate or ():
                idx.setdefault(g, []).append(p)
    return tuple((g, tuple(ps)) for g, ps in sorted(idx.items()))


def present_markers(cat: Catalog, src: str) -> set[Pattern]:
    """`present` restricted to the stage and host markers (what a line's marks need): the
    same answer for those patterns, a fraction of the gates to look for."""
    out: set[Pattern] = set()
    for g, pats in _marker_index(cat):
        if g in src:
            out.update(pats)
    return out


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


_SAMPLES, _SAMPLE = 8, 16384
# Rough costs, in microseconds: one pass over 10 MB; one attempt at a position holding
# the anchor byte, and each alternative tried there.
_PASS_US, _ATTEMPT_US, _ALT_US = 3000.0, 0.01, 0.002


def _passes(gates: Iterable[str], data: bytes) -> list[tuple[re.Pattern[bytes], list[tuple[bytes, str]]]]:
    """Few regular expressions that together find every gate in `data`, each with its
    (tail, gate) list: a pass looks for one byte (rare in this text, going by a sample;
    Python's re finds a leading literal fast) followed by the rest of a gate from that byte
    on (its tail)."""
    n = len(data)
    sample = b"".join(data[i * n // _SAMPLES : i * n // _SAMPLES + _SAMPLE] for i in range(_SAMPLES))
    scale = n / max(1, len(sample)) * (10_000_000 / max(1, n))  # occurrences per 10 MB
    freq = [0] * 256
    for b in sample:
        freq[b] += 1
    byte_gates: dict[int, set[str]] = {}
    for g in gates:
        raw = g.encode()
        for b in set(raw[: max(1, len(raw) - 3)]):  # an anchor with 3+ bytes after it
            byte_gates.setdefault(b, set()).add(g)
    todo = set(gates)
    chosen: dict[int, set[str]] = {}
    while todo:

        def worth(x: int, todo: set[str] = todo) -> tuple[float, int]:
            k = len(byte_gates[x] & todo)
            return k / (_PASS_US + freq[x] * scale * (_ATTEMPT_US + _ALT_US * k)), -x

        b = max(byte_gates, key=worth)
        chosen[b] = byte_gates[b] & todo
        todo -= chosen[b]
    out = []
    for b, gs in sorted(chosen.items()):
        tails = sorted(
            ((g.encode()[g.encode().index(b) + 1 :], g) for g in gs), key=lambda t: (-len(t[0]), t)
        )
        alts = b"|".join(re.escape(t) for t in dict.fromkeys(t for t, _ in tails))
        rx = re.compile(re.escape(bytes([b])) + (b"(?:" + alts + b")" if all(t for t, _ in tails) else b""))
        out.append((rx, tails))
    return out


def holds(line: str, needs: tuple[tuple[str, ...], ...]) -> bool:
    return all(any(x in line for x in need) for need in needs)


def candidates(cat: Catalog, lines: Sequence[str]) -> dict[int, set[str]] | None:
    """The lines that hold everything some hit pattern needs, with the gates each holds,
    found in the UTF-8 bytes (fast whatever the characters); no other line can hit.
    None: every line must be read."""
    needs = _hit_needs(cat)
    if needs is None:
        return None
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    starts = [0]
    starts += [m.end() for m in re.finditer(b"\n", data)]
    starts.append(len(data) + 1)
    held: dict[int, set[str]] = {}
    n = len(data)
    for rx, tails in _passes(needs, data):
        by_next: dict[int, list[tuple[bytes, str]]] = {}  # the tails by their first byte (-1: empty)
        for tail, g in tails:
            by_next.setdefault(tail[0] if tail else -1, []).append((tail, g))
        empty = by_next.get(-1, [])
        m = rx.search(data)
        while m is not None:
            pos = m.start()
            k = bisect.bisect_right(starts, pos) - 1
            line = lines[k]
            here = by_next.get(data[pos + 1], []) if pos + 1 < n else []
            for tail, g in here + empty:  # every gate whose tail is here (alternatives share a start)
                if data.startswith(tail, pos + 1) and g in line:
                    held.setdefault(k, set()).add(g)
            m = rx.search(data, pos + 1)
    return {k: gs for k, gs in held.items() if any(holds(lines[k], n) for g in gs for n in needs[g])}

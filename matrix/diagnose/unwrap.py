"""Unwrapping a pasted text into the lines that are matched (step 1 of
matrix.diagnose.classify; the rules are data: the catalog's [matching], matrix.core.matching).

Characters a web page puts in place of plain ones (`translate`: Unicode spaces, typographic
quotes) are replaced in a paste (not in a whole log) and terminal colour codes go (the caller
does both to the whole text);
a line longer than `max_line` is matched in overlapping pieces; a piece holding JSON/logfmt
escapes is also read decoded, its decoded lines first (a JSON log line can hold a whole
multi-line error, and a pattern reads its quotes as in the plain paste); each part has
views: itself and the text after each wrapper or log field (`splits`), each with its log
framing removed (`prefixes`: timestamps, levels, klog/journal headers, BuildKit steps...).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from matrix.core.matching import FRAMES, KEEP, MAX_PREFIX_ROUNDS, MAX_VIEWS, WS, Matching, Pattern
from matrix.diagnose import gates


@functools.cache
def default_matching() -> Matching:
    """For a catalog without [matching] (an older one in a data directory): colour codes only."""
    never = Pattern("[^\\s\\S]")
    return Matching(
        strip=Pattern(r"\x1b\[[0-9;?]*[A-Za-z]"),
        decode_when=never,
        decode=never,
        decode_map={},
        prefixes=(),
        splits=(),
        gap=8,
        max_line=16384,
        placeholders={},
    )


class Line:
    """One line as it is matched: a piece of a physical line, or a decoded part of one."""

    __slots__ = ("lineno", "order", "present", "src", "views")

    def __init__(self, lineno: int, order: tuple[int, int], src: str, views: list[str]) -> None:
        self.lineno = lineno  # 1-based physical line
        self.order = order  # (physical line, part): the order of the text
        self.src = src
        self.views = views  # parts of `src`, framing removed
        self.present: set[Pattern] | None = None  # the patterns whose gate is in `src`

    @property
    def text(self) -> str:
        return self.views[0]


class LazyLine:
    """A part of a physical line whose views are made when asked for: its first view
    (`text`, the part without framing) first, the others (`views`) only if needed."""

    __slots__ = ("_m", "_text", "_views", "src")
    present = None  # no gates were looked for

    def __init__(self, m: Matching, src: str) -> None:
        self._m = m
        self.src = src
        self._text: str | None = None
        self._views: list[str] | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = _strip_prefixes(self._m, self.src)
        return self._text

    @property
    def views(self) -> list[str]:
        if self._views is None:
            self._views = views(self._m, self.src)
        return self._views


def translation(m: Matching) -> dict[int, str]:
    """`translate` as a str.translate table (built once per catalog)."""
    return _table(tuple(sorted(m.translate.items())))


@functools.cache
def _table(items: tuple[tuple[str, str], ...]) -> dict[int, str]:
    return {ord(k): v for k, v in items}


@functools.cache
def _any_prefix(prefixes: tuple[Pattern, ...]) -> re.Pattern[str] | None:
    """The prefixes as one alternation: at the start of a text Python's re takes the first
    alternative that matches, the prefix the loop in the matching rule would take first.
    None when a prefix may match nothing (the rule skips an empty match; an alternation
    would stop there). An alternation matches the empty text exactly when one of its
    alternatives does, so only the alternation is compiled (compiling each prefix as well
    cost a fresh `explain` about 5 ms)."""
    one = re.compile("|".join(f"(?:{p.source})" for p in prefixes))
    return None if one.match("") is not None else one


def _strip_prefixes(m: Matching, s: str) -> str:
    s = s.strip(WS)
    one = _any_prefix(m.prefixes)  # keyed by the catalog's own tuple: nothing built per view
    for _ in range(MAX_PREFIX_ROUNDS):
        if one is not None:
            mm = one.match(s)
        else:
            mm = next((x for p in m.prefixes if (x := p.search(s)) and x.end() > 0), None)
        if mm is None or mm.end() == 0:
            break
        s = s[mm.end() :].strip(WS)
    return s


@functools.cache
def _split_gates(splits: tuple[Pattern, ...]) -> Any:
    """An Aho-Corasick automaton of the splits' gates, each with the splits (their indexes)
    it opens: one pass over a line says which splits may match it (None: no gate)."""
    words: dict[str, list[int]] = {}
    for k, sp in enumerate(splits):
        for g in sp.gate or ():
            words.setdefault(g, []).append(k)
    return gates.automaton_of((w, tuple(ks)) for w, ks in words.items())


def views(m: Matching, s: str) -> list[str]:
    """The texts `s` is matched as: itself and the text after each `splits` match (with
    what its `keep` group matched), each with its log framing removed (at most MAX_VIEWS)."""
    out = [_strip_prefixes(m, s)]
    gated = _split_gates(m.splits)
    found = {k for _, ks in gated.iter(s) for k in ks} if gated is not None else set()
    for k, sp in enumerate(m.splits):
        if sp.gate is not None and k not in found:
            continue
        keep = KEEP in sp.rx.groupindex
        for mm in sp.rx.finditer(s):
            v = _strip_prefixes(m, s[mm.end() - (len(mm.group(KEEP) or "") if keep else 0) :])
            if v and v not in out:
                out.append(v)
                if len(out) >= MAX_VIEWS:
                    return out
    return out


def _pieces(m: Matching, line: str) -> list[str]:
    n = m.max_line
    if len(line) <= n:
        return [line]
    step = n - n // 10
    return [line[i : i + n] for i in range(0, len(line) - n // 10, step)]


def _decoded(m: Matching, s: str) -> list[str]:
    table = m.decode_map

    def one(mm: re.Match[str]) -> str:
        key = next((g for g in mm.groups() if g is not None), None)
        return table.get(key, mm.group(0)) if key is not None else mm.group(0)

    return m.decode.rx.sub(one, s).split("\n")


def parts(m: Matching, line: str) -> list[str]:
    """The texts one physical line is matched as: its pieces, each after its decoded lines
    when it holds escapes."""
    out = []
    for piece in _pieces(m, line):
        if m.decode_when.search(piece):
            out += _decoded(m, piece)
        out.append(piece)
    return [p for p in out if p.strip(WS)]


def continues(ln: Line) -> bool:
    """Whether a line may continue the one before it (a message a terminal wrapped): it has
    no framing, or its framing ends in a box's frame (`FRAMES`)."""
    src = ln.src.strip(WS)
    if src == ln.text:
        return True
    frame = src[: len(src) - len(ln.text)].rstrip(" \t") if src.endswith(ln.text) else ""
    return frame[-1:] != "" and frame[-1:] in FRAMES

"""A catalog pattern that the log framing makes unreachable at a line's start, and one
without a gate (a literal every match holds) that would make every line of a log be read.

Lines are matched after `matching.prefixes` removed their log framing (a level such as
`FATAL: ` or `Error: `, a timestamp...). A class or fallback pattern that begins with such a
prefix (`FATAL: kernel too old`) therefore never matches a line that starts with it; the
full catalog check (catalog.check_catalog) names the pattern and the prefix.
"""

from __future__ import annotations

from collections.abc import Iterable

from matrix.core.matching import REGEX_SPECIAL, Matching, Pattern


def framing_problems(patterns: Iterable[tuple[str, Pattern]], matching: Matching | None) -> list[str]:
    """The class and fallback patterns (of (where, pattern) pairs) whose literal start the
    log framing removes."""
    if matching is None:
        return []
    problems = []
    for where, p in patterns:
        lead = leading_text(p.source) if where.startswith(("classes[", "fallbacks[")) else ""
        cut = _framed(matching, lead) if lead else 0
        if cut:
            problems.append(
                f"{where}: starts with {lead[:cut]!r}, which the log framing (matching.prefixes) removes "
                f"from the start of a line, so it matches only in mid-line; write it as "
                f"'(^|{lead[:cut]}){lead[cut:]}...'"
            )
    return problems


def leading_text(source: str) -> str:
    """The literal text a pattern starts with (after ^), up to its first special character
    (less the character a quantifier after it makes optional)."""
    s = source[1:] if source.startswith("^") else source
    n = next((i for i, ch in enumerate(s) if ch in REGEX_SPECIAL), len(s))
    if n < len(s) and s[n] in "?*{":
        n -= 1
    return s[:n]


def _framed(matching: Matching, lead: str) -> int:
    """How much of `lead` a prefix pattern removes from a line it starts (0: none); the
    word character after it keeps a prefix from taking more than `lead` holds."""
    sample = lead + "x"
    ends = (mm.end() for p in matching.prefixes if (mm := p.rx.match(sample)) is not None)
    return max((e for e in ends if e <= len(lead)), default=0)


def gate_problems(patterns: Iterable[tuple[str, Pattern]]) -> list[str]:
    """The class and fallback patterns with no gate (no literal text every match holds): a
    whole log's lines are ruled out by the gates of these patterns, and one pattern
    without a gate makes every line of every log be read (a 10 MB log: seconds, not one)."""
    return [
        f"{where}: holds no literal text every match must contain (a gate), so every line of a whole "
        "log would be read for it; add one (an alternation of literals gives one gate each)"
        for where, p in patterns
        if where.startswith(("classes[", "fallbacks["))
        and ".patterns[" in where
        and (p.gate is None or p.needs is None)
    ]

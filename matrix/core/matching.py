"""How texts are matched against the error catalog: the rules as data.

The catalog's patterns (`Pattern`: compiled on first use, gated by the literal strings
every text it matches holds), the [matching] section of errors.toml (`Matching`: how a
pasted text becomes the lines that are matched), the fixed numbers of the rule and the
rule in words (`MATCHING_RULE`), all published in errors.json with the catalog
(matrix.core.catalog); matrix.diagnose.classify applies them, and so does the site's
explainer.

Every pattern must mean the same in Python's `re`, RE2 (Go) and JavaScript: no
look-around or back-references (RE2), no `\\d`, `\\w`, `\\b` or inline flags (their
meaning differs between Python and JavaScript): `pattern_problems` says where one does not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from matrix.core import rxcode

# The fixed numbers of the matching rule (errors.json publishes them with the rules, so
# the site's explainer uses the same): spaces stripped around a view; at most this many
# views per line and rounds of prefix removal; texts from this long (in characters) are
# whole logs (narrowed by literals first, no lines joined); the host is looked for this
# many lines around an error; a matched line is shown up to this long.
WS = " \t\r\n\x0b\x0c"
MAX_VIEWS = 12
MAX_PREFIX_ROUNDS = 12
# A line whose framing ends in one of these (and spaces) continues the boxed message of the
# line before it (Terraform's and OpenTofu's diagnostics): it is joined like a plain line.
FRAMES = "│┃║"
WHOLE_LOG_FROM = 64 * 1024
CONTEXT_LINES = 50
MAX_LINE_SHOWN = 4000
# The named groups a pattern may capture: they fill `{name}` in checks and fixes.
GROUPS = ("package", "path", "library", "symbol", "module", "need", "have")
# A `splits` pattern's group that starts its view: the view keeps what the group matched
# (it starts len(keep) before the match's end), so a pattern anchored with ^ (`^panic: `)
# finds the token after framing no prefix names.
KEEP = "keep"

# Constructs Python's re accepts but RE2 (Go, Rust) does not: patterns are published in
# errors.json for other tools, so they must stay portable.
_NOT_RE2 = [
    (r"\(\?[=!]|\(\?<[=!]", "look-around"),
    (r"\(\?P=|\\[1-9]", "back-reference"),
    (r"\(\?>|[*+?}]\+", "atomic group or possessive quantifier"),
    (r"\(\?\(", "conditional group"),
]
# Constructs whose meaning differs between Python and JavaScript (the site's explainer).
_NOT_JS = [
    (r"(?<!\\)(?:\\\\)*\\[dDwWbB]", r"\d, \w or \b (Unicode in Python, ASCII in JavaScript)"),
    (r"\(\?[aiLmsux-]+[:)]", "an inline flag"),
]


# ---------------------------------------------------------------- patterns


class Pattern:
    """A catalog pattern, compiled on first use.

    `needs`: what every text the pattern matches holds: each item is a tuple of literal
    strings one of which is there (None: nothing known). `gate` is the rarest-looking of
    them. A line without a gate is ruled out by a substring test, before any regular
    expression runs; the whole-log prefilter checks all the needs."""

    __slots__ = ("_rx", "gate", "needs", "source")

    def __init__(self, source: str, needs: Any = False, gate: Any = False) -> None:
        self.source = source
        self.needs = literal_needs(source) if needs is False else needs
        if gate is False:
            gate = max(self.needs, key=_gate_score) if self.needs else None
        self.gate = gate
        self._rx: re.Pattern[str] | None = None

    @property
    def rx(self) -> re.Pattern[str]:
        if self._rx is None:
            self._rx = rxcode.compiled(self.source)
        return self._rx

    def search(self, text: str) -> re.Match[str] | None:
        if self.gate is not None and not any_in(self.gate, text):
            return None
        return self.rx.search(text)

    def __repr__(self) -> str:
        return f"Pattern({self.source!r})"


def any_in(words: Iterable[str], text: str) -> bool:
    """Whether one of `words` is in `text`: a loop, not any() over a generator (it runs for
    every view of every line a whole log's prefilter lets through)."""
    for w in words:  # noqa: SIM110
        if w in text:
            return True
    return False


# Literals and gate already worked out for a pattern source (from the catalog cache):
# (needs, gate). Pattern objects for them skip literal_needs and the choice of the gate.
KNOWN_NEEDS: dict[str, Any] = {}


def pattern_of(source: str) -> Pattern:
    """The catalog's Pattern for a source (its literals and gate from KNOWN_NEEDS when there)."""
    known = KNOWN_NEEDS.get(source)
    return Pattern(source) if known is None else Pattern(source, *known)


def patterns_of(sources: Iterable[str]) -> tuple[Pattern, ...]:
    return tuple(pattern_of(s) for s in sources)


# Characters a gate never holds: a line may have them only after its escapes were
# decoded (JSON `\"`, `\\`, `\/`, `\n`, `\t`; HTML `&quot;`, `&lt;`...; markdown `\_`,
# `\*`), and gates are looked for in the raw line.
_GATE_BREAK = frozenset("\"\\/\t\n\r_*`'<>&")
_QUANT = re.compile(r"\{([0-9]*)(?:,([0-9]*))?\}")
# Characters with a meaning in a regular expression (outside a class).
REGEX_SPECIAL = frozenset("\\[](){}.*+?^$|")
_SPECIAL = REGEX_SPECIAL | _GATE_BREAK
_MIN_GATE = 2


# Words that are everywhere in logs: a literal made of them rules few lines out.
COMMON_WORDS = frozenset(
    [
        "error",
        "errors",
        "failed",
        "fail",
        "file",
        "load",
        "loading",
        "loaded",
        "type",
        "class",
        "version",
        "module",
        "found",
        "find",
        "import",
        "runtime",
        "plugin",
        "plugins",
        "valid",
        "invalid",
        "defined",
        "supported",
        "timeout",
        "exit",
        "status",
        "build",
        "requires",
        "unknown",
        "cannot",
        "open",
        "system",
        "read",
        "reading",
        "generator",
        "transformer",
        "symbol",
        "library",
        "package",
        "server",
        "start",
        "not",
        "no",
        "with",
        "the",
        "and",
        "for",
        "from",
        "is",
        "in",
        "of",
        "to",
        "on",
        "at",
        "be",
        "by",
        "a",
        "an",
    ]
)
_WORD = re.compile(r"[A-Za-z]+")


# A common word without its first letter: what a literal holds after `[Pp]lugin`.
_COMMON_TAILS = frozenset(w[1:] for w in COMMON_WORDS if len(w) >= 4)


@functools.cache  # the same literals recur across patterns; read at every catalog load
def _rarity(lit: str) -> float:
    words = [w.lower() for w in _WORD.findall(lit)]
    common = sum(len(w) for w in words if w in COMMON_WORDS)
    # a tail (`lugin` of `[Pp]lugin`) is as common as its word and rules out even less
    tails = sum(len(w) for w in words if w in _COMMON_TAILS and w not in COMMON_WORDS)
    return len(lit.encode()) - 0.8 * common - tails


def _gate_score(g: tuple[str, ...]) -> tuple[float, int]:
    return (min(map(_rarity, g)), -len(g))


def literal_needs(pattern: str) -> tuple[tuple[str, ...], ...] | None:
    """What every text the pattern matches holds: tuples of literals (2+ characters), one
    of each tuple at least. None when nothing is known."""
    if re.search(r"\(\?[a-zA-Z-]*i", pattern):
        return None
    return _needs_of(pattern)


def _needs_of(p: str) -> tuple[tuple[str, ...], ...] | None:
    branches = _top_level_branches(p)
    if len(branches) == 1:
        only = _branch_needs(branches[0])
        return tuple(only) if only else None
    gates: list[str] = []
    for b in branches:  # an alternation: one literal per alternative, the rarest
        needs: list[tuple[str, ...]] = _branch_needs(b)
        if not needs:
            return None
        rarest: tuple[str, ...] = max(needs, key=_gate_score)
        gates.extend(rarest)
    return (tuple(dict.fromkeys(gates)),)


_MAX_EXPANSION = 16


def _branch_needs(branch: str) -> list[tuple[str, ...]]:
    runs, groups = _literal_runs(branch)
    needs: list[tuple[str, ...]] = [(r,) for r in runs if len(r) >= _MIN_GATE]
    for inner in groups:
        g = _needs_of(inner)
        if g and len(g) == 1:
            needs.append(g[0])
    return needs


def _skip_class(p: str, i: int) -> int:
    """Index after the character class starting at p[i] == '['."""
    j = i + 1
    if j < len(p) and p[j] == "^":
        j += 1
    if j < len(p) and p[j] == "]":
        j += 1
    while j < len(p) and p[j] != "]":
        j += 2 if p[j] == "\\" else 1
    return j + 1


def _skip_group(p: str, i: int) -> int:
    """Index after the group starting at p[i] == '('."""
    depth, j = 0, i
    while j < len(p):
        c = p[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            j = _skip_class(p, j)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return j


def _top_level_branches(p: str) -> list[str]:
    out, start, j = [], 0, 0
    while j < len(p):
        c = p[j]
        if c == "\\":
            j += 2
        elif c == "[":
            j = _skip_class(p, j)
        elif c == "(":
            j = _skip_group(p, j)
        elif c == "|":
            out.append(p[start:j])
            j += 1
            start = j
        else:
            j += 1
    out.append(p[start:])
    return out


def _literal_runs(p: str) -> tuple[list[str], list[str]]:
    """(the runs of literal characters every match of `p` (one alternative) contains,
    the contents of the groups every match goes through)."""
    runs: list[str] = []
    groups: list[str] = []
    run: list[str] = []
    expanded: list[tuple[str, tuple[str, ...]]] = []

    def cut() -> None:
        if run:
            runs.append("".join(run))
            run.clear()

    i, n = 0, len(p)
    while i < n:
        c = p[i]
        lit: str | None
        group: str | None = None
        if c == "\\":
            d = p[i + 1] if i + 1 < n else ""
            if d == "x":
                lit, i = None, i + 4
            elif d.isalnum() or not d:
                lit, i = None, i + 2
            else:
                lit, i = d, i + 2
        elif c == "[":
            lit, i = None, _skip_class(p, i)
        elif c == "(":
            j = _skip_group(p, i)
            inner = p[i + 1 : j - 1]
            m = re.match(r"\?(?::|P<[A-Za-z_][A-Za-z0-9_]*>)", inner)
            if m:
                inner = inner[m.end() :]
            group = inner if (not inner.startswith("?")) else None
            lit, i = None, j
            words = inner.split("|") if group is not None else []
            q = p[i] if i < n else ""
            plain = all(w and not (set(w) & _SPECIAL) for w in words)
            if plain and q not in ("*", "?", "+", "{") and len(words) * max(1, len(run)) <= _MAX_EXPANSION:
                # a choice of plain words: every match holds the run so far followed by one
                expanded.append(("".join(run), tuple(words)))

        elif c in ".^$":
            lit, i = None, i + 1
        else:
            lit, i = c, i + 1
        q = p[i] if i < n else ""
        m = _QUANT.match(p, i) if q == "{" else None
        required = not (q in ("*", "?") or (m and m.group(1) in ("", "0")))
        if group is not None and required:
            groups.append(group)
        if q in ("*", "?"):
            cut()  # the atom is optional
            i += 1
        elif q == "+" or (m and m.group(1) not in ("", "0")):
            if lit is not None and lit not in _GATE_BREAK:
                run.append(lit)  # required once, repeated maybe: the run ends here
            cut()
            i = m.end() if m else i + 1
        elif m:
            cut()
            i = m.end()
        elif lit is None or lit in _GATE_BREAK:
            cut()
            continue
        else:
            run.append(lit)
            continue
        if i < n and p[i] == "?":  # lazy quantifier
            i += 1
    cut()
    for before, alts in expanded:  # "go (build|get)" also needs "go build" or "go get"
        if before:
            groups.append("|".join(re.escape(before + a) for a in alts))
    return runs, groups


def re2_problem(pattern: str) -> str | None:
    """Why a pattern would not compile with RE2 (Go's regexp), or None."""
    for rx, what in _NOT_RE2:
        if re.search(rx, pattern):
            return f"uses a {what}, which RE2 (Go, Rust) does not support"
    return None


def portability_problem(pattern: str) -> str | None:
    """Why a pattern would not mean the same in RE2, Python and JavaScript, or None."""
    why = re2_problem(pattern)
    if why:
        return why
    for rx, what in _NOT_JS:
        if re.search(rx, pattern):
            return f"uses {what}: write the characters out, e.g. [0-9] or [A-Za-z0-9_]"
    return None


# ---------------------------------------------------------------- the rule


class Matching(NamedTuple):
    """How a pasted text becomes the lines that are matched (the same in explain.js)."""

    strip: Pattern  # removed from the whole text (terminal colour codes)
    decode_when: Pattern  # a line with JSON/logfmt escapes is also read decoded
    decode: Pattern
    decode_map: Mapping[str, str]
    prefixes: tuple[Pattern, ...]  # log framing removed from the start of a line, repeatedly
    splits: tuple[Pattern, ...]  # the text after each match is also matched on its own
    gap: int  # lines with hits at most this far apart are one stretch of the log
    max_line: int  # longer lines are matched in overlapping pieces of this length
    placeholders: Mapping[str, str]  # for `{group}` of a check or fix when the text has none
    translate: Mapping[str, str] = {}  # characters replaced in the whole text first (Unicode spaces, quotes)


def matching_of(m: Mapping[str, Any]) -> Matching:
    """The catalog's [matching] table, read."""
    return Matching(
        strip=pattern_of(m["strip"]),
        decode_when=pattern_of(m["decode_when"]),
        decode=pattern_of(m["decode"]),
        decode_map=dict(m["decode_map"]),
        prefixes=patterns_of(m.get("prefixes", [])),
        splits=patterns_of(m.get("splits", [])),
        gap=int(m.get("gap", 8)),
        max_line=int(m.get("max_line", 16384)),
        placeholders=dict(m.get("placeholders", {})),
        translate=dict(m.get("translate", {})),
    )


def translate_problems(translate: Mapping[str, str]) -> list[str]:
    """`translate` replaces one character of the Basic Multilingual Plane (explain.js reads
    the text as UTF-16) by text without line breaks (the lines stay as they are)."""
    return [
        f"matching.translate: {k!r} = {v!r}: one character of the Basic Multilingual Plane, "
        "replaced by text without line breaks"
        for k, v in translate.items()
        if len(k) != 1 or ord(k) > 0xFFFF or "\n" in v or "\r" in v
    ]


MATCHING_RULE = (
    "1. remove `strip` from the text; in a text shorter than `whole_log_from` (a paste, not a whole log) replace each character of `translate` by its value; split it into lines (Python's str.splitlines); "
    "a line longer than `max_line` is cut into pieces of `max_line` overlapping by a tenth. "
    "2. a line matching `decode_when` is also read decoded (`decode`, each escape replaced by "
    "`decode_map`, then split at newlines). 3. each such line's views: the line, and the text "
    "after each match of a `splits` pattern (when it has a `keep` group, from len(keep) before the "
    "match's end: the view keeps what that group matched); from each view the `prefixes` are removed from "
    "the start, again and again, and spaces and tabs around it. 4. a line's hit is the first "
    "class (in this order) with a pattern matching one of its views; else the fallbacks that "
    "match. In a text shorter than `whole_log_from`, two neighbouring lines without hits are "
    "also matched joined (with a space, else without), and three when two give no hit (each "
    "join with a space, else without, the first join's choice varying slowest), unless a "
    "line after the first has a prefix (it "
    "starts a new record) that does not end in one of the `frames` characters (and spaces: a boxed message goes on). 5. hits at most `gap` lines apart form a stretch; in a stretch each "
    "specific class and package is one error; the stretch's stage is the first [[stages]] "
    "marker in its lines and the `gap` lines after them, else the first [[stages]] whose `commands` "
    "match the nearest non-blank line before the stretch (the command it is the output of); a line of a `generic` class whose "
    "stage is not the stretch's, and that matches a fallback of the stretch's stage, is that "
    "fallback (a crash during a build is the build's); the lines of a `generic` class join the nearest "
    "specific error of the same stage; a line matching one of its class's `headers` joins the "
    "nearest error of any class when its stage has none; a fallback becomes its class when its "
    "`stage` is none or the stretch's; a `repeats` error is dropped when the error it "
    "repeats is there too. 6. errors are reported in the order of their first line, except "
    "that a `repeats` error comes after the others and an error whose class `follows` a stage "
    "comes after that stage's errors printed before it; the first one names the text. 7. an error's class gives way to one of its `alternatives` "
    "whose `when` matches its lines and whose `evidence` matches a line within 50 lines of it "
    "that holds the file name of its `path` group (the paste shows the file); its own class "
    "is then the alternative. explain.js on the site is the reference implementation."
)


def pattern_problems(patterns: Iterable[tuple[str, Pattern]], matching: Matching | None) -> list[str]:
    """What is wrong with (where, pattern) pairs and [matching]: patterns that do not
    compile, are not portable, or capture other named groups than GROUPS; prefixes that
    are not anchored."""
    problems = []
    for where, p in patterns:
        try:
            rx = p.rx
        except re.error as e:
            problems.append(f"{where}: not a valid regular expression: {e}")
            continue
        why = portability_problem(p.source)
        if why:
            problems.append(f"{where}: {why}")
        allowed = (*GROUPS, KEEP) if where.startswith("matching.splits") else GROUPS
        if rx.groupindex.keys() - set(allowed):
            problems.append(f"{where}: the only named groups allowed are {', '.join(allowed)}")
    if matching:
        for i, p in enumerate(matching.prefixes):
            if not p.source.startswith("^"):
                problems.append(f"matching.prefixes[{i}]: a prefix pattern starts with ^")
    return problems

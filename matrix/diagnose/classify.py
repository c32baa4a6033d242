"""Classification: an error text (one message, a pasted snippet or a whole log) -> the
errors in it, each with a class of the catalog (matrix.core.catalog).

Every rule is data in the catalog, and docs/javascripts/explain.js applies the same
rules in the browser (`catalog_json` publishes them); `matching_rule` in errors.json says
them in words. In short:

1. Unwrap: terminal colour codes go; each line is read as it is and, when it holds
   JSON/logfmt escapes (`\\"`, `\\n`), decoded (a JSON log line can hold a whole
   multi-line error); each line has views: itself and the text after each wrapper or log
   field (`failure in plugin configured via ...;`, `"error":"`, `msg=`), each with its log
   framing removed (timestamps, levels, klog/journal headers, BuildKit steps, compose
   `svc | `...).
2. A line's hit is the first class, in catalog order, with a pattern matching one of its
   views (specific classes come before generic ones); a line no class claims may still
   match a fallback (a Go `panic:`, Go build output).
3. Hits at most `gap` lines apart are one stretch. In a stretch, each specific class and
   package is one error; the lines of a generic class (a goroutine dump, `# pkg` headers)
   join the nearest specific error of the same stage; a fallback becomes its class when
   the stage seen around it (`go build`, `cmd/go` frames, `plugin.Open`...) fits; a
   repeat (`(previous failure)`) is dropped when what it repeats is in the text.
4. The errors are listed in the order of their first line: the first names the text.

A long log is first narrowed to the lines that hold a literal every pattern needs
(`Pattern.gate`), so a 10 MB log costs little more than reading it; the answer is the
same as without the narrowing. Same input, same answer: nothing here depends on time,
the machine or the network.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from matrix.core.catalog import (
    CONTEXT_LINES,
    MAX_LINE_SHOWN,
    MAX_PREFIX_ROUNDS,
    MAX_VIEWS,
    STAGES,
    UNKNOWN,
    WHOLE_LOG_FROM,
    WS,
    Alternative,
    Catalog,
    Marker,
    Matching,
    Pattern,
    load_catalog,
)

_MAX_LINE = MAX_LINE_SHOWN
_WS = WS
_MAX_VIEWS = MAX_VIEWS
_MAX_PREFIX_ROUNDS = MAX_PREFIX_ROUNDS
_PREFILTER_FROM = WHOLE_LOG_FROM  # texts shorter than this are read line by line without it
_CONTEXT = CONTEXT_LINES  # lines before and after an error where its host program is looked for


@functools.cache
def _default_matching() -> Matching:
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


class Check(NamedTuple):
    """Another class the text can mean, why, and the command that tells them apart."""

    slug: str
    why: str
    check: str


@dataclass(frozen=True)
class Match:
    slug: str
    title: str
    package: str | None
    family: str | None  # "standard library" | "kustomize module" | "third-party" | None
    line: str | None  # the line that matched (for unknown: the line that looks most like an error)
    link: str
    lineno: int | None = None  # 1-based line of the text where this error starts
    count: int = 1  # how many times the same error is in the text
    stage: str | None = None  # "build" | "load": what the text shows, else the class's stage
    host: str | None = None  # the host program, where the text shows it
    groups: Mapping[str, str] = field(default_factory=dict)  # what the patterns read from the text
    alternatives: tuple[Check, ...] = ()
    fixes: tuple[str, ...] = ()  # fixes for this text's context, most specific first
    why: str | None = None  # for an answer a fallback gave: the fallback's reason

    @property
    def known(self) -> bool:
        return self.slug != UNKNOWN


def package_family(package: str | None) -> str | None:
    """Which kind of module a package comes from: it says what differs between the
    plugin and kustomize (toolchain/flags, api/kyaml pins, or a dependency pin)."""
    if not package:
        return None
    if package == "sigs.k8s.io/kustomize" or package.startswith("sigs.k8s.io/kustomize/"):
        return "kustomize module"
    if "." not in package.split("/", 1)[0]:
        return "standard library"  # includes vendor/golang.org/x/... vendored by GOROOT
    return "third-party"


# ---------------------------------------------------------------- reading the text


class _Line:
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


def _strip_prefixes(m: Matching, s: str) -> str:
    s = s.strip(_WS)
    for _ in range(_MAX_PREFIX_ROUNDS):
        for p in m.prefixes:
            mm = p.search(s)
            if mm and mm.end() > 0:
                s = s[mm.end() :].strip(_WS)
                break
        else:
            break
    return s


def _views(m: Matching, s: str) -> list[str]:
    views = [_strip_prefixes(m, s)]
    for sp in m.splits:
        if sp.gate is not None and not any(g in s for g in sp.gate):
            continue
        for mm in sp.rx.finditer(s):
            v = _strip_prefixes(m, s[mm.end() :])
            if v and v not in views:
                views.append(v)
                if len(views) >= _MAX_VIEWS:
                    return views
    return views


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


def _parts(m: Matching, line: str) -> list[str]:
    """The texts one physical line is matched as: its pieces, and each piece's decoded
    lines when it holds escapes."""
    out = []
    for piece in _pieces(m, line):
        out.append(piece)
        if m.decode_when.search(piece):
            out += _decoded(m, piece)
    return [p for p in out if p.strip(_WS)]


# ---------------------------------------------------------------- gates and the whole-log prefilter


@functools.cache
def _longest_gate(cat: Catalog) -> int:
    return max((len(g) for g, _ in _gate_index(cat)), default=0)


@functools.cache
def _hit_pattern_set(cat: Catalog) -> frozenset[Pattern]:
    return frozenset(_hit_patterns(cat))


@functools.cache
def _gate_heads(cat: Catalog) -> dict[str, list[tuple[str, tuple[Pattern, ...]]]]:
    """Every start of every gate -> (the rest of the gate, the patterns it opens)."""
    out: dict[str, list[tuple[str, tuple[Pattern, ...]]]] = {}
    for g, pats in _gate_index(cat):
        for k in range(1, len(g) + 1):
            out.setdefault(g[:k], []).append((g[k:], pats))
    return out


def _across(cat: Catalog, left: str, right: str) -> set[Pattern]:
    """The patterns whose gate starts in `left` and ends in `right` (or at left's end)."""
    heads = _gate_heads(cat)
    out: set[Pattern] = set()
    for k in range(1, min(len(left), _longest_gate(cat)) + 1):
        for rest, pats in heads.get(left[-k:], ()):
            if right.startswith(rest):
                out.update(pats)
    return out


@functools.cache
def _gate_index(cat: Catalog) -> tuple[tuple[str, tuple[Pattern, ...]], ...]:
    """(gate, the patterns it opens) for every gate of the catalog's patterns."""
    idx: dict[str, list[Pattern]] = {}
    for _, p in cat.all_patterns():
        for g in p.gate or ():
            idx.setdefault(g, []).append(p)
    return tuple((g, tuple(ps)) for g, ps in sorted(idx.items()))


def _present(cat: Catalog, src: str) -> set[Pattern]:
    """The gated patterns that may match some part of `src`: those with a gate in it."""
    out: set[Pattern] = set()
    for g, pats in _gate_index(cat):
        if g in src:
            out.update(pats)
    return out


def _may(p: Pattern, present: set[Pattern]) -> bool:
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


def _holds(line: str, needs: tuple[tuple[str, ...], ...]) -> bool:
    return all(any(x in line for x in need) for need in needs)


def _candidates(cat: Catalog, lines: Sequence[str]) -> dict[int, set[str]] | None:
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
    for rx, tails in _passes(needs, data):
        m = rx.search(data)
        while m is not None:
            pos = m.start()
            k = bisect.bisect_right(starts, pos) - 1
            line = lines[k]
            for tail, g in tails:  # every gate whose tail is here (alternatives share a start)
                if data.startswith(tail, pos + 1) and g in line:
                    held.setdefault(k, set()).add(g)
            m = rx.search(data, pos + 1)
    return {k: gs for k, gs in held.items() if any(_holds(lines[k], n) for g in gs for n in needs[g])}


# ---------------------------------------------------------------- hits and errors


class _Hit:
    __slots__ = ("fallbacks", "line", "match", "slug", "view")

    def __init__(
        self,
        line: _Line,
        slug: str | None,
        fallbacks: tuple[int, ...],
        match: re.Match[str] | None,
        view: str | None,
    ) -> None:
        self.line = line
        self.slug = slug  # None: only fallbacks matched
        self.fallbacks = fallbacks
        self.match = match
        self.view = view


class _Error:
    __slots__ = ("count", "fallback", "first", "hits", "slug", "stage")

    def __init__(
        self, slug: str, first: _Hit, hits: list[_Hit], fallback: int | None = None, stage: str | None = None
    ) -> None:
        self.slug = slug
        self.first = first
        self.hits = hits
        self.fallback = fallback
        self.count = 1
        self.stage = stage


class _Scan:
    def __init__(self, cat: Catalog, text: str, stages: Iterable[str] | None) -> None:
        self.cat = cat
        self.m = cat.matching or _default_matching()
        wanted = set(stages) if stages is not None else set(STAGES)
        self.classes = [c for c in cat.classes if c.stage in wanted and c.stage != "fallback"]
        self.fallbacks = [
            (k, fb)
            for k, fb in enumerate(cat.fallbacks)
            if cat.by_slug[fb.slug].stage in wanted or (fb.slug == UNKNOWN and "fallback" in wanted)
        ]
        if "\x1b" in text:
            text = self.m.strip.rx.sub("", text)
        self.raw = text.splitlines()
        self.whole_log = len(text) >= _PREFILTER_FROM
        self.found = _candidates(cat, self.raw) if self.whole_log else None
        self._lines: dict[int, list[_Line]] = {}
        self._marks: dict[int, tuple[str | None, tuple[Marker, ...]]] = {}

    # -- one physical line

    def lines_of(self, i: int) -> list[_Line]:
        """The matched lines of physical line i (0-based), read once."""
        got = self._lines.get(i)
        if got is None:
            got = [
                _Line(i + 1, (i, k), part, _views(self.m, part))
                for k, part in enumerate(_parts(self.m, self.raw[i]))
            ]
            self._lines[i] = got
        return got

    def hit(self, ln: _Line, present: set[Pattern]) -> _Hit | None:
        for c in self.classes:
            for p in c.pats:
                if p.gate is not None and p not in present:
                    continue
                for v in ln.views:
                    mm = p.rx.search(v)
                    if mm:
                        if any(u.search(x) for u in c.unless_pats for x in ln.views):
                            break
                        return _Hit(ln, c.slug, (), mm, v)
                else:
                    continue
                break
        fbs = tuple(
            k
            for k, fb in self.fallbacks
            if any(_may(p, present) and p.rx.search(v) for p in fb.pats for v in ln.views)
        )
        return _Hit(ln, None, fbs, None, None) if fbs else None

    def hits(self) -> list[_Hit]:
        out = []
        index = dict(_gate_index(self.cat))
        which = sorted(self.found) if self.found is not None else range(len(self.raw))
        for i in which:
            if not self.raw[i].strip(_WS):
                continue
            gates = self.found[i] if self.found is not None else None
            for ln in self.lines_of(i):
                if gates is None:
                    present = ln.present = _present(self.cat, ln.src)
                else:  # the gates of hit patterns in this line (no other pattern hits)
                    present = {p for g in gates if g in ln.src for p in index[g]}
                h = self.hit(ln, present)
                if h is not None:
                    out.append(h)
        if not self.whole_log:
            out = sorted(out + self.joined_hits(out), key=lambda h: h.line.order)
        return out

    def joined_hits(self, hits: list[_Hit]) -> list[_Hit]:
        """Hits of two neighbouring lines that only match together: a message a terminal
        wrapped (at a space, or inside a word). Not in whole logs (not pasted from a
        terminal, and too many pairs)."""
        taken = {h.line.lineno for h in hits}
        out = []
        hitting = _hit_pattern_set(self.cat)
        for i in range(len(self.raw) - 1):
            if i + 1 in taken or i + 2 in taken:
                continue
            a, b = self.lines_of(i), self.lines_of(i + 1)
            if len(a) != 1 or len(b) != 1:
                continue
            for sep in (" ", ""):
                # the gates in the joined text: those of either line and those across the
                # join (a superset); only if a hit pattern may match is it read
                x, y = a[0].text, b[0].text
                present = self.present_of(a[0]) | self.present_of(b[0]) | _across(self.cat, x + sep, y)
                joined = x + sep + y
                if not any(p.needs and _holds(joined, p.needs) for p in present & hitting):
                    continue
                h = self.hit(_Line(i + 1, (i, 0), joined, _views(self.m, joined)), present)
                if h is not None and h.slug is not None:
                    out.append(h)
                    taken.add(i + 2)
                    break
        return out

    def present_of(self, ln: _Line) -> set[Pattern]:
        if ln.present is None:
            ln.present = _present(self.cat, ln.src)
        return ln.present

    def marks(self, i: int) -> tuple[str | None, tuple[Marker, ...]]:
        """(the stage physical line i shows, the hosts it shows in catalog order)."""
        got = self._marks.get(i)
        if got is None:
            stage = None
            hosts: list[Marker] = []
            if 0 <= i < len(self.raw) and self.raw[i]:
                for ln in self.lines_of(i):
                    present = self.present_of(ln)
                    stage = stage or _first_marker(self.cat.stages, ln.views, present)
                    hosts += [
                        h for h in self.cat.hosts if h not in hosts and _marks_line(h, ln.views, present)
                    ]
            got = (stage, tuple(h for h in self.cat.hosts if h in hosts))
            self._marks[i] = got
        return got

    def context(self, first: int, last: int, what: int, stage: str | None = None) -> str | None:
        """What lines first..last (1-based) and the `gap` lines after them show: the stage
        (what=0), or the host of an error of `stage` (what=1; else the nearest of the
        `context` lines before, then after)."""

        def look(i: int) -> str | None:
            if what == 0:
                return self.marks(i)[0]
            return next((h.name for h in self.marks(i)[1] if h.stage is None or h.stage == stage), None)

        end = min(len(self.raw), last + self.m.gap)
        for i in range(first - 1, end):
            got = look(i)
            if got:
                return got
        if what == 0:
            return None
        for d in range(1, _CONTEXT + 1):
            got = look(first - 1 - d)
            if got:
                return got
        for i in range(end, min(len(self.raw), end + _CONTEXT)):
            got = look(i)
            if got:
                return got
        return None

    # -- everything

    def errors(self) -> list[Match]:
        runs: list[list[_Hit]] = []
        for h in self.hits():
            if runs and h.line.lineno - runs[-1][-1].line.lineno <= self.m.gap:
                runs[-1].append(h)
            else:
                runs.append([h])
        found: list[_Error] = []
        for run in runs:
            stage = self.context(run[0].line.lineno, run[-1].line.lineno, 0)
            found += self._run_errors(run, stage)
        merged: dict[tuple[str, str | None, str], _Error] = {}
        for err in self._drop_repeats(found):
            key = (err.slug, _package(err.first), _norm(err.first))
            if key in merged:
                merged[key].count += err.count
            else:
                merged[key] = err
        return [self._answer(err) for err in self._rank(list(merged.values()))]

    def _run_errors(self, run: list[_Hit], stage: str | None) -> list[_Error]:
        by = self.cat.by_slug
        specific: dict[tuple[str, str | None], _Error] = {}
        generic: list[tuple[_Hit, str, int | None]] = []
        for h in run:
            if h.slug is not None and not by[h.slug].generic:
                key = (h.slug, _package(h))
                if key in specific:
                    specific[key].hits.append(h)
                    specific[key].count += 1
                else:
                    specific[key] = _Error(h.slug, h, [h], stage=stage)
            elif h.slug is not None:
                generic.append((h, h.slug, None))
            else:
                for fk in h.fallbacks:
                    fb = self.cat.fallbacks[fk]
                    if fb.stage is None or fb.stage == stage:
                        generic.append((h, fb.slug, fk))
                        break
        errors = list(specific.values())
        loose: dict[str, _Error] = {}
        for h, slug, k in generic:
            own = by[slug].stage
            near = [e for e in errors if own == "fallback" or by[e.slug].stage == own]
            if near:
                best = min(near, key=lambda e: min(abs(x.line.lineno - h.line.lineno) for x in e.hits))
                best.hits.append(h)
            elif slug in loose:
                loose[slug].hits.append(h)
            else:
                loose[slug] = _Error(slug, h, [h], fallback=k, stage=stage)
        return errors + list(loose.values())

    def _drop_repeats(self, found: list[_Error]) -> list[_Error]:
        """A repeat of a first failure that is in the text is not an error of its own."""
        by = self.cat.by_slug
        firsts = [e for e in found if not by[e.slug].repeats and not by[e.slug].generic]
        keep = []
        for err in found:
            if by[err.slug].repeats:
                pkg = _package(err.first)
                same = [e for e in firsts if by[e.slug].stage == by[err.slug].stage]
                if any(_package(e.first) == pkg for e in same) or (pkg is None and same):
                    continue
            keep.append(err)
        return keep

    def _rank(self, errors: list[_Error]) -> list[_Error]:
        """Text order, except: a repeat never comes before a first failure, and an error
        that follows a stage (a plugin file missing because its build failed) comes after
        that stage's errors."""
        by = self.cat.by_slug
        stages = {by[e.slug].stage for e in errors if not by[e.slug].repeats}
        firsts = any(not by[e.slug].repeats and not by[e.slug].generic for e in errors)

        def key(e: _Error) -> tuple[int, tuple[int, int]]:
            c = by[e.slug]
            late = (c.repeats and firsts) or (c.follows is not None and c.follows in stages)
            return (1 if late else 0, e.first.line.order)

        return sorted(errors, key=key)

    def _answer(self, err: _Error) -> Match:
        cls = self.cat.by_slug[err.slug]
        first = err.first
        linenos = [h.line.lineno for h in err.hits]
        stage = cls.stage if cls.stage != "fallback" else err.stage
        host = self.context(min(linenos), max(linenos), 1, stage)
        groups: dict[str, str] = {}
        if first.match is not None:
            groups.update({k: v for k, v in first.match.groupdict().items() if v})
        views = [v for h in err.hits for v in h.line.views]
        fb = self.cat.fallbacks[err.fallback] if err.fallback is not None else None
        alts = _alternatives(fb.alternatives if fb else cls.alternatives, views, groups, self.m)
        fixes = tuple(
            _fill(x.fix, {**_when_groups(x.when, views), **groups}, self.m)
            for x in cls.contexts
            if (x.host is None or x.host == host) and (x.when is None or _any_match(x.when, views))
        )
        pkg = groups.get("package")
        return Match(
            slug=cls.slug,
            title=cls.title,
            package=pkg,
            family=package_family(pkg),
            line=first.line.text[:_MAX_LINE],
            link=cls.link,
            lineno=first.line.lineno,
            count=err.count,
            stage=stage,
            host=host,
            groups=groups,
            alternatives=alts,
            fixes=fixes,
            why=fb.why if fb else None,
        )


def _first_marker(markers: Iterable[Marker], views: Sequence[str], present: set[Pattern]) -> str | None:
    for mk in markers:
        if _marks_line(mk, views, present):
            return mk.name
    return None


def _marks_line(mk: Marker, views: Sequence[str], present: set[Pattern]) -> bool:
    return any(_may(p, present) and p.rx.search(v) for p in mk.pats for v in views)


def _package(h: _Hit) -> str | None:
    if h.match is None:
        return None
    return h.match.groupdict().get("package") or None


_DIGITS = re.compile(r"[0-9]+")


def _norm(h: _Hit) -> str:
    return _DIGITS.sub("#", h.view if h.view is not None else h.line.text)


def _any_match(p: Pattern, views: Sequence[str]) -> bool:
    return any(p.search(v) for v in views)


def _when_groups(p: Pattern | None, views: Sequence[str]) -> dict[str, str]:
    """The named groups `p` reads from the views (the first view that has each)."""
    out: dict[str, str] = {}
    if p is None:
        return out
    for v in views:
        mm = p.search(v)
        if mm:
            for k, x in mm.groupdict().items():
                if x and k not in out:
                    out[k] = x
    return out


_FIELD = re.compile(r"\{([a-z]+)\}")


def _fill(template: str, groups: Mapping[str, str], m: Matching) -> str:
    def one(mm: re.Match[str]) -> str:
        k = mm.group(1)
        return groups.get(k) or m.placeholders.get(k) or mm.group(0)

    return _FIELD.sub(one, template)


def _alternatives(
    alts: Iterable[Alternative], views: Sequence[str], groups: Mapping[str, str], m: Matching
) -> tuple[Check, ...]:
    out: list[Check] = []
    for a in alts:
        if a.when is not None and not _any_match(a.when, views):
            continue
        if any(c.slug == a.slug for c in out):
            continue
        g = {**_when_groups(a.when, views), **groups}
        out.append(Check(a.slug, _fill(a.why, g, m), _fill(a.check, g, m)))
    return tuple(out)


# ---------------------------------------------------------------- the API


def scan(catalog: Catalog, text: str, stages: Iterable[str] | None = None) -> list[Match]:
    """Every error in the text, in the order of its first line (empty: none known)."""
    return _Scan(catalog, text, stages).errors()


def classify_text(catalog: Catalog, text: str, stages: Iterable[str] | None = None) -> Match:
    """The text's error: the first one in it, else `unknown` (with the line that looks
    most like an error)."""
    found = scan(catalog, text, stages)
    if found:
        return found[0]
    fb = catalog.fallback
    lines = [
        ln.strip(_WS) for ln in (catalog.matching or _default_matching()).strip.rx.sub("", text).splitlines()
    ]
    return Match(fb.slug, fb.title, None, None, _error_like([ln for ln in lines if ln]), fb.link)


def _error_like(lines: list[str]) -> str | None:
    for ln in lines:
        if ln.startswith("Error:") or "error" in ln.lower():
            return ln[:_MAX_LINE]
    return lines[0][:_MAX_LINE] if lines else None


def classify(text: str, stages: Iterable[str] | None = None, catalog: Catalog | None = None) -> Match:
    """Classify an error text (a message or a whole log) with the default catalog."""
    return classify_text(catalog or load_catalog(), text, stages)


FILE_MISSING = "plugin-file-missing"


def classify_record(rec: Mapping[str, Any], catalog: Catalog | None = None) -> tuple[str | None, str | None]:
    """(class slug, package) for a record: derived fields, recomputed from its raw texts.

    build-failed: the output of whichever build failed (host, plugin, or both), with the
    build classes (nothing specific: build-failed). fails: a timeout is `timeout`;
    otherwise the load's stderr then stdout with the load classes, and a death by signal
    that no message explains is `runtime-crash`. Other outcomes have no class.

    A record knows what a text alone cannot: a load in the standard mode placed the built
    plugin where kustomize looks, so "no such file or directory" then cannot mean the
    plugin file is missing, and the text's first other cause (its catalog alternative,
    e.g. a missing ELF interpreter) is the class.
    """
    cat = catalog or load_catalog()
    outcome = rec.get("outcome")
    if outcome == "build-failed":
        texts = []
        for side in ("host", "plugin"):
            build = (rec.get(side) or {}).get("build") or {}
            if build.get("status") == "failed":
                texts.append(build.get("output") or "")
        m = classify_text(cat, "\n".join(texts), stages=("build",))
        return (m.slug if m.known else "build-failed"), None
    if outcome == "fails":
        load = rec.get("load") or {}
        if load.get("timed_out"):
            return "timeout", None
        m = classify_text(cat, f"{load.get('stderr') or ''}\n{load.get('stdout') or ''}", stages=("load",))
        if not m.known and load.get("signal") is not None:
            return "runtime-crash", None
        placed = (
            load.get("mode", "standard") == "standard"
            and (rec.get("plugin") or {}).get("build", {}).get("status") == "ok"
        )
        if m.slug == FILE_MISSING and placed:
            other = next((a.slug for a in m.alternatives if a.slug != FILE_MISSING), None)
            if other:
                return other, None
        return m.slug, m.package
    return None, None

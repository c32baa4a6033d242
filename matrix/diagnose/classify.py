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
   `svc | `...) (matrix.diagnose.unwrap).
2. A line's hit is the first class, in catalog order, with a pattern matching one of its
   views (specific classes come before generic ones); a line no class claims may still
   match a fallback (a Go `panic:`, Go build output).
3. Hits at most `gap` lines apart are one stretch. In a stretch, each specific class and
   package is one error; the lines of a generic class (a goroutine dump, `# pkg` headers)
   join the nearest specific error of the same stage; a fallback becomes its class when
   the stage seen around it (`go build`, `cmd/go` frames, `plugin.Open`...) fits; a
   repeat (`(previous failure)`) is dropped when what it repeats is in the text
   (matrix.diagnose.hits).
4. The errors are listed in the order of their first line: the first names the text.
5. `explain` only: a text with no error at all may get a class guessed from its words
   (matrix.core.words), said to be a guess; a record's class never is.

A long log is first narrowed to the lines that hold a literal every pattern needs
(`Pattern.gate`; matrix.diagnose.gates), so a 10 MB log costs little more than reading it; the answer is the
same as without the narrowing. Same input, same answer: nothing here depends on time,
the machine or the network.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from matrix.core import words
from matrix.core.catalog import STAGES, UNKNOWN, Alternative, Catalog, ErrorClass, load_catalog
from matrix.core.matching import CONTEXT_LINES, MAX_LINE_SHOWN, WHOLE_LOG_FROM, WS, Pattern
from matrix.diagnose import checks as C
from matrix.diagnose import gates, halfscan, unwrap
from matrix.diagnose import hits as H
from matrix.diagnose.checks import Check
from matrix.diagnose.hits import Hit, TextError, drop_repeats, merged, ranked, stretch_errors
from matrix.diagnose.marks import Marks
from matrix.diagnose.unwrap import Line, default_matching

_MAX_LINE = MAX_LINE_SHOWN
_WS = WS
_PREFILTER_FROM = WHOLE_LOG_FROM  # texts shorter than this are read line by line without it
_CONTEXT = CONTEXT_LINES  # lines before and after an error where its host program is looked for
JOIN_LINES = 3  # at most this many neighbouring lines are matched joined (a wrapped message)


class Match(NamedTuple):
    """One error of a text, answered. A NamedTuple, not a dataclass: `explain` starts
    without importing dataclasses (and inspect), a few ms; it is pickled from the child
    that reads half of a long log (matrix.diagnose.halves)."""

    slug: str
    title: str
    package: str | None
    family: str | None  # "standard library" | "kustomize module" | "third-party" | None
    line: str | None  # the line that matched (for unknown: the line that looks most like an error)
    link: str
    lineno: int | None = None  # 1-based line of the text where this error starts
    count: int = 1  # type: ignore[assignment]  # how many times the same error is in the text (not tuple.count)
    stage: str | None = None  # "build" | "load": what the text shows, else the class's stage
    host: str | None = None  # the host program, where the text shows it
    groups: Mapping[str, str] = {}  # what the patterns read from the text (a Mapping: never changed)
    alternatives: tuple[Check, ...] = ()
    fixes: tuple[str, ...] = ()  # fixes for this text's context, most specific first
    why: str | None = None  # for an answer a fallback gave: the fallback's reason
    guessed: bool = False  # no rule matched: the class is the words model's guess

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


# ---------------------------------------------------------------- the scan


class _Scan:
    def __init__(self, cat: Catalog, text: str, stages: Iterable[str] | None) -> None:
        self.cat = cat
        self.m = cat.matching or default_matching()
        wanted = set(stages) if stages is not None else set(STAGES)
        self.patterns = gates.class_patterns(cat, frozenset(wanted))
        self.fallbacks = gates.fallback_patterns(
            cat,
            tuple(
                k
                for k, fb in enumerate(cat.fallbacks)
                if cat.by_slug[fb.slug].stage in wanted or (fb.slug == UNKNOWN and "fallback" in wanted)
            ),
        )
        if "\x1b" in text:
            text = self.m.strip.rx.sub("", text)
        self.whole_log = len(text) >= _PREFILTER_FROM
        if self.m.translate and not self.whole_log and not text.isascii():
            # a paste (a web page's spaces and quotes); a whole log is a program's output, read as it is
            text = text.translate(unwrap.translation(self.m))
        self.raw = text.splitlines()
        self.gap = self.m.gap
        self.cands = gates.finder(cat, self.raw, text) if self.whole_log else None
        self._lines: dict[int, list[Line]] = {}
        self._views_of: dict[str, list[str]] = {}
        self.marks = Marks(cat, self.m, self.raw, self._lines)

    # -- one physical line

    def lines_of(self, i: int) -> list[Line]:
        """The matched lines of physical line i (0-based), read once."""
        got = self._lines.get(i)
        if got is None:
            got = [
                Line(i + 1, (i, k), part, self._views(part))
                for k, part in enumerate(unwrap.parts(self.m, self.raw[i]))
            ]
            self._lines[i] = got
        return got

    def hit(self, ln: Line, present: set[Pattern]) -> Hit | None:
        # the first class (in order) with a pattern matching a view, its `unless` not: only
        # the patterns whose gates the line holds are read, in catalog order
        skipped: ErrorClass | None = None
        for _, c, p in gates.allowed(self.patterns, present):
            if c is skipped:
                continue
            for v in ln.views:
                mm = p.rx.search(v)
                if mm:
                    if any(u.search(x) for u in c.unless_pats for x in ln.views):
                        skipped = c  # none of its patterns: on to the next class
                        break
                    # a generic class's line may be another stage's fallback (a crash in a build)
                    fbs = (
                        H.fallbacks_of(self.cat, self.fallbacks, ln.views, present, True) if c.generic else ()
                    )
                    return Hit(ln, c.slug, fbs, mm, v, p.source in c.headers)
        fbs = H.fallbacks_of(self.cat, self.fallbacks, ln.views, present)
        return Hit(ln, None, fbs, None, None) if fbs else None

    def hits(self, found: dict[int, set[str]] | None) -> list[Hit]:
        """The hits of the lines `found` (gates.Candidates: a whole log's), else of every line."""
        out = []
        index = dict(gates.gate_index(self.cat))
        which = sorted(found) if found is not None else range(len(self.raw))
        # a text read before (a log repeats lines): its parts hit as they did there
        memo: dict[str, list[tuple[Line, Hit | None]]] = {}
        for i in which:
            raw = self.raw[i]
            if not raw.strip(_WS):
                continue
            before = memo.get(raw)
            if before is not None:
                for ln, (was, h) in zip(self.lines_of(i), before, strict=True):
                    ln.present = was.present
                    if h is not None:
                        out.append(Hit(ln, h.slug, h.fallbacks, h.match, h.view, h.header))
                continue
            held = found[i] if found is not None else None
            got = memo[raw] = []
            for ln in self.lines_of(i):
                if held is None:
                    present = ln.present = gates.present(self.cat, ln.src)
                else:  # the gates of hit patterns in this line (no other pattern hits)
                    present = {p for g in held if g in ln.src for p in index[g]}
                h = self.hit(ln, present)
                got.append((ln, h))
                if h is not None:
                    out.append(h)
        if not self.whole_log:
            out = sorted(out + self.joined_hits(out), key=lambda h: h.line.order)
        return out

    def joined_hits(self, hits: list[Hit]) -> list[Hit]:
        """Hits of two or three neighbouring lines that only match together: a message a
        terminal wrapped (at a space, or inside a word; Terraform wraps its diagnostics).
        Two lines first, three when two give none. Not in whole logs (not pasted from a
        terminal, and too many runs)."""
        taken = {h.line.lineno for h in hits}
        out = []
        for i in range(len(self.raw) - 1):
            for k in range(2, JOIN_LINES + 1):
                if i + k > len(self.raw) or any(i + j + 1 in taken for j in range(k)):
                    break
                run = [self.lines_of(i + j) for j in range(k)]
                if any(len(x) != 1 for x in run) or not unwrap.continues(run[-1][0]):
                    break  # log framing (a timestamp, a file:line prefix...) starts a new record
                h = self.joined_hit(i, [x[0] for x in run])
                if h is not None:
                    out.append(h)
                    taken.update(i + j + 1 for j in range(1, k))
                    break
        return out

    def joined_hit(self, i: int, run: list[Line]) -> Hit | None:
        """The first hit of `run`'s lines joined, each join with a space, else without (the
        first join's choice varying slowest)."""
        hitting = gates.hit_pattern_set(self.cat)
        base: set[Pattern] = set().union(*(self.present_of(ln) for ln in run))
        for seps in itertools.product((" ", ""), repeat=len(run) - 1):
            # the gates in the joined text: those of its lines and those across each join
            # (a superset); only if a hit pattern may match is it read
            joined, present = run[0].text, set(base)
            for sep, ln in zip(seps, run[1:], strict=True):
                present |= gates.across(self.cat, joined + sep, ln.text)
                joined += sep + ln.text
            if not any(p.needs and gates.holds(joined, p.needs) for p in present & hitting):
                continue
            h = self.hit(Line(i + 1, (i, 0), joined, unwrap.views(self.m, joined)), present)
            if h is not None and h.slug is not None:
                return h
        return None

    def present_of(self, ln: Line) -> set[Pattern]:
        if ln.present is None:
            ln.present = gates.present(self.cat, ln.src)
        return ln.present

    def _views(self, part: str) -> list[str]:
        """unwrap.views, once per text (a log repeats lines; nothing changes a view list)."""
        got = self._views_of.get(part)
        if got is None:
            got = self._views_of[part] = unwrap.views(self.m, part)
        return got

    def context(self, first: int, last: int, what: int, stage: str | None = None) -> str | None:
        """What lines first..last (1-based) and the `gap` lines after them show: the stage
        (what=0), or the host of an error of `stage` (what=1; else the nearest of the
        `context` lines before, then after)."""

        def look(i: int) -> str | None:
            if what == 0:
                return next((mk.name for mk in self.marks.of(i, True)), None)
            return next(
                (h.name for h in self.marks.of(i, False) if h.stage is None or h.stage == stage), None
            )

        end = min(len(self.raw), last + self.m.gap)
        for i in range(first - 1, end):
            got = look(i)
            if got:
                return got
        if what == 0:
            return self.command_stage(first - 2)
        for d in range(1, _CONTEXT + 1):
            got = look(first - 1 - d)
            if got:
                return got
        for i in range(end, min(len(self.raw), end + _CONTEXT)):
            got = look(i)
            if got:
                return got
        return None

    def command_stage(self, i: int) -> str | None:
        """The stage of the command line a stretch is the output of: the nearest non-blank
        line at or before line i (0-based), read against the stages' `commands` (`$ go
        version` above `Illegal instruction`: the go command crashed)."""
        while i >= 0 and not self.raw[i].strip(_WS):
            i -= 1
        if i < 0:
            return None
        views = [v for ln in self.lines_of(i) for v in ln.views]
        return next(
            (mk.name for mk in self.cat.stages if any(p.rx.search(v) for p in mk.commands for v in views)),
            None,
        )

    # -- everything

    def errors(self) -> list[Match]:
        # a whole log in two processes where that pays (matrix.diagnose.halfscan), else in one
        found = halfscan.errors(self)
        return [
            self.answer(e) if isinstance(e, TextError) else e.answer._replace(count=e.count)
            for e in ranked(self.cat, merged(drop_repeats(self.cat, found)))
        ]

    def run_errors(self, run: list[Hit]) -> list[TextError]:
        """The errors of one stretch, with the stage its lines show: read only when a line
        is a generic class's or a fallback's (a specific class's error has its class's)."""
        by = self.cat.by_slug
        if all(h.slug is not None and not by[h.slug].generic for h in run):
            return stretch_errors(self.cat, run, None)
        return stretch_errors(self.cat, run, self.context(run[0].line.lineno, run[-1].line.lineno, 0))

    def answer(self, err: TextError) -> Match:
        error_class = self.cat.by_slug[err.slug]
        first = err.first
        linenos = [h.line.lineno for h in err.hits]
        stage = error_class.stage if error_class.stage != "fallback" else err.stage
        host = self.context(min(linenos), max(linenos), 1, stage)
        groups: dict[str, str] = {}
        if first.match is not None:
            groups.update({k: v for k, v in first.match.groupdict().items() if v})
        views = [v for h in err.hits for v in h.line.views]
        fb = self.cat.fallbacks[err.fallback] if err.fallback is not None else None
        offered = fb.alternatives if fb else error_class.alternatives
        why = fb.why if fb else None
        shown = self._shown(offered, views, groups, min(linenos), max(linenos))
        if shown is not None:  # the paste shows what the message alone cannot: the other class
            g = {**C.when_groups(shown.when, views), **groups}
            alts: tuple[Check, ...] = (
                Check(error_class.slug, MESSAGE_ALONE, C.fill(shown.check, g, self.m)),
            )
            error_class, why = self.cat.by_slug[shown.slug], shown.evidence_why
        else:
            alts = C.alternatives(offered, views, groups, self.m)
        fixes = tuple(
            C.fill(x.fix, {**C.when_groups(x.when, views), **groups}, self.m)
            for x in error_class.contexts
            if (x.host is None or x.host == host) and (x.when is None or C.any_match(x.when, views))
        )
        pkg = groups.get("package")
        return Match(
            slug=error_class.slug,
            title=error_class.title,
            package=pkg,
            family=package_family(pkg),
            line=first.line.text[:_MAX_LINE],
            link=error_class.link,
            lineno=first.line.lineno,
            count=err.count,
            stage=stage,
            host=host,
            groups=groups,
            alternatives=alts,
            fixes=fixes,
            why=why,
        )

    def _shown(
        self,
        alts: Iterable[Alternative],
        views: Sequence[str],
        groups: Mapping[str, str],
        first: int,
        last: int,
    ) -> Alternative | None:
        """The alternative whose `evidence` a line near the error shows for the error's file:
        a line within EVIDENCE_LINES of it that matches the evidence and holds {path}'s name."""
        name = _file_name(groups.get("path") or "")
        if not name:
            return None
        near = self.raw[max(0, first - 1 - EVIDENCE_LINES) : last + EVIDENCE_LINES]
        naming = [raw for raw in near if name in raw and _names(raw, name)]  # read once, not per alternative
        if not naming:
            return None
        for a in alts:
            if a.evidence is None or (a.when is not None and not C.any_match(a.when, views)):
                continue
            if any(a.evidence.search(raw) for raw in naming):
                return a
        return None


# How far (in lines, either side) the evidence for an alternative is looked for.
EVIDENCE_LINES = 50
MESSAGE_ALONE = "what the message alone says; the text around it shows otherwise"


def _file_name(path: str) -> str:
    return re.split(r"[/\\]", path.strip().rstrip("/\\"))[-1]


def _names(raw: str, name: str) -> bool:
    """Whether `raw` names the file `name` itself: not a longer name (`x.so` for `x`) nor
    a directory of that name (`x/`)."""
    # a loop over its places, not a regular expression per name (a log names hundreds)
    i = raw.find(name)
    while i >= 0:
        j = i + len(name)
        if (i == 0 or raw[i - 1] not in _NAME_CHARS) and (j == len(raw) or raw[j] not in _NAME_AFTER):
            return True
        i = raw.find(name, i + 1)
    return False


_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
_NAME_AFTER = _NAME_CHARS + "/\\"


# ---------------------------------------------------------------- the API


def scan(catalog: Catalog, text: str, stages: Iterable[str] | None = None) -> list[Match]:
    """Every error in the text, in the order of its first line (empty: none known)."""
    return _Scan(catalog, text, stages).errors()


def classify_text(
    catalog: Catalog, text: str, stages: Iterable[str] | None = None, guess: bool = False
) -> Match:
    """The text's error: the first one in it, else (with `guess`, what `explain` does) the
    words model's guess (matrix.core.words), else `unknown`; both with the line that
    looks most like an error. Records never guess (classify_record)."""
    found = scan(catalog, text, stages)
    if found:
        return found[0]
    fb = catalog.fallback
    lines = [
        ln.strip(_WS) for ln in (catalog.matching or default_matching()).strip.rx.sub("", text).splitlines()
    ]
    line = _error_like([ln for ln in lines if ln])
    allowed = [c.slug for c in gates.wanted_classes(catalog, stages if stages is not None else STAGES)]
    g = words.guess(words.load_words(), text, allowed) if guess else None
    if g is not None:
        c = catalog.by_slug[g.slug]
        alts = C.second(catalog, catalog.matching or default_matching(), c, g.second)
        return Match(
            c.slug,
            c.title,
            None,
            None,
            line,
            c.link,
            stage=c.stage,
            why=words.WHY,
            guessed=True,
            alternatives=alts,
        )
    return Match(fb.slug, fb.title, None, None, line, fb.link)


def _error_like(lines: list[str]) -> str | None:
    for ln in lines:
        if ln.startswith("Error:") or "error" in ln.lower():
            return ln[:_MAX_LINE]
    return lines[0][:_MAX_LINE] if lines else None


def classify(
    text: str, stages: Iterable[str] | None = None, catalog: Catalog | None = None, guess: bool = False
) -> Match:
    """Classify an error text (a message or a whole log) with the default catalog."""
    return classify_text(catalog or load_catalog(), text, stages, guess)


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

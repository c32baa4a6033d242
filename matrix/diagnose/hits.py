"""Hits and the errors they make (steps 3 and 4 of matrix.diagnose.classify).

Hits at most `gap` lines apart are one stretch. In a stretch, each specific class and
package is one error; the lines of a generic class (a goroutine dump, `# pkg` headers)
join the nearest specific error of the same stage; a specific class's header line
(`# runtime/cgo`) joins the first error after it; a fallback becomes its class when the
stage seen around it fits; a header line (`# pkg`) joins the error next to it, of any
class, when its own stage has none; a repeat (`(previous failure)`) is dropped when what it
repeats is in the text. The errors are listed in the order of their first line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from matrix.core.catalog import Catalog
from matrix.core.matching import Pattern
from matrix.diagnose import gates
from matrix.diagnose.unwrap import Line

A = TypeVar("A")


class Hit:
    """A line a class matched (`slug`), or only fallbacks (their indexes in the catalog)."""

    __slots__ = ("fallbacks", "header", "line", "match", "slug", "view")

    def __init__(
        self,
        line: Line,
        slug: str | None,
        fallbacks: tuple[int, ...],
        match: re.Match[str] | None,
        view: str | None,
        header: bool = False,
    ) -> None:
        self.line = line
        self.slug = slug  # None: only fallbacks matched
        self.fallbacks = fallbacks
        self.match = match
        self.view = view
        self.header = header  # a header line of its class (`# pkg`): it introduces an error


class TextError:
    """One error of the text: its class, its first hit and all its hits."""

    __slots__ = ("count", "fallback", "first", "hits", "slug", "stage")

    def __init__(
        self, slug: str, first: Hit, hits: list[Hit], fallback: int | None = None, stage: str | None = None
    ) -> None:
        self.slug = slug
        self.first = first
        self.hits = hits
        self.fallback = fallback
        self.count = 1
        self.stage = stage

    # what the text-wide steps (drop_repeats, merged, ranked) read of an error
    @property
    def package(self) -> str | None:
        return package_of(self.first)

    @property
    def order(self) -> tuple[int, int]:
        return self.first.line.order

    @property
    def norm(self) -> str:
        return _norm(self.first)


class Answered(Generic[A]):
    """An error another process found and answered (matrix.diagnose.halfscan): what the
    text-wide steps read of it, and its answer (its count is this error's at the end)."""

    __slots__ = ("answer", "count", "norm", "order", "package", "slug")

    def __init__(self, err: TextError, answer: A) -> None:
        self.slug = err.slug
        self.count = err.count
        self.package = err.package
        self.order = err.order
        self.norm = err.norm
        self.answer = answer


Found = TypeVar("Found", bound="TextError | Answered[Any]")  # the text-wide steps take either


def fallbacks_of(
    cat: Catalog,
    index: gates.ByGate[int],
    views: Sequence[str],
    present: set[Pattern],
    staged: bool = False,
) -> tuple[int, ...]:
    """The fallbacks (their indexes, of those in `index`: gates.fallback_patterns) with a
    pattern matching one of a line's views; `staged`: only those of a stage (a generic
    class's line may be a build's crash). Only the patterns whose gates the line holds are
    read (this runs for every line a whole log's prefilter lets through)."""
    found: set[int] = set()
    for _, k, p in gates.allowed(index, present):
        if k in found or (staged and cat.fallbacks[k].stage is None):
            continue
        rx = p.rx
        for v in views:
            if rx.search(v):
                # its `unless` is read as a class's is (classify.hit): only once a pattern matched
                if not any(u.search(x) for u in cat.fallbacks[k].unless for x in views):
                    found.add(k)
                break
    return tuple(sorted(found))


def stretches(hits: Iterable[Hit], gap: int) -> list[list[Hit]]:
    """The hits in runs whose neighbours are at most `gap` lines apart."""
    runs: list[list[Hit]] = []
    for h in hits:
        if runs and h.line.lineno - runs[-1][-1].line.lineno <= gap:
            runs[-1].append(h)
        else:
            runs.append([h])
    return runs


def stretch_errors(cat: Catalog, run: list[Hit], stage: str | None) -> list[TextError]:
    """The errors of one stretch whose lines show `stage`: one per specific class and
    package; a generic class's or a fallback's hits join the nearest specific error of the
    same stage, else make an error of their own. A specific class's header line
    (`# runtime/cgo`) names no cause itself: it joins the first error after it in the
    stretch, of any class, and is its class's error only when nothing follows it."""
    by = cat.by_slug
    specific: dict[tuple[str, str | None], TextError] = {}
    generic: list[tuple[Hit, str, int | None]] = []
    # a specific class's header lines (`# runtime/cgo`), with their class: the lines after say more
    leads: list[tuple[Hit, str]] = []
    for h in run:
        if h.slug is not None and h.header and not by[h.slug].generic:
            leads.append((h, h.slug))
        elif h.slug is not None and not by[h.slug].generic:
            key = (h.slug, package_of(h))
            if key in specific:
                specific[key].hits.append(h)
                specific[key].count += 1
            else:
                specific[key] = TextError(h.slug, h, [h], stage=stage)
        elif h.slug is not None:
            # a generic class's line in a stretch of another stage is that stage's fallback
            # (the go command crashing is the build failing), when it has one
            other = stage is not None and by[h.slug].stage != stage
            fk = next((k for k in h.fallbacks if other and cat.fallbacks[k].stage == stage), None)
            generic.append((h, h.slug, None) if fk is None else (h, cat.fallbacks[fk].slug, fk))
        else:
            for fk in h.fallbacks:
                fb = cat.fallbacks[fk]
                if fb.stage is None or fb.stage == stage:
                    generic.append((h, fb.slug, fk))
                    break
    # a header with nothing after it in the stretch is its class's error (earlier lines join it)
    last = run[-1].line.order
    for h, slug in [x for x in leads if x[0].line.order >= last]:
        key = (slug, package_of(h))
        if key in specific:
            specific[key].hits.append(h)
        else:
            specific[key] = TextError(slug, h, [h], stage=stage)
    leads = [x for x in leads if x[0].line.order < last]
    errors = list(specific.values())
    loose: dict[str, TextError] = {}
    # headers last: a header joins the error next to it, of any class, when its own stage has none
    for h, slug, k in [g for g in generic if not g[0].header] + [g for g in generic if g[0].header]:
        own = by[slug].stage
        near = [e for e in errors if own == "fallback" or by[e.slug].stage == own]
        if not near and h.header:
            near = errors + list(loose.values())
        if near:
            best = min(near, key=lambda e: min(abs(x.line.lineno - h.line.lineno) for x in e.hits))
            best.hits.append(h)
        elif slug in loose:
            loose[slug].hits.append(h)
        # a line another fallback's error also matched joins it (a panic's goroutine dump
        # joins the panic that the program raised itself)
        elif k is not None and (kin := next((e for e in loose.values() if k in e.first.fallbacks), None)):
            kin.hits.append(h)
        else:
            loose[slug] = TextError(slug, h, [h], fallback=k, stage=stage)
    found = errors + list(loose.values())
    # a specific class's header with lines after it joins the first error after it (of any
    # class: what those lines say is the cause), else the error next to it
    for h, slug in leads:
        after = [e for e in found if e.first.line.order > h.line.order] or found
        if after:
            min(after, key=lambda e: abs(e.first.line.order[0] - h.line.order[0])).hits.append(h)
        else:  # the lines after it made no error of this stage
            found.append(TextError(slug, h, [h], stage=stage))
    return found


def drop_repeats(cat: Catalog, found: list[Found]) -> list[Found]:
    """A repeat of a first failure that is in the text is not an error of its own."""
    by = cat.by_slug
    firsts = [e for e in found if not by[e.slug].repeats and not by[e.slug].generic]
    keep = []
    for err in found:
        if by[err.slug].repeats:
            pkg = err.package
            same = [e for e in firsts if by[e.slug].stage == by[err.slug].stage]
            if any(e.package == pkg for e in same) or (pkg is None and same):
                continue
        keep.append(err)
    return keep


def merged(errors: Iterable[Found]) -> list[Found]:
    """The same error in several stretches (same class, package and line but for its
    numbers) is one, counted."""
    out: dict[tuple[str, str | None, str], Found] = {}
    for err in errors:
        key = (err.slug, err.package, err.norm)
        if key in out:
            out[key].count += err.count
        else:
            out[key] = err
    return list(out.values())


def ranked(cat: Catalog, errors: list[Found]) -> list[Found]:
    """Text order, except: a repeat never comes before a first failure, and an error
    that follows a stage (a plugin file missing because its build failed) comes after
    that stage's errors printed before it (a cause is printed before its consequence)."""
    by = cat.by_slug
    firsts = any(not by[e.slug].repeats and not by[e.slug].generic for e in errors)
    first_of: dict[str, tuple[int, int]] = {}  # each stage's first error (not a repeat)
    for e in errors:
        st = by[e.slug].stage
        if not by[e.slug].repeats and (st not in first_of or e.order < first_of[st]):
            first_of[st] = e.order

    def key(e: Found) -> tuple[int, tuple[int, int]]:
        c = by[e.slug]
        cause = first_of.get(c.follows) if c.follows is not None else None
        late = (c.repeats and firsts) or (cause is not None and cause < e.order)
        return (1 if late else 0, e.order)

    return sorted(errors, key=key)


def package_of(h: Hit) -> str | None:
    if h.match is None:
        return None
    return h.match.groupdict().get("package") or None


_DIGITS = re.compile(r"[0-9]+")


def _norm(h: Hit) -> str:
    return _DIGITS.sub("#", h.view if h.view is not None else h.line.text)

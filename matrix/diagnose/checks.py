"""Alternatives: another class a text can mean, why, and the one command that tells them
apart (matrix.diagnose.classify step 7; a words guess's next class, matrix.core.words)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from matrix.core import words
from matrix.core.catalog import Alternative, Catalog, ErrorClass
from matrix.core.matching import Matching, Pattern


class Check(NamedTuple):
    """Another class the text can mean, why, and the command that tells them apart."""

    slug: str
    why: str
    check: str


def any_match(p: Pattern, views: Sequence[str]) -> bool:
    return any(p.search(v) for v in views)


def when_groups(p: Pattern | None, views: Sequence[str]) -> dict[str, str]:
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


def fill(template: str, groups: Mapping[str, str], m: Matching) -> str:
    def one(mm: re.Match[str]) -> str:
        k = mm.group(1)
        return groups.get(k) or m.placeholders.get(k) or mm.group(0)

    return _FIELD.sub(one, template)


def alternatives(
    alts: Iterable[Alternative], views: Sequence[str], groups: Mapping[str, str], m: Matching
) -> tuple[Check, ...]:
    out: list[Check] = []
    for a in alts:
        if a.when is not None and not any_match(a.when, views):
            continue
        if any(c.slug == a.slug for c in out):
            continue
        g = {**when_groups(a.when, views), **groups}
        out.append(Check(a.slug, fill(a.why, g, m), fill(a.check, g, m)))
    return tuple(out)


def second(catalog: Catalog, m: Matching, c: ErrorClass, nxt: str | None) -> tuple[Check, ...]:
    """A guess's next class as its alternative, with the catalog's command that tells the two
    apart (the guess's alternative of that class, else that class's of the guess), if any."""
    if nxt is None:
        return ()
    pair = [a for a in c.alternatives if a.slug == nxt]
    pair += [a for a in catalog.by_slug[nxt].alternatives if a.slug == c.slug]
    if not pair:
        return ()
    return (Check(nxt, words.SECOND_WHY, fill(pair[0].check, {}, m)),)

"""The marks of a text's lines: the stage (build or load) and the host programs each
physical line shows, read once per line (and once per text: a log repeats lines). They
decide what a stretch of errors means (matrix.diagnose.classify, `context`)."""

from __future__ import annotations

from matrix.core.catalog import Catalog, Marker
from matrix.core.matching import Matching
from matrix.diagnose import gates, unwrap
from matrix.diagnose.unwrap import Line


class Marks:
    def __init__(self, cat: Catalog, m: Matching, raw: list[str], lines: dict[int, list[Line]]) -> None:
        self.cat = cat
        self.m = m
        self.raw = raw
        self._lines = lines  # the lines read so far (the scan's own: not copied)
        # by stages (True: a line's stage marker, False: its hosts): by line, and by text
        self._marks: dict[bool, dict[int, tuple[Marker, ...]]] = {True: {}, False: {}}
        self._by_text: dict[bool, dict[str, tuple[Marker, ...]]] = {True: {}, False: {}}

    def _parts(self, i: int) -> list[Line] | list[unwrap.LazyLine]:
        """The matched lines of physical line i as read, else read lazily (not kept): a
        line a marker is looked for in needs its views only when its first does not show it."""
        got = self._lines.get(i)
        if got is not None:
            return got
        return [unwrap.LazyLine(self.m, part) for part in unwrap.parts(self.m, self.raw[i])]

    def of(self, i: int, stages: bool) -> tuple[Marker, ...]:
        """The stage physical line i shows (stages: the first of catalog order, if any), or
        the hosts it shows in catalog order."""
        cache, by_text = self._marks[stages], self._by_text[stages]
        got = cache.get(i)
        if got is None and 0 <= i < len(self.raw):
            got = by_text.get(self.raw[i])  # the same text marks the same (a log repeats)
            if got is not None:
                cache[i] = got
        if got is None:
            found: list[Marker] = []
            # the gates of the whole line hold for each of its parts (a superset is safe: the
            # patterns still decide); a line holding none shows nothing when every marker
            # pattern is gated, and its views need not be made
            raw = self.raw[i] if 0 <= i < len(self.raw) else ""
            line_present = gates.present_markers(self.cat, raw, stages) if raw else set()
            markers = gates.marker_patterns(self.cat, stages)
            if raw and (line_present or markers[0]):  # none present, all gated: nothing to read
                # only the marker patterns whose gates the line holds, in catalog order
                cand = gates.allowed(markers, line_present)
                for part in self._parts(i):
                    present = part.present if part.present is not None else line_present
                    for _, mk, p in cand:
                        if mk in found or not gates.may(p, present):
                            continue
                        # its first view (the part without framing) mostly shows it: the
                        # others are made only when it does not
                        if p.rx.search(part.text) or any(p.rx.search(v) for v in part.views[1:]):
                            found.append(mk)
                            if stages:
                                break
                    if stages and found:
                        break
            got = tuple(found) if stages else tuple(h for h in self.cat.hosts if h in found)
            cache[i] = got
            if 0 <= i < len(self.raw):
                by_text[self.raw[i]] = got
        return got

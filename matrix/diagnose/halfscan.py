"""A whole log's scan in two processes (matrix.diagnose.halves): this process reads the
first half of the lines, a forked child the second, each from its gate pass to its
errors answered (their stage, host, alternatives and fixes, which cost as much as
finding them). The answer is the one a single pass gives:

- a stretch (hits at most `gap` lines apart) may cross the middle, so neither half
  answers the stretch next to it: the child sends the lines of its first, and this
  process reads them again and joins them to its own last when they are close enough;
- every other stretch lies wholly in one half, and what a stretch means (its stage, its
  host, its evidence) is read from the whole text, which the child has too;
- each half drops the repeats and merges the errors of its own stretches (what it drops
  or merges, the whole text's steps would too); this process then drops, merges and ranks
  across the halves, with each error's count as it ends up.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from matrix.core.catalog import Catalog
from matrix.diagnose import gates, halves
from matrix.diagnose.hits import Answered, Hit, TextError, drop_repeats, merged, stretches

M = TypeVar("M")
M_co = TypeVar("M_co", covariant=True)


class Scan(Protocol[M_co]):
    """What a scan (matrix.diagnose.classify) offers to be read in halves."""

    cat: Catalog
    cands: gates.Candidates | None
    gap: int

    def hits(self, found: dict[int, set[str]] | None) -> list[Hit]: ...

    def run_errors(self, run: list[Hit]) -> list[TextError]: ...

    def answer(self, err: TextError) -> M_co: ...


# a half's errors answered, and a stretch at the middle that the other half may continue:
# this half's last (read here) or the child's first (0-based first and last line)
Half = tuple[list[Answered[M]], list[Hit]]
Theirs = tuple[list[Answered[M]], tuple[int, int] | None]


def errors(scan: Scan[M]) -> list[TextError | Answered[M]]:
    """The text's errors in text order, before the text-wide steps (drop_repeats, merged,
    ranked); in two halves where that pays (a whole log, two processors, gates that hold
    no line break), all answered but those of the stretch at the middle; else in this
    process alone, none answered."""
    cands = scan.cands
    if cands is None:  # not a whole log: every line is read
        return _one(scan, None)
    if not cands.halvable or not halves.worth(cands.text):
        return _one(scan, cands.between(0, len(cands.text)))
    gap = scan.gap
    found = cands.everywhere()  # the gate pass (in two halves itself)
    lines = sorted(found)
    if len(lines) < 2:  # nothing to divide
        return _one(scan, found)
    # the halves divide the candidate lines evenly (the work is reading them, not the text)
    k = lines[len(lines) // 2]

    def part(lo: int, hi: int) -> dict[int, set[str]]:
        """The candidate lines that start in text[lo:hi]."""
        return {i: found[i] for i in lines if lo <= cands.starts[i] < hi}

    def answered(runs: list[list[Hit]]) -> list[Answered[M]]:
        # what the text-wide steps drop or merge among these errors, they would drop or
        # merge among all: only the others are answered
        errs = merged(drop_repeats(scan.cat, [e for run in runs for e in scan.run_errors(run)]))
        return [Answered(e, scan.answer(e)) for e in errs]

    def here(lo: int, hi: int) -> Half[M]:
        runs = stretches(scan.hits(part(lo, hi)), gap)
        return answered(runs[:-1]), (runs[-1] if runs else [])

    def there(lo: int, hi: int) -> Theirs[M]:
        runs = stretches(scan.hits(part(lo, hi)), gap)
        if not runs:
            return [], None
        return answered(runs[1:]), (runs[0][0].line.lineno - 1, runs[0][-1].line.lineno - 1)

    got = halves.pair(here, there, cands.text, cands.starts[k])
    if got is None:  # no child could be made
        return _one(scan, found)
    (mine, last), (theirs, first) = got
    # the child's first stretch, read again here: it may continue this half's last
    tail = last + (scan.hits({i: found[i] for i in lines if first[0] <= i <= first[1]}) if first else [])
    middle = [e for run in stretches(tail, gap) for e in scan.run_errors(run)]
    return [*mine, *middle, *theirs]


def _one(scan: Scan[M], found: dict[int, set[str]] | None) -> list[TextError | Answered[M]]:
    """The errors of the candidate lines `found` (None: of every line), read in this
    process alone."""
    return [e for run in stretches(scan.hits(found), scan.gap) for e in scan.run_errors(run)]

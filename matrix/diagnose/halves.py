"""A long text's work in two halves, the second in a child process: reading a whole log
(its gate pass, its hits, their context) is pure computation over the text, so on a
machine with a second processor the two halves take about half the time. The halves
split at a line break; wherever a child cannot be made or does not answer, this process
does the second half itself. What is done in halves must give the answer one pass gives:
the gate pass (no gate holds a line break: `in_two`), a whole scan (matrix.diagnose.halfscan).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
FROM = 4_000_000  # characters: below this a second process costs more than it saves


def processors() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worth(text: str) -> bool:
    """Whether a child would read half of `text` here: a long text, two processors, fork,
    and no other thread running (a fork would not copy it)."""
    if len(text) < FROM or not hasattr(os, "fork") or processors() < 2:
        return False
    import threading  # only a long text comes here: a short one does not pay for the import

    return threading.active_count() == 1


def in_two(work: Callable[[int, int], dict[int, T]], text: str) -> dict[int, T] | None:
    """work(0, mid) here and work(mid, len(text)) in a forked child, merged (mid: just after
    the line break nearest the middle). None: not worth it or not possible here (a short
    text, one processor, no fork, other threads running, which a fork would not copy)."""
    got = pair(work, work, text)
    if got is None:
        return None
    first, second = got
    first.update(second)
    return first


def pair(
    here: Callable[[int, int], A], there: Callable[[int, int], B], text: str, at: int | None = None
) -> tuple[A, B] | None:
    """(here(0, mid), there(mid, len(text))): `there` in a forked child while this process
    runs `here`, as in_two (mid: `at`, a line's start, where the work divides evenly, else
    the line break nearest the middle); a child that fails or answers nothing readable is
    replaced by this process running `there` itself. None: not worth it or not possible here."""
    if not worth(text):
        return None
    import pickle  # only a long text comes here: a short one does not pay for the import

    mid = at if at is not None else text.find("\n", len(text) // 2) + 1
    if mid <= 0:
        return None
    try:
        r, w = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # pragma: no cover (the child; its result is checked by the parent's use)
        code = 1
        try:
            os.close(r)
            data = pickle.dumps(there(mid, len(text)), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(w, "wb") as f:
                f.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    try:
        first = here(0, mid)
    finally:
        with os.fdopen(r, "rb") as f:
            data = f.read()
        _, status = os.waitpid(pid, 0)
    if status == 0:
        try:
            return first, pickle.loads(data)
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            pass
    return first, there(mid, len(text))

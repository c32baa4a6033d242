"""A long text's gate scan in two halves, the second in a child process: the
Aho-Corasick pass over a whole log is pure computation over the text, so on a machine
with a second processor the two halves take half the time. The answer is the same as
one pass (the halves split at a line break, and no gate holds a line break); wherever a
child cannot be made or does not answer, this process reads the second half itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
FROM = 4_000_000  # characters: below this a second process costs more than it saves


def processors() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def in_two(work: Callable[[int, int], dict[int, T]], text: str) -> dict[int, T] | None:
    """work(0, mid) here and work(mid, len(text)) in a forked child, merged (mid: just after
    the line break nearest the middle). None: not worth it or not possible here (a short
    text, one processor, no fork, other threads running, which a fork would not copy)."""
    if len(text) < FROM or not hasattr(os, "fork") or processors() < 2:
        return None
    # only a long text comes here: a short one does not pay for these imports
    import pickle
    import threading

    if threading.active_count() > 1:
        return None
    mid = text.find("\n", len(text) // 2) + 1
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
            data = pickle.dumps(work(mid, len(text)), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(w, "wb") as f:
                f.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    try:
        first = work(0, mid)
    finally:
        with os.fdopen(r, "rb") as f:
            data = f.read()
        _, status = os.waitpid(pid, 0)
    second: dict[int, T] | None = None
    if status == 0:
        try:
            second = pickle.loads(data)
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError):
            second = None
    if second is None:
        second = work(mid, len(text))
    first.update(second)
    return first

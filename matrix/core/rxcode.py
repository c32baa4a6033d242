"""Compiled regular expressions kept between runs (with the cached catalog,
matrix.core.catalog_cache).

Python compiles a regular expression in Python code (parsing it, then generating the
matching engine's instructions), about 0.1 ms a pattern: a whole log that needs 1,500 of
the catalog's patterns pays 0.1 s for it in every process that reads it. The engine's
instructions (`code`) depend only on the pattern and the Python that made them, so they
are kept with the cached catalog, stamped with the Python and the engine's version, and
a pattern is then made from them directly (as `re.compile` makes it from the code it
generates). Anything unexpected (another Python, another engine, a pattern not kept)
means the pattern is compiled as usual: the same pattern either way.
"""

from __future__ import annotations

import array
import importlib
import re
import sys
from collections.abc import Iterable
from typing import Any

try:  # CPython's engine and its compiler (private: used only where the stamp matches)
    import _sre

    _compiler = importlib.import_module("re._compiler")
    _parser = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover (another Python: patterns compile as usual)
    _sre = None

_TYPE = next((t for t in "IQL" if _sre is not None and array.array(t).itemsize == _sre.CODESIZE), None)
STAMP = [sys.implementation.name, sys.version, getattr(_sre, "MAGIC", None), _TYPE]
# pattern -> what re's compiler gives the engine for it (flags, code as bytes, groups,
# group index, index group), read from the cache (`use`)
CODES: dict[str, tuple[Any, ...]] = {}


def compiled(source: str) -> re.Pattern[str]:
    """re.compile(source), made from its kept code where there is one."""
    kept = CODES.get(source)
    if kept is not None and _sre is not None and _TYPE is not None:
        flags, code, groups, groupindex, indexgroup = kept
        try:
            made: re.Pattern[str] = _sre.compile(
                source, flags, array.array(_TYPE, code).tolist(), groups, groupindex, indexgroup
            )
            return made
        except Exception:  # damaged or foreign: compiled as usual below
            CODES.pop(source, None)
    return re.compile(source)


def codes(sources: Iterable[str]) -> dict[str, Any] | None:
    """The code of each pattern, to keep (None: this Python's engine is not CPython's)."""
    if _sre is None or _TYPE is None:
        return None
    out: dict[str, tuple[Any, ...]] = {}
    try:
        for s in sources:
            p = _parser.parse(s, 0)
            code = _compiler._code(p, 0)
            groupindex = dict(p.state.groupdict)
            indexgroup: list[str | None] = [None] * p.state.groups
            for k, i in groupindex.items():
                indexgroup[i] = k
            out[s] = (
                p.state.flags,
                array.array(_TYPE, code).tobytes(),
                p.state.groups - 1,
                groupindex,
                tuple(indexgroup),
            )
    except Exception:  # re's private compiler changed: nothing is kept
        return None
    return {"stamp": STAMP, "codes": out}


def use(kept: Any) -> None:
    """Make patterns from the codes `codes` gave, if this Python made them."""
    if isinstance(kept, dict) and kept.get("stamp") == STAMP and isinstance(kept.get("codes"), dict):
        CODES.update(kept["codes"])

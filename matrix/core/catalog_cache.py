"""The packaged error catalog, parsed and with every pattern's literals, kept in the
user's cache directory (and any other packaged file a fresh `explain` reads: `cached`,
`keep`; the words model).

Keyed by the catalog's and the reading code's size and modification time: a fresh
`plugin-matrix explain` then reads it in a millisecond instead of parsing TOML and
working out ~400 patterns' literals, and its patterns compile from the code kept with
it (matrix.core.rxcode). It is only an optimisation: any problem with it
(missing, old, unwritable) means the catalog is read as usual (matrix.core.catalog).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from matrix.core import matching, rxcode

# 2: the catalog's entry kept through `keep`, like any other file; 3: each pattern's gate
# kept with its literals; 4: each pattern's compiled code (matrix.core.rxcode)
_CACHE_FORMAT = 4

T = TypeVar("T")


def user_cache_dir() -> Path:
    """$PLUGIN_MATRIX_CACHE, else $XDG_CACHE_HOME (or ~/.cache)/kustomize-plugin-matrix."""
    base = os.environ.get("PLUGIN_MATRIX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kustomize-plugin-matrix"
    )
    return Path(base)


def _key(path: Path, code: Sequence[Path]) -> list[Any]:
    out: list[Any] = [_CACHE_FORMAT, str(path)]
    for p in (path, *code):
        try:
            st = p.stat()
        except OSError:
            return []
        out += [st.st_size, st.st_mtime_ns]
    return out


def _name(path: Path) -> str:
    return f"catalog-{zlib.crc32(str(path).encode()):08x}.marshal"


def load(path: Path, code: Sequence[Path], build: Callable[[dict[str, Any]], T]) -> T | None:
    """`build` of the cached document of the catalog at `path`, run while the literals and
    gates of its patterns are known (matching.KNOWN_NEEDS); None when nothing is cached for this
    catalog and this `code` (the modules that read it), or anything goes wrong."""
    kept = cached(_name(path), path, code)
    if kept is None:
        return None
    try:
        matching.KNOWN_NEEDS.update(kept["needs"])
        rxcode.use(kept.get("rx"))
        return build(kept["doc"])
    except Exception:  # anything wrong with the cache: read the catalog itself
        return None
    finally:
        matching.KNOWN_NEEDS.clear()


def save(path: Path, code: Sequence[Path], doc: dict[str, Any], patterns: Iterable[matching.Pattern]) -> None:
    """Keep the catalog's document, and the literals, gate and compiled code of its
    patterns, for `load`."""
    needs = {p.source: (p.needs, p.gate) for p in patterns}
    keep(_name(path), path, code, {"doc": doc, "needs": needs, "rx": rxcode.codes(needs)})


# ---------------------------------------------------------------- any packaged file


def cached(name: str, source: Path, code: Sequence[Path]) -> Any:
    """What `keep` kept under `name` for `source` read by `code` (the modules that read it),
    or None: nothing kept for this file and this code, or anything wrong with it."""
    key = _key(source, code)
    if not key:
        return None
    try:
        kept = marshal.loads((user_cache_dir() / "explain" / name).read_bytes())
    except Exception:  # missing, unreadable, another Python's marshal format
        return None
    return kept.get("doc") if isinstance(kept, dict) and kept.get("key") == key else None


def keep(name: str, source: Path, code: Sequence[Path], doc: Any) -> None:
    """Keep `doc` (what `source` says, in marshal's types) for `cached`."""
    key = _key(source, code)
    if not key:
        return
    target = user_cache_dir() / "explain" / name
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(marshal.dumps({"key": key, "doc": doc}))
        os.replace(tmp, target)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            tmp.unlink()

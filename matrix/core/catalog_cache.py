"""The packaged error catalog, parsed and with every pattern's literals, kept in the
user's cache directory (and any other packaged file a fresh `explain` reads: `cached`,
`keep`; the words model).

Keyed by the catalog's and the reading code's size and modification time: a fresh
`plugin-matrix explain` then reads it in a millisecond instead of parsing TOML and
working out ~400 patterns' literals. It is only an optimisation: any problem with it
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

from matrix.core import matching

_CACHE_FORMAT = 1

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


def _file(path: Path) -> Path:
    return user_cache_dir() / "explain" / f"catalog-{zlib.crc32(str(path).encode()):08x}.marshal"


def load(path: Path, code: Sequence[Path], build: Callable[[dict[str, Any]], T]) -> T | None:
    """`build` of the cached document of the catalog at `path`, run while the literals of
    its patterns are known (matching.KNOWN_NEEDS); None when nothing is cached for this
    catalog and this `code` (the modules that read it), or anything goes wrong."""
    key = _key(path, code)
    try:
        doc = marshal.loads(_file(path).read_bytes())
        if not key or doc.get("key") != key:
            return None
        matching.KNOWN_NEEDS.update(doc["needs"])
        return build(doc["doc"])
    except Exception:  # anything wrong with the cache: read the catalog itself
        return None
    finally:
        matching.KNOWN_NEEDS.clear()


def save(path: Path, code: Sequence[Path], doc: dict[str, Any], patterns: Iterable[matching.Pattern]) -> None:
    """Keep the catalog's document and the literals of its patterns for `load`."""
    key = _key(path, code)
    if not key:
        return
    needs = {p.source: p.needs for p in patterns}
    _write(_file(path), {"key": key, "doc": doc, "needs": needs})


def _write(target: Path, payload: dict[str, Any]) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(marshal.dumps(payload))
        os.replace(tmp, target)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            tmp.unlink()


# ---------------------------------------------------------------- any other packaged file


def cached(name: str, source: Path, code: Sequence[Path]) -> Any:
    """What `keep` kept under `name` for `source` read by `code` (the modules that read it),
    or None: nothing kept for this file and this code, or anything wrong with it."""
    key = _key(source, code)
    if not key:
        return None
    try:
        doc = marshal.loads((user_cache_dir() / "explain" / name).read_bytes())
    except Exception:  # missing, unreadable, another Python's marshal format
        return None
    return doc.get("doc") if isinstance(doc, dict) and doc.get("key") == key else None


def keep(name: str, source: Path, code: Sequence[Path], doc: Any) -> None:
    """Keep `doc` (what `source` says, in marshal's types) for `cached`."""
    key = _key(source, code)
    if key:
        _write(user_cache_dir() / "explain" / name, {"key": key, "doc": doc})

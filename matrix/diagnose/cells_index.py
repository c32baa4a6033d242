"""The class of every recorded cell, as `plugin-matrix explain` lists them, cached.

Recomputing them means reading, checking and classifying every record of DATA/cells
(hundreds of files): too slow for a command people run for one pasted error. The index
keeps, per record file, its size and modification time, the class and package the
current catalog gives it and the summary explain prints. It is rebuilt for a file whose
size or time changed, and entirely when the catalog or the classifier changed. It lives
in the user's cache directory ($PLUGIN_MATRIX_CACHE, else $XDG_CACHE_HOME or ~/.cache,
then kustomize-plugin-matrix/explain/), never in DATA; when it cannot be written,
explain still answers, only slower.

Records are checked as `records.current` checks them: a damaged one (not JSON, not
valid against the record schema) or one of an older record format is counted and
skipped. The schema check is fastjsonschema's compiled validator of record.schema.json,
as matrix.dataset.read does.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import zlib
from pathlib import Path
from typing import Any

from matrix.core.catalog import Catalog

# Bump when what is cached per cell changes.
INDEX_FORMAT = 2


def cache_dir() -> Path:
    base = os.environ.get("PLUGIN_MATRIX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kustomize-plugin-matrix"
    )
    return Path(base) / "explain"


def _stamp(path: str | Path) -> list[int]:
    try:
        st = os.stat(path)
    except OSError:
        return [-1, -1]
    return [st.st_size, st.st_mtime_ns]


def _key(cat: Catalog) -> list[Any]:
    """What every cached class depends on besides the record: the catalog and the code."""
    from matrix.diagnose import classify, gates, hits, unwrap

    code = (classify.__file__, unwrap.__file__, gates.__file__, hits.__file__)
    return [INDEX_FORMAT, str(cat.path), *_stamp(cat.path), *(x for f in code for x in _stamp(Path(f)))]


def load(data: Path, cat: Catalog) -> dict[str, Any] | None:
    """{"cells": [summary with "class"...], "older": n, "damaged": n}; None without DATA/cells."""
    cells = data / "cells"
    try:
        names = sorted(
            e.name for e in os.scandir(cells) if e.name.startswith("c") and e.name.endswith(".json")
        )
    except OSError:
        return None
    resolved = str(cells.resolve())
    path = cache_dir() / f"cells-{zlib.crc32(resolved.encode()):08x}.marshal"
    key = _key(cat)
    old: dict[str, Any] = {}
    grid: list[Any] = []
    try:
        doc = marshal.loads(path.read_bytes())
        if isinstance(doc, dict) and doc.get("key") == key and doc.get("dir") == resolved:
            old = doc["files"]
            grid = doc["grid"]
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        old, grid = {}, []
    grid_stamp = _stamp(data / "grid.toml")
    if not grid or grid[0] != grid_stamp:
        grid = [grid_stamp, variant_descriptions(data)]
        old = dict(old)
        old["(grid)"] = None  # forces a write
    files: dict[str, Any] = {}
    changed = False
    where = os.fspath(cells)  # joined as strings: a Path per record costs a fresh explain ~5 ms
    for name in names:
        stamp = _stamp(os.path.join(where, name))
        entry = old.get(name)
        if entry is None or entry[0] != stamp:
            entry = [stamp, *_read(cells / name, cat)]
            changed = True
        files[name] = entry
    if changed or len(files) != len(old):
        _write(path, {"key": key, "dir": resolved, "files": files, "grid": grid})
    out: dict[str, Any] = {"cells": [], "older": 0, "damaged": 0, "variants": grid[1]}
    for _, state, summary in files.values():
        if state == "ok":
            if summary is not None:
                out["cells"].append(summary)
        else:
            out[state] += 1
    return out


def _read(path: Path, cat: Catalog) -> tuple[str, dict[str, Any] | None]:
    """("ok", summary or None for a cell without an error) | ("older"|"damaged", None)."""
    import json

    from matrix.core import records
    from matrix.diagnose.classify import classify_record

    try:
        rec = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return "damaged", None
    fmt = rec.get("format") if isinstance(rec, dict) else None
    if isinstance(fmt, int) and fmt < records.RECORD_FORMAT:
        return "older", None
    if not _valid(rec) or rec.get("cell") != path.stem:
        return "damaged", None
    slug, pkg = classify_record(rec, cat)
    if slug is None:
        return "ok", None
    return "ok", {"class": slug, **summary(rec, pkg)}


def variant_descriptions(data: Path) -> dict[str, str]:
    """Build variants ("debug" -> "with -gcflags=all=-N -l ...") and pins ("pins:api-other"
    -> what the plugin's go.mod does) as DATA/grid.toml describes them."""
    grid = data / "grid.toml"
    if not grid.is_file():
        return {}
    import tomllib

    try:
        doc = tomllib.loads(grid.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {k: str(v.get("description", k)) for k, v in (doc.get("variants") or {}).items()}
    out.update({f"pins:{k}": str(v.get("description", k)) for k, v in (doc.get("pins") or {}).items()})
    return out


_VALIDATE: list[Any] = []


def _valid(rec: Any) -> bool:
    if not _VALIDATE:
        import json
        from importlib import resources

        import fastjsonschema

        doc = json.loads(resources.files("matrix.core.schemas").joinpath("record.schema.json").read_text())
        _VALIDATE.append((fastjsonschema.compile(doc), fastjsonschema.JsonSchemaException))
    validate, error = _VALIDATE[0]
    try:
        validate(rec)
    except error:
        return False
    return True


def summary(rec: dict[str, Any], pkg: str | None) -> dict[str, Any]:
    h, p = rec["host"], rec["plugin"]
    return {
        "cell": rec["cell"],
        "outcome": rec["outcome"],
        "package": pkg,
        "host": {
            "release": h["release"],
            "toolchain": h["toolchain"]["id"],
            "go": (h["toolchain"].get("goenv") or {}).get("GOVERSION"),
            "variant": h["variant"],
            "platform": h["platform"],
        },
        "plugin": {
            "name": p["name"],
            "toolchain": p["toolchain"]["id"],
            "go": (p["toolchain"].get("goenv") or {}).get("GOVERSION"),
            "variant": p["variant"],
            "pins": p["pins"],
            "platform": p["platform"],
        },
        "failed_builds": [
            side
            for side in ("host", "plugin")
            if ((rec.get(side) or {}).get("build") or {}).get("status") == "failed"
        ],
        "recorded_at": rec.get("recorded_at"),
    }


def _write(path: Path, doc: dict[str, Any]) -> None:
    """Atomically, or not at all (a read-only home, a full disk): the cache is optional."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(marshal.dumps(doc))
        os.replace(tmp, path)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            tmp.unlink()

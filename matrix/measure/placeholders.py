"""Machine paths out of records: what a record says must compare across machines.

Every path of the machine that made a record (the Go module and build caches, GOPATH,
each toolchain's GOROOT, the home and temp directories) becomes a placeholder in every
text of the record: `$GOMODCACHE/sigs.k8s.io/...`, `$GOROOT/bin/go`, `$HOME`, `$TMPDIR`.
The throw-away directories already have theirs ($WORK for a build, $CELL for a load).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Longest first, so a path inside another (the module cache inside GOPATH inside HOME)
# gets the most specific name.
PLACEHOLDERS = ("$GOMODCACHE", "$GOCACHE", "$GOPATH", "$GOROOT", "$TMPDIR", "$HOME")


def machine_paths(caches: dict[str, str], goroots: Iterable[str]) -> list[tuple[str, str]]:
    """(path, placeholder) pairs for this machine, the most specific path first."""
    pairs: list[tuple[str, str]] = []
    for key in ("GOMODCACHE", "GOCACHE", "GOPATH"):
        if caches.get(key):
            pairs.append((caches[key], f"${key}"))
    pairs += [(g, "$GOROOT") for g in goroots if g]
    pairs.append((tempfile.gettempdir(), "$TMPDIR"))
    home = os.environ.get("HOME") or str(Path.home())
    if home and home != "/":
        pairs.append((home, "$HOME"))
    seen: set[str] = set()
    out = []
    for path, name in sorted(pairs, key=lambda p: -len(p[0])):
        path = path.rstrip("/")
        if len(path) > 1 and path not in seen:
            seen.add(path)
            out.append((path, name))
    return out


def scrub(value: Any, pairs: list[tuple[str, str]]) -> Any:
    """`value` (a record or any part of one) with every machine path replaced. A path is
    replaced only where it ends a path component: /tmp becomes $TMPDIR in /tmp/x, not in
    /tmpfs."""
    if not pairs:
        return value
    rx = re.compile("|".join(f"({re.escape(p)})(?![^/\\s\"'`:;,)\\]])" for p, _ in pairs))
    names = [n for _, n in pairs]
    return _scrub(value, rx, names)


def _scrub(value: Any, rx: re.Pattern[str], names: list[str]) -> Any:
    if isinstance(value, str):
        return rx.sub(lambda m: names[(m.lastindex or 1) - 1], value) if "/" in value else value
    if isinstance(value, dict):
        return {_scrub(k, rx, names): _scrub(v, rx, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, rx, names) for v in value]
    return value

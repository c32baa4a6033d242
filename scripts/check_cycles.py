"""Fail when modules of the `matrix` package import each other in a cycle.

    python scripts/check_cycles.py [PACKAGE]

import-linter's layers stop imports going up between layers; this stops cycles inside a
layer (and anywhere else). Imports inside functions count too: a lazy import is still a
dependency. Run by `nox -s lint`; prints each cycle found, exit 1 if any.
"""

from __future__ import annotations

import sys

import grimp


def cycles(package: str) -> list[list[str]]:
    graph = grimp.build_graph(package)
    mods = sorted(graph.modules)
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for a in mods:
        for b in graph.find_modules_directly_imported_by(a):
            back = graph.find_shortest_chain(importer=b, imported=a)
            if back is None:
                continue
            cycle = [a, *back]
            key = frozenset(cycle)
            if key not in seen:
                seen.add(key)
                found.append(cycle)
    return found


def main(argv: list[str]) -> int:
    package = argv[0] if argv else "matrix"
    found = cycles(package)
    for c in found:
        print("import cycle: " + " -> ".join(c))
    print(f"{package}: {len(found)} import cycle(s)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

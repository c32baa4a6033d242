"""`plugin-matrix reclassify`: recompute the derived "class" and "package" of every
recorded cell after the error catalog changed, without measuring anything again.

Only those two fields are rewritten (through records.write, schema-checked and atomic);
the measured fields stay as they are. Records of an older record format are left alone
(the next run measures them again). It refuses to run while a `plugin-matrix run`
holds the data directory.

Exit status: 0 done (or, with --check, nothing out of date); 1 with --check, some
records are out of date; 2 bad input (damaged record or catalog, data directory busy).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from matrix import UserError
from matrix.cli import add_data_args
from matrix.core import records
from matrix.core.catalog import UNKNOWN, Catalog, catalog_for
from matrix.diagnose.classify import classify_record
from matrix.measure.runner import data_lock


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Recompute the derived 'class' and 'package' fields of the "
        "records in DATA/cells/ with the current error catalog, "
        "without measuring again. Measured fields are never touched."
    )
    add_data_args(p)
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if any record's class or package is out of date",
    )


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True, highlight=False)
    catalog = catalog_for(args.data)
    with data_lock(args.data, wait=False):
        counts, changed, unknown = reclassify(args.data, catalog, write=not args.check)
    t = Table(title=f"{sum(counts.values())} records, classified with {catalog.path}")
    t.add_column("class")
    t.add_column("cells", justify="right")
    for slug, n in sorted(counts.items(), key=lambda kv: (kv[0].startswith("("), -kv[1], kv[0])):
        t.add_row(slug, str(n))
    console.print(t)
    verb = "out of date" if args.check else "updated"
    console.print(
        f"{len(changed)} record(s) {verb}"
        + (f": {', '.join(changed[:20])}" + (" ..." if len(changed) > 20 else "") if changed else "")
    )
    if unknown:
        console.print(
            f"[yellow]{len(unknown)} unknown error(s), to triage[/] "
            f"(`plugin-matrix explain - < error.txt`): {', '.join(unknown)}"
        )
    return 1 if args.check and changed else 0


def reclassify(data: Path, catalog: Catalog, write: bool) -> tuple[Counter[str], list[str], list[str]]:
    """(count per class, cells whose class/package changed, cells classified unknown)."""
    counts: Counter[str] = Counter()
    changed: list[str] = []
    unknown: list[str] = []
    if not records.cells_dir(data).is_dir():
        raise UserError(f"{records.cells_dir(data)}: no recorded cells")
    recs, older, damaged = records.current(data)
    if damaged:
        raise UserError(
            f"{records.cells_dir(data)}: {damaged} damaged record(s); `plugin-matrix validate` names them"
        )
    if older:
        counts["(older record format: not reclassified)"] = older
    for rec in recs:
        slug, pkg = classify_record(rec, catalog)
        counts[slug or f"({rec['outcome']})"] += 1
        if slug == UNKNOWN:
            unknown.append(rec["cell"])
        updated = records.with_class(rec, slug, pkg)
        if updated != rec:
            changed.append(rec["cell"])
            if write:
                records.write(data, updated)
    return counts, changed, unknown

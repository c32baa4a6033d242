"""`plugin-matrix explain`: error text -> class, title, cause, fix, where it was observed, link.

Exit status: 0 the text is a known class; 1 it is not (class `unknown`: please report
it); 2 bad input (no text, empty text, a damaged catalog).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from matrix import UserError
from matrix.cli import add_data_args
from matrix.core import records
from matrix.core.catalog import Catalog, catalog_for, link
from matrix.diagnose.classify import Match, classify_record, classify_text

EXIT_KNOWN, EXIT_UNKNOWN = 0, 1
REPORT = "please report it, with the full text: " + link("unknown") + "#report"
MAX_INPUT = 16 * 1024 * 1024
SHOW_CELLS = 12
KEY_WIDTH = 8


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Classify an error text (a message or a whole log) from kustomize, "
        "plugin.Open or go build: print its class, cause, fix, the matrix cells "
        "where it was observed and the link to its page. Exit status: 0 a known "
        "class, 1 unknown text (class 'unknown'), 2 bad input."
    )
    p.add_argument(
        "text",
        nargs="*",
        metavar="TEXT",
        help="the error text; '-' (or nothing, with stdin not a terminal) reads stdin",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object: {"class", "title", "package", "family", "link", '
        '"cause", "fix", "cells", ...}',
    )
    add_data_args(p)


def read_text(words: list[str]) -> str:
    if words == ["-"] or (not words and not sys.stdin.isatty()):
        data = sys.stdin.buffer.read(MAX_INPUT + 1)
        if len(data) > MAX_INPUT:
            raise UserError(f"stdin: more than {MAX_INPUT >> 20} MiB; pass the part with the error")
        text = data.decode("utf-8", errors="replace")
        where = "stdin"
    elif not words:
        raise UserError("no error text: pass it as an argument (quoted), or '-' to read it from stdin")
    elif "-" in words:
        raise UserError("'-' (read stdin) cannot be combined with other text")
    else:
        text, where = " ".join(words), "the argument"
    if not text.strip():
        raise UserError(f"the error text from {where} is empty")
    return text


def observed_cells(
    data: Path, match: Match, catalog: Catalog, warn: Console | None = None
) -> list[dict[str, Any]]:
    """The recorded cells whose error has this class (recomputed with this catalog, so a
    stale stored class does not matter); cells with the same package come first."""
    cells_dir = records.cells_dir(data)
    if not match.known or not cells_dir.is_dir():
        return []
    recs, older, damaged = records.current(data)
    found = []
    for rec in recs:
        slug, pkg = classify_record(rec, catalog)
        if slug == match.slug:
            found.append(_cell_summary(rec, pkg))
    if warn and (damaged or older):
        what = [f"{damaged} damaged (`plugin-matrix validate` names them)"] if damaged else []
        what += [f"{older} of an older record format (measured again by the next run)"] if older else []
        warn.print(f"note: records skipped in {cells_dir}: {'; '.join(what)}", soft_wrap=True)
    found.sort(key=lambda c: (match.package is not None and c["package"] != match.package, c["cell"]))
    return found


def _cell_summary(rec: dict[str, Any], pkg: str | None) -> dict[str, Any]:
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
        "recorded_at": rec.get("recorded_at"),
    }


def explain(text: str, data: Path, warn: Console | None = None) -> dict[str, Any]:
    """The stable answer: what `--json` prints."""
    cat = catalog_for(data)
    m = classify_text(cat, text)
    cls = cat.get(m.slug)
    out: dict[str, Any] = {
        "class": m.slug,
        "title": m.title,
        "package": m.package,
        "family": m.family,
        "link": m.link,
        "cause": cls.cause,
        "fix": cls.fix,
        "family_hint": cls.families.get(m.family) if m.family else None,
        "stage": cls.stage,
        "line": m.line,
        "related": list(cls.related),
        "cells": observed_cells(data, m, cat, warn),
    }
    if not m.known:
        out["report"] = REPORT
    return out


def run(args: argparse.Namespace) -> int:
    text = read_text(args.text)
    err = Console(stderr=True, highlight=False)
    ans = explain(text, args.data, warn=err)
    if args.json:
        print(json.dumps(ans, indent=2, ensure_ascii=False))
    else:
        out = Console(highlight=False)
        out.print(render(ans))
        # The link on a line of its own, never wrapped, so it can be clicked or copied.
        out.print(f"[bold]{'more':<{KEY_WIDTH}}[/]  {escape(ans['link'])}", soft_wrap=True)
    return EXIT_KNOWN if ans["class"] != "unknown" else EXIT_UNKNOWN


def render(ans: dict[str, Any]) -> Table:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True, width=KEY_WIDTH)
    t.add_column(overflow="fold")
    t.add_row("class", f"[bold]{escape(ans['class'])}[/]: {escape(ans['title'])}")
    if ans["package"]:
        t.add_row("package", f"{escape(ans['package'])} ({ans['family']})")
    if ans["line"]:
        t.add_row("matched" if ans["class"] != "unknown" else "text", escape(ans["line"]))
    t.add_row("cause", escape(ans["cause"]))
    fix = ans["fix"] + (f"\n\n{ans['family_hint']}" if ans["family_hint"] else "")
    t.add_row("fix", escape(fix))
    if ans["class"] == "unknown":
        t.add_row("report", escape(ans["report"]))
    else:
        cells = ans["cells"]
        if cells:
            lines = [_cell_line(c) for c in cells[:SHOW_CELLS]]
            if len(cells) > SHOW_CELLS:
                lines.append(f"... and {len(cells) - SHOW_CELLS} more (--json lists them all)")
            head = f"{len(cells)} cell{'s' if len(cells) != 1 else ''} of the matrix:"
            t.add_row("seen in", escape("\n".join([head, *lines])))
        else:
            t.add_row("seen in", "no recorded cell of the matrix (yet)")
    if ans["related"]:
        t.add_row("related", escape(", ".join(ans["related"])))
    return t


def _cell_line(c: dict[str, Any]) -> str:
    h, p = c["host"], c["plugin"]
    pkg = f"  [{c['package']}]" if c["package"] else ""
    return (
        f"{c['cell']}  kustomize {h['release']} {h['go'] or h['toolchain']} {h['variant']} "
        f"{h['platform']} <- {p['name']} {p['go'] or p['toolchain']} {p['variant']} "
        f"pins={p['pins']} {p['platform']}{pkg}"
    )

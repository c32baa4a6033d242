"""`plugin-matrix explain`: error text -> class, title, cause, fix (for this text's context
first), the other classes the text could mean and the one command that tells them apart,
where the matrix observed it (and what differed there), link.

`explain TEXT...` answers for the text's first error (one JSON object); `explain -`
reads a message or a whole log (up to 16 MiB) from stdin and reports every error in it,
the first first (a JSON list).

Exit status: 0 the text holds a known class; 1 it does not (class `unknown`: please
report it); 2 unusable input (no text, empty text, binary data, too long) or a damaged
catalog: one line on stderr, never a traceback.

Start-up matters (people paste an error and wait): this module imports neither rich nor
jsonschema, the packaged catalog is not schema-checked at run time (tests check it),
and the classes of the recorded cells come from a cache keyed by each record file's
size and modification time (see `cells_index`).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from matrix import UserError
from matrix.cli import add_data_args
from matrix.core.catalog import UNKNOWN, Catalog, catalog_for, link
from matrix.diagnose.classify import Match, classify_text, scan

EXIT_KNOWN, EXIT_UNKNOWN = 0, 1
REPORT = "please report it, with the full text: " + link("unknown") + "#report"
MAX_INPUT = 16 * 1024 * 1024
SHOW_CELLS = 12
KEY_WIDTH = 8
# A text with more of these than this share is not an error text (an image, a binary).
_CONTROL = frozenset(range(0, 32)) - {9, 10, 12, 13, 27}
_MAX_CONTROL_SHARE = 0.1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Classify an error text (a message or a whole log) from kustomize, "
        "plugin.Open, the dynamic loader or go build: print its class, cause, fix, "
        "the other classes it could mean with the command that tells them apart, the "
        "matrix cells where it was observed and the link to its page. With '-', read "
        "stdin and report every error in it. Exit status: 0 a known class (or a class "
        "guessed from the text's words when no rule matched), 1 unknown text (class 'unknown'), 2 unusable input."
    )
    p.add_argument(
        "text",
        nargs="*",
        metavar="TEXT",
        help="the error text; '-' (or nothing, with stdin not a terminal) reads stdin and reports every error in it",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='print JSON: for TEXT one object {"class", "title", "package", "family", "link", "cause", '
        '"fix", "fixes", "alternatives", "cells", "observed", ...}; for stdin a list of them, one per error',
    )
    add_data_args(p)


# ---------------------------------------------------------------- input


def read_text(words: list[str]) -> tuple[str, bool]:
    """(the text, whether it came from stdin). Unusable input is a UserError (exit 2)."""
    if words == ["-"] or (not words and not sys.stdin.isatty()):
        data = sys.stdin.buffer.read(MAX_INPUT + 1)
        if len(data) > MAX_INPUT:
            raise UserError(
                f"stdin: more than {MAX_INPUT >> 20} MiB; pass the part of the log with the error"
            )
        return _usable(data.decode("utf-8", errors="replace"), "stdin"), True
    if not words:
        raise UserError("no error text: pass it as an argument (quoted), or '-' to read it from stdin")
    if "-" in words:
        raise UserError("'-' (read stdin) cannot be combined with other text")
    # argv arrives with undecodable bytes as surrogates: make them U+FFFD, printable
    text = " ".join(words)
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate no byte became (not from a real command line)
        text = text.encode("utf-8", "replace").decode("utf-8")
    return _usable(text, "the argument"), False


def _usable(text: str, where: str) -> str:
    if not text.strip():
        raise UserError(f"the error text from {where} is empty")
    head = text[:65536]
    control = sum(1 for ch in head if ord(ch) in _CONTROL) + head.count("\ufffd")
    if "\x00" in head or control > _MAX_CONTROL_SHARE * len(head):
        raise UserError(
            f"the text from {where} looks like binary data, not an error message "
            f"({control} of its first {len(head)} characters are control bytes or not UTF-8)"
        )
    return text


# ---------------------------------------------------------------- answers


# (class, package) -> the cells and observed causes of answers already made
Seen = dict[tuple[str, str | None], tuple[list[dict[str, Any]], list[dict[str, Any]]]]


def answer(
    match: Match,
    catalog: Catalog,
    index: dict[str, Any] | None,
    seen: Seen | None = None,
) -> dict[str, Any]:
    """The stable JSON answer for one error. `seen` keeps the cells and observed causes of
    each class and package already answered (a long log repeats them)."""
    error_class = catalog.get(match.slug)
    key = (match.slug, match.package)
    if seen is not None and key in seen:
        cells, observed = seen[key]
    else:
        cells = cells_for(index, match) if index is not None else []
        observed = observed_causes(cells, index["variants"] if index else {})
        if seen is not None:
            seen[key] = (cells, observed)
    out: dict[str, Any] = {
        "class": match.slug,
        "title": match.title,
        "package": match.package,
        "family": match.family,
        "link": match.link,
        "cause": error_class.cause,
        "fix": error_class.fix,
        "fixes": list(match.fixes),
        "family_hint": error_class.families.get(match.family) if match.family else None,
        "stage": match.stage,
        "host": match.host,
        "line": match.line,
        "line_number": match.lineno,
        "count": match.count,
        "alternatives": [
            {"class": a.slug, "why": a.why, "check": a.check, "link": link(a.slug)}
            for a in match.alternatives
        ],
        "related": list(error_class.related),
        "cells": cells,
        "observed": observed,
    }
    if match.why:
        out["why"] = match.why
    if match.guessed:
        out["guessed"] = True
    if not match.known:
        out["report"] = REPORT
    return out


def explain(text: str, data: Path, warn: Any = None) -> dict[str, Any]:
    """The answer for the text's first error: what `explain --json TEXT` prints."""
    cat = catalog_for(data)
    m = classify_text(cat, text, guess=True)
    return answer(m, cat, _index(data, cat, m.known, warn))


def explain_all(text: str, data: Path, warn: Any = None) -> list[dict[str, Any]]:
    """An answer per error in the text, the first first (the unknown answer when the text
    holds none): what `explain --json -` prints."""
    cat = catalog_for(data)
    found = scan(cat, text) or [classify_text(cat, text, guess=True)]
    index = _index(data, cat, any(m.known for m in found), warn)
    seen: Seen = {}
    return [answer(m, cat, index, seen) for m in found]


def _index(data: Path, cat: Catalog, wanted: bool, warn: Any) -> dict[str, Any] | None:
    if not wanted:
        return None
    from matrix.diagnose import cells_index

    index = cells_index.load(data, cat)
    if warn is not None and index is not None:
        what = []
        if index["damaged"]:
            what.append(f"{index['damaged']} damaged (`plugin-matrix validate` names them)")
        if index["older"]:
            what.append(f"{index['older']} of an older record format (measured again by the next run)")
        if what:
            warn(f"note: records skipped in {data / 'cells'}: {'; '.join(what)}")
    return index


def cells_for(index: dict[str, Any], match: Match) -> list[dict[str, Any]]:
    """The recorded cells whose error has this class (recomputed with this catalog, so a
    stale stored class does not matter); cells with the same package come first."""
    if not match.known:
        return []
    found = [c for c in index["cells"] if c["class"] == match.slug]
    found.sort(key=lambda c: (match.package is not None and c["package"] != match.package, c["cell"]))
    return [{k: v for k, v in c.items() if k != "class"} for c in found]


def observed_causes(cells: list[dict[str, Any]], variants: dict[str, str]) -> list[dict[str, Any]]:
    """What differed between kustomize and the plugin in the cells where the matrix saw this
    error (those with the same package): the measured causes, most frequent first."""
    if not cells:
        return []
    pkg = cells[0]["package"]
    same = [c for c in cells if c["package"] == pkg] if pkg else cells
    counts: dict[str, int] = {}
    for c in same:
        d = _difference(c, variants)
        counts[d] = counts.get(d, 0) + 1
    return [
        {"difference": d, "cells": n, "package": pkg}
        for d, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _difference(c: dict[str, Any], variants: dict[str, str]) -> str:
    h, p = c["host"], c["plugin"]

    def variant(v: str) -> str:
        return f"{v} ({variants[v]})" if v in variants else v

    if c["outcome"] == "build-failed":  # which build failed, with what
        failed = c.get("failed_builds") or []
        said = []
        if "host" in failed:
            said.append(f"the build of kustomize {h['release']} by {h.get('go') or h['toolchain']}")
        if "plugin" in failed:
            said.append(
                f"the build of the plugin by {p.get('go') or p['toolchain']} (its go.mod: {p['pins']} pins)"
            )
        return " and ".join(said) + " failed" if said else "a build failed"
    parts = []
    hg, pg = h.get("go") or h["toolchain"], p.get("go") or p["toolchain"]
    if hg != pg:
        parts.append(f"kustomize built by {hg}, the plugin by {pg}")
    if h["variant"] != p["variant"]:
        parts.append(
            f"kustomize's build variant {variant(h['variant'])}, the plugin's {variant(p['variant'])}"
        )
    if p["pins"] not in ("host", "recipe"):
        parts.append(f"the plugin's go.mod: {variants.get('pins:' + p['pins'], p['pins'])}")
    if h["platform"] != p["platform"]:
        parts.append(f"kustomize for {h['platform']}, the plugin for {p['platform']}")
    if not parts:
        parts.append(f"nothing the grid varies differs (both {hg}, build variant {variant(h['variant'])})")
    return "; ".join(parts)


# ---------------------------------------------------------------- output


def run(args: argparse.Namespace) -> int:
    text, from_stdin = read_text(args.text)

    def warn(msg: str) -> None:
        print(msg, file=sys.stderr)

    if from_stdin:
        answers = explain_all(text, args.data, warn)
        if args.json:  # a JSON list, one error per line (a whole log's answers: compact and fast)
            # written in pieces: the cells shared by answers are not copied into each line
            sys.stdout.write("[\n")
            for i, parts in enumerate(_json_parts(answers)):
                sys.stdout.writelines((",\n",) * (i > 0) + parts)
            sys.stdout.write("\n]\n")
        else:
            n = len(answers)
            for i, ans in enumerate(answers, 1):
                if n > 1:
                    where = f", line {ans['line_number']}" if ans["line_number"] else ""
                    times = f", {ans['count']} times" if ans["count"] > 1 else ""
                    print(f"{'':-<3} error {i} of {n}{where}{times} {'':-<40}")
                print(render(ans))
                if i < n:
                    print()
        known = any(a["class"] != UNKNOWN for a in answers)
    else:
        ans = explain(text, args.data, warn)
        print(json.dumps(ans, indent=2, ensure_ascii=False) if args.json else render(ans))
        known = ans["class"] != UNKNOWN
    return EXIT_KNOWN if known else EXIT_UNKNOWN


def _json_parts(answers: list[dict[str, Any]]) -> Iterator[tuple[str, str, str, str, str]]:
    """json.dumps of each answer, byte for byte, in five pieces; but what answers share is
    encoded once (a log repeats them): the class's cause and fix, and the cells and
    observed causes of the same class and package."""
    done: dict[tuple[int, int], str] = {}
    prose: dict[tuple[int, int], str] = {}
    marks = ('"cause": -3, "fix": -4', '"cells": -1, "observed": -2')
    for a in answers:
        cells, observed = a["cells"], a["observed"]
        key = (id(cells), id(observed))
        if key not in done:
            done[key] = json.dumps({"cells": cells, "observed": observed}, ensure_ascii=False)[1:-1]
        words = (id(a["cause"]), id(a["fix"]))
        if words not in prose:
            prose[words] = json.dumps({"cause": a["cause"], "fix": a["fix"]}, ensure_ascii=False)[1:-1]
        # negative numbers stand in for them: inside a JSON string a quote is escaped, so
        # the unquoted `"cause": -3, "fix": -4` and `"cells": -1, "observed": -2` occur only
        # as these members (cause and fix are neighbours, and so are cells and observed)
        whole = json.dumps({**a, "cause": -3, "fix": -4, "cells": -1, "observed": -2}, ensure_ascii=False)
        head, _, rest = whole.partition(marks[0])
        middle, _, tail = rest.partition(marks[1])
        yield head, prose[words], middle, done[key], tail


def _width() -> int:
    try:
        cols = os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError, AttributeError):
        cols = int(os.environ.get("COLUMNS", "100") or 100)
    return max(40, min(cols, 120))


@functools.lru_cache(maxsize=4096)
def _wrapped(para: str, width: int) -> tuple[str, ...]:
    """One paragraph wrapped (a whole log repeats the same causes and fixes)."""
    import textwrap

    return tuple(textwrap.wrap(para, width, break_long_words=True, break_on_hyphens=False) or [""])


def render(ans: dict[str, Any]) -> str:
    """The answer as text: a key column, wrapped values, the link on a line of its own."""
    width = _width() - KEY_WIDTH - 2
    out: list[str] = []

    def row(key: str, value: str, wrap: bool = True) -> None:
        paras = value.split("\n")
        lines: list[str] = []
        for para in paras:
            if not wrap or not para.strip():
                lines.append(para)
            else:
                lines += _wrapped(para, width)
        for i, ln in enumerate(lines):
            out.append(f"{key if i == 0 else '':<{KEY_WIDTH}}  {ln}".rstrip())

    row("class", f"{ans['class']}: {ans['title']}")
    if ans["package"]:
        row("package", f"{ans['package']} ({ans['family']})")
    if ans["line"]:
        row("matched" if ans["class"] != UNKNOWN and not ans.get("guessed") else "text", ans["line"])
    if ans.get("why"):
        row("why", ans["why"])
    if ans.get("host") or ans.get("stage"):
        row(
            "where",
            ", ".join(
                x
                for x in (
                    ans.get("host") and f"host: {ans['host']}",
                    ans.get("stage") and f"stage: {ans['stage']}",
                )
                if x
            ),
        )
    row("cause", ans["cause"])
    fixes = [*ans["fixes"], ans["fix"]] + ([ans["family_hint"]] if ans["family_hint"] else [])
    row("fix", "\n\n".join(fixes))
    if ans["alternatives"]:
        row(
            "or",
            "\n".join(
                f"{a['class']}: {a['why']}; tell them apart: {a['check']}" for a in ans["alternatives"]
            ),
        )
    if ans["class"] == UNKNOWN:
        row("report", ans["report"])
    else:
        cells = ans["cells"]
        if cells:
            lines = [_cell_line(c) for c in cells[:SHOW_CELLS]]
            if len(cells) > SHOW_CELLS:
                lines.append(f"... and {len(cells) - SHOW_CELLS} more (--json lists them all)")
            head = f"{len(cells)} cell{'s' if len(cells) != 1 else ''} of the matrix:"
            row("seen in", "\n".join([head, *lines]), wrap=False)
            if ans["observed"]:
                row(
                    "observed",
                    "\n".join(
                        f"{o['cells']} cell{'s' if o['cells'] != 1 else ''}: {o['difference']}"
                        for o in ans["observed"]
                    ),
                )
        else:
            row("seen in", "no recorded cell of the matrix (yet)")
    if ans["related"]:
        row("related", ", ".join(ans["related"]))
    out.append(f"{'more':<{KEY_WIDTH}}  {ans['link']}")  # one line, never wrapped: click or copy it
    return "\n".join(out)


def _cell_line(c: dict[str, Any]) -> str:
    h, p = c["host"], c["plugin"]
    pkg = f"  [{c['package']}]" if c["package"] else ""
    return (
        f"{c['cell']}  kustomize {h['release']} {h['go'] or h['toolchain']} {h['variant']} "
        f"{h['platform']} <- {p['name']} {p['go'] or p['toolchain']} {p['variant']} "
        f"pins={p['pins']} {p['platform']}{pkg}"
    )

"""`plugin-matrix doctor HOST PLUGIN`: predict a load from the two files.

This module is imported for every `doctor` run, so it imports only what the prediction
needs (no rich, no catalog, no numpy): a fresh `doctor` process is a command people run
by hand and in CI, its start-up is most of its cost.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from matrix import UserError
from matrix.diagnose import doctor
from matrix.diagnose.pkghash import PLUGIN_SYMBOL

DOCTOR_EPILOG = """\
exit status:
  0  the plugin is predicted to load into the host
  1  the plugin is predicted to fail: the class, the error text predicted (glibc's, the
     Go runtime's, or the crash's first line), the cause and the fix. A plugin file that
     is not ELF, empty, truncated or for another platform is such a prediction too.
  2  bad input: the host file is missing, unreadable, not ELF, truncated or not an
     executable; the plugin file is missing or unreadable; or a usage error (one line)
  3  internal error (a bug in plugin-matrix)
With --json, stdout always holds one JSON object: the prediction (docs/doctor.md), or on
exit status 2 or 3 {"error": "<message>", "input": "<the file at fault, or null>"}.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Predict, without running anything, whether PLUGIN loads into "
        "HOST (any Go program that calls plugin.Open, not only "
        "kustomize): the error class, the first mismatching package, "
        "the error text glibc or the Go runtime would print, the likely "
        "cause and what to change."
    )
    p.epilog = DOCTOR_EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("host", type=Path, metavar="HOST")
    p.add_argument("plugin", type=Path, metavar="PLUGIN")
    p.add_argument(
        "--symbol",
        default=PLUGIN_SYMBOL,
        help=f"the symbol the host looks up (default: {PLUGIN_SYMBOL}; '' for none)",
    )
    p.add_argument("--json", action="store_true", help="print the stable JSON (docs/doctor.md)")
    _json_usage_errors(p)


def run(args: argparse.Namespace) -> int:
    try:
        p = doctor.diagnose(args.host, args.plugin, args.symbol)
    except UserError as e:
        if not args.json:
            raise
        _print_json({"error": str(e), "input": getattr(e, "path", None)})
        print(f"error: {e}", file=sys.stderr)
        return 2
    except Exception as e:
        if args.json and not os.environ.get("PLUGIN_MATRIX_DEBUG"):
            _print_json({"error": f"internal error: {type(e).__name__}: {e}", "input": None})
        raise  # the command line prints how to report it and exits 3
    if args.json:
        _print_json(p.as_json())
    else:
        print(render_doctor(p))
    return 0 if p.prediction == "loads" else 1


def _print_json(d: dict[str, Any]) -> None:
    print(json.dumps(d, indent=2))


def _json_usage_errors(p: argparse.ArgumentParser) -> None:
    """With --json among the arguments, a usage error is a JSON object on stdout too (and
    argparse's usage and message on stderr, exit status 2). argparse offers no hook for
    that, so this parser's own `parse_known_args` and `error` are wrapped; leftover
    arguments are refused here, where --json is known, not by the top-level parser."""
    parse = p.parse_known_args
    wants_json = [False]

    def error(message: str) -> NoReturn:
        if wants_json[0]:
            _print_json({"error": message, "input": None})
        p.print_usage(sys.stderr)
        p.exit(2, f"{p.prog}: error: {message}\n")

    def parse_known_args(
        args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        wants_json[0] = any(len(a) > 2 and "--json".startswith(a) for a in args or ())
        ns, extra = parse(args, namespace)
        if extra:
            error(f"unrecognized arguments: {' '.join(extra)}")
        return ns, extra

    p.error = error  # type: ignore[method-assign]
    p.parse_known_args = parse_known_args  # type: ignore[method-assign,assignment]


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent + "  ")


def render_doctor(p: doctor.Prediction) -> str:
    out: list[str] = []
    if p.prediction == "loads":
        out.append("prediction: loads")
    else:
        out.append(f"prediction: fails ({p.error_class})")
        if p.message:
            out.append(f"  expected error: {p.message}")
    if p.mismatches:
        out.append(f"packages built differently ({len(p.mismatches)}; the runtime reports the first):")
        for m in p.mismatches[:12]:
            mod = ""
            if m.module:
                mod = f"  [{m.module} host {m.host_version or '?'}, plugin {m.plugin_version or '?'}]"
            out.append(f"  {m.package}  host {m.host} plugin {m.plugin}{mod}")
        if len(p.mismatches) > 12:
            out.append(f"  ... {len(p.mismatches) - 12} more")
    if p.causes:
        out.append("likely cause:")
        out += [_wrap(f"- {c}") for c in p.causes]
    if p.fixes:
        out.append("what to change:")
        out += [_wrap(f"- {f}") for f in dict.fromkeys(p.fixes)]
    out.append("evidence:")
    out += [_wrap(f"- {e}") for e in p.evidence]
    if p.link:
        out.append(f"more: {p.link}")
    return "\n".join(out)

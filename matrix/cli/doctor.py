"""`plugin-matrix doctor HOST PLUGIN`: predict a load from the two files."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

from matrix.diagnose import doctor, elf

DOCTOR_EPILOG = """\
exit status:
  0  the plugin is predicted to load into the host
  1  the plugin is predicted to fail (the class, the predicted error text, the cause and
     the fix are printed; with --json: the JSON documented in docs/doctor.md)
  2  bad input: a file is missing, unreadable, not ELF, or truncated (one line names it)
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Predict, without running anything, whether PLUGIN loads into "
        "HOST (any Go program that calls plugin.Open, not only "
        "kustomize): the error class, the first mismatching package, "
        "the error text the Go runtime would print, the likely cause "
        "and what to change."
    )
    p.epilog = DOCTOR_EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("host", type=Path, metavar="HOST")
    p.add_argument("plugin", type=Path, metavar="PLUGIN")
    p.add_argument(
        "--symbol",
        default=elf.PLUGIN_SYMBOL,
        help=f"the symbol the host looks up (default: {elf.PLUGIN_SYMBOL}; '' for none)",
    )
    p.add_argument("--json", action="store_true", help="print the stable JSON (docs/doctor.md)")


def run(args: argparse.Namespace) -> int:
    p = doctor.diagnose(args.host, args.plugin, args.symbol)
    if args.json:
        print(json.dumps(p.as_json(), indent=2))
    else:
        print(render_doctor(p))
    return 0 if p.prediction == "loads" else 1


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent + "  ")


def render_doctor(p: doctor.Prediction) -> str:
    out: list[str] = []
    if p.prediction == "loads":
        out.append("prediction: loads")
    else:
        out.append(f"prediction: fails ({p.klass})")
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

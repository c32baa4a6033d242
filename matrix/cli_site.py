"""`plugin-matrix checklist` (a release checklist as markdown) and `plugin-matrix history`."""

from __future__ import annotations

import argparse
import difflib

from matrix import UserError, classify
from matrix.cli import add_data_args

# The published site (the error pages live under it): links in printed checklists.
SITE_URL = classify.LINK_BASE.removesuffix("errors/")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("checklist", help="print a release checklist as markdown",
                       description="Print, as markdown for a release issue, what to check before "
                                   "releasing kustomize (packager) or publishing a Go plugin "
                                   "(author) for one kustomize release. Every item links to the "
                                   "measured cells that back it.")
    add_data_args(p)
    p.add_argument("--kustomize", required=True, metavar="VERSION",
                   help="the kustomize release, e.g. v5.8.3")
    p.add_argument("--for", dest="who", choices=["packager", "author", "both"], default="both",
                   help="whose checklist (default: both)")
    p.add_argument("--base-url", default=SITE_URL,
                   help=f"the site the links point to (default: {SITE_URL})")
    p.set_defaults(func=cmd_checklist)

    h = sub.add_parser("history", help="add the current dataset to DATA/history.json",
                       description="Compare the recorded cells with the last entry of "
                                   "DATA/history.json and append what changed (outcomes, errors "
                                   "seen for the first time). An unchanged dataset adds nothing. "
                                   "Exit status 0 either way.")
    add_data_args(h)
    h.set_defaults(func=cmd_history)


def cmd_checklist(args: argparse.Namespace) -> int:
    from matrix import render, site  # pandas and matplotlib: only for this command

    df = site.frame(args.data)
    ctx = site.context(args.data, df)
    known = render.releases_in(df, ctx)
    if args.kustomize not in known:
        close = difflib.get_close_matches(args.kustomize, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UserError(f"--kustomize: no measured cell for kustomize {args.kustomize!r}{hint}; "
                        f"{args.data / 'cells'} has: {', '.join(known) or 'nothing yet'}")
    links = render.Links("checklists/index.md", base=args.base_url)
    whos = ["packager", "author"] if args.who == "both" else [args.who]
    print("\n".join(render.checklist_markdown(df, ctx, args.kustomize, w, links) for w in whos), end="")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from matrix import history, site  # pandas: only for this command

    df = site.frame(args.data)
    changed = history.update(args.data, df)
    doc = history.load(args.data)
    last = doc["runs"][-1] if doc["runs"] else None
    if changed and last is not None:
        print(f"{history.path_for(args.data)}: added the run of {last['date']}: "
              f"{len(last['changed'])} cells changed outcome, {len(last['new_errors'])} errors first seen")
    else:
        print(f"{history.path_for(args.data)}: unchanged (the dataset is the same as the last entry)")
    return 0

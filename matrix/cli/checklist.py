"""`plugin-matrix checklist`: a release checklist as markdown."""

from __future__ import annotations

import argparse
import difflib

from matrix import UserError
from matrix.cli import add_data_args
from matrix.core import facts

# The published site (the error pages live under it): links in printed checklists.
SITE_URL = facts.SITE_URL


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Print, as markdown for a release issue, what to check before "
        "releasing kustomize (packager) or publishing a Go plugin "
        "(author) for one kustomize release. Every item links to the "
        "measured cells that back it."
    )
    add_data_args(p)
    p.add_argument(
        "--kustomize",
        metavar="VERSION",
        help="the kustomize release, e.g. v5.8.2 (default: the newest release into which a plugin loaded)",
    )
    p.add_argument(
        "--for",
        dest="who",
        choices=["packager", "author", "both"],
        default="both",
        help="whose checklist (default: both)",
    )
    p.add_argument("--base-url", default=SITE_URL, help=f"the site the links point to (default: {SITE_URL})")


def run(args: argparse.Namespace) -> int:
    from matrix.site import build as site  # pandas and jinja2: only for this command
    from matrix.site import context, frames
    from matrix.site.links import Links
    from matrix.site.pages import checklists

    df = site.frame(args.data)
    ctx = context.load(args.data)
    known = frames.releases_in(df, ctx)
    if args.kustomize is None:
        args.kustomize = checklists.target(df, ctx)
        if args.kustomize is None:
            raise UserError(f"no measured cell in {args.data / 'cells'} yet: run `plugin-matrix run` first")
    if args.kustomize not in known:
        close = difflib.get_close_matches(args.kustomize, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UserError(
            f"--kustomize: no measured cell for kustomize {args.kustomize!r}{hint}; "
            f"{args.data / 'cells'} has: {', '.join(known) or 'nothing yet'}"
        )
    links = Links("checklists/index.md", base=args.base_url)
    whos = ["packager", "author"] if args.who == "both" else [args.who]
    print("\n".join(checklists.markdown(df, ctx, args.kustomize, w, links) for w in whos), end="")
    return 0

"""Compare the text of every page of two built sites (before and after a change).

    python scripts/site_text_diff.py OLD_SITE NEW_SITE [--show N]

Prints the pages only one site has and, for each page in both whose visible text
differs, a short unified diff of the text. Exit 0 when every page says the same.
The text is what a reader sees: tags dropped, whitespace collapsed, scripts and styles
left out, so markup-only changes (attributes, element order inside a line) do not count.
"""

from __future__ import annotations

import argparse
import difflib
import html.parser
import sys
from pathlib import Path


class _Text(html.parser.HTMLParser):
    SKIP = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        if tag in self.SKIP:
            self._skip += 1
        elif tag in {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "pre", "br", "table", "section"}:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def page_text(path: Path) -> list[str]:
    p = _Text()
    p.feed(path.read_text(encoding="utf-8", errors="replace"))
    lines = (" ".join(ln.split()) for ln in "".join(p.parts).split("\n"))
    return [ln for ln in lines if ln]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--show", type=int, default=20, help="diff lines shown per page (default 20)")
    args = ap.parse_args(argv)
    old = {p.relative_to(args.old).as_posix() for p in args.old.rglob("*.html")}
    new = {p.relative_to(args.new).as_posix() for p in args.new.rglob("*.html")}
    bad = 0
    for name in sorted(old - new):
        print(f"only in {args.old}: {name}")
        bad += 1
    for name in sorted(new - old):
        print(f"only in {args.new}: {name}")
        bad += 1
    for name in sorted(old & new):
        a, b = page_text(args.old / name), page_text(args.new / name)
        if a != b:
            bad += 1
            diff = list(difflib.unified_diff(a, b, f"old/{name}", f"new/{name}", lineterm="", n=0))
            print("\n".join(diff[: args.show + 2]))
            if len(diff) > args.show + 2:
                print(f"... {len(diff) - args.show - 2} more diff lines")
    print(f"{len(old & new)} pages in both; {bad} differ or are missing", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Pre-rendered HTML blocks, moved past python-markdown.

Parts of pages with many rows are rendered as HTML blocks between render.HTML_OPEN and
render.HTML_CLOSE (still valid Markdown). Python-markdown would spend minutes on them, so
the site build moves them out of each generated page into files of a scratch folder and
puts them back as mkdocs writes the page (the hooks in matrix/site/hooks.py, registered
by docs/hooks.py); the ids they carry are added to the page's anchors so mkdocs still
checks links to them.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from matrix.site import render

_BLOCK = re.compile(re.escape(render.HTML_OPEN) + r"\n(.*?)\n" + re.escape(render.HTML_CLOSE), re.S)
PLACE = re.compile(r"<!-- pm:block ([\w-]+) -->")
_IDS = re.compile(r' id="([^"]+)"')  # data is escaped: no quote of its own ends up in markup


@dataclass
class Blocks:
    """HTML blocks taken out of generated pages, kept in files until the page is written."""

    folder: Path
    prefix: str = ""  # of block names: processes that share the folder use their own
    pages: dict[str, list[str]] = field(default_factory=dict)  # page src -> block names
    anchors: dict[str, set[str]] = field(default_factory=dict)  # page src -> ids in its blocks
    count: int = 0

    def take(self, src: str, text: str) -> str:
        """The page with each HTML block replaced by a placeholder (an HTML comment)."""

        def stash(m: re.Match[str]) -> str:
            name = f"{self.prefix}{self.count}"
            self.count += 1
            (self.folder / f"{name}.html").write_text(m.group(1), encoding="utf-8")
            self.pages.setdefault(src, []).append(name)
            self.anchors.setdefault(src, set()).update(_IDS.findall(m.group(1)))
            return f"<!-- pm:block {name} -->"

        return _BLOCK.sub(stash, text)

    def adopt(self, src: str, names: list[str], anchors: list[str]) -> None:
        """Blocks another process stashed for page `src`."""
        self.pages.setdefault(src, []).extend(names)
        self.anchors.setdefault(src, set()).update(anchors)

    def fill(self, src: str, html_text: str) -> str:
        """A page's HTML with its blocks put back (each read once, then deleted)."""
        if src not in self.pages:
            return html_text

        def put(m: re.Match[str]) -> str:
            p = self.folder / f"{m.group(1)}.html"
            block = p.read_text(encoding="utf-8")
            p.unlink()
            return block

        return PLACE.sub(put, html_text)

    def inline(self, text: str) -> str:
        """A page's Markdown with its placeholders replaced by what `take` took out."""

        def back(m: re.Match[str]) -> str:
            block = (self.folder / f"{m.group(1)}.html").read_text(encoding="utf-8")
            return f"{render.HTML_OPEN}\n{block}\n{render.HTML_CLOSE}"

        return PLACE.sub(back, text)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


ACTIVE: Blocks | None = None  # the blocks of the build in progress (for the hooks)

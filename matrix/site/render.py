"""The site's one jinja2 Environment: every generated page, and every pre-rendered HTML
block in it, is a template under matrix/site/templates/, fed plain data (rows, links,
counts) by the page modules of matrix.site.pages.

Markdown templates (`*.md.j2`) make the pages mkdocs reads; HTML templates
(`*.html.j2`) make the blocks with many rows that the site build moves past
python-markdown (between HTML_OPEN and HTML_CLOSE, see matrix.site.blocks), and the
small HTML macros both kinds share (`_html.html.j2`).

Escaping is the Environment's, never a call site's. Autoescape is on, and every value
a template writes (`{{ value }}`) goes through `_finalize` first, which for text (any
value that is not Markup) drops control characters and then:

- in a Markdown template, writes it as one line of inert Markdown (`markdown_text`):
  runs of whitespace become one space, and every character with a meaning in
  (python-)markdown, its extensions or HTML becomes a numeric entity, so `*`, `|`,
  a backtick or `<script>` show as text and cannot change the page's structure;
- in an HTML template, leaves it to autoescape (HTML entities).

Markup, what templates and macros make (and the link destinations of
matrix.site.links), is written as it is. Text shown as a block (raw errors, go.mod
files, commands) goes through the `pre` macro of `_html.html.j2`: the same escaping,
line by line. Raw HTML with attributes in a Markdown page comes from a macro of
`_html.html.j2` too, so its values are HTML-escaped, quotes included.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import jinja2
from markupsafe import Markup

from matrix.site import links
from matrix.site.frames import first_line

HTML_OPEN = "<!-- pm:html -->"
HTML_CLOSE = "<!-- /pm:html -->"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACE = re.compile(r"\s+")
# Characters with a meaning in (python-)markdown or its extensions, or in HTML, as entities.
_MD_ENTITIES = str.maketrans(
    {**{c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+!|"}, "&": "&amp;", "<": "&lt;", ">": "&gt;"}
)


def markdown_text(text: str) -> str:
    """Text as one line of inert Markdown (what a Markdown template writes for a value)."""
    return _SPACE.sub(" ", _CONTROL.sub("", text)).translate(_MD_ENTITIES)


_SHORT = 160  # short texts repeat (releases, Go versions, flags...): their escapes are cached
_markdown_short = functools.lru_cache(maxsize=1 << 15)(markdown_text)


@jinja2.pass_context
def _finalize(context: jinja2.runtime.Context, value: Any) -> Any:
    """What a template writes for `value` (then autoescape HTML-escapes what is not Markup)."""
    if isinstance(value, Markup):
        return value
    s = value if type(value) is str else str(value)
    if context.name is not None and context.name.endswith(".md.j2"):
        return Markup(_markdown_short(s) if len(s) <= _SHORT else markdown_text(s))
    return _CONTROL.sub("", s) if _CONTROL.search(s) else s


# ---------------------------------------------------------------- filters: shaping data, never escaping


def clip(text: Any, limit: int) -> str:
    """Text on one line, cut to `limit` characters (the last one an ellipsis when cut)."""
    s = " ".join(_CONTROL.sub("", str(text)).split())
    return s[: limit - 1] + "…" if len(s) > limit else s


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def lines(text: Any) -> list[str]:
    """A block's lines (`\\r\\n` or `\\n` ends a line)."""
    return str(text).replace("\r\n", "\n").split("\n")


ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("matrix.site", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # compiled once per process
    cache_size=-1,
    finalize=_finalize,
)
ENV.filters.update(clip=clip, plural=plural, first_line=first_line, lines=lines)
ENV.globals.update(
    HTML_OPEN=Markup(HTML_OPEN),
    HTML_CLOSE=Markup(HTML_CLOSE),
    cell_src=links.cell_src,
    cells_table_src=links.cells_table_src,
    release_src=links.release_src,
    toolchain_src=links.toolchain_src,
    axis_src=links.axis_src,
    variant_src=links.variant_src,
    error_src=links.error_src,
    RECIPE_PROOF_SRC=links.RECIPE_PROOF_SRC,
)


def template(name: str) -> jinja2.Template:
    return ENV.get_template(name)


def page(
    name: str, title: str, description: str = "", search: bool = True, hide: tuple[str, ...] = (), **data: Any
) -> str:
    """A Markdown page from template `name` (which extends page.md.j2); `hide`: parts of
    the theme's layout the page does without ("navigation", "toc": pages with wide tables)."""
    return template(name).render(title=title, description=description, search=search, hide=hide, **data)


def text(name: str, **data: Any) -> str:
    """The text of template `name` (a part of a page, or an HTML block)."""
    return template(name).render(**data)


def macro(name: str, macro_name: str) -> Callable[..., Markup]:
    """A macro of template `name`, to call once per item (rows of a table...)."""
    fn: Callable[..., Markup] = getattr(template(name).module, macro_name)
    return fn

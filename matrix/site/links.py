"""Where each generated page lives, and links between pages.

Every page is a docs path (`errors/<slug>.md`); mkdocs serves it at `url_of(path)`.
Markdown links stay relative `.md` paths, so mkdocs checks them; raw HTML links (inside
the pre-rendered blocks, which mkdocs does not rewrite) are URLs relative to the served
page. With a `base` (pages printed outside the site, e.g. `plugin-matrix checklist`),
both become absolute URLs.
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from markupsafe import Markup

from matrix.core import facts

RECIPE_PROOF_SRC = "releases/recipe-proof.md"
TESTED_SRC = "releases/tested.md"
DOCTOR_PAGE = "doctor-agreement.md"

# The site is an organisation's GitHub Pages site at the root of its address, which
# GitHub serves only from the repository named after that address.
_SITE_HOST = urlsplit(facts.SITE_URL).netloc
REPOSITORY_URL = f"https://github.com/{_SITE_HOST.split('.', 1)[0]}/{_SITE_HOST}"
KUSTOMIZE_PLUGIN_DOCS = "https://kubectl.docs.kubernetes.io/guides/extending_kustomize/go_plugins/"

# Characters a URL made here may hold as they are; any other (a release name is read from
# the records) is percent-encoded, so it can neither end a Markdown link nor start markup.
_URL_SAFE = "/#:.-_~%!$&'*+,;=@?"


def url_of(src: str) -> str:
    """Where mkdocs (use_directory_urls) serves a docs file, relative to the site root."""
    if not src.endswith(".md"):
        return src
    stem = src[:-3]
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


@dataclass(frozen=True)
class Links:
    """Links from one page (`page`, a docs path)."""

    page: str
    base: str | None = None

    def md(self, target: str, anchor: str = "") -> Markup:
        """For a Markdown link's destination: a relative `.md` path (or, with `base`, an
        absolute URL). Markup: templates write it as it is (see _URL_SAFE)."""
        frag = f"#{anchor}" if anchor else ""
        if self.base is not None:
            url = f"{self.base.rstrip('/')}/{url_of(target)}{frag}"
        elif target == self.page:
            url = frag or posixpath.basename(target)
        else:
            url = _rel_md(self.page, target) + frag
        return Markup(quote(url, safe=_URL_SAFE))

    def href(self, target: str, anchor: str = "") -> str:
        """For raw HTML, which mkdocs does not rewrite: a URL relative to the served page
        (plain text: HTML templates escape it like any other attribute value)."""
        frag = f"#{anchor}" if anchor else ""
        if self.base is not None:
            return f"{self.base.rstrip('/')}/{url_of(target)}{frag}"
        return _rel_href(self.page, target) + frag

    def cell_md(self, cell: str) -> Markup:
        return self.md(cell_src(cell), cell)

    def cell_href(self, cell: str) -> str:
        return self.href(cell_src(cell), cell)


@functools.lru_cache(maxsize=1 << 14)
def _rel_md(page: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


@functools.lru_cache(maxsize=1 << 14)
def _rel_href(page: str, target: str) -> str:
    here = url_of(page)
    rel = posixpath.relpath(url_of(target) or ".", here.rstrip("/") or ".")
    if url_of(target).endswith("/") or url_of(target) == "":
        rel = rel.rstrip("/") + "/" if rel != "." else "./"
    return rel


def external(url: str) -> Markup:
    """A web address from data (a public report's source) as a link destination: https
    only, percent-encoded so it can neither end a Markdown link nor start markup."""
    if not url.startswith("https://"):
        raise ValueError(f"not an https address: {url!r}")
    return Markup(quote(url, safe=_URL_SAFE))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-") or "x"


def cell_group(cell: str) -> str:
    """The page a cell's section is on: `c` and the first two hex digits of its id (256
    pages at most; computed from the id alone, so a permalink never changes)."""
    return cell[:3]


def cell_src(cell: str) -> str:
    return f"cells/{cell_group(cell)}.md"


def cells_table_src(release: str) -> str:
    return f"matrix/cells/{slug(release)}.md"


def release_src(release: str) -> str:
    return f"releases/{release}.md"


def toolchain_src(tc: str) -> str:
    return f"toolchains/{slug(tc)}.md"


def axis_src(axis: str) -> str:
    return f"axes/{axis}.md"


def variant_src(variant: str) -> str:
    return f"axes/variant-{slug(variant)}.md"


def error_src(error_class: str) -> str:
    return f"errors/{error_class}.md"

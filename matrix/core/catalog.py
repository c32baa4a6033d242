"""The error catalog (matrix/catalog/errors.toml, a link to data/errors.toml), as data.

Loading, checking and publishing the catalog live here, where every layer can read it;
matching texts against it is `matrix.diagnose.classify`. A class's `slug` is its name
everywhere in code and data: the permalink /errors/<slug>/.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix import UserError
from matrix.core import facts, schema

LINK_BASE = facts.ERRORS_URL
UNKNOWN = "unknown"
STAGES = ("load", "build", "fallback")
FAMILIES = ("standard library", "kustomize module", "third-party")
CATALOG_NAME = "errors.toml"
PUBLISHED_NAME = "published-slugs.txt"
# matrix/catalog/ holds symlinks to data/errors.toml and data/published-slugs.txt: one
# source in the repository, and a wheel (which copies the files) carries the catalog too.
DEFAULT_CATALOG = (Path(__file__).parents[1] / "catalog" / CATALOG_NAME).resolve()

# Constructs Python's re accepts but RE2 (Go, Rust) does not: patterns are published in
# errors.json for other tools, so they must stay portable.
_NOT_RE2 = [
    (re.compile(r"\(\?[=!]|\(\?<[=!]"), "look-around"),
    (re.compile(r"\(\?P=|\\[1-9]"), "back-reference"),
    (re.compile(r"\(\?>|[*+?}]\+"), "atomic group or possessive quantifier"),
    (re.compile(r"\(\?\("), "conditional group"),
]


def link(slug: str) -> str:
    return facts.error_link(slug)


@dataclass(frozen=True)
class ErrorClass:
    slug: str
    title: str
    patterns: tuple[str, ...]
    cause: str
    fix: str
    related: tuple[str, ...]
    stage: str  # "load" | "build" | "fallback"
    examples: tuple[str, ...] = ()
    families: Mapping[str, str] = field(default_factory=dict)
    compiled: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)

    @property
    def link(self) -> str:
        return link(self.slug)


@dataclass(frozen=True)
class Catalog:
    path: Path
    classes: list[ErrorClass]
    redirects: dict[str, str]

    @functools.cached_property
    def by_slug(self) -> dict[str, ErrorClass]:
        return {c.slug: c for c in self.classes}

    @property
    def fallback(self) -> ErrorClass:
        return self.by_slug[UNKNOWN]

    def get(self, slug: str) -> ErrorClass:
        """The class for a slug, following redirects of renamed slugs."""
        slug = self.redirects.get(slug, slug)
        try:
            return self.by_slug[slug]
        except KeyError:
            raise UserError(f"{self.path}: no error class {slug!r}") from None


def re2_problem(pattern: str) -> str | None:
    """Why a pattern would not compile with RE2 (Go's regexp), or None."""
    for rx, what in _NOT_RE2:
        if rx.search(pattern):
            return f"uses a {what}, which RE2 (Go, Rust) does not support"
    return None


# ---------------------------------------------------------------- loading the catalog


def load_catalog(path: Path | None = None) -> Catalog:
    """The catalog at `path` (default: the project's data/errors.toml), schema-checked.
    Cached per path: call `clear_cache()` after editing the file."""
    return _load(Path(path or DEFAULT_CATALOG).resolve())


@functools.cache
def _load(path: Path) -> Catalog:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UserError(f"{path}: cannot read the error catalog: {e.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not valid TOML: {e}") from None
    schema.check(doc, "errors.schema.json", str(path))
    return _build(path, doc)


def catalog_for(data: Path) -> Catalog:
    """The catalog of a data directory (DATA/errors.toml), else the project's."""
    own = data / CATALOG_NAME
    return load_catalog(own if own.is_file() else None)


def clear_cache() -> None:
    _load.cache_clear()


def _build(path: Path, doc: dict[str, Any]) -> Catalog:
    problems: list[str] = []
    classes: list[ErrorClass] = []
    seen: dict[str, int] = {}
    for i, c in enumerate(doc["classes"]):
        where = f"classes[{i}] ({c['slug']})"
        if c["slug"] in seen:
            problems.append(f"{where}.slug: {c['slug']!r} is already used by classes[{seen[c['slug']]}]")
        seen.setdefault(c["slug"], i)
        compiled = []
        for j, pat in enumerate(c["patterns"]):
            try:
                compiled.append(re.compile(pat))
            except re.error as e:
                problems.append(f"{where}.patterns[{j}]: not a valid regular expression: {e}")
                continue
            why = re2_problem(pat)
            if why:
                problems.append(f"{where}.patterns[{j}]: {why}")
            if compiled[-1].groupindex.keys() - {"package"}:
                problems.append(f"{where}.patterns[{j}]: the only named group allowed is 'package'")
        if c["stage"] == "fallback" and c["patterns"]:
            problems.append(f"{where}.patterns: the fallback class has no patterns")
        if c["stage"] != "fallback" and not c["patterns"]:
            problems.append(f"{where}.patterns: a class needs at least one pattern")
        classes.append(
            ErrorClass(
                slug=c["slug"],
                title=c["title"],
                patterns=tuple(c["patterns"]),
                cause=_para(c["cause"]),
                fix=_para(c["fix"]),
                related=tuple(c["related"]),
                stage=c["stage"],
                examples=tuple(c.get("examples", [])),
                families=dict(c.get("families", {})),
                compiled=tuple(compiled),
            )
        )
    slugs = set(seen)
    for i, c in enumerate(classes):
        for r in c.related:
            if r not in slugs:
                problems.append(f"classes[{i}] ({c.slug}).related: no class {r!r}")
            elif r == c.slug:
                problems.append(f"classes[{i}] ({c.slug}).related: a class is not related to itself")
    fallbacks = [i for i, c in enumerate(classes) if c.stage == "fallback"]
    if [classes[i].slug for i in fallbacks] != [UNKNOWN] or fallbacks[0] != len(classes) - 1:
        problems.append(f"classes: exactly one fallback class, {UNKNOWN!r}, must come last")
    redirects: dict[str, str] = dict(doc.get("redirects", {}))
    for old, new in redirects.items():
        if old in slugs:
            problems.append(f"redirects.{old}: {old!r} is still a class; a redirect is for a removed slug")
        if new not in slugs:
            problems.append(f"redirects.{old}: points to {new!r}, which is not a class")
    if problems:
        raise UserError("\n".join(f"{path}: {p}" for p in problems))
    return Catalog(path, classes, redirects)


def _para(text: str) -> str:
    """Catalog prose is wrapped for editing: unwrap it into paragraphs."""
    paras = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paras)


def published_slugs(path: Path | None = None) -> list[str]:
    """The slugs ever published (data/published-slugs.txt): each must stay a class or a redirect."""
    p = Path(path) if path else DEFAULT_CATALOG.with_name(PUBLISHED_NAME)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise UserError(f"{p}: cannot read the published slugs: {e.strerror}") from None
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def lost_slugs(catalog: Catalog, published: Iterable[str] | None = None) -> list[str]:
    """Published slugs that are neither a class nor redirected to one: a permalink broken."""
    pub = published_slugs() if published is None else published
    return [s for s in pub if s not in catalog.by_slug and catalog.redirects.get(s) not in catalog.by_slug]


def catalog_json(catalog: Catalog | None = None) -> dict[str, Any]:
    """What the site publishes as errors.json, so other tools can link errors without
    this package: patterns are RE2-compatible, matched per line, first class wins."""
    cat = catalog or load_catalog()
    return {
        "schema": 1,
        "base_url": LINK_BASE,
        "matching": "search each line; the first class (in this order) with a matching pattern wins",
        "classes": [
            {
                "slug": c.slug,
                "title": c.title,
                "stage": c.stage,
                "patterns": list(c.patterns),
                "url": c.link,
                "related": list(c.related),
            }
            for c in cat.classes
        ],
        "redirects": {old: {"slug": new, "url": link(new)} for old, new in sorted(cat.redirects.items())},
    }

"""The error catalog (data/errors.toml) and classification: error text -> error class.

A text (one message or a whole log) is split into lines; the first class, in catalog
order, with a pattern matching any line wins, so the catalog lists specific classes
before generic ones and a log is named after its most informative line. Lines that only
repeat an earlier failure ("... (previous failure)") are looked at after all others.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix import UserError, schema

# Every link to an error page is built from this one base: /errors/<slug>/.
LINK_BASE = "https://kustomize-plugin-matrix.github.io/errors/"
UNKNOWN = "unknown"
STAGES = ("load", "build", "fallback")
FAMILIES = ("standard library", "kustomize module", "third-party")
CATALOG_NAME = "errors.toml"
PUBLISHED_NAME = "published-slugs.txt"
# matrix/catalog/ holds symlinks to data/errors.toml and data/published-slugs.txt: one
# source in the repository, and a wheel (which copies the files) carries the catalog too.
DEFAULT_CATALOG = (Path(__file__).parent / "catalog" / CATALOG_NAME).resolve()

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_REPEAT = "(previous failure)"
_MAX_LINE = 4000
# Constructs Python's re accepts but RE2 (Go, Rust) does not: patterns are published in
# errors.json for other tools, so they must stay portable.
_NOT_RE2 = [(re.compile(r"\(\?[=!]|\(\?<[=!]"), "look-around"),
            (re.compile(r"\(\?P=|\\[1-9]"), "back-reference"),
            (re.compile(r"\(\?>|[*+?}]\+"), "atomic group or possessive quantifier"),
            (re.compile(r"\(\?\("), "conditional group")]


def link(slug: str) -> str:
    return f"{LINK_BASE}{slug}/"


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
class Match:
    slug: str
    title: str
    package: str | None
    family: str | None  # "standard library" | "kustomize module" | "third-party" | None
    line: str | None  # the line that matched (for unknown: the line that looks most like an error)
    link: str

    @property
    def known(self) -> bool:
        return self.slug != UNKNOWN


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

    def classify(self, text: str, stages: Iterable[str] | None = None) -> Match:
        wanted = set(stages) if stages is not None else set(STAGES)
        classes = [c for c in self.classes if c.stage in wanted and c.stage != "fallback"]
        lines = _lines(text)
        first = [ln for ln in lines if _REPEAT not in ln]
        repeats = [ln for ln in lines if _REPEAT in ln]
        for group in (first, repeats):
            for cls in classes:
                for ln in group:
                    for rx in cls.compiled:
                        m = rx.search(ln)
                        if m:
                            pkg = m.groupdict().get("package")
                            return Match(cls.slug, cls.title, pkg, package_family(pkg),
                                         ln[:_MAX_LINE], cls.link)
        fb = self.fallback
        return Match(fb.slug, fb.title, None, None, _error_like(lines), fb.link)


def package_family(package: str | None) -> str | None:
    """Which kind of module a package comes from: it says what differs between the
    plugin and kustomize (toolchain/flags, api/kyaml pins, or a dependency pin)."""
    if not package:
        return None
    if package == "sigs.k8s.io/kustomize" or package.startswith("sigs.k8s.io/kustomize/"):
        return "kustomize module"
    if "." not in package.split("/", 1)[0]:
        return "standard library"  # includes vendor/golang.org/x/... vendored by GOROOT
    return "third-party"


def _lines(text: str) -> list[str]:
    text = _ANSI.sub("", text)
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def _error_like(lines: list[str]) -> str | None:
    for ln in lines:
        if ln.startswith("Error:") or "error" in ln.lower():
            return ln[:_MAX_LINE]
    return lines[0][:_MAX_LINE] if lines else None


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
        classes.append(ErrorClass(
            slug=c["slug"], title=c["title"], patterns=tuple(c["patterns"]),
            cause=_para(c["cause"]), fix=_para(c["fix"]), related=tuple(c["related"]),
            stage=c["stage"], examples=tuple(c.get("examples", [])),
            families=dict(c.get("families", {})), compiled=tuple(compiled)))
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


# ---------------------------------------------------------------- the API used by the rest

def classify(text: str, stages: Iterable[str] | None = None, catalog: Catalog | None = None) -> Match:
    """Classify an error text (a message or a whole log) with the default catalog."""
    return (catalog or load_catalog()).classify(text, stages)


def classify_record(rec: Mapping[str, Any], catalog: Catalog | None = None) -> tuple[str | None, str | None]:
    """(class slug, package) for a record: derived fields, recomputed from its raw texts.

    build-failed: the output of whichever build failed (host, plugin, or both), with the
    build classes (nothing specific: build-failed). fails: a timeout is `timeout`;
    otherwise the load's stderr then stdout with the load classes, and a death by signal
    that no message explains is `runtime-crash`. Other outcomes have no class.
    """
    cat = catalog or load_catalog()
    outcome = rec.get("outcome")
    if outcome == "build-failed":
        texts = []
        for side in ("host", "plugin"):
            build = (rec.get(side) or {}).get("build") or {}
            if build.get("status") == "failed":
                texts.append(build.get("output") or "")
        m = cat.classify("\n".join(texts), stages=("build",))
        return (m.slug if m.known else "build-failed"), None
    if outcome == "fails":
        load = rec.get("load") or {}
        if load.get("timed_out"):
            return "timeout", None
        m = cat.classify(f"{load.get('stderr') or ''}\n{load.get('stdout') or ''}", stages=("load",))
        if not m.known and load.get("signal") is not None:
            return "runtime-crash", None
        return m.slug, m.package
    return None, None


def catalog_json(catalog: Catalog | None = None) -> dict[str, Any]:
    """What the site publishes as errors.json, so other tools can link errors without
    this package: patterns are RE2-compatible, matched per line, first class wins."""
    cat = catalog or load_catalog()
    return {
        "schema": 1,
        "base_url": LINK_BASE,
        "matching": "search each line; the first class (in this order) with a matching pattern wins",
        "classes": [{"slug": c.slug, "title": c.title, "stage": c.stage, "patterns": list(c.patterns),
                     "url": c.link, "related": list(c.related)} for c in cat.classes],
        "redirects": {old: {"slug": new, "url": link(new)} for old, new in sorted(cat.redirects.items())},
    }

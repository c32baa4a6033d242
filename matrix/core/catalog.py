"""The error catalog (matrix/catalog/errors.toml, a link to data/errors.toml), as data.

Loading, checking and publishing the catalog live here, where every layer can read it;
its patterns and the matching rule are `matrix.core.matching`, the cache of the packaged
catalog `matrix.core.catalog_cache`; matching texts against it is
`matrix.diagnose.classify`. A class's `slug` is its name
everywhere in code and data: the permalink /errors/<slug>/.

Besides the classes, the catalog holds how a pasted text is read before it is matched
([matching]: colour codes, JSON/logfmt escapes, log prefixes, wrappers), the evidence of
the stage and of the host program ([[stages]], [[hosts]]), the fallbacks for texts no
class claims ([[fallbacks]]), and per class the other classes the same text can mean
(`alternatives`, each with the one command that tells them apart) and fixes for a given
context (`contexts`). All of it is published in errors.json, so the site's in-browser
explainer applies the very same rules.

Every pattern must mean the same in Python's `re`, RE2 (Go) and JavaScript (checked by
`check_catalog`, see matrix.core.matching).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from matrix import UserError
from matrix.core import catalog_cache, facts, matching
from matrix.core.framing import framing_problems, gate_problems
from matrix.core.matching import Matching, Pattern, pattern_of, pattern_problems, patterns_of

LINK_BASE = facts.ERRORS_URL
UNKNOWN = "unknown"
STAGES = ("load", "build", "fallback")
FAMILIES = ("standard library", "kustomize module", "third-party")
CATALOG_NAME = "errors.toml"
PUBLISHED_NAME = "published-slugs.txt"
# matrix/catalog/ links to data/errors.toml and published-slugs.txt (a wheel copies them)
DEFAULT_CATALOG = (Path(__file__).parents[1] / "catalog" / CATALOG_NAME).resolve()
# What the cache of the packaged catalog depends on besides the file: the code reading it.
_CODE = (Path(__file__), Path(matching.__file__))


def link(slug: str) -> str:
    return facts.error_link(slug)


# ---------------------------------------------------------------- the catalog's parts


class Alternative(NamedTuple):
    """Another class the same text can mean, why, and the one command that tells them apart."""

    when: Pattern | None
    slug: str
    why: str
    check: str
    # the answer instead when a line near the error shows its {path} (evidence_why: why)
    evidence: Pattern | None = None
    evidence_why: str | None = None


class ContextFix(NamedTuple):
    """A fix for one context: a text matching `when` (and the host program `host`)."""

    when: Pattern | None
    host: str | None
    fix: str


class ErrorClass(NamedTuple):
    slug: str
    title: str
    patterns: tuple[str, ...]
    cause: str
    fix: str
    related: tuple[str, ...]
    stage: str  # "load" | "build" | "fallback"
    examples: tuple[str, ...] = ()
    families: Mapping[str, str] = MappingProxyType({})
    owns: str = ""
    generic: bool = False  # its lines join a specific error of the same stage next to them
    repeats: bool = False  # it repeats another error: dropped when that error is in the text
    follows: str | None = None  # it is a consequence of a failure of this stage: listed after it
    alternatives: tuple[Alternative, ...] = ()
    contexts: tuple[ContextFix, ...] = ()
    unless: tuple[str, ...] = ()  # a line matching one of these is not this class's
    headers: frozenset[str] = frozenset()  # patterns (of `patterns`) of header lines
    pats: tuple[Pattern, ...] = ()  # `patterns` compiled (made by load_catalog)
    unless_pats: tuple[Pattern, ...] = ()

    @property
    def link(self) -> str:
        return link(self.slug)

    @property
    def compiled(self) -> tuple[re.Pattern[str], ...]:
        return tuple(p.rx for p in self.pats)


class Fallback(NamedTuple):
    """A text no class claims, but with these lines, is `slug` (when its stage is `stage`)."""

    slug: str
    stage: str | None
    why: str
    pats: tuple[Pattern, ...]
    alternatives: tuple[Alternative, ...] = ()
    unless: tuple[Pattern, ...] = ()  # a line matching one of these is not this fallback's


class Marker(NamedTuple):
    """Lines that show the stage (build or load) or the host program."""

    name: str
    pats: tuple[Pattern, ...]
    stage: str | None = None  # a host of errors of this stage only
    # a stage's command lines: the command whose output follows (read on the line before a stretch)
    commands: tuple[Pattern, ...] = ()


class Catalog:
    """A loaded catalog, compared (and cached) by identity. A plain class, as ErrorClass is a
    NamedTuple: `explain` starts without importing dataclasses (and inspect), a few ms."""

    def __init__(
        self,
        path: Path,
        classes: list[ErrorClass],
        redirects: dict[str, str],
        matching: Matching | None = None,
        stages: tuple[Marker, ...] = (),
        hosts: tuple[Marker, ...] = (),
        fallbacks: tuple[Fallback, ...] = (),
    ) -> None:
        self.path = path
        self.classes = classes
        self.redirects = redirects
        self.matching = matching
        self.stages = stages
        self.hosts = hosts
        self.fallbacks = fallbacks

    def __repr__(self) -> str:
        return f"Catalog({str(self.path)!r}, {len(self.classes)} classes)"

    @functools.cached_property
    def by_slug(self) -> dict[str, ErrorClass]:
        return {c.slug: c for c in self.classes}

    @functools.cached_property
    def rank(self) -> dict[str, int]:
        return {c.slug: i for i, c in enumerate(self.classes)}

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

    def all_patterns(self) -> Iterable[tuple[str, Pattern]]:
        """(where, pattern) for every pattern of the catalog."""
        for k, c in enumerate(self.classes):
            for i, p in enumerate(c.pats):
                yield f"classes[{k}] ({c.slug}).patterns[{i}]", p
            for i, p in enumerate(c.unless_pats):
                yield f"classes[{k}] ({c.slug}).unless[{i}]", p
            for i, a in enumerate(c.alternatives):
                if a.when:
                    yield f"classes[{k}] ({c.slug}).alternatives[{i}].when", a.when
                if a.evidence:
                    yield f"classes[{k}] ({c.slug}).alternatives[{i}].evidence", a.evidence
            for i, x in enumerate(c.contexts):
                if x.when:
                    yield f"classes[{k}] ({c.slug}).contexts[{i}].when", x.when
        for k, fb in enumerate(self.fallbacks):
            for i, p in enumerate(fb.pats):
                yield f"fallbacks[{k}] ({fb.slug}).patterns[{i}]", p
            for i, p in enumerate(fb.unless):
                yield f"fallbacks[{k}] ({fb.slug}).unless[{i}]", p
            for i, a in enumerate(fb.alternatives):
                if a.when:
                    yield f"fallbacks[{k}] ({fb.slug}).alternatives[{i}].when", a.when
                if a.evidence:
                    yield f"fallbacks[{k}] ({fb.slug}).alternatives[{i}].evidence", a.evidence
        for kind, markers in (("stages", self.stages), ("hosts", self.hosts)):
            for k, mk in enumerate(markers):
                for i, p in enumerate(mk.pats):
                    yield f"{kind}[{k}] ({mk.name}).patterns[{i}]", p
                for i, p in enumerate(mk.commands):
                    yield f"{kind}[{k}] ({mk.name}).commands[{i}]", p
        m = self.matching
        if m:
            yield "matching.strip", m.strip
            yield "matching.decode_when", m.decode_when
            yield "matching.decode", m.decode
            for i, p in enumerate(m.prefixes):
                yield f"matching.prefixes[{i}]", p
            for i, p in enumerate(m.splits):
                yield f"matching.splits[{i}]", p


# ---------------------------------------------------------------- loading the catalog


def load_catalog(path: Path | None = None) -> Catalog:
    """The catalog at `path` (default: the project's data/errors.toml), checked.
    Cached per path: call `clear_cache()` after editing the file.

    Any other catalog is checked against the schema and every pattern compiled at once.
    The packaged catalog is trusted (the tests check it with `check_catalog`), so that a
    fresh `plugin-matrix explain` does not pay for the schema check and ~300 regular
    expressions it mostly does not need: its patterns compile on first use. Should it be
    damaged anyway, the full check runs and says what is wrong."""
    return _load(Path(path or DEFAULT_CATALOG).resolve())


def check_catalog(path: Path | None = None) -> Catalog:
    """The full check (schema, every pattern compiled and portable), never cached."""
    p = Path(path or DEFAULT_CATALOG).resolve()
    return _checked(p, _read(p))


@functools.cache
def _load(path: Path) -> Catalog:
    if path == DEFAULT_CATALOG:  # kept parsed in the user's cache directory (catalog_cache)
        cached = catalog_cache.load(path, _CODE, lambda doc: _build(path, doc, strict=False))
        if cached is not None:
            return cached
        doc = _read(path)
        try:
            cat = _build(path, doc, strict=False)
        except UserError:
            raise
        except Exception:  # damaged in a way _build does not expect: the schema says how
            return _checked(path, doc)
        catalog_cache.save(path, _CODE, doc, (p for _, p in cat.all_patterns()))
        return cat
    return _checked(path, _read(path))


def _read(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UserError(f"{path}: cannot read the error catalog: {e.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not valid TOML: {e}") from None


def _checked(path: Path, doc: dict[str, Any]) -> Catalog:
    from matrix.core import schema  # jsonschema: only for catalogs that are not the packaged one

    schema.check(doc, "errors.schema.json", str(path))
    return _build(path, doc, strict=True)


def catalog_for(data: Path) -> Catalog:
    """The catalog of a data directory (DATA/errors.toml), else the project's."""
    own = data / CATALOG_NAME
    return load_catalog(own if own.is_file() else None)


def clear_cache() -> None:
    _load.cache_clear()


def _alternatives(items: Iterable[Mapping[str, Any]]) -> tuple[Alternative, ...]:
    return tuple(
        Alternative(
            when=pattern_of(a["when"]) if a.get("when") else None,
            slug=a["class"],
            why=_para(a["why"]),
            check=a["check"],
            evidence=pattern_of(a["evidence"]) if a.get("evidence") else None,
            evidence_why=_para(a["evidence_why"]) if a.get("evidence_why") else None,
        )
        for a in items
    )


def _build(path: Path, doc: dict[str, Any], strict: bool) -> Catalog:
    problems: list[str] = []
    classes: list[ErrorClass] = []
    seen: dict[str, int] = {}
    for i, c in enumerate(doc["classes"]):
        where = f"classes[{i}] ({c['slug']})"
        if c["slug"] in seen:
            problems.append(f"{where}.slug: {c['slug']!r} is already used by classes[{seen[c['slug']]}]")
        seen.setdefault(c["slug"], i)
        if c["stage"] == "fallback" and c["patterns"]:
            problems.append(f"{where}.patterns: the fallback class has no patterns")
        if c["stage"] != "fallback" and not c["patterns"]:
            problems.append(f"{where}.patterns: a class needs at least one pattern")
        for h in c.get("headers", []):
            if h not in c["patterns"]:
                problems.append(f"{where}.headers: {h!r} is not one of its patterns")
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
                owns=_para(c.get("owns", "")),
                generic=bool(c.get("generic", False)),
                repeats=bool(c.get("repeats", False)),
                follows=c.get("follows"),
                alternatives=_alternatives(c.get("alternatives", [])),
                contexts=tuple(
                    ContextFix(
                        when=pattern_of(x["when"]) if x.get("when") else None,
                        host=x.get("host"),
                        fix=_para(x["fix"]),
                    )
                    for x in c.get("contexts", [])
                ),
                unless=tuple(c.get("unless", [])),
                headers=frozenset(c.get("headers", [])),
                pats=patterns_of(c["patterns"]),
                unless_pats=patterns_of(c.get("unless", [])),
            )
        )
    slugs = set(seen)
    for i, c in enumerate(classes):
        for r in c.related:
            if r not in slugs:
                problems.append(f"classes[{i}] ({c.slug}).related: no class {r!r}")
            elif r == c.slug:
                problems.append(f"classes[{i}] ({c.slug}).related: a class is not related to itself")
        for j, a in enumerate(c.alternatives):
            if a.slug not in slugs or a.slug == c.slug:
                problems.append(
                    f"classes[{i}] ({c.slug}).alternatives[{j}].class: not another class: {a.slug!r}"
                )
    fallbacks = [i for i, c in enumerate(classes) if c.stage == "fallback"]
    if [classes[i].slug for i in fallbacks] != [UNKNOWN] or fallbacks[0] != len(classes) - 1:
        problems.append(f"classes: exactly one fallback class, {UNKNOWN!r}, must come last")
    redirects: dict[str, str] = dict(doc.get("redirects", {}))
    for old, new in redirects.items():
        if old in slugs:
            problems.append(f"redirects.{old}: {old!r} is still a class; a redirect is for a removed slug")
        if new not in slugs:
            problems.append(f"redirects.{old}: points to {new!r}, which is not a class")
    fbs = tuple(
        Fallback(
            slug=f["class"],
            stage=f.get("stage"),
            why=_para(f["why"]),
            pats=patterns_of(f["patterns"]),
            alternatives=_alternatives(f.get("alternatives", [])),
            unless=patterns_of(f.get("unless", [])),
        )
        for f in doc.get("fallbacks", [])
    )
    for k, fb in enumerate(fbs):
        if fb.slug not in slugs:
            problems.append(f"fallbacks[{k}].class: no class {fb.slug!r}")
    hosts = tuple(Marker(h["name"], patterns_of(h["patterns"]), h.get("stage")) for h in doc.get("hosts", []))
    host_names = {h.name for h in hosts}
    for i, c in enumerate(classes):
        for j, x in enumerate(c.contexts):
            if x.host is not None and x.host not in host_names:
                problems.append(
                    f"classes[{i}] ({c.slug}).contexts[{j}].host: no host {x.host!r} in [[hosts]]"
                )
    m = doc.get("matching")
    problems += matching.translate_problems((m or {}).get("translate", {}))
    unwrap = matching.matching_of(m) if m else None
    cat = Catalog(
        path,
        classes,
        redirects,
        matching=unwrap,
        stages=tuple(
            Marker(s["name"], patterns_of(s["patterns"]), commands=patterns_of(s.get("commands", [])))
            for s in doc.get("stages", [])
        ),
        hosts=hosts,
        fallbacks=fbs,
    )
    if strict:
        pats = list(cat.all_patterns())
        problems += pattern_problems(pats, cat.matching) + framing_problems(pats, cat.matching)
        problems += gate_problems(pats)
    if problems:
        raise UserError("\n".join(f"{path}: {p}" for p in problems))
    return cat


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

"""The error catalog (matrix/catalog/errors.toml, a link to data/errors.toml), as data.

Loading, checking and publishing the catalog live here, where every layer can read it;
matching texts against it is `matrix.diagnose.classify`. A class's `slug` is its name
everywhere in code and data: the permalink /errors/<slug>/.

Besides the classes, the catalog holds how a pasted text is read before it is matched
([matching]: colour codes, JSON/logfmt escapes, log prefixes, wrappers), the evidence of
the stage and of the host program ([[stages]], [[hosts]]), the fallbacks for texts no
class claims ([[fallbacks]]), and per class the other classes the same text can mean
(`alternatives`, each with the one command that tells them apart) and fixes for a given
context (`contexts`). All of it is published in errors.json, so the site's in-browser
explainer applies the very same rules.

Every pattern must mean the same in Python's `re`, RE2 (Go) and JavaScript: no
look-around or back-references (RE2), no `\\d`, `\\w`, `\\b` or inline flags (their
meaning differs between Python and JavaScript).
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from matrix import UserError
from matrix.core import facts

LINK_BASE = facts.ERRORS_URL
UNKNOWN = "unknown"
STAGES = ("load", "build", "fallback")
FAMILIES = ("standard library", "kustomize module", "third-party")
CATALOG_NAME = "errors.toml"
PUBLISHED_NAME = "published-slugs.txt"
# matrix/catalog/ holds symlinks to data/errors.toml and data/published-slugs.txt: one
# source in the repository, and a wheel (which copies the files) carries the catalog too.
DEFAULT_CATALOG = (Path(__file__).parents[1] / "catalog" / CATALOG_NAME).resolve()
# The fixed numbers of the matching rule (errors.json publishes them with the rules, so
# the site's explainer uses the same): spaces stripped around a view; at most this many
# views per line and rounds of prefix removal; texts from this long (in characters) are
# whole logs (narrowed by literals first, no lines joined); the host is looked for this
# many lines around an error; a matched line is shown up to this long.
WS = " \t\r\n\x0b\x0c"
MAX_VIEWS = 12
MAX_PREFIX_ROUNDS = 12
WHOLE_LOG_FROM = 64 * 1024
CONTEXT_LINES = 50
MAX_LINE_SHOWN = 4000
# The named groups a pattern may capture: they fill `{name}` in checks and fixes.
GROUPS = ("package", "path", "library", "symbol", "module", "need", "have")

# Constructs Python's re accepts but RE2 (Go, Rust) does not: patterns are published in
# errors.json for other tools, so they must stay portable.
_NOT_RE2 = [
    (r"\(\?[=!]|\(\?<[=!]", "look-around"),
    (r"\(\?P=|\\[1-9]", "back-reference"),
    (r"\(\?>|[*+?}]\+", "atomic group or possessive quantifier"),
    (r"\(\?\(", "conditional group"),
]
# Constructs whose meaning differs between Python and JavaScript (the site's explainer).
_NOT_JS = [
    (r"(?<!\\)(?:\\\\)*\\[dDwWbB]", r"\d, \w or \b (Unicode in Python, ASCII in JavaScript)"),
    (r"\(\?[aiLmsux-]+[:)]", "an inline flag"),
]


def link(slug: str) -> str:
    return facts.error_link(slug)


# ---------------------------------------------------------------- patterns


class Pattern:
    """A catalog pattern, compiled on first use.

    `needs`: what every text the pattern matches holds: each item is a tuple of literal
    strings one of which is there (None: nothing known). `gate` is the rarest-looking of
    them. A line without a gate is ruled out by a substring test, before any regular
    expression runs; the whole-log prefilter checks all the needs."""

    __slots__ = ("_rx", "gate", "needs", "source")

    def __init__(self, source: str, needs: Any = False) -> None:
        self.source = source
        self.needs = literal_needs(source) if needs is False else needs
        self.gate = max(self.needs, key=_gate_score) if self.needs else None
        self._rx: re.Pattern[str] | None = None

    @property
    def rx(self) -> re.Pattern[str]:
        if self._rx is None:
            self._rx = re.compile(self.source)
        return self._rx

    def search(self, text: str) -> re.Match[str] | None:
        g = self.gate
        if g is not None:
            for s in g:
                if s in text:
                    break
            else:
                return None
        return self.rx.search(text)

    def __repr__(self) -> str:
        return f"Pattern({self.source!r})"


# Literals already worked out for a pattern source (from the catalog cache): Pattern
# objects for them skip literal_needs.
_KNOWN_NEEDS: dict[str, Any] = {}


def _pattern(source: str) -> Pattern:
    return Pattern(source, _KNOWN_NEEDS.get(source, False))


def _pats(sources: Iterable[str]) -> tuple[Pattern, ...]:
    return tuple(_pattern(s) for s in sources)


# Characters a gate never holds: a line may have them only after its escapes were
# decoded (JSON `\"`, `\\`, `\/`, `\n`, `\t`; HTML `&quot;`, `&lt;`...; markdown `\_`,
# `\*`), and gates are looked for in the raw line.
_GATE_BREAK = frozenset("\"\\/\t\n\r_*`'<>&")
_QUANT = re.compile(r"\{([0-9]*)(?:,([0-9]*))?\}")
_SPECIAL = frozenset("\\[](){}.*+?^$|") | _GATE_BREAK
_MIN_GATE = 2


# Words that are everywhere in logs: a literal made of them rules few lines out.
COMMON_WORDS = frozenset(
    [
        "error",
        "errors",
        "failed",
        "fail",
        "file",
        "load",
        "loading",
        "loaded",
        "type",
        "class",
        "version",
        "module",
        "found",
        "find",
        "import",
        "runtime",
        "plugin",
        "plugins",
        "valid",
        "invalid",
        "defined",
        "supported",
        "timeout",
        "exit",
        "status",
        "build",
        "requires",
        "unknown",
        "cannot",
        "open",
        "system",
        "read",
        "reading",
        "generator",
        "transformer",
        "symbol",
        "library",
        "package",
        "server",
        "start",
        "not",
        "no",
        "with",
        "the",
        "and",
        "for",
        "from",
        "is",
        "in",
        "of",
        "to",
        "on",
        "at",
        "be",
        "by",
        "a",
        "an",
    ]
)
_WORD = re.compile(r"[A-Za-z]+")


def _rarity(lit: str) -> float:
    common = sum(len(w) for w in _WORD.findall(lit) if w.lower() in COMMON_WORDS)
    return len(lit.encode()) - 0.8 * common


def _gate_score(g: tuple[str, ...]) -> tuple[float, int]:
    return (min(map(_rarity, g)), -len(g))


def literal_gate(pattern: str) -> tuple[str, ...] | None:
    """The pattern's gate: literal strings of which every text it matches holds one."""
    needs = literal_needs(pattern)
    return max(needs, key=_gate_score) if needs else None


def literal_needs(pattern: str) -> tuple[tuple[str, ...], ...] | None:
    """What every text the pattern matches holds: tuples of literals (2+ characters), one
    of each tuple at least. None when nothing is known."""
    if re.search(r"\(\?[a-zA-Z-]*i", pattern):
        return None
    return _needs_of(pattern)


def _needs_of(p: str) -> tuple[tuple[str, ...], ...] | None:
    branches = _top_level_branches(p)
    if len(branches) == 1:
        only = _branch_needs(branches[0])
        return tuple(only) if only else None
    gates: list[str] = []
    for b in branches:  # an alternation: one literal per alternative, the rarest
        needs: list[tuple[str, ...]] = _branch_needs(b)
        if not needs:
            return None
        rarest: tuple[str, ...] = max(needs, key=_gate_score)
        gates.extend(rarest)
    return (tuple(dict.fromkeys(gates)),)


_MAX_EXPANSION = 16


def _branch_needs(branch: str) -> list[tuple[str, ...]]:
    runs, groups = _literal_runs(branch)
    needs: list[tuple[str, ...]] = [(r,) for r in runs if len(r) >= _MIN_GATE]
    for inner in groups:
        g = _needs_of(inner)
        if g and len(g) == 1:
            needs.append(g[0])
    return needs


def _skip_class(p: str, i: int) -> int:
    """Index after the character class starting at p[i] == '['."""
    j = i + 1
    if j < len(p) and p[j] == "^":
        j += 1
    if j < len(p) and p[j] == "]":
        j += 1
    while j < len(p) and p[j] != "]":
        j += 2 if p[j] == "\\" else 1
    return j + 1


def _skip_group(p: str, i: int) -> int:
    """Index after the group starting at p[i] == '('."""
    depth, j = 0, i
    while j < len(p):
        c = p[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            j = _skip_class(p, j)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return j


def _top_level_branches(p: str) -> list[str]:
    out, start, j = [], 0, 0
    while j < len(p):
        c = p[j]
        if c == "\\":
            j += 2
        elif c == "[":
            j = _skip_class(p, j)
        elif c == "(":
            j = _skip_group(p, j)
        elif c == "|":
            out.append(p[start:j])
            j += 1
            start = j
        else:
            j += 1
    out.append(p[start:])
    return out


def _literal_runs(p: str) -> tuple[list[str], list[str]]:
    """(the runs of literal characters every match of `p` (one alternative) contains,
    the contents of the groups every match goes through)."""
    runs: list[str] = []
    groups: list[str] = []
    run: list[str] = []
    expanded: list[tuple[str, tuple[str, ...]]] = []

    def cut() -> None:
        if run:
            runs.append("".join(run))
            run.clear()

    i, n = 0, len(p)
    while i < n:
        c = p[i]
        lit: str | None
        group: str | None = None
        if c == "\\":
            d = p[i + 1] if i + 1 < n else ""
            if d == "x":
                lit, i = None, i + 4
            elif d.isalnum() or not d:
                lit, i = None, i + 2
            else:
                lit, i = d, i + 2
        elif c == "[":
            lit, i = None, _skip_class(p, i)
        elif c == "(":
            j = _skip_group(p, i)
            inner = p[i + 1 : j - 1]
            m = re.match(r"\?(?::|P<[A-Za-z_][A-Za-z0-9_]*>)", inner)
            if m:
                inner = inner[m.end() :]
            group = inner if (not inner.startswith("?")) else None
            lit, i = None, j
            words = inner.split("|") if group is not None else []
            q = p[i] if i < n else ""
            plain = all(w and not (set(w) & _SPECIAL) for w in words)
            if plain and q not in ("*", "?", "+", "{") and len(words) * max(1, len(run)) <= _MAX_EXPANSION:
                # a choice of plain words: every match holds the run so far followed by one
                expanded.append(("".join(run), tuple(words)))

        elif c in ".^$":
            lit, i = None, i + 1
        else:
            lit, i = c, i + 1
        q = p[i] if i < n else ""
        m = _QUANT.match(p, i) if q == "{" else None
        required = not (q in ("*", "?") or (m and m.group(1) in ("", "0")))
        if group is not None and required:
            groups.append(group)
        if q in ("*", "?"):
            cut()  # the atom is optional
            i += 1
        elif q == "+" or (m and m.group(1) not in ("", "0")):
            if lit is not None and lit not in _GATE_BREAK:
                run.append(lit)  # required once, repeated maybe: the run ends here
            cut()
            i = m.end() if m else i + 1
        elif m:
            cut()
            i = m.end()
        elif lit is None or lit in _GATE_BREAK:
            cut()
            continue
        else:
            run.append(lit)
            continue
        if i < n and p[i] == "?":  # lazy quantifier
            i += 1
    cut()
    for before, alts in expanded:  # "go (build|get)" also needs "go build" or "go get"
        if before:
            groups.append("|".join(re.escape(before + a) for a in alts))
    return runs, groups


def re2_problem(pattern: str) -> str | None:
    """Why a pattern would not compile with RE2 (Go's regexp), or None."""
    for rx, what in _NOT_RE2:
        if re.search(rx, pattern):
            return f"uses a {what}, which RE2 (Go, Rust) does not support"
    return None


def portability_problem(pattern: str) -> str | None:
    """Why a pattern would not mean the same in RE2, Python and JavaScript, or None."""
    why = re2_problem(pattern)
    if why:
        return why
    for rx, what in _NOT_JS:
        if re.search(rx, pattern):
            return f"uses {what}: write the characters out, e.g. [0-9] or [A-Za-z0-9_]"
    return None


# ---------------------------------------------------------------- the catalog's parts


class Alternative(NamedTuple):
    """Another class the same text can mean, why, and the one command that tells them apart."""

    when: Pattern | None
    slug: str
    why: str
    check: str


class ContextFix(NamedTuple):
    """A fix for one context: a text matching `when` (and the host program `host`)."""

    when: Pattern | None
    host: str | None
    fix: str


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
    owns: str = ""
    generic: bool = False  # its lines join a specific error of the same stage next to them
    repeats: bool = False  # it repeats another error: dropped when that error is in the text
    follows: str | None = None  # it is a consequence of a failure of this stage: listed after it
    alternatives: tuple[Alternative, ...] = ()
    contexts: tuple[ContextFix, ...] = ()
    unless: tuple[str, ...] = ()  # a line matching one of these is not this class's
    pats: tuple[Pattern, ...] = field(default=(), repr=False, compare=False)
    unless_pats: tuple[Pattern, ...] = field(default=(), repr=False, compare=False)

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


class Marker(NamedTuple):
    """Lines that show the stage (build or load) or the host program."""

    name: str
    pats: tuple[Pattern, ...]
    stage: str | None = None  # a host of errors of this stage only


class Matching(NamedTuple):
    """How a pasted text becomes the lines that are matched (the same in explain.js)."""

    strip: Pattern  # removed from the whole text (terminal colour codes)
    decode_when: Pattern  # a line with JSON/logfmt escapes is also read decoded
    decode: Pattern
    decode_map: Mapping[str, str]
    prefixes: tuple[Pattern, ...]  # log framing removed from the start of a line, repeatedly
    splits: tuple[Pattern, ...]  # the text after each match is also matched on its own
    gap: int  # lines with hits at most this far apart are one stretch of the log
    max_line: int  # longer lines are matched in overlapping pieces of this length
    placeholders: Mapping[str, str]  # for `{group}` of a check or fix when the text has none


@dataclass(frozen=True, eq=False)  # compared (and cached) by identity
class Catalog:
    path: Path
    classes: list[ErrorClass]
    redirects: dict[str, str]
    matching: Matching | None = None
    stages: tuple[Marker, ...] = ()
    hosts: tuple[Marker, ...] = ()
    fallbacks: tuple[Fallback, ...] = ()

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
            for i, x in enumerate(c.contexts):
                if x.when:
                    yield f"classes[{k}] ({c.slug}).contexts[{i}].when", x.when
        for k, fb in enumerate(self.fallbacks):
            for i, p in enumerate(fb.pats):
                yield f"fallbacks[{k}] ({fb.slug}).patterns[{i}]", p
            for i, a in enumerate(fb.alternatives):
                if a.when:
                    yield f"fallbacks[{k}] ({fb.slug}).alternatives[{i}].when", a.when
        for kind, markers in (("stages", self.stages), ("hosts", self.hosts)):
            for k, mk in enumerate(markers):
                for i, p in enumerate(mk.pats):
                    yield f"{kind}[{k}] ({mk.name}).patterns[{i}]", p
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
    if path == DEFAULT_CATALOG:
        cached = _cached(path)
        if cached is not None:
            return cached
        doc = _read(path)
        try:
            cat = _build(path, doc, strict=False)
        except UserError:
            raise
        except Exception:  # damaged in a way _build does not expect: the schema says how
            return _checked(path, doc)
        _save(path, doc, cat)
        return cat
    return _checked(path, _read(path))


# The packaged catalog, parsed and with every pattern's literals, is kept in the user's
# cache directory, keyed by the catalog's and this module's size and modification time:
# a fresh `plugin-matrix explain` then reads it in a millisecond instead of parsing TOML
# and working out ~400 patterns' literals. It is only an optimisation: any problem with
# it (missing, old, unwritable) means the catalog is read as usual.
_CACHE_FORMAT = 1


def user_cache_dir() -> Path:
    """$PLUGIN_MATRIX_CACHE, else $XDG_CACHE_HOME (or ~/.cache)/kustomize-plugin-matrix."""
    base = os.environ.get("PLUGIN_MATRIX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kustomize-plugin-matrix"
    )
    return Path(base)


def _cache_key(path: Path) -> list[Any]:
    out: list[Any] = [_CACHE_FORMAT, str(path)]
    for p in (path, Path(__file__)):
        try:
            st = p.stat()
        except OSError:
            return []
        out += [st.st_size, st.st_mtime_ns]
    return out


def _cache_file(path: Path) -> Path:
    return user_cache_dir() / "explain" / f"catalog-{zlib.crc32(str(path).encode()):08x}.marshal"


def _cached(path: Path) -> Catalog | None:
    key = _cache_key(path)
    try:
        doc = marshal.loads(_cache_file(path).read_bytes())
        if not key or doc.get("key") != key:
            return None
        _KNOWN_NEEDS.update(doc["needs"])
        return _build(path, doc["doc"], strict=False)
    except Exception:  # anything wrong with the cache: read the catalog itself
        return None
    finally:
        _KNOWN_NEEDS.clear()


def _save(path: Path, doc: dict[str, Any], cat: Catalog) -> None:
    key = _cache_key(path)
    if not key:
        return
    needs = {p.source: p.needs for _, p in cat.all_patterns()}
    target = _cache_file(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(marshal.dumps({"key": key, "doc": doc, "needs": needs}))
        os.replace(tmp, target)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            tmp.unlink()


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
            when=_pattern(a["when"]) if a.get("when") else None,
            slug=a["class"],
            why=_para(a["why"]),
            check=a["check"],
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
                        when=_pattern(x["when"]) if x.get("when") else None,
                        host=x.get("host"),
                        fix=_para(x["fix"]),
                    )
                    for x in c.get("contexts", [])
                ),
                unless=tuple(c.get("unless", [])),
                pats=_pats(c["patterns"]),
                unless_pats=_pats(c.get("unless", [])),
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
            pats=_pats(f["patterns"]),
            alternatives=_alternatives(f.get("alternatives", [])),
        )
        for f in doc.get("fallbacks", [])
    )
    for k, fb in enumerate(fbs):
        if fb.slug not in slugs:
            problems.append(f"fallbacks[{k}].class: no class {fb.slug!r}")
    hosts = tuple(Marker(h["name"], _pats(h["patterns"]), h.get("stage")) for h in doc.get("hosts", []))
    host_names = {h.name for h in hosts}
    for i, c in enumerate(classes):
        for j, x in enumerate(c.contexts):
            if x.host is not None and x.host not in host_names:
                problems.append(
                    f"classes[{i}] ({c.slug}).contexts[{j}].host: no host {x.host!r} in [[hosts]]"
                )
    m = doc.get("matching")
    matching = (
        Matching(
            strip=_pattern(m["strip"]),
            decode_when=_pattern(m["decode_when"]),
            decode=_pattern(m["decode"]),
            decode_map=dict(m["decode_map"]),
            prefixes=_pats(m.get("prefixes", [])),
            splits=_pats(m.get("splits", [])),
            gap=int(m.get("gap", 8)),
            max_line=int(m.get("max_line", 16384)),
            placeholders=dict(m.get("placeholders", {})),
        )
        if m
        else None
    )
    cat = Catalog(
        path,
        classes,
        redirects,
        matching=matching,
        stages=tuple(Marker(s["name"], _pats(s["patterns"])) for s in doc.get("stages", [])),
        hosts=hosts,
        fallbacks=fbs,
    )
    if strict:
        problems += _pattern_problems(cat)
    if problems:
        raise UserError("\n".join(f"{path}: {p}" for p in problems))
    return cat


def _pattern_problems(cat: Catalog) -> list[str]:
    problems = []
    for where, p in cat.all_patterns():
        try:
            rx = p.rx
        except re.error as e:
            problems.append(f"{where}: not a valid regular expression: {e}")
            continue
        why = portability_problem(p.source)
        if why:
            problems.append(f"{where}: {why}")
        if rx.groupindex.keys() - set(GROUPS):
            problems.append(f"{where}: the only named groups allowed are {', '.join(GROUPS)}")
    if cat.matching:
        for i, p in enumerate(cat.matching.prefixes):
            if not p.source.startswith("^"):
                problems.append(f"matching.prefixes[{i}]: a prefix pattern starts with ^")
    return problems


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


MATCHING_RULE = (
    "1. remove `matching.strip` from the text; split it into lines (Python's str.splitlines); "
    "a line longer than `max_line` is cut into pieces of `max_line` overlapping by a tenth. "
    "2. a line matching `decode_when` is also read decoded (`decode`, each escape replaced by "
    "`decode_map`, then split at newlines). 3. each such line's views: the line, and the text "
    "after each match of a `splits` pattern; from each view the `prefixes` are removed from "
    "the start, again and again, and spaces and tabs around it. 4. a line's hit is the first "
    "class (in this order) with a pattern matching one of its views; else the fallbacks that "
    "match. 5. hits at most `gap` lines apart form a stretch; in a stretch each specific class "
    "and package is one error; the lines of a `generic` class join the nearest specific error "
    "of the same stage; a fallback becomes its class when its `stage` (from the [[stages]] "
    "lines in or before the stretch) fits; a `repeats` error is dropped when the error it "
    "repeats is there too. 6. errors are reported in the order of their first line; the "
    "first one names the text. explain.js on the site is the reference implementation."
)


def _pattern_list(pats: Iterable[Pattern]) -> list[str]:
    return [p.source for p in pats]


def _alts_json(alts: Iterable[Alternative]) -> list[dict[str, Any]]:
    return [
        {"when": a.when.source if a.when else None, "class": a.slug, "why": a.why, "check": a.check}
        for a in alts
    ]


def catalog_json(catalog: Catalog | None = None) -> dict[str, Any]:
    """What the site publishes as errors.json, so other tools (and the site's own
    explainer) can classify and link errors without this package: every pattern is
    RE2- and JavaScript-compatible; `matching_rule` says how they are applied."""
    cat = catalog or load_catalog()
    m = cat.matching
    doc: dict[str, Any] = {
        "schema": 1,
        "base_url": LINK_BASE,
        "matching": "search each line; the first class (in this order) with a matching pattern wins",
        "matching_rule": MATCHING_RULE,
        "classes": [
            {
                "slug": c.slug,
                "title": c.title,
                "stage": c.stage,
                "patterns": list(c.patterns),
                "unless": list(c.unless),
                "url": c.link,
                "related": list(c.related),
                "owns": c.owns,
                "cause": c.cause,
                "fix": c.fix,
                "generic": c.generic,
                "repeats": c.repeats,
                "follows": c.follows,
                "families": dict(c.families),
                "alternatives": _alts_json(c.alternatives),
                "contexts": [
                    {"when": x.when.source if x.when else None, "host": x.host, "fix": x.fix}
                    for x in c.contexts
                ],
            }
            for c in cat.classes
        ],
        "redirects": {old: {"slug": new, "url": link(new)} for old, new in sorted(cat.redirects.items())},
        "fallbacks": [
            {
                "class": f.slug,
                "stage": f.stage,
                "why": f.why,
                "patterns": _pattern_list(f.pats),
                "alternatives": _alts_json(f.alternatives),
            }
            for f in cat.fallbacks
        ],
        "stages": [{"name": s.name, "patterns": _pattern_list(s.pats)} for s in cat.stages],
        "hosts": [{"name": h.name, "stage": h.stage, "patterns": _pattern_list(h.pats)} for h in cat.hosts],
    }
    if m:
        doc["unwrap"] = {
            "strip": m.strip.source,
            "decode_when": m.decode_when.source,
            "decode": m.decode.source,
            "decode_map": dict(m.decode_map),
            "prefixes": _pattern_list(m.prefixes),
            "splits": _pattern_list(m.splits),
            "gap": m.gap,
            "max_line": m.max_line,
            "placeholders": dict(m.placeholders),
            "whitespace": WS,
            "max_views": MAX_VIEWS,
            "max_prefix_rounds": MAX_PREFIX_ROUNDS,
            "whole_log_from": WHOLE_LOG_FROM,
            "context_lines": CONTEXT_LINES,
            "max_line_shown": MAX_LINE_SHOWN,
        }
    return doc

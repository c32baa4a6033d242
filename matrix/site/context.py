"""What the pages use besides the frame of cells: the grid (releases, toolchains,
variants, pins, platforms, the reference cell, renamed cells), the error catalog, the
history, the minimum Go of each release (data/releases-go.toml) and the public error
corpus (tests/corpus/public_errors.jsonl), all read from files of the project (`load`).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix import UserError
from matrix.core import catalog
from matrix.core import grid as gridmod
from matrix.dataset import history

PACKAGE_MISMATCH = "package-version-mismatch"
AXES = ["host-variant", "plugin-variant", "matched-variant", "pins", "platform"]
AXIS_TITLES = {
    "host-variant": "Host build flags",
    "plugin-variant": "Plugin build flags",
    "matched-variant": "Same flags on both sides",
    "pins": "Plugin dependency pins",
    "platform": "Platforms",
}
NATIVE = "linux/amd64"


@dataclass(frozen=True)
class ErrorClass:
    """One entry of the error catalog (data/errors.toml), as the pages need it."""

    slug: str
    title: str
    stage: str = ""
    cause: str = ""
    fix: str = ""
    patterns: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """Grid and catalog data the pages use besides the frame."""

    releases: dict[str, dict[str, Any]] = field(default_factory=dict)  # oldest first
    toolchains: dict[str, dict[str, Any]] = field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)
    platforms: dict[str, dict[str, Any]] = field(default_factory=dict)
    reference: dict[str, str] = field(default_factory=dict)  # release, toolchain, plugin
    classes: tuple[ErrorClass, ...] = ()
    history: dict[str, Any] | None = None
    release_go: dict[str, dict[str, str]] = field(default_factory=dict)  # release -> go line, source
    corpus: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # class slug -> public texts
    accuracy: dict[str, Any] | None = None  # tests/corpus/accuracy.json: explain on the corpus
    renamed: dict[str, str] = field(default_factory=dict)  # old cell id -> cell id

    def seen(self, kind: str, name: str) -> dict[str, str]:
        """First and last seen of a cell, error class or package (history.SEEN), or {}."""
        d = (self.history or {}).get(kind, {}).get(name)
        return dict(d) if isinstance(d, dict) else {}

    def min_go(self, release: str) -> str:
        """The `go` line of a release's go.mod ("" when not recorded)."""
        return str(self.release_go.get(release, {}).get("go", ""))

    def error_class(self, slug: str) -> ErrorClass | None:
        known = _SLUGS.get(id(self.classes))
        if known is None or known[0] is not self.classes:
            known = (self.classes, {c.slug: c for c in reversed(self.classes)})  # the first slug wins
            _SLUGS[id(self.classes)] = known
        return known[1].get(slug)


_SLUGS: dict[int, tuple[tuple[ErrorClass, ...], dict[str, ErrorClass]]] = {}


def load_classes(data: Path) -> tuple[ErrorClass, ...]:
    """The error catalog of DATA (else the project's), as the pages need it."""
    cat: Any = catalog.catalog_for(data)
    return tuple(
        ErrorClass(
            slug=str(c.slug),
            title=str(getattr(c, "title", c.slug)),
            stage=str(getattr(c, "stage", "") or ""),
            cause=str(getattr(c, "cause", "") or ""),
            fix=str(getattr(c, "fix", "") or ""),
            patterns=tuple(str(p) for p in (getattr(c, "patterns", ()) or ())),
            related=tuple(str(r) for r in (getattr(c, "related", ()) or ())),
            examples=tuple(str(e) for e in (getattr(c, "examples", ()) or ())),
        )
        for c in cat.classes
    )


RELEASES_GO = "releases-go.toml"
CORPUS = Path("tests") / "corpus" / "public_errors.jsonl"
CORPUS_PER_CLASS = 5  # public texts shown on a class's page
ACCURACY = "accuracy.json"  # next to the corpus, written by tests/test_corpus.py


def load_release_go(data: Path) -> dict[str, dict[str, str]]:
    """DATA/releases-go.toml (made by scripts/release_go.py): release -> {"go", "source"...}."""
    p = data / RELEASES_GO
    if not p.is_file():
        return {}
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{p}: not valid TOML: {e}") from None
    rels = doc.get("releases", {})
    if not isinstance(rels, dict):
        raise UserError(f"{p}: releases: expected a table")
    return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in rels.items() if isinstance(v, dict)}


def corpus_path(data: Path) -> Path | None:
    """The public error corpus of the project DATA belongs to, else of this package's."""
    for root in (data.resolve().parent, Path(__file__).resolve().parents[2]):
        if (root / CORPUS).is_file():
            return root / CORPUS
    return None


def load_corpus(data: Path) -> dict[str, list[dict[str, str]]]:
    """Class slug -> up to CORPUS_PER_CLASS public texts labelled with it (kustomize's own
    reports first, then by id), each with its source address and project."""
    p = corpus_path(data)
    if p is None:
        return {}
    out: dict[str, list[dict[str, str]]] = {}
    for line in p.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        e = json.loads(line)
        src = str(e.get("source", ""))
        if not src.startswith("https://"):
            continue  # shown as a link: only web addresses
        out.setdefault(str(e["label"]), []).append(
            {"id": str(e["id"]), "text": str(e["text"]), "source": src, "project": str(e.get("project", ""))}
        )
    for slug, texts in out.items():
        texts.sort(key=lambda t: ("kustomize" not in t["project"] + t["text"], t["id"]))
        out[slug] = texts[:CORPUS_PER_CLASS]
    return out


def load_accuracy(data: Path) -> dict[str, Any] | None:
    """The classifier's accuracy on the public corpus (tests/corpus/accuracy.json), else None."""
    p = corpus_path(data)
    if p is None or not (p.parent / ACCURACY).is_file():
        return None
    q = p.parent / ACCURACY
    try:
        doc = json.loads(q.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UserError(f"{q}: not valid JSON: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("overall"), dict):
        raise UserError(f"{q}: expected an object with `overall` (written by tests/test_corpus.py)")
    return doc


def renamed_cells(g: gridmod.Grid) -> dict[str, str]:
    """Old cell id -> cell id, over every profile of the grid."""
    out: dict[str, str] = {}
    for profile in g.profiles:
        out.update(g.renamed_cells(profile))
    return dict(sorted(out.items()))


def for_cells(data: Path) -> Context:
    """What the cells' own sections and table rows need (the processes that read the cells)."""
    g = gridmod.load(data / "grid.toml")
    return Context(variants=g.variants, classes=load_classes(data), history=history.load(data))


def load(data: Path) -> Context:
    """The context of the site built from DATA."""
    g = gridmod.load(data / "grid.toml")
    ref = g.profiles.get("default", next(iter(g.profiles.values())))["reference"]
    return Context(
        releases=g.releases,
        toolchains=g.toolchains,
        variants=g.variants,
        pins=g.pins,
        platforms=g.platforms,
        reference=dict(ref),
        classes=load_classes(data),
        history=history.load(data),
        release_go=load_release_go(data),
        corpus=load_corpus(data),
        accuracy=load_accuracy(data),
        renamed=renamed_cells(g),
    )

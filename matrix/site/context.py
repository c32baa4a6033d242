"""What the pages use besides the frame of cells: the grid (releases, toolchains,
variants, pins, platforms, the reference cell), the error catalog and the history,
all read from data/ (`load`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

    def cls(self, slug: str) -> ErrorClass | None:
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
        )
        for c in cat.classes
    )


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
    )

"""Classification: an error text -> an error class of the catalog (matrix.core.catalog).

A text (one message or a whole log) is split into lines; the first class, in catalog
order, with a pattern matching any line wins, so the catalog lists specific classes
before generic ones and a log is named after its most informative line. Lines that only
repeat an earlier failure ("... (previous failure)") are looked at after all others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from matrix.core.catalog import STAGES, UNKNOWN, Catalog, load_catalog

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_REPEAT = "(previous failure)"
_MAX_LINE = 4000


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


def classify_text(catalog: Catalog, text: str, stages: Iterable[str] | None = None) -> Match:
    wanted = set(stages) if stages is not None else set(STAGES)
    classes = [c for c in catalog.classes if c.stage in wanted and c.stage != "fallback"]
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
                        return Match(cls.slug, cls.title, pkg, package_family(pkg), ln[:_MAX_LINE], cls.link)
    fb = catalog.fallback
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


def classify(text: str, stages: Iterable[str] | None = None, catalog: Catalog | None = None) -> Match:
    """Classify an error text (a message or a whole log) with the default catalog."""
    return classify_text(catalog or load_catalog(), text, stages)


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
        m = classify_text(cat, "\n".join(texts), stages=("build",))
        return (m.slug if m.known else "build-failed"), None
    if outcome == "fails":
        load = rec.get("load") or {}
        if load.get("timed_out"):
            return "timeout", None
        m = classify_text(cat, f"{load.get('stderr') or ''}\n{load.get('stdout') or ''}", stages=("load",))
        if not m.known and load.get("signal") is not None:
            return "runtime-crash", None
        return m.slug, m.package
    return None, None

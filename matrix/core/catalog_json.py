"""errors.json: what the site publishes of the catalog (matrix.core.catalog), so other
tools (and the site's own explainer) can classify and link errors without this package."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matrix.core import matching
from matrix.core.catalog import LINK_BASE, Alternative, Catalog, link, load_catalog
from matrix.core.matching import Pattern


def _pattern_list(pats: Iterable[Pattern]) -> list[str]:
    return [p.source for p in pats]


def _alts_json(alts: Iterable[Alternative]) -> list[dict[str, Any]]:
    return [
        {
            "when": a.when.source if a.when else None,
            "class": a.slug,
            "why": a.why,
            "check": a.check,
            "evidence": a.evidence.source if a.evidence else None,
            "evidence_why": a.evidence_why,
        }
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
        "matching_rule": matching.MATCHING_RULE,
        "classes": [
            {
                "slug": c.slug,
                "title": c.title,
                "stage": c.stage,
                "patterns": list(c.patterns),
                "unless": list(c.unless),
                "headers": sorted(c.headers),
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
                "unless": _pattern_list(f.unless),
                "alternatives": _alts_json(f.alternatives),
            }
            for f in cat.fallbacks
        ],
        "stages": [
            {"name": s.name, "patterns": _pattern_list(s.pats), "commands": _pattern_list(s.commands)}
            for s in cat.stages
        ],
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
            "translate": dict(m.translate),
            "whitespace": matching.WS,
            "max_views": matching.MAX_VIEWS,
            "max_prefix_rounds": matching.MAX_PREFIX_ROUNDS,
            "frames": matching.FRAMES,
            "whole_log_from": matching.WHOLE_LOG_FROM,
            "context_lines": matching.CONTEXT_LINES,
            "max_line_shown": matching.MAX_LINE_SHOWN,
        }
    return doc

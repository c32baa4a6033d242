"""Screenshots of a built site, on a desktop (1280 px) and a phone (390 px), in Debian's
chromium through Playwright (never a downloaded browser).

    python -m tests.screenshots SITE_DIR [--out docs/about/screenshots]

SITE_DIR is a site built by `mkdocs build` from the committed dataset; the PNGs go to
docs/about/screenshots/ (the page docs/about/screenshots.md shows them). The site is
served from a local thread, as tests/test_browser.py serves it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tests.sitekit import chromium, serve

ROOT = Path(__file__).resolve().parent.parent
DESKTOP: Any = {"width": 1280, "height": 900}
PHONE: Any = {"width": 390, "height": 844}
# name -> (page, what to show: a CSS selector to scroll to, or "" for the top)
SHOTS = {
    "checklist": ("checklists/plugin-authors/", ""),
    "checklist-releasers": ("checklists/kustomize-release/", ""),
    "package-mismatch": ("errors/package-version-mismatch/", "#packages"),
    "tested": ("releases/tested/", ""),
    "heatmap": ("matrix/", "#heatmap-v5-8-2"),
    "cells": ("matrix/cells/v5.8.2/?host-flags=-gcflags%3Dall%3D-N+-l", ""),
}


def shoot(page: Any, url: str, target: str, out: Path) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if target:
        page.locator(target).first.scroll_into_view_if_needed()
        page.evaluate("(sel) => document.querySelector(sel).scrollIntoView({block: 'start'})", target)
    page.screenshot(path=str(out))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("site", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "about" / "screenshots")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with serve(args.site) as base, chromium() as browser:
        for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            ctx = browser.new_context(viewport=viewport, device_scale_factor=1, is_mobile=device == "phone")
            page = ctx.new_page()
            for name, (path, target) in SHOTS.items():
                shoot(page, base + path, target, args.out / f"{name}-{device}.png")
            ctx.close()
    print(
        f"{2 * len(SHOTS)} screenshots in {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

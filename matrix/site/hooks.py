"""mkdocs hooks (docs/hooks.py exports these; mkdocs.yml lists that file under `hooks:`).

The pages that `matrix.site.build` generates keep their large tables as pre-rendered HTML
blocks, out of python-markdown's way (matrix.site.blocks); these hooks put the blocks back
as mkdocs writes each page, and tell mkdocs about the anchors inside them so its link
check sees them. The site's address comes from matrix.core.facts, its one source.
"""

from __future__ import annotations

from typing import Any

from matrix.core import facts
from matrix.site import blocks, links


def on_config(config: Any, **kwargs: Any) -> Any:
    """`site_url` from matrix.core.facts (mkdocs.yml does not repeat it); the footer links
    the repository and kustomize's documentation of Go plugins."""
    config["site_url"] = facts.SITE_URL
    config["copyright"] = (
        f'Measured and published by <a href="{links.REPOSITORY_URL}">kustomize-plugin-matrix</a>'
        f' · <a href="{links.KUSTOMIZE_PLUGIN_DOCS}">kustomize\'s Go plugin documentation</a>'
    )
    return config


def on_page_content(html: str, page: Any, **kwargs: Any) -> str:
    """The ids inside a page's HTML blocks are anchors of the page (mkdocs checks links)."""
    ids = blocks.ACTIVE.anchors.get(page.file.src_uri) if blocks.ACTIVE is not None else None
    if ids and getattr(page, "present_anchor_ids", None) is not None:
        page.present_anchor_ids.update(ids)
    return html


def on_post_page(output: str, page: Any, **kwargs: Any) -> str:
    """Put a page's HTML blocks back as mkdocs writes it."""
    return blocks.ACTIVE.fill(page.file.src_uri, output) if blocks.ACTIVE is not None else output


def on_post_build(**kwargs: Any) -> None:
    if blocks.ACTIVE is not None:
        blocks.ACTIVE.close()
        blocks.ACTIVE = None


on_build_error = on_post_build

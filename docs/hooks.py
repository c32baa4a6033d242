"""mkdocs hooks (listed under `hooks:` in mkdocs.yml): they live in matrix.site.hooks."""

from matrix.site.hooks import on_build_error, on_config, on_page_content, on_post_build, on_post_page

__all__ = ["on_build_error", "on_config", "on_page_content", "on_post_build", "on_post_page"]

"""Run by the mkdocs-gen-files plugin at build time: every generated page goes into the
build's virtual docs folder (never into docs/). All the work is in matrix.site."""

from __future__ import annotations

from pathlib import Path

import mkdocs_gen_files

from matrix import site

project = Path(mkdocs_gen_files.config["config_file_path"]).parent


def write(path: str, content: str | bytes) -> None:
    if isinstance(content, bytes):
        with mkdocs_gen_files.open(path, "wb") as fb:
            fb.write(content)
    else:
        with mkdocs_gen_files.open(path, "w", encoding="utf-8") as ft:
            ft.write(content)


site.generate(write, site.data_dir(project))

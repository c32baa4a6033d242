"""Run by the mkdocs-gen-files plugin at build time: every generated page goes into the
build's virtual docs folder (never into docs/). All the work is in matrix.site.build.
(The mkdocs hooks are another file: docs/hooks.py.)"""

from __future__ import annotations

from pathlib import Path

from matrix.site import build as site


class GenFiles:
    """Files in the build's virtual docs folder."""

    def write(self, path: str, content: str | bytes) -> None:
        import mkdocs_gen_files

        if isinstance(content, bytes):
            with mkdocs_gen_files.open(path, "wb") as fb:
                fb.write(content)
        else:
            with mkdocs_gen_files.open(path, "w", encoding="utf-8") as ft:
                ft.write(content)

    def file(self, path: str) -> Path | None:
        import mkdocs_gen_files

        with mkdocs_gen_files.open(path, "wb") as f:  # registered now, filled by another process
            return Path(f.name)


if __name__ == "<run_path>":  # run by mkdocs-gen-files
    import mkdocs_gen_files

    project = Path(mkdocs_gen_files.config["config_file_path"]).parent
    site.generate(GenFiles(), site.data_dir(project))

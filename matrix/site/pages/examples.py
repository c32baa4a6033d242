"""A worked example per kustomize release (examples/<release>.md, issue 14): a complete
plugin directory that builds and loads, made from a cell in which a Go plugin really
loaded into that release, and the same directory as an archive in the site
(examples/<release>/kustomize-<release>-plugin-example.tar.gz).

What comes from the cell's record, nothing else: the Go release that built kustomize
(its exact `go version`), its build environment and flags, the kustomize module it
was built from, and every module version it links (host.build.modules), which the
example's go.mod pins. The plugin's code is the same for every release
(templates/examples/main.go: the project's generator plugin, written for a reader).

The archive's files and the page's commands come from one place (`Example`), so
tests/test_examples.py can run exactly what the page says.
"""

from __future__ import annotations

import gzip
import io
import re
import shlex
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from matrix.core import facts
from matrix.dataset.mechanisms import version_key
from matrix.dataset.read import read_records
from matrix.site import render
from matrix.site.context import NATIVE, Context
from matrix.site.links import Links, release_src

INDEX_SRC = "examples/index.md"
GROUP, VERSION, KIND = "example.com", "v1", "GreetingGenerator"
MODULE = "example.com/greetinggenerator"
HOST_MODULE = "example.com/kustomize-host"
CONFIG = "greeting.yaml"
RESOURCE_NAME = "greeting"
DIRECT = ("sigs.k8s.io/kustomize/api", "sigs.k8s.io/yaml")  # what main.go imports
# The host's build environment that decides the package fingerprints (GOOS, GOARCH, CC:
# the example is built where it runs; GOTOOLCHAIN: replaced by the exact Go release).
ENV_KEYS = ("CGO_ENABLED", "GOFLAGS", "GOAMD64", "GOARM", "GO386", "GOEXPERIMENT")
MTIME = 946684800  # 2000-01-01: every archive entry's time (the bytes depend on the data only)
STEPS = {
    "go": "Use the Go release that built kustomize",
    "host": "Build kustomize with cgo",
    "plugin": "Build the plugin into the plugin home",
    "run": "Run kustomize with plugins enabled",
}
HOST_STEP = "host"  # the step the test replaces by the recorded host binary


@dataclass(frozen=True)
class Example:
    """Everything the page and the archive of one release say."""

    release: str
    cell: str  # the cell it is made from
    go: str  # go1.26.8
    go_version: str  # `go version go1.26.8 linux/amd64`
    platform: str
    host_module: str  # sigs.k8s.io/kustomize/kustomize/v5
    go_line: str  # the go directive of the host's go.mod ("" if none)
    api: str
    kyaml: str
    flags: tuple[str, ...]  # the host's build flags, given to both builds
    env: tuple[tuple[str, str], ...]  # exported before both builds
    modules: tuple[tuple[str, str], ...]  # every module the host links, sorted

    @property
    def root(self) -> str:
        return f"kustomize-{self.release}-plugin-example"

    @property
    def archive_name(self) -> str:
        return f"{self.root}.tar.gz"

    @property
    def src(self) -> str:
        return example_src(self.release)

    @property
    def archive_src(self) -> str:
        return f"examples/{self.release}/{self.archive_name}"

    @property
    def message(self) -> str:
        return f"Hello from a Go plugin built for kustomize {self.release} with {self.go}"

    @property
    def plugin_dir(self) -> str:
        return f"{GROUP}/{VERSION}/{KIND.lower()}"


def example_src(release: str) -> str:
    return f"examples/{release}.md"


# ---------------------------------------------------------------- which cell each release's example follows


def candidates(df: pd.DataFrame, ctx: Context) -> dict[str, list[str]]:
    """Per release in which a Go plugin loaded: the cells an example can follow, best
    first. A cell qualifies when a Go plugin (no scenario, the standard layout) loaded
    into a host of its own release, built by the same Go with the same flags, on one
    platform. Best: default flags, host pins, the generator, the reference Go release
    (else the newest Go), the native platform; ties go to the smallest cell id."""
    need = ["outcome", "plugin_mechanism", "plugin_scenario", "load_mode", "host_release", "plugin_release"]
    if df.empty or any(c not in df.columns for c in need):
        return {}
    d = df[
        (df["outcome"] == "loads")
        & (df["plugin_mechanism"] == "go-plugin")
        & (df["plugin_scenario"] == "")
        & (df["load_mode"] == "standard")
        & (df["host_release"] == df["plugin_release"])
        & (df["host_toolchain"] == df["plugin_toolchain"])
        & (df["host_variant"] == df["plugin_variant"])
        & (df["host_platform"] == df["plugin_platform"])
    ]
    ref_go = ctx.reference.get("toolchain", "")
    ref_plugin = ctx.reference.get("plugin", "generator")

    def key(r: Any) -> tuple[Any, ...]:
        go = str(r.host_go or r.host_toolchain)
        return (
            r.host_variant != "default",
            r.plugin_pins != "host",
            r.plugin_name != ref_plugin,
            r.host_toolchain != ref_go,
            tuple(-n for n in version_key(go)),
            r.host_platform != NATIVE,
            str(r.cell),
        )

    out: dict[str, list[str]] = {}
    for rel, g in d.groupby("host_release", sort=False):
        rows = sorted(g.itertuples(index=False), key=key)
        out[str(rel)] = [str(r.cell) for r in rows]
    return dict(sorted(out.items(), key=lambda kv: version_key(kv[0])))


def example_of(rec: dict[str, Any]) -> Example | None:
    """The example a record stands for (None: its host is not a kustomize CLI built from
    a module, or its record lacks what the example needs)."""
    host = rec.get("host") or {}
    build = host.get("build") or {}
    modules = build.get("modules") or {}
    tc = host.get("toolchain") or {}
    go = (tc.get("goenv") or {}).get("GOVERSION") or ""
    if host.get("kind") != "kustomize-cli" or not host.get("module") or not modules or not go:
        return None
    m = re.search(r"^go (\S+)\s*$", build.get("go_mod") or "", re.M)
    env = build.get("env") or {}
    return Example(
        release=str(host["release"]),
        cell=str(rec["cell"]),
        go=str(go),
        go_version=str(tc.get("version") or f"go version {go} {host.get('platform', '')}"),
        platform=str(host.get("platform") or ""),
        host_module=str(host["module"]),
        go_line=m.group(1) if m else "",
        api=str(host.get("api") or ""),
        kyaml=str(host.get("kyaml") or ""),
        flags=tuple(str(f) for f in host.get("flags") or ()),
        env=tuple((k, str(env[k])) for k in ENV_KEYS if env.get(k)),
        modules=tuple(sorted((str(k), str(v)) for k, v in modules.items())),
    )


def examples(df: pd.DataFrame, ctx: Context, data: Path) -> list[Example]:
    """One example per release in which a Go plugin loaded (release order), each from the
    best of its cells whose record has what an example needs."""
    out = []
    for cells in candidates(df, ctx).values():
        for cell in cells:
            ex = next((example_of(r) for r in read_records(data, [f"{cell}.json"])), None)
            if ex is not None:
                out.append(ex)
                break
    return out


# ---------------------------------------------------------------- the files


def main_go() -> str:
    return resources.files("matrix.site").joinpath("templates/examples/main.go").read_text(encoding="utf-8")


def go_mod(ex: Example) -> str:
    direct = [(m, v) for m, v in ex.modules if m in DIRECT]
    rest = [(m, v) for m, v in ex.modules if m not in DIRECT]
    lines = [
        f"// A kustomize Go plugin for kustomize {ex.release} as built by {ex.go}.",
        f"// Every requirement is pinned to the version kustomize {ex.release} links (what",
        "// `go version -m kustomize` lists): a package the plugin shares with kustomize",
        "// must be the very same, or the plugin does not load.",
        f"module {MODULE}",
        "",
    ]
    if ex.go_line:
        lines += [f"go {ex.go_line}", ""]
    if direct:
        lines += ["require (", *(f"\t{m} {v}" for m, v in direct), ")", ""]
    if rest:
        lines += ["require (", *(f"\t{m} {v} // indirect" for m, v in rest), ")", ""]
    return "\n".join(lines)


def host_go_mod(ex: Example) -> str:
    """The go.mod kustomize was built from in the cell (its module renamed)."""
    go = f"go {ex.go_line}\n\n" if ex.go_line else ""
    return f"module {HOST_MODULE}\n\n{go}require {ex.host_module} {ex.release}\n"


def kustomization(ex: Example) -> str:
    return (
        f"# kustomize runs the generator configured in {CONFIG}: its apiVersion and kind name\n"
        "# the Go plugin, found at <plugin home>/"
        f"{ex.plugin_dir}/{KIND}.so\n"
        f"generators:\n  - {CONFIG}\n"
    )


def config(ex: Example) -> str:
    return (
        f"apiVersion: {GROUP}/{VERSION}\nkind: {KIND}\nmetadata:\n  name: {RESOURCE_NAME}\n"
        f"message: {ex.message}\n"
    )


def expected_output(ex: Example) -> str:
    """What `kustomize build` prints when the plugin loaded (kustomize sorts the keys)."""
    return (
        f"apiVersion: v1\ndata:\n  message: {ex.message}\nkind: ConfigMap\n"
        f"metadata:\n  name: {RESOURCE_NAME}\n"
    )


def commands(ex: Example) -> dict[str, str]:
    """Each step's shell commands (run in the example's directory, one shell)."""
    # No go.sum comes with the example: -mod=mod lets go fill it (as in the recorded builds).
    env = {"GOTOOLCHAIN": ex.go, "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod", **dict(ex.env)}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    flags = "".join(f" {shlex.quote(f)}" for f in ex.flags)
    home = '"${XDG_CONFIG_HOME:-$HOME/.config}/kustomize/plugin/' + ex.plugin_dir + '"'
    return {
        "go": f"export {exports}\ngo version",
        "host": f"(cd host && go build{flags} -o ../kustomize {ex.host_module})",
        "plugin": (
            f'PLUGIN_DIR={home}\nmkdir -p "$PLUGIN_DIR"\n'
            f'go build -buildmode=plugin{flags} -o "$PLUGIN_DIR/{KIND}.so" .'
        ),
        "run": "./kustomize build --enable-alpha-plugins .",
    }


def readme(ex: Example) -> str:
    """The archive's README.md: the page's steps, as plain Markdown."""
    cmd = commands(ex)
    notes = {
        "go": f"`go version` must print `{ex.go_version}`: the plugin and kustomize must be built "
        "by the same Go release (GOTOOLCHAIN fetches it if your Go is another).",
        "host": "Official kustomize binaries are built without cgo and cannot load any Go plugin: "
        "build kustomize with the same Go, on the same machine (the module cache's path is part of "
        "each package's fingerprint unless both builds use -trimpath). This makes ./kustomize.",
        "plugin": "go.mod pins every module kustomize links; the .so goes where kustomize looks "
        f"for apiVersion {GROUP}/{VERSION}, kind {KIND}.",
        "run": "kustomize loads the plugin and prints what it generated:",
    }
    parts = [
        f"# A Go plugin for kustomize {ex.release}",
        "",
        f"A kustomize generator plugin that loads into kustomize {ex.release} built by {ex.go} "
        f"({ex.platform}), following cell {ex.cell} of the kustomize Go plugin compatibility "
        "matrix, in which a Go plugin built this way loaded.",
        "",
        "Files: `main.go` (the plugin), `go.mod` (pinned to kustomize's modules), "
        f"`kustomization.yaml` and `{CONFIG}` (the plugin's config), `host/go.mod` "
        "(what kustomize is built from).",
        "",
    ]
    for n, (step, title) in enumerate(STEPS.items(), 1):
        parts += [f"## {n}. {title}", "", notes[step], "", "```sh", cmd[step], "```", ""]
    site = Links(ex.src, base=facts.SITE_URL)
    parts += [
        "Output:",
        "",
        "```yaml",
        expected_output(ex).rstrip("\n"),
        "```",
        "",
        f"- This example on the site: {site.md(ex.src)}",
        f"- The cell it follows: {site.cell_md(ex.cell)}",
        f"- If kustomize prints an error instead, its page is among {facts.ERRORS_URL}",
        "",
    ]
    return "\n".join(parts)


def files(ex: Example) -> dict[str, str]:
    """The example's files by path inside its directory."""
    return {
        "README.md": readme(ex),
        "go.mod": go_mod(ex),
        "main.go": main_go(),
        "kustomization.yaml": kustomization(ex),
        CONFIG: config(ex),
        "host/go.mod": host_go_mod(ex),
    }


def archive(ex: Example) -> bytes:
    """The example as a .tar.gz of its directory: the same bytes for the same example
    (entries sorted, fixed times, owner and modes, no file name or time in the gzip header)."""
    entries = {f"{ex.root}/{p}": t.encode("utf-8") for p, t in files(ex).items()}
    dirs = {ex.root} | {p.rsplit("/", 1)[0] for p in entries}
    buf = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar,
    ):
        for name in sorted(dirs | set(entries)):
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = MTIME, 0, 0, "", ""
            if name in entries:
                info.mode, info.size = 0o644, len(entries[name])
                tar.addfile(info, io.BytesIO(entries[name]))
            else:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
    return buf.getvalue()


# ---------------------------------------------------------------- the pages


def tree(ex: Example) -> str:
    """The example's directory as `tree` draws it."""
    paths = list(files(ex))
    items: list[tuple[str, list[str]]] = [(p, []) for p in paths if "/" not in p]
    for d in dict.fromkeys(p.split("/", 1)[0] for p in paths if "/" in p):
        items.append((d + "/", [p.split("/", 1)[1] for p in paths if p.startswith(d + "/")]))
    lines = [f"{ex.root}/"]
    for i, (name, inside) in enumerate(items):
        last = i == len(items) - 1
        lines.append(("└── " if last else "├── ") + name)
        lines += [
            ("    " if last else "│   ") + ("└── " if j == len(inside) - 1 else "├── ") + f
            for j, f in enumerate(inside)
        ]
    return "\n".join(lines)


def page(ex: Example, size: int) -> str:
    fs = files(ex)
    return render.page(
        "examples/example.md.j2",
        f"A Go plugin for kustomize {ex.release}",
        description=f"A complete kustomize Go plugin that loads into kustomize {ex.release}, with the exact commands",
        links=Links(ex.src),
        ex=ex,
        steps=[(n, key, title, commands(ex)[key]) for n, (key, title) in enumerate(STEPS.items(), 1)],
        files=[(p, fs[p]) for p in ("main.go", "go.mod", "kustomization.yaml", CONFIG, "host/go.mod")],
        output=expected_output(ex),
        size=size,
        kind=KIND,
        group=GROUP,
        version=VERSION,
        tree=tree(ex),
        release_src=release_src(ex.release),
    )


def index_page(exs: Iterable[Example], sizes: dict[str, int]) -> str:
    return render.page(
        "examples/index.md.j2",
        "Worked examples per release",
        description="A complete kustomize Go plugin per kustomize release, measured to load",
        links=Links(INDEX_SRC),
        examples=list(exs),
        sizes=sizes,
        kind=KIND,
    )


def pages(put: Callable[[str, str | bytes], None], df: pd.DataFrame, ctx: Context, data: Path) -> None:
    """Write every example's page and archive, and their index."""
    exs = examples(df, ctx, data)
    sizes = {}
    for ex in exs:
        blob = archive(ex)
        sizes[ex.release] = len(blob)
        put(ex.archive_src, blob)
        put(ex.src, page(ex, len(blob)))
    put(INDEX_SRC, index_page(exs, sizes))

"""The grid's inputs (data/grid.toml) and the cells a profile expands to.

A profile is a sweep: a baseline cell for every (release, host toolchain, plugin
toolchain, plugin), then each axis changes one thing against the profile's
reference cell, so every axis has pairs of cells identical but for that axis.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from matrix import UserError
from matrix.core import schema

NATIVE = "linux/amd64"
PLUGINS_DIR = Path(__file__).parents[1] / "plugins"

# How kustomize runs a plugin: a Go plugin (.so opened in its process), a legacy exec
# plugin (an executable in the plugin home, config file as first argument), or an exec
# KRM function (a program named by the config's `config.kubernetes.io/function`
# annotation, run with `--enable-exec`, speaking ResourceLists on stdin/stdout).
GO_PLUGIN = "go-plugin"
MECHANISMS = (GO_PLUGIN, "exec", "krm-function")

# How a scenario lays out and runs a load (see `[scenarios]` in data/grid.toml).
STANDARD = "standard"
LOAD_MODES = (
    STANDARD,
    "no-alpha-flag",  # `kustomize build` without --enable-alpha-plugins
    "no-exec-flag",  # a KRM function run without --enable-exec
    "no-plugin-home",  # no plugin home directory exists
    "misplaced",  # the plugin file under <Kind>/ instead of <lowercase kind>/
    "not-executable",  # an exec plugin (or KRM function) file without the executable bit
    "library-absent",  # a cgo plugin's C library not installed beside it
    "library-other-version",  # another version of that C library installed beside it
    "wrong-list",  # the plugin listed under the other list (a transformer under generators:)
    "together",  # the plugin and the scenario's `with` plugins in one kustomization
)


@dataclass(frozen=True)
class HostSpec:
    release: str
    toolchain: str
    variant: str = "default"
    platform: str = NATIVE


@dataclass(frozen=True)
class PluginSpec:
    plugin: str
    release: str  # whose module versions the plugin's go.mod pins
    toolchain: str
    pins: str = "host"
    variant: str = "default"
    platform: str = NATIVE
    mechanism: str = GO_PLUGIN


@dataclass
class Cell:
    host: HostSpec
    plugin: PluginSpec
    axes: list[str] = field(default_factory=list)
    scenario: str | None = None  # a `[scenarios]` entry: how the load is laid out and run

    @property
    def id(self) -> str:
        return cell_id(self.host, self.plugin, self.scenario)


def cell_id(host: HostSpec, plugin: PluginSpec, scenario: str | None = None) -> str:
    """A stable hash of the cell's inputs. Fields added later (the mechanism, the
    scenario) enter the key only when they differ from what every older cell had, so the
    ids (and permalinks) of existing cells stay the same."""
    p = asdict(plugin)
    if p["mechanism"] == GO_PLUGIN:
        del p["mechanism"]
    doc: dict[str, Any] = {"host": asdict(host), "plugin": p}
    if scenario is not None:
        doc["scenario"] = scenario
    key = json.dumps(doc, sort_keys=True)
    return "c" + hashlib.sha256(key.encode()).hexdigest()[:12]


@dataclass
class Grid:
    path: Path
    doc: dict[str, Any]

    @property
    def toolchains(self) -> dict[str, Any]:
        return self.doc["toolchains"]  # type: ignore[no-any-return]

    @property
    def releases(self) -> dict[str, Any]:
        return self.doc["releases"]  # type: ignore[no-any-return]

    @property
    def plugins(self) -> dict[str, Any]:
        return self.doc["plugins"]  # type: ignore[no-any-return]

    @property
    def variants(self) -> dict[str, Any]:
        return self.doc["variants"]  # type: ignore[no-any-return]

    @property
    def pins(self) -> dict[str, Any]:
        return self.doc["pins"]  # type: ignore[no-any-return]

    @property
    def platforms(self) -> dict[str, Any]:
        return self.doc["platforms"]  # type: ignore[no-any-return]

    @property
    def profiles(self) -> dict[str, Any]:
        return self.doc["profiles"]  # type: ignore[no-any-return]

    @property
    def scenarios(self) -> dict[str, Any]:
        return self.doc.get("scenarios", {})  # type: ignore[no-any-return]

    def plugin_source(self, name: str, mechanism: str = GO_PLUGIN) -> Path:
        """A plugin's source directory for a mechanism (`source` for the Go plugin, its
        `mechanisms` table for the others): relative paths are under the package's plugins/."""
        pdef = self.plugins[name]
        src = Path(pdef["source"] if mechanism == GO_PLUGIN else pdef["mechanisms"][mechanism])
        return src if src.is_absolute() else PLUGINS_DIR / src

    def mechanisms_of(self, name: str) -> list[str]:
        """The mechanisms a plugin has sources for (always the Go plugin first)."""
        return [GO_PLUGIN, *(m for m in MECHANISMS[1:] if m in self.plugins[name].get("mechanisms", {}))]

    def renamed_cells(self, profile: str) -> dict[str, str]:
        """Old cell id -> cell id, for the profile's cells whose toolchains were renamed
        (a toolchain's `aliases`: the id it had before): old permalinks keep working."""
        before = {t: spec.get("aliases", [])[:1] for t, spec in self.toolchains.items()}
        out: dict[str, str] = {}
        for c in self.cells(profile):
            h = before.get(c.host.toolchain) or [c.host.toolchain]
            p = before.get(c.plugin.toolchain) or [c.plugin.toolchain]
            old = cell_id(replace(c.host, toolchain=h[0]), replace(c.plugin, toolchain=p[0]), c.scenario)
            if old != c.id:
                out[old] = c.id
        return out

    def previous_release(self, release: str) -> str | None:
        """The release before `release` in grid order (releases are listed oldest first)."""
        names = list(self.releases)
        i = names.index(release)
        return names[i - 1] if i > 0 else None

    def cells(
        self, profile: str, releases: list[str] | None = None, toolchains: list[str] | None = None
    ) -> list[Cell]:
        prof = self.profiles.get(profile)
        if prof is None:
            raise UserError(
                f"unknown profile {profile!r}{_suggest(profile, self.profiles)}; "
                f"known: {', '.join(self.profiles)}"
            )
        for r in releases or []:
            if r not in self.releases:
                raise UserError(
                    f"unknown kustomize version {r!r}{_suggest(r, self.releases)}; "
                    f"{self.path} knows: {', '.join(self.releases)}"
                )
        for t in toolchains or []:
            if t not in self.toolchains:
                raise UserError(
                    f"unknown toolchain {t!r}{_suggest(t, self.toolchains)}; "
                    f"{self.path} knows: {', '.join(self.toolchains)}"
                )
        cells = _expand(self, prof)
        if releases:
            cells = [c for c in cells if c.host.release in releases]
        if toolchains:
            cells = [c for c in cells if c.host.toolchain in toolchains and c.plugin.toolchain in toolchains]
        return cells


def _expand(grid: Grid, prof: dict[str, Any]) -> list[Cell]:
    out: dict[str, Cell] = {}

    def add(axis: str, host: HostSpec, plugin: PluginSpec, scenario: str | None = None) -> None:
        cell = out.setdefault(cell_id(host, plugin, scenario), Cell(host, plugin, scenario=scenario))
        if axis not in cell.axes:
            cell.axes.append(axis)

    for rel in prof["releases"]:
        for th in prof["toolchains"]:
            for tp in prof["toolchains"]:
                for p in prof["plugins"]:
                    add("baseline", HostSpec(rel, th), PluginSpec(p, rel, tp))

    ref = prof["reference"]
    rel, tc, plug = ref["release"], ref["toolchain"], ref["plugin"]
    host0, plugin0 = HostSpec(rel, tc), PluginSpec(plug, rel, tc)
    add("baseline", host0, plugin0)
    axes = prof["axes"]
    for name, v in grid.variants.items():
        if name == "default" or v.get("from_host"):
            continue
        on_host = "host" in v["applies"] and "host-variant" in axes
        on_plugin = "plugin" in v["applies"] and "plugin-variant" in axes
        both = "host" in v["applies"] and "plugin" in v["applies"] and "matched-variant" in axes
        hv, pv = HostSpec(rel, tc, variant=name), PluginSpec(plug, rel, tc, variant=name)
        if on_host:
            add("host-variant", hv, plugin0)
        if on_plugin:
            add("plugin-variant", host0, pv)
        if both:
            add("matched-variant", hv, pv)
    if "pins" in axes:
        for name, pin in grid.pins.items():
            if name == "host" or pin.get("from_host"):
                continue
            # A replaced third-party module only matters to a plugin that imports it.
            p = "thirdparty" if pin.get("replace") and "thirdparty" in grid.plugins else plug
            add("pins", host0, PluginSpec(p, rel, tc, pins="host"))
            add("pins", host0, PluginSpec(p, rel, tc, pins=name))
            if name == "api-other":  # isolates the api version from the kustomize-module pin
                add("pins", host0, PluginSpec(p, rel, tc, pins="api-only"))
    if "platform" in axes:
        for plat, pdef in grid.platforms.items():
            if plat == NATIVE:
                continue
            hp, pp = HostSpec(rel, tc, platform=plat), PluginSpec(plug, rel, tc, platform=plat)
            add("platform", hp, pp)
            if pdef.get("emulator") or pdef.get("loader"):  # runnable here: the cross pairs too
                add("platform", host0, pp)
                add("platform", hp, plugin0)
    if "pins" in axes:  # the pins on other hosts too: e.g. vendored on both sides
        for hv in prof.get("pin_hosts", []):
            for name, pin in grid.pins.items():
                if name != "host" and not pin.get("from_host") and not pin.get("replace"):
                    add("pins", HostSpec(rel, tc, variant=hv), PluginSpec(plug, rel, tc, pins=name))
    if "recipe" in axes:
        # Every host of the profile gets a plugin built by the recipe read from its file.
        for host in sorted({c.host for c in out.values()}, key=lambda h: asdict(h).__repr__()):
            add(
                "recipe",
                host,
                PluginSpec(
                    plug,
                    host.release,
                    host.toolchain,
                    pins="recipe",
                    variant="recipe",
                    platform=host.platform,
                ),
            )
    if "upgrade" in axes:
        # The reference plugin built for release A (its go.mod pins A's modules) in a host
        # of release B, every ordered pair; and built by Go X in a host built by Go Y, for
        # every release (those are baseline cells too). Both directions of each.
        rels, tcs = prof["releases"], prof["toolchains"]
        for a in rels:
            for b in rels:
                if a != b:
                    add("upgrade", HostSpec(b, tc), PluginSpec(plug, a, tc))
        for r in rels:
            for x in tcs:
                for y in tcs:
                    if x != y:
                        add("upgrade", HostSpec(r, y), PluginSpec(plug, r, x))
    _twin_mechanisms(grid, prof, out, add)
    for name in prof.get("scenarios", []):
        sc = grid.scenarios[name]
        r, t = sc.get("release", rel), sc.get("toolchain", tc)
        for m in sc.get("mechanisms", [GO_PLUGIN]):
            add("scenario", HostSpec(r, t), PluginSpec(sc["plugin"], r, t, mechanism=m), name)
    return sorted(out.values(), key=lambda c: c.id)


# The axes whose cells are measured for every mechanism of a profile: the same hosts,
# Go releases, flags, platforms and upgrades. Pins and recipes are about Go plugins.
TWIN_AXES = ("baseline", "host-variant", "plugin-variant", "matched-variant", "platform", "upgrade")


def _twin_mechanisms(grid: Grid, prof: dict[str, Any], out: dict[str, Cell], add: Any) -> None:
    """Each Go-plugin cell of TWIN_AXES again with every other mechanism of the profile
    that the plugin has sources for (on `mechanism_platforms`, when the profile names them)."""
    plats = prof.get("mechanism_platforms")
    others = [m for m in prof.get("mechanisms", [GO_PLUGIN]) if m != GO_PLUGIN]
    for cell in list(out.values()):
        axes = [a for a in cell.axes if a in TWIN_AXES]
        if not axes or not others or cell.scenario is not None or cell.plugin.mechanism != GO_PLUGIN:
            continue
        if plats is not None and not {cell.host.platform, cell.plugin.platform} <= set(plats):
            continue
        for m in others:
            if m in grid.mechanisms_of(cell.plugin.plugin):
                for a in axes:
                    add(a, cell.host, replace(cell.plugin, mechanism=m))


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def load(path: Path) -> Grid:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UserError(f"{path}: cannot read the grid: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: byte {e.start}: not UTF-8 text ({e.reason})") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{path}: not valid TOML: {e}") from None
    schema.check(doc, "grid.schema.json", str(path))
    grid = Grid(path, doc)
    _check_references(grid)
    return grid


def _check_references(grid: Grid) -> None:
    problems = []
    for pname, prof in grid.profiles.items():
        for key, table in (
            ("releases", grid.releases),
            ("toolchains", grid.toolchains),
            ("plugins", grid.plugins),
        ):
            for item in prof[key]:
                if item not in table:
                    problems.append(
                        f"profiles.{pname}.{key}: unknown {key[:-1]} {item!r}{_suggest(item, table)}"
                    )
        ref = prof["reference"]
        for key, table in (
            ("release", grid.releases),
            ("toolchain", grid.toolchains),
            ("plugin", grid.plugins),
        ):
            if ref[key] not in table:
                problems.append(
                    f"profiles.{pname}.reference.{key}: unknown {key} {ref[key]!r}{_suggest(ref[key], table)}"
                )
    for vname, v in grid.variants.items():
        for plat in v.get("platforms", []):
            if plat not in grid.platforms:
                problems.append(f"variants.{vname}.platforms: unknown platform {plat!r}")
    for name in grid.plugins:
        for mech in grid.mechanisms_of(name):
            src = grid.plugin_source(name, mech)
            where = "source" if mech == GO_PLUGIN else f"mechanisms.{mech}"
            if not (src / "main.go").is_file():
                problems.append(f"plugins.{name}.{where}: no main.go in {src}")
    for sname, sc in grid.scenarios.items():
        for key, names in (("plugin", [sc["plugin"]]), ("with", sc.get("with", []))):
            for n in names:
                if n not in grid.plugins:
                    problems.append(
                        f"scenarios.{sname}.{key}: unknown plugin {n!r}{_suggest(n, grid.plugins)}"
                    )
        for key, table in (("release", grid.releases), ("toolchain", grid.toolchains)):
            if key in sc and sc[key] not in table:
                problems.append(
                    f"scenarios.{sname}.{key}: unknown {key} {sc[key]!r}{_suggest(sc[key], table)}"
                )
        if sc["plugin"] in grid.plugins:
            for m in sc.get("mechanisms", [GO_PLUGIN]):
                if m not in grid.mechanisms_of(sc["plugin"]):
                    problems.append(
                        f"scenarios.{sname}.mechanisms: plugin {sc['plugin']!r} has no {m} source"
                    )
        if sc.get("mode") == "together" and not sc.get("with"):
            problems.append(f"scenarios.{sname}.with: mode 'together' needs the plugins to load with")
    for pname, prof in grid.profiles.items():
        for sname in prof.get("scenarios", []):
            if sname not in grid.scenarios:
                problems.append(
                    f"profiles.{pname}.scenarios: unknown scenario {sname!r}{_suggest(sname, grid.scenarios)}"
                )
        for plat in prof.get("mechanism_platforms", []):
            if plat not in grid.platforms:
                problems.append(f"profiles.{pname}.mechanism_platforms: unknown platform {plat!r}")
    if problems:
        raise UserError("\n".join(f"{grid.path}: {p}" for p in problems))

"""The main job: expand the grid, build what is missing, load every cell, record it."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import shutil
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from matrix import UserError, __version__
from matrix.core import facts, records
from matrix.core import grid as gridmod
from matrix.core.grid import GO_PLUGIN, STANDARD, Cell, Grid
from matrix.diagnose.classify import classify_record
from matrix.measure import placeholders, toolchains
from matrix.measure import shard as shardmod
from matrix.measure.build import TRANSIENT, Artifact, Builder, default_cache_dir, transient
from matrix.measure.buildplan import sources_digest
from matrix.measure.load import Piece, installed_companions, run_load, runner_provenance, timeout_for
from matrix.measure.sandbox import clean_stale_cells
from matrix.measure.toolchains import shared_caches


@dataclass
class Summary:
    cells: int = 0
    reused: int = 0
    measured: int = 0
    go_builds: int = 0
    artifacts_built: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    per_host: dict[tuple[str, ...], Counter[str]] = field(default_factory=dict)


@contextlib.contextmanager
def data_lock(data: Path, wait: bool = True) -> Iterator[None]:
    """One run per data directory: a second run waits (or refuses) instead of interleaving."""
    data.mkdir(parents=True, exist_ok=True)
    f = (data / ".matrix.lock").open("a+")
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise UserError(
                    f"{data}: another plugin-matrix run holds {data / '.matrix.lock'}; try again when it ends"
                ) from None
            print(f"waiting for another plugin-matrix run to finish with {data} ...", file=sys.stderr)
            fcntl.flock(f, fcntl.LOCK_EX)
        yield
    finally:
        f.close()


def inputs_digest(g: Grid, cell: Cell, tcs: dict[str, toolchains.Toolchain]) -> str:
    """What decides a cell's result: reuse its record only while this stays the same."""
    src = g.plugin_source(cell.plugin.plugin, cell.plugin.mechanism)
    key: dict[str, Any] = {
        "format": records.RECORD_FORMAT,
        "host": asdict(cell.host),
        "plugin": asdict(cell.plugin),
        "host_go": tcs[cell.host.toolchain].version,
        "plugin_go": tcs[cell.plugin.toolchain].version,
        "sources": sources_digest(src),
        "grid": {
            "release": g.releases[cell.host.release],
            "pins": g.pins[cell.plugin.pins],
            "hv": g.variants[cell.host.variant],
            "pv": g.variants[cell.plugin.variant],
            "hp": g.platforms[cell.host.platform],
            "pp": g.platforms[cell.plugin.platform],
        },
    }
    # Added later: only where they are set, so the digests of older cells stay the same.
    pdef = {k: v for k, v in g.plugins[cell.plugin.plugin].items() if k != "description"}
    if set(pdef) - {"source", "kind"}:
        key["grid"]["plugin"] = pdef
    if cell.scenario is not None:
        sc = g.scenarios[cell.scenario]
        key["scenario"] = {
            "name": cell.scenario,
            "def": sc,  # all of it: its description and expected class are in the record too
            "with": {
                w: [g.plugins[w], sources_digest(g.plugin_source(w, cell.plugin.mechanism))]
                for w in sc.get("with", [])
            },
        }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def run(
    grid_path: Path,
    data: Path,
    profile: str,
    releases: list[str] | None = None,
    only_toolchains: list[str] | None = None,
    force: bool = False,
    cache_dir: Path | None = None,
    console: Console | None = None,
    wait_for_lock: bool = True,
    shard: str | None = None,
    load_timeout: float | None = None,
    remeasure: list[str] | None = None,
) -> Summary:
    console = console or Console(stderr=True)
    g = gridmod.load(grid_path)
    cells = g.cells(profile, releases, only_toolchains)
    if shard:
        cells = shardmod.select(cells, shard)
    again = set(remeasure or ())
    missing = sorted(again - {c.id for c in cells})
    if missing:
        raise UserError(
            f"--remeasure: no cell {', '.join(missing)} in profile {profile!r} (with the filters given)"
        )
    summary = Summary(cells=len(cells))
    with data_lock(data, wait_for_lock), timeout_for(load_timeout):
        # What a killed run left behind: half-written records, throw-away cell directories.
        records.clean_stale(data)
        clean_stale_cells()
        used = sorted({c.host.toolchain for c in cells} | {c.plugin.toolchain for c in cells})
        tcs = {t: toolchains.resolve_release(t, g.toolchains[t]) for t in used}
        for tc in tcs.values():
            if not tc.available:
                hint = f"; to install: {tc.install}" if tc.install else ""
                console.print(f"[yellow]note:[/] {tc.problem}: its cells are recorded as skipped{hint}")
        builder = Builder(g, tcs, cache_dir or default_cache_dir(), force=force)
        todo: list[tuple[Cell, str]] = []
        for cell in cells:
            digest = inputs_digest(g, cell, tcs)
            old = None if force or cell.id in again else records.read_existing(data, cell.id)
            if (
                old is not None
                and old["inputs"] == digest
                and old["axes"] == sorted(cell.axes)
                and not transient(old)
            ):
                summary.reused += 1
                _count(summary, old)
            else:
                todo.append((cell, digest))
        # Group by host so each host is built once and its cells follow one another.
        todo.sort(
            key=lambda t: (
                t[0].host.release,
                t[0].host.toolchain,
                t[0].host.variant,
                t[0].host.platform,
                t[0].id,
            )
        )
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[step]}"),
            console=console,
            disable=not todo,
        ) as progress:
            task = progress.add_task("cells", total=len(todo), step="")
            log = not console.is_terminal  # a log file gets one line per step instead of a bar

            def step(text: str) -> None:
                progress.update(task, step=text)
                if log:
                    done = int(progress.tasks[0].completed)
                    console.print(f"[{done}/{len(todo)}] {text}", highlight=False)

            builder.on_step = step
            for cell, digest in todo:
                rec = measure(g, cell, digest, builder, tcs)
                old = records.read_existing(data, cell.id)
                if old is not None and old["inputs"] == rec["inputs"]:  # other runners' results stay
                    rec["observations"] = records.merge_observations(
                        old["observations"], rec["observations"], remeasured=True
                    )
                records.write(data, rec)
                summary.measured += 1
                _count(summary, rec)
                progress.update(task, advance=1)
                step(f"{cell.id}: {rec['outcome']}")
        summary.go_builds = builder.go_builds
        summary.artifacts_built = len(builder.built)
    return summary


def _count(summary: Summary, rec: dict[str, Any]) -> None:
    summary.outcomes[rec["outcome"]] += 1
    h = rec["host"]
    key = (h["release"], h["toolchain"]["id"], h["variant"], h["platform"])
    summary.per_host.setdefault(key, Counter())[rec["outcome"]] += 1


def measure(
    g: Grid, cell: Cell, digest: str, builder: Builder, tcs: dict[str, toolchains.Toolchain]
) -> dict[str, Any]:
    hs, ps = cell.host, cell.plugin
    from_host = bool(g.pins[ps.pins].get("from_host"))
    sc = g.scenarios[cell.scenario] if cell.scenario is not None else None
    others: list[tuple[str, Artifact]] = []
    try:
        host = builder.host(hs)
        plugin = builder.recipe_plugin(ps, host) if from_host else builder.plugin(ps)
        for w in (sc or {}).get("with", []):
            others.append((w, builder.plugin(replace(ps, plugin=w))))
        outcome, reason, load = _outcome(g, cell, host, plugin, others)
    except (UserError, KeyboardInterrupt):
        raise
    except Exception as e:  # our bug: recorded as such (never as skew), and the run goes on
        where = traceback.extract_tb(e.__traceback__)[-1]
        reason = f"{type(e).__name__}: {e} (at {Path(where.filename).name}:{where.lineno})"
        host = Artifact("host", "", "skipped", reason="not reached: harness error")
        plugin = Artifact("plugin", "", "skipped", reason="not reached: harness error")
        outcome, load = "harness-error", None
    rel = g.releases[hs.release]
    hplat, pplat = g.platforms[hs.platform], g.platforms[ps.platform]
    pdef = g.plugins[ps.plugin]
    emulator = host_emulator(g, cell) if load is not None else None
    scenario = None
    if sc is not None:
        scenario = {
            "name": cell.scenario,
            "description": " ".join(sc["description"].split()),
            "mode": sc["mode"],
            "expect": sc.get("expect"),
            "with": [
                {
                    "name": w,
                    "kind": g.plugins[w]["kind"],
                    "key": art.key,
                    "status": art.status,
                    "sha256": art.sha256,
                }
                for w, art in others
            ],
        }
    record: dict[str, Any] = {
        "format": records.RECORD_FORMAT,
        "cell": cell.id,
        "inputs": digest,
        "axes": sorted(cell.axes),
        "outcome": outcome,
        "reason": reason,
        "host": {
            "kind": "kustomize-cli",
            "release": hs.release,
            "module": rel["module"],
            "api": host.modules.get("sigs.k8s.io/kustomize/api", rel["api"]),
            "kyaml": host.modules.get("sigs.k8s.io/kustomize/kyaml", rel["kyaml"]),
            "variant": hs.variant,
            "flags": g.variants[hs.variant].get("flags", []),
            "platform": hs.platform,
            "goos": hplat["goos"],
            "goarch": hplat["goarch"],
            "toolchain": tcs[hs.toolchain].provenance(),
            "build": host.provenance(),
        },
        "plugin": {
            "name": ps.plugin,
            "kind": pdef["kind"],
            "mechanism": ps.mechanism,
            "scenario": scenario,
            "release": ps.release,
            "pins": ps.pins,
            "api": plugin.modules.get("sigs.k8s.io/kustomize/api"),
            "kyaml": plugin.modules.get("sigs.k8s.io/kustomize/kyaml"),
            "variant": ps.variant,
            "flags": _built_flags(plugin) if from_host else g.variants[ps.variant].get("flags", []),
            "platform": ps.platform,
            "goos": pplat["goos"],
            "goarch": pplat["goarch"],
            "toolchain": tcs[ps.toolchain].provenance(),
            "sources": sources_digest(g.plugin_source(ps.plugin, ps.mechanism)),
            "build": plugin.provenance(),
        },
        "load": load,
        "class": None,
        "package": None,
        "doctor": _doctor(host, plugin, hplat, ps.mechanism, sc["mode"] if sc else STANDARD),
        "runner": runner_provenance(emulator, loader=bool(hplat.get("loader"))),
        "tool_version": __version__,
        "recorded_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }
    record["class"], record["package"] = classify_record(record)
    goroots = [tcs[t].goenv.get("GOROOT", "") for t in (hs.toolchain, ps.toolchain)]
    record = placeholders.scrub(record, placeholders.machine_paths(shared_caches(), goroots))
    record["observations"] = [observation(record)]
    return record


def observation(rec: dict[str, Any]) -> dict[str, Any]:
    """One measurement of a cell: its result and the runner that measured it."""
    load = rec.get("load") or {}
    return {
        "outcome": rec["outcome"],
        "class": rec.get("class"),
        "package": rec.get("package"),
        "exit_code": load.get("exit_code"),
        "signal": load.get("signal"),
        "timed_out": bool(load.get("timed_out")),
        "runner": rec["runner"],
        "resolved": {
            "host": rec["host"]["toolchain"].get("resolved"),
            "plugin": rec["plugin"]["toolchain"].get("resolved"),
        },
        "tool_version": rec["tool_version"],
        "recorded_at": rec["recorded_at"],
    }


# The load modes whose outcome the two files decide (with the libraries installed beside
# the plugin); the others change where the files are or how kustomize is run.
DOCTOR_MODES = (STANDARD, "library-absent", "library-other-version")


def _doctor(
    host: Artifact, plugin: Artifact, hplat: dict[str, Any], mechanism: str = GO_PLUGIN, mode: str = STANDARD
) -> dict[str, Any] | None:
    """The doctor's prediction from the two built files, as the load installs them (the
    plugin's companion libraries beside it); its failure never stops the run. None for an
    executable plugin (the doctor reads Go plugin files) and for a load mode that is not
    about the files."""
    if mechanism != GO_PLUGIN or mode not in DOCTOR_MODES:
        return None
    if hplat["goos"] != "linux" or not (
        host.path and plugin.path and Path(host.path).is_file() and Path(plugin.path).is_file()
    ):
        return None
    with contextlib.ExitStack() as stack:
        path = Path(plugin.path)
        libs = installed_companions(plugin.companion_files(), mode)
        if plugin.companions:  # a copy laid out as the load lays it out
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="plugin-matrix-doctor-")))
            shutil.copyfile(path, tmp / path.name)
            for name, src in libs:
                shutil.copyfile(src, tmp / name)
            path = tmp / path.name
        try:
            from matrix.diagnose.doctor import predict

            d = predict(Path(host.path), path)
            where = str(path.resolve().parent)  # keep machine paths out of records
            if d["message"]:
                d["message"] = d["message"].replace(where, "$PLUGIN_DIR")
            d["evidence"] = [e.replace(where, "$PLUGIN_DIR") for e in d["evidence"]]
            return d
        except Exception as e:
            return {"error": f"{type(e).__name__}: {e}"}
    return None  # not reached (mypy: ExitStack may swallow exceptions)


def _outcome(
    g: Grid, cell: Cell, host: Artifact, plugin: Artifact, others: list[tuple[str, Artifact]] | None = None
) -> tuple[str, str | None, dict[str, Any] | None]:
    arts = [host, plugin, *(a for _, a in others or [])]
    for art in arts:  # the host first: a plugin may depend on it (recipe)
        if art.status == "skipped":
            hint = f" (install with: {art.install})" if art.install else ""
            return "skipped", f"{art.kind}: {art.reason}{hint}", None
        if art.status == "failed":
            also = " (and the plugin did not either)" if art is host and plugin.status == "failed" else ""
            if TRANSIENT.search(art.output):
                also += (
                    " (the machine or the network failed, not the inputs: not cached, the next "
                    f"run tries again): `{' '.join(art.command[:2])}`: {_first_error(art.output)}"
                )
            return "build-failed", f"the {art.kind} did not build{also}", None
    hplat = g.platforms[cell.host.platform]
    emulator = host_emulator(g, cell)
    if emulator is None and cell.host.platform != shardmod.this_platform():
        prefix = hplat.get("loader") or hplat.get("emulator")
        if not prefix:
            return "not-run", f"needs {hplat.get('runner', cell.host.platform + ' runner')}", None
        pk = " ".join(hplat.get("packages", []))
        return "not-run", f"{prefix[0]} is not installed (apt-get install -y {pk})", None
    mech = cell.plugin.mechanism
    if mech != GO_PLUGIN and emulator is not None:
        how = "qemu-user" if hplat.get("emulator") else "its own dynamic loader"
        return (
            "not-run",
            f"needs a {cell.host.platform} runner: this runner runs the {cell.host.platform} host "
            f"through {how}, but the {mech} plugin is a program kustomize starts, which this "
            f"runner's kernel would start (or refuse) as {shardmod.this_platform()}, not as a "
            f"{cell.host.platform} machine would",
            None,
        )
    assert host.path
    assert plugin.path
    pdef = g.plugins[cell.plugin.plugin]
    sc = g.scenarios[cell.scenario] if cell.scenario is not None else {}
    r = run_load(
        Path(host.path),
        Path(plugin.path),
        cell.plugin.plugin,
        pdef["kind"],
        cell.id,
        emulator=emulator,
        timeout=pdef.get("timeout"),
        mechanism=mech,
        mode=sc.get("mode", STANDARD),
        companions=plugin.companion_files(),
        others=tuple(
            Piece(w, g.plugins[w]["kind"], Path(a.path or ""), mech, a.companion_files())
            for w, a in others or []
        ),
    )
    return r.outcome, None, r.as_record()


def _first_error(output: str) -> str:
    """The line of a build's output that says what went wrong (no network, disk full)."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    hit = next((ln for ln in lines if TRANSIENT.search(ln)), lines[-1] if lines else "")
    return hit[:300]


def _built_flags(art: Artifact) -> list[str]:
    """The flags of a plugin build command: `go build -buildmode=plugin FLAGS -o OUT TARGET`."""
    cmd = art.command
    return cmd[3 : cmd.index("-o")] if "-buildmode=plugin" in cmd and "-o" in cmd else []


def host_emulator(g: Grid, cell: Cell) -> list[str] | None:
    """The argv prefix that runs this cell's host here (an emulator, or the platform's own
    dynamic loader), or None: native, or it cannot run here."""
    if cell.host.platform == shardmod.this_platform():
        return None
    plat = g.platforms[cell.host.platform]
    prefix = plat.get("loader") or plat.get("emulator")
    return prefix if prefix and shutil.which(prefix[0]) else None


def summary_table(s: Summary) -> Table:
    cols = list(facts.OUTCOMES)
    t = Table(title=f"{s.cells} cells: {s.measured} measured now, {s.reused} already recorded")
    for c in ["release", "host toolchain", "variant", "platform", *cols]:
        t.add_column(c, justify="right" if c in cols else "left")
    for key in sorted(s.per_host):
        cnt = s.per_host[key]
        t.add_row(*key, *(str(cnt.get(c, 0) or "") for c in cols))
    t.add_row("all", "", "", "", *(str(s.outcomes.get(c, 0)) for c in cols), style="bold")
    t.caption = f"go build invocations: {s.go_builds}; distinct artifacts built: {s.artifacts_built}"
    return t

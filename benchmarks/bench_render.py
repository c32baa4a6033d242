"""Site speed: the render + `mkdocs build --strict` of the real dataset and of a SYNTHETIC
dataset of N cells (default 100,000), wall time and peak memory of the whole process tree.

    python benchmarks/bench_render.py --out benchmarks/results/render.json [--cells 100000]

The synthetic dataset is made in a temporary directory (never in data/) by cloning real
records from data/cells: every clone keeps the real texts of its template (error, stderr,
build output, go.mod) and gets new inputs drawn from larger, fake-but-plausible sets of
kustomize releases, Go toolchains, build variants, plugins, pins and platforms, so the
groupings the site makes (per release, toolchain, axis, error class, cell prefix) grow as
they would for a real grid of that size. Its cell ids are recomputed from those inputs.
It is labelled "synthetic" in the results. `--keep DIR` keeps (and reuses) it.

Each build runs in a fresh process (`python -m mkdocs build --strict`, the site's data
directory passed in PLUGIN_MATRIX_DATA); its memory is sampled from /proc every 50 ms as
the sum of the RSS of the process and all its descendants, and the largest single
process's peak is read from wait4() as well; the larger of the two is reported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from machine import describe

from matrix.core.records import RECORD_FORMAT
from matrix.diagnose.classify import classify_record

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
TARGET = {"wall_s": 60.0, "peak_rss_mib": 1536.0, "site_mib": 1024.0}  # issues 7 and 17, 100k cells
GENERATOR_VERSION = 3  # bump when the synthetic records change (invalidates --keep caches)

# ---------------------------------------------------------------- the machine


def versions() -> dict[str, str]:
    out = {}
    for mod in ("mkdocs", "material", "pandas", "pyarrow", "matplotlib", "markdown"):
        try:
            m = __import__(mod)
            out[mod] = str(getattr(m, "__version__", "?"))
        except ImportError:
            pass
    try:
        from importlib.metadata import version

        out["mkdocs-material"] = version("mkdocs-material")
    except Exception:
        pass
    return out


# ---------------------------------------------------------------- synthetic data

# Fake-but-plausible inputs: the real ones first, then more of the same kind.
RELEASES = {  # release -> (api, kyaml)
    "v4.5.7": ("v0.12.1", "v0.13.9"),
    "v5.0.1": ("v0.13.2", "v0.14.1"),
    "v5.3.0": ("v0.16.0", "v0.16.0"),
    "v5.4.3": ("v0.17.3", "v0.17.2"),
    "v5.5.0": ("v0.18.0", "v0.18.1"),
    "v5.6.0": ("v0.19.0", "v0.19.0"),
    "v5.7.1": ("v0.20.1", "v0.20.1"),
    "v5.8.2": ("v0.21.2", "v0.21.2"),
    "v5.8.3": ("v0.21.3", "v0.21.3"),
    "v5.9.0": ("v0.22.0", "v0.22.0"),
    "v5.9.1": ("v0.22.1", "v0.22.1"),
    "v5.10.0": ("v0.23.0", "v0.23.0"),
    "v5.10.2": ("v0.23.2", "v0.23.1"),
    "v5.11.0": ("v0.24.0", "v0.24.0"),
    "v5.11.1": ("v0.24.1", "v0.24.1"),
    "v5.12.0": ("v0.25.0", "v0.25.0"),
    "v5.12.3": ("v0.25.3", "v0.25.2"),
    "v5.13.0": ("v0.26.0", "v0.26.0"),
    "v5.14.1": ("v0.27.1", "v0.27.1"),
    "v5.15.0": ("v0.28.0", "v0.28.0"),
}
TOOLCHAINS = {  # id -> exact Go release (the grid names toolchains by exact release)
    "go1.26.8": "go1.26.8",
    "go1.27.3": "go1.27.3",
    "go1.19.8": "go1.19.8",
    "go1.20.14": "go1.20.14",
    "go1.21.13": "go1.21.13",
    "go1.22.12": "go1.22.12",
    "go1.23.11": "go1.23.11",
    "go1.24.9": "go1.24.9",
    "go1.25.5": "go1.25.5",
    "go1.28.0": "go1.28.0",
}
VARIANTS = {  # variant -> (flags, env)
    "default": ([], {}),
    "trimpath": (["-trimpath"], {}),
    "debug": (["-gcflags=all=-N -l"], {}),
    "race": (["-race"], {}),
    "stripped": (["-ldflags=-s -w"], {}),
    "goamd64v3": ([], {"GOAMD64": "v3"}),
    "pie": (["-buildmode=pie"], {}),
    "netgo": (["-tags=netgo"], {}),
    "asan": (["-asan"], {}),
}
HOST_ONLY = {
    "official": (["-ldflags=-s -w"], {"CGO_ENABLED": "0"}),
    "noplugin": (["-tags=kustomize_disable_go_plugin_support"], {}),
}
PLUGINS = {
    "generator": "generator",
    "transformer": "transformer",
    "thirdparty": "generator",
    "labeler": "transformer",
    "secretgen": "generator",
    "helmish": "generator",
    "k8sclient": "transformer",
}
PINS = ["host", "api-only", "api-other", "dep-other", "vendor", "files", "replace-all", "go-work"]
PLATFORMS = [
    "linux/amd64",
    "linux/arm64",
    "linux/386",
    "darwin/arm64",
    "freebsd/amd64",
    "linux/ppc64le",
    "linux/s390x",
    "windows/amd64",
]
NATIVE = "linux/amd64"


def candidates() -> list[tuple[str, ...]]:
    """Every (axis, release, host tc, plugin tc, plugin, host variant, plugin variant, pins,
    host platform, plugin platform) of a grid swept per release and toolchain: baselines on
    every platform, and each axis changed once per release, toolchain and plugin."""
    out: list[tuple[str, ...]] = []
    rels, tcs, plugins = list(RELEASES), list(TOOLCHAINS), list(PLUGINS)
    for rel in rels:
        for plugin in plugins:
            for h in tcs:
                for p in tcs:
                    for plat in PLATFORMS[:5]:
                        out.append(("baseline", rel, h, p, plugin, "default", "default", "host", plat, plat))
            for tc in tcs:
                for v in list(VARIANTS)[1:]:
                    out.append(("host-variant", rel, tc, tc, plugin, v, "default", "host", NATIVE, NATIVE))
                    out.append(("plugin-variant", rel, tc, tc, plugin, "default", v, "host", NATIVE, NATIVE))
                    out.append(("matched-variant", rel, tc, tc, plugin, v, v, "host", NATIVE, NATIVE))
                for v in HOST_ONLY:
                    out.append(("host-variant", rel, tc, tc, plugin, v, "default", "host", NATIVE, NATIVE))
                for pin in PINS[1:]:
                    out.append(("pins", rel, tc, tc, plugin, "default", "default", pin, NATIVE, NATIVE))
                for hp in PLATFORMS:
                    for pp in PLATFORMS:
                        if hp != pp:
                            out.append(
                                ("platform", rel, tc, tc, plugin, "default", "default", "host", hp, pp)
                            )
    return out


def _shape(rec: dict[str, Any]) -> tuple[str, bool]:
    axis = rec["axes"][-1] if rec["axes"] else "baseline"
    same_go = rec["host"]["toolchain"]["id"] == rec["plugin"]["toolchain"]["id"]
    return axis, same_go


def _sha(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _toolchain(tmpl: dict[str, Any], tc: str, goos: str, goarch: str) -> dict[str, Any]:
    go = TOOLCHAINS[tc]
    t = dict(tmpl)
    t["id"] = tc
    t["version"] = f"go version {go} {goos}/{goarch}"
    env = dict(t.get("goenv") or {})
    env.update({"GOVERSION": go, "GOOS": goos, "GOARCH": goarch})
    t["goenv"] = env
    return t


_HEX = re.compile(r"0x[0-9a-f]{5,}")
_STAMP = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ", re.M)


def clone(
    text: str,
    key: tuple[str, ...],
    rnd: random.Random,
    t0: float,
    classes: dict[str, tuple[str | None, str | None]],
) -> dict[str, Any]:
    """A real record (as JSON text) given the inputs `key`; its raw texts stay real, but
    addresses and log times in its stderr change as they do from one real load to another."""
    axis, rel, htc, ptc, plugin, hv, pv, pins, hplat, pplat = key
    rec: dict[str, Any] = json.loads(text)
    if text not in classes:  # as the runner does when it writes a record
        classes[text] = classify_record(rec)
    rec["class"], rec["package"] = classes[text]
    old_rel = rec["host"]["release"]
    api, kyaml = RELEASES[rel]
    rec["format"] = RECORD_FORMAT  # templates may predate a format bump
    rec["cell"] = "c" + _sha("synthetic", *key)[:12]
    rec["inputs"] = _sha("inputs", *key)
    rec["axes"] = [axis]
    for side, tc, variant, plat in (("host", htc, hv, hplat), ("plugin", ptc, pv, pplat)):
        s = rec[side]
        goos, goarch = plat.split("/")
        flags, env = VARIANTS.get(variant) or HOST_ONLY[variant]
        s.update(
            {
                "release": rel,
                "api": api,
                "kyaml": kyaml,
                "variant": variant,
                "flags": list(flags),
                "platform": plat,
                "goos": goos,
                "goarch": goarch,
            }
        )
        s["toolchain"] = _toolchain(s["toolchain"], tc, goos, goarch)
        b = s["build"]
        art = (side, rel, tc, variant, plat) + ((plugin, pins) if side == "plugin" else ())
        b["key"] = _sha("artifact", *art)
        if b["sha256"]:
            b["sha256"] = _sha("binary", *art)
        b["env"] = {**b["env"], "GOOS": goos, "GOARCH": goarch, **env}
        if b["go_mod"]:
            b["go_mod"] = b["go_mod"].replace(old_rel, rel)
    rec["host"]["module"] = (
        "sigs.k8s.io/kustomize/kustomize/v4"
        if rel.startswith("v4.")
        else "sigs.k8s.io/kustomize/kustomize/v5"
    )
    p = rec["plugin"]
    p["name"], p["kind"], p["pins"] = plugin, PLUGINS[plugin], pins
    p["sources"] = _sha("sources", plugin)
    when = time.gmtime(t0 + rnd.random() * 3 * 86400)
    rec["recorded_at"] = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", when)
    if rec.get("load") and rec["load"]["stderr"]:
        err = _HEX.sub(
            lambda m: "0x" + "".join(rnd.choice("0123456789abcdef") for _ in m.group(0)[2:]),
            rec["load"]["stderr"],
        )
        rec["load"]["stderr"] = _STAMP.sub(time.strftime("%Y/%m/%d %H:%M:%S ", when), err)
    if rec["outcome"] in ("loads", "fails") and rnd.random() < 0.5:
        observed = rec["outcome"]
        pred = observed if rnd.random() < 0.95 else ("fails" if observed == "loads" else "loads")
        rec["doctor"] = {
            "prediction": pred,
            "class": rec.get("class") if pred == "fails" else None,
            "package": rec.get("package") if pred == "fails" else None,
            "message": "synthetic prediction (bench_render.py)" if pred == "fails" else None,
            "link": None,
            "evidence": [f"host: {TOOLCHAINS[htc]}", f"plugin: {TOOLCHAINS[ptc]}"],
        }
    return rec


def synthetic_grid_toml(real: str) -> str:
    """The real grid.toml plus the fake releases, toolchains, variants, plugins, pins and
    platforms (so the site knows their order and descriptions)."""
    import tomllib

    have = tomllib.loads(real)
    extra = ["", "# ------------------------------------------------ synthetic (benchmarks/bench_render.py)"]
    for rel, (api, kyaml) in RELEASES.items():
        if rel not in have["releases"]:
            extra += [
                f'[releases."{rel}"]',
                'module = "sigs.k8s.io/kustomize/kustomize/v5"',
                f'api = "{api}"',
                f'kyaml = "{kyaml}"',
                "",
            ]
    for tc, go in TOOLCHAINS.items():
        if tc not in have["toolchains"]:
            extra += [f'[toolchains."{tc}"]', f'description = "synthetic: Go {go[2:]}"', ""]
    for v, (flags, _env) in {**VARIANTS, **HOST_ONLY}.items():
        if v not in have["variants"]:
            extra += [
                f'[variants."{v}"]',
                f"description = {json.dumps(' '.join(flags) or v)}",
                f"flags = {json.dumps(flags)}",
                'applies = ["host", "plugin"]',
                "",
            ]
    for name, kind in PLUGINS.items():
        if name not in have["plugins"]:
            extra += [
                f'[plugins."{name}"]',
                'source = "generator"',
                f'kind = "{kind}"',
                f'description = "synthetic plugin {name}"',
                "",
            ]
    for pin in PINS:
        if pin not in have["pins"]:
            extra += [f'[pins."{pin}"]', f'description = "synthetic pins {pin}"', ""]
    for plat in PLATFORMS:
        if plat not in have["platforms"]:
            goos, goarch = plat.split("/")
            extra += [
                f'[platforms."{plat}"]',
                f'goos = "{goos}"',
                f'goarch = "{goarch}"',
                f'runner = "a synthetic {plat} runner"',
                "",
            ]
    return real.rstrip("\n") + "\n" + "\n".join(extra) + "\n"


def make_synthetic(dest: Path, n: int, seed: int) -> dict[str, Any]:
    """N synthetic records in dest/cells, grid and catalog copied; returns a description."""
    sources = sorted((DATA / "cells").glob("c*.json"))
    texts = []
    for p in sources:
        try:
            texts.append(p.read_text())
        except OSError:
            continue  # a record being replaced by a running grid
    by_shape: dict[tuple[str, bool], list[str]] = {}
    by_axis: dict[str, list[str]] = {}
    for t in texts:
        rec = json.loads(t)
        by_shape.setdefault(_shape(rec), []).append(t)
        by_axis.setdefault(_shape(rec)[0], []).append(t)
    rnd = random.Random(seed)
    cands = candidates()
    rnd.shuffle(cands)
    if n > len(cands):
        raise SystemExit(f"--cells {n}: the synthetic grid has only {len(cands)} distinct cells")
    (dest / "cells").mkdir(parents=True)
    shutil.copy(DATA / "grid.toml", dest / "grid.toml")
    (dest / "grid.toml").write_text(synthetic_grid_toml((DATA / "grid.toml").read_text()))
    for name in ("errors.toml", "published-slugs.txt", "releases-go.toml"):
        if (DATA / name).is_file():
            shutil.copy(DATA / name, dest / name)
    t0 = time.mktime((2026, 11, 20, 0, 0, 0, 0, 0, 0))
    classes: dict[str, tuple[str | None, str | None]] = {}
    for key in cands[:n]:
        axis, same_go = key[0], key[2] == key[3]
        pool = (
            by_shape.get((axis, same_go)) or by_axis.get(axis) or by_shape.get(("baseline", same_go)) or texts
        )
        rec = clone(rnd.choice(pool), key, rnd, t0, classes)
        (dest / "cells" / f"{rec['cell']}.json").write_text(
            json.dumps(rec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )
    return {
        "synthetic": True,
        "cells": n,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "format": RECORD_FORMAT,
        "templates": len(texts),
        "releases": len(RELEASES),
        "toolchains": len(TOOLCHAINS),
        "variants": len(VARIANTS) + len(HOST_ONLY),
        "plugins": len(PLUGINS),
        "pins": len(PINS),
        "platforms": len(PLATFORMS),
        "how": "real records from data/cells cloned with new inputs (release, toolchains, "
        "variants, plugin, pins, platforms) drawn from larger fake-but-plausible sets; "
        "cell ids recomputed; raw error texts, stderr, build output and go.mod kept real "
        "(addresses and log times in stderr varied per cell, as between real loads; "
        "classes set as the runner sets them); "
        "half the loaded cells get a synthetic doctor prediction",
    }


def synthetic(n: int, seed: int, keep: Path | None, tmp: Path) -> tuple[Path, dict[str, Any]]:
    if keep is None:
        d = tmp / "synthetic-data"
        return d, make_synthetic(d, n, seed)
    manifest = keep / "synthetic.json"
    want = {"cells": n, "seed": seed, "generator_version": GENERATOR_VERSION, "format": RECORD_FORMAT}
    if manifest.is_file():
        desc = json.loads(manifest.read_text())
        if all(desc.get(k) == v for k, v in want.items()):
            return keep / "data", desc
    if keep.exists():
        shutil.rmtree(keep)
    keep.mkdir(parents=True)
    desc = make_synthetic(keep / "data", n, seed)
    manifest.write_text(json.dumps(desc, indent=2) + "\n")
    return keep / "data", desc


# ---------------------------------------------------------------- measuring a build


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        return " ".join(a.decode(errors="replace") for a in argv[1:5])[:80]
    except OSError:
        return "?"


def measure(data: Path, site_dir: Path) -> dict[str, Any]:
    """`mkdocs build --strict` of a site from DATA: wall time, peak memory, what it made."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGIN_MATRIX_")}
    env.update(
        {
            "PLUGIN_MATRIX_DATA": str(data),
            "NO_MKDOCS_2_WARNING": "1",
            "DISABLE_MKDOCS_2_WARNING": "true",
            "PYTHONHASHSEED": "0",
        }
    )
    cmd = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "-f",
        str(ROOT / "mkdocs.yml"),
        "--site-dir",
        str(site_dir),
    ]
    err = site_dir.parent / f"{site_dir.name}.stderr"
    load_before = round(os.getloadavg()[0], 2)
    peak = [0]
    at_peak: list[tuple[int, str]] = []
    with open(err, "w") as ferr:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=ferr)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                tree = [(_rss_kib(p), _name(p)) for p in _tree(proc.pid)]
                total = sum(r for r, _ in tree)
                if total > peak[0]:
                    peak[0] = total
                    at_peak[:] = tree
                done.wait(0.05)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        th.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = err.read_text(errors="replace")
    warnings = [ln for ln in stderr.splitlines() if re.match(r"\s*(WARNING|ERROR)\b", ln)]
    m = re.search(r"plugin-matrix: generated (\d+) files? from (\d+) cells in ([\d.]+) s \((.*)\)", stderr)
    kinds = re.search(r"plugin-matrix: seconds per kind of page: (.*)", stderr)
    files = [p for p in site_dir.rglob("*") if p.is_file()] if site_dir.is_dir() else []
    html = [p for p in files if p.suffix == ".html"]
    search = site_dir / "search" / "search_index.json"
    downloads = {
        p.name: p.stat().st_size
        for p in sorted((site_dir / "data").glob("*"))
        if p.name.startswith(("dataset.", "kustomize-plugin-matrix."))
    }
    return {
        "ok": proc.returncode == 0 and not warnings,
        "exit_status": proc.returncode,
        "load_average_1m": [load_before, round(os.getloadavg()[0], 2)],  # before, after: a shared machine
        "warnings": warnings[:20],
        "stderr_tail": stderr[-2000:] if proc.returncode else "",
        "wall_s": round(wall, 2),
        "render_s": float(m.group(3)) if m else None,
        "render_phases": m.group(4) if m else None,
        "render_seconds_per_page_kind": kinds.group(1) if kinds else None,
        "generated_files": int(m.group(1)) if m else None,
        "peak_rss_mib": round(max(peak[0], usage.ru_maxrss) / 1024, 1),
        "peak_tree_rss_sampled_mib": round(peak[0] / 1024, 1),
        "processes_at_peak": [f"{name}: {kib / 1024:.0f} MiB" for kib, name in at_peak],
        "max_process_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "html_pages": len(html),
        "cell_pages": sum(1 for p in html if p.parent.parent == site_dir / "cells"),
        "site_files": len(files),
        "site_mib": round(sum(p.stat().st_size for p in files) / 2**20, 1),
        "fits_github_pages_1gb": sum(p.stat().st_size for p in files) <= 2**30,
        "html_mib": round(sum(p.stat().st_size for p in html) / 2**20, 1),
        "largest_html_kib": round(max((p.stat().st_size for p in html), default=0) / 1024),
        "search_index_kib": round(search.stat().st_size / 1024) if search.is_file() else None,
        "downloads_bytes": downloads,
    }


def count_cells(data: Path) -> int:
    return sum(1 for _ in (data / "cells").glob("c*.json"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "render.json")
    ap.add_argument("--cells", type=int, default=100_000, help="synthetic cells (0: real dataset only)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="keep the synthetic data here and reuse it next time")
    ap.add_argument("--skip-real", action="store_true", help="measure the synthetic dataset only")
    ap.add_argument("--site", type=Path, help="build the sites here (kept) instead of a temporary dir")
    args = ap.parse_args()
    result: dict[str, Any] = {
        "benchmark": "render",
        "machine": describe(),
        "versions": versions(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "target_100k": TARGET,
        "what": "wall time and peak RSS (whole process tree, sampled every 50 ms) of `mkdocs build "
        "--strict`, which reads the dataset, renders every generated page (docs/gen_pages.py, "
        "in parallel shards) and builds the site; render_s is the generation part, as the "
        "build logs it; cpu_s the CPU time of the build and its child processes",
    }
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        t = Path(tmp)
        sites = args.site or t
        sites.mkdir(parents=True, exist_ok=True)
        if not args.skip_real:
            r = measure(DATA, sites / "site-real")
            r["cells"] = count_cells(DATA)
            r["synthetic"] = False
            result["real"] = r
            print(json.dumps({"real": r}, indent=2), flush=True)
        if args.cells:
            t0 = time.perf_counter()
            data, desc = synthetic(args.cells, args.seed, args.keep, t)
            made = round(time.perf_counter() - t0, 1)
            r = measure(data, sites / "site-synthetic")
            r["cells"] = count_cells(data)
            r["dataset"] = {**desc, "made_in_s": made}
            r["synthetic"] = True
            if args.cells >= 100_000:
                r["meets_target"] = (
                    r["ok"]
                    and r["wall_s"] <= TARGET["wall_s"]
                    and r["peak_rss_mib"] <= TARGET["peak_rss_mib"]
                    and r["site_mib"] <= TARGET["site_mib"]
                )
            result["synthetic"] = r
            print(json.dumps({"synthetic": r}, indent=2), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    ok = all(result[k]["ok"] for k in ("real", "synthetic") if k in result)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""How fast is the doctor? One real kustomize host + plugin pair from the artifact cache:

- doctor, cold: in-process cache cleared (read both files, hash, parse, predict);
- doctor, cached: the same pair again (files unchanged: stat, cache hit, predict);
- doctor, fresh process: `plugin-matrix doctor --json` (Python start-up and the imports of
  every command module included), and a fresh `python -c` calling matrix.diagnose.doctor.predict;
- one real load of the same pair: `kustomize build --enable-alpha-plugins` (matrix.measure.load);
- `go version -m HOST` (what reading the host's build info costs with Go's own tool).

    python benchmarks/bench_doctor.py --out benchmarks/results/doctor.json

The pair is taken from a recorded cell (data/cells) whose two artifacts are in the cache;
`--host` and `--plugin` choose another pair. Nothing is written to data/ or the cache.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import elftools
from machine import describe

from matrix.diagnose import doctor, elf
from matrix.measure.build import default_cache_dir
from matrix.measure.load import run_load


def find_pair(data: Path, cache: Path) -> tuple[Path, Path, dict[str, Any]]:
    """A recorded cell that loaded, newest release first, whose artifacts are cached."""
    best: tuple[tuple[str, ...], Path, Path, dict[str, Any]] | None = None
    for f in sorted((data / "cells").glob("*.json")):
        rec = json.loads(f.read_text())
        if rec.get("outcome") != "loads":
            continue
        h = cache / "artifacts" / f"host-{rec['host']['build']['key'][:20]}" / "kustomize"
        p = cache / "artifacts" / f"plugin-{rec['plugin']['build']['key'][:20]}" / "plugin.so"
        if not (h.is_file() and p.is_file()):
            continue
        key = (
            rec["host"]["release"],
            rec["host"]["variant"] == "default",
            rec["plugin"]["name"] == "generator",
            rec["host"]["toolchain"]["id"] == "local",
        )
        k = tuple(str(x) for x in key)
        if best is None or k > best[0]:
            best = (k, h, p, rec)
    if best is None:
        raise SystemExit(
            f"no recorded cell that loads has both artifacts in {cache}/artifacts; "
            "run the grid first or pass --host and --plugin"
        )
    return best[1], best[2], best[3]


def timed(fn: Any, n: int) -> dict[str, float]:
    xs = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        xs.append(time.perf_counter() - t)
    return {
        "n": n,
        "median_s": round(statistics.median(xs), 4),
        "min_s": round(min(xs), 4),
        "max_s": round(max(xs), 4),
    }


def machine() -> dict[str, Any]:
    return {**describe(), "pyelftools": elftools.__version__}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/doctor.json"))
    ap.add_argument("--data", type=Path, default=Path("data"))
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--host", type=Path)
    ap.add_argument("--plugin", type=Path)
    ap.add_argument("--name", default="generator", help="plugin name for the real load (default generator)")
    ap.add_argument("--kind", default="generator", help="generator | transformer")
    ap.add_argument("-n", type=int, default=10, help="repetitions of the doctor runs")
    ap.add_argument("--loads", type=int, default=3, help="repetitions of the real load and go version -m")
    args = ap.parse_args()
    cell: dict[str, Any] = {}
    if args.host and args.plugin:
        host, plugin = args.host, args.plugin
    else:
        host, plugin, cell = find_pair(args.data, args.cache or default_cache_dir())
        args.name, args.kind = cell["plugin"]["name"], cell["plugin"]["kind"]

    def cold() -> None:
        elf.clear_cache()
        doctor.predict(host, plugin)

    res: dict[str, Any] = {
        "machine": machine(),
        "recorded_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "pair": {
            "host": str(host),
            "host_bytes": host.stat().st_size,
            "plugin": str(plugin),
            "plugin_bytes": plugin.stat().st_size,
            "cell": cell.get("cell"),
            "host_release": cell.get("host", {}).get("release"),
            "toolchain": cell.get("host", {}).get("toolchain", {}).get("id"),
        },
    }
    cold()
    res["prediction"] = doctor.predict(host, plugin)
    res["doctor_cold"] = timed(cold, args.n)
    doctor.predict(host, plugin)
    res["doctor_cached"] = timed(lambda: doctor.predict(host, plugin), args.n)
    exe = shutil.which("plugin-matrix")
    if exe:
        res["doctor_fresh_process"] = timed(
            lambda: subprocess.run(
                [exe, "doctor", str(host), str(plugin), "--json"], capture_output=True, check=False
            ),
            max(3, args.n // 3),
        )
    api = (
        "import sys; from pathlib import Path; from matrix.diagnose.doctor import predict; "
        "predict(Path(sys.argv[1]), Path(sys.argv[2]))"
    )
    res["doctor_fresh_python"] = timed(
        lambda: subprocess.run(
            [sys.executable, "-c", api, str(host), str(plugin)], capture_output=True, check=True
        ),
        max(3, args.n // 3),
    )
    outcomes: list[str] = []

    def real_load() -> None:
        r = run_load(host, plugin, args.name, args.kind, "bench")
        outcomes.append(r.outcome)

    res["real_load"] = timed(real_load, args.loads)
    res["real_load"]["outcomes"] = sorted(set(outcomes))
    go = shutil.which("go")
    if go:
        env = {**os.environ, "GOTOOLCHAIN": "local"}
        res["go_version_m"] = timed(
            lambda: subprocess.run(
                [go, "version", "-m", str(host)], capture_output=True, env=env, check=False
            ),
            args.loads,
        )
    res["speedup_vs_real_load"] = round(res["real_load"]["median_s"] / res["doctor_cold"]["median_s"], 1)
    res["target_s"] = 0.3
    res["meets_target"] = res["doctor_cold"]["median_s"] <= 0.3
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps({k: res[k] for k in res if k not in ("machine", "pair")}, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

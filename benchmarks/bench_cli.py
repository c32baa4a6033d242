"""How long does a `plugin-matrix` command take as a fresh process, as a user runs it?

Measured side by side in one run, each as a whole process (median of N):
- bare `python -c pass` (the floor any Python command pays);
- `plugin-matrix --help`;
- `plugin-matrix explain "plugin: not implemented"`;
- `plugin-matrix doctor HOST PLUGIN` on a real kustomize and plugin pair;
- `go version -m HOST` (what Go's own tool needs to read the host's build info);
- one real load of the same pair (`kustomize build --enable-alpha-plugins`, fresh process).

    python benchmarks/bench_cli.py --out benchmarks/results/cli.json

The pair comes from a recorded cell whose artifacts are in the artifact cache (as in
bench_doctor.py); without one, the doctor, `go version -m` and load rows say "not run"
and why. Targets (issue: each command imports only what it uses): --help and explain
within 0.1 s, doctor within 0.15 s.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_doctor import find_pair
from machine import describe

from matrix.measure.build import default_cache_dir
from matrix.measure.load import run_load

TARGETS = {"help": 0.1, "explain": 0.1, "doctor": 0.15}


def timed(fn: Callable[[], object], n: int) -> dict[str, Any]:
    fn()  # warm the page cache: every row is measured warm, the same way
    xs = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        xs.append(time.perf_counter() - t)
    return {"n": n, "median_s": round(statistics.median(xs), 4), "min_s": round(min(xs), 4)}


def run(argv: list[str], env: dict[str, str] | None = None) -> Callable[[], object]:
    def go() -> object:
        return subprocess.run(argv, capture_output=True, check=False, env=env, timeout=120)

    return go


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/cli.json"))
    ap.add_argument("--data", type=Path, default=Path("data"))
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("-n", type=int, default=20, help="repetitions per command (default 20)")
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "plugin-matrix")
    rows: dict[str, Any] = {
        "bare_python": timed(run([sys.executable, "-c", "pass"]), args.n),
        "help": timed(run([exe, "--help"]), args.n),
        "explain": timed(run([exe, "explain", "plugin: not implemented"]), args.n),
    }
    pair: dict[str, Any] = {}
    try:
        host, plugin, cell = find_pair(args.data, args.cache or default_cache_dir())
    except SystemExit as e:
        why = f"not run: {e}".replace(str(Path.home()), "~")  # no machine paths in results
        rows.update(doctor=why, go_version_m=why, real_load=why)
    else:
        pair = {
            "cell": cell["cell"],
            "host_release": cell["host"]["release"],
            "host_bytes": host.stat().st_size,
            "plugin_bytes": plugin.stat().st_size,
        }
        rows["doctor"] = timed(run([exe, "doctor", str(host), str(plugin)]), args.n)
        go = shutil.which("go")
        rows["go_version_m"] = (
            timed(run([go, "version", "-m", str(host)], {**os.environ, "GOTOOLCHAIN": "local"}), args.n)
            if go
            else "not run: no go on PATH"
        )
        name, kind = cell["plugin"]["name"], cell["plugin"]["kind"]
        rows["real_load"] = timed(lambda: run_load(host, plugin, name, kind, "bench"), max(3, args.n // 4))
    verdict = {
        k: {"target_s": t, "median_s": rows[k]["median_s"], "meets": rows[k]["median_s"] <= t}
        for k, t in TARGETS.items()
        if isinstance(rows.get(k), dict)
    }
    res = {
        "what": "wall time of whole processes, median of n after one warm-up run",
        "machine": describe(),
        "recorded_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "pair": pair,
        "commands": rows,
        "targets": verdict,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps({"commands": rows, "targets": verdict}, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

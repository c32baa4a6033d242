"""Grid speed: a cold run vs a no-op rerun, and the unavoidable builds vs wall time.

    python benchmarks/bench_grid.py [--profile default] [--cold] --out benchmarks/results/grid.json

Without --cold, only the no-op rerun is measured, against the committed data/ (copied
to a temporary directory, so nothing in the repository changes). With --cold, the
profile first runs from nothing: an empty data directory, an empty artifact cache and
an empty Go build cache (the module cache is kept: downloads are not builds).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine import describe  # noqa: E402  (benchmarks/machine.py, beside this script)

from matrix.core import records  # noqa: E402
from matrix.measure import runner  # noqa: E402


def timed_run(grid: Path, data: Path, profile: str, cache: Path) -> dict[str, object]:
    t0 = time.perf_counter()
    s = runner.run(grid, data, profile, cache_dir=cache)
    wall = time.perf_counter() - t0
    return {
        "wall_s": round(wall, 3),
        "cells": s.cells,
        "measured": s.measured,
        "reused": s.reused,
        "go_builds": s.go_builds,
        "artifacts_built": s.artifacts_built,
        "outcomes": dict(s.outcomes),
    }


def build_seconds(data: Path) -> float:
    """The sum over distinct artifacts of their recorded build time: the work no cache avoids."""
    seen: dict[str, float] = {}
    for rec in records.load_all(data):
        for side in ("host", "plugin"):
            b = rec[side]["build"]
            if b["key"]:
                seen[b["key"]] = b["duration_s"]
    return round(sum(seen.values()), 3)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="default")
    ap.add_argument("--cold", action="store_true", help="also measure a run from nothing (long)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "grid.json")
    args = ap.parse_args()
    result: dict[str, object] = {
        "benchmark": "grid",
        "profile": args.profile,
        "machine": describe(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with tempfile.TemporaryDirectory(prefix="bench-grid-") as tmp:
        t = Path(tmp)
        data = t / "data"
        if args.cold:
            data.mkdir()
            shutil.copy(ROOT / "data" / "grid.toml", data / "grid.toml")
            os.environ["GOCACHE"] = str(t / "gocache")  # inherited by every go command
            cache = t / "artifacts"
            result["cold"] = timed_run(data / "grid.toml", data, args.profile, cache)
            result["cold"]["sum_of_distinct_builds_s"] = build_seconds(data)  # type: ignore[index]
        else:
            shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns(".matrix.lock"))
            cache = t / "artifacts"  # empty: a no-op rerun must not need it
        result["noop"] = timed_run(data / "grid.toml", data, args.profile, cache)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(json.dumps(result, indent=2, sort_keys=True))
    noop = result["noop"]
    ok = noop["go_builds"] == 0 and noop["measured"] == 0  # type: ignore[index]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

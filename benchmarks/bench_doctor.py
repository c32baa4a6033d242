"""How fast is the doctor? One real kustomize host + plugin pair from the artifact cache:

- doctor, fresh process: `plugin-matrix doctor HOST PLUGIN --json`, median of N runs, as
  a person or a CI step runs it (Python start-up and imports included). Twice: with the
  environment as it is (here PYTHONDONTWRITEBYTECODE=1, so our modules are compiled on
  every start) and with bytecode cached (PYTHONPYCACHEPREFIX, what an installed package
  has);
- beside it, taking turns with it (so a change of the machine's load hits all alike): a
  bare `python -c pass` (the floor) and `go version -m HOST` (what reading the host's
  build info costs with Go's own tool); wall time and the child's CPU time;
- where the fresh process spends its time: `python -X importtime` (cumulative ms of the
  big imports) and the prediction itself;
- doctor in-process, cold (cache cleared) and cached (the same pair again);
- one real load of the same pair: `kustomize build --enable-alpha-plugins`
  (matrix.measure.load), when the plugin's name is known.

    python benchmarks/bench_doctor.py --out benchmarks/results/doctor.json

The pair is taken from a recorded cell (data/cells) whose two artifacts are in the cache;
`--host` and `--plugin` choose another pair. Nothing is written to data/ or the cache.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import elftools
from machine import describe

from matrix.diagnose import doctor, elf
from matrix.measure.build import default_cache_dir
from matrix.measure.load import run_load

TARGET_S = 0.15  # a fresh `plugin-matrix doctor` on a real pair
IMPORTS = ("matrix.cli", "matrix.diagnose.doctor", "elftools.elf.elffile")


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


def kustomize_release(host: Path) -> str | None:
    """The kustomize release a host was built from, read from its build info."""
    bi = elf.parse(host).buildinfo
    for m in ([bi.main] if bi and bi.main else []) + (bi.deps if bi else []):
        if m["path"].startswith("sigs.k8s.io/kustomize/kustomize"):
            return m["version"]
    return None


def timed(fn: Callable[[], object], n: int) -> dict[str, float]:
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


def fresh_round_robin(
    commands: dict[str, tuple[list[str], dict[str, str]]], n: int
) -> dict[str, dict[str, float]]:
    """Wall and CPU time (user + system, of the child) of each command as a new process,
    N times, taking turns: a machine whose load changes during the run slows every
    command alike, so the medians stay comparable."""
    wall: dict[str, list[float]] = {k: [] for k in commands}
    cpu: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(n):
        for name, (argv, env) in commands.items():
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(argv, capture_output=True, env=env, check=False, timeout=120)
            wall[name].append(time.perf_counter() - t)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return {
        name: {
            "n": n,
            "median_s": round(statistics.median(wall[name]), 4),
            "min_s": round(min(wall[name]), 4),
            "max_s": round(max(wall[name]), 4),
            "cpu_median_s": round(statistics.median(cpu[name]), 4),
        }
        for name in commands
    }


def doctor_argv() -> list[str]:
    """This interpreter's `plugin-matrix` (not whichever one PATH finds first)."""
    exe = Path(sys.executable).parent / "plugin-matrix"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "matrix"]


def import_times(doctor_args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Cumulative import time (ms) of the big imports of one doctor run (-X importtime),
    and the sum over every module imported ("all")."""
    cmd = [sys.executable, "-X", "importtime", "-m", "matrix", *doctor_args]
    err = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, timeout=120).stderr
    out: dict[str, float] = {}
    for m in re.finditer(r"import time:\s+\d+ \|\s+(\d+) \|\s+(\S+)$", err, re.M):
        if m.group(2) in IMPORTS:
            out[m.group(2)] = round(int(m.group(1)) / 1000, 1)
    out["all"] = round(sum(int(m) for m in re.findall(r"import time:\s+(\d+) \|", err)) / 1000, 1)
    return out


def machine() -> dict[str, Any]:
    return {
        **describe(),
        "pyelftools": elftools.__version__,
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/doctor.json"))
    ap.add_argument("--data", type=Path, default=Path("data"))
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--host", type=Path)
    ap.add_argument("--plugin", type=Path)
    ap.add_argument("--name", default="generator", help="plugin name for the real load (default generator)")
    ap.add_argument("--kind", default="generator", help="generator | transformer")
    ap.add_argument("-n", type=int, default=20, help="repetitions of each fresh process and doctor run")
    ap.add_argument("--loads", type=int, default=3, help="repetitions of the real load")
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
            "host": host.name,  # file names only: no path of this machine in results
            "host_bytes": host.stat().st_size,
            "plugin": plugin.name,
            "plugin_bytes": plugin.stat().st_size,
            "cell": cell.get("cell"),
            "host_release": cell.get("host", {}).get("release") or kustomize_release(host),
            "toolchain": cell.get("host", {}).get("toolchain", {}).get("id") or elf.parse(host).go_version,
        },
    }
    cold()
    res["prediction"] = doctor.predict(host, plugin)
    doctor_args = ["doctor", str(host), str(plugin), "--json"]
    argv = [*doctor_argv(), *doctor_args]
    env = dict(os.environ)
    go = shutil.which("go")
    res["load_average_1m_before"] = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="bench-doctor-pyc-") as pyc:
        cached = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached["PYTHONPYCACHEPREFIX"] = pyc
        subprocess.run(argv, capture_output=True, env=cached, check=False, timeout=120)  # writes the bytecode
        commands = {
            "doctor_fresh_process": (argv, env),
            "doctor_fresh_process_bytecode_cached": (argv, cached),
            "python_bare": ([sys.executable, "-c", "pass"], env),
        }
        if go:
            commands["go_version_m"] = ([go, "version", "-m", str(host)], {**env, "GOTOOLCHAIN": "local"})
        res.update(fresh_round_robin(commands, args.n))
        res["imports_ms_bytecode_cached"] = import_times(doctor_args, cached)
    res["imports_ms"] = import_times(doctor_args, env)
    res["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    res["doctor_cold"] = timed(cold, args.n)
    doctor.predict(host, plugin)
    res["doctor_cached"] = timed(lambda: doctor.predict(host, plugin), args.n)
    if args.loads:
        outcomes: list[str] = []

        def real_load() -> None:
            outcomes.append(run_load(host, plugin, args.name, args.kind, "bench").outcome)

        res["real_load"] = timed(real_load, args.loads)
        res["real_load"]["outcomes"] = sorted(set(outcomes))
        res["speedup_vs_real_load"] = round(
            res["real_load"]["median_s"] / res["doctor_fresh_process"]["median_s"], 1
        )
    res["target_s"] = TARGET_S
    res["meets_target"] = res["doctor_fresh_process"]["median_s"] <= TARGET_S
    res["meets_target_bytecode_cached"] = res["doctor_fresh_process_bytecode_cached"]["median_s"] <= TARGET_S
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps({k: res[k] for k in res if k not in ("machine", "pair", "prediction")}, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

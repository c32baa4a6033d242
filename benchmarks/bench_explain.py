"""How fast is `plugin-matrix explain`? Whole processes, as a user runs them:

- bare `python -c pass` (the floor any Python command pays);
- `plugin-matrix explain "plugin: not implemented"` (warm: the catalog and the cells
  index cached; cold: an empty cache directory, so the catalog is parsed and every
  recorded cell read and classified once);
- `plugin-matrix explain --json -` on a 10 MB log (a deterministic mix of ordinary log
  lines and every text of the public error corpus), with how many errors it reported;
  and on a 10 MB log of the same lines holding only the first 50 corpus texts, as a real
  failing log does (for scale: the target is the first log's);
- the same scan in-process (matrix.diagnose.classify.scan), without process start-up;
- `plugin-matrix explain TEXT` for the first corpus text no rule claims that the words
  model answers (it reads matrix/catalog/words.json).

Each row is the median of n runs after one warm-up run, wall clock and CPU time (user +
system of the child). The machine is shared: its load average is recorded, and CPU time
says what the command costs when it does not wait for a processor.

    python benchmarks/bench_explain.py --out benchmarks/results/explain.json

Bytecode: PYTHONDONTWRITEBYTECODE is removed from the children's environment, as in a
normal install (an installed package has its .pyc files).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
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

from machine import describe

from matrix.core.catalog import load_catalog
from matrix.diagnose.classify import classify, scan

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "public_errors.jsonl"
TARGETS = {"explain_warm": 0.1, "explain_guessed_warm": 0.1, "log_10mb": 1.0}
FEW = 50  # corpus texts in the second 10 MB log (no target of its own: the first one's is the target)
NOISE = [
    "{ts} INFO  controller reconciling Application {w}/{w}-{n} revision={h}",
    "{ts} DEBUG http request served method=GET path=/api/v1/applications status=200 duration={n}ms",
    "go: downloading github.com/{w}/{w} v1.{n}.{n}",
    "ok  \tgithub.com/{w}/{w}/pkg/{w}\t0.{n}s",
    "=== RUN   Test{W}{W}",
    "--- PASS: Test{W}{W} (0.0{n}s)",
    "#{n} [builder {n}/9] RUN go build -o /out/{w} ./cmd/{w}",
    "Step {n}/12 : COPY . /src",
    '{ts} level=info msg="sync finished" app={w} duration={n}ms',
    'time="{ts}" level=info msg="Generating manifests with kustomize build --enable-alpha-plugins" dir=/tmp/{h}',
    "{ts} WARN  plugin registry refresh took {n}ms (plugins loaded: {n})",
    "{ts} INFO  loading plugin {w} from /home/argocd/.config/kustomize/plugin/{w}.com/v1/{w}/{W}",
    "configmap/{w}-{n} configured",
    "  github.com/{w}/{w}.(*Server).Handle(...)",
]
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "kappa",
    "sigma",
    "omega",
    "sops",
    "ksops",
    "helm",
    "vault",
    "tyk",
    "nakama",
]


def make_log(size: int, seed: int = 7, texts_in: int | None = None) -> tuple[str, int]:
    """(a log of `size` characters, how many corpus texts are in it): every corpus text,
    or the first `texts_in` of them, spread evenly among ordinary log lines."""
    rnd = random.Random(seed)
    texts = [json.loads(ln)["text"] for ln in CORPUS.read_text(encoding="utf-8").splitlines() if ln.strip()]
    texts = texts[:texts_in] if texts_in is not None else texts
    every = max(1, (size // 120) // (len(texts) + 1))
    out, n, i, put = [], 0, 0, 0
    while n < size:
        i += 1
        if i % every == 0 and put < len(texts):
            t = texts[put]
            put += 1
        else:
            t = rnd.choice(NOISE).format(
                ts=f"2026-01-0{rnd.randint(1, 9)}T10:{rnd.randint(10, 59)}:{rnd.randint(10, 59)}Z",
                w=rnd.choice(WORDS),
                W=rnd.choice(WORDS).title(),
                n=rnd.randint(1, 999),
                h=f"{rnd.getrandbits(48):012x}",
            )
        out.append(t)
        n += len(t) + 1
    return "\n".join(out)[:size], put


def timed(fn: Callable[[], object], n: int) -> dict[str, Any]:
    fn()  # warm-up: page cache, bytecode, the explain caches
    wall, cpu = [], []
    for _ in range(n):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return {
        "n": n,
        "median_s": round(statistics.median(wall), 4),
        "min_s": round(min(wall), 4),
        "cpu_median_s": round(statistics.median(cpu), 4),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/explain.json"))
    ap.add_argument("--data", type=Path, default=ROOT / "data")
    ap.add_argument("-n", type=int, default=20, help="repetitions per command (default 20)")
    ap.add_argument("--log-mb", type=float, default=10.0)
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "plugin-matrix")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cold_cache = Path(tempfile.mkdtemp(prefix="bench-explain-"))
    text = "plugin: not implemented"

    def run(
        argv: list[str], extra: dict[str, str] | None = None, stdin: Path | None = None
    ) -> Callable[[], object]:
        def go() -> object:
            with open(stdin or os.devnull, "rb") as f:
                return subprocess.run(
                    argv, stdin=f, capture_output=True, check=False, env={**env, **(extra or {})}, timeout=300
                )

        return go

    def cold() -> object:
        shutil.rmtree(cold_cache, ignore_errors=True)
        return run(
            [exe, "explain", "--data", str(args.data), text], {"PLUGIN_MATRIX_CACHE": str(cold_cache)}
        )()

    corpus = [json.loads(ln) for ln in CORPUS.read_text(encoding="utf-8").splitlines() if ln.strip()]
    guessed = next(r for r in corpus if classify(r["text"], guess=True).guessed)
    log, embedded = make_log(int(args.log_mb * 1_000_000))
    log_file = Path(tempfile.mkstemp(prefix="bench-explain-", suffix=".log")[1])
    log_file.write_text(log, encoding="utf-8")
    few_file = Path(tempfile.mkstemp(prefix="bench-explain-few-", suffix=".log")[1])
    try:
        # the same size with the errors a real failing log has (a few dozen), not thousands
        few_file.write_text(make_log(int(args.log_mb * 1_000_000), texts_in=FEW)[0], encoding="utf-8")
        rows: dict[str, Any] = {
            "bare_python": timed(run([sys.executable, "-c", "pass"]), args.n),
            "explain_warm": timed(run([exe, "explain", "--data", str(args.data), text]), args.n),
            "explain_cold": timed(cold, max(3, args.n // 4)),
            "explain_guessed_warm": {
                **timed(run([exe, "explain", "--data", str(args.data), guessed["text"]]), args.n),
                "text": guessed["id"],
            },
            "log_10mb": timed(
                run([exe, "explain", "--json", "--data", str(args.data), "-"], stdin=log_file),
                max(3, args.n // 4),
            ),
            f"log_10mb_{FEW}_texts": timed(
                run([exe, "explain", "--json", "--data", str(args.data), "-"], stdin=few_file),
                max(3, args.n // 4),
            ),
        }
        r = run([exe, "explain", "--json", "--data", str(args.data), "-"], stdin=log_file)()
        answers = json.loads(r.stdout)  # type: ignore[attr-defined]
        cat = load_catalog()
        t = time.perf_counter()
        found = scan(cat, log)
        rows["log_10mb_in_process"] = {"median_s": round(time.perf_counter() - t, 4), "n": 1}
    finally:
        log_file.unlink(missing_ok=True)
        few_file.unlink(missing_ok=True)
        shutil.rmtree(cold_cache, ignore_errors=True)
    verdict = {
        k: {
            "target_s": t,
            "median_s": rows[k]["median_s"],
            "cpu_median_s": rows[k]["cpu_median_s"],
            "meets": rows[k]["median_s"] <= t,
        }
        for k, t in TARGETS.items()
    }
    res = {
        "what": "wall and CPU time of whole processes, median of n after one warm-up run",
        "machine": describe(),
        "recorded_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "log": {
            "bytes": len(log.encode()),
            "lines": log.count("\n") + 1,
            "corpus_texts_in_it": embedded,
            "errors_reported": len(answers),
            "errors_in_process": len(found),
            "known_errors_reported": sum(1 for a in answers if a["class"] != "unknown"),
        },
        "commands": rows,
        "targets": verdict,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps({"commands": rows, "targets": verdict, "log": res["log"]}, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Does `build-plugin` give a plugin that really loads, for the kustomize users build and
the plugins authors write?

Hosts: kustomize v5.8.2 built the ways users build it, with Go 1.26.8 (the machine's Go)
unless named otherwise, all with CGO_ENABLED=1:

- go-install: `go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.2` (module cache, untrimmed);
- homebrew: from the source tree, `go build -trimpath -ldflags "-s -w -X .../provenance.version=..."`;
- nix: from the source tree with `go mod vendor`, `go build -mod=vendor -trimpath -ldflags ...`
  (buildGoModule's way: vendored and trimmed);
- container: `go install` with another GOPATH (another module-cache path), as in an image;
- race: `go install -race`;
- goamd64-v3: `GOAMD64=v3 go install`;
- go1.27: `GOTOOLCHAIN=go1.27.3 go install` (Go 1.27.3).

Plugins (tests/plugins/): a transformer on api and kyaml (older releases than the host's);
a go.mod saying go 1.27.3 (the code builds with older Go); a relative replace; a go.work
workspace whose library says go 1.27.3; a package in a subdirectory of a larger module; cgo;
a module kustomize links (sigs.k8s.io/yaml, older); a module it does not link
(github.com/google/uuid); a module it does not link whose requirements overlap the host's
(golang.org/x/net v0.63.0 needs golang.org/x/text v0.44.0, kustomize links v0.42.0); a
vendored tree (vendor/ + modules.txt, made here with `go mod vendor`).

Each pair: `build-plugin` (matrix.measure.build_plugin), then a real load:
`kustomize build --enable-alpha-plugins` in a sandboxed fresh process (matrix.measure.load),
"loads" only when the plugin's output carries this pair's nonce. Controls, counted apart:
a plugin that really needs Go 1.27 (strings.CutLast) on every host, and a host built
`-mod=vendor` without -trimpath (its fingerprints hold its vendor/ path) with every plugin;
for these the point is the reason build-plugin gives.

    python benchmarks/bench_build_plugin.py --out benchmarks/results/build_plugin.json

Hosts are built once into --work (kept; `--rebuild` builds them again). Results hold no
machine paths: $REPO, $BENCH (--work), $GOMODCACHE, $GOROOT, $TMPDIR, $HOME stand for them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from machine import describe

from matrix.diagnose import doctor
from matrix.measure.build_plugin import Outcome, build_plugin
from matrix.measure.load import run_load
from matrix.measure.toolchains import redact_services

REPO = Path(__file__).resolve().parent.parent
PLUGINS = REPO / "tests" / "plugins"
KUSTOMIZE = "sigs.k8s.io/kustomize/kustomize/v5"
VERSION = "v5.8.2"
PROVENANCE = "sigs.k8s.io/kustomize/api/provenance"
LDFLAGS = f"-s -w -X {PROVENANCE}.version={VERSION} -X {PROVENANCE}.buildDate=2026-01-01T00:00:00Z"

# name -> (directory under tests/plugins, kind); "vendored" is made in --work
PLUGIN_SET = {
    "kyaml-transformer": ("kyaml-transformer", "transformer"),
    "go-line-1.27.3": ("gonewer", "generator"),
    "relative-replace": ("replaced/plugin", "generator"),
    "go.work": ("workspace/plugin", "generator"),
    "subdirectory": ("bigrepo/plugins/configmap", "generator"),
    "cgo": ("cgo", "generator"),
    "links-sigs.k8s.io-yaml": ("links", "generator"),
    "unlinked-uuid": ("unlinked", "generator"),
    "overlap-x-net": ("overlap", "generator"),
    "vendored": ("vendored", "generator"),
}
CONTROL_PLUGIN = ("needs-go-1.27-code", "needs-go127", "generator")
HOSTS = ["go-install", "homebrew", "nix", "container", "race", "goamd64-v3", "go1.27"]
CONTROL_HOST = "vendor-untrimmed"


def go_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod", "GOWORK": "off"}
    return {**env, **(extra or {})}


def run(argv: list[str], cwd: Path, extra: dict[str, str] | None = None) -> str:
    r = subprocess.run(argv, cwd=cwd, env=go_env(extra), capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed in {cwd}:\n{r.stderr[-3000:]}")
    return r.stdout


def source_tree(work: Path) -> Path:
    """kustomize/v5's module source (what a release tarball's kustomize/ directory holds)."""
    d = work / "src"
    if not (d / "go.mod").is_file():
        info = json.loads(run(["go", "mod", "download", "-json", f"{KUSTOMIZE}@{VERSION}"], work))
        shutil.copytree(info["Dir"], d)
        for p in [d, *d.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)
    return d


def build_hosts(work: Path, rebuild: bool) -> dict[str, dict[str, Any]]:
    """Each host style: its binary and the commands that built it."""
    out: dict[str, dict[str, Any]] = {}
    pkg = f"{KUSTOMIZE}@{VERSION}"
    styles: dict[str, list[tuple[list[str], str, dict[str, str]]]] = {
        "go-install": [(["go", "install", pkg], "", {})],
        "homebrew": [(["go", "build", "-trimpath", f"-ldflags={LDFLAGS}", "-o", "{bin}", "."], "src", {})],
        "nix": [
            (["go", "mod", "vendor"], "src-vendored", {}),
            (
                ["go", "build", "-mod=vendor", "-trimpath", f"-ldflags={LDFLAGS}", "-o", "{bin}", "."],
                "src-vendored",
                {},
            ),
        ],
        "container": [
            (["go", "install", pkg], "", {"GOPATH": "{work}/gopath", "GOMODCACHE": "{work}/gopath/pkg/mod"})
        ],
        "race": [(["go", "install", "-race", pkg], "", {})],
        "goamd64-v3": [(["go", "install", pkg], "", {"GOAMD64": "v3"})],
        "go1.27": [(["go", "install", pkg], "", {"GOTOOLCHAIN": "go1.27.3"})],
        CONTROL_HOST: [
            (["go", "mod", "vendor"], "src-vendored-untrimmed", {}),
            (["go", "build", "-mod=vendor", "-o", "{bin}", "."], "src-vendored-untrimmed", {}),
        ],
    }
    for name, steps in styles.items():
        hdir = work / "hosts" / name
        binary = hdir / "kustomize"
        out[name] = {"binary": binary, "commands": []}
        for argv, where, extra in steps:
            fill = {"bin": str(binary), "work": str(work)}
            a = [x.format(**fill) for x in argv]
            e = {k: v.format(**fill) for k, v in extra.items()}
            cgo = {"CGO_ENABLED": "1"} if a[1] in ("build", "install") else {}
            shown = " ".join([*(f"{k}={shlex.quote(v)}" for k, v in {**cgo, **e}.items()), shlex.join(a)])
            out[name]["commands"].append(shown + (f"  (in {where}/)" if where else ""))
        meta = hdir / "build.json"
        if binary.is_file() and not rebuild:
            out[name]["reused"] = True
            if meta.is_file():
                out[name]["build_s"] = json.loads(meta.read_text()).get("build_s")
            continue
        hdir.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        for argv, where, extra in steps:
            fill = {"bin": str(binary), "work": str(work)}
            cwd = work
            if where:
                cwd = source_tree(work) if where == "src" else work / where
                if not cwd.is_dir():
                    shutil.copytree(source_tree(work), cwd)
            e = {"GOFLAGS": "", **{k: v.format(**fill) for k, v in extra.items()}}
            if argv[1] == "install":
                e["GOBIN"] = str(hdir)
            a = [x.format(**fill) for x in argv]
            print(f"building host {name}: {' '.join(a)}", file=sys.stderr)
            run(a, cwd, e)
        out[name]["build_s"] = round(time.perf_counter() - t, 1)
        out[name]["reused"] = False
        meta.write_text(json.dumps({"build_s": out[name]["build_s"]}))
    return out


def vendored_plugin(work: Path) -> Path:
    d = work / "plugins" / "vendored"
    if not (d / "vendor" / "modules.txt").is_file():
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(PLUGINS / "vendored", d)
        run(["go", "mod", "tidy"], d)
        run(["go", "mod", "vendor"], d)
    return d


class Scrub:
    def __init__(self, work: Path) -> None:
        env = go_env()
        goenv = json.loads(
            subprocess.run(["go", "env", "-json"], env=env, capture_output=True, text=True).stdout
        )
        pairs = [
            (str(REPO), "$REPO"),
            (str(work), "$BENCH"),
            (goenv.get("GOMODCACHE", ""), "$GOMODCACHE"),
            (goenv.get("GOROOT", ""), "$GOROOT"),
            (tempfile.gettempdir(), "$TMPDIR"),
            (os.path.expanduser("~"), "$HOME"),
        ]
        self.pairs = sorted([(a, b) for a, b in pairs if a and a != "/"], key=lambda x: -len(x[0]))

    def __call__(self, text: str) -> str:
        text = redact_services(text)
        text = re.sub(r"/[^\s'\"]*/plugin-matrix-build-[a-z0-9_]+", "$WORK", text)
        for a, b in self.pairs:
            text = text.replace(a, b)
        return text


def reason(oc: Outcome, load: Any, pred: dict[str, Any] | None, scrub: Scrub) -> str | None:
    if oc.plan.problems:
        return scrub(" | ".join(f"[{p.kind}] {p.message} Fix: {p.fix}" for p in oc.plan.problems))
    if not oc.built:
        return scrub("build failed: " + (oc.build.output[-800:] if oc.build else "no build"))
    if load is not None and load.outcome != "loads":
        lines = [ln for ln in load.stderr.strip().splitlines() if "Attempting plugin load" not in ln]
        said = next((ln for ln in lines if "Error" in ln), lines[-1] if lines else "(no output)")
        if load.exit_code == 0:
            said = "kustomize exited 0, but the plugin's output (this pair's nonce) is not in what it printed"
        extra = (
            f" (doctor: {pred['class']}: {pred['message']})" if pred and pred["prediction"] != "loads" else ""
        )
        return scrub(f"built, but kustomize did not load it: {said}{extra}")
    return None


def measure(
    host: str, binary: Path, plugin: str, src: Path, kind: str, out: Path, scrub: Scrub
) -> dict[str, Any]:
    t = time.perf_counter()
    oc = build_plugin(binary, src, out)
    build_s = round(time.perf_counter() - t, 2)
    load = pred = None
    if oc.built:
        pred = doctor.predict(binary, out)
        # A nonce YAML reads as a string: all digits, or digits with one "e", is a number
        # that kustomize prints quoted, and the output check would miss it.
        load = run_load(binary, out, kind, kind, f"bench-{uuid.uuid4().hex[:12]}")
    pi = oc.plan.plugin
    row: dict[str, Any] = {
        "host": host,
        "plugin": plugin,
        "built": oc.built,
        "loads": bool(load and load.outcome == "loads"),
        "reason": reason(oc, load, pred, scrub),
        "doctor": pred["prediction"] if pred else None,
        "build_s": build_s,
        "load_s": round(load.duration_s, 2) if load else None,
        "plan": {
            "go_line": oc.plan.go_line.action,
            "flags": oc.plan.recipe.flags,
            "vendor": pi.vendor["mode"] if pi and pi.vendor else None,
            "workspace": bool(pi and pi.workspace),
            "replaces": [f"{r['replace']}: {r['action']}" for r in pi.replaces] if pi else [],
            "downgrades": [f"{d['module']} {d['from']} -> {d['to']}" for d in pi.downgrades] if pi else [],
            "conflicts": [c["required_by"][0] for c in pi.conflicts] if pi else [],
            "env": {k: v for k, v in oc.plan.env.items() if k in ("GOMODCACHE", "GOAMD64", "GOTOOLCHAIN")},
        },
    }
    row["plan"] = json.loads(scrub(json.dumps(row["plan"])))
    mark = "loads" if row["loads"] else ("built, fails" if oc.built else "not built")
    print(f"{host:18} {plugin:24} {mark:13} {build_s:6.1f}s  {row['reason'] or ''}"[:300], file=sys.stderr)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "build_plugin.json")
    ap.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "plugin-matrix-bench-build-plugin"
    )
    ap.add_argument("--rebuild", action="store_true", help="build the hosts again")
    ap.add_argument("--hosts", nargs="*", default=None, help=f"host styles (default: all of {HOSTS})")
    ap.add_argument("--plugins", nargs="*", default=None, help="plugin names (default: all)")
    ap.add_argument("--no-controls", action="store_true")
    args = ap.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    scrub = Scrub(work)
    t0 = time.perf_counter()
    hosts = build_hosts(work, args.rebuild)
    srcs = {
        n: (PLUGINS / d if n != "vendored" else vendored_plugin(work), k) for n, (d, k) in PLUGIN_SET.items()
    }
    chosen_hosts = args.hosts or HOSTS
    chosen_plugins = args.plugins or list(PLUGIN_SET)
    outdir = work / "out"
    outdir.mkdir(exist_ok=True)
    pairs = []
    for h in chosen_hosts:
        for pname in chosen_plugins:
            src, kind = srcs[pname]
            pairs.append(measure(h, hosts[h]["binary"], pname, src, kind, outdir / f"{h}-{pname}.so", scrub))
    controls = []
    if not args.no_controls:
        cname, cdir, ckind = CONTROL_PLUGIN
        for h in chosen_hosts:
            controls.append(
                measure(
                    h, hosts[h]["binary"], cname, PLUGINS / cdir, ckind, outdir / f"{h}-{cname}.so", scrub
                )
            )
        for pname in chosen_plugins:
            src, kind = srcs[pname]
            binary = hosts[CONTROL_HOST]["binary"]
            controls.append(measure(CONTROL_HOST, binary, pname, src, kind, outdir / f"c-{pname}.so", scrub))
    loads = sum(p["loads"] for p in pairs)
    res: dict[str, Any] = {
        "machine": describe(),
        "recorded_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "kustomize": VERSION,
        "go": subprocess.run(["go", "version"], env=go_env(), capture_output=True, text=True).stdout.strip(),
        "hosts": {
            h: {
                "commands": [scrub(c) for c in v["commands"]],
                "build_s": v.get("build_s"),
                "reused_from_work": v.get("reused"),
            }
            for h, v in hosts.items()
        },
        "hosts_note": "build_s: seconds the host's build took when it was built (reused_from_work: by an "
        "earlier run, into --work); Go's build cache is the machine's, so a warm cache makes it mostly linking",
        "plugins": {n: f"tests/plugins/{d}" for n, (d, _) in PLUGIN_SET.items()},
        "summary": {
            "pairs": len(pairs),
            "built": sum(p["built"] for p in pairs),
            "loads": loads,
            "load_rate": round(loads / len(pairs), 4) if pairs else None,
            "target": 0.95,
            "meets_target": bool(pairs) and loads / len(pairs) >= 0.95,
            "failing": [f"{p['host']} x {p['plugin']}: {p['reason']}" for p in pairs if not p["loads"]],
            "controls": len(controls),
            "controls_load": sum(c["loads"] for c in controls),
            "seconds": round(time.perf_counter() - t0, 1),
        },
        "pairs": pairs,
        "controls": controls,
    }
    text = scrub(json.dumps(res, indent=2)) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(json.dumps(res["summary"], indent=2))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Record the minimum Go of each kustomize release: the `go` line of the release's go.mod.

    python scripts/release_go.py [--data data] [--check]

For every release of DATA/grid.toml this asks the go command for the release's go.mod,
as the Go module proxy serves it (`go mod download -json MODULE@VERSION`, its `GoMod`
file and `GoModSum`), and writes DATA/releases-go.toml: per release the module, the `go`
line (and the `toolchain` line when there is one), the go.mod's checksum and the address
of the same file in kustomize's repository. The site reads that file; its build never
asks the network or this machine's module cache. `--check` only compares.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_KEEP = ("PATH", "HOME", "GOPATH", "GOMODCACHE", "GOPROXY", "GONOSUMDB", "GOPRIVATE", "GOSUMDB", "GOCACHE")
SOURCE = "https://github.com/kubernetes-sigs/kustomize/blob/kustomize/{version}/kustomize/go.mod"


def go_mod_of(module: str, version: str) -> tuple[str, str]:
    """(text of the go.mod, its checksum) of MODULE@VERSION."""
    env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
    env.update(GOFLAGS="-mod=mod", GOTOOLCHAIN="local")
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(
            ["go", "mod", "download", "-json", f"{module}@{version}"],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    info = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {}
    # A release that needs a newer Go than this one is still downloaded: the go command
    # says so in Error ("requires go >= X") and gives its go.mod all the same.
    gomod = Path(info["GoMod"]) if info.get("GoMod") else None
    if gomod is None or not gomod.is_file():
        raise SystemExit(f"{module}@{version}: {info.get('Error') or r.stderr.strip() or 'no go.mod'}")
    return gomod.read_text(encoding="utf-8"), str(info.get("GoModSum", ""))


def directive(go_mod: str, name: str) -> str:
    m = re.search(rf"^{name}\s+(\S+)\s*$", go_mod, re.M)
    return m.group(1) if m else ""


def render(rows: dict[str, dict[str, str]]) -> str:
    out = [
        "# The minimum Go of each kustomize release: the `go` line of the release's go.mod.",
        "# Written by scripts/release_go.py from `go mod download -json MODULE@VERSION` (the",
        "# go.mod the Go module proxy serves; go_mod_sum is its checksum); `source` is the",
        "# same file in kustomize's repository. Do not edit: rerun the script.",
        "schema = 1",
        "",
    ]
    for rel, row in rows.items():
        out.append(f'[releases."{rel}"]')
        out += [f"{k} = {json.dumps(v)}" for k, v in row.items() if v]
        out.append("")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data")
    ap.add_argument("--check", action="store_true", help="only say whether the file is up to date")
    args = ap.parse_args()
    grid = tomllib.loads((args.data / "grid.toml").read_text(encoding="utf-8"))
    rows: dict[str, dict[str, str]] = {}
    for rel, spec in grid["releases"].items():
        module = spec.get("module", "sigs.k8s.io/kustomize/kustomize/v5")
        text, summ = go_mod_of(module, rel)
        rows[rel] = {
            "module": module,
            "go": directive(text, "go"),
            "toolchain": directive(text, "toolchain"),
            "go_mod_sum": summ,
            "source": SOURCE.format(version=rel),
        }
    text = render(rows)
    path = args.data / "releases-go.toml"
    if args.check:
        same = path.is_file() and path.read_text(encoding="utf-8") == text
        print(f"{path.name}: {'up to date' if same else 'out of date: rerun scripts/release_go.py'}")
        return 0 if same else 1
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path.name}: " + ", ".join(f"{r} go {v['go']}" for r, v in rows.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

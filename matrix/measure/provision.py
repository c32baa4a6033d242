"""Installing what the grid and the tests need from Debian's packages, idempotently.

As root, missing packages are installed with apt-get; otherwise the exact command is
printed and the caller is told which cells will be skipped or not run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from matrix import UserError
from matrix.core import grid as gridmod

BROWSER_PACKAGES = ["chromium"]
# Loads run in a bubblewrap sandbox where it works (matrix.measure.load); without it they run
# unconfined and the records say so.
SANDBOX_PACKAGES = ["bubblewrap"]


def needed_packages(grid_path: Path, purposes: list[str]) -> list[str]:
    g = gridmod.load(grid_path)
    pkgs: list[str] = []
    if "grid" in purposes or "tests" in purposes:
        for tc in g.toolchains.values():
            inst = tc.get("install", "")
            if inst.startswith("apt-get install"):
                pkgs += [w for w in inst.split()[2:] if not w.startswith("-")]
        for plat in g.platforms.values():
            pkgs += plat.get("packages", [])
        pkgs += SANDBOX_PACKAGES
    if "tests" in purposes or "browser" in purposes:
        pkgs += BROWSER_PACKAGES
    return sorted(set(pkgs))


def missing(pkgs: list[str]) -> list[str]:
    if shutil.which("dpkg-query") is None:
        return pkgs
    out = []
    for p in pkgs:
        r = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True, timeout=60
        )
        if "install ok installed" not in r.stdout:
            out.append(p)
    return out


def command_for(pkgs: list[str]) -> list[str]:
    return ["apt-get", "install", "-y", "--no-install-recommends", *pkgs]


def provision(grid_path: Path, purposes: list[str], dry_run: bool = False) -> int:
    todo = missing(needed_packages(grid_path, purposes))
    if not todo:
        print("provision: everything needed is installed")
        return 0
    cmd = command_for(todo)
    if dry_run or os.geteuid() != 0 or shutil.which("apt-get") is None:
        print("provision: missing Debian packages; as root, run:\n  " + " ".join(cmd))
        return 0 if dry_run else 1
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("provision: " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, env=env, timeout=3600)
    if r.returncode != 0:  # stale package lists are the usual cause: refresh once
        subprocess.run(["apt-get", "update", "-qq"], env=env, timeout=1800)
        r = subprocess.run(cmd, env=env, timeout=3600)
    if r.returncode != 0:
        raise UserError(f"provision: `{' '.join(cmd)}` failed with status {r.returncode}")
    return 0

"""Loading one plugin into one host: a fresh `kustomize build --enable-alpha-plugins`
in a throw-away plugin home, with an allowlisted environment and a timeout.

A cell "loads" only when the resource the plugin generates (or the annotation it
adds) appears in kustomize's output, carrying the cell's nonce.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matrix import proc

GROUP, VERSION = "matrix.example.com", "v1"
LOAD_TIMEOUT_S = 120.0
CELL_DIR = "$CELL"  # what the throw-away directory is called in recorded text


def kind_of(plugin: str) -> str:
    return "Matrix" + plugin.capitalize()


@dataclass
class LoadResult:
    outcome: str  # "loads" | "fails"
    exit_code: int | None
    signal: int | None
    timed_out: bool
    seen: bool
    stdout: str
    stderr: str
    truncated: bool
    duration_s: float
    command: list[str]

    def as_record(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def write_kustomization(root: Path, plugin: str, kind: str, nonce: str) -> None:
    k = kind_of(plugin)
    cfg = (f"apiVersion: {GROUP}/{VERSION}\nkind: {k}\nmetadata:\n  name: probe\n"
           f"nonce: \"{nonce}\"\n")
    (root / "plugin.yaml").write_text(cfg)
    if kind == "generator":
        (root / "kustomization.yaml").write_text("generators:\n- plugin.yaml\n")
    else:
        (root / "input.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-input\ndata:\n  a: b\n")
        (root / "kustomization.yaml").write_text(
            "resources:\n- input.yaml\ntransformers:\n- plugin.yaml\n")


def evidence_seen(stdout: str, kind: str, nonce: str) -> bool:
    """Whether kustomize's output holds what this plugin, in this cell, produced."""
    if kind == "generator":
        return f"nonce: {nonce}" in stdout or f'nonce: "{nonce}"' in stdout
    return f"matrix.example.com/transformed: {nonce}" in stdout


def run_load(host_bin: Path, plugin_so: Path, plugin: str, kind: str, nonce: str,
             emulator: list[str] | None = None, timeout: float = LOAD_TIMEOUT_S) -> LoadResult:
    tmp = Path(tempfile.mkdtemp(prefix="plugin-matrix-cell-"))
    try:
        home = tmp / "plugins"
        k = kind_of(plugin)
        dest = home / GROUP / VERSION / k.lower() / f"{k}.so"
        dest.parent.mkdir(parents=True)
        shutil.copyfile(plugin_so, dest)
        kdir = tmp / "kustomization"
        kdir.mkdir()
        write_kustomization(kdir, plugin, kind, nonce)
        env = proc.base_env({"HOME": str(tmp / "home"), "KUSTOMIZE_PLUGIN_HOME": str(home),
                             "XDG_CONFIG_HOME": str(tmp / "config"), "TMPDIR": str(tmp)})
        env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
        (tmp / "home").mkdir()
        argv = [*(emulator or []), str(host_bin), "build", "--enable-alpha-plugins", str(kdir)]
        r = proc.run(argv, env=env, cwd=tmp, timeout=timeout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t = str(tmp)
    stdout, stderr = r.stdout.replace(t, CELL_DIR), r.stderr.replace(t, CELL_DIR)
    seen = r.returncode == 0 and evidence_seen(stdout, kind, nonce)
    if r.timed_out:
        stderr += f"\n[plugin-matrix: killed after {timeout:.0f} s]"
    rc = r.returncode
    return LoadResult(
        outcome="loads" if seen else "fails",
        exit_code=rc if rc is not None and rc >= 0 else None,
        signal=-rc if rc is not None and rc < 0 else None,
        timed_out=r.timed_out, seen=seen, stdout=stdout, stderr=stderr, truncated=r.truncated,
        duration_s=r.duration_s,
        command=[*(emulator or []), "$HOST_BIN",
                 *[a.replace(t, CELL_DIR) for a in argv[len(emulator or []) + 1:]]])


def runner_provenance(emulator: list[str] | None) -> dict[str, Any]:
    libc = " ".join(x for x in platform.libc_ver() if x) or None
    emu = None
    if emulator:
        try:
            out = subprocess.run([emulator[0], "--version"], capture_output=True, text=True,
                                 timeout=30).stdout.splitlines()
            emu = {"argv": emulator, "version": out[0] if out else None}
        except (OSError, subprocess.TimeoutExpired):
            emu = {"argv": emulator, "version": None}
    return {"os": platform.system().lower(), "arch": platform.machine(),
            "kernel": platform.release(), "libc": libc, "emulator": emu,
            "native": emulator is None}

"""Loading one plugin into one host: a fresh `kustomize build --enable-alpha-plugins`
in a throw-away plugin home, with an allowlisted environment and a timeout.

A cell "loads" only when the resource the plugin generates (or the annotation it
adds) appears in kustomize's output, carrying the cell's nonce.

The load runs code nobody reviewed, so where bubblewrap (`bwrap`) works it runs in a
sandbox (matrix.measure.sandbox). Whether a load was sandboxed is recorded in the
record's runner provenance (`runner.sandbox`).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import platform
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matrix import UserError
from matrix.core.grid import GO_PLUGIN, LOAD_MODES, STANDARD
from matrix.measure import proc
from matrix.measure.sandbox import INSIDE_CELL, INSIDE_HOST, ending, new_cell, run_boxed, sandbox

GROUP, VERSION = "matrix.example.com", "v1"
LOAD_TIMEOUT_S = 120.0
CELL_DIR = "$CELL"  # what the throw-away directory is called in recorded text
CELL_HOME = "user-home"  # the load's $HOME inside the cell directory

_timeout: contextvars.ContextVar[float | None] = contextvars.ContextVar("load_timeout", default=None)


def kind_of(plugin: str) -> str:
    """The kind a grid plugin is configured by: `generator` -> MatrixGenerator,
    `samepath-generator` -> MatrixSamepathGenerator."""
    return "Matrix" + "".join(w.capitalize() for w in re.split(r"[^A-Za-z0-9]+", plugin) if w)


@dataclass(frozen=True)
class Piece:
    """One plugin of a load: its grid name, kind, built file and mechanism, and the files
    built with it (shared libraries: name -> file; a name with a directory is another
    version of the library named by its last part)."""

    plugin: str
    kind: str
    path: Path
    mechanism: str = GO_PLUGIN
    companions: tuple[tuple[str, Path], ...] = ()


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
    mode: str = STANDARD
    timeout_s: float | None = None

    def as_record(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@contextlib.contextmanager
def timeout_for(seconds: float | None) -> Iterator[None]:
    """Loads started inside this block time out after `seconds` (None: LOAD_TIMEOUT_S)."""
    if seconds is not None and seconds <= 0:
        raise UserError(f"the load timeout must be positive, not {seconds:g}")
    token = _timeout.set(seconds)
    try:
        yield
    finally:
        _timeout.reset(token)


def _config(plugin: str, nonce: str, name: str = "probe", function: str | None = None) -> str:
    """A plugin's config resource; `function`: the path of an exec KRM function to run."""
    k = kind_of(plugin)
    meta = f"metadata:\n  name: {name}\n"
    if function is not None:
        meta += (
            f"  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: {function}\n"
        )
    return f'apiVersion: {GROUP}/{VERSION}\nkind: {k}\n{meta}nonce: "{nonce}"\n'


INPUT = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-input\ndata:\n  a: b\n"


def write_kustomization(
    root: Path,
    plugin: str,
    kind: str,
    nonce: str,
    function: str | None = None,
    others: list[tuple[str, str, str | None]] | None = None,
    wrong_list: bool = False,
) -> None:
    """The cell's kustomization: the plugin's config (plugin.yaml) under `generators:` or
    `transformers:` (the other list with `wrong_list`), and each of `others` (plugin, kind,
    function) as with-N.yaml; a transformer gets a ConfigMap to transform."""
    gens: list[str] = []
    trans: list[str] = []
    items = [("plugin.yaml", plugin, kind, function, wrong_list)]
    items += [(f"with-{i}.yaml", p, k, f, False) for i, (p, k, f) in enumerate(others or [], 1)]
    for fname, p, k, f, swap in items:
        (root / fname).write_text(_config(p, nonce, "probe" if fname == "plugin.yaml" else fname[:-5], f))
        (gens if (k == "generator") != swap else trans).append(fname)
    parts = []
    if any(k == "transformer" for _, _, k, _, _ in items):
        (root / "input.yaml").write_text(INPUT)
        parts.append("resources:\n- input.yaml\n")
    if gens:
        parts.append("generators:\n" + "".join(f"- {g}\n" for g in gens))
    if trans:
        parts.append("transformers:\n" + "".join(f"- {t}\n" for t in trans))
    (root / "kustomization.yaml").write_text("".join(parts))


def evidence_seen(stdout: str, kind: str, nonce: str) -> bool:
    """Whether kustomize's output holds what this plugin, in this cell, produced."""
    if kind == "generator":
        return f"nonce: {nonce}" in stdout or f'nonce: "{nonce}"' in stdout
    return f"matrix.example.com/transformed: {nonce}" in stdout


def _install(piece: Piece, tmp: Path, inside: Path, mode: str) -> str | None:
    """Put one plugin where kustomize (or the config) will look for it, as the mode says;
    returns the in-sandbox path of a KRM function, for its config's annotation."""
    k = kind_of(piece.plugin)
    if piece.mechanism == "krm-function":
        dest = tmp / "functions" / k
        where = str(inside / "functions" / k)
    elif mode == "no-plugin-home":
        return None  # nothing where kustomize looks: no plugin home exists at all
    else:
        kdir = k if mode == "misplaced" else k.lower()  # a slip: the directory not lowercased
        dest = tmp / "plugins" / GROUP / VERSION / kdir / (f"{k}.so" if piece.mechanism == GO_PLUGIN else k)
        where = None
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(piece.path, dest)
    if piece.mechanism != GO_PLUGIN:
        dest.chmod(0o644 if mode == "not-executable" else 0o755)
    for name, src in installed_companions(piece.companions, mode):
        shutil.copyfile(src, dest.parent / name)
    return where


def installed_companions(companions: tuple[tuple[str, Path], ...], mode: str) -> list[tuple[str, Path]]:
    """Which of a plugin's companion files the mode installs beside it, under which name:
    the current ones (no directory in their name), none (library-absent), or the other
    versions, under the name of the file they stand in for (library-other-version)."""
    if mode == "library-absent":
        return []
    other = mode == "library-other-version"
    return [(Path(name).name, src) for name, src in companions if ("/" in name) == other]


def run_load(
    host_bin: Path,
    plugin_so: Path,
    plugin: str,
    kind: str,
    nonce: str,
    emulator: list[str] | None = None,
    timeout: float | None = None,
    *,
    mechanism: str = GO_PLUGIN,
    mode: str = STANDARD,
    companions: tuple[tuple[str, Path], ...] = (),
    others: tuple[Piece, ...] = (),
) -> LoadResult:
    """One `kustomize build` of a kustomization using the plugin (and, mode `together`,
    `others`) in a throw-away cell directory; `mode` is how the load is laid out and run
    (grid.LOAD_MODES)."""
    if mode not in LOAD_MODES:
        raise ValueError(f"unknown load mode {mode!r}")
    timeout = timeout or _timeout.get() or LOAD_TIMEOUT_S
    box = sandbox()
    boxed = box.kind == "bwrap"
    tmp = new_cell()
    inside = Path(INSIDE_CELL) if boxed else tmp
    host_arg = INSIDE_HOST if boxed else str(host_bin)
    status = None
    main = Piece(plugin, kind, plugin_so, mechanism, companions)
    pieces = [main, *others]
    try:
        if mode != "no-plugin-home":
            (tmp / "plugins").mkdir()
        fns = [_install(pc, tmp, inside, mode) for pc in pieces]
        kdir = tmp / "kustomization"
        kdir.mkdir()
        write_kustomization(
            kdir,
            plugin,
            kind,
            nonce,
            function=fns[0],
            others=[(pc.plugin, pc.kind, f) for pc, f in zip(others, fns[1:], strict=True)],
            wrong_list=mode == "wrong-list",
        )
        # The load's HOME: named so that no recorded path reads like a machine's /home/<user>.
        (tmp / CELL_HOME).mkdir()
        # Only what kustomize needs: nothing of the caller's environment comes along.
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(inside / CELL_HOME),
            "KUSTOMIZE_PLUGIN_HOME": str(inside / "plugins"),
            "XDG_CONFIG_HOME": str(inside / "config"),
            "TMPDIR": str(inside),
        }
        # The emulator by its full path: inside the sandbox nothing is looked up on PATH.
        emu = [shutil.which(emulator[0], path=env["PATH"]) or emulator[0], *emulator[1:]] if emulator else []
        flags = [] if mode == "no-alpha-flag" else ["--enable-alpha-plugins"]
        if any(pc.mechanism == "krm-function" for pc in pieces) and mode != "no-exec-flag":
            flags.append("--enable-exec")
        argv = [*emu, host_arg, "build", *flags, str(inside / "kustomization")]
        if boxed:
            r, status = run_boxed(box, tmp, host_bin, argv, env, timeout)
        else:
            r = proc.run(argv, env=env, cwd=tmp, timeout=timeout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def scrub(text: str) -> str:
        text = text.replace(str(tmp), CELL_DIR)
        return text.replace(INSIDE_CELL, CELL_DIR).replace(INSIDE_HOST, "$HOST_BIN") if boxed else text

    stdout, stderr = scrub(r.stdout), scrub(r.stderr)
    seen = r.returncode == 0 and all(evidence_seen(stdout, pc.kind, nonce) for pc in pieces)
    if r.timed_out:
        stderr += f"\n[plugin-matrix: killed after {timeout:g} s]"
    elif r.returncode == 0 and not seen:  # no error anywhere: say what is missing
        stderr += "\n[plugin-matrix: kustomize exited 0, but its output holds nothing the plugin made]"
    exit_code, sig = ending(r.returncode, status if boxed else None, boxed)
    if boxed and not r.timed_out and status is None:
        stderr += "\n[plugin-matrix: the sandbox reported no exit status]"
    return LoadResult(
        outcome="loads" if seen else "fails",
        exit_code=exit_code,
        signal=sig,
        timed_out=r.timed_out,
        seen=seen,
        stdout=stdout,
        stderr=stderr,
        truncated=r.truncated,
        duration_s=r.duration_s,
        command=[*(emulator or []), "$HOST_BIN", *[scrub(a) for a in argv[len(emulator or []) + 1 :]]],
        mode=mode,
        timeout_s=timeout,
    )


def runner_provenance(prefix: list[str] | None, loader: bool = False) -> dict[str, Any]:
    """Where a load ran. `prefix` is the argv that ran the host: an emulator (qemu-user),
    or with `loader` the platform's own dynamic loader, which runs the code natively."""
    emu = None
    if prefix:
        emu = {"argv": prefix, "version": _version_of(prefix[0]), "kind": "loader" if loader else "emulator"}
    return {
        "os": platform.system().lower(),
        "arch": platform.machine(),
        "kernel": platform.release(),
        "libc": _libc(),
        "cpu": _cpu(),
        "emulator": emu,
        "native": prefix is None or loader,
        "sandbox": sandbox().provenance(),
    }


@functools.cache
def _cpu() -> str | None:
    """The CPU model (a runner fact: observations from other CPUs are kept apart)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Model")):
                return " ".join(line.split(":", 1)[1].split()) or None
    except OSError:
        pass
    return platform.processor() or None


@functools.cache
def _libc() -> str | None:
    return " ".join(x for x in platform.libc_ver() if x) or None


@functools.cache
def _version_of(program: str) -> str | None:
    """The first line of `program --version`, asked once per run, not once per cell."""
    try:
        out = subprocess.run(
            [program, "--version"], capture_output=True, text=True, timeout=30
        ).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out[0] if out else None

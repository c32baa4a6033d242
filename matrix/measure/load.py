"""Loading one plugin into one host: a fresh `kustomize build --enable-alpha-plugins`
in a throw-away plugin home, with an allowlisted environment and a timeout.

A cell "loads" only when the resource the plugin generates (or the annotation it
adds) appears in kustomize's output, carrying the cell's nonce.

The load runs code nobody reviewed, so where bubblewrap (`bwrap`) works it runs in a
sandbox: the filesystem read-only except the cell's own directory, /tmp, /run and the
home directories replaced by empty ones, no network, its own pid/ipc/uts namespaces, no
capabilities, as user nobody, killed with the run. Whether a load was sandboxed is
recorded in the record's runner provenance (`runner.sandbox`).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matrix import UserError
from matrix.core.grid import GO_PLUGIN, LOAD_MODES, STANDARD
from matrix.measure import proc

GROUP, VERSION = "matrix.example.com", "v1"
LOAD_TIMEOUT_S = 120.0
CELL_DIR = "$CELL"  # what the throw-away directory is called in recorded text
CELL_PREFIX = "plugin-matrix-cell-"  # + "<pid of the run>-": stale ones are found by pid
SANDBOX_ENV = "PLUGIN_MATRIX_SANDBOX"  # auto (default): bwrap if it works | bwrap: required | none
SANDBOX_UID = 65534  # nobody
INSIDE_CELL = "/tmp/cell"  # where the sandboxed load sees its cell directory
INSIDE_HOST = "/tmp/kustomize"  # ... and its host binary
HIDDEN = ("/tmp", "/var/tmp", "/run", "/root", "/home")  # replaced by empty tmpfs in the sandbox

_timeout: contextvars.ContextVar[float | None] = contextvars.ContextVar("load_timeout", default=None)

# Runs inside the sandbox: drops to nobody, runs the load, and reports how it ended on a
# pipe (bwrap itself can only say 128+N for a signal N).
_STATUS_WRAPPER = r"""
import os, sys
fd, uid, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
os.set_inheritable(fd, False)
if uid >= 0:
    os.setgroups([]); os.setgid(uid); os.setuid(uid)
pid = os.fork()
if pid == 0:
    try:
        os.execv(argv[0], argv)  # after setuid only builtins: the stdlib may be out of reach
    except OSError as e:
        os.write(2, ("cannot start %s: %s\n" % (argv[0], e.strerror)).encode())
        os._exit(127)
_, st = os.waitpid(pid, 0)
sig = os.WTERMSIG(st) if os.WIFSIGNALED(st) else 0
os.write(fd, (b"signal %d" % sig) if sig else (b"exit %d" % os.WEXITSTATUS(st)))
os._exit(128 + sig if sig else os.WEXITSTATUS(st))
"""


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


@dataclass(frozen=True)
class Sandbox:
    kind: str  # "bwrap" | "none"
    bwrap: str | None = None
    version: str | None = None
    reason: str | None = None  # why there is none

    def provenance(self) -> dict[str, Any]:
        return {"kind": self.kind, "version": self.version, "reason": self.reason}


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
    tmp = Path(tempfile.mkdtemp(prefix=f"{CELL_PREFIX}{os.getpid()}-"))
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
        (tmp / "home").mkdir()
        # Only what kustomize needs: nothing of the caller's environment comes along.
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(inside / "home"),
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
    exit_code, sig = _ending(r.returncode, status if boxed else None, boxed)
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


def run_boxed(
    box: Sandbox, cell: Path, host_bin: Path, argv: list[str], env: dict[str, str], timeout: float
) -> tuple[proc.Result, str | None]:
    """`argv` in the sandbox, as nobody, with the cell at INSIDE_CELL and `host_bin` at
    INSIDE_HOST; and how it ended, as the wrapper inside reported it ("exit N", "signal N")."""
    uid = _give_away(cell)
    rfd, wfd = os.pipe()
    status = None
    try:
        full = [
            *_bwrap_argv(box, cell, host_bin),
            sys.executable,
            "-I",
            "-S",
            "-c",
            _STATUS_WRAPPER,
            str(wfd),
            str(uid),
            *argv,
        ]
        r = proc.run(full, env=env, cwd=cell, timeout=timeout, pass_fds=(wfd,))
        os.close(wfd)
        wfd = -1
        os.set_blocking(rfd, False)
        with contextlib.suppress(BlockingIOError):
            status = os.read(rfd, 64).decode("ascii", "replace") or None
    finally:
        os.close(rfd)
        if wfd >= 0:
            os.close(wfd)
    return r, status


def _ending(rc: int | None, status: str | None, boxed: bool) -> tuple[int | None, int | None]:
    """(exit code, signal) of the load from the process's status (and the sandbox's report)."""
    if rc is None:
        return None, None  # killed on timeout
    if boxed and status:
        word, _, num = status.partition(" ")
        if num.isdigit():
            n = int(num)
            # Trust the report only where it agrees with what bwrap passed on.
            if word == "exit" and rc == n:
                return n, None
            if word == "signal" and rc == 128 + n:
                return None, n
    return (rc, None) if rc >= 0 else (None, -rc)


# ---------------------------------------------------------------------- the sandbox
@functools.cache
def sandbox() -> Sandbox:
    """How loads are confined on this runner, found once by really trying bwrap."""
    mode = os.environ.get(SANDBOX_ENV, "auto")
    if mode not in ("auto", "bwrap", "none"):
        raise UserError(f"{SANDBOX_ENV}={mode!r}: expected auto, bwrap or none")
    if mode == "none":
        return Sandbox("none", reason=f"disabled by {SANDBOX_ENV}=none")
    bw = shutil.which("bwrap")
    box = (
        Sandbox("none", reason="bwrap is not installed (apt-get install -y bubblewrap)")
        if bw is None
        else _probe(bw)
    )
    if mode == "bwrap" and box.kind != "bwrap":
        raise UserError(f"{SANDBOX_ENV}=bwrap, but loads cannot be sandboxed here: {box.reason}")
    return box


def _probe(bw: str) -> Sandbox:
    """Run the sandbox as a load would: a write inside must work, one outside must not."""
    try:
        version = (
            subprocess.run([bw, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
            or None
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return Sandbox("none", reason=f"{bw} --version failed: {e}")
    box = Sandbox("bwrap", bw, version)
    tmp = Path(tempfile.mkdtemp(prefix=f"{CELL_PREFIX}{os.getpid()}-"))
    outside = Path(tempfile.mkdtemp(prefix="plugin-matrix-probe-"))
    try:
        script = (
            f"echo in > {INSIDE_CELL}/in; echo out > {outside}/out 2>/dev/null; "
            f"echo out > /tmp/out 2>/dev/null; exit 0"
        )
        r, status = run_boxed(box, tmp, Path("/bin/sh"), ["/bin/sh", "-c", script], proc.base_env(), 60)
        if r.returncode != 0 or status != "exit 0" or not (tmp / "in").is_file():
            why = (r.output.splitlines() or [f"exit status {r.returncode}"])[0]
            return Sandbox("none", reason=f"bwrap cannot run here: {why}")
        if (outside / "out").exists():
            return Sandbox("none", reason="bwrap ran, but did not stop a write outside the cell")
        return box
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(outside, ignore_errors=True)


def _give_away(cell: Path) -> int:
    """Hand the cell directory to the sandbox's user; -1 when we cannot (not root)."""
    if os.geteuid() != 0:
        return -1
    for d, dirs, files in os.walk(cell):
        for name in [d, *(os.path.join(d, f) for f in dirs + files)]:
            os.chown(name, SANDBOX_UID, SANDBOX_UID)
            # bwrap (capless) must see in; an executable (an exec plugin) stays one, and a
            # file without the executable bit (scenario not-executable) stays without.
            x = os.path.isdir(name) or os.stat(name).st_mode & 0o111
            os.chmod(name, 0o755 if x else 0o644)
    return SANDBOX_UID


def _bwrap_argv(box: Sandbox, cell: Path, host_bin: Path) -> list[str]:
    assert box.bwrap
    a = [box.bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for d in HIDDEN:
        if os.path.isdir(d) and not os.path.islink(d):
            a += ["--tmpfs", d]
    # The wrapper's Python, where an empty tmpfs above hides it.
    for p in sorted({sys.base_prefix, sys.prefix}):
        if any(p == h or p.startswith(h + "/") for h in HIDDEN):
            a += ["--ro-bind", p, p]
    a += [
        "--ro-bind",
        str(host_bin),
        INSIDE_HOST,
        "--bind",
        str(cell),
        INSIDE_CELL,
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--chdir",
        INSIDE_CELL,
    ]
    if os.geteuid() == 0:
        a += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    return [*a, "--"]


def clean_stale_cells(tmpdir: str | None = None) -> list[Path]:
    """Remove cell directories left behind by runs that were killed (their pid is gone)."""
    removed = []
    base = Path(tmpdir or tempfile.gettempdir())
    pat = re.compile(re.escape(CELL_PREFIX) + r"(\d+)-[a-z0-9_]{8}$")
    for p in base.glob(CELL_PREFIX + "*"):
        m = pat.match(p.name)
        if not m or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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

"""The cell directories loads run in, and the sandbox that confines them.

Each load runs in a throw-away cell directory (`new_cell`), named with the pid of its run
so that `clean_stale_cells` removes those of runs that were killed.

The load runs code nobody reviewed, so where bubblewrap (`bwrap`) works it runs in a
sandbox: the filesystem read-only except the cell's own directory, /tmp, /run and the
home directories replaced by empty ones, no network, its own pid/ipc/uts namespaces, no
capabilities, as user nobody, killed with the run. Whether a load was sandboxed is
recorded in the record's runner provenance (`runner.sandbox`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matrix import UserError
from matrix.measure import proc

CELL_PREFIX = "plugin-matrix-cell-"  # + "<pid of the run>-": stale ones are found by pid
SANDBOX_ENV = "PLUGIN_MATRIX_SANDBOX"  # auto (default): bwrap if it works | bwrap: required | none
SANDBOX_UID = 65534  # nobody
INSIDE_CELL = "/tmp/cell"  # where the sandboxed load sees its cell directory
INSIDE_HOST = "/tmp/kustomize"  # ... and its host binary
HIDDEN = ("/tmp", "/var/tmp", "/run", "/root", "/home")  # replaced by empty tmpfs in the sandbox

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


@dataclass(frozen=True)
class Sandbox:
    """How loads are confined on this runner (`sandbox()`)."""

    kind: str  # "bwrap" | "none"
    bwrap: str | None = None
    version: str | None = None
    reason: str | None = None  # why there is none

    def provenance(self) -> dict[str, Any]:
        return {"kind": self.kind, "version": self.version, "reason": self.reason}


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


def ending(rc: int | None, status: str | None, boxed: bool) -> tuple[int | None, int | None]:
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
    tmp = new_cell()
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


# ---------------------------------------------------------------------- cell directories


def new_cell() -> Path:
    """A fresh cell directory under the system's temporary directory."""
    return Path(tempfile.mkdtemp(prefix=f"{CELL_PREFIX}{os.getpid()}-"))


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

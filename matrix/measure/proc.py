"""Running subprocesses: allowlisted environment, timeout, bounded captured output.

Output is read from pipes as it comes and only a bounded head and tail are kept, so a
child that prints gigabytes costs neither memory nor disk. A child dies with us (a
killed run leaves no orphan build or load behind), dumps no core, and its whole process
group is killed when it ends or times out.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import re
import resource
import selectors
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# What a child may inherit from our environment; everything else is dropped so no
# secret of the caller ends up in a build log or a record.
INHERIT = (
    "PATH",
    "HOME",
    "GOCACHE",
    "GOMODCACHE",
    "GOPATH",
    "GOPROXY",
    "GONOSUMDB",
    "GONOSUMCHECK",
    "GOPRIVATE",
    "GOSUMDB",
    "GONOPROXY",
    "GOINSECURE",
    "TMPDIR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)

KEEP_HEAD = 12_000
KEEP_TAIL = 4_000
# After the child exits, how long a grandchild holding its pipes open is waited for.
DRAIN_S = 2.0

# Environment variables whose values are secrets: never shown in captured output, even
# when a child found them somewhere else than in its own environment (e.g. /proc).
SECRET_NAME = re.compile(
    r"SECRET|TOKEN|PASSW|PASSPHRASE|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_?KEY"
    r"|AUTH|SESSION|COOKIE",
    re.I,
)
_URL_PASSWORD = re.compile(r"\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@", re.I)
_PR_SET_PDEATHSIG = 1
_stop = False  # set by request_stop(): the run was asked to end (SIGINT, SIGTERM)


def request_stop() -> None:
    """Remember that the run must end. A signal handler calls this and then raises
    KeyboardInterrupt; where Python swallows that exception (it does in at-fork hooks and
    finalizers), the next wait for a child raises it again."""
    global _stop
    _stop = True


def _check_stop() -> None:
    if _stop:
        raise KeyboardInterrupt


@dataclass
class Result:
    argv: list[str]
    returncode: int | None  # None: killed on timeout
    stdout: str
    stderr: str
    truncated: bool
    duration_s: float
    timed_out: bool

    @property
    def output(self) -> str:
        """stdout and stderr together, as a person would see them in a terminal."""
        return (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: os.environ[k] for k in INHERIT if k in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env["LANG"] = "C.UTF-8"
    env.update(extra or {})
    return env


def redact(text: str) -> str:
    """Text with our own secrets (by value) and passwords in URLs replaced."""
    for name, value in os.environ.items():
        if len(value) >= 6 and name not in INHERIT and SECRET_NAME.search(name) and value in text:
            text = text.replace(value, f"[{name} redacted]")
    return _URL_PASSWORD.sub(r"\1[redacted]@", text)


class Capture:
    """The first KEEP_HEAD and last KEEP_TAIL bytes of a stream, and how long it was."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if len(self.head) < KEEP_HEAD:
            take = KEEP_HEAD - len(self.head)
            self.head += chunk[:take]
            chunk = chunk[take:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > KEEP_TAIL:
                del self.tail[: len(self.tail) - KEEP_TAIL]

    def text(self) -> tuple[str, bool]:
        cut = self.total - len(self.head) - len(self.tail)
        if cut <= 0:
            return bytes(self.head + self.tail).decode("utf-8", "replace"), False
        return (
            bytes(self.head).decode("utf-8", "replace")
            + f"\n[... {cut} bytes truncated by plugin-matrix ...]\n"
            + bytes(self.tail).decode("utf-8", "replace")
        ), True


@functools.cache
def _prctl() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _child_setup(parent: int, mask: set[int | signal.Signals]) -> None:
    """In the child, before exec: no core dumps; die when the run that started us dies."""
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    prctl = _prctl()
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the run died before prctl: do not outlive it
        os._exit(137)


def run(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path | None = None,
    timeout: float = 600.0,
    pass_fds: Sequence[int] = (),
) -> Result:
    _check_stop()
    start = time.monotonic()
    _prctl()  # load libc before forking
    # Ctrl-C waits until the child is started and known, so it is never left behind.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        p = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
            pass_fds=tuple(pass_fds),
            preexec_fn=functools.partial(_child_setup, os.getpid(), mask),
        )
    except OSError as e:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        return Result(
            argv, 127, "", f"cannot start {argv[0]}: {e.strerror}", False, time.monotonic() - start, False
        )
    out, err = Capture(), Capture()
    assert p.stdout is not None
    assert p.stderr is not None
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        timed_out = _pump(p, {p.stdout.fileno(): out, p.stderr.fileno(): err}, start + timeout)
    finally:
        # Kill the whole process group: a plugin may have started children.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        p.stdout.close()
        p.stderr.close()
    so, se = out.text(), err.text()
    return Result(
        argv,
        None if timed_out else p.returncode,
        redact(so[0]),
        redact(se[0]),
        so[1] or se[1],
        round(time.monotonic() - start, 3),
        timed_out,
    )


def _pump(p: subprocess.Popen[bytes], caps: dict[int, Capture], deadline: float) -> bool:
    """Read the child's pipes until they close or time runs out; True if it timed out."""
    sel = selectors.DefaultSelector()
    for fd, cap in caps.items():
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ, cap)
    drain_until: float | None = None
    try:
        while sel.get_map():
            _check_stop()
            now = time.monotonic()
            if drain_until is None and p.poll() is not None:
                drain_until = now + DRAIN_S  # a grandchild may hold the pipes: not forever
            limit = deadline if drain_until is None else min(deadline, drain_until)
            if now >= limit:
                return drain_until is None
            for key, _ in sel.select(timeout=min(0.5, limit - now)):
                try:
                    chunk = os.read(key.fd, 1 << 16)
                except BlockingIOError:
                    continue
                if chunk:
                    key.data.add(chunk)
                else:
                    sel.unregister(key.fd)
    finally:
        sel.close()
    while True:
        _check_stop()
        try:
            p.wait(timeout=max(0.0, min(0.5, deadline - time.monotonic())))
            return False
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                return True

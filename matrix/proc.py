"""Running subprocesses: allowlisted environment, timeout, bounded captured output.

Output goes to temporary files rather than pipes, so a child that prints megabytes
costs disk, not memory, and only a bounded head and tail are kept.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# What a child may inherit from our environment; everything else is dropped so no
# secret of the caller ends up in a build log or a record.
INHERIT = ("PATH", "HOME", "GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GONOSUMDB",
           "GONOSUMCHECK", "GOPRIVATE", "GOSUMDB", "GONOPROXY", "GOINSECURE", "TMPDIR",
           "SSL_CERT_FILE", "SSL_CERT_DIR")

KEEP_HEAD = 12_000
KEEP_TAIL = 4_000


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


def run(argv: list[str], *, env: dict[str, str], cwd: Path | None = None,
        timeout: float = 600.0) -> Result:
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                 env=env, cwd=cwd, start_new_session=True)
        except OSError as e:
            return Result(argv, 127, "", f"cannot start {argv[0]}: {e.strerror}", False,
                          time.monotonic() - start, False)
        timed_out = False
        try:
            rc: int | None = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            rc = None
        finally:
            # Kill the whole process group: a plugin may have started children.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        so, se = (bounded_file(f) for f in (out, err))
    return Result(argv, rc, so[0], se[0], so[1] or se[1], round(time.monotonic() - start, 3),
                  timed_out)


def bounded_file(f: IO[bytes]) -> tuple[str, bool]:
    size = f.seek(0, os.SEEK_END)
    f.seek(0)
    if size <= KEEP_HEAD + KEEP_TAIL:
        return f.read().decode("utf-8", "replace"), False
    head = f.read(KEEP_HEAD)
    f.seek(size - KEEP_TAIL)
    tail = f.read(KEEP_TAIL)
    cut = size - KEEP_HEAD - KEEP_TAIL
    return (head.decode("utf-8", "replace")
            + f"\n[... {cut} bytes truncated by plugin-matrix ...]\n"
            + tail.decode("utf-8", "replace")), True

"""The work of build-plugin: a temporary copy, the plan's steps run in it and the
environment they get (matrix.measure.build_plugin and its parts share it)."""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path

from matrix import UserError
from matrix.diagnose import elf, gomod, recipe
from matrix.diagnose.plan import WORK, Plan, Step
from matrix.measure import proc, toolchains
from matrix.measure.toolchains import Toolchain, shared_caches

EXIT_CANNOT_LOAD = 1
BUILD_TIMEOUT_S = 1800.0
STEP_TIMEOUT_S = 600.0
MAX_CANDIDATES = 8  # older versions of one module tried when its go.mod needs a newer Go
GO_VERSION_ROUNDS = 4


def _recipe_toolchain(r: recipe.Recipe, local: str | None) -> Toolchain:
    return toolchains.resolve(
        "recipe",
        {"go": r.go_command(local), "gotoolchain": r.toolchain_env(local).get("GOTOOLCHAIN", "local")},
    )


class _StepFailed(Exception):
    def __init__(self, res: proc.Result) -> None:
        super().__init__(" ".join(res.argv[:3]))
        self.res = res


class _Work:
    """A temporary directory, the plan's steps run in it, and the environment they get."""

    def __init__(self, root: Path, p: Plan, tc: Toolchain, out: Path | None) -> None:
        self.root = root
        self.plan = p
        self.tc = tc
        self.out = out
        extra = {k: v for k, v in p.env.items() if k != "GOTOOLCHAIN"}
        self.env = tc.env(shared_caches(), extra)
        self.log: list[str] = []

    def real(self, s: str) -> str:
        return s.replace(WORK, str(self.root))

    def step(
        self, argv: list[str], cwd: str, why: str, timeout: float = STEP_TIMEOUT_S, check: bool = True
    ) -> proc.Result:
        """Record a step of the plan and run it; a failure (with `check`) ends the preparation."""
        self.plan.steps.append(Step(argv, cwd, why))
        res = self.run(argv, cwd, timeout)
        if check and res.returncode != 0:
            raise _StepFailed(res)
        return res

    def run(self, argv: list[str], cwd: str, timeout: float = STEP_TIMEOUT_S) -> proc.Result:
        real = [self.real(a) for a in argv]
        res = proc.run(real, env=self.env, cwd=Path(self.real(cwd)) if cwd else None, timeout=timeout)
        self.log.append(f"$ {' '.join(argv)}\n{res.output}".rstrip())
        return res

    def capture(self, argv: list[str], cwd: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        """A query whose whole output matters (go list, go mod graph). It is not a step of the
        plan, so what it writes to the copy's go.mod and go.sum is undone: the copy changes
        only by the plan's steps, and the printed script does exactly what was done."""
        keep = {
            f: f.read_bytes() for f in (self.root / "src" / n for n in ("go.mod", "go.sum")) if f.is_file()
        }
        try:
            r = subprocess.run(
                [self.real(a) for a in argv],
                cwd=self.real(cwd) or self.root,  # never the user's directory
                env=env or self.env,
                capture_output=True,
                text=True,
                timeout=STEP_TIMEOUT_S,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            return 1, str(e)
        finally:
            for f in (self.root / "src" / n for n in ("go.mod", "go.sum")):
                if f in keep:
                    f.write_bytes(keep[f])
                elif f.is_file():
                    f.unlink()
        self.log.append(f"$ {' '.join(argv)}  (query)\n{r.stderr}".rstrip())
        return r.returncode, r.stdout if r.returncode == 0 else (r.stderr or r.stdout)

    def mod_json(self, gomod_file: Path, what: str) -> gomod.ModFile:
        code, out = self.capture([self.editor, "mod", "edit", "-json", str(gomod_file)], "", self.edit_env)
        if code != 0:
            text = gomod.first_error(out).replace(f"{gomod_file}:", "line ")
            raise UserError(f"{what}: does not parse: {text}")
        return gomod.ModFile.from_json(json.loads(out))

    @functools.cached_property
    def editor(self) -> str:
        """The go command that edits go.mod files: the host's Go, unless it is older than Go
        1.21 (which does not know toolchain lines nor three-part go lines)."""
        minor = elf.go_minor(self.plan.recipe.go_version)
        return "go" if minor and minor < (1, 21) else self.tc.go

    @property
    def edit_env(self) -> dict[str, str]:
        return {**self.env, "GOTOOLCHAIN": "local"} if self.editor != self.tc.go else self.env

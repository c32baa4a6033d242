"""Sessions of the kustomize Go plugin matrix. `nox -l` lists them.

Shared logic lives in the `matrix` package; sessions only install and call it.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "tests"]

PYPROJECT = nox.project.load_toml("pyproject.toml")


def install(session: nox.Session, *groups: str) -> None:
    deps = [d for g in groups for d in nox.project.dependency_groups(PYPROJECT, g)]
    session.install("-e", ".", *deps)


def provision_for(session: nox.Session, purpose: str) -> None:
    """Install missing Debian packages as root; otherwise print the command and go on."""
    session.run("plugin-matrix", "provision", "--for", purpose, success_codes=[0, 1])


@nox.session(default=False)
def matrix(session: nox.Session) -> None:
    """The main job: build, load and record the grid (default profile), then build the site.

    Pass options after `--`, e.g. `nox -s matrix -- --profile smoke --kustomize v5.8.2`.
    """
    install(session, "docs")
    provision_for(session, "grid")
    session.run("plugin-matrix", "run", *session.posargs)
    session.run("plugin-matrix", "history")  # what changed since the previous run, kept in data/
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", env=QUIET_MKDOCS)


@nox.session
def tests(session: nox.Session) -> None:
    """Unit and integration tests, including a real smoke grid and browser tests."""
    install(session, "test", "docs")
    provision_for(session, "tests")
    session.run("pytest", *session.posargs, env={"PYTHONHASHSEED": "0"})


LINTED = ["matrix", "tests", "benchmarks", "scripts", "docs/gen_pages.py", "docs/hooks.py", "noxfile.py"]


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (check and format), mypy strict on the package and the tests, and the layers:
    import-linter's contracts (pyproject.toml) and no import cycles."""
    install(session, "lint", "test")
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)
    session.run("mypy", "matrix")
    session.run("mypy", "--strict", "tests")
    session.run("lint-imports")
    session.run("python", "scripts/check_cycles.py")


# Plugins print an advert for an mkdocs fork to stderr; it is not a build warning.
QUIET_MKDOCS = {"NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """Build the site from the committed data with `mkdocs build --strict` (no network)."""
    install(session, "docs")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", *session.posargs, env=QUIET_MKDOCS)


@nox.session(default=False)
def serve(session: nox.Session) -> None:
    """Preview the site at http://127.0.0.1:8000."""
    install(session, "docs")
    session.run("mkdocs", "serve", *session.posargs, env=QUIET_MKDOCS)


@nox.session(default=False)
def provision(session: nox.Session) -> None:
    """Install the Debian packages the grid and tests need (as root; else print the command)."""
    install(session)
    session.run("plugin-matrix", "provision", "--for", "grid", "--for", "tests", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks in benchmarks/: results (with the machine's description) in benchmarks/results/.

    `nox -s bench -- --cold` also measures a default grid run from nothing (about an hour).
    """
    install(session, "test", "docs")
    cold = "--cold" in session.posargs
    for script in sorted(Path("benchmarks").glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        args = ["--cold"] if cold and name == "grid" else []
        session.run("python", str(script), "--out", f"benchmarks/results/{name}.json", *args)


@nox.session(default=False)
def stress(session: nox.Session) -> None:
    """The heavy fault tests at full counts (tens of minutes): more kill points on a larger
    grid, more children flooding output, and the inspect/doctor fuzzing at 10,000 inputs.

    `nox -s tests` runs the same tests with small counts. Pass pytest options after `--`,
    e.g. `nox -s stress -- -x -k interrupt`; PLUGIN_MATRIX_STRESS_* variables set single
    counts (see tests/hostile/harness.py).
    """
    install(session, "test", "docs")
    provision_for(session, "tests")
    env = {"PYTHONHASHSEED": "0", "PLUGIN_MATRIX_STRESS": "1", "PLUGIN_MATRIX_FUZZ_N": "10000"}
    session.run("pytest", "-m", "stress", *session.posargs, env=env)
    if not session.posargs:
        # The fuzzing lives with the ELF tests; status 5 (nothing selected) is not a failure.
        session.run("pytest", "tests/test_elf.py", "-k", "fuzz", env=env, success_codes=[0, 5])

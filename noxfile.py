"""Checks: `nox` runs them all; `nox --list` shows each; `nox -s smoke -- -k healthz` passes args on.

Dependencies come from requirements/*.txt; the service's own from its hash-checked lock.
"""

from __future__ import annotations

import nox

nox.needs_version = ">=2025.2.9"
# uv when it is installed (much faster); the standard library's venv otherwise.
nox.options.default_venv_backend = "uv|venv"
# Pinned requirements make a kept environment safe to reuse: the second run skips the setup.
nox.options.reuse_venv = "yes"

# From requires-python up to the newest CPython the service is tested on.
PYTHONS = nox.project.python_versions(nox.project.load_toml("pyproject.toml"), max_version="3.13")
LINTED = ["tasks.py", "noxfile.py", "service", "tooling", "docker", "tests", "bench"]
# Long enough for pytest to tear its containers down after Ctrl-C before nox stops waiting.
TEARDOWN_SECONDS = 60


def install(session: nox.Session, *names: str) -> None:
    for name in names:
        # The service's lock carries hashes, so it goes in a call of its own.
        session.install("-r", f"requirements/{name}.txt")


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff (lint and format), hadolint on the Dockerfile, the import layers, mypy on the code."""
    install(session, "lint", "service", "tasks", "test")
    session.install("nox")
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)
    session.run("hadolint", "docker/Dockerfile")
    session.run("lint-imports")
    session.run("mypy", *(session.posargs or LINTED))


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Unit tests of the service, the tasks and the server config, with coverage; no Docker needed."""
    install(session, "service", "tasks", "test")
    session.run(
        "pytest",
        "--cov",
        "--cov-report=term-missing:skip-covered",
        "--cov-fail-under=90",
        *(session.posargs or ["tests/service", "tests/tooling", "tests/docker"]),
    )


def engine_tests(session: nox.Session, folder: str) -> None:
    """pytest on tests/FOLDER against the real engine, given time to tear down after Ctrl-C."""
    install(session, "tasks", "test")
    session.run("pytest", f"tests/{folder}", *session.posargs, interrupt_timeout=TEARDOWN_SECONDS)


@nox.session
def smoke(session: nox.Session) -> None:
    """Build the image as `inv build` does, run it, check it over real HTTP, always tear down."""
    engine_tests(session, "container")


@nox.session
def integration(session: nox.Session) -> None:
    """The inv tasks end to end against the real engine, under a project label of their own."""
    engine_tests(session, "integration")


@nox.session
def reliability(session: nox.Session) -> None:
    """Load, faults and bad input against a real container (about two minutes)."""
    engine_tests(session, "reliability")


@nox.session
def deploy(session: nox.Session) -> None:
    """Push, deploy, update, roll back on a real swarm and registry, under load (a few minutes)."""
    engine_tests(session, "deploy")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmark our image against the tutorial's, side by side; prints a table and draws it (not a check)."""
    install(session, "tasks", "bench")
    session.run("python", "-m", "bench", *session.posargs)

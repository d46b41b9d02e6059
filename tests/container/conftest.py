"""The smoke checks' containers, started at once: each selected test's container waits for its first
health check while the others do, instead of after them. A test asks for its container by name;
only the containers the selected tests ask for are started."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.container.scraping import Churn
from tests.engine import HOST_LABEL, PID_LABEL, RUN_ID, Running, remove, start_test_services
from tooling.core.errors import ToolError
from tooling.core.settings import Settings
from tooling.engine.containers import labels, start_container, url

RESTARTING_WORKERS = 2

# fixture -> (container name, its environment, what it is for): the shared one, started the way
# `inv run` starts it, and those a test changes, ends, or must have to itself.
FLEET: dict[str, tuple[str, dict[str, str] | None, str]] = {
    "service": ("smoke", None, "The container most checks share, started the way `inv run` starts it."),
    "stopping": ("stop", {"WEB_CONCURRENCY": "2"}, "A container of its own, for the test that stops it."),
    "text_lines": ("text", {"GUNICORN_ACCESS_LOG": "text", "WEB_CONCURRENCY": "2"}, "Access lines as text."),
    "unmetered": ("nometrics", {"METRICS_PORT": "0", "WEB_CONCURRENCY": "2"}, "Metrics off (METRICS_PORT=0)."),
    "counting": ("counting", {"WEB_CONCURRENCY": "3"}, "Its /test is asked by the counting checks alone."),
}


@dataclass
class Fleet:
    running: dict[str, Running]  # container name -> the container
    churn: Churn | None = None  # the restarts' churn, under way
    quota: Any = None  # a container limited to half a CPU, booting its workers
    extra: list[Any] = field(default_factory=list)  # the containers started without a health wait


def plain(client: Any, image: str, name: str, **run: Any) -> Any:
    """A `docker run -d` of ``image``, not waited for."""
    name = f"flask-service-{name}-{RUN_ID}"
    mine = labels(name, "test", **{PID_LABEL: str(os.getpid()), HOST_LABEL: socket.gethostname()})  # reaped if we die
    return start_container(client, image, name=name, host="127.0.0.1", port=0, labels=mine, **run)


@pytest.fixture(scope="session")
def fleet(
    request: pytest.FixtureRequest, docker_client: Any, settings: Settings, image: str, pytestconfig: pytest.Config
) -> Iterator[Fleet]:
    asked = {name for item in request.session.items for name in getattr(item, "fixturenames", ())}
    wanted = {name: envs for fixture, (name, envs, _) in FLEET.items() if fixture in asked}
    found = Fleet({})
    # Two containers with no health to wait for, started first: one limited to half a CPU, whose
    # workers' boot the test waits for; one whose workers each serve one request, for the longest
    # check, 100 worker restarts, which begins as soon as it answers and runs while the rest do.
    if "quota" in asked:
        found.quota = plain(docker_client, image, "quota", cpus=0.5)
        found.extra.append(found.quota)
    if "churned" in asked:
        envs = {"GUNICORN_MAX_REQUESTS": "1", "WEB_CONCURRENCY": str(RESTARTING_WORKERS)}
        restarts = plain(docker_client, image, "restarts", envs=envs)
        found.extra.append(restarts)
        found.churn = Churn(Running(restarts, url(restarts)), RESTARTING_WORKERS).start()
    try:
        found.running = start_test_services(docker_client, settings, image, pytestconfig, wanted)
    except BaseException as error:  # a container that would not start, or Ctrl-C: the two above go too
        remove(docker_client, *[Running(c, "") for c in found.extra])
        if not isinstance(error, ToolError):
            raise
        pytest.fail(f"{error.details}\n{error.message}".strip(), pytrace=False)
    yield found
    remove(docker_client, *found.running.values(), *[Running(c, "") for c in found.extra])


def _one_of_the_fleet(fixture: str, name: str, doc: str) -> Any:
    def one(fleet: Fleet) -> Running:
        return fleet.running[name]

    one.__doc__ = doc
    return pytest.fixture(scope="session", name=fixture)(one)


for _fixture, (_name, _, _doc) in FLEET.items():
    globals()[_fixture] = _one_of_the_fleet(_fixture, _name, _doc)


@pytest.fixture
def quota(fleet: Fleet) -> Any:
    """A container limited to half a CPU (`docker run --cpus 0.5`), started with the others."""
    return fleet.quota


@pytest.fixture
def churned(fleet: Fleet) -> Churn:
    """100 worker restarts (max_requests 1), under way since the fleet started (tests/container/scraping.py)."""
    assert fleet.churn is not None
    return fleet.churn

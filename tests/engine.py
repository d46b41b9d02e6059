"""Fixtures for tests against a real Docker engine: the image built by the tooling `inv build`
uses, containers started by the code `inv run` uses, and teardown that always runs.

Every run has its own id, so two runs at once never share a container or an image tag.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from tooling.build import build_image
from tooling.docker import connect, find_container
from tooling.errors import ToolError
from tooling.service import Progress, RunOptions, start, url, wait_healthy
from tooling.settings import Settings, from_invoke

RUN_ID = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
HOST_LABEL = "dev.flask-service.test-host"
PID_LABEL = "dev.flask-service.test-pid"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 10
) -> Response:
    """One real HTTP request; error statuses are answers too, not exceptions."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(answer.status, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read())


@dataclass
class Running:
    container: Any
    url: str


@contextmanager
def terminal(config: pytest.Config) -> Iterator[None]:
    """Let build output and the health wait reach the terminal while pytest captures the rest."""
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        yield


def reap_dead_runs(client: Any) -> None:
    """Remove test containers whose run died without tearing down (killed, not interrupted)."""
    mine = socket.gethostname()
    for container in client.container.list(all=True, filters=[("label", PID_LABEL)]):
        labels = container.config.labels or {}
        if labels.get(HOST_LABEL) != mine:
            continue
        try:
            os.kill(int(labels[PID_LABEL]), 0)
        except ProcessLookupError:
            container.remove(force=True)
        except (PermissionError, ValueError):
            pass


@pytest.fixture(scope="session")
def client() -> Any:
    try:
        docker = connect()
    except ToolError as error:
        pytest.fail(f"these tests need a Docker engine: {error.message}", pytrace=False)
    reap_dead_runs(docker)
    return docker


@pytest.fixture(scope="session")
def settings() -> Settings:
    return from_invoke()


@pytest.fixture(scope="session")
def image(client: Any, settings: Settings, pytestconfig: pytest.Config) -> Iterator[str]:
    """The service's image, built by the code behind `inv build`, under a tag of this run's own."""
    reference = f"{settings.image}:test-{RUN_ID}"
    try:
        with terminal(pytestconfig):
            build_image(client, settings, tags=[reference])
    except ToolError as error:
        pytest.fail(error.message, pytrace=False)
    yield reference
    # Only the tag goes: its layers stay as cache for the next run (`inv clean` removes them).
    client.image.remove(reference, force=True, prune=False)


def start_service(
    client: Any,
    settings: Settings,
    image: str,
    config: pytest.Config,
    *,
    name: str,
    envs: dict[str, str] | None = None,
) -> Running:
    """Start a container of ``image`` on a free port and wait until it is healthy."""
    options = RunOptions.from_settings(
        settings,
        name=f"{settings.container}-{name}-{RUN_ID}",
        image=image,
        host="127.0.0.1",
        port=0,
        env_file="",
        role="test",
        envs=envs or {},
        extra_labels={PID_LABEL: str(os.getpid()), HOST_LABEL: socket.gethostname()},
    )
    container = start(client, settings, options)
    try:
        with terminal(config):
            wait_healthy(container, settings.health_timeout, Progress())
    except BaseException:
        container.remove(force=True)
        raise
    return Running(container, url(container))


def remove(client: Any, running: Running) -> None:
    leftover = find_container(client, running.container.name)
    if leftover is not None:
        leftover.remove(force=True)


@pytest.fixture(scope="session")
def service(client: Any, settings: Settings, image: str, pytestconfig: pytest.Config) -> Iterator[Running]:
    """One container of the image for the whole run, started the way `inv run` starts it."""
    try:
        running = start_service(client, settings, image, pytestconfig, name="smoke")
    except ToolError as error:
        pytest.fail(error.message, pytrace=False)
    yield running
    remove(client, running)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On a failure, show the service's last log lines and health log beside the assertion."""
    report = yield
    running = getattr(item, "funcargs", {}).get("service") or getattr(item, "funcargs", {}).get("fresh")
    if report.failed and isinstance(running, Running):
        container = running.container
        try:
            container.reload()
            logs = container.logs(tail=30)
            health = container.state.health.log if container.state.health else []
            checks = "\n".join(f"exit {c.exit_code}: {(c.output or '').strip()}" for c in (health or [])[-3:])
        except Exception as error:  # noqa: BLE001 - the container may be gone; say so
            logs, checks = f"(no logs: {error})", ""
        report.sections.append((f"{container.name}: last log lines", logs))
        report.sections.append((f"{container.name}: health log", checks or "(none)"))
    return report

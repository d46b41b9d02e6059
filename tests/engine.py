"""Helpers for tests against a real Docker engine (their fixtures are in tests/conftest.py):
containers started by the code `inv run` uses, real HTTP, and commands inside a container.

Every run has its own id, so two runs at once never share a container or an image tag.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from tooling.core.settings import Settings
from tooling.core.terminal import LiveLine
from tooling.engine.containers import find_container
from tooling.engine.containers import url as published_url
from tooling.verbs.run import run_service

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
    """A container of the service that a test started, and where it answers."""

    container: Any
    url: str


def sh(target: Running | Any, command: str, user: str | None = None) -> str:
    """``sh -c command`` inside a running container (or a Running's); its output."""
    container = target.container if isinstance(target, Running) else target
    return str(container.execute(["sh", "-c", command], user=user))


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


def start_test_services(
    client: Any,
    settings: Settings,
    image: str,
    config: pytest.Config,
    wanted: dict[str, dict[str, str] | None],
) -> dict[str, Running]:
    """Start a container of ``image`` per name in ``wanted`` (with its environment), on a free port,
    as `inv run` does, all at once, and wait until every one is healthy: their waits for a first
    health check overlap. One live line shows them all. When one fails, the others are removed."""
    phases: dict[str, str] = {}
    lock = threading.Lock()

    def start(name: str, envs: dict[str, str] | None, shown: LiveLine) -> Running:
        def progress(line: str, phase: str) -> None:
            with lock:
                phases[name] = phase
                shown(", ".join(f"{n} {p}" for n, p in sorted(phases.items())), "|".join(sorted(phases.values())))

        repository, _, tag = image.rpartition(":")
        named = settings.override(
            container=f"{settings.container}-{name}-{RUN_ID}", image=repository, tag=tag, host="127.0.0.1", port=0
        )
        extra = {PID_LABEL: str(os.getpid()), HOST_LABEL: socket.gethostname()}
        started = run_service(client, named, progress, role="test", envs=envs, extra_labels=extra)
        return Running(started.container, published_url(started.container))

    futures: dict[str, Future[Running]] = {}

    def started() -> list[Running]:
        return [f.result() for f in futures.values() if f.done() and not f.cancelled() and f.exception() is None]

    try:
        with terminal(config), LiveLine() as shown, ThreadPoolExecutor(max(1, len(wanted))) as pool:
            futures.update({name: pool.submit(start, name, envs, shown) for name, envs in wanted.items()})
            wait(futures.values())
    except BaseException:  # Ctrl-C: leaving the pool waited for what it had begun; none of it stays
        remove(client, *started())
        raise
    failed = next((f.exception() for f in futures.values() if f.exception() is not None), None)
    if failed is not None:
        remove(client, *started())
        raise failed
    return {name: future.result() for name, future in futures.items()}


def start_test_service(
    client: Any,
    settings: Settings,
    image: str,
    config: pytest.Config,
    *,
    name: str,
    envs: dict[str, str] | None = None,
) -> Running:
    """Start a container of ``image`` on a free port, as `inv run` does, and wait until it is healthy."""
    return start_test_services(client, settings, image, config, {name: envs})[name]


def remove(client: Any, *running: Running) -> None:
    """The containers of ``running`` that are still there, removed (at once, when there are several)."""

    def one(found: Running) -> None:
        leftover = find_container(client, found.container.name)
        if leftover is not None:
            leftover.remove(force=True)

    with ThreadPoolExecutor(max(1, len(running))) as pool:
        list(pool.map(one, running))

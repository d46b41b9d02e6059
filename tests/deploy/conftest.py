"""Fixtures for the deploy checks: a temporary clone of this checkout (so a run can commit its own
releases), a stack, project and registry path of this run's own, `inv` run in that clone as a
user types it, traffic from the host through the edge, and a teardown that always runs."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bench import load
from tests.engine import RUN_ID
from tooling import engine
from tooling.errors import ToolError
from tooling.settings import ROOT, STACK_LABEL
from tooling.swarm import Swarm

AUTH_REGISTRY = "DEPLOY_TEST_AUTH_REGISTRY"  # a registry that wants a login (.ci/registry.sh starts one)
GIT = ["git", "-c", "user.name=deploy-check", "-c", "user.email=deploy-check@localhost", "-c", "commit.gpgsign=false"]


def _missing(what: str, how: str) -> None:
    """Under CI a missing swarm or registry is a failure; on a developer's machine, a skip that says how."""
    message = f"the deploy checks need {what}: {how}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def cluster() -> Any:
    """This engine, a swarm manager, and a registry that answers; or a skip (a failure in CI)."""
    try:
        client = engine.connect()
    except ToolError as error:
        _missing("a Docker engine", error.message)
    state, manager = Swarm(client).membership()
    if state != "active" or not manager:
        _missing("a swarm manager", "run `docker swarm init` (README, Beyond one machine; CI: .ci/swarm.sh)")
    if not os.environ.get("INVOKE_DOCKER_REGISTRY"):
        _missing("a registry", "set INVOKE_DOCKER_REGISTRY to one you can push to (CI: .ci/registry.sh)")
    return client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        return int(probe.getsockname()[1])


@dataclass
class Checkout:
    """A clone of this checkout in a folder of its own, with `inv` run there under this run's names."""

    path: Path
    env: dict[str, str]
    stack: str
    port: int

    def inv(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "invoke", *args]
        return subprocess.run(
            command, cwd=self.path, env={**self.env, **env}, capture_output=True, text=True, timeout=600, check=False
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "invoke", *args]
        return subprocess.Popen(
            command, cwd=self.path, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def commit(self, path: str, old: str, new: str, message: str) -> str:
        """A one-line change, committed; the new HEAD."""
        file = self.path / path
        text = file.read_text()
        assert old in text, f"{path} no longer holds {old!r}"
        file.write_text(text.replace(old, new, 1))
        subprocess.run([*GIT, "commit", "-qam", message], cwd=self.path, check=True)
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=self.path, capture_output=True, text=True, check=True)
        return head.stdout.strip()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def checkout(cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checkout]:
    """This checkout's files as they are now (uncommitted changes too), committed in a clone."""
    path = tmp_path_factory.mktemp("deploy") / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(path)], check=True)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, path / name)
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    subprocess.run([*GIT, "commit", "-qm", "the checkout under test", "--allow-empty"], cwd=path, check=True)
    name = f"flask-service-deploy-{RUN_ID}".replace("_", "-")
    port = free_port()
    secret = path.parent / "secret_key"
    secret.write_text(f"deploy-check-secret-{RUN_ID}-{os.urandom(8).hex()}")
    env = {
        **os.environ,
        "INVOKE_DOCKER_PROJECT": name,
        "INVOKE_DOCKER_IMAGE": name,
        "INVOKE_DOCKER_CONTAINER": name,
        "INVOKE_DOCKER_STACK": name,
        "INVOKE_DOCKER_STACK_PORT": str(port),
        "INVOKE_DOCKER_REGISTRY": f"{os.environ['INVOKE_DOCKER_REGISTRY']}/run-{RUN_ID}",
        "INVOKE_DOCKER_SECRET_KEY_FILE": str(secret),
    }
    found = Checkout(path, env, name, port)
    try:
        yield found
    finally:
        tear_down(cluster, found)


def tear_down(client: Any, checkout: Checkout) -> None:
    """Whatever happened: the stack, its secrets, configs and networks, and the run's images go."""
    checkout.inv("undeploy", "--break-lock")
    checkout.inv("clean")
    label = f"label={STACK_LABEL}={checkout.stack}"
    for kind in ("service", "secret", "config", "network"):
        for leftover in engine.ids(client, kind, "ls", "-q", "--filter", label):
            subprocess.run(["docker", kind, "rm", leftover], capture_output=True, check=False)


@dataclass
class Traffic:
    """Requests from the host through the edge, a new connection each, never retried."""

    url: str
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return int(self.figures["socket_errors"]) + int(self.figures["non_2xx"])

    def summary(self) -> str:
        figures = self.figures
        return f"{figures['requests']} requests, {self.failed} failed ({figures['errors']}, {figures['statuses']})"


@contextmanager
def traffic(url: str, connections: int = 8, rate: float = 200) -> Iterator[Traffic]:
    """Constant load on ``url`` for as long as the block runs; its figures once it has ended."""
    found = Traffic(url)
    stop = threading.Event()

    def drive() -> None:
        run = load.run(url, connections, load.MAX_SECONDS, rate, new_connections=True, stop=stop)
        found.figures.update(asyncio.run(run))

    worker = threading.Thread(target=drive, name="traffic")
    worker.start()
    try:
        yield found
    finally:
        stop.set()
        worker.join()

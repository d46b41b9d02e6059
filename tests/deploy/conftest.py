"""Fixtures for the deploy checks on this engine's swarm: a manager and a registry (or a skip that
says how, a failure under CI), a clone of this checkout shipping releases of its own
(tests/shipping.py), and a teardown that always runs."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine import RUN_ID
from tests.shipping import Checkout, env_of, free_port
from tooling.core.errors import ToolError
from tooling.core.settings import STACK_LABEL
from tooling.engine.client import connect, ids
from tooling.engine.swarm import Swarm

AUTH_REGISTRY = "DEPLOY_TEST_AUTH_REGISTRY"  # a registry that wants a login (.ci/registry.sh starts one)


def missing(what: str, how: str) -> None:
    """Under CI a missing swarm or registry is a failure; on a developer's machine, a skip that says how."""
    message = f"these checks need {what}: {how}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def manager() -> Any:
    """This engine, a swarm manager, and a registry that answers; or a skip (a failure in CI)."""
    try:
        client = connect()
    except ToolError as error:
        missing("a Docker engine", error.message)
    found = Swarm(client).membership()
    if found.state != "active" or not found.manager:
        missing("a swarm manager", "run `docker swarm init` (docs/deploying.md; CI: .ci/swarm.sh)")
    if not os.environ.get("INVOKE_DOCKER_REGISTRY"):
        missing("a registry", "set INVOKE_DOCKER_REGISTRY to one you can push to (CI: .ci/registry.sh)")
    return client


@pytest.fixture(scope="session")
def checkout(manager: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checkout]:
    folder = tmp_path_factory.mktemp("deploy")
    name = f"flask-service-deploy-{RUN_ID}".replace("_", "-")
    port = free_port()
    secret = folder / "secret_key"
    secret.write_text(f"deploy-check-secret-{RUN_ID}-{os.urandom(8).hex()}")
    registry = f"{os.environ['INVOKE_DOCKER_REGISTRY']}/run-{RUN_ID}"
    found = Checkout.clone(folder, env_of(name, registry, secret, port), name, manager, [f"http://127.0.0.1:{port}"])
    try:
        yield found
    finally:
        tear_down(found)


def tear_down(checkout: Checkout) -> None:
    """Whatever happened: the stack, its secrets, configs and networks, and the run's images go."""
    checkout.inv("undeploy", "--break-lock")
    checkout.inv("clean")
    label = f"label={STACK_LABEL}={checkout.stack}"
    for kind in ("service", "secret", "config", "network"):
        for leftover in ids(checkout.manager, kind, "ls", "-q", "--filter", label):
            subprocess.run(["docker", kind, "rm", leftover], capture_output=True, check=False)

"""The cluster session's fixture: a swarm of three managers, each a container running its own
Docker Engine (tests/cluster/nodes.py), up for the whole session and always torn down; or a skip
that says what this machine lacks (a failure under CI, where nothing may be missing)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from python_on_whales import DockerClient

from tests.cluster import cleanup, nodes
from tests.cluster.engines import ClusterError, Missing
from tests.cluster.models import EDGE_PORT, Cluster, Run
from tests.engine import RUN_ID
from tests.shipping import Checkout, env_of


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@contextmanager
def _terminal(config: pytest.Config) -> Iterator[None]:
    """Let the live progress line reach the terminal while pytest captures the rest."""
    with config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        yield


def _interrupt_once(signum: int, frame: object) -> None:
    """SIGINT while a cluster is up: the first stops the tests, as usual; the ones after it are
    ignored, so that the fixtures' teardowns (a few seconds) always complete. (What a kill -9
    leaves, the next run's reaper removes.)"""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


@pytest.fixture(scope="session")
def prerequisites() -> None:
    """An engine, ssh, a trixie image and a way to run a registry; or a skip (a failure in CI)."""
    try:
        nodes.check_prerequisites()
    except Missing as missing:
        _missing(missing.message)


@pytest.fixture(scope="session")
def cluster(prerequisites: None, pytestconfig: pytest.Config) -> Iterator[Cluster]:
    """Three nodes, all Swarm managers, a registry they share with the host, ssh from the host."""
    run = Run.new()
    before = signal.signal(signal.SIGINT, _interrupt_once)
    try:
        with _terminal(pytestconfig):
            cleanup.reap_dead_runs()
            try:
                up = nodes.start(run)
            except ClusterError as error:
                pytest.fail(str(error), pytrace=False)
        yield up
    finally:
        with _terminal(pytestconfig):
            cleanup.tear_down(run.id)
        signal.signal(signal.SIGINT, before)


@pytest.fixture(scope="session")
def checkout(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checkout]:
    """A clone of this checkout that builds and pushes on this machine's engine and deploys through
    node1 (`docker.manager=ssh://node1`), three replicas, as a user drives a cluster from a laptop."""
    folder = tmp_path_factory.mktemp("cluster")
    name = f"flask-service-cluster-{RUN_ID}".replace("_", "-")
    secret = folder / "secret_key"
    secret.write_text(f"cluster-check-secret-{RUN_ID}-{os.urandom(8).hex()}")
    reach = {key: cluster.env[key] for key in ("PATH", "INVOKE_DOCKER_MANAGER")}  # not the rest of os.environ
    env = env_of(name, f"{cluster.registry}/run-{RUN_ID}", secret, EDGE_PORT, **reach, INVOKE_DOCKER_REPLICAS="3")
    with pytest.MonkeyPatch.context() as patch:
        # The docker CLI of this process, too, finds the run's ssh wrapper (python-on-whales has no
        # environment of its own per client): what the tests ask the manager goes the user's way.
        patch.setenv("PATH", cluster.env["PATH"])
        manager = DockerClient(host=cluster.manager.url)
        found = Checkout.clone(folder, env, name, manager, [node.edge_url for node in cluster.nodes])
        try:
            yield found
        finally:
            found.inv("undeploy", "--break-lock")
            found.inv("clean")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The infrastructure's own checks first: their probe service publishes the nodes' edge port,
    which the scenarios' stack then holds until the session ends."""
    items.sort(key=lambda item: "test_infrastructure" not in item.nodeid and "test_teardown" not in item.nodeid)

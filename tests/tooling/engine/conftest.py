"""The engine tests' shared state: docker.manager set to a swarm manager that answers from a recording."""

import pytest

from tests.tooling.fakes import FakeImage
from tests.tooling.replay import Recorded
from tooling.core.settings import REVISION_LABEL

MANAGER = "ssh://deploy@node1"
HEAD = "1234567" + "0" * 33


@pytest.fixture
def manager(fake_docker, monkeypatch):
    """docker.manager set, its engine a swarm manager with the recorded stack `rec` deployed."""
    monkeypatch.setenv("INVOKE_DOCKER_MANAGER", MANAGER)
    monkeypatch.setenv("INVOKE_DOCKER_STACK", "rec")
    monkeypatch.setenv("INVOKE_DOCKER_REGISTRY", "127.0.0.1:5001/team")
    monkeypatch.setattr("tooling.engine.git.head", lambda: HEAD)
    monkeypatch.setattr("tooling.engine.git.dirty", lambda: False)
    fake_docker.remote.recorded = Recorded("engine-20.10", "converged")
    fake_docker.images["flask-service:latest"] = FakeImage(["flask-service:latest"], {REVISION_LABEL: HEAD})
    return fake_docker.remote

import pytest

from tests.tooling.fakes import FakeHistory, FakeSwarm
from tests.tooling.stack import EDGE, HEAD, MONITOR, REGISTRY, V1, V2, in_registry
from tooling.engine.engines import Engines
from tooling.models.release import Recorded, Release


@pytest.fixture
def cluster(fake_docker, monkeypatch):
    """A swarm manager, HEAD pushed as V2 with its edge, V1 serving and in the history."""
    monkeypatch.setattr("tooling.engine.git.head", lambda: HEAD)
    monkeypatch.setenv("INVOKE_DOCKER_REGISTRY", REGISTRY)
    fake_docker.swarm_state, fake_docker.swarm_manager = "active", True
    fake_docker.registry[f"{REGISTRY}/flask-service:1234567"] = V2.split("@")[1]
    fake_docker.registry[V1] = V1.split("@")[1]
    in_registry(fake_docker)
    swarm = FakeSwarm(fake_docker, serving=V1)
    history = FakeHistory(
        fake_docker, [Recorded(Release(V1, EDGE, "7654321", MONITOR), "2026-11-25T00:00:00Z", "me", "r0")]
    )
    monkeypatch.setattr(Engines, "swarm", property(lambda engines: swarm))
    monkeypatch.setattr(Engines, "history", property(lambda engines: history))
    return swarm, history

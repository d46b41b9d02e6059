"""A stack for the verbs' unit tests: two releases of the app (V1 serving, V2 pushed for HEAD), its
edge and monitor, and Swarm's answers about them, scripted (tests/tooling/fakes.FakeSwarm)."""

from tooling.core.settings import Settings
from tooling.engine.registry import part_reference
from tooling.models.swarm import Observation, Task, Update

HEAD = "1234567" + "0" * 33
REGISTRY = "127.0.0.1:5001/team"
V1 = f"{REGISTRY}/flask-service@sha256:" + "a" * 64
V2 = f"{REGISTRY}/flask-service@sha256:" + "b" * 64
EDGE = f"{REGISTRY}/flask-service-edge@sha256:" + "e" * 64
MONITOR = f"{REGISTRY}/flask-service-monitor@sha256:" + "f" * 64


def running(image, n):
    address = {"flask-service_backend": f"10.0.0.{n}"}  # on the stack's network
    return Task(id=f"{image[-3:]}-{n}", node="n1", image=image, state="running", desired="running", networks=address)


def web(*tasks, image=V2, update=None, ended=()):
    return Observation("web", image, update, list(tasks), list(ended))


EDGE_UP = Observation("edge", EDGE, None, [running(EDGE, 1)])
UPDATING = Update("updating", "2026-11-26T10:00:00Z", "update in progress")


def in_registry(fake_docker):
    """The registry holds this checkout's edge and monitor."""
    settings = Settings.load({"registry": REGISTRY})
    fake_docker.registry[part_reference(settings, "edge")] = EDGE.split("@")[1]
    fake_docker.registry[part_reference(settings, "monitor")] = MONITOR.split("@")[1]

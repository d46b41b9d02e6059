"""Stand-ins for the Docker client and the swarm adapters, for the unit tests: in memory, recording
what they are asked. docker.py is the client; containers.py what it hands out; prometheus.py the
stack's monitor; swarm.py engine/swarm.py and engine/history.py as the verbs use them."""

from tests.tooling.fakes.containers import FakeContainer, FakeImage, docker_error, run_options
from tests.tooling.fakes.docker import FakeDocker
from tests.tooling.fakes.prometheus import FakePrometheus
from tests.tooling.fakes.swarm import NODE, FakeHistory, FakeSwarm

__all__ = [
    "NODE",
    "FakeContainer",
    "FakeDocker",
    "FakeHistory",
    "FakeImage",
    "FakePrometheus",
    "FakeSwarm",
    "docker_error",
    "run_options",
]

"""tooling.swarm's one piece of judgement that is not Swarm's: when `docker stack deploy` is worth
another try. (The rest of swarm.py is checked against a real swarm, in the deploy session.)"""

import pytest

from tests.tooling.fakes import docker_error
from tooling.errors import ToolError
from tooling.stack import Plan
from tooling.swarm import OUT_OF_SEQUENCE_TRIES, Swarm

OUT_OF_SEQUENCE = "Error response from daemon: rpc error: code = Unknown desc = update out of sequence"


class Stacks:
    """`client.stack`: deploy fails with each of ``errors`` in turn, then succeeds."""

    def __init__(self, *errors: str) -> None:
        self.errors = list(errors)
        self.calls = 0

    def deploy(self, *args, **kwargs):
        self.calls += 1
        if self.errors:
            raise docker_error(self.errors.pop(0))


@pytest.fixture
def swarm(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)

    def with_errors(*errors):
        client = type("Client", (), {"stack": Stacks(*errors)})()
        return Swarm(client), client.stack

    return with_errors


PLAN = Plan(stack="flask-service", files=[], variables={})


def test_swarm_bumping_the_version_mid_deploy_is_retried(swarm):
    found, stacks = swarm(OUT_OF_SEQUENCE, OUT_OF_SEQUENCE)
    found.deploy(PLAN)
    assert stacks.calls == 3


def test_it_gives_up_after_a_few_tries_with_swarm_s_words(swarm):
    found, stacks = swarm(*[OUT_OF_SEQUENCE] * OUT_OF_SEQUENCE_TRIES)
    with pytest.raises(ToolError, match=r"^docker stack deploy failed: .*update out of sequence$"):
        found.deploy(PLAN)
    assert stacks.calls == OUT_OF_SEQUENCE_TRIES


def test_any_other_failure_is_not_retried(swarm):
    found, stacks = swarm("network flask-service_backend not found")
    with pytest.raises(ToolError, match="network flask-service_backend not found"):
        found.deploy(PLAN)
    assert stacks.calls == 1

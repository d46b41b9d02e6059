"""engine/swarm.py against answers recorded from real engines (tests/tooling/replay.py): what it
reads of a stack while Swarm deploys, updates and rolls it back, of the nodes, and what it removes;
and its one piece of judgement that is not Swarm's, when `docker stack deploy` is worth another try."""

import json
from pathlib import Path

import pytest

from tests.tooling.fakes import docker_error
from tests.tooling.replay import ENGINES, Recorded
from tooling.core.errors import ToolError
from tooling.engine.swarm import OUT_OF_SEQUENCE_TRIES, Swarm
from tooling.models.plan import Plan
from tooling.models.rollout import assess
from tooling.models.swarm import Before

pytestmark = pytest.mark.parametrize("engine", ENGINES)


def at(fake_docker, engine, moment):
    fake_docker.recorded = Recorded(engine, moment)
    return Swarm(fake_docker)


def before(fake_docker, engine, moment):
    """The web service as it was at ``moment``: what a deploy that starts then remembers."""
    return at(fake_docker, engine, moment).before("rec", "web")


def web_seen(fake_docker, engine, was_at, now_at):
    """The web service observed at ``now_at`` for the release it serves then, as a deploy from
    ``was_at`` sees it: (the observation, that release, what was before)."""
    was = before(fake_docker, engine, was_at)
    target = at(fake_docker, engine, now_at).serving("rec")
    return at(fake_docker, engine, now_at).observe("rec", "web", target, was), target, was


def test_a_manager_of_an_active_swarm_is_seen_as_one(fake_docker, engine):
    swarm = at(fake_docker, engine, "converged")
    found = swarm.membership()
    assert (found.state, found.manager) == ("active", True)
    assert found.nodes >= 1 and found.managers >= 1
    swarm.require_manager()


def test_the_nodes_are_read_with_their_role_state_address_and_engine(fake_docker, engine):
    nodes = at(fake_docker, engine, "converged").nodes()
    assert nodes and all(n.state == "ready" and n.availability == "active" for n in nodes)
    assert sum(n.leader for n in nodes) == 1, "one leader"
    assert {n.role_shown for n in nodes} <= {"leader", "manager", "worker"}
    assert all(n.engine.split(".")[0] == engine.removeprefix("engine-").split(".")[0] for n in nodes)
    assert all(n.address and n.address != "0.0.0.0" for n in nodes), "each node says where it can be reached"


def test_a_converged_stack_serves_its_image_on_every_replica(fake_docker, engine):
    swarm = at(fake_docker, engine, "converged")
    assert swarm.deployed("rec") and not swarm.deployed("other")
    assert swarm.serving("rec") == "rec:v1" or swarm.serving("rec").endswith("/rec:v1")
    running = swarm.tasks("rec_web", "desired-state=running")
    assert sorted(t.slot for t in running) == [1, 2] and {t.state for t in running} == {"running"}
    seen = swarm.observe("rec", "web", swarm.serving("rec"), Before())
    assert assess(seen, swarm.serving("rec"), 2, None).ok
    assert [n.hostname for n in swarm.edges("rec")] == [n.hostname for n in swarm.nodes()], "an edge on every node"
    assert swarm.hostname(running[0].node) in {n.hostname for n in swarm.nodes()}


def test_a_stack_s_parts_are_found_by_its_label(fake_docker, engine):
    parts = at(fake_docker, engine, "converged").parts("rec")
    assert parts.services == ["rec_edge", "rec_web"]
    assert parts.networks == ["rec_backend"] and parts.secrets == ["rec_secret_key_0123456789ab"]
    assert parts.counted() == "2 services, 1 network, 1 secret"
    assert not at(fake_docker, engine, "converged").parts("other")


def test_an_update_under_way_is_waited_for_with_the_new_replica_counted(fake_docker, engine):
    seen, target, was = web_seen(fake_docker, engine, "converged", "updating")
    assert seen.update is not None and seen.update.state == "updating"
    assert [t.image for t in seen.current] == [target], "only the new spec's replica is current"
    assert seen.ended == []
    verdict = assess(seen, target, 2, was.update)
    assert not verdict.done and verdict.line.endswith("; updating") and verdict.line.startswith("0/2 web replicas")


def test_a_finished_update_converges(fake_docker, engine):
    seen, target, was = web_seen(fake_docker, engine, "converged", "updated")
    assert seen.update is not None and seen.update.state == "completed"
    assert assess(seen, target, 2, was.update).ok


def test_a_rollback_is_told_with_the_failing_replica_s_own_health_check(fake_docker, engine):
    was = before(fake_docker, engine, "updated")
    broken = (
        "rec:v3" if engine == "engine-20.10" else at(fake_docker, engine, "updated").serving("rec").replace("v2", "v3")
    )
    swarm = at(fake_docker, engine, "rolling-back")
    seen = swarm.observe("rec", "web", broken, was)
    assert seen.update is not None and seen.update.state == "rollback_started"
    assert not assess(seen, broken, 2, was.update).done, "Swarm is not done yet"
    swarm = at(fake_docker, engine, "rolled-back")
    seen = swarm.observe("rec", "web", broken, was)
    verdict = assess(seen, broken, 2, was.update)
    assert verdict.done and not verdict.ok and verdict.problem == "Swarm rolled the update of web back"
    assert seen.ended and {t.image for t in seen.ended} == {broken}, "the broken release's tasks, none older"
    assert any(t.state == "failed" for t in seen.ended)
    assert "unhealthy: HTTP/1.0 503" in swarm.health_output(verdict.failing)
    assert swarm.serving("rec") != broken, "the spec is back on the release before"


def test_a_task_whose_container_is_elsewhere_is_told_by_swarm_s_error(fake_docker, engine):
    swarm = at(fake_docker, engine, "rolled-back")
    failed = next(t for t in swarm.tasks("rec_web") if t.state == "failed")
    fake_docker.recorded.objects["containers"].clear()  # as a manager sees a task of another node
    assert swarm.health_output(failed) == failed.error and "unhealthy container" in failed.error


def test_secrets_no_service_uses_are_pruned_and_used_ones_kept(fake_docker, engine):
    swarm = at(fake_docker, engine, "converged")
    old = json.loads(json.dumps(fake_docker.recorded.objects["secrets"][0]))
    old["ID"], old["Spec"]["Name"] = "oldsecret", "rec_secret_key_older"
    fake_docker.recorded.objects["secrets"].append(old)
    assert swarm.prune_secrets("rec") == ["rec_secret_key_older"]
    assert fake_docker.recorded.removed["secret"] == ["rec_secret_key_older"]


def test_stack_rm_that_leaves_a_network_in_use_is_fine_and_anything_else_is_said(fake_docker, engine):
    swarm = at(fake_docker, engine, "converged")
    fake_docker.stack.remove = lambda name: (_ for _ in ()).throw(
        docker_error("Failed to remove network rec_backend: Error response from daemon: network has active endpoints")
    )
    swarm.remove_stack("rec")
    fake_docker.stack.remove = lambda name: (_ for _ in ()).throw(
        docker_error("Error response from daemon: rpc error: code = Unavailable")
    )
    with pytest.raises(ToolError, match=r"^docker stack rm rec failed: .*Unavailable$"):
        swarm.remove_stack("rec")


def test_a_worker_is_told_to_deploy_through_a_manager(fake_docker, engine):
    swarm = at(fake_docker, engine, "converged")
    fake_docker.recorded.answers["info"]["ControlAvailable"] = False
    with pytest.raises(ToolError, match=r"is a swarm worker, not a manager; point docker\.manager at a manager"):
        swarm.require_manager()


# --- `docker stack deploy`, retried while Swarm records an update's progress ----------------------

OUT_OF_SEQUENCE = "Error response from daemon: rpc error: code = Unknown desc = update out of sequence"
PLAN = Plan(stack="flask-service", files=[], variables={})


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
def deploying(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)

    def with_errors(*errors):
        client = type("Client", (), {"stack": Stacks(*errors)})()
        return Swarm(client), client.stack

    return with_errors


def test_swarm_bumping_the_version_mid_deploy_is_retried(deploying, engine):
    found, stacks = deploying(OUT_OF_SEQUENCE, OUT_OF_SEQUENCE)
    found.deploy(PLAN)
    assert stacks.calls == 3


def test_it_gives_up_after_a_few_tries_with_swarm_s_words(deploying, engine):
    found, stacks = deploying(*[OUT_OF_SEQUENCE] * OUT_OF_SEQUENCE_TRIES)
    with pytest.raises(ToolError, match=r"^docker stack deploy failed: .*update out of sequence$"):
        found.deploy(PLAN)
    assert stacks.calls == OUT_OF_SEQUENCE_TRIES


def test_files_are_read_as_the_plan_s_compose_version(deploying, engine, tmp_path):
    """A health check's start_interval needs Compose file 3.12, and every file of a deploy must agree."""
    from tooling.core.settings import STACK_FILE

    found, stacks = deploying()
    seen: list[str] = []
    stacks.deploy = lambda name, compose_files, **kwargs: seen.extend(Path(f).read_text() for f in compose_files)
    found.deploy(Plan(stack="s", files=[STACK_FILE], variables={}, overlay={"version": "3.12"}, version="3.12"))
    assert seen[0].count('version: "3.12"') == 1 and 'version: "3.8"' not in seen[0]
    assert json.loads(seen[1])["version"] == "3.12"
    assert 'version: "3.8"' in STACK_FILE.read_text(), "the stack file itself is left as it is"


def test_any_other_failure_is_not_retried(deploying, engine):
    found, stacks = deploying("network flask-service_backend not found")
    with pytest.raises(ToolError, match="network flask-service_backend not found"):
        found.deploy(PLAN)
    assert stacks.calls == 1

"""The swarm as the manager answers it: `inv doctor`'s view of the nodes and the quorum, and a
docker command that fails where no task expected it (a swarm without a leader), one line each."""

from tests.tooling.engine.conftest import MANAGER
from tests.tooling.fakes import FakeImage, docker_error


def test_the_doctor_checks_the_swarm_on_the_manager(manager, fake_docker, inv):
    fake_docker.images["python:3.13-slim"] = FakeImage(["python:3.13-slim"])
    manager.image = type(
        "Images",
        (),
        {
            "pull": lambda self, ref, quiet=True: (_ for _ in ()).throw(
                docker_error(f"manifest for {ref} not found: manifest unknown")
            )
        },
    )()
    result = inv("doctor")
    assert f"ok    manager        {MANAGER} answers and manages the swarm" in result.out
    assert "ok    nodes          1 of 1 ready" in result.out
    assert "ok    quorum         1 of 1 managers reachable" in result.out
    assert "ok    engines        vm 20.10.24+dfsg1" in result.out
    assert "ok    registry (manager) 127.0.0.1:5001/team answers the manager" in result.out
    assert "stack port" not in result.out, "this machine's ports say nothing of the nodes'"


def test_a_node_lost_shows_in_the_doctor_and_a_lost_quorum_blocks_deploys(manager, fake_docker, inv):
    fake_docker.images["python:3.13-slim"] = FakeImage(["python:3.13-slim"])
    manager.image = type("Images", (), {"pull": lambda self, ref, quiet=True: None})()
    node = manager.recorded.objects["nodes"][0]
    follower = {**node, "ID": "other", "Status": {"State": "down", "Addr": "10.0.0.9"},
                "ManagerStatus": {"Reachability": "unreachable", "Addr": "10.0.0.9:2377"}}  # fmt: skip
    manager.recorded.objects["nodes"] += [follower, {**follower, "ID": "third"}]
    result = inv("doctor")
    assert result.code == 1
    assert "warn  nodes          1 of 3 ready" in result.out
    assert "FAIL  quorum         1 of 3 managers reachable" in result.out
    assert result.err.strip() == "error: 1 problem(s) block `inv deploy`: quorum"


NO_LEADER = (
    "Error response from daemon: rpc error: code = Unknown desc = The swarm does not have a leader."
    " It's possible that too few managers are online. Make sure more than half of the managers are online."
)


def test_a_swarm_without_a_leader_fails_the_quorum_in_the_doctor(manager, fake_docker, inv):
    fake_docker.images["python:3.13-slim"] = FakeImage(["python:3.13-slim"])
    manager.recorded.refuse["node ls"] = NO_LEADER  # `docker info` still answers; the lists do not
    result = inv("doctor")
    assert result.code == 1
    assert f"ok    manager        {MANAGER} answers and manages the swarm" in result.out
    assert f"FAIL  quorum         {MANAGER} cannot list the nodes: {NO_LEADER[:60]}" in result.out
    assert "without a majority the swarm has no leader" in result.out
    assert result.err.strip() == "error: 1 problem(s) block `inv deploy`: quorum"


def test_nodes_the_manager_could_not_list_for_another_reason_are_not_called_a_lost_quorum(manager, fake_docker, inv):
    fake_docker.images["python:3.13-slim"] = FakeImage(["python:3.13-slim"])
    manager.recorded.refuse["node ls"] = "error during connect: read |0: unexpected EOF"
    result = inv("doctor")
    assert result.code == 1
    assert f"FAIL  nodes          {MANAGER} did not list the nodes: error during connect: read |0: unexpected EOF" in (
        result.out
    )
    assert "quorum" not in result.out
    assert result.err.strip() == "error: 1 problem(s) block `inv deploy`: nodes"


def test_a_docker_command_failing_where_none_was_expected_is_one_line(manager, inv):
    manager.recorded.refuse["service ls"] = NO_LEADER
    for task in (["status"], ["undeploy"], ["top", "--once"]):
        result = inv(*task)
        assert result.code == 1, task
        (line,) = result.err.strip().splitlines()
        assert line.startswith("error: `docker service ls` failed: Error response from daemon: "), (task, line)
        assert line.endswith("; `inv doctor` says what the engine can do"), line
        assert "Traceback" not in result.out + result.err

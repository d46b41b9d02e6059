"""inv status: this project's containers, one row each, and the stack's replicas and nodes when one is deployed."""

from tests.tooling.stack import EDGE_UP, V1, running, web


def test_status_lists_the_projects_containers(running, fake_docker, inv):
    fake_docker.add_container("someone-else", labels={"other": "x"})
    result = inv("status")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split() == ["NAME", "ROLE", "STATE", "HEALTH", "URL", "IMAGE", "AGE"]
    assert lines[1].split()[:5] == ["flask-service", "service", "running", "healthy", "http://127.0.0.1:5000"]
    assert "someone-else" not in result.out


def test_status_with_nothing_running(fake_docker, inv):
    result = inv("status")
    assert result.code == 0 and "no container of this project exists" in result.out


def test_status_shows_each_replica_of_the_stack_with_its_revision(cluster, inv):
    swarm, _ = cluster
    swarm.script = {"web": [web(running(V1, 1), running(V1, 2), image=V1)], "edge": [EDGE_UP]}
    result = inv("status")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "stack flask-service (swarm, through this engine):" in lines
    header = lines.index("stack flask-service (swarm, through this engine):") + 1
    assert lines[header].split() == ["REPLICA", "NODE", "STATE", "HEALTH", "IMAGE", "REVISION", "AGE"]
    assert lines[header + 1].split()[1:6] == ["node-1", "running", "healthy", "sha256:aaaaaaaaaaaa…", "7654321"]
    assert "flask-service_web: last update completed" in result.out
    nodes = lines.index("nodes:") + 1
    assert lines[nodes].split() == ["NODE", "ROLE", "AVAILABILITY", "STATE", "ADDRESS", "ENGINE", "EDGE"]
    assert lines[nodes + 1].split() == ["node-1", "leader", "active", "ready", "10.0.0.5", "26.1.5", "healthy"]

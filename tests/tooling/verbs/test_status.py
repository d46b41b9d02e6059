"""inv status: this project's containers, one row each."""


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

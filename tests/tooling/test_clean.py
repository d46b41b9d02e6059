from tests.tooling.fakes import FakeImage
from tooling.settings import PROJECT_LABEL


def test_clean_removes_only_what_carries_the_projects_labels(fake_docker, inv):
    fake_docker.add_container("flask-service")
    fake_docker.add_container("not-ours", labels={"com.example": "x"})
    fake_docker.add_container("ours-by-image-only", labels={PROJECT_LABEL: "flask-service"})
    fake_docker.images["flask-service:latest"] = FakeImage(["flask-service:latest"], {PROJECT_LABEL: "flask-service"})
    fake_docker.images["python:3.13-slim"] = FakeImage(["python:3.13-slim"])
    fake_docker.images["other:1"] = FakeImage(["other:1"], {PROJECT_LABEL: "another-project"})
    fake_docker.disk = [900_000_000, 700_000_000]

    result = inv("clean")
    assert result.code == 0
    assert set(fake_docker.containers) == {"not-ours", "ours-by-image-only"}
    assert set(fake_docker.images) == {"python:3.13-slim", "other:1"}
    assert "removed container flask-service" in result.out
    assert "removed image flask-service:latest" in result.out
    assert "freed 200 MB" in result.out


def test_clean_is_idempotent(fake_docker, inv):
    fake_docker.add_container("flask-service")
    assert inv("clean").code == 0
    again = inv("clean")
    assert again.code == 0
    assert "nothing to clean" in again.out


def test_clean_all_explains_the_build_cache(fake_docker, inv):
    result = inv("clean", "--all")
    assert result.code == 0 and "docker buildx prune" in result.out


def test_clean_is_scoped_by_the_project_setting(fake_docker, inv, monkeypatch):
    fake_docker.images["a:1"] = FakeImage(["a:1"], {PROJECT_LABEL: "flask-service"})
    fake_docker.images["b:1"] = FakeImage(["b:1"], {PROJECT_LABEL: "smoke-1234"})
    monkeypatch.setenv("INVOKE_DOCKER_PROJECT", "smoke-1234")
    assert inv("clean").code == 0
    assert set(fake_docker.images) == {"a:1"}

from tests.tooling.fakes import FakeImage


def test_all_good_with_the_classic_builder(fake_docker, inv, monkeypatch):
    monkeypatch.setenv("INVOKE_DOCKER_BASE_IMAGE", "local/python:3.11")
    fake_docker.images["local/python:3.11"] = FakeImage(["local/python:3.11"])
    result = inv("doctor")
    assert result.code == 0, result.out + result.err
    assert "ok    docker daemon  Engine 20.10.24" in result.out
    assert "warn  builder" in result.out
    assert "local/python:3.11 is present" in result.out
    assert "ready" in result.out


def test_a_missing_base_image_blocks_and_says_what_to_do(fake_docker, inv):
    result = inv("doctor")
    assert result.code == 1
    assert "FAIL  base image     python:3.13-slim is not here and no registry answers" in result.out
    assert "INVOKE_DOCKER_BASE_IMAGE" in result.out
    assert "block `inv build run`: base image" in result.err


def test_a_pullable_base_image_is_fine(fake_docker, inv):
    fake_docker.pullable.add("python:3.13-slim")
    fake_docker.has_buildx = True
    result = inv("doctor")
    assert result.code == 0
    assert "can be pulled" in result.out and "buildx (BuildKit)" in result.out


def test_a_busy_port_blocks_unless_the_service_holds_it(fake_docker, inv, monkeypatch):
    fake_docker.pullable.add("python:3.13-slim")
    monkeypatch.setattr("tooling.engine.containers.port_is_free", lambda host, port: False)
    result = inv("doctor")
    assert result.code == 1 and "127.0.0.1:5000 is in use" in result.out
    fake_docker.add_container("flask-service")
    result = inv("doctor")
    assert result.code == 0 and "held by this project's flask-service" in result.out


def test_low_disk_space_blocks(fake_docker, inv, monkeypatch):
    fake_docker.pullable.add("python:3.13-slim")
    monkeypatch.setattr("shutil.disk_usage", lambda path: type("U", (), {"free": 100 * 1024**2})())
    result = inv("doctor")
    assert result.code == 1 and "FAIL  disk" in result.out

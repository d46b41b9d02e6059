import pytest

from tests.tooling.fakes import docker_error
from tooling.core.settings import PROJECT_LABEL, ROLE_LABEL


@pytest.fixture
def built(fake_docker):
    fake_docker.images["flask-service:latest"] = object()
    return fake_docker


def test_run_starts_hardened_never_pulls_and_prints_the_url(built, inv):
    result = inv("run")
    assert result.code == 0, result.err
    kwargs = built.calls[-1][1]
    assert kwargs["pull"] == "never"
    assert kwargs["publish"] == [("127.0.0.1:5000", 8000)]
    assert kwargs["read_only"] and kwargs["cap_drop"] == ["ALL"] and kwargs["tmpfs"] == ["/tmp"]
    assert kwargs["security_options"] == ["no-new-privileges"]
    assert kwargs["restart"] == "on-failure:5"
    assert kwargs["labels"] == {PROJECT_LABEL: "flask-service", ROLE_LABEL: "service"}
    assert "waiting for flask-service to turn healthy" in result.err
    assert "serves http://127.0.0.1:5000" in result.out


@pytest.mark.parametrize(
    ("api", "client_api", "flags"),
    [("1.41", "", []), ("1.45", "", ["start-interval", "start-period", "interval"]), ("1.45", "1.41", [])],
)
def test_the_health_cadence_follows_the_engine(built, inv, api, client_api, flags):
    """Engine 25+ checks every second while starting, rarely after; older ones keep the image's 3 s,
    and so does a docker CLI too old to ask for a start interval."""
    built.api, built.client_api = api, client_api
    assert inv("run").code == 0
    health = built.calls[-1][1]["health"]
    assert [key for key in ("start-interval", "start-period", "interval") if key in health] == flags
    assert health.get("start-interval", "1s") == "1s" and health.get("interval", "10s") == "10s"


def test_run_with_port_zero_lets_the_engine_pick(built, inv):
    result = inv("run", "--port", "0")
    assert result.code == 0, result.err
    assert built.calls[-1][1]["publish"] == [("127.0.0.1:", 8000)]
    assert "http://127.0.0.1:49153" in result.out


def test_host_and_port_flags_beat_config(built, inv, monkeypatch):
    monkeypatch.setenv("INVOKE_DOCKER_PORT", "6000")
    inv("run")
    assert built.calls[-1][1]["publish"] == [("127.0.0.1:6000", 8000)]
    inv("run", "--port", "7000", "--host", "0.0.0.0")
    assert built.calls[-1][1]["publish"] == [("0.0.0.0:7000", 8000)]


def test_unhardened_when_config_says_so(built, inv, monkeypatch):
    monkeypatch.setenv("INVOKE_DOCKER_HARDENED", "0")
    assert inv("run").code == 0
    kwargs = built.calls[-1][1]
    assert kwargs["read_only"] is False and kwargs["cap_drop"] == [] and kwargs["tmpfs"] == []


def test_a_developer_sees_requests_unless_told_otherwise(built, inv, monkeypatch):
    assert inv("run").code == 0
    assert built.calls[-1][1]["envs"]["GUNICORN_ACCESS_LOG"] == "json"
    assert built.calls[-1][1]["envs"]["GUNICORN_ACCESS_LOG_FLUSH"] == "0", "each line at once, not batched"
    monkeypatch.setenv("INVOKE_DOCKER_ACCESS_LOG", "off")
    assert inv("run").code == 0
    assert built.calls[-1][1]["envs"]["GUNICORN_ACCESS_LOG"] == "off"


def test_dev_mounts_the_source_and_reloads(built, inv):
    assert inv("run", "--dev").code == 0
    kwargs = built.calls[-1][1]
    source, target, mode = kwargs["volumes"][0]
    assert source.endswith("/service") and target == "/app/service" and mode == "ro"
    assert kwargs["envs"]["GUNICORN_RELOAD"] == "1"
    assert kwargs["labels"][ROLE_LABEL] == "dev"


def test_env_file_is_passed(built, inv, tmp_path):
    env_file = tmp_path / "app.env"
    env_file.write_text("SERVICE_LOG_LEVEL=DEBUG\n")
    assert inv("run", "--env-file", str(env_file)).code == 0
    assert built.calls[-1][1]["env_files"] == [str(env_file)]


def test_run_replaces_its_own_container(built, inv):
    old = built.add_container("flask-service")
    assert inv("run").code == 0
    assert built.removed_containers == ["flask-service"]
    assert built.containers["flask-service"] is not old


def test_run_build_builds_first(built, inv):
    assert inv("run", "--build").code == 0
    assert [name for name, _ in built.calls if name != "cli"] == ["legacy_build", "run"]


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("unbuilt", [], "is not built yet; run `inv build` first, or `inv run --build`"),
        ("built", ["--port", "abc"], "'abc' is not a port"),
        ("built", ["--port", "65536"], "'65536' is not a port"),
        ("built", ["--port", "-1"], "'-1' is not a port"),
        ("built", ["--host", "my-laptop"], "--host: 'my-laptop' is not an IP address"),
        ("built", ["--env-file", "/no/such/file"], "env file /no/such/file does not exist"),
        ("foreign", [], "was not started by these tasks"),
        ("busy", [], "port 5000 on 127.0.0.1 is already in use"),
        ("allocated", [], "port 5000 on 127.0.0.1 is already in use"),
        ("daemon", [], "does not answer"),
    ],
)
def test_run_failures_are_one_line(fake_docker, inv, monkeypatch, setup, args, message):
    if setup != "unbuilt":
        fake_docker.images["flask-service:latest"] = object()
    if setup == "foreign":
        fake_docker.add_container("flask-service", labels={})
    if setup == "busy":
        monkeypatch.setattr("tooling.engine.containers.port_is_free", lambda host, port: False)
    if setup == "allocated":
        fake_docker.run_error = docker_error("Bind for 127.0.0.1:5000 failed: port is already allocated")
    if setup == "daemon":
        fake_docker.daemon_down = True
    result = inv("run", *args)
    assert result.code == 1
    assert message in result.err
    assert "--port 0" in result.err or setup not in {"busy", "allocated"}
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("plan", "message"),
    [(["starting", "unhealthy"], "turned unhealthy"), (["starting", "exited"], "exited with code 3")],
)
def test_a_container_that_fails_is_reported_and_removed(built, inv, plan, message):
    built.next_health = plan
    result = inv("run")
    assert result.code == 1
    assert message in result.err
    assert "something broke" in result.err, "its last log lines are shown"
    assert "connection refused" in result.err, "its health log is shown"
    assert "flask-service" not in built.containers


def test_a_container_that_never_turns_healthy_times_out(built, inv, monkeypatch, fast_clock):
    built.next_health = ["starting"] * 1000
    monkeypatch.setenv("INVOKE_DOCKER_HEALTH_TIMEOUT", "1")
    fast_clock(0.5)
    result = inv("run")
    assert result.code == 1
    assert "did not turn healthy within 1s" in result.err
    assert "flask-service" not in built.containers


def test_ctrl_c_during_the_wait_removes_the_container(built, inv, monkeypatch):
    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr("time.sleep", interrupt)
    result = inv("run")
    assert result.code == 130
    assert "flask-service" not in built.containers


def test_stop_stops_gracefully_and_removes(running, fake_docker, inv):
    result = inv("stop")
    assert result.code == 0
    assert running.stopped_with == 25
    assert "flask-service" not in fake_docker.containers
    assert "exit code 0" in result.out

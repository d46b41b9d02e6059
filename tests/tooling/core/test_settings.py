import pytest

from tooling.core.errors import ToolError
from tooling.core.settings import DEFAULTS, Settings, dockerfile_base_image


def test_defaults_load():
    settings = Settings.load(DEFAULTS)
    assert settings.port == 5000 and settings.reference == "flask-service:latest" and settings.hardened


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("port", "abc", "docker.port (invoke.yaml or INVOKE_DOCKER_PORT): 'abc' is not a port"),
        ("port", [1], "is not a port"),
        ("host", "localhost", "docker.host (invoke.yaml or INVOKE_DOCKER_HOST): 'localhost' is not an IP address"),
        ("host", "127.0.0.256", "is not an IP address"),
        ("health_timeout", "0", "is not a whole number of seconds"),
        ("stop_timeout", "soon", "is not a whole number of seconds"),
        ("restart", "sometimes", "docker.restart"),
        ("image", "Bad Name", "docker.image"),
        ("tag", "a b", "docker.tag"),
        ("hardened", "yes", "is not true or false"),
        ("colour", "red", "unknown setting docker.colour"),
        (
            "manager",
            "http://node1",
            "docker.manager (invoke.yaml or INVOKE_DOCKER_MANAGER): 'http://node1': its scheme",
        ),
        ("manager", "ssh://", "its scheme ssh:// is not one Docker speaks here"),
        ("manager", "my context", "'my context': it is not a context name"),
        (
            "analysis_seconds",
            "5",
            "docker.analysis_seconds (invoke.yaml or INVOKE_DOCKER_ANALYSIS_SECONDS): '5' is not",
        ),
        ("max_error_ratio", "2", "'2' is not a ratio from 0 to below 1"),
        ("max_error_ratio", "1%", "'1%' is not a ratio"),
        ("analysis_min_requests", "0", "is not a number of requests from 1"),
    ],
)
def test_wrong_values_are_named_with_where_to_fix_them(key, value, message):
    with pytest.raises(ToolError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.load({**DEFAULTS, key: value})


@pytest.mark.parametrize(("value", "port"), [("0", 0), (5000, 5000), ("65535", 65535)])
def test_ports(value, port):
    assert Settings.load({"port": value}).port == port


@pytest.mark.parametrize(("value", "host"), [("0.0.0.0", "0.0.0.0"), ("::1", "::1"), ("[::1]", "::1")])
def test_hosts(value, host):
    assert Settings.load({"host": value}).host == host


@pytest.mark.parametrize(
    "value",
    ["", "ssh://node1", "ssh://deploy@10.0.0.5:2222", "tcp://10.0.0.5:2376", "unix:///run/docker.sock", "prod-eu"],
)
def test_a_manager_is_a_docker_host_or_a_context(value):
    assert Settings.load({"manager": value}).manager == value


def test_a_flag_beats_config_and_is_named_when_wrong():
    config = {"port": "6000", "host": "127.0.0.1"}
    assert Settings.load(config, {"port": "7000", "host": None}).port == 7000
    with pytest.raises(ToolError, match=r"^--port: 'x' is not a port"):
        Settings.load(config, {"port": "x"})
    with pytest.raises(ToolError, match=r"^docker.port \(invoke.yaml or INVOKE_DOCKER_PORT\): 'y'"):
        Settings.load({"port": "y"}, {"host": "0.0.0.0"})


def test_override_is_checked_like_config():
    settings = Settings.load({})
    assert settings.override(port=0, tag="t1").reference == "flask-service:t1"
    with pytest.raises(ToolError, match=r"docker\.tag"):
        settings.override(tag="not a tag")


def test_the_dockerfile_names_its_default_base_image():
    assert dockerfile_base_image().startswith("python:3.")


def test_the_dockerfile_sets_the_label_cleanup_filters_by():
    from tooling.core.settings import DOCKERFILE, PROJECT_LABEL

    assert DOCKERFILE.read_text().count(f'LABEL {PROJECT_LABEL}="${{PROJECT}}"') == 2


def test_a_bad_setting_stops_a_task_in_one_line(fake_docker, inv, monkeypatch):
    monkeypatch.setenv("INVOKE_DOCKER_STOP_TIMEOUT", "later")
    result = inv("stop")
    assert result.code == 1
    assert result.err.strip().startswith("error: docker.stop_timeout")
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("docker:\n  port: eighty\n", "error: docker.port (invoke.yaml or INVOKE_DOCKER_PORT): 'eighty' is not a port"),
        ("docker:\n  hardened: maybe\n", "error: docker.hardened (invoke.yaml or INVOKE_DOCKER_HARDENED): 'maybe'"),
        ("docker:\n  health_timeout: [1, 2]\n", "error: docker.health_timeout"),
        ("docker:\n  colour: red\n", "error: unknown setting docker.colour"),
    ],
)
def test_wrong_values_in_a_config_file_are_one_line(fake_docker, inv, tmp_path, yaml, message):
    config = tmp_path / "invoke.yaml"
    config.write_text(yaml)
    result = inv("-f", str(config), "run")
    assert result.code == 1
    assert result.err.startswith(message)
    assert len(result.err.strip().splitlines()) == 1

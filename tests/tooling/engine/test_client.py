"""engine/client.py: connecting to an engine that answers, the daemon's JSON, and the one telling line of an error."""

import pytest
from python_on_whales.exceptions import DockerException

from tests.tooling.fakes import docker_error
from tooling.core.errors import last_error_line
from tooling.engine.client import inspect


@pytest.mark.parametrize("task", ["build", "run", "status", "clean", "logs", "doctor"])
def test_no_docker_client_is_one_line_for_every_task(fake_docker, inv, monkeypatch, task):
    monkeypatch.setattr("shutil.which", lambda name: None)
    result = inv(task)
    assert result.code == 1
    if task == "doctor":  # the doctor reports it as a failed check, then sums up
        assert "FAIL  docker client  no docker client on PATH" in result.out
    else:
        assert result.err.strip() == (
            "error: no docker client on PATH; install Docker (https://docs.docker.com/get-docker/) and try again"
        )


@pytest.mark.parametrize("task", ["build", "run", "status", "doctor"])
def test_a_daemon_that_does_not_answer_is_worded_once(fake_docker, inv, monkeypatch, task):
    fake_docker.daemon_down = True
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    result = inv(task)
    assert result.code == 1
    said = "the Docker daemon at tcp://127.0.0.1:1 does not answer (Cannot connect to the Docker daemon"
    assert said in (result.out if task == "doctor" else result.err)
    assert "sudo systemctl start docker" in result.out + result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("stderr", "line"),
    [
        ("DEPRECATED: The legacy builder is deprecated\nError: No such image: x\n", "Error: No such image: x"),
        ("first\n\nsecond\n   \n", "second"),
        ("", "`docker` exited with 1"),
        ("x" * 300, "x" * 239 + "…"),
    ],
)
def test_last_error_line_skips_notices_and_shortens(stderr, line):
    assert last_error_line(docker_error(stderr)) == line


def test_last_error_line_of_nothing():
    assert last_error_line(None) == last_error_line("") == "no error output"


def _inspect_answers(monkeypatch, error):
    """`docker inspect` exits 1 with ``error``, as python-on-whales reports it."""

    def run(command):
        raise error

    monkeypatch.setattr("python_on_whales.utils.run", run)
    return type("Client", (), {"docker_cmd": ["docker"]})()


def test_inspect_leaves_out_what_vanished_since_it_was_listed(monkeypatch):
    error = docker_error("Error: No such object: t2\n")
    error.stdout = '[{"ID": "t1"}]\n'
    client = _inspect_answers(monkeypatch, error)
    assert inspect(client, "t1", "t2") == [{"ID": "t1"}]


def test_inspect_raises_what_is_not_a_vanished_object(monkeypatch):
    error = docker_error("Cannot connect to the Docker daemon at unix:///var/run/docker.sock.\n")
    client = _inspect_answers(monkeypatch, error)
    with pytest.raises(DockerException):
        inspect(client, "t1")

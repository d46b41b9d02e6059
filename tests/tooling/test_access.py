"""shell, logs, stop and status: the tasks that reach an existing container."""

from datetime import datetime, timedelta

import pytest

from tests.tooling.fakes import docker_error
from tooling.console import parse_since


@pytest.fixture
def running(docker):
    docker.images["flask-service:latest"] = object()
    return docker.add_container("flask-service")


@pytest.fixture
def tty(monkeypatch):
    monkeypatch.setattr("tooling.console.has_terminal", lambda: True)


def test_shell_cmd_runs_one_command_as_the_service_user(running, inv):
    running.exec_result = "10001\n"
    result = inv("shell", "--cmd", "id -u")
    assert result.code == 0
    assert result.out.strip() == "10001"
    assert running.executed[-1] == {"command": ["sh", "-c", "id -u"], "user": None, "interactive": False, "tty": False}


def test_shell_root_execs_as_uid_zero(running, inv):
    inv("shell", "--root", "--cmd", "id -u")
    assert running.executed[-1]["user"] == "0"


def test_shell_interactive_needs_a_terminal(running, inv):
    result = inv("shell")
    assert result.code == 1
    assert 'use --cmd "..."' in result.err


def test_shell_interactive_with_a_terminal(running, inv, tty):
    assert inv("shell").code == 0
    assert running.executed[-1]["command"] == ["sh"] and running.executed[-1]["tty"] is True


def test_shell_new_uses_a_throwaway_container(running, docker, inv):
    docker.run_output = "Python 3.11"
    result = inv("shell", "--new", "--cmd", "python3 -V")
    assert result.code == 0 and "Python 3.11" in result.out
    kwargs = docker.calls[-1][1]
    assert kwargs["remove"] is True and kwargs["pull"] == "never" and kwargs["command"] == ["sh", "-c", "python3 -V"]


def test_a_failing_command_passes_its_code_on(running, inv):
    running.exec_result = docker_error("sh: 1: nope: not found", code=127)
    result = inv("shell", "--cmd", "nope")
    assert result.code == 127
    assert "nope: not found" in result.err


@pytest.mark.parametrize("task", [["shell", "--cmd", "true"], ["logs"], ["stop"]])
def test_tasks_that_need_the_container_say_when_there_is_none(docker, inv, task):
    result = inv(*task)
    assert result.code == 1
    assert "no container named flask-service; start one with `inv run`" in result.err


@pytest.mark.parametrize("task", [["shell", "--cmd", "true"], ["logs"], ["stop"]])
def test_tasks_leave_a_foreign_container_alone(docker, inv, task):
    docker.add_container("flask-service", labels={})
    result = inv(*task)
    assert result.code == 1
    assert "was not started by this project's tasks" in result.err
    assert "flask-service" in docker.containers


def test_shell_in_a_stopped_container(running, inv):
    running.state.running = False
    result = inv("shell", "--cmd", "true")
    assert result.code == 1 and "is not running" in result.err


def test_shell_new_without_an_image(docker, inv):
    result = inv("shell", "--new", "--cmd", "true")
    assert result.code == 1 and "is not built yet" in result.err


def test_logs_pass_tail_since_follow(running, docker, inv):
    result = inv("logs", "--tail", "5", "--since", "10m", "--follow")
    assert result.code == 0
    assert docker.calls[-1] == ("logs", {"follow": True, "tail": 5, "since": timedelta(minutes=10), "stream": True})
    assert "GET /test 200" in result.out and "worker booted" in result.err


def test_logs_reject_a_bad_tail(running, inv):
    result = inv("logs", "--tail", "many")
    assert result.code == 1 and "--tail 'many' is not a number" in result.err


def test_stop_stops_gracefully_and_removes(running, docker, inv):
    result = inv("stop")
    assert result.code == 0
    assert running.stopped_with == 25
    assert "flask-service" not in docker.containers
    assert "exit code 0" in result.out


def test_status_lists_the_projects_containers(running, docker, inv):
    docker.add_container("someone-else", labels={"other": "x"})
    result = inv("status")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split() == ["NAME", "ROLE", "STATE", "HEALTH", "URL", "IMAGE", "AGE"]
    assert lines[1].split()[:5] == ["flask-service", "service", "running", "healthy", "http://127.0.0.1:5000"]
    assert "someone-else" not in result.out


def test_status_with_nothing_running(docker, inv):
    result = inv("status")
    assert result.code == 0 and "no container of this project exists" in result.out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45s", timedelta(seconds=45)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("2026-01-31T12:00", datetime(2026, 1, 31, 12, 0)),
    ],
)
def test_since_accepts_durations_and_times(text, expected):
    assert parse_since(text) == expected


def test_logs_reject_a_bad_since(running, inv):
    result = inv("logs", "--since", "yesterday")
    assert result.code == 1 and "--since 'yesterday' is neither a duration" in result.err

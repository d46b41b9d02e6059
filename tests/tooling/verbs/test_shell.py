"""inv shell: an interactive shell, or one command, in the running container or a throwaway one."""

import pytest

from tests.tooling.fakes import docker_error


@pytest.fixture
def tty(monkeypatch):
    monkeypatch.setattr("tooling.core.terminal.has_terminal", lambda: True)


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


def test_shell_new_uses_a_throwaway_container(running, fake_docker, inv):
    fake_docker.run_output = "Python 3.11"
    result = inv("shell", "--new", "--cmd", "python3 -V")
    assert result.code == 0 and "Python 3.11" in result.out
    kwargs = fake_docker.calls[-1][1]
    assert kwargs["remove"] is True and kwargs["pull"] == "never" and kwargs["command"] == ["sh", "-c", "python3 -V"]


def test_a_failing_command_passes_its_code_on(running, inv):
    running.exec_result = docker_error("sh: 1: nope: not found", code=127)
    result = inv("shell", "--cmd", "nope")
    assert result.code == 127
    assert "nope: not found" in result.err


def test_shell_in_a_stopped_container(running, inv):
    running.state.running = False
    result = inv("shell", "--cmd", "true")
    assert result.code == 1 and "is not running" in result.err


def test_shell_new_without_an_image(fake_docker, inv):
    result = inv("shell", "--new", "--cmd", "true")
    assert result.code == 1 and "is not built yet" in result.err

"""core/errors.py: the door that turns a failure into one line, and how a failed docker command is named."""

import pytest
from invoke.exceptions import Exit
from python_on_whales.exceptions import DockerException

from tooling.core.errors import ToolError, _named, exits_cleanly


@pytest.mark.parametrize(
    ("command", "named"),
    [
        (["docker", "node", "ls", "--format", "{{json .}}"], "docker node ls"),
        (["docker", "--host", "ssh://deploy@node1", "service", "ls", "-q"], "docker service ls"),
        (
            ["docker", "--context", "prod", "--tls", "--tlscacert", "ca.pem", "stack", "rm", "app"],
            "docker stack rm app",
        ),
        (["docker", "--host=tcp://h:2376", "--debug", "info"], "docker info"),
        (["docker", "exec", "probe", "sh", "-c", "promtool query instant"], "docker exec probe sh"),
    ],
)
def test_a_failed_command_is_named_by_its_words_not_the_client_s_options(command, named):
    assert _named(command) == named


def failing(error: BaseException):
    @exits_cleanly
    def task() -> None:
        raise error

    return task


def test_a_docker_command_failing_unexpectedly_is_one_line_and_exit_1(monkeypatch):
    monkeypatch.delenv("INVOKE_DEBUG", raising=False)
    said = "DEPRECATED: noise\nError response from daemon: The swarm does not have a leader."
    error = DockerException(["docker", "--host", "ssh://n1", "node", "ls"], 1, stderr=said.encode())
    with pytest.raises(Exit) as exited:
        failing(error)()
    assert exited.value.code == 1
    assert exited.value.message == (
        "error: `docker node ls` failed: Error response from daemon: The swarm does not have a leader.;"
        " `inv doctor` says what the engine can do"
    )


def test_with_invoke_debug_the_traceback_stays(monkeypatch):
    monkeypatch.setenv("INVOKE_DEBUG", "1")
    with pytest.raises(DockerException):
        failing(DockerException(["docker", "info"], 1, stderr=b"boom"))()


def test_any_other_exception_is_a_bug_and_keeps_its_traceback():
    with pytest.raises(ZeroDivisionError):
        failing(ZeroDivisionError("a bug"))()


def test_a_tool_error_is_its_own_line_and_code():
    with pytest.raises(Exit) as exited:
        failing(ToolError("what happened; what to do", code=3))()
    assert (exited.value.message, exited.value.code) == ("error: what happened; what to do", 3)

"""engine/containers.py: what belongs to the project, and the host's ports, seen where the tasks show them."""

import socket

import pytest

from tooling.core.errors import ToolError
from tooling.engine.containers import port_is_free


@pytest.mark.parametrize("task", [["shell", "--cmd", "true"], ["logs"], ["stop"]])
def test_tasks_that_need_the_container_say_when_there_is_none(fake_docker, inv, task):
    result = inv(*task)
    assert result.code == 1
    assert "no container named flask-service; start one with `inv run`" in result.err


@pytest.mark.parametrize("task", [["shell", "--cmd", "true"], ["logs"], ["stop"]])
def test_tasks_leave_a_foreign_container_alone(fake_docker, inv, task):
    fake_docker.add_container("flask-service", labels={})
    result = inv(*task)
    assert result.code == 1
    assert "was not started by this project's tasks" in result.err
    assert "flask-service" in fake_docker.containers


def test_port_is_free_sees_a_listener_and_not_a_closed_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert port_is_free("127.0.0.1", port) is False
    assert port_is_free("127.0.0.1", port) is True


def test_port_is_free_refuses_an_address_of_another_machine():
    with pytest.raises(ToolError, match=r"cannot publish on 192\.0\.2\.1:5000"):
        port_is_free("192.0.2.1", 5000)

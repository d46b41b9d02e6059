from __future__ import annotations

import importlib
import os
import time
from dataclasses import dataclass

import pytest
from invoke import Program

import tasks
from tests.tooling.fakes import FakeDocker


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def fake_docker(monkeypatch):
    """The fake client that tooling.engine.client.connect() hands every task, and free ports.

    A client made for docker.manager (a host or a context) is another fake, ``fake_docker.remote``,
    so that a test sees which engine each task talked to."""
    fake, remote = FakeDocker(), FakeDocker()
    fake.remote = remote

    def client(*args, host=None, context=None, **kwargs):
        if host or context:
            remote.host = host or context
            return remote
        return fake

    def run(args, **kwargs):
        return (remote if "--host" in args or "--context" in args else fake).cli(args, **kwargs)

    monkeypatch.setattr("python_on_whales.DockerClient", client)
    monkeypatch.setattr("python_on_whales.utils.run", run)
    monkeypatch.setattr("tooling.engine.client.run_bounded", lambda args, timeout: run(args))
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    # Time passes only as the code sleeps: a wait of 30 s takes no time, and still ends.
    real, slept = time.monotonic, [0.0]
    monkeypatch.setattr("time.sleep", lambda seconds: slept.__setitem__(0, slept[0] + seconds))
    monkeypatch.setattr("time.monotonic", lambda: real() + slept[0])
    monkeypatch.setattr("tooling.engine.containers.port_is_free", lambda host, port: True)
    for variable in [v for v in os.environ if v.startswith("INVOKE_DOCKER_")] + ["DOCKER_HOST"]:
        monkeypatch.delenv(variable, raising=False)
    return fake


@pytest.fixture
def inv(capsys):
    """Run `inv ARGS...` in this process against the project's tasks; returns code, stdout, stderr."""

    def run(*args: str) -> Result:
        # Fresh tasks each time: invoke consumes a task's help strings when it parses arguments.
        program = Program(namespace=importlib.reload(tasks).ns)
        try:
            program.run(["inv", *args], exit=True)
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def fast_clock(monkeypatch):
    """``fast_clock(step)``: every reading of time.monotonic is ``step`` seconds later, so a timeout
    comes within a few polls."""

    def advance(step: float) -> None:
        ticks = iter(range(100_000))
        monkeypatch.setattr("time.monotonic", lambda: next(ticks) * step)

    return advance


@pytest.fixture
def running(fake_docker):
    """The service's image built and its container running, as `inv build run` leaves them."""
    fake_docker.images["flask-service:latest"] = object()
    return fake_docker.add_container("flask-service")

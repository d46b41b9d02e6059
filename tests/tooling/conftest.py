from __future__ import annotations

import importlib
import os
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
    """The fake client that tooling.engine.connect() hands every task, and free ports."""
    fake = FakeDocker()
    monkeypatch.setattr("python_on_whales.DockerClient", lambda *a, **k: fake)
    monkeypatch.setattr("python_on_whales.utils.run", fake.cli)
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    monkeypatch.setattr("tooling.engine.port_is_free", lambda host, port: True)
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

"""The inv tasks end to end against the real engine, under a project of this run's own so that
`inv clean` here cannot touch anybody's images or containers."""

import os
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest

from tests.engine import RUN_ID, http
from tooling.core.settings import ROOT
from tooling.core.waiting import wait_until
from tooling.engine.containers import project_containers, project_images


@dataclass
class Inv:
    """`inv ...` in a subprocess, as a user types it, under this run's own project."""

    project: str
    env: dict[str, str]

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "invoke", *args]
        return subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture
def inv(settings):
    project = f"flask-service-it-{RUN_ID}"
    env = {
        **os.environ,
        "INVOKE_DOCKER_PROJECT": project,
        "INVOKE_DOCKER_IMAGE": project,
        "INVOKE_DOCKER_CONTAINER": project,
        "INVOKE_DOCKER_BASE_IMAGE": settings.base_image,
    }
    yield Inv(project, env)
    Inv(project, env)("clean")


def test_build_run_use_stop_clean(inv, docker_client):
    built = inv("build")
    assert built.returncode == 0, built.stderr
    assert re.search(r"built flask-service-it-.+: \d+ MB in [\d.]+s", built.stdout)

    started = inv("run", "--port", "0")
    assert started.returncode == 0, started.stderr
    found = re.search(r"serves (http://127\.0\.0\.1:\d+)", started.stdout)
    assert found, started.stdout
    url = found.group(1)
    assert http("GET", f"{url}/test").text == "test_endpoint_get"

    def logged() -> subprocess.CompletedProcess[str] | None:
        logs = inv("logs", "--tail", "5")
        assert logs.returncode == 0, logs.stderr
        return logs if "GET /test" in logs.stdout else None  # access lines leave in batches

    logs = wait_until(logged, timeout=15, interval=0.3)
    assert 0 < len((logs.stdout + logs.stderr).strip().splitlines()) <= 5

    uid = inv("shell", "--cmd", "id -u")
    assert uid.returncode == 0 and uid.stdout.strip() not in {"", "0"}

    status = inv("status")
    assert inv.project in status.stdout and "healthy" in status.stdout

    stopped = inv("stop")
    assert stopped.returncode == 0 and "exit code 0" in stopped.stdout

    cleaned = inv("clean")
    assert cleaned.returncode == 0 and "removed image" in cleaned.stdout
    assert project_containers(docker_client, inv.project) == []
    assert project_images(docker_client, inv.project) == []


def test_run_before_build_says_what_to_do(inv):
    result = inv("run")
    assert result.returncode == 1
    assert "is not built yet; run `inv build` first" in result.stderr
    assert "Traceback" not in result.stderr

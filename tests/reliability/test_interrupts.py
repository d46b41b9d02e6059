"""Ctrl-C (SIGINT to the whole process group, as a terminal sends it) leaves nothing behind."""

import os
import signal
import subprocess
import sys

import pytest

from tests.engine import PID_LABEL, RUN_ID
from tooling.core.settings import ROOT
from tooling.core.waiting import WaitTimeout, wait_until
from tooling.engine.containers import labelled_containers, project_containers


def interrupt_when(command, env, ready, timeout=120):
    """Start ``command`` in its own process group; SIGINT it once ``ready()``; return its exit code."""
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )

    def ready_to_interrupt() -> bool:
        assert process.poll() is None, "it ended before it could be interrupted"
        return bool(ready(process))

    try:
        wait_until(ready_to_interrupt, timeout=timeout, interval=0.1)
        os.killpg(process.pid, signal.SIGINT)
        return process.wait(timeout=90)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_ctrl_c_while_inv_run_waits_removes_the_container(docker_client, settings, image):
    project = f"flask-service-intr-{RUN_ID}"
    name, _, tag = image.partition(":")
    env = {
        **os.environ,
        "INVOKE_DOCKER_PROJECT": project,
        "INVOKE_DOCKER_CONTAINER": project,
        "INVOKE_DOCKER_IMAGE": name,
        "INVOKE_DOCKER_TAG": tag,
        "INVOKE_DOCKER_PORT": "0",
    }

    def started(process):
        return bool(project_containers(docker_client, project))

    code = interrupt_when([sys.executable, "-m", "invoke", "run"], env, started)
    assert code == 130
    assert project_containers(docker_client, project) == []


def test_ctrl_c_during_inv_build_leaves_no_container(docker_client, settings):
    project = f"flask-service-intr-build-{RUN_ID}"
    env = {**os.environ, "INVOKE_DOCKER_PROJECT": project, "INVOKE_DOCKER_IMAGE": project}

    def building(process):
        # the classic builder's step containers carry the project label from the first LABEL step on
        return bool(labelled_containers(docker_client, project))

    try:
        code = interrupt_when([sys.executable, "-m", "invoke", "build", "--no-cache"], env, building)
        assert code != 0
        try:  # the engine may take a moment to finish the removal the builder asked for
            wait_until(lambda: not labelled_containers(docker_client, project), timeout=10, interval=0.2)
        except WaitTimeout:
            pytest.fail(f"left behind: {[c.name for c in labelled_containers(docker_client, project)]}")
    finally:
        subprocess.run([sys.executable, "-m", "invoke", "clean"], cwd=ROOT, env=env, capture_output=True, check=False)


def test_ctrl_c_during_the_smoke_tests_tears_everything_down(docker_client, settings):
    env = dict(os.environ)
    command = [sys.executable, "-m", "pytest", "tests/container/test_http.py", "-p", "no:cacheprovider", "-q"]
    pids: list[int] = []

    def serving(process):
        pids[:] = [process.pid]
        found = docker_client.container.list(all=True, filters=[("label", f"{PID_LABEL}={process.pid}")])
        return any(c.state.running for c in found)

    interrupt_when(command, env, serving)
    assert docker_client.container.list(all=True, filters=[("label", f"{PID_LABEL}={pids[0]}")]) == []
    tags = [tag for img in docker_client.image.list() for tag in img.repo_tags]
    assert not [tag for tag in tags if tag.startswith(f"{settings.image}:test-{pids[0]}-")]

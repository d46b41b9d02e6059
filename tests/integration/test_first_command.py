"""The README's first command, verbatim, on a stock Debian: `python3` and its venv module, no
`python`, no pip; then with Debian's pip, which refuses to install outside a venv (PEP 668).
Either way the tooling installs, and the `inv` part runs, ending on its one line about Docker
(there is no docker client in that container)."""

import io
import os
import re
import shutil
import socket
import subprocess

import pytest

from tests.engine import HOST_LABEL, PID_LABEL, RUN_ID
from tooling.core.settings import PROJECT_LABEL, ROOT
from tooling.engine.build import build_context
from tooling.engine.containers import labels

# Any Debian image with apt; CI passes its stand-in (.ci/run), a user's engine pulls this one.
DEBIAN = os.environ.get("TEST_DEBIAN_IMAGE", "debian:12")
NO_CLIENT = "error: no docker client on PATH; install Docker (https://docs.docker.com/get-docker/) and try again"
DOCKERFILE = """\
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
ARG WITH_PIP=0
RUN apt-get update \\
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \\
 && if [ "$WITH_PIP" = 1 ]; then apt-get install -y --no-install-recommends python3-pip; fi \\
 && (apt-get purge -y python-is-python3 || true) \\
 && rm -rf /var/lib/apt/lists/*
# What a stock Debian lacks: a `python` command, and Docker.
RUN ! command -v python && ! command -v docker
WORKDIR /src
COPY . .
"""


def first_command() -> str:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Two commands", 1)[1].split("```sh\n", 1)[1]
    return re.sub(r"\s+#.*$", "", block.splitlines()[0])


def test_the_first_command_is_the_one_that_makes_a_venv():
    assert first_command().startswith("python3 -m venv .venv && . .venv/bin/activate && pip install")


@pytest.fixture(params=["python3 and venv", "with Debian's pip"])
def stock_debian(request, docker_client, tmp_path):
    """An image of the Debian named by TEST_DEBIAN_IMAGE with this checkout's files in /src."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, files.split("\0")):
        if (ROOT / name).is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / "Dockerfile.first-command").write_text(DOCKERFILE)
    (tmp_path / ".dockerignore").write_text(".git\n")
    project = f"flask-service-first-{RUN_ID}"
    tag = f"{project}:{'pip' if 'pip' in request.param else 'bare'}"
    try:
        build_context(
            docker_client,
            tmp_path,
            project=project,
            tags=[tag],
            dockerfile=tmp_path / "Dockerfile.first-command",
            build_args={"DEBIAN_IMAGE": DEBIAN, "WITH_PIP": "1" if "pip" in request.param else "0"},
            labels={PROJECT_LABEL: project},
            out=io.StringIO(),
        )
    except Exception as error:  # noqa: BLE001 - no Debian image to be had is the machine's, not the project's
        pytest.fail(f"cannot build a stock Debian from {DEBIAN} (set TEST_DEBIAN_IMAGE to one you have): {error}")
    yield tag
    docker_client.image.remove(tag, force=True)


def run(docker_client, image: str, command: str) -> tuple[int, str, str]:
    """`sh -c command` in a fresh container of ``image``: its exit code, stdout and stderr."""
    marks = {**labels(f"flask-service-first-{RUN_ID}", "test"), PID_LABEL: str(os.getpid())}
    marks[HOST_LABEL] = socket.gethostname()
    container = docker_client.run(image, ["sh", "-c", command], detach=True, labels=marks, pull="never")
    try:
        code = docker_client.container.wait(container)
        streams = {"stdout": b"", "stderr": b""}
        for source, chunk in docker_client.container.logs(container, stream=True):
            streams[source] += chunk
        return code, streams["stdout"].decode(), streams["stderr"].decode()
    finally:
        container.remove(force=True)


def test_the_first_command_works_verbatim_on_a_stock_debian(docker_client, stock_debian):
    code, out, err = run(docker_client, stock_debian, first_command())
    assert code == 1, f"{out}\n{err}"
    assert "Successfully installed" in out and "invoke-" in out, "the tooling installed"
    assert err.strip().splitlines()[-1] == NO_CLIENT, err
    if stock_debian.endswith(":pip"):  # and Debian's pip would have refused outside the venv
        code, out, err = run(docker_client, stock_debian, "python3 -m pip install invoke")
        assert code != 0 and "externally-managed-environment" in out + err

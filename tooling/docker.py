"""The connection to Docker: one client, one place that turns its errors into one line.

python-on-whales (and the pydantic it brings) is imported inside functions, so that
``inv --list`` and ``inv --help`` never pay for it.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from tooling.errors import ToolError
from tooling.settings import PROJECT_LABEL, ROLE_LABEL

if TYPE_CHECKING:
    from python_on_whales import Container, DockerClient
    from python_on_whales.exceptions import DockerException


def connect() -> DockerClient:
    """A client whose daemon answers, or a ToolError that says how to get one."""
    from python_on_whales import DockerClient
    from python_on_whales.exceptions import DockerException

    if shutil.which("docker") is None:
        raise ToolError("no docker client on PATH; install Docker (https://docs.docker.com/get-docker/) and try again")
    client = DockerClient()
    try:
        client.version()
    except DockerException as error:
        where = os.environ.get("DOCKER_HOST") or "the default socket"
        raise ToolError(
            f"the Docker daemon at {where} does not answer ({first_line(error)}); "
            "start Docker, or fix DOCKER_HOST, then run `inv doctor`"
        ) from None
    return client


def first_line(error: DockerException | str | None, limit: int = 240) -> str:
    """The most telling line of a docker error: its last non-empty stderr line, shortened."""
    text = error if isinstance(error, str) or error is None else (error.stderr or str(error))
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    lines = [
        line
        for line in lines
        if not line.startswith(("DEPRECATED", "Install the buildx", "https://docs.docker.com/go/buildx"))
    ]
    line = lines[-1] if lines else "no error output"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def labels(project: str, role: str, **extra: str) -> dict[str, str]:
    """Labels for a container the tooling starts: the project's, and what it is for."""
    return {PROJECT_LABEL: project, ROLE_LABEL: role, **extra}


def find_container(client: DockerClient, name: str) -> Container | None:
    """The container called ``name``, or None."""
    matches = client.container.list(all=True, filters=[("name", f"^/?{name}$")])
    return matches[0] if matches else None


def owned(container: Container) -> bool:
    """Whether the tooling started this container (it carries the role label)."""
    return ROLE_LABEL in (container.config.labels or {})


def own_container(client: DockerClient, name: str) -> Container:
    """This project's container called ``name``; a ToolError when there is none or it isn't ours."""
    container = find_container(client, name)
    if container is None:
        raise ToolError(f"no container named {name}; start one with `inv run`")
    if not owned(container):
        raise ToolError(f"the container {name} was not started by this project's tasks; leaving it alone")
    return container

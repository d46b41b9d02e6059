"""`inv doctor`: can this machine build and run the service? Each check says what to do."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tooling import engine
from tooling.errors import ToolError
from tooling.settings import Settings

if TYPE_CHECKING:
    from python_on_whales import DockerClient

MIN_FREE_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    blocking: bool = True

    @property
    def mark(self) -> str:
        return "ok  " if self.ok else ("FAIL" if self.blocking else "warn")


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in the order a newcomer would fix them; later ones need the earlier ones."""
    try:
        client = engine.connect()
    except engine.EngineUnavailable as error:
        found = [Check("docker client", True, shutil.which("docker") or "?")] if error.part == "daemon" else []
        return [*found, Check(f"docker {error.part}", False, error.problem, error.fix)]
    version = client.version()
    server = version.server.version if version.server else "?"
    client_version = version.client.version if version.client else "?"
    return [
        Check("docker client", True, f"{client_version} ({shutil.which('docker')})"),
        Check("docker daemon", True, f"Engine {server}"),
        _builder(client),
        _base_image(client, settings),
        _port(client, settings),
        _disk(client),
    ]


def _builder(client: DockerClient) -> Check:
    if client.buildx.is_installed():
        return Check("builder", True, "buildx (BuildKit)")
    return Check(
        "builder",
        False,
        "buildx is not installed; builds use the classic builder",
        "fine for this project; install the buildx plugin for BuildKit's speed",
        blocking=False,
    )


def _base_image(client: DockerClient, settings: Settings) -> Check:
    from python_on_whales.exceptions import DockerException

    name = settings.python_image
    if client.image.exists(name):
        return Check("base image", True, f"{name} is present")
    try:
        client.manifest.inspect(name)
    except DockerException:
        return Check(
            "base image",
            False,
            f"{name} is not here and no registry answers for it",
            "pull it, or set docker.base_image (INVOKE_DOCKER_BASE_IMAGE) to an image you have or a mirror's",
        )
    return Check("base image", True, f"{name} can be pulled")


def _port(client: DockerClient, settings: Settings) -> Check:
    label = f"{settings.host}:{settings.port}"
    if settings.port == 0:
        return Check("host port", True, "0: any free port")
    try:
        free = engine.port_is_free(settings.host, settings.port)
    except ToolError as error:
        return Check("host port", False, label, error.message)
    if free:
        return Check("host port", True, f"{label} is free")
    ours = engine.find_container(client, settings.container)
    if ours is not None and engine.started_by_tasks(ours) and ours.state.running:
        return Check("host port", True, f"{label} is held by this project's {ours.name}")
    return Check("host port", False, f"{label} is in use", "stop what holds it, or use --port N / --port 0")


def _disk(client: DockerClient) -> Check:
    try:
        root = client.info().docker_root_dir or "/"
        free = shutil.disk_usage(root).free
    except (OSError, AttributeError):
        free = shutil.disk_usage(os.getcwd()).free
    detail = f"{free / 1024**3:.1f} GiB free"
    if free < MIN_FREE_BYTES:
        return Check("disk", False, detail, "free some space: `inv clean`, or prune what you no longer need")
    return Check("disk", True, detail)

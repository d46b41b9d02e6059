"""`inv doctor`: can this machine build and run the service? Each check says what to do."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tooling import engine, registry
from tooling.errors import ToolError
from tooling.settings import STACK_LABEL, Settings
from tooling.swarm import Swarm

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
    def line(self) -> str:
        mark = "ok  " if self.ok else ("FAIL" if self.blocking else "warn")
        fix = f"  -> {self.fix}" if self.fix and not self.ok else ""
        return f"{mark}  {self.name:<14} {self.detail}{fix}"


def verdict(checks: list[Check]) -> str:
    """The last line of `inv doctor`; a ToolError naming what blocks `inv build run`."""
    blocking = [check.name for check in checks if not check.ok and check.blocking]
    if blocking:
        raise ToolError(f"{len(blocking)} problem(s) block `inv build run`: {', '.join(blocking)}")
    return "ready: `inv build run` should work"


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
        # What `inv push` and `inv deploy` need; none of it blocks `inv build run`.
        _swarm(client),
        _registry(client, settings),
        _stack_port(client, settings),
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


def _swarm(client: DockerClient) -> Check:
    state, manager = Swarm(client).membership()
    if state == "active" and manager:
        return Check("swarm", True, "this engine is a swarm manager: `inv deploy` can deploy here")
    detail = "this engine is a swarm worker" if state == "active" else f"this engine is not in a swarm ({state})"
    fix = "deploy through a manager (DOCKER_HOST)" if state == "active" else "for `inv deploy`: `docker swarm init`"
    return Check("swarm", False, detail, fix, blocking=False)


def _registry(client: DockerClient, settings: Settings) -> Check:
    if not settings.registry:
        return Check(
            "registry",
            False,
            "docker.registry is not set",
            "for `inv push`: set INVOKE_DOCKER_REGISTRY",
            blocking=False,
        )
    probe = f"{settings.registry}/{settings.image}:doctor-probe"
    try:
        registry.digest_of(client, probe)  # None (not there) is an answer too
    except ToolError as error:
        return Check("registry", False, settings.registry, error.message, blocking=False)
    return Check("registry", True, f"{settings.registry} answers")


def _stack_port(client: DockerClient, settings: Settings) -> Check:
    label = f"0.0.0.0:{settings.stack_port}"
    try:
        free = engine.port_is_free("0.0.0.0", settings.stack_port)
    except ToolError as error:
        return Check("stack port", False, label, error.message, blocking=False)
    if free:
        return Check("stack port", True, f"{label} is free for the stack's edge")
    edges = client.container.list(filters=[("label", f"{STACK_LABEL}={settings.stack}")])
    if any(c.name.startswith(f"{settings.stack}_edge.") for c in edges):
        return Check("stack port", True, f"{label} is held by the edge of {settings.stack}")
    fix = "stop what holds it, or set docker.stack_port (INVOKE_DOCKER_STACK_PORT)"
    return Check("stack port", False, f"{label} is in use", fix, blocking=False)

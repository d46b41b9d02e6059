"""`inv run` and `inv stop`: start the service's container, wait until it is healthy, stop it."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tooling.core.errors import ToolError
from tooling.core.settings import ROOT, Settings
from tooling.core.waiting import Progress, WaitTimeout, silent, wait_until
from tooling.engine import containers
from tooling.engine.client import api_version
from tooling.models.health import cadence

if TYPE_CHECKING:
    from python_on_whales import Container, DockerClient


def start_service(
    client: DockerClient,
    settings: Settings,
    *,
    dev: bool = False,
    role: str = "service",
    envs: dict[str, str] | None = None,
    extra_labels: dict[str, str] | None = None,
) -> Container:
    """Start the service detached as ``settings`` say, replacing a container of the same name that
    the tasks started; ``dev`` mounts the source and reloads on change."""
    image, name, host, port = settings.reference, settings.container, settings.host, settings.port
    if not client.image.exists(image):
        raise ToolError(f"image {image} is not built yet; run `inv build` first, or `inv run --build`")
    if settings.env_file and not Path(settings.env_file).is_file():
        raise ToolError(f"env file {settings.env_file} does not exist; create it or drop --env-file")
    existing = containers.find_container(client, name)
    if existing is not None and not containers.started_by_tasks(existing):
        raise ToolError(
            f"a container named {name} exists and was not started by these tasks; "
            "remove it yourself, or set docker.container (INVOKE_DOCKER_CONTAINER) to another name"
        )
    # A busy port is fine only when it is the container about to be replaced that holds it.
    replacing_holder = existing is not None and containers.publishes(existing, port)
    if port and not replacing_holder and not containers.port_is_free(host, port):
        raise containers.port_in_use(host, port)
    if existing is not None:
        existing.remove(force=True)
        if port and not containers.port_frees(host, port, wait=5.0):
            raise containers.port_in_use(host, port)

    # On a laptop a request's line shows at once: the batching that saves a busy server a write
    # per line (docker/gunicorn_logs.py) would hold it back up to a second.
    envs = {"GUNICORN_ACCESS_LOG": settings.access_lines("run"), "GUNICORN_ACCESS_LOG_FLUSH": "0", **(envs or {})}
    volumes = []
    if dev:
        # The source mounted over the image's copy, and gunicorn restarting workers on change.
        volumes.append((str(ROOT / "service"), "/app/service", "ro"))
        envs.setdefault("GUNICORN_RELOAD", "1")
    hardened = settings.hardened
    pace = cadence(api_version(client))
    return containers.start_container(
        client,
        image,
        name=name,
        host=host,
        port=port,
        labels=containers.labels(settings.project, role, **(extra_labels or {})),
        envs=envs,
        env_files=[settings.env_file] if settings.env_file else [],
        volumes=volumes,
        restart=settings.restart,
        stop_timeout=settings.stop_timeout,
        # Hardened: nothing writable but /tmp (gunicorn's heartbeats use /dev/shm), no capabilities.
        read_only=hardened,
        tmpfs=["/tmp"] if hardened else [],
        cap_drop=["ALL"] if hardened else [],
        security_options=["no-new-privileges"] if hardened else [],
        health=pace.run_flags() if pace else None,  # else the image's own (models/health.py)
    )


def wait_healthy(container: Container, timeout: float, progress: Progress = silent) -> float:
    """Seconds until ``container`` turned healthy; a ToolError carrying its logs when it does not."""

    def failed(problem: str) -> ToolError:
        return ToolError(
            f"{problem}; its last log lines and health checks are above", details=containers.container_report(container)
        )

    def healthy() -> bool:
        container.reload()
        state = container.state
        health = state.health.status if state.health else None
        if health == "healthy" or (health is None and state.running):
            return True
        if not state.running or state.restarting or (container.restart_count or 0) > 0:
            raise failed(f"{container.name} exited with code {state.exit_code} while starting")
        if health == "unhealthy":
            raise failed(f"{container.name} turned unhealthy")
        status = health or state.status or "?"
        progress(f"waiting for {container.name} to turn healthy: {status} ({time.monotonic() - started:.0f}s)", status)
        return False

    started = time.monotonic()
    try:
        wait_until(healthy, timeout=timeout, interval=0.25)
    except WaitTimeout:
        raise failed(f"{container.name} did not turn healthy within {timeout:.0f}s") from None
    return time.monotonic() - started


@dataclass(frozen=True)
class Started:
    container: Container
    seconds: float  # from `docker run` returning to healthy


def run_service(
    client: DockerClient,
    settings: Settings,
    progress: Progress = silent,
    *,
    dev: bool = False,
    role: str = "service",
    envs: dict[str, str] | None = None,
    extra_labels: dict[str, str] | None = None,
) -> Started:
    """Start the service and wait until it is healthy; on any failure or Ctrl-C, remove what was started."""
    container = start_service(client, settings, dev=dev, role=role, envs=envs, extra_labels=extra_labels)
    try:
        seconds = wait_healthy(container, settings.health_timeout, progress)
    except BaseException:  # a ToolError, Ctrl-C, or the CLI killed by that same Ctrl-C
        with contextlib.suppress(Exception):  # gone already is fine: the error that matters is the first
            container.remove(force=True)  # nothing half-started is left for the next run to trip over
        raise
    return Started(container, seconds)


def stop_service(client: DockerClient, settings: Settings) -> int:
    """Stop the service's container gracefully, remove it, and return the exit code it ended with."""
    container = containers.require_container(client, settings.container)
    container.stop(time=settings.stop_timeout)
    container.reload()
    code = container.state.exit_code or 0
    container.remove(force=True)
    return code

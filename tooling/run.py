"""`inv run` and `inv stop`: start the service's container, wait until it is healthy, stop it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tooling import engine
from tooling.errors import ToolError
from tooling.settings import ROOT, Settings

if TYPE_CHECKING:
    from python_on_whales import Container, DockerClient

# How a long wait reports: (the line to show, what it is waiting on). The second part changes
# only when something new happened, so a log that is not a terminal gets one line per change.
Progress = Callable[[str, str], None]


def _silent(line: str, phase: str) -> None:
    pass


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
    existing = engine.find_container(client, name)
    if existing is not None and not engine.started_by_tasks(existing):
        raise ToolError(
            f"a container named {name} exists and was not started by these tasks; "
            "remove it yourself, or set docker.container (INVOKE_DOCKER_CONTAINER) to another name"
        )
    # A busy port is fine only when it is the container about to be replaced that holds it.
    replacing_holder = existing is not None and engine.publishes(existing, port)
    if port and not replacing_holder and not engine.port_is_free(host, port):
        raise engine.port_in_use(host, port)
    if existing is not None:
        existing.remove(force=True)
        if port and not engine.port_frees(host, port, wait=5.0):
            raise engine.port_in_use(host, port)

    envs = dict(envs or {})
    volumes = []
    if dev:
        # The source mounted over the image's copy, and gunicorn restarting workers on change.
        volumes.append((str(ROOT / "service"), "/app/service", "ro"))
        envs.setdefault("GUNICORN_RELOAD", "1")
    hardened = settings.hardened
    return engine.start_container(
        client,
        image,
        name=name,
        host=host,
        port=port,
        labels=engine.labels(settings.project, role, **(extra_labels or {})),
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
    )


def wait_healthy(container: Container, timeout: float, progress: Progress = _silent) -> float:
    """Seconds until ``container`` turned healthy; a ToolError carrying its logs when it does not."""
    started = time.monotonic()
    while True:
        container.reload()
        state = container.state
        elapsed = time.monotonic() - started
        health = state.health.status if state.health else None
        if health == "healthy" or (health is None and state.running):
            return elapsed
        if not state.running or state.restarting or (container.restart_count or 0) > 0:
            problem = f"{container.name} exited with code {state.exit_code} while starting"
        elif health == "unhealthy":
            problem = f"{container.name} turned unhealthy"
        elif elapsed > timeout:
            problem = f"{container.name} did not turn healthy within {timeout:.0f}s"
        else:
            status = health or state.status or "?"
            progress(f"waiting for {container.name} to turn healthy: {status} ({elapsed:.0f}s)", status)
            time.sleep(0.25)
            continue
        raise ToolError(
            f"{problem}; its last log lines and health checks are above", details=engine.container_report(container)
        )


@dataclass(frozen=True)
class Started:
    container: Container
    seconds: float  # from `docker run` returning to healthy


def run_service(
    client: DockerClient,
    settings: Settings,
    progress: Progress = _silent,
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
    except (ToolError, KeyboardInterrupt):
        container.remove(force=True)  # nothing half-started is left for the next run to trip over
        raise
    return Started(container, seconds)


def stop_service(container: Container, timeout: int) -> int:
    """Stop gracefully, remove, and return the exit code the service ended with."""
    container.stop(time=timeout)
    container.reload()
    code = container.state.exit_code or 0
    container.remove(force=True)
    return code

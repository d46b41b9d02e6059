"""Running the service's container: start, wait until healthy, report, stop."""

from __future__ import annotations

import errno
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tooling.docker import find_container, first_line, labels, owned
from tooling.errors import ToolError
from tooling.settings import CONTAINER_PORT, ROOT, Settings

if TYPE_CHECKING:
    from python_on_whales import Container, DockerClient


@dataclass
class RunOptions:
    """How one container of the service is started; the defaults come from Settings."""

    name: str
    image: str
    host: str
    port: int
    env_file: str = ""
    dev: bool = False
    role: str = "service"
    envs: dict[str, str] = field(default_factory=dict)
    extra_labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> RunOptions:
        values: dict[str, object] = {
            "name": settings.container,
            "image": settings.reference,
            "host": settings.host,
            "port": settings.port,
            "env_file": settings.env_file,
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As real servers do: a port with only closed connections in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise ToolError(f"cannot publish on {host}:{port}: {error.strerror}; choose another --host") from None
    return True


def _port_frees(host: str, port: int, wait: float) -> bool:
    """Whether the port is free, or frees within ``wait`` s (the engine lets go of a removed
    container's port a moment after the removal returns)."""
    deadline = time.monotonic() + wait
    while not port_is_free(host, port):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _publishes(container: Container, port: int) -> bool:
    return any(str(binding.get("HostPort")) == str(port) for binding in _bindings(container))


def _bindings(container: Container) -> list[dict[str, str]]:
    # python-on-whales leaves this part of inspect's answer as Docker's own JSON.
    return (container.network_settings.ports or {}).get(f"{CONTAINER_PORT}/tcp") or []


def _port_in_use(host: str, port: int) -> ToolError:
    return ToolError(
        f"port {port} on {host} is already in use; "
        "stop what holds it, or pick another with --port N (--port 0 for any free port)"
    )


def start(client: DockerClient, settings: Settings, options: RunOptions) -> Container:
    """Start the service detached, replacing a container of the same name that the tasks started."""
    from python_on_whales.exceptions import DockerException

    if not client.image.exists(options.image):
        raise ToolError(f"image {options.image} is not built yet; run `inv build` first, or `inv run --build`")
    if options.env_file and not Path(options.env_file).is_file():
        raise ToolError(f"env file {options.env_file} does not exist; create it or drop --env-file")
    existing = find_container(client, options.name)
    if existing is not None and not owned(existing):
        raise ToolError(
            f"a container named {options.name} exists and was not started by these tasks; "
            "remove it yourself, or set docker.container (INVOKE_DOCKER_CONTAINER) to another name"
        )
    # A busy port is fine only when it is the container about to be replaced that holds it.
    replacing_holder = existing is not None and _publishes(existing, options.port)
    if options.port and not replacing_holder and not port_is_free(options.host, options.port):
        raise _port_in_use(options.host, options.port)
    if existing is not None:
        existing.remove(force=True)
        if options.port and not _port_frees(options.host, options.port, wait=5.0):
            raise _port_in_use(options.host, options.port)

    host = f"[{options.host}]" if ":" in options.host else options.host
    envs = dict(options.envs)
    volumes = []
    if options.dev:
        # The source mounted over the image's copy, and gunicorn restarting workers on change.
        volumes.append((str(ROOT / "service"), "/app/service", "ro"))
        envs.setdefault("GUNICORN_RELOAD", "1")
    hardened = settings.hardened
    try:
        return client.run(
            options.image,
            detach=True,
            name=options.name,
            publish=[(f"{host}:{options.port or ''}", CONTAINER_PORT)],
            labels=labels(settings.project, options.role, **options.extra_labels),
            envs=envs,
            env_files=[options.env_file] if options.env_file else [],
            volumes=volumes,
            restart=settings.restart,
            stop_timeout=settings.stop_timeout,
            pull="never",
            # Hardened: nothing writable but /tmp (gunicorn's heartbeats use /dev/shm), no capabilities.
            read_only=hardened,
            tmpfs=["/tmp"] if hardened else [],
            cap_drop=["ALL"] if hardened else [],
            security_options=["no-new-privileges"] if hardened else [],
        )
    except (DockerException, KeyboardInterrupt) as error:
        # `docker run` may have created the container before it failed or was interrupted.
        leftover = find_container(client, options.name)
        if leftover is not None:
            leftover.remove(force=True)
        if isinstance(error, KeyboardInterrupt):
            raise
        reason = first_line(error)
        if "already allocated" in reason or "address already in use" in reason:
            raise _port_in_use(options.host, options.port) from None
        raise ToolError(f"the container did not start: {reason}") from None


def url(container: Container) -> str:
    """http://host:port of the service's published port."""
    container.reload()
    bindings = _bindings(container)
    if not bindings:
        raise ToolError(f"container {container.name} publishes no port")
    host = bindings[0].get("HostIp") or "127.0.0.1"
    host = "127.0.0.1" if host == "0.0.0.0" else (f"[{host}]" if ":" in host else host)
    return f"http://{host}:{bindings[0]['HostPort']}"


class Progress:
    """One status line that rewrites itself on a terminal, and prints on change elsewhere."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        self.live = self.out.isatty()
        self.last = ""

    def update(self, text: str, key: str) -> None:
        if self.live:
            self.out.write(f"\r\033[K{text}")
            self.out.flush()
        elif key != self.last:
            print(text, file=self.out, flush=True)
        self.last = key

    def done(self, text: str) -> None:
        if self.live:
            self.out.write("\r\033[K")
        print(text, file=self.out, flush=True)


def wait_healthy(container: Container, timeout: float, progress: Progress | None = None) -> float:
    """Seconds until ``container`` turned healthy; a ToolError with its logs when it does not."""
    progress = progress or Progress()
    started = time.monotonic()
    while True:
        container.reload()
        state = container.state
        elapsed = time.monotonic() - started
        health = state.health.status if state.health else None
        if health == "healthy" or (health is None and state.running):
            progress.done(f"{container.name} is healthy after {elapsed:.1f}s")
            return elapsed
        if not state.running or state.restarting or (container.restart_count or 0) > 0:
            progress.done(f"{container.name} stopped (exit code {state.exit_code})")
            raise ToolError(
                f"{container.name} exited with code {state.exit_code} while starting; {diagnosis(container)}"
            )
        if health == "unhealthy":
            progress.done(f"{container.name} is unhealthy")
            raise ToolError(f"{container.name} turned unhealthy; {diagnosis(container)}")
        if elapsed > timeout:
            progress.done(f"{container.name} is not healthy after {timeout:.0f}s")
            raise ToolError(f"{container.name} did not turn healthy within {timeout:.0f}s; {diagnosis(container)}")
        progress.update(
            f"waiting for {container.name} to turn healthy: {health or state.status} ({elapsed:.0f}s)", health or ""
        )
        time.sleep(0.25)


def diagnosis(container: Container, lines: int = 20) -> str:
    """Print the container's last log lines and health log; return where to look."""
    from python_on_whales.exceptions import DockerException

    try:
        logs = container.logs(tail=lines)
    except DockerException:  # removed meanwhile: nothing left to show
        logs = ""
    print(f"--- last {lines} log lines of {container.name} ---", file=sys.stderr)
    print(logs.rstrip() or "(none)", file=sys.stderr)
    checks = (container.state.health.log or []) if container.state.health else []
    if checks:
        print("--- health checks ---", file=sys.stderr)
        for check in checks[-3:]:
            print(f"exit {check.exit_code}: {(check.output or '').strip()}", file=sys.stderr)
    return "its last log lines and health checks are above"


def stop(container: Container, timeout: int) -> int:
    """Stop gracefully, remove, and return the exit code the service ended with."""
    container.stop(time=timeout)
    container.reload()
    code = container.state.exit_code or 0
    container.remove(force=True)
    return code

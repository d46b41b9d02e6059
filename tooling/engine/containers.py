"""Containers and images of this project on one engine: labels and ownership, finding them, the
host ports they publish, starting one that cleans up after itself, and what to show when one fails."""

from __future__ import annotations

import errno
import socket
from typing import TYPE_CHECKING, Any

from tooling.core.errors import ToolError, last_error_line
from tooling.core.settings import CONTAINER_PORT, PROJECT_LABEL, ROLE_LABEL
from tooling.core.waiting import WaitTimeout, wait_until
from tooling.engine.client import cli

if TYPE_CHECKING:
    from python_on_whales import Container, DockerClient, Image


# --- what belongs to the project --------------------------------------------------------------


def labels(project: str, role: str, **extra: str) -> dict[str, str]:
    """Labels for a container the tooling starts: the project's, and what it is for."""
    return {PROJECT_LABEL: project, ROLE_LABEL: role, **extra}


def started_by_tasks(container: Container) -> bool:
    """Whether the tooling started this container (it carries the role label)."""
    return ROLE_LABEL in (container.config.labels or {})


def find_container(client: DockerClient, name: str) -> Container | None:
    """The container called ``name``, or None."""
    matches = client.container.list(all=True, filters=[("name", f"^/?{name}$")])
    return matches[0] if matches else None


def require_container(client: DockerClient, name: str) -> Container:
    """The container called ``name`` that the tasks started; a ToolError when there is none or it isn't theirs."""
    container = find_container(client, name)
    if container is None:
        raise ToolError(f"no container named {name}; start one with `inv run`")
    if not started_by_tasks(container):
        raise ToolError(f"the container {name} was not started by this project's tasks; leaving it alone")
    return container


def labelled_containers(client: DockerClient, project: str) -> list[Container]:
    """Every container with ``project``'s label: the ones the tasks started, and the classic
    builder's step containers, which inherit the label from the Dockerfile."""
    return client.container.list(all=True, filters=[("label", f"{PROJECT_LABEL}={project}")])


def project_containers(client: DockerClient, project: str) -> list[Container]:
    """Containers the tasks started for ``project``, running or not."""
    return [c for c in labelled_containers(client, project) if started_by_tasks(c)]


def project_images(client: DockerClient, project: str) -> list[Image]:
    """Images built for ``project``, tagged or dangling, intermediate ones included."""
    return client.image.list(filters=[("label", f"{PROJECT_LABEL}={project}")], all=True)


# --- ports ------------------------------------------------------------------------------------


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now; a ToolError when the address is not this machine's."""
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


def port_frees(host: str, port: int, wait: float) -> bool:
    """Whether the port is free, or frees within ``wait`` s (the engine lets go of a removed
    container's port a moment after the removal returns)."""
    try:
        return wait_until(lambda: port_is_free(host, port), timeout=wait, interval=0.1)
    except WaitTimeout:
        return False


def port_in_use(host: str, port: int) -> ToolError:
    return ToolError(
        f"port {port} on {host} is already in use; "
        "stop what holds it, or pick another with --port N (--port 0 for any free port)"
    )


def bindings(container: Container) -> list[dict[str, str]]:
    """Where the service's port is published on the host (Docker's own JSON, as python-on-whales leaves it)."""
    return (container.network_settings.ports or {}).get(f"{CONTAINER_PORT}/tcp") or []


def publishes(container: Container, port: int) -> bool:
    return any(str(binding.get("HostPort")) == str(port) for binding in bindings(container))


def url(container: Container) -> str:
    """http://host:port of the service's published port."""
    container.reload()
    published = bindings(container)
    if not published:
        raise ToolError(f"container {container.name} publishes no port")
    host = published[0].get("HostIp") or "127.0.0.1"
    host = "127.0.0.1" if host == "0.0.0.0" else (f"[{host}]" if ":" in host else host)
    return f"http://{host}:{published[0]['HostPort']}"


# --- containers -------------------------------------------------------------------------------


def start_container(client: DockerClient, image: str, *, name: str, host: str, port: int, **run: Any) -> Container:
    """``docker run -d`` of ``image`` publishing the service's port on host:port (0: any free one),
    never pulling; ``run`` holds the other options (see run_flags). Whatever it fails on, or a
    Ctrl-C, leaves no container called ``name`` behind."""
    from python_on_whales.exceptions import DockerException

    address = f"[{host}]" if ":" in host else host
    flags = ["--detach", "--name", name, "--publish", f"{address}:{port or ''}:{CONTAINER_PORT}", "--pull", "never"]
    try:
        found = cli(client, "run", *flags, *run_flags(**run), image).strip()
        return client.container.inspect(found.splitlines()[-1])
    except (DockerException, KeyboardInterrupt) as error:
        # `docker run` may have created the container before it failed or was interrupted.
        leftover = find_container(client, name)
        if leftover is not None:
            leftover.remove(force=True)
        if isinstance(error, KeyboardInterrupt):
            raise
        reason = last_error_line(error)
        if "already allocated" in reason or "address already in use" in reason:
            raise port_in_use(host, port) from None
        raise ToolError(f"the container did not start: {reason}") from None


def run_flags(
    *,
    labels: dict[str, str] | None = None,
    envs: dict[str, str] | None = None,
    env_files: list[str] | None = None,
    volumes: list[tuple[str, str, str]] | None = None,
    restart: str = "",
    stop_timeout: int | None = None,
    read_only: bool = False,
    tmpfs: list[str] | None = None,
    cap_drop: list[str] | None = None,
    security_options: list[str] | None = None,
    cpus: float | None = None,
    healthcheck: bool = True,
    health: dict[str, str] | None = None,
) -> list[str]:
    """`docker run` flags for the options the tooling sets. Built here rather than by python-on-whales'
    run(), which has no flag for a health check's start interval (``health``: `--health-<key>`)."""
    flags = [f"--label={key}={value}" for key, value in (labels or {}).items()]
    flags += [f"--env={key}={value}" for key, value in (envs or {}).items()]
    flags += [f"--env-file={file}" for file in env_files or []]
    flags += [f"--volume={':'.join(volume)}" for volume in volumes or []]
    flags += [f"--tmpfs={path}" for path in tmpfs or []]
    flags += [f"--cap-drop={cap}" for cap in cap_drop or []]
    flags += [f"--security-opt={option}" for option in security_options or []]
    flags += [f"--health-{key}={value}" for key, value in (health or {}).items()]
    flags += [f"--restart={restart}"] if restart else []
    flags += [f"--stop-timeout={stop_timeout}"] if stop_timeout is not None else []
    flags += ["--read-only"] if read_only else []
    flags += [f"--cpus={cpus}"] if cpus is not None else []
    flags += [] if healthcheck else ["--no-healthcheck"]
    return flags


def container_report(container: Container, lines: int = 20) -> str:
    """The container's last log lines and its last health checks, to show beside a failure."""
    from python_on_whales.exceptions import DockerException

    try:
        logs = container.logs(tail=lines)
    except DockerException:  # removed meanwhile: nothing left to show
        logs = ""
    parts = [f"--- last {lines} log lines of {container.name} ---", logs.rstrip() or "(none)"]
    checks = (container.state.health.log or []) if container.state.health else []
    if checks:
        parts.append("--- health checks ---")
        parts.extend(f"exit {check.exit_code}: {(check.output or '').strip()}" for check in checks[-3:])
    return "\n".join(parts)

"""Engine primitives every verb shares: connect, find, ownership, labels, ports, start with clean-up.

Nothing here prints: it returns data or raises ToolError. python-on-whales (and the pydantic it
brings) is imported inside functions, so that ``inv --list`` and ``inv --help`` never pay for it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import time
from typing import TYPE_CHECKING, Any

from tooling.errors import ToolError
from tooling.settings import CONTAINER_PORT, PROJECT_LABEL, ROLE_LABEL

if TYPE_CHECKING:
    from python_on_whales import Container, DockerClient, Image
    from python_on_whales.exceptions import DockerException

# Lines the CLI adds to its errors that never say what went wrong.
_NOISE = ("DEPRECATED", "Install the buildx", "https://docs.docker.com/go/buildx")
_MISSING = "Error: No such object:"


class EngineUnavailable(ToolError):
    """No client, or no daemon answering it: ``part`` says which, ``problem`` and ``fix`` what."""

    def __init__(self, part: str, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; {fix}")
        self.part = part
        self.problem = problem
        self.fix = fix


def connect() -> DockerClient:
    """A client whose daemon answers, or an EngineUnavailable that says how to get one."""
    from python_on_whales import DockerClient
    from python_on_whales.exceptions import DockerException

    if shutil.which("docker") is None:
        raise EngineUnavailable(
            "client", "no docker client on PATH", "install Docker (https://docs.docker.com/get-docker/) and try again"
        )
    client = DockerClient()
    try:
        client.version()
    except DockerException as error:
        where = os.environ.get("DOCKER_HOST") or "the default socket"
        raise EngineUnavailable(
            "daemon",
            f"the Docker daemon at {where} does not answer ({last_error_line(error)})",
            "start Docker (Docker Desktop, or `sudo systemctl start docker`), or fix DOCKER_HOST",
        ) from None
    return client


def last_error_line(error: DockerException | str | None, limit: int = 240) -> str:
    """The most telling line of a docker error: its last non-empty line that is not a notice, shortened."""
    if isinstance(error, str) or error is None:
        text = error
    else:  # its str() is python-on-whales' summary, which never names the cause
        text = error.stderr or error.stdout or f"`{' '.join(error.docker_command)}` exited with {error.return_code}"
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(_NOISE)]
    line = lines[-1] if lines else "no error output"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def cli(client: DockerClient, *args: str) -> str:
    """What `docker ARGS...` prints, run by python-on-whales with the client's own settings
    (for what its API lacks: filters it does not pass, the daemon's raw JSON)."""
    from python_on_whales.utils import run

    return str(run([*client.docker_cmd, *args]) or "")


def ids(client: DockerClient, *args: str) -> list[str]:
    """The IDs a `docker ... ls -q` / `ps -q` prints."""
    return cli(client, *args).split()


def inspect(client: DockerClient, *found: str) -> list[dict[str, Any]]:
    """The daemon's own JSON for these objects; only the keys a caller reads matter, so a change
    elsewhere in the daemon's answer breaks nothing.

    An object gone since it was listed (a task Swarm pruned, a config just removed) is left out:
    what a listing followed by an inspect finds is what still exists."""
    from python_on_whales.exceptions import DockerException

    if not found:
        return []
    try:
        printed = cli(client, "inspect", *found)
    except DockerException as error:
        said = [line for line in (error.stderr or "").splitlines() if line.strip()]
        if not said or not all(line.startswith(_MISSING) for line in said):
            raise
        printed = error.stdout or "[]"  # the objects that do exist, as usual
    answer: list[dict[str, Any]] = json.loads(printed)
    return answer


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
    deadline = time.monotonic() + wait
    while not port_is_free(host, port):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


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
    never pulling. Whatever it fails on, or a Ctrl-C, leaves no container called ``name`` behind."""
    from python_on_whales.exceptions import DockerException

    address = f"[{host}]" if ":" in host else host
    try:
        return client.run(
            image, detach=True, name=name, publish=[(f"{address}:{port or ''}", CONTAINER_PORT)], pull="never", **run
        )
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

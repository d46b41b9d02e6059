"""A client of a Docker engine: connecting to one that answers, running the docker CLI with the
client's own settings, a command tried again while the engine refuses it for a passing reason,
and the daemon's raw JSON.

Nothing in engine/ prints: it returns data or raises ToolError. python-on-whales (and the pydantic
it brings) is imported inside functions, so that ``inv --list`` and ``inv --help`` never pay for it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from tooling.core.errors import ToolError, last_error_line

if TYPE_CHECKING:
    from python_on_whales import DockerClient
    from python_on_whales.exceptions import DockerException

T = TypeVar("T")

_MISSING = "Error: No such object:"


class EngineUnavailable(ToolError):
    """No client, or no daemon answering it: ``part`` says which, ``problem`` and ``fix`` what."""

    def __init__(self, part: str, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; {fix}")
        self.part = part
        self.problem = problem
        self.fix = fix


# How long an engine elsewhere may take to answer before it is called unreachable. The docker CLI
# gives SSH 30 s to connect (its `-o ConnectTimeout=30`); a TCP host that drops packets would
# otherwise hang for the kernel's own timeout, minutes.
REMOTE_TIMEOUT = 40.0


def connect(manager: str = "") -> DockerClient:
    """A client whose daemon answers, or an EngineUnavailable that says how to get one.

    ``manager`` empty: the engine the user's own docker CLI talks to (DOCKER_HOST, the current
    context, or the default socket). Else a Docker host URL (ssh://, tcp://, unix://) or the name of
    a Docker context, handed to the CLI as it is: its SSH transport runs the user's `ssh`, with the
    user's config and agent."""
    from python_on_whales import DockerClient

    if shutil.which("docker") is None:
        raise EngineUnavailable(
            "client", "no docker client on PATH", "install Docker (https://docs.docker.com/get-docker/) and try again"
        )
    if not manager:
        client = DockerClient()
        problem = _answers(client, timeout=None)
        if problem:
            where = os.environ.get("DOCKER_HOST") or "the default socket"
            raise EngineUnavailable(
                "daemon",
                f"the Docker daemon at {where} does not answer ({problem})",
                "start Docker (Docker Desktop, or `sudo systemctl start docker`), or fix DOCKER_HOST",
            )
        return client
    client = DockerClient(host=manager) if "://" in manager else DockerClient(context=manager)
    problem = _answers(client, timeout=REMOTE_TIMEOUT)
    if "context not found" in problem:  # the CLI goes on with the path of a file it did not find
        problem = f"context {manager!r} not found"
    if problem:
        raise EngineUnavailable("manager", f"the manager {manager} does not answer ({problem})", _fix(manager, problem))
    return client


def _answers(client: DockerClient, timeout: float | None) -> str:
    """ "" when the client's daemon answers `docker version`; else the line that says why not
    (``timeout``: given up on after that many seconds, the CLI and the ssh it started killed)."""
    from python_on_whales.exceptions import DockerException

    try:
        if timeout is None:
            client.version()
        else:
            run_bounded([*client.docker_cmd, "version", "--format", "{{.Server.Version}}"], timeout)
    except DockerException as error:
        # Over SSH the CLI wraps what ssh said in a long sentence of its own ("command [ssh ...]
        # has exited with exit status 255, make sure the URL is valid ...: stderr=<ssh's words>"):
        # ssh's words are the telling part.
        return last_error_line((error.stderr or "").rsplit("stderr=", 1)[-1] or error)
    except subprocess.TimeoutExpired:
        return f"no answer within {timeout:.0f}s"
    return ""


def run_bounded(args: list[str | Path], timeout: float) -> str:
    """What a docker command prints, given up on after ``timeout`` seconds: then it is killed with
    every process it started (the CLI's ssh waits on a host that never answers, past the CLI's own
    ConnectTimeout, and would outlive this process), and TimeoutExpired is raised. Ctrl-C kills
    them likewise. DockerException when the command fails, as python-on-whales raises it."""
    from python_on_whales.exceptions import DockerException

    words = [str(arg) for arg in args]  # the client's docker_cmd starts with a Path
    with subprocess.Popen(
        words, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    ) as process:
        try:
            out, err = process.communicate(timeout=timeout)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    if process.returncode:
        raise DockerException(words, process.returncode, out, err)
    return out.decode("utf-8", "replace")


def _fix(manager: str, problem: str) -> str:
    """The likeliest fix for a manager that does not answer, by what the CLI said."""
    address = urlsplit(manager)
    host = f"{address.username}@{address.hostname}" if address.username else str(address.hostname)
    ssh = f"ssh -p {address.port} {host}" if address.port else f"ssh {host}"
    lowered = problem.lower()
    if "://" not in manager:
        if "not found" in lowered or "does not exist" in lowered:
            return f"no Docker context is called {manager} (`docker context ls` lists them); fix docker.manager"
        return f"check the context's endpoint with `docker --context {manager} version`"
    if manager.startswith("ssh://"):
        if "permission denied" in lowered or "authentication" in lowered:
            return (
                f"ssh refused the login to {host}: add your key to the agent (`ssh-add`) or to the host's "
                f"authorized_keys, then check with `{ssh} docker version`"
            )
        if "host key" in lowered:
            return f"ssh does not trust {host}'s host key yet: connect once with `{ssh}` and accept it"
        if "command not found" in lowered:
            return f"{host} has no docker CLI for the SSH transport (`docker system dial-stdio`): install it there"
        return f"check the address, that the host is up and sshd runs there: `{ssh} docker version`"
    return f"check that an engine listens at {manager} and that this machine may reach it"


def cli(client: DockerClient, *args: str) -> str:
    """What `docker ARGS...` prints, run by python-on-whales with the client's own settings
    (for what its API lacks: filters it does not pass, the daemon's raw JSON)."""
    from python_on_whales.utils import run

    return str(run([*client.docker_cmd, *args]) or "")


def retried(
    call: Callable[[], T], pauses: Iterable[float], passing: Callable[[DockerException], bool] = lambda _: True
) -> T:
    """``call()``, tried again after each of ``pauses`` (seconds) while the engine refuses it for a
    reason that may pass (``passing``); a refusal that will not, or the one after the last pause, is
    raised as the DockerException it is, for the caller to word."""
    from python_on_whales.exceptions import DockerException

    for pause in pauses:
        try:
            return call()
        except DockerException as error:
            if not passing(error):
                raise
            time.sleep(pause)
    return call()


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


def api_version(client: DockerClient) -> tuple[int, int]:
    """The API version both ends of ``client`` speak: the engine's (e.g. (1, 45) for Engine 26), or
    less when the docker CLI is older than the engine (its own API version caps what it can ask)."""
    from tooling.models.health import api_version as parsed

    found = client.version()
    server = parsed(str(found.server.api_version if found.server else ""))
    cli = parsed(str(getattr(found.client, "api_version", "") or "")) if found.client else (0, 0)
    return min(server, cli) if cli != (0, 0) else server

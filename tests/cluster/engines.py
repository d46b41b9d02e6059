"""The primitives the rest of tests/cluster/ leans on: a docker command on the host's engine or on a
node's own, the wait for a node's engine, one error type. Waiting and the live line are the
tooling's own (tooling.core): one polling helper for the whole project."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Sequence

from tests.cluster.models import RUN_LABEL, Node
from tooling.core.waiting import Progress, WaitTimeout, wait_until

COMMAND_TIMEOUT = 120.0  # any one docker command
ENGINE_TIMEOUT = 60.0  # a node's engine answering after its container started


class ClusterError(Exception):
    """A cluster that could not be had or changed: one line saying what happened (and what to do),
    and the evidence, a log's tail say, in ``details``."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.message}\n{self.details}".strip()


class Missing(ClusterError):
    """Something this machine lacks that the cluster needs: what, and how to get it."""

    def __init__(self, what: str, how: str) -> None:
        super().__init__(f"the cluster needs {what}: {how}")


def docker(*args: str, input: bytes | None = None, timeout: float = COMMAND_TIMEOUT) -> str:
    """What `docker ARGS...` prints (the host's engine), or a ClusterError with its last error line.

    The command runs in a session of its own, out of reach of a Ctrl-C at the terminal: the docker
    CLI handles SIGINT itself, even where its parent ignores it, and would fail a teardown half-way.
    A Ctrl-C reaches this process instead, and subprocess.run kills the command as it unwinds."""
    command = ["docker", *args]
    try:
        done = subprocess.run(
            command, input=input, capture_output=True, timeout=timeout, check=False, start_new_session=True
        )
    except subprocess.TimeoutExpired:
        raise ClusterError(f"`docker {shlex.join(args)}` did not end within {timeout:.0f}s") from None
    if done.returncode != 0:
        raise ClusterError(f"`docker {shlex.join(args)}` failed: {last_line(done.stderr or done.stdout)}")
    return done.stdout.decode("utf-8", "replace").strip()


def on_node(node: Node, *args: str, timeout: float = COMMAND_TIMEOUT) -> str:
    """What `docker ARGS...` prints run inside ``node``, against its own engine (no ssh involved)."""
    return docker("exec", node.name, "docker", *args, timeout=timeout)


def last_line(output: bytes | str) -> str:
    """The line of a docker error that says what went wrong (its last, less the CLI's notices)."""
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    lines = [line.strip() for line in text.splitlines() if line.strip() and "DEPRECATED" not in line]
    return lines[-1] if lines else "no error output"


def ids(kind: str, run: str) -> list[str]:
    """Ids of the containers, networks, volumes or images (``kind``) carrying run ``run``'s label."""
    listing = ["ps", "-a"] if kind == "container" else [kind, "ls"]
    return docker(*listing, "--quiet", "--filter", f"label={RUN_LABEL}={run}").split()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def address(container: str, network: str) -> str:
    """The container's IP address on ``network``."""
    return docker("inspect", "--format", f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}', container)


def container_running(node: Node) -> bool:
    try:
        return docker("inspect", "--format", "{{.State.Running}}", node.name) == "true"
    except ClusterError:
        return False


def wait_for_engines(nodes: Sequence[Node], progress: Progress, timeout: float = ENGINE_TIMEOUT) -> None:
    """Until each node's engine answers; a ClusterError with that node's dockerd log tail otherwise."""
    waiting = list(nodes)

    def look() -> bool:
        for node in list(waiting):
            if _engine_answers(node):
                waiting.remove(node)
            elif not container_running(node):
                raise ClusterError(f"{node.hostname}'s container stopped before its engine answered", log_tail(node))
        return not waiting

    def tick(seconds: float) -> None:
        progress(f"cluster: {len(nodes) - len(waiting)}/{len(nodes)} engines answer ({seconds:.0f}s)", "engines")

    try:
        wait_until(look, timeout=timeout, interval=0.3, on_tick=tick)
    except WaitTimeout:
        node = waiting[0]
        raise ClusterError(f"{node.hostname}'s engine did not answer within {timeout:.0f}s", log_tail(node)) from None


def _engine_answers(node: Node) -> bool:
    try:
        on_node(node, "version", "--format", "{{.Server.Version}}", timeout=10)
        return True
    except ClusterError:
        return False


def log_tail(node: Node, lines: int = 30) -> str:
    """The last lines of the node container's log: its dockerd's (and its entrypoint's) own words."""
    command = ["docker", "logs", "--tail", str(lines), node.name]
    done = subprocess.run(command, capture_output=True, timeout=30, check=False, start_new_session=True)
    text = (done.stdout + done.stderr).decode("utf-8", "replace").rstrip()
    return f"last {lines} lines of {node.name}'s log (its dockerd):\n{text}"

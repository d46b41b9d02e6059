"""The run's registry: one name, 127.0.0.1:PORT, on the host and on every node.

It serves on 0.0.0.0:PORT on the host: the host's engine pushes to 127.0.0.1:PORT, and each node's
socat (tests/cluster/node/entrypoint.sh) forwards the node's own 127.0.0.1:PORT to the host through
its network's gateway. Every engine trusts a loopback registry over plain HTTP out of the box, so
no daemon.json or insecure-registry setting is needed anywhere. Debian's docker-registry binary
when it is on PATH (as .ci/registry.sh runs it), else the registry image as a container."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.cluster.engines import ClusterError, Missing, docker, on_node
from tests.cluster.models import Cluster, Run
from tests.shipping import free_port
from tooling.core.waiting import Progress, WaitTimeout, wait_until

IMAGE = "registry:2"  # where Debian's docker-registry is not on PATH
START_TRIES = 3  # a port found free can be taken before the registry binds it
_PROCESSES: dict[str, subprocess.Popen[bytes]] = {}  # the registry processes of this process's runs


def require(present_or_pulled: Callable[[str], bool]) -> None:
    """Raise Missing when this machine has no way to run a registry."""
    if shutil.which("docker-registry") is None and not present_or_pulled(IMAGE):
        raise Missing(
            "a way to run a registry",
            f"install Debian's docker-registry (apt-get install docker-registry), or let this engine pull {IMAGE}",
        )


def start(run: Run) -> int:
    """Start the run's registry and wait until it answers; its port."""
    return _start_process(run) if shutil.which("docker-registry") else _start_container(run)


def _start_process(run: Run) -> int:
    """Debian's docker-registry, from a config and storage in the run's folder."""
    folder, log = run.folder, run.folder / "registry.log"
    for _ in range(START_TRIES):
        port = free_port("0.0.0.0")
        config = folder / "registry.yml"
        config.write_text(
            "version: 0.1\nlog: {level: warn}\n"
            f"storage:\n  filesystem: {{rootdirectory: {folder / 'registry'}}}\n  delete: {{enabled: true}}\n"
            f"http: {{addr: '0.0.0.0:{port}'}}\n"
        )
        with log.open("wb") as out:
            # A session of its own: a Ctrl-C meant for the tests does not stop it; stop() does.
            process = subprocess.Popen(
                ["docker-registry", "serve", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _PROCESSES[run.id] = process
        (folder / "registry.pid").write_text(str(process.pid))  # for the reaper, should this run be killed
        if _answers(port, exited=process.poll):
            return port
        if process.poll() is None or "address already in use" not in log.read_text():
            break
        # Someone took the port between our look and its bind: another port.
    raise ClusterError("the run's registry did not answer", f"{log}:\n{log.read_text()[-2000:]}")


def _start_container(run: Run) -> int:
    """The registry image, published on 0.0.0.0:PORT: where no docker-registry binary is at hand."""
    name = f"{run.prefix}-registry"
    for _ in range(START_TRIES):
        port = free_port("0.0.0.0")
        try:
            docker("run", "--detach", "--name", name, *run.label_flags("registry"), f"--publish={port}:5000", IMAGE)
        except ClusterError as error:
            if "already allocated" not in error.message and "address already in use" not in error.message:
                raise
            docker("rm", "--force", "--volumes", name)
            continue
        if _answers(port):
            return port
        break
    raise ClusterError(f"the run's registry ({IMAGE}) did not answer", docker("logs", "--tail", "20", name))


def _answers(port: int, exited: Callable[[], int | None] = lambda: None, timeout: float = 15) -> bool:
    """Whether the registry on ``port`` answers within ``timeout`` s (giving up early once it ``exited``)."""

    def look() -> bool | None:
        if exited() is not None:
            return True  # stop looking: the caller sees why
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            return None

    try:
        wait_until(look, timeout=timeout, interval=0.1)
    except WaitTimeout:
        return False
    return exited() is None


def check(cluster: Cluster, image: str, progress: Progress) -> None:
    """Push ``image`` from the host as the cluster's busybox, then pull it on every node by that name."""
    progress(f"cluster: checking the registry {cluster.registry} from the host and every node", "registry")
    docker("tag", image, cluster.busybox)
    try:
        docker("push", "--quiet", cluster.busybox)
    finally:
        docker("image", "rm", cluster.busybox)  # the tag only: the image stays under its own
    with ThreadPoolExecutor(max_workers=len(cluster.nodes)) as pool:
        list(pool.map(lambda node: on_node(node, "pull", "--quiet", cluster.busybox), cluster.nodes))


def stop(run: str) -> None:
    """Stop run ``run``'s registry process: this process's own child, or else the pid the run's folder
    recorded, when that pid is still a registry serving from that folder (not a pid reused since).
    (A registry container goes with the run's other labelled containers.)"""
    process = _PROCESSES.pop(run, None)
    if process is not None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return
    folder = Run(run).folder
    pid_file = folder / "registry.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    if not _serves_from(pid, folder):
        return
    _signal(pid, signal.SIGTERM)
    with contextlib.suppress(WaitTimeout):
        wait_until(lambda: not _serves_from(pid, folder), timeout=10, interval=0.05)
    if _serves_from(pid, folder):
        _signal(pid, signal.SIGKILL)


def _signal(pid: int, number: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


def _serves_from(pid: int, folder: Path) -> bool:
    try:
        return str(folder).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False

"""A Docker Swarm of containers on this machine, for the cluster session (`nox -s cluster`): bring it
up, tear it down, and reap what a killed run left.

Each node is a container of tests/cluster/node/ running Debian trixie's Docker Engine (26.x) and
sshd, on a bridge network of the run's own, each publishing its sshd and its edge port on the host's
127.0.0.1. The host reaches every node's engine through the Docker CLI's SSH transport: a wrapper
named `ssh`, first on PATH, hands ssh the run's own config and key (the user's ~/.ssh is never read
or written). The registry (registry.py) answers as 127.0.0.1:PORT on the host and on every node.

Everything a run creates carries its labels (run, pid, host) or a name made of its run id, so that
`tear_down(run)` finds all of it however far the run got, and `reap_dead_runs()` what a killed run
left. Library code: it returns data or raises ClusterError; progress goes through a callback.

    with nodes.running() as cluster:          # or, in a fixture: nodes.start(run) ... cleanup.tear_down(run.id)
        subprocess.run(["docker", "node", "ls"], env=cluster.env_with_docker_host("node1"))
        swarm.kill(cluster, cluster.node("node3"))
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.cluster import images, registry, swarm
from tests.cluster.cleanup import held_interrupts, tear_down
from tests.cluster.engines import (
    ClusterError,
    Missing,
    address,
    docker,
    last_line,
    wait_for_engines,
)
from tests.cluster.models import EDGE_PORT, NODES, Cluster, Node, Run
from tests.shipping import free_port
from tooling.core.terminal import LiveLine
from tooling.core.waiting import Progress

# What works here instead of --privileged, which fails without CAP_SYS_RESOURCE (ENVIRONMENT.md).
NODE_FLAGS = [
    "--cap-add=ALL",
    "--cap-drop=SYS_RESOURCE",
    "--security-opt=seccomp=unconfined",
    "--security-opt=apparmor=unconfined",
    "--security-opt=systempaths=unconfined",
    "--tmpfs=/run",
    "--volume=/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--init",  # docker-init as PID 1 reaps what sshd and socat leave behind; dockerd runs under it
]
PORT_TRIES = 3  # a port found free can be taken before Docker binds it
SSH_HINT = "install OpenSSH's client (Debian: apt-get install openssh-client)"


def check_prerequisites(base: str | None = None) -> None:
    """Raise Missing, saying how to get it, when this machine lacks something the cluster needs."""
    if shutil.which("docker") is None:
        raise Missing("the docker CLI", "install Docker (https://docs.docker.com/get-docker/)")
    try:
        docker("version", "--format", "{{.Server.Version}}", timeout=20)
    except ClusterError as error:
        raise Missing("a Docker engine", f"start one, or fix DOCKER_HOST ({error.message})") from None
    for program in ("ssh", "ssh-keygen"):
        if shutil.which(program) is None:
            raise Missing(program, SSH_HINT)
    base = base or images.base_image()
    if not images.present_or_pulled(base):
        raise Missing(
            f"a Debian trixie image ({base})",
            f"pull it, or set {images.BASE_IMAGE_VARIABLE} to one this engine has (CI: .ci/trixie-image.sh makes one)",
        )
    registry.require(images.present_or_pulled)


@contextlib.contextmanager
def running(
    count: int = NODES, *, base: str | None = None, edge_port: int = EDGE_PORT, heartbeat: str | None = None
) -> Iterator[Cluster]:
    """A cluster for the length of a with block, torn down whatever happens (the options: see start)."""
    run = Run.new()
    try:
        yield start(run, count, base=base, edge_port=edge_port, heartbeat=heartbeat)
    finally:
        tear_down(run.id)


def start(
    run: Run,
    count: int = NODES,
    *,
    base: str | None = None,
    edge_port: int = EDGE_PORT,
    heartbeat: str | None = None,
    progress: Progress | None = None,
) -> Cluster:
    """Bring up ``count`` nodes as one swarm of managers, a registry they share with the host, and the
    host's ssh access to each. The caller tears down with ``tear_down(run.id)`` whatever this raises.

    ``base``: the node image's base (default: $CLUSTER_NODE_BASE_IMAGE, else debian:trixie);
    ``edge_port``: the port in each node published on the host's 127.0.0.1; ``heartbeat``: Swarm's
    dispatcher heartbeat (default 5s; a dead node is Down after about three)."""
    live = LiveLine()
    line = progress or live
    started = time.monotonic()
    node_image = images.node_image(base, line)
    busybox = images.busybox_image(node_image)
    run.folder.mkdir(mode=0o700)
    key = _ssh_key(run.folder)
    docker("network", "create", *run.label_flags("network"), run.prefix)
    gateway = docker("network", "inspect", "--format", "{{(index .IPAM.Config 0).Gateway}}", run.prefix)
    registry_port = registry.start(run)
    environment = {
        "SSH_AUTHORIZED_KEY": key.with_suffix(".pub").read_text().strip(),
        "REGISTRY_PORT": str(registry_port),
        "REGISTRY_GATEWAY": gateway,
    }
    pool = ThreadPoolExecutor(max_workers=count)
    try:
        nodes = tuple(
            pool.map(lambda index: _start_node(run, index, node_image, environment, edge_port), range(1, count + 1))
        )
    finally:
        with held_interrupts():  # a node still starting after the teardown would be left behind
            pool.shutdown(wait=True, cancel_futures=True)
    wait_for_engines(nodes, line)
    ssh_config, wrappers = _ssh_setup(run.folder, key, nodes)
    env = {
        **os.environ,
        "PATH": f"{wrappers}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "INVOKE_DOCKER_MANAGER": nodes[0].url,
    }
    address = f"127.0.0.1:{registry_port}"
    cluster = Cluster(run.id, nodes, run.prefix, address, f"{address}/busybox:latest", ssh_config, env)
    _check_ssh(cluster, line)
    registry.check(cluster, busybox, line)
    swarm.form(cluster, line, heartbeat)
    if progress is None:
        live.done(f"cluster: {count} managers up in {time.monotonic() - started:.1f}s, registry {address}")
    return cluster


def _ssh_key(folder: Path) -> Path:
    key = folder / "id_ed25519"
    command = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", folder.name, "-f", str(key)]
    subprocess.run(command, check=True, capture_output=True, timeout=30)
    return key


def _start_node(run: Run, index: int, image: str, environment: dict[str, str], edge_port: int) -> Node:
    """One node's container, its engine's storage on a volume of its own, its sshd and edge port
    published on free ports of the host's 127.0.0.1 (kept across a restart, unlike Docker's pick)."""
    name, hostname = run.node_name(index), f"node{index}"
    volume = docker("volume", "create", *run.label_flags("node-storage"), f"{name}-docker")
    env = [f"--env={key}={value}" for key, value in {**environment, "NODE_NAME": name}.items()]
    for attempt in range(1, PORT_TRIES + 1):
        ssh_port, published_edge = free_port("127.0.0.1"), free_port("127.0.0.1")
        try:
            docker(
                "run", "--detach", "--name", name, "--hostname", hostname, "--network", run.prefix,
                *run.label_flags("node"), *NODE_FLAGS, *env, f"--volume={volume}:/var/lib/docker",
                f"--publish=127.0.0.1:{ssh_port}:22", f"--publish=127.0.0.1:{published_edge}:{edge_port}",
                image,
            )  # fmt: skip
            break
        except ClusterError as error:
            taken = any(s in error.message for s in ("already allocated", "address already in use"))
            if attempt == PORT_TRIES or not taken:
                raise
            docker("rm", "--force", name)  # created, not started: it goes, and new ports are tried
    return Node(name, hostname, address(name, run.prefix), hostname, ssh_port, published_edge)


def _ssh_setup(folder: Path, key: Path, nodes: tuple[Node, ...]) -> tuple[Path, Path]:
    """The run's ssh config (an alias per node) and a folder holding the `ssh` wrapper that reads it."""
    config = folder / "ssh_config"
    config.write_text(
        "".join(
            f"Host {node.ssh_alias}\n  HostName 127.0.0.1\n  Port {node.ssh_port}\n  User root\n"
            f"  IdentityFile {key}\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n"
            "  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  ConnectTimeout 5\n"
            for node in nodes
        )
    )
    real = shutil.which("ssh")
    if real is None:
        raise Missing("ssh", SSH_HINT)
    wrappers = folder / "bin"
    wrappers.mkdir()
    wrapper = wrappers / "ssh"
    # The docker CLI runs `ssh` from PATH, which reads ~/.ssh/config of the user in the password
    # database, whatever HOME says: only -F gives ssh a config of the run's own.
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(real)} -F {shlex.quote(str(config))} "$@"\n')
    wrapper.chmod(0o755)
    return config, wrappers


def _check_ssh(cluster: Cluster, progress: Progress) -> None:
    """Each node's engine answers `docker -H ssh://<alias>`, the way the tests and the tasks reach it."""
    progress("cluster: reaching each engine over ssh", "ssh")

    def name_over_ssh(node: Node) -> str:
        command = ["docker", "--host", node.url, "info", "--format", "{{.Name}}"]
        done = subprocess.run(command, env=dict(cluster.env), capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            problem = f"{node.hostname}'s engine does not answer over ssh ({last_line(done.stderr)})"
            raise ClusterError(problem, f"ssh config: {cluster.ssh_config}")
        return done.stdout.strip()

    with ThreadPoolExecutor(max_workers=len(cluster.nodes)) as pool:
        for node, name in zip(cluster.nodes, pool.map(name_over_ssh, cluster.nodes), strict=True):
            if name != node.hostname:
                raise ClusterError(f"ssh://{node.ssh_alias} reached the engine of {name!r}, not {node.hostname}'s")

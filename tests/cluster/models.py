"""What the cluster is, as data: the run's names and labels, its nodes, the cluster a test holds,
and a line of `docker node ls`. Nothing here talks to Docker."""

from __future__ import annotations

import os
import re
import socket
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "flask-service-cluster"  # of every name a run gives: containers, network, volumes, folder, cgroups
LABEL = "dev.flask-service.cluster"
RUN_LABEL, PID_LABEL, HOST_LABEL, ROLE_LABEL = (f"{LABEL}.{key}" for key in ("run", "pid", "host", "role"))
RUN_ID = re.compile(r"(?P<pid>\d+)-[0-9a-f]{6}")
NODES = 3
EDGE_PORT = 8080  # the port in each node published on the host: the stack's edge port (docker.stack_port)


@dataclass(frozen=True)
class Run:
    """The names and labels one run gives what it creates: enough to find all of it again, from the
    run's id alone, after the run was interrupted or killed."""

    id: str
    host: str = field(default_factory=socket.gethostname)

    @classmethod
    def new(cls) -> Run:
        return cls(f"{os.getpid()}-{uuid.uuid4().hex[:6]}")

    @property
    def pid(self) -> int:
        return int(self.id.split("-", 1)[0])

    @property
    def prefix(self) -> str:
        return f"{PREFIX}-{self.id}"

    @property
    def folder(self) -> Path:
        """Key pair, ssh config and wrapper, the registry's config, storage, log and pid (mode 0700)."""
        return Path(tempfile.gettempdir()) / self.prefix

    @property
    def labels(self) -> dict[str, str]:
        return {RUN_LABEL: self.id, PID_LABEL: str(self.pid), HOST_LABEL: self.host}

    def label_flags(self, role: str) -> list[str]:
        return [f"--label={key}={value}" for key, value in {**self.labels, ROLE_LABEL: role}.items()]

    def node_name(self, index: int) -> str:
        return f"{self.prefix}-node{index}"


@dataclass(frozen=True)
class Node:
    """One node: a container on the host's engine, a Swarm node, and how the host reaches it."""

    name: str  # the container's name on the host's engine (and its inner engine's cgroup parent)
    hostname: str  # its Swarm hostname (`docker node ls`): node1, node2...
    ip: str  # on the cluster's network
    ssh_alias: str  # in the run's ssh config: `docker -H ssh://<alias>`
    ssh_port: int  # 127.0.0.1:ssh_port on the host is the node's sshd
    edge_port: int  # 127.0.0.1:edge_port on the host is the node's EDGE_PORT

    @property
    def url(self) -> str:
        """Its engine, for DOCKER_HOST or `docker -H` (from a process with the cluster's env)."""
        return f"ssh://{self.ssh_alias}"

    @property
    def edge_url(self) -> str:
        return f"http://127.0.0.1:{self.edge_port}"


@dataclass(frozen=True)
class Cluster:
    """A running cluster: its nodes (all managers at the start), its registry and its ssh setup."""

    run: str
    nodes: tuple[Node, ...]
    network: str
    registry: str  # 127.0.0.1:PORT, the same name on the host and on every node
    busybox: str  # a 2 MB image in the registry, already pulled on every node (sh, httpd, wget, nslookup)
    ssh_config: Path
    # What a subprocess needs to reach the cluster: the `ssh` wrapper first on PATH, and the manager
    # setting the tasks will read. Today's tasks read DOCKER_HOST instead: see env_with_docker_host.
    env: Mapping[str, str] = field(repr=False)

    def node(self, name: str) -> Node:
        """A node by its Swarm hostname, ssh alias or container name."""
        for node in self.nodes:
            if name in (node.hostname, node.ssh_alias, node.name):
                return node
        raise KeyError(f"no node {name!r} in this cluster ({', '.join(n.hostname for n in self.nodes)})")

    @property
    def manager(self) -> Node:
        """The node the swarm was initialised on (a manager unless a scenario changed that)."""
        return self.nodes[0]

    def env_with_docker_host(self, node: str | None = None) -> dict[str, str]:
        """The env of a process whose docker CLI talks to ``node``'s engine (the first one's by default)."""
        return {**self.env, "DOCKER_HOST": (self.node(node) if node else self.manager).url}


@dataclass(frozen=True)
class SwarmNode:
    """A line of `docker node ls`."""

    hostname: str
    status: str  # Ready, Down, Unknown
    availability: str  # Active, Pause, Drain
    manager: str  # Leader, Reachable, Unreachable; empty for a worker

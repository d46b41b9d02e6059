"""The nodes as one swarm: forming it, what its managers see, and the faults a scenario causes, each
waiting until Swarm itself shows the change (not merely until the command returned).

Swarm's commands run inside a node against its own engine (`docker exec NODE docker ...`), through a
surviving manager when the node concerned is the one being hurt; the tests reach the nodes over SSH
as a user would."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Callable

from tests.cluster.engines import ClusterError, address, container_running, docker, on_node, wait_for_engines
from tests.cluster.models import Cluster, Node, SwarmNode
from tooling.core.terminal import LiveLine
from tooling.core.waiting import Progress, WaitTimeout, wait_until

TIMEOUT = 90.0  # Swarm showing a change; a dead leader is Down after about 40 s with its default heartbeat
ENDED_TASK_STATES = ("Shutdown", "Complete", "Failed", "Rejected", "Orphaned", "Remove")
CERTIFICATE = "/var/lib/docker/swarm/certificates/swarm-node.crt"


def form(cluster: Cluster, progress: Progress, heartbeat: str | None = None) -> None:
    """`swarm init` on the first node, every other node joins as a manager; until all are Ready and
    every manager is Reachable. ``heartbeat``: `--dispatcher-heartbeat` (Swarm's default: 5s)."""
    first, *others = cluster.nodes
    progress(f"cluster: swarm init on {first.hostname}", "swarm")
    beat = ["--dispatcher-heartbeat", heartbeat] if heartbeat else []
    on_node(first, "swarm", "init", "--advertise-addr", first.ip, *beat)
    token = _join_token(first)
    # One at a time: each join changes the managers' quorum, and Raft takes one change at a time.
    for node in others:
        progress(f"cluster: {node.hostname} joins as a manager", f"join {node.hostname}")
        on_node(node, "swarm", "join", "--token", token, "--advertise-addr", node.ip, f"{first.ip}:2377")
    _wait(
        cluster,
        "every node Ready and every manager Reachable",
        lambda seen: (
            len(seen) == len(cluster.nodes)
            and all(n.status == "Ready" and n.manager in ("Leader", "Reachable") for n in seen)
        ),
        progress=progress,
    )


def _join_token(manager: Node) -> str:
    """The manager join token; right after `swarm init` a busy machine may still answer "Manager is
    being prepared", so it is asked again for a while."""
    last = ""

    def token() -> str | None:
        nonlocal last
        try:
            return on_node(manager, "swarm", "join-token", "--quiet", "manager", timeout=30)
        except ClusterError as error:
            last = error.message
            return None

    try:
        return wait_until(token, timeout=30, interval=0.5)
    except WaitTimeout:
        raise ClusterError(f"{manager.hostname} gave no join token within 30s of swarm init ({last})") from None


def nodes(cluster: Cluster, via: Node | None = None) -> list[SwarmNode]:
    """`docker node ls` as a manager sees it: ``via``, or the first one that answers."""
    listed = on_node(via or manager(cluster), "node", "ls", "--format", "{{json .}}", timeout=30)
    return [
        SwarmNode(row["Hostname"], row["Status"], row["Availability"], row.get("ManagerStatus", ""))
        for row in map(json.loads, listed.splitlines())
    ]


def manager(cluster: Cluster, besides: Node | None = None) -> Node:
    """A node other than ``besides`` whose container runs and whose engine controls the swarm."""
    for node in cluster.nodes:
        if node == besides or not container_running(node):
            continue
        with contextlib.suppress(ClusterError):
            if on_node(node, "info", "--format", "{{.Swarm.ControlAvailable}}", timeout=15) == "true":
                return node
    raise ClusterError(f"no manager of the cluster answers{f' besides {besides.hostname}' if besides else ''}")


def certificate_role(node: Node) -> str | None:
    """The role the node's own Swarm certificate grants, "manager" or "worker" (its OU), or None.
    A role change is complete when the node holds its new certificate, not when `node ls` shows it."""
    try:
        pem = docker("exec", node.name, "cat", CERTIFICATE, timeout=15)
    except ClusterError:
        return None
    body = pem.split("-----BEGIN CERTIFICATE-----", 1)[-1].split("-----END CERTIFICATE-----", 1)[0]
    der = base64.b64decode("".join(body.split()))
    return next((role for role in ("manager", "worker") if f"swarm-{role}".encode() in der), None)


def _wait(
    cluster: Cluster,
    what: str,
    seen_enough: Callable[[list[SwarmNode]], bool],
    *,
    besides: Node | None = None,
    progress: Progress | None = None,
    timeout: float = TIMEOUT,
) -> list[SwarmNode]:
    """Until a surviving manager's `node ls` satisfies ``seen_enough``; that answer. A manager that
    cannot answer for a while (an election under way) is simply not there yet."""
    seen: list[SwarmNode] = []

    def look() -> list[SwarmNode] | None:
        nonlocal seen
        try:
            seen = nodes(cluster, manager(cluster, besides))
        except ClusterError:
            return None
        return seen if seen_enough(seen) else None

    def tick(seconds: float) -> None:
        if progress is not None:
            progress(f"cluster: waiting for {what} ({seconds:.0f}s)", what)

    try:
        return wait_until(look, timeout=timeout, interval=0.5, on_tick=tick)
    except WaitTimeout:
        shown = "\n".join(f"  {n.hostname}: {n.status}, {n.availability}, {n.manager or 'worker'}" for n in seen)
        raise ClusterError(f"Swarm did not show {what} within {timeout:.0f}s", f"last seen:\n{shown}") from None


def _row(seen: list[SwarmNode], node: Node) -> SwarmNode | None:
    return next((n for n in seen if n.hostname == node.hostname), None)


def kill(cluster: Cluster, node: Node, *, wait: bool = True) -> None:
    """The node dies abruptly: its container is killed, its engine with it. With ``wait``, until a
    surviving manager sees it Down (and Unreachable, if it was a manager): the moment Swarm starts
    rescheduling its tasks. Measured here: 12-15 s with Swarm's default heartbeat (5s), 40-46 s when it
    was the leader (a new leader first waits to hear from every node); 4 s and 26 s with heartbeat 1s."""
    docker("kill", node.name)
    if wait:

        def down(seen: list[SwarmNode]) -> bool:
            row = _row(seen, node)
            return row is not None and row.status == "Down" and row.manager in ("", "Unreachable")

        _wait(cluster, f"{node.hostname} Down", down, besides=node)


def revive(cluster: Cluster, node: Node) -> None:
    """Start a killed node's container again (same storage, ports and address), until its engine
    answers and Swarm sees it Ready (and Reachable, if it is a manager)."""
    docker("start", node.name)
    ip = address(node.name, cluster.network)
    if ip != node.ip:
        raise ClusterError(f"{node.hostname} came back at {ip}, not {node.ip}: Swarm's managers know the old address")
    wait_for_engines([node], LiveLine())

    def back(seen: list[SwarmNode]) -> bool:
        row = _row(seen, node)
        return row is not None and row.status == "Ready" and row.manager != "Unreachable"

    _wait(cluster, f"{node.hostname} Ready", back)


def drain(cluster: Cluster, node: Node) -> None:
    """Drain the node, through another manager; until no task is left running on it."""
    via = manager(cluster, besides=node)
    on_node(via, "node", "update", "--availability", "drain", node.hostname)

    def emptied() -> bool:
        states = on_node(via, "node", "ps", node.hostname, "--format", "{{.CurrentState}}", timeout=30)
        return all(state.startswith(ENDED_TASK_STATES) for state in states.splitlines())

    try:
        wait_until(emptied, timeout=TIMEOUT, interval=0.5)
    except WaitTimeout:
        raise ClusterError(f"tasks still run on {node.hostname} {TIMEOUT:.0f}s after it was drained") from None


def activate(cluster: Cluster, node: Node) -> None:
    """Make the node schedulable again (Swarm moves nothing back to it by itself)."""
    on_node(manager(cluster, besides=node), "node", "update", "--availability", "active", node.hostname)
    _wait(cluster, f"{node.hostname} Active", lambda seen: getattr(_row(seen, node), "availability", "") == "Active")


def demote(cluster: Cluster, node: Node) -> None:
    """Make the node a worker, through another manager; until Swarm lists it as one and the node holds
    a worker's certificate (a promotion sent before that waits for Swarm's next try, 30 s later)."""
    on_node(manager(cluster, besides=node), "node", "demote", node.hostname)
    _wait_for_role(cluster, node, "worker", besides=node)


def promote(cluster: Cluster, node: Node) -> None:
    """Make the node a manager; until Swarm lists it Reachable and it holds a manager's certificate."""
    on_node(manager(cluster, besides=node), "node", "promote", node.hostname)
    _wait_for_role(cluster, node, "manager")


def _wait_for_role(cluster: Cluster, node: Node, role: str, *, besides: Node | None = None) -> None:
    listed = ("",) if role == "worker" else ("Leader", "Reachable")
    _wait(
        cluster,
        f"{node.hostname} a {role}",
        lambda seen: getattr(_row(seen, node), "manager", None) in listed and certificate_role(node) == role,
        besides=besides,
    )

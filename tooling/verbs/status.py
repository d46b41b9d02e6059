"""`inv status`: this project's containers on the local engine and, when the stack is deployed on
the swarm docker.manager names, its replicas, each service's last update, and the nodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tooling.core.settings import ROLE_LABEL
from tooling.core.terminal import table
from tooling.engine.containers import project_containers, url
from tooling.models.release import short
from tooling.models.swarm import SERVICES

if TYPE_CHECKING:
    from python_on_whales import DockerClient

    from tooling.core.settings import Settings
    from tooling.engine.engines import Engines
    from tooling.engine.history import History
    from tooling.engine.swarm import Swarm

Rows = list[dict[str, str]]


def age(moment: datetime | str | None) -> str:
    """How long ago ``moment`` (a time, or the daemon's ISO text) was, in its largest whole unit: 45s, 3m, 2h, 1d."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is None:
        return "?"
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def container_rows(client: DockerClient, project: str) -> Rows:
    """Name, role, state, health, URL, image and age of each container the tasks started."""
    rows = []
    for container in project_containers(client, project):
        state = container.state
        rows.append(
            {
                "name": container.name,
                "role": (container.config.labels or {}).get(ROLE_LABEL, "?"),
                "state": state.status or "?",
                "health": (state.health.status if state.health else None) or "-",
                "url": url(container) if state.running else "-",
                "image": container.config.image or "?",
                "age": age(container.created),
            }
        )
    return rows


@dataclass
class StackStatus:
    replicas: Rows = field(default_factory=list)
    updates: list[str] = field(default_factory=list)
    nodes: Rows = field(default_factory=list)


# Swarm holds a task with a health check in "starting" until the check passes: running is healthy.
_HEALTH = {"running": "healthy", "starting": "starting"}


def stack_status(swarm: Swarm, history: History, stack: str) -> StackStatus | None:
    """The stack's replicas (service, node, state, health, image, revision, age), a line per service
    on its last update, and the swarm's nodes; None when no stack of that name is deployed there."""
    found = swarm.membership()
    if found.state != "active" or not found.manager or not swarm.deployed(stack):
        return None
    revisions = {r.release.digest: r.release.revision for r in history.releases(stack)}
    status = StackStatus()
    edges: dict[str, str] = {}
    for name in SERVICES:
        service = swarm.service(stack, name)
        if service is None:
            continue
        update = service.get("UpdateStatus") or {}
        said = (
            f"{update.get('State')} {age(update.get('CompletedAt') or update.get('StartedAt'))} ago"
            if update
            else "none yet"
        )
        message = f" ({update['Message']})" if update.get("Message") else ""
        status.updates.append(f"{stack}_{name}: last update {said}{message}")
        for task in swarm.tasks(f"{stack}_{name}", "desired-state=running"):
            node = swarm.hostname(task.node)
            if name == "edge":
                edges[task.node] = _HEALTH.get(task.state, task.state)
            status.replicas.append(
                {
                    "replica": f"{stack}_{name}.{task.slot or node}",
                    "node": node,
                    "state": task.state,
                    "health": _HEALTH.get(task.state, "-"),
                    "image": short(task.image),
                    "revision": revisions.get(task.image.rsplit("@", 1)[-1], "?")[:7] if name == "web" else "-",
                    "age": age(task.created),
                }
            )
    status.nodes = [
        {
            "node": node.hostname,
            "role": node.role_shown,
            "availability": node.availability,
            "state": node.state,
            "address": node.address,
            "engine": node.engine,
            "edge": edges.get(node.id, "none"),
        }
        for node in swarm.nodes()
    ]
    return status


def report(engines: Engines, settings: Settings) -> str:
    """What `inv status` prints: this machine's containers, then the stack as the manager sees it."""
    deployed = stack_status(engines.swarm, engines.history, settings.stack)
    return render(container_rows(engines.local, settings.project), settings.stack, deployed, engines.where)


def render(containers: Rows, stack: str, deployed: StackStatus | None, where: str) -> str:
    lines = [table(containers) if containers else "no container of this project exists; start one with `inv run`"]
    if deployed is not None:
        lines += ["", f"stack {stack} (swarm, through {where}):"]
        lines.append(table(deployed.replicas) if deployed.replicas else "no replica is running")
        lines += deployed.updates
        if deployed.nodes:
            lines += ["", "nodes:", table(deployed.nodes)]
    return "\n".join(lines)

"""`inv status`: this project's containers, one row each."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tooling import engine
from tooling.history import History
from tooling.settings import ROLE_LABEL
from tooling.stack import short
from tooling.swarm import SERVICES, Swarm

if TYPE_CHECKING:
    from python_on_whales import DockerClient


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


def container_rows(client: DockerClient, project: str) -> list[dict[str, str]]:
    """Name, role, state, health, URL, image and age of each container the tasks started."""
    rows = []
    for container in engine.project_containers(client, project):
        state = container.state
        rows.append(
            {
                "name": container.name,
                "role": (container.config.labels or {}).get(ROLE_LABEL, "?"),
                "state": state.status or "?",
                "health": (state.health.status if state.health else None) or "-",
                "url": engine.url(container) if state.running else "-",
                "image": container.config.image or "?",
                "age": age(container.created),
            }
        )
    return rows


def stack_rows(client: DockerClient, stack: str) -> tuple[list[dict[str, str]], list[str]] | None:
    """The stack's replicas (service, node, state, health, image, revision, age) and a line per
    service on its last update; None when this engine manages no swarm with that stack."""
    swarm = Swarm(client)
    state, manager = swarm.membership()
    if state != "active" or not manager or not swarm.deployed(stack):
        return None
    revisions = {r.release.digest: r.release.revision for r in History(client).releases(stack)}
    rows, updates = [], []
    for name in SERVICES:
        found = swarm.service(stack, name)
        if found is None:
            continue
        status = found.get("UpdateStatus") or {}
        said = (
            f"{status.get('State')} {age(status.get('CompletedAt') or status.get('StartedAt'))} ago"
            if status
            else "none yet"
        )
        updates.append(
            f"{stack}_{name}: last update {said}" + (f" ({status['Message']})" if status.get("Message") else "")
        )
        for task in swarm.tasks(f"{stack}_{name}", "desired-state=running"):
            rows.append(
                {
                    "replica": f"{stack}_{name}.{task.slot or swarm.hostname(task.node)}",
                    "node": swarm.hostname(task.node),
                    "state": task.state,
                    "health": {"running": "healthy", "starting": "starting"}.get(task.state, "-"),
                    "image": short(task.image),
                    "revision": revisions.get(task.image.rsplit("@", 1)[-1], "?")[:7] if name == "web" else "-",
                    "age": age(task.created),
                }
            )
    return rows, updates

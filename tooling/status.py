"""`inv status`: this project's containers, one row each."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tooling import engine
from tooling.settings import ROLE_LABEL

if TYPE_CHECKING:
    from python_on_whales import DockerClient


def age(moment: datetime | None) -> str:
    """How long ago ``moment`` was, in its largest whole unit: 45s, 3m, 2h, 1d."""
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

"""What the project has on the engine: listing it (status) and removing it (clean), by label."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tooling.docker import owned
from tooling.settings import PROJECT_LABEL, ROLE_LABEL

if TYPE_CHECKING:
    from python_on_whales import Container, DockerClient, Image


def labelled_containers(client: DockerClient, project: str) -> list[Container]:
    """Every container with ``project``'s label: the ones the tasks started, and the classic
    builder's step containers, which inherit the label from the Dockerfile."""
    return client.container.list(all=True, filters=[("label", f"{PROJECT_LABEL}={project}")])


def containers(client: DockerClient, project: str) -> list[Container]:
    """Containers the tasks started for ``project``, running or not."""
    return [c for c in labelled_containers(client, project) if owned(c)]


def images(client: DockerClient, project: str) -> list[Image]:
    """Images built for ``project``, tagged or dangling, intermediate ones included."""
    return client.image.list(filters=[("label", f"{PROJECT_LABEL}={project}")], all=True)


def age(moment: datetime | None) -> str:
    if moment is None:
        return "?"
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def status_rows(client: DockerClient, project: str) -> list[dict[str, str]]:
    from tooling.service import url

    rows = []
    for container in containers(client, project):
        state = container.state
        health = state.health.status if state.health else "-"
        rows.append(
            {
                "name": container.name,
                "role": (container.config.labels or {}).get(ROLE_LABEL, "?"),
                "state": state.status or "?",
                "health": health or "-",
                "url": url(container) if state.running else "-",
                "image": container.config.image or "?",
                "age": age(container.created),
            }
        )
    return rows


@dataclass
class Cleaned:
    containers: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    freed: int = 0


def clean(client: DockerClient, project: str) -> Cleaned:
    """Remove the project's containers, then its images; nothing else. Safe to run again."""
    from python_on_whales.exceptions import DockerException

    report = Cleaned()
    before = _image_bytes(client)
    for container in containers(client, project):
        container.remove(force=True, volumes=True)
        report.containers.append(container.name)
    # Tagged images first, then whatever of the project is left untagged (dangling builds and the
    # builder stage's cache). Removing an image also removes its untagged parents.
    for image in sorted(images(client, project), key=lambda i: not i.repo_tags):
        try:
            names = image.repo_tags or [image.id[7:19]]
            client.image.remove(image.id, force=True)
        except DockerException:
            continue  # already gone with a child removed before it
        report.images.extend(names)
    report.freed = max(before - _image_bytes(client), 0)
    return report


def _image_bytes(client: DockerClient) -> int:
    """Bytes the engine's images take on disk, shared layers counted once."""
    return int(client.system.disk_free().images.size or 0)

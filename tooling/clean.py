"""`inv clean`: remove what this project created, found by its label, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tooling import engine

if TYPE_CHECKING:
    from python_on_whales import DockerClient


@dataclass
class Cleaned:
    containers: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    freed: int = 0


def clean_project(client: DockerClient, project: str) -> Cleaned:
    """Remove the project's containers, then its images; nothing else. Safe to run again."""
    from python_on_whales.exceptions import DockerException

    report = Cleaned()
    before = _image_bytes(client)
    for container in engine.project_containers(client, project):
        container.remove(force=True, volumes=True)
        report.containers.append(container.name)
    # Tagged images first, then whatever of the project is left untagged (dangling builds and the
    # builder stage's cache). Removing an image also removes its untagged parents.
    for image in sorted(engine.project_images(client, project), key=lambda i: not i.repo_tags):
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

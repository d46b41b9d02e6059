"""`inv clean`: remove what this project created, found by its label, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tooling import engine
from tooling.settings import STACK_LABEL

if TYPE_CHECKING:
    from python_on_whales import DockerClient


@dataclass
class Cleaned:
    containers: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    freed: int = 0
    stacks: dict[str, int] = field(default_factory=dict)  # stack -> its containers, left alone

    def lines(self, *, build_cache: bool = False) -> list[str]:
        """What was removed and what was left alone, a line each, for `inv clean` to show."""
        said = [f"removed container {name}" for name in self.containers]
        said += [f"removed image {name}" for name in self.images]
        said += [
            f"left the deployed stack {stack} alone: {count} container(s) and their images (`inv undeploy` removes it)"
            for stack, count in self.stacks.items()
        ]
        if build_cache:
            said.append(
                "build cache: the classic builder's layers went with the images; "
                "buildx keeps one cache shared by every project, so clear it yourself with `docker buildx prune`"
            )
        if self.containers or self.images:
            said.append(f"freed {self.freed / 1e6:.0f} MB")
        else:
            said.append("nothing to clean: no container or image of this project")
        return said


def clean_project(client: DockerClient, project: str) -> Cleaned:
    """Remove the project's containers, then its images; nothing else. Safe to run again."""
    from python_on_whales.exceptions import DockerException

    report = Cleaned()
    before = _image_bytes(client)
    for container in engine.project_containers(client, project):
        container.remove(force=True, volumes=True)
        report.containers.append(container.name)
    # A deployed stack's replicas carry the project label (from the image) but belong to Swarm:
    # they and the images they run stay, until `inv undeploy`.
    in_use = set()
    for container in engine.labelled_containers(client, project):
        stack = (container.config.labels or {}).get(STACK_LABEL)
        if stack:
            report.stacks[stack] = report.stacks.get(stack, 0) + 1
            in_use.add(container.image)
    # Tagged images first, then whatever of the project is left untagged (dangling builds and the
    # builder stage's cache). Removing an image also removes its untagged parents.
    for image in sorted(engine.project_images(client, project), key=lambda i: not i.repo_tags):
        if image.id in in_use:
            continue
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

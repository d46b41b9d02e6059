"""`inv clean`: remove what this project created, found by its label, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tooling.core.errors import last_error_line
from tooling.core.settings import STACK_LABEL
from tooling.engine.containers import labelled_containers, project_containers, project_images

if TYPE_CHECKING:
    from python_on_whales import DockerClient, Image
    from python_on_whales.exceptions import DockerException


@dataclass
class Cleaned:
    containers: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    freed: int = 0
    stacks: dict[str, int] = field(default_factory=dict)  # stack -> its containers, left alone
    failed: list[str] = field(default_factory=list)  # what could not be removed, and why

    def lines(self, *, build_cache: bool = False) -> list[str]:
        """What was removed and what was left alone, a line each, for `inv clean` to show."""
        said = [f"removed container {name}" for name in self.containers]
        said += [f"removed image {name}" for name in self.images]
        said += [f"could not remove {what}" for what in self.failed]
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
        elif not self.failed:
            said.append("nothing to clean: no container or image of this project")
        return said


def clean_project(client: DockerClient, project: str) -> Cleaned:
    """Remove the project's containers, then its images; nothing else. Safe to run again."""
    from python_on_whales.exceptions import DockerException

    report = Cleaned()
    before = _image_bytes(client)
    for container in project_containers(client, project):
        try:
            container.remove(force=True, volumes=True)
        except DockerException as error:
            if not _gone(error):
                report.failed.append(f"container {container.name}: {last_error_line(error)}")
            continue
        report.containers.append(container.name)
    # A deployed stack's replicas carry the project label (from the image) but belong to Swarm:
    # they and the images they run stay, until `inv undeploy`.
    in_use = set()
    for container in labelled_containers(client, project):
        stack = (container.config.labels or {}).get(STACK_LABEL)
        if stack:
            report.stacks[stack] = report.stacks.get(stack, 0) + 1
            in_use.add(container.image)
    # Tagged images first, then whatever of the project is left untagged (dangling builds and the
    # builder stage's cache). Removing an image also removes its untagged parents; a parent tried
    # before its child refuses ("dependent child images"), so what refused is tried again, while
    # each pass removes something.
    pending = [i for i in sorted(project_images(client, project), key=lambda i: not i.repo_tags) if i.id not in in_use]
    while pending:
        refused: dict[str, tuple[Image, str]] = {}
        for image in pending:
            names = [image.id[7:19]]
            try:  # reading repo_tags asks the engine again: an image gone meanwhile fails there too
                names = image.repo_tags or names
                client.image.remove(image.id, force=True)
            except DockerException as error:
                if not _gone(error):  # gone already: removed with a child removed before it
                    refused[", ".join(names)] = (image, last_error_line(error))
                continue
            report.images.extend(names)
        if len(refused) == len(pending):  # no progress: what refused stays refused
            report.failed += [f"image {names}: {why}" for names, (_, why) in refused.items()]
            break
        pending = [image for image, _ in refused.values()]
    report.freed = max(before - _image_bytes(client), 0)
    return report


def _gone(error: DockerException) -> bool:
    return "no such" in last_error_line(error).lower()


def _image_bytes(client: DockerClient) -> int:
    """Bytes the engine's images take on disk, shared layers counted once."""
    return int(client.system.disk_free().images.size or 0)

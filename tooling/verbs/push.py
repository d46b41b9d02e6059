"""`inv push`: the built image to the registry, tagged with the git revision, and the edge with it
when the registry does not hold the edge of this checkout yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from tooling.core.errors import ToolError
from tooling.core.settings import EDGE_CONTEXT, REVISION_LABEL, Settings
from tooling.engine import git, registry
from tooling.engine.build import build_context

if TYPE_CHECKING:
    from python_on_whales import DockerClient


@dataclass(frozen=True)
class Pushed:
    web: str  # repository@sha256:... of the app
    tags: list[str]
    edge: str  # repository@sha256:... of the edge
    edge_built: bool  # False: the registry held it already

    def summary(self) -> str:
        """What `inv push` says; its last line is the app's digest, for scripts to take."""
        edge = "built and pushed" if self.edge_built else "already in the registry"
        return f"pushed {', '.join(self.tags)}\nedge {self.edge} ({edge})\n{self.web}"


def require_registry(settings: Settings) -> str:
    if not settings.registry:
        raise ToolError(
            "no registry is set; set docker.registry (invoke.yaml or INVOKE_DOCKER_REGISTRY), "
            "e.g. 127.0.0.1:5001/team or ghcr.io/your-org"
        )
    return settings.registry


def push_release(client: DockerClient, settings: Settings, *, allow_dirty: bool, out: TextIO) -> Pushed:
    """Push the image built from HEAD (refusing a dirty tree unless ``allow_dirty``), then the edge."""
    require_registry(settings)
    head = git.head()
    if not head:
        raise ToolError("this is not a git checkout: an image is pushed under the commit it was built from")
    dirty = git.dirty()
    if dirty and not allow_dirty:
        raise ToolError("the working tree has uncommitted changes; commit them, or push anyway with --allow-dirty")
    if not client.image.exists(settings.reference):
        raise ToolError(f"image {settings.reference} is not built yet; run `inv build` first")
    built_from = (client.image.inspect(settings.reference).config.labels or {}).get(REVISION_LABEL, "unknown")
    expected = {head, f"{head}-dirty"} if allow_dirty else {head}
    suffix = "-dirty" if built_from.endswith("-dirty") else ""
    if built_from not in expected:
        raise ToolError(
            f"{settings.reference} was built from {built_from[:7]}{suffix}, not from HEAD ({head[:7]}); "
            "run `inv build`, then push again"
        )
    tags = [registry.app_reference(settings, head[:7] + suffix), registry.app_reference(settings, settings.tag)]
    web = ""
    for tag in tags:
        client.image.tag(settings.reference, tag)
        web = registry.push(client, tag)

    edge_ref = registry.edge_reference(settings)
    edge = registry.digest_of(client, edge_ref)
    if edge is not None:
        return Pushed(web=web, tags=tags, edge=edge, edge_built=False)
    args = {"PROJECT": settings.project}
    if settings.edge_base_image:
        args["NGINX_IMAGE"] = settings.edge_base_image
    build_context(client, EDGE_CONTEXT, project=settings.project, tags=[edge_ref], build_args=args, out=out)
    return Pushed(web=web, tags=tags, edge=registry.push(client, edge_ref), edge_built=True)

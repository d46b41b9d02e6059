"""`inv push`: the built image to the registry, tagged with the git revision, and the stack's other
images (the edge, the monitor) with it, each built and pushed when the registry does not hold the
one of this checkout yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from tooling.core.errors import ToolError
from tooling.core.settings import PARTS, REVISION_LABEL, Settings
from tooling.engine import git, registry
from tooling.engine.build import build_context

if TYPE_CHECKING:
    from python_on_whales import DockerClient


@dataclass(frozen=True)
class Part:
    name: str  # edge, monitor
    digest: str  # repository@sha256:...
    built: bool  # False: the registry held it already


@dataclass(frozen=True)
class Pushed:
    web: str  # repository@sha256:... of the app
    tags: list[str]
    parts: list[Part]

    def summary(self) -> str:
        """What `inv push` says; its last line is the app's digest, for scripts to take."""
        said = [
            f"{p.name} {p.digest} ({'built and pushed' if p.built else 'already in the registry'})" for p in self.parts
        ]
        return "\n".join([f"pushed {', '.join(self.tags)}", *said, self.web])


def require_registry(settings: Settings) -> str:
    if not settings.registry:
        raise ToolError(
            "no registry is set; set docker.registry (invoke.yaml or INVOKE_DOCKER_REGISTRY), "
            "e.g. 127.0.0.1:5001/team or ghcr.io/your-org"
        )
    return settings.registry


def push_release(client: DockerClient, settings: Settings, *, allow_dirty: bool, out: TextIO) -> Pushed:
    """Push the image built from HEAD (refusing a dirty tree unless ``allow_dirty``), then the stack's other images."""
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

    return Pushed(web=web, tags=tags, parts=[_part(client, settings, name, out) for name in PARTS])


def _part(client: DockerClient, settings: Settings, name: str, out: TextIO) -> Part:
    """The stack's image ``name`` of this checkout in the registry: built and pushed when missing."""
    reference = registry.part_reference(settings, name)
    found = registry.digest_of(client, reference)
    if found is not None:
        return Part(name, found, built=False)
    context, base_arg = PARTS[name]
    args = {"PROJECT": settings.project}
    if settings.part_base_image(name):
        args[base_arg] = settings.part_base_image(name)
    build_context(client, context, project=settings.project, tags=[reference], build_args=args, out=out)
    return Part(name, registry.push(client, reference), built=True)

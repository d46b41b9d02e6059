"""`inv build`: the service's image from docker/Dockerfile, with its build information and tags."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tooling.core.errors import ToolError
from tooling.core.settings import DOCKERFILE, ROOT, Settings
from tooling.engine.build import Built, build_context
from tooling.engine.git import metadata

if TYPE_CHECKING:
    from python_on_whales import DockerClient

# Build args end up in `docker history`: refuse the ones that look like secrets.
_SECRET = re.compile(r"(PASS|SECRET|TOKEN|KEY|CREDENTIAL)", re.IGNORECASE)


def parse_build_args(pairs: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings from ``--build-arg``, checked."""
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ToolError(f"--build-arg {pair!r} is not KEY=VALUE")
        if _SECRET.search(key):
            raise ToolError(
                f"--build-arg {key} looks like a secret, and build args are kept in the image history; "
                "pass it at run time with an env file (docker.env_file or --env-file)"
            )
        parsed[key] = value
    return parsed


def build_image(
    client: DockerClient,
    settings: Settings,
    *,
    tags: list[str] | None = None,
    no_cache: bool = False,
    pull: bool = False,
    build_args: Iterable[str] = (),
    out: TextIO,
    context: Path = ROOT,
) -> Built:
    """Build ``context``'s docker/Dockerfile (the repository's by default), its output copied to
    ``out``; tags default to the configured tag and the git sha."""
    meta = metadata()
    args = {
        "PROJECT": settings.project,
        "VERSION": meta.version,
        "REVISION": meta.revision,
        "CREATED": meta.created,
        "SOURCE": meta.source,
    }
    if settings.base_image:
        args["PYTHON_IMAGE"] = settings.base_image
    args.update(parse_build_args(build_args))
    if tags is None:
        tags = [settings.reference] + ([f"{settings.image}:{meta.short}"] if meta.short else [])
    return build_context(
        client,
        context,
        project=settings.project,
        dockerfile=context / DOCKERFILE.relative_to(ROOT),
        tags=tags,
        build_args=args,
        cache=not no_cache,
        pull=pull,
        out=out,
        cache_from=settings.cache_from,
        cache_to=settings.cache_to,
    )

"""A registry: the names our images have there, pushing one, and asking which digest a reference
names there, without pulling it.

Everything goes through the docker CLI, so credentials (`docker login`, credential helpers),
proxies and certificates are Docker's own. A loopback registry is spoken to over plain HTTP, as the
daemon itself does by default (127.0.0.0/8 is an insecure registry out of the box).
"""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING

from tooling.core.errors import ToolError, last_error_line
from tooling.core.settings import PARTS, Settings
from tooling.engine.build import context_tag
from tooling.engine.client import cli

if TYPE_CHECKING:
    from python_on_whales import DockerClient


def host_of(reference: str) -> str:
    """The registry host[:port] of an image reference (``127.0.0.1:5001/team/app:tag`` -> ``127.0.0.1:5001``)."""
    first = reference.split("/", 1)[0]
    return first if ("." in first or ":" in first or first == "localhost") and "/" in reference else "docker.io"


def repository_of(reference: str) -> str:
    """The reference without its tag or digest."""
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name[: len(name) - len(last)] + last.split(":", 1)[0]


def is_loopback(host: str) -> bool:
    """Whether host[:port] is this machine (127.0.0.0/8, ::1, localhost)."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if host.startswith("["):  # [::1]:5000
        name = host[1 : host.index("]")]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def failure(reference: str, line: str) -> ToolError:
    """One line for a registry that could not be had, saying what to do."""
    host = host_of(reference)
    if any(s in line for s in ("connection refused", "no such host", "i/o timeout", "dial tcp", "no route to host")):
        return ToolError(f"the registry {host} does not answer ({line}); start it, or fix docker.registry")
    if any(s in line.lower() for s in ("no basic auth credentials", "unauthorized", "authentication required")):
        return ToolError(f"the registry {host} wants a login ({line}); run `docker login {host}` and try again")
    if "denied" in line.lower():
        return ToolError(f"the registry {host} refused {reference} ({line}); check your rights to that repository")
    return ToolError(f"the registry {host} failed on {reference}: {line}")


def digest_of(client: DockerClient, reference: str) -> str | None:
    """``repository@sha256:...`` that ``reference`` (a tag or a digest) names in its registry, or
    None when the registry does not hold it. Only the manifest is asked for: nothing is pulled."""
    from python_on_whales.exceptions import DockerException

    insecure = ["--insecure"] if is_loopback(host_of(reference)) else []
    try:
        answer = cli(client, "manifest", "inspect", "--verbose", *insecure, reference)
    except DockerException as error:
        line = last_error_line(error)
        if "no such manifest" in line or "manifest unknown" in line or "not found" in line.lower():
            return None
        raise failure(reference, line) from None
    found = json.loads(answer)
    if not isinstance(found, list):
        return f"{repository_of(reference)}@{found['Descriptor']['digest']}"
    # A multi-platform index: `manifest inspect` shows its members, not its own digest.
    if "@sha256:" in reference:
        return reference  # named by that digest already, and the registry holds it
    return _index_digest(client, reference)


def _index_digest(client: DockerClient, reference: str) -> str:
    """The digest of the multi-platform index ``reference`` names, as the registry serves it."""
    from python_on_whales.exceptions import DockerException

    if not client.buildx.is_installed():
        raise ToolError(
            f"{reference} is a multi-platform index, whose digest only buildx asks the registry for; "
            "install the buildx plugin, or name the image by its digest (repository@sha256:...)"
        )
    try:
        manifest = json.loads(
            cli(client, "buildx", "imagetools", "inspect", "--format", "{{json .Manifest}}", reference)
        )
    except DockerException as error:
        raise failure(reference, last_error_line(error)) from None
    return f"{repository_of(reference)}@{manifest['digest']}"


def local_digest(client: DockerClient, reference: str) -> str | None:
    """The ``repository@sha256:...`` this engine recorded when it pushed or pulled ``reference``."""
    repository = repository_of(reference)
    digests = client.image.inspect(reference).repo_digests or []
    return next((d for d in digests if d.split("@", 1)[0] == repository), None)


def push(client: DockerClient, reference: str) -> str:
    """Push ``reference``; its ``repository@sha256:...`` in the registry."""
    from python_on_whales.exceptions import DockerException

    try:
        client.image.push(reference, quiet=True)
    except DockerException as error:
        raise failure(reference, last_error_line(error)) from None
    digest = local_digest(client, reference)
    if digest is None:
        raise ToolError(f"pushed {reference}, but the engine recorded no digest for it; push it again")
    return digest


# --- our images' names there ------------------------------------------------------------------


def app_reference(settings: Settings, tag: str) -> str:
    """The app's image in the registry under ``tag``."""
    return f"{settings.registry}/{settings.image}:{tag}"


def part_reference(settings: Settings, part: str) -> str:
    """The stack's image ``part`` (edge, monitor) in the registry, under a tag that follows what goes
    into it: its folder, its base image and the project label."""
    tag = context_tag(PARTS[part][0], settings.part_base_image(part), settings.project, prefix=part)
    return f"{settings.registry}/{settings.part_image(part)}:{tag}"

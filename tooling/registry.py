"""Registry primitives: push an image, and ask a registry which digest a reference names.

Both go through the docker CLI, so credentials (`docker login`, credential helpers), proxies and
certificates are Docker's own. A loopback registry is spoken to over plain HTTP, as the daemon
itself does by default (127.0.0.0/8 is an insecure registry out of the box).
"""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING

from tooling import engine
from tooling.errors import ToolError

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
    None when the registry does not hold it. Nothing is pulled."""
    from python_on_whales.exceptions import DockerException
    from python_on_whales.utils import run

    insecure = ["--insecure"] if is_loopback(host_of(reference)) else []
    try:
        answer = run([*client.docker_cmd, "manifest", "inspect", "--verbose", *insecure, reference])
    except DockerException as error:
        line = engine.last_error_line(error)
        if "no such manifest" in line or "manifest unknown" in line or "not found" in line.lower():
            return None
        raise failure(reference, line) from None
    found = json.loads(str(answer))
    if isinstance(found, list):
        # A multi-platform index: the CLI shows its members, not its own digest; the daemon knows it.
        client.image.pull(reference, quiet=True)
        return local_digest(client, reference)
    return f"{repository_of(reference)}@{found['Descriptor']['digest']}"


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
        raise failure(reference, engine.last_error_line(error)) from None
    digest = local_digest(client, reference)
    if digest is None:
        raise ToolError(f"pushed {reference}, but the engine recorded no digest for it; push it again")
    return digest

"""What a deploy asks of Swarm, and how what Swarm answers is read: data only, no engine.

The stack itself is docker/stack.yml; a deploy fills its variables (images pinned by digest,
replicas, port) and, when there is a secret, lays a small overlay over it. While Swarm works, each
observation of a service is judged here (`assess`) into a line to show and, at the end, a verdict.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooling.errors import ToolError
from tooling.settings import EDGE_CONTEXT, STACK_FILE, Settings, config_source

SECRET_TARGET = "secret_key"
# Task states after which a task never runs again (swarmkit's TaskState, lower-cased).
ENDED = {"complete", "failed", "shutdown", "rejected", "orphaned", "remove"}
UNDER_WAY = {"updating", "rollback_started"}  # an UpdateStatus that Swarm has not finished


def short(reference: str) -> str:
    """``repo@sha256:0123456789abcdef...`` -> ``sha256:0123456789ab…``."""
    digest = reference.rsplit("@", 1)[-1]
    return digest[:19] + "…" if digest.startswith("sha256:") else digest


@dataclass(frozen=True)
class Release:
    """What a stack serves: the app's and the edge's images, pinned by digest."""

    web: str  # repository@sha256:...
    edge: str  # repository@sha256:...
    revision: str = "unknown"  # the git revision the app's image was built from

    @property
    def digest(self) -> str:
        return self.web.rsplit("@", 1)[-1]

    def describe(self) -> str:
        revision = "" if self.revision == "unknown" else f" (rev {self.revision[:7]})"
        return f"{short(self.web)}{revision}"


@dataclass(frozen=True)
class Recorded:
    """A release the stack served, as its history in the swarm keeps it."""

    release: Release
    at: str  # when it turned healthy, ISO 8601 UTC
    by: str  # who deployed it
    name: str  # the Docker config that records it


def app_reference(settings: Settings, tag: str) -> str:
    """The app's image in the registry under ``tag``."""
    return f"{settings.registry}/{settings.image}:{tag}"


def edge_reference(settings: Settings) -> str:
    """The edge's image in the registry, under the tag its content gives it."""
    return f"{settings.registry}/{settings.edge_image}:{edge_tag(settings)}"


def edge_tag(settings: Settings, context: Path = EDGE_CONTEXT) -> str:
    """The edge image's tag: a hash of what goes into it (its build context, base image and
    project label), so its digest changes only when docker/edge/ or those settings do."""
    content = hashlib.sha256()
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        content.update(path.relative_to(context).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    content.update(f"{settings.edge_base_image}\0{settings.project}".encode())
    return f"edge-{content.hexdigest()[:16]}"


@dataclass(frozen=True)
class Secret:
    name: str  # carries a hash of the value: a Docker secret cannot change in place
    file: Path


def secret(settings: Settings) -> Secret | None:
    """The app's secret key from docker.secret_key_file, or None when none is set."""
    if not settings.secret_key_file:
        return None
    path = Path(settings.secret_key_file).expanduser()
    where = config_source("secret_key_file")
    if not path.is_file():
        raise ToolError(f"{where}: {settings.secret_key_file} is not a file; create it, or unset the setting")
    value = path.read_bytes()
    if not value.strip():
        raise ToolError(f"{where}: {settings.secret_key_file} is empty; put the secret key in it")
    return Secret(
        name=f"{settings.stack}_{SECRET_TARGET}_{hashlib.sha256(value).hexdigest()[:12]}", file=path.resolve()
    )


@dataclass(frozen=True)
class Plan:
    """The arguments of one `docker stack deploy`."""

    stack: str
    files: list[Path]
    variables: dict[str, str]
    overlay: dict[str, Any] | None = None  # laid over docker/stack.yml when there is a secret


def plan(settings: Settings, release: Release, replicas: int, key: Secret | None) -> Plan:
    variables = {
        "WEB_IMAGE": release.web,
        "EDGE_IMAGE": release.edge,
        "WEB_REPLICAS": str(replicas),
        "STACK_PORT": str(settings.stack_port),
        "PROJECT": settings.project,
    }
    overlay: dict[str, Any] | None = None
    if key is not None:
        overlay = {
            "version": "3.8",
            "services": {
                "web": {
                    "environment": {"SERVICE_SECRET_KEY_FILE": f"/run/secrets/{SECRET_TARGET}"},
                    "secrets": [{"source": SECRET_TARGET, "target": SECRET_TARGET}],
                }
            },
            "secrets": {SECRET_TARGET: {"name": key.name, "file": str(key.file)}},
        }
    return Plan(stack=settings.stack, files=[STACK_FILE], variables=variables, overlay=overlay)


# --- the release history ----------------------------------------------------------------------


def previous(history: list[Recorded], serving: str) -> Recorded | None:
    """The release before the one now serving (``serving`` is its digest): history is newest
    first, and holds only releases that turned healthy, so one Swarm rolled back never counts."""
    seen_serving = False
    for recorded in history:
        if recorded.release.digest == serving:
            seen_serving = True
        elif seen_serving:
            return recorded
    return None


def find(history: list[Recorded], wanted: str) -> Recorded | None:
    """The newest release whose digest (with or without ``sha256:``) or git revision starts with ``wanted``."""
    key = wanted.removeprefix("sha256:").lower()
    if len(key) < 7:
        raise ToolError(f"--to {wanted!r} is too short; give at least 7 characters of a digest or a revision")
    for recorded in history:
        if recorded.release.digest.removeprefix("sha256:").startswith(key) or recorded.release.revision.startswith(key):
            return recorded
    return None


# --- reading what Swarm does ------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    id: str
    node: str
    image: str
    state: str  # swarmkit's: new ... starting, running, complete, failed, shutdown, rejected ...
    desired: str
    error: str = ""
    container: str = ""
    slot: int | None = None
    created: str = ""


@dataclass(frozen=True)
class Update:
    """A service's UpdateStatus: one per update Swarm ran, told apart by when it started."""

    state: str  # updating, completed, paused, rollback_started, rollback_paused, rollback_completed
    started: str
    message: str = ""


@dataclass(frozen=True)
class Observation:
    """One look at a service of the stack."""

    name: str
    image: str  # what its spec asks for now (a rollback puts the old one back)
    update: Update | None
    current: list[Task]  # tasks of the current spec that Swarm wants running
    ended: list[Task] = field(default_factory=list)  # tasks started since the deploy that ended


@dataclass(frozen=True)
class Verdict:
    service: str
    line: str  # what to show while waiting
    phase: str  # changes only when something new happened
    done: bool = False
    ok: bool = False
    problem: str = ""  # when done and not ok: what happened
    failing: Task | None = None  # the task whose last health check tells why


def assess(seen: Observation, target: str, replicas: int | None, before: Update | None) -> Verdict:
    """Judge one observation of a service deployed with image ``target``: ``replicas`` it must
    run (None: a global service, at least one), and ``before``, its UpdateStatus before this
    deploy (a first deploy has none; a no-op redeploy keeps an old one, which says nothing, unless
    it was still under way: then it is what this deploy waits for)."""
    update = seen.update
    if update and before and before.state not in UNDER_WAY and update.started == before.started:
        update = None  # an earlier deploy's, finished
    healthy = [t for t in seen.current if t.state == "running" and t.image == target]
    want = replicas if replicas is not None else max(len(seen.current), 1)
    line = f"{len(healthy)}/{want} {seen.name} replicas on {short(target)} healthy"
    phase = f"{seen.name}:{len(healthy)}:{update.state if update else ''}"
    failing = seen.ended[-1] if seen.ended else None
    if update is not None:
        if update.state == "rollback_completed":
            problem = f"Swarm rolled the update of {seen.name} back"
            return Verdict(seen.name, line, phase, done=True, problem=problem, failing=failing)
        if update.state in {"paused", "rollback_paused"}:
            problem = f"Swarm paused the update of {seen.name} ({update.message})"
            return Verdict(seen.name, line, phase, done=True, problem=problem, failing=failing)
        if update.state == "rollback_started":
            return Verdict(seen.name, f"{line}; Swarm is rolling it back", phase, failing=failing)
    converged = (
        seen.image == target
        and len(healthy) == want
        and len(seen.current) == want
        and all(t.image == target for t in seen.current)
    )
    if converged and (update is None or update.state == "completed"):
        return Verdict(seen.name, line, phase, done=True, ok=True)
    if update is None and not healthy and len(seen.ended) > want:
        # No update to roll back (a first deploy): new tasks keep dying and nothing serves.
        return Verdict(
            seen.name, line, phase, done=True, problem=f"{seen.name}'s new tasks keep failing", failing=failing
        )
    if update is not None and update.state == "updating":
        line += "; updating"
    return Verdict(seen.name, line, phase)

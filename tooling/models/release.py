"""What a stack serves, and the history of what it served: data only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tooling.core.errors import ToolError
from tooling.core.settings import PROJECT_LABEL

# Labels on the Docker config that records one release of a stack (engine/history.py keeps them).
RELEASE_OF = "dev.flask-service.release-of"


def short(reference: str) -> str:
    """``repo@sha256:0123456789abcdef...`` -> ``sha256:0123456789ab…``."""
    digest = reference.rsplit("@", 1)[-1]
    return digest[:19] + "…" if digest.startswith("sha256:") else digest


@dataclass(frozen=True)
class Release:
    """What a stack serves: the app's image and the stack's other parts', pinned by digest."""

    web: str  # repository@sha256:...
    edge: str  # repository@sha256:...
    revision: str = "unknown"  # the git revision the app's image was built from
    monitor: str = ""  # repository@sha256:...; "" in a release recorded before the stack had one

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


def labels(stack: str, release: Release, at: str, by: str, project: str) -> dict[str, str]:
    """The labels of the config that records ``release`` as served by ``stack`` at ``at``."""
    return {
        PROJECT_LABEL: project,
        RELEASE_OF: stack,
        f"{RELEASE_OF}.web": release.web,
        f"{RELEASE_OF}.edge": release.edge,
        f"{RELEASE_OF}.monitor": release.monitor,
        f"{RELEASE_OF}.revision": release.revision,
        f"{RELEASE_OF}.at": at,
        f"{RELEASE_OF}.by": by,
    }


def recorded(config: dict[str, Any]) -> Recorded:
    """A release read back from its config (the daemon's JSON of `docker config inspect`)."""
    spec = config.get("Spec", {})
    found = spec.get("Labels") or {}
    release = Release(
        found.get(f"{RELEASE_OF}.web", ""),
        found.get(f"{RELEASE_OF}.edge", ""),
        found.get(f"{RELEASE_OF}.revision", "unknown"),
        found.get(f"{RELEASE_OF}.monitor", ""),
    )
    return Recorded(
        release, found.get(f"{RELEASE_OF}.at", ""), found.get(f"{RELEASE_OF}.by", "?"), spec.get("Name", "")
    )


def previous(history: list[Recorded], serving: str) -> Recorded | None:
    """The release before the one now serving (``serving`` is its digest): history is newest
    first, and holds only releases that turned healthy, so one Swarm rolled back never counts."""
    seen_serving = False
    for entry in history:
        if entry.release.digest == serving:
            seen_serving = True
        elif seen_serving:
            return entry
    return None


def find(history: list[Recorded], wanted: str) -> Recorded | None:
    """The newest release whose digest (with or without ``sha256:``) or git revision starts with ``wanted``."""
    key = wanted.removeprefix("sha256:").lower()
    if len(key) < 7:
        raise ToolError(f"--to {wanted!r} is too short; give at least 7 characters of a digest or a revision")
    for entry in history:
        if entry.release.digest.removeprefix("sha256:").startswith(key) or entry.release.revision.startswith(key):
            return entry
    return None

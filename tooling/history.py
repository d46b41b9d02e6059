"""A stack's release history and its deploy lock, kept in the swarm itself as Docker configs, so
that every operator of the cluster sees the same ones (a checkout's files would not, and Swarm's
own `service rollback` remembers one spec, which the next `stack deploy` overwrites)."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tooling import engine
from tooling.errors import ToolError
from tooling.settings import PROJECT_LABEL
from tooling.stack import Recorded, Release

if TYPE_CHECKING:
    from python_on_whales import DockerClient

# Labels on the configs that hold a stack's release history and its deploy lock.
RELEASE_OF = "dev.flask-service.release-of"
LOCK_OF = "dev.flask-service.lock-of"
KEEP_RELEASES = 20


def holder() -> str:
    """Who holds a deploy lock: user@host and the process."""
    return f"{getpass.getuser()}@{socket.gethostname()} (pid {os.getpid()})"


class History:
    def __init__(self, client: DockerClient) -> None:
        self.client = client

    def releases(self, stack: str) -> list[Recorded]:
        """The releases the stack served, newest first."""
        found = engine.inspect(
            self.client, *engine.ids(self.client, "config", "ls", "-q", "--filter", f"label={RELEASE_OF}={stack}")
        )
        recorded = []
        for config in found:
            labels = config.get("Spec", {}).get("Labels") or {}
            release = Release(
                labels.get(f"{RELEASE_OF}.web", ""),
                labels.get(f"{RELEASE_OF}.edge", ""),
                labels.get(f"{RELEASE_OF}.revision", "unknown"),
            )
            at, by = labels.get(f"{RELEASE_OF}.at", ""), labels.get(f"{RELEASE_OF}.by", "?")
            recorded.append(Recorded(release, at, by, config["Spec"]["Name"]))
        return sorted(recorded, key=lambda r: r.at, reverse=True)

    def record(self, stack: str, release: Release, by: str, project: str) -> None:
        """Add ``release`` to the stack's history, as the newest; keep the last few."""
        now = datetime.now(UTC)
        labels = {
            PROJECT_LABEL: project,
            RELEASE_OF: stack,
            f"{RELEASE_OF}.web": release.web,
            f"{RELEASE_OF}.edge": release.edge,
            f"{RELEASE_OF}.revision": release.revision,
            f"{RELEASE_OF}.at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            f"{RELEASE_OF}.by": by,
        }
        self._create_config(f"{stack}-release-{now:%Y%m%dT%H%M%S%f}", labels)
        for old in self.releases(stack)[KEEP_RELEASES:]:
            self.client.config.remove(old.name)

    @contextlib.contextmanager
    def locked(self, stack: str, who: str, project: str, *, break_lock: bool = False) -> Iterator[None]:
        """Hold the stack's deploy lock, a config whose name only one can create, for the block."""
        name = f"{stack}-deploy-lock"
        labels = {PROJECT_LABEL: project, LOCK_OF: stack, f"{LOCK_OF}.holder": who}
        labels[f"{LOCK_OF}.since"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if break_lock:
            self._remove_configs(name)
        if not self._create_config(name, labels, exists_ok=True):
            held = engine.inspect(self.client, name)
            other = (held[0].get("Spec", {}).get("Labels") or {}) if held else {}
            raise ToolError(
                f"another deploy of {stack} holds the lock: {other.get(f'{LOCK_OF}.holder', '?')} since "
                f"{other.get(f'{LOCK_OF}.since', '?')}; wait for it, or if that run was killed, "
                "break the lock with --break-lock"
            )
        try:
            yield
        finally:
            self._remove_configs(name)

    def forget(self, stack: str) -> list[str]:
        """Remove the stack's release history; the names of the configs that held it."""
        names = [r.name for r in self.releases(stack)]
        self._remove_configs(*names)
        return names

    def _create_config(self, name: str, labels: dict[str, str], exists_ok: bool = False) -> bool:
        from python_on_whales.exceptions import DockerException

        with tempfile.NamedTemporaryFile("w", suffix=".json") as data:
            data.write(json.dumps(labels, indent=1))
            data.flush()
            try:
                self.client.config.create(name, data.name, labels=labels)
            except DockerException as error:
                if exists_ok and "already exists" in engine.last_error_line(error):
                    return False
                raise ToolError(f"cannot create the config {name}: {engine.last_error_line(error)}") from None
        return True

    def _remove_configs(self, *names: str) -> None:
        from python_on_whales.exceptions import DockerException

        for name in names:
            with contextlib.suppress(DockerException):
                self.client.config.remove(name)

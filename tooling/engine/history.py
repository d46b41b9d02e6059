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

from tooling.core.errors import ToolError, last_error_line
from tooling.core.settings import PROJECT_LABEL
from tooling.engine.client import ids, inspect
from tooling.models import release as releases
from tooling.models.release import RELEASE_OF, Recorded, Release

if TYPE_CHECKING:
    from python_on_whales import DockerClient

LOCK_OF = "dev.flask-service.lock-of"  # the label on the config that is a stack's deploy lock
KEEP_RELEASES = 20


def holder() -> str:
    """Who holds a deploy lock: user@host and the process."""
    return f"{getpass.getuser()}@{socket.gethostname()} (pid {os.getpid()})"


class History:
    def __init__(self, client: DockerClient) -> None:
        self.client = client

    def releases(self, stack: str) -> list[Recorded]:
        """The releases the stack served, newest first."""
        found = inspect(self.client, *ids(self.client, "config", "ls", "-q", "--filter", f"label={RELEASE_OF}={stack}"))
        return sorted((releases.recorded(config) for config in found), key=lambda r: r.at, reverse=True)

    def record(self, stack: str, release: Release, by: str, project: str) -> None:
        """Add ``release`` to the stack's history, as the newest; keep the last few."""
        now = datetime.now(UTC)
        labels = releases.labels(stack, release, now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), by, project)
        self._create_config(f"{stack}-release-{now:%Y%m%dT%H%M%S%f}", labels)
        for old in self.releases(stack)[KEEP_RELEASES:]:
            self.client.config.remove(old.name)

    @contextlib.contextmanager
    def locked(self, stack: str, who: str, project: str, *, break_lock: bool = False) -> Iterator[None]:
        """Hold the stack's deploy lock, a config whose name only one can create, for the block.
        A lock that cannot be let go of is said, never swallowed: the next deploy would otherwise
        be told that someone else holds it."""
        name = f"{stack}-deploy-lock"
        labels = {PROJECT_LABEL: project, LOCK_OF: stack, f"{LOCK_OF}.holder": who}
        labels[f"{LOCK_OF}.since"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if break_lock:
            self._remove_config(name, missing_ok=True)
        if not self._create_config(name, labels, exists_ok=True):
            held = inspect(self.client, name)
            other = (held[0].get("Spec", {}).get("Labels") or {}) if held else {}
            raise ToolError(
                f"another deploy of {stack} holds the lock: {other.get(f'{LOCK_OF}.holder', '?')} since "
                f"{other.get(f'{LOCK_OF}.since', '?')}; wait for it, or if that run was killed, "
                "break the lock with --break-lock"
            )
        try:
            yield
        except ToolError as error:
            try:
                self._remove_config(name, missing_ok=True)
            except ToolError as stuck:
                raise ToolError(f"{error.message}; and {stuck.message}", code=error.code) from None
            raise
        except BaseException:
            with contextlib.suppress(ToolError):  # what is under way says more than a stuck lock
                self._remove_config(name, missing_ok=True)
            raise
        self._remove_config(name, missing_ok=True)

    def forget(self, stack: str) -> list[str]:
        """Remove the stack's release history; the names of the configs that held it."""
        names = [r.name for r in self.releases(stack)]
        for name in names:
            self._remove_config(name, missing_ok=True)
        return names

    def _create_config(self, name: str, labels: dict[str, str], exists_ok: bool = False) -> bool:
        from python_on_whales.exceptions import DockerException

        with tempfile.NamedTemporaryFile("w", suffix=".json") as data:
            data.write(json.dumps(labels, indent=1))
            data.flush()
            try:
                self.client.config.create(name, data.name, labels=labels)
            except DockerException as error:
                if exists_ok and "already exists" in last_error_line(error):
                    return False
                raise ToolError(f"cannot create the config {name}: {last_error_line(error)}") from None
        return True

    def _remove_config(self, name: str, *, missing_ok: bool) -> None:
        from python_on_whales.exceptions import DockerException

        try:
            self.client.config.remove(name)
        except DockerException as error:
            line = last_error_line(error)
            if missing_ok and ("not found" in line.lower() or "no such" in line.lower()):
                return
            what = "the deploy lock" if name.endswith("-deploy-lock") else "the config"
            raise ToolError(
                f"{what} {name} could not be removed ({line}); remove it with `docker config rm {name}`"
            ) from None

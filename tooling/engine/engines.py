"""Which engine each verb talks to: the one place that decides.

Building, pushing and the local container's verbs use the local engine, as the user's own docker CLI
has it (DOCKER_HOST, the current context). Everything about the deployed stack talks to the swarm's
manager, `docker.manager`: the local engine too when that is empty."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from tooling.engine.client import connect
from tooling.engine.history import History
from tooling.engine.swarm import Swarm

if TYPE_CHECKING:
    from python_on_whales import DockerClient

    from tooling.core.settings import Settings


class Engines:
    """The local engine and the swarm's manager, each connected (and checked) when first asked for."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def local(self) -> DockerClient:
        return connect()

    @cached_property
    def manager(self) -> DockerClient:
        return connect(self.settings.manager) if self.settings.manager else self.local

    @property
    def remote(self) -> bool:
        """Whether the manager is an engine elsewhere (docker.manager is set)."""
        return bool(self.settings.manager)

    @property
    def where(self) -> str:
        """The manager, as messages name it."""
        return f"the manager {self.settings.manager}" if self.remote else "this engine"

    @cached_property
    def swarm(self) -> Swarm:
        return Swarm(self.manager, self.where)

    @cached_property
    def history(self) -> History:
        return History(self.manager)

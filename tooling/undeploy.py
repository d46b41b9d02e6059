"""`inv undeploy`: remove the stack, with the networks and secrets it created and its release
history, and nothing else."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tooling.errors import ToolError
from tooling.history import History, holder
from tooling.swarm import Removed, Swarm

if TYPE_CHECKING:
    from collections.abc import Callable

    from python_on_whales import DockerClient

    from tooling.settings import Settings


def undeploy_stack(
    client: DockerClient, settings: Settings, progress: Callable[[str, str], None], *, break_lock: bool = False
) -> Removed:
    """Remove the stack and wait until its containers and networks are gone; what was there."""
    swarm, history = Swarm(client), History(client)
    swarm.require_manager()
    there = swarm.leftovers(settings.stack)
    there.configs = [r.name for r in history.releases(settings.stack)]
    if not there:
        return there
    with history.locked(settings.stack, holder(), settings.project, break_lock=break_lock):
        swarm.remove_stack(settings.stack)
        started = time.monotonic()
        # Replicas get their stop grace period; networks go once no container uses them.
        while (containers := swarm.containers_left(settings.stack)) or swarm.leftovers(settings.stack).services:
            if time.monotonic() - started > settings.deploy_timeout:
                raise ToolError(
                    f"{settings.stack} still has {containers} container(s) after {settings.deploy_timeout}s"
                )
            progress(f"removing {settings.stack}: {containers} container(s) stopping", str(containers))
            time.sleep(0.5)
        swarm.remove_networks(swarm.leftovers(settings.stack))
        history.forget(settings.stack)
    left = swarm.leftovers(settings.stack)
    left.configs = [r.name for r in history.releases(settings.stack)]
    if left:
        raise ToolError(f"{settings.stack} is not all gone ({left.counted()} left); run `inv undeploy` again")
    return there

"""`inv undeploy`: remove the stack, with the networks and secrets it created and its release
history, and nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tooling.core.errors import ToolError
from tooling.core.waiting import Progress, WaitTimeout, wait_until
from tooling.engine.history import holder

if TYPE_CHECKING:
    from tooling.core.settings import Settings
    from tooling.engine.engines import Engines
    from tooling.models.swarm import StackParts


def undeploy_stack(engines: Engines, settings: Settings, progress: Progress, *, break_lock: bool = False) -> StackParts:
    """Remove the stack and wait until its services and networks are gone; what was there."""
    swarm, history, stack = engines.swarm, engines.history, settings.stack
    swarm.require_manager()
    there = swarm.parts(stack)
    there.configs = [r.name for r in history.releases(stack)]
    if not there:
        return there
    with history.locked(stack, holder(), settings.project, break_lock=break_lock):
        swarm.remove_stack(stack)

        def gone() -> bool:
            # Replicas get their stop grace period, on whichever node they run; a network goes
            # once none of them uses it any more.
            left = swarm.parts(stack)
            swarm.remove_networks(left.networks)
            left, here = swarm.parts(stack), swarm.containers_here(stack)
            if left.services or left.networks or here:
                said = ", ".join(filter(None, [left.counted(), f"{here} container(s) here" if here else ""]))
                progress(f"removing {stack}: {said} left, replicas stopping", said)
                return False
            return True

        try:
            wait_until(gone, timeout=settings.deploy_timeout, interval=0.5)
        except WaitTimeout:
            left = swarm.parts(stack)
            why = (
                f" (a container outside the stack may use it: `docker network inspect {left.networks[0]}`)"
                if left.networks and not left.services
                else ""
            )
            raise ToolError(
                f"{stack} still has {left.counted()} after {settings.deploy_timeout}s{why}; run `inv undeploy` again"
            ) from None
        history.forget(stack)
    left = swarm.parts(stack)
    left.configs = [r.name for r in history.releases(stack)]
    if left:
        raise ToolError(f"{stack} is not all gone ({left.counted()} left); run `inv undeploy` again")
    return there

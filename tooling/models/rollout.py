"""How a rollout is judged: each look at a service of the stack becomes a line to show while
waiting and, once Swarm is done, a verdict. Data only; engine/swarm.py takes the looks."""

from __future__ import annotations

from dataclasses import dataclass

from tooling.models.release import short
from tooling.models.swarm import Observation, Task, Update

UNDER_WAY = {"updating", "rollback_started"}  # an UpdateStatus that Swarm has not finished


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

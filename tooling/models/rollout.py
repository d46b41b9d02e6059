"""How a rollout is judged: each look at a service of the stack becomes a line to show while
waiting and, once Swarm is done, a verdict. Data only; engine/swarm.py takes the looks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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


def moment(text: str) -> datetime | None:
    """Swarm's RFC 3339 time (nanoseconds and all) as a datetime; None when there is none."""
    if not text or text.startswith("0001"):
        return None
    head, _, fraction = text.rstrip("Z").partition(".")
    try:
        return datetime.fromisoformat(f"{head}.{(fraction + '000000')[:6]}+00:00" if fraction else f"{head}+00:00")
    except ValueError:
        return None


@dataclass
class Timeline:
    """When a rollout's steps happened, by Swarm's own timestamps, as the waiting loop saw them."""

    began: datetime  # `docker stack deploy` called (this machine's clock, UTC)
    states: dict[str, dict[str, str]] = field(default_factory=dict)  # new task -> state -> when entered
    created: dict[str, str] = field(default_factory=dict)  # new task -> when Swarm made it
    completed: str = ""  # the update's CompletedAt, when Swarm ran one
    seen: datetime | None = None  # when the loop saw it all converged

    def look(self, tasks: list[Task], completed: str = "") -> None:
        for task in tasks:
            self.created.setdefault(task.id, task.created)
            self.states.setdefault(task.id, {}).setdefault(task.state, task.since)
        self.completed = completed or self.completed

    def phases(self) -> str:
        """Where the time went: e.g. "to Swarm 0.4s, pull and create 2.1s, start to healthy 1.2s,
        monitor 5.0s, noticed 0.6s"; what the loop did not see is left out."""

        def span(start: str | datetime | None, end: str | datetime | None) -> float | None:
            a = moment(start) if isinstance(start, str) else start
            b = moment(end) if isinstance(end, str) else end
            return (b - a).total_seconds() if a and b else None

        first = min((c for c in self.created.values() if moment(c)), default="", key=lambda c: moment(c) or self.began)
        parts = [("to Swarm", span(self.began, first))]
        pulls = [span(self.created[t], s.get("starting")) for t, s in self.states.items()]
        healthy = [span(s.get("starting"), s.get("running")) for s in self.states.values()]
        running = [m for s in self.states.values() if (m := moment(s.get("running", "")))]
        parts += [("pull and create", _median(pulls)), ("start to healthy", _median(healthy))]
        parts += [("monitor", span(max(running), self.completed) if running and self.completed else None)]
        parts += [("noticed", span(self.completed, self.seen) if self.completed else None)]
        said = [f"{name} {seconds:.1f}s" for name, seconds in parts if seconds is not None]
        each = f" (pull and start: a replica's, median of {len(self.states)})" if len(self.states) > 1 else ""
        return ", ".join(said) + each


def _median(spans: list[float | None]) -> float | None:
    found = sorted(s for s in spans if s is not None)
    return found[len(found) // 2] if found else None

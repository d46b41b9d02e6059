"""Waiting, truthfully, for Swarm to roll a release out: each service of the stack looked at until it
serves the release on every replica, or Swarm has rolled it back, or the time is up. The looks are
engine/swarm.py's, the judgement models/rollout.py's; this is the loop between them."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tooling.core.errors import ToolError
from tooling.core.waiting import Progress, WaitTimeout, wait_until
from tooling.models.release import Release
from tooling.models.rollout import Timeline, Verdict, assess

if TYPE_CHECKING:
    from tooling.core.settings import Settings
    from tooling.engine.history import History
    from tooling.engine.swarm import Swarm
    from tooling.models.swarm import Before

POLL_SECONDS = 1.0


def converge(
    swarm: Swarm,
    history: History,
    settings: Settings,
    release: Release,
    replicas: int,
    before: dict[str, Before],
    progress: Progress,
    timeline: Timeline | None = None,
) -> None:
    """Until Swarm serves ``release`` on every replica (a ToolError when it rolled it back or time
    is up); ``timeline`` notes when each step of the app's rollout happened."""
    wanted = {"web": (release.web, replicas), "edge": (release.edge, None), "monitor": (release.monitor, 1)}
    reasons: dict[str, str] = {}  # why Swarm began a rollback: its final message only says it is done
    converged: dict[str, Verdict] = {}  # a service that has converged is not asked again
    waiting = [""]
    started = time.monotonic()

    def done() -> bool:
        verdicts = []
        for name, (target, count) in wanted.items():
            if name in converged:
                verdicts.append(converged[name])
                continue
            seen = swarm.observe(settings.stack, name, target, before[name])
            if timeline is not None and name == "web":
                done_at = seen.update.completed if seen.update and seen.update.state == "completed" else ""
                timeline.look([t for t in seen.current if t.image == target], done_at)
            if seen.update is not None and seen.update.state == "rollback_started":
                reasons.setdefault(name, seen.update.message)
            verdict = assess(seen, target, count, before[name].update)
            if verdict.ok:
                converged[name] = verdict
            verdicts.append(verdict)
        failed = next((v for v in verdicts if v.done and not v.ok), None)
        if failed is not None:
            raise ToolError(failure(swarm, history, settings, failed, reasons))
        if all(v.ok for v in verdicts):
            if timeline is not None:
                timeline.seen = datetime.now(UTC)
            return True
        waiting[0] = "; ".join(v.line for v in verdicts if not v.ok)
        progress(f"{waiting[0]} ({time.monotonic() - started:.0f}s)", "|".join(v.phase for v in verdicts))
        return False

    try:
        wait_until(done, timeout=settings.deploy_timeout, interval=POLL_SECONDS)
    except WaitTimeout:
        raise ToolError(
            f"{settings.stack} did not converge within {settings.deploy_timeout}s ({waiting[0]}); "
            "Swarm goes on trying: watch it with `inv status`"
        ) from None


def failure(swarm: Swarm, history: History, settings: Settings, verdict: Verdict, reasons: dict[str, str]) -> str:
    """One line: what Swarm did and why, what serves now, and what the failing replica's health check said."""
    serving = swarm.serving(settings.stack)
    known = {r.release.digest: r.release for r in history.releases(settings.stack)}
    if serving is None:
        now = "nothing is serving"
    else:
        digest = serving.rsplit("@", 1)[-1]
        now = f"{(known.get(digest) or Release(serving, '')).describe()} is serving"
    why = ""
    if verdict.failing is not None:
        said = " ".join(swarm.health_output(verdict.failing).split())
        why = f"; the failing replica's last health check: {said[:200]}" if said else ""
    reason = reasons.get(verdict.service, "")
    return f"{verdict.problem}{f' ({reason})' if reason else ''}: {now}{why}"

"""`inv deploy` and `inv rollback`: hand a release to the stack, then wait, truthfully, until Swarm
serves it on every replica, or has rolled it back. Swarm does the scheduling, the health gating
and the rollback; this drives it, waits for it, and records what served."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tooling.core.errors import ToolError
from tooling.core.settings import PARTS, REVISION_LABEL, Settings, config_source
from tooling.core.waiting import Progress, WaitTimeout, wait_until
from tooling.engine import git, registry
from tooling.engine.history import holder
from tooling.models import plan as plans
from tooling.models import release as releases
from tooling.models.release import Release
from tooling.models.rollout import Verdict, assess
from tooling.models.swarm import SERVICES, Before, Node

if TYPE_CHECKING:
    from collections.abc import Callable

    from python_on_whales import DockerClient

    from tooling.engine.engines import Engines
    from tooling.engine.history import History
    from tooling.engine.swarm import Swarm

POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Deployed:
    release: Release
    replicas: int
    seconds: float  # from `docker stack deploy` to converged
    edges: list[Node]  # the nodes whose edge answers

    def summary(self, settings: Settings) -> str:
        where = (
            ", ".join(f"http://{n.address}:{settings.stack_port} ({n.hostname})" for n in self.edges) or "no node yet"
        )
        return (
            f"{settings.stack}: {self.replicas}/{self.replicas} replicas on {self.release.describe()} healthy, "
            f"{self.seconds:.0f}s after the deploy began; the edge answers at {where}"
        )


def resolve(client: DockerClient, settings: Settings, image: str | None) -> Release:
    """The release to deploy: ``image`` (a tag or a digest) or the one pushed for HEAD, and the
    stack's other images of this checkout, all as digests the registry holds (asked from here)."""
    if not settings.registry:
        raise ToolError("no registry is set; set docker.registry (INVOKE_DOCKER_REGISTRY) and `inv push` first")
    if image:
        web = registry.digest_of(client, image)
        if web is None:
            raise ToolError(f"{image} is not in its registry; push it first, or name one that is")
        revision = _revision(client, web)
    else:
        head = git.head()
        if not head:
            raise ToolError("this is not a git checkout; name the image to deploy with --image REF")
        tag = registry.app_reference(settings, head[:7])
        web = registry.digest_of(client, tag)
        if web is None:
            raise ToolError(
                f"HEAD ({head[:7]}) was never pushed to {settings.registry}; "
                "run `inv build push` first, or deploy another image with --image REF"
            )
        revision = head
    parts = {}
    for name in PARTS:
        reference = registry.part_reference(settings, name)
        parts[name] = registry.digest_of(client, reference)
        if parts[name] is None:
            raise ToolError(f"the {name} of this checkout ({reference}) is not in the registry; run `inv push` first")
    return Release(web=web, edge=str(parts["edge"]), revision=revision, monitor=str(parts["monitor"]))


def _revision(client: DockerClient, reference: str) -> str:
    """The git revision an image was built from, when this engine has the image; else "unknown"."""
    if not client.image.exists(reference):
        return "unknown"
    return (client.image.inspect(reference).config.labels or {}).get(REVISION_LABEL, "unknown")


def secret(settings: Settings) -> plans.Secret | None:
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
    return plans.secret(settings.stack, value, path.resolve())


def ship(
    engines: Engines,
    settings: Settings,
    choose: Callable[[Engines, Settings], Release],
    progress: Progress,
    *,
    break_lock: bool,
) -> Deployed:
    """Deploy the release ``choose`` picks (`inv deploy`'s, or `inv rollback`'s), the manager reached
    first: one that cannot be had is the first thing to say."""
    engines.manager  # noqa: B018 - connecting is the check
    return deploy_release(
        engines, settings, choose(engines, settings), progress, replicas=settings.replicas, break_lock=break_lock
    )


def deploy_release(
    engines: Engines,
    settings: Settings,
    release: Release,
    progress: Progress,
    *,
    replicas: int,
    break_lock: bool = False,
) -> Deployed:
    """Deploy ``release`` under the stack's lock and wait until it has converged; a ToolError
    (after any Swarm rollback is complete) when it has not."""
    swarm, history = engines.swarm, engines.history
    swarm.require_manager()
    plan = plans.plan(settings, release, replicas, secret(settings))
    with history.locked(settings.stack, holder(), settings.project, break_lock=break_lock):
        before = {name: swarm.before(settings.stack, name) for name in SERVICES}
        started = time.monotonic()
        swarm.deploy(plan)
        try:
            _wait(swarm, history, settings, release, replicas, before, progress)
        except KeyboardInterrupt:
            raise ToolError(
                f"interrupted; the deploy lock is released and Swarm goes on with {settings.stack} "
                "on its own: watch it with `inv status`",
                code=130,
            ) from None
        seconds = time.monotonic() - started
        if release.revision == "unknown":  # the nodes pulled it now: this engine may know its label
            release = dataclasses.replace(release, revision=_revision(engines.local, release.web))
        history.record(settings.stack, release, holder(), settings.project)
        swarm.prune_secrets(settings.stack)
    return Deployed(release, replicas, seconds, swarm.edges(settings.stack))


def _wait(
    swarm: Swarm,
    history: History,
    settings: Settings,
    release: Release,
    replicas: int,
    before: dict[str, Before],
    progress: Progress,
) -> None:
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
            if seen.update is not None and seen.update.state == "rollback_started":
                reasons.setdefault(name, seen.update.message)
            verdict = assess(seen, target, count, before[name].update)
            if verdict.ok:
                converged[name] = verdict
            verdicts.append(verdict)
        failed = next((v for v in verdicts if v.done and not v.ok), None)
        if failed is not None:
            raise ToolError(_failure(swarm, history, settings, failed, reasons))
        if all(v.ok for v in verdicts):
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


def _failure(swarm: Swarm, history: History, settings: Settings, verdict: Verdict, reasons: dict[str, str]) -> str:
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


def rollback_target(engines: Engines, settings: Settings, to: str | None) -> Release:
    """The release before the one serving, or the one ``to`` names (a digest or a revision)."""
    swarm = engines.swarm
    swarm.require_manager()
    serving = swarm.serving(settings.stack)
    if serving is None:
        raise ToolError(f"{settings.stack} is not deployed; there is nothing to roll back")
    history = engines.history.releases(settings.stack)
    found = releases.find(history, to) if to else releases.previous(history, serving.rsplit("@", 1)[-1])
    if found is None:
        known = ", ".join(dict.fromkeys(r.release.describe() for r in history)) or "none"
        what = (
            f"no release of {settings.stack} matches {to!r}"
            if to
            else f"no release of {settings.stack} before the one serving"
        )
        raise ToolError(f"{what}; the releases it served: {known}")
    if registry.digest_of(engines.local, found.release.web) is None:
        raise ToolError(f"{found.release.describe()} is no longer in the registry; push it again, or pick another")
    # A release recorded before the stack had a monitor keeps the monitor that runs now.
    return dataclasses.replace(
        found.release, monitor=found.release.monitor or swarm.serving(settings.stack, "monitor") or ""
    )

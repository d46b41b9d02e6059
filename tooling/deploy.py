"""`inv deploy` and `inv rollback`: hand a release to the stack, then wait, truthfully, until Swarm
serves it on every replica, or has rolled it back. Swarm does the scheduling, the health gating
and the rollback; this drives it, waits for it, and records what served."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tooling import registry, source, stack
from tooling.errors import ToolError
from tooling.history import History, holder
from tooling.settings import REVISION_LABEL, Settings
from tooling.swarm import SERVICES, Before, Swarm

if TYPE_CHECKING:
    from collections.abc import Callable

    from python_on_whales import DockerClient

    Progress = Callable[[str, str], None]

POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Deployed:
    release: stack.Release
    replicas: int
    seconds: float  # from `docker stack deploy` to converged

    def summary(self, settings: Settings) -> str:
        return (
            f"{settings.stack}: {self.replicas}/{self.replicas} replicas on {self.release.describe()} healthy, "
            f"at http://127.0.0.1:{settings.stack_port} on this node, {self.seconds:.0f}s after the deploy began"
        )


def resolve(client: DockerClient, settings: Settings, image: str | None) -> stack.Release:
    """The release to deploy: ``image`` (a tag or a digest) or the one pushed for HEAD, and the
    edge of this checkout, both as digests the registry holds."""
    if not settings.registry:
        raise ToolError("no registry is set; set docker.registry (INVOKE_DOCKER_REGISTRY) and `inv push` first")
    if image:
        web = registry.digest_of(client, image)
        if web is None:
            raise ToolError(f"{image} is not in its registry; push it first, or name one that is")
        revision = _revision(client, web)
    else:
        head = source.head()
        if not head:
            raise ToolError("this is not a git checkout; name the image to deploy with --image REF")
        tag = stack.app_reference(settings, head[:7])
        web = registry.digest_of(client, tag)
        if web is None:
            raise ToolError(
                f"HEAD ({head[:7]}) was never pushed to {settings.registry}; "
                "run `inv build push` first, or deploy another image with --image REF"
            )
        revision = head
    edge_ref = stack.edge_reference(settings)
    edge = registry.digest_of(client, edge_ref)
    if edge is None:
        raise ToolError(f"the edge of this checkout ({edge_ref}) is not in the registry; run `inv push` first")
    return stack.Release(web=web, edge=edge, revision=revision)


def _revision(client: DockerClient, reference: str) -> str:
    """The git revision an image was built from, when this engine has the image; else "unknown"."""
    if not client.image.exists(reference):
        return "unknown"
    return (client.image.inspect(reference).config.labels or {}).get(REVISION_LABEL, "unknown")


def deploy_release(
    client: DockerClient,
    settings: Settings,
    release: stack.Release,
    progress: Progress,
    *,
    replicas: int,
    break_lock: bool = False,
) -> Deployed:
    """Deploy ``release`` under the stack's lock and wait until it has converged; a ToolError
    (after any Swarm rollback is complete) when it has not."""
    swarm = Swarm(client)
    swarm.require_manager()
    key = stack.secret(settings)
    plan = stack.plan(settings, release, replicas, key)
    history = History(client)
    with history.locked(settings.stack, holder(), settings.project, break_lock=break_lock):
        before = {name: swarm.before(settings.stack, name) for name in SERVICES}
        started = time.monotonic()
        swarm.deploy(plan)
        try:
            _wait(swarm, settings, release, replicas, before, progress, started)
        except KeyboardInterrupt:
            raise ToolError(
                f"interrupted; the deploy lock is released and Swarm goes on with {settings.stack} "
                "on its own: watch it with `inv status`",
                code=130,
            ) from None
        seconds = time.monotonic() - started
        if release.revision == "unknown":  # the nodes pulled it now: this engine may know its label
            release = stack.Release(release.web, release.edge, _revision(client, release.web))
        history.record(settings.stack, release, holder(), settings.project)
        swarm.prune_secrets(settings.stack)
    return Deployed(release, replicas, seconds)


def _wait(
    swarm: Swarm,
    settings: Settings,
    release: stack.Release,
    replicas: int,
    before: dict[str, Before],
    progress: Progress,
    started: float,
) -> None:
    wanted = {"web": (release.web, replicas), "edge": (release.edge, None)}
    reasons: dict[str, str] = {}  # why Swarm began a rollback: its final message only says it is done
    converged: dict[str, stack.Verdict] = {}  # a service that has converged is not asked again
    while True:
        verdicts = []
        for name, (target, count) in wanted.items():
            if name in converged:
                verdicts.append(converged[name])
                continue
            seen = swarm.observe(settings.stack, name, target, before[name])
            if seen.update is not None and seen.update.state == "rollback_started":
                reasons.setdefault(name, seen.update.message)
            verdict = stack.assess(seen, target, count, before[name].update)
            if verdict.ok:
                converged[name] = verdict
            verdicts.append(verdict)
        failed = next((v for v in verdicts if v.done and not v.ok), None)
        if failed is not None:
            raise ToolError(_failure(swarm, History(swarm.client), settings, failed, reasons))
        if all(v.ok for v in verdicts):
            return
        line = "; ".join(v.line for v in verdicts if not v.ok)
        if time.monotonic() - started > settings.deploy_timeout:
            raise ToolError(
                f"{settings.stack} did not converge within {settings.deploy_timeout}s ({line}); "
                "Swarm goes on trying: watch it with `inv status`"
            )
        progress(f"{line} ({time.monotonic() - started:.0f}s)", "|".join(v.phase for v in verdicts))
        time.sleep(POLL_SECONDS)


def _failure(
    swarm: Swarm, history: History, settings: Settings, verdict: stack.Verdict, reasons: dict[str, str]
) -> str:
    """One line: what Swarm did and why, what serves now, and what the failing replica's health check said."""
    serving = swarm.serving(settings.stack)
    known = {r.release.digest: r.release for r in history.releases(settings.stack)}
    if serving is None:
        now = "nothing is serving"
    else:
        digest = serving.rsplit("@", 1)[-1]
        now = f"{(known.get(digest) or stack.Release(serving, '')).describe()} is serving"
    why = ""
    if verdict.failing is not None:
        said = " ".join(swarm.health_output(verdict.failing).split())
        why = f"; the failing replica's last health check: {said[:200]}" if said else ""
    reason = reasons.get(verdict.service, "")
    return f"{verdict.problem}{f' ({reason})' if reason else ''}: {now}{why}"


def rollback_target(client: DockerClient, settings: Settings, to: str | None) -> stack.Release:
    """The release before the one serving, or the one ``to`` names (a digest or a revision)."""
    swarm = Swarm(client)
    swarm.require_manager()
    serving = swarm.serving(settings.stack)
    if serving is None:
        raise ToolError(f"{settings.stack} is not deployed; there is nothing to roll back")
    history = History(client).releases(settings.stack)
    found = stack.find(history, to) if to else stack.previous(history, serving.rsplit("@", 1)[-1])
    if found is None:
        known = ", ".join(dict.fromkeys(r.release.describe() for r in history)) or "none"
        what = (
            f"no release of {settings.stack} matches {to!r}"
            if to
            else f"no release of {settings.stack} before the one serving"
        )
        raise ToolError(f"{what}; the releases it served: {known}")
    if registry.digest_of(client, found.release.web) is None:
        raise ToolError(f"{found.release.describe()} is no longer in the registry; push it again, or pick another")
    return found.release

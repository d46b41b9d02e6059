"""`inv deploy` and `inv rollback`: hand a release to the stack, then wait, truthfully, until Swarm
serves it on every replica, or has rolled it back. Swarm does the scheduling, the health gating
and the rollback; this drives it, waits for it, and records what served."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tooling.core.errors import ToolError
from tooling.core.settings import PARTS, REVISION_LABEL, Settings, config_source
from tooling.core.waiting import Progress
from tooling.engine import git, prometheus, registry
from tooling.engine.client import api_version
from tooling.engine.history import holder
from tooling.engine.rollout import converge
from tooling.models import plan as plans
from tooling.models import release as releases
from tooling.models.analysis import Judgement, judge
from tooling.models.health import cadence
from tooling.models.release import Release
from tooling.models.rollout import Timeline
from tooling.models.swarm import SERVICES, Node

if TYPE_CHECKING:
    from python_on_whales import DockerClient

    from tooling.engine.engines import Engines


@dataclass(frozen=True)
class Deployed:
    release: Release
    replicas: int
    seconds: float  # from `docker stack deploy` to converged
    edges: list[Node]  # the nodes whose edge answers
    judgement: Judgement | None = None  # None: not judged (--no-analysis)
    phases: str = ""  # where the time to converge went (models/rollout.Timeline)

    def judged(self, settings: Settings) -> str:
        """A line on the release's own traffic: its figures, or why they say nothing."""
        found = self.judgement
        if found is None:
            return "not judged by its traffic (--no-analysis)"
        if not found.enough:
            unseen = (
                f", and the monitor reads {found.scraped} of its {found.replicas} replicas (see `inv top`)"
                if found.scraped is not None and found.scraped < found.replicas
                else ""
            )
            return (
                f"warning: too little traffic to judge it ({found.requests} requests in {found.seconds:.0f}s, "
                f"fewer than docker.analysis_min_requests, {settings.analysis_min_requests}){unseen}: passed unjudged"
            )
        return f"judged by its own traffic: {found.figures()}, {'passed' if found.passed else 'FAILED'}"

    def summary(self, settings: Settings) -> str:
        where = (
            ", ".join(f"http://{n.address}:{settings.stack_port} ({n.hostname})" for n in self.edges) or "no node yet"
        )
        took = f"took: {self.phases}\n" if self.phases else ""
        return (
            took
            + self.judged(settings)
            + "\n"
            + (
                f"{settings.stack}: {self.replicas}/{self.replicas} replicas on {self.release.describe()} healthy, "
                f"{self.seconds:.0f}s after the deploy began; the edge answers at {where}"
            )
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
    progress: Progress,
    *,
    break_lock: bool,
    analyse: bool = True,
    image: str | None = None,
    to: str = "",
    rolling_back: bool = False,
) -> Deployed:
    """`inv deploy` (``image``, or HEAD's release) or `inv rollback` (``rolling_back``: the release
    before the one serving, or the one ``to`` names): under the stack's lock, wait until Swarm has
    converged, then, ``analyse``, judge the release by its own traffic. A deployed release whose 5xx
    share is too high is rolled back to the one that served before (it never counts as having
    served) and a ToolError says so; a rollback's is only reported. The manager is reached first:
    one that cannot be had is the first thing to say."""
    engines.manager  # noqa: B018 - connecting is the check
    release = rollback_target(engines, settings, to) if rolling_back else resolve(engines.local, settings, image)
    swarm, history = engines.swarm, engines.history
    swarm.require_manager()
    with history.locked(settings.stack, holder(), settings.project, break_lock=break_lock):
        before = swarm.serving(settings.stack)
        timeline = roll_out(engines, settings, release, progress)
        judgement = _judge(engines, settings, release, progress) if analyse else None
        if judgement is not None and not judgement.passed and not rolling_back:
            raise ToolError(_roll_back(engines, settings, release, before, judgement, progress))
        if release.revision == "unknown":  # the nodes pulled it now: this engine may know its label
            release = dataclasses.replace(release, revision=_revision(engines.local, release.web))
        history.record(settings.stack, release, holder(), settings.project)
        swarm.prune_secrets(settings.stack)
    seconds = ((timeline.seen or timeline.began) - timeline.began).total_seconds()
    return Deployed(release, settings.replicas, seconds, swarm.edges(settings.stack), judgement, timeline.phases())


def roll_out(engines: Engines, settings: Settings, release: Release, progress: Progress) -> Timeline:
    """`docker stack deploy` of ``release`` and the wait until it has converged; when each step
    happened. A ToolError (after any Swarm rollback is complete) when it has not."""
    swarm = engines.swarm
    pace = cadence(api_version(engines.manager))  # the engine that runs it, the manager, decides
    plan = plans.plan(settings, release, settings.replicas, secret(settings), pace)
    before = {name: swarm.before(settings.stack, name) for name in SERVICES}
    timeline = Timeline(began=datetime.now(UTC))
    swarm.deploy(plan)
    try:
        converge(swarm, engines.history, settings, release, settings.replicas, before, progress, timeline)
    except KeyboardInterrupt:
        raise ToolError(
            f"interrupted; the deploy lock is released and Swarm goes on with {settings.stack} "
            "on its own: watch it with `inv status`",
            code=130,
        ) from None
    return timeline


def _judge(engines: Engines, settings: Settings, release: Release, progress: Progress) -> Judgement:
    """``release``'s own traffic for docker.analysis_seconds, from the stack's monitor."""
    backend = plans.network(settings.stack)
    current = engines.swarm.tasks(f"{settings.stack}_web", "_up-to-date=true", "desired-state=running")
    addresses = [task.networks[backend] for task in current if backend in task.networks]
    try:
        with prometheus.monitor(engines.manager, settings.stack, release.monitor, settings.project) as monitor:
            requests, errors, seconds = prometheus.watch(monitor, addresses, settings.analysis_seconds, progress)
            seen = prometheus.scraped(monitor, addresses) if requests < settings.analysis_min_requests else None
    except (KeyboardInterrupt, ToolError) as error:  # Ctrl-C, or a monitor that does not answer
        engines.history.record(settings.stack, release, holder(), settings.project)
        why = "interrupted" if isinstance(error, KeyboardInterrupt) else error.message
        raise ToolError(
            f"{why}, while judging {release.describe()}: it stays in place, serving, not judged "
            "(`inv top` shows how it does)",
            code=130 if isinstance(error, KeyboardInterrupt) else 1,
        ) from None
    return judge(
        requests,
        errors,
        seconds,
        min_requests=settings.analysis_min_requests,
        max_ratio=settings.max_error_ratio,
        replicas=len(current),
        scraped=seen,
    )


def _roll_back(
    engines: Engines, settings: Settings, failed: Release, before: str | None, judgement: Judgement, progress: Progress
) -> str:
    """Put back the release that served before ``failed``, by the same health-gated path; the line
    that says what happened."""
    limit = f"docker.max_error_ratio ({settings.max_error_ratio:.1%})"
    seen = f"{failed.describe()} answered {judgement.figures()}, above {limit}"
    known = {r.release.digest: r.release for r in engines.history.releases(settings.stack)}
    previous = known.get((before or "").rsplit("@", 1)[-1])
    if previous is None:
        return f"{seen}; nothing served before it, so it stays: deploy a fixed release, or `inv undeploy`"
    progress(f"{seen}: rolling back to {previous.describe()}", "rolling back")
    roll_out(engines, settings, previous, progress)
    return f"{seen}: rolled back; {previous.describe()} serves again"


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

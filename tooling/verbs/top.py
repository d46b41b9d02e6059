"""`inv top`: the deployed stack now, from its monitor: per release and per replica (named as
`inv status` names them), requests per second, share of 5xx, p50 and p99 over the last minute,
requests in flight, and worker restarts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tooling.core.errors import ToolError
from tooling.core.terminal import table
from tooling.engine import prometheus
from tooling.models import metrics
from tooling.models.analysis import instance
from tooling.models.plan import network
from tooling.models.release import short
from tooling.models.swarm import Task

if TYPE_CHECKING:
    from tooling.core.settings import Settings
    from tooling.engine.engines import Engines


@contextmanager
def watching(engines: Engines, settings: Settings) -> Iterator[Callable[[], str]]:
    """A function that draws the table of the stack now, for the length of the block (one probe
    on the stack's network serves every look). One line when there is no stack, or no monitor."""
    swarm, stack = engines.swarm, settings.stack
    swarm.require_manager()
    if not swarm.deployed(stack):
        raise ToolError(f"{stack} is not deployed on this swarm; there is nothing to watch (`inv deploy`)")
    image = swarm.serving(stack, "monitor")
    if image is None:
        raise ToolError(f"{stack} has no monitor to ask; `inv push` and `inv deploy` give it one")
    revisions = {r.release.digest: r.release.revision for r in engines.history.releases(stack)}
    with prometheus.monitor(engines.manager, stack, image, settings.project) as monitor:

        def look() -> str:
            tasks = swarm.tasks(f"{stack}_web", "desired-state=running")
            answers = [[(s.labels, s.value) for s in vector] for vector in monitor.query(*metrics.QUERIES)]
            return draw(stack, tasks, metrics.figures(answers), revisions)

        yield look


def draw(stack: str, tasks: list[Task], found: dict[str, metrics.Figures], revisions: dict[str, str]) -> str:
    """A row per release (its replicas summed), then one per replica."""
    backend = network(stack)
    releases: dict[str, list[Task]] = {}
    for task in sorted(tasks, key=lambda t: t.slot or 0):
        releases.setdefault(task.image, []).append(task)
    rows = []
    for image, replicas in releases.items():
        revision = revisions.get(image.rsplit("@", 1)[-1], "")
        name = short(image) + (f" (rev {revision[:7]})" if revision and revision != "unknown" else "")
        each = [found.get(instance(t.networks.get(backend, "")), metrics.Figures()) for t in replicas]
        total = metrics.Figures()
        for figures in each:
            total = total.add(figures)
        rows.append({"replica": f"all {len(replicas)}", "release": name, **total.row()})
        rows += [
            {"replica": f"{stack}_web.{t.slot}", "release": "", **f.row()} for t, f in zip(replicas, each, strict=True)
        ]
    return table(rows) if rows else f"no replica of {stack}_web is running"

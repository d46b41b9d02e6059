"""The stack's monitor (Prometheus, docker/monitor/), asked from the manager the tasks talk to.

It publishes no port, and `docker exec` cannot reach a container on another node, so the questions
go through a probe: a short-lived container of the monitor's own image (its `promtool` asks the API)
started on the manager's engine, on the stack's attachable network, where the name `monitor`
answers. The probe lives as long as the `with` block that holds it (and removes itself after ten
minutes should this process be killed). The engine may refuse a probe, or an exec into it, once
and grant it the next time (attaching to a stack's network just redeployed: moby/moby#41841), so
each is tried a few times before the monitor is said not to answer."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from tooling.core.errors import ToolError, last_error_line
from tooling.core.waiting import Progress, wait_until
from tooling.engine.client import cli, retried
from tooling.engine.containers import labels
from tooling.models import analysis
from tooling.models.plan import network

if TYPE_CHECKING:
    from python_on_whales import DockerClient

URL = "http://monitor:9090"
PROBE_SECONDS = 600  # a probe left by a killed process goes by itself after this
TRIES, PAUSE = 3, 1.0  # each docker command of a look, and the seconds between its tries

T = TypeVar("T")


def patiently(call: Callable[[], T]) -> T:
    """``call()``, tried TRIES times, PAUSE apart, whatever the engine said when it refused it."""
    return retried(call, pauses=[PAUSE] * (TRIES - 1))


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


class Monitor:
    """PromQL instant queries to the stack's Prometheus, through a probe on its network."""

    def __init__(self, client: DockerClient, probe: str) -> None:
        self.client = client
        self.probe = probe

    def query(self, *expressions: str, at: float | None = None) -> list[list[Sample]]:
        """The instant vector each of ``expressions`` gives now (or at the Unix time ``at``), asked in
        one `docker exec` (over SSH, each exec costs a round trip or two)."""
        from python_on_whales.exceptions import DockerException

        when = f"--time {at:.3f} " if at is not None else ""
        asked = [f"promtool query instant -o json {when}{URL} {shlex.quote(e)} && echo" for e in expressions]
        try:
            said = patiently(lambda: cli(self.client, "exec", self.probe, "sh", "-c", " && ".join(asked)))
        except DockerException as error:
            raise ToolError(
                f"the stack's monitor did not answer ({last_error_line(error)}); see `inv status`"
            ) from None
        answers = [line for line in said.splitlines() if line.strip()]
        return [[Sample(f.get("metric", {}), float(f["value"][1])) for f in json.loads(a)] for a in answers]

    def by(self, label: str, *expressions: str, at: float | None = None) -> list[dict[str, float]]:
        """Each of ``expressions``' values keyed by one of their labels (an instance, say)."""
        return [{s.labels.get(label, ""): s.value for s in vector} for vector in self.query(*expressions, at=at)]


@contextmanager
def monitor(client: DockerClient, stack: str, image: str, project: str) -> Iterator[Monitor]:
    """A Monitor of ``stack``'s Prometheus (whose image is ``image``) for the length of the block."""
    from python_on_whales.exceptions import DockerException

    name = f"{stack}-probe-{os.getpid()}-{int(time.time() * 1000) % 100000}"

    def remove() -> None:
        with contextlib.suppress(DockerException):  # gone already: it removes itself when its sleep ends
            cli(client, "rm", "--force", name)

    def start() -> None:
        try:
            cli(
                client, "run", "--detach", "--rm", "--name", name, "--network", network(stack),
                *[f"--label={key}={value}" for key, value in labels(project, "probe").items()],
                "--entrypoint", "sleep", image, str(PROBE_SECONDS),
            )  # fmt: skip
        except DockerException:
            remove()  # refused at its start, it is left created: the next try takes its name
            raise

    try:
        patiently(start)
    except DockerException as error:
        raise ToolError(f"cannot ask the monitor of {stack}: {last_error_line(error)}") from None
    try:
        yield Monitor(client, name)
    finally:
        remove()


def count(monitor: Monitor, addresses: list[str], at: float | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """Requests and 5xx answers the replicas at ``addresses`` counted so far, per replica."""
    regex = analysis.instances(addresses)
    requests, errors = monitor.by(
        "instance", analysis.REQUESTS.format(instances=regex), analysis.ERRORS.format(instances=regex), at=at
    )
    return requests, errors


def watch(monitor: Monitor, addresses: list[str], seconds: int, progress: Progress) -> tuple[int, int, float]:
    """Requests and 5xx answers of the replicas at ``addresses`` from now for ``seconds`` (to the
    nearest scrape, 5 s), with a live line; (requests, errors, seconds watched)."""
    started = time.monotonic()
    requests_before, errors_before = count(monitor, addresses, at=time.time())
    seen = (0, 0, 0.0)

    def over() -> bool:
        nonlocal seen
        requests, errors = count(monitor, addresses)
        elapsed = time.monotonic() - started
        seen = (analysis.grown(requests_before, requests), analysis.grown(errors_before, errors), elapsed)
        line = f"judging the release by its traffic: {seen[0]} requests, {seen[1]} 5xx ({elapsed:.0f}s of {seconds}s)"
        progress(line, f"analysis {int(elapsed) // 5}")
        return elapsed >= seconds

    wait_until(over, timeout=seconds + 30, interval=min(5.0, seconds / 2))
    return seen


def scraped(monitor: Monitor, addresses: list[str]) -> int | None:
    """How many of the replicas at ``addresses`` the monitor read at its last scrape (none counted
    and none seen are not the same thing); None when it cannot say, which judges nothing."""
    try:
        (up,) = monitor.by("instance", analysis.SCRAPED.format(instances=analysis.instances(addresses)))
    except ToolError:
        return None
    return len(up)

"""A release judged by its own traffic: counts of what its replicas answered, read twice from the
monitor, and the verdict they give. Data only; engine/prometheus.py reads the counts."""

from __future__ import annotations

from dataclasses import dataclass

# What the app exports (service/metrics.py), as PromQL over the replicas at ``{instances}``.
REQUESTS = 'sum by (instance) (http_server_requests_total{{job="web", instance=~"{instances}"}})'
ERRORS = 'sum by (instance) (http_server_requests_total{{job="web", status=~"5..", instance=~"{instances}"}})'
# The replicas at ``{instances}`` whose last scrape answered.
SCRAPED = 'up{{job="web", instance=~"{instances}"}} == 1'
METRICS_PORT = 9464  # where each replica's gunicorn master serves them (docker/gunicorn.conf.py)


def instance(address: str) -> str:
    """The replica at ``address`` as the monitor names it: where its metrics are scraped."""
    return f"{address}:{METRICS_PORT}"


def instances(addresses: list[str]) -> str:
    """A PromQL regex that matches the replicas at ``addresses`` as the monitor names them."""
    return "|".join(instance(address).replace(".", "[.]") for address in sorted(addresses))


def grown(before: dict[str, float], after: dict[str, float]) -> int:
    """How much counters grew from ``before`` to ``after``, per instance then summed: an instance new
    since (or whose counter restarted with it) counts from 0."""
    total = 0.0
    for instance, value in after.items():
        start = before.get(instance, 0.0)
        total += value - start if value >= start else value
    return round(total)


@dataclass(frozen=True)
class Judgement:
    requests: int
    errors: int  # answered 5xx
    seconds: float
    enough: bool  # at least the minimum number of requests to judge by
    passed: bool
    replicas: int = 0  # the new release's replicas...
    scraped: int | None = None  # ...and how many of them the monitor read at the end (None: not asked)

    @property
    def ratio(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def figures(self) -> str:
        return f"{self.ratio:.1%} 5xx over {self.requests} requests in {self.seconds:.0f}s"


def judge(
    requests: int,
    errors: int,
    seconds: float,
    *,
    min_requests: int,
    max_ratio: float,
    replicas: int = 0,
    scraped: int | None = None,
) -> Judgement:
    """Too little traffic to judge is a pass (with a warning, said by the caller), never a failure."""
    enough = requests >= min_requests
    passed = not enough or errors / requests <= max_ratio
    return Judgement(requests, errors, seconds, enough, passed, replicas, scraped)

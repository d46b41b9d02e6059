"""What the replicas' metrics say over the last minute, per replica and per release, as `inv top`
shows it: data only (engine/prometheus.py asks; verbs/top.py puts names on the replicas)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

WINDOW = "1m"
# The queries one look takes, by instance (and status, or bucket), over the last minute.
QUERIES = (
    f'sum by (instance, status) (rate(http_server_requests_total{{job="web"}}[{WINDOW}]))',
    f'sum by (instance, le) (rate(http_server_request_duration_seconds_bucket{{job="web"}}[{WINDOW}]))',
    'sum by (instance) (http_server_requests_in_flight{job="web"})',
    'sum by (instance) (gunicorn_worker_restarts_total{job="web"})',
)


@dataclass
class Figures:
    """Rates of one replica, or of a release's replicas summed."""

    rps: float = 0.0
    errors: float = 0.0  # 5xx answers per second
    buckets: dict[float, float] = field(default_factory=dict)  # upper bound (s) -> cumulative rate
    in_flight: float = 0.0
    restarts: float = 0.0

    def add(self, other: Figures) -> Figures:
        buckets = dict(self.buckets)
        for bound, rate in other.buckets.items():
            buckets[bound] = buckets.get(bound, 0.0) + rate
        return Figures(
            self.rps + other.rps,
            self.errors + other.errors,
            buckets,
            self.in_flight + other.in_flight,
            self.restarts + other.restarts,
        )

    def row(self) -> dict[str, str]:
        share = f"{self.errors / self.rps:.1%}" if self.rps else "-"
        return {
            "req/s": f"{self.rps:.1f}",
            "5xx": share,
            "p50 ms": milliseconds(quantile(0.5, self.buckets)),
            "p99 ms": milliseconds(quantile(0.99, self.buckets)),
            "in flight": f"{self.in_flight:.0f}",
            "restarts": f"{self.restarts:.0f}",
        }


def milliseconds(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def quantile(q: float, buckets: dict[float, float]) -> float:
    """Prometheus's histogram_quantile over cumulative bucket rates: the bucket where the rank falls,
    interpolated linearly within it; NaN without traffic."""
    if not buckets:
        return math.nan
    bounds = sorted(buckets)
    total = buckets[bounds[-1]]
    if total <= 0:
        return math.nan
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        if buckets[bound] >= rank:
            if math.isinf(bound):
                return lower  # above the highest finite bucket: its bound is all one can say
            return lower + (bound - lower) * (rank - below) / max(buckets[bound] - below, 1e-12)
        lower, below = bound, buckets[bound]
    return bounds[-1]


def figures(answers: Iterable[list[tuple[dict[str, str], float]]]) -> dict[str, Figures]:
    """Per instance, from the answers to QUERIES (each a list of (labels, value))."""
    requests, buckets, in_flight, restarts = answers
    found: dict[str, Figures] = {}

    def of(labels: dict[str, str]) -> Figures:
        return found.setdefault(labels.get("instance", ""), Figures())

    for labels, value in requests:
        of(labels).rps += value
        if labels.get("status", "").startswith("5"):
            of(labels).errors += value
    for labels, value in buckets:
        bound = math.inf if labels.get("le") == "+Inf" else float(labels.get("le", "nan"))
        of(labels).buckets[bound] = value
    for labels, value in in_flight:
        of(labels).in_flight = value
    for labels, value in restarts:
        of(labels).restarts = value
    return found

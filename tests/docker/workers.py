"""Fake gunicorn workers for the metrics tests: each writes through prometheus_client's own
multiprocess value class, as a forked worker does, under a pid of its own; beside them, by hand,
what the merged metrics must then say."""

from collections import Counter as Tally
from contextlib import contextmanager

import pytest
from prometheus_client import Counter, Gauge, values
from prometheus_client.multiprocess import MultiProcessCollector

from service.metrics import Metrics

ROUTES = ("/test", "/items/<int:item_id>", "<unmatched>")
STATUSES = ("200", "404", "500")


@contextmanager
def process(pid):
    """Metrics created and recorded inside are written as process ``pid`` writes them."""
    saved = values.ValueClass
    values.ValueClass = values.MultiProcessValue(process_identifier=lambda: pid)
    try:
        yield
    finally:
        values.ValueClass = saved


class Expected:
    """What the merged metrics must say, kept by hand beside the files."""

    def __init__(self):
        self.requests: Tally[tuple[str, str]] = Tally()
        self.observations: Tally[float] = Tally()
        self.seconds = 0.0
        self.biggest = 0.0
        self.total = 0.0
        self.latest = None


def work(pid, expected, rng):
    """A worker's life: some requests, some gauges of each mode; values as expected to merge."""
    with process(pid):
        metrics = Metrics(None, version="1.0", revision="abc")
        extra_max = Gauge("extra_max", "max mode", multiprocess_mode="max", registry=None)
        extra_sum = Gauge("extra_sum", "sum mode", multiprocess_mode="sum", registry=None)
        extra_latest = Gauge("extra_latest", "mostrecent mode", multiprocess_mode="mostrecent", registry=None)
        extra_all = Gauge("extra_all", "all mode: a series per pid", multiprocess_mode="all", registry=None)
        plain = Counter("extra_events", "a counter without labels", registry=None)
        live = Gauge("extra_live", "livesum mode", multiprocess_mode="livesum", registry=None)
        for _ in range(rng.randint(1, 20)):
            route, status = rng.choice(ROUTES), rng.choice(STATUSES)
            seconds = rng.choice((0.0004, 0.004, 0.04, 0.4))
            metrics.requests.labels("GET", route, status).inc()
            metrics.duration.labels("GET", route).observe(seconds)
            expected.requests[(route, status)] += 1
            expected.observations[seconds] += 1
            expected.seconds += seconds
        live.inc()  # a livesum gauge: dropped with its process
        value = rng.uniform(0, 100)
        extra_max.set(value)
        expected.biggest = max(expected.biggest, value)
        extra_sum.set(value)
        expected.total += value
        extra_latest.set(value)
        expected.latest = value
        extra_all.set(value)
        plain.inc(2)


def merged(path):
    families = {f.name: f for f in MultiProcessCollector(None, str(path)).collect()}
    samples = {}
    for family in families.values():
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def totals(samples):
    """Every count a counter or histogram holds: what must never change when a worker's files move."""
    return {key: v for key, v in samples.items() if key[0].endswith(("_total", "_count", "_bucket"))}


def sums(samples):
    """A histogram's sum of seconds: the same, but for the order in which floats were added."""
    return pytest.approx({key: v for key, v in samples.items() if key[0].endswith("_sum")}, rel=1e-12)

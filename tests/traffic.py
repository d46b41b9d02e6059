"""Constant traffic for the deploy and cluster checks: requests from this machine through the
edges, a new connection each, never retried (bench/load.py's generator, in threads), and what came
of them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench import load


@dataclass
class Traffic:
    """Requests from this machine through the edges, a new connection each, never retried."""

    urls: list[str]
    figures: list[dict[str, Any]] = field(default_factory=list)  # one per URL, once the load ended
    seconds: float = 0.0  # how long the block under traffic ran, once it ended

    def total(self, key: str) -> int:
        return sum(int(f[key]) for f in self.figures)

    @property
    def requests(self) -> int:
        """Every request sent: those answered, whatever their status, and those that got no answer."""
        return self.total("requests") + self.total("socket_errors")

    @property
    def failed(self) -> int:
        return self.total("socket_errors") + self.total("non_2xx")

    @property
    def worst_client(self) -> int:
        """The most requests any one client saw fail."""
        return max((int(f["worst_client_failed"]) for f in self.figures), default=0)

    def summary(self) -> str:
        statuses: dict[str, int] = {}
        errors: dict[str, int] = {}
        for figures in self.figures:
            for key, count in figures["statuses"].items():
                statuses[key] = statuses.get(key, 0) + count
            for key, count in figures["errors"].items():
                errors[key] = errors.get(key, 0) + count
        return f"{self.requests} requests, {self.failed} failed ({errors}, {statuses})"


@contextmanager
def traffic(*urls: str, connections: int = 8, rate: float = 200, timeout: float = 5) -> Iterator[Traffic]:
    """Constant load on each of ``urls`` for as long as the block runs; the figures once it ended."""
    found = Traffic(list(urls))
    stop = threading.Event()

    def drive(url: str) -> None:
        run = load.run(url, connections, load.MAX_SECONDS, rate, new_connections=True, stop=stop, timeout=timeout)
        found.figures.append(asyncio.run(run))

    workers = [threading.Thread(target=drive, args=(url,), name=f"traffic-{n}") for n, url in enumerate(urls)]
    for worker in workers:
        worker.start()
    started = time.monotonic()
    try:
        yield found
    finally:
        found.seconds = time.monotonic() - started
        stop.set()
        for worker in workers:
            worker.join()

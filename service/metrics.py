"""The app's metrics for Prometheus, recorded only when ``PROMETHEUS_MULTIPROC_DIR`` is set.

prometheus_client's multiprocess mode: every process writes its values to files of its own in
that directory, and whoever serves ``/metrics`` merges them (here the server, outside the app:
docker/gunicorn_metrics.py). The app only records; it neither serves metrics nor knows which
server runs it. Without the variable nothing is imported, registered or recorded.

The health check's requests are not traffic and are not counted (nor is the metrics endpoint,
which is not the app's). An unmatched path (404, 405) is counted under one route label,
``UNMATCHED``, and an unknown method under ``_OTHER``, so that no client can grow the number of
series.

What a request pays is a dict lookup and three additions, in the worker's own memory: a tally per
(method, route, status) of requests, seconds and buckets. A thread of each worker flushes the
tallies into the client's files four times a second (``FLUSH_SECONDS``), and the worker flushes
at exit, so a graceful end (max_requests, a stop, a timeout's abort) loses nothing; a worker killed
outright loses at most its last quarter second. Writing each request into the files instead (a lock, a
pid check and an mmap write per value, five values a request) cost about 15% of the image's
throughput (bench/, "metrics off"). Requests in flight are the server's to count, not the app's:
a sync worker serves one at a time (docker/gunicorn_metrics.py).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Endpoints whose requests are not traffic: the health check asked every few seconds.
NOT_TRAFFIC = frozenset({"health.healthz"})
UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
OTHER_METHOD = "_OTHER"  # as OpenTelemetry's semantic conventions name it
# Seconds. Fine between 0.5 and 50 ms, where this app's requests fall, then coarser up to the 30 s
# at which gunicorn kills a stuck worker.
BUCKETS = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075,
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, float("inf"),
)  # fmt: skip
FLUSH_SECONDS = 0.25  # how often a worker's tallies reach the files the server reads


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether to record: the standard variable names a directory (the server set it up)."""
    return bool((os.environ if environ is None else environ).get(MULTIPROC_DIR))


class Metrics:
    """The app's metrics, and the middleware that records them.

    ``http_server_requests_total`` (counter; method, route, status): requests answered, by HTTP
    method, URL rule (``/items/<int:id>``, never the path ``/items/42``; ``<unmatched>`` for every
    path no rule matches) and exact status code (``"200"``, ``"404"``).

    ``http_server_request_duration_seconds`` (histogram; method, route): seconds from the
    request entering the app to its response starting; buckets from 0.5 ms to 30 s.

    ``flask_service_build_info`` (gauge; version, revision): always 1; the labels say what runs.
    """

    def __init__(
        self,
        registry: Any = None,
        *,
        version: str = "unknown",
        revision: str = "unknown",
        log: logging.Logger | None = None,
    ) -> None:
        # Imported here: with metrics off, the app never imports prometheus_client; with them on,
        # the server has set PROMETHEUS_MULTIPROC_DIR before this, which the client reads on import.
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter(
            "http_server_requests",
            "HTTP requests answered by the app, by method, URL rule and exact status code.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "http_server_request_duration_seconds",
            "Seconds the app took from routing a request to its response, by method and URL rule.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=registry,
        )
        build_info = Gauge(
            "flask_service_build_info",
            "Always 1; the labels say which build of the service runs.",
            ["version", "revision"],
            registry=registry,
            multiprocess_mode="livemax",
        )
        build_info.labels(version, revision).set(1)
        # (method, route, status) -> [requests, seconds, requests per bucket] since the last flush.
        self._tallies: dict[tuple[str, str, str], list[Any]] = {}
        self._lock = threading.Lock()  # the tallies: held for a request's three additions
        self._writing = threading.Lock()  # a flush, from taking the tallies to their last write
        self._flushing = False  # whether this process has its flusher (a fork has none)
        self._logged: set[str] = set()  # what failed and was logged, once: later failures are not
        self.log = log or logging.getLogger(__name__)
        mine = weakref.ref(self)  # a registration holds no app alive (the tests make many)
        os.register_at_fork(after_in_child=lambda: _forked(mine()))

    def record(self, environ: WSGIEnvironment, status: str, started: float) -> None:
        """Count a request whose response starts now, with ``status`` ("200 OK") and its route."""
        seconds = time.perf_counter() - started
        request = environ.get("werkzeug.request")  # Flask's request, until its context ends
        rule = request.url_rule if request is not None else None
        if rule is not None and rule.endpoint in NOT_TRAFFIC:
            return
        method = environ["REQUEST_METHOD"]
        if method not in METHODS:
            method = OTHER_METHOD
        self.tally((method, rule.rule if rule is not None else UNMATCHED, status[:3]), seconds)

    def tally(self, key: tuple[str, str, str], seconds: float) -> None:
        """One request of (method, route, status) that took ``seconds``, in this process's memory."""
        if not self._flushing:
            self._start_flushing()
        with self._lock:
            tally = self._tallies.get(key)
            if tally is None:
                tally = self._tallies[key] = [0, 0.0, [0] * len(BUCKETS)]
            tally[0] += 1
            tally[1] += seconds
            tally[2][bisect_left(BUCKETS, seconds)] += 1  # the first bucket whose bound holds it

    def flush(self) -> None:
        """The tallies into the client's values (its files, in multiprocess mode), and start anew.
        Each (method, route, status) seen costs a few writes, however many requests it counts.

        One flush at a time, to its last write: the exit's flush waits for the thread's, which
        would otherwise be frozen halfway by the interpreter's end with the counts it took."""
        with self._writing:
            with self._lock:  # requests wait only for the swap, never for the writes
                tallies, self._tallies = self._tallies, {}
            for (method, route, status), (count, seconds, buckets) in tallies.items():
                self.requests.labels(method, route, status).inc(count)
                histogram = self.duration.labels(method, route)
                histogram._sum.inc(seconds)
                for index, observed in enumerate(buckets):
                    if observed:
                        histogram._buckets[index].inc(observed)

    def _start_flushing(self) -> None:
        self._flushing = True
        mine = weakref.ref(self)  # the thread and the exit hook end with their Metrics (tests make many)
        threading.Thread(target=_flush_every, args=(mine,), name="metrics-flush", daemon=True).start()
        atexit.register(_flush, mine)  # a worker's graceful exit (gunicorn's sys.exit) runs it

    def flush_or_log(self) -> None:
        """``flush``, where nobody waits for it: a failure (a file that cannot grow) is logged, once,
        and those counts are lost; the requests never see it."""
        try:
            self.flush()
        except Exception:
            if self._first_failure("writing the counts"):
                self.log.exception("metrics: writing the counts failed; later failures are not logged")

    def _first_failure(self, what: str) -> bool:
        """Whether this is the first time ``what`` failed: only that one is logged."""
        first = what not in self._logged
        self._logged.add(what)
        return first

    def forked(self) -> None:
        """In a new process (a gunicorn worker forked from the master): no flusher yet, nothing tallied."""
        self._flushing = False
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._tallies = {}

    def middleware(self, wsgi_app: WSGIApplication) -> WSGIApplication:
        """``wsgi_app`` measured: from the request entering the app to its response starting.

        A WSGI middleware rather than Flask hooks (three of them, each looked up and called with a
        context lookup or two): the environ is in hand, and Flask's request with its URL rule is
        in it until the response has started. A failure to record is logged, once, and never
        fails the request.
        """
        record, clock = self.record, time.perf_counter

        def measured(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            started = clock()

            def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                try:
                    record(environ, status, started)
                except Exception:
                    if self._first_failure("recording a request"):
                        self.log.exception("metrics: recording a request failed; later failures are not logged")
                return start_response(status, headers, exc_info)

            return wsgi_app(environ, start)

        return measured


def _flush(mine: weakref.ref[Metrics]) -> bool:
    """Flush the Metrics ``mine`` refers to; False once it is gone."""
    metrics = mine()
    if metrics is None:
        return False
    metrics.flush_or_log()
    return True


def _flush_every(mine: weakref.ref[Metrics]) -> None:
    # Paced by an event that is never set rather than time.sleep: whatever replaces time.sleep in
    # the process (the unit tests' fake clocks do) must not drive, or be driven by, this thread.
    pause = threading.Event()
    while not pause.wait(FLUSH_SECONDS):
        if not _flush(mine):
            return


def _forked(metrics: Metrics | None) -> None:
    if metrics is not None:
        metrics.forked()


def init_app(app: Flask, registry: Any = None) -> Metrics:
    """Record ``app``'s metrics (into ``registry`` as well, when given: the tests read it there)."""
    metrics = Metrics(registry, version=app.config["VERSION"], revision=app.config["REVISION"], log=app.logger)
    app.extensions["metrics"] = metrics
    app.wsgi_app = metrics.middleware(app.wsgi_app)  # type: ignore[method-assign,assignment]
    return metrics

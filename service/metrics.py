"""The app's metrics for Prometheus, recorded only when ``PROMETHEUS_MULTIPROC_DIR`` is set.

prometheus_client's multiprocess mode: every process writes its values to files of its own in
that directory, and whoever serves ``/metrics`` merges them (here the server, outside the app:
docker/gunicorn_metrics.py). The app only records; it neither serves metrics nor knows which
server runs it. Without the variable nothing is imported, registered or recorded.

The health check's requests are not traffic and are not counted (nor is the metrics endpoint,
which is not the app's). An unmatched path (404, 405) is counted under one route label,
``UNMATCHED``, and an unknown method under ``_OTHER``, so that no client can grow the number of
series. The per-request path is short: one WSGI middleware, and the label children of each
(method, route, status) looked up once and kept.
"""

from __future__ import annotations

import logging
import os
import time
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

    ``http_server_requests_in_flight`` (gauge, the sum over live workers): requests inside the
    app now, health checks included (they hold a worker too).

    ``flask_service_build_info`` (gauge; version, revision): always 1; the labels say what runs.
    """

    def __init__(self, registry: Any = None, *, version: str = "unknown", revision: str = "unknown") -> None:
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
        self.in_flight = Gauge(
            "http_server_requests_in_flight",
            "HTTP requests the app is handling now.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        build_info = Gauge(
            "flask_service_build_info",
            "Always 1; the labels say which build of the service runs.",
            ["version", "revision"],
            registry=registry,
            multiprocess_mode="livemax",
        )
        build_info.labels(version, revision).set(1)
        # (method, route, status) -> the children of requests and duration for those labels.
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def _labelled(self, key: tuple[str, str, str]) -> tuple[Any, Any]:
        method, route, status = key
        children = self._children[key] = (
            self.requests.labels(method, route, status),
            self.duration.labels(method, route),
        )
        return children

    def record(self, environ: WSGIEnvironment, status: str, started: float) -> None:
        """Count a request whose response starts now, with ``status`` ("200 OK") and its route."""
        request = environ.get("werkzeug.request")  # Flask's request, until its context ends
        rule = request.url_rule if request is not None else None
        if rule is not None and rule.endpoint in NOT_TRAFFIC:
            return
        method = environ["REQUEST_METHOD"]
        if method not in METHODS:
            method = OTHER_METHOD
        key = (method, rule.rule if rule is not None else UNMATCHED, status[:3])
        requests, duration = self._children.get(key) or self._labelled(key)
        duration.observe(time.perf_counter() - started)
        requests.inc()

    def middleware(self, wsgi_app: WSGIApplication, log: logging.Logger) -> WSGIApplication:
        """``wsgi_app`` measured: from the request entering the app to its response starting.

        A WSGI middleware rather than Flask hooks (three of them, each looked up and called with a
        context lookup or two): the environ is in hand, and Flask's request with its URL rule is
        in it until the response has started. A failure to record is logged, once, and never
        fails the request.
        """
        in_flight, record, clock = self.in_flight, self.record, time.perf_counter
        failed = False

        def measured(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            started = clock()

            def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                nonlocal failed
                try:
                    record(environ, status, started)
                except Exception:
                    if not failed:
                        failed = True
                        log.exception("metrics: recording a request failed; later failures are not logged")
                return start_response(status, headers, exc_info)

            in_flight.inc()
            try:
                return wsgi_app(environ, start)
            finally:
                in_flight.dec()

        return measured


def init_app(app: Flask, registry: Any = None) -> Metrics:
    """Record ``app``'s metrics (into ``registry`` as well, when given: the tests read it there)."""
    metrics = Metrics(registry, version=app.config["VERSION"], revision=app.config["REVISION"])
    app.extensions["metrics"] = metrics
    app.wsgi_app = metrics.middleware(app.wsgi_app, app.logger)  # type: ignore[method-assign,assignment]
    return metrics

"""Metrics from every gunicorn worker, the machinery behind gunicorn.conf.py: prometheus_client's
multiprocess mode, served by the master.

The app (service/metrics.py) records into files of its own process in PROMETHEUS_MULTIPROC_DIR.
Here, in the master:

- The directory is on /dev/shm: a tmpfs in every container (`docker run IMAGE` as much as a
  read-only Swarm replica, where /tmp may not be writable), memory and not disk, and where
  gunicorn already keeps its workers' heartbeats. `prepare` (multiprocess_files.py) empties it before the app is
  imported, so a restarted server never counts a previous run's requests.
- `Exporter.serve` answers GET /metrics on a port of its own from a thread of the master: it
  answers whatever the workers are doing, and nothing of it is in the workers' request path.
- `Exporter.worker_exited` (gunicorn's child_exit) counts the restart and folds the dead worker's
  files into the archive (multiprocess_files.compact: what that bounds, and why it is safe).

prometheus_client is imported only inside these functions: it chooses its multiprocess mode
when first imported, which must come after gunicorn.conf.py set the variable, and with metrics
off it is never imported at all.
"""

from __future__ import annotations

import glob
import mmap
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from multiprocess_files import compact, prepare

# The default directory, when PROMETHEUS_MULTIPROC_DIR is not set.
DIRECTORY = "/dev/shm/prometheus"
PATH = "/metrics"
SLOTS = 4096  # workers the in-flight page can tell apart at once: a page, far above any worker count


class Exporter:
    """In gunicorn's master: the metrics endpoint, the restart counter and the compaction.

    ``gunicorn_worker_restarts_total`` (counter): workers that exited while the server was
    running (and were replaced): max_requests, a timeout, a crash, a kill. Counted by the master,
    in its own memory: the initial boot is not a restart, and neither is the server's own stop.

    ``http_server_requests_in_flight`` (gauge): requests the workers are serving now, health
    checks included (they hold a worker too). A sync worker serves one at a time, so each worker
    has a byte of a page the master shares with every worker it forks (``busy``), set and cleared
    by gunicorn's pre_request and post_request hooks, and the scrape adds them up: two byte stores
    a request, where a gauge in the client's files costs two locked file writes.
    """

    def __init__(self, directory: str, slots: int = SLOTS) -> None:
        self.directory = directory
        self.lock = threading.Lock()
        self.restarts = 0
        self.server: Any = None
        self.busy = mmap.mmap(-1, slots)  # anonymous and shared: every forked worker writes the same page
        self.free = list(range(slots))

    def worker_forking(self, worker: Any) -> None:
        """In the master, before ``worker`` is forked (pre_fork): the byte of the page it will set."""
        worker.busy_slot = self.free.pop(0) if self.free else None

    def request_began(self, worker: Any) -> None:
        if worker.busy_slot is not None:
            self.busy[worker.busy_slot] = 1

    def request_ended(self, worker: Any) -> None:
        if worker.busy_slot is not None:
            self.busy[worker.busy_slot] = 0

    def worker_exited(self, pid: int, *, slot: int | None = None, stopping: bool = False, log: Any = None) -> None:
        """A worker was reaped (gunicorn's child_exit): count it, free its byte of the page (a worker
        killed mid-request left it set), and fold its files away.

        Folding that fails (an unreadable file) is logged and leaves the worker's files where they
        are: still read by every scrape, only not folded. It never reaches gunicorn's main loop,
        which would stop the server.
        """
        if not stopping:
            self.restarts += 1
        if slot is not None:
            self.busy[slot] = 0
            self.free.append(slot)
        try:
            with self.lock:
                compact(self.directory, pid)
        except Exception:
            if log is None:
                raise
            log.exception("metrics: could not fold the files of worker %s; they stay, still counted", pid)

    def collect(self) -> Iterable[Any]:
        """Every process's metrics merged, the restart counter and the requests in flight
        (prometheus_client's Collector)."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
        from prometheus_client.multiprocess import MultiProcessCollector

        with self.lock:
            files = glob.glob(os.path.join(self.directory, "*.db"))
            families = list(MultiProcessCollector.merge(files, accumulate=True))
        restarts = CounterMetricFamily(
            "gunicorn_worker_restarts",
            "Workers that exited and were replaced while the server ran (max_requests, timeout, crash, kill).",
            value=self.restarts,
        )
        in_flight = GaugeMetricFamily(
            "http_server_requests_in_flight", "HTTP requests the workers are serving now.", value=sum(self.busy[:])
        )
        return [*families, restarts, in_flight]

    def wsgi_app(self) -> Callable[..., Iterable[bytes]]:
        """GET /metrics in Prometheus' text format (or OpenMetrics, gzip, as asked); 404 elsewhere."""
        from prometheus_client import CollectorRegistry, make_wsgi_app

        registry = CollectorRegistry(support_collectors_without_names=True)
        registry.register(self)
        metrics = make_wsgi_app(registry)

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("PATH_INFO") != PATH:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [f"metrics are at {PATH}\n".encode()]
            return metrics(environ, start_response)

        return app

    def serve(self, port: int, host: str = "0.0.0.0") -> int:
        """Answer on host:port from a daemon thread of this process; the port bound (0: any free one)."""
        from socketserver import ThreadingMixIn
        from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

        from prometheus_client import values

        if not values.ValueClass._multiprocess:
            # Imported before PROMETHEUS_MULTIPROC_DIR was set: the app would count per process.
            raise SystemExit("prometheus_client was imported before PROMETHEUS_MULTIPROC_DIR was set")

        class Server(ThreadingMixIn, WSGIServer):
            daemon_threads = True

        class Quiet(WSGIRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """No line per scrape; and no write to stderr from a thread while the master forks."""

        try:
            self.server = make_server(host, port, self.wsgi_app(), Server, Quiet)
        except OSError as error:
            raise SystemExit(f"METRICS_PORT={port}: cannot listen on {host}:{port}: {error.strerror}") from None
        threading.Thread(target=self.server.serve_forever, name="metrics", daemon=True).start()
        return int(self.server.server_port)

    def close_in_worker(self) -> None:
        """In a freshly forked worker: let go of the master's listening socket (post_fork)."""
        if self.server is not None:
            self.server.socket.close()


_exporter: Exporter | None = None


def exporter(directory: str) -> Exporter:
    """The master's one Exporter: the first call prepares ``directory``, later ones return it as it is.

    gunicorn reads gunicorn.conf.py again on SIGHUP, while workers run and the endpoint serves;
    emptying the directory then would lose their counts, and a second Exporter would compact
    under a lock the scrape does not hold. This module is imported once, so its state stays.
    """
    global _exporter
    if _exporter is None:
        prepare(directory)
        _exporter = Exporter(directory)
    return _exporter

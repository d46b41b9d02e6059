"""Metrics from every gunicorn worker, the machinery behind gunicorn.conf.py: prometheus_client's
multiprocess mode, served by the master.

The app (service/metrics.py) records into files of its own process in PROMETHEUS_MULTIPROC_DIR.
Here, in the master:

- The directory is on /dev/shm: a tmpfs in every container (`docker run IMAGE` as much as a
  read-only Swarm replica, where /tmp may not be writable), memory and not disk, and where
  gunicorn already keeps its workers' heartbeats. `prepare` empties it before the app is
  imported, so a restarted server never counts a previous run's requests.
- `Exporter.serve` answers GET /metrics on a port of its own from a thread of the master: it
  answers whatever the workers are doing, and nothing of it is in the workers' request path.
- `Exporter.worker_exited` (gunicorn's child_exit) counts the restart and folds the dead worker's
  files into the archive (`compact`).

The known trap of multiprocess mode (prometheus/client_python#204, #443): every worker writes
files named after its pid, nothing removes a dead worker's counters and histograms, and a
scrape reads every file, so with workers restarting (max_requests, timeouts, crashes) the
directory grows without end and scrapes slow down to seconds. Here the master folds a dead
worker's counter, histogram and summary files into one archive file per type (summing, key by
key) and deletes them; `live*` gauges of a dead pid are dropped (prometheus_client's own
mark_process_dead), other gauges folded by their mode (min, max, sum, mostrecent), and an `all`
gauge's per-pid series of a dead pid dropped. So the directory holds the live workers' files,
the master's and at most one archive per type, however many workers came and went.

Folding is safe where #204 found it was not: it runs in the master after gunicorn reaped the
worker and before it forks the next one (gunicorn 24+ runs child_exit in its main loop, not in a
signal handler), so no live process can own that pid's files; and it holds the lock the scrape
holds while it reads the files, so a scrape sees a worker's values either in its files or in
the archive, never in both or neither: totals never go down.

prometheus_client is imported only inside these functions: it chooses its multiprocess mode
when first imported, which must come after gunicorn.conf.py set the variable, and with metrics
off it is never imported at all.
"""

from __future__ import annotations

import contextlib
import glob
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# The default directory, when PROMETHEUS_MULTIPROC_DIR is not set.
DIRECTORY = "/dev/shm/prometheus"
# Where a dead worker's pid was in a file's name: counter_archive.db, gauge_max_archive.db.
ARCHIVE = "archive"
PATH = "/metrics"

Value = tuple[float, float]  # (value, timestamp), as prometheus_client's files hold them
Fold = Callable[[Value, Value], Value]


def prepare(directory: str) -> None:
    """Create ``directory``, or empty it of what a previous run left: before the app is imported."""
    path = Path(directory)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for leftover in [*path.glob("*.db"), *path.glob("*.db.tmp")]:
        leftover.unlink()


# --- compaction ---------------------------------------------------------------------------------


def _add(old: Value, new: Value) -> Value:
    return old[0] + new[0], max(old[1], new[1])


def _min(old: Value, new: Value) -> Value:
    return new if new[0] < old[0] else old


def _max(old: Value, new: Value) -> Value:
    return new if new[0] > old[0] else old


def _latest(old: Value, new: Value) -> Value:
    return new if new[1] > old[1] else old


# How a dead process's value joins the archive's, by file type (a gauge's by its mode). A gauge
# mode that is not here (`all`, and the `live*` ones) is dropped with its process.
FOLDS: dict[str, Fold] = {
    "counter": _add,
    "histogram": _add,  # buckets are stored per bucket, not cumulated: they add up
    "summary": _add,
    "gauge_sum": _add,
    "gauge_min": _min,
    "gauge_max": _max,
    "gauge_mostrecent": _latest,
}


def _read(path: str) -> dict[str, Value]:
    from prometheus_client.mmap_dict import MmapedDict

    if not os.path.exists(path):
        return {}
    return {key: (value, timestamp) for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(path)}


def _fold(source: str, archive: str, fold: Fold) -> None:
    """``archive`` replaced by itself with ``source`` folded in: whole, or not at all."""
    from prometheus_client.mmap_dict import MmapedDict

    merged = _read(archive)
    for key, entry in _read(source).items():
        merged[key] = fold(merged[key], entry) if key in merged else entry
    staged = archive + ".tmp"  # not *.db: no scrape reads it
    try:
        target = MmapedDict(staged)
        try:
            for key, (value, timestamp) in merged.items():
                target.write_value(key, value, timestamp)
        finally:
            target.close()
        os.replace(staged, archive)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(staged)
        raise


def compact(directory: str, pid: int) -> None:
    """Fold dead process ``pid``'s files into the archive files and delete them.

    The caller holds the lock the scrape holds, and ``pid`` is dead and reaped.
    """
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, directory)  # the live* gauges
    suffix = f"_{pid}.db"
    for source in glob.glob(os.path.join(directory, f"*{suffix}")):
        kind = os.path.basename(source)[: -len(suffix)]  # counter, histogram, gauge_max, ...
        fold = FOLDS.get(kind)
        if fold is not None:
            _fold(source, os.path.join(directory, f"{kind}_{ARCHIVE}.db"), fold)
        elif not kind.startswith("gauge_"):
            continue  # a type this code does not know: kept, rather than lose its values
        os.remove(source)


# --- the master's side ------------------------------------------------------------------------


class Exporter:
    """In gunicorn's master: the metrics endpoint, the restart counter and the compaction.

    ``gunicorn_worker_restarts_total`` (counter): workers that exited while the server was
    running (and were replaced): max_requests, a timeout, a crash, a kill. Counted by the master,
    in its own memory: the initial boot is not a restart, and neither is the server's own stop.
    """

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.lock = threading.Lock()
        self.restarts = 0
        self.server: Any = None

    def worker_exited(self, pid: int, *, stopping: bool = False, log: Any = None) -> None:
        """A worker was reaped (gunicorn's child_exit): count it, and fold its files away.

        Folding that fails (an unreadable file) is logged and leaves the worker's files where they
        are: still read by every scrape, only not folded. It never reaches gunicorn's main loop,
        which would stop the server.
        """
        if not stopping:
            self.restarts += 1
        try:
            with self.lock:
                compact(self.directory, pid)
        except Exception:
            if log is None:
                raise
            log.exception("metrics: could not fold the files of worker %s; they stay, still counted", pid)

    def collect(self) -> Iterable[Any]:
        """Every process's metrics merged, and the restart counter (prometheus_client's Collector)."""
        from prometheus_client.core import CounterMetricFamily
        from prometheus_client.multiprocess import MultiProcessCollector

        with self.lock:
            files = glob.glob(os.path.join(self.directory, "*.db"))
            families = list(MultiProcessCollector.merge(files, accumulate=True))
        restarts = CounterMetricFamily(
            "gunicorn_worker_restarts",
            "Workers that exited and were replaced while the server ran (max_requests, timeout, crash, kill).",
            value=self.restarts,
        )
        return [*families, restarts]

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

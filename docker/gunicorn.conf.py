"""gunicorn settings for the service, read from the environment with defaults."""

import math
import os
import sys
from pathlib import Path
from typing import Any

# The log and metrics machinery lives beside this file (docker/gunicorn_logs.py, gunicorn_metrics.py).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gunicorn_logs
import gunicorn_metrics

CGROUP = Path("/sys/fs/cgroup")


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _off(name: str) -> bool:
    return os.environ.get(name, "").lower() in {"0", "off", "false", "no"}


def cpu_quota(cgroup: Path = CGROUP) -> float | None:
    """The CPUs' worth of time this container may use (`docker run --cpus`, a replica's limit), or None."""
    try:  # cgroup v2: "50000 100000", or "max 100000" for no limit
        limit, period = (cgroup / "cpu.max").read_text().split()
        return int(limit) / int(period) if limit != "max" else None
    except (OSError, ValueError):
        pass
    try:  # cgroup v1: a quota of -1 is no limit
        quota = int((cgroup / "cpu" / "cpu.cfs_quota_us").read_text())
        every = int((cgroup / "cpu" / "cpu.cfs_period_us").read_text())
        return quota / every if quota > 0 else None
    except (OSError, ValueError):
        return None


def cpus(cgroup: Path = CGROUP) -> int:
    """The CPUs this container may use: its quota rounded up, at least 1, never more than its
    affinity mask (a cpuset shows there; os.cpu_count() sees the whole host)."""
    allowed = len(os.sched_getaffinity(0))
    quota = cpu_quota(cgroup)
    return allowed if quota is None else max(1, min(allowed, math.ceil(quota)))


PORT = _int("PORT", 8000)
bind = f"0.0.0.0:{PORT}"
# Sync workers: a request that hangs past `timeout` gets its worker killed and replaced.
workers = _int("WEB_CONCURRENCY", 2 * cpus() + 1)
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (docker stop) workers finish their requests for up to this long.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# A worker is replaced after this many requests (0: never), give or take 10% so that workers do not
# all restart at once: a bound on what a slow leak can grow to.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
# Heartbeat files on tmpfs: the container runs with a read-only root filesystem.
worker_tmp_dir = "/dev/shm"
# No control socket (gunicorn 24+): nothing uses it, and the user's home is not writable.
control_socket_disable = True
reload = os.environ.get("GUNICORN_RELOAD", "").lower() in {"1", "true", "yes", "on"}
# The app is imported once, in the master, and its workers forked from it: they start at once,
# and share its memory until they write to it. (Not with reload, which must import afresh.)
preload_app = not reload

# Logs: one JSON line per event, the app's format (service/logs.py), at one level for both, each with
# the request's id when there is one. Access lines: json, text (the classic line), or off, the
# image's default: a line per request is what the image as shipped would pay for on every request
# (building it, and Docker's log pipeline parsing it), where in the stack the edge already writes
# one with the same id, upstream and timing. `inv run` turns them on, as a developer wants to see
# requests (docker.access_log).
loglevel = gunicorn_logs.log_level()
errorlog = "-"
ACCESS_LOG = "off" if _off("GUNICORN_ACCESS_LOG") else os.environ.get("GUNICORN_ACCESS_LOG", "off").lower()
if ACCESS_LOG not in {"text", "json", "off"}:
    raise SystemExit(f"GUNICORN_ACCESS_LOG={ACCESS_LOG!r}: give text, json or off")
accesslog = None if ACCESS_LOG == "off" else "-"
logger_class = gunicorn_logs.ServiceLogger
gunicorn_logs.ServiceLogger.access_format = ACCESS_LOG
# Access lines leave in batches at least this often (seconds; 0: each line at once).
ACCESS_LOG_FLUSH = float(os.environ.get("GUNICORN_ACCESS_LOG_FLUSH", "1"))
gunicorn_logs.ServiceLogger.flush_seconds = ACCESS_LOG_FLUSH

# Metrics for Prometheus from every worker, served by this master on a port of its own, which the
# edge never proxies and nothing publishes (docker/gunicorn_metrics.py); 0 turns them off. The
# variable goes into the environment now, before the app is imported (here, with preload_app, or
# in each worker): prometheus_client chooses its multiprocess mode on import, and the app records
# only when it is set.
METRICS_PORT = _int("METRICS_PORT", 9464)
if not 0 <= METRICS_PORT <= 65535 or METRICS_PORT == PORT:
    raise SystemExit(f"METRICS_PORT={METRICS_PORT}: give a free port other than PORT's, or 0 for no metrics")
exporter = None
if METRICS_PORT:
    METRICS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or gunicorn_metrics.DIRECTORY
    try:  # emptied when gunicorn starts; a reload (SIGHUP reads this file again) keeps it as it is
        exporter = gunicorn_metrics.exporter(METRICS_DIR)
    except OSError as error:
        raise SystemExit(f"PROMETHEUS_MULTIPROC_DIR={METRICS_DIR}: {error.strerror}; give a writable tmpfs") from None
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = exporter.directory
else:
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # off means off, whatever the environment says


def when_ready(server: Any) -> None:
    if exporter is not None:
        port = exporter.serve(METRICS_PORT)
        server.log.info("Metrics at http://0.0.0.0:%s%s (%s)", port, gunicorn_metrics.PATH, exporter.directory)


def post_fork(server: Any, worker: Any) -> None:
    if exporter is not None:
        exporter.close_in_worker()
    if accesslog and ACCESS_LOG_FLUSH > 0:
        worker.log.flush_every(ACCESS_LOG_FLUSH)


def worker_exit(server: Any, worker: Any) -> None:
    worker.log.flush_access()


def child_exit(server: Any, worker: Any) -> None:
    # In the master, after the worker was reaped and before its replacement is forked. A stopping
    # server has closed its listeners: its workers' exits are not restarts.
    if exporter is not None:
        slot = getattr(worker, "busy_slot", None)
        exporter.worker_exited(worker.pid, slot=slot, stopping=not server.LISTENERS, log=server.log)


if exporter is not None:  # requests in flight: a byte per worker in a page the master shares
    _exporter = exporter

    def pre_fork(server: Any, worker: Any) -> None:
        _exporter.worker_forking(worker)

    def pre_request(worker: Any, req: Any) -> None:
        _exporter.request_began(worker)

    def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
        _exporter.request_ended(worker)

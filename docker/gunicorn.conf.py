"""gunicorn settings for the service, read from the environment with defaults."""

import math
import os
import sys
from pathlib import Path
from typing import Any

# The log machinery lives beside this file (docker/gunicorn_logs.py).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gunicorn_logs

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


bind = f"0.0.0.0:{_int('PORT', 8000)}"
# Sync workers: a request that hangs past `timeout` gets its worker killed and replaced.
workers = _int("WEB_CONCURRENCY", 2 * cpus() + 1)
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (docker stop) workers finish their requests for up to this long.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Heartbeat files on tmpfs: the container runs with a read-only root filesystem.
worker_tmp_dir = "/dev/shm"
# No control socket (gunicorn 24+): nothing uses it, and the user's home is not writable.
control_socket_disable = True
reload = os.environ.get("GUNICORN_RELOAD", "").lower() in {"1", "true", "yes", "on"}
# The app is imported once, in the master, and its workers forked from it: they start at once,
# and share its memory until they write to it. (Not with reload, which must import afresh.)
preload_app = not reload

# Logs: one JSON line per event, the app's format (service/logs.py), at one level for both. Access
# lines: json (the default), text (the classic line), or off.
loglevel = gunicorn_logs.log_level()
errorlog = "-"
ACCESS_LOG = os.environ.get("GUNICORN_ACCESS_LOG", "json").lower()
if ACCESS_LOG not in {"text", "json"} and not _off("GUNICORN_ACCESS_LOG"):
    raise SystemExit(f"GUNICORN_ACCESS_LOG={ACCESS_LOG!r}: give text, json or off")
accesslog = None if _off("GUNICORN_ACCESS_LOG") else "-"
logger_class = gunicorn_logs.ServiceLogger
gunicorn_logs.ServiceLogger.access_format = ACCESS_LOG
# Access lines leave in batches at least this often (seconds; 0: each line at once).
ACCESS_LOG_FLUSH = float(os.environ.get("GUNICORN_ACCESS_LOG_FLUSH", "1"))
gunicorn_logs.ServiceLogger.flush_seconds = ACCESS_LOG_FLUSH


def post_fork(server: Any, worker: Any) -> None:
    if accesslog and ACCESS_LOG_FLUSH > 0:
        worker.log.flush_every(ACCESS_LOG_FLUSH)


def worker_exit(server: Any, worker: Any) -> None:
    worker.log.flush_access()

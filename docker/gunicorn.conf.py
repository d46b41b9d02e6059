"""gunicorn settings for the service, read from the environment with defaults."""

import os
import sys
from typing import Any

# The access-log machinery lives beside this file (docker/access_log.py).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import access_log


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _cpus() -> int:
    # The CPUs this container may use (a cpuset limit shows here; os.cpu_count() would not).
    return len(os.sched_getaffinity(0))


bind = f"0.0.0.0:{_int('PORT', 8000)}"
# Sync workers: a request that hangs past `timeout` gets its worker killed and replaced.
workers = _int("WEB_CONCURRENCY", 2 * _cpus() + 1)
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (docker stop) workers finish their requests for up to this long.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Heartbeat files on tmpfs: the container runs with a read-only root filesystem.
worker_tmp_dir = "/dev/shm"
# No control socket (gunicorn 24+): nothing uses it, and the user's home is not writable.
control_socket_disable = True
reload = os.environ.get("GUNICORN_RELOAD", "").lower() in {"1", "true", "yes", "on"}

loglevel = os.environ.get("LOG_LEVEL", "info").lower()
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Access lines leave in batches at least this often (seconds; 0: each line at once).
ACCESS_LOG_FLUSH = float(os.environ.get("GUNICORN_ACCESS_LOG_FLUSH", "1"))
if ACCESS_LOG_FLUSH > 0:
    logger_class = access_log.BatchedAccessLogger


def post_fork(server: Any, worker: Any) -> None:
    if ACCESS_LOG_FLUSH > 0:
        access_log.flush_every(ACCESS_LOG_FLUSH)


def worker_exit(server: Any, worker: Any) -> None:
    access_log.flush_all()

"""gunicorn settings for the service, read from the environment with defaults."""

import logging
import os
import sys
import threading
import time
from typing import Any, TextIO

from gunicorn.glogging import Logger


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

# --- the access log, written in batches ------------------------------------------------------
# One write per request costs more in the container's log pipeline than the request itself
# (measured: about a tenth of the throughput). Like nginx's `access_log ... buffer= flush=`,
# lines wait at most ACCESS_LOG_FLUSH seconds (0: write each at once) and leave in whole-line
# writes of at most PIPE_BUF bytes, which the pipe keeps apart from the other workers' writes.
ACCESS_LOG_FLUSH = float(os.environ.get("GUNICORN_ACCESS_LOG_FLUSH", "1"))
PIPE_BUF = 4096


class BatchedStreamHandler(logging.StreamHandler):
    def __init__(self, stream: TextIO | None = None, capacity: int = PIPE_BUF) -> None:
        super().__init__(stream)
        self.capacity = capacity
        self.pending: list[str] = []
        self.size = 0
        self._gunicorn = True  # how gunicorn recognises its own handlers on a reload

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:  # noqa: BLE001 - as logging.StreamHandler does
            self.handleError(record)
            return
        with self.lock:  # type: ignore[union-attr]
            if self.size + len(line) > self.capacity:
                self._write()
            self.pending.append(line)
            self.size += len(line)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write()

    def _write(self) -> None:
        if self.pending:
            self.stream.write("".join(self.pending))
            self.stream.flush()
            self.pending.clear()
            self.size = 0


class BatchedAccessLogger(Logger):
    def _set_handler(self, log: logging.Logger, output: str | None, fmt: logging.Formatter, stream: Any = None) -> None:
        super()._set_handler(log, output, fmt, stream)
        if log is self.access_log and output == "-" and ACCESS_LOG_FLUSH > 0:
            plain = self._get_gunicorn_handler(log)
            batched = BatchedStreamHandler(sys.stdout)
            batched.setFormatter(fmt)
            log.removeHandler(plain)
            log.addHandler(batched)


logger_class = BatchedAccessLogger


def _access_handlers() -> list[BatchedStreamHandler]:
    return [h for h in logging.getLogger("gunicorn.access").handlers if isinstance(h, BatchedStreamHandler)]


def post_fork(server: Any, worker: Any) -> None:
    """Each worker flushes its own batch: threads do not survive the fork."""

    def flush_every_interval() -> None:
        while True:
            time.sleep(ACCESS_LOG_FLUSH)
            for handler in _access_handlers():
                handler.flush()

    if ACCESS_LOG_FLUSH > 0:
        threading.Thread(target=flush_every_interval, name="access-log-flush", daemon=True).start()


def worker_exit(server: Any, worker: Any) -> None:
    for handler in _access_handlers():
        handler.flush()

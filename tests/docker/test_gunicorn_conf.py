"""docker/gunicorn.conf.py: settings from the environment, and the batched access log."""

import io
import logging
import runpy

import pytest

from tooling.settings import ROOT

CONFIG = ROOT / "docker" / "gunicorn.conf.py"


def load(monkeypatch, **env):
    for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "GUNICORN_RELOAD", "GUNICORN_ACCESS_LOG_FLUSH"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_defaults(monkeypatch):
    config = load(monkeypatch)
    assert config["bind"] == "0.0.0.0:8000"
    assert config["workers"] >= 3
    assert config["timeout"] == 30 and config["graceful_timeout"] == 20
    assert config["accesslog"] == "-" and config["reload"] is False
    assert config["control_socket_disable"] is True


def test_environment_overrides(monkeypatch):
    config = load(monkeypatch, PORT="9000", WEB_CONCURRENCY="2", GUNICORN_TIMEOUT="5", GUNICORN_RELOAD="1")
    assert (config["bind"], config["workers"], config["timeout"], config["reload"]) == ("0.0.0.0:9000", 2, 5, True)


class Recorder(io.StringIO):
    def __init__(self):
        super().__init__()
        self.writes = []

    def write(self, text):
        self.writes.append(text)
        return super().write(text)


def record(message):
    return logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, message, None, None)


@pytest.fixture
def handler(monkeypatch):
    config = load(monkeypatch)
    stream = Recorder()
    batched = config["BatchedStreamHandler"](stream)
    batched.setFormatter(logging.Formatter("%(message)s"))
    return batched, stream


def test_lines_wait_for_the_flush(handler):
    batched, stream = handler
    batched.emit(record("GET /a"))
    batched.emit(record("GET /b"))
    assert stream.writes == []
    batched.flush()
    assert stream.writes == ["GET /a\nGET /b\n"]


def test_every_line_arrives_whole_in_writes_no_larger_than_pipe_buf(handler):
    batched, stream = handler
    lines = [f"GET /{i} " + "x" * (i % 150) for i in range(2000)]
    for line in lines:
        batched.emit(record(line))
    batched.flush()
    assert all(len(write.encode()) <= 4096 for write in stream.writes)
    assert all(write.endswith("\n") for write in stream.writes)
    assert stream.getvalue().splitlines() == lines
    assert len(stream.writes) < len(lines) / 20, "lines leave in batches"


def test_flush_zero_keeps_gunicorns_plain_handler(monkeypatch):
    config = load(monkeypatch, GUNICORN_ACCESS_LOG_FLUSH="0")
    assert config["ACCESS_LOG_FLUSH"] == 0

"""docker/access_log.py: access lines leave in batches, whole, in writes no larger than PIPE_BUF."""

import io
import logging
import sys

import pytest

from tooling.settings import ROOT

sys.path.insert(0, str(ROOT / "docker"))  # where gunicorn.conf.py finds it in the image
from access_log import PIPE_BUF, BatchedStreamHandler


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
def handler():
    stream = Recorder()
    batched = BatchedStreamHandler(stream)
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
    assert all(len(write.encode()) <= PIPE_BUF for write in stream.writes)
    assert all(write.endswith("\n") for write in stream.writes)
    assert stream.getvalue().splitlines() == lines
    assert len(stream.writes) < len(lines) / 20, "lines leave in batches"

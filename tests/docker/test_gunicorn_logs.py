"""docker/gunicorn_logs.py: access lines, text or JSON, whole, in writes of at most PIPE_BUF bytes."""

import io
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn_logs import PIPE_BUF, Batch, ServiceLogger

from service.request_id import ENVIRON_KEY


class Recorder(io.BytesIO):
    def __init__(self):
        super().__init__()
        self.writes = []

    def write(self, data):
        self.writes.append(bytes(data))
        return super().write(data)


def test_lines_wait_for_the_flush():
    stream = Recorder()
    batch = Batch(stream)
    batch.add(b"GET /a\n")
    batch.add(b"GET /b\n")
    assert stream.writes == []
    batch.flush()
    assert stream.writes == [b"GET /a\nGET /b\n"]


@pytest.mark.parametrize("text", ["ascii", "é" * 40, "日本語のパス" * 10, "🙂" * 30])
def test_every_write_is_whole_lines_no_larger_than_pipe_buf_in_bytes(text):
    """Counting characters would let a batch of non-ASCII lines pass PIPE_BUF in bytes, and then
    another worker's write could land inside it."""
    stream = Recorder()
    batch = Batch(stream)
    lines = [f"GET /{text}/{i} {'x' * (i % 150)}\n".encode() for i in range(2000)]
    for line in lines:
        batch.add(line)
    batch.flush()
    assert all(len(write) <= PIPE_BUF for write in stream.writes)
    assert all(write.endswith(b"\n") for write in stream.writes)
    assert stream.getvalue().splitlines(keepends=True) == lines
    assert len(stream.writes) < len(lines) / 2, "lines leave in batches"


@pytest.fixture
def logger(monkeypatch):
    """A ServiceLogger writing to a Recorder; the class settings it changes are put back after."""

    def make(accesslog="-", flush=1.0, access_format="json"):
        monkeypatch.setattr(ServiceLogger, "flush_seconds", flush)
        monkeypatch.setattr(ServiceLogger, "access_format", access_format)
        cfg = SimpleNamespace(
            loglevel="info", errorlog="-", accesslog=accesslog, capture_output=False, syslog=False,
            logconfig_dict={}, logconfig_json=None, logconfig=None, disable_redirect_access_to_syslog=False,
            user=0, group=0,
        )  # fmt: skip
        found = ServiceLogger(cfg)
        found.batch = found.batch and Batch(Recorder(), found.batch.capacity)
        return found

    return make


def request(path="/test?x=1", agent="curl/8", request_id="rid-1"):
    resp = SimpleNamespace(status_code=200, sent=17)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": path.split("?")[0], "REMOTE_ADDR": "10.0.0.2"}
    environ["HTTP_USER_AGENT"] = agent
    if request_id is not None:
        environ[ENVIRON_KEY] = request_id  # as the app leaves it (service/request_id.py)
    return resp, None, environ, timedelta(microseconds=1234)


def written(found):
    found.flush_access()
    return found.batch.stream.getvalue().decode().splitlines()


def test_a_text_access_line_when_asked_for(logger):
    found = logger(access_format="text")
    found.access(*request())
    assert written(found) == ['10.0.0.2 "GET /test?x=1" 200 17 1.23ms "curl/8" "rid-1"']


def test_a_text_line_escapes_what_could_break_it_or_forge_another(logger):
    found = logger(access_format="text")
    found.access(*request(agent='evil" 200 0\nforged\\line', request_id='id "with" quotes'))
    (line,) = written(found)
    expected = '"evil\\x22 200 0\\x0aforged\\x5cline" "id \\x22with\\x22 quotes"'
    assert line == f'10.0.0.2 "GET /test?x=1" 200 17 1.23ms {expected}'


def test_a_json_access_line_by_default_is_one_object_in_the_apps_shape(logger):
    found = logger()
    found.access(*request(agent='evil"\nagent'))
    (line,) = written(found)
    event = json.loads(line)
    assert event["logger"] == "access" and event["level"] == "INFO" and event["time"][:2] == "20"
    assert (event["method"], event["path"], event["status"], event["bytes"]) == ("GET", "/test?x=1", 200, 17)
    assert event["ms"] == 1.23 and event["message"] == "GET /test?x=1 200"
    assert event["agent"] == 'evil"\nagent', "escaped, so one request is one line"
    assert event["request_id"] == "rid-1"


@pytest.mark.parametrize("access_format", ["json", "text"])
def test_the_request_id_is_the_one_the_app_left_in_the_environ(access_format, logger):
    found = logger(access_format=access_format)
    found.access(*request(request_id="0123456789abcdef0123456789abcdef"))
    (line,) = written(found)
    assert "0123456789abcdef0123456789abcdef" in line


def test_a_request_the_app_never_saw_has_no_id(logger):
    found = logger()
    found.access(*request(request_id=None))
    assert json.loads(written(found)[0])["request_id"] is None


def test_health_checks_are_not_logged(logger):
    found = logger()
    found.access(*request("/healthz"))
    found.flush_access()
    assert found.batch.stream.getvalue() == b""


def test_no_access_log_costs_nothing(logger):
    found = logger(accesslog=None)
    assert found.batch is None
    found.access(*request())  # nothing to write to, nothing written


def test_flush_zero_writes_each_line_at_once(logger):
    found = logger(flush=0)
    found.access(*request())
    assert found.batch.stream.writes, "written before any flush"

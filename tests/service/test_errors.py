import json
import logging

import pytest

from service import create_app
from service.logs import OneLineFormatter


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nope", 404), ("DELETE", "/test", 405), ("PUT", "/healthz", 405), ("GET", "/" + "a" * 3000, 404)],
)
def test_http_errors_are_json_with_their_status(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.is_json
    assert response.get_json()["error"]["status"] == status


def test_an_unexpected_error_is_a_500_without_a_traceback(capsys):
    app = create_app({"TESTING": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    assert "secret detail" not in body
    assert response.get_json()["error"]["status"] == 500
    logged = capsys.readouterr().err.strip().splitlines()
    assert len(logged) == 1, "the traceback is folded into one log line"
    event = json.loads(logged[0])
    assert event["level"] == "ERROR"
    assert "RuntimeError: secret detail" in event["exception"]


def test_log_lines_are_one_json_object_each():
    record = logging.LogRecord("service", logging.INFO, __file__, 1, "hello\nworld", None, None)
    line = OneLineFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["message"] == "hello\nworld"

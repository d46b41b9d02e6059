"""service/request_id.py: the edge's X-Request-ID kept when it is sane, a fresh one otherwise, and
the id in the response header, the error body and the error log line."""

import json
import re
import string

import pytest

from service import create_app
from service.request_id import ENVIRON_KEY, MAX_LENGTH, choose

FRESH = re.compile(r"[0-9a-f]{32}")
PRINTABLE_ASCII = "".join(chr(c) for c in range(0x20, 0x7F))


@pytest.mark.parametrize(
    "incoming",
    [
        "0123456789abcdef0123456789abcdef",  # nginx's $request_id
        "a",
        "x" * MAX_LENGTH,
        PRINTABLE_ASCII,  # every printable ASCII character, space and quotes included
        'with "quotes" and \\ backslash',
    ],
)
def test_an_incoming_id_of_up_to_128_printable_ascii_characters_is_kept_exactly(incoming):
    assert len(incoming) <= MAX_LENGTH
    assert choose(incoming) == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        None,
        "",
        "x" * (MAX_LENGTH + 1),
        "tab\there",
        "new\nline",
        "nul\x00",
        "del\x7f",
        "é",  # not ASCII (a header's latin-1 byte, as WSGI hands it over)
        "日本",
    ],
)
def test_anything_else_gets_a_fresh_id(incoming):
    assert FRESH.fullmatch(choose(incoming))


def test_fresh_ids_differ():
    assert len({choose(None) for _ in range(1000)}) == 1000


def test_the_id_goes_back_as_a_response_header(client):
    assert client.get("/test", headers={"X-Request-ID": "edge-id-1"}).headers["X-Request-ID"] == "edge-id-1"
    assert FRESH.fullmatch(client.get("/test").headers["X-Request-ID"])
    too_long = "y" * (MAX_LENGTH + 1)
    assert FRESH.fullmatch(client.get("/test", headers={"X-Request-ID": too_long}).headers["X-Request-ID"])


def test_a_non_printable_header_is_replaced_as_it_arrives_in_the_environ(client):
    # The test client refuses control characters in headers; a server hands them over in the environ.
    response = client.get("/test", environ_overrides={"HTTP_X_REQUEST_ID": "bad\x01id"})
    assert FRESH.fullmatch(response.headers["X-Request-ID"])


def test_the_chosen_id_stays_in_the_environ_for_the_access_line(app):
    seen = {}

    @app.get("/peek")
    def peek():
        from flask import request

        seen["environ"] = request.environ
        return "ok"

    response = app.test_client().get("/peek", headers={"X-Request-ID": "kept"})
    assert seen["environ"][ENVIRON_KEY] == "kept" == response.headers["X-Request-ID"]


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/nope", 404), ("DELETE", "/test", 405)])
def test_the_id_is_in_the_json_error_body(client, method, path, status):
    response = client.open(path, method=method, headers={"X-Request-ID": "edge-err"})
    assert response.status_code == status
    assert response.get_json()["error"]["request_id"] == "edge-err"
    assert response.headers["X-Request-ID"] == "edge-err"


def test_a_fresh_id_is_the_same_in_the_body_and_the_header(client):
    response = client.get("/nope")
    assert response.get_json()["error"]["request_id"] == response.headers["X-Request-ID"]


def test_the_id_is_in_the_500_body_and_in_its_error_log_line(capsys):
    app = create_app({"TESTING": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom", headers={"X-Request-ID": "edge-500"})
    assert response.status_code == 500
    assert response.get_json()["error"]["request_id"] == "edge-500"
    (line,) = capsys.readouterr().err.strip().splitlines()
    event = json.loads(line)
    assert event["level"] == "ERROR" and event["request_id"] == "edge-500"


def test_a_fresh_id_in_the_log_line_is_the_one_the_client_got(capsys):
    app = create_app({"TESTING": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("x")

    response = app.test_client().get("/boom")
    event = json.loads(capsys.readouterr().err.strip())
    assert event["request_id"] == response.headers["X-Request-ID"] == response.get_json()["error"]["request_id"]


def test_lines_logged_outside_a_request_carry_no_id(capsys):
    app = create_app({"TESTING": False})
    app.logger.warning("no request here")
    assert "request_id" not in json.loads(capsys.readouterr().err.strip())


def test_printable_means_what_the_rule_says():
    """The rule, 0x20 to 0x7E, against the standard library's notion, so a change there shows."""
    assert set(PRINTABLE_ASCII) == set(string.printable) - set("\t\n\r\x0b\x0c")
